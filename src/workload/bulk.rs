//! Bulk edits (`[[events]] kind = "bulk_edit"`, docs/model.md §3): a CMS's bulk action (a
//! repricing when a sale starts, a re-categorisation, a migration script) edits many pages of one
//! route in a short while. Each firing of the event edits `pages` pages of its route, chosen by
//! `pick`, one after another at even steps over `within`: pick `j` of `n` at
//! `t + within * j / n`. Each is an ordinary edit, merged into the editors' stream (`Edits`), so
//! it makes a new version, sends the policy's webhook and counts in the staleness metrics as any
//! edit does, the same in every policy and in both drivers.
//!
//! `pick = "random"` draws a fresh uniform set at each firing, in draw order, from the
//! replication's own `BulkEdits` stream, which nothing else reads: no other draw moves. A firing
//! ends before the next begins (`within` is at most `every`), so each event's edits come in time
//! order and the events merge by a scan of their next edits, earlier events first at one instant.
//! Nothing is precomputed: memory is one permutation of the route's pages per random event.

use rand::RngExt;

use super::rng::{self, SimRng, Stream};
use crate::ids::PageId;
use crate::scenario::{Action, Pick, Scenario};
use crate::time::SimTime;

/// One `bulk_edit` event's edits, as a cursor over its firings.
struct Cursor {
    /// The current firing's instant, and the next pick within it.
    firing: SimTime,
    next: u32,
    every: Option<SimTime>,
    /// The route's first global page id, how many pages each firing edits, and over how long.
    offset: u32,
    pages: u32,
    within: SimTime,
    pick: Pick,
    /// With `pick = "random"`, a permutation of the route's pages whose first `pages` entries
    /// are the current firing's pick.
    order: Vec<u32>,
}

impl Cursor {
    /// When its next edit is made.
    fn at(&self) -> SimTime {
        let step = u128::from(self.within.as_micros()) * u128::from(self.next)
            / u128::from(self.pages.max(1));
        self.firing
            .saturating_add(SimTime::from_micros(step as u64))
    }
}

/// Every bulk edit of a run, in time order.
pub struct Bulk {
    cursors: Vec<Cursor>,
    rng: SimRng,
    duration: SimTime,
    /// How many edits the run's bulk edits make, all firings counted.
    total: u64,
}

impl Bulk {
    /// The bulk edits of `scenario`, whose routes start at the global page ids `offsets`.
    pub fn new(scenario: &Scenario, offsets: &[u32], replication_seed: u64) -> Bulk {
        let duration = scenario.duration;
        let mut cursors = Vec::new();
        let mut total = 0;
        for e in &scenario.events {
            let Action::BulkEdit {
                route,
                pages,
                pick,
                within,
            } = e.action
            else {
                continue;
            };
            total += u64::from(pages) * e.occurrences(duration);
            if e.at >= duration {
                continue;
            }
            let order = match pick {
                Pick::Random => (0..scenario.routes[route].pages).collect(),
                _ => Vec::new(),
            };
            cursors.push(Cursor {
                firing: e.at,
                next: 0,
                every: e.every,
                offset: offsets[route],
                pages,
                within,
                pick,
                order,
            });
        }
        Bulk {
            cursors,
            rng: rng::stream(replication_seed, Stream::BulkEdits),
            duration,
            total,
        }
    }

    /// How many edits the bulk edits make over the run (for `validate`'s edit rate).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// When the next bulk edit is made, if one is left in the run.
    pub fn peek(&self) -> Option<SimTime> {
        self.cursors
            .iter()
            .map(Cursor::at)
            .filter(|&at| at < self.duration)
            .min()
    }
}

impl Iterator for Bulk {
    /// (when, which page)
    type Item = (SimTime, PageId);

    fn next(&mut self) -> Option<(SimTime, PageId)> {
        let duration = self.duration;
        // The first cursor with the earliest edit: earlier events first at one instant.
        let (i, at) = (self.cursors.iter().enumerate())
            .map(|(i, c)| (i, c.at()))
            .filter(|&(_, at)| at < duration)
            .min_by_key(|&(i, at)| (at, i))?;
        let c = &mut self.cursors[i];
        let j = c.next;
        let index = match c.pick {
            Pick::Popular => j,
            Pick::Range { first, .. } => first + j,
            Pick::Random => {
                if j == 0 {
                    // A partial Fisher-Yates shuffle: the first `pages` entries become a
                    // uniform random ordered pick, whatever order the permutation was left in.
                    let n = c.order.len() as u32;
                    for k in 0..c.pages.min(n) {
                        let swap = self.rng.random_range(k..n);
                        c.order.swap(k as usize, swap as usize);
                    }
                }
                c.order[j as usize]
            }
        };
        c.next += 1;
        if c.next == c.pages {
            c.next = 0;
            c.firing = match c.every {
                Some(every) => c.firing.saturating_add(every),
                None => SimTime::NEVER,
            };
        }
        Some((at, PageId(c.offset + index)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::content::PageLayout;
    use std::path::Path;

    fn scenario(events: &str) -> Scenario {
        let text = format!(
            r#"
duration = "1h"
[traffic]
pattern = "steady"
rate = 1
[[routes]]
name = "home"
pages = 1
regen_time = "1s"
[[routes]]
name = "products"
pages = 10
regen_time = "1s"
[[policies]]
name = "p"
{events}"#
        );
        Scenario::parse(&text, Path::new("t.toml")).unwrap()
    }

    fn edits(s: &Scenario, seed: u64) -> Vec<(u64, u32)> {
        Bulk::new(s, &PageLayout::new(s).offsets, seed)
            .map(|(at, page)| (at.as_micros(), page.0))
            .collect()
    }

    #[test]
    fn popular_pages_are_edited_evenly_over_within_in_rank_order() {
        let s = scenario(
            "[[events]]\nkind = \"bulk_edit\"\nroute = \"products\"\npages = 3\npick = \"popular\"\nat = \"10m\"\nwithin = \"30s\"\n",
        );
        let t = |secs: u64| secs * 1_000_000;
        // Products start at global page 1; ranks 1, 2, 3 are pages 0, 1, 2.
        assert_eq!(edits(&s, 1), vec![(t(600), 1), (t(610), 2), (t(620), 3)]);
    }

    #[test]
    fn a_range_repeats_every_period_until_the_run_ends() {
        let s = scenario(
            "[[events]]\nkind = \"bulk_edit\"\nroute = \"products\"\npick = [4, 5]\nevery = \"20m\"\n",
        );
        let m = |mins: u64| mins * 60_000_000;
        // At 20m and 40m (60m is the run's end), all at the firing's instant.
        assert_eq!(
            edits(&s, 1),
            vec![(m(20), 5), (m(20), 6), (m(40), 5), (m(40), 6)]
        );
    }

    #[test]
    fn a_random_pick_is_a_fresh_set_of_distinct_pages_the_same_for_a_seed() {
        let s = scenario(
            "[[events]]\nkind = \"bulk_edit\"\nroute = \"products\"\npages = 4\npick = \"random\"\nevery = \"5m\"\n",
        );
        let got = edits(&s, 7);
        assert_eq!(got.len(), 4 * 11, "firings at 5m, 10m, ..., 55m");
        let mut sets = Vec::new();
        for firing in got.chunks(4) {
            let mut pages: Vec<u32> = firing.iter().map(|&(_, p)| p).collect();
            pages.sort_unstable();
            pages.dedup();
            assert_eq!(pages.len(), 4, "distinct pages");
            assert!(pages.iter().all(|p| (1..=10).contains(p)), "of products");
            sets.push(pages);
        }
        assert!(
            sets.windows(2).any(|w| w[0] != w[1]),
            "fresh at each firing"
        );
        assert_eq!(got, edits(&s, 7));
        assert_ne!(got, edits(&s, 8));
    }

    #[test]
    fn the_count_covers_every_firing_and_two_events_merge_in_time_order() {
        let s = scenario(
            "[[events]]\nkind = \"bulk_edit\"\nroute = \"products\"\npages = 2\nat = \"1m\"\nwithin = \"1m\"\n\n[[events]]\nkind = \"bulk_edit\"\nroute = \"home\"\npages = 1\nat = \"90s\"\n",
        );
        let b = Bulk::new(&s, &PageLayout::new(&s).offsets, 1);
        assert_eq!(b.total(), 3);
        let s_ = |secs: u64| secs * 1_000_000;
        assert_eq!(edits(&s, 1), vec![(s_(60), 1), (s_(90), 2), (s_(90), 0)]);
    }
}
