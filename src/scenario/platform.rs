//! Platforms and CDN products (`[platform] name`, `[cdn] product`): named sets of the parts a
//! scenario can also set one by one, so a user can describe a stack no profile names
//! (docs/platforms.md).
//!
//! A profile only fills in: a key written in the file wins, then the CDN product's profile, then
//! the platform's, then isrsim's default. `Platform::settings` records every value a profile
//! filled in, with where it comes from, for `isrsim validate`.
//!
//! Each value cites its source in `Profile::sources`: the file and release of the platform's
//! open-source adapter (`@opennextjs/aws` 4.2.0, `@opennextjs/cloudflare` 1.20.18,
//! `@netlify/plugin-nextjs` 5.15.12), or the vendor's documentation page and its date (Vercel's
//! ISR docs, Amazon SQS and CloudFront, Cloudflare KV and its changelog, nginx's CHANGES, Varnish's
//! `cache_rfc2616.c`, Fastly). docs/platforms.md has one table per profile (behaviour, value,
//! source), the values that only approximate the real behaviour (SQS's and the Durable Object
//! queue's retry intervals, the Durable Object queue's deduplication as a window), and what no
//! profile models.

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

/// What the platform `name` fills in. Every value and its source: docs/platforms.md.
pub fn platform_profile(name: PlatformName) -> Profile {
    match name {
        PlatformName::NextStart => Profile::default(),
        PlatformName::Vercel => vercel(),
        PlatformName::OpenNextAws => opennext_aws(),
        PlatformName::OpenNextCloudflare => opennext_cloudflare(),
        PlatformName::Netlify => netlify(),
    }
}

/// Vercel: the durable ISR cache of the function's region behind regional CDN caches, which a
/// regeneration updates by itself.
fn vercel() -> Profile {
    Profile {
        cache: Some(CacheMode::Shared),
        collapse: Some(true),
        follows_origin: Some(true),
        propagation: Some(Distribution::Constant(SimTime::from_millis(300))),
        sources: &[
            (
                "origin.cache",
                "Vercel docs, ISR usage and pricing (updated 2026-08-11): durable storage in a \
                 single region, a CDN cache in every region",
            ),
            (
                "cdn.collapse",
                "Vercel docs, request collapsing (read 2026-12-07): one function call per region",
            ),
            (
                "cdn.follows_origin",
                "Next.js 12.1 release post (2022-02-17): on Vercel, revalidation pushes the pages \
                 to the edge",
            ),
            (
                "cdn.propagation",
                "Next.js 12.1 release post (2022-02-17): it propagates globally in about 300ms",
            ),
        ],
        ..Profile::default()
    }
}

/// OpenNext on AWS: S3 behind the server functions, the adapter's header rule, an SQS FIFO queue
/// read by the revalidation function.
fn opennext_aws() -> Profile {
    Profile {
        product: Some(CdnProduct::CloudFront),
        cache: Some(CacheMode::Shared),
        headers: Some(HeaderRule::OpenNextAws),
        queue: Some(RevalidationQueue {
            groups: 10,
            concurrency: 1,
            dedupe_window: SimTime::from_secs(5 * 60),
            timeout: Some(SimTime::from_secs(30)),
            retries: 20,
            backoff: SimTime::from_secs(30),
        }),
        sources: &[
            (
                "cdn.product",
                "opennext.js.org, AWS reference implementation (2026-05-15): the distribution in \
                 front of the server function",
            ),
            (
                "origin.cache",
                "@opennextjs/aws 4.2.0: one S3 incremental cache for every server function, read \
                 after write consistent",
            ),
            (
                "origin.headers",
                "@opennextjs/aws 4.2.0, packages/open-next/src/core/routing/util.ts",
            ),
            (
                "origin.queue",
                "@opennextjs/aws 4.2.0, packages/open-next/src/core/routing/queue.ts (10 groups); \
                 AWS docs, SQS FIFO queue key terms (one message of a group at a time, 5-minute \
                 deduplication); opennext.js.org, AWS reference implementation (a 30 s function \
                 timeout); SQS visibility timeout, 30 s by default, before a failed message \
                 comes back",
            ),
        ],
        ..Profile::default()
    }
}

/// OpenNext on Cloudflare: KV's eventually consistent incremental cache, the header rule of
/// `@opennextjs/aws`, the Durable Object queue.
fn opennext_cloudflare() -> Profile {
    Profile {
        product: Some(CdnProduct::Cloudflare),
        cache: Some(CacheMode::Shared),
        headers: Some(HeaderRule::OpenNextAws),
        store_lag: Some(Distribution::Uniform {
            low: SimTime::ZERO,
            high: SimTime::from_secs(60),
        }),
        queue: Some(RevalidationQueue {
            groups: 10,
            concurrency: 5,
            dedupe_window: SimTime::from_secs(5 * 60),
            timeout: Some(SimTime::from_secs(10)),
            retries: 6,
            backoff: SimTime::from_secs(4),
        }),
        sources: &[
            (
                "cdn.product",
                "Cloudflare docs, Workers Cache (read 2026-12-07): the cache of a Worker's own \
                 responses",
            ),
            (
                "origin.cache",
                "@opennextjs/cloudflare 1.20.18: one incremental cache in KV or R2",
            ),
            (
                "origin.store_lag",
                "opennext.js.org, Cloudflare caching (2026-05-07): KV can take up to 60 seconds \
                 to reflect an update globally",
            ),
            (
                "origin.headers",
                "@opennextjs/cloudflare 1.20.18 routes with @opennextjs/aws 4.2.0, \
                 packages/open-next/src/core/routing/util.ts",
            ),
            (
                "origin.queue",
                "@opennextjs/cloudflare 1.20.18, packages/cloudflare/src/api/durable-objects/\
                 queue.ts: 5 at a time, 10 s, 6 retries 2 s then 8 s to 128 s apart, duplicates \
                 dropped; 10 groups as @opennextjs/aws",
            ),
        ],
        ..Profile::default()
    }
}

/// Netlify: the runtime's blobs cache and header rule, and the durable tier's one function call.
fn netlify() -> Profile {
    Profile {
        cache: Some(CacheMode::Shared),
        headers: Some(HeaderRule::Netlify),
        collapse: Some(true),
        sources: &[
            (
                "origin.cache",
                "@netlify/plugin-nextjs 5.15.12, src/run/handlers/cache.cts: blobs read with \
                 strong consistency",
            ),
            (
                "origin.headers",
                "@netlify/plugin-nextjs 5.15.12, src/run/headers.ts",
            ),
            (
                "cdn.collapse",
                "Netlify blog, announcing durable caching (read 2026-12-07): one function call \
                 per stale page",
            ),
        ],
        ..Profile::default()
    }
}

/// What the CDN product `product` fills in. Every value and its source: docs/platforms.md.
pub fn cdn_profile(product: CdnProduct) -> Profile {
    match product {
        CdnProduct::Generic => Profile::default(),
        CdnProduct::Nginx => Profile {
            clock: Some(SimTime::from_secs(1)),
            honor_swr: Some(true),
            collapse: Some(true),
            sources: &[
                (
                    "cdn.clock",
                    "nginx, src/http/ngx_http_file_cache.c: valid_sec in whole seconds",
                ),
                (
                    "cdn.honor_swr",
                    "nginx 1.11.10 CHANGES (2017-02-14), with proxy_cache_use_stale updating and \
                     proxy_cache_background_update on, as in examples/cdn/nginx.conf",
                ),
                (
                    "cdn.collapse",
                    "nginx docs, proxy_cache_lock on, as in examples/cdn/nginx.conf",
                ),
            ],
            ..Profile::default()
        },
        CdnProduct::Varnish => Profile {
            honor_swr: Some(true),
            collapse: Some(true),
            sources: &[
                (
                    "cdn.honor_swr",
                    "varnish-cache, bin/varnishd/cache/cache_rfc2616.c: the grace period from \
                     stale-while-revalidate, a background fetch within it",
                ),
                (
                    "cdn.collapse",
                    "Varnish users' guide: requests for an object being fetched wait on the fetch",
                ),
            ],
            ..Profile::default()
        },
        CdnProduct::CloudFront => Profile {
            honor_swr: Some(true),
            min_ttl: Some(SimTime::ZERO),
            max_ttl: Some(SimTime::from_secs(31_536_000)),
            collapse: Some(true),
            sources: &[
                (
                    "cdn.honor_swr",
                    "AWS What's New (2023-05-17): stale-while-revalidate honoured",
                ),
                (
                    "cdn.min_ttl",
                    "AWS API reference, cache policy config (read 2026-12-07): minimum TTL 0",
                ),
                (
                    "cdn.max_ttl",
                    "AWS API reference, cache policy config (read 2026-12-07): maximum TTL \
                     31536000 s by default",
                ),
                (
                    "cdn.collapse",
                    "AWS developer guide (read 2026-12-07): one origin request for simultaneous \
                     requests of an object",
                ),
            ],
            ..Profile::default()
        },
        CdnProduct::Fastly => Profile {
            honor_swr: Some(true),
            collapse: Some(true),
            sources: &[
                (
                    "cdn.honor_swr",
                    "Fastly docs, beresp.stale_while_revalidate (read 2026-12-07): read from \
                     Cache-Control by default",
                ),
                (
                    "cdn.collapse",
                    "Fastly docs, request collapsing (read 2026-12-07)",
                ),
            ],
            ..Profile::default()
        },
        CdnProduct::Cloudflare => Profile {
            honor_swr: Some(true),
            collapse: Some(true),
            sources: &[
                (
                    "cdn.honor_swr",
                    "Cloudflare changelog, asynchronous stale-while-revalidate (2026-02-26)",
                ),
                (
                    "cdn.collapse",
                    "Cloudflare changelog (2026-02-26): every request gets the stale copy until \
                     the origin answers",
                ),
            ],
            ..Profile::default()
        },
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

    /// Every profile, named as `validate` names it.
    fn every_profile() -> Vec<(String, Profile)> {
        let platforms = PlatformName::WORDS
            .iter()
            .map(|(w, p)| (format!("platform {w}"), platform_profile(*p)));
        let products = CdnProduct::WORDS
            .iter()
            .map(|(w, p)| (format!("cdn product {w}"), cdn_profile(*p)));
        platforms.chain(products).collect()
    }

    /// The dotted keys `p` sets a value for.
    fn keys_set(p: &Profile) -> Vec<&'static str> {
        let set = [
            ("cdn.product", p.product.is_some()),
            ("origin.cache", p.cache.is_some()),
            ("origin.headers", p.headers.is_some()),
            ("origin.queue", p.queue.is_some()),
            ("origin.store_lag", p.store_lag.is_some()),
            ("origin.tag_lag", p.tag_lag.is_some()),
            ("cdn.collapse", p.collapse.is_some()),
            ("cdn.clock", p.clock.is_some()),
            ("cdn.honor_swr", p.honor_swr.is_some()),
            ("cdn.min_ttl", p.min_ttl.is_some()),
            ("cdn.max_ttl", p.max_ttl.is_some()),
            ("cdn.follows_origin", p.follows_origin.is_some()),
            ("cdn.propagation", p.propagation.is_some()),
        ];
        set.iter().filter(|(_, s)| *s).map(|(k, _)| *k).collect()
    }

    #[test]
    fn every_value_a_profile_sets_names_its_source_and_every_source_a_value() {
        for (name, p) in every_profile() {
            let mut set = keys_set(&p);
            let mut cited: Vec<&str> = p.sources.iter().map(|(k, _)| *k).collect();
            set.sort_unstable();
            cited.sort_unstable();
            assert_eq!(set, cited, "{name}");
            for (key, source) in p.sources {
                // `validate` prints a source as it is, in the file's plain words: no quotes or
                // braces, and no word in camel case (which it keeps for Rust's debug names).
                assert!(source.len() > 20, "{name} {key}: {source}");
                assert!(!source.contains(['"', '{', '}']), "{name} {key}: {source}");
                for word in source.split(|c: char| !c.is_alphanumeric()) {
                    let camel = word.chars().skip(1).any(char::is_uppercase)
                        && word.chars().any(char::is_lowercase);
                    assert!(!camel, "{name} {key}: `{word}` in {source}");
                }
            }
        }
    }

    #[test]
    fn the_cited_numbers() {
        // @opennextjs/aws: MAX_REVALIDATE_CONCURRENCY "10"; SQS FIFO: one message of a group at
        // a time, a 5-minute deduplication interval; the reference revalidation function: 30 s.
        let aws = platform_profile(PlatformName::OpenNextAws).queue.unwrap();
        assert_eq!((aws.groups, aws.concurrency), (10, 1));
        assert_eq!(aws.dedupe_window, SimTime::from_secs(5 * 60));
        assert_eq!(aws.timeout, Some(SimTime::from_secs(30)));
        // @opennextjs/cloudflare's Durable Object queue: DEFAULT_MAX_REVALIDATION 5,
        // DEFAULT_REVALIDATION_TIMEOUT_MS 10_000, DEFAULT_MAX_RETRIES 6.
        let cf = platform_profile(PlatformName::OpenNextCloudflare);
        let q = cf.queue.unwrap();
        assert_eq!((q.groups, q.concurrency, q.retries), (10, 5, 6));
        assert_eq!(q.timeout, Some(SimTime::from_millis(10_000)));
        // Workers KV: up to 60 s.
        assert_eq!(
            cf.store_lag,
            Some(Distribution::Uniform {
                low: SimTime::ZERO,
                high: SimTime::from_secs(60)
            })
        );
        // Both OpenNext adapters answer with fixISRHeaders; Netlify with its own.
        assert_eq!(cf.headers, Some(HeaderRule::OpenNextAws));
        let netlify = platform_profile(PlatformName::Netlify);
        assert_eq!(netlify.headers, Some(HeaderRule::Netlify));
        // Vercel: about 300 ms to every region.
        let vercel = platform_profile(PlatformName::Vercel);
        assert_eq!(vercel.follows_origin, Some(true));
        assert_eq!(
            vercel.propagation,
            Some(Distribution::Constant(SimTime::from_millis(300)))
        );
        // nginx: whole seconds; CloudFront: TTLs within [0, 31,536,000 s].
        assert_eq!(
            cdn_profile(CdnProduct::Nginx).clock,
            Some(SimTime::from_secs(1))
        );
        let cloudfront = cdn_profile(CdnProduct::CloudFront);
        assert_eq!(cloudfront.min_ttl, Some(SimTime::ZERO));
        assert_eq!(cloudfront.max_ttl, Some(SimTime::from_secs(365 * 86_400)));
        // Every named product honours stale-while-revalidate (CloudFront since 2023-05-17,
        // Cloudflare asynchronously since 2026-02-26) and collapses requests.
        for (name, p) in every_profile()
            .into_iter()
            .filter(|(n, _)| n.starts_with("cdn"))
        {
            if name != "cdn product generic" {
                assert_eq!(
                    (p.honor_swr, p.collapse),
                    (Some(true), Some(true)),
                    "{name}"
                );
            }
        }
    }
}
