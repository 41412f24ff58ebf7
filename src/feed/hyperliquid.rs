//! Hyperliquid `l2Book`: every message is a full top-N snapshot (20 levels per side on the
//! websocket), so each one replaces the book, as [`Depth::Partial`].
//!
//! Accepted shapes (keys in any order, extra keys ignored):
//! - websocket `{"channel":"l2Book","data":{"coin":"BTC","time":…,"levels":[[bids],[asks]]}}`
//! - REST `{"coin":"BTC","levels":[[bids],[asks]],"time":…}`
//!
//! A level is `{"px":"105055.0","sz":"3.03622","n":5}` (`n`, the order count, is ignored and
//! may be absent); `levels[0]` holds the bids best first, `levels[1]` the asks best first.
//! `time` (ms) is used as the ladder's sequence number. Another `channel` (e.g. `trades`)
//! is [`FeedError::WrongType`]. No allocation; on any error the ladder is unchanged.

use crate::book::{Depth, Ladder, Side};
use crate::num::{Step, Text};

use super::json::Scanner;
use super::levels::{
    in_field, mark, number_text, stage_snapshot, string_field, u64_field, LevelSink, Names,
};
use super::FeedError;

const BIDS: Names = Names {
    array: "levels[0]",
    price: "levels[0][].px",
    qty: "levels[0][].sz",
};
const ASKS: Names = Names {
    array: "levels[1]",
    price: "levels[1][].px",
    qty: "levels[1][].sz",
};

/// Replaces the book in `ladder` with one `l2Book` message; returns its `time`.
pub fn apply_l2_book(
    ladder: &mut Ladder,
    tick: Step,
    lot: Step,
    bytes: &[u8],
) -> Result<u64, FeedError> {
    stage_snapshot(ladder, tick, lot, Depth::Partial, |sink| {
        walk_l2_book(bytes, sink)
    })
}

#[derive(Default)]
struct Found {
    time: Option<u64>,
    seen: u32,
}

/// Walks an `l2Book` message, handing its levels to `sink`; returns `time`.
pub(crate) fn walk_l2_book<S: LevelSink>(bytes: &[u8], sink: &mut S) -> Result<u64, FeedError> {
    let mut sc = Scanner::new(bytes);
    let mut f = Found::default();
    book_object(&mut sc, sink, &mut f, false)?;
    sc.finish()?;
    if f.seen & 8 == 0 {
        return Err(FeedError::MissingField("levels"));
    }
    f.time.ok_or(FeedError::MissingField("time"))
}

/// The envelope or the book object; both are read by the same loop.
fn book_object<S: LevelSink>(
    sc: &mut Scanner<'_>,
    sink: &mut S,
    f: &mut Found,
    nested: bool,
) -> Result<(), FeedError> {
    match sc.begin_object() {
        Err(e) if nested => return Err(in_field("data")(e)),
        r => r?,
    }
    while let Some(key) = sc.next_key()? {
        match key {
            b"channel" if !nested => {
                mark(&mut f.seen, 1, "channel")?;
                let got = string_field(sc, "channel")?;
                if got != b"l2Book" {
                    return Err(FeedError::WrongType {
                        expected: "l2Book",
                        got: Text::new(got),
                    });
                }
            }
            b"data" if !nested => {
                mark(&mut f.seen, 2, "data")?;
                book_object(sc, sink, f, true)?;
            }
            b"time" => {
                mark(&mut f.seen, 4, "time")?;
                f.time = Some(u64_field(sc, "time")?);
            }
            b"levels" => {
                mark(&mut f.seen, 8, "levels")?;
                levels(sc, sink)?;
            }
            _ => sc.skip_value()?,
        }
    }
    Ok(())
}

/// `[[bids…],[asks…]]`: exactly two arrays.
fn levels<S: LevelSink>(sc: &mut Scanner<'_>, sink: &mut S) -> Result<(), FeedError> {
    let two = FeedError::Shape {
        field: "levels",
        expected: "two arrays (bids, asks)",
    };
    sc.begin_array().map_err(in_field("levels"))?;
    for (side, names) in [(Side::Bid, BIDS), (Side::Ask, ASKS)] {
        if !sc.next_element()? {
            return Err(two);
        }
        side_levels(sc, side, names, sink)?;
    }
    if sc.next_element()? {
        return Err(two);
    }
    Ok(())
}

fn side_levels<S: LevelSink>(
    sc: &mut Scanner<'_>,
    side: Side,
    n: Names,
    sink: &mut S,
) -> Result<(), FeedError> {
    sc.begin_array().map_err(in_field(n.array))?;
    while sc.next_element()? {
        sc.begin_object().map_err(in_field(n.array))?;
        let (mut px, mut sz) = (None, None);
        while let Some(key) = sc.next_key()? {
            match key {
                b"px" if px.is_none() => px = Some(number_text(sc, n.price)?),
                b"sz" if sz.is_none() => sz = Some(number_text(sc, n.qty)?),
                b"px" => return Err(FeedError::DuplicateField(n.price)),
                b"sz" => return Err(FeedError::DuplicateField(n.qty)),
                _ => sc.skip_value()?,
            }
        }
        let px = px.ok_or(FeedError::MissingField(n.price))?;
        let sz = sz.ok_or(FeedError::MissingField(n.qty))?;
        sink.level(side, n, px, sz)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
