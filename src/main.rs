//! The `isrsim` command line: parses arguments and calls the library.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use isrsim::commands::{self, LoadArgs, Output, RunOptions};
use isrsim::commands::{compare, diff, show};
use isrsim::error::exit_code;
use isrsim::experiment::{self, Shard};
use isrsim::output;
use isrsim::report::{self, Columns, parse_column};

/// Shown after every command's help: what the exit code says, and where the files are described.
const AFTER_HELP: &str = "\
Exit codes:
  0  done
  1  failure (for example, the results folder cannot be written, the content server's address
     is in use, or more than --max-errors of a load test's requests failed)
  2  bad input: the scenario, the arguments, runs that would not fit in --max-memory, or a
     results folder; nothing is written. For load,
     also a site without the page marker (nothing written), and an [slo] bound on a metric the
     site does not show (the results are written)
  3  an [slo] bound exceeded or not measured (run, merge, load); a regression (diff)
     (compare exits 0 whatever the figures: it judges nothing)
  130  interrupted (Ctrl-C, SIGTERM, SIGHUP); a load test writes what it measured until then

Scenario files: every key is described in docs/scenario.md; the model and every metric in
docs/model.md; SLO gating, diff and compare in docs/ci.md (in the isrsim repository).";

/// A log format's name, as `--format` takes it.
fn parse_format(text: &str) -> Result<isrsim::logs::Format, String> {
    let formats = isrsim::logs::Format::WORDS;
    formats
        .iter()
        .find(|(name, _)| *name == text)
        .map(|&(_, f)| f)
        .ok_or_else(|| {
            let names: Vec<&str> = formats.iter().map(|(n, _)| *n).collect();
            format!("expected one of {}", names.join(", "))
        })
}

/// Simulates Next.js Incremental Static Regeneration behind a CDN: how stale pages get, and
/// what that freshness costs the backend, under a scenario's traffic.
#[derive(Parser)]
#[command(name = "isrsim", version, about, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// What `run`, `merge` and `load` print, and whether they check the SLO.
#[derive(Args)]
struct OutputArgs {
    /// Prints nothing but errors and SLO violations (and no progress bar).
    #[arg(long)]
    quiet: bool,
    /// Prints summary.json on stdout instead of the table.
    #[arg(long)]
    json: bool,
    /// Does not check the scenario's `[slo]` bounds (exit code 0 even if they are exceeded).
    #[arg(long)]
    no_slo: bool,
    #[command(flatten)]
    table: TableArgs,
}

impl OutputArgs {
    fn output(self) -> Output {
        Output {
            quiet: self.quiet,
            json: self.json,
            no_slo: self.no_slo,
            columns: self.table.columns(),
        }
    }
}

/// Which columns the comparison table shows (README, "The table on stdout").
#[derive(Args)]
struct TableArgs {
    /// Shows every key column of the table, however wide. By default a terminal gets the few
    /// that fit its width.
    #[arg(long, conflicts_with = "columns")]
    wide: bool,
    /// Shows these columns of runs.csv in the table, in this order: for example
    /// `--columns stale_ratio,storm_seconds,latency_p99_ms`.
    #[arg(long, value_name = "NAME,...", value_delimiter = ',', value_parser = parse_column)]
    columns: Vec<usize>,
}

impl TableArgs {
    fn columns(self) -> Columns {
        if self.wide {
            Columns::Wide
        } else if self.columns.is_empty() {
            Columns::Default
        } else {
            Columns::Named(self.columns)
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Reads an access log and writes a scenario that describes its traffic (routes, page
    /// popularity, arrival pattern), with fit.svg and fit.png beside it.
    #[command(after_help = AFTER_HELP)]
    Fit {
        /// The access log, plain or gzip-compressed.
        log: PathBuf,
        /// The scenario file to write; fit.svg and fit.png go in its folder.
        #[arg(long)]
        out: PathBuf,
        /// The log's format: `combined` (nginx's and Apache's default), `csv` (a header naming
        /// `time` and `path`) or `jsonl`.
        #[arg(long, default_value = "combined", value_parser = parse_format)]
        format: isrsim::logs::Format,
        /// A TOML file whose `[[routes]]` give each route's `name` and `match` (a scenario
        /// will do). Without it, routes are proposed from the paths' first segments.
        #[arg(long)]
        routes: Option<PathBuf>,
        /// Replaces the scenario, fit.svg and fit.png if they are already there.
        #[arg(long)]
        force: bool,
    },
    /// Runs every policy of a scenario (and every point of its sweep) and writes CSV results
    /// and a comparison table.
    #[command(after_help = AFTER_HELP)]
    Run {
        /// The scenario file (TOML).
        file: PathBuf,
        /// Result folder (default: results/<scenario name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Overrides the scenario's `seed`.
        #[arg(long)]
        seed: Option<u64>,
        /// Overrides the scenario's `replications`.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        replications: Option<u32>,
        /// Worker threads, at most 1024 and never more than the runs (default: 0, one per
        /// core). Results do not depend on it.
        #[arg(long, default_value_t = 0, hide_default_value = true,
              value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=experiment::MAX_THREADS as u64))]
        threads: usize,
        /// The memory the runs in flight may hold at once, as "8GB" or "512MiB" (default: half
        /// of the machine's memory, and of `ulimit -v`). A study whose runs would not fit is
        /// refused (exit 2) before anything is allocated; without --threads, fewer runs go at
        /// once when all cores' would not fit.
        #[arg(long, value_name = "SIZE", value_parser = memory_size)]
        max_memory: Option<u64>,
        /// Runs only the K-th of N deterministic slices of the runs and writes a partial
        /// result folder, for `isrsim merge`.
        #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
        shard: Option<Shard>,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Combines the partial folders of `run --shard` into the files one unsharded run writes.
    #[command(after_help = AFTER_HELP)]
    Merge {
        /// The shard folders, every one of the N.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Result folder.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Compares two results folders policy by policy and metric by metric, or two policies of one
    /// folder (`--policies A,B`); exits 3 when a gated metric is worse beyond its 95% interval.
    ///
    /// Two policies of one folder, and two folders of the same scenario run with the same seed
    /// and replications, are compared replication by replication (paired differences, as common
    /// random numbers allow); other folders side by side. Folders of differently named
    /// scenarios are refused (exit 2) unless `--force`.
    #[command(after_help = AFTER_HELP)]
    Diff {
        /// The baseline results folder (with `--policies`, the one folder).
        base: PathBuf,
        /// The results folder to judge (not with `--policies`).
        new: Option<PathBuf>,
        /// Compares two policies of one folder: `A,B` judges B against A.
        #[arg(long, value_name = "A,B")]
        policies: Option<String>,
        /// The metrics (columns of runs.csv, comma-separated) whose regression exits 3; by
        /// default the scenario's [slo] metrics, else stale_ratio and stale_age_p99_s.
        #[arg(long, value_name = "METRICS", value_parser = gate_list)]
        gate: Option<GateList>,
        /// `text` for a terminal, `markdown` for a pull-request comment.
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
        /// Ignores changes smaller than this share of the baseline (0.05 = 5%).
        #[arg(long, default_value_t = 0.0)]
        threshold: f64,
        /// Compares the folders even when they hold differently named scenarios.
        #[arg(long)]
        force: bool,
    },
    /// Sets a prediction beside one or more measurements of the same scenario, metric by metric,
    /// and each measured run beside the prediction of its own replication.
    ///
    /// For each policy in both and every metric: the predicted mean ± 95% interval, the spread
    /// (least and greatest value) of the simulated replications, the measured mean, the relative
    /// difference, and whether the measured mean lies within that spread. Then, each measured
    /// run paired with the predicted run of the replication it played (its `runs.csv` names
    /// it): measured / predicted and their difference, the largest paired difference, and the
    /// mean of the runs against the mean of their own replications' predictions. Exits 0
    /// whatever the figures say. Folders of differently named scenarios (unless `--force`), with
    /// a [sweep] or with no policy in common, and a measured replication the prediction lacks,
    /// are refused (exit 2).
    #[command(after_help = AFTER_HELP)]
    Compare {
        /// The results folder of the simulation (`isrsim run`).
        predicted: PathBuf,
        /// The results folders of the measurements (`isrsim load`: one policy, one replication
        /// each), one or more.
        #[arg(required = true)]
        measured: Vec<PathBuf>,
        /// `text` for a terminal, `markdown` for a pull-request comment.
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
        /// Compares the folders even when they hold differently named scenarios.
        #[arg(long)]
        force: bool,
        /// Also draws the comparison into DIR, which must be the one measured folder (with
        /// isrsim's marker): charts/compare.svg and .png, and a "Prediction and measurement"
        /// section of its report.html. A later `isrsim plot` on that folder redraws it without them.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Redraws the charts and report.html of a results folder from its files, with no re-run,
    /// and says on stderr what it wrote.
    #[command(after_help = AFTER_HELP)]
    Plot {
        /// A folder written by `isrsim run` or `isrsim merge`.
        dir: PathBuf,
    },
    /// Prints a results folder's comparison table again, as `run` printed it, with any
    /// `--columns`; or, with `--routes`, its per-route table (from routes.csv).
    #[command(after_help = AFTER_HELP)]
    Show {
        /// A folder written by `isrsim run` or `isrsim merge`.
        dir: PathBuf,
        /// Prints one row per policy and route: requests, stale, regenerations, failed
        /// regenerations, edit-visible lag and unseen edits.
        #[arg(long, conflicts_with_all = ["wide", "columns"])]
        routes: bool,
        #[command(flatten)]
        table: TableArgs,
    },
    /// Checks a scenario and prints what it would simulate.
    #[command(after_help = AFTER_HELP)]
    Validate {
        /// The scenario file (TOML).
        file: PathBuf,
        /// Refuses (exit 2) a scenario of which one run would hold more memory than this, as
        /// `isrsim run` would (default: half of the machine's memory, and of `ulimit -v`).
        #[arg(long, value_name = "SIZE", value_parser = memory_size)]
        max_memory: Option<u64>,
    },
    /// Plays one policy of a scenario against a real site and measures it: the same users and
    /// edits as replication R of `isrsim run`, the content served by isrsim's own content
    /// server, and the same result files (docs/load.md).
    ///
    /// Sends only to loopback addresses unless --allow-remote; refuses a scenario whose peak
    /// rate is over --max-rate before sending anything. Ctrl-C stops it, writes what was
    /// measured (marked interrupted) and exits 130.
    #[command(after_help = AFTER_HELP)]
    Load(Box<LoadCli>),
    /// Runs the content server (the CMS of a load test) alone: every page of the scenario at
    /// version 0, no edits, at GET /content/{route}/{page}, until Ctrl-C or SIGTERM (then exit
    /// 0). Build the site under test against it (docs/load.md).
    #[command(after_help = AFTER_HELP)]
    Cms {
        /// The scenario file (TOML).
        file: PathBuf,
        /// The address to listen on, on this machine only (127.0.0.0/8, [::1] or localhost);
        /// port 0 takes a free port, which the line on stderr names.
        #[arg(long = "cms", value_name = "ADDR", default_value = "127.0.0.1:4010")]
        address: String,
    },
}

/// The options of `isrsim load` (docs/load.md, "`isrsim load`: the command line").
#[derive(Args)]
struct LoadCli {
    /// The scenario file (TOML).
    file: PathBuf,
    /// Where users' requests go: the CDN, or an instance when there is none.
    #[arg(long, value_name = "URL")]
    target: String,
    /// The policy the site runs (required when the scenario has several).
    #[arg(long, value_name = "NAME")]
    policy: Option<String>,
    /// A Next.js instance, for webhooks; repeat for several (default: the target).
    #[arg(long = "instance", value_name = "URL")]
    instances: Vec<String>,
    /// Where purges go (default: the target).
    #[arg(long, value_name = "URL")]
    cdn: Option<String>,
    /// The content server's address, on this machine only.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4010")]
    cms: String,
    /// Which replication's users and edits to play.
    #[arg(long, value_name = "R", default_value_t = 0)]
    replication: u32,
    /// Overrides the scenario's duration (for example 2m).
    #[arg(long, value_name = "D")]
    duration: Option<String>,
    /// Overrides the scenario's warm-up.
    #[arg(long, value_name = "D")]
    warmup: Option<String>,
    /// Result folder (default: results/<scenario name>-load).
    #[arg(long)]
    out: Option<PathBuf>,
    /// User connections: requests beyond them wait, late, and their latency shows it.
    #[arg(long, value_name = "N", default_value_t = 64)]
    connections: usize,
    /// The highest request rate allowed; a scenario peaking above it is refused.
    #[arg(long, value_name = "R", default_value_t = 1000.0)]
    max_rate: f64,
    /// Stops the run (results written, exit 1) when more than this share of requests failed.
    #[arg(long, value_name = "R", default_value_t = 0.5)]
    max_errors: f64,
    /// How long a request may take before it counts as an error.
    #[arg(long, value_name = "D", default_value = "10s")]
    timeout: String,
    /// Allows targets that are not on this machine.
    #[arg(long)]
    allow_remote: bool,
    /// The webhook: POST, with {instance}, {path}, {route}, {page} and {mode} filled in.
    #[arg(
        long,
        value_name = "URL",
        default_value = "{instance}/api/revalidate?path={path}"
    )]
    revalidate_url: String,
    /// The webhook of on_edit = "revalidate-tag": POST, with {instance}, {tags} (the revalidated
    /// tags, URL-encoded, comma-separated) and {profile} (max, or seconds) filled in.
    #[arg(
        long,
        value_name = "URL",
        default_value = "{instance}/api/revalidate?tag={tags}&profile={profile}"
    )]
    revalidate_tag_url: String,
    /// The CDN purge, with {cdn}, {path}, {route} and {page} filled in.
    #[arg(long, value_name = "URL", default_value = "{cdn}{path}")]
    purge_url: String,
    /// The CDN purge of one tag ([cdn] purge_by = "tag"), with {cdn} and {tag} filled in; the
    /// tag is also sent as x-isrsim-tag.
    #[arg(long, value_name = "URL", default_value = "{cdn}/")]
    tag_purge_url: String,
    /// The purge's HTTP method.
    #[arg(long, value_name = "METHOD", default_value = "PURGE")]
    purge_method: String,
    /// A header of every purge, as 'Name: value' (repeat for several), for a CDN's purge API:
    /// 'Authorization: Bearer TOKEN', 'Fastly-Key: KEY'. A Host off this machine needs
    /// --allow-remote.
    #[arg(long = "purge-header", value_name = "HEADER")]
    purge_headers: Vec<String>,
    /// The body of a page's purge, with the --purge-url placeholders filled in as JSON string
    /// contents, e.g. '{"files":["https://www.example.com{path}"]}' (Content-Type:
    /// application/json unless a --purge-header sets it).
    #[arg(long, value_name = "TEMPLATE")]
    purge_body: Option<String>,
    /// The body of a tag's purge, with {cdn} and {tag} filled in, e.g. '{"tags":["{tag}"]}'.
    #[arg(long, value_name = "TEMPLATE")]
    tag_purge_body: Option<String>,
    /// Sent as x-isrsim-secret with every webhook (default: $ISRSIM_SECRET).
    #[arg(long)]
    secret: Option<String>,
    /// The response header that says whether the CDN answered from its cache (default: the
    /// first of x-cache-status, x-cache, cf-cache-status, x-vercel-cache; else Age > 0).
    #[arg(long, value_name = "NAME")]
    cdn_header: Option<String>,
    /// Writes every response (times, page, version, layers, latency, stale) to FILE as CSV.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    /// Time zero at this Unix time (seconds, as `date +%s.%N` prints): the instant the site's
    /// build goes live. One ahead (at most 120 s) is waited for; from one past, requests already
    /// due are sent at once, and it may be no older than the warm-up (examples/stack.sh records it).
    #[arg(long, value_name = "SECONDS")]
    epoch: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DiffFormat {
    Text,
    Markdown,
}

impl From<DiffFormat> for report::diff::Format {
    fn from(format: DiffFormat) -> report::diff::Format {
        match format {
            DiffFormat::Text => report::diff::Format::Text,
            DiffFormat::Markdown => report::diff::Format::Markdown,
        }
    }
}

/// Ctrl-C, SIGTERM (a CI job cancelled, a batch system's time limit) and SIGHUP: remove the
/// results not yet in place rather than leave a hidden half-written folder, then exit 130 from
/// the signal's thread, holding the staging folders' list so that none is made meanwhile. (`cms`
/// stops on its own at Ctrl-C and SIGTERM, with exit 0.)
fn interrupt_removes_unfinished_results() {
    let _ = ctrlc::set_handler(|| {
        // Past the progress bar's line, which a terminal shows with no newline after it.
        let newline = if std::io::stderr().is_terminal() {
            "\n"
        } else {
            ""
        };
        eprintln!("{newline}error: interrupted");
        let _held = output::remove_staging();
        std::process::exit(exit_code::INTERRUPTED)
    });
}

fn main() -> ExitCode {
    let command = Cli::parse().command;
    // `cms` stops on Ctrl-C with exit 0, and `load` writes what it measured: both listen for
    // the signals themselves.
    if !matches!(command, Command::Cms { .. } | Command::Load(_)) {
        interrupt_removes_unfinished_results();
    }
    let code = match command {
        Command::Run {
            file,
            out,
            seed,
            replications,
            threads,
            max_memory,
            shard,
            output,
        } => {
            let shard = shard.unwrap_or(Shard::WHOLE);
            let output = output.output();
            commands::run(&RunOptions {
                file,
                out,
                seed,
                replications,
                threads,
                max_memory: max_memory.unwrap_or_else(commands::default_max_memory),
                shard,
                output,
            })
        }
        Command::Merge { dirs, out, output } => commands::merge(&dirs, &out, &output.output()),
        Command::Diff {
            base,
            new,
            policies,
            gate,
            format,
            threshold,
            force,
        } => {
            let options = diff::Options {
                threshold,
                format: format.into(),
                force,
                gate: gate.map(|g| g.0),
            };
            diff_command(&base, new.as_deref(), policies.as_deref(), &options)
        }
        Command::Compare {
            predicted,
            measured,
            format,
            force,
            out,
        } => {
            let options = compare::Options {
                format: format.into(),
                force,
                out,
            };
            compare::run(&predicted, &measured, &options)
        }
        Command::Plot { dir } => commands::plot(&dir),
        Command::Show { dir, routes, table } => show::run(
            &dir,
            &show::Options {
                routes,
                columns: table.columns(),
            },
        ),
        Command::Fit {
            log,
            out,
            format,
            routes,
            force,
        } => commands::fit(&commands::FitArgs {
            log,
            out,
            format,
            routes,
            force,
        }),
        Command::Validate { file, max_memory } => commands::validate(
            &file,
            max_memory.unwrap_or_else(commands::default_max_memory),
        ),
        Command::Cms { file, address } => commands::cms(&file, &address),
        Command::Load(cli) => commands::load(&load_args(*cli)),
    };
    // Exit codes are 0 to 3 and 130 (docs/model.md §14), so they fit.
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// `isrsim load`'s arguments as the library takes them.
fn load_args(cli: LoadCli) -> LoadArgs {
    LoadArgs {
        file: cli.file,
        target: cli.target,
        policy: cli.policy,
        instances: cli.instances,
        cdn: cli.cdn,
        cms: cli.cms,
        replication: cli.replication,
        duration: cli.duration,
        warmup: cli.warmup,
        out: cli.out,
        connections: cli.connections,
        max_rate: cli.max_rate,
        max_errors: cli.max_errors,
        timeout: cli.timeout,
        allow_remote: cli.allow_remote,
        revalidate_url: cli.revalidate_url,
        revalidate_tag_url: cli.revalidate_tag_url,
        purge_url: cli.purge_url,
        tag_purge_url: cli.tag_purge_url,
        purge_method: cli.purge_method,
        purge_headers: cli.purge_headers,
        purge_body: cli.purge_body,
        tag_purge_body: cli.tag_purge_body,
        secret: cli.secret,
        cdn_header: cli.cdn_header,
        log: cli.log,
        epoch: cli.epoch,
        output: cli.output.output(),
    }
}

/// `isrsim diff`: two folders, or one with `--policies A,B`; anything else is a usage error.
fn diff_command(
    base: &std::path::Path,
    new: Option<&std::path::Path>,
    policies: Option<&str>,
    options: &diff::Options,
) -> i32 {
    let policies = policies.map(|p| p.split_once(',').map(|(a, b)| (a.trim(), b.trim())));
    match (new, policies) {
        (Some(new), None) => diff::run(&diff::Sides::Folders { base, new }, options),
        (None, Some(Some((a, b)))) if !a.is_empty() && !b.is_empty() && !b.contains(',') => {
            let sides = diff::Sides::Policies {
                dir: base,
                policies: [a, b],
            };
            diff::run(&sides, options)
        }
        (Some(_), Some(_)) => {
            usage("diff takes two folders, or one folder with --policies A,B, not both")
        }
        (None, Some(_)) => usage("--policies takes two policy names: --policies A,B"),
        (None, None) => usage("diff takes two folders (diff BASE NEW), or one with --policies A,B"),
    }
}

/// A usage error: said on stderr, exit code 2.
fn usage(message: &str) -> i32 {
    eprintln!("error: {message}");
    isrsim::error::exit_code::BAD_INPUT
}

/// `--gate`'s metrics, as indices into `RUN_COLUMNS`.
#[derive(Clone, Debug)]
struct GateList(Vec<usize>);

/// `--gate`: run columns of runs.csv, comma-separated.
fn gate_list(text: &str) -> Result<GateList, String> {
    isrsim::results::diff::paired::parse_gate(text).map(GateList)
}

/// `--max-memory`: a size as the scenario's `size` keys read it.
fn memory_size(text: &str) -> Result<u64, String> {
    isrsim::scenario::parse_size(text)
}
