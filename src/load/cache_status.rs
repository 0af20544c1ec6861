//! The `Cache-Status` response header of RFC 9211 ("The Cache-Status HTTP Response Header
//! Field", June 2022), read without allocating.
//!
//! The field is a Structured Fields List (RFC 8941 §3.1): one member per cache the response went
//! through, "the first member identifies the cache closest to the origin server, and the last
//! identifies the cache closest to the user" (RFC 9211 §2). A member is an Item, a String or Token
//! naming the cache, with Parameters (RFC 9211 §2.1–2.8): `hit` (Boolean: answered from the
//! cache, "even if it was revalidated"), `fwd` (Token: why the request went on, `bypass`,
//! `method`, `uri-miss`, `vary-miss`, `miss`, `request`, `stale`, `partial`), `fwd-status`,
//! `ttl` (Integer, negative once stale), `stored`, `collapsed`, `key`, `detail`.
//!
//! Parsing follows RFC 8941 §4.2: any error fails the whole field, which is then ignored, as
//! §4.2 requires ("the entire field value MUST be ignored"). Inner Lists, which RFC 9211 does not
//! use, are a parse error here for the same reason. A cache's name that holds an escape (`\"`,
//! `\\`) is kept as written, escapes included: no cache isrsim knows of has one.

/// One cache's member of a `Cache-Status` field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Member<'a> {
    /// The cache's name, a String's content or a Token.
    pub name: &'a str,
    /// `hit`: the response came from this cache.
    pub hit: bool,
    /// `fwd`: why the request was forwarded, if it was.
    pub fwd: Option<&'a str>,
    /// `ttl`, in seconds (negative: stale).
    pub ttl: Option<i64>,
    /// `stored`: the forwarded response was stored.
    pub stored: bool,
}

/// The members of a `Cache-Status` value, closest to the origin first; `None` when the value is
/// not a valid Structured Fields List (RFC 8941 §4.2: the field is then ignored).
pub fn members(value: &str) -> Option<Members<'_>> {
    let mut check = Members::new(value);
    for member in check.by_ref() {
        member?;
    }
    Some(Members::new(value))
}

/// An iterator over the members of a `Cache-Status` value (see [`members`], which checks the
/// whole value first).
pub struct Members<'a> {
    rest: &'a [u8],
    text: &'a str,
    at: usize,
    first: bool,
}

impl<'a> Members<'a> {
    fn new(text: &'a str) -> Members<'a> {
        Members {
            rest: text.as_bytes(),
            text,
            at: 0,
            first: true,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.rest.get(self.at).copied()
    }

    fn skip(&mut self, set: &[u8]) {
        while self.peek().is_some_and(|b| set.contains(&b)) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        let here = self.peek() == Some(byte);
        self.at += usize::from(here);
        here
    }

    /// A Token (RFC 8941 §3.3.4) or a key (§3.1.2), whichever `first` and `rest` allow.
    fn run(&mut self, first: fn(u8) -> bool, rest: fn(u8) -> bool) -> Option<&'a str> {
        let start = self.at;
        if !self.peek().is_some_and(first) {
            return None;
        }
        self.at += 1;
        while self.peek().is_some_and(rest) {
            self.at += 1;
        }
        self.text.get(start..self.at)
    }

    /// A String's content (RFC 8941 §3.3.3), escapes kept.
    fn string(&mut self) -> Option<&'a str> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.at;
        loop {
            match self.peek()? {
                b'\\' => {
                    self.at += 1;
                    if !matches!(self.peek()?, b'"' | b'\\') {
                        return None;
                    }
                }
                b'"' => break,
                b' '..=b'~' => {}
                _ => return None,
            }
            self.at += 1;
        }
        let content = self.text.get(start..self.at);
        self.at += 1;
        content
    }

    /// A Bare Item (RFC 8941 §4.2.3.1): its text, as a String's content, a Token, a number,
    /// `?0`/`?1` or a Byte Sequence's text.
    fn bare_item(&mut self) -> Option<Bare<'a>> {
        match self.peek()? {
            b'"' => self.string().map(Bare::Text),
            b'?' => {
                self.at += 1;
                let value = match self.peek()? {
                    b'0' => false,
                    b'1' => true,
                    _ => return None,
                };
                self.at += 1;
                Some(Bare::Boolean(value))
            }
            b':' => {
                self.at += 1;
                let start = self.at;
                self.skip(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");
                let bytes = self.text.get(start..self.at);
                self.eat(b':').then_some(())?;
                bytes.map(Bare::Text)
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ => self.run(token_start, token_char).map(Bare::Text),
        }
    }

    /// An Integer or Decimal (RFC 8941 §4.2.4); only an Integer's value is kept.
    fn number(&mut self) -> Option<Bare<'a>> {
        let start = self.at;
        self.eat(b'-');
        let digits = self.at;
        self.skip(b"0123456789");
        let whole = self.at - digits;
        if whole == 0 || whole > 15 {
            return None;
        }
        if self.eat(b'.') {
            let fraction = self.at;
            self.skip(b"0123456789");
            let places = self.at - fraction;
            return (whole <= 12 && (1..=3).contains(&places)).then_some(Bare::Decimal);
        }
        self.text
            .get(start..self.at)?
            .parse()
            .ok()
            .map(Bare::Integer)
    }

    /// A member: an Item and its Parameters (RFC 8941 §4.2.3, §4.2.3.2).
    fn member(&mut self) -> Option<Member<'a>> {
        let Bare::Text(name) = self.bare_item()? else {
            return None;
        };
        let mut member = Member {
            name,
            ..Member::default()
        };
        while self.eat(b';') {
            self.skip(b" ");
            let key = self.run(key_start, key_char)?;
            let value = if self.eat(b'=') {
                self.bare_item()?
            } else {
                Bare::Boolean(true)
            };
            match (key, value) {
                ("hit", Bare::Boolean(hit)) => member.hit = hit,
                ("stored", Bare::Boolean(stored)) => member.stored = stored,
                ("fwd", Bare::Text(fwd)) => member.fwd = Some(fwd),
                ("ttl", Bare::Integer(ttl)) => member.ttl = Some(ttl),
                ("hit" | "stored" | "fwd" | "ttl", _) => return None,
                _ => {}
            }
        }
        Some(member)
    }
}

impl<'a> Iterator for Members<'a> {
    /// `None` inside: the value is not a valid List.
    type Item = Option<Member<'a>>;

    fn next(&mut self) -> Option<Option<Member<'a>>> {
        // RFC 8941 §4.2.1: members are separated by a comma with optional whitespace; an empty
        // value is an empty List, and a trailing comma is an error.
        if self.first {
            self.first = false;
            self.skip(b" ");
            self.peek()?;
        } else {
            self.skip(b" \t");
            self.peek()?;
            if !self.eat(b',') {
                self.at = self.rest.len();
                return Some(None);
            }
            self.skip(b" \t");
            if self.peek().is_none() {
                return Some(None);
            }
        }
        let member = self.member();
        if member.is_none() {
            self.at = self.rest.len();
        }
        Some(member)
    }
}

/// A Bare Item, as far as `Cache-Status` needs it.
enum Bare<'a> {
    Text(&'a str),
    Integer(i64),
    Decimal,
    Boolean(bool),
}

fn token_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'*'
}

/// `tchar` (RFC 9110 §5.6.2), `:` and `/` (RFC 8941 §3.3.4).
fn token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:/".contains(&b)
}

fn key_start(b: u8) -> bool {
    b.is_ascii_lowercase() || b == b'*'
}

fn key_char(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.*".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(value: &str) -> Option<Vec<Member<'_>>> {
        members(value).map(Iterator::collect::<Option<Vec<_>>>)?
    }

    fn member(name: &'static str, hit: bool, fwd: Option<&'static str>) -> Member<'static> {
        Member {
            name,
            hit,
            fwd,
            ..Member::default()
        }
    }

    /// Values captured from Netlify, in `@netlify/plugin-nextjs`'s end-to-end tests
    /// (`tests/e2e/`) and Netlify's blog post introducing the header (2023).
    #[test]
    fn netlifys_values_are_read_member_by_member_origin_side_first() {
        let three = all(
            "\"Next.js\"; hit, \"Netlify Durable\"; fwd=stale; ttl=12; stored, \
             \"Netlify Edge\"; fwd=stale",
        )
        .unwrap();
        assert_eq!(three.len(), 3);
        assert_eq!(three[0], member("Next.js", true, None));
        assert_eq!(
            three[1],
            Member {
                ttl: Some(12),
                stored: true,
                ..member("Netlify Durable", false, Some("stale"))
            }
        );
        assert_eq!(three[2], member("Netlify Edge", false, Some("stale")));
        assert_eq!(
            all("\"Next.js\"; hit; fwd=stale").unwrap(),
            [member("Next.js", true, Some("stale"))]
        );
        let durable = all("\"Netlify Durable\"; hit; ttl=3599").unwrap();
        assert_eq!(durable[0].ttl, Some(3599));
        let negative = all("\"Netlify Durable\"; fwd=bypass; ttl=-17293").unwrap();
        assert_eq!(negative[0].ttl, Some(-17293));
        assert_eq!(
            all("\"Next.js\"; fwd=miss, \"Netlify Durable\"; fwd=uri-miss; stored").unwrap()[1],
            Member {
                stored: true,
                ..member("Netlify Durable", false, Some("uri-miss"))
            }
        );
    }

    /// RFC 9211's own examples (§2, §4) and the Structured Fields rules around them.
    #[test]
    fn rfc_9211_examples_and_structured_fields_rules() {
        assert_eq!(
            all("ExampleCache; hit").unwrap(),
            [member("ExampleCache", true, None)]
        );
        let two = all("OriginCache; hit; ttl=1100, \"CDN Company Here\"; hit; ttl=545").unwrap();
        assert_eq!(
            (two[0].name, two[1].name),
            ("OriginCache", "CDN Company Here")
        );
        assert_eq!(two[1].ttl, Some(545));
        assert_eq!(
            all("ExampleCache; fwd=vary-miss; fwd-status=200; key=\"k\"; detail=abc").unwrap()[0],
            member("ExampleCache", false, Some("vary-miss"))
        );
        assert!(!all("c; hit=?0").unwrap()[0].hit);
        assert_eq!(all("").unwrap(), []);
        assert_eq!(all("a;hit,b;fwd=miss\t").unwrap().len(), 2);
        // Invalid Lists are ignored whole (RFC 8941 §4.2).
        for bad in [
            "\"Netlify Edge\"; hit, fwd=stale",
            "a; hit,",
            "a; hit b",
            "(a b); hit",
            "a; Hit",
            "\"open",
            "a; hit=yes",
            "a; ttl=1.5",
            "a; fwd=\"miss\"x",
        ] {
            assert!(all(bad).is_none(), "{bad}");
        }
    }
}
