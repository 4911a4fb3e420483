//! `slasim profile synth` and `slasim profile fit-roofline`: argument types and runners (the
//! `profile` command dispatches here).

use super::efficiency::{Efficiency, EfficiencyEntry, EfficiencyFile, SCHEMA};
use super::fit::{engine_error, fit_group, measured_engines, point_details, EngineError, MeasuredEngine};
use super::gpu::GpuCatalog;
use super::model::{Dtype, ModelSpec};
use super::optimize::SearchOptions;
use super::silicon::{self, PreparedRow, RowsError, SiliconSimOptions};
use super::step::{Roofline, DEFAULT_ACTIVATION_RESERVE_GB, DEFAULT_MEM_UTIL};
use super::synth::{synth_profile, write_profiler_dir, DecodeSurfaceKind, SynthOptions};
use crate::error::{Error, Result};
use crate::output::{text_table, write_json};
use clap::Args;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// `slasim profile synth`: write an analytic profile in Dynamo's profiler layout.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:
  slasim profile synth --model Qwen/Qwen3-32B --gpu h100_sxm --tp 2 \\
    --dtype fp8 --out qwen32b-h100-tp2")]
pub struct SynthArgs {
    /// Model card: a shipped Hugging Face id (e.g. Qwen/Qwen3-32B) or a path to a config.json.
    #[arg(long)]
    pub model: String,
    /// GPU name (h100_sxm, h200_sxm, a100_sxm, a100_pcie, l40s, b200_sxm, or one from --gpu-catalog).
    #[arg(long)]
    pub gpu: String,
    /// Tensor-parallel size (GPUs per engine).
    #[arg(long)]
    pub tp: u32,
    /// Weight dtype of the linear layers: bf16, fp16 or fp8.
    #[arg(long, default_value = "bf16")]
    pub dtype: String,
    /// KV-cache dtype: bf16, fp16 or fp8.
    #[arg(long, default_value = "bf16")]
    pub kv_dtype: String,
    /// Efficiency factors (EFF.json from `profile fit-roofline`); default: uncalibrated typical values.
    #[arg(long, value_name = "EFF.json")]
    pub efficiency: Option<PathBuf>,
    /// Backend whose fitted factors to take from --efficiency (when it has several for the GPU).
    #[arg(long)]
    pub backend: Option<String>,
    /// Extra GPUs (TOML, same schema as profiles/gpus.toml); entries replace built-ins by name.
    #[arg(long, value_name = "FILE.toml")]
    pub gpu_catalog: Option<PathBuf>,
    /// Fraction of GPU memory the engine may use (vLLM's gpu_memory_utilization).
    #[arg(long, default_value_t = DEFAULT_MEM_UTIL)]
    pub mem_util: f64,
    /// Memory reserved per GPU for activations, CUDA graphs and allocator slack, GB.
    #[arg(long, default_value_t = DEFAULT_ACTIVATION_RESERVE_GB)]
    pub activation_reserve_gb: f64,
    /// Largest ISL / context of the grids, tokens (default: min(max_position_embeddings, KV capacity)).
    #[arg(long)]
    pub max_context: Option<u64>,
    /// What the decode surface holds: `profiler-sweep` (default), the ITL Dynamo's profiler
    /// decode sweep measures (decode steps plus the interleaved prefills of replaced requests,
    /// scaled by the factors' `interference`), the quantity measured profiles hold and
    /// fit-roofline fits; or `step`, pure decode-step times.
    #[arg(long, value_enum, default_value_t = DecodeSurfaceKind::ProfilerSweep)]
    pub decode_surface: DecodeSurfaceKind,
    /// Old spelling of `--decode-surface profiler-sweep` (now the default; deprecated).
    #[arg(long, hide = true)]
    pub profiler_decode: bool,
    /// Output directory (gets selected_{prefill,decode}_interpolation/raw_data.npz and profile_meta.json).
    #[arg(long)]
    pub out: PathBuf,
    /// Print a JSON summary instead of text; `--json FILE` writes FILE (and prints the text).
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-",
          value_parser = crate::cli::args::json_out)]
    pub json: Option<crate::cli::args::JsonOut>,
}

/// `slasim profile fit-roofline`: fit the roofline efficiency factors.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:
  slasim profile fit-roofline --measured llama-3.3-70b-fp8/h100/vllm \\
    --tp 2 --tp 4 --efficiency-out eff.json")]
pub struct FitRooflineArgs {
    /// Shipped profile to fit (repeatable; `all` = every shipped profile measured online, i.e.
    /// not an AIConfigurator estimate). Engines are grouped and fitted per GPU/backend.
    #[arg(long, value_name = "NAME")]
    pub measured: Vec<String>,
    /// Fit only the engines of --measured profiles at these TPs (repeatable); the others are
    /// reported as held out (e.g. leave-one-TP-out).
    #[arg(long, value_name = "N")]
    pub tp: Vec<u32>,
    /// Shipped profile to report with the fitted factors without fitting on it (repeatable).
    #[arg(long, value_name = "NAME")]
    pub holdout: Vec<String>,
    /// AIConfigurator silicon CSV to fit by simulating each row (repeatable; see calibration/silicon/).
    #[arg(long, value_name = "FILE.csv", conflicts_with_all = ["measured", "holdout"])]
    pub silicon: Vec<PathBuf>,
    /// Silicon: model card for every row (default: each row's model_path).
    #[arg(long)]
    pub model: Option<String>,
    /// Silicon: KV-cache dtype of the measured engines: bf16, fp8, or `auto` (FP8 for FP8 rows
    /// on TRT-LLM, else BF16).
    #[arg(long, default_value = "auto")]
    pub kv_dtype: String,
    /// Silicon: fraction of each GPU/backend group's rows fitted (the rest held out).
    #[arg(long, default_value_t = 0.5)]
    pub train_fraction: f64,
    /// Silicon: seed of the fit/hold-out split.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Silicon: simulated requests per unit of concurrency (waves of the closed loop).
    #[arg(long, default_value_t = 5.0)]
    pub requests_per_concurrency: f64,
    /// Silicon: relative spread j of the simulated OSL, uniform in osl·[1−j, 1+j] (desynchronises
    /// the closed loop as real benchmarks do; 0 = fixed OSL).
    #[arg(long, default_value_t = 0.5)]
    pub osl_jitter: f64,
    /// Silicon: simulator scheduler.
    #[arg(long, value_enum, default_value_t = crate::sim::deployment::SchedulerKind::Vllm)]
    pub scheduler: crate::sim::deployment::SchedulerKind,
    /// Silicon: leave the first wave (all requests sent at time 0) out of the simulated means, as
    /// warm-up (default: included, as AIPerf-style benchmarks report).
    #[arg(long)]
    pub exclude_first_wave: bool,
    /// Silicon: cap on simulated requests per row.
    #[arg(long, default_value_t = 2560)]
    pub max_requests: u64,
    /// Extra GPUs (TOML, same schema as profiles/gpus.toml).
    #[arg(long, value_name = "FILE.toml")]
    pub gpu_catalog: Option<PathBuf>,
    /// Search starts besides the initial factors (default 8 for --measured, 0 for --silicon).
    #[arg(long)]
    pub starts: Option<usize>,
    /// Nelder–Mead iterations per start (default 4000 for --measured, 120 for --silicon; old
    /// spelling: --iters).
    #[arg(long, alias = "iters")]
    pub max_iters: Option<u64>,
    /// Weight of the prior pulling factors toward their typical values.
    #[arg(long, default_value_t = 3e-4)]
    pub prior_weight: f64,
    /// Write the fitted factors to FILE (EFF.json, read by `profile synth --efficiency`).
    #[arg(long, value_name = "EFF.json")]
    pub efficiency_out: Option<PathBuf>,
    /// Old spelling of --efficiency-out (deprecated: `--out` is a folder in every command).
    #[arg(long, value_name = "EFF.json", hide = true, conflicts_with = "efficiency_out")]
    pub out: Option<PathBuf>,
    /// Print the report as JSON instead of a table; `--json FILE` writes FILE (and prints the
    /// table).
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-",
          value_parser = crate::cli::args::json_out)]
    pub json: Option<crate::cli::args::JsonOut>,
}

fn dtype_flag(flag: &str, s: &str) -> Result<Dtype> {
    Dtype::parse(s).ok_or_else(|| Error::usage(flag, format!("`{s}` is not a dtype; expected bf16, fp16 or fp8")))
}

fn tp_flag(tp: u32) -> Result<u32> {
    if tp == 0 || tp > 1024 {
        return Err(Error::usage("--tp", format!("must be in 1..=1024, got {tp}")));
    }
    Ok(tp)
}

/// Runs `profile synth`.
pub fn run_synth(a: SynthArgs) -> Result<i32> {
    let catalog = GpuCatalog::load(a.gpu_catalog.as_deref())?;
    let model = ModelSpec::resolve(&a.model)?;
    let gpu = catalog.get(&a.gpu)?.clone();
    let tp = tp_flag(a.tp)?;
    let weights = dtype_flag("--dtype", &a.dtype)?;
    let kv = dtype_flag("--kv-dtype", &a.kv_dtype)?;
    let (eff, eff_note) = match &a.efficiency {
        None => (Efficiency::default(), "uncalibrated defaults".to_string()),
        Some(p) => {
            let f = EfficiencyFile::load(p)?;
            let file = p.display().to_string();
            let (e, exact) = f.pick(&gpu.name, a.backend.as_deref(), &file)?;
            let note = format!("{file}: entry {}/{}", e.gpu, e.backend);
            if !exact {
                eprintln!(
                    "note: {file} has no entry for {}; using {}/{}",
                    gpu.name, e.gpu, e.backend
                );
            }
            (e.efficiency, note)
        }
    };
    if a.profiler_decode {
        if a.decode_surface != DecodeSurfaceKind::ProfilerSweep {
            return Err(Error::usage(
                "--profiler-decode",
                "contradicts --decode-surface step; give one of them",
            ));
        }
        crate::cli::args::deprecated("--profiler-decode", "--decode-surface profiler-sweep (the default)");
    }
    let r = Roofline::new(model, gpu, tp, weights, kv, eff)?;
    let o = SynthOptions {
        mem_util: a.mem_util,
        activation_reserve_gb: a.activation_reserve_gb,
        max_context: a.max_context,
        decode_surface: a.decode_surface,
        ..SynthOptions::default()
    };
    if let Some(m) = a.max_context {
        if m < 200 {
            return Err(Error::usage("--max-context", format!("must be ≥ 200 tokens, got {m}")));
        }
    }
    let (profile, arrays) = synth_profile(&r, &o)?;
    let meta = serde_json::json!({
        "origin": "analytic",
        "generator": "slasim profile synth",
        "weight_dtype": weights.to_string(),
        "kv_dtype": kv.to_string(),
        "efficiency": eff,
        "efficiency_source": eff_note,
        "mem_util": a.mem_util,
        "activation_reserve_gb": a.activation_reserve_gb,
        "max_kv_tokens": arrays.max_kv_tokens,
        "decode_surface": a.decode_surface.name(),
    });
    write_profiler_dir(&a.out, &arrays, &r.model.name, &r.gpu.name, meta)?;
    let summary = serde_json::json!({
        "out": a.out.display().to_string(),
        "model": r.model.name,
        "gpu": r.gpu.name,
        "tp": tp,
        "weight_dtype": weights.to_string(),
        "kv_dtype": kv.to_string(),
        "params": r.model.params_total(),
        "params_active": r.model.params_active(),
        "weight_gb_per_gpu": r.weight_bytes_per_gpu() / 1e9,
        "kv_bytes_per_token": r.model.kv_bytes_per_token(kv),
        "max_kv_tokens": arrays.max_kv_tokens,
        "prefill_points": arrays.prefill_isl.len(),
        "decode_points": arrays.x_kv_usage.len(),
        "ttft_ms_at": {"1024": o.prefill_point_ms(&r, 1024.0), "4096": o.prefill_point_ms(&r, 4096.0)},
        "itl_ms_batch1_ctx1024": o.decode_point_ms(&r, 1.0, 1024.0, 1024.0),
        "efficiency_source": eff_note,
    });
    if let Some(j) = &a.json {
        j.write(&summary)?;
    }
    if !crate::cli::args::json_to_stdout(&a.json) {
        println!(
            "{}: {} on {} × {} ({} weights, {} KV): {:.2} B params, {:.1} GB weights/GPU, {} B KV/token, max_kv_tokens {}",
            profile.name,
            r.model.name,
            tp,
            r.gpu.name,
            weights,
            kv,
            r.model.params_total() as f64 / 1e9,
            r.weight_bytes_per_gpu() / 1e9,
            r.model.kv_bytes_per_token(kv),
            arrays.max_kv_tokens
        );
        println!(
            "TTFT(1024) = {:.1} ms, TTFT(4096) = {:.1} ms, ITL(batch 1, ctx 1024) = {:.2} ms; factors: {eff_note}",
            o.prefill_point_ms(&r, 1024.0),
            o.prefill_point_ms(&r, 4096.0),
            o.decode_point_ms(&r, 1.0, 1024.0, 1024.0)
        );
        eprintln!("wrote {}", a.out.display());
    }
    Ok(0)
}

/// One engine's line of the measured-fit report.
#[derive(Debug, Clone, Serialize)]
pub struct EngineReport {
    /// Shipped profile name.
    pub profile: String,
    /// Engine role.
    pub role: String,
    /// Tensor-parallel size.
    pub tp: u32,
    /// GPU.
    pub gpu: String,
    /// Backend.
    pub backend: String,
    /// Model card.
    pub model_card: String,
    /// Profile origin (measured-online, aic-estimate).
    pub origin: String,
    /// True when the engine was not fitted on.
    pub holdout: bool,
    /// Prefill points compared.
    pub ttft_points: usize,
    /// Decode points compared.
    pub itl_points: usize,
    /// Errors of the profile `profile synth` writes with the uncalibrated default factors, at the
    /// measured points.
    pub uncalibrated: EngineError,
    /// Errors of the profile `profile synth` writes with the fitted factors of the engine's
    /// group (absent when no group applies), at the measured points.
    pub fitted: Option<EngineError>,
    /// Every point: measured and modelled (uncalibrated, fitted) times (see
    /// [`crate::analytic::fit::point_details`]).
    pub points: Vec<serde_json::Value>,
}

/// One GPU/backend group's fit.
#[derive(Debug, Clone, Serialize)]
pub struct GroupReport {
    /// GPU.
    pub gpu: String,
    /// Backend.
    pub backend: String,
    /// Engines fitted.
    pub fitted_on: Vec<String>,
    /// Fitted factors.
    pub efficiency: Efficiency,
    /// Data objective (mean squared log ratio, TTFT + ITL) before the fit.
    pub objective_before: f64,
    /// Data objective after the fit.
    pub objective_after: f64,
    /// Objective evaluations.
    pub evaluations: u64,
}

fn fmt_pct(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "-".into())
}

fn search_options(a: &FitRooflineArgs, starts: usize, iters: u64, polish: usize) -> Result<SearchOptions> {
    if !(a.prior_weight >= 0.0 && a.prior_weight.is_finite()) {
        return Err(Error::usage(
            "--prior-weight",
            format!("must be ≥ 0, got {}", a.prior_weight),
        ));
    }
    let o = SearchOptions {
        starts: a.starts.unwrap_or(starts),
        max_iters: a.max_iters.unwrap_or(iters),
        prior_weight: a.prior_weight,
        polish,
        free: Vec::new(),
    };
    if o.max_iters == 0 || o.max_iters > 1_000_000 || o.starts > 256 {
        return Err(Error::usage(
            "--max-iters",
            "iterations must be in 1..=1000000 and starts ≤ 256",
        ));
    }
    Ok(o)
}

/// Runs `profile fit-roofline`.
pub fn run_fit(mut a: FitRooflineArgs) -> Result<i32> {
    if let Some(p) = a.out.take() {
        crate::cli::args::deprecated("--out FILE", "--efficiency-out FILE");
        a.efficiency_out = Some(p);
    }
    let catalog = GpuCatalog::load(a.gpu_catalog.as_deref())?;
    if !a.silicon.is_empty() {
        return run_fit_silicon(&a, &catalog);
    }
    if a.measured.is_empty() {
        return Err(Error::usage(
            "profile fit-roofline",
            "give --measured NAME (a shipped profile, or `all`) or --silicon FILE.csv",
        ));
    }
    for t in &a.tp {
        tp_flag(*t)?;
    }
    let expand = |names: &[String]| -> Vec<String> {
        let mut v = Vec::new();
        for n in names {
            if n == "all" {
                for name in crate::profile::shipped::names() {
                    if let Some(Ok(m)) = crate::profile::shipped::manifest(name) {
                        if m.origin == crate::profile::Origin::MeasuredOnline {
                            v.push(name.to_string());
                        }
                    }
                }
            } else {
                v.push(n.clone());
            }
        }
        v.dedup();
        v
    };
    let measured = expand(&a.measured);
    let holdout: Vec<String> = expand(&a.holdout)
        .into_iter()
        .filter(|n| !measured.contains(n))
        .collect();
    let mut engines: Vec<(MeasuredEngine, bool)> = Vec::new();
    for n in &measured {
        for e in measured_engines(n, &catalog)? {
            let fitted = a.tp.is_empty() || a.tp.contains(&e.tp);
            engines.push((e, !fitted));
        }
    }
    for n in &holdout {
        for e in measured_engines(n, &catalog)? {
            engines.push((e, true));
        }
    }
    if !a.tp.is_empty() && !engines.iter().any(|(_, h)| !h) {
        return Err(Error::usage(
            "--tp",
            "no engine of the --measured profiles has these TPs",
        ));
    }
    let so = search_options(&a, 8, 4000, 2)?;
    let mut groups: BTreeMap<(String, String), Vec<&MeasuredEngine>> = BTreeMap::new();
    for (e, h) in &engines {
        if !h {
            groups.entry((e.gpu.clone(), e.backend.clone())).or_default().push(e);
        }
    }
    let mut group_reports = Vec::new();
    for ((gpu, backend), es) in &groups {
        let r = fit_group(es, Efficiency::default(), &so);
        group_reports.push(GroupReport {
            gpu: gpu.clone(),
            backend: backend.clone(),
            fitted_on: es.iter().map(|e| e.label()).collect(),
            efficiency: r.best,
            objective_before: r.objective_before,
            objective_after: r.objective_after,
            evaluations: r.evaluations,
        });
    }
    let group_for = |e: &MeasuredEngine| -> Option<&GroupReport> {
        group_reports
            .iter()
            .find(|g| g.gpu == e.gpu && g.backend == e.backend)
            .or_else(|| {
                let same_be: Vec<&GroupReport> = group_reports.iter().filter(|g| g.backend == e.backend).collect();
                (same_be.len() == 1).then(|| same_be[0])
            })
            .or_else(|| (group_reports.len() == 1).then(|| &group_reports[0]))
    };
    // every reported error is that of the profile `profile synth` writes with the same factors,
    // queried at the measured points (see crate::analytic::fit)
    let reports: Vec<EngineReport> = engines
        .iter()
        .map(|(e, h)| {
            Ok(EngineReport {
                profile: e.profile.clone(),
                role: e.role.to_string(),
                tp: e.tp,
                gpu: e.gpu.clone(),
                backend: e.backend.clone(),
                model_card: e.model_card.clone(),
                origin: e.origin.clone(),
                holdout: *h,
                ttft_points: e.ttft.len(),
                itl_points: e.itl.len(),
                uncalibrated: engine_error(e, &Efficiency::default())?,
                fitted: group_for(e).map(|g| engine_error(e, &g.efficiency)).transpose()?,
                points: point_details(e, &Efficiency::default(), group_for(e).map(|g| &g.efficiency))?,
            })
        })
        .collect::<Result<_>>()?;
    if let Some(out) = &a.efficiency_out {
        let file = EfficiencyFile {
            schema: SCHEMA.into(),
            entries: group_reports
                .iter()
                .map(|g| {
                    let mine: Vec<&EngineReport> = reports
                        .iter()
                        .filter(|r| !r.holdout && r.gpu == g.gpu && r.backend == g.backend)
                        .collect();
                    EfficiencyEntry {
                        gpu: g.gpu.clone(),
                        backend: g.backend.clone(),
                        efficiency: g.efficiency,
                        fitted_on: g.fitted_on.clone(),
                        mape_pct: Some(serde_json::json!(mine
                            .iter()
                            .map(|r| (
                                format!("{} TP{} {}", r.profile, r.tp, r.role),
                                serde_json::json!({
                                    "ttft": r.fitted.and_then(|f| f.ttft_mape_pct),
                                    "itl": r.fitted.and_then(|f| f.itl_mape_pct)
                                })
                            ))
                            .collect::<serde_json::Map<_, _>>())),
                    }
                })
                .collect(),
        };
        write_json(out, &file)?;
    }
    if let Some(j) = &a.json {
        j.write(&serde_json::json!({"groups": group_reports, "engines": reports}))?;
    }
    if !crate::cli::args::json_to_stdout(&a.json) {
        let mut rows = vec![vec![
            "profile".to_string(),
            "engine".into(),
            "set".into(),
            "TTFT pts".into(),
            "TTFT MAPE % uncal".into(),
            "TTFT MAPE % fitted".into(),
            "ITL pts".into(),
            "ITL MAPE % uncal".into(),
            "ITL MAPE % fitted".into(),
        ]];
        for r in &reports {
            rows.push(vec![
                r.profile.clone(),
                format!("{} TP{}", r.role, r.tp),
                if r.holdout { "holdout".into() } else { "fit".into() },
                r.ttft_points.to_string(),
                fmt_pct(r.uncalibrated.ttft_mape_pct),
                fmt_pct(r.fitted.and_then(|f| f.ttft_mape_pct)),
                r.itl_points.to_string(),
                fmt_pct(r.uncalibrated.itl_mape_pct),
                fmt_pct(r.fitted.and_then(|f| f.itl_mape_pct)),
            ]);
        }
        print!("{}", text_table(&rows));
        for g in &group_reports {
            println!(
                "{}/{}: objective {:.4} → {:.4} ({} evaluations); factors {}",
                g.gpu,
                g.backend,
                g.objective_before,
                g.objective_after,
                g.evaluations,
                serde_json::to_string(&g.efficiency).unwrap_or_default()
            );
        }
    }
    if let Some(out) = &a.efficiency_out {
        eprintln!("wrote {}", out.display());
    }
    Ok(0)
}

/// One GPU/backend group of a silicon fit.
#[derive(Debug, Clone, Serialize)]
pub struct SiliconGroupReport {
    /// GPU.
    pub gpu: String,
    /// Backend.
    pub backend: String,
    /// Source files of the rows.
    pub files: Vec<String>,
    /// Fitted factors.
    pub efficiency: Efficiency,
    /// Errors on the fitted rows with the uncalibrated factors.
    pub train_uncalibrated: RowsError,
    /// Errors on the held-out rows with the uncalibrated factors.
    pub test_uncalibrated: RowsError,
    /// Errors on the fitted rows after the fit.
    pub train_fitted: RowsError,
    /// Errors on the held-out rows with the fitted factors.
    pub test_fitted: RowsError,
    /// Data objective before and after.
    pub objective_before: f64,
    /// Data objective after the fit.
    pub objective_after: f64,
    /// Objective evaluations (each simulates every fitted row).
    pub evaluations: u64,
    /// Per-row detail: id, set, measured and simulated (uncalibrated, fitted) TTFT and TPOT.
    pub rows: Vec<serde_json::Value>,
}

fn run_fit_silicon(a: &FitRooflineArgs, catalog: &GpuCatalog) -> Result<i32> {
    if !(a.train_fraction > 0.0 && a.train_fraction < 1.0) {
        return Err(Error::usage(
            "--train-fraction",
            format!("must be in (0, 1), got {}", a.train_fraction),
        ));
    }
    if !(a.requests_per_concurrency >= 1.0 && a.requests_per_concurrency <= 1000.0) {
        return Err(Error::usage(
            "--requests-per-concurrency",
            format!("must be in [1, 1000], got {}", a.requests_per_concurrency),
        ));
    }
    if a.max_requests == 0 {
        return Err(Error::usage("--max-requests", "must be ≥ 1"));
    }
    let sim = SiliconSimOptions {
        requests_per_concurrency: a.requests_per_concurrency,
        max_requests: a.max_requests,
        kv: if a.kv_dtype == "auto" {
            Dtype::Bf16
        } else {
            dtype_flag("--kv-dtype", &a.kv_dtype)?
        },
        kv_auto: a.kv_dtype == "auto",
        exclude_first_wave: a.exclude_first_wave,
        osl_jitter: a.osl_jitter,
        scheduler: a.scheduler,
    };
    if !(0.0..0.95).contains(&sim.osl_jitter) {
        return Err(Error::usage(
            "--osl-jitter",
            format!("must be in [0, 0.95), got {}", sim.osl_jitter),
        ));
    }
    let so = search_options(a, 0, 120, 1)?;
    let mut all: Vec<(String, PreparedRow)> = Vec::new();
    for f in &a.silicon {
        let (rows, skipped) = silicon::read_csv(f, a.model.as_deref())?;
        if skipped > 0 {
            eprintln!("note: {}: skipped {skipped} rows (not agg, or PP > 1)", f.display());
        }
        for p in silicon::prepare(rows, catalog, &sim)? {
            all.push((f.display().to_string(), p));
        }
    }
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, (_, p)) in all.iter().enumerate() {
        groups
            .entry((p.row.gpu.clone(), p.row.backend.clone()))
            .or_default()
            .push(i);
    }
    let mut reports = Vec::new();
    for ((gpu, backend), idx) in &groups {
        let (tr, te) = silicon::split(idx.len(), a.train_fraction, a.seed);
        let train: Vec<&PreparedRow> = tr.iter().map(|&k| &all[idx[k]].1).collect();
        let test: Vec<&PreparedRow> = te.iter().map(|&k| &all[idx[k]].1).collect();
        let d = Efficiency::default();
        let mut so = so.clone();
        so.free = silicon::free_params(&train);
        let fit = silicon::fit_rows(&train, d, &so, &sim);
        let (tr_u, te_u) = (
            silicon::simulate_rows(&train, &d, &sim),
            silicon::simulate_rows(&test, &d, &sim),
        );
        let (tr_f, te_f) = (
            silicon::simulate_rows(&train, &fit.best, &sim),
            silicon::simulate_rows(&test, &fit.best, &sim),
        );
        let mut files: Vec<String> = idx.iter().map(|&i| all[i].0.clone()).collect();
        files.sort();
        files.dedup();
        let mut rows = Vec::new();
        for (set, rs, u, f) in [("fit", &train, &tr_u, &tr_f), ("holdout", &test, &te_u, &te_f)] {
            for (k, p) in rs.iter().enumerate() {
                rows.push(serde_json::json!({
                    "id": p.row.id, "set": set, "model": p.row.model, "tp": p.row.tp,
                    "weight_dtype": p.row.weights.to_string(),
                    "isl": p.row.isl, "osl": p.row.osl, "concurrency": p.row.concurrency,
                    "ttft_ms": p.row.ttft_ms, "tpot_ms": p.row.tpot_ms,
                    "uncalibrated": u[k].map(|(t, i)| serde_json::json!({"ttft_ms": t, "tpot_ms": i})),
                    "fitted": f[k].map(|(t, i)| serde_json::json!({"ttft_ms": t, "tpot_ms": i})),
                }));
            }
        }
        reports.push(SiliconGroupReport {
            gpu: gpu.clone(),
            backend: backend.clone(),
            files,
            efficiency: fit.best,
            train_uncalibrated: silicon::rows_error(&train, &tr_u),
            test_uncalibrated: silicon::rows_error(&test, &te_u),
            train_fitted: silicon::rows_error(&train, &tr_f),
            test_fitted: silicon::rows_error(&test, &te_f),
            objective_before: fit.objective_before,
            objective_after: fit.objective_after,
            evaluations: fit.evaluations,
            rows,
        });
    }
    if let Some(out) = &a.efficiency_out {
        let file = EfficiencyFile {
            schema: SCHEMA.into(),
            entries: reports
                .iter()
                .map(|g| EfficiencyEntry {
                    gpu: g.gpu.clone(),
                    backend: g.backend.clone(),
                    efficiency: g.efficiency,
                    fitted_on: g
                        .files
                        .iter()
                        .map(|f| format!("{f} ({} fitted rows, seed {})", g.train_fitted.rows, a.seed))
                        .collect(),
                    mape_pct: Some(serde_json::json!({
                        "fit": {"ttft": g.train_fitted.ttft_mape_pct, "tpot": g.train_fitted.tpot_mape_pct},
                        "holdout": {"ttft": g.test_fitted.ttft_mape_pct, "tpot": g.test_fitted.tpot_mape_pct},
                    })),
                })
                .collect(),
        };
        write_json(out, &file)?;
    }
    if let Some(j) = &a.json {
        j.write(&serde_json::json!({"groups": reports}))?;
    }
    if !crate::cli::args::json_to_stdout(&a.json) {
        let mut rows = vec![vec![
            "GPU/backend".to_string(),
            "rows fit/holdout".into(),
            "TTFT MAPE % uncal (fit/holdout)".into(),
            "TPOT MAPE % uncal (fit/holdout)".into(),
            "TTFT MAPE % fitted (fit/holdout)".into(),
            "TPOT MAPE % fitted (fit/holdout)".into(),
        ]];
        for g in &reports {
            rows.push(vec![
                format!("{}/{}", g.gpu, g.backend),
                format!("{}/{}", g.train_fitted.rows, g.test_fitted.rows),
                format!(
                    "{:.1} / {:.1}",
                    g.train_uncalibrated.ttft_mape_pct, g.test_uncalibrated.ttft_mape_pct
                ),
                format!(
                    "{:.1} / {:.1}",
                    g.train_uncalibrated.tpot_mape_pct, g.test_uncalibrated.tpot_mape_pct
                ),
                format!(
                    "{:.1} / {:.1}",
                    g.train_fitted.ttft_mape_pct, g.test_fitted.ttft_mape_pct
                ),
                format!(
                    "{:.1} / {:.1}",
                    g.train_fitted.tpot_mape_pct, g.test_fitted.tpot_mape_pct
                ),
            ]);
        }
        print!("{}", text_table(&rows));
        for g in &reports {
            println!(
                "{}/{}: objective {:.4} → {:.4} ({} evaluations); factors {}",
                g.gpu,
                g.backend,
                g.objective_before,
                g.objective_after,
                g.evaluations,
                serde_json::to_string(&g.efficiency).unwrap_or_default()
            );
        }
    }
    if let Some(out) = &a.efficiency_out {
        eprintln!("wrote {}", out.display());
    }
    Ok(0)
}
