//! `slasim verify`: compare an external prediction with a real run (see
//! [`crate::calibrate::verify`]).

use crate::calibrate::verify::verify_files;
use crate::error::{Error, Result};
use crate::output::write_atomic;
use clap::Args;
use std::path::PathBuf;

/// `slasim verify`
#[derive(Debug, Args)]
#[command(
    after_help = "The prediction is a flat JSON of AIConfigurator-style keys (ttft_ms, tpot_ms / itl_ms, \
tokens/s/gpu, throughput_tokens_s, request_latency_p90_s, concurrency, isl, osl, num_gpus; a key's unit comes from \
its suffix: _ms, _s, _us; none = ms) or any run file slasim reads (SPEC template, AIPerf \
profile_export_aiperf.json, vLLM benchmark_serving result). The actual is a run file.\n\n\
Error = (predicted − actual) / actual × 100; status of |error|: excellent < 5 %, good < 10 %, acceptable < 20 %, \
poor otherwise. Always exits 0 when both files are valid (it reports, it does not gate); 2 on bad input.\n\n\
Examples:
  slasim verify \\
    --predicted tests/fixtures/runs/aic_prediction_qwen3_32b.json \\
    --actual calibration/runs/qwen3-32b-h200-trtllm-aic/medium.json \\
    --gpus 3 --md report.md"
)]
pub struct VerifyArgs {
    /// The prediction: flat AIConfigurator-style JSON, or a run file.
    #[arg(long, value_name = "FILE")]
    pub predicted: PathBuf,
    /// The real run: SPEC template, AIPerf profile_export_aiperf.json or vLLM bench result.
    #[arg(long, value_name = "FILE")]
    pub actual: PathBuf,
    /// GPUs of the deployment, for tokens/s/GPU (default: the prediction's num_gpus, else the
    /// run's config).
    #[arg(long, value_name = "N")]
    pub gpus: Option<i64>,
    /// Print the comparison as JSON instead of a table (keys: predicted, actual, gpus,
    /// metrics{METRIC:{predicted,actual,unit,error_pct,status}}, mape_pct, …); `--json FILE`
    /// writes FILE (and the table is printed).
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-",
          value_parser = super::args::json_out)]
    pub json: Option<super::args::JsonOut>,
    /// Also write a Markdown report to FILE (atomically).
    #[arg(long, value_name = "FILE")]
    pub md: Option<PathBuf>,
}

/// Runs `verify`: prints the table (or JSON), writes the Markdown report; exit code 0.
pub fn run(a: VerifyArgs) -> Result<i32> {
    let gpus = match a.gpus {
        None => None,
        Some(n) if (1..=1_000_000).contains(&n) => Some(n as u32),
        Some(n) => {
            return Err(Error::usage(
                "--gpus",
                format!("expected a GPU count between 1 and 1000000, got {n}"),
            ))
        }
    };
    let report = verify_files(&a.predicted, &a.actual, gpus)?;
    if let Some(md) = &a.md {
        write_atomic(md, report.markdown().as_bytes())?;
    }
    if let Some(j) = &a.json {
        j.write(&report.to_json())?;
    }
    if !super::args::json_to_stdout(&a.json) {
        print!("{}", report.table());
        for w in &report.warnings {
            eprintln!("warning: {w}");
        }
    }
    if let Some(md) = &a.md {
        eprintln!("wrote {}", md.display());
    }
    Ok(0)
}
