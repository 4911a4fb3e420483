//! Readers of real hardware-run results (SPEC §5 "Hardware-run inputs"), auto-detected by their
//! keys and loaded into one type, [`HwRun`].
//!
//! # Layouts
//! * [`RunFormat::Template`] — the SPEC §4/§5 hardware-run template (`experiment_id`, `source`,
//!   `config`, `workload`, `sla`, `metrics`). `slasim simulate --json` writes a superset of it,
//!   so a simulated summary reads back as a run. Detected by a `metrics` object next to
//!   `experiment_id` or `workload`.
//! * [`RunFormat::Aiperf`] — AIPerf's `profile_export_aiperf.json` (also what
//!   `slasim simulate --aiperf-json` writes). Detected by `input_config` or `time_to_first_token`.
//! * [`RunFormat::VllmBench`] — the result JSON of vLLM's `benchmarks/benchmark_serving.py`
//!   (`vllm bench serve`). Detected by `median_ttft_ms`, `mean_ttft_ms`, `p99_ttft_ms`,
//!   `median_tpot_ms`, `mean_tpot_ms`, `median_itl_ms`, or `total_output_tokens` with
//!   `output_throughput`.
//!
//! # Units
//! Every latency in [`RunMetrics`] is in milliseconds: the template's `e2e_latency_s` is
//! converted s → ms; an AIPerf entry whose `unit` is `sec`/`s`, `us` or `ns` is converted to ms.
//! Throughputs are per second: output tokens/s and requests/s.
//!
//! # Validation
//! Each problem is an [`Error::Data`] naming the file and the key (dotted path, e.g.
//! `workload.concurrency`): not JSON, an unknown layout, no TTFT or TPOT figure at all, a zero,
//! negative or non-finite value (goodput may be 0; Python's bare `NaN` / `Infinity` tokens are
//! accepted by the parser so the offending key can be named), zero requests, a mean OSL (or ISL)
//! below 1 token, and a load slasim cannot replay (concurrency 0, a rate ≤ 0, a trace replay,
//! constant/gamma arrivals, a rate-limited closed loop). A value that is absent or `null` is
//! "not reported" and is not compared.

use crate::error::{Error, Result};
use crate::metrics::Sla;
use crate::workload::{LengthDist, MAX_TOKENS};
use serde_json::{Map, Value};
use std::path::Path;

/// The key named in errors about the file as a whole (its layout).
pub const LAYOUT_KEY: &str = "(layout)";

/// The problem reported for a JSON file that is none of the run layouts.
pub const NOT_A_RUN: &str = "is not a hardware run: expected the slasim/SPEC template (experiment_id, workload, \
metrics), an AIPerf profile_export_aiperf.json (input_config, time_to_first_token) or a vLLM benchmark_serving \
result (median_ttft_ms, …)";

/// Which file layout a run came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunFormat {
    /// The SPEC §4/§5 hardware-run template (also `slasim simulate --json` output).
    Template,
    /// AIPerf `profile_export_aiperf.json`.
    Aiperf,
    /// vLLM `benchmark_serving.py` result JSON.
    VllmBench,
    /// A row of an AIConfigurator silicon CSV ([`super::silicon_runs`]).
    Silicon,
}

impl RunFormat {
    /// A short human name (`template`, `aiperf`, `vllm-bench`).
    pub fn name(self) -> &'static str {
        match self {
            RunFormat::Template => "template",
            RunFormat::Aiperf => "aiperf",
            RunFormat::VllmBench => "vllm-bench",
            RunFormat::Silicon => "silicon",
        }
    }
}

/// The load a run applied.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum RunLoad {
    /// Closed loop: this many requests in flight (≥ 1), a new one sent when one finishes.
    Concurrency(u32),
    /// Open loop with Poisson arrivals.
    Poisson {
        /// Mean arrival rate, requests/s (> 0, finite).
        rps: f64,
    },
    /// Every request sent at once (vLLM bench `request_rate = inf` without `max_concurrency`).
    Burst,
}

impl std::fmt::Display for RunLoad {
    /// `concurrency 4`, `poisson 2.5 req/s` or `burst`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunLoad::Concurrency(n) => write!(f, "concurrency {n}"),
            RunLoad::Poisson { rps } => write!(f, "poisson {rps} req/s"),
            RunLoad::Burst => write!(f, "burst"),
        }
    }
}

/// Measured metrics; `None` = not reported (not compared). Latencies in ms (E2E too: converted
/// s → ms on read), throughputs per second.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RunMetrics {
    /// Time to first token, median, ms.
    pub ttft_p50_ms: Option<f64>,
    /// Time to first token, 99th percentile, ms.
    pub ttft_p99_ms: Option<f64>,
    /// Time to first token, mean, ms.
    pub ttft_mean_ms: Option<f64>,
    /// Time per output token (= ITL, AIPerf definition), median, ms.
    pub tpot_p50_ms: Option<f64>,
    /// Time per output token, 99th percentile, ms.
    pub tpot_p99_ms: Option<f64>,
    /// Time per output token, mean, ms.
    pub tpot_mean_ms: Option<f64>,
    /// End-to-end request latency, median, ms.
    pub e2e_p50_ms: Option<f64>,
    /// End-to-end request latency, 99th percentile, ms.
    pub e2e_p99_ms: Option<f64>,
    /// Time to first token, 90th percentile, ms.
    pub ttft_p90_ms: Option<f64>,
    /// Time per output token, 90th percentile, ms.
    pub tpot_p90_ms: Option<f64>,
    /// End-to-end latency, 90th percentile, ms.
    pub e2e_p90_ms: Option<f64>,
    /// End-to-end latency, mean, ms.
    pub e2e_mean_ms: Option<f64>,
    /// Output token throughput, tokens/s (whole deployment).
    pub throughput_token_s: Option<f64>,
    /// Request throughput, requests/s.
    pub request_throughput: Option<f64>,
    /// Goodput: requests meeting the SLA per second, requests/s (may be 0).
    pub goodput_req_s: Option<f64>,
}

/// Deployment facts a run file states (the template's `config`; the model name of AIPerf and
/// vLLM bench files), used when present; flags fill the rest.
///
/// For `mode = "agg"` the template's `tp` (else `prefill.tp`) fills `tp` and its `replicas` (else
/// `prefill.workers`) fills `replicas`; the `prefill_*` / `decode_*` fields are left empty. For
/// `disagg` (or no mode) the `prefill` / `decode` blocks fill them as stated.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RunConfig {
    /// Model name, e.g. `Qwen/Qwen3-32B`.
    pub model: Option<String>,
    /// GPU name, e.g. `H200-SXM` or `h200_sxm`.
    pub gpu: Option<String>,
    /// slasim profile (shipped name or path) to simulate the run with.
    pub profile: Option<String>,
    /// Serving mode, normalised to `agg` or `disagg`.
    pub mode: Option<String>,
    /// Agg engine tensor-parallel size (GPUs per replica).
    pub tp: Option<u32>,
    /// Disagg prefill worker TP.
    pub prefill_tp: Option<u32>,
    /// Disagg decode worker TP.
    pub decode_tp: Option<u32>,
    /// Disagg prefill workers.
    pub prefill_workers: Option<u32>,
    /// Disagg decode workers.
    pub decode_workers: Option<u32>,
    /// Agg replicas.
    pub replicas: Option<u32>,
    /// Batch-size cap per engine.
    pub max_num_seqs: Option<u32>,
}

impl RunConfig {
    /// GPUs the stated deployment uses, when the config says enough: agg `tp × replicas`
    /// (replicas default 1); disagg `prefill_tp × prefill_workers + decode_tp × decode_workers`
    /// (workers default 1). `None` when the TPs are not stated.
    pub fn num_gpus(&self) -> Option<u32> {
        let agg = self.mode.as_deref() == Some("agg");
        match (self.prefill_tp, self.decode_tp) {
            (Some(p), Some(d)) if !agg => {
                let n = u64::from(p) * u64::from(self.prefill_workers.unwrap_or(1))
                    + u64::from(d) * u64::from(self.decode_workers.unwrap_or(1));
                u32::try_from(n).ok()
            }
            _ => {
                let tp = self.tp?;
                u32::try_from(u64::from(tp) * u64::from(self.replicas.unwrap_or(1))).ok()
            }
        }
    }
}

/// Facts a run file may report beyond [`RunMetrics`] (the stated GPU count, the SLA hit rate).
/// `None` = not reported.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RunExtras {
    /// GPUs of the deployment as the file states it (template `config.num_gpus`).
    pub num_gpus: Option<u32>,
    /// Share of the run's requests that met the SLA, 0..=1: AIPerf `good_request_count.avg` ÷
    /// `request_count.avg` (else ÷ the loadgen request count); the template's
    /// `metrics.sla_hit_rate`. `None` when the file does not say (or says something outside
    /// 0..=1: the figure is informational and never fails a read).
    pub sla_hit_rate: Option<f64>,
}

/// One hardware (or simulated) run, whatever layout it was read from.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HwRun {
    /// `experiment_id`; else, for a file named `profile_export_aiperf.json`, its parent folder
    /// name (e.g. `idle`, `medium`); else the file stem.
    pub name: String,
    /// The path as given.
    pub file: String,
    /// The layout it was read from.
    pub format: RunFormat,
    /// Deployment facts the file states.
    pub config: RunConfig,
    /// The load applied.
    pub load: RunLoad,
    /// Requests in the run (≥ 1): the measured ones.
    pub requests: u64,
    /// Warm-up requests sent before the measured ones and left out of the metrics (AIPerf
    /// `input_config.loadgen.warmup_request_count`; 0 when the file does not say).
    pub warmup_requests: u64,
    /// Mean input length, tokens (rounded, ≥ 1).
    pub isl: u32,
    /// Mean output length, tokens (rounded, ≥ 1).
    pub osl: u32,
    /// SLA targets stated by the file (template `sla`, AIPerf `input_config.input.goodput`).
    pub sla: Option<Sla>,
    /// Measured metrics.
    pub metrics: RunMetrics,
}

impl HwRun {
    /// Reads and auto-detects one run file. A JSON array (a `simulate` sweep) must hold exactly
    /// one run here; use [`HwRun::load_all`] for several.
    pub fn load(path: &Path) -> Result<HwRun> {
        Ok(Self::load_detailed(path)?.0)
    }

    /// Parses and auto-detects one run from `bytes`; `file` names it in errors and in
    /// [`HwRun::file`].
    pub fn from_bytes(file: &str, bytes: &[u8]) -> Result<HwRun> {
        Ok(Self::from_bytes_detailed(file, bytes)?.0)
    }

    /// Like [`HwRun::load`], also returning the [`RunExtras`].
    pub fn load_detailed(path: &Path) -> Result<(HwRun, RunExtras)> {
        let bytes = crate::error::read_file(path)?;
        Self::from_bytes_detailed(&path.display().to_string(), &bytes)
    }

    /// Like [`HwRun::from_bytes`], also returning the [`RunExtras`].
    pub fn from_bytes_detailed(file: &str, bytes: &[u8]) -> Result<(HwRun, RunExtras)> {
        let v = parse_json(file, bytes)?;
        match &v {
            Value::Array(a) if a.len() == 1 => Self::from_value(file, &a[0]),
            Value::Array(a) => Err(Error::data(
                file,
                LAYOUT_KEY,
                format!(
                    "holds {} runs (a JSON array, e.g. a `simulate` sweep); expected exactly one run here",
                    a.len()
                ),
            )),
            _ => Self::from_value(file, &v),
        }
    }

    /// Reads every run of a file: a single run, or a JSON array of runs (e.g. a
    /// `slasim simulate --json` sweep). An empty array is an error.
    pub fn load_all(path: &Path) -> Result<Vec<HwRun>> {
        let bytes = crate::error::read_file(path)?;
        Self::from_bytes_all(&path.display().to_string(), &bytes)
    }

    /// Like [`HwRun::load_all`], from bytes.
    pub fn from_bytes_all(file: &str, bytes: &[u8]) -> Result<Vec<HwRun>> {
        let v = parse_json(file, bytes)?;
        match &v {
            Value::Array(a) if a.is_empty() => Err(Error::data(file, LAYOUT_KEY, "is an empty JSON array: no runs")),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    Self::from_value(file, r)
                        .map(|x| x.0)
                        .map_err(|e| prefix_key(e, &format!("[{i}]")))
                })
                .collect(),
            _ => Ok(vec![Self::from_value(file, &v)?.0]),
        }
    }

    /// Reads one run from an already parsed JSON object (layout auto-detected).
    pub fn from_value(file: &str, v: &Value) -> Result<(HwRun, RunExtras)> {
        let r = Reader { file };
        match detect_format(v) {
            Some(RunFormat::Template) => r.template(v),
            Some(RunFormat::Aiperf) => r.aiperf(v),
            Some(RunFormat::VllmBench) => r.vllm(v),
            // detect_format never says Silicon: a CSV is not JSON
            Some(RunFormat::Silicon) | None => Err(Error::data(file, LAYOUT_KEY, NOT_A_RUN)),
        }
    }
}

/// Prefixes the key of a data error (e.g. with the array index of the run it is in).
fn prefix_key(e: Error, prefix: &str) -> Error {
    match e {
        Error::Data { file, key, problem } => Error::Data {
            file,
            key: format!("{prefix}.{key}"),
            problem,
        },
        other => other,
    }
}

/// Which run layout a parsed JSON value has, by its keys; `None` if none.
pub fn detect_format(v: &Value) -> Option<RunFormat> {
    let o = v.as_object()?;
    let has = |k: &str| o.get(k).is_some_and(|x| !x.is_null());
    if o.get("metrics").is_some_and(Value::is_object) && (has("experiment_id") || has("workload")) {
        Some(RunFormat::Template)
    } else if has("input_config") || o.get("time_to_first_token").is_some_and(Value::is_object) {
        Some(RunFormat::Aiperf)
    } else if [
        "median_ttft_ms",
        "mean_ttft_ms",
        "p99_ttft_ms",
        "median_tpot_ms",
        "mean_tpot_ms",
        "median_itl_ms",
    ]
    .iter()
    .any(|k| has(k))
        || (has("total_output_tokens") && has("output_throughput"))
    {
        Some(RunFormat::VllmBench)
    } else {
        None
    }
}

/// Parses JSON, naming `file` and the line/column on failure. Python's bare `NaN`, `Infinity`
/// and `-Infinity` tokens (which `json.dump` writes and strict JSON forbids) are read as the
/// strings `"NaN"`, `"Infinity"`, `"-Infinity"`, so the reader can name the key that holds them.
pub fn parse_json(file: &str, bytes: &[u8]) -> Result<Value> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => Ok(v),
        Err(e) => {
            if let Some(fixed) = quote_non_finite(bytes) {
                if let Ok(v) = serde_json::from_slice::<Value>(&fixed) {
                    return Ok(v);
                }
            }
            Err(Error::data(file, "(json)", format!("is not valid JSON: {e}")))
        }
    }
}

/// Quotes bare `NaN` / `Infinity` / `-Infinity` tokens outside strings; `None` if there are none.
fn quote_non_finite(bytes: &[u8]) -> Option<Vec<u8>> {
    const TOKENS: [&[u8]; 3] = [b"-Infinity", b"Infinity", b"NaN"];
    let mut out = Vec::with_capacity(bytes.len() + 16);
    let (mut in_str, mut esc, mut changed) = (false, false, false);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_str {
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
            }
        } else if b == b'"' {
            in_str = true;
        } else if let Some(t) = TOKENS.iter().find(|t| bytes[i..].starts_with(t)) {
            out.push(b'"');
            out.extend_from_slice(t);
            out.push(b'"');
            i += t.len();
            changed = true;
            continue;
        }
        out.push(b);
        i += 1;
    }
    changed.then_some(out)
}

/// The value at a dotted path (`null` counts as absent).
fn at<'v>(root: &'v Value, path: &[&str]) -> Option<&'v Value> {
    let mut v = root;
    for k in path {
        v = v.as_object()?.get(*k)?;
    }
    (!v.is_null()).then_some(v)
}

/// Whether a string spells a non-finite number (`inf`, `Infinity`, `-inf`, `NaN`, …).
fn non_finite_word(s: &str) -> Option<f64> {
    match s.trim().to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        "nan" | "+nan" | "-nan" => Some(f64::NAN),
        _ => None,
    }
}

/// Joins a path into the dotted key named in errors.
fn key(path: &[&str]) -> String {
    path.join(".")
}

/// Reads one file's values, naming the file and key in every error.
struct Reader<'a> {
    file: &'a str,
}

impl Reader<'_> {
    fn err(&self, key: impl Into<String>, problem: impl Into<String>) -> Error {
        Error::data(self.file, key, problem)
    }

    /// A number (absent/null → `None`); a non-finite one (Python `NaN`, a string `"inf"`) or a
    /// non-number is an error.
    fn num(&self, root: &Value, path: &[&str]) -> Result<Option<f64>> {
        let Some(v) = at(root, path) else { return Ok(None) };
        match v {
            Value::Number(n) => match n.as_f64() {
                Some(x) if x.is_finite() => Ok(Some(x)),
                _ => Err(self.err(key(path), format!("expected a finite number, got {n}"))),
            },
            Value::String(s) if non_finite_word(s).is_some() => {
                Err(self.err(key(path), format!("expected a finite number, got {s}")))
            }
            other => Err(self.err(
                key(path),
                format!("expected a number, got {}", crate::error::json_kind(other)),
            )),
        }
    }

    /// A number > 0 (or absent).
    fn pos(&self, root: &Value, path: &[&str]) -> Result<Option<f64>> {
        match self.num(root, path)? {
            Some(x) if x <= 0.0 => Err(self.err(key(path), format!("expected a value > 0, got {x}"))),
            x => Ok(x),
        }
    }

    /// A number ≥ 0 (or absent).
    fn nonneg(&self, root: &Value, path: &[&str]) -> Result<Option<f64>> {
        match self.num(root, path)? {
            Some(x) if x < 0.0 => Err(self.err(key(path), format!("expected a value ≥ 0, got {x}"))),
            x => Ok(x),
        }
    }

    /// A whole number ≥ 1 (or absent); `what` describes it in errors.
    fn count(&self, root: &Value, path: &[&str], what: &str) -> Result<Option<u64>> {
        let Some(x) = self.num(root, path)? else {
            return Ok(None);
        };
        if x < 1.0 {
            return Err(self.err(key(path), format!("expected at least 1 {what}, got {x}")));
        }
        if x.fract() != 0.0 || x > 9.0e15 {
            return Err(self.err(key(path), format!("expected a whole number of {what}, got {x}")));
        }
        Ok(Some(x as u64))
    }

    /// A whole number in 1..=u32::MAX (or absent).
    fn count_u32(&self, root: &Value, path: &[&str], what: &str) -> Result<Option<u32>> {
        match self.count(root, path, what)? {
            Some(n) => u32::try_from(n)
                .map(Some)
                .map_err(|_| self.err(key(path), format!("expected at most {} {what}, got {n}", u32::MAX))),
            None => Ok(None),
        }
    }

    /// A string (or absent).
    fn string(&self, root: &Value, path: &[&str]) -> Result<Option<String>> {
        match at(root, path) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.err(
                key(path),
                format!("expected a string, got {}", crate::error::json_kind(other)),
            )),
        }
    }

    /// An object (or absent).
    fn object<'v>(&self, root: &'v Value, path: &[&str]) -> Result<Option<&'v Map<String, Value>>> {
        match at(root, path) {
            None => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o)),
            Some(other) => Err(self.err(
                key(path),
                format!("expected an object, got {}", crate::error::json_kind(other)),
            )),
        }
    }

    /// A mean token length → rounded tokens in 1..=MAX_TOKENS.
    fn mean_tokens(&self, key: &str, mean: f64, what: &str) -> Result<u32> {
        if mean < 1.0 {
            return Err(self.err(key, format!("expected a mean {what} of at least 1 token, got {mean}")));
        }
        if mean > MAX_TOKENS as f64 {
            return Err(self.err(
                key,
                format!("expected a mean {what} of at most {MAX_TOKENS} tokens, got {mean}"),
            ));
        }
        Ok((mean.round() as u32).max(1))
    }

    /// The run name: `experiment_id`, else the AIPerf folder name, else the file stem.
    fn name(&self, id: Option<String>) -> String {
        if let Some(id) = id.filter(|s| !s.trim().is_empty()) {
            return id;
        }
        let p = Path::new(self.file);
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if p.file_name().is_some_and(|n| n == "profile_export_aiperf.json") {
            if let Some(dir) = p.parent().and_then(|d| d.file_name()) {
                return dir.to_string_lossy().into_owned();
            }
        }
        if stem.is_empty() {
            self.file.to_string()
        } else {
            stem
        }
    }

    /// A warm-up request count at `path` (absent or null: 0).
    fn warmup(&self, v: &Value, path: &[&str]) -> Result<u64> {
        match self.num(v, path)? {
            None => Ok(0),
            Some(x) if x >= 0.0 && x.fract() == 0.0 && x <= crate::workload::MAX_REQUESTS as f64 => Ok(x as u64),
            Some(x) => Err(self.err(key(path), format!("expected a whole number of requests ≥ 0, got {x}"))),
        }
    }

    /// Errors when neither TTFT nor TPOT is reported.
    fn require_latency(&self, m: &RunMetrics, block: &str, expected: &str) -> Result<()> {
        let any = [
            m.ttft_p50_ms,
            m.ttft_p99_ms,
            m.ttft_mean_ms,
            m.tpot_p50_ms,
            m.tpot_p99_ms,
            m.tpot_mean_ms,
        ]
        .iter()
        .any(Option::is_some);
        if any {
            Ok(())
        } else {
            Err(self.err(block, format!("no TTFT or TPOT/ITL figures: expected {expected}")))
        }
    }

    /// An SLA from two optional targets (ms); a missing one means "no target" (`f64::MAX`).
    fn sla(ttft: Option<f64>, itl: Option<f64>) -> Option<Sla> {
        if ttft.is_none() && itl.is_none() {
            return None;
        }
        Some(Sla {
            ttft_ms: ttft.unwrap_or(f64::MAX),
            itl_ms: itl.unwrap_or(f64::MAX),
        })
    }

    // ---------------------------------------------------------------- template

    fn template(&self, v: &Value) -> Result<(HwRun, RunExtras)> {
        let name = self.name(self.string(v, &["experiment_id"])?);
        let config = self.template_config(v)?;
        if self.object(v, &["workload"])?.is_none() {
            return Err(self.err(
                "workload",
                "missing: expected {type: concurrency|poisson|poisson_trace|burst, concurrency|rps, requests, isl, osl}",
            ));
        }
        let load = self.template_load(v)?;
        let requests = match self.count(v, &["workload", "requests"], "request")? {
            Some(n) => n,
            None => self
                .count(v, &["metrics", "requests_completed"], "request")?
                .ok_or_else(|| {
                    self.err(
                        "workload.requests",
                        "missing: expected the number of requests in the run (≥ 1)",
                    )
                })?,
        };
        let warmup_requests = self.warmup(v, &["workload", "warmup_requests"])?;
        let isl = self.template_len(v, "isl", "input length")?;
        let osl = self.template_len(v, "osl", "output length")?;
        let sla = Self::sla(self.pos(v, &["sla", "ttft_ms"])?, self.pos(v, &["sla", "itl_ms"])?);
        let (metrics, mut extras) = self.template_metrics(v)?;
        extras.num_gpus = self.count_u32(v, &["config", "num_gpus"], "GPU")?;
        let run = HwRun {
            name,
            file: self.file.to_string(),
            format: RunFormat::Template,
            config,
            load,
            requests,
            warmup_requests,
            isl,
            osl,
            sla,
            metrics,
        };
        Ok((run, extras))
    }

    fn template_config(&self, v: &Value) -> Result<RunConfig> {
        if self.object(v, &["config"])?.is_none() {
            return Ok(RunConfig::default());
        }
        fn c(k: &str) -> [&str; 2] {
            ["config", k]
        }
        let u = |path: &[&str], what: &str| self.count_u32(v, path, what);
        let mode = match self.string(v, &c("mode"))? {
            None => None,
            Some(m) => match m.trim().to_ascii_lowercase().as_str() {
                "agg" | "aggregated" => Some("agg".to_string()),
                "disagg" | "disaggregated" => Some("disagg".to_string()),
                _ => return Err(self.err("config.mode", format!("expected agg or disagg, got \"{m}\""))),
            },
        };
        let tp = u(&c("tp"), "GPU")?;
        let replicas = u(&c("replicas"), "replica")?;
        let p_tp = u(&["config", "prefill", "tp"], "GPU")?;
        let p_w = u(&["config", "prefill", "workers"], "worker")?;
        let d_tp = u(&["config", "decode", "tp"], "GPU")?;
        let d_w = u(&["config", "decode", "workers"], "worker")?;
        let agg = mode.as_deref() == Some("agg");
        Ok(RunConfig {
            model: self.string(v, &c("model"))?,
            gpu: self.string(v, &c("gpu"))?,
            profile: self.string(v, &c("profile"))?,
            tp: if agg { tp.or(p_tp) } else { tp },
            replicas: if agg { replicas.or(p_w) } else { replicas },
            prefill_tp: if agg { None } else { p_tp },
            prefill_workers: if agg { None } else { p_w },
            decode_tp: if agg { None } else { d_tp },
            decode_workers: if agg { None } else { d_w },
            max_num_seqs: u(&c("max_num_seqs"), "sequence")?,
            mode,
        })
    }

    fn template_load(&self, v: &Value) -> Result<RunLoad> {
        let ty = self.string(v, &["workload", "type"])?;
        let concurrency = || -> Result<RunLoad> {
            match self.num(v, &["workload", "concurrency"])? {
                None => Err(self.err(
                    "workload.concurrency",
                    "missing: a concurrency workload needs the number of requests in flight",
                )),
                Some(c) if c < 1.0 => Err(self.err(
                    "workload.concurrency",
                    format!("expected at least 1 request in flight, got {c}"),
                )),
                Some(_) => Ok(RunLoad::Concurrency(
                    self.count_u32(v, &["workload", "concurrency"], "request in flight")?
                        .unwrap_or(1),
                )),
            }
        };
        let poisson = || -> Result<RunLoad> {
            match self.num(v, &["workload", "rps"])? {
                None => Err(self.err("workload.rps", "missing: an open-loop workload needs its rate, req/s")),
                Some(r) if r <= 0.0 => Err(self.err("workload.rps", format!("expected a rate > 0 req/s, got {r}"))),
                Some(rps) => Ok(RunLoad::Poisson { rps }),
            }
        };
        match ty.as_deref().map(|s| s.trim().to_ascii_lowercase()) {
            Some(t) if t == "concurrency" || t == "closed_loop" => concurrency(),
            Some(t) if t == "poisson" || t == "poisson_trace" => poisson(),
            Some(t) if t == "burst" => Ok(RunLoad::Burst),
            Some(t) if t == "trace" => {
                if at(v, &["workload", "trace"]).is_none() {
                    Err(self.err(
                        "workload.type",
                        "`trace` replay without a `trace` file cannot be simulated: give the run as \
                         concurrency, poisson or poisson_trace (with rps)",
                    ))
                } else {
                    Err(self.err(
                        "workload.type",
                        "a trace replay cannot be reproduced from a run file: give the run as concurrency, \
                         poisson or poisson_trace (with rps)",
                    ))
                }
            }
            Some(t) => Err(self.err(
                "workload.type",
                format!(
                    "`{t}` arrivals cannot be reproduced from a run file: expected concurrency, poisson, \
                     poisson_trace or burst"
                ),
            )),
            None if at(v, &["workload", "concurrency"]).is_some() => concurrency(),
            None if at(v, &["workload", "rps"]).is_some() => poisson(),
            None => Err(self.err(
                "workload.type",
                "missing: expected concurrency (with `concurrency`), poisson / poisson_trace (with `rps`) or burst",
            )),
        }
    }

    /// `workload.isl` / `workload.osl`: a number (mean tokens) or a slasim length spec
    /// (`uniform:MIN:MAX`, …; its mean is used).
    fn template_len(&self, v: &Value, which: &str, what: &str) -> Result<u32> {
        let k = format!("workload.{which}");
        let mean = match at(v, &["workload", which]) {
            None => {
                let hint = if self.string(v, &["workload", "lengths"])?.as_deref() == Some("trace") {
                    "the lengths came from a trace this file does not include"
                } else {
                    "expected the mean length in tokens"
                };
                return Err(self.err(&k, format!("missing: {hint}")));
            }
            Some(Value::String(s)) if non_finite_word(s).is_none() => {
                let d = LengthDist::parse(&k, s).map_err(|e| match e {
                    Error::Usage { problem, .. } => self.err(&k, problem),
                    other => other,
                })?;
                d.mean()
            }
            Some(_) => self.num(v, &["workload", which])?.unwrap_or(0.0),
        };
        self.mean_tokens(&k, mean, what)
    }

    /// `{p50, p90, p99, mean}` of a template stats block, scaled by `scale`; a block with
    /// `count: 0` (e.g. ITL when every request had one output token) is "not reported".
    fn stats(&self, v: &Value, block: &str, scale: f64) -> Result<[Option<f64>; 4]> {
        let mut out = [None; 4];
        if self.object(v, &["metrics", block])?.is_none() {
            return Ok(out);
        }
        if self.num(v, &["metrics", block, "count"])? == Some(0.0) {
            return Ok(out);
        }
        for (i, s) in ["p50", "p90", "p99", "mean"].iter().enumerate() {
            out[i] = self.pos(v, &["metrics", block, s])?.map(|x| x * scale);
        }
        Ok(out)
    }

    fn template_metrics(&self, v: &Value) -> Result<(RunMetrics, RunExtras)> {
        let ttft = self.stats(v, "ttft_ms", 1.0)?;
        let mut tpot = self.stats(v, "tpot_ms", 1.0)?;
        if tpot.iter().all(Option::is_none) {
            tpot = self.stats(v, "itl_ms", 1.0)?;
        }
        let mut e2e = self.stats(v, "e2e_latency_s", 1000.0)?;
        if e2e.iter().all(Option::is_none) {
            e2e = self.stats(v, "e2e_latency_ms", 1.0)?;
        }
        let m = RunMetrics {
            ttft_p50_ms: ttft[0],
            ttft_p99_ms: ttft[2],
            ttft_mean_ms: ttft[3],
            tpot_p50_ms: tpot[0],
            tpot_p99_ms: tpot[2],
            tpot_mean_ms: tpot[3],
            e2e_p50_ms: e2e[0],
            e2e_p99_ms: e2e[2],
            ttft_p90_ms: ttft[1],
            tpot_p90_ms: tpot[1],
            e2e_p90_ms: e2e[1],
            e2e_mean_ms: e2e[3],
            throughput_token_s: self.pos(v, &["metrics", "throughput_token_s"])?,
            request_throughput: self.pos(v, &["metrics", "request_throughput"])?,
            goodput_req_s: self.nonneg(v, &["metrics", "goodput_req_s"])?,
        };
        self.require_latency(&m, "metrics", "metrics.ttft_ms / metrics.tpot_ms {p50, p99, mean}")?;
        let extras = RunExtras {
            num_gpus: None,
            sla_hit_rate: at(v, &["metrics", "sla_hit_rate"])
                .and_then(Value::as_f64)
                .filter(|x| (0.0..=1.0).contains(x)),
        };
        Ok((m, extras))
    }

    // ---------------------------------------------------------------- AIPerf

    fn aiperf(&self, v: &Value) -> Result<(HwRun, RunExtras)> {
        if self.object(v, &["input_config"])?.is_none() {
            return Err(self.err(
                "input_config",
                "missing: an AIPerf export states its load in input_config.loadgen (concurrency or request_rate)",
            ));
        }
        let load = self.aiperf_load(v)?;
        let requests = match self.count(v, &["input_config", "loadgen", "request_count"], "request")? {
            Some(n) => n,
            None => self.count(v, &["request_count", "avg"], "request")?.ok_or_else(|| {
                self.err(
                    "input_config.loadgen.request_count",
                    "missing (and no request_count.avg): expected the number of requests",
                )
            })?,
        };
        let warmup_requests = self.warmup(v, &["input_config", "loadgen", "warmup_request_count"])?;
        let isl = self.aiperf_len(v, "input_tokens", "input_sequence_length", "input length")?;
        let osl = self.aiperf_len(v, "output_tokens", "output_sequence_length", "output length")?;
        let sla = Self::sla(
            self.pos(v, &["input_config", "input", "goodput", "time_to_first_token"])?,
            self.pos(v, &["input_config", "input", "goodput", "inter_token_latency"])?,
        );
        let ttft = self.aiperf_dist(v, "time_to_first_token")?;
        let itl = self.aiperf_dist(v, "inter_token_latency")?;
        let e2e = self.aiperf_dist(v, "request_latency")?;
        let metrics = RunMetrics {
            ttft_p50_ms: ttft[0],
            ttft_p99_ms: ttft[2],
            ttft_mean_ms: ttft[3],
            tpot_p50_ms: itl[0],
            tpot_p99_ms: itl[2],
            tpot_mean_ms: itl[3],
            e2e_p50_ms: e2e[0],
            e2e_p99_ms: e2e[2],
            ttft_p90_ms: ttft[1],
            tpot_p90_ms: itl[1],
            e2e_p90_ms: e2e[1],
            e2e_mean_ms: e2e[3],
            throughput_token_s: self.pos(v, &["output_token_throughput", "avg"])?,
            request_throughput: self.pos(v, &["request_throughput", "avg"])?,
            goodput_req_s: self.nonneg(v, &["goodput", "avg"])?,
        };
        self.require_latency(
            &metrics,
            "time_to_first_token",
            "time_to_first_token / inter_token_latency {p50, p99, avg}",
        )?;
        let model = at(v, &["input_config", "endpoint", "model_names"])
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .map(str::to_string);
        let run = HwRun {
            name: self.name(None),
            file: self.file.to_string(),
            format: RunFormat::Aiperf,
            config: RunConfig {
                model,
                ..RunConfig::default()
            },
            load,
            requests,
            warmup_requests,
            isl,
            osl,
            sla,
            metrics,
        };
        // informational (not compared), so an odd value is "not reported" rather than an error
        let good = at(v, &["good_request_count", "avg"]).and_then(Value::as_f64);
        let total = at(v, &["request_count", "avg"])
            .and_then(Value::as_f64)
            .unwrap_or(requests as f64);
        let sla_hit_rate = good
            .filter(|g| g.is_finite() && *g >= 0.0 && *g <= total && total > 0.0)
            .map(|g| g / total);
        let extras = RunExtras {
            num_gpus: None,
            sla_hit_rate,
        };
        Ok((run, extras))
    }

    fn aiperf_load(&self, v: &Value) -> Result<RunLoad> {
        const LG: [&str; 2] = ["input_config", "loadgen"];
        if self.object(v, &LG)?.is_none() {
            return Err(self.err(
                "input_config.loadgen",
                "missing: expected the load generator settings (concurrency or request_rate)",
            ));
        }
        let conc_path = ["input_config", "loadgen", "concurrency"];
        let rate_path = ["input_config", "loadgen", "request_rate"];
        let conc = self.num(v, &conc_path)?;
        let rate = self.num(v, &rate_path)?;
        match (conc, rate) {
            (_, Some(r)) if r <= 0.0 => Err(self.err(key(&rate_path), format!("expected a rate > 0 req/s, got {r}"))),
            (Some(_), Some(_)) => Err(self.err(
                key(&rate_path),
                "both concurrency and request_rate are set (a rate-limited closed loop), which cannot be \
                 reproduced: expected one of them",
            )),
            (None, Some(rps)) => {
                let mode = self.string(v, &["input_config", "loadgen", "request_rate_mode"])?;
                match mode.as_deref().map(str::to_ascii_lowercase).as_deref() {
                    None | Some("poisson") => Ok(RunLoad::Poisson { rps }),
                    Some(m) => Err(self.err(
                        "input_config.loadgen.request_rate_mode",
                        format!("`{m}` arrivals cannot be reproduced: expected poisson"),
                    )),
                }
            }
            (Some(c), None) if c < 1.0 => Err(self.err(
                key(&conc_path),
                format!("expected at least 1 request in flight, got {c}"),
            )),
            (Some(_), None) => Ok(RunLoad::Concurrency(
                self.count_u32(v, &conc_path, "request in flight")?.unwrap_or(1),
            )),
            (None, None) => Err(self.err(
                "input_config.loadgen",
                "states neither concurrency nor request_rate: the load cannot be reproduced",
            )),
        }
    }

    /// Mean length from `input_config.input.prompt.<which>.mean`, else `<fallback>.avg`.
    fn aiperf_len(&self, v: &Value, which: &str, fallback: &str, what: &str) -> Result<u32> {
        let p = ["input_config", "input", "prompt", which, "mean"];
        if let Some(m) = self.num(v, &p)? {
            return self.mean_tokens(&key(&p), m, what);
        }
        let f = [fallback, "avg"];
        match self.num(v, &f)? {
            Some(m) => self.mean_tokens(&key(&f), m, what),
            None => Err(self.err(
                key(&p),
                format!("missing (and no {fallback}.avg): expected the mean {what} in tokens"),
            )),
        }
    }

    /// `{p50, p90, p99, avg}` of an AIPerf latency entry, converted to ms by its `unit`.
    fn aiperf_dist(&self, v: &Value, entry: &str) -> Result<[Option<f64>; 4]> {
        let mut out = [None; 4];
        if self.object(v, &[entry])?.is_none() {
            return Ok(out);
        }
        let scale = match self.string(v, &[entry, "unit"])?.as_deref().map(str::trim) {
            None | Some("ms") => 1.0,
            Some("sec" | "s") => 1000.0,
            Some("us") => 1e-3,
            Some("ns") => 1e-6,
            Some(u) => {
                return Err(self.err(
                    format!("{entry}.unit"),
                    format!("expected a time unit (ms, sec, us, ns), got \"{u}\""),
                ))
            }
        };
        for (i, s) in ["p50", "p90", "p99", "avg"].iter().enumerate() {
            out[i] = self.pos(v, &[entry, s])?.map(|x| x * scale);
        }
        Ok(out)
    }

    // ---------------------------------------------------------------- vLLM bench

    fn vllm(&self, v: &Value) -> Result<(HwRun, RunExtras)> {
        let load = self.vllm_load(v)?;
        let requests = match self.count(v, &["completed"], "completed request")? {
            Some(n) => n,
            None => self
                .count(v, &["num_prompts"], "request")?
                .ok_or_else(|| self.err("completed", "missing (and no num_prompts): expected the request count"))?,
        };
        let warmup_requests = 0;
        let n = requests as f64;
        let mean_len = |k: &str, what: &str| -> Result<u32> {
            let total = self
                .num(v, &[k])?
                .ok_or_else(|| self.err(k, format!("missing: expected the total {what} in tokens")))?;
            self.mean_tokens(k, total / n, what)
        };
        let isl = mean_len("total_input_tokens", "input length")?;
        let osl = mean_len("total_output_tokens", "output length")?;
        let p = |k: &str| self.pos(v, &[k]);
        let tpot = |stat: &str| -> Result<Option<f64>> {
            match p(&format!("{stat}_tpot_ms"))? {
                Some(x) => Ok(Some(x)),
                None => p(&format!("{stat}_itl_ms")),
            }
        };
        let goodput = match self.nonneg(v, &["request_goodput"])? {
            Some(g) => Some(g),
            None => self.nonneg(v, &["request_goodput:"])?,
        };
        let metrics = RunMetrics {
            ttft_p50_ms: p("median_ttft_ms")?,
            ttft_p99_ms: p("p99_ttft_ms")?,
            ttft_mean_ms: p("mean_ttft_ms")?,
            tpot_p50_ms: tpot("median")?,
            tpot_p99_ms: tpot("p99")?,
            tpot_mean_ms: tpot("mean")?,
            e2e_p50_ms: p("median_e2el_ms")?,
            e2e_p99_ms: p("p99_e2el_ms")?,
            ttft_p90_ms: p("p90_ttft_ms")?,
            tpot_p90_ms: tpot("p90")?,
            e2e_p90_ms: p("p90_e2el_ms")?,
            e2e_mean_ms: p("mean_e2el_ms")?,
            throughput_token_s: p("output_throughput")?,
            request_throughput: p("request_throughput")?,
            goodput_req_s: goodput,
        };
        self.require_latency(
            &metrics,
            "median_ttft_ms",
            "median_ttft_ms / median_tpot_ms (and mean_, p99_)",
        )?;
        let extras = RunExtras {
            num_gpus: None,
            sla_hit_rate: None,
        };
        let run = HwRun {
            name: self.name(None),
            file: self.file.to_string(),
            format: RunFormat::VllmBench,
            config: RunConfig {
                model: self.string(v, &["model_id"])?,
                ..RunConfig::default()
            },
            load,
            requests,
            warmup_requests,
            isl,
            osl,
            sla: None,
            metrics,
        };
        Ok((run, extras))
    }

    /// `request_rate` ("inf" or a number; absent = inf, vLLM's default) with `max_concurrency`
    /// (null = none) and `burstiness` (1 = Poisson).
    fn vllm_load(&self, v: &Value) -> Result<RunLoad> {
        let rate = match at(v, &["request_rate"]) {
            None => f64::INFINITY,
            Some(Value::String(s)) => match non_finite_word(s) {
                Some(x) if x == f64::INFINITY => x,
                _ => match s.trim().parse::<f64>() {
                    Ok(x) if x.is_finite() => x,
                    _ => {
                        return Err(self.err(
                            "request_rate",
                            format!("expected a rate in req/s or \"inf\", got \"{s}\""),
                        ))
                    }
                },
            },
            Some(_) => self.num(v, &["request_rate"])?.unwrap_or(f64::INFINITY),
        };
        if rate <= 0.0 {
            return Err(self.err("request_rate", format!("expected a rate > 0 req/s, got {rate}")));
        }
        let conc = self.num(v, &["max_concurrency"])?;
        if let Some(c) = conc {
            if c < 1.0 {
                return Err(self.err(
                    "max_concurrency",
                    format!("expected at least 1 request in flight, got {c}"),
                ));
            }
        }
        let conc = self.count_u32(v, &["max_concurrency"], "request in flight")?;
        match (rate.is_finite(), conc) {
            (false, Some(c)) => Ok(RunLoad::Concurrency(c)),
            (false, None) => Ok(RunLoad::Burst),
            (true, Some(_)) => Err(self.err(
                "max_concurrency",
                "is set together with a finite request_rate (a rate-limited closed loop), which cannot be \
                 reproduced: expected request_rate \"inf\" with max_concurrency, or a rate without it",
            )),
            (true, None) => match self.num(v, &["burstiness"])? {
                Some(b) if (b - 1.0).abs() > 1e-12 => Err(self.err(
                    "burstiness",
                    format!("gamma arrivals (burstiness {b}) cannot be reproduced: expected 1 (Poisson)"),
                )),
                _ => Ok(RunLoad::Poisson { rps: rate }),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_layouts() {
        let t: Value = serde_json::json!({"experiment_id": "x", "metrics": {}});
        assert_eq!(detect_format(&t), Some(RunFormat::Template));
        let a: Value = serde_json::json!({"input_config": {}});
        assert_eq!(detect_format(&a), Some(RunFormat::Aiperf));
        let b: Value = serde_json::json!({"median_ttft_ms": 1.0});
        assert_eq!(detect_format(&b), Some(RunFormat::VllmBench));
        assert_eq!(detect_format(&serde_json::json!({"a": 1})), None);
        assert_eq!(detect_format(&serde_json::json!([1])), None);
    }

    #[test]
    fn quotes_python_non_finite_tokens() {
        let v = parse_json(
            "f",
            br#"{"a": NaN, "b": "NaN in string", "c": -Infinity, "d": [Infinity]}"#,
        )
        .unwrap();
        assert_eq!(v["a"], "NaN");
        assert_eq!(v["b"], "NaN in string");
        assert_eq!(v["c"], "-Infinity");
        assert_eq!(v["d"][0], "Infinity");
        assert!(parse_json("f", b"{nope").is_err());
    }

    #[test]
    fn num_gpus_from_config() {
        let mut c = RunConfig {
            prefill_tp: Some(1),
            decode_tp: Some(2),
            ..Default::default()
        };
        assert_eq!(c.num_gpus(), Some(3));
        c.decode_workers = Some(2);
        assert_eq!(c.num_gpus(), Some(5));
        let agg = RunConfig {
            mode: Some("agg".into()),
            tp: Some(2),
            replicas: Some(4),
            ..Default::default()
        };
        assert_eq!(agg.num_gpus(), Some(8));
        assert_eq!(RunConfig::default().num_gpus(), None);
    }

    #[test]
    fn sla_hit_rate_extra() {
        let aiperf = |good: &str| {
            format!(
                r#"{{"input_config": {{"loadgen": {{"concurrency": 4, "request_count": 100}},
                    "input": {{"prompt": {{"input_tokens": {{"mean": 2048}}, "output_tokens": {{"mean": 256}}}}}}}},
                    "time_to_first_token": {{"unit": "ms", "p50": 100.0, "avg": 110.0}},
                    "inter_token_latency": {{"unit": "ms", "p50": 10.0, "avg": 11.0}},
                    "request_count": {{"avg": 80.0}}{good}}}"#
            )
        };
        let rate = |good: &str| {
            HwRun::from_bytes_detailed("f", aiperf(good).as_bytes())
                .unwrap()
                .1
                .sla_hit_rate
        };
        assert_eq!(rate(r#", "good_request_count": {"avg": 20.0}"#), Some(0.25));
        assert_eq!(rate(""), None);
        // odd values are "not reported", never a failed read
        assert_eq!(rate(r#", "good_request_count": {"avg": 200.0}"#), None);
        let t = br#"{"experiment_id": "x", "workload": {"type": "concurrency", "concurrency": 2, "requests": 10,
                     "isl": 100, "osl": 10}, "metrics": {"ttft_ms": {"p50": 1.0}, "tpot_ms": {"p50": 1.0},
                     "sla_hit_rate": 0.9}}"#;
        assert_eq!(HwRun::from_bytes_detailed("t", t).unwrap().1.sla_hit_rate, Some(0.9));
    }
}
