//! Recorded traffic and edits (docs/traces.md): access logs replayed as the users of a run
//! (`[traffic] pattern = "trace"`), and logs of publish times replayed as a route's edits
//! (`[[routes]] edits = { file = … }`).
//!
//! A log is read in one streaming pass: memory grows with the number of distinct pages, not with
//! the number of lines. `reader` and `format` read lines (plain or gzip), `clock` their times,
//! `matcher` turns a path into a route and a page, `replay` keeps the requests compactly for
//! every run, `trace` makes the one pass over an access log, and `edits` reads an edit log.

pub mod clock;
pub mod edits;
pub mod format;
pub mod matcher;
pub mod reader;
pub mod replay;
pub mod trace;

use std::path::PathBuf;

pub use edits::EditLog;
pub use format::{Fields, Format, Record};
pub use matcher::{Matcher, Outcome};
pub use reader::LogReader;
pub use trace::Replay;

use crate::error::InputError;
use crate::time::SimTime;

/// A log as a scenario names it: where, in which format, and which of its lines count.
#[derive(Clone, Debug, PartialEq)]
pub struct LogSource {
    /// Resolved against the scenario file's folder.
    pub file: PathBuf,
    pub format: Format,
    pub fields: Fields,
    pub filter: Filter,
}

/// `[traffic] pattern = "trace"`.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceSpec {
    pub log: LogSource,
    /// Log seconds per simulated second (2 plays an hour of log in 30 minutes).
    pub speed: f64,
    /// The window replayed, from the log's first kept request, in log time.
    pub start: SimTime,
    pub end: Option<SimTime>,
}

/// A status rule: one code, or a class such as `2xx`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Code(u16),
    Class(u16),
}

impl Status {
    fn takes(self, code: u16) -> bool {
        match self {
            Status::Code(c) => c == code,
            Status::Class(class) => code / 100 == class,
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Code(c) => write!(f, "{c}"),
            Status::Class(c) => write!(f, "{c}xx"),
        }
    }
}

/// Which lines are requests a user got a page from: by default a `GET` answered `2xx` or `304`.
/// A line whose format carries no method (or status) passes on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    pub methods: Vec<String>,
    pub statuses: Vec<Status>,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            methods: vec!["GET".into()],
            statuses: vec![Status::Class(2), Status::Code(304)],
        }
    }
}

impl Filter {
    /// No filter: every line counts (an edit log's default).
    pub fn everything() -> Filter {
        Filter {
            methods: Vec::new(),
            statuses: Vec::new(),
        }
    }

    pub fn keeps(&self, record: &Record) -> bool {
        let method = match record.method {
            Some(m) if !self.methods.is_empty() => self
                .methods
                .iter()
                .any(|k| k.as_bytes().eq_ignore_ascii_case(m)),
            _ => true,
        };
        let status = match record.status {
            Some(s) if !self.statuses.is_empty() => self.statuses.iter().any(|k| k.takes(s)),
            _ => true,
        };
        method && status
    }

    /// `GET answered 2xx or 304`, for reports.
    pub fn describe(&self) -> String {
        let methods = if self.methods.is_empty() {
            "any method".to_string()
        } else {
            self.methods.join(" or ")
        };
        let statuses: Vec<String> = self.statuses.iter().map(Status::to_string).collect();
        if statuses.is_empty() {
            methods
        } else {
            format!("{methods} answered {}", statuses.join(" or "))
        }
    }
}

/// What became of a log's lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub lines: u64,
    pub unreadable: u64,
    /// The first few unreadable lines: (line number, why).
    pub first_unreadable: Vec<(u64, &'static str)>,
    /// Lines of another method or status.
    pub filtered: u64,
    /// Lines outside `start`/`end`, or past the run's end.
    pub outside: u64,
    /// Paths no route's `match` takes.
    pub unmatched: u64,
    /// Pages past a route's `pages` bound.
    pub beyond_bound: u64,
    /// Lines more than `replay::WINDOW_S` seconds out of order.
    pub late: u64,
    /// Requests (or edits) replayed.
    pub kept: u64,
}

/// How many unreadable lines are named in a report.
const NAMED: usize = 3;

/// Above this share of unreadable lines, the log is taken for another format, not for a few
/// damaged lines.
pub const UNREADABLE_LIMIT: f64 = 0.01;

impl Tally {
    pub fn unreadable_line(&mut self, line: u64, why: &'static str) {
        self.unreadable += 1;
        if self.first_unreadable.len() < NAMED {
            self.first_unreadable.push((line, why));
        }
    }

    /// Whether too many lines are unreadable to go on.
    pub fn too_unreadable(&self) -> bool {
        self.unreadable as f64 > UNREADABLE_LIMIT * self.lines as f64
    }
}

/// The error of a log with too many lines that do not read in its format: it names the first.
fn unreadable(log: &LogSource, tally: &Tally) -> InputError {
    let (line, why) = tally.first_unreadable[0];
    let mut error = InputError::new(
        &log.file,
        format!(
            "{} of the {} lines read are not `{}` lines (more than {}% is taken for a wrong \
             `format`); this one: {why}. Expected {}",
            tally.unreadable,
            tally.lines,
            log.format.name(),
            UNREADABLE_LIMIT * 100.0,
            log.format.expected(&log.fields)
        ),
    );
    error.line = Some(line as usize);
    error
}
