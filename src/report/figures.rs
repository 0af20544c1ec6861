//! The charts and `report.html` of a study's results, drawn into memory and then written into a
//! results folder (`isrsim run` and `isrsim plot`).
//!
//! `charts` draws each chart and `html` lays out the page around them; this module only puts
//! the two together and writes them, so neither needs the other's files or the disk.

use std::io;
use std::path::Path;

use super::StudyResults;
use super::charts::{self, Chart};
use super::html;

pub const CHARTS_DIR: &str = "charts";
pub const REPORT_FILE: &str = "report.html";

/// Every chart of a study's results, in report order, and the report that shows them.
#[derive(Clone, Debug, PartialEq)]
pub struct Figures {
    pub charts: Vec<Chart>,
    pub report_html: String,
}

/// Draws the charts and the report of `results`.
pub fn draw(results: &StudyResults) -> io::Result<Figures> {
    let charts = charts::draw_all(results)?;
    let report_html = html::render(results, &charts);
    Ok(Figures {
        charts,
        report_html,
    })
}

impl Figures {
    /// Writes `charts/{name}.svg`, `charts/{name}.png` and `report.html` into `dir`.
    pub fn write_into(&self, dir: &Path) -> io::Result<()> {
        let charts_dir = dir.join(CHARTS_DIR);
        std::fs::create_dir_all(&charts_dir)?;
        for chart in &self.charts {
            std::fs::write(charts_dir.join(format!("{}.svg", chart.name)), chart.svg())?;
            std::fs::write(charts_dir.join(format!("{}.png", chart.name)), &chart.png)?;
        }
        std::fs::write(dir.join(REPORT_FILE), &self.report_html)
    }
}

/// Redraws the charts and the report of the results folder `dir` from `results`, its figures.
/// They are written into a hidden folder first and moved into place only when complete.
pub fn redraw(dir: &Path, results: &StudyResults) -> io::Result<()> {
    let figures = draw(results)?;
    let staging = dir.join(format!(".plot-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    if let Err(e) = figures.write_into(&staging) {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    let old_charts = dir.join(CHARTS_DIR);
    if old_charts.exists() {
        std::fs::remove_dir_all(&old_charts)?;
    }
    std::fs::rename(staging.join(CHARTS_DIR), &old_charts)?;
    std::fs::rename(staging.join(REPORT_FILE), dir.join(REPORT_FILE))?;
    std::fs::remove_dir_all(&staging)
}

pub use folder::read as read_folder;

/// TEMPORARY, until the typed results reader of `report` lands: a results folder read back into
/// the study and runs that wrote it, as far as the charts and the report need them, so that
/// `isrsim plot` keeps working. The reader replaces this whole module (and `read_folder`).
///
/// Left out, because no chart or report reads them: each run's routes (`routes.csv` holds only
/// their means) and its simulated request count.
mod folder {
    use std::collections::BTreeMap;
    use std::io;
    use std::path::Path;

    use crate::metrics::{Bucket, Distributions, RUN_COLUMNS, RunMetrics, RunResult};
    use crate::report::SCENARIO_FILE;
    use crate::scenario::Study;

    /// The study of `dir/scenario.toml`, named as its result files name it, and the runs of
    /// `runs.csv` with their time series and distributions.
    pub fn read(dir: &Path) -> io::Result<(Study, Vec<RunResult>)> {
        let path = dir.join(SCENARIO_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| invalid(&path, e))?;
        let mut study = Study::parse(&text, &path).map_err(|e| invalid(&path, e))?;
        let runs_csv = Csv::read(&dir.join("runs.csv"))?;
        // A scenario without `name` is named after its file, which the folder's copy is not.
        if let Some(row) = runs_csv.rows.first() {
            let name = runs_csv.text(row, "scenario").to_string();
            study.base.name.clone_from(&name);
            study
                .points
                .iter_mut()
                .for_each(|p| p.scenario.name.clone_from(&name));
        }
        let mut runs = Vec::new();
        for row in &runs_csv.rows {
            let (point, policy) = runs_csv.run_of(&study, row)?;
            let metrics = RUN_COLUMNS.map(|c| runs_csv.text(row, c.name).parse().ok());
            runs.push(RunResult {
                point,
                policy,
                replication: runs_csv.number(row, "replication")?,
                seed: runs_csv.number(row, "seed")?,
                metrics: RunMetrics::new(metrics),
                routes: Vec::new(),
                timeseries: Vec::new(),
                distributions: Distributions::default(),
                simulated_requests: 0,
            });
        }
        let index: BTreeMap<_, usize> = (runs.iter().enumerate())
            .map(|(i, r)| ((r.point, r.policy, r.replication), i))
            .collect();
        let find = |csv: &Csv, row: &[String]| -> io::Result<usize> {
            let (point, policy) = csv.run_of(&study, row)?;
            let key = (point, policy, csv.number(row, "replication")?);
            let missing = || csv.error(format!("a row names a run {key:?} not in runs.csv"));
            index.get(&key).copied().ok_or_else(missing)
        };
        let timeseries = Csv::read(&dir.join("timeseries.csv"))?;
        for row in &timeseries.rows {
            let i = find(&timeseries, row)?;
            let count = |name| timeseries.number(row, name);
            runs[i].timeseries.push(Bucket {
                requests: count("requests")?,
                stale_responses: count("stale_responses")?,
                regenerations: count("regenerations")?,
                regenerations_inflight: count("regenerations_inflight")?,
                origin_requests: count("origin_requests")?,
                backend_queue: count("backend_queue")?,
            });
        }
        let distributions = Csv::read(&dir.join("distributions.csv"))?;
        for row in &distributions.rows {
            let i = find(&distributions, row)?;
            let value = distributions.number(row, "value")?;
            let d = &mut runs[i].distributions;
            match distributions.text(row, "metric") {
                "stale_age_s" => d.stale_age_s.push(value),
                _ => d.latency_ms.push(value),
            }
        }
        Ok((study, runs))
    }

    /// One CSV file: its header and rows, as text.
    struct Csv {
        path: std::path::PathBuf,
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    }

    impl Csv {
        fn read(path: &Path) -> io::Result<Csv> {
            let mut reader = csv::Reader::from_path(path).map_err(|e| invalid(path, e))?;
            let header = reader.headers().map_err(|e| invalid(path, e))?;
            let header = header.iter().map(String::from).collect();
            let mut rows = Vec::new();
            for record in reader.records() {
                let record = record.map_err(|e| invalid(path, e))?;
                rows.push(record.iter().map(String::from).collect());
            }
            Ok(Csv {
                path: path.to_path_buf(),
                header,
                rows,
            })
        }

        fn text<'r>(&self, row: &'r [String], column: &str) -> &'r str {
            let i = self.header.iter().position(|h| h == column);
            i.and_then(|i| row.get(i)).map_or("", String::as_str)
        }

        fn number<T: std::str::FromStr>(&self, row: &[String], column: &str) -> io::Result<T> {
            let text = self.text(row, column);
            text.parse()
                .map_err(|_| self.error(format!("`{column}` is not a number: {text:?}")))
        }

        /// The (point, policy) a row names by its axis labels and policy.
        fn run_of(&self, study: &Study, row: &[String]) -> io::Result<(usize, usize)> {
            let labels: Vec<&str> = study.axes.iter().map(|a| self.text(row, a)).collect();
            let policy = self.text(row, "policy");
            let point = (study.points.iter()).position(|p| {
                p.labels
                    .iter()
                    .map(String::as_str)
                    .eq(labels.iter().copied())
            });
            let found = point.and_then(|i| {
                let policies = &study.points[i].scenario.policies;
                Some((i, policies.iter().position(|p| p.name == policy)?))
            });
            found.ok_or_else(|| {
                self.error(format!(
                    "a row names {labels:?} policy {policy:?}, not in the study"
                ))
            })
        }

        fn error(&self, message: String) -> io::Error {
            invalid(&self.path, message)
        }
    }

    fn invalid(path: &Path, e: impl std::fmt::Display) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {e}", path.display()),
        )
    }
}
