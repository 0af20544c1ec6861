//! `isrsim compare`'s output: a legend, then every metric of every policy in common with its
//! prediction and measurement, as aligned text (a table per policy, within 100 columns) or as one
//! Markdown table for a pull request; then each measured run beside its own replication's
//! prediction (`paired`); then the policies of one folder only and the notes. With
//! `isrsim compare --out`, also the comparison drawn into the measured results folder, as
//! `charts/compare.svg` and `.png` and a "Prediction and measurement" section of its
//! `report.html`; a later `isrsim plot` redraws the folder from its own files, without them.

mod paired;
#[cfg(test)]
mod tests;

pub use paired::MARKDOWN_HEADING;

use std::io;
use std::path::Path;

use super::charts::{self, Ratios};
use super::diff::Format;
use super::figures;
use super::format::{
    align_columns, human_significant, markdown_table, percent_change, significant_estimate, wrap,
};
use super::html::Section;
use crate::results::StudyResults;
use crate::results::prediction::{Comparison, Row};

/// What the columns mean; the spread's definition is the one the verdict follows.
const LEGEND: &str = "predicted: mean ± 95% interval over the simulated replications; spread: \
the least and greatest value of those replications; measured: the mean of the measured runs \
(every replication of every measured folder); difference: (measured - predicted) / predicted; \
within: whether measured lies in [least, greatest] of the spread. n/a: not measured, or a \
prediction of 0.";

const HEADING: [&str; 6] = [
    "metric",
    "predicted",
    "spread",
    "measured",
    "difference",
    "within",
];

pub fn render(comparison: &Comparison, format: Format) -> String {
    let c = comparison;
    let markdown = format == Format::Markdown;
    let mut out = if markdown {
        format!(
            "### isrsim compare: `{}` (predicted) and `{}` (measured)\n\n{LEGEND}\n\n",
            c.predicted_name, c.measured_name
        )
    } else {
        format!(
            "isrsim compare, scenario {}\npredicted: {}\nmeasured:  {}\n\n{}\n\n",
            c.scenario,
            c.predicted_name,
            c.measured_names.join("\n           "),
            wrap(LEGEND, 100)
        )
    };
    if markdown {
        let mut heading = vec!["policy".to_string()];
        heading.extend(HEADING.map(String::from));
        let rows: Vec<Vec<String>> = c.rows.iter().map(|r| cells(r, true)).collect();
        out += &markdown_table(&heading, &rows, |c| c < 2 || c == heading.len() - 1);
        out += "\n";
        out += &paired::markdown(c);
        out += "\n";
    } else {
        let replications = |n: usize| {
            if n == 1 {
                "replication"
            } else {
                "replications"
            }
        };
        for (policy, predicted, measured) in &c.policies {
            out += &format!(
                "policy {policy}: {predicted} predicted {}, {measured} measured\n",
                replications(*predicted),
            );
            let rows: Vec<Vec<String>> = (c.rows.iter())
                .filter(|r| &r.policy == policy)
                .map(|r| cells(r, false)[1..].to_vec())
                .collect();
            let heading = HEADING.map(String::from).to_vec();
            out += &align_columns(&[heading], &rows, |c| c == 0 || c == HEADING.len() - 1);
            out += "\n";
            out += &paired::text(c, policy);
        }
    }
    let bullet = if markdown { "- " } else { "" };
    for (policies, side) in [
        (&c.only_predicted, &c.predicted_name),
        (&c.only_measured, &c.measured_name),
    ] {
        for p in policies {
            out += &format!("{bullet}policy {p} only in {side}: not compared\n");
        }
    }
    for note in &c.notes {
        let note = format!("{bullet}note: {note}");
        out += &if markdown { note } else { wrap(&note, 100) };
        out += "\n";
    }
    let within = c.rows.iter().filter(|r| r.within_spread() == Some(true));
    let judged = c.rows.iter().filter(|r| r.within_spread().is_some());
    out += &format!(
        "{bullet}{} of {} measured metrics within the spread of the simulated replications, \
         across {} {}\n",
        within.count(),
        judged.count(),
        c.policies.len(),
        if c.policies.len() == 1 {
            "policy"
        } else {
            "policies"
        }
    );
    out
}

/// A row's cells: policy, metric, predicted, spread, measured, difference, within.
fn cells(row: &Row, markdown: bool) -> Vec<String> {
    let na = || "n/a".to_string();
    let figure = |x: f64| human_significant(x, row.unit);
    vec![
        row.policy.clone(),
        if markdown {
            format!("`{}`", row.metric)
        } else {
            row.metric.to_string()
        },
        row.predicted
            .map_or_else(na, |e| significant_estimate(e, row.unit)),
        row.spread.map_or_else(na, |(low, high)| {
            format!("{} – {}", figure(low), figure(high))
        }),
        row.measured.map_or_else(na, figure),
        match (row.relative_difference(), row.predicted, row.measured) {
            (Some(_), Some(p), Some(m)) => percent_change(p.mean, m),
            _ => na(),
        },
        match (row.within_spread(), markdown) {
            (None, _) => na(),
            (Some(true), _) => "yes".to_string(),
            (Some(false), false) => "no".to_string(),
            (Some(false), true) => "**no**".to_string(),
        },
    ]
}

/// Every figure of `row` divided by the predicted mean, so metrics of any unit share one axis of
/// the chart; `None` when the prediction is 0 or either side did not measure the metric.
fn ratios(row: &Row) -> Option<Ratios> {
    let (p, measured) = (row.predicted?, row.measured?);
    if p.mean == 0.0 || !p.mean.is_finite() {
        return None;
    }
    let ratio = |x: f64| x / p.mean;
    Some(Ratios {
        metric: row.metric.to_string(),
        interval: (ratio(p.mean - p.ci95), ratio(p.mean + p.ci95)),
        spread: row.spread.map(|(low, high)| (ratio(low), ratio(high))),
        measured: ratio(measured),
    })
}

/// Draws the comparison into `dir`, the measured results folder whose figures are `results`:
/// its charts and `report.html` redrawn whole, with the comparison's chart and section.
pub fn draw_into(comparison: &Comparison, results: &StudyResults, dir: &Path) -> io::Result<()> {
    let chart = chart(comparison)?;
    let mut columns = vec!["policy"];
    columns.extend(HEADING);
    let section = Section {
        id: "prediction",
        heading: "Prediction and measurement",
        intro: format!(
            "This folder's measurement beside the prediction in {}, as isrsim compare showed \
             them. Within: the measured value lies in the spread (least to greatest) of the \
             simulated replications. n/a: not measured, or a prediction of 0. isrsim plot on \
             this folder redraws the report without this section.",
            comparison.predicted_name
        ),
        chart: &chart,
        columns: &columns,
        rows: comparison.rows.iter().map(|r| cells(r, false)).collect(),
    };
    figures::redraw_with(dir, results, Some(&section))
}

/// The chart of the first policy in common.
fn chart(comparison: &Comparison) -> io::Result<charts::Chart> {
    let policy = comparison.policies.first().map_or("", |p| p.0.as_str());
    let rows: Vec<&Row> = (comparison.rows.iter())
        .filter(|r| r.policy == policy)
        .collect();
    let ratios: Vec<Ratios> = rows.iter().filter_map(|r| ratios(r)).collect();
    charts::draw_prediction(
        &comparison.scenario,
        policy,
        &ratios,
        rows.len() - ratios.len(),
    )
}
