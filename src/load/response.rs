//! Reading a site's response: the page marker, the origin's and the CDN's layers, and the
//! `Cache-Control` the site sends (docs/load.md, "Response headers isrsim reads" and "What is
//! measured").
//!
//! - The marker `isrsim:{route}:{page}:{version}` may sit anywhere in the body; it is found with
//!   a substring search, never by parsing HTML, and only the marker of the requested page counts
//!   (a list page may carry its posts' markers too).
//! - Each layer, the CDN and the origin, is read as isrsim's `HIT` (answered from that cache,
//!   fresh or revalidated), `STALE` (answered from it past its freshness, refreshed in the
//!   background) or `MISS` (the request went on: absent, expired, bypassed), by the tables below,
//!   one per header. Only `HIT` and `STALE` at the CDN count as answered by the CDN
//!   (`cdn_hit_ratio`, `origin_requests`); a value a table does not name says nothing of either
//!   layer. Every value is matched whole and in any case.
//!
//! The origin's layer, from the first of these the response carries:
//!
//! | header | value | origin | source |
//! | --- | --- | --- | --- |
//! | `x-nextjs-cache` | `HIT`, `STALE`, `MISS` | same | Next.js `packages/next/src/server/base-server.ts` (the response cache's state) |
//! | `x-nextjs-cache` | `REVALIDATED` | `MISS` | the same: the answer to an on-demand revalidation, rendered for it |
//! | `x-opennext-cache` | `HIT`, `STALE` | same | OpenNext `packages/open-next/src/core/routing/cacheInterceptor.ts` (4.x; set instead of `x-nextjs-cache` when OpenNext answers from its cache without Next.js; OpenNext passes Next.js's `x-nextjs-cache` through otherwise, `routing/util.ts`) |
//! | `x-opennext-cache` | `ERROR` | none | the same (`revalidate = 0`, "should never happen") |
//! | `Cache-Status` member `"Next.js"` | `hit` / `hit; fwd=stale` / `fwd=miss` | `HIT` / `STALE` / `MISS` | `@netlify/plugin-nextjs` `src/run/headers.ts` (`setCacheStatusHeader`, which removes `x-nextjs-cache`) |
//! | `x-vercel-cache` | `PRERENDER` / `REVALIDATED` | `HIT` / `MISS` | Vercel (below) |
//!
//! The CDN's layer, from the header `--cdn-header` names, or else the first of `CDN_HEADERS`
//! the response carries (the scenario's platform or CDN product puts its own first,
//! [`own_header`]); with none, `Age > 0` is a `HIT` (RFC 9111 §5.1: a response with an age came
//! from a cache):
//!
//! | header | `HIT` | `STALE` | `MISS` | source |
//! | --- | --- | --- | --- | --- |
//! | `x-cache-status` (nginx's `$upstream_cache_status`, as examples/cdn/nginx.conf sends it) | `HIT`, `REVALIDATED` | `STALE`, `UPDATING` | `MISS`, `EXPIRED`, `BYPASS` | nginx `ngx_http_upstream_module` docs, `$upstream_cache_status` |
//! | `x-cache`: Varnish (examples/cdn/varnish.vcl), Fastly, CloudFront; comma-separated entries, each read by its first word | `HIT`, `RefreshHit` | `STALE` | `MISS`, `PASS` | Fastly's `X-Cache` reference ("any entries in this header except MISS indicate that the request was satisfied from cache"; stale hits report `HIT`); CloudFront's `x-edge-result-type` (Standard logging reference: `Hit`, `RefreshHit`, `Miss`; `Error`, `LimitExceeded`, `CapacityExceeded`, `Redirect` say nothing of the cache) |
//! | `cf-cache-status` (Cloudflare) | `HIT`, `REVALIDATED` | `STALE`, `UPDATING` | `MISS`, `EXPIRED`, `BYPASS`, `DYNAMIC` | Cloudflare docs, "Cloudflare cache responses" (`NONE/UNKNOWN`: a Worker or a rule answered, no cache) |
//! | `x-vercel-cache` (Vercel) | `HIT` | `STALE` | `MISS`, `BYPASS`, `PRERENDER`, `REVALIDATED` | Vercel docs, "Response headers" (updated 2026-02-09) and "Cache Status and Reasons" (2026-09-15): `PRERENDER` is "served from static storage", `REVALIDATED` "served from origin" after an on-demand invalidation |
//! | `Cache-Status` (RFC 9211, Netlify) | a CDN member with `hit` | with `hit` and `fwd=stale` or a negative `ttl` | no CDN member with `hit` | RFC 9211 §2; Netlify's "Netlify Edge" and "Netlify Durable" tiers (docs, "Cache status"; blog, "Gain better insights into edge caching behavior on Netlify") |
//!
//! `Cache-Status` lists one member per cache, the origin's side first (RFC 9211 §2): every
//! member but `"Next.js"` is a tier of the CDN, and the member nearest the user with `hit` is the
//! tier that answered (`"Netlify Edge"; fwd=miss` after `"Netlify Durable"; hit` is a `HIT`
//! from the durable tier). A value that is not a valid Structured Fields List is ignored whole
//! (RFC 8941 §4.2), and a `Cache-Status` with no CDN member does not name the CDN's layer. In
//! `x-cache`, the entry nearest the user (the last) that answered from the cache names the
//! layer (Fastly with shielding: `MISS, HIT`).

use hyper::HeaderMap;
use memchr::memmem;

use super::cache_status::{self, Member};
use crate::scenario::{CdnProduct, PlatformName};
use Status::{Hit, Miss, Stale};

/// The markers of one route's pages: `isrsim:{route}:` searched for with a finder built once per
/// route, so reading a response allocates nothing.
pub struct Marker {
    prefix: memmem::Finder<'static>,
}

impl Marker {
    pub fn new(route: &str) -> Marker {
        Marker {
            prefix: memmem::Finder::new(format!("isrsim:{route}:").as_bytes()).into_owned(),
        }
    }

    /// The version the marker of page `page` names in `body`, if the body carries it.
    pub fn version(&self, body: &[u8], page: u32) -> Option<u32> {
        let len = self.prefix.needle().len();
        self.prefix.find_iter(body).find_map(|at| {
            let (index, rest) = number(&body[at + len..])?;
            let rest = rest
                .strip_prefix(b":")
                .filter(|_| index == u64::from(page))?;
            number(rest).and_then(|(version, _)| u32::try_from(version).ok())
        })
    }
}

/// The whole number at the start of `text`, and what follows it.
fn number(text: &[u8]) -> Option<(u64, &[u8])> {
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    let value = std::str::from_utf8(&text[..digits]).ok()?.parse().ok()?;
    Some((value, &text[digits..]))
}

/// A cache's answer, in isrsim's layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Answered from the cache, fresh (or revalidated with the origin).
    Hit,
    /// Answered from the cache past its freshness, refreshed in the background.
    Stale,
    /// The request went on past the cache.
    Miss,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Hit => "HIT",
            Status::Stale => "STALE",
            Status::Miss => "MISS",
        }
    }
}

/// One value a header may carry, and what it says of the CDN's layer and of the origin's.
struct Meaning {
    value: &'static str,
    cdn: Option<Status>,
    origin: Option<Status>,
}

const fn cdn(value: &'static str, status: Status) -> Meaning {
    Meaning {
        value,
        cdn: Some(status),
        origin: None,
    }
}

const fn origin(value: &'static str, status: Option<Status>) -> Meaning {
    Meaning {
        value,
        cdn: None,
        origin: status,
    }
}

const fn silent(value: &'static str) -> Meaning {
    origin(value, None)
}

/// How a header's value is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Grammar {
    /// The whole value is one word.
    Word,
    /// Comma-separated entries, each read by its first word; the entry nearest the user (the
    /// last) that answered from the cache names the layer.
    Entries,
    /// RFC 9211's `Cache-Status` (`cache_status`).
    CacheStatus,
}

/// A header isrsim reads, and its values (the tables of the module's header).
pub struct Vocabulary {
    pub header: &'static str,
    grammar: Grammar,
    meanings: &'static [Meaning],
}

const NEXTJS: Vocabulary = Vocabulary {
    header: "x-nextjs-cache",
    grammar: Grammar::Word,
    meanings: &[
        origin("HIT", Some(Hit)),
        origin("STALE", Some(Stale)),
        origin("MISS", Some(Miss)),
        origin("REVALIDATED", Some(Miss)),
    ],
};

const OPENNEXT: Vocabulary = Vocabulary {
    header: "x-opennext-cache",
    grammar: Grammar::Word,
    meanings: &[
        origin("HIT", Some(Hit)),
        origin("STALE", Some(Stale)),
        silent("ERROR"),
    ],
};

const NGINX: Vocabulary = Vocabulary {
    header: "x-cache-status",
    grammar: Grammar::Word,
    meanings: &[
        cdn("HIT", Hit),
        cdn("REVALIDATED", Hit),
        cdn("STALE", Stale),
        cdn("UPDATING", Stale),
        cdn("MISS", Miss),
        cdn("EXPIRED", Miss),
        cdn("BYPASS", Miss),
    ],
};

const X_CACHE: Vocabulary = Vocabulary {
    header: "x-cache",
    grammar: Grammar::Entries,
    meanings: &[
        cdn("HIT", Hit),
        cdn("REFRESHHIT", Hit),
        cdn("STALE", Stale),
        cdn("MISS", Miss),
        cdn("PASS", Miss),
        silent("ERROR"),
        silent("LIMITEXCEEDED"),
        silent("CAPACITYEXCEEDED"),
        silent("REDIRECT"),
    ],
};

const CLOUDFLARE: Vocabulary = Vocabulary {
    header: "cf-cache-status",
    grammar: Grammar::Word,
    meanings: &[
        cdn("HIT", Hit),
        cdn("REVALIDATED", Hit),
        cdn("STALE", Stale),
        cdn("UPDATING", Stale),
        cdn("MISS", Miss),
        cdn("EXPIRED", Miss),
        cdn("BYPASS", Miss),
        cdn("DYNAMIC", Miss),
        silent("NONE/UNKNOWN"),
    ],
};

const VERCEL: Vocabulary = Vocabulary {
    header: "x-vercel-cache",
    grammar: Grammar::Word,
    meanings: &[
        cdn("HIT", Hit),
        cdn("STALE", Stale),
        cdn("MISS", Miss),
        cdn("BYPASS", Miss),
        Meaning {
            value: "PRERENDER",
            cdn: Some(Miss),
            origin: Some(Hit),
        },
        Meaning {
            value: "REVALIDATED",
            cdn: Some(Miss),
            origin: Some(Miss),
        },
    ],
};

const CACHE_STATUS: Vocabulary = Vocabulary {
    header: "cache-status",
    grammar: Grammar::CacheStatus,
    meanings: &[],
};

/// A header `--cdn-header` names that isrsim has no table for: the words of every table, as
/// entries (`HIT, MISS` is a `HIT`), plus Squid's `TCP_HIT` and `TCP_MEM_HIT`.
const ANY: &[Meaning] = &[
    cdn("HIT", Hit),
    cdn("REVALIDATED", Hit),
    cdn("REFRESHHIT", Hit),
    cdn("TCP_HIT", Hit),
    cdn("TCP_MEM_HIT", Hit),
    cdn("STALE", Stale),
    cdn("UPDATING", Stale),
    cdn("MISS", Miss),
    cdn("EXPIRED", Miss),
    cdn("BYPASS", Miss),
    cdn("PASS", Miss),
    cdn("DYNAMIC", Miss),
];

/// The CDN's cache-status headers, in the order they are read unless `--cdn-header` names one.
pub const CDN_HEADERS: [&str; 5] = [
    "x-cache-status",
    "x-cache",
    "cf-cache-status",
    "x-vercel-cache",
    "cache-status",
];

const CDN_VOCABULARIES: [&Vocabulary; 5] = [&NGINX, &X_CACHE, &CLOUDFLARE, &VERCEL, &CACHE_STATUS];

/// The name `Cache-Status` gives Next.js's own cache on Netlify (`@netlify/plugin-nextjs`
/// `src/run/headers.ts`): the origin's layer; every other member is a tier of the CDN.
const NEXTJS_MEMBER: &str = "Next.js";

/// What a response says of its layers, borrowed from its headers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Layers<'a> {
    /// The origin's layer, if a header named it.
    pub origin: Option<Status>,
    /// The CDN's layer, if a header named it (or `Age > 0`: `HIT`).
    pub cdn: Option<Status>,
    /// The header the origin's layer was read from, as sent.
    pub origin_text: Option<&'a str>,
    /// The CDN's cache-status header, as sent, or `AGE` when only `Age` told.
    pub cdn_text: Option<&'a str>,
}

impl Layers<'_> {
    /// Whether the CDN answered from its cache (`HIT` or `STALE` there).
    pub fn from_cdn(&self) -> bool {
        matches!(self.cdn, Some(Hit | Stale))
    }
}

/// How a load test reads the layers: which headers, in which order. Built once per run.
pub struct Reader {
    /// `--cdn-header`: its name, lower-cased, and how it is read.
    named: Option<(String, Grammar, &'static [Meaning])>,
    /// The CDN's headers, in the order they are tried.
    order: [&'static Vocabulary; 5],
}

impl Reader {
    /// `cdn_header` is `--cdn-header`, if given; `first` a header of `CDN_HEADERS` to try before
    /// the others (the platform's own, [`own_header`]).
    pub fn new(cdn_header: Option<&str>, first: Option<&str>) -> Reader {
        let named = cdn_header.map(|name| {
            let name = name.trim().to_ascii_lowercase();
            match CDN_VOCABULARIES.iter().find(|v| v.header == name) {
                Some(v) => (name, v.grammar, v.meanings),
                None => (name, Grammar::Entries, ANY),
            }
        });
        let mut order = CDN_VOCABULARIES;
        if let Some(at) = first.and_then(|f| order.iter().position(|v| v.header == f)) {
            order[..=at].rotate_right(1);
        }
        Reader { named, order }
    }

    /// The headers tried for the CDN's layer, in order.
    pub fn cdn_headers(&self) -> Vec<&str> {
        match &self.named {
            Some((name, ..)) => vec![name.as_str()],
            None => self.order.iter().map(|v| v.header).collect(),
        }
    }

    /// Reads the layers of a response. Allocates nothing.
    pub fn layers<'h>(&self, headers: &'h HeaderMap) -> Layers<'h> {
        let text = |name: &str| {
            (headers.get(name))
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let mut layers = Layers::default();
        for vocabulary in [&NEXTJS, &OPENNEXT] {
            if let Some(value) = text(vocabulary.header) {
                layers.origin = read(vocabulary.grammar, vocabulary.meanings, value).1;
                layers.origin_text = Some(value);
                break;
            }
        }
        if layers.origin_text.is_none()
            && let Some(value) = text(CACHE_STATUS.header)
            && let Some(origin) = netlify_origin(value)
        {
            layers.origin = Some(origin);
            layers.origin_text = Some(value);
        }
        let found = match &self.named {
            Some((name, grammar, meanings)) => {
                text(name).map(|value| (value, read(*grammar, meanings, value)))
            }
            None => self.order.iter().find_map(|v| {
                let value = text(v.header)?;
                let read = read(v.grammar, v.meanings, value);
                // A `Cache-Status` without a CDN member (or not a valid List) says nothing of
                // the CDN, and the next header is read.
                (v.grammar != Grammar::CacheStatus || read.0.is_some()).then_some((value, read))
            }),
        };
        match found {
            Some((value, (cdn, origin))) => {
                layers.cdn = cdn;
                layers.cdn_text = Some(value);
                if layers.origin_text.is_none() && origin.is_some() {
                    layers.origin = origin;
                    layers.origin_text = Some(value);
                }
            }
            None => {
                let aged = text("age").and_then(|a| a.parse::<u64>().ok());
                if aged.is_some_and(|a| a > 0) {
                    (layers.cdn, layers.cdn_text) = (Some(Hit), Some("AGE"));
                }
            }
        }
        layers
    }
}

/// The header a platform's or a CDN product's responses carry their cache status in, tried
/// first: the product's (the scenario's `[cdn] product`, or the platform's default), else the
/// platform's own CDN's.
pub fn own_header(platform: PlatformName, product: CdnProduct) -> Option<&'static str> {
    match (product, platform) {
        (CdnProduct::Nginx, _) => Some("x-cache-status"),
        (CdnProduct::Varnish | CdnProduct::Fastly | CdnProduct::CloudFront, _) => Some("x-cache"),
        (CdnProduct::Cloudflare, _) => Some("cf-cache-status"),
        (CdnProduct::Generic, PlatformName::Vercel) => Some("x-vercel-cache"),
        (CdnProduct::Generic, PlatformName::Netlify) => Some("cache-status"),
        (CdnProduct::Generic, PlatformName::OpenNextAws) => Some("x-cache"),
        (CdnProduct::Generic, PlatformName::OpenNextCloudflare) => Some("cf-cache-status"),
        (CdnProduct::Generic, PlatformName::NextStart) => None,
    }
}

/// The meaning of `word` in `meanings`, in any case.
fn meaning<'m>(meanings: &'m [Meaning], word: &str) -> Option<&'m Meaning> {
    meanings.iter().find(|m| m.value.eq_ignore_ascii_case(word))
}

/// What `value` says of the CDN's layer and of the origin's.
fn read(grammar: Grammar, meanings: &[Meaning], value: &str) -> (Option<Status>, Option<Status>) {
    match grammar {
        Grammar::Word => meaning(meanings, value).map_or((None, None), |m| (m.cdn, m.origin)),
        Grammar::Entries => {
            let mut cdn = None;
            for entry in value.rsplit(',') {
                let word = entry.split_whitespace().next().unwrap_or("");
                match meaning(meanings, word).and_then(|m| m.cdn) {
                    Some(status @ (Hit | Stale)) => return (Some(status), None),
                    Some(Miss) => cdn = Some(Miss),
                    None => {}
                }
            }
            (cdn, None)
        }
        Grammar::CacheStatus => (netlify_cdn(value), None),
    }
}

/// A `Cache-Status` member's answer: `hit` is a `HIT`, or a `STALE` with `fwd=stale` or a
/// negative `ttl` (RFC 9211 §2.1, §2.2, §2.5); without `hit`, a `MISS`.
fn member_status(member: &Member<'_>) -> Status {
    match member.hit {
        true if member.fwd == Some("stale") || member.ttl.is_some_and(|t| t < 0) => Stale,
        true => Hit,
        false => Miss,
    }
}

/// The CDN's layer in a `Cache-Status` value: the tier nearest the user with `hit`, else a
/// `MISS`; `None` without a CDN member or for a value that is not a valid List.
fn netlify_cdn(value: &str) -> Option<Status> {
    let mut cdn = None;
    for member in cache_status::members(value)?.flatten() {
        if member.name == NEXTJS_MEMBER {
            continue;
        }
        // Nearer the user, a tier that forwarded leaves the farther tier's answer standing.
        let status = member_status(&member);
        if status != Miss || cdn.is_none() {
            cdn = Some(status);
        }
    }
    cdn
}

/// The origin's layer in a `Cache-Status` value: its `"Next.js"` member's answer.
fn netlify_origin(value: &str) -> Option<Status> {
    (cache_status::members(value)?.flatten())
        .find(|m| m.name == NEXTJS_MEMBER)
        .map(|m| member_status(&m))
}

/// The `s-maxage` (or, without it, `max-age`) of a `Cache-Control` value, in seconds.
pub fn shared_max_age(cache_control: &str) -> Option<u64> {
    let mut max_age = None;
    for directive in cache_control.split(',') {
        let (name, value) = directive
            .trim()
            .split_once('=')
            .unwrap_or((directive.trim(), ""));
        let value = value.trim().trim_matches('"').parse::<u64>().ok();
        match name.trim().to_ascii_lowercase().as_str() {
            "s-maxage" => return value,
            "max-age" => max_age = value,
            _ => {}
        }
    }
    max_age
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::{Hit, Miss, Stale};
    use hyper::header::HeaderValue;

    fn marker_version(body: &[u8], route: &str, page: u32) -> Option<u32> {
        Marker::new(route).version(body, page)
    }

    #[test]
    fn the_marker_of_the_requested_page_only() {
        let body = b"<a>isrsim:posts:1:9</a><meta name=\"isrsim\" content=\"isrsim:posts:17:3\">";
        assert_eq!(marker_version(body, "posts", 17), Some(3));
        assert_eq!(marker_version(body, "posts", 1), Some(9));
        assert_eq!(marker_version(body, "posts", 7), None, "17 is not 7");
        assert_eq!(
            marker_version(b"isrsim:posts:170:2", "posts", 17),
            None,
            "nor 170"
        );
        assert_eq!(marker_version(body, "lists", 17), None);
        assert_eq!(marker_version(b"isrsim:posts:17:", "posts", 17), None);
        assert_eq!(
            marker_version(b"isrsim:posts:17:12345", "posts", 17),
            Some(12345)
        );
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    /// The layers `Reader::new(None, first)` reads from `pairs`: (CDN, origin, from the CDN).
    fn read_with(
        first: Option<&str>,
        pairs: &[(&'static str, &'static str)],
    ) -> (Option<Status>, Option<Status>, bool) {
        let map = headers(pairs);
        let l = Reader::new(None, first).layers(&map);
        (l.cdn, l.origin, l.from_cdn())
    }

    fn read_all(pairs: &[(&'static str, &'static str)]) -> (Option<Status>, Option<Status>, bool) {
        read_with(None, pairs)
    }

    #[test]
    fn next_js_and_opennext_name_the_origins_layer() {
        for (value, status) in [
            ("HIT", Hit),
            ("STALE", Stale),
            ("MISS", Miss),
            ("REVALIDATED", Miss),
        ] {
            let map = headers(&[("x-nextjs-cache", value)]);
            let l = Reader::new(None, None).layers(&map);
            assert_eq!((l.origin, l.origin_text), (Some(status), Some(value)));
            assert_eq!((l.cdn, l.cdn_text), (None, None), "no CDN spoke");
        }
        assert_eq!(read_all(&[("x-opennext-cache", "STALE")]).1, Some(Stale));
        assert_eq!(read_all(&[("x-opennext-cache", "HIT")]).1, Some(Hit));
        assert_eq!(read_all(&[("x-opennext-cache", "ERROR")]).1, None);
        // OpenNext passes Next.js's header through; it wins when both are sent.
        let both = [("x-nextjs-cache", "MISS"), ("x-opennext-cache", "HIT")];
        assert_eq!(read_all(&both).1, Some(Miss));
    }

    /// Vercel's values ("Response headers", "Cache Status and Reasons"); Next.js in minimal mode
    /// sends no `x-nextjs-cache` there.
    #[test]
    fn vercel() {
        let v = |value| read_all(&[("x-vercel-cache", value)]);
        assert_eq!(v("HIT"), (Some(Hit), None, true));
        assert_eq!(v("STALE"), (Some(Stale), None, true));
        assert_eq!(v("MISS"), (Some(Miss), None, false));
        assert_eq!(v("BYPASS"), (Some(Miss), None, false));
        assert_eq!(v("PRERENDER"), (Some(Miss), Some(Hit), false));
        assert_eq!(v("REVALIDATED"), (Some(Miss), Some(Miss), false));
        assert_eq!(v("hit"), (Some(Hit), None, true), "any case");
    }

    /// Cloudflare's `cf-cache-status` values ("Cloudflare cache responses").
    #[test]
    fn cloudflare() {
        let v = |value| read_all(&[("cf-cache-status", value)]).0;
        for (value, status) in [
            ("HIT", Some(Hit)),
            ("REVALIDATED", Some(Hit)),
            ("STALE", Some(Stale)),
            ("UPDATING", Some(Stale)),
            ("MISS", Some(Miss)),
            ("EXPIRED", Some(Miss)),
            ("BYPASS", Some(Miss)),
            ("DYNAMIC", Some(Miss)),
            ("NONE/UNKNOWN", None),
        ] {
            assert_eq!(v(value), status, "{value}");
        }
    }

    /// `x-cache` as Varnish (examples/cdn/varnish.vcl), Fastly and CloudFront send it.
    #[test]
    fn x_cache_of_varnish_fastly_and_cloudfront() {
        let v = |value| read_all(&[("x-cache", value)]);
        assert_eq!(v("HIT"), (Some(Hit), None, true));
        assert_eq!(v("STALE"), (Some(Stale), None, true));
        assert_eq!(v("PASS").0, Some(Miss));
        assert_eq!(v("MISS").0, Some(Miss));
        // Fastly with shielding: the edge's entry last; any entry but MISS was from a cache.
        assert_eq!(v("MISS, HIT").0, Some(Hit));
        assert_eq!(v("HIT, MISS").0, Some(Hit));
        assert_eq!(v("MISS, MISS").0, Some(Miss));
        assert_eq!(v("Hit from cloudfront").0, Some(Hit));
        assert_eq!(v("RefreshHit from cloudfront").0, Some(Hit));
        assert_eq!(v("Miss from cloudfront").0, Some(Miss));
        assert_eq!(v("Error from cloudfront"), (None, None, false));
        assert_eq!(v("LimitExceeded from cloudfront").0, None);
        // nginx's `$upstream_cache_status`.
        let n = |value| read_all(&[("x-cache-status", value)]).0;
        assert_eq!(n("UPDATING"), Some(Stale));
        assert_eq!(n("REVALIDATED"), Some(Hit));
        assert_eq!(n("EXPIRED"), Some(Miss));
    }

    /// Netlify's `Cache-Status`, as `@netlify/plugin-nextjs`'s end-to-end tests capture it.
    #[test]
    fn netlify_cache_status_names_both_layers() {
        let v = |value| read_all(&[("cache-status", value)]);
        assert_eq!(
            v("\"Next.js\"; hit, \"Netlify Edge\"; hit"),
            (Some(Hit), Some(Hit), true)
        );
        assert_eq!(
            v(
                "\"Next.js\"; fwd=miss, \"Netlify Durable\"; fwd=uri-miss; stored, \"Netlify Edge\"; fwd=miss"
            ),
            (Some(Miss), Some(Miss), false)
        );
        assert_eq!(
            v(
                "\"Next.js\"; hit; fwd=stale, \"Netlify Durable\"; fwd=stale; ttl=5; stored, \"Netlify Edge\"; fwd=stale"
            ),
            (Some(Miss), Some(Stale), false),
            "stale at the origin, which answered"
        );
        assert_eq!(
            v("\"Next.js\"; hit, \"Netlify Durable\"; hit; ttl=3599, \"Netlify Edge\"; fwd=miss"),
            (Some(Hit), Some(Hit), true),
            "the durable tier answered"
        );
        assert_eq!(
            v("\"Netlify Durable\"; fwd=miss; stored, \"Netlify Edge\"; hit; fwd=stale"),
            (Some(Stale), None, true)
        );
        assert_eq!(v("\"Netlify Durable\"; hit; ttl=-20").0, Some(Stale));
        // Next.js's member alone, or a value that is not a List: the CDN's layer is unread, and
        // the next header (here `Age`) tells.
        assert_eq!(v("\"Next.js\"; hit; fwd=stale"), (None, Some(Stale), false));
        let l = read_all(&[("cache-status", "\"Netlify Edge\"; hit,"), ("age", "3")]);
        assert_eq!(l, (Some(Hit), None, true));
        let aged = headers(&[("cache-status", "\"Next.js\"; hit"), ("age", "3")]);
        assert_eq!(Reader::new(None, None).layers(&aged).cdn_text, Some("AGE"));
    }

    #[test]
    fn the_first_header_present_names_the_cdns_layer_unless_one_is_named() {
        let both = [("x-cache", "MISS"), ("x-vercel-cache", "HIT")];
        assert_eq!(read_all(&both).0, Some(Miss), "x-cache comes first");
        assert_eq!(read_with(Some("x-vercel-cache"), &both).0, Some(Hit));
        assert_eq!(read_with(Some("cache-status"), &both).0, Some(Miss));
        let map = headers(&both);
        let named = Reader::new(Some("X-Vercel-Cache"), None).layers(&map);
        assert_eq!((named.cdn, named.cdn_text), (Some(Hit), Some("HIT")));
        let custom = headers(&[("x-edge", "hit, miss"), ("x-cache", "MISS")]);
        assert!(Reader::new(Some("x-edge"), None).layers(&custom).from_cdn());
        let missing = Reader::new(Some("x-edge"), None).layers(&map);
        assert_eq!((missing.cdn, missing.cdn_text), (None, None));
        // `Age` when no cache-status header is sent.
        assert!(
            !read_all(&[("x-cache", "MISS"), ("age", "30")]).2,
            "the header wins over Age"
        );
        let aged = headers(&[("age", "3")]);
        let l = Reader::new(None, None).layers(&aged);
        assert_eq!(
            (l.cdn, l.cdn_text, l.from_cdn()),
            (Some(Hit), Some("AGE"), true)
        );
        assert_eq!(read_all(&[("age", "0")]), (None, None, false));
        assert_eq!(
            Reader::new(None, Some("cache-status")).cdn_headers(),
            [
                "cache-status",
                "x-cache-status",
                "x-cache",
                "cf-cache-status",
                "x-vercel-cache"
            ]
        );
        assert_eq!(Reader::new(None, Some("nope")).cdn_headers(), CDN_HEADERS);
    }

    #[test]
    fn each_platform_and_product_reads_its_own_header_first() {
        use CdnProduct::{CloudFront, Cloudflare, Generic, Nginx};
        use PlatformName::{Netlify, NextStart, OpenNextAws, OpenNextCloudflare, Vercel};
        assert_eq!(own_header(Vercel, Generic), Some("x-vercel-cache"));
        assert_eq!(own_header(Netlify, Generic), Some("cache-status"));
        assert_eq!(own_header(OpenNextAws, CloudFront), Some("x-cache"));
        assert_eq!(
            own_header(OpenNextCloudflare, Cloudflare),
            Some("cf-cache-status")
        );
        assert_eq!(own_header(NextStart, Nginx), Some("x-cache-status"));
        assert_eq!(
            own_header(Vercel, Nginx),
            Some("x-cache-status"),
            "the product's first"
        );
        assert_eq!(own_header(NextStart, Generic), None);
        for header in CDN_HEADERS {
            assert!(CDN_VOCABULARIES.iter().any(|v| v.header == header));
        }
    }

    #[test]
    fn shared_max_age_prefers_s_maxage() {
        assert_eq!(
            shared_max_age("s-maxage=10, stale-while-revalidate=31535990"),
            Some(10)
        );
        assert_eq!(shared_max_age("public, max-age=60"), Some(60));
        assert_eq!(shared_max_age("max-age=0, S-MaxAge=\"5\""), Some(5));
        assert_eq!(shared_max_age("no-store"), None);
    }
}
