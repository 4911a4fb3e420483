//! Evaluating one configuration: simulate the target workload, then find the largest Poisson
//! request rate at which the SLA still holds.
//!
//! # The SLA rule
//! A run *meets the SLA* when at least `quantile` (default 0.9, `--sla-quantile`) of the
//! **issued** requests finished with TTFT ≤ the TTFT target AND ITL ≤ the ITL target (requests
//! dropped because they could never fit in a KV cache count as misses). With quantile q this is
//! the joint form of "pq TTFT and pq ITL within target". A configuration has `sla_met` when every
//! level of the target workload meets the SLA.
//!
//! # Max sustainable rate (`max_rps_meeting_sla`)
//! Poisson arrivals with the workload's lengths (and seed), `search_requests` requests per
//! probe. Start at [`SEARCH_START_RPS`] (1 req/s, so the result does not depend on the target
//! levels), double until the SLA fails (≤ [`MAX_BRACKET_STEPS`] steps) or halve until it holds (same
//! bound; below that the rate is 0), then bisect geometrically until hi/lo ≤ 1 +
//! [`RPS_TOLERANCE`] (≤ [`MAX_BISECT_STEPS`] steps). The result is the last rate that met the
//! SLA (within 2 % below the true threshold when the SLA is monotone in the rate, as it is up
//! to sampling noise). The configuration's headline numbers — goodput/GPU, output tokens/s/GPU,
//! tokens/s/user — are those of the probe run at that rate.

use super::space::ConfigPoint;
use crate::metrics::{RunMetrics, Sla};
use crate::sim::calibration::Calibration;
use crate::sim::deployment::Deployment;
use crate::sim::summary::load_label;
use crate::sim::{metrics_mode_for, simulate, SimOutcome, SimSpec, MAX_EXACT_REQUESTS};
use crate::workload::{ArrivalPattern, LoadSpec, WorkloadSpec};
use serde::{Deserialize, Serialize};

/// Relative tolerance of the max-rate search: it stops when hi/lo ≤ 1 + this.
pub const RPS_TOLERANCE: f64 = 0.02;
/// First probe rate of the max-rate search, req/s.
pub const SEARCH_START_RPS: f64 = 1.0;
/// Most doubling (or halving) steps while bracketing the max rate.
pub const MAX_BRACKET_STEPS: u32 = 14;
/// Most bisection steps of the max-rate search.
pub const MAX_BISECT_STEPS: u32 = 8;

/// Settings shared by every configuration of a sweep.
#[derive(Debug, Clone)]
pub struct EvalSettings {
    /// The target workload's levels.
    pub workloads: Vec<WorkloadSpec>,
    /// SLA targets.
    pub sla: Sla,
    /// Share of issued requests that must meet the SLA, 0 < q ≤ 1.
    pub quantile: f64,
    /// Requests per probe of the max-rate search.
    pub search_requests: u64,
    /// Calibration parameters.
    pub calibration: Calibration,
}

/// Percentiles kept per metric, in the metric's unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Pcts {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
}

/// Metrics of one run of a configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunPoint {
    /// Load label (`c4`, `rps2.5`, `sin5-45`, `trace`).
    pub load: String,
    /// TTFT, ms.
    pub ttft_ms: Pcts,
    /// ITL (TPOT), ms.
    pub itl_ms: Pcts,
    /// Output token throughput, tokens/s.
    pub throughput_token_s: f64,
    /// Request throughput, req/s.
    pub request_throughput: f64,
    /// Goodput: requests meeting the SLA per second, req/s.
    pub goodput_req_s: f64,
    /// Goodput per GPU, req/s/GPU.
    pub goodput_per_gpu: f64,
    /// Output tokens/s per GPU.
    pub tokens_per_s_per_gpu: f64,
    /// Output tokens/s per user: 1000 / mean ITL (0 without ITL samples).
    pub tokens_per_s_per_user: f64,
    /// Share of issued requests meeting the SLA, 0..=1.
    pub sla_hit_rate: f64,
    /// Whether the SLA rule holds.
    pub sla_met: bool,
    /// Requests issued.
    pub issued: u64,
    /// Requests dropped (never fit a KV cache).
    pub rejected: u64,
}

/// The result of one configuration (before ranking).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigResult {
    /// The configuration.
    pub config: ConfigPoint,
    /// GPUs used.
    pub num_gpus: u64,
    /// Least-measured origin of its engines (`measured-online` | `aic-estimate` | `analytic`).
    pub profile_origin: String,
    /// Profile of the prefill (agg: the only) engine.
    pub prefill_profile: String,
    /// Profile of the decode engine.
    pub decode_profile: String,
    /// Largest Poisson rate meeting the SLA, req/s (0 when even the lowest probe fails).
    pub max_rps_meeting_sla: f64,
    /// The probe run at `max_rps_meeting_sla` (absent when it is 0).
    pub at_max_rps: Option<RunPoint>,
    /// The target workload's levels.
    pub levels: Vec<RunPoint>,
    /// Whether every level meets the SLA.
    pub sla_met: bool,
    /// Simulations run for this configuration.
    pub simulations: u32,
    /// Why the configuration could not be evaluated (it is then ranked last).
    pub error: Option<String>,
}

impl ConfigResult {
    /// Goodput per GPU at the max SLA rate, req/s/GPU (0 when none).
    pub fn goodput_per_gpu(&self) -> f64 {
        self.at_max_rps.as_ref().map_or(0.0, |p| p.goodput_per_gpu)
    }

    /// Output tokens/s per GPU at the max SLA rate (0 when none).
    pub fn tokens_per_s_per_gpu(&self) -> f64 {
        self.at_max_rps.as_ref().map_or(0.0, |p| p.tokens_per_s_per_gpu)
    }

    /// Output tokens/s per user at the max SLA rate (0 when none).
    pub fn tokens_per_s_per_user(&self) -> f64 {
        self.at_max_rps.as_ref().map_or(0.0, |p| p.tokens_per_s_per_user)
    }

    /// A failed evaluation.
    pub fn failed(config: ConfigPoint, origin: String, error: String) -> ConfigResult {
        ConfigResult {
            num_gpus: config.num_gpus(),
            config,
            profile_origin: origin,
            prefill_profile: String::new(),
            decode_profile: String::new(),
            max_rps_meeting_sla: 0.0,
            at_max_rps: None,
            levels: Vec::new(),
            sla_met: false,
            simulations: 0,
            error: Some(error),
        }
    }
}

/// The SLA rule on one run (see the module docs).
fn point(label: String, m: &RunMetrics, o: &SimOutcome, gpus: u64, s: &EvalSettings) -> RunPoint {
    let issued = o.issued.max(m.requests_completed);
    let hits = m.sla_hit_rate * m.requests_completed as f64;
    let hit_rate = if issued == 0 { 0.0 } else { hits / issued as f64 };
    let g = gpus.max(1) as f64;
    RunPoint {
        load: label,
        ttft_ms: Pcts {
            p50: m.ttft_ms.p50,
            p90: m.ttft_ms.p90,
            p99: m.ttft_ms.p99,
        },
        itl_ms: Pcts {
            p50: m.itl_ms.p50,
            p90: m.itl_ms.p90,
            p99: m.itl_ms.p99,
        },
        throughput_token_s: m.throughput_token_s,
        request_throughput: m.request_throughput,
        goodput_req_s: m.goodput_req_s,
        goodput_per_gpu: m.goodput_req_s / g,
        tokens_per_s_per_gpu: m.throughput_token_s / g,
        tokens_per_s_per_user: if m.itl_ms.count > 0 && m.itl_ms.mean > 0.0 {
            1000.0 / m.itl_ms.mean
        } else {
            0.0
        },
        sla_hit_rate: hit_rate,
        // a small epsilon absorbs the float rounding of hits = rate × completed
        sla_met: issued > 0 && hit_rate + 1e-12 >= s.quantile,
        issued,
        rejected: o.rejected,
    }
}

fn run(dep: &Deployment, w: WorkloadSpec, s: &EvalSettings) -> crate::error::Result<RunPoint> {
    // exact percentiles up to the cap, bounded-memory histograms above it (no records are read)
    let (metrics, _) = metrics_mode_for(w.expected_requests(), None, MAX_EXACT_REQUESTS)?;
    let spec = SimSpec {
        deployment: dep.clone(),
        workload: w,
        calibration: s.calibration.clone(),
        sla: s.sla,
        metrics,
        variability: Default::default(),
    };
    let o = simulate(&spec)?;
    Ok(point(
        load_label(&spec.workload),
        &o.metrics,
        &o,
        u64::from(dep.num_gpus()),
        s,
    ))
}

/// Evaluates `dep` (the deployment of `config`): target levels, then the max-rate search.
pub fn evaluate(config: &ConfigPoint, dep: &Deployment, origin: &str, s: &EvalSettings) -> ConfigResult {
    let mut sims = 0u32;
    let mut body = || -> crate::error::Result<(Vec<RunPoint>, f64, Option<RunPoint>)> {
        let mut levels = Vec::with_capacity(s.workloads.len());
        for w in &s.workloads {
            levels.push(run(dep, w.clone(), s)?);
            sims += 1;
        }
        let Some(template) = s.workloads.first() else {
            return Ok((levels, 0.0, None));
        };
        let probe = |rps: f64| -> crate::error::Result<RunPoint> {
            let mut w = template.clone();
            w.load = LoadSpec::OpenLoop(ArrivalPattern::Poisson { rps });
            w.requests = Some(s.search_requests);
            w.duration_s = None;
            run(dep, w, s)
        };
        // A fixed start keeps the max rate independent of the target levels.
        let start = SEARCH_START_RPS;
        let first = probe(start)?;
        sims += 1;
        let (mut lo, mut hi, mut best);
        if first.sla_met {
            lo = start;
            best = Some(first);
            hi = f64::INFINITY;
            let mut r = start;
            for _ in 0..MAX_BRACKET_STEPS {
                r *= 2.0;
                let p = probe(r)?;
                sims += 1;
                if p.sla_met {
                    lo = r;
                    best = Some(p);
                } else {
                    hi = r;
                    break;
                }
            }
            if !hi.is_finite() {
                // SLA holds at every probed rate: report the largest probed.
                return Ok((levels, lo, best));
            }
        } else {
            hi = start;
            lo = 0.0;
            best = None;
            let mut r = start;
            for _ in 0..MAX_BRACKET_STEPS {
                r /= 2.0;
                let p = probe(r)?;
                sims += 1;
                if p.sla_met {
                    lo = r;
                    best = Some(p);
                    break;
                }
                hi = r;
            }
            if best.is_none() {
                return Ok((levels, 0.0, None));
            }
        }
        for _ in 0..MAX_BISECT_STEPS {
            if hi / lo <= 1.0 + RPS_TOLERANCE {
                break;
            }
            let mid = (lo * hi).sqrt();
            let p = probe(mid)?;
            sims += 1;
            if p.sla_met {
                lo = mid;
                best = Some(p);
            } else {
                hi = mid;
            }
        }
        Ok((levels, lo, best))
    };
    let outcome = body();
    match outcome {
        Ok((levels, max_rps, at)) => ConfigResult {
            num_gpus: config.num_gpus(),
            config: config.clone(),
            profile_origin: origin.to_string(),
            prefill_profile: String::new(),
            decode_profile: String::new(),
            max_rps_meeting_sla: max_rps,
            at_max_rps: at,
            sla_met: !levels.is_empty() && levels.iter().all(|l| l.sla_met),
            levels,
            simulations: sims,
            error: None,
        },
        Err(e) => {
            let mut r = ConfigResult::failed(config.clone(), origin.to_string(), e.to_string());
            r.simulations = sims;
            r
        }
    }
}
