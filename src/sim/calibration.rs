//! Calibration parameters: the knobs that map a profile onto a real deployment (SPEC §1).
//! All are neutral by default. Stored as a small JSON file; every command that simulates takes
//! `--calibration FILE`.

use crate::error::{read_file, Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Calibration parameters. Times in ms; scales are multipliers on profile times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Calibration {
    /// Multiplies every prefill time taken from the profile (engine time: consumes capacity).
    pub prefill_time_scale: f64,
    /// Multiplies every decode-step time taken from the profile.
    pub decode_time_scale: f64,
    /// Fixed latency added to each request's TTFT that does **not** occupy an engine
    /// (frontend, tokenisation, network), ms. It delays the first token and every later token
    /// equally, so it does not change ITL.
    pub ttft_overhead_ms: f64,
    /// Added to every engine iteration (CPU scheduling, sampling, launch), ms.
    pub iteration_overhead_ms: f64,
    /// KV-transfer time per prompt token, prefill → decode worker (disagg), ms/token.
    pub kv_transfer_ms_per_token: f64,
    /// Fixed KV-transfer latency per request (disagg), ms.
    pub kv_transfer_latency_ms: f64,
    /// Time the prefill worker stays busy per request after its prefill completes (KV hand-off
    /// work on the engine: consumes prefill capacity but is not on the TTFT path), ms.
    pub prefill_handoff_ms: f64,
    /// Effective batch-size cap overriding the deployment's `max_num_seqs`, when set.
    pub max_num_seqs: Option<u32>,
    /// Effective batch-size cap of disaggregated **prefill workers** (prompts prefilled together
    /// in one iteration), when it differs from the decode side: e.g. 1 for an engine that
    /// prefills one prompt at a time. Overrides `max_num_seqs` for prefill workers only.
    pub prefill_max_num_seqs: Option<u32>,
    /// Free-form provenance (what it was fitted on, when, with what error). Not used by the
    /// simulator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<serde_json::Value>,
}

impl Default for Calibration {
    fn default() -> Self {
        Calibration {
            prefill_time_scale: 1.0,
            decode_time_scale: 1.0,
            ttft_overhead_ms: 0.0,
            iteration_overhead_ms: 0.0,
            kv_transfer_ms_per_token: 0.0,
            kv_transfer_latency_ms: 0.0,
            prefill_handoff_ms: 0.0,
            max_num_seqs: None,
            prefill_max_num_seqs: None,
            provenance: None,
        }
    }
}

impl Calibration {
    /// Reads and validates a calibration JSON file.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = read_file(path)?;
        let file = path.display().to_string();
        let c: Calibration = serde_json::from_slice(&bytes)
            .map_err(|e| Error::data(&file, "(json)", format!("is not a calibration file: {e}")))?;
        c.validate(&file)?;
        Ok(c)
    }

    /// Checks every parameter is finite and in range (the upper bounds of
    /// [`super::horizon::check_calibration_value`] by key suffix: scales ≤ 10³, times ≤ 10⁷ ms);
    /// `file` names the source in errors.
    pub fn validate(&self, file: &str) -> Result<()> {
        let scales = [
            ("prefill_time_scale", self.prefill_time_scale),
            ("decode_time_scale", self.decode_time_scale),
        ];
        for (k, v) in scales {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::data(file, k, format!("is {v}; expected a positive multiplier")));
            }
        }
        let times = [
            ("ttft_overhead_ms", self.ttft_overhead_ms),
            ("iteration_overhead_ms", self.iteration_overhead_ms),
            ("kv_transfer_ms_per_token", self.kv_transfer_ms_per_token),
            ("kv_transfer_latency_ms", self.kv_transfer_latency_ms),
            ("prefill_handoff_ms", self.prefill_handoff_ms),
        ];
        for (k, v) in times {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::data(file, k, format!("is {v}; expected a time ≥ 0 ms")));
            }
        }
        if self.max_num_seqs == Some(0) {
            return Err(Error::data(file, "max_num_seqs", "is 0; expected ≥ 1"));
        }
        if self.prefill_max_num_seqs == Some(0) {
            return Err(Error::data(file, "prefill_max_num_seqs", "is 0; expected ≥ 1"));
        }
        // Upper bounds by unit (key suffix), so no value can push simulated time past the horizon.
        super::horizon::check_calibration_fields(file, self)
    }

    /// True when every parameter is neutral.
    pub fn is_neutral(&self) -> bool {
        let mut c = self.clone();
        c.provenance = None;
        c == Calibration::default()
    }
}
