//! The revalidation queue (`[origin.queue]`) and a shared store's read lag (`store_lag`,
//! `tag_lag`), as docs/model.md §6.9 states them: hand-worked timelines and one property.
//!
//! Conventions of `tests/timelines.rs` hold: at one instant, events the model scheduled run
//! first, then edits, then requests; a prerendered page holds version 0 from t=0; without a CDN
//! and with `rtt = 0`, a user's latency is what it waited. Every scenario has one instance unless
//! it says otherwise, no CDN, and constant regeneration times.

#[allow(dead_code)]
mod timeline_support;

use isrsim::model::{Cause, Served, Simulation, TracedGeneration};
use isrsim::scenario::Scenario;
use isrsim::workload::{InstanceId, PageId};
use timeline_support::{edit, get, gets, run, scenario, secs};

/// Pages `0..pages` of route `posts`, regenerating in `regen`, revalidated every 60 s, with
/// `origin` as the `[origin]` table's body and `more` after it.
fn pages(pages: u32, regen: &str, origin: &str, more: &str) -> Scenario {
    scenario(
        "600s",
        &format!(
            r#"
[[routes]]
name = "posts"
pages = {pages}
regen_time = "{regen}"

[[policies]]
name = "time-60s"
revalidate = "60s"

{origin}
{more}"#
        ),
    )
}

/// The group OpenNext's `generateMessageGroupId` gives an integer input among `groups`, as its
/// JavaScript computes it (`packages/open-next/src/core/routing/queue.ts`, mulberry32): written
/// again here from the source, not taken from the model.
fn opennext_group(input: u32, groups: u32) -> u32 {
    let imul = |a: u32, b: u32| a.wrapping_mul(b);
    let mut t = input.wrapping_add(0x6d2b79f5);
    t = imul(t ^ (t >> 15), t | 1);
    t ^= t.wrapping_add(imul(t ^ (t >> 7), t | 61));
    let random_float = f64::from(t ^ (t >> 14)) / 4_294_967_296.0;
    (random_float * f64::from(groups)).floor() as u32
}

/// A successful queued regeneration of `page` on instance 0 over [triggered, finished].
fn queued(page: u32, triggered: f64, finished: f64, snapshot: u32) -> TracedGeneration {
    TracedGeneration {
        page: PageId(page),
        instance: Some(InstanceId(0)),
        cause: Cause::Background,
        triggered: secs(triggered),
        started: Some(secs(triggered)),
        finished: secs(finished),
        snapshot: Some(snapshot),
        ok: true,
    }
}

/// The trace's generations of `page`, by trigger time.
fn of_page(generations: &[TracedGeneration], page: u32) -> Vec<TracedGeneration> {
    let mut g: Vec<_> = (generations.iter())
        .filter(|g| g.page == PageId(page))
        .copied()
        .collect();
    g.sort_by_key(|g| g.triggered);
    g
}

/// Ten groups, one message each at a time: 40 pages, all stale at 70 and requested then in page
/// order, regenerating in 1 s (pages 0 to 29 fill nine groups; page 30 is the first of the
/// tenth). Each page's message goes to its OpenNext group; in each group the messages run one
/// after the other in the order sent, so the k-th page of a group (k from 0) regenerates over
/// [70 + k, 71 + k]. Every user is served v0 stale at once: the queue is behind
/// the answer, not in front of it.
#[test]
fn ten_groups_each_run_one_message_at_a_time_in_the_order_sent() {
    let s = pages(40, "1s", "[origin.queue]\ngroups = 10\nconcurrency = 1", "");
    let requests = (0..40).map(|p| get(70.0, p)).collect();
    let t = run(&s, 0, requests, vec![]);
    let mut sent = [0u32; 10];
    for p in 0..40 {
        assert_eq!(
            t.got(p, 70.0),
            (Served::OriginStale, Some(0), false, secs(70.0), secs(0.0))
        );
        let group = opennext_group(p, 10) as usize;
        let k = f64::from(sent[group]);
        sent[group] += 1;
        assert_eq!(
            of_page(&t.trace.generations, p),
            vec![queued(p, 70.0 + k, 71.0 + k, 0)],
            "page {p}, group {group}"
        );
    }
    // Ten groups run at once while each still has a message waiting.
    let busiest = *sent.iter().max().unwrap();
    assert!(sent.iter().all(|&n| n > 0), "40 pages reach all ten groups");
    assert_eq!(t.metric("backend_inflight_peak"), 10.0);
    assert_eq!(t.metric("regenerations"), 40.0);
    assert_eq!(t.metric("regenerations_deduplicated"), 0.0);
    assert_eq!(
        t.trace.generations.iter().map(|g| g.finished).max(),
        Some(secs(70.0 + f64::from(busiest)))
    );
}

/// One page, stale from 60, regenerating in 1 s; requests at 70, 70.5, 71.5 and 140.
/// - 70: STALE v0; the message (page, the entry stored at 0) is accepted and runs at once: a
///   regeneration 70 -> 71, which stores v0 again, fresh until 131.
/// - 70.5: STALE v0 (the regeneration is still running): the same message, within the window
///   of 5 minutes, is dropped (`regenerations_deduplicated` = 1).
/// - 71.5: HIT v0.
/// - 140: STALE v0 of the entry stored at 71: another message, accepted: 140 -> 141.
///
/// Without the window, the message of 70.5 waits behind the first in its group (concurrency 1)
/// and runs when it finishes: a second regeneration 71 -> 72.
#[test]
fn a_dedupe_window_swallows_a_second_revalidation_of_the_same_entry() {
    let requests = || gets(&[70.0, 70.5, 71.5, 140.0], 0);
    let s = pages(1, "1s", "[origin.queue]\ndedupe_window = \"5m\"", "");
    let t = run(&s, 0, requests(), vec![]);
    // No edit: v0 is the content, so a STALE answer is not an outdated page.
    let stale = |at: f64| (Served::OriginStale, Some(0), false, secs(at), secs(0.0));
    assert_eq!(t.got(0, 70.0), stale(70.0));
    assert_eq!(t.got(0, 70.5), stale(70.5));
    assert_eq!(
        t.got(0, 71.5),
        (Served::OriginHit, Some(0), false, secs(71.5), secs(0.0))
    );
    assert_eq!(t.got(0, 140.0), stale(140.0));
    assert_eq!(
        t.trace.generations,
        vec![queued(0, 70.0, 71.0, 0), queued(0, 140.0, 141.0, 0)]
    );
    assert_eq!(t.metric("regenerations_deduplicated"), 1.0);
    assert_eq!(t.metric("regenerations"), 2.0);

    let plain = pages(1, "1s", "[origin.queue]", "");
    let t = run(&plain, 0, requests(), vec![]);
    assert_eq!(
        t.trace.generations,
        vec![
            queued(0, 70.0, 71.0, 0),
            queued(0, 71.0, 72.0, 0),
            queued(0, 140.0, 141.0, 0)
        ]
    );
    assert_eq!(t.metric("regenerations_deduplicated"), 0.0);
}

/// Every generation fails (`failure_rate = 1`); the queue retries twice, 2 s and then 4 s after a
/// failure. One page, stale from 60, regenerating in 1 s, requested at 70.
/// - 70: the message runs: a regeneration 70 -> 71, which fails. Next.js writes the old entry back,
///   fresh for its back-off of 30 s.
/// - 71 + 2 = 73: the first retry: 73 -> 74, fails.
/// - 74 + 4 = 78: the second retry: 78 -> 79, fails. No retry is left: the message is dropped.
#[test]
fn a_failure_is_retried_after_its_back_off_while_retries_are_left() {
    let s = pages(
        1,
        "1s",
        "[origin.queue]\nretries = 2\nbackoff = \"2s\"",
        "[backend]\nfailure_rate = 1.0",
    );
    let t = run(&s, 0, vec![get(70.0, 0)], vec![]);
    let failed = |from: f64| TracedGeneration {
        ok: false,
        ..queued(0, from, from + 1.0, 0)
    };
    assert_eq!(
        t.trace.generations,
        vec![failed(70.0), failed(73.0), failed(78.0)]
    );
    assert_eq!(t.metric("regenerations_failed"), 3.0);
}

/// A timeout of 3 s, one retry 1 s after a failure, one group with one place; pages 0 and 1
/// regenerate in 5 s and are both requested at 70 (page 0 first).
/// - 70: page 0's message A runs: G0 70 -> 75. Page 1's message B waits.
/// - 73: A has run 3 s: it fails and gives up its place (G0 runs on). B runs: G1 73 -> 78.
/// - 74: A's retry is sent; it waits behind B.
/// - 75: G0 stores page 0.
/// - 76: B times out; A's retry runs: nothing in flight for page 0, so G2 76 -> 81.
/// - 77: B's retry is sent; it waits behind A's.
/// - 79: A's retry times out, its last. B's retry runs: G3 79 -> 84.
/// - 82: B's retry times out, its last. Every generation itself succeeds.
#[test]
fn a_message_running_past_its_timeout_fails_frees_its_place_and_is_retried() {
    let s = pages(
        2,
        "5s",
        "[origin.queue]\ntimeout = \"3s\"\nretries = 1\nbackoff = \"1s\"",
        "",
    );
    let t = run(&s, 0, vec![get(70.0, 0), get(70.0, 1)], vec![]);
    assert_eq!(
        of_page(&t.trace.generations, 0),
        vec![queued(0, 70.0, 75.0, 0), queued(0, 76.0, 81.0, 0)]
    );
    assert_eq!(
        of_page(&t.trace.generations, 1),
        vec![queued(1, 73.0, 78.0, 0), queued(1, 79.0, 84.0, 0)]
    );
    assert_eq!(t.metric("regenerations_failed"), 0.0);
}

/// A retry that finds the page's regeneration still in flight joins it: timeout 3 s, retry 1 s
/// after, one page regenerating in 5 s, requested at 70.
/// - 70: G0 70 -> 75. 73: the message times out. 74: its retry runs and joins G0.
/// - 75: G0 succeeds and answers the retry: one regeneration in all.
#[test]
fn a_retry_joins_the_regeneration_still_in_flight() {
    let s = pages(
        1,
        "5s",
        "[origin.queue]\ntimeout = \"3s\"\nretries = 1\nbackoff = \"1s\"",
        "",
    );
    let t = run(&s, 0, vec![get(70.0, 0)], vec![]);
    assert_eq!(t.trace.generations, vec![queued(0, 70.0, 75.0, 0)]);
    assert_eq!(t.metric("regenerations"), 1.0);
}

/// Ten groups, one place each: two pages of one group (by OpenNext's formula) and a page of
/// another, all stale at 70 and requested then in that order, regenerating in 2 s. The second
/// page of the shared group waits for the first: 70 -> 72 then 72 -> 74; the third runs beside
/// them: 70 -> 72.
#[test]
fn concurrency_one_serialises_two_pages_of_one_group() {
    let group = |p: u32| opennext_group(p, 10);
    let first = 0;
    let second = (1..100).find(|&p| group(p) == group(first)).unwrap();
    let other = (1..100).find(|&p| group(p) != group(first)).unwrap();
    let n = second.max(other) + 1;
    let s = pages(n, "2s", "[origin.queue]\ngroups = 10", "");
    let requests = vec![get(70.0, first), get(70.0, second), get(70.0, other)];
    let t = run(&s, 0, requests, vec![]);
    assert_eq!(
        of_page(&t.trace.generations, first),
        vec![queued(first, 70.0, 72.0, 0)]
    );
    assert_eq!(
        of_page(&t.trace.generations, second),
        vec![queued(second, 72.0, 74.0, 0)]
    );
    assert_eq!(
        of_page(&t.trace.generations, other),
        vec![queued(other, 70.0, 72.0, 0)]
    );
    // With two places a group runs both at once.
    let wide = pages(n, "2s", "[origin.queue]\ngroups = 10\nconcurrency = 2", "");
    let requests = vec![get(70.0, first), get(70.0, second), get(70.0, other)];
    let t = run(&wide, 0, requests, vec![]);
    assert_eq!(
        of_page(&t.trace.generations, second),
        vec![queued(second, 70.0, 72.0, 0)]
    );
}

/// Two instances on one shared cache, round-robin, a write reaching the other instance 10 s after
/// it is made (`store_lag = "10s"`). The edit at 20 sends a `regenerate` webhook at once, which
/// the balancer gives to instance 0: a regeneration 20 -> 21 writes v1 (fresh until 81).
/// - 25 (instance 1): the write has not reached it: v0, fresh until 60, a HIT of an outdated page.
/// - 27 (instance 0, the writer): v1.
/// - 29 (instance 1): still v0.
/// - 32 (instance 0): v1. 33 (instance 1): 33 ≥ 21 + 10, v1.
///
/// Without the lag, instance 1 reads v1 from 21 on.
#[test]
fn store_lag_keeps_another_instance_on_the_old_version_until_it_passes() {
    let shared = |lag: &str| {
        scenario(
            "600s",
            &format!(
                r#"
[[routes]]
name = "posts"
pages = 1
regen_time = "1s"

[[policies]]
name = "regenerate"
revalidate = "60s"
on_edit = "regenerate"

[origin]
instances = 2
cache = "shared"
{lag}
"#
            ),
        )
    };
    let requests = gets(&[25.0, 27.0, 29.0, 32.0, 33.0], 0);
    let hit =
        |at: f64, v: u32, stale: bool| (Served::OriginHit, Some(v), stale, secs(at), secs(0.0));
    let t = run(
        &shared("store_lag = \"10s\""),
        0,
        requests.clone(),
        vec![edit(20.0, 0)],
    );
    assert_eq!(t.got(0, 25.0), hit(25.0, 0, true));
    assert_eq!(t.got(0, 27.0), hit(27.0, 1, false));
    assert_eq!(t.got(0, 29.0), hit(29.0, 0, true));
    assert_eq!(t.got(0, 32.0), hit(32.0, 1, false));
    assert_eq!(t.got(0, 33.0), hit(33.0, 1, false));

    let t = run(&shared(""), 0, requests, vec![edit(20.0, 0)]);
    assert_eq!(t.got(0, 25.0), hit(25.0, 1, false));
}

/// Two instances on one shared cache, round-robin, one page tagged `post` without a timer, and a
/// tag revalidation reaching the other instance 10 s late (`tag_lag = "10s"`). The edit at 20
/// (v1) sends its `revalidate-tag` webhook at once, which the balancer gives to instance 0: the
/// entry is stale there from 20, and for instance 1 from 30.
/// - 25 (instance 1): v0 fresh, a HIT of an outdated page.
/// - 31 (instance 0): STALE v0; a background regeneration 31 -> 32.
/// - 31.5 (instance 1): 31.5 ≥ 30: STALE v0 too, and its own regeneration 31.5 -> 32.5.
/// - 33 (instance 0): v1.
///
/// Without the lag, instance 1 finds the entry stale at 25.
#[test]
fn tag_lag_keeps_another_instance_on_the_fresh_entry_until_it_passes() {
    let shared = |lag: &str| {
        scenario(
            "600s",
            &format!(
                r#"
[[routes]]
name = "posts"
pages = 1
regen_time = "1s"
tags = ["post"]

[[policies]]
name = "tag"
on_edit = "revalidate-tag"
tags = ["post"]

[origin]
instances = 2
cache = "shared"
{lag}
"#
            ),
        )
    };
    let at = |served, at: f64, v: u32, stale: bool| (served, Some(v), stale, secs(at), secs(0.0));
    let requests = gets(&[25.0, 31.0, 31.5, 33.0], 0);
    let t = run(
        &shared("tag_lag = \"10s\""),
        0,
        requests,
        vec![edit(20.0, 0)],
    );
    assert_eq!(t.got(0, 25.0), at(Served::OriginHit, 25.0, 0, true));
    assert_eq!(t.got(0, 31.0), at(Served::OriginStale, 31.0, 0, true));
    assert_eq!(t.got(0, 31.5), at(Served::OriginStale, 31.5, 0, true));
    assert_eq!(t.got(0, 33.0), at(Served::OriginHit, 33.0, 1, false));
    assert_eq!(t.metric("tag_invalidations"), 1.0);

    let t = run(&shared(""), 0, gets(&[25.0], 0), vec![edit(20.0, 0)]);
    assert_eq!(t.got(0, 25.0), at(Served::OriginStale, 25.0, 0, true));
}

/// With one group of one place, at most one queued regeneration runs at a time, whatever the
/// traffic, the failures and retries: over several seeds of a busy site, the queued
/// generations' [triggered, finished) intervals never overlap.
#[test]
fn one_group_of_one_place_runs_one_queued_regeneration_at_a_time() {
    let text = r#"
duration = "20m"

[traffic]
pattern = "steady"
rate = 40

[[routes]]
name = "posts"
pages = 50
regen_time = { exponential = "300ms" }

[[policies]]
name = "time-10s"
revalidate = "10s"

[origin]
instances = 3

[origin.queue]
retries = 2
backoff = "500ms"

[backend]
failure_rate = 0.2
"#;
    let s = Scenario::parse(text, std::path::Path::new("tests/queue.toml")).expect("parses");
    for replication in 0..3 {
        let (result, trace) = Simulation::new(&s, 0, replication)
            .with_trace()
            .run_drawn(&s)
            .expect("a drawn run");
        let trace = trace.expect("a trace");
        let mut queued: Vec<_> = (trace.generations.iter())
            .filter(|g| g.cause == Cause::Background)
            .map(|g| (g.triggered, g.finished))
            .collect();
        assert!(queued.len() > 100, "the queue was busy: {}", queued.len());
        queued.sort();
        for pair in queued.windows(2) {
            assert!(
                pair[1].0 >= pair[0].1,
                "replication {replication}: {:?} overlaps {:?}",
                pair[1],
                pair[0]
            );
        }
        assert!(result.metrics.get("regenerations_failed").unwrap() > 0.0);
    }
}
