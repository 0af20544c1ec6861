//! `[slo]` as a CI gate: exit codes 0, 3 and 2, the messages on stderr, `--no-slo`, and
//! `summary.json` / `--json`.

use std::fs;
use std::path::PathBuf;
use std::process::Output;

mod support;

use support::{Scratch, assert_exit, isrsim_run, scratch, stderr, write};

const SITE: &str = r#"
duration = "20m"
seed = 3
replications = 2
[traffic]
pattern = "steady"
rate = 30
[[routes]]
name = "posts"
pages = 200
popularity = 1.0
edit_every = "1h"
regen_time = "200ms"
[cdn]
pops = 2
[[policies]]
name = "time-60s"
revalidate = "60s"
[[policies]]
name = "time-1h"
revalidate = "1h"
"#;

/// Runs `SITE` with `slo` appended, in a fresh scratch folder named after `test`; returns the
/// output, the results folder, and the scratch folder that holds it (removed when dropped).
fn run(test: &str, slo: &str, extra: &[&str]) -> (Output, PathBuf, Scratch) {
    let dir = scratch(test);
    let file = write(&dir, "site.toml", &format!("{SITE}\n{slo}"));
    let out = dir.join("out");
    (isrsim_run(&file, &out, extra), out, dir)
}

#[test]
fn a_met_slo_exits_0() {
    // Ratios are at most 1 and every request is counted: these bounds always hold.
    let (o, out, _dir) = run(
        "met",
        "[slo]\nstale_ratio = 1.0\nrequests = { min = 1 }\n",
        &["--quiet"],
    );
    assert_exit(&o, 0);
    assert!(stderr(&o).is_empty());
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["slo_checked"], true);
    assert_eq!(json["slo_ok"], true);
    assert_eq!(json["results"][0]["slo"].as_array().unwrap().len(), 2);
}

#[test]
fn a_violated_slo_exits_3_and_names_policy_metric_value_and_bound() {
    // An impossible bound for one policy only, and a global one that time-1h breaks.
    let slo = "[slo]\ncdn_hit_ratio = { min = 0.999 }\n";
    let (o, out, _dir) = run("violated", slo, &["--quiet"]);
    assert_exit(&o, 3);
    let err = stderr(&o);
    for policy in ["time-60s", "time-1h"] {
        assert!(
            err.contains(&format!("SLO violated: policy {policy}: cdn_hit_ratio = ")),
            "{err}"
        );
    }
    assert!(err.contains("< min 0.999"), "{err}");
    assert!(
        out.join("summary.csv").is_file(),
        "the results are still written"
    );
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["slo_ok"], false);
    let (o, ..) = run("no-slo", slo, &["--quiet", "--no-slo"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "--no-slo skips the check: {}",
        stderr(&o)
    );
}

#[test]
fn a_policy_slo_replaces_the_global_bound_for_its_metric() {
    let slo = "[slo]\ncdn_hit_ratio = { min = 0.999 }\n";
    let text = SITE.replace(
        "name = \"time-1h\"\nrevalidate = \"1h\"",
        "name = \"time-1h\"\nrevalidate = \"1h\"\nslo = { cdn_hit_ratio = { min = 0.0 } }",
    );
    let dir = scratch("policy");
    let file = write(&dir, "site.toml", &format!("{text}\n{slo}"));
    let o = isrsim_run(&file, &dir.join("out"), &["--quiet"]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.contains("policy time-60s") && !err.contains("policy time-1h"),
        "{err}"
    );
}

#[test]
fn an_unknown_slo_metric_exits_2_and_writes_nothing() {
    let (o, out, _dir) = run("unknown", "[slo]\nstaleness = 0.1\n", &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("slo.staleness") && err.contains("site.toml:"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn json_prints_the_summary_instead_of_the_table() {
    let started = std::time::Instant::now();
    let (o, out, _dir) = run("json", "", &["--json"]);
    let lifetime = started.elapsed().as_secs_f64();
    assert_exit(&o, 0);
    let printed: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout is JSON");
    let written: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(printed["results"], written["results"]);
    assert_eq!(printed["scenario"], "site");
    assert_eq!(printed["seed"], 3);
    assert!(printed["isrsim_version"].is_string());
    // The run's own clock, in seconds: positive, and within the process's lifetime as the test
    // saw it (a figure in milliseconds, or one summed over threads, would exceed it).
    let wall_s = printed["meta"]["wall_s"].as_f64().unwrap();
    assert!(
        wall_s > 0.0 && wall_s <= lifetime,
        "{wall_s} s of {lifetime} s"
    );
    let first = &printed["results"][0];
    assert_eq!(first["policy"], "time-60s");
    assert_eq!(first["replications"], 2);
    assert!(first["metrics"]["stale_ratio"]["mean"].is_number());
    assert!(first["metrics"]["stale_ratio"]["ci95"].is_number());
    assert!(
        stderr(&o).is_empty(),
        "no table, no speed line: {}",
        stderr(&o)
    );
}

#[test]
fn a_bound_on_a_metric_not_measured_fails_and_says_so() {
    // Never edited: no response is ever stale, so no stale age is measured.
    let site = SITE.replace("edit_every = \"1h\"\n", "");
    let dir = scratch("not-measured");
    let slo = "[slo]\nstale_age_p99_s = \"1m\"\nstale_ratio = 0.01\n";
    let file = write(&dir, "site.toml", &format!("{site}\n{slo}"));
    let out = dir.join("out");
    let o = isrsim_run(&file, &out, &[]);
    assert_exit(&o, 3);
    let err = stderr(&o);
    for policy in ["time-60s", "time-1h"] {
        let line = format!(
            "SLO not measured: policy {policy}: stale_age_p99_s was not measured (no replication \
             observed a stale response), so max 60 cannot be checked"
        );
        assert!(err.contains(&line), "{err}");
    }
    assert!(
        !err.contains("stale_ratio"),
        "a met bound is not reported: {err}"
    );
    let table = String::from_utf8(o.stdout).unwrap();
    assert!(table.contains("n/a"), "{table}");
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["slo_ok"], false);
    let verdicts = &json["results"][0]["slo"];
    assert_eq!(verdicts[0]["metric"], "stale_age_p99_s");
    assert_eq!(verdicts[0]["value"], serde_json::Value::Null);
    assert_eq!(verdicts[0]["ok"], false);
    assert_eq!(verdicts[0]["not_measured"], true);
    assert_eq!(verdicts[1]["metric"], "stale_ratio");
    assert_eq!(verdicts[1]["ok"], true);
    assert!(verdicts[1].get("not_measured").is_none());
}
