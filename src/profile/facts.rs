//! Serializable views of a profile for `profile list` and `profile show`, including derived
//! facts (largest ISL meeting a TTFT target, largest batch meeting an ITL target, peaks).

use super::{EngineProfile, Profile};
use serde::Serialize;

/// One row of `profile list --json`.
#[derive(Debug, Serialize)]
pub struct ListEntry {
    /// Profile name.
    pub name: String,
    /// Model id.
    pub model: String,
    /// GPU name.
    pub gpu: String,
    /// Backend.
    pub backend: String,
    /// Provenance.
    pub origin: String,
    /// Engines.
    pub engines: Vec<ListEngine>,
}

/// An engine in `profile list --json`.
#[derive(Debug, Serialize)]
pub struct ListEngine {
    /// Role (`prefill`, `decode`, `agg`).
    pub role: String,
    /// Tensor-parallel size.
    pub tp: u32,
    /// The engine's KV capacity in tokens (null for prefill-only data).
    pub max_kv_tokens: Option<f64>,
}

/// The `profile list` entry of a profile.
pub fn list_entry(p: &Profile) -> ListEntry {
    ListEntry {
        name: p.name.clone(),
        model: p.model.clone(),
        gpu: p.gpu.clone(),
        backend: p.backend.clone(),
        origin: p.origin.to_string(),
        engines: p
            .engines
            .iter()
            .map(|e| ListEngine {
                role: e.role.to_string(),
                tp: e.tp,
                max_kv_tokens: e.kv_capacity_tokens(),
            })
            .collect(),
    }
}

/// Targets used for the derived facts of `profile show`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Targets {
    /// TTFT target, ms.
    pub ttft_ms: f64,
    /// ITL target, ms.
    pub itl_ms: f64,
    /// Context length at which the largest batch is computed, tokens.
    pub context: f64,
}

/// `profile show --json` output.
#[derive(Debug, Serialize)]
pub struct Show {
    /// Profile name.
    pub name: String,
    /// Model id.
    pub model: String,
    /// GPU.
    pub gpu: String,
    /// Backend.
    pub backend: String,
    /// Backend version.
    pub backend_version: Option<String>,
    /// Provenance.
    pub origin: String,
    /// Description.
    pub description: Option<String>,
    /// Targets the facts refer to.
    pub targets: Targets,
    /// Per-engine data and facts.
    pub engines: Vec<ShowEngine>,
}

/// One engine in `profile show`.
#[derive(Debug, Serialize)]
pub struct ShowEngine {
    /// Role.
    pub role: String,
    /// TP.
    pub tp: u32,
    /// KV scale of the decode surface (`max_kv_tokens` in the file).
    pub kv_scale_tokens: Option<f64>,
    /// Real KV capacity used by the simulator.
    pub kv_capacity_tokens: Option<f64>,
    /// Why the capacity differs from the scale, when it does.
    pub kv_capacity_note: Option<String>,
    /// Measured prefill points.
    pub prefill: Vec<PrefillPointOut>,
    /// Measured decode points.
    pub decode: Vec<DecodePointOut>,
    /// Largest ISL whose TTFT meets the target (tokens).
    pub max_isl_meeting_ttft: Option<f64>,
    /// Largest batch at the target context whose ITL meets the target.
    pub max_batch_meeting_itl: Option<u64>,
    /// Peak measured prefill throughput, tokens/s/GPU.
    pub peak_prefill_thpt_per_gpu: Option<f64>,
    /// Peak measured decode throughput, tokens/s/GPU.
    pub peak_decode_thpt_per_gpu: Option<f64>,
    /// The engine's step-time decomposition ([`super::step_model`]) and its fit errors.
    pub step_model: StepModelOut,
}

/// The step-time decomposition of an engine, as `profile show` reports it.
#[derive(Debug, Serialize)]
pub struct StepModelOut {
    /// Fixed cost per iteration, ms.
    pub fixed_ms: f64,
    /// Where the fixed cost comes from: `decode fit` or `prefill intercept`.
    pub fixed_from: &'static str,
    /// Per-request latency off the engine (TTFT intercept beyond one step), ms.
    pub per_request_latency_ms: f64,
    /// Prefill fit `TTFT ≈ a + b·S + c·S²`: a (ms), b (ms/token), c (ms/token²), MAPE (%).
    pub prefill_fit: Option<[f64; 4]>,
    /// Decode fit `ITL ≈ d0 + d1·B + d2·X`: d0 (ms), d1 (ms/request), d2 (ms/KV token), MAPE (%).
    pub decode_fit: Option<[f64; 4]>,
}

/// A prefill point.
#[derive(Debug, Serialize)]
pub struct PrefillPointOut {
    /// ISL, tokens.
    pub isl: f64,
    /// TTFT, ms.
    pub ttft_ms: f64,
    /// tokens/s/GPU.
    pub thpt_per_gpu: f64,
}

/// A decode point.
#[derive(Debug, Serialize)]
pub struct DecodePointOut {
    /// kv_usage on the surface's scale.
    pub kv_usage: f64,
    /// Context length, tokens.
    pub context_length: f64,
    /// ITL, ms.
    pub itl_ms: f64,
    /// tokens/s/GPU.
    pub thpt_per_gpu: f64,
}

fn show_engine(e: &EngineProfile, t: Targets) -> ShowEngine {
    ShowEngine {
        role: e.role.to_string(),
        tp: e.tp,
        kv_scale_tokens: e.kv_scale_tokens(),
        kv_capacity_tokens: e.kv_capacity_tokens(),
        kv_capacity_note: e.kv_capacity_note.clone(),
        prefill: e
            .prefill
            .iter()
            .flat_map(|p| {
                (0..p.isl.len()).map(move |i| PrefillPointOut {
                    isl: p.isl[i],
                    ttft_ms: p.ttft_ms[i],
                    thpt_per_gpu: p.thpt_per_gpu[i],
                })
            })
            .collect(),
        decode: e
            .decode
            .iter()
            .flat_map(|d| d.points())
            .map(|p| DecodePointOut {
                kv_usage: p.kv_usage,
                context_length: p.context,
                itl_ms: p.itl_ms,
                thpt_per_gpu: p.thpt_per_gpu,
            })
            .collect(),
        max_isl_meeting_ttft: e
            .prefill
            .as_ref()
            .and_then(|p| p.max_isl_within(t.ttft_ms))
            .map(f64::floor),
        max_batch_meeting_itl: e
            .decode
            .as_ref()
            .and_then(|d| d.max_batch_within(t.context, t.itl_ms, e.kv_capacity_tokens().unwrap_or(d.kv_scale_tokens))),
        peak_prefill_thpt_per_gpu: e.prefill.as_ref().map(|p| p.peak_thpt().0),
        peak_decode_thpt_per_gpu: e.decode.as_ref().map(|d| d.peak_thpt().0),
        step_model: step_model_out(e),
    }
}

fn step_model_out(e: &EngineProfile) -> StepModelOut {
    use super::step_model::{StepModel, StepModelKind};
    use std::sync::Arc;
    let m = StepModel::new(
        StepModelKind::Composed,
        e.prefill.clone().map(Arc::new),
        e.decode.clone().map(Arc::new),
    );
    StepModelOut {
        fixed_ms: m.fixed_ms,
        fixed_from: if m.fixed_from_decode {
            "decode fit"
        } else {
            "prefill intercept"
        },
        per_request_latency_ms: m.per_request_ms,
        prefill_fit: e.prefill.as_ref().map(|p| {
            let f = p.fit;
            [
                f.intercept_ms,
                f.linear_ms_per_token,
                f.attention_ms_per_token2,
                f.mape_pct,
            ]
        }),
        decode_fit: e.decode.as_ref().map(|d| {
            let f = d.fit;
            [f.fixed_ms, f.per_request_ms, f.per_kv_token_ms, f.mape_pct]
        }),
    }
}

/// Builds the `profile show` view.
pub fn show(p: &Profile, t: Targets) -> Show {
    Show {
        name: p.name.clone(),
        model: p.model.clone(),
        gpu: p.gpu.clone(),
        backend: p.backend.clone(),
        backend_version: p.backend_version.clone(),
        origin: p.origin.to_string(),
        description: p.description.clone(),
        targets: t,
        engines: p.engines.iter().map(|e| show_engine(e, t)).collect(),
    }
}

/// Human-readable rendering of [`Show`].
pub fn show_text(s: &Show) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}  ({} on {}, {}{}; {})",
        s.name,
        s.model,
        s.gpu,
        s.backend,
        s.backend_version.as_ref().map(|v| format!(" {v}")).unwrap_or_default(),
        s.origin
    );
    if let Some(d) = &s.description {
        let _ = writeln!(o, "{d}");
    }
    for e in &s.engines {
        let _ = writeln!(o, "\n== {} engine, TP{} ==", e.role, e.tp);
        if let Some(k) = e.kv_scale_tokens {
            let _ = writeln!(o, "KV scale of the decode surface (max_kv_tokens): {k:.0} tokens");
        }
        if let Some(k) = e.kv_capacity_tokens {
            let _ = writeln!(o, "KV capacity used when simulating: {k:.0} tokens");
        }
        if let Some(n) = &e.kv_capacity_note {
            let _ = writeln!(o, "  ({n})");
        }
        if !e.prefill.is_empty() {
            let mut rows = vec![vec!["ISL".to_string(), "TTFT ms".into(), "tok/s/GPU".into()]];
            for p in &e.prefill {
                rows.push(vec![
                    format!("{:.0}", p.isl),
                    format!("{:.3}", p.ttft_ms),
                    format!("{:.1}", p.thpt_per_gpu),
                ]);
            }
            let _ = writeln!(o, "prefill curve:\n{}", crate::output::text_table(&rows));
        }
        if !e.decode.is_empty() {
            let mut rows = vec![vec![
                "context".to_string(),
                "kv_usage".into(),
                "ITL ms".into(),
                "tok/s/GPU".into(),
            ]];
            for p in &e.decode {
                rows.push(vec![
                    format!("{:.0}", p.context_length),
                    format!("{:.4}", p.kv_usage),
                    format!("{:.3}", p.itl_ms),
                    format!("{:.1}", p.thpt_per_gpu),
                ]);
            }
            let _ = writeln!(o, "decode surface:\n{}", crate::output::text_table(&rows));
        }
        let m = &e.step_model;
        let _ = writeln!(
            o,
            "step model: fixed {:.3} ms per iteration ({}), per-request latency off the engine {:.3} ms",
            m.fixed_ms, m.fixed_from, m.per_request_latency_ms
        );
        if let Some([a, b, c, err]) = m.prefill_fit {
            let _ = writeln!(
                o,
                "  prefill fit: TTFT ≈ {a:.3} ms + {b:.3e} ms/token·S + {c:.3e} ms/token²·S²  (fit MAPE {err:.1} %; measured points kept exact)"
            );
        }
        if let Some([d0, d1, d2, err]) = m.decode_fit {
            let _ = writeln!(
                o,
                "  decode fit:  ITL ≈ {d0:.3} ms + {d1:.3e} ms/request·B + {d2:.3e} ms/KV token·X  (fit MAPE {err:.1} %; measured points kept exact)"
            );
        }
        if let Some(v) = e.peak_prefill_thpt_per_gpu {
            let _ = writeln!(o, "peak prefill throughput: {v:.1} tokens/s/GPU");
        }
        match (e.prefill.is_empty(), e.max_isl_meeting_ttft) {
            (false, Some(v)) => {
                let _ = writeln!(o, "largest ISL with TTFT ≤ {} ms: {v:.0} tokens", s.targets.ttft_ms);
            }
            (false, None) => {
                let _ = writeln!(o, "no ISL meets TTFT ≤ {} ms", s.targets.ttft_ms);
            }
            _ => {}
        }
        if let Some(v) = e.peak_decode_thpt_per_gpu {
            let _ = writeln!(o, "peak decode throughput: {v:.1} tokens/s/GPU");
        }
        match (e.decode.is_empty(), e.max_batch_meeting_itl) {
            (false, Some(b)) => {
                let _ = writeln!(
                    o,
                    "largest batch at context {:.0} with ITL ≤ {} ms: {b}",
                    s.targets.context, s.targets.itl_ms
                );
            }
            (false, None) => {
                let _ = writeln!(
                    o,
                    "no batch at context {:.0} meets ITL ≤ {} ms",
                    s.targets.context, s.targets.itl_ms
                );
            }
            _ => {}
        }
    }
    o
}
