//! 1-D not-a-knot cubic spline interpolation: what scipy's `interp1d(x, y, kind="cubic")`
//! computes (it builds `make_interp_spline(x, y, k=3)`, a not-a-knot B-spline, which is the same
//! piecewise cubic).
//!
//! With fewer than 4 points scipy refuses `kind="cubic"`; here 3 points give the parabola
//! through them (the not-a-knot limit), 2 points a line and 1 point a constant.

use crate::error::{Error, Result};

/// A not-a-knot cubic spline through `(x_i, y_i)`.
#[derive(Debug, Clone, PartialEq)]
pub struct CubicSpline {
    x: Vec<f64>,
    y: Vec<f64>,
    /// Second derivatives at the knots (units of y per x²).
    m: Vec<f64>,
}

impl CubicSpline {
    /// Fits the spline. `x` must be strictly increasing and finite; `what` names the data in
    /// errors.
    pub fn new(what: &str, x: &[f64], y: &[f64]) -> Result<Self> {
        let n = x.len();
        if n == 0 || n != y.len() {
            return Err(Error::data(
                what,
                "(spline)",
                format!("needs ≥ 1 point and equal lengths, got {} and {}", n, y.len()),
            ));
        }
        if x.windows(2)
            .any(|w| w[1].partial_cmp(&w[0]) != Some(std::cmp::Ordering::Greater))
            || x.iter().chain(y).any(|v| !v.is_finite())
        {
            return Err(Error::data(
                what,
                "(spline)",
                "x must be finite and strictly increasing, y finite",
            ));
        }
        let m = match n {
            1 | 2 => vec![0.0; n],
            3 => {
                // the parabola through the three points: constant second derivative
                let d1 = (y[1] - y[0]) / (x[1] - x[0]);
                let d2 = (y[2] - y[1]) / (x[2] - x[1]);
                let c = 2.0 * (d2 - d1) / (x[2] - x[0]);
                vec![c; 3]
            }
            _ => not_a_knot_second_derivatives(x, y)
                .ok_or_else(|| Error::data(what, "(spline)", "singular spline system"))?,
        };
        Ok(CubicSpline {
            x: x.to_vec(),
            y: y.to_vec(),
            m,
        })
    }

    /// The spline's value at `t` (extrapolates the end pieces outside the knots; callers clamp).
    pub fn eval(&self, t: f64) -> f64 {
        let n = self.x.len();
        if n == 1 {
            return self.y[0];
        }
        // interval i with x[i] <= t <= x[i+1], clamped to the end intervals
        let i = match self.x.partition_point(|&v| v <= t) {
            0 => 0,
            k if k >= n => n - 2,
            k => k - 1,
        };
        let (x0, x1) = (self.x[i], self.x[i + 1]);
        let h = x1 - x0;
        let (a, b) = (x1 - t, t - x0);
        let (m0, m1) = (self.m[i], self.m[i + 1]);
        m0 * a * a * a / (6.0 * h)
            + m1 * b * b * b / (6.0 * h)
            + (self.y[i] / h - m0 * h / 6.0) * a
            + (self.y[i + 1] / h - m1 * h / 6.0) * b
    }
}

/// Second derivatives of the not-a-knot spline (n ≥ 4): continuity of the third derivative at
/// the second and the second-to-last knot closes the usual tridiagonal system. Solved densely
/// with partial pivoting (n is at most a few hundred).
fn not_a_knot_second_derivatives(x: &[f64], y: &[f64]) -> Option<Vec<f64>> {
    let n = x.len();
    let h: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();
    let mut a = vec![vec![0.0; n + 1]; n];
    a[0][0] = h[1];
    a[0][1] = -(h[0] + h[1]);
    a[0][2] = h[0];
    for i in 1..n - 1 {
        a[i][i - 1] = h[i - 1];
        a[i][i] = 2.0 * (h[i - 1] + h[i]);
        a[i][i + 1] = h[i];
        a[i][n] = 6.0 * ((y[i + 1] - y[i]) / h[i] - (y[i] - y[i - 1]) / h[i - 1]);
    }
    a[n - 1][n - 3] = h[n - 2];
    a[n - 1][n - 2] = -(h[n - 3] + h[n - 2]);
    a[n - 1][n - 1] = h[n - 3];
    solve_dense(a)
}

/// Gaussian elimination with partial pivoting on an augmented n×(n+1) matrix.
pub(crate) fn solve_dense(mut a: Vec<Vec<f64>>) -> Option<Vec<f64>> {
    let n = a.len();
    for col in 0..n {
        let piv = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, piv);
        for r in col + 1..n {
            let f = a[r][col] / a[col][col];
            if f != 0.0 {
                let (top, bottom) = a.split_at_mut(r);
                for (x, p) in bottom[0][col..=n].iter_mut().zip(&top[col][col..=n]) {
                    *x -= f * p;
                }
            }
        }
    }
    let mut out = vec![0.0; n];
    for r in (0..n).rev() {
        let mut s = a[r][n];
        for c in r + 1..n {
            s -= a[r][c] * out[c];
        }
        out[r] = s / a[r][r];
    }
    out.iter().all(|v| v.is_finite()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_cubics_exactly() {
        // a not-a-knot spline reproduces any cubic polynomial
        let f = |t: f64| 2.0 - t + 0.5 * t * t - 0.1 * t * t * t;
        let x = [0.0, 1.0, 2.5, 3.0, 4.5, 6.0];
        let y: Vec<f64> = x.iter().map(|&t| f(t)).collect();
        let s = CubicSpline::new("t", &x, &y).unwrap();
        for t in [0.0, 0.3, 1.7, 2.9, 4.0, 5.99, 6.0] {
            assert!((s.eval(t) - f(t)).abs() < 1e-10, "{t}: {} vs {}", s.eval(t), f(t));
        }
    }

    #[test]
    fn small_inputs() {
        let s = CubicSpline::new("t", &[1.0, 2.0, 4.0], &[1.0, 4.0, 16.0]).unwrap();
        assert!((s.eval(3.0) - 9.0).abs() < 1e-12);
        let s = CubicSpline::new("t", &[1.0, 3.0], &[1.0, 5.0]).unwrap();
        assert!((s.eval(2.0) - 3.0).abs() < 1e-12);
        assert!(CubicSpline::new("t", &[2.0, 1.0], &[1.0, 5.0]).is_err());
    }
}
