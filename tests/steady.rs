//! The steady-state warnings of `isrsim run` (docs/model.md §11.11), on scenarios whose state is
//! known by construction: an overloaded backend, a light one, and a timer whose first expiry
//! falls on the warm-up's end.

use std::fs;

mod support;

use support::{isrsim_run, scratch, stderr, write};

/// A site of 100 equally popular pages at 20 requests per second, under a timer of
/// `revalidate`, with a backend of `backend`, counted after `warmup`.
fn site(revalidate: &str, backend: &str, warmup: &str) -> String {
    format!(
        r#"
duration = "20m"
warmup = "{warmup}"
seed = 3
replications = 2
bucket = "30s"

[traffic]
pattern = "steady"
rate = 20

[[routes]]
name = "posts"
pages = 100
popularity = 0.0
regen_time = "{backend}"

[backend]
concurrency = 1

[[policies]]
name = "timer"
revalidate = "{revalidate}"
"#
    )
}

/// The stderr, `meta.csv` and `summary.json` of a run of `text`.
fn run(test: &str, text: &str) -> (String, String, serde_json::Value) {
    let dir = scratch(test);
    let out = dir.join("results");
    let output = isrsim_run(&write(&dir, "s.toml", text), &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let meta = fs::read_to_string(out.join("meta.csv")).unwrap();
    let json = fs::read_to_string(out.join("summary.json")).unwrap();
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    let err = stderr(&output);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    // Every output says the same: as many warnings in the report as on stderr.
    let warned = err.lines().filter(|l| l.starts_with("warning: ")).count();
    assert!(!err.contains("warning") || warned > 0, "{err}");
    assert_eq!(json["warnings"].as_array().unwrap().len(), warned, "{err}");
    assert_eq!(report.contains("id=\"warnings\""), warned > 0, "{err}");
    fs::remove_dir_all(dir).unwrap();
    (err, meta, json)
}

#[test]
fn an_overloaded_backend_warns_and_a_light_one_does_not() {
    // Every page expires each second and a regeneration takes 2 s on one slot: the backend is
    // offered up to 100 generations per 2 s against 1 it can serve, so its queue never drains.
    let (err, meta, json) = run("overloaded", &site("1s", "2s", "1m"));
    assert!(
        err.contains("the backend queue held a generation for"),
        "{err}"
    );
    assert!(meta.contains("the backend queue held"), "{meta}");
    let kinds: Vec<&str> = (json["warnings"].as_array().unwrap().iter())
        .map(|w| w["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"backend_queued"), "{json}");
    // A 1 min timer and 10 ms generations: at most 100 generations a minute, each 10 ms, keep
    // the one slot busy under 2% of the time; each page goes stale about once a minute, all run
    // long. (The pages' first expiry, at 1 min, is a minute before the 2 min warm-up's end.)
    let (err, _, json) = run("light", &site("1m", "10ms", "2m"));
    assert!(!err.contains("warning"), "{err}");
    assert_eq!(json["warnings"], serde_json::json!([]));
}

#[test]
fn a_timer_expiring_at_the_warm_ups_end_warns_and_another_does_not() {
    // Built at t=0, every page expires at 5 min, as counting starts.
    let (err, meta, _) = run("synchronized", &site("5m", "10ms", "5m"));
    assert!(
        err.contains("every prerendered page of posts expires at once at 300 s"),
        "{err}"
    );
    assert!(meta.contains("expires at once"), "{meta}");
    // One minute: the first expiry is 4 min before the warm-up's end, more than a bucket away.
    let (err, _, _) = run("unsynchronized", &site("1m", "10ms", "5m"));
    assert!(!err.contains("expires at once"), "{err}");
}
