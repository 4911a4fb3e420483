//! `slasim validate`: the accuracy report over the real data the project ships (see
//! [`crate::validate`]).

use crate::cli::args::{json_out, json_to_stdout, JsonOut};
use crate::error::{Error, Result};
use crate::profile::step_model::StepModelKind;
use crate::sim::deployment::FirstToken;
use crate::sim::variability::Variability;
use crate::validate::thresholds::{self, Check};
use crate::validate::{report, validate, ValidateOptions};
use clap::Args;
use std::path::PathBuf;

/// `slasim validate`
#[derive(Debug, Args)]
#[command(after_help = "Data sets (all embedded in the binary):\n  \
qwen3-32b-h200-trtllm-disagg   AIPerf runs of the Dynamo comparison's aic_all deployment (calibration/runs/)\n  \
llama-3.1-8b-h200-sglang-tp1   AIConfigurator silicon points, Llama-3.1-8B FP8 on H200, SGLang, TP1\n\n\
Each set is simulated with the shipped profile of its model and GPU, uncalibrated and (where a calibration is \
shipped) calibrated; calibrated rows the calibration was fitted on are marked [fit] and summarised apart \
(held-out). The table gives MAPE and, in parentheses, the median absolute error, in %.\n\n\
--check compares the summary with calibration/validate_thresholds.toml (or --thresholds FILE) and exits 1 when a \
MAPE is above its threshold or was not evaluated.\n\n\
Examples:\n  slasim validate\n  slasim validate --set llama-3.1-8b-h200-sglang-tp1 --rows\n  \
slasim validate --check --json validate.json")]
pub struct ValidateArgs {
    /// Only this data set (repeat).
    #[arg(long = "set", value_name = "NAME")]
    pub sets: Vec<String>,
    /// Also print every row: measured, predicted, error.
    #[arg(long)]
    pub rows: bool,
    /// Write the report (rows, summary, checks) as JSON to FILE; with no FILE (or `-`), print it
    /// to stdout instead of the tables.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-", value_parser = json_out)]
    pub json: Option<JsonOut>,
    /// Draw predicted vs measured (log-log, one colour per set) to FILE.png or FILE.svg.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Gate on the thresholds: exit 1 when a MAPE exceeds its threshold.
    #[arg(long)]
    pub check: bool,
    /// Thresholds TOML for --check (default: the shipped calibration/validate_thresholds.toml).
    #[arg(long, value_name = "FILE.toml", requires = "check")]
    pub thresholds: Option<PathBuf>,
    /// Simulate with this step model (default composed; sum = the earlier rule, for comparison).
    #[arg(long, value_enum)]
    pub step_model: Option<StepModelKind>,
    /// Disagg sets: first-token semantics (default: each deployment's, Dynamo's decode path).
    #[arg(long, value_enum)]
    pub first_token: Option<FirstToken>,
    /// Service-time variability: default, off, or STEP_CV,LATENCY_CV.
    #[arg(long, value_name = "default|off|STEP,LATENCY")]
    pub variability: Option<String>,
}

/// Runs `validate`; exit code 1 when `--check` fails.
pub fn run(a: ValidateArgs) -> Result<i32> {
    let limits = if a.check {
        Some(match &a.thresholds {
            Some(p) => {
                let bytes = crate::error::read_file(p)?;
                let file = p.display().to_string();
                let text =
                    std::str::from_utf8(&bytes).map_err(|_| Error::data(&file, "(file)", "is not UTF-8 text"))?;
                thresholds::parse(&file, text)?
            }
            None => thresholds::parse(thresholds::SHIPPED.0, thresholds::SHIPPED.1)?,
        })
    } else {
        None
    };
    #[cfg(feature = "plot")]
    if let Some(p) = &a.plot {
        crate::validate::plot::check_path(p)?;
    }
    #[cfg(not(feature = "plot"))]
    if a.plot.is_some() {
        return Err(Error::usage(
            "--plot",
            "this slasim was built without the `plot` feature",
        ));
    }
    let t0 = std::time::Instant::now();
    let opts = ValidateOptions {
        sets: a.sets.clone(),
        step_model: a.step_model,
        first_token: a.first_token,
        variability: a
            .variability
            .as_deref()
            .map(|s| Variability::parse("--variability", s))
            .transpose()?,
    };
    let v = validate(&opts)?;
    let text = !json_to_stdout(&a.json);
    if text {
        println!("settings: {}", v.settings);
        print!("{}", report::table(&v));
        if a.rows {
            print!("{}", report::rows_table(&v));
        }
    }
    let checks: Vec<Check> = limits.map(|l| thresholds::check(&v.summary, &l)).unwrap_or_default();
    let failed: Vec<&Check> = checks.iter().filter(|c| !c.pass).collect();
    if a.check && text {
        println!();
        for c in &checks {
            match c.mape_pct {
                Some(m) => println!(
                    "{} {:<70} MAPE {:>7.2} % (threshold {:.2} %)",
                    if c.pass { "pass" } else { "FAIL" },
                    c.what,
                    m,
                    c.max_mape_pct
                ),
                None => println!("FAIL {:<70} not evaluated", c.what),
            }
        }
        println!(
            "{} of {} accuracy thresholds pass",
            checks.len() - failed.len(),
            checks.len()
        );
    }
    if let Some(out) = &a.json {
        let mut j = serde_json::to_value(&v).map_err(|e| Error::data("(report)", "(json)", e.to_string()))?;
        if a.check {
            j["checks"] =
                serde_json::to_value(&checks).map_err(|e| Error::data("(report)", "(json)", e.to_string()))?;
        }
        out.write(&j)?;
    }
    #[cfg(feature = "plot")]
    if let Some(p) = &a.plot {
        crate::validate::plot::plot_validation(&v, p)?;
    }
    eprintln!("validate: {:.1} s", t0.elapsed().as_secs_f64());
    Ok(if failed.is_empty() { 0 } else { 1 })
}
