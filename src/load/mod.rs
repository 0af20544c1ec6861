//! The load tester's side of a real site: what `isrsim load` and `isrsim cms` serve.
//!
//! The contract is the protocol between the site and isrsim (docs/load.md, "What the site must
//! do"): the content server answers `GET /content/{route}/{page}` with the page's true version,
//! and behaves as the simulator's backend does (docs/model.md §7), so a measured site and a
//! simulated one read the same content through the same queue.

pub mod cache_status;
pub mod client;
pub mod cms;
pub mod editors;
pub mod epoch;
pub mod measure;
pub mod purge;
pub mod recorder;
pub mod response;
pub mod site;
pub mod stop;
pub mod users;

pub use cms::{Cms, Counters, InstanceCounters, Server};
pub use measure::{Ending, Load, LoadError, Options, Plan};

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Reads a `HOST:PORT` address that must be on this machine: an IP address of loopback
/// (127.0.0.0/8, `[::1]`) or `localhost`. A load test must not reach other machines by mistake.
pub fn loopback_address(text: &str) -> Result<SocketAddr, String> {
    let addr = match text.parse::<SocketAddr>() {
        Ok(addr) => addr,
        Err(_) => match text.strip_prefix("localhost:").map(str::parse::<u16>) {
            Some(Ok(port)) => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            _ => {
                return Err(format!(
                    "\"{text}\" is not an address: write HOST:PORT, for example 127.0.0.1:4010"
                ));
            }
        },
    };
    if !addr.ip().is_loopback() {
        return Err(format!(
            "\"{text}\" is not a loopback address: the content server listens on this machine \
             only (127.0.0.0/8, [::1] or localhost)"
        ));
    }
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_addresses_are_taken() {
        assert_eq!(
            loopback_address("localhost:4010"),
            Ok("127.0.0.1:4010".parse().unwrap())
        );
        assert!(loopback_address("127.0.0.2:0").is_ok());
        assert!(loopback_address("[::1]:80").is_ok());
        assert!(loopback_address("0.0.0.0:4010").is_err());
        assert!(loopback_address("192.168.1.4:4010").is_err());
        assert!(loopback_address("example.com:80").is_err());
        assert!(loopback_address("127.0.0.1").is_err());
    }
}
