//! A seeded, bounded mutation test of the scenario reader: every file of `scenarios/`, mutated
//! the ways a hand-edited file goes wrong (lines deleted or doubled, wrong types, extreme numbers
//! and durations, truncation, bytes that are not UTF-8, unknown keys, `depends_on` cycles, bad
//! sweeps), must give a scenario or an error naming the file and a line, never a panic
//! (STYLE.md: isrsim never panics on a user's file).
//!
//! Most cases go through the library (`Study::from_bytes`, inside `catch_unwind`); some through
//! `isrsim validate`, which must exit 0 or 2; and a few through `isrsim run --out`, on mutations
//! kept small enough to simulate in a moment, which must exit 0, 2 or 3 and leave no folder when
//! they fail. The cases are drawn from a fixed seed, so a failure is reproduced by its number.
//! `ISRSIM_FUZZ_CASES=N` runs N library cases (default 10,000) and proportionally more of the
//! others; `ISRSIM_FUZZ_SEED=S` draws another set.

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use isrsim::scenario::Study;
use isrsim::time::SimTime;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

mod support;

use support::{isrsim_within, scratch};

type Rng = Xoshiro256PlusPlus;

const DEFAULT_CASES: usize = 10_000;
/// A binary case that takes longer than this has hung.
const HANG: Duration = Duration::from_secs(60);

/// The files of `scenarios/`, as (name, bytes).
fn seeds() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scenario in {}", dir.display());
    files
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "0.5",
    "-0.0",
    "1e308",
    "-1e308",
    "1e-308",
    "1e400",
    "nan",
    "inf",
    "-inf",
    "99999999999999999999",
    "-99999999999999999999",
    "9223372036854775807",
    "-9223372036854775808",
    "4294967295",
    "4294967296",
    "65536",
    "1000000000",
];

const DURATIONS: &[&str] = &[
    "\"0s\"",
    "\"-1s\"",
    "\"1us\"",
    "\"999999999h\"",
    "\"584542y\"",
    "\"1e308s\"",
    "\"99999999999999999999us\"",
    "\"\"",
    "\"1.5\"",
    "\"s\"",
    "\"nan s\"",
    "\"1 h\"",
    "\"0.0000001us\"",
];

const WRONG_TYPES: &[&str] = &[
    "true",
    "false",
    "\"x\"",
    "[]",
    "[1, \"a\"]",
    "{}",
    "{ a = 1 }",
    "1979-05-27T07:32:00Z",
    "{ exponential = \"-1s\" }",
    "{ uniform = [\"2s\", \"1s\"] }",
    "{ lognormal = { median = \"1s\", p99 = \"1s\" } }",
    "\"unlimited\"",
    "{ min = 1, max = 0 }",
];

#[derive(Clone, Copy, Debug)]
enum Mutation {
    DeleteLine,
    DuplicateLine,
    SwapLines,
    WrongType,
    ExtremeNumber,
    ExtremeDuration,
    Truncate,
    InvalidUtf8,
    UnknownKey,
    DependsOnCycle,
    BadSweep,
    BigSweep,
    BadHeader,
}

const ALL: &[Mutation] = &[
    Mutation::DeleteLine,
    Mutation::DuplicateLine,
    Mutation::SwapLines,
    Mutation::WrongType,
    Mutation::ExtremeNumber,
    Mutation::ExtremeDuration,
    Mutation::Truncate,
    Mutation::InvalidUtf8,
    Mutation::UnknownKey,
    Mutation::DependsOnCycle,
    Mutation::BadSweep,
    Mutation::BigSweep,
    Mutation::BadHeader,
];

fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// The indices of lines that set a key (`key = value`), outside comments.
fn assignments(lines: &[Vec<u8>]) -> Vec<usize> {
    (0..lines.len())
        .filter(|&i| {
            let text = String::from_utf8_lossy(&lines[i]);
            let t = text.trim_start();
            !t.starts_with('#') && !t.starts_with('[') && t.contains('=')
        })
        .collect()
}

/// Replaces the value of line `i` (after its first `=`) with `value`.
fn set_value(lines: &mut [Vec<u8>], i: usize, value: &str) {
    let line = String::from_utf8_lossy(&lines[i]).into_owned();
    if let Some((key, _)) = line.split_once('=') {
        lines[i] = format!("{key}= {value}\n").into_bytes();
    }
}

/// The names of the `[[routes]]` and `[[policies]]` tables, for sweeps that name them.
fn names(text: &str, table: &str) -> Vec<String> {
    let header = format!("[[{table}]]");
    let mut found = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            inside = t == header;
        } else if inside && let Some(rest) = t.strip_prefix("name = \"") {
            found.push(rest.split('"').next().unwrap_or("").to_string());
            inside = false;
        }
    }
    found
}

fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>, mutation: Mutation) {
    let mut ls = lines(bytes);
    let keyed = assignments(&ls);
    let text = String::from_utf8_lossy(bytes).into_owned();
    match mutation {
        Mutation::DeleteLine if !ls.is_empty() => {
            ls.remove(rng.random_range(0..ls.len()));
        }
        Mutation::DuplicateLine if !ls.is_empty() => {
            let i = rng.random_range(0..ls.len());
            let line = ls[i].clone();
            ls.insert(rng.random_range(0..=ls.len()), line);
        }
        Mutation::SwapLines if ls.len() > 1 => {
            let (a, b) = (rng.random_range(0..ls.len()), rng.random_range(0..ls.len()));
            ls.swap(a, b);
        }
        Mutation::WrongType if !keyed.is_empty() => {
            let i = *pick(rng, &keyed);
            let value = pick(rng, WRONG_TYPES);
            set_value(&mut ls, i, value);
        }
        Mutation::ExtremeNumber if !keyed.is_empty() => {
            let i = *pick(rng, &keyed);
            let value = pick(rng, NUMBERS);
            set_value(&mut ls, i, value);
        }
        Mutation::ExtremeDuration if !keyed.is_empty() => {
            let i = *pick(rng, &keyed);
            let value = pick(rng, DURATIONS);
            set_value(&mut ls, i, value);
        }
        Mutation::Truncate => {
            bytes.truncate(rng.random_range(0..=bytes.len()));
            return;
        }
        Mutation::InvalidUtf8 => {
            const BAD: &[&[u8]] = &[
                b"\xFF",
                b"\xC3",
                b"\x80",
                b"\xED\xA0\x80",
                b"\xF4\x90\x80\x80",
            ];
            let at = rng.random_range(0..=bytes.len());
            let bad = pick(rng, BAD);
            bytes.splice(at..at, bad.iter().copied());
            return;
        }
        Mutation::UnknownKey => {
            let at = rng.random_range(0..=ls.len());
            let key = pick(
                rng,
                &["colour = 1", "pagez = 3", "routes.x = 1", "\"\" = 1"],
            );
            ls.insert(at, format!("{key}\n").into_bytes());
        }
        Mutation::DependsOnCycle => {
            let routes = names(&text, "routes");
            if routes.is_empty() {
                return;
            }
            // Each route depends on the next, the last on the first (or on itself).
            let mut k = 0;
            for line in &mut ls {
                if String::from_utf8_lossy(line).trim() == "[[routes]]" {
                    let target = &routes[(k + 1) % routes.len()];
                    line.extend_from_slice(format!("depends_on = \"{target}\"\n").as_bytes());
                    k += 1;
                }
            }
        }
        Mutation::BadSweep => {
            let routes = names(&text, "routes");
            let policies = names(&text, "policies");
            let route = routes.first().map_or("nope", String::as_str);
            let policy = policies.first().map_or("nope", String::as_str);
            let keys = [
                "cdn.pops".to_string(),
                "traffic.rate".to_string(),
                "backend.concurrency".to_string(),
                format!("routes.{route}.pages"),
                format!("routes.{route}.depends_on"),
                format!("policies.{policy}.revalidate"),
                format!("policies.{policy}.routes.{route}.schedule"),
                "policies.nope.revalidate".to_string(),
                "seed".to_string(),
                "replications".to_string(),
                "routes.name".to_string(),
                "duration".to_string(),
                "duration.x".to_string(),
                "origin".to_string(),
                String::new(),
            ];
            let key = pick(rng, &keys);
            let values: Vec<&str> = (0..rng.random_range(0..4))
                .map(|_| match rng.random_range(0..3) {
                    0 => *pick(rng, NUMBERS),
                    1 => *pick(rng, DURATIONS),
                    _ => *pick(rng, WRONG_TYPES),
                })
                .collect();
            let sweep = match rng.random_range(0..6) {
                0 => format!("[[sweep]]\n\"{key}\" = [{}]\n", values.join(", ")),
                1 => "sweep = 4\n".to_string(),
                2 => format!("[sweep]\n{key} = [{}]\n", values.join(", ")),
                3 => format!("[sweep]\n\"{key}\" = {}\n", values.join(", ")),
                _ => format!("[sweep]\n\"{key}\" = [{}]\n", values.join(", ")),
            };
            // A file may already have a `[sweep]`: then this makes a duplicate table.
            ls.push(sweep.into_bytes());
        }
        Mutation::BigSweep => {
            let axes = [
                "cdn.pops",
                "origin.instances",
                "backend.concurrency",
                "traffic.rate",
            ];
            let mut sweep = String::from("[sweep]\n");
            for axis in &axes[..rng.random_range(1..=axes.len())] {
                let n = rng.random_range(1..=40);
                let values: Vec<String> = (1..=n).map(|v| v.to_string()).collect();
                sweep.push_str(&format!("\"{axis}\" = [{}]\n", values.join(", ")));
            }
            if !text.contains("[sweep]") {
                ls.push(sweep.into_bytes());
            }
        }
        Mutation::BadHeader => {
            let headers: Vec<usize> = (0..ls.len()).filter(|&i| ls[i].starts_with(b"[")).collect();
            if let Some(&i) = headers.get(rng.random_range(0..headers.len().max(1))) {
                let line = String::from_utf8_lossy(&ls[i]).into_owned();
                let bad = match rng.random_range(0..4) {
                    0 => line.replace("[[", "[").replace("]]", "]"),
                    1 => line.replacen('[', "[[", 1).replacen(']', "]]", 1),
                    2 => line.replace(']', "x]"),
                    _ => line.replace(']', ""),
                };
                ls[i] = bad.into_bytes();
            }
        }
        _ => {}
    }
    *bytes = ls.concat();
}

/// One case: a seed file, the mutations drawn for it, and the bytes they made.
struct Case {
    number: usize,
    origin: String,
    mutations: Vec<Mutation>,
    bytes: Vec<u8>,
}

impl Case {
    /// Case `number` of `kind` (library, validate, run): a seed file and `count` mutations
    /// drawn from `pool`, all from a generator seeded by the kind and the number alone.
    fn draw(
        kind: u64,
        number: usize,
        seeds: &[(String, Vec<u8>)],
        pool: &[Mutation],
        count: std::ops::RangeInclusive<usize>,
    ) -> Case {
        let seed = env_number("ISRSIM_FUZZ_SEED", 2024);
        let mut rng = Rng::seed_from_u64(seed ^ (kind << 56) ^ number as u64);
        let (origin, bytes) = pick(&mut rng, seeds);
        let mut bytes = bytes.clone();
        let mutations: Vec<Mutation> = (0..rng.random_range(count))
            .map(|_| *pick(&mut rng, pool))
            .collect();
        for &m in &mutations {
            mutate(&mut rng, &mut bytes, m);
        }
        Case {
            number,
            origin: origin.clone(),
            mutations,
            bytes,
        }
    }
}

/// Whether an error's text starts `FILE:LINE:`.
fn names_file_and_line(message: &str, file: &str) -> bool {
    message
        .strip_prefix(file)
        .and_then(|rest| rest.strip_prefix(':'))
        .and_then(|rest| rest.split(':').next())
        .is_some_and(|line| !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()))
}

/// Failures, each with what reproduces it; the test fails listing the first few.
#[derive(Default)]
struct Failures(Vec<String>);

impl Failures {
    fn add(&mut self, case: &Case, what: impl std::fmt::Display) {
        self.0.push(format!(
            "case {} ({}, {:?}): {what}\n--- file ---\n{}\n------------",
            case.number,
            case.origin,
            case.mutations,
            String::from_utf8_lossy(&case.bytes)
        ));
    }

    /// Checks what the binary did with `case`: exit 0, 2 (with `FILE:LINE:`) or, for `run`, 3;
    /// returns the exit code if it is one of those.
    fn exit(&mut self, case: &Case, args: &[&str], file: &Path) -> Option<i32> {
        let Some(output) = isrsim_within(HANG, args) else {
            self.add(case, "hung");
            return None;
        };
        let stderr = String::from_utf8_lossy(&output.stderr);
        let code = output.status.code().unwrap_or(-1);
        let message = stderr.strip_prefix("error: ").unwrap_or(&stderr);
        match code {
            0 => Some(0),
            3 if args[0] == "run" => Some(3),
            2 if names_file_and_line(message, &file.display().to_string()) => Some(code),
            2 => {
                self.add(case, format!("no line in: {stderr}"));
                None
            }
            _ => {
                self.add(case, format!("exit {code}: {stderr}"));
                None
            }
        }
    }

    fn check(self, kind: &str) {
        if let Some(first) = self.0.first() {
            panic!(
                "{} {kind} case(s) failed; the first:\n{first}",
                self.0.len()
            );
        }
    }
}

fn cases() -> usize {
    env_number("ISRSIM_FUZZ_CASES", DEFAULT_CASES as u64) as usize
}

#[test]
fn the_reader_never_panics_and_every_error_has_a_line() {
    let seeds = seeds();
    let path = Path::new("fuzz.toml");
    let mut failures = Failures::default();
    // A panic is reported as a failure below, with its case; the default hook would print each.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut parsed = 0;
    for n in 0..cases() {
        let case = Case::draw(1, n, &seeds, ALL, 1..=3);
        match catch_unwind(AssertUnwindSafe(|| Study::from_bytes(&case.bytes, path))) {
            Err(panic) => {
                let what = (panic.downcast_ref::<String>().cloned())
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.add(&case, format!("panicked: {what}"));
            }
            Ok(Err(e)) => {
                if !names_file_and_line(&e.to_string(), "fuzz.toml") || e.line.is_none() {
                    failures.add(&case, format!("no line in: {e}"));
                }
            }
            Ok(Ok(study)) => {
                parsed += 1;
                if study.runs() == 0 || study.runs() > 1_000_000 {
                    failures.add(&case, format!("{} runs", study.runs()));
                }
            }
        }
    }
    std::panic::set_hook(hook);
    eprintln!("library: {} cases, {parsed} read as a study", cases());
    failures.check("library");
}

#[test]
fn validate_exits_0_or_2_and_names_the_line() {
    let seeds = seeds();
    let dir = scratch("validate");
    let file = dir.join("fuzz.toml");
    let mut failures = Failures::default();
    for n in 0..cases().div_ceil(40) {
        let case = Case::draw(2, n, &seeds, ALL, 1..=3);
        fs::write(&file, &case.bytes).unwrap();
        failures.exit(&case, &["validate", file.to_str().unwrap()], &file);
    }
    failures.check("validate");
}

/// A seed file cut down to one replication of one simulated minute, so a run takes a moment.
fn small(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let kept: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with("warmup") && !l.starts_with("bucket"))
        .map(|l| {
            if l.starts_with("duration =") {
                "duration = \"1m\"".to_string()
            } else if l.starts_with("replications =") {
                "replications = 1".to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    (kept.join("\n") + "\n").into_bytes()
}

/// Whether a scenario that parses is small enough to simulate in a moment: few runs, few
/// requests, edits, scheduled regenerations and pages.
fn quick(bytes: &[u8]) -> bool {
    let Ok(study) = Study::from_bytes(bytes, Path::new("fuzz.toml")) else {
        return true;
    };
    let work = |s: &isrsim::scenario::Scenario| {
        let secs = s.duration.as_secs_f64();
        let every = |pages: u32, gap: SimTime| f64::from(pages) * secs / gap.as_secs_f64();
        let edits: f64 = (s.routes.iter())
            .filter_map(|r| r.edit_every.map(|e| every(r.pages, e)))
            .sum();
        let scheduled: f64 = (s.policies.iter())
            .flat_map(|p| p.routes.iter().zip(&s.routes))
            .filter_map(|(rp, r)| rp.schedule.map(|e| every(r.pages, e)))
            .sum();
        s.traffic.mean_rate(s.duration) * secs + edits + scheduled + s.total_pages() as f64
    };
    let total: f64 = study.points.iter().map(|p| work(&p.scenario)).sum();
    study.runs() <= 40 && total * study.runs() as f64 <= 5e6
}

#[test]
fn a_failed_run_exits_2_and_leaves_no_folder() {
    let seeds: Vec<(String, Vec<u8>)> = seeds()
        .into_iter()
        .map(|(name, bytes)| (name, small(&bytes)))
        .collect();
    // Any mutation but the large sweeps; a mutated scenario is run only if `quick` finds it small.
    let pool: Vec<Mutation> = (ALL.iter().copied())
        .filter(|m| !matches!(m, Mutation::BigSweep))
        .collect();
    let dir = scratch("run");
    let file = dir.join("fuzz.toml");
    let out = dir.join("out");
    let mut failures = Failures::default();
    let (mut done, mut ran) = (0, 0);
    for n in 0.. {
        if done == cases().div_ceil(400) {
            break;
        }
        let case = Case::draw(3, n, &seeds, &pool, 0..=2);
        if !quick(&case.bytes) {
            continue;
        }
        done += 1;
        fs::write(&file, &case.bytes).unwrap();
        let _ = fs::remove_dir_all(&out);
        let args = [
            "run",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ];
        match failures.exit(&case, &args, &file) {
            Some(0 | 3) => ran += 1,
            Some(_) => {
                // A failed run leaves nothing beside the scenario: no folder, no temporary one.
                let left: Vec<PathBuf> = (fs::read_dir(&dir).unwrap())
                    .map(|e| e.unwrap().path())
                    .filter(|p| *p != file)
                    .collect();
                if !left.is_empty() {
                    failures.add(&case, format!("left {left:?}"));
                }
            }
            None => {}
        }
    }
    eprintln!("run: {done} cases, {ran} simulated");
    failures.check("run");
}

/// The numbers the extremes pass writes in place of each number of a file: zero, a negative, a
/// fraction where a whole number may be wanted, the smallest and largest magnitudes a float
/// holds, 2^32 (one past `u32`), 2^64 - 1 (the largest `u64`) and a number past every limit.
const EXTREMES: &[&str] = &[
    "0",
    "-1",
    "0.5",
    "1e-308",
    "1e308",
    "4294967296",
    "18446744073709551615",
    "1e30",
];

/// The files of `scenarios/` and `scenarios/validation/`, as (name, text).
fn every_scenario() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files = Vec::new();
    for dir in [root.clone(), root.join("validation")] {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let name = path.strip_prefix(&root).unwrap().display().to_string();
                files.push((name, fs::read_to_string(&path).unwrap()));
            }
        }
    }
    files.sort();
    assert!(files.len() > 10, "the scenarios are found");
    files
}

/// Where a number is written: its line, its bytes in the line, and the key it is the value of
/// (with `"s"` after it for the number of a duration string such as `"30s"`).
#[derive(Clone, Debug)]
struct Number {
    line: usize,
    at: std::ops::Range<usize>,
    key: String,
}

/// Every number of `text` written as a value, outside comments and table headers: bare TOML
/// numbers (in arrays and inline tables too), and the number of each duration string.
fn numbers(text: &str) -> Vec<Number> {
    let mut found = Vec::new();
    for (line, full) in text.lines().enumerate() {
        let code = full.split('#').next().unwrap_or("");
        let Some((key, _)) = code.split_once('=') else {
            continue;
        };
        if code.trim_start().starts_with('[') {
            continue;
        }
        let key = key.trim().to_string();
        let bytes = code.as_bytes();
        let mut i = key.len();
        let mut in_string = false;
        while i < bytes.len() {
            let c = bytes[i];
            if c == b'"' {
                in_string = !in_string;
                i += 1;
                continue;
            }
            let starts = c.is_ascii_digit() && !bytes[i - 1].is_ascii_alphanumeric();
            if !starts || (bytes[i - 1] == b'.' || bytes[i - 1] == b'_') {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || b"._eE".contains(&bytes[i])) {
                i += 1;
            }
            // A string's number is a duration's only when a unit follows it and ends the string.
            let unit = code[i..].find('"').map(|end| &code[i..i + end]);
            let is_duration = unit.is_some_and(|u| ["us", "ms", "s", "m", "h", "d"].contains(&u));
            if !in_string {
                found.push(Number {
                    line,
                    at: start..i,
                    key: key.clone(),
                });
            } else if is_duration && bytes[start - 1] == b'"' {
                found.push(Number {
                    line,
                    at: start..i,
                    key: format!("{key}\"s\""),
                });
            }
        }
    }
    found
}

/// `text` with each number of `at` replaced by `value`.
fn replaced(text: &str, at: &[&Number], value: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut at = at.to_vec();
    // From the right, so that earlier ranges of the same line stay where they were.
    at.sort_by_key(|n| (n.line, std::cmp::Reverse(n.at.start)));
    for n in at {
        lines[n.line].replace_range(n.at.clone(), value);
    }
    lines.join("\n") + "\n"
}

/// One file of the extremes pass: the seed file, what was replaced, and the text.
struct Extreme {
    origin: String,
    value: &'static str,
    what: String,
    text: String,
}

/// Every case of the extremes pass: each number of each (shortened) file set to each extreme
/// alone, and every occurrence of one key at once, without repeats.
fn extremes() -> Vec<Extreme> {
    let mut cases = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (name, text) in every_scenario() {
        let text = String::from_utf8(small(text.as_bytes())).unwrap();
        let found = numbers(&text);
        let mut groups: Vec<(String, Vec<&Number>)> = (found.iter())
            .map(|n| (format!("{} (line {})", n.key, n.line + 1), vec![n]))
            .collect();
        let mut keys: Vec<&str> = found.iter().map(|n| n.key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            let all: Vec<&Number> = found.iter().filter(|n| n.key == key).collect();
            if all.len() > 1 {
                groups.push((format!("every {key}"), all));
            }
        }
        for value in EXTREMES {
            for (what, at) in &groups {
                let mutated = replaced(&text, at, value);
                if seen.insert(mutated.clone()) {
                    cases.push(Extreme {
                        origin: name.clone(),
                        value,
                        what: format!("{what} = {value}"),
                        text: mutated,
                    });
                }
            }
        }
    }
    cases
}

/// The memory `run` and `validate` are given in the extremes pass: a huge scenario that is valid
/// is refused by it, not attempted.
const FUZZ_MEMORY: &str = "1GB";

/// One in this many of the cases the reader refuses also goes through `isrsim validate`.
const SAMPLE: usize = 8;

/// What went wrong with case `number` of the extremes pass, if anything: `validate` exits 0 or 2 with
/// `FILE:LINE:` (or the refusal of `--max-memory`, which names no line), and where it exits 0,
/// a short `run` exits 0 or 3 and where it exits 2 (over the memory), leaves no folder.
fn check_extreme(
    dir: &Path,
    (number, case): (usize, &Extreme),
    ran: &AtomicUsize,
) -> Option<String> {
    let file = dir.join("fuzz.toml");
    fs::write(&file, &case.text).unwrap();
    let name = file.to_str().unwrap();
    let refused = |stderr: &str| {
        let message = stderr.strip_prefix("error: ").unwrap_or(stderr);
        names_file_and_line(message, name)
            || (message.starts_with(&format!("{name}: ")) && message.contains("--max-memory"))
    };
    // The reader first, in this process: a case it refuses must be refused with a line, and only
    // one in `SAMPLE` of those goes through the binary too (the reader is what `validate` runs).
    let read = catch_unwind(AssertUnwindSafe(|| {
        Study::from_bytes(case.text.as_bytes(), &file)
    }));
    match read {
        Err(_) => return Some("the reader panicked".into()),
        Ok(Err(e)) if e.line.is_none() => return Some(format!("no line in: {e}")),
        Ok(Err(_)) if number % SAMPLE != 0 => return None,
        Ok(_) => {}
    }
    let validate = isrsim_within(HANG, &["validate", name, "--max-memory", FUZZ_MEMORY]);
    let Some(validate) = validate else {
        return Some("validate hung".into());
    };
    let stderr = String::from_utf8_lossy(&validate.stderr);
    match validate.status.code() {
        Some(0) => {}
        Some(2) if refused(&stderr) => return None,
        code => return Some(format!("validate exited {code:?}: {stderr}")),
    }
    // A valid case too large to simulate in a moment (a duration of centuries) is not run, nor
    // one whose number is -1 or 0.5 (valid where any number is, as a rate: no edge), so that
    // the pass stays short.
    if case.value == "-1" || case.value == "0.5" || !quick(case.text.as_bytes()) {
        return None;
    }
    ran.fetch_add(1, Ordering::Relaxed);
    let out = dir.join("out");
    let args = [
        "run",
        name,
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--max-memory",
        FUZZ_MEMORY,
    ];
    let Some(run) = isrsim_within(HANG, &args) else {
        return Some("run hung".into());
    };
    let stderr = String::from_utf8_lossy(&run.stderr);
    let code = run.status.code();
    let _ = fs::remove_dir_all(&out);
    // Whatever the run did, it leaves nothing beside the scenario but its results folder.
    let left: Vec<PathBuf> = (fs::read_dir(dir).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| *p != file && !p.ends_with("traces"))
        .collect();
    match code {
        _ if !left.is_empty() => Some(format!("run exited {code:?} and left {left:?}")),
        Some(0 | 3) => None,
        _ => Some(format!("validate exited 0 but run {code:?}: {stderr}")),
    }
}

#[test]
fn every_number_at_its_extremes_is_run_or_refused_with_a_line() {
    let cases = extremes();
    let scratch = scratch("extremes");
    // A trace's files are found beside the scenario, as in `scenarios/`.
    let traces = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/traces");
    let (next, ran) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let failures = std::sync::Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4) + 1);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (cases, next, ran, failures) = (&cases, &next, &ran, &failures);
            let dir = scratch.join(t.to_string());
            fs::create_dir_all(&dir).unwrap();
            std::os::unix::fs::symlink(&traces, dir.join("traces")).unwrap();
            s.spawn(move || {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(n) else { break };
                    if let Some(why) = check_extreme(&dir, (n, case), ran) {
                        failures.lock().unwrap().push(format!(
                            "{} with {}: {why}\n--- file ---\n{}------------",
                            case.origin, case.what, case.text
                        ));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    eprintln!(
        "extremes: {} cases, {} run",
        cases.len(),
        ran.load(Ordering::Relaxed)
    );
    if let Some(first) = failures.first() {
        panic!(
            "{} of {} cases failed; the first:\n{first}",
            failures.len(),
            cases.len()
        );
    }
}
