//! OKX v5 public `books` channel (400 levels: a snapshot, then incremental updates).
//!
//! Push: `{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot"|"update",
//! "data":[{"asks":[["30243.5","1.44679","0","6"],…],"bids":[…],"ts":"1652459225453",
//! "checksum":-652563973,"prevSeqId":…,"seqId":…}]}`. A level is `[price, size,
//! liquidated orders (deprecated, "0"), orders]`, all strings; a size of `"0"` deletes
//! it. Sizes are contracts for swaps and futures, base currency for spot.
//!
//! Rules ([`OkxSync`]), from OKX's documentation of the order book channel:
//! - a `snapshot` replaces the book. It lists each side whole up to [`WINDOW`] levels: a
//!   side with fewer is complete ([`Depth::Complete`]), a full one is the top of a deeper
//!   book ([`Depth::Partial`]);
//! - an `update` must continue the last message: `prevSeqId == ` the last `seqId`. This
//!   covers OKX's two documented exceptions: a no-change message (`seqId == prevSeqId`,
//!   empty sides, sent after about 60 s without a change) and a sequence reset after
//!   maintenance (`seqId < prevSeqId`, later messages chaining from the new `seqId`).
//!   Anything else is a gap ([`BookError::SequenceGap`], or a `Shape` error for an
//!   update carrying a snapshot's `prevSeqId` of -1; nothing applied): the book is stale
//!   until the next snapshot, which a replay waits for and a live client asks for by
//!   subscribing again;
//! - a non-zero `checksum` is verified over the book with the message applied
//!   ([`checksum`]); a mismatch is [`FeedError::ChecksumMismatch`], nothing is applied and
//!   the book is stale until the next snapshot. A `checksum` of 0 is not verified: OKX
//!   sends 0 once it retires the field (announced for 2026) and continuity then rests on
//!   the sequence ids;
//! - messages recorded before OKX added `seqId`/`prevSeqId` (the shipped 2022 capture)
//!   carry only the checksum, which is then the sole continuity check; once a snapshot
//!   brought a `seqId`, an update without its ids is refused.
//!
//! One sync follows one instrument ([`InstId`]): another instrument's `books` pushes are
//! counted as skipped ([`OkxStats::skipped`]), not refused, so a capture of several
//! interleaved instruments replays one of them. Other channels (`tickers`, `trades`) and
//! subscription events are passed over; another book channel (`books5`, `bbo-tbt`, the
//! tick-by-tick ones) or an `error` event is refused as [`FeedError::WrongType`].
//!
//! The routing fields (`arg`, `action`) are read first; they precede `data` in OKX's
//! messages, and if they do not a second scan reads `data`. Levels go straight into a
//! staged snapshot or an update transaction: no allocation, and on any error the ladder
//! is unchanged.

pub mod checksum;

use arrayvec::ArrayString;

use crate::book::{BookError, Depth, Ladder, Side};
use crate::num::{Step, Text};

use super::json::Scanner;
use super::levels::{
    in_field, mark, number_text, string_field, u64_field, LevelSink, Names, SnapshotSink,
    UpdateSink,
};
use super::FeedError;
use checksum::{check_depth, checksum};

/// Levels per side of a `books` snapshot.
pub const WINDOW: usize = 400;

/// Longest instrument id kept (OKX's longest, an option's, is about 25 bytes).
pub const INST_CAP: usize = 40;

const ASKS: Names = Names {
    array: "data[0].asks",
    price: "data[0].asks[].price",
    qty: "data[0].asks[].qty",
};
const BIDS: Names = Names {
    array: "data[0].bids",
    price: "data[0].bids[].price",
    qty: "data[0].bids[].qty",
};

/// An OKX instrument id (`BTC-USDT`, `UNI-USD-SWAP`), held inline; or
/// [`InstId::ANY`], which a sync replaces by the first snapshot's instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InstId(ArrayString<INST_CAP>);

impl InstId {
    /// No instrument chosen: the sync follows the first snapshot's.
    pub const ANY: InstId = InstId(ArrayString::new_const());

    /// `text` as an instrument id: 1 ..= [`INST_CAP`] bytes of ASCII letters, digits,
    /// `-` and `_`; `None` otherwise.
    pub fn new(text: &str) -> Option<InstId> {
        let ok = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        if text.is_empty() || !text.bytes().all(ok) {
            return None;
        }
        ArrayString::from(text).ok().map(InstId)
    }

    /// The id (empty for [`InstId::ANY`]).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for [`InstId::ANY`].
    pub fn is_any(&self) -> bool {
        self.0.is_empty()
    }
}

/// The `action` of a `books` push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The whole window: replaces the book.
    Snapshot,
    /// Changes since the previous message.
    Update,
}

/// What a message is, from its routing fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// A `books` push of `inst`.
    Book {
        /// Its `action`.
        action: Action,
        /// Its `arg.instId`.
        inst: &'a [u8],
    },
    /// Another channel's push, or a subscription event: no book in it.
    PassOver,
}

/// Reads a message's routing fields (`event`, `arg.channel`, `arg.instId`, `action`),
/// stopping at `data` once they are known.
pub fn route(bytes: &[u8]) -> Result<Route<'_>, FeedError> {
    let mut sc = Scanner::new(bytes);
    sc.begin_object()?;
    let (mut channel, mut inst, mut action, mut event) = (None, None, None, None);
    while let Some(key) = sc.next_key()? {
        match key {
            b"arg" => (channel, inst) = arg(&mut sc)?,
            b"action" => action = Some(string_field(&mut sc, "action")?),
            b"event" => event = Some(string_field(&mut sc, "event")?),
            b"data" if channel.is_some() && action.is_some() => break,
            _ => sc.skip_value()?,
        }
    }
    if let Some(e) = event {
        if e == b"error" {
            let got = Text::new(e);
            return Err(FeedError::WrongType {
                expected: "a push (this is an error event)",
                got,
            });
        }
        return Ok(Route::PassOver);
    }
    let channel = channel.ok_or(FeedError::MissingField("arg.channel"))?;
    if channel != b"books" {
        if channel.starts_with(b"books") || channel.starts_with(b"bbo") {
            let got = Text::new(channel);
            let expected = "the books channel (another book channel's rules differ)";
            return Err(FeedError::WrongType { expected, got });
        }
        return Ok(Route::PassOver);
    }
    let inst = inst.ok_or(FeedError::MissingField("arg.instId"))?;
    let action = match action.ok_or(FeedError::MissingField("action"))? {
        b"snapshot" => Action::Snapshot,
        b"update" => Action::Update,
        got => {
            let got = Text::new(got);
            let expected = "snapshot or update";
            return Err(FeedError::WrongType { expected, got });
        }
    };
    Ok(Route::Book { action, inst })
}

type Arg<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);

/// `arg`: its `channel` and `instId`.
fn arg<'a>(sc: &mut Scanner<'a>) -> Result<Arg<'a>, FeedError> {
    sc.begin_object().map_err(in_field("arg"))?;
    let (mut channel, mut inst) = (None, None);
    while let Some(key) = sc.next_key()? {
        match key {
            b"channel" => channel = Some(string_field(sc, "arg.channel")?),
            b"instId" => inst = Some(string_field(sc, "arg.instId")?),
            _ => sc.skip_value()?,
        }
    }
    Ok((channel, inst))
}

/// The fields of a push's `data[0]` besides its levels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fields {
    /// `ts`: the book's time at the venue, ms.
    pub ts: u64,
    /// `checksum` (0: not sent or retired).
    pub checksum: i32,
    /// `seqId`, when sent.
    pub seq_id: Option<u64>,
    /// `prevSeqId`, when sent (-1 in a snapshot).
    pub prev_seq_id: Option<i64>,
    /// Levels listed: bids, asks.
    pub levels: [usize; 2],
}

/// Walks a push, handing `data[0]`'s levels to `sink` (each side best first).
pub(crate) fn walk_push<S: LevelSink>(bytes: &[u8], sink: &mut S) -> Result<Fields, FeedError> {
    let mut sc = Scanner::new(bytes);
    sc.begin_object()?;
    let (mut fields, mut seen) = (None, 0u32);
    while let Some(key) = sc.next_key()? {
        match key {
            b"arg" => mark(&mut seen, 1, "arg")?,
            b"action" => mark(&mut seen, 2, "action")?,
            b"data" => {
                mark(&mut seen, 4, "data")?;
                fields = Some(data(&mut sc, sink)?);
                continue;
            }
            _ => {}
        }
        sc.skip_value()?;
    }
    sc.finish()?;
    fields.ok_or(FeedError::MissingField("data"))
}

/// `data`: an array of exactly one book object.
fn data<S: LevelSink>(sc: &mut Scanner<'_>, sink: &mut S) -> Result<Fields, FeedError> {
    let one = FeedError::Shape {
        field: "data",
        expected: "an array of one book",
    };
    sc.begin_array().map_err(in_field("data"))?;
    if !sc.next_element()? {
        return Err(one);
    }
    let f = book(sc, sink)?;
    if sc.next_element()? {
        return Err(one);
    }
    Ok(f)
}

fn book<S: LevelSink>(sc: &mut Scanner<'_>, sink: &mut S) -> Result<Fields, FeedError> {
    sc.begin_object().map_err(in_field("data[0]"))?;
    let (mut f, mut seen) = (Fields::default(), 0u32);
    while let Some(key) = sc.next_key()? {
        match key {
            b"asks" => {
                mark(&mut seen, 1, "data[0].asks")?;
                f.levels[1] = levels(sc, Side::Ask, ASKS, sink)?;
            }
            b"bids" => {
                mark(&mut seen, 2, "data[0].bids")?;
                f.levels[0] = levels(sc, Side::Bid, BIDS, sink)?;
            }
            b"ts" => {
                mark(&mut seen, 4, "data[0].ts")?;
                f.ts = u64_field(sc, "data[0].ts")?;
            }
            b"checksum" => {
                mark(&mut seen, 8, "data[0].checksum")?;
                f.checksum = i32_field(sc, "data[0].checksum")?;
            }
            b"seqId" => {
                mark(&mut seen, 16, "data[0].seqId")?;
                f.seq_id = Some(u64_field(sc, "data[0].seqId")?);
            }
            b"prevSeqId" => {
                mark(&mut seen, 32, "data[0].prevSeqId")?;
                f.prev_seq_id = Some(sc.i64().map_err(in_field("data[0].prevSeqId"))?);
            }
            _ => sc.skip_value()?,
        }
    }
    for (bit, name) in [(1, "data[0].asks"), (2, "data[0].bids"), (4, "data[0].ts")] {
        if seen & bit == 0 {
            return Err(FeedError::MissingField(name));
        }
    }
    Ok(f)
}

/// A signed 32-bit integer field (the checksum).
fn i32_field(sc: &mut Scanner<'_>, field: &'static str) -> Result<i32, FeedError> {
    let at = sc.pos();
    let v = sc.i64().map_err(in_field(field))?;
    i32::try_from(v).map_err(|_| FeedError::Value {
        field,
        source: super::JsonError::IntRange(at),
    })
}

/// One side's `[[price, size, liquidated, orders], …]`; returns how many levels.
fn levels<S: LevelSink>(
    sc: &mut Scanner<'_>,
    side: Side,
    n: Names,
    sink: &mut S,
) -> Result<usize, FeedError> {
    let shape = |field| FeedError::Shape {
        field,
        expected: "a [price, size, liquidated, orders] level",
    };
    sc.begin_array().map_err(in_field(n.array))?;
    let mut count = 0;
    while sc.next_element()? {
        sc.begin_array().map_err(in_field(n.array))?;
        if !sc.next_element()? {
            return Err(shape(n.price));
        }
        let price = number_text(sc, n.price)?;
        if !sc.next_element()? {
            return Err(shape(n.qty));
        }
        let qty = number_text(sc, n.qty)?;
        // The deprecated liquidated-orders field and the order count are not used.
        for _ in 0..2 {
            if !sc.next_element()? {
                return Err(shape(n.array));
            }
            sc.skip_value()?;
        }
        if sc.next_element()? {
            return Err(shape(n.array));
        }
        sink.level(side, n, price, qty)?;
        count += 1;
    }
    Ok(count)
}

/// What one message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OkxOutcome {
    /// A snapshot replaced the book.
    Snapshot(Fields),
    /// An update was applied.
    Update(Fields),
    /// Another instrument's `books` push: skipped and counted.
    Skipped,
    /// No book in it (another channel, a subscription event).
    PassedOver,
}

/// Counts of one [`OkxSync`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OkxStats {
    /// Snapshots applied.
    pub snapshots: u64,
    /// Updates applied.
    pub updates: u64,
    /// Non-zero checksums that matched.
    pub checksums_verified: u64,
    /// Checksums that did not match (each made the book stale).
    pub checksum_mismatches: u64,
    /// Sequence gaps (each made the book stale).
    pub gaps: u64,
    /// `books` pushes of other instruments, skipped.
    pub skipped: u64,
}

/// OKX's `books` rules for one instrument's book (see the [module doc](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OkxSync {
    inst: InstId,
    live: bool,
    last_seq: Option<u64>,
    stats: OkxStats,
}

impl OkxSync {
    /// A sync of `inst` ([`InstId::ANY`]: the first snapshot's), waiting for a snapshot.
    pub fn new(inst: InstId) -> OkxSync {
        OkxSync {
            inst,
            live: false,
            last_seq: None,
            stats: OkxStats::default(),
        }
    }

    /// Waits for a snapshot again (a new connection), keeping the instrument and counts.
    pub fn reset(&mut self) {
        self.live = false;
        self.last_seq = None;
    }

    /// The instrument followed ([`InstId::ANY`] until a snapshot when none was given).
    pub fn instrument(&self) -> InstId {
        self.inst
    }

    /// Whether the book is in sync: a snapshot applied and no gap or checksum mismatch
    /// since.
    pub fn is_live(&self) -> bool {
        self.live
    }

    /// `seqId` of the last applied message, when the venue sends them.
    pub fn last_seq_id(&self) -> Option<u64> {
        self.last_seq
    }

    /// Its counts.
    pub fn stats(&self) -> OkxStats {
        self.stats
    }

    /// Applies one message to `ladder`. On any `Err` the ladder is unchanged; a gap or
    /// a checksum mismatch also makes the book stale until the next snapshot, and an
    /// update while stale is [`FeedError::NoSnapshot`].
    pub fn apply(
        &mut self,
        ladder: &mut Ladder,
        tick: Step,
        lot: Step,
        bytes: &[u8],
    ) -> Result<OkxOutcome, FeedError> {
        let (action, inst) = match route(bytes)? {
            Route::PassOver => return Ok(OkxOutcome::PassedOver),
            Route::Book { action, inst } => (action, inst),
        };
        if self.inst.is_any() {
            if action == Action::Update {
                return Err(FeedError::NoSnapshot);
            }
        } else if self.inst.as_str().as_bytes() != inst {
            self.stats.skipped += 1;
            return Ok(OkxOutcome::Skipped);
        }
        match action {
            Action::Snapshot => {
                let f = self.snapshot(ladder, tick, lot, bytes)?;
                if self.inst.is_any() {
                    // `route` read it as a JSON string; an id it cannot hold stays ANY.
                    let id = core::str::from_utf8(inst).ok().and_then(InstId::new);
                    self.inst = id.unwrap_or(InstId::ANY);
                }
                Ok(OkxOutcome::Snapshot(f))
            }
            Action::Update => self
                .update(ladder, tick, lot, bytes)
                .map(OkxOutcome::Update),
        }
    }

    fn snapshot(
        &mut self,
        ladder: &mut Ladder,
        tick: Step,
        lot: Step,
        bytes: &[u8],
    ) -> Result<Fields, FeedError> {
        let mut snap = ladder.snapshot();
        let f = walk_push(
            bytes,
            &mut SnapshotSink {
                snap: &mut snap,
                tick,
                lot,
            },
        )?;
        if f.checksum != 0 {
            let ((bids, bids_cut), (asks, asks_cut)) =
                (snap.staged(Side::Bid), snap.staged(Side::Ask));
            check_depth(Side::Bid, bids.len(), bids_cut)?;
            check_depth(Side::Ask, asks.len(), asks_cut)?;
            self.verify(f.checksum, checksum(bids, asks, tick, lot))?;
        }
        let depth = |n: usize| {
            if n < WINDOW {
                Depth::Complete
            } else {
                Depth::Partial
            }
        };
        let seq = f.seq_id.unwrap_or(f.ts);
        snap.commit_sides(seq, [depth(f.levels[0]), depth(f.levels[1])])?;
        self.live = true;
        self.last_seq = f.seq_id;
        self.stats.snapshots += 1;
        self.stats.checksums_verified += u64::from(f.checksum != 0);
        Ok(f)
    }

    fn update(
        &mut self,
        ladder: &mut Ladder,
        tick: Step,
        lot: Step,
        bytes: &[u8],
    ) -> Result<Fields, FeedError> {
        if !self.live {
            return Err(FeedError::NoSnapshot);
        }
        let mut tx = ladder.update();
        let f = walk_push(
            bytes,
            &mut UpdateSink {
                tx: &mut tx,
                tick,
                lot,
            },
        )?;
        self.chain(&f)?;
        if f.checksum != 0 {
            let book = tx.book();
            for side in [Side::Bid, Side::Ask] {
                check_depth(side, book.len(side), book.unknown_from(side).is_some())?;
            }
            let sum = checksum(book.levels(Side::Bid), book.levels(Side::Ask), tick, lot);
            self.verify(f.checksum, sum)?;
        }
        tx.commit(f.seq_id.unwrap_or(f.ts))?;
        if f.seq_id.is_some() {
            self.last_seq = f.seq_id;
        }
        self.stats.updates += 1;
        self.stats.checksums_verified += u64::from(f.checksum != 0);
        Ok(f)
    }

    /// The sequence rule for an update (see the module doc); a gap makes the book stale.
    fn chain(&mut self, f: &Fields) -> Result<(), FeedError> {
        let prev = match (f.seq_id, f.prev_seq_id) {
            (Some(_), Some(p)) => p,
            (None, None) if self.last_seq.is_none() => return Ok(()),
            (None, _) => return Err(FeedError::MissingField("data[0].seqId")),
            (Some(_), None) => return Err(FeedError::MissingField("data[0].prevSeqId")),
        };
        let Some(last) = self.last_seq else {
            return Ok(());
        };
        if u64::try_from(prev) == Ok(last) {
            return Ok(());
        }
        self.live = false;
        self.last_seq = None;
        self.stats.gaps += 1;
        let Ok(got) = u64::try_from(prev) else {
            return Err(FeedError::Shape {
                field: "data[0].prevSeqId",
                expected: "a sequence id >= 0 in an update (only a snapshot has -1)",
            });
        };
        Err(BookError::SequenceGap {
            expected: last,
            got,
        }
        .into())
    }

    /// Compares the message's checksum with the book's; a mismatch makes it stale.
    fn verify(&mut self, expected: i32, computed: i32) -> Result<(), FeedError> {
        if expected == computed {
            return Ok(());
        }
        self.live = false;
        self.stats.checksum_mismatches += 1;
        Err(FeedError::ChecksumMismatch { expected, computed })
    }
}

#[cfg(test)]
mod tests;
