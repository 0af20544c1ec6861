//! The `isrsim` subcommands, as the binary calls them. Each returns an exit code of
//! docs/model.md §14: the library decides nothing about exit codes but here, and `main` exits.
//!
//! `run`, `merge`, `plot`, `validate` and `cms` are here; `diff`, `compare`, `fit`, `load`
//! (`loadtest`) and `show` have a module each.

use std::path::{Path, PathBuf};
use std::time::Instant;

use std::sync::Arc;

use crate::driver::Simulator;
use crate::error::{InputError, exit_code, print};
use crate::experiment::{self, Progress, Shard};
use crate::load::{self, Cms, Server};
use crate::metrics::RunResult;
use crate::output::{self, Target};
use crate::progress::Bar;
use crate::report::{self, Columns, Export, RunInfo, Table};
use crate::results::{Folder, StudyResults};
use crate::scenario::{self, Expected, Study};
use crate::shard;
use crate::slo::Outcome;
use crate::time::SimTime;
use crate::workload::content::{Edits, PageLayout};
use crate::workload::rng::replication_seed;

pub mod compare;
pub mod diff;
mod fit;
mod loadtest;
mod memory;
pub mod show;

pub use fit::{FitArgs, fit};
pub use loadtest::{LoadArgs, load};
pub use memory::default_limit as default_max_memory;

/// Options of `isrsim run`.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub file: PathBuf,
    pub out: Option<PathBuf>,
    pub seed: Option<u64>,
    pub replications: Option<u32>,
    /// 0 = all cores.
    pub threads: usize,
    /// The bytes the runs in flight may hold at once (`--max-memory`).
    pub max_memory: u64,
    pub shard: Shard,
    pub output: Output,
}

/// What `run` and `merge` print, and whether they hold the results to the SLO.
#[derive(Clone, Debug, Default)]
pub struct Output {
    /// Nothing but errors (and SLO violations, which are errors of a kind).
    pub quiet: bool,
    /// `summary.json` on stdout instead of the table.
    pub json: bool,
    /// Skip the `[slo]` check.
    pub no_slo: bool,
    /// The table's columns (`--wide`, `--columns`).
    pub columns: Columns,
}

fn read_study(file: &Path) -> Result<Study, i32> {
    Study::load(file).map_err(|e: InputError| {
        eprintln!("error: {e}");
        exit_code::BAD_INPUT
    })
}

/// `isrsim run`: simulates every run of the study (or of one shard of it), writes the result
/// files, prints the comparison table, and checks the SLO.
pub fn run(options: &RunOptions) -> i32 {
    let mut study = match read_study(&options.file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Some(seed) = options.seed {
        study.set_seed(seed);
    }
    if let Some(replications) = options.replications
        && let Err(e) = study.set_replications(replications)
    {
        eprintln!("error: {e}");
        return exit_code::BAD_INPUT;
    }
    let jobs = experiment::jobs(&study, options.shard);
    let threads = match memory::threads_within(
        &options.file,
        &study,
        &jobs,
        options.threads,
        options.max_memory,
    ) {
        Ok(threads) => threads,
        Err(e) => {
            eprintln!("error: {e}");
            return exit_code::BAD_INPUT;
        }
    };
    let out = options
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(&study.base.name));
    let target = match prepare(&out) {
        Ok(target) => target,
        Err(code) => return code,
    };
    let simulated = jobs
        .iter()
        .map(|j| study.points[j.point].scenario.duration)
        .fold(SimTime::ZERO, |a, b| a + b);
    let progress = Arc::new(Progress::default());
    let quiet = options.output.quiet || options.output.json;
    if let (Some(replay), false) = (study.base.traffic.replay(), quiet) {
        // What the log gave, and what it did not (assets, other methods, unmatched paths).
        let lines = scenario::tally(&replay.tally, "requests replayed", "not replayed");
        eprintln!(
            "trace {}: {}",
            replay.spec.log.file.display(),
            lines.join("; ")
        );
    }
    let bar = Bar::start(Arc::clone(&progress), jobs.len(), simulated, quiet);
    let started = Instant::now();
    let runs = experiment::run(&Simulator, &study, &jobs, threads, &progress);
    let wall = started.elapsed().as_secs_f64();
    bar.finish();
    let runs = match runs {
        Ok(runs) => runs,
        Err(e) => {
            eprintln!("error: {e}");
            return exit_code::FAILURE;
        }
    };
    if options.shard != Shard::WHOLE {
        let partial = shard::Partial::new(&study, options.shard, wall, runs.clone());
        if let Err(e) = target.write(|dir| partial.write(dir)) {
            eprintln!("error: cannot write the results to {}: {e}", out.display());
            return exit_code::FAILURE;
        }
        if !quiet {
            let note = format!(
                "shard {}/{}: {} of {} runs; merge the shards with `isrsim merge DIR... --out DIR`\n",
                options.shard.index,
                options.shard.count,
                runs.len(),
                study.jobs().len()
            );
            if let Err(e) = print(&note) {
                eprintln!("error: cannot print to stdout: {e}");
                return exit_code::FAILURE;
            }
        }
        return exit_code::OK;
    }
    let info = RunInfo {
        wall_s: wall,
        threads: options.threads,
        shards: 1,
        load: None,
    };
    let code = finish(&study, &runs, &info, target, &options.output);
    if !quiet {
        let requests: u64 = runs.iter().map(|r| r.simulated_requests).sum();
        eprintln!(
            "simulated {requests} requests in {} runs in {wall:.2} s ({:.0} requests/s); results in {}",
            runs.len(),
            requests as f64 / wall.max(1e-9),
            out.display()
        );
    }
    code
}

/// `isrsim merge`: puts the shards of one run back together, as one unsharded run writes them,
/// and checks the SLO.
pub fn merge(dirs: &[PathBuf], out: &Path, output: &Output) -> i32 {
    let target = match prepare(out) {
        Ok(target) => target,
        Err(code) => return code,
    };
    let (study, runs, info) = match shard::merge(dirs) {
        Ok(merged) => merged,
        Err(e) => {
            eprintln!("error: {e}");
            return exit_code::BAD_INPUT;
        }
    };
    finish(&study, &runs, &info, target, output)
}

/// Checks the results folder `out` before any work, and makes its staging folder: a folder that
/// cannot or must not be written is bad input, found at once rather than after the simulation.
pub(crate) fn prepare(out: &Path) -> Result<Target, i32> {
    Target::prepare(out).map_err(|e| {
        eprintln!("error: {e}");
        exit_code::BAD_INPUT
    })
}

/// Writes a whole run's results, prints the table or the JSON, and reports on stderr each SLO
/// bound missed or not measured.
pub(crate) fn finish(
    study: &Study,
    runs: &[RunResult],
    info: &RunInfo,
    target: Target,
    output: &Output,
) -> i32 {
    let results = StudyResults::new(study, runs, !output.no_slo);
    let out = target.out().to_path_buf();
    if let Err(e) = report::write_run(&results, Some(info), target) {
        eprintln!("error: cannot write the results to {}: {e}", out.display());
        return exit_code::FAILURE;
    }
    let shown = if output.json {
        Some(report::Json { info: Some(info) }.render(&results))
    } else if !output.quiet {
        Some(Table::for_stdout(output.columns.clone()).render(&results))
    } else {
        None
    };
    let printed = match shown {
        Some(Ok(bytes)) => print(&format!("{}\n", String::from_utf8_lossy(&bytes).trim_end())),
        Some(Err(e)) => Err(e),
        None => Ok(()),
    };
    if let Err(e) = printed {
        eprintln!("error: cannot print the results: {e}");
        return exit_code::FAILURE;
    }
    // `--quiet` prints nothing but errors; the files keep the warnings.
    for warning in results.warnings.iter().filter(|_| !output.quiet) {
        eprintln!("warning: {}", warning.message(&study.axes));
    }
    let mut violated = false;
    let mut unmeasurable = false;
    for s in &results.summaries {
        for v in s.slo.iter().filter(|v| !v.met()) {
            violated = true;
            let point: Vec<String> = study
                .axes
                .iter()
                .zip(&s.labels)
                .map(|(a, l)| format!("{a}={l}"))
                .collect();
            let at = if point.is_empty() {
                String::new()
            } else {
                format!(" at {}", point.join(", "))
            };
            let unobserved =
                (info.load.as_ref()).is_some_and(|l| l.unobserved.contains(&v.metric.as_str()));
            if unobserved {
                unmeasurable = true;
                eprintln!(
                    "error: [slo] bound on {}: the site does not show it (no response named the \
                     CDN's cache status; see --cdn-header), so a load test cannot measure it",
                    v.metric
                );
                continue;
            }
            let what = match v.outcome {
                Outcome::NotMeasured => "SLO not measured",
                _ => "SLO violated",
            };
            eprintln!("{what}: policy {}{at}: {}", s.policy, v.describe());
        }
    }
    if unmeasurable {
        // A load test cannot see what the site does not show (docs/load.md, "What is measured").
        exit_code::BAD_INPUT
    } else if violated {
        exit_code::SLO_VIOLATED
    } else {
        exit_code::OK
    }
}

/// `isrsim plot`: reads a results folder back and redraws its charts and `report.html`, with no
/// re-run.
pub fn plot(dir: &Path) -> i32 {
    let folder = match Folder::read(dir) {
        Ok(folder) => folder,
        Err(e) => {
            eprintln!("error: {e}");
            return exit_code::BAD_INPUT;
        }
    };
    if let Err(e) = output::check_marked(dir) {
        eprintln!("error: {e}");
        return exit_code::BAD_INPUT;
    }
    match report::redraw(&folder.results(true), dir) {
        Ok(()) => {
            eprintln!("{}", redrawn(dir));
            exit_code::OK
        }
        Err(e) => {
            eprintln!("error: cannot redraw {}: {e}", dir.display());
            exit_code::FAILURE
        }
    }
}

/// What `plot` wrote into `dir`: "redrew 10 charts (SVG and PNG) and report.html in DIR".
fn redrawn(dir: &Path) -> String {
    let charts = std::fs::read_dir(dir.join("charts")).map_or(0, |entries| {
        (entries.flatten())
            .filter(|e| e.path().extension().is_some_and(|x| x == "svg"))
            .count()
    });
    let plural = if charts == 1 { "" } else { "s" };
    format!(
        "redrew {charts} chart{plural} (SVG and PNG, in charts/) and report.html in {}",
        dir.display()
    )
}

/// `isrsim validate`: checks a scenario and says what `run` would simulate, every setting in the
/// file's own words.
/// A study whose every run would not fit in `max_memory` bytes alone is refused, as `run`
/// refuses it.
pub fn validate(file: &Path, max_memory: u64) -> i32 {
    let study = match read_study(file) {
        Ok(study) => study,
        Err(code) => return code,
    };
    let jobs = study.jobs();
    if let Err(e) = memory::threads_within(file, &study, &jobs, 1, max_memory) {
        eprintln!("error: {e}");
        return exit_code::BAD_INPUT;
    }
    let s = &study.base;
    let expected = Expected {
        requests_per_s: s.traffic.mean_rate(s.duration),
        edits_per_s: Edits::new(s, &PageLayout::new(s), 0).rate(),
    };
    match print(&scenario::describe(&study, &expected)) {
        Ok(()) => exit_code::OK,
        Err(e) => {
            eprintln!("error: cannot print to stdout: {e}");
            exit_code::FAILURE
        }
    }
}

/// `isrsim cms`: serves the scenario's content, every page at version 0 and no edits, until
/// Ctrl-C or SIGTERM, so a site can be built against it before a load test.
pub fn cms(file: &Path, address: &str) -> i32 {
    let addr = match load::loopback_address(address) {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("error: --cms {e}");
            return exit_code::BAD_INPUT;
        }
    };
    let study = match read_study(file) {
        Ok(study) => study,
        Err(code) => return code,
    };
    let scenario = &study.base;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the content server: {e}");
            return exit_code::FAILURE;
        }
    };
    runtime.block_on(async {
        let cms = Arc::new(Cms::new(scenario, replication_seed(scenario.seed, 0)));
        let (pages, routes) = cms.size();
        let stop = match stop_signals() {
            Ok(stop) => stop,
            Err(e) => {
                eprintln!("error: cannot listen for Ctrl-C and SIGTERM: {e}");
                return exit_code::FAILURE;
            }
        };
        let bound = Server::bind(addr, cms)
            .await
            .and_then(|server| Ok((server.local_addr()?, server)));
        let (local, server) = match bound {
            Ok(bound) => bound,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                eprintln!(
                    "error: cannot listen on {addr}: the address is in use (another content \
                     server, or the site itself?); choose another with --cms"
                );
                return exit_code::FAILURE;
            }
            Err(e) => {
                eprintln!("error: cannot listen on {addr}: {e}");
                return exit_code::FAILURE;
            }
        };
        eprintln!(
            "content server for {} on http://{local} ({pages} page{} in {routes} route{}); \
             Ctrl-C stops it",
            scenario.name,
            if pages == 1 { "" } else { "s" },
            if routes == 1 { "" } else { "s" },
        );
        server.serve(stop).await;
        exit_code::OK
    })
}

/// A future that completes at Ctrl-C (SIGINT) or SIGTERM. The signals are taken at once, in the
/// runtime, so that from the moment the server says it listens, they stop it cleanly.
#[cfg(unix)]
fn stop_signals() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn stop_signals() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
