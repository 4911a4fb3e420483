//! The reference performance scenario (SPEC §6 "Fast"), shared by `slasim bench` and
//! `cargo bench`: 1,000,000 requests, ISL 2048 / OSL 256, `agg`, `vllm` scheduler,
//! `max_num_seqs` 256, 8 replicas behind `least-loaded`, Poisson arrivals at about 90 % of the
//! deployment's capacity, on the shipped Llama-3.1-8B-FP8 H200 profile.

use crate::error::Result;
use crate::metrics::Sla;
use crate::profile;
use crate::sim::calibration::Calibration;
use crate::sim::deployment::{DeploymentOptions, Mode, SchedulerKind};
use crate::sim::router::RouterPolicy;
use crate::sim::{simulate, MetricsMode, SimSpec};
use crate::workload::{ArrivalPattern, LengthDist, LengthModel, LoadSpec, WorkloadSpec};
use serde::Serialize;

/// Profile of the reference scenario.
pub const REFERENCE_PROFILE: &str = "llama-3.1-8b-fp8/h200/vllm";

/// The reference deployment's simulation spec at `rps` for `requests` requests.
pub fn reference_spec(requests: u64, load: LoadSpec, metrics: MetricsMode) -> Result<SimSpec> {
    let p = profile::resolve(REFERENCE_PROFILE)?;
    let opts = DeploymentOptions {
        mode: Some(Mode::Agg),
        replicas: Some(8),
        max_num_seqs: Some(256),
        scheduler: Some(SchedulerKind::Vllm),
        router: Some(RouterPolicy::LeastLoaded),
        ..Default::default()
    };
    let deployment = opts.build(&p)?;
    Ok(SimSpec {
        deployment,
        workload: WorkloadSpec {
            load,
            requests: Some(requests),
            duration_s: None,
            lengths: LengthModel::Dist {
                isl: LengthDist::Fixed(2048),
                osl: LengthDist::Fixed(256),
            },
            trace: None,
            trace_rate_scale: 1.0,
            seed: 1,
            warmup_requests: 0,
            shared_prefix: None,
            sessions: None,
        },
        variability: Default::default(),
        calibration: Calibration::default(),
        sla: Sla {
            ttft_ms: 500.0,
            itl_ms: 50.0,
        },
        metrics,
    })
}

/// Saturation throughput of the reference deployment, req/s: a closed loop that keeps every
/// replica's batch full (8 × 256 in flight) over 40,000 requests.
pub fn saturation_rps() -> Result<f64> {
    let spec = reference_spec(40_000, LoadSpec::Concurrency(8 * 256), MetricsMode::Streaming)?;
    Ok(simulate(&spec)?.metrics.request_throughput)
}

/// What `slasim bench` reports.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Simulated requests.
    pub requests: u64,
    /// Wall-clock time of the simulation, s (median of the runs).
    pub wall_s: f64,
    /// Simulated requests per wall-clock second.
    pub requests_per_s: f64,
    /// Engine iterations per wall-clock second.
    pub iterations_per_s: f64,
    /// Events per wall-clock second.
    pub events_per_s: f64,
    /// Peak resident memory of the process, MB.
    pub peak_rss_mb: f64,
    /// Offered load, req/s.
    pub rps: f64,
    /// Saturation throughput of the deployment, req/s.
    pub saturation_rps: f64,
    /// Engine iterations simulated.
    pub iterations: u64,
    /// Events simulated.
    pub events: u64,
    /// Runs (the wall time is their median).
    pub runs: usize,
    /// Wall time of each run, s.
    pub wall_s_runs: Vec<f64>,
    /// Simulated TTFT p50, ms (sanity).
    pub ttft_p50_ms: f64,
    /// Simulated ITL p50, ms (sanity).
    pub itl_p50_ms: f64,
}

/// Runs the reference scenario `runs` times at `load_fraction` of saturation.
pub fn run_reference(requests: u64, runs: usize, load_fraction: f64) -> Result<BenchReport> {
    let sat = saturation_rps()?;
    let rps = sat * load_fraction;
    let spec = reference_spec(
        requests,
        LoadSpec::OpenLoop(ArrivalPattern::Poisson { rps }),
        MetricsMode::Streaming,
    )?;
    let mut walls = Vec::new();
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t0 = std::time::Instant::now();
        let out = simulate(&spec)?;
        walls.push(t0.elapsed().as_secs_f64());
        last = Some(out);
    }
    let Some(out) = last else { unreachable!("runs ≥ 1") };
    let mut sorted = walls.clone();
    sorted.sort_by(f64::total_cmp);
    let wall = sorted[sorted.len() / 2];
    Ok(BenchReport {
        requests,
        wall_s: wall,
        requests_per_s: requests as f64 / wall,
        iterations_per_s: out.iterations as f64 / wall,
        events_per_s: out.events as f64 / wall,
        peak_rss_mb: peak_rss_mb(),
        rps,
        saturation_rps: sat,
        iterations: out.iterations,
        events: out.events,
        runs: walls.len(),
        wall_s_runs: walls,
        ttft_p50_ms: out.metrics.ttft_ms.p50,
        itl_p50_ms: out.metrics.itl_ms.p50,
    })
}

/// Peak resident set size of this process in MB (Linux `VmHWM`; 0 where unavailable).
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}
