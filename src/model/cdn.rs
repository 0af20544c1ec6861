//! The CDN: points of presence (PoPs), each with its own HTTP cache in front of the origin.
//!
//! Freshness follows RFC 9111 and RFC 5861 as CDNs implement `s-maxage` and
//! `stale-while-revalidate` (Vercel, Cloudflare, Fastly and CloudFront document the same rule):
//! at age `a` a stored response is a HIT while `a < ttl`, is served STALE while a background fetch
//! revalidates it while `a < ttl + swr`, and is a MISS after that. The origin's header, as
//! Next.js 15/16 sends it (`packages/next/src/server/lib/cache-control.ts`), is
//! `s-maxage=revalidate, stale-while-revalidate=expire-revalidate`, or `s-maxage=31536000`
//! without a timer; a STALE origin response carries the same full `s-maxage`.
//!
//! Request collapsing (Fastly "request collapsing", Cloudflare "cache lock", CloudFront
//! "origin request collapsing") lets one fetch per (PoP, page) go to the origin while the other
//! requests wait on it. Purges are per PoP, each arriving after its own delay, and can be lost:
//! a hard purge deletes the entry, a soft purge (Fastly's soft purge) marks it stale.

use super::prefetch::prefetch;
use super::slab::Slab;
use super::waiters::WaitList;
use crate::scenario::PurgeKind;
use crate::time::SimTime;

const ABSENT: u32 = u32::MAX;
const NO_FETCH: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Entry {
    version: u32,
    fresh_until: SimTime,
    stale_until: SimTime,
}

/// What a PoP's cache finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    Hit(u32),
    Stale(u32),
    Miss,
}

/// The freshness a PoP gives a stored response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Freshness {
    pub ttl: SimTime,
    pub swr: SimTime,
}

impl Freshness {
    /// From the origin's `Cache-Control` header for a page with this `revalidate` interval,
    /// unless the scenario overrides `ttl` or `stale_while_revalidate`.
    pub fn from_origin(
        revalidate: Option<SimTime>,
        expire: SimTime,
        ttl: Option<SimTime>,
        swr: Option<SimTime>,
    ) -> Freshness {
        let (header_ttl, header_swr) = match revalidate {
            Some(r) => (r, expire - r),
            None => (SimTime::from_secs(31_536_000), SimTime::ZERO),
        };
        Freshness {
            ttl: ttl.unwrap_or(header_ttl),
            swr: swr.unwrap_or(header_swr),
        }
    }
}

/// One origin fetch from one PoP, in flight.
pub struct Fetch {
    pub pop: u32,
    pub page: u32,
    pub users: WaitList,
    /// Registered as the (PoP, page)'s collapsed fetch.
    collapsed: bool,
}

pub struct Cdn {
    pops: u32,
    pages: usize,
    collapse: bool,
    entries: Vec<Entry>,
    /// The collapsed fetch in flight per (PoP, page).
    in_flight: Vec<u32>,
    fetches: Slab<Fetch>,
}

impl Cdn {
    pub fn new(pops: u32, pages: usize, collapse: bool) -> Cdn {
        let n = pops as usize * pages;
        Cdn {
            pops,
            pages,
            collapse,
            entries: vec![
                Entry {
                    version: ABSENT,
                    fresh_until: SimTime::ZERO,
                    stale_until: SimTime::ZERO
                };
                n
            ],
            in_flight: if collapse {
                vec![NO_FETCH; n]
            } else {
                Vec::new()
            },
            fetches: Slab::default(),
        }
    }

    pub fn pops(&self) -> u32 {
        self.pops
    }

    #[inline]
    fn index(&self, pop: u32, page: u32) -> usize {
        pop as usize * self.pages + page as usize
    }

    /// Hints that the entry of (pop, page) will be looked up soon.
    #[inline]
    pub fn prefetch(&self, pop: u32, page: u32) {
        prefetch(&self.entries, self.index(pop, page));
    }

    #[inline]
    pub fn lookup(&self, pop: u32, page: u32, now: SimTime) -> Lookup {
        let e = self.entries[self.index(pop, page)];
        if e.version == ABSENT {
            Lookup::Miss
        } else if now < e.fresh_until {
            Lookup::Hit(e.version)
        } else if now < e.stale_until {
            Lookup::Stale(e.version)
        } else {
            Lookup::Miss
        }
    }

    pub fn store(&mut self, pop: u32, page: u32, version: u32, now: SimTime, freshness: Freshness) {
        let i = self.index(pop, page);
        let fresh_until = now + freshness.ttl;
        self.entries[i] = Entry {
            version,
            fresh_until,
            stale_until: fresh_until + freshness.swr,
        };
    }

    pub fn purge(&mut self, pop: u32, page: u32, now: SimTime, kind: PurgeKind) {
        let i = self.index(pop, page);
        let e = &mut self.entries[i];
        match kind {
            PurgeKind::Hard => e.version = ABSENT,
            // The entry's age is taken as at least `ttl`: it is stale from now, and still within
            // its stale-while-revalidate window if it has one left.
            PurgeKind::Soft => {
                let swr_left = e.stale_until - e.fresh_until;
                if e.fresh_until > now {
                    e.fresh_until = now;
                    e.stale_until = now + swr_left;
                }
            }
        }
    }

    /// The collapsed fetch already in flight for (pop, page), if collapsing is on.
    #[inline]
    pub fn collapsed_fetch(&self, pop: u32, page: u32) -> Option<u32> {
        if !self.collapse {
            return None;
        }
        let f = self.in_flight[self.index(pop, page)];
        (f != NO_FETCH).then_some(f)
    }

    /// Opens a fetch; with collapsing on it becomes the one others wait on.
    pub fn open_fetch(&mut self, pop: u32, page: u32) -> u32 {
        let fetch = Fetch {
            pop,
            page,
            users: WaitList::default(),
            collapsed: self.collapse,
        };
        let id = self.fetches.insert(fetch);
        if self.collapse {
            let i = self.index(pop, page);
            self.in_flight[i] = id;
        }
        id
    }

    pub fn fetch_mut(&mut self, id: u32) -> &mut Fetch {
        &mut self.fetches[id]
    }

    /// Closes a fetch and returns it, to answer its waiting users.
    pub fn close_fetch(&mut self, id: u32) -> (u32, u32, WaitList) {
        let f = &self.fetches[id];
        let (pop, page, users) = (f.pop, f.page, f.users);
        if f.collapsed {
            let i = self.index(pop, page);
            self.in_flight[i] = NO_FETCH;
        }
        self.fetches.remove(id);
        (pop, page, users)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: SimTime = SimTime::from_secs(60);

    fn cdn() -> Cdn {
        Cdn::new(2, 3, true)
    }

    #[test]
    fn hit_then_stale_then_miss() {
        let mut c = cdn();
        let f = Freshness { ttl: T, swr: T };
        c.store(0, 1, 4, SimTime::ZERO, f);
        assert_eq!(c.lookup(0, 1, SimTime::from_secs(59)), Lookup::Hit(4));
        assert_eq!(c.lookup(0, 1, SimTime::from_secs(60)), Lookup::Stale(4));
        assert_eq!(c.lookup(0, 1, SimTime::from_secs(120)), Lookup::Miss);
        assert_eq!(
            c.lookup(1, 1, SimTime::ZERO),
            Lookup::Miss,
            "PoPs are apart"
        );
    }

    #[test]
    fn next_js_headers() {
        let year = SimTime::from_secs(31_536_000);
        let f = Freshness::from_origin(Some(T), year, None, None);
        assert_eq!(
            f,
            Freshness {
                ttl: T,
                swr: year - T
            }
        );
        let f = Freshness::from_origin(None, year, None, None);
        assert_eq!(
            f,
            Freshness {
                ttl: year,
                swr: SimTime::ZERO
            }
        );
        let f = Freshness::from_origin(
            Some(T),
            year,
            Some(SimTime::from_secs(5)),
            Some(SimTime::ZERO),
        );
        assert_eq!(
            f,
            Freshness {
                ttl: SimTime::from_secs(5),
                swr: SimTime::ZERO
            }
        );
    }

    #[test]
    fn soft_purge_marks_stale_and_hard_purge_deletes() {
        let mut c = cdn();
        c.store(0, 0, 1, SimTime::ZERO, Freshness { ttl: T, swr: T });
        c.purge(0, 0, SimTime::from_secs(10), PurgeKind::Soft);
        assert_eq!(c.lookup(0, 0, SimTime::from_secs(10)), Lookup::Stale(1));
        assert_eq!(c.lookup(0, 0, SimTime::from_secs(70)), Lookup::Miss);
        c.store(
            0,
            0,
            2,
            SimTime::from_secs(80),
            Freshness {
                ttl: T,
                swr: SimTime::ZERO,
            },
        );
        c.purge(0, 0, SimTime::from_secs(81), PurgeKind::Soft);
        assert_eq!(
            c.lookup(0, 0, SimTime::from_secs(81)),
            Lookup::Miss,
            "no swr left: a miss"
        );
        c.store(
            0,
            0,
            3,
            SimTime::from_secs(90),
            Freshness { ttl: T, swr: T },
        );
        c.purge(0, 0, SimTime::from_secs(91), PurgeKind::Hard);
        assert_eq!(c.lookup(0, 0, SimTime::from_secs(91)), Lookup::Miss);
    }

    #[test]
    fn collapsed_fetches_are_found_and_released() {
        let mut c = cdn();
        let id = c.open_fetch(1, 2);
        assert_eq!(c.collapsed_fetch(1, 2), Some(id));
        assert_eq!(c.collapsed_fetch(0, 2), None);
        c.close_fetch(id);
        assert_eq!(c.collapsed_fetch(1, 2), None);
        let mut open = Cdn::new(1, 1, false);
        open.open_fetch(0, 0);
        assert_eq!(open.collapsed_fetch(0, 0), None);
    }
}
