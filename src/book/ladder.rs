//! [`Ladder`]: both sides of a book, snapshot staging and update transactions.

use super::half::{Change, Half, NO_FLOOR};
use super::indexed::{Indexed, SideView};
use super::{BookError, Side};
use crate::num::MAX_UNITS;

/// One price level: price in ticks, size in lots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Level {
    /// Price in ticks of the instrument.
    pub price_ticks: i64,
    /// Resting size in lots of the instrument.
    pub qty_lots: i64,
}

/// Whether a snapshot is the whole book or only its top levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Every resting level is listed: beyond the last one there is nothing.
    Complete,
    /// Only the top levels are listed (a top-N feed or a REST `limit`): beyond the last
    /// listed level depth is unknown, and a walk that gets there says so.
    Partial,
}

#[derive(Debug, Clone, Copy)]
struct UndoOp {
    side: Side,
    key: i64,
    change: Change,
}

/// A preallocated two-sided order book for one instrument. See the [module doc](super).
#[derive(Debug, Clone)]
pub struct Ladder {
    bids: Indexed,
    asks: Indexed,
    stage_bids: Half,
    stage_asks: Half,
    undo: Box<[UndoOp]>,
    seq: u64,
}

#[inline]
const fn key_of(side: Side, price_ticks: i64) -> i64 {
    match side {
        Side::Bid => price_ticks,
        Side::Ask => -price_ticks,
    }
}

#[inline]
fn check_price(price_ticks: i64) -> Result<(), BookError> {
    if (1..=MAX_UNITS).contains(&price_ticks) {
        Ok(())
    } else {
        Err(BookError::PriceRange { price_ticks })
    }
}

#[inline]
fn check_size(qty_lots: i64) -> Result<(), BookError> {
    if (0..=MAX_UNITS).contains(&qty_lots) {
        Ok(())
    } else {
        Err(BookError::SizeRange { qty_lots })
    }
}

impl Ladder {
    /// A ladder holding up to `levels_per_side` levels per side, and update transactions
    /// of up to `max_update_levels` level changes. All memory is allocated here.
    pub fn new(levels_per_side: usize, max_update_levels: usize) -> Ladder {
        let levels = levels_per_side.max(1);
        let noop = UndoOp {
            side: Side::Bid,
            key: 0,
            change: Change::None,
        };
        Ladder {
            bids: Indexed::new(levels),
            asks: Indexed::new(levels),
            stage_bids: Half::new(levels),
            stage_asks: Half::new(levels),
            undo: vec![noop; max_update_levels.max(1)].into_boxed_slice(),
            seq: 0,
        }
    }

    fn half(&self, side: Side) -> &Indexed {
        match side {
            Side::Bid => &self.bids,
            Side::Ask => &self.asks,
        }
    }

    fn half_mut(&mut self, side: Side) -> &mut Indexed {
        match side {
            Side::Bid => &mut self.bids,
            Side::Ask => &mut self.asks,
        }
    }

    /// Levels per side this ladder can hold.
    pub fn capacity(&self) -> usize {
        self.bids.capacity()
    }

    /// Number of levels on `side`.
    pub fn len(&self, side: Side) -> usize {
        self.half(side).len()
    }

    /// True when both sides are empty.
    pub fn is_empty(&self) -> bool {
        self.bids.len() == 0 && self.asks.len() == 0
    }

    /// Sequence number of the last applied snapshot or update.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Best (highest) bid.
    #[inline]
    pub fn best_bid(&self) -> Option<Level> {
        self.bids.best().map(|(k, s)| Level {
            price_ticks: k,
            qty_lots: s,
        })
    }

    /// Best (lowest) ask.
    #[inline]
    pub fn best_ask(&self) -> Option<Level> {
        self.asks.best().map(|(k, s)| Level {
            price_ticks: -k,
            qty_lots: s,
        })
    }

    /// Best level of `side`.
    #[inline]
    pub fn best(&self, side: Side) -> Option<Level> {
        match side {
            Side::Bid => self.best_bid(),
            Side::Ask => self.best_ask(),
        }
    }

    /// Twice the mid price in ticks (bid + ask), exact; `None` if a side is empty.
    #[inline]
    pub fn mid_x2_ticks(&self) -> Option<i64> {
        Some(self.best_bid()?.price_ticks + self.best_ask()?.price_ticks)
    }

    /// Spread in ticks (ask − bid); `None` if a side is empty.
    #[inline]
    pub fn spread_ticks(&self) -> Option<i64> {
        Some(self.best_ask()?.price_ticks - self.best_bid()?.price_ticks)
    }

    /// Size resting at `price_ticks` on `side` (0 if none).
    pub fn size_at(&self, side: Side, price_ticks: i64) -> i64 {
        // No level is ever stored outside the valid range (and `i64::MIN` has no ask key).
        if check_price(price_ticks).is_err() {
            return 0;
        }
        self.half(side).get(key_of(side, price_ticks)).unwrap_or(0)
    }

    /// Levels of `side`, best first.
    pub fn levels(&self, side: Side) -> impl DoubleEndedIterator<Item = Level> + '_ {
        self.half(side).view().levels().map(move |(k, s)| Level {
            price_ticks: key_of(side, k),
            qty_lots: s,
        })
    }

    /// The price from which depth on `side` is unknown (levels at it and beyond were
    /// dropped for capacity or lie past a partial snapshot), or `None` if all is known.
    pub fn unknown_from(&self, side: Side) -> Option<i64> {
        let f = self.half(side).floor;
        (f != NO_FLOOR).then(|| key_of(side, f))
    }

    /// Raw view for the walker (ask keys are negated prices): see [`SideView`].
    #[inline]
    pub(crate) fn raw_side(&self, side: Side) -> SideView<'_> {
        self.half(side).view()
    }

    /// Starts staging a snapshot. Nothing changes until [`Snapshot::commit`] succeeds.
    pub fn snapshot(&mut self) -> Snapshot<'_> {
        self.stage_bids.clear();
        self.stage_asks.clear();
        Snapshot {
            ladder: self,
            last: [None, None],
            count: [0, 0],
            failed: None,
        }
    }

    /// Replaces the book with `bids` and `asks` (each best first) in one step.
    pub fn apply_snapshot(
        &mut self,
        bids: &[Level],
        asks: &[Level],
        seq: u64,
        depth: Depth,
    ) -> Result<(), BookError> {
        let mut snap = self.snapshot();
        for l in bids {
            snap.push(Side::Bid, l.price_ticks, l.qty_lots)?;
        }
        for l in asks {
            snap.push(Side::Ask, l.price_ticks, l.qty_lots)?;
        }
        snap.commit(seq, depth)
    }

    /// One level change as a whole update, for venues that send one level per message:
    /// validated, and a crossing is predicted before anything changes (a new bid crosses
    /// iff it is at or above the best ask, and vice versa; size changes and deletions never
    /// cross), so no transaction is needed. Equivalent to `update()`, one `set`, `commit`.
    #[inline]
    pub fn set_level(
        &mut self,
        side: Side,
        price_ticks: i64,
        qty_lots: i64,
        seq: u64,
    ) -> Result<(), BookError> {
        check_price(price_ticks)?;
        check_size(qty_lots)?;
        let floor = match side {
            Side::Bid => self.bids.floor,
            Side::Ask => self.asks.floor,
        };
        // A level past the known depth is not stored (as in a transaction), so it
        // cannot cross what is stored.
        if qty_lots > 0 && key_of(side, price_ticks) > floor {
            let crossed = match side {
                Side::Bid => self
                    .best_ask()
                    .filter(|a| price_ticks >= a.price_ticks)
                    .map(|a| (price_ticks, a.price_ticks)),
                Side::Ask => self
                    .best_bid()
                    .filter(|b| b.price_ticks >= price_ticks)
                    .map(|b| (b.price_ticks, price_ticks)),
            };
            if let Some((bid_ticks, ask_ticks)) = crossed {
                return Err(BookError::Crossed {
                    bid_ticks,
                    ask_ticks,
                });
            }
        }
        self.half_mut(side).set(key_of(side, price_ticks), qty_lots);
        self.seq = seq;
        Ok(())
    }

    /// Starts an update transaction; see [`Update`].
    #[inline]
    pub fn update(&mut self) -> Update<'_> {
        let floors = [self.bids.floor, self.asks.floor];
        Update {
            ladder: self,
            ops: 0,
            floors,
            done: false,
            failed: None,
        }
    }

    /// Clears both sides (for a resync); keeps the allocation.
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
        self.seq = 0;
    }

    fn check_crossed(&self) -> Result<(), BookError> {
        if let (Some(b), Some(a)) = (self.best_bid(), self.best_ask()) {
            if b.price_ticks >= a.price_ticks {
                return Err(BookError::Crossed {
                    bid_ticks: b.price_ticks,
                    ask_ticks: a.price_ticks,
                });
            }
        }
        Ok(())
    }
}

/// A snapshot being staged into a ladder's scratch arrays.
///
/// Push each side's levels best first; then [`commit`](Snapshot::commit). Dropping it
/// without a successful commit leaves the ladder unchanged. Levels past the capacity are
/// validated, not stored, and the side is marked unknown from the first of them.
#[derive(Debug)]
pub struct Snapshot<'a> {
    ladder: &'a mut Ladder,
    last: [Option<i64>; 2],
    count: [usize; 2],
    /// The first refused level: once set, `commit` refuses too.
    failed: Option<BookError>,
}

impl Snapshot<'_> {
    /// Adds the next level of `side` (levels of one side must come best first). After a
    /// refused level the snapshot is poisoned: [`commit`](Self::commit) returns the error.
    pub fn push(&mut self, side: Side, price_ticks: i64, qty_lots: i64) -> Result<(), BookError> {
        let r = self.stage(side, price_ticks, qty_lots);
        if let Err(e) = r {
            self.failed.get_or_insert(e);
        }
        r
    }

    fn stage(&mut self, side: Side, price_ticks: i64, qty_lots: i64) -> Result<(), BookError> {
        check_price(price_ticks)?;
        check_size(qty_lots)?;
        if qty_lots == 0 {
            return Err(BookError::ZeroSize { side, price_ticks });
        }
        let key = key_of(side, price_ticks);
        let s = side as usize;
        if let Some(prev) = self.last[s] {
            if key == prev {
                return Err(BookError::Duplicate { side, price_ticks });
            }
            if key > prev {
                let index = self.count[s];
                return Err(BookError::Unsorted {
                    side,
                    index,
                    price_ticks,
                });
            }
        }
        self.last[s] = Some(key);
        self.count[s] += 1;
        let stage = match side {
            Side::Bid => &mut self.ladder.stage_bids,
            Side::Ask => &mut self.ladder.stage_asks,
        };
        if stage.floor == NO_FLOOR && !stage.push_raw(key, qty_lots) {
            stage.floor = key;
        }
        Ok(())
    }

    /// The levels staged so far on `side`, best first, and whether the side was cut
    /// (more levels pushed than the ladder holds: the ones past the capacity are not
    /// among these).
    pub fn staged(&self, side: Side) -> (impl ExactSizeIterator<Item = Level> + '_, bool) {
        let stage = match side {
            Side::Bid => &self.ladder.stage_bids,
            Side::Ask => &self.ladder.stage_asks,
        };
        let (keys, sizes) = stage.slices();
        let levels = keys.iter().zip(sizes).map(move |(&k, &s)| Level {
            price_ticks: key_of(side, k),
            qty_lots: s,
        });
        (levels, stage.floor != NO_FLOOR)
    }

    /// Validates and installs the staged book with sequence number `seq`.
    pub fn commit(self, seq: u64, depth: Depth) -> Result<(), BookError> {
        self.commit_sides(seq, [depth, depth])
    }

    /// [`commit`](Self::commit) with each side's own depth (`[bids, asks]`): a venue
    /// whose snapshot window is N levels lists a side whole when it has fewer than N.
    pub fn commit_sides(self, seq: u64, depth: [Depth; 2]) -> Result<(), BookError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let l = self.ladder;
        let best_bid = l.stage_bids.slices().0.first().copied();
        let best_ask = l.stage_asks.slices().0.first().map(|k| -k);
        if let (Some(b), Some(a)) = (best_bid, best_ask) {
            if b >= a {
                return Err(BookError::Crossed {
                    bid_ticks: b,
                    ask_ticks: a,
                });
            }
        }
        for (stage, last, depth) in [
            (&mut l.stage_bids, self.last[0], depth[0]),
            (&mut l.stage_asks, self.last[1], depth[1]),
        ] {
            stage.reverse();
            if let (Depth::Partial, NO_FLOOR, Some(far)) = (depth, stage.floor, last) {
                // Beyond the farthest listed level nothing is known. A side listed empty is
                // empty: a top-N view would have shown any level that existed.
                stage.floor = far - 1;
            }
        }
        l.bids.load(&l.stage_bids);
        l.asks.load(&l.stage_asks);
        l.seq = seq;
        Ok(())
    }
}

/// An update transaction over a ladder: level changes apply at once, and are rolled
/// back unless [`commit`](Update::commit) succeeds (on an error, or when dropped).
#[derive(Debug)]
pub struct Update<'a> {
    ladder: &'a mut Ladder,
    ops: usize,
    floors: [i64; 2],
    done: bool,
    /// The first refused change: once set, `commit` refuses too and rolls back.
    failed: Option<BookError>,
}

impl Update<'_> {
    /// Sets the size at `price_ticks` on `side` (absolute, not a delta; 0 deletes). After
    /// a refused change the transaction is poisoned: [`commit`](Self::commit) returns the
    /// error and everything is rolled back.
    #[inline]
    pub fn set(&mut self, side: Side, price_ticks: i64, qty_lots: i64) -> Result<(), BookError> {
        let r = self.apply(side, price_ticks, qty_lots);
        if let Err(e) = r {
            self.failed.get_or_insert(e);
        }
        r
    }

    #[inline]
    fn apply(&mut self, side: Side, price_ticks: i64, qty_lots: i64) -> Result<(), BookError> {
        check_price(price_ticks)?;
        check_size(qty_lots)?;
        if self.ops == self.ladder.undo.len() {
            return Err(BookError::UpdateTooLarge {
                capacity: self.ladder.undo.len(),
            });
        }
        let key = key_of(side, price_ticks);
        let change = self.ladder.half_mut(side).set(key, qty_lots);
        if change != Change::None {
            self.ladder.undo[self.ops] = UndoOp { side, key, change };
            self.ops += 1;
        }
        Ok(())
    }

    /// The book with this transaction's changes so far (not yet checked for crossing):
    /// what a venue's checksum of the resulting book is computed over.
    #[inline]
    pub fn book(&self) -> &Ladder {
        self.ladder
    }

    /// Checks the result is not crossed and records `seq` as the last applied update.
    #[inline]
    pub fn commit(mut self, seq: u64) -> Result<(), BookError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        self.ladder.check_crossed()?;
        self.ladder.seq = seq;
        self.done = true;
        Ok(())
    }

    fn rollback(&mut self) {
        while self.ops > 0 {
            self.ops -= 1;
            let op = self.ladder.undo[self.ops];
            self.ladder.half_mut(op.side).undo(op.key, op.change);
        }
        self.ladder.bids.floor = self.floors[0];
        self.ladder.asks.floor = self.floors[1];
    }
}

impl Drop for Update<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.rollback();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(price_ticks: i64, qty_lots: i64) -> Level {
        Level {
            price_ticks,
            qty_lots,
        }
    }

    #[test]
    fn partial_snapshot_with_an_empty_side_leaves_it_known_empty() {
        let mut l = Ladder::new(8, 8);
        l.apply_snapshot(&[lv(100, 1)], &[], 1, Depth::Partial)
            .unwrap();
        assert_eq!(l.unknown_from(Side::Ask), None);
        assert_eq!(l.unknown_from(Side::Bid), Some(99));
        let mut tx = l.update();
        tx.set(Side::Ask, 101, 5).unwrap();
        tx.commit(2).unwrap();
        assert_eq!(l.best_ask(), Some(lv(101, 5)));
        // Past the partial bid side's farthest level: unknown region, ignored.
        let mut tx = l.update();
        tx.set(Side::Bid, 99, 5).unwrap();
        tx.commit(3).unwrap();
        assert_eq!(l.len(Side::Bid), 1);
    }

    #[test]
    fn capacity_overflow_drops_the_farthest_and_marks_unknown() {
        let mut l = Ladder::new(2, 8);
        let asks = [lv(10, 1), lv(11, 1), lv(12, 1)];
        l.apply_snapshot(&[], &asks, 1, Depth::Complete).unwrap();
        assert_eq!(
            l.levels(Side::Ask).collect::<Vec<_>>(),
            [lv(10, 1), lv(11, 1)]
        );
        assert_eq!(l.unknown_from(Side::Ask), Some(12));
        let mut tx = l.update();
        tx.set(Side::Ask, 9, 3).unwrap();
        tx.commit(2).unwrap();
        assert_eq!(
            l.levels(Side::Ask).collect::<Vec<_>>(),
            [lv(9, 3), lv(10, 1)]
        );
        assert_eq!(l.unknown_from(Side::Ask), Some(11));
    }

    #[test]
    fn a_refused_change_poisons_the_transaction() {
        let mut l = Ladder::new(8, 8);
        l.apply_snapshot(&[lv(5, 1)], &[lv(9, 1)], 1, Depth::Complete)
            .unwrap();
        let mut tx = l.update();
        tx.set(Side::Bid, 6, 2).unwrap();
        assert!(tx.set(Side::Bid, 7, -3).is_err());
        assert_eq!(tx.commit(2), Err(BookError::SizeRange { qty_lots: -3 }));
        assert_eq!(l.levels(Side::Bid).collect::<Vec<_>>(), [lv(5, 1)]);
        let mut snap = l.snapshot();
        snap.push(Side::Bid, 4, 1).unwrap();
        assert!(snap.push(Side::Bid, 4, 1).is_err());
        assert!(snap.commit(3, Depth::Complete).is_err());
        assert_eq!(l.seq(), 1);
    }

    /// `size_at` takes any `i64`: prices far outside the book's range (and the ends of
    /// `i64`) are absent, with no overflow, on either side of the price window.
    #[test]
    fn size_at_any_price_is_an_answer() {
        let mut l = Ladder::new(8, 8);
        l.apply_snapshot(
            &[lv(100, 3)],
            &[lv(1_000_000_000_000_000, 4)],
            1,
            Depth::Complete,
        )
        .unwrap();
        for p in [i64::MIN, -1, 0, 99, 101, i64::MAX - 1, i64::MAX] {
            assert_eq!(l.size_at(Side::Bid, p), 0, "bid {p}");
            assert_eq!(l.size_at(Side::Ask, p), 0, "ask {p}");
        }
        assert_eq!(l.size_at(Side::Bid, 100), 3);
        assert_eq!(l.size_at(Side::Ask, 1_000_000_000_000_000), 4);
    }

    #[test]
    fn oversized_update_is_refused_and_rolled_back() {
        let mut l = Ladder::new(8, 2);
        l.apply_snapshot(&[lv(5, 1)], &[lv(6, 1)], 1, Depth::Complete)
            .unwrap();
        let mut tx = l.update();
        tx.set(Side::Bid, 4, 1).unwrap();
        tx.set(Side::Bid, 3, 1).unwrap();
        let err = tx.set(Side::Bid, 2, 1).unwrap_err();
        assert_eq!(err, BookError::UpdateTooLarge { capacity: 2 });
        drop(tx);
        assert_eq!(l.levels(Side::Bid).collect::<Vec<_>>(), [lv(5, 1)]);
        assert_eq!(l.seq(), 1);
    }
}
