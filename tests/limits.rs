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

/// Counts the heap bytes this thread holds, and the most it held: the truth `memory_estimate` is
/// held to. Per thread, so the tests running beside it do not count.
mod heap {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    pub struct Counting;

    thread_local! {
        static HELD: Cell<isize> = const { Cell::new(0) };
        static PEAK: Cell<isize> = const { Cell::new(0) };
    }

    fn add(bytes: isize) {
        let _ = HELD.try_with(|held| {
            held.set(held.get() + bytes);
            let _ = PEAK.try_with(|peak| peak.set(peak.get().max(held.get())));
        });
    }

    /// The most bytes held at once while `f` ran, beyond those held when it began.
    pub fn peak_of<T>(f: impl FnOnce() -> T) -> (u64, T) {
        let start = HELD.with(Cell::get);
        PEAK.with(|p| p.set(start));
        let value = f();
        (PEAK.with(Cell::get).saturating_sub(start) as u64, value)
    }

    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let p = unsafe { System.alloc(layout) };
            if !p.is_null() {
                add(layout.size() as isize);
            }
            p
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            let p = unsafe { System.alloc_zeroed(layout) };
            if !p.is_null() {
                add(layout.size() as isize);
            }
            p
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) };
            add(-(layout.size() as isize));
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
            let p = unsafe { System.realloc(ptr, layout, size) };
            if !p.is_null() {
                add(size as isize - layout.size() as isize);
            }
            p
        }
    }
}

#[global_allocator]
static HEAP: heap::Counting = heap::Counting;

#[test]
fn the_memory_estimate_is_within_a_factor_of_what_a_run_allocates() {
    // Sites whose per-page arrays are most of a run's memory, in each layout: local and shared
    // caches, bounded memory with and without a disk, PoPs with a capacity, a shield, many
    // instances; few requests and edits, so the run adds little to what it allocates up front.
    let site = |extra: &str| {
        format!(
            "duration = \"10s\"\n[traffic]\npattern = \"steady\"\nrate = 1\n\n\
             [[routes]]\nname = \"posts\"\npages = 40000\nedit_every = \"1h\"\nregen_time = \"1s\"\n\n\
             [[routes]]\nname = \"tags\"\npages = 10000\nregen_time = \"1s\"\n\n\
             [[policies]]\nname = \"time\"\nrevalidate = \"10s\"\n\n{extra}"
        )
    };
    let cases = [
        site(""),
        site("[origin]\ninstances = 16\n"),
        site("[origin]\ninstances = 8\ncache = \"shared\"\n"),
        site("[origin]\ninstances = 4\nmemory = \"20MB\"\ndisk = false\n"),
        site("[origin]\ninstances = 4\nmemory = \"20MB\"\n"),
        site("[cdn]\npops = 6\ncapacity = 1000\nshield = { rtt = \"10ms\" }\n"),
    ];
    for text in cases {
        let scenario = support::parse(&text);
        let estimate = isrsim::model::memory_estimate(&scenario);
        let (held, result) = heap::peak_of(|| isrsim::model::run(&scenario, 0, 0).unwrap());
        assert!(result.simulated_requests > 0, "the run ran");
        let ratio = estimate as f64 / held as f64;
        assert!(
            (0.5..=2.0).contains(&ratio),
            "estimated {estimate} bytes, allocated at most {held} at once ({ratio:.2}×):\n{text}"
        );
    }
}

/// 65,535 instances of a 3,000-page site hold about 5 GB a run: under a 4 GB address space (as
/// `ulimit -v 4000000` sets) it once aborted on an allocation and left its staging folder.
#[test]
fn a_run_that_would_not_fit_in_memory_is_refused_before_anything_is_made() {
    let text = TINY.replace("pages = 3", "pages = 3000").replace(
        "[[policies]]",
        "[origin]\ninstances = 65535\n\n[[policies]]",
    );
    let dir = scratch("memory");
    let scenario = write(&dir, "big.toml", &text);
    let out = dir.join("out");
    let output = isrsim_run(&scenario, &out, &["--max-memory", "2GB"]);
    assert_exit(&output, 2);
    let err = stderr(&output);
    assert!(
        err.contains("GB a run") && err.contains("`--max-memory` 2.0 GB"),
        "names the estimate and the limit: {err}"
    );
    let left: Vec<_> = std::fs::read_dir(&*dir).unwrap().collect();
    assert_eq!(left.len(), 1, "no results or staging folder is left");
    // `validate` says the same; with room enough, both accept it.
    let output = isrsim(&[
        "validate",
        scenario.to_str().unwrap(),
        "--max-memory",
        "2GB",
    ]);
    assert_exit(&output, 2);
    let output = isrsim(&[
        "validate",
        scenario.to_str().unwrap(),
        "--max-memory",
        "1TB",
    ]);
    assert_exit(&output, 0);
    // Runs that fit one at a time but not all at once: `--threads` asked for is refused, the
    // default runs fewer at once.
    let small = TINY.replace("pages = 3", "pages = 100000");
    let small = format!("replications = 4\n{small}");
    let scenario = write(&dir, "small.toml", &small);
    let output = isrsim(&["validate", scenario.to_str().unwrap()]);
    assert_exit(&output, 0);
    let per_run = isrsim::model::memory_estimate(&support::parse(&small));
    let limit = format!("{}B", per_run * 3 / 2);
    let output = isrsim_run(&scenario, &out, &["--max-memory", &limit, "--threads", "4"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("lower `--threads`"),
        "{}",
        stderr(&output)
    );
    assert!(!out.exists());
    let output = isrsim_run(&scenario, &out, &["--max-memory", &limit, "--quiet"]);
    assert_exit(&output, 0);
}

/// The default `--max-memory` heeds the address-space limit: under `ulimit -v 4000000` the run of
/// 65,535 instances is refused, not aborted on an allocation, and leaves no folder.
#[test]
fn under_an_address_space_limit_the_default_refuses_what_would_abort() {
    let text = TINY.replace("pages = 3", "pages = 3000").replace(
        "[[policies]]",
        "[origin]\ninstances = 65535\n\n[[policies]]",
    );
    let dir = scratch("ulimit");
    let scenario = write(&dir, "big.toml", &text);
    let out = dir.join("out");
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 4000000 && exec \"$0\" run \"$1\" --out \"$2\" --quiet")
        .args([env!("CARGO_BIN_EXE_isrsim"), scenario.to_str().unwrap()])
        .arg(&out)
        .output()
        .unwrap();
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("--max-memory"),
        "{}",
        stderr(&output)
    );
    let left: Vec<_> = std::fs::read_dir(&*dir).unwrap().collect();
    assert_eq!(left.len(), 1, "no results or staging folder is left");
}

#[test]
fn max_memory_reads_a_size() {
    let dir = scratch("max-memory");
    let scenario = write(&dir, "tiny.toml", TINY);
    for bad in ["lots", "0B", "-1GB"] {
        let output = isrsim(&["validate", scenario.to_str().unwrap(), "--max-memory", bad]);
        assert_exit(&output, 2);
    }
    let output = isrsim(&[
        "validate",
        scenario.to_str().unwrap(),
        "--max-memory",
        "512MiB",
    ]);
    assert_exit(&output, 0);
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
