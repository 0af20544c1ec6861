//! What the CDN keeps of an origin answer, and a regeneration that replaces the CDN's copies by
//! itself (docs/model.md §5.8).
//!
//! - Under Next.js's header with an exact clock every copy of a route gets the route's freshness,
//!   worked out once (`RoutePlan::freshness`): the default path does nothing more. Otherwise
//!   each copy gets the window its answer's header gives it (`model::headers`): an OpenNext HIT
//!   the time left, a STALE two seconds; a Netlify STALE none; both ends on the CDN's clock.
//! - With `[cdn] follows_origin`, a successful regeneration at the origin, whatever its cause,
//!   replaces the copy of every PoP that holds the page, and the shield's, after one draw from
//!   `propagation` (its own random stream, drawn only then): fresh from that instant as the
//!   answer to a MISS would be. It models Vercel, whose ISR cache and CDN are one system: "when
//!   a page with ISR enabled regenerates, Vercel fetches the most recent data and updates the
//!   cache" (Vercel docs, "Getting started with ISR", updated 2026-08-11), in every region
//!   ("Vercel CDN Cache", updated 2026-09-14); Vercel gives 300 ms for a purge or a tag expiry
//!   to reach every region (docs/model.md §5.4), which a profile may take as the delay. A copy
//!   already holding a newer version keeps it.

use super::{Event, Served, Simulation};
use crate::distribution::Distribution;
use crate::ids::{PageId, PopId};
use crate::model::cdn::Window;
use crate::model::headers::Answer;
use crate::time::SimTime;
use crate::workload::rng::SimRng;

/// The shield is a `Cdn` of one PoP.
const SHIELD_POP: PopId = PopId(0);

/// How long a regeneration takes to reach the CDN's copies, and the dice for it.
pub(super) struct Propagation {
    pub(super) delay: Distribution,
    pub(super) rng: SimRng,
}

impl Simulation<'_> {
    /// The window a copy of `page` stored now gets from the origin's answer `served` (a HIT or a
    /// STALE from the cache, else a generation's answer, a MISS).
    pub(super) fn kept(&self, page: PageId, served: Served) -> Window {
        let now = self.queue.now();
        let plan = &self.plans[self.content.layout().route_of(page)];
        if !self.per_copy {
            let f = plan.freshness;
            return Window {
                fresh_until: now + f.ttl,
                stale_until: now + f.ttl + f.swr,
            };
        }
        let answer = match served {
            Served::OriginHit => Answer::Hit {
                fresh_until: self.origin.answered_fresh_until(page, now),
            },
            Served::OriginStale => Answer::Stale,
            _ => Answer::Miss,
        };
        let revalidate = plan.policy.revalidate;
        self.rules.window(answer, now, revalidate, plan.expire)
    }

    /// A regeneration of `page` stored `version` at the origin: with `follows_origin`, it reaches
    /// the CDN's copies after the drawn propagation.
    pub(super) fn follow(&mut self, page: PageId, version: u32) {
        let Some(p) = self.propagation.as_mut() else {
            return;
        };
        let at = self.queue.now() + p.delay.sample(&mut p.rng);
        self.queue.schedule(at, Event::Propagated { page, version });
    }

    /// A regeneration's `version` of `page` reaches the CDN: every PoP that holds an older (or
    /// the same) version, and the shield, store it fresh from now.
    pub(super) fn on_propagated(&mut self, page: PageId, version: u32) {
        let window = self.kept(page, Served::Generated);
        let newer = |held: Option<u32>| held.is_some_and(|v| v <= version);
        if let Some(cdn) = self.cdn.as_mut() {
            for pop in (0..cdn.pops()).map(PopId) {
                if newer(cdn.held(pop, page)) {
                    cdn.store_window(pop, page, version, window);
                }
            }
        }
        if let Some(shield) = self.shield.as_mut()
            && newer(shield.held(SHIELD_POP, page))
        {
            shield.store_window(SHIELD_POP, page, version, window);
        }
        if let Some(trace) = self.trace.as_mut() {
            trace.propagations.push((self.queue.now(), page, version));
        }
    }

    /// The window of a copy stored at t=0 by a warm CDN: the build's page as a MISS answer.
    pub(super) fn warm_window(&self, page: PageId) -> Window {
        debug_assert_eq!(self.queue.now(), SimTime::ZERO);
        self.kept(page, Served::Generated)
    }
}
