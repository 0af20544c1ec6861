//! Hand-worked timelines of the edit-visible lag's censoring and of the warm-up rule for
//! regenerations (docs/model.md §11.1, §11.2): an edit no response reflected by the run's end
//! enters the lag at the end minus its time and is counted in `edits_unseen`; a generation is
//! counted, in every regeneration column, by its trigger.

#[allow(dead_code)]
mod timeline_support;

use std::path::Path;

use isrsim::metrics::ROUTE_COLUMNS;
use isrsim::scenario::Scenario;
use timeline_support::{Timeline, assert_close, edit, get, gets, one_page, run, scenario};

/// The route column `name` of the run's only route.
fn route_metric(t: &Timeline, name: &str) -> Option<f64> {
    let c = ROUTE_COLUMNS.iter().position(|c| c.name == name).unwrap();
    t.result.routes[0].values[c]
}

/// revalidate 60s, regen 1s, two pages of one route, 200 s.
/// - page 0: HIT v0 at 10; edit at 20; STALE v0 at 70, which regenerates v1 by 71; HIT v1 at 72:
///   the edit became visible 72 - 20 = 52 s after it was made.
/// - page 1: HIT v0 at 10; edit at 150; no request after it, so no response reflects it by the
///   end at 200: censored at 200 - 150 = 50 s.
///
/// Lags {50 (censored), 52}: the median is 50, the 99th percentile 52; one edit unseen.
#[test]
fn an_edit_never_seen_is_censored_at_the_runs_end() {
    let s = scenario(
        "200s",
        r#"
[[routes]]
name = "posts"
pages = 2
regen_time = "1s"

[[policies]]
name = "time-60s"
revalidate = "60s"
"#,
    );
    let mut requests = gets(&[10.0, 70.0, 72.0], 0);
    requests.push(get(10.0, 1));
    let t = run(&s, 0, requests, vec![edit(20.0, 0), edit(150.0, 1)]);
    assert_eq!(t.metric("edits_unseen"), 1.0);
    assert_close(t.metric("edit_visible_p50_s"), 50.0, "censored lag");
    assert_close(t.metric("edit_visible_p99_s"), 52.0, "seen lag");
    assert_eq!(route_metric(&t, "edits_unseen"), Some(1.0));
    assert_close(
        route_metric(&t, "edit_visible_p50_s").unwrap(),
        50.0,
        "route's censored lag",
    );
}

/// A year-long `revalidate` and no on-demand regeneration: the page built at 0 stays fresh all
/// run, every response carries v0, and neither edit (600 s, 1,800 s) is ever seen. Both are
/// censored at the end, 3,600 s: lags of 3,000 and 1,800 s, so the median is 1,800 and the 99th
/// percentile 3,000, lower bounds rather than "not measured".
#[test]
fn a_policy_that_never_shows_an_edit_has_a_lower_bound_not_nothing() {
    let s = one_page(
        "1h",
        "1s",
        r#"
[[policies]]
name = "time-1y"
revalidate = "365d"
"#,
    );
    let requests = gets(&[100.0, 700.0, 2_000.0, 3_500.0], 0);
    let t = run(&s, 0, requests, vec![edit(600.0, 0), edit(1_800.0, 0)]);
    assert_eq!(t.metric("stale_responses"), 3.0);
    assert_eq!(t.metric("edits_unseen"), 2.0);
    assert_close(
        t.metric("edit_visible_p50_s"),
        1_800.0,
        "median lower bound",
    );
    assert_close(t.metric("edit_visible_p99_s"), 3_000.0, "p99 lower bound");
}

/// An edit made during warm-up is not counted, seen or not (§11.2: an edit's lag is counted by
/// the edit). Warm-up 100 s; the edit at 50 s is never seen, the one at 150 s is censored at
/// 200 - 150 = 50 s.
#[test]
fn an_unseen_edit_made_during_warm_up_is_not_counted() {
    let s = with_warmup(
        r#"duration = "200s"
warmup = "100s""#,
        r#"
[[policies]]
name = "time-1y"
revalidate = "365d"
"#,
        "1s",
    );
    let t = run(&s, 0, gets(&[10.0], 0), vec![edit(50.0, 0), edit(150.0, 0)]);
    assert_eq!(t.metric("edits_unseen"), 1.0);
    assert_close(t.metric("edit_visible_p99_s"), 50.0, "censored lag");
}

/// One prerendered page regenerating in `regen_time`, with the top-level keys `head`.
fn with_warmup(head: &str, policy: &str, regen_time: &str) -> Scenario {
    let text = format!(
        "{head}\n\n[traffic]\npattern = \"steady\"\nrate = 1\n\n[[routes]]\nname = \"posts\"\n\
         pages = 1\nregen_time = \"{regen_time}\"\n\n[backend]\nfailure_rate = 1.0\n{policy}"
    );
    Scenario::parse(&text, Path::new("tests/censoring.toml"))
        .unwrap_or_else(|e| panic!("the scenario does not parse: {e}\n{text}"))
}

/// Warm-up 65 s, revalidate 60 s, regen 10 s, every generation fails.
/// - 61: STALE v0 (61 >= 60); a background generation triggered at 61, during warm-up.
/// - 71: it fails, after warm-up. Counted by its trigger, it is in no column: neither
///   `regenerations` nor `regenerations_failed`. Next.js writes the old entry back fresh for the
///   revalidate interval, so the request at 90 is a HIT and triggers nothing.
/// - 140: STALE again (fresh until 71 + 60 = 131): a generation triggered after warm-up, which
///   fails at 150: one regeneration, one failed.
#[test]
fn a_generation_is_counted_by_its_trigger_even_when_it_fails_after_warm_up() {
    let s = with_warmup(
        r#"duration = "200s"
warmup = "65s""#,
        r#"
[[policies]]
name = "time-60s"
revalidate = "60s"
"#,
        "10s",
    );
    let t = run(&s, 0, gets(&[61.0, 90.0, 140.0], 0), vec![]);
    assert_eq!(t.trace.generations.len(), 2, "{:#?}", t.trace.generations);
    assert!(t.trace.generations.iter().all(|g| !g.ok));
    assert_eq!(t.metric("regenerations"), 1.0);
    assert_eq!(t.metric("regenerations_failed"), 1.0);
    assert_eq!(route_metric(&t, "regenerations"), Some(1.0));
    assert_eq!(route_metric(&t, "regenerations_failed"), Some(1.0));
}
