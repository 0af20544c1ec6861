//! `stale_age_cdf`: the distribution of stale age per series, on a log axis of time.
//!
//! From the runs' distributions (`distributions.csv`): each quantile's value averaged over the
//! replications that had stale responses (a replication without any has no quantiles). Stale
//! ages below a millisecond are drawn at a millisecond, since a log axis has no zero.

use std::collections::BTreeMap;
use std::io;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::render::Figure;
use super::style::{self, Axes, Entry, Swatch};
use super::{Chart, Looks, runs_by_series, title};
use crate::metrics::{Distributions, QUANTILES};
use crate::results::StudyResults;

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

pub fn draw(results: &StudyResults, looks: &Looks) -> io::Result<Chart> {
    let title = title(results.study, "how old stale responses were");
    let curves = quantile_curves(results, |d| &d.stale_age_s);
    let figure = StaleAge {
        title: &title,
        looks,
        curves,
    };
    let caption = "The distribution of stale age over stale responses: the share of stale \
                   responses (y) that were at most x old, since the first edit they missed. \
                   Further left is fresher.";
    Chart::drawn(NAME, &title, caption, &figure)
}

/// A series' quantile function: (quantile, value) in increasing quantile order.
pub struct Curve {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// Each series' quantiles of one distribution (`metric` picks it), averaged over its
/// replications; series whose runs have none are left out. Shared with the latency chart.
pub fn quantile_curves(
    results: &StudyResults,
    metric: impl Fn(&Distributions) -> &Vec<f64>,
) -> Vec<Curve> {
    let mut curves = Vec::new();
    for (label, runs) in runs_by_series(results) {
        // Keyed by the quantile in millionths, as `distributions.csv` writes it.
        let mut sums: BTreeMap<i64, (f64, f64, usize)> = BTreeMap::new();
        for run in runs {
            let values = QUANTILES.iter().zip(metric(&run.distributions));
            for (&q, &v) in values.filter(|(_, v)| v.is_finite()) {
                let sum = sums.entry((q * 1e6).round() as i64).or_insert((q, 0.0, 0));
                sum.1 += v;
                sum.2 += 1;
            }
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
    use super::*;
    use crate::results::fixture::{run, study};

    #[test]
    fn quantiles_are_averaged_over_the_replications_that_have_them() {
        let mut runs = [
            run(0, 0, 0.0, &[]),
            run(0, 1, 0.0, &[]),
            run(1, 0, 0.0, &[]),
        ];
        runs[0].distributions.stale_age_s = QUANTILES.iter().map(|q| 10.0 + 20.0 * q).collect();
        runs[1].distributions.stale_age_s = QUANTILES.iter().map(|q| 20.0 + 30.0 * q).collect();
        // Policy `slow` had no stale response: it has latency quantiles only.
        runs[2].distributions.stale_age_s.clear();
        let study = study();
        let results = StudyResults::new(&study, &runs, false);
        let curves = quantile_curves(&results, |d| &d.stale_age_s);
        assert_eq!(curves.len(), 1);
        assert_eq!(curves[0].label, "fast");
        assert_eq!(curves[0].points.len(), QUANTILES.len());
        assert_eq!(curves[0].points[10], (0.5, 15.0 + 12.5));
        assert_eq!(curves[0].points.last(), Some(&(1.0, 40.0)));
        assert_eq!(quantile_curves(&results, |d| &d.latency_ms).len(), 2);
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
