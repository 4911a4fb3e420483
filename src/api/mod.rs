//! Entry points for programs that embed slasim — the Python package (`python/`) is the one that
//! ships. Each takes what a `slasim` command takes, as data instead of flags (a map of flag
//! names to values), runs the same library code the command runs, and returns its JSON output
//! as a value; errors come back classified, with the one-line message the CLI prints.
//!
//! * [`simulate`]: `slasim simulate`, with deployment and calibration given as data or files,
//!   and the per-request records when asked;
//! * [`run_command`]: any other command with a `--json` output (`profile list`, `calibrate`,
//!   `sweep`, …), from its command-line words;
//! * [`flags_from_map`]: the flag words of a map such as `{"isl": 1024, "concurrency": [1, 4]}`.

mod error;
mod flags;
mod simulate;

pub use error::{ApiError, ErrorClass};
pub use flags::{flags_from_map, FlagGroup};
pub use simulate::{simulate, Input, SimulateOutput, SimulateRequest};

use crate::cli::args::capture_json;
use serde_json::Value;

/// What a command returned: its exit code (0, or 1 when a check it makes failed) and the JSON
/// it wrote to `--json`.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandOutput {
    /// 0 success; 1 a check failed (a calibration gate, `validate --check`).
    pub exit_code: i32,
    /// The command's `--json` output (`Null` for a command that wrote none).
    pub json: Value,
}

/// Runs the `slasim` command whose words (after the program name) are `words`, with `--json`
/// appended so its report is kept as a value and no table is printed. Progress and warnings
/// still go to stderr.
pub fn run_command(words: &[String]) -> Result<CommandOutput, ApiError> {
    let mut argv = Vec::with_capacity(words.len() + 2);
    argv.push("slasim".to_string());
    argv.extend(words.iter().cloned());
    argv.push("--json".to_string());
    let cli = crate::cli::try_parse_from(&argv).map_err(|e| ApiError::from_clap(&e))?;
    let (r, json) = catch(|| capture_json(|| crate::cli::run(cli)))?;
    let exit_code = r.map_err(ApiError::from)?;
    Ok(CommandOutput {
        exit_code,
        json: json.unwrap_or(Value::Null),
    })
}

/// Runs `f`, turning a panic (a bug, never bad input) into an [`ErrorClass::Internal`] error so
/// it cannot unwind into the embedding program.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, ApiError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
        let what = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        ApiError {
            class: ErrorClass::Internal,
            message: format!("internal error (a bug in slasim; please report it): {what}"),
        }
    })
}

#[cfg(test)]
mod tests;
