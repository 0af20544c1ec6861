//! `isrsim diff`'s output: how the sides were compared (paired per replication, or not and why)
//! and which metrics are gated, the flagged changes as aligned text for a terminal or a CI log,
//! or as a Markdown table for a pull-request comment, then the rows in one folder only, the notes
//! and a summary line.

#[cfg(test)]
mod tests;

use crate::report::format::{
    align_columns, markdown_table, percent_change, significant, significant_estimate,
};
use crate::results::Estimate;
use crate::results::diff::{Change, Comparison, Pairing, Verdict, short};

/// How `render` lays out a comparison (of `isrsim diff` or `isrsim compare`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for a terminal or a CI log.
    Text,
    /// A GitHub-flavoured Markdown table, for a pull-request comment.
    Markdown,
}

/// The comparison as text or Markdown: the flagged changes, rows in one folder only, notes, and
/// a summary line.
pub fn render(comparison: &Comparison, format: Format) -> String {
    let c = comparison;
    let markdown = format == Format::Markdown;
    let mut out = if markdown {
        format!("### isrsim diff: `{}` → `{}`\n\n", c.base_name, c.new_name)
    } else {
        format!("isrsim diff: {} → {}\n\n", c.base_name, c.new_name)
    };
    if c.threshold > 0.0 {
        let pct = significant(c.threshold * 100.0);
        let pct = if pct.contains('.') {
            pct.trim_end_matches('0').trim_end_matches('.')
        } else {
            &pct
        };
        out += &format!("Changes smaller than {pct}% are ignored.\n\n");
    }
    out += &match &c.pairing {
        Pairing::Paired { replications } => format!(
            "Paired per replication ({replications} replication{}, common random numbers): each \
             difference is new − base replication by replication, beyond its 95% interval when \
             the interval excludes 0.\n",
            if *replications == 1 { "" } else { "s" }
        ),
        Pairing::Unpaired { why } => {
            format!("Unpaired: {why}; a change counts when the two 95% intervals do not overlap.\n")
        }
    };
    let gate = if markdown {
        c.gate.iter().map(|g| format!("`{g}`")).collect::<Vec<_>>()
    } else {
        c.gate.iter().map(|g| g.to_string()).collect()
    };
    out += &format!(
        "Gated ({}): {}; a regression of another metric is shown but does not fail.\n\n",
        c.gate_from,
        gate.join(", ")
    );
    if c.changes.is_empty() {
        out += "No metric changed beyond its 95% confidence intervals.\n\n";
    } else {
        let mut heading: Vec<String> = c.axes.iter().map(|a| short(a).to_string()).collect();
        heading.extend(["policy", "metric", "base", "new", "change"].map(String::from));
        let paired = matches!(c.pairing, Pairing::Paired { .. });
        if paired {
            heading.push("per replication".to_string());
            heading.push("paired difference".to_string());
        }
        heading.push("verdict".to_string());
        let rows: Vec<Vec<String>> = c
            .changes
            .iter()
            .map(|change| cells(change, markdown, paired))
            .collect();
        // The labels, the policy and the metric read from the left, as does the verdict.
        let labels = c.axes.len() + 2;
        let left = |column: usize| column < labels || column == heading.len() - 1;
        out += &if markdown {
            markdown_table(&heading, &rows, left)
        } else {
            align_columns(&[heading.clone()], &rows, left)
        };
        out += "\n";
    }
    let bullet = if markdown { "- " } else { "" };
    let only = [
        (&c.only_in_base, &c.base_name),
        (&c.only_in_new, &c.new_name),
    ];
    for (variants, side) in only {
        for v in variants {
            let v = v.describe(&c.axes);
            out += &if markdown {
                format!("{bullet}policy `{v}` only in `{side}`\n")
            } else {
                format!("policy {v} only in {side}\n")
            };
        }
    }
    for note in &c.notes {
        out += &format!("{bullet}note: {note}\n");
    }
    if !(c.only_in_base.is_empty() && c.only_in_new.is_empty() && c.notes.is_empty()) {
        out += "\n";
    }
    let summary = summary_line(c);
    out += &if markdown && c.regressions() > 0 {
        format!("**{summary}**\n")
    } else {
        format!("{summary}\n")
    };
    out
}

/// A change's cells: axis labels, policy, metric, both estimates, the change, the verdict.
fn cells(change: &Change, markdown: bool, paired: bool) -> Vec<String> {
    let mut row = change.variant.labels.clone();
    row.push(change.variant.policy.clone());
    row.push(if markdown {
        format!("`{}`", change.metric)
    } else {
        change.metric.to_string()
    });
    row.push(significant_estimate(change.base, change.unit));
    row.push(significant_estimate(change.new, change.unit));
    row.push(percent_change(change.base.mean, change.new.mean));
    if paired {
        let signed = |d: Estimate| {
            let shown = significant_estimate(d, change.unit);
            if d.mean > 0.0 {
                format!("+{shown}")
            } else {
                shown
            }
        };
        let each: Vec<String> = (change.per_replication.iter())
            .map(|&mean| signed(Estimate { mean, ci95: 0.0 }))
            .collect();
        row.push(each.join(" "));
        row.push(change.difference.map_or(String::new(), signed));
    }
    let verdict = match (change.verdict, markdown) {
        (Verdict::Regression, false) => "regression",
        (Verdict::Improvement, false) => "improvement",
        (Verdict::Regression, true) => "❌ regression",
        (Verdict::Improvement, true) => "✅ improvement",
    };
    row.push(match (change.verdict, change.gated) {
        (Verdict::Regression, false) => format!("{verdict} (not gated)"),
        _ => verdict.to_string(),
    });
    row
}

/// "2 regressions, 1 improvement, 40 metrics unchanged across 4 policies".
fn summary_line(c: &Comparison) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let across = if c.axes.is_empty() {
        plural(c.matched, "policy", "policies")
    } else {
        plural(
            c.matched,
            "(sweep point, policy) pair",
            "(sweep point, policy) pairs",
        )
    };
    let ungated = match c.ungated_regressions() {
        0 => String::new(),
        n => format!(
            " (and {} not gated)",
            plural(n, "regression", "regressions")
        ),
    };
    format!(
        "{}{ungated}, {}, {} unchanged across {across}",
        plural(c.regressions(), "regression", "regressions"),
        plural(c.improvements(), "improvement", "improvements"),
        plural(c.unchanged, "metric", "metrics"),
    )
}
