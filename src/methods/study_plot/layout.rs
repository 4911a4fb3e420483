//! Axes and label placement shared by the study figures: [`KeyedAxis`] (fixed tick positions),
//! [`LogZeroAxis`] (log scale with a slot for zero), pixel [`Rect`]s and [`place_labels`].

use crate::profile::plot::tick;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::ops::Range;

/// A linear f64 axis with fixed tick positions: `bold` get labels and grid lines, `light` only
/// faint grid lines. (plotters' `WithKeyPoints` over f64 has no value formatter.)
#[derive(Debug, Clone)]
pub(super) struct KeyedAxis {
    pub(super) range: Range<f64>,
    pub(super) bold: Vec<f64>,
    pub(super) light: Vec<f64>,
}

impl KeyedAxis {
    /// Categories `0..n` at integer positions, half a slot of room at either end.
    pub(super) fn categories(n: usize) -> KeyedAxis {
        KeyedAxis {
            range: -0.5..n.max(1) as f64 - 0.5,
            bold: (0..n).map(|i| i as f64).collect(),
            light: Vec::new(),
        }
    }
}

impl Ranged for KeyedAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        RangedCoordf64::from(self.range.clone()).map(v, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

// ---------------------------------------------------------------------------------------------
// Axis-aligned pixel rectangles and label placement.

/// A pixel rectangle (x0 ≤ x1, y0 ≤ y1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Rect {
    pub(super) x0: i32,
    pub(super) y0: i32,
    pub(super) x1: i32,
    pub(super) y1: i32,
}

impl Rect {
    /// The rectangle of a `w` × `h` box with its top-left corner at `(x, y)`.
    pub(super) fn at(x: i32, y: i32, w: i32, h: i32) -> Rect {
        Rect {
            x0: x,
            y0: y,
            x1: x + w,
            y1: y + h,
        }
    }

    /// A square of half-size `r` around `(x, y)`.
    pub(super) fn around((x, y): (i32, i32), r: i32) -> Rect {
        Rect {
            x0: x - r,
            y0: y - r,
            x1: x + r,
            y1: y + r,
        }
    }

    /// Area of the intersection with `o`, px².
    pub(super) fn overlap(&self, o: &Rect) -> i64 {
        let w = (self.x1.min(o.x1) - self.x0.max(o.x0)).max(0) as i64;
        let h = (self.y1.min(o.y1) - self.y0.max(o.y0)).max(0) as i64;
        w * h
    }

    /// Area outside `b`, px².
    pub(super) fn outside(&self, b: &Rect) -> i64 {
        let area = (self.x1 - self.x0) as i64 * (self.y1 - self.y0) as i64;
        area - self.overlap(b)
    }
}

/// Where to put the labels of points: `anchors[i]` is point `i` in pixels, `sizes[i]` its
/// label's size. Candidate positions around each point (right, left, above, below, the four
/// diagonals, at growing distances) are scored by the label area falling outside `bounds`,
/// covering another label or a point (`hard`, heavily weighted) or a `soft` obstacle (error
/// bars); the best candidate wins, the nearest one on ties. Returns each label's rectangle and
/// whether it was placed far from its point (then worth a leader line).
pub(super) fn place_labels(
    anchors: &[(i32, i32)],
    sizes: &[(i32, i32)],
    bounds: Rect,
    hard: &[Rect],
    soft: &[Rect],
) -> Vec<(Rect, bool)> {
    let mut placed: Vec<Rect> = Vec::new();
    let mut out = Vec::new();
    for (&(x, y), &(w, h)) in anchors.iter().zip(sizes) {
        let mut best: Option<(i64, Rect, bool)> = None;
        for (k, g) in [11, 24, 40, 60].into_iter().enumerate() {
            let d = g * 7 / 10;
            let candidates = [
                Rect::at(x + g, y - h / 2, w, h),
                Rect::at(x - g - w, y - h / 2, w, h),
                Rect::at(x - w / 2, y - g - h, w, h),
                Rect::at(x - w / 2, y + g, w, h),
                Rect::at(x + d, y - d - h, w, h),
                Rect::at(x + d, y + d, w, h),
                Rect::at(x - d - w, y - d - h, w, h),
                Rect::at(x - d - w, y + d, w, h),
            ];
            for c in candidates {
                let score = c.outside(&bounds) * 50
                    + placed.iter().chain(hard).map(|o| c.overlap(o)).sum::<i64>() * 20
                    + soft.iter().map(|o| c.overlap(o)).sum::<i64>()
                    // prefer near positions: a small cost per ring
                    + k as i64 * 40;
                if best.is_none_or(|(s, _, _)| score < s) {
                    best = Some((score, c, k > 0));
                }
            }
        }
        let (rect, far) = best.map_or((Rect::at(x, y, w, h), false), |(_, r, f)| (r, f));
        placed.push(rect);
        out.push((rect, far));
    }
    out
}

/// The point of `r` nearest to `p`.
pub(super) fn nearest_on(r: &Rect, (x, y): (i32, i32)) -> (i32, i32) {
    (x.clamp(r.x0, r.x1), y.clamp(r.y0, r.y1))
}

// ---------------------------------------------------------------------------------------------
// Logarithmic axis with a zero slot (cost vs error).

/// A logarithmic axis (drawn in log10 units) with an optional slot for zero to the left of the
/// log part, set off by a break.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct LogZeroAxis {
    /// Whether some value is 0 (or negative) and needs the zero slot.
    pub(super) zero: bool,
    /// Left end of the log part (log10).
    pub(super) lo: f64,
    /// Right end (log10).
    pub(super) hi: f64,
}

/// Gap between the zero slot and the start of the log part, decades.
const ZERO_GAP: f64 = 0.6;

impl LogZeroAxis {
    /// An axis covering `values` (the means and upper error-bar ends) with a little room on
    /// either side and at least one decade wide; non-finite values are ignored.
    pub(super) fn of(values: &[f64]) -> LogZeroAxis {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let zero = finite.iter().any(|v| *v <= 0.0);
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for &v in finite.iter().filter(|v| **v > 0.0) {
            lo = lo.min(v.log10());
            hi = hi.max(v.log10());
        }
        if !(lo.is_finite() && hi.is_finite()) {
            return LogZeroAxis {
                zero: true,
                lo: 0.0,
                hi: 1.0,
            };
        }
        let (mut lo, mut hi) = (lo - 0.15, hi + 0.15);
        if hi - lo < 1.0 {
            let mid = (lo + hi) / 2.0;
            lo = mid - 0.5;
            hi = mid + 0.5;
        }
        LogZeroAxis { zero, lo, hi }
    }

    /// Position of the zero slot.
    pub(super) fn zero_u(&self) -> f64 {
        self.lo - ZERO_GAP
    }

    /// Position of the break between the zero slot and the log part.
    pub(super) fn break_u(&self) -> f64 {
        self.lo - ZERO_GAP / 2.0
    }

    /// The drawn range.
    pub(super) fn range(&self) -> Range<f64> {
        let start = if self.zero {
            self.zero_u() - ZERO_GAP / 2.0
        } else {
            self.lo
        };
        start..self.hi
    }

    /// Position of a marker at value `v`: the zero slot for v ≤ 0 (the left end without one),
    /// else log10(v) (not left of the break).
    pub(super) fn u(&self, v: f64) -> f64 {
        if v <= 0.0 && self.zero {
            self.zero_u()
        } else {
            self.u_end(v)
        }
    }

    /// Position of an error-bar end at value `v`: like [`Self::u`], but a bar reaching 0 or
    /// below the log part stops at the break (the left end without a zero slot).
    pub(super) fn u_end(&self, v: f64) -> f64 {
        let floor = if self.zero { self.break_u() } else { self.lo };
        if v > 0.0 {
            v.log10().max(floor)
        } else {
            floor
        }
    }

    /// Labelled positions: the zero slot and every decade in range; with fewer than three
    /// decades in range, 1×, 2× and 5× each decade instead.
    pub(super) fn bold(&self) -> Vec<f64> {
        let decades: Vec<f64> = (self.lo.ceil() as i32..=self.hi.floor() as i32)
            .map(f64::from)
            .collect();
        let mut v: Vec<f64> = Vec::new();
        if self.zero {
            v.push(self.zero_u());
        }
        if decades.len() >= 3 {
            v.extend(decades);
        } else {
            for d in self.lo.floor() as i32..=self.hi.ceil() as i32 {
                for k in [1.0f64, 2.0, 5.0] {
                    let u = f64::from(d) + k.log10();
                    if u >= self.lo - 1e-9 && u <= self.hi + 1e-9 {
                        v.push(u);
                    }
                }
            }
        }
        v
    }

    /// Faint grid positions: 1–9 × every decade in range, except the labelled ones.
    pub(super) fn light(&self) -> Vec<f64> {
        let bold = self.bold();
        (self.lo.floor() as i32..=self.hi.ceil() as i32)
            .flat_map(|d| (1..=9).map(move |k| f64::from(d) + f64::from(k).log10()))
            .filter(|u| *u >= self.lo && *u <= self.hi && !bold.iter().any(|b| (b - u).abs() < 1e-9))
            .collect()
    }

    /// Label of position `u`: `0` at the zero slot, the value (`0.1`, `20`, `1000`) at a
    /// labelled position, nothing elsewhere.
    pub(super) fn label(&self, u: f64) -> String {
        if self.zero && (u - self.zero_u()).abs() < 1e-9 {
            return "0".into();
        }
        if !self.bold().iter().any(|b| (b - u).abs() < 1e-9) {
            return String::new();
        }
        let v = 10f64.powf(u);
        tick(v, v)
    }
}
