//! Hand-worked timelines (STYLE.md: "a hand-worked timeline of a few requests").
//!
//! Each test feeds a handful of exact requests and edits to one run, with constant regeneration
//! times and delays, and checks the trace against a timeline worked out by hand from
//! docs/model.md in the comment above it. Conventions of the model that the timelines rely on:
//! - at one instant, events the model scheduled (a generation finishing, a timeout, a webhook, a
//!   purge) run first, then edits, then requests;
//! - content starts at version 0 and each edit adds one; prerendered pages are in every ISR cache
//!   with version 0 stored at t=0;
//! - latency is `origin.rtt` + blocking without a CDN; with one it is `cdn.rtt`, plus the
//!   shield's `rtt` when the shield answered or the request went through it, plus
//!   `cdn.origin_rtt` + blocking when the user waited on the origin.
//!
//! A response is written `(served, version, stale, answered at, latency)`, and a row of an
//! expected timeline `(arrival, served, version, stale, answered at, latency)` in seconds.

mod timeline_support;

use isrsim::model::{Cause, Purged, Served, Tier, TracedGeneration};
use isrsim::scenario::{PurgeKind, Scenario};
use isrsim::workload::{InstanceId, PageId, PopId};
use timeline_support::{
    Timeline, assert_close, edit, get, get_via, gets, one_page, run, run_replication, scenario,
    secs,
};

/// Time-based ISR with `revalidate = 60s`.
const TIME_60S: &str = r#"
[[policies]]
name = "time-60s"
revalidate = "60s"
"#;

/// One page regenerating in 2s that is not prerendered: the first request for it blocks.
const ONE_COLD_PAGE_2S: &str = r#"
[[routes]]
name = "posts"
pages = 1
regen_time = "2s"
prerendered = false
"#;

/// One prerendered page regenerating in 1s, on a backend where every generation fails.
fn one_failing_page(duration: &str, policy: &str) -> Scenario {
    one_page(
        duration,
        "1s",
        &format!("[backend]\nfailure_rate = 1.0\n{policy}"),
    )
}

/// A generation of page 0 on instance 0 that started as soon as it was triggered, snapshotted
/// version `snapshot` and stored it at `finished` (times in seconds).
fn generation(cause: Cause, triggered: f64, finished: f64, snapshot: u32) -> TracedGeneration {
    TracedGeneration {
        page: PageId(0),
        instance: Some(InstanceId(0)),
        cause,
        triggered: secs(triggered),
        started: Some(secs(triggered)),
        finished: secs(finished),
        snapshot: Some(snapshot),
        ok: true,
    }
}

/// As `generation`, but it failed at `finished`: nothing was stored.
fn failed(cause: Cause, triggered: f64, finished: f64, snapshot: u32) -> TracedGeneration {
    TracedGeneration {
        ok: false,
        ..generation(cause, triggered, finished, snapshot)
    }
}

// ---- origin only (no `[cdn]`) ---------------------------------------------------------------

/// revalidate 60s, regen 1s, origin rtt 50ms. v0 is stored at 0, fresh until 60.
/// - 10: HIT v0 (fresh), latency 50ms.
/// - 20: edit, content is v1.
/// - 70: 70 >= 60, STALE: v0 at once (stale, age 70 - 20 = 50s); a background regeneration
///   starts at 70, snapshots v1, and stores it at 71, fresh until 131.
/// - 72: HIT v1. The edit became visible 72 - 20 = 52s after it was made.
#[test]
fn origin_hit_then_stale_then_fresh() {
    let s = one_page(
        "200s",
        "1s",
        &format!(
            r#"
[origin]
rtt = "50ms"
{TIME_60S}"#
        ),
    );
    let t = run(&s, 0, gets(&[10.0, 70.0, 72.0], 0), vec![edit(20.0, 0)]);
    let rtt = 0.05;
    t.assert_answers(
        0,
        &[
            (10.0, Served::OriginHit, Some(0), false, 10.0, rtt),
            (70.0, Served::OriginStale, Some(0), true, 70.0, rtt),
            (72.0, Served::OriginHit, Some(1), false, 72.0, rtt),
        ],
    );
    assert_eq!(
        t.trace.generations,
        vec![generation(Cause::Background, 70.0, 71.0, 1)]
    );
    assert_eq!(t.metric("requests"), 3.0);
    assert_eq!(t.metric("stale_responses"), 1.0);
    assert_eq!(t.metric("regenerations"), 1.0);
    assert_eq!(t.metric("regenerations_wasted"), 0.0);
    assert_close(t.metric("stale_age_max_s"), 50.0, "stale age");
    assert_close(t.metric("edit_visible_p50_s"), 52.0, "edit visible");
}

/// revalidate 60s, regen 5s, edit at 30 (content v1).
/// - 61: STALE v0, one background regeneration 61 -> 66, snapshot v1.
/// - 62, 63, 64, 65.9: STALE v0; a regeneration is in flight for the page on this instance, so
///   none starts.
/// - 66: the generation finishing at 66 runs before the request at 66: HIT v1.
#[test]
fn origin_deduplicates_background_regeneration() {
    let s = one_page("100s", "5s", TIME_60S);
    let during = [61.0, 62.0, 63.0, 64.0, 65.9];
    let mut requests = gets(&during, 0);
    requests.push(get(66.0, 0));
    let t = run(&s, 0, requests, vec![edit(30.0, 0)]);
    for at in during {
        t.assert_answers(0, &[(at, Served::OriginStale, Some(0), true, at, 0.0)]);
    }
    t.assert_answers(0, &[(66.0, Served::OriginHit, Some(1), false, 66.0, 0.0)]);
    assert_eq!(
        t.trace.generations,
        vec![generation(Cause::Background, 61.0, 66.0, 1)]
    );
    assert_eq!(t.metric("regenerations"), 1.0);
    assert_eq!(t.metric("regenerations_duplicate"), 0.0);
}

/// Every generation fails (`failure_rate = 1`). revalidate 10s, so the back-off is
/// min(max(10s, 3s), 30s) = 10s, counted from the failure.
/// - 10: STALE (fresh until 10). Regeneration 10 -> 11 fails; fresh again until 11 + 10 = 21.
/// - 12, 20.5: HIT v0, nothing triggered. (Counted from the trigger, 20.5 would be stale.)
/// - 21: STALE again, a second regeneration 21 -> 22, which fails too.
#[test]
fn origin_backs_off_after_a_failure_for_the_revalidate_interval() {
    let s = one_failing_page(
        "60s",
        r#"
[[policies]]
name = "time-10s"
revalidate = "10s"
"#,
    );
    let t = run(&s, 0, gets(&[10.0, 12.0, 20.5, 21.0], 0), vec![]);
    assert_eq!(t.got(0, 10.0).0, Served::OriginStale);
    assert_eq!(t.got(0, 12.0).0, Served::OriginHit);
    assert_eq!(t.got(0, 20.5).0, Served::OriginHit);
    t.assert_answers(0, &[(21.0, Served::OriginStale, Some(0), false, 21.0, 0.0)]);
    assert_eq!(
        t.trace.generations,
        vec![
            failed(Cause::Background, 10.0, 11.0, 0),
            failed(Cause::Background, 21.0, 22.0, 0),
        ]
    );
    assert_eq!(t.metric("regenerations_failed"), 2.0);
}

/// As above with revalidate 1h: the back-off is capped at 30s.
/// - 3600: STALE; regeneration 3600 -> 3601 fails; fresh until 3631 (not 3601 + 1h).
/// - 3630.5: HIT. 3631: STALE and a new regeneration.
#[test]
fn origin_back_off_is_capped_at_30s() {
    let s = one_failing_page(
        "3700s",
        r#"
[[policies]]
name = "time-1h"
revalidate = "1h"
"#,
    );
    let t = run(&s, 0, gets(&[3600.0, 3630.5, 3631.0], 0), vec![]);
    assert_eq!(t.got(0, 3600.0).0, Served::OriginStale);
    assert_eq!(t.got(0, 3630.5).0, Served::OriginHit);
    assert_eq!(t.got(0, 3631.0).0, Served::OriginStale);
    let triggered: Vec<_> = t
        .trace
        .generations
        .iter()
        .map(|g| (g.triggered, g.ok))
        .collect();
    assert_eq!(
        triggered,
        vec![(secs(3600.0), false), (secs(3631.0), false)]
    );
}

/// No timer: the back-off is 30s. The page goes stale only through `mark-stale` (webhook at 5).
/// - 10: STALE v0 (stale: edited at 5); regeneration 10 -> 11 fails; fresh until 41.
/// - 40.5: HIT v0, still stale content. 41: STALE and a second regeneration.
#[test]
fn origin_back_off_without_a_timer_is_30s() {
    let s = one_failing_page(
        "100s",
        r#"
[[policies]]
name = "tag"
on_edit = "mark-stale"
"#,
    );
    let t = run(&s, 0, gets(&[10.0, 40.5, 41.0], 0), vec![edit(5.0, 0)]);
    t.assert_answers(
        0,
        &[
            (10.0, Served::OriginStale, Some(0), true, 10.0, 0.0),
            (40.5, Served::OriginHit, Some(0), true, 40.5, 0.0),
        ],
    );
    assert_eq!(t.got(0, 41.0).0, Served::OriginStale);
    let runs: Vec<_> = t
        .trace
        .generations
        .iter()
        .map(|g| (g.triggered, g.finished, g.ok))
        .collect();
    assert_eq!(
        runs,
        vec![
            (secs(10.0), secs(11.0), false),
            (secs(41.0), secs(42.0), false)
        ]
    );
}

/// `prerendered = false`, regen 2s, origin rtt 50ms, no timer.
/// - 1.0: absent, blocks; one generation 1.0 -> 3.0 (snapshot v0).
/// - 1.2, 1.5: absent, join that generation.
/// - 3.0: all three answered with v0: latencies 2.0, 1.8, 1.5 s, each + 50ms.
/// - 3.5: HIT, 50ms.
///
/// With `failure_rate = 1` the three get an error at 3.0; the failed generation leaves the page
/// absent, so 3.5 blocks again on a new generation and gets an error at 5.5.
#[test]
fn origin_requests_join_one_blocking_generation() {
    let body = |failure: f64| {
        format!(
            r#"{ONE_COLD_PAGE_2S}
[origin]
rtt = "50ms"

[backend]
failure_rate = {failure:?}

[[policies]]
name = "none"
"#
        )
    };
    let at = [1.0, 1.2, 1.5, 3.5];

    let t = run(&scenario("10s", &body(0.0)), 0, gets(&at, 0), vec![]);
    t.assert_answers(
        0,
        &[
            (1.0, Served::Generated, Some(0), false, 3.0, 2.05),
            (1.2, Served::Generated, Some(0), false, 3.0, 1.85),
            (1.5, Served::Generated, Some(0), false, 3.0, 1.55),
            (3.5, Served::OriginHit, Some(0), false, 3.5, 0.05),
        ],
    );
    assert_eq!(
        t.trace.generations,
        vec![generation(Cause::Blocking, 1.0, 3.0, 0)]
    );
    assert_eq!(t.metric("regenerations"), 1.0);
    assert_eq!(t.metric("errors"), 0.0);

    let t = run(&scenario("10s", &body(1.0)), 0, gets(&at, 0), vec![]);
    t.assert_answers(
        0,
        &[
            (1.0, Served::Error, None, false, 3.0, 2.05),
            (1.2, Served::Error, None, false, 3.0, 1.85),
            (1.5, Served::Error, None, false, 3.0, 1.55),
            (3.5, Served::Error, None, false, 5.5, 2.05),
        ],
    );
    assert_eq!(t.metric("errors"), 4.0);
    assert_eq!(t.metric("regenerations_failed"), 2.0);
}

/// `concurrency = 1`, two pages, revalidate 60s, regen 2s.
/// - 61.0: page 0 stale; A runs 61 -> 63 (snapshot v0).
/// - 61.5: page 1 stale; B joins the queue behind A.
/// - 62.0: page 1 edited (v1) while B waits.
/// - 63.0: A ends; B starts and snapshots v1 (the version when it starts, not when triggered);
///   B ends at 65. B waited 1.5s; the queue was busy over [61.5, 63): seconds 61 and 62.
/// - 64.0: page 1 STALE v0 (B in flight, nothing new). 65.0: page 1 HIT v1.
#[test]
fn backend_queue_forms_at_the_concurrency_limit() {
    let s = scenario(
        "100s",
        &format!(
            r#"
[[routes]]
name = "posts"
pages = 2
regen_time = "2s"

[backend]
concurrency = 1
{TIME_60S}"#
        ),
    );
    let requests = vec![get(61.0, 0), get(61.5, 1), get(64.0, 1), get(65.0, 1)];
    let t = run(&s, 0, requests, vec![edit(62.0, 1)]);
    assert_eq!(
        t.trace.generations,
        vec![
            generation(Cause::Background, 61.0, 63.0, 0),
            TracedGeneration {
                page: PageId(1),
                started: Some(secs(63.0)),
                ..generation(Cause::Background, 61.5, 65.0, 1)
            },
        ]
    );
    t.assert_answers(
        1,
        &[
            (61.5, Served::OriginStale, Some(0), false, 61.5, 0.0),
            (64.0, Served::OriginStale, Some(0), true, 64.0, 0.0),
            (65.0, Served::OriginHit, Some(1), false, 65.0, 0.0),
        ],
    );
    assert_eq!(t.metric("backend_inflight_peak"), 1.0);
    assert_close(t.metric("backend_wait_p99_s"), 1.5, "backend wait");
    assert_eq!(t.metric("storm_seconds"), 2.0);
}

/// Two instances, `cache = "shared"`, round-robin; revalidate 60s, regen 2s; edit at 30 (v1).
/// Without `lock`:
/// - 61.0 -> instance 0: STALE v0; generation 61 -> 63 on instance 0.
/// - 61.5 -> instance 1: the shared entry is still stale and instance 1 deduplicates only its
///   own work: a second generation 61.5 -> 63.5 (duplicate). It writes v1 over v1 (wasted).
/// - 64.0 -> instance 0: HIT v1.
///
/// With `lock = true` there is one regeneration per page across the cluster: 61.5 is STALE v0
/// and triggers nothing.
#[test]
fn shared_cache_duplicates_without_lock_and_not_with_it() {
    let shared = |lock: bool| {
        let tables = format!(
            r#"
[origin]
instances = 2
cache = "shared"
lock = {lock}
balancer = "round-robin"
{TIME_60S}"#
        );
        one_page("100s", "2s", &tables)
    };
    let requests = || gets(&[61.0, 61.5, 64.0], 0);
    let stale_then_fresh = [
        (61.5, Served::OriginStale, Some(0), true, 61.5, 0.0),
        (64.0, Served::OriginHit, Some(1), false, 64.0, 0.0),
    ];
    let first = generation(Cause::Background, 61.0, 63.0, 1);

    let t = run(&shared(false), 0, requests(), vec![edit(30.0, 0)]);
    t.assert_answers(0, &stale_then_fresh);
    let second = TracedGeneration {
        instance: Some(InstanceId(1)),
        ..generation(Cause::Background, 61.5, 63.5, 1)
    };
    assert_eq!(t.trace.generations, vec![first, second]);
    assert_eq!(t.metric("regenerations_duplicate"), 1.0);
    assert_eq!(t.metric("regenerations_wasted"), 1.0);

    let t = run(&shared(true), 0, requests(), vec![edit(30.0, 0)]);
    t.assert_answers(0, &stale_then_fresh);
    assert_eq!(t.trace.generations, vec![first]);
    assert_eq!(t.metric("regenerations_duplicate"), 0.0);
    assert_eq!(t.metric("regenerations_wasted"), 0.0);
}

/// `concurrency = 1`, `timeout = 3s`, revalidate 60s. Route `slow` (page 0) takes 6s, route
/// `fast` (pages 1, 2) takes 1s.
/// - 61.0: page 0 stale; A starts at once, its run would end at 67.
/// - 61.5: page 1 stale; B queues behind A.
/// - 64.0: A's timeout (61 + 3): A fails, but keeps its backend slot until its run ends at 67.
/// - 64.5: B's timeout (61.5 + 3) while still queued: B fails and never runs.
/// - 65.5: page 2 stale; C queues (A still holds the slot).
/// - 67.0: A's run ends; B is skipped, C starts: wait 1.5s + run 1s < 3s, done at 68.
/// - 70: every page is a HIT v0: pages 0 and 1 back off 30s after their failures, page 2 is
///   fresh since 68.
#[test]
fn backend_timeout_fails_queued_and_running_generations() {
    let s = scenario(
        "100s",
        &format!(
            r#"
[[routes]]
name = "slow"
pages = 1
regen_time = "6s"

[[routes]]
name = "fast"
pages = 2
regen_time = "1s"

[backend]
concurrency = 1
timeout = "3s"
{TIME_60S}"#
        ),
    );
    let mut requests = vec![get(61.0, 0), get(61.5, 1), get(65.5, 2)];
    requests.extend((0..3).map(|page| get(70.0, page)));
    let t = run(&s, 0, requests, vec![]);
    assert_eq!(
        t.trace.generations,
        vec![
            failed(Cause::Background, 61.0, 64.0, 0),
            TracedGeneration {
                page: PageId(1),
                started: None,
                snapshot: None,
                ..failed(Cause::Background, 61.5, 64.5, 0)
            },
            TracedGeneration {
                page: PageId(2),
                started: Some(secs(67.0)),
                ..generation(Cause::Background, 65.5, 68.0, 0)
            },
        ]
    );
    for page in 0..3 {
        assert_eq!(t.got(page, 70.0).0, Served::OriginHit, "page {page}");
    }
    assert_eq!(t.metric("regenerations_failed"), 2.0);
    assert_eq!(t.metric("backend_inflight_peak"), 1.0);
}

/// docs/model.md §7: a generation fails "when its queue wait plus run time exceeds `timeout`".
/// With `regen_time = "3s"`, `timeout = "3s"` and no queue, wait + run = 3s does not exceed 3s,
/// so the regeneration 61 -> 64 should succeed and 64.5 should be a HIT v1.
#[test]
fn backend_timeout_equal_to_run_time_does_not_fail() {
    let s = one_page(
        "100s",
        "3s",
        &format!(
            r#"
[backend]
timeout = "3s"
{TIME_60S}"#
        ),
    );
    let t = run(&s, 0, gets(&[61.0, 64.5], 0), vec![edit(30.0, 0)]);
    assert_eq!(
        t.trace.generations,
        vec![generation(Cause::Background, 61.0, 64.0, 1)]
    );
    t.assert_answers(0, &[(64.5, Served::OriginHit, Some(1), false, 64.5, 0.0)]);
}

// ---- CDN and policies -----------------------------------------------------------------------

/// One PoP (cdn rtt 10ms, origin rtt 40ms), `ttl = 30s`, `stale_while_revalidate = 1h`; the
/// origin has no timer and regenerates on the edit's webhook (regen 1s), without purging.
/// - 10: MISS; the origin has v0 fresh: stored at the PoP, fresh until 40. Latency 50ms.
/// - 20: edit; webhook at once; regeneration 20 -> 21 stores v1 at the origin.
/// - 30: CDN HIT v0, stale while the origin already holds v1.
/// - 45: age 35 >= 30: CDN STALE v0 (10ms); the background fetch gets v1 from the origin.
/// - 46: CDN HIT v1.
#[test]
fn cdn_stale_then_background_fetch_then_hit() {
    let s = one_page(
        "100s",
        "1s",
        r#"
[cdn]
pops = 1
ttl = "30s"
stale_while_revalidate = "1h"
rtt = "10ms"
origin_rtt = "40ms"

[[policies]]
name = "on-demand"
on_edit = "regenerate"
"#,
    );
    let t = run(
        &s,
        0,
        gets(&[10.0, 30.0, 45.0, 46.0], 0),
        vec![edit(20.0, 0)],
    );
    let (edge, full) = (0.01, 0.05);
    t.assert_answers(
        0,
        &[
            (10.0, Served::OriginHit, Some(0), false, 10.0, full),
            (30.0, Served::CdnHit, Some(0), true, 30.0, edge),
            (45.0, Served::CdnStale, Some(0), true, 45.0, edge),
            (46.0, Served::CdnHit, Some(1), false, 46.0, edge),
        ],
    );
    assert_eq!(
        t.trace.generations,
        vec![generation(Cause::OnDemand, 20.0, 21.0, 1)]
    );
    assert_eq!(t.metric("origin_requests"), 2.0);
    assert_eq!(t.metric("cdn_hit_ratio"), 0.75);
    assert_eq!(t.metric("cdn_behind_origin_ratio"), 0.5);
    assert_close(t.metric("edit_visible_p50_s"), 26.0, "edit visible");
}

/// A cold PoP, `prerendered = false`, regen 2s, cdn rtt 10ms, origin rtt 40ms. Requests at 1.0,
/// 1.2 and 1.5 all MISS. The origin deduplicates the blocking generation (1.0 -> 3.0) either
/// way, and all three users get v0 at 3.0 after 2.0, 1.8 and 1.5 s (+ 50ms).
/// - `collapse = true`: 1.2 and 1.5 wait on the PoP's one fetch: 1 origin request.
/// - `collapse = false`: each MISS sends its own fetch: 3 origin requests.
#[test]
fn cdn_collapse_sends_one_origin_request() {
    for (collapse, origin_requests) in [(true, 1.0), (false, 3.0)] {
        let s = scenario(
            "10s",
            &format!(
                r#"{ONE_COLD_PAGE_2S}
[cdn]
pops = 1
collapse = {collapse}
rtt = "10ms"
origin_rtt = "40ms"

[[policies]]
name = "none"
"#
            ),
        );
        let t = run(&s, 0, gets(&[1.0, 1.2, 1.5, 4.0], 0), vec![]);
        t.assert_answers(
            0,
            &[
                (1.0, Served::Generated, Some(0), false, 3.0, 2.05),
                (1.2, Served::Generated, Some(0), false, 3.0, 1.85),
                (1.5, Served::Generated, Some(0), false, 3.0, 1.55),
                (4.0, Served::CdnHit, Some(0), false, 4.0, 0.01),
            ],
        );
        assert_eq!(
            t.metric("origin_requests"),
            origin_requests,
            "collapse {collapse}"
        );
        assert_eq!(t.metric("regenerations"), 1.0, "collapse {collapse}");
    }
}

/// revalidate 1h (CDN ttl 1h, swr 1y - 1h), `on_edit = "regenerate"`, `purge_cdn = true`,
/// purge delay 100ms, regen 2s, cdn rtt 10ms, origin rtt 40ms.
/// - 1: MISS, origin HIT v0, stored at the PoP.
/// - 10: edit; regeneration 10 -> 12 snapshots v1; the purge is sent at 12, arrives at 12.1.
/// - 11, 12.05: CDN HIT v0 (stale): the purge has not arrived.
/// - hard: 13 is a MISS and gets v1 from the origin (50ms); 14 is a CDN HIT v1.
/// - soft: 13 is a CDN STALE v0 (the entry is within its swr) and its background fetch stores
///   v1; 14 is a CDN HIT v1.
#[test]
fn cdn_soft_purge_serves_stale_once_and_hard_purge_misses() {
    for (kind, name) in [(PurgeKind::Hard, "hard"), (PurgeKind::Soft, "soft")] {
        let s = one_page(
            "100s",
            "2s",
            &format!(
                r#"
[cdn]
pops = 1
rtt = "10ms"
origin_rtt = "40ms"
purge_delay = "100ms"

[[policies]]
name = "on-demand"
revalidate = "1h"
on_edit = "regenerate"
purge_cdn = true
purge = "{name}"
"#
            ),
        );
        let requests = gets(&[1.0, 11.0, 12.05, 13.0, 14.0], 0);
        let t = run(&s, 0, requests, vec![edit(10.0, 0)]);
        let (edge, full) = (0.01, 0.05);
        let at_13 = match kind {
            PurgeKind::Hard => (13.0, Served::OriginHit, Some(1), false, 13.0, full),
            PurgeKind::Soft => (13.0, Served::CdnStale, Some(0), true, 13.0, edge),
        };
        t.assert_answers(
            0,
            &[
                (1.0, Served::OriginHit, Some(0), false, 1.0, full),
                (11.0, Served::CdnHit, Some(0), true, 11.0, edge),
                (12.05, Served::CdnHit, Some(0), true, 12.05, edge),
                at_13,
                (14.0, Served::CdnHit, Some(1), false, 14.0, edge),
            ],
        );
        assert_eq!(
            t.trace.purges,
            vec![(
                secs(12.1),
                Tier::Pop(PopId(0)),
                Purged::Page(PageId(0)),
                kind
            )]
        );
        assert_eq!(
            t.trace.generations,
            vec![generation(Cause::OnDemand, 10.0, 12.0, 1)]
        );
        assert_eq!(t.metric("origin_requests"), 2.0, "{name}");
    }
}

/// Four warm PoPs (v0, ttl 1y: no timer), `on_edit = "regenerate"` with a hard purge,
/// `purge_failure = 0.5`, no purge delay, regen 1s. Edit at 10; v1 at the origin at 11; the
/// purge is sent at 11 and arrives at 11 at each PoP that does not lose it.
/// - a PoP the purge reached: 20 is a MISS and gets v1 from the origin; 100 is a CDN HIT v1;
/// - a PoP that lost it: 20 and 100 are CDN HITs of v0, stale for as long as the year-long ttl.
///
/// The replication is searched for one where the purge reached some PoPs but not all.
#[test]
fn cdn_lost_purge_leaves_one_pop_stale() {
    let s = one_page(
        "200s",
        "1s",
        r#"
[cdn]
pops = 4
warm = true
purge_failure = 0.5

[[policies]]
name = "on-demand"
on_edit = "regenerate"
purge_cdn = true
"#,
    );
    let requests = || {
        (0..4u16)
            .flat_map(|pop| [get_via(20.0, 0, pop), get_via(100.0, 0, pop)])
            .collect::<Vec<_>>()
    };
    let (replication, t) = (0..64)
        .map(|rep| {
            (
                rep,
                run_replication(&s, 0, rep, requests(), vec![edit(10.0, 0)]),
            )
        })
        .find(|(_, t)| (1..4).contains(&t.trace.purges.len()))
        .expect("some replication loses the purge at some PoPs only");
    let reached: Vec<Tier> = t.trace.purges.iter().map(|p| p.1).collect();
    for p in &t.trace.purges {
        assert_eq!(
            (p.0, p.2, p.3),
            (secs(11.0), Purged::Page(PageId(0)), PurgeKind::Hard),
            "replication {replication}"
        );
    }
    let zero = secs(0.0);
    for pop in 0..4 {
        // A PoP the purge reached misses at 20 and keeps v1; one that lost it keeps stale v0.
        let (at_20, version, stale) = if reached.contains(&Tier::Pop(PopId(pop))) {
            (Served::OriginHit, Some(1), false)
        } else {
            (Served::CdnHit, Some(0), true)
        };
        assert_eq!(
            t.got_via(0, 20.0, pop),
            (at_20, version, stale, secs(20.0), zero),
            "PoP {pop}"
        );
        assert_eq!(
            t.got_via(0, 100.0, pop),
            (Served::CdnHit, version, stale, secs(100.0), zero),
            "PoP {pop}"
        );
    }
}

/// Runs one prerendered page regenerating in 2s under `policy`, edited at 10 and requested at
/// `at`: first at the origin alone, then behind the one PoP of `cdn`.
fn origin_only_then_with_cdn(
    duration: &str,
    policy: &str,
    cdn: &str,
    at: &[f64],
) -> (Timeline, Timeline) {
    let run_with = |tables: &str| {
        let s = one_page(duration, "2s", tables);
        run(&s, 0, gets(at, 0), vec![edit(10.0, 0)])
    };
    (run_with(policy), run_with(&format!("{cdn}{policy}")))
}

/// `on_edit = "invalidate"` (`revalidatePath`), webhook delay 500ms, no timer, regen 2s.
/// Origin only:
/// - 10: edit (v1); the webhook drops the entry at 10.5.
/// - 10.2: HIT v0, stale: the webhook has not arrived.
/// - 11: absent: blocks on a generation 11 -> 13 (snapshot v1), latency 2s.
/// - 12: joins it, latency 1s. 14: HIT v1.
///
/// Behind a warm PoP with `purge_cdn = true` (hard, no delay), cdn rtt 10ms, origin rtt 40ms:
/// the purge is sent with the webhook at 10.5, so 11 is a MISS that blocks at the origin
/// (answered at 13, 2.05s), 12 waits on the PoP's collapsed fetch (1.05s), 14 is a CDN HIT v1.
#[test]
fn invalidate_makes_the_next_request_block() {
    let policy = r#"
[[policies]]
name = "path"
on_edit = "invalidate"
webhook_delay = "500ms"
purge_cdn = true
"#;
    let cdn = r#"
[cdn]
pops = 1
warm = true
rtt = "10ms"
origin_rtt = "40ms"
"#;
    let (origin_only, with_cdn) =
        origin_only_then_with_cdn("100s", policy, cdn, &[10.2, 11.0, 12.0, 14.0]);
    let blocking = generation(Cause::Blocking, 11.0, 13.0, 1);
    origin_only.assert_answers(
        0,
        &[
            (10.2, Served::OriginHit, Some(0), true, 10.2, 0.0),
            (11.0, Served::Generated, Some(1), false, 13.0, 2.0),
            (12.0, Served::Generated, Some(1), false, 13.0, 1.0),
            (14.0, Served::OriginHit, Some(1), false, 14.0, 0.0),
        ],
    );
    assert_eq!(origin_only.trace.generations, vec![blocking]);

    assert_eq!(
        with_cdn.trace.purges,
        vec![(
            secs(10.5),
            Tier::Pop(PopId(0)),
            Purged::Page(PageId(0)),
            PurgeKind::Hard
        )]
    );
    with_cdn.assert_answers(
        0,
        &[
            (10.2, Served::CdnHit, Some(0), true, 10.2, 0.01),
            (11.0, Served::Generated, Some(1), false, 13.0, 2.05),
            (12.0, Served::Generated, Some(1), false, 13.0, 1.05),
            (14.0, Served::CdnHit, Some(1), false, 14.0, 0.01),
        ],
    );
    assert_eq!(with_cdn.trace.generations, vec![blocking]);
    assert_eq!(with_cdn.metric("origin_requests"), 1.0);
}

/// `on_edit = "mark-stale"` (`revalidateTag(tag, 'max')`), webhook delay 500ms, no timer, regen
/// 2s. Origin only:
/// - 10: edit (v1); the webhook marks the entry stale at 10.5.
/// - 10.2: HIT v0 (stale content). 11: STALE v0 at once, background regeneration 11 -> 13
///   (snapshot v1). 12: STALE v0, nothing new. 13, 1000: HIT v1 (no timer: fresh for good).
///
/// Behind a warm PoP with `purge_cdn = true` (hard, no delay): the purge at 10.5 empties the PoP,
/// 11 is a MISS that the origin answers STALE v0 with the full `s-maxage` of a page without a
/// timer (1y), so the PoP stores v0 again and serves it, stale, at 12, 13 and 1000, although the
/// origin has held v1 since 13.
#[test]
fn mark_stale_serves_stale_then_regenerates() {
    let policy = r#"
[[policies]]
name = "tag"
on_edit = "mark-stale"
webhook_delay = "500ms"
purge_cdn = true
"#;
    let cdn = r#"
[cdn]
pops = 1
warm = true
"#;
    let at = [10.2, 11.0, 12.0, 13.0, 1000.0];
    let (origin_only, with_cdn) = origin_only_then_with_cdn("2000s", policy, cdn, &at);
    let background = generation(Cause::Background, 11.0, 13.0, 1);
    origin_only.assert_answers(
        0,
        &[
            (10.2, Served::OriginHit, Some(0), true, 10.2, 0.0),
            (11.0, Served::OriginStale, Some(0), true, 11.0, 0.0),
            (12.0, Served::OriginStale, Some(0), true, 12.0, 0.0),
            (13.0, Served::OriginHit, Some(1), false, 13.0, 0.0),
            (1000.0, Served::OriginHit, Some(1), false, 1000.0, 0.0),
        ],
    );
    assert_eq!(origin_only.trace.generations, vec![background]);

    assert_eq!(
        with_cdn.trace.purges,
        vec![(
            secs(10.5),
            Tier::Pop(PopId(0)),
            Purged::Page(PageId(0)),
            PurgeKind::Hard
        )]
    );
    with_cdn.assert_answers(
        0,
        &[
            (11.0, Served::OriginStale, Some(0), true, 11.0, 0.0),
            (12.0, Served::CdnHit, Some(0), true, 12.0, 0.0),
            (13.0, Served::CdnHit, Some(0), true, 13.0, 0.0),
            (1000.0, Served::CdnHit, Some(0), true, 1000.0, 0.0),
        ],
    );
    assert_eq!(with_cdn.trace.generations, vec![background]);
    assert_close(
        with_cdn.metric("cdn_behind_origin_ratio"),
        2.0 / 5.0,
        "behind origin (13 and 1000)",
    );
}

/// Two instances with local caches, round-robin, no timer, `on_edit = "regenerate"`, regen 1s.
/// The balancer's turn is shared by webhooks and requests.
/// - `broadcast = false`: the webhook at 10 goes to instance 0 (the first turn), which holds v1
///   from 11. Requests at 20, 21, 22, 23 go to instances 1, 0, 1, 0: v0 (stale), v1, v0, v1.
/// - `broadcast = true`: both instances regenerate 10 -> 11 (the second is a duplicate), and every
///   request gets v1.
#[test]
fn webhook_without_broadcast_reaches_one_instance() {
    let at = [20.0, 21.0, 22.0, 23.0];
    for broadcast in [false, true] {
        let s = one_page(
            "100s",
            "1s",
            &format!(
                r#"
[origin]
instances = 2
balancer = "round-robin"

[[policies]]
name = "on-demand"
on_edit = "regenerate"
broadcast = {broadcast}
"#
            ),
        );
        let t = run(&s, 0, gets(&at, 0), vec![edit(10.0, 0)]);
        let on = |instance| TracedGeneration {
            instance: Some(InstanceId(instance)),
            ..generation(Cause::OnDemand, 10.0, 11.0, 1)
        };
        let versions: Vec<_> = at.iter().map(|&a| (t.got(0, a).1, t.got(0, a).2)).collect();
        if broadcast {
            assert_eq!(versions, vec![(Some(1), false); 4]);
            assert_eq!(t.trace.generations, vec![on(0), on(1)]);
            assert_eq!(t.metric("regenerations_duplicate"), 1.0);
        } else {
            let expected = vec![
                (Some(0), true),
                (Some(1), false),
                (Some(0), true),
                (Some(1), false),
            ];
            assert_eq!(versions, expected);
            assert_eq!(t.trace.generations, vec![on(0)]);
            assert_eq!(t.metric("stale_responses"), 2.0);
        }
        assert!(at.iter().all(|&a| t.got(0, a).0 == Served::OriginHit));
    }
}

/// The two layers compound. One PoP (cold), one instance, revalidate N = 60s, regen R = 2s, the
/// CDN takes the origin's header (ttl 60s, swr 1y - 60s), a request every 10ms from 0.
/// - 0: MISS; origin HIT v0 (stored at 0, fresh until 60); the PoP keeps it until 60.
/// - 60: the PoP's copy is stale: STALE, and a background fetch finds the origin stale too
///   (60 >= 60): the origin answers STALE v0 with the full s-maxage, so the PoP keeps that
///   until 120; the origin regenerates 60 -> 62 (snapshot at 60), fresh until 122.
/// - 120: PoP fetch, origin fresh: the 60 snapshot, kept until 180.
/// - 180: PoP fetch, origin stale: STALE (the 60 snapshot) kept until 240; regeneration
///   180 -> 182 snapshots the content at 180.
/// - 180.5: THE EDIT (v1), just after that snapshot.
/// - 240: PoP fetch, origin fresh (until 242): still the 180 snapshot, v0, kept until 300.
/// - 300: PoP fetch, origin stale: v0 again, kept until 360; regeneration 300 -> 302 snapshots v1.
/// - 360: the request at 360.00 is served STALE v0 and its fetch brings v1 (origin fresh until
///   362); 360.01 is the first response carrying v1.
///
/// The edit stays invisible for 360.01 - 180.5 = 179.51s: close to 3N, not N (+ R).
#[test]
fn cdn_and_origin_staleness_compound_to_about_three_intervals() {
    let (n, r) = (60.0, 2.0);
    let s = one_page(
        "400s",
        "2s",
        &format!(
            r#"
[cdn]
pops = 1
{TIME_60S}"#
        ),
    );
    let requests = (0..40_000u64).map(|k| get(k as f64 * 0.01, 0)).collect();
    let edit_at = 180.5;
    let t = run(&s, 0, requests, vec![edit(edit_at, 0)]);

    let first_fresh = t
        .trace
        .responses
        .iter()
        .find(|x| x.version == Some(1))
        .expect("the edit becomes visible before the end")
        .at;
    let expected = 360.01;
    let off_by = first_fresh.as_secs_f64() - expected;
    assert!(
        off_by.abs() <= r + 0.05,
        "first fresh response at {first_fresh}, expected {expected}s"
    );
    let invisible = first_fresh.as_secs_f64() - edit_at;
    assert!(
        invisible > 2.9 * n,
        "invisible for {invisible}s, expected close to 3N = {}s",
        3.0 * n
    );

    // Exact, from the timeline above.
    assert_eq!(first_fresh, secs(expected));
    assert_eq!(
        t.got(0, 360.0),
        (Served::CdnStale, Some(0), true, secs(360.0), secs(0.0))
    );
    let regenerations: Vec<_> = t
        .trace
        .generations
        .iter()
        .map(|g| (g.triggered, g.finished, g.snapshot))
        .collect();
    let expected_regenerations = vec![
        (secs(60.0), secs(62.0), Some(0)),
        (secs(180.0), secs(182.0), Some(0)),
        (secs(300.0), secs(302.0), Some(1)),
    ];
    assert_eq!(regenerations, expected_regenerations);
    // One origin request per s-maxage: at 0, 60, ..., 360.
    assert_eq!(t.metric("origin_requests"), 7.0);
    assert_close(
        t.metric("edit_visible_p50_s"),
        expected - edit_at,
        "edit visible",
    );
}

/// Expiry at the origin (docs/model.md §6.6): revalidate 10s, regen 1s, and two policies, the
/// first with Next.js's default `expireTime` (a year), the second with `expire = "30s"`.
/// v0 is stored at 0, fresh until 10; under the second it expires at 30. Edit at 20 (v1).
/// - 5: HIT v0 under both.
/// - 35, default: STALE v0 (stale, age 15s); a background regeneration 35 -> 36 stores v1.
/// - 35, expire 30s: 35 >= 30, so v0 is not served: the request blocks on a regeneration
///   35 -> 36 (snapshot v1), answered at 36 with v1 (`Generated`), latency 1s. The request at
///   35.5 joins it and is answered at 36 too. v1 is fresh until 46 and expires at 66.
/// - 50: STALE v1 (46 <= 50 < 66), not stale content; background regeneration 50 -> 51, which
///   renews the expiry to 81.
/// - 90, expire 30s: 90 >= 81, blocks 90 -> 91, `Generated` v1.
#[test]
fn an_entry_past_its_expire_time_blocks_the_request() {
    let s = one_page(
        "200s",
        "1s",
        r#"
[[policies]]
name = "default-expire"
revalidate = "10s"

[[policies]]
name = "expire-30s"
revalidate = "10s"
expire = "30s"
"#,
    );
    let requests = || gets(&[5.0, 35.0, 35.5, 50.0, 90.0], 0);
    let default = run(&s, 0, requests(), vec![edit(20.0, 0)]);
    default.assert_answers(
        0,
        &[
            (5.0, Served::OriginHit, Some(0), false, 5.0, 0.0),
            (35.0, Served::OriginStale, Some(0), true, 35.0, 0.0),
        ],
    );
    let t = run(&s, 1, requests(), vec![edit(20.0, 0)]);
    t.assert_answers(
        0,
        &[
            (5.0, Served::OriginHit, Some(0), false, 5.0, 0.0),
            (35.0, Served::Generated, Some(1), false, 36.0, 1.0),
            (35.5, Served::Generated, Some(1), false, 36.0, 0.5),
            (50.0, Served::OriginStale, Some(1), false, 50.0, 0.0),
            (90.0, Served::Generated, Some(1), false, 91.0, 1.0),
        ],
    );
    assert_eq!(
        t.trace.generations,
        vec![
            generation(Cause::Blocking, 35.0, 36.0, 1),
            generation(Cause::Background, 50.0, 51.0, 1),
            generation(Cause::Blocking, 90.0, 91.0, 1),
        ]
    );
    assert_eq!(t.metric("stale_responses"), 0.0);
}

/// A PoP that holds 2 of 3 prerendered pages (`capacity = 2`), no timer, cdn rtt 10ms, origin rtt
/// 40ms. The origin has every page fresh, so a PoP MISS is answered in 50ms with `OriginHit`.
/// - 1: page 0 MISS, stored: the PoP holds [0].
/// - 2: page 1 MISS, stored: [1, 0].
/// - 3: page 0 HIT (10ms); it becomes the most recently used: [0, 1].
/// - 4: page 2 MISS, stored; the PoP is over its capacity and evicts page 1, the least recently
///   used: [2, 0].
/// - 5: page 0 HIT. 6: page 1 MISS again (evicted), stored, evicting page 2: [1, 0].
/// - 7: page 2 MISS.
#[test]
fn a_full_pop_evicts_its_least_recently_used_page() {
    let s = scenario(
        "10s",
        r#"
[[routes]]
name = "posts"
pages = 3
regen_time = "1s"

[cdn]
pops = 1
capacity = 2
rtt = "10ms"
origin_rtt = "40ms"

[[policies]]
name = "none"
"#,
    );
    let requests = vec![
        get(1.0, 0),
        get(2.0, 1),
        get(3.0, 0),
        get(4.0, 2),
        get(5.0, 0),
        get(6.0, 1),
        get(7.0, 2),
    ];
    let t = run(&s, 0, requests, vec![]);
    let (hit, miss) = (0.01, 0.05);
    t.assert_answers(0, &[(1.0, Served::OriginHit, Some(0), false, 1.0, miss)]);
    t.assert_answers(0, &[(3.0, Served::CdnHit, Some(0), false, 3.0, hit)]);
    t.assert_answers(0, &[(5.0, Served::CdnHit, Some(0), false, 5.0, hit)]);
    t.assert_answers(1, &[(2.0, Served::OriginHit, Some(0), false, 2.0, miss)]);
    t.assert_answers(1, &[(6.0, Served::OriginHit, Some(0), false, 6.0, miss)]);
    t.assert_answers(2, &[(4.0, Served::OriginHit, Some(0), false, 4.0, miss)]);
    t.assert_answers(2, &[(7.0, Served::OriginHit, Some(0), false, 7.0, miss)]);
    assert_eq!(t.metric("origin_requests"), 5.0);
}

/// Three prerendered 10 KB pages and instances whose memory holds two (`memory = "20KB"`), with
/// or without a disk; origin rtt 10ms, `disk_read = 5ms`, `revalidate = 60s`, regenerations 1s.
fn three_pages_two_in_memory(disk: bool) -> Scenario {
    scenario(
        "100s",
        &format!(
            r#"
[[routes]]
name = "posts"
pages = 3
page_size = "10KB"
regen_time = "1s"

[origin]
rtt = "10ms"
memory = "20KB"
disk = {disk}
disk_read = "5ms"
{TIME_60S}"#
        ),
    )
}

/// The requests both disk timelines replay, and page 0's edit at 30.
fn memory_requests() -> Vec<isrsim::workload::traffic::Request> {
    vec![
        get(1.0, 0),
        get(2.0, 0),
        get(3.0, 1),
        get(4.0, 2),
        get(70.0, 0),
        get(72.0, 0),
        get(73.0, 1),
        get(74.0, 2),
        get(80.0, 0),
    ]
}

/// `disk = true`: an evicted page is read back from disk as it was, age and all, paying 5ms.
/// Memory starts empty (the build's files are on disk); `[a, b]` is memory, most recent first.
/// - 1: page 0 read from disk: fresh v0 (stored at 0), 15ms. [0]. 2: from memory, 10ms.
/// - 3: page 1 from disk, 15ms: [1, 0]. 4: page 2 from disk, 15ms: [2, 1]; page 0 is evicted to
///   disk as it was (v0 stored at 0).
/// - 30: page 0 edited (v1).
/// - 70: page 0 read back from disk with its age: stored at 0, past 60, so STALE v0 (and stale
///   content), 15ms, and a background regeneration 70-71 (v1). [0, 2].
/// - 72: page 0 from memory, fresh v1 (stored at 71), 10ms.
/// - 73: page 1 from disk, STALE v0 (by time; its content is current), 15ms; regenerates 73-74.
///   [1, 0].
/// - 74: page 1's regeneration stores first (events before requests): already most recent. Page 2
///   from disk, STALE v0, 15ms, regenerates 74-75: [2, 1]; page 0 is evicted to disk as v1 stored
///   at 71.
/// - 80: page 0 read back from disk: fresh v1 (stored at 71, fresh until 131), 15ms.
#[test]
fn an_evicted_page_is_read_back_from_disk_with_its_age() {
    let t = run(
        &three_pages_two_in_memory(true),
        0,
        memory_requests(),
        vec![edit(30.0, 0)],
    );
    let (memory, disk) = (0.010, 0.015);
    t.assert_answers(
        0,
        &[
            (1.0, Served::OriginHit, Some(0), false, 1.0, disk),
            (2.0, Served::OriginHit, Some(0), false, 2.0, memory),
            (70.0, Served::OriginStale, Some(0), true, 70.0, disk),
            (72.0, Served::OriginHit, Some(1), false, 72.0, memory),
            (80.0, Served::OriginHit, Some(1), false, 80.0, disk),
        ],
    );
    t.assert_answers(
        1,
        &[
            (3.0, Served::OriginHit, Some(0), false, 3.0, disk),
            (73.0, Served::OriginStale, Some(0), false, 73.0, disk),
        ],
    );
    t.assert_answers(
        2,
        &[
            (4.0, Served::OriginHit, Some(0), false, 4.0, disk),
            (74.0, Served::OriginStale, Some(0), false, 74.0, disk),
        ],
    );
    let ran: Vec<_> = t.trace.generations.iter().map(|g| g.page.0).collect();
    assert_eq!(ran, vec![0, 1, 2]);
    assert_eq!(
        t.trace.generations[0],
        generation(Cause::Background, 70.0, 71.0, 1)
    );
}

/// `disk = false` (`isrFlushToDisk: false`): the same requests. Regenerations are never written
/// to disk, so what an evicted page leaves is the build's file (v0 written at 0), which Next.js
/// reads on a memory miss (`file-system-cache.ts`, `get`). Up to 74 every answer is as with a
/// disk, since until then each page read from disk is still the build's file.
/// - 74: page 0 is evicted, and its v1 (stored at 71) is lost.
/// - 80: page 0 reads the build's file: v0 stored at 0, so STALE v0 (and stale content), 15ms,
///   and one more background regeneration 80-81 (v1).
#[test]
fn without_a_disk_an_evicted_page_falls_back_to_the_builds_file() {
    let t = run(
        &three_pages_two_in_memory(false),
        0,
        memory_requests(),
        vec![edit(30.0, 0)],
    );
    let (memory, disk) = (0.010, 0.015);
    t.assert_answers(
        0,
        &[
            (1.0, Served::OriginHit, Some(0), false, 1.0, disk),
            (2.0, Served::OriginHit, Some(0), false, 2.0, memory),
            (70.0, Served::OriginStale, Some(0), true, 70.0, disk),
            (72.0, Served::OriginHit, Some(1), false, 72.0, memory),
            (80.0, Served::OriginStale, Some(0), true, 80.0, disk),
        ],
    );
    t.assert_answers(
        1,
        &[(73.0, Served::OriginStale, Some(0), false, 73.0, disk)],
    );
    t.assert_answers(
        2,
        &[(74.0, Served::OriginStale, Some(0), false, 74.0, disk)],
    );
    let ran: Vec<_> = t.trace.generations.iter().map(|g| g.page.0).collect();
    assert_eq!(ran, vec![0, 1, 2, 0]);
    assert_eq!(
        t.trace.generations[3],
        generation(Cause::Background, 80.0, 81.0, 1)
    );
}

/// Two 10 KB pages, memory for one, no timer, origin rtt 10ms, `disk_read = 5ms`, regenerations
/// 1s; `prerendered` and `[origin] expire` as given.
fn two_pages_one_in_memory(disk: bool, prerendered: bool, expire: &str) -> Scenario {
    scenario(
        "100s",
        &format!(
            r#"
[[routes]]
name = "posts"
pages = 2
page_size = "10KB"
regen_time = "1s"
prerendered = {prerendered}

[origin]
rtt = "10ms"
expire = "{expire}"
memory = "10KB"
disk = {disk}
disk_read = "5ms"

[[policies]]
name = "none"
"#
        ),
    )
}

/// Pages the build did not prerender, without a disk: there is no file to fall back to.
/// - 1: page 0 absent (no file: nothing read) blocks, generated 1-2: answered at 2, 1.010s.
///   Memory [0].
/// - 3: page 0 from memory, 10ms.
/// - 4: page 1 blocks, 4-5; storing it at 5 evicts page 0, which is gone.
/// - 6: page 0 blocks again, 6-7 (1.010s), evicting page 1. 8: page 1 blocks again, 8-9.
///
/// With a disk, 6 and 8 read the pages back instead: `OriginHit` v0 in 15ms, no regeneration.
#[test]
fn without_a_disk_an_evicted_page_that_was_not_prerendered_blocks() {
    let requests = || {
        vec![
            get(1.0, 0),
            get(3.0, 0),
            get(4.0, 1),
            get(6.0, 0),
            get(8.0, 1),
        ]
    };
    let t = run(
        &two_pages_one_in_memory(false, false, "1y"),
        0,
        requests(),
        vec![],
    );
    t.assert_answers(
        0,
        &[
            (1.0, Served::Generated, Some(0), false, 2.0, 1.010),
            (3.0, Served::OriginHit, Some(0), false, 3.0, 0.010),
            (6.0, Served::Generated, Some(0), false, 7.0, 1.010),
        ],
    );
    t.assert_answers(
        1,
        &[
            (4.0, Served::Generated, Some(0), false, 5.0, 1.010),
            (8.0, Served::Generated, Some(0), false, 9.0, 1.010),
        ],
    );
    let ran: Vec<_> = t
        .trace
        .generations
        .iter()
        .map(|g| (g.page.0, g.cause, g.triggered, g.finished))
        .collect();
    assert_eq!(
        ran,
        vec![
            (0, Cause::Blocking, secs(1.0), secs(2.0)),
            (1, Cause::Blocking, secs(4.0), secs(5.0)),
            (0, Cause::Blocking, secs(6.0), secs(7.0)),
            (1, Cause::Blocking, secs(8.0), secs(9.0)),
        ]
    );
    let d = run(
        &two_pages_one_in_memory(true, false, "1y"),
        0,
        requests(),
        vec![],
    );
    d.assert_answers(0, &[(6.0, Served::OriginHit, Some(0), false, 6.0, 0.015)]);
    d.assert_answers(1, &[(8.0, Served::OriginHit, Some(0), false, 8.0, 0.015)]);
    assert_eq!(d.trace.generations.len(), 2);
}

/// Prerendered pages with `expire = 50s`, without a disk: the build's file, read back after an
/// eviction, is past its expire time, so the request blocks, and pays the read too.
/// - 60: page 0's file read (5ms), expired (written at 0): blocks, 60-61; 1.015s. Memory [0].
/// - 62: page 1 likewise, 62-63; storing it evicts page 0, whose v0 of 61 is lost.
/// - 64: page 0 reads the build's file again, still expired: blocks, 64-65, 1.015s.
#[test]
fn without_a_disk_an_expired_builds_file_blocks_after_its_read() {
    let requests = vec![get(60.0, 0), get(62.0, 1), get(64.0, 0)];
    let t = run(
        &two_pages_one_in_memory(false, true, "50s"),
        0,
        requests,
        vec![],
    );
    t.assert_answers(
        0,
        &[
            (60.0, Served::Generated, Some(0), false, 61.0, 1.015),
            (64.0, Served::Generated, Some(0), false, 65.0, 1.015),
        ],
    );
    t.assert_answers(1, &[(62.0, Served::Generated, Some(0), false, 63.0, 1.015)]);
    assert_eq!(t.trace.generations.len(), 3);
}

// ---- the origin shield --------------------------------------------------------------------------

/// A row of a timeline whose users are all answered on arrival: (arrival, PoP, how it was
/// served, version, stale, latency), times in seconds.
type ViaPop = (f64, u32, Served, Option<u32>, bool, f64);

/// Asserts each row of a timeline of users answered on arrival, through several PoPs.
#[track_caller]
fn assert_via(t: &Timeline, rows: &[ViaPop]) {
    for &(at, pop, served, version, stale, latency) in rows {
        assert_eq!(
            t.got_via(0, at, pop),
            (served, version, stale, secs(at), secs(latency)),
            "arrival {at} via PoP {pop}"
        );
    }
}

/// A hard purge through the shield. Two cold PoPs and a shield (cdn rtt 10ms, shield rtt 20ms,
/// origin rtt 40ms), revalidate 1h (CDN ttl 1h), `on_edit = "regenerate"` with `purge_cdn`,
/// regen 2s, purge delay 1s on each hop.
/// - 1 (PoP 0): MISS at PoP 0 and at the shield; the origin has v0 fresh: the shield and PoP 0
///   store it. OriginHit v0, 10 + 20 + 40 = 70ms.
/// - 10: edit (v1); regeneration 10 -> 12 stores v1 at the origin; the purge is sent at 12,
///   reaches the shield at 13 and, sent on from there, both PoPs at 14.
/// - 12.5, 13.5 (PoP 0): CDN HIT v0, stale: PoP 0's purge has not arrived.
/// - 13.5 (PoP 1): MISS at PoP 1; the shield, purged at 13, misses too; the origin has v1:
///   OriginHit v1, 70ms, stored at the shield. This refetch falls between the shield's purge and
///   the PoPs': had the PoPs been purged first, it would have stored the shield's v0 again.
/// - 14: both PoPs' purges arrive (PoP 1's deletes the v1 it had just stored).
/// - 14.5 (PoP 0), 15 (PoP 1): MISS at the PoP, the shield has v1: ShieldHit v1, 30ms.
///
/// The shield saw 4 requests (1 and 13.5 missed, 14.5 and 15 hit): ratio 0.5; 2 reached the
/// origin; 4 of 6 responses came from a CDN cache.
#[test]
fn a_purge_reaches_the_shield_before_the_pops() {
    let s = one_page(
        "100s",
        "2s",
        r#"
[cdn]
pops = 2
rtt = "10ms"
origin_rtt = "40ms"
purge_delay = "1s"
shield = { rtt = "20ms" }

[[policies]]
name = "on-demand"
revalidate = "1h"
on_edit = "regenerate"
purge_cdn = true
"#,
    );
    let requests = vec![
        get_via(1.0, 0, 0),
        get_via(12.5, 0, 0),
        get_via(13.5, 0, 0),
        get_via(13.5, 0, 1),
        get_via(14.5, 0, 0),
        get_via(15.0, 0, 1),
    ];
    let t = run(&s, 0, requests, vec![edit(10.0, 0)]);
    let (edge, shield, full) = (0.01, 0.03, 0.07);
    assert_via(
        &t,
        &[
            (1.0, 0, Served::OriginHit, Some(0), false, full),
            (12.5, 0, Served::CdnHit, Some(0), true, edge),
            (13.5, 0, Served::CdnHit, Some(0), true, edge),
            (13.5, 1, Served::OriginHit, Some(1), false, full),
            (14.5, 0, Served::ShieldHit, Some(1), false, shield),
            (15.0, 1, Served::ShieldHit, Some(1), false, shield),
        ],
    );
    assert_eq!(
        t.trace.purges,
        vec![
            (
                secs(13.0),
                Tier::Shield,
                Purged::Page(PageId(0)),
                PurgeKind::Hard
            ),
            (
                secs(14.0),
                Tier::Pop(PopId(0)),
                Purged::Page(PageId(0)),
                PurgeKind::Hard
            ),
            (
                secs(14.0),
                Tier::Pop(PopId(1)),
                Purged::Page(PageId(0)),
                PurgeKind::Hard
            ),
        ]
    );
    assert_eq!(t.metric("shield_requests"), 4.0);
    assert_eq!(t.metric("shield_hit_ratio"), 0.5);
    assert_eq!(t.metric("origin_requests"), 2.0);
    assert_close(t.metric("cdn_hit_ratio"), 4.0 / 6.0, "cdn hit ratio");
}

/// The shield's STALE answer, and PoP copies that age with the shield's (RFC 9111 Age). Three
/// cold PoPs and a shield (cdn rtt 10ms, shield rtt 20ms, origin rtt 40ms), CDN `ttl = 10s`,
/// `stale_while_revalidate = 1h`; the origin has no timer and regenerates on the edit (regen 1s).
/// - 1 (PoP 0): MISS, MISS; the origin has v0: the shield stores it fresh until 11, PoP 0 too.
///   OriginHit v0, 70ms.
/// - 5: edit (v1); the origin stores v1 at 6.
/// - 7 (PoP 1): MISS; the shield's copy is 6 s old: ShieldHit v0 (stale), 30ms. PoP 1 stores it
///   fresh until 11, the shield's end, not 17.
/// - 10 (PoP 1): CDN HIT v0, 10ms.
/// - 12 (PoP 2): MISS; the shield's copy is past 11: ShieldStale v0 at once, 30ms, stored at
///   PoP 2 already stale. The shield's background fetch gets v1 from the origin, fresh until 22.
/// - 12.5 (PoP 1): its copy went stale at 11 with the shield's (stored fresh from 7 it would be
///   a HIT until 17): CDN STALE v0; the background fetch gets v1 from the shield (a HIT), fresh
///   until 22.
/// - 13 (PoP 1): CDN HIT v1. 13 (PoP 2): CDN STALE v0, refreshed from the shield. 14 (PoP 2):
///   CDN HIT v1.
///
/// The shield saw 5 requests (1 missed; 7, 12, 12.5 and 13 were answered from its cache): 0.8.
/// Two reached the origin: PoP 0's at 1 and the shield's background fetch at 12.
#[test]
fn a_stale_shield_answers_at_once_and_pop_copies_age_with_it() {
    let s = one_page(
        "100s",
        "1s",
        r#"
[cdn]
pops = 3
ttl = "10s"
stale_while_revalidate = "1h"
rtt = "10ms"
origin_rtt = "40ms"
shield = { rtt = "20ms" }

[[policies]]
name = "on-demand"
on_edit = "regenerate"
"#,
    );
    let requests = vec![
        get_via(1.0, 0, 0),
        get_via(7.0, 0, 1),
        get_via(10.0, 0, 1),
        get_via(12.0, 0, 2),
        get_via(12.5, 0, 1),
        get_via(13.0, 0, 1),
        get_via(13.0, 0, 2),
        get_via(14.0, 0, 2),
    ];
    let t = run(&s, 0, requests, vec![edit(5.0, 0)]);
    let (edge, shield, full) = (0.01, 0.03, 0.07);
    assert_via(
        &t,
        &[
            (1.0, 0, Served::OriginHit, Some(0), false, full),
            (7.0, 1, Served::ShieldHit, Some(0), true, shield),
            (10.0, 1, Served::CdnHit, Some(0), true, edge),
            (12.0, 2, Served::ShieldStale, Some(0), true, shield),
            (12.5, 1, Served::CdnStale, Some(0), true, edge),
            (13.0, 1, Served::CdnHit, Some(1), false, edge),
            (13.0, 2, Served::CdnStale, Some(0), true, edge),
            (14.0, 2, Served::CdnHit, Some(1), false, edge),
        ],
    );
    assert_eq!(
        t.trace.generations,
        vec![generation(Cause::OnDemand, 5.0, 6.0, 1)]
    );
    assert_eq!(t.metric("shield_requests"), 5.0);
    assert_eq!(t.metric("shield_hit_ratio"), 0.8);
    assert_eq!(t.metric("origin_requests"), 2.0);
    assert_eq!(t.metric("cdn_hit_ratio"), 0.875);
}
