//! The shape of a CDN purge request beyond its URL: the headers (`--purge-header`) and bodies
//! (`--purge-body`, `--tag-purge-body`) a CDN's purge API takes (docs/load.md, "Purge APIs,
//! CDN by CDN").
//!
//! A purge API is a URL, a method, some headers and perhaps a JSON body: Varnish and Fastly take
//! `PURGE` on the page's own URL; Fastly's API `POST /service/{id}/purge/{key}` with a
//! `Fastly-Key` header; Cloudflare's `POST /zones/{zone}/purge_cache` with a bearer token and a
//! JSON body of `files` or `tags`. A body template takes the URL templates' placeholders, each
//! value written as the inside of a JSON string (`"` and `\` escaped), and a `{name}` of lower-case
//! letters that is not a placeholder is refused before the run; any other brace is text (JSON's
//! own). A header replaces isrsim's own of that name, and one that names a host (`Host`) must name
//! this machine unless `--allow-remote`: a purge meant for another machine, sent through a local
//! relay, is still sent off this machine.

use hyper::header::{HeaderName, HeaderValue};

use super::site::{self, Endpoint, PageRef};

/// Headers and bodies of purges, checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PurgeShape {
    /// `--purge-header`, in order, as (lower-case name, value).
    pub headers: Vec<(String, String)>,
    /// `--purge-body`: the body of a page's purge, a template.
    pub body: Option<String>,
    /// `--tag-purge-body`: the body of a tag's purge, a template.
    pub tag_body: Option<String>,
}

/// Headers hyper writes from the request itself: a purge may not set them.
const FRAMING: [&str; 5] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
];

impl PurgeShape {
    /// Reads `--purge-header` values and the body templates, refusing what cannot be sent.
    pub fn parse(
        headers: &[String],
        body: Option<&str>,
        tag_body: Option<&str>,
        allow_remote: bool,
    ) -> Result<PurgeShape, String> {
        let headers = (headers.iter())
            .map(|h| header(h, allow_remote))
            .collect::<Result<_, _>>()?;
        if let Some(body) = body {
            check_body("--purge-body", body, site::PLACEHOLDERS)?;
        }
        if let Some(body) = tag_body {
            check_body("--tag-purge-body", body, site::TAG_PURGE_PLACEHOLDERS)?;
        }
        Ok(PurgeShape {
            headers,
            body: body.map(str::to_string),
            tag_body: tag_body.map(str::to_string),
        })
    }

    /// The headers of a purge: isrsim's `own`, then `--purge-header`, which replace them, and
    /// `Content-Type: application/json` when there is a body and none was given.
    pub fn headers<'a>(
        &'a self,
        own: &[(&'a str, &'a str)],
        body: bool,
    ) -> Vec<(&'a str, &'a str)> {
        let mut all: Vec<(&str, &str)> = own.to_vec();
        all.extend(self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        if body && !self.headers.iter().any(|(n, _)| n == "content-type") {
            all.push(("content-type", "application/json"));
        }
        all
    }

    /// The body of `page`'s purge (empty without `--purge-body`).
    pub fn page_body(&self, server: &Endpoint, page: &PageRef<'_>) -> String {
        let Some(template) = &self.body else {
            return String::new();
        };
        template
            .replace("{instance}", &json(&server.url("")))
            .replace("{cdn}", &json(&server.url("")))
            .replace("{path}", &json(page.path))
            .replace("{route}", &json(page.route))
            .replace("{page}", &page.index.to_string())
            .replace("{mode}", "purge")
    }

    /// The body of `tag`'s purge (empty without `--tag-purge-body`); the tag as it is, escaped
    /// for JSON, not percent-encoded as in the URL.
    pub fn tag_body(&self, server: &Endpoint, tag: &str) -> String {
        let Some(template) = &self.tag_body else {
            return String::new();
        };
        template
            .replace("{cdn}", &json(&server.url("")))
            .replace("{tag}", &json(tag))
    }
}

/// Reads one `--purge-header 'Name: value'`.
fn header(text: &str, allow_remote: bool) -> Result<(String, String), String> {
    let flag = "--purge-header";
    let Some((name, value)) = text.split_once(':') else {
        return Err(format!(
            "{flag} \"{text}\": write NAME: VALUE, for example 'Authorization: Bearer TOKEN'"
        ));
    };
    let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
    if HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(format!(
            "{flag} \"{text}\": \"{name}\" is not a header name"
        ));
    }
    if HeaderValue::from_str(value).is_err() {
        return Err(format!(
            "{flag} \"{text}\": the value holds a character a header cannot carry"
        ));
    }
    if FRAMING.contains(&name.as_str()) {
        return Err(format!(
            "{flag} \"{text}\": isrsim sets {name} itself from the request and its body"
        ));
    }
    if name == "host" && !allow_remote {
        let host = authority_host(value);
        if !site::is_loopback(host) {
            return Err(format!(
                "{flag} \"{text}\": a purge for {host} is meant for another machine; isrsim \
                 load sends only to this machine unless --allow-remote is given"
            ));
        }
    }
    Ok((name, value.to_string()))
}

/// The host of a `Host` value: without its port, an IPv6 address in its brackets.
fn authority_host(value: &str) -> &str {
    match value.strip_prefix('[') {
        Some(rest) => rest
            .split(']')
            .next()
            .map_or(value, |h| &value[..h.len() + 2]),
        None => value.rsplit_once(':').map_or(value, |(host, _)| host),
    }
}

/// Checks that every `{name}` of lower-case letters in a body template is one of `known`.
fn check_body(flag: &str, template: &str, known: &[&str]) -> Result<(), String> {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        rest = &rest[open..];
        let close = rest[1..]
            .find(|c: char| !c.is_ascii_lowercase())
            .map(|at| at + 1);
        if let Some(close) = close
            && close > 1
            && rest[close..].starts_with('}')
            && !known.contains(&&rest[..=close])
        {
            return Err(format!(
                "{flag} '{template}' holds an unknown placeholder {}: the known ones are {}",
                &rest[..=close],
                known.join(", ")
            ));
        }
        rest = &rest[1..];
    }
    Ok(())
}

/// `text` as the inside of a JSON string (RFC 8259 §7).
fn json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(headers: &[&str], body: Option<&str>, tag_body: Option<&str>) -> PurgeShape {
        let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        PurgeShape::parse(&headers, body, tag_body, false).unwrap()
    }

    /// Cloudflare's purge by URL and by tag (API reference, "Purge Cached Content": `files`,
    /// `tags`), through a local relay.
    #[test]
    fn cloudflares_bodies_are_filled_as_json() {
        let s = shape(
            &["Authorization: Bearer T0KEN", "Host: 127.0.0.1"],
            Some(r#"{"files":["https://www.example.com{path}"]}"#),
            Some(r#"{"tags":["{tag}"]}"#),
        );
        let cdn = Endpoint::parse("http://127.0.0.1:8443/client/v4", false).unwrap();
        let page = PageRef {
            route: "posts",
            index: 7,
            path: "/blog/7",
        };
        assert_eq!(
            s.page_body(&cdn, &page),
            r#"{"files":["https://www.example.com/blog/7"]}"#
        );
        assert_eq!(
            s.tag_body(&cdn, "say \"hi\"\\now"),
            r#"{"tags":["say \"hi\"\\now"]}"#
        );
        assert_eq!(
            s.headers(&[("x-isrsim-purge", "hard")], true),
            [
                ("x-isrsim-purge", "hard"),
                ("authorization", "Bearer T0KEN"),
                ("host", "127.0.0.1"),
                ("content-type", "application/json"),
            ]
        );
        let typed = shape(&["Content-Type: text/plain"], None, None);
        assert_eq!(typed.headers(&[], true), [("content-type", "text/plain")]);
        assert!(PurgeShape::default().headers(&[], false).is_empty());
        assert_eq!(PurgeShape::default().page_body(&cdn, &page), "");
    }

    #[test]
    fn bad_headers_and_placeholders_are_refused() {
        let refused = |headers: &[&str], body: Option<&str>, tag: Option<&str>, said: &str| {
            let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
            let err = PurgeShape::parse(&headers, body, tag, false).unwrap_err();
            assert!(err.contains(said), "{err}");
        };
        refused(&["Authorization Bearer"], None, None, "NAME: VALUE");
        refused(&["Bad Name: x"], None, None, "not a header name");
        refused(&["X-A: line\u{7f}"], None, None, "cannot carry");
        refused(&["Content-Length: 3"], None, None, "sets content-length");
        refused(&["Host: api.fastly.com"], None, None, "--allow-remote");
        refused(&["host: [2001:db8::1]:443"], None, None, "[2001:db8::1]");
        refused(&[], Some(r#"{"files":["{url}"]}"#), None, "{url}");
        refused(&[], None, Some(r#"{"tags":["{tags}"]}"#), "{tags}");
        refused(&[], None, Some(r#"{"files":["{path}"]}"#), "{path}");
        let remote = ["Host: api.fastly.com".to_string()];
        assert!(PurgeShape::parse(&remote, None, None, true).is_ok());
        for local in ["Host: localhost:8080", "Host: [::1]:80", "host: 127.0.0.1"] {
            assert!(
                PurgeShape::parse(&[local.to_string()], None, None, false).is_ok(),
                "{local}"
            );
        }
        // JSON's own braces are text.
        assert!(check_body("--purge-body", r#"{"a":{}, "b": "{}{x1}"}"#, &["{path}"]).is_ok());
    }
}
