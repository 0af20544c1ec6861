//! `isrsim fit`: the statistics that turn an access log into a scenario describing its traffic.
//!
//! - [`zipf`]: the popularity exponent of a route's pages, by maximum likelihood of the discrete
//!   power law (Clauset, Shalizi & Newman 2009), guarded against the noise of ranking pages by
//!   their own counts.
//! - [`arrivals`]: which traffic pattern (steady, bursty, diurnal) explains the request times,
//!   by Poisson likelihood, a hidden Markov model fitted by Baum–Welch (Rabiner 1989) and BIC.
//! - [`survey`]: the log read into those statistics' inputs, routes proposed or given.
//! - [`scenario`]: the scenario written from them, with the evidence in comments.

pub mod arrivals;
pub mod scenario;
pub mod survey;
pub mod zipf;
