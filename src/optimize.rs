//! Numerical fitting shared across the crate:
//! * derivative-free minimisation for the calibration fit ([`crate::calibrate::fit`]) and the
//!   roofline fits ([`crate::analytic::optimize`]): Nelder–Mead (`argmin`) over a normalised
//!   unit box, started from deterministic quasi-random points;
//! * [`nnls`]: weighted non-negative least squares for the few-coefficient linear models of
//!   the step-time decomposition ([`crate::profile::step_model`]).

use argmin::core::{CostFunction, Executor};
use argmin::solver::neldermead::NelderMead;

/// The `i`-th element of the Halton low-discrepancy sequence in `base`, in [0, 1).
pub fn halton(i: usize, base: usize) -> f64 {
    let (mut f, mut r, mut i) = (1.0, 0.0, i);
    while i > 0 {
        f /= base as f64;
        r += f * (i % base) as f64;
        i /= base;
    }
    r
}

/// Runs Nelder–Mead from `start` (coordinates in the unit box) for at most `max_iters`
/// iterations. The initial simplex steps each coordinate by `step` (downwards above 0.8, so it
/// stays in the box); the search stops when the simplex's cost spread falls below
/// `sd_tolerance`. Returns the best point and its cost, or `start` with an infinite cost if
/// the solver fails.
pub fn nelder_mead<C>(cost: C, start: Vec<f64>, step: f64, sd_tolerance: f64, max_iters: u64) -> (Vec<f64>, f64)
where
    C: CostFunction<Param = Vec<f64>, Output = f64>,
{
    let mut simplex = vec![start.clone()];
    for k in 0..start.len() {
        let mut v = start.clone();
        v[k] = if v[k] > 0.8 { v[k] - step } else { v[k] + step };
        simplex.push(v);
    }
    let solver = match NelderMead::new(simplex).with_sd_tolerance(sd_tolerance) {
        Ok(s) => s,
        Err(_) => return (start, f64::INFINITY),
    };
    match Executor::new(cost, solver).configure(|s| s.max_iters(max_iters)).run() {
        Ok(res) => {
            let st = res.state();
            match &st.best_param {
                Some(p) => (p.clone(), st.best_cost),
                None => (start, f64::INFINITY),
            }
        }
        Err(_) => (start, f64::INFINITY),
    }
}

/// Weighted non-negative least squares: the `x ≥ 0` minimising `Σ_i w_i (A_i·x − y_i)²`, for
/// a design of a few columns (`rows[i]` is `A_i`; every row has the same length k ≤ 8).
///
/// Exact by enumeration of supports: the optimum of this convex problem is the unconstrained
/// least-squares solution on its own support, so the best non-negative solution over all
/// 2^k supports is the optimum. For the 2–3 coefficients of a step-time fit that is a few
/// dozen 3×3 solves, simpler and as exact as Lawson–Hanson (no crate needed for it; `ndarray`
/// has no solver without a LAPACK backend). Returns zeros when nothing fits (no rows).
pub fn nnls(rows: &[Vec<f64>], y: &[f64], w: &[f64]) -> Vec<f64> {
    let k = rows.first().map_or(0, Vec::len);
    let mut best = (vec![0.0; k], f64::INFINITY);
    if k == 0 || k > 8 || rows.len() != y.len() || rows.len() != w.len() {
        return best.0;
    }
    let cost = |x: &[f64]| -> f64 {
        rows.iter()
            .zip(y)
            .zip(w)
            .map(|((a, yi), wi)| wi * (a.iter().zip(x).map(|(p, q)| p * q).sum::<f64>() - yi).powi(2))
            .sum()
    };
    best.1 = cost(&best.0);
    for mask in 1u32..(1 << k) {
        let cols: Vec<usize> = (0..k).filter(|j| mask & (1 << j) != 0).collect();
        let m = cols.len();
        // normal equations on the support
        let mut a = vec![vec![0.0; m + 1]; m];
        for ((r, yi), wi) in rows.iter().zip(y).zip(w) {
            for (p, &cp) in cols.iter().enumerate() {
                for (q, &cq) in cols.iter().enumerate() {
                    a[p][q] += wi * r[cp] * r[cq];
                }
                a[p][m] += wi * r[cp] * yi;
            }
        }
        let Some(sol) = solve(a) else { continue };
        if sol.iter().any(|v| !v.is_finite() || *v < 0.0) {
            continue;
        }
        let mut x = vec![0.0; k];
        for (p, &c) in cols.iter().enumerate() {
            x[c] = sol[p];
        }
        let c = cost(&x);
        if c < best.1 {
            best = (x, c);
        }
    }
    best.0
}

/// Solves the square system given as an augmented matrix by Gaussian elimination with partial
/// pivoting; `None` when it is singular.
fn solve(mut a: Vec<Vec<f64>>) -> Option<Vec<f64>> {
    let m = a.len();
    for col in 0..m {
        let piv = (col..m).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        let scale = a.iter().map(|r| r[col].abs()).fold(0.0, f64::max);
        if a[piv][col].abs() <= 1e-12 * scale.max(f64::MIN_POSITIVE) {
            return None;
        }
        a.swap(col, piv);
        let pivot_row = a[col].clone();
        for (i, row) in a.iter_mut().enumerate() {
            if i != col {
                let f = row[col] / pivot_row[col];
                for (x, p) in row[col..=m].iter_mut().zip(&pivot_row[col..=m]) {
                    *x -= f * p;
                }
            }
        }
    }
    Some((0..m).map(|i| a[i][m] / a[i][i]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nnls_recovers_a_non_negative_model_and_clamps_a_negative_one() {
        // y = 2 + 3x exactly
        let rows: Vec<Vec<f64>> = (0..5).map(|i| vec![1.0, i as f64]).collect();
        let y: Vec<f64> = (0..5).map(|i| 2.0 + 3.0 * i as f64).collect();
        let x = nnls(&rows, &y, &[1.0; 5]);
        assert!((x[0] - 2.0).abs() < 1e-9 && (x[1] - 3.0).abs() < 1e-9, "{x:?}");
        // y = 10 − x: the slope would be negative, so NNLS keeps it at 0 and fits the mean
        let y: Vec<f64> = (0..5).map(|i| 10.0 - i as f64).collect();
        let x = nnls(&rows, &y, &[1.0; 5]);
        assert!(x[1] == 0.0 && (x[0] - 8.0).abs() < 1e-9, "{x:?}");
    }

    struct Bowl;
    impl CostFunction for Bowl {
        type Param = Vec<f64>;
        type Output = f64;
        fn cost(&self, u: &Vec<f64>) -> Result<f64, argmin::core::Error> {
            Ok((u[0] - 0.3).powi(2) + (u[1] - 0.6).powi(2))
        }
    }

    #[test]
    fn finds_a_quadratic_minimum_and_halton_is_in_range() {
        let (p, c) = nelder_mead(Bowl, vec![0.5, 0.5], 0.1, 1e-12, 500);
        assert!(
            (p[0] - 0.3).abs() < 1e-4 && (p[1] - 0.6).abs() < 1e-4 && c < 1e-8,
            "{p:?} {c}"
        );
        assert_eq!(halton(1, 2), 0.5);
        assert_eq!(halton(3, 2), 0.75);
    }
}
