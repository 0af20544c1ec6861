//! Paired differences: what common random numbers are for (docs/model.md §2.5, docs/ci.md).
//!
//! Every policy of a replication sees the same users and edits, drawn from the replication's
//! derived seed; two folders of one scenario run with the same seed and replications see them
//! too. The difference between two policies (or two versions) is then best judged replication
//! by replication: `d_r = new_r − base_r`, whose mean has the 95% Student-t half-width
//! `t(0.975, n − 1) · s_d / √n` (Law, *Simulation Modeling and Analysis*, 5th ed., §10.2.1, the
//! paired-t confidence interval). The noise both sides share cancels in `d_r`, so the interval
//! is narrower than two unpaired ones side by side, and a difference is **beyond the interval**
//! when the interval excludes 0. With one replication there is no interval at all.
//!
//! Which metrics decide `diff`'s exit code (the gate) is here too: those named with `--gate`,
//! else the `[slo]` metrics of the scenario when it has an `[slo]`, else `DEFAULT_GATE`.

use crate::metrics::{RUN_COLUMNS, RunResult, as_written};
use crate::results::Estimate;
use crate::scenario::Study;
use crate::stats;

/// The metrics gated when `--gate` names none and the scenario has no `[slo]`: how stale users'
/// pages were, and for how long.
pub const DEFAULT_GATE: [&str; 2] = ["stale_ratio", "stale_age_p99_s"];

/// One run's figures, in `RUN_COLUMNS` order, with its derived seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Replication {
    pub seed: u64,
    pub values: Vec<Option<f64>>,
}

impl Replication {
    pub fn of(run: &RunResult) -> Replication {
        Replication {
            seed: run.seed,
            values: run.metrics.0.to_vec(),
        }
    }
}

/// The differences `new − base` in run column `c`, replication by replication, as written to
/// `runs.csv`: one for each replication measured on both sides, in replication order.
pub fn differences(base: &[Replication], new: &[Replication], c: usize) -> Vec<f64> {
    base.iter()
        .zip(new)
        .filter_map(|(b, n)| Some(as_written(n.values[c]? - b.values[c]?)))
        .collect()
}

/// The paired difference `new − base` of run column `c`, over the replications that measured
/// it on both sides (matched by position): its mean and 95% half-width (0 with one
/// replication), and how many pairs there were; `None` when no pair measured it.
pub fn difference(
    base: &[Replication],
    new: &[Replication],
    c: usize,
) -> Option<(Estimate, usize)> {
    summarize(&differences(base, new, c))
}

/// The mean of paired differences and its 95% half-width, and how many there are; `None` for
/// none.
pub fn summarize(differences: &[f64]) -> Option<(Estimate, usize)> {
    if differences.is_empty() {
        return None;
    }
    let estimate = Estimate {
        mean: as_written(stats::mean(differences)),
        ci95: as_written(stats::ci95_half_width(differences)),
    };
    Some((estimate, differences.len()))
}

/// Whether a paired difference lies beyond its 95% interval (the interval excludes 0); `None`
/// with fewer than two pairs, which have no interval.
pub fn beyond(difference: Option<(Estimate, usize)>) -> Option<bool> {
    match difference {
        Some((d, n)) if n >= 2 => Some(d.mean.abs() > d.ci95),
        _ => None,
    }
}

/// Whether `new`'s runs differ from `base`'s beyond the paired interval in run column `c`, as
/// the table of `run` marks it; `None` without an interval (fewer than two replications that
/// measured it on both sides).
pub fn differs(base: &[&RunResult], new: &[&RunResult], c: usize) -> Option<bool> {
    let side = |runs: &[&RunResult]| runs.iter().map(|r| Replication::of(r)).collect::<Vec<_>>();
    beyond(difference(&side(base), &side(new), c))
}

/// Why two folders' runs can or cannot be paired replication by replication: `Ok` when every
/// row in both has as many replications, each with the same derived seed; else why not.
pub fn pairable<'a>(
    rows: impl Iterator<Item = (&'a [Replication], &'a [Replication])>,
) -> Result<(), String> {
    let mut any = false;
    for (base, new) in rows {
        any = true;
        if base.is_empty() || new.is_empty() {
            return Err("the results hold no figures per replication".to_string());
        }
        if base.len() != new.len() {
            return Err(format!(
                "the folders have {} and {} replications",
                base.len(),
                new.len()
            ));
        }
        if let Some((b, n)) = base.iter().zip(new).find(|(b, n)| b.seed != n.seed) {
            return Err(format!(
                "the folders' runs have different seeds ({} and {}): they were run with \
                 different seeds, so they saw different users",
                b.seed, n.seed
            ));
        }
    }
    if !any {
        return Err("no policy is in both folders".to_string());
    }
    Ok(())
}

/// `--gate`'s list: run column names separated by commas, as indices into `RUN_COLUMNS`; an
/// unknown name is an error listing the allowed ones.
pub fn parse_gate(text: &str) -> Result<Vec<usize>, String> {
    let mut gate = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let Some(c) = crate::metrics::column(name) else {
            let names: Vec<&str> = RUN_COLUMNS.iter().map(|c| c.name).collect();
            return Err(format!(
                "--gate: `{name}` is not a metric of runs.csv; the metrics are {}",
                names.join(", ")
            ));
        };
        if !gate.contains(&c) {
            gate.push(c);
        }
    }
    if gate.is_empty() {
        return Err("--gate names no metric: give metrics of runs.csv, such as \
                    stale_ratio,backend_wait_p99_s"
            .to_string());
    }
    Ok(gate)
}

/// The gate when `--gate` names none: the metrics of the scenario's `[slo]` bounds (every
/// policy's), when it has any, else `DEFAULT_GATE`; with where it came from, for the output.
pub fn default_gate(study: &Study) -> (Vec<usize>, &'static str) {
    let mut gate = Vec::new();
    let bounds = study.points.iter().flat_map(|p| &p.scenario.policies);
    for bound in bounds.flat_map(|p| &p.slo).chain(&study.base.slo) {
        if let Some(c) = crate::metrics::column(&bound.metric)
            && !gate.contains(&c)
        {
            gate.push(c);
        }
    }
    if gate.is_empty() {
        let defaults = DEFAULT_GATE
            .iter()
            .filter_map(|n| crate::metrics::column(n));
        (defaults.collect(), "the default gate")
    } else {
        gate.sort_unstable();
        (gate, "the scenario's [slo] metrics")
    }
}
