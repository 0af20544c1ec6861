//! The predicted mix of layers that answer users, for `docs/validation.md`: of the responses
//! after the warm-up, the share the CDN served from cache (fresh or stale, from a PoP or the
//! origin shield), and of the rest the share the origin served fresh (HIT), stale (STALE), or
//! rendered while the user waited (MISS), averaged over replications. `isrsim run` reports only the CDN's share (`cdn_hit_ratio`); this
//! splits it as a load test's `--log` does (`origin_cache`, `cdn_cache`).
//!
//! `cargo run --release --example layer_mix -- SCENARIO POLICY [REPLICATIONS]` (default 200)
//! prints CSV: `replication,cdn_hit,cdn_stale,origin_hit,origin_stale,origin_miss,error`, a row
//! per replication (to set beside a load test of the same replication), then the mean as
//! replication `mean`.

use std::path::Path;

use isrsim::model::{Served, Simulation};
use isrsim::scenario::Scenario;
use isrsim::workload::content::{Edits, PageLayout};
use isrsim::workload::rng::replication_seed;
use isrsim::workload::traffic::Requests;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(file), Some(policy)) = (args.next(), args.next()) else {
        eprintln!("usage: layer_mix SCENARIO POLICY [REPLICATIONS]");
        std::process::exit(2);
    };
    let replications: u32 = args
        .next()
        .map_or(200, |r| r.parse().expect("a whole number"));
    let text = std::fs::read_to_string(&file).expect("the scenario can be read");
    let scenario = Scenario::parse(&text, Path::new(&file)).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let Some(p) = scenario.policies.iter().position(|x| x.name == policy) else {
        eprintln!("error: no policy {policy} in {file}");
        std::process::exit(2)
    };
    let mut shares = [0.0f64; 6];
    println!("replication,cdn_hit,cdn_stale,origin_hit,origin_stale,origin_miss,error");
    for r in 0..replications {
        let seed = replication_seed(scenario.seed, r);
        let edits = Edits::new(&scenario, &PageLayout::new(&scenario), seed);
        let (_, trace) = Simulation::new(&scenario, p, r)
            .with_trace()
            .run(Requests::new(&scenario, seed), edits);
        let trace = trace.expect("a traced simulation returns its trace");
        let mut counts = [0u64; 6];
        for response in trace
            .responses
            .iter()
            .filter(|x| x.arrival >= scenario.warmup)
        {
            let i = match response.served {
                // A load test sees the CDN as one cache, whichever tier answered.
                Served::CdnHit | Served::ShieldHit => 0,
                Served::CdnStale | Served::ShieldStale => 1,
                Served::OriginHit => 2,
                Served::OriginStale => 3,
                Served::Generated => 4,
                Served::Error => 5,
            };
            counts[i] += 1;
        }
        let total = counts.iter().sum::<u64>().max(1) as f64;
        let own: Vec<f64> = counts.iter().map(|&c| c as f64 / total).collect();
        for (share, own) in shares.iter_mut().zip(&own) {
            *share += own / f64::from(replications);
        }
        println!("{r},{}", row(&own));
    }
    println!("mean,{}", row(&shares));
}

fn row(shares: &[f64]) -> String {
    let cells: Vec<String> = shares.iter().map(|s| format!("{s:.4}")).collect();
    cells.join(",")
}
