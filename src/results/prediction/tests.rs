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

/// The paired row of `metric` of `policy`.
fn paired<'a>(c: &'a Comparison, policy: &str, metric: &str) -> &'a Paired {
    (c.paired.iter())
        .find(|p| p.policy == policy && p.metric == metric)
        .expect("a paired row")
}

/// The predicted runs beside measured folders of one run each, of `fast` at `replications`
/// with stale_ratio `values`, named m0, m1, ….
fn compare_runs(measured: &[(u32, f64)]) -> Result<Comparison, String> {
    let study = fixture::study();
    let predicted = predicted_runs();
    let runs: Vec<[RunResult; 1]> = (measured.iter())
        .map(|&(r, x)| [run(0, r, 1.0, &[("stale_ratio", x)])])
        .collect();
    let each: Vec<StudyResults> = runs.iter().map(|r| results(&study, r)).collect();
    let names: Vec<String> = (0..measured.len()).map(|i| format!("m{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let measured: Vec<&StudyResults> = each.iter().collect();
    compare_many(&results(&study, &predicted), &measured, false, "p", &names)
}

#[test]
fn each_run_is_paired_with_its_replication_and_the_largest_difference_keeps_its_sign() {
    // Predicted 0.1, 0.2, 0.4 for replications 0, 1, 2. m0 plays replication 2 (0.3: -25%),
    // m1 replication 0 (0.12: +20%).
    let c = compare_runs(&[(2, 0.3), (0, 0.12)]).unwrap();
    let labels: Vec<(&str, &str)> = (c.runs.iter())
        .filter(|r| r.policy == "fast")
        .map(|r| (r.label.as_str(), r.folder.as_str()))
        .collect();
    assert_eq!(labels, [("r0", "m1"), ("r2", "m0")]);
    let p = paired(&c, "fast", "stale_ratio");
    let pairs: Vec<(Option<f64>, Option<f64>)> =
        p.pairs.iter().map(|x| (x.measured, x.predicted)).collect();
    assert_eq!(pairs, [(Some(0.12), Some(0.1)), (Some(0.3), Some(0.4))]);
    let (largest, i) = p.largest_difference().unwrap();
    assert!((largest + 0.25).abs() < 1e-12, "{largest}");
    assert_eq!(c.runs[p.pairs[i].run].label, "r2");
    // Paired means: (0.12 + 0.3) / 2 = 0.21 against (0.1 + 0.4) / 2 = 0.25: -16%.
    let (m, pr) = p.means().unwrap();
    assert!((m - 0.21).abs() < 1e-12 && (pr - 0.25).abs() < 1e-12);
    assert!((p.means_difference().unwrap() + 0.16).abs() < 1e-12);
    // For context, over every replication: a mean of 0.7 / 3 and a spread of [0.1, 0.4].
    assert!((p.predicted.unwrap() - 0.7 / 3.0).abs() < 1e-12);
    assert_eq!(p.spread, Some((0.1, 0.4)));
    // The side-by-side row's measured value is the mean of both runs.
    assert_eq!(row(&c, "fast", "stale_ratio").measured, Some(0.21));
    // Every fixture metric is 1, so regenerations per request are 1 / 1 on both sides.
    let r = paired(&c, "fast", REGEN_PER_REQUEST);
    assert_eq!(r.means(), Some((1.0, 1.0)));
    assert_eq!(c.paired.len(), 2 * PAIRED_METRICS);
    // The seeds match (the fixture's 1000 + replication on both sides): no note.
    assert!(c.notes.is_empty(), "{:?}", c.notes);
}

#[test]
fn a_prediction_of_zero_or_a_metric_not_measured_has_no_paired_difference() {
    let pair = |measured, predicted| Pair {
        run: 0,
        measured,
        predicted,
    };
    let row = |pairs: Vec<Pair>| Paired {
        policy: "fast".to_string(),
        metric: "errors",
        unit: Unit::Count,
        predicted: None,
        spread: None,
        pairs,
    };
    assert_eq!(pair(Some(1.0), Some(0.0)).difference(), None);
    assert_eq!(pair(None, Some(1.0)).difference(), None);
    // The pair not measured is left out of the means; the one with a prediction of 0 of the
    // largest difference only.
    let r = row(vec![
        pair(None, Some(5.0)),
        pair(Some(3.0), Some(0.0)),
        pair(Some(3.0), Some(2.0)),
    ]);
    assert_eq!(r.largest_difference(), Some((0.5, 2)));
    assert_eq!(r.means(), Some((3.0, 1.0)));
    assert_eq!(r.means_difference(), Some(2.0));
    let none = row(vec![pair(None, None)]);
    assert_eq!((none.largest_difference(), none.means()), (None, None));
}

#[test]
fn a_replication_the_prediction_lacks_is_refused_naming_the_folder() {
    let e = compare_runs(&[(0, 0.1), (3, 0.2)]).unwrap_err();
    assert!(e.starts_with("m1: its replication 3"), "{e}");
    assert!(
        e.contains("prediction p") && e.contains("--replications 4"),
        "{e}"
    );
}

#[test]
fn a_run_of_another_seed_is_paired_with_a_note() {
    let study = fixture::study();
    let predicted = predicted_runs();
    let mut other = run(0, 1, 1.0, &[]);
    other.seed = 99;
    let measured = [other];
    let c = compare_named(
        &results(&study, &predicted),
        &results(&study, &measured),
        false,
        ["p", "m"],
    )
    .unwrap();
    assert_eq!(c.notes.len(), 1, "{:?}", c.notes);
    assert!(c.notes[0].starts_with("m: replication 1 was drawn from seed 99"));
    assert_eq!(paired(&c, "fast", "stale_ratio").pairs.len(), 1);
}
