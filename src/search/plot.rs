//! The sweep figure (`slasim sweep|merge --plot FILE.{png,svg}`): output tokens/s/GPU (y) vs
//! tokens/s/user (x), each at the configuration's max request rate meeting the SLA. Every
//! evaluated configuration is a grey dot, the Pareto front is a coloured line through its
//! points (labelled with their ids when there are few), and the chosen (rank 1) configuration
//! is a large red ringed dot with its id. Rendering (bundled font, in-memory PNG/SVG, atomic write) is
//! shared with [`crate::profile::plot`].

use super::report::Report;
use crate::error::Result;
use crate::profile::plot::{
    axis, format_for, register_bundled_font, render_to_file, tick, DrawResult, Drawable, FONT, PALETTE,
};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// Figure size, px.
const WIDTH: u32 = 1200;
/// Figure height, px.
const HEIGHT: u32 = 800;
/// Most Pareto points labelled with their id.
const MAX_LABELS: usize = 12;
/// Colour of the chosen configuration.
const CHOSEN: RGBColor = RGBColor(214, 39, 40);

/// Checks that `out` names a `.png` or `.svg` file (a usage error on `--plot` otherwise).
pub fn check_path(out: &Path) -> Result<()> {
    format_for(out, "--plot").map(|_| ())
}

struct Pt {
    x: f64,
    y: f64,
    id: String,
}

/// Draws the Pareto figure of `report` to `out`, written whole or not at all.
pub fn plot_front(report: &Report, out: &Path) -> Result<()> {
    let format = format_for(out, "--plot")?;
    register_bundled_font()?;
    let mut all = Vec::new();
    let mut front = Vec::new();
    let mut chosen = None;
    for k in &report.ranked {
        let r = &k.result;
        if r.error.is_some() || r.max_rps_meeting_sla <= 0.0 {
            continue;
        }
        let p = Pt {
            x: r.tokens_per_s_per_user(),
            y: r.tokens_per_s_per_gpu(),
            id: r.config.id.clone(),
        };
        if report.best.as_deref() == Some(r.config.id.as_str()) {
            chosen = Some(Pt {
                x: p.x,
                y: p.y,
                id: p.id.clone(),
            });
        }
        if k.pareto {
            front.push(Pt {
                x: p.x,
                y: p.y,
                id: p.id.clone(),
            });
        }
        all.push(p);
    }
    front.sort_by(|a, b| a.x.total_cmp(&b.x).then(b.y.total_cmp(&a.y)));
    let title = format!(
        "{} · {} · {} — {} configurations, {} on the Pareto front",
        report.header.get("model").and_then(|v| v.as_str()).unwrap_or("?"),
        report.header.get("gpu").and_then(|v| v.as_str()).unwrap_or("?"),
        report.header.get("backend").and_then(|v| v.as_str()).unwrap_or("?"),
        report.ranked.len(),
        front.len()
    );
    let fig = FrontFigure {
        title: &title,
        all: &all,
        front: &front,
        chosen: chosen.as_ref(),
    };
    render_to_file(out, format, (WIDTH, HEIGHT), &fig)
}

/// The Pareto-front figure's data, drawable on any backend.
struct FrontFigure<'a> {
    title: &'a str,
    all: &'a [Pt],
    front: &'a [Pt],
    chosen: Option<&'a Pt>,
}

impl Drawable for FrontFigure<'_> {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        draw_fig(root, self.title, self.all, self.front, self.chosen)
    }
}

fn draw_fig<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    all: &[Pt],
    front: &[Pt],
    chosen: Option<&Pt>,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let xr = axis(all.iter().map(|p| &p.x));
    let yr = axis(all.iter().map(|p| &p.y));
    // Headroom on the right and at the top so the chosen config's label and the legend
    // (lower left) never cover the front, which sits towards the upper right.
    let xr = xr.start..xr.end + 0.25 * (xr.end - xr.start);
    let yr = yr.start..yr.end + 0.12 * (yr.end - yr.start);
    let (xs, ys) = (xr.end - xr.start, yr.end - yr.start);
    let x_lo = xr.start;
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 20))
        .margin(16)
        .margin_right(30)
        .x_label_area_size(55)
        .y_label_area_size(85)
        .build_cartesian_2d(xr, yr)?;
    chart
        .configure_mesh()
        .x_desc("tokens/s/user (1000 / mean ITL) at the max rate meeting the SLA")
        .y_desc("output tokens/s/GPU at the max rate meeting the SLA")
        .axis_desc_style((FONT, 15))
        .label_style((FONT, 13))
        .x_label_formatter(&|v| tick(*v, xs))
        .y_label_formatter(&|v| tick(*v, ys))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .draw()?;
    chart
        .draw_series(
            all.iter()
                .map(|p| Circle::new((p.x, p.y), 3, RGBColor(150, 150, 150).mix(0.6).filled())),
        )?
        .label("configuration")
        .legend(|(x, y)| Circle::new((x + 10, y), 4, RGBColor(150, 150, 150).filled()));
    let blue = PALETTE[0];
    chart
        .draw_series(std::iter::once(PathElement::new(
            front.iter().map(|p| (p.x, p.y)).collect::<Vec<_>>(),
            blue.stroke_width(2),
        )))?
        .label("Pareto front")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue.stroke_width(2)));
    chart.draw_series(front.iter().map(|p| Circle::new((p.x, p.y), 5, blue.filled())))?;
    // One label per distinct point (configurations that tie share a point; the best-ranked
    // one names it), when there are few enough to read.
    let mut distinct: Vec<&Pt> = Vec::new();
    for p in front {
        if !distinct.iter().any(|q| q.x == p.x && q.y == p.y) {
            distinct.push(p);
        }
    }
    if distinct.len() <= MAX_LABELS {
        // labels of points in the right quarter end at the point, so they stay inside
        let right_edge = x_lo + 0.75 * xs;
        for p in distinct
            .iter()
            .filter(|p| chosen.is_none_or(|c| c.x != p.x || c.y != p.y))
        {
            let (h, text) = if p.x > right_edge {
                (HPos::Right, format!("{} ", p.id))
            } else {
                (HPos::Left, format!(" {}", p.id))
            };
            let style = (FONT, 12)
                .into_font()
                .color(&BLACK.mix(0.75))
                .pos(Pos::new(h, VPos::Bottom));
            chart.draw_series(std::iter::once(Text::new(text, (p.x, p.y), style)))?;
        }
    }
    if let Some(c) = chosen {
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((c.x, c.y))
                    + Circle::new((0, 0), 9, CHOSEN.filled())
                    + Circle::new((0, 0), 16, CHOSEN.stroke_width(3)),
            ))?
            .label(format!("chosen: {}", c.id))
            .legend(|(x, y)| Circle::new((x + 10, y), 6, CHOSEN.filled()));
        let style = (FONT, 15)
            .into_font()
            .color(&CHOSEN)
            .pos(Pos::new(HPos::Left, VPos::Top));
        chart.draw_series(std::iter::once(
            EmptyElement::at((c.x, c.y)) + Text::new(format!("chosen: {}", c.id), (14, 14), style),
        ))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 14))
        .draw()?;
    Ok(())
}
