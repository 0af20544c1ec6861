//! Reading a site's response: the page marker, the origin's and the CDN's layers, and the
//! `Cache-Control` the site sends (docs/load.md, "Response headers
//! isrsim reads" and "What is measured").
//!
//! - The marker `isrsim:{route}:{page}:{version}` may sit anywhere in the body; it is found with
//!   a substring search, never by parsing HTML, and only the marker of the requested page counts
//!   (a list page may carry its posts' markers too).
//! - The origin's layer is Next.js's `x-nextjs-cache` (`HIT`, `STALE`, `MISS`, `REVALIDATED`),
//!   set by `packages/next/src/server/send-payload.ts`.
//! - The CDN's layer is the first of the usual cache-status headers: Varnish and Fastly's
//!   `x-cache`, nginx's `$upstream_cache_status` (conventionally `x-cache-status`),
//!   Cloudflare's `cf-cache-status`, Vercel's `x-vercel-cache`; with none, `Age > 0` (RFC 9111
//!   §5.1: a response with an age came from a cache).

use hyper::HeaderMap;
use memchr::memmem;

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

/// The cache-status headers read for the CDN's layer, in order, unless `--cdn-header` names one.
pub const CDN_HEADERS: [&str; 4] = [
    "x-cache-status",
    "x-cache",
    "cf-cache-status",
    "x-vercel-cache",
];

/// Which cache answered a response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layers {
    /// `x-nextjs-cache`, as sent (`HIT`, `STALE`, `MISS`, `REVALIDATED`).
    pub origin: Option<String>,
    /// The CDN's cache status, as sent, or `AGE` when only `Age` told.
    pub cdn: Option<String>,
    /// Whether the CDN answered from its cache.
    pub from_cdn: bool,
}

/// Reads the layers of a response; `cdn_header` is `--cdn-header`, if given.
pub fn layers(headers: &HeaderMap, cdn_header: Option<&str>) -> Layers {
    let text = |name: &str| {
        (headers.get(name))
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_string())
    };
    let origin = text("x-nextjs-cache");
    let status = match cdn_header {
        Some(name) => text(name),
        None => CDN_HEADERS.iter().find_map(|name| text(name)),
    };
    match status {
        Some(status) => Layers {
            from_cdn: cached(&status),
            origin,
            cdn: Some(status),
        },
        None => {
            let aged = (text("age").and_then(|a| a.parse::<u64>().ok())).is_some_and(|a| a > 0);
            Layers {
                origin,
                cdn: aged.then(|| "AGE".to_string()),
                from_cdn: aged,
            }
        }
    }
}

/// Whether a cache status says the CDN answered from its cache: `HIT` (and Fastly's
/// `HIT, MISS` of two layers, whose first is the edge), `STALE`, `UPDATING`, `REVALIDATED`.
/// `MISS`, `PASS`, `BYPASS`, `EXPIRED`, `DYNAMIC` went to the origin.
fn cached(status: &str) -> bool {
    let first = status
        .split([',', ' '])
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    matches!(
        first.as_str(),
        "HIT" | "STALE" | "UPDATING" | "REVALIDATED" | "TCP_HIT" | "TCP_MEM_HIT"
    )
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

    #[test]
    fn layers_from_the_usual_headers() {
        let l = layers(
            &headers(&[("x-nextjs-cache", "STALE"), ("x-cache", "HIT")]),
            None,
        );
        assert_eq!((l.origin.as_deref(), l.from_cdn), (Some("STALE"), true));
        let l = layers(&headers(&[("x-cache", "MISS"), ("age", "30")]), None);
        assert!(!l.from_cdn, "the header wins over Age");
        assert!(layers(&headers(&[("cf-cache-status", "UPDATING")]), None).from_cdn);
        assert!(layers(&headers(&[("x-cache", "HIT, MISS")]), None).from_cdn);
        assert!(!layers(&headers(&[("x-vercel-cache", "PRERENDER")]), None).from_cdn);
        let aged = layers(&headers(&[("age", "3")]), None);
        assert_eq!((aged.cdn.as_deref(), aged.from_cdn), (Some("AGE"), true));
        assert!(!layers(&headers(&[("age", "0")]), None).from_cdn);
        let named = layers(
            &headers(&[("x-edge", "hit"), ("x-cache", "MISS")]),
            Some("x-edge"),
        );
        assert!(named.from_cdn);
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
