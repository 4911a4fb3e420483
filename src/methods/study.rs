//! The offline method study (`slasim compare-methods --testbed PROFILE`): every method runs in
//! the testbed's world once per seed; each run is scored on
//! * **cost** — deployments, wall-clock hours, GPU-hours ([`super::Ledger`]);
//! * **predictive accuracy** — signed error of the method's TTFT p50 and ITL p50 predictions for
//!   its pick against the world's values at the four load levels; MAPE at medium load (the
//!   success criterion) and over all levels;
//! * **regret** — (best − chosen) / best × 100 of goodput/GPU, the best over every
//!   configuration in that seed's world.
//!
//! Aggregates are mean, sample standard deviation, min and max over seeds. The success
//! criteria of an experimental method, against `online-all` (always run as the baseline):
//! ≥ 50 % less wall-clock time, medium-load MAPE at most 20 percentage points above
//! online-all's, mean regret < 10 %.

use super::testbed::{LevelValues, Sizing, Testbed, TestbedConfig, TestbedSpec};
use super::{error_pct, parse_methods, Basis, MethodParams, Session};
use crate::error::{Error, Result};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Thresholds of the success criteria.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Criteria {
    /// Least time saving against online-all, %.
    pub min_speedup_pct: f64,
    /// Largest medium-load MAPE above online-all's, percentage points.
    pub max_accuracy_gap_pp: f64,
    /// Largest mean regret, % (strictly below).
    pub max_regret_pct: f64,
}

impl Default for Criteria {
    fn default() -> Self {
        Criteria {
            min_speedup_pct: 50.0,
            max_accuracy_gap_pp: 20.0,
            max_regret_pct: 10.0,
        }
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct StudyOptions {
    /// The testbed.
    pub testbed: TestbedSpec,
    /// Comma-separated method names.
    pub methods: String,
    /// `--top` / `--budget`.
    pub params: MethodParams,
    /// Seeds (worlds) 0..seeds.
    pub seeds: u32,
    /// Output folder.
    pub out: PathBuf,
    /// Write the plots.
    pub plots: bool,
    /// Success-criteria thresholds.
    pub criteria: Criteria,
}

/// Mean ± spread over seeds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Spread {
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (0 for one seed).
    pub sd: f64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
}

impl Spread {
    /// Of `v` (all zeros when empty).
    pub fn of(v: &[f64]) -> Spread {
        if v.is_empty() {
            return Spread::default();
        }
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = if v.len() > 1 {
            v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        Spread {
            mean,
            sd: var.sqrt(),
            min: v.iter().copied().fold(f64::INFINITY, f64::min),
            max: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }
}

/// One configuration of the testbed, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigReport {
    /// The configuration.
    #[serde(flatten)]
    pub config: TestbedConfig,
    /// Where its ground truth comes from.
    pub truth_origin: String,
    /// Ground-truth right-sizing under the realistic load (before world noise).
    pub truth: Sizing,
    /// The oracle's right-sizing (simulator on the analytic estimate).
    pub oracle: Sizing,
    /// The static estimate's goodput/GPU, req/s/GPU.
    pub static_goodput_per_gpu: f64,
    /// Ground-truth load levels (before world noise).
    pub truth_levels: Vec<NamedLevel>,
}

/// Level values with the level's name and concurrency.
#[derive(Debug, Clone, Serialize)]
pub struct NamedLevel {
    /// idle | medium | saturation | overload.
    pub name: String,
    /// Closed-loop concurrency.
    pub concurrency: u32,
    /// The values.
    #[serde(flatten)]
    pub values: LevelValues,
}

/// The testbed, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct TestbedReport {
    /// Testbed profile.
    pub profile: String,
    /// Model id.
    pub model: String,
    /// GPU.
    pub gpu: String,
    /// Backend.
    pub backend: String,
    /// ISL, tokens.
    pub isl: u32,
    /// OSL, tokens.
    pub osl: u32,
    /// TTFT target, ms.
    pub ttft_ms: f64,
    /// ITL target, ms.
    pub itl_ms: f64,
    /// SLA quantile of right-sizing.
    pub quantile: f64,
    /// Realistic load, e.g. `sinusoid 5–45 req/s, period 1800 s`.
    pub realistic_load: String,
    /// Its duration, s.
    pub realistic_s: f64,
    /// Noise model.
    pub noise: super::testbed::NoiseModel,
    /// Cost model.
    pub cost: super::testbed::CostModel,
    /// Every configuration.
    pub configs: Vec<ConfigReport>,
    /// Best configuration by noise-free truth.
    pub best_config: String,
}

/// Prediction vs world at one level.
#[derive(Debug, Clone, Serialize)]
pub struct LevelCompare {
    /// Level name.
    pub name: String,
    /// Concurrency.
    pub concurrency: u32,
    /// The method's prediction.
    pub predicted: LevelValues,
    /// The world's value.
    pub actual: LevelValues,
    /// TTFT p50 error, % (signed).
    pub ttft_error_pct: Option<f64>,
    /// ITL p50 error, % (signed).
    pub itl_error_pct: Option<f64>,
}

/// One method in one seed's world.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// Seed (world).
    pub seed: u64,
    /// Recommended configuration id.
    pub chosen: String,
    /// What its predictions rest on.
    pub basis: Basis,
    /// Configurations deployed, in order (ids).
    pub deployed: Vec<String>,
    /// Number of deployments.
    pub deployments: usize,
    /// Static estimates made.
    pub static_estimates: usize,
    /// Oracle calls made.
    pub oracle_calls: usize,
    /// Wall-clock hours.
    pub hours: f64,
    /// GPU-hours.
    pub gpu_hours: f64,
    /// Goodput/GPU of the pick in this world, req/s/GPU.
    pub goodput_per_gpu: f64,
    /// The method's own prediction of it.
    pub predicted_goodput_per_gpu: f64,
    /// The best configuration of this world.
    pub best_config: String,
    /// Its goodput/GPU.
    pub best_goodput_per_gpu: f64,
    /// Regret, %.
    pub regret_pct: f64,
    /// Per level.
    pub levels: Vec<LevelCompare>,
    /// Mean |error| of TTFT and ITL p50 at medium load, %.
    pub mape_medium_pct: f64,
    /// Mean |error| of TTFT and ITL p50 over the four levels, %.
    pub mape_all_pct: f64,
}

/// Aggregates over seeds.
#[derive(Debug, Clone, Serialize)]
pub struct Aggregate {
    /// Deployments.
    pub deployments: Spread,
    /// Wall-clock hours.
    pub hours: Spread,
    /// GPU-hours.
    pub gpu_hours: Spread,
    /// Regret, %.
    pub regret_pct: Spread,
    /// Medium-load MAPE, %.
    pub mape_medium_pct: Spread,
    /// All-level MAPE, %.
    pub mape_all_pct: Spread,
    /// How often each configuration was picked.
    pub picks: BTreeMap<String, usize>,
}

/// The success criteria evaluated for one method.
#[derive(Debug, Clone, Serialize)]
pub struct CriteriaResult {
    /// Time saved against online-all, % of its mean hours.
    pub speedup_pct: f64,
    /// speedup ≥ threshold.
    pub faster: bool,
    /// Medium MAPE − online-all's medium MAPE, percentage points.
    pub accuracy_gap_pp: f64,
    /// gap ≤ threshold.
    pub accurate: bool,
    /// Mean regret, %.
    pub regret_pct: f64,
    /// regret < threshold.
    pub low_regret: bool,
    /// All three.
    pub pass: bool,
}

/// One method's results.
#[derive(Debug, Clone, Serialize)]
pub struct MethodReport {
    /// Name with parameters.
    pub name: String,
    /// A reference method of the test plan (aic-all, online-all), not an experimental one.
    pub baseline: bool,
    /// One run per seed.
    pub runs: Vec<RunReport>,
    /// Over seeds.
    pub aggregate: Aggregate,
    /// Success criteria (absent for the online-all baseline).
    pub criteria: Option<CriteriaResult>,
}

/// `comparison_results.json` of a testbed study.
#[derive(Debug, Clone, Serialize)]
pub struct StudyResults {
    /// Always `testbed`.
    pub mode: &'static str,
    /// Seeds run.
    pub seeds: u32,
    /// The testbed.
    pub testbed: TestbedReport,
    /// Thresholds.
    pub criteria: Criteria,
    /// Per method.
    pub methods: Vec<MethodReport>,
    /// Which method to use when (derived from the numbers).
    pub recommendation: Vec<String>,
}

fn named(tb: &Testbed, c: &TestbedConfig, v: &[LevelValues]) -> Vec<NamedLevel> {
    tb.levels(c)
        .into_iter()
        .zip(v)
        .map(|((name, concurrency), values)| NamedLevel {
            name,
            concurrency,
            values: *values,
        })
        .collect()
}

fn testbed_report(tb: &Testbed) -> TestbedReport {
    let realistic_load = match tb.spec.realistic {
        crate::workload::ArrivalPattern::Sinusoid {
            min_rps,
            max_rps,
            period_s,
        } => format!("sinusoid {min_rps}–{max_rps} req/s, period {period_s} s"),
        ref p => p.kind().to_string(),
    };
    let best = (0..tb.configs.len())
        .max_by(|&a, &b| {
            tb.truth[a]
                .goodput_per_gpu
                .total_cmp(&tb.truth[b].goodput_per_gpu)
                .then(b.cmp(&a))
        })
        .map(|i| tb.configs[i].id.clone())
        .unwrap_or_default();
    TestbedReport {
        profile: tb.spec.profile.clone(),
        model: tb.model.clone(),
        gpu: tb.gpu.clone(),
        backend: tb.backend.clone(),
        isl: tb.spec.isl,
        osl: tb.spec.osl,
        ttft_ms: tb.spec.sla.ttft_ms,
        itl_ms: tb.spec.sla.itl_ms,
        quantile: tb.spec.quantile,
        realistic_load,
        realistic_s: tb.spec.realistic_s,
        noise: tb.spec.noise,
        cost: tb.spec.cost,
        configs: (0..tb.configs.len())
            .map(|i| ConfigReport {
                config: tb.configs[i].clone(),
                truth_origin: tb.truth_origin[i].clone(),
                truth: tb.truth[i],
                oracle: tb.oracle[i],
                static_goodput_per_gpu: tb.static_estimates[i].goodput_per_gpu,
                truth_levels: named(tb, &tb.configs[i], &tb.truth_levels[i]),
            })
            .collect(),
        best_config: best,
    }
}

fn mean_abs(v: impl Iterator<Item = Option<f64>>) -> f64 {
    let v: Vec<f64> = v.flatten().map(f64::abs).collect();
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// Runs one method in the world of `seed` and scores it.
fn run_one(tb: &Testbed, method: &dyn super::Method, seed: u64) -> Result<RunReport> {
    let name = method.name();
    let mut s = Session::new(tb, seed, &name);
    let choice = method.choose(&mut s)?;
    let i = choice.config;
    if i >= tb.configs.len() {
        return Err(Error::usage(
            "--methods",
            format!("`{name}` chose configuration {i}, out of range"),
        ));
    }
    let c = &tb.configs[i];
    let (predicted, predicted_gpg) = match choice.basis {
        Basis::Static => (
            tb.static_estimates[i].levels.clone(),
            tb.static_estimates[i].goodput_per_gpu,
        ),
        Basis::Oracle => (
            tb.simulate_levels(c, &tb.estimate_engines[i], 1)?,
            tb.oracle[i].goodput_per_gpu,
        ),
        Basis::Measured => {
            let m = s.measurement(i).ok_or_else(|| {
                Error::usage(
                    "--methods",
                    format!("`{name}` claims measured predictions for {} without deploying it", c.id),
                )
            })?;
            (tb.simulate_levels(c, &m.engines, 1)?, m.goodput_per_gpu)
        }
    };
    let actual = tb.world_levels(seed, i);
    let world: Vec<f64> = (0..tb.configs.len())
        .map(|j| tb.world_goodput_per_gpu(seed, j))
        .collect();
    let (best_i, best) =
        world.iter().copied().enumerate().fold(
            (0, f64::NEG_INFINITY),
            |(bi, bv), (j, v)| if v > bv { (j, v) } else { (bi, bv) },
        );
    let regret = if best > 0.0 {
        ((best - world[i]) / best * 100.0).max(0.0)
    } else {
        0.0
    };
    let levels: Vec<LevelCompare> = tb
        .levels(c)
        .into_iter()
        .zip(predicted.iter().zip(&actual))
        .map(|((name, concurrency), (p, a))| LevelCompare {
            name,
            concurrency,
            predicted: *p,
            actual: *a,
            ttft_error_pct: error_pct(p.ttft_p50_ms, a.ttft_p50_ms),
            itl_error_pct: error_pct(p.itl_p50_ms, a.itl_p50_ms),
        })
        .collect();
    let medium = levels.iter().filter(|l| l.name == "medium");
    let mape_medium = mean_abs(medium.flat_map(|l| [l.ttft_error_pct, l.itl_error_pct]));
    let mape_all = mean_abs(levels.iter().flat_map(|l| [l.ttft_error_pct, l.itl_error_pct]));
    let ledger = s.ledger();
    Ok(RunReport {
        seed,
        chosen: c.id.clone(),
        basis: choice.basis,
        deployed: ledger.deployed.iter().map(|&j| tb.configs[j].id.clone()).collect(),
        deployments: ledger.deployed.len(),
        static_estimates: ledger.static_estimates,
        oracle_calls: ledger.oracle_calls,
        hours: ledger.minutes / 60.0,
        gpu_hours: ledger.gpu_hours,
        goodput_per_gpu: world[i],
        predicted_goodput_per_gpu: predicted_gpg,
        best_config: tb.configs[best_i].id.clone(),
        best_goodput_per_gpu: best,
        regret_pct: regret,
        levels,
        mape_medium_pct: mape_medium,
        mape_all_pct: mape_all,
    })
}

fn aggregate(runs: &[RunReport]) -> Aggregate {
    let f = |g: fn(&RunReport) -> f64| Spread::of(&runs.iter().map(g).collect::<Vec<_>>());
    let mut picks = BTreeMap::new();
    for r in runs {
        *picks.entry(r.chosen.clone()).or_insert(0) += 1;
    }
    Aggregate {
        deployments: f(|r| r.deployments as f64),
        hours: f(|r| r.hours),
        gpu_hours: f(|r| r.gpu_hours),
        regret_pct: f(|r| r.regret_pct),
        mape_medium_pct: f(|r| r.mape_medium_pct),
        mape_all_pct: f(|r| r.mape_all_pct),
        picks,
    }
}

fn criteria(a: &Aggregate, base: &Aggregate, t: &Criteria) -> CriteriaResult {
    let speedup = if base.hours.mean > 0.0 {
        (1.0 - a.hours.mean / base.hours.mean) * 100.0
    } else {
        0.0
    };
    let gap = a.mape_medium_pct.mean - base.mape_medium_pct.mean;
    let regret = a.regret_pct.mean;
    let faster = speedup >= t.min_speedup_pct;
    let accurate = gap <= t.max_accuracy_gap_pp;
    let low_regret = regret < t.max_regret_pct;
    CriteriaResult {
        speedup_pct: speedup,
        faster,
        accuracy_gap_pp: gap,
        accurate,
        regret_pct: regret,
        low_regret,
        pass: faster && accurate && low_regret,
    }
}

/// Which method to use when, from the numbers.
fn recommend(methods: &[MethodReport], t: &Criteria) -> Vec<String> {
    let mut out = Vec::new();
    let passing: Vec<&MethodReport> = methods
        .iter()
        .filter(|m| !m.baseline && m.criteria.as_ref().is_some_and(|c| c.pass))
        .collect();
    match passing
        .iter()
        .min_by(|a, b| a.aggregate.gpu_hours.mean.total_cmp(&b.aggregate.gpu_hours.mean))
    {
        Some(m) => out.push(format!(
            "Use `{}` by default: of the experimental methods meeting all three criteria it costs least ({} GPU-h, {} h, mean regret {} %).",
            m.name,
            fmt1(m.aggregate.gpu_hours.mean),
            fmt1(m.aggregate.hours.mean),
            fmt1(m.aggregate.regret_pct.mean)
        )),
        None => {
            let mut why = Vec::new();
            for m in methods.iter().filter(|m| !m.baseline) {
                let Some(c) = &m.criteria else { continue };
                let mut fails = Vec::new();
                if !c.faster {
                    fails.push(format!("saves only {} % of the time", fmt1(c.speedup_pct)));
                }
                if !c.accurate {
                    fails.push(format!(
                        "medium-load MAPE {} pp above online-all's (limit {})",
                        fmt1(c.accuracy_gap_pp),
                        fmt1(t.max_accuracy_gap_pp)
                    ));
                }
                if !c.low_regret {
                    fails.push(format!(
                        "mean regret {} % (limit < {})",
                        fmt1(c.regret_pct),
                        fmt1(t.max_regret_pct)
                    ));
                }
                why.push(format!("`{}` {}", m.name, fails.join(", ")));
            }
            out.push(if why.is_empty() {
                "No experimental method was run (only the aic-all / online-all baselines).".to_string()
            } else {
                format!("No experimental method meets all three criteria: {}.", why.join("; "))
            });
        }
    }
    if let Some(m) = methods
        .iter()
        .filter(|m| m.aggregate.deployments.max == 0.0)
        .min_by(|a, b| a.aggregate.regret_pct.mean.total_cmp(&b.aggregate.regret_pct.mean))
    {
        out.push(format!(
            "With no GPU time at all, `{}` picks with mean regret {} % (max {} %) and medium-load MAPE {} %; use it for a first cut, not for capacity numbers.",
            m.name,
            fmt1(m.aggregate.regret_pct.mean),
            fmt1(m.aggregate.regret_pct.max),
            fmt1(m.aggregate.mape_medium_pct.mean)
        ));
    }
    if let Some(m) = methods.iter().find(|m| m.name == "online-all") {
        out.push(format!(
            "`online-all` is the reference (regret 0 by construction) at {} GPU-h and {} h; worth it only when the space is small or the deployment is long-lived enough to repay that cost.",
            fmt1(m.aggregate.gpu_hours.mean),
            fmt1(m.aggregate.hours.mean)
        ));
    }
    out
}

/// The number format of `summary.txt` (1 decimal); tests compare it with the JSON.
pub fn fmt1(x: f64) -> String {
    if x.is_finite() {
        let s = format!("{x:.1}");
        if s == "-0.0" {
            "0.0".into()
        } else {
            s
        }
    } else {
        "n/a".into()
    }
}

/// 3 decimals (goodput/GPU).
pub fn fmt3(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.3}")
    } else {
        "n/a".into()
    }
}

fn opt1(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), |v| format!("{v:+.1}"))
}

/// Runs the study (without writing anything).
pub fn study(opts: &StudyOptions) -> Result<StudyResults> {
    if opts.seeds == 0 {
        return Err(Error::usage("--seeds", "expected N ≥ 1"));
    }
    let methods = parse_methods(&opts.methods, opts.params)?;
    let tb = Testbed::build(opts.testbed.clone())?;
    let seeds: Vec<u64> = (0..u64::from(opts.seeds)).collect();
    let jobs: Vec<(usize, u64)> = (0..methods.len())
        .flat_map(|m| seeds.iter().map(move |&s| (m, s)))
        .collect();
    let runs: Vec<Result<RunReport>> = jobs
        .par_iter()
        .map(|&(m, s)| run_one(&tb, methods[m].as_ref(), s))
        .collect();
    let mut by_method: Vec<Vec<RunReport>> = vec![Vec::new(); methods.len()];
    for ((m, _), r) in jobs.iter().zip(runs) {
        by_method[*m].push(r?);
    }
    let mut reports: Vec<MethodReport> = methods
        .iter()
        .zip(by_method)
        .map(|(m, runs)| MethodReport {
            name: m.name(),
            baseline: m.is_baseline(),
            aggregate: aggregate(&runs),
            runs,
            criteria: None,
        })
        .collect();
    let base = reports
        .iter()
        .find(|m| m.name == "online-all")
        .map(|m| m.aggregate.clone())
        .ok_or_else(|| Error::usage("--methods", "internal: online-all baseline missing"))?;
    for r in &mut reports {
        if r.name != "online-all" {
            r.criteria = Some(criteria(&r.aggregate, &base, &opts.criteria));
        }
    }
    let recommendation = recommend(&reports, &opts.criteria);
    Ok(StudyResults {
        mode: "testbed",
        seeds: opts.seeds,
        testbed: testbed_report(&tb),
        criteria: opts.criteria,
        methods: reports,
        recommendation,
    })
}

/// `summary.txt` of a study.
pub fn summary_text(r: &StudyResults) -> String {
    let t = &r.testbed;
    let mut s = String::new();
    let _ = writeln!(s, "slasim compare-methods — offline method study");
    let _ = writeln!(
        s,
        "testbed {} ({} on {}, {}); ISL {} / OSL {}; SLA TTFT {} ms, ITL {} ms (≥ {} % of requests)",
        t.profile,
        t.model,
        t.gpu,
        t.backend,
        t.isl,
        t.osl,
        t.ttft_ms,
        t.itl_ms,
        fmt1(t.quantile * 100.0)
    );
    let _ = writeln!(
        s,
        "realistic load: {} for {} s; {} seeds; noise: world {} %, measurement {} %, analytic model error {} %",
        t.realistic_load,
        t.realistic_s,
        r.seeds,
        fmt1(t.noise.world_noise * 100.0),
        fmt1(t.noise.measurement_noise * 100.0),
        fmt1(t.noise.model_error * 100.0)
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Configurations (right-sized for the realistic load; truth before world noise)"
    );
    let _ = writeln!(
        s,
        "{:<8} {:>6} {:<22} {:>10} {:>12} {:>12} {:>12}",
        "config", "MAX_BS", "truth origin", "P/D or R", "truth g/GPU", "oracle g/GPU", "static g/GPU"
    );
    for c in &t.configs {
        let _ = writeln!(
            s,
            "{:<8} {:>6} {:<22} {:>10} {:>12} {:>12} {:>12}",
            c.config.id,
            c.config.max_bs,
            c.truth_origin,
            match c.config.mode {
                crate::sim::deployment::Mode::Agg => format!("R{}", c.truth.prefill_workers),
                crate::sim::deployment::Mode::Disagg =>
                    format!("{}/{}", c.truth.prefill_workers, c.truth.decode_workers),
            },
            fmt3(c.truth.goodput_per_gpu),
            fmt3(c.oracle.goodput_per_gpu),
            fmt3(c.static_goodput_per_gpu)
        );
    }
    let _ = writeln!(s, "best by noise-free truth: {}", t.best_config);
    let _ = writeln!(s);
    let _ = writeln!(s, "Methods (mean ± sd over seeds; [min, max] for regret)");
    let _ = writeln!(
        s,
        "{:<28} {:>12} {:>14} {:>16} {:>24} {:>16} {:>14}",
        "method", "deployments", "hours", "GPU-hours", "regret %", "MAPE medium %", "MAPE all %"
    );
    for m in &r.methods {
        let a = &m.aggregate;
        let _ = writeln!(
            s,
            "{:<28} {:>12} {:>14} {:>16} {:>24} {:>16} {:>14}",
            m.name,
            fmt1(a.deployments.mean),
            format!("{} ± {}", fmt1(a.hours.mean), fmt1(a.hours.sd)),
            format!("{} ± {}", fmt1(a.gpu_hours.mean), fmt1(a.gpu_hours.sd)),
            format!(
                "{} ± {} [{}, {}]",
                fmt1(a.regret_pct.mean),
                fmt1(a.regret_pct.sd),
                fmt1(a.regret_pct.min),
                fmt1(a.regret_pct.max)
            ),
            format!("{} ± {}", fmt1(a.mape_medium_pct.mean), fmt1(a.mape_medium_pct.sd)),
            fmt1(a.mape_all_pct.mean)
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Success criteria vs online-all: time saved ≥ {} %, medium MAPE gap ≤ {} pp, mean regret < {} %",
        fmt1(r.criteria.min_speedup_pct),
        fmt1(r.criteria.max_accuracy_gap_pp),
        fmt1(r.criteria.max_regret_pct)
    );
    for m in &r.methods {
        let Some(c) = &m.criteria else { continue };
        let name = if m.baseline {
            format!("{} (baseline)", m.name)
        } else {
            m.name.clone()
        };
        let mark = |b: bool| if b { "ok" } else { "FAIL" };
        let _ = writeln!(
            s,
            "{:<28} time saved {} % {:<4}  MAPE gap {} pp {:<4}  regret {} % {:<4}  => {}",
            name,
            fmt1(c.speedup_pct),
            mark(c.faster),
            fmt1(c.accuracy_gap_pp),
            mark(c.accurate),
            fmt1(c.regret_pct),
            mark(c.low_regret),
            if c.pass { "PASS" } else { "FAIL" }
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Picks and predictions, seed {} (error % = (predicted − actual) / actual)",
        r.methods.first().and_then(|m| m.runs.first()).map_or(0, |x| x.seed)
    );
    let _ = writeln!(
        s,
        "{:<28} {:<8} {:<9} {:<11} {:>5} {:>10} {:>10} {:>8} {:>9} {:>9} {:>8}",
        "method", "pick", "basis", "level", "conc", "TTFT pred", "TTFT act", "err %", "ITL pred", "ITL act", "err %"
    );
    for m in &r.methods {
        let Some(run) = m.runs.first() else { continue };
        let basis = match run.basis {
            Basis::Static => "static",
            Basis::Oracle => "oracle",
            Basis::Measured => "measured",
        };
        for l in &run.levels {
            let _ = writeln!(
                s,
                "{:<28} {:<8} {:<9} {:<11} {:>5} {:>10} {:>10} {:>8} {:>9} {:>9} {:>8}",
                m.name,
                run.chosen,
                basis,
                l.name,
                l.concurrency,
                fmt1(l.predicted.ttft_p50_ms),
                fmt1(l.actual.ttft_p50_ms),
                opt1(l.ttft_error_pct),
                fmt1(l.predicted.itl_p50_ms),
                fmt1(l.actual.itl_p50_ms),
                opt1(l.itl_error_pct)
            );
        }
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "Recommendation");
    for line in &r.recommendation {
        let _ = writeln!(s, "- {line}");
    }
    s
}

/// Runs the study and writes `comparison_results.json`, `summary.txt` and (with `plots`) the
/// figures into `opts.out`, which holds [`INCOMPLETE_MARKER`](super::outdir::INCOMPLETE_MARKER)
/// until the last file is written.
pub fn run(opts: &StudyOptions) -> Result<StudyResults> {
    super::outdir::OutputFolder::produce(
        &opts.out,
        || study(opts),
        |out, r| {
            crate::output::write_json(&out.join("comparison_results.json"), r)?;
            crate::output::write_atomic(&out.join("summary.txt"), summary_text(r).as_bytes())?;
            #[cfg(feature = "plot")]
            if opts.plots {
                super::study_plot::plot_all(r, out)?;
            }
            Ok(())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_mean_sample_sd_and_range() {
        let s = Spread::of(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.mean, 2.5);
        assert!((s.sd - 1.290_994_448_735_805_6).abs() < 1e-12);
        assert_eq!((s.min, s.max), (1.0, 4.0));
        assert_eq!(Spread::of(&[5.0]).sd, 0.0);
        assert_eq!(Spread::of(&[]), Spread::default());
    }

    fn agg(hours: f64, mape: f64, regret: f64) -> Aggregate {
        Aggregate {
            deployments: Spread::default(),
            hours: Spread::of(&[hours]),
            gpu_hours: Spread::default(),
            regret_pct: Spread::of(&[regret]),
            mape_medium_pct: Spread::of(&[mape]),
            mape_all_pct: Spread::default(),
            picks: BTreeMap::new(),
        }
    }

    #[test]
    fn criteria_compare_with_the_baseline() {
        let t = Criteria::default();
        let base = agg(10.0, 5.0, 0.0);
        let c = criteria(&agg(5.0, 25.0, 9.9), &base, &t);
        assert!(c.faster && c.accurate && c.low_regret && c.pass, "{c:?}");
        let c = criteria(&agg(5.1, 25.1, 10.0), &base, &t);
        assert!(!c.faster && !c.accurate && !c.low_regret && !c.pass, "{c:?}");
        assert!((c.speedup_pct - 49.0).abs() < 1e-9);
    }
}
