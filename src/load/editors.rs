//! The editors of a load test, and what the policy does on each edit (docs/load.md "How editors
//! are played", docs/model.md §8): the scenario's edits are applied to the content server at
//! their times, then each changed page gets a webhook after its delay (or is lost), sent to one
//! instance or to every one with `broadcast`, and a CDN purge with `purge_cdn`; a `schedule` sends
//! webhooks on its period.
//!
//! What is sent, lost or delayed is drawn by `workload::policy`, the simulator's own draws, and
//! the pending webhooks and schedule ticks wait in the engine's `EventQueue`, which the simulator
//! schedules with: at one instant they go first in, first out, and before an edit of that
//! instant, as in the simulator (docs/model.md §2.2). The balancer's choice is the simulator's
//! `Picker`, from the `Balancer` stream. Purges draw from `Purges` as they are sent, which follows
//! the site's answers, so their order may differ from the simulator's.
//!
//! Differences the load tester cannot avoid, each said in docs/load.md ("Differences from the
//! simulator"):
//! - after `regenerate`, the purge follows the webhook's successful answer (Next.js's
//!   `res.revalidate` answers once the page is regenerated);
//! - a scheduled regeneration with `purge_cdn` purges after a successful answer when the page's
//!   last regeneration, as the content server saw it, changed the version its instance held;
//! - one purge request goes to the CDN, whatever its points of presence;
//! - under `revalidate-tag` with `purge_by = "path"`, every page that carries a revalidated tag
//!   is purged, since the load tester cannot see which of them the origin had cached.
//!
//! Under `on_edit = "revalidate-tag"` an edit sends one webhook (docs/load.md, "The protocol for
//! tags"): `{tags}` are the policy's `tags` filled from the edited page, `{profile}` its
//! `tag_expire`, as Next.js's `revalidateTag(tag, profile)` takes them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hyper::Method;

use super::client::send_once;
use super::cms::Cms;
use super::purge::PurgeShape;
use super::recorder::Recorder;
use super::site::{self, Endpoint, PageRef, Paths};
use super::stop::Stop;
use crate::engine::EventQueue;
use crate::scenario::tags::Tags;
use crate::scenario::{CacheMode, OnEdit, Policy, PurgeBy, PurgeKind, Scenario, TagExpire};
use crate::time::SimTime;
use crate::workload::balancer::Picker;
use crate::workload::policy::{Purges, Webhooks, schedule_phases};
use crate::workload::rng::{self, SimRng, Stream};
use crate::workload::{InstanceId, PageId};

/// Where and how the editors reach the site.
#[derive(Clone, Debug)]
pub struct Hooks {
    pub instances: Vec<Endpoint>,
    pub cdn: Endpoint,
    pub revalidate_url: String,
    /// The webhook of `on_edit = "revalidate-tag"` (`--revalidate-tag-url`).
    pub revalidate_tag_url: String,
    pub purge_url: String,
    /// A purge of one tag (`--tag-purge-url`), under `[cdn] purge_by = "tag"`.
    pub tag_purge_url: String,
    pub purge_method: Method,
    /// The purges' own headers and bodies (`--purge-header`, `--purge-body`, `--tag-purge-body`).
    pub purge_shape: PurgeShape,
    pub secret: Option<String>,
    pub timeout: Duration,
    pub allow_remote: bool,
}

/// What the editors sent, and what failed (no answer, or not 2xx).
#[derive(Debug, Default)]
pub struct Sent {
    pub edits: AtomicU64,
    pub webhooks: AtomicU64,
    pub webhooks_failed: AtomicU64,
    pub purges: AtomicU64,
    pub purges_failed: AtomicU64,
}

/// What waits in the editors' queue for its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    /// Attempt `attempt` (0 the first) of an edit's webhook for `page` is sent.
    Webhook { page: PageId, attempt: u32 },
    /// The CMS gives up on attempt `attempt`, which was lost (`webhook_retries`).
    WebhookLost { page: PageId, attempt: u32 },
    /// A schedule's tick for `page` on `instance` (one entry per cache, as the simulator).
    Schedule { page: PageId, instance: InstanceId },
}

/// The site-side context every action needs.
struct Context {
    cms: Arc<Cms>,
    paths: Paths,
    policy: Policy,
    hooks: Hooks,
    sent: Arc<Sent>,
    /// The purges' dice; `None` when the scenario has no CDN, and then no purge is sent.
    purges: Option<Mutex<Purges>>,
    /// The retries' dice (`webhook_retries`), drawn as retries are sent.
    retries: Mutex<Webhooks>,
    /// The run's length: no retry is sent at or after it.
    end: SimTime,
    /// Where each purge call is counted (`purge_requests`).
    recorder: Arc<Recorder>,
    /// The site's tag catalogue (empty when no route has `tags`).
    tags: Arc<Tags>,
    /// How the CDN purges under `revalidate-tag`.
    purge_by: PurgeBy,
}

/// The editors' state between two instants: what is due, and the dice of what comes next.
struct Editors {
    context: Arc<Context>,
    actions: EventQueue<Action>,
    webhooks: Webhooks,
    picker: Picker,
    balancer_rng: SimRng,
}

/// Plays `edits` (time, global page id) against the content server until `end`, with the
/// policy's webhooks, purges and schedule, from time zero `start`. Returns when done or stopped.
#[allow(clippy::too_many_arguments)]
pub async fn play(
    scenario: Scenario,
    policy: Policy,
    edits: Box<dyn Iterator<Item = (SimTime, PageId)> + Send>,
    cms: Arc<Cms>,
    hooks: Hooks,
    seed: u64,
    sent: Arc<Sent>,
    recorder: Arc<Recorder>,
    stop: Arc<Stop>,
) {
    let start = cms.started();
    let end = scenario.duration;
    let mut editors = Editors::new(&scenario, policy, cms, hooks, seed, (sent, recorder));
    let mut edits = edits.peekable();
    loop {
        // Actions before edits at the same instant, as the simulator orders them.
        let action_at = editors.actions.peek_time();
        let edit_at = edits.peek().map(|(at, _)| *at);
        let at = match (action_at, edit_at) {
            (Some(a), Some(e)) => a.min(e),
            (Some(a), None) => a,
            (None, Some(e)) => e,
            (None, None) => return,
        };
        if at >= end {
            return;
        }
        let due = start + Duration::from_micros(at.as_micros());
        tokio::select! {
            () = tokio::time::sleep_until(due.into()) => {}
            () = stop.stopped() => return,
        }
        if action_at == Some(at) {
            if let Some((_, action)) = editors.actions.pop() {
                editors.on_action(at, action);
            }
        } else if let Some((_, page)) = edits.next() {
            editors.on_edit(at, page);
        }
    }
}

impl Editors {
    fn new(
        scenario: &Scenario,
        policy: Policy,
        cms: Arc<Cms>,
        hooks: Hooks,
        seed: u64,
        (sent, recorder): (Arc<Sent>, Arc<Recorder>),
    ) -> Editors {
        let mut actions = EventQueue::new();
        // Each page of a route with a `schedule` ticks from its phase, one entry per instance
        // with local caches and one with a shared cache (docs/model.md §8.4).
        let caches = match scenario.origin.cache {
            CacheMode::Local => scenario.origin.instances,
            CacheMode::Shared => 1,
        };
        let schedules = policy.routes.iter().map(|p| p.schedule);
        for (page, phase) in schedule_phases(cms.layout(), schedules, seed) {
            for instance in (0..caches).map(InstanceId) {
                actions.schedule(phase, Action::Schedule { page, instance });
            }
        }
        let picker = Picker::new(scenario.origin.balancer, hooks.instances.len() as u32);
        Editors {
            context: Arc::new(Context {
                paths: Paths::new(scenario),
                policy,
                purges: Purges::new(scenario, seed).map(Mutex::new),
                retries: Mutex::new(Webhooks::new(seed)),
                end: scenario.duration,
                tags: Arc::clone(&scenario.tags),
                purge_by: scenario.cdn.as_ref().map_or(PurgeBy::Path, |c| c.purge_by),
                cms,
                hooks,
                sent,
                recorder,
            }),
            actions,
            webhooks: Webhooks::new(seed),
            picker,
            balancer_rng: rng::stream(seed, Stream::Balancer),
        }
    }

    /// A webhook or a schedule's tick is due at `at`.
    fn on_action(&mut self, at: SimTime, action: Action) {
        let context = &self.context;
        match action {
            Action::Webhook { page, attempt } => {
                let targets =
                    webhook_targets(context, page, &mut self.picker, &mut self.balancer_rng);
                arrive(context, page, targets, attempt);
            }
            Action::WebhookLost { page, attempt } => {
                let policy = &context.policy.routes[cms_route(context, page)];
                let retry = lock(&context.retries).retry(policy, attempt, at, context.end);
                if let Some(r) = retry {
                    let attempt = r.attempt;
                    let next = if r.lost {
                        Action::WebhookLost { page, attempt }
                    } else {
                        Action::Webhook { page, attempt }
                    };
                    self.actions.schedule(r.at, next);
                }
            }
            Action::Schedule { page, instance } => {
                let route = cms_route(context, page);
                if let Some(every) = context.policy.routes[route].schedule {
                    self.actions.schedule(at + every, action);
                }
                let ctx = Arc::clone(context);
                tokio::spawn(async move {
                    let purge = ctx.policy.routes[route].purge_cdn;
                    // The site answers once the page is stored, after the content server told
                    // the recorder whether that regeneration changed the page (docs/model.md §8.4).
                    if webhook(&ctx, page, instance.index(), "regenerate").await
                        && purge
                        && ctx.recorder.changed(page)
                    {
                        purge_later(&ctx, page).await;
                    }
                });
            }
        }
    }

    /// An edit of `page` is due at `at`: the content server applies it, and each page it changed
    /// gets its webhook, unless that is lost.
    fn on_edit(&mut self, at: SimTime, page: PageId) {
        let context = &self.context;
        let changed = context.cms.edit(page, context.cms.now());
        context.sent.edits.fetch_add(1, Ordering::Relaxed);
        let routes = &context.policy.routes;
        for webhook in self
            .webhooks
            .of_edit(&changed, |q| &routes[context.cms.route_of(q)])
        {
            let (page, attempt) = (webhook.page, 0);
            let due = match webhook.delay {
                Some(delay) => Some((at + delay, Action::Webhook { page, attempt })),
                None if routes[context.cms.route_of(page)].webhook_retries > 0 => {
                    Some((at + webhook.drawn, Action::WebhookLost { page, attempt }))
                }
                None => None,
            };
            if let Some((when, action)) = due {
                self.actions.schedule(when, action);
            }
        }
    }
}

fn cms_route(context: &Context, page: PageId) -> usize {
    context.cms.route_of(page)
}

/// The instances an edit's webhook for `page` goes to.
fn webhook_targets(
    context: &Context,
    page: PageId,
    picker: &mut Picker,
    rng: &mut SimRng,
) -> Vec<usize> {
    let p = &context.policy.routes[cms_route(context, page)];
    if p.broadcast {
        (0..context.hooks.instances.len()).collect()
    } else {
        vec![picker.pick(page, rng).index()]
    }
}

/// An edit's webhook arrives: sent to `targets`, with the purge the policy asks for.
fn arrive(context: &Arc<Context>, page: PageId, targets: Vec<usize>, attempt: u32) {
    let p = &context.policy.routes[cms_route(context, page)];
    let (on_edit, purge_cdn) = (p.on_edit, p.purge_cdn);
    let mode = match on_edit {
        OnEdit::Regenerate | OnEdit::None => "regenerate",
        OnEdit::Invalidate => "invalidate",
        OnEdit::MarkStale => "mark-stale",
        OnEdit::RevalidateTag => "revalidate-tag",
    };
    if on_edit == OnEdit::RevalidateTag && purge_cdn {
        purge_tags(context, page);
    }
    for instance in targets {
        let ctx = Arc::clone(context);
        tokio::spawn(async move {
            let ok = deliver(&ctx, page, instance, mode, attempt).await;
            if ok && purge_cdn && on_edit == OnEdit::Regenerate {
                purge_later(&ctx, page).await;
            }
        });
    }
    if purge_cdn && matches!(on_edit, OnEdit::Invalidate | OnEdit::MarkStale) {
        let ctx = Arc::clone(context);
        tokio::spawn(async move { purge_later(&ctx, page).await });
    }
}

/// Sends attempt `attempt` of a webhook, and, while it fails (no 2xx answer within the timeout)
/// and the policy retries, its retries to the same instance after their back-off, until the run
/// ends (docs/model.md §8.6); whether one was answered 2xx.
async fn deliver(
    context: &Context,
    page: PageId,
    instance: usize,
    mode: &str,
    mut attempt: u32,
) -> bool {
    let mut send = true;
    loop {
        if send && webhook(context, page, instance, mode).await {
            return true;
        }
        let policy = &context.policy.routes[cms_route(context, page)];
        let now = context.cms.now();
        let retry = lock(&context.retries).retry(policy, attempt, now, context.end);
        let Some(retry) = retry else {
            return false;
        };
        let wait = retry.at.saturating_sub(now);
        tokio::time::sleep(Duration::from_micros(wait.as_micros())).await;
        (attempt, send) = (retry.attempt, !retry.lost);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sends one webhook; whether it was answered 2xx.
async fn webhook(context: &Context, page: PageId, instance: usize, mode: &str) -> bool {
    let route = cms_route(context, page);
    let index = page.0 - context.cms.first_page(route).0;
    let path = context.paths.path(route, index);
    let Some(server) = context
        .hooks
        .instances
        .get(instance % context.hooks.instances.len().max(1))
    else {
        return false;
    };
    let page_ref = PageRef {
        route: context.paths.route_name(route),
        index,
        path: &path,
    };
    let url = if mode == "revalidate-tag" {
        let policy = &context.policy.routes[route];
        let tags = context.tags.revalidated(&policy.tags, index);
        let names: Vec<&str> = tags.iter().map(|(name, _)| name.as_str()).collect();
        let url = &context.hooks.revalidate_tag_url;
        site::fill_tags(url, server, &names, &profile(policy.tag_expire))
    } else {
        site::fill(&context.hooks.revalidate_url, server, &page_ref, mode)
    };
    let mut headers = vec![("x-isrsim-mode", mode)];
    if let Some(secret) = &context.hooks.secret {
        headers.push(("x-isrsim-secret", secret.as_str()));
    }
    context.sent.webhooks.fetch_add(1, Ordering::Relaxed);
    let ok = send(context, Method::POST, &url, (&headers, String::new())).await;
    if !ok {
        context.sent.webhooks_failed.fetch_add(1, Ordering::Relaxed);
    }
    ok
}

/// `tag_expire` as the webhook's `{profile}`: `max`, or the whole seconds of `expire` (checked
/// whole before the run).
pub fn profile(expire: TagExpire) -> String {
    match expire {
        TagExpire::Max => "max".to_string(),
        TagExpire::After(after) => after.whole_secs().to_string(),
    }
}

/// The CDN purges of a `revalidate-tag` webhook, decided when it is due (docs/load.md, "The
/// protocol for tags"): with `purge_by = "path"`, one per page that carries a revalidated tag, in
/// page order; with `"tag"`, one per revalidated tag (one no page carries too), in the policy's
/// order. Their hops are drawn now, in that order; each is sent after its delay.
fn purge_tags(context: &Arc<Context>, edited: PageId) {
    if context.purges.is_none() {
        return;
    }
    let route = cms_route(context, edited);
    let index = edited.0 - context.cms.first_page(route).0;
    let mut ids = Vec::new();
    let policy = &context.policy.routes[route];
    context.tags.revalidated_ids(&policy.tags, index, &mut ids);
    match context.purge_by {
        PurgeBy::Path => {
            let mut pages: Vec<PageId> = (ids.iter())
                .flat_map(|&tag| context.tags.pages_with(tag).iter().copied())
                .collect();
            pages.sort_unstable();
            pages.dedup();
            for page in pages {
                if let Some(delay) = purge_hop(context) {
                    let ctx = Arc::clone(context);
                    tokio::spawn(async move {
                        sleep(delay).await;
                        purge_now(&ctx, page, route).await;
                    });
                }
            }
        }
        PurgeBy::Tag => {
            // Every tag the webhook revalidates, as the site knows them: one no page carries too.
            for (name, _) in context.tags.revalidated(&policy.tags, index) {
                if let Some(delay) = purge_hop(context) {
                    let ctx = Arc::clone(context);
                    tokio::spawn(async move {
                        sleep(delay).await;
                        purge_tag_now(&ctx, &name, route).await;
                    });
                }
            }
        }
    }
}

/// One purge call is decided now: counted in `purge_requests` (after the warm-up, as the
/// simulator counts a call whatever its hops do), then its hop drawn (its delay, or `None` if it
/// is lost). `None` without a CDN, and nothing counted.
fn purge_hop(context: &Context) -> Option<SimTime> {
    let purges = context.purges.as_ref()?;
    context.recorder.purge_request(context.cms.now());
    lock(purges).hop()
}

async fn sleep(delay: SimTime) {
    tokio::time::sleep(Duration::from_micros(delay.as_micros())).await;
}

/// The policy's `purge` kind of `route`, for a CDN configuration that tells hard from soft.
fn purge_kind(context: &Context, route: usize) -> &'static str {
    match context.policy.routes[route].purge {
        PurgeKind::Hard => "hard",
        PurgeKind::Soft => "soft",
    }
}

/// Sends the purge of `tag` (`--tag-purge-url`, `x-isrsim-tag`), with the `purge` kind of the
/// edited page's `route`.
async fn purge_tag_now(context: &Context, name: &str, route: usize) {
    let url = site::fill_tag_purge(&context.hooks.tag_purge_url, &context.hooks.cdn, name);
    context.sent.purges.fetch_add(1, Ordering::Relaxed);
    let method = context.hooks.purge_method.clone();
    let shape = &context.hooks.purge_shape;
    let body = shape.tag_body(&context.hooks.cdn, name);
    let own = [
        ("x-isrsim-tag", name),
        ("x-isrsim-purge", purge_kind(context, route)),
    ];
    let headers = shape.headers(&own, !body.is_empty());
    if !send(context, method, &url, (&headers, body)).await {
        context.sent.purges_failed.fetch_add(1, Ordering::Relaxed);
    }
}

/// Purges `page` from the CDN after the scenario's purge delay, unless the purge is lost; no
/// purge without a CDN in the scenario.
async fn purge_later(context: &Context, page: PageId) {
    let Some(delay) = purge_hop(context) else {
        return;
    };
    sleep(delay).await;
    purge_now(context, page, cms_route(context, page)).await;
}

/// Sends the purge of `page` (`--purge-url`), with the `purge` kind of the policy of `route`
/// (the page's own, or under `revalidate-tag` the edited page's).
async fn purge_now(context: &Context, page: PageId, kind_of: usize) {
    let route = cms_route(context, page);
    let index = page.0 - context.cms.first_page(route).0;
    let path = context.paths.path(route, index);
    let page_ref = PageRef {
        route: context.paths.route_name(route),
        index,
        path: &path,
    };
    let url = site::fill(
        &context.hooks.purge_url,
        &context.hooks.cdn,
        &page_ref,
        "purge",
    );
    context.sent.purges.fetch_add(1, Ordering::Relaxed);
    let method = context.hooks.purge_method.clone();
    let shape = &context.hooks.purge_shape;
    let body = shape.page_body(&context.hooks.cdn, &page_ref);
    let own = [("x-isrsim-purge", purge_kind(context, kind_of))];
    let headers = shape.headers(&own, !body.is_empty());
    if !send(context, method, &url, (&headers, body)).await {
        context.sent.purges_failed.fetch_add(1, Ordering::Relaxed);
    }
}

/// Sends a request with its headers and body to a filled-in URL, checked against the loopback
/// rule again (a template may point anywhere); whether it was answered 2xx.
async fn send(
    context: &Context,
    method: Method,
    url: &str,
    request: (&[(&str, &str)], String),
) -> bool {
    let Ok((endpoint, path)) = site::absolute(url, context.hooks.allow_remote) else {
        return false;
    };
    let path = if path.is_empty() {
        "/".to_string()
    } else {
        path
    };
    matches!(
        send_once(method, &endpoint, &path, request, context.hooks.timeout).await,
        Ok(status) if status.is_success()
    )
}
