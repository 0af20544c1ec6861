//! `pattern = "idle"`: a site nobody much visits, at `rate` requests per second. The process is
//! steady's, a homogeneous Poisson process (docs/model.md §4); the name says what the scenario
//! studies, a cache whose entries mostly expire unread.

use super::steady::Poisson;
use super::{Arrivals, Entry, Key, Keys, Kind, Pattern, Read, Rng, Setting, Traffic};
use crate::error::InputError;
use crate::time::SimTime;

pub const PATTERN: Entry = Entry {
    name: "idle",
    keys: &[Key::required("rate", Kind::Rate)],
    read,
};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Idle {
    /// Requests per second.
    pub rate: f64,
}

fn read(keys: &Keys) -> Result<Read, InputError> {
    Ok(Read::Drawn(Traffic::new(Idle {
        rate: keys.positive_rate("rate")?,
    })))
}

impl Pattern for Idle {
    fn entry(&self) -> &'static Entry {
        &PATTERN
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

    fn arrivals(&self, _: &mut Rng, _: SimTime) -> Box<dyn Arrivals> {
        Box::new(Poisson {
            rate: self.rate,
            clock: 0.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic::tests::{count, read, refused};

    #[test]
    fn idle_count_matches_rate() {
        let n = count(&Idle { rate: 0.5 }, 20_000.0, 5);
        // Poisson(10,000): sd 100, so ±700 is 7 sd.
        assert!((n as f64 - 10_000.0).abs() < 700.0, "{n}");
    }

    #[test]
    fn a_rate_is_read_and_zero_refused() {
        let s = read("pattern = \"idle\"\nrate = 0.01").unwrap();
        assert_eq!(s.traffic.get::<Idle>(), Some(&Idle { rate: 0.01 }));
        let (key, line, _) = refused("pattern = \"idle\"\nrate = 0");
        assert_eq!((key.as_str(), line), ("traffic.rate", 4));
    }
}
