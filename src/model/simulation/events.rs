//! Site events (`[[events]]`, docs/model.md §6.8): deploys, scaling, restarts and whole-CDN
//! purges, at the same instants for every policy.
//!
//! - **Deploy.** `next build` renders every prerendered page, reading its content from the
//!   backend: here each render is a job in the backend queue beside the regenerations, taking its
//!   route's `regen_time`, at most `build_concurrency` at once (Next.js renders pages in parallel
//!   workers, up to `experimental.staticGenerationMaxConcurrency` each, 8 by default: Next.js
//!   docs, "next.config.js: staticGeneration*"). When the last page is
//!   rendered, the instances restart on the new build (`next start` on the new `.next` output):
//!   all at once, or one every `rolling` (a Kubernetes rolling update). A restarted instance's
//!   cache is the build's pages, aged from when the build wrote them (the file system cache takes
//!   `lastModified` from the file's `mtime`:
//!   `packages/next/src/server/lib/incremental-cache/file-system-cache.ts`). With `purge_cdn`
//!   the whole CDN is purged once every instance has switched, which is what a platform's deploy
//!   amounts to (Vercel's CDN cache key includes the unique deployment URL, so a promoted
//!   deployment starts with an empty cache: Vercel docs, "Purging Vercel CDN Cache", Cache keys);
//!   without it the PoPs keep their copies, as a self-hosted CDN does. A deploy that comes while
//!   another is under way is skipped.
//! - **Scale.** New instances start from the last build, which may be older than anything the
//!   running instances hold ("cache is always stale on startup"); on-demand revalidations sent
//!   before they started never reached them. Stopped instances drop their caches.
//! - **Restart.** Instances restart from the last build (a container's writable layer is lost).
//! - **Purge all.** Every page at every PoP (Fastly `purge_all`, Cloudflare "purge everything"),
//!   each PoP after its own purge delay, or lost.
//!
//! An instance stops gracefully: the generations it was running finish and answer the users
//! waiting on them, but write to no cache. A shared cache (`cache = "shared"`) outlives the
//! processes: scaling and restarts leave it alone, and a deploy replaces it once.

use super::{BUILD, Cause, Event, Generation, Simulation, TracedGeneration};
use crate::ids::{InstanceId, PageId};
use crate::model::build::Build;
use crate::model::cdn::Purged;
use crate::model::origin::Batch;
use crate::scenario::{Action, PurgeKind};
use crate::time::SimTime;

/// A deploy under way: its build, then its switch.
pub(super) struct Deploy {
    build_concurrency: u32,
    rolling: Option<SimTime>,
    purge_cdn: bool,
    /// The next page to hand to the build.
    next_page: u32,
    /// Renders queued or running.
    rendering: u32,
    build: Build,
    /// Instances still to switch, once the build is done.
    switching: u32,
}

impl Simulation<'_> {
    /// Puts each event's first occurrence on the queue.
    pub(super) fn schedule_site_events(&mut self) {
        for (i, e) in self.site_events.iter().enumerate() {
            if e.at < self.duration {
                self.queue.schedule(e.at, Event::Site(i as u16));
            }
        }
    }

    pub(super) fn on_site_event(&mut self, i: usize) {
        let now = self.queue.now();
        let (action, every) = (self.site_events[i].action, self.site_events[i].every);
        if let Some(every) = every
            && now + every < self.duration
        {
            self.queue.schedule(now + every, Event::Site(i as u16));
        }
        if let Some(trace) = self.trace.as_mut() {
            trace.site_events.push((now, i));
        }
        match action {
            Action::Deploy {
                build_concurrency,
                rolling,
                purge_cdn,
            } => {
                if self.deploy.is_none() {
                    self.deploy = Some(Deploy {
                        build_concurrency,
                        rolling,
                        purge_cdn,
                        next_page: 0,
                        rendering: 0,
                        build: Build::new(self.origin_newest.len(), SimTime::ZERO),
                        switching: 0,
                    });
                    self.feed_build();
                }
            }
            Action::Scale { instances } => self.scale(instances),
            Action::Restart { instances } => {
                let running = self.origin.instances();
                for instance in (0..instances.map_or(running, |n| n.min(running))).map(InstanceId) {
                    self.restart(instance);
                }
            }
            Action::PurgeAll { purge } => self.send_purge(Purged::All, purge),
            // Its edits come in the editors' stream (`workload::bulk`), as every edit does.
            Action::BulkEdit { .. } => {}
        }
    }

    /// Hands the build its next pages, up to its concurrency; when every page is rendered, the
    /// instances switch.
    fn feed_build(&mut self) {
        let pages = self.origin_newest.len() as u32;
        loop {
            let Some(d) = self.deploy.as_mut() else {
                return;
            };
            if d.rendering >= d.build_concurrency || d.next_page >= pages {
                break;
            }
            let page = PageId(d.next_page);
            d.next_page += 1;
            if self.plans[self.content.layout().route_of(page)].prerendered {
                d.rendering += 1;
                self.render_for_build(page);
            }
        }
        let Some(d) = self.deploy.as_mut() else {
            return;
        };
        if d.rendering == 0 && d.next_page >= pages && d.switching == 0 {
            let build = std::mem::replace(&mut d.build, Build::new(0, SimTime::ZERO));
            self.last_build = build;
            let running = self.origin.instances();
            match (d.rolling, self.origin.shared()) {
                (Some(every), false) => {
                    d.switching = running;
                    let now = self.queue.now();
                    for k in 0..running {
                        self.queue.schedule(
                            now + SimTime(every.as_micros() * u64::from(k)),
                            Event::Switch(InstanceId(k)),
                        );
                    }
                }
                _ => {
                    d.switching = 1;
                    for instance in (0..running).map(InstanceId) {
                        self.restart_on_build(instance);
                    }
                    self.switched();
                }
            }
        }
    }

    /// One of the build's renders joins the backend queue.
    fn render_for_build(&mut self, page: PageId) {
        let now = self.queue.now();
        let g = (self.generations).insert(Generation::queued(
            page,
            BUILD,
            Batch::OnDemand,
            Cause::Build,
            now,
            0,
        ));
        if self.backend.admit(g) {
            self.start(g);
        }
        self.report_backend();
    }

    /// A build render finished: its page, at the content it read, goes into the build.
    pub(super) fn rendered_for_build(&mut self, g: u32) {
        let now = self.queue.now();
        let job = self.generations[g];
        self.collector.build_render(now);
        if let Some(trace) = self.trace.as_mut() {
            trace.generations.push(TracedGeneration {
                page: job.page,
                instance: None,
                cause: Cause::Build,
                triggered: job.triggered,
                started: job.started,
                finished: now,
                snapshot: Some(job.snapshot),
                ok: true,
            });
        }
        if let Some(d) = self.deploy.as_mut() {
            d.build.record(job.page, job.snapshot, now);
            d.rendering -= 1;
        }
        self.feed_build();
    }

    /// A rolling deploy reaches `instance` (if it still runs).
    pub(super) fn switch(&mut self, instance: InstanceId) {
        if self.origin.running(instance) {
            self.restart_on_build(instance);
        }
        self.switched();
    }

    /// One more instance has switched; after the last, the deploy purges the CDN if it says so
    /// and is over.
    fn switched(&mut self) {
        let Some(d) = self.deploy.as_mut() else {
            return;
        };
        d.switching -= 1;
        if d.switching == 0 {
            let purge = d.purge_cdn;
            self.deploy = None;
            if purge {
                self.send_purge(Purged::All, PurgeKind::Hard);
            }
        }
    }

    /// A deploy's switch: the instance's cache becomes the new build (once, for a shared cache).
    fn restart_on_build(&mut self, instance: InstanceId) {
        if !self.origin.shared() || instance == InstanceId(0) {
            self.load_build(instance);
        }
    }

    /// The number of running instances becomes `instances`: new ones start from the last build,
    /// stopped ones drop their caches.
    fn scale(&mut self, instances: u32) {
        let before = self.origin.instances();
        self.origin.set_instances(instances);
        let after = self.origin.instances();
        if self.origin.shared() {
            return;
        }
        for instance in (after..before).map(InstanceId) {
            self.origin.clear(instance);
        }
        for instance in (before..after).map(InstanceId) {
            self.load_build(instance);
        }
    }

    /// A restart: the instance starts again from the last build (a shared cache outlives it).
    fn restart(&mut self, instance: InstanceId) {
        if !self.origin.shared() {
            self.load_build(instance);
        }
    }

    /// Empties the cache `instance` reads and writes the last build's pages into it, aged from
    /// when the build wrote them.
    fn load_build(&mut self, instance: InstanceId) {
        self.origin.clear(instance);
        for page in 0..self.origin_newest.len() {
            self.install(instance, PageId::at(page));
        }
        if let Some(trace) = self.trace.as_mut() {
            trace.starts.push((self.queue.now(), instance));
        }
    }
}
