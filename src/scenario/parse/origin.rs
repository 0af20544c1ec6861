//! `[origin]`: the Next.js instances, their ISR cache (one each, or shared), how requests are
//! balanced over them, and each instance's bounded memory in front of its disk (`memory`, `disk`,
//! `disk_read`; docs/model.md §6.7).

use serde::Deserialize;
use toml::Spanned;

use super::distribution::Dist;
use super::platform::RawQueue;
use super::source::Source;
use super::values::{Count, Delay, IntervalSecs, Keyword, Size, Word};
use crate::error::InputError;
use crate::scenario::Distribution;
use crate::scenario::platform::{HeaderRule, Profile, Profiles};
use crate::scenario::{Balancer, CacheMode, Origin};
use crate::time::SimTime;

impl Keyword for CacheMode {
    const WORDS: &'static [(&'static str, Self)] =
        &[("local", CacheMode::Local), ("shared", CacheMode::Shared)];
}

impl std::fmt::Display for CacheMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

impl Keyword for Balancer {
    const WORDS: &'static [(&'static str, Self)] = &[
        ("round-robin", Balancer::RoundRobin),
        ("random", Balancer::Random),
        ("hash", Balancer::Hash),
    ];
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOrigin {
    instances: Option<Count>,
    cache: Option<Word<CacheMode>>,
    lock: Option<bool>,
    balancer: Option<Word<Balancer>>,
    expire: Option<IntervalSecs>,
    rtt: Option<Delay>,
    build_age: Option<Delay>,
    build_spread: Option<Delay>,
    memory: Option<Spanned<Size>>,
    disk: Option<Spanned<bool>>,
    disk_read: Option<Spanned<Delay>>,
    headers: Option<Word<HeaderRule>>,
    queue: Option<RawQueue>,
    store_lag: Option<Spanned<Dist>>,
    tag_lag: Option<Spanned<Dist>>,
}

/// Next.js `expireTime` default: one year.
const NEXT_EXPIRE_TIME: SimTime = SimTime::from_secs(365 * 86_400);

/// Reading a page's files back (HTML, RSC or JSON payload, metadata) from a local SSD through
/// Node's `fs`: an assumption, about a millisecond (docs/model.md §6.7).
const DISK_READ: SimTime = SimTime::from_millis(1);

/// A table left out takes the same defaults as one with every key left out; `profiles` fill in
/// the keys the file leaves out.
pub(super) fn resolve_origin(
    source: &Source,
    raw: Option<RawOrigin>,
    profiles: &mut Profiles,
) -> Result<Origin, InputError> {
    let o = raw.unwrap_or_default();
    let cache = profiles
        .fill("origin.cache", o.cache.map(|w| w.0), |p| p.cache)
        .unwrap_or(CacheMode::Local);
    match (&o.memory, cache) {
        (Some(memory), CacheMode::Shared) => {
            return Err(source.at(
                "origin.memory",
                memory,
                "bounds Next.js's own memory cache, which a shared cache handler (`cache = \"shared\"`) replaces: use `cache = \"local\"`, or remove `memory`",
            ));
        }
        (None, _) => {
            if let Some(disk) = &o.disk {
                return Err(source.at(
                    "origin.disk",
                    disk,
                    "only matters with `memory` (what is evicted from a bounded memory cache): give `memory` a size such as \"50MB\", or remove `disk`",
                ));
            }
            if let Some(read) = &o.disk_read {
                return Err(source.at(
                    "origin.disk_read",
                    read,
                    "only matters with `memory` (entries read back after eviction): give `memory` a size such as \"50MB\", or remove `disk_read`",
                ));
            }
        }
        _ => {}
    }
    let store_lag = lag(source, "store_lag", o.store_lag, cache, profiles, |p| {
        p.store_lag.clone()
    })?;
    let tag_lag = lag(source, "tag_lag", o.tag_lag, cache, profiles, |p| {
        p.tag_lag.clone()
    })?;
    let headers = profiles
        .fill("origin.headers", o.headers.map(|w| w.0), |p| p.headers)
        .unwrap_or_default();
    // Keys written in `[origin.queue]` win one by one over the profile's queue.
    let queue = match &o.queue {
        Some(written) => Some(written.over(profiles.peek(|p| p.queue).unwrap_or_default())),
        None => profiles.fill("origin.queue", None, |p| p.queue),
    };
    Ok(Origin {
        headers,
        queue,
        store_lag,
        tag_lag,
        instances: o.instances.map_or(1, |n| n.0),
        cache,
        lock: o.lock.unwrap_or(false),
        balancer: o.balancer.map_or(Balancer::RoundRobin, |w| w.0),
        expire: o.expire.map_or(NEXT_EXPIRE_TIME, |t| t.0),
        rtt: o.rtt.map_or(SimTime::ZERO, |t| t.0),
        build_age: o.build_age.map_or(SimTime::ZERO, |t| t.0),
        build_spread: o.build_spread.map_or(SimTime::ZERO, |t| t.0),
        memory: o.memory.map(|m| m.into_inner().0),
        disk: o.disk.is_none_or(|d| d.into_inner()),
        disk_read: o.disk_read.map_or(DISK_READ, |t| t.into_inner().0),
    })
}

/// `store_lag` or `tag_lag`: only a shared cache has other instances to reach. A profile's lag is
/// dropped when the file chose local caches.
fn lag(
    source: &Source,
    key: &str,
    written: Option<Spanned<Dist>>,
    cache: CacheMode,
    profiles: &mut Profiles,
    get: impl Fn(&Profile) -> Option<Distribution>,
) -> Result<Option<Distribution>, InputError> {
    match (written, cache) {
        (Some(d), CacheMode::Local) => Err(source.at(
            format!("origin.{key}"),
            &d,
            format!(
                "delays what the other instances see of a shared cache, and each local cache is its own: use `cache = \"shared\"`, or remove `{key}`"
            ),
        )),
        (written, CacheMode::Shared) => Ok(profiles.fill(
            &format!("origin.{key}"),
            written.map(|d| d.into_inner().0),
            get,
        )),
        (None, CacheMode::Local) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse::tests::{MINIMAL, error, line_of, parse_text};
    use crate::time::SimTime;

    #[test]
    fn memory_takes_a_size_and_disk_and_disk_read_their_defaults() {
        let with = |keys: &str| format!("{MINIMAL}\n[origin]\n{keys}\n");
        let plain = parse_text(&with("")).unwrap().origin;
        assert_eq!(plain.memory, None, "unbounded unless given");
        assert_eq!(
            plain.build_spread,
            SimTime::ZERO,
            "one instant unless given"
        );
        let spread = parse_text(&with("build_spread = \"10m\"\nexpire = 3600"))
            .unwrap()
            .origin;
        assert_eq!(spread.build_spread, SimTime::from_secs(600));
        assert_eq!(spread.expire, SimTime::from_secs(3600));
        let o = parse_text(&with("memory = \"50MB\"")).unwrap().origin;
        assert_eq!(o.memory, Some(50_000_000));
        assert!(o.disk);
        assert_eq!(o.disk_read, SimTime::from_millis(1));
        let o = parse_text(&with(
            "memory = \"2MiB\"\ndisk = false\ndisk_read = \"250us\"",
        ))
        .unwrap()
        .origin;
        assert_eq!(o.memory, Some(2 * 1024 * 1024));
        assert!(!o.disk);
        assert_eq!(o.disk_read, SimTime::from_micros(250));
    }

    #[test]
    fn bad_memory_keys_are_named_with_their_line_and_what_is_allowed() {
        let with = |keys: &str| format!("{MINIMAL}\n[origin]\n{keys}\n");
        let text = with("memory = 50");
        let err = error(&text, "origin.memory", line_of(&text, "memory ="));
        assert!(err.message.contains("a size such as"), "{err}");
        let text = with("memory = \"lots\"");
        error(&text, "origin.memory", line_of(&text, "memory ="));
        let text = with("memory = \"50MB\"\ndisk = \"yes\"");
        error(&text, "origin.disk", line_of(&text, "disk ="));
        let text = with("memory = \"50MB\"\ndisk_read = \"-1ms\"");
        error(&text, "origin.disk_read", line_of(&text, "disk_read ="));
        // A shared cache handler replaces Next.js's memory cache.
        let text = with("cache = \"shared\"\nmemory = \"50MB\"");
        let err = error(&text, "origin.memory", line_of(&text, "memory ="));
        assert!(err.message.contains("cache = \"local\""), "{err}");
        // Without `memory` nothing is evicted, so `disk` and `disk_read` would do nothing.
        let text = with("disk = false");
        let err = error(&text, "origin.disk", line_of(&text, "disk ="));
        assert!(err.message.contains("memory"), "{err}");
        let text = with("disk_read = \"2ms\"");
        error(&text, "origin.disk_read", line_of(&text, "disk_read ="));
    }
}
