//! # slasim — an LLM-serving SLA simulator
//!
//! A discrete-event simulator of LLM serving deployments (vLLM, SGLang, TRT-LLM, NVIDIA Dynamo)
//! driven by measured prefill/decode performance profiles. It predicts TTFT / ITL / E2E
//! percentiles and goodput for a deployment and a workload without a GPU.
//!
//! Modules, by domain:
//! * [`profile`] — performance profiles: loading (Dynamo npz/JSON layouts), validation,
//!   interpolation, the shipped profiles, plots.
//! * [`cli`] — the command-line interface (argument types and command runners); the binary
//!   only parses and calls [`cli::run`].
//! * [`workload`] — arrival processes, request-length models, trace replay.
//! * [`metrics`] — per-request records, percentiles, goodput, output formats.
//! * [`sim`] — the discrete-event simulator: events, engines, schedulers, KV cache, router.
//! * [`calibrate`] — hardware-run readers, error/MAPE/gates, fitting calibration parameters, `verify`.
//! * [`analytic`] — model cards, GPU catalog, roofline step-time model, synthesised profiles.
//! * [`search`] — config sweeps: search space, ranking, Pareto front, shards.
//! * [`methods`] — profiling-method comparison: real results folders and the offline testbed
//!   study (AIC-ALL, Online-ALL, stack rank, Bayesian search, …) behind one `Method` trait.
//! * [`plan`] — the SLA planner's replica arithmetic, checked by simulation; Dynamo YAML.
//! * [`validate`] — the accuracy report over every real data set the project ships.
//! * [`optimize`] — the Nelder–Mead driver shared by the fits.
//! * [`bench`] — the reference performance scenario.
//! * [`output`] — writing result files atomically, text tables.
//! * [`error`] — typed errors naming file, field and expectation.

pub mod analytic;
pub mod api;
pub mod bench;
pub mod calibrate;
pub mod cli;
pub mod error;
pub mod methods;
pub mod metrics;
pub mod optimize;
pub mod output;
pub mod plan;
pub mod profile;
pub mod search;
pub mod sim;
pub mod validate;
pub mod workload;

pub use error::{Error, Result};
