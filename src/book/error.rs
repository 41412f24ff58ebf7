//! Book integrity errors. Every one leaves the ladder exactly as it was before the call.

use super::Side;

/// Why a snapshot or update was refused. The ladder is unchanged after any of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    /// The best bid would be at or above the best ask. Resynchronise from a snapshot.
    #[error("crossed book: best bid {bid_ticks} >= best ask {ask_ticks} (ticks)")]
    Crossed {
        /// Best bid price in ticks.
        bid_ticks: i64,
        /// Best ask price in ticks.
        ask_ticks: i64,
    },
    /// Snapshot levels of one side are not in best-first order.
    #[error("unsorted snapshot: {side} level {index} at {price_ticks} ticks is out of order")]
    Unsorted {
        /// The side.
        side: Side,
        /// Position of the offending level in the input (0 = first).
        index: usize,
        /// Its price in ticks.
        price_ticks: i64,
    },
    /// The same price appears twice on one side of a snapshot.
    #[error("duplicate {side} level at {price_ticks} ticks in snapshot")]
    Duplicate {
        /// The side.
        side: Side,
        /// The repeated price in ticks.
        price_ticks: i64,
    },
    /// A snapshot level with size zero (a snapshot lists only resting liquidity).
    #[error("zero size for {side} level at {price_ticks} ticks in snapshot")]
    ZeroSize {
        /// The side.
        side: Side,
        /// The price in ticks.
        price_ticks: i64,
    },
    /// A price of zero, below zero, or past `MAX_UNITS` ticks.
    #[error("price {price_ticks} ticks out of range 1..=10^15")]
    PriceRange {
        /// The price in ticks.
        price_ticks: i64,
    },
    /// A size below zero or past `MAX_UNITS` lots.
    #[error("size {qty_lots} lots out of range 0..=10^15")]
    SizeRange {
        /// The size in lots.
        qty_lots: i64,
    },
    /// An update does not follow the last applied one. Resynchronise from a snapshot.
    #[error("sequence gap: expected {expected}, got {got}")]
    SequenceGap {
        /// What the venue's rule required next.
        expected: u64,
        /// What arrived.
        got: u64,
    },
    /// One update touches more levels than the ladder's undo log holds (set at construction).
    #[error("update touches more than {capacity} levels")]
    UpdateTooLarge {
        /// The undo-log capacity.
        capacity: usize,
    },
}
