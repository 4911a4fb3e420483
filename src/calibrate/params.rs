//! The calibration parameters a fit may search, with their bounds.
//!
//! What each one explains (see also [`crate::sim::calibration::Calibration`]):
//! * `prefill_time_scale` — engine time of prefill: raises TTFT **and** lowers prefill capacity;
//! * `ttft_overhead_ms` — latency outside the engines (frontend, tokenisation, network): raises
//!   TTFT at every load but consumes no capacity;
//! * `prefill_handoff_ms` — time the prefill worker stays busy after a request's first token
//!   (KV hand-off): lowers prefill capacity without raising idle TTFT;
//! * `decode_time_scale` — engine time of decode steps: ITL and decode capacity;
//! * `iteration_overhead_ms` — CPU time per engine step: ITL floor and scheduling delay;
//! * `kv_transfer_latency_ms`, `kv_transfer_ms_per_token` — prefill → decode hand-off delay:
//!   appears in E2E and (spread over OSL − 1 tokens) in ITL, not in TTFT.
//!
//! Idle TTFT pins `prefill_time_scale · prefill + ttft_overhead`; saturation throughput pins
//! `prefill_time_scale · prefill + prefill_handoff` — so the three are identifiable from runs at
//! idle and at saturation together.

use crate::error::{Error, Result};
use crate::sim::calibration::Calibration;
use serde::Serialize;

/// A fittable parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Param {
    /// Multiplier on prefill times.
    PrefillTimeScale,
    /// Multiplier on decode-step times.
    DecodeTimeScale,
    /// Fixed TTFT latency outside the engines, ms.
    TtftOverheadMs,
    /// Per-iteration overhead, ms.
    IterationOverheadMs,
    /// Prefill-worker busy time per request after its prefill, ms.
    PrefillHandoffMs,
    /// Fixed KV-transfer latency, ms.
    KvTransferLatencyMs,
    /// KV-transfer time per prompt token, ms.
    KvTransferMsPerToken,
}

impl Param {
    /// Every parameter.
    pub const ALL: [Param; 7] = [
        Param::PrefillTimeScale,
        Param::DecodeTimeScale,
        Param::TtftOverheadMs,
        Param::IterationOverheadMs,
        Param::PrefillHandoffMs,
        Param::KvTransferLatencyMs,
        Param::KvTransferMsPerToken,
    ];

    /// The calibration-file key.
    pub fn key(self) -> &'static str {
        match self {
            Param::PrefillTimeScale => "prefill_time_scale",
            Param::DecodeTimeScale => "decode_time_scale",
            Param::TtftOverheadMs => "ttft_overhead_ms",
            Param::IterationOverheadMs => "iteration_overhead_ms",
            Param::PrefillHandoffMs => "prefill_handoff_ms",
            Param::KvTransferLatencyMs => "kv_transfer_latency_ms",
            Param::KvTransferMsPerToken => "kv_transfer_ms_per_token",
        }
    }

    /// Parses a key.
    pub fn parse(s: &str) -> Result<Param> {
        Param::ALL.iter().copied().find(|p| p.key() == s).ok_or_else(|| {
            Error::usage(
                "--fit-params",
                format!(
                    "unknown parameter `{s}`; expected one of {}",
                    Param::ALL.map(|p| p.key()).join(", ")
                ),
            )
        })
    }

    /// Search bounds (inclusive).
    pub fn bounds(self) -> (f64, f64) {
        match self {
            Param::PrefillTimeScale | Param::DecodeTimeScale => (0.1, 20.0),
            Param::TtftOverheadMs => (0.0, 10_000.0),
            Param::IterationOverheadMs => (0.0, 50.0),
            Param::PrefillHandoffMs => (0.0, 10_000.0),
            Param::KvTransferLatencyMs => (0.0, 5_000.0),
            Param::KvTransferMsPerToken => (0.0, 1.0),
        }
    }

    /// Scales are searched on a log axis, times on a linear one.
    fn log_axis(self) -> bool {
        matches!(self, Param::PrefillTimeScale | Param::DecodeTimeScale)
    }

    /// Value at normalised position `u ∈ [0, 1]` of the search box.
    pub fn from_unit(self, u: f64) -> f64 {
        let (lo, hi) = self.bounds();
        let u = u.clamp(0.0, 1.0);
        if self.log_axis() {
            (lo.ln() + u * (hi.ln() - lo.ln())).exp()
        } else {
            lo + u * (hi - lo)
        }
    }

    /// Normalised position of `v` in the search box.
    pub fn to_unit(self, v: f64) -> f64 {
        let (lo, hi) = self.bounds();
        let v = v.clamp(lo, hi);
        if self.log_axis() {
            (v.ln() - lo.ln()) / (hi.ln() - lo.ln())
        } else {
            (v - lo) / (hi - lo)
        }
    }

    /// Distance of `v` from the neutral calibration in the prior's units: ln(v) for the time
    /// scales (neutral 1), seconds for the times (neutral 0 ms) and ms for the per-token KV
    /// transfer time (neutral 0).
    pub fn prior_deviation(self, v: f64) -> f64 {
        match self {
            Param::PrefillTimeScale | Param::DecodeTimeScale => v.max(1e-12).ln(),
            Param::KvTransferMsPerToken => v,
            _ => v / 1000.0,
        }
    }

    /// Reads the parameter from a calibration.
    pub fn get(self, c: &Calibration) -> f64 {
        match self {
            Param::PrefillTimeScale => c.prefill_time_scale,
            Param::DecodeTimeScale => c.decode_time_scale,
            Param::TtftOverheadMs => c.ttft_overhead_ms,
            Param::IterationOverheadMs => c.iteration_overhead_ms,
            Param::PrefillHandoffMs => c.prefill_handoff_ms,
            Param::KvTransferLatencyMs => c.kv_transfer_latency_ms,
            Param::KvTransferMsPerToken => c.kv_transfer_ms_per_token,
        }
    }

    /// Writes the parameter into a calibration.
    pub fn set(self, c: &mut Calibration, v: f64) {
        match self {
            Param::PrefillTimeScale => c.prefill_time_scale = v,
            Param::DecodeTimeScale => c.decode_time_scale = v,
            Param::TtftOverheadMs => c.ttft_overhead_ms = v,
            Param::IterationOverheadMs => c.iteration_overhead_ms = v,
            Param::PrefillHandoffMs => c.prefill_handoff_ms = v,
            Param::KvTransferLatencyMs => c.kv_transfer_latency_ms = v,
            Param::KvTransferMsPerToken => c.kv_transfer_ms_per_token = v,
        }
    }
}

/// The default parameters to fit: the time scales and overheads; plus the prefill hand-off for
/// disaggregated deployments (where the prefill worker is a separate engine).
pub fn default_fit_params(disagg: bool) -> Vec<Param> {
    let mut v = vec![
        Param::PrefillTimeScale,
        Param::DecodeTimeScale,
        Param::TtftOverheadMs,
        Param::IterationOverheadMs,
    ];
    if disagg {
        v.push(Param::PrefillHandoffMs);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prior_deviation_is_zero_at_neutral() {
        let neutral = Calibration::default();
        for p in [
            Param::PrefillTimeScale,
            Param::DecodeTimeScale,
            Param::TtftOverheadMs,
            Param::IterationOverheadMs,
            Param::PrefillHandoffMs,
            Param::KvTransferLatencyMs,
            Param::KvTransferMsPerToken,
        ] {
            assert_eq!(p.prior_deviation(p.get(&neutral)), 0.0, "{p:?}");
        }
        assert!((Param::PrefillTimeScale.prior_deviation(std::f64::consts::E) - 1.0).abs() < 1e-12);
        assert_eq!(Param::TtftOverheadMs.prior_deviation(500.0), 0.5);
    }

    #[test]
    fn unit_mapping_round_trips() {
        for p in Param::ALL {
            let (lo, hi) = p.bounds();
            for v in [lo, (lo + hi) / 3.0, hi] {
                let back = p.from_unit(p.to_unit(v));
                assert!((back - v).abs() <= 1e-9 * v.abs().max(1.0), "{p:?} {v} {back}");
            }
        }
    }
}
