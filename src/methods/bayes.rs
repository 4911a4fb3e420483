//! `bayes --budget B`: Gaussian-process Bayesian optimisation of measured goodput/GPU over the
//! configuration space with expected improvement ([`super::gp`]). Two random configurations
//! (fewer if B < 2) start it; each further deployment goes to the undeployed configuration
//! with the largest expected improvement over the best measured value (ξ = 1 % of it); after B
//! deployments the best measured configuration is recommended.
//!
//! [`optimise`] is the loop shared with `stack-rank+bayes`, which adds a prior mean.

use super::gp::{expected_improvement, GaussianProcess};
use super::{Basis, Choice, Method, Session};
use crate::error::{Error, Result};
use rand::seq::SliceRandom;

/// Configurations of the random initial design.
pub const INITIAL_DESIGN: usize = 2;

/// GP Bayesian optimisation.
pub struct Bayes {
    /// Deployments (≥ 1).
    pub budget: usize,
}

impl Method for Bayes {
    fn name(&self) -> String {
        format!("bayes --budget {}", self.budget)
    }

    fn choose(&self, s: &mut Session<'_>) -> Result<Choice> {
        let mut order: Vec<usize> = (0..s.len()).collect();
        order.shuffle(s.rng());
        let start: Vec<usize> = order.into_iter().take(INITIAL_DESIGN.min(self.budget)).collect();
        let candidates: Vec<usize> = (0..s.len()).collect();
        optimise(s, &candidates, &start, self.budget, |_, _| 0.0)
    }
}

/// Deploys `start`, then by expected improvement among `candidates` until `budget` deployments
/// (or every candidate) are made; the GP models measured − `prior` (the prior mean, scaled by
/// the least-squares factor that best fits the measurements so far). Returns the best measured.
pub(crate) fn optimise(
    s: &mut Session<'_>,
    candidates: &[usize],
    start: &[usize],
    budget: usize,
    mut prior: impl FnMut(&mut Session<'_>, usize) -> f64,
) -> Result<Choice> {
    let budget = budget.max(1).min(candidates.len().max(1));
    let priors: Vec<(usize, f64)> = candidates.iter().map(|&i| (i, prior(s, i))).collect();
    let prior_of = |i: usize| priors.iter().find(|(j, _)| *j == i).map_or(0.0, |(_, p)| *p);
    for &i in start.iter().take(budget) {
        s.deploy(i)?;
    }
    while s.ledger().deployed.len() < budget {
        let observed: Vec<usize> = s.ledger().deployed.clone();
        let ys: Vec<f64> = observed.iter().filter_map(|&i| s.measured(i)).collect();
        // scale of the prior: least squares of measured on prior
        let (num, den) = observed.iter().zip(&ys).fold((0.0, 0.0), |(n, d), (&i, &y)| {
            let p = prior_of(i);
            (n + y * p, d + p * p)
        });
        let scale = if den > 0.0 { num / den } else { 0.0 };
        let best = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let x: Vec<Vec<f64>> = observed.iter().map(|&i| s.features(i)).collect();
        let resid: Vec<f64> = observed
            .iter()
            .zip(&ys)
            .map(|(&i, &y)| y - scale * prior_of(i))
            .collect();
        let gp = GaussianProcess::fit(&x, &resid).ok();
        let mut pick: Option<(usize, f64, f64)> = None; // (config, EI, mean)
        for &i in candidates {
            if s.measured(i).is_some() {
                continue;
            }
            let (m, sd) = match &gp {
                Some(g) => g.predict(&s.features(i)),
                None => (0.0, 0.0),
            };
            let mean = scale * prior_of(i) + m;
            let ei = expected_improvement(mean, sd, best, 0.01 * best.abs());
            let ei = if ei.is_finite() { ei } else { 0.0 };
            let better = match pick {
                None => true,
                Some((_, e, mu)) => ei > e || (ei == e && mean > mu),
            };
            if better {
                pick = Some((i, ei, mean));
            }
        }
        match pick {
            Some((i, _, _)) => {
                s.deploy(i)?;
            }
            None => break,
        }
    }
    s.best_deployed()
        .map(|config| Choice {
            config,
            basis: Basis::Measured,
        })
        .ok_or_else(|| Error::usage("--budget", "nothing was deployed"))
}
