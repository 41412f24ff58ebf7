//! Decoders for real venue order-book feeds, straight into a preallocated [`Ladder`].
//!
//! What is decoded:
//! - [`binance`]: the REST depth snapshot, `depthUpdate` diffs (combined-stream envelope
//!   or bare), `bookTicker`, the spot and futures sync rules ([`binance::BinanceSync`]), and
//!   a replay driver for hftbacktest capture files.
//! - [`bybit`]: v5 `orderbook.N` snapshots and deltas with the `u` chaining rule.
//! - [`hyperliquid`]: `l2Book` top-N snapshots, websocket envelope or REST object.
//! - [`okx`]: v5 `books` snapshots and updates with the `seqId`/`prevSeqId` chaining rule
//!   and the CRC32 checksum of the top 25 levels.
//! - `file`: `load_book_file` for `legcore analyze`: detects one of the formats
//!   above in a file, infers tick and lot from the decimals written, and loads a ladder.
//! - `json`: the zero-allocation pull scanner the decoders are written on.
//! - [`BookFeed`] (`replay`): one type over the venue syncs above, keeping a ladder in
//!   sync from capture lines of a named [`Format`]; [`Tape`] (`tape`): a capture of any
//!   of those formats in memory, for `legcore run`'s replay.
//!
//! Guarantees of the message decoders (all but `file` and the replay driver):
//! - **No allocation per message.** Bytes are scanned in place and each level goes straight
//!   into a ladder [`Snapshot`](crate::book::Snapshot) or [`Update`](crate::book::Update);
//!   no intermediate `Vec`. Buffers (Binance's pre-snapshot diff arena) are allocated once
//!   at construction.
//! - **No panic on any input**: every byte access is checked; malformed, truncated or
//!   hostile input is an error.
//! - **Typed errors that name the field** ([`FeedError`]): a price off the tick is
//!   `Num { field: "b[].price", .. }`, a missing `u` is `MissingField("u")`, and so on.
//! - **A message that fails leaves the ladder unchanged**: snapshots are staged and
//!   installed only if valid; diffs run in an update transaction that rolls back on any
//!   error, on a sequence violation and on a stale (dropped) message.
//!
//! Prices and sizes are accepted as JSON strings or JSON numbers wherever venues send
//! either, and must be exact multiples of the instrument's tick and lot
//! ([`Step`](crate::num::Step)): input is never rounded.
//!
//! [`Ladder`]: crate::book::Ladder

pub mod binance;
pub mod bybit;
mod file;
pub mod hyperliquid;
mod json;
pub mod okx;

mod error;
mod levels;
mod replay;
mod tape;

pub use error::FeedError;
pub use file::{load_book_file, LoadedBook};
pub use json::{JsonError, Scanner};
pub use replay::{BookFeed, Format, NeverLive};
pub use tape::Tape;

#[cfg(test)]
pub(crate) mod test_util;

#[cfg(test)]
mod proptests;
