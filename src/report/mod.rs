//! The result files of a run and the comparison table printed after it (docs/model.md §11).
//!
//! Every report reads the same `RunResult`s: `csv` writes `runs.csv`, `summary.csv`,
//! `timeseries.csv` and `routes.csv`, `table` renders the terminal comparison, `format` rounds the
//! figures the table, `report.html` and `diff` print, and `replace` puts the folder in place whole
//! or not at all. This module keeps what the reports share: one order
//! for the runs, so the bytes never depend on which thread finished first, and one grouping of
//! them by (sweep point, policy), the unit every summary row describes.

mod charts;
mod csv;
pub mod diff;
pub mod figures;
#[cfg(test)]
mod fixture;
mod format;
mod html;
pub mod json;
mod meta;
mod replace;
pub mod results;
mod table;

use std::io;
use std::path::Path;

use crate::metrics::{RUN_COLUMNS, RunResult};
use crate::scenario::{Point, Policy, Study};
use crate::slo::{self, Verdict};
use crate::stats;

pub use meta::RunInfo;
pub use table::comparison_table;

/// Writes the CSV files of docs/model.md §11 into the folder `out`, replacing any folder already
/// there.
///
/// The files are written into a hidden sibling folder first and renamed into place at the end,
/// so a failed or interrupted run never leaves half-written results at `out`. A run whose point
/// or policy the study lacks is refused before anything is written.
pub fn write_results(study: &Study, runs: &[RunResult], out: &Path) -> io::Result<()> {
    write_run(study, runs, None, true, out)
}

/// `write_results`, plus `meta.csv` and `summary.json`'s `meta`: how long the simulation took,
/// which varies from run to run while every other file is the same for the same scenario and
/// seed. `slo_checked` is false under `--no-slo`: `summary.json` then holds no verdicts.
pub fn write_run(
    study: &Study,
    runs: &[RunResult],
    info: Option<&RunInfo>,
    slo_checked: bool,
    out: &Path,
) -> io::Result<()> {
    check(study, runs).map_err(|message| io::Error::new(io::ErrorKind::InvalidInput, message))?;
    let summaries = summarize(study, runs, slo_checked);
    let runs = sorted(runs);
    write_folder(out, |dir| {
        csv::write_all(study, &runs, dir)?;
        // The scenario as written, so a results folder explains itself and can be re-plotted.
        std::fs::write(dir.join(SCENARIO_FILE), &study.base.source)?;
        let doc = json::document(study, &summaries, slo_checked, info);
        let text = serde_json::to_string_pretty(&doc).map_err(io::Error::other)?;
        std::fs::write(dir.join(json::FILE), text + "\n")?;
        if let Some(info) = info {
            meta::write(info, &runs, dir)?;
        }
        figures::draw(&StudyResults {
            study,
            runs,
            summaries,
        })?
        .write_into(dir)
    })
}

/// What every output reads: a study, its runs in output order, and their summaries.
pub struct StudyResults<'a> {
    pub study: &'a Study,
    /// In (point, policy, replication) order, whatever order the threads finished in.
    pub runs: Vec<&'a RunResult>,
    /// One per (point, policy), in study order.
    pub summaries: Vec<Summary>,
}

impl<'a> StudyResults<'a> {
    pub fn new(study: &'a Study, runs: &'a [RunResult], check_slo: bool) -> StudyResults<'a> {
        StudyResults {
            study,
            runs: sorted(runs),
            summaries: summarize(study, runs, check_slo),
        }
    }
}

/// One (point, policy)'s figures over its replications, and its SLO verdicts.
#[derive(Clone, Debug)]
pub struct Summary {
    pub point: usize,
    pub labels: Vec<String>,
    pub policy: String,
    pub replications: usize,
    /// Each run column's mean over the replications that measured it; `None` when none did.
    pub means: [Option<f64>; RUN_COLUMNS.len()],
    /// The half-width of each mean's 95% t-interval (0 with one replication).
    pub ci95: [Option<f64>; RUN_COLUMNS.len()],
    pub simulated_requests: u64,
    /// Empty when the SLO was not checked, or the policy has no bound.
    pub slo: Vec<Verdict>,
}

/// Every (point, policy) of the study in study order, with means, intervals and, when
/// `check_slo`, the verdict of each of the policy's SLO bounds on the means.
pub fn summarize(study: &Study, runs: &[RunResult], check_slo: bool) -> Vec<Summary> {
    let runs = sorted(runs);
    groups(study, &runs)
        .into_iter()
        .map(|g| {
            let mut means = [None; RUN_COLUMNS.len()];
            let mut ci95 = [None; RUN_COLUMNS.len()];
            for i in 0..RUN_COLUMNS.len() {
                (means[i], ci95[i]) = mean_ci95(g.runs, i);
            }
            let point = study
                .points
                .iter()
                .position(|p| std::ptr::eq(p, g.point))
                .unwrap_or(0);
            let value_of = |name: &str| {
                RUN_COLUMNS
                    .iter()
                    .position(|c| c.name == name)
                    .and_then(|i| means[i])
            };
            let slo = if check_slo && !g.runs.is_empty() {
                slo::check(&g.policy.slo, value_of)
            } else {
                Vec::new()
            };
            Summary {
                point,
                labels: g.point.labels.clone(),
                policy: g.policy.name.clone(),
                replications: g.runs.len(),
                means,
                ci95,
                simulated_requests: g.runs.iter().map(|r| r.simulated_requests).sum(),
                slo,
            }
        })
        .collect()
}

/// The copy of the scenario file in every results folder.
pub const SCENARIO_FILE: &str = "scenario.toml";

/// Fills a fresh hidden sibling of `out` with `fill`, then renames it into place, replacing any
/// folder already at `out`: the folder appears whole or not at all (docs/model.md §11.9). For
/// result folders whose files `write_results` does not make (a shard's partial results).
pub fn write_folder(out: &Path, fill: impl FnOnce(&Path) -> io::Result<()>) -> io::Result<()> {
    replace::replace_dir(out, fill)
}

/// That every point has a label per axis and every run a point and policy of the study: either
/// slip would leave rows that name the wrong variant, or none.
fn check(study: &Study, runs: &[RunResult]) -> Result<(), String> {
    let axes = study.axes.len();
    if let Some(i) = study.points.iter().position(|p| p.labels.len() != axes) {
        let labels = study.points[i].labels.len();
        return Err(format!(
            "sweep point {i} has {labels} labels for {axes} axes"
        ));
    }
    let known = |r: &RunResult| {
        let point = study.points.get(r.point);
        point.is_some_and(|p| r.policy < p.scenario.policies.len())
    };
    match runs.iter().find(|r| !known(r)) {
        Some(r) => Err(format!(
            "a run names sweep point {} policy {}, which the study does not have",
            r.point, r.policy
        )),
        None => Ok(()),
    }
}

/// The runs in (point, policy, replication) order, whatever order the threads finished in.
fn sorted(runs: &[RunResult]) -> Vec<&RunResult> {
    let mut sorted: Vec<&RunResult> = runs.iter().collect();
    sorted.sort_by_key(|r| (r.point, r.policy, r.replication));
    sorted
}

/// The runs of one policy at one point, out of runs already `sorted`.
fn runs_of<'a, 'r>(
    sorted: &'a [&'r RunResult],
    point: usize,
    policy: usize,
) -> &'a [&'r RunResult] {
    let key = (point, policy);
    let start = sorted.partition_point(|r| (r.point, r.policy) < key);
    &sorted[start..start + sorted[start..].partition_point(|r| (r.point, r.policy) == key)]
}

/// One policy at one sweep point, with its runs: a row of `summary.csv` and of the table.
struct Group<'a, 'r> {
    point: &'a Point,
    policy: &'a Policy,
    runs: &'a [&'r RunResult],
}

/// Every (point, policy) of the study in study order, each with its runs (possibly none), out of
/// runs already `sorted`. Runs of a point or policy the study lacks belong to no group.
fn groups<'a, 'r>(study: &'a Study, sorted: &'a [&'r RunResult]) -> Vec<Group<'a, 'r>> {
    let mut groups = Vec::new();
    for (i, point) in study.points.iter().enumerate() {
        for (p, policy) in point.scenario.policies.iter().enumerate() {
            let runs = runs_of(sorted, i, p);
            groups.push(Group {
                point,
                policy,
                runs,
            });
        }
    }
    groups
}

/// The mean of one run column over the runs that measured it, and the half-width of its 95%
/// t-interval; `None` for both when no run measured it.
fn mean_ci95(runs: &[&RunResult], column: usize) -> (Option<f64>, Option<f64>) {
    let xs: Vec<f64> = runs.iter().filter_map(|r| r.metrics.0[column]).collect();
    if xs.is_empty() {
        return (None, None);
    }
    (Some(stats::mean(&xs)), Some(stats::ci95_half_width(&xs)))
}

#[cfg(test)]
mod tests {
    use super::fixture::{entries, run, run_at, scratch, study, sweep};
    use super::*;

    const FILES: [&str; 9] = [
        "charts",
        "distributions.csv",
        "report.html",
        "routes.csv",
        "runs.csv",
        "scenario.toml",
        "summary.csv",
        "summary.json",
        "timeseries.csv",
    ];

    #[test]
    fn results_replace_an_existing_folder_and_leave_no_temporary_behind() {
        let dir = scratch("replace");
        let out = dir.join("results").join("tiny");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("from-an-earlier-run.csv"), "old").unwrap();
        let runs = [run(1, 0, 1.0, &[]), run(0, 0, 1.0, &[])];
        write_results(&study(), &runs, &out).unwrap();
        assert_eq!(entries(&out), FILES);
        assert_eq!(entries(&dir.join("results")), ["tiny"]);
        let written = std::fs::read_to_string(out.join("runs.csv")).unwrap();
        assert_eq!(written.lines().count(), 1 + runs.len());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_parent_that_is_a_file_fails_and_leaves_nothing_behind() {
        let dir = scratch("parent-file");
        std::fs::write(dir.join("file"), "not a folder").unwrap();
        let out = dir.join("file").join("tiny");
        assert!(write_results(&study(), &[run(0, 0, 1.0, &[])], &out).is_err());
        assert_eq!(entries(&dir), ["file"]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_run_of_a_policy_the_scenario_lacks_is_refused_before_writing() {
        let dir = scratch("unknown-policy");
        let out = dir.join("tiny");
        let error = write_results(&study(), &[run(2, 0, 1.0, &[])], &out).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(entries(&dir).is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_run_of_a_point_the_study_lacks_is_refused_before_writing() {
        let dir = scratch("unknown-point");
        let out = dir.join("swept");
        let runs = [run_at(3, 1, 0, 1.0, &[]), run_at(4, 0, 0, 1.0, &[])];
        let error = write_results(&sweep(), &runs, &out).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(
            error.to_string().contains("sweep point 4 policy 0"),
            "{error}"
        );
        assert!(entries(&dir).is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_point_without_a_label_per_axis_is_refused_before_writing() {
        let dir = scratch("short-labels");
        let out = dir.join("swept");
        let mut study = sweep();
        study.points[2].labels.pop();
        let error = write_results(&study, &[], &out).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(entries(&dir).is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_sweep_writes_one_folder_with_every_point_in_each_file() {
        let dir = scratch("sweep");
        let out = dir.join("swept");
        let runs: Vec<_> = (0..4).map(|p| run_at(p, 1, 0, 1.0, &[])).collect();
        write_results(&sweep(), &runs, &out).unwrap();
        assert_eq!(entries(&out), FILES);
        let lines = |file| {
            let text = std::fs::read_to_string(out.join(file)).unwrap();
            text.lines().count()
        };
        // Each run has 2 buckets; the study has 4 points of 2 policies of 2 routes.
        let expected = [
            ("runs.csv", 4),
            ("summary.csv", 8),
            ("timeseries.csv", 8),
            ("routes.csv", 16),
        ];
        for (file, rows) in expected {
            assert_eq!(lines(file), 1 + rows, "{file}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn runs_come_in_point_policy_replication_order_and_group_by_point_and_policy() {
        let runs = [
            run_at(1, 0, 0, 0.0, &[]),
            run(1, 0, 0.0, &[]),
            run(0, 1, 0.0, &[]),
            run_at(1, 0, 1, 0.0, &[]),
            run(2, 0, 0.0, &[]),
            run(0, 0, 0.0, &[]),
        ];
        let sorted = sorted(&runs);
        let order: Vec<_> = sorted
            .iter()
            .map(|r| (r.point, r.policy, r.replication))
            .collect();
        assert_eq!(
            order,
            [
                (0, 0, 0),
                (0, 0, 1),
                (0, 1, 0),
                (0, 2, 0),
                (1, 0, 0),
                (1, 0, 1)
            ]
        );
        let replications = |point, policy| {
            runs_of(&sorted, point, policy)
                .iter()
                .map(|r| r.replication)
                .collect::<Vec<_>>()
        };
        assert_eq!(replications(0, 0), [0, 1]);
        assert_eq!(replications(0, 2), [0]);
        assert_eq!(replications(1, 0), [0, 1]);
        assert!(replications(0, 3).is_empty());
        assert!(replications(1, 1).is_empty());
        assert!(replications(2, 0).is_empty());
    }

    #[test]
    fn groups_cover_every_policy_at_every_point_even_without_runs() {
        let study = sweep();
        let runs = [run_at(2, 1, 0, 0.0, &[]), run_at(2, 1, 1, 0.0, &[])];
        let sorted = sorted(&runs);
        let groups = groups(&study, &sorted);
        let found: Vec<_> = groups
            .iter()
            .map(|g| {
                (
                    g.point.labels[0].as_str(),
                    g.policy.name.as_str(),
                    g.runs.len(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("2.5s", "fast", 0),
                ("2.5s", "slow", 0),
                ("2.5s", "fast", 0),
                ("2.5s", "slow", 0),
                ("1s", "fast", 0),
                ("1s", "slow", 2),
                ("1s", "fast", 0),
                ("1s", "slow", 0),
            ]
        );
    }
}
