//! `isrsim load` under `on_edit = "revalidate-tag"`, against the in-process ISR origin of
//! `support::origin` (docs/load.md, "The protocol for tags"): one webhook per edit, carrying the
//! policy's tags filled from the edited page and its `tag_expire` as the profile; tag purges with
//! their headers; path purges of every page carrying a revalidated tag; and hand-worked timelines
//! of what the tagged pages then serve.
//!
//! The site of every test: four products, each tagged `product:{page}` and `category:{page % 2}`,
//! and two categories listing them (`depends_on`: product `i` feeds category `i % 2`), each tagged
//! `category:{page}`. An edit of product 3 changes product 3 and category 1.

use std::sync::atomic::AtomicU64;

use isrsim::driver::Driver;
use isrsim::load::site::Endpoint;
use isrsim::load::{Ending, Load, Options, Plan};
use isrsim::metrics::{RunId, RunResult};
use isrsim::scenario::Scenario;
use isrsim::time::SimTime;

mod support;

use support::metric;
use support::origin::{Call, Origin, OriginConfig, free_port, load_options};

const RUN: RunId = RunId {
    point: 0,
    policy: 0,
    replication: 0,
    seed: 1,
};

/// The catalogue, regenerated in 100 ms, no timer, no warm-up, with `policy` and `extra` tables.
fn catalogue(duration: &str, policy: &str, extra: &str) -> Scenario {
    support::parse(&catalogue_text(duration, policy, extra))
}

fn catalogue_text(duration: &str, policy: &str, extra: &str) -> String {
    format!(
        r#"
duration = "{duration}"
warmup = "0s"
[traffic]
pattern = "steady"
rate = 1
[[routes]]
name = "products"
pages = 4
regen_time = "100ms"
tags = ["product:{{page}}", "category:{{page % 2}}"]
[[routes]]
name = "categories"
pages = 2
regen_time = "100ms"
depends_on = "products"
tags = ["category:{{page}}"]
{extra}
[[policies]]
name = "p"
on_edit = "revalidate-tag"
tags = ["product:{{page}}", "category:{{page % 2}}"]
webhook_delay = "100ms"
{policy}
"#
    )
}

/// The tags of the catalogue, as the stand-in origin reads them: which pages carry each.
fn tags() -> Vec<(String, Vec<(String, u32)>)> {
    let products = |pages: &[u32]| pages.iter().map(|&p| ("products".to_owned(), p)).collect();
    let mut tags: Vec<(String, Vec<(String, u32)>)> = (0..4)
        .map(|p| (format!("product:{p}"), products(&[p])))
        .collect();
    for c in 0..2 {
        let mut pages: Vec<(String, u32)> = products(&[c, c + 2]);
        pages.push(("categories".to_owned(), c));
        tags.push((format!("category:{c}"), pages));
    }
    tags
}

/// Plays `requests` and `edits` (seconds, global page: products 0-3, categories 4-5) against
/// `instances` fresh origins that know the catalogue's tags; the first is also the CDN, and
/// takes the users' requests.
fn play(
    scenario: &Scenario,
    instances: usize,
    requests: &[(f64, u32)],
    edits: &[(f64, u32)],
) -> (RunResult, Ending, Vec<Origin>) {
    let cms = free_port();
    let origins: Vec<Origin> = (0..instances)
        .map(|i| {
            Origin::start(OriginConfig {
                instance: format!("origin-{i}"),
                tags: tags(),
                ..OriginConfig::new(cms)
            })
        })
        .collect();
    let mut options = Options {
        connections: 4,
        ..load_options(&origins[0], cms)
    };
    options.hooks.instances = (origins.iter())
        .map(|o| Endpoint::parse(&o.url(), false).unwrap())
        .collect();
    options.hooks.secret = Some("s3cret".into());
    let at = |list: &[(f64, u32)]| {
        (list.iter())
            .map(|&(s, page)| (SimTime::from_secs_f64(s), page))
            .collect::<Vec<_>>()
    };
    let load = Load::scripted(options, Plan::scripted(at(requests), at(edits)));
    let result = load
        .run(scenario, RUN, &AtomicU64::new(0))
        .unwrap_or_else(|e| panic!("the load test failed: {e}"));
    (result, load.ending(), origins)
}

fn webhooks(origin: &Origin) -> Vec<Call> {
    (origin.calls().into_iter())
        .filter(|c| c.uri.starts_with("/api/revalidate"))
        .collect()
}

fn purges(origin: &Origin) -> Vec<Call> {
    (origin.calls().into_iter())
        .filter(|c| c.method == "PURGE")
        .collect()
}

#[test]
fn an_edit_sends_one_webhook_with_the_edited_pages_tags_and_the_profile() {
    // Product 3's edit changes category 1 too, whose route also revalidates by tag: still one
    // webhook, for the edited page. Two edits, two webhooks.
    for (expire, profile) in [
        ("", "max"),
        ("tag_expire = \"5m\"", "300"),
        ("tag_expire = \"0s\"", "0"),
    ] {
        let scenario = catalogue("800ms", expire, "");
        let (_, ending, origins) = play(&scenario, 1, &[], &[(0.1, 3), (0.2, 0)]);
        let got = webhooks(&origins[0]);
        let uris: Vec<&str> = got.iter().map(|c| c.uri.as_str()).collect();
        assert_eq!(
            uris,
            [
                format!("/api/revalidate?tag=product%3A3,category%3A1&profile={profile}"),
                format!("/api/revalidate?tag=product%3A0,category%3A0&profile={profile}"),
            ],
            "{expire}"
        );
        for call in &got {
            assert_eq!(call.method, "POST");
            assert_eq!(call.header("x-isrsim-mode"), Some("revalidate-tag"));
            assert_eq!(call.header("x-isrsim-secret"), Some("s3cret"));
        }
        assert_eq!(ending.edits, 2);
        assert_eq!(ending.webhooks, (2, 0), "one webhook per edit");
        assert_eq!(ending.purges, (0, 0), "no purge_cdn");
    }
}

#[test]
fn a_broadcast_tag_webhook_reaches_every_instance_and_a_single_one_only_one() {
    for (broadcast, each) in [(true, [1, 1]), (false, [1, 0])] {
        let scenario = catalogue(
            "600ms",
            &format!("broadcast = {broadcast}"),
            "[origin]\ninstances = 2\nbalancer = \"round-robin\"\n",
        );
        let (_, ending, origins) = play(&scenario, 2, &[], &[(0.1, 3)]);
        let got: Vec<usize> = origins.iter().map(|o| webhooks(o).len()).collect();
        assert_eq!(got, each, "broadcast = {broadcast}");
        assert_eq!(ending.webhooks.0, each.iter().sum::<usize>() as u64);
    }
}

#[test]
fn a_tag_purge_goes_once_per_tag_with_its_headers_after_the_purge_delay() {
    //   0.1 edit of product 3; 0.2 its webhook, and the tag purges decided: one per tag
    //   (product:3, category:1, and `sale`, which no page carries but the site revalidates
    //   all the same), each sent 100 ms later (0.3), soft.
    let scenario = catalogue(
        "800ms",
        "purge_cdn = true\npurge = \"soft\"\n\
         routes.products = { tags = [\"product:{page}\", \"category:{page % 2}\", \"sale\"] }",
        "[cdn]\npurge_by = \"tag\"\npurge_delay = \"100ms\"\n",
    );
    let (r, ending, origins) = play(&scenario, 1, &[], &[(0.1, 3)]);
    let got = purges(&origins[0]);
    // Both purges are sent at the same instant, on their own connections: they may arrive in
    // either order.
    let mut tags: Vec<(&str, Option<&str>, Option<&str>)> = (got.iter())
        .map(|c| {
            (
                c.uri.as_str(),
                c.header("x-isrsim-tag"),
                c.header("x-isrsim-purge"),
            )
        })
        .collect();
    tags.sort();
    assert_eq!(
        tags,
        [
            ("/", Some("category:1"), Some("soft")),
            ("/", Some("product:3"), Some("soft")),
            ("/", Some("sale"), Some("soft")),
        ]
    );
    assert_eq!(ending.purges, (3, 0));
    assert_eq!(ending.webhooks, (1, 0));
    assert_eq!(metric(&r, "purge_requests"), 3.0, "three purge calls");
    assert_eq!(
        r.metrics.get("tag_invalidations"),
        None,
        "not measured: the site does not say which entries a tag reached"
    );
    let column = (isrsim::metrics::ROUTE_COLUMNS.iter())
        .position(|c| c.name == "tag_invalidations")
        .expect("routes.csv has tag_invalidations");
    assert!(r.routes.iter().all(|route| route.values[column].is_none()));
}

#[test]
fn a_path_purge_goes_to_every_page_carrying_a_revalidated_tag() {
    // product:3 is carried by product 3; category:1 by products 1 and 3 and category 1: three
    // pages, one path purge each, in page order, hard (the default).
    let scenario = catalogue(
        "800ms",
        "purge_cdn = true",
        "[cdn]\npurge_delay = \"100ms\"\n",
    );
    let (r, ending, origins) = play(&scenario, 1, &[], &[(0.1, 3)]);
    let mut got: Vec<(String, Option<String>)> = (purges(&origins[0]).iter())
        .map(|c| (c.uri.clone(), c.header("x-isrsim-purge").map(str::to_owned)))
        .collect();
    got.sort();
    let hard = Some("hard".to_owned());
    assert_eq!(
        got,
        [
            ("/categories/1".to_owned(), hard.clone()),
            ("/products/1".to_owned(), hard.clone()),
            ("/products/3".to_owned(), hard),
        ]
    );
    assert_eq!(ending.purges, (3, 0));
    assert_eq!(metric(&r, "purge_requests"), 3.0);
}

#[test]
fn a_category_carrying_the_revalidated_tag_is_served_stale_once_then_fresh() {
    // 'max' (stale now), by hand:
    //   0.1  categories/1  HIT v0, fresh
    //   0.2  edit of product 3 -> products/3 v1, categories/1 v1
    //   0.25 categories/1  HIT v0, stale by 0.05 s (the webhook comes at 0.3)
    //   0.5  categories/1  STALE v0, stale by 0.3 s; starts a 100 ms regeneration -> v1 at ~0.6
    //   0.9  categories/1  HIT v1, fresh
    let scenario = catalogue("1.2s", "", "");
    let requests = [(0.1, 5), (0.25, 5), (0.5, 5), (0.9, 5)];
    let (r, _, origins) = play(&scenario, 1, &requests, &[(0.2, 3)]);
    assert_eq!(metric(&r, "stale_responses"), 2.0);
    assert_eq!(metric(&r, "regenerations"), 1.0, "categories/1 only");
    assert_eq!(origins[0].regenerations(), 1);
    assert!((metric(&r, "stale_age_max_s") - 0.3).abs() <= 0.05);
    // "0s" (expired now): the request at 0.5 blocks on a render of v1, so only 0.25 is stale.
    let scenario = catalogue("1.2s", "tag_expire = \"0s\"", "");
    let (r, _, _) = play(&scenario, 1, &requests, &[(0.2, 3)]);
    assert_eq!(metric(&r, "stale_responses"), 1.0);
    assert_eq!(metric(&r, "regenerations"), 1.0);
}

#[test]
fn a_list_whose_tag_is_not_revalidated_stays_stale() {
    // The policy revalidates product tags only: categories/1 changes with product 3 but carries
    // no revalidated tag, so no webhook reaches it and it is stale to the end (no timer).
    let scenario = support::parse(&catalogue_text("1s", "", "").replace(
        r#"tags = ["product:{page}", "category:{page % 2}"]
webhook_delay"#,
        r#"tags = ["product:{page}"]
webhook_delay"#,
    ));
    let (r, ending, _) = play(&scenario, 1, &[(0.5, 5), (0.8, 5)], &[(0.2, 3)]);
    assert_eq!(ending.webhooks, (1, 0));
    assert_eq!(metric(&r, "stale_responses"), 2.0);
    assert_eq!(metric(&r, "regenerations"), 0.0);
}
