//! The outputs of a run, one module per format, each behind `Export`: typed results in, bytes out,
//! so each can be tested without a disk. `csv` makes the five CSV files, `json` `summary.json`,
//! `meta` `meta.csv`, `table` the comparison printed on the terminal and `route_table` the
//! per-route one `isrsim show --routes` prints; `write_all` writes every
//! file of a results folder (docs/model.md §11) but the charts.

pub(super) mod csv;
mod json;
mod meta;
pub(super) mod route_table;
pub(super) mod table;

use std::io;
use std::path::Path;

use crate::results::StudyResults;
use crate::results::layout::{
    DISTRIBUTIONS_FILE, JSON_FILE, META_FILE, ROUTES_FILE, RUNS_FILE, SCENARIO_FILE, SUMMARY_FILE,
    TIMESERIES_FILE,
};

pub use json::Json;
pub use meta::{LoadInfo, Meta, RunInfo};
pub use route_table::RouteTable;
pub use table::{Columns, Style, Table, parse_column};

/// One output of a run, rendered from the typed results.
pub trait Export {
    /// The output's bytes: a file's whole content, or the table as printed.
    fn render(&self, results: &StudyResults) -> io::Result<Vec<u8>>;
}

/// The scenario as it was run, so a results folder explains itself and can be read back.
struct ScenarioFile;

impl Export for ScenarioFile {
    fn render(&self, results: &StudyResults) -> io::Result<Vec<u8>> {
        Ok(results.study.base.source.clone().into_bytes())
    }
}

/// Every file of a results folder but the charts, with what renders it. `meta.csv` and
/// `summary.json`'s `meta`, the run's speed, need `info`; without it there is no `meta.csv`.
fn files(info: Option<&RunInfo>) -> Vec<(&'static str, Box<dyn Export + '_>)> {
    let mut files: Vec<(&str, Box<dyn Export>)> = vec![
        (RUNS_FILE, Box::new(csv::Runs)),
        (SUMMARY_FILE, Box::new(csv::Summaries)),
        (TIMESERIES_FILE, Box::new(csv::Timeseries)),
        (ROUTES_FILE, Box::new(csv::Routes)),
        (DISTRIBUTIONS_FILE, Box::new(csv::Distributions)),
        (SCENARIO_FILE, Box::new(ScenarioFile)),
        (JSON_FILE, Box::new(Json { info })),
    ];
    if let Some(info) = info {
        files.push((META_FILE, Box::new(Meta(info))));
    }
    files
}

/// Writes every file of `files(info)` into `dir`.
pub fn write_all(results: &StudyResults, info: Option<&RunInfo>, dir: &Path) -> io::Result<()> {
    for (name, export) in files(info) {
        std::fs::write(dir.join(name), export.render(results)?)?;
    }
    Ok(())
}
