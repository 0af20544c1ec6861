//! `isrsim compare`'s output, of comparisons `results::prediction` makes of runs made by hand
//! (its tests' helpers), and the chart's ratios.

use super::*;
use crate::metrics::{RUN_COLUMNS, Unit};
use crate::results::Estimate;
use crate::results::fixture::{self, run};
use crate::results::prediction::compare;
use crate::results::prediction::tests::{predicted_runs, results, unmeasured_stale_age};

#[test]
fn text_fits_100_columns_and_markdown_is_a_table() {
    let study = fixture::study();
    let predicted = predicted_runs();
    let measured = [run(0, 0, 1234.5, &[("stale_ratio", 0.123456)])];
    let c = compare(
        &results(&study, &predicted),
        &results(&study, &measured),
        false,
    )
    .unwrap();
    let text = render(&c, Format::Text);
    for line in text.lines() {
        assert!(line.chars().count() <= 100, "{line}");
    }
    let md = render(&c, Format::Markdown);
    assert!(
        md.contains("| policy | metric | predicted | spread | measured | difference | within |"),
        "{md}"
    );
    let rows = md.lines().filter(|l| l.starts_with("| fast |")).count();
    assert_eq!(rows, RUN_COLUMNS.len());
}

#[test]
fn ratios_divide_every_figure_by_the_predicted_mean() {
    let row = |predicted: Option<Estimate>, measured: Option<f64>| Row {
        policy: "fast".to_string(),
        metric: "regenerations",
        unit: Unit::Count,
        predicted,
        spread: Some((150.0, 300.0)),
        measured,
    };
    // A mean of 200 ± 20, replications from 150 to 300, a measurement of 250: by hand, an
    // interval of [0.9, 1.1], a spread of [0.75, 1.5] and a measured ratio of 1.25.
    let estimate = Estimate {
        mean: 200.0,
        ci95: 20.0,
    };
    let found = ratios(&row(Some(estimate), Some(250.0))).unwrap();
    assert_eq!(found.metric, "regenerations");
    assert_eq!(found.interval, (0.9, 1.1));
    assert_eq!(found.spread, Some((0.75, 1.5)));
    assert_eq!(found.measured, 1.25);
    // No ratio to a prediction of 0, nor to a side that did not measure.
    let zero = Estimate {
        mean: 0.0,
        ci95: 0.0,
    };
    assert_eq!(ratios(&row(Some(zero), Some(1.0))), None);
    assert_eq!(ratios(&row(None, Some(1.0))), None);
    assert_eq!(ratios(&row(Some(estimate), None)), None);
}

#[test]
fn a_metric_not_measured_on_one_side_reads_na() {
    let text = render(&unmeasured_stale_age(), Format::Text);
    let line = (text.lines())
        .find(|l| l.starts_with("stale_age_p99_s"))
        .unwrap();
    let cells: Vec<&str> = line
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(cells[3..].to_vec(), ["n/a", "n/a", "n/a"], "{line}");
}
