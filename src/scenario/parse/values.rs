//! The single values every section is made of: durations, numbers, counts, the seed, and
//! keywords.
//!
//! Each check lives in the `Deserialize` impl of a small newtype, so toml and
//! `serde_path_to_error` attach the line and the dotted key to a bad value for free, whichever
//! section it stands in.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::source::one_of;
use crate::time::{SimTime, parse_duration};

pub(super) const DURATION_EXAMPLE: &str =
    "a duration string such as \"250ms\", \"1.5s\", \"15m\" or \"6h\"";

/// A duration that may be zero: a delay, an rtt, a warm-up.
#[derive(Clone, Copy, Debug)]
pub(super) struct Delay(pub(super) SimTime);

impl<'de> Deserialize<'de> for Delay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Delay;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(DURATION_EXAMPLE)
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Delay, E> {
                parse_duration(v).map(Delay).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// A duration that must be longer than zero: an interval, a length, a period.
#[derive(Clone, Copy, Debug)]
pub(super) struct Interval(pub(super) SimTime);

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Delay(t) = Delay::deserialize(d)?;
        if t == SimTime::ZERO {
            return Err(de::Error::custom("must be longer than 0s"));
        }
        Ok(Interval(t))
    }
}

/// A positive interval, or `false` for none (`revalidate`, `schedule`).
#[derive(Clone, Copy, Debug)]
pub(super) struct IntervalOrNone(pub(super) Option<SimTime>);

impl<'de> Deserialize<'de> for IntervalOrNone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = IntervalOrNone;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "{DURATION_EXAMPLE}, or `false` for none")
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<IntervalOrNone, E> {
                if v {
                    Err(E::custom(
                        "`true` is not an interval: give a duration such as \"60s\", or `false` for none",
                    ))
                } else {
                    Ok(IntervalOrNone(None))
                }
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<IntervalOrNone, E> {
                match parse_duration(v).map_err(E::custom)? {
                    SimTime::ZERO => Err(E::custom(
                        "must be longer than 0s (use `false` for no interval)",
                    )),
                    t => Ok(IntervalOrNone(Some(t))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A bare number of seconds, as Next.js (`revalidate`, `expireTime`) and Cache-Control
/// (`s-maxage`, `stale-while-revalidate`) write them: any finite number >= 0, decimals allowed,
/// rounded to the microsecond exactly as the same number written `"{n}s"`.
pub(super) fn seconds<E: de::Error>(v: f64) -> Result<SimTime, E> {
    if !v.is_finite() || v < 0.0 {
        return Err(not_allowed(v, SECONDS));
    }
    let micros = v * SimTime::MICROS_PER_SEC as f64;
    if micros >= u64::MAX as f64 {
        return Err(E::custom(format!("{v} seconds is too long a duration")));
    }
    Ok(SimTime(micros.round() as u64))
}

const SECONDS: &str = "a number of seconds of at least 0 (such as 60), or a duration string";

/// A duration that may be zero, written as a string or a bare number of seconds
/// (`stale_while_revalidate`).
#[derive(Clone, Copy, Debug)]
pub(super) struct DelaySecs(pub(super) SimTime);

impl<'de> Deserialize<'de> for DelaySecs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = DelaySecs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "{DURATION_EXAMPLE}, or a number of seconds such as 60")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<DelaySecs, E> {
                seconds(v as f64).map(DelaySecs)
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<DelaySecs, E> {
                seconds(v as f64).map(DelaySecs)
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<DelaySecs, E> {
                seconds(v).map(DelaySecs)
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<DelaySecs, E> {
                parse_duration(v).map(DelaySecs).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A duration longer than zero, written as a string or a bare number of seconds (`expire`,
/// `[cdn] ttl`).
#[derive(Clone, Copy, Debug)]
pub(super) struct IntervalSecs(pub(super) SimTime);

impl<'de> Deserialize<'de> for IntervalSecs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let DelaySecs(t) = DelaySecs::deserialize(d)?;
        if t == SimTime::ZERO {
            return Err(de::Error::custom("must be longer than 0s"));
        }
        Ok(IntervalSecs(t))
    }
}

/// `revalidate`: a positive duration, a bare number of seconds as Next.js's `export const
/// revalidate = 60`, or `false` for no timer. Zero is refused: in Next.js it renders the page
/// on every request, which is not ISR.
#[derive(Clone, Copy, Debug)]
pub(super) struct Revalidate(pub(super) Option<SimTime>);

impl<'de> Deserialize<'de> for Revalidate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const ZERO: &str = "0 is not allowed: in Next.js `revalidate = 0` renders the page on \
                            every request (no ISR cache); give a number of seconds above 0 such \
                            as 60, a duration such as \"60s\", or `false` for no timer";
        struct V;
        impl V {
            fn time<E: de::Error>(t: SimTime) -> Result<Revalidate, E> {
                match t {
                    SimTime::ZERO => Err(E::custom(ZERO)),
                    t => Ok(Revalidate(Some(t))),
                }
            }
        }
        impl Visitor<'_> for V {
            type Value = Revalidate;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(
                    f,
                    "a number of seconds such as 60, {DURATION_EXAMPLE}, or `false` for none"
                )
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Revalidate, E> {
                if v {
                    Err(E::custom(
                        "`true` is not an interval: give a number of seconds such as 60, a duration such as \"60s\", or `false` for none",
                    ))
                } else {
                    Ok(Revalidate(None))
                }
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Revalidate, E> {
                V::time(seconds(v as f64)?)
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Revalidate, E> {
                V::time(seconds(v as f64)?)
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Revalidate, E> {
                V::time(seconds(v)?)
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Revalidate, E> {
                V::time(parse_duration(v).map_err(E::custom)?)
            }
        }
        d.deserialize_any(V)
    }
}

/// `[backend] timeout`: a positive duration, or `false` (as leaving the key out) for none. The
/// word "none" is refused with what to write instead.
#[derive(Clone, Copy, Debug)]
pub(super) struct Timeout(pub(super) Option<SimTime>);

impl<'de> Deserialize<'de> for Timeout {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Timeout;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "{DURATION_EXAMPLE}, or `false` for no timeout")
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Timeout, E> {
                if v {
                    Err(E::custom(
                        "`true` is not a timeout: give a duration such as \"30s\", or write `false` (or leave the key out) for none",
                    ))
                } else {
                    Ok(Timeout(None))
                }
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Timeout, E> {
                if v.trim().eq_ignore_ascii_case("none") {
                    return Err(E::custom(format!(
                        "`{v}` is not allowed: for no timeout write `timeout = false`, or leave the key out"
                    )));
                }
                match parse_duration(v).map_err(E::custom)? {
                    SimTime::ZERO => Err(E::custom(
                        "must be longer than 0s (write `false`, or leave the key out, for no timeout)",
                    )),
                    t => Ok(Timeout(Some(t))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// The error for a value outside what a key allows: "0 is not allowed: expected {what}".
pub(super) fn not_allowed<E: de::Error>(v: impl fmt::Display, what: impl fmt::Display) -> E {
    E::custom(format!("{v} is not allowed: expected {what}"))
}

/// A TOML integer or float, as f64, kept if `allowed`; `what` says which numbers are allowed.
fn number<'de, D: Deserializer<'de>>(
    d: D,
    what: &'static str,
    allowed: fn(f64) -> bool,
) -> Result<f64, D::Error> {
    struct V(&'static str);
    impl Visitor<'_> for V {
        type Value = f64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(self.0)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
            Ok(v as f64)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
            Ok(v as f64)
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
            Ok(v)
        }
    }
    let v = d.deserialize_any(V(what))?;
    if allowed(v) {
        // `+ 0.0` turns -0.0 into 0.0.
        Ok(v + 0.0)
    } else {
        Err(not_allowed(v, what))
    }
}

/// A finite number >= 0: a rate, a share, a Zipf exponent.
#[derive(Clone, Copy, Debug)]
pub(super) struct NonNegative(pub(super) f64);

impl<'de> Deserialize<'de> for NonNegative {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        number(d, "a finite number of at least 0", |v| {
            v.is_finite() && v >= 0.0
        })
        .map(NonNegative)
    }
}

/// A finite number > 0 (`spike_factor`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Positive(pub(super) f64);

impl<'de> Deserialize<'de> for Positive {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        number(d, "a finite number above 0", |v| v.is_finite() && v > 0.0).map(Positive)
    }
}

/// A probability in [0, 1].
#[derive(Clone, Copy, Debug)]
pub(super) struct Probability(pub(super) f64);

impl<'de> Deserialize<'de> for Probability {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        number(d, "a probability from 0 to 1", |v| (0.0..=1.0).contains(&v)).map(Probability)
    }
}

/// A TOML integer in `min..=max`; `what` says which integers are allowed.
fn integer<'de, D: Deserializer<'de>>(
    d: D,
    min: u64,
    max: u64,
    what: &'static str,
) -> Result<u64, D::Error> {
    struct V(&'static str);
    impl Visitor<'_> for V {
        type Value = i128;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(self.0)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i128, E> {
            Ok(i128::from(v))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i128, E> {
            Ok(i128::from(v))
        }
    }
    let v = d.deserialize_any(V(what))?;
    u64::try_from(v)
        .ok()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| not_allowed(v, what))
}

/// A whole number from 1 to u32::MAX: pages, pops, instances, replications, concurrency.
#[derive(Clone, Copy, Debug)]
pub(super) struct Count(pub(super) u32);

const COUNT: &str = "a whole number of at least 1";

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = integer(d, 1, u64::from(u32::MAX), COUNT)?;
        u32::try_from(v)
            .map(Count)
            .map_err(|_| de::Error::custom(format!("{v} is too large")))
    }
}

/// `webhook_retries`: a whole number from 0 to `MAX_WEBHOOK_RETRIES`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Retries(pub(super) u32);

impl<'de> Deserialize<'de> for Retries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const WHAT: &str = "a whole number from 0 to 20";
        let max = u64::from(crate::scenario::MAX_WEBHOOK_RETRIES);
        integer(d, 0, max, WHAT).map(|v| Retries(v as u32))
    }
}

/// A size in bytes: a number, which may have decimals, then `B`, `kB`/`KB`, `MB`, `GB`, `TB`
/// (powers of 1000) or `KiB`, `MiB`, `GiB`, `TiB` (powers of 1024): `"50KB"`, `"1.5GiB"`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Size(pub(super) u64);

const SIZE: &str = "a size such as \"50KB\", \"512MiB\" or \"2GB\"";

/// A size's bytes, from its text.
pub(in crate::scenario) fn parse_size(text: &str) -> Result<u64, String> {
    const UNITS: &[(&str, f64)] = &[
        ("KiB", 1024.0),
        ("MiB", 1024.0 * 1024.0),
        ("GiB", 1024.0 * 1024.0 * 1024.0),
        ("TiB", 1024.0 * 1024.0 * 1024.0 * 1024.0),
        ("kB", 1e3),
        ("KB", 1e3),
        ("MB", 1e6),
        ("GB", 1e9),
        ("TB", 1e12),
        ("B", 1.0),
    ];
    let bad = || format!("`{text}` is not a size: expected {SIZE}");
    let t = text.trim();
    let (number, scale) = UNITS
        .iter()
        .find_map(|(unit, scale)| t.strip_suffix(unit).map(|n| (n.trim(), *scale)))
        .ok_or_else(bad)?;
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(bad());
    }
    let value: f64 = number.parse().map_err(|_| bad())?;
    let bytes = (value * scale).round();
    if !(1.0..=u64::MAX as f64).contains(&bytes) {
        return Err(format!("`{text}` must be at least one byte"));
    }
    Ok(bytes as u64)
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Size;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(SIZE)
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Size, E> {
                parse_size(v).map(Size).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// `[cdn] capacity`: a whole number of pages, or a size in bytes.
#[derive(Clone, Copy, Debug)]
pub(super) struct CapacityValue(pub(super) crate::scenario::Capacity);

impl<'de> Deserialize<'de> for CapacityValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use crate::scenario::Capacity;
        struct V;
        impl Visitor<'_> for V {
            type Value = CapacityValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a whole number of pages of at least 1, or {SIZE}")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<CapacityValue, E> {
                u32::try_from(v)
                    .ok()
                    .filter(|&n| n >= 1)
                    .map(|n| CapacityValue(Capacity::Pages(n)))
                    .ok_or_else(|| {
                        E::custom(format!(
                            "{v} is not allowed: a whole number of pages of at least 1, or {SIZE}"
                        ))
                    })
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<CapacityValue, E> {
                parse_size(v)
                    .map(|b| CapacityValue(Capacity::Bytes(b)))
                    .map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// The run's seed: any integer >= 0.
#[derive(Clone, Copy, Debug)]
pub(super) struct Seed(pub(super) u64);

impl<'de> Deserialize<'de> for Seed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        integer(d, 0, u64::MAX, "a whole number of at least 0").map(Seed)
    }
}

/// An enum written as one of a fixed set of strings. `WORDS` is the one list of its spellings:
/// the parser reads them and `validate` writes them back.
pub(in crate::scenario) trait Keyword: Copy + 'static {
    const WORDS: &'static [(&'static str, Self)];

    fn names() -> Vec<&'static str> {
        Self::WORDS.iter().map(|(name, _)| *name).collect()
    }

    /// How the file writes `self`.
    fn word(self) -> &'static str
    where
        Self: PartialEq,
    {
        Self::WORDS
            .iter()
            .find(|(_, value)| *value == self)
            .map_or("", |(name, _)| *name)
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Word<T>(pub(super) T);

impl<'de, T: Keyword> Deserialize<'de> for Word<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<T: Keyword> Visitor<'_> for V<T> {
            type Value = Word<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "one of {}", one_of(&T::names()))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Word<T>, E> {
                T::WORDS
                    .iter()
                    .find(|(name, _)| *name == v)
                    .map(|&(_, value)| Word(value))
                    .ok_or_else(|| {
                        not_allowed(
                            format_args!("`{v}`"),
                            format_args!("one of {}", one_of(&T::names())),
                        )
                    })
            }
        }
        d.deserialize_str(V(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse::tests::{MINIMAL, error, line_of, parse_text, replace};

    #[test]
    fn bad_duration_is_named_with_its_line() {
        let text = replace(
            MINIMAL,
            "revalidate = \"60s\"",
            "revalidate = \"5 minutes\"",
        );
        let err = error(&text, "policies[0].revalidate", line_of(&text, "5 minutes"));
        assert!(err.message.contains("15m"), "says what is allowed: {err}");
        let text = replace(MINIMAL, "duration = \"6h\"", "duration = 60");
        error(&text, "duration", 1);
        let text = replace(MINIMAL, "duration = \"6h\"", "duration = \"0s\"");
        error(&text, "duration", 1);
    }

    #[test]
    fn zero_pages_is_an_error() {
        let text = replace(MINIMAL, "pages = 100", "pages = 0");
        let err = error(&text, "routes[0].pages", line_of(&text, "pages = 0"));
        assert!(err.message.contains("at least 1"), "{err}");
        let text = replace(MINIMAL, "pages = 100", "pages = 5000000000");
        error(
            &text,
            "routes[0].pages",
            line_of(&text, "pages = 5000000000"),
        );
    }

    #[test]
    fn revalidate_true_is_an_error() {
        let text = replace(MINIMAL, "revalidate = \"60s\"", "revalidate = true");
        let err = error(
            &text,
            "policies[0].revalidate",
            line_of(&text, "revalidate = true"),
        );
        assert!(err.message.contains("`false`"), "{err}");
        let text = replace(MINIMAL, "revalidate = \"60s\"", "revalidate = false");
        assert_eq!(
            parse_text(&text).unwrap().policies[0].routes[0].revalidate,
            None
        );
    }

    #[test]
    fn a_capacity_is_pages_or_a_size_and_a_bad_one_is_named() {
        use crate::scenario::Capacity;
        let with = |capacity: &str| format!("{MINIMAL}\n[cdn]\ncapacity = {capacity}\n");
        let cdn = |text: &str| parse_text(text).unwrap().cdn.unwrap().capacity;
        assert_eq!(cdn(&with("500")), Some(Capacity::Pages(500)));
        assert_eq!(cdn(&with("\"1.5MB\"")), Some(Capacity::Bytes(1_500_000)));
        assert_eq!(cdn(&with("\"2KiB\"")), Some(Capacity::Bytes(2_048)));
        for bad in ["0", "\"4 bananas\"", "\"MB\"", "\"-1KB\"", "1.5"] {
            let text = with(bad);
            error(&text, "cdn.capacity", line_of(&text, "capacity ="));
        }
        let text = replace(
            MINIMAL,
            "pages = 100\n",
            "pages = 100\npage_size = \"5GB\"\n",
        );
        error(&text, "routes[0].page_size", line_of(&text, "page_size"));
    }
}
