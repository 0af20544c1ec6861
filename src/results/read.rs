//! A results folder read back into the types a run produces, for `isrsim plot`, `isrsim diff` and
//! `isrsim compare`.
//!
//! `scenario.toml` is parsed again as `run` parsed it, and `runs.csv`, `timeseries.csv` and
//! `distributions.csv` become the `RunResult`s of the run; their summaries are computed again by
//! `StudyResults::new`, as the run computed them, so no figure is read from `summary.csv` or
//! `summary.json`. `summary.csv` is still checked, since people read it as the results: a row per
//! (point, policy), a number in every cell that holds one.
//! The files hold every figure at the precision a run keeps (`metrics::as_written`), so the
//! results read back are the run's own. The exception is per-route figures: `runs.csv` has none
//! per run, so the route summaries are those of `routes.csv`.
//!
//! A folder that is damaged or cut short (a file or a column missing, a cell that is not a
//! number, a row cut short, a run of a policy the scenario lacks, fewer buckets or quantiles than
//! a run makes) is an error that names the file inside the folder the user named and the line,
//! never a silent 0. Runs read back have no per-route figures and no count of simulated requests,
//! which no file holds; the study's seed is the scenario file's (`--seed` is not in it, but each
//! run's derived seed is in `runs.csv`).

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use csv::StringRecord;

use super::layout::{
    DISTRIBUTIONS_FILE, LATENCY, ROUTES_FILE, RUNS_FILE, SCENARIO_FILE, STALE_AGE, SUMMARY_FILE,
    TIMESERIES_FILE, bucket_start,
};
use super::summary::{RouteSummary, StudyResults};
use crate::error::InputError;
use crate::metrics::collector::bucket_count;
use crate::metrics::{
    Bucket, Distributions, QUANTILES, ROUTE_COLUMNS, RUN_COLUMNS, RunMetrics, RunResult,
    TIMESERIES_COLUMNS, as_written,
};
use crate::scenario::Study;

/// Metrics appended to `runs.csv` and `routes.csv` after their first release: a folder written
/// before them lacks their columns, and reads them as not measured.
const LATER: [&str; 5] = [
    "purge_requests",
    "tag_invalidations",
    "regenerations_deduplicated",
    "cost_usd",
    "cost_usd_month",
];

/// What a results folder holds, read back.
#[derive(Clone, Debug)]
pub struct Folder {
    /// The scenario of `scenario.toml`, named as `runs.csv` names it, with as many replications
    /// as the folder has runs of each policy.
    pub study: Study,
    /// In the order of `runs.csv`.
    pub runs: Vec<RunResult>,
    /// `routes.csv`: for each (point, policy) in study order, one summary per route.
    pub routes: Vec<Vec<RouteSummary>>,
}

/// Why a results folder cannot be read. Every one is bad input (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{} is not a results folder (it does not exist or is not a folder)", .dir.display())]
    NotAFolder { dir: PathBuf },
    #[error("{} has no {file}: is it a folder written by `isrsim run`?", .dir.display())]
    MissingFile { dir: PathBuf, file: &'static str },
    #[error("{}: cannot be read: {source}", .path.display())]
    Unreadable { path: PathBuf, source: io::Error },
    /// `scenario.toml` does not parse; the error names it and the line.
    #[error(transparent)]
    Scenario(#[from] InputError),
    #[error("{}:{line}: {problem}", .path.display())]
    Damaged {
        path: PathBuf,
        line: u64,
        problem: Problem,
    },
}

/// What is wrong at one line of one file.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Problem {
    #[error("not a CSV file: {0}")]
    NotCsv(String),
    #[error(
        "the header must start with `{expected}` (after `scenario`, the keys scenario.toml sweeps)"
    )]
    Header { expected: String },
    #[error("no `{0}` column")]
    MissingColumn(String),
    #[error("{cells} cells where the header has {header}: the row is cut short or damaged")]
    Cells { cells: usize, header: usize },
    #[error("`{column}` is {}, not a number", shown(.text))]
    NotANumber { column: String, text: String },
    #[error("names scenario `{found}`, where runs.csv names `{expected}`")]
    OtherScenario { found: String, expected: String },
    #[error("names sweep point {labels}, which scenario.toml does not have")]
    UnknownPoint { labels: String },
    #[error("names policy `{policy}`, which scenario.toml does not have")]
    UnknownPolicy { policy: String },
    #[error("names route `{route}`, which scenario.toml does not have")]
    UnknownRoute { route: String },
    #[error("names metric `{metric}`, where `{STALE_AGE}` or `{LATENCY}` belongs")]
    UnknownMetric { metric: String },
    #[error("names {run}, which runs.csv does not have")]
    UnknownRun { run: String },
    #[error("{what} again, first on line {first}")]
    Repeated { what: String, first: u64 },
    #[error("one row more than {what}")]
    Surplus { what: String },
    #[error("`{column}` is {found} where {expected} belongs")]
    OutOfPlace {
        column: String,
        found: String,
        expected: f64,
    },
    #[error("{what}: the file is cut short or damaged")]
    Incomplete { what: String },
}

/// A cell as an error shows it.
fn shown(text: &str) -> String {
    if text.is_empty() {
        "empty".to_string()
    } else {
        format!("`{text}`")
    }
}

impl Folder {
    /// Reads the results folder `dir`.
    pub fn read(dir: &Path) -> Result<Folder, ReadError> {
        if !dir.is_dir() {
            return Err(ReadError::NotAFolder {
                dir: dir.to_path_buf(),
            });
        }
        let files = [
            SCENARIO_FILE,
            RUNS_FILE,
            SUMMARY_FILE,
            ROUTES_FILE,
            TIMESERIES_FILE,
            DISTRIBUTIONS_FILE,
        ];
        if let Some(file) = files.into_iter().find(|f| !dir.join(f).is_file()) {
            return Err(ReadError::MissingFile {
                dir: dir.to_path_buf(),
                file,
            });
        }
        let path = dir.join(SCENARIO_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| ReadError::Unreadable {
            path: path.clone(),
            source,
        })?;
        let study = Study::parse_recorded(&text, &path)?;
        let mut folder = Folder {
            study,
            runs: Vec::new(),
            routes: Vec::new(),
        };
        let runs = Sheet::read(dir.join(RUNS_FILE))?;
        let index = folder.read_runs(&runs)?;
        folder.read_timeseries(&Sheet::read(dir.join(TIMESERIES_FILE))?, &index)?;
        folder.read_distributions(&Sheet::read(dir.join(DISTRIBUTIONS_FILE))?, &index)?;
        folder.read_routes(&Sheet::read(dir.join(ROUTES_FILE))?)?;
        folder.check_summaries(&Sheet::read(dir.join(SUMMARY_FILE))?)?;
        Ok(folder)
    }

    /// The folder's results: summaries computed from its runs as the run computed them, with
    /// `routes.csv`'s route summaries.
    pub fn results(&self, check_slo: bool) -> StudyResults<'_> {
        let mut results = StudyResults::new(&self.study, &self.runs, check_slo);
        for (summary, routes) in results.summaries.iter_mut().zip(&self.routes) {
            summary.routes = routes.clone();
        }
        results
    }

    /// Reads `runs.csv`, names the study as it does and gives it as many replications as it has
    /// runs of each policy; returns where each (point, policy, replication) is in `runs`.
    fn read_runs(&mut self, sheet: &Sheet) -> Result<RunIndex, ReadError> {
        let name = match sheet.rows.first() {
            Some((_, record)) => record.get(0).unwrap_or_default().to_string(),
            None => {
                return Err(sheet.damaged(
                    sheet.last_line,
                    Problem::Incomplete {
                        what: "no runs".to_string(),
                    },
                ));
            }
        };
        self.study.base.name.clone_from(&name);
        for point in &mut self.study.points {
            point.scenario.name.clone_from(&name);
        }
        let layout = Layout::of(sheet, &self.study, true)?;
        let replication = sheet.column("replication")?;
        let seed = sheet.column("seed")?;
        let metrics = sheet.metric_columns(RUN_COLUMNS.iter().map(|c| c.name))?;
        let mut index = RunIndex::new();
        for (line, record) in &sheet.rows {
            let row = Row::new(sheet, *line, record);
            let (point, policy) = layout.locate(&row, &self.study)?;
            let replication: u32 = row.integer(replication)?;
            let key = (point, policy, replication);
            if let Some(&(_, first)) = index.get(&key) {
                let what = run_name(&self.study, key);
                return Err(row.damaged(Problem::Repeated { what, first }));
            }
            let mut values = [None; RUN_COLUMNS.len()];
            for (value, &c) in values.iter_mut().zip(&metrics) {
                *value = c.map(|c| row.optional(c)).transpose()?.flatten();
            }
            index.insert(key, (self.runs.len(), *line));
            self.runs.push(RunResult {
                point,
                policy,
                replication,
                seed: row.integer(seed)?,
                metrics: RunMetrics::new(values),
                routes: Vec::new(),
                timeseries: Vec::new(),
                distributions: Distributions::default(),
                simulated_requests: 0,
            });
        }
        let replications = self.replications(sheet, &index)?;
        self.study.set_replications(replications)?;
        Ok(index)
    }

    /// The replications every (point, policy) has, each numbered from 0: a run writes them all,
    /// so a policy with fewer than the others is a file cut short.
    fn replications(&self, sheet: &Sheet, index: &RunIndex) -> Result<u32, ReadError> {
        let mut expected = None;
        for (i, point) in self.study.points.iter().enumerate() {
            for p in 0..point.scenario.policies.len() {
                // Numbered from 0, or, for the one run of a load test, from its replication.
                let first = (index.keys())
                    .filter(|k| (k.0, k.1) == (i, p))
                    .map(|k| k.2)
                    .min()
                    .filter(|_| index.len() == 1)
                    .unwrap_or(0);
                let count = (first..)
                    .take_while(|&r| index.contains_key(&(i, p, r)))
                    .count() as u32;
                let found = index.keys().filter(|k| (k.0, k.1) == (i, p)).count() as u32;
                let expected = *expected.get_or_insert(found);
                if count != expected || found != expected {
                    let group = group_name(&self.study, i, p);
                    let what = if found == expected {
                        format!("{group} has no replication {count}")
                    } else {
                        format!(
                            "{group} has {found} run{} where {} has {expected}",
                            if found == 1 { "" } else { "s" },
                            group_name(&self.study, 0, 0),
                        )
                    };
                    return Err(sheet.damaged(sheet.last_line, Problem::Incomplete { what }));
                }
            }
        }
        Ok(expected.unwrap_or(0))
    }

    fn read_timeseries(&mut self, sheet: &Sheet, index: &RunIndex) -> Result<(), ReadError> {
        let layout = Layout::of(sheet, &self.study, false)?;
        let replication = sheet.column("replication")?;
        let start = sheet.column("t_s")?;
        let series = sheet.columns(TIMESERIES_COLUMNS)?;
        for (line, record) in &sheet.rows {
            let row = Row::new(sheet, *line, record);
            let key = run_key(self.run_at(&row, &layout, replication, index)?);
            let run = &mut self.runs[index[&key].0];
            let scenario = &self.study.points[key.0].scenario;
            let i = run.timeseries.len();
            let count = bucket_count(scenario.duration, scenario.bucket);
            if i == count {
                let what = format!("the {count} buckets of {}", run_name(&self.study, key));
                return Err(row.damaged(Problem::Surplus { what }));
            }
            row.expect(start, as_written(bucket_start(scenario.bucket, i)))?;
            let mut values = [0; TIMESERIES_COLUMNS.len()];
            for (value, &c) in values.iter_mut().zip(&series) {
                *value = row.integer(c)?;
            }
            run.timeseries.push(Bucket::from_values(values));
        }
        for run in &self.runs {
            let scenario = &self.study.points[run.point].scenario;
            let count = bucket_count(scenario.duration, scenario.bucket);
            if run.timeseries.len() != count {
                let what = format!(
                    "{} has {} buckets where its scenario makes {count}",
                    run_name(&self.study, run_key(run)),
                    run.timeseries.len()
                );
                return Err(sheet.damaged(sheet.last_line, Problem::Incomplete { what }));
            }
        }
        Ok(())
    }

    fn read_distributions(&mut self, sheet: &Sheet, index: &RunIndex) -> Result<(), ReadError> {
        let layout = Layout::of(sheet, &self.study, true)?;
        let replication = sheet.column("replication")?;
        let [metric, quantile, value] = ["metric", "quantile", "value"].map(|c| sheet.column(c));
        let (metric, quantile, value) = (metric?, quantile?, value?);
        for (line, record) in &sheet.rows {
            let row = Row::new(sheet, *line, record);
            let key = run_key(self.run_at(&row, &layout, replication, index)?);
            let run = &mut self.runs[index[&key].0];
            let values = match row.text(metric) {
                STALE_AGE => &mut run.distributions.stale_age_s,
                LATENCY => &mut run.distributions.latency_ms,
                other => {
                    let metric = other.to_string();
                    return Err(row.damaged(Problem::UnknownMetric { metric }));
                }
            };
            let Some(&expected) = QUANTILES.get(values.len()) else {
                let what = format!(
                    "the {} quantiles of {} of {}",
                    QUANTILES.len(),
                    row.text(metric),
                    run_name(&self.study, key)
                );
                return Err(row.damaged(Problem::Surplus { what }));
            };
            row.expect(quantile, expected)?;
            values.push(row.number(value)?);
        }
        for run in &self.runs {
            let d = &run.distributions;
            for (metric, values) in [(STALE_AGE, &d.stale_age_s), (LATENCY, &d.latency_ms)] {
                // A run with no sample for a metric has no rows for it (docs/model.md §11.3).
                if !values.is_empty() && values.len() != QUANTILES.len() {
                    let what = format!(
                        "{metric} of {} has {} of the {} quantiles",
                        run_name(&self.study, run_key(run)),
                        values.len(),
                        QUANTILES.len()
                    );
                    return Err(sheet.damaged(sheet.last_line, Problem::Incomplete { what }));
                }
            }
        }
        Ok(())
    }

    fn read_routes(&mut self, sheet: &Sheet) -> Result<(), ReadError> {
        let layout = Layout::of(sheet, &self.study, true)?;
        let route = sheet.column("route")?;
        let replications = sheet.column("replications")?;
        let means = sheet.metric_columns(ROUTE_COLUMNS.iter().map(|c| c.name))?;
        let cis = sheet.metric_columns(ROUTE_COLUMNS.iter().map(|c| format!("{}_ci95", c.name)))?;
        // Each (point, policy)'s first place in study order, and each route's row once read.
        let mut first = Vec::new();
        let mut found: Vec<Vec<Option<(RouteSummary, u64)>>> = Vec::new();
        for point in &self.study.points {
            first.push(found.len());
            for _ in &point.scenario.policies {
                found.push(vec![None; point.scenario.routes.len()]);
            }
        }
        for (line, record) in &sheet.rows {
            let row = Row::new(sheet, *line, record);
            let (point, policy) = layout.locate(&row, &self.study)?;
            let routes = &self.study.points[point].scenario.routes;
            let name = row.text(route);
            let Some(r) = routes.iter().position(|x| x.name == name) else {
                let route = name.to_string();
                return Err(row.damaged(Problem::UnknownRoute { route }));
            };
            let slot = &mut found[first[point] + policy][r];
            if let Some((_, first)) = slot {
                let what = format!(
                    "route `{name}` of {}",
                    group_name(&self.study, point, policy)
                );
                return Err(row.damaged(Problem::Repeated {
                    what,
                    first: *first,
                }));
            }
            let mut summary = RouteSummary {
                route: name.to_string(),
                replications: row.integer(replications)?,
                means: [None; ROUTE_COLUMNS.len()],
                ci95: [None; ROUTE_COLUMNS.len()],
            };
            for c in 0..ROUTE_COLUMNS.len() {
                summary.means[c] = means[c].map(|i| row.optional(i)).transpose()?.flatten();
                summary.ci95[c] = cis[c].map(|i| row.optional(i)).transpose()?.flatten();
            }
            *slot = Some((summary, *line));
        }
        for (point, p) in self.study.points.iter().enumerate() {
            for policy in 0..p.scenario.policies.len() {
                let mut routes = Vec::new();
                for (r, slot) in found[first[point] + policy].iter_mut().enumerate() {
                    let Some((summary, _)) = slot.take() else {
                        let what = format!(
                            "no row for route `{}` of {}",
                            p.scenario.routes[r].name,
                            group_name(&self.study, point, policy)
                        );
                        return Err(sheet.damaged(sheet.last_line, Problem::Incomplete { what }));
                    };
                    routes.push(summary);
                }
                self.routes.push(routes);
            }
        }
        Ok(())
    }

    /// Checks `summary.csv`: one row per (point, policy) with as many replications as the folder
    /// has, and a number or nothing in every figure's cell. Its figures are not used (they are
    /// computed again from the runs), but a cut or damaged file must not stay claiming to be the
    /// results.
    fn check_summaries(&self, sheet: &Sheet) -> Result<(), ReadError> {
        let layout = Layout::of(sheet, &self.study, true)?;
        let replications = sheet.column("replications")?;
        let names = RUN_COLUMNS.iter().map(|c| c.name);
        let figures =
            sheet.metric_columns(names.flat_map(|n| [n.to_string(), format!("{n}_ci95")]))?;
        let mut lines = HashMap::new();
        for (line, record) in &sheet.rows {
            let row = Row::new(sheet, *line, record);
            let (point, policy) = layout.locate(&row, &self.study)?;
            if let Some(&first) = lines.get(&(point, policy)) {
                let what = group_name(&self.study, point, policy);
                return Err(row.damaged(Problem::Repeated { what, first }));
            }
            row.expect(replications, f64::from(self.study.base.replications))?;
            for &c in figures.iter().flatten() {
                row.optional(c)?;
            }
            lines.insert((point, policy), *line);
        }
        for (point, p) in self.study.points.iter().enumerate() {
            if let Some(policy) =
                (0..p.scenario.policies.len()).find(|&policy| !lines.contains_key(&(point, policy)))
            {
                let what = format!("no row for {}", group_name(&self.study, point, policy));
                return Err(sheet.damaged(sheet.last_line, Problem::Incomplete { what }));
            }
        }
        Ok(())
    }

    /// The run a row of `timeseries.csv` or `distributions.csv` belongs to.
    fn run_at(
        &self,
        row: &Row,
        layout: &Layout,
        replication: usize,
        index: &RunIndex,
    ) -> Result<&RunResult, ReadError> {
        let (point, policy) = layout.locate(row, &self.study)?;
        let key = (point, policy, row.integer(replication)?);
        match index.get(&key) {
            Some(&(i, _)) => Ok(&self.runs[i]),
            None => Err(row.damaged(Problem::UnknownRun {
                run: run_name(&self.study, key),
            })),
        }
    }
}

/// Where each (point, policy, replication) is in `Folder::runs`, and its line in `runs.csv`.
type RunIndex = HashMap<(usize, usize, u32), (usize, u64)>;

/// A run's place in a `RunIndex`.
fn run_key(run: &RunResult) -> (usize, usize, u32) {
    (run.point, run.policy, run.replication)
}

/// "replication 2 of policy `a`", with the sweep point when there is one.
fn run_name(study: &Study, (point, policy, replication): (usize, usize, u32)) -> String {
    format!(
        "replication {replication} of {}",
        group_name(study, point, policy)
    )
}

/// "policy `a`", or "policy `a` at backend.concurrency=4" in a sweep.
fn group_name(study: &Study, point: usize, policy: usize) -> String {
    let p = &study.points[point];
    let name = format!("policy `{}`", p.scenario.policies[policy].name);
    if study.axes.is_empty() {
        return name;
    }
    format!("{name} at {}", point_name(&study.axes, &p.labels))
}

/// `backend.concurrency=4, origin.cache=shared`.
fn point_name(axes: &[String], labels: &[String]) -> String {
    let pairs: Vec<String> = axes
        .iter()
        .zip(labels)
        .map(|(a, l)| format!("{a}={l}"))
        .collect();
    pairs.join(", ")
}

/// One CSV file of the folder, every row as long as its header.
struct Sheet {
    path: PathBuf,
    header: Vec<String>,
    /// Each row with the line it starts on.
    rows: Vec<(u64, StringRecord)>,
    /// The line of the last row (1, the header's, when there is none).
    last_line: u64,
}

impl Sheet {
    fn read(path: PathBuf) -> Result<Sheet, ReadError> {
        let mut reader = match csv::ReaderBuilder::new().flexible(true).from_path(&path) {
            Ok(reader) => reader,
            Err(e) => {
                let source = io::Error::from(e);
                return Err(ReadError::Unreadable { path, source });
            }
        };
        let not_csv = |path: &Path, e: csv::Error| ReadError::Damaged {
            path: path.to_path_buf(),
            line: e.position().map_or(1, |p| p.line()),
            problem: Problem::NotCsv(e.to_string()),
        };
        let header: Vec<String> = match reader.headers() {
            Ok(header) => header.iter().map(String::from).collect(),
            Err(e) => return Err(not_csv(&path, e)),
        };
        let mut rows = Vec::new();
        let mut last_line = 1;
        for record in reader.records() {
            let record = record.map_err(|e| not_csv(&path, e))?;
            let line = record.position().map_or(last_line + 1, |p| p.line());
            if record.len() != header.len() {
                let problem = Problem::Cells {
                    cells: record.len(),
                    header: header.len(),
                };
                return Err(ReadError::Damaged {
                    path,
                    line,
                    problem,
                });
            }
            last_line = line;
            rows.push((line, record));
        }
        Ok(Sheet {
            path,
            header,
            rows,
            last_line,
        })
    }

    fn damaged(&self, line: u64, problem: Problem) -> ReadError {
        ReadError::Damaged {
            path: self.path.clone(),
            line,
            problem,
        }
    }

    /// The index of a column by name.
    fn column(&self, name: &str) -> Result<usize, ReadError> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| self.damaged(1, Problem::MissingColumn(name.to_string())))
    }

    /// The index of each metric's column: a metric added after a folder was written (`LATER`)
    /// is `None` there, read as not measured; any other missing column is damage.
    fn metric_columns<S: AsRef<str>>(
        &self,
        names: impl IntoIterator<Item = S>,
    ) -> Result<Vec<Option<usize>>, ReadError> {
        names
            .into_iter()
            .map(|n| {
                let n = n.as_ref();
                let base = n.strip_suffix("_ci95").unwrap_or(n);
                match self.column(n) {
                    Err(_) if LATER.contains(&base) => Ok(None),
                    found => found.map(Some),
                }
            })
            .collect()
    }

    fn columns<S: AsRef<str>>(
        &self,
        names: impl IntoIterator<Item = S>,
    ) -> Result<Vec<usize>, ReadError> {
        names.into_iter().map(|n| self.column(n.as_ref())).collect()
    }
}

/// One row of a sheet, whose cells it reads with errors that name the file, the line and the
/// column.
struct Row<'s> {
    sheet: &'s Sheet,
    line: u64,
    record: &'s StringRecord,
}

impl<'s> Row<'s> {
    fn new(sheet: &'s Sheet, line: u64, record: &'s StringRecord) -> Row<'s> {
        Row {
            sheet,
            line,
            record,
        }
    }

    fn damaged(&self, problem: Problem) -> ReadError {
        self.sheet.damaged(self.line, problem)
    }

    fn text(&self, column: usize) -> &'s str {
        self.record.get(column).unwrap_or_default()
    }

    fn not_a_number(&self, column: usize) -> ReadError {
        self.damaged(Problem::NotANumber {
            column: self.sheet.header[column].clone(),
            text: self.text(column).to_string(),
        })
    }

    /// A finite number.
    fn number(&self, column: usize) -> Result<f64, ReadError> {
        let text = self.text(column);
        text.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| self.not_a_number(column))
    }

    /// That a cell holds the number the row's place in the file calls for.
    fn expect(&self, column: usize, expected: f64) -> Result<(), ReadError> {
        if self.number(column)? == expected {
            return Ok(());
        }
        Err(self.damaged(Problem::OutOfPlace {
            column: self.sheet.header[column].clone(),
            found: self.text(column).to_string(),
            expected,
        }))
    }

    /// A finite number, or `None` for an empty cell: a metric not measured.
    fn optional(&self, column: usize) -> Result<Option<f64>, ReadError> {
        if self.text(column).is_empty() {
            return Ok(None);
        }
        self.number(column).map(Some)
    }

    /// A whole number, as counts, replications and seeds are written.
    fn integer<T: FromStr>(&self, column: usize) -> Result<T, ReadError> {
        self.text(column)
            .parse()
            .map_err(|_| self.not_a_number(column))
    }
}

/// Where a sheet's rows say which run or summary they belong to: `scenario` (all but
/// `timeseries.csv`), one column per swept key, then `policy`; and the study's points by label.
struct Layout {
    scenario: bool,
    policy: usize,
    points: HashMap<Vec<String>, usize>,
    name: String,
}

impl Layout {
    fn of(sheet: &Sheet, study: &Study, scenario: bool) -> Result<Layout, ReadError> {
        let mut expected: Vec<&str> = Vec::new();
        if scenario {
            expected.push("scenario");
        }
        expected.extend(study.axes.iter().map(String::as_str));
        expected.push("policy");
        let starts = sheet.header.len() >= expected.len()
            && sheet.header.iter().zip(&expected).all(|(h, e)| h == e);
        if !starts {
            let expected = expected.join(",");
            return Err(sheet.damaged(1, Problem::Header { expected }));
        }
        let points = study
            .points
            .iter()
            .enumerate()
            .map(|(i, p)| (p.labels.clone(), i))
            .collect();
        Ok(Layout {
            scenario,
            policy: expected.len() - 1,
            points,
            name: study.base.name.clone(),
        })
    }

    /// The (point, policy) a row names.
    fn locate(&self, row: &Row, study: &Study) -> Result<(usize, usize), ReadError> {
        let first = usize::from(self.scenario);
        if self.scenario && row.text(0) != self.name {
            return Err(row.damaged(Problem::OtherScenario {
                found: row.text(0).to_string(),
                expected: self.name.clone(),
            }));
        }
        let labels: Vec<String> = (first..self.policy)
            .map(|c| row.text(c).to_string())
            .collect();
        let Some(&point) = self.points.get(&labels) else {
            let labels = point_name(&study.axes, &labels);
            return Err(row.damaged(Problem::UnknownPoint { labels }));
        };
        let name = row.text(self.policy);
        let policies = &study.points[point].scenario.policies;
        match policies.iter().position(|p| p.name == name) {
            Some(policy) => Ok((point, policy)),
            None => Err(row.damaged(Problem::UnknownPolicy {
                policy: name.to_string(),
            })),
        }
    }
}
