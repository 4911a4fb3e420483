//! AIPerf run directories of simulated runs, written whole or not at all.
//!
//! A run directory holds what AIPerf's `plot` / dashboard need to detect and load a run
//! (checked against AIPerf 0.13.0, `aiperf.plot.core.mode_detector` and `data_loader`): both
//! `profile_export_aiperf.json` (the aggregate, [`MetricsCollector::aiperf_json`]) and
//! `profile_export.jsonl` (one record per request, [`super::aiperf_records`]). A directory with
//! only the aggregate is *not* a run for AIPerf ("Path does not contain any valid run
//! directories").
//!
//! The aggregate's `input_config` says the run is a slasim prediction:
//! * `endpoint.model_names` is `["MODEL (slasim)"]` (`MODEL (slasim, calibrated)` with a
//!   calibration, [`model_label`]), because AIPerf's default multi-run plots group runs by
//!   model: a prediction shown beside a measurement of the same model is then its own series
//!   instead of being joined into the measured curve;
//! * `input_config.slasim` holds the prediction's identity ([`Prediction`]): the real model
//!   name, deployment, GPU, backend, profile, seed, load level, whether calibrated. AIPerf's
//!   models allow extra fields (`extra="allow"`), and its plot loader keeps `input_config` as a
//!   plain dict, so these ride along (the dashboard shows them as `slasim.*` config columns).
//!
//! [`write_dir`] builds every file (and link) in a hidden temporary directory beside the target
//! and renames it into place at the end: an error leaves nothing behind. It refuses a target
//! that is a file, or a directory that is not empty (another run's files must not be mixed with
//! or replaced by this one's).

use super::aiperf_records::aiperf_records_jsonl;
use super::{AiperfContext, MetricsCollector};
use crate::error::{Error, Result};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The aggregate file of an AIPerf run directory.
pub const AIPERF_JSON_FILE: &str = "profile_export_aiperf.json";
/// The per-request records file of an AIPerf run directory.
pub const AIPERF_JSONL_FILE: &str = "profile_export.jsonl";

/// What makes a simulated run a slasim prediction, written to `input_config.slasim`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Prediction {
    /// The model simulated (its real name; `endpoint.model_names` carries [`model_label`]).
    pub model: String,
    /// The deployment, short form (`disagg P1xTP1 D1xTP2`).
    pub deployment: String,
    /// GPU of the profile.
    pub gpu: String,
    /// Serving backend of the profile.
    pub backend: String,
    /// Profile the step times come from (shipped name or path).
    pub profile: String,
    /// Seed of the workload (arrivals, lengths, variability).
    pub seed: u64,
    /// Load level label (`c4`, `rps20`, …).
    pub load: String,
    /// Whether a calibration (fitted or given) changed the profile's times.
    pub calibrated: bool,
}

/// One entry of a directory to write: a file with its bytes, or a symbolic link.
#[derive(Debug, Clone, PartialEq)]
pub enum DirEntry {
    /// A file at `path` (relative to the directory) holding `bytes`.
    File {
        /// Path relative to the directory written.
        path: PathBuf,
        /// Content.
        bytes: Vec<u8>,
    },
    /// A symbolic link at `path` (relative) pointing to `target` (absolute). Where symbolic
    /// links are not available, the files directly inside `target` are copied instead.
    Link {
        /// Path relative to the directory written.
        path: PathBuf,
        /// What the link points to (an absolute directory path).
        target: PathBuf,
    },
}

/// The two files of one simulated run's AIPerf directory, under `prefix` (empty: the
/// directory itself): the aggregate (marked as a prediction, see the module docs) and the
/// per-request records of `collector` (which must keep records: an exact collector).
pub fn run_dir_entries(
    prefix: &Path,
    collector: &MetricsCollector,
    ctx: &AiperfContext,
    p: &Prediction,
) -> Vec<DirEntry> {
    let mut agg = collector.aiperf_json(ctx);
    mark_prediction(&mut agg, p);
    let mut text = serde_json::to_string_pretty(&agg).unwrap_or_default();
    text.push('\n');
    vec![
        DirEntry::File {
            path: prefix.join(AIPERF_JSON_FILE),
            bytes: text.into_bytes(),
        },
        DirEntry::File {
            path: prefix.join(AIPERF_JSONL_FILE),
            bytes: aiperf_records_jsonl(collector.records()),
        },
    ]
}

/// Marks an aggregate export as a prediction: the model label and `input_config.slasim`.
fn mark_prediction(agg: &mut Value, p: &Prediction) {
    let Some(cfg) = agg.get_mut("input_config").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(ep) = cfg.get_mut("endpoint").and_then(Value::as_object_mut) {
        ep.insert("model_names".into(), json!([model_label(p)]));
    }
    let mut slasim = serde_json::Map::new();
    slasim.insert("prediction".into(), json!(true));
    slasim.insert("version".into(), json!(env!("CARGO_PKG_VERSION")));
    if let Ok(Value::Object(fields)) = serde_json::to_value(p) {
        slasim.extend(fields);
    }
    slasim.insert("timestamps".into(), json!("simulated-clock ns since simulation start"));
    cfg.insert("slasim".into(), Value::Object(slasim));
}

/// The model name AIPerf groups the run by: `MODEL (slasim)`, or `MODEL (slasim, calibrated)`
/// when a calibration changed the profile's times (so profile-only and calibrated predictions
/// are separate series too).
pub fn model_label(p: &Prediction) -> String {
    if p.calibrated {
        format!("{} (slasim, calibrated)", p.model)
    } else {
        format!("{} (slasim)", p.model)
    }
}

/// Checks that `dir` can receive a new run directory: it does not exist, or is an empty
/// directory. A file, or a directory with anything in it, is a usage error of `flag` (one line;
/// a directory holding an AIPerf run says so).
pub fn check_target(dir: &Path, flag: &str) -> Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(dir) else {
        return Ok(());
    };
    if !meta.is_dir() {
        return Err(Error::usage(
            flag,
            format!(
                "{} exists and is not a directory: give a new or empty directory",
                dir.display()
            ),
        ));
    }
    let mut it = std::fs::read_dir(dir).map_err(|e| Error::io(dir, "cannot read directory", e))?;
    if it.next().is_none() {
        return Ok(());
    }
    let holds_run = dir.join(AIPERF_JSON_FILE).exists()
        || std::fs::read_dir(dir)
            .map(|rd| rd.flatten().any(|e| e.path().join(AIPERF_JSON_FILE).exists()))
            .unwrap_or(false);
    Err(Error::usage(
        flag,
        format!(
            "{} is not empty{}: give a new or empty directory (nothing was written)",
            dir.display(),
            if holds_run {
                " (it holds another run's profile_export_aiperf.json)"
            } else {
                ""
            }
        ),
    ))
}

/// Writes `entries` as the directory `dir`, whole or not at all: everything goes to a hidden
/// temporary directory beside `dir` (`.NAME.tmpPID`), which is renamed to `dir` at the end; on
/// any error it is removed. `dir` must pass [`check_target`] (checked again here); an existing
/// empty directory is replaced. Entry paths must be relative and stay inside `dir`.
pub fn write_dir(dir: &Path, flag: &str, entries: &[DirEntry]) -> Result<()> {
    check_target(dir, flag)?;
    let name = dir
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            Error::usage(
                flag,
                format!("{}: expected a directory path with a name", dir.display()),
            )
        })?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, "cannot create directory", e))?;
    let tmp = parent.join(format!(".{name}.tmp{}", std::process::id()));
    if tmp.exists() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    let result = fill(&tmp, entries).and_then(|()| {
        if dir.is_dir() {
            // empty (checked above): a rename cannot replace a directory on every platform
            std::fs::remove_dir(dir).map_err(|e| Error::io(dir, "cannot replace the empty directory", e))?;
        }
        std::fs::rename(&tmp, dir).map_err(|e| Error::io(dir, "cannot write", e))
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

/// Writes the entries under `root` (created).
fn fill(root: &Path, entries: &[DirEntry]) -> Result<()> {
    std::fs::create_dir_all(root).map_err(|e| Error::io(root, "cannot create directory", e))?;
    for e in entries {
        let rel = match e {
            DirEntry::File { path, .. } | DirEntry::Link { path, .. } => path,
        };
        if rel.is_absolute() || rel.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
            return Err(Error::data(
                root.display().to_string(),
                rel.display().to_string(),
                "an entry path must be relative and inside the directory",
            ));
        }
        let path = root.join(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(|err| Error::io(p, "cannot create directory", err))?;
        }
        match e {
            DirEntry::File { bytes, .. } => {
                let mut f = std::fs::File::create(&path).map_err(|err| Error::io(&path, "cannot write", err))?;
                f.write_all(bytes)
                    .and_then(|()| f.sync_all())
                    .map_err(|err| Error::io(&path, "cannot write", err))?;
            }
            DirEntry::Link { target, .. } => link(target, &path)?,
        }
    }
    Ok(())
}

#[cfg(unix)]
fn link(target: &Path, path: &Path) -> Result<()> {
    std::os::unix::fs::symlink(target, path).map_err(|e| Error::io(path, "cannot create a symbolic link", e))
}

#[cfg(not(unix))]
fn link(target: &Path, path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|e| Error::io(path, "cannot create directory", e))?;
    let rd = std::fs::read_dir(target).map_err(|e| Error::io(target, "cannot read directory", e))?;
    for f in rd.flatten().filter(|f| f.path().is_file()) {
        let to = path.join(f.file_name());
        std::fs::copy(f.path(), &to).map_err(|e| Error::io(&to, "cannot write", e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(p: &str, b: &str) -> DirEntry {
        DirEntry::File {
            path: PathBuf::from(p),
            bytes: b.as_bytes().to_vec(),
        }
    }

    fn names(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_nested_files_and_leaves_no_temp_dir() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("out");
        write_dir(&d, "--aiperf-dir", &[file("c1/a.json", "1"), file("c4/a.json", "4")]).unwrap();
        assert_eq!(std::fs::read_to_string(d.join("c4/a.json")).unwrap(), "4");
        assert_eq!(names(t.path()), ["out"]);
    }

    #[test]
    fn an_empty_directory_is_replaced() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("out");
        std::fs::create_dir(&d).unwrap();
        write_dir(&d, "--aiperf-dir", &[file("x", "y")]).unwrap();
        assert_eq!(names(&d), ["x"]);
    }

    #[test]
    fn refuses_a_file_and_a_non_empty_directory() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("f");
        std::fs::write(&f, "keep").unwrap();
        let e = write_dir(&f, "--aiperf-dir", &[file("x", "y")])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--aiperf-dir: ") && e.contains("not a directory"), "{e}");
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "keep");
        let d = t.path().join("run");
        std::fs::create_dir_all(d.join("c1")).unwrap();
        std::fs::write(d.join("c1").join(AIPERF_JSON_FILE), "{}").unwrap();
        let e = write_dir(&d, "--aiperf-dir", &[file("x", "y")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("not empty") && e.contains("another run"), "{e}");
        assert_eq!(names(t.path()), ["f", "run"]);
    }

    #[test]
    fn a_bad_entry_path_leaves_nothing() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("out");
        let e = write_dir(&d, "--aiperf-dir", &[file("ok", "1"), file("../escape", "2")]);
        assert!(e.is_err());
        assert!(names(t.path()).is_empty(), "{:?}", names(t.path()));
    }

    #[cfg(unix)]
    #[test]
    fn links_point_at_their_target() {
        let t = tempfile::tempdir().unwrap();
        let real = t.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::fs::write(real.join(AIPERF_JSON_FILE), "{}").unwrap();
        let d = t.path().join("out");
        write_dir(
            &d,
            "--aiperf-dir",
            &[DirEntry::Link {
                path: PathBuf::from("run/measured"),
                target: real.clone(),
            }],
        )
        .unwrap();
        assert_eq!(std::fs::read_link(d.join("run/measured")).unwrap(), real);
        assert!(d.join("run/measured").join(AIPERF_JSON_FILE).is_file());
    }
}
