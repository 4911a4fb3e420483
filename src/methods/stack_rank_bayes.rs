//! `stack-rank+bayes --budget B`: the oracle narrows, Bayesian optimisation refines. The oracle
//! ranks every configuration; the better half (at least B + 1) are the candidates; the oracle's
//! top pick is deployed first; then expected improvement over a GP whose prior mean is the
//! oracle's prediction (scaled to the measurements by least squares) picks the rest of the B
//! deployments; the best measured configuration is recommended.

use super::bayes::optimise;
use super::{Choice, Method, Session};
use crate::error::{Error, Result};

/// Oracle-narrowed Bayesian optimisation.
pub struct StackRankBayes {
    /// Deployments (≥ 1).
    pub budget: usize,
}

impl Method for StackRankBayes {
    fn name(&self) -> String {
        format!("stack-rank+bayes --budget {}", self.budget)
    }

    fn choose(&self, s: &mut Session<'_>) -> Result<Choice> {
        let ranked = s.ranked(|s, i| s.oracle(i));
        let first = *ranked
            .first()
            .ok_or_else(|| Error::usage("--testbed", "the configuration space is empty"))?;
        let keep = ranked.len().div_ceil(2).max(self.budget + 1).min(ranked.len());
        let candidates: Vec<usize> = ranked[..keep].to_vec();
        optimise(s, &candidates, &[first], self.budget, |s, i| s.oracle(i))
    }
}
