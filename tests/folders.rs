//! Results folders read back (`isrsim plot`, `isrsim diff`): a folder written by the built binary
//! gives back the run that wrote it, and a damaged one is bad input that names the file and the
//! line, never a silent 0.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

mod support;

use isrsim::output;
use isrsim::report;
use isrsim::results::{Folder, Problem, ReadError};
use support::{copy_files, isrsim, isrsim_run, scratch, shared_scratch, stderr, tree, write};

/// Two policies over two routes, swept over two concurrencies, two replications: every file has
/// sweep columns and more than one run per policy.
const SCENARIO: &str = r#"
description = "a swept site, for reading results folders back"
duration = "10m"
warmup = "1m"
bucket = "150s"
seed = 17
replications = 2

[traffic]
pattern = "steady"
rate = 20

[[routes]]
name = "posts"
pages = 100
popularity = 1.0
edit_every = "20m"
regen_time = { uniform = ["100ms", "400ms"] }

[[routes]]
name = "tags"
pages = 5
share = 0.2
depends_on = "posts"
regen_time = "300ms"

[backend]
concurrency = 2

[[policies]]
name = "time-60s"
revalidate = "60s"

[[policies]]
name = "on-demand"
on_edit = "regenerate"

[sweep]
"backend.concurrency" = [1, 4]
"#;

/// The folder one `isrsim run` of `SCENARIO` wrote, made once for every test.
fn written() -> &'static Path {
    static WRITTEN: OnceLock<PathBuf> = OnceLock::new();
    WRITTEN.get_or_init(|| {
        let dir = shared_scratch("written");
        let scenario = write(&dir, "swept.toml", SCENARIO);
        let out = dir.join("results");
        let output = isrsim_run(&scenario, &out, &["--quiet"]);
        assert!(output.status.success(), "{}", stderr(&output));
        out
    })
}

/// A copy of the written folder, for one test to damage, in a scratch folder of its own that
/// `remove` takes away (`copy_files` makes the folders it writes into).
fn copy(test: &str) -> PathBuf {
    let dir = scratch(test).join("results");
    copy_files(written(), &dir);
    dir
}

/// Removes a copy made by `copy`, with its scratch folder.
fn remove(dir: &Path) {
    fs::remove_dir_all(dir.parent().unwrap()).unwrap();
}

/// `summary.json` without `meta`, the run's speed, which a folder does not keep per run.
fn without_meta(bytes: &[u8]) -> serde_json::Value {
    let mut json: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    json.as_object_mut().unwrap().remove("meta");
    json
}

#[test]
fn a_folder_read_back_writes_every_file_as_the_run_did() {
    let folder = Folder::read(written()).unwrap();
    assert_eq!(
        folder.study.base.name, "swept",
        "named as runs.csv names it"
    );
    assert_eq!(folder.study.points.len(), 2);
    assert_eq!(folder.runs.len(), 2 * 2 * 2);
    let scratch_dir = scratch("again");
    let again = scratch_dir.join("results");
    let target = output::Target::prepare(&again).unwrap();
    report::write_run(&folder.results(true), None, target).unwrap();
    let (before, after) = (tree(written()), tree(&again));
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    let mut expected = names(&before);
    expected.retain(|n| n != "meta.csv");
    assert_eq!(names(&after), expected);
    for (name, bytes) in &after {
        let (_, original) = before.iter().find(|(n, _)| n == name).unwrap();
        if name == "summary.json" {
            assert_eq!(without_meta(bytes), without_meta(original));
        } else {
            assert!(bytes == original, "{name} differs once read back");
        }
    }
}

/// Runs `isrsim plot` and `isrsim diff` on the damaged folder `dir`: both exit 2, print the same
/// error, and `plot` changes nothing. Returns the error, and removes the folder.
fn refused(dir: &Path) -> String {
    let before = tree(dir);
    let plot = isrsim(&["plot", dir.to_str().unwrap()]);
    assert_eq!(plot.status.code(), Some(2), "{}", stderr(&plot));
    assert_eq!(tree(dir), before, "plot changed a damaged folder");
    let diff: Output = isrsim(&["diff", written().to_str().unwrap(), dir.to_str().unwrap()]);
    assert_eq!(diff.status.code(), Some(2), "{}", stderr(&diff));
    assert!(diff.stdout.is_empty());
    assert_eq!(stderr(&plot), stderr(&diff));
    remove(dir);
    stderr(&plot)
}

/// Rewrites the file `name` of `dir` through `edit`.
fn edit(dir: &Path, name: &str, edit: impl FnOnce(String) -> String) -> PathBuf {
    let path = dir.join(name);
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, edit(text)).unwrap();
    path
}

/// A text without its last line, as a copy cut at a line leaves a file.
fn without_last_line(text: String) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.pop();
    lines.join("\n") + "\n"
}

/// Replaces line `n` (from 1) of a text.
fn with_line(text: String, n: usize, line: impl FnOnce(&str) -> String) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[n - 1] = line(&lines[n - 1]);
    lines.join("\n") + "\n"
}

#[test]
fn a_missing_file_is_named() {
    let dir = copy("missing-file");
    fs::remove_file(dir.join("timeseries.csv")).unwrap();
    let error = refused(&dir);
    assert_eq!(
        error,
        format!(
            "error: {} has no timeseries.csv: is it a folder written by `isrsim run`?\n",
            dir.display()
        )
    );
}

#[test]
fn a_missing_column_is_named_at_the_header() {
    let dir = copy("missing-column");
    let runs = edit(&dir, "runs.csv", |text| {
        text.replacen(",stale_ratio,", ",stale_share,", 1)
    });
    let error = refused(&dir);
    assert_eq!(
        error,
        format!("error: {}:1: no `stale_ratio` column\n", runs.display())
    );
}

/// `text` without the CSV columns `names` (cells hold no commas in these files).
fn without_columns(text: String, names: &[&str]) -> String {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let keep: Vec<bool> = header.iter().map(|h| !names.contains(h)).collect();
    let pick = |line: &str| {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), keep.len(), "a cell holds a comma: {line}");
        let kept: Vec<&str> = cells
            .iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|(c, _)| *c)
            .collect();
        kept.join(",") + "\n"
    };
    std::iter::once(header.join(","))
        .map(|h| pick(&h))
        .chain(lines.map(pick))
        .collect()
}

#[test]
fn a_folder_written_before_the_later_metrics_reads_them_as_not_measured() {
    let later = [
        "purge_requests",
        "tag_invalidations",
        "regenerations_deduplicated",
    ];
    let with_ci: Vec<String> = later
        .iter()
        .flat_map(|m| [m.to_string(), format!("{m}_ci95")])
        .collect();
    let with_ci: Vec<&str> = with_ci.iter().map(String::as_str).collect();
    let dir = copy("before-later-metrics");
    edit(&dir, "runs.csv", |text| without_columns(text, &later));
    edit(&dir, "routes.csv", |text| without_columns(text, &with_ci));
    edit(&dir, "summary.csv", |text| without_columns(text, &with_ci));
    let (old, new) = (
        Folder::read(&dir).unwrap(),
        Folder::read(written()).unwrap(),
    );
    assert_eq!(old.runs.len(), new.runs.len());
    for (o, n) in old.runs.iter().zip(&new.runs) {
        for m in later {
            assert_eq!(
                o.metrics.get(m),
                None,
                "{m} is not measured in the old folder"
            );
            assert!(n.metrics.get(m).is_some(), "{m} is measured in a new one");
        }
        assert_eq!(o.metrics.get("stale_ratio"), n.metrics.get("stale_ratio"));
    }
    // Any other column missing is damage still (`a_missing_column_is_named_at_the_header`).
    remove(&dir);
}

#[test]
fn a_cell_that_is_not_a_number_is_named_with_its_line_and_column() {
    let dir = copy("not-a-number");
    // Line 3: the header, then the second run. Its 6th cell is `requests` (after scenario, the
    // swept key, policy, replication and seed).
    let runs = edit(&dir, "runs.csv", |text| {
        with_line(text, 3, |line| {
            let mut cells: Vec<&str> = line.split(',').collect();
            cells[5] = "lots";
            cells.join(",")
        })
    });
    let error = Folder::read(&dir).unwrap_err();
    assert!(
        matches!(
            &error,
            ReadError::Damaged { line: 3, problem: Problem::NotANumber { column, .. }, .. }
                if column == "requests"
        ),
        "{error:?}"
    );
    let error = refused(&dir);
    assert_eq!(
        error,
        format!(
            "error: {}:3: `requests` is `lots`, not a number\n",
            runs.display()
        )
    );
}

#[test]
fn a_row_cut_short_is_named() {
    let dir = copy("cut-row");
    let path = dir.join("distributions.csv");
    let text = fs::read_to_string(&path).unwrap();
    // Cut in the middle of the last row, as a full disk or a killed copy leaves a file.
    let cut = text.trim_end().rfind(',').unwrap();
    fs::write(&path, &text[..cut]).unwrap();
    let lines = text.lines().count();
    let error = refused(&dir);
    assert!(
        error.starts_with(&format!("error: {}:{lines}: ", path.display())),
        "{error}"
    );
    assert!(error.contains("cells where the header has"), "{error}");
}

#[test]
fn a_file_cut_in_half_is_named_and_plot_changes_nothing() {
    // `summary.csv` is not read for figures, but a cut one must not stay claiming to be results.
    for file in ["distributions.csv", "summary.csv"] {
        let dir = copy(&format!("half-{file}"));
        let path = dir.join(file);
        let text = fs::read_to_string(&path).unwrap();
        let half = &text[..text.len() / 2];
        fs::write(&path, half).unwrap();
        let lines = half.lines().count();
        let error = refused(&dir);
        // The file the user has, not a copy, and a line of it.
        let at = error.strip_prefix(&format!("error: {}:", path.display()));
        let line = at.and_then(|at| at.split_once(": ")?.0.parse::<usize>().ok());
        assert!(line.is_some_and(|l| (1..=lines).contains(&l)), "{error}");
    }
    // A summary cut at a line: a (point, policy) has no row.
    let dir = copy("summary-short");
    let path = edit(&dir, "summary.csv", without_last_line);
    let last = fs::read_to_string(&path).unwrap().lines().count();
    let error = refused(&dir);
    assert_eq!(
        error,
        format!(
            "error: {}:{last}: no row for policy `on-demand` at backend.concurrency=4: the file \
             is cut short or damaged\n",
            path.display()
        )
    );
}

#[test]
fn a_file_cut_at_a_line_is_incomplete() {
    let dir = copy("cut-file");
    // The last run loses its last bucket.
    let path = edit(&dir, "timeseries.csv", without_last_line);
    let last = fs::read_to_string(&path).unwrap().lines().count();
    let error = refused(&dir);
    assert_eq!(
        error,
        format!(
            "error: {}:{last}: replication 1 of policy `on-demand` at backend.concurrency=4 has 3 \
             buckets where its scenario makes 4: the file is cut short or damaged\n",
            path.display()
        )
    );
    // Runs missing from runs.csv: one policy has fewer replications than the others.
    let dir = copy("cut-runs");
    let path = edit(&dir, "runs.csv", without_last_line);
    let error = refused(&dir);
    assert!(
        error.contains(&format!("{}:", path.display()))
            && error.contains("policy `on-demand` at backend.concurrency=4 has 1 run where"),
        "{error}"
    );
}

#[test]
fn a_run_of_a_policy_the_scenario_lacks_is_named() {
    let dir = copy("unknown-policy");
    let runs = edit(&dir, "runs.csv", |text| {
        with_line(text, 2, |line| line.replacen(",time-60s,", ",time-90s,", 1))
    });
    let error = refused(&dir);
    assert_eq!(
        error,
        format!(
            "error: {}:2: names policy `time-90s`, which scenario.toml does not have\n",
            runs.display()
        )
    );
    // The policy is gone from the scenario instead: every file names it.
    let dir = copy("policy-gone");
    edit(&dir, "scenario.toml", |text| {
        text.replace("name = \"time-60s\"", "name = \"time-90s\"")
    });
    let error = refused(&dir);
    assert!(
        error.contains("runs.csv:2: names policy `time-60s`, which scenario.toml does not have"),
        "{error}"
    );
}

#[test]
fn a_scenario_that_does_not_parse_is_named_with_its_line() {
    let dir = copy("bad-scenario");
    let scenario = edit(&dir, "scenario.toml", |text| {
        text.replace("rate = 20", "rate = -20")
    });
    let line = 1 + fs::read_to_string(&scenario)
        .unwrap()
        .lines()
        .position(|l| l == "rate = -20")
        .unwrap();
    let error = refused(&dir);
    assert!(
        error.starts_with(&format!("error: {}:{line}", scenario.display())),
        "{error}"
    );
}

#[test]
fn a_quantile_out_of_place_is_named() {
    let dir = copy("quantile");
    let path = edit(&dir, "distributions.csv", |text| {
        with_line(text, 3, |line| line.replacen(",0.05,", ",0.07,", 1))
    });
    let error = refused(&dir);
    assert_eq!(
        error,
        format!(
            "error: {}:3: `quantile` is 0.07 where 0.05 belongs\n",
            path.display()
        )
    );
}

/// The problem `Folder::read` finds in a copy of the written folder once `damage` is done to it,
/// and the line it names.
fn problem(test: &str, file: &str, damage: impl FnOnce(String) -> String) -> (u64, Problem) {
    let dir = copy(test);
    let path = edit(&dir, file, damage);
    let found = match Folder::read(&dir) {
        Err(ReadError::Damaged {
            path: named,
            line,
            problem,
        }) => {
            assert_eq!(named, path, "the error names the damaged file");
            (line, problem)
        }
        other => panic!("{test}: {other:?}"),
    };
    remove(&dir);
    found
}

/// `text` with its line `n` (from 1) written again at its end.
fn repeat_line(text: String, n: usize) -> String {
    let line = text.lines().nth(n - 1).unwrap().to_string();
    text + &line + "\n"
}

#[test]
fn every_kind_of_damage_is_its_own_problem() {
    let (line, p) = problem("repeated", "runs.csv", |t| repeat_line(t, 2));
    assert_eq!(line, 2 * 2 * 2 + 2);
    assert!(matches!(p, Problem::Repeated { first: 2, .. }), "{p:?}");
    assert_eq!(
        p.to_string(),
        "replication 0 of policy `time-60s` at backend.concurrency=1 again, first on line 2"
    );

    let (_, p) = problem("surplus", "timeseries.csv", |t| {
        let last = t.lines().count();
        repeat_line(t, last)
    });
    assert!(matches!(p, Problem::Surplus { .. }), "{p:?}");

    let (line, p) = problem("unknown-run", "timeseries.csv", |t| {
        with_line(t, 2, |l| l.replacen("1,time-60s,0,", "1,time-60s,5,", 1))
    });
    assert_eq!(line, 2);
    assert_eq!(
        p.to_string(),
        "names replication 5 of policy `time-60s` at backend.concurrency=1, which runs.csv does \
         not have"
    );

    let (_, p) = problem("other-scenario", "routes.csv", |t| {
        with_line(t, 3, |l| l.replacen("swept,", "other,", 1))
    });
    assert_eq!(
        p,
        Problem::OtherScenario {
            found: "other".to_string(),
            expected: "swept".to_string()
        }
    );

    let (_, p) = problem("unknown-point", "routes.csv", |t| {
        with_line(t, 2, |l| l.replacen("swept,1,", "swept,3,", 1))
    });
    assert_eq!(
        p.to_string(),
        "names sweep point backend.concurrency=3, which scenario.toml does not have"
    );

    let (_, p) = problem("unknown-metric", "distributions.csv", |t| {
        with_line(t, 2, |l| l.replacen(",stale_age_s,", ",age,", 1))
    });
    assert!(matches!(p, Problem::UnknownMetric { .. }), "{p:?}");

    let (line, p) = problem("no-axis", "runs.csv", |t| {
        t.replacen("scenario,backend.concurrency,", "scenario,concurrency,", 1)
    });
    assert_eq!(line, 1);
    assert_eq!(
        p,
        Problem::Header {
            expected: "scenario,backend.concurrency,policy".to_string()
        }
    );

    let (line, p) = problem("no-runs", "runs.csv", |t| {
        t.lines().next().unwrap().to_string() + "\n"
    });
    assert_eq!(
        (line, p.to_string()),
        (1, "no runs: the file is cut short or damaged".to_string())
    );

    let (_, p) = problem("no-route-row", "routes.csv", |t| {
        let mut lines: Vec<&str> = t.lines().collect();
        lines.remove(3);
        lines.join("\n") + "\n"
    });
    assert!(
        p.to_string()
            .starts_with("no row for route `posts` of policy `on-demand`"),
        "{p}"
    );

    let (line, p) = problem("bucket-start", "timeseries.csv", |t| {
        with_line(t, 3, |l| l.replacen(",150,", ",140,", 1))
    });
    assert_eq!(line, 3);
    assert_eq!(p.to_string(), "`t_s` is 140 where 150 belongs");
}
