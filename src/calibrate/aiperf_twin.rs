//! `calibrate --aiperf-dir DIR`: per hardware run, its simulated twin as an AIPerf run
//! directory beside the measured run, so `aiperf plot DIR` draws measured and simulated together.
//!
//! Layout (one sub-directory per run, named by the run's name, a repeated name suffixed `-2`, …):
//! * `DIR/RUN/simulated/` — the twin: the run's simulation at the calibration the report ends
//!   with (the fitted parameters with `--fit`, else the given `--calibration`, else none), with
//!   the run's first seed, written as [`crate::sim::aiperf_export`] does.
//! * `DIR/RUN/measured` — only for runs read from an AIPerf export (`profile_export_aiperf.json`
//!   layout):
//!   - when the file sits in an AIPerf run directory that also holds the per-request
//!     `profile_export.jsonl`, a symbolic link to that directory (absolute path): AIPerf loads
//!     the measured run as it wrote it;
//!   - otherwise (an aggregate export alone, like the shipped `calibration/runs/`), a directory
//!     with a byte copy of the export as `profile_export_aiperf.json` and an **empty**
//!     `profile_export.jsonl`: the export has no per-request records and none is made up. AIPerf
//!     0.13.0 does not count a directory with the aggregate alone as a run ("no valid run
//!     directories"); with the empty records file it does, and its multi-run plots and
//!     dashboard (which read only the aggregate) draw the measured run. Opened alone, AIPerf's
//!     single-run view (per-request plots) refuses it: "No valid records found in JSONL file".
//!
//! Runs from other formats (the SPEC template, vLLM benchmark results, silicon CSV rows) get the
//! simulated twin only.

use super::hwrun::RunFormat;
use super::targets::Target;
use crate::error::{Error, Result};
use crate::metrics::aiperf_dir::{write_dir, DirEntry, AIPERF_JSONL_FILE, AIPERF_JSON_FILE};
use crate::sim::aiperf_export::{sim_run_entries, unique_names};
use crate::sim::calibration::Calibration;
use crate::sim::{simulate, MetricsMode};
use std::path::{Path, PathBuf};

/// The `measured` entry of a run read from an AIPerf export at `file`: a link to its run
/// directory when that directory has the per-request records, else a copy of the export and an
/// empty records file. Nothing for other formats.
fn measured_entries(prefix: &Path, t: &Target) -> Result<Vec<DirEntry>> {
    if t.run.format != RunFormat::Aiperf {
        return Ok(vec![]);
    }
    let file = PathBuf::from(&t.run.file);
    let in_run_dir = file.file_name().is_some_and(|n| n == AIPERF_JSON_FILE);
    let parent = file.parent().map(|p| {
        if p.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            p.to_path_buf()
        }
    });
    if let Some(dir) = parent.filter(|d| in_run_dir && d.join(AIPERF_JSONL_FILE).is_file()) {
        let target = std::fs::canonicalize(&dir).map_err(|e| Error::io(&dir, "cannot resolve", e))?;
        return Ok(vec![DirEntry::Link {
            path: prefix.join("measured"),
            target,
        }]);
    }
    let bytes = crate::error::read_file(&file)?;
    Ok(vec![
        DirEntry::File {
            path: prefix.join("measured").join(AIPERF_JSON_FILE),
            bytes,
        },
        DirEntry::File {
            path: prefix.join("measured").join(AIPERF_JSONL_FILE),
            bytes: Vec::new(),
        },
    ])
}

/// Writes `DIR` (layout in the module docs) for `targets` simulated under `cal`, atomically;
/// a file or non-empty `dir` is a usage error of `flag`, and nothing is written.
pub fn write_twin_dir(dir: &Path, flag: &str, targets: &[Target], cal: &Calibration) -> Result<()> {
    let names = unique_names(&targets.iter().map(|t| t.run.name.clone()).collect::<Vec<_>>());
    let mut entries = Vec::new();
    for (t, name) in targets.iter().zip(names) {
        let mut spec = t.spec_at(cal, t.seeds.first().copied().unwrap_or(t.spec.workload.seed));
        spec.metrics = MetricsMode::Exact;
        let out = simulate(&spec)?;
        let prefix = PathBuf::from(&name);
        entries.extend(sim_run_entries(&prefix.join("simulated"), &spec, &out, flag)?);
        entries.extend(measured_entries(&prefix, t)?);
    }
    write_dir(dir, flag, &entries)
}
