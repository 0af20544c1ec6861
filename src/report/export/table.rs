//! The comparison printed after a run (docs/model.md §11): one row per policy, metrics side by
//! side. A sweep gives one row per (point, policy), with the point's label for each axis before
//! the policy.
//!
//! Two layouts, chosen by where stdout goes (README, "The table on stdout"):
//! - at a terminal, for a person: the few metrics a reviewer needs first (`TERMINAL_COLUMNS`),
//!   each mean and interval in one unit scaled to them (`4.1 ± 1.2 h`), headings over two lines,
//!   and as many columns as fit the terminal's width, the rightmost left out first;
//! - elsewhere (a pipe, a file, a CI log), for scripts as well: every key column, each in its
//!   fixed unit named in the heading, numbers with no thousands separators, and no width limit,
//!   so the layout does not depend on where it is read.
//!
//! `--wide` shows every key column and `--columns` the run columns it names, in either layout.
//! The CSV files keep the precise figures.
//!
//! A `*` after a figure of a policy other than its point's first says that it differs from the
//! first policy's beyond the 95% paired interval of their per-replication differences
//! (`results::diff::paired`: every policy saw the same users and edits); a legend under the
//! table says so, or that one replication has no paired interval. The table reads only
//! `StudyResults`, whose runs a results folder holds too (`runs.csv`), so a folder re-shown
//! gives the same marks.

use std::io::{self, IsTerminal};

use super::Export;
use crate::metrics::{RUN_COLUMNS, Unit};
use crate::report::format::{Rounding, align_columns, estimate, wrap};
use crate::results::diff::paired::differs;
use crate::results::{StudyResults, Summary};

/// The run columns of the comparison, and their headings; `report.html`'s comparison shows the
/// same, and the table shows them all with `--wide` or where stdout is not a terminal.
pub(crate) const KEY_COLUMNS: [(&str, &str); 13] = [
    ("stale_ratio", "stale"),
    ("stale_age_p99_s", "stale age p99"),
    ("edit_visible_p99_s", "edit visible p99"),
    ("regenerations", "regenerations"),
    ("regenerations_failed", "regenerations failed"),
    ("regenerations_duplicate", "duplicates"),
    ("regen_per_s_peak", "regen/s peak"),
    ("backend_wait_p99_s", "backend wait p99"),
    ("storm_seconds", "storm seconds"),
    ("latency_p99_ms", "latency p99"),
    ("errors", "errors"),
    ("cdn_hit_ratio", "CDN hit"),
    ("cdn_behind_origin_ratio", "CDN behind origin"),
];

/// The columns a terminal shows by default, in order: how stale users' pages were and for how
/// long, how long an edit took to reach them, what that cost the backend, and what users waited.
/// When the terminal is too narrow, the last ones are left out first.
pub(crate) const TERMINAL_COLUMNS: [&str; 7] = [
    "stale_ratio",
    "stale_age_p99_s",
    "edit_visible_p99_s",
    "regenerations",
    "regenerations_failed",
    "backend_wait_p99_s",
    "latency_p99_ms",
];

/// `KEY_COLUMNS` as (index into `RUN_COLUMNS`, heading), in table order.
pub(crate) fn key_columns() -> Vec<(usize, &'static str)> {
    KEY_COLUMNS
        .iter()
        .filter_map(|&(name, heading)| column(name).map(|i| (i, heading)))
        .collect()
}

/// `key_columns`, then `cost_usd_month` when the study prices its runs (`[cost]`).
pub(crate) fn key_columns_of(results: &StudyResults) -> Vec<(usize, &'static str)> {
    let mut columns = key_columns();
    if let Some(i) = priced(results) {
        columns.push((i, "cost/month"));
    }
    columns
}

/// The column of `cost_usd_month`, when the study has a `[cost]` table.
fn priced(results: &StudyResults) -> Option<usize> {
    (results.study.base.cost.is_some())
        .then(|| column("cost_usd_month"))
        .flatten()
}

fn column(name: &str) -> Option<usize> {
    RUN_COLUMNS.iter().position(|c| c.name == name)
}

/// A run column's heading: its `KEY_COLUMNS` one, or its name.
fn heading(i: usize) -> &'static str {
    let name = RUN_COLUMNS[i].name;
    match name {
        "cost_usd_month" => "cost/month",
        _ => KEY_COLUMNS
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(name, |(_, h)| h),
    }
}

/// Reads a `--columns` item: the name of a run column (`stale_ratio`, `latency_p99_ms`).
pub fn parse_column(name: &str) -> Result<usize, String> {
    column(name.trim()).ok_or_else(|| {
        let names: Vec<&str> = RUN_COLUMNS.iter().map(|c| c.name).collect();
        format!(
            "`{name}` is not a column of runs.csv; the columns are {}",
            names.join(", ")
        )
    })
}

/// Which metrics the table shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Columns {
    /// `TERMINAL_COLUMNS` at a terminal, fitted to its width; every key column elsewhere.
    #[default]
    Default,
    /// Every key column (`--wide`).
    Wide,
    /// These run columns, in this order (`--columns`), as indices into `RUN_COLUMNS`.
    Named(Vec<usize>),
}

/// How the table writes its figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// For a person at a terminal `width` characters wide (no limit when unknown).
    Terminal { width: Option<usize> },
    /// The same layout wherever it is printed, each column in one fixed unit, for scripts.
    Fixed,
}

/// The comparison printed after a run: a plain-text table with one row per (point, policy), in
/// study order. Each cell is the mean over replications, with `± ` the half-width of its 95%
/// interval when there is more than one; `n/a` when not measured, `-` for a policy with no runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub columns: Columns,
    pub style: Style,
}

impl Table {
    /// The table for stdout: the terminal layout, as wide as `COLUMNS` says or else the terminal
    /// is, when stdout is a terminal; the fixed layout otherwise.
    pub fn for_stdout(columns: Columns) -> Table {
        let style = if io::stdout().is_terminal() {
            Style::Terminal {
                width: terminal_width(),
            }
        } else {
            Style::Fixed
        };
        Table { columns, style }
    }

    /// The columns shown, before any is left out to fit a width; with `[cost]`, the default
    /// columns show `cost_usd_month` too (at a terminal, after `regenerations`).
    fn selected(&self, results: &StudyResults) -> Vec<usize> {
        match (&self.columns, self.style) {
            (Columns::Named(columns), _) => columns.clone(),
            (Columns::Default, Style::Terminal { .. }) => {
                let mut columns: Vec<usize> =
                    TERMINAL_COLUMNS.iter().filter_map(|n| column(n)).collect();
                if let Some(cost) = priced(results) {
                    let after = column("regenerations")
                        .and_then(|r| columns.iter().position(|&c| c == r).map(|p| p + 1));
                    columns.insert(after.unwrap_or(columns.len()), cost);
                }
                columns
            }
            (Columns::Default | Columns::Wide, _) => {
                key_columns_of(results).iter().map(|c| c.0).collect()
            }
        }
    }
}

/// `COLUMNS` when it holds a width, as shells set it; else the terminal's own width.
fn terminal_width() -> Option<usize> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .filter(|&w: &usize| w > 0)
        .or_else(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
}

impl Export for Table {
    fn render(&self, results: &StudyResults) -> io::Result<Vec<u8>> {
        Ok(self.text(results).into_bytes())
    }
}

impl Table {
    fn text(&self, results: &StudyResults) -> String {
        let study = results.study;
        let replications: Vec<usize> = results.summaries.iter().map(|s| s.replications).collect();
        let mut title = format!(
            "Scenario \"{}\": {}",
            study.base.name,
            describe_replications(&replications)
        );
        if !study.axes.is_empty() {
            let points = study.points.len();
            let plural = if points == 1 { "" } else { "s" };
            title.push_str(&format!(" — {points} sweep point{plural}"));
        }
        // Only the default choice is fitted: columns asked for by name are all shown.
        let width = match (self.style, &self.columns) {
            (Style::Terminal { width }, Columns::Default) => width,
            _ => None,
        };
        let mut columns = self.selected(results);
        let mut left_out = Vec::new();
        let body = loop {
            let body = self.body(results, &columns);
            let fits = width.is_none_or(|w| body.lines().all(|l| l.chars().count() <= w));
            if fits || columns.len() <= 1 {
                break body;
            }
            if let Some(last) = columns.pop() {
                left_out.insert(0, heading(last));
            }
        };
        let mut text = paragraph(&title, width);
        text.push('\n');
        text.push_str(&body);
        if let Some(legend) = legend(results) {
            text.push('\n');
            text.push_str(&paragraph(&legend, width));
        }
        if !left_out.is_empty() {
            text.push('\n');
            text.push_str(&paragraph(
                &format!(
                    "Left out to fit the terminal: {} (--wide shows every column).",
                    left_out.join(", ")
                ),
                width,
            ));
        }
        text
    }

    /// The headings, the rule and a row per (point, policy), showing `columns`.
    fn body(&self, results: &StudyResults, columns: &[usize]) -> String {
        let study = results.study;
        let terminal = matches!(self.style, Style::Terminal { .. });
        let rounding = if terminal {
            Rounding::Scaled
        } else {
            Rounding::Fixed
        };
        let mut rows = Vec::new();
        for summary in &results.summaries {
            // A point short of labels would shift every cell after it; pad it to one per axis.
            let mut row = summary.labels.clone();
            row.resize(study.axes.len(), String::new());
            row.push(summary.policy.clone());
            for &i in columns {
                let unit = RUN_COLUMNS[i].unit;
                let ci = (summary.replications > 1).then(|| summary.ci95[i].unwrap_or(0.0));
                let mark = match first_of_point(results, summary) {
                    Some(first) if differs_at(results, first, summary, i) == Some(true) => " *",
                    _ => "",
                };
                row.push(match (summary.replications, summary.means[i]) {
                    (0, _) => "-".to_string(),
                    (_, None) => "n/a".to_string(),
                    // A mean with censored samples is a lower bound (docs/model.md §11.1).
                    (_, Some(mean)) if summary.lower_bound(i) => {
                        format!("≥ {}", estimate(mean, ci, unit, rounding)) + mark
                    }
                    (_, Some(mean)) => estimate(mean, ci, unit, rounding) + mark,
                });
            }
            rows.push(row);
        }
        let mut labels = axis_headings(&study.axes);
        labels.push("policy".to_string());
        let left = labels.len();
        let mut top = vec![String::new(); left];
        let mut bottom = labels;
        for (n, &i) in columns.iter().enumerate() {
            let name = heading(i);
            if terminal {
                let widest = rows.iter().map(|r| r[left + n].chars().count()).max();
                let (upper, lower) = split_heading(name, widest.unwrap_or(0));
                top.push(upper.to_string());
                bottom.push(lower.to_string());
            } else {
                top.push(String::new());
                bottom.push(match RUN_COLUMNS[i].unit {
                    Unit::Ratio => format!("{name} (%)"),
                    Unit::Seconds => format!("{name} (s)"),
                    Unit::Millis => format!("{name} (ms)"),
                    Unit::Usd => format!("{name} (USD)"),
                    Unit::Count | Unit::PerSecond => name.to_string(),
                });
            }
        }
        let mut headings = vec![bottom];
        if top.iter().any(|h| !h.is_empty()) {
            headings.insert(0, top);
        }
        align_columns(&headings, &rows, |c| c < left)
    }
}

/// The first policy's summary at `summary`'s point, when `summary` is another policy's.
fn first_of_point<'r>(results: &'r StudyResults, summary: &Summary) -> Option<&'r Summary> {
    let first = results
        .summaries
        .iter()
        .find(|s| s.point == summary.point)?;
    (first.policy != summary.policy).then_some(first)
}

/// Whether `summary` differs from `first` beyond the paired interval in run column `c`.
fn differs_at(
    results: &StudyResults,
    first: &Summary,
    summary: &Summary,
    c: usize,
) -> Option<bool> {
    differs(results.runs_of(first), results.runs_of(summary), c)
}

/// The line under the table that explains its `*`s, when a point has two policies or more.
fn legend(results: &StudyResults) -> Option<String> {
    let compared: Vec<(&Summary, &Summary)> = (results.summaries.iter())
        .filter_map(|s| first_of_point(results, s).map(|first| (first, s)))
        .collect();
    let (first, _) = compared.first()?;
    let paired = compared
        .iter()
        .any(|(f, s)| results.runs_of(f).len().min(results.runs_of(s).len()) >= 2);
    Some(if paired {
        format!(
            "* differs from {} beyond the 95% paired interval of the per-replication \
             differences (every policy saw the same users and edits).",
            first.policy
        )
    } else {
        format!(
            "No * marks: there is no paired interval with one replication, so no policy is \
             shown to differ from {} (run more replications).",
            first.policy
        )
    })
}

/// A heading as two lines, top and bottom, when it is wider than the column's cells: split at
/// the space that makes the wider line narrowest (`backend` over `wait p99`). Else on one line.
fn split_heading(heading: &str, cells: usize) -> (&str, &str) {
    if heading.chars().count() <= cells {
        return ("", heading);
    }
    heading
        .match_indices(' ')
        .map(|(at, _)| (&heading[..at], &heading[at + 1..]))
        .min_by_key(|(a, b)| a.chars().count().max(b.chars().count()))
        .unwrap_or(("", heading))
}

/// `text` as a paragraph of lines at most `width` characters wide (one line when no width is
/// known), each ending in a newline.
fn paragraph(text: &str, width: Option<usize>) -> String {
    match width {
        Some(width) => wrap(text, width) + "\n",
        None => format!("{text}\n"),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::RunResult;
    use crate::results::fixture::{run, run_at, study, sweep};
    use crate::scenario::Study;

    /// The table of `runs` of `study` as `table` lays it out.
    fn render(table: &Table, study: &Study, runs: &[RunResult]) -> String {
        let results = StudyResults::new(study, runs, false);
        String::from_utf8(table.render(&results).unwrap()).unwrap()
    }

    /// The table where stdout is not a terminal.
    fn table_of(study: &Study, runs: &[RunResult]) -> String {
        let fixed = Table {
            columns: Columns::Default,
            style: Style::Fixed,
        };
        render(&fixed, study, runs)
    }

    /// The default table on a terminal `width` characters wide.
    fn terminal(width: Option<usize>, study: &Study, runs: &[RunResult]) -> String {
        let table = Table {
            columns: Columns::Default,
            style: Style::Terminal { width },
        };
        render(&table, study, runs)
    }

    /// The cells of a line, split where its columns are (two spaces or more).
    fn cells(line: &str) -> Vec<&str> {
        line.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect()
    }

    /// The table above its legend (which is wrapped to the width, not fitted).
    fn without_legend(table: &str) -> &str {
        let at = [table.find("\n* differs"), table.find("\nNo * marks")];
        at.into_iter()
            .flatten()
            .min()
            .map_or(table, |at| &table[..at])
    }

    /// Three replications of both policies at each of `points` sweep points, with figures of the
    /// size a real scenario gives (`scenarios/bursty.toml`): hours of staleness, hundreds of
    /// thousands of regenerations, a 30 s queue wait.
    fn bursty_like(points: usize) -> Vec<RunResult> {
        let mut runs = Vec::new();
        for point in 0..points {
            for policy in 0..2 {
                for r in 0..3 {
                    let x = f64::from(r) + policy as f64;
                    runs.push(run_at(
                        point,
                        policy,
                        r,
                        0.0,
                        &[
                            ("stale_ratio", 0.04 + 0.001 * x),
                            ("stale_age_p99_s", 14_591.0 + 2_000.0 * x),
                            ("edit_visible_p99_s", 13_755.0 - 2_400.0 * x),
                            ("regenerations", 247_423.0 + 50_000.0 * x),
                            ("regenerations_duplicate", 68_440.0 + 19_000.0 * x),
                            ("backend_wait_p99_s", 30.0),
                            ("storm_seconds", 2_166.0 + 600.0 * x),
                            ("latency_p99_ms", 75.0),
                            ("cdn_hit_ratio", 0.9742),
                        ],
                    ));
                }
            }
        }
        runs
    }

    #[test]
    fn every_key_column_is_a_run_column() {
        for name in KEY_COLUMNS.iter().map(|c| c.0).chain(TERMINAL_COLUMNS) {
            assert!(column(name).is_some(), "{name} is not a run column");
        }
    }

    #[test]
    fn a_terminal_table_fits_its_width_leaving_out_the_last_columns_first() {
        // The sweep's labels and policy take 50 characters, and one figure column 16 more (14
        // and a mark).
        let cases = [
            (study(), bursty_like(1), vec![120, 100, 80, 60, 40]),
            (sweep(), bursty_like(4), vec![120, 100, 80, 66]),
        ];
        for (study, runs, widths) in cases {
            let full = terminal(None, &study, &runs);
            let full = without_legend(&full);
            let widest = full.lines().map(|l| l.chars().count()).max().unwrap();
            for width in widths {
                let table = terminal(Some(width), &study, &runs);
                for line in table.lines() {
                    assert!(
                        line.chars().count() <= width,
                        "over {width}: {line}\n{table}"
                    );
                }
                if widest <= width {
                    assert_eq!(without_legend(&table), full);
                } else {
                    let words: Vec<&str> = table.split_whitespace().collect();
                    assert!(
                        words.join(" ").contains("--wide shows every column"),
                        "{table}"
                    );
                }
            }
        }
        // 120 columns hold every default column; 60 the first three, and a note names the rest.
        let table = terminal(Some(120), &study(), &bursty_like(1));
        assert!(!table.contains("Left out"), "{table}");
        let table = terminal(Some(60), &study(), &bursty_like(1));
        let shown = without_legend(&table);
        assert!(
            shown.contains("visible p99") && !shown.contains("wait p99"),
            "{table}"
        );
        let note: Vec<&str> = table
            .lines()
            .skip_while(|l| !l.starts_with("Left out"))
            .collect();
        assert!(
            note.join(" ")
                .contains("regenerations, regenerations failed, backend wait p99, latency p99"),
            "{table}"
        );
    }

    #[test]
    fn a_terminal_cell_puts_mean_and_interval_in_one_human_unit() {
        let table = terminal(None, &study(), &bursty_like(1));
        let lines: Vec<&str> = table.lines().collect();
        // Two heading lines, then the rule. The marks widen the cells, so `stale age p99` fits on one line.
        assert_eq!(
            cells(lines[2]),
            ["edit", "regenerations", "backend", "latency"],
            "{table}"
        );
        assert_eq!(
            cells(lines[3]),
            [
                "policy",
                "stale",
                "stale age p99",
                "visible p99",
                "regenerations",
                "failed",
                "wait p99",
                "p99"
            ],
            "{table}"
        );
        let fast = cells(lines[5]);
        // stale_age_p99_s 14,591 s + 0, 2,000 and 4,000 s: mean 16,591 s = 4.6 h, half-width
        // t(0.975, 2) * 2,000 / √3 = 4.303 * 1,154.7 = 4,969 s = 1.4 h.
        assert_eq!(fast[2], "4.6 ± 1.4 h", "{table}");
        // 247,423 + 0, 50,000 and 100,000: mean 297,423, half-width 4.303 * 28,868 = 124,213.
        assert_eq!(fast[4], "297k ± 124k", "{table}");
        assert_eq!(fast[5], "0 ± 0", "{table}");
        assert_eq!(fast[6], "30 ± 0 s", "{table}");
        assert_eq!(fast[7], "75 ± 0 ms", "{table}");
        // 4.0%, 4.1% and 4.2%: half-width 4.303 * 0.1% / √3 = 0.25%.
        assert_eq!(fast[1], "4.10 ± 0.25%", "{table}");
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
        assert!(lines[2].starts_with("policy  ") && lines[2].ends_with("CDN behind origin (%)"));
        let fast = lines.iter().find(|l| l.starts_with("fast")).unwrap();
        let slow = lines.iter().find(|l| l.starts_with("slow")).unwrap();
        // 0.1 and 0.3: mean 20%, half-width 12.706205 * 0.1 = 127.06%.
        assert!(fast.contains("20.00 ± 127.06"), "{fast}");
        assert!(fast.contains("12000 ± 0"), "{fast}");
        assert!(
            !slow.contains('±') && slow.contains("1.23") && slow.contains("250"),
            "{slow}"
        );
        let terminal = terminal(None, &study(), &runs);
        assert!(terminal.contains("20 ± 127%"), "{terminal}");
        assert!(terminal.contains("12.0k ± 0.0k"), "{terminal}");
        assert!(
            terminal.contains("250 ms") && terminal.contains("1.23%"),
            "{terminal}"
        );
    }

    #[test]
    fn a_policy_is_marked_where_it_differs_from_the_first_beyond_the_paired_interval() {
        // fast: 1, 2, 3, 4; slow: 1.1, 2.1, 3.1, 4.1 in `errors`: the unpaired intervals
        // (2.5 ± 3.182446 * 1.290994 / 2 = ± 2.054) overlap, but every paired difference is 0.1,
        // with no spread: beyond the interval. In `regenerations` slow is 1, 2, 3, 4.4: the
        // differences 0, 0, 0, 0.4 have mean 0.1 and half-width 3.182446 * 0.2 / 2 = 0.318:
        // within it.
        let mut runs = Vec::new();
        for r in 0..4u32 {
            let x = f64::from(r) + 1.0;
            runs.push(run(0, r, 0.0, &[("errors", x), ("regenerations", x)]));
            let spike = if r == 3 { 0.4 } else { 0.0 };
            runs.push(run(
                1,
                r,
                0.0,
                &[("errors", x + 0.1), ("regenerations", x + spike)],
            ));
        }
        let table = Table {
            columns: Columns::Named(vec![
                parse_column("errors").unwrap(),
                parse_column("regenerations").unwrap(),
            ]),
            style: Style::Fixed,
        };
        let text = render(&table, &study(), &runs);
        let fast = text.lines().find(|l| l.starts_with("fast")).unwrap();
        let slow = text.lines().find(|l| l.starts_with("slow")).unwrap();
        assert!(!fast.contains('*'), "{text}");
        let slow = cells(slow);
        assert!(slow[1].ends_with(" *") && !slow[2].contains('*'), "{text}");
        assert!(
            text.contains("* differs from fast beyond the 95% paired interval"),
            "{text}"
        );
        // One replication: no marks, and the legend says why.
        let one: Vec<RunResult> = runs.into_iter().filter(|r| r.replication == 0).collect();
        let text = render(&table, &study(), &one);
        assert!(!text.lines().any(|l| l.ends_with(" *")), "{text}");
        assert!(
            text.contains("no paired interval with one replication"),
            "{text}"
        );
    }

    #[test]
    fn columns_line_up() {
        let runs = [
            run(0, 0, 1.5, &[]),
            run(0, 1, 1234.5, &[]),
            run(1, 0, 0.0, &[]),
        ];
        for table in [
            table_of(&study(), &runs),
            terminal(Some(100), &study(), &runs),
        ] {
            // From the rule under the headings down, every line is as wide as the rule.
            let body: Vec<&str> = (table.lines())
                .skip_while(|l| !l.starts_with('-'))
                .take_while(|l| !l.is_empty())
                .collect();
            assert_eq!(body.len(), 3, "{table}");
            let width = body[0].chars().count();
            assert!(body.iter().all(|l| l.chars().count() == width), "{table}");
        }
        assert_eq!(
            table_of(&study(), &[run(1, 0, 0.0, &[])])
                .lines()
                .next()
                .unwrap(),
            "Scenario \"tiny\": 1 replication per policy"
        );
    }

    #[test]
    fn named_columns_are_shown_in_their_order_and_wide_shows_every_key_column() {
        let runs = [run(0, 0, 1.0, &[]), run(1, 0, 2.0, &[])];
        let named = Table {
            columns: Columns::Named(vec![
                parse_column("storm_seconds").unwrap(),
                parse_column(" requests").unwrap(),
            ]),
            style: Style::Terminal { width: Some(20) },
        };
        let table = render(&named, &study(), &runs);
        // Asked for by name, every column is shown, however narrow the terminal.
        assert_eq!(
            cells(table.lines().nth(3).unwrap()),
            ["policy", "seconds", "requests"]
        );
        assert!(
            parse_column("staleness")
                .unwrap_err()
                .contains("stale_ratio")
        );
        let wide = Table {
            columns: Columns::Wide,
            style: Style::Terminal { width: Some(20) },
        };
        let table = render(&wide, &study(), &runs);
        let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("fast")).collect();
        assert_eq!(cells(rows[0]).len(), 1 + KEY_COLUMNS.len(), "{table}");
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
        let body = &lines[4..12];
        assert_eq!(lines[12], "", "{table}");
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
        for table in [table_of(&study(), &runs), terminal(None, &study(), &runs)] {
            let fast = table.lines().find(|l| l.starts_with("fast")).unwrap();
            let slow = table.lines().find(|l| l.starts_with("slow")).unwrap();
            // The stale age column is the second figure; `slow` had no runs at all.
            assert_eq!(cells(fast)[2], "n/a", "{table}");
            assert!(cells(slow)[1..].iter().all(|&c| c == "-"), "{table}");
        }
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
