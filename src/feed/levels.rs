//! Level plumbing shared by the venue decoders.
//!
//! A decoder walks a message with the [`Scanner`] and hands each `(side, price, size)` text
//! triple to a [`LevelSink`]: straight into a ladder [`Snapshot`] or [`Update`], or (for the
//! file loader) into a [`DecimalsSink`] that only measures how many decimals are written.
//! Nothing is collected in between, so the hot-path sinks allocate nothing.

use crate::book::{Depth, Ladder, Side, Snapshot, Update};
use crate::num::{Decimal, Step};

use super::json::{JsonError, Scalar, Scanner};
use super::FeedError;

/// Field names used in errors for the price and size of one level.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Names {
    /// The array of levels, e.g. `b`.
    pub array: &'static str,
    /// The price field, e.g. `b[].price`.
    pub price: &'static str,
    /// The size field, e.g. `b[].qty`.
    pub qty: &'static str,
}

/// Receives the levels of a message as text, in message order.
pub(crate) trait LevelSink {
    /// One level: `price` and `qty` are the decimal texts (JSON string contents or number
    /// literals).
    fn level(
        &mut self,
        side: Side,
        names: Names,
        price: &[u8],
        qty: &[u8],
    ) -> Result<(), FeedError>;
}

/// Parses `price` and `qty` as whole ticks and lots.
#[inline]
fn units(
    tick: Step,
    lot: Step,
    n: Names,
    price: &[u8],
    qty: &[u8],
) -> Result<(i64, i64), FeedError> {
    let p = tick.parse_units(price).map_err(FeedError::num(n.price))?;
    let q = lot.parse_units(qty).map_err(FeedError::num(n.qty))?;
    Ok((p, q))
}

/// Pushes levels into a staged snapshot (each side best first).
pub(crate) struct SnapshotSink<'s, 'l> {
    pub snap: &'s mut Snapshot<'l>,
    pub tick: Step,
    pub lot: Step,
}

impl LevelSink for SnapshotSink<'_, '_> {
    #[inline]
    fn level(&mut self, side: Side, n: Names, price: &[u8], qty: &[u8]) -> Result<(), FeedError> {
        let (p, q) = units(self.tick, self.lot, n, price, qty)?;
        Ok(self.snap.push(side, p, q)?)
    }
}

/// Stages a snapshot from `walk` (which hands it the message's levels and returns the
/// message's sequence number) and installs it as `depth`; on any error nothing changes.
pub(crate) fn stage_snapshot(
    ladder: &mut Ladder,
    tick: Step,
    lot: Step,
    depth: Depth,
    walk: impl FnOnce(&mut SnapshotSink<'_, '_>) -> Result<u64, FeedError>,
) -> Result<u64, FeedError> {
    let mut snap = ladder.snapshot();
    let mut sink = SnapshotSink {
        snap: &mut snap,
        tick,
        lot,
    };
    let seq = walk(&mut sink)?;
    snap.commit(seq, depth)?;
    Ok(seq)
}

/// Sets levels in an update transaction (absolute sizes, 0 deletes).
pub(crate) struct UpdateSink<'s, 'l> {
    pub tx: &'s mut Update<'l>,
    pub tick: Step,
    pub lot: Step,
}

impl LevelSink for UpdateSink<'_, '_> {
    #[inline]
    fn level(&mut self, side: Side, n: Names, price: &[u8], qty: &[u8]) -> Result<(), FeedError> {
        let (p, q) = units(self.tick, self.lot, n, price, qty)?;
        Ok(self.tx.set(side, p, q)?)
    }
}

/// Records the largest number of decimals written among prices and among sizes (for the
/// file loader's tick and lot inference), and counts the levels of each side (to size
/// its ladder).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct DecimalsSink {
    pub price_dp: u8,
    pub qty_dp: u8,
    pub bids: usize,
    pub asks: usize,
}

impl LevelSink for DecimalsSink {
    fn level(&mut self, side: Side, n: Names, price: &[u8], qty: &[u8]) -> Result<(), FeedError> {
        let p = Decimal::parse_bytes(price).map_err(FeedError::num(n.price))?;
        let q = Decimal::parse_bytes(qty).map_err(FeedError::num(n.qty))?;
        self.price_dp = self.price_dp.max(p.written_dp());
        self.qty_dp = self.qty_dp.max(q.written_dp());
        match side {
            Side::Bid => self.bids += 1,
            Side::Ask => self.asks += 1,
        }
        Ok(())
    }
}

/// The text of a price or size that may be a JSON string or a JSON number.
#[inline]
pub(crate) fn number_text<'a>(
    sc: &mut Scanner<'a>,
    field: &'static str,
) -> Result<&'a [u8], FeedError> {
    match sc.scalar() {
        Ok(Scalar::Str(s)) | Ok(Scalar::Num(s)) => Ok(s),
        Err(e) => Err(FeedError::Value { field, source: e }),
    }
}

/// Reads a `[[price, size], …]` array and hands every pair to `sink`.
///
/// A level with fewer or more than two elements is a [`FeedError::Shape`] error.
#[inline]
pub(crate) fn pair_levels<S: LevelSink>(
    sc: &mut Scanner<'_>,
    side: Side,
    n: Names,
    sink: &mut S,
) -> Result<(), FeedError> {
    sc.begin_array().map_err(in_field(n.array))?;
    while sc.next_element()? {
        sc.begin_array().map_err(in_field(n.array))?;
        let pair = "a [price, size] pair";
        if !sc.next_element()? {
            return Err(FeedError::Shape {
                field: n.price,
                expected: pair,
            });
        }
        let price = number_text(sc, n.price)?;
        if !sc.next_element()? {
            return Err(FeedError::Shape {
                field: n.qty,
                expected: pair,
            });
        }
        let qty = number_text(sc, n.qty)?;
        if sc.next_element()? {
            return Err(FeedError::Shape {
                field: n.qty,
                expected: pair,
            });
        }
        sink.level(side, n, price, qty)?;
    }
    Ok(())
}

/// Reads a JSON string field's contents.
#[inline]
pub(crate) fn string_field<'a>(
    sc: &mut Scanner<'a>,
    field: &'static str,
) -> Result<&'a [u8], FeedError> {
    sc.string().map_err(in_field(field))
}

/// Reads an unsigned integer field (sequence ids, times).
#[inline]
pub(crate) fn u64_field(sc: &mut Scanner<'_>, field: &'static str) -> Result<u64, FeedError> {
    sc.u64().map_err(in_field(field))
}

/// Wraps a scanner error met while reading the value of `field`.
#[inline]
pub(crate) fn in_field(field: &'static str) -> impl FnOnce(JsonError) -> FeedError {
    move |source| FeedError::Value { field, source }
}

/// Records that `bit` was seen in `seen`, or returns `DuplicateField(name)`.
#[inline]
pub(crate) fn mark(seen: &mut u32, bit: u32, name: &'static str) -> Result<(), FeedError> {
    if *seen & bit != 0 {
        return Err(FeedError::DuplicateField(name));
    }
    *seen |= bit;
    Ok(())
}
