//! Preallocated order-book ladders with integrity rules.
//!
//! A [`Ladder`] holds both sides of one instrument's book as `i64` prices in ticks and
//! sizes in lots (see [`crate::num::Step`]). Its capacity per side is fixed by
//! [`Ladder::new`]; nothing is allocated afterwards. Each side is indexed by price near
//! the touch (a window of sizes indexed by 16-bit offset, beside its sorted offsets) and
//! a sorted array below it, so the levels that change most are found and resized with no
//! search, and walks still read sorted keys best first (`indexed`); `benches/book.rs`
//! and the peers' table in PERF.md measure it.
//!
//! Invariants, after every public call:
//! - each side is strictly sorted, best last, with every size in `1 ..= MAX_UNITS`;
//! - the book is not crossed (best bid < best ask when both exist);
//! - a call that returns `Err` has changed nothing (snapshots are staged in scratch
//!   arrays, updates run in a [`Update`] transaction that rolls back on error or drop);
//!   a refused level poisons its snapshot or transaction, so `commit` refuses too;
//! - when a side is full, the farthest level is dropped and everything at or beyond it is
//!   marked unknown; updates there are ignored and walks report reaching unknown depth.
//!
//! Sequence rules differ per venue and live in [`crate::feed`]; the ladder keeps the last
//! applied sequence number.

mod error;
mod half;
mod indexed;
mod ladder;

pub use error::BookError;
pub(crate) use indexed::SideView;
#[cfg(test)]
pub(crate) use indexed::{DENSE, W};
pub use ladder::{Depth, Ladder, Level, Snapshot, Update};

use core::fmt;

/// A side of the book, or of an order (a buy takes from the asks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Bids: buyers' resting orders, best = highest price.
    Bid,
    /// Asks: sellers' resting orders, best = lowest price.
    Ask,
}

impl Side {
    /// The other side.
    pub const fn opposite(self) -> Side {
        match self {
            Side::Bid => Side::Ask,
            Side::Ask => Side::Bid,
        }
    }
}

/// The side of an order: a buy takes liquidity from the asks, a sell from the bids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderSide {
    /// Buy: walks the asks upward.
    Buy,
    /// Sell: walks the bids downward.
    Sell,
}

impl OrderSide {
    /// The book side this order takes from.
    pub const fn takes_from(self) -> Side {
        match self {
            OrderSide::Buy => Side::Ask,
            OrderSide::Sell => Side::Bid,
        }
    }

    /// The other direction (an unwind of a buy is a sell).
    pub const fn opposite(self) -> OrderSide {
        match self {
            OrderSide::Buy => OrderSide::Sell,
            OrderSide::Sell => OrderSide::Buy,
        }
    }

    /// Parses `buy` or `sell` (lower case, as the CLI and reports write them).
    pub fn parse(text: &str) -> Option<OrderSide> {
        match text {
            "buy" => Some(OrderSide::Buy),
            "sell" => Some(OrderSide::Sell),
            _ => None,
        }
    }

    /// `buy` or `sell`.
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderSide::Buy => "buy",
            OrderSide::Sell => "sell",
        }
    }
}

impl fmt::Display for OrderSide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Bid => "bid",
            Side::Ask => "ask",
        })
    }
}
