//! The `isrsim` command line: parses arguments and calls the library.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use isrsim::commands::{self, RunOptions};

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
    /// Runs every policy of a scenario and writes CSV results and a comparison table.
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
        /// Worker threads (default: all cores). Results do not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Prints nothing but errors.
        #[arg(long)]
        quiet: bool,
    },
    /// Checks a scenario and prints what it would simulate.
    Validate {
        /// The scenario file (TOML).
        file: PathBuf,
    },
}

fn main() {
    let code = match Cli::parse().command {
        Command::Run {
            file,
            out,
            seed,
            replications,
            threads,
            quiet,
        } => commands::run(&RunOptions {
            file,
            out,
            seed,
            replications,
            threads,
            quiet,
        }),
        Command::Validate { file } => commands::validate(&file),
    };
    std::process::exit(code);
}
