//! Throughput of the simulator and of its hot parts.
//!
//! `cargo bench` reports simulated requests per second for a whole run (parsing and output
//! excluded), with bounded PoPs, bounded Next.js memory, an origin shield and cache tags as
//! variants, and the cost of the pieces every request or event goes through.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use isrsim::engine::EventQueue;
use isrsim::model::{self, Simulation};
use isrsim::scenario::Scenario;
use isrsim::time::SimTime;
use isrsim::workload::rng::{self, Stream};
use isrsim::workload::traffic::{PageSampler, Requests};

/// `scenarios/bench.toml` scaled down tenfold in pages and sixtyfold in time: 10,000 posts and
/// 100 list pages, 8 PoPs, 4 instances, 5,000 requests/s for 2 minutes, time-based 60s and hybrid.
fn site() -> Scenario {
    Scenario::parse(&site_text(), Path::new("bench.toml")).expect("the bench scenario is valid")
}

/// `site`'s text.
fn site_text() -> String {
    let text = include_str!("../scenarios/bench.toml")
        .replace("pages = 100000", "pages = 10000")
        .replace("pages = 1000\n", "pages = 100\n")
        .replace("duration = \"2h\"", "duration = \"2m\"");
    assert!(
        text.contains("pages = 10000") && text.contains("duration = \"2m\""),
        "bench.toml changed shape"
    );
    text
}

/// `site` with three cache tags on every page (a post's own, its category's, and one for the
/// whole catalogue; a category page's own, its group's of ten, and the catalogue's) and a third
/// policy, `hybrid`'s but for its edits: each revalidates the edited post's tag and its
/// category's, purging the CDN by tag.
fn tagged_site() -> Scenario {
    let posts = "tags = [\"post:{page}\", \"category:{page % 100}\", \"catalog\"]";
    let lists = "tags = [\"category:{page}\", \"group:{page / 10}\", \"catalog\"]";
    let text = site_text()
        .replace(
            "popularity = 1.0\n",
            &format!("popularity = 1.0\n{posts}\n"),
        )
        .replace(
            "depends_on = \"posts\"\n",
            &format!("depends_on = \"posts\"\n{lists}\n"),
        )
        .replace("[cdn]\n", "[cdn]\npurge_by = \"tag\"\n")
        + r#"
[[policies]]
name = "tags"
revalidate = "1h"
on_edit = "revalidate-tag"
tags = ["post:{page}", "category:{page % 100}"]
webhook_delay = { exponential = "1s" }
purge_cdn = true
routes.categories = { revalidate = "5m" }
"#;
    assert!(
        text.contains(posts) && text.contains(lists) && text.contains("purge_by"),
        "bench.toml changed shape"
    );
    Scenario::parse(&text, Path::new("bench.toml")).expect("the tagged bench scenario is valid")
}

fn whole_run(c: &mut Criterion) {
    let scenario = site();
    let requests = model::run(&scenario, 0, 0).unwrap().simulated_requests;
    let mut group = c.benchmark_group("whole_run");
    group.throughput(Throughput::Elements(requests));
    group.sample_size(10);
    for (policy, name) in [(0, "time-60s"), (1, "hybrid")] {
        group.bench_function(name, |b| {
            b.iter(|| model::run(black_box(&scenario), policy, 0).unwrap())
        });
    }
    // PoPs that hold a tenth of the site, least recently used evicted: the same requests, more
    // of them reaching the origin.
    let mut bounded = scenario.clone();
    if let Some(cdn) = bounded.cdn.as_mut() {
        cdn.capacity = Some(isrsim::scenario::Capacity::Pages(1_010));
    }
    group.bench_function("time-60s-bounded-pops", |b| {
        b.iter(|| model::run(black_box(&bounded), 0, 0).unwrap())
    });
    // Next.js's default 50 MB memory per instance, about a tenth of the site's 50 KB pages, with
    // a disk: the same responses as unbounded memory, each origin lookup kept in LRU order.
    let mut memory = scenario.clone();
    memory.origin.memory = Some(50_000_000);
    group.bench_function("time-60s-bounded-memory", |b| {
        b.iter(|| model::run(black_box(&memory), 0, 0).unwrap())
    });
    // The PoPs behind an origin shield: the same requests, their misses going to the shield.
    let mut shielded = scenario.clone();
    if let Some(cdn) = shielded.cdn.as_mut() {
        cdn.shield = Some(isrsim::scenario::Shield {
            rtt: SimTime::from_millis(30),
            capacity: None,
        });
    }
    group.bench_function("time-60s-shield", |b| {
        b.iter(|| model::run(black_box(&shielded), 0, 0).unwrap())
    });
    // Three tags on every page, edits revalidating tags: the same requests as `hybrid`.
    let tagged = tagged_site();
    group.bench_function("tags", |b| {
        b.iter(|| model::run(black_box(&tagged), 2, 0).unwrap())
    });
    group.finish();
}

/// `scenarios/ci.toml` with every post edited every 30 s instead of every day, for 10 minutes: 2,000
/// posts and 20 category pages, each category changed by every edit of its 100 posts, so a
/// category served from the CDN is hundreds of versions behind. Judging those responses, and
/// the edits they make visible, is what this measures.
fn frequently_edited_site() -> Scenario {
    let text = include_str!("../scenarios/ci.toml")
        .replace("edit_every = \"1d\"", "edit_every = \"30s\"")
        .replace("duration = \"2h\"", "duration = \"10m\"")
        .replace("warmup = \"10m\"", "warmup = \"1m\"");
    assert!(
        text.contains("edit_every = \"30s\"") && text.contains("duration = \"10m\""),
        "ci.toml changed shape"
    );
    Scenario::parse(&text, Path::new("ci.toml")).expect("the ci scenario is valid")
}

fn frequent_edits(c: &mut Criterion) {
    let scenario = frequently_edited_site();
    let requests = model::run(&scenario, 0, 0).unwrap().simulated_requests;
    let mut group = c.benchmark_group("frequent_edits");
    group.throughput(Throughput::Elements(requests));
    group.sample_size(10);
    group.bench_function("time-5m", |b| {
        b.iter(|| model::run(black_box(&scenario), 0, 0).unwrap())
    });
    group.finish();
}

fn request_path(c: &mut Criterion) {
    // The requests are generated once, so this measures the CDN and origin path alone.
    let scenario = site();
    let seed = rng::replication_seed(scenario.seed, 0);
    let requests: Vec<_> = Requests::new(&scenario, seed).collect();
    let mut group = c.benchmark_group("request_path");
    group.throughput(Throughput::Elements(requests.len() as u64));
    group.sample_size(10);
    group.bench_function("cdn_and_origin", |b| {
        b.iter(|| {
            Simulation::new(&scenario, 0, 0).run(requests.iter().copied(), std::iter::empty())
        })
    });
    group.finish();
}

fn page_sampling(c: &mut Criterion) {
    let scenario = site();
    let sampler = PageSampler::new(&scenario);
    let mut rng = rng::stream(1, Stream::Traffic);
    let mut group = c.benchmark_group("page_sampling");
    group.throughput(Throughput::Elements(1));
    group.bench_function("zipf_alias", |b| b.iter(|| sampler.sample(&mut rng)));
    group.finish();
}

fn event_queue(c: &mut Criterion) {
    const N: u64 = 10_000;
    let mut group = c.benchmark_group("event_queue");
    group.throughput(Throughput::Elements(N));
    group.bench_function("schedule_then_pop", |b| {
        b.iter(|| {
            let mut q = EventQueue::new();
            // A spread of future times, as generations finishing and timers give.
            for i in 0..N {
                q.schedule(SimTime((i * 7_919) % 100_003), i);
            }
            while let Some(e) = q.pop() {
                black_box(e);
            }
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // Criterion's charts would need system fonts, which isrsim's plotters build does without.
    config = Criterion::default().without_plots();
    targets = whole_run, frequent_edits, request_path, page_sampling, event_queue
}
criterion_main!(benches);
