//! `isrsim load --epoch`: time zero at the instant the site's build goes live (docs/load.md,
//! "Time zero"), given as Unix seconds the way `date +%s.%N` prints them.
//!
//! A prerendered page's age counts from its build file's modification time (Next.js's
//! `FileSystemCache` takes `lastModified` from the file's `mtime`), so a site started before the
//! load test has pages older than the simulator's, which are built at its time zero. With the
//! deploy instant as time zero, the two coincide: the users, edits, webhooks, schedule ticks and
//! the content server's clock all count from it.
//!
//! The deploy instant may lie ahead, up to [`AHEAD`]: `examples/stack.sh up` dates the build's
//! files a lead into the future, when the stack will be ready, and the load test waits for it
//! (its content server already listening) and starts exactly at time zero. A page dated in the
//! future is fresh until then (its age is negative; Next.js's `IncrementalCache` marks an entry
//! stale only once `lastModified + revalidate` has passed). An epoch in the past works too: the
//! arrivals already due are then sent at once. They fall in the warm-up, which is why an epoch
//! older than the warm-up is refused: the load test cannot replay the past beyond it.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::time::SimTime;

/// How far ahead of this machine's clock an epoch may be: the load test waits for it, and a
/// longer wait is more likely a wrong value (milliseconds for seconds, another clock) than a
/// deploy still to come.
pub const AHEAD: Duration = Duration::from_secs(120);

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
/// the future beyond [`AHEAD`], not older than the warm-up.
pub fn check(epoch: SystemTime, now: SystemTime, warmup: SimTime) -> Result<(), String> {
    let given = seconds(epoch);
    match now.duration_since(epoch) {
        Err(ahead) if ahead.duration() > AHEAD => Err(format!(
            "--epoch {given}: that is {:.3} s after this machine's clock; the epoch is the \
             instant the site goes live, and the load test waits for it at most {} s",
            ahead.duration().as_secs_f64(),
            AHEAD.as_secs()
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

/// How long until `epoch` from `now`: zero when it has passed.
pub fn until(epoch: SystemTime, now: SystemTime) -> Duration {
    epoch.duration_since(now).unwrap_or_default()
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
    fn an_epoch_beyond_two_minutes_ahead_or_older_than_the_warmup_is_refused() {
        let now = at(1_000, 0);
        let warmup = SimTime::from_secs(30);
        assert!(check(at(1_000, 0), now, warmup).is_ok());
        assert!(
            check(at(1_020, 0), now, warmup).is_ok(),
            "a deploy 20 s ahead"
        );
        assert!(
            check(at(1_120, 0), now, warmup).is_ok(),
            "the bound exactly"
        );
        assert!(
            check(at(970, 0), now, warmup).is_ok(),
            "the warm-up exactly"
        );
        let ahead = check(at(1_120, 1_000), now, warmup).unwrap_err();
        assert!(
            ahead.contains("--epoch 1120.000001")
                && ahead.contains("120.000 s after")
                && ahead.contains("at most 120 s"),
            "{ahead}"
        );
        let old = check(at(969, 999_999_000), now, warmup).unwrap_err();
        assert!(
            old.contains("--epoch 969.999999") && old.contains("warm-up (30s)"),
            "{old}"
        );
    }

    #[test]
    fn the_wait_is_the_time_left_until_the_epoch() {
        let now = at(1_000, 0);
        assert_eq!(
            until(at(1_020, 500_000_000), now),
            Duration::from_millis(20_500)
        );
        assert_eq!(until(at(1_000, 0), now), Duration::ZERO);
        assert_eq!(until(at(990, 0), now), Duration::ZERO, "passed: no wait");
    }

    #[test]
    fn an_epoch_ahead_is_that_long_after_now_on_the_monotonic_clock() {
        let before = Instant::now();
        let zero = instant(SystemTime::now() + Duration::from_secs(2)).unwrap();
        let ahead = zero.duration_since(before);
        assert!(
            ahead >= Duration::from_millis(1_900) && ahead <= Duration::from_millis(2_100),
            "{ahead:?}"
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
