//! The calibration figure (`slasim calibrate --plot FILE.{png,svg}`):
//!
//! 1. **predicted vs measured**: one point per run × metric on log–log axes, with the y = x
//!    diagonal and shaded ±10 % / ±20 % bands; the colour says which parameters simulated it
//!    (before / after the fit, or the current parameters when there is no fit), the marker
//!    shape says which metric (circle TTFT, triangle TPOT/ITL, square E2E, diamond throughput;
//!    filled = P50, hollow = P99);
//! 2. **TTFT P50 vs load level** and 3. **ITL (TPOT) P50 vs load level**: the runs in the order
//!    given (labelled by run name and load), measured vs simulated.
//!
//! Rendering (bundled font, in-memory PNG/SVG, atomic write) is shared with
//! [`crate::profile::plot`].

use super::compare::Metric;
use super::hwrun::RunLoad;
use super::report::Evaluation;
use super::targets::Target;
use crate::error::Result;
use crate::profile::plot::{
    axis, format_for, log_axis, register_bundled_font, render_to_file, tick, DrawResult, Drawable, FONT, PALETTE,
};
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// Figure width, px.
const WIDTH: u32 = 1600;
/// Figure height, px.
const HEIGHT: u32 = 900;
/// Height of the title band (title and gate summary), px.
const TITLE_H: u32 = 78;
/// Width of the scatter panel, px.
const SCATTER_W: u32 = 800;
/// Width of the scatter's legend column, px.
const LEGEND_W: u32 = 190;

/// Colour of the measured values.
const MEASURED: RGBColor = RGBColor(20, 20, 20);
/// Colour of the simulation before the fit (or with the current parameters).
const BEFORE: RGBColor = PALETTE[0];
/// Colour of the simulation after the fit.
const AFTER: RGBColor = PALETTE[1];

/// A line of a load panel: legend label, colour, points.
type Line = (String, RGBColor, Vec<(f64, f64)>);

/// The flag the output path comes from (named in errors).
const FLAG: &str = "--plot";

/// Checks that `out` names a `.png` or `.svg` file (a usage error on `--plot` otherwise), so a
/// bad name fails before a long fit.
pub fn check_path(out: &Path) -> Result<()> {
    format_for(out, FLAG).map(|_| ())
}

/// Draws the calibration figure of `before` (and `after`, when a fit ran) over `targets` (the
/// runs in the order given) to `out`, a `.png` or `.svg` file, written whole or not at all.
/// `title` heads the figure (e.g. the deployment).
pub fn plot_calibration(
    before: &Evaluation,
    after: Option<&Evaluation>,
    targets: &[Target],
    out: &Path,
    title: &str,
) -> Result<()> {
    let format = format_for(out, FLAG)?;
    let fig = Figure::new(before, after, targets, title);
    register_bundled_font()?;
    let (w, h) = (WIDTH, HEIGHT);
    render_to_file(out, format, (w, h), &fig)
}

/// The metrics the scatter draws (medians, tails and throughput; means and P90s are in the
/// report and the JSON, not the figure, to keep its legend readable).
const PLOTTED: [Metric; 7] = [
    Metric::TtftP50,
    Metric::TtftP99,
    Metric::TpotP50,
    Metric::TpotP99,
    Metric::E2eP50,
    Metric::E2eP99,
    Metric::ThroughputTokenS,
];

/// One set of simulated values (before / after / current).
struct Phase {
    label: String,
    colour: RGBColor,
    /// (metric, measured, simulated) of every run.
    points: Vec<(Metric, f64, f64)>,
    /// TTFT P50 and TPOT P50 per run (by run index), when the run reports them.
    ttft: Vec<(usize, f64)>,
    tpot: Vec<(usize, f64)>,
}

/// Everything drawn.
struct Figure {
    title: String,
    subtitle: String,
    /// x-axis labels of the load panels, one per run.
    runs: Vec<String>,
    /// Whether any run is held out (its label carries a `*`).
    any_holdout: bool,
    measured_ttft: Vec<(usize, f64)>,
    measured_tpot: Vec<(usize, f64)>,
    phases: Vec<Phase>,
}

/// `c4`, `2.5 rps`, `burst`.
fn load_label(l: &RunLoad) -> String {
    match l {
        RunLoad::Concurrency(n) => format!("c{n}"),
        RunLoad::Poisson { rps } => format!("{} rps", tick(*rps, *rps * 100.0)),
        RunLoad::Burst => "burst".into(),
    }
}

fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// Per-run values of `m` (run index, value) from an evaluation; `hw` picks the measured value.
fn per_run(e: &Evaluation, m: Metric, hw: bool) -> Vec<(usize, f64)> {
    e.runs
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.metrics.get(&m).map(|c| (i, if hw { c.hw } else { c.sim })))
        .filter(|(_, v)| v.is_finite())
        .collect()
}

fn gate_line(e: &Evaluation) -> String {
    let g = |x: &super::compare::Gate| match x.mape_pct {
        Some(v) if x.evaluated => format!("{v:.1} % {}", x.verdict()),
        _ => x.verdict().to_string(),
    };
    format!("strict {} · loose {}", g(&e.gates.strict), g(&e.gates.loose))
}

impl Drawable for Figure {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        self.draw(root)
    }
}

impl Figure {
    fn new(before: &Evaluation, after: Option<&Evaluation>, targets: &[Target], title: &str) -> Figure {
        let many = before.runs.len() > 6;
        let runs: Vec<String> = before
            .runs
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let load = targets.get(i).map(|t| load_label(&t.run.load));
                let mut s = match load {
                    Some(l) if many || r.name.chars().count() > 12 => l,
                    Some(l) => format!("{} ({l})", r.name),
                    None => r.name.clone(),
                };
                if r.holdout {
                    s.push('*');
                }
                s
            })
            .collect();
        let phase = |e: &Evaluation, label: &str, colour: RGBColor| Phase {
            label: label.to_string(),
            colour,
            points: e
                .runs
                .iter()
                .flat_map(|r| r.metrics.iter().map(|(m, c)| (*m, c.hw, c.sim)))
                .filter(|(m, h, s)| PLOTTED.contains(m) && positive(*h) && positive(*s))
                .collect(),
            ttft: per_run(e, Metric::TtftP50, false),
            tpot: per_run(e, Metric::TpotP50, false),
        };
        let (phases, subtitle) = match after {
            Some(a) => (
                vec![phase(before, "before fit", BEFORE), phase(a, "after fit", AFTER)],
                format!(
                    "gates (MAPE over all runs): before fit {} → after fit {}",
                    gate_line(before),
                    gate_line(a)
                ),
            ),
            None => (
                vec![phase(before, "current parameters", BEFORE)],
                format!("gates (MAPE over all runs): {}", gate_line(before)),
            ),
        };
        Figure {
            title: title.to_string(),
            subtitle,
            any_holdout: before.runs.iter().any(|r| r.holdout),
            runs,
            measured_ttft: per_run(before, Metric::TtftP50, true),
            measured_tpot: per_run(before, Metric::TpotP50, true),
            phases,
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (title_area, body) = root.split_vertically(TITLE_H);
        let (tw, _) = title_area.dim_in_pixel();
        let centre = |size| {
            (FONT, size)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Center))
        };
        title_area.draw(&Text::new(self.title.clone(), ((tw / 2) as i32, 24), centre(22)))?;
        title_area.draw(&Text::new(self.subtitle.clone(), ((tw / 2) as i32, 56), centre(15)))?;
        let (left, right) = body.split_horizontally(SCATTER_W + LEGEND_W);
        let (scatter, legend) = left.split_horizontally(SCATTER_W);
        self.draw_scatter(&scatter)?;
        self.draw_scatter_legend(&legend)?;
        let (top, bottom) = right.split_vertically(right.dim_in_pixel().1 / 2);
        let note = if self.any_holdout { " (* held out)" } else { "" };
        self.draw_load_panel(
            &top,
            &format!("TTFT P50 vs load{note}"),
            "TTFT P50 (ms)",
            &self.measured_ttft,
            |p| &p.ttft,
            true,
        )?;
        self.draw_load_panel(
            &bottom,
            &format!("ITL (TPOT) P50 vs load{note}"),
            "ITL P50 (ms)",
            &self.measured_tpot,
            |p| &p.tpot,
            false,
        )
    }

    fn draw_scatter<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let all = self
            .phases
            .iter()
            .flat_map(|p| p.points.iter().flat_map(|(_, h, s)| [*h, *s]));
        let vals: Vec<f64> = all.collect();
        let (lo, hi) = scatter_range(&vals);
        let mut chart = ChartBuilder::on(area)
            .caption(
                "predicted vs measured (log–log), one point per run × metric",
                (FONT, 18),
            )
            .margin(12)
            .margin_right(20)
            .x_label_area_size(50)
            .y_label_area_size(78)
            .build_cartesian_2d((lo..hi).log_scale(), (lo..hi).log_scale())?;
        let fmt = |v: &f64| tick(*v, v.abs().max(f64::MIN_POSITIVE) * 1000.0);
        chart
            .configure_mesh()
            .x_desc("measured (ms; throughput in tokens/s)")
            .y_desc("simulated (same unit)")
            .axis_desc_style((FONT, 15))
            .label_style((FONT, 13))
            .x_label_formatter(&fmt)
            .y_label_formatter(&fmt)
            .bold_line_style(BLACK.mix(0.12))
            .light_line_style(BLACK.mix(0.04))
            .draw()?;
        // ±20 % and ±10 % bands around the diagonal, clipped to the square [lo, hi]²
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
        let plot = chart.plotting_area();
        for p in &self.phases {
            for (m, h, s) in &p.points {
                marker(plot, *m, (*h, *s), p.colour.to_rgba())?;
            }
        }
        Ok(())
    }

    fn draw_scatter_legend<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let style = (FONT, 14)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        let head = (FONT, 15)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        let line_h = 22;
        let mut y = 70;
        area.draw(&Text::new("simulated with", (6, y), head.clone()))?;
        for p in &self.phases {
            y += line_h;
            area.draw(&Circle::new((18, y), 5, p.colour.filled()))?;
            area.draw(&Text::new(p.label.clone(), (34, y), style.clone()))?;
        }
        y += line_h + 12;
        area.draw(&Text::new("metric", (6, y), head.clone()))?;
        for m in PLOTTED {
            y += line_h;
            marker(area, m, (18, y), BLACK.mix(0.75))?;
            area.draw(&Text::new(m.key().to_string(), (34, y), style.clone()))?;
        }
        y += line_h + 12;
        area.draw(&Text::new("error bands", (6, y), head.clone()))?;
        for (label, a) in [("within ±10 %", 0.17), ("within ±20 %", 0.07)] {
            y += line_h;
            area.draw(&Rectangle::new([(10, y - 6), (26, y + 6)], PALETTE[2].mix(a).filled()))?;
            area.draw(&Text::new(label.to_string(), (34, y), style.clone()))?;
        }
        y += line_h;
        area.draw(&PathElement::new(
            vec![(10, y), (26, y)],
            BLACK.mix(0.6).stroke_width(1),
        ))?;
        area.draw(&Text::new("y = x", (34, y), style))?;
        Ok(())
    }

    /// A load panel: the measured values and each phase's simulated values of one metric per
    /// run, runs in the order given along x.
    fn draw_load_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        caption: &str,
        y_desc: &str,
        measured: &[(usize, f64)],
        sim: impl Fn(&Phase) -> &Vec<(usize, f64)>,
        legend: bool,
    ) -> DrawResult<DB> {
        let n = self.runs.len().max(1);
        let ys: Vec<f64> = measured
            .iter()
            .map(|p| p.1)
            .chain(self.phases.iter().flat_map(|p| sim(p).iter().map(|q| q.1)))
            .collect();
        let yr = axis(ys.iter());
        let yspan = yr.end - yr.start;
        let mut chart = ChartBuilder::on(area)
            .caption(caption, (FONT, 18))
            .margin(12)
            .margin_right(24)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d(-0.5..(n as f64 - 0.5), yr)?;
        let labels = &self.runs;
        let x_fmt = |v: &f64| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        let y_fmt = |v: &f64| tick(*v, yspan);
        chart
            .configure_mesh()
            .y_desc(y_desc)
            .axis_desc_style((FONT, 15))
            .label_style((FONT, 13))
            .x_labels(n + 1)
            .y_labels(7)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .disable_x_mesh()
            .bold_line_style(BLACK.mix(0.12))
            .light_line_style(BLACK.mix(0.04))
            .draw()?;
        let pts = |v: &[(usize, f64)]| v.iter().map(|&(i, y)| (i as f64, y)).collect::<Vec<_>>();
        let mut series: Vec<Line> = vec![("measured".into(), MEASURED, pts(measured))];
        for p in &self.phases {
            series.push((format!("simulated, {}", p.label), p.colour, pts(sim(p))));
        }
        for (label, c, points) in &series {
            let c = *c;
            let line = chart.draw_series(
                points
                    .windows(2)
                    .map(|w| PathElement::new(vec![w[0], w[1]], c.stroke_width(2))),
            )?;
            line.label(label.clone()).legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(-4, 0), (20, 0)], c.stroke_width(2))
                    + Circle::new((8, 0), 4, c.filled())
            });
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, c.filled())))?;
        }
        // the measured points again on top, as rings, so they stay visible where a simulation
        // matches them
        let measured_pts = pts(measured);
        chart.draw_series(
            measured_pts
                .iter()
                .map(|&p| Circle::new(p, 6, MEASURED.stroke_width(2))),
        )?;
        if legend {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .margin(8)
                .legend_area_size(28)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .label_font((FONT, 13))
                .draw()?;
        }
        Ok(())
    }
}

/// The (shared) range of both scatter axes: the positive values with a margin of a factor 1.4,
/// at least one decade wide (so power-of-ten ticks show); whole decades when there are none.
fn scatter_range(vals: &[f64]) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &v in vals.iter().filter(|v| positive(**v)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !(lo.is_finite() && hi.is_finite()) {
        let r = log_axis(vals.iter());
        return (r.start, r.end);
    }
    let (mut lo, mut hi) = (lo / 1.4, hi * 1.4);
    if hi / lo < 10.0 {
        let mid = (lo * hi).sqrt();
        lo = mid / 10f64.sqrt();
        hi = mid * 10f64.sqrt();
    }
    (lo, hi)
}

/// Draws the marker of metric `m` at `at` on `area` in colour `c`: circle TTFT, triangle TPOT,
/// square E2E, diamond throughput; filled for P50 (and throughput), hollow for P99.
fn marker<DB: DrawingBackend, X: CoordTranslate>(
    area: &DrawingArea<DB, X>,
    m: Metric,
    at: X::From,
    c: RGBAColor,
) -> DrawResult<DB>
where
    X::From: Clone,
{
    let hollow = matches!(m, Metric::TtftP99 | Metric::TpotP99 | Metric::E2eP99);
    let style = if hollow { c.stroke_width(2) } else { c.filled() };
    let shape: Vec<(i32, i32)> = match m {
        Metric::TtftP50 | Metric::TtftP99 => return area.draw(&(EmptyElement::at(at) + Circle::new((0, 0), 5, style))),
        Metric::TpotP50 | Metric::TpotP99 => vec![(0, -6), (6, 4), (-6, 4)],
        Metric::E2eP50 | Metric::E2eP99 => vec![(-5, -5), (5, -5), (5, 5), (-5, 5)],
        Metric::ThroughputTokenS => vec![(0, -7), (6, 0), (0, 7), (-6, 0)],
        // not in PLOTTED
        _ => return Ok(()),
    };
    if hollow {
        let mut closed = shape.clone();
        closed.extend(shape.first().copied());
        area.draw(&(EmptyElement::at(at) + PathElement::new(closed, style)))
    } else {
        area.draw(&(EmptyElement::at(at) + Polygon::new(shape, style)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scatter_range_is_at_least_a_decade() {
        let (lo, hi) = scatter_range(&[5.0]);
        assert!(lo < 5.0 && hi > 5.0 && hi / lo >= 9.99, "{lo} {hi}");
        let (lo, hi) = scatter_range(&[10.0, 10_000.0]);
        assert!(lo < 10.0 && hi > 10_000.0);
        let (lo, hi) = scatter_range(&[]);
        assert!(lo > 0.0 && hi > lo);
        let (lo, hi) = scatter_range(&[0.0, f64::NAN, -1.0]);
        assert!(lo > 0.0 && hi > lo);
    }

    #[test]
    fn load_labels() {
        assert_eq!(load_label(&RunLoad::Concurrency(4)), "c4");
        assert_eq!(load_label(&RunLoad::Poisson { rps: 2.5 }), "2.5 rps");
        assert_eq!(load_label(&RunLoad::Burst), "burst");
    }

    #[test]
    fn bad_extension_names_the_flag() {
        let e = check_path(Path::new("x.jpg"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("--plot:") && e.contains(".png or .svg"), "{e}");
        assert!(check_path(Path::new("x.SVG")).is_ok());
    }
}
