//! Tests that span sections: the complete example as a whole, the defaults of a minimal file, and
//! checks across keys of the top level. The fixtures here serve every section's tests.

use super::*;
use crate::scenario::{Backend, Balancer, CacheMode, Distribution, OnEdit, PurgeKind};
use crate::traffic::bursty::Bursty;

/// A complete scenario with every table, `[slo]` included: the settings of
/// `scenarios/bursty.toml`, without its `on-demand-broadcast` policy.
pub(super) const FULL_EXAMPLE: &str = r#"name = "bursty"                # default: the file's stem
description = "Bursty blog traffic: time-based vs on-demand vs hybrid"
duration = "6h"
warmup = "10m"
seed = 42
replications = 3
bucket = "10s"                 # time-series resolution

[traffic]
pattern = "bursty"             # steady | bursty | idle | diurnal | spike
base_rate = 5                  # requests/s
burst_rate = 800
burst_length = "3m"
burst_every = "45m"

[[routes]]
name = "posts"
pages = 5000
share = 0.8
popularity = 1.0
edit_every = "2d"
regen_time = { lognormal = { median = "400ms", p99 = "4s" } }
prerendered = true

[[routes]]
name = "categories"
pages = 40
share = 0.2
depends_on = "posts"
regen_time = "800ms"

[cdn]
pops = 8
collapse = true
rtt = "15ms"
origin_rtt = "60ms"
purge_delay = { lognormal = { median = "150ms", p99 = "2s" } }
purge_failure = 0.0

[origin]
instances = 3
cache = "local"                # local | shared
lock = false                   # with shared: one regeneration per page across the cluster
balancer = "round-robin"       # round-robin | random | hash
expire = "1y"                  # Next.js expireTime
rtt = "60ms"                   # used when there is no CDN

[backend]
concurrency = 8                # or "unlimited"
failure_rate = 0.001
timeout = "30s"

[[policies]]
name = "time-60s"
revalidate = "60s"

[[policies]]
name = "on-demand"
on_edit = "regenerate"
webhook_delay = { exponential = "1s" }
purge_cdn = true
purge = "hard"

[[policies]]
name = "hybrid"
revalidate = "1h"
on_edit = "regenerate"
purge_cdn = true
routes.categories = { revalidate = "5m", on_edit = "none" }

[monitor]
alert_after = "24h"

[slo]                          # checked after the run, on the means in summary.csv
stale_ratio = 0.02             # a bare value is an upper bound
stale_age_p99_s = "10m"        # a duration is accepted for _s and _ms columns
cdn_hit_ratio = { min = 0.9 }  # a lower bound
"#;

/// A small valid scenario; tests append to it or replace one line of it.
pub(super) const MINIMAL: &str = r#"duration = "6h"

[traffic]
pattern = "steady"
rate = 10

[[routes]]
name = "posts"
pages = 100
regen_time = "1s"

[[routes]]
name = "list"
pages = 5
regen_time = "1s"

[[policies]]
name = "time"
revalidate = "60s"
"#;

pub(super) fn parse_text(text: &str) -> Result<Scenario, InputError> {
    scenario(
        text,
        Path::new("scenarios/blog.toml"),
        false,
        super::Logs::Read,
    )
}

/// Parses `text`, expects an error, and checks its key, its line, and that it names the file.
pub(super) fn error(text: &str, key: &str, line: usize) -> InputError {
    let err = match parse_text(text) {
        Ok(_) => panic!("expected an error at `{key}`, but the scenario parsed"),
        Err(e) => e,
    };
    assert_eq!(err.key.as_deref(), Some(key), "wrong key in: {err}");
    assert_eq!(err.line, Some(line), "wrong line in: {err}");
    assert!(
        err.to_string().contains("scenarios/blog.toml"),
        "no file in: {err}"
    );
    err
}

pub(super) fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle in text")
        + 1
}

pub(super) fn replace(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "`{from}` is not in the text");
    text.replacen(from, to, 1)
}

#[test]
fn sizes_no_machine_could_hold_are_refused_not_aborted() {
    let text = replace(
        MINIMAL,
        "duration = \"6h\"",
        "duration = \"6h\"\nbucket = \"1us\"",
    );
    let err = error(&text, "bucket", line_of(&text, "bucket"));
    assert!(err.message.contains("at most 10000000"), "{err}");
    let text = replace(MINIMAL, "pages = 100\n", "pages = 4000000000\n");
    let err = parse_text(&text).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("routes"), "{err}");
    assert!(
        err.line.is_some() && err.message.contains("too large"),
        "{err}"
    );
    let text = format!("{MINIMAL}\n[cdn]\npops = 70000\n");
    error(&text, "cdn.pops", line_of(&text, "pops"));
}

#[test]
fn spec_example_resolves_with_defaults_filled_in() {
    let s = parse_text(FULL_EXAMPLE).unwrap();
    assert_eq!(s.name, "bursty");
    assert_eq!(s.duration, SimTime::from_secs(6 * 3600));
    assert_eq!(s.warmup, SimTime::from_secs(600));
    assert_eq!(
        (s.seed, s.replications, s.bucket),
        (42, 3, SimTime::from_secs(10))
    );
    assert_eq!(
        s.traffic.get::<Bursty>(),
        Some(&Bursty {
            base_rate: 5.0,
            burst_rate: 800.0,
            burst_length: SimTime::from_secs(180),
            burst_every: SimTime::from_secs(45 * 60),
        })
    );

    let posts = &s.routes[0];
    assert_eq!(
        (posts.pages, posts.share, posts.popularity),
        (5000, 0.8, 1.0)
    );
    assert_eq!(posts.edit_every, Some(SimTime::from_secs(2 * 86_400)));
    assert_eq!(
        posts.regen_time,
        Distribution::LogNormal {
            median: SimTime::from_millis(400),
            p99: SimTime::from_secs(4)
        }
    );
    let categories = &s.routes[1];
    assert_eq!(categories.depends_on, Some(0));
    assert_eq!(categories.popularity, 0.0, "default popularity");
    assert!(categories.prerendered, "default prerendered");
    assert_eq!(categories.edit_every, None);
    assert_eq!(
        categories.regen_time,
        Distribution::Constant(SimTime::from_millis(800))
    );

    let cdn = s.cdn.as_ref().unwrap();
    assert_eq!(
        (cdn.pops, cdn.ttl, cdn.stale_while_revalidate),
        (8, None, None)
    );
    assert!(cdn.collapse && !cdn.warm);
    assert_eq!(
        (cdn.rtt, cdn.origin_rtt),
        (SimTime::from_millis(15), SimTime::from_millis(60))
    );
    assert_eq!(cdn.purge_failure, 0.0);

    assert_eq!(s.origin.instances, 3);
    assert_eq!(s.origin.expire, SimTime::from_secs(365 * 86_400));
    assert_eq!(s.backend.concurrency, Some(8));
    assert_eq!(s.backend.timeout, Some(SimTime::from_secs(30)));
    assert_eq!(s.monitor.alert_after, SimTime::from_secs(86_400));

    let names: Vec<&str> = s.policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["time-60s", "on-demand", "hybrid"]);
    let time = &s.policies[0];
    assert_eq!(time.routes.len(), 2);
    assert!(
        time.routes
            .iter()
            .all(|r| r.revalidate == Some(SimTime::from_secs(60)))
    );
    assert!(
        time.routes
            .iter()
            .all(|r| r.on_edit == OnEdit::None && !r.purge_cdn)
    );
    let on_demand = &s.policies[1].routes[0];
    assert_eq!(on_demand.revalidate, None);
    assert_eq!(
        on_demand.webhook_delay,
        Distribution::Exponential {
            mean: SimTime::from_secs(1)
        }
    );
    assert_eq!(on_demand.purge, PurgeKind::Hard);
    let hybrid = &s.policies[2];
    assert_eq!(hybrid.routes[0].revalidate, Some(SimTime::from_secs(3600)));
    assert_eq!(hybrid.routes[0].on_edit, OnEdit::Regenerate);
    // The override replaces only the keys it names.
    assert_eq!(hybrid.routes[1].revalidate, Some(SimTime::from_secs(300)));
    assert_eq!(hybrid.routes[1].on_edit, OnEdit::None);
    assert!(hybrid.routes[1].purge_cdn);
}

#[test]
fn omitted_tables_take_the_spec_defaults() {
    let s = parse_text(MINIMAL).unwrap();
    assert_eq!(s.name, "blog", "the file's stem");
    assert_eq!(s.description, "");
    assert_eq!((s.warmup, s.seed, s.replications), (SimTime::ZERO, 0, 1));
    assert!(s.cdn.is_none());
    assert_eq!(s.origin.cache, CacheMode::Local);
    assert_eq!(s.origin.balancer, Balancer::RoundRobin);
    assert_eq!(
        s.backend,
        Backend {
            concurrency: None,
            failure_rate: 0.0,
            timeout: None
        }
    );
    assert_eq!(s.routes[0].share, 1.0);
    assert_eq!(
        s.policies[0].routes[1].webhook_delay,
        Distribution::Constant(SimTime::ZERO)
    );
}

#[test]
fn default_bucket_gives_about_500_buckets() {
    let (s, ms) = (SimTime::from_secs, SimTime::from_millis);
    let duration_and_bucket = [
        // 6h / 500 = 43.2s, rounded up to whole seconds.
        (s(6 * 3600), s(44)),
        (s(500), s(1)),
        // 60s / 500 = 120ms; 1s / 500 = 2ms; 100ms / 500 = 0.2ms, raised to the 1ms floor.
        (s(60), ms(120)),
        (ms(1001), ms(3)),
        (ms(100), ms(1)),
    ];
    for (duration, bucket) in duration_and_bucket {
        assert_eq!(default_bucket(duration), bucket, "duration {duration}");
    }
    assert_eq!(parse_text(MINIMAL).unwrap().bucket, SimTime::from_secs(44));
}

#[test]
fn a_sweep_needs_a_study() {
    let text = format!("{MINIMAL}\n[sweep]\nx = 1\n");
    error(&text, "sweep", line_of(&text, "[sweep]"));
}

#[test]
fn other_cross_key_errors() {
    let text = replace(
        MINIMAL,
        "duration = \"6h\"",
        "duration = \"6h\"\nwarmup = \"6h\"",
    );
    error(&text, "warmup", 2);
    let text = replace(MINIMAL, "name = \"list\"", "name = \"posts\"");
    error(&text, "routes[1].name", line_of(&text, "pages = 5") - 1);
    let text = format!("{MINIMAL}\n[[policies]]\nname = \"time\"\n");
    error(&text, "policies[1].name", text.lines().count());
    let text = format!("name = \"../x\"\n{MINIMAL}");
    error(&text, "name", 1);
}

#[test]
fn empty_routes_or_policies_are_errors() {
    let no_routes = "duration = \"1h\"\nroutes = []\n[traffic]\npattern = \"idle\"\nrate = 0.01\n\
                     [[policies]]\nname = \"p\"\n";
    error(no_routes, "routes", 2);
    let no_policies = replace(
        MINIMAL,
        "[[policies]]\nname = \"time\"\nrevalidate = \"60s\"\n",
        "",
    );
    let text = format!("policies = []\n{no_policies}");
    error(&text, "policies", 1);
}
