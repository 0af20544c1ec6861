//! `isrsim compare PREDICTED MEASURED...` by the built binary: a prediction of three
//! replications whose figures are set by hand, and "measured" folders each holding one of its
//! replications with figures set by hand too (what `isrsim load --replication R` writes: one
//! policy, one run numbered R). Every expectation below is worked out from those hand-set
//! figures, not read from the output.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod support;

use support::{assert_exit, isrsim, isrsim_run, shared_scratch, stderr, write};

/// One policy, so that a folder of one replication numbered R reads back as a load test's.
const ONE_POLICY: &str = r#"
description = "one policy on a small site, for isrsim compare of several measurements"
duration = "1m"
warmup = "10s"
seed = 5
replications = 3

[traffic]
pattern = "steady"
rate = 10

[[routes]]
name = "posts"
pages = 20
popularity = 1.0
edit_every = "1m"
regen_time = { uniform = ["100ms", "300ms"] }

[[policies]]
name = "time-10s"
revalidate = "10s"
"#;

/// How `edit_folder` changes a folder.
#[derive(Default)]
struct Edit<'a> {
    /// Keeps only the rows of this replication.
    keep: Option<u32>,
    /// Sets every `replications` column to this.
    count: Option<usize>,
    /// In `runs.csv`, sets the named metric of a replication's row.
    set: &'a [(u32, &'a str, f64)],
    /// Renumbers every row's replication.
    renumber: Option<u32>,
}

/// Rewrites the CSV files of `dir` (but `meta.csv`) as `edit` says.
fn edit_folder(dir: &Path, edit: &Edit) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "csv") || path.ends_with("meta.csv") {
            continue;
        }
        let mut reader = csv::Reader::from_path(&path).unwrap();
        let header = reader.headers().unwrap().clone();
        let at = |name: &str| header.iter().position(|h| h == name);
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(&header).unwrap();
        for record in reader.records() {
            let mut cells: Vec<String> = record.unwrap().iter().map(String::from).collect();
            if let Some(r) = at("replication") {
                let replication: u32 = cells[r].parse().unwrap();
                if edit.keep.is_some_and(|k| k != replication) {
                    continue;
                }
                if path.ends_with("runs.csv") {
                    for &(_, metric, value) in edit.set.iter().filter(|s| s.0 == replication) {
                        cells[at(metric).unwrap()] = value.to_string();
                    }
                }
                if let Some(to) = edit.renumber {
                    cells[r] = to.to_string();
                }
            }
            if let (Some(c), Some(n)) = (at("replications"), edit.count) {
                cells[c] = n.to_string();
            }
            writer.write_record(&cells).unwrap();
        }
        fs::write(&path, writer.into_inner().unwrap()).unwrap();
    }
}

/// Copies the files of `from` into `to`.
fn copy(from: &Path, to: &Path) {
    support::copy_files(from, to);
}

/// The hand-set figures of the prediction: replication r has stale_ratio 0.10, 0.20, 0.40,
/// 1000 requests and 100, 120, 150 regenerations (0.100, 0.120, 0.150 per request), and
/// regenerations_wasted 10, 0, 20.
const PREDICTED: [(u32, &str, f64); 15] = [
    (0, "stale_ratio", 0.10),
    (1, "stale_ratio", 0.20),
    (2, "stale_ratio", 0.40),
    (0, "requests", 1000.0),
    (1, "requests", 1000.0),
    (2, "requests", 1000.0),
    (0, "regenerations", 100.0),
    (1, "regenerations", 120.0),
    (2, "regenerations", 150.0),
    (0, "regenerations_wasted", 10.0),
    (1, "regenerations_wasted", 0.0),
    (2, "regenerations_wasted", 20.0),
    (0, "stale_age_p50_s", 4.0),
    (1, "stale_age_p50_s", 5.0),
    (2, "stale_age_p50_s", 6.0),
];

/// The measured folders: `late` plays replication 2 (stale_ratio 0.44, +10%; 141 regenerations
/// of 1000 requests, 0.141 per request, -6%), `early` replication 0 (stale_ratio 0.08, -20%;
/// 110 regenerations, +10%); `again` replication 0 once more (stale_ratio 0.13, +30%).
struct Folders {
    predicted: PathBuf,
    late: PathBuf,
    early: PathBuf,
    again: PathBuf,
    /// Replication 5, which the prediction lacks.
    beyond: PathBuf,
}

fn folders() -> &'static Folders {
    static FOLDERS: OnceLock<Folders> = OnceLock::new();
    FOLDERS.get_or_init(|| {
        let dir = shared_scratch("many");
        let scenario = write(&dir, "one.toml", ONE_POLICY);
        let predicted = dir.join("predicted");
        let output = isrsim_run(&scenario, &predicted, &["--quiet", "--no-slo"]);
        assert!(output.status.success(), "{}", stderr(&output));
        let set = Edit {
            set: &PREDICTED,
            ..Edit::default()
        };
        edit_folder(&predicted, &set);
        let measured = |name: &str, replication: u32, set: &[(&str, f64)]| {
            let folder = dir.join(name);
            copy(&predicted, &folder);
            let set: Vec<(u32, &str, f64)> =
                set.iter().map(|&(m, v)| (replication, m, v)).collect();
            let edit = Edit {
                keep: Some(replication),
                count: Some(1),
                set: &set,
                renumber: None,
            };
            edit_folder(&folder, &edit);
            folder
        };
        let late = measured(
            "late",
            2,
            &[("stale_ratio", 0.44), ("regenerations", 141.0)],
        );
        let early = measured(
            "early",
            0,
            &[("stale_ratio", 0.08), ("regenerations", 110.0)],
        );
        let again = measured("again", 0, &[("stale_ratio", 0.13)]);
        // Replication 5 of a prediction of three: the run of replication 2, renumbered.
        let beyond = dir.join("beyond");
        copy(&late, &beyond);
        let renumber = Edit {
            renumber: Some(5),
            ..Edit::default()
        };
        edit_folder(&beyond, &renumber);
        Folders {
            predicted,
            late,
            early,
            again,
            beyond,
        }
    })
}

/// `isrsim compare` of the prediction with `measured`, plus `extra` arguments: exit code,
/// stdout, stderr.
fn compare(measured: &[&Path], extra: &[&str]) -> (i32, String, String) {
    let f = folders();
    let mut args = vec!["compare", f.predicted.to_str().unwrap()];
    args.extend(measured.iter().map(|p| p.to_str().unwrap()));
    args.extend_from_slice(extra);
    let output = isrsim(&args);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        output.status.code().unwrap(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

/// The row of `metric` in the paired Markdown table, as its cells.
fn markdown_row(md: &str, metric: &str) -> Vec<String> {
    let line = (md.lines())
        .find(|l| l.starts_with(&format!("| one | time-10s | {metric} |")))
        .unwrap_or_else(|| panic!("no paired row of {metric} in\n{md}"));
    let inner = &line[2..line.len() - 2];
    inner.split(" | ").map(String::from).collect()
}

/// The cells of `metric`'s row in the text table that follows the line starting `heading`.
fn text_row(text: &str, heading: &str, metric: &str) -> Vec<String> {
    let line = (text.lines())
        .skip_while(|l| !l.starts_with(heading))
        .find(|l| l.split_whitespace().next() == Some(metric))
        .unwrap_or_else(|| panic!("no row {metric} after {heading} in\n{text}"));
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}

/// A percentage as the output writes it, as a number: `-20.0%` is -20.
fn percent(cell: &str) -> f64 {
    cell.trim_end_matches('%').parse().unwrap()
}

/// Asserts that a shown percentage is `expected` (in percent) to the output's three significant
/// digits.
#[track_caller]
fn assert_percent(cell: &str, expected: f64) {
    let shown = percent(cell);
    assert!(
        (shown - expected).abs() <= 0.006 * expected.abs().max(0.01),
        "{cell} is not {expected}%"
    );
}

/// A run's cell, `[label: ]measured / predicted (difference)`, against the figures expected.
#[track_caller]
fn assert_pair(cell: &str, label: &str, measured: &str, predicted: &str, difference: f64) {
    let cell = cell.trim();
    let rest = match label {
        "" => cell,
        _ => cell
            .strip_prefix(&format!("{label}: "))
            .unwrap_or_else(|| panic!("{cell} is not of {label}")),
    };
    let (figures, shown) = rest.split_once(" (").unwrap();
    assert_eq!(figures, format!("{measured} / {predicted}"), "{cell}");
    assert_percent(shown.trim_end_matches(')'), difference);
}

/// The largest paired difference's cell, `difference (label)`.
#[track_caller]
fn assert_largest(cell: &str, difference: f64, label: &str) {
    let (shown, of) = cell.split_once(" (").unwrap();
    assert_eq!(of.trim_end_matches(')'), label, "{cell}");
    assert_percent(shown, difference);
}

#[test]
fn each_run_is_paired_with_its_own_replication_whatever_the_order_of_the_folders() {
    let f = folders();
    // Replication 2 first: paired by the replication in its runs.csv, not by position.
    let (code, md, err) = compare(&[&f.late, &f.early], &["--format", "markdown"]);
    assert_eq!(code, 0, "{err}");
    let row = markdown_row(&md, "stale_ratio");
    // The predicted mean and spread over all three replications, for context: (0.1 + 0.2 +
    // 0.4) / 3 = 23.3%, from 10% to 40%.
    assert_eq!(row[3], "23.3%", "{row:?}");
    assert_eq!(row[4], "10.0% – 40.0%", "{row:?}");
    // In replication order: r0 (early) 0.08 against 0.10, r2 (late) 0.44 against 0.40.
    let runs: Vec<&str> = row[5].split("; ").collect();
    assert_eq!(runs.len(), 2, "{row:?}");
    assert_pair(runs[0], "r0", "8.00%", "10.0%", -20.0);
    assert_pair(runs[1], "r2", "44.0%", "40.0%", 10.0);
    // The largest paired difference is r0's -20%, larger in size than r2's +10%: its sign kept.
    assert_largest(&row[6], -20.0, "r0");
    // Paired means: (0.08 + 0.44) / 2 = 26% against (0.10 + 0.40) / 2 = 25%, +4%; not against
    // the mean of every replication (23.3%).
    assert_eq!(row[7], "26.0% / 25.0%", "{row:?}");
    assert_percent(&row[8], 4.0);

    // The same table whatever the order the folders are given in.
    let (_, swapped, _) = compare(&[&f.early, &f.late], &["--format", "markdown"]);
    assert_eq!(markdown_row(&swapped, "stale_ratio"), row);
}

#[test]
fn regenerations_per_request_are_paired_too() {
    let f = folders();
    let (code, md, err) = compare(&[&f.late, &f.early], &["--format", "markdown"]);
    assert_eq!(code, 0, "{err}");
    let row = markdown_row(&md, "regen_per_request");
    // Over every replication: (0.100 + 0.120 + 0.150) / 3 = 0.123, from 0.100 to 0.150.
    assert_eq!(
        (row[3].as_str(), row[4].as_str()),
        ("0.123", "0.100 – 0.150")
    );
    // r0: 110 / 1000 against 100 / 1000, +10%; r2: 141 / 1000 against 150 / 1000, -6%.
    let runs: Vec<&str> = row[5].split("; ").collect();
    assert_pair(runs[0], "r0", "0.110", "0.100", 10.0);
    assert_pair(runs[1], "r2", "0.141", "0.150", -6.0);
    assert_largest(&row[6], 10.0, "r0");
    // (0.110 + 0.141) / 2 = 0.1255 against (0.100 + 0.150) / 2 = 0.125: +0.4%.
    assert_percent(&row[8], 0.4);
    // A metric left as the prediction had it: every pair equal, a difference of 0, and of equal
    // differences the first is the largest.
    let wasted = markdown_row(&md, "regenerations_wasted");
    assert_eq!(
        wasted[5], "r0: 10 / 10 (0%); r2: 20 / 20 (0%)",
        "{wasted:?}"
    );
    assert_eq!(wasted[6], "0% (r0)", "{wasted:?}");
    assert_eq!((wasted[7].as_str(), wasted[8].as_str()), ("15 / 15", "0%"));
}

#[test]
fn a_replication_measured_twice_is_paired_twice_with_the_same_prediction() {
    let f = folders();
    let (code, md, err) = compare(&[&f.again, &f.early], &["--format", "markdown"]);
    assert_eq!(code, 0, "{err}");
    let row = markdown_row(&md, "stale_ratio");
    // Both play replication 0: in the order given, the second labelled `#2`.
    let runs: Vec<&str> = row[5].split("; ").collect();
    assert_pair(runs[0], "r0", "13.0%", "10.0%", 30.0);
    assert_pair(runs[1], "r0 #2", "8.00%", "10.0%", -20.0);
    assert_largest(&row[6], 30.0, "r0");
    // (0.13 + 0.08) / 2 = 10.5% against 10% twice: +5%.
    assert_eq!(row[7], "10.5% / 10.0%", "{row:?}");
    assert_percent(&row[8], 5.0);
}

#[test]
fn markdown_gives_the_side_by_side_table_then_the_paired_one() {
    let f = folders();
    let (code, md, _) = compare(&[&f.late, &f.early], &["--format", "markdown"]);
    assert_eq!(code, 0);
    let side = md
        .find("| policy | metric | predicted | spread | measured | difference | within |")
        .expect("the side-by-side table");
    let heading = "| scenario | policy | metric | predicted mean (context) | predicted spread \
                   (context) | each run: measured / predicted for its replication (difference) \
                   | largest paired difference | paired means: measured / predicted | \
                   difference of paired means |";
    let paired = md.find(heading).expect("the paired table's heading");
    assert!(side < paired, "{md}");
    // Its alignment row: the names and the runs' cells left, the figures right.
    assert!(
        md.contains("\n|---|---|---|---:|---:|---|---:|---:|---:|\n"),
        "{md}"
    );
    // One row per run metric and regen_per_request.
    let rows = md
        .lines()
        .filter(|l| l.starts_with("| one | time-10s | "))
        .count();
    assert_eq!(rows, isrsim::metrics::RUN_COLUMNS.len() + 1, "{md}");
    // Which folder each run came from.
    let late = format!("r2 = `{}`", f.late.display());
    assert!(md.contains(&late), "{md}");
    // The side-by-side table's measured mean is of both runs: (0.08 + 0.44) / 2 = 26%.
    let side_row = (md.lines())
        .find(|l| l.starts_with("| time-10s | `stale_ratio` |"))
        .unwrap();
    assert!(side_row.contains("| 26.0% |"), "{side_row}");
}

#[test]
fn text_adds_the_paired_tables_within_100_columns() {
    let f = folders();
    let (code, text, err) = compare(&[&f.late, &f.early, &f.again], &[]);
    assert_eq!(code, 0, "{err}");
    for line in text.lines() {
        assert!(line.chars().count() <= 100, "{line}");
    }
    assert!(text.contains("policy time-10s: 3 predicted replications, 3 measured"));
    let heading = "policy time-10s, each run beside its own replication's prediction";
    // In replication order, then in the order given: r0 is early, r0 #2 again, then r2.
    let row = text_row(&text, heading, "stale_ratio");
    assert_eq!(row.len(), 4, "{row:?}");
    assert_pair(&row[1], "", "8.00%", "10.0%", -20.0);
    assert_pair(&row[2], "", "13.0%", "10.0%", 30.0);
    assert_pair(&row[3], "", "44.0%", "40.0%", 10.0);
    let heading = "policy time-10s, paired:";
    let row = text_row(&text, heading, "stale_ratio");
    // r0 -20%, r0 #2 +30%, r2 +10%. Means: (0.08 + 0.13 + 0.44) / 3 = 21.7% against (0.1 +
    // 0.1 + 0.4) / 3 = 20%: +8.33%.
    assert_largest(&row[1], 30.0, "r0 #2");
    assert_eq!(row[2..4], ["21.7%", "20.0%"], "{row:?}");
    assert_percent(&row[4], 100.0 / 12.0);
}

#[test]
fn one_measured_folder_gives_its_own_figures_as_the_paired_ones() {
    let f = folders();
    let (code, text, err) = compare(&[&f.late], &[]);
    assert_eq!(code, 0, "{err}");
    // The side-by-side table as before: the one run's 44% against the mean 23.3% (± t(0.975, 2)
    // 4.3027 × s 0.15275 / √3 = 37.9%), +88.6%, outside the spread of 10% to 40%.
    let row = text_row(&text, "policy time-10s: 3 predicted", "stale_ratio");
    assert_eq!(
        row[1..],
        ["23.3% ± 37.9%", "10.0% – 40.0%", "44.0%", "+88.6%", "no"]
    );
    // The run against its own replication, and the two new figures equal to its own.
    let each = text_row(&text, "policy time-10s, each run", "stale_ratio");
    assert_pair(&each[1], "", "44.0%", "40.0%", 10.0);
    let paired = text_row(&text, "policy time-10s, paired:", "stale_ratio");
    assert_largest(&paired[1], 10.0, "r2");
    assert_eq!(paired[2..4], ["44.0%", "40.0%"]);
    assert_percent(&paired[4], 10.0);
}

#[test]
fn a_replication_the_prediction_lacks_exits_2_naming_the_folder_and_the_replication() {
    let f = folders();
    for measured in [vec![&f.beyond], vec![&f.early, &f.beyond]] {
        let measured: Vec<&Path> = measured.iter().map(|p| p.as_path()).collect();
        let (code, out, err) = compare(&measured, &["--format", "markdown"]);
        assert_eq!(code, 2, "{err}");
        assert!(out.is_empty(), "{out}");
        let folder = f.beyond.display().to_string();
        assert!(err.contains(&folder), "{err}");
        assert!(err.contains("replication 5"), "{err}");
        assert!(err.contains("--replications 6"), "{err}");
    }
}

#[test]
fn out_takes_one_measured_folder() {
    let f = folders();
    let out = f.late.to_str().unwrap();
    let output = isrsim(&[
        "compare",
        f.predicted.to_str().unwrap(),
        out,
        f.early.to_str().unwrap(),
        "--out",
        out,
    ]);
    assert_exit(&output, 2);
    assert!(output.stdout.is_empty());
    let err = stderr(&output);
    assert!(err.contains("single measured folder"), "{err}");
    // No measured folder at all is a usage error.
    let output = isrsim(&["compare", f.predicted.to_str().unwrap()]);
    assert_exit(&output, 2);
}
