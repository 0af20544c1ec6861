//! A tiny scenario, a sweep over it, hand-made runs and scratch folders, for the tests of
//! `results`, `report` and `output`.
//!
//! Built from the public fields of `Scenario` and `Study` rather than parsed from TOML, so these
//! tests depend only on their shape, not on the parser.

use std::path::PathBuf;

use crate::metrics::{
    Bucket, Distributions, QUANTILES, ROUTE_COLUMNS, RUN_COLUMNS, RouteMetrics, RunMetrics,
    RunResult,
};
use crate::scenario::{
    Backend, Balancer, CacheMode, Distribution, Monitor, Origin, Point, Policy, Route, RoutePolicy,
    Scenario, Study, Traffic,
};
use crate::time::SimTime;
use crate::traffic::steady::Steady;

/// Scenario "tiny": policies `fast` and `slow`, routes `posts` and `tags`, 2.5 s buckets.
pub fn scenario() -> Scenario {
    let route = |name: &str| Route {
        name: name.to_string(),
        pages: 10,
        share: 1.0,
        popularity: 0.0,
        edit_every: None,
        edit_log: None,
        edit_profile: None,
        rule: None,
        page_size: 50_000,
        regen_time: Distribution::Constant(SimTime::from_millis(100)),
        prerendered: true,
        depends_on: None,
        path: format!("/{name}/{{page}}"),
        tags: Vec::new(),
    };
    let policy = |name: &str| Policy {
        name: name.to_string(),
        routes: vec![RoutePolicy::default(); 2],
        slo: Vec::new(),
    };
    Scenario {
        name: "tiny".to_string(),
        description: String::new(),
        path: PathBuf::from("t.toml"),
        source: String::new(),
        duration: SimTime::from_secs(5),
        warmup: SimTime::ZERO,
        seed: 7,
        replications: 2,
        bucket: SimTime::from_millis(2_500),
        traffic: Traffic::new(Steady { rate: 1.0 }),
        routes: vec![route("posts"), route("tags")],
        tags: Default::default(),
        platform: Default::default(),
        cost: None,
        cdn: None,
        origin: Origin {
            instances: 1,
            cache: CacheMode::Local,
            lock: false,
            balancer: Balancer::RoundRobin,
            expire: SimTime::from_secs(3600),
            rtt: SimTime::ZERO,
            build_age: SimTime::ZERO,
            build_spread: SimTime::ZERO,
            memory: None,
            disk: true,
            disk_read: SimTime::from_millis(1),
            headers: Default::default(),
            queue: None,
            store_lag: None,
            tag_lag: None,
        },
        backend: Backend {
            concurrency: None,
            failure_rate: 0.0,
            timeout: None,
        },
        policies: vec![policy("fast"), policy("slow")],
        events: Vec::new(),
        slo: Vec::new(),
        monitor: Monitor {
            alert_after: SimTime::from_secs(86_400),
        },
    }
}

/// The tiny scenario alone, without a sweep.
pub fn study() -> Study {
    Study::single(scenario())
}

/// A two-axis sweep of the tiny scenario, in cartesian order (first axis slowest):
///
/// | point | `bucket` | `origin`                             |
/// | ----- | -------- | ------------------------------------ |
/// | 0     | `2.5s`   | `"local"`                            |
/// | 1     | `2.5s`   | `{ cache = "shared", lock = true }`  |
/// | 2     | `1s`     | `"local"`                            |
/// | 3     | `1s`     | `{ cache = "shared", lock = true }`  |
///
/// The base is named "swept", so its name cannot be confused with a point's.
pub fn sweep() -> Study {
    let mut base = scenario();
    base.name = "swept".to_string();
    let mut points = Vec::new();
    for (bucket, millis) in [("2.5s", 2_500), ("1s", 1_000)] {
        for shared in [false, true] {
            let mut scenario = base.clone();
            scenario.bucket = SimTime::from_millis(millis);
            let origin = if shared {
                scenario.origin.cache = CacheMode::Shared;
                scenario.origin.lock = true;
                r#"{ cache = "shared", lock = true }"#
            } else {
                r#""local""#
            };
            let labels = vec![bucket.to_string(), origin.to_string()];
            points.push(Point { labels, scenario });
        }
    }
    Study {
        base,
        axes: vec!["bucket".to_string(), "origin".to_string()],
        points,
    }
}

/// A run of point 0 whose every run column is `fill`, with one column overridden by name.
pub fn run(policy: usize, replication: u32, fill: f64, overrides: &[(&str, f64)]) -> RunResult {
    run_at(0, policy, replication, fill, overrides)
}

/// A run of sweep point `point`, otherwise as `run`.
pub fn run_at(
    point: usize,
    policy: usize,
    replication: u32,
    fill: f64,
    overrides: &[(&str, f64)],
) -> RunResult {
    let mut metrics = [fill; RUN_COLUMNS.len()];
    for &(name, value) in overrides {
        let i = RUN_COLUMNS
            .iter()
            .position(|c| c.name == name)
            .expect("a run column");
        metrics[i] = value;
    }
    let route = |name: &str, value: f64| RouteMetrics {
        route: name.to_string(),
        values: [Some(value); ROUTE_COLUMNS.len()],
    };
    let bucket = |requests: u64| Bucket {
        requests,
        ..Bucket::default()
    };
    RunResult {
        point,
        policy,
        replication,
        seed: 1000 + u64::from(replication),
        metrics: RunMetrics::new(metrics.map(Some)),
        // Listed out of scenario order: the reports must follow the scenario, not the run.
        routes: vec![route("tags", fill + 1.0), route("posts", fill)],
        timeseries: vec![bucket(3), bucket(4)],
        distributions: Distributions {
            stale_age_s: QUANTILES.iter().map(|q| fill * q).collect(),
            latency_ms: QUANTILES.iter().map(|q| 10.0 + 100.0 * q).collect(),
        },
        simulated_requests: 7,
    }
}

/// An empty scratch folder for one test, under the system's temporary folder.
pub fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("isrsim-report-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch folder");
    dir
}

/// The names in a folder, sorted.
pub fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read a folder")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}
