//! The figures of `compare-methods` Mode 1, each written as PNG and SVG:
//!
//! * `predicted_vs_actual`: two panels, TTFT p50 and ITL p50 (ms) per load level; a line per
//!   method's prediction (circles), the measured values of its validation runs as larger
//!   triangles of the same colour; the SLA target as a dashed grey line. A panel whose values
//!   span more than [`LOG_SPAN`]× uses a logarithmic y axis.
//! * `cost_vs_error`: x = duration of the profiling run (minutes), y = mean of the TTFT and ITL
//!   p50 MAPE (%) over the levels with actuals. A method without validation runs has no y: it
//!   is drawn as a hollow circle on the x axis with a dashed vertical line (its error could be
//!   anywhere), labelled "no validation".
//!
//! Rendering (bundled font, in-memory PNG/SVG, atomic write) is shared with
//! [`crate::profile::plot`].

use super::summary::{fixed, GPU_HOURS_DECIMALS, MIN_DECIMALS, PCT_DECIMALS};
use super::{RealComparison, COST_VS_ERROR, PREDICTED_VS_ACTUAL};
use crate::error::Result;
use crate::profile::plot::{
    axis, category_label, format_for, log_axis, register_bundled_font, render_to_file, span_tick, tick, DrawResult,
    Drawable, FONT, PALETTE,
};
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// A panel's y axis is logarithmic when its largest value is more than this many times its
/// smallest.
pub const LOG_SPAN: f64 = 20.0;

/// Writes both figures as PNG and SVG into `dir`.
pub fn write_plots(c: &RealComparison, dir: &Path) -> Result<()> {
    register_bundled_font()?;
    let pva = PredVsActual::new(c);
    let cve = CostVsError::new(c);
    for ext in ["png", "svg"] {
        let p = dir.join(format!("{PREDICTED_VS_ACTUAL}.{ext}"));
        render_to_file(&p, format_for(&p, "--out")?, (1400, 640), &pva)?;
        let p = dir.join(format!("{COST_VS_ERROR}.{ext}"));
        render_to_file(&p, format_for(&p, "--out")?, (1100, 720), &cve)?;
    }
    Ok(())
}

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// One method's values at each level index.
struct MethodSeries {
    label: String,
    predicted: Vec<(f64, f64)>,
    actual: Vec<(f64, f64)>,
}

struct Panel {
    caption: String,
    target: f64,
    series: Vec<MethodSeries>,
}

struct PredVsActual {
    title: String,
    levels: Vec<String>,
    panels: [Panel; 2],
}

impl PredVsActual {
    fn new(c: &RealComparison) -> Self {
        let levels: Vec<String> = c
            .levels
            .iter()
            .map(|l| format!("{} (c{})", l.name, l.concurrency))
            .collect();
        let panel = |caption: &str, target: f64, get: fn(&super::LevelMetrics) -> Option<f64>| Panel {
            caption: caption.to_string(),
            target,
            series: c
                .methods
                .iter()
                .map(|m| MethodSeries {
                    label: m.label.clone(),
                    predicted: m
                        .levels
                        .iter()
                        .enumerate()
                        .filter_map(|(i, l)| get(&l.predicted).map(|v| (i as f64, v)))
                        .filter(|(_, v)| v.is_finite() && *v > 0.0)
                        .collect(),
                    actual: m
                        .levels
                        .iter()
                        .enumerate()
                        .filter_map(|(i, l)| l.actual.as_ref().and_then(get).map(|v| (i as f64, v)))
                        .filter(|(_, v)| v.is_finite() && *v > 0.0)
                        .collect(),
                })
                .collect(),
        };
        PredVsActual {
            title: format!(
                "Predicted (lines) vs measured (triangles) p50 latency per load level — SLA TTFT ≤ {} ms, ITL ≤ {} ms",
                c.inputs.sla.ttft_ms, c.inputs.sla.itl_ms
            ),
            levels,
            panels: [
                panel("TTFT p50 (ms)", c.inputs.sla.ttft_ms, |m| m.ttft_p50_ms),
                panel("ITL p50 (ms)", c.inputs.sla.itl_ms, |m| m.itl_p50_ms),
            ],
        }
    }
}

impl Drawable for PredVsActual {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let root = root.titled(&self.title, (FONT, 19))?;
        let areas = root.split_evenly((1, 2));
        for (area, panel) in areas.iter().zip(&self.panels) {
            draw_level_panel(area, panel, &self.levels)?;
        }
        Ok(())
    }
}

fn draw_level_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &Panel, levels: &[String]) -> DrawResult<DB> {
    let n = levels.len().max(1);
    let xr = -0.5..(n as f64 - 0.5);
    let values: Vec<f64> = p
        .series
        .iter()
        .flat_map(|s| s.predicted.iter().chain(&s.actual).map(|(_, y)| *y))
        .chain(std::iter::once(p.target))
        .collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(0.0f64, f64::max);
    let mut b = ChartBuilder::on(area);
    b.caption(&p.caption, (FONT, 17))
        .margin(14)
        .margin_right(24)
        .x_label_area_size(44)
        .y_label_area_size(72);
    if lo > 0.0 && hi / lo > LOG_SPAN {
        let yr = log_axis(values.iter());
        let mut chart = b.build_cartesian_2d(xr, yr.log_scale())?;
        panel_body(&mut chart, p, levels, None)
    } else {
        let yr = axis(values.iter());
        let span = yr.end - yr.start;
        let yr = yr.start..yr.end + 0.08 * span;
        let mut chart = b.build_cartesian_2d(xr, yr)?;
        panel_body(&mut chart, p, levels, Some(span))
    }
}

fn panel_body<'a, DB, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    p: &Panel,
    levels: &[String],
    yspan: Option<f64>,
) -> DrawResult<DB>
where
    DB: DrawingBackend + 'a,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let x_fmt = |v: &f64| category_label(levels, *v);
    let y_fmt = |v: &f64| span_tick(*v, yspan);
    chart
        .configure_mesh()
        .x_desc("load level (closed-loop concurrency)")
        .y_desc(p.caption.as_str())
        .axis_desc_style((FONT, 15))
        .label_style((FONT, 13))
        .x_labels(levels.len().max(2))
        .y_labels(8)
        .disable_x_mesh()
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .draw()?;
    let n = levels.len().max(1) as f64;
    let grey = RGBColor(120, 120, 120);
    chart
        .draw_series(std::iter::once(DashedPathElement::new(
            vec![(-0.5, p.target), (n - 0.5, p.target)],
            8,
            6,
            grey.stroke_width(2),
        )))?
        .label(format!("SLA target {} ms", p.target))
        .legend(move |(x, y)| PathElement::new(vec![(x - 4, y), (x + 20, y)], grey.stroke_width(2)));
    for (i, s) in p.series.iter().enumerate() {
        let c = color(i);
        chart
            .draw_series(
                s.predicted
                    .windows(2)
                    .map(|w| PathElement::new(vec![w[0], w[1]], c.stroke_width(2))),
            )?
            .label(format!("{} predicted", s.label))
            .legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(-4, 0), (20, 0)], c.stroke_width(2))
                    + Circle::new((8, 0), 3, c.filled())
            });
        chart.draw_series(s.predicted.iter().map(|&q| Circle::new(q, 4, c.filled())))?;
        if !s.actual.is_empty() {
            chart
                .draw_series(s.actual.iter().map(|&q| TriangleMarker::new(q, 9, c.filled())))?
                .label(format!("{} measured", s.label))
                .legend(move |(x, y)| TriangleMarker::new((x + 8, y), 7, c.filled()));
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .margin(8)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 13))
        .draw()?;
    Ok(())
}

/// One method in the cost-vs-error figure.
struct CostPoint {
    label: String,
    duration_min: f64,
    gpu_hours: f64,
    estimated: bool,
    /// Mean of the TTFT and ITL p50 MAPE, %; `None` without validation runs.
    error: Option<f64>,
}

/// The middle of the x axis: half of the largest duration (plus headroom) — points right of
/// it get their labels on the left.
fn xr_mid(points: &[CostPoint]) -> f64 {
    let hi = points.iter().map(|p| p.duration_min).fold(0.0f64, f64::max);
    0.5 * hi * 1.3
}

struct CostVsError {
    title: String,
    points: Vec<CostPoint>,
}

impl CostVsError {
    fn new(c: &RealComparison) -> Self {
        CostVsError {
            title: "Profiling cost vs predictive error (mean of TTFT and ITL p50 MAPE over the levels with actuals)"
                .into(),
            points: c
                .methods
                .iter()
                .map(|m| CostPoint {
                    label: m.label.clone(),
                    duration_min: m.cost.duration_min,
                    gpu_hours: m.cost.gpu_hours,
                    estimated: m.cost.source == super::cost::CostSource::Estimate,
                    error: m.mape.combined_pct,
                })
                .collect(),
        }
    }
}

impl Drawable for CostVsError {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let xs: Vec<f64> = self.points.iter().map(|p| p.duration_min).collect();
        let ys: Vec<f64> = self.points.iter().filter_map(|p| p.error).chain([0.0]).collect();
        let xr = axis(xs.iter());
        let xr = xr.start..xr.end + 0.3 * (xr.end - xr.start);
        let yr = axis(ys.iter());
        // headroom at the top for the legend
        let yr = 0.0f64.min(yr.start)..yr.end.max(10.0) * 1.35;
        let (xspan, yspan) = (xr.end - xr.start, yr.end - yr.start);
        let y_floor = yr.start;
        let y_top = yr.end;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 18))
            .margin(16)
            .margin_right(30)
            .x_label_area_size(55)
            .y_label_area_size(80)
            .build_cartesian_2d(xr, yr)?;
        chart
            .configure_mesh()
            .x_desc("duration of the profiling run (minutes; estimated unless measured from profile_sla.log)")
            .y_desc("predictive error: mean p50 MAPE (%)")
            .axis_desc_style((FONT, 15))
            .label_style((FONT, 13))
            .x_label_formatter(&|v| tick(*v, xspan))
            .y_label_formatter(&|v| tick(*v, yspan))
            .bold_line_style(BLACK.mix(0.12))
            .light_line_style(BLACK.mix(0.04))
            .draw()?;
        let x_mid = xr_mid(&self.points);
        for (i, p) in self.points.iter().enumerate() {
            let c = color(i);
            let text = format!(
                "{}: {} min, {} GPU-h{}",
                p.label,
                fixed(p.duration_min, MIN_DECIMALS),
                fixed(p.gpu_hours, GPU_HOURS_DECIMALS),
                if p.estimated { " (estimated)" } else { "" }
            );
            // labels of points in the right half end at the point, so they stay inside
            let (h, pad) = if p.duration_min > x_mid {
                (HPos::Right, ("", "  "))
            } else {
                (HPos::Left, ("  ", ""))
            };
            let style = (FONT, 14).into_font().color(&c).pos(Pos::new(h, VPos::Bottom));
            match p.error {
                Some(e) => {
                    chart
                        .draw_series(std::iter::once(Circle::new((p.duration_min, e), 8, c.filled())))?
                        .label(format!("{} (validated)", p.label))
                        .legend(move |(x, y)| Circle::new((x + 8, y), 6, c.filled()));
                    chart.draw_series(std::iter::once(Text::new(
                        format!("{}{text}, error {} %{}", pad.0, fixed(e, PCT_DECIMALS), pad.1),
                        (p.duration_min, e),
                        style,
                    )))?;
                }
                None => {
                    chart
                        .draw_series(std::iter::once(DashedPathElement::new(
                            vec![(p.duration_min, y_floor), (p.duration_min, y_top)],
                            6,
                            6,
                            c.stroke_width(2),
                        )))?
                        .label(format!("{} (no validation: error unknown)", p.label))
                        .legend(move |(x, y)| Circle::new((x + 8, y), 6, c.stroke_width(2)));
                    chart.draw_series(std::iter::once(Circle::new(
                        (p.duration_min, y_floor),
                        8,
                        c.stroke_width(3),
                    )))?;
                    chart.draw_series(std::iter::once(Text::new(
                        format!("{}{text}, no validation{}", pad.0, pad.1),
                        (p.duration_min, y_floor + 0.04 * yspan),
                        style,
                    )))?;
                }
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperMiddle)
            .margin(10)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 14))
            .draw()?;
        Ok(())
    }
}
