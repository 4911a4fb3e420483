//! `slasim merge`: combine the shard files of a sharded `slasim sweep` into the report one
//! unsharded run would have written (byte for byte: ranks, Pareto flags and the best
//! configuration are recomputed over all shards by the same code).

use crate::error::Result;
use crate::search::report::{finalize, merge_shards, ShardFile};
use clap::Args;
use std::path::PathBuf;

/// `slasim merge`
#[derive(Debug, Args)]
#[command(after_help = "\
Each shard comes from `slasim sweep … --shard I/N --json shard-I.json` (a Kubernetes Indexed \
Job runs them as --shard $(JOB_COMPLETION_INDEX)/N; see deploy/k8s/).

Examples (after the two shard runs in `slasim sweep --help`):
  slasim merge shard-0.json shard-1.json --json sweep.json \\
    --csv sweep.csv --plot front.png")]
pub struct MergeArgs {
    /// Shard files written by `slasim sweep --shard I/N --json FILE` (all N of them, any order).
    #[arg(required = true, value_name = "SHARD.json")]
    pub files: Vec<PathBuf>,
    /// Write the sweep report JSON (SPEC §7) to FILE; with no FILE (or `-`), print it to stdout
    /// instead of the table.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-",
          value_parser = super::args::json_out)]
    pub json: Option<super::args::JsonOut>,
    /// Write one CSV row per configuration, in rank order.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Draw the Pareto front with the chosen configuration highlighted (.png or .svg).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Rows of the terminal table (configurations shown, best first).
    #[arg(long, default_value_t = 20, value_name = "ROWS")]
    pub top: usize,
}

/// Runs `merge`.
pub fn run(a: MergeArgs) -> Result<i32> {
    super::sweep_cmd::check_plot(&a.plot)?;
    let mut shards = Vec::with_capacity(a.files.len());
    for f in &a.files {
        shards.push((f.display().to_string(), ShardFile::load(f)?));
    }
    let (header, results) = merge_shards(shards)?;
    let report = finalize(header, results);
    super::sweep_cmd::emit(&report, a.json.as_ref(), a.csv.as_deref(), a.plot.as_deref(), a.top)?;
    Ok(0)
}
