//! Which runs pin which calibration parameter.
//!
//! A fit can only be trusted for the parameters its runs constrain: idle and medium runs cannot
//! tell latency on the TTFT path from capacity on the prefill side (both raise TTFT), a
//! saturated run can. This module measures it at a calibration (the fitted one, or the current
//! one without `--fit`):
//!
//! * **sensitivity**: for every run and parameter, the change of the run's weighted log errors
//!   (the fit objective's residuals, [`super::fit::weight`]) per unit move of the parameter in
//!   its normalised search box (central differences, ±0.02 of the box) — the run **constrains**
//!   the parameter when a move of a tenth of the box changes its metrics by ≥ 1 % (norm ≥ 0.1);
//! * **identifiability**: the Gauss–Newton posterior covariance `(JᵀJ/σ² + I)⁻¹` of the
//!   parameters in box units, J the stacked sensitivities of the fitted runs, σ = 3 % the
//!   per-metric noise of a real benchmark (the spread of repeated AIPerf runs of one
//!   deployment) and `I` a weak prior as wide as the box (so a direction no run constrains gets
//!   the whole range instead of a singular matrix); a parameter is **pinned**
//!   when its 1-σ interval is within ±25 % of its value (scales) or within max(25 % of the
//!   value, 2 % of the range) (times). A parameter that trades off against another (|ρ| > 0.9)
//!   is reported with it.
//!
//! Warnings name the run that would pin what is not pinned: an idle run (concurrency 1) for the
//! latency on the TTFT path, a saturated run (a concurrency at which throughput stops growing)
//! for the prefill side's capacity, an idle run at a second prompt length to tell prefill
//! engine time from latency that does not grow with the prompt. A parameter fitted to the edge of its physical range is
//! flagged too: the runs are not explained by physical values.

use super::compare::Metric;
use super::fit::weight;
use super::hwrun::RunLoad;
use super::params::Param;
use super::targets::{simulate_target, Target};
use crate::error::Result;
use crate::sim::calibration::Calibration;
use serde::Serialize;

/// Half-step of the central differences, in units of the search box.
const STEP: f64 = 0.02;
/// Per-metric measurement noise of a real benchmark (log scale).
const NOISE: f64 = 0.03;
/// Sensitivity norm from which a run counts as constraining a parameter.
const CONSTRAINS: f64 = 0.1;

/// One parameter's identifiability.
#[derive(Debug, Clone, Serialize)]
pub struct ParamId {
    /// Calibration key.
    pub param: &'static str,
    /// Value at the evaluated calibration.
    pub value: f64,
    /// 1-σ interval under 3 % metric noise, in the parameter's unit (clamped to its range).
    pub interval: [f64; 2],
    /// Whether the runs pin it (see the module docs).
    pub pinned: bool,
    /// Runs whose metrics move with it (sensitivity norm ≥ 0.1), with the norm.
    pub constrained_by: Vec<(String, f64)>,
    /// The parameter it trades off against most, with the correlation, when |ρ| > 0.9.
    pub trades_off_with: Option<(&'static str, f64)>,
}

/// The identifiability report.
#[derive(Debug, Clone, Serialize)]
pub struct Identification {
    /// Per parameter.
    pub params: Vec<ParamId>,
    /// What is not pinned and which run would pin it.
    pub warnings: Vec<String>,
}

/// Residuals of one run under `cal`: √weight · ln(sim/hw) per reported metric, in a fixed order.
fn residuals(t: &Target, cal: &Calibration) -> Result<Vec<f64>> {
    let sim = simulate_target(t, cal)?;
    let mut v = Vec::new();
    for m in Metric::ALL {
        if let (Some(hw), Some(s)) = (m.hw(&t.run), sim.get(&m)) {
            if hw > 0.0 && *s > 0.0 {
                v.push(weight(m).sqrt() * (s / hw).ln());
            }
        }
    }
    Ok(v)
}

/// Identifiability of `params` from `targets` (the fitted runs) at `cal`.
pub fn identify(targets: &[&Target], cal: &Calibration, params: &[Param]) -> Result<Identification> {
    let k = params.len();
    // per run, per parameter: the derivative of the run's residuals
    let mut jac: Vec<Vec<Vec<f64>>> = Vec::new();
    for t in targets {
        let mut cols = Vec::new();
        for &p in params {
            let u = p.to_unit(p.get(cal));
            let (lo, hi) = ((u - STEP).max(0.0), (u + STEP).min(1.0));
            let mut a = cal.clone();
            p.set(&mut a, p.from_unit(lo));
            let mut b = cal.clone();
            p.set(&mut b, p.from_unit(hi));
            let (ra, rb) = (residuals(t, &a)?, residuals(t, &b)?);
            let d: Vec<f64> = ra.iter().zip(&rb).map(|(x, y)| (y - x) / (hi - lo)).collect();
            cols.push(d);
        }
        jac.push(cols);
    }
    // JᵀJ over every run and metric
    let mut f = vec![vec![0.0; k]; k];
    for cols in &jac {
        for i in 0..k {
            for j in 0..k {
                f[i][j] += cols[i].iter().zip(&cols[j]).map(|(a, b)| a * b).sum::<f64>();
            }
        }
    }
    // posterior covariance with a weak prior spanning the search box (1 unit of 1-σ), so a
    // direction no run constrains gets the whole range instead of making everything singular
    let prec: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| f[i][j] / (NOISE * NOISE) + if i == j { 1.0 } else { 0.0 })
                .collect()
        })
        .collect();
    let cov = invert(&prec);
    let mut out = Vec::new();
    for (i, &p) in params.iter().enumerate() {
        let v = p.get(cal);
        let u = p.to_unit(v);
        let sd = cov
            .as_ref()
            .map(|c| c[i][i].max(0.0).sqrt())
            .filter(|s| s.is_finite())
            .unwrap_or(f64::INFINITY);
        let interval = [p.from_unit(u - sd), p.from_unit(u + sd)];
        let (lo, hi) = p.bounds();
        let pinned = if sd.is_infinite() {
            false
        } else if matches!(
            p,
            Param::PrefillTimeScale | Param::DecodeTimeScale | Param::KvTransferGbps
        ) {
            interval[1] / v.max(lo) <= 1.25 && v.max(lo) / interval[0].max(1e-12) <= 1.25
        } else {
            (interval[1] - interval[0]) / 2.0 <= (0.25 * v.abs()).max(0.02 * (hi - lo))
        };
        let constrained_by = targets
            .iter()
            .zip(&jac)
            .map(|(t, cols)| (t.run.name.clone(), cols[i].iter().map(|x| x * x).sum::<f64>().sqrt()))
            .filter(|(_, n)| *n >= CONSTRAINS)
            .collect();
        let trades_off_with = cov.as_ref().and_then(|c| {
            (0..k)
                .filter(|&j| j != i)
                .map(|j| (j, c[i][j] / (c[i][i] * c[j][j]).sqrt()))
                .filter(|(_, r)| r.is_finite() && r.abs() > 0.9)
                .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
                .map(|(j, r)| (params[j].key(), r))
        });
        out.push(ParamId {
            param: p.key(),
            value: v,
            interval,
            pinned,
            constrained_by,
            trades_off_with,
        });
    }
    let mut warnings = warnings(targets, &out);
    for &p in params {
        let v = p.get(cal);
        let u = p.to_unit(v);
        let (lo, hi) = p.bounds();
        // a zero time at its lower bound is the neutral value, not a sign of misfit
        let neutral = v == 0.0 && lo == 0.0;
        if (u <= 1e-6 || u >= 1.0 - 1e-6) && !neutral {
            warnings.push(format!(
                "{} = {v:.4} sits at the edge of its physical range [{lo}, {hi}]: the model does not explain these \
                 runs with physical values — look for a structural mismatch (scheduler, deployment, first-token \
                 semantics) before trusting the fit",
                p.key()
            ));
        }
    }
    Ok(Identification { params: out, warnings })
}

/// The warnings for what is not pinned, naming the run that would pin it.
fn warnings(targets: &[&Target], ids: &[ParamId]) -> Vec<String> {
    let idle = targets.iter().any(|t| t.run.load == RunLoad::Concurrency(1));
    let mut w = Vec::new();
    for id in ids.iter().filter(|i| !i.pinned) {
        let with = id
            .trades_off_with
            .map(|(q, r)| format!(" (it trades off against {q}, correlation {r:+.2})"))
            .unwrap_or_default();
        let partner = id.trades_off_with.map(|(q, _)| q).unwrap_or("");
        let capacity_partner = matches!(partner, "prefill_time_scale" | "prefill_handoff_ms");
        let one_isl = targets.windows(2).all(|w| w[0].run.isl == w[1].run.isl);
        let hint = match id.param {
            "prefill_time_scale" | "frontend_latency_ms" | "prefill_handoff_ms"
                if one_isl
                    && id.param != partner
                    && matches!(
                        partner,
                        "frontend_latency_ms" | "prefill_time_scale" | "prefill_handoff_ms"
                    )
                    && (id.param == "prefill_time_scale" || partner == "prefill_time_scale") =>
            {
                "runs of one prompt length do not tell prefill engine time from time that does not grow with the \
                 prompt (latency on the TTFT path, the hand-off): add an idle run at another ISL; and if no run \
                 saturates the prefill workers, the prefill side's capacity is not pinned either: add a saturated \
                 run (a concurrency at which output throughput stops growing)"
                    .to_string()
            }
            "frontend_latency_ms" if capacity_partner => {
                "latency on the TTFT path and prefill engine time are not told apart: add a saturated run (a \
                 concurrency at which output throughput stops growing), whose throughput is set by engine time \
                 alone"
                    .to_string()
            }
            "prefill_time_scale" | "prefill_handoff_ms" => {
                "the prefill side's capacity is not pinned: no run saturates the prefill workers; add a saturated \
                 run (a concurrency at which output throughput stops growing)"
                    .to_string()
            }
            "frontend_latency_ms" | "kv_transfer_latency_ms" | "kv_transfer_gbps" | "kv_transfer_ms_per_token"
                if !idle =>
            {
                "the latency on the TTFT path is not pinned: add an idle run (concurrency 1, no queueing)".to_string()
            }
            "frontend_latency_ms" | "kv_transfer_latency_ms" | "kv_transfer_gbps" | "kv_transfer_ms_per_token" => {
                "latency on the TTFT path cannot be split between the frontend and the KV transfer by runs of one \
                 prompt length; keep one of them fixed, or add runs at other ISLs"
                    .to_string()
            }
            "decode_time_scale" | "iteration_overhead_ms" => {
                "decode-step time is not pinned: add runs at different batch sizes (concurrencies) with OSL > 1"
                    .to_string()
            }
            _ => "add runs that exercise it".to_string(),
        };
        w.push(format!(
            "{} = {:.4} is not pinned by these runs (1-σ range {:.4}…{:.4}){with}: {hint}",
            id.param, id.value, id.interval[0], id.interval[1]
        ));
    }
    w
}

/// Inverse of a small symmetric positive semi-definite matrix (Gauss–Jordan with partial
/// pivoting); `None` when it is singular (a pivot below 10⁻¹² of the largest diagonal entry).
fn invert(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let scale = (0..n).map(|i| a[i][i].abs()).fold(0.0, f64::max);
    if n == 0 || scale == 0.0 {
        return None;
    }
    let mut m: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            let mut r = a[i].clone();
            r.extend((0..n).map(|j| if i == j { 1.0 } else { 0.0 }));
            r
        })
        .collect();
    for col in 0..n {
        let piv = (col..n).max_by(|&i, &j| m[i][col].abs().total_cmp(&m[j][col].abs()))?;
        if m[piv][col].abs() <= 1e-12 * scale {
            return None;
        }
        m.swap(col, piv);
        let d = m[col][col];
        for v in m[col].iter_mut() {
            *v /= d;
        }
        let pivot_row = m[col].clone();
        for (i, row) in m.iter_mut().enumerate() {
            if i != col {
                let f = row[col];
                if f != 0.0 {
                    for (x, p) in row.iter_mut().zip(&pivot_row) {
                        *x -= f * p;
                    }
                }
            }
        }
    }
    Some(m.into_iter().map(|r| r[n..].to_vec()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverts_and_detects_singular() {
        let a = vec![vec![4.0, 2.0], vec![2.0, 3.0]];
        let inv = invert(&a).unwrap();
        // a · inv = I
        for (i, row) in a.iter().enumerate() {
            for j in 0..2 {
                let v: f64 = row.iter().zip(&inv).map(|(x, r)| x * r[j]).sum();
                assert!((v - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        assert!(invert(&[vec![1.0, 1.0], vec![1.0, 1.0]]).is_none());
    }
}
