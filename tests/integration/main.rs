//! Integration tests: drive the `slasim` binary on the shipped profiles and the real data copied
//! into `tests/fixtures/` (one test binary, one module per behaviour). Nothing outside the
//! repository is needed; the few tests that compare a committed copy with its original in
//! `../shared/data` skip that comparison, with a message, when it is absent.

mod util;

mod aiperf_dir;
mod analytic;
mod calibrate_cli;
mod calibrate_gates;
mod calibrate_readers;
mod compare_incomplete;
mod compare_real;
mod compare_study;
mod fixture_copies;
mod fuzz_parsers;
mod help_examples;
mod hostile_input;
mod metrics_output;
mod npz_hostile;
mod plan;
mod prefix_cache;
mod profile_kv;
mod profile_plot;
mod profile_query;
mod profile_validation;
mod sim_closed_forms;
mod sim_properties;
mod simulate_cli;
mod sweep;
mod sweep_checkpoint;
mod validate_cli;
mod variability_cli;
mod verify_cli;
mod workload_prefix;
mod workload_trace;
