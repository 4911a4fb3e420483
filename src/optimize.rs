//! Derivative-free minimisation shared by the calibration fit ([`crate::calibrate::fit`]) and
//! the roofline fits ([`crate::analytic::optimize`]): Nelder–Mead (`argmin`) over a normalised
//! unit box, started from deterministic quasi-random points.

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

#[cfg(test)]
mod tests {
    use super::*;

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
