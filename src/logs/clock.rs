//! The instants a log line records, as microseconds since the Unix epoch (UTC).
//!
//! Three spellings are read:
//! - the Common Log Format's `[10/Oct/2000:13:55:36 -0700]` (nginx's `$time_local`, Apache's
//!   `%t`), whole seconds with a UTC offset;
//! - RFC 3339 (`2026-11-30T10:00:00.250Z`, `2026-11-30 10:00:00+01:00`), as JSON and CSV logs
//!   write it;
//! - a number of seconds since the epoch, with decimals (nginx's `$msec`).
//!
//! Dates are converted with Howard Hinnant's `days_from_civil` ("chrono-Compatible Low-Level
//! Date Algorithms"), exact for every proleptic Gregorian date.

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Micros = i64;

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Days from 1970-01-01 to the given civil date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count from 1970-01-01 (the inverse of `days_from_civil`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `2026-11-30T10:00:00Z` for an instant, to the second (what `fit` writes in its comments).
pub fn format_utc(at: Micros) -> String {
    let secs = at.div_euclid(1_000_000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3_600,
        rest / 60 % 60,
        rest % 60
    )
}

fn digits(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() > 9 {
        return None;
    }
    bytes.iter().try_fold(0i64, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
    })
}

fn seconds_of_day(h: i64, m: i64, s: i64) -> Option<i64> {
    // 60 is a leap second, which the log counts as the next second's start.
    (h < 24 && m < 60 && s <= 60).then_some(h * 3_600 + m * 60 + s)
}

/// `+0100`, `-07:00` or `Z`, in seconds east of UTC.
fn offset(bytes: &[u8]) -> Option<i64> {
    match bytes {
        b"Z" | b"z" => Some(0),
        [sign @ (b'+' | b'-'), h1, h2, rest @ ..] => {
            let minutes = match rest {
                [m1, m2] | [b':', m1, m2] => digits(&[*m1, *m2])?,
                [] => 0,
                _ => return None,
            };
            let total = (digits(&[*h1, *h2])? * 60 + minutes) * 60;
            Some(if *sign == b'-' { -total } else { total })
        }
        _ => None,
    }
}

/// The Common Log Format's `10/Oct/2000:13:55:36 -0700` (without the brackets).
pub fn common_log(bytes: &[u8]) -> Option<Micros> {
    // dd/Mon/yyyy:HH:MM:SS +zzzz
    if bytes.len() != 26 || bytes[2] != b'/' || bytes[6] != b'/' || bytes[11] != b':' {
        return None;
    }
    let day = digits(&bytes[0..2])?;
    let month = MONTHS.iter().position(|m| m[..] == bytes[3..6])? as u32 + 1;
    let year = digits(&bytes[7..11])?;
    if bytes[14] != b':' || bytes[17] != b':' || bytes[20] != b' ' {
        return None;
    }
    let time = seconds_of_day(
        digits(&bytes[12..14])?,
        digits(&bytes[15..17])?,
        digits(&bytes[18..20])?,
    )?;
    let zone = offset(&bytes[21..])?;
    if !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day as u32);
    Some((days * 86_400 + time - zone) * 1_000_000)
}

/// RFC 3339: `2026-11-30T10:00:00Z`, with optional fractional seconds, `T` or a space between
/// date and time, and `Z` or a numeric offset.
pub fn rfc3339(bytes: &[u8]) -> Option<Micros> {
    if bytes.len() < 20 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    if !matches!(bytes[10], b'T' | b't' | b' ') || bytes[13] != b':' || bytes[16] != b':' {
        return None;
    }
    let year = digits(&bytes[0..4])?;
    let month = digits(&bytes[5..7])?;
    let day = digits(&bytes[8..10])?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let time = seconds_of_day(
        digits(&bytes[11..13])?,
        digits(&bytes[14..16])?,
        digits(&bytes[17..19])?,
    )?;
    let mut rest = &bytes[19..];
    let mut micros = 0;
    if let [b'.', fraction @ ..] = rest {
        let n = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        // Digits past the sixth are below the model's resolution.
        let kept = &fraction[..n.min(6)];
        micros = digits(kept)? * 10i64.pow(6 - kept.len() as u32);
        rest = &fraction[n..];
    }
    let zone = offset(rest)?;
    let days = days_from_civil(year, month as u32, day as u32);
    Some((days * 86_400 + time - zone) * 1_000_000 + micros)
}

/// Seconds since the epoch, with optional decimals: `1764496800.123`.
pub fn epoch_seconds(bytes: &[u8]) -> Option<Micros> {
    let (whole, fraction) = match memchr::memchr(b'.', bytes) {
        Some(dot) => (&bytes[..dot], &bytes[dot + 1..]),
        None => (bytes, &b""[..]),
    };
    if whole.is_empty() || whole.len() > 12 || !whole.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let secs = whole
        .iter()
        .fold(0i64, |n, &b| n * 10 + i64::from(b - b'0'));
    if !fraction.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let kept = &fraction[..fraction.len().min(6)];
    let micros = if kept.is_empty() {
        0
    } else {
        digits(kept)? * 10i64.pow(6 - kept.len() as u32)
    };
    Some(secs * 1_000_000 + micros)
}

/// Any of the three spellings (a CSV or JSON field).
pub fn any(bytes: &[u8]) -> Option<Micros> {
    epoch_seconds(bytes)
        .or_else(|| rfc3339(bytes))
        .or_else(|| common_log(bytes))
}

/// What `any` reads, for error messages.
pub const SPELLINGS: &str = "seconds since 1970 (\"1764496800.25\"), RFC 3339 \
    (\"2026-11-30T10:00:00Z\") or the Common Log Format's \"30/Nov/2026:10:00:00 +0000\"";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_epoch_and_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        // 2026-11-30 is 20,787 days after the epoch (`date -u -d 2026-11-30 +%s` is 1795996800).
        assert_eq!(days_from_civil(2026, 11, 30) * 86_400, 1_795_996_800);
        for days in [-1_000_000, -1, 0, 59, 60, 11_017, 20_787, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn the_common_log_format_with_its_offset() {
        // Apache's documentation example: 10/Oct/2000:13:55:36 -0700 is 20:55:36 UTC,
        // 971211336 seconds after the epoch.
        assert_eq!(
            common_log(b"10/Oct/2000:13:55:36 -0700"),
            Some(971_211_336_000_000)
        );
        assert_eq!(
            common_log(b"10/Oct/2000:20:55:36 +0000"),
            Some(971_211_336_000_000)
        );
        assert_eq!(common_log(b"10/Foo/2000:13:55:36 -0700"), None);
        assert_eq!(common_log(b"10/Oct/2000:25:55:36 -0700"), None);
        assert_eq!(common_log(b"10/Oct/2000:13:55:36"), None);
    }

    #[test]
    fn rfc3339_and_epoch_seconds_agree() {
        let at = 971_211_336_000_000;
        assert_eq!(rfc3339(b"2000-10-10T20:55:36Z"), Some(at));
        assert_eq!(rfc3339(b"2000-10-10 13:55:36-07:00"), Some(at));
        assert_eq!(rfc3339(b"2000-10-10T20:55:36.25Z"), Some(at + 250_000));
        assert_eq!(
            rfc3339(b"2000-10-10T20:55:36.1234567+00:00"),
            Some(at + 123_456)
        );
        assert_eq!(epoch_seconds(b"971211336"), Some(at));
        assert_eq!(epoch_seconds(b"971211336.25"), Some(at + 250_000));
        assert_eq!(any(b"971211336.5"), Some(at + 500_000));
        assert_eq!(any(b"10/Oct/2000:13:55:36 -0700"), Some(at));
        for bad in [&b""[..], b"soon", b"2000-13-10T20:55:36Z", b"12.x", b"-5"] {
            assert_eq!(any(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(format_utc(at + 250_000), "2000-10-10T20:55:36Z");
    }
}
