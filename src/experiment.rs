//! An experiment: every (point, policy, replication) run of a study, spread over threads.
//!
//! Each run is single-threaded and seeded only from (scenario seed, replication), so its result
//! does not depend on how rayon schedules the runs; results are collected in job order, which
//! makes the output byte-identical whatever `--threads` is. A shard is a deterministic slice of
//! the jobs (every N-th, starting at the K-th), so N machines can split a sweep and
//! `isrsim merge` can put it back together.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::driver::Driver;
use crate::metrics::{RunId, RunResult};
use crate::scenario::{Job, Study};
use crate::workload::rng;

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

/// The most worker threads `--threads` takes. Runs are CPU-bound, so threads beyond the cores
/// only hold more runs in memory at once; thousands of them take seconds to start, and tens of
/// thousands exhaust the stack space a process may map.
pub const MAX_THREADS: usize = 1024;

/// The threads `runs` runs are spread over when `requested` (0 = one per core): never more than
/// the runs, nor than `MAX_THREADS`, and at least one.
pub fn worker_threads(requested: usize, runs: usize) -> usize {
    let cores = || std::thread::available_parallelism().map_or(1, |n| n.get());
    let wanted = if requested == 0 { cores() } else { requested };
    wanted.min(runs).clamp(1, MAX_THREADS)
}

/// The jobs of `study` that belong to `shard`.
pub fn jobs(study: &Study, shard: Shard) -> Vec<Job> {
    study
        .each_job()
        .enumerate()
        .filter(|(n, _)| shard.owns(*n))
        .map(|(_, job)| job)
        .collect()
}

/// Runs `jobs` with `driver` on `threads` threads (0 = all cores; see `worker_threads`), in job
/// order. The first run that fails stops the experiment.
pub fn run<D: Driver>(
    driver: &D,
    study: &Study,
    jobs: &[Job],
    threads: usize,
    progress: &Progress,
) -> Result<Vec<RunResult>, ExperimentError<D::Error>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(worker_threads(threads, jobs.len()))
        .build()
        .map_err(ExperimentError::Threads)?;
    pool.install(|| {
        jobs.par_iter()
            .map(|job| {
                let scenario = &study.points[job.point].scenario;
                let id = RunId {
                    point: job.point,
                    policy: job.policy,
                    replication: job.replication,
                    seed: rng::replication_seed(scenario.seed, job.replication),
                };
                let result = driver.run(scenario, id, &progress.simulated);
                progress.runs_done.fetch_add(1, Ordering::Relaxed);
                result.map_err(ExperimentError::Run)
            })
            .collect()
    })
}

/// Why an experiment stopped.
#[derive(Debug)]
pub enum ExperimentError<E> {
    /// The thread pool could not be built.
    Threads(rayon::ThreadPoolBuildError),
    /// A run failed.
    Run(E),
}

impl<E: std::fmt::Display> std::fmt::Display for ExperimentError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExperimentError::Threads(e) => write!(f, "cannot start the worker threads: {e}"),
            ExperimentError::Run(e) => write!(f, "{e}"),
        }
    }
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
    fn threads_are_never_more_than_the_runs_nor_the_maximum() {
        assert_eq!(worker_threads(8, 3), 3);
        assert_eq!(worker_threads(2, 100), 2);
        assert_eq!(worker_threads(99_999, 1_000_000), MAX_THREADS);
        assert_eq!(worker_threads(4, 0), 1);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(worker_threads(0, 1_000_000), cores.min(MAX_THREADS));
        assert_eq!(worker_threads(0, 1), 1);
    }

    #[test]
    fn shard_syntax() {
        assert_eq!(Shard::parse("2/8"), Ok(Shard { index: 2, count: 8 }));
        for bad in ["0/4", "5/4", "2", "a/b", "1/0", "-1/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }
}
