//! The `isrsim` subcommands, as the binary calls them. Each returns an exit code of
//! docs/model.md §14.

use std::path::{Path, PathBuf};
use std::time::Instant;

use std::sync::Arc;

use crate::driver::Simulator;
use crate::error::{InputError, exit_code, print};
use crate::experiment::{self, Progress, Shard};
use crate::metrics::RunResult;
use crate::model::content::{Edits, PageLayout};
use crate::model::traffic::Arrivals;
use crate::progress::Bar;
use crate::report::{self, Export, Folder, RunInfo, StudyResults};
use crate::scenario::{OnEdit, Scenario, Study};
use crate::shard;
use crate::slo::Outcome;
use crate::time::SimTime;

/// Options of `isrsim run`.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub file: PathBuf,
    pub out: Option<PathBuf>,
    pub seed: Option<u64>,
    pub replications: Option<u32>,
    /// 0 = all cores.
    pub threads: usize,
    pub shard: Shard,
    pub output: Output,
}

/// What `run` and `merge` print, and whether they hold the results to the SLO.
#[derive(Clone, Copy, Debug, Default)]
pub struct Output {
    /// Nothing but errors (and SLO violations, which are errors of a kind).
    pub quiet: bool,
    /// `summary.json` on stdout instead of the table.
    pub json: bool,
    /// Skip the `[slo]` check.
    pub no_slo: bool,
}

fn load(file: &Path) -> Result<Study, i32> {
    Study::load(file).map_err(|e: InputError| {
        eprintln!("error: {e}");
        exit_code::BAD_INPUT
    })
}

/// `isrsim run`: simulates every run of the study (or of one shard of it), writes the result
/// files, prints the comparison table, and checks the SLO.
pub fn run(options: &RunOptions) -> i32 {
    let mut study = match load(&options.file) {
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
    let out = options
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(&study.base.name));
    let jobs = experiment::jobs(&study, options.shard);
    let simulated = jobs
        .iter()
        .map(|j| study.points[j.point].scenario.duration)
        .fold(SimTime::ZERO, |a, b| a + b);
    let progress = Arc::new(Progress::default());
    let quiet = options.output.quiet || options.output.json;
    let bar = Bar::start(Arc::clone(&progress), jobs.len(), simulated, quiet);
    let started = Instant::now();
    let runs = experiment::run(&Simulator, &study, &jobs, options.threads, &progress);
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
        if let Err(e) = report::write_folder(&out, |dir| partial.write(dir)) {
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
    };
    let code = finish(&study, &runs, &info, &out, options.output);
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
pub fn merge(dirs: &[PathBuf], out: &Path, output: Output) -> i32 {
    let (study, runs, info) = match shard::merge(dirs) {
        Ok(merged) => merged,
        Err(e) => {
            eprintln!("error: {e}");
            return exit_code::BAD_INPUT;
        }
    };
    finish(&study, &runs, &info, out, output)
}

/// Writes a whole run's results, prints the table or the JSON, and reports on stderr each SLO
/// bound missed or not measured.
fn finish(study: &Study, runs: &[RunResult], info: &RunInfo, out: &Path, output: Output) -> i32 {
    let results = StudyResults::new(study, runs, !output.no_slo);
    if let Err(e) = report::write_run(&results, Some(info), out) {
        eprintln!("error: cannot write the results to {}: {e}", out.display());
        return exit_code::FAILURE;
    }
    let shown = if output.json {
        Some(report::Json { info: Some(info) }.render(&results))
    } else if !output.quiet {
        Some(report::Table.render(&results))
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
    let mut violated = false;
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
            let what = match v.outcome {
                Outcome::NotMeasured => "SLO not measured",
                _ => "SLO violated",
            };
            eprintln!("{what}: policy {}{at}: {}", s.policy, v.describe());
        }
    }
    if violated {
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
    match report::redraw(&folder.results(true), dir) {
        Ok(()) => exit_code::OK,
        Err(e) => {
            eprintln!("error: cannot redraw {}: {e}", dir.display());
            exit_code::FAILURE
        }
    }
}

/// `isrsim validate`: checks a scenario and says what `run` would simulate.
pub fn validate(file: &Path) -> i32 {
    match load(file) {
        Ok(study) => {
            let mut text = describe(&study.base);
            if !study.axes.is_empty() {
                text.push_str(&format!(
                    "  sweep over {}: {} points, {} runs in all\n",
                    study.axes.join(" x "),
                    study.points.len(),
                    study.jobs().len()
                ));
            }
            match print(&text) {
                Ok(()) => exit_code::OK,
                Err(e) => {
                    eprintln!("error: cannot print to stdout: {e}");
                    exit_code::FAILURE
                }
            }
        }
        Err(code) => code,
    }
}

/// A plain-text account of what a scenario simulates.
pub fn describe(s: &Scenario) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let rate = Arrivals::mean_rate(&s.traffic, s.duration);
    let layout = PageLayout::new(s);
    let edit_rate = Edits::new(s, &layout, 0).rate();
    let secs = s.duration.as_secs_f64();
    let _ = writeln!(o, "scenario {}: {}", s.name, s.description.trim());
    let _ = writeln!(
        o,
        "  {} simulated (warm-up {}), seed {}, {} replication(s), buckets of {}",
        s.duration, s.warmup, s.seed, s.replications, s.bucket
    );
    let _ = writeln!(o, "  traffic: {:?}", s.traffic);
    let _ = writeln!(
        o,
        "  expected per replication: {:.0} requests ({rate:.2}/s), {:.0} edits",
        rate * secs,
        edit_rate * secs
    );
    let _ = writeln!(
        o,
        "  {} pages in {} route(s):",
        s.total_pages(),
        s.routes.len()
    );
    for r in &s.routes {
        let edits = r.edit_every.map_or("no edits".to_string(), |e| {
            format!("edited every {e} per page")
        });
        let depends = r
            .depends_on
            .map_or(String::new(), |d| format!(", lists {}", s.routes[d].name));
        let _ = writeln!(
            o,
            "    {}: {} pages, share {}, popularity {}, {edits}, regen {}{}{depends}",
            r.name,
            r.pages,
            r.share,
            r.popularity,
            r.regen_time,
            if r.prerendered {
                ", prerendered"
            } else {
                ", generated on first request"
            },
        );
    }
    match &s.cdn {
        Some(c) => {
            let _ = writeln!(
                o,
                "  cdn: {} PoP(s), collapse {}, warm {}, rtt {}, origin rtt {}",
                c.pops, c.collapse, c.warm, c.rtt, c.origin_rtt
            );
        }
        None => {
            let _ = writeln!(o, "  cdn: none");
        }
    }
    let og = &s.origin;
    let _ = writeln!(
        o,
        "  origin: {} instance(s), {:?} cache, lock {}, {:?} balancer",
        og.instances, og.cache, og.lock, og.balancer
    );
    let b = &s.backend;
    let concurrency = b
        .concurrency
        .map_or("unlimited".to_string(), |c| c.to_string());
    let timeout = b.timeout.map_or("none".to_string(), |t| t.to_string());
    let _ = writeln!(
        o,
        "  backend: concurrency {concurrency}, failure rate {}, timeout {timeout}",
        b.failure_rate
    );
    let _ = writeln!(
        o,
        "  {} policies, {} runs:",
        s.policies.len(),
        s.policies.len() * s.replications as usize
    );
    for p in &s.policies {
        let _ = writeln!(o, "    {}:", p.name);
        for (route, rp) in s.routes.iter().zip(&p.routes) {
            let mut parts = vec![match rp.revalidate {
                Some(r) => format!("revalidate {r}"),
                None => "no timer".to_string(),
            }];
            if rp.on_edit != OnEdit::None {
                parts.push(format!(
                    "on edit {:?} after {}",
                    rp.on_edit, rp.webhook_delay
                ));
            }
            if rp.purge_cdn {
                parts.push(format!("{:?} CDN purge", rp.purge));
            }
            if let Some(every) = rp.schedule {
                parts.push(format!("scheduled every {every}"));
            }
            let _ = writeln!(o, "      {}: {}", route.name, parts.join(", "));
        }
    }
    o
}
