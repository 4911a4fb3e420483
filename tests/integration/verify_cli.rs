//! `slasim verify` through the binary: an AIConfigurator-style estimate against the real medium
//! AIPerf run (table, `--json` shape, `--md` report), unit normalisation of flat predictions,
//! run-vs-run comparison, and bad input (exit 2, one line, no panic).

use crate::util;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn medium() -> String {
    util::repo()
        .join("calibration/runs/qwen3-32b-h200-trtllm-aic/medium.json")
        .display()
        .to_string()
}

fn fixture(name: &str) -> String {
    util::repo()
        .join("tests/fixtures/runs")
        .join(name)
        .display()
        .to_string()
}

fn aic() -> String {
    fixture("aic_prediction_qwen3_32b.json")
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"))
}

/// Writes `v` as JSON to `dir/name`, returns the path.
fn write(dir: &Path, name: &str, v: &Value) -> String {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(v).unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
    p.display().to_string()
}

fn write_text(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
    p.display().to_string()
}

/// Runs `slasim verify ARGS --json` and parses stdout.
fn verify_json(args: &[&str]) -> Value {
    let mut a = vec!["verify"];
    a.extend_from_slice(args);
    a.push("--json");
    let out = util::ok(&a);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{out}"))
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn expected_status(abs: f64) -> &'static str {
    if abs < 5.0 {
        "excellent"
    } else if abs < 10.0 {
        "good"
    } else if abs < 20.0 {
        "acceptable"
    } else {
        "poor"
    }
}

/// Checks the JSON shape and arithmetic of a report; returns its metric keys in order.
#[track_caller]
fn check_report(v: &Value) -> Vec<String> {
    for k in ["predicted", "actual", "gpus", "metrics", "mape_pct"] {
        assert!(v.get(k).is_some(), "report lacks `{k}`: {v}");
    }
    let metrics = v["metrics"]
        .as_object()
        .unwrap_or_else(|| panic!("metrics not an object"));
    assert!(!metrics.is_empty());
    let mut sum = 0.0;
    for (k, m) in metrics {
        let want: BTreeSet<String> = ["predicted", "actual", "unit", "error_pct", "status"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(keys(m), want, "{k}");
        let (p, a, e) = (num(&m["predicted"]), num(&m["actual"]), num(&m["error_pct"]));
        assert!(a > 0.0 && p > 0.0);
        assert!((e - (p - a) / a * 100.0).abs() < 1e-9, "{k}: error_pct {e}");
        assert_eq!(m["status"], expected_status(e.abs()), "{k}");
        sum += e.abs();
    }
    let mape = num(&v["mape_pct"]);
    assert!((mape - sum / metrics.len() as f64).abs() < 1e-9);
    metrics.keys().cloned().collect()
}

#[test]
fn aic_estimate_vs_real_medium_run_table() {
    let out = util::ok(&["verify", "--predicted", &aic(), "--actual", &medium()]);
    for needle in [
        "metric",
        "predicted",
        "actual",
        "error",
        "status",
        "ttft_p50",
        "tpot_p50",
        "e2e_p90",
        "throughput_token_s_gpu",
        "tokens/s/GPU",
        "-90.4%",
        "acceptable",
        "poor",
        "MAPE",
        "aiperf run `medium`: concurrency 4, 100 requests, ISL 2048, OSL 256",
        "GPUs:      3",
    ] {
        assert!(out.contains(needle), "table lacks {needle:?}:\n{out}");
    }
    // One row per compared metric, nothing about the ignored keys (tokens/s/user, model, …).
    assert!(!out.contains("user") && !out.contains("model"), "{out}");
}

#[test]
fn aic_estimate_vs_real_medium_run_json() {
    let v = verify_json(&["--predicted", &aic(), "--actual", &medium()]);
    let metrics = check_report(&v);
    assert_eq!(
        metrics,
        ["ttft_p50", "tpot_p50", "e2e_p90", "throughput_token_s_gpu"],
        "report order; the total tokens/s is redundant next to tokens/s/gpu"
    );
    assert_eq!(v["predicted"], aic());
    assert_eq!(v["actual"], medium());
    assert_eq!(v["gpus"], 3, "from the prediction's num_gpus");
    let m = &v["metrics"];
    assert_eq!(num(&m["ttft_p50"]["predicted"]), 198.4);
    assert_eq!(num(&m["ttft_p50"]["actual"]), 2066.233917);
    assert_eq!(m["ttft_p50"]["unit"], "ms");
    assert_eq!(m["ttft_p50"]["status"], "poor");
    assert_eq!(num(&m["tpot_p50"]["actual"]), 12.814221566666665);
    assert_eq!(m["tpot_p50"]["status"], "acceptable");
    assert!((num(&m["e2e_p90"]["predicted"]) - 3054.0).abs() < 1e-9, "seconds → ms");
    assert_eq!(num(&m["e2e_p90"]["actual"]), 5544.3971090000005);
    assert_eq!(m["throughput_token_s_gpu"]["unit"], "tokens/s/GPU");
    assert!((num(&m["throughput_token_s_gpu"]["actual"]) - 183.79035001031562 / 3.0).abs() < 1e-9);
    assert_eq!(v["warnings"], json!([]), "same concurrency, ISL and OSL");
    assert_eq!(v["mape_status"], "poor");
}

#[test]
fn md_report_is_written_and_stdout_keeps_the_table_or_json() {
    let d = tmp();
    let md = d.path().join("reports/nested/verify.md");
    let mds = md.display().to_string();
    let out = util::ok(&["verify", "--predicted", &aic(), "--actual", &medium(), "--md", &mds]);
    assert!(out.contains("ttft_p50") && out.contains("MAPE"), "{out}");
    let text = std::fs::read_to_string(&md).unwrap_or_else(|e| panic!("{}: {e}", md.display()));
    for needle in [
        "# Prediction vs. hardware run",
        "| Metric | Predicted | Actual | Unit | Error | Status |",
        "| ttft_p50 | 198.40 | 2066.2 | ms | -90.4 % | poor |",
        "| tpot_p50 |",
        "tokens/s/GPU",
        "**MAPE",
        "- GPUs: 3",
        "excellent < 5 %",
    ] {
        assert!(text.contains(needle), "markdown lacks {needle:?}:\n{text}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(md.parent().unwrap_or(d.path()))
        .map(|r| r.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert_eq!(leftovers.len(), 1, "no temp file left: {leftovers:?}");
    // --json and --md together: stdout is JSON, the file the same report.
    let md2 = d.path().join("r2.md").display().to_string();
    let v = verify_json(&["--predicted", &aic(), "--actual", &medium(), "--md", &md2]);
    check_report(&v);
    assert_eq!(std::fs::read_to_string(&md2).unwrap_or_default(), text);
}

#[test]
fn flat_prediction_units_are_normalised() {
    let d = tmp();
    let dir = d.path();
    let a = medium();
    // Seconds, milliseconds and microseconds suffixes all land in ms.
    let variants = [
        json!({"e2e_p90_s": 5.0, "ttft": 2000, "tpot_mean_us": 12000}),
        json!({"request_latency_p90_ms": 5000, "ttft_ms": 2000, "tpot_mean_ms": 12}),
        json!({"latency_p90_s": 5.0, "ttft_p50_s": 2.0, "itl_avg_us": 12000}),
    ];
    let mut reports = Vec::new();
    for (i, p) in variants.iter().enumerate() {
        let f = write(dir, &format!("p{i}.json"), p);
        let v = verify_json(&["--predicted", &f, "--actual", &a]);
        assert_eq!(check_report(&v), ["ttft_p50", "tpot_mean", "e2e_p90"], "{p}");
        assert!((num(&v["metrics"]["e2e_p90"]["predicted"]) - 5000.0).abs() < 1e-9);
        assert!((num(&v["metrics"]["ttft_p50"]["predicted"]) - 2000.0).abs() < 1e-9);
        assert!((num(&v["metrics"]["tpot_mean"]["predicted"]) - 12.0).abs() < 1e-9);
        reports.push(v["metrics"].clone());
    }
    assert!(
        reports.windows(2).all(|w| w[0] == w[1]),
        "same numbers whatever the unit"
    );
    // itl_ms is TPOT.
    let f = write(dir, "itl.json", &json!({"itl_ms": 12.814221566666665}));
    let v = verify_json(&["--predicted", &f, "--actual", &a]);
    assert_eq!(check_report(&v), ["tpot_p50"]);
    assert_eq!(v["metrics"]["tpot_p50"]["status"], "excellent");
    assert!(num(&v["metrics"]["tpot_p50"]["error_pct"]).abs() < 1e-9);
    // Total throughput: divided by --gpus and compared per GPU …
    let f = write(dir, "total.json", &json!({"throughput_tokens_s": 300.0}));
    let v = verify_json(&["--predicted", &f, "--actual", &a, "--gpus", "3"]);
    assert_eq!(check_report(&v), ["throughput_token_s_gpu"]);
    assert!((num(&v["metrics"]["throughput_token_s_gpu"]["predicted"]) - 100.0).abs() < 1e-9);
    assert_eq!(v["gpus"], 3);
    // … or as a total when no GPU count is known (an AIPerf export states no deployment).
    let v = verify_json(&["--predicted", &f, "--actual", &a]);
    assert_eq!(check_report(&v), ["throughput_token_s"]);
    assert_eq!(v["gpus"], Value::Null);
    assert!((num(&v["metrics"]["throughput_token_s"]["actual"]) - 183.79035001031562).abs() < 1e-9);
    // --gpus wins over the prediction's num_gpus.
    let v = verify_json(&["--predicted", &aic(), "--actual", &a, "--gpus", "6"]);
    assert_eq!(v["gpus"], 6);
    assert!((num(&v["metrics"]["throughput_token_s_gpu"]["actual"]) - 183.79035001031562 / 6.0).abs() < 1e-9);
    // The keys AIConfigurator writes with a slash.
    let f = write(
        dir,
        "slash.json",
        &json!({"tokens/s/gpu": 61.0, "num_total_gpus": 3, "TTFT": 2066.0}),
    );
    let v = verify_json(&["--predicted", &f, "--actual", &a]);
    assert_eq!(check_report(&v), ["ttft_p50", "throughput_token_s_gpu"]);
    assert_eq!(v["metrics"]["throughput_token_s_gpu"]["status"], "excellent");
}

#[test]
fn run_files_are_compared_metric_by_metric() {
    let d = tmp();
    // A slasim simulation of the same workload as the prediction.
    let sim = d.path().join("sim.json").display().to_string();
    util::ok(&["simulate", "--concurrency", "4", "--json", &sim]);
    let v = verify_json(&["--predicted", &sim, "--actual", &medium()]);
    let metrics = check_report(&v);
    for m in [
        "ttft_p50",
        "ttft_p99",
        "tpot_p50",
        "tpot_p99",
        "e2e_p50",
        "e2e_p99",
        "throughput_token_s",
        "request_throughput",
    ] {
        assert!(metrics.iter().any(|k| k == m), "{m} not compared: {metrics:?}");
    }
    assert_eq!(v["gpus"], 3, "from the simulated run's config");
    let skipped = v["skipped"].as_array().cloned().unwrap_or_default();
    assert!(
        skipped.iter().any(|s| s["metric"] == "goodput_req_s"),
        "the real goodput is 0: no relative error: {skipped:?}"
    );
    assert_eq!(v["warnings"], json!([]));
    // A run against itself: all errors 0.
    let f = fixture("vllm_bench_llama8b.json");
    let v = verify_json(&["--predicted", &f, "--actual", &f]);
    check_report(&v);
    assert_eq!(num(&v["mape_pct"]), 0.0);
    assert!(v["metrics"]
        .as_object()
        .is_some_and(|m| m.values().all(|x| x["status"] == "excellent")));
    // Different workloads: reported, with warnings, still exit 0.
    let v = verify_json(&["--predicted", &f, "--actual", &fixture("template_hw_llama8b.json")]);
    check_report(&v);
    let w = v["warnings"].to_string();
    assert!(w.contains("poisson 8 req/s") && w.contains("OSL 128"), "{w}");
    let skipped = v["skipped"].to_string();
    assert!(
        skipped.contains("e2e_p90") && skipped.contains("not reported"),
        "{skipped}"
    );
    // A flat prediction for another concurrency warns too.
    let p = write(d.path(), "c8.json", &json!({"concurrency": 8, "ttft_ms": 7000}));
    let v = verify_json(&["--predicted", &p, "--actual", &medium()]);
    assert!(v["warnings"].to_string().contains("concurrency 8"), "{v}");
    // The table mode prints warnings to stderr, not stdout.
    let o = util::run(&["verify", "--predicted", &p, "--actual", &medium()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).contains("warning: the prediction is for concurrency 8"));
    assert!(!String::from_utf8_lossy(&o.stdout).contains("warning"));
}

#[test]
fn status_function_bands() {
    use slasim::calibrate::verify::status;
    for (e, s) in [
        (0.0, "excellent"),
        (4.999, "excellent"),
        (5.0, "good"),
        (9.999, "good"),
        (10.0, "acceptable"),
        (19.999, "acceptable"),
        (20.0, "poor"),
        (250.0, "poor"),
    ] {
        assert_eq!(status(e), s, "{e}");
    }
}

#[test]
fn verify_help_documents_the_flags() {
    let out = util::ok(&["verify", "--help"]);
    for f in [
        "--predicted",
        "--actual",
        "--gpus",
        "--json",
        "--md",
        "tokens/s/gpu",
        "excellent",
    ] {
        assert!(out.contains(f), "help lacks {f}:\n{out}");
    }
}

#[test]
fn bad_inputs_exit_2_with_one_line() {
    let d = tmp();
    let dir = d.path();
    let a = medium();
    let p = aic();
    let check = |args: &[&str], needles: &[&str]| {
        let mut v = vec!["verify"];
        v.extend_from_slice(args);
        let err = util::bad_input(&v);
        for n in needles {
            assert!(err.contains(n), "{args:?}: error lacks {n:?}: {err}");
        }
    };
    let missing = dir.join("nope.json").display().to_string();
    check(
        &["--predicted", &missing, "--actual", &a],
        &["nope.json", "cannot read"],
    );
    check(
        &["--predicted", &p, "--actual", &missing],
        &["nope.json", "cannot read"],
    );
    let not_json = write_text(dir, "bad.json", "{\"ttft_ms\": ");
    check(
        &["--predicted", &not_json, "--actual", &a],
        &["bad.json", "`(json)`", "not valid JSON"],
    );
    let unknown = write(dir, "unknown.json", &json!({"foo": 1, "bar": "x"}));
    check(
        &["--predicted", &unknown, "--actual", &a],
        &["unknown.json", "`(layout)`", "is not a prediction"],
    );
    let arr = write(dir, "arr.json", &json!([1, 2]));
    check(&["--predicted", &arr, "--actual", &a], &["arr.json", "`(layout)`"]);
    // The actual must be a run.
    check(
        &["--predicted", &p, "--actual", &p],
        &["`(layout)`", "is not a hardware run"],
    );
    // Bad values in a flat prediction name the key.
    for (name, v, key) in [
        ("zero.json", json!({"ttft_ms": 0}), "`ttft_ms`"),
        ("neg.json", json!({"tpot_ms": -3.0}), "`tpot_ms`"),
        ("str.json", json!({"tokens/s/gpu": "fast"}), "`tokens/s/gpu`"),
        ("null.json", json!({"ttft": null}), "`ttft`"),
        ("gpus.json", json!({"ttft": 100, "num_gpus": 1.5}), "`num_gpus`"),
        ("dup.json", json!({"ttft": 100, "ttft_ms": 120}), "again"),
    ] {
        let f = write(dir, name, &v);
        check(&["--predicted", &f, "--actual", &a], &[name, key]);
    }
    let nan = write_text(dir, "nan.json", "{\"ttft_ms\": NaN}");
    check(
        &["--predicted", &nan, "--actual", &a],
        &["nan.json", "`ttft_ms`", "finite"],
    );
    // A per-GPU prediction needs a GPU count.
    let per_gpu = write(dir, "per_gpu.json", &json!({"tokens/s/gpu": 60}));
    check(&["--predicted", &per_gpu, "--actual", &a], &["--gpus", "no GPU count"]);
    check(
        &["--predicted", &p, "--actual", &a, "--gpus", "0"],
        &["--gpus", "got 0"],
    );
    check(&["--predicted", &p, "--actual", &a, "--gpus=-2"], &["--gpus"]);
    // Nothing in common.
    let p90 = write(dir, "p90.json", &json!({"e2e_p90_s": 2.0}));
    check(
        &["--predicted", &p90, "--actual", &fixture("template_hw_llama8b.json")],
        &["p90.json", "no metric in common"],
    );
    // A broken actual run names its key.
    let mut run: Value = serde_json::from_str(&std::fs::read_to_string(&a).unwrap_or_default()).unwrap_or_default();
    run["input_config"]["loadgen"]["concurrency"] = json!(0);
    let bad_run = write(dir, "bad_run.json", &run);
    check(
        &["--predicted", &p, "--actual", &bad_run],
        &["bad_run.json", "`input_config.loadgen.concurrency`"],
    );
    // An unwritable report path.
    let blocker = write_text(dir, "file", "x");
    let md: PathBuf = Path::new(&blocker).join("report.md");
    check(
        &["--predicted", &p, "--actual", &a, "--md", &md.display().to_string()],
        &["report.md"],
    );
}
