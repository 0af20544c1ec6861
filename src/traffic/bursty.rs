//! `pattern = "bursty"`: a two-state Markov-modulated Poisson process (MMPP), the standard model
//! of bursty web traffic (docs/model.md §4). Quiet at `base_rate`, then bursts at `burst_rate`;
//! each state lasts an exponential time, a burst `burst_length` on average and a quiet spell
//! `burst_every - burst_length`, so bursts start `burst_every` apart on average. A run starts
//! quiet.

use super::{
    Arrivals, Entry, Key, Keys, Kind, Pattern, Read, Rng, Setting, Traffic, exp_gap, exp_mean,
};
use crate::error::InputError;
use crate::time::SimTime;

pub const PATTERN: Entry = Entry {
    name: "bursty",
    keys: &[
        Key::required("base_rate", Kind::Rate),
        Key::required("burst_rate", Kind::Rate),
        Key::required("burst_length", Kind::Length),
        Key::required("burst_every", Kind::Length),
    ],
    read,
};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bursty {
    pub base_rate: f64,
    pub burst_rate: f64,
    pub burst_length: SimTime,
    pub burst_every: SimTime,
}

fn read(keys: &Keys) -> Result<Read, InputError> {
    let (base_rate, burst_rate) = (
        keys.number("base_rate", 0.0),
        keys.number("burst_rate", 0.0),
    );
    if base_rate <= 0.0 && burst_rate <= 0.0 {
        return Err(keys.error(
            "burst_rate",
            "`base_rate` and `burst_rate` are both 0, so no request is ever sent",
        ));
    }
    let (burst_length, burst_every) = (
        keys.time("burst_length", SimTime::ZERO),
        keys.time("burst_every", SimTime::ZERO),
    );
    if burst_every <= burst_length {
        return Err(keys.error(
            "burst_every",
            format!(
                "must be longer than `burst_length` ({burst_length}): bursts start `burst_every` apart on average"
            ),
        ));
    }
    Ok(Read::Drawn(Traffic::new(Bursty {
        base_rate,
        burst_rate,
        burst_length,
        burst_every,
    })))
}

impl Bursty {
    /// The share of the time spent in bursts, in the long run.
    fn burst_share(&self) -> f64 {
        self.burst_length.as_secs_f64() / self.burst_every.as_secs_f64()
    }
}

impl Pattern for Bursty {
    fn entry(&self) -> &'static Entry {
        &PATTERN
    }

    fn peak_rate(&self) -> f64 {
        self.base_rate.max(self.burst_rate)
    }

    fn mean_rate(&self, _: SimTime) -> f64 {
        let burst_share = self.burst_share();
        self.base_rate * (1.0 - burst_share) + self.burst_rate * burst_share
    }

    fn busiest_key(&self, _: SimTime) -> &'static str {
        let burst = self.burst_share();
        if self.burst_rate * burst >= self.base_rate * (1.0 - burst) {
            "burst_rate"
        } else {
            "base_rate"
        }
    }

    fn settings(&self) -> Vec<Setting> {
        vec![
            Setting::Number("base_rate", self.base_rate),
            Setting::Number("burst_rate", self.burst_rate),
            Setting::Time("burst_length", self.burst_length),
            Setting::Time("burst_every", self.burst_every),
        ]
    }

    /// Both states' rates scaled; the modulating chain (how long each state lasts) is unchanged.
    fn scaled(&self, factor: f64) -> Option<Traffic> {
        Some(Traffic::new(Bursty {
            base_rate: self.base_rate * factor,
            burst_rate: self.burst_rate * factor,
            ..*self
        }))
    }

    fn arrivals(&self, rng: &mut Rng, until: SimTime) -> Box<dyn Arrivals> {
        let mut mmpp = Mmpp {
            pattern: *self,
            clock: 0.0,
            in_burst: false,
            switch_at: f64::INFINITY,
            horizon: until.as_secs_f64(),
        };
        mmpp.switch_at = mmpp.sojourn(rng);
        Box::new(mmpp)
    }
}

/// The MMPP's state as it draws.
struct Mmpp {
    pattern: Bursty,
    /// Seconds since t=0 of the last arrival.
    clock: f64,
    /// Whether in a burst, and when the state next flips.
    in_burst: bool,
    switch_at: f64,
    /// Seconds past which no arrival matters (the run's end): the search for the next arrival
    /// stops there. Far enough past it, a short burst is lost to the clock's rounding, and a
    /// quiet state with no base rate would otherwise be searched forever.
    horizon: f64,
}

impl Mmpp {
    /// How long the current state lasts.
    fn sojourn(&self, rng: &mut Rng) -> f64 {
        let p = &self.pattern;
        let mean = if self.in_burst {
            p.burst_length.as_secs_f64()
        } else {
            (p.burst_every - p.burst_length).as_secs_f64()
        };
        exp_mean(mean, rng)
    }
}

impl Arrivals for Mmpp {
    fn next(&mut self, rng: &mut Rng) -> f64 {
        loop {
            let rate = if self.in_burst {
                self.pattern.burst_rate
            } else {
                self.pattern.base_rate
            };
            let t = self.clock + exp_gap(rate, rng);
            if t < self.switch_at {
                self.clock = t;
                break;
            }
            // Memoryless: at the switch, a fresh gap is drawn at the new rate.
            self.clock = self.switch_at;
            self.in_burst = !self.in_burst;
            self.switch_at = self.clock + self.sojourn(rng);
            if self.clock >= self.horizon {
                break;
            }
        }
        self.clock
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic::tests::{count, read, refused};
    use rand::SeedableRng;

    #[test]
    fn bursts_too_short_for_the_clock_end_at_the_horizon() {
        // A microsecond burst every 584,542 years, with no base rate: past about 1e10 s a
        // burst is shorter than the clock's rounding, so no arrival would ever be found.
        let p = Bursty {
            base_rate: 0.0,
            burst_rate: 5.0,
            burst_length: SimTime::from_micros(1),
            burst_every: SimTime(u64::MAX / 32),
        };
        let mut rng = Rng::seed_from_u64(1);
        let end = SimTime::from_secs(60);
        let mut a = p.arrivals(&mut rng, end);
        assert!(a.next(&mut rng) >= end.as_secs_f64());
    }

    #[test]
    fn bursty_long_run_rate_is_the_mixture() {
        let p = Bursty {
            base_rate: 2.0,
            burst_rate: 50.0,
            burst_length: SimTime::from_secs(60),
            burst_every: SimTime::from_secs(600),
        };
        let horizon = 400_000.0;
        let n = count(&p, horizon, 3);
        // 2/s for 90% of the time and 50/s for 10%: 6.8/s.
        let expected = 6.8 * horizon;
        assert!((p.mean_rate(SimTime::from_secs(1)) - 6.8).abs() < 1e-12);
        // Burst count is the main noise: ~667 bursts, relative sd about 5%.
        assert!(
            (n as f64 / expected - 1.0).abs() < 0.15,
            "{n} vs {expected}"
        );
    }

    #[test]
    fn the_busier_state_bears_the_blame() {
        let mut p = Bursty {
            base_rate: 2.0,
            burst_rate: 50.0,
            burst_length: SimTime::from_secs(60),
            burst_every: SimTime::from_secs(600),
        };
        // Bursts give 5/s of the 6.8/s.
        assert_eq!(p.busiest_key(SimTime::from_secs(1)), "burst_rate");
        p.burst_rate = 10.0;
        assert_eq!(p.busiest_key(SimTime::from_secs(1)), "base_rate");
    }

    #[test]
    fn keys_are_read_and_checked_against_each_other() {
        let keys = "pattern = \"bursty\"\nbase_rate = 1\nburst_rate = 50\nburst_length = \"1m\"\nburst_every = \"10m\"";
        let s = read(keys).unwrap();
        assert_eq!(
            s.traffic.get::<Bursty>(),
            Some(&Bursty {
                base_rate: 1.0,
                burst_rate: 50.0,
                burst_length: SimTime::from_secs(60),
                burst_every: SimTime::from_secs(600),
            })
        );
        let (key, line, message) = refused(&keys.replace("\"10m\"", "\"1m\""));
        assert_eq!((key.as_str(), line), ("traffic.burst_every", 7));
        assert!(
            message.contains("longer than `burst_length` (1m)"),
            "{message}"
        );
        let (key, line, message) = refused(
            &keys
                .replace("base_rate = 1", "base_rate = 0")
                .replace("= 50", "= 0"),
        );
        assert_eq!((key.as_str(), line), ("traffic.burst_rate", 5));
        assert!(message.contains("both 0"), "{message}");
    }
}
