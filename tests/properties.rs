//! Properties that must hold whatever the dice say (STYLE.md, "Tests assert behaviour against
//! something independent"): a bound on staleness with CDN purges, no lost requests, and common
//! random numbers across policies.

mod support;

use std::collections::HashMap;

use isrsim::metrics::RunResult;
use isrsim::model::{self, Served, Simulation, Trace, TracedResponse};
use isrsim::scenario::Scenario;
use isrsim::time::SimTime;
use isrsim::workload::content::{Edits, PageLayout};
use isrsim::workload::rng::{SimRng, replication_seed};
use isrsim::workload::traffic::{Request, Requests};
use isrsim::workload::{PageId, PopId};
use rand::{RngExt, SeedableRng};
use support::{metric, parse};

fn trace_of(trace: Option<Trace>) -> Trace {
    trace.expect("a simulation built with_trace returns its trace")
}

// ---- 4. With purge_cdn, staleness is bounded by webhook + regeneration + purge ---------------

const WEBHOOK_MAX: SimTime = SimTime::from_secs(3);
const REGEN_MAX: SimTime = SimTime::from_secs(2);
const PURGE_MAX: SimTime = SimTime::from_millis(1_500);

/// Edits of each page at gaps of at least `min_gap` (plus an exponential extra), merged in time
/// order, and each page's edit times (`by_page[p][k]` made version k + 1).
fn spaced_edits(
    pages: u32,
    duration: SimTime,
    min_gap: SimTime,
    mean_extra_s: f64,
    seed: u64,
) -> (Vec<(SimTime, PageId)>, Vec<Vec<SimTime>>) {
    let mut rng = SimRng::seed_from_u64(seed);
    let mut exp = move || -(1.0 - rng.random::<f64>()).ln() * mean_extra_s;
    let mut by_page = vec![Vec::new(); pages as usize];
    let mut all = Vec::new();
    for (page, times) in by_page.iter_mut().enumerate() {
        let mut t = SimTime::from_secs_f64(exp());
        while t < duration {
            times.push(t);
            all.push((t, PageId::at(page)));
            t = t + min_gap + SimTime::from_secs_f64(exp());
        }
    }
    all.sort();
    (all, by_page)
}

/// With `on_edit = "regenerate"` and `purge_cdn = true`, nothing lost and no time-based
/// revalidation, an edit at e reaches the origin by e + webhook delay, is in the cache of every
/// instance it reached by then + regeneration time, and the purge that follows each success
/// reaches every PoP within the purge delay. A PoP copy fetched before an instance's
/// regeneration finished is deleted by that regeneration's own purge, which is sent later. So no
/// response can carry content older than an edit made more than Dw + Dr + Dp ago, even under a
/// one-day CDN ttl.
///
/// Edits of one page are spaced by at least Dw + Dr, so that an edit's webhook never arrives
/// while the previous edit's regeneration is running: Next.js batches concurrent on-demand
/// revalidations of a page, so such a webhook would join a generation whose snapshot predates
/// the edit, and that edit would stay invisible until the next one (a real race, and no bound
/// holds across it).
#[test]
fn purged_cdn_is_never_stale_longer_than_webhook_plus_regeneration_plus_purge() {
    let bound = WEBHOOK_MAX + REGEN_MAX + PURGE_MAX;
    let variants = [
        // Several instances, each told by a broadcast webhook, each purging after its success.
        (
            "instances = 2",
            "broadcast = true",
            "purge = \"hard\"",
            "collapse = true",
        ),
        // One instance; a soft purge with no stale-while-revalidate left is a miss too.
        (
            "instances = 1",
            "broadcast = false",
            "purge = \"soft\"",
            "collapse = false",
        ),
    ];
    for (v, (instances, broadcast, purge, collapse)) in variants.into_iter().enumerate() {
        let text = format!(
            r#"
duration = "3h"
seed = {seed}

[traffic]
pattern = "steady"
rate = 40

[[routes]]
name = "posts"
pages = 10
popularity = 0.8
regen_time = {{ uniform = ["0s", "{regen}ms"] }}

[cdn]
pops = 4
ttl = "1d"
stale_while_revalidate = "0s"
{collapse}
purge_delay = {{ uniform = ["0s", "{purge_delay}ms"] }}
purge_failure = 0

[origin]
{instances}

[backend]
concurrency = "unlimited"
failure_rate = 0

[[policies]]
name = "on-demand"
on_edit = "regenerate"
webhook_delay = {{ uniform = ["0s", "{webhook}ms"] }}
webhook_failure = 0
{broadcast}
purge_cdn = true
{purge}
"#,
            seed = 40 + v,
            regen = REGEN_MAX.as_micros() / 1_000,
            purge_delay = PURGE_MAX.as_micros() / 1_000,
            webhook = WEBHOOK_MAX.as_micros() / 1_000,
        );
        let scenario = parse(&text);
        let seed = replication_seed(scenario.seed, 0);
        let (edits, by_page) = spaced_edits(
            10,
            scenario.duration,
            WEBHOOK_MAX + REGEN_MAX,
            90.0,
            seed ^ 0x5eed,
        );
        let requests = Requests::new(&scenario, seed);
        let (_, trace) = Simulation::new(&scenario, 0, 0)
            .with_trace()
            .run(requests, edits.iter().copied());
        let trace = trace_of(trace);

        let (mut stale, mut worst) = (0u64, SimTime::ZERO);
        for r in &trace.responses {
            let version = r.version.expect("nothing fails in this scenario") as usize;
            let times = &by_page[r.page.index()];
            // Edits are applied before requests at the same instant.
            let current = times.partition_point(|&e| e <= r.at);
            assert_eq!(
                r.stale,
                version < current,
                "the stale flag disagrees with the edit list: {r:?}"
            );
            if version < current {
                let age = r.at - times[version];
                assert!(
                    age <= bound,
                    "{instances}, {purge}: a response is stale for {age} (bound {bound}): {r:?}, edits {:?}",
                    &times[version..current]
                );
                stale += 1;
                worst = worst.max(age);
            }
        }
        println!(
            "{instances}, {purge}: {} responses, {} edits, {stale} stale, worst stale age {worst} (bound {bound})",
            trace.responses.len(),
            edits.len()
        );
        // The bound is not vacuous: users do see stale pages, for a good share of the bound.
        assert!(stale >= 100, "only {stale} stale responses");
        assert!(
            worst.as_micros() * 2 > bound.as_micros(),
            "the worst stale age {worst} is far below the bound"
        );
    }
}

// ---- 5. No request is lost ---------------------------------------------------------------------

const TIMEOUT_S: u64 = 2;

/// Deploys (rolling, purging the CDN), scaling up and down, a restart and a soft purge of the
/// whole CDN: instances that stop while generations are in flight and users wait on them.
const EVENTS: &str = r#"
[[events]]
kind = "deploy"
every = "7m"
build_concurrency = 3
rolling = "20s"
purge_cdn = true

[[events]]
kind = "scale"
at = "10m"
instances = 5

[[events]]
kind = "purge_all"
at = "15m"
purge = "soft"

[[events]]
kind = "scale"
at = "25m"
instances = 1

[[events]]
kind = "restart"
at = "30m"
"#;

/// Blocking pages, CDN collapsing, several instances, a small backend that queues, failures and
/// timeouts: every way a request can wait on something. `cdn` adds keys to `[cdn]` (`collapse`,
/// a shield), `origin` makes `[origin]`, `events` adds `[[events]]`.
fn churn_scenario(origin: &str, cdn: &str, events: &str) -> Scenario {
    parse(&format!(
        r#"
duration = "40m"
seed = 5

[traffic]
pattern = "bursty"
base_rate = 5
burst_rate = 80
burst_length = "1m"
burst_every = "8m"

[[routes]]
name = "posts"
pages = 60
popularity = 1.0
prerendered = false
edit_every = "3m"
regen_time = {{ lognormal = {{ median = "400ms", p99 = "5s" }} }}

[[routes]]
name = "categories"
pages = 4
share = 0.3
depends_on = "posts"
regen_time = {{ exponential = "800ms" }}

[cdn]
pops = 3
{cdn}
purge_delay = {{ exponential = "200ms" }}
purge_failure = 0.1

[origin]
{origin}

[backend]
concurrency = 2
failure_rate = 0.2
timeout = "{TIMEOUT_S}s"

[[policies]]
name = "time-10s"
revalidate = "10s"

[[policies]]
name = "invalidate"
on_edit = "invalidate"
webhook_delay = {{ exponential = "1s" }}
webhook_failure = 0.1
purge_cdn = true

[[policies]]
name = "mark-stale"
revalidate = "5m"
on_edit = "mark-stale"
purge_cdn = true
purge = "soft"

[[policies]]
name = "regenerate"
on_edit = "regenerate"
broadcast = true
purge_cdn = true
schedule = "10m"
{events}"#
    ))
}

/// Every response answers a distinct request of the stream, and every request is answered,
/// except ones still waiting when the run ends: those waited on a generation triggered no
/// earlier than they arrived, and every generation ends (succeeds, fails or times out) within
/// `timeout` of being triggered, so they arrived within `timeout` of the end.
#[test]
fn every_request_gets_exactly_one_response() {
    let variants = [
        (
            "instances = 3\ncache = \"local\"\nbalancer = \"round-robin\"",
            "collapse = true",
            "",
        ),
        (
            "instances = 3\ncache = \"shared\"\nlock = true\nbalancer = \"random\"",
            "collapse = true",
            "",
        ),
        (
            "instances = 2\ncache = \"local\"\nbalancer = \"hash\"",
            "collapse = false",
            "",
        ),
        (
            "instances = 3\ncache = \"local\"\nbalancer = \"round-robin\"",
            "collapse = true",
            EVENTS,
        ),
        (
            "instances = 2\ncache = \"shared\"\nbalancer = \"random\"",
            "collapse = false",
            EVENTS,
        ),
        // An origin shield that holds half the pages, and instances whose memory holds a sixth
        // of them without a disk: waiting on the shield's fetches, and on regenerations of pages
        // that memory lost.
        (
            "instances = 3\ncache = \"local\"\nbalancer = \"round-robin\"\nmemory = \"500KB\"\ndisk = false",
            "collapse = true\nshield = { rtt = \"20ms\", capacity = 32 }",
            EVENTS,
        ),
    ];
    let timeout = SimTime::from_secs(TIMEOUT_S);
    let (mut errors, mut blocked, mut abandoned, mut timed_out) = (0, 0, 0, 0);
    for (origin, cdn, events) in variants {
        let scenario = churn_scenario(origin, cdn, events);
        let seed = replication_seed(scenario.seed, 0);
        let requests: Vec<Request> = Requests::new(&scenario, seed).collect();
        for policy in 0..scenario.policies.len() {
            let label = format!(
                "{origin:?}, {cdn:?}, events {}, {}",
                !events.is_empty(),
                scenario.policies[policy].name
            );
            let edits = Edits::new(&scenario, &PageLayout::new(&scenario), seed);
            let sim = Simulation::new(&scenario, policy, 0).with_trace();
            let (result, trace) = sim.run(requests.iter().copied(), edits);
            let trace = trace_of(trace);

            let mut unanswered: HashMap<(SimTime, PageId, PopId), u32> = HashMap::new();
            for r in &requests {
                *unanswered.entry((r.at, r.page, r.pop)).or_default() += 1;
            }
            for r in &trace.responses {
                assert!(
                    r.at >= r.arrival,
                    "{label}: answered before it arrived: {r:?}"
                );
                let left = unanswered.get_mut(&(r.arrival, r.page, r.pop));
                match left {
                    Some(n) if *n > 0 => *n -= 1,
                    _ => panic!("{label}: a response to no request, or a second one: {r:?}"),
                }
            }
            let missing: Vec<SimTime> = unanswered
                .iter()
                .filter(|&(_, &n)| n > 0)
                .map(|(&(at, _, _), _)| at)
                .collect();
            for &at in &missing {
                assert!(
                    at + timeout >= scenario.duration,
                    "{label}: the request at {at} was never answered ({} requests, {} responses)",
                    requests.len(),
                    trace.responses.len()
                );
            }
            assert_eq!(
                result.simulated_requests,
                trace.responses.len() as u64,
                "{label}"
            );
            if cdn.contains("shield") {
                let through = result.metrics.get("shield_requests").unwrap_or(0.0);
                assert!(through > 0.0, "{label}: the shield was used");
            }
            println!(
                "{label}: {} requests, {} unanswered at the end",
                requests.len(),
                missing.len()
            );

            errors += trace
                .responses
                .iter()
                .filter(|r| r.served == Served::Error)
                .count();
            blocked += trace
                .responses
                .iter()
                .filter(|r| r.served == Served::Generated)
                .count();
            abandoned += trace
                .generations
                .iter()
                .filter(|g| g.started.is_none())
                .count();
            timed_out += trace
                .generations
                .iter()
                .filter(|g| {
                    g.started.is_some_and(|s| {
                        !g.ok && g.finished - g.triggered >= timeout && g.finished > s
                    })
                })
                .count();
        }
    }
    println!(
        "errors {errors}, blocked {blocked}, abandoned in the queue {abandoned}, timed out running {timed_out}"
    );
    // The scenario does exercise every path it is meant to.
    assert!(errors > 0 && blocked > 0 && abandoned > 0 && timed_out > 0);
}

// ---- 6. Common random numbers ------------------------------------------------------------------

/// Every policy of a replication sees the same users (docs/model.md §2.4): the same count of
/// requests after warm-up, the same count in every time bucket, and exactly the requests of the
/// replication's traffic stream, counted here on their own.
#[test]
fn every_policy_of_a_replication_sees_the_same_traffic() {
    let scenario = parse(
        r#"
duration = "2h"
warmup = "10m"
seed = 77
replications = 3
bucket = "1m"

[traffic]
pattern = "diurnal"
min_rate = 2
max_rate = 30
period = "1h"
peak_at = "20m"

[[routes]]
name = "posts"
pages = 300
popularity = 1.1
edit_every = "2h"
regen_time = { lognormal = { median = "300ms", p99 = "3s" } }

[[routes]]
name = "home"
pages = 1
share = 0.2
depends_on = "posts"
regen_time = "1s"

[cdn]
pops = 4

[origin]
instances = 2

[backend]
concurrency = 4
failure_rate = 0.01

[[policies]]
name = "time-60s"
revalidate = "60s"

[[policies]]
name = "on-demand"
on_edit = "regenerate"
webhook_delay = { exponential = "1s" }
purge_cdn = true

[[policies]]
name = "hybrid"
revalidate = "1h"
on_edit = "mark-stale"
purge_cdn = true
routes.home = { revalidate = "5m", on_edit = "none" }

[[policies]]
name = "scheduled"
schedule = "15m"
purge_cdn = true
"#,
    );
    for replication in 0..scenario.replications {
        let seed = replication_seed(scenario.seed, replication);
        let stream: Vec<Request> = Requests::new(&scenario, seed).collect();
        let counted = stream.iter().filter(|r| r.at >= scenario.warmup).count() as f64;
        let runs: Vec<RunResult> = (0..scenario.policies.len())
            .map(|p| model::run(&scenario, p, replication).unwrap())
            .collect();
        for run in &runs {
            let name = &scenario.policies[run.policy].name;
            assert_eq!(
                metric(run, "requests"),
                counted,
                "replication {replication}, {name}"
            );
            assert_eq!(
                run.simulated_requests,
                stream.len() as u64,
                "replication {replication}, {name}"
            );
            let per_bucket: Vec<u64> = run.timeseries.iter().map(|b| b.requests).collect();
            let first: Vec<u64> = runs[0].timeseries.iter().map(|b| b.requests).collect();
            assert_eq!(
                per_bucket, first,
                "replication {replication}, {name}: requests per bucket"
            );
        }
        println!("replication {replication}: {counted} requests after warm-up in every policy");
        // The policies do differ, so the equality above is not trivial.
        let stale: Vec<f64> = runs.iter().map(|r| metric(r, "stale_ratio")).collect();
        assert!(stale.windows(2).any(|w| w[0] != w[1]), "{stale:?}");
    }
}

// ---- 7. With a disk, bounded memory changes latency only ---------------------------------------

/// With `disk = true` an entry evicted from an instance's memory is read back exactly as it was
/// (docs/model.md §6.7), so every response carries what it would with unbounded memory, served
/// the same way at the same instant, and every generation runs the same; only the latency of a
/// response whose lookup read the disk is `disk_read` longer. Timers, on-demand `invalidate` and
/// `mark-stale`, several instances and a bounded CDN all go through the evicted entries.
#[test]
fn with_a_disk_bounded_memory_changes_latency_only() {
    let text = |memory: &str| {
        format!(
            r#"
duration = "20m"
seed = 5

[traffic]
pattern = "steady"
rate = 40

[[routes]]
name = "posts"
pages = 400
popularity = 0.7
edit_every = "30m"
page_size = "20KB"
regen_time = {{ uniform = ["100ms", "2s"] }}

[[routes]]
name = "drafts"
pages = 100
prerendered = false
page_size = "5KB"
edit_every = "1h"
regen_time = "500ms"

[cdn]
pops = 2
capacity = 150
rtt = "10ms"
origin_rtt = "50ms"

[origin]
instances = 3
{memory}

[[policies]]
name = "time-2m"
revalidate = "2m"

[[policies]]
name = "invalidate"
on_edit = "invalidate"
purge_cdn = true

[[policies]]
name = "mark-stale"
revalidate = "10m"
on_edit = "mark-stale"
broadcast = true
"#
        )
    };
    let unbounded = parse(&text(""));
    let bounded = parse(&text("memory = \"400KB\"\ndisk_read = \"3ms\""));
    let seed = replication_seed(unbounded.seed, 0);
    for policy in 0..unbounded.policies.len() {
        let play = |scenario: &Scenario| {
            let requests = Requests::new(scenario, seed);
            let edits = Edits::new(scenario, &PageLayout::new(scenario), seed);
            let sim = Simulation::new(scenario, policy, 0).with_trace();
            trace_of(sim.run(requests, edits).1)
        };
        let (plain, small) = (play(&unbounded), play(&bounded));
        assert_eq!(plain.generations, small.generations, "policy {policy}");
        assert_eq!(plain.responses.len(), small.responses.len());
        let mut read = 0;
        for (a, b) in plain.responses.iter().zip(&small.responses) {
            let same = TracedResponse {
                latency: a.latency,
                ..*b
            };
            assert_eq!(*a, same, "policy {policy}");
            match b.latency - a.latency {
                SimTime::ZERO => {}
                d if d == SimTime::from_millis(3) => read += 1,
                d => panic!("policy {policy}: a response {d} slower"),
            }
        }
        // 400 KB holds about a twentieth of the site: many lookups read the disk.
        let share = f64::from(read) / plain.responses.len() as f64;
        println!("policy {policy}: {read} responses read from disk ({share:.3})");
        assert!(share > 0.05, "policy {policy}: {share}");
    }
}
