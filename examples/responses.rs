//! Every simulated response of one replication, as CSV, to set beside a load test's `--log` of
//! the same replication response by response (docs/validation.md): when a measured run and its
//! prediction differ, the first response they disagree on says which behaviour differs.
//!
//! `cargo run --release --example responses -- SCENARIO POLICY REPLICATION > simulated.csv`
//! prints `arrival_s,route,page,version,served,stale`, then the regenerations as
//! `# generation,page,triggered_s,started_s,finished_s,snapshot` and the edits as
//! `# edit,page,at_s`.

use std::path::Path;

use isrsim::model::Simulation;
use isrsim::scenario::Scenario;
use isrsim::workload::PageId;
use isrsim::workload::content::{Edits, PageLayout};
use isrsim::workload::rng::replication_seed;
use isrsim::workload::traffic::Requests;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, policy, replication] = &args[..] else {
        eprintln!("usage: responses SCENARIO POLICY REPLICATION");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(file).expect("the scenario can be read");
    let scenario = Scenario::parse(&text, Path::new(file)).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let Some(p) = scenario.policies.iter().position(|x| &x.name == policy) else {
        eprintln!("error: no policy {policy} in {file}");
        std::process::exit(2)
    };
    let r: u32 = replication.parse().expect("a whole number");
    let seed = replication_seed(scenario.seed, r);
    let layout = PageLayout::new(&scenario);
    let edits = Edits::new(&scenario, &layout, seed);
    let (_, trace) = Simulation::new(&scenario, p, r)
        .with_trace()
        .run(Requests::new(&scenario, seed), edits);
    let trace = trace.expect("a traced simulation returns its trace");
    let name = |page: PageId| {
        let route = layout.route_of(page);
        (&scenario.routes[route].name, page.0 - layout.offsets[route])
    };
    println!("arrival_s,route,page,version,served,stale");
    for x in &trace.responses {
        let (route, page) = name(x.page);
        let version = x.version.map_or(String::new(), |v| v.to_string());
        println!(
            "{:.6},{route},{page},{version},{:?},{}",
            x.arrival.as_secs_f64(),
            x.served,
            u8::from(x.stale)
        );
    }
    for g in &trace.generations {
        let (route, page) = name(g.page);
        let started = g
            .started
            .map_or(String::new(), |s| format!("{:.6}", s.as_secs_f64()));
        let snapshot = g.snapshot.map_or(String::new(), |v| v.to_string());
        println!(
            "# generation,{route},{page},{:.6},{started},{:.6},{snapshot}",
            g.triggered.as_secs_f64(),
            g.finished.as_secs_f64()
        );
    }
    for (at, page) in &trace.edits {
        let (route, page) = name(*page);
        println!("# edit,{route},{page},{:.6}", at.as_secs_f64());
    }
}
