//! Plots of a profile (`slasim profile plot`): one figure with
//!
//! 1. **prefill**: TTFT (ms) vs ISL (tokens), one line (through the measured points, with
//!    markers) per prefill-capable engine;
//! 2. **decode latency**: ITL (ms) vs kv_usage, one line per measured context length;
//! 3. **decode efficiency**: decode throughput per GPU (tokens/s/GPU) vs ITL (ms), one line per
//!    context length.
//!
//! Panels 2 and 3 are drawn once per decode-capable engine (one row per TP); the prefill panel
//! spans all rows on the left. Only measured points are drawn, never the interpolation.
//!
//! The figure is rendered in memory (PNG through the bundled DejaVu Sans font, so text renders
//! on machines with no system fonts; SVG as text) and written atomically.

use super::{EngineProfile, Profile, Role};
use crate::error::{Error, Result};
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};
use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

/// DejaVu Sans (Bitstream Vera license, see `assets/fonts/LICENSE-DejaVu.txt`): the font every
/// label is drawn with.
static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Font family name the bundled font is registered under.
pub(crate) const FONT: &str = "sans-serif";

/// Figure width, px.
const WIDTH: u32 = 1500;
/// Height of the title band, px.
const TITLE_H: u32 = 50;
/// Height of one row of decode panels, px.
const ROW_H: u32 = 470;
/// Width of the prefill column, px.
const PREFILL_W: u32 = 470;
/// Width of one decode panel, px (two per row, then the row's legend column).
const DECODE_W: u32 = 445;

/// Tableau-10 palette: distinct colours for up to ten series.
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Most legend entries drawn in one legend; with more series only evenly spaced ones are named.
const MAX_LEGEND: usize = 16;

/// Output format, chosen by the file extension.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Png,
    Svg,
}

/// Draws profile `p` to `out` (a `.png` or `.svg` file): prefill TTFT vs ISL, decode ITL vs
/// kv_usage and decode throughput/GPU vs ITL. `tp` restricts the figure to the engines with that
/// tensor-parallel size (a usage error on `--tp` if there are none). The file is written whole
/// or not at all.
pub fn plot_profile(p: &Profile, out: &Path, tp: Option<u32>) -> Result<()> {
    let format = format_of(out)?;
    let fig = Figure::new(p, tp)?;
    register_bundled_font()?;
    let (w, h) = fig.size();
    render_to_file(out, format, (w, h), &fig)
}

/// The output format from the extension of `out` (case-insensitive).
fn format_of(out: &Path) -> Result<Format> {
    format_for(out, "--plot")
}

/// The output format from the extension of `out` (case-insensitive); a usage error on `flag`
/// for any other extension.
pub(crate) fn format_for(out: &Path, flag: &str) -> Result<Format> {
    let ext = out
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => Ok(Format::Png),
        "svg" => Ok(Format::Svg),
        _ => Err(Error::usage(
            flag,
            format!("expected a .png or .svg file, got `{}`", out.display()),
        )),
    }
}

/// Registers the bundled font as `sans-serif` (once per process).
pub(crate) fn register_bundled_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    if *REGISTERED.get_or_init(|| register_font(FONT, FontStyle::Normal, DEJAVU_SANS).is_ok()) {
        Ok(())
    } else {
        Err(Error::data(
            "assets/fonts/DejaVuSans.ttf",
            "(font)",
            "the bundled font cannot be parsed",
        ))
    }
}

/// Encodes an RGB8 buffer as PNG.
pub(crate) fn encode_png(rgb: &[u8], w: u32, h: u32) -> std::result::Result<Vec<u8>, String> {
    use image::ImageEncoder;
    let mut bytes = Vec::new();
    image::codecs::png::PngEncoder::new(&mut bytes)
        .write_image(rgb, w, h, image::ColorType::Rgb8)
        .map_err(|e| format!("cannot encode PNG: {e}"))?;
    Ok(bytes)
}

/// One line of a panel: legend label and measured (x, y) points in drawing order.
struct Series {
    label: String,
    points: Vec<(f64, f64)>,
}

/// Everything drawn, extracted from the profile (finite points only).
struct Figure {
    title: String,
    /// One series per prefill-capable engine, by TP.
    prefill: Vec<Series>,
    /// Per decode-capable engine (by TP): panel label, ITL-vs-kv series and throughput-vs-ITL
    /// series, one per context row.
    decode: Vec<DecodePanels>,
    /// Message shown in empty decode panels.
    no_decode: String,
    /// Message shown in an empty prefill panel.
    no_prefill: String,
}

struct DecodePanels {
    label: String,
    itl_vs_kv: Vec<Series>,
    thpt_vs_itl: Vec<Series>,
}

/// Result of drawing on a plotters backend.
pub(crate) type DrawResult<DB> = std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A figure that can draw itself on any plotters backend (PNG bitmap or SVG).
pub(crate) trait Drawable {
    /// Draws the figure on `root`.
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

impl Drawable for Figure {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        self.draw(root)
    }
}

/// Renders `fig` at `size` pixels as PNG or SVG and writes it atomically to `out`; every
/// drawing or encoding failure becomes an error naming `out`.
pub(crate) fn render_to_file(out: &Path, format: Format, size: (u32, u32), fig: &impl Drawable) -> Result<()> {
    let (w, h) = size;
    let draw_err = |e: String| Error::io(out, "cannot draw the plot", std::io::Error::other(e));
    let bytes = match format {
        Format::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
                fig.draw_on(&root).map_err(|e| draw_err(e.to_string()))?;
                root.present().map_err(|e| draw_err(e.to_string()))?;
            }
            svg.into_bytes()
        }
        Format::Png => {
            let mut rgb = vec![0u8; w as usize * h as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
                fig.draw_on(&root).map_err(|e| draw_err(e.to_string()))?;
                root.present().map_err(|e| draw_err(e.to_string()))?;
            }
            encode_png(&rgb, w, h).map_err(draw_err)?
        }
    };
    crate::output::write_atomic(out, &bytes)
}

impl Figure {
    fn new(p: &Profile, tp: Option<u32>) -> Result<Figure> {
        let keep = |e: &&EngineProfile| tp.is_none_or(|t| e.tp == t);
        if let Some(t) = tp {
            if !p.engines.iter().any(|e| e.tp == t) {
                let mut tps: Vec<u32> = p.engines.iter().map(|e| e.tp).collect();
                tps.sort_unstable();
                tps.dedup();
                let tps: Vec<String> = tps.iter().map(|t| t.to_string()).collect();
                return Err(Error::usage(
                    "--tp",
                    format!(
                        "profile `{}` has no engine with TP {t}; it has TP {}",
                        p.name,
                        if tps.is_empty() {
                            "none".to_string()
                        } else {
                            tps.join(", ")
                        }
                    ),
                ));
            }
        }
        let mut pre: Vec<&EngineProfile> = p.engines.iter().filter(keep).filter(|e| e.prefill.is_some()).collect();
        let mut dec: Vec<&EngineProfile> = p.engines.iter().filter(keep).filter(|e| e.decode.is_some()).collect();
        pre.sort_by_key(|e| e.tp);
        dec.sort_by_key(|e| e.tp);

        let prefill = pre
            .iter()
            .filter_map(|e| {
                let c = e.prefill.as_ref()?;
                Some(Series {
                    label: format!("{} TP{}", e.role, e.tp),
                    points: finite(c.isl.iter().copied().zip(c.ttft_ms.iter().copied())),
                })
            })
            .collect();
        let decode = dec
            .iter()
            .filter_map(|e| {
                let d = e.decode.as_ref()?;
                let mut itl_vs_kv = Vec::new();
                let mut thpt_vs_itl = Vec::new();
                for r in &d.rows {
                    let label = format!("ctx {:.0}", r.context);
                    itl_vs_kv.push(Series {
                        label: label.clone(),
                        points: finite(r.kv_usage.iter().copied().zip(r.itl_ms.iter().copied())),
                    });
                    thpt_vs_itl.push(Series {
                        label,
                        points: finite(r.itl_ms.iter().copied().zip(r.thpt_per_gpu.iter().copied())),
                    });
                }
                Some(DecodePanels {
                    label: format!("{} TP{}", e.role, e.tp),
                    itl_vs_kv,
                    thpt_vs_itl,
                })
            })
            .collect();

        let at = tp.map(|t| format!(" at TP {t}")).unwrap_or_default();
        Ok(Figure {
            title: title(p, &pre, &dec),
            prefill,
            decode,
            no_decode: format!("no decode data{at}"),
            no_prefill: format!("no prefill data{at}"),
        })
    }

    /// Image size in pixels: fixed width, one row of decode panels per decode engine.
    fn size(&self) -> (u32, u32) {
        let rows = self.decode.len().max(1) as u32;
        (WIDTH, TITLE_H + ROW_H * rows)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (title_area, body) = root.split_vertically(TITLE_H);
        let (tw, th) = title_area.dim_in_pixel();
        title_area.draw(&Text::new(
            self.title.clone(),
            ((tw / 2) as i32, (th / 2) as i32),
            (FONT, 22)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
        let (left, right) = body.split_horizontally(PREFILL_W);
        self.draw_prefill(&left)?;
        let rows = right.split_evenly((self.decode.len().max(1), 1));
        if self.decode.is_empty() {
            let (itl, rest) = rows[0].split_horizontally(DECODE_W);
            let (thpt, _) = rest.split_horizontally(DECODE_W);
            empty_panel(&itl, "decode · ITL vs KV usage", &self.no_decode)?;
            empty_panel(&thpt, "decode · throughput vs ITL", &self.no_decode)?;
            return Ok(());
        }
        for (row, d) in rows.iter().zip(&self.decode) {
            let (itl, rest) = row.split_horizontally(DECODE_W);
            let (thpt, legend) = rest.split_horizontally(DECODE_W);
            line_panel(
                &itl,
                &format!("{} · ITL vs KV usage", d.label),
                "KV usage (fraction of max_kv_tokens)",
                "ITL (ms)",
                &d.itl_vs_kv,
                false,
                None,
            )?;
            line_panel(
                &thpt,
                &format!("{} · throughput vs ITL", d.label),
                "ITL (ms)",
                "decode throughput (tokens/s/GPU, log)",
                &d.thpt_vs_itl,
                true,
                None,
            )?;
            legend_column(&legend, "context (tokens)", &d.itl_vs_kv)?;
        }
        Ok(())
    }

    fn draw_prefill<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let caption = "prefill · TTFT vs ISL";
        if self.prefill.iter().all(|s| s.points.is_empty()) {
            return empty_panel(area, caption, &self.no_prefill);
        }
        line_panel(
            area,
            caption,
            "ISL (tokens)",
            "TTFT (ms)",
            &self.prefill,
            false,
            Some(SeriesLabelPosition::UpperLeft),
        )
    }
}

/// "model · GPU · backend · prefill TP1, decode TP2 · origin".
fn title(p: &Profile, pre: &[&EngineProfile], dec: &[&EngineProfile]) -> String {
    let mut engines: Vec<&EngineProfile> = pre.iter().chain(dec.iter()).copied().collect();
    engines.sort_by_key(|e| (role_rank(e.role), e.tp));
    engines.dedup_by(|a, b| std::ptr::eq(*a, *b));
    let mut parts: Vec<String> = Vec::new();
    for role in [Role::Prefill, Role::Decode, Role::Agg] {
        let tps: Vec<String> = engines
            .iter()
            .filter(|e| e.role == role)
            .map(|e| format!("TP{}", e.tp))
            .collect();
        if !tps.is_empty() {
            parts.push(format!("{role} {}", tps.join(", ")));
        }
    }
    let engines = if parts.is_empty() {
        "no engines".to_string()
    } else {
        parts.join(", ")
    };
    // a profile loaded from files without metadata is named by its path instead
    let model = if p.model == "unknown" { &p.name } else { &p.model };
    format!("{model} · {} · {} · {engines} · {}", p.gpu, p.backend, p.origin)
}

fn role_rank(r: Role) -> u8 {
    match r {
        Role::Prefill => 0,
        Role::Decode => 1,
        Role::Agg => 2,
    }
}

/// Keeps the finite points.
fn finite(pts: impl Iterator<Item = (f64, f64)>) -> Vec<(f64, f64)> {
    pts.filter(|(x, y)| x.is_finite() && y.is_finite()).collect()
}

/// An axis range from 0 (or the smallest value, if negative) to a little above the largest
/// value, widened when degenerate so every profile (even a single point) gets a usable axis.
pub(crate) fn axis<'a>(values: impl Iterator<Item = &'a f64>) -> Range<f64> {
    let (mut lo, mut hi) = (0.0f64, f64::NEG_INFINITY);
    for &v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !hi.is_finite() || !lo.is_finite() {
        return 0.0..1.0;
    }
    let span = hi - lo;
    if span <= f64::EPSILON * hi.abs().max(1.0) {
        let pad = (hi.abs() * 0.1).max(1.0);
        return (lo - pad)..(hi + pad);
    }
    lo..(hi + 0.07 * span)
}

/// A log-axis range covering whole decades around the positive values (so at least two
/// power-of-ten ticks are labelled).
pub(crate) fn log_axis<'a>(values: impl Iterator<Item = &'a f64>) -> Range<f64> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &v in values.filter(|v| **v > 0.0 && v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !(lo.is_finite() && hi.is_finite()) {
        return 1.0..10.0;
    }
    let lo = 10f64.powf(lo.log10().floor());
    let mut hi = 10f64.powf(hi.log10().ceil());
    if hi <= lo {
        hi = lo * 10.0;
    }
    lo..hi
}

/// Tick label: the value with at most the precision its axis span needs, trailing zeros dropped.
pub(crate) fn tick(v: f64, span: f64) -> String {
    let digits = if span > 0.0 && span.is_finite() {
        (3.0 - span.log10().floor()).clamp(0.0, 6.0) as usize
    } else {
        3
    };
    let mut s = format!("{v:.digits$}");
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

fn color(i: usize, n: usize) -> RGBColor {
    if n <= PALETTE.len() {
        PALETTE[i % PALETTE.len()]
    } else {
        // many series: a blue → orange ramp keeps the ordering readable
        let t = i as f64 / (n - 1).max(1) as f64;
        let lerp = |a: f64, b: f64| (a + (b - a) * t).round().clamp(0.0, 255.0) as u8;
        RGBColor(lerp(31.0, 230.0), lerp(119.0, 85.0), lerp(180.0, 13.0))
    }
}

/// Whether series `i` of `n` gets a legend entry.
fn in_legend(i: usize, n: usize) -> bool {
    if n <= MAX_LEGEND {
        return true;
    }
    let step = (n - 1) as f64 / (MAX_LEGEND - 1) as f64;
    (0..MAX_LEGEND).any(|k| (k as f64 * step).round() as usize == i)
}

/// A panel with a caption and a centred message instead of a chart.
fn empty_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, caption: &str, msg: &str) -> DrawResult<DB> {
    let (w, h) = area.dim_in_pixel();
    area.draw(&Text::new(
        caption.to_string(),
        ((w / 2) as i32, 22),
        (FONT, 18)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    area.draw(&Rectangle::new(
        [(70, 45), (w as i32 - 15, h as i32 - 55)],
        BLACK.mix(0.3).stroke_width(1),
    ))?;
    area.draw(&Text::new(
        msg.to_string(),
        ((w / 2) as i32, (h / 2) as i32),
        (FONT, 20)
            .into_font()
            .color(&BLACK.mix(0.55))
            .pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    Ok(())
}

/// A chart of `series` (lines through the points plus markers) with labelled axes and, if
/// `legend` is given, a legend inside the plot at that corner. `log_y`: logarithmic y axis
/// (points with y ≤ 0 are dropped).
fn line_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[Series],
    log_y: bool,
    legend: Option<SeriesLabelPosition>,
) -> DrawResult<DB> {
    let xr = axis(series.iter().flat_map(|s| s.points.iter().map(|(x, _)| x)));
    let xspan = xr.end - xr.start;
    let builder = |area| {
        let mut b = ChartBuilder::on(area);
        b.caption(caption, (FONT, 18))
            .margin(12)
            .margin_right(20)
            .x_label_area_size(48)
            .y_label_area_size(72);
        b
    };
    if log_y {
        let series: Vec<Series> = series
            .iter()
            .map(|s| Series {
                label: s.label.clone(),
                points: s.points.iter().copied().filter(|&(_, y)| y > 0.0).collect(),
            })
            .collect();
        let yr = log_axis(series.iter().flat_map(|s| s.points.iter().map(|(_, y)| y)));
        let mut chart = builder(area).build_cartesian_2d(xr, yr.log_scale())?;
        chart_body(&mut chart, x_desc, y_desc, xspan, None, &series, legend)
    } else {
        let yr = axis(series.iter().flat_map(|s| s.points.iter().map(|(_, y)| y)));
        let yspan = yr.end - yr.start;
        let mut chart = builder(area).build_cartesian_2d(xr, yr)?;
        chart_body(&mut chart, x_desc, y_desc, xspan, Some(yspan), series, legend)
    }
}

/// Mesh, series and legend of a chart whose y axis is linear or logarithmic. `yspan`: the
/// y-axis span for tick precision (`None`: log axis, ticks are powers of ten).
fn chart_body<'a, DB, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    x_desc: &str,
    y_desc: &str,
    xspan: f64,
    yspan: Option<f64>,
    series: &[Series],
    legend: Option<SeriesLabelPosition>,
) -> DrawResult<DB>
where
    DB: DrawingBackend + 'a,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let x_fmt = |v: &f64| tick(*v, xspan);
    let y_fmt = |v: &f64| match yspan {
        Some(span) => tick(*v, span),
        None => tick(*v, v.abs().max(f64::MIN_POSITIVE) * 1000.0),
    };
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style((FONT, 15))
        .label_style((FONT, 13))
        .x_labels(7)
        .y_labels(8)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .draw()?;
    let n = series.len();
    for (i, s) in series.iter().enumerate() {
        let c = color(i, n);
        // One path per segment: plotters' bitmap backend joins thick polylines with unclipped
        // miters, which spike far off the chart where a line doubles back (ITL not monotone
        // in kv_usage); the markers drawn on top cover the joints.
        let segments = s
            .points
            .windows(2)
            .map(|w| PathElement::new(vec![w[0], w[1]], c.stroke_width(2)));
        let line = chart.draw_series(segments)?;
        if legend.is_some() && in_legend(i, n) {
            line.label(s.label.clone()).legend(move |(x, y)| legend_mark((x, y), c));
        }
        chart.draw_series(s.points.iter().map(|&p| Circle::new(p, 3, c.filled())))?;
    }
    if let Some(pos) = legend {
        chart
            .configure_series_labels()
            .position(pos)
            .margin(8)
            .legend_area_size(28)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 13))
            .draw()?;
    }
    Ok(())
}

/// The legend sample of a series: a short line with a marker.
fn legend_mark<'a, DB: DrawingBackend + 'a>(
    (x, y): (i32, i32),
    c: RGBColor,
) -> impl IntoDynElement<'a, DB, (i32, i32)> {
    EmptyElement::at((x, y))
        + PathElement::new(vec![(-4, 0), (20, 0)], c.stroke_width(2))
        + Circle::new((8, 0), 3, c.filled())
}

/// A legend drawn in its own column (shared by the panels of a row), vertically centred.
fn legend_column<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    heading: &str,
    series: &[Series],
) -> DrawResult<DB> {
    let n = series.len();
    let shown: Vec<(usize, &Series)> = series.iter().enumerate().filter(|(i, _)| in_legend(*i, n)).collect();
    let (_, h) = area.dim_in_pixel();
    let line_h = 22i32;
    let block = line_h * (shown.len() as i32 + 1);
    let top = ((h as i32 - block) / 2).max(8);
    let style = (FONT, 14)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    area.draw(&Text::new(heading.to_string(), (8, top + line_h / 2), style.clone()))?;
    for (k, (i, s)) in shown.iter().enumerate() {
        let y = top + line_h * (k as i32 + 1) + line_h / 2;
        area.draw(&legend_mark::<DB>((16, y), color(*i, n)).into_dyn())?;
        area.draw(&Text::new(s.label.clone(), (44, y), style.clone()))?;
    }
    Ok(())
}

/// X label of a categorical axis drawn at 0, 1, 2, …: the name at an integer position, else
/// nothing (used by the per-load-level figures).
pub(crate) fn category_label(names: &[String], v: f64) -> String {
    let k = v.round();
    if (v - k).abs() < 1e-6 && k >= 0.0 {
        names.get(k as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

/// Y tick text on a linear axis spanning `span` (`None`: a log axis, where each tick is
/// formatted at its own magnitude).
pub(crate) fn span_tick(v: f64, span: Option<f64>) -> String {
    match span {
        Some(span) => tick(v, span),
        None => tick(v, v.abs().max(f64::MIN_POSITIVE) * 1000.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{DecodePoint, DecodeSurface, PrefillCurve};

    #[test]
    fn degenerate_axes_are_widened() {
        let r = axis([5.0].iter());
        assert!(r.start < r.end);
        let r = axis([0.0, 0.0].iter());
        assert!(r.start < r.end);
        let r = axis(std::iter::empty());
        assert_eq!(r, 0.0..1.0);
        let r = axis([1.0, 3.0].iter());
        assert_eq!(r.start, 0.0);
        assert!(r.end > 3.0);
    }

    #[test]
    fn extension_picks_format() {
        assert!(format_of(Path::new("a/b.PNG")).is_ok_and(|f| f == Format::Png));
        assert!(format_of(Path::new("b.svg")).is_ok_and(|f| f == Format::Svg));
        let err = format_of(Path::new("b.jpg"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("--plot") && err.contains(".png or .svg"), "{err}");
    }

    fn profile(prefill: Option<PrefillCurve>, decode: Option<DecodeSurface>) -> Profile {
        Profile {
            name: "test".into(),
            model: "org/Model-1B".into(),
            gpu: "h200_sxm".into(),
            backend: "vllm".into(),
            backend_version: None,
            origin: crate::profile::Origin::Unknown,
            description: None,
            engines: vec![EngineProfile {
                role: if decode.is_some() { Role::Agg } else { Role::Prefill },
                tp: 1,
                prefill,
                decode,
                kv_capacity_override: None,
                kv_capacity_note: None,
            }],
        }
    }

    fn one_point_curve() -> PrefillCurve {
        PrefillCurve::new("t", vec![128.0], vec![20.0], vec![6400.0], 1).expect("valid curve")
    }

    fn one_point_surface() -> DecodeSurface {
        let pt = DecodePoint {
            kv_usage: 0.5,
            context: 1000.0,
            itl_ms: 12.0,
            thpt_per_gpu: 300.0,
        };
        DecodeSurface::from_points("t", &[pt], 1000.0, 1, 1.5).expect("valid surface")
    }

    fn render(p: &Profile, file: &str) -> Vec<u8> {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join(file);
        plot_profile(p, &out, None).expect("plot");
        let bytes = std::fs::read(&out).expect("read plot");
        let leftovers = std::fs::read_dir(dir.path()).expect("list").count();
        assert_eq!(leftovers, 1, "temporary files left behind");
        bytes
    }

    #[test]
    fn prefill_only_profile_says_no_decode_data() {
        let p = profile(Some(one_point_curve()), None);
        let svg = String::from_utf8(render(&p, "a.svg")).expect("utf-8 svg");
        assert!(svg.contains("no decode data"));
        assert!(svg.contains("org/Model-1B"));
        let png = render(&p, "a.png");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    }

    #[test]
    fn single_point_profile_renders() {
        let p = profile(Some(one_point_curve()), Some(one_point_surface()));
        let svg = String::from_utf8(render(&p, "b.svg")).expect("utf-8 svg");
        assert!(svg.contains("ctx 1000"));
        assert!(!svg.contains("no decode data"));
        assert!(render(&p, "b.png").starts_with(b"\x89PNG"));
        let p = profile(None, Some(one_point_surface()));
        let svg = String::from_utf8(render(&p, "c.svg")).expect("utf-8 svg");
        assert!(svg.contains("no prefill data"));
    }

    #[test]
    fn missing_tp_is_a_usage_error() {
        let p = profile(Some(one_point_curve()), None);
        let err = plot_profile(&p, Path::new("/nonexistent/x.png"), Some(4))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("--tp:") && err.contains("TP 1"), "{err}");
    }

    #[test]
    fn legend_subset_keeps_ends() {
        assert!((0..5).all(|i| in_legend(i, 5)));
        let named: Vec<usize> = (0..30).filter(|&i| in_legend(i, 30)).collect();
        assert_eq!(named.len(), MAX_LEGEND);
        assert_eq!(named.first(), Some(&0));
        assert_eq!(named.last(), Some(&29));
    }
}
