//! Two sets of results compared policy by policy and metric by metric (`isrsim diff BASE NEW`),
//! so a CI job can fail when a change makes ISR worse; `report::diff` renders the comparison and
//! `commands::diff` runs the command.
//!
//! Each folder is read back whole (`Folder::read`) and its summaries computed as the run computed
//! them; they are compared at the precision `summary.csv` shows, so a verdict can be checked
//! against the files. Rows are matched by (sweep point labels, policy). A change is a
//! **regression** only when the new 95% interval lies wholly on the worse side of the base one:
//! for a lower-is-better metric `new.mean - new.ci95 > base.mean + base.ci95`, for a
//! higher-is-better one `new.mean + new.ci95 < base.mean - base.ci95`; an **improvement** is the
//! mirror image. Two intervals that do not overlap is a conservative test, so replication noise
//! rarely trips it. With one replication the ci95 is 0 and *any* worse value counts; use
//! replications, or `--threshold`, which ignores changes smaller than a relative amount. Metrics
//! where neither direction is better (`requests`) are not judged, and a metric measured in one
//! folder only (docs/model.md §11.3) is noted, not judged. Rows in one folder only are listed but
//! are not regressions; folders that sweep different keys cannot be compared.
//!
//! Both folders must hold the same scenario, told by its `name`: a baseline and a change to it
//! (another parameter, another policy, another seed) keep the name, and that is what `diff` is
//! for; two different studies compared metric by metric would report differences that are no
//! regressions. Different names are bad input unless forced.

#[cfg(test)]
pub(crate) mod tests;

use std::collections::{HashMap, HashSet};

use super::summary::{Estimate, StudyResults};
use crate::metrics::{Better, RUN_COLUMNS, Unit};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Regression,
    Improvement,
}

/// A policy at a sweep point: a row of `summary.csv`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Variant {
    /// The point's label for each axis, in `Comparison::axes` order (empty without a sweep).
    pub labels: Vec<String>,
    pub policy: String,
}

impl Variant {
    /// `name`, or `name (concurrency=4, cache=shared)` at a sweep point of `axes`.
    pub fn describe(&self, axes: &[String]) -> String {
        if self.labels.is_empty() {
            return self.policy.clone();
        }
        let labels: Vec<String> = axes
            .iter()
            .zip(&self.labels)
            .map(|(a, l)| format!("{}={l}", short(a)))
            .collect();
        format!("{} ({})", self.policy, labels.join(", "))
    }
}

/// An axis key's last dotted segment: `concurrency` for `backend.concurrency`.
pub fn short(axis: &str) -> &str {
    match axis.rsplit_once('.') {
        Some((_, s)) if !s.is_empty() && !s.contains('"') => s,
        _ => axis,
    }
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
    /// Regressions first, then improvements, each in the base folder's row and column order.
    pub changes: Vec<Change>,
    /// Judged (variant, metric) pairs that were not flagged.
    pub unchanged: usize,
    /// Variants found in both folders.
    pub matched: usize,
    pub only_in_base: Vec<Variant>,
    pub only_in_new: Vec<Variant>,
    /// Things the reader should know that are not changes (one replication, metrics not
    /// measured in one folder).
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

/// Compares the summaries of two studies' results. An error (a bad threshold, differently named
/// scenarios without `force`, different axes, a policy twice at one point) is bad input.
pub fn compare(
    base: &StudyResults,
    new: &StudyResults,
    threshold: f64,
    force: bool,
) -> Result<Comparison, String> {
    compare_named(base, new, threshold, force, ["base", "new"])
}

/// `compare`, naming each side as `names` says (the folders `isrsim diff` was given).
pub fn compare_named(
    base: &StudyResults,
    new: &StudyResults,
    threshold: f64,
    force: bool,
    names: [&str; 2],
) -> Result<Comparison, String> {
    check_threshold(threshold)?;
    let base = Side::of(base, names[0])?;
    let new = Side::of(new, names[1])?;
    same_scenario(
        [&base.scenario, &new.scenario],
        names,
        force,
        "diff compares a scenario's results with those of the same scenario",
    )?;
    let order = axis_order(&base.axes, &new.axes, names)?;
    let new_rows: HashMap<Variant, &Row> = new
        .rows
        .iter()
        .map(|r| (reorder(&r.variant, &order), r))
        .collect();

    let mut notes = Vec::new();
    if base.scenario != new.scenario {
        notes.push(format!(
            "the folders hold different scenarios: \"{}\" and \"{}\"",
            base.scenario, new.scenario
        ));
    }

    let mut changes = Vec::new();
    let (mut unchanged, mut matched, mut single) = (0, 0, false);
    // Metrics measured on one side only, as "metric of policy", by the side that lacks them.
    let mut unmeasured: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    let mut only_in_base = Vec::new();
    for row in &base.rows {
        let Some(other) = new_rows.get(&row.variant) else {
            only_in_base.push(row.variant.clone());
            continue;
        };
        matched += 1;
        single |= row.replications == 1 || other.replications == 1;
        for (m, column) in RUN_COLUMNS.iter().enumerate() {
            if column.better == Better::Neutral {
                continue;
            }
            let (b, n) = match (row.values[m], other.values[m]) {
                (Some(b), Some(n)) => (b, n),
                // Not measured either side: nothing changed.
                (None, None) => {
                    unchanged += 1;
                    continue;
                }
                (b, _) => {
                    let side = usize::from(b.is_some());
                    let variant = row.variant.describe(&base.axes);
                    unmeasured[side].push(format!("{} of {variant}", column.name));
                    continue;
                }
            };
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
    for (side, metrics) in names.iter().zip(&unmeasured) {
        if !metrics.is_empty() {
            notes.push(format!(
                "not compared, not measured in {side}: {}",
                metrics.join(", ")
            ));
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

/// Where each of the base folder's axes is among the new folder's, so that the new folder's
/// labels, reordered, key alike; an error when the folders sweep different keys.
fn axis_order(base: &[String], new: &[String], names: [&str; 2]) -> Result<Vec<usize>, String> {
    let mut sorted = [base.to_vec(), new.to_vec()];
    sorted.iter_mut().for_each(|a| a.sort());
    if sorted[0] != sorted[1] {
        return Err(format!(
            "the folders sweep different keys: {} has [{}], {} has [{}]",
            names[0],
            base.join(", "),
            names[1],
            new.join(", ")
        ));
    }
    Ok(base
        .iter()
        .map(|a| new.iter().position(|b| b == a).unwrap_or(0))
        .collect())
}

/// Refuses two folders of differently named scenarios unless `force`: `why` says what the
/// command compares, so the message says why it refuses. Shared by `diff` and `prediction`.
pub(super) fn same_scenario(
    scenarios: [&str; 2],
    names: [&str; 2],
    force: bool,
    why: &str,
) -> Result<(), String> {
    if scenarios[0] == scenarios[1] || force {
        return Ok(());
    }
    Err(format!(
        "the folders hold different scenarios: {} has \"{}\", {} has \"{}\"; {why} (pass \
         --force to compare them anyway)",
        names[0], scenarios[0], names[1], scenarios[1]
    ))
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

/// One side of a comparison: its summaries, each a row of figures as `summary.csv` shows them.
struct Side {
    scenario: String,
    axes: Vec<String>,
    rows: Vec<Row>,
}

struct Row {
    variant: Variant,
    replications: usize,
    /// In `RUN_COLUMNS` order; `None` for a metric not measured.
    values: Vec<Option<Estimate>>,
}

impl Side {
    fn of(results: &StudyResults, name: &str) -> Result<Side, String> {
        let axes = results.study.axes.clone();
        let mut rows: Vec<Row> = Vec::new();
        let mut seen = HashSet::new();
        for summary in &results.summaries {
            let variant = Variant {
                labels: summary.labels.clone(),
                policy: summary.policy.clone(),
            };
            if !seen.insert(variant.clone()) {
                return Err(format!(
                    "{name}: policy {} is there twice: two sweep points have the same labels",
                    variant.describe(&axes)
                ));
            }
            // Summaries hold the figures summary.csv shows, so a verdict can be checked there.
            let values = (0..RUN_COLUMNS.len())
                .map(|c| summary.estimate(c))
                .collect();
            rows.push(Row {
                variant,
                replications: summary.replications,
                values,
            });
        }
        Ok(Side {
            scenario: results.study.base.name.clone(),
            axes,
            rows,
        })
    }
}
