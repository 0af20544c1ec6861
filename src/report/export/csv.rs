//! `runs.csv`, `summary.csv`, `timeseries.csv` and `routes.csv` (docs/model.md §11), and
//! `distributions.csv`, the stale-age and latency quantiles the charts draw.
//!
//! Same seed, same bytes (docs/model.md §2.3): rows follow the study's order of sweep points,
//! then the point's order of policies and routes, then the replication number, and every number
//! goes through `format_value`, which rounds to a fixed number of decimals instead of printing the
//! shortest round-trip form of each float.
//!
//! A sweep adds one column per axis, headed by the axis key and holding the point's label, right
//! after `scenario` (first in `timeseries.csv`). Without a sweep there are no such columns and the
//! files are exactly those of a single scenario. Labels can hold commas and quotes (an inline
//! table such as `{ cache = "shared", lock = true }`); the csv writer quotes them.

use std::io;

use csv::Writer;

use super::Export;
use crate::metrics::{QUANTILES, ROUTE_COLUMNS, RUN_COLUMNS, TIMESERIES_COLUMNS, Unit};
use crate::results::layout::{LATENCY, STALE_AGE, bucket_start};
use crate::results::{StudyResults, Summary};
use crate::scenario::Study;

/// `runs.csv`: one row per run, its identity then every run column.
pub struct Runs;

/// `summary.csv`: one row per (point, policy), each run column's mean over replications and its
/// 95% half-width.
pub struct Summaries;

/// `timeseries.csv`: one row per (point, policy, replication, bucket).
pub struct Timeseries;

/// `routes.csv`: one row per (point, policy, route), in the point's route order.
pub struct Routes;

/// `distributions.csv`: one row per (point, policy, replication, metric, quantile), stale age
/// and latency at `QUANTILES`, for the CDF and percentile charts.
pub struct Distributions;

impl Export for Runs {
    fn render(&self, results: &StudyResults) -> io::Result<Vec<u8>> {
        csv_bytes(|out| {
            let columns = names(&["policy", "replication", "seed"]);
            let metrics = RUN_COLUMNS.iter().map(|c| c.name.to_string());
            out.write_record(header(results.study, true, columns.chain(metrics)))?;
            for summary in &results.summaries {
                for run in results.runs_of(summary) {
                    let mut row = identity(results.study, summary, true);
                    row.extend([run.replication.to_string(), run.seed.to_string()]);
                    row.extend(cells(RUN_COLUMNS.iter().map(|c| c.unit), &run.metrics.0));
                    out.write_record(&row)?;
                }
            }
            Ok(())
        })
    }
}

impl Export for Summaries {
    fn render(&self, results: &StudyResults) -> io::Result<Vec<u8>> {
        csv_bytes(|out| {
            let columns = names(&["policy", "replications"]);
            let metrics = with_ci95(RUN_COLUMNS.iter().map(|c| c.name));
            out.write_record(header(results.study, true, columns.chain(metrics)))?;
            for summary in &results.summaries {
                let mut row = identity(results.study, summary, true);
                row.push(summary.replications.to_string());
                let units = RUN_COLUMNS.iter().map(|c| c.unit);
                row.extend(estimates(units, &summary.means, &summary.ci95));
                out.write_record(&row)?;
            }
            Ok(())
        })
    }
}

impl Export for Timeseries {
    /// `t_s` is the bucket's start, in the point's own bucket length (a sweep may vary it).
    fn render(&self, results: &StudyResults) -> io::Result<Vec<u8>> {
        csv_bytes(|out| {
            let columns =
                names(&["policy", "replication", "t_s"]).chain(names(&TIMESERIES_COLUMNS));
            out.write_record(header(results.study, false, columns))?;
            for summary in &results.summaries {
                let length = results.study.points[summary.point].scenario.bucket;
                for run in results.runs_of(summary) {
                    for (i, bucket) in run.timeseries.iter().enumerate() {
                        let mut row = identity(results.study, summary, false);
                        row.push(run.replication.to_string());
                        row.push(format_value(bucket_start(length, i), Unit::Seconds));
                        row.extend(
                            bucket
                                .values()
                                .iter()
                                .map(|&v| format_value(v as f64, Unit::Count)),
                        );
                        out.write_record(&row)?;
                    }
                }
            }
            Ok(())
        })
    }
}

impl Export for Routes {
    fn render(&self, results: &StudyResults) -> io::Result<Vec<u8>> {
        csv_bytes(|out| {
            let columns = names(&["policy", "route", "replications"]);
            let metrics = with_ci95(ROUTE_COLUMNS.iter().map(|c| c.name));
            out.write_record(header(results.study, true, columns.chain(metrics)))?;
            for summary in &results.summaries {
                for route in &summary.routes {
                    let mut row = identity(results.study, summary, true);
                    row.extend([route.route.clone(), route.replications.to_string()]);
                    let units = ROUTE_COLUMNS.iter().map(|c| c.unit);
                    row.extend(estimates(units, &route.means, &route.ci95));
                    out.write_record(&row)?;
                }
            }
            Ok(())
        })
    }
}

impl Export for Distributions {
    fn render(&self, results: &StudyResults) -> io::Result<Vec<u8>> {
        csv_bytes(|out| {
            let columns = names(&["policy", "replication", "metric", "quantile", "value"]);
            out.write_record(header(results.study, true, columns))?;
            for summary in &results.summaries {
                for run in results.runs_of(summary) {
                    let d = &run.distributions;
                    for (metric, values, unit) in [
                        (STALE_AGE, &d.stale_age_s, Unit::Seconds),
                        (LATENCY, &d.latency_ms, Unit::Millis),
                    ] {
                        for (q, &value) in QUANTILES.iter().zip(values) {
                            let mut row = identity(results.study, summary, true);
                            row.extend([run.replication.to_string(), metric.to_string()]);
                            row.extend([format_value(*q, Unit::Ratio), format_value(value, unit)]);
                            out.write_record(&row)?;
                        }
                    }
                }
            }
            Ok(())
        })
    }
}

/// A file's bytes, as the csv writer makes them.
pub(super) fn csv_bytes(
    fill: impl FnOnce(&mut Writer<Vec<u8>>) -> csv::Result<()>,
) -> io::Result<Vec<u8>> {
    let mut out = Writer::from_writer(Vec::new());
    fill(&mut out)?;
    out.into_inner()
        .map_err(|e| io::Error::other(e.to_string()))
}

/// A header: `scenario` (when `scenario` is set), the axis keys, then `columns`.
fn header(study: &Study, scenario: bool, columns: impl IntoIterator<Item = String>) -> Vec<String> {
    let first = scenario.then(|| "scenario".to_string());
    first
        .into_iter()
        .chain(study.axes.iter().cloned())
        .chain(columns)
        .collect()
}

/// The identity a row starts with: the study's name (when `scenario` is set), then the labels of
/// the summary's point, then the policy.
fn identity(study: &Study, summary: &Summary, scenario: bool) -> Vec<String> {
    let first = scenario.then(|| study.base.name.clone());
    first
        .into_iter()
        .chain(summary.labels.iter().cloned())
        .chain([summary.policy.clone()])
        .collect()
}

/// Each value in its unit, empty when not measured.
fn cells<'v>(
    units: impl Iterator<Item = Unit> + 'v,
    values: &'v [Option<f64>],
) -> impl Iterator<Item = String> + 'v {
    units
        .zip(values)
        .map(|(unit, x)| x.map_or(String::new(), |x| format_value(x, unit)))
}

/// Each mean followed by its half-width, in their unit, empty when not measured.
fn estimates(
    units: impl Iterator<Item = Unit>,
    means: &[Option<f64>],
    ci95: &[Option<f64>],
) -> Vec<String> {
    let units: Vec<Unit> = units.collect();
    let means = cells(units.iter().copied(), means);
    let cis = cells(units.iter().copied(), ci95);
    means.zip(cis).flat_map(|(m, c)| [m, c]).collect()
}

/// Each route or run column's name followed by `NAME_ci95`.
fn with_ci95(names: impl Iterator<Item = &'static str>) -> impl Iterator<Item = String> {
    names.flat_map(|n| [n.to_string(), format!("{n}_ci95")])
}

/// Column names as owned strings, to chain with computed ones.
fn names(names: &[&str]) -> impl Iterator<Item = String> {
    names.iter().map(|n| n.to_string())
}

/// Every number in the CSV files: whole counts as integers, anything else rounded to 6 decimals
/// with trailing zeros trimmed (`0.5`, `12.345679`, `0`). Metrics are never NaN or infinite by
/// contract; should one slip through it prints as `0` rather than as text a reader cannot parse.
fn format_value(x: f64, unit: Unit) -> String {
    if !x.is_finite() {
        return "0".to_string();
    }
    // Below 2^53 every integer is exact in an f64, so the conversion loses nothing.
    if unit == Unit::Count && x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
        return (x as i64).to_string();
    }
    let fixed = format!("{x:.6}");
    let trimmed = fixed.trim_end_matches('0').trim_end_matches('.');
    // A tiny negative rounds to "-0", which is zero.
    if trimmed == "-0" {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::RunResult;
    use crate::results::fixture::{run, run_at, study, sweep};

    /// The run columns in the order of docs/model.md §11.4's table.
    const RUN_COLUMN_NAMES: &str = "requests,errors,stale_responses,stale_ratio,stale_age_p50_s,\
        stale_age_p99_s,stale_age_max_s,cdn_hit_ratio,shield_requests,shield_hit_ratio,\
        origin_requests,regenerations,regenerations_failed,regenerations_wasted,\
        regenerations_duplicate,build_renders,webhook_retries,regen_per_s_peak,backend_inflight_peak,\
        backend_wait_p99_s,storm_seconds,backend_queued_ratio,latency_p50_ms,latency_p99_ms,latency_max_ms,\
        edit_visible_p50_s,edit_visible_p99_s,edits_unseen,cdn_behind_origin_ratio,\
        pages_regen_gap_over_alert,purge_requests,tag_invalidations,regenerations_deduplicated,\
        cost_usd,cost_usd_month";
    const ROUTE_NAMES: &str = "requests,stale_responses,stale_ratio,stale_age_p50_s,\
        stale_age_p99_s,stale_age_max_s,cdn_hit_ratio,regenerations,regenerations_failed,\
        edit_visible_p50_s,edit_visible_p99_s,edits_unseen,pages_regen_gap_over_alert,\
        tag_invalidations,regenerations_deduplicated";

    const WRITERS: [&dyn Export; 4] = [&Runs, &Summaries, &Timeseries, &Routes];

    /// What `export` makes of `runs` of the tiny scenario, without a sweep.
    fn render(export: &dyn Export, runs: &[RunResult]) -> String {
        render_study(&study(), export, runs)
    }

    fn render_study(study: &Study, export: &dyn Export, runs: &[RunResult]) -> String {
        let results = StudyResults::new(study, runs, false);
        String::from_utf8(export.render(&results).unwrap()).unwrap()
    }

    fn with_ci(names: &str) -> String {
        names
            .split(',')
            .map(|n| format!("{n},{n}_ci95"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The named field of each data row.
    fn field(text: &str, name: &str) -> Vec<String> {
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        let i = reader
            .headers()
            .unwrap()
            .iter()
            .position(|h| h == name)
            .unwrap();
        reader
            .records()
            .map(|r| r.unwrap()[i].to_string())
            .collect()
    }

    /// The first `n` fields of each data row, parsed (so unquoted) and joined with `|`.
    fn leading(text: &str, n: usize) -> Vec<String> {
        ::csv::Reader::from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().take(n).collect::<Vec<_>>().join("|"))
            .collect()
    }

    /// Two replications of both policies at every point of the sweep, each run's fill naming it:
    /// `10 * point + policy + replication / 10`.
    fn sweep_runs() -> Vec<RunResult> {
        let mut runs = Vec::new();
        for point in 0..4 {
            for policy in 0..2 {
                for replication in 0..2 {
                    let fill = (10 * point + policy) as f64 + f64::from(replication) / 10.0;
                    runs.push(run_at(point, policy, replication, fill, &[]));
                }
            }
        }
        runs
    }

    #[test]
    fn headers_are_exactly_as_specified() {
        let header = |write| render(write, &[]).lines().next().unwrap().to_string();
        let expected = [
            format!("scenario,policy,replication,seed,{RUN_COLUMN_NAMES}"),
            format!("scenario,policy,replications,{}", with_ci(RUN_COLUMN_NAMES)),
            "policy,replication,t_s,requests,stale_responses,regenerations,\
             regenerations_inflight,origin_requests,backend_queue"
                .to_string(),
            format!(
                "scenario,policy,route,replications,{}",
                with_ci(ROUTE_NAMES)
            ),
        ];
        for (write, expected) in WRITERS.into_iter().zip(expected) {
            assert_eq!(header(write), expected);
        }
    }

    #[test]
    fn summary_holds_the_mean_and_t_interval_of_the_replications() {
        let runs = [
            run(0, 0, 0.0, &[("stale_ratio", 0.1), ("requests", 1000.0)]),
            run(0, 1, 0.0, &[("stale_ratio", 0.3), ("requests", 1001.0)]),
            run(1, 0, 2.0, &[]),
        ];
        let text = render(&Summaries, &runs);
        assert_eq!(field(&text, "policy"), ["fast", "slow"]);
        assert_eq!(field(&text, "replications"), ["2", "1"]);
        // n = 2, t(0.975, 1) = 12.706205: 0.1 and 0.3 have s = 0.141421, so 12.706205 * 0.1;
        // 1000 and 1001 have s = 0.707107, so 12.706205 * 0.5.
        assert_eq!(field(&text, "stale_ratio"), ["0.2", "2"]);
        assert_eq!(field(&text, "stale_ratio_ci95"), ["1.27062", "0"]);
        assert_eq!(field(&text, "requests"), ["1000.5", "2"]);
        assert_eq!(field(&text, "requests_ci95"), ["6.353102", "0"]);
        assert_eq!(field(&text, "errors"), ["0", "2"]);
        assert_eq!(field(&text, "errors_ci95"), ["0", "0"]);
    }

    #[test]
    fn rows_do_not_depend_on_the_order_runs_arrive_in() {
        let runs = vec![
            run(0, 0, 1.0, &[]),
            run(0, 1, 2.0, &[]),
            run(1, 0, 3.0, &[]),
            run(1, 1, 4.0, &[]),
        ];
        let shuffled = [
            runs[3].clone(),
            runs[0].clone(),
            runs[2].clone(),
            runs[1].clone(),
        ];
        for write in WRITERS {
            assert_eq!(render(write, &runs), render(write, &shuffled));
        }
        let text = render(&Runs, &shuffled);
        let identities: Vec<_> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').take(5).collect::<Vec<_>>().join(","))
            .collect();
        assert_eq!(
            identities,
            [
                "tiny,fast,0,1000,1",
                "tiny,fast,1,1001,2",
                "tiny,slow,0,1000,3",
                "tiny,slow,1,1001,4"
            ]
        );
    }

    #[test]
    fn distributions_list_each_runs_quantiles_and_none_for_a_metric_without_samples() {
        // The fixture's stale age at quantile q is fill * q, its latency 10 + 100 q.
        let mut runs = [run(0, 0, 2.0, &[]), run(1, 0, 4.0, &[])];
        runs[1].distributions.stale_age_s.clear();
        let text = render(&Distributions, &runs);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "scenario,policy,replication,metric,quantile,value"
        );
        assert_eq!(lines.len(), 1 + 3 * QUANTILES.len());
        assert_eq!(lines[2], "tiny,fast,0,stale_age_s,0.05,0.1");
        assert_eq!(lines[QUANTILES.len()], "tiny,fast,0,stale_age_s,1,2");
        assert_eq!(lines[1 + QUANTILES.len()], "tiny,fast,0,latency_ms,0,10");
        assert_eq!(
            lines[1 + 2 * QUANTILES.len()],
            "tiny,slow,0,latency_ms,0,10"
        );
    }

    #[test]
    fn timeseries_rows_start_at_each_bucket() {
        // The fixture's buckets are 2.5 s long and hold 3 then 4 requests.
        let text = render(&Timeseries, &[run(1, 0, 0.0, &[])]);
        let rows: Vec<_> = text.lines().skip(1).collect();
        assert_eq!(rows, ["slow,0,0,3,0,0,0,0,0", "slow,0,2.5,4,0,0,0,0,0"]);
    }

    #[test]
    fn routes_follow_the_scenario_order_and_average_the_replications() {
        // Each run lists `tags` (fill + 1) before `posts` (fill); fills 1 and 3 give means 2 and
        // 4 with s = 1.414214, so a half-width of 12.706205 * 1. A policy with no runs measured
        // nothing: its cells are empty.
        let text = render(&Routes, &[run(0, 0, 1.0, &[]), run(0, 1, 3.0, &[])]);
        let rows: Vec<_> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').take(6).collect::<Vec<_>>().join(","))
            .collect();
        assert_eq!(
            rows,
            [
                "tiny,fast,posts,2,2,12.706205",
                "tiny,fast,tags,2,3,12.706205",
                "tiny,slow,posts,0,,",
                "tiny,slow,tags,0,,",
            ]
        );
    }

    #[test]
    fn seeds_and_counts_print_exactly() {
        let mut big = run(
            0,
            0,
            0.0,
            &[("requests", 123_456_789_012.0), ("stale_ratio", 1.0 / 3.0)],
        );
        big.seed = u64::MAX;
        let text = render(&Runs, &[big]);
        assert_eq!(field(&text, "seed"), ["18446744073709551615"]);
        assert_eq!(field(&text, "requests"), ["123456789012"]);
        assert_eq!(field(&text, "stale_ratio"), ["0.333333"]);
    }

    const SHARED: &str = r#"{ cache = "shared", lock = true }"#;

    #[test]
    fn a_sweep_puts_one_column_per_axis_after_scenario_or_first_in_timeseries() {
        let header = |write| {
            let text = render_study(&sweep(), write, &[]);
            text.lines().next().unwrap().to_string()
        };
        assert_eq!(
            header(&Runs),
            format!("scenario,bucket,origin,policy,replication,seed,{RUN_COLUMN_NAMES}")
        );
        assert_eq!(
            header(&Summaries),
            format!(
                "scenario,bucket,origin,policy,replications,{}",
                with_ci(RUN_COLUMN_NAMES)
            )
        );
        assert_eq!(
            header(&Timeseries),
            "bucket,origin,policy,replication,t_s,requests,stale_responses,regenerations,\
             regenerations_inflight,origin_requests,backend_queue"
        );
        assert_eq!(
            header(&Routes),
            format!(
                "scenario,bucket,origin,policy,route,replications,{}",
                with_ci(ROUTE_NAMES)
            )
        );
    }

    #[test]
    fn a_sweep_has_one_row_per_point_policy_and_replication_labelled_by_its_point() {
        let text = render_study(&sweep(), &Runs, &sweep_runs());
        let mut expected = Vec::new();
        let local = r#""local""#;
        for (bucket, origin) in [
            ("2.5s", local),
            ("2.5s", SHARED),
            ("1s", local),
            ("1s", SHARED),
        ] {
            for policy in ["fast", "slow"] {
                for replication in 0..2 {
                    expected.push(format!("swept|{bucket}|{origin}|{policy}|{replication}"));
                }
            }
        }
        assert_eq!(leading(&text, 5), expected);
        // Point 3 (1s, shared), policy `slow`, replication 1.
        assert_eq!(field(&text, "requests")[15], "31.1");
    }

    #[test]
    fn a_label_with_commas_and_quotes_is_quoted() {
        let text = render_study(&sweep(), &Summaries, &sweep_runs());
        let row = text.lines().nth(3).unwrap();
        assert!(
            row.starts_with(r#"swept,2.5s,"{ cache = ""shared"", lock = true }",fast,2,"#),
            "{row}"
        );
        assert_eq!(field(&text, "origin")[2], SHARED);
    }

    #[test]
    fn a_sweep_summarises_each_policy_at_each_point() {
        let text = render_study(&sweep(), &Summaries, &sweep_runs());
        assert_eq!(field(&text, "policy"), ["fast", "slow"].repeat(4));
        assert_eq!(field(&text, "replications"), ["2"; 8]);
        // Fills 10p + q and 10p + q + 0.1: mean 10p + q + 0.05, s = 0.070711, so a half-width of
        // 12.706205 * 0.05.
        assert_eq!(
            field(&text, "requests"),
            [
                "0.05", "1.05", "10.05", "11.05", "20.05", "21.05", "30.05", "31.05"
            ]
        );
        assert_eq!(field(&text, "requests_ci95"), ["0.63531"; 8]);
        let routes = render_study(&sweep(), &Routes, &sweep_runs());
        assert_eq!(routes.lines().count(), 1 + 4 * 2 * 2);
        assert_eq!(
            leading(&routes, 6)[14..],
            [
                format!("swept|1s|{SHARED}|slow|posts|2"),
                format!("swept|1s|{SHARED}|slow|tags|2"),
            ]
        );
    }

    #[test]
    fn a_sweep_times_buckets_with_each_points_own_bucket_length() {
        let runs = [run_at(0, 1, 0, 0.0, &[]), run_at(3, 0, 1, 0.0, &[])];
        let text = render_study(&sweep(), &Timeseries, &runs);
        let rows: Vec<_> = text.lines().skip(1).collect();
        let local = r#""""local""""#;
        let shared = r#""{ cache = ""shared"", lock = true }""#;
        assert_eq!(
            rows,
            [
                format!("2.5s,{local},slow,0,0,3,0,0,0,0,0"),
                format!("2.5s,{local},slow,0,2.5,4,0,0,0,0,0"),
                format!("1s,{shared},fast,1,0,3,0,0,0,0,0"),
                format!("1s,{shared},fast,1,1,4,0,0,0,0,0"),
            ]
        );
    }

    #[test]
    fn a_sweep_does_not_depend_on_the_order_runs_arrive_in() {
        let runs = sweep_runs();
        // Reversed, then every other run moved to the front: no run keeps its place.
        let mut shuffled: Vec<_> = runs.iter().rev().cloned().collect();
        let (even, odd): (Vec<_>, Vec<_>) = shuffled
            .drain(..)
            .enumerate()
            .partition(|(i, _)| i % 2 == 0);
        shuffled = odd.into_iter().chain(even).map(|(_, r)| r).collect();
        for write in WRITERS {
            assert_eq!(
                render_study(&sweep(), write, &runs),
                render_study(&sweep(), write, &shuffled)
            );
        }
    }

    #[test]
    fn values_have_at_most_six_decimals_and_no_trailing_zeros() {
        assert_eq!(format_value(0.5, Unit::Ratio), "0.5");
        assert_eq!(format_value(12.3456789, Unit::Seconds), "12.345679");
        assert_eq!(format_value(0.0, Unit::Millis), "0");
        assert_eq!(format_value(3.0, Unit::Count), "3");
        assert_eq!(format_value(3.0, Unit::Seconds), "3");
        assert_eq!(format_value(2.5, Unit::Count), "2.5");
        assert_eq!(format_value(1e-7, Unit::Seconds), "0");
        assert_eq!(format_value(-1e-7, Unit::Seconds), "0");
        assert_eq!(format_value(-0.0, Unit::Count), "0");
        assert_eq!(format_value(-1.25, Unit::Seconds), "-1.25");
        assert_eq!(format_value(f64::NAN, Unit::Ratio), "0");
        assert_eq!(format_value(f64::INFINITY, Unit::Count), "0");
    }
}
