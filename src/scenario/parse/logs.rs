//! The keys that name a log (docs/traces.md): `[traffic] pattern = "trace"`'s `file`, `format`,
//! `fields`, `methods` and `statuses`, and a route's `edits = { … }` and `match`.

use std::path::Path;

use regex::bytes::Regex;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use toml::Spanned;

use super::source::Source;
use super::values::{Keyword, Word};
use crate::error::InputError;
use crate::logs::{Fields, Filter, Format, LogSource, Status};

impl Keyword for Format {
    const WORDS: &'static [(&'static str, Self)] = Format::WORDS;
}

/// `fields = { time = "ts", path = "uri" }`: the names of a CSV's columns or a JSON line's fields.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFields {
    time: Option<String>,
    path: Option<String>,
    method: Option<String>,
    status: Option<String>,
}

/// A status rule: `304`, or `"2xx"`.
pub(super) struct StatusRule(Status);

impl<'de> Deserialize<'de> for StatusRule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        const EXPECTED: &str = "a status code such as 304, or a class such as \"2xx\"";
        impl Visitor<'_> for V {
            type Value = StatusRule;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(EXPECTED)
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StatusRule, E> {
                if (100..=599).contains(&v) {
                    Ok(StatusRule(Status::Code(v as u16)))
                } else {
                    Err(E::custom(format!(
                        "{v} is not an HTTP status: expected {EXPECTED}"
                    )))
                }
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<StatusRule, E> {
                match v.as_bytes() {
                    [c @ b'1'..=b'5', b'x' | b'X', b'x' | b'X'] => {
                        Ok(StatusRule(Status::Class(u16::from(c - b'0'))))
                    }
                    _ => match v.parse::<i64>() {
                        Ok(n) => self.visit_i64(n),
                        Err(_) => Err(E::custom(format!("`{v}`: expected {EXPECTED}"))),
                    },
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// The keys every log takes, as written.
pub(super) struct RawLogKeys<'a> {
    pub(super) file: &'a Spanned<String>,
    pub(super) format: Option<Word<Format>>,
    pub(super) fields: Option<&'a RawFields>,
    pub(super) methods: Option<&'a Vec<String>>,
    pub(super) statuses: Option<&'a Vec<StatusRule>>,
}

/// A log's file (relative to the scenario's folder), format and filter; `everything` when the
/// log's lines count whatever their method and status unless it says otherwise.
pub(super) fn log_source(
    source: &Source,
    key: &str,
    raw: RawLogKeys,
    default_filter: Filter,
) -> Result<LogSource, InputError> {
    let written = raw.file.get_ref();
    if written.trim().is_empty() {
        return Err(source.at(
            format!("{key}.file"),
            raw.file,
            "must name a log file, relative to the scenario's folder",
        ));
    }
    let folder = source.path.parent().unwrap_or(Path::new(""));
    let file = folder.join(written);
    if source.logs == super::Logs::Read && !file.is_file() {
        return Err(source.at(
            format!("{key}.file"),
            raw.file,
            format!(
                "there is no file `{}` (a log's path is relative to the scenario's folder)",
                file.display()
            ),
        ));
    }
    let defaults = Fields::default();
    let fields = raw.fields.map_or(defaults.clone(), |f| Fields {
        time: f.time.clone().unwrap_or(defaults.time),
        path: f.path.clone().unwrap_or(defaults.path),
        method: f.method.clone().unwrap_or(defaults.method),
        status: f.status.clone().unwrap_or(defaults.status),
    });
    let mut filter = default_filter;
    if let Some(methods) = raw.methods {
        filter.methods = methods.clone();
    }
    if let Some(statuses) = raw.statuses {
        filter.statuses = statuses.iter().map(|s| s.0).collect();
    }
    Ok(LogSource {
        file,
        format: raw.format.map_or(Format::Combined, |f| f.0),
        fields,
        filter,
    })
}

/// A route's `match`: a regular expression on the request path with at most one capture group,
/// the page's key.
pub(super) fn rule(
    source: &Source,
    key: &str,
    written: &Spanned<String>,
) -> Result<Regex, InputError> {
    let rule = Regex::new(written.get_ref()).map_err(|e| {
        source.at(
            key,
            written,
            format!(
                "not a regular expression: {}",
                e.to_string().lines().last().unwrap_or_default().trim()
            ),
        )
    })?;
    if rule.captures_len() > 2 {
        return Err(source.at(
            key,
            written,
            "has more than one capture group: the one group is the page's key, as in \
             '^/blog/([^/?#]+)' (write other groups as `(?:…)`)",
        ));
    }
    Ok(rule)
}

/// `edits = { file = "publishes.csv", format = "csv", match = '^/blog/([^/?#]+)' }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEdits {
    pub(super) file: Spanned<String>,
    pub(super) format: Option<Word<Format>>,
    pub(super) fields: Option<RawFields>,
    pub(super) methods: Option<Vec<String>>,
    pub(super) statuses: Option<Vec<StatusRule>>,
    #[serde(rename = "match")]
    pub(super) rule: Option<Spanned<String>>,
}

impl RawEdits {
    pub(super) fn keys(&self) -> RawLogKeys<'_> {
        RawLogKeys {
            file: &self.file,
            format: self.format,
            fields: self.fields.as_ref(),
            methods: self.methods.as_ref(),
            statuses: self.statuses.as_ref(),
        }
    }
}

/// `isrsim fit --routes FILE`: the `[[routes]]` of a file (a scenario, or a file of routes
/// alone), each with a `name` and a `match`; other keys are ignored.
pub(in crate::scenario) fn route_rules(
    text: &str,
    path: &Path,
) -> Result<Vec<(String, String, Regex)>, InputError> {
    #[derive(Deserialize)]
    struct File {
        routes: Option<Spanned<Vec<Rule>>>,
    }
    #[derive(Deserialize)]
    struct Rule {
        name: Spanned<String>,
        #[serde(rename = "match")]
        rule: Option<Spanned<String>>,
    }
    let source = Source {
        text,
        path,
        logs: super::Logs::Read,
    };
    let document = toml::Deserializer::parse(text).map_err(|e| source.syntax_error(&e))?;
    let file: File =
        serde_path_to_error::deserialize(document).map_err(|e| source.shape_error(&e, |_| None))?;
    let Some(routes) = file.routes.filter(|r| !r.get_ref().is_empty()) else {
        return Err(source.error(
            "routes",
            Some(0..0),
            "no `[[routes]]` table: give each route a `name` and a `match`, as \
             `[[routes]] name = \"posts\" match = '^/blog/([^/?#]+)'`",
        ));
    };
    let mut rules = Vec::new();
    for (i, route) in routes.get_ref().iter().enumerate() {
        let Some(written) = &route.rule else {
            return Err(source.at(
                format!("routes[{i}]"),
                &route.name,
                "needs a `match`: the regular expression that finds its pages' paths",
            ));
        };
        let regex = rule(&source, &format!("routes[{i}].match"), written)?;
        rules.push((
            route.name.get_ref().clone(),
            written.get_ref().clone(),
            regex,
        ));
    }
    Ok(rules)
}
