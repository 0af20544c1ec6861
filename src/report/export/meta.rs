//! `meta.csv`: how fast the run went, so users and CI can track the simulator's speed.
//!
//! The one file of a results folder that differs between two runs of the same scenario and
//! seed: wall time depends on the machine, not on the model. Its `warnings` column holds the
//! run's steady-state warnings (`results::steady`), separated by ` | `, empty when none.

use std::io;

use super::Export;
use super::csv::csv_bytes;
use crate::metrics::RunResult;
use crate::results::StudyResults;

/// What the run took, beside what it found.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    /// Wall time of the simulation alone (not parsing, not writing), summed over shards.
    pub wall_s: f64,
    /// Worker threads (0 = all cores).
    pub threads: usize,
    /// How many shards the runs were split into (1 without `--shard`).
    pub shards: u32,
    /// For a load test (`isrsim load`): what was measured, and how it went.
    pub load: Option<LoadInfo>,
}

/// How a load test went, beside its metrics.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadInfo {
    /// Where users' requests went.
    pub target: String,
    /// Why it stopped before its duration (`interrupted`, `too-many-errors`), if it did.
    pub stopped: Option<&'static str>,
    /// Successful responses without the page marker, not judged.
    pub unverified: u64,
    /// The 99th percentile of (sent − intended), in milliseconds.
    pub send_lag_p99_ms: Option<f64>,
    /// User connections.
    pub connections: usize,
    /// The metrics the site gave no means to observe (the CDN's, when no response named a
    /// cache status): not measured, and an `[slo]` bound on them is bad input.
    pub unobserved: Vec<&'static str>,
    /// Requests due before the end that got no answer by then (in flight, or still queued).
    pub unfinished: u64,
    /// `--epoch`, the run's time zero, as Unix seconds with six decimals; `None` without it
    /// (and then no `epoch` column).
    pub epoch: Option<String>,
}

impl RunInfo {
    /// `simulate` or `load`.
    pub fn mode(&self) -> &'static str {
        if self.load.is_some() {
            "load"
        } else {
            "simulate"
        }
    }
}

impl RunInfo {
    /// User requests simulated, warm-up included, over `runs`.
    pub fn simulated_requests(runs: &[&RunResult]) -> u64 {
        runs.iter().map(|r| r.simulated_requests).sum()
    }
}

/// `meta.csv` of a run that went as `RunInfo` says.
pub struct Meta<'i>(pub &'i RunInfo);

impl Export for Meta<'_> {
    fn render(&self, results: &StudyResults) -> io::Result<Vec<u8>> {
        let (info, runs) = (self.0, &results.runs);
        let requests = RunInfo::simulated_requests(runs);
        let rate = if info.wall_s > 0.0 {
            requests as f64 / info.wall_s
        } else {
            0.0
        };
        let mut names = vec![
            "isrsim_version",
            "mode",
            "runs",
            "simulated_requests",
            "wall_s",
            "requests_per_s",
            "threads",
            "shards",
            "warnings",
        ];
        let mut values = vec![
            env!("CARGO_PKG_VERSION").to_string(),
            info.mode().to_string(),
            runs.len().to_string(),
            requests.to_string(),
            format!("{:.3}", info.wall_s),
            format!("{rate:.0}"),
            info.threads.to_string(),
            info.shards.to_string(),
            (results.warnings.iter())
                .map(|w| w.message(&results.study.axes))
                .collect::<Vec<_>>()
                .join(" | "),
        ];
        if let Some(load) = &info.load {
            names.extend([
                "target",
                "interrupted",
                "stopped",
                "unverified",
                "send_lag_p99_ms",
                "connections",
                "unfinished",
            ]);
            values.extend([
                load.target.clone(),
                (load.stopped == Some("interrupted")).to_string(),
                load.stopped.unwrap_or("").to_string(),
                load.unverified.to_string(),
                load.send_lag_p99_ms
                    .map_or(String::new(), |l| format!("{l:.3}")),
                load.connections.to_string(),
                load.unfinished.to_string(),
            ]);
            if let Some(epoch) = &load.epoch {
                names.push("epoch");
                values.push(epoch.clone());
            }
        }
        csv_bytes(|out| {
            out.write_record(&names)?;
            out.write_record(&values)
        })
    }
}
