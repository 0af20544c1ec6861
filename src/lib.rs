//! isrsim: a discrete-event simulator of Incremental Static Regeneration (ISR) behind a CDN.
//!
//! It answers the question every team running Next.js ISR behind a CDN ends up asking: how stale
//! will our pages be, and what will that freshness cost our backend, under our traffic?
//!
//! # Concepts
//!
//! A [`scenario::Scenario`] describes a site (routes of pages, how often editors change them),
//! its users (a pattern of [`traffic`]), a CDN of points of presence, one or more Next.js
//! instances with ISR caches, a backend of limited capacity, and the revalidation **policies** to
//! compare. A [`scenario::Study`] is a scenario with its `[sweep]` variants. Each (variant,
//! policy, replication) is one run, made by a [`driver::Driver`]: the simulator
//! ([`model::Simulation`], built on the generic event core in [`engine`], which owns the clock
//! and the loop) or the load tester ([`load`], which plays the run against a real site). Both
//! draw the same [`workload`]: the users' requests, the pages, the editors' edits and content
//! versions, the seeded random streams, and what an edit sends (webhooks, purges, schedules).
//! The caches are the simulator's alone. A driver reports what it observes to a
//! [`metrics::Collector`], judging each response with the one staleness judgement of
//! [`metrics::staleness`]; the collector returns the run's [`metrics::RunResult`].
//! [`experiment`] spreads the runs over threads; [`results`] summarises them
//! ([`results::StudyResults`]), reads a results folder back into them for `isrsim plot`,
//! `isrsim diff` and `isrsim compare`, and compares two sets of them; [`report`] renders them as
//! CSV files, charts, `report.html`, `summary.json` and the table, into a folder [`output`] puts
//! in place whole. [`commands`] runs each subcommand and returns its exit code; only `main`
//! exits. A figure a run could not observe is "not measured" (`None`) in every output, never a
//! zero.
//!
//! # Parts, and which imports which
//!
//! Each part imports only parts below it (`tests/architecture.rs` checks it):
//!
//! ```text
//! commands ─► report ─► results, output
//!          ─► shard, progress, fit
//!          ─► experiment ─► driver ─► model (the simulator) ─► engine, workload
//!          ─► load (the load tester, a driver) ─► driver, engine, workload
//! workload ─► scenario ─► traffic ─► logs
//! metrics, slo, stats, distribution, ids, time, error: the ground floor
//! ```
//!
//! # Example
//!
//! ```
//! use std::path::Path;
//! use isrsim::scenario::Scenario;
//!
//! let scenario = Scenario::parse(r#"
//!     duration = "1h"
//!     [traffic]
//!     pattern = "steady"
//!     rate = 20
//!     [[routes]]
//!     name = "posts"
//!     pages = 100
//!     edit_every = "30m"
//!     regen_time = "500ms"
//!     [[policies]]
//!     name = "time-60s"
//!     revalidate = "60s"
//! "#, Path::new("example.toml")).unwrap();
//! let run = isrsim::model::run(&scenario, 0, 0).unwrap();
//! let stale = run.metrics.get("stale_ratio").unwrap();
//! assert!(stale > 0.0 && stale < 1.0);
//! ```
//!
//! # Guarantees
//!
//! - **Same seed, same bytes.** The same scenario and seed give byte-identical CSV files, charts
//!   and report, whatever the thread count: each run is single-threaded and seeded only from
//!   (seed, replication), and results are written in job order.
//! - **Common random numbers.** Users, edits, webhook and purge delays come from random streams
//!   derived from (seed, replication, stream) only, never from the policy, so every policy sees the
//!   same users and the same edits.
//! - **Ordering.** Events at the same instant run in the order they were scheduled; heap events
//!   run before edits, and edits before requests. Time never runs back.
//! - **Bad input never panics.** Scenario errors name the file, the line, the key and what is
//!   allowed.
//!
//! # Why it is built this way
//!
//! Time is an integer count of microseconds, so runs reproduce exactly. Requests come in time
//! order from their own stream and never enter the event heap, and page state lives in flat
//! vectors indexed by page: on a large site the request path waits on memory, so the design
//! counts cache lines, not instructions (see `docs/performance.md`). Every model module names the
//! real behaviour it reproduces and its source (the Next.js source, RFC 5861, CDN documentation).

pub mod commands;
pub mod cost;
pub mod distribution;
pub mod driver;
pub mod engine;
pub mod error;
pub mod experiment;
pub mod fit;
pub mod ids;
pub mod load;
pub mod logs;
pub mod metrics;
pub mod model;
pub mod output;
mod prefetch;
pub mod progress;
pub mod report;
pub mod results;
pub mod scenario;
pub mod shard;
pub mod slo;
pub mod stats;
pub mod time;
pub mod traffic;
pub mod workload;
