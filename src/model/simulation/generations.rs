//! Generations: a regeneration joins the backend queue, snapshots the content when a slot takes
//! it, and on success writes the instance's cache (or, failing, writes the old entry back with
//! Next.js's back-off), then answers everyone waiting on it: users, PoPs' fetches, and the origin
//! shield's fetches with the PoPs' fetches waiting on them. A request whose lookup read the
//! instance's disk first (§6.7) is answered `disk_read` later in latency, not in cache state.

use rand::RngExt;

use super::{Cause, Event, Generation, Served, Simulation, State, TracedGeneration};
use crate::ids::{InstanceId, PageId};
use crate::model::origin::Batch;
use crate::model::waiters::{WaitList, Waiter};
use crate::time::SimTime;
use crate::workload::rng;

impl Simulation<'_> {
    /// Starts a generation of `page` on `instance`: it joins the backend queue now.
    pub(super) fn trigger(
        &mut self,
        instance: InstanceId,
        page: PageId,
        batch: Batch,
        cause: Cause,
    ) -> u32 {
        let now = self.queue.now();
        let route = self.content.layout().route_of(page);
        let duplicate = self.page_in_flight[page.index()] > 0;
        self.page_in_flight[page.index()] += 1;
        self.collector.regeneration_triggered(now, route, duplicate);
        let epoch = self.origin.epoch(instance);
        let generation = Generation::queued(page, instance, batch, cause, now, epoch);
        let g = self.generations.insert(generation);
        self.origin.set_in_flight(batch, instance, page, g);
        if let Some(timeout) = self.timeout {
            self.generations[g].timeout = Some(
                self.queue
                    .schedule(now + timeout, Event::GenerationTimeout(g)),
            );
        }
        if self.backend.admit(g) {
            self.start(g);
        }
        self.report_backend();
        g
    }

    /// A backend slot takes the generation: it snapshots the content and runs.
    pub(super) fn start(&mut self, g: u32) {
        let now = self.queue.now();
        let job = &mut self.generations[g];
        job.state = State::Running;
        job.started = Some(now);
        job.snapshot = self.content.version(job.page);
        let route = self.content.layout().route_of(job.page);
        let count = &mut self.renders_started[job.page.index()];
        let mut dice = rng::regeneration(self.seed, u64::from(job.page.0), *count);
        *count += 1;
        let run = self.plans[route].regen_time.sample(&mut dice);
        job.fails = self.failure_rate > 0.0 && dice.random::<f64>() < self.failure_rate;
        job.run_ends = now + run;
        self.collector.backend_wait(now, now - job.triggered);
        self.queue.schedule(now + run, Event::GenerationDone(g));
    }

    pub(super) fn on_generation_done(&mut self, g: u32) {
        let state = self.generations[g].state;
        let generations = &self.generations;
        let mut skipped = std::mem::take(&mut self.skipped);
        let next = self
            .backend
            .release(|id| generations[id].state == State::Queued, &mut skipped);
        for id in skipped.drain(..) {
            self.generations.remove(id);
        }
        self.skipped = skipped;
        if state == State::Running && self.generations[g].cause == Cause::Build {
            self.rendered_for_build(g);
        } else if state == State::Running {
            if let Some(key) = self.generations[g].timeout {
                self.queue.cancel(key);
            }
            let fails = self.generations[g].fails;
            self.complete(g, !fails);
        }
        self.generations.remove(g);
        if let Some(n) = next {
            self.start(n);
        }
        self.report_backend();
    }

    pub(super) fn on_generation_timeout(&mut self, g: u32) {
        let job = &mut self.generations[g];
        job.timeout = None;
        match job.state {
            // Wait plus run equal to the timeout does not exceed it: the run finishes this instant.
            State::Running if job.run_ends <= self.queue.now() => {}
            State::Queued => {
                job.state = State::Abandoned;
                let waited = self.queue.now() - job.triggered;
                self.backend.abandon();
                self.collector.backend_wait(self.queue.now(), waited);
                self.complete(g, false);
            }
            State::Running => {
                job.state = State::TimedOut;
                self.complete(g, false);
            }
            State::TimedOut | State::Abandoned => {}
        }
        self.report_backend();
    }

    /// A generation succeeded or failed at `self.queue.now()`: write the cache (or back off), purge if
    /// the policy says so, and answer everyone waiting.
    pub(super) fn complete(&mut self, g: u32, ok: bool) {
        let now = self.queue.now();
        let job = self.generations[g];
        self.generations[g].waiters = WaitList::default();
        let (page, instance) = (job.page, job.instance);
        let route = self.content.layout().route_of(page);
        self.page_in_flight[page.index()] -= 1;
        self.origin.clear_in_flight(job.batch, instance, page, g);
        // An instance that stopped, or whose cache a deploy replaced, since the generation
        // started answers its waiting users but writes nowhere.
        let current = self.origin.epoch(instance) == job.epoch;
        if ok && !current {
            self.collector
                .regeneration_finished(job.triggered, route, true, false);
        } else if ok {
            let previous = self.origin.version(instance, page);
            let wasted = previous == Some(job.snapshot);
            self.collector
                .regeneration_finished(job.triggered, route, true, wasted);
            let plan = &self.plans[route];
            let fresh_until = plan.policy.revalidate.map_or(SimTime::NEVER, |r| now + r);
            let expires_at = now + plan.expire;
            self.origin.hold_write(instance, page, now);
            self.origin
                .store(instance, page, job.snapshot, fresh_until, expires_at);
            self.check_alert(page);
            self.last_success[page.index()] = now;
            self.stored(page, job.snapshot);
            self.follow(page, job.snapshot);
            if job.purge_after || (job.purge_on_change && !wasted) {
                self.purge_everywhere(page);
            }
        } else {
            self.collector
                .regeneration_finished(job.triggered, route, false, false);
        }
        if !ok && current {
            // Next.js writes the old entry back as new, fresh for the back-off and expiring
            // no sooner than 3 s after it.
            let plan = &self.plans[route];
            let retry = plan.retry_after;
            let expire = plan.expire.max(retry + SimTime::from_secs(3));
            self.origin
                .back_off(instance, page, now + retry, now + expire);
        }
        if let Some(trace) = self.trace.as_mut() {
            trace.generations.push(TracedGeneration {
                page,
                instance: Some(instance),
                cause: job.cause,
                triggered: job.triggered,
                started: job.started,
                finished: now,
                snapshot: job.started.map(|_| job.snapshot),
                ok,
            });
        }
        let version = ok.then_some(job.snapshot);
        let served = if ok { Served::Generated } else { Served::Error };
        let mut waiting = job.waiters;
        while let Some(waiter) = self.waiters.pop(&mut waiting) {
            match waiter {
                Waiter::User { arrival, pop, disk } => {
                    self.respond(arrival, page, pop, version, served, disk);
                }
                Waiter::Fetch(f) => self.close_pop_fetch(f, version, served),
                Waiter::ShieldFetch(f) => self.close_shield_fetch(f, version, served),
                // The CMS's webhook is answered: a failure (or timeout) is retried.
                Waiter::Webhook { attempt } if !ok => self.retry_webhook(page, attempt),
                Waiter::Webhook { .. } => {}
                Waiter::Message(m) => self.revalidation_answered(m, ok),
            }
        }
    }

    /// A PoP's fetch got `version` (`None`: an error) from the origin: the PoP stores it fresh
    /// from now, and the users waiting on the fetch get it.
    pub(super) fn close_pop_fetch(&mut self, f: u32, version: Option<u32>, served: Served) {
        let Some(cdn) = self.cdn.as_mut() else {
            return;
        };
        let (pop, page, mut users) = cdn.close_fetch(f);
        if let Some(v) = version {
            self.cdn_store(pop, page, v, served);
        }
        while let Some(Waiter::User { arrival, pop, disk }) = self.waiters.pop(&mut users) {
            self.respond(arrival, page, pop, version, served, disk);
        }
    }

    pub(super) fn report_backend(&mut self) {
        self.collector.backend_levels(
            self.queue.now(),
            self.backend.waiting(),
            self.backend.running(),
        );
    }
}
