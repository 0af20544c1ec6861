//! Cache tags (docs/model.md §8.7) against independent truth: a closed form for the
//! regenerations one site-wide tag causes, hand-worked timelines of what a revalidated tag
//! reaches and misses, and the property that tags covering every changed page, expiring at once,
//! leave no user an older version after the webhook (after the purge's delay with a CDN).
//!
//! Timelines follow the conventions of `tests/timelines.rs`: at one instant, events the model
//! scheduled (a generation finishing, a webhook, a purge, a tag's expiry) run first, then edits,
//! then requests; content starts at version 0 and each edit adds one; prerendered pages are in
//! every ISR cache with version 0 stored at t=0.
//!
//! Run with `cargo test --release --test tags -- --nocapture` to see the closed form's figures.

mod support;
#[allow(dead_code)]
mod timeline_support;

use isrsim::model::{self, Purged, Served, Simulation, Tier, Trace};
use isrsim::scenario::{PurgeKind, Scenario};
use isrsim::time::SimTime;
use isrsim::workload::{PageId, PopId};
use support::{metric, parse};
use timeline_support::{Timeline, edit, get, get_via, run, scenario, secs};

// ---- the closed form -------------------------------------------------------------------------

/// N pages of uniform popularity, requested by a Poisson process of total rate Λ, so each page by
/// its own Poisson process of rate λ = Λ/N (a uniform thinning). Each page is edited by its own
/// Poisson process of mean gap `edit_every`, so edits, and with them the webhooks that revalidate
/// the tag `all` that every page carries (no delay, no loss), come at rate μ = N/`edit_every`.
/// No timer, no CDN, regeneration instant.
///
/// Each revalidation marks every page stale; a page is regenerated (in the background, once)
/// at its first request after it, if that request comes before the next revalidation, and a
/// later request finds it fresh. Between revalidations the gap L is exponential of rate μ, and a
/// page is requested within it with probability q(L) = 1 - e^(-λL), so E[q] = λ/(λ+μ) and the
/// regenerations per second are μ·N·λ/(λ+μ).
///
/// The count's spread over a counted time T, from the same model: about K = μT gaps (a Poisson
/// number of them); given the gaps, the pages are regenerated independently, so
/// Var(R) = E[K]·(N²·E[q²] + N·(E[q] - E[q²])) for the random sum of the per-gap counts, with
/// E[q²] = 1 - 2μ/(λ+μ) + μ/(2λ+μ). The mean of `REPLICATIONS` runs is held to 4 of its
/// standard errors (a false alarm about once in 16,000 seeds; the seed is fixed).
const REPLICATIONS: u32 = 8;

fn one_tag_for_all(pages: u32, rate: f64, edit_every: f64, duration: f64, warmup: f64) -> Scenario {
    parse(&format!(
        r#"
duration = "{duration}s"
warmup = "{warmup}s"
seed = 24

[traffic]
pattern = "steady"
rate = {rate}

[[routes]]
name = "pages"
pages = {pages}
popularity = 0
edit_every = "{edit_every}s"
regen_time = "0s"
tags = ["all"]

[[policies]]
name = "tag-all"
on_edit = "revalidate-tag"
tags = ["all"]
"#
    ))
}

#[test]
fn one_site_wide_tag_regenerates_each_page_visited_between_revalidations() {
    // (N, Λ, edit_every): λ = 1/s and μ = 0.5/s, then λ = μ = 0.25/s.
    let mut power = false;
    for (n, total, edit_every) in [(20.0, 20.0, 40.0), (10.0, 2.5, 40.0)] {
        let (duration, warmup) = (3_660.0, 60.0);
        let scenario = one_tag_for_all(n as u32, total, edit_every, duration, warmup);
        let (lambda, mu) = (total / n, n / edit_every);
        let counted = duration - warmup;
        let per_second = mu * n * lambda / (lambda + mu);
        let q1 = lambda / (lambda + mu);
        let q2 = 1.0 - 2.0 * mu / (lambda + mu) + mu / (2.0 * lambda + mu);
        let var = mu * counted * (n * n * q2 + n * (q1 - q2));
        let se = (var / f64::from(REPLICATIONS)).sqrt();
        let counts: Vec<f64> = (0..REPLICATIONS)
            .map(|r| metric(&model::run(&scenario, 0, r).unwrap(), "regenerations"))
            .collect();
        let mean = counts.iter().sum::<f64>() / f64::from(REPLICATIONS);
        let expected = per_second * counted;
        let tolerance = 4.0 * se;
        println!(
            "N {n}, λ {lambda}, μ {mu}: regenerations {mean:.1} per run, expected {expected:.1} \
             ± {tolerance:.1} ({counts:?})"
        );
        assert!(
            (mean - expected).abs() <= tolerance,
            "regenerations: measured {mean}, expected {expected}, tolerance {tolerance}"
        );
        // A plausible wrong formula, one regeneration per page per revalidation (μ·N), is far
        // outside the tolerance: the test can fail.
        power |= (mu * n * counted - expected).abs() > 3.0 * tolerance;
    }
    assert!(power, "no point tells the formula from μ·N");
}

// ---- hand-worked timelines -------------------------------------------------------------------

/// (how it was served, version, stale, answered at) of the response to `page` arriving at
/// `arrival` seconds.
fn seen(t: &Timeline, page: u32, arrival: f64) -> (Served, Option<u32>, bool, SimTime) {
    let (served, version, stale, at, _) = t.got(page, arrival);
    (served, version, stale, at)
}

fn row(served: Served, version: u32, stale: bool, at: f64) -> (Served, Option<u32>, bool, SimTime) {
    (served, Some(version), stale, secs(at))
}

/// Products 0 and 1 (pages 0, 1) tagged `product:{page}`, one list (page 2) that depends on them
/// and carries no product tag; revalidate 60s, regen 1s, webhook delay 500ms, no CDN. The policy
/// revalidates `product:{page}` of the edited product, so the list changed by the same edit gets
/// nothing: it stays stale until its timer.
/// - 10: edit of product 0: product 0 and the list are v1.
/// - 10.5: the webhook marks product 0 stale (one tag invalidation); the list is untouched.
/// - 20: product 0 is served stale (v0), regenerating 20 -> 21 (v1); the list is a HIT of v0,
///   stale.
/// - 22: product 0 HIT v1. 59: the list still a stale HIT of v0.
/// - 61: the list's timer has run out (stored at 0): served stale, regenerating 61 -> 62.
/// - 63: the list HIT v1.
#[test]
fn a_tag_that_misses_a_changed_list_leaves_it_stale_until_its_timer() {
    let s = scenario(
        "200s",
        r#"
[[routes]]
name = "products"
pages = 2
regen_time = "1s"
tags = ["product:{page}"]

[[routes]]
name = "lists"
pages = 1
regen_time = "1s"
depends_on = "products"
tags = ["list:{page}"]

[[policies]]
name = "product-tags"
revalidate = "60s"
on_edit = "revalidate-tag"
tags = ["product:{page}"]
webhook_delay = "500ms"
"#,
    );
    let requests = vec![
        get(20.0, 0),
        get(22.0, 0),
        get(20.0, 2),
        get(59.0, 2),
        get(61.0, 2),
        get(63.0, 2),
    ];
    let t = run(&s, 0, requests, vec![edit(10.0, 0)]);
    assert_eq!(seen(&t, 0, 20.0), row(Served::OriginStale, 0, true, 20.0));
    assert_eq!(seen(&t, 0, 22.0), row(Served::OriginHit, 1, false, 22.0));
    assert_eq!(seen(&t, 2, 20.0), row(Served::OriginHit, 0, true, 20.0));
    assert_eq!(seen(&t, 2, 59.0), row(Served::OriginHit, 0, true, 59.0));
    assert_eq!(seen(&t, 2, 61.0), row(Served::OriginStale, 0, true, 61.0));
    assert_eq!(seen(&t, 2, 63.0), row(Served::OriginHit, 1, false, 63.0));
    assert_eq!(t.metric("tag_invalidations"), 1.0);
    assert_eq!(t.metric("regenerations"), 2.0);
    assert_eq!(t.metric("purge_requests"), 0.0);
}

/// One page tagged `post`, no timer, regen 1s, webhook delay 1s; the same edit at 10 (v1), its
/// webhook at 11 revalidating `post` under three profiles, and requests at 20, 22, 330 and 400.
/// - `'max'`: stale at 11, expired a year on. 20: stale v0, regenerating 20 -> 21; 22, 330 and
///   400 HITs of v1.
/// - `expire = "5m"`: stale at 11, expired at 311. 20 and 22 as under `'max'`. At 311 the entry
///   regenerated at 21 is expired all the same (its `lastModified`, 21, is before the tag's
///   `expired`, 311: Next.js's `areTagsExpired`): 330 blocks, generated 330 -> 331; 400 a HIT.
///   Two tag invalidations: the webhook's and the expiry's.
/// - `"0s"`: expired at 11: 20 blocks, generated 20 -> 21; 22, 330 and 400 HITs of v1.
#[test]
fn max_against_five_minutes_against_zero_on_one_page() {
    let s = scenario(
        "600s",
        r#"
[[routes]]
name = "posts"
pages = 1
regen_time = "1s"
tags = ["post"]

[[policies]]
name = "max"
on_edit = "revalidate-tag"
tags = ["post"]
webhook_delay = "1s"

[[policies]]
name = "5m"
on_edit = "revalidate-tag"
tags = ["post"]
tag_expire = "5m"
webhook_delay = "1s"

[[policies]]
name = "0s"
on_edit = "revalidate-tag"
tags = ["post"]
tag_expire = "0s"
webhook_delay = "1s"
"#,
    );
    let requests = || vec![get(20.0, 0), get(22.0, 0), get(330.0, 0), get(400.0, 0)];
    let edits = || vec![edit(10.0, 0)];

    let max = run(&s, 0, requests(), edits());
    assert_eq!(seen(&max, 0, 20.0), row(Served::OriginStale, 0, true, 20.0));
    assert_eq!(seen(&max, 0, 22.0), row(Served::OriginHit, 1, false, 22.0));
    assert_eq!(
        seen(&max, 0, 330.0),
        row(Served::OriginHit, 1, false, 330.0)
    );
    assert_eq!(
        seen(&max, 0, 400.0),
        row(Served::OriginHit, 1, false, 400.0)
    );
    assert_eq!(max.metric("tag_invalidations"), 1.0);
    assert_eq!(max.metric("regenerations"), 1.0);

    let five = run(&s, 1, requests(), edits());
    assert_eq!(
        seen(&five, 0, 20.0),
        row(Served::OriginStale, 0, true, 20.0)
    );
    assert_eq!(seen(&five, 0, 22.0), row(Served::OriginHit, 1, false, 22.0));
    assert_eq!(
        seen(&five, 0, 330.0),
        row(Served::Generated, 1, false, 331.0)
    );
    assert_eq!(
        seen(&five, 0, 400.0),
        row(Served::OriginHit, 1, false, 400.0)
    );
    assert_eq!(five.metric("tag_invalidations"), 2.0);
    assert_eq!(five.metric("regenerations"), 2.0);

    let zero = run(&s, 2, requests(), edits());
    assert_eq!(seen(&zero, 0, 20.0), row(Served::Generated, 1, false, 21.0));
    assert_eq!(seen(&zero, 0, 22.0), row(Served::OriginHit, 1, false, 22.0));
    assert_eq!(
        seen(&zero, 0, 330.0),
        row(Served::OriginHit, 1, false, 330.0)
    );
    assert_eq!(zero.metric("tag_invalidations"), 1.0);
    assert_eq!(zero.metric("regenerations"), 1.0);
}

/// A later revalidation of the tag overwrites its `expired` (the last call decides): edits at 10
/// and 100 under `expire = "5m"` (webhooks at 11 and 101) leave one expiry, at 401, not 311. The
/// entry regenerated at 21 and again at 111 is a HIT at 330 and expired at 401: 410 blocks.
#[test]
fn a_later_revalidation_moves_the_tags_expiry() {
    let s = scenario(
        "600s",
        r#"
[[routes]]
name = "posts"
pages = 1
regen_time = "1s"
tags = ["post"]

[[policies]]
name = "5m"
on_edit = "revalidate-tag"
tags = ["post"]
tag_expire = "5m"
webhook_delay = "1s"
"#,
    );
    let requests = vec![get(20.0, 0), get(110.0, 0), get(330.0, 0), get(410.0, 0)];
    let t = run(&s, 0, requests, vec![edit(10.0, 0), edit(100.0, 0)]);
    assert_eq!(seen(&t, 0, 110.0), row(Served::OriginStale, 1, true, 110.0));
    assert_eq!(seen(&t, 0, 330.0), row(Served::OriginHit, 2, false, 330.0));
    assert_eq!(seen(&t, 0, 410.0), row(Served::Generated, 2, false, 411.0));
    assert_eq!(t.metric("tag_invalidations"), 3.0);
}

/// Two products (pages 0, 1) both carrying `category:0` (`category:{page / 2}`), two PoPs warm
/// with v0, no timer, regen 1s, webhook delay 500ms, purge delay 100ms, hard purges. An edit of
/// product 0 at 10 revalidates `category:0`: at 10.5 both pages are stale at the origin (two tag
/// invalidations), and one tag purge is sent (one purge request) that reaches both PoPs at 10.6,
/// removing both pages at each.
/// - 11, product 0 via PoP 0: a MISS; the origin serves v0 stale and regenerates 11 -> 12.
/// - 11, product 1 via PoP 1: a MISS; the origin serves v0 stale (its content is v0: not stale
///   for the user) and regenerates it.
/// - 13, product 0 via PoP 1 and product 1 via PoP 0: MISSes, the origin's fresh copies.
///
/// Purging by path instead sends one purge per page the origin held (two purge requests), each
/// reaching both PoPs: the same answers.
#[test]
fn a_tag_purge_reaches_two_pages_at_two_pops() {
    for purge_by in ["tag", "path"] {
        let s = scenario(
            "100s",
            &format!(
                r#"
[[routes]]
name = "products"
pages = 2
regen_time = "1s"
tags = ["category:{{page / 2}}"]

[cdn]
pops = 2
warm = true
purge_delay = "100ms"
purge_by = "{purge_by}"

[[policies]]
name = "category-tags"
on_edit = "revalidate-tag"
tags = ["category:{{page / 2}}"]
webhook_delay = "500ms"
purge_cdn = true
"#
            ),
        );
        let requests = vec![
            get_via(11.0, 0, 0),
            get_via(11.0, 1, 1),
            get_via(13.0, 0, 1),
            get_via(13.0, 1, 0),
        ];
        let t = run(&s, 0, requests, vec![edit(10.0, 0)]);
        let via = |page, arrival, pop| {
            let (served, version, stale, at, _) = t.got_via(page, arrival, pop);
            (served, version, stale, at)
        };
        assert_eq!(via(0, 11.0, 0), row(Served::OriginStale, 0, true, 11.0));
        assert_eq!(via(1, 11.0, 1), row(Served::OriginStale, 0, false, 11.0));
        assert_eq!(via(0, 13.0, 1), row(Served::OriginHit, 1, false, 13.0));
        assert_eq!(via(1, 13.0, 0), row(Served::OriginHit, 0, false, 13.0));
        assert_eq!(t.metric("tag_invalidations"), 2.0);
        let arrived = secs(10.6);
        let hard = PurgeKind::Hard;
        let mut purges = t.trace.purges.clone();
        purges.sort_by_key(|&(at, tier, purged, _)| (at, format!("{tier:?}{purged:?}")));
        match purge_by {
            "tag" => {
                assert_eq!(t.metric("purge_requests"), 1.0);
                let tag = s.tags.id("category:0").expect("a page carries it");
                assert_eq!(
                    purges,
                    [0, 1].map(|pop| (arrived, Tier::Pop(PopId(pop)), Purged::Tag(tag), hard))
                );
            }
            _ => {
                assert_eq!(t.metric("purge_requests"), 2.0);
                let page = |pop, page| {
                    (
                        arrived,
                        Tier::Pop(PopId(pop)),
                        Purged::Page(PageId(page)),
                        hard,
                    )
                };
                assert_eq!(purges, [page(0, 0), page(0, 1), page(1, 0), page(1, 1)]);
            }
        }
    }
}

// ---- the property ----------------------------------------------------------------------------

/// 24 products tagged `product:{page}` and `category:{page % 4}`, 4 categories listing them
/// (`depends_on`, tagged `category:{page}`), and a home page listing the categories (tagged
/// `home`); only products are edited, and each edit revalidates `product:{page}`,
/// `category:{page % 4}` and `home` with `tag_expire = "0s"`, broadcast to both instances. These
/// tags cover every page the edit changes. Regeneration is instant, so no generation started
/// before an edit can store its old content after the webhook.
fn covered_site(cdn: &str) -> Scenario {
    parse(&format!(
        r#"
duration = "15m"

[traffic]
pattern = "steady"
rate = 40

[[routes]]
name = "products"
pages = 24
share = 0.6
popularity = 0.8
edit_every = "2m"
regen_time = "0s"
tags = ["product:{{page}}", "category:{{page % 4}}"]

[[routes]]
name = "categories"
pages = 4
share = 0.3
depends_on = "products"
regen_time = "0s"
tags = ["category:{{page}}"]

[[routes]]
name = "home"
pages = 1
share = 0.1
depends_on = "categories"
regen_time = "0s"
tags = ["home"]

[origin]
instances = 2
{cdn}
[[policies]]
name = "covered"
revalidate = "30s"
on_edit = "revalidate-tag"
tags = ["product:{{page}}", "category:{{page % 4}}", "home"]
tag_expire = "0s"
broadcast = true
webhook_delay = "2s"
purge_cdn = true
"#
    ))
}

/// Each page's versions as the edits in `trace` made them: product p changes, and with it
/// category p % 4 (page 24 + p % 4) and the home page (28). Per page, the times of its edits.
fn edit_times(trace: &Trace) -> Vec<Vec<SimTime>> {
    let mut times = vec![Vec::new(); 29];
    for &(at, page) in &trace.edits {
        assert!(page.0 < 24, "only products are edited");
        for changed in [page.0, 24 + page.0 % 4, 28] {
            times[changed as usize].push(at);
        }
    }
    times
}

/// Over `seeds` replications: no response answered at or after `lag` past an edit's webhook
/// (sent at the edit) carries a version older than the page's version at that edit.
fn assert_nothing_older_after(cdn: &str, lag: SimTime, seeds: u32) {
    let s = covered_site(cdn);
    let delay = secs(2.0);
    let mut checked = 0;
    for replication in 0..seeds {
        let (_, trace) = Simulation::new(&s, 0, replication)
            .with_trace()
            .run_drawn(&s)
            .unwrap();
        let trace = trace.unwrap();
        let times = edit_times(&trace);
        assert!(trace.edits.len() > 100, "too few edits to tell");
        for r in &trace.responses {
            if r.at < delay + lag {
                continue;
            }
            let sent = r.at - (delay + lag);
            // The page's version once every edit whose webhook came by then had been made.
            let due = times[r.page.index()].partition_point(|&e| e <= sent) as u32;
            let version = r.version.expect("no generation fails");
            assert!(
                version >= due,
                "replication {replication}: page {} answered at {} with v{version}, but the \
                 webhook of the edit making v{due} arrived at or before {}",
                r.page.0,
                r.at,
                sent + delay
            );
            checked += u64::from(due > 0);
        }
    }
    assert!(
        checked > 10_000,
        "only {checked} responses came after an edit"
    );
}

#[test]
fn covering_tags_expired_at_once_leave_no_older_version_after_the_webhook() {
    assert_nothing_older_after("", SimTime::ZERO, 12);
}

/// With a CDN of three PoPs, purged by tag, hard, each purge arriving 250ms after the webhook:
/// nothing older once the purge has arrived.
#[test]
fn with_tag_purges_nothing_older_once_the_purge_has_arrived() {
    let cdn = r#"
[cdn]
pops = 3
purge_delay = "250ms"
purge_by = "tag"
"#;
    assert_nothing_older_after(cdn, secs(0.25), 12);
}
