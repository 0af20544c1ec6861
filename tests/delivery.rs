//! How edits are delivered: bulk edits, webhooks retried with exponential back-off, a build
//! spread over its duration, and numbers of seconds written as Next.js writes them
//! (docs/model.md §3, §6.8, §8.5, §8.6; docs/scenario.md).
//!
//! Hand-worked timelines (constant delays and regeneration times, so every instant is exact),
//! a statistical check of the retry rule against its closed form, properties, and bad input
//! through the built binary.

mod support;
#[allow(dead_code)]
mod timeline_support;

use isrsim::model::{Cause, Served, Simulation, Trace};
use isrsim::scenario::Scenario;
use isrsim::time::SimTime;
use isrsim::workload::PageId;
use isrsim::workload::rng::{self, Stream};
use rand::RngExt;
use support::{isrsim_run, scratch, write};
use timeline_support::{edit, get, gets, one_page, run, run_replication, scenario, secs};

/// The run's own users and edits (bulk edits come from the scenario's events), traced.
fn drawn(s: &Scenario, policy: usize) -> (isrsim::metrics::RunResult, Trace) {
    let (result, trace) = Simulation::new(s, policy, 0)
        .with_trace()
        .run_drawn(s)
        .expect("no trace to read back");
    (result, trace.expect("traced"))
}

/// When generations of `cause` were triggered, in seconds.
fn triggered(trace: &Trace, cause: Cause) -> Vec<f64> {
    (trace.generations.iter())
        .filter(|g| g.cause == cause)
        .map(|g| g.triggered.as_secs_f64())
        .collect()
}

// ---- bulk edits -------------------------------------------------------------------------------

/// Five products (page 0 the most popular), regen 1s, `on_edit = "regenerate"`, no timer, no
/// users. A bulk edit of the 3 most popular products at 100s within 30s edits them one every
/// 10s, in rank order: product 0 at 100, 1 at 110, 2 at 120. Each is an ordinary edit: version 1
/// of each page, and a webhook at once that regenerates it in 1s, storing v1 (101, 111, 121).
/// Products 3 and 4 are never edited. The edits are the same under the timer policy.
#[test]
fn a_bulk_edit_of_three_pages_within_30s() {
    let s = scenario(
        "10m",
        r#"
[[routes]]
name = "products"
pages = 5
regen_time = "1s"

[[policies]]
name = "on-demand"
on_edit = "regenerate"

[[policies]]
name = "timer"
revalidate = 60

[[events]]
kind = "bulk_edit"
route = "products"
pages = 3
pick = "popular"
at = "100s"
within = "30s"
"#,
    );
    let (_, trace) = drawn(&s, 0);
    let bulk: Vec<(SimTime, PageId)> = [(100.0, 0), (110.0, 1), (120.0, 2)]
        .map(|(at, page)| edit(at, page))
        .to_vec();
    assert_eq!(trace.edits, bulk);
    let regenerations: Vec<(f64, f64, Option<u32>, u32)> = (trace.generations.iter())
        .map(|g| {
            (
                g.triggered.as_secs_f64(),
                g.finished.as_secs_f64(),
                g.snapshot,
                g.page.0,
            )
        })
        .collect();
    assert_eq!(
        regenerations,
        vec![
            (100.0, 101.0, Some(1), 0),
            (110.0, 111.0, Some(1), 1),
            (120.0, 121.0, Some(1), 2)
        ]
    );
    let (_, timer) = drawn(&s, 1);
    assert_eq!(timer.edits, bulk, "the same edits in every policy");
}

/// A range pick `[2, 3]` every 4 minutes in a 10-minute run: pages 2 and 3 at 4m and 8m, both at
/// the firing's instant (`within` left at 0s), page 2 first.
#[test]
fn a_range_is_edited_at_each_firing() {
    let s = scenario(
        "10m",
        r#"
[[routes]]
name = "products"
pages = 5
regen_time = "1s"

[[policies]]
name = "timer"
revalidate = "60s"

[[events]]
kind = "bulk_edit"
route = "products"
pick = [2, 3]
every = "4m"
"#,
    );
    let (_, trace) = drawn(&s, 0);
    assert_eq!(
        trace.edits,
        vec![
            edit(240.0, 2),
            edit(240.0, 3),
            edit(480.0, 2),
            edit(480.0, 3)
        ]
    );
}

// ---- webhook retries --------------------------------------------------------------------------

/// `regenerate`, webhook delay 2s, lost with probability 0.5, one retry after a 4s back-off,
/// regen 1s, no timer. Replication `r` is one whose first webhook is lost and whose retry is not
/// (read from the documented streams: the first attempt's loss is the `Webhooks` stream's first
/// draw, the retry's the `WebhookRetries` stream's; the delay is constant and draws nothing).
/// - 10: edit (v1); the webhook is lost; the CMS gives up on it at 10 + 2 = 12.
/// - 16: the retry is sent (12 + 4s), arrives at 18; the regeneration runs 18 -> 19, storing v1.
/// - 18.5: HIT v0, stale. 19.5: HIT v1, fresh.
#[test]
fn a_lost_webhook_retried_after_its_backoff_makes_the_page_fresh() {
    let s = one_page(
        "1m",
        "1s",
        r#"
[[policies]]
name = "retried"
on_edit = "regenerate"
webhook_delay = "2s"
webhook_failure = 0.5
webhook_retries = 1
webhook_backoff = "4s"
"#,
    );
    let r = (0..64)
        .find(|&r| {
            let seed = rng::replication_seed(s.seed, r);
            let lost = rng::stream(seed, Stream::Webhooks).random::<f64>() < 0.5;
            let retry_lost = rng::stream(seed, Stream::WebhookRetries).random::<f64>() < 0.5;
            lost && !retry_lost
        })
        .expect("one replication in 64 loses the first attempt only");
    let t = run_replication(&s, 0, r, gets(&[18.5, 19.5], 0), vec![edit(10.0, 0)]);
    assert_eq!(triggered(&t.trace, Cause::OnDemand), vec![18.0]);
    assert_eq!(
        t.got(0, 18.5),
        (Served::OriginHit, Some(0), true, secs(18.5), SimTime::ZERO)
    );
    assert_eq!(
        t.got(0, 19.5),
        (Served::OriginHit, Some(1), false, secs(19.5), SimTime::ZERO)
    );
    assert_eq!(t.metric("webhook_retries"), 1.0);
}

/// `regenerate` on a backend where every generation fails (regen 1s), webhook delay 0, two
/// retries, back-off 1s. The webhook's answer waits for the regeneration, so each failure is
/// retried: the k-th retry is sent 1s * 2^(k-1) after the failure.
/// - 10: webhook, regeneration 10 -> 11 fails.
/// - 12 (11 + 1s): retry 1, regeneration 12 -> 13 fails.
/// - 15 (13 + 2s): retry 2, regeneration 15 -> 16 fails; the CMS gives up.
#[test]
fn a_failing_regeneration_is_retried_then_given_up() {
    let s = one_page(
        "1m",
        "1s",
        r#"
[backend]
failure_rate = 1.0

[[policies]]
name = "retried"
on_edit = "regenerate"
webhook_retries = 2
webhook_backoff = "1s"
"#,
    );
    let t = run(&s, 0, Vec::new(), vec![edit(10.0, 0)]);
    assert_eq!(triggered(&t.trace, Cause::OnDemand), vec![10.0, 12.0, 15.0]);
    assert!(t.trace.generations.iter().all(|g| !g.ok));
    assert_eq!(t.metric("webhook_retries"), 2.0);
    assert_eq!(t.metric("regenerations_failed"), 3.0);
}

/// As above, but the regeneration takes 5s against a 2s timeout: the answer fails at the
/// timeout. Webhook at 10, times out at 12; retry 1 at 13 (12 + 1s), times out at 15; retry 2
/// at 17 (15 + 2s), times out at 19.
#[test]
fn a_timed_out_regeneration_is_retried() {
    let s = one_page(
        "1m",
        "5s",
        r#"
[backend]
timeout = "2s"

[[policies]]
name = "retried"
on_edit = "regenerate"
webhook_retries = 2
webhook_backoff = "1s"
"#,
    );
    let t = run(&s, 0, Vec::new(), vec![edit(10.0, 0)]);
    assert_eq!(triggered(&t.trace, Cause::OnDemand), vec![10.0, 13.0, 17.0]);
    let finished: Vec<f64> = (t.trace.generations.iter())
        .map(|g| g.finished.as_secs_f64())
        .collect();
    assert_eq!(finished, vec![12.0, 15.0, 19.0]);
}

/// `invalidate` (`revalidatePath`) answers at once, before any regeneration: a failing
/// regeneration is not the webhook's to retry. Webhook at 10 drops the entry; the request at 11
/// blocks on a regeneration that fails at 12; nothing is retried.
#[test]
fn invalidate_is_not_retried_when_the_regeneration_fails() {
    let s = one_page(
        "1m",
        "1s",
        r#"
[backend]
failure_rate = 1.0

[[policies]]
name = "invalidated"
on_edit = "invalidate"
webhook_retries = 3
"#,
    );
    let t = run(&s, 0, vec![get(11.0, 0)], vec![edit(10.0, 0)]);
    assert_eq!(triggered(&t.trace, Cause::Blocking), vec![11.0]);
    assert!(triggered(&t.trace, Cause::OnDemand).is_empty());
    assert_eq!(t.got(0, 11.0).0, Served::Error);
    assert_eq!(t.metric("webhook_retries"), 0.0);
}

/// With `webhook_failure = p` and `r` retries, a webhook never arrives when all `r + 1` attempts
/// are lost: a share p^(r+1) of the edits; and each edit sends p + p^2 + ... + p^r retries on
/// average. 4,000 edits of distinct pages, 10s apart (no batching), p = 0.5, r = 2: p^3 = 0.125,
/// standard error 0.0052, so 0.03 is about six of them, while p^2 = 0.25 and p^4 = 0.0625 are far
/// outside; retries 0.75 per edit.
#[test]
fn the_share_of_webhooks_never_delivered_is_p_to_the_attempts() {
    let n = 4_000u32;
    let s = scenario(
        "12h",
        &format!(
            r#"
[[routes]]
name = "posts"
pages = {n}
regen_time = "1s"

[[policies]]
name = "retried"
on_edit = "regenerate"
webhook_failure = 0.5
webhook_retries = 2
webhook_backoff = "1s"
"#
        ),
    );
    let edits = (0..n).map(|i| edit(f64::from(i) * 10.0, i)).collect();
    let t = run(&s, 0, Vec::new(), edits);
    let arrived = triggered(&t.trace, Cause::OnDemand).len() as f64;
    let never = 1.0 - arrived / f64::from(n);
    assert!((never - 0.125).abs() < 0.03, "never delivered: {never}");
    let retries = t.metric("webhook_retries") / f64::from(n);
    assert!((retries - 0.75).abs() < 0.06, "retries per edit: {retries}");
}

/// Retries draw nothing and change nothing when nothing fails: with `webhook_retries = 3` and no
/// loss or failure, every figure equals the run without retries.
#[test]
fn retries_that_never_happen_change_nothing() {
    let base = r#"
[[routes]]
name = "posts"
pages = 50
regen_time = { exponential = "1s" }
edit_every = "2m"

[cdn]
pops = 2
purge_delay = { exponential = "150ms" }

[[policies]]
name = "on-demand"
on_edit = "regenerate"
webhook_delay = { exponential = "1s" }
purge_cdn = true
"#;
    let plain = scenario("1h", base);
    let retried = scenario(
        "1h",
        &base.replace("purge_cdn = true", "purge_cdn = true\nwebhook_retries = 3"),
    );
    let (a, _) = drawn(&plain, 0);
    let (b, _) = drawn(&retried, 0);
    assert_eq!(a.metrics, b.metrics);
}

// ---- the build's spread, and numbers of seconds -------------------------------------------------

/// Four prerendered pages, `revalidate = 60`, `build_spread = "40s"` ending at t=0: page i is
/// written at -40 * (3 - i) / 4, so at -30, -20, -10 and 0, and goes stale at 30, 40, 50, 60
/// rather than all at 60. A request a second before each expiry is a hit, one a second after
/// finds the page stale.
#[test]
fn a_spread_build_spreads_the_first_expiries() {
    let s = scenario(
        "5m",
        r#"
[[routes]]
name = "posts"
pages = 4
regen_time = "1s"

[origin]
build_spread = "40s"

[[policies]]
name = "timer"
revalidate = 60
"#,
    );
    let mut requests = Vec::new();
    for (page, expiry) in [(0, 30.0), (1, 40.0), (2, 50.0), (3, 60.0)] {
        requests.extend(gets(&[expiry - 1.0, expiry + 1.0], page));
    }
    let t = run(&s, 0, requests, Vec::new());
    for (page, expiry) in [(0, 30.0), (1, 40.0), (2, 50.0), (3, 60.0)] {
        assert_eq!(
            t.got(page, expiry - 1.0).0,
            Served::OriginHit,
            "page {page}"
        );
        assert_eq!(
            t.got(page, expiry + 1.0).0,
            Served::OriginStale,
            "page {page}"
        );
    }
}

/// `revalidate = 60` and `expire = 3600` are seconds: the same results as `"60s"` and `"1h"`.
#[test]
fn a_bare_number_of_seconds_equals_its_duration() {
    let body = |revalidate: &str, expire: &str| {
        format!(
            r#"
[[routes]]
name = "posts"
pages = 50
regen_time = "1s"
edit_every = "10m"

[cdn]
ttl = {revalidate}
stale_while_revalidate = {expire}

[origin]
expire = {expire}

[[policies]]
name = "timer"
revalidate = {revalidate}
"#
        )
    };
    let numbers = scenario("2h", &body("60", "3600"));
    let strings = scenario("2h", &body("\"60s\"", "\"1h\""));
    assert_eq!(numbers.policies, strings.policies);
    assert_eq!(numbers.origin, strings.origin);
    assert_eq!(numbers.cdn, strings.cdn);
    assert_eq!(drawn(&numbers, 0).0.metrics, drawn(&strings, 0).0.metrics);
}

// ---- bad input --------------------------------------------------------------------------------

const SITE: &str = r#"duration = "1h"

[traffic]
pattern = "steady"
rate = 1

[[routes]]
name = "products"
pages = 10
regen_time = "1s"

[[policies]]
name = "p"
on_edit = "regenerate"
"#;

/// `SITE` with `extra` added, run: exit 2, naming the file, the line of `marker` and `key`, and
/// saying `says`.
fn assert_refused(test: &str, extra: &str, marker: &str, key: &str, says: &str) {
    let text = format!("{SITE}{extra}");
    let line = 1 + text.lines().position(|l| l.contains(marker)).unwrap();
    let dir = scratch(test);
    let path = write(&dir, "bad.toml", &text);
    let output = isrsim_run(&path, &dir.join("results"), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("bad.toml:{line}")),
        "line {line}: {stderr}"
    );
    assert!(stderr.contains(key), "names {key}: {stderr}");
    assert!(stderr.contains(says), "says {says}: {stderr}");
}

#[test]
fn bad_new_keys_are_refused_with_their_key_and_line() {
    let event = "\n[[events]]\nkind = \"bulk_edit\"\nat = \"1m\"\n";
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "webhook_retries = -1\n",
            "webhook_retries",
            "policies[0].webhook_retries",
            "0 to 20",
        ),
        (
            "webhook_retries = 21\n",
            "webhook_retries",
            "policies[0].webhook_retries",
            "0 to 20",
        ),
        (
            "webhook_backoff = \"0s\"\n",
            "webhook_backoff",
            "policies[0].webhook_backoff",
            "longer than 0s",
        ),
        (
            "revalidate = 0\n",
            "revalidate",
            "policies[0].revalidate",
            "every request",
        ),
        (
            "revalidate = -5\n",
            "revalidate",
            "policies[0].revalidate",
            "seconds",
        ),
        (
            "expire = 0\n",
            "expire",
            "policies[0].expire",
            "longer than 0s",
        ),
        (
            "routes.products = { webhook_retries = 1.5 }\n",
            "routes.products",
            "policies[0].routes.products.webhook_retries",
            "0 to 20",
        ),
        (
            "\n[backend]\ntimeout = \"none\"\n",
            "timeout",
            "backend.timeout",
            "timeout = false",
        ),
        (
            "\n[backend]\ntimeout = true\n",
            "timeout",
            "backend.timeout",
            "`false`",
        ),
        (
            "\n[origin]\nbuild_spread = \"soon\"\n",
            "build_spread",
            "origin.build_spread",
            "duration",
        ),
        (
            "\n[origin]\nexpire = 0\n",
            "expire",
            "origin.expire",
            "longer than 0s",
        ),
        ("\n[cdn]\nttl = -1\n", "ttl", "cdn.ttl", "seconds"),
        (
            "\n[cdn]\nstale_while_revalidate = \"x\"\n",
            "stale_while",
            "cdn.stale_while_revalidate",
            "duration",
        ),
    ];
    for (i, &(extra, marker, key, says)) in cases.iter().enumerate() {
        assert_refused(&format!("keys-{i}"), extra, marker, key, says);
    }
    let events: &[(&str, &str, &str, &str)] = &[
        (
            "pages = 2\n",
            "[[events]]",
            "events[0].route",
            "needs `route`",
        ),
        (
            "route = \"items\"\npages = 2\n",
            "route =",
            "events[0].route",
            "`products`",
        ),
        (
            "route = \"products\"\n",
            "[[events]]",
            "events[0].pages",
            "needs `pages`",
        ),
        (
            "route = \"products\"\npages = 11\n",
            "pages = 11",
            "events[0].pages",
            "has 10 pages",
        ),
        (
            "route = \"products\"\npages = 0\n",
            "pages = 0",
            "events[0].pages",
            "at least 1",
        ),
        (
            "route = \"products\"\npages = 2\npick = \"newest\"\n",
            "pick =",
            "events[0].pick",
            "\"popular\"",
        ),
        (
            "route = \"products\"\npick = [3, 1]\n",
            "pick =",
            "events[0].pick",
            "first <= last",
        ),
        (
            "route = \"products\"\npick = [8, 10]\n",
            "pick =",
            "events[0].pick",
            "pages 0 to 9",
        ),
        (
            "route = \"products\"\npick = [0, 4]\npages = 3\n",
            "pages = 3",
            "events[0].pages",
            "holds 5 pages",
        ),
        (
            "route = \"products\"\npages = 2\nwithin = \"2m\"\nevery = \"1m\"\n",
            "within =",
            "events[0].within",
            "at most `every`",
        ),
        (
            "route = \"products\"\npages = 2\nwithin = \"1 minute\"\n",
            "within =",
            "events[0].within",
            "unit",
        ),
    ];
    for (i, &(keys, marker, key, says)) in events.iter().enumerate() {
        let extra = format!("{event}{keys}");
        assert_refused(&format!("events-{i}"), &extra, marker, key, says);
    }
    // Another kind's event does not take a bulk edit's keys.
    let extra = "\n[[events]]\nkind = \"restart\"\nat = \"1m\"\nwithin = \"1s\"\n";
    assert_refused(
        "other-kind",
        extra,
        "within",
        "events[0].within",
        "`bulk_edit`",
    );
}

/// Bulk edits count with the routes' edits towards the edits a run may expect.
#[test]
fn bulk_edits_count_towards_the_edit_limit() {
    // 10 pages every microsecond for an hour: 3.6e10 edits.
    let text = format!(
        "{SITE}\n[[events]]\nkind = \"bulk_edit\"\nroute = \"products\"\npages = 10\nevery = \"1us\"\n"
    );
    let dir = scratch("limit");
    let path = write(&dir, "big.toml", &text);
    let output = isrsim_run(&path, &dir.join("results"), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("events[0]") && stderr.contains("edits expected per run"),
        "{stderr}"
    );
}
