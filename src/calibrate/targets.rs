//! Turning hardware runs into simulations: the deployment (from the run's own `config` where it
//! states one, else the deployment flags / file / embedded default) and the workload (the run's
//! load, request count and mean ISL/OSL).

use super::compare::Metric;
use super::hwrun::{HwRun, RunLoad};
use crate::cli::args::DeploymentFlags;
use crate::error::{Error, Result};
use crate::metrics::Sla;
use crate::sim::calibration::Calibration;
use crate::sim::deployment::{Deployment, Mode};
use crate::sim::{simulate, MetricsMode, SimSpec};
use crate::workload::{ArrivalPattern, LengthModel, LoadSpec, WorkloadSpec};
use std::collections::BTreeMap;

/// A run to reproduce by simulation.
#[derive(Debug, Clone)]
pub struct Target {
    /// The hardware run.
    pub run: HwRun,
    /// Kept out of fitting; reported separately.
    pub holdout: bool,
    /// The simulation (its calibration is replaced by the candidate's).
    pub spec: SimSpec,
    /// Seeds to average over (one when the workload is deterministic).
    pub seeds: Vec<u64>,
}

impl Target {
    /// The simulation of this run at calibration `cal` with workload seed `seed`.
    pub fn spec_at(&self, cal: &Calibration, seed: u64) -> SimSpec {
        let mut spec = self.spec.clone();
        spec.calibration = cal.clone();
        spec.workload.seed = seed;
        spec
    }
}

/// The deployment flags for `run`: the flags given on the command line, completed by what the
/// run's `config` block states (flags win).
fn flags_for(run: &HwRun, flags: &DeploymentFlags) -> DeploymentFlags {
    let mut f = flags.clone();
    let c = &run.config;
    if f.profile.is_none() && f.deployment.is_none() {
        if let Some(p) = &c.profile {
            f.profile = Some(p.clone());
        }
    }
    let from_run = f.profile.is_some() || f.deployment.is_some();
    if from_run {
        if f.mode.is_none() {
            f.mode = match c.mode.as_deref() {
                Some("agg") => Some(Mode::Agg),
                Some("disagg") => Some(Mode::Disagg),
                _ => None,
            };
        }
        f.tp = f.tp.or(c.tp);
        f.prefill_tp = f.prefill_tp.or(c.prefill_tp);
        f.decode_tp = f.decode_tp.or(c.decode_tp);
        f.prefill_workers = f.prefill_workers.or(c.prefill_workers);
        f.decode_workers = f.decode_workers.or(c.decode_workers);
        f.replicas = f.replicas.or(c.replicas);
    }
    f.max_num_seqs = f.max_num_seqs.or(c.max_num_seqs);
    f
}

/// Builds the simulation targets of `runs` (`holdout` flags which are held out), each on the
/// deployment the flags give, completed by what the run's `config` states.
pub fn build(runs: Vec<(HwRun, bool)>, flags: &DeploymentFlags, sla: Option<Sla>, seeds: u32) -> Result<Vec<Target>> {
    build_on(
        runs,
        |run| {
            flags_for(run, flags)
                .resolve()
                .map(|(_, d)| d)
                .map_err(|e| Error::data(&run.file, "config", format!("cannot build the deployment: {e}")))
        },
        sla,
        seeds,
    )
}

/// Like [`build`], with the deployment of each run given by `deployment`.
pub fn build_on(
    runs: Vec<(HwRun, bool)>,
    deployment: impl Fn(&HwRun) -> Result<Deployment>,
    sla: Option<Sla>,
    seeds: u32,
) -> Result<Vec<Target>> {
    let mut out = Vec::new();
    for (run, holdout) in runs {
        let dep = deployment(&run)?;
        let (load, random) = match run.load {
            RunLoad::Concurrency(n) => (LoadSpec::Concurrency(n), false),
            RunLoad::Poisson { rps } => (LoadSpec::OpenLoop(ArrivalPattern::Poisson { rps }), true),
            RunLoad::Burst => (LoadSpec::Concurrency(run.requests.min(1_000_000) as u32), false),
        };
        let workload = WorkloadSpec {
            load,
            requests: Some(run.requests),
            duration_s: None,
            lengths: LengthModel::fixed(run.isl, run.osl),
            trace: None,
            trace_rate_scale: 1.0,
            seed: 1,
            warmup_requests: run.warmup_requests,
            shared_prefix: None,
            sessions: None,
        };
        workload
            .validate()
            .map_err(|e| Error::data(&run.file, "workload", format!("cannot be simulated: {e}")))?;
        let sla = sla.or(run.sla).unwrap_or(Sla {
            ttft_ms: 500.0,
            itl_ms: 50.0,
        });
        let n = if random { seeds.max(1) } else { 1 };
        out.push(Target {
            spec: SimSpec {
                deployment: dep,
                workload,
                calibration: Calibration::default(),
                sla,
                metrics: MetricsMode::Exact,
                variability: Default::default(),
            },
            seeds: (1..=n as u64).collect(),
            run,
            holdout,
        });
    }
    Ok(out)
}

/// Simulates a target under `cal`, averaging each metric over the target's seeds.
pub fn simulate_target(t: &Target, cal: &Calibration) -> Result<BTreeMap<Metric, f64>> {
    let mut acc: BTreeMap<Metric, f64> = BTreeMap::new();
    for &seed in &t.seeds {
        let spec = t.spec_at(cal, seed);
        let out = simulate(&spec)?;
        if out.metrics.requests_completed == 0 {
            // every request was dropped (e.g. ISL + OSL exceeds the KV cache): comparing the
            // zeros would only report a meaningless 100 % error
            return Err(Error::data(
                &t.run.file,
                "workload",
                format!(
                    "cannot be simulated: none of its {} requests (ISL {}, OSL {}) completed on {} ({} dropped: \
                     they do not fit an engine's KV cache)",
                    t.run.requests,
                    t.run.isl,
                    t.run.osl,
                    spec.deployment.short(),
                    out.rejected
                ),
            ));
        }
        for m in Metric::ALL {
            *acc.entry(m).or_insert(0.0) += m.sim(&out.metrics);
        }
    }
    let n = t.seeds.len() as f64;
    Ok(acc.into_iter().map(|(m, v)| (m, v / n)).collect())
}
