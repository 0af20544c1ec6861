//! The formats of an access log's lines, and what isrsim takes from each: when, which method,
//! which path, which status.
//!
//! - `combined`: the NCSA Combined Log Format, nginx's default `log_format combined` and Apache's
//!   `LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\"" combined`
//!   (nginx.org/en/docs/http/ngx_http_log_module.html, httpd.apache.org/docs/2.4/logs.html). The
//!   Common Log Format, the same without referrer and agent, reads too. Times are whole seconds.
//! - `csv`: a header row naming the columns; `time` and `path` are needed, `method` and `status`
//!   are used when present (`fields` renames them).
//! - `jsonl`: one JSON object a line, with the same fields.
//!
//! A request target in absolute form (`GET http://example.com/a HTTP/1.1`, RFC 9112 §3.2.2) is
//! reduced to its path, as a server routes it.

use super::clock::{self, Micros};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Combined,
    Csv,
    Jsonl,
}

impl Format {
    pub const WORDS: &'static [(&'static str, Format)] = &[
        ("combined", Format::Combined),
        ("csv", Format::Csv),
        ("jsonl", Format::Jsonl),
    ];

    pub fn name(self) -> &'static str {
        Self::WORDS
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("?", |(name, _)| name)
    }

    /// Whether the format records whole seconds only, so that the requests of one second are
    /// spread over it when replayed (`arrange`).
    pub fn whole_seconds(self) -> bool {
        self == Format::Combined
    }

    /// What a line must look like, for error messages.
    pub fn expected(self, fields: &Fields) -> String {
        match self {
            Format::Combined => "a line in the combined format, as `127.0.0.1 - - \
                [30/Nov/2026:10:00:00 +0000] \"GET /blog/a HTTP/1.1\" 200 512 \"-\" \"agent\"`"
                .to_string(),
            Format::Csv => format!(
                "a CSV row with a `{}` ({}) and a `{}` column",
                fields.time,
                clock::SPELLINGS,
                fields.path
            ),
            Format::Jsonl => format!(
                "a JSON object with `{}` ({}) and `{}`, as {{\"{}\": \"2026-11-30T10:00:00Z\", \"{}\": \"/blog/a\"}}",
                fields.time,
                clock::SPELLINGS,
                fields.path,
                fields.time,
                fields.path
            ),
        }
    }
}

/// The names of the columns (`csv`) or fields (`jsonl`) that hold each part of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fields {
    pub time: String,
    pub path: String,
    pub method: String,
    pub status: String,
}

impl Default for Fields {
    fn default() -> Self {
        Fields {
            time: "time".into(),
            path: "path".into(),
            method: "method".into(),
            status: "status".into(),
        }
    }
}

/// One request, as a line records it. `method` and `status` are `None` when the format's lines
/// do not carry them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub at: Micros,
    pub method: Option<&'a [u8]>,
    pub path: &'a [u8],
    pub status: Option<u16>,
}

/// Why a line could not be read.
pub type Unreadable = &'static str;

/// A path from a request target: an absolute-form target loses its scheme and authority.
pub fn path_of(target: &[u8]) -> &[u8] {
    for scheme in [&b"http://"[..], b"https://"] {
        if target.len() > scheme.len() && target[..scheme.len()].eq_ignore_ascii_case(scheme) {
            let rest = &target[scheme.len()..];
            return match memchr::memchr(b'/', rest) {
                Some(slash) => &rest[slash..],
                None => b"/",
            };
        }
    }
    target
}

fn status(bytes: &[u8]) -> Option<u16> {
    match bytes {
        [a, b, c] if bytes.iter().all(u8::is_ascii_digit) => {
            Some(u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'))
        }
        _ => None,
    }
}

/// The status of a CSV or JSON field: `200`, or `"200"`.
pub fn status_field(bytes: &[u8]) -> Option<u16> {
    status(bytes.trim_ascii())
}

/// A line of the combined (or common) log format.
pub fn combined(line: &[u8]) -> Result<Record<'_>, Unreadable> {
    const DATE: Unreadable = "no date as [30/Nov/2026:10:00:00 +0000]";
    let open = memchr::memchr(b'[', line).ok_or(DATE)?;
    let close = open + memchr::memchr(b']', &line[open..]).ok_or(DATE)?;
    let at = clock::common_log(&line[open + 1..close]).ok_or(DATE)?;
    let rest = &line[close + 1..];
    let Some(rest) = rest.strip_prefix(b" \"") else {
        return Err("no quoted request line after the date");
    };
    // nginx writes a quote inside the request line as \x22, so the next quote ends it.
    let end = memchr::memchr(b'"', rest).ok_or("the request line's closing quote is missing")?;
    let request = &rest[..end];
    let after = rest[end + 1..].trim_ascii_start();
    let code = after.split(|&b| b == b' ').next().unwrap_or_default();
    let status = status(code).ok_or("no three-digit status after the request line")?;
    // "METHOD TARGET PROTOCOL"; a malformed request ("-", or no target) keeps its method and an
    // empty path, which no route matches.
    let mut parts = request.splitn(3, |&b| b == b' ');
    let method = parts.next().unwrap_or_default();
    let path = path_of(parts.next().unwrap_or_default());
    Ok(Record {
        at,
        method: Some(method),
        path,
        status: Some(status),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &[u8] = br#"203.0.113.9 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?x=1 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#;

    #[test]
    fn apaches_example_line() {
        let r = combined(LINE).unwrap();
        assert_eq!(r.at, 971_211_336_000_000);
        assert_eq!(r.method, Some(&b"GET"[..]));
        assert_eq!(r.path, b"/apache_pb.gif?x=1");
        assert_eq!(r.status, Some(200));
    }

    #[test]
    fn the_common_format_and_odd_requests() {
        let common = br#"::1 - - [10/Oct/2000:13:55:36 -0700] "HEAD / HTTP/1.1" 304 0"#;
        let r = combined(common).unwrap();
        assert_eq!(
            (r.method, r.path, r.status),
            (Some(&b"HEAD"[..]), &b"/"[..], Some(304))
        );
        let malformed = br#"::1 - - [10/Oct/2000:13:55:36 -0700] "-" 400 0 "-" "-""#;
        let r = combined(malformed).unwrap();
        assert_eq!((r.method, r.path), (Some(&b"-"[..]), &b""[..]));
        let absolute =
            br#"::1 - - [10/Oct/2000:13:55:36 -0700] "GET https://Example.com/a/b?c HTTP/1.1" 200 1"#;
        assert_eq!(combined(absolute).unwrap().path, b"/a/b?c");
    }

    #[test]
    fn a_broken_line_says_what_is_missing() {
        assert!(combined(b"").unwrap_err().contains("date"));
        assert!(
            combined(b"x [10/Oct/2000:13:55:36 -0700] GET /")
                .unwrap_err()
                .contains("quoted")
        );
        let no_status = br#"x [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" - 1"#;
        assert!(combined(no_status).unwrap_err().contains("status"));
        let unclosed = br#"x [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1 200 1"#;
        assert!(combined(unclosed).unwrap_err().contains("closing quote"));
    }
}
