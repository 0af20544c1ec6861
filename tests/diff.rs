//! `isrsim::commands::diff::run` on real results folders: one written by the built binary, and
//! copies of it with a metric of `runs.csv` made deliberately worse.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod support;

use isrsim::commands::diff::{Options, Sides, run_to};
use isrsim::metrics::{Better, RUN_COLUMNS};
use isrsim::report::diff::Format;
use support::{
    SMALL_SITE, Scratch, assert_exit, copy_files, isrsim, isrsim_run, scratch, shared_scratch,
    stderr, write,
};

/// The results folder of one `isrsim run` of `SMALL_SITE`, made once for every test.
fn results() -> &'static Path {
    static RESULTS: OnceLock<PathBuf> = OnceLock::new();
    RESULTS.get_or_init(|| {
        let dir = shared_scratch("run");
        let scenario = write(&dir, "small.toml", SMALL_SITE);
        let out = dir.join("results");
        let output = isrsim_run(&scenario, &out, &["--quiet"]);
        assert!(
            output.status.success(),
            "isrsim run failed: {}\n{}",
            output.status,
            stderr(&output)
        );
        out
    })
}

/// A copy of the run's folder, with `edit` applied to it.
fn copy(test: &str, edit: impl FnOnce(&Path)) -> Scratch {
    let dir = scratch(test);
    copy_files(results(), &dir);
    edit(&dir);
    dir
}

/// A CSV file's header and rows.
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn read(path: &Path) -> Table {
        let mut reader = csv::Reader::from_path(path).unwrap();
        let header = reader.headers().unwrap().iter().map(String::from).collect();
        let rows = reader
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect();
        Table { header, rows }
    }

    fn column(&self, name: &str) -> usize {
        self.header.iter().position(|h| h == name).unwrap()
    }

    fn write(&self, path: &Path) {
        let mut out = csv::Writer::from_path(path).unwrap();
        out.write_record(&self.header).unwrap();
        for row in &self.rows {
            out.write_record(row).unwrap();
        }
        out.flush().unwrap();
    }
}

/// Applies `edit` to the CSV file `name` of the folder `dir`.
fn edit_csv(dir: &Path, name: &str, edit: impl FnOnce(&mut Table)) {
    let path = dir.join(name);
    let mut table = Table::read(&path);
    edit(&mut table);
    table.write(&path);
}

/// The exit code, stdout and stderr of a comparison.
/// Every judged metric is gated, as before `--gate` existed.
fn diff(base: &Path, new: &Path, threshold: f64, format: Format) -> (i32, String, String) {
    let options = Options {
        threshold,
        format,
        force: false,
        gate: Some((0..RUN_COLUMNS.len()).collect()),
    };
    diff_with(&Sides::Folders { base, new }, &options)
}

/// The exit code, stdout and stderr of a comparison of `sides` as `options` say.
fn diff_with(sides: &Sides, options: &Options) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_to(sides, options, &mut out, &mut err);
    let text = |bytes| String::from_utf8(bytes).unwrap();
    (code, text(out), text(err))
}

/// Makes `metric` of `policy` worse than its interval allows: every run of the policy moves up by
/// twice the half-width and a bit, so the mean does and the interval does not.
fn worse(dir: &Path, policy: &str, metric: &str) {
    let summary = Table::read(&dir.join("summary.csv"));
    let at = summary.column("policy");
    let row = (summary.rows.iter())
        .find(|r| r[at] == policy)
        .expect("the policy has a row");
    let ci: f64 = row[summary.column(&format!("{metric}_ci95"))]
        .parse()
        .unwrap();
    edit_csv(dir, "runs.csv", |runs| {
        let (at, m) = (runs.column("policy"), runs.column(metric));
        for row in runs.rows.iter_mut().filter(|r| r[at] == policy) {
            let value: f64 = row[m].parse().unwrap();
            row[m] = format!("{:.6}", value + 2.0 * ci + 0.05);
        }
    });
}

/// The run columns `diff` judges: all but those where neither direction is better.
fn judged() -> usize {
    RUN_COLUMNS
        .iter()
        .filter(|c| c.better != Better::Neutral)
        .count()
}

#[test]
fn identical_folders_exit_0_with_no_regression() {
    let base = results();
    let same = copy("identical", |_| ());
    let (code, out, err) = diff(base, &same, 0.0, Format::Text);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.is_empty(), "{err}");
    assert!(out.contains("No metric changed"), "{out}");
    let summary = format!(
        "0 regressions, 0 improvements, {} metrics unchanged across 2 policies",
        2 * judged()
    );
    assert_eq!(out.lines().last(), Some(summary.as_str()), "{out}");
    let binary = isrsim(&["diff", base.to_str().unwrap(), base.to_str().unwrap()]);
    assert_exit(&binary, 0);
    fs::remove_dir_all(same).unwrap();
}

#[test]
fn a_worse_policy_exits_3_and_names_exactly_that_policy_and_metric() {
    let base = results();
    let new = copy("worse", |dir| worse(dir, "time-60s", "stale_ratio"));
    let (code, out, _) = diff(base, &new, 0.0, Format::Text);
    assert_eq!(code, 3, "{out}");
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.ends_with("regression") || l.ends_with("improvement"))
        .collect();
    assert_eq!(rows.len(), 1, "{out}");
    let cells: Vec<&str> = rows[0].split_whitespace().collect();
    assert_eq!(cells[..2], ["time-60s", "stale_ratio"], "{out}");
    let summary = format!(
        "1 regression, 0 improvements, {} metrics unchanged across 2 policies",
        2 * judged() - 1
    );
    assert_eq!(out.lines().last(), Some(summary.as_str()), "{out}");

    let (code, md, _) = diff(base, &new, 0.0, Format::Markdown);
    assert_eq!(code, 3);
    assert!(
        md.contains(
            "| policy | metric | base | new | change | per replication | paired difference | verdict |"
        ),
        "{md}"
    );
    let flagged: Vec<&str> = md.lines().filter(|l| l.contains('❌')).collect();
    assert_eq!(flagged.len(), 1, "{md}");
    assert!(
        flagged[0].starts_with("| time-60s | `stale_ratio` |"),
        "{md}"
    );

    // Swapped, the same change is an improvement, which passes.
    let (code, out, _) = diff(&new, base, 0.0, Format::Text);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 regressions, 1 improvement"), "{out}");
    let binary = isrsim(&["diff", base.to_str().unwrap(), new.to_str().unwrap()]);
    assert_exit(&binary, 3);
    fs::remove_dir_all(new).unwrap();
}

#[test]
fn a_large_enough_threshold_lets_the_change_pass() {
    let base = results();
    let new = copy("threshold", |dir| worse(dir, "time-60s", "stale_ratio"));
    let (code, out, _) = diff(base, &new, 1e6, Format::Text);
    assert_eq!(code, 0, "{out}");
    fs::remove_dir_all(new).unwrap();
}

#[test]
fn a_policy_in_one_folder_only_is_reported_but_is_not_a_regression() {
    let base = results();
    let new = copy("renamed", |dir| {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = fs::read_to_string(&path).unwrap();
            fs::write(&path, text.replace("on-demand", "on-demand-broadcast")).unwrap();
        }
    });
    let (code, out, _) = diff(base, &new, 0.0, Format::Text);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("policy on-demand only in {}", base.display())),
        "{out}"
    );
    assert!(out.contains(&format!(
        "policy on-demand-broadcast only in {}",
        new.display()
    )));
    assert!(
        out.lines().last().unwrap().ends_with("across 1 policy"),
        "{out}"
    );
    fs::remove_dir_all(new).unwrap();
}

#[test]
fn bad_input_exits_2_and_says_what_is_wrong() {
    let base = results();
    let dir = scratch("bad-input");
    let missing = dir.join("no-such-folder");
    let (code, out, err) = diff(base, &missing, 0.0, Format::Text);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("no-such-folder") && err.contains("not a results folder"),
        "{err}"
    );
    // The binary says the same, on its own stderr (captured, so the test log stays clean).
    let binary = isrsim(&["diff", missing.to_str().unwrap(), base.to_str().unwrap()]);
    assert_exit(&binary, 2);
    assert!(stderr(&binary).contains("not a results folder"));

    let empty = dir.join("empty");
    fs::create_dir_all(&empty).unwrap();
    let (code, _, err) = diff(&empty, base, 0.0, Format::Text);
    assert_eq!(code, 2);
    assert!(err.contains("has no scenario.toml"), "{err}");

    let garbled = copy("garbled", |dir| {
        fs::write(dir.join("runs.csv"), "scenario,policy,stale_ratio\nx,a\n").unwrap();
    });
    let (code, _, err) = diff(base, &garbled, 0.0, Format::Text);
    assert_eq!(code, 2, "{err}");
    let runs = garbled.join("runs.csv");
    assert!(
        err.contains(&format!(
            "{}:2: 2 cells where the header has 3",
            runs.display()
        )),
        "{err}"
    );

    // The same runs, as one point of a sweep over the backend's concurrency.
    let swept = copy("swept", |dir| {
        let scenario = dir.join("scenario.toml");
        let text = fs::read_to_string(&scenario).unwrap();
        fs::write(
            &scenario,
            text + "\n[sweep]\n\"backend.concurrency\" = [2]\n",
        )
        .unwrap();
        for (file, at) in [
            ("runs.csv", 1),
            ("summary.csv", 1),
            ("routes.csv", 1),
            ("distributions.csv", 1),
            ("timeseries.csv", 0),
        ] {
            edit_csv(dir, file, |t| {
                t.header.insert(at, "backend.concurrency".to_string());
                t.rows
                    .iter_mut()
                    .for_each(|r| r.insert(at, "2".to_string()));
            });
        }
    });
    let (code, _, err) = diff(base, &swept, 0.0, Format::Text);
    assert_eq!(code, 2);
    assert!(err.contains("different keys"), "{err}");

    let (code, _, err) = diff(base, base, -0.5, Format::Text);
    assert_eq!(code, 2);
    assert!(err.contains("threshold"), "{err}");
    fs::remove_dir_all(dir).unwrap();
    fs::remove_dir_all(garbled).unwrap();
    fs::remove_dir_all(swept).unwrap();
}

/// A baseline and a change keep the scenario's name; folders of two differently named scenarios
/// are two studies, whose differences are no regressions: refused with exit 2, naming both,
/// unless `--force`.
#[test]
fn folders_of_differently_named_scenarios_are_refused_unless_forced() {
    let dir = scratch("other-scenario");
    // The same study under another name, with one policy's timer changed.
    let text = SMALL_SITE.replace("revalidate = \"60s\"", "revalidate = \"10m\"");
    let other = dir.join("other");
    let output = isrsim_run(&write(&dir, "other.toml", &text), &other, &["--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (base, other_arg) = (results().to_str().unwrap(), other.to_str().unwrap());

    let refused = isrsim(&["diff", base, other_arg]);
    let err = stderr(&refused);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(refused.stdout.is_empty());
    assert!(
        err.contains("\"small\"") && err.contains("\"other\"") && err.contains("--force"),
        "{err}"
    );

    // Stale ages are gated: the 10 min timer's are longer.
    let forced = isrsim(&[
        "diff",
        base,
        other_arg,
        "--force",
        "--gate",
        "stale_age_p50_s,stale_age_max_s",
    ]);
    let out = String::from_utf8_lossy(&forced.stdout);
    assert_eq!(forced.status.code(), Some(3), "{out}{}", stderr(&forced));
    assert!(out.contains("different scenarios"), "{out}");
    // Two scenarios saw different users, whatever their seeds: not paired.
    assert!(
        out.contains("Unpaired: the folders hold different scenarios"),
        "{out}"
    );
    assert!(out.contains("time-60s"), "{out}");
    fs::remove_dir_all(dir).unwrap();
}

/// Sets `metric` of `policy`'s replications in `runs.csv` to `values`, in replication order.
fn set_runs(dir: &Path, policy: &str, metric: &str, values: &[f64]) {
    edit_csv(dir, "runs.csv", |runs| {
        let (at, m, r) = (
            runs.column("policy"),
            runs.column(metric),
            runs.column("replication"),
        );
        for row in runs.rows.iter_mut().filter(|row| row[at] == policy) {
            let replication: usize = row[r].parse().unwrap();
            row[m] = format!("{:.6}", values[replication]);
        }
    });
}

/// The options of a comparison gating `gate` (`None`: the default gate).
fn gated(gate: Option<&[&str]>) -> Options {
    Options {
        threshold: 0.0,
        format: Format::Text,
        force: false,
        gate: gate.map(|g| {
            g.iter()
                .map(|n| RUN_COLUMNS.iter().position(|c| c.name == *n).unwrap())
                .collect()
        }),
    }
}

#[test]
fn two_policies_of_one_folder_are_compared_replication_by_replication() {
    // time-60s = 1, 2 and on-demand = 1.1, 2.1 stale responses per request (a made-up scale):
    // unpaired, means 1.5 and 1.6 with half-widths t(0.975, 1) * 0.707107 / sqrt(2) = 6.353102,
    // which overlap; paired, the differences are 0.1 and 0.1, mean 0.1 with a half-width of 0:
    // beyond the interval.
    let dir = copy("policies", |dir| {
        set_runs(dir, "time-60s", "stale_ratio", &[1.0, 2.0]);
        set_runs(dir, "on-demand", "stale_ratio", &[1.1, 2.1]);
    });
    let (a, b) = ([1.0, 2.0], [1.1, 2.1]);
    let mean = |x: [f64; 2]| (x[0] + x[1]) / 2.0;
    let sd = |x: [f64; 2]| ((x[0] - mean(x)).powi(2) + (x[1] - mean(x)).powi(2)).sqrt();
    let t = 12.706_204_736;
    let (ha, hb) = (t * sd(a) / 2f64.sqrt(), t * sd(b) / 2f64.sqrt());
    assert!(
        mean(a) + ha > mean(b) - hb,
        "the unpaired intervals overlap"
    );
    let policies = Sides::Policies {
        dir: &dir,
        policies: ["time-60s", "on-demand"],
    };
    let (code, out, err) = diff_with(&policies, &gated(Some(&["stale_ratio"])));
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        out.contains("Paired per replication (2 replications"),
        "{out}"
    );
    let row = (out.lines())
        .find(|l| l.starts_with("on-demand") && l.contains("stale_ratio"))
        .expect("stale_ratio is flagged");
    // The paired difference, with no spread: +0.1 (shown as a ratio, in %), after each
    // replication's own difference, 2.1 - 2 and 1.1 - 1.
    assert!(
        row.contains("+10.0% +10.0% ")
            && row
                .trim_end_matches(" regression")
                .trim_end()
                .ends_with("+10.0%")
            && row.ends_with(" regression"),
        "{row}"
    );

    // The same two folders, each a policy, with different seeds: unpaired, and the intervals
    // overlap, so nothing is flagged.
    let other = copy("policies-seed", |dir| {
        set_runs(dir, "time-60s", "stale_ratio", &[1.1, 2.1]);
        edit_csv(dir, "runs.csv", |runs| {
            let seed = runs.column("seed");
            for row in &mut runs.rows {
                row[seed] = format!("{}", row[seed].parse::<u64>().unwrap() + 1);
            }
        });
    });
    let folders = Sides::Folders {
        base: &dir,
        new: &other,
    };
    let (code, out, _) = diff_with(&folders, &gated(Some(&["stale_ratio"])));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Unpaired: the folders' runs have different seeds"),
        "{out}"
    );
    // With the seeds as they were, the folders pair, and the 0.1 is beyond the interval.
    let same_seeds = copy("policies-same-seed", |dir| {
        set_runs(dir, "time-60s", "stale_ratio", &[1.1, 2.1]);
    });
    let folders = Sides::Folders {
        base: &dir,
        new: &same_seeds,
    };
    let (code, out, _) = diff_with(&folders, &gated(Some(&["stale_ratio"])));
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("Paired per replication"), "{out}");
    for d in [dir, other, same_seeds] {
        fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn only_gated_metrics_fail_and_the_default_gate_is_staleness() {
    let base = results();
    let new = copy("gate", |dir| worse(dir, "time-60s", "origin_requests"));
    // origin_requests is worse, but outside the default gate (stale_ratio, stale_age_p99_s).
    let folders = Sides::Folders { base, new: &new };
    let (code, out, _) = diff_with(&folders, &gated(None));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Gated (the default gate): stale_ratio, stale_age_p99_s"),
        "{out}"
    );
    assert!(out.contains("regression (not gated)"), "{out}");
    assert!(
        out.contains("0 regressions (and 1 regression not gated)"),
        "{out}"
    );
    // Named, it fails; another metric named, it does not.
    let (code, out, _) = diff_with(&folders, &gated(Some(&["origin_requests"])));
    assert_eq!(code, 3, "{out}");
    let (code, out, _) = diff_with(&folders, &gated(Some(&["backend_wait_p99_s"])));
    assert_eq!(code, 0, "{out}");
    // An unknown name is a usage error that lists the metrics.
    let binary = isrsim(&[
        "diff",
        base.to_str().unwrap(),
        new.to_str().unwrap(),
        "--gate",
        "stale_ratio,staleness",
    ]);
    assert_exit(&binary, 2);
    let err = stderr(&binary);
    assert!(
        err.contains("staleness") && err.contains("backend_wait_p99_s"),
        "{err}"
    );
    let binary = isrsim(&[
        "diff",
        base.to_str().unwrap(),
        "--policies",
        "time-60s,nope",
    ]);
    assert_exit(&binary, 2);
    assert!(
        stderr(&binary).contains("time-60s, on-demand"),
        "{}",
        stderr(&binary)
    );
    let binary = isrsim(&["diff", base.to_str().unwrap()]);
    assert_exit(&binary, 2);
    fs::remove_dir_all(new).unwrap();
}
