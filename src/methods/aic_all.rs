//! `aic-all`: rank every configuration by the static (AIConfigurator-style) estimate and
//! recommend the top one; nothing is deployed, so its predictions are the static ones.

use super::{Basis, Choice, Method, Session};
use crate::error::{Error, Result};

/// The static-estimate method.
pub struct AicAll;

impl Method for AicAll {
    fn name(&self) -> String {
        "aic-all".into()
    }

    fn is_baseline(&self) -> bool {
        true
    }

    fn choose(&self, s: &mut Session<'_>) -> Result<Choice> {
        let ranked = s.ranked(|s, i| s.static_estimate(i));
        let config = *ranked
            .first()
            .ok_or_else(|| Error::usage("--testbed", "the configuration space is empty"))?;
        Ok(Choice {
            config,
            basis: Basis::Static,
        })
    }
}
