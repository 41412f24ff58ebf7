//! FIX 4.4 order entry, sans-IO: Binance Spot's FIX API first.
//!
//! - [`codec`]: frames to and from bytes (BodyLength, CheckSum, typed field readers),
//!   allocation-free on the order path.
//! - [`session`]: the FIX session state machine (logon, heartbeats, gaps, logout,
//!   reconnect), time as input.
//! - [`sign`]: Ed25519 signing (the Logon's RawData), keys from files or env vars only.
//!
//! `docs/fix.md` says what is supported and how legcore's requests map onto FIX.

pub mod codec;
pub mod session;
pub mod sign;
