//! The predicted-vs-actual figure (`predicted_vs_actual`): for the first seed, TTFT p50 and
//! ITL p50 against the load level, predicted and actual per method, with a legend column.

use super::layout::KeyedAxis;
use super::{colour, finite, header, message, GREY, TITLE_H};
use crate::methods::study::{LevelCompare, MethodReport, StudyResults};
use crate::profile::plot::{axis, category_label, span_tick, DrawResult, Drawable, FONT};
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Width of the legend column of the predicted-vs-actual figure, px.
const PVA_LEGEND_W: u32 = 430;
/// Values spanning more than this factor get a logarithmic y axis in predicted-vs-actual.
const LOG_RATIO: f64 = 20.0;

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
pub(super) struct PvaFigure {
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
    pub(super) fn new(r: &StudyResults, context: &str) -> PvaFigure {
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
            let pts = |f: &dyn Fn(&LevelCompare) -> f64| -> Vec<(usize, f64)> {
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
pub(super) fn dodge(i: usize, n: usize) -> f64 {
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
    let x_fmt = |v: &f64| category_label(levels, *v);
    let y_fmt = |v: &f64| span_tick(*v, yspan);
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
