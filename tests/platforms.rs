//! Platforms and CDN products as a user meets them (docs/platforms.md): a profile fills in what
//! its table says, a key written in the file wins over it, and `isrsim validate` prints each value
//! a profile filled in with the profile that set it and its source.

mod support;

use support::{assert_exit, isrsim, parse, scratch, write};

use isrsim::distribution::Distribution;
use isrsim::scenario::{CacheMode, CdnProduct, HeaderRule, PlatformName};
use isrsim::time::SimTime;

/// A small site behind a CDN, for a `[platform]` table and `[cdn]`/`[origin]` keys to be added.
const SITE: &str = r#"
description = "a small blog on a platform"
duration = "10m"
seed = 3

[traffic]
pattern = "steady"
rate = 20

[[routes]]
name = "posts"
pages = 100
edit_every = "30m"
regen_time = "200ms"

[[policies]]
name = "hybrid"
revalidate = 60
on_edit = "regenerate"
"#;

fn scenario(platform: &str, cdn: &str, origin: &str) -> String {
    format!("{SITE}\n[platform]\n{platform}\n\n[cdn]\n{cdn}\n\n[origin]\n{origin}\n")
}

#[test]
fn opennext_aws_fills_in_the_adapter_and_sqs_numbers_and_puts_cloudfront_in_front() {
    let s = parse(&scenario("name = \"opennext-aws\"", "pops = 2", ""));
    assert_eq!(s.platform.name, PlatformName::OpenNextAws);
    assert_eq!(s.origin.headers, HeaderRule::OpenNextAws);
    assert_eq!(s.origin.cache, CacheMode::Shared);
    let q = s.origin.queue.expect("OpenNext on AWS has a queue");
    // MAX_REVALIDATE_CONCURRENCY's default, one message per FIFO group at a time, SQS's
    // five-minute deduplication interval, the reference revalidation function's 30 s timeout.
    assert_eq!((q.groups, q.concurrency), (10, 1));
    assert_eq!(q.dedupe_window, SimTime::from_secs(300));
    assert_eq!(q.timeout, Some(SimTime::from_secs(30)));
    assert_eq!(s.origin.store_lag, None, "S3 reads see the latest write");
    let cdn = s.cdn.as_ref().unwrap();
    assert_eq!(cdn.product, CdnProduct::CloudFront);
    // CloudFront's cache policy bounds: 0 and 31,536,000 s; stale-while-revalidate honoured.
    assert_eq!(cdn.min_ttl, SimTime::ZERO);
    assert_eq!(cdn.max_ttl, Some(SimTime::from_secs(365 * 24 * 3600)));
    assert!(cdn.honor_swr && cdn.collapse);
}

#[test]
fn opennext_cloudflare_fills_in_kv_lag_and_the_durable_object_queue() {
    let s = parse(&scenario("name = \"opennext-cloudflare\"", "pops = 2", ""));
    assert_eq!(s.origin.headers, HeaderRule::OpenNextAws);
    // KV: up to 60 s before another location reads a write.
    assert_eq!(
        s.origin.store_lag,
        Some(Distribution::Uniform {
            low: SimTime::ZERO,
            high: SimTime::from_secs(60)
        })
    );
    let q = s.origin.queue.unwrap();
    // DEFAULT_MAX_REVALIDATION, DEFAULT_REVALIDATION_TIMEOUT_MS, DEFAULT_MAX_RETRIES.
    assert_eq!((q.groups, q.concurrency, q.retries), (10, 5, 6));
    assert_eq!(q.timeout, Some(SimTime::from_secs(10)));
    // The adapter waits 2 s before the first retry, then 2^(n+1) × 2 s after the n-th; the
    // model waits backoff × 2^k before retry k+1. Every retry after the first is on time.
    let adapter: Vec<u64> = (0..6)
        .map(|n| if n == 0 { 2 } else { (1 << (n + 1)) * 2 })
        .collect();
    let model: Vec<u64> = (0..6)
        .map(|k| (q.backoff.as_secs_f64() as u64) << k)
        .collect();
    assert_eq!(adapter[1..], model[1..], "{adapter:?} against {model:?}");
    assert_eq!(s.cdn.as_ref().unwrap().product, CdnProduct::Cloudflare);
}

#[test]
fn vercel_follows_the_origin_within_300_ms_and_netlify_sends_its_own_header() {
    let s = parse(&scenario("name = \"vercel\"", "pops = 2", ""));
    let cdn = s.cdn.as_ref().unwrap();
    assert!(cdn.follows_origin);
    assert_eq!(
        cdn.propagation,
        Distribution::Constant(SimTime::from_millis(300))
    );
    assert_eq!(s.origin.cache, CacheMode::Shared);
    assert_eq!(cdn.product, CdnProduct::Generic, "Vercel names no product");

    let s = parse(&scenario("name = \"netlify\"", "pops = 2", ""));
    assert_eq!(s.origin.headers, HeaderRule::Netlify);
    assert_eq!(s.origin.cache, CacheMode::Shared);
    assert_eq!(s.origin.queue, None);
}

#[test]
fn nginx_keeps_whole_seconds() {
    let s = parse(&scenario("", "product = \"nginx\"", ""));
    assert_eq!(s.cdn.as_ref().unwrap().clock, SimTime::from_secs(1));
    assert_eq!(s.platform.name, PlatformName::NextStart);
}

#[test]
fn a_key_written_in_the_file_wins_over_every_profile() {
    let s = parse(&scenario(
        "name = \"opennext-aws\"",
        "pops = 2\nproduct = \"nginx\"\nclock = \"0s\"\nmax_ttl = \"1h\"",
        "cache = \"local\"\nheaders = \"next\"\n\n[origin.queue]\ngroups = 3",
    ));
    assert_eq!(s.origin.cache, CacheMode::Local);
    assert_eq!(s.origin.headers, HeaderRule::Next);
    let q = s.origin.queue.unwrap();
    assert_eq!(q.groups, 3, "the file's key");
    assert_eq!(
        q.dedupe_window,
        SimTime::from_secs(300),
        "the profile's other keys"
    );
    let cdn = s.cdn.as_ref().unwrap();
    // The file's product replaces the platform's CloudFront: no CloudFront minimum TTL.
    assert_eq!(cdn.product, CdnProduct::Nginx);
    assert_eq!(cdn.clock, SimTime::ZERO);
    assert_eq!(cdn.max_ttl, Some(SimTime::from_secs(3600)));
    // What the file wrote is not a profile's setting.
    let keys: Vec<&str> = s.platform.settings.iter().map(|s| s.key.as_str()).collect();
    for written in [
        "origin.cache",
        "origin.headers",
        "cdn.product",
        "cdn.clock",
        "cdn.max_ttl",
    ] {
        assert!(!keys.contains(&written), "{written} in {keys:?}");
    }
}

#[test]
fn next_start_and_a_generic_cdn_fill_in_nothing() {
    let plain = parse(&scenario("", "pops = 2", ""));
    let named = parse(&scenario(
        "name = \"next-start\"",
        "pops = 2\nproduct = \"generic\"",
        "",
    ));
    assert!(named.platform.settings.is_empty());
    assert_eq!(plain.origin, named.origin);
    assert_eq!(plain.cdn, named.cdn);
}

#[test]
fn validate_prints_what_each_profile_set_and_where_it_comes_from() {
    let dir = scratch("platforms-validate");
    let file = write(
        &dir,
        "aws.toml",
        &scenario(
            "name = \"opennext-aws\"",
            "pops = 2\nproduct = \"nginx\"",
            "headers = \"next\"",
        ),
    );
    let output = isrsim(&["validate", file.to_str().unwrap()]);
    assert_exit(&output, 0);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("[platform] name = \"opennext-aws\", cdn product \"nginx\""),
        "{text}"
    );
    // One entry per value a profile filled in, each starting a line: key = value, the profile,
    // the source.
    let entry = |key: &str| -> String {
        let start = text
            .find(&format!("\n  {key} = "))
            .unwrap_or_else(|| panic!("no line for {key}:\n{text}"));
        let rest = &text[start + 1..];
        // The entry runs on over the lines indented under it.
        let mut lines = rest.lines();
        let mut entry = lines.next().unwrap().trim().to_string();
        for line in lines.take_while(|l| l.starts_with("      ")) {
            entry = format!("{entry} {}", line.trim());
        }
        entry
    };
    let queue = entry("origin.queue");
    assert!(
        queue.starts_with("origin.queue = (groups = 10, concurrency = 1,"),
        "{queue}"
    );
    assert!(
        queue.contains("by platform \"opennext-aws\": @opennextjs/aws 4.2.0"),
        "{queue}"
    );
    let clock = entry("cdn.clock");
    assert!(
        clock.starts_with("cdn.clock = \"1s\", by cdn product \"nginx\": nginx, "),
        "{clock}"
    );
    let cache = entry("origin.cache");
    assert!(
        cache.starts_with("origin.cache = \"shared\", by platform"),
        "{cache}"
    );
    // What the file wrote is not listed as a profile's.
    assert!(!text.contains("\n  origin.headers = "), "{text}");
    assert!(!text.contains("\n  cdn.product = "), "{text}");
    // The effective values in their sections.
    assert!(text.contains("clock = \"1s\""), "{text}");
    assert!(!text.contains("headers = \"opennext-aws\""), "{text}");

    // Without a platform or a product, no `[platform]` block at all.
    let plain = write(&dir, "plain.toml", &scenario("", "pops = 2", ""));
    let output = isrsim(&["validate", plain.to_str().unwrap()]);
    assert_exit(&output, 0);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(!text.contains("[platform]"), "{text}");
}
