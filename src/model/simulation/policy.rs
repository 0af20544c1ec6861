//! The policy layer: what an edit's webhook, a schedule and a CDN purge do (docs/model.md §8).
//!
//! Each on-demand action is the Next.js API it stands for:
//! - `regenerate` is the Pages Router's `res.revalidate(path)` (Next.js docs, "On-demand
//!   Revalidation"): the instance that receives the call regenerates the page now. Concurrent
//!   on-demand revalidations of a page join one batch in the response cache
//!   (`packages/next/src/server/response-cache/index.ts`), so an edit that arrives while one is in
//!   flight, after its snapshot, is not in the page it produces.
//! - `invalidate` is the App Router's `revalidatePath`: the entry is dropped and the next request
//!   blocks on a generation.
//! - `mark-stale` is `revalidateTag(tag, 'max')` (Next.js 16): the entry is served stale once
//!   while it regenerates.
//! - `revalidate-tag` is `revalidateTag` of the tags the policy names, filled from the edited
//!   page: one webhook per edit, whatever it reaches (`tags.rs`).
//! - `schedule` is a cron job calling the revalidation API for every page.
//!
//! A CDN purge goes to every PoP and arrives after its own delay, or is lost (Fastly and
//! Cloudflare document about 150 ms, Vercel within 300 ms, CloudFront seconds to minutes). With an
//! origin shield it reaches the shield first, with its own delay and chance of loss, and goes on
//! to the PoPs from there: the order that avoids the race Fastly's "Purging best practices"
//! describes, where an edge purged before its shield refetches and caches the old copy. After
//! `regenerate` it is sent once the regeneration has succeeded; after `invalidate`,
//! `mark-stale` and `revalidate-tag`, at once. Each purge sent is one call to the CDN's API
//! (`purge_requests`), however many PoPs it then reaches.
//!
//! Whether a webhook or a purge's hop is lost, its delay, and a schedule's phases are drawn in
//! `workload::policy`, where the load tester draws them too; this file says what they do to the
//! caches.

use super::{Cause, Event, Simulation};
use crate::ids::{InstanceId, PageId, PopId};
use crate::model::cdn::Purged;
use crate::model::origin::Batch;
use crate::model::waiters::Waiter;
use crate::scenario::{OnEdit, PurgeKind};
use crate::time::SimTime;
use crate::workload::policy::Purges;

impl Simulation<'_> {
    /// An edit: the content changes, and each changed page gets the webhook its route's policy
    /// sends (`workload::policy`), unless it is lost.
    pub(super) fn on_edit(&mut self, page: PageId) {
        let now = self.queue.now();
        let mut changed = std::mem::take(&mut self.changed);
        self.content.edit(page, now, &mut changed);
        if let Some(trace) = self.trace.as_mut() {
            trace.edits.push((now, page));
        }
        let (plans, layout) = (&self.plans, self.content.layout());
        for webhook in self
            .webhooks
            .of_edit(&changed, |q| &plans[layout.route_of(q)].policy)
        {
            let (page, attempt) = (webhook.page, 0);
            let event = match webhook.delay {
                Some(delay) => Some((now + delay, Event::Webhook { page, attempt })),
                // Only a policy that retries needs to know when the CMS gives up.
                None if plans[layout.route_of(page)].policy.webhook_retries > 0 => {
                    Some((now + webhook.drawn, Event::WebhookLost { page, attempt }))
                }
                None => None,
            };
            if let Some((at, event)) = event {
                self.queue.schedule(at, event);
            }
        }
        self.changed = changed;
    }

    /// Attempt `attempt` of a webhook for `page` failed now: the CMS sends the next one after
    /// its back-off, if its policy retries once more before the run ends (docs/model.md §8.6).
    pub(super) fn retry_webhook(&mut self, page: PageId, attempt: u8) {
        let now = self.queue.now();
        let policy = &self.plans[self.content.layout().route_of(page)].policy;
        let Some(retry) = self
            .webhooks
            .retry(policy, u32::from(attempt), now, self.duration)
        else {
            return;
        };
        self.collector.webhook_retried(retry.sent);
        let attempt = retry.attempt as u8;
        let event = if retry.lost {
            Event::WebhookLost { page, attempt }
        } else {
            Event::Webhook { page, attempt }
        };
        self.queue.schedule(retry.at, event);
    }

    /// An edit's webhook reaches the origin: one instance, or all with `broadcast`. Under
    /// `regenerate` with `webhook_retries`, its answer waits for the regeneration of the first
    /// instance it reaches, and a failure there is retried.
    pub(super) fn on_webhook(&mut self, page: PageId, attempt: u8) {
        let route = self.content.layout().route_of(page);
        let (on_edit, broadcast, purge_cdn, retries) = {
            let p = &self.plans[route].policy;
            (p.on_edit, p.broadcast, p.purge_cdn, p.webhook_retries)
        };
        if on_edit == OnEdit::RevalidateTag {
            self.on_tag_webhook(page);
            return;
        }
        let mut answer = retries > 0;
        let targets = if broadcast {
            0..self.origin.instances()
        } else {
            let i = self.origin.pick_instance(page, &mut self.balancer_rng).0;
            i..i + 1
        };
        for instance in targets.map(InstanceId) {
            match on_edit {
                OnEdit::Regenerate => {
                    let g = self.revalidate_on_demand(instance, page, Cause::OnDemand);
                    self.generations[g].purge_after |= purge_cdn;
                    if std::mem::take(&mut answer) {
                        let mut waiting = self.generations[g].waiters;
                        self.waiters.push(&mut waiting, Waiter::Webhook { attempt });
                        self.generations[g].waiters = waiting;
                    }
                }
                OnEdit::Invalidate => self.origin.invalidate(instance, page),
                OnEdit::MarkStale => self.origin.mark_stale(instance, page),
                OnEdit::RevalidateTag | OnEdit::None => {}
            }
        }
        if purge_cdn && matches!(on_edit, OnEdit::Invalidate | OnEdit::MarkStale) {
            self.purge_everywhere(page);
        }
    }

    pub(super) fn on_schedule(&mut self, page: PageId, instance: InstanceId) {
        let route = self.content.layout().route_of(page);
        let (every, purge_cdn) = {
            let p = &self.plans[route].policy;
            (p.schedule, p.purge_cdn)
        };
        if self.origin.running(instance) {
            let g = self.revalidate_on_demand(instance, page, Cause::Schedule);
            self.generations[g].purge_on_change |= purge_cdn;
        }
        if let Some(every) = every {
            self.queue
                .schedule(self.queue.now() + every, Event::Schedule { page, instance });
        }
    }

    /// An on-demand revalidation joins the one in flight for the page, as Next.js batches them.
    pub(super) fn revalidate_on_demand(
        &mut self,
        instance: InstanceId,
        page: PageId,
        cause: Cause,
    ) -> u32 {
        match self.origin.in_flight(Batch::OnDemand, instance, page) {
            Some(g) => g,
            None => self.trigger(instance, page, Batch::OnDemand, cause),
        }
    }

    /// Purges `page` from the CDN, as its route's policy says (`purge = "hard"` or `"soft"`).
    pub(super) fn purge_everywhere(&mut self, page: PageId) {
        let kind = self.plans[self.content.layout().route_of(page)]
            .policy
            .purge;
        self.send_purge(Purged::Page(page), kind);
    }

    /// The one way a purge enters the CDN. With an origin shield it goes to the shield first,
    /// arriving after its own delay or lost, and only from there on to the PoPs
    /// (`on_shield_purge`); without one, straight to every PoP. A purge of every page takes the
    /// same route.
    pub(super) fn send_purge(&mut self, page: Purged, kind: PurgeKind) {
        if self.cdn.is_none() {
            return;
        }
        self.collector.purge_request(self.queue.now());
        if self.shield.is_none() {
            self.purge_pops(page, kind);
        } else if let Some(delay) = self.purge_hop() {
            self.queue
                .schedule(self.queue.now() + delay, Event::ShieldPurge { page, kind });
        }
    }

    /// Sends a purge of `page` to every PoP; each arrives after its own delay, or is lost.
    pub(super) fn purge_pops(&mut self, page: Purged, kind: PurgeKind) {
        let Some(cdn) = self.cdn.as_ref() else { return };
        for pop in (0..cdn.pops()).map(PopId) {
            if let Some(delay) = self.purge_hop() {
                self.queue
                    .schedule(self.queue.now() + delay, Event::Purge { pop, page, kind });
            }
        }
    }

    /// One hop of a purge (to a PoP, or to the shield): its delay, or `None` if it is lost.
    fn purge_hop(&mut self) -> Option<SimTime> {
        self.purges.as_mut().and_then(Purges::hop)
    }
}
