//! Partial results of a sharded run, and putting them back together (`isrsim merge`).
//!
//! A shard's folder holds one `shard.json`: the scenario's text and path, the effective seed and
//! replications, which slice it is, and its runs with every figure at full precision (JSON
//! numbers round-trip `f64` exactly). Merging re-reads the scenario from that text and writes the
//! result files from the union of the runs, so the merged folder is byte-identical to what one
//! unsharded run writes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::experiment::Shard;
use crate::metrics::RunResult;
use crate::report::RunInfo;
use crate::scenario::Study;

pub const FILE: &str = "shard.json";

#[derive(Serialize, Deserialize)]
pub struct Partial {
    pub isrsim: String,
    pub scenario_path: PathBuf,
    pub scenario: String,
    pub seed: u64,
    pub replications: u32,
    pub shard_index: u32,
    pub shard_count: u32,
    /// Wall time of this shard's simulation, in seconds.
    pub wall_s: f64,
    pub runs: Vec<RunResult>,
}

impl Partial {
    pub fn new(study: &Study, shard: Shard, wall_s: f64, runs: Vec<RunResult>) -> Partial {
        Partial {
            isrsim: env!("CARGO_PKG_VERSION").to_string(),
            scenario_path: study.base.path.clone(),
            scenario: study.base.source.clone(),
            seed: study.base.seed,
            replications: study.base.replications,
            shard_index: shard.index,
            shard_count: shard.count,
            wall_s,
            runs,
        }
    }

    /// Writes `shard.json` into `dir`.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let file = std::fs::File::create(dir.join(FILE))?;
        serde_json::to_writer(std::io::BufWriter::new(file), self).map_err(std::io::Error::other)
    }

    fn read(dir: &Path) -> Result<Partial, InputError> {
        let path = dir.join(FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| InputError::new(&path, format!("cannot read a shard's results: {e}")))?;
        serde_json::from_str(&text).map_err(|e| {
            let mut error = InputError::new(&path, format!("not a shard written by isrsim: {e}"));
            error.line = Some(e.line());
            error
        })
    }
}

/// Reads shard folders and checks they are the N slices of one run, each once.
pub fn merge(dirs: &[PathBuf]) -> Result<(Study, Vec<RunResult>, RunInfo), InputError> {
    let mut partials = Vec::new();
    for dir in dirs {
        partials.push((dir, Partial::read(dir)?));
    }
    let Some((first_dir, first)) = partials.first() else {
        return Err(InputError::new("", "name at least one shard folder"));
    };
    let mut seen = BTreeSet::new();
    for (dir, p) in &partials {
        let same = p.scenario == first.scenario
            && p.scenario_path == first.scenario_path
            && p.seed == first.seed
            && p.replications == first.replications
            && p.shard_count == first.shard_count;
        if !same {
            return Err(InputError::new(
                dir.join(FILE),
                format!(
                    "this shard is of another run than {}: the scenario, seed, replications and shard count must match",
                    first_dir.display()
                ),
            ));
        }
        if !seen.insert(p.shard_index) {
            return Err(InputError::new(
                dir.join(FILE),
                format!("shard {}/{} is given twice", p.shard_index, p.shard_count),
            ));
        }
    }
    let missing: Vec<String> = (1..=first.shard_count)
        .filter(|k| !seen.contains(k))
        .map(|k| format!("{k}/{}", first.shard_count))
        .collect();
    if !missing.is_empty() {
        return Err(InputError::new(
            first_dir.join(FILE),
            format!("shards missing: {}", missing.join(", ")),
        ));
    }
    let mut study = Study::parse(&first.scenario, &first.scenario_path)?;
    study.set_seed(first.seed);
    study.set_replications(first.replications)?;
    let whole = first_dir.join(FILE);
    let info = RunInfo {
        wall_s: partials.iter().map(|(_, p)| p.wall_s).sum(),
        threads: 0,
        shards: first.shard_count,
        load: None,
    };
    let runs: Vec<RunResult> = partials.into_iter().flat_map(|(_, p)| p.runs).collect();
    let expected: BTreeSet<_> = study
        .jobs()
        .into_iter()
        .map(|j| (j.point, j.policy, j.replication))
        .collect();
    let got: BTreeSet<_> = runs
        .iter()
        .map(|r| (r.point, r.policy, r.replication))
        .collect();
    if got != expected || runs.len() != expected.len() {
        return Err(InputError::new(
            whole,
            "the shards' runs do not make up the whole run",
        ));
    }
    Ok((study, runs, info))
}
