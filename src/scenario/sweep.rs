//! Parameter sweeps: one scenario file, many variants (`[sweep]`).
//!
//! `[sweep]` maps dotted keys to lists of values, for example
//! `"backend.concurrency" = [2, 4, 8, 16]` or `"policies.time-60s.revalidate" = ["15s", "60s"]`.
//! A segment after an array of tables (`routes`, `policies`) picks the element by its `name`. A
//! value that is an inline table is merged into the table the key names, so
//! `origin = [{ cache = "local" }, { cache = "shared", lock = true }]` varies two keys together.
//! The study covers the cartesian product, the first key varying slowest. Every variant is
//! checked as a whole scenario before anything runs, so a bad value is reported up front with
//! the sweep key and its line. Points and runs are counted before any is built, and bounded
//! (docs/scenario.md, "Sizes"), so a sweep too large to hold is refused rather than built.

use std::collections::BTreeMap;
use std::path::Path;

use serde::de::IgnoredAny;
use toml::{Spanned, Table, Value};

use super::Scenario;
use super::parse::{self, Logs, MAX_POINTS, check_runs};
use crate::error::InputError;

/// What one `isrsim run` covers: one scenario, or the variants of a sweep.
#[derive(Clone, Debug)]
pub struct Study {
    /// The scenario as written (without the sweep applied); reports quote its `source`.
    pub base: Scenario,
    /// The swept keys, in file order; empty without `[sweep]`.
    pub axes: Vec<String>,
    /// The variants, in cartesian order; exactly one (the base) without `[sweep]`.
    pub points: Vec<Point>,
}

/// One variant of a sweep.
#[derive(Clone, Debug)]
pub struct Point {
    /// The value of each axis, as written in `runs.csv`.
    pub labels: Vec<String>,
    pub scenario: Scenario,
}

impl Study {
    /// Reads and checks a scenario file, sweep included.
    pub fn load(path: &Path) -> Result<Study, InputError> {
        let bytes = std::fs::read(path)
            .map_err(|e| InputError::new(path, format!("cannot read the scenario: {e}")))?;
        Study::from_bytes(&bytes, path)
    }

    /// Checks a scenario file's bytes, which must be UTF-8 text.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Study, InputError> {
        Study::parse(parse::utf8(bytes, path)?, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Study, InputError> {
        expand(text, path, Logs::Read)
    }

    /// `parse` for a results folder's copy of a scenario: the logs it names are not read (they
    /// stay beside the scenario that was run), so a trace's routes have their `pages` as
    /// written, or 1.
    pub fn parse_recorded(text: &str, path: &Path) -> Result<Study, InputError> {
        expand(text, path, Logs::Named)
    }

    /// A study of one scenario, with no sweep.
    pub fn single(scenario: Scenario) -> Study {
        Study {
            base: scenario.clone(),
            axes: Vec::new(),
            points: vec![Point {
                labels: Vec::new(),
                scenario,
            }],
        }
    }

    /// How many runs the study makes: every point's policies times replications, counted
    /// rather than listed.
    pub fn runs(&self) -> u64 {
        self.points
            .iter()
            .map(|p| p.scenario.policies.len() as u64 * u64::from(p.scenario.replications))
            .sum()
    }

    /// Every run, in the order results are reported: (point, policy, replication). There are
    /// at most `MAX_RUNS` (docs/scenario.md, "Sizes").
    pub fn jobs(&self) -> Vec<Job> {
        self.each_job().collect()
    }

    /// `jobs`, one at a time.
    pub fn each_job(&self) -> impl Iterator<Item = Job> + '_ {
        self.points.iter().enumerate().flat_map(|(point, p)| {
            let replications = p.scenario.replications;
            (0..p.scenario.policies.len()).flat_map(move |policy| {
                (0..replications).map(move |replication| Job {
                    point,
                    policy,
                    replication,
                })
            })
        })
    }

    /// Sets the seed of every variant (`--seed`).
    pub fn set_seed(&mut self, seed: u64) {
        self.base.seed = seed;
        self.points.iter_mut().for_each(|p| p.scenario.seed = seed);
    }

    /// Sets the replications of every variant (`--replications`), unless that would make more
    /// runs than a study may have.
    pub fn set_replications(&mut self, replications: u32) -> Result<(), InputError> {
        let policies = self.points.iter().map(|p| p.scenario.policies.len() as u64);
        check_runs(
            self.points.len() as u64,
            policies.sum(),
            replications,
            "give a smaller `--replications`",
        )
        .map_err(|message| {
            let message = format!("with `--replications {replications}`: {message}");
            InputError::new(&self.base.path, message)
        })?;
        self.base.replications = replications;
        self.points
            .iter_mut()
            .for_each(|p| p.scenario.replications = replications);
        Ok(())
    }
}

/// One (point, policy, replication) run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Job {
    pub point: usize,
    pub policy: usize,
    pub replication: u32,
}

fn expand(text: &str, path: &Path, logs: Logs) -> Result<Study, InputError> {
    let base = parse::scenario(text, path, true, logs)?;
    let mut document = parse::table(text, path)?;
    let Some(sweep) = document.remove("sweep") else {
        return Ok(Study::single(base));
    };
    let lines = Lines::of(text);
    let axes = axes(path, &lines, sweep)?;
    // Count before building anything: each point is a whole scenario, held until the run ends.
    let sizes: Vec<u64> = axes.iter().map(|a| a.values.len() as u64).collect();
    let count = sizes.iter().fold(1, |n: u64, &s| n.saturating_mul(s));
    let first_line = axes.first().and_then(|a| a.line);
    if count > MAX_POINTS {
        let sizes: Vec<String> = sizes.iter().map(u64::to_string).collect();
        return Err(whole_error(
            path,
            "sweep",
            first_line,
            format!(
                "{count} points ({} values): at most {MAX_POINTS} are allowed, as every point is checked before the first run; split the sweep into several scenario files",
                sizes.join(" × ")
            ),
        ));
    }
    let fix = "lower `replications`, or split the sweep into several scenario files";
    let policies = base.policies.len() as u64;
    check_runs(
        count,
        count.saturating_mul(policies),
        base.replications,
        fix,
    )
    .map_err(|message| match lines.replications {
        Some(line) => whole_error(path, "replications", Some(line), message),
        None => whole_error(path, "sweep", first_line, message),
    })?;
    let mut points = Vec::new();
    let mut choice = vec![0usize; axes.len()];
    loop {
        points.push(point(text, path, logs, &document, &axes, &choice)?);
        // The next combination: the last axis varies fastest.
        let Some(i) = (0..axes.len())
            .rev()
            .find(|&i| choice[i] + 1 < axes[i].values.len())
        else {
            break;
        };
        choice[i] += 1;
        choice[i + 1..].iter_mut().for_each(|c| *c = 0);
    }
    let study = Study {
        base,
        axes: axes.into_iter().map(|a| a.key).collect(),
        points,
    };
    // A sweep of a whole `policies` array can change their number from point to point.
    let policies = study
        .points
        .iter()
        .map(|p| p.scenario.policies.len() as u64);
    check_runs(count, policies.sum(), study.base.replications, fix)
        .map_err(|message| whole_error(path, "sweep", first_line, message))?;
    Ok(study)
}

/// An error about the sweep key `key` (`sweep."KEY"`), at its line.
fn sweep_error(path: &Path, key: &str, line: Option<usize>, message: String) -> InputError {
    InputError {
        file: path.to_path_buf(),
        key: Some(format!("sweep.\"{key}\"")),
        line,
        column: None,
        message,
    }
}

/// An error about the sweep as a whole, blamed on `key` (`sweep`, `replications`).
fn whole_error(path: &Path, key: &str, line: Option<usize>, message: String) -> InputError {
    InputError {
        key: Some(key.into()),
        line,
        ..InputError::new(path, message)
    }
}

/// The axes of `[sweep]`, each a key and a non-empty list of values; keys that cannot be swept
/// are refused.
fn axes(path: &Path, lines: &Lines, sweep: Value) -> Result<Vec<Axis>, InputError> {
    let error = |key: &str, line, message| sweep_error(path, key, line, message);
    // `parse::scenario` has checked that `[sweep]` is a table.
    let Value::Table(sweep) = sweep else {
        return Err(error(
            "",
            lines.axes.first().map(|a| a.1),
            "`sweep` must be a table of dotted keys to lists of values".into(),
        ));
    };
    let mut axes = Vec::new();
    for (key, values) in sweep {
        let line = lines.axes.iter().find(|(k, _)| *k == key).map(|a| a.1);
        let values = match values {
            Value::Array(values) if !values.is_empty() => values,
            Value::Table(_) => {
                return Err(error(
                    &key,
                    line,
                    format!(
                        "expected a list of values: a dotted key must be quoted, as `\"{key}.KEY\" = [2, 4, 8]`, or `{key}.KEY` makes a table"
                    ),
                ));
            }
            _ => {
                return Err(error(
                    &key,
                    line,
                    "expected a non-empty list of values, for example `[2, 4, 8]`".into(),
                ));
            }
        };
        if key == "seed" || key == "replications" {
            return Err(error(
                &key,
                line,
                format!(
                    "`{key}` sets up the experiment and cannot be swept: use replications for independent runs"
                ),
            ));
        }
        // A route's, a policy's or an event's name identifies it across the sweep; the platform's
        // (`platform.name`) is a setting like any other.
        if key != "platform.name" && key.split('.').next_back() == Some("name") {
            return Err(error(
                &key,
                line,
                "names identify routes and policies across the sweep and cannot be swept".into(),
            ));
        }
        axes.push(Axis { key, line, values });
    }
    Ok(axes)
}

/// The point of the sweep that takes value `choice[i]` of each axis `i`: `document` with those
/// values set, checked as a whole scenario; an error names the axis it is most likely about.
fn point(
    text: &str,
    path: &Path,
    logs: Logs,
    document: &Table,
    axes: &[Axis],
    choice: &[usize],
) -> Result<Point, InputError> {
    let error = |key: &str, line, message| sweep_error(path, key, line, message);
    let mut variant = document.clone();
    for (axis, &i) in axes.iter().zip(choice) {
        set(
            &mut variant,
            &axis.key.split('.').collect::<Vec<_>>(),
            &axis.values[i],
        )
        .map_err(|message| error(&axis.key, axis.line, message))?;
    }
    let labels: Vec<String> = axes
        .iter()
        .zip(choice)
        .map(|(a, &i)| label(&a.values[i]))
        .collect();
    let variant_text = toml::to_string(&variant).map_err(|e| {
        error(
            &axes[0].key,
            axes[0].line,
            format!("cannot apply the sweep: {e}"),
        )
    })?;
    let mut scenario = parse::scenario(&variant_text, path, false, logs).map_err(|e| {
        let setting: Vec<String> = axes
            .iter()
            .zip(&labels)
            .map(|(a, l)| format!("{} = {l}", a.key))
            .collect();
        // Blame the axis whose last segment the error's key names, else the first.
        let culprit = axes
            .iter()
            .find(|a| {
                e.key
                    .as_deref()
                    .is_some_and(|k| k.contains(a.key.split('.').next_back().unwrap_or("")))
            })
            .unwrap_or(&axes[0]);
        let key = e.key.map_or(String::new(), |k| format!("key `{k}`: "));
        error(
            &culprit.key,
            culprit.line,
            format!("with {}: {key}{}", setting.join(", "), e.message),
        )
    })?;
    scenario.source = text.to_string();
    Ok(Point { labels, scenario })
}

struct Axis {
    key: String,
    line: Option<usize>,
    values: Vec<Value>,
}

/// The lines errors about the sweep point at: each key of `[sweep]`, and `replications`.
struct Lines {
    axes: Vec<(String, usize)>,
    replications: Option<usize>,
}

impl Lines {
    fn of(text: &str) -> Lines {
        #[derive(serde::Deserialize)]
        struct Spans {
            replications: Option<Spanned<IgnoredAny>>,
            sweep: Option<BTreeMap<String, Spanned<IgnoredAny>>>,
        }
        let line = |span: std::ops::Range<usize>| parse::line_and_column(text, span.start).0;
        let Ok(spans) = toml::from_str::<Spans>(text) else {
            return Lines {
                axes: Vec::new(),
                replications: None,
            };
        };
        Lines {
            axes: (spans.sweep.into_iter().flatten())
                .map(|(key, value)| (key, line(value.span())))
                .collect(),
            replications: spans.replications.map(|r| line(r.span())),
        }
    }
}

/// Sets the dotted key `segments` to `value`. After an array of tables, a segment picks the
/// element by its `name`; an inline-table value is merged into the table it names.
fn set(table: &mut Table, segments: &[&str], value: &Value) -> Result<(), String> {
    let Some((&first, rest)) = segments.split_first() else {
        return Err("the key is empty".into());
    };
    if rest.is_empty() {
        match (table.get_mut(first), value) {
            (Some(Value::Table(target)), Value::Table(fields)) => {
                target.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            _ => {
                table.insert(first.to_string(), value.clone());
            }
        }
        return Ok(());
    }
    match table
        .entry(first.to_string())
        .or_insert_with(|| Value::Table(Table::new()))
    {
        Value::Table(inner) => set(inner, rest, value),
        Value::Array(items) => {
            let name = rest[0];
            let names: Vec<&str> = items
                .iter()
                .filter_map(|i| i.get("name").and_then(Value::as_str))
                .collect();
            let allowed = parse::quoted(&names).join(", ");
            let Some(Value::Table(item)) = items
                .iter_mut()
                .find(|i| i.get("name").and_then(Value::as_str) == Some(name))
            else {
                return Err(format!(
                    "there is no `{first}` entry named `{name}`: expected one of {allowed}"
                ));
            };
            if rest.len() == 1 {
                return Err(format!(
                    "name a key inside `{first}.{name}`, for example `{first}.{name}.KEY`"
                ));
            }
            set(item, &rest[1..], value)
        }
        _ => Err(format!(
            "`{first}` is a single value, so `{}` names nothing",
            segments.join(".")
        )),
    }
}

/// How a swept value reads in a CSV column: strings bare, everything else as TOML.
fn label(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string().trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
duration = "1h"
[traffic]
pattern = "steady"
rate = 10
[[routes]]
name = "posts"
pages = 10
regen_time = "1s"
[origin]
instances = 2
[[policies]]
name = "time-60s"
revalidate = "60s"
[[policies]]
name = "hybrid"
on_edit = "regenerate"
routes.posts = { revalidate = "5m" }
"#;

    fn study(sweep: &str) -> Result<Study, InputError> {
        Study::parse(&format!("{BASE}\n[sweep]\n{sweep}"), Path::new("s.toml"))
    }

    #[test]
    fn no_sweep_is_one_point() {
        let s = Study::parse(BASE, Path::new("s.toml")).unwrap();
        assert!(s.axes.is_empty());
        assert_eq!(s.points.len(), 1);
        assert_eq!(s.jobs().len(), 2);
    }

    #[test]
    fn the_cartesian_product_in_file_order_last_key_fastest() {
        let s = study("\"backend.concurrency\" = [2, 4]\n\"policies.time-60s.revalidate\" = [\"15s\", \"60s\", \"5m\"]\n").unwrap();
        assert_eq!(
            s.axes,
            ["backend.concurrency", "policies.time-60s.revalidate"]
        );
        let labels: Vec<String> = s.points.iter().map(|p| p.labels.join(" ")).collect();
        assert_eq!(labels, ["2 15s", "2 60s", "2 5m", "4 15s", "4 60s", "4 5m"]);
        let p = &s.points[4].scenario;
        assert_eq!(p.backend.concurrency, Some(4));
        assert_eq!(
            p.policies[0].routes[0].revalidate,
            Some(crate::time::SimTime::from_secs(60))
        );
        assert_eq!(p.source, s.base.source, "reports quote the file as written");
        assert_eq!(s.jobs().len(), 6 * 2);
    }

    #[test]
    fn inline_tables_merge_and_overrides_reach_route_tables() {
        let s = study("origin = [{ cache = \"local\" }, { cache = \"shared\", lock = true }]\n\"policies.hybrid.routes.posts.revalidate\" = [\"1m\"]\n").unwrap();
        let shared = &s.points[1].scenario.origin;
        assert_eq!(
            (shared.instances, shared.cache, shared.lock),
            (2, crate::scenario::CacheMode::Shared, true)
        );
        assert_eq!(s.points[1].labels[0], "{ cache = \"shared\", lock = true }");
        assert_eq!(
            s.points[0].scenario.policies[1].routes[0].revalidate,
            Some(crate::time::SimTime::from_secs(60))
        );
    }

    #[test]
    fn a_missing_table_is_created() {
        let s = study("\"cdn.pops\" = [1, 4]\n").unwrap();
        assert_eq!(s.points[1].scenario.cdn.as_ref().map(|c| c.pops), Some(4));
    }

    #[test]
    fn the_platform_is_swept_by_its_name_but_a_route_is_not() {
        use crate::scenario::{HeaderRule, PlatformName};
        let s = study("\"platform.name\" = [\"next-start\", \"opennext-aws\"]\n").unwrap();
        let labels: Vec<&str> = s.points.iter().map(|p| p.labels[0].as_str()).collect();
        assert_eq!(labels, ["next-start", "opennext-aws"]);
        let (plain, aws) = (&s.points[0].scenario, &s.points[1].scenario);
        assert_eq!(plain.platform.name, PlatformName::NextStart);
        assert_eq!(plain.origin.headers, HeaderRule::Next);
        assert_eq!(aws.platform.name, PlatformName::OpenNextAws);
        assert_eq!(aws.origin.headers, HeaderRule::OpenNextAws);
        let e = study("\"routes.posts.name\" = [\"articles\"]\n").unwrap_err();
        assert!(e.message.contains("cannot be swept"), "{e}");
    }

    #[test]
    fn a_shield_is_swept_on_and_off() {
        let s = study("\"cdn.shield\" = [false, true, { rtt = \"20ms\" }]\n").unwrap();
        let labels: Vec<&str> = s.points.iter().map(|p| p.labels[0].as_str()).collect();
        assert_eq!(labels, ["false", "true", "{ rtt = \"20ms\" }"]);
        let shield = |i: usize| s.points[i].scenario.cdn.as_ref().and_then(|c| c.shield);
        assert_eq!(shield(0), None);
        assert_eq!(shield(1).map(|s| s.rtt), Some(crate::time::SimTime::ZERO));
        assert_eq!(
            shield(2).map(|s| s.rtt),
            Some(crate::time::SimTime::from_millis(20))
        );
    }

    #[test]
    fn a_key_that_does_not_exist_is_named() {
        let e = study("\"backend.concurency\" = [2]\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("sweep.\"backend.concurency\""));
        assert!(e.message.contains("unknown key `concurency`"), "{e}");
        assert_eq!(e.line, Some(BASE.lines().count() + 3));
        let e = study("\"policies.time-5m.revalidate\" = [\"1m\"]\n").unwrap_err();
        assert!(
            e.message.contains("no `policies` entry named `time-5m`"),
            "{e}"
        );
        let e = study("\"duration.x\" = [1]\n").unwrap_err();
        assert!(e.message.contains("single value"), "{e}");
    }

    #[test]
    fn a_bad_value_names_the_point() {
        let e = study("\"backend.concurrency\" = [4, 0]\n").unwrap_err();
        assert!(e.message.contains("with backend.concurrency = 0"), "{e}");
        assert!(e.message.contains("0 is not allowed"), "{e}");
    }

    #[test]
    fn sweeps_must_be_lists_and_not_names() {
        assert!(
            study("\"backend.concurrency\" = 4\n")
                .unwrap_err()
                .message
                .contains("non-empty list")
        );
        assert!(study("\"backend.concurrency\" = []\n").is_err());
        assert!(
            study("\"policies.hybrid.name\" = [\"x\"]\n")
                .unwrap_err()
                .message
                .contains("cannot be swept")
        );
    }

    #[test]
    fn runs_are_counted_and_bounded_before_any_point_is_built() {
        let s = study("\"backend.concurrency\" = [2, 4, 8]\n").unwrap();
        assert_eq!(s.runs(), 3 * 2);
        assert_eq!(s.runs(), s.jobs().len() as u64);
        // A million points would take seconds and gigabytes to build; they are counted instead.
        let ten = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
        let axes = [
            "backend.concurrency",
            "cdn.pops",
            "origin.instances",
            "routes.posts.pages",
        ];
        let sweep: String = axes.iter().map(|a| format!("\"{a}\" = {ten}\n")).collect();
        let e = study(&format!("{sweep}\"traffic.rate\" = {ten}\n")).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("sweep"));
        assert_eq!(e.line, Some(BASE.lines().count() + 3), "{e}");
        assert!(e.message.contains("100000 points"), "{e}");
        assert!(study(&sweep).is_ok(), "10,000 points are allowed");
        // 2 policies of 400,000 replications are 800,000 runs; at 2 points, too many.
        let text = format!("replications = 400000\n{BASE}\n[sweep]\n\"cdn.pops\" = [1, 2]\n");
        let e = Study::parse(&text, Path::new("s.toml")).unwrap_err();
        assert_eq!((e.key.as_deref(), e.line), (Some("replications"), Some(1)));
        assert!(
            e.message
                .contains("1600000 runs (2 sweep points with 4 policies in all"),
            "{e}"
        );
    }

    #[test]
    fn replications_from_the_command_line_are_bounded_too() {
        let mut s = study("\"backend.concurrency\" = [2, 4]\n").unwrap();
        let e = s.set_replications(1_000_000_000).unwrap_err();
        assert!(e.message.contains("`--replications 1000000000`"), "{e}");
        assert_eq!(s.runs(), 2 * 2, "the study is left as it was");
        s.set_replications(3).unwrap();
        assert_eq!(s.runs(), 2 * 2 * 3);
    }

    #[test]
    fn a_sweep_that_is_not_one_table_is_named_with_its_line() {
        let text = format!("{BASE}\n[[sweep]]\n\"cdn.pops\" = [1, 2]\n");
        let e = Study::parse(&text, Path::new("s.toml")).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("sweep"));
        assert_eq!(e.line, Some(BASE.lines().count() + 2), "{e}");
        assert!(e.message.contains("`[sweep]`"), "{e}");
        let e = study("traffic.rate = [1, 2]\n").unwrap_err();
        assert!(e.message.contains("`\"traffic.KEY\" = "), "{e}");
        let e = study("\"traffic.rate\" = [1, 99999999999999999999]\n").unwrap_err();
        assert_eq!(e.line, Some(BASE.lines().count() + 3), "{e}");
        assert!(e.message.contains("9223372036854775807"), "{e}");
    }

    #[test]
    fn a_plain_scenario_refuses_a_sweep() {
        let text = format!("{BASE}\n[sweep]\n\"cdn.pops\" = [1]\n");
        assert!(Scenario::parse(&text, Path::new("s.toml")).is_err());
    }
}
