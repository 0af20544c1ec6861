//! What a search over candidate policies gains by drawing a replication's users and edits once for all its
//! candidates (`model::Workload`) rather than once per candidate (`model::run`).
//!
//! The candidates: `scenarios/bursty.toml`'s four policies and sixteen variants of them (timers,
//! hybrid safety nets, webhook delays, the other on-demand modes), twenty in all, on the first
//! replication of the scenario cut to its first two hours (two and a half bursts) so a sample
//! takes about a second. `drawn_per_candidate` plays each candidate as `isrsim run` does;
//! `drawn_once` draws the replication once and plays every candidate on it; `draw` is the draw
//! alone. Both are on one thread: the figures are the work, which threads only share out.
//! Run it with `cargo bench --bench workload -- --noplot`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use isrsim::model::{self, Workload, simulate_on};
use isrsim::scenario::Scenario;

/// The sixteen variants added to bursty's four policies.
const VARIANTS: &str = r#"
[[policies]]
name = "time-15s"
revalidate = "15s"

[[policies]]
name = "time-30s"
revalidate = "30s"

[[policies]]
name = "time-2m"
revalidate = "2m"

[[policies]]
name = "time-5m"
revalidate = "5m"

[[policies]]
name = "time-15m"
revalidate = "15m"

[[policies]]
name = "time-30m"
revalidate = "30m"

[[policies]]
name = "hybrid-15m"
revalidate = "15m"
on_edit = "regenerate"
purge_cdn = true
routes.categories = { revalidate = "5m", on_edit = "none" }

[[policies]]
name = "hybrid-30m"
revalidate = "30m"
on_edit = "regenerate"
purge_cdn = true
routes.categories = { revalidate = "5m", on_edit = "none" }

[[policies]]
name = "hybrid-2h"
revalidate = "2h"
on_edit = "regenerate"
purge_cdn = true
routes.categories = { revalidate = "5m", on_edit = "none" }

[[policies]]
name = "hybrid-4h"
revalidate = "4h"
on_edit = "regenerate"
purge_cdn = true
routes.categories = { revalidate = "5m", on_edit = "none" }

[[policies]]
name = "on-demand-500ms"
on_edit = "regenerate"
webhook_delay = { exponential = "500ms" }
purge_cdn = true
purge = "hard"

[[policies]]
name = "on-demand-2s"
on_edit = "regenerate"
webhook_delay = { exponential = "2s" }
purge_cdn = true
purge = "hard"

[[policies]]
name = "on-demand-5s"
on_edit = "regenerate"
webhook_delay = { exponential = "5s" }
purge_cdn = true
purge = "hard"

[[policies]]
name = "mark-stale"
on_edit = "mark-stale"
webhook_delay = { exponential = "1s" }
purge_cdn = true

[[policies]]
name = "invalidate"
on_edit = "invalidate"
webhook_delay = { exponential = "1s" }
broadcast = true
purge_cdn = true

[[policies]]
name = "on-demand-no-purge"
on_edit = "regenerate"
webhook_delay = { exponential = "1s" }
"#;

/// `scenarios/bursty.toml`, two hours long, with twenty policies.
fn candidates() -> Scenario {
    let text =
        include_str!("../scenarios/bursty.toml").replace("duration = \"6h\"", "duration = \"2h\"");
    assert!(
        text.contains("duration = \"2h\""),
        "bursty.toml changed shape"
    );
    let scenario = Scenario::parse(&(text + VARIANTS), Path::new("bursty.toml"))
        .expect("the candidates are valid");
    assert_eq!(scenario.policies.len(), 20);
    scenario
}

fn one_replication(c: &mut Criterion) {
    let scenario = candidates();
    let policies = scenario.policies.len();
    let mut group = c.benchmark_group("bursty_20_candidates");
    group.sample_size(10);
    group.bench_function("drawn_per_candidate", |b| {
        b.iter(|| {
            (0..policies)
                .map(|p| {
                    model::run(black_box(&scenario), p, 0)
                        .unwrap()
                        .simulated_requests
                })
                .sum::<u64>()
        })
    });
    group.bench_function("drawn_once", |b| {
        b.iter(|| {
            let workload = Workload::draw(black_box(&scenario), 0).unwrap();
            (0..policies)
                .map(|p| simulate_on(&scenario, p, &workload, None).simulated_requests)
                .sum::<u64>()
        })
    });
    group.bench_function("draw", |b| {
        b.iter(|| Workload::draw(black_box(&scenario), 0).unwrap())
    });
    group.finish();
}

criterion_group!(benches, one_replication);
criterion_main!(benches);
