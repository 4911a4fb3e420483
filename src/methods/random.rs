//! `random --budget B`: deploy B configurations drawn at random (without replacement) and keep
//! the best measured one — the baseline any search method must beat, and the example of
//! adding a method in the [module docs](super).

use super::{Basis, Choice, Method, Session};
use crate::error::{Error, Result};
use rand::seq::SliceRandom;

/// Random search.
pub struct RandomSearch {
    /// Deployments (≥ 1).
    pub budget: usize,
}

impl Method for RandomSearch {
    fn name(&self) -> String {
        format!("random --budget {}", self.budget)
    }

    fn choose(&self, s: &mut Session<'_>) -> Result<Choice> {
        let mut order: Vec<usize> = (0..s.len()).collect();
        order.shuffle(s.rng());
        for &i in order.iter().take(self.budget.max(1)) {
            s.deploy(i)?;
        }
        s.best_deployed()
            .map(|config| Choice {
                config,
                basis: Basis::Measured,
            })
            .ok_or_else(|| Error::usage("--budget", "nothing was deployed"))
    }
}
