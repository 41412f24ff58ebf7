//! [`BinanceSync`]: Binance's REST-snapshot-plus-diffs procedure for one book.
//!
//! Diffs that arrive before the snapshot are copied into a byte arena and a slot table,
//! both allocated by [`BinanceSync::new`]; nothing is allocated afterwards. When they do not
//! fit, the diff is refused with [`FeedError::BufferFull`].

use crate::book::{BookError, Depth, Ladder};
use crate::num::Step;

use super::{apply_depth_snapshot_as, decode_depth, depth_header, DepthHeader};
use crate::feed::FeedError;

/// Which Binance market's sequence rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Market {
    /// USDⓈ-M and COIN-M futures: diffs chain by `pu == previous u`.
    Futures,
    /// Spot: diffs chain by `U == previous u + 1`.
    Spot,
}

/// Where a [`BinanceSync`] stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    /// No snapshot yet (or a gap discarded the book): diffs are buffered.
    AwaitingSnapshot,
    /// A snapshot with this `lastUpdateId` is installed; the first diff to apply must
    /// straddle it, older ones are dropped.
    AwaitingFirst {
        /// The snapshot's `lastUpdateId`.
        last_update_id: u64,
    },
    /// In sequence; the next diff must chain to `last_u`.
    Live {
        /// `u` of the last applied diff.
        last_u: u64,
    },
}

/// What happened to one diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Applied to the ladder; `u` is now the ladder's sequence number.
    Applied {
        /// The diff's `u`.
        u: u64,
    },
    /// Older than the snapshot (stale): ignored, as the venue's rule says.
    Dropped {
        /// The diff's `u`.
        u: u64,
    },
    /// Kept in the buffer until a snapshot arrives (or until buffered diffs before it are
    /// replayed).
    Buffered,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Apply,
    Stale,
}

/// The sequence rule and state, apart from the buffer (so both can be borrowed at once).
#[derive(Debug, Clone, Copy)]
struct Rule {
    market: Market,
    state: SyncState,
}

impl Rule {
    /// Applies the Binance rule to `h`: apply, drop as stale, or a gap.
    fn judge(&self, h: &DepthHeader) -> Result<Verdict, FeedError> {
        let gap = |expected: u64, got: u64| Err(BookError::SequenceGap { expected, got }.into());
        match (self.market, self.state) {
            (_, SyncState::AwaitingSnapshot) => Err(FeedError::NoSnapshot),
            (Market::Futures, SyncState::AwaitingFirst { last_update_id: id }) => {
                if h.last_id < id {
                    Ok(Verdict::Stale)
                } else if h.first_id <= id {
                    Ok(Verdict::Apply)
                } else {
                    gap(id, h.first_id)
                }
            }
            (Market::Futures, SyncState::Live { last_u }) => {
                let pu = h.prev_last_id.ok_or(FeedError::MissingField("pu"))?;
                if pu == last_u {
                    Ok(Verdict::Apply)
                } else {
                    gap(last_u, pu)
                }
            }
            (Market::Spot, SyncState::AwaitingFirst { last_update_id: id }) => {
                let next = id.saturating_add(1);
                if h.last_id < next {
                    Ok(Verdict::Stale)
                } else if h.first_id <= next {
                    Ok(Verdict::Apply)
                } else {
                    gap(next, h.first_id)
                }
            }
            (Market::Spot, SyncState::Live { last_u }) => {
                let next = last_u.saturating_add(1);
                if h.first_id == next {
                    Ok(Verdict::Apply)
                } else {
                    gap(next, h.first_id)
                }
            }
        }
    }

    /// Decodes `msg` into a transaction on `ladder`, judges it, and commits or rolls back.
    fn apply(
        &mut self,
        ladder: &mut Ladder,
        tick: Step,
        lot: Step,
        msg: &[u8],
    ) -> Result<Outcome, FeedError> {
        // Before the first applied diff a diff may be stale: judge it on its header
        // alone, so a stale diff is dropped without decoding (or failing on) its levels.
        if let SyncState::AwaitingFirst { .. } = self.state {
            let h = depth_header(msg)?;
            if let Ok(Verdict::Stale) = self.judge(&h) {
                return Ok(Outcome::Dropped { u: h.last_id });
            }
        }
        let mut tx = ladder.update();
        let h = decode_depth(&mut tx, tick, lot, msg)?;
        match self.judge(&h) {
            Ok(Verdict::Stale) => Ok(Outcome::Dropped { u: h.last_id }),
            Ok(Verdict::Apply) => {
                tx.commit(h.last_id)?;
                self.state = SyncState::Live { last_u: h.last_id };
                Ok(Outcome::Applied { u: h.last_id })
            }
            Err(e) => {
                if e.is_gap() {
                    self.state = SyncState::AwaitingSnapshot;
                }
                Err(e)
            }
        }
    }
}

/// Preallocated storage for diffs received before the snapshot.
#[derive(Debug, Clone)]
struct Buffer {
    arena: Box<[u8]>,
    slots: Box<[(usize, usize)]>,
    used: usize,
    count: usize,
    next: usize,
}

impl Buffer {
    fn push(&mut self, msg: &[u8]) -> Result<(), FeedError> {
        let end = self.used.checked_add(msg.len());
        let full = FeedError::BufferFull {
            bytes: self.arena.len(),
            messages: self.slots.len(),
        };
        let (Some(end), Some(slot)) = (end, self.slots.get_mut(self.count)) else {
            return Err(full);
        };
        let Some(dst) = self.arena.get_mut(self.used..end) else {
            return Err(full);
        };
        dst.copy_from_slice(msg);
        *slot = (self.used, end);
        self.used = end;
        self.count += 1;
        Ok(())
    }

    fn pending(&self) -> usize {
        self.count.saturating_sub(self.next)
    }

    /// The next buffered message, advancing the read cursor.
    fn pop(&mut self) -> Option<&[u8]> {
        if self.next >= self.count {
            return None;
        }
        let &(start, end) = self.slots.get(self.next)?;
        self.next += 1;
        self.arena.get(start..end)
    }

    fn clear(&mut self) {
        self.used = 0;
        self.count = 0;
        self.next = 0;
    }
}

/// Binance's order-book sync procedure for one book (see the [module doc](super)).
///
/// Feed every depth diff to [`on_depth`](Self::on_depth) and the REST snapshot to
/// [`on_snapshot`](Self::on_snapshot); after a snapshot, drain the diffs buffered before
/// it with [`replay_next`](Self::replay_next) until it returns `None` (later diffs are
/// queued behind them until then, so order is kept).
///
/// Rules, with `lastUpdateId` the snapshot's id and `U`/`u`/`pu` a diff's fields:
/// - **Futures:** drop diffs with `u < lastUpdateId`; the first applied must have
///   `U <= lastUpdateId <= u`; every later one must have `pu ==` the previous `u`.
/// - **Spot:** drop `u <= lastUpdateId`; the first applied must have
///   `U <= lastUpdateId + 1 <= u`; every later one must have `U ==` the previous `u + 1`.
///
/// A diff breaking them returns `FeedError::Book(BookError::SequenceGap)` and applies
/// nothing; the sync then discards its buffer and waits for a new snapshot (buffering diffs
/// meanwhile). Resubmit the offending diff with `on_depth` if it should be buffered.
#[derive(Debug, Clone)]
pub struct BinanceSync {
    rule: Rule,
    buf: Buffer,
    snapshot_depth: Depth,
}

impl BinanceSync {
    /// A sync for `market` that can buffer up to `max_buffered` diffs totalling
    /// `arena_bytes` bytes before the snapshot. All memory is allocated here.
    pub fn new(market: Market, arena_bytes: usize, max_buffered: usize) -> BinanceSync {
        BinanceSync {
            rule: Rule {
                market,
                state: SyncState::AwaitingSnapshot,
            },
            buf: Buffer {
                arena: vec![0; arena_bytes].into_boxed_slice(),
                slots: vec![(0, 0); max_buffered].into_boxed_slice(),
                used: 0,
                count: 0,
                next: 0,
            },
            snapshot_depth: Depth::Partial,
        }
    }

    /// The same sync installing snapshots as `depth` instead of the default
    /// [`Depth::Partial`] (see [`apply_depth_snapshot_as`] for when `Complete` is meant).
    pub fn with_snapshot_depth(mut self, depth: Depth) -> BinanceSync {
        self.snapshot_depth = depth;
        self
    }

    /// The market whose rule applies.
    pub fn market(&self) -> Market {
        self.rule.market
    }

    /// The current state.
    pub fn state(&self) -> SyncState {
        self.rule.state
    }

    /// Diffs buffered and not yet replayed.
    pub fn buffered(&self) -> usize {
        self.buf.pending()
    }

    /// True when diffs are being applied in sequence.
    pub fn is_live(&self) -> bool {
        matches!(self.rule.state, SyncState::Live { .. })
    }

    /// Forgets the book's sequence and the buffer; the next snapshot starts over. The ladder
    /// is the caller's to clear.
    pub fn reset(&mut self) {
        self.rule.state = SyncState::AwaitingSnapshot;
        self.buf.clear();
    }

    /// Handles one depth diff: buffers it (no snapshot yet, or buffered diffs still to be
    /// replayed), drops it as stale, or applies it to `ladder`.
    ///
    /// On `Err` the ladder is unchanged. A sequence gap also resets the sync to
    /// [`SyncState::AwaitingSnapshot`]; a malformed diff does not change the state.
    pub fn on_depth(
        &mut self,
        ladder: &mut Ladder,
        tick: Step,
        lot: Step,
        msg: &[u8],
    ) -> Result<Outcome, FeedError> {
        if self.rule.state == SyncState::AwaitingSnapshot || self.buf.pending() > 0 {
            self.buf.push(msg)?;
            return Ok(Outcome::Buffered);
        }
        let r = self.rule.apply(ladder, tick, lot, msg);
        if matches!(r, Err(ref e) if e.is_gap()) {
            self.buf.clear();
        }
        r
    }

    /// Installs a REST snapshot (see [`apply_depth_snapshot`](super::apply_depth_snapshot);
    /// as [`Depth::Partial`] unless [`with_snapshot_depth`](Self::with_snapshot_depth) said
    /// otherwise) and returns its
    /// `lastUpdateId`. Buffered diffs are kept for [`replay_next`](Self::replay_next).
    ///
    /// On `Err` the ladder and the sync are unchanged.
    pub fn on_snapshot(
        &mut self,
        ladder: &mut Ladder,
        tick: Step,
        lot: Step,
        msg: &[u8],
    ) -> Result<u64, FeedError> {
        let id = apply_depth_snapshot_as(ladder, tick, lot, msg, self.snapshot_depth)?;
        self.rule.state = SyncState::AwaitingFirst { last_update_id: id };
        Ok(id)
    }

    /// Applies the next diff buffered before the snapshot; `None` when there is none left
    /// (or no snapshot yet). Each result is what [`on_depth`](Self::on_depth) would have
    /// returned for that diff; after a gap the rest of the buffer is discarded.
    pub fn replay_next(
        &mut self,
        ladder: &mut Ladder,
        tick: Step,
        lot: Step,
    ) -> Option<Result<Outcome, FeedError>> {
        if self.rule.state == SyncState::AwaitingSnapshot {
            return None;
        }
        let msg = self.buf.pop()?;
        let r = self.rule.apply(ladder, tick, lot, msg);
        if self.buf.pending() == 0 || matches!(r, Err(ref e) if e.is_gap()) {
            self.buf.clear();
        }
        Some(r)
    }
}
