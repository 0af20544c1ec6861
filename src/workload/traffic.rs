//! Users: when requests arrive, which page each asks for, and through which CDN PoP
//! (docs/model.md §4).
//!
//! Arrival times come from the scenario's traffic pattern (`crate::traffic`, a file per
//! pattern), or from a trace's recording. Page choice: a route by `share`, then rank k within it
//! with weight 1/k^`popularity` (Zipf), folded into one Walker alias table over all pages so a
//! choice costs O(1) whatever the site's size.

use rand::RngExt;

use std::collections::VecDeque;
use std::fmt;

use super::alias::{AliasTable, Draw};
use super::rng::{self, SimRng, Stream};
use crate::ids::{PageId, PopId};
use crate::logs::replay::Playback;
use crate::scenario::Scenario;
use crate::time::SimTime;
use crate::traffic::Arrivals;

/// One user request, as it leaves the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    pub at: SimTime,
    /// Global page id (routes are laid out one after another).
    pub page: PageId,
    /// The CDN PoP the user reaches (0 when there is no CDN).
    pub pop: PopId,
}

/// Chooses pages: route by share, then Zipf rank within the route.
pub struct PageSampler {
    alias: AliasTable,
}

impl PageSampler {
    pub fn new(scenario: &Scenario) -> PageSampler {
        let total_share: f64 = scenario.routes.iter().map(|r| r.share).sum();
        let mut weights = Vec::with_capacity(scenario.total_pages() as usize);
        for route in &scenario.routes {
            let zipf: Vec<f64> = (1..=route.pages)
                .map(|k| (k as f64).powf(-route.popularity))
                .collect();
            let norm: f64 = zipf.iter().sum();
            weights.extend(
                zipf.into_iter()
                    .map(|w| w / norm * route.share / total_share),
            );
        }
        // A scenario with only zero-share routes is rejected when parsed, so this cannot fail.
        let alias = AliasTable::new(&weights).expect("page weights are positive and finite");
        PageSampler { alias }
    }

    pub fn sample(&self, rng: &mut SimRng) -> PageId {
        PageId(self.alias.sample(rng))
    }
}

/// The stream of user requests of one replication; every policy of the replication gets the
/// same one.
pub struct Requests {
    source: Source,
    pops: u16,
    duration: SimTime,
    rng: SimRng,
}

enum Source {
    Drawn(Drawn),
    Replayed(Replayed),
}

/// Requests of a generated pattern.
struct Drawn {
    arrivals: Box<dyn Arrivals>,
    pages: PageSampler,
    /// Requests drawn but whose page is not looked up yet: the alias table's column is
    /// prefetched when drawn and read `PIPELINE` requests later, when it is in cache.
    drawn: VecDeque<(SimTime, Draw, u16)>,
    ended: bool,
}

/// A trace's requests, as recorded (`logs::replay`), with each route's first page id.
struct Replayed {
    playback: Playback,
    offsets: Vec<u32>,
}

const PIPELINE: usize = 8;

/// The CDN PoP a request reaches, uniformly (a log does not record it either).
/// Drawn as a `u16` (a scenario has at most 65,535 PoPs), whose draw the seeded streams are
/// pinned to; the request carries it as a `PopId`.
fn pop(rng: &mut SimRng, pops: u16) -> u16 {
    if pops > 1 {
        rng.random_range(0..pops)
    } else {
        0
    }
}

impl Requests {
    pub fn new(scenario: &Scenario, replication_seed: u64) -> Requests {
        let mut rng = rng::stream(replication_seed, Stream::Traffic);
        let source = match scenario.traffic.replay() {
            Some(replay) => Source::Replayed(Replayed {
                playback: replay.recording.play(),
                offsets: scenario
                    .routes
                    .iter()
                    .scan(0u32, |next, r| {
                        let first = *next;
                        *next += r.pages;
                        Some(first)
                    })
                    .collect(),
            }),
            None => Source::Drawn(Drawn {
                arrivals: scenario.traffic.arrivals(&mut rng, scenario.duration),
                pages: PageSampler::new(scenario),
                drawn: VecDeque::with_capacity(PIPELINE),
                ended: false,
            }),
        };
        let pops = scenario
            .cdn
            .as_ref()
            .map_or(1, |c| c.pops.min(u32::from(u16::MAX)) as u16);
        Requests {
            source,
            pops,
            duration: scenario.duration,
            rng,
        }
    }

    /// Why the requests ended early, if they did: a trace's recording that could not be read
    /// back. A run that ends so is short, so it fails rather than reports.
    pub fn failure(&mut self) -> Option<ReplayError> {
        match &mut self.source {
            Source::Replayed(r) => r.playback.failed.take().map(ReplayError),
            Source::Drawn(_) => None,
        }
    }
}

/// A trace's requests could not be read back from the temporary file they were recorded in.
#[derive(Debug)]
pub struct ReplayError(pub std::io::Error);

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot read the trace's requests back from its temporary file: {}",
            self.0
        )
    }
}

impl std::error::Error for ReplayError {}

impl Drawn {
    /// Draws one more request's time, page column and PoP, in that order.
    fn draw(
        &mut self,
        rng: &mut SimRng,
        duration: SimTime,
        pops: u16,
    ) -> Option<(SimTime, Draw, u16)> {
        let at = SimTime::from_secs_f64(self.arrivals.next(rng));
        if at >= duration {
            return None;
        }
        let draw = self.pages.alias.draw(rng);
        self.pages.alias.prefetch(draw);
        Some((at, draw, pop(rng, pops)))
    }

    fn next(&mut self, rng: &mut SimRng, duration: SimTime, pops: u16) -> Option<Request> {
        while !self.ended && self.drawn.len() < PIPELINE {
            match self.draw(rng, duration, pops) {
                Some(d) => self.drawn.push_back(d),
                None => self.ended = true,
            }
        }
        let (at, draw, pop) = self.drawn.pop_front()?;
        Some(Request {
            at,
            page: PageId(self.pages.alias.resolve(draw)),
            pop: PopId(u32::from(pop)),
        })
    }
}

impl Replayed {
    fn next(&mut self, rng: &mut SimRng, duration: SimTime, pops: u16) -> Option<Request> {
        // A recording that fails to read back ends here too; `Requests::failure` tells.
        let (at, route, page) = self.playback.next_request()?;
        if at >= duration {
            return None;
        }
        Some(Request {
            at,
            page: PageId(self.offsets[route as usize] + page),
            pop: PopId(u32::from(pop(rng, pops))),
        })
    }
}

impl Iterator for Requests {
    type Item = Request;

    fn next(&mut self) -> Option<Request> {
        match &mut self.source {
            Source::Drawn(d) => d.next(&mut self.rng, self.duration, self.pops),
            Source::Replayed(r) => r.next(&mut self.rng, self.duration, self.pops),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::logs::replay::Recording;
    use rand::SeedableRng;

    /// A trace's requests whose recording cannot be read back, as from a failing disk: it was
    /// opened for writing only.
    pub(crate) fn unreadable() -> Requests {
        let file = tempfile::tempfile().unwrap();
        let path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&file));
        let write_only = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        Requests {
            source: Source::Replayed(Replayed {
                playback: Recording::of(write_only, 5).play(),
                offsets: vec![0],
            }),
            pops: 1,
            duration: SimTime::from_secs(60),
            rng: SimRng::seed_from_u64(1),
        }
    }

    #[test]
    fn a_recording_that_cannot_be_read_back_is_a_failure_not_an_end() {
        let mut requests = unreadable();
        assert_eq!(requests.next(), None);
        let failure = requests.failure().expect("the failed read is told");
        assert!(failure.to_string().contains("temporary file"), "{failure}");
    }
}
