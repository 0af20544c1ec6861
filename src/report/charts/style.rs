//! What every chart shares: the palette, the font and its sizes, tick labels, the frame (title
//! and legend), lines, markers and axes.
//!
//! The palette is Okabe and Ito's "Color Universal Design" (2002): eight colours that people with
//! the common forms of colour blindness tell apart. Beyond eight series the colours repeat with
//! another line style (dashed, then dotted) or bar fill (hollow, then pale). plotters is built
//! without system fonts, so the shipped DejaVu Sans is registered once as "sans-serif" and every
//! text uses that family (`render` registers it); the SVG files name the family and let the
//! viewer supply it.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{
    AsRangedCoord, DefaultFormatting, KeyPointHint, Ranged, ValueFormatter,
};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Every chart's size in pixels.
pub const SIZE: (u32, u32) = (1200, 700);
pub const FONT: &str = "sans-serif";

// plotters' font sizes: the SVG backend writes `font-size` as size / 1.24, and ab_glyph draws
// the PNG's em at about size / 1.16, so these give titles of 24 px and labels of 17 px or more.
pub const TITLE_SIZE: f64 = 30.0;
pub const PANEL_TITLE_SIZE: f64 = 26.0;
pub const LABEL_SIZE: f64 = 23.0;
pub const TICK_SIZE: f64 = 21.0;
pub const NOTE_SIZE: f64 = 28.0;

/// Okabe–Ito, ordered so that the first four are the most distinct and yellow comes last; the
/// yellow is darkened (#F0E442 to #C8B800) because the original is barely visible on white.
/// Four darker colours follow (Paul Tol's wine and indigo, a brown and a grey), so that up to
/// twelve series, nine policies of a sweep among them, never share a colour.
pub const PALETTE: [RGBColor; 12] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0xC8, 0xB8, 0x00), // yellow, darkened
    RGBColor(0x88, 0x22, 0x55), // wine
    RGBColor(0x33, 0x22, 0x88), // indigo
    RGBColor(0x8C, 0x56, 0x4B), // brown
    RGBColor(0x7F, 0x7F, 0x7F), // grey
];

pub const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
pub const AXIS: RGBColor = RGBColor(0x40, 0x40, 0x40);
pub const MUTED: RGBColor = RGBColor(0x60, 0x60, 0x60);
/// The shade of the warm-up, whose responses the metrics leave out.
pub const WARMUP: RGBAColor = RGBAColor(0x80, 0x80, 0x80, 0.15);

pub fn font(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

/// Draws the title and the legend, and returns the area left for the plot: below the title, and
/// beside or above the legend (see `with_legend`).
pub fn framed<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    entries: &[Entry],
) -> DrawResult<DrawingArea<DB, Shift>, DB> {
    with_legend(&titled(root, title)?, entries)
}

/// Draws the title and returns the area below it, with a margin all round.
fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> DrawResult<DrawingArea<DB, Shift>, DB> {
    let below = root.margin(10, 0, 0, 0).titled(title, font(TITLE_SIZE))?;
    Ok(below.margin(6, 12, 12, 24))
}

/// A sentence in the middle of an area, for a chart without data.
pub fn note<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, text: &str) -> DrawResult<(), DB> {
    let (w, h) = area.dim_in_pixel();
    let style = font(NOTE_SIZE)
        .color(&MUTED)
        .pos(Pos::new(HPos::Center, VPos::Center));
    area.draw_text(text, &style, (w as i32 / 2, h as i32 / 2))
}

/// How one series looks: its colour, and after the first twelve, another line style and fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Look {
    pub color: RGBColor,
    /// How many times the palette has gone round before this series: 0 solid, 1 dashed, 2 dotted.
    pub round: usize,
}

impl Look {
    pub fn of(series: usize) -> Look {
        Look {
            color: PALETTE[series % PALETTE.len()],
            round: (series / PALETTE.len()) % 3,
        }
    }
}

pub const LINE_WIDTH: u32 = 3;

/// Draws a polyline in a series' look: solid, dashed or dotted.
///
/// The line is cut at hairpin turns (more than 120°): the bitmap backend outlines a thick
/// polyline as one polygon, and at a hairpin the inner corner of that outline lands far from
/// the line, which paints spikes across the chart.
pub fn draw_line<DB, X, Y>(
    chart: &mut Plot<'_, DB, X, Y>,
    points: &[(f64, f64)],
    look: Look,
    width: u32,
) -> DrawResult<(), DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let style = look.color.stroke_width(width);
    if let [point] = points {
        // A line of one point (a single bucket) would draw nothing.
        let dot = Circle::new(*point, width + 2, look.color.filled());
        chart.draw_series(std::iter::once(dot))?;
        return Ok(());
    }
    let pixels: Vec<(i32, i32)> = points.iter().map(|p| chart.backend_coord(p)).collect();
    let mut start = 0;
    let mut pieces = Vec::new();
    for i in 1..points.len().saturating_sub(1) {
        if hairpin(pixels[i - 1], pixels[i], pixels[i + 1]) {
            pieces.push(&points[start..=i]);
            start = i;
        }
    }
    pieces.push(&points[start.min(points.len())..]);
    for piece in pieces.into_iter().filter(|p| !p.is_empty()) {
        let line = piece.iter().copied();
        match look.round {
            0 => chart.draw_series(std::iter::once(PathElement::new(piece.to_vec(), style)))?,
            1 => chart.draw_series(DashedLineSeries::new(line, 14, 8, style))?,
            _ => chart.draw_series(DashedLineSeries::new(line, 3, 6, style))?,
        };
    }
    Ok(())
}

/// Whether the path a → b → c turns back by more than 120°.
fn hairpin(a: (i32, i32), b: (i32, i32), c: (i32, i32)) -> bool {
    let u = ((b.0 - a.0) as f64, (b.1 - a.1) as f64);
    let v = ((c.0 - b.0) as f64, (c.1 - b.1) as f64);
    let lengths = u.0.hypot(u.1) * v.0.hypot(v.1);
    lengths > 0.0 && (u.0 * v.0 + u.1 * v.1) < -0.5 * lengths
}

/// A marker at a point, its shape varying with the round: a circle, a triangle, a square.
pub fn draw_marker<DB, X, Y>(
    chart: &mut Plot<'_, DB, X, Y>,
    at: (f64, f64),
    look: Look,
) -> DrawResult<(), DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let style = look.color.filled();
    match look.round {
        0 => chart.draw_series(std::iter::once(Circle::new(at, 6, style)))?,
        1 => chart.draw_series(std::iter::once(TriangleMarker::new(at, 8, style)))?,
        _ => chart.draw_series(std::iter::once(
            EmptyElement::at(at) + Rectangle::new([(-6, -6), (6, 6)], style),
        ))?,
    };
    Ok(())
}

/// A 95% interval: a vertical line from `lo` to `hi` at `x`, capped at both ends.
pub fn draw_whisker<DB, X, Y>(
    chart: &mut Plot<'_, DB, X, Y>,
    x: f64,
    (lo, hi): (f64, f64),
    color: RGBColor,
) -> DrawResult<(), DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let style = color.stroke_width(2);
    let cap = |y: f64| EmptyElement::at((x, y)) + PathElement::new(vec![(-7, 0), (7, 0)], style);
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(x, lo), (x, hi)],
        style,
    )))?;
    chart.draw_series([cap(lo), cap(hi)])?;
    Ok(())
}

/// A bar's fill in a series' look: solid, then hollow, then pale, each with a border.
pub fn bar_styles(look: Look) -> (ShapeStyle, ShapeStyle) {
    let fill = match look.round {
        0 => look.color.filled(),
        1 => WHITE.filled(),
        _ => look.color.mix(0.35).filled(),
    };
    (fill, look.color.stroke_width(2))
}

/// What a legend entry shows beside its label.
#[derive(Clone, Debug)]
pub enum Swatch {
    Line(Look),
    /// A line with its marker (charts with points and error bars).
    Marked(Look),
    Bar(Look),
    /// Translucent bands side by side (shaded stretches of time, one colour per series).
    Bands(Vec<RGBAColor>),
    /// Nothing (a line of text only).
    Blank,
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub label: String,
    pub swatch: Swatch,
}

const SWATCH_W: i32 = 40;
const ROW_H: i32 = 30;
const ENTRY_GAP: i32 = 28;
const LEGEND_SIZE: f64 = TICK_SIZE;

/// Splits `area` into the plot and, beside it on the right or under it, the legend, and draws
/// the legend. On the right when the labels are short enough, else under the plot in as many
/// columns as fit; so the legend never covers data. Labels too long for the width are cut
/// with an ellipsis, and entries beyond what fits in a third of the height are summarised as
/// "and N more".
fn with_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
) -> DrawResult<DrawingArea<DB, Shift>, DB> {
    if entries.is_empty() {
        return Ok(area.clone());
    }
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let style = font(LEGEND_SIZE);
    let mut widest = 0;
    for e in entries {
        widest = widest.max(text_width(area, &e.label, &style)?);
    }
    let item = SWATCH_W + 10 + widest + ENTRY_GAP;
    let rows = entries.len() as i32;
    if item <= w * 3 / 10 && rows * ROW_H + 20 <= h {
        let (plot, legend) = area.split_horizontally(w - item);
        draw_entries(&legend.margin(20, 0, 12, 0), entries, 1, item)?;
        return Ok(plot);
    }
    let item = item.min(w);
    let columns = ((w / item).max(1) as usize).min(entries.len());
    let max_rows = ((h / 3) / ROW_H).max(1) as usize;
    let mut shown: Vec<Entry> = entries.to_vec();
    if shown.len() > max_rows * columns {
        let hidden = shown.len() - (max_rows * columns - 1);
        shown.truncate(max_rows * columns - 1);
        shown.push(Entry {
            label: format!("and {hidden} more"),
            swatch: Swatch::Blank,
        });
    }
    let rows = shown.len().div_ceil(columns) as i32;
    let height = rows * ROW_H + 12;
    let (plot, legend) = area.split_vertically(h - height);
    let item = w / columns as i32;
    draw_entries(&legend.margin(8, 0, 0, 0), &shown, columns, item)?;
    Ok(plot)
}

fn draw_entries<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    columns: usize,
    item: i32,
) -> DrawResult<(), DB> {
    let style = font(LEGEND_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    let room = item - SWATCH_W - 10 - ENTRY_GAP / 2;
    for (i, entry) in entries.iter().enumerate() {
        let x = (i % columns) as i32 * item;
        let y = (i / columns) as i32 * ROW_H + ROW_H / 2;
        draw_swatch(area, &entry.swatch, x, y)?;
        let label = fit(area, &entry.label, &style, room)?;
        area.draw_text(&label, &style, (x + SWATCH_W + 10, y))?;
    }
    Ok(())
}

fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    swatch: &Swatch,
    x: i32,
    y: i32,
) -> DrawResult<(), DB> {
    let line = |look: Look| -> Vec<PathElement<(i32, i32)>> {
        let style = look.color.stroke_width(LINE_WIDTH);
        match look.round {
            0 => vec![PathElement::new(vec![(x, y), (x + SWATCH_W, y)], style)],
            1 => vec![
                PathElement::new(vec![(x, y), (x + 15, y)], style),
                PathElement::new(vec![(x + 24, y), (x + SWATCH_W, y)], style),
            ],
            _ => (0..5)
                .map(|k| PathElement::new(vec![(x + 9 * k, y), (x + 9 * k + 3, y)], style))
                .collect(),
        }
    };
    match swatch {
        &Swatch::Line(look) => {
            for path in line(look) {
                area.draw(&path)?;
            }
        }
        &Swatch::Marked(look) => {
            for path in line(look) {
                area.draw(&path)?;
            }
            let center = (x + SWATCH_W / 2, y);
            let style = look.color.filled();
            match look.round {
                0 => area.draw(&Circle::new(center, 6, style))?,
                1 => area.draw(&TriangleMarker::new(center, 8, style))?,
                _ => area.draw(&Rectangle::new(
                    [(center.0 - 6, y - 6), (center.0 + 6, y + 6)],
                    style,
                ))?,
            }
        }
        &Swatch::Bar(look) => {
            let (fill, border) = bar_styles(look);
            let corners = [(x + 4, y - 10), (x + SWATCH_W - 4, y + 10)];
            area.draw(&Rectangle::new(corners, fill))?;
            area.draw(&Rectangle::new(corners, border))?;
        }
        Swatch::Bands(colors) => {
            let n = colors.len().max(1) as i32;
            for (k, color) in colors.iter().enumerate() {
                let k = k as i32;
                let (from, to) = (x + SWATCH_W * k / n, x + SWATCH_W * (k + 1) / n);
                area.draw(&Rectangle::new(
                    [(from, y - 11), (to, y + 11)],
                    color.filled(),
                ))?;
            }
        }
        Swatch::Blank => {}
    }
    Ok(())
}

fn text_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
) -> DrawResult<i32, DB> {
    Ok(area.estimate_text_size(text, style)?.0 as i32)
}

/// `text`, cut with an ellipsis to fit in `room` pixels.
pub fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    room: i32,
) -> DrawResult<String, DB> {
    if text_width(area, text, style)? <= room {
        return Ok(text.to_string());
    }
    let chars: Vec<char> = text.chars().collect();
    let mut keep = chars.len();
    while keep > 0 {
        keep -= 1;
        let cut: String = chars[..keep]
            .iter()
            .collect::<String>()
            .trim_end()
            .to_string()
            + "…";
        if text_width(area, &cut, style)? <= room {
            return Ok(cut);
        }
    }
    Ok(String::new())
}

/// A tick label: at most three significant digits, thousands as k, millions as M and billions
/// as G, without trailing zeros (`0.3`, `2500`, `12k`, `1.5M`); beyond, powers of ten (`2.5e15`).
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let a = x.abs();
    if a >= 1e12 {
        let exponent = a.log10().floor();
        return format!("{}e{exponent}", significant(x / 10f64.powf(exponent), 2));
    }
    let (v, suffix) = if a >= 1e9 {
        (x / 1e9, "G")
    } else if a >= 1e6 {
        (x / 1e6, "M")
    } else if a >= 1e4 {
        (x / 1e3, "k")
    } else {
        (x, "")
    };
    format!("{}{suffix}", significant(v, 3))
}

fn significant(v: f64, digits: i32) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let decimals = (digits - 1 - v.abs().log10().floor() as i32).clamp(0, 9) as usize;
    let text = format!("{v:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if text == "-0" { "0".to_string() } else { text }
}

/// A duration in seconds as a short human label: `5 ms`, `10 s`, `1 min`, `6 h`, `2 d`.
pub fn duration(s: f64) -> String {
    if !s.is_finite() {
        return String::new();
    }
    if s < 1.0 {
        format!("{} ms", number(s * 1000.0))
    } else if s < 60.0 {
        format!("{} s", number(s))
    } else if s < 3600.0 {
        format!("{} min", number(s / 60.0))
    } else if s < 86_400.0 {
        format!("{} h", number(s / 3600.0))
    } else {
        format!("{} d", number(s / 86_400.0))
    }
}

/// The unit to show seconds in, so that the largest value reads as a small number: its size in
/// seconds and its name.
pub fn seconds_unit(largest_s: f64) -> (f64, &'static str) {
    if largest_s < 120.0 {
        (1.0, "s")
    } else if largest_s < 7_200.0 {
        (60.0, "min")
    } else if largest_s < 172_800.0 {
        (3_600.0, "h")
    } else {
        (86_400.0, "d")
    }
}

/// A time axis: hours for runs of 3 h or more, else minutes.
pub fn time_unit(end_s: f64) -> (f64, &'static str) {
    if end_s >= 3.0 * 3_600.0 {
        (3_600.0, "h")
    } else {
        (60.0, "min")
    }
}

/// A linear axis range covering `values`, from zero unless they go below it, with headroom at
/// the top; never empty, whatever the values (none, all equal, NaN).
pub fn zero_based(values: impl IntoIterator<Item = f64>) -> std::ops::Range<f64> {
    let (mut lo, mut hi) = (0.0_f64, 0.0_f64);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if hi - lo <= 0.0 {
        return lo..lo + 1.0;
    }
    let pad = (hi - lo) * 0.06;
    (if lo < 0.0 { lo - pad } else { lo })..hi + pad
}

/// Shades the warm-up, `[0, end)` on the x axis, and names it at the top: inside the shade when
/// the words fit, else just after it.
pub fn draw_warmup<DB, X, Y>(
    chart: &mut Plot<'_, DB, X, Y>,
    end: f64,
    y: &std::ops::Range<f64>,
) -> DrawResult<(), DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let shade = Rectangle::new([(0.0, y.start), (end, y.end)], WARMUP.filled());
    chart.draw_series(std::iter::once(shade))?;
    let label = font(TICK_SIZE).color(&MUTED);
    let width = chart.backend_coord(&(end, y.end)).0 - chart.backend_coord(&(0.0, y.end)).0;
    let words = chart
        .plotting_area()
        .estimate_text_size("warm-up", &label)?
        .0 as i32;
    let (at, text) = if words + 12 <= width {
        (0.0, "warm-up")
    } else {
        (end, "← warm-up")
    };
    let text = EmptyElement::at((at, y.end)) + Text::new(text, (6, 6), label);
    chart.draw_series(std::iter::once(text))?;
    Ok(())
}

/// Marks each event (seconds, name) with a dashed vertical line over `y`, on an x axis in units
/// of `unit_s` seconds, named at the top where the name fits beside the previous one.
pub fn draw_events<DB, X, Y>(
    chart: &mut Plot<'_, DB, X, Y>,
    events: &[(f64, String)],
    unit_s: f64,
    y: &std::ops::Range<f64>,
) -> DrawResult<(), DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let line = MUTED.mix(0.7).stroke_width(2);
    let label = font(TICK_SIZE).color(&MUTED);
    let mut free_from = i32::MIN;
    for (t, name) in events {
        let x = t / unit_s;
        chart.draw_series(std::iter::once(plotters::element::DashedPathElement::new(
            vec![(x, y.start), (x, y.end)],
            6,
            4,
            line,
        )))?;
        let left = chart.backend_coord(&(x, y.end)).0;
        if left >= free_from {
            let width = chart.plotting_area().estimate_text_size(name, &label)?.0 as i32;
            let text =
                EmptyElement::at((x, y.end)) + Text::new(name.clone(), (4, 30), label.clone());
            chart.draw_series(std::iter::once(text))?;
            free_from = left + width + 12;
        }
    }
    Ok(())
}

/// An axis with the ticks given. (plotters' own `WithKeyPoints` loses the tick label
/// formatter on a linear axis.)
pub struct Ticks<R> {
    inner: R,
    ticks: Vec<f64>,
}

pub fn ticked<R: AsRangedCoord<Value = f64>>(range: R, ticks: Vec<f64>) -> Ticks<R::CoordDescType> {
    Ticks {
        inner: range.into(),
        ticks,
    }
}

impl<R: Ranged<ValueType = f64>> Ranged for Ticks<R> {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        // The given ticks only, as bold grid lines; no light ones between them.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

/// The words and tick labels of a chart's two axes.
pub struct Axes<'f> {
    pub x: &'f str,
    pub y: &'f str,
    pub x_ticks: &'f dyn Fn(&f64) -> String,
    pub y_ticks: &'f dyn Fn(&f64) -> String,
}

/// A chart on two axes, as every chart here draws.
pub type Plot<'a, DB, X, Y> = ChartContext<'a, DB, Cartesian2d<X, Y>>;

/// A chart on `area` with room for tick labels and axis names.
pub fn cartesian<'a, DB, X, Y>(
    area: &'a DrawingArea<DB, Shift>,
    x: X,
    y: Y,
) -> DrawResult<Plot<'a, DB, X::CoordDescType, Y::CoordDescType>, DB>
where
    DB: DrawingBackend,
    X: AsRangedCoord,
    Y: AsRangedCoord,
{
    ChartBuilder::on(area)
        .margin_top(8)
        .margin_right(16)
        .x_label_area_size(62)
        .y_label_area_size(104)
        .build_cartesian_2d(x, y)
}

/// The grid, the ticks and the axis names, the same on every chart.
pub fn draw_mesh<DB, X, Y>(chart: &mut Plot<'_, DB, X, Y>, axes: &Axes) -> DrawResult<(), DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc(axes.x)
        .y_desc(axes.y)
        .x_label_formatter(axes.x_ticks)
        .y_label_formatter(axes.y_ticks)
        .x_labels(8)
        .y_labels(7)
        .label_style(font(TICK_SIZE).color(&AXIS))
        .axis_desc_style(font(LABEL_SIZE))
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(AXIS.stroke_width(1))
        .draw()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_are_short_and_human() {
        let cases = [
            (0.0, "0"),
            (0.30000000000000004, "0.3"),
            (2500.0, "2500"),
            (12_000.0, "12k"),
            (1_500_000.0, "1.5M"),
            (2.5e15, "2.5e15"),
            (0.00012, "0.00012"),
            (-0.0, "0"),
            (f64::NAN, ""),
        ];
        for (x, text) in cases {
            assert_eq!(number(x), text, "{x}");
        }
        assert_eq!(duration(0.005), "5 ms");
        assert_eq!(duration(600.0), "10 min");
        assert_eq!(duration(21_600.0), "6 h");
        assert_eq!(duration(172_800.0), "2 d");
    }

    #[test]
    fn twelve_series_have_twelve_colours_and_the_next_change_line_style() {
        let colors: Vec<RGBColor> = (0..12).map(|i| Look::of(i).color).collect();
        for (i, a) in colors.iter().enumerate() {
            assert!(!colors[..i].contains(a), "series {i} repeats a colour");
        }
        assert_eq!(Look::of(0).color, Look::of(12).color);
        assert_eq!(
            (Look::of(0).round, Look::of(12).round, Look::of(24).round),
            (0, 1, 2)
        );
    }

    #[test]
    fn axis_ranges_are_never_empty() {
        for values in [vec![], vec![0.0, 0.0], vec![f64::NAN], vec![5.0]] {
            let r = zero_based(values.clone());
            assert!(r.start < r.end, "{values:?}");
        }
        assert_eq!(zero_based([0.0, 50.0]).start, 0.0);
    }
}
