//! Binance's WebSocket API (USD-M futures `order.place`, `order.cancel`, `order.status`),
//! sans-IO: what the USD-M gateway sends and what a venue serving the same protocol
//! checks (issue 15).
//!
//! - [`sign`]: request signatures, HMAC-SHA256 (hex) or Ed25519 (base64, the FIX
//!   gateway's signer), over every parameter except `signature`, sorted by name, joined
//!   `k=v&…`, as UTF-8 (non-ASCII raw): Binance's published vectors are unit tests, and
//!   ccxt's signer is the third-party check (`tests/ccxt_sign.rs`).
//! - [`request`]: the request frames, encoded into a reused buffer with exact decimals
//!   from ticks and lots; no allocation once the buffer has grown to a frame's size.
//! - [`response`]: answers read into the order the venue took or the typed reason it
//!   refused, and the rate limits each answer reports, for risk.
//! - [`events`]: the user data stream's `ORDER_TRADE_UPDATE` as venue reports.
//! - [`reject`]: Binance's error codes as typed reject reasons.

pub mod events;
pub mod reject;
pub mod request;
pub mod response;
pub mod sign;
