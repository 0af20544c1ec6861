//! The steady-state checks against hand-worked series and closed forms.

use super::*;

/// `n` counted buckets of `requests` each, `stale` of them stale.
fn flat(n: usize, requests: f64, stale: impl Fn(usize) -> f64) -> Vec<(f64, f64)> {
    (0..n).map(|i| (stale(i), requests)).collect()
}

/// A deterministic "noise" in [-1, 1): a linear congruential sequence, so the test never flakes.
fn noise(seed: u64) -> impl FnMut() -> f64 {
    let mut x = seed;
    move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((x >> 33) as f64 / (1u64 << 31) as f64) - 1.0
    }
}

#[test]
fn a_step_in_the_second_half_warns_with_one_replication() {
    // 40 buckets of 1000 requests: 10% stale in the first half, 20% in the second, ±1% noise.
    let mut n = noise(1);
    let series = flat(40, 1000.0, |i| if i < 20 { 100.0 } else { 200.0 });
    let series: Vec<_> = series
        .into_iter()
        .map(|(s, r)| (s + 10.0 * n(), r))
        .collect();
    let d = drift(&[series]).unwrap();
    assert!(!d.paired);
    assert!(
        (d.first - 0.1).abs() < 0.01 && (d.second - 0.2).abs() < 0.01,
        "{d:?}"
    );
    assert!(d.warns(), "{d:?}");
}

#[test]
fn a_flat_noisy_series_does_not_warn() {
    for seed in 1..50 {
        let mut n = noise(seed);
        // 10% stale, ±5% of it noise in each bucket.
        let series = flat(200, 1000.0, |_| 100.0);
        let series: Vec<_> = series
            .into_iter()
            .map(|(s, r)| (s + 5.0 * n(), r))
            .collect();
        let d = drift(&[series]).unwrap();
        assert!(!d.warns(), "seed {seed}: {d:?}");
        // A change within the floor does not warn however sure: 10% against 11%.
        let step = flat(200, 1000.0, |i| if i < 100 { 100.0 } else { 110.0 });
        assert!(!drift(&[step]).unwrap().warns());
    }
}

#[test]
fn replications_are_paired_half_against_half() {
    // Three replications at different levels (0.1, 0.3, 0.5) each rising by 50% in its second
    // half: the differences are 0.05, 0.15, 0.25, mean 0.15, s = 0.1, half-width
    // 4.302653 * 0.1 / sqrt(3) = 0.248414: the interval includes 0, no warning.
    let run = |level: f64| {
        flat(
            10,
            100.0,
            move |i| if i < 5 { 100.0 * level } else { 150.0 * level },
        )
    };
    let d = drift(&[run(0.1), run(0.3), run(0.5)]).unwrap();
    assert!(d.paired);
    assert!((d.change.mean - 0.15).abs() < 1e-12);
    assert!((d.change.ci95 - 0.248414).abs() < 1e-6, "{d:?}");
    assert!(!d.warns());
    // The same rise of 0.1 in every replication: zero variance, beyond its interval.
    let run = |level: f64| {
        flat(10, 100.0, move |i| {
            if i < 5 {
                100.0 * level
            } else {
                100.0 * level + 10.0
            }
        })
    };
    let d = drift(&[run(0.2), run(0.3), run(0.25)]).unwrap();
    assert!(d.change.ci95 < 1e-12 && d.warns(), "{d:?}");
}

#[test]
fn welch_matches_a_hand_worked_interval() {
    // a = 1, 2, 3 (s² = 1), b = 2, 4, 6 (s² = 4): se² = 1/3 + 4/3 = 5/3,
    // ν = (5/3)² / ((1/3)²/2 + (4/3)²/2) = 2.7778 / 0.9444 = 2.94, rounded down to 2:
    // 4.302653 * sqrt(5/3) = 4.302653 * 1.290994 = 5.554701.
    let h = welch_half_width(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]);
    assert!((h - 5.554701).abs() < 1e-6, "{h}");
}

#[test]
fn too_short_a_series_is_not_judged() {
    assert_eq!(drift(&[flat(3, 10.0, |_| 1.0)]), None);
    assert_eq!(drift(&[]), None);
    // A half with nothing counted cannot be judged.
    assert_eq!(drift(&[flat(40, 0.0, |_| 0.0)]), None);
}

#[test]
fn a_timer_expiring_at_the_warm_ups_end_warns_and_no_other() {
    let s = SimTime::from_secs;
    let bucket = s(60);
    // revalidate = warmup, built at t=0: every page expires as counting starts.
    assert_eq!(
        first_expiry_at_warmup(s(3600), SimTime::ZERO, SimTime::ZERO, s(3600), bucket),
        Some(s(3600))
    );
    // Built 10 minutes before t=0: expires at 50 minutes, which a 50-minute warm-up meets.
    assert_eq!(
        first_expiry_at_warmup(s(3600), s(600), SimTime::ZERO, s(3000), bucket),
        Some(s(3000))
    );
    // Within a bucket either side, and not beyond.
    assert!(
        first_expiry_at_warmup(s(3659), SimTime::ZERO, SimTime::ZERO, s(3600), bucket).is_some()
    );
    assert!(
        first_expiry_at_warmup(s(3660), SimTime::ZERO, SimTime::ZERO, s(3600), bucket).is_none()
    );
    assert!(
        first_expiry_at_warmup(s(1800), SimTime::ZERO, SimTime::ZERO, s(3600), bucket).is_none()
    );
    // No warm-up, a spread build, or pages already expired at t=0: nothing synchronized.
    assert!(
        first_expiry_at_warmup(s(60), SimTime::ZERO, SimTime::ZERO, SimTime::ZERO, bucket)
            .is_none()
    );
    assert!(first_expiry_at_warmup(s(3600), SimTime::ZERO, s(600), s(3600), bucket).is_none());
    assert!(first_expiry_at_warmup(s(3600), s(7200), SimTime::ZERO, s(3600), bucket).is_none());
}
