//! `isrsim diff BASE NEW` and `isrsim diff DIR --policies A,B`: reads one or two results folders,
//! compares them (`results::diff`), paired per replication when it can, prints the comparison
//! (`report::diff`) and exits 3 when a gated metric regressed (docs/ci.md).

use std::io::{self, Write};
use std::path::Path;

use crate::error::exit_code::{BAD_INPUT, FAILURE, OK, SLO_VIOLATED};
use crate::report::diff::{Format, render};
use crate::results::diff::{Comparison, Settings, compare_policies, compare_with};
use crate::results::{Folder, StudyResults};

pub struct Options {
    /// Changes whose relative size `|new - base| / |base|` is below this are ignored (0.05 is 5%).
    pub threshold: f64,
    pub format: Format,
    /// Compares folders of differently named scenarios instead of refusing them.
    pub force: bool,
    /// The metrics whose regression fails the comparison, as indices into `RUN_COLUMNS`
    /// (`--gate`); `None` for the default gate.
    pub gate: Option<Vec<usize>>,
}

/// What to compare: two folders, or two policies of one.
pub enum Sides<'a> {
    Folders {
        base: &'a Path,
        new: &'a Path,
    },
    Policies {
        dir: &'a Path,
        policies: [&'a str; 2],
    },
}

/// Prints the comparison on stdout (errors on stderr) and returns the exit code: 3 when any
/// metric regressed, 0 when none did, 2 on bad input, 1 when stdout cannot be written (a stdout
/// closed by its reader is not an error).
pub fn run(sides: &Sides, options: &Options) -> i32 {
    on_stdio(|out, err| run_to(sides, options, out, err))
}

/// Runs `command` writing to stdout and stderr, as `diff` and `compare` do outside tests.
pub(super) fn on_stdio(command: impl FnOnce(&mut dyn Write, &mut dyn Write) -> i32) -> i32 {
    command(&mut io::stdout().lock(), &mut io::stderr())
}

/// `run`, writing to `out` and `err` instead of stdout and stderr, for tests that read both.
pub fn run_to(sides: &Sides, options: &Options, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let settings = Settings {
        threshold: options.threshold,
        force: options.force,
        gate: options.gate.clone(),
    };
    let render = |comparison: &Comparison| render(comparison, options.format);
    let compared = match sides {
        Sides::Folders { base, new } => compare_folders(
            [base, new],
            |results, names| compare_with(results[0], results[1], &settings, names),
            render,
            out,
            err,
        ),
        Sides::Policies { dir, policies } => compare_in_folder(
            dir,
            |results| compare_policies(results, *policies, &settings),
            render,
            out,
            err,
        ),
    };
    match compared {
        Ok(comparison) if comparison.regressions() > 0 => SLO_VIOLATED,
        Ok(_) => OK,
        Err(code) => code,
    }
}

/// `compare_folders` for one folder: reads `dir`, compares within its results and prints.
fn compare_in_folder<T>(
    dir: &Path,
    compare: impl FnOnce(&StudyResults) -> Result<T, String>,
    render: impl FnOnce(&T) -> String,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<T, i32> {
    let compared = Folder::read(dir)
        .map_err(|e| e.to_string())
        .and_then(|folder| compare(&folder.results(false)));
    print_comparison(compared, render, out, err)
}

/// `diff` of two folders: reads the folders `dirs` (an error names the file and line),
/// compares their results with `compare`, which names each side by its folder, and prints what
/// `render` makes of the comparison on `out`. When it cannot, `Err` holds the exit code: 2 for
/// bad input, said on `err`; 1 when `out` cannot be written (a stdout closed by its reader is not
/// an error).
pub(super) fn compare_folders<T>(
    dirs: [&Path; 2],
    compare: impl FnOnce([&StudyResults; 2], [&str; 2]) -> Result<T, String>,
    render: impl FnOnce(&T) -> String,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<T, i32> {
    let read = |dir: &Path| Folder::read(dir).map_err(|e| e.to_string());
    let compared = read(dirs[0]).and_then(|first| {
        let folders = [first, read(dirs[1])?];
        let results = folders.each_ref().map(|f| f.results(false));
        let shown = dirs.map(|dir| dir.display().to_string());
        compare([&results[0], &results[1]], [&shown[0], &shown[1]])
    });
    print_comparison(compared, render, out, err)
}

/// Prints what `render` makes of a comparison on `out`, or its error on `err`; `Err` holds the
/// exit code as `compare_folders` says.
pub(super) fn print_comparison<T>(
    compared: Result<T, String>,
    render: impl FnOnce(&T) -> String,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<T, i32> {
    let comparison = match compared {
        Ok(c) => c,
        Err(e) => {
            // Nothing better to do if stderr itself cannot be written.
            let _ = writeln!(err, "error: {e}");
            return Err(BAD_INPUT);
        }
    };
    if let Err(e) = crate::error::print_to(out, &render(&comparison)) {
        let _ = writeln!(err, "error: cannot write the comparison: {e}");
        return Err(FAILURE);
    }
    Ok(comparison)
}
