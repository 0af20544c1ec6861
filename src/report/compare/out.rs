//! `isrsim compare --out MEASURED`: the comparison drawn into the measured results folder, as
//! `charts/compare.svg` and `.png` and a "Prediction and measurement" section of its
//! `report.html`.
//!
//! Only the measured folder may be named, and only when it carries isrsim's marker, as `plot`
//! asks: the comparison belongs with the measurement. The figures are redrawn whole through the
//! same staging as `plot`, so an interruption leaves the previous ones. A later `isrsim plot`
//! redraws the folder from its own files, without the comparison.

use std::io::{self, Write};
use std::path::Path;

use super::render::{HEADING, cells};
use super::{Comparison, Row};
use crate::error::exit_code::{BAD_INPUT, FAILURE, OK};
use crate::report::charts;
use crate::report::figures;
use crate::report::html::Section;
use crate::report::read::Folder;
use crate::report::replace;

/// That `out` is the measured folder (the same after canonicalisation) and has isrsim's marker.
pub fn check(out: &Path, measured: &Path) -> Result<(), String> {
    let same = match (out.canonicalize(), measured.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        (Err(e), _) => return Err(format!("--out {}: {e}", out.display())),
        (_, Err(e)) => return Err(format!("{}: {e}", measured.display())),
    };
    if !same {
        return Err(format!(
            "--out {} is not the measured folder {}: compare --out writes its chart and report \
             section into the measured folder only; give --out {}",
            out.display(),
            measured.display(),
            measured.display()
        ));
    }
    replace::check_marked(measured).map_err(|e| e.to_string())
}

/// Draws the comparison into `dir`, the measured folder, and says so on `err`; returns the exit
/// code.
pub fn write(comparison: &Comparison, dir: &Path, err: &mut dyn Write) -> i32 {
    let folder = match Folder::read(dir) {
        Ok(folder) => folder,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return BAD_INPUT;
        }
    };
    match redraw(comparison, &folder, dir) {
        Ok(()) => {
            let _ = writeln!(
                err,
                "wrote charts/compare.svg, charts/compare.png and a \"Prediction and \
                 measurement\" section of report.html in {}",
                dir.display()
            );
            OK
        }
        Err(e) => {
            let _ = writeln!(err, "error: cannot redraw {}: {e}", dir.display());
            FAILURE
        }
    }
}

fn redraw(comparison: &Comparison, folder: &Folder, dir: &Path) -> io::Result<()> {
    let chart = chart(comparison)?;
    let mut columns = vec!["policy"];
    columns.extend(HEADING);
    let section = Section {
        id: "prediction",
        heading: "Prediction and measurement",
        intro: format!(
            "This folder's measurement beside the prediction in {}, as isrsim compare showed \
             them. Within: the measured value lies in the spread (least to greatest) of the \
             simulated replications. n/a: not measured, or a prediction of 0. isrsim plot on \
             this folder redraws the report without this section.",
            comparison.predicted_name
        ),
        chart: &chart,
        columns: &columns,
        rows: comparison.rows.iter().map(|r| cells(r, false)).collect(),
    };
    figures::redraw_with(dir, &folder.results(true), Some(&section))
}

/// The chart of the first policy in common.
fn chart(comparison: &Comparison) -> io::Result<charts::Chart> {
    let policy = comparison.policies.first().map_or("", |p| p.0.as_str());
    let rows: Vec<&Row> = (comparison.rows.iter())
        .filter(|r| r.policy == policy)
        .collect();
    let ratios: Vec<charts::Ratios> = rows.iter().filter_map(|r| r.ratios()).collect();
    charts::draw_prediction(
        &comparison.scenario,
        policy,
        &ratios,
        rows.len() - ratios.len(),
    )
}
