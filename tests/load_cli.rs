//! `isrsim load` run as a user runs it, against the in-process ISR origin of `support::origin`:
//! the same users as the simulator, the safety rules (refused before anything is sent), a site
//! without the marker, a failing site, Ctrl-C. Every run is bounded by `isrsim_within`.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use isrsim::workload::rng::replication_seed;
use isrsim::workload::traffic::Requests;

mod support;

use support::origin::{Origin, OriginConfig, free_port};
use support::{assert_exit, isrsim_within, scratch, stderr, write};

/// Two routes, steady traffic at `rate`, for `duration`; one policy.
fn scenario(rate: u32, duration: &str) -> String {
    format!(
        r#"
name = "site"
duration = "{duration}"
warmup = "0s"
seed = 5
[traffic]
pattern = "steady"
rate = {rate}
[[routes]]
name = "posts"
pages = 50
popularity = 1.0
regen_time = "20ms"
[[routes]]
name = "lists"
pages = 3
path = "/list-{{page}}"
regen_time = "20ms"
[[policies]]
name = "time-1s"
revalidate = "1s"
"#
    )
}

/// `isrsim load` of `toml` against `origin`, with the content server on `cms`; killed (and the
/// test failed) if it runs past `limit`.
fn load(
    dir: &Path,
    toml: &str,
    origin: &Origin,
    cms: std::net::SocketAddr,
    extra: &[&str],
) -> Output {
    let file = write(dir, "site.toml", toml);
    let out = dir.join("out");
    let cms = cms.to_string();
    let target = origin.url();
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

fn origin(marker: bool, fail: bool) -> (Origin, std::net::SocketAddr) {
    let cms = free_port();
    let origin = Origin::start(OriginConfig {
        revalidate: Some(Duration::from_secs(1)),
        marker,
        fail,
        ..OriginConfig::new(cms)
    });
    (origin, cms)
}

/// The requests of a `--log` file, as (intended time in microseconds, route, page), in order.
fn sent(log: &Path) -> Vec<(u64, String, u32)> {
    let mut sent: Vec<(u64, String, u32)> = csv::Reader::from_path(log)
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            let micros = (r[0].parse::<f64>().unwrap() * 1e6).round() as u64;
            (micros, r[2].to_string(), r[3].parse().unwrap())
        })
        .collect();
    sent.sort();
    sent
}

/// The value of `column` in the only row of a CSV file.
fn cell(file: &Path, column: &str) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let i = header
        .iter()
        .position(|h| *h == column)
        .unwrap_or_else(|| panic!("{column}"));
    row[i].to_string()
}

#[test]
fn the_users_are_the_simulators_same_times_routes_and_pages() {
    let dir = scratch("same-users");
    let (origin, cms) = origin(true, false);
    let toml = scenario(800, "1600ms");
    let log = dir.join("responses.csv");
    let output = load(&dir, &toml, &origin, cms, &["--log", log.to_str().unwrap()]);
    assert_exit(&output, 0);
    let sent = sent(&log);
    assert!(sent.len() >= 1_000, "only {} responses", sent.len());
    // What `isrsim run` plays for replication 0 (model::simulate reads the same stream).
    let parsed = support::parse(&toml);
    let simulated: Vec<(u64, String, u32)> = Requests::new(&parsed, replication_seed(5, 0))
        .map(|r| {
            let route = if r.page.0 < 50 { "posts" } else { "lists" };
            (r.at.as_micros(), route.to_string(), r.page.0 % 50)
        })
        .take(1_000)
        .collect();
    assert_eq!(&sent[..1_000], &simulated[..]);
    assert!(origin.requests() >= 1_000);
}

#[test]
fn a_target_off_this_machine_is_refused_without_allow_remote() {
    let dir = scratch("remote");
    let file = write(&dir, "site.toml", &scenario(10, "2s"));
    let out = dir.join("out");
    let output = isrsim_within(
        Duration::from_secs(20),
        &[
            "load",
            file.to_str().unwrap(),
            "--target",
            "http://192.0.2.1:80",
            "--out",
            out.to_str().unwrap(),
        ],
    )
    .unwrap();
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("--allow-remote"),
        "{}",
        stderr(&output)
    );
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn a_scenario_over_max_rate_is_refused_before_anything_is_sent() {
    let dir = scratch("max-rate");
    let (origin, cms) = origin(true, false);
    let output = load(&dir, &scenario(2_000, "2s"), &origin, cms, &[]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("--max-rate"),
        "{}",
        stderr(&output)
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(origin.requests(), 0, "no request reached the site");
    assert!(!dir.join("out").exists());
    // The same scenario under a higher cap is accepted.
    let output = load(
        &dir,
        &scenario(2_000, "300ms"),
        &origin,
        cms,
        &["--max-rate", "2000"],
    );
    assert_exit(&output, 0);
}

#[test]
fn a_scenario_with_events_is_refused_before_anything_is_sent() {
    let dir = scratch("events");
    let (origin, cms) = origin(true, false);
    let toml = format!(
        "{}\n[[events]]\nname = \"nightly\"\nkind = \"deploy\"\nat = \"1s\"\n",
        scenario(10, "2s")
    );
    let output = load(&dir, &toml, &origin, cms, &[]);
    assert_exit(&output, 2);
    let err = stderr(&output);
    assert!(
        err.contains("[[events]]") && err.contains("nightly"),
        "{err}"
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(origin.requests(), 0, "no request reached the site");
    assert!(!dir.join("out").exists());
}

#[test]
fn a_site_without_the_marker_stops_the_run() {
    let dir = scratch("no-marker");
    let (origin, cms) = origin(false, false);
    let started = Instant::now();
    let output = load(&dir, &scenario(100, "20s"), &origin, cms, &[]);
    assert_exit(&output, 2);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "it stops at once"
    );
    let err = stderr(&output);
    assert!(
        err.contains("marker") && err.contains("docs/load.md"),
        "{err}"
    );
    assert!(!dir.join("out").exists(), "nothing is written");
}

#[test]
fn a_failing_site_is_measured_not_crashed_on() {
    let dir = scratch("failing");
    let (origin, cms) = origin(true, true);
    let output = load(
        &dir,
        &scenario(100, "2s"),
        &origin,
        cms,
        &["--max-errors", "1"],
    );
    assert_exit(&output, 0);
    let runs = dir.join("out/runs.csv");
    let requests: f64 = cell(&runs, "requests").parse().unwrap();
    assert!(requests > 100.0, "{requests}");
    assert_eq!(
        cell(&runs, "errors"),
        cell(&runs, "requests"),
        "every response failed"
    );
    assert_eq!(cell(&runs, "stale_responses"), "0");
    assert_eq!(cell(&dir.join("out/meta.csv"), "mode"), "load");

    // Under the default budget (half the requests), it stops early with its results written.
    let dir = scratch("failing-budget");
    let output = load(&dir, &scenario(100, "20s"), &origin, cms, &[]);
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("--max-errors"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        cell(&dir.join("out/meta.csv"), "stopped"),
        "too-many-errors"
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_writes_what_was_measured_and_exits_130() {
    let dir = scratch("interrupted");
    let (origin, cms) = origin(true, false);
    let file = write(&dir, "site.toml", &scenario(50, "60s"));
    let out = dir.join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_isrsim"))
        .args([
            "load",
            file.to_str().unwrap(),
            "--target",
            &origin.url(),
            "--cms",
        ])
        .arg(cms.to_string())
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1_500));
    // SAFETY: signalling the child this test started, by its id.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "it stops after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    assert_exit(&output, 130);
    assert_eq!(cell(&out.join("meta.csv"), "interrupted"), "true");
    let requests: f64 = cell(&out.join("runs.csv"), "requests").parse().unwrap();
    assert!(requests > 20.0, "{requests}");
}

#[test]
fn a_measured_folder_is_compared_plotted_and_diffed_like_a_simulated_one() {
    let dir = scratch("compare");
    let (origin, cms) = origin(true, false);
    let toml = format!(
        "{}\n[[policies]]\nname = \"on-demand\"\non_edit = \"regenerate\"\n",
        scenario(50, "1m")
    );
    let output = load(
        &dir,
        &toml,
        &origin,
        cms,
        &[
            "--policy",
            "time-1s",
            "--replication",
            "1",
            "--duration",
            "1s",
        ],
    );
    assert_exit(&output, 0);
    let out = dir.join("out");
    let tested = std::fs::read_to_string(out.join("scenario.toml")).unwrap();
    assert!(
        tested.contains("time-1s") && !tested.contains("on-demand"),
        "{tested}"
    );
    let predicted = dir.join("predicted");
    let file = dir.join("site.toml");
    let run = support::isrsim_run(&file, &predicted, &["--quiet", "--replications", "3"]);
    assert_exit(&run, 0);
    let (measured, predicted) = (out.to_str().unwrap(), predicted.to_str().unwrap());
    let compared = support::isrsim(&["compare", predicted, measured]);
    assert_exit(&compared, 0);
    let table = String::from_utf8_lossy(&compared.stdout);
    assert!(table.contains("stale_ratio"), "{table}");
    assert_exit(&support::isrsim(&["plot", measured]), 0);
    let diffed = support::isrsim(&["diff", measured, measured]);
    assert_exit(&diffed, 0);
}

#[test]
fn a_cdn_metric_the_site_does_not_show_is_not_measured_and_its_slo_is_bad_input() {
    // The scenario has a CDN, but the origin is tested alone: no response names a cache status.
    let dir = scratch("unobserved");
    let (origin, cms) = origin(true, false);
    let toml = format!("{}\n[cdn]\npops = 1\n", scenario(50, "1s"));
    let output = load(&dir, &toml, &origin, cms, &[]);
    assert_exit(&output, 0);
    let runs = dir.join("out/runs.csv");
    assert_eq!(cell(&runs, "cdn_hit_ratio"), "", "not measured, not 0");
    assert_eq!(cell(&runs, "cdn_behind_origin_ratio"), "");

    let dir = scratch("unobserved-slo");
    let toml = format!("{toml}\n[slo]\ncdn_hit_ratio = {{ min = 0.5 }}\n");
    let output = load(&dir, &toml, &origin, cms, &[]);
    assert_exit(&output, 2);
    let err = stderr(&output);
    assert!(
        err.contains("cdn_hit_ratio") && err.contains("does not show"),
        "{err}"
    );
    assert!(
        dir.join("out/runs.csv").exists(),
        "the measurement is written"
    );

    // An origin shield's figures are never observable from the users' side.
    let dir = scratch("unobserved-shield");
    let toml = format!(
        "{}\n[cdn]\npops = 1\nshield = true\n\n[slo]\nshield_hit_ratio = {{ min = 0.5 }}\n",
        scenario(50, "1s")
    );
    let output = load(&dir, &toml, &origin, cms, &[]);
    assert_exit(&output, 2);
    let err = stderr(&output);
    assert!(
        err.contains("shield_hit_ratio") && err.contains("does not show"),
        "{err}"
    );
    assert_eq!(cell(&dir.join("out/runs.csv"), "shield_requests"), "");
}

#[test]
fn a_trace_is_played_as_the_simulator_replays_it() {
    let dir = scratch("trace");
    let (origin, cms) = origin(true, false);
    // Two seconds of a log: 300 requests a second over 40 posts and 3 lists, and assets.
    let mut log = String::new();
    for i in 0..600u32 {
        let second = i / 300;
        let path = match i % 10 {
            0 => format!("/list-{}", i % 3),
            1 => "/_next/static/app.js".to_string(),
            _ => format!("/posts/{}", (i * 7) % 40),
        };
        log += &format!(
            "::1 - - [30/Nov/2026:10:00:{second:02} +0000] \"GET {path} HTTP/1.1\" 200 10 \"-\" \"-\"\n"
        );
    }
    write(&dir, "access.log", &log);
    let toml = r#"
name = "site"
seed = 5
[traffic]
pattern = "trace"
file = "access.log"
[[routes]]
name = "posts"
match = '^/posts/([0-9]+)'
regen_time = "20ms"
[[routes]]
name = "lists"
match = '^/list-([0-9]+)'
path = "/list-{page}"
regen_time = "20ms"
[[policies]]
name = "time-1s"
revalidate = "1s"
"#;
    let responses = dir.join("responses.csv");
    let output = load(
        &dir,
        toml,
        &origin,
        cms,
        &["--log", responses.to_str().unwrap()],
    );
    assert_exit(&output, 0);
    let sent = sent(&responses);
    let parsed = isrsim::scenario::Scenario::parse(toml, &dir.join("site.toml")).unwrap();
    let posts = parsed.routes[0].pages;
    let distinct: std::collections::BTreeSet<u32> = (0..600u32)
        .filter(|i| i % 10 > 1)
        .map(|i| (i * 7) % 40)
        .collect();
    assert_eq!(
        (posts as usize, parsed.routes[1].pages),
        (distinct.len(), 3)
    );
    let mut replayed: Vec<(u64, String, u32)> = Requests::new(&parsed, replication_seed(5, 0))
        .map(|r| {
            let (route, page) = if r.page.0 < posts {
                ("posts", r.page.0)
            } else {
                ("lists", r.page.0 - posts)
            };
            (r.at.as_micros(), route.to_string(), page)
        })
        .collect();
    replayed.sort();
    // Every logged page request, none of the assets.
    assert_eq!(replayed.len(), 540);
    // A request still in flight when the run ends is abandoned, uncounted (docs/load.md), and on
    // a busy machine the last ones due may be: every request due in the first 1.5 s is answered
    // and logged, and nothing is logged that the trace does not hold.
    let early = |v: &[(u64, String, u32)]| -> Vec<(u64, String, u32)> {
        v.iter().filter(|r| r.0 < 1_500_000).cloned().collect()
    };
    assert_eq!(early(&sent), early(&replayed));
    assert!(
        early(&replayed).len() > 350,
        "the comparison is not vacuous"
    );
    assert!(
        sent.iter().all(|r| replayed.binary_search(r).is_ok()),
        "a request the trace does not hold was sent"
    );
}

#[test]
fn a_bad_tag_webhook_or_tag_purge_url_is_refused_before_anything_is_sent() {
    let dir = scratch("tag-urls");
    let (origin, cms) = origin(true, false);
    for (flag, url, said) in [
        (
            "--revalidate-tag-url",
            "{instance}/api/revalidate?tag={tag}",
            "{tags}",
        ),
        (
            "--revalidate-tag-url",
            "{instance}/api/revalidate?path={path}",
            "{profile}",
        ),
        (
            "--revalidate-tag-url",
            "http://192.0.2.1/api/revalidate?tag={tags}",
            "--allow-remote",
        ),
        ("--tag-purge-url", "{cdn}/{tags}", "{tag}"),
        ("--tag-purge-url", "https://127.0.0.1/{tag}", "plain HTTP"),
    ] {
        let output = load(&dir, &scenario(10, "2s"), &origin, cms, &[flag, url]);
        assert_exit(&output, 2);
        let err = stderr(&output);
        assert!(
            err.contains(flag) && err.contains(said),
            "{flag} {url}: {err}"
        );
        assert!(!dir.join("out").exists(), "nothing is written");
    }
    // A tag_expire the webhook's whole-second profile cannot say.
    let tagged = scenario(10, "2s").replace(
        "name = \"time-1s\"\nrevalidate = \"1s\"",
        "name = \"time-1s\"\non_edit = \"revalidate-tag\"\ntags = [\"post:{page}\"]\ntag_expire = \"1500ms\"",
    );
    let output = load(&dir, &tagged, &origin, cms, &[]);
    assert_exit(&output, 2);
    let err = stderr(&output);
    assert!(err.contains("tag_expire") && err.contains("whole"), "{err}");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(origin.requests(), 0, "no request reached the site");
    assert!(origin.calls().is_empty(), "no webhook reached the site");
}
