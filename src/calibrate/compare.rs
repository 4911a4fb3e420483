//! Comparing simulated metrics with a hardware run: absolute percentage error per metric,
//! MAPE across runs, status bands and the calibration plan's gates.

use super::hwrun::HwRun;
use crate::metrics::RunMetrics as SimMetrics;
use serde::Serialize;
use std::collections::BTreeMap;

/// A compared metric (SPEC §7 names). Means and 90th percentiles are compared whenever a run
/// reports them: AIConfigurator's outputs, its silicon points and most published ground truth are
/// means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// TTFT median, ms.
    TtftP50,
    /// TTFT 90th percentile, ms.
    TtftP90,
    /// TTFT 99th percentile, ms.
    TtftP99,
    /// TTFT mean, ms.
    TtftMean,
    /// TPOT (= ITL) median, ms.
    TpotP50,
    /// TPOT 90th percentile, ms.
    TpotP90,
    /// TPOT 99th percentile, ms.
    TpotP99,
    /// TPOT mean, ms.
    TpotMean,
    /// End-to-end latency median, ms.
    E2eP50,
    /// End-to-end latency 90th percentile, ms.
    E2eP90,
    /// End-to-end latency 99th percentile, ms.
    E2eP99,
    /// End-to-end latency mean, ms.
    E2eMean,
    /// Output-token throughput, tokens/s.
    ThroughputTokenS,
}

impl Metric {
    /// All metrics, in report order.
    pub const ALL: [Metric; 13] = [
        Metric::TtftP50,
        Metric::TtftP90,
        Metric::TtftP99,
        Metric::TtftMean,
        Metric::TpotP50,
        Metric::TpotP90,
        Metric::TpotP99,
        Metric::TpotMean,
        Metric::E2eP50,
        Metric::E2eP90,
        Metric::E2eP99,
        Metric::E2eMean,
        Metric::ThroughputTokenS,
    ];

    /// The SPEC §7 key.
    pub fn key(self) -> &'static str {
        match self {
            Metric::TtftP50 => "ttft_p50",
            Metric::TtftP90 => "ttft_p90",
            Metric::TtftP99 => "ttft_p99",
            Metric::TtftMean => "ttft_mean",
            Metric::TpotP50 => "tpot_p50",
            Metric::TpotP90 => "tpot_p90",
            Metric::TpotP99 => "tpot_p99",
            Metric::TpotMean => "tpot_mean",
            Metric::E2eP50 => "e2e_p50",
            Metric::E2eP90 => "e2e_p90",
            Metric::E2eP99 => "e2e_p99",
            Metric::E2eMean => "e2e_mean",
            Metric::ThroughputTokenS => "throughput_token_s",
        }
    }

    /// Parses a SPEC §7 key.
    pub fn parse(key: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.key() == key)
    }

    /// Unit of the values.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::ThroughputTokenS => "tokens/s",
            _ => "ms",
        }
    }

    /// The run's measured value, if it reports this metric.
    pub fn hw(self, r: &HwRun) -> Option<f64> {
        let m = &r.metrics;
        match self {
            Metric::TtftP50 => m.ttft_p50_ms,
            Metric::TtftP90 => m.ttft_p90_ms,
            Metric::TtftP99 => m.ttft_p99_ms,
            Metric::TtftMean => m.ttft_mean_ms,
            Metric::TpotP50 => m.tpot_p50_ms,
            Metric::TpotP90 => m.tpot_p90_ms,
            Metric::TpotP99 => m.tpot_p99_ms,
            Metric::TpotMean => m.tpot_mean_ms,
            Metric::E2eP50 => m.e2e_p50_ms,
            Metric::E2eP90 => m.e2e_p90_ms,
            Metric::E2eP99 => m.e2e_p99_ms,
            Metric::E2eMean => m.e2e_mean_ms,
            Metric::ThroughputTokenS => m.throughput_token_s,
        }
    }

    /// The simulated value.
    pub fn sim(self, m: &SimMetrics) -> f64 {
        match self {
            Metric::TtftP50 => m.ttft_ms.p50,
            Metric::TtftP90 => m.ttft_ms.p90,
            Metric::TtftP99 => m.ttft_ms.p99,
            Metric::TtftMean => m.ttft_ms.mean,
            Metric::TpotP50 => m.tpot_ms.p50,
            Metric::TpotP90 => m.tpot_ms.p90,
            Metric::TpotP99 => m.tpot_ms.p99,
            Metric::TpotMean => m.tpot_ms.mean,
            Metric::E2eP50 => m.e2e_latency_s.p50 * 1000.0,
            Metric::E2eP90 => m.e2e_latency_s.p90 * 1000.0,
            Metric::E2eP99 => m.e2e_latency_s.p99 * 1000.0,
            Metric::E2eMean => m.e2e_latency_s.mean * 1000.0,
            Metric::ThroughputTokenS => m.throughput_token_s,
        }
    }
}

pub use super::verify::status;

/// One metric of one run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MetricComparison {
    /// Measured value.
    pub hw: f64,
    /// Simulated value.
    pub sim: f64,
    /// |sim − hw| / hw × 100.
    pub error_pct: f64,
    /// Status band of the error.
    pub status: &'static str,
}

/// Compares simulated metrics (averaged over seeds) with a run's measured ones.
pub fn compare(run: &HwRun, sim: &BTreeMap<Metric, f64>) -> BTreeMap<Metric, MetricComparison> {
    let mut out = BTreeMap::new();
    for m in Metric::ALL {
        if let (Some(hw), Some(&s)) = (m.hw(run), sim.get(&m)) {
            if hw > 0.0 && hw.is_finite() {
                let e = (s - hw).abs() / hw * 100.0;
                out.insert(
                    m,
                    MetricComparison {
                        hw,
                        sim: s,
                        error_pct: e,
                        status: status(e),
                    },
                );
            }
        }
    }
    out
}

/// MAPE per metric over the given per-run comparisons (metrics no run reports are absent).
pub fn mape<'a>(runs: impl Iterator<Item = &'a BTreeMap<Metric, MetricComparison>>) -> BTreeMap<Metric, f64> {
    let mut sum: BTreeMap<Metric, (f64, usize)> = BTreeMap::new();
    for r in runs {
        for (m, c) in r {
            let e = sum.entry(*m).or_insert((0.0, 0));
            e.0 += c.error_pct;
            e.1 += 1;
        }
    }
    sum.into_iter().map(|(m, (s, n))| (m, s / n as f64)).collect()
}

/// A metric of a gate that some runs do not report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissingMetric {
    /// The metric (SPEC §7 key).
    pub metric: &'static str,
    /// The run files that lack it (all of them when none reports it; empty when there are no
    /// runs at all).
    pub runs: Vec<String>,
}

/// A tolerance gate.
#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    /// Threshold, %.
    pub threshold_pct: f64,
    /// The gated MAPE (the largest of the gate's metrics' MAPE over every run), % — null when
    /// the gate is not evaluated.
    pub mape_pct: Option<f64>,
    /// Whether the gate passes: it is evaluated and its MAPE is under the threshold.
    pub pass: bool,
    /// Whether every run reports every metric of the gate. A gate with a metric missing in any
    /// run is "not evaluated" and does not pass: a MAPE over the metrics that happen to be
    /// there (TPOT alone for runs without TTFT) would pass a gate nothing has checked.
    pub evaluated: bool,
    /// The gate's metrics that runs lack (empty when evaluated).
    pub missing: Vec<MissingMetric>,
    /// Metrics the gate looks at.
    pub metrics: Vec<&'static str>,
    /// What a failure points at.
    pub diagnosis: &'static str,
}

impl Gate {
    /// "PASS", "FAIL" or "not evaluated".
    pub fn verdict(&self) -> &'static str {
        if !self.evaluated {
            "not evaluated"
        } else if self.pass {
            "PASS"
        } else {
            "FAIL"
        }
    }

    /// Which metrics are missing where, for a terminal line (empty when evaluated).
    pub fn missing_text(&self) -> String {
        self.missing
            .iter()
            .map(|m| match m.runs.len() {
                0 => format!("{}: no runs", m.metric),
                1 => format!("{} missing in {}", m.metric, m.runs[0]),
                n => {
                    // a silicon CSV gives many runs from one file: name each file once
                    let mut files: Vec<&str> = Vec::new();
                    for r in &m.runs {
                        if !files.contains(&r.as_str()) {
                            files.push(r);
                        }
                    }
                    let shown = files.iter().take(3).copied().collect::<Vec<_>>().join(", ");
                    let more = if files.len() > 3 {
                        format!(", and {} more files", files.len() - 3)
                    } else {
                        String::new()
                    };
                    format!("{} missing in {n} runs ({shown}{more})", m.metric)
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Both gates of the calibration plan.
#[derive(Debug, Clone, Serialize)]
pub struct Gates {
    /// TTFT and TPOT P50 MAPE < 5 %.
    pub strict: Gate,
    /// E2E P99 MAPE < 15 % (10 % with `--tight`).
    pub loose: Gate,
}

impl Gates {
    /// Both are evaluated and pass.
    pub fn pass(&self) -> bool {
        self.strict.pass && self.loose.pass
    }
}

/// One run's comparisons, named by its file.
pub type RunComparisons<'a> = (&'a str, &'a BTreeMap<Metric, MetricComparison>);

fn gate(runs: &[RunComparisons], metrics: &[Metric], threshold: f64, diagnosis: &'static str) -> Gate {
    let missing: Vec<MissingMetric> = metrics
        .iter()
        .filter_map(|m| {
            let lacking: Vec<String> = runs
                .iter()
                .filter(|(_, c)| !c.contains_key(m))
                .map(|(f, _)| f.to_string())
                .collect();
            (runs.is_empty() || !lacking.is_empty()).then_some(MissingMetric {
                metric: m.key(),
                runs: lacking,
            })
        })
        .collect();
    let evaluated = missing.is_empty();
    let all = mape(runs.iter().map(|(_, c)| *c));
    let worst = metrics
        .iter()
        .filter_map(|m| all.get(m).copied())
        .fold(None, |a: Option<f64>, v| Some(a.map_or(v, |a| a.max(v))))
        .filter(|_| evaluated);
    Gate {
        threshold_pct: threshold,
        mape_pct: worst,
        pass: worst.is_some_and(|w| w < threshold),
        evaluated,
        missing,
        metrics: metrics.iter().map(|m| m.key()).collect(),
        diagnosis,
    }
}

/// Strict gate diagnosis.
pub const STRICT_DIAGNOSIS: &str =
    "TTFT/TPOT medians are off: the compute/bandwidth profile does not match the hardware — \
re-profile prefill/decode, or fit the time scales (calibrate --fit)";
/// Loose gate diagnosis.
pub const LOOSE_DIAGNOSIS: &str =
    "E2E tail is off: scheduler/queue parameters — check the batch-size cap (max_num_seqs) \
and the per-iteration CPU overhead (iteration_overhead_ms)";

/// Evaluates the gates over every run's comparisons (fitted and held out).
pub fn gates(runs: &[RunComparisons], strict_pct: f64, loose_pct: f64) -> Gates {
    Gates {
        strict: gate(runs, &[Metric::TtftP50, Metric::TpotP50], strict_pct, STRICT_DIAGNOSIS),
        loose: gate(runs, &[Metric::E2eP99], loose_pct, LOOSE_DIAGNOSIS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(e: f64) -> MetricComparison {
        MetricComparison {
            hw: 100.0,
            sim: 100.0 + e,
            error_pct: e,
            status: status(e),
        }
    }

    fn run(m: &[(Metric, f64)]) -> BTreeMap<Metric, MetricComparison> {
        m.iter().map(|(k, e)| (*k, cmp(*e))).collect()
    }

    #[test]
    fn gates_use_the_worst_metric_over_every_run() {
        let a = run(&[(Metric::TtftP50, 3.0), (Metric::TpotP50, 6.0), (Metric::E2eP99, 1.0)]);
        let b = run(&[(Metric::TtftP50, 1.0), (Metric::TpotP50, 2.0), (Metric::E2eP99, 3.0)]);
        // TTFT MAPE 2 %, TPOT MAPE 4 % > 3 %
        let g = gates(&[("a", &a), ("b", &b)], 3.0, 15.0);
        assert!(g.strict.evaluated && !g.strict.pass, "{:?}", g.strict);
        assert_eq!(g.strict.mape_pct, Some(4.0));
        assert_eq!(g.strict.verdict(), "FAIL");
        assert!(g.loose.evaluated && g.loose.pass && g.loose.missing.is_empty());
        assert_eq!(g.loose.mape_pct, Some(2.0));
        assert!(!g.pass());
    }

    #[test]
    fn a_gate_with_a_missing_metric_is_not_evaluated_and_does_not_pass() {
        // TPOT alone would pass the strict gate; run b has no TTFT
        let a = run(&[(Metric::TtftP50, 1.0), (Metric::TpotP50, 1.0), (Metric::E2eP99, 1.0)]);
        let b = run(&[(Metric::TpotP50, 1.0), (Metric::E2eP99, 1.0)]);
        let g = gates(&[("a.json", &a), ("b.json", &b)], 5.0, 15.0);
        assert!(!g.strict.evaluated && !g.strict.pass && g.strict.mape_pct.is_none());
        assert_eq!(
            g.strict.missing,
            vec![MissingMetric {
                metric: "ttft_p50",
                runs: vec!["b.json".into()]
            }]
        );
        assert_eq!(g.strict.verdict(), "not evaluated");
        assert_eq!(g.strict.missing_text(), "ttft_p50 missing in b.json");
        assert!(g.loose.pass && !g.pass());
        // no run has E2E at all: every run is listed
        let g = gates(
            &[("b.json", &b), ("c.json", &run(&[(Metric::TtftP50, 1.0)]))],
            5.0,
            15.0,
        );
        assert_eq!(g.loose.missing[0].runs, ["c.json"]);
        assert_eq!(g.strict.missing[0].metric, "ttft_p50");
        assert_eq!(g.strict.missing[1].metric, "tpot_p50");
        let g = gates(&[], 5.0, 15.0);
        assert!(!g.strict.evaluated && !g.loose.evaluated && !g.pass());
        assert_eq!(g.loose.missing_text(), "e2e_p99: no runs");
    }
}
