//! What the integration tests share: a scenario from TOML text and a metric of a run by its
//! column name (`closed_form.rs`, `properties.rs`), and a scratch folder, a file written into
//! it, the built `isrsim` binary run with arguments (within a time limit for `limits.rs` and
//! `fuzz.rs`), a small site's scenario (`diff.rs`, `compare.rs`), and a results folder's files
//! copied or read whole (`cli.rs`, `diff.rs`,
//! `folders.rs`, `report_html.rs`, `slo.rs`), and an in-process stand-in for a Next.js instance
//! (`origin`, tested by `origin.rs`).

// Each test crate that includes this module uses a different subset of it.
#![allow(dead_code)]

pub mod access_log;
pub mod origin;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use isrsim::metrics::RunResult;
use isrsim::scenario::Scenario;

/// Two policies on a small site, two replications: the scenario `diff.rs` and `compare.rs`
/// compare folders of.
pub const SMALL_SITE: &str = r#"
description = "two policies on a small site, for isrsim diff and isrsim compare"
duration = "10m"
warmup = "1m"
seed = 11
replications = 2

[traffic]
pattern = "steady"
rate = 20

[[routes]]
name = "posts"
pages = 200
popularity = 1.0
edit_every = "30m"
regen_time = { uniform = ["100ms", "500ms"] }

[backend]
concurrency = 2

[[policies]]
name = "time-60s"
revalidate = "60s"

[[policies]]
name = "on-demand"
on_edit = "regenerate"
"#;

/// Parses a test scenario, named in errors after the test file that includes this module.
pub fn parse(text: &str) -> Scenario {
    let path = Path::new(concat!(env!("CARGO_CRATE_NAME"), ".toml"));
    Scenario::parse(text, path)
        .unwrap_or_else(|e| panic!("the test scenario does not parse: {e}\n{text}"))
}

pub fn metric(result: &RunResult, name: &str) -> f64 {
    result
        .metrics
        .get(name)
        .unwrap_or_else(|| panic!("no column `{name}`"))
}

/// A fresh, empty scratch folder for one test: `{file}-{test}-{pid}` in Cargo's temporary
/// folder for integration tests (under `target/`, never the system's `/tmp`), where `file` is
/// the test file that includes this module, so test binaries running in parallel never share
/// one. It is removed when dropped, whether the test passed or failed.
pub fn scratch(test: &str) -> Scratch {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{}-{test}-{}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// A scratch folder shared by the tests of one file (made once, behind a `OnceLock`): named
/// without the process id, so each run of the tests replaces the last one's instead of adding
/// to it, and kept under `target/` when the tests end.
pub fn shared_scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{}-{name}-shared", env!("CARGO_CRATE_NAME")));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A scratch folder, removed with everything in it when dropped.
#[derive(Debug)]
pub struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Writes `text` to `dir/name` and returns that path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

/// Runs the built binary with `args`, capturing its exit status, stdout and stderr.
pub fn isrsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_isrsim"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// `isrsim` with `args`, killed if it still runs after `limit`: `None` then, for a test to fail
/// on a hang rather than wait for it.
pub fn isrsim_within(limit: std::time::Duration, args: &[&str]) -> Option<Output> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_isrsim"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    Some(child.wait_with_output().unwrap())
}

/// `isrsim run scenario --out out`, followed by `extra`.
pub fn isrsim_run(scenario: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    isrsim(&args)
}

/// The stderr of a run, as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts that the run exited with `code`, showing its stderr if not.
#[track_caller]
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(output.status.code(), Some(code), "{}", stderr(output));
}

/// Copies the files of `from` (not its folders, such as `charts/`) into `to`, made if need be.
pub fn copy_files(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

/// Every file under `dir`, with its bytes, in name order.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.push((name, fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}
