//! isrsim: a discrete-event simulator of Incremental Static Regeneration behind a CDN.

pub mod distribution;
pub mod error;
pub mod metrics;
pub mod scenario;
pub mod time;
pub mod report;
pub mod stats;
pub mod engine;
pub mod model;
pub mod commands;
pub mod experiment;
