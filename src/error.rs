//! Errors a user can act on, and the exit codes of docs/model.md §14.

use std::fmt;
use std::path::PathBuf;

/// Exit codes (docs/model.md §14).
pub mod exit_code {
    pub const OK: i32 = 0;
    pub const FAILURE: i32 = 1;
    pub const BAD_INPUT: i32 = 2;
    pub const SLO_VIOLATED: i32 = 3;
    /// Stopped by SIGINT (Ctrl-C), SIGTERM or SIGHUP, as shells report a SIGINT: 128 + 2.
    pub const INTERRUPTED: i32 = 130;
}

/// A problem with a scenario file or with the command line (exit code 2).
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    pub file: PathBuf,
    /// The dotted key, as `routes[0].pages`, when the problem is about one key.
    pub key: Option<String>,
    /// 1-based line and column of the offending value, when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl InputError {
    pub fn new(file: impl Into<PathBuf>, message: impl Into<String>) -> InputError {
        InputError {
            file: file.into(),
            key: None,
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": ")?;
        if let Some(key) = &self.key {
            write!(f, "key `{key}`: ")?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for InputError {}

/// Writes `text` to `out` and flushes it. A stream closed by its reader (`isrsim run … | head -1`)
/// is not a failure: like ripgrep, isrsim then stops printing quietly and goes on (its exit code
/// still says how the run went). Any other write error is returned.
pub fn print_to(out: &mut dyn std::io::Write, text: &str) -> std::io::Result<()> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        done => done,
    }
}

/// `print_to` on stdout.
pub fn print(text: &str) -> std::io::Result<()> {
    print_to(&mut std::io::stdout().lock(), text)
}
