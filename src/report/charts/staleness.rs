//! `staleness`: the share of stale responses over time, one line per series.
//!
//! Each bucket's ratio is its stale responses over its requests, both summed over the
//! replications, so a replication with more traffic weighs more, as a request does. A bucket
//! without requests has no ratio and breaks the line rather than reading as 0% stale.

use std::io;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::render::Figure;
use super::style::{self, Axes, Swatch};
use super::{Chart, Looks, Timeline, title};
use crate::results::StudyResults;

pub const NAME: &str = "staleness";

pub fn draw(results: &StudyResults, looks: &Looks, timeline: &Timeline) -> io::Result<Chart> {
    let title = title(results.study, "stale responses over time");
    let figure = Staleness {
        title: &title,
        looks,
        timeline,
    };
    let caption = "The share of responses that were stale, per time bucket, over all \
                   replications. Peaks after quiet spells are pages that went stale unseen.";
    Chart::drawn(NAME, &title, caption, &figure)
}

struct Staleness<'a> {
    title: &'a str,
    looks: &'a Looks,
    timeline: &'a Timeline,
}

/// The stale ratio (in %) at each bucket's middle, in runs of buckets that had requests.
fn segments(series: &super::SeriesTimeline, unit_s: f64) -> Vec<Vec<(f64, f64)>> {
    let mut segments = vec![Vec::new()];
    for b in &series.buckets {
        if b.requests > 0.0 {
            let ratio = (b.stale_responses / b.requests).clamp(0.0, 1.0);
            let middle = (b.start_s + series.bucket_s / 2.0) / unit_s;
            if let Some(segment) = segments.last_mut() {
                segment.push((middle, ratio * 100.0));
            }
        } else if segments.last().is_some_and(|s| !s.is_empty()) {
            segments.push(Vec::new());
        }
    }
    segments.retain(|s| !s.is_empty());
    segments
}

impl Figure for Staleness<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let look = |i: usize| self.looks.of_series(&self.timeline.series[i].label);
        let labels = self.timeline.series.iter().map(|s| s.label.as_str());
        let entries = self.looks.legend(labels, Swatch::Line);
        let plot = style::framed(root, self.title, &entries)?;
        let (unit_s, unit) = style::time_unit(self.timeline.end_s);
        let lines: Vec<_> = self
            .timeline
            .series
            .iter()
            .map(|s| segments(s, unit_s))
            .collect();
        let highest = lines.iter().flatten().flatten().map(|p| p.1);
        let mut y = style::zero_based(highest);
        y.end = y.end.min(100.0);
        let end = self.timeline.end_s / unit_s;
        let x = 0.0..if end > 0.0 { end } else { 1.0 };
        let mut chart = style::cartesian(&plot, x, y.clone())?;
        let x_label = format!("time ({unit})");
        let y_ticks = |v: &f64| format!("{}%", style::number(*v));
        style::draw_mesh(
            &mut chart,
            &Axes {
                x: &x_label,
                y: "stale responses (% of requests)",
                x_ticks: &|v| style::number(*v),
                y_ticks: &y_ticks,
            },
        )?;
        if let Some(warmup) = self.timeline.warmup_s {
            style::draw_warmup(&mut chart, warmup / unit_s, &y)?;
        }
        style::draw_events(&mut chart, &self.timeline.events, unit_s, &y)?;
        for (i, segments) in lines.iter().enumerate() {
            for segment in segments {
                style::draw_line(&mut chart, segment, look(i), 2)?;
            }
        }
        if self.timeline.series.is_empty() {
            style::note(&plot, "no time series")?;
        } else if lines.iter().all(|segments| segments.is_empty()) {
            style::note(&plot, "no requests")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Timeline;
    use super::super::tests::timeseries;
    use super::*;
    use crate::results::fixture::{run, study};
    use crate::time::SimTime;

    #[test]
    fn a_bucket_pools_its_replications_requests() {
        // 1 stale of 10 and 9 of 30: 10 of 40 is 25%, where the mean of the ratios would be 20%.
        // The middle bucket has no requests in either replication and breaks the line.
        let mut study = study();
        study.points[0].scenario.bucket = SimTime::from_secs(60);
        let mut runs = [run(0, 0, 0.0, &[]), run(0, 1, 0.0, &[])];
        runs[0].timeseries = timeseries(&[(10, 1), (0, 0), (4, 4)]);
        runs[1].timeseries = timeseries(&[(30, 9), (0, 0), (4, 0)]);
        let results = StudyResults::new(&study, &runs, false);
        let timeline = Timeline::of(&results);
        assert_eq!(timeline.end_s, 180.0);
        assert_eq!(timeline.series[0].replications, 2);
        let lines = segments(&timeline.series[0], 60.0);
        assert_eq!(lines, [vec![(0.5, 25.0)], vec![(2.5, 50.0)]]);
    }
}
