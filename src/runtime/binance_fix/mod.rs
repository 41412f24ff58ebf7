//! The Binance Spot FIX order-entry gateway: the runtime side of `crate::fix`.
//!
//! - [`config`]: the connection's settings (from the scenario's `[venue.gateway]`).
//! - [`link`]: the TCP connection, non-blocking, bounded.

mod config;
pub mod link;

pub use config::{FixVenueConfig, StpMode};
