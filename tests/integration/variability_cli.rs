//! Service-time variability (`--variability`) and the fidelity flags' bad input.

use crate::util::{bad_input, ok, repo};
use serde_json::Value;

fn simulate(args: &[&str]) -> String {
    let mut a = vec!["simulate", "--concurrency", "1", "--requests", "60", "--json"];
    a.extend_from_slice(args);
    ok(&a)
}

fn ttft(json: &str) -> Value {
    let v: Value = serde_json::from_str(json).expect("summary JSON");
    v["metrics"]["ttft_ms"].clone()
}

/// The shipped idle run (aic_all, concurrency 1) has TTFT p90/p50 = 1.058: real runs are not
/// step-shaped. Variability on (the default) spreads the simulated TTFTs; off, a closed loop of
/// identical requests gives one number.
#[test]
fn ttft_is_no_longer_step_shaped_and_off_restores_determinism() {
    let on = ttft(&simulate(&[]));
    let (p50, p90) = (on["p50"].as_f64().expect("p50"), on["p90"].as_f64().expect("p90"));
    assert!(p90 / p50 > 1.03, "TTFT p90/p50 {:.4} with variability", p90 / p50);
    let off = ttft(&simulate(&["--variability", "off"]));
    assert_eq!(off["p50"], off["p90"], "{off}");
    assert_eq!(off["min"], off["max"], "{off}");
}

#[test]
fn same_seed_gives_the_same_bytes_and_another_seed_differs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = |name: &str, seed: &str| {
        let p = dir.path().join(name);
        ok(&[
            "simulate",
            "--concurrency",
            "4",
            "--requests",
            "200",
            "--seed",
            seed,
            "--requests-csv",
            p.to_str().expect("utf-8"),
        ]);
        std::fs::read(p).expect("csv written")
    };
    let (a, b, c) = (csv("a.csv", "3"), csv("b.csv", "3"), csv("c.csv", "4"));
    assert_eq!(a, b, "same seed, same bytes");
    assert_ne!(a, c, "the seed drives the variability");
    let (j1, j2) = (simulate(&["--seed", "9"]), simulate(&["--seed", "9"]));
    assert_eq!(j1, j2);
    let v: Value = serde_json::from_str(&j1).expect("json");
    assert_eq!(v["variability"]["step_cv"], 0.09, "the summary records the variability");
}

#[test]
fn fidelity_flags_reject_bad_input_in_one_line() {
    let e = bad_input(&["simulate", "--step-model", "linear"]);
    assert!(e.contains("--step-model"), "{e}");
    let e = bad_input(&["simulate", "--first-token", "middle"]);
    assert!(e.contains("--first-token"), "{e}");
    let e = bad_input(&["simulate", "--variability", "0.1,-1"]);
    assert!(e.contains("--variability"), "{e}");
    let e = bad_input(&["simulate", "--requests", "10", "--warmup-requests", "11"]);
    assert!(e.contains("--warmup-requests"), "{e}");

    let dir = tempfile::tempdir().expect("tempdir");
    let cal = dir.path().join("cal.json");
    std::fs::write(&cal, r#"{"kv_transfer_gbps": -5}"#).expect("write");
    let e = bad_input(&["simulate", "--calibration", cal.to_str().expect("utf-8")]);
    assert!(e.contains("kv_transfer_gbps") && e.contains("cal.json"), "{e}");

    // a silicon CSV without its TPOT column, as a hardware run
    let text = std::fs::read_to_string(repo().join("calibration/silicon/llama-3.1-8b_h200_sglang_agg.csv"))
        .expect("shipped silicon CSV");
    let header: Vec<&str> = text.lines().next().expect("header").split(',').collect();
    let drop = header
        .iter()
        .position(|h| *h == "silicon_tpot_ms")
        .expect("tpot column");
    let cut: String = text
        .lines()
        .take(4)
        .map(|l| {
            let mut f: Vec<&str> = l.split(',').collect();
            f.remove(drop.min(f.len() - 1));
            f.join(",") + "\n"
        })
        .collect();
    let csv = dir.path().join("no-tpot.csv");
    std::fs::write(&csv, cut).expect("write");
    let e = bad_input(&[
        "calibrate",
        "--profile",
        "llama-3.1-8b-fp8/h200/vllm",
        "--hw-run",
        csv.to_str().expect("utf-8"),
    ]);
    assert!(e.contains("no-tpot.csv") && e.contains("silicon_tpot_ms"), "{e}");
}
