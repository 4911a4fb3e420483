//! `slasim merge`: combine the shard files of a sharded `slasim sweep` into the report one
//! unsharded run would have written (byte for byte: ranks, Pareto flags and the best
//! configuration are recomputed over all shards by the same code).

use crate::error::Result;
use crate::search::report::{finalize, merge_shards, ShardFile};
use clap::Args;
use std::path::PathBuf;

/// `slasim merge`
#[derive(Debug, Args)]
#[command(
    after_help = "Example (4 shards, e.g. a Kubernetes Indexed Job with completions: 4):\n  \
slasim sweep --space S.toml --shard $(JOB_COMPLETION_INDEX)/4 --json /results/shard-$(JOB_COMPLETION_INDEX).json --resume\n  \
slasim merge /results/shard-*.json --json sweep.json --csv sweep.csv --plot front.png"
)]
pub struct MergeArgs {
    /// Shard files written by `slasim sweep --shard I/N --json FILE` (all N of them, any order).
    #[arg(required = true, value_name = "SHARD.json")]
    pub files: Vec<PathBuf>,
    /// Write the sweep report JSON (SPEC §7).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write one CSV row per configuration, in rank order.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Draw the Pareto front with the chosen configuration highlighted (.png or .svg).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Rows of the terminal table.
    #[arg(long, default_value_t = 20)]
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
    super::sweep_cmd::emit(&report, a.json.as_deref(), a.csv.as_deref(), a.plot.as_deref(), a.top)?;
    Ok(0)
}
