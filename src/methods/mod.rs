//! Profiling-method comparison (`slasim compare-methods`): how well do ways of choosing a
//! deployment — a static estimate, deploying everything, ranking with the simulator, Bayesian
//! search — trade profiling cost against predictive accuracy and the goodput/GPU of their pick?
//!
//! Two modes:
//! * [`real`] — compare real Dynamo profiling results folders (`--results LABEL=DIR`): each
//!   method's recommended config, its predictions at the four load levels from its own profile,
//!   the measured validation runs, errors and cost.
//! * [`study`] — an offline study on a [`testbed::Testbed`] (`--testbed PROFILE`): every
//!   [`Method`] runs in the testbed's world for several seeds and is scored on cost, predictive
//!   error and regret.
//!
//! # Conventions
//! error % = (predicted − actual) / actual × 100, signed (|error| for MAPE); goodput = requests/s
//! meeting both SLA targets; goodput/GPU = goodput ÷ GPUs of the deployment; regret % =
//! (best − chosen) / best × 100 against the best goodput/GPU over **all** configurations of the
//! testbed in that seed's world, not against one method's pick.
//!
//! # Adding a method
//! A method is one file implementing [`Method`] plus one line in [`registry`]. It sees the
//! testbed only through a [`Session`], which charges every estimate, oracle call and deployment
//! to the method's cost. A random-search baseline, complete:
//!
//! ```
//! use slasim::methods::{Basis, Choice, Method, Session};
//! use rand::seq::SliceRandom;
//!
//! /// Deploys `budget` random configurations and keeps the best measured one.
//! struct RandomSearch { budget: usize }
//!
//! impl Method for RandomSearch {
//!     fn name(&self) -> String { format!("random --budget {}", self.budget) }
//!     fn choose(&self, s: &mut Session<'_>) -> slasim::Result<Choice> {
//!         let mut order: Vec<usize> = (0..s.len()).collect();
//!         order.shuffle(s.rng());
//!         for &i in order.iter().take(self.budget.max(1)) {
//!             s.deploy(i)?;
//!         }
//!         s.best_deployed().map(|config| Choice { config, basis: Basis::Measured })
//!             .ok_or_else(|| slasim::Error::usage("--budget", "nothing deployed"))
//!     }
//! }
//! ```
//! (The shipped `random` method, [`random::RandomSearch`], is exactly this.)

mod aic_all;
mod bayes;
pub mod gp;
mod online_all;
pub mod outdir;
pub mod random;
pub mod real;
mod stack_rank;
mod stack_rank_bayes;
pub mod study;
#[cfg(feature = "plot")]
mod study_plot;
pub mod testbed;

use crate::error::{Error, Result};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::BTreeMap;
use testbed::{Measurement, Testbed, TestbedConfig};

/// Signed error, % = (predicted − actual) / actual × 100 (`None` when actual is 0 or either is
/// not finite).
pub fn error_pct(predicted: f64, actual: f64) -> Option<f64> {
    if predicted.is_finite() && actual.is_finite() && actual != 0.0 {
        Some((predicted - actual) / actual * 100.0)
    } else {
        None
    }
}

/// What a method's predictions for its pick rest on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// The static estimate (no queueing).
    Static,
    /// The simulator on the analytic estimate.
    Oracle,
    /// The simulator on the measured profile of a deployment.
    Measured,
}

/// A method's decision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Choice {
    /// Index of the recommended configuration.
    pub config: usize,
    /// What its predictions rest on ([`Basis::Measured`] needs the config to be deployed).
    pub basis: Basis,
}

/// A profiling method. Implementations must be deterministic given the session's seed (use
/// [`Session::rng`] for any randomness).
pub trait Method: Send + Sync {
    /// Name with its parameters, e.g. `stack-rank --top 2`.
    fn name(&self) -> String;
    /// Chooses a configuration, deploying through `s` as it sees fit.
    fn choose(&self, s: &mut Session<'_>) -> Result<Choice>;
    /// Whether this is one of the test plan's reference methods (`aic-all`, `online-all`)
    /// rather than an experimental one; the success criteria and the recommendation are about
    /// experimental methods.
    fn is_baseline(&self) -> bool {
        false
    }
}

/// What a method spent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Ledger {
    /// Configurations deployed, in order.
    pub deployed: Vec<usize>,
    /// Static estimates made (distinct configurations).
    pub static_estimates: usize,
    /// Oracle calls made (distinct configurations).
    pub oracle_calls: usize,
    /// Wall-clock minutes: deployments one after another plus modelled compute.
    pub minutes: f64,
    /// GPU-hours of the deployments.
    pub gpu_hours: f64,
}

/// A method's view of the testbed for one seed: estimates, oracle and deployments, each charged.
pub struct Session<'a> {
    testbed: &'a Testbed,
    seed: u64,
    rng: ChaCha8Rng,
    measured: BTreeMap<usize, Measurement>,
    statics: std::collections::BTreeSet<usize>,
    oracles: std::collections::BTreeSet<usize>,
    ledger: Ledger,
}

impl<'a> Session<'a> {
    /// A fresh session in the world of `seed`; the method's random stream is derived from it.
    pub fn new(testbed: &'a Testbed, seed: u64, method: &str) -> Session<'a> {
        let tag = crate::search::fingerprint(method.as_bytes());
        let tag = u64::from_str_radix(&tag, 16).unwrap_or(0);
        Session {
            testbed,
            seed,
            rng: testbed::noise_rng(seed, tag, 0x6e7),
            measured: BTreeMap::new(),
            statics: Default::default(),
            oracles: Default::default(),
            ledger: Ledger::default(),
        }
    }

    /// Number of configurations.
    pub fn len(&self) -> usize {
        self.testbed.configs.len()
    }

    /// Whether the space is empty.
    pub fn is_empty(&self) -> bool {
        self.testbed.configs.is_empty()
    }

    /// Configuration `i`.
    pub fn config(&self, i: usize) -> &TestbedConfig {
        &self.testbed.configs[i]
    }

    /// Features of configuration `i` scaled to [0, 1]: log2 of prefill and decode TP over log2
    /// of the largest TP, and 1 for an aggregated engine (0 for a disaggregated pair).
    pub fn features(&self, i: usize) -> Vec<f64> {
        let max = self
            .testbed
            .configs
            .iter()
            .map(|c| c.prefill_tp.max(c.decode_tp))
            .max()
            .unwrap_or(1)
            .max(2);
        let l = |t: u32| f64::from(t).log2() / f64::from(max).log2();
        let c = &self.testbed.configs[i];
        let agg = if c.mode == crate::sim::deployment::Mode::Agg {
            1.0
        } else {
            0.0
        };
        vec![l(c.prefill_tp), l(c.decode_tp), agg]
    }

    /// The method's random stream.
    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }

    /// The static (AIConfigurator-style) goodput/GPU estimate of configuration `i`, req/s/GPU.
    pub fn static_estimate(&mut self, i: usize) -> f64 {
        if self.statics.insert(i) {
            self.ledger.static_estimates += 1;
            self.ledger.minutes += self.testbed.spec.cost.static_min_per_config;
        }
        self.testbed.static_estimates[i].goodput_per_gpu
    }

    /// The oracle's (simulator on the analytic estimate) goodput/GPU of configuration `i`.
    pub fn oracle(&mut self, i: usize) -> f64 {
        if self.oracles.insert(i) {
            self.ledger.oracle_calls += 1;
            self.ledger.minutes += self.testbed.spec.cost.oracle_min_per_config;
        }
        self.testbed.oracle[i].goodput_per_gpu
    }

    /// Deploys configuration `i` (charged once; later calls return the same measurement) and
    /// returns its measured goodput/GPU, req/s/GPU.
    pub fn deploy(&mut self, i: usize) -> Result<f64> {
        if i >= self.len() {
            return Err(Error::usage(
                "--methods",
                format!("internal: configuration {i} out of range"),
            ));
        }
        if !self.measured.contains_key(&i) {
            let m = self.testbed.deploy(self.seed, i)?;
            self.ledger.deployed.push(i);
            self.ledger.minutes += m.minutes;
            self.ledger.gpu_hours += m.gpu_hours;
            self.measured.insert(i, m);
        }
        Ok(self.measured[&i].goodput_per_gpu)
    }

    /// The measured goodput/GPU of `i` if it was deployed.
    pub fn measured(&self, i: usize) -> Option<f64> {
        self.measured.get(&i).map(|m| m.goodput_per_gpu)
    }

    /// The deployed configuration with the best measured goodput/GPU (ties: deployed first).
    pub fn best_deployed(&self) -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        for &i in &self.ledger.deployed {
            let v = self.measured[&i].goodput_per_gpu;
            if best.is_none_or(|(_, b)| v > b) {
                best = Some((i, v));
            }
        }
        best.map(|(i, _)| i)
    }

    /// Configurations ranked by `score` (highest first; ties keep the space order).
    pub fn ranked(&mut self, mut score: impl FnMut(&mut Self, usize) -> f64) -> Vec<usize> {
        let mut v: Vec<(usize, f64)> = (0..self.len()).map(|i| (i, score(self, i))).collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        v.into_iter().map(|(i, _)| i).collect()
    }

    /// The measurement of a deployed configuration.
    pub(crate) fn measurement(&self, i: usize) -> Option<&Measurement> {
        self.measured.get(&i)
    }

    /// What was spent so far.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }
}

/// Every method name `--methods` accepts, with what it does.
pub const METHOD_NAMES: [(&str, &str); 6] = [
    ("aic-all", "rank every config by the static estimate; no deployment"),
    (
        "online-all",
        "deploy every config; pick the best measured (the baseline)",
    ),
    (
        "stack-rank",
        "rank by the oracle, deploy the top K (--top), pick the best measured",
    ),
    (
        "bayes",
        "GP Bayesian optimisation with expected improvement, B deployments (--budget)",
    ),
    (
        "stack-rank+bayes",
        "the oracle keeps the better half; BO with the oracle as prior mean, B deployments",
    ),
    ("random", "deploy B random configs (--budget), pick the best measured"),
];

/// Settings shared by the parameterised methods.
#[derive(Debug, Clone, Copy)]
pub struct MethodParams {
    /// Deployments of `stack-rank` (≥ 1).
    pub top: usize,
    /// Deployment budget of `bayes`, `stack-rank+bayes` and `random` (≥ 1).
    pub budget: usize,
}

/// The method called `name`.
pub fn registry(name: &str, p: MethodParams) -> Result<Box<dyn Method>> {
    Ok(match name {
        "aic-all" => Box::new(aic_all::AicAll),
        "online-all" => Box::new(online_all::OnlineAll),
        "stack-rank" => Box::new(stack_rank::StackRank { top: p.top }),
        "bayes" => Box::new(bayes::Bayes { budget: p.budget }),
        "stack-rank+bayes" => Box::new(stack_rank_bayes::StackRankBayes { budget: p.budget }),
        "random" => Box::new(random::RandomSearch { budget: p.budget }),
        other => {
            let known: Vec<&str> = METHOD_NAMES.iter().map(|(n, _)| *n).collect();
            return Err(Error::usage(
                "--methods",
                format!("unknown method `{other}`; expected one of {}", known.join(", ")),
            ));
        }
    })
}

/// Parses a comma-separated method list (`online-all` is added first when missing: it is the
/// baseline of the success criteria).
pub fn parse_methods(list: &str, p: MethodParams) -> Result<Vec<Box<dyn Method>>> {
    if p.top == 0 {
        return Err(Error::usage("--deploy-top", "expected K ≥ 1"));
    }
    if p.budget == 0 {
        return Err(Error::usage("--budget", "expected B ≥ 1"));
    }
    let mut names: Vec<&str> = list.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if names.is_empty() {
        return Err(Error::usage("--methods", "the list is empty"));
    }
    let mut seen = std::collections::BTreeSet::new();
    names.retain(|n| seen.insert(*n));
    if !names.contains(&"online-all") {
        names.insert(0, "online-all");
    }
    names.into_iter().map(|n| registry(n, p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_signed_relative_to_actual() {
        assert_eq!(error_pct(110.0, 100.0), Some(10.0));
        assert_eq!(error_pct(90.0, 100.0), Some(-10.0));
        assert_eq!(error_pct(1.0, 0.0), None);
        assert_eq!(error_pct(f64::NAN, 1.0), None);
    }

    #[test]
    fn method_lists_parse_and_always_include_the_baseline() {
        let p = MethodParams { top: 2, budget: 3 };
        let m = parse_methods("bayes, stack-rank,bayes", p).unwrap();
        let names: Vec<String> = m.iter().map(|m| m.name()).collect();
        assert_eq!(names, vec!["online-all", "bayes --budget 3", "stack-rank --top 2"]);
        let err = parse_methods("magic", p)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("unknown method `magic`"), "{err}");
        assert!(parse_methods(" , ", p).is_err());
        assert!(parse_methods("bayes", MethodParams { top: 1, budget: 0 }).is_err());
        for (n, _) in METHOD_NAMES {
            assert!(registry(n, p).is_ok(), "{n}");
        }
    }
}
