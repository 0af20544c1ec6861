//! The ISR system, built on the event core: users, editors, the CDN (its PoPs and, optionally, an
//! origin shield), the Next.js instances and their caches (memory in front of a disk when
//! bounded), the backend, and the revalidation
//! policy. Each module's header names the real
//! behaviour it models and where that behaviour is documented.

pub mod backend;
pub mod build;
pub mod cdn;
pub mod headers;
mod lru;
pub mod memory;
pub mod origin;
mod simulation;
pub mod slab;
pub mod waiters;

pub use cdn::Purged;
pub use simulation::{
    Cause, Served, Simulation, Tier, Trace, TracedGeneration, TracedResponse, Workload,
    memory_estimate, run, simulate, simulate_on,
};
