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

mod cost;
mod layout;
mod levels;
mod regret;
#[cfg(test)]
mod tests;

use super::study::{Spread, StudyResults};
use crate::error::Result;
use crate::profile::plot::{
    format_for, register_bundled_font, render_to_file, tick, DrawResult, Drawable, FONT, PALETTE,
};
use cost::CostFigure;
use levels::PvaFigure;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use regret::RegretFigure;
use std::path::Path;

/// Height of the title band (headline, testbed line, key), px.
const TITLE_H: u32 = 104;
/// Size of the cost-vs-error figure, px.
const COST_SIZE: (u32, u32) = (1200, 820);
/// Size of the regret figure, px.
const REGRET_SIZE: (u32, u32) = (1200, 740);
/// Size of the predicted-vs-actual figure, px.
const PVA_SIZE: (u32, u32) = (1750, 760);
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
