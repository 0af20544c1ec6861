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
use super::bulk::Bulk;
use super::rng::{self, SimRng, Stream};
use crate::ids::PageId;
use crate::metrics::staleness::Truth;
use crate::scenario::Scenario;
use crate::time::SimTime;
use crate::traffic::profile::Shape;

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
    pub fn route_of(&self, page: PageId) -> usize {
        self.route_of[page.index()] as usize
    }

    pub fn total(&self) -> usize {
        self.route_of.len()
    }
}

/// The current content of every page, and when each version was made.
///
/// Every page's edit times sit in one flat arena, each page's in a block of its own, in version
/// order: the time of any version is one read, whatever the page's history, and the edits a
/// response makes visible are read in one sweep. A block has room for a power of two of edits;
/// an edit that finds its page's block full moves the block to the arena's end, twice as large,
/// and leaves the old one behind. An edit then costs O(1) amortised, and the arena holds at most
/// four entries of 8 bytes per edit (two for the copies left behind, one of room), one for a page
/// edited once: no allocation per page, and nothing per page that was never edited but its
/// offset.
pub struct Content {
    version: Vec<u32>,
    /// Where each page's block starts in `times` (meaningful once the page has been edited).
    block: Vec<u32>,
    /// The arena: the time of the edit that made version `v` of a page is at its block + `v - 1`.
    times: Vec<SimTime>,
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
            block: vec![0; n],
            times: Vec::new(),
            dependents,
            layout,
        }
    }

    #[inline]
    pub fn version(&self, page: PageId) -> u32 {
        self.version[page.index()]
    }

    /// When the first edit that `version` does not reflect was made, if `version` is behind.
    #[inline]
    pub fn outdated_since(&self, page: PageId, version: u32) -> Option<SimTime> {
        (version < self.version(page)).then(|| self.edit_time(page, version + 1))
    }

    /// The time of the edit that made `version` (version 0 is the build).
    #[inline]
    pub fn edit_time(&self, page: PageId, version: u32) -> SimTime {
        self.edit_times(page, version.saturating_sub(1), version)
            .last()
            .copied()
            .unwrap_or(SimTime::ZERO)
    }

    /// Calls `f` with the time of each edit that made versions `after + 1 ..= upto`, newest
    /// first.
    #[inline]
    pub fn for_each_edit(&self, page: PageId, after: u32, upto: u32, mut f: impl FnMut(SimTime)) {
        for &at in self.edit_times(page, after, upto).iter().rev() {
            f(at);
        }
    }

    /// The times of the edits that made versions `after + 1 ..= upto` of `page`, oldest first;
    /// versions it does not have yet are left out.
    #[inline]
    fn edit_times(&self, page: PageId, after: u32, upto: u32) -> &[SimTime] {
        let upto = upto.min(self.version(page));
        if after >= upto {
            return &[];
        }
        let block = self.block[page.index()] as usize;
        self.times
            .get(block + after as usize..block + upto as usize)
            .unwrap_or(&[])
    }

    pub fn layout(&self) -> &PageLayout {
        &self.layout
    }

    /// Applies an edit of `page` at `at`, and writes every page it changed (the page, then its
    /// aggregations) into `changed`, which is cleared first.
    pub fn edit(&mut self, page: PageId, at: SimTime, changed: &mut Vec<PageId>) {
        changed.clear();
        changed.push(page);
        let mut i = 0;
        while i < changed.len() {
            let p = changed[i];
            let route = self.layout.route_of(p);
            let index = p.0 - self.layout.offsets[route];
            for &dependent in &self.dependents[route] {
                let q = self.layout.offsets[dependent] + index % self.layout.pages[dependent];
                changed.push(PageId(q));
            }
            i += 1;
        }
        for &p in changed.iter() {
            let edits = self.version[p.index()];
            self.version[p.index()] = edits + 1;
            // A block's room is a power of two: it is full when the edits it holds are.
            if edits == 0 || edits.is_power_of_two() {
                self.move_block(p, edits);
            }
            let slot = self.block[p.index()] as usize + edits as usize;
            if let Some(time) = self.times.get_mut(slot) {
                *time = at;
            }
        }
    }

    /// Moves the block of `page`, holding its `edits` times, to the arena's end, with room for
    /// twice as many (one for a first edit).
    fn move_block(&mut self, page: PageId, edits: u32) {
        let from = self.block[page.index()] as usize;
        let to = self.times.len();
        let room = (2 * edits as usize).max(1);
        self.times.extend_from_within(from..from + edits as usize);
        self.times.resize(to + room, SimTime::ZERO);
        self.block[page.index()] = to as u32;
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
    /// Each edited route's `edit_profile` shape and its peak, if it has one: its candidates come
    /// at the peak's rate and are thinned to the shape (docs/model.md §4).
    shapes: Vec<Option<(Shape, f64)>>,
    /// The mean edit rate, per second: `rate` before the profiles' peaks scaled it.
    mean_rate: f64,
    choose: Option<AliasTable>,
    clock: f64,
    duration: SimTime,
    /// The next Poisson edit, drawn but not yet given.
    drawn: Option<(SimTime, PageId)>,
    /// Every logged edit of the run, in time order, and the next one to give.
    logged: Vec<(SimTime, u32)>,
    next_logged: usize,
    /// The `bulk_edit` events' edits (`workload::bulk`), merged in after the others of an instant.
    bulk: Bulk,
}

impl Edits {
    pub fn new(scenario: &Scenario, layout: &PageLayout, replication_seed: u64) -> Edits {
        let mut routes = Vec::new();
        let mut weights = Vec::new();
        let mut logged = Vec::new();
        let mut shapes = Vec::new();
        for (r, route) in scenario.routes.iter().enumerate() {
            if let Some(every) = route.edit_every {
                let shape = route
                    .edit_profile
                    .map(|p| p.shape(&scenario.traffic))
                    .filter(|s| !s.is_flat())
                    .map(|s| (s, s.peak()));
                let peak = shape.map_or(1.0, |s| s.1);
                routes.push((layout.offsets[r], route.pages));
                shapes.push(shape);
                weights.push(f64::from(route.pages) / every.as_secs_f64() * peak);
            }
            if let Some(log) = &route.edit_log {
                let offset = layout.offsets[r];
                logged.extend(log.edits.iter().map(|&(at, page)| (at, offset + page)));
            }
        }
        // Stable: edits of one instant keep their route's order, then their log's.
        logged.sort_by_key(|&(at, _)| at);
        let rate = weights.iter().sum();
        let mean_rate = (weights.iter().zip(&shapes))
            .map(|(w, s)| w / s.map_or(1.0, |s| s.1))
            .sum();
        let choose = AliasTable::new(&weights);
        let mut edits = Edits {
            rng: rng::stream(replication_seed, Stream::Edits),
            rate,
            routes,
            shapes,
            mean_rate,
            choose,
            clock: 0.0,
            duration: scenario.duration,
            drawn: None,
            logged,
            next_logged: 0,
            bulk: Bulk::new(scenario, &layout.offsets, replication_seed),
        };
        edits.drawn = edits.draw();
        edits
    }

    /// Expected edits per second over the whole site (for `validate`), logged edits included.
    pub fn rate(&self) -> f64 {
        let logged = self.logged.partition_point(|&(at, _)| at < self.duration);
        let bulk = self.bulk.total() as f64;
        self.mean_rate + (logged as f64 + bulk) / self.duration.as_secs_f64()
    }

    /// The next Poisson edit. A route with an `edit_profile` is drawn at its shape's peak rate
    /// and each candidate kept with probability shape(t) / peak (Lewis–Shedler thinning); a
    /// route without one draws nothing more.
    fn draw(&mut self) -> Option<(SimTime, PageId)> {
        let choose = self.choose.as_ref()?;
        loop {
            let e: f64 = Exp1.sample(&mut self.rng);
            self.clock += e / self.rate;
            let at = SimTime::from_secs_f64(self.clock);
            if at >= self.duration {
                return None;
            }
            let route = choose.sample(&mut self.rng) as usize;
            if let Some((shape, peak)) = &self.shapes[route] {
                let u: f64 = rand::RngExt::random(&mut self.rng);
                if u * peak >= shape.at(self.clock) {
                    continue;
                }
            }
            let (offset, pages) = self.routes[route];
            let page = offset + rand::RngExt::random_range(&mut self.rng, 0..pages);
            return Some((at, PageId(page)));
        }
    }
}

impl Iterator for Edits {
    /// (when, which page)
    type Item = (SimTime, PageId);

    fn next(&mut self) -> Option<(SimTime, PageId)> {
        if let Some(bulk) = self.bulk.peek()
            && self.peek().is_none_or(|at| bulk < at)
        {
            return self.bulk.next();
        }
        self.next_drawn_or_logged()
    }
}

impl Edits {
    /// When the next drawn or logged edit is made.
    fn peek(&self) -> Option<SimTime> {
        let logged = (self.logged.get(self.next_logged))
            .map(|&(at, _)| at)
            .filter(|&at| at < self.duration);
        match (self.drawn.map(|(at, _)| at), logged) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next drawn or logged edit, in time order (a logged one first at one instant).
    fn next_drawn_or_logged(&mut self) -> Option<(SimTime, PageId)> {
        let logged = self
            .logged
            .get(self.next_logged)
            .copied()
            .filter(|&(at, _)| at < self.duration)
            .map(|(at, page)| (at, PageId(page)));
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
    fn current(&self, page: PageId) -> u32 {
        self.version(page)
    }
    #[inline]
    fn outdated_since(&self, page: PageId, version: u32) -> Option<SimTime> {
        Content::outdated_since(self, page, version)
    }
    fn for_each_edit(&self, page: PageId, after: u32, upto: u32, f: impl FnMut(SimTime)) {
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
        content.edit(PageId(3), SimTime::from_secs(10), &mut changed);
        assert_eq!(changed, vec![PageId(3), PageId(5)]);
        content.edit(PageId(1), SimTime::from_secs(20), &mut changed);
        content.edit(PageId(3), SimTime::from_secs(30), &mut changed);
        assert_eq!(
            (
                content.version(PageId(3)),
                content.version(PageId(5)),
                content.version(PageId(0))
            ),
            (2, 3, 0)
        );
        assert_eq!(content.edit_time(PageId(5), 0), SimTime::ZERO);
        assert_eq!(content.edit_time(PageId(5), 2), SimTime::from_secs(20));
        assert_eq!(
            content.outdated_since(PageId(5), 1),
            Some(SimTime::from_secs(20))
        );
        assert_eq!(content.outdated_since(PageId(5), 3), None);
        assert_eq!(
            content.outdated_since(PageId(3), 0),
            Some(SimTime::from_secs(10))
        );
        let mut seen = Vec::new();
        content.for_each_edit(PageId(5), 0, 2, |t| seen.push(t.whole_secs()));
        assert_eq!(seen, vec![20, 10], "versions 1 and 2, newest first");
    }

    #[test]
    fn every_version_is_found_at_the_time_a_plain_list_of_edits_gives() {
        let scenario = Scenario::parse(SITE, Path::new("t.toml")).unwrap();
        let mut content = Content::new(&scenario, PageLayout::new(&scenario));
        // The independent truth: every page's edit times, in a vector of its own.
        let mut times: Vec<Vec<SimTime>> = vec![Vec::new(); 6];
        let mut changed = Vec::new();
        let mut state = 12345u64;
        for step in 1..=3_000u64 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Mostly post 1, so one page reaches a long history.
            let page = if state >> 62 == 0 {
                (state >> 33) as u32 % 4
            } else {
                1
            };
            content.edit(PageId(page), SimTime::from_secs(step), &mut changed);
            for &p in &changed {
                times[p.index()].push(SimTime::from_secs(step));
            }
        }
        for (page, times) in times.iter().enumerate() {
            let page = page as u32;
            let current = times.len() as u32;
            assert_eq!(content.version(PageId(page)), current);
            assert_eq!(content.edit_time(PageId(page), 0), SimTime::ZERO);
            for v in 0..=current {
                if v > 0 {
                    assert_eq!(content.edit_time(PageId(page), v), times[v as usize - 1]);
                }
                let outdated = (v < current).then(|| times[v as usize]);
                assert_eq!(
                    content.outdated_since(PageId(page), v),
                    outdated,
                    "page {page} v {v}"
                );
            }
            for (after, upto) in [(0, current), (current / 3, current / 2), (current, current)] {
                let mut seen = Vec::new();
                content.for_each_edit(PageId(page), after, upto, |t| seen.push(t));
                let expected: Vec<SimTime> = times[after as usize..upto as usize]
                    .iter()
                    .rev()
                    .copied()
                    .collect();
                assert_eq!(seen, expected, "page {page} {after}..={upto}");
            }
        }
        assert!(
            content.version(PageId(1)) > 2_000,
            "a long history was walked"
        );
    }

    /// `SITE` with `posts` edited every hour by `profile`, over `days`.
    fn profiled(profile: &str, traffic: &str, days: u64) -> Scenario {
        let text = SITE
            .replace("duration = \"1h\"", &format!("duration = \"{days}d\""))
            .replace("pattern = \"steady\"\nrate = 1", traffic)
            .replace(
                "pages = 4",
                &format!("pages = 50\nedit_every = \"1h\"\nedit_profile = {profile}"),
            );
        Scenario::parse(&text, Path::new("t.toml")).unwrap()
    }

    /// The edits of `scenario`'s first replication, counted per hour of the day.
    fn per_hour(scenario: &Scenario) -> ([usize; 24], usize) {
        let layout = PageLayout::new(scenario);
        let mut hours = [0; 24];
        let mut total = 0;
        for (at, page) in Edits::new(scenario, &layout, 17) {
            assert!(page.0 < 50, "only posts are edited");
            hours[(at.whole_secs() / 3_600 % 24) as usize] += 1;
            total += 1;
        }
        (hours, total)
    }

    fn within(n: usize, expected: f64, what: &str) {
        assert!(
            (n as f64 - expected).abs() <= 5.0 * expected.sqrt(),
            "{what}: {n} vs {expected}"
        );
    }

    #[test]
    fn edits_follow_their_hourly_profile_and_keep_their_mean_gap() {
        let mut w = [1.0; 24];
        w[9..18].fill(4.0);
        let days = 20;
        let scenario = profiled(&format!("{w:?}"), "pattern = \"steady\"\nrate = 1", days);
        let (hours, total) = per_hour(&scenario);
        // 50 pages edited every hour on average: 50 × 24 × days in all.
        let mean = w.iter().sum::<f64>() / 24.0;
        within(total, 50.0 * 24.0 * days as f64, "total");
        for (h, &n) in hours.iter().enumerate() {
            within(n, 50.0 * days as f64 * w[h] / mean, &format!("hour {h}"));
        }
    }

    #[test]
    fn edits_follow_the_traffic_s_day_and_week() {
        // The traffic's hourly weights (ten times busier from 8h to 20h) and a week whose
        // last two days are idle; spikes do not shape edits.
        let mut w = [1.0; 24];
        w[8..20].fill(10.0);
        let traffic = format!(
            "pattern = \"diurnal\"\nrate = 5\nhourly = {w:?}\nweekly = [1, 1, 1, 1, 1, 0, 0]\n\
             [[traffic.spikes]]\nat = \"1d\"\nlength = \"1d\"\nfactor = 100"
        );
        let scenario = profiled("\"traffic\"", &traffic, 14);
        let layout = PageLayout::new(&scenario);
        let (mut per_day, mut hours) = ([0usize; 7], [0usize; 24]);
        for (at, _) in Edits::new(&scenario, &layout, 3) {
            per_day[(at.whole_secs() / 86_400 % 7) as usize] += 1;
            hours[(at.whole_secs() / 3_600 % 24) as usize] += 1;
        }
        let (mean_w, mean_week) = (w.iter().sum::<f64>() / 24.0, 5.0 / 7.0);
        for (d, &n) in per_day.iter().enumerate() {
            let week = if d < 5 { 1.0 / mean_week } else { 0.0 };
            within(n, 2.0 * 50.0 * 24.0 * week, &format!("day {d}"));
        }
        for (h, &n) in hours.iter().enumerate() {
            within(n, 14.0 * 50.0 * w[h] / mean_w, &format!("hour {h}"));
        }
    }

    #[test]
    fn without_a_profile_the_edits_are_drawn_as_before() {
        // A steady traffic's shape is flat: its profile draws exactly what no profile does.
        let flat = profiled("\"traffic\"", "pattern = \"steady\"\nrate = 1", 1);
        let text = SITE
            .replace("pages = 4", "pages = 50\nedit_every = \"1h\"")
            .replace("duration = \"1h\"", "duration = \"1d\"");
        let plain = Scenario::parse(&text, Path::new("t.toml")).unwrap();
        let draws = |s: &Scenario| Edits::new(s, &PageLayout::new(s), 5).collect::<Vec<_>>();
        assert_eq!(draws(&flat), draws(&plain));
    }

    #[test]
    fn an_edit_profile_needs_edit_every_and_its_weights_are_checked() {
        let text = |route: &str| SITE.replace("pages = 4", &format!("pages = 4\n{route}"));
        let refused = |route: &str| {
            let e = Scenario::parse(&text(route), Path::new("t.toml")).unwrap_err();
            (e.key.unwrap_or_default(), e.line.unwrap_or(0), e.message)
        };
        let (key, line, message) = refused("edit_profile = \"traffic\"");
        assert_eq!((key.as_str(), line), ("routes[0].edit_profile", 9));
        assert!(message.contains("no `edit_every`"), "{message}");
        let (key, line, message) = refused(&format!("edit_profile = {:?}", [1.0; 25]));
        assert_eq!((key.as_str(), line), ("routes[0].edit_profile", 9));
        assert!(message.contains("exactly 24"), "{message}");
        let (key, line, message) = refused(&format!("edit_profile = {:?}", [0.0; 24]));
        assert_eq!((key.as_str(), line), ("routes[0].edit_profile", 9));
        assert!(message.contains("all 0"), "{message}");
        let (key, line, message) =
            refused("edits = { file = \"publishes.csv\" }\nedit_profile = \"traffic\"");
        assert_eq!((key.as_str(), line), ("routes[0].edit_profile", 10));
        assert!(message.contains("recorded `edits`"), "{message}");
        let (key, line, message) = refused("edit_profile = \"traffik\"");
        assert_eq!((key.as_str(), line), ("routes[0].edit_profile", 9));
        assert!(message.contains("\"traffic\""), "{message}");
    }
}
