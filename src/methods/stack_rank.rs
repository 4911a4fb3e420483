//! `stack-rank --top K`: rank every configuration with the cheap oracle (the simulator on the
//! analytic estimate), deploy the top K and keep the best measured one.

use super::{Basis, Choice, Method, Session};
use crate::error::{Error, Result};

/// The oracle-ranking method.
pub struct StackRank {
    /// Configurations deployed (≥ 1).
    pub top: usize,
}

impl Method for StackRank {
    fn name(&self) -> String {
        format!("stack-rank --top {}", self.top)
    }

    fn choose(&self, s: &mut Session<'_>) -> Result<Choice> {
        let ranked = s.ranked(|s, i| s.oracle(i));
        for &i in ranked.iter().take(self.top.max(1)) {
            s.deploy(i)?;
        }
        let config = s
            .best_deployed()
            .ok_or_else(|| Error::usage("--testbed", "the configuration space is empty"))?;
        Ok(Choice {
            config,
            basis: Basis::Measured,
        })
    }
}
