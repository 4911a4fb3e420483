//! 2-D Delaunay triangulation (Bowyer–Watson, incremental, with "ghost" triangles through a
//! vertex at infinity so the result covers exactly the convex hull).
//!
//! Used for the Dynamo-planner view of a decode surface, which triangulates the scattered
//! `(x_kv_usage, y_context_length)` points **in raw coordinates** (as scipy's qhull-based
//! `Delaunay` does with `griddata`'s default `rescale=False`). Predicates are plain `f64`
//! (coordinates are translated to the bounding box's corner first); the result is checked for
//! consistency (every edge shared by exactly two triangles, every real triangle counter-clockwise
//! with positive area) and rejected otherwise, so the caller can fall back. Fewer than three
//! non-collinear points (e.g. a single measured context row) have no triangulation.

/// Marker for the vertex at infinity inside the construction.
const INF: usize = usize::MAX;

/// Relative tolerance under which three points count as collinear (sine of the angle).
const COLLINEAR_EPS: f64 = 1e-10;

fn dist(a: [f64; 2], b: [f64; 2]) -> f64 {
    ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt()
}

/// A triangulation of a point set: counter-clockwise triangles and their neighbours.
#[derive(Debug, Clone, PartialEq)]
pub struct Triangulation {
    /// The input points `[x, y]`, in input order (indices refer to these).
    pub points: Vec<[f64; 2]>,
    /// Triangles as counter-clockwise vertex index triples.
    pub triangles: Vec<[usize; 3]>,
    /// `neighbors[t][k]`: the triangle across the edge opposite vertex `k` of triangle `t`
    /// (`None` on the convex hull).
    pub neighbors: Vec<[Option<usize>; 3]>,
}

fn orient(a: [f64; 2], b: [f64; 2], c: [f64; 2]) -> f64 {
    (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
}

/// > 0 when `d` is strictly inside the circumcircle of the counter-clockwise triangle `a b c`.
fn incircle(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]) -> f64 {
    let (adx, ady) = (a[0] - d[0], a[1] - d[1]);
    let (bdx, bdy) = (b[0] - d[0], b[1] - d[1]);
    let (cdx, cdy) = (c[0] - d[0], c[1] - d[1]);
    let ad = adx * adx + ady * ady;
    let bd = bdx * bdx + bdy * bdy;
    let cd = cdx * cdx + cdy * cdy;
    adx * (bdy * cd - bd * cdy) - ady * (bdx * cd - bd * cdx) + ad * (bdx * cdy - bdy * cdx)
}

/// Why no triangulation was produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Degenerate {
    /// Fewer than three distinct points, or all points on one line.
    Collinear,
    /// Floating-point predicates produced an inconsistent mesh.
    Inconsistent,
}

/// Triangulates `points`. Exact duplicates are ignored (they are not vertices of any triangle).
pub fn delaunay(points: &[[f64; 2]]) -> Result<Triangulation, Degenerate> {
    if points.iter().any(|p| !(p[0].is_finite() && p[1].is_finite())) {
        return Err(Degenerate::Inconsistent);
    }
    let ox = points.iter().map(|p| p[0]).fold(f64::INFINITY, f64::min);
    let oy = points.iter().map(|p| p[1]).fold(f64::INFINITY, f64::min);
    let q: Vec<[f64; 2]> = points.iter().map(|p| [p[0] - ox, p[1] - oy]).collect();
    let n = q.len();
    // seed triangle: first point, first different point, first non-collinear point
    let i0 = 0;
    let i1 = (1..n).find(|&i| q[i] != q[i0]).ok_or(Degenerate::Collinear)?;
    let i2 = (1..n)
        .find(|&i| i != i1 && orient(q[i0], q[i1], q[i]) != 0.0)
        .ok_or(Degenerate::Collinear)?;
    let seed = if orient(q[i0], q[i1], q[i2]) > 0.0 {
        [i0, i1, i2]
    } else {
        [i0, i2, i1]
    };
    let mut tris: Vec<[usize; 3]> = vec![seed];
    for k in 0..3 {
        let (a, b) = (seed[k], seed[(k + 1) % 3]);
        tris.push([b, a, INF]);
    }
    let mut alive = vec![true; tris.len()];
    let mut inserted: Vec<usize> = seed.to_vec();
    for p in 0..n {
        if seed.contains(&p) || inserted.iter().any(|&v| q[v] == q[p]) {
            continue;
        }
        let pt = q[p];
        let conflict = |t: &[usize; 3]| -> bool {
            if t[2] == INF {
                let (x, y) = (q[t[0]], q[t[1]]);
                let mut o = orient(x, y, pt);
                // nearly collinear with the hull edge (relative to the edge and offset lengths):
                // treat as on the line, as qhull merges such flat facets
                if o.abs() <= COLLINEAR_EPS * dist(x, y) * dist(x, pt) {
                    o = 0.0;
                }
                if o > 0.0 {
                    return true;
                }
                if o == 0.0 {
                    // on the hull line: in conflict only strictly inside the segment
                    let dot = (pt[0] - x[0]) * (y[0] - x[0]) + (pt[1] - x[1]) * (y[1] - x[1]);
                    let len2 = (y[0] - x[0]).powi(2) + (y[1] - x[1]).powi(2);
                    return dot > 0.0 && dot < len2;
                }
                false
            } else {
                incircle(q[t[0]], q[t[1]], q[t[2]], pt) > 0.0
            }
        };
        let bad: Vec<usize> = (0..tris.len()).filter(|&t| alive[t] && conflict(&tris[t])).collect();
        if bad.is_empty() {
            return Err(Degenerate::Inconsistent);
        }
        let mut edges: Vec<(usize, usize)> = Vec::with_capacity(bad.len() * 3);
        for &t in &bad {
            let v = tris[t];
            for k in 0..3 {
                edges.push((v[k], v[(k + 1) % 3]));
            }
            alive[t] = false;
        }
        let boundary: Vec<(usize, usize)> = edges
            .iter()
            .copied()
            .filter(|&(u, v)| !edges.contains(&(v, u)))
            .collect();
        for (u, v) in boundary {
            let t = if u == INF {
                [v, p, INF]
            } else if v == INF {
                [p, u, INF]
            } else {
                [u, v, p]
            };
            tris.push(t);
            alive.push(true);
        }
        inserted.push(p);
    }
    let real: Vec<[usize; 3]> = tris
        .iter()
        .zip(&alive)
        .filter(|(t, a)| **a && t[2] != INF)
        .map(|(t, _)| *t)
        .collect();
    // consistency: each directed edge once; positive area
    let mut map = std::collections::HashMap::new();
    for (ti, t) in tris.iter().zip(&alive).filter(|(_, a)| **a).map(|(t, _)| t).enumerate() {
        for k in 0..3 {
            if map.insert((t[k], t[(k + 1) % 3]), ti).is_some() {
                return Err(Degenerate::Inconsistent);
            }
        }
    }
    for &(u, v) in map.keys() {
        if !map.contains_key(&(v, u)) {
            return Err(Degenerate::Inconsistent);
        }
    }
    if real.iter().any(|t| orient(q[t[0]], q[t[1]], q[t[2]]) <= 0.0) {
        return Err(Degenerate::Inconsistent);
    }
    // Drop flat triangles on the hull (three nearly collinear hull points), repeatedly: qhull
    // leaves such points on one hull edge instead of closing them with a sliver.
    let mut real = real;
    loop {
        let mut owner = std::collections::HashSet::new();
        for t in &real {
            for k in 0..3 {
                owner.insert((t[k], t[(k + 1) % 3]));
            }
        }
        let flat = real.iter().position(|t| {
            let on_hull = (0..3).any(|k| !owner.contains(&(t[(k + 1) % 3], t[k])));
            let [a, b, c] = t.map(|i| q[i]);
            let longest = dist(a, b).max(dist(b, c)).max(dist(c, a));
            on_hull && orient(a, b, c).abs() <= COLLINEAR_EPS * longest * longest
        });
        match flat {
            Some(i) => {
                real.swap_remove(i);
            }
            None => break,
        }
    }
    if real.is_empty() {
        return Err(Degenerate::Collinear);
    }
    let mut edge_owner = std::collections::HashMap::new();
    for (ti, t) in real.iter().enumerate() {
        for k in 0..3 {
            edge_owner.insert((t[k], t[(k + 1) % 3]), ti);
        }
    }
    let neighbors = real
        .iter()
        .map(|t| {
            // opposite vertex k is the edge (t[k+1], t[k+2]); the neighbour owns it reversed
            let mut nb = [None; 3];
            for (k, slot) in nb.iter_mut().enumerate() {
                let (a, b) = (t[(k + 1) % 3], t[(k + 2) % 3]);
                *slot = edge_owner.get(&(b, a)).copied();
            }
            nb
        })
        .collect();
    Ok(Triangulation {
        points: points.to_vec(),
        triangles: real,
        neighbors,
    })
}

impl Triangulation {
    /// Indices of the vertices joined to each point by a triangle edge (empty for points that
    /// are not vertices, e.g. duplicates).
    pub fn vertex_neighbors(&self) -> Vec<Vec<usize>> {
        let mut nb: Vec<Vec<usize>> = vec![Vec::new(); self.points.len()];
        for t in &self.triangles {
            for k in 0..3 {
                let (a, b) = (t[k], t[(k + 1) % 3]);
                if !nb[a].contains(&b) {
                    nb[a].push(b);
                }
                if !nb[b].contains(&a) {
                    nb[b].push(a);
                }
            }
        }
        for v in &mut nb {
            v.sort_unstable();
        }
        nb
    }

    /// Barycentric coordinates of `x` in triangle `t`.
    pub fn barycentric(&self, t: usize, x: [f64; 2]) -> [f64; 3] {
        let [a, b, c] = self.triangles[t].map(|i| self.points[i]);
        let det = orient(a, b, c);
        let c0 = orient(x, b, c) / det;
        let c1 = orient(a, x, c) / det;
        [c0, c1, 1.0 - c0 - c1]
    }

    /// A triangle containing `x` (barycentric coordinates ≥ −`eps`, as scipy's
    /// `find_simplex` with its 100·machine-epsilon tolerance), with the coordinates.
    pub fn locate(&self, x: [f64; 2]) -> Option<(usize, [f64; 3])> {
        let eps = 100.0 * f64::EPSILON;
        (0..self.triangles.len()).find_map(|t| {
            let c = self.barycentric(t, x);
            c.iter().all(|&v| v >= -eps && v <= 1.0 + eps).then_some((t, c))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_grid_covers_hull() {
        let mut pts = Vec::new();
        for i in 0..5 {
            for j in 0..4 {
                pts.push([i as f64 * 0.25 + 0.01 * j as f64, j as f64 * 1000.0]);
            }
        }
        let t = delaunay(&pts).unwrap();
        // a triangulation of m points with h on the hull has 2m − 2 − h triangles
        assert_eq!(t.triangles.len(), 2 * 20 - 2 - 14);
        let area: f64 = t
            .triangles
            .iter()
            .map(|tr| orient(pts[tr[0]], pts[tr[1]], pts[tr[2]]) / 2.0)
            .sum();
        assert!((area - 3000.0).abs() < 1e-6, "{area}");
        // empty circumcircles
        for tr in &t.triangles {
            for (i, p) in pts.iter().enumerate() {
                if !tr.contains(&i) {
                    assert!(incircle(pts[tr[0]], pts[tr[1]], pts[tr[2]], *p) <= 1e-6);
                }
            }
        }
    }

    #[test]
    fn collinear_is_degenerate() {
        let pts = [[0.1, 350.0], [0.2, 350.0], [0.5, 350.0]];
        assert_eq!(delaunay(&pts), Err(Degenerate::Collinear));
    }
}
