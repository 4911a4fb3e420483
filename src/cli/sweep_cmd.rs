//! `slasim sweep`: search deployment configurations for the best goodput per GPU under an SLA.
//! The library side is [`crate::search`]; this file parses flags, runs the configurations in
//! parallel (rayon, progress bar on stderr), checkpoints, and writes the outputs.

use super::args::{json_out, JsonOut, SlaFlags, WorkloadFlags};
use crate::error::{Error, Result};
use crate::output::write_atomic;
use crate::profile::Role;
use crate::search::checkpoint::{run_checkpointed, WallClock};
use crate::search::evaluate::{ConfigResult, EvalSettings, MAX_BISECT_STEPS, RPS_TOLERANCE};
use crate::search::report::{finalize, merge_shards, Report, ShardFile, SHARD_FORMAT};
use crate::search::resolve::{SourceRequest, Sources};
use crate::search::space::{Shard, SpaceLists, SpaceSpec};
use crate::search::{fingerprint, resolve_all, run_config, FixedKnobs};
use crate::sim::deployment::{Mode, SchedulerKind};
use crate::sim::router::RouterPolicy;
use crate::sim::summary::workload_json;
use clap::Args;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `slasim sweep`
#[derive(Debug, Args)]
#[command(after_help = "\
Ranks configurations by goodput per GPU at the largest Poisson request rate that meets the SLA \
(≥ --sla-quantile of requests within both the TTFT and ITL targets), and marks the Pareto front \
of output tokens/s/GPU vs tokens/s/user. Each configuration is also simulated at every level of \
the target workload (the simulate workload flags); with none, it is simulate's default: \
concurrency 1, 4, 7, 9 × 100 requests of ISL 2048 / OSL 256 (a note on stderr says so).

Examples:
  slasim sweep --model nvidia/Llama-3.3-70B-Instruct-FP8 --gpu h100_sxm \\
    --backend vllm --tp 2,4,8 --isl 2048 --osl 256 --concurrency 8 \\
    --json sweep.json --csv sweep.csv --plot front.png
  slasim sweep --space calibration/spaces/llama-3.3-70b-h100.toml \\
    --concurrency 8 --shard 0/2 --json shard-0.json
  slasim sweep --space calibration/spaces/llama-3.3-70b-h100.toml \\
    --concurrency 8 --shard 1/2 --json shard-1.json

The two shards combine with `slasim merge` (see its --help) into what the unsharded run writes.")]
pub struct SweepArgs {
    /// Model: a model id (matched against shipped profiles' model and model card) or a shipped
    /// model card / config.json path for analytic profiles.
    #[arg(long, help_heading = "Space")]
    pub model: Option<String>,
    /// GPU (AIConfigurator name: h100_sxm, h200_sxm, a100_sxm, …).
    #[arg(long, help_heading = "Space")]
    pub gpu: Option<String>,
    /// Backend of the measured profiles to use (vllm, trtllm, sglang).
    #[arg(long, help_heading = "Space")]
    pub backend: Option<String>,
    /// Use this profile (shipped name or path) instead of matching --model/--gpu/--backend.
    #[arg(long, help_heading = "Space")]
    pub profile: Option<String>,
    /// Search space TOML (schema: README, calibration/spaces/); flags override its keys.
    #[arg(long, value_name = "FILE.toml", help_heading = "Space")]
    pub space: Option<PathBuf>,
    /// Serving modes to try (default: the measured profiles' natural mode).
    #[arg(long, value_enum, value_delimiter = ',', help_heading = "Space")]
    pub mode: Vec<Mode>,
    /// Agg engine TPs (default: the TPs with measured data, else 1,2,4,8).
    #[arg(long, value_delimiter = ',', help_heading = "Space")]
    pub tp: Vec<u32>,
    /// Agg replica counts (default 1).
    #[arg(long, value_delimiter = ',', help_heading = "Space")]
    pub replicas: Vec<u32>,
    /// Disagg prefill-worker TPs (default: --tp, else the measured ones).
    #[arg(long, value_delimiter = ',', help_heading = "Space")]
    pub prefill_tp: Vec<u32>,
    /// Disagg decode-worker TPs (default: --tp, else the measured ones).
    #[arg(long, value_delimiter = ',', help_heading = "Space")]
    pub decode_tp: Vec<u32>,
    /// Disagg prefill-worker counts (default 1).
    #[arg(long, value_delimiter = ',', help_heading = "Space")]
    pub prefill_workers: Vec<u32>,
    /// Disagg decode-worker counts (default 1).
    #[arg(long, value_delimiter = ',', help_heading = "Space")]
    pub decode_workers: Vec<u32>,
    /// Batch-size caps per engine (default 256).
    #[arg(long, value_delimiter = ',', help_heading = "Space")]
    pub max_num_seqs: Vec<u32>,
    /// Schedulers (default vllm).
    #[arg(long, value_enum, value_delimiter = ',', help_heading = "Space")]
    pub scheduler: Vec<SchedulerKind>,
    /// Drop configurations using more GPUs than this.
    #[arg(long, value_name = "GPUS", help_heading = "Space")]
    pub gpu_budget: Option<u32>,
    /// Per-iteration token budget of every engine (default 8192).
    #[arg(long, help_heading = "Space")]
    pub max_batched_tokens: Option<u32>,
    /// Router policy (default least-loaded).
    #[arg(long, value_enum, help_heading = "Space")]
    pub router: Option<RouterPolicy>,
    /// Analytic profiles: weight dtype (default: the shipped manifest's, else bf16).
    #[arg(long, help_heading = "Space")]
    pub dtype: Option<String>,
    /// Analytic profiles: KV-cache dtype (default: the shipped manifest's, else bf16).
    #[arg(long, help_heading = "Space")]
    pub kv_dtype: Option<String>,
    /// Analytic profiles: efficiency factors (EFF.json from `profile fit-roofline`).
    #[arg(long, value_name = "EFF.json", help_heading = "Space")]
    pub efficiency: Option<PathBuf>,
    /// Calibration parameters JSON applied to every configuration.
    #[arg(long, value_name = "FILE", help_heading = "Space")]
    pub calibration: Option<PathBuf>,
    #[command(flatten)]
    /// Target workload.
    pub workload: WorkloadFlags,
    #[command(flatten)]
    /// SLA.
    pub sla: SlaFlags,
    /// Share of requests that must meet both targets for a run to meet the SLA (0 < q ≤ 1).
    #[arg(long, default_value_t = 0.9, help_heading = "SLA")]
    pub sla_quantile: f64,
    /// Requests per probe of the max-rate search (Poisson arrivals).
    #[arg(long, default_value_t = 200, help_heading = "Search")]
    pub search_requests: u64,
    /// Run only shard I of N (0-based; configurations with index ≡ I mod N); needs --json,
    /// which then receives the shard file for `slasim merge`.
    #[arg(long, value_name = "I/N", help_heading = "Search")]
    pub shard: Option<String>,
    /// Reuse the results already in the shard file (or, unsharded, in `<--json>.partial`) from
    /// an interrupted run of the same sweep.
    #[arg(long, help_heading = "Search")]
    pub resume: bool,
    /// Seconds of wall time between checkpoint writes (the shard file, or `<--json>.partial`):
    /// an interrupted run loses at most this much finished work; 0 writes after every
    /// configuration.
    #[arg(long, default_value_t = 2.0, value_name = "SECONDS", help_heading = "Search")]
    pub checkpoint_every: f64,
    /// Write the sweep report JSON (SPEC §7) to FILE, or the shard file with --shard; with no
    /// FILE (or `-`), print the report to stdout instead of the table.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-",
          value_parser = json_out, help_heading = "Output")]
    pub json: Option<JsonOut>,
    /// Write one CSV row per configuration, in rank order.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub csv: Option<PathBuf>,
    /// Draw the Pareto front with the chosen configuration highlighted (.png or .svg).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub plot: Option<PathBuf>,
    /// Rows of the terminal table (configurations shown, best first).
    #[arg(long, default_value_t = 20, value_name = "ROWS", help_heading = "Output")]
    pub top: usize,
}

/// Checks an output plot path before any work.
pub(crate) fn check_plot(p: &Option<PathBuf>) -> Result<()> {
    #[cfg(feature = "plot")]
    if let Some(p) = p {
        crate::search::plot::check_path(p)?;
    }
    #[cfg(not(feature = "plot"))]
    if p.is_some() {
        return Err(Error::usage(
            "--plot",
            "this build has no plot support (feature `plot`)",
        ));
    }
    Ok(())
}

/// Prints the report and writes the requested files (shared by `sweep` and `merge`).
pub(crate) fn emit(
    report: &Report,
    json: Option<&JsonOut>,
    csv: Option<&Path>,
    plot: Option<&Path>,
    top: usize,
) -> Result<()> {
    let h = &report.header;
    let s = |k: &str| h.get(k).and_then(|v| v.as_str()).unwrap_or("?").to_string();
    let mut origins: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &report.ranked {
        *origins.entry(r.result.profile_origin.as_str()).or_default() += 1;
    }
    let origins: Vec<String> = origins.iter().map(|(k, v)| format!("{k} {v}")).collect();
    if json.is_some_and(JsonOut::is_stdout) {
        if let Some(j) = json {
            j.write_text(&report.to_json_text())?;
        }
        return write_files(report, csv, plot);
    }
    println!(
        "{} · {} · {} — {} configurations (profiles: {}) · SLA TTFT ≤ {} ms, ITL ≤ {} ms for ≥ {}% of requests",
        s("model"),
        s("gpu"),
        s("backend"),
        report.ranked.len(),
        origins.join(", "),
        h.pointer("/sla/ttft_ms").and_then(|v| v.as_f64()).unwrap_or(f64::NAN),
        h.pointer("/sla/itl_ms").and_then(|v| v.as_f64()).unwrap_or(f64::NAN),
        h.pointer("/sla/quantile").and_then(|v| v.as_f64()).unwrap_or(f64::NAN) * 100.0,
    );
    print!("{}", report.table(top));
    if let Some(j) = json {
        j.write_text(&report.to_json_text())?;
    }
    write_files(report, csv, plot)
}

/// Writes the CSV and the plot of a report, when asked for.
fn write_files(report: &Report, csv: Option<&Path>, plot: Option<&Path>) -> Result<()> {
    if let Some(p) = csv {
        write_atomic(p, &report.to_csv()?)?;
    }
    if let Some(p) = plot {
        #[cfg(feature = "plot")]
        crate::search::plot::plot_front(report, p)?;
        #[cfg(not(feature = "plot"))]
        return Err(Error::usage(
            "--plot",
            format!("this build cannot draw {}", p.display()),
        ));
    }
    Ok(())
}

fn flags_spec(a: &SweepArgs) -> SpaceSpec {
    let v = |x: &Vec<u32>| if x.is_empty() { None } else { Some(x.clone()) };
    SpaceSpec {
        model: a.model.clone(),
        gpu: a.gpu.clone(),
        backend: a.backend.clone(),
        profile: a.profile.clone(),
        mode: if a.mode.is_empty() { None } else { Some(a.mode.clone()) },
        tp: v(&a.tp),
        replicas: v(&a.replicas),
        prefill_tp: v(&a.prefill_tp),
        decode_tp: v(&a.decode_tp),
        prefill_workers: v(&a.prefill_workers),
        decode_workers: v(&a.decode_workers),
        max_num_seqs: v(&a.max_num_seqs),
        scheduler: if a.scheduler.is_empty() {
            None
        } else {
            Some(a.scheduler.clone())
        },
        gpu_budget: a.gpu_budget,
        max_batched_tokens: a.max_batched_tokens,
        router: a.router,
    }
}

/// `e` re-attributed to the space file when it is a usage error about a flag (`--gpu`,
/// `--prefill-tp`) whose key (`gpu`, `prefill_tp`) the file set and the flags did not.
fn attribute_to_file(e: Error, file: &str, file_spec: &SpaceSpec, flags: &SpaceSpec) -> Error {
    let set = |s: &SpaceSpec, k: &str| {
        serde_json::to_value(s)
            .ok()
            .and_then(|v| v.get(k).cloned())
            .is_some_and(|v| !v.is_null())
    };
    match e {
        Error::Usage { flag, problem } => {
            let key = flag.trim_start_matches("--").replace('-', "_");
            if set(file_spec, &key) && !set(flags, &key) {
                Error::data(file, key, problem)
            } else {
                Error::Usage { flag, problem }
            }
        }
        other => other,
    }
}

/// The checkpoint file of a run: the shard file itself for sharded runs, `<json>.partial`
/// otherwise.
fn checkpoint_path(json: &Path, sharded: bool) -> PathBuf {
    if sharded {
        json.to_path_buf()
    } else {
        let mut s = json.as_os_str().to_os_string();
        s.push(".partial");
        PathBuf::from(s)
    }
}

/// Runs `sweep`.
pub fn run(a: SweepArgs) -> Result<i32> {
    let shard = match &a.shard {
        Some(s) => Shard::parse(s)?,
        None => Shard::ALL,
    };
    let sharded = a.shard.is_some();
    // The file `--json` names (the checkpoint lives next to it); none when printing to stdout.
    let json_file: Option<PathBuf> = a.json.as_ref().and_then(|j| j.file()).map(Path::to_path_buf);
    if sharded && json_file.is_none() {
        return Err(Error::usage("--shard", "needs --json FILE to receive the shard file"));
    }
    if sharded && (a.csv.is_some() || a.plot.is_some()) {
        return Err(Error::usage(
            "--shard",
            "--csv/--plot belong to the merged report: give them to `slasim merge`",
        ));
    }
    if a.resume && json_file.is_none() {
        return Err(Error::usage(
            "--resume",
            "needs --json FILE (the checkpoint lives next to it)",
        ));
    }
    check_plot(&a.plot)?;
    if !(a.sla_quantile > 0.0 && a.sla_quantile <= 1.0) {
        return Err(Error::usage(
            "--sla-quantile",
            format!("must be in (0, 1], got {}", a.sla_quantile),
        ));
    }
    if !(1..=1_000_000).contains(&a.search_requests) {
        return Err(Error::usage(
            "--search-requests",
            format!("must be in 1..=1000000, got {}", a.search_requests),
        ));
    }
    if !(a.checkpoint_every.is_finite() && (0.0..=86_400.0).contains(&a.checkpoint_every)) {
        return Err(Error::usage(
            "--checkpoint-every",
            format!("must be between 0 and 86400 seconds, got {}", a.checkpoint_every),
        ));
    }
    let checkpoint_every = Duration::from_secs_f64(a.checkpoint_every);
    let sla = a.sla.sla()?;

    // Space: file, then flags.
    let (file_spec, source) = match &a.space {
        Some(p) => (SpaceSpec::load(p)?, p.display().to_string()),
        None => (SpaceSpec::default(), "command line".to_string()),
    };
    let fspec = flags_spec(&a);
    fspec.check_lists("command line")?;
    let spec = file_spec.overridden_by(&fspec);
    // An error about a value the space file set names `FILE: key`, not a flag never given.
    let from_file = |e: Error| match &a.space {
        Some(p) => attribute_to_file(e, &p.display().to_string(), &file_spec, &fspec),
        None => e,
    };
    let mut sources = Sources::new(&SourceRequest {
        model: spec.model.clone(),
        gpu: spec.gpu.clone(),
        backend: spec.backend.clone(),
        profile: spec.profile.clone(),
        dtype: a.dtype.clone(),
        kv_dtype: a.kv_dtype.clone(),
        efficiency: a.efficiency.clone(),
    })
    .map_err(from_file)?;
    let default_modes: Vec<Mode> = if !sources.has_measured() {
        vec![Mode::Agg]
    } else if sources.any_role_separated() {
        vec![Mode::Disagg]
    } else {
        vec![Mode::Agg]
    };
    let or_default = |v: Vec<u32>| if v.is_empty() { vec![1, 2, 4, 8] } else { v };
    let agg_tps = or_default(sources.measured_tps(Role::Agg));
    let pre_tps = or_default(sources.measured_tps(Role::Prefill));
    let dec_tps = or_default(sources.measured_tps(Role::Decode));
    let lists = SpaceLists::from_spec(&spec, &default_modes, (&agg_tps, &pre_tps, &dec_tps));
    let configs = lists.enumerate(&source)?;
    resolve_all(&mut sources, &configs).map_err(from_file)?;

    // Workload and settings.
    let mut wf = a.workload.clone();
    let open_loop = !wf.rps.is_empty() || wf.sinusoid.is_some() || wf.rate_file.is_some();
    if wf.requests.is_none() && wf.duration.is_none() && wf.trace.is_none() && open_loop {
        wf.requests = Some(200);
    }
    if !wf.sessions.is_empty() {
        return Err(Error::usage(
            "--sessions",
            "sweep ranks configurations by the highest Poisson rate meeting the SLA, which multi-turn sessions \
             (closed loops of turns) do not have; simulate them with `slasim simulate --sessions`",
        ));
    }
    let workloads = wf.workloads()?;
    if a.workload.is_default_load() {
        eprintln!(
            "note: no target workload given: sweeping for simulate's default, concurrency 1, 4, 7 and 9 × 100 \
             requests of ISL 2048 / OSL 256 (choose with --concurrency/--rps/--isl/--osl)"
        );
    }
    let calibration = match &a.calibration {
        Some(p) => crate::sim::calibration::Calibration::load(p)?,
        None => Default::default(),
    };
    let knobs = FixedKnobs {
        max_batched_tokens: spec.max_batched_tokens,
        router: spec.router,
    };
    let mut header = serde_json::json!({
        "model": sources.model,
        "gpu": sources.gpu,
        "backend": sources.backend,
        "profile": spec.profile,
        "space": lists.to_json(),
        "max_batched_tokens": knobs.max_batched_tokens,
        "router": knobs.router.map(|r| r.to_string()),
        "analytic": {"dtype": a.dtype, "kv_dtype": a.kv_dtype,
                     "efficiency": a.efficiency.as_ref().map(|p| p.display().to_string())},
        "sla": {"ttft_ms": sla.ttft_ms, "itl_ms": sla.itl_ms, "quantile": a.sla_quantile},
        "workload": workloads.iter().map(workload_json).collect::<Vec<_>>(),
        "search": {"arrivals": "poisson", "requests": a.search_requests,
                   "tolerance": RPS_TOLERANCE, "max_bisect_steps": MAX_BISECT_STEPS},
        "calibration": serde_json::to_value(&calibration).unwrap_or(serde_json::Value::Null),
        "num_configs": configs.len(),
    });
    let mut fp_input = serde_json::to_string(&header).unwrap_or_default();
    for c in &configs {
        fp_input.push('\n');
        fp_input.push_str(&c.id);
    }
    if let serde_json::Value::Object(m) = &mut header {
        m.insert(
            "fingerprint".into(),
            serde_json::json!(fingerprint(fp_input.as_bytes())),
        );
    }
    let settings = EvalSettings {
        workloads,
        sla,
        quantile: a.sla_quantile,
        search_requests: a.search_requests,
        calibration,
    };

    // This shard's configurations, minus those already done (--resume).
    let mine: Vec<_> = configs.iter().filter(|c| shard.owns(c.index)).cloned().collect();
    let ckpt = json_file.as_deref().map(|j| checkpoint_path(j, sharded));
    let mut done: BTreeMap<usize, ConfigResult> = BTreeMap::new();
    if a.resume {
        if let Some(p) = ckpt.as_deref().filter(|p| p.exists()) {
            let prev = ShardFile::load(p)?;
            if prev.sweep != header || prev.shard != shard {
                return Err(Error::data(
                    p.display().to_string(),
                    "sweep",
                    "was written by a different sweep or shard (settings, space or --shard differ); \
                     delete it or run without --resume",
                ));
            }
            for r in prev.results {
                if configs.get(r.config.index).is_some_and(|c| c.id == r.config.id) {
                    done.insert(r.config.index, r);
                }
            }
            eprintln!(
                "resuming: {} of {} configuration(s) already done in {}",
                done.len(),
                mine.len(),
                p.display()
            );
        }
    }
    let todo: Vec<_> = mine.iter().filter(|c| !done.contains_key(&c.index)).cloned().collect();
    let write_ckpt = |done: &BTreeMap<usize, ConfigResult>, complete: bool| -> Result<()> {
        if let Some(p) = &ckpt {
            let f = ShardFile {
                format: SHARD_FORMAT.into(),
                sweep: header.clone(),
                shard,
                complete,
                results: done.values().cloned().collect(),
            };
            write_atomic(p, f.to_text()?.as_bytes())?;
        }
        Ok(())
    };
    let t0 = Instant::now();
    let bar = super::progress::bar(todo.len() as u64, "sweeping");
    let mut sims: u64 = 0;
    // results reach `done` as each configuration finishes; a checkpoint is written every
    // `checkpoint_every` of wall time (not every N configurations), and the final file below
    let mut state = (&mut done, &mut sims);
    run_checkpointed(
        &todo,
        |c| {
            let r = run_config(c, &sources, knobs, &settings);
            bar.inc(1);
            r
        },
        &mut state,
        |(done, sims), r| {
            **sims += u64::from(r.simulations);
            done.insert(r.config.index, r);
        },
        |(done, _)| write_ckpt(done, false),
        checkpoint_every,
        &WallClock::new(),
    )?;
    bar.finish_and_clear();
    eprintln!(
        "evaluated {} configuration(s) ({} simulations) in {:.1} s on {} thread(s)",
        todo.len(),
        sims,
        t0.elapsed().as_secs_f64(),
        rayon::current_num_threads()
    );

    if sharded {
        write_ckpt(&done, true)?;
        println!(
            "shard {}/{}: {} of {} configuration(s) → {} (combine the shards with `slasim merge`)",
            shard.index,
            shard.count,
            done.len(),
            configs.len(),
            json_file
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
        return Ok(0);
    }
    // Unsharded: exactly the merge path, through the shard file's text.
    let whole = ShardFile {
        format: SHARD_FORMAT.into(),
        sweep: header.clone(),
        shard,
        complete: true,
        results: done.into_values().collect(),
    };
    let text = whole.to_text()?;
    let parsed = ShardFile::from_text("(sweep results)", &text)?;
    let (h, results) = merge_shards(vec![("(sweep results)".into(), parsed)])?;
    let report = finalize(h, results);
    emit(&report, a.json.as_ref(), a.csv.as_deref(), a.plot.as_deref(), a.top)?;
    if let Some(p) = ckpt.filter(|p| p.exists()) {
        let _ = std::fs::remove_file(p);
    }
    Ok(0)
}
