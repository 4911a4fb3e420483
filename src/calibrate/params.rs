//! The calibration parameters a fit may search, their physical ranges (the search bounds) and
//! what each explains (see also [`crate::sim::calibration::Calibration`]):
//!
//! | parameter | range | explains |
//! |---|---|---|
//! | `prefill_time_scale` | 0.2–5 | engine time of prefill: raises TTFT **and** lowers prefill capacity |
//! | `decode_time_scale` | 0.2–5 | engine time of decode steps: ITL and decode capacity |
//! | `frontend_latency_ms` | 0–2000 ms | latency outside the engines (frontend, tokenisation, network): raises TTFT at every load, consumes no capacity |
//! | `prefill_handoff_ms` | 0–2000 ms | prefill-worker busy time after each prefill (KV hand-off work): lowers prefill capacity without raising idle TTFT |
//! | `iteration_overhead_ms` | 0–20 ms | CPU time per engine step: an ITL floor and scheduling delay |
//! | `kv_transfer_latency_ms` | 0–1000 ms | fixed prefill → decode hand-off delay (on the TTFT path on Dynamo's path) |
//! | `kv_transfer_gbps` | 0.5–900 GB/s | KV link bandwidth: transfer time grows with the prompt |
//! | `kv_transfer_ms_per_token` | 0–1 ms | older files' per-token transfer time |
//!
//! Which runs pin what: the idle run (concurrency 1, no queueing) pins the latency on the TTFT
//! path — `prefill_time_scale · prefill + frontend_latency_ms (+ transfer)`; a saturated run
//! pins the prefill side's capacity — `prefill_time_scale · prefill + prefill_handoff_ms`; ITL
//! at any load pins `decode_time_scale` (with `iteration_overhead_ms` nearly degenerate with it
//! when step times hardly depend on the batch: the overhead is not in the default fit). So idle
//! and saturation runs together identify the three prefill-side quantities; see
//! [`super::identify`] for what a given set of runs pins.

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
    /// Latency on the TTFT path outside the engines, ms.
    FrontendLatencyMs,
    /// Per-iteration overhead, ms.
    IterationOverheadMs,
    /// Prefill-worker busy time per request after its prefill, ms.
    PrefillHandoffMs,
    /// Fixed KV-transfer latency, ms.
    KvTransferLatencyMs,
    /// KV-transfer link bandwidth, GB/s.
    KvTransferGbps,
    /// KV-transfer time per prompt token, ms (older files).
    KvTransferMsPerToken,
}

impl Param {
    /// Every parameter.
    pub const ALL: [Param; 8] = [
        Param::PrefillTimeScale,
        Param::DecodeTimeScale,
        Param::FrontendLatencyMs,
        Param::IterationOverheadMs,
        Param::PrefillHandoffMs,
        Param::KvTransferLatencyMs,
        Param::KvTransferGbps,
        Param::KvTransferMsPerToken,
    ];

    /// The calibration-file key.
    pub fn key(self) -> &'static str {
        match self {
            Param::PrefillTimeScale => "prefill_time_scale",
            Param::DecodeTimeScale => "decode_time_scale",
            Param::FrontendLatencyMs => "frontend_latency_ms",
            Param::IterationOverheadMs => "iteration_overhead_ms",
            Param::PrefillHandoffMs => "prefill_handoff_ms",
            Param::KvTransferLatencyMs => "kv_transfer_latency_ms",
            Param::KvTransferGbps => "kv_transfer_gbps",
            Param::KvTransferMsPerToken => "kv_transfer_ms_per_token",
        }
    }

    /// Parses a key (older files' `ttft_overhead_ms` is `frontend_latency_ms`).
    pub fn parse(s: &str) -> Result<Param> {
        let s = if s == "ttft_overhead_ms" {
            "frontend_latency_ms"
        } else {
            s
        };
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

    /// Search bounds (inclusive): the documented physical range.
    pub fn bounds(self) -> (f64, f64) {
        match self {
            Param::PrefillTimeScale | Param::DecodeTimeScale => (0.2, 5.0),
            Param::FrontendLatencyMs => (0.0, 2000.0),
            Param::IterationOverheadMs => (0.0, 20.0),
            Param::PrefillHandoffMs => (0.0, 2000.0),
            Param::KvTransferLatencyMs => (0.0, 1000.0),
            Param::KvTransferGbps => (0.5, 900.0),
            Param::KvTransferMsPerToken => (0.0, 1.0),
        }
    }

    /// Scales and the bandwidth are searched on a log axis, times on a linear one.
    fn log_axis(self) -> bool {
        matches!(
            self,
            Param::PrefillTimeScale | Param::DecodeTimeScale | Param::KvTransferGbps
        )
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

    /// Normalised position of `v` in the search box (a bandwidth of 0 — no bandwidth term —
    /// sits at the fast end).
    pub fn to_unit(self, v: f64) -> f64 {
        let (lo, hi) = self.bounds();
        let v = if self == Param::KvTransferGbps && v <= 0.0 {
            hi
        } else {
            v
        };
        let v = v.clamp(lo, hi);
        if self.log_axis() {
            (v.ln() - lo.ln()) / (hi.ln() - lo.ln())
        } else {
            (v - lo) / (hi - lo)
        }
    }

    /// Distance of `v` from the neutral calibration in the prior's units: ln(v) for the time
    /// scales (neutral 1), seconds for the times (neutral 0 ms), ms for the per-token KV
    /// transfer time (neutral 0) and s/GB for the bandwidth (neutral: no bandwidth term).
    pub fn prior_deviation(self, v: f64) -> f64 {
        match self {
            Param::PrefillTimeScale | Param::DecodeTimeScale => v.max(1e-12).ln(),
            Param::KvTransferMsPerToken => v,
            Param::KvTransferGbps => {
                if v > 0.0 {
                    1.0 / v
                } else {
                    0.0
                }
            }
            _ => v / 1000.0,
        }
    }

    /// Reads the parameter from a calibration.
    pub fn get(self, c: &Calibration) -> f64 {
        match self {
            Param::PrefillTimeScale => c.prefill_time_scale,
            Param::DecodeTimeScale => c.decode_time_scale,
            Param::FrontendLatencyMs => c.frontend_latency_ms,
            Param::IterationOverheadMs => c.iteration_overhead_ms,
            Param::PrefillHandoffMs => c.prefill_handoff_ms,
            Param::KvTransferLatencyMs => c.kv_transfer_latency_ms,
            Param::KvTransferGbps => c.kv_transfer_gbps,
            Param::KvTransferMsPerToken => c.kv_transfer_ms_per_token,
        }
    }

    /// Writes the parameter into a calibration.
    pub fn set(self, c: &mut Calibration, v: f64) {
        match self {
            Param::PrefillTimeScale => c.prefill_time_scale = v,
            Param::DecodeTimeScale => c.decode_time_scale = v,
            Param::FrontendLatencyMs => c.frontend_latency_ms = v,
            Param::IterationOverheadMs => c.iteration_overhead_ms = v,
            Param::PrefillHandoffMs => c.prefill_handoff_ms = v,
            Param::KvTransferLatencyMs => c.kv_transfer_latency_ms = v,
            Param::KvTransferGbps => c.kv_transfer_gbps = v,
            Param::KvTransferMsPerToken => c.kv_transfer_ms_per_token = v,
        }
    }
}

/// The default parameters to fit: the two time scales and the frontend latency; plus the
/// prefill hand-off for disaggregated deployments (where the prefill worker is a separate
/// engine). The per-step overhead is left out (it trades off against the decode scale when step
/// times hardly depend on the batch); name it in `--fit-params` to fit it.
pub fn default_fit_params(disagg: bool) -> Vec<Param> {
    let mut v = vec![
        Param::PrefillTimeScale,
        Param::DecodeTimeScale,
        Param::FrontendLatencyMs,
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
        for p in Param::ALL {
            assert_eq!(p.prior_deviation(p.get(&neutral)), 0.0, "{p:?}");
        }
        assert!((Param::PrefillTimeScale.prior_deviation(std::f64::consts::E) - 1.0).abs() < 1e-12);
        assert_eq!(Param::FrontendLatencyMs.prior_deviation(500.0), 0.5);
        assert_eq!(Param::parse("ttft_overhead_ms").unwrap(), Param::FrontendLatencyMs);
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
