//! Charts of a study's results, drawn with plotters into memory, each as SVG and PNG.
//!
//! One file per chart kind; `style` holds what they share (palette, font, legend, axes) and
//! `render` draws a figure on both backends. Every chart reads the typed results alone
//! (`StudyResults`): means and intervals from the summaries, time series and distributions from
//! the runs. So `isrsim plot` redraws exactly what `isrsim run` drew, and the same results give
//! the same bytes: series keep the order of the summaries and runs, maps are `BTreeMap`s, and
//! nothing depends on the clock. A chart drawn from no data (no runs, no stale responses) is
//! still drawn, with a note saying so, so the report never lacks a chart it lists.
//! `prediction` is the exception: `isrsim compare --out` hands it the ratios of a comparison.
//!
//! A series is one policy at one sweep point, named by its label: `policy`, or
//! `axis=value, …, policy` in a sweep. Series are told apart by that label, as the result files
//! tell their rows apart.

mod comparison;
mod fitted;
mod latency;
mod prediction;
mod regenerations;
mod render;
mod stale_age_cdf;
mod staleness;
mod style;
mod sweep;

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::ops::Range;

use crate::metrics::RunResult;
use crate::results::StudyResults;
use crate::scenario::Study;
use crate::time::SimTime;
use render::Figure;
use style::{Entry, Look, Swatch};

pub use fitted::{Popularity, Rate, draw as draw_fit};
pub use prediction::{Ratios, draw as draw_prediction};

/// A chart drawn into memory: what `charts/{name}.svg` and `charts/{name}.png` hold, and what a
/// page showing it needs to know.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// The file name of both images, without extension.
    pub name: String,
    pub title: String,
    /// One or two sentences: what the chart shows and how to read it.
    pub caption: String,
    /// The size of both images, in pixels.
    pub width: u32,
    pub height: u32,
    /// What a screen reader announces for the image.
    pub alt: String,
    /// The PNG file.
    pub png: Vec<u8>,
    /// The SVG document; private, so that `elements` always points into it.
    svg: String,
    /// Where the markup inside the root `<svg>` element lies in `svg`.
    elements: Range<usize>,
}

impl Chart {
    /// Draws `figure` and describes it for the report.
    fn drawn(name: &str, title: &str, caption: &str, figure: &impl Figure) -> io::Result<Chart> {
        let drawing = render::render(name, figure)?;
        let (width, height) = style::SIZE;
        Ok(Chart {
            name: name.to_string(),
            title: title.to_string(),
            caption: caption.to_string(),
            width,
            height,
            alt: title.to_string(),
            svg: drawing.svg,
            png: drawing.png,
            elements: drawing.elements,
        })
    }

    /// The SVG document.
    pub fn svg(&self) -> &str {
        &self.svg
    }

    /// The SVG's markup inside its root element, for a page that writes the root `<svg>` tag
    /// itself, with attributes of its own.
    pub fn svg_elements(&self) -> &str {
        &self.svg[self.elements.clone()]
    }
}

/// Draws every chart of `results`, in the order the report shows them.
pub fn draw_all(results: &StudyResults) -> io::Result<Vec<Chart>> {
    let looks = Looks::of(results);
    let timeline = Timeline::of(results);
    let mut charts = vec![
        staleness::draw(results, &looks, &timeline)?,
        regenerations::draw(results, &looks, &timeline)?,
        stale_age_cdf::draw(results, &looks)?,
        comparison::draw(results, &looks)?,
        latency::draw(results, &looks)?,
    ];
    if !results.study.axes.is_empty() {
        charts.extend(sweep::draw(results)?);
    }
    Ok(charts)
}

/// A title naming the scenario, when it has a name.
fn title(study: &Study, what: &str) -> String {
    if study.base.name.is_empty() {
        what.to_string()
    } else {
        format!("{}: {what}", study.base.name)
    }
}

/// A summary's mean or half-width, when it was measured and is a number.
fn finite(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite())
}

/// A series' name in parts: `axis=value` per swept key (the key's last segment), then the
/// policy.
fn series_parts(axes: &[String], labels: &[String], policy: &str) -> Vec<String> {
    let mut parts: Vec<String> = (axes.iter().zip(labels))
        .map(|(a, v)| axis_part(a, v))
        .collect();
    parts.push(policy.to_string());
    parts
}

/// A run's series in parts; `None` for a run of a point or policy the study lacks.
fn run_parts(study: &Study, run: &RunResult) -> Option<Vec<String>> {
    let point = study.points.get(run.point)?;
    let policy = point.scenario.policies.get(run.policy)?;
    Some(series_parts(&study.axes, &point.labels, &policy.name))
}

/// The runs of `results`, grouped by series label in the order the series first appear.
fn runs_by_series<'r>(results: &StudyResults<'r>) -> Vec<(String, Vec<&'r RunResult>)> {
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut groups: Vec<(String, Vec<&'r RunResult>)> = Vec::new();
    for &run in &results.runs {
        let Some(parts) = run_parts(results.study, run) else {
            continue;
        };
        let label = parts.join(", ");
        let i = *index.entry(label.clone()).or_insert_with(|| {
            groups.push((label, Vec::new()));
            groups.len() - 1
        });
        groups[i].1.push(run);
    }
    groups
}

/// Each series' look, by its place among the summaries (then among the runs, for a series
/// without a summary), so that a series has the same colour on every chart, even one that leaves
/// some series out; and its name in legends, shortened by `short_names`.
struct Looks {
    index: BTreeMap<String, usize>,
    names: BTreeMap<String, String>,
    /// What every series shares, said once in each legend.
    common: Option<String>,
}

impl Looks {
    fn of(results: &StudyResults) -> Looks {
        let axes = &results.study.axes;
        let summarized =
            (results.summaries.iter()).map(|s| series_parts(axes, &s.labels, &s.policy));
        let ran = (results.runs.iter()).filter_map(|r| run_parts(results.study, r));
        let mut index = BTreeMap::new();
        let mut parts = Vec::new();
        for series in summarized.chain(ran) {
            let next = index.len();
            index.entry(series.join(", ")).or_insert_with(|| {
                parts.push(series);
                next
            });
        }
        let (short, common) = short_names(&parts);
        let names = parts.iter().map(|p| p.join(", ")).zip(short).collect();
        Looks {
            index,
            names,
            common,
        }
    }

    fn of_series(&self, label: &str) -> Look {
        Look::of(self.index.get(label).copied().unwrap_or(self.index.len()))
    }

    /// Legend entries for `labels`, each with `swatch` of its look, and a last line naming what
    /// they all share.
    fn legend<'l>(
        &self,
        labels: impl IntoIterator<Item = &'l str>,
        swatch: impl Fn(Look) -> Swatch,
    ) -> Vec<Entry> {
        let mut entries: Vec<Entry> = (labels.into_iter())
            .map(|label| Entry {
                label: self
                    .names
                    .get(label)
                    .cloned()
                    .unwrap_or_else(|| label.to_string()),
                swatch: swatch(self.of_series(label)),
            })
            .collect();
        if let Some(common) = &self.common {
            entries.push(common_entry(common));
        }
        entries
    }
}

/// The legend line for what every series shares.
fn common_entry(common: &str) -> Entry {
    Entry {
        label: format!("all: {common}"),
        swatch: Swatch::Blank,
    }
}

/// `key=value` for a swept key, named by its last segment (`backend.concurrency` as
/// `concurrency`).
fn axis_part(key: &str, value: &str) -> String {
    format!("{}={value}", key.rsplit('.').next().unwrap_or(key))
}

/// Legend names for series given in parts: the parts every series shares are left out (and
/// returned, to be said once), and inline tables lose their quotes and spaces
/// (`origin={ cache = "shared", lock = true }` reads `origin={cache=shared, lock=true}`), so
/// that long sweep labels fit the legend.
fn short_names(parts: &[Vec<String>]) -> (Vec<String>, Option<String>) {
    let width = parts.iter().map(Vec::len).max().unwrap_or(0);
    let shared = |j: usize| parts.len() > 1 && parts.iter().all(|p| p.get(j) == parts[0].get(j));
    let common: Vec<usize> = (0..width).filter(|&j| shared(j)).collect();
    let keep = |p: &Vec<String>| -> String {
        let kept: Vec<String> = (p.iter().enumerate())
            .filter(|(j, _)| common.len() == width || !common.contains(j))
            .map(|(_, part)| compact(part))
            .collect();
        kept.join(", ")
    };
    let names = parts.iter().map(keep).collect();
    let said = (!common.is_empty() && common.len() < width).then(|| {
        let first = &parts[0];
        let words: Vec<String> = common
            .iter()
            .filter_map(|&j| first.get(j))
            .map(|p| compact(p))
            .collect();
        words.join(", ")
    });
    (names, said)
}

/// A label part without TOML's quotes and the spaces around `=` and inside braces.
fn compact(part: &str) -> String {
    part.replace('"', "")
        .replace(" = ", "=")
        .replace("{ ", "{")
        .replace(" }", "}")
}

/// The runs' time series per series, its replications merged bucket by bucket.
struct Timeline {
    series: Vec<SeriesTimeline>,
    /// The end of the latest bucket, in seconds.
    end_s: f64,
    /// The warm-up, when the scenario can be read and every sweep point shares it.
    warmup_s: Option<f64>,
    /// When each `[[events]]` occurrence happened (seconds) and its name, when every sweep point
    /// shares them.
    events: Vec<(f64, String)>,
}

struct SeriesTimeline {
    label: String,
    /// The bucket length, from the gap between bucket starts (0 with a single bucket).
    bucket_s: f64,
    replications: usize,
    buckets: Vec<Bucket>,
}

/// One bucket, summed over the series' replications.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Bucket {
    start_s: f64,
    requests: f64,
    stale_responses: f64,
    regenerations: f64,
    /// Whether any replication had a generation waiting in the backend queue.
    queued: bool,
}

/// The most points a time series is drawn with: about one per 2.5 pixels of plot.
const MAX_POINTS: usize = 360;

impl Bucket {
    /// Consecutive buckets as one.
    fn merged(buckets: &[Bucket]) -> Bucket {
        let start_s = buckets.first().map_or(0.0, |b| b.start_s);
        buckets.iter().fold(
            Bucket {
                start_s,
                ..Bucket::default()
            },
            |sum, b| Bucket {
                start_s,
                requests: sum.requests + b.requests,
                stale_responses: sum.stale_responses + b.stale_responses,
                regenerations: sum.regenerations + b.regenerations,
                queued: sum.queued || b.queued,
            },
        )
    }
}

impl Timeline {
    fn of(results: &StudyResults) -> Timeline {
        let study = results.study;
        let mut series = Vec::new();
        for (label, runs) in runs_by_series(results) {
            let mut buckets: BTreeMap<i64, Bucket> = BTreeMap::new();
            let mut replications = BTreeSet::new();
            for run in runs.into_iter().filter(|r| !r.timeseries.is_empty()) {
                replications.insert(run.replication);
                let length = study.points[run.point].scenario.bucket.as_micros();
                for (i, counts) in run.timeseries.iter().enumerate() {
                    // From integer microseconds, as `timeseries.csv` gives each bucket's start.
                    let start = SimTime::from_micros(length.saturating_mul(i as u64));
                    let start_s = start.as_secs_f64();
                    let b = buckets.entry(start.as_micros() as i64).or_default();
                    b.start_s = start_s;
                    b.requests += counts.requests as f64;
                    b.stale_responses += counts.stale_responses as f64;
                    b.regenerations += counts.regenerations as f64;
                    b.queued |= counts.backend_queue > 0;
                }
            }
            // A series whose runs have no buckets has no time series.
            if replications.is_empty() {
                continue;
            }
            let buckets: Vec<Bucket> = buckets.into_values().collect();
            let bucket_s = buckets
                .windows(2)
                .map(|w| w[1].start_s - w[0].start_s)
                .find(|gap| *gap > 0.0)
                .unwrap_or(0.0);
            series.push(SeriesTimeline {
                label,
                bucket_s,
                replications: replications.len(),
                buckets,
            });
        }
        // More points than the plot has pixels for draw a smear; merging neighbouring buckets
        // keeps a line readable and still a count per (longer) bucket.
        let most = series.iter().map(|s| s.buckets.len()).max().unwrap_or(0);
        let merge = most.div_ceil(MAX_POINTS).max(1);
        if merge > 1 {
            for s in &mut series {
                s.buckets = s.buckets.chunks(merge).map(Bucket::merged).collect();
                s.bucket_s *= merge as f64;
            }
        }
        let end_s = series
            .iter()
            .filter_map(|s| s.buckets.last().map(|b| b.start_s + s.bucket_s))
            .fold(0.0, f64::max);
        Timeline {
            series,
            end_s,
            warmup_s: warmup(study),
            events: site_events(study),
        }
    }
}

/// Every `[[events]]` occurrence (seconds, name), when every sweep point has the same events.
fn site_events(study: &Study) -> Vec<(f64, String)> {
    let Some(first) = study.points.first().map(|p| &p.scenario) else {
        return Vec::new();
    };
    let shared = study
        .points
        .iter()
        .all(|p| p.scenario.events == first.events && p.scenario.duration == first.duration);
    if !shared {
        return Vec::new();
    }
    let mut events: Vec<(f64, String)> = first
        .events
        .iter()
        .flat_map(|e| {
            e.times(first.duration)
                .map(|t| (t.as_secs_f64(), e.name.clone()))
        })
        .collect();
    events.sort_by(|a, b| a.0.total_cmp(&b.0));
    events
}

/// The warm-up in seconds, when every sweep point shares it.
fn warmup(study: &Study) -> Option<f64> {
    let first = study.points.first()?.scenario.warmup;
    let shared = study.points.iter().all(|p| p.scenario.warmup == first);
    (shared && first.as_secs_f64() > 0.0).then(|| first.as_secs_f64())
}

#[cfg(test)]
mod tests;
