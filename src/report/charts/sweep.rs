//! `sweep_<metric>`: in a sweep, each key metric against the first swept parameter, one series
//! per policy (and per combination of the other axes' values), with 95% interval bars.
//!
//! The x axis is numeric when every value of the first axis is a number, and otherwise lists
//! the values in sweep order, evenly spaced. Values with an order (numbers, durations) are drawn
//! as lines, nudged apart a little so their interval bars do not hide each other. Values with
//! none (strings such as `"local"` and `"shared"`, booleans, inline tables) are categories: a
//! line between them would suggest a trend that is not there, so each value gets a group of
//! bars, one per series in the series' own colour (docs/model.md §11.9).

use std::collections::BTreeMap;
use std::io;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::render::Figure;
use super::style::{self, Axes, Entry, Look, Swatch};
use super::{Chart, common_entry, compact, finite, series_parts, short_names, title};
use crate::metrics;
use crate::results::{StudyResults, Summary};
use crate::time::parse_duration;

/// The metrics drawn against the swept parameter: column and name.
const METRICS: [(&str, &str); 6] = [
    ("stale_ratio", "stale ratio"),
    ("stale_age_p99_s", "p99 stale age"),
    ("regenerations", "regenerations per run"),
    ("regen_per_s_peak", "peak regenerations per second"),
    ("backend_wait_p99_s", "p99 backend queue wait"),
    ("edit_visible_p99_s", "p99 time until an edit is visible"),
];

pub fn draw(results: &StudyResults) -> io::Result<Vec<Chart>> {
    let axes = &results.study.axes;
    let Some(axis) = axes.first() else {
        return Ok(Vec::new());
    };
    // The first axis's values in sweep order, and the lines: one per (other axes, policy).
    let mut xs: Vec<String> = Vec::new();
    let mut line_index: BTreeMap<String, usize> = BTreeMap::new();
    // Each line's name in parts, and its summaries with the index of their x value.
    let mut lines: Vec<(Vec<String>, Vec<Point>)> = Vec::new();
    for summary in &results.summaries {
        let value = summary.labels.first().cloned().unwrap_or_default();
        let x = xs.iter().position(|v| *v == value).unwrap_or_else(|| {
            xs.push(value);
            xs.len() - 1
        });
        let others = summary.labels.get(1..).unwrap_or_default();
        let parts = series_parts(&axes[1..], others, &summary.policy);
        let i = *line_index.entry(parts.join(", ")).or_insert_with(|| {
            lines.push((parts, Vec::new()));
            lines.len() - 1
        });
        lines[i].1.push((x, summary));
    }
    let numbers: Option<Vec<f64>> = xs
        .iter()
        .map(|v| v.trim().parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect();
    // Durations are ordered even though they are not numbers; everything else is a category.
    let bars = numbers.is_none() && !xs.iter().all(|v| parse_duration(v.trim()).is_ok());
    let parts: Vec<Vec<String>> = lines.iter().map(|(parts, _)| parts.clone()).collect();
    let (names, common) = short_names(&parts);
    let mut charts = Vec::new();
    for (column, name) in METRICS {
        let i = metrics::column(column);
        let series: Vec<Line> = (lines.iter().zip(&names))
            .map(|((_, summaries), label)| {
                let mut points: Vec<(usize, f64, f64)> = (summaries.iter())
                    .filter_map(|&(x, summary)| {
                        let mean = finite(summary.means[i?])?;
                        let ci = finite(summary.ci95[i?]).unwrap_or(0.0);
                        Some((x, mean, ci.abs()))
                    })
                    .collect();
                // Numeric sweeps need not be listed in increasing order; lines go left to right.
                if let Some(numbers) = &numbers {
                    points.sort_by(|a, b| numbers[a.0].total_cmp(&numbers[b.0]));
                }
                Line {
                    label: label.clone(),
                    points,
                }
            })
            .collect();
        let (scale, unit) = unit_of(column, &series);
        let chart_name = format!("sweep_{column}");
        let title = title(results.study, &format!("{name} against {axis}"));
        let figure = Sweep {
            title: &title,
            axis,
            y_label: match unit {
                Some(unit) => format!("{name} ({unit})"),
                None => name.to_string(),
            },
            xs: &xs,
            numbers: numbers.as_deref(),
            scale,
            series,
            common: common.as_deref(),
            bars,
        };
        let drawn = if bars { "a bar" } else { "one line" };
        let caption = format!(
            "The {name} at each value of {axis}, {drawn} per policy, with 95% confidence \
             intervals over replications."
        );
        charts.push(Chart::drawn(&chart_name, &title, &caption, &figure)?);
    }
    Ok(charts)
}

/// A summary at the index of its x value.
type Point<'s> = (usize, &'s Summary);

/// What a metric's values are multiplied by to be drawn, and the unit they are then in (none
/// for counts, whose name says what they count).
fn unit_of(column: &str, series: &[Line]) -> (f64, Option<&'static str>) {
    if column.ends_with("_ratio") {
        (100.0, Some("%"))
    } else if column.ends_with("_s") {
        let points = series.iter().flat_map(|s| &s.points);
        let largest = points.map(|p| p.1 + p.2).fold(0.0, f64::max);
        let (size, unit) = style::seconds_unit(largest);
        (1.0 / size, Some(unit))
    } else {
        (1.0, None)
    }
}

struct Line {
    label: String,
    /// (index of the x value, mean, 95% half-width), left to right.
    points: Vec<(usize, f64, f64)>,
}

struct Sweep<'a> {
    title: &'a str,
    axis: &'a str,
    y_label: String,
    xs: &'a [String],
    /// The x values as numbers, when they all are.
    numbers: Option<&'a [f64]>,
    scale: f64,
    series: Vec<Line>,
    /// What every line shares, said once in the legend.
    common: Option<&'a str>,
    /// The x values are categories: grouped bars rather than lines.
    bars: bool,
}

impl Sweep<'_> {
    /// Where the x value `x` sits on the axis.
    fn place(&self, x: usize) -> f64 {
        self.numbers.map_or(x as f64, |n| n[x])
    }

    /// The x range, and the nudge between neighbouring lines: a small share of the closest gap
    /// between x values, so lines never cross into the next value.
    fn x_range(&self) -> (std::ops::Range<f64>, f64) {
        let mut places: Vec<f64> = (0..self.xs.len()).map(|x| self.place(x)).collect();
        places.sort_by(f64::total_cmp);
        let gap = places
            .windows(2)
            .map(|w| w[1] - w[0])
            .filter(|g| *g > 0.0)
            .fold(f64::INFINITY, f64::min);
        let gap = if gap.is_finite() { gap } else { 1.0 };
        let (lo, hi) = match (places.first(), places.last()) {
            (Some(&lo), Some(&hi)) => (lo, hi),
            _ => (0.0, 0.0),
        };
        let pad = if self.numbers.is_some() {
            ((hi - lo) * 0.05).max(gap * 0.3)
        } else {
            0.5
        };
        let lines = self.series.len().max(1) as f64;
        let nudge = (gap * 0.3 / lines).min((hi - lo + 2.0 * pad) * 0.006);
        ((lo - pad)..(hi + pad), nudge)
    }
}

impl Figure for Sweep<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let look = Look::of;
        let mut entries: Vec<Entry> = (self.series.iter().enumerate())
            .map(|(i, s)| Entry {
                label: s.label.clone(),
                swatch: if self.bars {
                    Swatch::Bar(look(i))
                } else {
                    Swatch::Marked(look(i))
                },
            })
            .collect();
        entries.extend(self.common.map(common_entry));
        let plot = style::framed(root, self.title, &entries)?;
        let (x, nudge) = self.x_range();
        let y = style::zero_based(
            (self.series.iter().flat_map(|s| &s.points)).map(|p| (p.1 + p.2) * self.scale),
        );
        // Category names, cut to the room each has.
        let room = (plot.dim_in_pixel().0 as i32 - 140) / self.xs.len().max(1) as i32;
        let tick_font = style::font(style::TICK_SIZE);
        let mut names = Vec::new();
        for x in self.xs {
            names.push(style::fit(&plot, &compact(x), &tick_font, room - 8)?);
        }
        let x_ticks = |v: &f64| match self.numbers {
            Some(_) => style::number(*v),
            None => {
                let i = v.round();
                if i >= 0.0 && (i as usize) < names.len() && (v - i).abs() < 1e-6 {
                    names[i as usize].clone()
                } else {
                    String::new()
                }
            }
        };
        let y_ticks = |v: &f64| style::number(*v);
        let axes = Axes {
            x: self.axis,
            y: &self.y_label,
            x_ticks: &x_ticks,
            y_ticks: &y_ticks,
        };
        // Ticks at the categories, or at the swept numbers themselves unless they would crowd
        // each other; else plotters' round numbers.
        let ticks: Option<Vec<f64>> = match self.numbers {
            None => Some((0..self.xs.len()).map(|i| i as f64).collect()),
            Some(numbers) => {
                let mut sorted = numbers.to_vec();
                sorted.sort_by(f64::total_cmp);
                sorted.dedup();
                let closest = sorted
                    .windows(2)
                    .map(|w| w[1] - w[0])
                    .fold(f64::INFINITY, f64::min);
                let pixels = f64::from(plot.dim_in_pixel().0) - 140.0;
                let spaced = closest * pixels / (x.end - x.start) >= 64.0;
                (spaced && sorted.len() <= 16).then_some(sorted)
            }
        };
        match ticks {
            Some(ticks) => {
                let mut chart = style::cartesian(&plot, style::ticked(x, ticks), y)?;
                style::draw_mesh(&mut chart, &axes)?;
                if self.bars {
                    self.draw_bars(&mut chart)?;
                } else {
                    self.draw_lines(&mut chart, nudge)?;
                }
            }
            None => {
                let mut chart = style::cartesian(&plot, x, y)?;
                style::draw_mesh(&mut chart, &axes)?;
                self.draw_lines(&mut chart, nudge)?;
            }
        }
        if self.series.iter().all(|s| s.points.is_empty()) {
            style::note(&plot, "no data")?;
        }
        Ok(())
    }
}

/// The share of a category's width its group of bars takes.
const GROUP_WIDTH: f64 = 0.8;

impl Sweep<'_> {
    /// One group of bars per category, one bar per series at the series' place in the group,
    /// whether or not the others have a value there, with its 95% interval.
    fn draw_bars<DB, X, Y>(&self, chart: &mut style::Plot<'_, DB, X, Y>) -> DrawResult<(), DB>
    where
        DB: DrawingBackend,
        X: plotters::coord::ranged1d::Ranged<ValueType = f64>,
        Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
    {
        let width = GROUP_WIDTH / self.series.len().max(1) as f64;
        for (i, series) in self.series.iter().enumerate() {
            let look = Look::of(i);
            let (fill, border) = style::bar_styles(look);
            for &(x, mean, ci) in &series.points {
                let left = self.place(x) - GROUP_WIDTH / 2.0 + i as f64 * width;
                let corners = [(left, 0.0), (left + width, mean * self.scale)];
                chart.draw_series(std::iter::once(Rectangle::new(corners, fill)))?;
                chart.draw_series(std::iter::once(Rectangle::new(corners, border)))?;
                if ci > 0.0 {
                    let (lo, hi) = ((mean - ci) * self.scale, (mean + ci) * self.scale);
                    style::draw_whisker(chart, left + width / 2.0, (lo, hi), style::AXIS)?;
                }
            }
        }
        Ok(())
    }

    fn draw_lines<DB, X, Y>(
        &self,
        chart: &mut style::Plot<'_, DB, X, Y>,
        nudge: f64,
    ) -> DrawResult<(), DB>
    where
        DB: DrawingBackend,
        X: plotters::coord::ranged1d::Ranged<ValueType = f64>,
        Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
    {
        let middle = (self.series.len() as f64 - 1.0) / 2.0;
        for (i, line) in self.series.iter().enumerate() {
            let look = Look::of(i);
            let shift = (i as f64 - middle) * nudge;
            let points: Vec<(f64, f64)> = (line.points.iter())
                .map(|&(x, mean, _)| (self.place(x) + shift, mean * self.scale))
                .collect();
            style::draw_line(chart, &points, look, style::LINE_WIDTH)?;
            for (&(_, mean, ci), &at) in line.points.iter().zip(&points) {
                if ci > 0.0 {
                    let (lo, hi) = ((mean - ci) * self.scale, (mean + ci) * self.scale);
                    style::draw_whisker(chart, at.0, (lo, hi), look.color)?;
                }
                style::draw_marker(chart, at, look)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::metrics::RunResult;
    use crate::results::fixture::run_at;
    use crate::scenario::Study;

    /// Nine policies swept over `key = values`, two replications each.
    fn swept(key: &str, values: &str) -> (Study, Vec<RunResult>) {
        let mut text = String::from(
            "duration = \"10m\"\n[traffic]\npattern = \"steady\"\nrate = 1\n[[routes]]\n\
             name = \"posts\"\npages = 10\nregen_time = \"1s\"\n[cdn]\npops = 1\n[origin]\n\
             instances = 2\n",
        );
        for p in 0..9 {
            text.push_str(&format!(
                "[[policies]]\nname = \"p{p}\"\nrevalidate = \"{}s\"\n",
                p + 1
            ));
        }
        text.push_str(&format!("[sweep]\n\"{key}\" = {values}\n"));
        let study = Study::from_bytes(text.as_bytes(), Path::new("sweep.toml")).unwrap();
        let mut runs = Vec::new();
        for point in 0..study.points.len() {
            for policy in 0..9 {
                for r in 0..2 {
                    let x = (point * 9 + policy) as f64 + f64::from(r);
                    runs.push(run_at(point, policy, r, 0.0, &[("stale_ratio", 0.01 * x)]));
                }
            }
        }
        (study, runs)
    }

    fn stale_ratio_svg(study: &Study, runs: &[RunResult]) -> String {
        let results = StudyResults::new(study, runs, false);
        let charts = draw(&results).unwrap();
        let chart = charts
            .iter()
            .find(|c| c.name == "sweep_stale_ratio")
            .unwrap();
        chart.svg().to_string()
    }

    /// The colour of series `i` as the SVG writes it.
    fn hex(i: usize) -> String {
        let color = style::Look::of(i).color;
        format!("#{:02X}{:02X}{:02X}", color.0, color.1, color.2)
    }

    /// The values of `attribute` on the SVG's `element`s.
    fn attributes<'s>(svg: &'s str, element: &str, attribute: &str) -> Vec<&'s str> {
        let (open, name) = (format!("<{element} "), format!(" {attribute}=\""));
        svg.split(open.as_str())
            .skip(1)
            .filter_map(|e| {
                e.split('>')
                    .next()?
                    .split(name.as_str())
                    .nth(1)?
                    .split('"')
                    .next()
            })
            .collect()
    }

    /// How many of the SVG's polylines are drawn in a series' colour (the axes are grey).
    fn series_lines(svg: &str) -> usize {
        let strokes = attributes(svg, "polyline", "stroke");
        let colours: Vec<String> = (0..9).map(hex).collect();
        strokes
            .iter()
            .filter(|s| colours.iter().any(|c| c.eq_ignore_ascii_case(s)))
            .count()
    }

    #[test]
    fn a_categorical_sweep_draws_a_group_of_bars_per_value_and_a_numeric_one_lines() {
        let (study, runs) = swept("origin.cache", r#"["local", "shared"]"#);
        let svg = stale_ratio_svg(&study, &runs);
        assert_eq!(series_lines(&svg), 0, "a line between categories");
        // Each of the nine policies has a bar at each of the two values, filled in its own
        // colour, and a swatch in the legend: three rectangles of each colour.
        let fills = attributes(&svg, "rect", "fill");
        for i in 0..9 {
            let hex = hex(i);
            let n = fills
                .iter()
                .filter(|f| f.eq_ignore_ascii_case(&hex))
                .count();
            assert_eq!(n, 3, "policy {i}'s colour {hex}:\n{fills:?}");
        }
        let (study, runs) = swept("origin.instances", "[1, 2, 4]");
        let svg = stale_ratio_svg(&study, &runs);
        assert!(series_lines(&svg) >= 9, "a numeric sweep keeps its lines");
        let (study, runs) = swept("cdn.shield", "[false, true]");
        assert_eq!(series_lines(&stale_ratio_svg(&study, &runs)), 0);
    }
}
