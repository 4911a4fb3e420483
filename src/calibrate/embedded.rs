//! What slasim ships from calibration: the measured AIPerf runs of the Qwen3-32B H200 TRT-LLM
//! deployment AIC recommended, and the calibration fitted on them. The embedded default
//! `slasim simulate` uses both to show how far the raw profile is from the hardware and how much
//! calibration closes.

use super::hwrun::HwRun;
use crate::error::{Error, Result};
use crate::sim::calibration::Calibration;

macro_rules! run_file {
    ($level:literal) => {
        (
            concat!("calibration/runs/qwen3-32b-h200-trtllm-aic/", $level, ".json"),
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/calibration/runs/qwen3-32b-h200-trtllm-aic/",
                $level,
                ".json"
            )) as &[u8],
        )
    };
}

/// The four measured runs of the default deployment, as (shipped path, bytes).
pub const RUNS: [(&str, &[u8]); 4] = [
    run_file!("idle"),
    run_file!("medium"),
    run_file!("saturation"),
    run_file!("overload"),
];

/// The calibration fitted on [`RUNS`], as (shipped path, JSON text).
pub const CALIBRATION: (&str, &str) = (
    "calibration/qwen3-32b-h200-trtllm-aic.json",
    include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/calibration/qwen3-32b-h200-trtllm-aic.json"
    )),
);

/// The four measured runs (concurrency 1, 4, 7, 8) of the default deployment.
pub fn default_runs() -> Result<Vec<HwRun>> {
    RUNS.iter()
        .map(|(name, bytes)| HwRun::from_bytes(name, bytes))
        .collect()
}

/// The calibration fitted on [`default_runs`].
pub fn default_calibration() -> Result<Calibration> {
    let c: Calibration = serde_json::from_str(CALIBRATION.1)
        .map_err(|e| Error::data(CALIBRATION.0, "(json)", format!("is not a calibration file: {e}")))?;
    c.validate(CALIBRATION.0)?;
    Ok(c)
}
