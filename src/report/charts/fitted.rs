//! `fit`: what `isrsim fit` found in an access log, beside the log itself. On the left, each
//! route's requests per page against the page's rank, on log-log axes, where a Zipf popularity is
//! a straight line of slope −exponent: the points are the log, the line the fitted law over the
//! ranks it was fitted on. On the right, the request rate over time: the log's, counted per
//! interval, and the fitted pattern's expected rate.

use std::io;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::Chart;
use super::render::Figure;
use super::style::{self, Entry, Look, Swatch};

pub const NAME: &str = "fit";

/// One route's popularity: its pages' request counts, most requested first, and the fitted law.
#[derive(Clone, Debug, PartialEq)]
pub struct Popularity {
    pub route: String,
    pub counts: Vec<u64>,
    /// The exponent and the ranks (1-based, inclusive) it was fitted on.
    pub fitted: Option<(f64, (u32, u32))>,
}

/// The request rate over time, per interval: the log's and the fitted pattern's.
#[derive(Clone, Debug, PartialEq)]
pub struct Rate {
    pub interval_s: f64,
    pub observed: Vec<f64>,
    pub fitted: Vec<f64>,
    /// The fitted pattern, as the legend names it.
    pub pattern: String,
}

pub fn draw(log: &str, routes: &[Popularity], rate: &Rate) -> io::Result<Chart> {
    let title = format!("{log}: popularity and request rate, as logged and as fitted");
    let caption = "Left: requests per page against the page's rank, on log-log axes, a series per \
                   route; a Zipf popularity is a straight line, drawn over the ranks it was \
                   fitted on. Right: the log's request rate per interval, and the fitted \
                   pattern's expected rate.";
    Chart::drawn(
        NAME,
        &title,
        caption,
        &Fitted {
            title: &title,
            routes,
            rate,
        },
    )
}

struct Fitted<'a> {
    title: &'a str,
    routes: &'a [Popularity],
    rate: &'a Rate,
}

/// Ticks at the powers of ten within `[1, high]`.
fn decades(high: f64) -> Vec<f64> {
    (0..=high.log10().ceil().max(0.0) as i32)
        .map(|e| 10f64.powi(e))
        .collect()
}

impl Figure for Fitted<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let mut entries: Vec<Entry> = self
            .routes
            .iter()
            .enumerate()
            .map(|(i, r)| Entry {
                label: match r.fitted {
                    Some((s, _)) => format!("{} (Zipf {s:.2})", r.route),
                    None => r.route.clone(),
                },
                swatch: Swatch::Marked(Look::of(i)),
            })
            .collect();
        let observed = Look::of(self.routes.len());
        let fitted = Look::of(self.routes.len() + 1);
        entries.push(Entry {
            label: "rate, as logged".into(),
            swatch: Swatch::Line(observed),
        });
        entries.push(Entry {
            label: format!("rate, fitted {}", self.rate.pattern),
            swatch: Swatch::Line(fitted),
        });
        let plot = style::framed(root, self.title, &entries)?;
        let (left, right) = plot.split_horizontally(plot.dim_in_pixel().0 / 2);

        // Popularity, log-log.
        let most_ranks = self
            .routes
            .iter()
            .map(|r| r.counts.len())
            .max()
            .unwrap_or(0);
        let most = self
            .routes
            .iter()
            .flat_map(|r| r.counts.first())
            .copied()
            .max()
            .unwrap_or(0);
        if most_ranks == 0 || most == 0 {
            style::note(&left, "no page was requested")?;
        } else {
            let (x_high, y_high) = (most_ranks as f64 * 1.5, most as f64 * 1.5);
            let x = style::ticked((1.0..x_high).log_scale(), decades(x_high));
            let y = style::ticked((0.8..y_high).log_scale(), decades(y_high));
            let mut chart = style::cartesian(&left, x, y)?;
            let ticks = |v: &f64| style::number(*v);
            style::draw_mesh(
                &mut chart,
                &style::Axes {
                    x: "page rank",
                    y: "requests",
                    x_ticks: &ticks,
                    y_ticks: &ticks,
                },
            )?;
            for (i, route) in self.routes.iter().enumerate() {
                let look = Look::of(i);
                let points = route
                    .counts
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c > 0)
                    .map(|(k, &c)| Circle::new(((k + 1) as f64, c as f64), 2, look.color.filled()));
                chart.draw_series(points)?;
                if let Some((s, (first, last))) = route.fitted {
                    // The law through the fitted range, scaled to the requests in it.
                    let norm: f64 = (first..=last).map(|k| f64::from(k).powf(-s)).sum();
                    let within: u64 = route.counts[first as usize - 1..last as usize].iter().sum();
                    let at = |k: f64| within as f64 * k.powf(-s) / norm;
                    let line = [
                        (f64::from(first), at(f64::from(first))),
                        (f64::from(last), at(f64::from(last))),
                    ];
                    style::draw_line(&mut chart, &line, look, style::LINE_WIDTH)?;
                }
            }
        }

        // Rate over time.
        let r = self.rate;
        if r.observed.is_empty() {
            return style::note(&right, "no request");
        }
        let end_s = r.interval_s * r.observed.len() as f64;
        let (scale, unit) = style::time_unit(end_s);
        let at = |i: usize| (i as f64 + 0.5) * r.interval_s / scale;
        let y = style::zero_based(r.observed.iter().chain(&r.fitted).copied());
        let mut chart = style::cartesian(&right, 0.0..end_s / scale, y)?;
        let x_label = format!("time since the log's first request ({unit})");
        let x_ticks = |v: &f64| style::number(*v);
        let y_ticks = |v: &f64| style::number(*v);
        style::draw_mesh(
            &mut chart,
            &style::Axes {
                x: &x_label,
                y: "requests per second",
                x_ticks: &x_ticks,
                y_ticks: &y_ticks,
            },
        )?;
        let line = |values: &[f64]| -> Vec<(f64, f64)> {
            values
                .iter()
                .enumerate()
                .map(|(i, &v)| (at(i), v))
                .collect()
        };
        style::draw_line(&mut chart, &line(&r.observed), observed, 1)?;
        style::draw_line(&mut chart, &line(&r.fitted), fitted, style::LINE_WIDTH)
    }
}
