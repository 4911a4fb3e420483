//! The regret figure (`regret`): one bar per method of its mean regret %, a min–max whisker
//! over seeds and the success threshold.

use super::layout::{KeyedAxis, Rect};
use super::{colour, finite, header, message, seeds_text, GREY, TITLE_H};
use crate::methods::study::{Spread, StudyResults};
use crate::profile::plot::{tick, DrawResult, Drawable, FONT};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One bar of the regret figure.
struct Bar {
    name: String,
    colour: RGBColor,
    baseline: bool,
    regret: Spread,
}

/// The regret figure's data.
pub(super) struct RegretFigure {
    title: String,
    context: String,
    bars: Vec<Bar>,
    /// The success threshold (mean regret strictly below), %.
    threshold: f64,
}

impl RegretFigure {
    pub(super) fn new(r: &StudyResults, context: &str) -> RegretFigure {
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
pub(super) fn name_lines(name: &str, baseline: bool) -> Vec<String> {
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
pub(super) fn shorten(s: &str, chars: usize) -> String {
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
