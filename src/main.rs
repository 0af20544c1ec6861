//! The `isrsim` command line: parses arguments and calls the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use isrsim::commands::{self, Output, RunOptions};
use isrsim::experiment::{self, Shard};
use isrsim::report::diff;

/// Simulates Next.js Incremental Static Regeneration behind a CDN: how stale pages get, and
/// what that freshness costs the backend, under a scenario's traffic.
#[derive(Parser)]
#[command(name = "isrsim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs every policy of a scenario (and every point of its sweep) and writes CSV results
    /// and a comparison table.
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
        /// Prints nothing but errors and SLO violations (and no progress bar).
        #[arg(long)]
        quiet: bool,
        /// Prints summary.json on stdout instead of the table.
        #[arg(long)]
        json: bool,
        /// Does not check the scenario's `[slo]` bounds (exit code 0 even if they are exceeded).
        #[arg(long)]
        no_slo: bool,
        /// Runs only the K-th of N deterministic slices of the runs and writes a partial
        /// result folder, for `isrsim merge`.
        #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
        shard: Option<Shard>,
    },
    /// Combines the partial folders of `run --shard` into the files one unsharded run writes.
    Merge {
        /// The shard folders, every one of the N.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Result folder.
        #[arg(long)]
        out: PathBuf,
        /// Prints nothing but errors and SLO violations.
        #[arg(long)]
        quiet: bool,
        /// Prints summary.json on stdout instead of the table.
        #[arg(long)]
        json: bool,
        /// Does not check the scenario's `[slo]` bounds.
        #[arg(long)]
        no_slo: bool,
    },
    /// Compares two results folders policy by policy and metric by metric; exits 3 when a
    /// metric is worse beyond both 95% confidence intervals.
    Diff {
        /// The baseline results folder.
        base: PathBuf,
        /// The results folder to judge.
        new: PathBuf,
        /// `text` for a terminal, `markdown` for a pull-request comment.
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
        /// Ignores changes smaller than this share of the baseline (0.05 = 5%).
        #[arg(long, default_value_t = 0.0)]
        threshold: f64,
    },
    /// Redraws the charts and report.html of a results folder from its files, with no re-run.
    Plot {
        /// A folder written by `isrsim run` or `isrsim merge`.
        dir: PathBuf,
    },
    /// Checks a scenario and prints what it would simulate.
    Validate {
        /// The scenario file (TOML).
        file: PathBuf,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DiffFormat {
    Text,
    Markdown,
}

fn main() -> ExitCode {
    let code = match Cli::parse().command {
        Command::Run {
            file,
            out,
            seed,
            replications,
            threads,
            quiet,
            json,
            no_slo,
            shard,
        } => {
            let shard = shard.unwrap_or(Shard::WHOLE);
            let output = Output {
                quiet,
                json,
                no_slo,
            };
            commands::run(&RunOptions {
                file,
                out,
                seed,
                replications,
                threads,
                shard,
                output,
            })
        }
        Command::Merge {
            dirs,
            out,
            quiet,
            json,
            no_slo,
        } => commands::merge(
            &dirs,
            &out,
            Output {
                quiet,
                json,
                no_slo,
            },
        ),
        Command::Diff {
            base,
            new,
            format,
            threshold,
        } => {
            let format = match format {
                DiffFormat::Text => diff::Format::Text,
                DiffFormat::Markdown => diff::Format::Markdown,
            };
            diff::run(&base, &new, &diff::Options { threshold, format })
        }
        Command::Plot { dir } => commands::plot(&dir),
        Command::Validate { file } => commands::validate(&file),
    };
    // Exit codes are 0 to 3 (docs/model.md §14), so they fit.
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
