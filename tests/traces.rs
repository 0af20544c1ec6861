//! Trace replay (docs/traces.md), against logs of known content written by
//! `support::access_log`: a replay gives exactly the requests the log holds (per route, per
//! page, per second), the same in every replication; the window, the speed and the filters do
//! what they say; edit logs are replayed as edits; and bad logs get the documented errors.

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use isrsim::scenario::Scenario;
use isrsim::workload::content::{Edits, PageLayout};
use isrsim::workload::traffic::Requests;
use support::access_log::{self, Arrivals, Route, Shape};
use support::{assert_exit, isrsim, scratch, stderr, write};

/// 2026-11-30T10:00:00Z.
const START: i64 = 1_796_032_800;

fn shape(seed: u64) -> Shape {
    Shape {
        start: START,
        duration_s: 600.0,
        arrivals: Arrivals::Steady { rate: 40.0 },
        routes: vec![
            Route {
                prefix: "/blog/",
                pages: 300,
                share: 0.7,
                zipf: 1.0,
            },
            Route {
                prefix: "/docs/",
                pages: 50,
                share: 0.3,
                zipf: 0.5,
            },
        ],
        assets: 0.1,
        noise: 0.05,
        seed,
    }
}

fn scenario_text(traffic_extra: &str, routes_extra: &str) -> String {
    format!(
        r#"
[traffic]
pattern = "trace"
file = "access.log.gz"
{traffic_extra}

[[routes]]
name = "blog"
match = '^/blog/([^/?#]+)'
regen_time = "100ms"
edit_every = "1h"
{routes_extra}

[[routes]]
name = "docs"
match = '^/docs/([^/?#]+)'
regen_time = "100ms"

[cdn]
pops = 4

[[policies]]
name = "time-30s"
revalidate = "30s"
"#
    )
}

fn parse(dir: &Path, text: &str) -> Scenario {
    let path = write(dir, "trace.toml", text);
    Scenario::parse(text, &path).unwrap_or_else(|e| panic!("{e}"))
}

/// Requests per route and per page (sorted counts: ids are in order of first appearance, the
/// log's ranks are not), and per second from the first request's second.
fn replayed(scenario: &Scenario, seed: u64) -> (Vec<u64>, Vec<Vec<u64>>, Vec<u32>) {
    let layout = PageLayout::new(scenario);
    let mut per_route = vec![0; scenario.routes.len()];
    let mut per_page = vec![0u64; layout.total()];
    let mut per_second = Vec::new();
    let mut last = 0;
    for r in Requests::new(scenario, seed) {
        assert!(r.at.as_micros() >= last, "in time order");
        last = r.at.as_micros();
        per_route[layout.route_of(r.page)] += 1;
        per_page[r.page.index()] += 1;
        let s = r.at.whole_secs() as usize;
        if per_second.len() <= s {
            per_second.resize(s + 1, 0);
        }
        per_second[s] += 1;
    }
    let mut pages = Vec::new();
    let mut offset = 0;
    for route in &scenario.routes {
        let mut counts = per_page[offset..offset + route.pages as usize].to_vec();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        pages.push(counts);
        offset += route.pages as usize;
    }
    (per_route, pages, per_second)
}

fn sorted(mut counts: Vec<u64>) -> Vec<u64> {
    counts.retain(|&c| c > 0);
    counts.sort_unstable_by(|a, b| b.cmp(a));
    counts
}

#[test]
fn a_replay_gives_exactly_the_requests_of_the_log() {
    let dir = scratch("exact");
    let written = access_log::write_gzip(&shape(1), &dir.join("access.log.gz")).unwrap();
    let scenario = parse(&dir, &scenario_text("", ""));
    let Some(replay) = scenario.traffic.replay() else {
        panic!("a trace")
    };
    // Every line is accounted for: replayed, filtered (POST, 404), or unmatched (assets).
    let t = &replay.tally;
    assert_eq!(t.lines, written.lines);
    assert_eq!(t.kept, written.per_route.iter().sum::<u64>());
    assert_eq!(t.lines, t.kept + t.filtered + t.unmatched);
    assert!(t.filtered > 0 && t.unmatched > 0 && t.unreadable == 0);
    // Pages are the distinct keys requested.
    for (route, pages) in scenario.routes.iter().zip(&written.per_page) {
        assert_eq!(
            route.pages as usize,
            pages.iter().filter(|&&c| c > 0).count()
        );
    }
    let (per_route, per_page, per_second) = replayed(&scenario, 11);
    assert_eq!(per_route, written.per_route);
    for (got, want) in per_page.into_iter().zip(&written.per_page) {
        assert_eq!(sorted(got), sorted(want.clone()));
    }
    // Each request stays in its logged second: the first request's second is time 0.
    let skip = written.per_second.iter().position(|&n| n > 0).unwrap();
    let mut want = written.per_second[skip..].to_vec();
    while want.last() == Some(&0) {
        want.pop();
    }
    assert_eq!(per_second, want);
    // The run lasts to the end of the last request's second.
    assert_eq!(scenario.duration.whole_secs() as usize, want.len());
}

#[test]
fn every_replication_replays_the_same_requests_on_its_own_pops() {
    let dir = scratch("replications");
    access_log::write_gzip(&shape(2), &dir.join("access.log.gz")).unwrap();
    let scenario = parse(&dir, &scenario_text("", ""));
    let strip = |seed| -> Vec<(u64, u32)> {
        Requests::new(&scenario, seed)
            .map(|r| (r.at.as_micros(), r.page.0))
            .collect()
    };
    assert_eq!(strip(1), strip(2));
    let pops = |seed| -> Vec<u32> { Requests::new(&scenario, seed).map(|r| r.pop.0).collect() };
    assert_ne!(pops(1), pops(2), "the PoP is drawn per replication");
    assert!(pops(1).iter().all(|&p| p < 4));
}

#[test]
fn a_window_and_a_speed_cut_and_compress_log_time() {
    let dir = scratch("window");
    access_log::write_gzip(&shape(3), &dir.join("access.log.gz")).unwrap();
    let whole = parse(&dir, &scenario_text("", ""));
    let cut = parse(
        &dir,
        &scenario_text("start = \"2m\"\nend = \"5m\"\nspeed = 2", ""),
    );
    let (_, _, whole_seconds) = replayed(&whole, 1);
    let (per_route, _, fast_seconds) = replayed(&cut, 1);
    // Log seconds [120, 300) played at twice the speed: 90 simulated seconds, each holding
    // two logged ones.
    let want: Vec<u32> = whole_seconds[120..300]
        .chunks(2)
        .map(|c| c.iter().sum())
        .collect();
    assert_eq!(fast_seconds, want);
    assert_eq!(cut.duration.whole_secs(), 90);
    let Some(replay) = cut.traffic.replay() else {
        panic!()
    };
    assert_eq!(per_route.iter().sum::<u64>(), replay.tally.kept);
    assert!(replay.tally.outside > 0);
    // A duration shorter than the trace ends the replay there.
    let short = parse(
        &dir,
        &format!("duration = \"1m\"\n{}", scenario_text("", "")),
    );
    let (_, _, seconds) = replayed(&short, 1);
    assert_eq!(seconds[..], whole_seconds[..60]);
}

#[test]
fn methods_and_statuses_choose_the_lines() {
    let dir = scratch("filters");
    let written = access_log::write_gzip(&shape(4), &dir.join("access.log.gz")).unwrap();
    let every = parse(
        &dir,
        &scenario_text(
            "methods = [\"GET\", \"POST\"]\nstatuses = [\"2xx\", \"3xx\", \"4xx\"]",
            "",
        ),
    );
    let Some(replay) = every.traffic.replay() else {
        panic!()
    };
    assert_eq!(replay.tally.filtered, 0);
    assert_eq!(replay.tally.kept + replay.tally.unmatched, written.lines);
    let only_304 = parse(&dir, &scenario_text("statuses = [304]", ""));
    let Some(replay) = only_304.traffic.replay() else {
        panic!()
    };
    // About half the kept requests of the default filter were answered 304.
    let share = replay.tally.kept as f64 / written.per_route.iter().sum::<u64>() as f64;
    assert!((share - 0.5).abs() < 0.05, "{share}");
}

#[test]
fn a_pages_bound_keeps_the_first_pages_and_counts_the_rest() {
    let dir = scratch("bound");
    access_log::write_gzip(&shape(5), &dir.join("access.log.gz")).unwrap();
    let text = scenario_text("", "").replacen(
        "regen_time = \"100ms\"\nedit_every",
        "pages = 10\nregen_time = \"100ms\"\nedit_every",
        1,
    );
    let scenario = parse(&dir, &text);
    assert_eq!(scenario.routes[0].pages, 10);
    let Some(replay) = scenario.traffic.replay() else {
        panic!()
    };
    assert!(replay.tally.beyond_bound > 0);
    let (per_route, _, _) = replayed(&scenario, 1);
    assert_eq!(per_route[0], replay.per_route[0]);
    assert_eq!(replay.tally.kept, per_route.iter().sum::<u64>());
}

#[test]
fn an_edit_log_is_replayed_as_the_routes_edits() {
    let dir = scratch("edits");
    access_log::write_gzip(&shape(6), &dir.join("access.log.gz")).unwrap();
    // Three publishes of one requested post (its key is the rank-1 post's), one of a post the
    // trace never requested, one before the trace and one of an unknown route.
    let popular = access_log::key(1);
    let csv = format!(
        "time,path\n{},/blog/{popular}\n{},/blog/{popular}\n{},/blog/never-read\n{},/blog/{popular}\n{},/shop/x\n",
        START + 100,
        START + 40,
        START + 200,
        START - 50,
        START + 300
    );
    write(&dir, "publishes.csv", &csv);
    let text = scenario_text("", "").replace(
        "edit_every = \"1h\"\n",
        "edits = { file = \"publishes.csv\", format = \"csv\" }\n",
    );
    let scenario = parse(&dir, &text);
    let log = scenario.routes[0].edit_log.as_ref().expect("an edit log");
    assert_eq!(log.tally.kept, 3);
    assert_eq!(log.tally.outside, 1);
    assert_eq!(log.tally.unmatched, 1);
    let layout = PageLayout::new(&scenario);
    let edits: Vec<(u64, usize)> = Edits::new(&scenario, &layout, 9)
        .map(|(at, page)| (at.whole_secs(), layout.route_of(page)))
        .collect();
    // The trace's time 0 is its first request's second; the log's first line is within a
    // second of START.
    let Some(replay) = scenario.traffic.replay() else {
        panic!()
    };
    let zero = replay.origin / 1_000_000 - START;
    assert_eq!(
        edits,
        vec![
            (40 - zero as u64, 0),
            (100 - zero as u64, 0),
            (200 - zero as u64, 0)
        ]
    );
    // The never-read post is a page of its own: one more than the trace requested.
    let read = Scenario::parse(&scenario_text("", ""), &dir.join("trace.toml")).unwrap();
    assert_eq!(scenario.routes[0].pages, read.routes[0].pages + 1);
}

#[test]
fn a_run_of_a_trace_is_reproducible_and_validate_reports_the_lines() {
    let dir = scratch("cli");
    access_log::write_gzip(&shape(7), &dir.join("access.log.gz")).unwrap();
    let scenario = write(
        &dir,
        "trace.toml",
        &format!("replications = 2\n{}", scenario_text("", "")),
    );
    let run = |out: &str, threads: &str| {
        let out = dir.join(out);
        let o = isrsim(&[
            "run",
            scenario.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--threads",
            threads,
            "--quiet",
        ]);
        assert_exit(&o, 0);
        std::fs::read(out.join("runs.csv")).unwrap()
    };
    assert_eq!(run("one", "1"), run("two", "2"));
    let o = isrsim(&["validate", scenario.to_str().unwrap()]);
    assert_exit(&o, 0);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("pattern = \"trace\""), "{text}");
    assert!(text.contains("matched by no route"), "{text}");
    assert!(text.contains("of another method or status"), "{text}");
}

fn gzip(lines: &str) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(lines.as_bytes()).unwrap();
    gz.finish().unwrap()
}

fn line(second: u32, path: &str) -> String {
    format!(
        "::1 - - [30/Nov/2026:10:{:02}:{:02} +0000] \"GET {path} HTTP/1.1\" 200 100 \"-\" \"-\"\n",
        second / 60,
        second % 60
    )
}

#[test]
fn a_few_broken_lines_are_counted_and_named_too_many_are_an_error() {
    let dir = scratch("broken");
    let mut log = String::new();
    for i in 0..1_000u32 {
        let route = if i % 2 == 0 { "blog" } else { "docs" };
        log += &line(i / 10, &format!("/{route}/{}", i % 7));
        if i == 500 {
            log += "this line is not a request\n";
        }
    }
    std::fs::write(dir.join("access.log.gz"), gzip(&log)).unwrap();
    let scenario = parse(&dir, &scenario_text("", ""));
    let Some(replay) = scenario.traffic.replay() else {
        panic!()
    };
    assert_eq!(replay.tally.unreadable, 1);
    assert_eq!(replay.tally.first_unreadable[0].0, 502);
    assert_eq!(replay.tally.kept, 1_000);

    // 2% broken lines: the file, the first broken line and what a line should be.
    let mut log = String::new();
    for i in 0..1_000u32 {
        log += &line(i / 10, if i % 2 == 0 { "/blog/a" } else { "/docs/a" });
        if i % 50 == 0 {
            log += "broken\n";
        }
    }
    std::fs::write(dir.join("access.log.gz"), gzip(&log)).unwrap();
    let path = write(&dir, "trace.toml", &scenario_text("", ""));
    let o = isrsim(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(err.contains("access.log.gz:2:"), "{err}");
    assert!(err.contains("combined"), "{err}");
    assert!(!dir.join("out").exists(), "nothing written");
}

#[test]
fn a_missing_log_and_an_unreadable_gzip_are_bad_input() {
    let dir = scratch("missing");
    let path = write(&dir, "trace.toml", &scenario_text("", ""));
    let o = isrsim(&["validate", path.to_str().unwrap()]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("traffic.file") && err.contains("access.log.gz"),
        "{err}"
    );

    let mut bytes = gzip(
        &(0..5_000)
            .map(|i| line(i / 20, "/blog/a"))
            .collect::<String>(),
    );
    let middle = bytes.len() / 2;
    bytes[middle..middle + 32].fill(0x55);
    std::fs::write(dir.join("access.log.gz"), bytes).unwrap();
    let o = isrsim(&["validate", path.to_str().unwrap()]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("access.log.gz") && err.contains("cannot read the log"),
        "{err}"
    );
}

#[test]
fn keys_that_a_trace_decides_are_refused() {
    let dir = scratch("refused");
    access_log::write_gzip(&shape(8), &dir.join("access.log.gz")).unwrap();
    let cases: BTreeMap<&str, String> = [
        ("routes[0].share", scenario_text("", "share = 0.5")),
        ("routes[0].popularity", scenario_text("", "popularity = 1")),
        (
            "traffic.end",
            scenario_text("start = \"5m\"\nend = \"1m\"", ""),
        ),
        (
            "routes[0].match",
            scenario_text("", "").replace("'^/blog/([^/?#]+)'", "'^/blog/(a)(b)'"),
        ),
        (
            "routes[0].edits",
            scenario_text("", "edits = { file = \"access.log.gz\" }"),
        ),
        (
            "routes[1].match",
            scenario_text("", "").replace("'^/docs/([^/?#]+)'", "'^/nothing/(.+)'"),
        ),
    ]
    .into_iter()
    .collect();
    for (key, text) in cases {
        let path = write(&dir, "trace.toml", &text);
        let err = Scenario::parse(&text, &path).unwrap_err();
        assert_eq!(err.key.as_deref(), Some(key), "{err}");
        assert!(err.line.is_some(), "{err}");
    }
    // `match` belongs to traces only.
    let text = "duration = \"1h\"\n[traffic]\npattern = \"steady\"\nrate = 1\n[[routes]]\nname = \"a\"\npages = 1\nmatch = '^/a'\nregen_time = \"1s\"\n[[policies]]\nname = \"p\"\nrevalidate = \"1m\"\n";
    let err = Scenario::parse(text, &dir.join("s.toml")).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("routes[0].match"), "{err}");
}
