//! The comparison printed after a run (docs/model.md §11): one row per policy, the key metrics
//! side by side. A sweep gives one row per (point, policy), with the point's label for each axis
//! before the policy.
//!
//! Meant for a person at a terminal, so numbers are rounded for reading (`1.23%`, `4.20s`,
//! `12,345`); the CSV files keep the precise figures.

use std::io;

use super::Export;
use crate::metrics::RUN_COLUMNS;
use crate::report::format::human;
use crate::report::summary::StudyResults;

/// The run columns shown, and their headings; `report.html`'s comparison shows the same.
pub(crate) const KEY_COLUMNS: [(&str, &str); 12] = [
    ("stale_ratio", "stale"),
    ("stale_age_p99_s", "stale age p99"),
    ("edit_visible_p99_s", "edit visible p99"),
    ("regenerations", "regenerations"),
    ("regenerations_duplicate", "duplicates"),
    ("regen_per_s_peak", "regen/s peak"),
    ("backend_wait_p99_s", "backend wait p99"),
    ("storm_seconds", "storm seconds"),
    ("latency_p99_ms", "latency p99"),
    ("errors", "errors"),
    ("cdn_hit_ratio", "CDN hit"),
    ("cdn_behind_origin_ratio", "CDN behind origin"),
];

/// `KEY_COLUMNS` as (index into `RUN_COLUMNS`, heading), in table order.
pub(crate) fn key_columns() -> Vec<(usize, &'static str)> {
    KEY_COLUMNS
        .iter()
        .filter_map(|&(name, heading)| {
            RUN_COLUMNS
                .iter()
                .position(|c| c.name == name)
                .map(|i| (i, heading))
        })
        .collect()
}

/// The comparison printed after a run: a plain-text table with one row per (point, policy), in
/// study order. Each cell is the mean over replications, with `± ` the half-width of its 95%
/// interval when there is more than one; `n/a` when not measured, `-` for a policy with no runs.
pub struct Table;

impl Export for Table {
    fn render(&self, results: &StudyResults) -> io::Result<Vec<u8>> {
        Ok(comparison_table(results).into_bytes())
    }
}

fn comparison_table(results: &StudyResults) -> String {
    let study = results.study;
    let columns = key_columns();
    let mut heading = axis_headings(&study.axes);
    heading.push("policy".to_string());
    heading.extend(columns.iter().map(|c| c.1.to_string()));
    let mut rows = vec![heading];
    let mut replications = Vec::new();
    for summary in &results.summaries {
        replications.push(summary.replications);
        // A point short of labels would shift every cell after it; pad it to one per axis.
        let mut row = summary.labels.clone();
        row.resize(study.axes.len(), String::new());
        row.push(summary.policy.clone());
        for &(i, _) in &columns {
            let unit = RUN_COLUMNS[i].unit;
            let (mean, ci) = (summary.means[i], summary.ci95[i]);
            row.push(match (mean, ci, summary.replications) {
                (_, _, 0) => "-".to_string(),
                (None, ..) => "n/a".to_string(),
                (Some(mean), _, 1) => human(mean, unit),
                (Some(mean), ci, _) => {
                    format!("{} ± {}", human(mean, unit), human(ci.unwrap_or(0.0), unit))
                }
            });
        }
        rows.push(row);
    }
    let mut text = format!(
        "Scenario \"{}\": {}",
        study.base.name,
        describe_replications(&replications)
    );
    if !study.axes.is_empty() {
        let points = study.points.len();
        let plural = if points == 1 { "" } else { "s" };
        text.push_str(&format!(" — {points} sweep point{plural}"));
    }
    text.push_str("\n\n");
    text.push_str(&align(&rows, study.axes.len() + 1));
    text
}

/// The heading of each axis column: the key's last dotted segment (`concurrency` for
/// `backend.concurrency`) when that names one axis only, else the whole key. A segment that
/// would read as the `policy` column, or that is part of a quoted key, keeps the whole key too.
fn axis_headings(axes: &[String]) -> Vec<String> {
    let shorts: Vec<Option<&str>> = axes
        .iter()
        .map(|key| {
            let segment = key.rsplit_once('.').map_or(key.as_str(), |(_, s)| s);
            let clear = !segment.is_empty() && !segment.contains('"') && segment != "policy";
            clear.then_some(segment)
        })
        .collect();
    axes.iter()
        .zip(&shorts)
        .map(|(key, short)| match short {
            Some(s) if shorts.iter().filter(|&o| o == short).count() == 1 => s.to_string(),
            _ => key.clone(),
        })
        .collect()
}

/// "3 replications per policy", given each policy's count of replications; policies without
/// runs (shown as `-`) do not count. `report.html` says the same under its title.
pub(crate) fn describe_replications(counts: &[usize]) -> String {
    let ran = counts.iter().copied().filter(|&n| n > 0);
    let (min, max) = (ran.clone().min().unwrap_or(0), ran.max().unwrap_or(0));
    let plural = if max == 1 { "" } else { "s" };
    let range = if min == max {
        max.to_string()
    } else {
        format!("{min} to {max}")
    };
    let how = if max > 1 { " (mean ± 95% CI)" } else { "" };
    format!("{range} replication{plural} per policy{how}")
}

/// Lays out rows under a rule: the first `left` columns (the labels and the policy)
/// left-aligned, the figures right-aligned.
fn align(rows: &[Vec<String>], left: usize) -> String {
    let cells = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cells)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let line = |cells: Vec<String>| cells.join("  ").trim_end().to_string() + "\n";
    let mut text = String::new();
    for (n, row) in rows.iter().enumerate() {
        text += &line(
            row.iter()
                .zip(&widths)
                .enumerate()
                .map(|(c, (cell, &w))| {
                    if c < left {
                        format!("{cell:<w$}")
                    } else {
                        format!("{cell:>w$}")
                    }
                })
                .collect(),
        );
        if n == 0 {
            text += &line(widths.iter().map(|&w| "-".repeat(w)).collect());
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::RunResult;
    use crate::report::fixture::{run, run_at, study, sweep};
    use crate::scenario::Study;

    /// The table of `runs` of `study`, as printed.
    fn table_of(study: &Study, runs: &[RunResult]) -> String {
        let results = StudyResults::new(study, runs, false);
        String::from_utf8(Table.render(&results).unwrap()).unwrap()
    }

    #[test]
    fn every_key_column_is_a_run_column() {
        for (name, _) in KEY_COLUMNS {
            assert!(
                RUN_COLUMNS.iter().any(|c| c.name == name),
                "{name} is not a run column"
            );
        }
    }

    #[test]
    fn several_replications_show_mean_and_interval_and_one_shows_the_mean() {
        let runs = [
            run(
                0,
                1,
                0.0,
                &[("stale_ratio", 0.3), ("regenerations", 12_000.0)],
            ),
            run(
                0,
                0,
                0.0,
                &[("stale_ratio", 0.1), ("regenerations", 12_000.0)],
            ),
            run(
                1,
                0,
                0.0,
                &[("stale_ratio", 0.0123), ("latency_p99_ms", 250.4)],
            ),
        ];
        let table = table_of(&study(), &runs);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines[0],
            "Scenario \"tiny\": 1 to 2 replications per policy (mean ± 95% CI)"
        );
        assert!(lines[2].starts_with("policy  ") && lines[2].ends_with("CDN behind origin"));
        let fast = lines.iter().find(|l| l.starts_with("fast")).unwrap();
        let slow = lines.iter().find(|l| l.starts_with("slow")).unwrap();
        // 0.1 and 0.3: mean 20%, half-width 12.706205 * 0.1 = 127.06%.
        assert!(fast.contains("20.00% ± 127.06%"), "{fast}");
        assert!(fast.contains("12,000 ± 0"), "{fast}");
        assert!(
            !slow.contains('±') && slow.contains("1.23%") && slow.contains("250ms"),
            "{slow}"
        );
    }

    #[test]
    fn columns_line_up() {
        let runs = [
            run(0, 0, 1.5, &[]),
            run(0, 1, 1234.5, &[]),
            run(1, 0, 0.0, &[]),
        ];
        let table = table_of(&study(), &runs);
        let body: Vec<&str> = table.lines().skip(2).collect();
        assert_eq!(body.len(), 4);
        let width = body[0].chars().count();
        assert!(body.iter().all(|l| l.chars().count() == width), "{table}");
        assert_eq!(
            table_of(&study(), &[run(1, 0, 0.0, &[])])
                .lines()
                .next()
                .unwrap(),
            "Scenario \"tiny\": 1 replication per policy"
        );
    }

    #[test]
    fn a_sweep_shows_each_policy_at_each_point_under_its_labels() {
        let runs: Vec<_> = (0..4)
            .flat_map(|point| {
                (0..2).map(move |policy| {
                    let errors = (10 * point + policy) as f64;
                    run_at(point, policy, 0, 0.0, &[("errors", errors)])
                })
            })
            .collect();
        let table = table_of(&sweep(), &runs);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines[0],
            "Scenario \"swept\": 1 replication per policy — 4 sweep points"
        );
        assert!(lines[2].starts_with("bucket  origin "), "{table}");
        let policy = lines[2].find("policy").unwrap();
        let shared = r#"{ cache = "shared", lock = true }"#;
        let body = &lines[4..];
        assert_eq!(body.len(), 8, "{table}");
        for (n, line) in body.iter().enumerate() {
            let (point, policy_name) = (n / 2, ["fast", "slow"][n % 2]);
            let bucket = if point < 2 { "2.5s" } else { "1s" };
            let origin = if point % 2 == 0 { r#""local""# } else { shared };
            let labels: Vec<&str> = line[..policy]
                .split("  ")
                .filter(|s| !s.is_empty())
                .collect();
            assert_eq!(labels, [bucket, origin.trim()], "{line}");
            assert!(line[policy..].starts_with(policy_name), "{line}");
            // The errors column is the one before the two CDN ratios.
            let errors: Vec<&str> = line.split_whitespace().rev().take(3).collect();
            assert_eq!(errors[2], (10 * point + n % 2).to_string(), "{line}");
        }
        let width = lines[2].chars().count();
        assert!(body.iter().all(|l| l.chars().count() == width), "{table}");
    }

    #[test]
    fn a_metric_no_replication_measured_shows_n_a() {
        let mut runs = [run(0, 0, 1.0, &[]), run(0, 1, 1.0, &[])];
        let i = crate::metrics::column("stale_age_p99_s").unwrap();
        runs.iter_mut().for_each(|r| r.metrics.0[i] = None);
        let table = table_of(&study(), &runs);
        let lines: Vec<&str> = table.lines().collect();
        // The stale age column is the second figure; `slow` had no runs at all.
        let fast: Vec<&str> = lines[4].split("  ").filter(|c| !c.is_empty()).collect();
        assert_eq!(fast[2].trim(), "n/a", "{table}");
        assert!(
            lines[5].starts_with("slow") && lines[5].contains(" - "),
            "{table}"
        );
    }

    #[test]
    fn a_table_does_not_depend_on_the_order_runs_arrive_in() {
        let runs: Vec<_> = (0..4)
            .flat_map(|p| (0..2).map(move |r| run_at(p, 1, r, f64::from(r) + p as f64, &[])))
            .collect();
        let reversed: Vec<_> = runs.iter().rev().cloned().collect();
        assert_eq!(table_of(&sweep(), &runs), table_of(&sweep(), &reversed));
    }

    #[test]
    fn an_axis_is_headed_by_its_last_segment_when_no_other_axis_ends_alike() {
        let axes = [
            "backend.concurrency",
            "policies.fast.revalidate",
            "policies.slow.revalidate",
            "origin",
            r#"routes."a.b""#,
            "routes.posts.policy",
        ]
        .map(String::from);
        assert_eq!(
            axis_headings(&axes),
            [
                "concurrency",
                "policies.fast.revalidate",
                "policies.slow.revalidate",
                "origin",
                r#"routes."a.b""#,
                "routes.posts.policy",
            ]
        );
    }
}
