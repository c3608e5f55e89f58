//! Chart drawing: a small declarative chart description ([`ChartSpec`]: line charts with
//! one or more panels, horizontal stacked bar charts) drawn with plotters into SVG (a
//! string, inlined into the HTML report) and PNG (a file).
//!
//! Layout rules that keep charts legible: the title sits above the plot, the legend in
//! its own strip below it (never over the data), category labels get a label area sized to
//! the longest label (and are shortened in the middle past [`MAX_LABEL_CHARS`]), axis
//! labels carry their unit, and tick labels are thinned by plotters to a fixed count.
//!
//! Text is measured and (on PNG) drawn with DejaVu Sans embedded in the binary
//! ([`text`]), so PNG output needs no system fonts; see `docs/decisions.md`.

pub mod text;

use std::path::Path;
use std::sync::OnceLock;

use anyhow::{anyhow, Context as _};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use self::text::{TextBackend, Typesetter};

/// The font family name every chart uses; the embedded font is registered under it.
pub const FONT: &str = "sans-serif";
/// Category labels longer than this are shortened in the middle.
pub const MAX_LABEL_CHARS: usize = 60;

/// DejaVu Sans 2.37 (Bitstream Vera licence, `assets/fonts/LICENSE-DejaVu.txt`).
static DEJAVU_SANS: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

/// The typesetter of the embedded font.
pub fn typesetter() -> anyhow::Result<Typesetter> {
    static TS: OnceLock<Option<Typesetter>> = OnceLock::new();
    TS.get_or_init(|| Typesetter::new(DEJAVU_SANS))
        .clone()
        .ok_or_else(|| anyhow!("the embedded chart font could not be parsed"))
}

/// Tableau 10, a palette designed for distinguishable categorical series.
pub const PALETTE: [RGBColor; 10] = [
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

/// One line of a line chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend name; series of the same name in several panels share a colour.
    pub name: String,
    /// Points in data units, in x order.
    pub points: Vec<(f64, f64)>,
    /// Fixed colour (else by legend position).
    pub color: Option<RGBColor>,
    /// Draw as a step function (value holds until the next point).
    pub step: bool,
    /// Dashed (for limits such as allocatable).
    pub dashed: bool,
}

impl Series {
    /// A solid line.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
        Series {
            name: name.into(),
            points,
            color: None,
            step: false,
            dashed: false,
        }
    }
}

/// A labelled point drawn over a panel (a recommendation, a threshold crossing).
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// x in data units.
    pub x: f64,
    /// y in data units.
    pub y: f64,
    /// Text drawn next to it.
    pub label: String,
}

/// One plot area of a line chart.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Panel {
    /// Panel title (small multiples); `None` for a single-panel chart.
    pub title: Option<String>,
    /// Lines.
    pub series: Vec<Series>,
    /// Marks.
    pub marks: Vec<Mark>,
}

/// A line chart of one or more panels sharing axes descriptions and legend.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LineChart {
    /// x axis description with unit.
    pub x_label: String,
    /// y axis description with unit.
    pub y_label: String,
    /// Panels, drawn in a grid of at most three columns.
    pub panels: Vec<Panel>,
    /// Upper bound of every panel's y axis (else each panel's maximum plus 5 %).
    pub y_max: Option<f64>,
    /// Category names for integer x positions 0..n (a categorical sweep axis).
    pub x_categories: Option<Vec<String>>,
    /// Fit the y axis to the data instead of starting at zero (close values).
    pub y_fit: bool,
    /// Leave room left and right of the data (scattered points, marks near the edges).
    pub x_pad: bool,
    /// At most this many panels side by side (0: up to three).
    pub max_columns: u32,
}

/// One stacked segment of every bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Legend name.
    pub name: String,
    /// Fixed colour (else by position).
    pub color: Option<RGBColor>,
    /// Value per category.
    pub values: Vec<f64>,
}

/// Horizontal stacked bars, one per category.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BarChart {
    /// Value axis description with unit.
    pub value_label: String,
    /// Category labels, top to bottom.
    pub categories: Vec<String>,
    /// Stacked segments, left to right.
    pub segments: Vec<Segment>,
}

/// What a chart draws.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Line panels.
    Lines(LineChart),
    /// Stacked bars.
    Bars(BarChart),
    /// Nothing to plot; the message says why.
    Empty(String),
}

/// A chart to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    /// File stem and HTML id (`[a-z0-9-]`).
    pub id: String,
    /// Title drawn above the plot.
    pub title: String,
    /// One sentence for the report: what to read from it.
    pub caption: String,
    /// The content.
    pub body: Body,
}

/// A drawn chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// File stem and HTML id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Caption.
    pub caption: String,
    /// The SVG document.
    pub svg: String,
    /// Width and height in pixels.
    pub size: (u32, u32),
    /// Nothing to plot: the chart shows only its message.
    pub empty: bool,
}

const WIDTH: u32 = 960;
const PANEL_H: u32 = 300;
const TITLE_H: u32 = 40;
const LEGEND_ROW_H: u32 = 22;
const BAR_ROW_H: u32 = 26;

fn text(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

/// The size a chart is drawn at.
pub fn chart_size(spec: &ChartSpec) -> (u32, u32) {
    let legend = legend_entries(spec).len() as u32;
    // Legend rows are estimated at four entries per row; the strip grows if needed.
    let legend_h = if legend == 0 {
        0
    } else {
        legend.div_ceil(4) * LEGEND_ROW_H + 12
    };
    match &spec.body {
        Body::Lines(l) => {
            let cols = columns(l);
            let rows = (l.panels.len().max(1) as u32).div_ceil(cols);
            let per = if cols > 1 {
                PANEL_H - 40
            } else if l.panels.len() > 1 {
                PANEL_H
            } else {
                420
            };
            (WIDTH, TITLE_H + rows * per + legend_h + 10)
        }
        Body::Bars(b) => {
            let rows = b.categories.len().max(1) as u32;
            (WIDTH, TITLE_H + rows * BAR_ROW_H + 90 + legend_h)
        }
        Body::Empty(_) => (WIDTH, 200),
    }
}

fn columns(chart: &LineChart) -> u32 {
    let auto = match chart.panels.len() {
        0 | 1 => 1,
        2 | 4 => 2,
        _ => 3,
    };
    match chart.max_columns {
        0 => auto,
        m => auto.min(m),
    }
}

/// Legend entries `(name, colour, is_line, dashed)` in order of first appearance.
fn legend_entries(spec: &ChartSpec) -> Vec<(String, RGBColor, bool, bool)> {
    let mut out: Vec<(String, RGBColor, bool, bool)> = Vec::new();
    match &spec.body {
        Body::Lines(l) => {
            for s in l.panels.iter().flat_map(|p| &p.series) {
                if !out.iter().any(|e| e.0 == s.name) {
                    let c = s.color.unwrap_or(PALETTE[out.len() % PALETTE.len()]);
                    out.push((s.name.clone(), c, true, s.dashed));
                }
            }
        }
        Body::Bars(b) => {
            for (i, s) in b.segments.iter().enumerate() {
                out.push((
                    s.name.clone(),
                    s.color.unwrap_or(PALETTE[i % PALETTE.len()]),
                    false,
                    false,
                ));
            }
        }
        Body::Empty(_) => {}
    }
    out
}

/// Shortens `s` to at most `max` characters by replacing its middle with `…` (the start
/// and the end of an image reference or pod name are what tell them apart).
pub fn shorten(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max || max < 5 {
        return s.to_owned();
    }
    let keep = max - 1;
    let head = keep / 3;
    let tail = keep - head;
    let h: String = s.chars().take(head).collect();
    let t: String = s.chars().skip(n - tail).collect();
    format!("{h}…{t}")
}

/// Formats a number for an axis: integers without decimals, thousands separated, others
/// with up to two significant decimals.
pub fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let r = (v * 100.0).round() / 100.0;
    if (r - r.round()).abs() < 1e-9 {
        let i = r.round() as i64;
        let digits = i.unsigned_abs().to_string();
        let mut out = String::new();
        for (k, c) in digits.chars().enumerate() {
            if k > 0 && (digits.len() - k) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if i < 0 {
            out.insert(0, '-');
        }
        out
    } else if (r * 10.0 - (r * 10.0).round()).abs() < 1e-9 {
        format!("{r:.1}")
    } else {
        format!("{r:.2}")
    }
}

type DrawResult = anyhow::Result<()>;

fn err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("drawing failed: {e}")
}

/// Draws `spec` into an SVG string and a PNG file at `png`.
pub fn render(spec: &ChartSpec, png: &Path) -> anyhow::Result<Chart> {
    let ts = typesetter()?;
    let size = chart_size(spec);
    let mut svg = String::new();
    {
        let backend = TextBackend::new(SVGBackend::with_string(&mut svg, size), ts.clone(), false);
        let root = backend.into_drawing_area();
        draw(&root, spec)?;
        root.present().map_err(err)?;
    }
    {
        let backend = TextBackend::new(BitMapBackend::new(png, size), ts, true);
        let root = backend.into_drawing_area();
        draw(&root, spec)?;
        root.present()
            .map_err(err)
            .with_context(|| format!("writing {}", png.display()))?;
    }
    Ok(Chart {
        id: spec.id.clone(),
        title: spec.title.clone(),
        caption: spec.caption.clone(),
        svg,
        size,
        empty: matches!(spec.body, Body::Empty(_)),
    })
}

/// Draws `spec` on any plotters backend.
pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, spec: &ChartSpec) -> DrawResult {
    root.fill(&WHITE).map_err(err)?;
    let body = root.titled(&spec.title, text(20.0)).map_err(err)?;
    let legend = legend_entries(spec);
    let (_, h) = body.dim_in_pixel();
    let legend_h = legend_height(&body, &legend)?;
    let (plot, legend_area) = body.split_vertically(h.saturating_sub(legend_h));
    draw_legend(&legend_area, &legend)?;
    match &spec.body {
        Body::Lines(l) => draw_lines(&plot, l, &legend),
        Body::Bars(b) => draw_bars(&plot, b, &legend),
        Body::Empty(msg) => {
            let (w, h) = plot.dim_in_pixel();
            let style = text(16.0).pos(Pos::new(HPos::Center, VPos::Center));
            plot.draw_text(msg, &style, (w as i32 / 2, h as i32 / 2))
                .map_err(err)
        }
    }
}

const SWATCH: i32 = 26;

fn legend_layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, RGBColor, bool, bool)],
) -> anyhow::Result<Vec<(i32, i32)>> {
    let (w, _) = area.dim_in_pixel();
    let style = text(13.0);
    let (mut x, mut y) = (60i32, 6i32);
    let mut pos = Vec::with_capacity(entries.len());
    for (name, ..) in entries {
        let (tw, _) = area.estimate_text_size(name, &style).map_err(err)?;
        let item = SWATCH + 6 + tw as i32 + 24;
        if x + item > w as i32 - 20 && x > 60 {
            x = 60;
            y += LEGEND_ROW_H as i32;
        }
        pos.push((x, y));
        x += item;
    }
    Ok(pos)
}

fn legend_height<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, RGBColor, bool, bool)],
) -> anyhow::Result<u32> {
    if entries.is_empty() {
        return Ok(0);
    }
    let pos = legend_layout(area, entries)?;
    let rows = pos
        .last()
        .map(|p| p.1 / LEGEND_ROW_H as i32 + 1)
        .unwrap_or(1);
    Ok(rows as u32 * LEGEND_ROW_H + 12)
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, RGBColor, bool, bool)],
) -> DrawResult {
    let pos = legend_layout(area, entries)?;
    for ((name, color, line, dashed), (x, y)) in entries.iter().zip(pos) {
        let mid = y + 8;
        if *line {
            let style = color.stroke_width(3);
            if *dashed {
                area.draw(&DashedPathElement::new(
                    vec![(x, mid), (x + SWATCH, mid)],
                    5,
                    3,
                    style,
                ))
                .map_err(err)?;
            } else {
                area.draw(&PathElement::new(vec![(x, mid), (x + SWATCH, mid)], style))
                    .map_err(err)?;
            }
        } else {
            area.draw(&Rectangle::new(
                [(x + 6, mid - 7), (x + 20, mid + 7)],
                color.filled(),
            ))
            .map_err(err)?;
        }
        let style = text(13.0).pos(Pos::new(HPos::Left, VPos::Center));
        area.draw_text(name, &style, (x + SWATCH + 6, mid))
            .map_err(err)?;
    }
    Ok(())
}

fn color_of(legend: &[(String, RGBColor, bool, bool)], name: &str) -> RGBColor {
    legend
        .iter()
        .find(|e| e.0 == name)
        .map(|e| e.1)
        .unwrap_or(PALETTE[0])
}

fn stepped(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2);
    for (i, &(x, y)) in points.iter().enumerate() {
        if i > 0 {
            out.push((x, points[i - 1].1));
        }
        out.push((x, y));
    }
    out
}

fn x_range(chart: &LineChart, panel: &Panel) -> (f64, f64) {
    if let Some(cats) = &chart.x_categories {
        return (-0.5, cats.len().max(1) as f64 - 0.5);
    }
    let (mut x0, mut x1) = (f64::INFINITY, f64::NEG_INFINITY);
    for &(x, _) in panel.series.iter().flat_map(|s| s.points.iter()) {
        x0 = x0.min(x);
        x1 = x1.max(x);
    }
    for m in &panel.marks {
        x0 = x0.min(m.x);
        x1 = x1.max(m.x);
    }
    if !x0.is_finite() || !x1.is_finite() {
        return (0.0, 1.0);
    }
    if chart.x_pad {
        let pad = ((x1 - x0) * 0.08).max(1.0);
        x0 = (x0 - pad).max(0.0);
        x1 += pad;
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    (x0, x1)
}

fn y_range(chart: &LineChart, panel: &Panel) -> (f64, f64) {
    let ys = || {
        panel
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .chain(panel.marks.iter().map(|m| m.y))
    };
    let y1 = ys().fold(0.0f64, f64::max);
    let y_max = chart
        .y_max
        .unwrap_or(if y1 <= 0.0 { 1.0 } else { y1 * 1.05 });
    if !chart.y_fit {
        return (0.0, y_max);
    }
    let lo = ys().fold(f64::INFINITY, f64::min);
    if !lo.is_finite() || lo >= y1 {
        return (0.0, y_max);
    }
    let pad = (y1 - lo) * 0.1;
    ((lo - pad).max(0.0), y1 + pad)
}

fn draw_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &LineChart,
    legend: &[(String, RGBColor, bool, bool)],
) -> DrawResult {
    let cols = columns(chart) as usize;
    let rows = chart.panels.len().max(1).div_ceil(cols);
    let small = cols > 1;
    let cells = area.split_evenly((rows, cols));
    let cats = chart.x_categories.clone().unwrap_or_default();
    // Category labels get an equal share of the plot width (about 0.6 em per character).
    let (cell_w, _) = cells
        .first()
        .map(|c| c.dim_in_pixel())
        .unwrap_or((WIDTH, 0));
    let label_px = if small { 11.0 } else { 13.0 };
    let per_cat = f64::from(cell_w.saturating_sub(90)) / cats.len().max(1) as f64;
    let max_chars = ((per_cat / (label_px * 0.6)) as usize).clamp(5, 40);
    let x_fmt = move |v: &f64| -> String {
        if cats.is_empty() {
            return fmt_num(*v);
        }
        let i = v.round();
        if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < cats.len() {
            shorten(&cats[i as usize], max_chars)
        } else {
            String::new()
        }
    };
    for (panel, cell) in chart.panels.iter().zip(cells.iter()) {
        // Each panel scales its own axes: pools of very different sizes stay readable.
        let (x0, x1) = x_range(chart, panel);
        let (y0, y_max) = y_range(chart, panel);
        // Counts (nodes, pods) get integer ticks only: at most one tick per whole number,
        // and no label on a fractional one.
        let integral = panel
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .all(|v| v.fract() == 0.0);
        let y_fmt = move |v: &f64| {
            if integral && (v - v.round()).abs() > 1e-9 {
                String::new()
            } else {
                fmt_num(*v)
            }
        };
        let base_y_labels: usize = if small { 5 } else { 8 };
        let y_labels = if integral {
            ((y_max - y0).floor() as usize + 1).clamp(2, base_y_labels)
        } else {
            base_y_labels
        };
        let mut b = ChartBuilder::on(cell);
        if let Some(t) = &panel.title {
            b.caption(shorten(t, 48), text(if small { 14.0 } else { 16.0 }));
        }
        let mut ctx = b
            .margin(if small { 6 } else { 10 })
            .margin_right(if small { 14 } else { 24 })
            .x_label_area_size(if small { 36 } else { 44 })
            .y_label_area_size(if small { 58 } else { 72 })
            .build_cartesian_2d(x0..x1, y0..y_max)
            .map_err(err)?;
        let label = if small { 11.0 } else { 13.0 };
        let x_labels = match &chart.x_categories {
            Some(c) => c.len().clamp(1, if small { 6 } else { 12 }),
            None => {
                if small {
                    5
                } else {
                    10
                }
            }
        };
        ctx.configure_mesh()
            .x_desc(chart.x_label.as_str())
            .y_desc(chart.y_label.as_str())
            .x_labels(x_labels)
            .y_labels(y_labels)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .label_style(text(label))
            .axis_desc_style(text(label + 1.0))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()
            .map_err(err)?;
        for s in &panel.series {
            let color = s.color.unwrap_or_else(|| color_of(legend, &s.name));
            let pts = if s.step {
                stepped(&s.points)
            } else {
                s.points.clone()
            };
            let style = color.stroke_width(2);
            if s.dashed {
                ctx.draw_series(DashedLineSeries::new(pts, 6, 4, style))
                    .map_err(err)?;
            } else {
                ctx.draw_series(LineSeries::new(pts, style)).map_err(err)?;
            }
            if chart.x_categories.is_some() || s.points.len() <= 30 && !s.step {
                ctx.draw_series(s.points.iter().map(|&p| Circle::new(p, 3, color.filled())))
                    .map_err(err)?;
            }
        }
        for m in &panel.marks {
            // Labels go left of marks in the right half of the plot so they stay inside it.
            let right_half = m.x > (x0 + x1) / 2.0;
            let (pos, dx) = if right_half {
                (Pos::new(HPos::Right, VPos::Bottom), -10)
            } else {
                (Pos::new(HPos::Left, VPos::Bottom), 10)
            };
            let ring = ShapeStyle::from(&BLACK).stroke_width(2);
            let mark = EmptyElement::at((m.x, m.y))
                + Circle::new((0, 0), 7, ring)
                + Text::new(m.label.clone(), (dx, -8), text(13.0).pos(pos));
            ctx.draw_series(std::iter::once(mark)).map_err(err)?;
        }
    }
    Ok(())
}

fn draw_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &BarChart,
    legend: &[(String, RGBColor, bool, bool)],
) -> DrawResult {
    let n = chart.categories.len().max(1);
    let label_style = text(13.0);
    let (w, _) = area.dim_in_pixel();
    // Labels may take up to 45% of the width; a longer one is shortened in the middle until
    // its measured width fits, so no image name is cut at the chart's edge (PNG or SVG).
    let label_room = (w * 45 / 100).saturating_sub(16);
    let mut labels = Vec::with_capacity(n);
    for c in &chart.categories {
        let mut chars = MAX_LABEL_CHARS;
        let mut l = shorten(c, chars);
        while chars > 8 && area.estimate_text_size(&l, &label_style).map_err(err)?.0 > label_room {
            chars -= 2;
            l = shorten(c, chars);
        }
        labels.push(l);
    }
    let mut label_w = 40u32;
    for l in &labels {
        let (w, _) = area.estimate_text_size(l, &label_style).map_err(err)?;
        label_w = label_w.max(w);
    }
    let label_w = (label_w + 16).min(w * 45 / 100);
    let total = (0..n)
        .map(|i| {
            chart
                .segments
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0.0).max(0.0))
                .sum::<f64>()
        })
        .fold(0.0f64, f64::max);
    let x_max = if total <= 0.0 { 1.0 } else { total * 1.08 };
    let mut ctx = ChartBuilder::on(area)
        .margin(10)
        .margin_right(30)
        .x_label_area_size(44)
        .y_label_area_size(label_w)
        .build_cartesian_2d(0.0..x_max, 0.0..n as f64)
        .map_err(err)?;
    // Counts get no fractional ticks.
    let integral = chart
        .segments
        .iter()
        .flat_map(|s| &s.values)
        .all(|v| v.fract() == 0.0);
    let x_fmt = |v: &f64| {
        if integral && (v - v.round()).abs() > 1e-9 {
            String::new()
        } else {
            fmt_num(*v)
        }
    };
    ctx.configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc(chart.value_label.as_str())
        .x_labels(10)
        .x_label_formatter(&x_fmt)
        .label_style(text(13.0))
        .axis_desc_style(text(14.0))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(err)?;
    // Category i is row n-1-i (listed top to bottom); each bar fills the middle of its row.
    let row_of = |i: usize| (n - 1 - i) as f64;
    for i in 0..chart.categories.len() {
        let y = row_of(i);
        let mut x = 0.0;
        for s in &chart.segments {
            let v = s.values.get(i).copied().unwrap_or(0.0).max(0.0);
            if v <= 0.0 {
                continue;
            }
            let color = s.color.unwrap_or_else(|| color_of(legend, &s.name));
            let r = Rectangle::new([(x, y + 0.18), (x + v, y + 0.82)], color.filled());
            ctx.draw_series(std::iter::once(r)).map_err(err)?;
            x += v;
        }
    }
    // Category labels, right-aligned left of the axis, centred on their bar (drawn on the
    // whole area: the plotting area clips to the plot).
    let (bx, by) = area.get_base_pixel();
    for (i, l) in labels.iter().enumerate() {
        let (px, py) = ctx.backend_coord(&(0.0, row_of(i) + 0.5));
        let style = text(13.0).pos(Pos::new(HPos::Right, VPos::Center));
        area.draw_text(l, &style, (px - bx - 8, py - by))
            .map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_for_axes() {
        for (v, s) in [
            (0.0, "0"),
            (12.0, "12"),
            (1234.0, "1,234"),
            (-1234567.0, "-1,234,567"),
            (2.5, "2.5"),
            (0.125, "0.13"),
            (f64::NAN, ""),
        ] {
            assert_eq!(fmt_num(v), s, "{v}");
        }
    }

    #[test]
    fn long_labels_are_shortened_in_the_middle() {
        assert_eq!(shorten("short", 10), "short");
        let s = shorten(
            "mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2019",
            30,
        );
        assert_eq!(s.chars().count(), 30);
        assert!(s.starts_with("mcr.micro") && s.ends_with("ltsc2019"), "{s}");
        assert!(s.contains('…'));
    }

    #[test]
    fn step_lines_hold_the_previous_value() {
        assert_eq!(
            stepped(&[(0.0, 1.0), (1.0, 3.0), (2.0, 2.0)]),
            vec![(0.0, 1.0), (1.0, 1.0), (1.0, 3.0), (2.0, 3.0), (2.0, 2.0)]
        );
    }

    /// plotters writes each text element's content on its own line.
    fn has_text(svg: &str, s: &str) -> bool {
        svg.contains(&format!("{s}\n</text>"))
    }

    fn spec(body: Body) -> ChartSpec {
        ChartSpec {
            id: "t".into(),
            title: "A <title> & more".into(),
            caption: String::new(),
            body,
        }
    }

    #[test]
    fn node_counts_get_integer_ticks_only() {
        let dir = tempfile::tempdir().unwrap();
        let nodes = spec(Body::Lines(LineChart {
            x_label: "time (min)".into(),
            y_label: "nodes".into(),
            panels: vec![Panel {
                title: None,
                series: vec![Series {
                    step: true,
                    ..Series::line("win22", vec![(0.0, 1.0), (10.0, 3.0), (20.0, 2.0)])
                }],
                marks: vec![],
            }],
            ..LineChart::default()
        }));
        let c = render(&nodes, &dir.path().join("n.png")).unwrap();
        for tick in ["0", "1", "2", "3"] {
            assert!(has_text(&c.svg, tick), "{tick}");
        }
        for fractional in ["0.5", "1.5", "2.5", "0.2", "0.4"] {
            assert!(!has_text(&c.svg, fractional), "{fractional}");
        }
    }

    #[test]
    fn long_bar_labels_fit_the_label_area() {
        let long = format!(
            "contoso.azurecr.io/{}/app:1.0-windowsservercore-ltsc2022",
            "team".repeat(20)
        );
        let bars = spec(Body::Bars(BarChart {
            value_label: "seconds".into(),
            categories: vec![long.clone(), "nginx:1.27".into()],
            segments: vec![Segment {
                name: "download".into(),
                color: None,
                values: vec![30.0, 2.0],
            }],
        }));
        let dir = tempfile::tempdir().unwrap();
        let c = render(&bars, &dir.path().join("l.png")).unwrap();
        assert!(has_text(&c.svg, "nginx:1.27"));
        // The long name is shortened in the middle, keeping its start and its tag.
        let drawn = c
            .svg
            .split("</text>")
            .filter_map(|t| t.rsplit('>').next())
            .map(str::trim)
            .find(|t| t.starts_with("contoso") && t.contains('…'))
            .unwrap_or_else(|| panic!("no shortened label in\n{}", c.svg));
        assert!(drawn.ends_with("ltsc2022"), "{drawn}");
        assert!(drawn.chars().count() <= MAX_LABEL_CHARS, "{drawn}");
    }

    #[test]
    fn renders_svg_and_png_with_text() {
        let dir = tempfile::tempdir().unwrap();
        let lines = spec(Body::Lines(LineChart {
            x_label: "time (min)".into(),
            y_label: "pods".into(),
            panels: vec![Panel {
                title: None,
                series: vec![
                    Series::line("ready", vec![(0.0, 0.0), (5.0, 10.0)]),
                    Series {
                        dashed: true,
                        ..Series::line("limit", vec![(0.0, 12.0), (5.0, 12.0)])
                    },
                ],
                marks: vec![Mark {
                    x: 5.0,
                    y: 10.0,
                    label: "here".into(),
                }],
            }],
            ..LineChart::default()
        }));
        let png = dir.path().join("t.png");
        let c = render(&lines, &png).unwrap();
        assert!(c.svg.starts_with("<svg"), "{}", &c.svg[..40]);
        assert!(c.svg.contains("A &lt;title&gt; &amp; more"));
        assert!(has_text(&c.svg, "time (min)") && has_text(&c.svg, "ready"));
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        let bars = spec(Body::Bars(BarChart {
            value_label: "seconds".into(),
            categories: vec!["a".into(), "b".into()],
            segments: vec![Segment {
                name: "download".into(),
                color: None,
                values: vec![1.0, 2.0],
            }],
        }));
        let c = render(&bars, &dir.path().join("b.png")).unwrap();
        assert!(has_text(&c.svg, "download") && c.svg.contains("<rect"));
        let empty = spec(Body::Empty("No workload pod failed".into()));
        let c = render(&empty, &dir.path().join("e.png")).unwrap();
        assert!(has_text(&c.svg, "No workload pod failed"));
    }
}
