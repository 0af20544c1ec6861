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
//! Paired comparisons (`paired`): when both sides' runs can be matched replication by
//! replication (two policies of one folder, `isrsim diff DIR --policies A,B`, or two folders of
//! the same scenario, seed and replications), a change is judged on the per-replication
//! differences instead: their mean and 95% t-interval, beyond it when the interval excludes 0.
//! Otherwise the unpaired test above applies, and the comparison says why. Only the gated
//! metrics (`Settings::gate`) count as regressions for the exit code; the others are shown.
//!
//! Both folders must hold the same scenario, told by its `name`: a baseline and a change to it
//! (another parameter, another policy, another seed) keep the name, and that is what `diff` is
//! for; two different studies compared metric by metric would report differences that are no
//! regressions. Different names are bad input unless forced.

pub mod paired;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::{HashMap, HashSet};

use super::summary::{Estimate, StudyResults};
use crate::metrics::{Better, RUN_COLUMNS, Unit};
use paired::{Replication, beyond, pairable};

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
    /// The paired difference `new − base` (mean and 95% half-width), when paired.
    pub difference: Option<Estimate>,
    /// The differences `new − base` replication by replication, when paired (empty when not).
    pub per_replication: Vec<f64>,
    pub verdict: Verdict,
    /// Whether the metric is gated: only a gated regression fails `diff` (exit 3).
    pub gated: bool,
}

/// How the two sides were compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pairing {
    /// Replication by replication, with this many replications.
    Paired { replications: usize },
    /// Side by side (two intervals that must not overlap), and why not paired.
    Unpaired { why: String },
}

/// What `compare_with` is told: the threshold, whether to compare differently named scenarios,
/// and the gate (`None`: the default gate, `paired::default_gate`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Settings {
    pub threshold: f64,
    pub force: bool,
    pub gate: Option<Vec<usize>>,
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
    pub pairing: Pairing,
    /// The gated metrics, and where the gate came from (`--gate`, the `[slo]`, the default).
    pub gate: Vec<&'static str>,
    pub gate_from: String,
}

impl Comparison {
    /// Regressions of gated metrics: what fails `diff`.
    pub fn regressions(&self) -> usize {
        (self.changes.iter())
            .filter(|c| c.gated && c.verdict == Verdict::Regression)
            .count()
    }

    /// Regressions of metrics outside the gate: shown, not failing.
    pub fn ungated_regressions(&self) -> usize {
        self.count(Verdict::Regression) - self.regressions()
    }

    pub fn improvements(&self) -> usize {
        self.count(Verdict::Improvement)
    }

    fn count(&self, verdict: Verdict) -> usize {
        self.changes.iter().filter(|c| c.verdict == verdict).count()
    }
}

/// Compares the summaries of two studies' results, gating every metric. An error (a bad
/// threshold, differently named scenarios without `force`, different axes, a policy twice at one
/// point) is bad input.
pub fn compare(
    base: &StudyResults,
    new: &StudyResults,
    threshold: f64,
    force: bool,
) -> Result<Comparison, String> {
    compare_named(base, new, threshold, force, ["base", "new"])
}

/// `compare`, naming each side as `names` says.
pub fn compare_named(
    base: &StudyResults,
    new: &StudyResults,
    threshold: f64,
    force: bool,
    names: [&str; 2],
) -> Result<Comparison, String> {
    let settings = Settings {
        threshold,
        force,
        gate: Some((0..RUN_COLUMNS.len()).collect()),
    };
    compare_with(base, new, &settings, names)
}

/// Compares two folders' results (`isrsim diff BASE NEW`), paired replication by replication
/// when they have the same seeds and replications, naming each side as `names` says.
pub fn compare_with(
    base: &StudyResults,
    new: &StudyResults,
    settings: &Settings,
    names: [&str; 2],
) -> Result<Comparison, String> {
    check_threshold(settings.threshold)?;
    let base_side = Side::of(base, names[0], None)?;
    let new_side = Side::of(new, names[1], None)?;
    same_scenario(
        [&base_side.scenario, &new_side.scenario],
        names,
        settings.force,
        "diff compares a scenario's results with those of the same scenario",
    )?;
    let order = axis_order(&base_side.axes, &new_side.axes, names)?;
    // Two scenarios saw different users, whatever their seeds.
    let unpaired = (base_side.scenario != new_side.scenario)
        .then(|| "the folders hold different scenarios".to_string());
    let mut comparison = judge_sides(
        base_side, new_side, &order, settings, names, base.study, unpaired,
    );
    if base.study.base.name != new.study.base.name {
        comparison.notes.insert(
            0,
            format!(
                "the folders hold different scenarios: \"{}\" and \"{}\"",
                base.study.base.name, new.study.base.name
            ),
        );
    }
    Ok(comparison)
}

/// Compares two policies of one folder (`isrsim diff DIR --policies A,B`) at every sweep point,
/// paired replication by replication: every policy saw the same users and edits.
pub fn compare_policies(
    results: &StudyResults,
    policies: [&str; 2],
    settings: &Settings,
) -> Result<Comparison, String> {
    check_threshold(settings.threshold)?;
    for policy in policies {
        if !results.summaries.iter().any(|s| s.policy == policy) {
            let mut names: Vec<&str> = results
                .summaries
                .iter()
                .map(|s| s.policy.as_str())
                .collect();
            names.dedup();
            return Err(format!(
                "--policies: the folder has no policy `{policy}`; its policies are {}",
                names.join(", ")
            ));
        }
    }
    if policies[0] == policies[1] {
        return Err(format!(
            "--policies names `{}` twice: name two policies, such as A,B",
            policies[0]
        ));
    }
    let base = Side::of(results, policies[0], Some(policies))?;
    let new = Side::of(results, policies[1], Some([policies[1], policies[1]]))?;
    let order: Vec<usize> = (0..base.axes.len()).collect();
    Ok(judge_sides(
        base,
        new,
        &order,
        settings,
        policies,
        results.study,
        None,
    ))
}

/// Judges every (variant, metric) the two sides share, paired when they can be (and `unpaired`
/// gives no reason not to).
fn judge_sides(
    base: Side,
    new: Side,
    order: &[usize],
    settings: &Settings,
    names: [&str; 2],
    study: &crate::scenario::Study,
    unpaired: Option<String>,
) -> Comparison {
    let new_rows: HashMap<Variant, &Row> = new
        .rows
        .iter()
        .map(|r| (reorder(&r.variant, order), r))
        .collect();
    let matched_rows =
        || (base.rows.iter()).filter_map(|r| new_rows.get(&r.variant).map(|n| (r, *n)));
    let pairs = matched_rows().map(|(b, n)| (b.runs.as_slice(), n.runs.as_slice()));
    let pairing = match unpaired.map_or_else(|| pairable(pairs), Err) {
        Ok(()) => Pairing::Paired {
            replications: matched_rows().map(|(b, _)| b.runs.len()).min().unwrap_or(0),
        },
        Err(why) => Pairing::Unpaired { why },
    };
    let (gate, gate_from) = resolve_gate(settings, study);
    let mut notes = Vec::new();
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
            // Each replication's difference when paired, none when not.
            let per_replication = match pairing {
                Pairing::Paired { .. } => paired::differences(&row.runs, &other.runs, m),
                Pairing::Unpaired { .. } => Vec::new(),
            };
            let paired_difference = paired::summarize(&per_replication);
            let verdict = match paired_difference {
                Some(d) => judge_paired(column.better, d, b, n, settings.threshold),
                None => judge(column.better, b, n, settings.threshold),
            };
            match verdict {
                Some(verdict) => changes.push(Change {
                    variant: row.variant.clone(),
                    metric: column.name,
                    unit: column.unit,
                    base: b,
                    new: n,
                    difference: paired_difference.map(|d| d.0),
                    per_replication,
                    verdict,
                    gated: gate.contains(&m),
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
        .map(|r| reorder(&r.variant, order))
        .filter(|v| !in_base.contains(&v))
        .collect();
    if single {
        notes.push(one_replication(&pairing));
    }
    // Stable: regressions first, each kind in row and column order.
    changes.sort_by_key(|c| c.verdict != Verdict::Regression);
    Comparison {
        base_name: names[0].to_string(),
        new_name: names[1].to_string(),
        axes: base.axes,
        threshold: settings.threshold,
        changes,
        unchanged,
        matched,
        only_in_base,
        only_in_new,
        notes,
        pairing,
        gate: gate.iter().map(|&c| RUN_COLUMNS[c].name).collect(),
        gate_from,
    }
}

/// The gated metrics and where they came from: `--gate`, else `paired::default_gate`.
fn resolve_gate(settings: &Settings, study: &crate::scenario::Study) -> (Vec<usize>, String) {
    match &settings.gate {
        Some(gate) => (gate.clone(), "--gate".to_string()),
        None => {
            let (gate, from) = paired::default_gate(study);
            (gate, from.to_string())
        }
    }
}

/// The note of a comparison with one replication: what its verdicts rest on.
fn one_replication(pairing: &Pairing) -> String {
    let why = match pairing {
        Pairing::Paired { .. } => "there is no paired interval with one replication",
        Pairing::Unpaired { .. } => "its ci95 is 0",
    };
    format!(
        "one replication: {why}, so any worse value counts (run more replications or pass \
         --threshold)"
    )
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

/// Whether `new` is worse or better than `base` by a paired difference beyond its interval
/// (with one replication, any difference) and the threshold.
fn judge_paired(
    better: Better,
    (d, _): (Estimate, usize),
    base: Estimate,
    new: Estimate,
    threshold: f64,
) -> Option<Verdict> {
    // With one pair, the half-width is 0: any difference is beyond it, as unpaired.
    let past = beyond(Some((d, 2)))?;
    let verdict = match (better, past, d.mean > 0.0) {
        (_, false, _) => return None,
        (Better::Lower, true, true) | (Better::Higher, true, false) => Verdict::Regression,
        _ => Verdict::Improvement,
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
    /// Each replication's figures, in replication order.
    runs: Vec<Replication>,
    /// In `RUN_COLUMNS` order; `None` for a metric not measured.
    values: Vec<Option<Estimate>>,
}

impl Side {
    /// The rows of `results`; with `policy`, only those of policy `policy[0]`, named `policy[1]`
    /// (so two policies of one folder match by sweep point).
    fn of(results: &StudyResults, name: &str, policy: Option<[&str; 2]>) -> Result<Side, String> {
        let axes = results.study.axes.clone();
        let mut rows: Vec<Row> = Vec::new();
        let mut seen = HashSet::new();
        for summary in &results.summaries {
            if policy.is_some_and(|[p, _]| summary.policy != p) {
                continue;
            }
            let variant = Variant {
                labels: summary.labels.clone(),
                policy: policy.map_or(summary.policy.clone(), |[_, named]| named.to_string()),
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
            let runs = results.runs_of(summary);
            rows.push(Row {
                variant,
                replications: summary.replications,
                runs: runs.iter().map(|r| Replication::of(r)).collect(),
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
