//! The decode surface: (kv_usage, context_length) → ITL (ms) and decode throughput (tokens/s/GPU).
//!
//! `kv_usage` is KV tokens in use divided by the surface's **KV scale** — the `max_kv_tokens`
//! the surface was measured against. That scale defines the axis; it is kept apart from the
//! engine's real KV capacity (see [`super::EngineProfile::kv_capacity_tokens`]).
//!
//! # Batch state and the decode step model
//! Dynamo's profiler measures *rows* of constant context length, each a sweep over kv_usage
//! (batch size). A point's **batch state** is what the step actually held: `X = kv_usage ·
//! scale` KV tokens in `B = X / context` requests. An ITL point is one whole decode step, so the
//! surface is fitted, at load time, as `ITL ≈ d0 + d1·B + d2·X` ([`DecodeFit`], non-negative
//! least squares on relative error): a fixed cost per step (weights read, launch), a cost per
//! decoding request (sampling, per-sequence kernels) and a cost per KV token read (attention).
//! The measured points stay exact: each point's residual against the fit is kept, and a query
//! at batch state (B, X) — mean context `c = X / B` — adds to the fit the residual of the two
//! rows bracketing `c`, each taken **at the same batch size B** along its row and blended
//! linearly in context. So rows are blended at the same batch state, never a 468-request point
//! with a 10-request one as a blend at equal kv_usage does.
//! * Along a row, the residual is piecewise linear in B between measured points and held
//!   beyond the first and last point (the fit carries the growth with B and X there).
//! * Outside the measured contexts the nearest row's residual is used.
//! * The result is exact at every measured point, continuous, and never below 1 µs.
//!
//! [`DecodeSurface::legacy_itl_ms`] keeps the earlier rule for `--step-model sum`: piecewise
//! linear along a row in kv_usage (first value held below, last segment's slope above when
//! positive — a single-point row borrows the nearest row's), rows blended linearly in context
//! at the **same kv_usage**, context clamped. Throughput inside a row's measured range is
//! interpolated the same way; outside it, it is derived from the ITL with the profiler's own
//! definition `batch / ITL · 1000 / TP`, batch = kv_usage · scale / context, scaled to meet the
//! row's end point exactly (so it is continuous there).

use super::prefill::{lerp, segment};
use crate::error::{Error, Result};

/// One row of constant context length.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeRow {
    /// Context length of every point in the row, tokens.
    pub context: f64,
    /// kv_usage of each point, strictly increasing.
    pub kv_usage: Vec<f64>,
    /// ITL at each point, ms.
    pub itl_ms: Vec<f64>,
    /// Decode throughput at each point, tokens/s/GPU.
    pub thpt_per_gpu: Vec<f64>,
    /// Slope (ms per unit kv_usage) used above the row's last point.
    extrap_slope: f64,
}

/// Measured decode performance of one engine (one TP).
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeSurface {
    /// Rows sorted by context length.
    pub rows: Vec<DecodeRow>,
    /// KV tokens that correspond to kv_usage = 1 on this surface (the file's `max_kv_tokens`).
    pub kv_scale_tokens: f64,
    /// Tensor-parallel size of the engine the surface was measured on.
    pub tp: u32,
    /// Contexts of the rows (copy for fast search).
    contexts: Vec<f64>,
    /// The step-model fit of the points.
    pub fit: DecodeFit,
    /// Per row: batch size of each point and its residual against the fit (same order as
    /// `rows`).
    residuals: Vec<(Vec<f64>, Vec<f64>)>,
}

/// `ITL ≈ fixed + per_request·B + per_kv_token·X` for a decode step over B requests holding X
/// KV tokens, fitted to a decode surface (see the module docs). The fixed cost is capped at the
/// smallest measured ITL, so no measured step is cheaper than the fixed part of a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecodeFit {
    /// Per step, ms (weights read, kernel launch: paid once whatever the batch).
    pub fixed_ms: f64,
    /// Per decoding request, ms.
    pub per_request_ms: f64,
    /// Per KV token read, ms.
    pub per_kv_token_ms: f64,
    /// Mean absolute error of the fit alone (before residuals restore the points), %.
    pub mape_pct: f64,
}

impl DecodeFit {
    /// The fitted ITL of a step over `batch` requests holding `kv_tokens`, ms.
    #[inline]
    pub fn itl_ms(&self, batch: f64, kv_tokens: f64) -> f64 {
        self.fixed_ms + self.per_request_ms * batch + self.per_kv_token_ms * kv_tokens
    }

    /// Fits (batch, kv tokens, ITL) points (fewer than 3 points: fixed cost and one slope, on
    /// KV tokens).
    pub fn of(points: &[(f64, f64, f64)]) -> Self {
        let n = points.len();
        let rows: Vec<Vec<f64>> = points
            .iter()
            .map(|&(b, x, _)| if n >= 3 { vec![1.0, b, x] } else { vec![1.0, x] })
            .collect();
        let y: Vec<f64> = points.iter().map(|p| p.2).collect();
        let w: Vec<f64> = y.iter().map(|t| 1.0 / (t * t)).collect();
        let c = crate::optimize::nnls(&rows, &y, &w);
        let f = if n >= 3 {
            DecodeFit {
                fixed_ms: c[0],
                per_request_ms: c[1],
                per_kv_token_ms: c[2],
                mape_pct: 0.0,
            }
        } else {
            DecodeFit {
                fixed_ms: c[0],
                per_request_ms: 0.0,
                per_kv_token_ms: c[1],
                mape_pct: 0.0,
            }
        };
        // the fixed cost may not exceed any measured step, so a step's decode part (ITL − fixed
        // cost) is ≥ 0 at every point and, interpolated, (almost) everywhere: a decoding request
        // never makes a mixed iteration cheaper than its prefill alone
        let cap = points.iter().map(|p| p.2).fold(f64::INFINITY, f64::min);
        let f = DecodeFit {
            fixed_ms: f.fixed_ms.min(cap).max(0.0),
            ..f
        };
        let mape = points
            .iter()
            .map(|&(b, x, t)| (f.itl_ms(b, x) - t).abs() / t)
            .sum::<f64>()
            / n.max(1) as f64
            * 100.0;
        DecodeFit { mape_pct: mape, ..f }
    }
}

/// A measured decode point, as stored in the files (flat arrays).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecodePoint {
    /// kv_usage in (0, 1.5].
    pub kv_usage: f64,
    /// Context length, tokens.
    pub context: f64,
    /// ITL, ms.
    pub itl_ms: f64,
    /// Throughput, tokens/s/GPU.
    pub thpt_per_gpu: f64,
}

impl DecodeSurface {
    /// Builds a validated surface from flat arrays (the profiler's layout). `max_kv_usage` is the
    /// upper bound accepted on the kv_usage axis (1.5 for Dynamo files).
    pub fn from_points(
        file: &str,
        points: &[DecodePoint],
        kv_scale_tokens: f64,
        tp: u32,
        max_kv_usage: f64,
    ) -> Result<Self> {
        if points.is_empty() {
            return Err(Error::data(
                file,
                "x_kv_usage",
                "is empty: the decode surface needs at least one point",
            ));
        }
        if !(kv_scale_tokens.is_finite() && kv_scale_tokens > 0.0) {
            return Err(Error::data(
                file,
                "max_kv_tokens",
                format!("must be a positive number, got {kv_scale_tokens}"),
            ));
        }
        if tp == 0 {
            return Err(Error::data(file, "tp", "must be ≥ 1"));
        }
        for (i, p) in points.iter().enumerate() {
            if !p.kv_usage.is_finite() || p.kv_usage <= 0.0 || p.kv_usage > max_kv_usage {
                return Err(Error::data(
                    file,
                    "x_kv_usage",
                    format!("element {i} is {}; expected a value in (0, {max_kv_usage}]", p.kv_usage),
                ));
            }
            if !p.context.is_finite() || p.context <= 0.0 {
                return Err(Error::data(
                    file,
                    "y_context_length",
                    format!("element {i} is {}; expected > 0", p.context),
                ));
            }
            if !p.itl_ms.is_finite() || p.itl_ms <= 0.0 {
                return Err(Error::data(
                    file,
                    "z_itl",
                    format!("element {i} is {}; expected a finite value > 0", p.itl_ms),
                ));
            }
            crate::sim::horizon::check_profile_ms(file, "z_itl", i, p.itl_ms)?;
            if !p.thpt_per_gpu.is_finite() || p.thpt_per_gpu <= 0.0 {
                return Err(Error::data(
                    file,
                    "z_thpt_per_gpu",
                    format!("element {i} is {}; expected a finite value > 0", p.thpt_per_gpu),
                ));
            }
        }
        let mut sorted: Vec<DecodePoint> = points.to_vec();
        sorted.sort_by(|a, b| a.context.total_cmp(&b.context).then(a.kv_usage.total_cmp(&b.kv_usage)));
        let mut rows: Vec<DecodeRow> = Vec::new();
        for p in sorted {
            match rows.last_mut() {
                Some(r) if r.context == p.context => {
                    if r.kv_usage.last() == Some(&p.kv_usage) {
                        return Err(Error::data(
                            file,
                            "x_kv_usage",
                            format!("two points at kv_usage {} and context {}", p.kv_usage, p.context),
                        ));
                    }
                    r.kv_usage.push(p.kv_usage);
                    r.itl_ms.push(p.itl_ms);
                    r.thpt_per_gpu.push(p.thpt_per_gpu);
                }
                _ => rows.push(DecodeRow {
                    context: p.context,
                    kv_usage: vec![p.kv_usage],
                    itl_ms: vec![p.itl_ms],
                    thpt_per_gpu: vec![p.thpt_per_gpu],
                    extrap_slope: 0.0,
                }),
            }
        }
        let own: Vec<Option<f64>> = rows
            .iter()
            .map(|r| {
                let n = r.kv_usage.len();
                (n >= 2).then(|| (r.itl_ms[n - 1] - r.itl_ms[n - 2]) / (r.kv_usage[n - 1] - r.kv_usage[n - 2]))
            })
            .collect();
        for i in 0..rows.len() {
            let slope = match own[i] {
                Some(s) => s,
                None => {
                    // nearest row (by index distance, ties to the lower context) with a slope
                    let mut found = None;
                    for d in 1..rows.len() {
                        if i >= d {
                            if let Some(s) = own[i - d] {
                                found = Some(s);
                                break;
                            }
                        }
                        if let Some(Some(s)) = own.get(i + d) {
                            found = Some(*s);
                            break;
                        }
                    }
                    found.unwrap_or(0.0)
                }
            };
            rows[i].extrap_slope = slope.max(0.0);
        }
        let contexts = rows.iter().map(|r| r.context).collect();
        let state = |r: &DecodeRow, u: f64| {
            let x = u * kv_scale_tokens;
            (x / r.context, x)
        };
        let all: Vec<(f64, f64, f64)> = rows
            .iter()
            .flat_map(|r| {
                r.kv_usage.iter().zip(&r.itl_ms).map(move |(&u, &t)| {
                    let (b, x) = state(r, u);
                    (b, x, t)
                })
            })
            .collect();
        let fit = DecodeFit::of(&all);
        let residuals = rows
            .iter()
            .map(|r| {
                r.kv_usage
                    .iter()
                    .zip(&r.itl_ms)
                    .map(|(&u, &t)| {
                        let (b, x) = state(r, u);
                        (b, t - fit.itl_ms(b, x))
                    })
                    .unzip()
            })
            .collect();
        Ok(DecodeSurface {
            rows,
            kv_scale_tokens,
            tp,
            contexts,
            fit,
            residuals,
        })
    }

    /// ITL in ms of a decode step over `batch` requests holding `kv_tokens` KV tokens in total:
    /// the fit plus the residual of the bracketing rows at the same batch size (see the module
    /// docs). Exact at every measured batch state.
    pub fn itl_at(&self, batch: f64, kv_tokens: f64) -> f64 {
        if batch.is_nan() || batch <= 0.0 || !kv_tokens.is_finite() {
            return self.fit.fixed_ms.max(1e-3);
        }
        let context = kv_tokens / batch;
        let (i, t) = self.bracket(context);
        let mut r = row_residual(&self.residuals[i], batch);
        if t > 0.0 {
            r += t * (row_residual(&self.residuals[i + 1], batch) - r);
        }
        (self.fit.itl_ms(batch, kv_tokens) + r).max(1e-3)
    }

    /// All measured points, row by row.
    pub fn points(&self) -> Vec<DecodePoint> {
        let mut v = Vec::new();
        for r in &self.rows {
            for i in 0..r.kv_usage.len() {
                v.push(DecodePoint {
                    kv_usage: r.kv_usage[i],
                    context: r.context,
                    itl_ms: r.itl_ms[i],
                    thpt_per_gpu: r.thpt_per_gpu[i],
                });
            }
        }
        v
    }

    /// ITL in ms of a decode step at `kv_usage` (on this surface's scale) and mean context
    /// length: the batch state `X = kv_usage · scale` tokens in `X / context` requests, see
    /// [`Self::itl_at`].
    pub fn itl_ms(&self, kv_usage: f64, context: f64) -> f64 {
        let x = kv_usage * self.kv_scale_tokens;
        self.itl_at(x / context.max(1e-9), x)
    }

    /// The earlier rule (`--step-model sum`): ITL at `kv_usage` and mean context, rows blended
    /// at the same kv_usage (see the module docs).
    pub fn legacy_itl_ms(&self, kv_usage: f64, context: f64) -> f64 {
        let (i, t) = self.bracket(context);
        let a = row_itl(&self.rows[i], kv_usage);
        if t == 0.0 {
            return a;
        }
        let b = row_itl(&self.rows[i + 1], kv_usage);
        a + t * (b - a)
    }

    /// ITL of a decode step over a batch holding `kv_tokens` KV tokens in total with mean
    /// context `mean_context` tokens.
    #[inline]
    pub fn itl_ms_for_batch(&self, kv_tokens: f64, mean_context: f64) -> f64 {
        self.itl_at(kv_tokens / mean_context.max(1e-9), kv_tokens)
    }

    /// Decode throughput in tokens/s/GPU at (`kv_usage`, `context`).
    pub fn thpt_per_gpu(&self, kv_usage: f64, context: f64) -> f64 {
        let (i, t) = self.bracket(context);
        let a = self.row_thpt(i, kv_usage, context);
        if t == 0.0 {
            return a;
        }
        let b = self.row_thpt(i + 1, kv_usage, context);
        a + t * (b - a)
    }

    fn row_thpt(&self, i: usize, u: f64, context: f64) -> f64 {
        let r = &self.rows[i];
        let n = r.kv_usage.len();
        if n >= 2 && u >= r.kv_usage[0] && u <= r.kv_usage[n - 1] {
            let j = segment(&r.kv_usage, u);
            return lerp(
                r.kv_usage[j],
                r.thpt_per_gpu[j],
                r.kv_usage[j + 1],
                r.thpt_per_gpu[j + 1],
                u,
            );
        }
        // Outside the row: the profiler's definition batch / ITL · 1000 / TP, scaled so it meets
        // the nearest measured point exactly (continuous at the row's ends).
        let derived =
            |u: f64| (u * self.kv_scale_tokens / context.max(1.0)).max(0.0) / row_itl(r, u) * 1000.0 / self.tp as f64;
        let k = if u < r.kv_usage[0] { 0 } else { n - 1 };
        let at_end = derived(r.kv_usage[k]);
        if at_end > 0.0 {
            derived(u) * (r.thpt_per_gpu[k] / at_end)
        } else {
            r.thpt_per_gpu[k]
        }
    }

    /// Row index `i` and blend weight `t` toward row `i + 1` for `context` (clamped).
    fn bracket(&self, context: f64) -> (usize, f64) {
        let n = self.contexts.len();
        if n == 1 || context <= self.contexts[0] || context.is_nan() {
            return (0, 0.0);
        }
        if context >= self.contexts[n - 1] {
            return (n - 1, 0.0);
        }
        let i = segment(&self.contexts, context);
        let t = (context - self.contexts[i]) / (self.contexts[i + 1] - self.contexts[i]);
        (i, t)
    }

    /// The largest batch size (requests, each at `context` tokens) whose ITL is ≤ `target_ms`,
    /// or `None` if even one request misses it. Searches batches that fit in `kv_capacity_tokens`.
    pub fn max_batch_within(&self, context: f64, target_ms: f64, kv_capacity_tokens: f64) -> Option<u64> {
        let max_batch = (kv_capacity_tokens / context.max(1.0)).floor().max(1.0) as u64;
        let ok = |b: u64| self.itl_ms_for_batch(b as f64 * context, context) <= target_ms;
        if !ok(1) {
            return None;
        }
        let mut best = 1;
        for b in 2..=max_batch.min(1 << 20) {
            if ok(b) {
                best = b;
            } else {
                break;
            }
        }
        Some(best)
    }

    /// Peak measured decode throughput, tokens/s/GPU, with its (kv_usage, context).
    pub fn peak_thpt(&self) -> (f64, f64, f64) {
        let mut best = (0.0, 0.0, 0.0);
        for p in self.points() {
            if p.thpt_per_gpu > best.0 {
                best = (p.thpt_per_gpu, p.kv_usage, p.context);
            }
        }
        best
    }
}

/// A row's residual at batch size `b`: piecewise linear between its points, held outside.
fn row_residual((batch, res): &(Vec<f64>, Vec<f64>), b: f64) -> f64 {
    let n = batch.len();
    if b <= batch[0] {
        return res[0];
    }
    if b >= batch[n - 1] {
        return res[n - 1];
    }
    let j = segment(batch, b);
    lerp(batch[j], res[j], batch[j + 1], res[j + 1], b)
}

fn row_itl(r: &DecodeRow, u: f64) -> f64 {
    let n = r.kv_usage.len();
    if u <= r.kv_usage[0] || u.is_nan() {
        return r.itl_ms[0];
    }
    if u >= r.kv_usage[n - 1] {
        return r.itl_ms[n - 1] + r.extrap_slope * (u - r.kv_usage[n - 1]);
    }
    let j = segment(&r.kv_usage, u);
    lerp(r.kv_usage[j], r.itl_ms[j], r.kv_usage[j + 1], r.itl_ms[j + 1], u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn pt(u: f64, c: f64, itl: f64) -> DecodePoint {
        DecodePoint {
            kv_usage: u,
            context: c,
            itl_ms: itl,
            thpt_per_gpu: 100.0 * itl,
        }
    }

    fn surface() -> DecodeSurface {
        let pts = vec![
            pt(0.1, 100.0, 10.0),
            pt(0.5, 100.0, 20.0),
            pt(0.2, 1000.0, 12.0),
            pt(0.6, 1000.0, 30.0),
            pt(0.4, 2000.0, 15.0),
        ];
        DecodeSurface::from_points("t", &pts, 1000.0, 1, 1.5).unwrap()
    }

    #[test]
    fn exact_at_measured_points() {
        let s = surface();
        for p in s.points() {
            assert_eq!(s.itl_ms(p.kv_usage, p.context), p.itl_ms);
            assert_eq!(s.thpt_per_gpu(p.kv_usage, p.context), p.thpt_per_gpu);
        }
    }

    #[test]
    fn legacy_rule_blends_rows_at_equal_kv_usage_and_extrapolates() {
        let s = surface();
        // halfway between rows at u = 0.3: row 100 → 15, row 1000 → 16.5
        assert_relative_eq!(s.legacy_itl_ms(0.3, 550.0), 15.75);
        // above the last point of row 100: slope 25 ms per unit usage
        assert_relative_eq!(s.legacy_itl_ms(0.7, 100.0), 25.0);
        // below the first point: held
        assert_relative_eq!(s.legacy_itl_ms(0.01, 100.0), 10.0);
        // single-point row borrows the slope of row 1000 (45 ms/unit)
        assert_relative_eq!(s.legacy_itl_ms(0.6, 2000.0), 15.0 + 0.2 * 45.0);
        // context clamped
        assert_eq!(s.legacy_itl_ms(0.4, 1e9), 15.0);
    }

    /// Rows measured on an exactly linear engine (ITL = 4 + 0.1·B + 0.002·X) plus a known
    /// residual at one point.
    fn linear_surface() -> DecodeSurface {
        let scale = 100_000.0;
        let mut pts = vec![];
        for &c in &[200.0, 2000.0] {
            for &b in &[1.0, 10.0, 40.0] {
                let x: f64 = b * c;
                let bump = if c == 200.0 && b == 10.0 { 1.0 } else { 0.0 };
                pts.push(pt(x / scale, c, 4.0 + 0.1 * b + 0.002 * x + bump));
            }
        }
        DecodeSurface::from_points("t", &pts, scale, 1, 1.5).unwrap()
    }

    #[test]
    fn batch_state_rule_is_exact_and_blends_at_the_same_batch_size() {
        let s = linear_surface();
        for p in s.points() {
            assert_relative_eq!(s.itl_ms(p.kv_usage, p.context), p.itl_ms, max_relative = 1e-9);
        }
        // the fit recovers the engine (the one bump barely moves a relative-error fit)
        let f = s.fit;
        assert!(
            (f.per_request_ms - 0.1).abs() < 0.05 && (f.per_kv_token_ms - 0.002).abs() < 2e-4,
            "{f:?}"
        );
        // a state between the rows at batch 10: the fit plus the rows' residuals at batch 10,
        // blended by context — the 200-token row's bump weighs (2000 − 1100)/1800 = 1/2
        let (b, c) = (10.0, 1100.0);
        let x = b * c;
        let r_lo = s.itl_at(b, b * 200.0) - f.itl_ms(b, b * 200.0);
        let r_hi = s.itl_at(b, b * 2000.0) - f.itl_ms(b, b * 2000.0);
        assert_relative_eq!(
            s.itl_at(b, x),
            f.itl_ms(b, x) + 0.5 * (r_lo + r_hi),
            max_relative = 1e-9
        );
        // beyond the measured batches the residual is held and the fit grows with B and X
        assert!(s.itl_at(200.0, 200.0 * 2000.0) > s.itl_at(40.0, 40.0 * 2000.0));
        assert!(s.itl_at(1.0, 1e-9) > 0.0);
    }

    #[test]
    fn rejects_bad_usage() {
        let err = DecodeSurface::from_points("f.npz", &[pt(1.6, 100.0, 1.0)], 10.0, 1, 1.5).unwrap_err();
        assert!(err.to_string().contains("x_kv_usage"), "{err}");
    }
}
