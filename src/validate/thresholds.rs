//! The accuracy gate of `slasim validate --check`: per (set, condition, split, metric) the MAPE
//! the simulator may not exceed. The shipped file (`calibration/validate_thresholds.toml`) holds
//! values a little above what the current model reaches, so a change that makes a prediction
//! worse fails CI; when a change improves accuracy, lower them.

use super::{Split, Summary};
use crate::calibrate::compare::Metric;
use crate::error::{Error, Result};
use serde::Deserialize;

/// The shipped thresholds, as (path, TOML text).
pub const SHIPPED: (&str, &str) = (
    "calibration/validate_thresholds.toml",
    include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/calibration/validate_thresholds.toml"
    )),
);

/// One threshold.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// Data set name.
    pub set: String,
    /// `uncalibrated` or `calibrated`.
    pub condition: String,
    /// `all` (default) or `held-out`.
    #[serde(default = "all")]
    pub split: String,
    /// Metric key (SPEC §7 names, e.g. `ttft_p50`, `e2e_mean`).
    pub metric: String,
    /// Largest MAPE allowed, %.
    pub max_mape_pct: f64,
}

fn all() -> String {
    "all".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    threshold: Vec<Threshold>,
}

/// Parses a thresholds TOML text; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Vec<Threshold>> {
    let f: File = toml::from_str(text).map_err(|e| Error::data(file, "(toml)", e.message().replace('\n', " ")))?;
    for (i, t) in f.threshold.iter().enumerate() {
        if Metric::parse(&t.metric).is_none() {
            return Err(Error::data(
                file,
                format!("threshold[{i}].metric"),
                format!("unknown metric `{}`", t.metric),
            ));
        }
        if t.split != "all" && t.split != "held-out" {
            return Err(Error::data(
                file,
                format!("threshold[{i}].split"),
                format!("is `{}`; expected all or held-out", t.split),
            ));
        }
        if !(t.max_mape_pct.is_finite() && t.max_mape_pct > 0.0) {
            return Err(Error::data(
                file,
                format!("threshold[{i}].max_mape_pct"),
                format!("is {}; expected a percentage > 0", t.max_mape_pct),
            ));
        }
    }
    Ok(f.threshold)
}

/// The outcome of one threshold.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Check {
    /// Set, condition, split, metric, as `set/condition/split/metric`.
    pub what: String,
    /// The MAPE reached, % (`None`: the report has no such line: not evaluated).
    pub mape_pct: Option<f64>,
    /// The threshold, %.
    pub max_mape_pct: f64,
    /// Passed (evaluated and within the threshold).
    pub pass: bool,
}

/// Evaluates every threshold against the summary; a threshold whose line is missing (its set
/// was not run, or its metric not compared) fails as "not evaluated".
pub fn check(summary: &[Summary], thresholds: &[Threshold]) -> Vec<Check> {
    thresholds
        .iter()
        .map(|t| {
            let split = if t.split == "held-out" {
                Split::HeldOut
            } else {
                Split::All
            };
            let line = summary.iter().find(|s| {
                s.set == t.set && s.condition == t.condition && s.split == split && s.metric.key() == t.metric
            });
            let mape = line.map(|l| l.mape_pct);
            Check {
                what: format!("{}/{}/{}/{}", t.set, t.condition, t.split, t.metric),
                mape_pct: mape,
                max_mape_pct: t.max_mape_pct,
                pass: mape.is_some_and(|m| m <= t.max_mape_pct),
            }
        })
        .collect()
}
