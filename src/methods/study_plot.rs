//! Figures of a method study (`slasim compare-methods --testbed …`), each written as
//! `NAME.png` and `NAME.svg` (the same drawing) into the output folder:
//!
//! 1. **`cost_vs_error`** — what each method spends against how well it predicts: x is the
//!    mean GPU-hours of profiling, y the mean medium-load MAPE (TTFT and ITL p50), one marker
//!    per method labelled with its name, ± 1 sd error bars in each direction where the sd over
//!    seeds is > 0; experimental methods are circles, baselines (`aic-all`, `online-all`)
//!    squares. The x axis is logarithmic with a **zero slot**: methods that deploy nothing
//!    (0 GPU-h) sit at a position labelled `0` left of the log part (0.6 decade before its
//!    start), set off from it by a dashed vertical break line; an error bar reaching 0 or below
//!    the log part stops at that break. The log part spans the data with a little room (at
//!    least one decade) and is labelled at the decades, or at 1-2-5 steps when it spans fewer
//!    than three.
//! 2. **`regret`** — one bar per method (report order) of its mean regret %, a whisker from the
//!    smallest to the largest regret over seeds, the mean written above, and a dashed line at the
//!    criteria's `max_regret_pct` ("success < 10 %"). Method names are split at the first space
//!    into two lines under the bars (`(baseline)` below the name), shrunk or shortened with `…`
//!    only when they would not fit their slot.
//! 3. **`predicted_vs_actual`** — for the first seed, two panels (TTFT p50, ITL p50) against the
//!    load level (idle, medium, saturation, overload): per method a solid line with filled
//!    markers of what it predicts for its pick and a dashed line with hollow markers, same
//!    colour, of the world's values of that pick. Methods that picked the same configuration
//!    share the actual values, so each method's points are shifted slightly along x (dodged)
//!    to keep them all visible. The y axis turns logarithmic when the values span more than
//!    a factor 20. The legend names each method and its pick, e.g. `stack-rank --top 1 (p2d4)`;
//!    a level's x label carries its concurrency (`medium (c 16)`) when every pick shares it,
//!    otherwise each legend entry lists its pick's concurrencies (they follow MAX_BS).
//!
//! Colours follow the method's position in the report and are the same in every figure.
//! Non-finite values (e.g. a NaN MAPE) are left out, with a note where a whole method goes
//! missing; a study without methods renders figures that say so. Rendering (bundled font,
//! in-memory PNG/SVG, atomic write) is shared with [`crate::profile::plot`].

use super::study::{MethodReport, Spread, StudyResults};
use crate::error::Result;
use crate::profile::plot::{
    axis, format_for, register_bundled_font, render_to_file, tick, DrawResult, Drawable, FONT, PALETTE,
};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;
use std::path::Path;

/// Height of the title band (headline, testbed line, key), px.
const TITLE_H: u32 = 104;
/// Size of the cost-vs-error figure, px.
const COST_SIZE: (u32, u32) = (1200, 820);
/// Size of the regret figure, px.
const REGRET_SIZE: (u32, u32) = (1200, 740);
/// Size of the predicted-vs-actual figure, px.
const PVA_SIZE: (u32, u32) = (1750, 760);
/// Width of the legend column of the predicted-vs-actual figure, px.
const PVA_LEGEND_W: u32 = 430;
/// Values spanning more than this factor get a logarithmic y axis in predicted-vs-actual.
const LOG_RATIO: f64 = 20.0;
/// Grey of secondary text and lines.
const GREY: RGBColor = RGBColor(90, 90, 90);

/// Writes the study's three figures into `out` (an existing folder): `cost_vs_error`,
/// `regret` and `predicted_vs_actual`, each as `.png` and `.svg`. See the module doc for what
/// they show.
pub fn plot_all(r: &StudyResults, out: &Path) -> Result<()> {
    register_bundled_font()?;
    let context = context_line(r);
    write_both(out, "cost_vs_error", COST_SIZE, &CostFigure::new(r, &context))?;
    write_both(out, "regret", REGRET_SIZE, &RegretFigure::new(r, &context))?;
    write_both(out, "predicted_vs_actual", PVA_SIZE, &PvaFigure::new(r, &context))
}

/// Renders `fig` to `out/STEM.png` and `out/STEM.svg`.
fn write_both(out: &Path, stem: &str, size: (u32, u32), fig: &impl Drawable) -> Result<()> {
    for ext in ["png", "svg"] {
        let path = out.join(format!("{stem}.{ext}"));
        let format = format_for(&path, "--out")?;
        render_to_file(&path, format, size, fig)?;
    }
    Ok(())
}

/// "model · GPU · backend · ISL/OSL · SLA · realistic load".
fn context_line(r: &StudyResults) -> String {
    let t = &r.testbed;
    format!(
        "{} · {} · {} · ISL {} / OSL {} · SLA TTFT {} ms, ITL {} ms · {}",
        t.model,
        t.gpu,
        t.backend,
        t.isl,
        t.osl,
        tick(t.ttft_ms, t.ttft_ms.abs() * 10.0),
        tick(t.itl_ms, t.itl_ms.abs() * 10.0),
        t.realistic_load
    )
}

/// Colour of the method at report position `i`.
fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// `n seeds` / `1 seed`.
fn seeds_text(n: u32) -> String {
    if n == 1 {
        "1 seed".into()
    } else {
        format!("{n} seeds")
    }
}

/// Draws the headline and the testbed line centred in the title band.
fn header<DB: DrawingBackend>(band: &DrawingArea<DB, Shift>, title: &str, context: &str) -> DrawResult<DB> {
    let (w, _) = band.dim_in_pixel();
    let centre = |size| {
        (FONT, size)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Center))
    };
    band.draw(&Text::new(title.to_string(), ((w / 2) as i32, 24), centre(25)))?;
    band.draw(&Text::new(context.to_string(), ((w / 2) as i32, 54), centre(17)))?;
    Ok(())
}

/// A centred grey message instead of a chart.
fn message<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, text: &str) -> DrawResult<DB> {
    let (w, h) = area.dim_in_pixel();
    area.draw(&Text::new(
        text.to_string(),
        ((w / 2) as i32, (h / 2) as i32),
        (FONT, 20)
            .into_font()
            .color(&GREY)
            .pos(Pos::new(HPos::Center, VPos::Center)),
    ))
}

/// A finite value, or `None`.
fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// The sd of a spread when it is finite and > 0.
fn sd_of(s: &Spread) -> Option<f64> {
    finite(s.sd).filter(|sd| *sd > 0.0)
}

/// A linear f64 axis with fixed tick positions: `bold` get labels and grid lines, `light` only
/// faint grid lines. (plotters' `WithKeyPoints` over f64 has no value formatter.)
#[derive(Debug, Clone)]
struct KeyedAxis {
    range: Range<f64>,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl KeyedAxis {
    /// Categories `0..n` at integer positions, half a slot of room at either end.
    fn categories(n: usize) -> KeyedAxis {
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
struct Rect {
    x0: i32,
    y0: i32,
    x1: i32,
    y1: i32,
}

impl Rect {
    /// The rectangle of a `w` × `h` box with its top-left corner at `(x, y)`.
    fn at(x: i32, y: i32, w: i32, h: i32) -> Rect {
        Rect {
            x0: x,
            y0: y,
            x1: x + w,
            y1: y + h,
        }
    }

    /// A square of half-size `r` around `(x, y)`.
    fn around((x, y): (i32, i32), r: i32) -> Rect {
        Rect {
            x0: x - r,
            y0: y - r,
            x1: x + r,
            y1: y + r,
        }
    }

    /// Area of the intersection with `o`, px².
    fn overlap(&self, o: &Rect) -> i64 {
        let w = (self.x1.min(o.x1) - self.x0.max(o.x0)).max(0) as i64;
        let h = (self.y1.min(o.y1) - self.y0.max(o.y0)).max(0) as i64;
        w * h
    }

    /// Area outside `b`, px².
    fn outside(&self, b: &Rect) -> i64 {
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
fn place_labels(
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
fn nearest_on(r: &Rect, (x, y): (i32, i32)) -> (i32, i32) {
    (x.clamp(r.x0, r.x1), y.clamp(r.y0, r.y1))
}

// ---------------------------------------------------------------------------------------------
// 1. cost vs error

/// A logarithmic axis (drawn in log10 units) with an optional slot for zero to the left of the
/// log part, set off by a break.
#[derive(Debug, Clone, Copy, PartialEq)]
struct LogZeroAxis {
    /// Whether some value is 0 (or negative) and needs the zero slot.
    zero: bool,
    /// Left end of the log part (log10).
    lo: f64,
    /// Right end (log10).
    hi: f64,
}

/// Gap between the zero slot and the start of the log part, decades.
const ZERO_GAP: f64 = 0.6;

impl LogZeroAxis {
    /// An axis covering `values` (the means and upper error-bar ends) with a little room on
    /// either side and at least one decade wide; non-finite values are ignored.
    fn of(values: &[f64]) -> LogZeroAxis {
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
    fn zero_u(&self) -> f64 {
        self.lo - ZERO_GAP
    }

    /// Position of the break between the zero slot and the log part.
    fn break_u(&self) -> f64 {
        self.lo - ZERO_GAP / 2.0
    }

    /// The drawn range.
    fn range(&self) -> Range<f64> {
        let start = if self.zero {
            self.zero_u() - ZERO_GAP / 2.0
        } else {
            self.lo
        };
        start..self.hi
    }

    /// Position of a marker at value `v`: the zero slot for v ≤ 0 (the left end without one),
    /// else log10(v) (not left of the break).
    fn u(&self, v: f64) -> f64 {
        if v <= 0.0 && self.zero {
            self.zero_u()
        } else {
            self.u_end(v)
        }
    }

    /// Position of an error-bar end at value `v`: like [`Self::u`], but a bar reaching 0 or
    /// below the log part stops at the break (the left end without a zero slot).
    fn u_end(&self, v: f64) -> f64 {
        let floor = if self.zero { self.break_u() } else { self.lo };
        if v > 0.0 {
            v.log10().max(floor)
        } else {
            floor
        }
    }

    /// Labelled positions: the zero slot and every decade in range; with fewer than three
    /// decades in range, 1×, 2× and 5× each decade instead.
    fn bold(&self) -> Vec<f64> {
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
    fn light(&self) -> Vec<f64> {
        let bold = self.bold();
        (self.lo.floor() as i32..=self.hi.ceil() as i32)
            .flat_map(|d| (1..=9).map(move |k| f64::from(d) + f64::from(k).log10()))
            .filter(|u| *u >= self.lo && *u <= self.hi && !bold.iter().any(|b| (b - u).abs() < 1e-9))
            .collect()
    }

    /// Label of position `u`: `0` at the zero slot, the value (`0.1`, `20`, `1000`) at a
    /// labelled position, nothing elsewhere.
    fn label(&self, u: f64) -> String {
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

/// One method in the cost-vs-error figure.
struct CostPoint {
    name: String,
    colour: RGBColor,
    baseline: bool,
    gpu_h: f64,
    gpu_h_sd: Option<f64>,
    mape: f64,
    mape_sd: Option<f64>,
}

/// The cost-vs-error figure's data.
struct CostFigure {
    title: String,
    context: String,
    points: Vec<CostPoint>,
    /// Methods without a finite mean GPU-hours or MAPE.
    skipped: Vec<String>,
    /// Whether the study has no methods at all.
    empty: bool,
}

impl CostFigure {
    fn new(r: &StudyResults, context: &str) -> CostFigure {
        let mut points = Vec::new();
        let mut skipped = Vec::new();
        for (i, m) in r.methods.iter().enumerate() {
            let a = &m.aggregate;
            match (finite(a.gpu_hours.mean), finite(a.mape_medium_pct.mean)) {
                (Some(gpu_h), Some(mape)) => points.push(CostPoint {
                    name: m.name.clone(),
                    colour: colour(i),
                    baseline: m.baseline,
                    gpu_h,
                    gpu_h_sd: sd_of(&a.gpu_hours),
                    mape,
                    mape_sd: sd_of(&a.mape_medium_pct),
                }),
                _ => skipped.push(m.name.clone()),
            }
        }
        CostFigure {
            title: format!(
                "Profiling cost vs predictive error (mean ± sd over {})",
                seeds_text(r.seeds)
            ),
            context: context.to_string(),
            points,
            skipped,
            empty: r.methods.is_empty(),
        }
    }

    /// The key line in the title band: marker shapes and what the bars mean.
    fn key<DB: DrawingBackend>(&self, band: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (w, _) = band.dim_in_pixel();
        let y = 84;
        let style = (FONT, 16)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        let items = [
            "experimental method",
            "baseline",
            "error bars: ± 1 sd over seeds (where > 0)",
        ];
        let widths: Vec<i32> = items
            .iter()
            .map(|t| band.estimate_text_size(t, &style).map(|(w, _)| w as i32))
            .collect::<std::result::Result<_, _>>()?;
        let total: i32 = widths.iter().sum::<i32>() + 3 * 24 + 2 * 36;
        let mut x = (w as i32 - total) / 2;
        let mark = GREY;
        band.draw(&(EmptyElement::at((x + 8, y)) + Circle::new((0, 0), 6, mark.filled())))?;
        band.draw(&Text::new(items[0], (x + 20, y), style.clone()))?;
        x += 24 + widths[0] + 36;
        band.draw(&(EmptyElement::at((x + 8, y)) + Rectangle::new([(-6, -6), (6, 6)], mark.filled())))?;
        band.draw(&Text::new(items[1], (x + 20, y), style.clone()))?;
        x += 24 + widths[1] + 36;
        band.draw(&PathElement::new(vec![(x, y), (x + 16, y)], mark.stroke_width(2)))?;
        band.draw(&PathElement::new(vec![(x, y - 5), (x, y + 5)], mark.stroke_width(2)))?;
        band.draw(&PathElement::new(
            vec![(x + 16, y - 5), (x + 16, y + 5)],
            mark.stroke_width(2),
        ))?;
        band.draw(&Text::new(items[2], (x + 24, y), style))?;
        Ok(())
    }
}

impl Drawable for CostFigure {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (band, body) = root.split_vertically(TITLE_H);
        header(&band, &self.title, &self.context)?;
        if self.empty {
            return message(&body, "no methods in this study");
        }
        if self.points.is_empty() {
            return message(
                &body,
                &format!("no method has finite GPU-hours and MAPE ({})", self.skipped.join(", ")),
            );
        }
        self.key(&band)?;
        let xs: Vec<f64> = self
            .points
            .iter()
            .flat_map(|p| [p.gpu_h, p.gpu_h + p.gpu_h_sd.unwrap_or(0.0)])
            .collect();
        let ax = LogZeroAxis::of(&xs);
        let ys: Vec<f64> = self.points.iter().map(|p| p.mape + p.mape_sd.unwrap_or(0.0)).collect();
        let yr = axis(ys.iter());
        // headroom for the labels above the highest points
        let yr = yr.start.min(0.0)..yr.end + 0.08 * (yr.end - yr.start);
        let yspan = yr.end - yr.start;
        let xr = KeyedAxis {
            range: ax.range(),
            bold: ax.bold(),
            light: ax.light(),
        };
        let mut chart = ChartBuilder::on(&body)
            .margin(16)
            .margin_right(34)
            .x_label_area_size(58)
            .y_label_area_size(80)
            .build_cartesian_2d(xr, yr.clone())?;
        let x_fmt = |u: &f64| ax.label(*u);
        let y_fmt = |v: &f64| tick(*v, yspan);
        chart
            .configure_mesh()
            .x_desc("GPU-hours of profiling (mean; log scale, 0 = nothing deployed)")
            .y_desc("medium-load MAPE of TTFT and ITL p50 (%)")
            .axis_desc_style((FONT, 18))
            .label_style((FONT, 16))
            .y_labels(8)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .bold_line_style(BLACK.mix(0.12))
            .light_line_style(BLACK.mix(0.04))
            .draw()?;
        if ax.zero {
            let b = ax.break_u();
            chart.draw_series(std::iter::once(DashedPathElement::new(
                vec![(b, yr.start), (b, yr.end)],
                6,
                4,
                GREY.mix(0.7).stroke_width(1),
            )))?;
        }
        macro_rules! at {
            ($x:expr, $y:expr) => {
                chart.backend_coord(&($x, $y))
            };
        }
        // error bars first, markers over them
        let mut soft = Vec::new();
        for p in &self.points {
            let x = ax.u(p.gpu_h);
            let style = p.colour.mix(0.85).stroke_width(2);
            if let Some(sd) = p.gpu_h_sd {
                let (x0, x1) = (ax.u_end(p.gpu_h - sd), ax.u_end(p.gpu_h + sd));
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x0, p.mape), (x1, p.mape)],
                    style,
                )))?;
                for e in [x0, x1] {
                    chart.draw_series(std::iter::once(
                        EmptyElement::at((e, p.mape)) + PathElement::new(vec![(0, -5), (0, 5)], style),
                    ))?;
                }
                let (a, b) = (at!(x0, p.mape), at!(x1, p.mape));
                soft.push(Rect {
                    x0: a.0,
                    y0: a.1 - 5,
                    x1: b.0,
                    y1: a.1 + 5,
                });
            }
            if let Some(sd) = p.mape_sd {
                let (y0, y1) = ((p.mape - sd).max(0.0), p.mape + sd);
                chart.draw_series(std::iter::once(PathElement::new(vec![(x, y0), (x, y1)], style)))?;
                for e in [y0, y1] {
                    chart.draw_series(std::iter::once(
                        EmptyElement::at((x, e)) + PathElement::new(vec![(-5, 0), (5, 0)], style),
                    ))?;
                }
                let (a, b) = (at!(x, y1), at!(x, y0));
                soft.push(Rect {
                    x0: a.0 - 5,
                    y0: a.1,
                    x1: a.0 + 5,
                    y1: b.1,
                });
            }
        }
        let mut anchors = Vec::new();
        for p in &self.points {
            let c = (ax.u(p.gpu_h), p.mape);
            anchors.push(at!(c.0, c.1));
            let outline = WHITE.stroke_width(1);
            if p.baseline {
                chart.draw_series(std::iter::once(
                    EmptyElement::at(c)
                        + Rectangle::new([(-7, -7), (7, 7)], p.colour.filled())
                        + Rectangle::new([(-7, -7), (7, 7)], outline),
                ))?;
            } else {
                chart.draw_series(std::iter::once(
                    EmptyElement::at(c) + Circle::new((0, 0), 7, p.colour.filled()) + Circle::new((0, 0), 7, outline),
                ))?;
            }
        }
        // labels, placed around the markers without covering each other
        let label_style = (FONT, 17)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Top));
        let mut sizes = Vec::new();
        for p in &self.points {
            let (w, h) = root.estimate_text_size(&p.name, &label_style)?;
            sizes.push((w as i32 + 4, h as i32 + 4));
        }
        let (px, py) = chart.plotting_area().get_pixel_range();
        let bounds = Rect {
            x0: px.start,
            y0: py.start,
            x1: px.end,
            y1: py.end,
        };
        let markers: Vec<Rect> = anchors.iter().map(|&a| Rect::around(a, 9)).collect();
        let labels = place_labels(&anchors, &sizes, bounds, &markers, &soft);
        for ((p, &a), (rect, far)) in self.points.iter().zip(&anchors).zip(&labels) {
            if *far {
                let to = nearest_on(rect, a);
                root.draw(&PathElement::new(vec![a, to], p.colour.mix(0.6).stroke_width(1)))?;
            }
            root.draw(&Rectangle::new(
                [(rect.x0, rect.y0), (rect.x1, rect.y1)],
                WHITE.mix(0.75).filled(),
            ))?;
            root.draw(&Text::new(
                p.name.clone(),
                (rect.x0 + 2, rect.y0 + 2),
                label_style.color(&p.colour),
            ))?;
        }
        if !self.skipped.is_empty() {
            root.draw(&Text::new(
                format!("not shown (no finite value): {}", self.skipped.join(", ")),
                (bounds.x1 - 6, bounds.y0 + 6),
                (FONT, 15)
                    .into_font()
                    .color(&GREY)
                    .pos(Pos::new(HPos::Right, VPos::Top)),
            ))?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// 2. regret

/// One bar of the regret figure.
struct Bar {
    name: String,
    colour: RGBColor,
    baseline: bool,
    regret: Spread,
}

/// The regret figure's data.
struct RegretFigure {
    title: String,
    context: String,
    bars: Vec<Bar>,
    /// The success threshold (mean regret strictly below), %.
    threshold: f64,
}

impl RegretFigure {
    fn new(r: &StudyResults, context: &str) -> RegretFigure {
        RegretFigure {
            title: format!(
                "Regret of each method's pick (bar: mean; whisker: min–max over {})",
                seeds_text(r.seeds)
            ),
            context: context.to_string(),
            bars: r
                .methods
                .iter()
                .enumerate()
                .map(|(i, m)| Bar {
                    name: m.name.clone(),
                    colour: colour(i),
                    baseline: m.baseline,
                    regret: m.aggregate.regret_pct,
                })
                .collect(),
            threshold: r.criteria.max_regret_pct,
        }
    }
}

/// The lines of a method's x label: the name split at its first space (`stack-rank`,
/// `--top 1`), then `(baseline)` for a baseline.
fn name_lines(name: &str, baseline: bool) -> Vec<String> {
    let mut v: Vec<String> = match name.split_once(' ') {
        Some((a, b)) => vec![a.to_string(), b.trim().to_string()],
        None => vec![name.to_string()],
    };
    if baseline {
        v.push("(baseline)".into());
    }
    v
}

/// `s` shortened with a trailing `…` to at most `chars` characters.
fn shorten(s: &str, chars: usize) -> String {
    if s.chars().count() <= chars {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(chars.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

impl Drawable for RegretFigure {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (band, body) = root.split_vertically(TITLE_H - 22);
        header(&band, &self.title, &self.context)?;
        if self.bars.is_empty() {
            return message(&body, "no methods in this study");
        }
        let n = self.bars.len();
        let threshold = finite(self.threshold);
        let top = self
            .bars
            .iter()
            .flat_map(|b| [b.regret.max, b.regret.mean])
            .chain(threshold)
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max);
        let ymax = if top > 0.0 { top * 1.15 } else { 1.0 };
        let xr = KeyedAxis::categories(n);
        let mut chart = ChartBuilder::on(&body)
            .margin(16)
            .margin_right(30)
            .x_label_area_size(88)
            .y_label_area_size(80)
            .build_cartesian_2d(xr, 0.0..ymax)?;
        let y_fmt = |v: &f64| tick(*v, ymax);
        let no_label = |_: &f64| String::new();
        chart
            .configure_mesh()
            .y_desc("regret of the pick (% of the best goodput/GPU)")
            .axis_desc_style((FONT, 18))
            .label_style((FONT, 16))
            .y_labels(8)
            .x_label_formatter(&no_label)
            .y_label_formatter(&y_fmt)
            .disable_x_mesh()
            .bold_line_style(BLACK.mix(0.12))
            .light_line_style(TRANSPARENT)
            .draw()?;
        macro_rules! at {
            ($x:expr, $y:expr) => {
                chart.backend_coord(&($x, $y))
            };
        }
        let value_style = (FONT, 16)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        // pixel boxes of what is drawn, for placing the threshold label
        let mut drawn: Vec<Rect> = Vec::new();
        for (i, b) in self.bars.iter().enumerate() {
            let x = i as f64;
            let s = &b.regret;
            let Some(mean) = finite(s.mean) else {
                let p = at!(x, 0.0);
                root.draw(&Text::new("n/a", (p.0, p.1 - 4), value_style.clone()))?;
                continue;
            };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x - 0.3, 0.0), (x + 0.3, mean)],
                b.colour.mix(0.8).filled(),
            )))?;
            let mut top_y = mean;
            if let (Some(lo), Some(hi)) = (finite(s.min), finite(s.max)) {
                if hi > lo {
                    let style = BLACK.mix(0.75).stroke_width(2);
                    chart.draw_series(std::iter::once(PathElement::new(vec![(x, lo), (x, hi)], style)))?;
                    for e in [lo, hi] {
                        chart.draw_series(std::iter::once(PathElement::new(
                            vec![(x - 0.08, e), (x + 0.08, e)],
                            style,
                        )))?;
                    }
                }
                top_y = top_y.max(hi);
            }
            let p = at!(x, top_y);
            let text = format!("{:.1} %", mean);
            let (tw, th) = root.estimate_text_size(&text, &value_style)?;
            root.draw(&Text::new(text, (p.0, p.1 - 4), value_style.clone()))?;
            let (l, base) = (at!(x - 0.3, 0.0), at!(x + 0.3, 0.0));
            drawn.push(Rect {
                x0: l.0.min(p.0 - tw as i32 / 2),
                y0: p.1 - 4 - th as i32,
                x1: base.0.max(p.0 + tw as i32 / 2),
                y1: base.1,
            });
        }
        if let Some(t) = threshold {
            chart.draw_series(std::iter::once(DashedPathElement::new(
                vec![(-0.5, t), (n as f64 - 0.5, t)],
                8,
                5,
                RGBColor(200, 30, 30).stroke_width(2),
            )))?;
            let text = format!("success < {} %", tick(t, t.abs() * 10.0));
            let style = (FONT, 17).into_font().color(&RGBColor(200, 30, 30));
            let (w, h) = root.estimate_text_size(&text, &style)?;
            let (w, h) = (w as i32 + 8, h as i32 + 4);
            let (left, right) = (at!(-0.5, t), at!(n as f64 - 0.5, t));
            // above the line at the right end, at the left end or over a bar, then below it:
            // the first that covers nothing drawn (else the least covering)
            let mut candidates = vec![
                Rect::at(right.0 - w - 6, right.1 - h - 3, w, h),
                Rect::at(left.0 + 6, left.1 - h - 3, w, h),
            ];
            for i in (0..n).rev() {
                let c = at!(i as f64, t);
                candidates.push(Rect::at(c.0 - w / 2, c.1 - h - 3, w, h));
            }
            candidates.push(Rect::at(right.0 - w - 6, right.1 + 4, w, h));
            candidates.push(Rect::at(left.0 + 6, left.1 + 4, w, h));
            let cover = |c: &Rect| drawn.iter().map(|d| c.overlap(d)).sum::<i64>();
            let mut best = candidates[0];
            for c in candidates {
                if cover(&c) < cover(&best) {
                    best = c;
                }
            }
            root.draw(&Rectangle::new(
                [(best.x0, best.y0), (best.x1, best.y1)],
                WHITE.mix(0.85).filled(),
            ))?;
            root.draw(&Text::new(
                text,
                (best.x0 + 4, best.y0 + 2),
                style.pos(Pos::new(HPos::Left, VPos::Top)),
            ))?;
        }
        // method names under the bars, shrunk or shortened to fit their slot
        let slot = (at!(1.0, 0.0).0 - at!(0.0, 0.0).0).abs().max(1) - 10;
        let lines: Vec<Vec<String>> = self.bars.iter().map(|b| name_lines(&b.name, b.baseline)).collect();
        let mut size = 17;
        let widest =
            |size: u32, lines: &[Vec<String>]| -> std::result::Result<i32, DrawingAreaErrorKind<DB::ErrorType>> {
                let style: TextStyle = (FONT, size).into_font().into();
                let mut m = 0;
                for l in lines.iter().flatten() {
                    m = m.max(root.estimate_text_size(l, &style)?.0 as i32);
                }
                Ok(m)
            };
        while size > 11 && widest(size, &lines)? > slot {
            size -= 1;
        }
        let mut lines = lines;
        let longest = lines.iter().flatten().map(|l| l.chars().count()).max().unwrap_or(1);
        let mut chars = longest;
        while chars > 4 && widest(size, &lines)? > slot {
            chars -= 1;
            lines = lines
                .iter()
                .map(|v| v.iter().map(|l| shorten(l, chars)).collect())
                .collect();
        }
        for (i, (b, ls)) in self.bars.iter().zip(&lines).enumerate() {
            let p = at!(i as f64, 0.0);
            for (k, l) in ls.iter().enumerate() {
                let grey = k == 2 || (k == 1 && b.baseline && ls.len() == 2);
                let c = if grey { GREY } else { BLACK };
                root.draw(&Text::new(
                    l.clone(),
                    (p.0, p.1 + 10 + k as i32 * (size as i32 + 5)),
                    (FONT, size)
                        .into_font()
                        .color(&c)
                        .pos(Pos::new(HPos::Center, VPos::Top)),
                ))?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// 3. predicted vs actual

/// One method's pick in the predicted-vs-actual figure (level index, value).
struct PvaMethod {
    label: String,
    /// The pick's concurrencies per level, when the picks do not all share them.
    detail: Option<String>,
    colour: RGBColor,
    ttft_pred: Vec<(usize, f64)>,
    ttft_act: Vec<(usize, f64)>,
    itl_pred: Vec<(usize, f64)>,
    itl_act: Vec<(usize, f64)>,
}

/// The predicted-vs-actual figure's data.
struct PvaFigure {
    title: String,
    context: String,
    /// x labels, one per level.
    levels: Vec<String>,
    methods: Vec<PvaMethod>,
    /// Methods without a run.
    skipped: Vec<String>,
    /// x-axis description.
    x_desc: &'static str,
}

/// Level names in order of first appearance over the methods' first runs.
fn level_names(methods: &[MethodReport]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for m in methods {
        for l in m.runs.first().map(|r| r.levels.as_slice()).unwrap_or_default() {
            if !names.contains(&l.name) {
                names.push(l.name.clone());
            }
        }
    }
    names
}

impl PvaFigure {
    fn new(r: &StudyResults, context: &str) -> PvaFigure {
        let names = level_names(&r.methods);
        let seed = r.methods.iter().find_map(|m| m.runs.first()).map_or(0, |x| x.seed);
        // a level's label carries its concurrency when every pick shares it
        let levels = names
            .iter()
            .map(|n| {
                let mut conc = r
                    .methods
                    .iter()
                    .filter_map(|m| m.runs.first())
                    .filter_map(|run| run.levels.iter().find(|l| &l.name == n))
                    .map(|l| l.concurrency);
                match conc.next() {
                    Some(c) if conc.all(|d| d == c) => format!("{n} (c {c})"),
                    _ => n.clone(),
                }
            })
            .collect();
        // whether every pick has the same concurrency at every level (then the x labels say it)
        let mut conc = r.methods.iter().filter_map(|m| m.runs.first()).map(|run| {
            run.levels
                .iter()
                .map(|l| (l.name.as_str(), l.concurrency))
                .collect::<Vec<_>>()
        });
        let shared = conc.next().is_none_or(|first| conc.all(|c| c == first));
        let mut methods = Vec::new();
        let mut skipped = Vec::new();
        for (i, m) in r.methods.iter().enumerate() {
            let Some(run) = m.runs.first() else {
                skipped.push(m.name.clone());
                continue;
            };
            let pts = |f: &dyn Fn(&super::study::LevelCompare) -> f64| -> Vec<(usize, f64)> {
                run.levels
                    .iter()
                    .filter_map(|l| {
                        let x = names.iter().position(|n| n == &l.name)?;
                        Some((x, finite(f(l))?))
                    })
                    .collect()
            };
            let concurrencies: Vec<String> = run.levels.iter().map(|l| l.concurrency.to_string()).collect();
            methods.push(PvaMethod {
                label: format!("{} ({})", m.name, run.chosen),
                detail: (!shared).then(|| format!("concurrency {}", concurrencies.join(" / "))),
                colour: colour(i),
                ttft_pred: pts(&|l| l.predicted.ttft_p50_ms),
                ttft_act: pts(&|l| l.actual.ttft_p50_ms),
                itl_pred: pts(&|l| l.predicted.itl_p50_ms),
                itl_act: pts(&|l| l.actual.itl_p50_ms),
            });
        }
        PvaFigure {
            title: format!("Predictions for each method's pick vs the world, seed {seed}"),
            context: context.to_string(),
            levels,
            methods,
            skipped,
            x_desc: if shared {
                "load level (closed-loop concurrency)"
            } else {
                "load level (closed loop; concurrencies in the legend)"
            },
        }
    }

    /// The legend column: methods with their pick, then the line styles.
    fn legend<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let style = (FONT, 16)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        let head = (FONT, 17)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        let line_h = 27;
        let (_, h) = area.dim_in_pixel();
        let details = self.methods.iter().filter(|m| m.detail.is_some()).count();
        let rows = self.methods.len() + details + self.skipped.len() + 5;
        let mut y = ((h as i32 - rows as i32 * line_h) / 2).max(20);
        area.draw(&Text::new("method (pick)", (8, y), head.clone()))?;
        for m in &self.methods {
            y += line_h;
            let c = m.colour;
            area.draw(&PathElement::new(vec![(10, y), (40, y)], c.stroke_width(2)))?;
            area.draw(&Circle::new((25, y), 4, c.filled()))?;
            area.draw(&Text::new(m.label.clone(), (50, y), style.clone()))?;
            if let Some(d) = &m.detail {
                y += line_h - 4;
                area.draw(&Text::new(
                    d.clone(),
                    (50, y),
                    (FONT, 14)
                        .into_font()
                        .color(&GREY)
                        .pos(Pos::new(HPos::Left, VPos::Center)),
                ))?;
            }
        }
        for s in &self.skipped {
            y += line_h;
            area.draw(&Text::new(format!("{s}: no run"), (50, y), style.color(&GREY)))?;
        }
        y += line_h + 10;
        area.draw(&Text::new("line style", (8, y), head))?;
        y += line_h;
        area.draw(&PathElement::new(vec![(10, y), (40, y)], GREY.stroke_width(2)))?;
        area.draw(&Circle::new((25, y), 4, GREY.filled()))?;
        area.draw(&Text::new("predicted by the method", (50, y), style.clone()))?;
        y += line_h;
        area.draw(&DashedPathElement::new(
            vec![(10, y), (40, y)],
            5,
            3,
            GREY.stroke_width(2),
        ))?;
        area.draw(&Circle::new((25, y), 4, WHITE.filled()))?;
        area.draw(&Circle::new((25, y), 4, GREY.stroke_width(2)))?;
        area.draw(&Text::new("actual (world)", (50, y), style))?;
        Ok(())
    }
}

/// A predicted-vs-actual line pair of one method in one panel.
struct PanelSeries<'a> {
    colour: RGBColor,
    predicted: &'a [(usize, f64)],
    actual: &'a [(usize, f64)],
}

impl Drawable for PvaFigure {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (band, body) = root.split_vertically(TITLE_H - 22);
        header(&band, &self.title, &self.context)?;
        if self.methods.is_empty() {
            return message(&body, "no methods in this study");
        }
        if self.levels.is_empty() {
            return message(&body, "no load levels to compare");
        }
        let (w, _) = body.dim_in_pixel();
        let (panels, legend) = body.split_horizontally(w.saturating_sub(PVA_LEGEND_W));
        let (pw, _) = panels.dim_in_pixel();
        let (left, right) = panels.split_horizontally(pw / 2);
        let ttft: Vec<PanelSeries> = self
            .methods
            .iter()
            .map(|m| PanelSeries {
                colour: m.colour,
                predicted: &m.ttft_pred,
                actual: &m.ttft_act,
            })
            .collect();
        let itl: Vec<PanelSeries> = self
            .methods
            .iter()
            .map(|m| PanelSeries {
                colour: m.colour,
                predicted: &m.itl_pred,
                actual: &m.itl_act,
            })
            .collect();
        let x = (self.x_desc, self.levels.as_slice());
        level_panel(&left, "TTFT p50 by load level", "TTFT p50 (ms)", x, &ttft)?;
        level_panel(&right, "ITL p50 by load level", "ITL p50 (ms)", x, &itl)?;
        self.legend(&legend)
    }
}

/// The x offset of series `i` of `n` (dodging, so coinciding points stay visible).
fn dodge(i: usize, n: usize) -> f64 {
    if n <= 1 {
        return 0.0;
    }
    let step = (0.36 / (n - 1) as f64).min(0.07);
    (i as f64 - (n - 1) as f64 / 2.0) * step
}

/// A panel of one metric against the load levels (`x`: axis description and level labels;
/// log y when the values span more than [`LOG_RATIO`]).
fn level_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    y_desc: &str,
    x: (&str, &[String]),
    series: &[PanelSeries],
) -> DrawResult<DB> {
    let levels = x.1;
    let n = levels.len();
    let values: Vec<f64> = series
        .iter()
        .flat_map(|s| s.predicted.iter().chain(s.actual).map(|p| p.1))
        .collect();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &v in values.iter().filter(|v| **v > 0.0) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    let log = lo.is_finite() && hi.is_finite() && hi / lo > LOG_RATIO;
    let xr = || KeyedAxis::categories(n);
    let builder = |cap: &str| {
        let mut b = ChartBuilder::on(area);
        b.caption(cap, (FONT, 20))
            .margin(12)
            .margin_right(20)
            .x_label_area_size(48)
            .y_label_area_size(78);
        b
    };
    if log {
        let yr = (lo / 1.5)..(hi * 1.5);
        let mut chart = builder(&format!("{caption} (log scale)")).build_cartesian_2d(xr(), yr.log_scale())?;
        panel_body(&mut chart, (x.0, y_desc), levels, series, None, true)
    } else {
        let yr = axis(values.iter());
        let yspan = yr.end - yr.start;
        let mut chart = builder(caption).build_cartesian_2d(xr(), yr)?;
        panel_body(&mut chart, (x.0, y_desc), levels, series, Some(yspan), false)
    }
}

/// Mesh and lines of a level panel whose y axis is linear (`yspan` given) or logarithmic
/// (points ≤ 0 dropped when `log`).
fn panel_body<'a, DB, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<KeyedAxis, Y>>,
    (x_desc, y_desc): (&str, &str),
    levels: &[String],
    series: &[PanelSeries],
    yspan: Option<f64>,
    log: bool,
) -> DrawResult<DB>
where
    DB: DrawingBackend + 'a,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let x_fmt = |v: &f64| {
        let i = v.round();
        if (v - i).abs() < 1e-6 && i >= 0.0 {
            levels.get(i as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    let y_fmt = |v: &f64| match yspan {
        Some(span) => tick(*v, span),
        None => tick(*v, v.abs().max(f64::MIN_POSITIVE) * 1000.0),
    };
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style((FONT, 18))
        .label_style((FONT, 16))
        .y_labels(8)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .disable_x_mesh()
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .draw()?;
    let n = series.len();
    let keep = |v: f64| !log || v > 0.0;
    for (i, s) in series.iter().enumerate() {
        let dx = dodge(i, n);
        let c = s.colour;
        let pts = |v: &[(usize, f64)]| -> Vec<(f64, f64)> {
            v.iter()
                .filter(|p| keep(p.1))
                .map(|&(x, y)| (x as f64 + dx, y))
                .collect()
        };
        let (pred, act) = (pts(s.predicted), pts(s.actual));
        // one element per segment (the bitmap backend's thick polylines spike at sharp joints)
        chart.draw_series(
            act.windows(2)
                .map(|w| DashedPathElement::new(vec![w[0], w[1]], 7, 4, c.mix(0.9).stroke_width(2))),
        )?;
        chart.draw_series(
            pred.windows(2)
                .map(|w| PathElement::new(vec![w[0], w[1]], c.stroke_width(2))),
        )?;
        chart.draw_series(pred.iter().map(|&p| Circle::new(p, 5, c.filled())))?;
        chart.draw_series(act.iter().map(|&p| {
            EmptyElement::at(p) + Circle::new((0, 0), 5, WHITE.filled()) + Circle::new((0, 0), 5, c.stroke_width(2))
        }))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::study::{
        Aggregate, Criteria, LevelCompare, MethodReport, RunReport, StudyResults, TestbedReport,
    };
    use crate::methods::testbed::{CostModel, LevelValues, NoiseModel};
    use crate::methods::Basis;
    use std::collections::BTreeMap;

    fn spread(v: &[f64]) -> Spread {
        Spread::of(v)
    }

    fn run(seed: u64, chosen: &str, gpu_h: f64, regret: f64, mape: f64, scale: f64) -> RunReport {
        let levels = [("idle", 1), ("medium", 4), ("saturation", 7), ("overload", 9)]
            .iter()
            .enumerate()
            .map(|(k, (name, c))| {
                let k = k as f64;
                let actual = LevelValues {
                    ttft_p50_ms: 150.0 * (1.0 + k.powi(3)),
                    itl_p50_ms: 20.0 + 6.0 * k,
                    sla_hit_rate: 1.0 - 0.2 * k,
                };
                let predicted = LevelValues {
                    ttft_p50_ms: actual.ttft_p50_ms * scale,
                    itl_p50_ms: if k == 3.0 { f64::NAN } else { actual.itl_p50_ms * scale },
                    sla_hit_rate: actual.sla_hit_rate,
                };
                LevelCompare {
                    name: name.to_string(),
                    concurrency: *c,
                    predicted,
                    actual,
                    ttft_error_pct: crate::methods::error_pct(predicted.ttft_p50_ms, actual.ttft_p50_ms),
                    itl_error_pct: crate::methods::error_pct(predicted.itl_p50_ms, actual.itl_p50_ms),
                }
            })
            .collect();
        RunReport {
            seed,
            chosen: chosen.into(),
            basis: Basis::Measured,
            deployed: vec![],
            deployments: 0,
            static_estimates: 0,
            oracle_calls: 0,
            hours: gpu_h / 8.0,
            gpu_hours: gpu_h,
            goodput_per_gpu: 1.0,
            predicted_goodput_per_gpu: 1.0,
            best_config: "p2d4".into(),
            best_goodput_per_gpu: 1.1,
            regret_pct: regret,
            levels,
            mape_medium_pct: mape,
            mape_all_pct: mape,
        }
    }

    fn method(name: &str, baseline: bool, runs: Vec<RunReport>) -> MethodReport {
        let f = |g: fn(&RunReport) -> f64| spread(&runs.iter().map(g).collect::<Vec<_>>());
        MethodReport {
            name: name.into(),
            baseline,
            aggregate: Aggregate {
                deployments: f(|r| r.deployments as f64),
                hours: f(|r| r.hours),
                gpu_hours: f(|r| r.gpu_hours),
                regret_pct: f(|r| r.regret_pct),
                mape_medium_pct: f(|r| r.mape_medium_pct),
                mape_all_pct: f(|r| r.mape_all_pct),
                picks: BTreeMap::new(),
            },
            runs,
            criteria: None,
        }
    }

    fn results(methods: Vec<MethodReport>) -> StudyResults {
        StudyResults {
            mode: "testbed",
            seeds: 2,
            testbed: TestbedReport {
                profile: "test".into(),
                model: "org/Model-70B".into(),
                gpu: "h100_sxm".into(),
                backend: "vllm".into(),
                isl: 2048,
                osl: 256,
                ttft_ms: 500.0,
                itl_ms: 50.0,
                quantile: 0.9,
                realistic_load: "sinusoid 1–9 req/s, period 300 s".into(),
                realistic_s: 300.0,
                noise: NoiseModel::default(),
                cost: CostModel::default(),
                configs: vec![],
                best_config: "p2d4".into(),
            },
            criteria: Criteria::default(),
            methods,
            recommendation: vec![],
        }
    }

    /// Six methods like the default study, one with a NaN MAPE and clustered costs.
    fn synthetic() -> StudyResults {
        results(vec![
            method(
                "aic-all",
                true,
                vec![
                    run(0, "p1d8", 0.0, 22.0, 35.0, 0.6),
                    run(1, "p1d8", 0.0, 25.0, 38.0, 0.6),
                ],
            ),
            method(
                "online-all",
                true,
                vec![
                    run(0, "p2d4", 120.0, 0.0, 4.0, 1.04),
                    run(1, "p2d4", 120.0, 0.0, 5.0, 1.04),
                ],
            ),
            method(
                "stack-rank --top 1",
                false,
                vec![run(0, "p2d4", 6.0, 0.0, 4.5, 1.05), run(1, "p2d8", 9.0, 4.0, 6.0, 1.05)],
            ),
            method(
                "bayes --budget 4",
                false,
                vec![
                    run(0, "p2d4", 30.0, 0.0, 4.2, 0.97),
                    run(1, "p4d4", 34.0, 8.0, 5.5, 0.97),
                ],
            ),
            method(
                "stack-rank+bayes --budget 4",
                false,
                vec![
                    run(0, "p2d4", 31.0, 0.0, 4.4, 1.02),
                    run(1, "p2d4", 33.0, 0.0, 5.1, 1.02),
                ],
            ),
            method(
                "random --budget 4",
                false,
                vec![
                    run(0, "p4d8", 40.0, 12.0, f64::NAN, 1.1),
                    run(1, "p1d2", 20.0, 30.0, 7.0, 1.1),
                ],
            ),
        ])
    }

    fn check_outputs(dir: &Path) {
        for stem in ["cost_vs_error", "regret", "predicted_vs_actual"] {
            let png = std::fs::read(dir.join(format!("{stem}.png"))).expect("png written");
            assert!(png.len() > 1000, "{stem}.png too small");
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{stem}.png signature");
            let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg"))).expect("svg written");
            assert!(svg.contains("<svg"), "{stem}.svg");
        }
    }

    #[test]
    fn study_plot_synthetic_writes_six_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let r = synthetic();
        plot_all(&r, dir.path()).expect("plots");
        check_outputs(dir.path());
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("list").count(),
            6,
            "exactly six files"
        );
        let cost = std::fs::read_to_string(dir.path().join("cost_vs_error.svg")).expect("svg");
        // the NaN-MAPE method is skipped and said so; the zero slot is labelled
        assert!(cost.contains("not shown (no finite value): random --budget 4"));
        assert!(cost.contains("\n0\n</text>"), "zero slot label");
        let regret = std::fs::read_to_string(dir.path().join("regret.svg")).expect("svg");
        assert!(regret.contains("success &lt; 10 %") || regret.contains("success < 10 %"));
        assert!(regret.contains("stack-rank+bayes") && regret.contains("(baseline)"));
        let pva = std::fs::read_to_string(dir.path().join("predicted_vs_actual.svg")).expect("svg");
        assert!(pva.contains("stack-rank --top 1 (p2d4)"));
        assert!(pva.contains("seed 0"));
    }

    #[test]
    fn study_plot_empty_and_nan_render() {
        let dir = tempfile::tempdir().expect("tempdir");
        plot_all(&results(vec![]), dir.path()).expect("empty study plots");
        check_outputs(dir.path());
        let svg = std::fs::read_to_string(dir.path().join("regret.svg")).expect("svg");
        assert!(svg.contains("no methods in this study"));
        // every value NaN, one seed, a method without runs
        let dir = tempfile::tempdir().expect("tempdir");
        let mut m = method("x", false, vec![run(0, "p1d1", f64::NAN, f64::NAN, f64::NAN, f64::NAN)]);
        m.aggregate.regret_pct = Spread {
            mean: f64::NAN,
            sd: f64::NAN,
            min: f64::NAN,
            max: f64::NAN,
        };
        plot_all(&results(vec![m, method("none", true, vec![])]), dir.path()).expect("NaN study plots");
        check_outputs(dir.path());
    }

    #[test]
    fn study_plot_real_testbed() {
        use crate::methods::testbed::TestbedSpec;
        use crate::methods::MethodParams;
        use crate::metrics::Sla;
        use crate::workload::ArrivalPattern;
        let dir = tempfile::tempdir().expect("tempdir");
        let opts = crate::methods::study::StudyOptions {
            testbed: TestbedSpec {
                profile: "llama-3.3-70b-fp8/h100/vllm".into(),
                tps: None,
                modes: vec![crate::sim::deployment::Mode::Disagg, crate::sim::deployment::Mode::Agg],
                isl: 2048,
                osl: 256,
                sla: Sla {
                    ttft_ms: 500.0,
                    itl_ms: 50.0,
                },
                quantile: 0.9,
                realistic: ArrivalPattern::Sinusoid {
                    min_rps: 1.0,
                    max_rps: 9.0,
                    period_s: 300.0,
                },
                realistic_s: 300.0,
                max_bs: None,
                level_requests: 100,
                noise: NoiseModel::default(),
                cost: CostModel::default(),
            },
            methods: "aic-all,online-all,stack-rank,bayes,stack-rank+bayes,random".into(),
            params: MethodParams { top: 1, budget: 4 },
            seeds: 2,
            out: dir.path().to_path_buf(),
            plots: false,
            criteria: Criteria::default(),
        };
        let r = crate::methods::study::study(&opts).expect("study");
        plot_all(&r, dir.path()).expect("plots");
        check_outputs(dir.path());
    }

    #[test]
    fn log_zero_axis() {
        let a = LogZeroAxis::of(&[0.0, 6.0, 120.0, 150.0]);
        assert!(a.zero);
        assert!(a.lo < 6f64.log10() && a.hi > 150f64.log10() && a.hi < 2.5);
        assert_eq!(a.label(a.zero_u()), "0");
        assert_eq!(a.label(2.0), "100");
        assert_eq!(a.label(1.5), "");
        assert_eq!(a.u(0.0), a.zero_u());
        assert_eq!(a.u_end(0.0), a.break_u());
        assert_eq!(a.u_end(0.01), a.break_u());
        assert!((a.u(100.0) - 2.0).abs() < 1e-12);
        let labels: Vec<String> = a.bold().iter().map(|u| a.label(*u)).collect();
        assert_eq!(labels, vec!["0", "5", "10", "20", "50", "100", "200"]);
        let wide = LogZeroAxis::of(&[0.5, 2000.0]);
        let labels: Vec<String> = wide.bold().iter().map(|u| wide.label(*u)).collect();
        assert_eq!(labels, vec!["1", "10", "100", "1000"]);
        assert!(a.range().start < a.zero_u() && a.range().end == a.hi);
        // a narrow range is widened to a decade and labelled at 1, 2, 5 ×
        let b = LogZeroAxis::of(&[0.5, f64::NAN]);
        assert!(!b.zero && (b.hi - b.lo - 1.0).abs() < 1e-12);
        let labels: Vec<String> = b.bold().iter().map(|u| b.label(*u)).collect();
        assert!(labels.len() >= 2 && labels.contains(&"0.5".to_string()), "{labels:?}");
        assert!(b.light().iter().all(|u| *u >= b.lo && *u <= b.hi));
        let c = LogZeroAxis::of(&[]);
        assert!(c.zero && c.lo < c.hi);
    }

    #[test]
    fn labels_do_not_overlap() {
        // five points in a tight cluster, labels 120 × 20 px
        let anchors = [(300, 300), (305, 302), (310, 298), (300, 310), (295, 295)];
        let sizes = [(120, 20); 5];
        let bounds = Rect {
            x0: 0,
            y0: 0,
            x1: 800,
            y1: 600,
        };
        let markers: Vec<Rect> = anchors.iter().map(|&a| Rect::around(a, 9)).collect();
        let placed = place_labels(&anchors, &sizes, bounds, &markers, &[]);
        for (i, (a, _)) in placed.iter().enumerate() {
            assert_eq!(a.outside(&bounds), 0);
            for (b, _) in &placed[i + 1..] {
                assert_eq!(a.overlap(b), 0, "{a:?} {b:?}");
            }
        }
        // near the right edge the label goes left
        let p = place_labels(&[(790, 300)], &[(120, 20)], bounds, &[], &[]);
        assert!(p[0].0.x1 <= 790);
    }

    #[test]
    fn name_lines_split() {
        assert_eq!(name_lines("stack-rank --top 1", false), vec!["stack-rank", "--top 1"]);
        assert_eq!(name_lines("aic-all", true), vec!["aic-all", "(baseline)"]);
        assert_eq!(shorten("stack-rank+bayes", 6), "stack…");
        assert_eq!(shorten("abc", 6), "abc");
        assert!(dodge(0, 1) == 0.0 && dodge(0, 6) < 0.0 && dodge(5, 6) > 0.0);
    }
}
