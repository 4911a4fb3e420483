//! Fitting the efficiency factors to measured operating points ("silicon" rows of NVIDIA
//! AIConfigurator's `silicon_sample.csv` layout; `fit-roofline --silicon FILE.csv`).
//!
//! # CSV layout
//! One row per measured serving config, with a header. Columns read (others are ignored):
//! `id`, `backend`, `model_path` (a shipped model card id; `--model` overrides), `system` (GPU
//! catalog name), `precision` / `gemm_quant_mode` (weights are FP8 when either contains "fp8",
//! else BF16), `mode` (only `agg` rows are used), `isl`, `osl`, `batch_size` (closed-loop
//! concurrency), `tp_size`, `pp_size` (rows with PP > 1 are skipped), `silicon_ttft_ms`,
//! `silicon_tpot_ms` (measured means, ms).
//!
//! # Simulating a row
//! The row's engine is synthesised ([`super::synth`]) with the candidate factors on grids sized
//! to the row (prefill ISLs up to the largest chunk total the scheduler can form, decode rows
//! spanning the contexts its requests pass through, batch sizes up to its concurrency), with the
//! per-request `ttft_ms` left out of the prefill curve and passed to the simulator as the
//! calibration's `frontend_latency_ms` (it delays the first token without occupying the engine).
//! The KV dtype is [`auto_kv_dtype`] unless given. The deployment is one aggregated replica at
//! the row's TP, `max_num_seqs` = concurrency, token budget max(8192, concurrency), block size
//! 16, the `vllm` scheduler (chunked prefill). The workload is a closed loop at the row's
//! concurrency with the row's ISL and an OSL uniform in `osl·[1 − j, 1 + j]` (j = 0.5, mean =
//! the row's OSL: a closed loop of identical requests stays in lock-step, every wave a burst of
//! simultaneous prefills, while real benchmarks desynchronise), `min(max(k·concurrency,
//! concurrency), cap)` requests (k = 5 waves, cap 2560), seed 1. Mean TTFT and mean TPOT over
//! the simulated requests (the first wave included, as AIPerf-style benchmarks report; it can be
//! left out) are compared with the row's.
//!
//! # Fit and hold-out
//! Rows are grouped by GPU and backend; each group's rows are shuffled with a seeded ChaCha8
//! stream and split: the first ⌈n·train_fraction⌉ are fitted, the rest held out. Objective: mean
//! over fitted rows of `ln(sim TTFT / TTFT)² + ln(sim TPOT / TPOT)²` (plus the prior of
//! [`super::optimize`]), searched over the factors of [`free_params`]. The report gives TTFT and
//! TPOT MAPE on both halves, before and after.

use super::efficiency::Efficiency;
use super::gpu::GpuCatalog;
use super::model::{Dtype, ModelSpec};
use super::optimize::{search, SearchOptions, SearchResult};
use super::step::Roofline;
use super::synth::{synth_profile, DecodeSurfaceKind, SynthOptions};
use crate::error::{read_file, Error, Result};
use crate::metrics::Sla;
use crate::sim::calibration::Calibration;
use crate::sim::deployment::{DeploymentOptions, Mode, SchedulerKind};
use crate::sim::router::RouterPolicy;
use crate::sim::{simulate, MetricsMode, SimSpec};
use crate::workload::{LengthDist, LengthModel, LoadSpec, WorkloadSpec};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// One measured operating point.
#[derive(Debug, Clone)]
pub struct SiliconRow {
    /// Row id (the CSV's `id`, or `FILE:line`).
    pub id: String,
    /// Backend.
    pub backend: String,
    /// GPU (catalog name).
    pub gpu: String,
    /// Model card id.
    pub model: String,
    /// Weight dtype.
    pub weights: Dtype,
    /// Prompt tokens.
    pub isl: u32,
    /// Output tokens.
    pub osl: u32,
    /// Closed-loop concurrency.
    pub concurrency: u32,
    /// Tensor-parallel size.
    pub tp: u32,
    /// Measured mean TTFT, ms.
    pub ttft_ms: f64,
    /// Measured mean TPOT, ms.
    pub tpot_ms: f64,
}

/// Reads a silicon CSV. Returns the usable rows and the number skipped (non-agg, PP > 1).
pub fn read_csv(path: &Path, model_override: Option<&str>) -> Result<(Vec<SiliconRow>, usize)> {
    let bytes = read_file(path)?;
    parse_csv(&path.display().to_string(), &bytes, model_override)
}

/// Like [`read_csv`], from the file's bytes; `file` names it in errors and row ids.
pub fn parse_csv(file: &str, bytes: &[u8], model_override: Option<&str>) -> Result<(Vec<SiliconRow>, usize)> {
    let file = file.to_string();
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let headers = rdr
        .headers()
        .map_err(|e| Error::data(&file, "(header)", format!("cannot read the CSV header: {e}")))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let need = |name: &str| -> Result<usize> {
        col(name).ok_or_else(|| {
            Error::data(
                &file,
                name,
                "missing column; the AIConfigurator silicon layout needs backend, model_path, system, isl, osl, batch_size, tp_size, silicon_ttft_ms, silicon_tpot_ms",
            )
        })
    };
    let c_backend = need("backend")?;
    let c_model = need("model_path")?;
    let c_system = need("system")?;
    let c_isl = need("isl")?;
    let c_osl = need("osl")?;
    let c_bs = need("batch_size")?;
    let c_tp = need("tp_size")?;
    let c_ttft = need("silicon_ttft_ms")?;
    let c_tpot = need("silicon_tpot_ms")?;
    let c_id = col("id");
    let c_prec = col("precision");
    let c_gemm = col("gemm_quant_mode");
    let c_mode = col("mode");
    let c_pp = col("pp_size");
    let mut rows = Vec::new();
    let mut skipped = 0;
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| Error::data(&file, format!("line {line}"), format!("is not valid CSV: {e}")))?;
        let get = |c: usize| rec.get(c).unwrap_or("").trim();
        let int = |c: usize, name: &str| -> Result<u32> {
            get(c).parse::<u32>().ok().filter(|v| *v > 0).ok_or_else(|| {
                Error::data(
                    &file,
                    format!("{name} (line {line})"),
                    format!("is `{}`; expected a positive integer", get(c)),
                )
            })
        };
        let num = |c: usize, name: &str| -> Result<f64> {
            get(c)
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0)
                .ok_or_else(|| {
                    Error::data(
                        &file,
                        format!("{name} (line {line})"),
                        format!("is `{}`; expected a positive number", get(c)),
                    )
                })
        };
        if let Some(m) = c_mode {
            if !get(m).is_empty() && get(m) != "agg" {
                skipped += 1;
                continue;
            }
        }
        if let Some(p) = c_pp {
            if !get(p).is_empty() && get(p) != "1" {
                skipped += 1;
                continue;
            }
        }
        let fp8 = [c_prec, c_gemm]
            .iter()
            .flatten()
            .any(|&c| get(c).to_ascii_lowercase().contains("fp8"));
        rows.push(SiliconRow {
            id: c_id
                .map(|c| get(c).to_string())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| format!("{file}:{line}")),
            backend: get(c_backend).to_string(),
            gpu: get(c_system).to_string(),
            model: model_override
                .map(str::to_string)
                .unwrap_or_else(|| get(c_model).to_string()),
            weights: if fp8 { Dtype::Fp8 } else { Dtype::Bf16 },
            isl: int(c_isl, "isl")?,
            osl: int(c_osl, "osl")?,
            concurrency: int(c_bs, "batch_size")?,
            tp: int(c_tp, "tp_size")?,
            ttft_ms: num(c_ttft, "silicon_ttft_ms")?,
            tpot_ms: num(c_tpot, "silicon_tpot_ms")?,
        });
    }
    if rows.is_empty() {
        return Err(Error::data(&file, "(rows)", "no usable rows (agg, PP 1)"));
    }
    Ok((rows, skipped))
}

/// Simulation size and fixed settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SiliconSimOptions {
    /// Requests per unit of concurrency.
    pub requests_per_concurrency: f64,
    /// Cap on requests per row.
    pub max_requests: u64,
    /// KV-cache dtype.
    pub kv: Dtype,
    /// Relative spread of the simulated OSL: uniform in `osl · [1 − j, 1 + j]` (mean `osl`).
    /// A closed loop of identical requests stays in lock-step (every wave arrives as a burst);
    /// real benchmarks desynchronise, so their mean TTFT is that of staggered arrivals. 0: fixed.
    pub osl_jitter: f64,
    /// Scheduler of the simulated engine. Default `vllm` (continuous batching with chunked
    /// prefill mixed into decode steps — vLLM's, and close to TRT-LLM's in-flight batching with
    /// chunked context); `prefill-first` changed the SGLang rows' errors by < 3 points.
    pub scheduler: SchedulerKind,
    /// Choose the KV dtype per row with [`auto_kv_dtype`] instead of `kv`.
    pub kv_auto: bool,
    /// Leave the first wave (the `concurrency` requests sent at time 0, whose prefills queue
    /// behind each other) out of the means, as warm-up. Default: included, as AIPerf-style
    /// benchmarks do.
    pub exclude_first_wave: bool,
}

impl Default for SiliconSimOptions {
    fn default() -> Self {
        SiliconSimOptions {
            requests_per_concurrency: 5.0,
            max_requests: 2560,
            kv: Dtype::Bf16,
            exclude_first_wave: false,
            osl_jitter: 0.5,
            scheduler: SchedulerKind::Vllm,
            kv_auto: true,
        }
    }
}

/// A row prepared for simulation: its roofline (factors replaced per evaluation).
#[derive(Debug, Clone)]
pub struct PreparedRow {
    /// The row.
    pub row: SiliconRow,
    /// Engine model.
    pub roofline: Roofline,
}

/// The KV-cache dtype a row most likely ran with (the CSV does not say): FP8 for FP8 rows on
/// TRT-LLM (its FP8 checkpoints — ModelOpt, and AIConfigurator's FP8 configs — quantise the KV
/// cache too), else BF16 (vLLM's and SGLang's `kv_cache_dtype` default `auto` keeps the model's
/// 16-bit activation dtype even with FP8 weights). On the shipped sets this choice lowers the
/// uncalibrated TRT-LLM TTFT MAPE from 333 % to 49 % (Llama-3.1-70B H200) and from 60 % to 35 %
/// (Qwen3-32B H100) and raises SGLang's TPOT error when applied to it.
pub fn auto_kv_dtype(row: &SiliconRow) -> Dtype {
    if row.weights == Dtype::Fp8 && row.backend.eq_ignore_ascii_case("trtllm") {
        Dtype::Fp8
    } else {
        Dtype::Bf16
    }
}

/// Resolves the rows' model cards and GPUs and checks their TPs.
pub fn prepare(rows: Vec<SiliconRow>, catalog: &GpuCatalog, o: &SiliconSimOptions) -> Result<Vec<PreparedRow>> {
    let mut cards: BTreeMap<String, ModelSpec> = BTreeMap::new();
    let mut out = Vec::new();
    for row in rows {
        if !cards.contains_key(&row.model) {
            let m = ModelSpec::resolve(&row.model).map_err(|e| {
                Error::usage(
                    "--silicon",
                    format!(
                        "row {}: model `{}`: {e} (use --model to name a card)",
                        row.id, row.model
                    ),
                )
            })?;
            cards.insert(row.model.clone(), m);
        }
        let gpu = catalog.get(&row.gpu)?.clone();
        let kv = if o.kv_auto { auto_kv_dtype(&row) } else { o.kv };
        let roofline = Roofline::new(
            cards[&row.model].clone(),
            gpu,
            row.tp,
            row.weights,
            kv,
            Efficiency::default(),
        )?;
        out.push(PreparedRow { row, roofline });
    }
    Ok(out)
}

/// Simulated mean TTFT and mean TPOT of a row with factors `eff`, ms.
pub fn simulate_row(p: &PreparedRow, eff: &Efficiency, o: &SiliconSimOptions) -> Result<(f64, f64)> {
    let r = p.roofline.with_eff(*eff);
    let c = p.row.concurrency;
    let budget = c.max(8192) as u64;
    let span = p.row.isl as u64 + p.row.osl as u64;
    // Grids sized to the row: prefill up to the largest chunk total the scheduler can form,
    // decode rows spanning the contexts the requests pass through, batches up to the concurrency.
    let so = SynthOptions {
        exclude_ttft_overhead: true,
        // the simulation recreates the benchmark's prefills itself: pure decode steps
        decode_surface: DecodeSurfaceKind::Step,
        max_context: Some(budget.max(span) + 1024),
        decode_max_context: Some(span + 500),
        max_batch: c as u64,
        ..SynthOptions::default()
    };
    let (profile, _) = synth_profile(&r, &so)?;
    let opts = DeploymentOptions {
        mode: Some(Mode::Agg),
        tp: Some(p.row.tp),
        max_num_seqs: Some(c),
        max_batched_tokens: Some(c.max(8192)),
        block_size: Some(16),
        scheduler: Some(o.scheduler),
        router: Some(RouterPolicy::LeastLoaded),
        chunked_prefill: Some(true),
        ..DeploymentOptions::default()
    };
    let deployment = opts.build(&profile)?;
    let n = ((o.requests_per_concurrency * c as f64).round() as u64)
        .max(c as u64)
        .min(o.max_requests.max(c as u64));
    let workload = WorkloadSpec::new(
        LoadSpec::Concurrency(c),
        if o.osl_jitter > 0.0 && p.row.osl > 2 {
            let osl = p.row.osl as f64;
            LengthModel::Dist {
                isl: LengthDist::Fixed(p.row.isl),
                osl: LengthDist::Uniform {
                    min: ((osl * (1.0 - o.osl_jitter)).round() as u32).max(2),
                    max: ((osl * (1.0 + o.osl_jitter)).round() as u32).max(2),
                },
            }
        } else {
            LengthModel::fixed(p.row.isl, p.row.osl)
        },
        Some(n),
        1,
    );
    let calibration = Calibration {
        frontend_latency_ms: eff.ttft_ms,
        ..Calibration::default()
    };
    let spec = SimSpec {
        deployment,
        workload,
        calibration,
        sla: Sla {
            ttft_ms: f64::INFINITY,
            itl_ms: f64::INFINITY,
        },
        metrics: MetricsMode::Exact,
        variability: Default::default(),
    };
    let out = simulate(&spec)?;
    let skip = if !o.exclude_first_wave || n <= c as u64 {
        0
    } else {
        c as u64
    };
    let (mut t, mut i, mut k, mut ki) = (0.0, 0.0, 0usize, 0usize);
    for r in out.collector.records() {
        if r.id < skip {
            continue;
        }
        t += r.ttft_ms();
        k += 1;
        if let Some(x) = r.itl_ms() {
            i += x;
            ki += 1;
        }
    }
    if k == 0 || ki == 0 {
        return Err(Error::usage(
            "--silicon",
            format!("row {}: no request completed in the simulation", p.row.id),
        ));
    }
    Ok((t / k as f64, i / ki as f64))
}

/// Simulated (TTFT, TPOT) of every row, in parallel; `None` where a simulation failed.
pub fn simulate_rows(rows: &[&PreparedRow], eff: &Efficiency, o: &SiliconSimOptions) -> Vec<Option<(f64, f64)>> {
    rows.par_iter().map(|p| simulate_row(p, eff, o).ok()).collect()
}

/// Mean squared log ratio of simulated vs measured TTFT plus the same for TPOT (∞ if any row
/// fails or gives no value).
pub fn objective(rows: &[&PreparedRow], eff: &Efficiency, o: &SiliconSimOptions) -> f64 {
    let sims = simulate_rows(rows, eff, o);
    let mut s = 0.0;
    for (p, sim) in rows.iter().zip(&sims) {
        match sim {
            Some((t, i)) if *t > 0.0 && *i > 0.0 => {
                s += (t / p.row.ttft_ms).ln().powi(2) + (i / p.row.tpot_ms).ln().powi(2);
            }
            _ => return f64::INFINITY,
        }
    }
    if rows.is_empty() {
        0.0
    } else {
        s / rows.len() as f64
    }
}

/// MAPE of TTFT and TPOT over rows, %.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct RowsError {
    /// Rows compared.
    pub rows: usize,
    /// TTFT MAPE, %.
    pub ttft_mape_pct: f64,
    /// TPOT MAPE, %.
    pub tpot_mape_pct: f64,
}

/// Errors over `rows` given their simulated values.
pub fn rows_error(rows: &[&PreparedRow], sims: &[Option<(f64, f64)>]) -> RowsError {
    let (mut t, mut i, mut n) = (0.0, 0.0, 0usize);
    for (p, s) in rows.iter().zip(sims) {
        if let Some((st, si)) = s {
            t += ((st - p.row.ttft_ms) / p.row.ttft_ms).abs() * 100.0;
            i += ((si - p.row.tpot_ms) / p.row.tpot_ms).abs() * 100.0;
            n += 1;
        }
    }
    let d = n.max(1) as f64;
    RowsError {
        rows: n,
        ttft_mape_pct: t / d,
        tpot_mape_pct: i / d,
    }
}

/// Seeded split of `n` indices: (fitted, held out).
pub fn split(n: usize, train_fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut idx: Vec<usize> = (0..n).collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    idx.shuffle(&mut rng);
    let k = ((n as f64 * train_fraction).ceil() as usize).clamp(usize::from(n > 0), n);
    let test = idx.split_off(k);
    (idx, test)
}

/// The factors a silicon fit searches: those mean TTFT/TPOT of aggregated serving are
/// sensitive to — the GEMM efficiency of the rows' weight dtype(s), attention compute, memory
/// and KV bandwidth, the all-reduce bandwidth when some row has TP > 1, and the per-step,
/// per-sequence and per-request overheads. The rest (GEMM size dependence, all-reduce latency,
/// per-layer cost, the profiler-only `interference`) keep their values: every simulation costs
/// milliseconds, and Nelder–Mead's evaluations grow with the dimension.
pub fn free_params(rows: &[&PreparedRow]) -> Vec<&'static str> {
    let mut v = Vec::new();
    let fp8 = |p: &&&PreparedRow| p.row.weights == Dtype::Fp8 && p.roofline.gpu.fp8_tflops.is_some();
    if rows.iter().any(|p| !fp8(&p)) {
        v.push("gemm");
    }
    if rows.iter().any(|p| fp8(&p)) {
        v.push("gemm_fp8");
    }
    v.extend(["attn", "mem", "attn_mem"]);
    if rows.iter().any(|p| p.row.tp > 1) {
        v.push("comm");
    }
    v.extend(["step_ms", "seq_us", "ttft_ms"]);
    v
}

/// Fits one group's fitted rows.
pub fn fit_rows(rows: &[&PreparedRow], initial: Efficiency, s: &SearchOptions, o: &SiliconSimOptions) -> SearchResult {
    let f = |e: &Efficiency| objective(rows, e, o);
    search(&f, initial, s)
}
