//! Hand-worked timelines of site events (`[[events]]`, docs/model.md §6.8): a rolling deploy
//! whose build competes with regenerations in the backend queue, a deploy with and without a
//! CDN purge, and a scale-up from a week-old build followed by a scale-down and a restart.
//!
//! The conventions are those of `tests/timelines.rs`: constant times, events the model
//! scheduled run before requests at the same instant, round trips of zero unless given. A row is
//! `(arrival, served, version, stale, answered at, latency)` in seconds.

#[allow(dead_code)]
mod timeline_support;

use isrsim::model::{Cause, Served, TracedGeneration};
use isrsim::workload::{InstanceId, PageId};
use timeline_support::{edit, get, run, scenario, secs};

/// The instance of a build's renders: none.
const BUILD: Option<u32> = None;

fn generation(
    page: u32,
    instance: impl Into<Option<u32>>,
    cause: Cause,
    (triggered, started, finished): (f64, f64, f64),
    snapshot: u32,
) -> TracedGeneration {
    TracedGeneration {
        page: PageId(page),
        instance: instance.into().map(InstanceId),
        cause,
        triggered: secs(triggered),
        started: Some(secs(started)),
        finished: secs(finished),
        snapshot: Some(snapshot),
        ok: true,
    }
}

/// Two prerendered pages regenerating in 2 s, `revalidate = 60s`, two instances behind a
/// round-robin balancer, a backend that runs one job at a time, and no CDN. Page 0 is edited at
/// 50 (v1). A deploy at 100 renders one page at a time (`build_concurrency = 1`) and rolls over
/// the instances 10 s apart.
/// - 100: the build's render of page 0 takes the backend, 100 -> 102, snapshot v1.
/// - 101: page 1 -> instance 0 (v0 from t=0, fresh until 60): STALE v0, not stale content; its
///   background regeneration queues behind the build.
/// - 102: the render ends. The backend takes the regeneration (102 -> 104, snapshot v0); the
///   build's render of page 1 queues behind it.
/// - 103: page 0 -> instance 1: STALE v0, stale; its regeneration queues third.
/// - 104: the regeneration writes page 1 v0 to instance 0 (fresh until 164); page 1's render
///   runs 104 -> 106, snapshot v0.
/// - 106: the build is done: instance 0 switches at once (page 0 v1 written at 102, fresh until
///   162; page 1 v0 written at 106, fresh until 166). Instance 1's regeneration runs 106 -> 108.
/// - 107: page 0 -> instance 0: HIT v1.
/// - 108: instance 1 stores page 0 v1, fresh until 168. 109: page 0 -> instance 1: HIT v1.
/// - 116: instance 1 switches: page 0 becomes the build's v1 written at 102, fresh until 162.
/// - 163: page 0 -> instance 0: STALE v1 (not stale content), regeneration 163 -> 165.
/// - 164: page 0 -> instance 1: STALE too, although it regenerated at 108: the switch replaced
///   that entry with the build's. Its regeneration waits for the backend's one slot:
///   165 -> 167.
#[test]
fn a_rolling_deploy_builds_through_the_backend_then_switches_one_instance_at_a_time() {
    let s = scenario(
        "300s",
        r#"
[[routes]]
name = "posts"
pages = 2
regen_time = "2s"

[origin]
instances = 2

[backend]
concurrency = 1

[[policies]]
name = "time-60s"
revalidate = "60s"

[[events]]
kind = "deploy"
at = "100s"
build_concurrency = 1
rolling = "10s"
"#,
    );
    let requests = vec![
        get(101.0, 1),
        get(103.0, 0),
        get(107.0, 0),
        get(109.0, 0),
        get(163.0, 0),
        get(164.0, 0),
    ];
    let t = run(&s, 0, requests, vec![edit(50.0, 0)]);
    t.assert_answers(
        1,
        &[(101.0, Served::OriginStale, Some(0), false, 101.0, 0.0)],
    );
    t.assert_answers(
        0,
        &[
            (103.0, Served::OriginStale, Some(0), true, 103.0, 0.0),
            (107.0, Served::OriginHit, Some(1), false, 107.0, 0.0),
            (109.0, Served::OriginHit, Some(1), false, 109.0, 0.0),
            (163.0, Served::OriginStale, Some(1), false, 163.0, 0.0),
            (164.0, Served::OriginStale, Some(1), false, 164.0, 0.0),
        ],
    );
    assert_eq!(
        t.trace.generations,
        vec![
            generation(0, BUILD, Cause::Build, (100.0, 100.0, 102.0), 1),
            generation(1, 0, Cause::Background, (101.0, 102.0, 104.0), 0),
            generation(1, BUILD, Cause::Build, (102.0, 104.0, 106.0), 0),
            generation(0, 1, Cause::Background, (103.0, 106.0, 108.0), 1),
            generation(0, 0, Cause::Background, (163.0, 163.0, 165.0), 1),
            generation(0, 1, Cause::Background, (164.0, 165.0, 167.0), 1),
        ]
    );
    assert_eq!(
        t.trace.starts,
        vec![(secs(106.0), InstanceId(0)), (secs(116.0), InstanceId(1))]
    );
    assert_eq!(t.metric("build_renders"), 2.0);
    assert_eq!(
        t.metric("regenerations"),
        4.0,
        "a build's renders are not regenerations"
    );
}

/// One page regenerating in 2 s, `revalidate = 60s`, one instance, one PoP keeping the origin's
/// header (`s-maxage=60`, and a stale-while-revalidate window of nearly a year). Edit at 50 (v1);
/// a deploy at 100, all instances at once, with and without `purge_cdn`.
/// - 10: PoP MISS; the origin has v0 fresh: `OriginHit` v0, stored at the PoP fresh until 70.
/// - 100: the build renders the page, 100 -> 102, snapshot v1.
/// - 101: PoP STALE v0 (stale content); its background fetch finds the origin's v0 stale too,
///   which starts a regeneration (101 -> 103) and gives the PoP v0 again, fresh until 161.
/// - 102: the instance switches to the build (v1, fresh until 162). With `purge_cdn`, the purge
///   reaches the PoP at once and deletes its copy.
/// - 103: the regeneration started before the switch finishes and writes nowhere.
/// - 104, purged: MISS, `OriginHit` v1. Not purged: HIT v0, stale, until the PoP's copy
///   goes stale at 161: the deploy's stale window.
#[test]
fn a_deploy_purges_the_cdn_only_when_asked() {
    let with = |purge: bool| {
        scenario(
            "300s",
            &format!(
                r#"
[[routes]]
name = "posts"
pages = 1
regen_time = "2s"

[cdn]
pops = 1

[[policies]]
name = "time-60s"
revalidate = "60s"

[[events]]
kind = "deploy"
at = "100s"
purge_cdn = {purge}
"#
            ),
        )
    };
    let requests = || vec![get(10.0, 0), get(101.0, 0), get(104.0, 0), get(105.0, 0)];
    let purged = run(&with(true), 0, requests(), vec![edit(50.0, 0)]);
    purged.assert_answers(
        0,
        &[
            (10.0, Served::OriginHit, Some(0), false, 10.0, 0.0),
            (101.0, Served::CdnStale, Some(0), true, 101.0, 0.0),
            (104.0, Served::OriginHit, Some(1), false, 104.0, 0.0),
            (105.0, Served::CdnHit, Some(1), false, 105.0, 0.0),
        ],
    );
    assert_eq!(
        purged.trace.generations,
        vec![
            generation(0, BUILD, Cause::Build, (100.0, 100.0, 102.0), 1),
            generation(0, 0, Cause::Background, (101.0, 101.0, 103.0), 1),
        ]
    );
    let kept = run(&with(false), 0, requests(), vec![edit(50.0, 0)]);
    kept.assert_answers(
        0,
        &[
            (104.0, Served::CdnHit, Some(0), true, 104.0, 0.0),
            (105.0, Served::CdnHit, Some(0), true, 105.0, 0.0),
        ],
    );
    assert_eq!(purged.metric("origin_requests"), 3.0);
    assert_eq!(kept.metric("origin_requests"), 2.0);
}

/// One page regenerating in 2 s, `revalidate = 60s`, `on_edit = "regenerate"`, no CDN, one
/// instance at first, round robin; the running build is a week old (`build_age = "7d"`).
/// - 0: instance 0 holds v0 as the week-old build wrote it: stale already.
/// - 10: edit (v1); the webhook reaches instance 0, which regenerates 10 -> 12: v1, fresh until
///   72.
/// - 20: HIT v1.
/// - 30: scale to 2. Instance 1 starts from the build: v0, written a week ago, so stale at once,
///   and it never heard of the webhook.
/// - 40 -> instance 0: HIT v1. 41 -> instance 1: STALE v0, stale content, the build's; its
///   regeneration runs 41 -> 43 (v1, fresh until 103). 42 -> instance 0: HIT v1.
///   44 -> instance 1: HIT v1.
/// - 60: scale to 1: instance 1 stops and its cache is gone.
/// - 99.5: instance 0's v1 (fresh until 72) is STALE; regeneration 99.5 -> 101.5.
/// - 100: instance 0 restarts from the build: v0, stale at once. The regeneration in flight
///   belongs to the stopped process.
/// - 101: STALE v0, stale content; nothing is in flight for the new process, so a regeneration
///   starts, 101 -> 103. 101.5: the old one ends and writes nowhere. 102: STALE v0 again, the
///   regeneration of 101 still in flight. 104: HIT v1.
#[test]
fn a_scale_up_starts_from_a_week_old_build_and_a_restart_forgets_what_was_in_flight() {
    let s = scenario(
        "300s",
        r#"
[[routes]]
name = "posts"
pages = 1
regen_time = "2s"

[origin]
instances = 1
build_age = "7d"

[[policies]]
name = "hybrid"
revalidate = "60s"
on_edit = "regenerate"

[[events]]
kind = "scale"
at = "30s"
instances = 2

[[events]]
kind = "scale"
at = "60s"
instances = 1

[[events]]
kind = "restart"
at = "100s"
"#,
    );
    let times = [20.0, 40.0, 41.0, 42.0, 44.0, 99.5, 101.0, 102.0, 104.0];
    let t = run(
        &s,
        0,
        timeline_support::gets(&times, 0),
        vec![edit(10.0, 0)],
    );
    t.assert_answers(
        0,
        &[
            (20.0, Served::OriginHit, Some(1), false, 20.0, 0.0),
            (40.0, Served::OriginHit, Some(1), false, 40.0, 0.0),
            (41.0, Served::OriginStale, Some(0), true, 41.0, 0.0),
            (42.0, Served::OriginHit, Some(1), false, 42.0, 0.0),
            (44.0, Served::OriginHit, Some(1), false, 44.0, 0.0),
            (99.5, Served::OriginStale, Some(1), false, 99.5, 0.0),
            (101.0, Served::OriginStale, Some(0), true, 101.0, 0.0),
            (102.0, Served::OriginStale, Some(0), true, 102.0, 0.0),
            (104.0, Served::OriginHit, Some(1), false, 104.0, 0.0),
        ],
    );
    assert_eq!(
        t.trace.generations,
        vec![
            generation(0, 0, Cause::OnDemand, (10.0, 10.0, 12.0), 1),
            generation(0, 1, Cause::Background, (41.0, 41.0, 43.0), 1),
            generation(0, 0, Cause::Background, (99.5, 99.5, 101.5), 1),
            generation(0, 0, Cause::Background, (101.0, 101.0, 103.0), 1),
        ]
    );
    assert_eq!(
        t.trace.starts,
        vec![(secs(30.0), InstanceId(1)), (secs(100.0), InstanceId(0))]
    );
}
