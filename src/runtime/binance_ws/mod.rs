//! The Binance USD-M futures WebSocket API gateway: the runtime side of
//! `crate::binance_ws` (the sans-IO encoder, signer, answer and event readers), a network
//! venue for [`crate::runtime::Venue`].
//!
//! - `config`: the connection's settings ([`WsVenueConfig`]).
//! - `link`: one WebSocket connection, non-blocking after a bounded connect.
//! - `rest`: the few blocking REST calls (time, listen key, position, trades), bounded.
//! - `orders`: what the gateway knows of each order; each report delivered once.
//! - `position`: the venue's position held against the fills delivered.
//! - [`gateway`]: [`BinanceWsGateway`], the [`crate::venue::Gateway`] itself.

mod config;
pub mod gateway;
mod link;
mod orders;
mod position;
mod rest;

pub use config::{WsKey, WsVenueConfig};
pub use gateway::{BinanceWsGateway, WsCounts, WsGatewayError};
