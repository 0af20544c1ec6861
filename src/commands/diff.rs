//! `isrsim diff BASE NEW`: reads two results folders, compares them (`results::diff`), prints the
//! comparison (`report::diff`) and exits 3 when a metric regressed (docs/ci.md).

use std::io::{self, Write};
use std::path::Path;

use crate::error::exit_code::{BAD_INPUT, FAILURE, OK, SLO_VIOLATED};
use crate::report::diff::{Format, render};
use crate::results::diff::compare_named;
use crate::results::{Folder, StudyResults};

pub struct Options {
    /// Changes whose relative size `|new - base| / |base|` is below this are ignored (0.05 is 5%).
    pub threshold: f64,
    pub format: Format,
    /// Compares folders of differently named scenarios instead of refusing them.
    pub force: bool,
}

/// Prints the comparison on stdout (errors on stderr) and returns the exit code: 3 when any
/// metric regressed, 0 when none did, 2 on bad input, 1 when stdout cannot be written (a stdout
/// closed by its reader is not an error).
pub fn run(base: &Path, new: &Path, options: &Options) -> i32 {
    on_stdio(|out, err| run_to(base, new, options, out, err))
}

/// Runs `command` writing to stdout and stderr, as `diff` and `compare` do outside tests.
pub(super) fn on_stdio(command: impl FnOnce(&mut dyn Write, &mut dyn Write) -> i32) -> i32 {
    command(&mut io::stdout().lock(), &mut io::stderr())
}

/// `run`, writing to `out` and `err` instead of stdout and stderr, for tests that read both.
pub fn run_to(
    base: &Path,
    new: &Path,
    options: &Options,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let compared = compare_folders(
        [base, new],
        |results, names| {
            compare_named(
                results[0],
                results[1],
                options.threshold,
                options.force,
                names,
            )
        },
        |comparison| render(comparison, options.format),
        out,
        err,
    );
    match compared {
        Ok(comparison) if comparison.regressions() > 0 => SLO_VIOLATED,
        Ok(_) => OK,
        Err(code) => code,
    }
}

/// What `diff` and `compare` share: reads the folders `dirs` (an error names the file and line),
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
