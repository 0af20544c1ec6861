//! An experiment: every (policy, replication) run of a scenario, spread over threads.
//!
//! Each run is single-threaded and seeded only from (scenario seed, replication), so the set of
//! results does not depend on how rayon schedules the runs; they are collected in job order,
//! which makes the output byte-identical whatever `--threads` is.

use rayon::prelude::*;

use crate::metrics::RunResult;
use crate::model;
use crate::scenario::Scenario;

/// Runs every policy on every replication, on `threads` threads (0 = all cores).
pub fn run(
    scenario: &Scenario,
    threads: usize,
) -> Result<Vec<RunResult>, rayon::ThreadPoolBuildError> {
    let jobs: Vec<(usize, u32)> = (0..scenario.policies.len())
        .flat_map(|p| (0..scenario.replications).map(move |r| (p, r)))
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    Ok(pool.install(|| {
        jobs.par_iter()
            .map(|&(policy, replication)| model::run(scenario, policy, replication))
            .collect()
    }))
}
