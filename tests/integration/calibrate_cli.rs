//! `slasim calibrate` end to end: the SPEC §7 `--json` shape, the honest errors of the raw
//! profile on the four shipped real runs, the synthetic round trip (simulate with known
//! parameters → fit from neutral → recover them; the `--out` file reproduces the fit in
//! `simulate --calibration`), exit codes, the deployment flags and `--calibration` starting
//! point, `--plot`, and every bad-input case (exit 2, one line).
//!
//! Fits are kept small (few parameters, `--starts 2 --max-iters 120`); the full default fit of
//! the real runs (~40–60 s) is `#[ignore]`d: `cargo test --release --test integration
//! calibrate_cli -- --ignored --nocapture`.

use crate::util;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

const PROFILE: &str = "llama-3.1-8b-fp8/h200/vllm";
const CONCURRENCIES: [u32; 4] = [1, 8, 32, 64];
const METRICS: [&str; 13] = [
    "ttft_p50",
    "ttft_p90",
    "ttft_p99",
    "ttft_mean",
    "tpot_p50",
    "tpot_p90",
    "tpot_p99",
    "tpot_mean",
    "e2e_p50",
    "e2e_p90",
    "e2e_p99",
    "e2e_mean",
    "throughput_token_s",
];
/// The parameters the synthetic runs are simulated with.
const TRUTH: [(&str, f64); 3] = [
    ("prefill_time_scale", 1.4),
    ("decode_time_scale", 0.8),
    ("frontend_latency_ms", 40.0),
];

fn real_runs() -> Vec<String> {
    ["idle", "medium", "saturation", "overload"]
        .iter()
        .map(|l| {
            util::repo()
                .join("calibration/runs/qwen3-32b-h200-trtllm-aic")
                .join(format!("{l}.json"))
                .display()
                .to_string()
        })
        .collect()
}

/// Whether this build draws plots (the default `plot` feature).
const PLOT: bool = cfg!(feature = "plot");

/// `--plot FILE` when this build draws plots, else nothing.
fn plot_args(p: &Path) -> Vec<String> {
    if PLOT {
        vec!["--plot".into(), s(p)]
    } else {
        vec![]
    }
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn read(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn write(p: &Path, v: &Value) {
    std::fs::write(p, serde_json::to_vec_pretty(v).expect("json")).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// Runs `slasim ARGS` (owned strings) and returns the output.
fn run(args: &[String]) -> Output {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    util::run(&a)
}

/// Runs `calibrate ARGS`, asserts exit code `code`, returns stdout.
#[track_caller]
fn calibrate(args: &[String], code: i32) -> String {
    let mut all = vec!["calibrate".to_string()];
    all.extend(args.iter().cloned());
    let o = run(&all);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(code),
        "slasim {all:?}: stderr:\n{err}\nstdout:\n{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(!err.contains("panicked"), "{err}");
    String::from_utf8(o.stdout).expect("utf-8 stdout")
}

fn hw_args(flag: &str, files: &[PathBuf]) -> Vec<String> {
    files.iter().flat_map(|f| [flag.to_string(), s(f)]).collect()
}

/// Simulates `PROFILE` (agg) at each concurrency, with calibration `cal` (neutral if `None`),
/// one `simulate --json` summary per file: the synthetic hardware runs.
fn synth_runs(dir: &Path, tag: &str, cal: Option<&Path>, conc: &[u32]) -> Vec<PathBuf> {
    conc.iter()
        .map(|c| {
            let out = dir.join(format!("{tag}-c{c}.json"));
            let mut args = vec!["simulate", "--profile", PROFILE, "--mode", "agg"];
            let c = c.to_string();
            args.extend(["--concurrency", &c]);
            let (o, cp) = (s(&out), cal.map(s));
            if let Some(cp) = &cp {
                args.extend(["--calibration", cp]);
            }
            args.extend(["--json", &o]);
            util::ok(&args);
            out
        })
        .collect()
}

/// Writes the true calibration of the synthetic runs.
fn truth_file(dir: &Path) -> PathBuf {
    let p = dir.join("truth.json");
    let v: serde_json::Map<String, Value> = TRUTH.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    write(&p, &Value::Object(v));
    p
}

fn num(v: &Value, ptr: &str) -> f64 {
    v.pointer(ptr)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("no number at {ptr} in {v}"))
}

fn status_of(e: f64) -> &'static str {
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

/// Checks the SPEC §7 shape of one evaluation object (the report itself, or its `before`):
/// runs with exactly {hw, sim, error_pct, status} per reported metric, MAPEs over fitted and
/// held-out runs apart, gates over all runs. Returns the runs by name.
#[track_caller]
fn check_evaluation(rep: &Value, strict: f64, loose: f64) -> Vec<(String, bool, serde_json::Map<String, Value>)> {
    let runs = rep["runs"].as_array().expect("runs array");
    assert!(!runs.is_empty());
    let mut out = Vec::new();
    for r in runs {
        let name = r["name"].as_str().expect("run name").to_string();
        let holdout = r["holdout"].as_bool().expect("holdout bool");
        let metrics = r["metrics"].as_object().expect("metrics object").clone();
        for (k, m) in &metrics {
            assert!(METRICS.contains(&k.as_str()), "unknown metric key {k}");
            let keys: BTreeSet<&str> = m
                .as_object()
                .expect("metric object")
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(keys, BTreeSet::from(["hw", "sim", "error_pct", "status"]), "{name}.{k}");
            let (hw, sim, e) = (num(m, "/hw"), num(m, "/sim"), num(m, "/error_pct"));
            assert!(hw > 0.0);
            assert!(
                (e - (sim - hw).abs() / hw * 100.0).abs() < 1e-9 * e.max(1.0),
                "{name}.{k}: {m}"
            );
            assert_eq!(m["status"], status_of(e), "{name}.{k}: {m}");
        }
        out.push((name, holdout, metrics));
    }
    let mean = |holdout: bool, k: &str| -> Option<f64> {
        let v: Vec<f64> = out
            .iter()
            .filter(|r| r.1 == holdout)
            .filter_map(|r| r.2.get(k))
            .map(|m| num(m, "/error_pct"))
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    for (field, holdout) in [("mape_pct", false), ("holdout_mape_pct", true)] {
        let m = rep[field].as_object().unwrap_or_else(|| panic!("{field} object"));
        for k in METRICS {
            match (m.get(k), mean(holdout, k)) {
                (None, None) => {}
                (Some(v), Some(e)) => assert!(
                    (v.as_f64().expect("number") - e).abs() < 1e-9 * e.max(1.0),
                    "{field}.{k}"
                ),
                (a, b) => panic!("{field}.{k}: reported {a:?}, expected {b:?}"),
            }
        }
        assert!(m.keys().all(|k| METRICS.contains(&k.as_str())), "{field}: {m:?}");
    }
    // gates: the worst of their metrics' MAPE over every run, fitted and held out
    let all = |k: &str| -> Option<f64> {
        let v: Vec<f64> = out
            .iter()
            .filter_map(|r| r.2.get(k))
            .map(|m| num(m, "/error_pct"))
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    for (g, keys, thr) in [
        ("strict", vec!["ttft_p50", "tpot_p50"], strict),
        ("loose", vec!["e2e_p99"], loose),
    ] {
        let gate = &rep["gates"][g];
        for k in ["threshold_pct", "mape_pct", "pass"] {
            assert!(gate.get(k).is_some(), "gates.{g}.{k} missing: {gate}");
        }
        assert_eq!(num(gate, "/threshold_pct"), thr, "gates.{g}");
        let worst = keys.iter().filter_map(|k| all(k)).fold(f64::NEG_INFINITY, f64::max);
        let mape = num(gate, "/mape_pct");
        assert!(
            (mape - worst).abs() < 1e-9 * worst.max(1.0),
            "gates.{g}: {mape} vs {worst}"
        );
        assert_eq!(gate["pass"].as_bool(), Some(mape < thr), "gates.{g}");
    }
    let params = rep["parameters"].as_object().expect("parameters object");
    for (k, _) in TRUTH {
        assert!(params.get(k).is_some_and(Value::is_number), "parameters.{k}");
    }
    out
}

// ------------------------------------------------------------------------------------- shape

#[test]
fn json_report_has_the_spec_shape_with_repeated_runs_and_holdouts() {
    let dir = tempdir();
    let truth = truth_file(dir.path());
    let runs = synth_runs(dir.path(), "t", Some(&truth), &CONCURRENCIES);
    // the second run does not report TTFT P99 nor throughput: those keys must be absent
    let mut partial = read(&runs[1]);
    partial["experiment_id"] = json!("partial-c8");
    partial["metrics"]["ttft_ms"]
        .as_object_mut()
        .expect("ttft")
        .remove("p99");
    partial["metrics"]
        .as_object_mut()
        .expect("metrics")
        .remove("throughput_token_s");
    let partial_path = dir.path().join("partial.json");
    write(&partial_path, &partial);
    let report = dir.path().join("r.json");
    let mut args = hw_args("--hw-run", &[runs[0].clone(), partial_path]);
    args.extend(hw_args("--holdout", &runs[2..]));
    args.extend(["--json".into(), s(&report)]);
    // neutral parameters against runs simulated with TRUTH: the strict gate fails
    let stdout = calibrate(&args, 1);
    assert!(stdout.contains("(holdout)"), "{stdout}");
    let rep = read(&report);
    let keys: BTreeSet<&str> = rep.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "runs",
            "mape_pct",
            "holdout_mape_pct",
            "gates",
            "parameters",
            "identifiability"
        ])
    );
    // every default fit parameter is assessed, naming the fitted runs that constrain it
    let held: Vec<&str> = rep["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .filter(|r| r["holdout"] == true)
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert!(!held.is_empty());
    let ids = rep["identifiability"]["params"].as_array().expect("params");
    assert_eq!(ids.len(), 3, "agg default fit: two scales and the frontend latency");
    for p in ids {
        for (run, _) in p["constrained_by"]
            .as_array()
            .expect("constrained_by")
            .iter()
            .map(|x| (x[0].as_str().unwrap_or(""), x[1].as_f64().unwrap_or(0.0)))
        {
            assert!(!held.contains(&run), "{run}: only fitted runs are assessed");
        }
    }
    let runs_out = check_evaluation(&rep, 5.0, 15.0);
    let names: Vec<(&str, bool)> = runs_out.iter().map(|r| (r.0.as_str(), r.1)).collect();
    assert_eq!(
        names,
        [
            ("llama-3.1-8b-fp8-h200-vllm-agg-c1", false),
            ("partial-c8", false),
            ("llama-3.1-8b-fp8-h200-vllm-agg-c32", true),
            ("llama-3.1-8b-fp8-h200-vllm-agg-c64", true)
        ]
    );
    let full: BTreeSet<&str> = METRICS.into_iter().collect();
    for (name, _, m) in &runs_out {
        let got: BTreeSet<&str> = m.keys().map(String::as_str).collect();
        if name == "partial-c8" {
            assert_eq!(
                got,
                full.iter()
                    .copied()
                    .filter(|k| *k != "ttft_p99" && *k != "throughput_token_s")
                    .collect()
            );
        } else {
            assert_eq!(got, full, "{name}");
        }
    }
    // fitted MAPE of a metric one fitted run lacks is that of the other run alone
    let c1_thr = num(&runs_out[0].2["throughput_token_s"], "/error_pct");
    assert!((num(&rep, "/mape_pct/throughput_token_s") - c1_thr).abs() < 1e-9);
    assert!(!rep["gates"]["strict"]["pass"].as_bool().expect("bool"));
    // neutral starting point reported as such
    assert_eq!(num(&rep, "/parameters/prefill_time_scale"), 1.0);
    assert_eq!(num(&rep, "/parameters/frontend_latency_ms"), 0.0);

    // gate thresholds follow --tight / --loose-pct / --strict-pct
    let report2 = dir.path().join("r2.json");
    let base = [hw_args("--hw-run", &runs[..1]), vec!["--json".into(), s(&report2)]].concat();
    calibrate(&[base.clone(), vec!["--tight".into()]].concat(), 1);
    check_evaluation(&read(&report2), 5.0, 10.0);
    calibrate(
        &[
            base.clone(),
            vec![
                "--tight".into(),
                "--loose-pct".into(),
                "40".into(),
                "--strict-pct".into(),
                "80".into(),
            ],
        ]
        .concat(),
        0,
    );
    check_evaluation(&read(&report2), 80.0, 40.0);
}

// ------------------------------------------------------------------------------- real runs

#[test]
fn real_runs_without_fit_report_the_large_raw_profile_errors_and_fail_the_gates() {
    let dir = tempdir();
    let report = dir.path().join("r.json");
    let plot = dir.path().join("cal.svg");
    let mut args = hw_args("--hw-run", &real_runs().iter().map(PathBuf::from).collect::<Vec<_>>());
    args.extend(["--json".into(), s(&report)]);
    args.extend(plot_args(&plot));
    let stdout = calibrate(&args, 1);
    assert!(stdout.contains("qwen3-32b/h200/trtllm-aic"), "{stdout}");
    assert!(stdout.contains("FAIL") && stdout.contains("re-profile"), "{stdout}");
    let rep = read(&report);
    let runs = check_evaluation(&rep, 5.0, 15.0);
    let names: Vec<&str> = runs.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(names, ["idle", "medium", "saturation", "overload"]);
    for (name, holdout, m) in &runs {
        assert!(!holdout);
        assert_eq!(m.len(), 13, "{name}: every metric is reported by AIPerf");
        // the raw profile predicts ~0.2 s TTFT where the hardware takes 1.1–7.4 s
        let ttft = num(&m["ttft_p50"], "/error_pct");
        assert!(ttft > 50.0, "{name}: TTFT p50 error {ttft}");
        assert!(num(&m["ttft_p50"], "/sim") < num(&m["ttft_p50"], "/hw"));
        assert_eq!(m["ttft_p50"]["status"], "poor");
        assert!(num(&m["throughput_token_s"], "/error_pct") > 50.0, "{name}");
    }
    assert!(num(&rep, "/gates/strict/mape_pct") > 50.0);
    assert_eq!(rep["gates"]["strict"]["pass"], false);
    assert_eq!(rep["gates"]["loose"]["pass"], false);
    assert!(rep["parameters"]["prefill_time_scale"] == 1.0);
    // the picture without a fit: the current parameters, labelled by run and load
    if !PLOT {
        return;
    }
    let svg = std::fs::read_to_string(&plot).expect("svg written");
    for needle in [
        "Qwen/Qwen3-32B",
        "current parameters",
        "TTFT P50 vs load",
        "ITL (TPOT) P50 vs load",
        "idle (c1)",
        "overload (c8)",
        "ttft_p50",
    ] {
        assert!(svg.contains(needle), "plot lacks `{needle}`");
    }
    assert!(!svg.contains("after fit"));
}

#[test]
fn shipped_calibration_meets_the_issue_bars_on_the_real_runs() {
    // `--calibration` as the starting point, no fit: the shipped fit (of the idle and saturation
    // runs; medium and overload were held out of it)
    let dir = tempdir();
    let report = dir.path().join("r.json");
    let cal = util::repo().join("calibration/qwen3-32b-h200-trtllm-aic.json");
    let mut args = hw_args("--hw-run", &real_runs().iter().map(PathBuf::from).collect::<Vec<_>>());
    args.extend(["--calibration".into(), s(&cal), "--json".into(), s(&report)]);
    let o = run(&[vec!["calibrate".to_string()], args].concat());
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rep = read(&report);
    let runs = check_evaluation(&rep, 5.0, 15.0);
    for (name, _, m) in &runs {
        for k in ["ttft_p50", "throughput_token_s"] {
            let e = num(&m[k], "/error_pct");
            assert!(e <= 10.0, "{name}.{k}: {e} % with the shipped calibration");
        }
        // the measured ITL falls from 14.3 ms at concurrency 1 to 12.7-12.8 ms under load, which
        // no step model whose ITL grows with the batch reproduces: one decode scale splits the
        // difference (held-out medium/overload: +10.5/+11.1 %)
        let e = num(&m["tpot_p50"], "/error_pct");
        assert!(e <= 12.5, "{name}.tpot_p50: {e} % with the shipped calibration");
    }
    let shipped = read(&cal);
    let fitted: Vec<String> = shipped["provenance"]["runs"]
        .as_array()
        .expect("provenance.runs")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    assert!(
        fitted
            .iter()
            .all(|r| r.ends_with("idle.json") || r.ends_with("saturation.json")),
        "{fitted:?}"
    );
    for k in [
        "prefill_time_scale",
        "decode_time_scale",
        "frontend_latency_ms",
        "prefill_handoff_ms",
    ] {
        assert_eq!(
            rep["parameters"][k], shipped[k],
            "parameters.{k} start from --calibration"
        );
    }
}

/// The full default fit of the four real runs (~40–60 s): the issue's acceptance bars.
#[test]
#[ignore = "slow (~40-60 s): the full default fit of the four real runs"]
fn real_runs_full_fit_meets_the_issue_bars() {
    let dir = tempdir();
    let report = dir.path().join("r.json");
    let mut args = hw_args("--hw-run", &real_runs().iter().map(PathBuf::from).collect::<Vec<_>>());
    args.extend(["--fit".into(), "--json".into(), s(&report)]);
    let t = std::time::Instant::now();
    let o = run(&[vec!["calibrate".to_string()], args].concat());
    println!("{}", String::from_utf8_lossy(&o.stdout));
    println!("fit took {:.1} s", t.elapsed().as_secs_f64());
    let rep = read(&report);
    check_evaluation(&rep, 5.0, 15.0);
    check_evaluation(&rep["before"], 5.0, 15.0);
    for r in rep["runs"].as_array().expect("runs") {
        for k in ["ttft_p50", "tpot_p50", "throughput_token_s"] {
            let e = num(&r["metrics"][k], "/error_pct");
            assert!(e <= 10.0, "{}.{k}: {e} % after the fit", r["name"]);
        }
    }
}

// ------------------------------------------------------------------------------ round trip

/// Runs of the embedded default (Qwen3-32B disagg, Dynamo's path) simulated with known physical
/// parameters (seed 7, so not the fit's own random draws) at concurrency `conc` and ISL `isl`.
fn disagg_truth_runs(dir: &Path, truth: &Path, isl: u32, conc: &[u32]) -> Vec<PathBuf> {
    conc.iter()
        .map(|c| {
            let out = dir.join(format!("isl{isl}-c{c}.json"));
            let (c, isl) = (c.to_string(), isl.to_string());
            util::ok(&[
                "simulate",
                "--concurrency",
                &c,
                "--isl",
                &isl,
                "--seed",
                "7",
                "--calibration",
                &s(truth),
                "--json",
                &s(&out),
            ]);
            out
        })
        .collect()
}

/// The issue's round trip: hardware runs at 4 loads simulated with known physical parameters
/// are fitted back from idle + saturation. With every run at one prompt length the prefill
/// engine time and the frontend latency are one quantity on the TTFT path (both add to it
/// alike): the fit recovers what is identified (held-out TTFT), and the identifiability report
/// says the split is not pinned and which run would pin it. One idle run at a second ISL then
/// pins every parameter within 5 %.
#[test]
fn physical_parameters_are_fitted_back_from_idle_and_saturation() {
    let dir = tempdir();
    let truth = dir.path().join("truth.json");
    let want = [
        ("prefill_time_scale", 1.6),
        ("decode_time_scale", 1.25),
        ("frontend_latency_ms", 600.0),
        ("prefill_handoff_ms", 900.0),
    ];
    let v: serde_json::Map<String, Value> = want.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    write(&truth, &Value::Object(v));
    let runs = disagg_truth_runs(dir.path(), &truth, 2048, &[1, 4, 7, 8]);
    let second_isl = disagg_truth_runs(dir.path(), &truth, 6000, &[1]);
    let fit = |fitted: Vec<PathBuf>, report: &Path| {
        let mut args = hw_args("--hw-run", &fitted);
        let held: Vec<PathBuf> = [&runs[1], &runs[3]]
            .into_iter()
            .filter(|r| !fitted.contains(r))
            .cloned()
            .collect();
        args.extend(hw_args("--holdout", &held));
        args.extend(
            [
                "--fit",
                "--no-fit-prefill-batch",
                "--starts",
                "2",
                "--max-iters",
                "150",
                "--json",
                &s(report),
            ]
            .map(String::from),
        );
        let o = run(&[vec!["calibrate".to_string()], args].concat());
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        (read(report), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    // one prompt length: idle + saturation
    let (rep, stderr) = fit(vec![runs[0].clone(), runs[2].clone()], &dir.path().join("one.json"));
    for r in rep["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .filter(|r| r["holdout"] == true)
    {
        let e = num(&r["metrics"]["ttft_p50"], "/error_pct");
        assert!(e < 5.0, "{}: held-out TTFT p50 {e} %", r["name"]);
    }
    let ps = rep["identifiability"]["params"]
        .as_array()
        .expect("params")
        .iter()
        .find(|p| p["param"] == "prefill_time_scale")
        .expect("prefill_time_scale assessed")
        .clone();
    assert_eq!(ps["pinned"], false, "{ps}");
    assert!(stderr.contains("add an idle run at another ISL"), "{stderr}");
    // idle + medium (c2 keeps the prefill worker about half busy; c4 already saturates it, as
    // the real medium run does): the capacity is named as unpinned
    let medium = disagg_truth_runs(dir.path(), &truth, 2048, &[2]);
    let (_, stderr) = fit(
        vec![runs[0].clone(), medium[0].clone()],
        &dir.path().join("medium.json"),
    );
    assert!(
        stderr.contains("prefill_time_scale")
            && stderr.contains("capacity is not pinned")
            && stderr.contains("saturated run"),
        "{stderr}"
    );
    // and an idle run at a second prompt length pins every parameter
    let mut fitted = vec![runs[0].clone(), runs[2].clone()];
    fitted.extend(second_isl);
    let (rep, _) = fit(fitted, &dir.path().join("two.json"));
    for (k, v) in want {
        let got = num(&rep["parameters"], &format!("/{k}"));
        assert!((got - v).abs() / v < 0.05, "{k}: fitted {got}, true {v}");
    }
    for p in rep["identifiability"]["params"].as_array().expect("params") {
        assert_eq!(p["pinned"], true, "{p}");
    }
}

#[test]
fn synthetic_round_trip_recovers_the_parameters_and_the_out_file_reproduces_the_fit() {
    let dir = tempdir();
    let truth = truth_file(dir.path());
    let runs = synth_runs(dir.path(), "t", Some(&truth), &CONCURRENCIES);
    let fit = dir.path().join("fit.json");
    let report = dir.path().join("r.json");
    let plot = dir.path().join("cal.png");
    let mut args = hw_args("--hw-run", &runs);
    args.extend(
        [
            "--fit",
            "--fit-params",
            "prefill_time_scale,decode_time_scale,frontend_latency_ms",
            "--starts",
            "2",
            "--max-iters",
            "120",
            "--calibration-out",
            &s(&fit),
            "--json",
            &s(&report),
        ]
        .map(String::from),
    );
    args.extend(plot_args(&plot));
    // from neutral parameters; both gates pass after the fit ⇒ exit 0
    let stdout = calibrate(&args, 0);
    assert!(stdout.contains("after fit") && stdout.contains("PASS"), "{stdout}");
    let rep = read(&report);
    check_evaluation(&rep, 5.0, 15.0);
    let before = &rep["before"];
    check_evaluation(before, 5.0, 15.0);
    assert_eq!(
        before["parameters"]["prefill_time_scale"], 1.0,
        "the fit starts from neutral"
    );
    assert_eq!(before["gates"]["strict"]["pass"], false, "the neutral profile is off");
    assert_eq!(rep["gates"]["strict"]["pass"], true);
    assert_eq!(rep["gates"]["loose"]["pass"], true);

    let fitted = read(&fit);
    let mut recovered = Vec::new();
    for (k, want) in TRUTH {
        let got = num(&fitted, &format!("/{k}"));
        recovered.push(format!("{k} {got:.4} (truth {want})"));
        assert!((got - want).abs() <= 0.05 * want, "{k}: fitted {got}, truth {want}");
        assert_eq!(rep["parameters"][k], fitted[k]);
    }
    println!("round trip recovered: {}", recovered.join(", "));
    // parameters not fitted keep their (neutral) starting values
    assert_eq!(num(&fitted, "/iteration_overhead_ms"), 0.0);
    let prov = &fitted["provenance"];
    assert_eq!(prov["runs"].as_array().map(Vec::len), Some(4), "{prov}");
    assert!(
        prov["fit"]["objective_after"].as_f64().expect("objective")
            < prov["fit"]["objective_before"].as_f64().expect("objective")
    );

    // the written file is accepted by `simulate --calibration` and reproduces the "after" numbers
    for (i, c) in CONCURRENCIES.iter().enumerate() {
        let out = dir.path().join(format!("check-c{c}.json"));
        util::ok(&[
            "simulate",
            "--profile",
            PROFILE,
            "--mode",
            "agg",
            "--concurrency",
            &c.to_string(),
            "--calibration",
            &s(&fit),
            "--json",
            &s(&out),
        ]);
        let sim = read(&out);
        assert_eq!(sim["calibration"]["prefill_time_scale"], fitted["prefill_time_scale"]);
        let after = &rep["runs"][i]["metrics"];
        let pairs = [
            ("ttft_p50", num(&sim, "/metrics/ttft_ms/p50")),
            ("ttft_p99", num(&sim, "/metrics/ttft_ms/p99")),
            ("tpot_p50", num(&sim, "/metrics/tpot_ms/p50")),
            ("tpot_p99", num(&sim, "/metrics/tpot_ms/p99")),
            ("e2e_p50", num(&sim, "/metrics/e2e_latency_s/p50") * 1000.0),
            ("e2e_p99", num(&sim, "/metrics/e2e_latency_s/p99") * 1000.0),
            ("throughput_token_s", num(&sim, "/metrics/throughput_token_s")),
        ];
        for (k, v) in pairs {
            let want = num(&after[k], "/sim");
            assert!(
                (v - want).abs() <= 1e-9 * want.abs().max(1.0),
                "c{c} {k}: simulate {v} vs fit {want}"
            );
        }
    }

    if !PLOT {
        return;
    }
    let png = std::fs::read(&plot).expect("png written");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
}

#[test]
fn holdout_runs_are_never_seen_by_the_fit() {
    // fit on runs simulated with TRUTH, hold out runs simulated with very different parameters:
    // the fit must still recover TRUTH, and the held-out runs only show in holdout_mape_pct
    let dir = tempdir();
    let truth = truth_file(dir.path());
    let fitted_runs = synth_runs(dir.path(), "t", Some(&truth), &[1, 8, 64]);
    let other = dir.path().join("other.json");
    write(
        &other,
        &json!({"prefill_time_scale": 4.0, "decode_time_scale": 2.5, "ttft_overhead_ms": 900.0}),
    );
    let held = synth_runs(dir.path(), "o", Some(&other), &[4, 32]);
    // a non-neutral starting point (--calibration) is where the fit starts from
    let start = dir.path().join("start.json");
    write(&start, &json!({"prefill_time_scale": 1.2, "decode_time_scale": 1.1}));
    let report = dir.path().join("r.json");
    let plot = dir.path().join("cal.svg");
    let mut args = hw_args("--hw-run", &fitted_runs);
    args.extend(hw_args("--holdout", &held));
    args.extend(
        [
            "--calibration",
            &s(&start),
            "--fit",
            "--fit-params",
            "prefill_time_scale,decode_time_scale,ttft_overhead_ms",
            "--starts",
            "2",
            "--max-iters",
            "120",
            "--json",
            &s(&report),
        ]
        .map(String::from),
    );
    args.extend(plot_args(&plot));
    // gates cover every run: the held-out ones fail them ⇒ exit 1
    calibrate(&args, 1);
    let rep = read(&report);
    let runs = check_evaluation(&rep, 5.0, 15.0);
    check_evaluation(&rep["before"], 5.0, 15.0);
    assert_eq!(runs.iter().filter(|r| r.1).count(), 2);
    assert_eq!(num(&rep, "/before/parameters/prefill_time_scale"), 1.2);
    assert_eq!(num(&rep, "/before/parameters/decode_time_scale"), 1.1);
    for (k, want) in TRUTH {
        let got = num(&rep, &format!("/parameters/{k}"));
        assert!(
            (got - want).abs() <= 0.05 * want,
            "{k}: fitted {got}, truth {want} (did the fit see the holdout?)"
        );
    }
    for k in METRICS {
        assert!(num(&rep, &format!("/mape_pct/{k}")) < 1.0, "mape_pct.{k}");
    }
    assert!(num(&rep, "/holdout_mape_pct/ttft_p50") > 50.0);
    assert_eq!(rep["gates"]["strict"]["pass"], false);
    if !PLOT {
        return;
    }
    let svg = std::fs::read_to_string(&plot).expect("svg written");
    for needle in ["before fit", "after fit", "held out", "c4*"] {
        assert!(svg.contains(needle), "plot lacks `{needle}`");
    }
}

// ----------------------------------------------------------- exit codes, flags, starting point

#[test]
fn self_comparison_passes_and_flags_select_the_deployment_like_simulate() {
    let dir = tempdir();
    // a simulated run compared with itself under neutral parameters: both gates pass ⇒ exit 0
    let runs = synth_runs(dir.path(), "n", None, &[8]);
    let report = dir.path().join("r.json");
    calibrate(
        &[hw_args("--hw-run", &runs), vec!["--json".into(), s(&report)]].concat(),
        0,
    );
    let rep = read(&report);
    for k in METRICS {
        assert!(num(&rep, &format!("/mape_pct/{k}")) < 1e-9, "{k}");
    }
    assert_eq!(rep["gates"]["strict"]["pass"], true);
    assert_eq!(rep["gates"]["loose"]["pass"], true);

    // an AIPerf export states no deployment: --profile / --mode / --max-num-seqs give it, as in
    // simulate; the same flags reproduce it exactly, other flags do not
    let aiperf = dir.path().join("profile_export_aiperf.json");
    util::ok(&[
        "simulate",
        "--profile",
        PROFILE,
        "--mode",
        "agg",
        "--max-num-seqs",
        "4",
        "--concurrency",
        "8",
        "--aiperf-json",
        &s(&aiperf),
    ]);
    let dep = ["--profile", PROFILE, "--mode", "agg"].map(String::from).to_vec();
    let same = [
        hw_args("--hw-run", std::slice::from_ref(&aiperf)),
        dep.clone(),
        vec!["--max-num-seqs".into(), "4".into(), "--json".into(), s(&report)],
    ]
    .concat();
    calibrate(&same, 0);
    let rep = read(&report);
    for k in METRICS {
        assert!(num(&rep, &format!("/mape_pct/{k}")) < 1e-6, "{k}: {}", rep["mape_pct"]);
    }
    // without the batch cap (default 256) the 8 requests run together: a different result
    calibrate(
        &[
            hw_args("--hw-run", std::slice::from_ref(&aiperf)),
            dep.clone(),
            vec!["--json".into(), s(&report)],
        ]
        .concat(),
        1,
    );
    assert!(num(&read(&report), "/mape_pct/ttft_p50") > 20.0);
    // and with no deployment flags at all it is simulated on the embedded default deployment
    let out = calibrate(
        &[
            hw_args("--hw-run", std::slice::from_ref(&aiperf)),
            vec!["--json".into(), s(&report)],
        ]
        .concat(),
        1,
    );
    assert!(out.contains("qwen3-32b/h200/trtllm-aic"), "{out}");

    // --calibration FILE is the starting point: without --fit the report's parameters are it,
    // and runs simulated with it compare exactly
    let truth = truth_file(dir.path());
    let truth_runs = synth_runs(dir.path(), "t", Some(&truth), &[1, 32]);
    calibrate(
        &[
            hw_args("--hw-run", &truth_runs),
            vec!["--calibration".into(), s(&truth), "--json".into(), s(&report)],
        ]
        .concat(),
        0,
    );
    let rep = read(&report);
    for (k, want) in TRUTH {
        assert_eq!(num(&rep, &format!("/parameters/{k}")), want, "parameters.{k}");
    }
    for k in METRICS {
        assert!(num(&rep, &format!("/mape_pct/{k}")) < 1e-9, "{k}");
    }
    // the same runs from neutral parameters fail the strict gate ⇒ exit 1
    calibrate(
        &[hw_args("--hw-run", &truth_runs), vec!["--json".into(), s(&report)]].concat(),
        1,
    );
    assert_eq!(read(&report)["gates"]["strict"]["pass"], false);
}

// ------------------------------------------------------------------------------- bad input

#[test]
fn bad_input_exits_2_with_one_line() {
    let dir = tempdir();
    let d = dir.path();
    let runs = synth_runs(d, "n", None, &[8]);
    let good = s(&runs[0]);
    let base = read(&runs[0]);
    let variant = |name: &str, f: &dyn Fn(&mut Value)| -> String {
        let mut v = base.clone();
        f(&mut v);
        let p = d.join(name);
        write(&p, &v);
        s(&p)
    };
    let check = |args: &[&str], needles: &[&str]| {
        let mut all = vec!["calibrate"];
        all.extend_from_slice(args);
        let err = util::bad_input(&all);
        for n in needles {
            assert!(err.contains(n), "{args:?}: `{n}` not in: {err}");
        }
    };

    let unknown = d.join("unknown.json");
    write(&unknown, &json!({"hello": "world", "values": [1, 2]}));
    check(&["--hw-run", &s(&unknown)], &["unknown.json", "not a hardware run"]);
    let not_json = d.join("notes.json");
    std::fs::write(&not_json, "ttft was fine\n").expect("write");
    check(&["--hw-run", &s(&not_json)], &["notes.json", "not valid JSON"]);

    let no_metrics = variant("no-metrics.json", &|v| {
        v["metrics"] = json!({"requests_completed": 100})
    });
    check(
        &["--hw-run", &no_metrics],
        &["no-metrics.json", "metrics", "no TTFT or TPOT"],
    );

    let zero = variant("zero.json", &|v| v["metrics"]["ttft_ms"]["p50"] = json!(0));
    check(&["--hw-run", &zero], &["zero.json", "metrics.ttft_ms.p50", "> 0"]);
    let negative = variant("negative.json", &|v| v["metrics"]["throughput_token_s"] = json!(-12.5));
    check(
        &["--hw-run", &negative],
        &["negative.json", "metrics.throughput_token_s"],
    );
    let neg_e2e = variant("neg-e2e.json", &|v| v["metrics"]["e2e_latency_s"]["p99"] = json!(-1.0));
    // a bad holdout is as bad as a bad fitted run
    check(
        &["--hw-run", &good, "--holdout", &neg_e2e],
        &["neg-e2e.json", "e2e_latency_s.p99"],
    );

    // workloads that cannot be simulated
    let trace = variant("trace.json", &|v| v["workload"]["type"] = json!("trace"));
    check(&["--hw-run", &trace], &["trace.json", "workload.type", "cannot"]);
    let gamma = variant("gamma.json", &|v| v["workload"]["type"] = json!("gamma"));
    check(
        &["--hw-run", &gamma],
        &["gamma.json", "workload.type", "cannot be reproduced"],
    );
    let no_conc = variant("conc0.json", &|v| v["workload"]["concurrency"] = json!(0));
    check(&["--hw-run", &no_conc], &["conc0.json", "workload.concurrency"]);
    // every prompt is larger than the KV cache: nothing would complete (not a 100 % error)
    let huge = variant("huge.json", &|v| v["workload"]["isl"] = json!(1_000_000));
    check(&["--hw-run", &huge], &["huge.json", "cannot be simulated", "KV cache"]);
    let bad_profile = variant("bad-profile.json", &|v| {
        v["config"]["profile"] = json!("no/such/profile")
    });
    check(&["--hw-run", &bad_profile], &["bad-profile.json", "no/such/profile"]);

    check(
        &["--hw-run", &good, "--fit", "--fit-params", "bogus"],
        &["--fit-params", "bogus", "prefill_time_scale"],
    );
    check(
        &["--hw-run", &good, "--calibration-out", &s(&d.join("fit.json"))],
        &["--calibration-out", "--fit"],
    );
    assert!(!d.join("fit.json").exists());
    check(
        &["--hw-run", &s(&d.join("missing.json"))],
        &["missing.json", "cannot read"],
    );
    check(
        &["--hw-run", &good, "--holdout", &s(&d.join("gone.json"))],
        &["gone.json"],
    );
    check(&["--hw-run", &good, "--loo"], &["--loo", "two"]);
    check(&["--hw-run", &good, "--fit", "--loo"], &["--loo", "two"]);
    check(
        &["--hw-run", &good, "--plot", &s(&d.join("cal.jpg"))],
        &["--plot", if PLOT { ".png or .svg" } else { "no plotting" }],
    );
    check(
        &["--hw-run", &good, "--fit", "--plot", &s(&d.join("cal"))],
        &["--plot", if PLOT { ".png or .svg" } else { "no plotting" }],
    );
    check(&["--holdout", &good], &["--hw-run"]);
    check(&["--hw-run", &good, "--seeds", "0"], &["--seeds"]);
    check(&["--hw-run", &good, "--strict-pct=-5"], &["--strict-pct"]);
    check(&["--hw-run", &good, "--calibration", &s(&unknown)], &["unknown.json"]);
}
