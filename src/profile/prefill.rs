//! The prefill curve: ISL (prompt tokens) → TTFT (ms) and prefill throughput (tokens/s/GPU),
//! measured one request at a time.
//!
//! # Decomposition (the step-time model's prefill part)
//! A measured TTFT at concurrency 1 is request-level latency plus one engine step, so the curve
//! is fitted, at load time, as `TTFT(S) ≈ a + b·S + c·S²` ([`PrefillFit`], non-negative least
//! squares on relative error): `a` is what does not grow with the prompt (the engine step's
//! fixed cost plus per-request latency off the engine), `b` the per-token (GEMM) cost, `c` the
//! attention over the prompt (causal attention work grows with S²). The measured points stay
//! exact: the part that is neither intercept nor attention — the **marginal prefill work**
//! `g(S) = TTFT(S) − a − c·S²` — is interpolated through the measured points
//! ([`PrefillCurve::marginal_ms`]). A batch of prompt chunks in one iteration then costs
//! `g(total tokens) + c·Σ((p + s)² − p²)` on top of the step's fixed cost, where a chunk of s
//! tokens follows the p tokens of its prompt already prefilled (so a chunk late in a long prompt
//! costs more than the same chunk at its start, and two prompts cost less attention than one
//! of twice the length).
//!
//! # Interpolation of a lone prompt, [`PrefillCurve::ttft_ms`] = `a + g(S) + c·S²`
//! * At every measured ISL: exactly the measured TTFT.
//! * Between measured ISLs: `g` linear, attention quadratic (within a fraction of a percent of
//!   the straight line through the two points).
//! * Below the first measured ISL: `g` scaled down proportionally (`g(s) = g(s₀)·s/s₀`), so a
//!   small prompt costs the intercept plus a proportional share of the first point's work.
//! * Above the last measured ISL: `g` grows with the fitted per-token cost `b` (the last
//!   segment's slope when `b` is 0), attention quadratically.
//! * Never below `a` (the marginal work is clamped at 0).
//!
//! [`PrefillCurve::legacy_ttft_ms`] keeps the earlier rule (piecewise linear through the
//! points, proportional through the origin below the first point, last-segment slope above) for
//! `--step-model sum`. Throughput is interpolated linearly inside the measured range and derived
//! as `s / TTFT(s) · 1000 / TP` outside it — the definition Dynamo's profiler uses for its
//! measured points.

use crate::error::{Error, Result};

/// Measured prefill performance of one engine (one TP).
#[derive(Debug, Clone, PartialEq)]
pub struct PrefillCurve {
    /// Measured input sequence lengths, tokens, strictly increasing.
    pub isl: Vec<f64>,
    /// Time to first token at each ISL, ms (> 0).
    pub ttft_ms: Vec<f64>,
    /// Prefill throughput at each ISL, tokens/s per GPU (> 0).
    pub thpt_per_gpu: Vec<f64>,
    /// Tensor-parallel size of the engine the curve was measured on (GPUs per engine).
    pub tp: u32,
    /// The curve's decomposition (fitted when the curve is built).
    pub fit: PrefillFit,
}

/// `TTFT(S) ≈ intercept + linear·S + attention·S²`, fitted to a prefill curve by non-negative
/// least squares on relative error (see the module docs). The intercept is capped at the
/// smallest `TTFT − attention·S²` over the measured points, so every point keeps a
/// non-negative marginal part and stays exact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrefillFit {
    /// What does not grow with the prompt: the step's fixed cost plus per-request latency, ms.
    pub intercept_ms: f64,
    /// Per prompt token, ms/token.
    pub linear_ms_per_token: f64,
    /// Attention, ms per token² (a prompt of S tokens pays `attention · S²`).
    pub attention_ms_per_token2: f64,
    /// Mean absolute error of the fit alone (before the measured points are restored), %.
    pub mape_pct: f64,
}

impl PrefillFit {
    /// Fits the measured points (with fewer than 3 points: no attention term; one point: a line
    /// through the origin).
    pub fn of(isl: &[f64], ttft_ms: &[f64]) -> Self {
        let n = isl.len();
        let basis = |s: f64| -> Vec<f64> {
            match n {
                1 => vec![s],
                2 => vec![1.0, s],
                _ => vec![1.0, s, s * s],
            }
        };
        let rows: Vec<Vec<f64>> = isl.iter().map(|&s| basis(s)).collect();
        let w: Vec<f64> = ttft_ms.iter().map(|t| 1.0 / (t * t)).collect();
        let x = crate::optimize::nnls(&rows, ttft_ms, &w);
        let (a, b, c) = match n {
            1 => (0.0, x[0], 0.0),
            2 => (x[0], x[1], 0.0),
            _ => (x[0], x[1], x[2]),
        };
        // the intercept may not exceed any point's non-attention part, so the marginal work
        // `TTFT − a − c·S²` is ≥ 0 at every measured point and the points stay exact
        let cap = isl
            .iter()
            .zip(ttft_ms)
            .map(|(s, t)| t - c * s * s)
            .fold(f64::INFINITY, f64::min);
        let a = a.min(cap).max(0.0);
        let mape = isl
            .iter()
            .zip(ttft_ms)
            .map(|(s, t)| ((a + b * s + c * s * s) - t).abs() / t)
            .sum::<f64>()
            / n.max(1) as f64
            * 100.0;
        PrefillFit {
            intercept_ms: a,
            linear_ms_per_token: b,
            attention_ms_per_token2: c,
            mape_pct: mape,
        }
    }

    /// Attention cost of prefilling tokens `p .. p + s` of one prompt, ms.
    #[inline]
    pub fn attention_ms(&self, p: f64, s: f64) -> f64 {
        self.attention_ms_per_token2 * s * (2.0 * p + s)
    }
}

impl PrefillCurve {
    /// Builds a validated curve. `file` names the source for error messages.
    pub fn new(file: &str, isl: Vec<f64>, ttft_ms: Vec<f64>, thpt_per_gpu: Vec<f64>, tp: u32) -> Result<Self> {
        super::validate::non_empty(file, "prefill_isl", &isl)?;
        super::validate::same_len(file, "prefill_ttft", ttft_ms.len(), "prefill_isl", isl.len())?;
        super::validate::same_len(
            file,
            "prefill_thpt_per_gpu",
            thpt_per_gpu.len(),
            "prefill_isl",
            isl.len(),
        )?;
        super::validate::finite_positive(file, "prefill_isl", &isl)?;
        super::validate::finite_positive(file, "prefill_ttft", &ttft_ms)?;
        for (i, &t) in ttft_ms.iter().enumerate() {
            crate::sim::horizon::check_profile_ms(file, "prefill_ttft", i, t)?;
        }
        super::validate::finite_positive(file, "prefill_thpt_per_gpu", &thpt_per_gpu)?;
        super::validate::strictly_increasing(file, "prefill_isl", &isl)?;
        if tp == 0 {
            return Err(Error::data(file, "tp", "must be ≥ 1"));
        }
        let fit = PrefillFit::of(&isl, &ttft_ms);
        Ok(PrefillCurve {
            isl,
            ttft_ms,
            thpt_per_gpu,
            tp,
            fit,
        })
    }

    /// TTFT in ms of a lone prompt of `tokens` tokens (0 for 0 tokens): the intercept, the
    /// marginal work and the attention (see the module docs); exact at every measured ISL.
    pub fn ttft_ms(&self, tokens: f64) -> f64 {
        if tokens <= 0.0 || !tokens.is_finite() {
            return 0.0;
        }
        let a = self.fit.intercept_ms;
        a + self.marginal_ms(tokens, a) + self.fit.attention_ms(0.0, tokens)
    }

    /// Marginal prefill work of `tokens` prompt tokens scheduled in one iteration, ms: the
    /// measured curve minus `base` (the intercept the caller pays elsewhere: the step's fixed
    /// cost plus per-request latency) minus the attention term, interpolated through the
    /// measured ISLs (proportional below the first, the fitted per-token cost above the last),
    /// never negative.
    pub fn marginal_ms(&self, tokens: f64, base: f64) -> f64 {
        if tokens <= 0.0 || !tokens.is_finite() {
            return 0.0;
        }
        let g = |i: usize| (self.ttft_ms[i] - base - self.fit.attention_ms(0.0, self.isl[i])).max(0.0);
        let n = self.isl.len();
        let x0 = self.isl[0];
        if tokens <= x0 {
            return g(0) * tokens / x0;
        }
        let xl = self.isl[n - 1];
        if tokens >= xl {
            let mut slope = self.fit.linear_ms_per_token;
            if slope <= 0.0 {
                slope = if n >= 2 {
                    (g(n - 1) - g(n - 2)) / (xl - self.isl[n - 2])
                } else {
                    0.0
                };
                if slope <= 0.0 {
                    slope = g(n - 1) / xl;
                }
            }
            return g(n - 1) + slope * (tokens - xl);
        }
        let i = segment(&self.isl, tokens);
        lerp(self.isl[i], g(i), self.isl[i + 1], g(i + 1), tokens).max(0.0)
    }

    /// The earlier rule (`--step-model sum`): TTFT in ms of `tokens` prompt tokens, piecewise
    /// linear through the measured points, proportional through the origin below the first
    /// point, the last segment's slope above the last (0 for 0 tokens).
    pub fn legacy_ttft_ms(&self, tokens: f64) -> f64 {
        if tokens <= 0.0 || !tokens.is_finite() {
            return 0.0;
        }
        let n = self.isl.len();
        let (x0, y0) = (self.isl[0], self.ttft_ms[0]);
        if tokens <= x0 {
            return y0 * tokens / x0;
        }
        let (xl, yl) = (self.isl[n - 1], self.ttft_ms[n - 1]);
        if tokens >= xl {
            if n >= 2 {
                let slope = (yl - self.ttft_ms[n - 2]) / (xl - self.isl[n - 2]);
                if slope > 0.0 {
                    return yl + slope * (tokens - xl);
                }
            }
            return yl * tokens / xl;
        }
        let i = segment(&self.isl, tokens);
        lerp(
            self.isl[i],
            self.ttft_ms[i],
            self.isl[i + 1],
            self.ttft_ms[i + 1],
            tokens,
        )
    }

    /// Prefill throughput in tokens/s/GPU at `tokens` prompt tokens.
    pub fn thpt_per_gpu(&self, tokens: f64) -> f64 {
        let n = self.isl.len();
        if tokens > self.isl[0] && tokens < self.isl[n - 1] {
            let i = segment(&self.isl, tokens);
            return lerp(
                self.isl[i],
                self.thpt_per_gpu[i],
                self.isl[i + 1],
                self.thpt_per_gpu[i + 1],
                tokens,
            );
        }
        if tokens == self.isl[0] {
            return self.thpt_per_gpu[0];
        }
        if tokens == self.isl[n - 1] {
            return self.thpt_per_gpu[n - 1];
        }
        if tokens <= 0.0 {
            return 0.0;
        }
        tokens / self.ttft_ms(tokens) * 1000.0 / self.tp as f64
    }

    /// The largest ISL (tokens, on the interpolated curve) whose TTFT is ≤ `target_ms`, or `None`
    /// if even the smallest prompt misses it.
    pub fn max_isl_within(&self, target_ms: f64) -> Option<f64> {
        // TTFT is not guaranteed monotone in measured data: scan segments from the top.
        let mut best: Option<f64> = None;
        let hi = self.isl[self.isl.len() - 1] * 64.0;
        // bisection on a monotone envelope: walk a fine log grid then refine
        let mut prev_ok = None;
        let steps = 4000;
        for k in 1..=steps {
            let s = hi * k as f64 / steps as f64;
            if self.ttft_ms(s) <= target_ms {
                prev_ok = Some(s);
            } else if prev_ok.is_some() {
                break;
            }
        }
        if let Some(mut lo) = prev_ok {
            let mut up = (lo + hi / steps as f64).min(hi);
            for _ in 0..60 {
                let mid = 0.5 * (lo + up);
                if self.ttft_ms(mid) <= target_ms {
                    lo = mid;
                } else {
                    up = mid;
                }
            }
            best = Some(lo);
        }
        best
    }

    /// Peak measured prefill throughput, tokens/s/GPU, and the ISL where it was measured.
    pub fn peak_thpt(&self) -> (f64, f64) {
        let mut best = (self.thpt_per_gpu[0], self.isl[0]);
        for (t, s) in self.thpt_per_gpu.iter().zip(&self.isl) {
            if *t > best.0 {
                best = (*t, *s);
            }
        }
        best
    }
}

/// Index `i` of the segment `[xs[i], xs[i+1]]` holding `x` (xs strictly increasing, x inside).
pub(crate) fn segment(xs: &[f64], x: f64) -> usize {
    let p = xs.partition_point(|v| *v <= x);
    p.saturating_sub(1).min(xs.len().saturating_sub(2))
}

/// Linear interpolation through (x0, y0) and (x1, y1) at x.
pub(crate) fn lerp(x0: f64, y0: f64, x1: f64, y1: f64, x: f64) -> f64 {
    if x1 == x0 {
        return y0;
    }
    let t = (x - x0) / (x1 - x0);
    y0 + t * (y1 - y0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn curve() -> PrefillCurve {
        PrefillCurve::new(
            "t",
            vec![100.0, 1000.0, 2000.0],
            vec![10.0, 50.0, 120.0],
            vec![10000.0, 20000.0, 16666.0],
            1,
        )
        .unwrap()
    }

    /// The quadratic through the three points of [`curve`] (Lagrange form).
    fn quad(x: f64) -> f64 {
        let p = [(100.0, 10.0), (1000.0, 50.0), (2000.0, 120.0)];
        let mut y = 0.0;
        for i in 0..3 {
            let mut l = 1.0;
            for j in 0..3 {
                if i != j {
                    l *= (x - p[j].0) / (p[i].0 - p[j].0);
                }
            }
            y += p[i].1 * l;
        }
        y
    }

    #[test]
    fn exact_at_points_and_the_fit_between() {
        let c = curve();
        for (s, t) in [(100.0, 10.0), (1000.0, 50.0), (2000.0, 120.0)] {
            assert_relative_eq!(c.ttft_ms(s), t, max_relative = 1e-12);
        }
        // three points: the fit a + b·S + c·S² passes through all of them, so it is the curve
        let f = c.fit;
        assert!(f.intercept_ms > 0.0 && f.linear_ms_per_token > 0.0 && f.attention_ms_per_token2 > 0.0);
        assert!(f.mape_pct < 1e-9, "{}", f.mape_pct);
        assert_relative_eq!(c.ttft_ms(550.0), quad(550.0), max_relative = 1e-9);
        assert_eq!(c.thpt_per_gpu(1000.0), 20000.0);
    }

    #[test]
    fn intercept_plus_proportional_work_below_and_fitted_growth_above() {
        let c = curve();
        let f = c.fit;
        let g0 = 10.0 - f.intercept_ms - f.attention_ms_per_token2 * 1e4;
        assert_relative_eq!(
            c.ttft_ms(50.0),
            f.intercept_ms + g0 * 0.5 + f.attention_ms_per_token2 * 2500.0,
            max_relative = 1e-12
        );
        assert_relative_eq!(
            c.ttft_ms(3000.0),
            120.0 + f.linear_ms_per_token * 1000.0 + f.attention_ms_per_token2 * (9e6 - 4e6),
            max_relative = 1e-12
        );
        assert!(c.ttft_ms(1e-3) >= f.intercept_ms);
        // the marginal work excludes the intercept and the attention
        assert_relative_eq!(
            c.marginal_ms(1000.0, f.intercept_ms),
            50.0 - f.intercept_ms - f.attention_ms_per_token2 * 1e6,
            max_relative = 1e-12
        );
    }

    #[test]
    fn legacy_rule_is_proportional_below_and_follows_the_last_slope_above() {
        let c = curve();
        assert_relative_eq!(c.legacy_ttft_ms(550.0), 30.0);
        assert_relative_eq!(c.legacy_ttft_ms(50.0), 5.0);
        assert_relative_eq!(c.legacy_ttft_ms(3000.0), 190.0);
        assert!(c.legacy_ttft_ms(1e-3) > 0.0);
        let d = PrefillCurve::new("t", vec![100.0, 200.0], vec![20.0, 15.0], vec![1.0, 1.0], 1).unwrap();
        assert_relative_eq!(d.legacy_ttft_ms(400.0), 30.0);
    }

    #[test]
    fn a_decreasing_curve_never_goes_below_its_intercept() {
        let d = PrefillCurve::new("t", vec![100.0, 200.0], vec![20.0, 15.0], vec![1.0, 1.0], 1).unwrap();
        for s in [1.0, 100.0, 150.0, 200.0, 400.0, 1e6] {
            let t = d.ttft_ms(s);
            assert!(t.is_finite() && t >= d.fit.intercept_ms - 1e-12, "{s}: {t}");
        }
        assert_relative_eq!(d.ttft_ms(200.0), 15.0, max_relative = 1e-12);
    }

    #[test]
    fn max_isl_within_target() {
        let c = curve();
        let s = c.max_isl_within(50.0).unwrap();
        assert_relative_eq!(s, 1000.0, max_relative = 1e-6);
        assert!(c.max_isl_within(0.0).is_none());
    }
}
