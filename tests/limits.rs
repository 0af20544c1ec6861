//! The built binary refuses, with exit code 2 and a message naming the file, the line and the key,
//! what no machine could run or hold: absurd thread counts, studies of billions of runs, runs
//! that would never end (docs/scenario.md, "Sizes"); and the inputs whose errors once had no line.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

mod support;

use support::{assert_exit, isrsim, isrsim_run, isrsim_within, scratch, stderr, write};

const TINY: &str = r#"duration = "1m"

[traffic]
pattern = "steady"
rate = 1

[[routes]]
name = "posts"
pages = 3
regen_time = "1s"

[[policies]]
name = "time"
revalidate = "10s"
"#;

/// Writes `text` as `test.toml` in a fresh scratch folder and runs `isrsim validate` on it.
fn validate(test: &str, text: &[u8]) -> (PathBuf, Output) {
    // The folder lives until the binary has read the file; the path only names it afterwards.
    let dir = scratch(test);
    let path = dir.join(format!("{test}.toml"));
    std::fs::write(&path, text).unwrap();
    let output = isrsim(&["validate", path.to_str().unwrap()]);
    (path, output)
}

/// Asserts exit code 2 and an error that starts `FILE:LINE:` and names `key`.
#[track_caller]
fn refused_at(path: &Path, output: &Output, line: usize, key: &str) -> String {
    assert_exit(output, 2);
    let err = stderr(output);
    let at = format!("error: {}:{line}:", path.display());
    assert!(err.starts_with(&at), "expected `{at}`: {err}");
    assert!(
        err.contains(&format!("key `{key}`")),
        "names `{key}`: {err}"
    );
    err
}

#[test]
fn absurd_thread_counts_are_refused_at_once() {
    let dir = scratch("threads");
    let scenario = write(&dir, "tiny.toml", TINY);
    for threads in ["99999", "20000", "1025"] {
        let out = dir.join(format!("out-{threads}"));
        let started = Instant::now();
        let output = isrsim_run(&scenario, &out, &["--threads", threads]);
        assert_exit(&output, 2);
        assert!(stderr(&output).contains("0..=1024"), "{}", stderr(&output));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(!out.exists(), "nothing is written");
    }
    // The most threads allowed, for a single run: one thread runs it.
    let out = dir.join("out-1024");
    let output = isrsim_run(&scenario, &out, &["--threads", "1024", "--quiet"]);
    assert_exit(&output, 0);
}

#[test]
fn the_help_gives_one_default_for_threads() {
    let output = isrsim(&["run", "--help"]);
    assert_exit(&output, 0);
    let help = String::from_utf8_lossy(&output.stdout);
    let threads = help
        .lines()
        .skip_while(|l| !l.contains("--threads"))
        .take_while(|l| !l.contains("--quiet"))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        threads.contains("one per core") && !threads.contains("[default: 0]"),
        "{threads}"
    );
}

#[test]
fn a_study_of_billions_of_runs_is_refused_before_it_is_listed() {
    let text = format!("replications = 1000000000\n{TINY}\n[sweep]\n\"cdn.pops\" = [1, 2]\n");
    let (path, output) = validate("replications", text.as_bytes());
    let err = refused_at(&path, &output, 1, "replications");
    assert!(err.contains("at most 1000000 runs"), "{err}");

    let dir = scratch("replications-flag");
    let scenario = write(&dir, "tiny.toml", TINY);
    let out = dir.join("out");
    let output = isrsim_run(&scenario, &out, &["--replications", "1000000000"]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("`--replications 1000000000`"));
    assert!(!out.exists(), "nothing is written");

    // Six keys of ten values are a million points: counted, not built.
    let ten = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
    let axes = [
        "backend.concurrency",
        "cdn.pops",
        "origin.instances",
        "routes.posts.pages",
        "traffic.rate",
        "policies.time.routes.posts.revalidate",
    ];
    let mut text = format!("{TINY}\n[sweep]\n");
    for axis in axes {
        text.push_str(&format!("\"{axis}\" = {ten}\n"));
    }
    let started = Instant::now();
    let (path, output) = validate("points", text.as_bytes());
    let err = refused_at(&path, &output, TINY.lines().count() + 3, "sweep");
    assert!(err.contains("1000000 points"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_run_that_would_never_end_is_refused() {
    let text = TINY.replace("rate = 1\n", "rate = 1e308\n");
    let (path, output) = validate("rate", text.as_bytes());
    let err = refused_at(&path, &output, 5, "traffic.rate");
    assert!(err.contains("requests expected per run"), "{err}");
}

/// Extreme values that parse, and once made a run that never ended (found probing past the
/// mutations of tests/fuzz.rs).
#[test]
fn extreme_schedules_and_bursts_end() {
    let dir = scratch("extremes");
    let bursty = "pattern = \"bursty\"\nbase_rate = 0\nburst_rate = 5\nburst_length = \"1us\"\nburst_every = \"584542y\"\n";
    let text = TINY.replace("pattern = \"steady\"\nrate = 1\n", bursty);
    let scenario = write(&dir, "bursty.toml", &text);
    let out = dir.join("out");
    let args = [
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    let output = isrsim_within(Duration::from_secs(30), &args).expect("the run ends");
    assert_exit(&output, 0);

    // 3 pages every microsecond for a day: 2.6e11 regenerations.
    let text = TINY
        .replace("revalidate = \"10s\"", "schedule = \"1us\"")
        .replace("duration = \"1m\"", "duration = \"1d\"");
    let scenario = write(&dir, "schedule.toml", &text);
    let output = isrsim_within(
        Duration::from_secs(30),
        &["validate", scenario.to_str().unwrap()],
    )
    .expect("validate ends");
    let err = refused_at(
        &scenario,
        &output,
        TINY.lines().count(),
        "policies[0].schedule",
    );
    assert!(err.contains("scheduled regenerations"), "{err}");
}

#[test]
fn errors_that_had_no_line_have_one() {
    let mut bytes = b"duration = \"1m\"\n# caf".to_vec();
    bytes.extend_from_slice(&[0xE9, b'\n']);
    bytes.extend_from_slice(TINY.trim_start_matches("duration = \"1m\"\n").as_bytes());
    let (path, output) = validate("utf8", &bytes);
    assert_exit(&output, 2);
    let err = stderr(&output);
    assert!(
        err.starts_with(&format!("error: {}:2:6: ", path.display())) && err.contains("UTF-8"),
        "{err}"
    );

    let text = format!("{TINY}\n[[sweep]]\n\"cdn.pops\" = [1, 2]\n");
    let (path, output) = validate("sweep-array", text.as_bytes());
    let err = refused_at(&path, &output, TINY.lines().count() + 2, "sweep");
    assert!(err.contains("`[sweep]`"), "{err}");

    let text = format!("{TINY}\n[sweep]\n\"traffic.rate\" = [1, 99999999999999999999]\n");
    let (path, output) = validate("sweep-integer", text.as_bytes());
    refused_at(
        &path,
        &output,
        TINY.lines().count() + 3,
        "sweep.traffic.rate[1]",
    );

    for (key, line) in [
        ("traffic.rate", "rate = 1\n"),
        ("routes[0].share", "pages = 3\n"),
        ("routes[0].popularity", "pages = 3\n"),
    ] {
        let name = key.rsplit('.').next().unwrap_or(key);
        let text = TINY.replace(line, &format!("{line}{name} = 99999999999999999999\n"));
        let text = text.replace("rate = 1\nrate = ", "rate = ");
        let (path, output) = validate("integer", text.as_bytes());
        let at = text
            .lines()
            .position(|l| l.contains("9999"))
            .map_or(0, |i| i + 1);
        let err = refused_at(&path, &output, at, key);
        assert!(
            err.contains("9223372036854775807") && !err.contains("i128"),
            "says what is allowed: {err}"
        );
    }
}
