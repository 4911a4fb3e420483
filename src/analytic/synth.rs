//! Synthesising a [`Profile`] from the roofline model, and writing it in Dynamo's profiler
//! layout.
//!
//! The grids follow Dynamo's profiler (`benchmarks/profiler`):
//! * **prefill**: ISL from 100 to the maximum context in 17 evenly spaced points (rounded to
//!   whole tokens), TTFT from [`Roofline::ttft_ms`], throughput `ISL / TTFT · 1000 / TP`
//!   (tokens/s/GPU, the profiler's definition);
//! * **decode**: rows of constant context `y = isl + osl/2` for `isl` evenly spaced from 100 to
//!   `max_context − osl` (`osl` 500, the profiler's default), and in each row batch sizes `n`
//!   evenly spaced from 1 to the number of such requests that fit in the KV cache (capped at
//!   [`SynthOptions::max_batch`]), rounded and de-duplicated. Each point is
//!   `x_kv_usage = n·y / max_kv_tokens`, `y_context_length = y`, ITL from
//!   [`Roofline::decode_ms`]`(n, n·y)` — the pure decode step, which is what the simulator
//!   expects (it adds the prefill work of mixed iterations itself) — or, with
//!   [`SynthOptions::profiler_decode`], what Dynamo's closed-loop sweep would measure
//!   ([`Roofline::profiler_decode_ms`]); throughput `n / ITL · 1000 / TP`.
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
    /// Decode context rows.
    pub decode_rows: usize,
    /// Batch sizes per decode row (before de-duplication).
    pub decode_points: usize,
    /// Largest batch size on the decode grid (the simulator extrapolates beyond it).
    pub max_batch: u64,
    /// OSL of the decode sweep (rows sit at `isl + osl/2`), tokens (Dynamo: 500).
    pub decode_osl: u64,
    /// Decode surface as a Dynamo profiler sweep would measure it
    /// ([`Roofline::profiler_decode_ms`]: the step plus the interleaved prefills of replaced
    /// requests) instead of the pure decode step time (default; what the simulator expects, as
    /// it adds prefill work to iterations itself).
    pub profiler_decode: bool,
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
            decode_rows: 8,
            decode_points: 10,
            max_batch: 1024,
            decode_osl: 500,
            profiler_decode: false,
            exclude_ttft_overhead: false,
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
        let t = if o.exclude_ttft_overhead {
            r.prefill_engine_ms(s, 0.0)
        } else {
            r.ttft_ms(s)
        };
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
    let mut rows: Vec<f64> = linspace_round(100.0, isl_hi, o.decode_rows.max(1));
    rows.dedup();
    for isl in rows {
        let ctx = isl + osl / 2.0;
        let fit = ((max_kv as f64) / (isl + osl)).floor().min(o.max_batch as f64);
        if fit < 1.0 {
            continue;
        }
        let mut ns = linspace_round(1.0, fit, o.decode_points.max(1));
        ns.dedup();
        for n in ns {
            let u = n * ctx / max_kv as f64;
            if u > MAX_KV_USAGE {
                continue;
            }
            let itl = if o.profiler_decode {
                r.profiler_decode_ms(n, n * ctx, ctx)
            } else {
                r.decode_ms(n, n * ctx)
            };
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
