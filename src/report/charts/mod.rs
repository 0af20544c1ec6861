//! Charts of a results folder, drawn with plotters into `charts/`, each as SVG and PNG.
//!
//! One file per chart kind; `style` holds what they share (palette, font, legend, and the
//! function that draws a figure on both backends). Every chart reads only the `Results` of the
//! folder's files, so `isrsim plot` redraws exactly what `isrsim run` drew, and the same files
//! give the same bytes: series keep the order of the CSV rows, maps are `BTreeMap`s, and nothing
//! depends on the clock. A chart drawn from no data (no rows, no stale responses) is still
//! written, with a note saying so, so the report never links to a missing file.

mod comparison;
mod latency;
mod regenerations;
mod stale_age_cdf;
mod staleness;
mod style;
mod sweep;

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::Path;

use super::SCENARIO_FILE;
use super::results::{Results, Table};
use crate::scenario::Study;
use style::{Entry, Look, Swatch};

/// A chart written as `charts/{name}.svg` and `charts/{name}.png`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chart {
    pub name: String,
    pub title: String,
    /// One or two sentences: what the chart shows and how to read it.
    pub caption: String,
}

impl Chart {
    /// Draws `figure` into `dir` as `{name}.svg` and `{name}.png`, and describes it for the report.
    fn drawn(
        dir: &Path,
        name: &str,
        title: &str,
        caption: &str,
        figure: &impl style::Figure,
    ) -> io::Result<Chart> {
        style::render(dir, name, figure)?;
        Ok(Chart {
            name: name.to_string(),
            title: title.to_string(),
            caption: caption.to_string(),
        })
    }
}

/// Draws every chart of `results` into `dir`, in the order the report shows them.
pub fn draw_all(results: &Results, dir: &Path) -> io::Result<Vec<Chart>> {
    let looks = Looks::of(results);
    let timeline = Timeline::of(results);
    let mut charts = vec![
        staleness::draw(results, &looks, &timeline, dir)?,
        regenerations::draw(results, &looks, &timeline, dir)?,
        stale_age_cdf::draw(results, &looks, dir)?,
        comparison::draw(results, &looks, dir)?,
        latency::draw(results, &looks, dir)?,
    ];
    if !results.axes.is_empty() {
        charts.extend(sweep::draw(results, dir)?);
    }
    Ok(charts)
}

/// A title naming the scenario, when the folder names one.
fn title(results: &Results, what: &str) -> String {
    if results.name.is_empty() {
        what.to_string()
    } else {
        format!("{}: {what}", results.name)
    }
}

/// A row's value in a column, when it is a finite number.
fn finite(table: &Table, row: &[String], column: &str) -> Option<f64> {
    let i = table.column(column)?;
    row.get(i)?.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The rows of `table`, grouped by series label in the order the series first appear.
fn by_series<'t>(results: &Results, table: &'t Table) -> Vec<(String, Vec<&'t [String]>)> {
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut groups: Vec<(String, Vec<&'t [String]>)> = Vec::new();
    for row in &table.rows {
        let label = results.series(table, row);
        let i = *index.entry(label.clone()).or_insert_with(|| {
            groups.push((label, Vec::new()));
            groups.len() - 1
        });
        groups[i].1.push(row.as_slice());
    }
    groups
}

/// Each series' look, by its place in `summary.csv` (then in the files naming series it lacks),
/// so that a series has the same colour on every chart, even one that leaves some series out;
/// and its name in legends, shortened by `short_names`.
struct Looks {
    index: BTreeMap<String, usize>,
    names: BTreeMap<String, String>,
    /// What every series shares, said once in each legend.
    common: Option<String>,
}

impl Looks {
    fn of(results: &Results) -> Looks {
        let mut index = BTreeMap::new();
        let mut parts = Vec::new();
        for table in [
            &results.summary,
            &results.timeseries,
            &results.distributions,
        ] {
            for (label, rows) in by_series(results, table) {
                let next = index.len();
                index.entry(label).or_insert_with(|| {
                    parts.push(series_parts(results, table, rows[0]));
                    next
                });
            }
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

/// A series' name in parts, as `Results::series` joins them: `axis=value` per swept key (the
/// key's last segment), then the policy.
fn series_parts(results: &Results, table: &Table, row: &[String]) -> Vec<String> {
    let mut parts: Vec<String> = (results.axes.iter())
        .map(|a| axis_part(a, table.text(row, a)))
        .collect();
    parts.push(table.text(row, "policy").to_string());
    parts
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

/// `timeseries.csv` per series, its replications merged bucket by bucket.
struct Timeline {
    series: Vec<SeriesTimeline>,
    /// The end of the latest bucket, in seconds.
    end_s: f64,
    /// The warm-up, when the scenario can be read and every sweep point shares it.
    warmup_s: Option<f64>,
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
    fn of(results: &Results) -> Timeline {
        let table = &results.timeseries;
        let mut series = Vec::new();
        for (label, rows) in by_series(results, table) {
            let mut buckets: BTreeMap<i64, Bucket> = BTreeMap::new();
            let mut replications = BTreeSet::new();
            for row in rows {
                let Some(start_s) = finite(table, row, "t_s") else {
                    continue;
                };
                replications.insert(table.text(row, "replication"));
                // Keyed by whole microseconds, the simulator's unit, so float text cannot split a
                // bucket in two.
                let b = buckets.entry((start_s * 1e6).round() as i64).or_default();
                b.start_s = start_s;
                let count = |c| finite(table, row, c).unwrap_or(0.0).max(0.0);
                b.requests += count("requests");
                b.stale_responses += count("stale_responses");
                b.regenerations += count("regenerations");
                b.queued |= count("backend_queue") > 0.0;
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
                replications: replications.len().max(1),
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
            warmup_s: warmup(results),
        }
    }
}

/// The scenario's warm-up in seconds, if the scenario reads and every sweep point agrees.
fn warmup(results: &Results) -> Option<f64> {
    let study = Study::parse(&results.scenario, Path::new(SCENARIO_FILE)).ok()?;
    let first = study.points.first()?.scenario.warmup;
    let shared = study.points.iter().all(|p| p.scenario.warmup == first);
    (shared && first.as_secs_f64() > 0.0).then(|| first.as_secs_f64())
}

#[cfg(test)]
mod tests;
