//! `pattern = "steady"`: a homogeneous Poisson process of `rate` requests per second, the
//! textbook model of many independent users (docs/model.md §4).

use super::{Arrivals, Entry, Key, Keys, Kind, Pattern, Read, Rng, Setting, Traffic, exp_gap};
use crate::error::InputError;
use crate::time::SimTime;

pub const PATTERN: Entry = Entry {
    name: "steady",
    keys: &[Key::required("rate", Kind::Rate)],
    read,
};

/// `rate` requests per second as a homogeneous Poisson process: `steady`, or with `IDLE` the
/// `idle` pattern, which differs from it only by name.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Homogeneous<const IDLE: bool> {
    /// Requests per second.
    pub rate: f64,
}

pub type Steady = Homogeneous<false>;

fn read(keys: &Keys) -> Result<Read, InputError> {
    Ok(Read::Drawn(Traffic::new(Steady {
        rate: keys.positive_rate("rate")?,
    })))
}

impl<const IDLE: bool> Pattern for Homogeneous<IDLE> {
    fn entry(&self) -> &'static Entry {
        // Idle's entry through the registry, as `idle.rs` is the file that defines it.
        match IDLE {
            true => super::named("idle").unwrap_or(&PATTERN),
            false => &PATTERN,
        }
    }

    fn peak_rate(&self) -> f64 {
        self.rate
    }

    fn mean_rate(&self, _: SimTime) -> f64 {
        self.rate
    }

    fn busiest_key(&self, _: SimTime) -> &'static str {
        "rate"
    }

    fn settings(&self) -> Vec<Setting> {
        vec![Setting::Number("rate", self.rate)]
    }

    fn scaled(&self, factor: f64) -> Option<Traffic> {
        Some(Traffic::new(Homogeneous::<IDLE> {
            rate: self.rate * factor,
        }))
    }

    fn arrivals(&self, _: &mut Rng, _: SimTime) -> Box<dyn Arrivals> {
        Box::new(Poisson {
            rate: self.rate,
            clock: 0.0,
        })
    }
}

/// A homogeneous Poisson process: exponential gaps of mean 1/`rate`.
struct Poisson {
    rate: f64,
    /// Seconds since t=0 of the last arrival.
    clock: f64,
}

impl Arrivals for Poisson {
    fn next(&mut self, rng: &mut Rng) -> f64 {
        self.clock += exp_gap(self.rate, rng);
        self.clock
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic::tests::{count, read, refused};

    #[test]
    fn steady_count_matches_rate() {
        let n = count(&Steady { rate: 50.0 }, 1_000.0, 1);
        // Poisson(50,000): sd 224, so ±1,500 is about 7 sd.
        assert!((n as f64 - 50_000.0).abs() < 1_500.0, "{n}");
    }

    #[test]
    fn a_rate_of_zero_is_refused_and_a_rate_is_read() {
        let (key, line, message) = refused("pattern = \"steady\"\nrate = 0");
        assert_eq!((key.as_str(), line), ("traffic.rate", 4));
        assert!(message.contains("must be above 0"), "{message}");
        let s = read("pattern = \"steady\"\nrate = 2.5").unwrap();
        assert_eq!(s.traffic.get::<Steady>(), Some(&Steady { rate: 2.5 }));
        assert_eq!(s.traffic.mean_rate(SimTime::from_secs(10)), 2.5);
    }
}
