//! `slasim validate`: the accuracy report over every real data set the project ships.
//!
//! Each [`sets::DataSet`] pairs measurements of real deployments with the shipped profile that
//! matches their model and GPU and says how to simulate them:
//! * **AIPerf runs** of one deployment (`calibration/runs/…`): each run is simulated as
//!   `slasim calibrate` does (same load, request count, lengths) and compared on every metric
//!   it reports (P50/P90/P99/mean of TTFT, TPOT, E2E, and output throughput);
//! * **AIConfigurator silicon rows** (`calibration/silicon/…`): each row is a closed-loop run
//!   of its concurrency, ISL, OSL and TP, simulated in steady state (the first quarter of the
//!   requests are warm-up, left out) and compared on mean TTFT, mean TPOT and mean E2E
//!   (`TTFT + (OSL − 1)·TPOT`, the row's own definition of a request's latency).
//!
//! Every set is evaluated **uncalibrated** (the profile alone) and, where the project ships a
//! calibration for it, **calibrated**; a calibrated row the calibration was fitted on is marked
//! `fit` and summarised apart from the rows it never saw (`held-out`), so a number is never
//! quoted on data it was tuned on without saying so.
//!
//! The summary is per set, condition and metric: rows, MAPE (mean |sim − hw| / hw × 100),
//! median and worst absolute percentage error. [`thresholds`] holds the CI gate: per
//! (set, condition, split, metric) the MAPE it may not exceed, a little above what the current
//! model reaches, so accuracy can only go up.

#[cfg(feature = "plot")]
pub mod plot;
pub mod report;
pub mod runs;
pub mod sets;
pub mod silicon;
pub mod thresholds;

use crate::calibrate::compare::Metric;
use crate::error::Result;
use serde::Serialize;
use std::collections::BTreeMap;

/// One compared row: a run or a silicon operating point.
#[derive(Debug, Clone, Serialize)]
pub struct RowResult {
    /// Row id (run name, or the silicon row's load and lengths).
    pub id: String,
    /// Whether the calibration of this condition was fitted on this row.
    pub fitted: bool,
    /// Per metric: measured, simulated, signed error % ((sim − hw) / hw × 100).
    pub metrics: BTreeMap<Metric, Compared>,
}

/// A measured value and its prediction.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Compared {
    /// Measured.
    pub hw: f64,
    /// Simulated.
    pub sim: f64,
    /// (sim − hw) / hw × 100.
    pub error_pct: f64,
}

impl Compared {
    /// A comparison of `sim` against `hw` (> 0).
    pub fn new(hw: f64, sim: f64) -> Self {
        Compared {
            hw,
            sim,
            error_pct: (sim - hw) / hw * 100.0,
        }
    }
}

/// A set evaluated under one condition (uncalibrated, or one calibration).
#[derive(Debug, Clone, Serialize)]
pub struct ConditionResult {
    /// `uncalibrated` or `calibrated`.
    pub condition: String,
    /// The calibration file, when calibrated.
    pub calibration: Option<String>,
    /// Row ids the calibration was fitted on (empty when uncalibrated).
    pub fitted_on: Vec<String>,
    /// Every row.
    pub rows: Vec<RowResult>,
}

/// One data set's results.
#[derive(Debug, Clone, Serialize)]
pub struct SetResult {
    /// Set name (stable; used by the thresholds and `--set`).
    pub name: String,
    /// What the data is.
    pub description: String,
    /// The shipped data file(s).
    pub data: String,
    /// The profile simulated.
    pub profile: String,
    /// How the rows were simulated.
    pub simulation: String,
    /// One entry per condition.
    pub conditions: Vec<ConditionResult>,
}

/// Which rows a summary line covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Split {
    /// Every row.
    All,
    /// Only rows the condition's calibration was not fitted on.
    HeldOut,
}

impl Split {
    /// `all` / `held-out`.
    pub fn name(self) -> &'static str {
        match self {
            Split::All => "all",
            Split::HeldOut => "held-out",
        }
    }
}

/// Error statistics of one metric over a set's rows.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Set name.
    pub set: String,
    /// Condition.
    pub condition: String,
    /// Rows covered.
    pub split: Split,
    /// Metric.
    pub metric: Metric,
    /// Rows compared.
    pub rows: usize,
    /// Mean absolute percentage error, %.
    pub mape_pct: f64,
    /// Median absolute percentage error, %.
    pub median_ape_pct: f64,
    /// Largest absolute percentage error, %.
    pub max_ape_pct: f64,
    /// Mean signed error, % (bias: > 0 over-predicts).
    pub bias_pct: f64,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Validation {
    /// slasim version that produced it.
    pub slasim: String,
    /// Simulator settings (step model, first-token semantics, variability).
    pub settings: String,
    /// Per set and condition: every row.
    pub sets: Vec<SetResult>,
    /// Per set, condition, split and metric: the error statistics.
    pub summary: Vec<Summary>,
}

/// Options of a validation run.
#[derive(Debug, Clone, Default)]
pub struct ValidateOptions {
    /// Only these sets (empty: all).
    pub sets: Vec<String>,
    /// Simulate with this step model instead of the default.
    pub step_model: Option<crate::profile::step_model::StepModelKind>,
    /// Disagg sets: this first-token semantics instead of the deployment's.
    pub first_token: Option<crate::sim::deployment::FirstToken>,
    /// This variability instead of the default.
    pub variability: Option<crate::sim::variability::Variability>,
}

impl ValidateOptions {
    /// Applies the overrides to a simulation.
    pub fn apply(&self, spec: &mut crate::sim::SimSpec) {
        if let Some(k) = self.step_model {
            spec.deployment.step_model = k;
        }
        if let Some(f) = self.first_token {
            spec.deployment.first_token = f;
        }
        if let Some(v) = self.variability {
            spec.variability = v;
        }
    }

    /// How the simulator was set up, for the report.
    pub fn describe(&self) -> String {
        format!(
            "step model {}, first token {}, variability {}",
            self.step_model.unwrap_or_default(),
            self.first_token.map_or("as deployed".to_string(), |f| f.to_string()),
            self.variability.unwrap_or_default()
        )
    }
}

/// Runs every selected data set.
pub fn validate(o: &ValidateOptions) -> Result<Validation> {
    let all = sets::all();
    for s in &o.sets {
        if !all.iter().any(|d| d.name == s.as_str()) {
            return Err(crate::Error::usage(
                "--set",
                format!(
                    "unknown data set `{s}`; expected one of {}",
                    all.iter().map(|d| d.name).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    let chosen: Vec<&sets::DataSet> = all
        .iter()
        .filter(|d| o.sets.is_empty() || o.sets.iter().any(|s| s == d.name))
        .collect();
    let mut results = Vec::new();
    for d in chosen {
        results.push(d.evaluate(o)?);
    }
    let summary = report::summarise(&results);
    Ok(Validation {
        slasim: env!("CARGO_PKG_VERSION").to_string(),
        settings: o.describe(),
        sets: results,
        summary,
    })
}
