//! `latency`: user latency by percentile, in the style of HdrHistogram's percentile plots.
//!
//! The x axis is 1/(1−p) on a log scale, so each tick is one more nine (0%, 90%, 99%, 99.9%…)
//! and the tail gets as much room as the body. The maximum (p = 1) has no place on that axis
//! and is left out; the summaries have it as `latency_max_ms`.

use std::io;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::render::Figure;
use super::stale_age_cdf::{Curve, legend, quantile_curves};
use super::style::{self, Axes};
use super::{Chart, Looks, title};
use crate::results::StudyResults;

pub const NAME: &str = "latency";

/// 1/(1−p) for p = 99.999%, the last tick.
const LAST_TICK: f64 = 1e5;

pub fn draw(results: &StudyResults, looks: &Looks) -> io::Result<Chart> {
    let title = title(results.study, "user latency by percentile");
    let curves = quantile_curves(results, |d| &d.latency_ms);
    let figure = Latency {
        title: &title,
        looks,
        curves,
    };
    let caption = "User latency at each percentile, the tail stretched to the right: each tick \
                   adds a nine. A step up is the share of requests that went to the origin or \
                   waited on a generation.";
    Chart::drawn(NAME, &title, caption, &figure)
}

struct Latency<'a> {
    title: &'a str,
    looks: &'a Looks,
    curves: Vec<Curve>,
}

/// A quantile's place on the x axis, `None` for the maximum (and anything not a quantile).
fn position(q: f64) -> Option<f64> {
    let x = 1.0 / (1.0 - q);
    ((0.0..1.0).contains(&q) && x <= LAST_TICK * 1.0001).then_some(x)
}

/// The tick label of a position: the percentile with as many nines as it has decades.
fn percentile(x: f64) -> String {
    match x.log10().round().max(0.0) as usize {
        0 => "0%".to_string(),
        1 => "90%".to_string(),
        2 => "99%".to_string(),
        n => format!("99.{}%", "9".repeat(n - 2)),
    }
}

impl Figure for Latency<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let plot = style::framed(root, self.title, &legend(self.looks, &self.curves))?;
        let lines: Vec<Vec<(f64, f64)>> = (self.curves.iter())
            .map(|c| {
                c.points
                    .iter()
                    .filter_map(|&(q, v)| Some((position(q)?, v)))
                    .collect()
            })
            .collect();
        let ticks: Vec<f64> = (0..=5).map(|k| 10f64.powi(k)).collect();
        // A little room past the last tick, so the tail's end is not drawn on the frame.
        let x = style::ticked((1.0..LAST_TICK * 1.6).log_scale(), ticks);
        let y = style::zero_based(lines.iter().flatten().map(|p| p.1));
        let mut chart = style::cartesian(&plot, x, y)?;
        style::draw_mesh(
            &mut chart,
            &Axes {
                x: "percentile (log scale of 1/(1 − p))",
                y: "latency (ms)",
                x_ticks: &|v| percentile(*v),
                y_ticks: &|v| style::number(*v),
            },
        )?;
        // Policies often share a latency curve exactly (it depends on where a response came
        // from, not on freshness), so earlier lines are drawn wider and show around later ones
        // instead of vanishing under them.
        let n = self.curves.len();
        for (i, (curve, line)) in self.curves.iter().zip(&lines).enumerate() {
            let width = style::LINE_WIDTH + 2 * (n - 1 - i).min(4) as u32;
            style::draw_line(&mut chart, line, self.looks.of_series(&curve.label), width)?;
        }
        if lines.iter().all(|l| l.is_empty()) {
            style::note(&plot, "no latency recorded")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_decade_of_the_axis_is_one_more_nine() {
        let labels: Vec<String> = (0..=5).map(|k| percentile(10f64.powi(k))).collect();
        assert_eq!(labels, ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"]);
        assert_eq!(position(0.9).map(f64::round), Some(10.0));
        assert_eq!(position(1.0), None);
        assert_eq!(position(0.99999).map(f64::round), Some(1e5));
    }
}
