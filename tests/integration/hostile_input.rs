//! Hostile and mistaken input (issue 12 items 2, 3, 7, 8): times that would overflow the
//! simulation's integer nanoseconds, runs that would exhaust memory, errors that must blame the
//! right input, and flags that must mean one thing. Each case exits 2 with one line naming the
//! input, where main exited 0 with plausible garbage (or blamed another flag).

use crate::util::{bad_input, ok, run};
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

/// Asserts `args` exits 2 with one line that contains every needle.
fn rejects(args: &[&str], needles: &[&str]) {
    let e = bad_input(args);
    for n in needles {
        assert!(e.contains(n), "slasim {args:?}: `{n}` not in: {e}");
    }
}

// ---- item 2: time cannot overflow -------------------------------------------------------------

#[test]
fn calibration_values_past_the_horizon_are_rejected() {
    let d = tempfile::tempdir().unwrap();
    for (json, key) in [
        (r#"{"prefill_time_scale": 1e11}"#, "prefill_time_scale"),
        (r#"{"decode_time_scale": 1e308}"#, "decode_time_scale"),
        (r#"{"iteration_overhead_ms": 1e300}"#, "iteration_overhead_ms"),
        (r#"{"frontend_latency_ms": 1e12}"#, "frontend_latency_ms"),
        (r#"{"ttft_overhead_ms": 1e12}"#, "frontend_latency_ms"),
        (r#"{"kv_transfer_ms_per_token": 1e9}"#, "kv_transfer_ms_per_token"),
    ] {
        let f = write(d.path(), "cal.json", json);
        rejects(&["simulate", "--calibration", &f], &["cal.json", key]);
    }
}

#[test]
fn a_run_that_passes_the_horizon_stops_with_an_error() {
    // each value is in range, but 10 × 257 engine steps of 10^7 ms each pass 10^7 s: the event
    // loop's guard must stop the run (main wrapped and printed plausible numbers)
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "slow.json", r#"{"iteration_overhead_ms": 1e7}"#);
    rejects(
        &[
            "simulate",
            "--calibration",
            &f,
            "--concurrency",
            "1",
            "--requests",
            "10",
        ],
        &["horizon", "engine iteration", "--calibration"],
    );
}

#[test]
fn rates_and_durations_past_the_horizon_are_rejected() {
    rejects(
        &["simulate", "--rps", "1e-300", "--requests", "10"],
        &["--rps", "horizon"],
    );
    rejects(
        &["simulate", "--rps", "1e-6", "--requests", "100"],
        &["--rps", "horizon"],
    );
    rejects(
        &["simulate", "--sinusoid", "0:1e-9:10", "--requests", "10"],
        &["--sinusoid", "horizon"],
    );
    rejects(
        &["simulate", "--rps", "1", "--duration", "1e12"],
        &["--duration", "horizon"],
    );
    // a duration within the horizon but a rate that would issue more than the 10^9 cap
    rejects(
        &["simulate", "--rps", "1000", "--duration", "1e7"],
        &["--duration", "1000000000"],
    );
}

#[test]
fn trace_arrivals_past_the_horizon_are_rejected() {
    let d = tempfile::tempdir().unwrap();
    let t = write(
        d.path(),
        "far.csv",
        "arrived_at,num_prefill_tokens,num_decode_tokens\n0,100,10\n1e15,100,10\n",
    );
    rejects(
        &["simulate", "--profile", "llama-3.1-8b-fp8/h200/vllm", "--trace", &t],
        &["--trace", "far.csv", "horizon"],
    );
    // within the horizon once, but repeated 10^4 times it is not
    let t = write(
        d.path(),
        "long.csv",
        "arrived_at,num_prefill_tokens,num_decode_tokens\n0,100,10\n5e6,100,10\n",
    );
    rejects(
        &[
            "simulate",
            "--profile",
            "llama-3.1-8b-fp8/h200/vllm",
            "--trace",
            &t,
            "--requests",
            "20000",
        ],
        &["--trace", "long.csv", "repeated"],
    );
}

/// A planner ConfigMap payload pair (prefill + decode JSON) with `ttft` as the prefill times.
fn payload_profile(dir: &Path, ttft: &str, itl: &str) -> String {
    write(
        dir,
        "prefill_raw_data.json",
        &format!(r#"{{"prefill_isl": [1000, 2000], "prefill_ttft": {ttft}, "prefill_thpt_per_gpu": [5000, 5000]}}"#),
    );
    write(
        dir,
        "decode_raw_data.json",
        &format!(
            r#"{{"x_kv_usage": [0.1, 0.5], "y_context_length": [1000, 1000], "z_itl": {itl},
                 "z_thpt_per_gpu": [100, 300], "max_kv_tokens": 100000}}"#
        ),
    );
    dir.to_str().unwrap().to_string()
}

#[test]
fn profile_times_past_the_bound_are_rejected() {
    let args = |p: &str| -> Vec<String> {
        [
            "simulate",
            "--profile",
            p,
            "--mode",
            "disagg",
            "--rps",
            "1",
            "--requests",
            "5",
        ]
        .map(String::from)
        .to_vec()
    };
    let d = tempfile::tempdir().unwrap();
    let p = payload_profile(d.path(), "[1.8446744073709552e19, 1.9e19]", "[10, 12]");
    let a = args(&p);
    rejects(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
        &["prefill_raw_data.json", "prefill_ttft"],
    );
    let d = tempfile::tempdir().unwrap();
    let p = payload_profile(d.path(), "[100, 200]", "[10, 1e300]");
    let a = args(&p);
    rejects(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
        &["decode_raw_data.json", "z_itl"],
    );
    // the same layout with sane values runs
    let d = tempfile::tempdir().unwrap();
    let p = payload_profile(d.path(), "[100, 200]", "[10, 12]");
    ok(&args(&p).iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn gpu_catalog_values_outside_physical_ranges_are_rejected() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("prof");
    for (key, value) in [
        ("hbm_tbps", "1e-300"),
        ("bf16_tflops", "1e-200"),
        ("link_gbps", "1e-300"),
        ("hbm_gib", "1e300"),
    ] {
        let mut g = std::collections::BTreeMap::from([
            ("bf16_tflops", "989.4"),
            ("hbm_gib", "79.65"),
            ("hbm_tbps", "3.35"),
            ("link_gbps", "450.0"),
        ]);
        g.insert(key, value);
        let body: String = g.iter().map(|(k, v)| format!("{k} = {v}\n")).collect();
        let cat = write(d.path(), "gpus.toml", &format!("[[gpu]]\nname = \"tiny\"\n{body}"));
        rejects(
            &[
                "profile",
                "synth",
                "--model",
                "Qwen/Qwen3-32B",
                "--gpu",
                "tiny",
                "--gpu-catalog",
                &cat,
                "--tp",
                "1",
                "--out",
                out.to_str().unwrap(),
            ],
            &["gpus.toml", key],
        );
    }
}

// ---- item 3: memory is bounded ----------------------------------------------------------------

#[test]
fn per_request_output_above_the_cap_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let csv = d.path().join("r.csv");
    rejects(
        &[
            "simulate",
            "--profile",
            "llama-3.1-8b-fp8/h200/vllm",
            "--rps",
            "100",
            "--requests",
            "2000001",
            "--requests-csv",
            csv.to_str().unwrap(),
        ],
        &["--requests-csv", "2000000"],
    );
    assert!(!csv.exists());
}

#[test]
fn unbounded_durations_are_refused() {
    rejects(&["simulate", "--rps", "10", "--duration", "1e12"], &["--duration"]);
    // a closed loop ignores --duration: an error, not a run that never ends
    rejects(
        &["simulate", "--concurrency", "4", "--duration", "100"],
        &["--duration", "--concurrency"],
    );
}

// ---- item 7: errors blame the right input -----------------------------------------------------

#[test]
fn unknown_gpu_and_backend_in_sweep_name_their_flag() {
    let m = "nvidia/Llama-3.3-70B-Instruct-FP8";
    rejects(
        &[
            "sweep",
            "--model",
            m,
            "--gpu",
            "h999",
            "--backend",
            "vllm",
            "--tp",
            "2",
            "--concurrency",
            "1",
        ],
        &["--gpu:", "h999"],
    );
    rejects(
        &[
            "sweep",
            "--model",
            m,
            "--gpu",
            "h100_sxm",
            "--backend",
            "foo",
            "--tp",
            "2",
            "--concurrency",
            "1",
        ],
        &["--backend:", "foo"],
    );
}

#[test]
fn toml_values_are_reported_as_file_and_key() {
    let d = tempfile::tempdir().unwrap();
    let dep = write(
        d.path(),
        "dep.toml",
        "profile = \"llama-3.1-8b-fp8/h200/vllm\"\nmode = \"disagg\"\nprefill_kv_capacity_tokens = 0\n",
    );
    let e = bad_input(&["simulate", "--deployment", &dep, "--rps", "1", "--requests", "3"]);
    assert!(e.contains("dep.toml: `prefill_kv_capacity_tokens`"), "{e}");
    assert!(!e.contains("--prefill-kv-capacity"), "{e}");
    let dep = write(
        d.path(),
        "tp.toml",
        "profile = \"llama-3.3-70b-fp8/h100/vllm\"\ntp = 3\n",
    );
    rejects(&["simulate", "--deployment", &dep], &["tp.toml: `tp`"]);
    let dep = write(
        d.path(),
        "rep.toml",
        "profile = \"llama-3.1-8b-fp8/h200/vllm\"\nreplicas = 0\n",
    );
    rejects(&["simulate", "--deployment", &dep], &["rep.toml: `replicas`"]);
    // a flag that overrides the file is still reported as the flag
    rejects(&["simulate", "--deployment", &dep, "--replicas", "0"], &["--replicas"]);
    let space = write(
        d.path(),
        "space.toml",
        "model = \"nvidia/Llama-3.3-70B-Instruct-FP8\"\ngpu = \"h999\"\n",
    );
    rejects(
        &["sweep", "--space", &space, "--concurrency", "1"],
        &["space.toml: `gpu`", "h999"],
    );
}

#[test]
fn toml_syntax_errors_have_line_and_column() {
    let d = tempfile::tempdir().unwrap();
    let dep = write(d.path(), "syn.toml", "profile = \"x\"\ntp = \n");
    rejects(&["simulate", "--deployment", &dep], &["syn.toml:2:6: "]);
    let space = write(d.path(), "sp.toml", "model = \"m\"\n\ngpu = \"h100_sxm\" x\n");
    rejects(&["sweep", "--space", &space], &["sp.toml:3:"]);
}

#[test]
fn negative_numbers_name_the_flag() {
    for (flag, value) in [
        ("--isl", "-1"),
        ("--osl", "-5"),
        ("--tp", "-1"),
        ("--replicas", "-2"),
        ("--ttft", "-1"),
    ] {
        let e = bad_input(&["simulate", flag, value]);
        assert!(e.contains(flag), "{flag} {value}: {e}");
        assert!(!e.contains("unexpected argument"), "{flag} {value}: {e}");
    }
    rejects(&["simulate", "--tp", "-1"], &["expected a whole number ≥ 1"]);
    rejects(&["plan", "--rps", "1", "--isl", "-1"], &["--isl", "≥ 1"]);
}

#[test]
fn control_characters_are_escaped_in_errors() {
    let o = run(&["simulate", "--profile", "x\u{1b}[31mred\nline\tend"]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(e.trim_end().lines().count(), 1, "{e:?}");
    assert!(e.contains("x\\x1b[31mred\\nline\\tend"), "{e:?}");
    assert!(!e.contains('\u{1b}'), "{e:?}");
}

// ---- item 8: one flag, one meaning ------------------------------------------------------------

#[test]
fn json_alone_prints_and_json_file_writes_in_every_command() {
    let d = tempfile::tempdir().unwrap();
    // simulate: `--json` alone prints the summary to stdout (and nothing else)
    let out = ok(&["simulate", "--concurrency", "1", "--requests", "3", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("stdout is only the JSON");
    assert_eq!(v["source"], "simulated");
    let out = ok(&["simulate", "--concurrency", "1", "--requests", "3", "--json", "-"]);
    assert!(serde_json::from_str::<serde_json::Value>(&out).is_ok());
    // bench / profile: `--json FILE` writes the file (and `--json` alone still prints)
    let f = d.path().join("list.json");
    let text = ok(&["profile", "list", "--json", f.to_str().unwrap()]);
    assert!(text.contains("llama-3.1-8b-fp8/h200/vllm"), "table still printed");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
    assert!(v.as_array().is_some_and(|a| !a.is_empty()));
    let f = d.path().join("q.json");
    ok(&[
        "profile",
        "query",
        "qwen3-32b/h200/trtllm-aic",
        "--isl",
        "2048",
        "--json",
        f.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
    assert!(v["ttft_ms"].as_f64().is_some());
    let f = d.path().join("bench.json");
    ok(&["bench", "--requests", "2000", "--json", f.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
    assert_eq!(v["requests"], 2000);
    // plan: --json alone prints only JSON
    let out = ok(&["plan", "--rps", "2", "--no-check", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("stdout is only the JSON");
    assert!(v["final"]["prefill"]["workers"].as_u64().is_some());
}

#[test]
fn renamed_flags_work_and_old_spellings_still_do() {
    let d = tempfile::tempdir().unwrap();
    let y = d.path().join("dgd.yaml");
    ok(&["plan", "--rps", "2", "--no-check", "--yaml", y.to_str().unwrap()]);
    assert!(y.exists());
    let y2 = d.path().join("old.yaml");
    ok(&["plan", "--rps", "2", "--no-check", "--out-yaml", y2.to_str().unwrap()]);
    assert!(y2.exists());
    let png = d.path().join("p.svg");
    ok(&[
        "profile",
        "plot",
        "qwen3-32b/h200/trtllm-aic",
        "--plot",
        png.to_str().unwrap(),
    ]);
    assert!(png.exists());
    let png2 = d.path().join("old.svg");
    let o = run(&[
        "profile",
        "plot",
        "qwen3-32b/h200/trtllm-aic",
        "--out",
        png2.to_str().unwrap(),
    ]);
    assert!(o.status.success() && png2.exists());
    assert!(String::from_utf8_lossy(&o.stderr).contains("deprecated"));
    // plan takes the same length syntax as simulate
    ok(&[
        "plan",
        "--rps",
        "2",
        "--isl",
        "uniform:1000:3000",
        "--osl",
        "256",
        "--requests",
        "200",
    ]);
}

#[test]
fn flags_that_do_not_apply_are_errors_naming_both() {
    rejects(
        &["simulate", "--rps", "2", "--requests", "5", "--cv", "2"],
        &["--cv", "--arrival gamma"],
    );
    rejects(
        &["simulate", "--trace-rate-scale", "2"],
        &["--trace-rate-scale", "--trace"],
    );
    rejects(
        &[
            "simulate",
            "--trace",
            "splitwise_conv",
            "--rps",
            "2",
            "--requests",
            "5",
            "--trace-rate-scale",
            "2",
        ],
        &["--trace-rate-scale", "--rps"],
    );
    rejects(
        &["simulate", "--concurrency", "2", "--arrival", "gamma"],
        &["--arrival", "--rps"],
    );
    rejects(
        &["plan", "--rps", "2", "--no-check", "--requests", "100"],
        &["--requests", "--no-check"],
    );
    rejects(
        &[
            "compare-methods",
            "--results",
            "a=b",
            "--methods",
            "random",
            "--out",
            "x",
        ],
        &["--methods", "--results"],
    );
}
