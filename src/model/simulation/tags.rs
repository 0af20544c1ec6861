//! Cache tags (docs/model.md §8.7): what an edit's `revalidate-tag` webhook does at each ISR cache
//! it reaches, when a tag's expire time comes, and the CDN purges it sends.
//!
//! Next.js 16.4.6 (`packages/next/src/`):
//! - `server/lib/incremental-cache/tags-manifest.external.ts`: each process keeps one manifest,
//!   tag -> `{ stale, expired }` (a custom shared cache handler shares it: `cache = "shared"`).
//!   An entry written at `lastModified` is stale if one of its tags has `stale > lastModified`
//!   (`areTagsStale`), and expired if one has `expired <= now && expired > lastModified`
//!   (`areTagsExpired`).
//! - `server/lib/incremental-cache/file-system-cache.ts` `revalidateTag`: with a profile,
//!   `stale = now` and `expired = now + expire`; the last call decides. `server/revalidation-utils.ts`
//!   and `server/config-shared.ts`: `'max'` expires a year on; `{ expire: 0 }` (and `updateTag`,
//!   `server/web/spec-extension/revalidate.ts`) expires now.
//! - `file-system-cache.ts` `get` returns an entry whose tags are expired as absent: the request
//!   renders and waits; `incremental-cache/index.ts` `get` serves an entry whose tags are stale as
//!   stale, with one background regeneration.
//!
//! Next.js checks an entry's tags when it is read; here they are applied when the webhook
//! arrives, to the entries present then. The two agree: only an entry written before `now` can
//! have `lastModified < now`, and one written later is neither stale nor expired by this call.
//! An expiry `D` after the call drops, at that instant, every entry carrying the tag, including
//! one regenerated in between (its `lastModified` is still before `expired`), unless a later
//! call set the tag's `expired` to something else or the cache was emptied since (its epoch).
//!
//! With `[origin] tag_lag` (a shared cache, docs/model.md §6.9), the shared tag state reaches the
//! other instances late: an entry a webhook reaches is stale (or expired) at once for the instance
//! the webhook reached, and for the others only after a delay drawn per entry; until then they
//! read it as it was (`Origin::revalidate_tag`). A tag's expiry comes everywhere at its time.

use super::{Event, Simulation};
use crate::ids::{InstanceId, PageId};
use crate::model::cdn::Purged;
use crate::scenario::tags::TagId;
use crate::scenario::{OnEdit, PurgeBy};
use crate::time::SimTime;

/// Each cache's tag state: when each tag expires (`SimTime::NEVER`: not revalidated), and the
/// scratch lists a webhook fills. Empty unless some policy revalidates tags.
#[derive(Default)]
pub(super) struct TagState {
    /// `expired[cache * tags + tag]`.
    expired: Vec<SimTime>,
    tags: usize,
    /// The tags one webhook revalidates.
    ids: Vec<TagId>,
    /// The entries one cache had of the tags' pages.
    present: Vec<PageId>,
    /// The pages with an entry in any cache the webhook reached (`purge_by = "path"`).
    reached: Vec<PageId>,
}

impl TagState {
    /// Room for `tags` tags in each of `caches` caches.
    pub(super) fn new(caches: usize, tags: usize) -> TagState {
        TagState {
            expired: vec![SimTime::NEVER; caches * tags],
            tags,
            ..TagState::default()
        }
    }
}

impl Simulation<'_> {
    /// An edit's `revalidate-tag` webhook for `page` (the edited page) reaches the origin: one
    /// instance, or all with `broadcast` (one shared cache once). Then the CDN purge, once.
    pub(super) fn on_tag_webhook(&mut self, page: PageId) {
        let layout = self.content.layout();
        let route = layout.route_of(page);
        let index = page.0 - layout.offsets[route];
        let policy = &self.plans[route].policy;
        let (broadcast, purge_cdn, kind, expire) = (
            policy.broadcast,
            policy.purge_cdn,
            policy.purge,
            policy.tag_expire.duration(),
        );
        let mut ids = std::mem::take(&mut self.tag_state.ids);
        let named = self.tags.revalidated_ids(&policy.tags, index, &mut ids);
        let mut reached = std::mem::take(&mut self.tag_state.reached);
        reached.clear();
        // A shared cache, and its one tag state, is reached once however many instances are.
        let targets = match (broadcast, self.origin.shared()) {
            (true, false) => 0..self.origin.instances(),
            (true, true) => 0..1,
            (false, _) => {
                let i = self.origin.pick_instance(page, &mut self.balancer_rng).0;
                i..i + 1
            }
        };
        for instance in targets.map(InstanceId) {
            self.revalidate_tags(instance, &ids, expire, &mut reached);
        }
        if purge_cdn && self.cdn.is_some() {
            match self.purge_by {
                PurgeBy::Path => {
                    reached.sort_unstable();
                    reached.dedup();
                    for &page in &reached {
                        self.send_purge(Purged::Page(page), kind);
                    }
                }
                PurgeBy::Tag => {
                    for &tag in &ids {
                        self.send_purge(Purged::Tag(tag), kind);
                    }
                    // A tag no page carries is purged all the same: a call that reaches nothing.
                    for _ in ids.len()..named {
                        self.collector.purge_request(self.queue.now());
                    }
                }
            }
        }
        self.tag_state.ids = ids;
        self.tag_state.reached = reached;
    }

    /// `revalidateTag` of each of `tags` at `instance`'s cache, expiring `expire` from now: its
    /// entries carrying one of them are stale now (expired now when `expire` is zero), each
    /// counted once, and added to `reached`.
    fn revalidate_tags(
        &mut self,
        instance: InstanceId,
        tags: &[TagId],
        expire: SimTime,
        reached: &mut Vec<PageId>,
    ) {
        let now = self.queue.now();
        let expired = now.saturating_add(expire);
        let base = self.origin.cache_of(instance) as usize * self.tag_state.tags;
        let mut present = std::mem::take(&mut self.tag_state.present);
        present.clear();
        for &tag in tags {
            let pages = self.tags.pages_with(tag);
            present.extend(
                pages
                    .iter()
                    .filter(|&&p| self.origin.version(instance, p).is_some()),
            );
            let Some(slot) = self.tag_state.expired.get_mut(base + tag.0 as usize) else {
                continue;
            };
            // A second call at the same instant with the same profile changes nothing.
            if *slot != expired {
                *slot = expired;
                if expire > SimTime::ZERO && expired < self.duration {
                    let epoch = self.origin.epoch(instance);
                    let event = Event::TagExpiry {
                        instance,
                        tag,
                        epoch,
                    };
                    self.queue.schedule(expired, event);
                }
            }
        }
        present.sort_unstable();
        present.dedup();
        for &page in &present {
            let expired = expire == SimTime::ZERO;
            self.origin.revalidate_tag(instance, page, now, expired);
            let route = self.content.layout().route_of(page);
            self.collector.tag_invalidation(now, route);
        }
        reached.extend_from_slice(&present);
        self.tag_state.present = present;
    }

    /// `tag`'s expire time at `instance`'s cache has come: every entry there carrying it is
    /// expired (dropped), if no later call changed the tag's `expired` and the cache was not
    /// emptied since the call (`epoch`).
    pub(super) fn on_tag_expiry(&mut self, instance: InstanceId, tag: TagId, epoch: u32) {
        let now = self.queue.now();
        let slot = self.origin.cache_of(instance) as usize * self.tag_state.tags + tag.0 as usize;
        if self.origin.epoch(instance) != epoch || self.tag_state.expired.get(slot) != Some(&now) {
            return;
        }
        let tags = std::sync::Arc::clone(&self.tags);
        for &page in tags.pages_with(tag) {
            if self.origin.version(instance, page).is_some() {
                self.origin.invalidate(instance, page);
                let route = self.content.layout().route_of(page);
                self.collector.tag_invalidation(now, route);
            }
        }
    }

    /// Whether any route of this run's policy revalidates tags.
    pub(super) fn revalidates_tags(&self) -> bool {
        self.plans
            .iter()
            .any(|p| p.policy.on_edit == OnEdit::RevalidateTag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_expiry_keeps_events_as_small_as_a_purge() {
        assert!(std::mem::size_of::<Event>() <= 16);
    }

    #[test]
    fn tag_state_is_free_until_a_policy_revalidates_tags() {
        let none = TagState::default();
        assert!(none.expired.is_empty() && none.ids.capacity() == 0);
        let some = TagState::new(3, 5);
        assert_eq!(some.expired, vec![SimTime::NEVER; 15]);
        assert_eq!(some.tags, 5);
    }
}
