//! Platforms and CDN products (`[platform] name`, `[cdn] product`): named sets of the parts a
//! scenario can also set one by one, so a user can describe a stack no profile names
//! (docs/platforms.md).
//!
//! A profile only fills in: a key written in the file wins, then the CDN product's profile, then
//! the platform's, then isrsim's default. `Platform::settings` records every value a profile
//! filled in, with where it comes from, for `isrsim validate`.

use std::fmt;

use crate::distribution::Distribution;
use crate::scenario::CacheMode;
use crate::time::SimTime;

/// Where the site runs (`[platform] name`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PlatformName {
    /// `next start` instances, Next.js's own headers: the model without a profile.
    #[default]
    NextStart,
    Vercel,
    OpenNextAws,
    OpenNextCloudflare,
    Netlify,
}

/// The CDN in front of the origin (`[cdn] product`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CdnProduct {
    /// RFC 9111 and RFC 5861 as written: the model without a profile.
    #[default]
    Generic,
    Nginx,
    Varnish,
    CloudFront,
    Fastly,
    Cloudflare,
}

/// What `Cache-Control` the origin sends with each answer (`[origin] headers`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HeaderRule {
    /// Next.js's own: `s-maxage=revalidate, stale-while-revalidate=expire-revalidate` on every
    /// answer.
    #[default]
    Next,
    /// OpenNext on AWS (`fixISRHeaders`): a HIT gets the time left, a STALE two seconds.
    OpenNextAws,
    /// Netlify's runtime: a STALE answer is not cached, a HIT's TTL counts from the entry's last
    /// modification.
    Netlify,
}

impl PlatformName {
    pub const WORDS: &'static [(&'static str, PlatformName)] = &[
        ("next-start", PlatformName::NextStart),
        ("vercel", PlatformName::Vercel),
        ("opennext-aws", PlatformName::OpenNextAws),
        ("opennext-cloudflare", PlatformName::OpenNextCloudflare),
        ("netlify", PlatformName::Netlify),
    ];
}

impl CdnProduct {
    pub const WORDS: &'static [(&'static str, CdnProduct)] = &[
        ("generic", CdnProduct::Generic),
        ("nginx", CdnProduct::Nginx),
        ("varnish", CdnProduct::Varnish),
        ("cloudfront", CdnProduct::CloudFront),
        ("fastly", CdnProduct::Fastly),
        ("cloudflare", CdnProduct::Cloudflare),
    ];
}

impl HeaderRule {
    pub const WORDS: &'static [(&'static str, HeaderRule)] = &[
        ("next", HeaderRule::Next),
        ("opennext-aws", HeaderRule::OpenNextAws),
        ("netlify", HeaderRule::Netlify),
    ];
}

/// How the file writes a keyword.
fn word<T: PartialEq + Copy>(words: &[(&'static str, T)], value: T) -> &'static str {
    words
        .iter()
        .find(|(_, v)| *v == value)
        .map_or("", |(name, _)| name)
}

impl fmt::Display for PlatformName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(word(PlatformName::WORDS, *self))
    }
}

impl fmt::Display for CdnProduct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(word(CdnProduct::WORDS, *self))
    }
}

impl fmt::Display for HeaderRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(word(HeaderRule::WORDS, *self))
    }
}

/// A revalidation queue between a stale lookup and its regeneration (`[origin.queue]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevalidationQueue {
    /// Messages go to one of this many groups, by a hash of the page.
    pub groups: u32,
    /// How many messages of one group run at a time.
    pub concurrency: u32,
    /// A message identical to one sent this recently is dropped (zero: none is).
    pub dedupe_window: SimTime,
    /// A message running longer than this has failed (`None`: no limit).
    pub timeout: Option<SimTime>,
    /// How many times a failed message is sent again.
    pub retries: u32,
    /// The wait before the first retry, doubled for each one after it.
    pub backoff: SimTime,
}

impl Default for RevalidationQueue {
    fn default() -> Self {
        RevalidationQueue {
            groups: 1,
            concurrency: 1,
            dedupe_window: SimTime::ZERO,
            timeout: None,
            retries: 0,
            backoff: SimTime::from_secs(1),
        }
    }
}

impl fmt::Display for RevalidationQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{{ groups = {}, concurrency = {}, dedupe_window = \"{}\", ",
            self.groups, self.concurrency, self.dedupe_window
        )?;
        if let Some(t) = self.timeout {
            write!(f, "timeout = \"{t}\", ")?;
        }
        write!(
            f,
            "retries = {}, backoff = \"{}\" }}",
            self.retries, self.backoff
        )
    }
}

/// What a profile fills in (a field left `None` fills in nothing), and where each value comes
/// from.
#[derive(Clone, Debug, Default)]
pub struct Profile {
    /// The CDN product a platform puts in front by default.
    pub product: Option<CdnProduct>,
    pub cache: Option<CacheMode>,
    pub headers: Option<HeaderRule>,
    pub queue: Option<RevalidationQueue>,
    pub store_lag: Option<Distribution>,
    pub tag_lag: Option<Distribution>,
    pub collapse: Option<bool>,
    pub clock: Option<SimTime>,
    pub honor_swr: Option<bool>,
    pub min_ttl: Option<SimTime>,
    pub max_ttl: Option<SimTime>,
    pub follows_origin: Option<bool>,
    pub propagation: Option<Distribution>,
    /// (dotted key, source) for each value set: the adapter's file and release, or the vendor's
    /// documentation page and its date.
    pub sources: &'static [(&'static str, &'static str)],
}

impl Profile {
    /// The source of `key`'s value.
    pub fn source(&self, key: &str) -> &'static str {
        self.sources
            .iter()
            .find(|(k, _)| *k == key)
            .map_or("", |(_, s)| s)
    }
}

/// What the platform `name` fills in.
pub fn platform_profile(name: PlatformName) -> Profile {
    match name {
        PlatformName::NextStart => Profile::default(),
        PlatformName::Vercel => Profile {
            cache: Some(CacheMode::Shared),
            follows_origin: Some(true),
            propagation: Some(Distribution::Constant(SimTime::from_millis(300))),
            sources: &[
                (
                    "origin.cache",
                    "Vercel docs, Incremental Static Regeneration: a durable cache per region",
                ),
                (
                    "cdn.follows_origin",
                    "Vercel docs, Incremental Static Regeneration: a regeneration updates the cached page",
                ),
                (
                    "cdn.propagation",
                    "Vercel docs, Incremental Static Regeneration: purges propagate in about 300ms",
                ),
            ],
            ..Profile::default()
        },
        PlatformName::OpenNextAws => Profile {
            product: Some(CdnProduct::CloudFront),
            cache: Some(CacheMode::Shared),
            headers: Some(HeaderRule::OpenNextAws),
            queue: Some(RevalidationQueue {
                groups: 10,
                dedupe_window: SimTime::from_secs(300),
                ..RevalidationQueue::default()
            }),
            sources: &[
                (
                    "cdn.product",
                    "OpenNext docs, AWS architecture: CloudFront in front of the server function",
                ),
                (
                    "origin.cache",
                    "@opennextjs/aws: the S3 incremental cache, shared by every server function",
                ),
                (
                    "origin.headers",
                    "@opennextjs/aws 4.2.0, packages/open-next/src/core/routing/util.ts, fixISRHeaders",
                ),
                (
                    "origin.queue",
                    "@opennextjs/aws 4.2.0, SQS FIFO queue: MAX_REVALIDATE_CONCURRENCY groups, SQS's 5-minute deduplication",
                ),
            ],
            ..Profile::default()
        },
        PlatformName::OpenNextCloudflare => Profile {
            product: Some(CdnProduct::Cloudflare),
            cache: Some(CacheMode::Shared),
            headers: Some(HeaderRule::OpenNextAws),
            sources: &[
                (
                    "cdn.product",
                    "@opennextjs/cloudflare: the Worker runs behind Cloudflare's CDN",
                ),
                (
                    "origin.cache",
                    "@opennextjs/cloudflare 1.20.18: the incremental cache in KV or R2, shared",
                ),
                (
                    "origin.headers",
                    "@opennextjs/cloudflare 1.20.18 uses @opennextjs/aws's routing, fixISRHeaders",
                ),
            ],
            ..Profile::default()
        },
        PlatformName::Netlify => Profile {
            cache: Some(CacheMode::Shared),
            headers: Some(HeaderRule::Netlify),
            sources: &[
                (
                    "origin.cache",
                    "@netlify/plugin-nextjs: the blobs cache shared by every function",
                ),
                (
                    "origin.headers",
                    "@netlify/plugin-nextjs, src/run/headers.ts",
                ),
            ],
            ..Profile::default()
        },
    }
}

/// What the CDN product `product` fills in.
pub fn cdn_profile(product: CdnProduct) -> Profile {
    match product {
        CdnProduct::Nginx => Profile {
            clock: Some(SimTime::from_secs(1)),
            sources: &[(
                "cdn.clock",
                "nginx, src/http/ngx_http_file_cache.c: valid_sec in whole seconds",
            )],
            ..Profile::default()
        },
        CdnProduct::Generic
        | CdnProduct::Varnish
        | CdnProduct::CloudFront
        | CdnProduct::Fastly
        | CdnProduct::Cloudflare => Profile::default(),
    }
}

/// The scenario's platform and CDN product, and what their profiles filled in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Platform {
    pub name: PlatformName,
    pub product: CdnProduct,
    pub settings: Vec<Setting>,
}

/// One value a profile filled in: `key = value`, set by `by`, from `source`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The dotted key, as the file would write it (`origin.headers`).
    pub key: String,
    /// The value, as the file would write it.
    pub value: String,
    /// `platform "opennext-aws"` or `cdn product "nginx"`.
    pub by: String,
    pub source: String,
}

/// The profiles that fill in a scenario's keys, most specific first, and the settings they
/// have filled in so far.
pub struct Profiles {
    layers: Vec<(String, Profile)>,
    product: CdnProduct,
    pub settings: Vec<Setting>,
}

impl Profiles {
    /// The profiles of `platform` and of the CDN product: the one `written` in the file, else
    /// the platform's, else `generic`. The product's profile comes first: its CDN keys win over
    /// the platform's. `cdn`: whether the scenario has a CDN at all (without one, no CDN key is
    /// filled in).
    pub fn new(platform: PlatformName, written: Option<CdnProduct>, cdn: bool) -> Profiles {
        let platform_profile = platform_profile(platform);
        let by = format!("platform \"{platform}\"");
        let mut settings = Vec::new();
        let product = match (written, platform_profile.product) {
            (Some(p), _) => p,
            (None, Some(p)) if cdn => {
                settings.push(Setting {
                    key: "cdn.product".to_string(),
                    value: format!("\"{p}\""),
                    by: by.clone(),
                    source: platform_profile.source("cdn.product").to_string(),
                });
                p
            }
            (None, _) => CdnProduct::Generic,
        };
        Profiles {
            layers: vec![
                (format!("cdn product \"{product}\""), cdn_profile(product)),
                (by, platform_profile),
            ],
            product,
            settings,
        }
    }

    /// The CDN product whose profile applies.
    pub fn product(&self) -> CdnProduct {
        self.product
    }

    /// The value of `key`: as `written` in the file, else from the first profile that sets it
    /// (recorded in `settings`), else `None`.
    pub fn fill<T: Clone + fmt::Display>(
        &mut self,
        key: &str,
        written: Option<T>,
        get: impl Fn(&Profile) -> Option<T>,
    ) -> Option<T> {
        if written.is_some() {
            return written;
        }
        let (by, profile, value) = self
            .layers
            .iter()
            .find_map(|(by, p)| get(p).map(|v| (by, p, v)))?;
        let shown = value.to_string();
        self.settings.push(Setting {
            key: key.to_string(),
            value: match shown.parse::<f64>() {
                Ok(_) => shown,
                Err(_) if shown == "true" || shown == "false" || shown.starts_with('{') => shown,
                Err(_) => format!("\"{shown}\""),
            },
            by: by.clone(),
            source: profile.source(key).to_string(),
        });
        Some(value)
    }

    /// The value the first profile that sets it gives, without recording it.
    pub fn peek<T>(&self, get: impl Fn(&Profile) -> Option<T>) -> Option<T> {
        self.layers.iter().find_map(|(_, p)| get(p))
    }

    /// Forgets a setting filled in for `key` (a value the file's other keys make moot).
    pub fn forget(&mut self, key: &str) {
        self.settings.retain(|s| s.key != key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_key_wins_and_the_product_beats_the_platform() {
        let mut p = Profiles::new(PlatformName::OpenNextAws, Some(CdnProduct::Nginx), true);
        assert_eq!(p.product(), CdnProduct::Nginx);
        assert_eq!(
            p.fill("origin.headers", Some(HeaderRule::Next), |p| p.headers),
            Some(HeaderRule::Next)
        );
        assert!(p.settings.is_empty(), "a written key is not a setting");
        assert_eq!(
            p.fill("origin.headers", None, |p| p.headers),
            Some(HeaderRule::OpenNextAws)
        );
        assert_eq!(
            p.fill("cdn.clock", None, |p| p.clock),
            Some(SimTime::from_secs(1))
        );
        assert_eq!(p.fill("cdn.min_ttl", None, |p| p.min_ttl), None);
        let keys: Vec<_> = p
            .settings
            .iter()
            .map(|s| (s.key.as_str(), s.by.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                ("origin.headers", "platform \"opennext-aws\""),
                ("cdn.clock", "cdn product \"nginx\"")
            ]
        );
        assert_eq!(p.settings[0].value, "\"opennext-aws\"");
        assert!(!p.settings[0].source.is_empty());
    }

    #[test]
    fn a_platform_names_its_product_only_in_front_of_a_cdn() {
        let p = Profiles::new(PlatformName::OpenNextAws, None, true);
        assert_eq!(p.product(), CdnProduct::CloudFront);
        assert_eq!(p.settings[0].key, "cdn.product");
        let p = Profiles::new(PlatformName::OpenNextAws, None, false);
        assert_eq!(p.product(), CdnProduct::Generic);
        assert!(p.settings.is_empty());
    }

    #[test]
    fn next_start_and_generic_fill_in_nothing() {
        let np = platform_profile(PlatformName::NextStart);
        let gp = cdn_profile(CdnProduct::Generic);
        for p in [np, gp] {
            assert!(p.sources.is_empty());
            assert!(p.headers.is_none() && p.queue.is_none() && p.clock.is_none());
        }
    }
}
