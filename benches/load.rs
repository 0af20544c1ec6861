//! The load tester's own work per response, without the network: finding the marker, reading
//! the layers, judging the version against the content, and folding it into the collector
//! (`Recorder::response`). docs/performance.md sets it beside the whole client's cost.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hyper::StatusCode;
use hyper::body::Bytes;
use hyper::header::{HeaderMap, HeaderValue};
use isrsim::load::Cms;
use isrsim::load::client::Answer;
use isrsim::load::recorder::{Live, Observation, Recorder};
use isrsim::load::response;
use isrsim::scenario::Scenario;
use isrsim::workload::PageId;

const SITE: &str = r#"
duration = "1h"
[traffic]
pattern = "steady"
rate = 100
[[routes]]
name = "posts"
pages = 1000
edit_every = "1h"
regen_time = "100ms"
[[policies]]
name = "time-60s"
revalidate = "60s"
"#;

/// A Next.js-sized page head around the marker, with the headers a CDN and Next.js send.
fn answer(page: u32, version: u32) -> Answer {
    let body = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Post {page}</title>{}\
         <meta name=\"isrsim\" content=\"isrsim:posts:{page}:{version}\"></head><body>{}</body></html>",
        "<link rel=\"preload\" href=\"/_next/static/chunk.js\" as=\"script\">".repeat(20),
        "<p>Lorem ipsum dolor sit amet.</p>".repeat(100)
    );
    let mut headers = HeaderMap::new();
    headers.insert("x-nextjs-cache", HeaderValue::from_static("HIT"));
    headers.insert("x-cache", HeaderValue::from_static("HIT"));
    headers.insert("age", HeaderValue::from_static("3"));
    headers.insert(
        "cache-control",
        HeaderValue::from_static("s-maxage=60, stale-while-revalidate=31535940"),
    );
    Answer {
        status: StatusCode::OK,
        headers,
        body: Bytes::from(body),
    }
}

fn per_response(c: &mut Criterion) {
    let scenario = Scenario::parse(SITE, Path::new("bench.toml")).expect("valid");
    let page = answer(417, 0);
    let mut group = c.benchmark_group("load_response");
    group.throughput(Throughput::Elements(1));
    group.bench_function("marker", |b| {
        let marker = response::Marker::new("posts");
        b.iter(|| marker.version(black_box(&page.body), 417))
    });
    group.bench_function("layers", |b| {
        let reader = response::Reader::new(None, None);
        b.iter(|| reader.layers(black_box(&page.headers)))
    });
    let recorder = Recorder::new(
        &scenario,
        &scenario.policies[0],
        scenario.collector(),
        None,
        None,
        Arc::new(Live::default()),
    )
    .expect("no log to write");
    let start = Instant::now();
    let cms = Arc::new(Cms::starting(&scenario, 1, start, None));
    for p in (0..1000).step_by(3) {
        cms.edit(PageId(p), cms.now());
    }
    let answer = Ok(page);
    group.bench_function("judged_and_recorded", |b| {
        b.iter(|| {
            let now = Instant::now();
            let observation = Observation {
                page: PageId(417),
                intended: now - Duration::from_micros(300),
                sent: Some(now - Duration::from_micros(250)),
                received: now,
                answer: &answer,
            };
            recorder.response(black_box(&cms), &observation)
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // Criterion's charts would need system fonts, which isrsim's plotters build does without.
    config = Criterion::default().without_plots();
    targets = per_response
}
criterion_main!(benches);
