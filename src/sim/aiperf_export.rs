//! Simulations as AIPerf run directories (`simulate --aiperf-dir`), built from a [`SimSpec`]
//! and its [`SimOutcome`]. The files and what they say are described in
//! [`crate::metrics::aiperf_dir`] and [`crate::metrics::aiperf_records`].
//!
//! Layout: one load level → `DIR` is the run directory; several → one run directory per level
//! inside `DIR`, named by the level label ([`load_label`]: `DIR/c1`, `DIR/c4`, …; a repeated
//! label gets `-2`, `-3`, …). AIPerf's `plot` searches `DIR` recursively for run directories, so
//! `aiperf plot DIR` finds every level (multi-run mode when there are several).

use super::summary::load_label;
use super::{SimOutcome, SimSpec};
use crate::error::{Error, Result};
use crate::metrics::aiperf_dir::{run_dir_entries, write_dir, DirEntry, Prediction};
use crate::metrics::AiperfContext;
use crate::workload::LoadSpec;
use std::path::{Path, PathBuf};

/// The `input_config` facts AIPerf's aggregate states for this simulation: model, load
/// (concurrency or mean request rate), completed requests, SLA.
pub fn aiperf_context(spec: &SimSpec, out: &SimOutcome) -> AiperfContext {
    AiperfContext {
        model: spec.deployment.model.clone(),
        concurrency: match spec.workload.load {
            LoadSpec::Concurrency(n) => Some(n),
            _ => None,
        },
        request_rate: match &spec.workload.load {
            LoadSpec::OpenLoop(p) => p.mean_rps(),
            _ => None,
        },
        request_count: out.metrics.requests_completed,
        sla: spec.sla,
    }
}

/// What identifies this simulation as a slasim prediction (`input_config.slasim`).
pub fn prediction(spec: &SimSpec) -> Prediction {
    let d = &spec.deployment;
    Prediction {
        model: d.model.clone(),
        deployment: d.short(),
        gpu: d.gpu.clone(),
        backend: d.backend.to_string(),
        profile: d.profile.clone(),
        seed: spec.workload.seed,
        load: load_label(&spec.workload),
        calibrated: !spec.calibration.is_neutral(),
    }
}

/// The entries of one simulated run's AIPerf directory under `prefix`. A streaming collector
/// (a run too large to keep every request) has no per-request records to write: usage error
/// of `flag`.
pub fn sim_run_entries(prefix: &Path, spec: &SimSpec, out: &SimOutcome, flag: &str) -> Result<Vec<DirEntry>> {
    if out.collector.records().is_empty() && out.metrics.requests_completed > 0 {
        return Err(Error::usage(
            flag,
            format!(
                "{}: the run's metrics were streamed (too many requests to keep each one), so there are no \
                 per-request records for profile_export.jsonl; use fewer requests",
                load_label(&spec.workload)
            ),
        ));
    }
    Ok(run_dir_entries(
        prefix,
        &out.collector,
        &aiperf_context(spec, out),
        &prediction(spec),
    ))
}

/// Sub-directory names for `labels`: the labels, a repeated one suffixed `-2`, `-3`, ….
pub fn unique_names(labels: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(labels.len());
    for l in labels {
        let mut name = l.clone();
        let mut k = 2;
        while out.contains(&name) {
            name = format!("{l}-{k}");
            k += 1;
        }
        out.push(name);
    }
    out
}

/// Writes the simulations as AIPerf run directories at `dir` (layout in the module docs),
/// atomically: a file or non-empty `dir` is a usage error of `flag` and nothing is written.
pub fn write_aiperf_dir(dir: &Path, flag: &str, specs: &[SimSpec], outcomes: &[SimOutcome]) -> Result<()> {
    let mut entries = Vec::new();
    if specs.len() == 1 {
        entries.extend(sim_run_entries(Path::new(""), &specs[0], &outcomes[0], flag)?);
    } else {
        let labels: Vec<String> = specs.iter().map(|s| load_label(&s.workload)).collect();
        for ((s, o), name) in specs.iter().zip(outcomes).zip(unique_names(&labels)) {
            entries.extend(sim_run_entries(&PathBuf::from(name), s, o, flag)?);
        }
    }
    write_dir(dir, flag, &entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_labels_get_suffixes() {
        let l: Vec<String> = ["c1", "c4", "c1", "c1"].iter().map(|s| s.to_string()).collect();
        assert_eq!(unique_names(&l), ["c1", "c4", "c1-2", "c1-3"]);
    }
}
