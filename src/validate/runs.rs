//! A data set of hardware runs (AIPerf exports or the SPEC template) of one deployment, each
//! simulated the way `slasim calibrate` simulates it (same load, request count, warm-up and
//! lengths; several seeds for random arrivals).

use super::sets::DataSet;
use super::{Compared, ConditionResult, RowResult, SetResult};
use crate::calibrate::compare::Metric;
use crate::calibrate::hwrun::HwRun;
use crate::calibrate::targets::{build_on, simulate_target};
use crate::error::{Error, Result};
use crate::sim::calibration::Calibration;
use crate::sim::deployment::DeploymentOptions;
use std::collections::BTreeMap;

/// Runs of one deployment and the calibration shipped for it.
#[derive(Debug, Clone)]
pub struct RunsSet {
    /// The runs, as (shipped path, file bytes).
    pub runs: Vec<(&'static str, &'static [u8])>,
    /// The deployment TOML the runs were measured on (its text).
    pub deployment_toml: &'static str,
    /// The shipped deployment file (named in the report).
    pub deployment_file: &'static str,
    /// The calibration shipped for the deployment, as (path, JSON text).
    pub calibration: Option<(&'static str, &'static str)>,
}

impl RunsSet {
    /// The Dynamo comparison's aic_all runs on the embedded default deployment.
    pub fn aic_all() -> Self {
        RunsSet {
            runs: crate::calibrate::embedded::RUNS.to_vec(),
            deployment_toml: crate::cli::args::DEFAULT_DEPLOYMENT_TOML,
            deployment_file: "calibration/deployments/qwen3-32b-h200-trtllm-aic.toml",
            calibration: Some(crate::calibrate::embedded::CALIBRATION),
        }
    }

    /// Simulates every run, uncalibrated and with the shipped calibration.
    pub fn evaluate(&self, d: &DataSet, o: &super::ValidateOptions) -> Result<SetResult> {
        let runs = self
            .runs
            .iter()
            .map(|(name, bytes)| HwRun::from_bytes(name, bytes))
            .collect::<Result<Vec<_>>>()?;
        let options = DeploymentOptions::from_toml(self.deployment_file, self.deployment_toml)?;
        let profile_name = options.profile.clone().unwrap_or_default();
        let profile = crate::profile::resolve(&profile_name)?;
        let dep = options.build(&profile)?;
        let mut targets = build_on(
            runs.into_iter().map(|r| (r, false)).collect(),
            |_| Ok(dep.clone()),
            None,
            3,
        )?;
        for t in &mut targets {
            o.apply(&mut t.spec);
        }
        let mut conditions = vec![condition("uncalibrated", None, &Calibration::default(), &[], &targets)?];
        if let Some((file, text)) = self.calibration {
            let cal: Calibration = serde_json::from_str(text)
                .map_err(|e| Error::data(file, "(json)", format!("is not a calibration file: {e}")))?;
            cal.validate(file)?;
            let fitted = fitted_runs(&cal);
            conditions.push(condition("calibrated", Some(file), &cal, &fitted, &targets)?);
        }
        Ok(SetResult {
            name: d.name.to_string(),
            description: d.description.to_string(),
            data: self.runs.iter().map(|r| r.0).collect::<Vec<_>>().join(", "),
            profile: profile_name,
            simulation: format!(
                "{} (as `slasim calibrate` replays each run: its closed-loop concurrency, request count and mean ISL/OSL)",
                self.deployment_file
            ),
            conditions,
        })
    }
}

/// The run names a calibration's provenance says it was fitted on (`runs` minus `holdout_runs`,
/// by file stem).
fn fitted_runs(cal: &Calibration) -> Vec<String> {
    let Some(p) = &cal.provenance else { return vec![] };
    let names = |k: &str| -> Vec<String> {
        p.get(k)
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .map(|s| {
                        std::path::Path::new(s)
                            .file_stem()
                            .map(|x| x.to_string_lossy().into_owned())
                            .unwrap_or_else(|| s.to_string())
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let held = names("holdout_runs");
    names("runs").into_iter().filter(|r| !held.contains(r)).collect()
}

fn condition(
    name: &str,
    file: Option<&str>,
    cal: &Calibration,
    fitted: &[String],
    targets: &[crate::calibrate::targets::Target],
) -> Result<ConditionResult> {
    let mut rows = Vec::new();
    for t in targets {
        let sim = simulate_target(t, cal)?;
        let mut metrics = BTreeMap::new();
        for m in Metric::ALL {
            if let (Some(hw), Some(&s)) = (m.hw(&t.run), sim.get(&m)) {
                if hw > 0.0 && hw.is_finite() {
                    metrics.insert(m, Compared::new(hw, s));
                }
            }
        }
        rows.push(RowResult {
            id: format!("{} ({})", t.run.name, t.run.load),
            fitted: fitted.contains(&t.run.name),
            metrics,
        });
    }
    Ok(ConditionResult {
        condition: name.to_string(),
        calibration: file.map(str::to_string),
        fitted_on: fitted.to_vec(),
        rows,
    })
}
