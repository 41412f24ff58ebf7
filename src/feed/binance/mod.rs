//! Binance spot and USDⓈ-M / COIN-M futures depth: the REST snapshot, the `depthUpdate`
//! diff stream, `bookTicker`, the snapshot-plus-diffs sync rules, and a replay driver for
//! hftbacktest capture files.
//!
//! Messages read (prices and sizes as JSON strings or numbers; extra keys ignored):
//! - REST snapshot `{"lastUpdateId":…,"E":…,"T":…,"bids":[["p","q"],…],"asks":[…]}`
//!   ([`apply_depth_snapshot`]); COIN-M adds `"symbol"`, `"pair"`. It is the top N levels,
//!   so it is installed as [`Depth::Partial`]: diff levels beyond its farthest level are
//!   ignored by the ladder, and a walk reaching there reports unknown depth.
//! - Diff `{"stream":"…","data":{"e":"depthUpdate","E":…,"T":…,"s":…,"U":…,"u":…,"pu":…,
//!   "b":[…],"a":[…]}}` or the bare `data` object ([`decode_depth`]). Spot has no `pu`/`T`.
//! - `bookTicker` ([`decode_book_ticker`]), futures with `"e":"bookTicker"`, spot without.
//!
//! [`BinanceSync`] applies Binance's documented rules (see its doc); a diff that breaks
//! them is a [`BookError::SequenceGap`](crate::book::BookError::SequenceGap) and changes
//! nothing. A diff is decoded straight into a ladder [`Update`] transaction; if the message
//! is stale, malformed, crossed or out of sequence the transaction rolls back.

mod capture;
mod sync;
mod ticker;

pub use capture::{classify, split_line, LineKind, Replay, ReplayConfig, ReplayStats};
pub use sync::{BinanceSync, Market, Outcome, SyncState};
pub use ticker::{decode_book_ticker, BookTicker};

use crate::book::{Depth, Ladder, Side, Update};
use crate::num::{Step, Text};

use super::json::Scanner;
use super::levels::{
    mark, pair_levels, stage_snapshot, string_field, u64_field, LevelSink, Names, UpdateSink,
};
use super::FeedError;

const BIDS: Names = Names {
    array: "bids",
    price: "bids[].price",
    qty: "bids[].qty",
};
const ASKS: Names = Names {
    array: "asks",
    price: "asks[].price",
    qty: "asks[].qty",
};
const DIFF_B: Names = Names {
    array: "b",
    price: "b[].price",
    qty: "b[].qty",
};
const DIFF_A: Names = Names {
    array: "a",
    price: "a[].price",
    qty: "a[].qty",
};

/// Replaces the book in `ladder` with a REST depth snapshot and returns its
/// `lastUpdateId` (also stored as the ladder's sequence number).
///
/// The snapshot is staged and installed as [`Depth::Partial`] only if every level is valid
/// and the book is not crossed; on any error the ladder is unchanged.
pub fn apply_depth_snapshot(
    ladder: &mut Ladder,
    tick: Step,
    lot: Step,
    bytes: &[u8],
) -> Result<u64, FeedError> {
    apply_depth_snapshot_as(ladder, tick, lot, bytes, Depth::Partial)
}

/// [`apply_depth_snapshot`] with an explicit [`Depth`].
///
/// `Depth::Complete` claims that nothing rests beyond the snapshot's farthest level, which a
/// REST snapshot does not say; it makes the ladder keep every later diff level (as a full
/// replay of the diff stream does) instead of marking that region unknown. Use it only
/// where that is the intent (replays compared with a reference that does the same).
pub fn apply_depth_snapshot_as(
    ladder: &mut Ladder,
    tick: Step,
    lot: Step,
    bytes: &[u8],
    depth: Depth,
) -> Result<u64, FeedError> {
    stage_snapshot(ladder, tick, lot, depth, |sink| walk_snapshot(bytes, sink))
}

/// Walks a REST depth snapshot, handing its levels to `sink`; returns `lastUpdateId`.
pub(crate) fn walk_snapshot<S: LevelSink>(bytes: &[u8], sink: &mut S) -> Result<u64, FeedError> {
    let mut sc = Scanner::new(bytes);
    sc.begin_object()?;
    let mut id = None;
    let mut seen = 0u32;
    while let Some(key) = sc.next_key()? {
        match key {
            b"lastUpdateId" => {
                mark(&mut seen, 1, "lastUpdateId")?;
                id = Some(u64_field(&mut sc, "lastUpdateId")?);
            }
            b"bids" => {
                mark(&mut seen, 2, "bids")?;
                pair_levels(&mut sc, Side::Bid, BIDS, sink)?;
            }
            b"asks" => {
                mark(&mut seen, 4, "asks")?;
                pair_levels(&mut sc, Side::Ask, ASKS, sink)?;
            }
            _ => sc.skip_value()?,
        }
    }
    sc.finish()?;
    if seen & 2 == 0 {
        return Err(FeedError::MissingField("bids"));
    }
    if seen & 4 == 0 {
        return Err(FeedError::MissingField("asks"));
    }
    id.ok_or(FeedError::MissingField("lastUpdateId"))
}

/// The sequence fields of one `depthUpdate` diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthHeader {
    /// `U`: first update id in the event.
    pub first_id: u64,
    /// `u`: last update id in the event (the ladder's sequence number once applied).
    pub last_id: u64,
    /// `pu`: the previous event's `u` (futures only; spot diffs have none).
    pub prev_last_id: Option<u64>,
}

/// Decodes one `depthUpdate` diff (in the combined-stream envelope or bare) into the
/// update transaction `tx`, and returns its sequence fields.
///
/// The levels are set in `tx` as they are read; nothing is checked against any sequence
/// rule here (that is [`BinanceSync`]'s job). The caller commits `tx` or drops it to roll
/// back; on `Err` the caller must drop it.
pub fn decode_depth(
    tx: &mut Update<'_>,
    tick: Step,
    lot: Step,
    bytes: &[u8],
) -> Result<DepthHeader, FeedError> {
    let mut sc = Scanner::new(bytes);
    let mut sink = UpdateSink { tx, tick, lot };
    let mut h = PartialHeader::default();
    depth_object(&mut sc, &mut sink, &mut h, false)?;
    sc.finish()?;
    if h.seen & 32 == 0 {
        return Err(FeedError::MissingField("b"));
    }
    if h.seen & 64 == 0 {
        return Err(FeedError::MissingField("a"));
    }
    Ok(DepthHeader {
        first_id: h.first.ok_or(FeedError::MissingField("U"))?,
        last_id: h.last.ok_or(FeedError::MissingField("u"))?,
        prev_last_id: h.prev,
    })
}

/// Reads only the sequence fields of a diff (levels are scanned as JSON, not parsed).
/// Used before the first applied diff, the only time a diff can be stale, so that a
/// stale diff is dropped without decoding its levels.
pub fn depth_header(bytes: &[u8]) -> Result<DepthHeader, FeedError> {
    let mut sc = Scanner::new(bytes);
    let mut h = PartialHeader::default();
    depth_object(&mut sc, &mut SkipLevels, &mut h, false)?;
    sc.finish()?;
    Ok(DepthHeader {
        first_id: h.first.ok_or(FeedError::MissingField("U"))?,
        last_id: h.last.ok_or(FeedError::MissingField("u"))?,
        prev_last_id: h.prev,
    })
}

/// A level sink that ignores the levels.
struct SkipLevels;

impl LevelSink for SkipLevels {
    fn level(&mut self, _: Side, _: Names, _: &[u8], _: &[u8]) -> Result<(), FeedError> {
        Ok(())
    }
}

#[derive(Default)]
struct PartialHeader {
    first: Option<u64>,
    last: Option<u64>,
    prev: Option<u64>,
    seen: u32,
}

/// One object of a diff: the envelope (`stream`, `data`) or the event itself. Both are read
/// by the same loop, so a bare event and an enveloped one decode alike.
fn depth_object<S: LevelSink>(
    sc: &mut Scanner<'_>,
    sink: &mut S,
    h: &mut PartialHeader,
    nested: bool,
) -> Result<(), FeedError> {
    sc.begin_object()?;
    while let Some(key) = sc.next_key()? {
        match key {
            b"data" if !nested => {
                mark(&mut h.seen, 1, "data")?;
                depth_object(sc, sink, h, true)?;
            }
            b"e" => {
                mark(&mut h.seen, 2, "e")?;
                expect_event(string_field(sc, "e")?, "depthUpdate")?;
            }
            b"U" => {
                mark(&mut h.seen, 4, "U")?;
                h.first = Some(u64_field(sc, "U")?);
            }
            b"u" => {
                mark(&mut h.seen, 8, "u")?;
                h.last = Some(u64_field(sc, "u")?);
            }
            b"pu" => {
                mark(&mut h.seen, 16, "pu")?;
                h.prev = Some(u64_field(sc, "pu")?);
            }
            b"b" => {
                mark(&mut h.seen, 32, "b")?;
                pair_levels(sc, Side::Bid, DIFF_B, sink)?;
            }
            b"a" => {
                mark(&mut h.seen, 64, "a")?;
                pair_levels(sc, Side::Ask, DIFF_A, sink)?;
            }
            _ => sc.skip_value()?,
        }
    }
    Ok(())
}

/// `WrongType` unless the event name `got` is `expected`.
pub(crate) fn expect_event(got: &[u8], expected: &'static str) -> Result<(), FeedError> {
    if got == expected.as_bytes() {
        return Ok(());
    }
    Err(FeedError::WrongType {
        expected,
        got: Text::new(got),
    })
}

#[cfg(test)]
mod tests;
