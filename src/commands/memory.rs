//! How much memory `isrsim run` lets its runs hold at once (`--max-memory`, docs/scenario.md,
//! "Sizes"), and the check that refuses a study whose runs would not fit before anything is
//! allocated or any folder made, rather than aborting on an allocation.

use std::path::Path;

use crate::experiment;
use crate::model;
use crate::scenario::{Job, Study};

/// Used when neither `/proc/meminfo` nor the address-space limit can be read: 4 GiB, what a
/// small machine or container has.
const FALLBACK: u64 = 4 << 30;

/// `--max-memory`'s default: half of the machine's memory (`MemTotal` of `/proc/meminfo`), and
/// never more than half of the process's address-space limit (`ulimit -v`), which an allocation
/// beyond it would abort on; `FALLBACK` when neither can be read.
pub fn default_limit() -> u64 {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let total = mem_total(&read("/proc/meminfo"));
    let address_space = address_space_limit(&read("/proc/self/limits"));
    match (total, address_space) {
        (None, None) => FALLBACK,
        (a, b) => a.into_iter().chain(b).min().unwrap_or(FALLBACK) / 2,
    }
}

/// `MemTotal` in bytes, from `/proc/meminfo`'s text.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kb.checked_mul(1024)
}

/// The soft "Max address space" in bytes, from `/proc/self/limits`'s text (`None`: unlimited).
fn address_space_limit(limits: &str) -> Option<u64> {
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max address space"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// A size as messages show it: bytes in GB, MB or kB (powers of 1000, as `--max-memory` reads
/// them), to three figures.
pub fn size(bytes: u64) -> String {
    let b = bytes as f64;
    match bytes {
        0..1_000_000 => format!("{:.1} kB", b / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", b / 1e6),
        _ => format!("{:.1} GB", b / 1e9),
    }
}

/// The threads `jobs` run on within `limit` bytes, given `requested` threads (0: one per core,
/// fewer if that many runs would not fit at once). Refuses, naming the estimate and the limit,
/// when even one run would not fit, or when the `requested` ones would not.
pub fn threads_within(
    file: &Path,
    study: &Study,
    jobs: &[Job],
    requested: usize,
    limit: u64,
) -> Result<usize, String> {
    let per_run = jobs
        .iter()
        .map(|j| j.point)
        .map(|p| model::memory_estimate(&study.points[p].scenario))
        .max()
        .unwrap_or(0);
    let threads = experiment::worker_threads(requested, jobs.len());
    let fit = limit.checked_div(per_run).unwrap_or(u64::MAX);
    let refuse = |held: u64, runs: usize, fix: &str| {
        let at_once = if runs == 1 {
            "one run".to_string()
        } else {
            format!("{runs} runs at once (`--threads`)")
        };
        Err(format!(
            "{}: the runs would hold about {} of memory ({} a run × {at_once}): more than \
             `--max-memory` {}; {fix}, or raise `--max-memory` if the machine has the room",
            file.display(),
            size(held),
            size(per_run),
            size(limit),
        ))
    };
    if fit == 0 {
        return refuse(
            per_run,
            1,
            "fewer pages, instances (`[origin] instances`, `scale` events) or PoPs make a run smaller",
        );
    }
    if requested == 0 {
        return Ok(threads.min(usize::try_from(fit).unwrap_or(usize::MAX)));
    }
    if threads as u64 > fit {
        let held = per_run.saturating_mul(threads as u64);
        return refuse(
            held,
            threads,
            &format!("at most {fit} fit: lower `--threads`"),
        );
    }
    Ok(threads)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machine_memory_and_the_address_space_limit_are_read() {
        let meminfo = "MemTotal:       24683784 kB\nMemFree:  1 kB\n";
        assert_eq!(mem_total(meminfo), Some(24_683_784 * 1024));
        assert_eq!(mem_total("nothing"), None);
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max address space         4096000000           unlimited            bytes     \n";
        assert_eq!(address_space_limit(limits), Some(4_096_000_000));
        let unlimited =
            "Max address space         unlimited            unlimited            bytes\n";
        assert_eq!(address_space_limit(unlimited), None);
    }

    #[test]
    fn sizes_read_as_written() {
        assert_eq!(size(786_420_000), "786.4 MB");
        assert_eq!(size(4_700_000_000), "4.7 GB");
        assert_eq!(size(2_048), "2.0 kB");
    }
}
