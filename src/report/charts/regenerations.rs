//! `regenerations`: generations triggered per time bucket, one line per series (the mean over
//! replications), over bands where the backend queue was not empty: the storms.
//!
//! A bucket is shaded, in its series' colour, when any replication of the series had a
//! generation waiting for a backend slot in it (`backend_queue`, the bucket's peak). Shades of
//! several series overlap and blend, so a strip along the top repeats them, one lane per series
//! in legend order, in solid colour. When the
//! series' buckets differ in length (a sweep over `bucket`), counts per bucket would not compare,
//! so the chart shows regenerations per second instead.

use std::io;

use plotters::coord::Shift;
use plotters::coord::ranged1d::Ranged;
use plotters::prelude::*;

use super::render::Figure;
use super::style::{self, Axes, Entry, Swatch};
use super::{Chart, Looks, SeriesTimeline, Timeline, title};
use crate::results::StudyResults;

pub const NAME: &str = "regenerations";

pub fn draw(results: &StudyResults, looks: &Looks, timeline: &Timeline) -> io::Result<Chart> {
    let title = title(results.study, "regenerations over time, and backend storms");
    let figure = Regenerations {
        title: &title,
        looks,
        timeline,
    };
    let caption = "Regenerations triggered per time bucket (mean over replications). Shaded \
                   stretches are storms, when a generation waited for a backend slot; the strip \
                   at the top shows whose, a lane per policy in legend order.";
    Chart::drawn(NAME, &title, caption, &figure)
}

struct Regenerations<'a> {
    title: &'a str,
    looks: &'a Looks,
    timeline: &'a Timeline,
}

/// How much of the y axis one pixel of the plot spans.
fn per_pixel<DB: DrawingBackend, X: Ranged, Y: Ranged>(
    chart: &style::Plot<'_, DB, X, Y>,
    y: &std::ops::Range<f64>,
) -> f64 {
    let height = chart.plotting_area().dim_in_pixel().1.max(1);
    (y.end - y.start) / f64::from(height)
}

/// The common bucket length in seconds, or `None` when series differ.
fn common_bucket(series: &[SeriesTimeline]) -> Option<f64> {
    let mut lengths = series.iter().map(|s| s.bucket_s).filter(|b| *b > 0.0);
    let first = lengths.next()?;
    lengths.all(|b| (b - first).abs() < 1e-9).then_some(first)
}

/// The stretches of consecutive buckets with a queue, as (start, end) in seconds.
fn storms(series: &SeriesTimeline) -> Vec<(f64, f64)> {
    let mut storms: Vec<(f64, f64)> = Vec::new();
    for b in series.buckets.iter().filter(|b| b.queued) {
        let end = b.start_s + series.bucket_s;
        match storms.last_mut() {
            Some(last) if b.start_s <= last.1 + 1e-9 => last.1 = end,
            _ => storms.push((b.start_s, end)),
        }
    }
    storms
}

impl Figure for Regenerations<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let series = &self.timeline.series;
        let look = |i: usize| self.looks.of_series(&self.timeline.series[i].label);
        let mut entries = self
            .looks
            .legend(series.iter().map(|s| s.label.as_str()), Swatch::Line);
        let stormy: Vec<usize> = (0..series.len())
            .filter(|&i| series[i].buckets.iter().any(|b| b.queued))
            .collect();
        if !stormy.is_empty() {
            entries.insert(
                series.len(),
                Entry {
                    label: "backend queue not empty".to_string(),
                    swatch: Swatch::Bands(stormy.iter().map(|&i| look(i).color.mix(0.5)).collect()),
                },
            );
        }
        let plot = style::framed(root, self.title, &entries)?;
        let common = common_bucket(series);
        let (unit_s, unit) = style::time_unit(self.timeline.end_s);
        let lines: Vec<Vec<(f64, f64)>> = series
            .iter()
            .map(|s| {
                let per = match common {
                    Some(_) => s.replications as f64,
                    None => s.replications as f64 * s.bucket_s.max(1e-9),
                };
                let middle = |b: &super::Bucket| (b.start_s + s.bucket_s / 2.0) / unit_s;
                s.buckets
                    .iter()
                    .map(|b| (middle(b), b.regenerations / per))
                    .collect()
            })
            .collect();
        let mut y = style::zero_based(lines.iter().flatten().map(|p| p.1));
        // Headroom for the storm strip above the lines: a lane per stormy series.
        let lane_px = if stormy.len() <= 6 { 8 } else { 5 };
        let strip_px = if stormy.is_empty() {
            0
        } else {
            stormy.len() * lane_px + 6
        };
        let plot_px = f64::from(plot.dim_in_pixel().1) - 70.0;
        if strip_px > 0 && plot_px > 2.0 * strip_px as f64 {
            y.end = y.start + (y.end - y.start) * plot_px / (plot_px - strip_px as f64);
        }
        let end = self.timeline.end_s / unit_s;
        let x = 0.0..if end > 0.0 { end } else { 1.0 };
        let mut chart = style::cartesian(&plot, x, y.clone())?;
        let x_label = format!("time ({unit})");
        let y_label = match common {
            Some(bucket) => format!("regenerations per {} bucket", style::duration(bucket)),
            None => "regenerations per second".to_string(),
        };
        style::draw_mesh(
            &mut chart,
            &Axes {
                x: &x_label,
                y: &y_label,
                x_ticks: &|v| style::number(*v),
                y_ticks: &|v| style::number(*v),
            },
        )?;
        // Storms shade the whole height, each series faint enough that all of them together stay
        // light (overlapping shades blend into a colour no reader can attribute, so the strip
        // at the top says whose storm it was).
        let alpha = 1.0 - (1.0 - 0.22_f64).powf(1.0 / stormy.len().max(1) as f64);
        let strip_bottom = y.end - strip_px as f64 * per_pixel(&chart, &y);
        for &i in &stormy {
            let color = look(i).color.mix(alpha);
            let bands = storms(&series[i]).into_iter().map(|(from, to)| {
                let corners = [(from / unit_s, y.start), (to / unit_s, strip_bottom)];
                Rectangle::new(corners, color.filled())
            });
            chart.draw_series(bands)?;
        }
        if let Some(warmup) = self.timeline.warmup_s {
            // Below the strip, so the strip's lanes stay clear.
            style::draw_warmup(&mut chart, warmup / unit_s, &(y.start..strip_bottom))?;
        }
        style::draw_events(
            &mut chart,
            &self.timeline.events,
            unit_s,
            &(y.start..strip_bottom),
        )?;
        for (i, line) in lines.iter().enumerate() {
            style::draw_line(&mut chart, line, look(i), 2)?;
        }
        // The strip: a lane per stormy series, in legend order, solid where its queue was not
        // empty.
        let unit_y = per_pixel(&chart, &y);
        for (lane, &i) in stormy.iter().enumerate() {
            let top = y.end - (lane * lane_px) as f64 * unit_y;
            let bottom = top - (lane_px - 1) as f64 * unit_y;
            let color = look(i).color.mix(0.85);
            let marks = storms(&series[i]).into_iter().map(|(from, to)| {
                Rectangle::new(
                    [(from / unit_s, bottom), (to / unit_s, top)],
                    color.filled(),
                )
            });
            chart.draw_series(marks)?;
        }
        if series.is_empty() {
            style::note(&plot, "no time series")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Bucket;
    use super::*;

    fn bucket(start_s: f64, queued: bool) -> Bucket {
        Bucket {
            start_s,
            queued,
            ..Bucket::default()
        }
    }

    #[test]
    fn consecutive_buckets_with_a_queue_make_one_storm() {
        let series = SeriesTimeline {
            label: "p".to_string(),
            bucket_s: 10.0,
            replications: 1,
            buckets: [false, true, true, false, true]
                .iter()
                .enumerate()
                .map(|(i, &q)| bucket(10.0 * i as f64, q))
                .collect(),
        };
        assert_eq!(storms(&series), [(10.0, 30.0), (40.0, 50.0)]);
    }
}
