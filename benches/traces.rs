//! Trace replay (docs/traces.md): how fast an access log is read, and what replaying it costs a
//! run against generating the same traffic.
//!
//! - `trace_read/gzip_combined`: one pass over a gzipped combined-format log (parsing, filter,
//!   route matching, ordering, recording), in log lines per second, on one thread.
//! - `trace_run/{trace,steady}`: a whole run of the same site fed by the log's requests, and by a
//!   steady pattern of the same mean rate and length.

#[path = "../tests/support/access_log.rs"]
mod access_log;

use std::hint::black_box;

use access_log::{Arrivals, Route, Shape};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use isrsim::logs::{Fields, Filter, Format, LogSource, Matcher, Replay, TraceSpec};
use isrsim::model;
use isrsim::scenario::Scenario;
use isrsim::time::SimTime;

/// Half an hour at 250 requests/s: about 450,000 lines over 5,000 posts and 200 docs pages,
/// with assets and errors as a real log has them.
fn shape() -> Shape {
    Shape {
        start: 1_796_000_000,
        duration_s: 1_800.0,
        arrivals: Arrivals::Steady { rate: 250.0 },
        routes: vec![
            Route {
                prefix: "/blog/",
                pages: 5_000,
                share: 0.8,
                zipf: 1.0,
            },
            Route {
                prefix: "/docs/",
                pages: 200,
                share: 0.2,
                zipf: 0.6,
            },
        ],
        assets: 0.12,
        noise: 0.03,
        seed: 1,
    }
}

const SITE: &str = r#"
[[routes]]
name = "blog"
ROUTE_BLOG
regen_time = { lognormal = { median = "300ms", p99 = "3s" } }
edit_every = "1d"
[[routes]]
name = "docs"
ROUTE_DOCS
regen_time = "200ms"
[cdn]
pops = 4
[origin]
instances = 2
[[policies]]
name = "time-60s"
revalidate = "60s"
"#;

fn traces(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let log = dir.path().join("access.log.gz");
    let written = access_log::write_gzip(&shape(), &log).expect("the log is written");
    let rules = [r"^/blog/([^/?#]+)", r"^/docs/([^/?#]+)"];
    let spec = TraceSpec {
        log: LogSource {
            file: log.clone(),
            format: Format::Combined,
            fields: Fields::default(),
            filter: Filter::default(),
        },
        speed: 1.0,
        start: SimTime::ZERO,
        end: None,
    };
    let mut group = c.benchmark_group("trace_read");
    group.throughput(Throughput::Elements(written.lines));
    group.sample_size(10);
    group.bench_function("gzip_combined", |b| {
        b.iter(|| {
            let mut matcher = Matcher::new(
                rules
                    .iter()
                    .map(|r| (Some(regex::bytes::Regex::new(r).unwrap()), None))
                    .collect(),
            );
            Replay::read(black_box(&spec), &mut matcher).expect("the log reads")
        })
    });
    group.finish();

    let trace_text = format!(
        "seed = 3\n[traffic]\npattern = \"trace\"\nfile = \"access.log.gz\"\n{}",
        SITE.replace("ROUTE_BLOG", &format!("match = '{}'", rules[0]))
            .replace("ROUTE_DOCS", &format!("match = '{}'", rules[1]))
    );
    let trace = Scenario::parse(&trace_text, &dir.path().join("trace.toml")).expect("valid");
    let rate = trace.traffic.mean_rate(trace.duration);
    let pages = |route: usize| trace.routes[route].pages;
    let steady_text = format!(
        "seed = 3\nduration = \"{}\"\n[traffic]\npattern = \"steady\"\nrate = {rate}\n{}",
        trace.duration,
        SITE.replace(
            "ROUTE_BLOG",
            &format!("pages = {}\nshare = 0.8\npopularity = 1.0", pages(0))
        )
        .replace(
            "ROUTE_DOCS",
            &format!("pages = {}\nshare = 0.2\npopularity = 0.6", pages(1))
        )
    );
    let steady = Scenario::parse(&steady_text, &dir.path().join("steady.toml")).expect("valid");
    let requests = model::run(&trace, 0, 0).unwrap().simulated_requests;
    println!(
        "the log: {} lines; {requests} requests replayed per run",
        written.lines
    );
    let mut group = c.benchmark_group("trace_run");
    group.throughput(Throughput::Elements(requests));
    group.sample_size(10);
    group.bench_function("trace", |b| {
        b.iter(|| model::run(black_box(&trace), 0, 0).unwrap())
    });
    group.bench_function("steady", |b| {
        b.iter(|| model::run(black_box(&steady), 0, 0).unwrap())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // Criterion's charts would need system fonts, which isrsim's plotters build does without.
    config = Criterion::default().without_plots();
    targets = traces
}
criterion_main!(benches);
