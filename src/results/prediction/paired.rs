//! Each measured run beside the prediction of its own replication (`isrsim compare PREDICTED
//! MEASURED...`, docs/ci.md).
//!
//! A load test plays one replication: the users and edits that `isrsim run` draws for
//! replication `r` (docs/load.md), which its `runs.csv` names in its `replication` column, with
//! that replication's derived seed. So a measured run is paired with the predicted run of the
//! same policy and replication, whatever the order the folders were given in, and what is left
//! between the two is the model, not the draw. Per policy and metric this gives each run's
//! measured / predicted and relative difference, the largest of those differences (signed, the
//! first of equal sizes), and the mean of the runs against the mean of their own replications'
//! predictions (the paired means), which two or three runs can test where the mean over every
//! replication mostly measures which replications were played.
//!
//! A measured replication the prediction lacks is refused (predict more replications); a run
//! drawn from another seed than its replication's prediction is paired all the same, with a note,
//! since its users and edits are not those of the prediction.

use super::super::summary::StudyResults;
use crate::metrics::{RUN_COLUMNS, RunResult, Unit};
use crate::stats;

/// The metric the paired rows add to `runs.csv`'s: `regenerations / requests` of each run, the
/// figure docs/validation.md judges a run's regenerations by (its requests vary a little from
/// the prediction's when a load test's responses come late).
pub const REGEN_PER_REQUEST: &str = "regen_per_request";

/// The paired metrics: every column of `runs.csv`, with `regen_per_request` after
/// `regenerations`.
pub fn paired_metrics() -> impl Iterator<Item = (&'static str, Unit)> {
    RUN_COLUMNS.iter().flat_map(|c| {
        let extra = (c.name == "regenerations").then_some((REGEN_PER_REQUEST, Unit::Count));
        std::iter::once((c.name, c.unit)).chain(extra)
    })
}

/// The number of paired metrics per policy.
pub const PAIRED_METRICS: usize = RUN_COLUMNS.len() + 1;

/// A metric of a run by name: a column of `runs.csv`, or `regen_per_request` (not measured when
/// the run counted no request).
fn value(run: &RunResult, metric: &str) -> Option<f64> {
    if metric == REGEN_PER_REQUEST {
        let requests = run.metrics.get("requests").filter(|&r| r > 0.0)?;
        return Some(run.metrics.get("regenerations")? / requests);
    }
    run.metrics.get(metric)
}

/// The least and greatest of `values`; `None` when there are none.
pub(super) fn spread(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    (values.into_iter()).fold(None, |range, x| {
        Some(range.map_or((x, x), |(low, high): (f64, f64)| (low.min(x), high.max(x))))
    })
}

/// `(measured - predicted) / |predicted|`; `None` when the prediction is 0.
pub(super) fn relative(measured: f64, predicted: f64) -> Option<f64> {
    (predicted != 0.0).then(|| (measured - predicted) / predicted.abs())
}

/// One measured run of a policy in common.
#[derive(Clone, Debug, PartialEq)]
pub struct MeasuredRun {
    pub policy: String,
    /// The measured folder, as given.
    pub folder: String,
    pub replication: u32,
    /// How the output names the run: `r{replication}`, and `#2`, `#3` after a replication
    /// measured more than once.
    pub label: String,
    /// The run's derived seed, and its replication's in the prediction.
    pub seed: u64,
    pub predicted_seed: u64,
}

/// One run's figure beside its own replication's prediction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pair {
    /// Index into `Comparison::runs`.
    pub run: usize,
    /// `None` when not measured.
    pub measured: Option<f64>,
    pub predicted: Option<f64>,
}

impl Pair {
    /// `(measured - predicted) / |predicted|`; `None` when either side did not measure the
    /// metric or the prediction is 0.
    pub fn difference(&self) -> Option<f64> {
        relative(self.measured?, self.predicted?)
    }
}

/// One metric of one policy, every measured run paired with its own replication.
#[derive(Clone, Debug, PartialEq)]
pub struct Paired {
    pub policy: String,
    pub metric: &'static str,
    pub unit: Unit,
    /// For context: the mean over every predicted replication that measured the metric.
    pub predicted: Option<f64>,
    /// For context: the least and greatest of those replications.
    pub spread: Option<(f64, f64)>,
    /// In `Comparison::runs` order.
    pub pairs: Vec<Pair>,
}

impl Paired {
    /// The paired difference largest in absolute value, signed, and the index (into `pairs`) of
    /// its pair, the first of equal sizes; `None` when no pair has a difference.
    pub fn largest_difference(&self) -> Option<(f64, usize)> {
        let differences = self.pairs.iter().enumerate();
        differences
            .filter_map(|(i, p)| Some((p.difference()?, i)))
            .fold(None, |largest, (d, i)| match largest {
                Some((l, _)) if f64::abs(l) >= d.abs() => largest,
                _ => Some((d, i)),
            })
    }

    /// The mean of the measured runs and the mean of their own replications' predictions, over
    /// the pairs measured on both sides; `None` when there is none.
    pub fn means(&self) -> Option<(f64, f64)> {
        let both: Vec<(f64, f64)> = (self.pairs.iter())
            .filter_map(|p| Some((p.measured?, p.predicted?)))
            .collect();
        if both.is_empty() {
            return None;
        }
        let (measured, predicted): (Vec<f64>, Vec<f64>) = both.into_iter().unzip();
        Some((stats::mean(&measured), stats::mean(&predicted)))
    }

    /// The paired means' relative difference; `None` without means or with a predicted mean
    /// of 0.
    pub fn means_difference(&self) -> Option<f64> {
        let (measured, predicted) = self.means()?;
        relative(measured, predicted)
    }
}

/// The runs of `policy` in every measured folder, in the folders' order; `None` when no folder
/// has the policy (it is then not compared).
pub(super) fn measured_runs<'a>(
    measured: &[&StudyResults<'a>],
    policy: &str,
) -> Option<Vec<&'a RunResult>> {
    let mut found = None;
    for results in measured {
        if let Some(s) = results.summaries.iter().find(|s| s.policy == policy) {
            let runs: &mut Vec<&RunResult> = found.get_or_insert_with(Vec::new);
            runs.extend(results.runs_of(s));
        }
    }
    found
}

/// Every measured run of each policy in common paired with its replication's predicted run:
/// the runs, then one `Paired` per (policy, paired metric). An error names the measured folder
/// whose replication the prediction lacks.
pub(super) fn pair(
    predicted: &StudyResults,
    measured: &[&StudyResults],
    predicted_name: &str,
    measured_names: &[&str],
) -> Result<(Vec<MeasuredRun>, Vec<Paired>), String> {
    let (mut runs, mut paired) = (Vec::new(), Vec::new());
    for summary in &predicted.summaries {
        let simulated = predicted.runs_of(summary);
        // (replication, folder, measured run, predicted run)
        let mut found = Vec::new();
        let mut in_common = false;
        for (f, (results, name)) in measured.iter().zip(measured_names).enumerate() {
            let Some(s) = results
                .summaries
                .iter()
                .find(|s| s.policy == summary.policy)
            else {
                continue;
            };
            in_common = true;
            for &run in results.runs_of(s) {
                let Some(&own) = simulated.iter().find(|p| p.replication == run.replication) else {
                    return Err(missing(
                        name,
                        run.replication,
                        &summary.policy,
                        predicted_name,
                    ));
                };
                found.push((run.replication, f, run, own));
            }
        }
        if !in_common {
            continue;
        }
        found.sort_by_key(|&(replication, f, ..)| (replication, f));
        let first = runs.len();
        for (k, &(replication, f, run, own)) in found.iter().enumerate() {
            let before = found[..k].iter().filter(|x| x.0 == replication).count();
            runs.push(MeasuredRun {
                policy: summary.policy.clone(),
                folder: measured_names[f].to_string(),
                replication,
                label: match before {
                    0 => format!("r{replication}"),
                    n => format!("r{replication} #{}", n + 1),
                },
                seed: run.seed,
                predicted_seed: own.seed,
            });
        }
        for (metric, unit) in paired_metrics() {
            let all: Vec<f64> = simulated.iter().filter_map(|r| value(r, metric)).collect();
            let spread = spread(all.iter().copied());
            let pairs = (found.iter().enumerate())
                .map(|(k, &(_, _, run, own))| Pair {
                    run: first + k,
                    measured: value(run, metric),
                    predicted: value(own, metric),
                })
                .collect();
            paired.push(Paired {
                policy: summary.policy.clone(),
                metric,
                unit,
                predicted: (!all.is_empty()).then(|| stats::mean(&all)),
                spread,
                pairs,
            });
        }
    }
    Ok((runs, paired))
}

/// Why a measured run cannot be paired.
fn missing(folder: &str, replication: u32, policy: &str, predicted_name: &str) -> String {
    format!(
        "{folder}: its replication {replication} (policy {policy}) is not in the prediction \
         {predicted_name}: each measured run is set beside the prediction of its own \
         replication, so predict at least {} replications (isrsim run --replications {})",
        u64::from(replication) + 1,
        u64::from(replication) + 1
    )
}

/// A note for each measured folder with a run drawn from another seed than its replication's
/// prediction (the first such run of the folder).
pub(super) fn seed_notes(runs: &[MeasuredRun]) -> Vec<String> {
    let mut folders: Vec<&str> = Vec::new();
    let mut notes = Vec::new();
    for run in runs.iter().filter(|r| r.seed != r.predicted_seed) {
        if folders.contains(&run.folder.as_str()) {
            continue;
        }
        folders.push(&run.folder);
        notes.push(format!(
            "{}: replication {} was drawn from seed {}, the prediction's from seed {}: not the \
             same users and edits, so its runs are paired with replications they did not play",
            run.folder, run.replication, run.seed, run.predicted_seed
        ));
    }
    notes
}
