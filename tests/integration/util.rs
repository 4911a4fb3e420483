//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// Path of the built `slasim` binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_slasim"))
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/data` next to the repository (present in CI).
pub fn shared_data() -> PathBuf {
    repo().join("../shared/data")
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
