//! Command-line interface: argument definitions (clap derive) and the runner of each
//! subcommand. Results go to stdout (and files); diagnostics and progress to stderr.
//!
//! Exit codes: 0 success; 1 a check failed; 2 bad input or usage (returned as [`crate::Error`]).

pub mod args;
mod bench_cmd;
mod calibrate_cmd;
mod compare_cmd;
mod merge_cmd;
mod plan_cmd;
mod profile_cmd;
pub mod progress;
pub mod simulate_cmd;
mod sweep_cmd;
mod validate_cmd;
mod verify_cmd;
mod workload_flags;

use crate::error::Result;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

pub use bench_cmd::BenchArgs;
pub use profile_cmd::ProfileArgs;
pub use simulate_cmd::SimulateArgs;

/// slasim: predict TTFT / ITL / E2E latency and goodput of an LLM-serving deployment by
/// discrete-event simulation over measured performance profiles — no GPU needed.
#[derive(Debug, Parser)]
#[command(name = "slasim", version, about, long_about = None, propagate_version = true, after_help = CONVENTIONS)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The flag conventions every subcommand follows (printed by `slasim --help`).
pub const CONVENTIONS: &str = "\
Conventions (every command):
  --json FILE   write the JSON output to FILE (whole or not at all)
  --json        (or --json -) print it to stdout instead of the text
  --out DIR     always a folder; single files have named flags: --csv,
                --plot, --yaml, --md, --calibration-out, --efficiency-out
  --max-iters   the iteration cap of every optimiser
  --top ROWS    table rows (sweep, merge); compare-methods: --deploy-top K
Old spellings still work for this release, hidden: --out FILE (calibrate,
profile plot, profile fit-roofline), --out-yaml, --iters, compare-methods
--top. A flag that does not apply to the chosen mode is an error.
Exit codes: 0 success, 1 a check failed, 2 bad input or usage.";

/// The command line with slasim's parsing rules on top of the derive: every flag that takes a
/// value accepts a negative number as its value (so `--isl -1` reaches the flag's own check and
/// the error names the flag and what it expects, instead of clap's "unexpected argument").
pub fn command() -> clap::Command {
    fn negatives(c: clap::Command) -> clap::Command {
        c.mut_args(|a| {
            if a.get_action().takes_values() {
                a.allow_negative_numbers(true)
            } else {
                a
            }
        })
        .mut_subcommands(negatives)
    }
    negatives(Cli::command())
}

/// Parses `args` (the program name first) with [`command`]'s rules.
pub fn try_parse_from<I, T>(args: I) -> std::result::Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let m = command().try_get_matches_from(args)?;
    Cli::from_arg_matches(&m)
}

/// A command-line parse error as one line: clap's message without the usage block, the
/// "For more information" hint or the leading `error: `.
pub fn clap_error_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let msg: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:"))
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
        .collect();
    let msg = msg.join(" ");
    msg.trim_start_matches("error: ").replace("  ", " ").trim().to_string()
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a deployment under a workload; print TTFT/ITL/E2E percentiles and goodput.
    Simulate(Box<SimulateArgs>),
    /// Compare simulation with real runs (MAPE, gates) and fit calibration parameters.
    Calibrate(Box<calibrate_cmd::CalibrateArgs>),
    /// List, show, query and plot performance profiles.
    Profile(Box<ProfileArgs>),
    /// Measure simulator speed on the reference scenario (1M requests, 8 agg replicas).
    Bench(BenchArgs),
    /// Compare an external prediction (e.g. an AIConfigurator estimate) with a real run.
    Verify(verify_cmd::VerifyArgs),
    /// Search deployment configurations: rank by goodput/GPU under the SLA, Pareto front, shards.
    Sweep(Box<sweep_cmd::SweepArgs>),
    /// Combine the shard files of a sharded sweep into one report.
    Merge(merge_cmd::MergeArgs),
    /// Plan prefill/decode replicas for a target rate and SLA (Dynamo SLA-planner arithmetic),
    /// check the plan by simulation, and write a DynamoGraphDeployment YAML.
    Plan(Box<plan_cmd::PlanArgs>),
    /// Compare profiling methods (AIC-ALL, Online-ALL, stack rank, Bayesian search, …) on cost,
    /// predictive accuracy and regret: real results folders or an offline testbed study.
    CompareMethods(Box<compare_cmd::CompareArgs>),
    /// Accuracy report: predictions vs every real measurement the project ships (AIPerf runs,
    /// AIConfigurator silicon points), per data set, uncalibrated and calibrated.
    Validate(validate_cmd::ValidateArgs),
}

/// Runs a parsed command line; returns the process exit code (0 or 1), or an error (exit 2).
pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Simulate(a) => simulate_cmd::run(*a),
        Command::Calibrate(a) => calibrate_cmd::run(*a),
        Command::Profile(a) => profile_cmd::run(*a),
        Command::Bench(a) => bench_cmd::run(a),
        Command::Verify(a) => verify_cmd::run(a),
        Command::Sweep(a) => sweep_cmd::run(*a),
        Command::Merge(a) => merge_cmd::run(a),
        Command::Plan(a) => plan_cmd::run(*a),
        Command::CompareMethods(a) => compare_cmd::run(*a),
        Command::Validate(a) => validate_cmd::run(a),
    }
}
