//! `isrsim compare`'s comparison, on runs and summaries made by hand; `report::compare`'s tests
//! render the same comparisons, through the helpers here.

use super::*;
use crate::metrics::{RunResult, column};
use crate::results::fixture::{self, run};
use crate::scenario::Study;

/// The results of `runs` of the tiny scenario (policies `fast` and `slow`).
pub(crate) fn results<'a>(study: &'a Study, runs: &'a [RunResult]) -> StudyResults<'a> {
    StudyResults::new(study, runs, false)
}

/// The row of `metric` of `policy`.
fn row<'a>(c: &'a Comparison, policy: &str, metric: &str) -> &'a Row {
    (c.rows.iter())
        .find(|r| r.policy == policy && r.metric == metric)
        .expect("a row")
}

/// Three predicted replications of `fast` with stale_ratio 0.1, 0.2 and 0.4 (a mean of
/// 0.233333, a spread of [0.1, 0.4]), every other metric 1.
pub(crate) fn predicted_runs() -> Vec<RunResult> {
    [0.1, 0.2, 0.4]
        .iter()
        .enumerate()
        .map(|(i, &x)| run(0, i as u32, 1.0, &[("stale_ratio", x)]))
        .collect()
}

#[test]
fn each_policy_in_both_gets_a_row_per_metric_with_its_spread_and_verdict() {
    let study = fixture::study();
    let predicted = predicted_runs();
    // One measured replication of `fast` only, stale_ratio 0.5: above the spread.
    let measured = [run(0, 0, 2.0, &[("stale_ratio", 0.5), ("errors", 0.4)])];
    let mut measured_study = fixture::study();
    measured_study.base.replications = 1;
    let c = compare(
        &results(&study, &predicted),
        &results(&measured_study, &measured),
        false,
    )
    .unwrap();
    // `slow` has no runs on either side but a summary on both: its rows are all n/a.
    assert_eq!(c.rows.len(), 2 * RUN_COLUMNS.len());
    let stale = row(&c, "fast", "stale_ratio");
    assert_eq!(stale.spread, Some((0.1, 0.4)));
    let p = stale.predicted.unwrap();
    assert_eq!(p.mean, 0.233333);
    assert_eq!(stale.measured, Some(0.5));
    assert_eq!(stale.within_spread(), Some(false));
    // (0.5 - 0.233333) / 0.233333 = 1.1428602…
    assert!((stale.relative_difference().unwrap() - 1.14286).abs() < 1e-6);
    // Every other metric was 1 in every replication: a spread of [1, 1]; 0.4 is below it.
    let errors = row(&c, "fast", "errors");
    assert_eq!(errors.spread, Some((1.0, 1.0)));
    assert_eq!(errors.within_spread(), Some(false));
    assert!((errors.relative_difference().unwrap() + 0.6).abs() < 1e-9);
    let slow = row(&c, "slow", "stale_ratio");
    assert_eq!((slow.predicted, slow.measured), (None, None));
    assert_eq!(
        (slow.relative_difference(), slow.within_spread()),
        (None, None)
    );
}

#[test]
fn a_value_on_either_end_of_the_spread_is_within_it() {
    let study = fixture::study();
    let predicted = predicted_runs();
    for (x, within) in [(0.1, true), (0.4, true), (0.25, true), (0.099999, false)] {
        let measured = [run(0, 0, 1.0, &[("stale_ratio", x)])];
        let c = compare(
            &results(&study, &predicted),
            &results(&study, &measured),
            false,
        )
        .unwrap();
        assert_eq!(
            row(&c, "fast", "stale_ratio").within_spread(),
            Some(within),
            "{x}"
        );
    }
}

/// The predicted runs beside a measurement of `fast` that did not measure `stale_age_p99_s`.
pub(crate) fn unmeasured_stale_age() -> Comparison {
    let study = fixture::study();
    let predicted = predicted_runs();
    let mut measured = run(0, 0, 1.0, &[]);
    let i = column("stale_age_p99_s").unwrap();
    measured.metrics.0[i] = None;
    let measured = [measured];
    compare(
        &results(&study, &predicted),
        &results(&study, &measured),
        false,
    )
    .unwrap()
}

#[test]
fn a_metric_not_measured_on_one_side_is_na_never_zero() {
    let c = unmeasured_stale_age();
    let r = row(&c, "fast", "stale_age_p99_s");
    assert_eq!(r.measured, None);
    assert_eq!((r.relative_difference(), r.within_spread()), (None, None));
}

#[test]
fn a_prediction_of_zero_has_no_relative_difference() {
    let study = fixture::study();
    let predicted = [run(0, 0, 0.0, &[])];
    let measured = [run(0, 0, 0.5, &[])];
    let c = compare(
        &results(&study, &predicted),
        &results(&study, &measured),
        false,
    )
    .unwrap();
    let r = row(&c, "fast", "errors");
    assert_eq!(r.relative_difference(), None);
    assert_eq!(r.within_spread(), Some(false));
}

#[test]
fn different_scenarios_sweeps_and_no_common_policy_are_refused() {
    let study = fixture::study();
    let runs = predicted_runs();
    let mut other = fixture::study();
    other.base.name = "other".to_string();
    let e = compare(&results(&study, &runs), &results(&other, &runs), false).unwrap_err();
    assert!(
        e.contains("different scenarios") && e.contains("--force"),
        "{e}"
    );
    let forced = compare(&results(&study, &runs), &results(&other, &runs), true).unwrap();
    assert_eq!(forced.notes.len(), 1);

    let sweep = fixture::sweep();
    let mut swept = fixture::study();
    swept.axes = sweep.axes.clone();
    let e = compare(&results(&swept, &runs), &results(&study, &runs), false).unwrap_err();
    assert!(e.contains("without a [sweep]"), "{e}");

    let mut renamed = fixture::study();
    for (i, policy) in renamed.base.policies.iter_mut().enumerate() {
        policy.name = format!("other-{i}");
    }
    renamed.points[0].scenario = renamed.base.clone();
    let e = compare(&results(&study, &runs), &results(&renamed, &runs), false).unwrap_err();
    assert!(e.contains("no policy in common"), "{e}");
}
