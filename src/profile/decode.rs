//! The decode surface: (kv_usage, context_length) → ITL (ms) and decode throughput (tokens/s/GPU).
//!
//! `kv_usage` is KV tokens in use divided by the surface's **KV scale** — the `max_kv_tokens`
//! the surface was measured against. That scale defines the axis; it is kept apart from the
//! engine's real KV capacity (see [`super::EngineProfile::kv_capacity_tokens`]).
//!
//! # Interpolation
//! Dynamo's profiler measures *rows* of constant context length, each a sweep over kv_usage
//! (batch size). Points are grouped into rows by their exact context length.
//! * **Along a row** (kv_usage): piecewise linear through the row's points. Below the row's
//!   first point the first value is held (a batch cannot use less KV than one request at that
//!   context). Above the last point the last segment's slope is used when it is positive, the
//!   last value held otherwise; a single-point row borrows the last-segment slope of the nearest
//!   row that has one.
//! * **Across rows** (context length): linear blend of the two rows bracketing the query;
//!   outside the measured contexts the context is clamped to the first/last row.
//!
//! The result is exact at every measured point, continuous, and positive (every row value is a
//! positive measurement or a non-decreasing extrapolation of one). Throughput inside a row's
//! measured range is interpolated the same way; outside it, it is derived from the ITL with the
//! profiler's own definition `batch / ITL · 1000 / TP`, batch = kv_usage · scale / context,
//! scaled to meet the row's end point exactly (so it is continuous there).

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
        Ok(DecodeSurface {
            rows,
            kv_scale_tokens,
            tp,
            contexts,
        })
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

    /// ITL in ms of a decode step at `kv_usage` (on this surface's scale) and mean context length.
    pub fn itl_ms(&self, kv_usage: f64, context: f64) -> f64 {
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
        self.itl_ms(kv_tokens / self.kv_scale_tokens, mean_context)
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
    fn blends_rows_and_extrapolates() {
        let s = surface();
        // halfway between rows at u = 0.3: row 100 → 15, row 1000 → 16.5
        assert_relative_eq!(s.itl_ms(0.3, 550.0), 15.75);
        // above the last point of row 100: slope 25 ms per unit usage
        assert_relative_eq!(s.itl_ms(0.7, 100.0), 25.0);
        // below the first point: held
        assert_relative_eq!(s.itl_ms(0.01, 100.0), 10.0);
        // single-point row borrows the slope of row 1000 (45 ms/unit)
        assert_relative_eq!(s.itl_ms(0.6, 2000.0), 15.0 + 0.2 * 45.0);
        // context clamped
        assert_eq!(s.itl_ms(0.4, 1e9), 15.0);
    }

    #[test]
    fn rejects_bad_usage() {
        let err = DecodeSurface::from_points("f.npz", &[pt(1.6, 100.0, 1.0)], 10.0, 1, 1.5).unwrap_err();
        assert!(err.to_string().contains("x_kv_usage"), "{err}");
    }
}
