//! `isrsim load`: plays one policy of a scenario against a real site and writes the same result
//! files as `isrsim run` (docs/load.md, "`isrsim load`: the command line").
//!
//! Everything that can be refused is refused before anything is sent: a `[sweep]`, an unknown
//! policy, a target off this machine without `--allow-remote`, a scenario whose peak rate is over
//! `--max-rate`, a `--log` file that exists, a results folder isrsim did not write.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use hyper::Method;

use super::{Output, finish, prepare, read_study};
use crate::driver::Driver;
use crate::error::exit_code;
use crate::load::editors::Hooks;
use crate::load::purge::PurgeShape;
use crate::load::site::{self, Endpoint, PageRef, Paths};
use crate::load::stop::Reason;
use crate::load::{self, Ending, Load, LoadError, Options};
use crate::metrics::RunId;
use crate::progress::Bar;
use crate::report::LoadInfo;
use crate::report::RunInfo;
use crate::scenario::{OnEdit, Scenario, Study, TagExpire};
use crate::time::{SimTime, parse_duration};
use crate::workload::rng::replication_seed;

/// The arguments of `isrsim load`, as the command line gives them.
#[derive(Clone, Debug)]
pub struct LoadArgs {
    pub file: PathBuf,
    pub target: String,
    pub policy: Option<String>,
    pub instances: Vec<String>,
    pub cdn: Option<String>,
    pub cms: String,
    pub replication: u32,
    pub duration: Option<String>,
    pub warmup: Option<String>,
    pub out: Option<PathBuf>,
    pub connections: usize,
    pub max_rate: f64,
    pub max_errors: f64,
    pub timeout: String,
    pub allow_remote: bool,
    pub revalidate_url: String,
    pub revalidate_tag_url: String,
    pub purge_url: String,
    pub tag_purge_url: String,
    pub purge_method: String,
    /// `--purge-header`, each `Name: value`.
    pub purge_headers: Vec<String>,
    pub purge_body: Option<String>,
    pub tag_purge_body: Option<String>,
    pub secret: Option<String>,
    pub cdn_header: Option<String>,
    pub log: Option<PathBuf>,
    /// `--epoch`: Unix seconds, as `date +%s.%N` prints them.
    pub epoch: Option<String>,
    pub output: Output,
}

/// Bad input, said once: `error: ...` and exit 2.
fn refuse(message: impl std::fmt::Display) -> i32 {
    eprintln!("error: {message}");
    exit_code::BAD_INPUT
}

/// `isrsim load`: measures the site, writes the results, checks the SLO.
pub fn load(args: &LoadArgs) -> i32 {
    let scenario = match loadable_scenario(args) {
        Ok(scenario) => scenario,
        Err(code) => return code,
    };
    let options = match options(&scenario, args) {
        Ok(options) => options,
        Err(message) => return refuse(message),
    };
    let out = (args.out.clone())
        .unwrap_or_else(|| PathBuf::from("results").join(format!("{}-load", scenario.name)));
    let target = match prepare(&out) {
        Ok(target) => target,
        Err(code) => return code,
    };
    let study = Study::single(scenario);
    let scenario = &study.base;
    let run = RunId {
        point: 0,
        policy: 0,
        replication: args.replication,
        seed: replication_seed(scenario.seed, args.replication),
    };
    let quiet = args.output.quiet || args.output.json;
    let (connections, epoch) = (options.connections, options.epoch);
    let driver = Load::new(options);
    if !quiet {
        eprintln!(
            "load test of {} (policy {}, replication {}) against {} for {}; Ctrl-C stops it and \
             keeps what was measured",
            scenario.name,
            scenario.policies[0].name,
            args.replication,
            args.target,
            scenario.duration
        );
        if let Some(at) = epoch {
            let wait = load::epoch::until(at, std::time::SystemTime::now());
            if !wait.is_zero() {
                eprintln!(
                    "waiting {:.1} s for the epoch {} (the site goes live then), the content \
                     server listening; time zero is that instant",
                    wait.as_secs_f64(),
                    load::epoch::seconds(at)
                );
            }
        }
    }
    let progress = Arc::new(AtomicU64::new(0));
    let bar = Bar::load(
        driver.live(),
        Arc::clone(&progress),
        scenario.duration,
        quiet,
    );
    let started = Instant::now();
    let result = driver.run(scenario, run, &progress);
    let wall = started.elapsed().as_secs_f64();
    bar.finish();
    let ending = driver.ending();
    for warning in &ending.warnings {
        eprintln!("warning: {warning}");
    }
    let result = match result {
        Ok(result) => result,
        Err(e @ LoadError::NoMarker { .. }) => return refuse(e),
        Err(e) => {
            eprintln!("error: {e}");
            return exit_code::FAILURE;
        }
    };
    let info = run_info(&ending, wall, connections, args.target.clone(), epoch);
    let code = finish(
        &study,
        std::slice::from_ref(&result),
        &info,
        target,
        &args.output,
    );
    if !quiet {
        tell_ending(&ending, &out);
    }
    exit_code_after(&ending, code, args.max_errors)
}

/// The scenario of `args.file` as it will be played, or the exit code of why it cannot be: a
/// load test measures one scenario (no `[sweep]`) and cannot act on the site (no `[[events]]`
/// but bulk edits, which are the editors' to play).
fn loadable_scenario(args: &LoadArgs) -> Result<Scenario, i32> {
    let study = read_study(&args.file)?;
    if !study.axes.is_empty() {
        return Err(refuse(format!(
            "{}: isrsim load measures one scenario, and this one has a [sweep] ({}); load-test \
             one point of it by writing its values into a scenario of its own",
            args.file.display(),
            study.axes.join(", ")
        )));
    }
    let unplayable = (study.base.events.iter())
        .filter(|e| !matches!(e.action, crate::scenario::Action::BulkEdit { .. }));
    let names: Vec<&str> = unplayable.map(|e| e.name.as_str()).collect();
    if !names.is_empty() {
        return Err(refuse(format!(
            "{}: isrsim load cannot deploy, scale, restart or purge the site under test, so it \
             cannot play the scenario's [[events]] ({}); remove them to load-test the rest",
            args.file.display(),
            names.join(", ")
        )));
    }
    tested_scenario(&study.base, args).map_err(refuse)
}

/// What `meta.csv` and `summary.json` say of the run beside its metrics.
fn run_info(
    ending: &Ending,
    wall_s: f64,
    connections: usize,
    target: String,
    epoch: Option<std::time::SystemTime>,
) -> RunInfo {
    RunInfo {
        wall_s,
        threads: connections,
        shards: 1,
        load: Some(LoadInfo {
            target,
            stopped: ending.stopped.map(Reason::name),
            unverified: ending.unverified,
            send_lag_p99_ms: ending.send_lag_ms.map(|(p99, _)| p99),
            connections,
            unobserved: ending.unobserved.clone(),
            unfinished: ending.unfinished,
            epoch: epoch.map(load::epoch::seconds),
        }),
    }
}

/// The run's last lines on stderr: what was measured and sent, and the requests left unanswered.
fn tell_ending(ending: &Ending, out: &Path) {
    let lag = ending.send_lag_ms.map_or("n/a".to_string(), |(p99, max)| {
        format!("p99 {p99:.2} ms, max {max:.2} ms")
    });
    eprintln!(
        "measured {} responses in {:.1} s ({} without the marker); {} edits, {} webhooks \
         ({} failed), {} purges ({} failed); send lag {lag}; results in {}",
        ending.responses,
        ending.elapsed_s,
        ending.unverified,
        ending.edits,
        ending.webhooks.0,
        ending.webhooks.1,
        ending.purges.0,
        ending.purges.1,
        out.display()
    );
    if ending.unfinished > 0 {
        eprintln!(
            "warning: {} requests due before the end got no answer by then (the site was that \
             far behind); they are not in the results",
            ending.unfinished
        );
    }
}

/// The exit code of a run whose results were written with `code`: a run stopped early says why,
/// unless the results could not be written, which the user must hear of first.
fn exit_code_after(ending: &Ending, code: i32, max_errors: f64) -> i32 {
    if code == exit_code::FAILURE {
        return code;
    }
    match ending.stopped {
        Some(Reason::Interrupted) => {
            eprintln!("interrupted: the results cover what was measured until then");
            exit_code::INTERRUPTED
        }
        Some(Reason::TooManyErrors) => {
            eprintln!(
                "error: more than {:.0}% of the requests failed (--max-errors); the run stopped \
                 early and its results are written",
                max_errors * 100.0
            );
            exit_code::FAILURE
        }
        _ => code,
    }
}

/// The scenario as the load test plays it: the one policy, one replication, and the command
/// line's duration and warm-up; its peak rate within `--max-rate`. It is parsed from a text of
/// its own, which the results folder keeps as `scenario.toml`, so that `compare`, `plot` and
/// `diff` read back the scenario that was tested, not the file with every policy.
fn tested_scenario(scenario: &Scenario, args: &LoadArgs) -> Result<Scenario, String> {
    let names: Vec<&str> = scenario.policies.iter().map(|p| p.name.as_str()).collect();
    let chosen = match &args.policy {
        Some(name) if names.contains(&name.as_str()) => name.clone(),
        Some(name) => {
            return Err(format!(
                "--policy {name}: the scenario has no such policy; it has {}",
                names.join(", ")
            ));
        }
        None if names.len() == 1 => names[0].to_string(),
        None => {
            return Err(format!(
                "the scenario has {} policies: choose the one the site runs with --policy ({})",
                names.len(),
                names.join(", ")
            ));
        }
    };
    let duration = |flag: &str, text: &Option<String>| -> Result<Option<SimTime>, String> {
        text.as_deref()
            .map(|t| parse_duration(t).map_err(|e| format!("{flag} {t}: {e}")))
            .transpose()
    };
    let length = duration("--duration", &args.duration)?.unwrap_or(scenario.duration);
    let warmup = duration("--warmup", &args.warmup)?.unwrap_or(scenario.warmup);
    if length == SimTime::ZERO {
        return Err("--duration must be longer than 0s".into());
    }
    if warmup >= length {
        return Err(format!(
            "the warm-up ({warmup}) must be shorter than the duration ({length}): set --warmup \
             or --duration"
        ));
    }
    if args.max_rate.is_nan() || args.max_rate <= 0.0 {
        return Err("--max-rate must be above 0".into());
    }
    let peak = scenario.traffic.peak_rate();
    if peak > args.max_rate {
        return Err(format!(
            "the scenario's traffic peaks at {peak} requests/s, over --max-rate {}: nothing was \
             sent. Raise --max-rate if the site is meant to take it",
            args.max_rate
        ));
    }
    let text = tested_text(scenario, &chosen, length, warmup, args)?;
    Scenario::parse(&text, &scenario.path).map_err(|e| e.to_string())
}

/// The scenario's text with only policy `chosen`, one replication, and `duration` and
/// `warmup`, under a comment that says so.
fn tested_text(
    scenario: &Scenario,
    chosen: &str,
    duration: SimTime,
    warmup: SimTime,
    args: &LoadArgs,
) -> Result<String, String> {
    let unreadable = |e: &dyn std::fmt::Display| format!("{}: {e}", scenario.path.display());
    let mut table: toml::Table = scenario.source.parse().map_err(|e| unreadable(&e))?;
    if let Some(toml::Value::Array(policies)) = table.get_mut("policies") {
        policies.retain(|p| p.get("name").and_then(toml::Value::as_str) == Some(chosen));
    }
    table.insert("duration".into(), duration.to_string().into());
    table.insert("warmup".into(), warmup.to_string().into());
    table.insert("replications".into(), 1.into());
    let body = toml::to_string(&table).map_err(|e| unreadable(&e))?;
    Ok(format!(
        "# The scenario as `isrsim load` tested it: {} with policy `{chosen}`, replication {},\n\
         # for {duration} after a warm-up of {warmup}, against {}.\n\n{body}",
        scenario.path.display(),
        args.replication,
        args.target
    ))
}

/// The driver's options from the command line, every URL checked.
fn options(scenario: &Scenario, args: &LoadArgs) -> Result<Options, String> {
    let endpoint = |flag: &str, url: &str| {
        Endpoint::parse(url, args.allow_remote).map_err(|e| format!("{flag} {e}"))
    };
    let target = endpoint("--target", &args.target)?;
    let instances = if args.instances.is_empty() {
        vec![target.clone()]
    } else {
        (args.instances.iter())
            .map(|u| endpoint("--instance", u))
            .collect::<Result<_, _>>()?
    };
    let cdn = match &args.cdn {
        Some(url) => endpoint("--cdn", url)?,
        None => target.clone(),
    };
    site::check_template("--revalidate-url", &args.revalidate_url)?;
    site::check_template("--purge-url", &args.purge_url)?;
    check_tag_urls(scenario, args, &instances[0], &cdn)?;
    // A template may point anywhere: check where it points for a real page, now.
    let paths = Paths::new(scenario);
    let first = paths.path(0, 0);
    let page = PageRef {
        route: paths.route_name(0),
        index: 0,
        path: &first,
    };
    for (flag, template, server) in [
        ("--revalidate-url", &args.revalidate_url, &instances[0]),
        ("--purge-url", &args.purge_url, &cdn),
    ] {
        let url = site::fill(template, server, &page, "regenerate");
        site::absolute(&url, args.allow_remote).map_err(|e| format!("{flag}: {e}"))?;
    }
    let purge_method = Method::from_bytes(args.purge_method.as_bytes())
        .map_err(|_| format!("--purge-method {}: not an HTTP method", args.purge_method))?;
    let purge_shape = PurgeShape::parse(
        &args.purge_headers,
        args.purge_body.as_deref(),
        args.tag_purge_body.as_deref(),
        args.allow_remote,
    )?;
    let cms = load::loopback_address(&args.cms).map_err(|e| format!("--cms {e}"))?;
    let timeout = parse_duration(&args.timeout)
        .ok()
        .filter(|t| *t > SimTime::ZERO)
        .ok_or_else(|| {
            format!(
                "--timeout {}: expected a duration above 0, such as 10s",
                args.timeout
            )
        })?;
    let timeout = Duration::from_micros(timeout.as_micros());
    if !(0.0..=1.0).contains(&args.max_errors) {
        return Err(format!(
            "--max-errors {}: expected a share between 0 and 1, such as 0.5",
            args.max_errors
        ));
    }
    if args.connections == 0 {
        return Err("--connections must be at least 1".into());
    }
    if let Some(log) = &args.log
        && log.exists()
    {
        return Err(format!(
            "--log {}: the file exists, and isrsim does not overwrite a file it did not write; \
             remove it or name another",
            log.display()
        ));
    }
    let epoch = match &args.epoch {
        Some(text) => {
            let at = load::epoch::parse(text)?;
            load::epoch::check(at, std::time::SystemTime::now(), scenario.warmup)?;
            Some(at)
        }
        None => None,
    };
    let secret = (args.secret.clone()).or_else(|| std::env::var("ISRSIM_SECRET").ok());
    Ok(Options {
        target,
        hooks: Hooks {
            instances,
            cdn,
            revalidate_url: args.revalidate_url.clone(),
            revalidate_tag_url: args.revalidate_tag_url.clone(),
            purge_url: args.purge_url.clone(),
            tag_purge_url: args.tag_purge_url.clone(),
            purge_method,
            purge_shape,
            secret,
            timeout,
            allow_remote: args.allow_remote,
        },
        cms,
        connections: args.connections,
        timeout,
        max_errors: args.max_errors,
        cdn_header: args.cdn_header.clone(),
        log: args.log.clone(),
        signals: true,
        epoch,
    })
}

/// Checks `--revalidate-tag-url` and `--tag-purge-url`: their placeholders, and where they point
/// once filled with a tag; and that every `tag_expire` the policy sends is in whole seconds, the
/// unit of the webhook's `{profile}` (docs/load.md, "The protocol for tags").
fn check_tag_urls(
    scenario: &Scenario,
    args: &LoadArgs,
    instance: &Endpoint,
    cdn: &Endpoint,
) -> Result<(), String> {
    let (tag_url, purge_url) = ("--revalidate-tag-url", "--tag-purge-url");
    site::check_placeholders(tag_url, &args.revalidate_tag_url, site::TAG_PLACEHOLDERS)?;
    site::check_placeholders(purge_url, &args.tag_purge_url, site::TAG_PURGE_PLACEHOLDERS)?;
    let filled = site::fill_tags(&args.revalidate_tag_url, instance, &["tag"], "max");
    site::absolute(&filled, args.allow_remote).map_err(|e| format!("{tag_url}: {e}"))?;
    let filled = site::fill_tag_purge(&args.tag_purge_url, cdn, "tag");
    site::absolute(&filled, args.allow_remote).map_err(|e| format!("{purge_url}: {e}"))?;
    for policy in &scenario.policies {
        for (route, p) in scenario.routes.iter().zip(&policy.routes) {
            let TagExpire::After(after) = p.tag_expire else {
                continue;
            };
            if p.on_edit == OnEdit::RevalidateTag && after.as_micros() % 1_000_000 != 0 {
                return Err(format!(
                    "{}: policy {} sends tag_expire = \"{after}\" for route {}: isrsim load sends \
                     the webhook's profile in whole seconds; write a whole number of seconds",
                    scenario.path.display(),
                    policy.name,
                    route.name
                ));
            }
        }
    }
    Ok(())
}
