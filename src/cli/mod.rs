//! Command-line interface: argument definitions (clap derive) and the runner of each
//! subcommand. Results go to stdout (and files); diagnostics and progress to stderr.
//!
//! Exit codes: 0 success; 1 a check failed; 2 bad input or usage (returned as [`crate::Error`]).

mod profile_cmd;

use crate::error::Result;
use clap::{Parser, Subcommand};

pub use profile_cmd::ProfileArgs;

/// slasim: predict TTFT / ITL / E2E latency and goodput of an LLM-serving deployment by
/// discrete-event simulation over measured performance profiles — no GPU needed.
#[derive(Debug, Parser)]
#[command(name = "slasim", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List, show, query and plot performance profiles.
    Profile(ProfileArgs),
}

/// Runs a parsed command line; returns the process exit code (0 or 1), or an error (exit 2).
pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Profile(a) => profile_cmd::run(a),
    }
}
