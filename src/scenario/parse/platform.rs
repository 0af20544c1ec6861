//! `[platform]` (`name`), and the keywords and tables of the parts a platform's profile fills in:
//! `[origin] headers`, `[origin.queue]`, `[cdn] product` (docs/platforms.md).

use serde::Deserialize;

use super::values::{Count, Delay, Interval, Keyword, Retries, Word};
use crate::scenario::platform::{CdnProduct, HeaderRule, PlatformName, RevalidationQueue};

impl Keyword for PlatformName {
    const WORDS: &'static [(&'static str, Self)] = PlatformName::WORDS;
}

impl Keyword for CdnProduct {
    const WORDS: &'static [(&'static str, Self)] = CdnProduct::WORDS;
}

impl Keyword for HeaderRule {
    const WORDS: &'static [(&'static str, Self)] = HeaderRule::WORDS;
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPlatform {
    pub(super) name: Option<Word<PlatformName>>,
}

/// `[origin.queue]` as written: each key left out is the profile's, else the default.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawQueue {
    groups: Option<Count>,
    concurrency: Option<Count>,
    dedupe_window: Option<Delay>,
    timeout: Option<Interval>,
    retries: Option<Retries>,
    backoff: Option<Interval>,
}

impl RawQueue {
    /// The queue with the keys written here over `base` (a profile's queue, or the default).
    pub(super) fn over(&self, base: RevalidationQueue) -> RevalidationQueue {
        RevalidationQueue {
            groups: self.groups.map_or(base.groups, |c| c.0),
            concurrency: self.concurrency.map_or(base.concurrency, |c| c.0),
            dedupe_window: self.dedupe_window.map_or(base.dedupe_window, |d| d.0),
            timeout: self.timeout.map(|t| t.0).or(base.timeout),
            retries: self.retries.map_or(base.retries, |r| r.0),
            backoff: self.backoff.map_or(base.backoff, |b| b.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::distribution::Distribution;
    use crate::scenario::parse::tests::{MINIMAL, error, line_of, parse_text};
    use crate::scenario::platform::{CdnProduct, HeaderRule, PlatformName, RevalidationQueue};
    use crate::scenario::{CacheMode, Scenario};
    use crate::time::SimTime;

    fn with(tables: &str) -> String {
        format!("{MINIMAL}\n{tables}\n")
    }

    fn parse(tables: &str) -> Scenario {
        parse_text(&with(tables)).unwrap()
    }

    #[test]
    fn without_a_platform_nothing_changes() {
        let s = parse("[cdn]\npops = 2");
        assert_eq!(s.platform.name, PlatformName::NextStart);
        assert_eq!(s.platform.product, CdnProduct::Generic);
        assert!(s.platform.settings.is_empty());
        let (o, c) = (&s.origin, s.cdn.as_ref().unwrap());
        assert_eq!(o.headers, HeaderRule::Next);
        assert_eq!((o.queue, &o.store_lag, &o.tag_lag), (None, &None, &None));
        assert_eq!(o.cache, CacheMode::Local);
        assert_eq!(
            (c.clock, c.honor_swr, c.min_ttl, c.max_ttl),
            (SimTime::ZERO, true, SimTime::ZERO, None)
        );
        assert!(!c.follows_origin && c.collapse);
    }

    #[test]
    fn every_new_key_is_read() {
        let s = parse(
            "[origin]\ncache = \"shared\"\nheaders = \"netlify\"\nstore_lag = \"2s\"\ntag_lag = { uniform = [\"0s\", \"1s\"] }\n\
             [origin.queue]\ngroups = 10\nconcurrency = 2\ndedupe_window = \"5m\"\ntimeout = \"30s\"\nretries = 3\nbackoff = \"2s\"\n\
             [cdn]\nproduct = \"fastly\"\ncollapse = true\nclock = \"1s\"\nhonor_swr = false\nmin_ttl = 10\nmax_ttl = \"1h\"\nfollows_origin = true\npropagation = \"300ms\"",
        );
        let (o, c) = (&s.origin, s.cdn.as_ref().unwrap());
        assert_eq!(o.headers, HeaderRule::Netlify);
        assert_eq!(
            o.store_lag,
            Some(Distribution::Constant(SimTime::from_secs(2)))
        );
        assert!(o.tag_lag.is_some());
        assert_eq!(
            o.queue,
            Some(RevalidationQueue {
                groups: 10,
                concurrency: 2,
                dedupe_window: SimTime::from_secs(300),
                timeout: Some(SimTime::from_secs(30)),
                retries: 3,
                backoff: SimTime::from_secs(2),
            })
        );
        assert_eq!(c.product, CdnProduct::Fastly);
        assert_eq!(c.clock, SimTime::from_secs(1));
        assert!(!c.honor_swr && c.follows_origin);
        assert_eq!(
            (c.min_ttl, c.max_ttl),
            (SimTime::from_secs(10), Some(SimTime::from_secs(3600)))
        );
        assert_eq!(
            c.propagation,
            Distribution::Constant(SimTime::from_millis(300))
        );
        assert!(s.platform.settings.is_empty(), "nothing was filled in");
    }

    #[test]
    fn a_profile_fills_in_what_the_file_leaves_out() {
        let s = parse(
            "[platform]\nname = \"opennext-aws\"\n[cdn]\npops = 2\n[origin.queue]\nconcurrency = 3",
        );
        assert_eq!(s.platform.product, CdnProduct::CloudFront);
        assert_eq!(s.origin.headers, HeaderRule::OpenNextAws);
        assert_eq!(s.origin.cache, CacheMode::Shared);
        let q = s.origin.queue.unwrap();
        assert_eq!(
            (q.groups, q.concurrency),
            (10, 3),
            "the written key wins, the rest is the profile's"
        );
        let keys: Vec<_> = s.platform.settings.iter().map(|s| s.key.as_str()).collect();
        assert!(
            keys.contains(&"origin.headers") && keys.contains(&"cdn.product"),
            "{keys:?}"
        );
        assert!(!keys.contains(&"origin.queue"), "the file wrote the queue");
        let s = parse(
            "[platform]\nname = \"opennext-aws\"\n[origin]\nheaders = \"next\"\ncache = \"local\"",
        );
        assert_eq!(s.origin.headers, HeaderRule::Next);
        assert_eq!(s.origin.cache, CacheMode::Local);
        let s = parse("[platform]\nname = \"vercel\"\n[cdn]\npops = 2");
        let c = s.cdn.unwrap();
        assert!(c.follows_origin);
        assert_eq!(
            c.propagation,
            Distribution::Constant(SimTime::from_millis(300))
        );
        let s = parse("[platform]\nname = \"vercel\"\n[cdn]\nfollows_origin = false");
        assert!(!s.cdn.unwrap().follows_origin);
        assert!(
            s.platform
                .settings
                .iter()
                .all(|s| s.key != "cdn.propagation")
        );
        let s = parse("[cdn]\nproduct = \"nginx\"");
        assert_eq!(s.cdn.unwrap().clock, SimTime::from_secs(1));
    }

    #[test]
    fn bad_keys_are_named_with_their_line_and_what_is_allowed() {
        let text = with("[platform]\nname = \"heroku\"");
        let err = error(&text, "platform.name", line_of(&text, "heroku"));
        assert!(err.message.contains("`opennext-aws`"), "{err}");
        let text = with("[platform]\nregion = \"eu\"");
        error(&text, "platform.region", line_of(&text, "region"));
        let text = with("[origin]\nheaders = \"vercel\"");
        let err = error(&text, "origin.headers", line_of(&text, "headers ="));
        assert!(err.message.contains("`netlify`"), "{err}");
        let text = with("[origin]\nstore_lag = \"1s\"");
        let err = error(&text, "origin.store_lag", line_of(&text, "store_lag"));
        assert!(err.message.contains("cache = \"shared\""), "{err}");
        let text = with("[origin.queue]\ngroups = 0");
        error(&text, "origin.queue.groups", line_of(&text, "groups"));
        let text = with("[origin.queue]\nretries = 99");
        error(&text, "origin.queue.retries", line_of(&text, "retries"));
        let text = with("[origin.queue]\nbatch = 3");
        error(&text, "origin.queue.batch", line_of(&text, "batch"));
        let text = with("[cdn]\nproduct = \"akamai\"");
        let err = error(&text, "cdn.product", line_of(&text, "akamai"));
        assert!(err.message.contains("`cloudfront`"), "{err}");
        let text = with("[cdn]\nmin_ttl = 60\nmax_ttl = 30");
        let err = error(&text, "cdn.max_ttl", line_of(&text, "max_ttl"));
        assert!(err.message.contains("min_ttl"), "{err}");
        let text = with("[cdn]\npropagation = \"1s\"");
        let err = error(&text, "cdn.propagation", line_of(&text, "propagation"));
        assert!(err.message.contains("follows_origin = true"), "{err}");
        let text = with("[cdn]\nclock = 1");
        error(&text, "cdn.clock", line_of(&text, "clock"));
    }
}
