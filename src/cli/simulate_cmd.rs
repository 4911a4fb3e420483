//! `slasim simulate`: run the simulator over one or more load levels.

use super::args::{json_out, DeploymentFlags, JsonOut, SlaFlags, WorkloadFlags};
use crate::error::Result;
use crate::metrics::aiperf_dir::check_target;
use crate::metrics::write_requests_csv;
use crate::output::{text_table, write_atomic};
use crate::sim::aiperf_export::{aiperf_context, write_aiperf_dir};
use crate::sim::deployment::Deployment;
use crate::sim::summary::{load_label, summary_json};
use crate::sim::variability::Variability;
use crate::sim::{metrics_mode_for, simulate, MetricsMode, SimOutcome, SimSpec, MAX_EXACT_REQUESTS};
use crate::workload::LoadSpec;
use clap::Args;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// `slasim simulate`
#[derive(Debug, Args)]
#[command(after_help = "\
With no arguments: the embedded default — Qwen/Qwen3-32B on H200 (TRT-LLM, AIC profile), disagg \
prefill TP1 x1 + decode TP2 x1, max_num_seqs 8, ISL 2048 / OSL 256, SLA 500 ms / 50 ms, at \
concurrency 1, 4, 7, 9 (100 requests each).

Runs of up to 2,000,000 requests keep every request (exact percentiles, --requests-csv); larger \
ones stream their metrics into histograms (percentiles within 0.1 %, a note on stderr) and refuse \
--requests-csv. No simulated time may pass 10^7 s (the horizon): inputs that would are exit 2.

Examples:
  slasim simulate --profile llama-3.1-8b-fp8/h200/vllm --replicas 4 \\
    --rps 20,40,60 --requests 1000 --json out.json
  slasim simulate --profile llama-3.3-70b-fp8/h100/vllm --tp 4 \\
    --trace splitwise_conv --trace-rate-scale 2 --requests 2000
  slasim simulate --profile llama-3.1-8b-fp8/h200/vllm --replicas 4 \\
    --trace mooncake_conversation --trace-rate-scale 2 --requests 2000
  slasim simulate --profile llama-3.1-8b-fp8/h200/vllm --sessions 16 \\
    --turns uniform:2:8 --isl 1024 --turn-isl 128 --think-time 2000 --requests 1000
  slasim simulate --profile llama-3.1-8b-fp8/h200/vllm --replicas 8 \\
    --rps 90 --requests 100000000")]
pub struct SimulateArgs {
    #[command(flatten)]
    /// Deployment.
    pub deployment: DeploymentFlags,
    #[command(flatten)]
    /// Workload.
    pub workload: WorkloadFlags,
    #[command(flatten)]
    /// SLA.
    pub sla: SlaFlags,
    /// Service-time variability, seeded by --seed: `default` (step CV 0.09, request-latency CV
    /// 0.045, what the shipped real runs show), `off` (deterministic service times, for exact
    /// closed forms), or STEP_CV,LATENCY_CV.
    #[arg(
        long,
        value_name = "default|off|STEP,LATENCY",
        default_value = "default",
        help_heading = "Simulation"
    )]
    pub variability: String,
    /// Write the summary JSON (SPEC §4; an array when several load levels run) to FILE; with no
    /// FILE (or `-`), print it to stdout instead of the table.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-",
          value_parser = json_out, help_heading = "Output")]
    pub json: Option<JsonOut>,
    /// Write one row per request (CSV; at most 2,000,000 requests per level). With several load
    /// levels, the level is added to the file name (`out-c4.csv`).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub requests_csv: Option<PathBuf>,
    /// Write AIPerf's `profile_export_aiperf.json` layout. With several load levels, the level
    /// is added to the file name.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub aiperf_json: Option<PathBuf>,
    /// Write an AIPerf run directory (profile_export_aiperf.json + per-request
    /// profile_export.jsonl) that `aiperf plot DIR` opens; with several load levels, one
    /// sub-directory per level (`DIR/c4`). DIR must be new or empty.
    #[arg(long, value_name = "DIR", help_heading = "Output")]
    pub aiperf_dir: Option<PathBuf>,
}

/// `path` with `-LABEL` inserted before the extension.
pub fn with_label(path: &Path, label: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(e) => format!("{stem}-{label}.{}", e.to_string_lossy()),
        None => format!("{stem}-{label}"),
    };
    path.with_file_name(name)
}

/// The simulations `a` asks for: one spec per load level, on the resolved deployment.
pub fn specs(a: &SimulateArgs) -> Result<Vec<SimSpec>> {
    if let Some(d) = &a.aiperf_dir {
        check_target(d, "--aiperf-dir")?;
    }
    let per_request = match (&a.requests_csv, &a.aiperf_dir) {
        (Some(_), _) => Some("--requests-csv"),
        (None, Some(_)) => Some("--aiperf-dir"),
        (None, None) => None,
    };
    let (_profile, dep) = a.deployment.resolve()?;
    specs_on(a, &dep, per_request)
}

/// [`specs`] on an already built deployment; `per_request` names what needs every request's
/// record (`--requests-csv`), which runs too large to keep them refuse.
pub fn specs_on(a: &SimulateArgs, dep: &Deployment, per_request: Option<&str>) -> Result<Vec<SimSpec>> {
    let cal = a.deployment.calibration()?;
    let sla = a.sla.sla()?;
    let workloads = a.workload.workloads()?;
    let variability = Variability::parse("--variability", &a.variability)?;
    let mut specs: Vec<SimSpec> = Vec::with_capacity(workloads.len());
    for w in workloads {
        let (metrics, by_size) = metrics_mode_for(w.expected_requests(), per_request, MAX_EXACT_REQUESTS)?;
        if by_size {
            eprintln!(
                "note: {}: {} requests: metrics are streamed into histograms (percentiles within 0.1 %) instead of \
                 kept per request (done above {MAX_EXACT_REQUESTS} requests, to bound memory)",
                load_label(&w),
                w.expected_requests().map_or("unbounded".to_string(), |n| n.to_string())
            );
        }
        specs.push(SimSpec {
            deployment: dep.clone(),
            workload: w,
            calibration: cal.clone(),
            sla,
            metrics,
            variability,
        });
    }
    Ok(specs)
}

/// Simulates every spec, in parallel across load levels (rayon), with a progress bar on an
/// interactive stderr. One spec runs on the calling thread, without either (≈ 9 µs a call
/// that the Python package's small simulations would pay).
pub fn simulate_all(specs: &[SimSpec]) -> Result<Vec<SimOutcome>> {
    if let [one] = specs {
        return Ok(vec![simulate(one)?]);
    }
    let bar = super::progress::bar(specs.len() as u64, "simulating");
    let outcomes: Vec<Result<SimOutcome>> = specs
        .par_iter()
        .map(|s| {
            let r = simulate(s);
            bar.inc(1);
            r
        })
        .collect();
    bar.finish_and_clear();
    outcomes.into_iter().collect()
}

/// Runs `simulate`.
pub fn run(a: SimulateArgs) -> Result<i32> {
    let specs = specs(&a)?;
    let outcomes = simulate_all(&specs)?;
    let Some(first) = specs.first() else {
        return Ok(0);
    };
    let (dep, cal, sla) = (&first.deployment, &first.calibration, first.sla);

    let text = !super::args::json_to_stdout(&a.json);
    if text {
        println!("{} · {} · {} · {}", dep.model, dep.gpu, dep.backend, dep.short());
        println!(
            "profile {} · max_num_seqs {} · scheduler {} · router {} · SLA TTFT ≤ {} ms, ITL ≤ {} ms{}",
            dep.profile,
            specs
                .first()
                .map(|s| s.calibration.max_num_seqs.unwrap_or(dep.max_num_seqs))
                .unwrap_or(dep.max_num_seqs),
            dep.scheduler,
            dep.router,
            sla.ttft_ms,
            sla.itl_ms,
            if cal.is_neutral() {
                String::new()
            } else {
                " · calibrated".into()
            }
        );
        print!("{}", results_table(&specs, &outcomes));
    }
    for o in &outcomes {
        if o.rejected > 0 {
            eprintln!(
                "warning: {} request(s) could not fit in an engine's KV cache and were dropped",
                o.rejected
            );
        }
    }

    let multi = specs.len() > 1;
    if let Some(j) = &a.json {
        let v: Vec<serde_json::Value> = specs.iter().zip(&outcomes).map(|(s, o)| summary_json(s, o)).collect();
        if multi {
            j.write(&v)?;
        } else {
            j.write(&v[0])?;
        }
    }
    for (s, o) in specs.iter().zip(&outcomes) {
        let label = load_label(&s.workload);
        if let Some(p) = &a.requests_csv {
            let path = if multi { with_label(p, &label) } else { p.clone() };
            write_requests_csv(&path, o.collector.records(), &sla)?;
        }
        if let Some(p) = &a.aiperf_json {
            let path = if multi { with_label(p, &label) } else { p.clone() };
            let ctx = aiperf_context(s, o);
            let v = o.collector.aiperf_json(&ctx);
            let mut text = serde_json::to_string_pretty(&v).unwrap_or_default();
            text.push('\n');
            write_atomic(&path, text.as_bytes())?;
        }
    }
    if let Some(d) = &a.aiperf_dir {
        write_aiperf_dir(d, "--aiperf-dir", &specs, &outcomes)?;
    }
    if text && a.deployment.is_default() && a.deployment.calibration.is_none() && a.workload.is_default_load() {
        print!("{}", default_vs_measured(dep, sla, a.workload.seed)?);
    }
    Ok(0)
}

/// The embedded default's second table: for each measured AIPerf run of the default
/// deployment, the profile-only prediction, the calibrated one and the measurement.
fn default_vs_measured(
    dep: &crate::sim::deployment::Deployment,
    sla: crate::metrics::Sla,
    seed: u64,
) -> Result<String> {
    use crate::calibrate::compare::Metric;
    use crate::calibrate::embedded::{default_calibration, default_runs};
    use crate::calibrate::hwrun::RunLoad;
    use crate::workload::{LengthModel, WorkloadSpec};
    let runs = default_runs()?;
    let cal = default_calibration()?;
    let mut rows = vec![vec![
        "measured run".to_string(),
        "metric".into(),
        "profile only".into(),
        "calibrated".into(),
        "measured".into(),
        "err % profile".into(),
        "err % calibrated".into(),
    ]];
    for run in &runs {
        let RunLoad::Concurrency(n) = run.load else { continue };
        let w = WorkloadSpec {
            load: LoadSpec::Concurrency(n),
            requests: Some(run.requests),
            duration_s: None,
            lengths: LengthModel::fixed(run.isl, run.osl),
            trace: None,
            trace_rate_scale: 1.0,
            seed,
            warmup_requests: run.warmup_requests,
            shared_prefix: None,
            sessions: None,
        };
        let mut spec = SimSpec {
            deployment: dep.clone(),
            workload: w,
            calibration: Default::default(),
            sla,
            metrics: MetricsMode::Exact,
            variability: Default::default(),
        };
        let raw = simulate(&spec)?.metrics;
        spec.calibration = cal.clone();
        let calibrated = simulate(&spec)?.metrics;
        for (k, m) in [
            Metric::TtftP50,
            Metric::TpotP50,
            Metric::E2eP50,
            Metric::ThroughputTokenS,
        ]
        .into_iter()
        .enumerate()
        {
            let Some(hw) = m.hw(run) else { continue };
            let (p, c) = (m.sim(&raw), m.sim(&calibrated));
            rows.push(vec![
                if k == 0 {
                    format!("{} (c{n})", run.name)
                } else {
                    String::new()
                },
                format!("{} {}", m.key(), m.unit()),
                format!("{p:.1}"),
                format!("{c:.1}"),
                format!("{hw:.1}"),
                format!("{:+.1}", (p - hw) / hw * 100.0),
                format!("{:+.1}", (c - hw) / hw * 100.0),
            ]);
        }
    }
    Ok(format!(
        "\nProfile vs calibrated vs measured (AIPerf runs of this deployment on H200, calibration/runs/; calibration \
         calibration/qwen3-32b-h200-trtllm-aic.json fitted on them):\n{}",
        crate::output::text_table(&rows)
    ))
}

/// The terminal table of results, one row per load level.
pub fn results_table(specs: &[SimSpec], outcomes: &[SimOutcome]) -> String {
    let mut rows = vec![vec![
        "load".to_string(),
        "reqs".into(),
        "TTFT p50 ms".into(),
        "TTFT p99 ms".into(),
        "ITL p50 ms".into(),
        "ITL p99 ms".into(),
        "E2E p50 s".into(),
        "E2E p99 s".into(),
        "req/s".into(),
        "tok/s".into(),
        "goodput req/s".into(),
        "SLA %".into(),
        "preempt".into(),
    ]];
    let cached = outcomes.iter().any(|o| o.prefix_cache_hit_rate().is_some());
    if cached {
        rows[0].push("prefix hit %".into());
    }
    for (s, o) in specs.iter().zip(outcomes) {
        let m = &o.metrics;
        let mut row = vec![
            load_label(&s.workload),
            m.requests_completed.to_string(),
            format!("{:.1}", m.ttft_ms.p50),
            format!("{:.1}", m.ttft_ms.p99),
            format!("{:.2}", m.itl_ms.p50),
            format!("{:.2}", m.itl_ms.p99),
            format!("{:.3}", m.e2e_latency_s.p50),
            format!("{:.3}", m.e2e_latency_s.p99),
            format!("{:.3}", m.request_throughput),
            format!("{:.1}", m.throughput_token_s),
            format!("{:.3}", m.goodput_req_s),
            format!("{:.1}", m.sla_hit_rate * 100.0),
            m.preemptions.to_string(),
        ];
        if cached {
            row.push(
                o.prefix_cache_hit_rate()
                    .map_or("-".into(), |r| format!("{:.1}", r * 100.0)),
            );
        }
        rows.push(row);
    }
    let mut out = text_table(&rows);
    if cached {
        for (s, o) in specs.iter().zip(outcomes) {
            let per: Vec<String> = o
                .prefix_cache
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let rate = if c.lookup_tokens > 0 {
                        format!("{:.1} %", 100.0 * c.hit_tokens as f64 / c.lookup_tokens as f64)
                    } else {
                        "-".into()
                    };
                    format!("engine {i} {rate} ({} evictions)", c.evictions)
                })
                .collect();
            out.push_str(&format!(
                "{}: prefix cache hit rate (prompt tokens) per engine: {}; prefill tokens computed {}\n",
                load_label(&s.workload),
                per.join(", "),
                o.prefill_tokens_computed
            ));
        }
    }
    out
}
