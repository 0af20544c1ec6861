//! The result files of a run and the comparison table printed after it (SPEC §3).
//!
//! Every report reads the same `RunResult`s: `csv` writes `runs.csv`, `summary.csv`,
//! `timeseries.csv` and `routes.csv`, `table` renders the terminal comparison, and `replace` puts
//! the folder in place whole or not at all. This module keeps what the reports share: one order
//! for the runs, so the bytes never depend on which thread finished first.

mod csv;
#[cfg(test)]
mod fixture;
mod replace;
mod table;

use std::io;
use std::path::Path;

use crate::metrics::RunResult;
use crate::scenario::Scenario;
use crate::stats;

pub use table::comparison_table;

/// Writes the CSV files of SPEC §3 into the folder `out`, replacing any folder already there.
///
/// The files are written into a hidden sibling folder first and renamed into place at the end,
/// so a failed or interrupted run never leaves half-written results at `out`.
pub fn write_results(scenario: &Scenario, runs: &[RunResult], out: &Path) -> io::Result<()> {
    if runs.iter().any(|r| r.policy >= scenario.policies.len()) {
        let message = "a run names a policy the scenario does not have";
        return Err(io::Error::new(io::ErrorKind::InvalidInput, message));
    }
    let runs = sorted(runs);
    replace::replace_dir(out, |dir| csv::write_all(scenario, &runs, dir))
}

/// The runs in (policy, replication) order, whatever order the threads finished in.
fn sorted(runs: &[RunResult]) -> Vec<&RunResult> {
    let mut sorted: Vec<&RunResult> = runs.iter().collect();
    sorted.sort_by_key(|r| (r.policy, r.replication));
    sorted
}

/// The runs of one policy, out of runs already `sorted`.
fn runs_of<'a, 'r>(sorted: &'a [&'r RunResult], policy: usize) -> &'a [&'r RunResult] {
    let start = sorted.partition_point(|r| r.policy < policy);
    &sorted[start..start + sorted[start..].partition_point(|r| r.policy == policy)]
}

/// The mean of one run column over some runs, and the half-width of its 95% t-interval.
fn mean_ci95(runs: &[&RunResult], column: usize) -> (f64, f64) {
    let xs: Vec<f64> = runs.iter().map(|r| r.metrics.0[column]).collect();
    (stats::mean(&xs), stats::ci95_half_width(&xs))
}

#[cfg(test)]
mod tests {
    use super::fixture::{entries, run, scenario, scratch};
    use super::*;

    const FILES: [&str; 4] = ["routes.csv", "runs.csv", "summary.csv", "timeseries.csv"];

    #[test]
    fn results_replace_an_existing_folder_and_leave_no_temporary_behind() {
        let dir = scratch("replace");
        let out = dir.join("results").join("tiny");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("from-an-earlier-run.csv"), "old").unwrap();
        let runs = [run(1, 0, 1.0, &[]), run(0, 0, 1.0, &[])];
        write_results(&scenario(), &runs, &out).unwrap();
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
        assert!(write_results(&scenario(), &[run(0, 0, 1.0, &[])], &out).is_err());
        assert_eq!(entries(&dir), ["file"]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_run_of_a_policy_the_scenario_lacks_is_refused_before_writing() {
        let dir = scratch("unknown-policy");
        let out = dir.join("tiny");
        let error = write_results(&scenario(), &[run(2, 0, 1.0, &[])], &out).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(entries(&dir).is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn runs_come_in_policy_then_replication_order_and_group_by_policy() {
        let runs = [
            run(1, 0, 0.0, &[]),
            run(0, 1, 0.0, &[]),
            run(2, 0, 0.0, &[]),
            run(0, 0, 0.0, &[]),
        ];
        let sorted = sorted(&runs);
        let order: Vec<_> = sorted.iter().map(|r| (r.policy, r.replication)).collect();
        assert_eq!(order, [(0, 0), (0, 1), (1, 0), (2, 0)]);
        let replications = |p| {
            runs_of(&sorted, p)
                .iter()
                .map(|r| r.replication)
                .collect::<Vec<_>>()
        };
        assert_eq!(replications(0), [0, 1]);
        assert_eq!(replications(2), [0]);
        assert!(replications(3).is_empty());
    }
}
