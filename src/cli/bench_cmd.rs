//! `slasim bench`: simulator speed on the reference scenario.

use crate::bench::run_reference;
use crate::error::{Error, Result};
use clap::Args;

/// `slasim bench`
#[derive(Debug, Args)]
#[command(
    after_help = "Reference scenario (SPEC §6): ISL 2048 / OSL 256, agg, vllm scheduler, max_num_seqs 256, \
8 replicas of the llama-3.1-8b-fp8/h200/vllm profile behind least-loaded, Poisson arrivals at 90 % of the saturation \
throughput (measured first by a short closed-loop run). Target: ≥ 1,000,000 simulated requests/s on one core, \
≤ 300 MB peak memory for 1M requests.\n\n\
Examples:
  slasim bench --requests 1000000 --runs 5 --json"
)]
pub struct BenchArgs {
    /// Requests to simulate.
    #[arg(long, default_value_t = 1_000_000)]
    pub requests: u64,
    /// Runs; the wall time reported is their median.
    #[arg(long, default_value_t = 1)]
    pub runs: usize,
    /// Offered load as a fraction of the saturation throughput.
    #[arg(long, default_value_t = 0.9)]
    pub load: f64,
    /// Print JSON instead of text (keys: requests, wall_s, requests_per_s, iterations_per_s,
    /// events_per_s, peak_rss_mb, …); `--json FILE` writes FILE (and prints the text).
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-",
          value_parser = super::args::json_out)]
    pub json: Option<super::args::JsonOut>,
}

/// Runs `bench`.
pub fn run(a: BenchArgs) -> Result<i32> {
    if a.requests == 0 || a.requests > 1_000_000_000 {
        return Err(Error::usage(
            "--requests",
            format!("must be between 1 and 1e9, got {}", a.requests),
        ));
    }
    if a.runs == 0 || a.runs > 100 {
        return Err(Error::usage(
            "--runs",
            format!("must be between 1 and 100, got {}", a.runs),
        ));
    }
    if !(a.load.is_finite() && a.load > 0.0 && a.load <= 2.0) {
        return Err(Error::usage("--load", format!("must be in (0, 2], got {}", a.load)));
    }
    let r = run_reference(a.requests, a.runs, a.load)?;
    if let Some(j) = &a.json {
        j.write(&r)?;
    }
    if !super::args::json_to_stdout(&a.json) {
        println!(
            "reference scenario: {} requests at {:.1} req/s (saturation {:.1} req/s)",
            r.requests, r.rps, r.saturation_rps
        );
        println!("wall time        {:.3} s (median of {})", r.wall_s, r.runs);
        println!("requests/s       {:.0}", r.requests_per_s);
        println!(
            "iterations/s     {:.0}  ({} iterations)",
            r.iterations_per_s, r.iterations
        );
        println!("events/s         {:.0}  ({} events)", r.events_per_s, r.events);
        println!("peak memory      {:.1} MB", r.peak_rss_mb);
        println!(
            "simulated TTFT p50 {:.1} ms, ITL p50 {:.2} ms",
            r.ttft_p50_ms, r.itl_p50_ms
        );
    }
    Ok(0)
}
