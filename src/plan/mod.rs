//! `slasim plan`: the SLA planner's arithmetic for a prefill/decode profile pair, checked by
//! simulation, and a Dynamo `DynamoGraphDeployment` for the result.
//!
//! # Arithmetic (both interpolation views)
//! For a target rate R (req/s; a sinusoid's peak), prompt length ISL and output length OSL
//! (tokens), SLA TTFT/ITL targets (ms), a prefill engine of TP_p GPUs and a decode engine of
//! TP_d GPUs:
//! * prefill replicas = ⌈R·ISL / thpt_p(ISL) / TP_p⌉ (≥ 1), thpt_p in tokens/s/GPU;
//! * decode replicas = ⌈R·OSL / thpt_d / TP_d⌉ (≥ 1), where thpt_d is the decode throughput
//!   per GPU at the largest load meeting the ITL target at context C = ISL + OSL/2.
//!
//! The views differ in how thpt_p and thpt_d come from the profile:
//! * [`Interp::Slasim`] (default): the simulator's own interpolation ([`crate::profile`]):
//!   piecewise-linear prefill curve; for decode the largest batch B of requests at context C
//!   whose step time ITL(B·C tokens, C) ≤ target (capped by `max_num_seqs` and the engine's KV
//!   capacity), thpt_d = B / ITL · 1000 / TP_d.
//! * [`Interp::Planner`]: Dynamo's SLA planner's view ([`planner_view`]).
//!
//! The TTFT target does not enter the replica formula (as in Dynamo's planner); a note warns
//! when a prompt alone already misses it.
//!
//! # Check by simulation
//! The plan is simulated (disagg, the planned worker counts, Poisson arrivals at R, fixed
//! ISL/OSL, max(2000, 60·R) requests unless overridden). **SLA rule**: the plan meets the SLA
//! when the SLA hit rate — the share of requests with TTFT ≤ target AND ITL ≤ target — is at
//! least `min_hit_rate` (default 0.9; this implies p90 TTFT ≤ target and p90 ITL ≤ target).
//! Otherwise replicas are added and the plan re-simulated, at most `max_adjust` times: each
//! side whose own hit rate (TTFT-only for prefill, ITL-only for decode) is below `min_hit_rate`
//! gets one more worker; if both sides pass on their own but not jointly, the side with the
//! lower hit rate gets one. In disagg serving TTFT depends only on the prefill workers and ITL
//! only on the decode workers, so each side converges on its own. A side that cannot meet its
//! target at any replica count (one prompt alone exceeds the TTFT target, or one request alone
//! exceeds the ITL target) is not grown.

pub mod clough_tocher;
pub mod delaunay;
pub mod dgd;
pub mod planner_view;
pub mod spline;

use crate::error::{Error, Result};
use crate::metrics::{Sla, Stats};
use crate::profile::{EngineProfile, Profile};
use crate::sim::calibration::Calibration;
use crate::sim::deployment::{Deployment, DeploymentOptions, Mode};
use crate::sim::{simulate, MetricsMode, SimSpec};
use crate::workload::{ArrivalPattern, LengthModel, LoadSpec, WorkloadSpec};
use serde::Serialize;

/// Which interpolation of the profile the arithmetic uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Interp {
    /// slasim's own interpolation (the one the simulator uses).
    Slasim,
    /// Dynamo SLA planner's interpolation (cubic spline; Clough–Tocher grid).
    Planner,
}

impl std::fmt::Display for Interp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Interp::Slasim => "slasim",
            Interp::Planner => "planner",
        })
    }
}

/// What to plan for.
#[derive(Debug, Clone)]
pub struct PlanInputs {
    /// Target request rate, requests/s (the peak of a sinusoid).
    pub rate_rps: f64,
    /// Prompt length, tokens (≥ 1).
    pub isl: u32,
    /// Output length, tokens (≥ 1).
    pub osl: u32,
    /// SLA targets.
    pub sla: Sla,
    /// Interpolation view.
    pub interp: Interp,
    /// Request lengths of the simulation check when they are distributions (`None`: fixed
    /// `isl` / `osl`, which the arithmetic uses in either case — the distributions' means).
    pub lengths: Option<LengthModel>,
}

/// The planner arithmetic's result.
#[derive(Debug, Clone, Serialize)]
pub struct Arithmetic {
    /// Interpolation used.
    pub interp: Interp,
    /// Prefill side.
    pub prefill: PrefillSide,
    /// Decode side.
    pub decode: DecodeSide,
    /// Remarks (clamping, unreachable targets, degenerate data).
    pub notes: Vec<String>,
}

/// Prefill side of the arithmetic.
#[derive(Debug, Clone, Serialize)]
pub struct PrefillSide {
    /// GPUs per prefill engine.
    pub tp: u32,
    /// ISL looked up (clamped to the measured range by the planner view), tokens.
    pub isl_used: f64,
    /// TTFT of one prompt alone, ms.
    pub ttft_ms: f64,
    /// Prefill throughput at the ISL, tokens/s/GPU.
    pub thpt_per_gpu: f64,
    /// Prompt tokens per second to serve, R·ISL, tokens/s.
    pub demand_tokens_s: f64,
    /// Replicas (workers), ≥ 1.
    pub replicas: u32,
    /// Whether one prompt alone meets the TTFT target.
    pub ttft_reachable: bool,
}

/// Decode side of the arithmetic.
#[derive(Debug, Clone, Serialize)]
pub struct DecodeSide {
    /// GPUs per decode engine.
    pub tp: u32,
    /// Context length used, ISL + OSL/2 (the planner view: its grid row's context), tokens.
    pub context: f64,
    /// kv_usage of the chosen load (planner view: grid column; slasim: B·C / KV scale).
    pub kv_usage: f64,
    /// Batch size at the chosen load (slasim view only), requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<u64>,
    /// ITL at the chosen load, ms.
    pub itl_ms: f64,
    /// Decode throughput at the chosen load, tokens/s/GPU.
    pub thpt_per_gpu: f64,
    /// Output tokens per second to serve, R·OSL, tokens/s.
    pub demand_tokens_s: f64,
    /// Replicas (workers), ≥ 1.
    pub replicas: u32,
    /// Whether any load meets the ITL target.
    pub itl_reachable: bool,
    /// How the planner view's grid was filled (planner view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grid: Option<String>,
}

fn replicas(demand: f64, thpt_per_gpu: f64, tp: u32) -> u32 {
    if thpt_per_gpu.is_nan() || thpt_per_gpu <= 0.0 {
        return 1;
    }
    let r = (demand / thpt_per_gpu / tp as f64).ceil();
    if r.is_finite() {
        r.clamp(1.0, 1_000_000.0) as u32
    } else {
        1
    }
}

/// The planner arithmetic on the prefill and decode engines. `max_num_seqs` and
/// `decode_kv_capacity` (tokens) bound the slasim view's decode batch.
pub fn arithmetic(
    inp: &PlanInputs,
    pe: &EngineProfile,
    de: &EngineProfile,
    max_num_seqs: u32,
    decode_kv_capacity: f64,
) -> Result<Arithmetic> {
    let curve = pe
        .prefill
        .as_ref()
        .ok_or_else(|| Error::usage("--profile", "the prefill engine has no prefill curve"))?;
    let surf = de
        .decode
        .as_ref()
        .ok_or_else(|| Error::usage("--profile", "the decode engine has no decode surface"))?;
    let (isl, osl) = (inp.isl as f64, inp.osl as f64);
    let rate = inp.rate_rps;
    let context = isl + osl / 2.0;
    let mut notes = Vec::new();
    let (isl_used, ttft, pthpt) = match inp.interp {
        Interp::Slasim => (isl, curve.ttft_ms(isl), curve.thpt_per_gpu(isl)),
        Interp::Planner => {
            let v = planner_view::PlannerPrefill::new(curve)?;
            let used = v.clamp(isl);
            if used != isl {
                notes.push(format!(
                    "ISL {isl} is outside the measured prefill range; the planner view clamps it to {used}"
                ));
            }
            (used, v.ttft_ms(isl), v.thpt_per_gpu(isl))
        }
    };
    let ttft_reachable = ttft <= inp.sla.ttft_ms;
    if !ttft_reachable {
        notes.push(format!(
            "one {isl}-token prompt alone takes {ttft:.1} ms > TTFT target {} ms: no number of prefill replicas meets it",
            inp.sla.ttft_ms
        ));
    }
    let prefill = PrefillSide {
        tp: pe.tp,
        isl_used,
        ttft_ms: ttft,
        thpt_per_gpu: pthpt,
        demand_tokens_s: rate * isl,
        replicas: replicas(rate * isl, pthpt, pe.tp),
        ttft_reachable,
    };
    let decode = match inp.interp {
        Interp::Slasim => {
            let found = surf.max_batch_within(context, inp.sla.itl_ms, decode_kv_capacity);
            let b = found.unwrap_or(1).min(max_num_seqs.max(1) as u64);
            let itl = surf.itl_ms_for_batch(b as f64 * context, context);
            let thpt = b as f64 / itl * 1000.0 / de.tp as f64;
            if found.is_none() {
                notes.push(format!(
                    "one request alone decodes at {itl:.2} ms/token > ITL target {} ms: no number of decode replicas meets it",
                    inp.sla.itl_ms
                ));
            }
            DecodeSide {
                tp: de.tp,
                context,
                kv_usage: b as f64 * context / surf.kv_scale_tokens,
                batch: Some(b),
                itl_ms: itl,
                thpt_per_gpu: thpt,
                demand_tokens_s: rate * osl,
                replicas: replicas(rate * osl, thpt, de.tp),
                itl_reachable: found.is_some(),
                grid: None,
            }
        }
        Interp::Planner => {
            let v = planner_view::PlannerDecode::new(surf);
            let q = v.best_thpt(inp.sla.itl_ms, context);
            if !q.meets {
                notes.push(format!(
                    "no grid node at context {:.0} meets ITL {} ms; the planner view falls back to the lowest load",
                    q.grid_context, inp.sla.itl_ms
                ));
            }
            if v.method.starts_with("nearest") {
                notes.push(format!("planner decode grid: {}", v.method));
            }
            DecodeSide {
                tp: de.tp,
                context: q.grid_context,
                kv_usage: q.kv_usage,
                batch: None,
                itl_ms: q.itl_ms,
                thpt_per_gpu: q.thpt_per_gpu,
                demand_tokens_s: rate * osl,
                replicas: replicas(rate * osl, q.thpt_per_gpu, de.tp),
                itl_reachable: q.meets,
                grid: Some(v.method.clone()),
            }
        }
    };
    Ok(Arithmetic {
        interp: inp.interp,
        prefill,
        decode,
        notes,
    })
}

/// One simulation check of a plan.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Prefill workers simulated.
    pub prefill_workers: u32,
    /// Decode workers simulated.
    pub decode_workers: u32,
    /// GPUs of the deployment.
    pub num_gpus: u32,
    /// Requests simulated.
    pub requests: u64,
    /// Offered rate, requests/s.
    pub rps: f64,
    /// TTFT statistics, ms.
    pub ttft_ms: Stats,
    /// ITL statistics, ms.
    pub itl_ms: Stats,
    /// Share of requests meeting both targets, 0..=1.
    pub sla_hit_rate: f64,
    /// Share of requests meeting the TTFT target, 0..=1.
    pub ttft_hit_rate: f64,
    /// Share of requests (with ≥ 2 output tokens) meeting the ITL target, 0..=1.
    pub itl_hit_rate: f64,
    /// Goodput, requests/s.
    pub goodput_req_s: f64,
    /// Requests dropped because they never fit a KV cache.
    pub rejected: u64,
    /// Whether the SLA rule holds.
    pub meets_sla: bool,
}

/// Settings of the simulation check.
#[derive(Debug, Clone)]
pub struct CheckSettings {
    /// Deployment options (profile, TPs, caps); worker counts are set per check.
    pub options: DeploymentOptions,
    /// Calibration parameters.
    pub calibration: Calibration,
    /// Requests per check (`None`: max(2000, 60·R)).
    pub requests: Option<u64>,
    /// Seed.
    pub seed: u64,
    /// Minimum SLA hit rate for the plan to pass, 0..=1.
    pub min_hit_rate: f64,
    /// Most re-checks with more replicas.
    pub max_adjust: u32,
}

/// Requests per check by default: 60 s of traffic at `rate`, at least 2000 and at most
/// [`crate::sim::MAX_EXACT_REQUESTS`] (the check keeps every request record).
pub fn default_requests(rate: f64) -> u64 {
    ((60.0 * rate).ceil() as u64).clamp(2000, crate::sim::MAX_EXACT_REQUESTS)
}

/// Builds the disagg deployment with the given worker counts.
pub fn deployment(profile: &Profile, opts: &DeploymentOptions, pw: u32, dw: u32) -> Result<Deployment> {
    let mut o = opts.clone();
    o.mode = Some(Mode::Disagg);
    o.prefill_workers = Some(pw);
    o.decode_workers = Some(dw);
    o.build(profile)
}

/// Simulates one plan.
pub fn check(profile: &Profile, inp: &PlanInputs, s: &CheckSettings, pw: u32, dw: u32) -> Result<Check> {
    let dep = deployment(profile, &s.options, pw, dw)?;
    let requests = s.requests.unwrap_or_else(|| default_requests(inp.rate_rps));
    let spec = SimSpec {
        deployment: dep.clone(),
        workload: WorkloadSpec::new(
            LoadSpec::OpenLoop(ArrivalPattern::Poisson { rps: inp.rate_rps }),
            inp.lengths
                .clone()
                .unwrap_or_else(|| LengthModel::fixed(inp.isl, inp.osl)),
            Some(requests),
            s.seed,
        ),
        calibration: s.calibration.clone(),
        sla: inp.sla,
        metrics: MetricsMode::Exact,
        variability: Default::default(),
    };
    let out = simulate(&spec)?;
    let recs = out.collector.records();
    let n = recs.len().max(1) as f64;
    let ttft_ok = recs
        .iter()
        .filter(|r| (r.first_token_ns.saturating_sub(r.arrival_ns)) as f64 / 1e6 <= inp.sla.ttft_ms)
        .count() as f64;
    let with_itl: Vec<f64> = recs
        .iter()
        .filter(|r| r.osl >= 2)
        .map(|r| (r.completion_ns.saturating_sub(r.first_token_ns)) as f64 / 1e6 / (r.osl - 1) as f64)
        .collect();
    let itl_hit = if with_itl.is_empty() {
        1.0
    } else {
        with_itl.iter().filter(|&&v| v <= inp.sla.itl_ms).count() as f64 / with_itl.len() as f64
    };
    let m = &out.metrics;
    let complete = out.rejected == 0;
    Ok(Check {
        prefill_workers: pw,
        decode_workers: dw,
        num_gpus: dep.num_gpus(),
        requests: m.requests_completed,
        rps: inp.rate_rps,
        ttft_ms: m.ttft_ms,
        itl_ms: m.itl_ms,
        sla_hit_rate: m.sla_hit_rate,
        ttft_hit_rate: ttft_ok / n,
        itl_hit_rate: itl_hit,
        goodput_req_s: m.goodput_req_s,
        rejected: out.rejected,
        meets_sla: complete && m.sla_hit_rate >= s.min_hit_rate,
    })
}

/// The checked plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The arithmetic.
    pub arithmetic: Arithmetic,
    /// Every simulation check, in order (the first is the arithmetic's plan).
    pub checks: Vec<Check>,
    /// Final prefill workers.
    pub prefill_workers: u32,
    /// Final decode workers.
    pub decode_workers: u32,
    /// Whether replicas were added after the first check.
    pub adjusted: bool,
    /// Whether the final plan meets the SLA rule in simulation (`None` when not simulated).
    pub meets_sla: Option<bool>,
    /// What happened, in words.
    pub verdict: String,
}

/// Runs the arithmetic, then (when `settings` is given) the simulation check and bounded
/// adjustment.
pub fn plan(
    profile: &Profile,
    inp: &PlanInputs,
    settings: Option<&CheckSettings>,
    opts: &DeploymentOptions,
) -> Result<Plan> {
    let base = deployment(profile, opts, 1, 1)?;
    let pe = profile.prefill_engine(Some(base.prefill.tp), "--prefill-tp")?;
    let de = profile.decode_engine(Some(base.decode.tp), "--decode-tp")?;
    let ar = arithmetic(inp, pe, de, base.max_num_seqs, base.decode.kv_capacity_tokens as f64)?;
    let (mut pw, mut dw) = (ar.prefill.replicas, ar.decode.replicas);
    let Some(s) = settings else {
        return Ok(Plan {
            verdict: format!("planned P{pw} D{dw} (not simulated)"),
            arithmetic: ar,
            checks: Vec::new(),
            prefill_workers: pw,
            decode_workers: dw,
            adjusted: false,
            meets_sla: None,
        });
    };
    let mut checks = vec![check(profile, inp, s, pw, dw)?];
    let mut stuck = String::new();
    while !checks[checks.len() - 1].meets_sla && checks.len() <= s.max_adjust as usize {
        let c = &checks[checks.len() - 1];
        let thr = s.min_hit_rate;
        let mut grow_p = c.ttft_hit_rate < thr && ar.prefill.ttft_reachable;
        let mut grow_d = c.itl_hit_rate < thr && ar.decode.itl_reachable;
        if !grow_p && !grow_d {
            let p_ok = c.ttft_hit_rate >= thr || !ar.prefill.ttft_reachable;
            let d_ok = c.itl_hit_rate >= thr || !ar.decode.itl_reachable;
            if p_ok && d_ok && ar.prefill.ttft_reachable && ar.decode.itl_reachable {
                if c.ttft_hit_rate <= c.itl_hit_rate {
                    grow_p = true;
                } else {
                    grow_d = true;
                }
            } else {
                stuck = "the missing side cannot meet its target at any replica count".into();
                break;
            }
        }
        if grow_p {
            pw += 1;
        }
        if grow_d {
            dw += 1;
        }
        checks.push(check(profile, inp, s, pw, dw)?);
    }
    let last = &checks[checks.len() - 1];
    let adjusted = checks.len() > 1;
    let (p0, d0) = (ar.prefill.replicas, ar.decode.replicas);
    let verdict = if last.meets_sla && !adjusted {
        format!(
            "planned P{pw} D{dw} meets the SLA in simulation (hit rate {:.1} % ≥ {:.0} %)",
            last.sla_hit_rate * 100.0,
            s.min_hit_rate * 100.0
        )
    } else if last.meets_sla {
        format!(
            "planned P{p0} D{d0} missed the SLA in simulation (hit rate {:.1} %); adjusted up to P{pw} D{dw}, which meets it (hit rate {:.1} %) after {} re-check(s)",
            checks[0].sla_hit_rate * 100.0,
            last.sla_hit_rate * 100.0,
            checks.len() - 1
        )
    } else {
        format!(
            "planned P{p0} D{d0} missed the SLA in simulation; after {} re-check(s) P{pw} D{dw} still misses it (hit rate {:.1} % < {:.0} %){}",
            checks.len() - 1,
            last.sla_hit_rate * 100.0,
            s.min_hit_rate * 100.0,
            if stuck.is_empty() { String::new() } else { format!(": {stuck}") }
        )
    };
    Ok(Plan {
        meets_sla: Some(last.meets_sla),
        adjusted,
        prefill_workers: pw,
        decode_workers: dw,
        checks,
        arithmetic: ar,
        verdict,
    })
}
