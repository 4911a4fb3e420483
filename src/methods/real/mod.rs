//! Mode 1 placeholder (being merged).
use crate::error::{Error, Result};
/// placeholder
pub struct RealOptions {
    /// x
    pub results: Vec<(String, std::path::PathBuf)>,
    /// x
    pub sla: crate::metrics::Sla,
    /// x
    pub isl: u32,
    /// x
    pub osl: u32,
    /// x
    pub max_bs: Option<u32>,
    /// x
    pub prefill_tp: Option<u32>,
    /// x
    pub decode_tp: Option<u32>,
    /// x
    pub calibration: Option<crate::sim::calibration::Calibration>,
    /// x
    pub seeds: u32,
    /// x
    pub out: std::path::PathBuf,
    /// x
    pub plots: bool,
}
/// placeholder
pub struct RealComparison;
/// placeholder
pub fn run(_o: &RealOptions) -> Result<RealComparison> {
    Err(Error::usage("--results", "not merged yet"))
}
/// placeholder
pub fn summary_text(_c: &RealComparison) -> String {
    String::new()
}
