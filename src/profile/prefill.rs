//! The prefill curve: ISL (prompt tokens) → TTFT (ms) and prefill throughput (tokens/s/GPU),
//! measured one request at a time.
//!
//! # Interpolation
//! * Between measured ISLs: piecewise linear in TTFT and in throughput, so the curve passes
//!   exactly through every measured point.
//! * Below the first measured ISL: **scaled down proportionally** (TTFT(s) = TTFT(s₀)·s/s₀, a
//!   line through the origin). A small prefill chunk then costs a proportional share of the first
//!   point instead of the whole fixed cost, which the decode part of a mixed iteration already
//!   carries.
//! * Above the last measured ISL: extrapolated with the last segment's slope (ms per token). When
//!   that slope is not positive (noisy measurements), the last point's throughput is kept
//!   (TTFT(s) = TTFT(sₙ)·s/sₙ). Either way the result is > 0 for every s > 0.
//! * Throughput outside the measured range is derived from the extrapolated TTFT:
//!   `s / TTFT(s) · 1000 / TP` — the definition Dynamo's profiler uses for its measured points.

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
        Ok(PrefillCurve {
            isl,
            ttft_ms,
            thpt_per_gpu,
            tp,
        })
    }

    /// TTFT in ms of a prefill of `tokens` prompt tokens run alone (0 for 0 tokens).
    pub fn ttft_ms(&self, tokens: f64) -> f64 {
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

    #[test]
    fn exact_at_points_and_linear_between() {
        let c = curve();
        assert_eq!(c.ttft_ms(100.0), 10.0);
        assert_eq!(c.ttft_ms(1000.0), 50.0);
        assert_eq!(c.ttft_ms(2000.0), 120.0);
        assert_relative_eq!(c.ttft_ms(550.0), 30.0);
        assert_eq!(c.thpt_per_gpu(1000.0), 20000.0);
    }

    #[test]
    fn proportional_below_and_slope_above() {
        let c = curve();
        assert_relative_eq!(c.ttft_ms(50.0), 5.0);
        assert_relative_eq!(c.ttft_ms(3000.0), 190.0);
        assert!(c.ttft_ms(1e-3) > 0.0);
    }

    #[test]
    fn non_positive_last_slope_keeps_last_throughput() {
        let c = PrefillCurve::new("t", vec![100.0, 200.0], vec![20.0, 15.0], vec![1.0, 1.0], 1).unwrap();
        assert_relative_eq!(c.ttft_ms(400.0), 30.0);
    }

    #[test]
    fn max_isl_within_target() {
        let c = curve();
        let s = c.max_isl_within(50.0).unwrap();
        assert_relative_eq!(s, 1000.0, max_relative = 1e-6);
        assert!(c.max_isl_within(0.0).is_none());
    }
}
