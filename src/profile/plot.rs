//! Plots of a profile (placeholder until implemented).
use super::Profile;
use crate::error::{Error, Result};

/// Draws `p` to `out` (.png or .svg).
pub fn plot_profile(_p: &Profile, _out: &std::path::Path, _tp: Option<u32>) -> Result<()> {
    Err(Error::usage("profile plot", "not implemented yet"))
}
