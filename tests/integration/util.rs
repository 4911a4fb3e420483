//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// Path of the built `slasim` binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_slasim"))
}

/// The repository root, resolved at run time: `cargo test` sets `CARGO_MANIFEST_DIR` to the
/// checkout it runs in, which is not the one the test binary was built from when `.ci/run`
/// runs the suite from a copy of the repository with the original's build cache. Falls back
/// to the build-time value when the binary is run by hand.
pub fn repo() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// The committed test fixtures (`tests/fixtures/`).
pub fn fixtures() -> PathBuf {
    repo().join("tests/fixtures")
}

/// Byte copies of the Dynamo data the tests read, in the upstream folder layout
/// (`tests/fixtures/dynamo/`, see its `SOURCE.md` and `tests/fixtures/README.md`).
pub fn dynamo_data() -> PathBuf {
    fixtures().join("dynamo")
}

/// `../shared/data` next to the repository, if it is there (it is in the project's CI, not in
/// a fresh clone). Only tests that compare a committed copy with its original use it; they
/// print why and return when it is absent, so the suite passes on a fresh clone.
pub fn shared_data() -> Option<PathBuf> {
    let p = repo().join("../shared/data");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!(
            "skipping the comparison with the original data: {} is not present",
            p.display()
        );
        None
    }
}

/// Runs `slasim ARGS` and returns its output.
pub fn run(args: &[&str]) -> Output {
    Command::new(bin()).args(args).output().expect("spawn slasim")
}

/// Runs `slasim ARGS`, asserts success, returns stdout.
pub fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "slasim {args:?} failed ({:?}):\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8 stdout")
}

/// Runs `slasim ARGS`, asserts exit code 2 with a one-line error message (no panic), returns
/// the message.
pub fn bad_input(args: &[&str]) -> String {
    let o = run(args);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(
        o.status.code(),
        Some(2),
        "slasim {args:?} should exit 2; stderr:\n{err}"
    );
    assert!(!err.contains("panicked"), "slasim {args:?} panicked:\n{err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one-line error expected, got:\n{err}"
    );
    err
}
