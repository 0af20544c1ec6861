//! The origin shield (docs/model.md §5.6): a second CDN tier that every PoP fetches from, and
//! which alone fetches from the origin, as Fastly's shielding, CloudFront's Origin Shield and
//! Cloudflare's Tiered Cache do. It is a `Cdn` of one PoP, with a PoP's rules: HIT, STALE with one
//! background fetch, MISS, collapsing, capacity, purges.
//!
//! - A PoP fetch that the shield answers from its cache (HIT or STALE) is stored at the PoP with
//!   the shield's remaining freshness and stale window: RFC 9111 §4.2.3 counts the `Age` header toward the PoP's
//!   current age, so the PoP's copy goes stale when the shield's does.
//! - A STALE at the shield answers the PoP at once and sends one background fetch to the origin.
//! - A PoP fetch that finds the shield missing waits on the shield's (collapsed) origin fetch;
//!   what the origin returns is stored fresh from now at the shield and at the PoP.
//!
//! Purges reach the shield first and are sent on to the PoPs from there (`policy.rs`).

use super::{Reply, Served, Simulation, Tier};
use crate::ids::{PageId, PopId};
use crate::model::cdn::{Lookup, Purged};
use crate::model::waiters::Waiter;
use crate::scenario::PurgeKind;

/// The shield is a `Cdn` of one PoP: this one.
const SHIELD_POP: PopId = PopId(0);

impl Simulation<'_> {
    /// A PoP's fetch of `page` reaches the shield (the PoP had none in flight for it).
    pub(super) fn shield_fetch(&mut self, pop: PopId, page: PageId, user_waits: bool) {
        let now = self.queue.now();
        let freshness = self.plans[self.content.layout().route_of(page)].freshness;
        let Some(shield) = self.shield.as_mut() else {
            return;
        };
        let lookup = shield.lookup(SHIELD_POP, page, now, freshness);
        self.collector
            .shield_request(now, !matches!(lookup, Lookup::Miss));
        let (version, served) = match lookup {
            Lookup::Hit(v) => (v, Served::ShieldHit),
            Lookup::Stale(v) => (v, Served::ShieldStale),
            Lookup::Miss => {
                self.shield_origin_fetch(page, Some((pop, user_waits)));
                return;
            }
        };
        shield.used(SHIELD_POP, page);
        let window = shield.window(SHIELD_POP, page, freshness);
        if let Some(cdn) = self.cdn.as_mut() {
            cdn.store_window(pop, page, version, window);
        }
        if user_waits {
            self.respond(now, page, pop, Some(version), served, false);
        }
        if served == Served::ShieldStale {
            self.shield_origin_fetch(page, None);
        }
    }

    /// The shield fetches `page` from the origin, for a PoP's fetch (the PoP, and whether a user
    /// waits on it) or in the background. With collapsing, a fetch already in flight is joined.
    fn shield_origin_fetch(&mut self, page: PageId, for_pop: Option<(PopId, bool)>) {
        let now = self.queue.now();
        let Some(shield) = self.shield.as_mut() else {
            return;
        };
        if let Some(f) = shield.collapsed_fetch(SHIELD_POP, page) {
            if let Some((pop, user_waits)) = for_pop {
                self.wait_on_shield(f, pop, page, user_waits, false);
            }
            return;
        }
        match self.origin_get(page) {
            Reply::Served(v, served, disk) => {
                self.shield_store(page, v, served);
                if let Some((pop, user_waits)) = for_pop {
                    self.cdn_store(pop, page, v, served);
                    if user_waits {
                        self.respond(now, page, pop, Some(v), served, disk);
                    }
                }
            }
            Reply::Blocked(g, disk) => {
                let Some(shield) = self.shield.as_mut() else {
                    return;
                };
                let f = shield.open_fetch(SHIELD_POP, page);
                if let Some((pop, user_waits)) = for_pop {
                    self.wait_on_shield(f, pop, page, user_waits, disk);
                }
                self.waiters
                    .push(&mut self.generations[g].waiters, Waiter::ShieldFetch(f));
            }
        }
    }

    /// Opens a fetch at `pop` (the user, if any, waiting on it) that waits on the shield's fetch
    /// `f`; `disk`: the instance read the page from disk for this user.
    fn wait_on_shield(&mut self, f: u32, pop: PopId, page: PageId, user_waits: bool, disk: bool) {
        let now = self.queue.now();
        let (Some(cdn), Some(shield)) = (self.cdn.as_mut(), self.shield.as_mut()) else {
            return;
        };
        let p = cdn.open_fetch(pop, page);
        if user_waits {
            let user = Waiter::User {
                arrival: now,
                pop,
                disk,
            };
            self.waiters.push(&mut cdn.fetch_mut(p).users, user);
        }
        self.waiters
            .push(&mut shield.fetch_mut(f).users, Waiter::Fetch(p));
    }

    /// The shield's fetch `f` got `version` (`None`: an error) from the origin: the shield stores
    /// it fresh from now, then each PoP fetch waiting on it does the same and answers its users.
    pub(super) fn close_shield_fetch(&mut self, f: u32, version: Option<u32>, served: Served) {
        let Some(shield) = self.shield.as_mut() else {
            return;
        };
        let (_, page, mut fetches) = shield.close_fetch(f);
        if let Some(v) = version {
            self.shield_store(page, v, served);
        }
        while let Some(Waiter::Fetch(p)) = self.waiters.pop(&mut fetches) {
            self.close_pop_fetch(p, version, served);
        }
    }

    /// The shield stores the origin's answer `served`, as a PoP would (`copies.rs`).
    fn shield_store(&mut self, page: PageId, version: u32, served: Served) {
        let window = self.kept(page, served);
        if let Some(shield) = self.shield.as_mut() {
            shield.store_window(SHIELD_POP, page, version, window);
        }
    }

    /// A purge of `page` arrives at the shield: it applies there, then goes on to every PoP.
    pub(super) fn on_shield_purge(&mut self, page: Purged, kind: PurgeKind) {
        let now = self.queue.now();
        if let Some(shield) = self.shield.as_mut() {
            shield.purge(SHIELD_POP, page, now, kind);
        }
        if let Some(trace) = self.trace.as_mut() {
            trace.purges.push((now, Tier::Shield, page, kind));
        }
        self.purge_pops(page, kind);
    }
}
