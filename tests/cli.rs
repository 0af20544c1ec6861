//! Runs the built `isrsim` binary the way a user would: exit codes, error messages, result
//! files, and the determinism guarantees of docs/model.md §2.3.

use std::fs;
use std::path::{Path, PathBuf};

mod support;

use support::{assert_exit, isrsim, isrsim_run, scratch, stderr, tree, write};

const SMALL: &str = r#"
description = "a small two-route site"
duration = "30m"
warmup = "1m"
seed = 5
replications = 2

[traffic]
pattern = "steady"
rate = 40

[[routes]]
name = "posts"
pages = 300
popularity = 1.0
edit_every = "2h"
regen_time = { uniform = ["100ms", "900ms"] }

[[routes]]
name = "categories"
pages = 6
share = 0.2
depends_on = "posts"
regen_time = "500ms"

[cdn]
pops = 3
rtt = "10ms"
origin_rtt = "50ms"
purge_delay = { exponential = "200ms" }

[origin]
instances = 2

[backend]
concurrency = 2
failure_rate = 0.01
timeout = "10s"

[[policies]]
name = "time-60s"
revalidate = "60s"

[[policies]]
name = "on-demand"
on_edit = "regenerate"
broadcast = true
purge_cdn = true
"#;

const FILES: [&str; 4] = ["runs.csv", "summary.csv", "timeseries.csv", "routes.csv"];

#[test]
fn a_run_writes_every_file_and_prints_the_table() {
    let dir = scratch("run");
    let scenario = write(&dir, "small.toml", SMALL);
    let out = dir.join("results");
    let output = isrsim_run(&scenario, &out, &[]);
    assert_exit(&output, 0);
    for file in FILES {
        assert!(out.join(file).is_file(), "{file} is written");
    }
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(
        table.contains("time-60s") && table.contains("on-demand"),
        "{table}"
    );
    let runs = fs::read_to_string(out.join("runs.csv")).unwrap();
    assert_eq!(
        runs.lines().count(),
        1 + 2 * 2,
        "a header and one row per (policy, replication)"
    );
    assert!(runs.starts_with(
        "scenario,policy,replication,seed,requests,errors,stale_responses,stale_ratio,"
    ));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("requests/s"),
        "the run reports its speed: {stderr}"
    );
    let siblings: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        siblings.len(),
        2,
        "no temporary folder is left beside the results: {siblings:?}"
    );
}

#[test]
fn the_same_seed_gives_byte_identical_files_whatever_the_thread_count() {
    let dir = scratch("determinism");
    let scenario = write(&dir, "small.toml", SMALL);
    let (a, b, c) = (dir.join("a"), dir.join("b"), dir.join("c"));
    assert!(
        isrsim_run(&scenario, &a, &["--threads", "1", "--quiet"])
            .status
            .success()
    );
    assert!(
        isrsim_run(&scenario, &b, &["--threads", "2", "--quiet"])
            .status
            .success()
    );
    assert!(
        isrsim_run(&scenario, &c, &["--threads", "2", "--quiet", "--seed", "6"])
            .status
            .success()
    );
    for file in FILES {
        let (x, y) = (
            fs::read(a.join(file)).unwrap(),
            fs::read(b.join(file)).unwrap(),
        );
        assert!(x == y, "{file} differs between --threads 1 and --threads 2");
    }
    assert_ne!(
        fs::read(a.join("runs.csv")).unwrap(),
        fs::read(c.join("runs.csv")).unwrap(),
        "--seed changes the runs"
    );
}

#[test]
fn quiet_prints_nothing() {
    let dir = scratch("quiet");
    let scenario = write(&dir, "small.toml", SMALL);
    let output = isrsim_run(
        &scenario,
        &dir.join("out"),
        &["--quiet", "--replications", "1"],
    );
    assert!(output.status.success());
    assert!(output.stdout.is_empty() && output.stderr.is_empty());
    let runs = fs::read_to_string(dir.join("out/runs.csv")).unwrap();
    assert_eq!(
        runs.lines().count(),
        1 + 2,
        "--replications 1 overrides the scenario's 2"
    );
}

#[test]
fn validate_says_what_would_be_simulated() {
    let dir = scratch("validate");
    let scenario = write(&dir, "small.toml", SMALL);
    let output = isrsim(&["validate", scenario.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    // 40 requests/s for 30 minutes; 300 posts edited every 2 hours for half an hour.
    assert!(text.contains("72,000 requests"), "{text}");
    assert!(text.contains("75 edits"), "{text}");
    assert!(text.contains("306 pages"), "{text}");
    assert!(
        text.contains("time-60s") && text.contains("on-demand"),
        "{text}"
    );
    assert!(!dir.join("results").exists());
}

/// Replaces `from` with `to` in the small scenario, runs it, and checks the error: exit code 2,
/// the file, the key and the line of the replaced text are named, and nothing is written.
fn assert_bad_input(test: &str, from: &str, to: &str, key: &str) {
    assert!(SMALL.contains(from), "the fixture has `{from}`");
    let text = SMALL.replacen(from, to, 1);
    let line = 1 + text.lines().position(|l| l.contains(to)).unwrap();
    let dir = scratch(test);
    let scenario = write(&dir, "bad.toml", &text);
    let out = dir.join("results");
    let output = isrsim_run(&scenario, &out, &[]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("bad.toml:{line}")),
        "names the file and line {line}: {stderr}"
    );
    assert!(stderr.contains(key), "names the key {key}: {stderr}");
    assert!(!out.exists(), "no results folder on bad input");
    assert_eq!(
        fs::read_dir(&dir).unwrap().count(),
        1,
        "nothing at all is written"
    );
}

#[test]
fn an_unknown_key_is_an_error() {
    assert_bad_input(
        "unknown-key",
        "popularity = 1.0",
        "popularty = 1.0",
        "popularty",
    );
}

#[test]
fn a_bad_duration_is_an_error() {
    assert_bad_input(
        "bad-duration",
        r#"duration = "30m""#,
        r#"duration = "30 minutes""#,
        "duration",
    );
}

#[test]
fn zero_pages_is_an_error() {
    assert_bad_input("zero-pages", "pages = 300", "pages = 0", "routes[0].pages");
}

#[test]
fn depends_on_a_missing_route_is_an_error() {
    assert_bad_input(
        "missing-route",
        r#"depends_on = "posts""#,
        r#"depends_on = "post""#,
        "routes[1].depends_on",
    );
}

#[test]
fn depends_on_itself_is_an_error() {
    assert_bad_input(
        "self-dependency",
        r#"depends_on = "posts""#,
        r#"depends_on = "categories""#,
        "routes[1].depends_on",
    );
}

#[test]
fn a_missing_file_and_bad_arguments_exit_2() {
    let output = isrsim(&["run", "/nonexistent/scenario.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/scenario.toml"));
    assert_eq!(isrsim(&["run"]).status.code(), Some(2));
    assert_eq!(
        isrsim(&["run", "x.toml", "--replications", "0"])
            .status
            .code(),
        Some(2)
    );
}

/// Every scenario shipped in `scenarios/`, its subfolders (`validation/`) included.
fn shipped_scenarios() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn the_shipped_scenarios_validate() {
    for path in shipped_scenarios() {
        let output = isrsim(&["validate", path.to_str().unwrap()]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8(output.stdout).unwrap();
        // The name, then the description indented under it.
        let description = text.lines().nth(1).unwrap_or_default();
        assert!(
            description.starts_with("  ") && description.trim().len() > 20,
            "{} has a description",
            path.display()
        );
    }
}

const SWEEP: &str = "\n[sweep]\n\"backend.concurrency\" = [1, 4]\n\"policies.time-60s.revalidate\" = [\"30s\", \"5m\"]\n";

#[test]
fn a_sweep_runs_the_cartesian_product_with_a_column_per_key() {
    let dir = scratch("sweep");
    let scenario = write(&dir, "swept.toml", &format!("{SMALL}{SWEEP}"));
    let out = dir.join("out");
    let output = isrsim_run(&scenario, &out, &["--replications", "1"]);
    assert_exit(&output, 0);
    let runs = fs::read_to_string(out.join("runs.csv")).unwrap();
    let mut lines = runs.lines();
    assert!(lines.next().unwrap().starts_with(
        "scenario,backend.concurrency,policies.time-60s.revalidate,policy,replication,seed,"
    ));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(
        rows.len(),
        2 * 2 * 2,
        "2 x 2 points, 2 policies, 1 replication"
    );
    assert!(
        rows[0].starts_with("swept,1,30s,time-60s,0,"),
        "{}",
        rows[0]
    );
    assert!(
        rows[7].starts_with("swept,4,5m,on-demand,0,"),
        "{}",
        rows[7]
    );
    let summary = fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary.starts_with(
        "scenario,backend.concurrency,policies.time-60s.revalidate,policy,replications,"
    ));
    assert_eq!(summary.lines().count(), 1 + 8);
    // Every point shares the traffic: the request counts agree.
    let requests: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r.split(',').nth(6).unwrap()).collect();
    assert_eq!(requests.len(), 1, "{requests:?}");
}

#[test]
fn a_sweep_key_that_does_not_exist_is_named() {
    let dir = scratch("sweep-bad-key");
    let text = format!("{SMALL}\n[sweep]\n\"backend.concurency\" = [1, 4]\n");
    let line = text.lines().count();
    let scenario = write(&dir, "swept.toml", &text);
    let output = isrsim_run(&scenario, &dir.join("out"), &[]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("backend.concurency") && stderr.contains(&format!("swept.toml:{line}")),
        "{stderr}"
    );
    assert!(!dir.join("out").exists());
}

#[test]
fn merged_shards_are_byte_identical_to_one_run() {
    let dir = scratch("shards");
    let scenario = write(&dir, "swept.toml", &format!("{SMALL}{SWEEP}"));
    let whole = dir.join("whole");
    assert!(isrsim_run(&scenario, &whole, &["--quiet"]).status.success());
    let mut shards = Vec::new();
    for k in 1..=3 {
        let part = dir.join(format!("part{k}"));
        let output = isrsim_run(
            &scenario,
            &part,
            &["--quiet", "--shard", &format!("{k}/3"), "--threads", "1"],
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            !part.join("runs.csv").exists(),
            "a shard writes a partial folder"
        );
        shards.push(part.to_str().unwrap().to_string());
    }
    let merged = dir.join("merged");
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(String::as_str));
    args.extend(["--out", merged.to_str().unwrap(), "--quiet"]);
    let output = isrsim(&args);
    assert_exit(&output, 0);
    for file in FILES {
        assert!(
            fs::read(whole.join(file)).unwrap() == fs::read(merged.join(file)).unwrap(),
            "{file} differs"
        );
    }
    // `merge` prints the table `run` prints, and takes the same choice of columns.
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(String::as_str));
    let again = dir.join("again");
    args.extend(["--out", again.to_str().unwrap(), "--columns", "stale_ratio"]);
    let output = isrsim(&args);
    assert_exit(&output, 0);
    let table = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        table
            .lines()
            .nth(2)
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["concurrency", "revalidate", "policy", "stale", "(%)"],
        "{table}"
    );
    // A missing shard is named, and nothing is written.
    let output = isrsim(&[
        "merge",
        &shards[0],
        &shards[2],
        "--out",
        dir.join("incomplete").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("2/3"));
    assert!(!dir.join("incomplete").exists());
    assert_eq!(
        isrsim_run(&scenario, &dir.join("x"), &["--shard", "4/3"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    let dir = scratch("progress");
    let scenario = write(&dir, "small.toml", SMALL);
    let output = isrsim_run(&scenario, &dir.join("out"), &[]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    // The scenario is not steady (docs/model.md §11.11): its warnings come before the speed.
    let lines = stderr.lines().filter(|l| !l.starts_with("warning: "));
    assert_eq!(lines.count(), 1, "only the speed line: {stderr:?}");
    assert!(
        !stderr.contains('\r') && !stderr.contains('\u{1b}'),
        "{stderr:?}"
    );
}

#[test]
fn plot_redraws_the_same_charts_and_report_without_a_rerun() {
    let dir = scratch("plot");
    let scenario = write(&dir, "small.toml", SMALL);
    let out = dir.join("out");
    assert!(
        isrsim_run(&scenario, &out, &["--quiet", "--replications", "1"])
            .status
            .success()
    );
    let before = tree(&out);
    let charts = before
        .iter()
        .filter(|(n, _)| n.starts_with("charts/"))
        .count();
    assert!(charts >= 10, "charts are drawn as SVG and PNG: {charts}");
    assert!(before.iter().any(|(n, _)| n == "report.html"));
    // Damage the charts; `plot` must draw them again from the CSV files alone.
    fs::remove_dir_all(out.join("charts")).unwrap();
    fs::write(out.join("report.html"), "stale").unwrap();
    let output = isrsim(&["plot", out.to_str().unwrap()]);
    assert_exit(&output, 0);
    // It says what it wrote: the charts, counted as SVG files, and the report.
    let said = stderr(&output);
    let svgs = before.iter().filter(|(n, _)| n.ends_with(".svg")).count();
    assert!(
        said.contains(&format!("redrew {svgs} charts"))
            && said.contains("report.html")
            && said.contains(out.to_str().unwrap()),
        "{said}"
    );
    let after = tree(&out);
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&after), names(&before));
    for ((name, a), (_, b)) in before.iter().zip(&after) {
        assert!(a == b, "{name} differs after plot");
    }
    assert_eq!(
        isrsim(&["plot", dir.to_str().unwrap()]).status.code(),
        Some(2),
        "not a results folder"
    );
}

#[test]
fn the_ci_example_meets_its_slo_and_matches_its_committed_baseline() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = scratch("ci-example");
    let out = dir.join("ci");
    let output = isrsim_run(&root.join("scenarios/ci.toml"), &out, &["--quiet"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "the SLO holds: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let baseline = root.join("results/baselines/ci");
    let output = isrsim(&[
        "diff",
        baseline.to_str().unwrap(),
        out.to_str().unwrap(),
        "--format",
        "markdown",
    ]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("0 regressions, 0 improvements"), "{text}");
    // Same scenario, same seed: the baseline is reproduced exactly. A change that moves the
    // numbers must commit a new baseline (docs/ci.md).
    assert!(
        fs::read(baseline.join("summary.csv")).unwrap()
            == fs::read(out.join("summary.csv")).unwrap()
    );
}

/// `isrsim COMMAND | head -1`: a reader that closes stdout early is not a failure. The binary
/// stops printing quietly (as ripgrep does), never panics, and its exit code still says how the
/// run went.
#[test]
fn a_stdout_closed_by_its_reader_is_not_a_panic() {
    use std::process::{Command, Stdio};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = scratch("closed-stdout");
    let out = dir.join("results");
    let scenario = root.join("scenarios/idle.toml");
    let commands: [Vec<&str>; 4] = [
        vec![
            "run",
            scenario.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        vec!["validate", scenario.to_str().unwrap()],
        vec!["diff", out.to_str().unwrap(), out.to_str().unwrap()],
        vec!["compare", out.to_str().unwrap(), out.to_str().unwrap()],
    ];
    for args in commands {
        let mut child = Command::new(env!("CARGO_BIN_EXE_isrsim"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Closed before the binary writes anything, so its first write fails.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    fs::remove_dir_all(dir).unwrap();
}

/// The debug names of the scenario's enums, which `validate` must never print: it speaks the
/// file's words (`"round-robin"`, `"mark-stale"`).
fn debug_names() -> Vec<String> {
    use isrsim::scenario::{Balancer, CacheMode, OnEdit, PurgeKind};
    let mut names: Vec<String> = [Balancer::RoundRobin, Balancer::Random, Balancer::Hash]
        .iter()
        .map(|b| format!("{b:?}"))
        .collect();
    names.extend([CacheMode::Local, CacheMode::Shared].map(|c| format!("{c:?}")));
    names.extend(
        [
            OnEdit::None,
            OnEdit::Regenerate,
            OnEdit::Invalidate,
            OnEdit::MarkStale,
        ]
        .map(|e| format!("{e:?}")),
    );
    names.extend([PurgeKind::Hard, PurgeKind::Soft].map(|p| format!("{p:?}")));
    names.extend(
        [
            "Steady", "Bursty", "Idle", "Diurnal", "Spike", "SimTime", "Some", "None",
        ]
        .map(String::from),
    );
    names
}

#[test]
fn validate_speaks_the_scenario_files_words_in_short_lines() {
    let names = debug_names();
    for path in shipped_scenarios() {
        let output = isrsim(&["validate", path.to_str().unwrap()]);
        assert_exit(&output, 0);
        let text = String::from_utf8(output.stdout).unwrap();
        let file = path.display();
        for line in text.lines() {
            assert!(line.chars().count() <= 100, "{file}: a long line: {line}");
            // Braces only inside quotes, where a tag template holds its hole (`"product:{page}"`).
            let unquoted: String = line.split('"').step_by(2).collect();
            assert!(!unquoted.contains(['{', '}']), "{file}: braces: {line}");
            assert!(
                !line.contains("-0 ") && !line.contains("SimTime"),
                "{file}: {line}"
            );
        }
        // The description (the indented lines under the name) is the author's prose; every
        // other word is isrsim's, and none is a Rust debug name.
        let settings = text.lines().skip_while(|l| !l.is_empty());
        for line in settings {
            let words = line.split(|c: char| !c.is_alphanumeric());
            for word in words {
                assert!(
                    !names.iter().any(|n| n == word),
                    "{file}: `{word}` in: {line}"
                );
                let camel = word.chars().skip(1).any(char::is_uppercase)
                    && word.chars().any(char::is_lowercase);
                assert!(!camel, "{file}: `{word}` in: {line}");
            }
        }
    }
    let bursty = isrsim(&["validate", "scenarios/bursty.toml"]);
    let text = String::from_utf8(bursty.stdout).unwrap();
    for words in [
        "pattern = \"bursty\"",
        "burst_length = \"3m\"",
        "balancer = \"round-robin\"",
        "4 policies, 12 runs",
        "broadcast = true",
        "purge_cdn = true",
        "webhook_failure = 0",
        "schedule = false",
    ] {
        assert!(text.contains(words), "{words}: {text}");
    }
}

#[test]
fn validate_tells_apart_policies_that_differ_only_in_broadcast() {
    let dir = scratch("validate-broadcast");
    let text = SMALL.replace("broadcast = true\n", "")
        + "\n[[policies]]\nname = \"on-demand-broadcast\"\non_edit = \"regenerate\"\n\
           broadcast = true\npurge_cdn = true\n";
    let scenario = write(&dir, "small.toml", &text);
    let output = isrsim(&["validate", scenario.to_str().unwrap()]);
    assert_exit(&output, 0);
    let text = String::from_utf8(output.stdout).unwrap();
    // Each policy's settings: the lines after its name, up to the next name or the section end.
    let settings = |policy: &str| -> String {
        let mut lines = text.lines().skip_while(|l| l.trim() != policy).skip(1);
        let mut block = String::new();
        for line in lines.by_ref() {
            if !line.starts_with("    ") {
                break;
            }
            block += line;
        }
        block
    };
    let (plain, broadcast) = (settings("on-demand"), settings("on-demand-broadcast"));
    assert!(plain.contains("broadcast = false"), "{text}");
    assert!(broadcast.contains("broadcast = true"), "{text}");
    // Compared word by word: a longer word may wrap a line elsewhere.
    let words = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(
        words(&plain.replace("broadcast = false", "broadcast = true")),
        words(&broadcast)
    );
    assert!(
        text.contains("3 policies, 6 runs") && text.contains("2 routes"),
        "{text}"
    );
}

const TAGGED: &str = r#"
description = "a small store with cache tags"
duration = "10m"

[traffic]
pattern = "steady"
rate = 5

[[routes]]
name = "products"
pages = 10
edit_every = "1h"
regen_time = "100ms"
tags = ["product:{page}", "category:{page % 4}", "catalog"]

[[routes]]
name = "categories"
pages = 4
depends_on = "products"
regen_time = "100ms"
tags = ["category:{page}", "catalog"]

[cdn]
purge_by = "tag"

[[policies]]
name = "matched"
on_edit = "revalidate-tag"
tags = ["product:{page}", "category:{page % 4}", "categry:{page}"]
purge_cdn = true

[[policies]]
name = "site-wide"
on_edit = "revalidate-tag"
tags = ["catalog"]
tag_expire = "5m"
"#;

/// The words `validate` prints on the line of `start`, and those of the lines indented under it
/// (a line the wrapper continued), joined by single spaces.
fn block(text: &str, start: &str) -> String {
    let mut lines = text
        .lines()
        .skip_while(|l| !l.trim_start().starts_with(start));
    let Some(first) = lines.next() else {
        return String::new();
    };
    let indent = first.len() - first.trim_start().len();
    let mut words = first.to_string();
    for line in lines {
        if line.len() - line.trim_start().len() <= indent {
            break;
        }
        words = words + " " + line.trim();
    }
    words.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn validate_counts_the_pages_each_tag_reaches() {
    let dir = scratch("validate-tags");
    let scenario = write(&dir, "tagged.toml", TAGGED);
    let output = isrsim(&["validate", scenario.to_str().unwrap()]);
    assert_exit(&output, 0);
    let text = String::from_utf8(output.stdout).unwrap();
    // Products 0..9 by `page % 4`: residues 0 and 1 have three products, 2 and 3 two; each
    // category page carries its own residue's tag too.
    for (line, words) in [
        (
            "tag \"product:{page}\"",
            "tag \"product:{page}\": 10 tags, each carried by 1 page",
        ),
        (
            "tag \"category:{page % 4}\"",
            "tag \"category:{page % 4}\": 4 tags, each carried by 3 to 4 pages",
        ),
        (
            "tag \"category:{page}\"",
            "tag \"category:{page}\": 4 tags, each carried by 3 to 4 pages",
        ),
        (
            "tag \"catalog\"",
            "tag \"catalog\": 1 tag, carried by 14 pages",
        ),
        // An edit of product i: `product:i` and `category:(i % 4)` reach the 2 or 3 products of
        // that residue (i among them) and the category page; the misspelt tag reaches nothing.
        (
            "an edit of a products page",
            "an edit of a products page revalidates 3 tags, reaching 3 to 4 pages",
        ),
        (
            "tag \"categry:{page}\"",
            "tag \"categry:{page}\" names no tag a page carries: it reaches nothing",
        ),
    ] {
        assert_eq!(block(&text, line), words, "{text}");
    }
    // `catalog` is on every page: 10 products and 4 categories.
    let site_wide = block(&text, "site-wide");
    assert!(site_wide.contains("tag_expire = \"5m\""), "{text}");
    assert!(
        text.contains("revalidates 1 tag, reaching 14 pages"),
        "{text}"
    );
    assert!(
        block(&text, "matched").contains("tag_expire = \"max\""),
        "{text}"
    );
    assert!(
        block(&text, "[cdn]").contains("purge_by = \"tag\""),
        "{text}"
    );
    // The categories are not edited directly: no fan-out is printed for them.
    assert!(!text.contains("an edit of a categories page"), "{text}");
}

#[test]
fn help_lists_the_exit_codes_points_to_the_docs_and_wraps() {
    for args in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["diff", "--help"],
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_isrsim"))
            .args(&args)
            .env("COLUMNS", "72")
            .output()
            .unwrap();
        assert_exit(&output, 0);
        let help = String::from_utf8(output.stdout).unwrap();
        assert!(help.contains("Exit codes:"), "{args:?}: {help}");
        for code in ["0  done", "1  failure", "2  bad input", "3  an [slo] bound"] {
            assert!(
                help.contains(code),
                "{args:?} has exit code `{code}`: {help}"
            );
        }
        assert!(help.contains("docs/scenario.md"), "{args:?}: {help}");
        for line in help.lines() {
            assert!(
                line.chars().count() <= 72,
                "{args:?}: wider than COLUMNS: {line}"
            );
        }
    }
}

/// Where stdout is not a terminal (here, a pipe), the table has one layout whatever the width:
/// every key column, each in the unit its heading names, numbers a script can parse.
#[test]
fn a_piped_table_has_every_key_column_in_fixed_units() {
    let dir = scratch("piped-table");
    let scenario = write(&dir, "small.toml", SMALL);
    let output = isrsim_run(&scenario, &dir.join("out"), &[]);
    assert_exit(&output, 0);
    let table = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    let heading: Vec<&str> = lines[2]
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        heading,
        [
            "policy",
            "stale (%)",
            "stale age p99 (s)",
            "edit visible p99 (s)",
            "regenerations",
            "regenerations failed",
            "duplicates",
            "regen/s peak",
            "backend wait p99 (s)",
            "storm seconds",
            "latency p99 (ms)",
            "errors",
            "CDN hit (%)",
            "CDN behind origin (%)",
        ],
        "{table}"
    );
    // The rows, down to the blank line above the legend of the `*` marks.
    for row in lines[4..].iter().take_while(|l| !l.is_empty()) {
        let cells: Vec<&str> = row
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(cells.len(), heading.len(), "{row}");
        for (c, cell) in cells.iter().enumerate().skip(1) {
            // A lower bound (edits unseen by the end, docs/model.md §11.1) says so with `≥ `,
            // and only the edit-visible lag can be one.
            let bound = cell.strip_prefix("≥ ");
            assert!(
                bound.is_none() || heading[c].starts_with("edit visible"),
                "{row}"
            );
            let cell = bound.unwrap_or(cell);
            // Two replications: `mean ± ci95`, each a plain number, and perhaps a paired mark.
            let cell = cell.strip_suffix(" *").unwrap_or(cell);
            let numbers: Vec<&str> = cell.split(" ± ").collect();
            assert_eq!(numbers.len(), 2, "{cell} in {row}");
            for n in numbers {
                assert!(
                    n.parse::<f64>().is_ok() && !n.starts_with('-'),
                    "`{n}` in {row}"
                );
            }
        }
    }
    // `--columns` picks runs.csv columns by name; `--wide` and `--columns` exclude each other.
    let output = isrsim_run(
        &scenario,
        &dir.join("out"),
        &["--columns", "storm_seconds,stale_ratio"],
    );
    assert_exit(&output, 0);
    let table = String::from_utf8(output.stdout).unwrap();
    let heading = table.lines().nth(2).unwrap();
    assert_eq!(
        heading.split_whitespace().collect::<Vec<_>>(),
        ["policy", "storm", "seconds", "stale", "(%)"],
        "{table}"
    );
    let wide = isrsim_run(
        &scenario,
        &dir.join("out"),
        &["--wide", "--columns", "stale_ratio"],
    );
    assert_exit(&wide, 2);
    let unknown = isrsim_run(&scenario, &dir.join("out"), &["--columns", "staleness"]);
    assert_exit(&unknown, 2);
    assert!(
        stderr(&unknown).contains("stale_ratio"),
        "{}",
        stderr(&unknown)
    );
    fs::remove_dir_all(dir).unwrap();
}
