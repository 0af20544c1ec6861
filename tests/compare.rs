//! `isrsim compare` on real results folders of `SMALL_SITE`: a prediction of three replications and a
//! "measurement" of the same scenario simulated once with another seed (what `isrsim load` will
//! write), both by the built binary.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod support;

use isrsim::commands::compare::{Options, run_to};
use isrsim::metrics::RUN_COLUMNS;
use isrsim::report::diff::Format;
use support::{
    SMALL_SITE, assert_exit, copy_files, isrsim, isrsim_run, scratch, shared_scratch, stderr, write,
};

const POLICIES: [&str; 2] = ["time-60s", "on-demand"];

/// The predicted folder (seed 11, three replications) and the measured one (seed 99, one
/// replication), made once for every test.
fn folders() -> &'static (PathBuf, PathBuf) {
    static FOLDERS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    FOLDERS.get_or_init(|| {
        let dir = shared_scratch("runs");
        let scenario = write(&dir, "small.toml", SMALL_SITE);
        let predicted = dir.join("predicted");
        let measured = dir.join("measured");
        for (out, extra) in [
            (&predicted, vec!["--quiet", "--replications", "3"]),
            (
                &measured,
                vec!["--quiet", "--seed", "99", "--replications", "1"],
            ),
        ] {
            let output = isrsim_run(&scenario, out, &extra);
            assert!(output.status.success(), "{}", stderr(&output));
        }
        (predicted, measured)
    })
}

/// The exit code, stdout and stderr of a comparison.
fn compare(predicted: &Path, measured: &Path, format: Format) -> (i32, String, String) {
    let options = Options {
        format,
        force: false,
        out: None,
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_to(predicted, measured, &options, &mut out, &mut err);
    let text = |bytes| String::from_utf8(bytes).unwrap();
    (code, text(out), text(err))
}

/// The rows of `policy`'s table in the text output, each as its cells (metric, predicted,
/// spread, measured, difference, within).
fn rows(text: &str, policy: &str) -> Vec<Vec<String>> {
    let start = format!("policy {policy}:");
    let block = text
        .lines()
        .skip_while(|l| !l.starts_with(&start))
        .skip(3) // the policy line, the heading and the rule
        .take_while(|l| !l.is_empty());
    block
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect()
        })
        .collect()
}

/// A column of `runs.csv`, as numbers, for the rows of `policy`.
fn runs_of(dir: &Path, policy: &str, metric: &str) -> Vec<f64> {
    let mut reader = csv::Reader::from_path(dir.join("runs.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (p, m) = (at("policy"), at(metric));
    reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[p] == policy)
        .map(|r| r[m].parse().unwrap())
        .collect()
}

#[test]
fn every_metric_of_every_policy_gets_a_row_and_the_verdict_follows_the_runs() {
    let (predicted, measured) = folders();
    let (code, out, err) = compare(predicted, measured, Format::Text);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "{err}");
    assert!(out.contains("within the spread"), "{out}");
    for policy in POLICIES {
        let rows = rows(&out, policy);
        let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        let columns: Vec<&str> = RUN_COLUMNS.iter().map(|c| c.name).collect();
        assert_eq!(names, columns, "{out}");
        assert!(rows.iter().all(|r| r.len() == 6), "{out}");

        // The verdict on stale_ratio, from runs.csv by hand: the measured value against the
        // least and greatest of the three predicted replications.
        let simulated = runs_of(predicted, policy, "stale_ratio");
        assert_eq!(simulated.len(), 3);
        let low = simulated.iter().copied().fold(f64::INFINITY, f64::min);
        let high = simulated.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let value = runs_of(measured, policy, "stale_ratio");
        assert_eq!(value.len(), 1);
        let within = low <= value[0] && value[0] <= high;
        let row = rows.iter().find(|r| r[0] == "stale_ratio").unwrap();
        assert_eq!(row[5], if within { "yes" } else { "no" }, "{row:?}");
        // The spread shown is that least and greatest, as percentages to 3 significant digits.
        let (shown_low, shown_high) = row[2].split_once(" – ").unwrap();
        for (shown, value) in [(shown_low, low), (shown_high, high)] {
            let shown: f64 = shown.trim_end_matches('%').parse().unwrap();
            assert!(
                (shown - value * 100.0).abs() <= 0.005 * value * 100.0,
                "{row:?} against {low} and {high}"
            );
        }
    }
    for line in out.lines() {
        assert!(line.chars().count() <= 100, "{line}");
    }
    let binary = isrsim(&[
        "compare",
        predicted.to_str().unwrap(),
        measured.to_str().unwrap(),
    ]);
    assert_exit(&binary, 0);
    assert_eq!(String::from_utf8_lossy(&binary.stdout), out);
}

#[test]
fn a_folder_compared_with_itself_differs_by_nothing_and_is_within_its_spread() {
    let (predicted, _) = folders();
    let (code, out, err) = compare(predicted, predicted, Format::Text);
    assert_eq!(code, 0, "{err}");
    for policy in POLICIES {
        for row in rows(&out, policy) {
            // A metric not measured (the shield's, without a shield) has no figures on either
            // side and no verdict.
            if row[1] == "n/a" {
                assert_eq!(&row[2..], ["n/a"; 4], "{policy}: {row:?}");
                continue;
            }
            // A prediction of 0 has no relative difference; every other one is 0%.
            let zero = row[1] == "0" || row[1].starts_with("0%") || row[1] == "0s";
            let zero = zero || row[1] == "0ms";
            assert!(
                row[4] == "0%" || (zero && row[4] == "n/a"),
                "{policy}: {row:?}"
            );
            assert_eq!(row[5], "yes", "{policy}: {row:?}");
        }
    }
}

#[test]
fn markdown_is_a_table_with_a_row_per_policy_and_metric() {
    let (predicted, measured) = folders();
    let (code, md, _) = compare(predicted, measured, Format::Markdown);
    assert_eq!(code, 0);
    assert!(
        md.contains("| policy | metric | predicted | spread | measured | difference | within |"),
        "{md}"
    );
    for policy in POLICIES {
        let rows = md
            .lines()
            .filter(|l| l.starts_with(&format!("| {policy} | `")))
            .count();
        assert_eq!(rows, RUN_COLUMNS.len(), "{md}");
    }
}

#[test]
fn another_scenario_or_a_damaged_folder_exits_2_and_says_why() {
    let (predicted, measured) = folders();
    let dir = scratch("bad-input");

    // The same study under another name.
    let other = dir.join("other");
    let other_args = ["--quiet", "--replications", "3"];
    let output = isrsim_run(&write(&dir, "other.toml", SMALL_SITE), &other, &other_args);
    assert!(output.status.success(), "{}", stderr(&output));
    let (code, out, err) = compare(predicted, &other, Format::Text);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("different scenarios") && err.contains("\"other\""),
        "{err}"
    );
    let forced = isrsim(&[
        "compare",
        predicted.to_str().unwrap(),
        other.to_str().unwrap(),
        "--force",
    ]);
    assert_exit(&forced, 0);

    // A truncated row of runs.csv: refused, naming the file and the line.
    let damaged = dir.join("damaged");
    copy_files(measured, &damaged);
    fs::write(
        damaged.join("runs.csv"),
        "scenario,policy,stale_ratio\nx,a\n",
    )
    .unwrap();
    let (code, out, err) = compare(predicted, &damaged, Format::Text);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    let runs = damaged.join("runs.csv");
    assert!(err.contains(&format!("{}:2:", runs.display())), "{err}");
    let binary = isrsim(&[
        "compare",
        predicted.to_str().unwrap(),
        damaged.to_str().unwrap(),
    ]);
    assert_exit(&binary, 2);
    assert!(stderr(&binary).contains("runs.csv:2:"));

    let missing = dir.join("no-such-folder");
    let (code, _, err) = compare(&missing, measured, Format::Text);
    assert_eq!(code, 2);
    assert!(err.contains("not a results folder"), "{err}");
}

/// `isrsim compare PREDICTED MEASURED --out OUT`, run by the binary.
fn compare_out(predicted: &Path, measured: &Path, out: &Path) -> std::process::Output {
    let path = |p: &Path| p.to_str().unwrap().to_string();
    let (predicted, measured, out) = (path(predicted), path(measured), path(out));
    isrsim(&["compare", &predicted, &measured, "--out", &out])
}

/// A copy of the measured folder with its marker (not its charts), for a test to draw into.
fn measured_copy(name: &str) -> (support::Scratch, PathBuf) {
    let (_, measured) = folders();
    let dir = scratch(name);
    let copy = dir.join("measured");
    copy_files(measured, &copy);
    assert!(copy.join(".isrsim").is_file());
    (dir, copy)
}

#[test]
fn out_on_the_measured_folder_draws_the_chart_and_the_report_section() {
    let (predicted, _) = folders();
    let (_dir, measured) = measured_copy("out-measured");
    let output = compare_out(predicted, &measured, &measured);
    assert_exit(&output, 0);
    assert!(stderr(&output).contains("charts/compare.svg"));
    let svg = fs::read_to_string(measured.join("charts/compare.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(80)]);
    assert!(svg.contains("left out"));
    let png = fs::read(measured.join("charts/compare.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    // The run's own charts are there too: the report was redrawn whole.
    assert!(measured.join("charts/comparison.svg").is_file());
    let html = fs::read_to_string(measured.join("report.html")).unwrap();
    assert!(
        html.contains("<h2>Prediction and measurement</h2>"),
        "section"
    );
    assert!(html.contains("id=\"chart-compare\""), "chart");
    let heading = "<th>policy</th><th>metric</th><th>predicted</th><th>spread</th>\
                   <th>measured</th><th>difference</th><th>within</th>";
    assert!(html.contains(heading), "the table's heading");
    assert!(html.contains("<td>stale_ratio</td>"));

    // A later plot redraws the folder without the comparison.
    assert_exit(&isrsim(&["plot", measured.to_str().unwrap()]), 0);
    let html = fs::read_to_string(measured.join("report.html")).unwrap();
    assert!(!html.contains("Prediction and measurement"));
    assert!(!measured.join("charts/compare.svg").exists());
}

#[test]
fn out_naming_another_folder_or_one_without_the_marker_exits_2_and_writes_nothing() {
    let (predicted, _) = folders();
    let (dir, measured) = measured_copy("out-refused");
    let before = support::tree(&dir);
    for out in [predicted.clone(), dir.join("elsewhere")] {
        let output = compare_out(predicted, &measured, &out);
        assert_exit(&output, 2);
        assert!(output.stdout.is_empty());
        assert!(stderr(&output).contains("--out"), "{}", stderr(&output));
    }
    assert!(
        support::tree(&dir) == before,
        "a refused --out changed files"
    );

    fs::remove_file(measured.join(".isrsim")).unwrap();
    let before = support::tree(&dir);
    let output = compare_out(predicted, &measured, &measured);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains(".isrsim"), "{}", stderr(&output));
    assert!(
        support::tree(&dir) == before,
        "a folder without the marker changed"
    );
}
