//! Clough–Tocher C1 piecewise-cubic interpolation of scattered 2-D data, as scipy's
//! `CloughTocher2DInterpolator` (the engine of `griddata(method="cubic")`) computes it:
//!
//! * gradients at the vertices from scipy's `estimate_gradients_2d_global`: a Gauss–Seidel
//!   sweep over the points (in input order) that, for each vertex, minimises the sum over its
//!   triangle edges of ∫|W''|² (second derivative of the edge's cubic along the edge) with the
//!   neighbours' gradients held fixed — a 2×2 linear solve; starting from zero gradients, up to
//!   400 sweeps, until the largest relative change is below 1e-6;
//! * on each triangle, the Clough–Tocher split into three cubic Bézier patches with the
//!   cross-edge derivative taken along the direction joining the two triangles' centroids
//!   (affine invariant), or toward the triangle's centroid from the edge midpoint on the hull;
//! * NaN outside the convex hull.

use super::delaunay::Triangulation;

/// Vertex gradients `[df/dx, df/dy]` of `values` on `tri`, by scipy's global minimum-curvature
/// iteration (`maxiter` 400, `tol` 1e-6).
pub fn estimate_gradients(tri: &Triangulation, values: &[f64]) -> Vec<[f64; 2]> {
    let nb = tri.vertex_neighbors();
    let p = &tri.points;
    let mut g = vec![[0.0f64; 2]; p.len()];
    for _ in 0..400 {
        let mut err = 0.0f64;
        for i in 0..p.len() {
            if nb[i].is_empty() {
                continue;
            }
            let (mut q0, mut q1, mut q3, mut s0, mut s1) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for &j in &nb[i] {
                let ex = p[j][0] - p[i][0];
                let ey = p[j][1] - p[i][1];
                let l = (ex * ex + ey * ey).sqrt();
                let l3 = l * l * l;
                let (f1, f2) = (values[i], values[j]);
                let df2 = -ex * g[j][0] - ey * g[j][1];
                q0 += 4.0 * ex * ex / l3;
                q1 += 4.0 * ex * ey / l3;
                q3 += 4.0 * ey * ey / l3;
                s0 += (6.0 * (f1 - f2) - 2.0 * df2) * ex / l3;
                s1 += (6.0 * (f1 - f2) - 2.0 * df2) * ey / l3;
            }
            let q2 = q1;
            let det = q0 * q3 - q1 * q2;
            let r0 = (q3 * s0 - q1 * s1) / det;
            let r1 = (-q2 * s0 + q0 * s1) / det;
            let change = (g[i][0] + r0).abs().max((g[i][1] + r1).abs());
            g[i] = [-r0, -r1];
            let change = change / 1.0f64.max(r0.abs().max(r1.abs()));
            err = err.max(change);
        }
        if err < 1e-6 {
            break;
        }
    }
    g
}

/// A Clough–Tocher interpolant of one value per point.
#[derive(Debug, Clone)]
pub struct CloughTocher<'a> {
    tri: &'a Triangulation,
    values: Vec<f64>,
    grads: Vec<[f64; 2]>,
}

impl<'a> CloughTocher<'a> {
    /// Builds the interpolant (estimates the gradients).
    pub fn new(tri: &'a Triangulation, values: &[f64]) -> Self {
        let grads = estimate_gradients(tri, values);
        CloughTocher {
            tri,
            values: values.to_vec(),
            grads,
        }
    }

    /// The interpolated value at `x`, or NaN outside the convex hull.
    pub fn eval(&self, x: [f64; 2]) -> f64 {
        match self.tri.locate(x) {
            Some((t, b)) => self.eval_in(t, b),
            None => f64::NAN,
        }
    }

    fn centroid(&self, t: usize) -> [f64; 2] {
        let v = self.tri.triangles[t].map(|i| self.tri.points[i]);
        [(v[0][0] + v[1][0] + v[2][0]) / 3.0, (v[0][1] + v[1][1] + v[2][1]) / 3.0]
    }

    /// scipy's `_clough_tocher_2d_single` on triangle `t` at barycentric coordinates `b`.
    fn eval_in(&self, t: usize, b: [f64; 3]) -> f64 {
        let vi = self.tri.triangles[t];
        let pt = vi.map(|i| self.tri.points[i]);
        let (e12x, e12y) = (pt[1][0] - pt[0][0], pt[1][1] - pt[0][1]);
        let (e23x, e23y) = (pt[2][0] - pt[1][0], pt[2][1] - pt[1][1]);
        let (e31x, e31y) = (pt[0][0] - pt[2][0], pt[0][1] - pt[2][1]);
        let f = vi.map(|i| self.values[i]);
        let df = vi.map(|i| self.grads[i]);
        let df12 = df[0][0] * e12x + df[0][1] * e12y;
        let df21 = -(df[1][0] * e12x + df[1][1] * e12y);
        let df23 = df[1][0] * e23x + df[1][1] * e23y;
        let df32 = -(df[2][0] * e23x + df[2][1] * e23y);
        let df31 = df[2][0] * e31x + df[2][1] * e31y;
        let df13 = -(df[0][0] * e31x + df[0][1] * e31y);
        let c3000 = f[0];
        let c2100 = (df12 + 3.0 * c3000) / 3.0;
        let c2010 = (df13 + 3.0 * c3000) / 3.0;
        let c0300 = f[1];
        let c1200 = (df21 + 3.0 * c0300) / 3.0;
        let c0210 = (df23 + 3.0 * c0300) / 3.0;
        let c0030 = f[2];
        let c1020 = (df31 + 3.0 * c0030) / 3.0;
        let c0120 = (df32 + 3.0 * c0030) / 3.0;
        let c2001 = (c2100 + c2010 + c3000) / 3.0;
        let c0201 = (c1200 + c0300 + c0210) / 3.0;
        let c0021 = (c1020 + c0120 + c0030) / 3.0;
        let mut g = [-0.5f64; 3];
        for (k, gk) in g.iter_mut().enumerate() {
            let Some(nt) = self.tri.neighbors[t][k] else { continue };
            let c = self.tri.barycentric(t, self.centroid(nt));
            *gk = match k {
                0 => (2.0 * c[2] + c[1] - 1.0) / (2.0 - 3.0 * c[2] - 3.0 * c[1]),
                1 => (2.0 * c[0] + c[2] - 1.0) / (2.0 - 3.0 * c[0] - 3.0 * c[2]),
                _ => (2.0 * c[1] + c[0] - 1.0) / (2.0 - 3.0 * c[1] - 3.0 * c[0]),
            };
        }
        let c0111 = (g[0] * (-c0300 + 3.0 * c0210 - 3.0 * c0120 + c0030)
            + (-c0300 + 2.0 * c0210 - c0120 + c0021 + c0201))
            / 2.0;
        let c1011 = (g[1] * (-c0030 + 3.0 * c1020 - 3.0 * c2010 + c3000)
            + (-c0030 + 2.0 * c1020 - c2010 + c2001 + c0021))
            / 2.0;
        let c1101 = (g[2] * (-c3000 + 3.0 * c2100 - 3.0 * c1200 + c0300)
            + (-c3000 + 2.0 * c2100 - c1200 + c2001 + c0201))
            / 2.0;
        let c1002 = (c1101 + c1011 + c2001) / 3.0;
        let c0102 = (c1101 + c0111 + c0201) / 3.0;
        let c0012 = (c1011 + c0111 + c0021) / 3.0;
        let c0003 = (c1002 + c0102 + c0012) / 3.0;
        let minval = b[0].min(b[1]).min(b[2]);
        let (b1, b2, b3, b4) = (b[0] - minval, b[1] - minval, b[2] - minval, 3.0 * minval);
        b1.powi(3) * c3000
            + 3.0 * b1 * b1 * b2 * c2100
            + 3.0 * b1 * b1 * b3 * c2010
            + 3.0 * b1 * b1 * b4 * c2001
            + 3.0 * b1 * b2 * b2 * c1200
            + 6.0 * b1 * b2 * b4 * c1101
            + 3.0 * b1 * b3 * b3 * c1020
            + 6.0 * b1 * b3 * b4 * c1011
            + 3.0 * b1 * b4 * b4 * c1002
            + b2.powi(3) * c0300
            + 3.0 * b2 * b2 * b3 * c0210
            + 3.0 * b2 * b2 * b4 * c0201
            + 3.0 * b2 * b3 * b3 * c0120
            + 6.0 * b2 * b3 * b4 * c0111
            + 3.0 * b2 * b4 * b4 * c0102
            + b3.powi(3) * c0030
            + 3.0 * b3 * b3 * b4 * c0021
            + 3.0 * b3 * b4 * b4 * c0012
            + b4.powi(3) * c0003
    }
}

#[cfg(test)]
mod tests {
    use super::super::delaunay::delaunay;
    use super::*;

    #[test]
    fn exact_at_nodes_and_linear_functions() {
        let pts: Vec<[f64; 2]> = vec![
            [0.0, 0.0],
            [1.0, 0.1],
            [0.2, 1.0],
            [1.1, 1.2],
            [0.5, 0.4],
            [0.7, 0.9],
            [1.5, 0.6],
        ];
        let lin = |p: [f64; 2]| 3.0 + 2.0 * p[0] - 0.5 * p[1];
        let vals: Vec<f64> = pts.iter().map(|&p| lin(p)).collect();
        let tri = delaunay(&pts).unwrap();
        let ct = CloughTocher::new(&tri, &vals);
        for (p, v) in pts.iter().zip(&vals) {
            assert!((ct.eval(*p) - v).abs() < 1e-9);
        }
        // linear data: gradients exact, interpolant reproduces the plane
        for x in [[0.5, 0.5], [0.9, 0.8], [0.3, 0.3]] {
            assert!(
                (ct.eval(x) - lin(x)).abs() < 1e-6,
                "{x:?}: {} vs {}",
                ct.eval(x),
                lin(x)
            );
        }
        assert!(ct.eval([5.0, 5.0]).is_nan());
    }
}
