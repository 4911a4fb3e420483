//! `simulate` for embedding programs: the inputs of `slasim simulate` as data, the SPEC §4
//! summaries (and, when asked, every request's record) as values.

use super::flags::{flags_from_map, FlagGroup};
use super::{catch, ApiError};
use crate::cli::args::DEFAULT_CONCURRENCY;
use crate::cli::simulate_cmd::{simulate_all, specs_on, SimulateArgs};
use crate::error::Error;
use crate::metrics::{request_row, sorted_by_id, REQUESTS_CSV_COLUMNS};
use crate::sim::calibration::Calibration;
use crate::sim::deployment::DeploymentOptions;
use crate::sim::summary::summary_json;
use crate::sim::{SimOutcome, SimSpec};
use clap::{Args, FromArgMatches};
use serde_json::{Map, Value};
use std::path::PathBuf;

/// A deployment or calibration: a file, or the file's content as data.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A deployment TOML or calibration JSON file.
    Path(PathBuf),
    /// The same keys as the file, as a JSON object.
    Data(Value),
}

/// What to simulate. Every field left empty takes `slasim simulate`'s default, except the load:
/// without one (no `concurrency`, `rps`, `sinusoid`, `rate_file`, `trace` or `sessions`), one
/// level at concurrency 1 — the embedded default's first level — runs, not all four.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimulateRequest {
    /// `--profile`: a shipped name or a path.
    pub profile: Option<String>,
    /// `--deployment FILE.toml`, or its keys as data; `profile` overrides its `profile`.
    pub deployment: Option<Input>,
    /// Workload flags by name (`isl`, `osl`, `concurrency`, `rps`, `requests`, `trace`, …).
    pub workload: Map<String, Value>,
    /// SLA flags by name (`ttft`, `itl`, ms).
    pub sla: Map<String, Value>,
    /// `--calibration FILE`, or its keys as data.
    pub calibration: Option<Input>,
    /// `--seed` (default 1).
    pub seed: Option<u64>,
    /// `--variability` (`default`, `off`, or `STEP,LATENCY`).
    pub variability: Option<String>,
    /// Keep and return every request's record (refused above 2,000,000 requests per level).
    pub records: bool,
}

/// What [`simulate`] returns, one entry per load level.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulateOutput {
    /// The SPEC §4 summary of each level: the objects `slasim simulate --json` prints.
    pub summaries: Vec<Value>,
    /// With `records`: per level, the `--requests-csv` columns as an object of equal-length
    /// arrays (`{"request_id": [...], "ttft_ms": [...], …}`, rows sorted by id; `null` where the
    /// CSV cell is empty).
    pub records: Option<Vec<Value>>,
}

/// The command-line words of `req` (everything but the data inputs).
fn words(req: &SimulateRequest) -> Result<Vec<String>, Error> {
    let mut w = vec!["slasim simulate".to_string()];
    if let Some(p) = &req.profile {
        w.push(format!("--profile={p}"));
    }
    if let Some(Input::Path(p)) = &req.deployment {
        w.push(format!("--deployment={}", p.display()));
    }
    if let Some(Input::Path(p)) = &req.calibration {
        w.push(format!("--calibration={}", p.display()));
    }
    w.extend(flags_from_map("workload", FlagGroup::Workload, &req.workload)?);
    w.extend(flags_from_map("sla", FlagGroup::Sla, &req.sla)?);
    if let Some(s) = req.seed {
        w.push(format!("--seed={s}"));
    }
    if let Some(v) = &req.variability {
        w.push(format!("--variability={v}"));
    }
    Ok(w)
}

/// The parsed `simulate` arguments of `req`, data inputs included.
fn arguments(req: &SimulateRequest) -> Result<SimulateArgs, ApiError> {
    let argv = words(req)?;
    let mut a = parse_simulate(&argv).map_err(|e| ApiError::from_clap(&e))?;
    if let Some(Input::Data(v)) = &req.deployment {
        let o: DeploymentOptions = serde_json::from_value(v.clone())
            .map_err(|e| Error::data("deployment", "(data)", format!("is not a deployment: {e}")))?;
        a.deployment.inline_deployment = Some(o);
    }
    if let Some(Input::Data(v)) = &req.calibration {
        let c: Calibration = serde_json::from_value(v.clone())
            .map_err(|e| Error::data("calibration", "(data)", format!("is not a calibration: {e}")))?;
        c.validate("calibration")?;
        a.deployment.inline_calibration = Some(c);
    }
    if !a.workload.names_a_load() {
        a.workload.concurrency = vec![i64::from(DEFAULT_CONCURRENCY[0])];
    }
    Ok(a)
}

thread_local! {
    /// The `simulate` subcommand's parser, built once per thread: building the whole command
    /// tree took more time than a small simulation.
    static SIMULATE_PARSER: std::cell::RefCell<Option<clap::Command>> = const { std::cell::RefCell::new(None) };
}

/// `argv` (a program name, then `simulate`'s flags) parsed with the CLI's rules.
fn parse_simulate(argv: &[String]) -> Result<SimulateArgs, clap::Error> {
    SIMULATE_PARSER.with(|p| {
        let mut p = p.borrow_mut();
        let cmd = p.get_or_insert_with(|| {
            crate::cli::command()
                .find_subcommand("simulate")
                .cloned()
                .unwrap_or_else(|| SimulateArgs::augment_args(clap::Command::new("simulate")))
        });
        let m = cmd.try_get_matches_from_mut(argv)?;
        SimulateArgs::from_arg_matches(&m)
    })
}

/// The records of one run as columns (see [`SimulateOutput::records`]).
fn record_columns(o: &SimOutcome, spec: &SimSpec) -> Value {
    let rows: Vec<_> = sorted_by_id(o.collector.records())
        .into_iter()
        .map(|r| request_row(r, &spec.sla))
        .collect();
    let mut cols = Map::new();
    for (i, name) in REQUESTS_CSV_COLUMNS.iter().enumerate() {
        cols.insert(
            (*name).to_string(),
            Value::Array(rows.iter().map(|row| row[i].json()).collect()),
        );
    }
    Value::Object(cols)
}

/// Simulates `req`: the same parser, defaults, checks and simulation as `slasim simulate`
/// (shipped profiles are parsed once per process). Several load levels run in parallel.
pub fn simulate(req: &SimulateRequest) -> Result<SimulateOutput, ApiError> {
    catch(|| simulate_inner(req))?
}

fn simulate_inner(req: &SimulateRequest) -> Result<SimulateOutput, ApiError> {
    let a = arguments(req)?;
    let (opts, keys, name) = a.deployment.layered_options()?;
    let profile = crate::profile::resolve_shared(&name).map_err(|e| ApiError::profile(keys.attribute(e)))?;
    let dep = opts.build(&profile).map_err(|e| keys.attribute(e))?;
    let specs = specs_on(&a, &dep, req.records.then_some("records"))?;
    let outcomes = simulate_all(&specs)?;
    let summaries = specs.iter().zip(&outcomes).map(|(s, o)| summary_json(s, o)).collect();
    let records = req
        .records
        .then(|| specs.iter().zip(&outcomes).map(|(s, o)| record_columns(o, s)).collect());
    Ok(SimulateOutput { summaries, records })
}
