//! Calibration: comparing the simulator with real hardware runs, gating on MAPE, and fitting
//! the calibration parameters (SPEC §5).
//!
//! * [`hwrun`] — readers of hardware-run files (SPEC template, AIPerf, vLLM benchmark_serving);
//! * [`silicon_runs`] — AIConfigurator silicon CSV rows as closed-loop runs;
//! * [`targets`] — a run → the simulation that reproduces it;
//! * [`compare`] — per-metric errors, MAPE, status bands, gates;
//! * [`params`] — the fittable parameters, their bounds and what each explains;
//! * [`identify`] — which runs pin which parameter, and warnings naming the missing run;
//! * [`fit`] — the objective and the multi-start Nelder–Mead search;
//! * [`report`] — the report (JSON, tables);
//! * `plot` — the calibration figure (`--plot`, with the `plot` feature);
//! * [`embedded`] — the shipped measured runs and calibration of the default deployment;
//! * [`verify`] — comparing an external prediction (e.g. AIConfigurator) with a real run.

pub mod aiperf_twin;
pub mod compare;
pub mod embedded;
pub mod fit;
pub mod hwrun;
pub mod identify;
pub mod params;
#[cfg(feature = "plot")]
pub mod plot;
pub mod report;
pub mod silicon_runs;
pub mod targets;
pub mod verify;
