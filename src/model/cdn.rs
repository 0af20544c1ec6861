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
//! With a header rule other than Next.js's, or a CDN clock, each copy keeps its own stale window
//! (`with_windows`): the answer's header says how long (`headers.rs`, docs/model.md §5.8).
//!
//! Request collapsing (Fastly "request collapsing", Cloudflare "cache lock", CloudFront
//! "origin request collapsing") lets one fetch per (PoP, page) go to the origin while the other
//! requests wait on it. Purges are per PoP, each arriving after its own delay, and can be lost:
//! a hard purge deletes the entry, a soft purge (Fastly's soft purge) marks it stale. A purge
//! names one page (a path: CloudFront invalidations, nginx's `proxy_cache_purge`), every page
//! (Fastly's `purge_all`), or a tag, reaching every page that carries it as a surrogate key does
//! (Fastly's `Surrogate-Key`, Cloudflare's `Cache-Tag`, Varnish's `xkey`; `[cdn] purge_by`).
//!
//! A PoP with a `capacity` keeps at most that many pages, evicting the least recently used
//! (`lru`): a page is used when a request reads it (HIT or STALE) and when a response is stored.
//!
//! An origin shield (Fastly shielding, CloudFront Origin Shield, Cloudflare Tiered Cache) is a
//! `Cdn` of one PoP that the PoPs fetch from. A PoP stores what the shield answers from its cache
//! with the shield's remaining freshness (`store_window`): RFC 9111 §4.2.3 counts the `Age` header
//! toward the PoP's current age.

use super::lru::Lru;
use super::slab::Slab;
use super::waiters::WaitList;
use crate::ids::{PageId, PopId};
use crate::prefetch::prefetch;
use crate::scenario::tags::{TagId, Tags};
use crate::scenario::{Capacity, PurgeKind};
use crate::time::SimTime;

const ABSENT: u32 = u32::MAX;
const NO_FETCH: u32 = u32::MAX;

/// What a purge removes at a PoP: one page, every page (`purge_all`, a deploy's `purge_cdn`), or
/// every page that carries a tag (`purge_by = "tag"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purged {
    Page(PageId),
    All,
    Tag(TagId),
}

/// One page at one PoP: 16 bytes, four to a cache line. The stale-while-revalidate window is
/// the route's, so only the end of freshness is stored.
#[derive(Clone, Copy, Debug)]
struct Entry {
    /// A HIT before this instant; STALE until it plus the route's `swr`; a MISS after.
    fresh_until: SimTime,
    version: u32,
    /// The collapsed fetch in flight, kept beside the entry the request has just read.
    in_flight: u32,
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

/// When a stored copy stops being fresh, and stops being served stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub fresh_until: SimTime,
    pub stale_until: SimTime,
}

/// One origin fetch from one PoP, in flight.
pub struct Fetch {
    pub pop: PopId,
    pub page: PageId,
    pub users: WaitList,
    /// Registered as the (PoP, page)'s collapsed fetch.
    collapsed: bool,
}

pub struct Cdn {
    pops: u32,
    pages: usize,
    collapse: bool,
    entries: Vec<Entry>,
    fetches: Slab<Fetch>,
    /// The order of eviction, when a PoP holds fewer pages than the site has.
    lru: Option<Lru>,
    /// The pages each tag reaches, for tag purges (`with_tags`).
    tags: Option<std::sync::Arc<Tags>>,
    /// When each copy stops being served stale, beside `entries`; empty unless copies of a route
    /// get windows of their own (`with_windows`), so Next.js's header pays nothing for it.
    stale_until: Vec<SimTime>,
}

impl Cdn {
    /// `capacity`: what a PoP holds at most (`None`: every page); `sizes`: each page's size in
    /// bytes, for a capacity in bytes.
    pub fn new(
        pops: u32,
        pages: usize,
        collapse: bool,
        capacity: Option<Capacity>,
        sizes: impl FnOnce() -> Vec<u32>,
    ) -> Cdn {
        let n = pops as usize * pages;
        Cdn {
            lru: match capacity {
                Some(Capacity::Pages(c)) if (c as usize) < pages => {
                    Some(Lru::new(pops, pages, u64::from(c), Vec::new()))
                }
                Some(Capacity::Bytes(b)) => {
                    let sizes = sizes();
                    let all: u64 = sizes.iter().map(|&s| u64::from(s)).sum();
                    (b < all).then(|| Lru::new(pops, pages, b, sizes))
                }
                _ => None,
            },
            pops,
            pages,
            collapse,
            entries: vec![
                Entry {
                    fresh_until: SimTime::ZERO,
                    version: ABSENT,
                    in_flight: NO_FETCH
                };
                n
            ],
            fetches: Slab::default(),
            tags: None,
            stale_until: Vec::new(),
        }
    }

    /// Gives each copy a stale window of its own, which `store_window` sets (a header rule other
    /// than Next.js's, or a clock); without it every copy has its route's `swr`.
    pub fn with_windows(mut self) -> Cdn {
        self.stale_until = vec![SimTime::ZERO; self.entries.len()];
        self
    }

    /// The site's tags, which a `Purged::Tag` reaches; without them a tag purge reaches nothing.
    pub fn with_tags(mut self, tags: std::sync::Arc<Tags>) -> Cdn {
        self.tags = Some(tags);
        self
    }

    pub fn pops(&self) -> u32 {
        self.pops
    }

    #[inline]
    fn index(&self, pop: PopId, page: PageId) -> usize {
        pop.index() * self.pages + page.index()
    }

    /// Hints that the entry of (pop, page) will be looked up soon.
    #[inline]
    pub fn prefetch(&self, pop: PopId, page: PageId) {
        prefetch(&self.entries, self.index(pop, page));
    }

    /// Whether a request now would be answered without the origin (a HIT).
    #[inline]
    pub fn would_hit(&self, pop: PopId, page: PageId, now: SimTime) -> bool {
        let e = self.entries[self.index(pop, page)];
        e.version != ABSENT && now < e.fresh_until
    }

    /// What the PoP has for a page whose responses get `freshness`.
    #[inline]
    pub fn lookup(&self, pop: PopId, page: PageId, now: SimTime, freshness: Freshness) -> Lookup {
        let i = self.index(pop, page);
        let e = self.entries[i];
        if e.version == ABSENT {
            Lookup::Miss
        } else if now < e.fresh_until {
            Lookup::Hit(e.version)
        } else if now < self.stale_end(i, e.fresh_until, freshness) {
            Lookup::Stale(e.version)
        } else {
            Lookup::Miss
        }
    }

    /// Stores a response fresh from `now`: one from the origin.
    pub fn store(
        &mut self,
        pop: PopId,
        page: PageId,
        version: u32,
        now: SimTime,
        freshness: Freshness,
    ) {
        let fresh_until = now + freshness.ttl;
        let stale_until = fresh_until + freshness.swr;
        let window = Window {
            fresh_until,
            stale_until,
        };
        self.store_window(pop, page, version, window);
    }

    /// Stores a response fresh, then servable stale, until the ends of `window`: one whose
    /// header gave it a window of its own (`with_windows`), or one another cache answered from
    /// its own copy, whose age counts toward this one's (RFC 9111 §4.2.3, the `Age` header), so
    /// the copies go stale, and out of their stale-while-revalidate window, together.
    pub fn store_window(&mut self, pop: PopId, page: PageId, version: u32, window: Window) {
        let i = self.index(pop, page);
        let e = &mut self.entries[i];
        e.fresh_until = window.fresh_until;
        e.version = version;
        if let Some(s) = self.stale_until.get_mut(i) {
            *s = window.stale_until;
        }
        self.used(pop, page);
    }

    /// When the stored copy of (pop, page) stops being fresh and stops being served stale, for
    /// a page whose responses get `freshness` (a purge may have brought both forward);
    /// meaningful only while a lookup finds the page.
    #[inline]
    pub fn window(&self, pop: PopId, page: PageId, freshness: Freshness) -> Window {
        let i = self.index(pop, page);
        let fresh_until = self.entries[i].fresh_until;
        Window {
            fresh_until,
            stale_until: self.stale_end(i, fresh_until, freshness),
        }
    }

    /// The end of entry `i`'s stale window: its own, or its route's after `fresh_until`.
    #[inline]
    fn stale_end(&self, i: usize, fresh_until: SimTime, freshness: Freshness) -> SimTime {
        match self.stale_until.get(i) {
            Some(&s) => s,
            None => fresh_until + freshness.swr,
        }
    }

    /// The version (pop, page) holds, if any: fresh, stale or past its window.
    #[inline]
    pub fn held(&self, pop: PopId, page: PageId) -> Option<u32> {
        let v = self.entries[self.index(pop, page)].version;
        (v != ABSENT).then_some(v)
    }

    /// A request read (pop, page): with a capacity, it becomes the most recently used.
    #[inline]
    pub fn used(&mut self, pop: PopId, page: PageId) {
        let Some(lru) = self.lru.as_mut() else {
            return;
        };
        let (entries, base) = (&mut self.entries, pop.index() * self.pages);
        lru.touch(pop.0, page.0, |evicted| {
            entries[base + evicted as usize].version = ABSENT;
        });
    }

    /// Purges what `purged` names at `pop`.
    pub fn purge(&mut self, pop: PopId, purged: Purged, now: SimTime, kind: PurgeKind) {
        match purged {
            Purged::Page(page) => self.purge_page(pop, page, now, kind),
            Purged::All => {
                for page in 0..self.pages {
                    self.purge_page(pop, PageId::at(page), now, kind);
                }
            }
            Purged::Tag(tag) => {
                let Some(tags) = self.tags.take() else { return };
                for &page in tags.pages_with(tag) {
                    self.purge_page(pop, page, now, kind);
                }
                self.tags = Some(tags);
            }
        }
    }

    fn purge_page(&mut self, pop: PopId, page: PageId, now: SimTime, kind: PurgeKind) {
        if let (PurgeKind::Hard, Some(lru)) = (kind, self.lru.as_mut()) {
            lru.remove(pop.0, page.0);
        }
        let i = self.index(pop, page);
        let e = &mut self.entries[i];
        match kind {
            PurgeKind::Hard => e.version = ABSENT,
            // The entry's age is taken as at least `ttl`: it is stale from now, and still within
            // its stale-while-revalidate window if it has one.
            PurgeKind::Soft if now < e.fresh_until => {
                if let Some(s) = self.stale_until.get_mut(i) {
                    *s = now + (*s - e.fresh_until);
                }
                e.fresh_until = now;
            }
            PurgeKind::Soft => {}
        }
    }

    /// The collapsed fetch already in flight for (pop, page), if collapsing is on.
    #[inline]
    pub fn collapsed_fetch(&self, pop: PopId, page: PageId) -> Option<u32> {
        if !self.collapse {
            return None;
        }
        let f = self.entries[self.index(pop, page)].in_flight;
        (f != NO_FETCH).then_some(f)
    }

    /// Opens a fetch; with collapsing on it becomes the one others wait on.
    pub fn open_fetch(&mut self, pop: PopId, page: PageId) -> u32 {
        let fetch = Fetch {
            pop,
            page,
            users: WaitList::default(),
            collapsed: self.collapse,
        };
        let id = self.fetches.insert(fetch);
        if self.collapse {
            let i = self.index(pop, page);
            self.entries[i].in_flight = id;
        }
        id
    }

    pub fn fetch_mut(&mut self, id: u32) -> &mut Fetch {
        &mut self.fetches[id]
    }

    /// Closes a fetch and returns it, to answer its waiting users.
    pub fn close_fetch(&mut self, id: u32) -> (PopId, PageId, WaitList) {
        let f = &self.fetches[id];
        let (pop, page, users) = (f.pop, f.page, f.users);
        if f.collapsed {
            let i = self.index(pop, page);
            self.entries[i].in_flight = NO_FETCH;
        }
        self.fetches.remove(id);
        (pop, page, users)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: SimTime = SimTime::from_secs(60);
    const WITH_SWR: Freshness = Freshness { ttl: T, swr: T };
    const NO_SWR: Freshness = Freshness {
        ttl: T,
        swr: SimTime::ZERO,
    };

    fn at(s: u64) -> SimTime {
        SimTime::from_secs(s)
    }

    #[test]
    fn hit_then_stale_then_miss() {
        let mut c = Cdn::new(2, 3, true, None, Vec::new);
        c.store(PopId(0), PageId(1), 4, SimTime::ZERO, WITH_SWR);
        assert_eq!(
            c.lookup(PopId(0), PageId(1), at(59), WITH_SWR),
            Lookup::Hit(4)
        );
        assert_eq!(
            c.lookup(PopId(0), PageId(1), at(60), WITH_SWR),
            Lookup::Stale(4)
        );
        assert_eq!(
            c.lookup(PopId(0), PageId(1), at(120), WITH_SWR),
            Lookup::Miss
        );
        assert_eq!(
            c.lookup(PopId(0), PageId(1), at(60), NO_SWR),
            Lookup::Miss,
            "no window, no stale copy"
        );
        assert_eq!(
            c.lookup(PopId(1), PageId(1), SimTime::ZERO, WITH_SWR),
            Lookup::Miss,
            "PoPs are apart"
        );
    }

    #[test]
    fn soft_purge_marks_stale_and_hard_purge_deletes() {
        let mut c = Cdn::new(1, 1, true, None, Vec::new);
        c.store(PopId(0), PageId(0), 1, SimTime::ZERO, WITH_SWR);
        c.purge(PopId(0), Purged::Page(PageId(0)), at(10), PurgeKind::Soft);
        assert_eq!(
            c.lookup(PopId(0), PageId(0), at(10), WITH_SWR),
            Lookup::Stale(1)
        );
        assert_eq!(
            c.lookup(PopId(0), PageId(0), at(70), WITH_SWR),
            Lookup::Miss,
            "stale for one swr window"
        );
        c.store(PopId(0), PageId(0), 2, at(80), NO_SWR);
        c.purge(PopId(0), Purged::Page(PageId(0)), at(81), PurgeKind::Soft);
        assert_eq!(
            c.lookup(PopId(0), PageId(0), at(81), NO_SWR),
            Lookup::Miss,
            "no swr: a miss"
        );
        c.store(PopId(0), PageId(0), 3, at(90), WITH_SWR);
        c.purge(PopId(0), Purged::Page(PageId(0)), at(91), PurgeKind::Hard);
        assert_eq!(
            c.lookup(PopId(0), PageId(0), at(91), WITH_SWR),
            Lookup::Miss
        );
        c.store(PopId(0), PageId(0), 4, at(100), WITH_SWR);
        c.purge(PopId(0), Purged::Page(PageId(0)), at(200), PurgeKind::Soft);
        assert_eq!(
            c.lookup(PopId(0), PageId(0), at(200), WITH_SWR),
            Lookup::Stale(4),
            "an already stale entry keeps its window"
        );
        assert_eq!(
            c.lookup(PopId(0), PageId(0), at(220), WITH_SWR),
            Lookup::Miss
        );
    }

    /// RFC 9111 §4.2.3: a copy relayed by a shield is as old as the shield's. The shield stored
    /// v3 at 0 (fresh until 60, stale until 120); a PoP that gets it at 45 holds it fresh for 15 s
    /// more, not 60, and stale until 120 like the shield. One that got it at 70, stale, has it
    /// stale at once. A PoP that fetched from the origin at 45 would hold it fresh until 105.
    #[test]
    fn a_relayed_copy_ages_with_the_shields() {
        let mut shield = Cdn::new(1, 1, true, None, Vec::new);
        shield.store(PopId(0), PageId(0), 3, SimTime::ZERO, WITH_SWR);
        let mut pops = Cdn::new(3, 1, true, None, Vec::new);
        pops.store_window(
            PopId(0),
            PageId(0),
            3,
            shield.window(PopId(0), PageId(0), WITH_SWR),
        );
        assert_eq!(
            pops.lookup(PopId(0), PageId(0), at(45), WITH_SWR),
            Lookup::Hit(3)
        );
        assert_eq!(
            pops.lookup(PopId(0), PageId(0), at(59), WITH_SWR),
            Lookup::Hit(3)
        );
        assert_eq!(
            pops.lookup(PopId(0), PageId(0), at(60), WITH_SWR),
            Lookup::Stale(3)
        );
        assert_eq!(
            pops.lookup(PopId(0), PageId(0), at(119), WITH_SWR),
            Lookup::Stale(3)
        );
        assert_eq!(
            pops.lookup(PopId(0), PageId(0), at(120), WITH_SWR),
            Lookup::Miss
        );
        assert_eq!(
            shield.lookup(PopId(0), PageId(0), at(70), WITH_SWR),
            Lookup::Stale(3)
        );
        pops.store_window(
            PopId(1),
            PageId(0),
            3,
            shield.window(PopId(0), PageId(0), WITH_SWR),
        );
        assert_eq!(
            pops.lookup(PopId(1), PageId(0), at(70), WITH_SWR),
            Lookup::Stale(3)
        );
        pops.store(PopId(2), PageId(0), 3, at(45), WITH_SWR);
        assert_eq!(
            pops.lookup(PopId(2), PageId(0), at(104), WITH_SWR),
            Lookup::Hit(3)
        );
        // A soft purge at the shield brings its freshness, and so a later relay's, forward.
        shield.store(PopId(0), PageId(0), 4, at(200), WITH_SWR);
        shield.purge(PopId(0), Purged::Page(PageId(0)), at(210), PurgeKind::Soft);
        pops.store_window(
            PopId(0),
            PageId(0),
            4,
            shield.window(PopId(0), PageId(0), WITH_SWR),
        );
        assert_eq!(
            pops.lookup(PopId(0), PageId(0), at(211), WITH_SWR),
            Lookup::Stale(4)
        );
    }

    #[test]
    fn a_tag_purge_reaches_every_page_carrying_the_tag_and_no_other() {
        let text = "duration = \"1h\"\n[traffic]\npattern = \"steady\"\nrate = 1\n\
            [[routes]]\nname = \"posts\"\npages = 4\nregen_time = \"1s\"\n\
            tags = [\"half:{page / 2}\"]\n[[policies]]\nname = \"p\"\n";
        let scenario =
            crate::scenario::Scenario::parse(text, std::path::Path::new("t.toml")).unwrap();
        let tag = scenario.tags.id("half:0").unwrap();
        let mut c = Cdn::new(2, 4, true, None, Vec::new).with_tags(scenario.tags.clone());
        for pop in [PopId(0), PopId(1)] {
            for page in 0..4 {
                c.store(pop, PageId(page), 1, SimTime::ZERO, WITH_SWR);
            }
        }
        c.purge(PopId(0), Purged::Tag(tag), at(10), PurgeKind::Hard);
        c.purge(PopId(1), Purged::Tag(tag), at(10), PurgeKind::Soft);
        let found = |pop, page| c.lookup(PopId(pop), PageId(page), at(10), WITH_SWR);
        assert_eq!([found(0, 0), found(0, 1)], [Lookup::Miss; 2], "hard: gone");
        assert_eq!(
            [found(1, 0), found(1, 1)],
            [Lookup::Stale(1); 2],
            "soft: stale"
        );
        for pop in 0..2 {
            assert_eq!(
                [found(pop, 2), found(pop, 3)],
                [Lookup::Hit(1); 2],
                "half:1 untouched"
            );
        }
        // Without the site's tags a tag purge reaches nothing.
        let mut bare = Cdn::new(1, 4, true, None, Vec::new);
        bare.store(PopId(0), PageId(0), 1, SimTime::ZERO, WITH_SWR);
        bare.purge(PopId(0), Purged::Tag(tag), at(10), PurgeKind::Hard);
        assert_eq!(
            bare.lookup(PopId(0), PageId(0), at(10), WITH_SWR),
            Lookup::Hit(1)
        );
    }

    /// With windows of their own, two copies of one page keep different stale windows; a soft
    /// purge keeps a copy's window length, starting now.
    #[test]
    fn copies_with_windows_of_their_own() {
        let mut c = Cdn::new(2, 1, true, None, Vec::new).with_windows();
        let w = |fresh, stale| Window {
            fresh_until: at(fresh),
            stale_until: at(stale),
        };
        c.store_window(PopId(0), PageId(0), 1, w(10, 12));
        c.store_window(PopId(1), PageId(0), 1, w(10, 10));
        let found = |c: &Cdn, pop, t| c.lookup(PopId(pop), PageId(0), at(t), WITH_SWR);
        assert_eq!(
            found(&c, 0, 11),
            Lookup::Stale(1),
            "its own 2 s, not the route's"
        );
        assert_eq!(found(&c, 0, 12), Lookup::Miss);
        assert_eq!(found(&c, 1, 10), Lookup::Miss, "no window: must revalidate");
        assert_eq!(c.window(PopId(0), PageId(0), WITH_SWR), w(10, 12));
        c.purge(PopId(0), Purged::Page(PageId(0)), at(4), PurgeKind::Soft);
        assert_eq!(c.window(PopId(0), PageId(0), WITH_SWR), w(4, 6));
        assert_eq!(c.held(PopId(1), PageId(0)), Some(1));
        c.purge(PopId(1), Purged::Page(PageId(0)), at(4), PurgeKind::Hard);
        assert_eq!(c.held(PopId(1), PageId(0)), None);
        // Without windows of their own, `store` and the route's `swr` as before.
        let mut route = Cdn::new(1, 1, true, None, Vec::new);
        route.store(PopId(0), PageId(0), 1, at(0), WITH_SWR);
        assert_eq!(route.window(PopId(0), PageId(0), WITH_SWR), w(60, 120));
    }

    #[test]
    fn collapsed_fetches_are_found_and_released() {
        let mut c = Cdn::new(2, 3, true, None, Vec::new);
        let id = c.open_fetch(PopId(1), PageId(2));
        assert_eq!(c.collapsed_fetch(PopId(1), PageId(2)), Some(id));
        assert_eq!(c.collapsed_fetch(PopId(0), PageId(2)), None);
        c.store(PopId(1), PageId(2), 7, SimTime::ZERO, WITH_SWR);
        assert_eq!(
            c.collapsed_fetch(PopId(1), PageId(2)),
            Some(id),
            "storing keeps the fetch in flight"
        );
        c.close_fetch(id);
        assert_eq!(c.collapsed_fetch(PopId(1), PageId(2)), None);
        let mut open = Cdn::new(1, 1, false, None, Vec::new);
        open.open_fetch(PopId(0), PageId(0));
        assert_eq!(open.collapsed_fetch(PopId(0), PageId(0)), None);
    }
}
