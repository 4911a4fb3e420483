//! `slasim sweep` checkpoints on wall time, not on a count of configurations: killed (SIGKILL,
//! as a preempted pod is) right after its first checkpoint, a sweep has already saved the
//! configurations finished by then — with `--checkpoint-every 0`, after the first one, where the
//! old loop saved nothing before 32 — and `--resume` completes it to the same report as an
//! uninterrupted run.

use crate::util;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// 24 configurations (TP 2/4/8 × 2 replica counts × 4 batch caps) of the measured
/// Llama-3.3-70B H100 profiles, each with a 1000-request max-rate search: about a second of
/// work, tens of milliseconds per configuration.
fn sweep_args(json: &Path, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "sweep",
        "--model",
        "nvidia/Llama-3.3-70B-Instruct-FP8",
        "--gpu",
        "h100_sxm",
        "--backend",
        "vllm",
        "--isl",
        "2048",
        "--osl",
        "256",
        "--ttft",
        "500",
        "--itl",
        "50",
        "--concurrency",
        "1,2",
        "--tp",
        "2,4,8",
        "--replicas",
        "1,2",
        "--max-num-seqs",
        "8,32,128,256",
        "--search-requests",
        "1000",
        "--json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push(json.display().to_string());
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

const CONFIGS: usize = 24;

/// The checkpoint's `results`, if the file is there (written atomically: whole or absent).
fn checkpoint_results(p: &Path) -> Option<usize> {
    let bytes = std::fs::read(p).ok()?;
    let v: Value = serde_json::from_slice(&bytes).expect("a checkpoint is always whole JSON");
    assert_eq!(v["complete"], false, "a checkpoint is marked incomplete");
    v["results"].as_array().map(Vec::len)
}

#[test]
fn a_killed_sweep_keeps_what_it_finished_and_resumes_to_the_same_report() {
    let d = tempfile::tempdir().expect("tempdir");
    let json = d.path().join("sweep.json");
    let partial = d.path().join("sweep.json.partial");
    let mut child = Command::new(util::bin())
        .args(sweep_args(&json, &["--checkpoint-every", "0"]))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn slasim");
    let t0 = Instant::now();
    let saved = loop {
        if let Some(n) = checkpoint_results(&partial).filter(|n| *n > 0) {
            child.kill().expect("kill");
            break n;
        }
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("the sweep ended ({status}) before any checkpoint appeared");
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "no checkpoint within 60 s");
        std::thread::sleep(Duration::from_millis(2));
    };
    let _ = child.wait();
    assert!(!json.exists(), "killed before the report");
    // what the file holds after the kill is at least what was seen, and not everything
    let after = checkpoint_results(&partial).expect("the checkpoint survives the kill");
    assert!(after >= saved && after < CONFIGS, "{saved} → {after} of {CONFIGS}");

    let resumed = util::ok(
        &sweep_args(&json, &["--resume"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(!resumed.is_empty());
    assert!(
        !partial.exists(),
        "the checkpoint is removed once the report is written"
    );
    let whole = d.path().join("whole.json");
    util::ok(&sweep_args(&whole, &[]).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        std::fs::read(&json).expect("resumed report") == std::fs::read(&whole).expect("whole report"),
        "the resumed sweep's report differs from an uninterrupted run's"
    );
}

#[test]
fn checkpoint_interval_is_validated() {
    let d = tempfile::tempdir().expect("tempdir");
    let json = d.path().join("s.json");
    for bad in ["-1", "nan", "1e9"] {
        let flag = format!("--checkpoint-every={bad}");
        let args = sweep_args(&json, &[&flag]);
        let err = util::bad_input(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(err.contains("--checkpoint-every"), "{err}");
    }
}
