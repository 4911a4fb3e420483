//! What a profiling run cost: wall-clock minutes, GPU-hours and deployments.
//!
//! With a `profile_sla.log` the duration is measured (its last − first timestamp, see
//! [`super::log`]); otherwise it is an **estimate** by the [`CostModel`], flagged
//! `"source": "estimate"` with its assumptions spelled out in the JSON. GPU-hours and
//! deployment counts always come from the model (the log does not state them); with a log, the
//! GPU-hours are the model's mean GPUs in use × the measured duration.

use super::log::LogSpan;
use super::MethodKind;
use serde::Serialize;

/// The constants of the cost estimate. The defaults follow the test plan: online profiling
/// sweeps TP 1, 2, 4, 8 and deploys a prefill and a decode engine per TP.
#[derive(Debug, Clone, PartialEq)]
pub struct CostModel {
    /// TP sizes online profiling sweeps (default 1, 2, 4, 8).
    pub tp_sweep: Vec<u32>,
    /// Start-up of one deployment (pods scheduled, weights loaded, engine warmed up), minutes.
    pub startup_min: f64,
    /// One benchmark point (one ISL of the prefill sweep, one concurrency of the decode
    /// sweep), minutes.
    pub minutes_per_point: f64,
    /// Wall-clock of a static estimate (AIConfigurator run, no GPU), minutes.
    pub static_duration_min: f64,
}

impl Default for CostModel {
    fn default() -> Self {
        CostModel {
            tp_sweep: vec![1, 2, 4, 8],
            startup_min: 10.0,
            minutes_per_point: 2.0,
            static_duration_min: 5.0,
        }
    }
}

/// Where a cost figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CostSource {
    /// Measured from the profiling log's timestamps.
    #[serde(rename = "profile_sla.log")]
    Log,
    /// Estimated by the [`CostModel`].
    #[serde(rename = "estimate")]
    Estimate,
}

impl std::fmt::Display for CostSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CostSource::Log => "profile_sla.log",
            CostSource::Estimate => "estimate",
        })
    }
}

/// One deployment of the (estimated) profiling sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeploymentCost {
    /// `prefill` or `decode`.
    pub role: &'static str,
    /// GPUs of the engine.
    pub tp: u32,
    /// Benchmark points run on it.
    pub points: usize,
    /// Start-up + points × minutes per point, minutes.
    pub minutes: f64,
    /// TP × minutes / 60.
    pub gpu_hours: f64,
}

/// The cost of one method's profiling run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cost {
    /// Where the duration comes from (GPU-hours and deployments are always modelled).
    pub source: CostSource,
    /// Wall-clock of the profiling run, minutes.
    pub duration_min: f64,
    /// GPU-hours used.
    pub gpu_hours: f64,
    /// Engine deployments made.
    pub deployments: usize,
    /// The log's timestamps, when the duration was measured.
    pub log: Option<LogSpan>,
    /// The assumptions behind every modelled number.
    pub assumptions: Vec<String>,
    /// The modelled deployments (empty for a static estimate).
    pub breakdown: Vec<DeploymentCost>,
}

/// The estimate for a method of `kind` whose profile has `prefill_points` measured ISLs and
/// `decode_points` decode-surface points.
pub fn estimate(kind: MethodKind, prefill_points: usize, decode_points: usize, m: &CostModel) -> Cost {
    match kind {
        MethodKind::StaticEstimate => Cost {
            source: CostSource::Estimate,
            duration_min: m.static_duration_min,
            gpu_hours: 0.0,
            deployments: 0,
            log: None,
            assumptions: vec![format!(
                "static estimate: no deployment, no GPU; {} min of wall-clock for the estimator run",
                m.static_duration_min
            )],
            breakdown: Vec::new(),
        },
        MethodKind::OnlineProfiling => {
            let decode_per_tp = decode_points;
            let mut breakdown = Vec::new();
            for &tp in &m.tp_sweep {
                for (role, points) in [("prefill", prefill_points), ("decode", decode_per_tp)] {
                    let minutes = m.startup_min + points as f64 * m.minutes_per_point;
                    breakdown.push(DeploymentCost {
                        role,
                        tp,
                        points,
                        minutes,
                        gpu_hours: tp as f64 * minutes / 60.0,
                    });
                }
            }
            let sweep = m.tp_sweep.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ");
            Cost {
                source: CostSource::Estimate,
                duration_min: breakdown.iter().map(|d| d.minutes).sum(),
                gpu_hours: breakdown.iter().map(|d| d.gpu_hours).sum(),
                deployments: breakdown.len(),
                log: None,
                assumptions: vec![
                    format!(
                        "online profiling deploys a prefill and a decode engine at each TP of the sweep ({sweep}): \
                         {} deployments, one after the other",
                        breakdown.len()
                    ),
                    format!(
                        "each deployment: {} min start-up + {} min per benchmark point",
                        m.startup_min, m.minutes_per_point
                    ),
                    format!("prefill points per deployment = the profile's measured ISLs ({prefill_points})"),
                    format!(
                        "decode points per deployment = the profile's decode-surface points ({decode_points}): the \
                         surface of the selected TP is what one decode deployment's sweep measured"
                    ),
                    "GPU-hours = sum over deployments of TP x minutes / 60".into(),
                ],
                breakdown,
            }
        }
    }
}

/// The estimate with the duration measured by a log: the duration is the log's; GPU-hours
/// keep the model's mean GPUs in use (GPU-hours ÷ modelled duration), times the measured
/// duration.
pub fn with_log(est: Cost, span: &LogSpan) -> Cost {
    let mean_gpus = if est.duration_min > 0.0 {
        est.gpu_hours * 60.0 / est.duration_min
    } else {
        0.0
    };
    let mut assumptions = vec![format!(
        "duration measured from profile_sla.log: {} → {} ({} timestamps, {})",
        span.first, span.last, span.timestamped_lines, span.format
    )];
    if est.gpu_hours > 0.0 {
        assumptions.push(format!(
            "GPU-hours = the model's mean GPUs in use ({mean_gpus:.3}) x the measured duration"
        ));
    }
    if !est.assumptions.is_empty() {
        assumptions.push("GPU-hours and deployments come from the cost model, whose assumptions follow".into());
        assumptions.extend(est.assumptions);
    }
    Cost {
        source: CostSource::Log,
        duration_min: span.duration_min,
        gpu_hours: mean_gpus * span.duration_min / 60.0,
        deployments: est.deployments,
        log: Some(span.clone()),
        assumptions,
        breakdown: est.breakdown,
    }
}

#[cfg(test)]
mod tests {
    use super::super::log::TimestampFormat;
    use super::*;

    #[test]
    fn static_estimate_costs_no_gpu() {
        let c = estimate(MethodKind::StaticEstimate, 17, 36, &CostModel::default());
        assert_eq!(c.source, CostSource::Estimate);
        assert_eq!((c.duration_min, c.gpu_hours, c.deployments), (5.0, 0.0, 0));
        assert!(c.breakdown.is_empty());
    }

    #[test]
    fn online_estimate_by_the_model() {
        // online_all: 17 prefill ISLs, 7 decode points per deployment
        let c = estimate(MethodKind::OnlineProfiling, 17, 7, &CostModel::default());
        assert_eq!(c.deployments, 8);
        // per TP: prefill 10 + 17×2 = 44 min, decode 10 + 7×2 = 24 min
        assert!((c.duration_min - 4.0 * 68.0).abs() < 1e-9);
        // Σ TP = 15 → 15 × 68 / 60
        assert!((c.gpu_hours - 15.0 * 68.0 / 60.0).abs() < 1e-9);
        assert!(c.assumptions.iter().any(|a| a.contains("1, 2, 4, 8")));
        let m = CostModel {
            tp_sweep: vec![1],
            startup_min: 1.0,
            minutes_per_point: 1.0,
            static_duration_min: 0.0,
        };
        let c = estimate(MethodKind::OnlineProfiling, 2, 3, &m);
        assert_eq!(c.duration_min, 3.0 + 4.0);
    }

    #[test]
    fn log_duration_replaces_the_estimate() {
        let span = LogSpan {
            format: TimestampFormat::IsoDateTime,
            first: "a".into(),
            last: "b".into(),
            timestamped_lines: 10,
            midnight_crossings: 0,
            duration_min: 136.0,
        };
        let est = estimate(MethodKind::OnlineProfiling, 17, 7, &CostModel::default());
        let c = with_log(est.clone(), &span);
        assert_eq!(c.source, CostSource::Log);
        assert_eq!(c.duration_min, 136.0); // half the modelled 272 min
        assert!((c.gpu_hours - est.gpu_hours / 2.0).abs() < 1e-9);
        assert_eq!(c.deployments, 8);
        let s = with_log(estimate(MethodKind::StaticEstimate, 1, 1, &CostModel::default()), &span);
        assert_eq!((s.duration_min, s.gpu_hours), (136.0, 0.0));
    }
}
