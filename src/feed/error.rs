//! [`FeedError`]: why a venue message or a book file was rejected.
//!
//! Every variant is `Copy` and allocation-free (text is kept inline as a
//! [`Text`](crate::num::Text)), so the decoders can return one on the hot path. After any of
//! them the ladder the message was meant for is exactly as it was before the call.

use crate::book::{BookError, Side};
use crate::num::{NumError, Text};

use super::json::JsonError;

/// Why a feed message or book file was rejected. The ladder is unchanged after any of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    /// The bytes are not the JSON expected here (syntax, truncation, a value of the wrong
    /// JSON type, trailing bytes). Check that the whole message was received and is JSON.
    #[error("malformed JSON: {0}")]
    Json(#[from] JsonError),
    /// A known field holds a value of the wrong JSON type (e.g. an object where a price
    /// belongs, letters where an id belongs, an id past `u64`), or the message ends inside
    /// it. The message is not in the format this decoder reads, or was cut.
    #[error("field `{field}`: {source}")]
    Value {
        /// The JSON field.
        field: &'static str,
        /// What the scanner rejected.
        source: JsonError,
    },
    /// A price, size or step field holds text that is not an exact, in-range multiple of
    /// the instrument's tick or lot (or is negative, NaN, infinite). Check the tick/lot
    /// configured for the instrument, or the producer of the field.
    #[error("field `{field}`: {source}")]
    Num {
        /// The JSON field, e.g. `b[].price`.
        field: &'static str,
        /// What the number layer rejected.
        source: NumError,
    },
    /// The book refused the message (crossed, unsorted, duplicate, zero size, sequence
    /// gap, too many levels for the update log). A `SequenceGap` means: resynchronise from
    /// a new snapshot; the others mean the message or the configured capacity is wrong.
    #[error("book rejected the message: {0}")]
    Book(#[from] BookError),
    /// A field the message must carry is absent. The message is not of the expected kind
    /// or was cut; check the subscription and the producer.
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    /// A field appears twice in one object, so its meaning is ambiguous. Reject the message.
    #[error("field `{0}` appears twice")]
    DuplicateField(&'static str),
    /// A field has the right JSON type but the wrong shape (a level that is not a
    /// `[price, size]` pair, `levels` that is not two arrays).
    /// The message is not in the format this decoder reads.
    #[error("field `{field}` is not {expected}")]
    Shape {
        /// The JSON field.
        field: &'static str,
        /// What it had to be.
        expected: &'static str,
    },
    /// The message is of another kind than the decoder reads (e.g. a `trade` event given to
    /// the depth decoder, a Bybit `delta` where a snapshot is required). Route it to the
    /// right decoder or skip it.
    #[error("wrong message type: expected {expected}, got {got}")]
    WrongType {
        /// The kind this decoder reads.
        expected: &'static str,
        /// The kind (event name, channel, type) the message announced.
        got: Text,
    },
    /// A delta arrived before any snapshot, or after a sequence gap, so there is no book to
    /// apply it to. Fetch or wait for a snapshot first.
    #[error("no snapshot yet: a delta cannot be applied before a snapshot")]
    NoSnapshot,
    /// The buffer that holds Binance diffs until the REST snapshot arrives is full (bytes or
    /// message slots, fixed at construction). Fetch the snapshot sooner, or construct the
    /// sync with a larger buffer; then resynchronise.
    #[error("diff buffer full ({bytes} bytes, {messages} messages preallocated)")]
    BufferFull {
        /// Byte capacity of the arena.
        bytes: usize,
        /// Message-slot capacity.
        messages: usize,
    },
    /// The venue's checksum of its top levels (OKX: CRC32 of the top 25 per side) does
    /// not match the book after this message: the book has drifted from the venue (a
    /// message lost or misapplied). Nothing is applied; the book is stale until the next
    /// snapshot (a live client resubscribes for one).
    #[error("checksum mismatch: the venue sent {expected}, the book gives {computed}")]
    ChecksumMismatch {
        /// The message's `checksum`.
        expected: i32,
        /// The same checksum over the book with the message applied.
        computed: i32,
    },
    /// The checksum covers more levels of `side` than the ladder knows (it holds `known`
    /// and depth past them is unknown: the ladder is smaller than the venue's window), so
    /// it cannot be verified. Give the book more levels per side.
    #[error("checksum not verifiable: the ladder knows only {known} {side} levels")]
    ChecksumDepth {
        /// The side cut short.
        side: Side,
        /// Levels the ladder holds on it.
        known: usize,
    },
    /// `load_book_file` could not recognise the input as any supported book format.
    /// Supported: a Binance REST depth snapshot, a Hyperliquid `l2Book` (REST object or
    /// websocket envelope), a Bybit v5 `orderbook` snapshot line.
    #[error("unknown book format: {0}")]
    UnknownFormat(&'static str),
    /// A book for analysis has no level on one side; both sides are required. Check that the
    /// file is a full two-sided book.
    #[error("the {0} side of the book is empty")]
    EmptySide(Side),
}

impl FeedError {
    /// Wraps a [`NumError`] met while reading `field`.
    pub(crate) fn num(field: &'static str) -> impl FnOnce(NumError) -> FeedError {
        move |source| FeedError::Num { field, source }
    }

    /// True for a sequence gap (the caller must resynchronise from a snapshot).
    pub fn is_gap(&self) -> bool {
        matches!(self, FeedError::Book(BookError::SequenceGap { .. }))
    }

    /// True for a crossed-book rejection.
    pub fn is_crossed(&self) -> bool {
        matches!(self, FeedError::Book(BookError::Crossed { .. }))
    }
}
