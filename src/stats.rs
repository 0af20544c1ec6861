//! Summary statistics over replications (docs/model.md §2.5): the mean and the half-width of
//! its 95% Student-t confidence interval.
//!
//! Replications are independent runs that differ only in their seed, so the t-interval of their
//! mean is the textbook way to say how much a figure would move with more replications.

/// The arithmetic mean; 0 for an empty slice, which has no figures to average.
pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// The half-width of the 95% Student-t confidence interval of the mean:
/// `t(0.975, n - 1) * s / sqrt(n)`, with `s` the sample standard deviation.
/// One figure (or none) says nothing about spread, so it gives 0.
pub fn ci95_half_width(xs: &[f64]) -> f64 {
    let n = xs.len();
    if n < 2 {
        return 0.0;
    }
    let m = mean(xs);
    let variance = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64;
    t_975(n as u64 - 1) * (variance / n as f64).sqrt()
}

/// `t(0.975, df)` for `df` = 1..=30, to nine decimals.
const T_975: [f64; 30] = [
    12.706204736,
    4.302652730,
    3.182446305,
    2.776445105,
    2.570581836,
    2.446911851,
    2.364624252,
    2.306004135,
    2.262157163,
    2.228138852,
    2.200985160,
    2.178812830,
    2.160368656,
    2.144786688,
    2.131449546,
    2.119905299,
    2.109815578,
    2.100922040,
    2.093024054,
    2.085963447,
    2.079613845,
    2.073873068,
    2.068657610,
    2.063898562,
    2.059538553,
    2.055529439,
    2.051830516,
    2.048407142,
    2.045229642,
    2.042272456,
];

/// The 0.975 quantile of Student's t with `df` degrees of freedom (`df` >= 1; 0 is treated as 1).
///
/// Small `df` come from the table. Beyond it, the Cornish-Fisher expansion of t around the normal
/// quantile (Abramowitz & Stegun 26.7.5) is accurate to better than 1e-7 relative for `df` > 30.
pub fn t_975(df: u64) -> f64 {
    if df <= T_975.len() as u64 {
        return T_975[df.max(1) as usize - 1];
    }
    cornish_fisher_975(df as f64)
}

fn cornish_fisher_975(v: f64) -> f64 {
    const Z: f64 = 1.959_963_984_540_054; // the normal 0.975 quantile
    let z2 = Z * Z;
    let g1 = Z * (z2 + 1.0) / 4.0;
    let g2 = Z * ((5.0 * z2 + 16.0) * z2 + 3.0) / 96.0;
    let g3 = Z * (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / 384.0;
    let g4 = Z * ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) / 92160.0;
    Z + g1 / v + g2 / (v * v) + g3 / (v * v * v) + g4 / (v * v * v * v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(actual: f64, expected: f64, tolerance: f64) {
        assert!(
            (actual - expected).abs() <= tolerance,
            "{actual} is not within {tolerance} of {expected}"
        );
    }

    #[test]
    fn t_quantiles_match_published_tables() {
        for (df, t) in [
            (1, 12.706),
            (2, 4.303),
            (4, 2.776),
            (9, 2.262),
            (29, 2.045),
            (100, 1.984),
            (1000, 1.962),
        ] {
            assert_close(t_975(df), t, 5e-4);
        }
    }

    #[test]
    fn cornish_fisher_agrees_with_exact_quantiles_beyond_the_table() {
        // Exact values from numerically inverting the t distribution's CDF.
        for (df, t) in [
            (31, 2.039513446),
            (40, 2.021075390),
            (60, 2.000297822),
            (100, 1.983971519),
        ] {
            assert_close(t_975(df), t, t * 1e-6);
        }
        // It reproduces the table's last rows too, so switching over at 30 makes no jump.
        for df in 20..=30 {
            let exact = T_975[df - 1];
            assert_close(cornish_fisher_975(df as f64), exact, exact * 1e-6);
        }
    }

    #[test]
    fn t_quantiles_fall_towards_the_normal_quantile() {
        let mut previous = f64::INFINITY;
        for df in 1..5000 {
            let t = t_975(df);
            assert!(
                t < previous,
                "t_975({df}) = {t} is not below t_975({}) = {previous}",
                df - 1
            );
            previous = t;
        }
        assert!(previous > 1.959_963_984);
    }

    #[test]
    fn mean_and_ci_of_a_hand_worked_sample() {
        // 2, 4, 6: mean 4, s^2 = (4 + 0 + 4) / 2 = 4, s = 2, half-width = 4.302653 * 2 / sqrt(3).
        let xs = [2.0, 4.0, 6.0];
        assert_eq!(mean(&xs), 4.0);
        assert_close(ci95_half_width(&xs), 4.968275, 1e-6);
        // Two equal figures have no spread.
        assert_eq!(ci95_half_width(&[7.0, 7.0]), 0.0);
    }

    #[test]
    fn fewer_than_two_figures_give_no_interval() {
        assert_eq!(mean(&[]), 0.0);
        assert_eq!(ci95_half_width(&[]), 0.0);
        assert_eq!(mean(&[3.5]), 3.5);
        assert_eq!(ci95_half_width(&[3.5]), 0.0);
    }
}
