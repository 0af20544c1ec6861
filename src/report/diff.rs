//! `isrsim diff BASE NEW`: two results folders compared policy by policy and metric by metric,
//! from their `summary.csv`, so a CI job can fail when a change makes ISR worse.
//!
//! Rows are matched by (sweep point labels, policy). A change is a **regression** only when the
//! new 95% interval lies wholly on the worse side of the base one: for a lower-is-better metric
//! `new.mean - new.ci95 > base.mean + base.ci95`, for a higher-is-better one
//! `new.mean + new.ci95 < base.mean - base.ci95`; an **improvement** is the mirror image. Two
//! intervals that do not overlap is a conservative test, so replication noise rarely trips it.
//! With one replication `summary.csv` has a ci95 of 0 and *any* worse value counts; use
//! replications, or `--threshold`, which ignores changes smaller than a relative amount. Metrics
//! where neither direction is better (`requests`) are not judged. Rows in one folder only are
//! listed but are not regressions; folders that sweep different keys cannot be compared.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::path::Path;

use super::format::{human_significant, significant};
use super::results::Table;
use crate::error::exit_code::{BAD_INPUT, FAILURE, OK, SLO_VIOLATED};
use crate::metrics::{Better, RUN_COLUMNS, Unit};

/// How `render` lays out a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for a terminal or a CI log.
    Text,
    /// A GitHub-flavoured Markdown table, for a pull-request comment.
    Markdown,
}

pub struct Options {
    /// Changes whose relative size `|new - base| / |base|` is below this are ignored (0.05 is 5%).
    pub threshold: f64,
    pub format: Format,
}

/// A metric's mean over replications and the half-width of its 95% interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    pub ci95: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Regression,
    Improvement,
}

/// One row of `summary.csv`: a policy at a sweep point.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Variant {
    /// The point's label for each axis, in `Comparison::axes` order (empty without a sweep).
    pub labels: Vec<String>,
    pub policy: String,
}

/// A metric of one variant that got worse or better beyond both intervals and the threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub variant: Variant,
    pub metric: &'static str,
    pub unit: Unit,
    pub base: Estimate,
    pub new: Estimate,
    pub verdict: Verdict,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// How the output names the two sides: `base` and `new`, or the folders `run` was given.
    pub base_name: String,
    pub new_name: String,
    /// The swept keys, in the base folder's order.
    pub axes: Vec<String>,
    pub threshold: f64,
    /// Regressions first, then improvements, each in the base file's row and column order.
    pub changes: Vec<Change>,
    /// Judged (variant, metric) pairs that were not flagged.
    pub unchanged: usize,
    /// Variants found in both folders.
    pub matched: usize,
    pub only_in_base: Vec<Variant>,
    pub only_in_new: Vec<Variant>,
    /// Things the reader should know that are not changes (one replication, metrics skipped).
    pub notes: Vec<String>,
}

impl Comparison {
    pub fn regressions(&self) -> usize {
        self.count(Verdict::Regression)
    }

    pub fn improvements(&self) -> usize {
        self.count(Verdict::Improvement)
    }

    fn count(&self, verdict: Verdict) -> usize {
        self.changes.iter().filter(|c| c.verdict == verdict).count()
    }
}

/// Compares two `summary.csv` tables. An error (bad threshold, a table that is not a
/// `summary.csv`, a cell that is not a number, different axes) is bad input.
pub fn compare(base: &Table, new: &Table, threshold: f64) -> Result<Comparison, String> {
    compare_named(base, new, threshold, ["base", "new"])
}

/// `compare`, with errors naming each table as `names` says.
fn compare_named(
    base: &Table,
    new: &Table,
    threshold: f64,
    names: [&str; 2],
) -> Result<Comparison, String> {
    check_threshold(threshold)?;
    let base = Summary::parse(base, names[0])?;
    let new = Summary::parse(new, names[1])?;
    let mut sorted = [base.axes.clone(), new.axes.clone()];
    sorted.iter_mut().for_each(|a| a.sort());
    if sorted[0] != sorted[1] {
        return Err(format!(
            "the folders sweep different keys: {} has [{}], {} has [{}]",
            names[0],
            base.axes.join(", "),
            names[1],
            new.axes.join(", ")
        ));
    }
    // The new folder's labels, reordered to the base folder's axes, so both key alike.
    let order: Vec<usize> = base
        .axes
        .iter()
        .map(|a| new.axes.iter().position(|b| b == a).unwrap_or(0))
        .collect();
    let new_rows: HashMap<Variant, &Row> = new
        .rows
        .iter()
        .map(|r| (reorder(&r.variant, &order), r))
        .collect();

    let metrics: Vec<usize> = (0..RUN_COLUMNS.len())
        .filter(|&m| base.metrics[m].is_some() && new.metrics[m].is_some())
        .collect();
    let mut notes = Vec::new();
    let skipped: Vec<&str> = (0..RUN_COLUMNS.len())
        .filter(|&m| base.metrics[m].is_some() != new.metrics[m].is_some())
        .map(|m| RUN_COLUMNS[m].name)
        .collect();
    if !skipped.is_empty() {
        notes.push(format!(
            "not compared, in one folder only: {}",
            skipped.join(", ")
        ));
    }
    if base.scenario != new.scenario {
        notes.push(format!(
            "the folders hold different scenarios: \"{}\" and \"{}\"",
            base.scenario, new.scenario
        ));
    }

    let mut changes = Vec::new();
    let (mut unchanged, mut matched, mut single) = (0, 0, false);
    let mut only_in_base = Vec::new();
    for row in &base.rows {
        let Some(other) = new_rows.get(&row.variant) else {
            only_in_base.push(row.variant.clone());
            continue;
        };
        matched += 1;
        single |= row.replications == Some(1) || other.replications == Some(1);
        for &m in &metrics {
            let (Some(b), Some(n)) = (row.values[m], other.values[m]) else {
                continue;
            };
            let column = &RUN_COLUMNS[m];
            match judge(column.better, b, n, threshold) {
                Some(verdict) => changes.push(Change {
                    variant: row.variant.clone(),
                    metric: column.name,
                    unit: column.unit,
                    base: b,
                    new: n,
                    verdict,
                }),
                None => unchanged += 1,
            }
        }
    }
    let in_base: HashSet<&Variant> = base.rows.iter().map(|r| &r.variant).collect();
    let only_in_new = new
        .rows
        .iter()
        .map(|r| reorder(&r.variant, &order))
        .filter(|v| !in_base.contains(&v))
        .collect();
    if single {
        notes.push(
            "one replication: its ci95 is 0, so any worse value counts (run more replications \
             or pass --threshold)"
                .to_string(),
        );
    }
    // Stable: regressions first, each kind in row and column order.
    changes.sort_by_key(|c| c.verdict != Verdict::Regression);
    Ok(Comparison {
        base_name: names[0].to_string(),
        new_name: names[1].to_string(),
        axes: base.axes,
        threshold,
        changes,
        unchanged,
        matched,
        only_in_base,
        only_in_new,
        notes,
    })
}

fn check_threshold(threshold: f64) -> Result<(), String> {
    if threshold.is_finite() && threshold >= 0.0 {
        Ok(())
    } else {
        Err(format!(
            "threshold {threshold} is not allowed: give a relative change of 0 or more, such as \
             0.05 for 5%"
        ))
    }
}

fn reorder(variant: &Variant, order: &[usize]) -> Variant {
    Variant {
        labels: order
            .iter()
            .map(|&i| variant.labels.get(i).cloned().unwrap_or_default())
            .collect(),
        policy: variant.policy.clone(),
    }
}

/// Whether `new` is worse or better than `base` beyond both intervals and the threshold.
fn judge(better: Better, base: Estimate, new: Estimate, threshold: f64) -> Option<Verdict> {
    let higher = new.mean - new.ci95 > base.mean + base.ci95;
    let lower = new.mean + new.ci95 < base.mean - base.ci95;
    let verdict = match (better, higher, lower) {
        (Better::Lower, true, _) | (Better::Higher, _, true) => Verdict::Regression,
        (Better::Lower, _, true) | (Better::Higher, true, _) => Verdict::Improvement,
        _ => return None,
    };
    (relative_change(base.mean, new.mean) >= threshold).then_some(verdict)
}

/// `|new - base| / |base|`; infinite when only `base` is 0.
fn relative_change(base: f64, new: f64) -> f64 {
    if new == base {
        0.0
    } else if base == 0.0 {
        f64::INFINITY
    } else {
        (new - base).abs() / base.abs()
    }
}

/// A `summary.csv` checked and parsed: every judged metric of every row, as numbers.
struct Summary {
    scenario: String,
    axes: Vec<String>,
    /// For each run column, the indices of its mean and ci95, when the file has it.
    metrics: Vec<Option<(usize, usize)>>,
    rows: Vec<Row>,
}

struct Row {
    variant: Variant,
    replications: Option<u64>,
    /// In `RUN_COLUMNS` order; `None` for a metric not judged or not in the file.
    values: Vec<Option<Estimate>>,
}

impl Summary {
    fn parse(table: &Table, name: &str) -> Result<Summary, String> {
        let policy = table.column("policy");
        let Some(policy) = policy.filter(|_| table.header.first().is_some_and(|h| h == "scenario"))
        else {
            return Err(format!(
                "{name}: not a summary.csv (its header must start with `scenario` and have a \
                 `policy` column)"
            ));
        };
        let axes = table.header[1..policy].to_vec();
        let mut metrics = Vec::new();
        for column in &RUN_COLUMNS {
            let mean = table.column(column.name);
            let ci = table.column(&format!("{}_ci95", column.name));
            metrics.push(match (column.better, mean, ci) {
                (Better::Neutral, _, _) | (_, None, _) => None,
                (_, Some(mean), Some(ci)) => Some((mean, ci)),
                (_, Some(_), None) => {
                    return Err(format!(
                        "{name}: column `{0}` has no `{0}_ci95` beside it",
                        column.name
                    ));
                }
            });
        }
        let replications = table.column("replications");
        let mut rows = Vec::new();
        let mut seen = HashMap::new();
        for (i, cells) in table.rows.iter().enumerate() {
            let line = i + 2;
            let cell = |c: usize| {
                cells.get(c).map(String::as_str).ok_or_else(|| {
                    format!(
                        "{name}: line {line} has {} cells, the header {}",
                        cells.len(),
                        table.header.len()
                    )
                })
            };
            let number = |c: usize| -> Result<f64, String> {
                let text = cell(c)?;
                text.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| {
                        format!(
                            "{name}: line {line}: `{}` is `{text}`, not a number",
                            table.header[c]
                        )
                    })
            };
            let variant = Variant {
                labels: (1..policy)
                    .map(|c| cell(c).map(String::from))
                    .collect::<Result<_, _>>()?,
                policy: cell(policy)?.to_string(),
            };
            if let Some(first) = seen.insert(variant.clone(), line) {
                return Err(format!(
                    "{name}: lines {first} and {line} are both policy {}",
                    describe(&variant, &axes)
                ));
            }
            let mut values = Vec::new();
            for columns in &metrics {
                values.push(match *columns {
                    Some((mean, ci)) => {
                        let ci95 = number(ci)?;
                        if ci95 < 0.0 {
                            return Err(format!(
                                "{name}: line {line}: `{}` is negative",
                                table.header[ci]
                            ));
                        }
                        Some(Estimate {
                            mean: number(mean)?,
                            ci95,
                        })
                    }
                    None => None,
                });
            }
            let replications = match replications {
                Some(c) => Some(number(c)? as u64),
                None => None,
            };
            rows.push(Row {
                variant,
                replications,
                values,
            });
        }
        let scenario = table.rows.first().and_then(|r| r.first());
        Ok(Summary {
            scenario: scenario.cloned().unwrap_or_default(),
            axes,
            metrics,
            rows,
        })
    }
}

/// `name`, or `name (concurrency=4, cache=shared)` at a sweep point.
fn describe(variant: &Variant, axes: &[String]) -> String {
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
    format!(
        "{}, {}, {} unchanged across {across}",
        plural(c.regressions(), "regression", "regressions"),
        plural(c.improvements(), "improvement", "improvements"),
        plural(c.unchanged, "metric", "metrics"),
    )
}

/// Aligned columns under a rule: the first `left` (labels) left-aligned, the figures
/// right-aligned, the verdict left-aligned.
fn text_table(heading: &[String], rows: &[Vec<String>], left: usize) -> String {
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
fn markdown_table(heading: &[String], rows: &[Vec<String>], left: usize) -> String {
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
fn estimate(e: Estimate, unit: Unit) -> String {
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
fn percent_change(base: f64, new: f64) -> String {
    if base == 0.0 {
        return "from 0".to_string();
    }
    let pct = (new - base) / base.abs() * 100.0;
    let sign = if pct > 0.0 { "+" } else { "" };
    format!("{sign}{}%", significant(pct))
}

/// Prints the comparison on stdout (errors on stderr) and returns the exit code: 3 when any
/// metric regressed, 0 when none did, 2 on bad input, 1 when stdout cannot be written.
pub fn run(base: &Path, new: &Path, options: &Options) -> i32 {
    run_to(
        base,
        new,
        options,
        &mut io::stdout().lock(),
        &mut io::stderr(),
    )
}

/// `run`, writing to `out` and `err` instead of stdout and stderr, for tests that read both.
pub fn run_to(
    base: &Path,
    new: &Path,
    options: &Options,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let compared = check_threshold(options.threshold).and_then(|()| {
        let files = [base, new].map(|dir| dir.join("summary.csv"));
        let tables = [read(base, &files[0])?, read(new, &files[1])?];
        let shown = files.each_ref().map(|f| f.display().to_string());
        compare_named(
            &tables[0],
            &tables[1],
            options.threshold,
            [&shown[0], &shown[1]],
        )
    });
    let mut comparison = match compared {
        Ok(c) => c,
        Err(e) => {
            // Nothing better to do if stderr itself cannot be written.
            let _ = writeln!(err, "error: {e}");
            return BAD_INPUT;
        }
    };
    comparison.base_name = base.display().to_string();
    comparison.new_name = new.display().to_string();
    let text = render(&comparison, options.format);
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        let _ = writeln!(err, "error: cannot write the comparison: {e}");
        return FAILURE;
    }
    if comparison.regressions() > 0 {
        SLO_VIOLATED
    } else {
        OK
    }
}

/// A folder's `summary.csv`, with a message that says which is missing when one is.
fn read(dir: &Path, file: &Path) -> Result<Table, String> {
    if !dir.is_dir() {
        return Err(format!(
            "{} is not a results folder (it does not exist or is not a folder)",
            dir.display()
        ));
    }
    if !file.is_file() {
        return Err(format!(
            "{} has no summary.csv: is it a folder written by `isrsim run`?",
            dir.display()
        ));
    }
    Table::read(file).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `summary.csv` header with the given axes, and every run column with its ci95.
    fn header(axes: &[&str]) -> Vec<String> {
        let mut header = vec!["scenario".to_string()];
        header.extend(axes.iter().map(|a| a.to_string()));
        header.extend(["policy", "replications"].map(String::from));
        for c in &RUN_COLUMNS {
            header.extend([c.name.to_string(), format!("{}_ci95", c.name)]);
        }
        header
    }

    /// A row of `header(axes)`: every mean 1 with a ci95 of 0.1, then `cells` set by name.
    fn row(table: &Table, labels: &[&str], policy: &str, cells: &[(&str, f64)]) -> Vec<String> {
        let mut row = vec!["tiny".to_string()];
        row.extend(labels.iter().map(|l| l.to_string()));
        row.extend([policy.to_string(), "3".to_string()]);
        for _ in &RUN_COLUMNS {
            row.extend(["1".to_string(), "0.1".to_string()]);
        }
        for &(name, value) in cells {
            row[table.column(name).unwrap()] = value.to_string();
        }
        row
    }

    /// Two policies, `fast` and `slow`, with `cells` applied to `slow`.
    fn two_policies(slow: &[(&str, f64)]) -> Table {
        let mut table = Table {
            header: header(&[]),
            rows: Vec::new(),
        };
        table.rows = vec![
            row(&table, &[], "fast", &[]),
            row(&table, &[], "slow", slow),
        ];
        table
    }

    fn flagged(c: &Comparison) -> Vec<(String, &str, Verdict)> {
        c.changes
            .iter()
            .map(|ch| (ch.variant.policy.clone(), ch.metric, ch.verdict))
            .collect()
    }

    /// The judged (non-neutral) run columns.
    fn judged() -> usize {
        RUN_COLUMNS
            .iter()
            .filter(|c| c.better != Better::Neutral)
            .count()
    }

    #[test]
    fn identical_tables_flag_nothing() {
        let table = two_policies(&[("stale_ratio", 0.4), ("stale_ratio_ci95", 0.0)]);
        let c = compare(&table, &table, 0.0).unwrap();
        assert!(c.changes.is_empty());
        assert_eq!(c.matched, 2);
        assert_eq!(c.unchanged, 2 * judged());
        assert!(c.only_in_base.is_empty() && c.only_in_new.is_empty());
        let text = render(&c, Format::Text);
        let last = text.lines().last().unwrap();
        let expected = format!(
            "0 regressions, 0 improvements, {} metrics unchanged across 2 policies",
            2 * judged()
        );
        assert_eq!(last, expected);
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
        let text = render(&c, Format::Text);
        assert!(
            text.contains("note: one replication: its ci95 is 0"),
            "{text}"
        );
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
        let text = render(&c, Format::Text);
        assert!(
            text.contains("Changes smaller than 5% are ignored."),
            "{text}"
        );
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
        assert!(render(&c, Format::Text).contains("from 0"));
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
        let regen = new.column("regenerations").unwrap();
        new.rows[0][regen] = "9".to_string();
        let c = compare(&base, &new, 0.0).unwrap();
        assert_eq!(
            flagged(&c),
            [
                ("fast".to_string(), "regenerations", Verdict::Regression),
                ("slow".to_string(), "errors", Verdict::Improvement),
            ]
        );
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
        let wait = new.column("backend_wait_p99_s").unwrap();
        new.rows[0][wait] = "0.5".to_string();
        let text = render(&compare(&base, &new, 0.0).unwrap(), Format::Text);
        let lines: Vec<&str> = text.lines().collect();
        let table = &lines[2..6];
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

    /// A sweep over `backend.concurrency` with the `slow` policy's staleness set per point.
    fn sweep(axes: &[&str], stale: [f64; 2]) -> Table {
        let mut table = Table {
            header: header(axes),
            rows: Vec::new(),
        };
        let labels = |point: &'static str| match axes.len() {
            1 => vec![point],
            _ => vec![point, "local"],
        };
        let mut rows = Vec::new();
        for (point, stale) in ["2", "8"].into_iter().zip(stale) {
            rows.push(row(&table, &labels(point), "fast", &[]));
            rows.push(row(
                &table,
                &labels(point),
                "slow",
                &[("stale_ratio", stale)],
            ));
        }
        table.rows = rows;
        table
    }

    #[test]
    fn a_sweep_matches_rows_by_axis_labels_and_policy() {
        let axes = ["backend.concurrency"];
        let base = sweep(&axes, [1.0, 1.0]);
        let mut new = sweep(&axes, [1.0, 2.0]);
        // Row order does not matter, only the labels and the policy.
        new.rows.reverse();
        let c = compare(&base, &new, 0.0).unwrap();
        assert_eq!(c.matched, 4);
        assert_eq!(c.changes.len(), 1);
        assert_eq!(c.changes[0].variant.labels, ["8"]);
        assert_eq!(c.changes[0].variant.policy, "slow");
        let text = render(&c, Format::Text);
        assert!(text.contains("concurrency  policy"), "{text}");
        assert!(
            text.contains("across 4 (sweep point, policy) pairs"),
            "{text}"
        );
    }

    #[test]
    fn axes_in_another_order_still_match() {
        let base = sweep(&["backend.concurrency", "origin.cache"], [1.0, 1.0]);
        let mut new = sweep(&["backend.concurrency", "origin.cache"], [1.0, 2.0]);
        new.header.swap(1, 2);
        for r in &mut new.rows {
            r.swap(1, 2);
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
        new.rows[1][1] = "hybrid".to_string();
        let c = compare(&base, &new, 0.0).unwrap();
        assert!(c.changes.is_empty());
        assert_eq!(c.matched, 1);
        assert_eq!(c.only_in_base[0].policy, "slow");
        assert_eq!(c.only_in_new[0].policy, "hybrid");
        let text = render(&c, Format::Text);
        assert!(text.contains("policy slow only in base"), "{text}");
        assert!(text.contains("policy hybrid only in new"), "{text}");
    }

    #[test]
    fn a_cell_that_is_not_a_number_or_a_duplicate_row_is_bad_input() {
        let base = two_policies(&[]);
        let mut new = two_policies(&[]);
        let c = new.column("stale_ratio").unwrap();
        new.rows[1][c] = "lots".to_string();
        let error = compare(&base, &new, 0.0).unwrap_err();
        assert_eq!(error, "new: line 3: `stale_ratio` is `lots`, not a number");
        let mut twice = two_policies(&[]);
        twice.rows[1][1] = "fast".to_string();
        let error = compare(&twice, &base, 0.0).unwrap_err();
        assert!(error.contains("lines 2 and 3"), "{error}");
        let other = Table {
            header: vec!["policy".to_string(), "replication".to_string()],
            rows: Vec::new(),
        };
        assert!(
            compare(&other, &base, 0.0)
                .unwrap_err()
                .contains("not a summary.csv")
        );
    }

    #[test]
    fn a_change_reads_as_a_signed_percentage() {
        assert_eq!(percent_change(200.0, 150.0), "-25.0%");
        assert_eq!(percent_change(1.0, 13.0), "+1,200%");
    }
}
