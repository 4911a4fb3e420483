//! The validation figure (`slasim validate --plot FILE.{png,svg}`): one log–log panel per data
//! set, predicted vs measured, one point per row × metric, with the y = x diagonal and shaded
//! ±10 % / ±20 % bands. Colour: the condition (uncalibrated, or calibrated: filled where the
//! calibration never saw the row, hollow where it was fitted on it); shape: the metric family
//! (circle TTFT, triangle TPOT, square E2E, diamond throughput).

use super::{SetResult, Validation};
use crate::calibrate::compare::Metric;
use crate::error::Result;
use crate::profile::plot::{format_for, render_to_file, tick, DrawResult, Drawable, FONT, PALETTE};
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use std::path::Path;

/// Width of one set's panel, px.
const PANEL_W: u32 = 620;
/// Figure height, px.
const HEIGHT: u32 = 660;

/// Checks that `out` names a `.png` or `.svg` file (a usage error on `--plot` otherwise).
pub fn check_path(out: &Path) -> Result<()> {
    format_for(out, "--plot").map(|_| ())
}

/// Draws `v` to `out`, written whole or not at all.
pub fn plot_validation(v: &Validation, out: &Path) -> Result<()> {
    let format = format_for(out, "--plot")?;
    crate::profile::plot::register_bundled_font()?;
    let n = v.sets.len().max(1) as u32;
    render_to_file(out, format, (PANEL_W * n, HEIGHT), &Figure { sets: &v.sets })
}

struct Figure<'a> {
    sets: &'a [SetResult],
}

impl Drawable for Figure<'_> {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let panels = root.split_evenly((1, self.sets.len().max(1)));
        for (area, set) in panels.iter().zip(self.sets) {
            draw_set(area, set)?;
        }
        Ok(())
    }
}

fn draw_set<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, set: &SetResult) -> DrawResult<DB> {
    let vals: Vec<f64> = set
        .conditions
        .iter()
        .flat_map(|c| {
            c.rows
                .iter()
                .flat_map(|r| r.metrics.values().flat_map(|x| [x.hw, x.sim]))
        })
        .filter(|x| x.is_finite() && *x > 0.0)
        .collect();
    let lo = vals.iter().copied().fold(f64::INFINITY, f64::min) / 1.3;
    let hi = vals.iter().copied().fold(0.0, f64::max) * 1.3;
    let (lo, hi) = if lo.is_finite() && hi > lo {
        (lo, hi)
    } else {
        (1.0, 10.0)
    };
    let mut chart = ChartBuilder::on(area)
        .caption(set.name.clone(), (FONT, 17))
        .margin(12)
        .x_label_area_size(46)
        .y_label_area_size(70)
        .build_cartesian_2d((lo..hi).log_scale(), (lo..hi).log_scale())?;
    let fmt = |v: &f64| tick(*v, v.abs().max(f64::MIN_POSITIVE) * 1000.0);
    chart
        .configure_mesh()
        .x_desc("measured: circle TTFT, triangle TPOT, square E2E (ms); diamond throughput (tok/s); hollow = fitted on")
        .y_desc("predicted")
        .axis_desc_style((FONT, 14))
        .label_style((FONT, 12))
        .x_label_formatter(&fmt)
        .y_label_formatter(&fmt)
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .draw()?;
    for (f, a) in [(1.2, 0.07), (1.1, 0.10)] {
        let band = vec![
            (lo, lo),
            (lo, lo * f),
            (hi / f, hi),
            (hi, hi),
            (hi, hi / f),
            (lo * f, lo),
        ];
        chart.draw_series(std::iter::once(Polygon::new(band, PALETTE[2].mix(a).filled())))?;
    }
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(lo, lo), (hi, hi)],
        BLACK.mix(0.6).stroke_width(1),
    )))?;
    for (ci, c) in set.conditions.iter().enumerate() {
        let colour = PALETTE[ci % PALETTE.len()];
        let mut pts: Vec<(f64, f64, Metric, bool)> = Vec::new();
        for r in &c.rows {
            for (m, x) in &r.metrics {
                if x.hw > 0.0 && x.sim > 0.0 && x.sim.is_finite() {
                    pts.push((x.hw, x.sim.clamp(lo, hi), *m, r.fitted));
                }
            }
        }
        {
            let plot = chart.plotting_area();
            for &(h, sv, m, fitted) in &pts {
                draw_marker(plot, (h, sv), m, colour, fitted)?;
            }
        }
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label(c.condition.clone())
            .legend(move |(x, y)| Circle::new((x, y), 5, colour.filled()));
    }
    chart
        .configure_series_labels()
        .label_font((FONT, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    Ok(())
}

/// Draws a marker whose shape says the metric family; hollow for rows the calibration was
/// fitted on.
fn draw_marker<DB: DrawingBackend, X: CoordTranslate<From = (f64, f64)>>(
    area: &DrawingArea<DB, X>,
    at: (f64, f64),
    m: Metric,
    c: RGBColor,
    fitted: bool,
) -> DrawResult<DB> {
    let style = if fitted { c.stroke_width(2) } else { c.filled() };
    let shape: Vec<(i32, i32)> = match m {
        Metric::TtftP50 | Metric::TtftP90 | Metric::TtftP99 | Metric::TtftMean => {
            return area.draw(&(EmptyElement::at(at) + Circle::new((0, 0), 5, style)))
        }
        Metric::TpotP50 | Metric::TpotP90 | Metric::TpotP99 | Metric::TpotMean => vec![(0, -6), (6, 4), (-6, 4)],
        Metric::E2eP50 | Metric::E2eP90 | Metric::E2eP99 | Metric::E2eMean => {
            vec![(-5, -5), (5, -5), (5, 5), (-5, 5)]
        }
        Metric::ThroughputTokenS => vec![(0, -7), (6, 0), (0, 7), (-6, 0)],
    };
    if fitted {
        let mut closed = shape.clone();
        closed.extend(shape.first().copied());
        area.draw(&(EmptyElement::at(at) + PathElement::new(closed, style)))
    } else {
        area.draw(&(EmptyElement::at(at) + Polygon::new(shape, style)))
    }
}
