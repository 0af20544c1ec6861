//! What one run holds in memory before its first event, counted from the scenario alone, so that
//! `isrsim run` can refuse a run that would not fit (docs/scenario.md, "Sizes") instead of
//! aborting on an allocation. It follows what `Simulation::for_run` and `simulate` allocate: the
//! per-page arrays of the content, the origin, the CDN, the shield, the build and the judge, the
//! page sampler's alias table (and the weights it is built from), the edits, and the collector.
//! `tests/limits.rs` holds it to the bytes a small run really allocates.

use crate::metrics::Collector;
use crate::model::headers::CdnRules;
use crate::scenario::{CacheMode, Capacity, Scenario};

/// Bytes of one entry of each per-page array, as the model lays them out.
mod bytes {
    /// `cdn::Entry` and `origin::Entry`: a time and a version, padded to 16.
    pub const CACHE_ENTRY: u64 = 16;
    /// `lru::Link`: two slot indices.
    pub const LRU_LINK: u64 = 8;
    /// A copy's own stale window (`cdn::Cdn::with_windows`): a time.
    pub const WINDOW: u64 = 8;
    /// `memory::File`: a version and two times.
    pub const FILE: u64 = 24;
    /// A page's change in `content::Content`'s arena of edit times: 8 bytes, in a block per page
    /// that doubles when full and leaves the block it outgrew behind, so at most 4 slots.
    pub const EDIT: u64 = 4 * 8;
    /// Per page, whatever the caches: the layout's route (2), the content's version and newest
    /// change (8), the build's version and time (12), the run's generations in flight, newest
    /// stored version, last success and alert flag (17), the judge's highest version seen (4),
    /// and each page's size when a cache counts bytes (4).
    pub const PAGE: u64 = 2 + 8 + 12 + 17 + 4 + 4;
    /// Per page, the page sampler while it builds its alias table: the weights, their scaled
    /// copy, the route's Zipf weights (8 each), the small and large work lists (4) and the table
    /// itself (8).
    pub const SAMPLER: u64 = 8 + 8 + 8 + 4 + 8;
}

/// About the bytes one run of `scenario` holds at once: what `Simulation::for_run` and the
/// request and edit streams allocate up front, and the edit log it is expected to grow.
pub fn memory_estimate(scenario: &Scenario) -> u64 {
    let pages = scenario.total_pages();
    let room = u64::from(scenario.most_instances());
    let o = &scenario.origin;
    let shared = o.cache == CacheMode::Shared;
    let caches = if shared { 1 } else { room };
    let scopes = if shared && o.lock { 1 } else { room };
    // Entries, their expiry times (when some route expires within the run: counted always),
    // and the two generation batches.
    let mut per_page = caches * (bytes::CACHE_ENTRY + 8) + scopes * 8;
    if o.memory.is_some() && !shared {
        per_page += room * bytes::LRU_LINK;
        if !o.disk {
            per_page += bytes::FILE + room;
        }
    }
    let lru = |capacity: Option<Capacity>| match capacity {
        Some(_) => bytes::LRU_LINK,
        None => 0,
    };
    if let Some(cdn) = &scenario.cdn {
        let rules = CdnRules::new(scenario.origin.headers, Some(cdn));
        let window = if rules.per_copy() { bytes::WINDOW } else { 0 };
        let pops = u64::from(cdn.pops);
        per_page += pops * (bytes::CACHE_ENTRY + window + lru(cdn.capacity));
        if let Some(shield) = cdn.shield {
            per_page += bytes::CACHE_ENTRY + window + lru(shield.capacity);
        }
    }
    per_page += bytes::PAGE + bytes::SAMPLER;
    let edits = changes(scenario).iter().sum::<f64>();
    let collector =
        Collector::memory_estimate(scenario.routes.len(), scenario.duration, scenario.bucket);
    // Saturating: a scenario too large to count is too large to run.
    pages
        .saturating_mul(per_page)
        .saturating_add((edits * bytes::EDIT as f64).min(u64::MAX as f64) as u64)
        .saturating_add(collector)
}

/// The changes each route is expected to record in a run: its own edits (a recorded log counts
/// twice, as it is also copied into the run's edits), and every change of the route it
/// `depends_on`, which changes one of its pages too.
fn changes(scenario: &Scenario) -> Vec<f64> {
    let own: Vec<f64> = (scenario.routes.iter())
        .map(|r| {
            let drawn = r.edit_every.map_or(0.0, |every| {
                f64::from(r.pages) * scenario.duration.as_secs_f64() / every.as_secs_f64()
            });
            let logged = r.edit_log.as_ref().map_or(0, |log| log.edits.len()) as f64;
            drawn + 2.0 * logged
        })
        .collect();
    (0..own.len())
        .map(|r| {
            // Up the chain of `depends_on` (acyclic, as the scenario reader checks), at most
            // once per route.
            let (mut total, mut route) = (own[r], r);
            for _ in 0..own.len() {
                match scenario.routes[route].depends_on {
                    Some(source) => {
                        total += own[source];
                        route = source;
                    }
                    None => break,
                }
            }
            total
        })
        .collect()
}
