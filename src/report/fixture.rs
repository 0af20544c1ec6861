//! A tiny scenario and hand-made runs for the report tests.
//!
//! Built from the scenario's public fields rather than parsed from TOML, so these tests depend
//! only on the shape of `Scenario`, not on the parser.

use std::path::PathBuf;

use crate::metrics::{Bucket, ROUTE_COLUMNS, RUN_COLUMNS, RouteMetrics, RunMetrics, RunResult};
use crate::scenario::{
    Backend, Balancer, CacheMode, Distribution, Monitor, Origin, Policy, Route, RoutePolicy,
    Scenario, Traffic,
};
use crate::time::SimTime;

/// Scenario "tiny": policies `fast` and `slow`, routes `posts` and `tags`, 2.5 s buckets.
pub fn scenario() -> Scenario {
    let route = |name: &str| Route {
        name: name.to_string(),
        pages: 10,
        share: 1.0,
        popularity: 0.0,
        edit_every: None,
        regen_time: Distribution::Constant(SimTime::from_millis(100)),
        prerendered: true,
        depends_on: None,
    };
    let policy = |name: &str| Policy {
        name: name.to_string(),
        routes: vec![RoutePolicy::default(); 2],
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
        traffic: Traffic::Steady { rate: 1.0 },
        routes: vec![route("posts"), route("tags")],
        cdn: None,
        origin: Origin {
            instances: 1,
            cache: CacheMode::Local,
            lock: false,
            balancer: Balancer::RoundRobin,
            expire: SimTime::from_secs(3600),
            rtt: SimTime::ZERO,
        },
        backend: Backend {
            concurrency: None,
            failure_rate: 0.0,
            timeout: None,
        },
        policies: vec![policy("fast"), policy("slow")],
        monitor: Monitor {
            alert_after: SimTime::from_secs(86_400),
        },
    }
}

/// A run whose every run column is `fill`, with one column overridden by name.
pub fn run(policy: usize, replication: u32, fill: f64, overrides: &[(&str, f64)]) -> RunResult {
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
        values: [value; ROUTE_COLUMNS.len()],
    };
    let bucket = |requests: u64| Bucket {
        requests,
        ..Bucket::default()
    };
    RunResult {
        policy,
        replication,
        seed: 1000 + u64::from(replication),
        metrics: RunMetrics(metrics),
        // Listed out of scenario order: the reports must follow the scenario, not the run.
        routes: vec![route("tags", fill + 1.0), route("posts", fill)],
        timeseries: vec![bucket(3), bucket(4)],
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
