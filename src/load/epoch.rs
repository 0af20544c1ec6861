//! `isrsim load --epoch`: time zero at the instant the site's build went live (docs/load.md,
//! "Time zero"), given as Unix seconds the way `date +%s.%N` prints them.
//!
//! A prerendered page's age counts from its build file's modification time (Next.js's
//! `FileSystemCache` takes `lastModified` from the file's `mtime`), so a site started before the
//! load test has pages older than the simulator's, which are built at its time zero. With the
//! deploy instant as time zero, the two coincide: the users, edits, webhooks, schedule ticks and
//! the content server's clock all count from it, and the arrivals already due when the load test
//! starts are sent at once. They fall in the warm-up, which is why an epoch older than the
//! warm-up is refused: the load test cannot replay the past beyond it.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::time::SimTime;

/// How far ahead of this machine's clock an epoch may be: clock skew between the shell that
/// recorded it and this process, not a deploy in the future.
pub const SKEW: Duration = Duration::from_secs(1);

/// Reads Unix seconds with an optional decimal fraction (`1765147200`, `1765147200.123456789`),
/// exactly (no floating point): digits beyond the nanosecond are dropped.
pub fn parse(text: &str) -> Result<SystemTime, String> {
    let bad = || {
        format!(
            "--epoch {text}: expected Unix seconds, a decimal fraction allowed, as `date +%s.%N` \
             prints (for example 1765147200.25)"
        )
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) {
        return Err(bad());
    }
    let secs: u64 = whole.parse().map_err(|_| bad())?;
    let nanos = (fraction.bytes().chain(std::iter::repeat(b'0')))
        .take(9)
        .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'));
    UNIX_EPOCH
        .checked_add(Duration::new(secs, nanos))
        .ok_or_else(bad)
}

/// Whether `epoch` can be time zero of a load test starting `now` with warm-up `warmup`: not in
/// the future beyond [`SKEW`], not older than the warm-up.
pub fn check(epoch: SystemTime, now: SystemTime, warmup: SimTime) -> Result<(), String> {
    let given = seconds(epoch);
    match now.duration_since(epoch) {
        Err(ahead) if ahead.duration() > SKEW => Err(format!(
            "--epoch {given}: that is {:.3} s after this machine's clock; the epoch is the \
             instant the site went live, at most {} s ahead (clock skew)",
            ahead.duration().as_secs_f64(),
            SKEW.as_secs()
        )),
        Ok(ago) if ago.as_micros() > u128::from(warmup.as_micros()) => Err(format!(
            "--epoch {given}: that is {:.3} s ago, longer than the warm-up ({warmup}); the load \
             test cannot replay requests of the past beyond the warm-up: start it within \
             {warmup} of the deploy, lengthen --warmup, or leave out --epoch (time zero is then \
             when the load test starts)",
            ago.as_secs_f64()
        )),
        _ => Ok(()),
    }
}

/// `epoch` on the monotonic clock: the `Instant` that many seconds ago (or ahead); `None` when
/// the monotonic clock does not reach back that far (a machine booted since).
pub fn instant(epoch: SystemTime) -> Option<Instant> {
    let (now, wall) = (Instant::now(), SystemTime::now());
    match wall.duration_since(epoch) {
        Ok(ago) => now.checked_sub(ago),
        Err(ahead) => now.checked_add(ahead.duration()),
    }
}

/// `epoch` as Unix seconds with six decimals, as `meta.csv` records it.
pub fn seconds(epoch: SystemTime) -> String {
    let since = epoch.duration_since(UNIX_EPOCH).unwrap_or_default();
    format!("{}.{:06}", since.as_secs(), since.subsec_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(secs, nanos)
    }

    #[test]
    fn unix_seconds_are_read_exactly_as_date_prints_them() {
        assert_eq!(parse("1765147200"), Ok(at(1_765_147_200, 0)));
        assert_eq!(parse("1765147200.25"), Ok(at(1_765_147_200, 250_000_000)));
        assert_eq!(
            parse("1765147200.123456789"),
            Ok(at(1_765_147_200, 123_456_789))
        );
        // Beyond the nanosecond: dropped, not rounded.
        assert_eq!(
            parse("1765147200.1234567899"),
            Ok(at(1_765_147_200, 123_456_789))
        );
        assert_eq!(parse("1765147200."), Ok(at(1_765_147_200, 0)));
        for bad in ["", ".5", "-1", "1e9", "17651 47200", "now", "1765147200.2x"] {
            let e = parse(bad).expect_err(bad);
            assert!(e.starts_with(&format!("--epoch {bad}:")), "{e}");
        }
    }

    #[test]
    fn an_epoch_in_the_future_or_older_than_the_warmup_is_refused() {
        let now = at(1_000, 0);
        let warmup = SimTime::from_secs(30);
        assert!(check(at(1_000, 0), now, warmup).is_ok());
        assert!(check(at(1_001, 0), now, warmup).is_ok(), "within the skew");
        assert!(
            check(at(970, 0), now, warmup).is_ok(),
            "the warm-up exactly"
        );
        let ahead = check(at(1_001, 1_000), now, warmup).unwrap_err();
        assert!(
            ahead.contains("--epoch 1001.000001") && ahead.contains("ahead"),
            "{ahead}"
        );
        let old = check(at(969, 999_999_000), now, warmup).unwrap_err();
        assert!(
            old.contains("--epoch 969.999999") && old.contains("warm-up (30s)"),
            "{old}"
        );
    }

    #[test]
    fn an_epoch_in_the_past_is_that_long_before_now_on_the_monotonic_clock() {
        let before = Instant::now();
        let zero = instant(SystemTime::now() - Duration::from_secs(2)).unwrap();
        let ago = before.duration_since(zero);
        assert!(
            ago >= Duration::from_millis(1_900) && ago <= Duration::from_millis(2_100),
            "{ago:?}"
        );
    }
}
