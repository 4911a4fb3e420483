//! `slasim compare-methods --testbed …`: the offline method study on the measured
//! Llama-3.3-70B-FP8 H100 testbed (TP 2/4/8), with a small realistic load to stay fast.

use crate::util::{bad_input, ok};
use serde_json::Value;
use std::path::Path;

const TESTBED: &str = "llama-3.3-70b-fp8/h100/vllm";

fn study(out: &Path, extra: &[&str]) -> (String, Value) {
    let o = out.to_str().expect("utf-8 path");
    let mut args = vec![
        "compare-methods",
        "--testbed",
        TESTBED,
        "--out",
        o,
        "--seeds",
        "2",
        "--sinusoid",
        "1:9:300",
        "--level-requests",
        "100",
        "--no-plots",
    ];
    args.extend_from_slice(extra);
    let stdout = ok(&args);
    let json = std::fs::read_to_string(out.join("comparison_results.json")).expect("comparison_results.json");
    let summary = std::fs::read_to_string(out.join("summary.txt")).expect("summary.txt");
    assert_eq!(stdout, summary, "stdout is the summary");
    (summary, serde_json::from_str(&json).expect("valid JSON"))
}

fn method<'a>(v: &'a Value, prefix: &str) -> &'a Value {
    v["methods"]
        .as_array()
        .and_then(|m| {
            m.iter()
                .find(|m| m["name"].as_str().is_some_and(|n| n.starts_with(prefix)))
        })
        .unwrap_or_else(|| panic!("method {prefix} missing"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

#[test]
fn online_all_has_zero_regret_and_the_cheap_methods_report_real_costs() {
    let dir = tempfile::tempdir().unwrap();
    let (summary, v) = study(dir.path(), &["--deploy-top", "1", "--budget", "4"]);
    assert_eq!(v["mode"], "testbed");
    let n_configs = v["testbed"]["configs"].as_array().unwrap().len();
    assert_eq!(
        n_configs, 12,
        "TP 2/4/8: 9 disaggregated pairs and 3 aggregated engines"
    );
    let online = method(&v, "online-all");
    for run in online["runs"].as_array().unwrap() {
        assert_eq!(f(&run["regret_pct"]), 0.0, "online-all regret is 0 by construction");
        assert_eq!(run["deployments"].as_u64(), Some(n_configs as u64));
        assert_eq!(run["chosen"], run["best_config"]);
    }
    let sr = method(&v, "stack-rank --top 1");
    let bo = method(&v, "bayes --budget 4");
    for (m, deployments) in [(sr, 1), (bo, 4)] {
        for run in m["runs"].as_array().unwrap() {
            assert_eq!(run["deployments"].as_u64(), Some(deployments));
            let r = f(&run["regret_pct"]);
            assert!((0.0..100.0).contains(&r), "regret {r}");
            assert!(f(&run["gpu_hours"]) > 0.0 && f(&run["hours"]) > 0.0);
        }
        assert!(f(&m["aggregate"]["gpu_hours"]["mean"]) < f(&online["aggregate"]["gpu_hours"]["mean"]));
    }
    let aic = method(&v, "aic-all");
    assert_eq!(f(&aic["aggregate"]["gpu_hours"]["mean"]), 0.0);
    assert_eq!(aic["baseline"], true);
    // every aggregate in the table is the JSON value, formatted
    for m in v["methods"].as_array().unwrap() {
        let name = m["name"].as_str().unwrap();
        let line = summary
            .lines()
            .find(|l| l.starts_with(name) && l.contains('['))
            .unwrap_or_else(|| panic!("no table line for {name}"));
        for key in ["regret_pct", "gpu_hours", "hours"] {
            let want = format!("{:.1}", f(&m["aggregate"][key]["mean"])).replace("-0.0", "0.0");
            assert!(line.contains(&want), "{name} {key} {want} not in `{line}`");
        }
    }
    // the criteria verdict: one experimental method passes, or the summary says why none can
    let any_pass = v["methods"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["baseline"] == false && m["criteria"]["pass"] == true);
    assert!(any_pass || summary.contains("No experimental method meets all three criteria"));
}

#[test]
fn a_study_is_deterministic_for_its_seeds() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let extra = ["--methods", "bayes,random,stack-rank+bayes", "--budget", "3"];
    study(a.path(), &extra);
    study(b.path(), &extra);
    let ja = std::fs::read(a.path().join("comparison_results.json")).unwrap();
    let jb = std::fs::read(b.path().join("comparison_results.json")).unwrap();
    assert_eq!(ja, jb);
}

#[test]
fn without_noise_measured_predictions_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let (_, v) = study(
        dir.path(),
        &[
            "--methods",
            "stack-rank",
            "--world-noise",
            "0",
            "--measurement-noise",
            "0",
        ],
    );
    for name in ["online-all", "stack-rank"] {
        for run in method(&v, name)["runs"].as_array().unwrap() {
            assert_eq!(run["basis"], "measured");
            for l in run["levels"].as_array().unwrap() {
                for k in ["ttft_error_pct", "itl_error_pct"] {
                    assert!(f(&l[k]).abs() < 1e-9, "{name} {} {k} = {}", l["name"], l[k]);
                }
            }
        }
    }
}

#[test]
fn bad_study_inputs_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = dir.path().to_str().unwrap();
    let e = bad_input(&[
        "compare-methods",
        "--testbed",
        TESTBED,
        "--out",
        o,
        "--methods",
        "magic",
    ]);
    assert!(e.contains("unknown method `magic`"), "{e}");
    let e = bad_input(&["compare-methods", "--testbed", "no/such/profile", "--out", o]);
    assert!(e.contains("--testbed"), "{e}");
    let e = bad_input(&["compare-methods", "--testbed", TESTBED, "--out", o, "--budget", "0"]);
    assert!(e.contains("--budget"), "{e}");
    let e = bad_input(&["compare-methods", "--testbed", TESTBED, "--out", o, "--seeds", "0"]);
    assert!(e.contains("--seeds"), "{e}");
    let e = bad_input(&[
        "compare-methods",
        "--testbed",
        TESTBED,
        "--out",
        o,
        "--sinusoid",
        "9:1:300",
    ]);
    assert!(e.contains("--sinusoid"), "{e}");
    let e = bad_input(&["compare-methods", "--out", o]);
    assert!(e.contains("--results") || e.contains("--testbed"), "{e}");
}
