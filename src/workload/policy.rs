//! What a policy sends, drawn once for both drivers (docs/model.md §8, docs/load.md "How editors
//! are played"): the webhooks of an edit, each hop of a CDN purge, and the phases of a schedule.
//!
//! Each is a message over a network that arrives after a delay or is lost (Fastly and Cloudflare
//! document about 150 ms for a purge; a CMS's webhook is retried or dropped by its own rules), so
//! the simulator schedules it in its event queue and the load tester sends it after a real wait.
//! The dice are the replication's own streams (`Webhooks`, `Purges`, `Schedule`), never the
//! policy's, so every policy of a replication that sends alike gets the same delays and losses
//! (docs/model.md §2.4), and a load test gets those of the simulation it is compared with.

use rand::RngExt;

use super::content::PageLayout;
use super::rng::{self, SimRng, Stream};
use crate::distribution::Distribution;
use crate::ids::PageId;
use crate::scenario::{OnEdit, RoutePolicy, Scenario};
use crate::time::SimTime;

/// One webhook of an edit: for `page`, arriving `delay` after the edit, or lost (`None`).
/// `drawn` is the delay drawn either way: a lost webhook's sender gives up on it then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Webhook {
    pub page: PageId,
    pub delay: Option<SimTime>,
    pub drawn: SimTime,
}

/// The webhooks' dice: one replication's `Webhooks` stream, and its `WebhookRetries` stream,
/// which only a retry reads, so a policy without `webhook_retries` draws as before.
pub struct Webhooks {
    rng: SimRng,
    retries: SimRng,
}

/// How long after attempt `attempt` (0 the first) failed the CMS sends the next one:
/// `webhook_backoff * 2^attempt`, the `attempt + 1`-th retry's exponential back-off.
pub fn backoff(policy: &RoutePolicy, attempt: u32) -> SimTime {
    let factor = 1u64 << attempt.min(63);
    SimTime(policy.webhook_backoff.as_micros().saturating_mul(factor))
}

/// The next attempt of a webhook whose attempt `attempt` failed `now`, if the policy retries it
/// once more and it is sent before `end`: sent after `backoff`, then as the first attempt, lost
/// with `webhook_failure` (drawn only when it can be) and delayed by `webhook_delay`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    /// Its number: 1 for the first retry.
    pub attempt: u32,
    pub sent: SimTime,
    /// When it arrives (`lost` false), or when the CMS gives up on it (`lost`).
    pub at: SimTime,
    pub lost: bool,
}

impl Webhooks {
    pub fn new(replication_seed: u64) -> Webhooks {
        Webhooks {
            rng: rng::stream(replication_seed, Stream::Webhooks),
            retries: rng::stream(replication_seed, Stream::WebhookRetries),
        }
    }

    /// The retry after attempt `attempt` of a webhook under `policy` failed at `now`, or `None`
    /// when the policy's retries are spent or it would be sent at or after `end`.
    pub fn retry(
        &mut self,
        policy: &RoutePolicy,
        attempt: u32,
        now: SimTime,
        end: SimTime,
    ) -> Option<Retry> {
        if attempt >= policy.webhook_retries {
            return None;
        }
        let sent = now.saturating_add(backoff(policy, attempt));
        if sent >= end {
            return None;
        }
        let lost =
            policy.webhook_failure > 0.0 && self.retries.random::<f64>() < policy.webhook_failure;
        let delay = policy.webhook_delay.sample(&mut self.retries);
        Some(Retry {
            attempt: attempt + 1,
            sent,
            at: sent.saturating_add(delay),
            lost,
        })
    }

    /// The webhooks of one edit, in the order of the pages it `changed` (the edited page first,
    /// as `Content::edit` writes them): one per page whose route's policy (`policy_of`) acts on
    /// edits, but under `revalidate-tag` only for the edited page: its one webhook revalidates
    /// the tags its policy names, and a page changed through `depends_on` gets no webhook of its
    /// own. Per webhook, its loss is drawn first, and only when its policy can lose one
    /// (`webhook_failure > 0`), then its delay, lost or not.
    pub fn of_edit<'a>(
        &'a mut self,
        changed: &'a [PageId],
        policy_of: impl Fn(PageId) -> &'a RoutePolicy + 'a,
    ) -> impl Iterator<Item = Webhook> + 'a {
        changed.iter().enumerate().filter_map(move |(i, &page)| {
            let policy = policy_of(page);
            match policy.on_edit {
                OnEdit::None => return None,
                OnEdit::RevalidateTag if i > 0 => return None,
                _ => {}
            }
            let lost =
                policy.webhook_failure > 0.0 && self.rng.random::<f64>() < policy.webhook_failure;
            let delay = policy.webhook_delay.sample(&mut self.rng);
            Some(Webhook {
                page,
                delay: (!lost).then_some(delay),
                drawn: delay,
            })
        })
    }
}

/// The purges' dice: one replication's `Purges` stream, and the CDN's `purge_delay` and
/// `purge_failure`.
pub struct Purges {
    rng: SimRng,
    delay: Distribution,
    failure: f64,
}

impl Purges {
    /// `None` without a `[cdn]`: then no purge is ever sent.
    pub fn new(scenario: &Scenario, replication_seed: u64) -> Option<Purges> {
        scenario.cdn.as_ref().map(|cdn| Purges {
            rng: rng::stream(replication_seed, Stream::Purges),
            delay: cdn.purge_delay.clone(),
            failure: cdn.purge_failure,
        })
    }

    /// One hop of a purge (to a PoP, to the origin shield, or the load tester's one request to
    /// the CDN): its delay, or `None` if it is lost. The loss is drawn first, and only when purges
    /// can be lost, then the delay, lost or not.
    pub fn hop(&mut self) -> Option<SimTime> {
        let lost = self.failure > 0.0 && self.rng.random::<f64>() < self.failure;
        let delay = self.delay.sample(&mut self.rng);
        (!lost).then_some(delay)
    }
}

/// The first tick of every scheduled page, `(page, phase)`: each phase uniform in whole
/// microseconds within its route's first period, drawn from the `Schedule` stream in page order.
/// `schedules` is each route's `schedule`, in route order. A driver then ticks each page once per
/// cache (docs/model.md §8.4).
pub fn schedule_phases<'a>(
    layout: &'a PageLayout,
    schedules: impl IntoIterator<Item = Option<SimTime>> + 'a,
    replication_seed: u64,
) -> impl Iterator<Item = (PageId, SimTime)> + 'a {
    let mut rng = rng::stream(replication_seed, Stream::Schedule);
    schedules
        .into_iter()
        .enumerate()
        .filter_map(|(route, every)| every.map(|every| (route, every)))
        .flat_map(move |(route, every)| {
            let first = layout.offsets[route];
            (first..first + layout.pages[route]).map(move |page| (PageId(page), every))
        })
        .map(move |(page, every)| (page, SimTime(rng.random_range(0..every.as_micros()))))
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
pages = 3
regen_time = "1s"
[[routes]]
name = "about"
pages = 2
regen_time = "1s"
[[routes]]
name = "lists"
pages = 2
regen_time = "1s"
[cdn]
purge_delay = { exponential = "150ms" }
[[policies]]
name = "p"
"#;

    fn policy(on_edit: OnEdit, failure: f64) -> RoutePolicy {
        RoutePolicy {
            on_edit,
            webhook_delay: Distribution::Exponential {
                mean: SimTime::from_secs(1),
            },
            webhook_failure: failure,
            ..RoutePolicy::default()
        }
    }

    #[test]
    fn each_webhook_draws_its_loss_only_when_it_can_be_lost_then_its_delay() {
        let seed = 11;
        let (sure, lossy, silent) = (
            policy(OnEdit::Regenerate, 0.0),
            policy(OnEdit::Invalidate, 0.5),
            policy(OnEdit::None, 0.5),
        );
        // Pages 0 and 1 have sure webhooks, page 2 none, pages 3 and 4 lossy ones.
        let policy_of = |page: PageId| match page.0 {
            0 | 1 => &sure,
            2 => &silent,
            _ => &lossy,
        };
        let mut webhooks = Webhooks::new(seed);
        let got: Vec<Webhook> = webhooks
            .of_edit(&[0, 1, 2, 3, 4].map(PageId), policy_of)
            .collect();

        // The same stream, read by hand in the documented order.
        let mut dice = rng::stream(seed, Stream::Webhooks);
        let mut expected = Vec::new();
        for page in [0, 1].map(PageId) {
            let delay = sure.webhook_delay.sample(&mut dice);
            expected.push(Webhook {
                page,
                delay: Some(delay),
                drawn: delay,
            });
        }
        for page in [3, 4].map(PageId) {
            let lost = dice.random::<f64>() < 0.5;
            let delay = lossy.webhook_delay.sample(&mut dice);
            expected.push(Webhook {
                page,
                delay: (!lost).then_some(delay),
                drawn: delay,
            });
        }
        assert_eq!(got, expected);
    }

    #[test]
    fn revalidate_tag_sends_one_webhook_for_the_edited_page_only() {
        let seed = 13;
        let (tagged, paths) = (
            policy(OnEdit::RevalidateTag, 0.0),
            policy(OnEdit::Invalidate, 0.0),
        );
        // Page 0 was edited; pages 1 and 2 changed through `depends_on`: page 1 under
        // `revalidate-tag` (no webhook of its own), page 2 under `invalidate` (its own).
        let policy_of = |page: PageId| if page.0 < 2 { &tagged } else { &paths };
        let (mut webhooks, changed) = (Webhooks::new(seed), [0, 1, 2].map(PageId));
        let got: Vec<Webhook> = webhooks.of_edit(&changed, policy_of).collect();
        let mut dice = rng::stream(seed, Stream::Webhooks);
        let expected: Vec<Webhook> = [0, 2]
            .map(|page| {
                let delay = tagged.webhook_delay.sample(&mut dice);
                Webhook {
                    page: PageId(page),
                    delay: Some(delay),
                    drawn: delay,
                }
            })
            .into();
        assert_eq!(got, expected);
        // A tagged page changed through another page's edit gets none.
        let (mut webhooks, changed) = (Webhooks::new(seed), [2, 1].map(PageId));
        let none: Vec<Webhook> = webhooks
            .of_edit(&changed, policy_of)
            .filter(|w| w.page == PageId(1))
            .collect();
        assert!(none.is_empty());
    }

    #[test]
    fn a_webhook_that_is_always_lost_never_arrives() {
        let always = policy(OnEdit::MarkStale, 1.0);
        let mut webhooks = Webhooks::new(3);
        let changed: Vec<PageId> = (0..100).map(PageId).collect();
        assert!(
            webhooks
                .of_edit(&changed, |_| &always)
                .all(|w| w.delay.is_none())
        );
    }

    #[test]
    fn purge_hops_without_loss_draw_only_their_delays_and_there_is_none_without_a_cdn() {
        let scenario = Scenario::parse(SITE, Path::new("t.toml")).unwrap();
        let mut purges = Purges::new(&scenario, 5).unwrap();
        let mut dice = rng::stream(5, Stream::Purges);
        let delay = Distribution::Exponential {
            mean: SimTime::from_millis(150),
        };
        for _ in 0..10 {
            assert_eq!(purges.hop(), Some(delay.sample(&mut dice)));
        }
        let bare = SITE.replace("[cdn]\npurge_delay = { exponential = \"150ms\" }\n", "");
        let scenario = Scenario::parse(&bare, Path::new("t.toml")).unwrap();
        assert!(Purges::new(&scenario, 5).is_none());
    }

    #[test]
    fn every_scheduled_page_gets_one_phase_within_its_first_period() {
        let scenario = Scenario::parse(SITE, Path::new("t.toml")).unwrap();
        let layout = PageLayout::new(&scenario);
        let (minute, hour) = (SimTime::from_secs(60), SimTime::from_secs(3600));
        // Posts (pages 0-2) every minute, about never, lists (pages 5-6) every hour.
        let schedules = [Some(minute), None, Some(hour)];
        let phases: Vec<(u32, SimTime)> = schedule_phases(&layout, schedules, 9)
            .map(|(page, phase)| (page.0, phase))
            .collect();
        let pages: Vec<u32> = phases.iter().map(|&(page, _)| page).collect();
        assert_eq!(pages, [0, 1, 2, 5, 6]);
        for &(page, phase) in &phases {
            assert!(phase < if page < 3 { minute } else { hour });
        }
        // Drawn in page order from the replication's `Schedule` stream.
        let mut dice = rng::stream(9, Stream::Schedule);
        let first = SimTime(dice.random_range(0..minute.as_micros()));
        assert_eq!(phases[0].1, first);
    }
}
