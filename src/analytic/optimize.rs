//! The derivative-free search both fits use: Nelder–Mead (`argmin`) over the efficiency factors'
//! log-scaled unit box ([`super::efficiency::Param`]), from several deterministic starts (the
//! initial factors plus a Halton sequence) run in parallel, the best polished by restarts from it.
//!
//! The objective handed in is the data term; a weak prior `prior_weight · Σ ln(θ/θ₀)²` toward
//! the initial factors θ₀ (factors with a flat prior excepted) is added so that factors the data cannot see (e.g. the all-reduce terms
//! when every engine is TP 1) stay at their typical values instead of drifting. Points outside
//! the box are clamped and penalised `10 · Σ (u − clamp(u))²`.

use super::efficiency::{Efficiency, PARAMS};
use argmin::core::CostFunction;
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// Search effort.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchOptions {
    /// Starts besides the initial factors.
    pub starts: usize,
    /// Nelder–Mead iterations per start.
    pub max_iters: u64,
    /// Weight of the prior toward the initial factors (per squared log ratio).
    pub prior_weight: f64,
    /// Restarts from the best point found (fresh simplex) after the starts.
    pub polish: usize,
    /// Names of the factors searched ([`super::efficiency::PARAMS`]); empty: all. The others
    /// keep their initial values.
    pub free: Vec<&'static str>,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            starts: 8,
            max_iters: 4000,
            prior_weight: 3e-4,
            polish: 2,
            free: Vec::new(),
        }
    }
}

/// Result of a search.
#[derive(Debug, Clone)]
pub struct SearchResult {
    /// Best factors found (the initial ones if nothing was better).
    pub best: Efficiency,
    /// Data objective at the initial factors.
    pub objective_before: f64,
    /// Data objective at the best factors.
    pub objective_after: f64,
    /// Objective evaluations.
    pub evaluations: u64,
}

struct Cost<'a, F: Fn(&Efficiency) -> f64 + Sync> {
    data: &'a F,
    initial: Efficiency,
    prior_weight: f64,
    /// Indices into PARAMS of the searched factors (the coordinates of `u`).
    free: Vec<usize>,
    evals: AtomicU64,
}

impl<F: Fn(&Efficiency) -> f64 + Sync> Cost<'_, F> {
    fn eff(&self, u: &[f64]) -> Efficiency {
        let mut e = self.initial;
        for (&k, x) in self.free.iter().zip(u) {
            PARAMS[k].set(&mut e, PARAMS[k].from_unit(*x));
        }
        e
    }
}

/// The cost as argmin sees it (argmin takes the problem by value; this borrows the shared one
/// so parallel starts count evaluations together).
struct CostRef<'a, 'b, F: Fn(&Efficiency) -> f64 + Sync>(&'a Cost<'b, F>);

impl<F: Fn(&Efficiency) -> f64 + Sync> CostFunction for CostRef<'_, '_, F> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, u: &Self::Param) -> Result<f64, argmin::core::Error> {
        let c = self.0;
        c.evals.fetch_add(1, Ordering::Relaxed);
        let penalty: f64 = u.iter().map(|x| (x - x.clamp(0.0, 1.0)).powi(2)).sum();
        let e = c.eff(u);
        let prior: f64 = PARAMS
            .iter()
            .filter(|p| p.prior)
            .map(|p| (p.get(&e) / p.get(&c.initial)).ln().powi(2))
            .sum::<f64>()
            * c.prior_weight;
        let v = (c.data)(&e);
        Ok(if v.is_finite() {
            v + prior + 10.0 * penalty
        } else {
            1e6 + penalty
        })
    }
}

fn run<F: Fn(&Efficiency) -> f64 + Sync>(cost: &Cost<F>, start: Vec<f64>, max_iters: u64) -> (Vec<f64>, f64) {
    crate::optimize::nelder_mead(CostRef(cost), start, 0.12, 1e-9, max_iters)
}

/// Minimises `data(θ) + prior` over the efficiency factors, starting at `initial`.
pub fn search<F: Fn(&Efficiency) -> f64 + Sync>(data: &F, initial: Efficiency, o: &SearchOptions) -> SearchResult {
    let free: Vec<usize> = (0..PARAMS.len())
        .filter(|&k| o.free.is_empty() || o.free.contains(&PARAMS[k].name))
        .collect();
    let cost = Cost {
        data,
        initial,
        prior_weight: o.prior_weight,
        free,
        evals: AtomicU64::new(0),
    };
    let primes = [2usize, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41];
    let u0: Vec<f64> = cost
        .free
        .iter()
        .map(|&k| PARAMS[k].to_unit(PARAMS[k].get(&initial)))
        .collect();
    let objective_before = data(&initial);
    if u0.is_empty() {
        return SearchResult {
            best: initial,
            objective_before,
            objective_after: objective_before,
            evaluations: 1,
        };
    }
    let mut starts = vec![u0.clone()];
    for i in 1..=o.starts {
        // Halton points shrunk toward the initial factors: a global scan of an 11-dimensional
        // box is hopeless; the useful region is within a decade or so of typical values.
        starts.push(
            (0..u0.len())
                .map(|k| (u0[k] + 0.5 * (crate::optimize::halton(i, primes[k % primes.len()]) - 0.5)).clamp(0.0, 1.0))
                .collect(),
        );
    }
    let results: Vec<(Vec<f64>, f64)> = starts.into_par_iter().map(|s| run(&cost, s, o.max_iters)).collect();
    let mut best = results
        .into_iter()
        .fold((u0.clone(), f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a });
    // Restarting Nelder–Mead from its own optimum (a fresh simplex) escapes the collapsed
    // simplices it is prone to in many dimensions.
    for _ in 0..o.polish {
        if !best.1.is_finite() {
            break;
        }
        let polished = run(&cost, best.0.clone(), o.max_iters);
        if polished.1 < best.1 {
            best = polished;
        }
    }
    let mut e = cost.eff(&best.0);
    let mut after = data(&e);
    if after.is_nan() || after > objective_before {
        e = initial;
        after = objective_before;
    }
    SearchResult {
        best: e,
        objective_before,
        objective_after: after,
        evaluations: cost.evals.load(Ordering::Relaxed),
    }
}
