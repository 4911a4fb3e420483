//! `slasim verify`: compare an external prediction (e.g. an AIConfigurator estimate, or another
//! run file) with a real run, metric by metric, normalising units.
//!
//! # The prediction
//! * Any [`HwRun`]-readable file (template / AIPerf / vLLM bench): every metric both files report
//!   is compared (TTFT / TPOT / E2E p50, p90, p99, mean; output-token throughput; request
//!   throughput; goodput).
//! * A flat JSON object of AIConfigurator-style keys (other keys are ignored):
//!   - `throughput_tokens_s_gpu` / `tokens_s_gpu` / `tokens/s/gpu` — output tokens/s per GPU;
//!   - `throughput_tokens_s` / `throughput_token_s` / `tokens_s` / `tokens/s` — output tokens/s
//!     of the whole deployment: divided by the GPU count and compared per GPU (compared as a
//!     total when no GPU count is known; ignored as redundant when a per-GPU figure is given);
//!   - latencies `BASE[_STAT][_UNIT]`: BASE `ttft`, `tpot` / `itl`, `e2e` / `e2el` / `latency` /
//!     `request_latency` / `e2e_latency`; STAT `p50` / `median`, `p90`, `p99`, `mean` / `avg`
//!     (none = p50: an estimator predicts the typical request); UNIT `ms` (default), `s`, `us`
//!     — e.g. `ttft_ms`, `tpot`, `itl_ms`, `request_latency_p90_s`, `e2e_p90_s`;
//!   - `request_throughput` (req/s), `goodput_req_s` (req/s);
//!   - workload and size: `concurrency`, `isl`, `osl` (checked against the run: a mismatch is a
//!     warning), `num_gpus` / `gpus` / `num_total_gpus` / `total_gpus`.
//!
//! # The comparison
//! Error % = (predicted − actual) / actual × 100 (signed); the status of |error| is
//! [`status`]. Tokens/s/GPU of the actual = its output-token throughput ÷ GPUs, GPUs from
//! `--gpus`, else the prediction (`num_gpus`, or its run config), else the actual run's config
//! (`num_gpus`, or TP × workers); a per-GPU comparison without any GPU count is a usage error.
//! A metric the actual does not report (or reports as 0, e.g. a goodput of 0) is listed under
//! `skipped` instead. MAPE = mean |error %| over the compared metrics.

use super::hwrun::{detect_format, parse_json, HwRun, RunExtras, RunLoad, LAYOUT_KEY};
use crate::error::{Error, Result};
use crate::output::text_table;
use serde::ser::SerializeMap;
use serde_json::{json, Map, Value};
use std::path::Path;

/// Status band of an absolute percentage error (SPEC §5): `excellent` < 5 %, `good` < 10 %,
/// `acceptable` < 20 %, `poor` otherwise (also for NaN).
pub fn status(abs_error_pct: f64) -> &'static str {
    let e = abs_error_pct.abs();
    if e < 5.0 {
        "excellent"
    } else if e < 10.0 {
        "good"
    } else if e < 20.0 {
        "acceptable"
    } else {
        "poor"
    }
}

/// A compared metric: its key, unit and description, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MetricDef {
    /// Key in reports (`ttft_p50`, `throughput_token_s_gpu`, …; the calibration report's names).
    pub key: &'static str,
    /// Unit of the values (`ms`, `tokens/s`, `tokens/s/GPU`, `req/s`).
    pub unit: &'static str,
}

/// Every metric `verify` can compare, in report order.
pub const METRICS: [MetricDef; 16] = [
    MetricDef {
        key: "ttft_p50",
        unit: "ms",
    },
    MetricDef {
        key: "ttft_p90",
        unit: "ms",
    },
    MetricDef {
        key: "ttft_p99",
        unit: "ms",
    },
    MetricDef {
        key: "ttft_mean",
        unit: "ms",
    },
    MetricDef {
        key: "tpot_p50",
        unit: "ms",
    },
    MetricDef {
        key: "tpot_p90",
        unit: "ms",
    },
    MetricDef {
        key: "tpot_p99",
        unit: "ms",
    },
    MetricDef {
        key: "tpot_mean",
        unit: "ms",
    },
    MetricDef {
        key: "e2e_p50",
        unit: "ms",
    },
    MetricDef {
        key: "e2e_p90",
        unit: "ms",
    },
    MetricDef {
        key: "e2e_p99",
        unit: "ms",
    },
    MetricDef {
        key: "e2e_mean",
        unit: "ms",
    },
    MetricDef {
        key: "throughput_token_s",
        unit: "tokens/s",
    },
    MetricDef {
        key: "throughput_token_s_gpu",
        unit: "tokens/s/GPU",
    },
    MetricDef {
        key: "request_throughput",
        unit: "req/s",
    },
    MetricDef {
        key: "goodput_req_s",
        unit: "req/s",
    },
];

/// Index of a metric key in [`METRICS`].
fn metric_index(key: &str) -> Option<usize> {
    METRICS.iter().position(|m| m.key == key)
}

/// Metric values by [`METRICS`] index (`None` = not given).
type Values = [Option<f64>; 16];

/// The values a run reports, by [`METRICS`] index (no per-GPU throughput: it needs a GPU count).
fn run_values(r: &HwRun) -> Values {
    let m = &r.metrics;
    let mut v: Values = [None; 16];
    let set = |v: &mut Values, k: &str, x: Option<f64>| {
        if let Some(i) = metric_index(k) {
            v[i] = x;
        }
    };
    set(&mut v, "ttft_p50", m.ttft_p50_ms);
    set(&mut v, "ttft_p90", m.ttft_p90_ms);
    set(&mut v, "ttft_p99", m.ttft_p99_ms);
    set(&mut v, "ttft_mean", m.ttft_mean_ms);
    set(&mut v, "tpot_p50", m.tpot_p50_ms);
    set(&mut v, "tpot_p90", m.tpot_p90_ms);
    set(&mut v, "tpot_p99", m.tpot_p99_ms);
    set(&mut v, "tpot_mean", m.tpot_mean_ms);
    set(&mut v, "e2e_p50", m.e2e_p50_ms);
    set(&mut v, "e2e_p90", m.e2e_p90_ms);
    set(&mut v, "e2e_p99", m.e2e_p99_ms);
    set(&mut v, "e2e_mean", m.e2e_mean_ms);
    set(&mut v, "throughput_token_s", m.throughput_token_s);
    set(&mut v, "request_throughput", m.request_throughput);
    set(&mut v, "goodput_req_s", m.goodput_req_s);
    v
}

/// What kind of file the prediction is.
#[derive(Debug, Clone, PartialEq)]
pub enum PredictionSource {
    /// A flat JSON of AIConfigurator-style keys.
    Flat,
    /// A run file (its layout), read as a [`HwRun`].
    Run(Box<HwRun>, RunExtras),
}

/// A prediction to check, with its values normalised (latencies ms, throughputs per second).
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The path as given.
    pub file: String,
    /// Flat estimate or run file.
    pub source: PredictionSource,
    /// Predicted values by [`METRICS`] index.
    values: Values,
    /// Flat key each value came from (for messages), by [`METRICS`] index.
    from_key: [Option<String>; 16],
    /// Total output tokens/s of a flat prediction, to be divided by the GPU count.
    total_throughput: Option<(String, f64)>,
    /// GPUs the prediction states (flat `num_gpus`, or the run's config).
    pub gpus: Option<u32>,
    /// Closed-loop concurrency the prediction is for (flat `concurrency`).
    pub concurrency: Option<u32>,
    /// Mean input length, tokens (flat `isl`).
    pub isl: Option<u32>,
    /// Mean output length, tokens (flat `osl`).
    pub osl: Option<u32>,
}

impl Prediction {
    /// Reads a prediction file: a run file (auto-detected) or a flat AIConfigurator-style JSON.
    pub fn load(path: &Path) -> Result<Prediction> {
        let bytes = crate::error::read_file(path)?;
        Self::from_bytes(&path.display().to_string(), &bytes)
    }

    /// Like [`Prediction::load`], from bytes; `file` names it in errors.
    pub fn from_bytes(file: &str, bytes: &[u8]) -> Result<Prediction> {
        let v = parse_json(file, bytes)?;
        if detect_format(&v).is_some() {
            let (run, extras) = HwRun::from_value(file, &v)?;
            let values = run_values(&run);
            let gpus = extras.num_gpus.or_else(|| run.config.num_gpus());
            let (concurrency, isl, osl) = (
                match run.load {
                    RunLoad::Concurrency(c) => Some(c),
                    _ => None,
                },
                Some(run.isl),
                Some(run.osl),
            );
            return Ok(Prediction {
                file: file.to_string(),
                source: PredictionSource::Run(Box::new(run), extras),
                values,
                from_key: Default::default(),
                total_throughput: None,
                gpus,
                concurrency,
                isl,
                osl,
            });
        }
        let Some(obj) = v.as_object() else {
            return Err(Error::data(file, LAYOUT_KEY, not_a_prediction()));
        };
        flat(file, obj)
    }

    /// A short description: `flat estimate` or `<layout> run <name>`.
    pub fn describe(&self) -> String {
        match &self.source {
            PredictionSource::Flat => "flat estimate, AIConfigurator-style keys".to_string(),
            PredictionSource::Run(r, _) => describe_run(r),
        }
    }
}

/// `aiperf run `medium`: concurrency 4, 100 requests, ISL 2048, OSL 256`.
fn describe_run(r: &HwRun) -> String {
    format!(
        "{} run `{}`: {}, {} requests, ISL {}, OSL {}",
        r.format.name(),
        r.name,
        r.load,
        r.requests,
        r.isl,
        r.osl
    )
}

/// The problem reported for a file that is neither a flat prediction nor a run.
fn not_a_prediction() -> String {
    "is not a prediction: expected a flat JSON of AIConfigurator-style keys (ttft_ms, tpot_ms, tokens/s/gpu, \
     request_latency_p90_s, …) or a hardware-run file (SPEC template, AIPerf profile_export_aiperf.json, vLLM \
     benchmark_serving result)"
        .to_string()
}

/// A latency key `BASE[_STAT][_UNIT]` → (metric key, factor to ms).
fn latency_key(k: &str) -> Option<(String, f64)> {
    let mut rest = k;
    let mut scale = 1.0;
    for (suffix, s) in [("_ms", 1.0), ("_us", 1e-3), ("_s", 1000.0)] {
        if let Some(r) = rest.strip_suffix(suffix) {
            rest = r;
            scale = s;
            break;
        }
    }
    let mut stat = "p50";
    for (suffix, s) in [
        ("_p50", "p50"),
        ("_median", "p50"),
        ("_p90", "p90"),
        ("_p99", "p99"),
        ("_mean", "mean"),
        ("_avg", "mean"),
    ] {
        if let Some(r) = rest.strip_suffix(suffix) {
            rest = r;
            stat = s;
            break;
        }
    }
    let base = match rest {
        "ttft" => "ttft",
        "tpot" | "itl" => "tpot",
        "e2e" | "e2el" | "latency" | "request_latency" | "e2e_latency" => "e2e",
        _ => return None,
    };
    Some((format!("{base}_{stat}"), scale))
}

/// Parses a flat AIConfigurator-style prediction.
fn flat(file: &str, obj: &Map<String, Value>) -> Result<Prediction> {
    let mut p = Prediction {
        file: file.to_string(),
        source: PredictionSource::Flat,
        values: [None; 16],
        from_key: Default::default(),
        total_throughput: None,
        gpus: None,
        concurrency: None,
        isl: None,
        osl: None,
    };
    for (k, v) in obj {
        let norm = k.trim().to_ascii_lowercase().replace(['/', ' '], "_");
        enum Target {
            Metric(String, f64),
            Total,
            Count(&'static str),
        }
        let target = match norm.as_str() {
            "throughput_tokens_s_gpu" | "throughput_token_s_gpu" | "tokens_s_gpu" => {
                Target::Metric("throughput_token_s_gpu".into(), 1.0)
            }
            "throughput_tokens_s" | "throughput_token_s" | "tokens_s" => Target::Total,
            "request_throughput" | "request_throughput_req_s" | "requests_s" => {
                Target::Metric("request_throughput".into(), 1.0)
            }
            "goodput_req_s" | "goodput" => Target::Metric("goodput_req_s".into(), 1.0),
            "concurrency" => Target::Count("concurrency"),
            "isl" => Target::Count("isl"),
            "osl" => Target::Count("osl"),
            "num_gpus" | "gpus" | "num_total_gpus" | "total_gpus" => Target::Count("gpus"),
            other => match latency_key(other) {
                Some((m, s)) => Target::Metric(m, s),
                None => continue,
            },
        };
        let x = flat_number(file, k, v)?;
        match target {
            Target::Metric(m, scale) => {
                let Some(i) = metric_index(&m) else { continue };
                if let Some(prev) = &p.from_key[i] {
                    return Err(Error::data(
                        file,
                        k.as_str(),
                        format!("gives {m} again (already given by `{prev}`): expected one value per metric"),
                    ));
                }
                p.values[i] = Some(x * scale);
                p.from_key[i] = Some(k.clone());
            }
            Target::Total => {
                if let Some((prev, _)) = &p.total_throughput {
                    return Err(Error::data(
                        file,
                        k.as_str(),
                        format!("gives the total throughput again (already given by `{prev}`)"),
                    ));
                }
                p.total_throughput = Some((k.clone(), x));
            }
            Target::Count(what) => {
                if x.fract() != 0.0 || x > f64::from(u32::MAX) {
                    return Err(Error::data(
                        file,
                        k.as_str(),
                        format!("expected a whole number, got {x}"),
                    ));
                }
                let n = Some(x as u32);
                match what {
                    "concurrency" => p.concurrency = n,
                    "isl" => p.isl = n,
                    "osl" => p.osl = n,
                    _ => p.gpus = n,
                }
            }
        }
    }
    if p.values.iter().all(Option::is_none) && p.total_throughput.is_none() {
        return Err(Error::data(file, LAYOUT_KEY, not_a_prediction()));
    }
    Ok(p)
}

/// A flat prediction value: a finite number > 0.
fn flat_number(file: &str, k: &str, v: &Value) -> Result<f64> {
    let x = match v {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => {
            return Err(Error::data(
                file,
                k,
                format!("expected a finite number > 0, got the string \"{s}\""),
            ))
        }
        other => {
            return Err(Error::data(
                file,
                k,
                format!("expected a finite number > 0, got {}", crate::error::json_kind(other)),
            ));
        }
    };
    if !(x.is_finite() && x > 0.0) {
        return Err(Error::data(file, k, format!("expected a finite number > 0, got {x}")));
    }
    Ok(x)
}

/// One compared metric.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Comparison {
    /// Predicted value (in `unit`).
    pub predicted: f64,
    /// Measured value (in `unit`).
    pub actual: f64,
    /// Unit of both values.
    pub unit: &'static str,
    /// (predicted − actual) / actual × 100, signed.
    pub error_pct: f64,
    /// [`status`] of |error_pct|.
    pub status: &'static str,
}

/// A metric the prediction gives but that could not be compared.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Skipped {
    /// Metric key.
    pub metric: String,
    /// Why it was not compared.
    pub reason: String,
}

/// The result of `verify`.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyReport {
    /// Prediction file.
    pub predicted: String,
    /// Description of the prediction (flat estimate or run).
    pub predicted_kind: String,
    /// Actual run file.
    pub actual: String,
    /// Description of the actual run.
    pub actual_kind: String,
    /// GPU count used for per-GPU figures (`None` when unknown and not needed).
    pub gpus: Option<u32>,
    /// Compared metrics, in report order.
    pub metrics: Vec<(&'static str, Comparison)>,
    /// Mean |error %| over the compared metrics.
    pub mape_pct: f64,
    /// Metrics given by the prediction but not compared.
    pub skipped: Vec<Skipped>,
    /// Workload mismatches between prediction and run (the comparison may be meaningless).
    pub warnings: Vec<String>,
}

/// Compares `pred` with the run `actual` (and its extras). `gpus` is `--gpus`.
///
/// Errors: `--gpus` 0; a per-GPU prediction with no GPU count known (usage error); no metric in
/// common (data error naming the prediction file).
pub fn verify(pred: &Prediction, actual: &HwRun, actual_extras: &RunExtras, gpus: Option<u32>) -> Result<VerifyReport> {
    if gpus == Some(0) {
        return Err(Error::usage("--gpus", "expected at least 1 GPU, got 0"));
    }
    let gpus = gpus
        .or(pred.gpus)
        .or(actual_extras.num_gpus)
        .or_else(|| actual.config.num_gpus());
    let act = run_values(actual);
    let mut predv = pred.values;
    let i_gpu = metric_index("throughput_token_s_gpu").unwrap_or(13);
    let i_tot = metric_index("throughput_token_s").unwrap_or(12);
    if let Some((_, total)) = &pred.total_throughput {
        match (predv[i_gpu].is_some(), gpus) {
            // A per-GPU figure is also given: the total is redundant.
            (true, _) => {}
            (false, Some(n)) => predv[i_gpu] = Some(total / f64::from(n)),
            (false, None) => predv[i_tot] = Some(*total),
        }
    }
    let mut actv = act;
    if predv[i_gpu].is_some() {
        let n = gpus.ok_or_else(|| {
            Error::usage(
                "--gpus",
                format!(
                    "{} gives tokens/s/GPU but no GPU count is known: pass --gpus N (or put num_gpus in the \
                     prediction)",
                    pred.file
                ),
            )
        })?;
        actv[i_gpu] = act[i_tot].map(|t| t / f64::from(n));
    }
    let mut metrics = Vec::new();
    let mut skipped = Vec::new();
    for (i, def) in METRICS.iter().enumerate() {
        let Some(p) = predv[i] else { continue };
        match actv[i] {
            None => skipped.push(Skipped {
                metric: def.key.to_string(),
                reason: "not reported by the actual run".to_string(),
            }),
            Some(a) if a <= 0.0 => skipped.push(Skipped {
                metric: def.key.to_string(),
                reason: format!("the actual run reports {a}: no relative error"),
            }),
            Some(a) => {
                let e = (p - a) / a * 100.0;
                metrics.push((
                    def.key,
                    Comparison {
                        predicted: p,
                        actual: a,
                        unit: def.unit,
                        error_pct: e,
                        status: status(e.abs()),
                    },
                ));
            }
        }
    }
    if metrics.is_empty() {
        return Err(Error::data(
            &pred.file,
            "(metrics)",
            format!(
                "no metric in common with {}: the prediction gives {}",
                actual.file,
                METRICS
                    .iter()
                    .zip(predv.iter())
                    .filter(|(_, v)| v.is_some())
                    .map(|(d, _)| d.key)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let mape_pct = metrics.iter().map(|(_, c)| c.error_pct.abs()).sum::<f64>() / metrics.len() as f64;
    Ok(VerifyReport {
        predicted: pred.file.clone(),
        predicted_kind: pred.describe(),
        actual: actual.file.clone(),
        actual_kind: describe_run(actual),
        gpus,
        metrics,
        mape_pct,
        skipped,
        warnings: workload_warnings(pred, actual),
    })
}

/// Workload facts that differ between the prediction and the run.
fn workload_warnings(pred: &Prediction, actual: &HwRun) -> Vec<String> {
    let mut w = Vec::new();
    if let Some(c) = pred.concurrency {
        match actual.load {
            RunLoad::Concurrency(a) if a == c => {}
            ref l => w.push(format!("the prediction is for concurrency {c}, the run used {l}")),
        }
    }
    if let PredictionSource::Run(r, _) = &pred.source {
        if pred.concurrency.is_none() && r.load != actual.load {
            w.push(format!(
                "the prediction is for {}, the run used {}",
                r.load, actual.load
            ));
        }
        if r.requests != actual.requests {
            w.push(format!(
                "the prediction has {} requests, the run {}",
                r.requests, actual.requests
            ));
        }
    }
    for (what, p, a) in [("ISL", pred.isl, actual.isl), ("OSL", pred.osl, actual.osl)] {
        if let Some(p) = p {
            if p != a {
                w.push(format!("the prediction is for {what} {p}, the run has {what} {a}"));
            }
        }
    }
    w
}

/// A number for tables: 4 significant digits up to 10,000, whole numbers above.
pub fn fmt_value(x: f64) -> String {
    let a = x.abs();
    if a >= 10_000.0 {
        format!("{x:.0}")
    } else if a >= 1000.0 {
        format!("{x:.1}")
    } else if a >= 100.0 {
        format!("{x:.2}")
    } else if a >= 1.0 {
        format!("{x:.3}")
    } else {
        format!("{x:.4}")
    }
}

impl VerifyReport {
    /// [`status`] of the MAPE.
    pub fn mape_status(&self) -> &'static str {
        status(self.mape_pct)
    }

    /// The JSON object: `{"predicted","actual","gpus","metrics":{METRIC:{"predicted","actual",
    /// "unit","error_pct","status"}},"mape_pct","mape_status","predicted_kind","actual_kind",
    /// "skipped":[{"metric","reason"}],"warnings":[…]}`.
    pub fn to_json(&self) -> Value {
        let mut metrics = Map::new();
        for (k, c) in &self.metrics {
            metrics.insert((*k).to_string(), serde_json::to_value(c).unwrap_or(Value::Null));
        }
        json!({
            "predicted": self.predicted,
            "actual": self.actual,
            "gpus": self.gpus,
            "metrics": metrics,
            "mape_pct": self.mape_pct,
            "mape_status": self.mape_status(),
            "predicted_kind": self.predicted_kind,
            "actual_kind": self.actual_kind,
            "skipped": self.skipped,
            "warnings": self.warnings,
        })
    }

    /// Rows of the comparison table (header first).
    fn rows(&self) -> Vec<Vec<String>> {
        let mut rows = vec![vec![
            "metric".to_string(),
            "predicted".to_string(),
            "actual".to_string(),
            "unit".to_string(),
            "error".to_string(),
            "status".to_string(),
        ]];
        for (k, c) in &self.metrics {
            rows.push(vec![
                (*k).to_string(),
                fmt_value(c.predicted),
                fmt_value(c.actual),
                c.unit.to_string(),
                format!("{:+.1}%", c.error_pct),
                c.status.to_string(),
            ]);
        }
        rows
    }

    /// The terminal report: header lines, the aligned table, the MAPE line, skipped metrics.
    pub fn table(&self) -> String {
        let mut s = format!("predicted: {} ({})\n", self.predicted, self.predicted_kind);
        s.push_str(&format!("actual:    {} ({})\n", self.actual, self.actual_kind));
        if let Some(n) = self.gpus {
            s.push_str(&format!("GPUs:      {n}\n"));
        }
        s.push('\n');
        s.push_str(&text_table(&self.rows()));
        s.push_str(&format!(
            "\nMAPE {:.1}% ({}) over {} metric{}\n",
            self.mape_pct,
            self.mape_status(),
            self.metrics.len(),
            if self.metrics.len() == 1 { "" } else { "s" }
        ));
        for sk in &self.skipped {
            s.push_str(&format!("not compared: {} ({})\n", sk.metric, sk.reason));
        }
        s
    }

    /// The Markdown report.
    pub fn markdown(&self) -> String {
        let mut s = String::from("# Prediction vs. hardware run\n\n");
        s.push_str(&format!(
            "- Predicted: `{}` — {}\n",
            self.predicted, self.predicted_kind
        ));
        s.push_str(&format!("- Actual: `{}` — {}\n", self.actual, self.actual_kind));
        match self.gpus {
            Some(n) => s.push_str(&format!("- GPUs: {n}\n")),
            None => s.push_str("- GPUs: not known (no per-GPU comparison)\n"),
        }
        s.push_str("\n| Metric | Predicted | Actual | Unit | Error | Status |\n|---|---:|---:|---|---:|---|\n");
        for (k, c) in &self.metrics {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {:+.1} % | {} |\n",
                k,
                fmt_value(c.predicted),
                fmt_value(c.actual),
                c.unit,
                c.error_pct,
                c.status
            ));
        }
        s.push_str(&format!(
            "\n**MAPE {:.1} % ({})** over {} metric{}.\n\n",
            self.mape_pct,
            self.mape_status(),
            self.metrics.len(),
            if self.metrics.len() == 1 { "" } else { "s" }
        ));
        s.push_str(
            "Error = (predicted − actual) / actual × 100. Status of |error|: excellent < 5 %, good < 10 %, \
             acceptable < 20 %, poor otherwise.\n",
        );
        if !self.skipped.is_empty() {
            s.push_str("\n## Not compared\n\n");
            for sk in &self.skipped {
                s.push_str(&format!("- `{}`: {}\n", sk.metric, sk.reason));
            }
        }
        if !self.warnings.is_empty() {
            s.push_str("\n## Warnings\n\n");
            for w in &self.warnings {
                s.push_str(&format!("- {w}\n"));
            }
        }
        s
    }
}

impl serde::Serialize for VerifyReport {
    /// Serialises as [`VerifyReport::to_json`].
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        match self.to_json() {
            Value::Object(m) => {
                let mut map = serializer.serialize_map(Some(m.len()))?;
                for (k, v) in &m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            other => other.serialize(serializer),
        }
    }
}

/// Reads both files and compares them (`gpus` = `--gpus`).
pub fn verify_files(predicted: &Path, actual: &Path, gpus: Option<u32>) -> Result<VerifyReport> {
    let pred = Prediction::load(predicted)?;
    let (run, extras) = HwRun::load_detailed(actual)?;
    verify(&pred, &run, &extras, gpus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_bands() {
        assert_eq!(status(0.0), "excellent");
        assert_eq!(status(4.99), "excellent");
        assert_eq!(status(5.0), "good");
        assert_eq!(status(9.99), "good");
        assert_eq!(status(10.0), "acceptable");
        assert_eq!(status(19.99), "acceptable");
        assert_eq!(status(20.0), "poor");
        assert_eq!(status(f64::NAN), "poor");
    }

    #[test]
    fn latency_keys() {
        assert_eq!(latency_key("ttft"), Some(("ttft_p50".into(), 1.0)));
        assert_eq!(latency_key("ttft_ms"), Some(("ttft_p50".into(), 1.0)));
        assert_eq!(latency_key("itl_ms"), Some(("tpot_p50".into(), 1.0)));
        assert_eq!(latency_key("request_latency_p90_s"), Some(("e2e_p90".into(), 1000.0)));
        assert_eq!(latency_key("e2e_p90_s"), Some(("e2e_p90".into(), 1000.0)));
        assert_eq!(latency_key("latency_p90_s"), Some(("e2e_p90".into(), 1000.0)));
        assert_eq!(latency_key("tpot_mean_us"), Some(("tpot_mean".into(), 1e-3)));
        assert_eq!(latency_key("tokens_s_user"), None);
        assert_eq!(latency_key("memory_s"), None);
    }
}
