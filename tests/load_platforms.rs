//! `isrsim load` against each platform's headers (docs/load.md, "Response headers isrsim
//! reads"), and purges shaped for each CDN's API ("Purge APIs, CDN by CDN"), run as a user runs
//! the binary against the stand-in origin of `support::origin`.
//!
//! The stand-in dresses each page's answer in a platform's headers chosen by the page's index
//! (`Dress`), whatever its own cache did; so the test knows, from the `--log` alone (route and
//! page of every response), how many responses the CDN answered: the truth the measured
//! `cdn_hit_ratio` and `origin_requests` are held to.

use std::path::Path;
use std::time::Duration;

mod support;

use support::origin::{Dress, Origin, OriginConfig, free_port};
use support::{assert_exit, isrsim_within, scratch, stderr, write};

/// One route of eight pages, 120 requests a second for 1.5 s, no warm-up, under `[cdn]`.
fn scenario(extra: &str) -> String {
    format!(
        r#"
name = "site"
duration = "1500ms"
warmup = "0s"
seed = 3
[traffic]
pattern = "steady"
rate = 120
[[routes]]
name = "posts"
pages = 8
edit_every = "1h"
regen_time = "10ms"
[[policies]]
name = "time-1s"
revalidate = "1s"
{extra}
[cdn]
pops = 1
"#
    )
}

fn load(
    dir: &Path,
    toml: &str,
    origin: &Origin,
    cms: std::net::SocketAddr,
    extra: &[&str],
) -> std::process::Output {
    let file = write(dir, "site.toml", toml);
    let out = dir.join("out");
    let (cms, target) = (cms.to_string(), origin.url());
    let mut args = vec![
        "load",
        file.to_str().unwrap(),
        "--target",
        &target,
        "--cms",
        &cms,
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    isrsim_within(Duration::from_secs(60), &args).expect("isrsim load ends within a minute")
}

/// The value of `column` in the only row of a CSV file.
fn cell(file: &Path, column: &str) -> String {
    let mut reader = csv::Reader::from_path(file).unwrap();
    let header = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let i = header.iter().position(|h| h == column).unwrap();
    row[i].to_string()
}

/// A platform as the stand-in plays it, and what docs/load.md says each of its four answers
/// (pages `i % 4` = 0, 1, 2, 3) means: the CDN's layer and the origin's, as `--log` writes them.
struct Case {
    name: &'static str,
    dress: Dress,
    layers: [(&'static str, &'static str); 4],
}

fn cases() -> Vec<Case> {
    fn vercel(page: u32) -> Vec<(&'static str, &'static str)> {
        let value = ["HIT", "STALE", "MISS", "PRERENDER"][page as usize % 4];
        vec![("x-vercel-cache", value)]
    }
    fn cloudflare(page: u32) -> Vec<(&'static str, &'static str)> {
        let value = ["HIT", "UPDATING", "EXPIRED", "DYNAMIC"][page as usize % 4];
        vec![("cf-cache-status", value)]
    }
    fn opennext_cloudfront(page: u32) -> Vec<(&'static str, &'static str)> {
        let (cloudfront, opennext) = [
            ("Hit from cloudfront", "HIT"),
            ("RefreshHit from cloudfront", "STALE"),
            ("Miss from cloudfront", "STALE"),
            ("Error from cloudfront", "HIT"),
        ][page as usize % 4];
        vec![("x-cache", cloudfront), ("x-opennext-cache", opennext)]
    }
    fn fastly(page: u32) -> Vec<(&'static str, &'static str)> {
        let value = ["MISS, HIT", "HIT, MISS", "MISS, MISS", "MISS"][page as usize % 4];
        vec![("x-cache", value)]
    }
    fn netlify(page: u32) -> Vec<(&'static str, &'static str)> {
        let value = [
            r#""Next.js"; hit, "Netlify Edge"; hit"#,
            r#""Next.js"; hit, "Netlify Durable"; hit; ttl=3599, "Netlify Edge"; fwd=miss"#,
            r#""Next.js"; fwd=miss, "Netlify Durable"; fwd=uri-miss; stored, "Netlify Edge"; fwd=miss"#,
            r#""Next.js"; hit; fwd=stale, "Netlify Durable"; fwd=stale; ttl=5; stored, "Netlify Edge"; fwd=stale"#,
        ][page as usize % 4];
        vec![("cache-status", value)]
    }
    let dress = |headers, drop_nextjs_cache| Dress {
        headers,
        drop_nextjs_cache,
    };
    vec![
        Case {
            name: "vercel",
            dress: dress(vercel, true),
            layers: [("HIT", ""), ("STALE", ""), ("MISS", ""), ("MISS", "HIT")],
        },
        Case {
            name: "cloudflare",
            dress: dress(cloudflare, false),
            layers: [("HIT", "*"), ("STALE", "*"), ("MISS", "*"), ("MISS", "*")],
        },
        Case {
            name: "opennext-aws",
            dress: dress(opennext_cloudfront, true),
            layers: [
                ("HIT", "HIT"),
                ("HIT", "STALE"),
                ("MISS", "STALE"),
                ("", "HIT"),
            ],
        },
        Case {
            name: "fastly",
            dress: dress(fastly, false),
            layers: [("HIT", "*"), ("HIT", "*"), ("MISS", "*"), ("MISS", "*")],
        },
        Case {
            name: "netlify",
            dress: dress(netlify, true),
            layers: [
                ("HIT", "HIT"),
                ("HIT", "HIT"),
                ("MISS", "MISS"),
                ("MISS", "STALE"),
            ],
        },
    ]
}

#[test]
fn each_platforms_headers_give_the_cdn_and_origin_layers_docs_load_md_names() {
    for case in cases() {
        let dir = scratch(&format!("platform-{}", case.name));
        let cms = free_port();
        let origin = Origin::start(OriginConfig {
            revalidate: Some(Duration::from_secs(1)),
            dress: Some(case.dress),
            ..OriginConfig::new(cms)
        });
        let log = dir.join("responses.csv");
        let output = load(
            &dir,
            &scenario(""),
            &origin,
            cms,
            &["--log", log.to_str().unwrap()],
        );
        assert_exit(&output, 0);
        let mut responses = 0u32;
        let mut from_cdn = 0u32;
        let mut reader = csv::Reader::from_path(&log).unwrap();
        let columns = reader.headers().unwrap().clone();
        let at = |name: &str| columns.iter().position(|c| c == name).unwrap();
        let (page_at, origin_at, cdn_at) = (at("page"), at("origin_layer"), at("cdn_layer"));
        for row in reader.records() {
            let row = row.unwrap();
            let page: usize = row[page_at].parse().unwrap();
            let (cdn, origin_layer) = case.layers[page % 4];
            assert_eq!(&row[cdn_at], cdn, "{}: page {page}", case.name);
            // `*`: Next.js's own x-nextjs-cache, whatever the stand-in's cache did.
            if origin_layer == "*" {
                assert!(
                    ["HIT", "STALE", "MISS"].contains(&&row[origin_at]),
                    "{}: {row:?}",
                    case.name
                );
            } else {
                assert_eq!(&row[origin_at], origin_layer, "{}: page {page}", case.name);
            }
            responses += 1;
            from_cdn += u32::from(cdn == "HIT" || cdn == "STALE");
        }
        assert!(
            responses >= 150,
            "{}: only {responses} responses",
            case.name
        );
        let runs = dir.join("out/runs.csv");
        assert_eq!(
            cell(&runs, "requests"),
            responses.to_string(),
            "{}",
            case.name
        );
        assert_eq!(
            cell(&runs, "origin_requests"),
            (responses - from_cdn).to_string(),
            "{}",
            case.name
        );
        let ratio: f64 = cell(&runs, "cdn_hit_ratio").parse().unwrap();
        let truth = f64::from(from_cdn) / f64::from(responses);
        assert!(
            (ratio - truth).abs() < 1e-4,
            "{}: {ratio} vs {truth}",
            case.name
        );
    }
}

#[test]
fn the_scenarios_platform_reads_its_own_header_first() {
    // Varnish in Vercel's place: both headers on every answer, which disagree.
    fn both(_: u32) -> Vec<(&'static str, &'static str)> {
        vec![("x-cache", "MISS"), ("x-vercel-cache", "HIT")]
    }
    for (platform, ratio) in [("", "0"), ("\n[platform]\nname = \"vercel\"\n", "1")] {
        let dir = scratch(&format!("own-header-{ratio}"));
        let cms = free_port();
        let origin = Origin::start(OriginConfig {
            revalidate: Some(Duration::from_secs(1)),
            dress: Some(Dress {
                headers: both,
                drop_nextjs_cache: false,
            }),
            ..OriginConfig::new(cms)
        });
        let toml = format!("{}{platform}", scenario(""));
        let output = load(&dir, &toml, &origin, cms, &[]);
        assert_exit(&output, 0);
        let measured: f64 = cell(&dir.join("out/runs.csv"), "cdn_hit_ratio")
            .parse()
            .unwrap();
        assert_eq!(measured, ratio.parse::<f64>().unwrap(), "{platform}");
    }
}

#[test]
fn cloudflares_purge_api_gets_its_method_headers_and_json_bodies() {
    // Every page's edit invalidates it and purges it at the CDN, by path, through a relay on
    // this machine that stands in for `api.cloudflare.com` (docs/load.md, "Purge APIs").
    let dir = scratch("purge-api");
    let cms = free_port();
    let origin = Origin::start(OriginConfig {
        revalidate: Some(Duration::from_secs(1)),
        ..OriginConfig::new(cms)
    });
    let toml = scenario("on_edit = \"invalidate\"\npurge_cdn = true\n")
        .replace("edit_every = \"1h\"", "edit_every = \"2s\"");
    let purge_url = format!("{}/purge-api/zones/Z1/purge_cache", origin.url());
    let output = load(
        &dir,
        &toml,
        &origin,
        cms,
        &[
            "--purge-url",
            &purge_url,
            "--purge-method",
            "POST",
            "--purge-header",
            "Authorization: Bearer T0KEN",
            "--purge-body",
            r#"{"files":["https://www.example.com{path}"]}"#,
        ],
    );
    assert_exit(&output, 0);
    let purges: Vec<_> = (origin.calls().into_iter())
        .filter(|c| c.uri.starts_with("/purge-api/"))
        .collect();
    assert!(!purges.is_empty(), "the edits were purged");
    for purge in &purges {
        assert_eq!(purge.method, "POST");
        assert_eq!(purge.uri, "/purge-api/zones/Z1/purge_cache");
        assert_eq!(purge.header("authorization"), Some("Bearer T0KEN"));
        assert_eq!(purge.header("content-type"), Some("application/json"));
        let page = (purge.body)
            .strip_prefix(r#"{"files":["https://www.example.com/posts/"#)
            .and_then(|rest| rest.strip_suffix(r#""]}"#))
            .unwrap_or_else(|| panic!("{}", purge.body));
        assert!(page.parse::<u32>().is_ok_and(|p| p < 8), "{}", purge.body);
    }
}

#[test]
fn a_purge_off_this_machine_is_refused_before_anything_is_sent() {
    let dir = scratch("purge-remote");
    let cms = free_port();
    let origin = Origin::start(OriginConfig::new(cms));
    let toml = scenario("on_edit = \"invalidate\"\npurge_cdn = true\n");
    for (args, said) in [
        (
            vec![
                "--purge-url",
                "http://192.0.2.1/client/v4/zones/Z/purge_cache",
            ],
            "--allow-remote",
        ),
        (
            vec!["--tag-purge-url", "http://purge.example.com/{tag}"],
            "--allow-remote",
        ),
        (
            vec!["--purge-header", "Host: api.fastly.com"],
            "--allow-remote",
        ),
        (vec!["--purge-header", "Fastly-Key"], "NAME: VALUE"),
        (
            vec!["--purge-body", r#"{"files":["{url}"]}"#],
            "unknown placeholder {url}",
        ),
        (
            vec!["--tag-purge-body", r#"{"tags":["{path}"]}"#],
            "unknown placeholder {path}",
        ),
    ] {
        let output = load(&dir, &toml, &origin, cms, &args);
        assert_exit(&output, 2);
        let err = stderr(&output);
        assert!(
            err.contains(args[0]) && err.contains(said),
            "{args:?}: {err}"
        );
        assert!(!dir.join("out").exists(), "nothing is written");
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(origin.requests(), 0, "no request reached the site");
    assert!(origin.calls().is_empty(), "no purge reached the site");
}
