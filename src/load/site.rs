//! The site under test as URLs: where users' requests, webhooks and purges go (docs/load.md,
//! "URLs: pages, webhooks, purges" and "Safety"), and the safety rule that keeps them on this
//! machine unless `--allow-remote` says otherwise.

use hyper::Uri;

use crate::scenario::Scenario;

/// A server of the site: where to connect, and the `Host` it is asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `host:port`, as given (a name is resolved when connecting).
    pub authority: String,
    /// The path the URL had, without a trailing `/` (usually empty).
    pub prefix: String,
}

impl Endpoint {
    /// Reads `http://HOST[:PORT][/PREFIX]`. Without `allow_remote`, `HOST` must be loopback:
    /// 127.0.0.0/8, `[::1]` or `localhost`.
    pub fn parse(url: &str, allow_remote: bool) -> Result<Endpoint, String> {
        let (endpoint, rest) = absolute(url, allow_remote)?;
        if rest.contains('?') {
            return Err(format!(
                "\"{url}\" has a query: give the site's base URL only"
            ));
        }
        Ok(Endpoint {
            prefix: rest.trim_end_matches('/').to_string(),
            ..endpoint
        })
    }

    /// The whole URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}{path}", self.authority, self.prefix)
    }
}

/// A URL split into its server and its path and query; the server is checked as
/// [`Endpoint::parse`] says.
pub fn absolute(url: &str, allow_remote: bool) -> Result<(Endpoint, String), String> {
    let uri: Uri = url
        .parse()
        .map_err(|_| format!("\"{url}\" is not a URL: write for example http://127.0.0.1:3000"))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => {
            return Err(format!(
                "\"{url}\": isrsim load speaks plain HTTP only; put the site's HTTPS behind a \
                 local proxy or test its http:// address"
            ));
        }
        _ => return Err(format!("\"{url}\" is not an http:// URL")),
    }
    let Some(authority) = uri.authority() else {
        return Err(format!("\"{url}\" names no host"));
    };
    let host = authority.host();
    if !allow_remote && !is_loopback(host) {
        return Err(format!(
            "\"{url}\" is not on this machine: isrsim load sends only to loopback addresses \
             (127.0.0.0/8, [::1], localhost) unless --allow-remote is given"
        ));
    }
    let port = authority.port_u16().unwrap_or(80);
    let path = uri.path_and_query().map_or("", |p| p.as_str());
    let path = if path == "/" && !url.ends_with('/') {
        ""
    } else {
        path
    };
    Ok((
        Endpoint {
            authority: format!("{host}:{port}"),
            prefix: String::new(),
        },
        path.to_string(),
    ))
}

/// Whether `host` (as a URL writes it, IPv6 in brackets) is this machine.
pub fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Where each route's pages are: its `path` with `{route}` filled in, cut at `{page}`.
#[derive(Clone, Debug)]
pub struct Paths {
    /// Per route: the text before the page's index, and after it (`None` for a one-page route
    /// whose path names no page).
    routes: Vec<(String, Option<String>)>,
    names: Vec<String>,
}

impl Paths {
    pub fn new(scenario: &Scenario) -> Paths {
        let routes = (scenario.routes.iter())
            .map(|r| {
                let path = r.path.replace("{route}", &r.name);
                match path.split_once("{page}") {
                    Some((before, after)) => (before.to_string(), Some(after.to_string())),
                    None => (path, None),
                }
            })
            .collect();
        Paths {
            routes,
            names: scenario.routes.iter().map(|r| r.name.clone()).collect(),
        }
    }

    /// The path of page `index` of route `route`.
    pub fn path(&self, route: usize, index: u32) -> String {
        match &self.routes[route] {
            (before, Some(after)) => format!("{before}{index}{after}"),
            (whole, None) => whole.clone(),
        }
    }

    pub fn route_name(&self, route: usize) -> &str {
        &self.names[route]
    }
}

/// Fills a `--revalidate-url` or `--purge-url` template: `{instance}` or `{cdn}` (the server's
/// base URL), `{path}`, `{route}`, `{page}` and `{mode}`.
pub fn fill(template: &str, server: &Endpoint, page: &PageRef<'_>, mode: &str) -> String {
    let base = server.url("");
    template
        .replace("{instance}", &base)
        .replace("{cdn}", &base)
        .replace("{path}", page.path)
        .replace("{route}", page.route)
        .replace("{page}", &page.index.to_string())
        .replace("{mode}", mode)
}

/// Fills a `--revalidate-tag-url` template: `{instance}` (the server's base URL), `{tags}` (the
/// revalidated tags, each percent-encoded, comma-separated) and `{profile}` (`max` or whole
/// seconds).
pub fn fill_tags(template: &str, server: &Endpoint, tags: &[&str], profile: &str) -> String {
    let tags: Vec<String> = tags.iter().map(|t| encode(t)).collect();
    template
        .replace("{instance}", &server.url(""))
        .replace("{tags}", &tags.join(","))
        .replace("{profile}", profile)
}

/// Fills a `--tag-purge-url` template: `{cdn}` (the server's base URL) and `{tag}`
/// (percent-encoded).
pub fn fill_tag_purge(template: &str, server: &Endpoint, tag: &str) -> String {
    template
        .replace("{cdn}", &server.url(""))
        .replace("{tag}", &encode(tag))
}

/// Percent-encodes every byte but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`), so a
/// tag such as `category:3` or `_N_T_/posts/3` is one query value.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A page, as the URL templates name it.
pub struct PageRef<'a> {
    pub route: &'a str,
    pub index: u32,
    pub path: &'a str,
}

/// The placeholders `fill` knows; any other `{...}` in a template is a mistake.
pub const PLACEHOLDERS: &[&str] = &[
    "{instance}",
    "{cdn}",
    "{path}",
    "{route}",
    "{page}",
    "{mode}",
];

/// The placeholders of `--revalidate-tag-url` (`fill_tags`).
pub const TAG_PLACEHOLDERS: &[&str] = &["{instance}", "{tags}", "{profile}"];

/// The placeholders of `--tag-purge-url` (`fill_tag_purge`).
pub const TAG_PURGE_PLACEHOLDERS: &[&str] = &["{cdn}", "{tag}"];

/// Checks a page template's placeholders, so a typo is found before the run, not at the first
/// edit.
pub fn check_template(flag: &str, template: &str) -> Result<(), String> {
    check_placeholders(flag, template, PLACEHOLDERS)
}

/// Checks that `template` holds no placeholder but `known`.
pub fn check_placeholders(flag: &str, template: &str, known: &[&str]) -> Result<(), String> {
    let mut rest = template.to_string();
    for p in known {
        rest = rest.replace(p, "");
    }
    if rest.contains('{') || rest.contains('}') {
        return Err(format!(
            "{flag} \"{template}\" holds an unknown placeholder: the known ones are {}",
            known.join(", ")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_without_allow_remote() {
        for ok in [
            "http://127.0.0.1:3000",
            "http://localhost",
            "http://[::1]:8080/",
            "http://127.9.9.9",
        ] {
            assert!(Endpoint::parse(ok, false).is_ok(), "{ok}");
        }
        for far in [
            "http://192.0.2.1:80",
            "http://example.com",
            "http://0.0.0.0:3000",
        ] {
            assert!(Endpoint::parse(far, false).is_err(), "{far}");
            assert!(Endpoint::parse(far, true).is_ok(), "{far}");
        }
        assert!(Endpoint::parse("https://127.0.0.1", true).is_err());
        assert!(Endpoint::parse("127.0.0.1:3000", false).is_err());
    }

    #[test]
    fn urls_keep_the_prefix_and_the_port() {
        let e = Endpoint::parse("http://localhost:3000/shop/", false).unwrap();
        assert_eq!(e.authority, "localhost:3000");
        assert_eq!(e.url("/posts/3"), "http://localhost:3000/shop/posts/3");
        let bare = Endpoint::parse("http://127.0.0.1", false).unwrap();
        assert_eq!(bare.url("/a"), "http://127.0.0.1:80/a");
    }

    #[test]
    fn templates_are_filled_and_checked() {
        let server = Endpoint::parse("http://127.0.0.1:3000", false).unwrap();
        let page = PageRef {
            route: "posts",
            index: 7,
            path: "/blog/7",
        };
        assert_eq!(
            fill(
                "{instance}/api/revalidate?path={path}&mode={mode}",
                &server,
                &page,
                "invalidate"
            ),
            "http://127.0.0.1:3000/api/revalidate?path=/blog/7&mode=invalidate"
        );
        assert!(check_template("--purge-url", "{cdn}{path}").is_ok());
        assert!(check_template("--purge-url", "{cdn}{paht}").is_err());
    }

    #[test]
    fn tag_templates_encode_each_tag_and_join_them_with_commas() {
        let server = Endpoint::parse("http://127.0.0.1:3000", false).unwrap();
        assert_eq!(
            fill_tags(
                "{instance}/api/revalidate?tag={tags}&profile={profile}",
                &server,
                &["product:7", "cat/1?x", "catalog"],
                "300"
            ),
            "http://127.0.0.1:3000/api/revalidate?tag=product%3A7,cat%2F1%3Fx,catalog\
             &profile=300"
        );
        assert_eq!(
            fill_tag_purge("{cdn}/?key={tag}", &server, "category:3"),
            "http://127.0.0.1:3000/?key=category%3A3"
        );
        assert!(
            check_placeholders(
                "--revalidate-tag-url",
                "{instance}?t={tags}",
                TAG_PLACEHOLDERS
            )
            .is_ok()
        );
        assert!(
            check_placeholders("--revalidate-tag-url", "{instance}{path}", TAG_PLACEHOLDERS)
                .is_err()
        );
        assert!(
            check_placeholders("--tag-purge-url", "{cdn}/{tag}", TAG_PURGE_PLACEHOLDERS).is_ok()
        );
        assert!(
            check_placeholders("--tag-purge-url", "{cdn}{tags}", TAG_PURGE_PLACEHOLDERS).is_err()
        );
    }
}
