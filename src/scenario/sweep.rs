//! Parameter sweeps: one scenario file, many variants (`[sweep]`).
//!
//! `[sweep]` maps dotted keys to lists of values, for example
//! `"backend.concurrency" = [2, 4, 8, 16]` or `"policies.time-60s.revalidate" = ["15s", "60s"]`.
//! A segment after an array of tables (`routes`, `policies`) picks the element by its `name`. A
//! value that is an inline table is merged into the table the key names, so
//! `origin = [{ cache = "local" }, { cache = "shared", lock = true }]` varies two keys together.
//! The study covers the cartesian product, the first key varying slowest. Every variant is
//! checked as a whole scenario before anything runs, so a bad value is reported up front with
//! the sweep key and its line.

use std::collections::BTreeMap;
use std::path::Path;

use toml::{Spanned, Table, Value};

use super::{Scenario, parse};
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
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError::new(path, format!("cannot read the scenario: {e}")))?;
        Study::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Study, InputError> {
        expand(text, path)
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

    /// Every run, in the order results are reported: (point, policy, replication).
    pub fn jobs(&self) -> Vec<Job> {
        let mut jobs = Vec::new();
        for (point, p) in self.points.iter().enumerate() {
            for policy in 0..p.scenario.policies.len() {
                for replication in 0..p.scenario.replications {
                    jobs.push(Job {
                        point,
                        policy,
                        replication,
                    });
                }
            }
        }
        jobs
    }

    /// Sets the seed of every variant (`--seed`).
    pub fn set_seed(&mut self, seed: u64) {
        self.base.seed = seed;
        self.points.iter_mut().for_each(|p| p.scenario.seed = seed);
    }

    /// Sets the replications of every variant (`--replications`).
    pub fn set_replications(&mut self, replications: u32) {
        self.base.replications = replications;
        self.points
            .iter_mut()
            .for_each(|p| p.scenario.replications = replications);
    }
}

/// One (point, policy, replication) run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Job {
    pub point: usize,
    pub policy: usize,
    pub replication: u32,
}

fn expand(text: &str, path: &Path) -> Result<Study, InputError> {
    let base = parse::scenario(text, path, true)?;
    let mut document: Table = text.parse().map_err(|e: toml::de::Error| {
        InputError::new(path, format!("not valid TOML: {}", e.message()))
    })?;
    let Some(sweep) = document.remove("sweep") else {
        return Ok(Study::single(base));
    };
    let error = |key: &str, line: Option<usize>, message: String| InputError {
        file: path.to_path_buf(),
        key: Some(format!("sweep.\"{key}\"")),
        line,
        column: None,
        message,
    };
    let lines = axis_lines(text);
    let Value::Table(sweep) = sweep else {
        return Err(error(
            "",
            lines.first().map(|a| a.1),
            "`sweep` must be a table of dotted keys to lists of values".into(),
        ));
    };
    let mut axes = Vec::new();
    for (key, values) in sweep {
        let line = lines.iter().find(|(k, _)| *k == key).map(|a| a.1);
        let values = match values {
            Value::Array(values) if !values.is_empty() => values,
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
        if key.split('.').next_back() == Some("name") {
            return Err(error(
                &key,
                line,
                "names identify routes and policies across the sweep and cannot be swept".into(),
            ));
        }
        axes.push(Axis { key, line, values });
    }
    let mut points = Vec::new();
    let mut choice = vec![0usize; axes.len()];
    loop {
        let mut variant = document.clone();
        for (axis, &i) in axes.iter().zip(&choice) {
            set(
                &mut variant,
                &axis.key.split('.').collect::<Vec<_>>(),
                &axis.values[i],
            )
            .map_err(|message| error(&axis.key, axis.line, message))?;
        }
        let labels: Vec<String> = axes
            .iter()
            .zip(&choice)
            .map(|(a, &i)| label(&a.values[i]))
            .collect();
        let variant_text = toml::to_string(&variant).map_err(|e| {
            error(
                &axes[0].key,
                axes[0].line,
                format!("cannot apply the sweep: {e}"),
            )
        })?;
        let mut scenario = parse::scenario(&variant_text, path, false).map_err(|e| {
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
        points.push(Point { labels, scenario });
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
    Ok(Study {
        base,
        axes: axes.into_iter().map(|a| a.key).collect(),
        points,
    })
}

struct Axis {
    key: String,
    line: Option<usize>,
    values: Vec<Value>,
}

/// The line of each key of `[sweep]`, for errors.
fn axis_lines(text: &str) -> Vec<(String, usize)> {
    #[derive(serde::Deserialize)]
    struct Spans {
        sweep: Option<BTreeMap<String, Spanned<toml::Value>>>,
    }
    let Ok(Spans { sweep: Some(sweep) }) = toml::from_str::<Spans>(text) else {
        return Vec::new();
    };
    sweep
        .into_iter()
        .map(|(key, value)| (key, parse::line_and_column(text, value.span().start).0))
        .collect()
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
    fn a_plain_scenario_refuses_a_sweep() {
        let text = format!("{BASE}\n[sweep]\n\"cdn.pops\" = [1]\n");
        assert!(Scenario::parse(&text, Path::new("s.toml")).is_err());
    }
}
