//! `slasim calibrate` gates cannot be passed by what is missing: a gate whose metric some run
//! lacks is "not evaluated" (JSON `pass: false, evaluated: false` plus the missing metric and
//! runs) and the command exits 1; a file given both as `--hw-run` and `--holdout` (however the
//! path is spelled) is exit 2 with one line.

use crate::util;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const PROFILE: &str = "llama-3.1-8b-fp8/h200/vllm";

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn read(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A `simulate --json` summary of `PROFILE` (agg) at concurrency `c`: a run that the same
/// deployment reproduces exactly, so every evaluated gate passes.
fn synth_run(dir: &Path, c: u32) -> PathBuf {
    let out = dir.join(format!("c{c}.json"));
    let c = c.to_string();
    util::ok(&[
        "simulate",
        "--profile",
        PROFILE,
        "--mode",
        "agg",
        "--concurrency",
        &c,
        "--requests",
        "64",
        "--json",
        &s(&out),
    ]);
    out
}

/// A copy of `run` with `metrics.KEY` removed for each key.
fn without(run: &Path, keys: &[&str], name: &str) -> PathBuf {
    let mut v = read(run);
    let m = v["metrics"].as_object_mut().expect("metrics object");
    for k in keys {
        assert!(m.remove(*k).is_some(), "{} has no metrics.{k}", run.display());
    }
    let out = run.with_file_name(name);
    std::fs::write(&out, serde_json::to_vec_pretty(&v).expect("json")).expect("write run");
    out
}

/// Runs `calibrate --hw-run RUN… --json REPORT`, asserts the exit code, returns (stdout, report).
#[track_caller]
fn calibrate(runs: &[&Path], code: i32, dir: &Path) -> (String, Value) {
    let report = dir.join("report.json");
    let mut args = vec!["calibrate".to_string()];
    for r in runs {
        args.extend(["--hw-run".to_string(), s(r)]);
    }
    args.extend(["--json".to_string(), s(&report)]);
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = util::run(&a);
    let err = String::from_utf8_lossy(&o.stderr);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(o.status.code(), Some(code), "{a:?}\nstderr:\n{err}\nstdout:\n{out}");
    (out, read(&report))
}

#[test]
fn complete_runs_evaluate_both_gates() {
    let d = tempfile::tempdir().expect("tempdir");
    let run = synth_run(d.path(), 4);
    let (out, rep) = calibrate(&[&run], 0, d.path());
    for g in ["strict", "loose"] {
        assert_eq!(rep["gates"][g]["evaluated"], true, "{g}: {}", rep["gates"][g]);
        assert_eq!(rep["gates"][g]["pass"], true, "{g}");
        assert_eq!(rep["gates"][g]["missing"], json!([]), "{g}");
    }
    assert!(out.contains("— PASS") && !out.contains("not evaluated"), "{out}");
}

#[test]
fn strict_gate_is_not_evaluated_when_a_run_lacks_ttft() {
    let d = tempfile::tempdir().expect("tempdir");
    let full = synth_run(d.path(), 4);
    let no_ttft = without(&synth_run(d.path(), 8), &["ttft_ms"], "no-ttft.json");
    // TPOT alone is exact, so a gate over what is there would pass
    let (out, rep) = calibrate(&[&full, &no_ttft], 1, d.path());
    let strict = &rep["gates"]["strict"];
    assert_eq!(strict["evaluated"], false, "{strict}");
    assert_eq!(strict["pass"], false, "{strict}");
    assert_eq!(strict["mape_pct"], Value::Null, "{strict}");
    assert_eq!(
        strict["missing"],
        json!([{"metric": "ttft_p50", "runs": [s(&no_ttft)]}]),
        "{strict}"
    );
    assert_eq!(rep["gates"]["loose"]["evaluated"], true);
    assert_eq!(rep["gates"]["loose"]["pass"], true);
    assert!(out.contains("not evaluated"), "{out}");
    assert!(out.contains(&format!("ttft_p50 missing in {}", s(&no_ttft))), "{out}");

    // no run with TTFT at all: every run is named
    let other = without(&full, &["ttft_ms"], "no-ttft-2.json");
    let (_, rep) = calibrate(&[&no_ttft, &other], 1, d.path());
    assert_eq!(
        rep["gates"]["strict"]["missing"],
        json!([{"metric": "ttft_p50", "runs": [s(&no_ttft), s(&other)]}])
    );
}

#[test]
fn loose_gate_is_not_evaluated_without_e2e() {
    let d = tempfile::tempdir().expect("tempdir");
    let no_e2e = without(&synth_run(d.path(), 4), &["e2e_latency_s"], "no-e2e.json");
    let (out, rep) = calibrate(&[&no_e2e], 1, d.path());
    let loose = &rep["gates"]["loose"];
    assert_eq!(
        (loose["evaluated"].clone(), loose["pass"].clone()),
        (json!(false), json!(false))
    );
    assert_eq!(loose["missing"][0]["metric"], "e2e_p99");
    assert_eq!(rep["gates"]["strict"]["pass"], true);
    assert!(out.contains("e2e_p99 missing in"), "{out}");
}

#[test]
fn a_run_both_fitted_and_held_out_is_exit_2() {
    let d = tempfile::tempdir().expect("tempdir");
    let a = synth_run(d.path(), 4);
    let b = synth_run(d.path(), 8);
    let same = s(&a);
    let dotted = s(&d.path().join(".").join("c4.json"));
    let up = s(&d.path().join("sub").join("..").join("c4.json"));
    std::fs::create_dir(d.path().join("sub")).expect("mkdir");
    let link = d.path().join("link.json");
    std::os::unix::fs::symlink(&a, &link).expect("symlink");
    let link = s(&link);
    for h in [&same, &dotted, &up, &link] {
        let err = util::bad_input(&["calibrate", "--hw-run", &s(&b), "--hw-run", &same, "--holdout", h]);
        assert!(err.contains("--holdout") && err.contains(h.as_str()), "{err}");
        assert!(err.contains("also given as --hw-run"), "{err}");
    }
    // distinct files are fine
    let o = util::run(&["calibrate", "--hw-run", &same, "--holdout", &s(&b)]);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
