//! Common random numbers (docs/model.md §2.4): what a policy sees of the world does not depend on
//! the policy.

use std::path::Path;

use isrsim::model::{self, Simulation};
use isrsim::scenario::Scenario;

const SITE: &str = r#"
duration = "2h"
warmup = "5m"
seed = 17
[traffic]
pattern = "bursty"
base_rate = 5
burst_rate = 200
burst_length = "2m"
burst_every = "20m"
[[routes]]
name = "posts"
pages = 500
popularity = 0.8
edit_every = "3h"
regen_time = { exponential = "400ms" }
[[routes]]
name = "lists"
pages = 10
share = 0.2
depends_on = "posts"
regen_time = "1s"
[cdn]
pops = 3
purge_delay = { exponential = "300ms" }
purge_failure = 0.1
[origin]
instances = 2
balancer = "random"
[backend]
concurrency = 4
failure_rate = 0.05
[[policies]]
name = "time-60s"
revalidate = "60s"
[[policies]]
name = "same-as-time-60s"
revalidate = "60s"
[[policies]]
name = "on-demand"
on_edit = "regenerate"
webhook_delay = { exponential = "2s" }
webhook_failure = 0.05
purge_cdn = true
[[policies]]
name = "scheduled"
schedule = "10m"
purge_cdn = true
"#;

fn site() -> Scenario {
    Scenario::parse(SITE, Path::new("crn.toml")).unwrap()
}

#[test]
fn policies_that_differ_only_in_name_give_identical_rows() {
    let s = site();
    for replication in 0..3 {
        let a = model::run(&s, 0, replication).unwrap();
        let b = model::run(&s, 1, replication).unwrap();
        assert_eq!(a.metrics, b.metrics);
        assert_eq!(a.routes, b.routes);
        assert_eq!(a.timeseries, b.timeseries);
        assert_eq!(a.seed, b.seed);
    }
}

#[test]
fn every_policy_sees_the_same_users_and_the_same_edits() {
    let s = site();
    for replication in 0..2 {
        let traces: Vec<_> = (0..s.policies.len())
            .map(|policy| {
                // The users and edits the run drew for itself, as `isrsim run` draws them.
                let sim = Simulation::new(&s, policy, replication).with_trace();
                sim.run_drawn(&s).unwrap().1.unwrap()
            })
            .collect();
        let arrivals = |t: &isrsim::model::Trace| {
            let mut a: Vec<(u64, u32, u32)> = t
                .responses
                .iter()
                .map(|r| (r.arrival.as_micros(), r.page.0, r.pop.0))
                .collect();
            a.sort_unstable();
            a
        };
        let first = &traces[0];
        assert!(
            first.edits.len() > 100,
            "the comparison is not vacuous: {} edits",
            first.edits.len()
        );
        for (policy, trace) in traces.iter().enumerate().skip(1) {
            assert_eq!(trace.edits, first.edits, "policy {policy} sees other edits");
            // Requests still waiting on a generation at the end get no response, so compare the
            // users who arrived early enough to be answered under every policy.
            let early = |v: Vec<(u64, u32, u32)>| -> Vec<(u64, u32, u32)> {
                v.into_iter().filter(|a| a.0 < 7_000_000_000).collect()
            };
            assert_eq!(
                early(arrivals(trace)),
                early(arrivals(first)),
                "policy {policy} sees other users"
            );
        }
        let stale: Vec<f64> = (0..s.policies.len())
            .map(|p| {
                model::run(&s, p, replication)
                    .unwrap()
                    .metrics
                    .get("stale_ratio")
                    .unwrap()
            })
            .collect();
        assert_ne!(
            stale[0], stale[2],
            "the policies do differ in what they serve"
        );
    }
}

#[test]
fn replications_differ_and_repeat() {
    let s = site();
    let (a, b) = (model::run(&s, 2, 0).unwrap(), model::run(&s, 2, 1).unwrap());
    assert_ne!(a.seed, b.seed);
    assert_ne!(a.metrics, b.metrics);
    assert_eq!(
        model::run(&s, 2, 1).unwrap().metrics,
        b.metrics,
        "a replication repeats exactly"
    );
}
