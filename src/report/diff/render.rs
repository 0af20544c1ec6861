//! `isrsim diff`'s output: the flagged changes as aligned text for a terminal or a CI log, or as
//! a Markdown table for a pull-request comment, then the rows in one folder only, the notes and a
//! summary line.

use super::{Change, Comparison, Estimate, Format, Variant, Verdict};
use crate::metrics::Unit;
use crate::report::format::{human_significant, significant};

/// `name`, or `name (concurrency=4, cache=shared)` at a sweep point.
pub(super) fn describe(variant: &Variant, axes: &[String]) -> String {
    if variant.labels.is_empty() {
        return variant.policy.clone();
    }
    let labels: Vec<String> = axes
        .iter()
        .zip(&variant.labels)
        .map(|(a, l)| format!("{}={l}", short(a)))
        .collect();
    format!("{} ({})", variant.policy, labels.join(", "))
}

/// An axis key's last dotted segment: `concurrency` for `backend.concurrency`.
fn short(axis: &str) -> &str {
    match axis.rsplit_once('.') {
        Some((_, s)) if !s.is_empty() && !s.contains('"') => s,
        _ => axis,
    }
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
    if c.changes.is_empty() {
        out += "No metric changed beyond its 95% confidence intervals.\n\n";
    } else {
        let mut heading: Vec<String> = c.axes.iter().map(|a| short(a).to_string()).collect();
        heading.extend(["policy", "metric", "base", "new", "change", "verdict"].map(String::from));
        let rows: Vec<Vec<String>> = c
            .changes
            .iter()
            .map(|change| cells(change, markdown))
            .collect();
        let labels = c.axes.len() + 2;
        out += &if markdown {
            markdown_table(&heading, &rows, labels)
        } else {
            text_table(&heading, &rows, labels)
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
            let v = describe(v, &c.axes);
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
fn cells(change: &Change, markdown: bool) -> Vec<String> {
    let mut row = change.variant.labels.clone();
    row.push(change.variant.policy.clone());
    row.push(if markdown {
        format!("`{}`", change.metric)
    } else {
        change.metric.to_string()
    });
    row.push(estimate(change.base, change.unit));
    row.push(estimate(change.new, change.unit));
    row.push(percent_change(change.base.mean, change.new.mean));
    row.push(
        match (change.verdict, markdown) {
            (Verdict::Regression, false) => "regression",
            (Verdict::Improvement, false) => "improvement",
            (Verdict::Regression, true) => "❌ regression",
            (Verdict::Improvement, true) => "✅ improvement",
        }
        .to_string(),
    );
    row
}

/// "2 regressions, 1 improvement, 40 metrics unchanged across 4 policies".
pub(super) fn summary_line(c: &Comparison) -> String {
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
    format!(
        "{}, {}, {} unchanged across {across}",
        plural(c.regressions(), "regression", "regressions"),
        plural(c.improvements(), "improvement", "improvements"),
        plural(c.unchanged, "metric", "metrics"),
    )
}

/// Aligned columns under a rule: the first `left` (labels) left-aligned, the figures
/// right-aligned, the verdict left-aligned.
pub(in crate::report) fn text_table(
    heading: &[String],
    rows: &[Vec<String>],
    left: usize,
) -> String {
    let mut lines = vec![heading.to_vec()];
    lines.extend(rows.iter().cloned());
    let widths: Vec<usize> = (0..heading.len())
        .map(|c| {
            lines
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let last = heading.len() - 1;
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, &w))| {
                if c < left || c == last {
                    format!("{cell:<w$}")
                } else {
                    format!("{cell:>w$}")
                }
            })
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut text = line(&lines[0]);
    text += &line(&widths.iter().map(|&w| "-".repeat(w)).collect::<Vec<_>>());
    for row in &lines[1..] {
        text += &line(row);
    }
    text
}

/// A GitHub-flavoured Markdown table, figures right-aligned.
pub(in crate::report) fn markdown_table(
    heading: &[String],
    rows: &[Vec<String>],
    left: usize,
) -> String {
    let row = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| c.replace('|', "\\|")).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    let last = heading.len() - 1;
    let rule: Vec<String> = (0..heading.len())
        .map(|c| if c < left || c == last { "---" } else { "---:" }.to_string())
        .collect();
    let mut text = row(heading);
    text += &format!("|{}|\n", rule.join("|"));
    for cells in rows {
        text += &row(cells);
    }
    text
}

/// `mean ± ci95`, or the mean alone when the interval is 0 (one replication).
pub(in crate::report) fn estimate(e: Estimate, unit: Unit) -> String {
    if e.ci95 == 0.0 {
        human_significant(e.mean, unit)
    } else {
        format!(
            "{} ± {}",
            human_significant(e.mean, unit),
            human_significant(e.ci95, unit)
        )
    }
}

/// The relative change with its sign, `+12.5%`; `from 0` when the base is 0.
pub(in crate::report) fn percent_change(base: f64, new: f64) -> String {
    if base == 0.0 {
        return "from 0".to_string();
    }
    let pct = (new - base) / base.abs() * 100.0;
    let sign = if pct > 0.0 { "+" } else { "" };
    format!("{sign}{}%", significant(pct))
}
