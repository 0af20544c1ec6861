//! Users' requests: through a PoP (HIT, STALE with a background fetch, or a MISS that fetches,
//! collapsed per PoP and page), through the origin shield when there is one (`shield.rs`), to an
//! instance, where Next.js finds the page in memory or reads it from disk (§6.7), then serves
//! fresh, serves stale and regenerates in the background, or blocks on a generation; and the
//! response each user gets, with its latency: `cdn.rtt` from the PoP, plus the shield's `rtt`
//! from the shield, plus `cdn.origin_rtt`, any disk read and any wait from the origin.

use super::{ABSENT, Cause, Reply, Served, Simulation, TracedResponse};
use crate::ids::{PageId, PopId};
use crate::metrics::collector::Response;
use crate::metrics::staleness;
use crate::model::cdn;
use crate::model::origin::{self, Batch};
use crate::model::waiters::Waiter;
use crate::time::SimTime;
use crate::workload::traffic::Request;

impl Simulation<'_> {
    pub(super) fn on_request(&mut self, r: Request) {
        let now = self.queue.now();
        let pop = r.pop;
        let Some(cdn) = self.cdn.as_ref() else {
            match self.origin_get(r.page) {
                Reply::Served(v, served, disk) => {
                    self.respond(now, r.page, pop, Some(v), served, disk);
                }
                Reply::Blocked(g, disk) => {
                    let user = Waiter::User {
                        arrival: now,
                        pop,
                        disk,
                    };
                    self.waiters.push(&mut self.generations[g].waiters, user);
                }
            }
            return;
        };
        let freshness = self.plans[self.content.layout().route_of(r.page)].freshness;
        match cdn.lookup(pop, r.page, now, freshness) {
            cdn::Lookup::Hit(v) => {
                self.cdn_used(pop, r.page);
                self.respond(now, r.page, pop, Some(v), Served::CdnHit, false);
            }
            cdn::Lookup::Stale(v) => {
                self.cdn_used(pop, r.page);
                self.respond(now, r.page, pop, Some(v), Served::CdnStale, false);
                self.cdn_fetch(pop, r.page, false);
            }
            cdn::Lookup::Miss => self.cdn_fetch(pop, r.page, true),
        }
    }

    /// A PoP fetches a page from the origin (or the shield), for a waiting user or in the
    /// background.
    pub(super) fn cdn_fetch(&mut self, pop: PopId, page: PageId, user_waits: bool) {
        let now = self.queue.now();
        let user = |disk| Waiter::User {
            arrival: now,
            pop,
            disk,
        };
        let Some(cdn) = self.cdn.as_mut() else { return };
        if let Some(f) = cdn.collapsed_fetch(pop, page) {
            if user_waits {
                self.waiters.push(&mut cdn.fetch_mut(f).users, user(false));
            }
            return;
        }
        if self.shield.is_some() {
            self.shield_fetch(pop, page, user_waits);
            return;
        }
        match self.origin_get(page) {
            Reply::Served(v, served, disk) => {
                self.cdn_store(pop, page, v, served);
                if user_waits {
                    self.respond(now, page, pop, Some(v), served, disk);
                }
            }
            Reply::Blocked(g, disk) => {
                let Some(cdn) = self.cdn.as_mut() else { return };
                let f = cdn.open_fetch(pop, page);
                if user_waits {
                    self.waiters.push(&mut cdn.fetch_mut(f).users, user(disk));
                }
                self.waiters
                    .push(&mut self.generations[g].waiters, Waiter::Fetch(f));
            }
        }
    }

    /// A request read (pop, page) from the PoP's cache (its place in a bounded cache's order).
    #[inline]
    pub(super) fn cdn_used(&mut self, pop: PopId, page: PageId) {
        if let Some(cdn) = self.cdn.as_mut() {
            cdn.used(pop, page);
        }
    }

    /// A PoP stores the origin's answer `served` (`copies.rs`: the window its header gives).
    pub(super) fn cdn_store(&mut self, pop: PopId, page: PageId, version: u32, served: Served) {
        let window = self.kept(page, served);
        if let Some(cdn) = self.cdn.as_mut() {
            cdn.store_window(pop, page, version, window);
        }
    }

    /// A request reaches the origin (counted in `origin_requests`) and the balancer picks an
    /// instance, where Next.js finds the entry in memory or reads it from disk, then serves it
    /// fresh, serves it stale and regenerates in the background (or, with `[origin.queue]`, sends
    /// the page to the revalidation queue: `queue.rs`), or blocks on a generation.
    pub(super) fn origin_get(&mut self, page: PageId) -> Reply {
        self.collector.origin_request(self.queue.now());
        let instance = self.origin.pick_instance(page, &mut self.balancer_rng);
        let disk = self.origin.read(instance, page);
        match self.origin.lookup(instance, page, self.queue.now()) {
            origin::Lookup::Fresh(v) => Reply::Served(v, Served::OriginHit, disk),
            origin::Lookup::Stale(v) => {
                if self.revalidations.is_some() {
                    let stale_from = self.origin.stale_from(instance, page, self.queue.now());
                    self.send_revalidation(page, v, stale_from);
                } else if self
                    .origin
                    .in_flight(Batch::Request, instance, page)
                    .is_none()
                {
                    self.trigger(instance, page, Batch::Request, Cause::Background);
                }
                Reply::Served(v, Served::OriginStale, disk)
            }
            // Past its expire time an entry is not served: the request waits for a fresh one.
            origin::Lookup::Absent | origin::Lookup::Expired => {
                let g = match self.origin.in_flight(Batch::Request, instance, page) {
                    Some(g) => g,
                    None => self.trigger(instance, page, Batch::Request, Cause::Blocking),
                };
                Reply::Blocked(g, disk)
            }
        }
    }

    /// Answers a user at `self.queue.now()`. `pop` is the user's PoP (PoP 0 without a CDN);
    /// `disk`: the instance read the entry from disk for this user.
    pub(super) fn respond(
        &mut self,
        arrival: SimTime,
        page: PageId,
        pop: PopId,
        version: Option<u32>,
        served: Served,
        disk: bool,
    ) {
        let now = self.queue.now();
        let route = self.content.layout().route_of(page);
        let read = if disk { self.disk_read } else { SimTime::ZERO };
        let latency = match served {
            _ if self.cdn.is_none() => self.origin_rtt + read + (now - arrival),
            Served::CdnHit | Served::CdnStale => self.cdn_rtt,
            Served::ShieldHit | Served::ShieldStale => self.cdn_rtt + self.shield_rtt,
            Served::OriginHit | Served::OriginStale | Served::Generated | Served::Error => {
                self.cdn_rtt + self.shield_rtt + self.cdn_origin_rtt + read + (now - arrival)
            }
        };
        let from_cdn = matches!(
            served,
            Served::CdnHit | Served::CdnStale | Served::ShieldHit | Served::ShieldStale
        );
        let judgement = staleness::judge(&self.content, page, version, now);
        if let Some(v) = version {
            let collector = &mut self.collector;
            self.visibility.served(&self.content, page, v, |edited| {
                collector.edit_visible(route, edited, now)
            });
        }
        let newest = self.origin_newest[page.index()];
        let newest = (newest != ABSENT).then_some(newest);
        self.collector.response(Response {
            at: now,
            route,
            latency,
            stale_age: judgement.stale_age,
            stale: judgement.stale,
            from_cdn,
            behind_origin: staleness::behind_origin(judgement, from_cdn, version, newest),
        });
        if let Some(trace) = self.trace.as_mut() {
            trace.responses.push(TracedResponse {
                at: now,
                arrival,
                page,
                pop,
                version,
                served,
                stale: judgement.stale,
                latency,
            });
        }
    }
}
