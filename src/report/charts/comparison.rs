//! `comparison`: the key metrics side by side, a bar per series with its 95% interval.
//!
//! The four metrics have different units, so each gets its own panel (2×2 small multiples) with
//! its own axis from zero. Bars are numbered, and the legend maps numbers to series, so a bar can
//! be found without telling colours apart.

use std::collections::BTreeSet;
use std::io;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::render::Figure;
use super::style::{self, Swatch};
use super::{Chart, Looks, finite, series_parts, title};
use crate::metrics;
use crate::results::StudyResults;

pub const NAME: &str = "comparison";

/// A panel: the metric's column, and its title given the unit it is shown in.
struct Metric {
    column: &'static str,
    name: &'static str,
    unit: Unit,
}

#[derive(Clone, Copy)]
enum Unit {
    /// A ratio, shown in %.
    Percent,
    /// Seconds, shown in s, min or h as the values call for.
    Seconds,
    Plain(&'static str),
}

const METRICS: [Metric; 4] = [
    Metric {
        column: "stale_ratio",
        name: "stale ratio",
        unit: Unit::Percent,
    },
    Metric {
        column: "stale_age_p99_s",
        name: "p99 stale age",
        unit: Unit::Seconds,
    },
    Metric {
        column: "regenerations",
        name: "regenerations",
        unit: Unit::Plain("per run"),
    },
    Metric {
        column: "regen_per_s_peak",
        name: "peak regenerations",
        unit: Unit::Plain("per second"),
    },
];

pub fn draw(results: &StudyResults, looks: &Looks) -> io::Result<Chart> {
    let what = if results.study.axes.is_empty() {
        "key metrics by policy"
    } else {
        "key metrics by policy and sweep point"
    };
    let title = title(results.study, what);
    // A bar per series, from its summary (the first, should two series share a label).
    let mut seen = BTreeSet::new();
    let (series, summaries): (Vec<String>, Vec<_>) = (results.summaries.iter())
        .map(|s| {
            (
                series_parts(&results.study.axes, &s.labels, &s.policy).join(", "),
                s,
            )
        })
        .filter(|(label, _)| seen.insert(label.clone()))
        .unzip();
    let panels = METRICS
        .iter()
        .map(|m| {
            let column = metrics::column(m.column);
            let bars: Vec<Option<(f64, f64)>> = (summaries.iter())
                .map(|s| {
                    let i = column?;
                    let mean = finite(s.means[i])?;
                    Some((mean, finite(s.ci95[i]).unwrap_or(0.0).abs()))
                })
                .collect();
            Panel::new(m, bars)
        })
        .collect();
    let figure = Comparison {
        title: &title,
        looks,
        series,
        panels,
    };
    let caption = "Stale ratio, 99th percentile stale age, regenerations and the peak \
                   regenerations per second, per policy: the mean over replications with its 95% \
                   confidence interval. Lower is better in every panel.";
    Chart::drawn(NAME, &title, caption, &figure)
}

/// One metric's bars, already in the unit they are drawn in.
struct Panel {
    title: String,
    /// Per series: the mean and the half-width of its 95% interval, when the metric is there.
    bars: Vec<Option<(f64, f64)>>,
}

impl Panel {
    fn new(metric: &Metric, bars: Vec<Option<(f64, f64)>>) -> Panel {
        let (scale, unit) = match metric.unit {
            Unit::Percent => (100.0, "%".to_string()),
            Unit::Seconds => {
                let largest = bars.iter().flatten().map(|b| b.0 + b.1).fold(0.0, f64::max);
                let (size, name) = style::seconds_unit(largest);
                (1.0 / size, name.to_string())
            }
            Unit::Plain(unit) => (1.0, unit.to_string()),
        };
        Panel {
            title: format!("{} ({unit})", metric.name),
            bars: bars
                .into_iter()
                .map(|b| b.map(|(m, ci)| (m * scale, ci * scale)))
                .collect(),
        }
    }
}

struct Comparison<'a> {
    title: &'a str,
    looks: &'a Looks,
    series: Vec<String>,
    panels: Vec<Panel>,
}

impl Comparison<'_> {
    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        panel: &Panel,
    ) -> DrawResult<(), DB> {
        let n = self.series.len();
        let mut y = style::zero_based(panel.bars.iter().flatten().map(|(m, ci)| m + ci));
        // Room above the tallest bar for its value.
        y.end += (y.end - y.start) * 0.12;
        // A number under every bar, or under every other (third…) when they would touch.
        let widest = area
            .estimate_text_size(&n.to_string(), &style::font(style::TICK_SIZE))?
            .0;
        let room = (f64::from(area.dim_in_pixel().0) - 110.0) / n.max(1) as f64;
        let stride = ((f64::from(widest) + 10.0) / room.max(1.0)).ceil().max(1.0) as usize;
        let ticks: Vec<f64> = (0..n).step_by(stride).map(|i| i as f64).collect();
        let x = style::ticked(-0.6..n as f64 - 0.4, ticks);
        let mut chart = ChartBuilder::on(area)
            .caption(&panel.title, style::font(style::PANEL_TITLE_SIZE))
            .margin(10)
            .margin_right(24)
            .x_label_area_size(34)
            .y_label_area_size(78)
            .build_cartesian_2d(x, y)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_label_formatter(&|v| format!("{}", v.round() as i64 + 1))
            .y_label_formatter(&|v| style::number(*v))
            .y_labels(5)
            .label_style(style::font(style::TICK_SIZE).color(&style::AXIS))
            .bold_line_style(style::GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(style::AXIS.stroke_width(1))
            .draw()?;
        let value_font = style::font(style::TICK_SIZE)
            .color(&style::AXIS)
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        let slot = chart.backend_coord(&(1.0, 0.0)).0 - chart.backend_coord(&(0.0, 0.0)).0 - 6;
        for (i, bar) in panel.bars.iter().enumerate() {
            let Some((mean, ci)) = *bar else { continue };
            let look = self.looks.of_series(&self.series[i]);
            let (fill, border) = style::bar_styles(look);
            let x = i as f64;
            let corners = [(x - 0.36, 0.0), (x + 0.36, mean.max(0.0))];
            chart.draw_series([
                Rectangle::new(corners, fill),
                Rectangle::new(corners, border),
            ])?;
            if ci > 0.0 {
                style::draw_whisker(
                    &mut chart,
                    x,
                    ((mean - ci).max(0.0), mean + ci),
                    style::AXIS,
                )?;
            }
            // The value over the bar, when it fits the bar's width: small bars are readable too.
            let text = style::number(mean);
            let wide = area.estimate_text_size(&text, &value_font)?.0 as i32;
            if wide + 12 <= slot {
                let top = if ci > 0.0 { mean + ci } else { mean }.max(0.0);
                let label =
                    EmptyElement::at((x, top)) + Text::new(text, (0, -6), value_font.clone());
                chart.draw_series(std::iter::once(label))?;
            }
        }
        if panel.bars.iter().all(Option::is_none) {
            style::note(area, "no data")?;
        }
        Ok(())
    }
}

impl Figure for Comparison<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let mut entries = self
            .looks
            .legend(self.series.iter().map(String::as_str), Swatch::Bar);
        // Numbered as the bars are, so a bar can be found without telling colours apart.
        for (i, entry) in entries.iter_mut().take(self.series.len()).enumerate() {
            entry.label = format!("{}: {}", i + 1, entry.label);
        }
        let plot = style::framed(root, self.title, &entries)?;
        if self.series.is_empty() {
            return style::note(&plot, "no summary");
        }
        for (cell, panel) in plot.split_evenly((2, 2)).iter().zip(&self.panels) {
            self.draw_panel(cell, panel)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_take_the_unit_of_the_largest_bar() {
        let panel = Panel::new(&METRICS[1], vec![Some((600.0, 60.0)), None]);
        assert_eq!(panel.title, "p99 stale age (min)");
        assert_eq!(panel.bars, [Some((10.0, 1.0)), None]);
        let panel = Panel::new(&METRICS[0], vec![Some((0.25, 0.01))]);
        assert_eq!(panel.title, "stale ratio (%)");
        assert_eq!(panel.bars, [Some((25.0, 1.0))]);
    }
}
