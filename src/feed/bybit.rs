//! Bybit v5 public `orderbook.N` stream (spot, linear, inverse), and Bybit's history-data
//! files, which hold the same messages one per line.
//!
//! Message: `{"topic":"orderbook.500.XRPUSDT","type":"snapshot"|"delta","ts":…,
//! "data":{"s":"XRPUSDT","b":[["p","q"],…],"a":[…],"u":…,"seq":…},"cts":…}`; prices and
//! sizes as strings or numbers, a size of 0 deletes a level.
//!
//! Rules ([`BybitSync`]):
//! - a `snapshot` replaces the book, as [`Depth::Partial`] (it is the top-N window); this
//!   includes the `u = 1` snapshot Bybit sends after a service restart;
//! - a `delta` must have `u == previous u + 1`, else it is a
//!   [`BookError::SequenceGap`] (nothing applied) and the sync waits for a new snapshot.
//!
//! Window note: Bybit also sends size `"0"` when a level merely *leaves* the N-level window
//! (the book stays at N levels per side); that is applied as a delete, so the far end of
//! the window can show less depth than the venue holds. Levels entering the window beyond
//! the snapshot's farthest level are ignored by the ladder (unknown depth).
//!
//! The message's `type` is read first (it precedes `data` in every Bybit message; if it
//! does not, a second scan finds it), then the levels go straight into a staged snapshot or
//! an update transaction. No allocation; on any error the ladder is unchanged.

use crate::book::{BookError, Depth, Ladder, Side};
use crate::num::{Step, Text};

use super::json::Scanner;
use super::levels::{
    in_field, mark, pair_levels, stage_snapshot, string_field, u64_field, LevelSink, Names,
    UpdateSink,
};
use super::FeedError;

const BIDS: Names = Names {
    array: "data.b",
    price: "data.b[].price",
    qty: "data.b[].qty",
};
const ASKS: Names = Names {
    array: "data.a",
    price: "data.a[].price",
    qty: "data.a[].qty",
};

/// The `type` of an `orderbook` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    /// A full window: replaces the book.
    Snapshot,
    /// Changes since the previous message.
    Delta,
}

/// What one message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BybitOutcome {
    /// A snapshot replaced the book; `u` is its update id.
    Snapshot {
        /// `data.u`.
        u: u64,
    },
    /// A delta was applied; `u` is its update id.
    Delta {
        /// `data.u`.
        u: u64,
    },
}

/// Reads the message's `type` (stops as soon as it is found).
pub fn message_type(bytes: &[u8]) -> Result<MessageType, FeedError> {
    let mut sc = Scanner::new(bytes);
    sc.begin_object()?;
    while let Some(key) = sc.next_key()? {
        if key != b"type" {
            sc.skip_value()?;
            continue;
        }
        return match string_field(&mut sc, "type")? {
            b"snapshot" => Ok(MessageType::Snapshot),
            b"delta" => Ok(MessageType::Delta),
            got => Err(FeedError::WrongType {
                expected: "snapshot or delta",
                got: Text::new(got),
            }),
        };
    }
    Err(FeedError::MissingField("type"))
}

/// Walks one message, handing its levels to `sink`; returns `data.u`.
pub(crate) fn walk_message<S: LevelSink>(bytes: &[u8], sink: &mut S) -> Result<u64, FeedError> {
    let mut sc = Scanner::new(bytes);
    sc.begin_object()?;
    let mut u = None;
    let mut seen = 0u32;
    while let Some(key) = sc.next_key()? {
        match key {
            b"topic" => {
                mark(&mut seen, 1, "topic")?;
                let topic = string_field(&mut sc, "topic")?;
                if !topic.starts_with(b"orderbook.") {
                    let expected = "an orderbook.N.SYMBOL topic";
                    return Err(FeedError::WrongType {
                        expected,
                        got: Text::new(topic),
                    });
                }
            }
            b"data" => {
                mark(&mut seen, 2, "data")?;
                u = Some(data_object(&mut sc, sink)?);
            }
            _ => sc.skip_value()?,
        }
    }
    sc.finish()?;
    if seen & 1 == 0 {
        return Err(FeedError::MissingField("topic"));
    }
    u.ok_or(FeedError::MissingField("data"))
}

fn data_object<S: LevelSink>(sc: &mut Scanner<'_>, sink: &mut S) -> Result<u64, FeedError> {
    sc.begin_object().map_err(in_field("data"))?;
    let mut u = None;
    let mut seen = 0u32;
    while let Some(key) = sc.next_key()? {
        match key {
            b"b" => {
                mark(&mut seen, 1, "data.b")?;
                pair_levels(sc, Side::Bid, BIDS, sink)?;
            }
            b"a" => {
                mark(&mut seen, 2, "data.a")?;
                pair_levels(sc, Side::Ask, ASKS, sink)?;
            }
            b"u" => {
                mark(&mut seen, 4, "data.u")?;
                u = Some(u64_field(sc, "data.u")?);
            }
            _ => sc.skip_value()?,
        }
    }
    if seen & 1 == 0 {
        return Err(FeedError::MissingField("data.b"));
    }
    if seen & 2 == 0 {
        return Err(FeedError::MissingField("data.a"));
    }
    u.ok_or(FeedError::MissingField("data.u"))
}

/// Replaces the book with a `snapshot` message (a `delta` is `WrongType`); returns `u`.
pub fn apply_snapshot(
    ladder: &mut Ladder,
    tick: Step,
    lot: Step,
    bytes: &[u8],
) -> Result<u64, FeedError> {
    if message_type(bytes)? != MessageType::Snapshot {
        return Err(FeedError::WrongType {
            expected: "snapshot",
            got: Text::new(b"delta"),
        });
    }
    install_snapshot(ladder, tick, lot, bytes)
}

/// Stages and installs a message already known to be a snapshot.
fn install_snapshot(
    ladder: &mut Ladder,
    tick: Step,
    lot: Step,
    bytes: &[u8],
) -> Result<u64, FeedError> {
    stage_snapshot(ladder, tick, lot, Depth::Partial, |sink| {
        walk_message(bytes, sink)
    })
}

/// Bybit's sequence rule for one book (see the [module doc](self)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BybitSync {
    last_u: Option<u64>,
}

impl BybitSync {
    /// A sync waiting for its first snapshot.
    pub fn new() -> BybitSync {
        BybitSync { last_u: None }
    }

    /// `u` of the last applied message, or `None` before a snapshot and after a gap.
    pub fn last_u(&self) -> Option<u64> {
        self.last_u
    }

    /// Applies one `orderbook` message to `ladder`.
    ///
    /// A delta before any snapshot (or after a gap) is [`FeedError::NoSnapshot`]; a delta
    /// out of sequence is a `SequenceGap` and the sync then waits for a snapshot. On any
    /// `Err` the ladder is unchanged.
    pub fn apply(
        &mut self,
        ladder: &mut Ladder,
        tick: Step,
        lot: Step,
        bytes: &[u8],
    ) -> Result<BybitOutcome, FeedError> {
        if message_type(bytes)? == MessageType::Snapshot {
            let u = install_snapshot(ladder, tick, lot, bytes)?;
            self.last_u = Some(u);
            return Ok(BybitOutcome::Snapshot { u });
        }
        let last = self.last_u.ok_or(FeedError::NoSnapshot)?;
        let mut tx = ladder.update();
        let u = walk_message(
            bytes,
            &mut UpdateSink {
                tx: &mut tx,
                tick,
                lot,
            },
        )?;
        let expected = last.saturating_add(1);
        if u != expected {
            self.last_u = None;
            return Err(BookError::SequenceGap { expected, got: u }.into());
        }
        tx.commit(u)?;
        self.last_u = Some(u);
        Ok(BybitOutcome::Delta { u })
    }
}

#[cfg(test)]
mod tests;
