//! Summaries and tables of a validation.

use super::{SetResult, Split, Summary, Validation};
use crate::calibrate::compare::Metric;
use std::collections::BTreeSet;
use std::fmt::Write;

/// Per set, condition, split and metric: the error statistics. A calibrated condition gets a
/// `held-out` line besides `all` when the calibration was fitted on some of the rows.
pub fn summarise(sets: &[SetResult]) -> Vec<Summary> {
    let mut out = Vec::new();
    for s in sets {
        for c in &s.conditions {
            let splits: &[Split] = if c.rows.iter().any(|r| r.fitted) {
                &[Split::All, Split::HeldOut]
            } else {
                &[Split::All]
            };
            let metrics: BTreeSet<Metric> = c.rows.iter().flat_map(|r| r.metrics.keys().copied()).collect();
            for &split in splits {
                for &m in &metrics {
                    let errs: Vec<f64> = c
                        .rows
                        .iter()
                        .filter(|r| split == Split::All || !r.fitted)
                        .filter_map(|r| r.metrics.get(&m))
                        .map(|x| x.error_pct)
                        .collect();
                    if errs.is_empty() {
                        continue;
                    }
                    let mut abs: Vec<f64> = errs.iter().map(|e| e.abs()).collect();
                    abs.sort_by(f64::total_cmp);
                    let n = abs.len();
                    let median = if n % 2 == 1 {
                        abs[n / 2]
                    } else {
                        0.5 * (abs[n / 2 - 1] + abs[n / 2])
                    };
                    out.push(Summary {
                        set: s.name.clone(),
                        condition: c.condition.clone(),
                        split,
                        metric: m,
                        rows: n,
                        mape_pct: abs.iter().sum::<f64>() / n as f64,
                        median_ape_pct: median,
                        max_ape_pct: abs[n - 1],
                        bias_pct: errs.iter().sum::<f64>() / n as f64,
                    });
                }
            }
        }
    }
    out
}

/// The metrics shown as columns of the summary table (others are in the JSON).
const TABLE_METRICS: [Metric; 8] = [
    Metric::TtftP50,
    Metric::TtftMean,
    Metric::TpotP50,
    Metric::TpotMean,
    Metric::E2eP50,
    Metric::E2eMean,
    Metric::E2eP99,
    Metric::ThroughputTokenS,
];

/// The per-set summary table: one line per set × condition × split, one column per metric
/// giving `MAPE (median)` in %.
pub fn table(v: &Validation) -> String {
    let mut s = String::new();
    let cols: Vec<Metric> = TABLE_METRICS
        .iter()
        .copied()
        .filter(|m| v.summary.iter().any(|x| x.metric == *m))
        .collect();
    let _ = writeln!(
        s,
        "MAPE % (median % in parentheses) of predicted vs measured, per data set"
    );
    let _ = write!(s, "{:<30} {:<13} {:<9} {:>4}", "set", "condition", "split", "n");
    for m in &cols {
        let _ = write!(s, " {:>15}", m.key());
    }
    let _ = writeln!(s);
    let width = 30 + 1 + 13 + 1 + 9 + 1 + 4 + cols.len() * 16;
    let _ = writeln!(s, "{}", "-".repeat(width));
    for set in &v.sets {
        let mut first = true;
        for c in &set.conditions {
            for split in [Split::All, Split::HeldOut] {
                let lines: Vec<&Summary> = v
                    .summary
                    .iter()
                    .filter(|x| x.set == set.name && x.condition == c.condition && x.split == split)
                    .collect();
                if lines.is_empty() {
                    continue;
                }
                let n = lines.iter().map(|x| x.rows).max().unwrap_or(0);
                let _ = write!(
                    s,
                    "{:<30} {:<13} {:<9} {:>4}",
                    if first { set.name.as_str() } else { "" },
                    c.condition,
                    split.name(),
                    n
                );
                first = false;
                for m in &cols {
                    match lines.iter().find(|x| x.metric == *m) {
                        Some(x) => {
                            let cell = format!("{:.1} ({:.1})", x.mape_pct, x.median_ape_pct);
                            let _ = write!(s, " {cell:>15}");
                        }
                        None => {
                            let _ = write!(s, " {:>15}", "-");
                        }
                    }
                }
                let _ = writeln!(s);
            }
        }
    }
    s
}

/// Every row: measured, predicted and signed error of each metric.
pub fn rows_table(v: &Validation) -> String {
    let mut s = String::new();
    for set in &v.sets {
        let _ = writeln!(s, "\n{} — {}", set.name, set.description);
        let _ = writeln!(s, "profile {} · {}", set.profile, set.simulation);
        for c in &set.conditions {
            let label = match &c.calibration {
                Some(f) => format!("{} ({f})", c.condition),
                None => c.condition.clone(),
            };
            let _ = writeln!(s, "  {label}");
            let _ = writeln!(
                s,
                "  {:<34} {:<12} {:>12} {:>12} {:>9}",
                "row", "metric", "measured", "predicted", "error %"
            );
            for r in &c.rows {
                let mut first = true;
                for (m, x) in &r.metrics {
                    let id = if first {
                        format!("{}{}", r.id, if r.fitted { " [fit]" } else { "" })
                    } else {
                        String::new()
                    };
                    first = false;
                    let _ = writeln!(
                        s,
                        "  {:<34} {:<12} {:>12.2} {:>12.2} {:>+9.1}",
                        id,
                        m.key(),
                        x.hw,
                        x.sim,
                        x.error_pct
                    );
                }
            }
        }
    }
    s
}
