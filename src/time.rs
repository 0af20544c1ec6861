//! Simulated time: an integer count of microseconds (docs/model.md §2.1).
//!
//! Integer time makes runs reproducible bit for bit: no rounding drift accumulates over billions
//! of events, and two events at "the same instant" really are at the same instant.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// An instant or a span of simulated time, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    /// Later than any event a run can schedule; used as "never".
    pub const NEVER: SimTime = SimTime(u64::MAX);
    pub const MICROS_PER_SEC: u64 = 1_000_000;

    pub const fn from_micros(us: u64) -> SimTime {
        SimTime(us)
    }

    pub const fn from_millis(ms: u64) -> SimTime {
        SimTime(ms * 1_000)
    }

    pub const fn from_secs(s: u64) -> SimTime {
        SimTime(s * Self::MICROS_PER_SEC)
    }

    /// Rounds to the nearest microsecond; negative and NaN inputs give zero, huge ones saturate.
    pub fn from_secs_f64(s: f64) -> SimTime {
        let us = s * Self::MICROS_PER_SEC as f64;
        if us.is_nan() || us <= 0.0 {
            SimTime::ZERO
        } else if us >= u64::MAX as f64 {
            SimTime::NEVER
        } else {
            // Half up, as `round` for a positive value, without the libm call on the hot path.
            SimTime((us + 0.5) as u64)
        }
    }

    pub const fn as_micros(self) -> u64 {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / Self::MICROS_PER_SEC as f64
    }

    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1_000.0
    }

    /// Whole seconds since t=0 (the second this instant falls in).
    pub const fn whole_secs(self) -> u64 {
        self.0 / Self::MICROS_PER_SEC
    }

    pub const fn saturating_add(self, other: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(other.0))
    }

    pub const fn saturating_sub(self, other: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(other.0))
    }

    pub fn min(self, other: SimTime) -> SimTime {
        if self <= other { self } else { other }
    }

    pub fn max(self, other: SimTime) -> SimTime {
        if self >= other { self } else { other }
    }
}

impl Add for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimTime) -> SimTime {
        self.saturating_add(rhs)
    }
}

impl AddAssign for SimTime {
    fn add_assign(&mut self, rhs: SimTime) {
        *self = *self + rhs;
    }
}

impl Sub for SimTime {
    type Output = SimTime;
    /// Saturates at zero: a span is never negative.
    fn sub(self, rhs: SimTime) -> SimTime {
        self.saturating_sub(rhs)
    }
}

const UNITS: &[(&str, u64)] = &[
    ("us", 1),
    ("ms", 1_000),
    ("s", 1_000_000),
    ("m", 60 * 1_000_000),
    ("h", 3_600 * 1_000_000),
    ("d", 86_400 * 1_000_000),
    ("y", 365 * 86_400 * 1_000_000),
];

/// Parses a duration string of docs/scenario.md ("Values"): a number, possibly with decimals, then
/// a unit (`us`, `ms`, `s`, `m`, `h`, `d`, `y`). `"0s"` parses to zero.
pub fn parse_duration(text: &str) -> Result<SimTime, String> {
    let s = text.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let allowed = "a number followed by one of us, ms, s, m, h, d, y (for example \"250ms\", \"1.5s\", \"15m\")";
    if number.is_empty() {
        return Err(format!("`{text}` is not a duration: expected {allowed}"));
    }
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: expected {allowed}"))?;
    let scale = UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, scale)| *scale)
        .ok_or_else(|| {
            if unit.is_empty() {
                format!("`{text}` has no unit: expected {allowed}")
            } else {
                format!("`{text}` has an unknown unit `{unit}`: expected {allowed}")
            }
        })?;
    let micros = value * scale as f64;
    if !micros.is_finite() || micros >= u64::MAX as f64 {
        return Err(format!("`{text}` is too long a duration"));
    }
    Ok(SimTime(micros.round() as u64))
}

impl fmt::Display for SimTime {
    /// Prints the largest unit that divides the value exactly, so `parse_duration` reads it back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return write!(f, "0s");
        }
        let (name, scale) = UNITS
            .iter()
            .rev()
            .find(|(_, scale)| self.0.is_multiple_of(*scale))
            .copied()
            .unwrap_or(("us", 1));
        write!(f, "{}{}", self.0 / scale, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit_and_decimals() {
        assert_eq!(parse_duration("250ms"), Ok(SimTime::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Ok(SimTime::from_millis(1_500)));
        assert_eq!(parse_duration("90s"), Ok(SimTime::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(SimTime::from_secs(900)));
        assert_eq!(parse_duration("6h"), Ok(SimTime::from_secs(21_600)));
        assert_eq!(parse_duration("2d"), Ok(SimTime::from_secs(172_800)));
        assert_eq!(parse_duration("1y"), Ok(SimTime::from_secs(31_536_000)));
        assert_eq!(parse_duration("0s"), Ok(SimTime::ZERO));
        assert_eq!(parse_duration("7us"), Ok(SimTime(7)));
    }

    #[test]
    fn rejects_missing_or_unknown_units() {
        assert!(parse_duration("10").unwrap_err().contains("no unit"));
        assert!(
            parse_duration("10 parsecs")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(parse_duration("ms").is_err());
        assert!(parse_duration("-5s").is_err());
        assert!(parse_duration("1.2.3s").is_err());
    }

    #[test]
    fn display_round_trips() {
        for text in ["0s", "250ms", "90s", "15m", "6h", "2d", "1y", "7us"] {
            let t = parse_duration(text).unwrap();
            assert_eq!(parse_duration(&t.to_string()).unwrap(), t);
        }
        assert_eq!(SimTime::from_secs(90).to_string(), "90s");
    }

    #[test]
    fn subtraction_saturates() {
        assert_eq!(SimTime(3) - SimTime(5), SimTime::ZERO);
    }
}
