//! `[backend]`: what regenerations run on: how many run at once, how often one fails, and when
//! one times out.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::values::{Probability, Timeout, not_allowed};
use crate::scenario::Backend;

/// `[backend] concurrency`: a count, or "unlimited" (`None`).
#[derive(Clone, Copy, Debug)]
struct Concurrency(Option<u32>);

impl<'de> Deserialize<'de> for Concurrency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const WHAT: &str = "a whole number of at least 1, or \"unlimited\"";
        struct V;
        impl V {
            fn count<E: de::Error>(v: i128) -> Result<Concurrency, E> {
                match u32::try_from(v) {
                    Ok(n) if n >= 1 => Ok(Concurrency(Some(n))),
                    _ => Err(not_allowed(v, WHAT)),
                }
            }
        }
        impl Visitor<'_> for V {
            type Value = Concurrency;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(WHAT)
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Concurrency, E> {
                V::count(i128::from(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Concurrency, E> {
                V::count(i128::from(v))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Concurrency, E> {
                if v == "unlimited" {
                    Ok(Concurrency(None))
                } else {
                    Err(not_allowed(format_args!("`{v}`"), WHAT))
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBackend {
    concurrency: Option<Concurrency>,
    failure_rate: Option<Probability>,
    timeout: Option<Timeout>,
}

/// A table left out takes the same defaults as one with every key left out.
pub(super) fn resolve_backend(raw: Option<RawBackend>) -> Backend {
    let b = raw.unwrap_or_default();
    Backend {
        concurrency: b.concurrency.and_then(|c| c.0),
        failure_rate: b.failure_rate.map_or(0.0, |p| p.0),
        timeout: b.timeout.and_then(|t| t.0),
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse::tests::{MINIMAL, error, parse_text};

    #[test]
    fn backend_concurrency_takes_a_count_or_unlimited() {
        let with = |v: &str| format!("{MINIMAL}\n[backend]\nconcurrency = {v}\n");
        assert_eq!(
            parse_text(&with("\"unlimited\""))
                .unwrap()
                .backend
                .concurrency,
            None
        );
        assert_eq!(parse_text(&with("4")).unwrap().backend.concurrency, Some(4));
        let text = with("0");
        error(&text, "backend.concurrency", text.lines().count());
        let text = with("\"lots\"");
        error(&text, "backend.concurrency", text.lines().count());
    }
}
