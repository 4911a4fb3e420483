//! Integration tests: drive the `slasim` binary on the shipped profiles and the real data in
//! `../shared/data` (one test binary, one module per behaviour).

mod util;

mod analytic;
mod calibrate_cli;
mod calibrate_readers;
mod compare_real;
mod compare_study;
mod help_examples;
mod hostile_input;
mod metrics_output;
mod plan;
mod profile_kv;
mod profile_plot;
mod profile_query;
mod profile_validation;
mod sim_closed_forms;
mod sim_properties;
mod simulate_cli;
mod sweep;
mod verify_cli;
mod workload_trace;
