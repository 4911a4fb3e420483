//! `slasim compare-methods` marks its `--out` folder with `INCOMPLETE` from the start of a run
//! until the last output is written: a run killed part way leaves the marker (the folder is
//! recognisably not a result), a finished run removes it (also one left by an earlier killed
//! run), and a run refused for bad input leaves the folder as it was.

use crate::util;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MARKER: &str = "INCOMPLETE";

/// A small offline study (seconds of work).
fn study_args(out: &Path) -> Vec<String> {
    [
        "compare-methods",
        "--testbed",
        "llama-3.3-70b-fp8/h100/vllm",
        "--seeds",
        "2",
        "--sinusoid",
        "1:9:300",
        "--level-requests",
        "100",
        "--no-plots",
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([out.display().to_string()])
    .collect()
}

#[test]
fn a_killed_run_leaves_its_folder_marked_a_finished_run_clears_it() {
    let d = tempfile::tempdir().expect("tempdir");
    let out = d.path().join("study");
    let mut child = Command::new(util::bin())
        .args(study_args(&out))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn slasim");
    let t0 = Instant::now();
    loop {
        if out.join(MARKER).is_file() {
            child.kill().expect("kill");
            break;
        }
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("compare-methods ended ({status}) without marking {}", out.display());
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "no marker within 60 s");
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.wait();
    let text = std::fs::read_to_string(out.join(MARKER)).expect("the marker survives the kill");
    assert!(text.contains("has not finished"), "{text}");
    assert!(
        !out.join("comparison_results.json").exists(),
        "killed before the results"
    );

    // the same folder, run to the end: the outputs are there and the marker is gone
    let args = study_args(&out);
    util::ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.join("comparison_results.json").is_file());
    assert!(out.join("summary.txt").is_file());
    assert!(!out.join(MARKER).exists(), "a finished run removes the marker");

    // refused for bad input: the finished folder stays unmarked, a new folder is not created
    let mut bad = study_args(&out);
    bad.extend(["--budget".to_string(), "0".to_string()]);
    util::bad_input(&bad.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!out.join(MARKER).exists());
    assert!(out.join("comparison_results.json").is_file());
    let fresh = d.path().join("fresh");
    let mut bad = study_args(&fresh);
    bad.extend(["--budget".to_string(), "0".to_string()]);
    util::bad_input(&bad.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!fresh.exists(), "a refused run creates no folder");
}
