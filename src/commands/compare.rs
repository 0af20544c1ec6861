//! `isrsim compare PREDICTED MEASURED...`: reads a prediction's results folder and one or more
//! measurements', sets them side by side and pairs each measured run with its own replication
//! (`results::prediction`), prints the comparison (`report::compare`) and exits 0 whatever the
//! figures say (docs/ci.md).
//!
//! With `--out`, the comparison is also drawn into the measured folder. Only the measured folder
//! may be named, and only when it carries isrsim's marker, as `plot` asks: the comparison belongs
//! with the measurement; so `--out` takes one measured folder. The figures are redrawn whole
//! through the same staging as `plot`, so an interruption leaves the previous ones.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::diff::{on_stdio, print_comparison};
use crate::error::exit_code::{BAD_INPUT, FAILURE, OK};
use crate::output;
use crate::report::compare::{draw_into, render};
use crate::report::diff::Format;
use crate::results::Folder;
use crate::results::prediction::{Comparison, compare_many};

pub struct Options {
    pub format: Format,
    /// Compares folders of differently named scenarios instead of refusing them.
    pub force: bool,
    /// With a folder, which must be the measured one: writes the comparison's chart and a
    /// section of `report.html` into it.
    pub out: Option<PathBuf>,
}

/// Prints the comparison on stdout (errors on stderr) and returns the exit code: 0 when
/// compared, 2 on bad input, 1 when stdout cannot be written (a stdout closed by its reader is
/// not an error).
pub fn run(predicted: &Path, measured: &[PathBuf], options: &Options) -> i32 {
    let measured: Vec<&Path> = measured.iter().map(PathBuf::as_path).collect();
    on_stdio(|out, err| run_many_to(predicted, &measured, options, out, err))
}

/// `run` of one measured folder, writing to `out` and `err` instead of stdout and stderr, for
/// tests that read both.
pub fn run_to(
    predicted: &Path,
    measured: &Path,
    options: &Options,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    run_many_to(predicted, &[measured], options, out, err)
}

/// `run` of one or more measured folders, writing to `out` and `err`.
pub fn run_many_to(
    predicted: &Path,
    measured: &[&Path],
    options: &Options,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    if let Some(dir) = &options.out {
        let checked = match measured {
            [one] => check(dir, one),
            _ => Err(format!(
                "--out {} with {} measured folders: compare --out draws the comparison into the \
                 one measured folder it was given; give a single measured folder with --out",
                dir.display(),
                measured.len()
            )),
        };
        if let Err(e) = checked {
            let _ = writeln!(err, "error: {e}");
            return BAD_INPUT;
        }
    }
    let read = |dir: &Path| Folder::read(dir).map_err(|e| e.to_string());
    let compared = read(predicted).and_then(|first| {
        let folders = measured
            .iter()
            .map(|dir| read(dir))
            .collect::<Result<Vec<_>, _>>()?;
        let results: Vec<_> = folders.iter().map(|f| f.results(false)).collect();
        let shown: Vec<String> = measured.iter().map(|d| d.display().to_string()).collect();
        let names: Vec<&str> = shown.iter().map(String::as_str).collect();
        compare_many(
            &first.results(false),
            &results.iter().collect::<Vec<_>>(),
            options.force,
            &predicted.display().to_string(),
            &names,
        )
    });
    let compared = print_comparison(
        compared,
        |comparison| render(comparison, options.format),
        out,
        err,
    );
    match (compared, &options.out) {
        (Ok(comparison), Some(dir)) => write(&comparison, dir, err),
        (Ok(_), None) => OK,
        (Err(code), _) => code,
    }
}

/// That `out` is the measured folder (the same after canonicalisation) and has isrsim's marker.
fn check(out: &Path, measured: &Path) -> Result<(), String> {
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
    output::check_marked(measured).map_err(|e| e.to_string())
}

/// Draws the comparison into `dir`, the measured folder, and says so on `err`; returns the exit
/// code.
fn write(comparison: &Comparison, dir: &Path, err: &mut dyn Write) -> i32 {
    let folder = match Folder::read(dir) {
        Ok(folder) => folder,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return BAD_INPUT;
        }
    };
    match draw_into(comparison, &folder.results(true), dir) {
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
