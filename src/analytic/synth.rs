//! Synthesising a [`Profile`] from the roofline model, and writing it in Dynamo's profiler
//! layout.
//!
//! # One evaluation of the model
//! Every value a synthesised profile holds comes from [`SynthOptions::prefill_point_ms`] (a
//! prefill curve point) and [`SynthOptions::decode_point_ms`] (a decode surface point), and so
//! does every value `profile fit-roofline` fits ([`super::fit`]): the fit compares the measured
//! points with exactly what synth would tabulate there, and reports its error by querying the
//! synthesised profile itself ([`PrefillCurve::ttft_ms`], [`DecodeSurface::itl_at`]) at the
//! measured batch states — so the reported error is that of the profile the simulator reads.
//!
//! * A **prefill point** (ISL `s`) is [`Roofline::ttft_ms`]`(s)`: the prefill forward pass plus
//!   the per-request `ttft_ms`, as a measured TTFT at concurrency 1 holds it (the simulator's
//!   step model separates that latency from the engine step; see
//!   [`crate::profile::step_model`]). With [`SynthOptions::exclude_ttft_overhead`] the
//!   `ttft_ms` is left out.
//! * A **decode point** at batch state (B requests holding X KV tokens, on a sweep row of
//!   context `y = X / B`) is, by default ([`DecodeSurfaceKind::ProfilerSweep`]), what Dynamo's
//!   profiler decode sweep measures there ([`Roofline::profiler_decode_ms`]: the decode step plus
//!   the `interference` share of the prefills of the requests the closed loop replaces) — the
//!   same quantity the measured profiles hold, so a synthesised profile stands in for a measured
//!   one wherever slasim resolves profiles, and its surface is what `fit-roofline` fitted the
//!   measured surfaces with. [`DecodeSurfaceKind::Step`] writes the pure decode step
//!   ([`Roofline::decode_ms`]) instead, for simulations that recreate the benchmark's prefills
//!   themselves (the silicon fit, [`super::silicon`]). With the uncalibrated factors
//!   (`interference` at the bottom of its range) the two differ by < 0.1 %.
//!
//! # Grids
//! * **prefill**: ISL from 100 to the maximum context in 17 evenly spaced points (rounded to
//!   whole tokens; Dynamo's profiler grid), throughput `ISL / TTFT · 1000 / TP` (tokens/s/GPU,
//!   the profiler's definition). The curve is smooth (linear plus the quadratic attention term,
//!   which [`PrefillCurve`] interpolates), so 17 points reproduce the model within 0.02 % at any
//!   ISL in range.
//! * **decode**: rows of constant context `y = isl + osl/2` (`osl` 500, the profiler's default)
//!   for [`SynthOptions::decode_rows`] ISLs spaced **geometrically** from 100 to
//!   `max_context − osl`; in each row batch sizes from 1 to `n_max = min(max_batch,
//!   ⌊MAX_KV_USAGE · max_kv_tokens / y⌋)`, the union of [`SynthOptions::decode_points`] evenly
//!   spaced and as many geometrically spaced values (rounded, de-duplicated). Each point is
//!   `x_kv_usage = n·y / max_kv_tokens`, `y_context_length = y`, ITL from
//!   [`SynthOptions::decode_point_ms`]`(n, n·y, y)`, throughput `n / ITL · 1000 / TP`.
//!
//!   Why this layout: the simulator reads the surface at a batch state (B, X) by blending the
//!   two rows that bracket the mean context `X / B`, each **at the same batch size B**
//!   ([`DecodeSurface`]). A row must therefore hold every batch size a state between it and its
//!   neighbour can have: with rows at most a factor 1.5 apart in context and batches up to
//!   kv_usage 1.5 (the loader's bound, [`MAX_KV_USAGE`]), every state that fits in the KV cache
//!   (X ≤ max_kv_tokens) between the first and the last row is bracketed by two rows that both
//!   reach its batch size (the points above kv_usage 1 are unreachable states that only support
//!   the interpolation). Geometric rows put that resolution where contexts are short and batches
//!   large; the even batch points cover the linear regime at large batches, the geometric ones
//!   the GEMM-efficiency ramp at small ones and the bend where GEMMs turn from memory- to
//!   compute-bound. Dynamo's evenly spaced rows (8 from 350 to 130,822 tokens, 10 batch sizes
//!   each, up to the footprint `⌊max_kv / (isl + osl)⌋`) left states such as 289 requests at
//!   3,000 tokens bracketed by a row that stopped at 49 requests: up to 39 % off the model at the
//!   measured Llama-3.1-8B H200 states (mean 13 %; factors fitted to the 70B profile), up to
//!   3.8 % at the Llama-3.3-70B ones. With
//!   this layout (32 rows, 20 + 20 batch sizes: ≤ 1,100 points) the surface is within 0.02 % of
//!   the model on average and 0.3 % at worst at every measured state of the shipped profiles,
//!   with the uncalibrated factors and with factors fitted to the 70B profile.
//!
//! The maximum context is `min(max_position_embeddings (32768 when absent), max_kv_tokens)`
//! unless given.
//!
//! Written files (each atomically): `selected_prefill_interpolation/raw_data.npz`
//! (`prefill_isl` int64, `prefill_ttft`, `prefill_thpt_per_gpu` f64),
//! `selected_decode_interpolation/raw_data.npz` (`x_kv_usage`, `y_context_length`, `z_itl`,
//! `z_thpt_per_gpu` f64, `max_kv_tokens` int64 of shape `[1]`) and `profile_meta.json`
//! (`model`, `gpu`, `backend` = "analytic", `prefill_tp`, `decode_tp`, plus the inputs).
//! Loading the directory back gives the same numbers bit for bit. Like every profiler output
//! directory it holds a prefill engine and a decode engine (same TP), so `slasim simulate
//! --profile DIR` defaults to disaggregated serving; `--mode agg --tp N` combines them into one
//! aggregated engine.

use super::step::{Roofline, DEFAULT_ACTIVATION_RESERVE_GB, DEFAULT_MEM_UTIL};
use crate::error::{Error, Result};
use crate::output::write_atomic;
use crate::profile::load::MAX_KV_USAGE;
use crate::profile::{DecodePoint, DecodeSurface, EngineProfile, Origin, PrefillCurve, Profile, Role};
use ndarray::Array1;
use ndarray_npy::NpzWriter;
use std::io::Cursor;
use std::path::Path;

/// What a synthesised decode surface holds at each batch state (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DecodeSurfaceKind {
    /// What Dynamo's profiler decode sweep measures: the decode step plus the interleaved
    /// prefills of replaced requests ([`Roofline::profiler_decode_ms`]) — the quantity of the
    /// measured profiles and of `fit-roofline`'s fit (the default).
    #[default]
    ProfilerSweep,
    /// The pure decode step ([`Roofline::decode_ms`]), for simulations that add the benchmark's
    /// prefills themselves.
    Step,
}

impl DecodeSurfaceKind {
    /// The name written to `profile_meta.json` (`decode_surface`).
    pub fn name(self) -> &'static str {
        match self {
            DecodeSurfaceKind::ProfilerSweep => "profiler-sweep",
            DecodeSurfaceKind::Step => "decode-step",
        }
    }
}

/// Largest context ratio between neighbouring decode rows (see the module docs).
pub const MAX_ROW_RATIO: f64 = 1.5;

/// Grid and memory settings of a synthesised profile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynthOptions {
    /// Fraction of HBM the engine may use (0, 1].
    pub mem_util: f64,
    /// Memory reserved per GPU for activations etc., GB (1e9 B).
    pub activation_reserve_gb: f64,
    /// Largest ISL of the prefill grid, tokens (`None`: see the module docs).
    pub max_context: Option<u64>,
    /// Largest context of the decode grid, tokens (`None`: the prefill grid's).
    pub decode_max_context: Option<u64>,
    /// Prefill grid points (Dynamo: 17).
    pub prefill_points: usize,
    /// Decode context rows, at least (more when needed to keep neighbouring rows within
    /// [`MAX_ROW_RATIO`] of each other in ISL).
    pub decode_rows: usize,
    /// Evenly spaced batch sizes per decode row, and as many geometrically spaced ones (before
    /// de-duplication).
    pub decode_points: usize,
    /// Largest batch size on the decode grid, requests (the simulator extrapolates beyond it).
    pub max_batch: u64,
    /// OSL of the decode sweep (rows sit at `isl + osl/2`), tokens (Dynamo: 500).
    pub decode_osl: u64,
    /// What the decode surface holds (default: the profiler sweep's ITL, like measured profiles).
    pub decode_surface: DecodeSurfaceKind,
    /// Leave the per-request `ttft_ms` overhead out of the prefill curve (for simulations that
    /// add it through the calibration's `frontend_latency_ms` instead, so it does not occupy the
    /// engine).
    pub exclude_ttft_overhead: bool,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            mem_util: DEFAULT_MEM_UTIL,
            activation_reserve_gb: DEFAULT_ACTIVATION_RESERVE_GB,
            max_context: None,
            decode_max_context: None,
            prefill_points: 17,
            decode_rows: 32,
            decode_points: 20,
            max_batch: 4096,
            decode_osl: 500,
            decode_surface: DecodeSurfaceKind::ProfilerSweep,
            exclude_ttft_overhead: false,
        }
    }
}

impl SynthOptions {
    /// The TTFT a synthesised prefill curve holds at `isl` prompt tokens, ms (see the module
    /// docs): [`Roofline::ttft_ms`], without `ttft_ms` under
    /// [`SynthOptions::exclude_ttft_overhead`].
    pub fn prefill_point_ms(&self, r: &Roofline, isl: f64) -> f64 {
        if self.exclude_ttft_overhead {
            r.prefill_engine_ms(isl, 0.0)
        } else {
            r.ttft_ms(isl)
        }
    }

    /// The ITL a synthesised decode surface holds at `batch` requests holding `kv_tokens` KV
    /// tokens, on a sweep row of context `row_context` tokens (`kv_tokens / batch` on the grid),
    /// ms (see the module docs and [`DecodeSurfaceKind`]).
    pub fn decode_point_ms(&self, r: &Roofline, batch: f64, kv_tokens: f64, row_context: f64) -> f64 {
        match self.decode_surface {
            DecodeSurfaceKind::ProfilerSweep => r.profiler_decode_ms(batch, kv_tokens, row_context),
            DecodeSurfaceKind::Step => r.decode_ms(batch, kv_tokens),
        }
    }
}

/// The raw arrays of a synthesised engine, exactly as written to the npz files.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthArrays {
    /// Prefill ISLs, tokens.
    pub prefill_isl: Vec<i64>,
    /// TTFT at each ISL, ms.
    pub prefill_ttft: Vec<f64>,
    /// Prefill throughput, tokens/s/GPU.
    pub prefill_thpt_per_gpu: Vec<f64>,
    /// kv_usage of each decode point.
    pub x_kv_usage: Vec<f64>,
    /// Context length of each decode point, tokens.
    pub y_context_length: Vec<f64>,
    /// ITL of each decode point, ms.
    pub z_itl: Vec<f64>,
    /// Decode throughput of each point, tokens/s/GPU.
    pub z_thpt_per_gpu: Vec<f64>,
    /// KV capacity of the engine, tokens.
    pub max_kv_tokens: i64,
    /// Tensor-parallel size.
    pub tp: u32,
}

fn linspace_round(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if n <= 1 || hi <= lo {
        return vec![lo.round()];
    }
    (0..n)
        .map(|i| (lo + (hi - lo) * i as f64 / (n - 1) as f64).round())
        .collect()
}

/// `n` values from `lo` to `hi` (both > 0) evenly spaced on a log axis, rounded.
fn geomspace_round(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if n <= 1 || hi <= lo {
        return vec![lo.round()];
    }
    let k = (hi / lo).ln();
    (0..n)
        .map(|i| (lo * (k * i as f64 / (n - 1) as f64).exp()).round())
        .collect()
}

/// The decode grid's row ISLs: geometric from 100 to `isl_hi`, at least `rows` of them and
/// enough that neighbours are within [`MAX_ROW_RATIO`] (before rounding), de-duplicated.
fn decode_row_isls(isl_hi: f64, rows: usize) -> Vec<f64> {
    let lo = 100.0;
    if isl_hi <= lo {
        return vec![lo];
    }
    let needed = ((isl_hi / lo).ln() / MAX_ROW_RATIO.ln()).ceil() as usize + 1;
    let mut v = geomspace_round(lo, isl_hi, rows.max(needed).max(2));
    v.dedup();
    v
}

/// The batch sizes of one decode row: 1 to `n_max`, `points` evenly spaced ∪ `points`
/// geometrically spaced, sorted and de-duplicated.
fn decode_row_batches(n_max: f64, points: usize) -> Vec<f64> {
    let mut v = linspace_round(1.0, n_max, points.max(1));
    v.extend(geomspace_round(1.0, n_max, points.max(1)));
    v.sort_by(f64::total_cmp);
    v.dedup();
    v
}

/// Computes the grids of one engine.
pub fn synth_arrays(r: &Roofline, o: &SynthOptions) -> Result<SynthArrays> {
    if !(o.mem_util > 0.0 && o.mem_util <= 1.0) {
        return Err(Error::usage(
            "--mem-util",
            format!("must be in (0, 1], got {}", o.mem_util),
        ));
    }
    if !(o.activation_reserve_gb >= 0.0 && o.activation_reserve_gb.is_finite()) {
        return Err(Error::usage(
            "--activation-reserve-gb",
            format!("must be ≥ 0, got {}", o.activation_reserve_gb),
        ));
    }
    let max_kv = r.kv_capacity_tokens(o.mem_util, o.activation_reserve_gb)?;
    let max_ctx = o
        .max_context
        .unwrap_or_else(|| r.model.max_position_embeddings.unwrap_or(32768).min(max_kv))
        .max(200);
    let tp = r.tp as f64;
    // Prefill curve.
    let prefill_isl: Vec<i64> = linspace_round(100.0, max_ctx as f64, o.prefill_points.max(2))
        .into_iter()
        .map(|x| x as i64)
        .collect();
    let mut prefill_ttft = Vec::with_capacity(prefill_isl.len());
    let mut prefill_thpt = Vec::with_capacity(prefill_isl.len());
    for &s in &prefill_isl {
        let s = s as f64;
        let t = o.prefill_point_ms(r, s);
        prefill_ttft.push(t);
        prefill_thpt.push(s / t * 1000.0 / tp);
    }
    // Decode surface.
    let osl = o.decode_osl as f64;
    let decode_max = o.decode_max_context.unwrap_or(max_ctx).max(200);
    let isl_hi = (decode_max as f64 - osl).max(100.0);
    let mut x = Vec::new();
    let mut y = Vec::new();
    let mut z = Vec::new();
    let mut zt = Vec::new();
    let kv = max_kv as f64;
    for isl in decode_row_isls(isl_hi, o.decode_rows) {
        let ctx = isl + osl / 2.0;
        // (the margin keeps n_max · ctx / kv at or below the bound after rounding)
        let n_max = (MAX_KV_USAGE * kv / ctx * (1.0 - 1e-12))
            .floor()
            .min(o.max_batch as f64);
        if n_max < 1.0 {
            continue;
        }
        for n in decode_row_batches(n_max, o.decode_points) {
            let u = n * ctx / kv;
            if u > MAX_KV_USAGE {
                continue;
            }
            let itl = o.decode_point_ms(r, n, n * ctx, ctx);
            x.push(u);
            y.push(ctx);
            z.push(itl);
            zt.push(n / itl * 1000.0 / tp);
        }
    }
    if x.is_empty() {
        return Err(Error::usage(
            "--max-context",
            format!("the KV cache ({max_kv} tokens) holds no request of the decode grid; lower --max-context"),
        ));
    }
    Ok(SynthArrays {
        prefill_isl,
        prefill_ttft,
        prefill_thpt_per_gpu: prefill_thpt,
        x_kv_usage: x,
        y_context_length: y,
        z_itl: z,
        z_thpt_per_gpu: zt,
        max_kv_tokens: max_kv as i64,
        tp: r.tp,
    })
}

/// The engines of a synthesised profile: a prefill engine and a decode engine at the same TP —
/// exactly what the loader builds from the written profiler directory.
pub fn engines_from_arrays(a: &SynthArrays, file: &str) -> Result<Vec<EngineProfile>> {
    let prefill = PrefillCurve::new(
        file,
        a.prefill_isl.iter().map(|&s| s as f64).collect(),
        a.prefill_ttft.clone(),
        a.prefill_thpt_per_gpu.clone(),
        a.tp,
    )?;
    let pts: Vec<DecodePoint> = (0..a.x_kv_usage.len())
        .map(|i| DecodePoint {
            kv_usage: a.x_kv_usage[i],
            context: a.y_context_length[i],
            itl_ms: a.z_itl[i],
            thpt_per_gpu: a.z_thpt_per_gpu[i],
        })
        .collect();
    let decode = DecodeSurface::from_points(file, &pts, a.max_kv_tokens as f64, a.tp, MAX_KV_USAGE)?;
    Ok(vec![
        EngineProfile {
            role: Role::Prefill,
            tp: a.tp,
            prefill: Some(prefill),
            decode: None,
            kv_capacity_override: None,
            kv_capacity_note: None,
        },
        EngineProfile {
            role: Role::Decode,
            tp: a.tp,
            prefill: None,
            decode: Some(decode),
            kv_capacity_override: None,
            kv_capacity_note: None,
        },
    ])
}

/// Synthesises the profile of `r` (origin [`Origin::Analytic`], backend "analytic").
pub fn synth_profile(r: &Roofline, o: &SynthOptions) -> Result<(Profile, SynthArrays)> {
    let a = synth_arrays(r, o)?;
    let engines = engines_from_arrays(&a, "(analytic)")?;
    let p = Profile {
        name: format!("analytic:{}/{}/tp{}/{}", r.model.name, r.gpu.name, r.tp, r.weights),
        model: r.model.name.clone(),
        gpu: r.gpu.name.clone(),
        backend: "analytic".into(),
        backend_version: None,
        origin: Origin::Analytic,
        description: Some(format!(
            "roofline model: {} on {} × {}, {} weights, {} KV cache",
            r.model.name, r.tp, r.gpu.name, r.weights, r.kv
        )),
        engines,
    };
    Ok((p, a))
}

fn npz_bytes(file: &Path, arrays: Vec<(&str, NpzArray)>) -> Result<Vec<u8>> {
    let err = |e: ndarray_npy::WriteNpzError| Error::data(file.display().to_string(), "(npz)", e.to_string());
    let mut w = NpzWriter::new(Cursor::new(Vec::new()));
    for (name, a) in arrays {
        match a {
            NpzArray::F64(v) => w.add_array(name, &Array1::from(v)).map_err(err)?,
            NpzArray::I64(v) => w.add_array(name, &Array1::from(v)).map_err(err)?,
        }
    }
    Ok(w.finish().map_err(err)?.into_inner())
}

enum NpzArray {
    F64(Vec<f64>),
    I64(Vec<i64>),
}

/// Writes the arrays as a Dynamo profiler output directory under `dir` (see the module docs),
/// each file atomically. `meta` is extra JSON merged into `profile_meta.json`.
pub fn write_profiler_dir(dir: &Path, a: &SynthArrays, model: &str, gpu: &str, meta: serde_json::Value) -> Result<()> {
    let pf = dir.join("selected_prefill_interpolation/raw_data.npz");
    let df = dir.join("selected_decode_interpolation/raw_data.npz");
    let pbytes = npz_bytes(
        &pf,
        vec![
            ("prefill_isl", NpzArray::I64(a.prefill_isl.clone())),
            ("prefill_ttft", NpzArray::F64(a.prefill_ttft.clone())),
            ("prefill_thpt_per_gpu", NpzArray::F64(a.prefill_thpt_per_gpu.clone())),
        ],
    )?;
    let dbytes = npz_bytes(
        &df,
        vec![
            ("x_kv_usage", NpzArray::F64(a.x_kv_usage.clone())),
            ("y_context_length", NpzArray::F64(a.y_context_length.clone())),
            ("z_itl", NpzArray::F64(a.z_itl.clone())),
            ("z_thpt_per_gpu", NpzArray::F64(a.z_thpt_per_gpu.clone())),
            ("max_kv_tokens", NpzArray::I64(vec![a.max_kv_tokens])),
        ],
    )?;
    let mut m = serde_json::json!({
        "model": model,
        "gpu": gpu,
        "backend": "analytic",
        "prefill_tp": a.tp,
        "decode_tp": a.tp,
    });
    if let (Some(mo), serde_json::Value::Object(extra)) = (m.as_object_mut(), meta) {
        for (k, v) in extra {
            mo.entry(k).or_insert(v);
        }
    }
    let mut mtext = serde_json::to_string_pretty(&m)
        .map_err(|e| Error::data(dir.display().to_string(), "profile_meta.json", e.to_string()))?;
    mtext.push('\n');
    write_atomic(&pf, &pbytes)?;
    write_atomic(&df, &dbytes)?;
    write_atomic(&dir.join("profile_meta.json"), mtext.as_bytes())?;
    Ok(())
}
