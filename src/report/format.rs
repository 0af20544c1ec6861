//! Text for a person to read: figures rounded with their unit, estimates, tables and paragraphs.
//! The terminal table, `report.html`, `isrsim diff` and `isrsim compare` all lay out their text
//! through here, so each of these is done one way: `estimate` writes every `mean ± interval`,
//! `align_columns` lines up every plain-text table, `markdown_table` makes every Markdown one,
//! and `wrap` breaks every paragraph. The CSV and JSON files keep the precise figures.
//!
//! Several roundings, on purpose: `report.html`'s table shows about three significant digits
//! (`human`); `isrsim diff` shows three significant digits everywhere (`human_significant`), so
//! that a small change between two figures stays visible; the terminal table shows a mean and its
//! interval together in one unit scaled to them (`Rounding::Scaled`: `4.1 ± 1.2 h`), or, where
//! scripts read it, in the column's own fixed unit (`Rounding::Fixed`: `14591 ± 4140`).

use crate::metrics::Unit;
use crate::results::Estimate;

/// A figure in `report.html`'s comparison: ratios as percentages, times with a unit and about
/// three significant digits, counts as whole numbers with thousands separators.
pub(crate) fn human(x: f64, unit: Unit) -> String {
    match unit {
        Unit::Ratio => format!("{:.2}%", x * 100.0),
        Unit::Seconds => format!("{}s", three_digits(x)),
        Unit::Millis => format!("{}ms", three_digits(x)),
        Unit::PerSecond => format!("{}/s", count(x)),
        Unit::Count => count(x),
        Unit::Usd => dollars(x),
    }
}

/// A figure in `isrsim diff`: ratios as percentages and times with their unit, to three
/// significant digits so that small differences stay visible; counts whole when they are.
pub(crate) fn human_significant(x: f64, unit: Unit) -> String {
    match unit {
        Unit::Ratio => format!("{}%", significant(x * 100.0)),
        Unit::Seconds => format!("{}s", significant(x)),
        Unit::Millis => format!("{}ms", significant(x)),
        Unit::PerSecond => format!("{}/s", significant(x)),
        Unit::Count if x.fract() == 0.0 => grouped(x, 0),
        Unit::Count => significant(x),
        Unit::Usd => format!("${}", significant(x)),
    }
}

/// How an estimate's figures are rounded, for whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rounding {
    /// For a person at a terminal: mean and interval in one unit and with one precision, chosen
    /// from the larger of the two, and the unit written once: `3.97 ± 0.13%`, `4.1 ± 1.2 h`,
    /// `75 ± 0 ms`, `247k ± 105k`, `400 ± 17/s`. Durations take the unit that keeps the number
    /// small (`ms`, `s`, `min`, `h`, `d`); counts of ten thousand or more are written in thousands
    /// (`k`) or millions (`M`).
    Scaled,
    /// Where a script reads it: the column's own unit (ratios in percent, `_s` columns in seconds,
    /// `_ms` columns in milliseconds, counts and rates as they are), unwritten; both with one
    /// precision, about three significant digits of the larger, and no thousands separators, so
    /// each number parses as it is: `14591 ± 4140`, `30.0 ± 0.0`.
    Fixed,
    /// For `isrsim diff` and `isrsim compare`: each figure to three significant digits with its
    /// unit (`human_significant`), so that small differences stay visible: `10.0% ± 1.00%`.
    Significant,
}

/// A mean and the half-width of its 95% interval (`None` to show the mean alone), rounded as
/// `rounding` says: the one way every output writes `mean ± interval`.
pub(crate) fn estimate(mean: f64, ci: Option<f64>, unit: Unit, rounding: Rounding) -> String {
    let largest = mean.abs().max(ci.map_or(0.0, f64::abs));
    let whole = mean.fract() == 0.0 && ci.is_none_or(|c| c.fract() == 0.0);
    // How each number is written, and what follows the pair.
    let (number, tail): (Box<dyn Fn(f64) -> String>, String) = match rounding {
        Rounding::Scaled => scaled(largest, whole, unit),
        Rounding::Fixed => fixed(largest, whole, unit),
        Rounding::Significant => (Box::new(move |x| human_significant(x, unit)), String::new()),
    };
    match ci {
        Some(ci) => format!("{} ± {}{tail}", number(mean), number(ci)),
        None => format!("{}{tail}", number(mean)),
    }
}

/// A comparison's estimate (`isrsim diff`, `isrsim compare`): `mean ± ci95` to three
/// significant digits, or the mean alone when the interval is 0 (one replication).
pub(crate) fn significant_estimate(e: Estimate, unit: Unit) -> String {
    let ci = Some(e.ci95).filter(|&ci| ci != 0.0);
    estimate(e.mean, ci, unit, Rounding::Significant)
}

/// `Rounding::Scaled`'s numbers, given the larger of the two in absolute value and whether both
/// are whole; a multiplier belongs to each number (`247k ± 105k`), a unit to the pair (`4.1 ± 1.2
/// h`, `400 ± 17/s`).
fn scaled(largest: f64, whole: bool, unit: Unit) -> (Box<dyn Fn(f64) -> String>, String) {
    let (scale, decimals, suffix) = match unit {
        Unit::Ratio => {
            let decimals = match largest * 100.0 {
                m if m >= 100.0 => 0,
                m if m >= 10.0 => 1,
                _ => 2,
            };
            (0.01, decimals, "%")
        }
        Unit::Seconds | Unit::Millis => {
            let to_secs = if unit == Unit::Millis { 0.001 } else { 1.0 };
            let (scale, name) = duration_unit(largest * to_secs);
            let scale = scale / to_secs;
            let decimals = usize::from(largest > 0.0 && largest / scale < 10.0);
            (scale, decimals, name)
        }
        Unit::Usd => {
            let decimals = usd_decimals(largest);
            let number = move |x: f64| format!("${}", no_negative_zero(grouped(x, decimals)));
            return (Box::new(number), String::new());
        }
        Unit::Count | Unit::PerSecond => {
            let (scale, suffix) = match largest {
                m if m >= 1e6 => (1e6, "M"),
                m if m >= 1e4 => (1e3, "k"),
                _ => (1.0, ""),
            };
            let decimals = match largest / scale {
                _ if scale == 1.0 && whole => 0,
                v if v >= 100.0 => 0,
                v if v >= 10.0 || scale == 1.0 => 1,
                _ => 2,
            };
            let per = if unit == Unit::PerSecond { "/s" } else { "" };
            let number = move |x: f64| no_negative_zero(grouped(x / scale, decimals)) + suffix;
            return (Box::new(number), per.to_string());
        }
    };
    let space = if suffix == "%" { "" } else { " " };
    let number = move |x: f64| no_negative_zero(grouped(x / scale, decimals));
    (Box::new(number), format!("{space}{suffix}"))
}

/// A duration of `seconds` as the terminal table writes it: the size of its unit in seconds, and
/// the unit's name.
fn duration_unit(seconds: f64) -> (f64, &'static str) {
    match seconds {
        0.0 => (1.0, "s"),
        s if s < 1e-3 => (1e-6, "µs"),
        s if s < 1.0 => (1e-3, "ms"),
        s if s < 60.0 => (1.0, "s"),
        s if s < 3_600.0 => (60.0, "min"),
        s if s < 86_400.0 => (3_600.0, "h"),
        _ => (86_400.0, "d"),
    }
}

/// `Rounding::Fixed`'s numbers, given the larger of the two in absolute value (in the column's
/// unit) and whether both are whole.
fn fixed(largest: f64, whole: bool, unit: Unit) -> (Box<dyn Fn(f64) -> String>, String) {
    let factor = if unit == Unit::Ratio { 100.0 } else { 1.0 };
    let largest = largest * factor;
    let decimals = match largest {
        _ if unit == Unit::Ratio => 2,
        _ if whole && matches!(unit, Unit::Count | Unit::PerSecond) => 0,
        0.0 => 0,
        m if m >= 100.0 => 0,
        m if m >= 10.0 => 1,
        m if m >= 1.0 => 2,
        _ => 3,
    };
    let number = move |x: f64| no_negative_zero(format!("{:.decimals$}", x * factor));
    (Box::new(number), String::new())
}

/// The relative change with its sign, `+12.5%`; `from 0` when the base is 0.
pub(crate) fn percent_change(base: f64, new: f64) -> String {
    if base == 0.0 {
        return "from 0".to_string();
    }
    let pct = (new - base) / base.abs() * 100.0;
    let sign = if pct > 0.0 { "+" } else { "" };
    format!("{sign}{}%", significant(pct))
}

/// A plain-text table: the heading lines, a rule and the rows, each column as wide as its widest
/// cell (in characters) and two spaces apart; a column for which `left` holds is left-aligned,
/// the others (figures) right-aligned. Lines end without trailing spaces.
pub(crate) fn align_columns(
    headings: &[Vec<String>],
    rows: &[Vec<String>],
    left: impl Fn(usize) -> bool,
) -> String {
    let cells = headings.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cells)
        .map(|c| {
            (headings.iter().chain(rows))
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| cells.join("  ").trim_end().to_string() + "\n";
    let lay = |row: &Vec<String>| {
        line(
            row.iter()
                .zip(&widths)
                .enumerate()
                .map(|(c, (cell, &w))| {
                    if left(c) {
                        format!("{cell:<w$}")
                    } else {
                        format!("{cell:>w$}")
                    }
                })
                .collect(),
        )
    };
    let mut text: String = headings.iter().map(lay).collect();
    text += &line(widths.iter().map(|&w| "-".repeat(w)).collect());
    text.extend(rows.iter().map(lay));
    text
}

/// A GitHub-flavoured Markdown table; a column for which `left` holds is left-aligned, the
/// others (figures) right-aligned.
pub(crate) fn markdown_table(
    heading: &[String],
    rows: &[Vec<String>],
    left: impl Fn(usize) -> bool,
) -> String {
    let row = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| c.replace('|', "\\|")).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    let rule: Vec<&str> = (0..heading.len())
        .map(|c| if left(c) { "---" } else { "---:" })
        .collect();
    let mut text = row(heading);
    text += &format!("|{}|\n", rule.join("|"));
    for cells in rows {
        text += &row(cells);
    }
    text
}

/// `text` broken at spaces into lines of at most `width` characters (a longer word stays whole),
/// joined by newlines.
pub(crate) fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out += &line;
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out + &line
}

/// `-0`, `-0.0` and the like, which rounding a tiny negative gives, as the zero they are.
fn no_negative_zero(text: String) -> String {
    match text.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.' || c == ',') => rest.to_string(),
        _ => text,
    }
}

/// Three significant digits, never fewer than the whole part: `0.00123`, `4.56`, `1,234`.
pub(crate) fn significant(x: f64) -> String {
    let a = x.abs();
    let decimals = if a == 0.0 || a >= 100.0 {
        0
    } else {
        (2 - a.log10().floor() as i32).clamp(0, 6) as usize
    };
    grouped(x, decimals)
}

/// An amount in US dollars: cents from a dollar up, whole dollars from $1,000, and four decimals
/// below a dollar, where a short run's bill often is: `$0.0123`, `$4.56`, `$1,234`.
fn dollars(x: f64) -> String {
    format!("${}", grouped(x, usd_decimals(x.abs())))
}

fn usd_decimals(largest: f64) -> usize {
    match largest {
        0.0 => 2,
        a if a >= 1_000.0 => 0,
        a if a >= 1.0 => 2,
        _ => 4,
    }
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

    fn scaled_estimate(mean: f64, ci: Option<f64>, unit: Unit) -> String {
        estimate(mean, ci, unit, Rounding::Scaled)
    }

    fn fixed_estimate(mean: f64, ci: Option<f64>, unit: Unit) -> String {
        estimate(mean, ci, unit, Rounding::Fixed)
    }

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

    #[test]
    fn a_change_reads_as_a_signed_percentage() {
        assert_eq!(percent_change(200.0, 150.0), "-25.0%");
        assert_eq!(percent_change(1.0, 13.0), "+1,200%");
        assert_eq!(percent_change(0.0, 13.0), "from 0");
    }

    #[test]
    fn a_terminal_estimate_shares_one_unit_and_precision_between_mean_and_interval() {
        assert_eq!(
            scaled_estimate(14_591.0, Some(4_320.0), Unit::Seconds),
            "4.1 ± 1.2 h"
        );
        assert_eq!(scaled_estimate(30.0, Some(0.0), Unit::Seconds), "30 ± 0 s");
        assert_eq!(scaled_estimate(0.0, Some(0.0), Unit::Seconds), "0 ± 0 s");
        assert_eq!(
            scaled_estimate(1.83, Some(0.267), Unit::Seconds),
            "1.8 ± 0.3 s"
        );
        assert_eq!(scaled_estimate(2_700.0, None, Unit::Seconds), "45 min");
        assert_eq!(scaled_estimate(200_000.0, None, Unit::Seconds), "2.3 d");
        assert_eq!(scaled_estimate(0.000_5, None, Unit::Seconds), "500 µs");
        assert_eq!(scaled_estimate(75.0, Some(0.0), Unit::Millis), "75 ± 0 ms");
        assert_eq!(scaled_estimate(2_500.0, None, Unit::Millis), "2.5 s");
        assert_eq!(
            scaled_estimate(0.0397, Some(0.0013), Unit::Ratio),
            "3.97 ± 0.13%"
        );
        assert_eq!(
            scaled_estimate(0.1543, Some(0.0918), Unit::Ratio),
            "15.4 ± 9.2%"
        );
        assert_eq!(scaled_estimate(1.0, Some(0.0), Unit::Ratio), "100 ± 0%");
        assert_eq!(
            scaled_estimate(247_423.0, Some(104_800.0), Unit::Count),
            "247k ± 105k"
        );
        assert_eq!(
            scaled_estimate(66_907.0, Some(28_747.0), Unit::Count),
            "66.9k ± 28.7k"
        );
        assert_eq!(
            scaled_estimate(3_506.7, Some(383.2), Unit::Count),
            "3,507 ± 383"
        );
        assert_eq!(scaled_estimate(36_000_000.0, None, Unit::Count), "36.0M");
        assert_eq!(scaled_estimate(8.0, Some(6.57), Unit::Count), "8.0 ± 6.6");
        assert_eq!(scaled_estimate(0.0, Some(0.0), Unit::Count), "0 ± 0");
        assert_eq!(
            scaled_estimate(400.0, Some(17.4), Unit::PerSecond),
            "400 ± 17/s"
        );
        // Rounding a tiny negative never shows `-0`.
        assert_eq!(scaled_estimate(-0.000_01, None, Unit::Ratio), "0.00%");
    }

    #[test]
    fn a_fixed_estimate_keeps_the_columns_unit_and_parses_as_numbers() {
        assert_eq!(
            fixed_estimate(14_591.2, Some(4_140.1), Unit::Seconds),
            "14591 ± 4140"
        );
        assert_eq!(fixed_estimate(30.0, Some(0.0), Unit::Seconds), "30.0 ± 0.0");
        assert_eq!(fixed_estimate(0.0, Some(0.0), Unit::Seconds), "0 ± 0");
        assert_eq!(
            fixed_estimate(0.0397, Some(0.0013), Unit::Ratio),
            "3.97 ± 0.13"
        );
        assert_eq!(
            fixed_estimate(247_423.0, Some(104_800.0), Unit::Count),
            "247423 ± 104800"
        );
        assert_eq!(fixed_estimate(75.0, None, Unit::Millis), "75.0");
        assert_eq!(fixed_estimate(-0.000_1, None, Unit::Seconds), "0.000");
    }

    #[test]
    fn columns_line_up_by_characters_and_align_as_asked() {
        let cell = |s: &str| s.to_string();
        let headings = [vec![cell("policy"), cell("stale"), cell("verdict")]];
        let rows = [
            vec![cell("a"), cell("1.0 ± 0.1"), cell("ok")],
            vec![cell("longer"), cell("12"), cell("regression")],
        ];
        let text = align_columns(&headings, &rows, |c| c != 1);
        // Widths 6, 9 (in characters: `±` is two bytes) and 10; no trailing spaces.
        assert_eq!(
            text,
            "policy      stale  verdict\n\
             ------  ---------  ----------\n\
             a       1.0 ± 0.1  ok\n\
             longer         12  regression\n"
        );
        let md = markdown_table(&headings[0], &rows[..1], |c| c != 1);
        assert_eq!(
            md,
            "| policy | stale | verdict |\n|---|---:|---|\n| a | 1.0 ± 0.1 | ok |\n"
        );
    }

    #[test]
    fn a_paragraph_breaks_at_spaces_and_keeps_a_long_word_whole() {
        assert_eq!(wrap("one two three four", 9), "one two\nthree\nfour");
        assert_eq!(
            wrap("a tremendously long word", 5),
            "a\ntremendously\nlong\nword"
        );
        assert_eq!(wrap("fits", 80), "fits");
    }
}
