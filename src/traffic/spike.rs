//! `pattern = "spike"`: `rate` requests per second, multiplied by `spike_factor` from `spike_at`
//! for `spike_length` (a launch, a link on a busy page; docs/model.md §4). A piecewise-constant
//! Poisson process: the exponential gap is memoryless, so at a rate change the clock moves to
//! the boundary and a fresh gap is drawn at the new rate (exact, not approximate).

use super::{Arrivals, Entry, Key, Keys, Kind, Pattern, Read, Rng, Setting, Traffic, exp_gap};
use crate::error::InputError;
use crate::time::SimTime;

pub const PATTERN: Entry = Entry {
    name: "spike",
    keys: &[
        Key::required("rate", Kind::Rate),
        Key::required("spike_factor", Kind::Factor),
        Key::required("spike_at", Kind::Offset),
        Key::required("spike_length", Kind::Length),
    ],
    read,
};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spike {
    pub rate: f64,
    pub spike_factor: f64,
    pub spike_at: SimTime,
    pub spike_length: SimTime,
}

fn read(keys: &Keys) -> Result<Read, InputError> {
    let rate = keys.positive_rate("rate")?;
    let spike_factor = keys.number("spike_factor", 1.0);
    // The spike's rate is the pattern's peak, checked against `--max-rate` by `isrsim load`: it
    // must be a number even when the spike falls after the run's end.
    if !(rate * spike_factor).is_finite() {
        return Err(keys.error(
            "spike_factor",
            format!(
                "{spike_factor} times `rate` ({rate}/s) overflows: the spike's rate, `rate` × \
                 `spike_factor`, must stay below 1e308/s"
            ),
        ));
    }
    Ok(Read::Drawn(Traffic::new(Spike {
        rate,
        spike_factor,
        spike_at: keys.time("spike_at", SimTime::ZERO),
        spike_length: keys.time("spike_length", SimTime::ZERO),
    })))
}

impl Pattern for Spike {
    fn entry(&self) -> &'static Entry {
        &PATTERN
    }

    fn peak_rate(&self) -> f64 {
        self.rate * self.spike_factor.max(1.0)
    }

    fn mean_rate(&self, duration: SimTime) -> f64 {
        let d = duration.as_secs_f64();
        let start = self.spike_at.as_secs_f64().min(d);
        let end = (self.spike_at + self.spike_length).as_secs_f64().min(d);
        self.rate * (d + (self.spike_factor - 1.0) * (end - start)) / d
    }

    fn busiest_key(&self, duration: SimTime) -> &'static str {
        let spike = self.spike_length.as_secs_f64().min(duration.as_secs_f64());
        if (self.spike_factor - 1.0) * spike > duration.as_secs_f64() {
            "spike_factor"
        } else {
            "rate"
        }
    }

    fn settings(&self) -> Vec<Setting> {
        vec![
            Setting::Number("rate", self.rate),
            Setting::Number("spike_factor", self.spike_factor),
            Setting::Time("spike_at", self.spike_at),
            Setting::Time("spike_length", self.spike_length),
        ]
    }

    fn expected_between(&self, from: f64, to: f64) -> f64 {
        let (start, end) = (
            self.spike_at.as_secs_f64(),
            (self.spike_at + self.spike_length).as_secs_f64(),
        );
        let inside = (to.min(end) - from.max(start)).max(0.0);
        self.rate * ((to - from) + (self.spike_factor - 1.0) * inside)
    }

    fn peak_between(&self, from: f64, to: f64) -> f64 {
        let (start, end) = (
            self.spike_at.as_secs_f64(),
            (self.spike_at + self.spike_length).as_secs_f64(),
        );
        let outside = from < start || to > end;
        let inside = from < end && to > start;
        let mut peak: f64 = 0.0;
        if outside {
            peak = peak.max(self.rate);
        }
        if inside {
            peak = peak.max(self.rate * self.spike_factor);
        }
        peak
    }

    fn scaled(&self, factor: f64) -> Option<Traffic> {
        Some(Traffic::new(Spike {
            rate: self.rate * factor,
            ..*self
        }))
    }

    fn arrivals(&self, _: &mut Rng, _: SimTime) -> Box<dyn Arrivals> {
        Box::new(Piecewise {
            rate: self.rate,
            factor: self.spike_factor,
            start: self.spike_at.as_secs_f64(),
            end: (self.spike_at + self.spike_length).as_secs_f64(),
            clock: 0.0,
        })
    }
}

/// The piecewise-constant process: `rate` outside `[start, end)`, `rate · factor` inside.
struct Piecewise {
    rate: f64,
    factor: f64,
    start: f64,
    end: f64,
    /// Seconds since t=0 of the last arrival.
    clock: f64,
}

impl Arrivals for Piecewise {
    fn next(&mut self, rng: &mut Rng) -> f64 {
        loop {
            let (current, boundary) = if self.clock < self.start {
                (self.rate, self.start)
            } else if self.clock < self.end {
                (self.rate * self.factor, self.end)
            } else {
                (self.rate, f64::INFINITY)
            };
            let t = self.clock + exp_gap(current, rng);
            if t < boundary {
                self.clock = t;
                break;
            }
            self.clock = boundary;
        }
        self.clock
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic::tests::{count, read, refused};

    #[test]
    fn spike_adds_exactly_its_extra_mass() {
        let p = Spike {
            rate: 10.0,
            spike_factor: 11.0,
            spike_at: SimTime::from_secs(100),
            spike_length: SimTime::from_secs(100),
        };
        // 10/s for 300 s plus 100/s extra for 100 s = 13,000 expected.
        let n = count(&p, 300.0, 2);
        assert!((n as f64 - 13_000.0).abs() < 700.0, "{n}");
        let mean = p.mean_rate(SimTime::from_secs(300));
        assert!((mean * 300.0 - 13_000.0).abs() < 1e-6);
        assert_eq!(p.peak_rate(), 110.0);
        // The spike's extra 10,000 outweigh the 3,000 of the base rate.
        assert_eq!(p.busiest_key(SimTime::from_secs(300)), "spike_factor");
    }

    #[test]
    fn keys_are_read_and_a_factor_of_zero_refused() {
        let keys = "pattern = \"spike\"\nrate = 2\nspike_factor = 5\nspike_at = \"1m\"\nspike_length = \"10m\"";
        let s = read(keys).unwrap();
        assert_eq!(
            s.traffic.get::<Spike>(),
            Some(&Spike {
                rate: 2.0,
                spike_factor: 5.0,
                spike_at: SimTime::from_secs(60),
                spike_length: SimTime::from_secs(600),
            })
        );
        let (key, line, message) = refused(&keys.replace("spike_factor = 5", "spike_factor = 0"));
        assert_eq!((key.as_str(), line), ("traffic.spike_factor", 5));
        assert!(message.contains("above 0"), "{message}");
    }

    #[test]
    fn a_spike_rate_past_what_a_number_holds_is_refused() {
        let keys = "pattern = \"spike\"\nrate = 1e300\nspike_factor = 1e10\nspike_at = \"1m\"\nspike_length = \"10m\"";
        let (key, line, message) = refused(keys);
        assert_eq!((key.as_str(), line), ("traffic.spike_factor", 5));
        assert!(message.contains("overflows"), "{message}");
    }
}
