//! `slasim validate`: the accuracy suite over the shipped real data, gated in CI by
//! `calibration/validate_thresholds.toml` (accuracy may only go up).

use crate::util::{bad_input, ok, run};
use serde_json::Value;

fn summary(v: &Value, set: &str, condition: &str, split: &str, metric: &str) -> f64 {
    v["summary"]
        .as_array()
        .expect("summary")
        .iter()
        .find(|s| s["set"] == set && s["condition"] == condition && s["split"] == split && s["metric"] == metric)
        .and_then(|s| s["mape_pct"].as_f64())
        .unwrap_or_else(|| panic!("{set}/{condition}/{split}/{metric} missing in {}", v["summary"]))
}

fn report(args: &[&str]) -> Value {
    let mut a = vec!["validate", "--json"];
    a.extend_from_slice(args);
    serde_json::from_str(&ok(&a)).expect("validate --json prints JSON")
}

#[test]
fn validate_check_passes_the_shipped_thresholds() {
    let o = run(&["validate", "--check"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for set in ["qwen3-32b-h200-trtllm-disagg", "llama-3.1-8b-h200-sglang-tp1"] {
        assert!(out.contains(set), "{out}");
    }
    assert!(!out.contains("FAIL"), "{out}");
    assert!(out.contains("accuracy thresholds pass"), "{out}");
}

#[test]
fn a_threshold_below_the_current_error_fails_with_exit_1_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = dir.path().join("tight.toml");
    std::fs::write(
        &t,
        "[[threshold]]\nset = \"llama-3.1-8b-h200-sglang-tp1\"\ncondition = \"uncalibrated\"\nmetric = \"e2e_mean\"\n\
         max_mape_pct = 0.01\n\n[[threshold]]\nset = \"qwen3-32b-h200-trtllm-disagg\"\ncondition = \"calibrated\"\n\
         split = \"held-out\"\nmetric = \"e2e_p90\"\nmax_mape_pct = 50\n",
    )
    .expect("write");
    let o = run(&["validate", "--check", "--thresholds", t.to_str().expect("utf-8")]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("FAIL llama-3.1-8b-h200-sglang-tp1/uncalibrated/all/e2e_mean"),
        "{out}"
    );
    assert!(out.contains("1 of 2 accuracy thresholds pass"), "{out}");
}

/// Issue 13's acceptance bar on the 16 TP1 SGLang rows (uncalibrated, steady state,
/// prefill-first), and the earlier step model for comparison: the composed model must stay
/// better than the sum rule it replaced.
#[test]
fn llama_8b_sglang_e2e_mean_is_within_5_percent_and_beats_the_sum_rule() {
    let set = "llama-3.1-8b-h200-sglang-tp1";
    let composed = report(&["--set", set]);
    let rows = composed["sets"][0]["conditions"][0]["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 16, "the 16 TP1 rows");
    let e2e = summary(&composed, set, "uncalibrated", "all", "e2e_mean");
    assert!(e2e <= 5.0, "E2E mean MAPE {e2e:.1} %");
    let sum = report(&["--set", set, "--step-model", "sum"]);
    let e2e_sum = summary(&sum, set, "uncalibrated", "all", "e2e_mean");
    assert!(e2e + 5.0 < e2e_sum, "composed {e2e:.1} % vs sum {e2e_sum:.1} %");
}

/// The shipped calibration was fitted on idle + saturation; the held-out medium and overload
/// runs are summarised apart, and their TTFT p50 is within 10 %.
#[test]
fn calibrated_qwen_runs_are_split_by_what_the_fit_saw() {
    let set = "qwen3-32b-h200-trtllm-disagg";
    let v = report(&["--set", set]);
    let held = v["summary"]
        .as_array()
        .expect("summary")
        .iter()
        .find(|s| s["condition"] == "calibrated" && s["split"] == "held-out")
        .expect("held-out split")
        .clone();
    assert_eq!(held["rows"], 2, "{held}");
    let ttft = summary(&v, set, "calibrated", "held-out", "ttft_p50");
    assert!(ttft <= 10.0, "held-out TTFT p50 MAPE {ttft:.1} %");
    let uncal = summary(&v, set, "uncalibrated", "all", "ttft_p50");
    assert!(
        uncal > 5.0 * ttft,
        "the calibration matters: {uncal:.1} % vs {ttft:.1} %"
    );
}

#[test]
fn validate_bad_input_is_one_line() {
    let e = bad_input(&["validate", "--set", "no-such-set"]);
    assert!(e.contains("no-such-set"), "{e}");
    let e = bad_input(&["validate", "--step-model", "linear"]);
    assert!(e.contains("--step-model"), "{e}");
    let e = bad_input(&["validate", "--variability", "0.1"]);
    assert!(e.contains("--variability"), "{e}");
    let dir = tempfile::tempdir().expect("tempdir");
    let t = dir.path().join("t.toml");
    std::fs::write(
        &t,
        "[[threshold]]\nset = \"x\"\ncondition = \"uncalibrated\"\nmetric = \"ttft_p51\"\nmax_mape_pct = 1\n",
    )
    .expect("write");
    let e = bad_input(&["validate", "--check", "--thresholds", t.to_str().expect("utf-8")]);
    assert!(e.contains("metric") && e.contains("ttft_p51"), "{e}");
}
