//! `isrsim show` run as a user runs it: it prints a results folder's table exactly as `run`
//! printed it, with any `--columns`, and the per-route table with `--routes`; a folder that is
//! not a results folder, or a column that is not one, is bad input (exit 2). And the warm-up
//! rule of docs/model.md §11.2 as the result files show it: `routes.csv` and `runs.csv` count
//! regenerations alike, so the routes' counts add up to the run's, and no row has more failed
//! regenerations than triggered ones.

use std::collections::BTreeMap;
use std::path::Path;

mod support;

use support::{assert_exit, isrsim, isrsim_run, scratch, stderr, write};

/// Two routes, one feeding the other, a backend that fails and times out, and a warm-up that
/// ends while generations are in flight: the cases where a warm-up boundary could be counted
/// two ways.
const TWO_ROUTES: &str = r#"
duration = "20m"
warmup = "5m"
seed = 7
replications = 2

[traffic]
pattern = "steady"
rate = 30

[[routes]]
name = "posts"
pages = 200
popularity = 1.0
edit_every = "20m"
regen_time = { uniform = ["1s", "8s"] }

[[routes]]
name = "categories"
pages = 5
share = 0.2
depends_on = "posts"
regen_time = "4s"

[backend]
concurrency = 2
failure_rate = 0.2
timeout = "6s"

[[policies]]
name = "time-60s"
revalidate = "60s"

[[policies]]
name = "on-demand"
on_edit = "regenerate"

[[policies]]
name = "never"
revalidate = "365d"
"#;

/// A sweep over a categorical key, whose timer expires for every page at the warm-up's end.
const SWEPT: &str = r#"
duration = "15m"
warmup = "5m"
seed = 3
replications = 2

[traffic]
pattern = "steady"
rate = 20

[[routes]]
name = "products"
pages = 100
popularity = 1.0
edit_every = "10m"
regen_time = "3s"

[[routes]]
name = "home"
pages = 1
share = 0.3
regen_time = "2s"

[origin]
instances = 2

[backend]
concurrency = 3
failure_rate = 0.1

[[policies]]
name = "timer-5m"
revalidate = "5m"

[[policies]]
name = "on-demand"
on_edit = "regenerate"
broadcast = true

[sweep]
"origin.cache" = ["local", "shared"]
"#;

/// Runs `scenario` into a folder of `dir` and returns the folder and the table `run` printed.
fn run(dir: &Path, name: &str, scenario: &str, extra: &[&str]) -> (std::path::PathBuf, String) {
    let file = write(dir, &format!("{name}.toml"), scenario);
    let out = dir.join(name);
    let output = isrsim_run(&file, &out, extra);
    assert_exit(&output, 0);
    (out, String::from_utf8(output.stdout).unwrap())
}

fn show(args: &[&str]) -> std::process::Output {
    let mut all = vec!["show"];
    all.extend_from_slice(args);
    isrsim(&all)
}

#[test]
fn show_prints_the_table_run_printed() {
    let dir = scratch("same-table");
    for (name, scenario) in [("two-routes", TWO_ROUTES), ("swept", SWEPT)] {
        let (out, printed) = run(&dir, name, scenario, &[]);
        let shown = show(&[out.to_str().unwrap()]);
        assert_exit(&shown, 0);
        assert_eq!(String::from_utf8(shown.stdout).unwrap(), printed, "{name}");
    }
    // With the same --columns, the same table again.
    let columns = "stale_ratio,edits_unseen,edit_visible_p99_s,regenerations_failed";
    let (out, printed) = run(&dir, "columns", TWO_ROUTES, &["--columns", columns]);
    let shown = show(&[out.to_str().unwrap(), "--columns", columns]);
    assert_exit(&shown, 0);
    let shown = String::from_utf8(shown.stdout).unwrap();
    assert_eq!(shown, printed);
    // `never` shows no edit all run: every edit is censored, its lag a lower bound.
    let never = shown.lines().find(|l| l.starts_with("never")).unwrap();
    assert!(never.contains('≥'), "{shown}");
}

#[test]
fn show_routes_prints_a_row_per_policy_and_route() {
    let dir = scratch("routes");
    let (out, _) = run(&dir, "two-routes", TWO_ROUTES, &[]);
    let shown = show(&[out.to_str().unwrap(), "--routes"]);
    assert_exit(&shown, 0);
    let text = String::from_utf8(shown.stdout).unwrap();
    for policy in ["time-60s", "on-demand", "never"] {
        for route in ["posts", "categories"] {
            let row = text
                .lines()
                .filter(|l| l.starts_with(policy))
                .find(|l| l.split_whitespace().nth(1) == Some(route));
            assert!(row.is_some(), "no row for {policy} {route}:\n{text}");
        }
    }
    assert!(
        text.contains("failed") && text.contains("edits unseen"),
        "{text}"
    );
}

#[test]
fn show_refuses_what_is_not_a_results_folder_or_a_column() {
    let dir = scratch("refused");
    let not_results = dir.join("empty");
    std::fs::create_dir_all(&not_results).unwrap();
    let output = show(&[not_results.to_str().unwrap()]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("runs.csv") || stderr(&output).contains("scenario.toml"));
    let (out, _) = run(&dir, "two-routes", TWO_ROUTES, &["--quiet"]);
    let output = show(&[out.to_str().unwrap(), "--columns", "bogus"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("`bogus` is not a column"),
        "{}",
        stderr(&output)
    );
    let missing = dir.join("missing");
    assert_exit(&show(&[missing.to_str().unwrap()]), 2);
}

/// A CSV file as rows of (column → cell).
fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// The cells of `row` before `column`, which name its (sweep point, policy).
fn group(row: &BTreeMap<String, String>, header: &[String], column: &str) -> String {
    let at = header.iter().position(|h| h == column).unwrap();
    header[..at]
        .iter()
        .map(|h| row[h].as_str())
        .collect::<Vec<_>>()
        .join("|")
}

fn header(path: &Path) -> Vec<String> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader.headers().unwrap().iter().map(String::from).collect()
}

fn number(row: &BTreeMap<String, String>, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column}: {:?}", row[column]))
}

#[test]
fn routes_and_runs_count_regenerations_by_the_same_warm_up_rule() {
    let dir = scratch("warm-up-rule");
    for (name, scenario) in [("two-routes", TWO_ROUTES), ("swept", SWEPT)] {
        let (out, _) = run(&dir, name, scenario, &["--quiet"]);
        let (runs_csv, routes_csv) = (out.join("runs.csv"), out.join("routes.csv"));
        let (runs_header, routes_header) = (header(&runs_csv), header(&routes_csv));
        // Per (point, policy): the mean over replications of each column in runs.csv, and the
        // sum over routes of the same column's mean in routes.csv.
        let mut from_runs: BTreeMap<(String, &str), Vec<f64>> = BTreeMap::new();
        let mut from_routes: BTreeMap<(String, &str), f64> = BTreeMap::new();
        let columns = ["regenerations", "regenerations_failed"];
        for row in rows(&runs_csv) {
            assert!(
                number(&row, "regenerations_failed") <= number(&row, "regenerations"),
                "{name}: runs.csv {row:?}"
            );
            for c in columns {
                let key = (group(&row, &runs_header, "replication"), c);
                from_runs.entry(key).or_default().push(number(&row, c));
            }
        }
        for row in rows(&routes_csv) {
            assert!(
                number(&row, "regenerations_failed") <= number(&row, "regenerations"),
                "{name}: routes.csv {row:?}"
            );
            for c in columns {
                let key = (group(&row, &routes_header, "route"), c);
                *from_routes.entry(key).or_default() += number(&row, c);
            }
        }
        assert_eq!(from_runs.len(), from_routes.len(), "{name}");
        let mut failures = 0.0;
        for (key, values) in &from_runs {
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            let summed = from_routes[key];
            assert!(
                (mean - summed).abs() < 1e-4,
                "{name} {key:?}: runs {mean}, routes {summed}"
            );
            if key.1 == "regenerations_failed" {
                failures += mean;
            }
        }
        assert!(failures > 0.0, "{name}: no failures to count");
    }
}
