//! The per-iteration step-time model of one engine, decomposed from its measured curves.
//!
//! A measured curve is not a step model: TTFT(ISL) at concurrency 1 is request-level latency
//! plus one engine step, and an ITL point is one whole decode step. Summing the two curves for a
//! mixed iteration pays the fixed cost twice and charges the request-level latency inside the
//! TTFT curve (frontend, tokenisation) on every iteration. [`StepModel`] (the default,
//! [`StepModelKind::Composed`]) separates the parts:
//!
//! * **one fixed cost per iteration** `f0`, paid once whatever the batch holds: the decode
//!   fit's fixed cost ([`super::decode::DecodeFit::fixed_ms`]) when the engine has a decode
//!   surface, else (a prefill-only worker) the prefill fit's intercept — without decode data
//!   nothing separates that intercept into step time and latency, so it is all charged to the
//!   engine;
//! * **marginal prefill cost** of the prompt tokens scheduled, with the attention term over the
//!   context already prefilled ([`super::prefill`]'s decomposition: `g(T) + c·Σ((p+s)² − p²)`);
//! * **marginal decode cost** per decoding request and per KV token read (the decode surface's
//!   ITL at the batch state minus `f0`);
//! * **per-request latency off the engine** `L = max(0, a − f0)`, where `a` is the prefill fit's
//!   intercept: what the TTFT curve holds beyond one step. It delays that request's first token
//!   (and, like all latency outside the engine, its last), and occupies no engine.
//!
//! So a pure prefill of a measured ISL costs `f0 + g(S) + c·S² = TTFT(S) − L` and the lone
//! request's TTFT is exactly the measured one; a pure decode step at a measured batch state
//! costs exactly the measured ITL; a mixed iteration pays `f0` once plus both marginal costs.
//! Evidence for `L` on the shipped Llama-3.1-8B H200 profile: TTFT(100 tokens) = 19.5 ms, its fit
//! 16.5 ms + 0.0152 ms/token, while the decode step's fixed part is 4.4 ms — a 100-token prefill
//! does not take four decode steps of engine time; the 12 ms is request-level latency (the
//! profiler measures TTFT through the HTTP frontend).
//!
//! [`StepModelKind::Sum`] keeps the earlier rule for comparison: prefill curve at S (the
//! legacy interpolation) + decode surface at the batch (rows blended at equal kv_usage), no
//! per-request latency.

use super::{DecodeSurface, PrefillCurve};
use crate::error::{Error, Result};
use std::sync::Arc;

/// Which rule turns an iteration's batch into its duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum StepModelKind {
    /// One fixed cost per step plus marginal prefill and decode costs (the default).
    #[default]
    Composed,
    /// Prefill curve at the step's prompt tokens plus decode surface at its batch (the rule
    /// before the composed model; kept for comparison).
    Sum,
}

impl StepModelKind {
    /// Parses `composed` / `sum`; `flag` names the flag in errors.
    pub fn parse(flag: &str, s: &str) -> Result<Self> {
        match s.trim() {
            "composed" => Ok(StepModelKind::Composed),
            "sum" => Ok(StepModelKind::Sum),
            other => Err(Error::usage(
                flag,
                format!("unknown step model `{other}`; expected composed or sum"),
            )),
        }
    }
}

impl std::fmt::Display for StepModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StepModelKind::Composed => "composed",
            StepModelKind::Sum => "sum",
        })
    }
}

/// The step-time model of one engine (see the module docs). Times in ms.
#[derive(Debug, Clone)]
pub struct StepModel {
    /// Rule.
    pub kind: StepModelKind,
    /// Fixed cost per iteration with work, ms (0 for [`StepModelKind::Sum`]).
    pub fixed_ms: f64,
    /// Per-request latency off the engine, ms (0 for [`StepModelKind::Sum`]).
    pub per_request_ms: f64,
    /// The fixed cost comes from the decode fit (false: from the prefill intercept).
    pub fixed_from_decode: bool,
    prefill: Option<Arc<PrefillCurve>>,
    decode: Option<Arc<DecodeSurface>>,
}

impl StepModel {
    /// The model of an engine with these curves.
    pub fn new(kind: StepModelKind, prefill: Option<Arc<PrefillCurve>>, decode: Option<Arc<DecodeSurface>>) -> Self {
        let (fixed_ms, per_request_ms, fixed_from_decode) = match kind {
            StepModelKind::Sum => (0.0, 0.0, decode.is_some()),
            StepModelKind::Composed => {
                let a = prefill.as_ref().map(|p| p.fit.intercept_ms);
                match (&decode, a) {
                    (Some(d), Some(a)) => (d.fit.fixed_ms, (a - d.fit.fixed_ms).max(0.0), true),
                    (Some(d), None) => (d.fit.fixed_ms, 0.0, true),
                    (None, Some(a)) => (a, 0.0, false),
                    (None, None) => (0.0, 0.0, false),
                }
            }
        };
        StepModel {
            kind,
            fixed_ms,
            per_request_ms,
            fixed_from_decode,
            prefill,
            decode,
        }
    }

    /// Marginal prefill time of an iteration that schedules `tokens` prompt tokens whose
    /// attention sum is `attention_tokens2` = Σ over chunks of `(p + s)² − p²` (a chunk of s
    /// tokens after p already prefilled), ms. Under [`StepModelKind::Sum`]: the legacy curve
    /// at `tokens`.
    #[inline]
    pub fn prefill_ms(&self, tokens: f64, attention_tokens2: f64) -> f64 {
        let Some(p) = &self.prefill else { return 0.0 };
        match self.kind {
            StepModelKind::Sum => p.legacy_ttft_ms(tokens),
            StepModelKind::Composed => {
                p.marginal_ms(tokens, self.fixed_ms + self.per_request_ms)
                    + p.fit.attention_ms_per_token2 * attention_tokens2
            }
        }
    }

    /// Marginal decode time of a step over `batch` requests holding `kv_tokens` KV tokens, ms
    /// (≥ 0: the decode fit's fixed cost is capped at the smallest measured ITL). Under
    /// [`StepModelKind::Sum`]: the legacy surface at the batch.
    #[inline]
    pub fn decode_ms(&self, batch: f64, kv_tokens: f64) -> f64 {
        let Some(d) = &self.decode else { return 0.0 };
        match self.kind {
            StepModelKind::Sum => d.legacy_itl_ms(kv_tokens / d.kv_scale_tokens, kv_tokens / batch.max(1.0)),
            StepModelKind::Composed => (d.itl_at(batch, kv_tokens) - self.fixed_ms).max(0.0),
        }
    }

    /// A pure prefill of one prompt of `isl` tokens (engine time, ms).
    pub fn pure_prefill_ms(&self, isl: f64) -> f64 {
        self.fixed_ms + self.prefill_ms(isl, isl * isl)
    }

    /// A pure decode step over `batch` requests holding `kv_tokens` (engine time, ms).
    pub fn pure_decode_ms(&self, batch: f64, kv_tokens: f64) -> f64 {
        self.fixed_ms + self.decode_ms(batch, kv_tokens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::DecodePoint;
    use approx::assert_relative_eq;

    fn curve() -> Arc<PrefillCurve> {
        let isl = vec![100.0, 1000.0, 2000.0, 4000.0, 8000.0];
        // 15 ms of intercept, 0.02 ms/token, attention 1e-6 ms/token², plus a little noise
        let ttft: Vec<f64> = isl
            .iter()
            .enumerate()
            .map(|(i, &s): (usize, &f64)| 15.0 + 0.02 * s + 1e-6 * s * s + [0.1, -0.2, 0.3, -0.1, 0.2][i])
            .collect();
        let thpt = isl.iter().zip(&ttft).map(|(s, t)| s / t * 1000.0).collect();
        Arc::new(PrefillCurve::new("t", isl, ttft, thpt, 1).unwrap())
    }

    fn surface() -> Arc<DecodeSurface> {
        let scale = 300_000.0;
        let mut pts = vec![];
        for &c in &[500.0, 4000.0] {
            for &b in &[1.0, 16.0, 64.0] {
                let x = b * c;
                let itl = 5.0 + 0.05 * b + 2e-5 * x + if b == 16.0 { 0.3 } else { 0.0 };
                pts.push(DecodePoint {
                    kv_usage: x / scale,
                    context: c,
                    itl_ms: itl,
                    thpt_per_gpu: b / itl * 1000.0,
                });
            }
        }
        Arc::new(DecodeSurface::from_points("t", &pts, scale, 1, 1.5).unwrap())
    }

    #[test]
    fn pure_steps_reproduce_the_measured_points() {
        let (p, d) = (curve(), surface());
        let m = StepModel::new(StepModelKind::Composed, Some(p.clone()), Some(d.clone()));
        assert!(m.fixed_ms > 4.0 && m.fixed_ms < 6.0, "{}", m.fixed_ms);
        assert!(m.per_request_ms > 8.0, "{}", m.per_request_ms);
        for (s, t) in p.isl.iter().zip(&p.ttft_ms) {
            assert_relative_eq!(m.per_request_ms + m.pure_prefill_ms(*s), *t, max_relative = 1e-12);
        }
        for pt in d.points() {
            let x = pt.kv_usage * d.kv_scale_tokens;
            assert_relative_eq!(m.pure_decode_ms(x / pt.context, x), pt.itl_ms, max_relative = 1e-12);
        }
    }

    #[test]
    fn a_mixed_step_pays_the_fixed_cost_once() {
        let m = StepModel::new(StepModelKind::Composed, Some(curve()), Some(surface()));
        let (b, x) = (16.0, 16.0 * 500.0);
        // a chunk of 512 tokens after 1024 already prefilled, next to a decode batch
        let (s, p) = (512.0, 1024.0);
        let att = (p + s) * (p + s) - p * p;
        let mixed = m.fixed_ms + m.prefill_ms(s, att) + m.decode_ms(b, x);
        let prefill_alone = m.fixed_ms + m.prefill_ms(s, att);
        let decode_alone = m.pure_decode_ms(b, x);
        assert_relative_eq!(mixed, prefill_alone + decode_alone - m.fixed_ms, max_relative = 1e-12);
        // the chunk after 1024 tokens costs more than the same chunk at the start of a prompt
        assert!(m.prefill_ms(s, att) > m.prefill_ms(s, s * s));
        // the old rule pays the prefill curve's intercept on top of the decode step
        let sum = StepModel::new(StepModelKind::Sum, Some(curve()), Some(surface()));
        let old = sum.prefill_ms(s, att) + sum.decode_ms(b, x);
        assert!(old > mixed, "old {old} vs composed {mixed}");
    }

    #[test]
    fn a_prefill_worker_charges_the_whole_intercept_to_the_engine() {
        let p = curve();
        let m = StepModel::new(StepModelKind::Composed, Some(p.clone()), None);
        assert_eq!(m.per_request_ms, 0.0);
        assert_relative_eq!(m.fixed_ms, p.fit.intercept_ms);
        for (s, t) in p.isl.iter().zip(&p.ttft_ms) {
            assert_relative_eq!(m.pure_prefill_ms(*s), *t, max_relative = 1e-12);
        }
    }
}
