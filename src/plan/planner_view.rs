//! The Dynamo SLA planner's own view of a profile (`--interp planner`), re-implemented from its
//! documented rules so a plan can be compared with what Dynamo's planner would decide:
//!
//! * **prefill**: 1-D not-a-knot cubic splines (scipy `interp1d(kind="cubic")`) of TTFT (ms)
//!   and throughput (tokens/s/GPU) over ISL, with the ISL clamped to the measured range;
//! * **decode**: a 100 × 100 grid over kv_usage ∈ [0, 1] × context ∈ [0, max measured context]
//!   (numpy `linspace`), filled by Clough–Tocher cubic interpolation of the scattered
//!   `(x_kv_usage, y_context_length)` points in raw coordinates (scipy `griddata(method="cubic")`:
//!   [`super::delaunay`] + [`super::clough_tocher`]); grid nodes outside the convex hull take the
//!   value of the nearest measured point (Euclidean distance in raw coordinates, ties to the
//!   first point, as `griddata(method="nearest")`);
//! * a query at context C uses the grid row nearest to C (round half to even, clamped to the
//!   grid); "best throughput at ITL ≤ target" scans that row from kv_usage 1 down and returns
//!   the throughput of the first node whose ITL meets the target (the row's first node if none).
//!
//! When the points have no 2-D triangulation (all on one line, e.g. a decode sweep that measured
//! a single context row) Dynamo's planner would stop with a qhull error; here every grid node
//! takes the nearest point instead and [`PlannerDecode::method`] says so.

use super::clough_tocher::CloughTocher;
use super::delaunay::{delaunay, Degenerate};
use super::spline::CubicSpline;
use crate::error::Result;
use crate::profile::{DecodeSurface, PrefillCurve};

/// Grid resolution of the decode view (nodes per axis), as Dynamo's planner.
pub const RESOLUTION: usize = 100;

/// Cubic-spline prefill view.
#[derive(Debug, Clone)]
pub struct PlannerPrefill {
    ttft: CubicSpline,
    thpt: CubicSpline,
    min_isl: f64,
    max_isl: f64,
}

impl PlannerPrefill {
    /// Builds the splines from the measured curve.
    pub fn new(curve: &PrefillCurve) -> Result<Self> {
        Ok(PlannerPrefill {
            ttft: CubicSpline::new("prefill_ttft", &curve.isl, &curve.ttft_ms)?,
            thpt: CubicSpline::new("prefill_thpt_per_gpu", &curve.isl, &curve.thpt_per_gpu)?,
            min_isl: curve.isl[0],
            max_isl: curve.isl[curve.isl.len() - 1],
        })
    }

    /// The ISL actually looked up: `isl` clamped to the measured range, tokens.
    pub fn clamp(&self, isl: f64) -> f64 {
        isl.clamp(self.min_isl, self.max_isl)
    }

    /// TTFT at `isl` tokens (clamped), ms.
    pub fn ttft_ms(&self, isl: f64) -> f64 {
        self.ttft.eval(self.clamp(isl))
    }

    /// Prefill throughput at `isl` tokens (clamped), tokens/s/GPU.
    pub fn thpt_per_gpu(&self, isl: f64) -> f64 {
        self.thpt.eval(self.clamp(isl))
    }
}

/// Gridded decode view.
#[derive(Debug, Clone)]
pub struct PlannerDecode {
    /// kv_usage of each grid column, 0…1.
    pub xi: Vec<f64>,
    /// Context length of each grid row, tokens, 0…max measured context.
    pub yi: Vec<f64>,
    /// ITL at `[row][column]`, ms.
    pub itl_ms: Vec<Vec<f64>>,
    /// Throughput at `[row][column]`, tokens/s/GPU.
    pub thpt_per_gpu: Vec<Vec<f64>>,
    /// How the grid was filled (for the output).
    pub method: String,
}

fn linspace(stop: f64, n: usize) -> Vec<f64> {
    let step = stop / (n - 1) as f64;
    let mut v: Vec<f64> = (0..n).map(|i| i as f64 * step).collect();
    v[n - 1] = stop;
    v
}

/// Result of a decode query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecodeQuery {
    /// Grid row used.
    pub row: usize,
    /// Its context length, tokens.
    pub grid_context: f64,
    /// Grid column chosen.
    pub column: usize,
    /// Its kv_usage.
    pub kv_usage: f64,
    /// ITL there, ms.
    pub itl_ms: f64,
    /// Throughput there, tokens/s/GPU.
    pub thpt_per_gpu: f64,
    /// Whether the ITL meets the target (false: no node in the row does).
    pub meets: bool,
}

impl PlannerDecode {
    /// Builds the grid from the surface's measured points.
    pub fn new(surface: &DecodeSurface) -> Self {
        let pts = surface.points();
        let xy: Vec<[f64; 2]> = pts.iter().map(|p| [p.kv_usage, p.context]).collect();
        let itl: Vec<f64> = pts.iter().map(|p| p.itl_ms).collect();
        let thpt: Vec<f64> = pts.iter().map(|p| p.thpt_per_gpu).collect();
        let max_ctx = xy.iter().map(|p| p[1]).fold(0.0, f64::max);
        let xi = linspace(1.0, RESOLUTION);
        let yi = linspace(max_ctx, RESOLUTION);
        let nearest = |x: [f64; 2]| -> usize {
            let mut best = (f64::INFINITY, 0);
            for (i, p) in xy.iter().enumerate() {
                let d = (p[0] - x[0]).powi(2) + (p[1] - x[1]).powi(2);
                if d < best.0 {
                    best = (d, i);
                }
            }
            best.1
        };
        let (tri, method) = match delaunay(&xy) {
            Ok(t) => (
                Some(t),
                "Clough-Tocher cubic on the Delaunay triangulation, nearest point outside the hull".to_string(),
            ),
            Err(Degenerate::Collinear) => (
                None,
                "nearest point everywhere: the measured points lie on one line, so there is no triangulation (Dynamo's planner would fail with a qhull error here)".to_string(),
            ),
            Err(Degenerate::Inconsistent) => (
                None,
                "nearest point everywhere: the triangulation was numerically inconsistent".to_string(),
            ),
        };
        let cts = tri
            .as_ref()
            .map(|t| (CloughTocher::new(t, &itl), CloughTocher::new(t, &thpt)));
        let mut gi = vec![vec![0.0; RESOLUTION]; RESOLUTION];
        let mut gt = vec![vec![0.0; RESOLUTION]; RESOLUTION];
        for (r, &y) in yi.iter().enumerate() {
            for (c, &x) in xi.iter().enumerate() {
                let (mut a, mut b) = match &cts {
                    Some((ci, ctp)) => (ci.eval([x, y]), ctp.eval([x, y])),
                    None => (f64::NAN, f64::NAN),
                };
                if a.is_nan() || b.is_nan() {
                    let k = nearest([x, y]);
                    if a.is_nan() {
                        a = itl[k];
                    }
                    if b.is_nan() {
                        b = thpt[k];
                    }
                }
                gi[r][c] = a;
                gt[r][c] = b;
            }
        }
        PlannerDecode {
            xi,
            yi,
            itl_ms: gi,
            thpt_per_gpu: gt,
            method,
        }
    }

    /// Grid row nearest to `context` tokens (round half to even, clamped).
    pub fn row(&self, context: f64) -> usize {
        let step = self.yi[1] - self.yi[0];
        if step.is_nan() || step <= 0.0 {
            return 0;
        }
        let r = ((context - self.yi[0]) / step).round_ties_even();
        r.clamp(0.0, (RESOLUTION - 1) as f64) as usize
    }

    /// Throughput/GPU at the largest kv_usage whose ITL ≤ `itl_target_ms`, at `context`.
    pub fn best_thpt(&self, itl_target_ms: f64, context: f64) -> DecodeQuery {
        let row = self.row(context);
        let found = (0..RESOLUTION).rev().find(|&c| self.itl_ms[row][c] <= itl_target_ms);
        let column = found.unwrap_or(0);
        DecodeQuery {
            row,
            grid_context: self.yi[row],
            column,
            kv_usage: self.xi[column],
            itl_ms: self.itl_ms[row][column],
            thpt_per_gpu: self.thpt_per_gpu[row][column],
            meets: found.is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes the planner grids of the shipped profiles for comparison with scipy
    /// (`SLASIM_DUMP_GRID=DIR cargo test --release --lib dump_planner_grids`).
    #[test]
    fn dump_planner_grids() {
        let Ok(dir) = std::env::var("SLASIM_DUMP_GRID") else {
            return;
        };
        for name in crate::profile::shipped::names() {
            let p = crate::profile::shipped::by_name(name).unwrap().unwrap();
            for e in p.engines.iter().filter(|e| e.decode.is_some()) {
                let s = e.decode.as_ref().unwrap();
                let g = PlannerDecode::new(s);
                let pts: Vec<_> = s
                    .points()
                    .iter()
                    .map(|q| [q.kv_usage, q.context, q.itl_ms, q.thpt_per_gpu])
                    .collect();
                let xy: Vec<[f64; 2]> = pts.iter().map(|q| [q[0], q[1]]).collect();
                let tris = crate::plan::delaunay::delaunay(&xy)
                    .map(|t| t.triangles)
                    .unwrap_or_default();
                let v = serde_json::json!({"points": pts, "itl": g.itl_ms, "thpt": g.thpt_per_gpu, "method": g.method, "tris": tris});
                let f = format!("{dir}/{}-tp{}.json", name.replace('/', "_"), e.tp);
                std::fs::write(f, v.to_string()).unwrap();
            }
        }
    }
}
