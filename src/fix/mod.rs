//! FIX 4.4 order entry, sans-IO: Binance Spot's FIX API first.
//!
//! - [`codec`]: frames to and from bytes (BodyLength, CheckSum, typed field readers),
//!   allocation-free on the order path.
//!
//! `docs/fix.md` says what is supported and how legcore's requests map onto FIX.

pub mod codec;
