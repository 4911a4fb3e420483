//! Fitting the efficiency factors to measured profiles (`fit-roofline --measured`).
//!
//! Every measured point of the chosen engines is compared with the roofline model at the same
//! operating point:
//! * a prefill point (ISL `s`, TTFT) with [`Roofline::ttft_ms`]`(s)`;
//! * a decode point (`kv_usage u`, context `c`, ITL) with [`Roofline::decode_ms`]`(B, u·S)` where
//!   `S` is the surface's KV scale (`max_kv_tokens` of the file) and `B = u·S / c` the batch size
//!   it stands for — the same reading the simulator makes of the surface.
//!
//! Objective per GPU/backend group: mean of `ln(model / measured)²` over the TTFT points plus
//! the same over the ITL points (each kind weighs equally, whatever the point counts), plus the
//! prior of [`super::optimize`]. The shipped profiles' manifests name the model card and the
//! weight/KV dtypes, so each engine pairs with its card.

use super::efficiency::Efficiency;
use super::gpu::GpuCatalog;
use super::model::{Dtype, ModelSpec};
use super::optimize::{search, SearchOptions, SearchResult};
use super::step::Roofline;
use crate::error::{Error, Result};
use crate::profile::{shipped, Role};
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

/// Errors of `eff` against `e`'s points.
pub fn engine_error(e: &MeasuredEngine, eff: &Efficiency) -> EngineError {
    let r = e.roofline.with_eff(*eff);
    let t: Vec<(f64, f64)> = e.ttft.iter().map(|&(s, m)| (r.ttft_ms(s), m)).collect();
    let d: Vec<(f64, f64)> = e
        .itl
        .iter()
        .map(|&(b, c, y, m)| (r.profiler_decode_ms(b, c, y), m))
        .collect();
    EngineError {
        ttft_mape_pct: mean(t.iter().map(|(p, m)| ((p - m) / m).abs() * 100.0)),
        itl_mape_pct: mean(d.iter().map(|(p, m)| ((p - m) / m).abs() * 100.0)),
        ttft_msle: mean(t.iter().map(|(p, m)| (p / m).ln().powi(2))),
        itl_msle: mean(d.iter().map(|(p, m)| (p / m).ln().powi(2))),
    }
}

/// Per-point comparison of `eff` (and optionally a second set of factors) with `e`'s points, as
/// JSON objects: kind (`ttft`/`itl`), operating point, measured and modelled ms.
pub fn point_details(e: &MeasuredEngine, uncal: &Efficiency, fitted: Option<&Efficiency>) -> Vec<serde_json::Value> {
    let ru = e.roofline.with_eff(*uncal);
    let rf = fitted.map(|f| e.roofline.with_eff(*f));
    let mut v = Vec::new();
    for &(s, m) in &e.ttft {
        v.push(serde_json::json!({
            "kind": "ttft", "isl": s, "measured_ms": m,
            "uncalibrated_ms": ru.ttft_ms(s),
            "fitted_ms": rf.as_ref().map(|r| r.ttft_ms(s)),
        }));
    }
    for &(b, c, y, m) in &e.itl {
        v.push(serde_json::json!({
            "kind": "itl", "batch": b, "context_tokens": c, "row_context": y, "measured_ms": m,
            "uncalibrated_ms": ru.profiler_decode_ms(b, c, y),
            "fitted_ms": rf.as_ref().map(|r| r.profiler_decode_ms(b, c, y)),
            "fitted_step_ms": rf.as_ref().map(|r| r.decode_ms(b, c)),
        }));
    }
    v
}

/// The data objective over a set of engines: mean squared log ratio over all TTFT points plus
/// the same over all ITL points.
pub fn objective(engines: &[&MeasuredEngine], eff: &Efficiency) -> f64 {
    let (mut st, mut nt, mut si, mut ni) = (0.0, 0usize, 0.0, 0usize);
    for e in engines {
        let r = e.roofline.with_eff(*eff);
        for &(s, m) in &e.ttft {
            st += (r.ttft_ms(s) / m).ln().powi(2);
            nt += 1;
        }
        for &(b, c, y, m) in &e.itl {
            si += (r.profiler_decode_ms(b, c, y) / m).ln().powi(2);
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
