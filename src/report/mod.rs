//! Every output of a study's results, rendered from the typed results of `results` (docs/model.md
//! §11): this module renders, and computes, reads and places nothing.
//!
//! `export` turns the results into the files of a results folder and the terminal table, one
//! module per format; `figures` draws the charts (`charts`) and `report.html` (`html`); `diff`
//! and `compare` render the comparisons `results::diff` and `results::prediction` make; `format`
//! writes the text people read: rounded figures, estimates, tables and paragraphs. The folders
//! they are written into are put in place by `output`.

mod charts;
pub mod compare;
mod cost;
pub mod diff;
mod export;
pub mod figures;
mod format;
mod html;

use std::io;
use std::path::Path;

use crate::metrics::RunResult;
use crate::output::Target;
use crate::results::StudyResults;
use crate::scenario::Study;

// `report.html` shows the table's columns, and the per-route table's; it names them through here.
use export::{route_table, table};

pub use charts::{Chart, Popularity, Rate, draw_fit};
pub use export::{
    Columns, Export, Json, LoadInfo, RouteTable, RunInfo, Style, Table, parse_column,
};

/// Writes the files of docs/model.md §11 for `runs`, with their SLO verdicts, into the folder
/// `out`, replacing any results folder already there (see `write_run`).
pub fn write_results(study: &Study, runs: &[RunResult], out: &Path) -> io::Result<()> {
    let results = StudyResults::new(study, runs, true);
    write_run(&results, None, Target::prepare(out)?)
}

/// Writes every file of a results folder (docs/model.md §11) into `target`, replacing the
/// results folder already there; with `info`, also `meta.csv` and `summary.json`'s `meta`: how
/// long the simulation took, which varies from run to run while every other file is the same for
/// the same scenario and seed.
///
/// The files are written into the target's staging folder and renamed into place at the end, so
/// a failed or interrupted run never leaves half-written results. A run whose point or policy the
/// study lacks is refused before anything is written.
pub fn write_run(results: &StudyResults, info: Option<&RunInfo>, target: Target) -> io::Result<()> {
    check(results.study, &results.runs)
        .map_err(|message| io::Error::new(io::ErrorKind::InvalidInput, message))?;
    target.write(|dir| {
        export::write_all(results, info, dir)?;
        figures::draw(results)?.write_into(dir)
    })
}

/// Redraws the charts and `report.html` of a results folder whose results `Folder::read` has
/// read back, replacing those there.
pub fn redraw(results: &StudyResults, dir: &Path) -> io::Result<()> {
    figures::redraw(dir, results)
}

/// The table of `runs` as `isrsim run` prints it where stdout is not a terminal, every key column
/// in its fixed unit; `html.rs`'s tests hold the report's comparison to its headings.
#[cfg(test)]
fn comparison_table(study: &Study, runs: &[RunResult]) -> String {
    let table = Table {
        columns: Columns::Default,
        style: Style::Fixed,
    };
    let bytes = table.render(&StudyResults::new(study, runs, false));
    String::from_utf8(bytes.expect("a table renders")).expect("a table is text")
}

/// That every point has a label per axis and every run a point and policy of the study: either
/// slip would leave rows that name the wrong variant, or none.
fn check(study: &Study, runs: &[&RunResult]) -> Result<(), String> {
    let axes = study.axes.len();
    if let Some(i) = study.points.iter().position(|p| p.labels.len() != axes) {
        let labels = study.points[i].labels.len();
        return Err(format!(
            "sweep point {i} has {labels} labels for {axes} axes"
        ));
    }
    let known = |r: &RunResult| {
        let point = study.points.get(r.point);
        point.is_some_and(|p| r.policy < p.scenario.policies.len())
    };
    match runs.iter().find(|r| !known(r)) {
        Some(r) => Err(format!(
            "a run names sweep point {} policy {}, which the study does not have",
            r.point, r.policy
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::MARKER_FILE;
    use crate::results::fixture::{entries, run, run_at, scratch, study, sweep};

    const FILES: [&str; 10] = [
        ".isrsim",
        "charts",
        "distributions.csv",
        "report.html",
        "routes.csv",
        "runs.csv",
        "scenario.toml",
        "summary.csv",
        "summary.json",
        "timeseries.csv",
    ];

    #[test]
    fn results_replace_an_existing_folder_and_leave_no_temporary_behind() {
        let dir = scratch("replace");
        let out = dir.join("results").join("tiny");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join(MARKER_FILE), "an earlier run's").unwrap();
        std::fs::write(out.join("from-an-earlier-run.csv"), "old").unwrap();
        let runs = [run(1, 0, 1.0, &[]), run(0, 0, 1.0, &[])];
        write_results(&study(), &runs, &out).unwrap();
        assert_eq!(entries(&out), FILES);
        assert_eq!(entries(&dir.join("results")), ["tiny"]);
        let written = std::fs::read_to_string(out.join("runs.csv")).unwrap();
        assert_eq!(written.lines().count(), 1 + runs.len());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_parent_that_is_a_file_fails_and_leaves_nothing_behind() {
        let dir = scratch("parent-file");
        std::fs::write(dir.join("file"), "not a folder").unwrap();
        let out = dir.join("file").join("tiny");
        assert!(write_results(&study(), &[run(0, 0, 1.0, &[])], &out).is_err());
        assert_eq!(entries(&dir), ["file"]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_run_of_a_policy_the_scenario_lacks_is_refused_before_writing() {
        let dir = scratch("unknown-policy");
        let out = dir.join("tiny");
        let error = write_results(&study(), &[run(2, 0, 1.0, &[])], &out).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(entries(&dir).is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_run_of_a_point_the_study_lacks_is_refused_before_writing() {
        let dir = scratch("unknown-point");
        let out = dir.join("swept");
        let runs = [run_at(3, 1, 0, 1.0, &[]), run_at(4, 0, 0, 1.0, &[])];
        let error = write_results(&sweep(), &runs, &out).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(
            error.to_string().contains("sweep point 4 policy 0"),
            "{error}"
        );
        assert!(entries(&dir).is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_point_without_a_label_per_axis_is_refused_before_writing() {
        let dir = scratch("short-labels");
        let out = dir.join("swept");
        let mut study = sweep();
        study.points[2].labels.pop();
        let error = write_results(&study, &[], &out).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(entries(&dir).is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_sweep_writes_one_folder_with_every_point_in_each_file() {
        let dir = scratch("sweep");
        let out = dir.join("swept");
        let runs: Vec<_> = (0..4).map(|p| run_at(p, 1, 0, 1.0, &[])).collect();
        write_results(&sweep(), &runs, &out).unwrap();
        assert_eq!(entries(&out), FILES);
        let lines = |file| {
            let text = std::fs::read_to_string(out.join(file)).unwrap();
            text.lines().count()
        };
        // Each run has 2 buckets; the study has 4 points of 2 policies of 2 routes.
        let expected = [
            ("runs.csv", 4),
            ("summary.csv", 8),
            ("timeseries.csv", 8),
            ("routes.csv", 16),
        ];
        for (file, rows) in expected {
            assert_eq!(lines(file), 1 + rows, "{file}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
