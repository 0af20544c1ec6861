//! A stand-in for one Next.js instance, in Rust, to try `isrsim load` without Node: the
//! in-process ISR origin of the tests (`tests/support/origin.rs`: serve stale, regenerate in the
//! background with a per-page guard, block on a dropped page, the revalidation webhook), run
//! alone. It reads its pages from the content server and puts the marker in every page.
//!
//! `cargo run --release --example isr_origin -- [CMS_ADDR] [REVALIDATE_SECONDS]` (default
//! 127.0.0.1:4010, no timer). It prints its URL; give that to `isrsim load --target`, with the
//! same `--cms`. Ctrl-C stops it. Its pages age from its start, as a fresh deploy's do.

#[allow(dead_code)]
#[path = "../tests/support/origin.rs"]
mod origin;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

fn main() {
    let mut args = std::env::args().skip(1);
    let cms = args.next().unwrap_or_else(|| "127.0.0.1:4010".to_string());
    let cms = cms
        .parse()
        .expect("a content server address such as 127.0.0.1:4010");
    let revalidate = args
        .next()
        .map(|s| Duration::from_secs_f64(s.parse().expect("the revalidate interval in seconds")));
    let server = origin::Origin::start(origin::OriginConfig {
        revalidate,
        ..origin::OriginConfig::new(cms)
    });
    eprintln!(
        "ISR origin on {} (content from http://{cms}, revalidate {}); Ctrl-C stops it",
        server.url(),
        revalidate.map_or("none".to_string(), |r| format!("{} s", r.as_secs_f64()))
    );
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).expect("Ctrl-C can be handled");
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!(
        "served {} page requests, {} regenerations, {} webhooks",
        server.requests(),
        server.regenerations(),
        server.webhooks()
    );
}
