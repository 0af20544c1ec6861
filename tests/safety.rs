//! What isrsim may overwrite, and what an interruption leaves: `--out` replaces only a folder
//! isrsim wrote (or an empty one), a bad `--out` is found before the simulation, and a run stopped
//! by a signal or killed leaves no staging folder and no half-written results behind.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod support;

use support::{assert_exit, isrsim, isrsim_run, scratch, stderr, tree, write};

/// A one-policy scenario of `duration` at `rate` requests per second.
fn site(duration: &str, rate: u32) -> String {
    format!(
        r#"
description = "steady traffic for {duration}"
duration = "{duration}"
seed = 1

[traffic]
pattern = "steady"
rate = {rate}

[[routes]]
name = "posts"
pages = 1000
edit_every = "1h"
regen_time = "100ms"

[[policies]]
name = "time-60s"
revalidate = "60s"
"#
    )
}

/// A month at 2,000 requests per second: hours of work, long enough to interrupt, and whatever
/// `run` does with it in a few seconds was done before simulating.
fn long() -> String {
    site("30d", 2000)
}

/// A run of a second or less.
fn short() -> String {
    site("5m", 20)
}

/// Longer than any refusal takes, far shorter than `long()` runs.
const PROMPT: Duration = Duration::from_secs(20);

const STAGING_PREFIX: &str = ".isrsim-staging-";

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The built binary with `args`, its output captured.
fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_isrsim"));
    command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// The built binary, started with `args`.
fn spawn(args: &[&str]) -> Child {
    command(args).spawn().expect("the binary runs")
}

/// Waits for `child` to end within `PROMPT`; otherwise kills it and panics, saying `late`.
fn promptly(mut child: Child, late: &str) -> Output {
    let deadline = Instant::now() + PROMPT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{late}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

/// Runs `command` on `long()`, which must be refused at once with exit code 2; returns stderr.
#[track_caller]
fn refused_at_once(command: &mut Command) -> String {
    let child = command.spawn().expect("the binary runs");
    let output = promptly(child, "still running: not refused before simulating");
    assert_exit(&output, 2);
    assert!(output.stdout.is_empty());
    stderr(&output)
}

/// `isrsim run FILE --out OUT` on `long()`, refused at once; returns stderr.
#[track_caller]
fn run_refused(scenario: &Path, out: &Path) -> String {
    let (scenario, out) = (scenario.to_str().unwrap(), out.to_str().unwrap());
    refused_at_once(&mut command(&["run", scenario, "--out", out]))
}

/// The two shards of `scenario`, written to `dir/part1` and `dir/part2` and marked.
fn shards(scenario: &Path, dir: &Path) -> Vec<String> {
    let mut parts = Vec::new();
    for k in 1..=2 {
        let part = dir.join(format!("part{k}"));
        let shard = format!("{k}/2");
        assert_exit(
            &isrsim_run(scenario, &part, &["--shard", &shard, "--quiet"]),
            0,
        );
        assert!(part.join(".isrsim").is_file());
        parts.push(part.to_str().unwrap().to_string());
    }
    parts
}

#[test]
fn a_folder_isrsim_did_not_write_is_refused_before_simulating_and_kept() {
    let dir = scratch("not-results");
    let long = write(&dir, "long.toml", &long());
    let short = write(&dir, "short.toml", &short());
    // A folder of the user's, as `--out src` or `--out .` names one.
    let src = dir.join("src");
    fs::create_dir_all(src.join("nested")).unwrap();
    write(&src, "main.rs", "fn main() {}");
    write(&src.join("nested"), "notes.txt", "mine");
    let before = tree(&src);
    let error = run_refused(&long, &src);
    assert!(
        error.starts_with(&format!(
            "error: {} is not a results folder written by isrsim",
            src.display()
        )) && error.contains("choose an empty or new folder, or delete it yourself"),
        "{error}"
    );
    assert_eq!(tree(&src), before, "the folder is untouched");
    let mut here = command(&["run", "../long.toml", "--out", "."]);
    let error = refused_at_once(here.current_dir(&src));
    assert!(
        error.starts_with("error: . is not a results folder written by isrsim"),
        "{error}"
    );
    assert_eq!(tree(&src), before);
    // Results written before isrsim marked its folders: refused too, and the message says so.
    let old = dir.join("old");
    assert_exit(&isrsim_run(&short, &old, &["--quiet"]), 0);
    fs::remove_file(old.join(".isrsim")).unwrap();
    let before = tree(&old);
    let error = run_refused(&long, &old);
    assert!(
        error.contains("Results folders written before isrsim marked them"),
        "{error}"
    );
    assert_eq!(tree(&old), before);
    // `merge` checks its `--out` alike.
    let parts = shards(&short, &dir);
    let mut args = vec!["merge"];
    args.extend(parts.iter().map(String::as_str));
    args.extend(["--out", src.to_str().unwrap()]);
    let error = refused_at_once(&mut command(&args));
    assert!(error.contains("is not a results folder written by isrsim"));
    assert_eq!(
        names(&dir),
        ["long.toml", "old", "part1", "part2", "short.toml", "src"]
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_empty_folder_or_isrsim_s_own_is_written_and_marked() {
    let dir = scratch("own");
    let short = write(&dir, "short.toml", &short());
    let out = dir.join("results");
    fs::create_dir(&out).unwrap();
    assert_exit(&isrsim_run(&short, &out, &["--quiet"]), 0);
    let marker = fs::read_to_string(out.join(".isrsim")).unwrap();
    assert!(marker.starts_with("This folder was written by isrsim"));
    // A file added to a results folder goes with it when a run replaces the folder.
    write(&out, "extra.csv", "from an earlier run");
    assert_exit(&isrsim_run(&short, &out, &["--quiet"]), 0);
    assert!(!out.join("extra.csv").exists());
    assert!(out.join("runs.csv").is_file());
    // A shard's folder and a merged one are marked as well, so each can be written again.
    shards(&short, &dir);
    let parts = shards(&short, &dir);
    let merged = dir.join("merged");
    let mut args = vec!["merge"];
    args.extend(parts.iter().map(String::as_str));
    args.extend(["--out", merged.to_str().unwrap(), "--quiet"]);
    for _ in 0..2 {
        assert_exit(&isrsim(&args), 0);
    }
    assert!(merged.join(".isrsim").is_file());
    assert_eq!(
        names(&dir),
        ["merged", "part1", "part2", "results", "short.toml"],
        "no staging folder is left"
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_file_in_the_way_is_named_before_simulating() {
    let dir = scratch("file-in-the-way");
    let long = write(&dir, "long.toml", &long());
    let file = write(&dir, "report", "mine");
    let error = run_refused(&long, &file);
    assert_eq!(
        error,
        format!(
            "error: {} exists and is not a folder (a file): choose an empty or new folder for \
             the results, or delete it yourself\n",
            file.display()
        )
    );
    // A parent that is a file, however deep the folder under it: named, not `File exists`.
    for out in ["report/long", "report/a/b/long"] {
        let error = run_refused(&long, &dir.join(out));
        assert_eq!(
            error,
            format!(
                "error: {}: cannot be made: {} is a file, not a folder\n",
                dir.join(out).display(),
                file.display()
            )
        );
    }
    assert_eq!(fs::read_to_string(&file).unwrap(), "mine");
    assert_eq!(names(&dir), ["long.toml", "report"]);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_unwritable_parent_is_named_before_simulating() {
    let dir = scratch("unwritable");
    let long = write(&dir, "long.toml", &long());
    // Root writes into any folder whatever its mode, but not into /sys.
    let root = unsafe { libc::geteuid() } == 0;
    let parent = if root {
        PathBuf::from("/sys")
    } else {
        let parent = dir.join("read-only");
        fs::create_dir(&parent).unwrap();
        let mut permissions = fs::metadata(&parent).unwrap().permissions();
        permissions.set_readonly(true);
        fs::set_permissions(&parent, permissions).unwrap();
        parent
    };
    if parent.is_dir() {
        let out = parent.join("isrsim-results");
        let error = run_refused(&long, &out);
        assert!(
            error.starts_with(&format!(
                "error: {}: cannot write into {}: ",
                out.display(),
                parent.display()
            )) && !error.contains(STAGING_PREFIX),
            "{error}"
        );
        assert!(!out.exists());
    }
    if !root {
        let mut permissions = fs::metadata(&parent).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        permissions.set_readonly(false);
        fs::set_permissions(&parent, permissions).unwrap();
    }
    fs::remove_dir_all(dir).unwrap();
}

/// `isrsim run SCENARIO --out OUT`, started, once its staging folder is in `parent`.
fn started(scenario: &Path, out: &Path, parent: &Path) -> Child {
    let (scenario, out) = (scenario.to_str().unwrap(), out.to_str().unwrap());
    let mut child = spawn(&["run", scenario, "--out", out, "--quiet", "--threads", "1"]);
    let deadline = Instant::now() + PROMPT;
    while !names(parent).iter().any(|n| n.starts_with(STAGING_PREFIX)) {
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            panic!("no staging folder appeared in {}", parent.display());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}

/// Sends `signal` to `child` and waits for it to end, killing it if it takes too long.
fn stop(child: Child, signal: i32) -> (Option<i32>, String) {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let output = promptly(child, &format!("the run went on after signal {signal}"));
    (output.status.code(), stderr(&output))
}

#[test]
fn a_signal_removes_the_staging_folder_and_exits_130() {
    let dir = scratch("signal");
    let long = write(&dir, "long.toml", &long());
    let short = write(&dir, "short.toml", &short());
    // Previous results at the target stay as they were.
    let kept = dir.join("kept");
    assert_exit(&isrsim_run(&short, &kept, &["--quiet"]), 0);
    let before = tree(&kept);
    for signal in [libc::SIGINT, libc::SIGTERM] {
        for out in [dir.join("new"), kept.clone()] {
            let child = started(&long, &out, &dir);
            let (code, error) = stop(child, signal);
            assert_eq!(code, Some(130), "signal {signal}: {error}");
            assert_eq!(error, "error: interrupted\n");
            assert_eq!(names(&dir), ["kept", "long.toml", "short.toml"]);
        }
        assert_eq!(tree(&kept), before, "the previous results are kept");
    }
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_staging_folder_of_a_killed_run_is_removed_by_the_next_and_nothing_else() {
    let dir = scratch("abandoned");
    let long = write(&dir, "long.toml", &long());
    let short = write(&dir, "short.toml", &short());
    let out = dir.join("results");
    // SIGKILL cannot be caught: the staging folder stays.
    let killed = started(&long, &out, &dir);
    let (code, _) = stop(killed, libc::SIGKILL);
    assert_eq!(code, None);
    let left: Vec<String> = names(&dir)
        .into_iter()
        .filter(|n| n.starts_with(STAGING_PREFIX))
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
    // Another one of a process long gone (Linux's ids stop at 2^22), and folders that only look
    // alike: not isrsim's, so not touched.
    let gone = dir.join(".isrsim-staging-4000000000-x1y2z3");
    let others = [".isrsim-staging-notes", ".results.tmp-4000000000", "notes"];
    for path in [gone.clone()]
        .into_iter()
        .chain(others.map(|n| dir.join(n)))
    {
        fs::create_dir(&path).unwrap();
        write(&path, "half.csv", "half");
    }
    assert_exit(&isrsim_run(&short, &out, &["--quiet"]), 0);
    let mut expected = vec!["long.toml", "results", "short.toml"];
    expected.extend(others);
    expected.sort();
    assert_eq!(names(&dir), expected);
    // `plot` tidies the folder it redraws, where its own staging folders are made.
    let inside = out.join(".isrsim-staging-4000000000-x1y2z3");
    fs::create_dir(&inside).unwrap();
    assert_exit(&isrsim(&["plot", out.to_str().unwrap()]), 0);
    assert!(!inside.exists());
    assert!(!names(&out).iter().any(|n| n.starts_with(STAGING_PREFIX)));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn plot_writes_only_into_a_folder_isrsim_marked() {
    let dir = scratch("plot-unmarked");
    let short = write(&dir, "short.toml", &short());
    let out = dir.join("results");
    assert_exit(&isrsim_run(&short, &out, &["--quiet"]), 0);
    fs::remove_file(out.join(".isrsim")).unwrap();
    fs::remove_file(out.join("report.html")).unwrap();
    let before = tree(&out);
    let output = isrsim(&["plot", out.to_str().unwrap()]);
    assert_exit(&output, 2);
    let error = stderr(&output);
    assert!(
        error.starts_with(&format!("error: {} has no `.isrsim` file", out.display()))
            && error.contains(&format!("touch {}", out.join(".isrsim").display())),
        "{error}"
    );
    assert_eq!(tree(&out), before);
    assert!(!names(&out).iter().any(|n| n.starts_with(STAGING_PREFIX)));
    fs::remove_dir_all(dir).unwrap();
}
