//! Editors and content versions (docs/model.md §3).
//!
//! Each page of a route with `edit_every` is edited by its own Poisson process. The superposition
//! of independent Poisson processes is Poisson with the summed rate, and each event belongs to a
//! page with probability proportional to that page's rate; so one merged stream with an O(1)
//! choice of page is exactly equivalent to one stream per page, and costs nothing per idle page.
//!
//! A route with `depends_on` aggregates another (a category page lists posts): page `i` of the
//! source route feeds page `i % pages` of the dependent route, so an edit to a post also changes
//! its list page, transitively along chains of dependencies.

use rand_distr::{Distribution, Exp1};

use super::alias::AliasTable;
use super::rng::{self, SimRng, Stream};
use crate::metrics::staleness::Truth;
use crate::scenario::Scenario;
use crate::time::SimTime;

/// Where each route's pages sit in the global page numbering.
#[derive(Clone, Debug)]
pub struct PageLayout {
    /// First global page id of each route.
    pub offsets: Vec<u32>,
    pub pages: Vec<u32>,
    /// The route of every page.
    route_of: Vec<u16>,
}

impl PageLayout {
    pub fn new(scenario: &Scenario) -> PageLayout {
        let mut offsets = Vec::with_capacity(scenario.routes.len());
        let mut route_of = Vec::with_capacity(scenario.total_pages() as usize);
        let mut next = 0u32;
        for (r, route) in scenario.routes.iter().enumerate() {
            offsets.push(next);
            next += route.pages;
            route_of.extend(std::iter::repeat_n(r as u16, route.pages as usize));
        }
        PageLayout {
            offsets,
            pages: scenario.routes.iter().map(|r| r.pages).collect(),
            route_of,
        }
    }

    #[inline]
    pub fn route_of(&self, page: u32) -> usize {
        self.route_of[page as usize] as usize
    }

    pub fn total(&self) -> usize {
        self.route_of.len()
    }
}

const NO_EDIT: u32 = u32::MAX;

/// One page's change in the edit log.
#[derive(Clone, Copy, Debug)]
struct Change {
    at: SimTime,
    /// The log index of the same page's previous change (NO_EDIT for its first).
    previous: u32,
}

/// The current content of every page, and when each version was made.
///
/// The history is one log for the whole site, each change linked to the same page's previous
/// one: no allocation per page, and a page's recent versions, the ones stale responses carry, are
/// a few steps from its newest.
pub struct Content {
    version: Vec<u32>,
    log: Vec<Change>,
    /// Each page's newest change in `log`.
    newest: Vec<u32>,
    /// For each route, the routes that depend on it.
    dependents: Vec<Vec<usize>>,
    layout: PageLayout,
}

impl Content {
    pub fn new(scenario: &Scenario, layout: PageLayout) -> Content {
        let mut dependents = vec![Vec::new(); scenario.routes.len()];
        for (r, route) in scenario.routes.iter().enumerate() {
            if let Some(source) = route.depends_on {
                dependents[source].push(r);
            }
        }
        let n = layout.total();
        Content {
            version: vec![0; n],
            log: Vec::new(),
            newest: vec![NO_EDIT; n],
            dependents,
            layout,
        }
    }

    #[inline]
    pub fn version(&self, page: u32) -> u32 {
        self.version[page as usize]
    }

    /// When the first edit that `version` does not reflect was made, if `version` is behind.
    #[inline]
    pub fn outdated_since(&self, page: u32, version: u32) -> Option<SimTime> {
        (version < self.version(page)).then(|| self.edit_time(page, version + 1))
    }

    /// The time of the edit that made `version` (version 0 is the build).
    pub fn edit_time(&self, page: u32, version: u32) -> SimTime {
        let mut time = SimTime::ZERO;
        self.for_each_edit(page, version.saturating_sub(1), version, |at| time = at);
        time
    }

    /// Calls `f` with the time of each edit that made versions `after + 1 ..= upto`, newest
    /// first.
    pub fn for_each_edit(&self, page: u32, after: u32, upto: u32, mut f: impl FnMut(SimTime)) {
        let current = self.version(page);
        let mut i = self.newest[page as usize];
        for v in (after + 1..=current).rev() {
            let Some(change) = self.log.get(i as usize) else {
                return;
            };
            if v <= upto {
                f(change.at);
            }
            i = change.previous;
        }
    }

    pub fn layout(&self) -> &PageLayout {
        &self.layout
    }

    /// Applies an edit of `page` at `at`, and writes every page it changed (the page, then its
    /// aggregations) into `changed`, which is cleared first.
    pub fn edit(&mut self, page: u32, at: SimTime, changed: &mut Vec<u32>) {
        changed.clear();
        changed.push(page);
        let mut i = 0;
        while i < changed.len() {
            let p = changed[i];
            let route = self.layout.route_of(p);
            let index = p - self.layout.offsets[route];
            for &dependent in &self.dependents[route] {
                let q = self.layout.offsets[dependent] + index % self.layout.pages[dependent];
                changed.push(q);
            }
            i += 1;
        }
        for &p in changed.iter() {
            self.version[p as usize] += 1;
            let previous = std::mem::replace(&mut self.newest[p as usize], self.log.len() as u32);
            self.log.push(Change { at, previous });
        }
    }
}

/// The editors' stream: edit times and pages, the same for every policy of a replication. Routes
/// with `edit_every` are edited by Poisson processes; routes with an edit log replay it
/// (`logs::edits`), and the two are merged in time order.
pub struct Edits {
    rng: SimRng,
    /// Total edit rate, per second, and the routes that are edited with their weights.
    rate: f64,
    routes: Vec<(u32, u32)>,
    choose: Option<AliasTable>,
    clock: f64,
    duration: SimTime,
    /// The next Poisson edit, drawn but not yet given.
    drawn: Option<(SimTime, u32)>,
    /// Every logged edit of the run, in time order, and the next one to give.
    logged: Vec<(SimTime, u32)>,
    next_logged: usize,
}

impl Edits {
    pub fn new(scenario: &Scenario, layout: &PageLayout, replication_seed: u64) -> Edits {
        let mut routes = Vec::new();
        let mut weights = Vec::new();
        let mut logged = Vec::new();
        for (r, route) in scenario.routes.iter().enumerate() {
            if let Some(every) = route.edit_every {
                routes.push((layout.offsets[r], route.pages));
                weights.push(f64::from(route.pages) / every.as_secs_f64());
            }
            if let Some(log) = &route.edit_log {
                let offset = layout.offsets[r];
                logged.extend(log.edits.iter().map(|&(at, page)| (at, offset + page)));
            }
        }
        // Stable: edits of one instant keep their route's order, then their log's.
        logged.sort_by_key(|&(at, _)| at);
        let rate = weights.iter().sum();
        let choose = AliasTable::new(&weights);
        let mut edits = Edits {
            rng: rng::stream(replication_seed, Stream::Edits),
            rate,
            routes,
            choose,
            clock: 0.0,
            duration: scenario.duration,
            drawn: None,
            logged,
            next_logged: 0,
        };
        edits.drawn = edits.draw();
        edits
    }

    /// Expected edits per second over the whole site (for `validate`), logged edits included.
    pub fn rate(&self) -> f64 {
        let logged = self.logged.partition_point(|&(at, _)| at < self.duration);
        self.rate + logged as f64 / self.duration.as_secs_f64()
    }

    /// The next Poisson edit.
    fn draw(&mut self) -> Option<(SimTime, u32)> {
        let choose = self.choose.as_ref()?;
        let e: f64 = Exp1.sample(&mut self.rng);
        self.clock += e / self.rate;
        let at = SimTime::from_secs_f64(self.clock);
        if at >= self.duration {
            return None;
        }
        let (offset, pages) = self.routes[choose.sample(&mut self.rng) as usize];
        let page = offset + rand::RngExt::random_range(&mut self.rng, 0..pages);
        Some((at, page))
    }
}

impl Iterator for Edits {
    /// (when, which page)
    type Item = (SimTime, u32);

    fn next(&mut self) -> Option<(SimTime, u32)> {
        let logged = self
            .logged
            .get(self.next_logged)
            .copied()
            .filter(|&(at, _)| at < self.duration);
        match (self.drawn, logged) {
            (Some(drawn), Some(log)) if log.0 < drawn.0 => {
                self.next_logged += 1;
                Some(log)
            }
            (Some(drawn), _) => {
                self.drawn = self.draw();
                Some(drawn)
            }
            (None, Some(log)) => {
                self.next_logged += 1;
                Some(log)
            }
            (None, None) => None,
        }
    }
}

/// The truth every response is judged against (`metrics::staleness`).
impl Truth for Content {
    #[inline]
    fn current(&self, page: u32) -> u32 {
        self.version(page)
    }
    #[inline]
    fn outdated_since(&self, page: u32, version: u32) -> Option<SimTime> {
        Content::outdated_since(self, page, version)
    }
    fn for_each_edit(&self, page: u32, after: u32, upto: u32, f: impl FnMut(SimTime)) {
        Content::for_each_edit(self, page, after, upto, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const SITE: &str = r#"
duration = "1h"
[traffic]
pattern = "steady"
rate = 1
[[routes]]
name = "posts"
pages = 4
regen_time = "1s"
[[routes]]
name = "lists"
pages = 2
depends_on = "posts"
regen_time = "1s"
[[policies]]
name = "p"
"#;

    #[test]
    fn edits_change_the_page_and_its_list_and_keep_their_times() {
        let scenario = Scenario::parse(SITE, Path::new("t.toml")).unwrap();
        let mut content = Content::new(&scenario, PageLayout::new(&scenario));
        let mut changed = Vec::new();
        // Post 3 feeds list 3 % 2 = 1, which is page 4 + 1 = 5.
        content.edit(3, SimTime::from_secs(10), &mut changed);
        assert_eq!(changed, vec![3, 5]);
        content.edit(1, SimTime::from_secs(20), &mut changed);
        content.edit(3, SimTime::from_secs(30), &mut changed);
        assert_eq!(
            (content.version(3), content.version(5), content.version(0)),
            (2, 3, 0)
        );
        assert_eq!(content.edit_time(5, 0), SimTime::ZERO);
        assert_eq!(content.edit_time(5, 2), SimTime::from_secs(20));
        assert_eq!(content.outdated_since(5, 1), Some(SimTime::from_secs(20)));
        assert_eq!(content.outdated_since(5, 3), None);
        assert_eq!(content.outdated_since(3, 0), Some(SimTime::from_secs(10)));
        let mut seen = Vec::new();
        content.for_each_edit(5, 0, 2, |t| seen.push(t.whole_secs()));
        assert_eq!(seen, vec![20, 10], "versions 1 and 2, newest first");
    }
}
