//! The calibration report: per run and metric hw / sim / error / status, MAPE (fitted and
//! held-out runs apart), gates, parameters — as JSON (SPEC §7) and as a terminal table.

use super::compare::{compare, gates, mape, Gates, Metric, MetricComparison};
use super::targets::{simulate_target, Target};
use crate::error::Result;
use crate::output::text_table;
use crate::sim::calibration::Calibration;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// One run in the report.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// Run name.
    pub name: String,
    /// The file it came from.
    pub file: String,
    /// Held out of the fit.
    pub holdout: bool,
    /// Per metric (SPEC §7 keys).
    #[serde(serialize_with = "ser_metrics")]
    pub metrics: BTreeMap<Metric, MetricComparison>,
}

fn ser_metrics<S: serde::Serializer>(m: &BTreeMap<Metric, MetricComparison>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(m.len()))?;
    for (k, v) in m {
        map.serialize_entry(k.key(), v)?;
    }
    map.end()
}

fn ser_mape<S: serde::Serializer>(m: &BTreeMap<Metric, f64>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(m.len()))?;
    for (k, v) in m {
        map.serialize_entry(k.key(), v)?;
    }
    map.end()
}

/// An evaluation of one calibration over all targets.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// Per run.
    pub runs: Vec<RunReport>,
    /// MAPE per metric over the fitted (non-held-out) runs.
    #[serde(serialize_with = "ser_mape")]
    pub mape_pct: BTreeMap<Metric, f64>,
    /// MAPE per metric over the held-out runs.
    #[serde(serialize_with = "ser_mape")]
    pub holdout_mape_pct: BTreeMap<Metric, f64>,
    /// Gates, evaluated over every run (fitted and held out).
    pub gates: Gates,
    /// The calibration evaluated.
    pub parameters: Calibration,
}

/// Evaluates `cal` on every target (in parallel).
pub fn evaluate(targets: &[Target], cal: &Calibration, strict_pct: f64, loose_pct: f64) -> Result<Evaluation> {
    let sims: Vec<Result<BTreeMap<Metric, f64>>> = targets.par_iter().map(|t| simulate_target(t, cal)).collect();
    let mut runs = Vec::new();
    for (t, s) in targets.iter().zip(sims) {
        let s = s?;
        runs.push(RunReport {
            name: t.run.name.clone(),
            file: t.run.file.clone(),
            holdout: t.holdout,
            metrics: compare(&t.run, &s),
        });
    }
    let mape_pct = mape(runs.iter().filter(|r| !r.holdout).map(|r| &r.metrics));
    let holdout_mape_pct = mape(runs.iter().filter(|r| r.holdout).map(|r| &r.metrics));
    let per_run: Vec<_> = runs.iter().map(|r| (r.file.as_str(), &r.metrics)).collect();
    let gates = gates(&per_run, strict_pct, loose_pct);
    Ok(Evaluation {
        gates,
        runs,
        mape_pct,
        holdout_mape_pct,
        parameters: cal.clone(),
    })
}

/// Leave-one-out result of one run.
#[derive(Debug, Clone, Serialize)]
pub struct LooRun {
    /// The left-out run.
    pub name: String,
    /// Parameters fitted without it.
    pub parameters: Calibration,
    /// Its errors under those parameters.
    #[serde(serialize_with = "ser_metrics")]
    pub metrics: BTreeMap<Metric, MetricComparison>,
}

/// The terminal table of one or two evaluations (before → after).
pub fn table(before: &Evaluation, after: Option<&Evaluation>) -> String {
    let mut rows = vec![if after.is_some() {
        vec![
            "run",
            "metric",
            "hw",
            "sim before",
            "err % before",
            "sim after",
            "err % after",
            "status",
        ]
    } else {
        vec!["run", "metric", "hw", "sim", "err %", "status"]
    }
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>()];
    for (i, r) in before.runs.iter().enumerate() {
        let name = if r.holdout {
            format!("{} (holdout)", r.name)
        } else {
            r.name.clone()
        };
        for (k, (m, c)) in r.metrics.iter().enumerate() {
            let first = if k == 0 { name.clone() } else { String::new() };
            let mut row = vec![
                first,
                m.key().to_string(),
                fmt(c.hw),
                fmt(c.sim),
                format!("{:.1}", c.error_pct),
            ];
            match after.and_then(|a| a.runs.get(i)).and_then(|a| a.metrics.get(m)) {
                Some(a) => {
                    row.extend([fmt(a.sim), format!("{:.1}", a.error_pct), a.status.to_string()]);
                }
                None => row.push(c.status.to_string()),
            }
            rows.push(row);
        }
    }
    text_table(&rows)
}

/// MAPE and gate lines.
pub fn summary(e: &Evaluation, label: &str) -> String {
    let mut s = String::new();
    let line = |m: &BTreeMap<Metric, f64>| {
        m.iter()
            .map(|(k, v)| format!("{} {:.1}%", k.key(), v))
            .collect::<Vec<_>>()
            .join(", ")
    };
    s.push_str(&format!("MAPE ({label}, fitted runs): {}\n", line(&e.mape_pct)));
    if !e.holdout_mape_pct.is_empty() {
        s.push_str(&format!(
            "MAPE ({label}, held-out runs): {}\n",
            line(&e.holdout_mape_pct)
        ));
    }
    for (name, g) in [("strict", &e.gates.strict), ("loose", &e.gates.loose)] {
        let head = format!("gate {name} ({} MAPE < {}%)", g.metrics.join(" & "), g.threshold_pct);
        match g.mape_pct {
            _ if !g.evaluated => {
                s.push_str(&format!("{head}: not evaluated (counts as a failure)\n"));
                s.push_str(&format!("  → {}\n", g.missing_text()));
            }
            Some(v) => {
                s.push_str(&format!("{head}: {v:.1}% — {}\n", g.verdict()));
                if !g.pass {
                    s.push_str(&format!("  → {}\n", g.diagnosis));
                }
            }
            None => s.push_str(&format!("{head}: n/a — {}\n", g.verdict())),
        }
    }
    s
}

fn fmt(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Today's date (UTC) as YYYY-MM-DD, for provenance.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    // civil-from-days (Howard Hinnant's algorithm)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    format!("{:04}-{:02}-{:02}", if m <= 2 { y + 1 } else { y }, m, d)
}
