//! Fitting the efficiency factors to measured profiles (`fit-roofline --measured`).
//!
//! Every measured point of the chosen engines is compared with the roofline model at the same
//! operating point, evaluated by the one code path `profile synth` uses ([`super::synth`]):
//! * a prefill point (ISL `s`, TTFT) with [`SynthOptions::prefill_point_ms`]`(s)`;
//! * a decode point (`kv_usage u`, context `c`, ITL) at its **batch state** — `X = u·S` KV
//!   tokens in `B = X / c` requests, `S` the surface's KV scale (`max_kv_tokens` of the file) —
//!   with [`SynthOptions::decode_point_ms`]`(B, X, c)`. States are compared by (B, X), never by
//!   kv_usage: a synthesised profile's KV scale is its own capacity from memory, not the file's.
//!
//! The fit minimises, per GPU/backend group, the mean of `ln(model / measured)²` over the TTFT
//! points plus the same over the ITL points (each kind weighs equally, whatever the point
//! counts), plus the prior of [`super::optimize`].
//!
//! The **reported** errors ([`engine_error`], [`point_details`]) are those of the profile
//! `profile synth` writes with the same factors (default options, as the command runs without
//! grid flags), queried as the simulator queries it: [`PrefillCurve::ttft_ms`] at each measured
//! ISL and [`DecodeSurface::itl_at`]`(B, X)` at each measured batch state. They differ from the
//! fitted objective's model values only by the synthesised grid's interpolation error (≤ 0.1 %
//! on the shipped profiles' states; the point details carry both). The shipped profiles'
//! manifests name the model card and the weight/KV dtypes, so each engine pairs with its card.

use super::efficiency::Efficiency;
use super::gpu::GpuCatalog;
use super::model::{Dtype, ModelSpec};
use super::optimize::{search, SearchOptions, SearchResult};
use super::step::Roofline;
use super::synth::{synth_profile, SynthOptions};
use crate::error::{Error, Result};
use crate::profile::{shipped, DecodeSurface, PrefillCurve, Role};
use serde::Serialize;

/// One measured engine with its points, ready to compare.
#[derive(Debug, Clone)]
pub struct MeasuredEngine {
    /// Shipped profile name.
    pub profile: String,
    /// Engine role.
    pub role: Role,
    /// Tensor-parallel size.
    pub tp: u32,
    /// GPU (catalog name).
    pub gpu: String,
    /// Backend.
    pub backend: String,
    /// Model card id.
    pub model_card: String,
    /// Origin of the profile (`measured-online`, `aic-estimate`).
    pub origin: String,
    /// The roofline of the engine (model, GPU, TP, dtypes; factors replaced when evaluating).
    pub roofline: Roofline,
    /// Prefill points: (ISL tokens, TTFT ms).
    pub ttft: Vec<(f64, f64)>,
    /// Decode points: (batch size, Σ context tokens, row context tokens, ITL ms).
    pub itl: Vec<(f64, f64, f64, f64)>,
}

impl MeasuredEngine {
    /// Short label: `NAME TPn role`.
    pub fn label(&self) -> String {
        format!("{} TP{} {}", self.profile, self.tp, self.role)
    }
}

fn dtype_of(file: &str, key: &str, v: Option<&str>) -> Result<Dtype> {
    let s = v.ok_or_else(|| Error::data(file, key, "missing; the analytic model needs the dtype"))?;
    Dtype::parse(s).ok_or_else(|| Error::data(file, key, format!("is `{s}`; expected bf16, fp16 or fp8")))
}

/// Loads the engines of a shipped profile (manifest: model card, dtypes) with their points.
pub fn measured_engines(name: &str, catalog: &GpuCatalog) -> Result<Vec<MeasuredEngine>> {
    let manifest = shipped::manifest(name).ok_or_else(|| {
        Error::usage(
            "--measured",
            format!(
                "`{name}` is not a shipped profile; known: {}",
                shipped::names().join(", ")
            ),
        )
    })??;
    let file = format!("profiles/{name}/manifest.toml");
    let card = manifest
        .model_card
        .as_deref()
        .ok_or_else(|| Error::data(&file, "model_card", "missing; the analytic model needs the model card"))?;
    let model = ModelSpec::resolve(card)?;
    let weights = dtype_of(&file, "weight_dtype", manifest.weight_dtype.as_deref())?;
    let kv = dtype_of(&file, "kv_dtype", manifest.kv_dtype.as_deref())?;
    let gpu = catalog.get(&manifest.gpu)?.clone();
    let profile = crate::profile::resolve(name)?;
    let mut out = Vec::new();
    for e in &profile.engines {
        let roofline = Roofline::new(model.clone(), gpu.clone(), e.tp, weights, kv, Efficiency::default())?;
        let ttft = e
            .prefill
            .as_ref()
            .map(|c| c.isl.iter().copied().zip(c.ttft_ms.iter().copied()).collect())
            .unwrap_or_default();
        let itl = e
            .decode
            .as_ref()
            .map(|d| {
                d.points()
                    .iter()
                    .map(|p| {
                        let tokens = p.kv_usage * d.kv_scale_tokens;
                        ((tokens / p.context).max(1.0), tokens, p.context, p.itl_ms)
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(MeasuredEngine {
            profile: name.to_string(),
            role: e.role,
            tp: e.tp,
            gpu: manifest.gpu.clone(),
            backend: manifest.backend.clone(),
            model_card: card.to_string(),
            origin: manifest.origin.to_string(),
            roofline,
            ttft,
            itl,
        });
    }
    Ok(out)
}

/// Errors of the model against one engine's points.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct EngineError {
    /// Mean absolute percentage error of TTFT over the prefill points, % (`None`: no points).
    pub ttft_mape_pct: Option<f64>,
    /// Mean absolute percentage error of ITL over the decode points, %.
    pub itl_mape_pct: Option<f64>,
    /// Mean squared log ratio of TTFT.
    #[serde(skip)]
    pub ttft_msle: Option<f64>,
    /// Mean squared log ratio of ITL.
    #[serde(skip)]
    pub itl_msle: Option<f64>,
}

fn mean(v: impl Iterator<Item = f64>) -> Option<f64> {
    let (mut s, mut n) = (0.0, 0usize);
    for x in v {
        s += x;
        n += 1;
    }
    (n > 0).then(|| s / n as f64)
}

/// An engine's measured points next to the profile `profile synth` writes for it with some
/// factors (see the module docs). Times in ms.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthEval {
    /// Per prefill point (same order as [`MeasuredEngine::ttft`]): the synthesised curve's
    /// TTFT at the measured ISL, and the model's value there
    /// ([`SynthOptions::prefill_point_ms`]).
    pub ttft: Vec<(f64, f64)>,
    /// Per decode point (same order as [`MeasuredEngine::itl`]): the synthesised surface's ITL
    /// at the measured batch state, and the model's value there
    /// ([`SynthOptions::decode_point_ms`]).
    pub itl: Vec<(f64, f64)>,
    /// KV capacity of the synthesised engine (its surface's KV scale), tokens.
    pub max_kv_tokens: i64,
}

/// Synthesises `e`'s engine with factors `eff` exactly as `profile synth` does (default options)
/// and queries it at every measured point. Errors (exit 2) when the model does not fit in the
/// GPU's memory at this TP.
pub fn synth_eval(e: &MeasuredEngine, eff: &Efficiency) -> Result<SynthEval> {
    let r = e.roofline.with_eff(*eff);
    let o = SynthOptions::default();
    let (p, a) = synth_profile(&r, &o)?;
    let prefill: Option<&PrefillCurve> = p.engines.iter().find_map(|x| x.prefill.as_ref());
    let decode: Option<&DecodeSurface> = p.engines.iter().find_map(|x| x.decode.as_ref());
    let ttft = match prefill {
        Some(c) => e
            .ttft
            .iter()
            .map(|&(s, _)| (c.ttft_ms(s), o.prefill_point_ms(&r, s)))
            .collect(),
        None => Vec::new(),
    };
    let itl = match decode {
        Some(d) => e
            .itl
            .iter()
            .map(|&(b, x, y, _)| (d.itl_at(b, x), o.decode_point_ms(&r, b, x, y)))
            .collect(),
        None => Vec::new(),
    };
    Ok(SynthEval {
        ttft,
        itl,
        max_kv_tokens: a.max_kv_tokens,
    })
}

/// Errors of the profile `profile synth` writes with `eff` against `e`'s points (see the module
/// docs).
pub fn engine_error(e: &MeasuredEngine, eff: &Efficiency) -> Result<EngineError> {
    let v = synth_eval(e, eff)?;
    let t: Vec<(f64, f64)> = v.ttft.iter().zip(&e.ttft).map(|(p, m)| (p.0, m.1)).collect();
    let d: Vec<(f64, f64)> = v.itl.iter().zip(&e.itl).map(|(p, m)| (p.0, m.3)).collect();
    Ok(EngineError {
        ttft_mape_pct: mean(t.iter().map(|(p, m)| ((p - m) / m).abs() * 100.0)),
        itl_mape_pct: mean(d.iter().map(|(p, m)| ((p - m) / m).abs() * 100.0)),
        ttft_msle: mean(t.iter().map(|(p, m)| (p / m).ln().powi(2))),
        itl_msle: mean(d.iter().map(|(p, m)| (p / m).ln().powi(2))),
    })
}

/// Per-point comparison of `uncal` (and optionally a second set of factors) with `e`'s points,
/// as JSON objects: kind (`ttft`/`itl`), operating point (ISL; batch state), measured ms and, per
/// set of factors, the synthesised profile's value (`uncalibrated_ms`, `fitted_ms`: what the
/// reported errors use), the model's value at the point (`*_model_ms`: what the fit used) and,
/// for decode points, the pure decode step (`fitted_step_ms`).
pub fn point_details(
    e: &MeasuredEngine,
    uncal: &Efficiency,
    fitted: Option<&Efficiency>,
) -> Result<Vec<serde_json::Value>> {
    let su = synth_eval(e, uncal)?;
    let sf = fitted.map(|f| synth_eval(e, f)).transpose()?;
    let rf = fitted.map(|f| e.roofline.with_eff(*f));
    let mut v = Vec::new();
    for (i, &(s, m)) in e.ttft.iter().enumerate() {
        v.push(serde_json::json!({
            "kind": "ttft", "isl": s, "measured_ms": m,
            "uncalibrated_ms": su.ttft[i].0,
            "uncalibrated_model_ms": su.ttft[i].1,
            "fitted_ms": sf.as_ref().map(|f| f.ttft[i].0),
            "fitted_model_ms": sf.as_ref().map(|f| f.ttft[i].1),
        }));
    }
    for (i, &(b, c, y, m)) in e.itl.iter().enumerate() {
        v.push(serde_json::json!({
            "kind": "itl", "batch": b, "context_tokens": c, "row_context": y, "measured_ms": m,
            "uncalibrated_ms": su.itl[i].0,
            "uncalibrated_model_ms": su.itl[i].1,
            "fitted_ms": sf.as_ref().map(|f| f.itl[i].0),
            "fitted_model_ms": sf.as_ref().map(|f| f.itl[i].1),
            "fitted_step_ms": rf.as_ref().map(|r| r.decode_ms(b, c)),
        }));
    }
    Ok(v)
}

/// The data objective over a set of engines: mean squared log ratio of the model's values
/// ([`SynthOptions::prefill_point_ms`], [`SynthOptions::decode_point_ms`]) over all TTFT points
/// plus the same over all ITL points.
pub fn objective(engines: &[&MeasuredEngine], eff: &Efficiency) -> f64 {
    let o = SynthOptions::default();
    let (mut st, mut nt, mut si, mut ni) = (0.0, 0usize, 0.0, 0usize);
    for e in engines {
        let r = e.roofline.with_eff(*eff);
        for &(s, m) in &e.ttft {
            st += (o.prefill_point_ms(&r, s) / m).ln().powi(2);
            nt += 1;
        }
        for &(b, c, y, m) in &e.itl {
            si += (o.decode_point_ms(&r, b, c, y) / m).ln().powi(2);
            ni += 1;
        }
    }
    let a = if nt > 0 { st / nt as f64 } else { 0.0 };
    let b = if ni > 0 { si / ni as f64 } else { 0.0 };
    a + b
}

/// Fits one group of engines (same GPU and backend).
pub fn fit_group(engines: &[&MeasuredEngine], initial: Efficiency, o: &SearchOptions) -> SearchResult {
    let f = |e: &Efficiency| objective(engines, e);
    search(&f, initial, o)
}
