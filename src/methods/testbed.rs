//! The offline testbed of a method study: a set of deployable configurations with ground-truth
//! performance, a cheap oracle, a static estimate, a deployment cost model and noise.
//!
//! # Configurations
//! Over the testbed's TP list (default: the TPs the testbed profile measured, else 1, 2, 4, 8):
//! every disaggregated engine pair — prefill TP × decode TP (id `p2d4`) — and every aggregated
//! engine TP (id `agg-tp4`), each with the batch cap `MAX_BS` of the test plan
//! ([`max_bs_rule`] of the decode, or aggregated, TP). Replica counts are not a choice of the
//! method: a deployment is *right-sized* for the realistic load (below), as the SLA planner
//! would.
//!
//! # Ground truth
//! Engine performance is the testbed profile where it has the (role, TP) measured; otherwise an
//! analytic roofline profile perturbed by a fixed, seeded **model error**: the prefill curve's
//! TTFTs and the decode surface's ITLs are each multiplied by one log-normal factor per
//! (role, TP), σ = `model_error` (default 0.15), drawn from [`WORLD_SEED`] — the same world for
//! every seed of the study.
//!
//! * **Realistic load** (default a 5–45 req/s sinusoid over 30 min, ISL 2048 / OSL 256): the
//!   configuration is right-sized by simulation — disaggregated: the fewest prefill workers
//!   whose TTFT meets the target for ≥ `quantile` of requests (decode pool generous), then the
//!   fewest decode workers with which ≥ `quantile` of requests meet both targets; aggregated:
//!   the fewest replicas with which they do ([`Testbed::right_size`]). Its
//!   **goodput/GPU** = requests/s meeting both targets ÷ GPUs of that deployment.
//! * **Load levels** (the test plan's predictive-accuracy points): one prefill and one decode
//!   worker (aggregated: one replica), closed loop at concurrency 1, ½·MAX_BS, 0.9·MAX_BS and 1.1·MAX_BS (rounded, each
//!   ≥ the previous + 1): TTFT p50, ITL p50 and SLA hit rate.
//!
//! A seed is a *world*: the truth a deployment reveals is the simulated truth times
//! `1 + ε`, ε ~ N(0, `world_noise`) drawn per (seed, configuration, metric) — the part of reality
//! no profile and no simulator captures. A deployment also returns the engines' **measured
//! profiles**: the true curves with independent per-point noise N(0, `measurement_noise`).
//!
//! # The cheap oracle and the static estimate
//! Both see only the analytic roofline estimate of each engine (default efficiency factors).
//! * **Oracle** — the simulator on the estimate: right-sizing and goodput/GPU as above.
//! * **Static estimate** (AIConfigurator-style, no queueing): prefill capacity
//!   `ISL / TTFT(ISL)` tokens/s per worker, decode capacity `b / ITL(b)` tokens/s per worker at
//!   the largest batch b ≤ MAX_BS meeting the ITL target; goodput/GPU =
//!   (mean rate ÷ peak rate) ÷ (ISL / prefill tokens/s/GPU + OSL / decode tokens/s/GPU), i.e.
//!   a fleet sized for the peak and serving the mean. Level predictions: TTFT = TTFT(ISL),
//!   ITL = ITL at batch min(concurrency, MAX_BS).
//!
//! # Cost
//! See [`CostModel`]: deployments take start-up + benchmark minutes on the right-sized GPUs;
//! estimates and oracle calls take modelled CPU minutes and no GPU.

use crate::error::{Error, Result};
use crate::metrics::Sla;
use crate::profile::{DecodePoint, DecodeSurface, EngineProfile, Origin, PrefillCurve, Profile, Role};
use crate::search::engine_for_role;
use crate::search::resolve::{SourceRequest, Sources};
use crate::sim::calibration::Calibration;
use crate::sim::deployment::{DeploymentOptions, Mode};
use crate::sim::{simulate, MetricsMode, SimSpec};
use crate::workload::{ArrivalPattern, LengthModel, LoadSpec, WorkloadSpec};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// Seed of the fixed model error of analytic ground truth (the same for every study seed).
pub const WORLD_SEED: u64 = 0x5e1a_5eed;
/// Most workers per role the right-sizing search tries before declaring a configuration unable
/// to meet the SLA.
pub const MAX_WORKERS: u32 = 256;

/// The test plan's batch-size cap per decode TP: 8 for TP ≤ 2 (the test plan's disaggregated
/// ISL-2048 case), 32 for TP4 and 64 for TP8 and above (the upper ends of its 16–32 and 32–64
/// ranges).
pub fn max_bs_rule(decode_tp: u32) -> u32 {
    match decode_tp {
        0..=2 => 8,
        3..=4 => 32,
        _ => 64,
    }
}

/// The four load levels at a batch cap: `(name, concurrency)` — 1, ½, 0.9 and 1.1 × `max_bs`,
/// rounded, each at least one more than the previous.
pub fn load_levels(max_bs: u32) -> Vec<(String, u32)> {
    let mut out: Vec<(String, u32)> = Vec::new();
    let mut prev = 0u32;
    for (name, f) in super::real::STANDARD_LEVELS {
        let c = if f == 0.0 {
            1
        } else {
            (f * max_bs as f64).round() as u32
        };
        let c = c.max(prev + 1);
        out.push((name.to_string(), c));
        prev = c;
    }
    out
}

/// What the study charges for a profiling action.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CostModel {
    /// Start-up of one deployment (pods, weights, warm-up), minutes.
    pub startup_min: f64,
    /// Benchmark time per load level, minutes (four levels per deployment).
    pub level_min: f64,
    /// Modelled CPU minutes per configuration for a static estimate (AIConfigurator-style).
    pub static_min_per_config: f64,
    /// Modelled CPU minutes per configuration for an oracle call (the simulator; an upper bound
    /// of what a right-sizing search takes on one core).
    pub oracle_min_per_config: f64,
}

impl Default for CostModel {
    fn default() -> Self {
        CostModel {
            startup_min: 10.0,
            level_min: 5.0,
            static_min_per_config: 0.05,
            oracle_min_per_config: 0.5,
        }
    }
}

/// Noise of the testbed world (relative standard deviations, ≥ 0).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct NoiseModel {
    /// Per (seed, configuration, metric) deviation of reality from the simulated truth.
    pub world_noise: f64,
    /// Per-point noise of a measured profile.
    pub measurement_noise: f64,
    /// Model error of analytic ground truth (log-normal σ per role and TP).
    pub model_error: f64,
}

impl Default for NoiseModel {
    fn default() -> Self {
        NoiseModel {
            world_noise: 0.03,
            measurement_noise: 0.03,
            model_error: 0.15,
        }
    }
}

/// Everything that defines a testbed.
#[derive(Debug, Clone)]
pub struct TestbedSpec {
    /// Profile whose measured engines are the ground truth (shipped name or path).
    pub profile: String,
    /// TPs of the configuration space (`None`: the profile's measured TPs if ≥ 2, else 1,2,4,8).
    pub tps: Option<Vec<u32>>,
    /// Serving modes of the space (disaggregated pairs and/or aggregated engines).
    pub modes: Vec<Mode>,
    /// Input length, tokens.
    pub isl: u32,
    /// Output length, tokens.
    pub osl: u32,
    /// SLA targets.
    pub sla: Sla,
    /// Share of requests that must meet the SLA in right-sizing (0 < q ≤ 1).
    pub quantile: f64,
    /// The realistic load (open loop).
    pub realistic: ArrivalPattern,
    /// Its duration, seconds.
    pub realistic_s: f64,
    /// Batch cap for every configuration (`None`: [`max_bs_rule`] of its decode TP).
    pub max_bs: Option<u32>,
    /// Requests per load-level simulation.
    pub level_requests: u64,
    /// Noise.
    pub noise: NoiseModel,
    /// Costs.
    pub cost: CostModel,
}

/// One configuration of the space.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestbedConfig {
    /// Position in the space.
    pub index: usize,
    /// Short id, e.g. `p4d8` or `agg-tp4`.
    pub id: String,
    /// Disaggregated pair or aggregated engine.
    pub mode: Mode,
    /// Prefill engine TP (aggregated: the engine's TP).
    pub prefill_tp: u32,
    /// Decode engine TP (aggregated: the engine's TP).
    pub decode_tp: u32,
    /// Batch cap of the engines (MAX_BS).
    pub max_bs: u32,
}

/// A prefill and a decode engine (aggregated: the prefill curve and the decode surface of the
/// one engine).
#[derive(Debug, Clone)]
pub struct EnginePair {
    /// The prefill engine (role Prefill).
    pub prefill: EngineProfile,
    /// The decode engine (role Decode).
    pub decode: EngineProfile,
}

/// A right-sized deployment under the realistic load.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sizing {
    /// Prefill workers (aggregated: replicas).
    pub prefill_workers: u32,
    /// Decode workers (aggregated: 0).
    pub decode_workers: u32,
    /// GPUs.
    pub gpus: u32,
    /// Requests/s meeting both targets.
    pub goodput_req_s: f64,
    /// Goodput ÷ GPUs, req/s/GPU (0 when the SLA cannot be met).
    pub goodput_per_gpu: f64,
    /// Share of requests meeting both targets.
    pub sla_hit_rate: f64,
    /// Whether the quantile was reached within [`MAX_WORKERS`] workers per role.
    pub feasible: bool,
}

/// TTFT/ITL at one load level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LevelValues {
    /// TTFT p50, ms.
    pub ttft_p50_ms: f64,
    /// ITL p50, ms.
    pub itl_p50_ms: f64,
    /// Share of requests meeting both targets.
    pub sla_hit_rate: f64,
}

/// What a deployment revealed.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// The right-sized deployment that was benchmarked.
    pub sizing: Sizing,
    /// Measured goodput/GPU under the realistic load (the world's truth for this seed).
    pub goodput_per_gpu: f64,
    /// Measured profiles of its engines.
    pub engines: EnginePair,
    /// Cost of this deployment, minutes.
    pub minutes: f64,
    /// Cost of this deployment, GPU-hours.
    pub gpu_hours: f64,
}

/// The static (no-queueing) estimate of one configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaticEstimate {
    /// Predicted goodput/GPU, req/s/GPU (0 when a target is unreachable).
    pub goodput_per_gpu: f64,
    /// Predicted values per load level.
    pub levels: Vec<LevelValues>,
}

/// The testbed, with everything seed-independent precomputed.
#[derive(Debug)]
pub struct Testbed {
    /// Its definition.
    pub spec: TestbedSpec,
    /// Model id.
    pub model: String,
    /// GPU name.
    pub gpu: String,
    /// Backend.
    pub backend: String,
    /// The configuration space.
    pub configs: Vec<TestbedConfig>,
    /// Where each configuration's ground truth comes from (`measured-online`, `analytic+error`).
    pub truth_origin: Vec<String>,
    /// True engines per configuration.
    pub truth_engines: Vec<EnginePair>,
    /// Analytic estimates per configuration.
    pub estimate_engines: Vec<EnginePair>,
    /// Ground-truth right-sizing per configuration (before world noise).
    pub truth: Vec<Sizing>,
    /// Ground-truth level values per configuration (before world noise).
    pub truth_levels: Vec<Vec<LevelValues>>,
    /// The oracle's right-sizing per configuration.
    pub oracle: Vec<Sizing>,
    /// The static estimate per configuration.
    pub static_estimates: Vec<StaticEstimate>,
    /// The load levels of configuration i are `levels(i)`; names and concurrencies.
    pub level_names: Vec<String>,
}

fn usage(flag: &str, msg: impl Into<String>) -> Error {
    Error::usage(flag, msg.into())
}

/// A normal deviate stream for (seed, tag, index).
pub(crate) fn noise_rng(seed: u64, tag: u64, index: u64) -> ChaCha8Rng {
    let mix = crate::workload::rng::splitmix64(
        seed ^ crate::workload::rng::splitmix64(tag ^ crate::workload::rng::splitmix64(index)),
    );
    ChaCha8Rng::seed_from_u64(mix)
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    rng.sample::<f64, _>(StandardNormal)
}

/// Multiplies the prefill TTFTs by `f_ttft(i)` and the decode ITLs by `f_itl(i)` (per point),
/// keeping throughputs consistent (divided by the same factor).
fn scaled_pair(
    pair: &EnginePair,
    mut f_ttft: impl FnMut(usize) -> f64,
    mut f_itl: impl FnMut(usize) -> f64,
) -> Result<EnginePair> {
    let mut out = pair.clone();
    if let Some(c) = &pair.prefill.prefill {
        let f: Vec<f64> = (0..c.isl.len()).map(&mut f_ttft).collect();
        let ttft = c.ttft_ms.iter().zip(&f).map(|(t, k)| t * k).collect();
        let thpt = c.thpt_per_gpu.iter().zip(&f).map(|(t, k)| t / k).collect();
        out.prefill.prefill = Some(PrefillCurve::new("testbed", c.isl.clone(), ttft, thpt, c.tp)?);
    }
    if let Some(s) = &pair.decode.decode {
        let pts: Vec<DecodePoint> = s
            .points()
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let k = f_itl(i);
                DecodePoint {
                    itl_ms: p.itl_ms * k,
                    thpt_per_gpu: p.thpt_per_gpu / k,
                    ..p
                }
            })
            .collect();
        out.decode.decode = Some(DecodeSurface::from_points(
            "testbed",
            &pts,
            s.kv_scale_tokens,
            s.tp,
            1.5,
        )?);
    }
    Ok(out)
}

/// The pair with per-point measurement noise (relative σ) drawn from `rng`.
pub(crate) fn measured_pair(pair: &EnginePair, sigma: f64, rng: &mut ChaCha8Rng) -> Result<EnginePair> {
    let mut draw = |_: usize| (1.0 + sigma * normal(rng)).max(0.5);
    let ttft: Vec<f64> = (0..pair.prefill.prefill.as_ref().map_or(0, |c| c.isl.len()))
        .map(&mut draw)
        .collect();
    let itl: Vec<f64> = (0..pair.decode.decode.as_ref().map_or(0, |s| s.points().len()))
        .map(&mut draw)
        .collect();
    scaled_pair(pair, |i| ttft[i], |i| itl[i])
}

impl Testbed {
    /// Builds the testbed: resolves engines, then right-sizes every configuration on the truth
    /// and on the estimate and simulates the truth's load levels (in parallel).
    pub fn build(spec: TestbedSpec) -> Result<Testbed> {
        if !(spec.quantile > 0.0 && spec.quantile <= 1.0) {
            return Err(usage(
                "--sla-quantile",
                format!("expected 0 < q ≤ 1, got {}", spec.quantile),
            ));
        }
        for (flag, v) in [
            ("--world-noise", spec.noise.world_noise),
            ("--measurement-noise", spec.noise.measurement_noise),
            ("--model-error", spec.noise.model_error),
        ] {
            if !(v.is_finite() && (0.0..=0.5).contains(&v)) {
                return Err(usage(flag, format!("expected a relative σ in [0, 0.5], got {v}")));
            }
        }
        if !(spec.realistic_s.is_finite() && spec.realistic_s > 0.0) {
            return Err(usage("--sinusoid", "the realistic load needs a duration > 0 s"));
        }
        spec.realistic.validate()?;
        let mut sources = Sources::new(&SourceRequest {
            profile: Some(spec.profile.clone()),
            ..Default::default()
        })
        .map_err(|e| usage("--testbed", format!("`{}`: {e}", spec.profile)))?;
        let tps = match &spec.tps {
            Some(t) if !t.is_empty() => t.clone(),
            Some(_) => return Err(usage("--tp", "the TP list is empty")),
            None => {
                let mut m = sources.measured_tps(Role::Prefill);
                m.retain(|t| sources.measured_tps(Role::Decode).contains(t));
                if m.len() >= 2 {
                    m
                } else {
                    vec![1, 2, 4, 8]
                }
            }
        };
        // (role, TP) → (true engine, its origin, analytic estimate); the true engine carries
        // the model error where it is analytic. Role Agg is the aggregated engine.
        let mut engines: BTreeMap<(u8, u32), (EngineProfile, Origin, EngineProfile)> = BTreeMap::new();
        let mut engine = |role: Role, tp: u32| -> Result<(EngineProfile, Origin, EngineProfile)> {
            let key = (role as u8, tp);
            if let Some(e) = engines.get(&key) {
                return Ok(e.clone());
            }
            let t = sources
                .resolve(role, tp)
                .map_err(|e| usage("--tp", format!("testbed `{}`, {role} TP {tp}: {e}", spec.profile)))?
                .clone();
            let est = sources
                .analytic_source(role, tp)
                .map_err(|e| usage("--testbed", format!("no analytic estimate for {role} TP {tp}: {e}")))?;
            let mut truth = t.engine;
            if t.origin == Origin::Analytic {
                let mut r = noise_rng(WORLD_SEED, u64::from(key.0), u64::from(tp));
                let f = (spec.noise.model_error * normal(&mut r)).exp();
                let pair = EnginePair {
                    prefill: truth.clone(),
                    decode: truth.clone(),
                };
                let scaled = scaled_pair(&pair, |_| f, |_| f)?;
                truth.prefill = scaled.prefill.prefill;
                truth.decode = scaled.decode.decode;
            }
            let e = (truth, t.origin, est.engine);
            engines.insert(key, e.clone());
            Ok(e)
        };
        let origin_of = |o: &[Origin]| {
            if o.contains(&Origin::Analytic) {
                "analytic+model-error".to_string()
            } else {
                o[0].to_string()
            }
        };
        let mut configs = Vec::new();
        let mut truth_engines = Vec::new();
        let mut estimate_engines = Vec::new();
        let mut truth_origin = Vec::new();
        let mut space: Vec<(Mode, u32, u32)> = Vec::new();
        if spec.modes.contains(&Mode::Disagg) {
            space.extend(tps.iter().flat_map(|&p| tps.iter().map(move |&d| (Mode::Disagg, p, d))));
        }
        if spec.modes.contains(&Mode::Agg) {
            space.extend(tps.iter().map(|&t| (Mode::Agg, t, t)));
        }
        for (mode, ptp, dtp) in space {
            let (id, (tp_, op, ep), (td, od, ed)) = match mode {
                Mode::Disagg => (
                    format!("p{ptp}d{dtp}"),
                    engine(Role::Prefill, ptp)?,
                    engine(Role::Decode, dtp)?,
                ),
                Mode::Agg => {
                    let e = engine(Role::Agg, ptp)?;
                    (format!("agg-tp{ptp}"), e.clone(), e)
                }
            };
            configs.push(TestbedConfig {
                index: configs.len(),
                id,
                mode,
                prefill_tp: ptp,
                decode_tp: dtp,
                max_bs: spec.max_bs.unwrap_or_else(|| max_bs_rule(dtp)),
            });
            truth_origin.push(origin_of(&[op, od]));
            truth_engines.push(EnginePair {
                prefill: engine_for_role(&tp_, Role::Prefill),
                decode: engine_for_role(&td, Role::Decode),
            });
            estimate_engines.push(EnginePair {
                prefill: engine_for_role(&ep, Role::Prefill),
                decode: engine_for_role(&ed, Role::Decode),
            });
        }
        if configs.is_empty() {
            return Err(usage("--mode", "the configuration space is empty"));
        }
        let mut tb = Testbed {
            model: sources.model.clone(),
            gpu: sources.gpu.clone(),
            backend: sources.backend.clone(),
            spec,
            configs,
            truth_origin,
            truth_engines,
            estimate_engines,
            truth: Vec::new(),
            truth_levels: Vec::new(),
            oracle: Vec::new(),
            static_estimates: Vec::new(),
            level_names: vec!["idle".into(), "medium".into(), "saturation".into(), "overload".into()],
        };
        let n = tb.configs.len();
        let work: Vec<Result<(Sizing, Vec<LevelValues>, Sizing)>> = (0..n)
            .into_par_iter()
            .map(|i| {
                let truth = tb.right_size(&tb.configs[i], &tb.truth_engines[i])?;
                let levels = tb.simulate_levels(&tb.configs[i], &tb.truth_engines[i], 1)?;
                let oracle = tb.right_size(&tb.configs[i], &tb.estimate_engines[i])?;
                Ok((truth, levels, oracle))
            })
            .collect();
        for w in work {
            let (t, l, o) = w?;
            tb.truth.push(t);
            tb.truth_levels.push(l);
            tb.oracle.push(o);
        }
        tb.static_estimates = (0..n)
            .map(|i| tb.static_estimate(&tb.configs[i], &tb.estimate_engines[i]))
            .collect();
        Ok(tb)
    }

    /// The load levels of a configuration: `(name, concurrency)`.
    pub fn levels(&self, c: &TestbedConfig) -> Vec<(String, u32)> {
        load_levels(c.max_bs)
    }

    fn profile_of(&self, c: &TestbedConfig, pair: &EnginePair) -> Profile {
        let engines = match c.mode {
            Mode::Disagg => vec![pair.prefill.clone(), pair.decode.clone()],
            Mode::Agg => vec![EngineProfile {
                role: Role::Agg,
                tp: c.prefill_tp,
                prefill: pair.prefill.prefill.clone(),
                decode: pair.decode.decode.clone(),
                kv_capacity_override: pair.decode.kv_capacity_override,
                kv_capacity_note: pair.decode.kv_capacity_note.clone(),
            }],
        };
        Profile {
            name: format!("testbed {}", self.spec.profile),
            model: self.model.clone(),
            gpu: self.gpu.clone(),
            backend: self.backend.clone(),
            backend_version: None,
            origin: Origin::Unknown,
            description: None,
            engines,
        }
    }

    /// The testbed's fixed-length workload under `load`.
    fn workload(&self, load: LoadSpec, requests: Option<u64>, duration_s: Option<f64>, seed: u64) -> WorkloadSpec {
        WorkloadSpec {
            load,
            requests,
            duration_s,
            lengths: LengthModel::fixed(self.spec.isl, self.spec.osl),
            trace: None,
            trace_rate_scale: 1.0,
            seed,
            warmup_requests: 0,
            shared_prefix: None,
            sessions: None,
        }
    }

    fn sim(
        &self,
        c: &TestbedConfig,
        pair: &EnginePair,
        workers: (u32, u32),
        workload: WorkloadSpec,
        sla: Sla,
    ) -> Result<crate::sim::SimOutcome> {
        let opts = match c.mode {
            Mode::Disagg => DeploymentOptions {
                mode: Some(Mode::Disagg),
                prefill_tp: Some(c.prefill_tp),
                decode_tp: Some(c.decode_tp),
                prefill_workers: Some(workers.0),
                decode_workers: Some(workers.1),
                max_num_seqs: Some(c.max_bs),
                ..Default::default()
            },
            Mode::Agg => DeploymentOptions {
                mode: Some(Mode::Agg),
                tp: Some(c.prefill_tp),
                replicas: Some(workers.0),
                max_num_seqs: Some(c.max_bs),
                ..Default::default()
            },
        };
        let deployment = opts.build(&self.profile_of(c, pair))?;
        simulate(&SimSpec {
            deployment,
            workload,
            calibration: Calibration::default(),
            sla,
            metrics: MetricsMode::Streaming,
            variability: Default::default(),
        })
    }

    /// One realistic-load run with `workers`: (SLA hit share of issued requests, goodput req/s).
    fn realistic(&self, c: &TestbedConfig, pair: &EnginePair, workers: (u32, u32), sla: Sla) -> Result<(f64, f64)> {
        let w = self.workload(
            LoadSpec::OpenLoop(self.spec.realistic.clone()),
            None,
            Some(self.spec.realistic_s),
            1,
        );
        let o = self.sim(c, pair, workers, w, sla)?;
        let m = &o.metrics;
        let issued = o.issued.max(m.requests_completed).max(1) as f64;
        let hits = m.sla_hit_rate * m.requests_completed as f64;
        Ok((hits / issued, hits / self.spec.realistic_s))
    }

    /// Smallest n in 1..=MAX_WORKERS with `ok(n)` (doubling, then bisection; assumes `ok` is
    /// monotone), or `None`.
    fn smallest(mut ok: impl FnMut(u32) -> Result<bool>) -> Result<Option<u32>> {
        let mut lo = 0u32; // known failing (0 = none tried)
        let mut hi = 1u32;
        loop {
            if ok(hi)? {
                break;
            }
            lo = hi;
            if hi >= MAX_WORKERS {
                return Ok(None);
            }
            hi = (hi * 2).min(MAX_WORKERS);
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if ok(mid)? {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(Some(hi))
    }

    /// Right-sizes configuration `c` on `pair` for the realistic load (see the module docs).
    pub fn right_size(&self, c: &TestbedConfig, pair: &EnginePair) -> Result<Sizing> {
        let q = self.spec.quantile;
        let sla = self.spec.sla;
        let peak = match self.spec.realistic {
            ArrivalPattern::Sinusoid { max_rps, .. } => max_rps,
            ref p => p.mean_rps().unwrap_or(1.0),
        };
        // A generous decode pool for the prefill search.
        // A request holds a batch slot for OSL × ITL(full batch); twice the slots the peak needs.
        let ctx = f64::from(self.spec.isl) + f64::from(self.spec.osl) / 2.0;
        let full = f64::from(c.max_bs) * ctx;
        let itl_full = pair
            .decode
            .decode
            .as_ref()
            .map_or(50.0, |s| s.itl_ms_for_batch(full, ctx))
            .max(1e-3);
        let slot_s = f64::from(self.spec.osl) * itl_full / 1000.0;
        let generous = ((2.0 * peak * slot_s / f64::from(c.max_bs)).ceil() as u32 + 1).clamp(1, MAX_WORKERS);
        let ttft_only = Sla {
            ttft_ms: sla.ttft_ms,
            itl_ms: f64::INFINITY,
        };
        if c.mode == Mode::Agg {
            let n = Self::smallest(|n| Ok(self.realistic(c, pair, (n, 0), sla)?.0 >= q))?;
            let feasible = n.is_some();
            let n = n.unwrap_or(MAX_WORKERS.min(64));
            let (hit, good) = self.realistic(c, pair, (n, 0), sla)?;
            let gpus = n * c.prefill_tp;
            return Ok(Sizing {
                prefill_workers: n,
                decode_workers: 0,
                gpus,
                goodput_req_s: good,
                goodput_per_gpu: if feasible { good / f64::from(gpus.max(1)) } else { 0.0 },
                sla_hit_rate: hit,
                feasible,
            });
        }
        let pw = Self::smallest(|n| Ok(self.realistic(c, pair, (n, generous), ttft_only)?.0 >= q))?;
        let infeasible = |pw: u32, dw: u32| -> Result<Sizing> {
            let (hit, good) = self.realistic(c, pair, (pw, dw), sla)?;
            let gpus = pw * c.prefill_tp + dw * c.decode_tp;
            Ok(Sizing {
                prefill_workers: pw,
                decode_workers: dw,
                gpus,
                goodput_req_s: good,
                goodput_per_gpu: 0.0,
                sla_hit_rate: hit,
                feasible: false,
            })
        };
        let Some(pw) = pw else {
            return infeasible(MAX_WORKERS.min(64), generous);
        };
        let dw = Self::smallest(|n| Ok(self.realistic(c, pair, (pw, n), sla)?.0 >= q))?;
        let Some(dw) = dw else {
            return infeasible(pw, generous);
        };
        let (hit, good) = self.realistic(c, pair, (pw, dw), sla)?;
        let gpus = pw * c.prefill_tp + dw * c.decode_tp;
        Ok(Sizing {
            prefill_workers: pw,
            decode_workers: dw,
            gpus,
            goodput_req_s: good,
            goodput_per_gpu: good / f64::from(gpus.max(1)),
            sla_hit_rate: hit,
            feasible: true,
        })
    }

    /// Simulates the four load levels of `c` on `pair` (one prefill + one decode worker),
    /// averaging over `seeds` seeds.
    pub fn simulate_levels(&self, c: &TestbedConfig, pair: &EnginePair, seeds: u64) -> Result<Vec<LevelValues>> {
        let mut out = Vec::new();
        for (_, conc) in self.levels(c) {
            let mut acc = LevelValues {
                ttft_p50_ms: 0.0,
                itl_p50_ms: 0.0,
                sla_hit_rate: 0.0,
            };
            for seed in 1..=seeds.max(1) {
                let w = self.workload(
                    LoadSpec::Concurrency(conc),
                    Some(self.spec.level_requests.max(u64::from(conc))),
                    None,
                    seed,
                );
                let o = self.sim(c, pair, (1, 1), w, self.spec.sla)?;
                acc.ttft_p50_ms += o.metrics.ttft_ms.p50;
                acc.itl_p50_ms += o.metrics.itl_ms.p50;
                acc.sla_hit_rate += o.metrics.sla_hit_rate;
            }
            let n = seeds.max(1) as f64;
            out.push(LevelValues {
                ttft_p50_ms: acc.ttft_p50_ms / n,
                itl_p50_ms: acc.itl_p50_ms / n,
                sla_hit_rate: acc.sla_hit_rate / n,
            });
        }
        Ok(out)
    }

    /// The static estimate of `c` from `pair` (see the module docs).
    pub fn static_estimate(&self, c: &TestbedConfig, pair: &EnginePair) -> StaticEstimate {
        let (isl, osl) = (f64::from(self.spec.isl), f64::from(self.spec.osl));
        let ctx = isl + osl / 2.0;
        let ttft = pair.prefill.prefill.as_ref().map_or(f64::INFINITY, |p| p.ttft_ms(isl));
        let surf = pair.decode.decode.as_ref();
        let itl_at = |b: u32| surf.map_or(f64::INFINITY, |s| s.itl_ms_for_batch(f64::from(b) * ctx, ctx));
        let levels = self
            .levels(c)
            .into_iter()
            .map(|(_, conc)| {
                let itl = itl_at(conc.min(c.max_bs));
                LevelValues {
                    ttft_p50_ms: ttft,
                    itl_p50_ms: itl,
                    sla_hit_rate: if ttft <= self.spec.sla.ttft_ms && itl <= self.spec.sla.itl_ms {
                        1.0
                    } else {
                        0.0
                    },
                }
            })
            .collect();
        let best_b = (1..=c.max_bs).rev().find(|&b| itl_at(b) <= self.spec.sla.itl_ms);
        let prefill_tok_s_gpu = isl / (ttft / 1000.0) / f64::from(c.prefill_tp);
        let goodput_per_gpu = match best_b {
            Some(b) if ttft <= self.spec.sla.ttft_ms => {
                let decode_tok_s_gpu = f64::from(b) / (itl_at(b) / 1000.0) / f64::from(c.decode_tp);
                let (mean, peak) = match self.spec.realistic {
                    ArrivalPattern::Sinusoid { min_rps, max_rps, .. } => ((min_rps + max_rps) / 2.0, max_rps),
                    _ => (1.0, 1.0),
                };
                (mean / peak) / (isl / prefill_tok_s_gpu + osl / decode_tok_s_gpu)
            }
            _ => 0.0,
        };
        StaticEstimate {
            goodput_per_gpu,
            levels,
        }
    }

    /// Minutes and GPU-hours of deploying configuration `i` (start-up, four load levels and the
    /// realistic-load run, on its right-sized GPUs).
    pub fn deployment_cost(&self, i: usize) -> (f64, f64) {
        let c = &self.spec.cost;
        let minutes = c.startup_min + 4.0 * c.level_min + self.spec.realistic_s / 60.0;
        let gpus = f64::from(
            self.truth[i]
                .gpus
                .max(self.configs[i].prefill_tp + self.configs[i].decode_tp),
        );
        (minutes, gpus * minutes / 60.0)
    }

    /// The world's goodput/GPU of configuration `i` for `seed` (truth × (1 + ε)).
    pub fn world_goodput_per_gpu(&self, seed: u64, i: usize) -> f64 {
        let mut r = noise_rng(seed, 0x600d, i as u64);
        (self.truth[i].goodput_per_gpu * (1.0 + self.spec.noise.world_noise * normal(&mut r))).max(0.0)
    }

    /// The world's level values of configuration `i` for `seed`.
    pub fn world_levels(&self, seed: u64, i: usize) -> Vec<LevelValues> {
        let mut r = noise_rng(seed, 0x1e7e1, i as u64);
        let s = self.spec.noise.world_noise;
        self.truth_levels[i]
            .iter()
            .map(|l| LevelValues {
                ttft_p50_ms: l.ttft_p50_ms * (1.0 + s * normal(&mut r)).max(0.1),
                itl_p50_ms: l.itl_p50_ms * (1.0 + s * normal(&mut r)).max(0.1),
                sla_hit_rate: l.sla_hit_rate,
            })
            .collect()
    }

    /// Deploys configuration `i` in the world of `seed`: what it reveals and what it costs.
    pub fn deploy(&self, seed: u64, i: usize) -> Result<Measurement> {
        let mut r = noise_rng(seed, 0x3ea5, i as u64);
        let engines = measured_pair(&self.truth_engines[i], self.spec.noise.measurement_noise, &mut r)?;
        let (minutes, gpu_hours) = self.deployment_cost(i);
        Ok(Measurement {
            sizing: self.truth[i],
            goodput_per_gpu: self.world_goodput_per_gpu(seed, i),
            engines,
            minutes,
            gpu_hours,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_bs_follows_the_test_plan() {
        assert_eq!(max_bs_rule(1), 8);
        assert_eq!(max_bs_rule(2), 8);
        assert_eq!(max_bs_rule(4), 32);
        assert_eq!(max_bs_rule(8), 64);
        assert_eq!(max_bs_rule(16), 64);
    }

    #[test]
    fn load_levels_are_the_plan_fractions_and_strictly_increase() {
        let l = load_levels(8);
        let c: Vec<u32> = l.iter().map(|(_, c)| *c).collect();
        assert_eq!(c, vec![1, 4, 7, 9]);
        assert_eq!(l[1].0, "medium");
        let c: Vec<u32> = load_levels(64).iter().map(|(_, c)| *c).collect();
        assert_eq!(c, vec![1, 32, 58, 70]);
        let c: Vec<u32> = load_levels(1).iter().map(|(_, c)| *c).collect();
        assert_eq!(c, vec![1, 2, 3, 4]);
    }

    #[test]
    fn smallest_finds_the_threshold_of_a_monotone_predicate() {
        for t in [1u32, 2, 3, 37, 64, 65, 255, 256] {
            let mut calls = 0;
            let got = Testbed::smallest(|n| {
                calls += 1;
                Ok(n >= t)
            })
            .unwrap();
            assert_eq!(got, Some(t), "threshold {t}");
            assert!(calls <= 2 * 9 + 1, "{calls} probes for {t}");
        }
        assert_eq!(Testbed::smallest(|_| Ok(false)).unwrap(), None);
    }

    #[test]
    fn measurement_noise_is_seeded_and_zero_noise_is_identity() {
        let p = crate::profile::resolve("llama-3.3-70b-fp8/h100/vllm").unwrap();
        let e = p.agg_engine(Some(4), "--tp").unwrap();
        let pair = EnginePair {
            prefill: engine_for_role(&e, Role::Prefill),
            decode: engine_for_role(&e, Role::Decode),
        };
        let same = measured_pair(&pair, 0.0, &mut noise_rng(1, 2, 3)).unwrap();
        assert_eq!(same.prefill.prefill, pair.prefill.prefill);
        let a = measured_pair(&pair, 0.05, &mut noise_rng(1, 2, 3)).unwrap();
        let b = measured_pair(&pair, 0.05, &mut noise_rng(1, 2, 3)).unwrap();
        let c = measured_pair(&pair, 0.05, &mut noise_rng(9, 2, 3)).unwrap();
        assert_eq!(a.prefill.prefill, b.prefill.prefill);
        assert_ne!(a.prefill.prefill, c.prefill.prefill);
        let (t0, t1) = (
            pair.prefill.prefill.as_ref().unwrap().ttft_ms(2048.0),
            a.prefill.prefill.as_ref().unwrap().ttft_ms(2048.0),
        );
        assert!((t1 / t0 - 1.0).abs() < 0.25, "{t0} vs {t1}");
    }
}
