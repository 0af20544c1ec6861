//! `compare`: a prediction beside a measurement (`isrsim compare --out`), one row per metric of
//! one policy.
//!
//! Metrics have different units, so every figure is drawn as a ratio to the predicted mean: 1 is
//! the prediction, and a metric's row shows the spread of the simulated replications as a pale
//! bar, the 95% interval of the mean as a whisker, and the measured value as a point. Metrics
//! with no ratio (a prediction of 0, or not measured on either side) are left out, and the chart
//! says how many.

use std::io;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::Chart;
use super::render::Figure;
use super::style::{self, Entry, Look, Swatch};

pub const NAME: &str = "compare";

/// One metric's figures, each divided by the predicted mean.
#[derive(Clone, Debug, PartialEq)]
pub struct Ratios {
    pub metric: String,
    /// The 95% interval of the predicted mean.
    pub interval: (f64, f64),
    /// The least and greatest simulated replication, when any measured the metric.
    pub spread: Option<(f64, f64)>,
    pub measured: f64,
}

/// Draws the ratios of `policy`'s metrics; `left_out` counts the metrics without a ratio.
pub fn draw(scenario: &str, policy: &str, rows: &[Ratios], left_out: usize) -> io::Result<Chart> {
    let what = format!("prediction and measurement of {policy}, as ratios to the prediction");
    let title = if scenario.is_empty() {
        what
    } else {
        format!("{scenario}: {what}")
    };
    let figure = Prediction {
        title: &title,
        rows,
        left_out,
    };
    let caption = "Every metric divided by its predicted mean, so 1 is the prediction: the pale \
                   bar is the spread (least to greatest) of the simulated replications, the \
                   whisker the 95% interval of the predicted mean, the point the measured value. \
                   Metrics predicted as 0 or not measured on either side are left out.";
    Chart::drawn(NAME, &title, caption, &figure)
}

struct Prediction<'a> {
    title: &'a str,
    rows: &'a [Ratios],
    left_out: usize,
}

const SPREAD: RGBColor = style::PALETTE[1];
const MEASURED: RGBColor = style::PALETTE[5];

impl Figure for Prediction<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let measured = Look {
            color: MEASURED,
            round: 0,
        };
        let mut entries = vec![
            Entry {
                label: "spread of replications".to_string(),
                swatch: Swatch::Bar(Look {
                    color: SPREAD,
                    round: 2,
                }),
            },
            Entry {
                label: "95% interval of prediction".to_string(),
                swatch: Swatch::Line(Look {
                    color: style::AXIS,
                    round: 0,
                }),
            },
            Entry {
                label: "measured".to_string(),
                swatch: Swatch::Marked(measured),
            },
        ];
        let plural = if self.left_out == 1 { "" } else { "s" };
        entries.push(Entry {
            label: format!("{} metric{plural} left out", self.left_out),
            swatch: Swatch::Blank,
        });
        let plot = style::framed(root, self.title, &entries)?;
        if self.rows.is_empty() {
            return style::note(&plot, "no metric to compare");
        }
        let n = self.rows.len();
        let mut values = vec![1.0];
        for r in self.rows {
            values.extend([r.interval.0, r.interval.1, r.measured]);
            values.extend(r.spread.iter().flat_map(|s| [s.0, s.1]));
        }
        let values: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
        let low = values
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
            .min(0.0);
        let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let pad = (high - low).max(0.1) * 0.05;
        // The first metric at the top, as a table reads.
        let y = style::ticked(-0.6..n as f64 - 0.4, (0..n).map(|i| i as f64).collect());
        let mut chart = ChartBuilder::on(&plot)
            .margin(8)
            .margin_right(16)
            .x_label_area_size(62)
            .y_label_area_size(300)
            .build_cartesian_2d(low - pad..high + pad, y)?;
        let names = |v: &f64| {
            let i = n as i64 - 1 - v.round() as i64;
            usize::try_from(i)
                .ok()
                .and_then(|i| self.rows.get(i))
                .map_or_else(String::new, |r| r.metric.clone())
        };
        let tick = if n > 16 {
            style::TICK_SIZE * 16.0 / n as f64
        } else {
            style::TICK_SIZE
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc("ratio to the predicted mean")
            .x_label_formatter(&|v| style::number(*v))
            .y_label_formatter(&names)
            .x_labels(8)
            .label_style(style::font(style::TICK_SIZE).color(&style::AXIS))
            .y_label_style(style::font(tick.max(12.0)).color(&style::AXIS))
            .axis_desc_style(style::font(style::LABEL_SIZE))
            .bold_line_style(style::GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(style::AXIS.stroke_width(1))
            .draw()?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(1.0, -0.6), (1.0, n as f64 - 0.4)],
            style::MUTED.stroke_width(2),
        )))?;
        for (i, r) in self.rows.iter().enumerate() {
            let y = (n - 1 - i) as f64;
            if let Some((a, b)) = r.spread {
                let corners = [(a, y - 0.32), (b, y + 0.32)];
                chart.draw_series([
                    Rectangle::new(corners, SPREAD.mix(0.35).filled()),
                    Rectangle::new(corners, SPREAD.stroke_width(1)),
                ])?;
            }
            let line = style::AXIS.stroke_width(2);
            let (a, b) = r.interval;
            let cap =
                |x: f64| EmptyElement::at((x, y)) + PathElement::new(vec![(0, -6), (0, 6)], line);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(a, y), (b, y)],
                line,
            )))?;
            chart.draw_series([cap(a), cap(b)])?;
            style::draw_marker(&mut chart, (r.measured, y), measured)?;
        }
        Ok(())
    }
}
