//! `stale_age_cdf`: the distribution of stale age per series, on a log axis of time.
//!
//! From `distributions.csv`: each quantile's value averaged over the replications that had
//! stale responses (a replication without any has no rows). Stale ages below a millisecond are
//! drawn at a millisecond, since a log axis has no zero.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, Axes, Entry, Figure, Swatch};
use super::{Chart, Looks, by_series, finite, title};
use crate::report::results::{Results, Table};

pub const NAME: &str = "stale_age_cdf";

/// Stale ages are drawn from a millisecond up.
const FLOOR_S: f64 = 0.001;

/// Ticks at durations people think in, from a millisecond to a year.
const TICKS_S: [f64; 13] = [
    0.001,
    0.01,
    0.1,
    1.0,
    10.0,
    60.0,
    600.0,
    3_600.0,
    21_600.0,
    86_400.0,
    604_800.0,
    2_592_000.0,
    31_536_000.0,
];

pub fn draw(results: &Results, looks: &Looks, dir: &Path) -> io::Result<Chart> {
    let title = title(results, "how old stale responses were");
    let curves = quantile_curves(results, &results.distributions, "stale_age_s");
    let figure = StaleAge {
        title: &title,
        looks,
        curves,
    };
    let caption = "The distribution of stale age over stale responses: the share of stale \
                   responses (y) that were at most x old, since the first edit they missed. \
                   Further left is fresher.";
    Chart::drawn(dir, NAME, &title, caption, &figure)
}

/// A series' quantile function: (quantile, value) in increasing quantile order.
pub struct Curve {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// Each series' quantiles of `metric`, averaged over its replications; series without rows for
/// the metric are left out. Shared with the latency chart.
pub fn quantile_curves(results: &Results, table: &Table, metric: &str) -> Vec<Curve> {
    let mut curves = Vec::new();
    for (label, rows) in by_series(results, table) {
        // Keyed by the quantile in millionths, so text cannot split one quantile in two.
        let mut sums: BTreeMap<i64, (f64, f64, usize)> = BTreeMap::new();
        for row in rows
            .into_iter()
            .filter(|r| table.text(r, "metric") == metric)
        {
            let (Some(q), Some(v)) = (finite(table, row, "quantile"), finite(table, row, "value"))
            else {
                continue;
            };
            let sum = sums.entry((q * 1e6).round() as i64).or_insert((q, 0.0, 0));
            sum.1 += v;
            sum.2 += 1;
        }
        let points: Vec<(f64, f64)> = sums
            .into_values()
            .map(|(q, total, n)| (q, total / n as f64))
            .collect();
        if !points.is_empty() {
            curves.push(Curve { label, points });
        }
    }
    curves
}

/// The legend of `curves`: a line in each one's look. Shared with the latency chart.
pub fn legend(looks: &Looks, curves: &[Curve]) -> Vec<Entry> {
    looks.legend(curves.iter().map(|c| c.label.as_str()), Swatch::Line)
}

struct StaleAge<'a> {
    title: &'a str,
    looks: &'a Looks,
    curves: Vec<Curve>,
}

/// The x range and its ticks: from the largest tick at or below the smallest age, so the left end
/// is labelled, to the next tick above the largest age or half as far again, whichever is closer.
fn x_axis(curves: &[Curve]) -> (f64, f64, Vec<f64>) {
    let ages = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.1.max(FLOOR_S)));
    let (lo, hi) = ages.fold((f64::INFINITY, 0.0_f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let (lo, hi) = if lo.is_finite() {
        (lo, hi)
    } else {
        (1.0, 3_600.0)
    };
    let from = TICKS_S
        .iter()
        .rev()
        .find(|t| **t <= lo)
        .copied()
        .unwrap_or(FLOOR_S);
    // To the next tick, unless that is far past the data (1 d to 7 d): then a little past it.
    let to = TICKS_S
        .iter()
        .find(|t| **t >= hi)
        .copied()
        .unwrap_or(hi * 2.0)
        .min(hi * 1.5);
    let to = if to > from { to } else { from * 10.0 };
    let ticks = TICKS_S
        .iter()
        .copied()
        .filter(|t| (from..=to).contains(t))
        .collect();
    (from, to, ticks)
}

impl Figure for StaleAge<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let plot = style::framed(root, self.title, &legend(self.looks, &self.curves))?;
        let (from, to, ticks) = x_axis(&self.curves);
        let x = style::ticked((from..to).log_scale(), ticks);
        let mut chart = style::cartesian(&plot, x, 0.0..100.0)?;
        style::draw_mesh(
            &mut chart,
            &Axes {
                x: "stale age (log scale)",
                y: "stale responses at most this old (%)",
                x_ticks: &|v| style::duration(*v),
                y_ticks: &|v| format!("{}%", style::number(*v)),
            },
        )?;
        for curve in &self.curves {
            let points: Vec<(f64, f64)> = curve
                .points
                .iter()
                .map(|&(q, v)| (v.max(FLOOR_S), q * 100.0))
                .collect();
            style::draw_line(
                &mut chart,
                &points,
                self.looks.of_series(&curve.label),
                style::LINE_WIDTH,
            )?;
        }
        if self.curves.is_empty() {
            style::note(&plot, "no stale responses")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{results, table};
    use super::*;

    #[test]
    fn quantiles_are_averaged_over_the_replications_that_have_them() {
        let distributions = table(
            "scenario,policy,replication,metric,quantile,value",
            &[
                "s,a,0,stale_age_s,0.5,10",
                "s,a,0,stale_age_s,1,30",
                "s,a,1,stale_age_s,0.5,20",
                "s,a,1,stale_age_s,1,50",
                "s,a,1,latency_ms,0.5,99",
                // Policy b had no stale response: it has latency rows only.
                "s,b,0,latency_ms,0.5,15",
            ],
        );
        let results = results(&[], Table::default(), Table::default(), distributions);
        let curves = quantile_curves(&results, &results.distributions, "stale_age_s");
        assert_eq!(curves.len(), 1);
        assert_eq!(curves[0].label, "a");
        assert_eq!(curves[0].points, [(0.5, 15.0), (1.0, 40.0)]);
    }

    #[test]
    fn the_axis_starts_at_a_tick_below_the_youngest_age() {
        let curve = |values: &[f64]| Curve {
            label: String::new(),
            points: values.iter().map(|&v| (0.5, v)).collect(),
        };
        // 0 is drawn at the floor, a millisecond; 90 min runs to the next tick, 6 h, capped at
        // 1.5 × 90 min.
        let (from, to, ticks) = x_axis(&[curve(&[0.0, 5_400.0])]);
        assert_eq!((from, to), (0.001, 8_100.0));
        assert_eq!(ticks.first(), Some(&0.001));
        assert_eq!(ticks.last(), Some(&3_600.0));
        // No stale responses: a second to an hour.
        assert_eq!(x_axis(&[]).0..x_axis(&[]).1, 1.0..3_600.0);
    }
}
