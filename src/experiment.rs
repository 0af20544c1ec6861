//! An experiment: every (point, policy, replication) run of a study, spread over threads.
//!
//! Each run is single-threaded and seeded only from (scenario seed, replication), so its result
//! does not depend on how rayon schedules the runs; results are collected in job order, which
//! makes the output byte-identical whatever `--threads` is. A shard is a deterministic slice of
//! the jobs (every N-th, starting at the K-th), so N machines can split a sweep and
//! `isrsim merge` can put it back together.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::metrics::RunResult;
use crate::model;
use crate::scenario::{Job, Study};

/// The K-th of N slices of a study's runs (K from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };

    /// Whether the `n`-th job (in `Study::jobs` order) belongs to this shard. Interleaving, rather
    /// than cutting the list into blocks, spreads each sweep point's cost over the shards.
    pub fn owns(&self, n: usize) -> bool {
        n % self.count as usize == (self.index - 1) as usize
    }

    /// Reads `K/N`, with 1 <= K <= N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad =
            || format!("`{text}` is not a shard: expected K/N with 1 <= K <= N, for example 2/8");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// Counters a progress display can read while the runs go.
#[derive(Default)]
pub struct Progress {
    /// Simulated microseconds, over all runs.
    pub simulated: AtomicU64,
    pub runs_done: AtomicUsize,
}

/// The jobs of `study` that belong to `shard`.
pub fn jobs(study: &Study, shard: Shard) -> Vec<Job> {
    study
        .jobs()
        .into_iter()
        .enumerate()
        .filter(|(n, _)| shard.owns(*n))
        .map(|(_, job)| job)
        .collect()
}

/// Runs `jobs` on `threads` threads (0 = all cores), in job order.
pub fn run(
    study: &Study,
    jobs: &[Job],
    threads: usize,
    progress: &Progress,
) -> Result<Vec<RunResult>, rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    Ok(pool.install(|| {
        jobs.par_iter()
            .map(|job| {
                let scenario = &study.points[job.point].scenario;
                let mut result = model::run_observed(
                    scenario,
                    job.policy,
                    job.replication,
                    Some(&progress.simulated),
                );
                result.point = job.point;
                progress.runs_done.fetch_add(1, Ordering::Relaxed);
                result
            })
            .collect()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_jobs() {
        let owners: Vec<Vec<usize>> = (1..=3)
            .map(|k| {
                (0..10)
                    .filter(|&n| Shard { index: k, count: 3 }.owns(n))
                    .collect()
            })
            .collect();
        assert_eq!(owners, vec![vec![0, 3, 6, 9], vec![1, 4, 7], vec![2, 5, 8]]);
        assert!((0..10).all(|n| Shard::WHOLE.owns(n)));
    }

    #[test]
    fn shard_syntax() {
        assert_eq!(Shard::parse("2/8"), Ok(Shard { index: 2, count: 8 }));
        for bad in ["0/4", "5/4", "2", "a/b", "1/0", "-1/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }
}
