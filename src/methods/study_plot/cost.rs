//! The cost-vs-error figure (`cost_vs_error`): GPU-hours of profiling against medium-load MAPE,
//! one labelled marker per method with ± 1 sd error bars.

use super::layout::{nearest_on, place_labels, KeyedAxis, LogZeroAxis, Rect};
use super::{colour, finite, header, message, sd_of, seeds_text, GREY, TITLE_H};
use crate::methods::study::StudyResults;
use crate::profile::plot::{axis, tick, DrawResult, Drawable, FONT};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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
pub(super) struct CostFigure {
    title: String,
    context: String,
    points: Vec<CostPoint>,
    /// Methods without a finite mean GPU-hours or MAPE.
    skipped: Vec<String>,
    /// Whether the study has no methods at all.
    empty: bool,
}

impl CostFigure {
    pub(super) fn new(r: &StudyResults, context: &str) -> CostFigure {
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
