//! Users: when requests arrive, which page each asks for, and through which CDN PoP
//! (docs/model.md §4).
//!
//! - `steady` and `idle` are homogeneous Poisson processes.
//! - `spike` is piecewise-constant Poisson; the exponential gap is memoryless, so at a rate change
//!   the clock moves to the boundary and a fresh gap is drawn at the new rate (exact, not
//!   approximate).
//! - `bursty` is a two-state Markov-modulated Poisson process (MMPP), the standard model of
//!   bursty web traffic, with exponential sojourns in each state.
//! - `diurnal` is a non-homogeneous Poisson process with a sinusoidal rate, sampled exactly by
//!   Lewis–Shedler thinning.
//!
//! Page choice: a route by `share`, then rank k within it with weight 1/k^`popularity` (Zipf),
//! folded into one Walker alias table over all pages so a choice costs O(1) whatever the site's
//! size.

use rand::RngExt;
use rand_distr::{Distribution, Exp1};

use std::collections::VecDeque;

use super::alias::{AliasTable, Draw};
use super::rng::{self, SimRng, Stream};
use crate::logs::replay::Playback;
use crate::scenario::{Scenario, Traffic};
use crate::time::SimTime;

/// One user request, as it leaves the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    pub at: SimTime,
    /// Global page id (routes are laid out one after another).
    pub page: u32,
    /// The CDN PoP the user reaches (0 when there is no CDN).
    pub pop: u16,
}

/// The arrival process of one traffic pattern, in seconds.
pub struct Arrivals {
    pattern: Traffic,
    /// Seconds since t=0 of the last arrival.
    clock: f64,
    /// Bursty: whether in a burst, and when the state next flips.
    in_burst: bool,
    switch_at: f64,
    /// Seconds past which no arrival matters (the run's end): the search for the next arrival
    /// stops there. Far enough past it, a short burst is lost to the clock's rounding, and a
    /// quiet state with no base rate would otherwise be searched forever.
    horizon: f64,
}

impl Arrivals {
    pub fn new(pattern: &Traffic, rng: &mut SimRng) -> Arrivals {
        let mut arrivals = Arrivals {
            pattern: pattern.clone(),
            clock: 0.0,
            in_burst: false,
            switch_at: f64::INFINITY,
            horizon: f64::INFINITY,
        };
        if let Traffic::Bursty { .. } = pattern {
            arrivals.switch_at = arrivals.sojourn(rng);
        }
        arrivals
    }

    /// Stops looking for arrivals past `end`: `next` may then return any time after it.
    pub fn until(mut self, end: SimTime) -> Arrivals {
        self.horizon = end.as_secs_f64();
        self
    }

    /// The time of the next arrival, in seconds.
    pub fn next(&mut self, rng: &mut SimRng) -> f64 {
        match self.pattern {
            Traffic::Steady { rate } | Traffic::Idle { rate } => {
                self.clock += exp_gap(rate, rng);
            }
            Traffic::Bursty {
                base_rate,
                burst_rate,
                ..
            } => loop {
                let rate = if self.in_burst { burst_rate } else { base_rate };
                let t = self.clock + exp_gap(rate, rng);
                if t < self.switch_at {
                    self.clock = t;
                    break;
                }
                self.clock = self.switch_at;
                self.in_burst = !self.in_burst;
                self.switch_at = self.clock + self.sojourn(rng);
                if self.clock >= self.horizon {
                    break;
                }
            },
            Traffic::Spike {
                rate,
                spike_factor,
                spike_at,
                spike_length,
            } => loop {
                let (start, end) = (
                    spike_at.as_secs_f64(),
                    (spike_at + spike_length).as_secs_f64(),
                );
                let (current, boundary) = if self.clock < start {
                    (rate, start)
                } else if self.clock < end {
                    (rate * spike_factor, end)
                } else {
                    (rate, f64::INFINITY)
                };
                let t = self.clock + exp_gap(current, rng);
                if t < boundary {
                    self.clock = t;
                    break;
                }
                self.clock = boundary;
            },
            Traffic::Diurnal {
                min_rate,
                max_rate,
                period,
                peak_at,
            } => {
                let (mid, amp) = ((min_rate + max_rate) / 2.0, (max_rate - min_rate) / 2.0);
                let w = std::f64::consts::TAU / period.as_secs_f64();
                let peak = peak_at.as_secs_f64();
                loop {
                    self.clock += exp_gap(max_rate, rng);
                    if !self.clock.is_finite() {
                        break;
                    }
                    let rate = mid + amp * (w * (self.clock - peak)).cos();
                    let u: f64 = rng.random();
                    if u * max_rate < rate {
                        break;
                    }
                }
            }
            // A trace's requests are replayed, not drawn (`Requests`): it has no next arrival.
            Traffic::Trace(_) => self.clock = f64::INFINITY,
        }
        self.clock
    }

    /// A bursty sojourn: a burst lasts `burst_length` on average, a quiet spell
    /// `burst_every - burst_length`.
    fn sojourn(&self, rng: &mut SimRng) -> f64 {
        let Traffic::Bursty {
            burst_length,
            burst_every,
            ..
        } = self.pattern
        else {
            return f64::INFINITY;
        };
        let mean = if self.in_burst {
            burst_length.as_secs_f64()
        } else {
            (burst_every - burst_length).as_secs_f64()
        };
        let e: f64 = Exp1.sample(rng);
        e * mean
    }
}

fn exp_gap(rate: f64, rng: &mut SimRng) -> f64 {
    if rate <= 0.0 {
        return f64::INFINITY;
    }
    let e: f64 = Exp1.sample(rng);
    e / rate
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

    pub fn sample(&self, rng: &mut SimRng) -> u32 {
        self.alias.sample(rng)
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
    arrivals: Arrivals,
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
        let source = match &scenario.traffic {
            Traffic::Trace(replay) => Source::Replayed(Replayed {
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
            traffic => Source::Drawn(Drawn {
                arrivals: Arrivals::new(traffic, &mut rng).until(scenario.duration),
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
}

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
            page: self.pages.alias.resolve(draw),
            pop,
        })
    }
}

impl Replayed {
    fn next(&mut self, rng: &mut SimRng, duration: SimTime, pops: u16) -> Option<Request> {
        let Some((at, route, page)) = self.playback.next_request() else {
            if let Some(e) = &self.playback.failed {
                // The trace was read once into a temporary file; a disk that fails it now would
                // leave the run quietly short, so the process stops instead.
                eprintln!(
                    "isrsim: cannot read the trace's requests back from its temporary file: {e}"
                );
                std::process::exit(crate::error::exit_code::FAILURE);
            }
            return None;
        };
        if at >= duration {
            return None;
        }
        Some(Request {
            at,
            page: self.offsets[route as usize] + page,
            pop: pop(rng, pops),
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
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn count(pattern: Traffic, until_s: f64, seed: u64) -> usize {
        let mut rng = SimRng::seed_from_u64(seed);
        let mut a = Arrivals::new(&pattern, &mut rng);
        std::iter::from_fn(|| Some(a.next(&mut rng)))
            .take_while(|&t| t < until_s)
            .count()
    }

    #[test]
    fn bursts_too_short_for_the_clock_end_at_the_horizon() {
        // A microsecond burst every 584,542 years, with no base rate: past about 1e10 s a
        // burst is shorter than the clock's rounding, so no arrival would ever be found.
        let p = Traffic::Bursty {
            base_rate: 0.0,
            burst_rate: 5.0,
            burst_length: SimTime::from_micros(1),
            burst_every: SimTime(u64::MAX / 32),
        };
        let mut rng = SimRng::seed_from_u64(1);
        let end = SimTime::from_secs(60);
        let mut a = Arrivals::new(&p, &mut rng).until(end);
        assert!(a.next(&mut rng) >= end.as_secs_f64());
    }

    #[test]
    fn steady_count_matches_rate() {
        let n = count(Traffic::Steady { rate: 50.0 }, 1_000.0, 1);
        // Poisson(50,000): sd 224, so ±1,500 is about 7 sd.
        assert!((n as f64 - 50_000.0).abs() < 1_500.0, "{n}");
    }

    #[test]
    fn spike_adds_exactly_its_extra_mass() {
        let p = Traffic::Spike {
            rate: 10.0,
            spike_factor: 11.0,
            spike_at: SimTime::from_secs(100),
            spike_length: SimTime::from_secs(100),
        };
        // 10/s for 300 s plus 100/s extra for 100 s = 13,000 expected.
        let n = count(p.clone(), 300.0, 2);
        assert!((n as f64 - 13_000.0).abs() < 700.0, "{n}");
        let mean = p.mean_rate(SimTime::from_secs(300));
        assert!((mean * 300.0 - 13_000.0).abs() < 1e-6);
    }

    #[test]
    fn bursty_long_run_rate_is_the_mixture() {
        let p = Traffic::Bursty {
            base_rate: 2.0,
            burst_rate: 50.0,
            burst_length: SimTime::from_secs(60),
            burst_every: SimTime::from_secs(600),
        };
        let horizon = 400_000.0;
        let n = count(p.clone(), horizon, 3);
        let expected = p.mean_rate(SimTime::from_secs(1)) * horizon; // 6.8/s
        // Burst count is the main noise: ~667 bursts, relative sd about 5%.
        assert!(
            (n as f64 / expected - 1.0).abs() < 0.15,
            "{n} vs {expected}"
        );
    }

    #[test]
    fn diurnal_matches_its_integral() {
        let p = Traffic::Diurnal {
            min_rate: 1.0,
            max_rate: 9.0,
            period: SimTime::from_secs(1_000),
            peak_at: SimTime::from_secs(250),
        };
        let n = count(p.clone(), 10_000.0, 4);
        assert!((n as f64 - 50_000.0).abs() < 1_500.0, "{n}");
        // Over half a period starting at the peak's quarter, the integral is not the midpoint.
        let half = p.mean_rate(SimTime::from_secs(500));
        assert!(
            (half - (5.0 + 4.0 * 2.0 / std::f64::consts::PI)).abs() < 1e-9,
            "{half}"
        );
    }
}
