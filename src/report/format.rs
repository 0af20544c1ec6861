//! Figures rounded for a person to read, with their unit: the terminal table, `report.html` and
//! `isrsim diff` all print them through here. The CSV and JSON files keep the precise figures.
//!
//! Two roundings, on purpose: a table of many columns shows about three significant digits
//! (`human`), while `isrsim diff` shows three significant digits everywhere
//! (`human_significant`), so that a small change between two figures stays visible.

use crate::metrics::Unit;

/// A figure in a comparison table: ratios as percentages, times with a unit and about three
/// significant digits, counts as whole numbers with thousands separators. The terminal table and
/// `report.html` both show it, and a test holds their cells equal.
pub(super) fn human(x: f64, unit: Unit) -> String {
    match unit {
        Unit::Ratio => format!("{:.2}%", x * 100.0),
        Unit::Seconds => format!("{}s", three_digits(x)),
        Unit::Millis => format!("{}ms", three_digits(x)),
        Unit::PerSecond => format!("{}/s", count(x)),
        Unit::Count => count(x),
    }
}

/// A figure in `isrsim diff`: ratios as percentages and times with their unit, to three
/// significant digits so that small differences stay visible; counts whole when they are.
pub(super) fn human_significant(x: f64, unit: Unit) -> String {
    match unit {
        Unit::Ratio => format!("{}%", significant(x * 100.0)),
        Unit::Seconds => format!("{}s", significant(x)),
        Unit::Millis => format!("{}ms", significant(x)),
        Unit::PerSecond => format!("{}/s", significant(x)),
        Unit::Count if x.fract() == 0.0 => grouped(x, 0),
        Unit::Count => significant(x),
    }
}

/// Three significant digits, never fewer than the whole part: `0.00123`, `4.56`, `1,234`.
pub(super) fn significant(x: f64) -> String {
    let a = x.abs();
    let decimals = if a == 0.0 || a >= 100.0 {
        0
    } else {
        (2 - a.log10().floor() as i32).clamp(0, 6) as usize
    };
    grouped(x, decimals)
}

/// Whole numbers when a count is whole or large, one decimal for a small mean such as `2.5`.
fn count(x: f64) -> String {
    if x.fract() == 0.0 || x.abs() >= 100.0 {
        grouped(x, 0)
    } else {
        grouped(x, 1)
    }
}

/// About three significant digits, at most three decimals, never fewer digits than the whole
/// part: `0.123`, `4.56`, `78.9`, `1,234`.
fn three_digits(x: f64) -> String {
    let decimals = match x.abs() {
        0.0 => 0,
        a if a >= 100.0 => 0,
        a if a >= 10.0 => 1,
        a if a >= 1.0 => 2,
        _ => 3,
    };
    grouped(x, decimals)
}

/// `x` with `decimals` decimals and a comma between each group of three digits of the whole part.
fn grouped(x: f64, decimals: usize) -> String {
    let fixed = format!("{x:.decimals$}");
    let (sign, digits) = fixed
        .strip_prefix('-')
        .map_or(("", fixed.as_str()), |d| ("-", d));
    let (whole, fraction) = digits.split_at(digits.find('.').unwrap_or(digits.len()));
    let mut out = String::from(sign);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out + fraction
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_figures_are_rounded_for_reading() {
        assert_eq!(grouped(1_234_567.0, 0), "1,234,567");
        assert_eq!(grouped(-1_234.5, 1), "-1,234.5");
        assert_eq!(grouped(999.0, 0), "999");
        assert_eq!(human(0.0123, Unit::Ratio), "1.23%");
        assert_eq!(human(0.25, Unit::Seconds), "0.250s");
        assert_eq!(human(0.0, Unit::Seconds), "0s");
        assert_eq!(human(4.2, Unit::Seconds), "4.20s");
        assert_eq!(human(42.34, Unit::Seconds), "42.3s");
        assert_eq!(human(86_400.0, Unit::Seconds), "86,400s");
        assert_eq!(human(250.4, Unit::Millis), "250ms");
        assert_eq!(human(2.5, Unit::Count), "2.5");
        assert_eq!(human(12_345.4, Unit::Count), "12,345");
        assert_eq!(human(40.0, Unit::PerSecond), "40/s");
    }

    #[test]
    fn diff_figures_keep_three_significant_digits() {
        assert_eq!(human_significant(0.0123, Unit::Ratio), "1.23%");
        assert_eq!(human_significant(0.000_012, Unit::Ratio), "0.00120%");
        assert_eq!(human_significant(4.2, Unit::Seconds), "4.20s");
        assert_eq!(human_significant(13525.23, Unit::Seconds), "13,525s");
        assert_eq!(human_significant(250.4, Unit::Millis), "250ms");
        assert_eq!(human_significant(12_000.0, Unit::Count), "12,000");
        assert_eq!(human_significant(2.5, Unit::Count), "2.50");
        assert_eq!(human_significant(0.0, Unit::Count), "0");
        // Where the two roundings part: a table drops what the diff keeps.
        assert_eq!(human(0.000_012, Unit::Ratio), "0.00%");
        assert_eq!(human(0.00123, Unit::Seconds), "0.001s");
        assert_eq!(human_significant(0.00123, Unit::Seconds), "0.00123s");
    }
}
