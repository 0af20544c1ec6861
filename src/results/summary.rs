//! The typed results every output reads: a study, its runs in one order, and each (sweep point,
//! policy)'s summary over its replications, per route too (docs/model.md §2.5, §11.5, §11.6).
//!
//! Means and 95% intervals are computed here and nowhere else: `summary.csv`, `routes.csv`,
//! `summary.json`, the table, the `[slo]` check and `isrsim diff` all read them from a `Summary`.
//! Runs are sorted once, so no output depends on which thread finished first.

use std::ops::Range;

use super::steady::{self, Warning};
use crate::metrics::{ROUTE_COLUMNS, RUN_COLUMNS, RunResult, as_written};
use crate::scenario::Study;
use crate::slo::{self, Verdict};
use crate::stats;

/// What every output reads: a study, its runs in output order, and their summaries.
pub struct StudyResults<'a> {
    pub study: &'a Study,
    /// In (point, policy, replication) order, whatever order the threads finished in.
    pub runs: Vec<&'a RunResult>,
    /// One per (point, policy), in study order.
    pub summaries: Vec<Summary>,
    /// Whether the summaries hold `[slo]` verdicts (false under `--no-slo`).
    pub slo_checked: bool,
    /// Reasons to doubt a steady state (`steady`), in (point, policy) order.
    pub warnings: Vec<Warning>,
}

impl<'a> StudyResults<'a> {
    /// Sorts `runs` and summarises every (point, policy) of `study`, with, when `check_slo`, the
    /// verdict of each of the policy's SLO bounds on its means. Runs of a point or policy the
    /// study lacks belong to no summary.
    pub fn new(study: &'a Study, runs: &'a [RunResult], check_slo: bool) -> StudyResults<'a> {
        let mut sorted: Vec<&RunResult> = runs.iter().collect();
        sorted.sort_by_key(|r| (r.point, r.policy, r.replication));
        let mut summaries = Vec::new();
        for (i, point) in study.points.iter().enumerate() {
            for (p, policy) in point.scenario.policies.iter().enumerate() {
                let range = runs_of(&sorted, i, p);
                let group = &sorted[range.clone()];
                let mut summary = Summary {
                    point: i,
                    labels: point.labels.clone(),
                    policy: policy.name.clone(),
                    replications: group.len(),
                    means: [None; RUN_COLUMNS.len()],
                    ci95: [None; RUN_COLUMNS.len()],
                    routes: Vec::new(),
                    simulated_requests: group.iter().map(|r| r.simulated_requests).sum(),
                    slo: Vec::new(),
                    runs: range,
                };
                for c in 0..RUN_COLUMNS.len() {
                    (summary.means[c], summary.ci95[c]) =
                        estimate(group.iter().map(|r| r.metrics.0[c]));
                }
                summary.routes = point
                    .scenario
                    .routes
                    .iter()
                    .map(|route| RouteSummary::of(&route.name, group))
                    .collect();
                if check_slo && !group.is_empty() {
                    summary.slo = slo::check(&policy.slo, |name| summary.mean(name));
                }
                summaries.push(summary);
            }
        }
        let queued = crate::metrics::column("backend_queued_ratio");
        let groups = summaries.iter().map(|s| steady::Group {
            point: s.point,
            labels: &s.labels,
            policy: &s.policy,
            queued: queued.and_then(|c| s.means[c]),
            runs: &sorted[s.runs.clone()],
        });
        let warnings = steady::warnings(study, groups);
        StudyResults {
            study,
            runs: sorted,
            summaries,
            slo_checked: check_slo,
            warnings,
        }
    }

    /// The runs a summary describes, in replication order.
    pub fn runs_of(&self, summary: &Summary) -> &[&'a RunResult] {
        &self.runs[summary.runs.clone()]
    }

    /// Whether every verdict of every summary is met.
    pub fn slo_met(&self) -> bool {
        self.summaries
            .iter()
            .all(|s| s.slo.iter().all(Verdict::met))
    }
}

/// One (point, policy)'s figures over its replications, and its SLO verdicts.
#[derive(Clone, Debug)]
pub struct Summary {
    /// Index into `Study::points`.
    pub point: usize,
    /// The point's label for each axis (empty without a sweep).
    pub labels: Vec<String>,
    pub policy: String,
    pub replications: usize,
    /// Each run column's mean over the replications that measured it; `None` when none did.
    pub means: [Option<f64>; RUN_COLUMNS.len()],
    /// The half-width of each mean's 95% t-interval (0 with one replication).
    pub ci95: [Option<f64>; RUN_COLUMNS.len()],
    /// One per route of the point's scenario, in its order.
    pub routes: Vec<RouteSummary>,
    pub simulated_requests: u64,
    /// Empty when the SLO was not checked, or the policy has no bound.
    pub slo: Vec<Verdict>,
    /// Where its runs are in `StudyResults::runs`.
    pub runs: Range<usize>,
}

impl Summary {
    /// The mean of a run column by name; `None` when not measured or not a column.
    pub fn mean(&self, name: &str) -> Option<f64> {
        crate::metrics::column(name).and_then(|i| self.means[i])
    }

    /// Whether run column `c`'s mean is a lower bound: it includes censored samples (an edit
    /// never seen by a run's end counts at its censoring time, docs/model.md §11.1).
    pub fn lower_bound(&self, c: usize) -> bool {
        crate::metrics::censored_by(RUN_COLUMNS[c].name)
            .and_then(|count| self.mean(count))
            .is_some_and(|n| n > 0.0)
    }

    /// Run column `c`'s mean and half-width, as `summary.csv` shows them; `None` when not
    /// measured.
    pub fn estimate(&self, c: usize) -> Option<Estimate> {
        self.means[c].map(|mean| Estimate {
            mean,
            ci95: self.ci95[c].unwrap_or(0.0),
        })
    }
}

/// A metric's mean over replications and the half-width of its 95% interval (0 with one
/// replication).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    pub ci95: f64,
}

/// One route's figures over the replications of a (point, policy) that reported it.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteSummary {
    pub route: String,
    pub replications: usize,
    /// In `ROUTE_COLUMNS` order, as `Summary::means`.
    pub means: [Option<f64>; ROUTE_COLUMNS.len()],
    pub ci95: [Option<f64>; ROUTE_COLUMNS.len()],
}

impl RouteSummary {
    /// The mean of a route column by name; `None` when not measured or not a column.
    pub fn mean(&self, name: &str) -> Option<f64> {
        ROUTE_COLUMNS
            .iter()
            .position(|c| c.name == name)
            .and_then(|i| self.means[i])
    }

    /// Whether route column `c`'s mean is a lower bound, as `Summary::lower_bound`.
    pub fn lower_bound(&self, c: usize) -> bool {
        crate::metrics::censored_by(ROUTE_COLUMNS[c].name)
            .and_then(|count| self.mean(count))
            .is_some_and(|n| n > 0.0)
    }

    fn of(route: &str, runs: &[&RunResult]) -> RouteSummary {
        let found: Vec<_> = runs
            .iter()
            .filter_map(|r| r.routes.iter().find(|m| m.route == route))
            .collect();
        let mut summary = RouteSummary {
            route: route.to_string(),
            replications: found.len(),
            means: [None; ROUTE_COLUMNS.len()],
            ci95: [None; ROUTE_COLUMNS.len()],
        };
        for c in 0..ROUTE_COLUMNS.len() {
            (summary.means[c], summary.ci95[c]) = estimate(found.iter().map(|m| m.values[c]));
        }
        summary
    }
}

/// The mean of the values measured and the half-width of its 95% t-interval, rounded as the
/// files hold them (`metrics::as_written`), so the table, charts, report, `[slo]` gate and
/// `diff` all read the figure `summary.csv` shows; `None` for both when nothing was measured.
fn estimate(values: impl Iterator<Item = Option<f64>>) -> (Option<f64>, Option<f64>) {
    let xs: Vec<f64> = values.flatten().collect();
    if xs.is_empty() {
        return (None, None);
    }
    (
        Some(as_written(stats::mean(&xs))),
        Some(as_written(stats::ci95_half_width(&xs))),
    )
}

/// Where the runs of one policy at one point are, in runs already sorted.
fn runs_of(sorted: &[&RunResult], point: usize, policy: usize) -> Range<usize> {
    let key = (point, policy);
    let start = sorted.partition_point(|r| (r.point, r.policy) < key);
    start..start + sorted[start..].partition_point(|r| (r.point, r.policy) == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::fixture::{run, run_at, study, sweep};

    #[test]
    fn means_and_intervals_are_the_figures_summary_csv_shows() {
        // 0.1, 0.2, 0.2: a mean of 0.1666…, kept as 0.166667; s = 0.057735, so a half-width of
        // 4.302653 * 0.057735 / sqrt(3) = 0.143422 (…188 before rounding).
        let runs = [0.1, 0.2, 0.2].map(|x| run(0, 0, 0.0, &[("stale_ratio", x)]));
        let runs: Vec<RunResult> = runs
            .into_iter()
            .enumerate()
            .map(|(i, mut r)| {
                r.replication = i as u32;
                r
            })
            .collect();
        let study = study();
        let summary = &StudyResults::new(&study, &runs, false).summaries[0];
        let i = crate::metrics::column("stale_ratio").unwrap();
        assert_eq!(summary.means[i], Some(0.166667));
        assert_eq!(summary.ci95[i], Some(0.143422));
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
        let study = study();
        let results = StudyResults::new(&study, &runs, false);
        let order: Vec<_> = results
            .runs
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
            let range = runs_of(&results.runs, point, policy);
            results.runs[range]
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
        // The tiny study has one point of two policies: runs of policy 2 and of point 1 are
        // nobody's.
        let summarised: Vec<_> = results
            .summaries
            .iter()
            .map(|s| (s.policy.as_str(), results.runs_of(s).len()))
            .collect();
        assert_eq!(summarised, [("fast", 2), ("slow", 1)]);
    }

    #[test]
    fn summaries_cover_every_policy_at_every_point_even_without_runs() {
        let study = sweep();
        let runs = [run_at(2, 1, 0, 0.0, &[]), run_at(2, 1, 1, 0.0, &[])];
        let results = StudyResults::new(&study, &runs, true);
        let found: Vec<_> = results
            .summaries
            .iter()
            .map(|s| (s.labels[0].as_str(), s.policy.as_str(), s.replications))
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
        let empty = &results.summaries[0];
        assert!(empty.means.iter().all(Option::is_none));
        assert!(empty.routes.iter().all(|r| r.replications == 0));
        assert!(
            empty
                .routes
                .iter()
                .all(|r| r.means.iter().all(Option::is_none))
        );
    }

    #[test]
    fn a_mean_and_its_interval_are_over_the_replications_that_measured_the_metric() {
        let study = study();
        let mut runs = [
            run(0, 0, 0.0, &[("stale_ratio", 0.1)]),
            run(0, 1, 0.0, &[("stale_ratio", 0.3)]),
            run(0, 2, 0.0, &[]),
        ];
        // Not measured by replication 2.
        runs[2].metrics.0[crate::metrics::column("stale_ratio").unwrap()] = None;
        let results = StudyResults::new(&study, &runs, false);
        let fast = &results.summaries[0];
        assert_eq!(fast.replications, 3);
        assert!((fast.mean("stale_ratio").unwrap() - 0.2).abs() < 1e-12);
        let i = crate::metrics::column("stale_ratio").unwrap();
        // n = 2, s = 0.141421, t(0.975, 1) = 12.706205: 12.706205 * 0.1.
        assert!((fast.ci95[i].unwrap() - 1.2706205).abs() < 1e-6);
        // The slow policy has no runs: nothing is measured.
        assert_eq!(results.summaries[1].mean("stale_ratio"), None);
    }

    #[test]
    fn routes_follow_the_scenario_order_and_average_the_replications_that_report_them() {
        // Each run lists `tags` (fill + 1) before `posts` (fill).
        let study = study();
        let mut runs = [run(0, 0, 1.0, &[]), run(0, 1, 3.0, &[])];
        runs[1].routes.retain(|r| r.route == "posts");
        let results = StudyResults::new(&study, &runs, false);
        let routes = &results.summaries[0].routes;
        let found: Vec<_> = routes
            .iter()
            .map(|r| (r.route.as_str(), r.replications, r.means[0]))
            .collect();
        assert_eq!(found, [("posts", 2, Some(2.0)), ("tags", 1, Some(2.0))]);
        assert_eq!(routes[1].ci95[0], Some(0.0));
    }

    #[test]
    fn slo_verdicts_judge_the_means_and_only_when_asked() {
        let mut study = study();
        study.points[0].scenario.policies[0].slo = vec![crate::scenario::Bound {
            metric: "stale_ratio".to_string(),
            min: None,
            max: Some(0.15),
        }];
        let runs = [
            run(0, 0, 0.0, &[("stale_ratio", 0.1)]),
            run(0, 1, 0.0, &[("stale_ratio", 0.3)]),
        ];
        let checked = StudyResults::new(&study, &runs, true);
        assert_eq!(checked.summaries[0].slo.len(), 1);
        assert_eq!(checked.summaries[0].slo[0].value, Some(0.2));
        assert!(!checked.slo_met());
        let unchecked = StudyResults::new(&study, &runs, false);
        assert!(unchecked.summaries[0].slo.is_empty());
        assert!(unchecked.slo_met() && !unchecked.slo_checked);
    }
}
