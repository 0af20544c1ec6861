//! Where in the file a problem is, for every section: a byte span becomes a line and a column,
//! serde's path becomes a dotted key, and a list of allowed words becomes "`a`, `b` or `c`".
//!
//! The sweep reports its axes by line too, so it counts lines here rather than on its own.

use std::ops::Range;
use std::path::Path;

use serde_path_to_error::Segment;
use toml::Spanned;

use crate::error::InputError;

/// The text being read and the file it came from: every error names both.
pub(super) struct Source<'a> {
    pub(super) text: &'a str,
    pub(super) path: &'a Path,
    pub(super) logs: Logs,
}

/// Whether the logs a scenario names are read (to run it), or only named (a results folder's
/// copy of the scenario, read back for its routes and policies: its logs stay where the
/// scenario was).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Logs {
    Read,
    Named,
}

impl Source<'_> {
    pub(super) fn error(
        &self,
        key: impl Into<String>,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> InputError {
        let mut error = InputError::new(self.path, message);
        error.key = Some(key.into()).filter(|k: &String| !k.is_empty());
        if let Some(span) = span {
            let (line, column) = line_and_column(self.text, span.start);
            error.line = Some(line);
            error.column = Some(column);
        }
        error
    }

    /// An error about a value that kept its position.
    pub(super) fn at<T>(
        &self,
        key: impl Into<String>,
        value: &Spanned<T>,
        message: impl Into<String>,
    ) -> InputError {
        self.error(key, Some(value.span()), message)
    }

    pub(super) fn syntax_error(&self, e: &toml::de::Error) -> InputError {
        self.error(
            String::new(),
            e.span(),
            format!("not valid TOML: {}", e.message().trim()),
        )
    }

    /// A wrong type, a bad value or an unknown key found while serde read the file.
    /// `allowed_keys` lists, for a table whose keys serde cannot list (they depend on another
    /// key), the keys it allows.
    pub(super) fn shape_error(
        &self,
        e: &serde_path_to_error::Error<toml::de::Error>,
        allowed_keys: impl Fn(&str) -> Option<String>,
    ) -> InputError {
        let mut key = dotted_key(e.path());
        let inner = e.inner();
        let mut message = inner.message().trim().to_string();
        if let Some(field) = quoted_after(&message, "missing field ") {
            key = join_key(&key, field);
            message = format!("`{field}` is required here");
        } else if let Some(rest) = message.strip_prefix("unknown field ") {
            message = match (quoted_after(&message, "unknown field "), allowed_keys(&key)) {
                (Some(field), Some(allowed)) => format!("unknown key `{field}`: {allowed}"),
                _ => format!("unknown key {rest}"),
            };
        } else if let Some((number, expected)) = message
            .strip_prefix("invalid type: integer `")
            .and_then(|rest| rest.split_once("` as i128, expected "))
        {
            message = format!(
                "{number} is beyond TOML's integers, which run from {} to {}: expected {expected}",
                i64::MIN,
                i64::MAX
            );
        } else if let Some((found, _)) = message.split_once(", expected struct Raw") {
            // The section's type name means nothing to the user.
            message = format!("{found}, expected a table");
        }
        self.error(key, inner.span(), message)
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(in crate::scenario) fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    // Count characters, not bytes: skip UTF-8 continuation bytes.
    let column = before[line_start..]
        .iter()
        .filter(|&&b| b & 0xC0 != 0x80)
        .count()
        + 1;
    (line, column)
}

/// `routes[0].pages`, from serde_path_to_error's segments (minus `Spanned`'s private fields).
fn dotted_key(path: &serde_path_to_error::Path) -> String {
    let mut key = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => key.push_str(&format!("[{index}]")),
            Segment::Map { key: name } if name.starts_with("$__serde_spanned_private") => {}
            Segment::Map { key: name } => key = join_key(&key, name),
            Segment::Enum { variant } => key = join_key(&key, variant),
            Segment::Unknown => key = join_key(&key, "?"),
        }
    }
    key
}

fn join_key(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

/// The text between the backquotes right after `prefix`, as in "missing field `pages`".
fn quoted_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.split('`').next()
}

/// "`a`, `b` or `c`"
pub(super) fn one_of(words: &[&str]) -> String {
    listed(words, "or")
}

/// "`a`, `b` and `c`"
pub(super) fn all_of(words: &[&str]) -> String {
    listed(words, "and")
}

fn listed(words: &[&str], conjunction: &str) -> String {
    let quoted = quoted(words);
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!("{} {conjunction} {last}", rest.join(", "))
        }
        _ => quoted.join(""),
    }
}

/// Each word in backquotes, as messages show the values a key allows.
pub(in crate::scenario) fn quoted(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| format!("`{w}`")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse::tests::{MINIMAL, error, line_of, parse_text, replace};

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let text = replace(MINIMAL, "pages = 100", "pages = 100\npagez = 3");
        let err = error(&text, "routes[0].pagez", line_of(&text, "pagez"));
        assert!(
            err.message.contains("`pages`"),
            "lists the allowed keys: {err}"
        );
        let text = format!("colour = \"red\"\n{MINIMAL}");
        error(&text, "colour", 1);
        let text = replace(MINIMAL, "rate = 10", "rate = 10\nrte = 3");
        let err = error(&text, "traffic.rte", line_of(&text, "rte"));
        assert!(
            err.message.contains("pattern `steady` takes `rate`"),
            "{err}"
        );
    }

    #[test]
    fn missing_required_key_is_named() {
        let text = replace(MINIMAL, "pages = 100\n", "");
        let err = error(&text, "routes[0].pages", line_of(&text, "[[routes]]"));
        assert!(err.message.contains("required"), "{err}");
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let text = replace(MINIMAL, "pages = 100", "pages = ");
        let err = parse_text(&text).unwrap_err();
        assert_eq!(err.line, Some(line_of(&text, "pages = ")));
        assert!(err.to_string().contains("scenarios/blog.toml"));
    }

    #[test]
    fn an_integer_beyond_64_bits_is_named_with_its_key_and_line() {
        for (key, line) in [
            ("traffic.rate", "rate = 10"),
            ("routes[0].share", "pages = 100"),
            ("routes[0].popularity", "pages = 100"),
            ("routes[0].pages", "pages = 100"),
        ] {
            let name = key.rsplit('.').next().unwrap_or(key);
            let big = format!("{name} = 99999999999999999999");
            let text = if name == "pages" || name == "rate" {
                replace(MINIMAL, line, &big)
            } else {
                replace(MINIMAL, line, &format!("{line}\n{big}"))
            };
            let err = error(&text, key, line_of(&text, "99999999999999999999"));
            assert!(
                err.message.contains("9223372036854775807") && !err.message.contains("i128"),
                "says what TOML allows: {err}"
            );
        }
    }

    #[test]
    fn invalid_utf8_is_named_by_line_and_column() {
        let mut bytes = b"duration = \"6h\"\n# caf".to_vec();
        bytes.extend_from_slice(&[0xE9, b'\n']);
        bytes.extend_from_slice(MINIMAL.as_bytes());
        let err = crate::scenario::Study::from_bytes(&bytes, Path::new("s.toml")).unwrap_err();
        assert_eq!((err.line, err.column), (Some(2), Some(6)), "{err}");
        assert!(
            err.to_string().starts_with("s.toml:2:6: ") && err.message.contains("UTF-8"),
            "{err}"
        );
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_and_column("ab\ncdé f", 0), (1, 1));
        assert_eq!(line_and_column("ab\ncdé f", 3), (2, 1));
        // `é` is two bytes but one column.
        assert_eq!(line_and_column("ab\ncdé f", 8), (2, 5));
        assert_eq!(line_and_column("ab", 99), (1, 3));
    }
}
