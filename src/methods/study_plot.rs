//! Figures of a method study (placeholder being written).
use super::study::StudyResults;
use crate::error::Result;
use std::path::Path;

/// Writes the study's figures into `out`.
pub fn plot_all(_r: &StudyResults, _out: &Path) -> Result<()> {
    Ok(())
}
