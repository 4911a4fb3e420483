//! `slasim simulate` and `slasim bench` driven through the binary: the default run, the SPEC §4
//! summary JSON, sweeps, determinism, the AIPerf and per-request exports, the deployment flags
//! and file (SPEC §7), and bad input (exit 2, one line, no panic).

use crate::util;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn read_json(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

/// Runs `slasim simulate ARGS --json FILE` and returns the parsed file.
fn simulate_json(args: &[&str]) -> Value {
    let d = tmp();
    let f = d.path().join("out.json");
    let mut a = vec!["simulate"];
    a.extend_from_slice(args);
    let fs = s(&f);
    a.extend_from_slice(&["--json", &fs]);
    util::ok(&a);
    read_json(&f)
}

const STAT_KEYS: [&str; 7] = ["p50", "p90", "p95", "p99", "mean", "min", "max"];

/// Checks one SPEC §4 summary object.
#[track_caller]
fn check_summary(v: &Value) {
    for k in ["experiment_id", "source", "config", "workload", "sla", "metrics"] {
        assert!(v.get(k).is_some(), "summary lacks `{k}`: {v}");
    }
    assert!(v["experiment_id"].as_str().is_some_and(|x| !x.is_empty()));
    assert_eq!(v["source"], "simulated");
    let c = &v["config"];
    for k in [
        "model",
        "gpu",
        "mode",
        "prefill",
        "decode",
        "max_num_seqs",
        "scheduler",
        "num_gpus",
    ] {
        assert!(c.get(k).is_some(), "config lacks `{k}`: {c}");
    }
    for role in ["prefill", "decode"] {
        assert!(c[role]["tp"].as_u64().is_some_and(|x| x >= 1), "config.{role}.tp: {c}");
        assert!(
            c[role]["workers"].as_u64().is_some_and(|x| x >= 1),
            "config.{role}.workers: {c}"
        );
    }
    let w = &v["workload"];
    for k in ["type", "requests", "seed"] {
        assert!(w.get(k).is_some(), "workload lacks `{k}`: {w}");
    }
    // lengths: ISL/OSL (a number, or a distribution spec) unless they come from a trace
    if w["lengths"] != "trace" {
        for k in ["isl", "osl"] {
            assert!(w[k].is_u64() || w[k].is_string(), "workload.{k}: {w}");
        }
    }
    if w["type"] == "concurrency" {
        assert!(w["concurrency"].as_u64().is_some(), "{w}");
    }
    assert!(v["sla"]["ttft_ms"].as_f64().is_some() && v["sla"]["itl_ms"].as_f64().is_some());
    let m = &v["metrics"];
    for k in ["ttft_ms", "tpot_ms", "itl_ms", "e2e_latency_s", "scheduling_delay_ms"] {
        for st in STAT_KEYS {
            assert!(
                m[k][st].as_f64().is_some_and(f64::is_finite),
                "metrics.{k}.{st} missing or not a number: {m}"
            );
        }
        assert!(m[k]["min"].as_f64() <= m[k]["p50"].as_f64() && m[k]["p50"].as_f64() <= m[k]["max"].as_f64());
    }
    assert_eq!(m["tpot_ms"], m["itl_ms"]);
    for k in [
        "throughput_token_s",
        "request_throughput",
        "goodput_req_s",
        "sla_hit_rate",
        "goodput_per_gpu",
        "requests_completed",
        "preemptions",
    ] {
        assert!(
            m[k].as_f64().is_some_and(|x| x.is_finite() && x >= 0.0),
            "metrics.{k}: {m}"
        );
    }
    assert!(m["sla_hit_rate"].as_f64().unwrap() <= 1.0);
}

#[test]
fn default_simulate_prints_the_four_aiperf_levels() {
    let out = util::ok(&["simulate"]);
    assert!(out.contains("Qwen/Qwen3-32B"), "model name missing:\n{out}");
    let rows: Vec<&str> = out.lines().filter_map(|l| l.split_whitespace().next()).collect();
    for label in ["c1", "c4", "c7", "c9"] {
        assert!(rows.contains(&label), "row {label} missing:\n{out}");
    }
}

#[test]
fn json_summary_has_the_spec_shape_and_is_deterministic() {
    let d = tmp();
    let (a, b) = (d.path().join("a.json"), d.path().join("b.json"));
    for f in [&a, &b] {
        util::ok(&[
            "simulate",
            "--concurrency",
            "4",
            "--requests",
            "40",
            "--seed",
            "3",
            "--json",
            &s(f),
        ]);
    }
    let (ba, bb) = (std::fs::read(&a).expect("a"), std::fs::read(&b).expect("b"));
    assert_eq!(ba, bb, "same seed twice must give byte-identical JSON");
    let v = read_json(&a);
    assert!(v.is_object(), "one load level: an object");
    check_summary(&v);
    assert_eq!(v["config"]["model"], "Qwen/Qwen3-32B");
    assert_eq!(v["config"]["mode"], "disagg");
    assert_eq!(v["config"]["prefill"]["tp"], 1);
    assert_eq!(v["config"]["decode"]["tp"], 2);
    assert_eq!(v["config"]["num_gpus"], 3);
    assert_eq!(v["workload"]["type"], "concurrency");
    assert_eq!(v["workload"]["concurrency"], 4);
    assert_eq!(v["workload"]["requests"], 40);
    assert_eq!(v["workload"]["seed"], 3);
    assert_eq!(v["workload"]["isl"], 2048);
    assert_eq!(v["workload"]["osl"], 256);
    assert_eq!(v["metrics"]["requests_completed"], 40);

    // another seed: different arrivals do not matter in a closed loop with fixed lengths, so
    // compare an open-loop run instead
    let c = d.path().join("c.json");
    let e = d.path().join("e.json");
    util::ok(&[
        "simulate",
        "--rps",
        "2",
        "--requests",
        "40",
        "--seed",
        "3",
        "--json",
        &s(&c),
    ]);
    util::ok(&[
        "simulate",
        "--rps",
        "2",
        "--requests",
        "40",
        "--seed",
        "4",
        "--json",
        &s(&e),
    ]);
    assert_ne!(
        std::fs::read(&c).unwrap(),
        std::fs::read(&e).unwrap(),
        "the seed must matter"
    );
}

#[test]
fn several_load_levels_write_an_array() {
    for args in [
        &["--concurrency", "1", "--concurrency", "3", "--requests", "12"][..],
        &["--concurrency", "1,3", "--requests", "12"][..],
    ] {
        let v = simulate_json(args);
        let arr = v
            .as_array()
            .unwrap_or_else(|| panic!("sweep {args:?} must write an array: {v}"));
        assert_eq!(arr.len(), 2);
        for (x, c) in arr.iter().zip([1, 3]) {
            check_summary(x);
            assert_eq!(x["workload"]["concurrency"], c);
        }
    }
    let v = simulate_json(&["--rps", "1,2.5", "--requests", "10"]);
    let arr = v.as_array().expect("rps sweep: array");
    assert_eq!(arr.len(), 2);
    assert_eq!(arr[1]["workload"]["type"], "poisson");
    assert_eq!(arr[1]["workload"]["rps"], 2.5);
}

fn aiperf_reference() -> PathBuf {
    util::dynamo_data()
        .join("benchmarks/profiler/comparison/results/aic_all/validation/medium/profile_export_aiperf.json")
}

#[test]
fn aiperf_export_has_the_real_exports_metric_keys() {
    let real = read_json(&aiperf_reference());
    let d = tmp();
    let f = d.path().join("aiperf.json");
    util::ok(&[
        "simulate",
        "--concurrency",
        "4",
        "--requests",
        "30",
        "--aiperf-json",
        &s(&f),
    ]);
    let ours = read_json(&f);
    // the metrics SPEC §4 names must be there
    for k in [
        "time_to_first_token",
        "inter_token_latency",
        "request_latency",
        "request_throughput",
        "output_token_throughput",
        "goodput",
        "request_count",
        "output_sequence_length",
        "input_sequence_length",
        "benchmark_duration",
    ] {
        assert!(ours.get(k).is_some(), "--aiperf-json lacks `{k}`");
        assert!(real.get(k).is_some(), "reference export lacks `{k}`");
    }
    // for every metric both have, the same stat keys
    let mut compared = 0;
    for (k, rv) in real.as_object().expect("object") {
        let Some(ov) = ours.get(k) else { continue };
        if rv.get("unit").is_none() {
            continue; // not a metric entry (input_config, telemetry, …)
        }
        assert_eq!(keys(ov), keys(rv), "`{k}`: stat keys differ from AIPerf's");
        assert_eq!(ov["unit"], rv["unit"], "`{k}`: unit differs from AIPerf's");
        compared += 1;
    }
    assert!(
        compared >= 15,
        "only {compared} metrics in common with the AIPerf export"
    );
    assert_eq!(ours["request_count"]["avg"].as_f64(), Some(30.0));
    let cfg = &ours["input_config"]["loadgen"];
    assert_eq!(cfg["concurrency"], 4, "{cfg}");
}

#[test]
fn requests_csv_has_one_row_per_request_with_vidur_columns() {
    let d = tmp();
    let f = d.path().join("req.csv");
    util::ok(&[
        "simulate",
        "--rps",
        "3",
        "--requests",
        "25",
        "--isl",
        "uniform:100:900",
        "--osl",
        "1",
        "--requests-csv",
        &s(&f),
    ]);
    let text = std::fs::read_to_string(&f).expect("csv");
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = rdr.headers().expect("header").iter().map(String::from).collect();
    for col in [
        "arrived_at",
        "request_num_prefill_tokens",
        "request_num_decode_tokens",
        "prefill_e2e_time",
        "decode_time_execution_plus_preemption_normalized",
        "request_e2e_time",
        "request_scheduling_delay",
        "request_num_restarts",
    ] {
        assert!(
            header.iter().any(|h| h == col),
            "Vidur column `{col}` missing: {header:?}"
        );
    }
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 25, "one row per request");
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let ids: BTreeSet<u64> = rows.iter().map(|r| r[col("request_id")].parse().expect("id")).collect();
    assert_eq!(ids, (0..25).collect());
    for r in &rows {
        assert_eq!(&r[col("request_num_decode_tokens")], "1");
        let isl: u32 = r[col("request_num_prefill_tokens")].parse().expect("isl");
        assert!((100..=900).contains(&isl));
        let e2e_s: f64 = r[col("request_e2e_time")].parse().expect("e2e");
        let e2e_ms: f64 = r[col("e2e_ms")].parse().expect("e2e_ms");
        assert!(
            (e2e_s * 1e3 - e2e_ms).abs() <= 1e-9 * e2e_ms.max(1.0),
            "{e2e_s} s vs {e2e_ms} ms"
        );
        let ttft_s: f64 = r[col("prefill_e2e_time")].parse().expect("ttft");
        assert!(ttft_s <= e2e_s && ttft_s > 0.0);
    }
}

#[test]
fn deployment_flags_are_accepted_and_reflected_in_the_config() {
    let v = simulate_json(&[
        "--profile",
        "llama-3.1-8b-fp8/h200/vllm",
        "--mode",
        "agg",
        "--tp",
        "1",
        "--replicas",
        "3",
        "--max-num-seqs",
        "12",
        "--max-batched-tokens",
        "4096",
        "--block-size",
        "32",
        "--scheduler",
        "prefill-first",
        "--router",
        "round-robin",
        "--concurrency",
        "5",
        "--requests",
        "20",
        "--isl",
        "512",
        "--osl",
        "8",
    ]);
    check_summary(&v);
    let c = &v["config"];
    assert_eq!(c["mode"], "agg");
    assert_eq!(
        (c["prefill"]["tp"].as_u64(), c["prefill"]["workers"].as_u64()),
        (Some(1), Some(3))
    );
    assert_eq!(
        c["decode"], c["prefill"],
        "agg: prefill and decode name the same engine"
    );
    assert_eq!(c["num_gpus"], 3);
    assert_eq!(c["max_num_seqs"], 12);
    assert_eq!(c["max_batched_tokens"], 4096);
    assert_eq!(c["block_size"], 32);
    assert_eq!(c["scheduler"], "prefill-first");
    assert_eq!(c["router"], "round-robin");
    assert_eq!(c["model"], "nvidia/Llama-3.1-8B-Instruct-FP8");

    let v = simulate_json(&[
        "--profile",
        "llama-3.3-70b-fp8/h100/vllm",
        "--mode",
        "disagg",
        "--prefill-tp",
        "2",
        "--decode-tp",
        "4",
        "--prefill-workers",
        "2",
        "--decode-workers",
        "3",
        "--router",
        "least-kv",
        "--scheduler",
        "vllm",
        "--rps",
        "1",
        "--requests",
        "15",
        "--isl",
        "300",
        "--osl",
        "10",
    ]);
    check_summary(&v);
    let c = &v["config"];
    assert_eq!(c["mode"], "disagg");
    assert_eq!(
        (c["prefill"]["tp"].as_u64(), c["prefill"]["workers"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(
        (c["decode"]["tp"].as_u64(), c["decode"]["workers"].as_u64()),
        (Some(4), Some(3))
    );
    assert_eq!(c["num_gpus"], 2 * 2 + 4 * 3);
    assert_eq!(c["router"], "least-kv");
    assert_eq!(c["scheduler"], "vllm");
    assert_eq!(v["metrics"]["requests_completed"], 15);
}

#[test]
fn deployment_file_works_and_flags_override_it() {
    let file = util::repo().join("calibration/deployments/qwen3-32b-h200-trtllm-aic.toml");
    let with_file = simulate_json(&["--deployment", &s(&file), "--concurrency", "2", "--requests", "10"]);
    check_summary(&with_file);
    let c = &with_file["config"];
    assert_eq!(c["mode"], "disagg");
    assert_eq!(c["max_num_seqs"], 8);
    assert_eq!(
        (c["prefill"]["tp"].as_u64(), c["decode"]["tp"].as_u64()),
        (Some(1), Some(2))
    );
    // the file is the embedded default: the same result as no deployment flags at all
    let default = simulate_json(&["--concurrency", "2", "--requests", "10"]);
    assert_eq!(with_file["metrics"], default["metrics"]);
    // flags override the file
    let v = simulate_json(&[
        "--deployment",
        &s(&file),
        "--max-num-seqs",
        "3",
        "--decode-workers",
        "2",
        "--requests",
        "5",
        "--concurrency",
        "1",
    ]);
    assert_eq!(v["config"]["max_num_seqs"], 3);
    assert_eq!(v["config"]["decode"]["workers"], 2);
}

#[test]
fn bench_json_has_the_documented_keys() {
    let out = util::ok(&["bench", "--requests", "20000", "--json"]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("bench --json is not JSON ({e}):\n{out}"));
    for k in [
        "requests",
        "wall_s",
        "requests_per_s",
        "iterations_per_s",
        "events_per_s",
        "peak_rss_mb",
    ] {
        assert!(
            v[k].as_f64().is_some_and(|x| x.is_finite() && x >= 0.0),
            "bench `{k}`: {v}"
        );
    }
    assert_eq!(v["requests"], 20000);
    assert!(v["requests_per_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn shipped_trace_replays() {
    let v = simulate_json(&["--trace", "splitwise_conv", "--requests", "500"]);
    check_summary(&v);
    assert_eq!(v["workload"]["type"], "trace");
    assert_eq!(
        v["metrics"]["requests_completed"].as_u64().unwrap() + v["metrics"]["requests_rejected"].as_u64().unwrap_or(0),
        500
    );
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write fixture");
    s(&p)
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let d = tmp();
    let empty = write(
        d.path(),
        "empty.csv",
        "arrived_at,num_prefill_tokens,num_decode_tokens\n",
    );
    let missing = write(d.path(), "missing.csv", "arrived_at,num_prefill_tokens\n0.5,100\n");
    let nonnum = write(
        d.path(),
        "nonnum.csv",
        "arrived_at,num_prefill_tokens,num_decode_tokens\n0.5,abc,10\n",
    );
    let toml = write(
        d.path(),
        "dep.toml",
        "profile = \"qwen3-32b/h200/trtllm-aic\"\nmax_num_seqz = 4\n",
    );
    let cal = write(d.path(), "cal.json", "{\"iteration_overhead_ms\": -0.5}\n");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--concurrency", "0"], "--concurrency"),
        (vec!["--concurrency", "-1"], "concurrency"),
        (vec!["--rps", "0"], "--rps"),
        (vec!["--rps", "-3"], "rps"),
        (vec!["--osl", "0"], "--osl"),
        (vec!["--trace", &empty], "empty.csv"),
        (vec!["--trace", &missing], "num_decode_tokens"),
        (vec!["--trace", &nonnum], "abc"),
        (vec!["--profile", "no-such/profile"], "no-such/profile"),
        (vec!["--router", "random"], "router"),
        (vec!["--scheduler", "fifo"], "scheduler"),
        (vec!["--requests", "0"], "--requests"),
        (vec!["--max-num-seqs", "0"], "--max-num-seqs"),
        (vec!["--deployment", &toml], "max_num_seqz"),
        (vec!["--calibration", &cal], "iteration_overhead_ms"),
    ];
    // run every case and report all failures together
    let mut failures = Vec::new();
    for (args, needle) in cases {
        let mut a = vec!["simulate"];
        a.extend(args.iter().copied());
        match std::panic::catch_unwind(|| util::bad_input(&a)) {
            Ok(err) if err.contains(needle) => {}
            Ok(err) => failures.push(format!("slasim {a:?}: the message should name `{needle}`: {err}")),
            Err(p) => failures.push(format!(
                "slasim {a:?}: {}",
                p.downcast_ref::<String>().cloned().unwrap_or_else(|| "panicked".into())
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} bad-input case(s) failed:\n{}",
        failures.len(),
        failures.join("\n---\n")
    );
}

/// `slasim simulate | head -1`: the reader goes away after one line; slasim ends as other Unix
/// tools do (SIGPIPE), without a panic message.
#[cfg(unix)]
#[test]
fn a_closed_stdout_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    let mut child = Command::new(util::bin())
        .args(["simulate", "--profile", "llama-3.1-8b-fp8/h200/vllm", "--concurrency"])
        .arg(vec!["2"; 2000].join(","))
        .args(["--requests", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn slasim");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("read");
    // the reader is dropped here: the pipe closes with 2,000 table rows (≈ 260 KB, more than a pipe buffer) still to print
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(first.starts_with("nvidia/Llama-3.1-8B"), "{first}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    const SIGPIPE: i32 = 13; // Linux and the BSDs
    assert_eq!(out.status.signal(), Some(SIGPIPE), "{:?} {stderr}", out.status);
}
