//! `isrsim show DIR`: prints a results folder's comparison table again, as `run` printed it, with
//! any `--columns`; `--routes` prints the per-route table instead (README, "The table on
//! stdout"). The folder is read back as `plot` reads it (`results::Folder`), so the figures are
//! the run's own, and the table is drawn by the same code `run` calls.

use std::path::Path;

use crate::error::{exit_code, print};
use crate::report::{Columns, Export, RouteTable, Table};
use crate::results::Folder;

/// What `show` prints.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The per-route table rather than the comparison.
    pub routes: bool,
    /// The comparison's columns (`--wide`, `--columns`), as `run` takes them.
    pub columns: Columns,
}

/// Prints the table of the results folder `dir` on stdout; returns the exit code: 2 when `dir`
/// is not a results folder (or is damaged), 1 when stdout cannot be written.
pub fn run(dir: &Path, options: &Options) -> i32 {
    let folder = match Folder::read(dir) {
        Ok(folder) => folder,
        Err(e) => {
            eprintln!("error: {e}");
            return exit_code::BAD_INPUT;
        }
    };
    // The SLO is not checked: the table does not show verdicts, and `show` gates nothing.
    let results = folder.results(false);
    let table = Table::for_stdout(options.columns.clone());
    let rendered = if options.routes {
        RouteTable { style: table.style }.render(&results)
    } else {
        table.render(&results)
    };
    let printed = rendered
        .and_then(|bytes| print(&format!("{}\n", String::from_utf8_lossy(&bytes).trim_end())));
    match printed {
        Ok(()) => exit_code::OK,
        Err(e) => {
            eprintln!("error: cannot print the table: {e}");
            exit_code::FAILURE
        }
    }
}
