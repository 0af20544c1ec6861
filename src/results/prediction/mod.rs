//! A simulation's prediction set beside one or more measurements of the same scenario, metric by
//! metric (`isrsim compare PREDICTED MEASURED...`), so a reviewer sees where the model and the
//! real site agree; `report::compare` renders it and `commands::compare` runs the command.
//!
//! Every folder is read whole (`Folder::read`), as `isrsim diff` reads them; a measured one is
//! written by `isrsim load` (one replication, one policy, the same files) or by another
//! `isrsim run`. Each policy of the prediction present in a measured folder, by name, gets one
//! row per run column: the predicted mean and its 95% interval, the measured value (the mean
//! over every measured run of the policy, usually one), the relative difference
//! `(measured - predicted) / predicted`, and whether the measured value lies **within the spread
//! of the simulated replications**, which is defined as the closed range `[min, max]` of the
//! predicted folder's per-replication values of that metric (from `runs.csv`). The 95% interval
//! says where the *mean* of many replications lies; one measurement varies as much as one
//! replication does, so the spread of replications is what it is to be judged against. Then
//! `paired` sets each measured run beside the prediction of its own replication.
//!
//! A metric not measured on one side (docs/model.md §11.3) has no difference and no verdict
//! (`n/a`), never 0; the difference is `n/a` too when the prediction is 0. Nothing here is a
//! verdict on a change, so `compare` exits 0 whatever the figures say.
//!
//! The folders must hold the same scenario, told by its `name` (unless `force`), have a policy
//! in common, and sweep nothing: a sweep's points would need matching between a simulation and a
//! measurement, which `compare` does not do.

mod paired;
#[cfg(test)]
pub(crate) mod tests;

pub use paired::{MeasuredRun, PAIRED_METRICS, Pair, Paired, REGEN_PER_REQUEST};

use super::diff;
use super::summary::{Estimate, StudyResults};
use crate::metrics::{RUN_COLUMNS, Unit, as_written};
use crate::stats;

/// One metric of one policy on both sides.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub policy: String,
    pub metric: &'static str,
    pub unit: Unit,
    /// The predicted mean and the half-width of its 95% interval; `None` when not measured.
    pub predicted: Option<Estimate>,
    /// The least and greatest value of the predicted replications that measured the metric.
    pub spread: Option<(f64, f64)>,
    /// The measured folder's mean over its replications; `None` when not measured.
    pub measured: Option<f64>,
}

impl Row {
    /// `(measured - predicted) / predicted`; `None` when either is not measured or the
    /// prediction is 0.
    pub fn relative_difference(&self) -> Option<f64> {
        match (self.predicted, self.measured) {
            (Some(p), Some(m)) => paired::relative(m, p.mean),
            _ => None,
        }
    }

    /// Whether the measured value lies within the spread of the predicted replications, ends
    /// included; `None` when either side did not measure the metric.
    pub fn within_spread(&self) -> Option<bool> {
        match (self.spread, self.measured) {
            (Some((low, high)), Some(m)) => Some(low <= m && m <= high),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// How the output names the two sides: `predicted` and `measured`, or the folders given.
    pub predicted_name: String,
    /// The measured folders' names, joined by `, `.
    pub measured_name: String,
    /// Each measured folder's name, in the order given.
    pub measured_names: Vec<String>,
    pub scenario: String,
    /// Per policy in common, in the predicted folder's order: its replications on each side.
    pub policies: Vec<(String, usize, usize)>,
    /// One per (policy in common, run column), in that order.
    pub rows: Vec<Row>,
    /// Policies of one folder only, which are not compared.
    pub only_predicted: Vec<String>,
    pub only_measured: Vec<String>,
    /// Things the reader should know (different scenarios compared with `force`, a measured
    /// run drawn from another seed than its replication's prediction).
    pub notes: Vec<String>,
    /// Every measured run of a policy in common, in (policy, replication, folder) order.
    pub runs: Vec<MeasuredRun>,
    /// Per policy in common and paired metric (`PAIRED_METRICS`), each measured run beside the
    /// prediction of its own replication.
    pub paired: Vec<Paired>,
}

/// Compares a prediction with a measurement. An error (differently named scenarios without
/// `force`, a sweep, no policy in common, a measured replication the prediction lacks) is bad
/// input.
pub fn compare(
    predicted: &StudyResults,
    measured: &StudyResults,
    force: bool,
) -> Result<Comparison, String> {
    compare_named(predicted, measured, force, ["predicted", "measured"])
}

/// `compare`, naming each side as `names` says (the folders `isrsim compare` was given).
pub fn compare_named(
    predicted: &StudyResults,
    measured: &StudyResults,
    force: bool,
    names: [&str; 2],
) -> Result<Comparison, String> {
    compare_many(predicted, &[measured], force, names[0], &[names[1]])
}

/// A prediction beside one or more measurements (`isrsim compare PREDICTED MEASURED...`), each
/// measured folder named by `measured_names`: the side-by-side rows over every measured run,
/// and each run paired with its own replication's prediction (`paired`).
pub fn compare_many(
    predicted: &StudyResults,
    measured: &[&StudyResults],
    force: bool,
    predicted_name: &str,
    measured_names: &[&str],
) -> Result<Comparison, String> {
    let mut notes = Vec::new();
    for (results, &name) in measured.iter().zip(measured_names) {
        let scenarios = [predicted, *results].map(|r| r.study.base.name.as_str());
        diff::same_scenario(
            scenarios,
            [predicted_name, name],
            force,
            "compare sets a scenario's prediction beside a measurement of the same scenario",
        )?;
        if scenarios[0] != scenarios[1] {
            let note = format!(
                "the folders hold different scenarios: \"{}\" and \"{}\"",
                scenarios[0], scenarios[1]
            );
            notes.push(match measured.len() {
                1 => note,
                _ => format!("{note} ({name})"),
            });
        }
    }
    let sides = std::iter::once((predicted, predicted_name))
        .chain(measured.iter().copied().zip(measured_names.iter().copied()));
    for (results, name) in sides {
        if !results.study.axes.is_empty() {
            return Err(format!(
                "{name} sweeps [{}]: compare takes folders without a [sweep]; run the point to \
                 compare as a scenario of its own",
                results.study.axes.join(", ")
            ));
        }
    }
    let mut rows = Vec::new();
    let mut policies = Vec::new();
    let mut only_predicted = Vec::new();
    for summary in &predicted.summaries {
        let Some(runs) = paired::measured_runs(measured, &summary.policy) else {
            only_predicted.push(summary.policy.clone());
            continue;
        };
        policies.push((summary.policy.clone(), summary.replications, runs.len()));
        let simulated = predicted.runs_of(summary);
        for (m, column) in RUN_COLUMNS.iter().enumerate() {
            let spread = paired::spread(simulated.iter().filter_map(|r| r.metrics.0[m]));
            let values: Vec<f64> = runs.iter().filter_map(|r| r.metrics.0[m]).collect();
            rows.push(Row {
                policy: summary.policy.clone(),
                metric: column.name,
                unit: column.unit,
                predicted: summary.estimate(m),
                spread,
                measured: (!values.is_empty()).then(|| as_written(stats::mean(&values))),
            });
        }
    }
    let mut only_measured: Vec<String> = Vec::new();
    for results in measured {
        for s in &results.summaries {
            let known = predicted.summaries.iter().any(|p| p.policy == s.policy);
            if !known && !only_measured.contains(&s.policy) {
                only_measured.push(s.policy.clone());
            }
        }
    }
    if policies.is_empty() {
        return Err(format!(
            "the folders have no policy in common: {predicted_name} has [{}], {}",
            only_predicted.join(", "),
            (measured.iter().zip(measured_names))
                .map(|(r, name)| format!("{name} has [{}]", policy_names(r).join(", ")))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let (runs, paired) = paired::pair(predicted, measured, predicted_name, measured_names)?;
    notes.extend(paired::seed_notes(&runs));
    Ok(Comparison {
        predicted_name: predicted_name.to_string(),
        measured_name: measured_names.join(", "),
        measured_names: measured_names.iter().map(|n| n.to_string()).collect(),
        scenario: predicted.study.base.name.clone(),
        policies,
        rows,
        only_predicted,
        only_measured,
        notes,
        runs,
        paired,
    })
}

/// The policies a folder has, in its order.
fn policy_names(results: &StudyResults) -> Vec<String> {
    results.summaries.iter().map(|s| s.policy.clone()).collect()
}
