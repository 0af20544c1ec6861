//! Every output file of a few scenarios, pinned byte for byte: CSV files, charts, `report.html`
//! and `summary.json` (less its `meta`, which records the machine and the wall-clock speed).
//!
//! This is a guard for refactoring, not evidence that the numbers are right (the closed-form,
//! timeline and property tests are that): a change to how results are produced or written must
//! leave the bytes alone unless it means to change them. A change that does mean to (a fixed bug,
//! a new column) refreshes the fingerprints with
//! `ISRSIM_BLESS=1 cargo test --release --test outputs` and says why in its commit.

mod support;

use std::fs;
use std::path::Path;

use support::{isrsim_run, scratch, tree};

/// (scenario file, extra arguments): a CDN with purges, local and shared caches, a schedule, an
/// idle site, the CI example with its `[slo]`, and a `[sweep]` with its own charts.
const CASES: [(&str, &[&str]); 6] = [
    ("ci", &[]),
    ("idle", &[]),
    ("scheduled", &[]),
    ("cache-mismatch", &[]),
    ("bursty", &[]),
    ("multi-instance", &["--replications", "2"]),
];

/// FNV-1a, 64 bits: a fingerprint, stable across Rust releases (unlike `DefaultHasher`).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// One line per output file: `fingerprint bytes path`.
fn fingerprints(dir: &Path) -> String {
    let mut lines = String::new();
    for (name, mut bytes) in tree(dir) {
        let name = name.replace('\\', "/");
        if name == "meta.csv" {
            continue;
        }
        if name == "summary.json" {
            let mut json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            json.as_object_mut().unwrap().remove("meta");
            bytes = serde_json::to_vec_pretty(&json).unwrap();
        }
        lines.push_str(&format!(
            "{:016x} {:>8} {name}\n",
            fnv1a(&bytes),
            bytes.len()
        ));
    }
    lines
}

#[test]
fn outputs_match_their_fingerprints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = scratch("fingerprints");
    let bless = std::env::var_os("ISRSIM_BLESS").is_some();
    let mut changed = Vec::new();
    for (name, extra) in CASES {
        let scenario = root.join("scenarios").join(format!("{name}.toml"));
        let out = dir.join(name);
        let mut args = vec!["--quiet", "--threads", "2"];
        args.extend_from_slice(extra);
        let run = isrsim_run(&scenario, &out, &args);
        assert!(
            matches!(run.status.code(), Some(0 | 3)),
            "{name}: {}",
            support::stderr(&run)
        );
        let pinned = root.join("tests/fingerprints").join(format!("{name}.txt"));
        let now = fingerprints(&out);
        if bless {
            fs::create_dir_all(pinned.parent().unwrap()).unwrap();
            fs::write(&pinned, &now).unwrap();
        } else if fs::read_to_string(&pinned).unwrap_or_default() != now {
            changed.push(format!(
                "{name}:\n--- pinned\n{}--- now\n{now}",
                fs::read_to_string(&pinned).unwrap_or_default()
            ));
        }
    }
    fs::remove_dir_all(&dir).unwrap();
    assert!(
        changed.is_empty(),
        "outputs changed (refresh with ISRSIM_BLESS=1 only if the change is meant):\n{}",
        changed.join("\n")
    );
}
