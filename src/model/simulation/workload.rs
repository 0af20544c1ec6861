//! One replication's users and edits, drawn once and played under many policies.
//!
//! Every policy of a replication sees the same requests and the same edits: they come from the
//! replication's own streams (`rng::Stream::Traffic`, `Stream::Edits`), which no policy draws
//! from (docs/model.md §4). So a search that tries many candidate policies on one replication
//! can draw them once, keep them in two flat `Vec`s, and play each candidate on
//! them, in parallel threads sharing one borrowed `Workload`: the common random numbers of Law,
//! *Simulation Modeling and Analysis*, ch. 11, without paying for the draw once per candidate.
//! `isrsim run` keeps drawing as it plays (`Simulation::play_drawn`), which holds no request in
//! memory.

use std::sync::atomic::AtomicU64;

use super::Simulation;
use crate::ids::PageId;
use crate::metrics::{RunId, RunResult};
use crate::scenario::Scenario;
use crate::time::SimTime;
use crate::workload::content::{Edits, PageLayout};
use crate::workload::rng;
use crate::workload::traffic::{ReplayError, Request, Requests};

/// The requests and edits of one replication of a scenario, in time order, exactly as
/// `model::run` draws them for that replication.
#[derive(Clone, Debug)]
pub struct Workload {
    replication: u32,
    seed: u64,
    requests: Vec<Request>,
    edits: Vec<(SimTime, PageId)>,
}

impl Workload {
    /// Draws replication `replication` of `scenario`: its seed is
    /// `rng::replication_seed(scenario.seed, replication)`, as for every run of it. Fails if a
    /// trace's requests cannot be read back, as the run itself would.
    pub fn draw(scenario: &Scenario, replication: u32) -> Result<Workload, ReplayError> {
        let seed = rng::replication_seed(scenario.seed, replication);
        let requests = Requests::new(scenario, seed);
        let edits = Edits::new(scenario, &PageLayout::new(scenario), seed);
        Workload::of(replication, seed, requests, edits)
    }

    /// Keeps every request and edit of the streams; fails, as a run would, if the requests
    /// ended because a trace could not be read back.
    fn of(
        replication: u32,
        seed: u64,
        mut requests: Requests,
        edits: impl Iterator<Item = (SimTime, PageId)>,
    ) -> Result<Workload, ReplayError> {
        let kept: Vec<Request> = requests.by_ref().collect();
        match requests.failure() {
            Some(failure) => Err(failure),
            None => Ok(Workload {
                replication,
                seed,
                requests: kept,
                edits: edits.collect(),
            }),
        }
    }

    pub fn replication(&self) -> u32 {
        self.replication
    }

    /// The replication's seed (`rng::replication_seed`).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The users' requests, in time order.
    pub fn requests(&self) -> &[Request] {
        &self.requests
    }

    /// The editors' edits (when, which page), in time order.
    pub fn edits(&self) -> &[(SimTime, PageId)] {
        &self.edits
    }
}

/// Plays policy `policy` of `scenario` on `workload`, which must have been drawn from this
/// scenario (`Workload::draw`); adds the simulated time to `progress` as it goes
/// (microseconds). The result is the one `model::run(scenario, policy, replication)` gives.
pub fn simulate_on(
    scenario: &Scenario,
    policy: usize,
    workload: &Workload,
    progress: Option<&AtomicU64>,
) -> RunResult {
    let id = RunId {
        point: 0,
        policy,
        replication: workload.replication,
        seed: workload.seed,
    };
    let mut sim = Simulation::for_run(scenario, id, scenario.collector());
    sim.progress = progress;
    let requests = workload.requests.iter().copied();
    let (collector, _) = sim.play(requests, workload.edits.iter().copied());
    collector.finish(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::run;
    use std::path::Path;

    /// The whole result of a run, every field and every float to the last bit.
    fn whole(r: &RunResult) -> String {
        format!("{r:?}")
    }

    /// Every policy of `scenario`, on each of its first two replications, played on one
    /// `Workload` (shared by threads, as a search over policies shares it) equals its own `model::run`.
    fn same_as_run(scenario: &Scenario) {
        for replication in 0..2 {
            let workload = Workload::draw(scenario, replication).unwrap();
            assert!(!workload.requests().is_empty());
            let shared = std::thread::scope(|s| {
                let runs: Vec<_> = (0..scenario.policies.len())
                    .map(|p| {
                        let w = &workload;
                        s.spawn(move || simulate_on(scenario, p, w, None))
                    })
                    .collect();
                runs.into_iter()
                    .map(|r| r.join().unwrap())
                    .collect::<Vec<_>>()
            });
            for (p, on_workload) in shared.iter().enumerate() {
                let own = run(scenario, p, replication).unwrap();
                assert!(own.simulated_requests > 0 && own.metrics.get("regenerations") > Some(0.0));
                assert_eq!(
                    whole(on_workload),
                    whole(&own),
                    "policy {} replication {replication}",
                    scenario.policies[p].name
                );
            }
        }
    }

    const SITE: &str = r#"
name = "families"
duration = "20m"
warmup = "1m"
seed = 11
bucket = "1m"

[traffic]
pattern = "steady"
rate = 40

[[routes]]
name = "products"
pages = 300
popularity = 0.9
edit_every = "30m"
regen_time = { lognormal = { median = "300ms", p99 = "3s" } }
prerendered = true
tags = ["product:{page}", "category:{page % 10}"]

[[routes]]
name = "categories"
pages = 10
share = 0.2
depends_on = "products"
regen_time = "500ms"
tags = ["category:{page}"]

[cdn]
pops = 3
rtt = "10ms"
origin_rtt = "50ms"
purge_delay = { exponential = "300ms" }
purge_failure = 0.05
shield = { rtt = "20ms" }

[origin]
instances = 2
cache = "local"
rtt = "40ms"

[backend]
concurrency = 3
failure_rate = 0.01
timeout = "10s"

[[policies]]
name = "time-based"
revalidate = "45s"

[[policies]]
name = "regenerate"
on_edit = "regenerate"
webhook_delay = { exponential = "1s" }
purge_cdn = true

[[policies]]
name = "invalidate"
revalidate = "10m"
on_edit = "invalidate"
webhook_delay = "500ms"
broadcast = true

[[policies]]
name = "mark-stale"
on_edit = "mark-stale"
purge_cdn = true
purge = "soft"

[[policies]]
name = "revalidate-tag"
revalidate = "1h"
on_edit = "revalidate-tag"
tags = ["product:{page}", "category:{page % 10}"]
purge_cdn = true

[[policies]]
name = "schedule"
schedule = "2m"
purge_cdn = true
"#;

    #[test]
    fn every_policy_family_behind_a_shield_plays_the_same_on_a_drawn_workload() {
        let scenario = Scenario::parse(SITE, Path::new("families.toml")).unwrap();
        same_as_run(&scenario);
    }

    #[test]
    fn a_revalidation_queue_plays_the_same_on_a_drawn_workload() {
        let text = SITE
            .replace("[backend]", "[origin.queue]\ngroups = 2\n\n[backend]")
            .replace("shield = { rtt = \"20ms\" }\n", "");
        assert!(text.contains("[origin.queue]") && !text.contains("shield"));
        let scenario = Scenario::parse(&text, Path::new("queue.toml")).unwrap();
        same_as_run(&scenario);
    }

    #[test]
    fn a_replayed_trace_plays_the_same_on_a_drawn_workload() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/trace.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let scenario = Scenario::parse(&text, &path).unwrap();
        assert!(scenario.traffic.replay().is_some());
        same_as_run(&scenario);
    }

    #[test]
    fn a_trace_that_cannot_be_read_back_fails_to_draw() {
        // The failure `model::run` reports, rather than a short workload.
        let unreadable = crate::workload::traffic::tests::unreadable();
        let drawn = Workload::of(0, 1, unreadable, std::iter::empty());
        assert!(drawn.is_err());
    }
}
