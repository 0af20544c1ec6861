//! `isrsim diff`'s comparison, on summaries set by hand; `report::diff`'s tests render the same
//! comparisons, through the helpers here.

use super::*;
use crate::metrics;
use crate::results::Summary;
use crate::results::fixture;
use crate::scenario::Study;

/// One side of a comparison as a test builds it: a study (for its name and axes) and summaries
/// set by hand.
pub(crate) struct Side {
    pub study: Study,
    pub summaries: Vec<Summary>,
}

impl Side {
    pub fn results(&self) -> StudyResults<'_> {
        StudyResults {
            study: &self.study,
            runs: Vec::new(),
            summaries: self.summaries.clone(),
            slo_checked: false,
            warnings: Vec::new(),
        }
    }

    /// The summary of `policy` (at the first point that has it).
    pub fn summary(&mut self, policy: &str) -> &mut Summary {
        let found = self.summaries.iter_mut().find(|s| s.policy == policy);
        found.expect("the policy has a summary")
    }
}

pub(crate) fn compare(base: &Side, new: &Side, threshold: f64) -> Result<Comparison, String> {
    super::compare(&base.results(), &new.results(), threshold, false)
}

/// A study named "tiny" that sweeps `axes`.
fn study(axes: &[&str]) -> Study {
    let mut study = fixture::study();
    study.axes = axes.iter().map(|a| a.to_string()).collect();
    study
}

/// The index of a run column.
pub(crate) fn col(name: &str) -> usize {
    metrics::column(name).unwrap()
}

/// A summary of `policy` at `labels` over 3 replications: every mean 1 with a ci95 of 0.1,
/// then `cells` set by name (`NAME` for a mean, `NAME_ci95` for its half-width, or
/// `replications`).
fn summary(labels: &[&str], policy: &str, cells: &[(&str, f64)]) -> Summary {
    let mut s = Summary {
        point: 0,
        labels: labels.iter().map(|l| l.to_string()).collect(),
        policy: policy.to_string(),
        replications: 3,
        means: [Some(1.0); RUN_COLUMNS.len()],
        ci95: [Some(0.1); RUN_COLUMNS.len()],
        routes: Vec::new(),
        simulated_requests: 0,
        slo: Vec::new(),
        runs: 0..0,
    };
    for &(name, value) in cells {
        match name.strip_suffix("_ci95") {
            _ if name == "replications" => s.replications = value as usize,
            Some(metric) => s.ci95[col(metric)] = Some(value),
            None => s.means[col(name)] = Some(value),
        }
    }
    s
}

/// Two policies, `fast` and `slow`, with `cells` applied to `slow`.
pub(crate) fn two_policies(slow: &[(&str, f64)]) -> Side {
    Side {
        study: study(&[]),
        summaries: vec![summary(&[], "fast", &[]), summary(&[], "slow", slow)],
    }
}

fn flagged(c: &Comparison) -> Vec<(String, &str, Verdict)> {
    c.changes
        .iter()
        .map(|ch| (ch.variant.policy.clone(), ch.metric, ch.verdict))
        .collect()
}

/// The judged (non-neutral) run columns.
pub(crate) fn judged() -> usize {
    RUN_COLUMNS
        .iter()
        .filter(|c| c.better != Better::Neutral)
        .count()
}

#[test]
fn identical_summaries_flag_nothing() {
    let table = two_policies(&[("stale_ratio", 0.4), ("stale_ratio_ci95", 0.0)]);
    let c = compare(&table, &table, 0.0).unwrap();
    assert!(c.changes.is_empty());
    assert_eq!(c.matched, 2);
    assert_eq!(c.unchanged, 2 * judged());
    assert!(c.only_in_base.is_empty() && c.only_in_new.is_empty());
}

#[test]
fn a_worse_value_beyond_both_intervals_is_a_regression_of_that_metric_only() {
    let base = two_policies(&[("stale_ratio", 0.10), ("stale_ratio_ci95", 0.01)]);
    // 0.13 - 0.01 = 0.12 > 0.10 + 0.01 = 0.11.
    let new = two_policies(&[("stale_ratio", 0.13), ("stale_ratio_ci95", 0.01)]);
    let c = compare(&base, &new, 0.0).unwrap();
    assert_eq!(
        flagged(&c),
        [("slow".to_string(), "stale_ratio", Verdict::Regression)]
    );
    assert_eq!(c.unchanged, 2 * judged() - 1);
    let change = &c.changes[0];
    assert_eq!(
        change.base,
        Estimate {
            mean: 0.10,
            ci95: 0.01
        }
    );
    assert_eq!(
        change.new,
        Estimate {
            mean: 0.13,
            ci95: 0.01
        }
    );
    // The same change the other way round is an improvement.
    let back = compare(&new, &base, 0.0).unwrap();
    assert_eq!(
        flagged(&back),
        [("slow".to_string(), "stale_ratio", Verdict::Improvement)]
    );
}

#[test]
fn a_worse_value_within_the_intervals_is_not_flagged() {
    let base = two_policies(&[("stale_ratio", 0.10), ("stale_ratio_ci95", 0.02)]);
    // 0.13 - 0.02 = 0.11 < 0.10 + 0.02 = 0.12: the intervals overlap.
    let new = two_policies(&[("stale_ratio", 0.13), ("stale_ratio_ci95", 0.02)]);
    let c = compare(&base, &new, 0.0).unwrap();
    assert!(c.changes.is_empty(), "{:?}", c.changes);
}

#[test]
fn with_one_replication_any_worse_value_is_a_regression() {
    let once = [("replications", 1.0), ("errors", 3.0), ("errors_ci95", 0.0)];
    let base = two_policies(&once);
    let new = two_policies(&[("replications", 1.0), ("errors", 4.0), ("errors_ci95", 0.0)]);
    let c = compare(&base, &new, 0.0).unwrap();
    assert_eq!(
        flagged(&c),
        [("slow".to_string(), "errors", Verdict::Regression)]
    );
    assert!(c.notes.iter().any(|n| n.starts_with("one replication")));
}

#[test]
fn a_lower_hit_ratio_beyond_the_intervals_is_a_regression() {
    let base = two_policies(&[("cdn_hit_ratio", 0.90), ("cdn_hit_ratio_ci95", 0.01)]);
    // 0.85 + 0.01 = 0.86 < 0.90 - 0.01 = 0.89.
    let new = two_policies(&[("cdn_hit_ratio", 0.85), ("cdn_hit_ratio_ci95", 0.01)]);
    let c = compare(&base, &new, 0.0).unwrap();
    assert_eq!(
        flagged(&c),
        [("slow".to_string(), "cdn_hit_ratio", Verdict::Regression)]
    );
    let back = compare(&new, &base, 0.0).unwrap();
    assert_eq!(back.changes[0].verdict, Verdict::Improvement);
}

#[test]
fn a_neutral_metric_is_never_judged() {
    let base = two_policies(&[("requests", 1000.0), ("requests_ci95", 0.0)]);
    let new = two_policies(&[("requests", 9000.0), ("requests_ci95", 0.0)]);
    assert!(compare(&base, &new, 0.0).unwrap().changes.is_empty());
}

#[test]
fn the_threshold_suppresses_a_small_change_and_not_a_large_one() {
    let base = two_policies(&[("latency_p99_ms", 200.0), ("latency_p99_ms_ci95", 1.0)]);
    // 4% worse, well beyond the intervals.
    let new = two_policies(&[("latency_p99_ms", 208.0), ("latency_p99_ms_ci95", 1.0)]);
    assert_eq!(compare(&base, &new, 0.0).unwrap().changes.len(), 1);
    let c = compare(&base, &new, 0.05).unwrap();
    assert!(c.changes.is_empty());
    assert_eq!(c.unchanged, 2 * judged());
    assert_eq!(compare(&base, &new, 0.03).unwrap().changes.len(), 1);
}

#[test]
fn from_zero_the_change_is_infinite_and_passes_any_threshold() {
    let base = two_policies(&[("errors", 0.0), ("errors_ci95", 0.0)]);
    let new = two_policies(&[("errors", 1.0), ("errors_ci95", 0.0)]);
    let c = compare(&base, &new, 1000.0).unwrap();
    assert_eq!(
        flagged(&c),
        [("slow".to_string(), "errors", Verdict::Regression)]
    );
}

#[test]
fn a_negative_or_non_finite_threshold_is_refused() {
    let table = two_policies(&[]);
    for bad in [-0.1, f64::NAN, f64::INFINITY] {
        assert!(compare(&table, &table, bad).is_err(), "{bad}");
    }
}

#[test]
fn regressions_come_first_then_improvements() {
    let base = two_policies(&[("errors", 5.0), ("stale_ratio", 0.5)]);
    let mut new = two_policies(&[("errors", 2.0), ("stale_ratio", 0.5)]);
    new.summary("fast").means[col("regenerations")] = Some(9.0);
    let c = compare(&base, &new, 0.0).unwrap();
    assert_eq!(
        flagged(&c),
        [
            ("fast".to_string(), "regenerations", Verdict::Regression),
            ("slow".to_string(), "errors", Verdict::Improvement),
        ]
    );
    assert_eq!((c.regressions(), c.improvements()), (1, 1));
}

/// A sweep over `backend.concurrency` with the `slow` policy's staleness set per point.
pub(crate) fn sweep(axes: &[&str], stale: [f64; 2]) -> Side {
    let labels = |point: &'static str| match axes.len() {
        1 => vec![point],
        _ => vec![point, "local"],
    };
    let mut summaries = Vec::new();
    for (point, stale) in ["2", "8"].into_iter().zip(stale) {
        summaries.push(summary(&labels(point), "fast", &[]));
        summaries.push(summary(&labels(point), "slow", &[("stale_ratio", stale)]));
    }
    Side {
        study: study(axes),
        summaries,
    }
}

#[test]
fn a_sweep_matches_rows_by_axis_labels_and_policy() {
    let axes = ["backend.concurrency"];
    let base = sweep(&axes, [1.0, 1.0]);
    let mut new = sweep(&axes, [1.0, 2.0]);
    // Row order does not matter, only the labels and the policy.
    new.summaries.reverse();
    let c = compare(&base, &new, 0.0).unwrap();
    assert_eq!(c.matched, 4);
    assert_eq!(c.changes.len(), 1);
    assert_eq!(c.changes[0].variant.labels, ["8"]);
    assert_eq!(c.changes[0].variant.policy, "slow");
}

#[test]
fn axes_in_another_order_still_match() {
    let base = sweep(&["backend.concurrency", "origin.cache"], [1.0, 1.0]);
    let mut new = sweep(&["backend.concurrency", "origin.cache"], [1.0, 2.0]);
    new.study.axes.swap(0, 1);
    for s in &mut new.summaries {
        s.labels.swap(0, 1);
    }
    let c = compare(&base, &new, 0.0).unwrap();
    assert_eq!(c.changes.len(), 1);
    assert_eq!(c.changes[0].variant.labels, ["8", "local"]);
}

#[test]
fn different_axes_are_bad_input() {
    let base = sweep(&["backend.concurrency"], [1.0, 1.0]);
    let new = sweep(&["origin.instances"], [1.0, 1.0]);
    let error = compare(&base, &new, 0.0).unwrap_err();
    assert!(error.contains("different keys"), "{error}");
    let flat = two_policies(&[]);
    assert!(compare(&base, &flat, 0.0).is_err());
}

#[test]
fn rows_in_one_folder_only_are_listed_but_not_regressions() {
    let base = two_policies(&[]);
    let mut new = two_policies(&[]);
    new.summary("slow").policy = "hybrid".to_string();
    let c = compare(&base, &new, 0.0).unwrap();
    assert!(c.changes.is_empty());
    assert_eq!(c.matched, 1);
    assert_eq!(c.only_in_base[0].policy, "slow");
    assert_eq!(c.only_in_new[0].policy, "hybrid");
}

#[test]
fn a_policy_twice_at_one_point_is_bad_input() {
    let base = two_policies(&[]);
    let mut twice = two_policies(&[]);
    twice.summary("slow").policy = "fast".to_string();
    let error = compare(&twice, &base, 0.0).unwrap_err();
    assert_eq!(
        error,
        "base: policy fast is there twice: two sweep points have the same labels"
    );
}

#[test]
fn a_metric_measured_in_one_folder_only_is_noted_and_not_judged() {
    let base = two_policies(&[]);
    let mut new = two_policies(&[]);
    new.summary("slow").means[col("stale_age_p99_s")] = None;
    let c = compare(&base, &new, 0.0).unwrap();
    assert!(c.changes.is_empty());
    assert_eq!(c.unchanged, 2 * judged() - 1);
    assert_eq!(
        c.notes,
        ["not compared, not measured in new: stale_age_p99_s of slow"]
    );
    // Measured in neither: nothing changed.
    let mut both = base;
    both.summary("slow").means[col("stale_age_p99_s")] = None;
    let c = compare(&both, &new, 0.0).unwrap();
    assert!(c.notes.is_empty() && c.changes.is_empty());
    assert_eq!(c.unchanged, 2 * judged());
}

#[test]
fn differently_named_scenarios_are_refused_unless_forced() {
    let base = two_policies(&[("replications", 1.0), ("errors", 3.0), ("errors_ci95", 0.0)]);
    let mut new = two_policies(&[("replications", 1.0), ("errors", 4.0), ("errors_ci95", 0.0)]);
    new.study.base.name = "other".to_string();
    let refused = compare(&base, &new, 0.0).unwrap_err();
    assert!(
        refused.contains("\"tiny\"")
            && refused.contains("\"other\"")
            && refused.contains("--force"),
        "{refused}"
    );
    let forced = super::compare(&base.results(), &new.results(), 0.0, true).unwrap();
    assert_eq!(forced.regressions(), 1);
    assert!(
        forced
            .notes
            .iter()
            .any(|n| n.contains("different scenarios")),
        "{:?}",
        forced.notes
    );
}
