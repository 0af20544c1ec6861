//! `isrsim fit LOG --out FILE`: reads an access log and writes a scenario describing its
//! traffic, with `fit.svg` and `fit.png` beside it (docs/traces.md).
//!
//! The three files are written to temporary names in their folder and renamed into place once
//! all three are complete, so a failed fit leaves nothing half-written; a file already there is
//! replaced only with `--force`.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{InputError, exit_code};
use crate::fit::scenario::{self, Fitted};
use crate::fit::survey::{self, RouteRule, Survey};
use crate::fit::{arrivals, zipf};
use crate::logs::{Fields, Filter, Format, LogSource};
use crate::report::{self, Popularity, Rate};

/// Options of `isrsim fit`.
#[derive(Clone, Debug)]
pub struct FitArgs {
    pub log: PathBuf,
    pub out: PathBuf,
    pub format: Format,
    pub routes: Option<PathBuf>,
    pub force: bool,
}

/// The most points the rate chart draws: intervals are merged down to it.
const CHART_POINTS: usize = 2_000;

pub fn fit(args: &FitArgs) -> i32 {
    match fitted(args) {
        Ok(()) => exit_code::OK,
        Err(Failure::Input(e)) => {
            eprintln!("error: {e}");
            exit_code::BAD_INPUT
        }
        Err(Failure::Io(e)) => {
            eprintln!("error: {e}");
            exit_code::FAILURE
        }
    }
}

enum Failure {
    Input(InputError),
    Io(String),
}

impl From<InputError> for Failure {
    fn from(e: InputError) -> Failure {
        Failure::Input(e)
    }
}

fn fitted(args: &FitArgs) -> Result<(), Failure> {
    let folder = match args.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let targets = [
        args.out.clone(),
        folder.join("fit.svg"),
        folder.join("fit.png"),
    ];
    check_places(args, &folder, &targets)?;
    let log = LogSource {
        file: args.log.clone(),
        format: args.format,
        fields: Fields::default(),
        filter: Filter::default(),
    };
    let (routes, regexes) = routes(args, &log)?;
    let survey = survey::survey(&log, &routes, regexes)?;
    let Some(fit) = arrivals::fit(&survey.per_second) else {
        return Err(Failure::Input(InputError::new(
            &args.log,
            format!(
                "no request of the log is a page of the routes ({}): check --format and --routes",
                crate::scenario::tally(&survey.tally, "requests of the routes", "not counted")
                    .join("; ")
            ),
        )));
    };
    let popularity: Vec<_> = survey
        .routes
        .iter()
        .map(|r| zipf::fit(&r.per_page))
        .collect();
    let name = args.out.file_stem().map_or_else(
        || "fitted".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let text = scenario::text(&Fitted {
        log: &args.log,
        log_from_scenario: &relative(&args.log, &folder),
        format: args.format,
        name: &name,
        survey: &survey,
        popularity: &popularity,
        arrivals: &fit,
    });
    // What fit writes must read as a scenario: a failure here is isrsim's, not the log's.
    crate::scenario::Scenario::parse(&text, &args.out)
        .map_err(|e| Failure::Io(format!("the fitted scenario does not read back: {e}")))?;
    let log_name = args.log.file_name().unwrap_or(args.log.as_os_str());
    let chart = report::draw_fit(
        &log_name.to_string_lossy(),
        &chart_routes(&survey, &popularity),
        &chart_rate(&fit, &survey),
    )
    .map_err(|e| Failure::Io(e.to_string()))?;
    write_all(
        &folder,
        &[
            (&targets[0], text.as_bytes()),
            (&targets[1], chart.svg().as_bytes()),
            (&targets[2], &chart.png),
        ],
    )
    .map_err(|e| Failure::Io(format!("cannot write into {}: {e}", folder.display())))?;
    let chosen = scenario::pattern_keys(&fit.candidates[fit.chosen].pattern);
    let keys: Vec<String> = chosen.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    println!(
        "{}: {} ({}); wrote {}, {} and {}",
        args.log.display(),
        keys.join(", "),
        crate::scenario::tally(&survey.tally, "requests of the routes", "not counted")[0],
        targets[0].display(),
        targets[1].display(),
        targets[2].display()
    );
    Ok(())
}

/// The log is there, and so is the folder to write in; the files written are not, unless
/// `--force`.
fn check_places(args: &FitArgs, folder: &Path, targets: &[PathBuf]) -> Result<(), Failure> {
    if !args.force
        && let Some(there) = targets.iter().find(|t| t.exists())
    {
        return Err(Failure::Input(InputError::new(
            there,
            "is already there: isrsim fit replaces a file only with --force",
        )));
    }
    if !folder.is_dir() {
        return Err(Failure::Input(InputError::new(
            folder,
            "there is no such folder to write the scenario in",
        )));
    }
    if !args.log.is_file() {
        return Err(Failure::Input(InputError::new(
            &args.log,
            "there is no such log file",
        )));
    }
    Ok(())
}

/// The routes to fit (`--routes`, or those the log suggests), and their rules compiled.
fn routes(
    args: &FitArgs,
    log: &LogSource,
) -> Result<(Vec<RouteRule>, Vec<regex::bytes::Regex>), Failure> {
    let (routes, regexes) = match &args.routes {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| InputError::new(file, format!("cannot read the routes: {e}")))?;
            let rules = crate::scenario::route_rules(&text, file)?;
            let routes = rules
                .iter()
                .map(|(name, rule, _)| RouteRule {
                    name: name.clone(),
                    rule: rule.clone(),
                })
                .collect();
            (routes, rules.into_iter().map(|(_, _, r)| r).collect())
        }
        None => {
            let (routes, _) = survey::propose(log)?;
            let regexes = routes
                .iter()
                .map(|r| regex::bytes::Regex::new(&r.rule))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Failure::Io(format!("a proposed route does not compile: {e}")))?;
            (routes, regexes)
        }
    };
    if routes.is_empty() {
        return Err(Failure::Input(InputError::new(
            &args.log,
            "no path of the log is a page (every first segment is an asset, an API route or \
             under 1% of the requests): give the routes with --routes FILE",
        )));
    }
    Ok((routes, regexes))
}

/// `log` as reached from `folder`: relative when both are, else absolute.
fn relative(log: &Path, folder: &Path) -> PathBuf {
    let (Ok(log), Ok(folder)) = (std::path::absolute(log), std::path::absolute(folder)) else {
        return log.to_path_buf();
    };
    let (a, b): (Vec<_>, Vec<_>) = (log.components().collect(), folder.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    // Only the root in common: the absolute path says more than a climb to it.
    if common <= 1 {
        return log;
    }
    let mut path = PathBuf::new();
    for _ in common..b.len() {
        path.push("..");
    }
    a[common..].iter().for_each(|c| path.push(c));
    path
}

fn chart_routes(survey: &Survey, popularity: &[Option<zipf::ZipfFit>]) -> Vec<Popularity> {
    survey
        .routes
        .iter()
        .zip(popularity)
        .map(|(r, z)| {
            let mut counts = r.per_page.clone();
            counts.sort_unstable_by(|a, b| b.cmp(a));
            Popularity {
                route: r.route.name.clone(),
                counts,
                fitted: z.as_ref().map(|z| (z.exponent, z.ranks)),
            }
        })
        .collect()
}

/// The rate per interval, observed and fitted, merged down to `CHART_POINTS` points at most.
fn chart_rate(fit: &arrivals::ArrivalFit, survey: &Survey) -> Rate {
    let width = f64::from(fit.interval_s);
    let observed: Vec<f64> = survey
        .per_second
        .chunks(fit.interval_s as usize)
        .take(fit.fitted_rate.len())
        .map(|c| c.iter().map(|&n| f64::from(n)).sum::<f64>() / width)
        .collect();
    let merge = fit.fitted_rate.len().div_ceil(CHART_POINTS).max(1);
    let mean = |v: &[f64]| -> Vec<f64> {
        v.chunks(merge)
            .map(|c| c.iter().sum::<f64>() / c.len() as f64)
            .collect()
    };
    let name = scenario::pattern_keys(&fit.candidates[fit.chosen].pattern)[0]
        .1
        .trim_matches('"')
        .to_string();
    Rate {
        interval_s: width * merge as f64,
        observed: mean(&observed),
        fitted: mean(&fit.fitted_rate),
        pattern: name,
    }
}

/// Writes every file to a temporary name in `folder`, then renames them all into place.
fn write_all(folder: &Path, files: &[(&PathBuf, &[u8])]) -> std::io::Result<()> {
    let mut staged = Vec::new();
    for (target, bytes) in files {
        let mut file = tempfile::Builder::new()
            .prefix(".isrsim-fit-")
            .tempfile_in(folder)?;
        file.write_all(bytes)?;
        file.as_file().sync_all()?;
        // A temporary file is private; the files written are ordinary ones.
        let mut permissions = file.as_file().metadata()?.permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o644);
        file.as_file().set_permissions(permissions)?;
        staged.push((file.into_temp_path(), *target));
    }
    for (temp, target) in staged {
        temp.persist(target).map_err(|e| e.error)?;
    }
    Ok(())
}
