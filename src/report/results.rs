//! A results folder's files as text: what the charts and `report.html` are still drawn from.
//!
//! Charts and the report are a function of the CSV files and `scenario.toml` alone, so
//! `isrsim plot DIR` redraws exactly what `isrsim run` drew, with no re-run. A folder is checked
//! by `Folder::read` (or has just been written) before it is read here, so the lenient cells below
//! never stand in for a damaged file; once the charts draw from `StudyResults`, this goes.

use std::io;
use std::path::{Path, PathBuf};

use super::SCENARIO_FILE;

/// One CSV file: its header and its rows, as text.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn read(path: &Path) -> io::Result<Table> {
        let mut reader = csv::Reader::from_path(path).map_err(|e| invalid(path, e))?;
        let header = reader
            .headers()
            .map_err(|e| invalid(path, e))?
            .iter()
            .map(String::from)
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            rows.push(
                record
                    .map_err(|e| invalid(path, e))?
                    .iter()
                    .map(String::from)
                    .collect(),
            );
        }
        Ok(Table { header, rows })
    }

    /// The index of a column by name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// A row's value in a numeric column (0 when absent or not a number).
    pub fn number(&self, row: &[String], column: &str) -> f64 {
        self.column(column)
            .and_then(|i| row.get(i))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }

    /// A row's text in a column ("" when absent).
    pub fn text<'r>(&self, row: &'r [String], column: &str) -> &'r str {
        self.column(column)
            .and_then(|i| row.get(i))
            .map_or("", String::as_str)
    }
}

fn invalid(path: &Path, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {e}", path.display()),
    )
}

/// Everything a results folder holds.
#[derive(Clone, Debug)]
pub struct Results {
    pub dir: PathBuf,
    /// The scenario file as written.
    pub scenario: String,
    pub name: String,
    /// The swept keys (the columns between `scenario` and `policy` in `summary.csv`).
    pub axes: Vec<String>,
    pub runs: Table,
    pub summary: Table,
    pub timeseries: Table,
    pub routes: Table,
    pub distributions: Table,
}

impl Results {
    pub fn load(dir: &Path) -> io::Result<Results> {
        let read = |name: &str| Table::read(&dir.join(name));
        let summary = read("summary.csv")?;
        let policy = summary.column("policy").unwrap_or(1);
        let axes = summary.header.get(1..policy).unwrap_or_default().to_vec();
        let name = summary
            .rows
            .first()
            .map(|r| summary.text(r, "scenario").to_string())
            .unwrap_or_default();
        let scenario_path = dir.join(SCENARIO_FILE);
        Ok(Results {
            dir: dir.to_path_buf(),
            scenario: std::fs::read_to_string(&scenario_path)
                .map_err(|e| invalid(&scenario_path, e))?,
            name,
            axes,
            runs: read("runs.csv")?,
            summary,
            timeseries: read("timeseries.csv")?,
            routes: read("routes.csv")?,
            distributions: read("distributions.csv")?,
        })
    }

    /// The label of a row's sweep point and policy, as charts name a series: `policy`, or
    /// `axis=value, …, policy` in a sweep.
    pub fn series(&self, table: &Table, row: &[String]) -> String {
        let mut parts: Vec<String> = self
            .axes
            .iter()
            .map(|a| {
                format!(
                    "{}={}",
                    a.rsplit('.').next().unwrap_or(a),
                    table.text(row, a)
                )
            })
            .collect();
        parts.push(table.text(row, "policy").to_string());
        parts.join(", ")
    }
}
