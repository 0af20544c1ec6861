//! `isrsim diff`'s output, of comparisons `results::diff` makes of summaries set by hand (its
//! tests' helpers).

use super::*;
use crate::results::diff::tests::{Side, col, compare, judged, sweep, two_policies};

/// The text of `base` compared with `new`.
fn text(base: &Side, new: &Side, threshold: f64) -> String {
    render(&compare(base, new, threshold).unwrap(), Format::Text)
}

#[test]
fn nothing_changed_says_so_in_the_summary_line() {
    let table = two_policies(&[("stale_ratio", 0.4), ("stale_ratio_ci95", 0.0)]);
    let text = text(&table, &table, 0.0);
    let last = text.lines().last().unwrap();
    let expected = format!(
        "0 regressions, 0 improvements, {} metrics unchanged across 2 policies",
        2 * judged()
    );
    assert_eq!(last, expected);
    assert!(text.contains("No metric changed beyond its 95% confidence intervals."));
}

#[test]
fn one_replication_is_noted() {
    let base = two_policies(&[("replications", 1.0), ("errors", 3.0), ("errors_ci95", 0.0)]);
    let new = two_policies(&[("replications", 1.0), ("errors", 4.0), ("errors_ci95", 0.0)]);
    let text = text(&base, &new, 0.0);
    assert!(
        text.contains("note: one replication: its ci95 is 0"),
        "{text}"
    );
    // An interval of 0 is not shown: `3 ± 0` would claim a precision one run does not have.
    assert!(text.contains("  3  "), "{text}");
}

#[test]
fn the_threshold_and_a_change_from_zero_are_said() {
    let base = two_policies(&[("latency_p99_ms", 200.0), ("latency_p99_ms_ci95", 1.0)]);
    let new = two_policies(&[("latency_p99_ms", 208.0), ("latency_p99_ms_ci95", 1.0)]);
    let text = text(&base, &new, 0.05);
    assert!(
        text.contains("Changes smaller than 5% are ignored."),
        "{text}"
    );
    let base = two_policies(&[("errors", 0.0), ("errors_ci95", 0.0)]);
    let new = two_policies(&[("errors", 1.0), ("errors_ci95", 0.0)]);
    assert!(self::text(&base, &new, 1000.0).contains("from 0"));
}

#[test]
fn the_summary_line_counts_each_kind_of_change() {
    let base = two_policies(&[("errors", 5.0), ("stale_ratio", 0.5)]);
    let mut new = two_policies(&[("errors", 2.0), ("stale_ratio", 0.5)]);
    new.summary("fast").means[col("regenerations")] = Some(9.0);
    let c = compare(&base, &new, 0.0).unwrap();
    assert!(summary_line(&c).starts_with("1 regression, 1 improvement, "));
}

#[test]
fn markdown_has_a_heading_a_table_and_the_flagged_metric() {
    let base = two_policies(&[("stale_ratio", 0.10), ("stale_ratio_ci95", 0.01)]);
    let new = two_policies(&[("stale_ratio", 0.13), ("stale_ratio_ci95", 0.01)]);
    let c = compare(&base, &new, 0.0).unwrap();
    let md = render(&c, Format::Markdown);
    let lines: Vec<&str> = md.lines().collect();
    assert!(lines[0].starts_with("### "), "{md}");
    let header = lines
        .iter()
        .position(|l| l.starts_with("| policy |"))
        .unwrap();
    assert_eq!(
        lines[header],
        "| policy | metric | base | new | change | verdict |"
    );
    assert_eq!(lines[header + 1], "|---|---|---:|---:|---:|---|");
    assert_eq!(
        lines[header + 2],
        "| slow | `stale_ratio` | 10.0% ± 1.00% | 13.0% ± 1.00% | +30.0% | ❌ regression |"
    );
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("**1 regression, 0 improvements")
    );
}

#[test]
fn text_lines_up_and_names_the_change() {
    let base = two_policies(&[("stale_ratio", 0.10), ("stale_ratio_ci95", 0.01)]);
    let mut new = two_policies(&[("stale_ratio", 0.13), ("stale_ratio_ci95", 0.01)]);
    new.summary("fast").means[col("backend_wait_p99_s")] = Some(0.5);
    let text = render(&compare(&base, &new, 0.0).unwrap(), Format::Text);
    let lines: Vec<&str> = text.lines().collect();
    // The title, a blank line, how the sides were compared, the gate and a blank line.
    assert!(lines[2].starts_with("Unpaired: "), "{text}");
    assert!(lines[3].starts_with("Gated (--gate): "), "{text}");
    let table = &lines[5..9];
    assert!(table[0].starts_with("policy  metric"), "{text}");
    assert!(table[1].starts_with("------  ---"), "{text}");
    // In characters: `±` is two bytes.
    let at = |line: &str, word| line.find(word).map(|b| line[..b].chars().count());
    assert_eq!(
        at(table[0], "verdict"),
        at(table[2], "regression"),
        "{text}"
    );
    assert_eq!(
        at(table[0], "verdict"),
        at(table[3], "improvement"),
        "{text}"
    );
    assert!(table[2].contains("stale_ratio") && table[2].contains("+30.0%"));
    assert!(
        table[3].starts_with("fast") && table[3].contains("1.00s ± 0.100s"),
        "{text}"
    );
    assert!(table[3].contains("0.500s ± 0.100s"), "{text}");
}

#[test]
fn a_sweep_names_its_axes_and_counts_pairs() {
    let axes = ["backend.concurrency"];
    let text = text(&sweep(&axes, [1.0, 1.0]), &sweep(&axes, [1.0, 2.0]), 0.0);
    assert!(text.contains("concurrency  policy"), "{text}");
    assert!(
        text.contains("across 4 (sweep point, policy) pairs"),
        "{text}"
    );
}

#[test]
fn rows_of_one_folder_and_metrics_of_one_are_listed() {
    let base = two_policies(&[]);
    let mut new = two_policies(&[]);
    new.summary("slow").policy = "hybrid".to_string();
    let text = text(&base, &new, 0.0);
    assert!(text.contains("policy slow only in base"), "{text}");
    assert!(text.contains("policy hybrid only in new"), "{text}");
    let mut new = two_policies(&[]);
    new.summary("slow").means[col("stale_age_p99_s")] = None;
    let text = self::text(&base, &new, 0.0);
    assert!(
        text.contains("note: not compared, not measured in new: stale_age_p99_s of slow"),
        "{text}"
    );
}
