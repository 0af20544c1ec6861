//! `isrsim compare`'s output: a legend, then every metric of every policy in common with its
//! prediction and measurement, as aligned text (a table per policy, within 100 columns) or as one
//! Markdown table for a pull request, then the policies of one folder only and the notes.

use super::{Comparison, Row};
use crate::report::diff::Format;
use crate::report::diff::render::{estimate, markdown_table, percent_change, text_table};
use crate::report::format::human_significant;

/// What the columns mean; the spread's definition is the one the verdict follows.
const LEGEND: &str = "predicted: mean ± 95% interval over the simulated replications; spread: \
the least and greatest value of those replications; measured: the mean of the measured folder's \
replications; difference: (measured - predicted) / predicted; within: whether measured lies in \
[least, greatest] of the spread. n/a: not measured, or a prediction of 0.";

pub(super) const HEADING: [&str; 6] = [
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
            c.measured_name,
            wrap(LEGEND, 100)
        )
    };
    if markdown {
        let mut heading = vec!["policy".to_string()];
        heading.extend(HEADING.map(String::from));
        let rows: Vec<Vec<String>> = c.rows.iter().map(|r| cells(r, true)).collect();
        out += &markdown_table(&heading, &rows, 2);
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
            out += &text_table(&HEADING.map(String::from), &rows, 1);
            out += "\n";
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
        out += &format!("{bullet}note: {note}\n");
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
pub(super) fn cells(row: &Row, markdown: bool) -> Vec<String> {
    let na = || "n/a".to_string();
    let figure = |x: f64| human_significant(x, row.unit);
    vec![
        row.policy.clone(),
        if markdown {
            format!("`{}`", row.metric)
        } else {
            row.metric.to_string()
        },
        row.predicted.map_or_else(na, |e| estimate(e, row.unit)),
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

/// `text` broken at spaces into lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> String {
    let mut lines: Vec<String> = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines.join("\n")
}
