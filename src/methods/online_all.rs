//! `online-all`: deploy every configuration and keep the best measured one — the expensive
//! baseline; its regret is 0 by construction (it measures the world the regret is scored in).

use super::{Basis, Choice, Method, Session};
use crate::error::{Error, Result};

/// The deploy-everything method.
pub struct OnlineAll;

impl Method for OnlineAll {
    fn name(&self) -> String {
        "online-all".into()
    }

    fn is_baseline(&self) -> bool {
        true
    }

    fn choose(&self, s: &mut Session<'_>) -> Result<Choice> {
        for i in 0..s.len() {
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
