//! isrsim: a discrete-event simulator of Incremental Static Regeneration behind a CDN.

pub mod commands;
pub mod distribution;
pub mod engine;
pub mod error;
pub mod experiment;
pub mod metrics;
pub mod model;
pub mod progress;
pub mod report;
pub mod scenario;
pub mod shard;
pub mod slo;
pub mod stats;
pub mod time;
