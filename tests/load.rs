//! `isrsim load` against the in-process ISR origin of `support::origin` (Next.js's response
//! cache, in Rust): hand-worked timelines through the library, where each request and edit is
//! placed by hand, and an agreement check with the simulator. Every wait is bounded by the
//! run's duration plus the request timeout.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use hyper::Method;
use isrsim::driver::Driver;
use isrsim::load::site::Endpoint;
use isrsim::load::{Ending, Load, Options, Plan};
use isrsim::metrics::{RunId, RunResult};
use isrsim::scenario::Scenario;
use isrsim::time::SimTime;

mod support;

use support::metric;
use support::origin::{Origin, OriginConfig, free_port, load_options};

const RUN: RunId = RunId {
    point: 0,
    policy: 0,
    replication: 0,
    seed: 1,
};

/// Plays `requests` and `edits` (seconds, page) against a fresh origin with `revalidate`.
fn play(
    scenario: &Scenario,
    revalidate: Option<Duration>,
    requests: &[(f64, u32)],
    edits: &[(f64, u32)],
) -> (RunResult, Origin) {
    let (result, _, mut origins) = play_with(scenario, revalidate, 1, requests, edits, |_| {});
    (result, origins.remove(0))
}

/// `play` with `instances` origins (webhooks go to all of them, users to the first) and options
/// changed by `change`; also returns how the run ended.
fn play_with(
    scenario: &Scenario,
    revalidate: Option<Duration>,
    instances: usize,
    requests: &[(f64, u32)],
    edits: &[(f64, u32)],
    change: impl FnOnce(&mut Options),
) -> (RunResult, Ending, Vec<Origin>) {
    let cms = free_port();
    let origins: Vec<Origin> = (0..instances)
        .map(|i| {
            Origin::start(OriginConfig {
                revalidate,
                instance: format!("origin-{i}"),
                ..OriginConfig::new(cms)
            })
        })
        .collect();
    let origin = &origins[0];
    let at = |list: &[(f64, u32)]| {
        (list.iter())
            .map(|&(s, page)| (SimTime::from_secs_f64(s), page))
            .collect::<Vec<_>>()
    };
    let plan = Plan::scripted(at(requests), at(edits));
    let mut options = load_options(origin, cms);
    options.hooks.instances = (origins.iter())
        .map(|o| Endpoint::parse(&o.url(), false).unwrap())
        .collect();
    change(&mut options);
    let load = Load::scripted(options, plan);
    let result = load
        .run(scenario, RUN, &AtomicU64::new(0))
        .unwrap_or_else(|e| panic!("the load test failed: {e}"));
    (result, load.ending(), origins)
}

/// Two posts, regenerated in 100 ms, no warm-up.
fn site(duration: &str, policy: &str) -> Scenario {
    support::parse(&site_text(duration, policy))
}

fn site_text(duration: &str, policy: &str) -> String {
    format!(
        r#"
duration = "{duration}"
warmup = "0s"
[traffic]
pattern = "steady"
rate = 1
[[routes]]
name = "posts"
pages = 2
regen_time = "100ms"
[[policies]]
name = "p"
{policy}
"#
    )
}

fn close(got: f64, want: f64, within: f64, what: &str) {
    assert!(
        (got - want).abs() <= within,
        "{what}: {got} is not within {within} of {want}"
    );
}

#[test]
fn an_edit_then_stale_responses_then_a_regeneration_then_fresh() {
    // The origin's build is some 0.2-0.45 s older than the load test's time zero, so with a 1 s
    // timer page 0 goes stale between 0.55 and 0.8 s: no request falls near that.
    //   0.1  page 0  HIT v0, fresh
    //   0.2  edit of page 0 -> v1
    //   0.4  page 0  HIT v0, stale by 0.2 s
    //   1.3  page 0  STALE v0, stale by 1.1 s; starts a 100 ms regeneration -> v1 at ~1.4
    //   1.9  page 0  HIT v1, fresh: the edit became visible 1.7 s after it was made
    //   2.0  page 1  STALE v0, fresh (never edited); its regeneration returns v0: wasted
    let scenario = site("2.5s", "revalidate = \"1s\"");
    let (r, origin) = play(
        &scenario,
        Some(Duration::from_secs(1)),
        &[(0.1, 0), (0.4, 0), (1.3, 0), (1.9, 0), (2.0, 1)],
        &[(0.2, 0)],
    );
    assert_eq!(metric(&r, "requests"), 5.0);
    assert_eq!(metric(&r, "stale_responses"), 2.0);
    assert_eq!(metric(&r, "errors"), 0.0);
    assert_eq!(metric(&r, "regenerations"), 2.0);
    assert_eq!(metric(&r, "regenerations_wasted"), 1.0);
    assert_eq!(metric(&r, "regenerations_failed"), 0.0);
    assert_eq!(
        metric(&r, "storm_seconds"),
        0.0,
        "no regeneration waited for a slot"
    );
    assert_eq!(origin.regenerations(), 2);
    close(
        metric(&r, "stale_age_max_s"),
        1.1,
        0.05,
        "the oldest stale age",
    );
    close(
        metric(&r, "stale_age_p50_s"),
        0.2,
        0.05,
        "the first stale age",
    );
    close(
        metric(&r, "edit_visible_p50_s"),
        1.7,
        0.05,
        "the edit's lag",
    );
    assert_eq!(
        metric(&r, "cdn_hit_ratio"),
        0.0,
        "no CDN: the origin answered"
    );
    assert_eq!(metric(&r, "origin_requests"), 5.0);
}

#[test]
fn an_on_demand_webhook_arrives_after_its_delay_and_the_next_response_is_fresh() {
    //   0.2  edit of page 0 -> v1; its webhook leaves 300 ms later
    //   0.3  page 0  HIT v0, stale by 0.1 s
    //   0.5  the webhook: a 100 ms regeneration, v1 stored at ~0.6
    //   0.45 page 0  HIT v0, stale by 0.25 s (the webhook has not arrived)
    //   0.9  page 0  HIT v1, fresh
    let scenario = site(
        "1.2s",
        "on_edit = \"regenerate\"\nwebhook_delay = \"300ms\"",
    );
    let (r, origin) = play(
        &scenario,
        None,
        &[(0.3, 0), (0.45, 0), (0.9, 0)],
        &[(0.2, 0)],
    );
    assert_eq!(origin.webhooks(), 1);
    assert_eq!(metric(&r, "regenerations"), 1.0);
    assert_eq!(metric(&r, "stale_responses"), 2.0);
    close(
        metric(&r, "stale_age_max_s"),
        0.25,
        0.05,
        "the last stale age",
    );
    close(
        metric(&r, "edit_visible_p50_s"),
        0.7,
        0.05,
        "the edit's lag",
    );
}

#[test]
fn a_minute_of_steady_traffic_measures_what_the_simulations_predict() {
    // The in-process origin follows the model's origin (docs/model.md §6), so the measurement
    // of replication 0 must fall within the spread of simulated replications: this checks the
    // measurement (users, judgement, counting), not the model.
    let scenario = support::parse(
        r#"
duration = "60s"
warmup = "5s"
seed = 3
[traffic]
pattern = "steady"
rate = 40
[[routes]]
name = "posts"
pages = 20
edit_every = "10s"
regen_time = "100ms"
[[policies]]
name = "time-2s"
revalidate = "2s"
"#,
    );
    let cms = free_port();
    let origin = Origin::start(OriginConfig {
        revalidate: Some(Duration::from_secs(2)),
        ..OriginConfig::new(cms)
    });
    let run = RunId {
        seed: isrsim::workload::rng::replication_seed(3, 0),
        ..RUN
    };
    let measured = Load::new(load_options(&origin, cms))
        .run(&scenario, run, &AtomicU64::new(0))
        .unwrap();
    let simulated: Vec<RunResult> = (0..20)
        .map(|r| isrsim::model::run(&scenario, 0, r).unwrap())
        .collect();
    for name in [
        "stale_ratio",
        "regenerations",
        "stale_responses",
        "requests",
    ] {
        let values: Vec<f64> = simulated.iter().map(|r| metric(r, name)).collect();
        let (low, high) = values
            .iter()
            .fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
        let got = metric(&measured, name);
        assert!(
            (low..=high).contains(&got),
            "{name}: measured {got}, simulated {low}..{high}"
        );
    }
    // Replication 0 of the simulation saw the very same users and edits.
    let same = metric(&simulated[0], "requests");
    assert_eq!(metric(&measured, "requests"), same);
    assert_eq!(metric(&measured, "errors"), 0.0);
}

#[test]
fn a_broadcast_webhook_reaches_every_instance_and_a_single_one_only_one() {
    //   0.2  edit of page 0; its webhook leaves 100 ms later, to both instances or to one
    for (broadcast, each) in [(true, [1, 1]), (false, [1, 0])] {
        let policy =
            format!("on_edit = \"regenerate\"\nwebhook_delay = \"100ms\"\nbroadcast = {broadcast}");
        let scenario = support::parse(&format!(
            "{}\n[origin]\ninstances = 2\nbalancer = \"round-robin\"\n",
            site_text("800ms", &policy)
        ));
        let (r, ending, origins) = play_with(&scenario, None, 2, &[(0.6, 0)], &[(0.2, 0)], |_| {});
        let got: Vec<u64> = origins.iter().map(Origin::webhooks).collect();
        assert_eq!(got, each, "broadcast = {broadcast}");
        assert_eq!(ending.webhooks, (each.iter().sum(), 0));
        assert_eq!(metric(&r, "regenerations"), each.iter().sum::<u64>() as f64);
        assert_eq!(
            metric(&r, "stale_responses"),
            0.0,
            "the first instance regenerated by 0.6 s"
        );
    }
}

#[test]
fn a_purge_follows_an_invalidation_after_the_cdns_purge_delay() {
    // The purge is sent to the origin's own webhook (POST, mode=mark-stale), so the test can
    // count it: 0.2 edit, 0.3 invalidation webhook, 0.4 purge.
    let scenario = support::parse(&format!(
        "{}\n[cdn]\npurge_delay = \"100ms\"\n",
        site_text(
            "800ms",
            "on_edit = \"invalidate\"\nwebhook_delay = \"100ms\"\npurge_cdn = true"
        )
    ));
    let (_, ending, origins) = play_with(&scenario, None, 1, &[(0.6, 0)], &[(0.2, 0)], |o| {
        o.hooks.purge_url = "{cdn}/api/revalidate?path={path}&mode=mark-stale".into();
        o.hooks.purge_method = Method::POST;
    });
    assert_eq!(ending.webhooks, (1, 0));
    assert_eq!(ending.purges, (1, 0));
    assert_eq!(origins[0].webhooks(), 2, "the webhook and the purge");
}

#[test]
fn a_schedule_sends_a_regeneration_every_period_from_a_random_phase() {
    // Two pages, a 500 ms period over 1.2 s: each page ticks at its phase (within the first
    // period), then every 500 ms: twice or three times.
    let scenario = site("1.2s", "schedule = \"500ms\"");
    let (r, ending, origins) = play_with(&scenario, None, 1, &[(0.05, 1)], &[], |_| {});
    let sent = origins[0].webhooks();
    assert!((4..=6).contains(&sent), "{sent} scheduled regenerations");
    assert_eq!(ending.webhooks, (sent, 0));
    assert_eq!(metric(&r, "regenerations"), sent as f64);
}

#[test]
fn a_scheduled_regeneration_purges_the_cdn_only_when_it_changed_the_page() {
    // Two pages ticking every 500 ms over 1.2 s, page 0 edited at 0.3 s. Of page 0's ticks,
    // exactly one is the first after the edit: it fetches v1, the version the origin did not
    // hold, and is followed by a purge; every other tick of either page fetches the version its
    // origin already held (the build's v0, or v1 again), as the simulator's schedule does
    // without a purge (docs/model.md §8.4).
    let text = site_text("1.2s", "schedule = \"500ms\"\npurge_cdn = true");
    let scenario = support::parse(&text.replace("[[policies]]", "[cdn]\npops = 1\n[[policies]]"));
    let (r, ending, origins) = play_with(&scenario, None, 1, &[(0.05, 1)], &[(0.3, 0)], |_| {});
    let ticks = ending.webhooks.0;
    assert!((4..=6).contains(&ticks), "{ticks} scheduled regenerations");
    assert_eq!(ending.webhooks, (ticks, 0));
    assert_eq!(
        ending.purges,
        (1, 0),
        "one purge: the tick that changed page 0"
    );
    assert_eq!(metric(&r, "regenerations_wasted"), ticks as f64 - 1.0);
    let purged: Vec<String> = (origins[0].calls().into_iter())
        .filter(|c| c.method == "PURGE")
        .map(|c| c.uri)
        .collect();
    assert_eq!(purged, ["/posts/0"]);
}
