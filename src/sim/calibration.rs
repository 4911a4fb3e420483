//! Calibration parameters: the knobs that map a profile onto a real deployment (SPEC §1).
//! All are neutral by default. Stored as a small JSON file; every command that simulates takes
//! `--calibration FILE`.

use crate::error::{read_file, Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Calibration parameters: each one physical quantity some run can pin. Times in ms; scales
/// multiply profile times.
///
/// # Keys of older files
/// Files written before these names still load: `ttft_overhead_ms` is read as
/// `frontend_latency_ms` (the same quantity: latency on the TTFT path that occupies no engine);
/// `kv_transfer_ms_per_token` is still honoured when `kv_transfer_gbps` is not set (transfer
/// time per prompt token); `prefill_handoff_ms` keeps its meaning. They were fitted under the
/// earlier step rule and first-token semantics: reproduce their results with
/// `--step-model sum --first-token prefill`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Calibration {
    /// Multiplies the prefill work taken from the profile (the marginal prefill cost of each
    /// iteration; for a prefill-only worker also its fixed step cost): engine time, consumes
    /// capacity. Physical range 0.2–5.
    pub prefill_time_scale: f64,
    /// Multiplies the decode-step time taken from the profile (the marginal decode cost and, on
    /// engines with a decode surface, the fixed per-step cost). Physical range 0.2–5.
    pub decode_time_scale: f64,
    /// Latency on the TTFT path that occupies no engine (frontend, tokenisation, routing,
    /// network), ms, added to the profile's own per-request latency. It delays the first token
    /// and every later token equally, so it does not change ITL. Physical range 0–2000 ms.
    #[serde(alias = "ttft_overhead_ms")]
    pub frontend_latency_ms: f64,
    /// Added to every engine iteration (CPU scheduling, sampling, launch), ms. Physical range
    /// 0–20 ms.
    pub iteration_overhead_ms: f64,
    /// Disagg KV-transfer link bandwidth, GB/s (10⁹ bytes/s): a transfer of ISL tokens takes
    /// `kv_transfer_latency_ms + ISL × KV bytes per token ÷ bandwidth`. 0: no bandwidth term.
    /// Physical range 0.5–900 GB/s (TCP fallback … NVLink).
    pub kv_transfer_gbps: f64,
    /// Fixed KV-transfer latency per request (disagg), ms. Physical range 0–1000 ms.
    pub kv_transfer_latency_ms: f64,
    /// Older files' KV-transfer time per prompt token, ms/token; used only when
    /// `kv_transfer_gbps` is 0.
    pub kv_transfer_ms_per_token: f64,
    /// Time the prefill worker stays busy per request after its prefill step (KV hand-off work
    /// on the engine: transfer registration, completion handshake), ms: consumes prefill
    /// capacity, not on the TTFT path. Physical range 0–2000 ms.
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
            frontend_latency_ms: 0.0,
            iteration_overhead_ms: 0.0,
            kv_transfer_gbps: 0.0,
            kv_transfer_latency_ms: 0.0,
            kv_transfer_ms_per_token: 0.0,
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
            ("frontend_latency_ms", self.frontend_latency_ms),
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
        if !(self.kv_transfer_gbps.is_finite() && self.kv_transfer_gbps >= 0.0) {
            return Err(Error::data(
                file,
                "kv_transfer_gbps",
                format!(
                    "is {}; expected a link bandwidth ≥ 0 GB/s (0: no bandwidth term)",
                    self.kv_transfer_gbps
                ),
            ));
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

    /// KV-transfer time of a prompt of `isl` tokens, ms, given the model's KV bytes per token
    /// (`None`: unknown; then only the latency and the per-token time count).
    pub fn kv_transfer_ms(&self, isl: f64, kv_bytes_per_token: Option<f64>) -> f64 {
        let per_token = if self.kv_transfer_gbps > 0.0 {
            kv_bytes_per_token.unwrap_or(0.0) / (self.kv_transfer_gbps * 1e6)
        } else {
            self.kv_transfer_ms_per_token
        };
        self.kv_transfer_latency_ms + isl * per_token
    }

    /// True when every parameter is neutral.
    pub fn is_neutral(&self) -> bool {
        let mut c = self.clone();
        c.provenance = None;
        c == Calibration::default()
    }
}
