//! The Binance Spot FIX order-entry gateway: the runtime side of `crate::fix` (the
//! sans-IO codec, signer and session), a network venue for [`crate::runtime::Venue`].
//!
//! - `config`: the connection's settings (from the scenario's `[venue.gateway]`).
//! - [`link`]: the TCP connection, non-blocking, bounded.
//! - [`orders`]: requests to FIX frames and FIX reports to the venue protocol.
//! - [`gateway`]: [`BinanceFixGateway`], the [`crate::venue::Gateway`] itself.

mod config;
pub mod gateway;
pub mod link;
pub mod orders;

pub use config::{FixVenueConfig, StpMode};
pub use gateway::{BinanceFixGateway, FixCounts, FixGatewayError};
