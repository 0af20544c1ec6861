//! `pattern = "idle"`: a site nobody much visits, at `rate` requests per second. The process is
//! steady's, a homogeneous Poisson process (docs/model.md §4); the name says what the scenario
//! studies, a cache whose entries mostly expire unread.

use super::steady::Homogeneous;
use super::{Entry, Key, Keys, Kind, Read, Traffic};
use crate::error::InputError;

pub const PATTERN: Entry = Entry {
    name: "idle",
    keys: &[Key::required("rate", Kind::Rate)],
    read,
};

/// The idle pattern: steady's process under its own name.
pub type Idle = Homogeneous<true>;

fn read(keys: &Keys) -> Result<Read, InputError> {
    Ok(Read::Drawn(Traffic::new(Idle {
        rate: keys.positive_rate("rate")?,
    })))
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
    fn idle_keeps_its_own_name() {
        let s = read("pattern = \"idle\"\nrate = 0.01").unwrap();
        assert_eq!(s.traffic.name(), "idle");
        let s = read("pattern = \"steady\"\nrate = 0.01").unwrap();
        assert_eq!(s.traffic.name(), "steady");
    }

    #[test]
    fn a_rate_is_read_and_zero_refused() {
        let s = read("pattern = \"idle\"\nrate = 0.01").unwrap();
        assert_eq!(s.traffic.get::<Idle>(), Some(&Idle { rate: 0.01 }));
        let (key, line, _) = refused("pattern = \"idle\"\nrate = 0");
        assert_eq!((key.as_str(), line), ("traffic.rate", 4));
    }
}
