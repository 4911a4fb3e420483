//! `simulate --aiperf-dir` and `calibrate --aiperf-dir`: AIPerf run directories (layout, the
//! per-request records equal to `--requests-csv`, bad targets refused whole). That AIPerf itself
//! accepts them is checked outside the Rust suite (`.ci/aiperf-check`).

use super::util::{bad_input, ok, repo};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Sorted names of the entries of `d`.
fn names(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d)
        .unwrap_or_else(|e| panic!("{}: {e}", d.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The jsonl lines of `f`, parsed.
fn records(f: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    assert!(text.ends_with('\n'));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: line is not JSON: {e}: {l}", f.display())))
        .collect()
}

/// Rows of a `--requests-csv` file, as column → value maps.
fn csv_rows(f: &Path) -> Vec<BTreeMap<String, String>> {
    let mut rdr = csv::Reader::from_path(f).unwrap_or_else(|e| panic!("{e}"));
    let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_string).collect();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            header.iter().cloned().zip(r.iter().map(str::to_string)).collect()
        })
        .collect()
}

fn metric(rec: &Value, tag: &str) -> Option<f64> {
    let m = &rec["metrics"][tag];
    if m.is_null() {
        return None;
    }
    let unit = m["unit"].as_str().unwrap_or_default();
    let want = match tag {
        "output_sequence_length" | "input_sequence_length" | "output_token_count" => "tokens",
        "output_token_throughput_per_user" => "tokens/sec/user",
        _ => "ms",
    };
    assert_eq!(unit, want, "unit of {tag}");
    Some(m["value"].as_f64().unwrap_or_else(|| panic!("{tag} value: {m}")))
}

fn num(row: &BTreeMap<String, String>, col: &str) -> Option<f64> {
    let v = &row[col];
    (!v.is_empty()).then(|| v.parse().unwrap_or_else(|e| panic!("{col}={v}: {e}")))
}

#[test]
fn default_simulation_writes_one_run_directory_per_level_equal_to_the_requests_csv() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("sim");
    let csv = t.path().join("req.csv");
    ok(&["simulate", "--aiperf-dir", &s(&dir), "--requests-csv", &s(&csv)]);
    assert_eq!(names(&dir), ["c1", "c4", "c7", "c9"]);
    assert_eq!(
        names(t.path()),
        ["req-c1.csv", "req-c4.csv", "req-c7.csv", "req-c9.csv", "sim"],
        "no temp dir left"
    );
    let mut compared = 0;
    for level in ["c1", "c4", "c7", "c9"] {
        let run = dir.join(level);
        assert_eq!(names(&run), ["profile_export.jsonl", "profile_export_aiperf.json"]);
        let agg: Value =
            serde_json::from_slice(&std::fs::read(run.join("profile_export_aiperf.json")).unwrap()).unwrap();
        let cfg = &agg["input_config"];
        assert_eq!(cfg["endpoint"]["model_names"][0], "Qwen/Qwen3-32B (slasim)");
        assert_eq!(cfg["slasim"]["prediction"], true);
        assert_eq!(cfg["slasim"]["model"], "Qwen/Qwen3-32B");
        assert_eq!(cfg["slasim"]["deployment"], "disagg P1xTP1 D1xTP2");
        assert_eq!(cfg["slasim"]["seed"], 1);
        assert_eq!(cfg["slasim"]["load"], level);
        assert_eq!(cfg["loadgen"]["concurrency"].as_u64(), level[1..].parse::<u64>().ok());
        assert_eq!(agg["source"], "slasim");

        let recs = records(&run.join("profile_export.jsonl"));
        let rows = csv_rows(&t.path().join(format!("req-{level}.csv")));
        assert_eq!(recs.len(), 100);
        assert_eq!(recs.len(), rows.len());
        for (i, (rec, row)) in recs.iter().zip(&rows).enumerate() {
            let md = &rec["metadata"];
            for k in [
                "session_num",
                "x_request_id",
                "request_start_ns",
                "request_end_ns",
                "worker_id",
                "record_processor_id",
                "benchmark_phase",
            ] {
                assert!(!md[k].is_null(), "{level} line {i}: metadata.{k} missing: {md}");
            }
            assert_eq!(md["session_num"].as_u64(), Some(i as u64));
            assert_eq!(md["x_request_id"].as_str(), Some(row["request_id"].as_str()));
            assert_eq!(md["benchmark_phase"], "profiling");
            let start = md["request_start_ns"].as_u64().unwrap();
            let end = md["request_end_ns"].as_u64().unwrap();
            assert_eq!(
                start as f64 / 1e9,
                num(row, "arrived_at").unwrap(),
                "{level} line {i}: start"
            );
            assert_eq!(
                metric(rec, "time_to_first_token"),
                num(row, "ttft_ms"),
                "{level} line {i}"
            );
            assert_eq!(metric(rec, "time_to_first_output_token"), num(row, "ttft_ms"));
            assert_eq!(
                metric(rec, "inter_token_latency"),
                num(row, "itl_ms"),
                "{level} line {i}"
            );
            assert_eq!(metric(rec, "request_latency"), num(row, "e2e_ms"), "{level} line {i}");
            assert_eq!((end - start) as f64 / 1e6, num(row, "e2e_ms").unwrap());
            assert_eq!(
                metric(rec, "input_sequence_length"),
                num(row, "request_num_prefill_tokens")
            );
            assert_eq!(
                metric(rec, "output_sequence_length"),
                num(row, "request_num_decode_tokens")
            );
            assert_eq!(metric(rec, "output_token_count"), num(row, "request_num_decode_tokens"));
            let itl = num(row, "itl_ms").unwrap();
            assert_eq!(metric(rec, "output_token_throughput_per_user"), Some(1000.0 / itl));
            assert!(rec["error"].is_null());
            compared += 1;
        }
        // the aggregate in the directory is the --aiperf-json export (plus the prediction marks)
        let ttft_p50 = agg["time_to_first_token"]["p50"].as_f64().unwrap();
        let mut ttfts: Vec<f64> = recs.iter().map(|r| metric(r, "time_to_first_token").unwrap()).collect();
        ttfts.sort_by(f64::total_cmp);
        let mid = (ttfts[49] + ttfts[50]) / 2.0;
        assert!(
            (ttft_p50 - mid).abs() < 1e-9,
            "{level}: aggregate p50 {ttft_p50} vs records {mid}"
        );
    }
    assert_eq!(compared, 400);
}

#[test]
fn one_level_writes_the_run_directory_itself_and_is_byte_identical_per_seed() {
    let t = tempfile::tempdir().unwrap();
    let a = t.path().join("a");
    let b = t.path().join("b");
    std::fs::create_dir(&b).unwrap(); // an empty directory is accepted
    for d in [&a, &b] {
        ok(&[
            "simulate",
            "--concurrency",
            "4",
            "--requests",
            "30",
            "--aiperf-dir",
            &s(d),
        ]);
        assert_eq!(names(d), ["profile_export.jsonl", "profile_export_aiperf.json"]);
    }
    for f in ["profile_export.jsonl", "profile_export_aiperf.json"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
    assert_eq!(records(&a.join("profile_export.jsonl")).len(), 30);
}

#[test]
fn a_file_or_a_directory_holding_another_run_is_refused_and_nothing_is_written() {
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("afile");
    std::fs::write(&file, "keep").unwrap();
    let e = bad_input(&["simulate", "--aiperf-dir", &s(&file)]);
    assert!(e.contains("--aiperf-dir") && e.contains("not a directory"), "{e}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep");

    let run = t.path().join("run");
    ok(&[
        "simulate",
        "--concurrency",
        "2",
        "--requests",
        "10",
        "--aiperf-dir",
        &s(&run),
    ]);
    let before = std::fs::read(run.join("profile_export.jsonl")).unwrap();
    let e = bad_input(&["simulate", "--aiperf-dir", &s(&run)]);
    assert!(
        e.contains("--aiperf-dir") && e.contains("not empty") && e.contains("another run"),
        "{e}"
    );
    assert_eq!(
        std::fs::read(run.join("profile_export.jsonl")).unwrap(),
        before,
        "the other run is untouched"
    );
    let e = bad_input(&[
        "calibrate",
        "--hw-run",
        &s(&run.join("profile_export_aiperf.json")),
        "--aiperf-dir",
        &s(&run),
    ]);
    assert!(e.contains("--aiperf-dir") && e.contains("not empty"), "{e}");

    let other = t.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "x").unwrap();
    let e = bad_input(&["simulate", "--aiperf-dir", &s(&other)]);
    assert!(e.contains("not empty"), "{e}");
    assert_eq!(names(&other), ["notes.txt"]);
    assert_eq!(names(t.path()), ["afile", "other", "run"], "no temp dir left behind");
}

#[test]
fn a_run_too_large_to_keep_per_request_is_refused_before_simulating() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("big");
    let e = bad_input(&[
        "simulate",
        "--rps",
        "1000",
        "--requests",
        "3000000",
        "--aiperf-dir",
        &s(&d),
    ]);
    assert!(e.contains("--aiperf-dir"), "{e}");
    assert!(names(t.path()).is_empty());
}

fn shipped_run(name: &str) -> PathBuf {
    repo()
        .join("calibration/runs/qwen3-32b-h200-trtllm-aic")
        .join(format!("{name}.json"))
}

#[test]
fn calibrate_writes_each_runs_twin_beside_the_measured_run() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("cal");
    let cal = repo().join("calibration/qwen3-32b-h200-trtllm-aic.json");
    let o = super::util::run(&[
        "calibrate",
        "--calibration",
        &s(&cal),
        "--hw-run",
        &s(&shipped_run("idle")),
        "--hw-run",
        &s(&shipped_run("medium")),
        "--aiperf-dir",
        &s(&d),
    ]);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(names(&d), ["idle", "medium"]);
    for run in ["idle", "medium"] {
        assert_eq!(names(&d.join(run)), ["measured", "simulated"]);
        assert_eq!(
            names(&d.join(run).join("simulated")),
            ["profile_export.jsonl", "profile_export_aiperf.json"]
        );
        let sim: Value =
            serde_json::from_slice(&std::fs::read(d.join(run).join("simulated/profile_export_aiperf.json")).unwrap())
                .unwrap();
        assert_eq!(sim["input_config"]["slasim"]["calibrated"], true);
        assert_eq!(
            sim["input_config"]["endpoint"]["model_names"][0],
            "Qwen/Qwen3-32B (slasim, calibrated)"
        );
        assert_eq!(records(&d.join(run).join("simulated/profile_export.jsonl")).len(), 100);
        // the shipped runs are aggregate exports alone: a byte copy beside an empty records
        // file (so AIPerf counts the directory as a run), no made-up per-request records
        let m = d.join(run).join("measured");
        assert_eq!(names(&m), ["profile_export.jsonl", "profile_export_aiperf.json"]);
        assert_eq!(
            std::fs::read(m.join("profile_export_aiperf.json")).unwrap(),
            std::fs::read(shipped_run(run)).unwrap()
        );
        assert!(std::fs::read(m.join("profile_export.jsonl")).unwrap().is_empty());
    }
}

#[cfg(unix)]
#[test]
fn calibrate_links_a_measured_run_directory_that_has_per_request_records() {
    let t = tempfile::tempdir().unwrap();
    // an AIPerf run directory with both files (here written by slasim, standing in for AIPerf)
    let real = t.path().join("artifacts/c4");
    ok(&[
        "simulate",
        "--concurrency",
        "4",
        "--requests",
        "20",
        "--aiperf-dir",
        &s(&real),
    ]);
    let d = t.path().join("cal");
    let o = super::util::run(&[
        "calibrate",
        "--hw-run",
        &s(&real.join("profile_export_aiperf.json")),
        "--aiperf-dir",
        &s(&d),
    ]);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(names(&d), ["c4"]);
    let link = d.join("c4/measured");
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        std::fs::canonicalize(&real).unwrap()
    );
    assert_eq!(
        names(&d.join("c4/simulated")),
        ["profile_export.jsonl", "profile_export_aiperf.json"]
    );
}
