//! `calibrate --aiperf-dir DIR`: per hardware run, its simulated twin as an AIPerf run
//! directory beside the measured run, so `aiperf plot DIR` draws measured and simulated together.
//!
//! Layout (one sub-directory per run, named by the run's name, a repeated name suffixed `-2`, …):
//! * `DIR/RUN/simulated/` — the twin: the run's simulation at the calibration the report ends
//!   with (the fitted parameters with `--fit`, else the given `--calibration`, else none), with
//!   the run's first seed, written as [`crate::sim::aiperf_export`] does.
//! * `DIR/RUN/measured` — only for runs read from an AIPerf export (`profile_export_aiperf.json`
//!   layout):
//!   - when the file sits in an AIPerf run directory that also holds the per-request
//!     `profile_export.jsonl`, a symbolic link to that directory (absolute path): AIPerf loads
//!     the measured run as it wrote it;
//!   - otherwise (an aggregate export alone, like the shipped `calibration/runs/`), a directory
//!     with a byte copy of the export as `profile_export_aiperf.json` and the same measured
//!     statistics in AIPerf's aggregate-only layout, `profile_export_aiperf_aggregate.json`
//!     (what AIPerf's sweep writes for a cell whose trials were aggregated; AIPerf 0.13.0's
//!     `plot` loads such a directory without per-request data). Each statistic of the export
//!     (`avg`, `p1`…`p99`, `min`, `max`, `std` of every metric with a unit) becomes
//!     `METRIC_STAT: {"mean": value, "unit": unit}`, unchanged; the export's `input_config`
//!     is carried over, and `metadata` says it is one measured run converted by slasim. No
//!     per-request record is made up: a directory with the aggregate export alone is not a
//!     run for AIPerf ("no valid run directories"), and this is the only way its plot shows it.
//!
//! Runs from other formats (the SPEC template, vLLM benchmark results, silicon CSV rows) get the
//! simulated twin only.

use super::hwrun::RunFormat;
use super::targets::Target;
use crate::error::{Error, Result};
use crate::metrics::aiperf_dir::{write_dir, DirEntry, AIPERF_JSONL_FILE, AIPERF_JSON_FILE};
use crate::sim::aiperf_export::{sim_run_entries, unique_names};
use crate::sim::calibration::Calibration;
use crate::sim::{simulate, MetricsMode};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// AIPerf's aggregate-only run file (a sweep cell's aggregated trials).
pub const AIPERF_AGGREGATE_FILE: &str = "profile_export_aiperf_aggregate.json";

/// The statistics of an AIPerf metric entry, in AIPerf's order.
const STATS: [&str; 14] = [
    "avg", "p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "min", "max", "std", "sum",
];

/// The measured statistics of an AIPerf aggregate export (`export`, read from `file`) in
/// AIPerf's aggregate-only layout (see the module docs).
pub fn aggregate_only(export: &Value, file: &str) -> Value {
    let mut metrics = Map::new();
    if let Some(o) = export.as_object() {
        for (name, entry) in o {
            let Some(e) = entry.as_object() else { continue };
            let Some(unit) = e.get("unit").and_then(Value::as_str) else {
                continue;
            };
            for stat in STATS {
                if let Some(v) = e.get(stat).filter(|v| v.is_number()) {
                    metrics.insert(format!("{name}_{stat}"), json!({ "mean": v, "unit": unit }));
                }
            }
        }
    }
    let model = export
        .pointer("/input_config/endpoint/model_names/0")
        .cloned()
        .unwrap_or(Value::Null);
    let mut out = json!({
        "schema_version": "1.0",
        "metadata": {
            "aggregation_type": "single_run",
            "num_profile_runs": 1,
            "num_successful_runs": 1,
            "failed_runs": [],
            "model": model,
            "source": format!(
                "slasim calibrate --aiperf-dir: the measured statistics of {file}, unchanged (one run, no per-request records)"
            ),
        },
        "metrics": Value::Object(metrics),
    });
    if let (Some(cfg), Some(o)) = (export.get("input_config"), out.as_object_mut()) {
        o.insert("input_config".into(), cfg.clone());
    }
    out
}

/// The `measured` entry of a run read from an AIPerf export at `file`: a link to its run
/// directory when that directory has the per-request records, else a copy of the export plus
/// its aggregate-only form. Nothing for other formats.
fn measured_entries(prefix: &Path, t: &Target) -> Result<Vec<DirEntry>> {
    if t.run.format != RunFormat::Aiperf {
        return Ok(vec![]);
    }
    let file = PathBuf::from(&t.run.file);
    let in_run_dir = file.file_name().is_some_and(|n| n == AIPERF_JSON_FILE);
    let parent = file.parent().map(|p| {
        if p.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            p.to_path_buf()
        }
    });
    if let Some(dir) = parent.filter(|d| in_run_dir && d.join(AIPERF_JSONL_FILE).is_file()) {
        let target = std::fs::canonicalize(&dir).map_err(|e| Error::io(&dir, "cannot resolve", e))?;
        return Ok(vec![DirEntry::Link {
            path: prefix.join("measured"),
            target,
        }]);
    }
    let bytes = crate::error::read_file(&file)?;
    let export: Value =
        serde_json::from_slice(&bytes).map_err(|e| Error::data(&t.run.file, "(json)", e.to_string()))?;
    let mut agg = serde_json::to_string_pretty(&aggregate_only(&export, &t.run.file)).unwrap_or_default();
    agg.push('\n');
    Ok(vec![
        DirEntry::File {
            path: prefix.join("measured").join(AIPERF_JSON_FILE),
            bytes,
        },
        DirEntry::File {
            path: prefix.join("measured").join(AIPERF_AGGREGATE_FILE),
            bytes: agg.into_bytes(),
        },
    ])
}

/// Writes `DIR` (layout in the module docs) for `targets` simulated under `cal`, atomically;
/// a file or non-empty `dir` is a usage error of `flag`, and nothing is written.
pub fn write_twin_dir(dir: &Path, flag: &str, targets: &[Target], cal: &Calibration) -> Result<()> {
    let names = unique_names(&targets.iter().map(|t| t.run.name.clone()).collect::<Vec<_>>());
    let mut entries = Vec::new();
    for (t, name) in targets.iter().zip(names) {
        let mut spec = t.spec.clone();
        spec.calibration = cal.clone();
        spec.metrics = MetricsMode::Exact;
        if let Some(&s) = t.seeds.first() {
            spec.workload.seed = s;
        }
        let out = simulate(&spec)?;
        let prefix = PathBuf::from(&name);
        entries.extend(sim_run_entries(&prefix.join("simulated"), &spec, &out, flag)?);
        entries.extend(measured_entries(&prefix, t)?);
    }
    write_dir(dir, flag, &entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregate_only_keeps_every_statistic_unchanged() {
        let export = json!({
            "time_to_first_token": {"unit": "ms", "avg": 2000.5, "p50": 2066.2, "p99": 2100.0, "min": 1.0},
            "request_count": {"unit": "requests", "avg": 100},
            "was_cancelled": false,
            "input_config": {"endpoint": {"model_names": ["M"]}, "loadgen": {"concurrency": 4}},
        });
        let a = aggregate_only(&export, "x/medium.json");
        let m = &a["metrics"];
        assert_eq!(m["time_to_first_token_p50"], json!({"mean": 2066.2, "unit": "ms"}));
        assert_eq!(m["time_to_first_token_avg"]["mean"], 2000.5);
        assert_eq!(m["request_count_avg"], json!({"mean": 100, "unit": "requests"}));
        assert_eq!(m.as_object().unwrap().len(), 5);
        assert_eq!(a["input_config"]["loadgen"]["concurrency"], 4);
        assert_eq!(a["metadata"]["model"], "M");
        assert!(a["metadata"]["source"].as_str().unwrap().contains("x/medium.json"));
    }
}
