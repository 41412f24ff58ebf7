//! One [`BookFeed`] for every shipped decoder: it keeps a ladder in sync from a capture's
//! lines by the rules of the capture's [`Format`] (Binance spot, USDⓈ-M or COIN-M
//! snapshot-plus-diffs, Bybit `orderbook.500` snapshot-plus-deltas, Hyperliquid `l2Book`
//! full snapshots, OKX `books` snapshot-plus-updates with checksums), through one entry
//! point, [`BookFeed::on_line`], used by the runtime's loop, its simulated venues and the
//! scenario checks alike.
//!
//! Lines that carry no book (Binance book tickers and trades, Hyperliquid `trades`, OKX
//! `tickers`, `trades` and subscription events) are passed over, and an OKX capture's
//! `books` pushes of other instruments than the feed's are skipped and counted
//! ([`BookFeed::skipped`]); every other line the decoder or the sync rules refuse
//! (malformed, stale, out of sequence, checksum mismatch, crossed, off the tick or lot,
//! another venue's message) is counted in [`BookFeed::refused`] with the latest reason
//! kept, never silently dropped. No allocation per line: the syncs' buffers are allocated
//! at construction.

use crate::book::Ladder;
use crate::num::{Step, Text};

use super::binance::{classify, split_line, BinanceSync, LineKind, Market, SyncState};
use super::bybit::BybitSync;
use super::hyperliquid::apply_l2_book;
use super::okx::{InstId, OkxSync};
use super::tape::{split_cryptofeed, Tape};
use super::FeedError;

/// A capture's venue format: which decoder and sync rules its lines follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Binance spot: REST snapshot, then diffs with `U == previous u + 1`.
    BinanceSpot,
    /// Binance USDⓈ-M futures: REST snapshot, then diffs with `pu == previous u`.
    BinanceUsdm,
    /// Binance COIN-M futures (inverse): the USDⓈ-M rules; sizes are contracts.
    BinanceCoinm,
    /// Bybit v5 `orderbook.500`: a snapshot, then deltas with `u == previous u + 1`.
    BybitOrderbook500,
    /// Hyperliquid `l2Book`: every message a full top-N snapshot.
    HyperliquidL2Book,
    /// OKX `books` of one instrument: a snapshot, then updates with
    /// `prevSeqId == previous seqId` and a CRC32 checksum of the top 25 levels.
    OkxBooks(InstId),
}

impl Format {
    /// Every format, in the order of [`Format::NAMES`].
    pub const ALL: [Format; 6] = [
        Format::BinanceSpot,
        Format::BinanceUsdm,
        Format::BinanceCoinm,
        Format::BybitOrderbook500,
        Format::HyperliquidL2Book,
        Format::OkxBooks(InstId::ANY),
    ];

    /// The scenario key's values, as a list for messages.
    pub const NAMES: &'static str = "binance-spot, binance-usdm, binance-coinm, \
         bybit-orderbook500, hyperliquid-l2book or okx-books";

    /// The name a scenario gives it (`binance-usdm`).
    pub fn name(self) -> &'static str {
        match self {
            Format::BinanceSpot => "binance-spot",
            Format::BinanceUsdm => "binance-usdm",
            Format::BinanceCoinm => "binance-coinm",
            Format::BybitOrderbook500 => "bybit-orderbook500",
            Format::HyperliquidL2Book => "hyperliquid-l2book",
            Format::OkxBooks(_) => "okx-books",
        }
    }

    /// The format named `name`, if any (`okx-books` follows [`InstId::ANY`]: see
    /// [`Format::following`]).
    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Whether its lines may be bare JSON timed by a top-level `ts` in ms (Bybit's
    /// history files) instead of `<local_ns> <json>`.
    pub fn bare_json_time(self) -> bool {
        self == Format::BybitOrderbook500
    }

    /// Whether its lines may be cryptofeed's `<secs>.<frac>: <json>` (its OKX log)
    /// instead of `<local_ns> <json>`.
    pub fn cryptofeed_lines(self) -> bool {
        matches!(self, Format::OkxBooks(_))
    }

    /// The format following instrument `inst` where a capture interleaves several
    /// (`okx-books`: its `instId`); other formats have one instrument a capture and are
    /// returned as they are. `None` when `inst` is not an instrument id of the format.
    pub fn following(self, inst: &str) -> Option<Format> {
        match self {
            Format::OkxBooks(_) => InstId::new(inst).map(Format::OkxBooks),
            f => Some(f),
        }
    }
}

/// The sync state of one format.
#[derive(Debug)]
enum Sync {
    Binance(BinanceSync),
    Bybit(BybitSync),
    /// Whether a snapshot has been applied.
    Hyperliquid(bool),
    Okx(OkxSync),
}

/// Keeps a ladder in sync from capture lines of one [`Format`]. See the module doc.
#[derive(Debug)]
pub struct BookFeed {
    sync: Sync,
    format: Format,
    tick: Step,
    lot: Step,
    /// Lines refused (stale, gap, crossed, malformed, another venue's message), counted.
    pub refused: u64,
    /// Why the latest refused line was refused.
    pub last_error: Option<FeedError>,
}

impl BookFeed {
    /// A feed of `format` with the instrument's tick and lot.
    pub fn new(format: Format, tick: Step, lot: Step) -> BookFeed {
        let binance = |m| Sync::Binance(BinanceSync::new(m, 1 << 20, 64));
        let sync = match format {
            Format::BinanceSpot => binance(Market::Spot),
            Format::BinanceUsdm | Format::BinanceCoinm => binance(Market::Futures),
            Format::BybitOrderbook500 => Sync::Bybit(BybitSync::new()),
            Format::HyperliquidL2Book => Sync::Hyperliquid(false),
            Format::OkxBooks(inst) => Sync::Okx(OkxSync::new(inst)),
        };
        BookFeed {
            sync,
            format,
            tick,
            lot,
            refused: 0,
            last_error: None,
        }
    }

    /// Its format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Lines of another instrument of the capture, skipped (OKX captures interleave
    /// several; 0 for the other formats).
    pub fn skipped(&self) -> u64 {
        self.okx().map_or(0, |s| s.stats().skipped)
    }

    /// The OKX sync and its counts (checksums verified, gaps…), for an `okx-books` feed.
    pub fn okx(&self) -> Option<&OkxSync> {
        match &self.sync {
            Sync::Okx(s) => Some(s),
            _ => None,
        }
    }

    fn refuse(&mut self, e: FeedError) {
        self.refused += 1;
        self.last_error = Some(e);
    }

    /// Whether the book is live (in sync with the venue).
    pub fn is_live(&self) -> bool {
        match &self.sync {
            Sync::Binance(s) => s.is_live(),
            Sync::Bybit(s) => s.last_u().is_some(),
            Sync::Hyperliquid(live) => *live,
            Sync::Okx(s) => s.is_live(),
        }
    }

    /// Whether the book waits for a REST snapshot (a Binance feed before its first one
    /// or after a gap): what a live client polls to fetch one. Other formats carry their
    /// own snapshots in the stream: never (an OKX book waits for the next `books`
    /// snapshot, which a live client gets by subscribing again).
    pub fn needs_snapshot(&self) -> bool {
        match &self.sync {
            Sync::Binance(s) => s.state() == SyncState::AwaitingSnapshot,
            Sync::Bybit(_) | Sync::Hyperliquid(_) | Sync::Okx(_) => false,
        }
    }

    /// Whether a live Binance book has run out of its snapshot's window: a side with no
    /// level left. The REST snapshot lists the top N levels a side and a level beyond
    /// them is unknown until it changes, so when the price walks past the window a side
    /// empties while the venue's does not. A live client then fetches a fresh snapshot
    /// (see `runtime::live`); a replay cannot, and says so by an empty side. Other
    /// formats send whole books or their own snapshots: never.
    pub fn window_exhausted(&self, ladder: &Ladder) -> bool {
        let binance = matches!(self.sync, Sync::Binance(_));
        binance
            && self.is_live()
            && (ladder.len(crate::book::Side::Bid) == 0 || ladder.len(crate::book::Side::Ask) == 0)
    }

    /// Starts over, as on a new connection: the sequence and any buffered diffs are
    /// forgotten and the next snapshot installs the book; `ladder` is cleared. Counts
    /// (`refused`, OKX's statistics) are kept. Allocates nothing.
    pub fn reset(&mut self, ladder: &mut Ladder) {
        match &mut self.sync {
            Sync::Binance(s) => s.reset(),
            Sync::Bybit(s) => *s = BybitSync::new(),
            Sync::Hyperliquid(live) => *live = false,
            Sync::Okx(s) => s.reset(),
        }
        ladder.clear();
    }

    /// Applies one capture line to `ladder`. Returns whether the book is live after.
    pub fn on_line(&mut self, ladder: &mut Ladder, line: &[u8]) -> bool {
        let Some(json) = self.json_of(line) else {
            self.refuse(FeedError::WrongType {
                expected: "a `<local_ns> <json>` line",
                got: Text::new(line),
            });
            return self.is_live();
        };
        let steps = (self.tick, self.lot);
        let (refused, last_error) = (&mut self.refused, &mut self.last_error);
        let refuse = |e: FeedError| {
            *refused += 1;
            *last_error = Some(e);
        };
        match &mut self.sync {
            Sync::Binance(s) => binance_line(s, ladder, steps, json, refuse),
            Sync::Bybit(s) => bybit_line(s, ladder, steps, json, refuse),
            Sync::Hyperliquid(live) => hyperliquid_line(live, ladder, steps, json, refuse),
            Sync::Okx(s) => okx_line(s, ladder, steps, json, refuse),
        }
        self.is_live()
    }

    /// The JSON of a line of one of the format's shapes (see [`Tape`]).
    fn json_of<'l>(&self, line: &'l [u8]) -> Option<&'l [u8]> {
        if let Some((_, json)) = split_line(line) {
            return Some(json);
        }
        if self.format.bare_json_time() && line.first() == Some(&b'{') {
            return Some(line.strip_suffix(b"\r").unwrap_or(line));
        }
        if self.format.cryptofeed_lines() {
            return split_cryptofeed(line).map(|(_, json)| json);
        }
        None
    }

    /// Replays `tape` into a scratch book until it goes live, and returns the index of
    /// the line after which it was. A check before a run (it allocates): a capture of
    /// another venue or format, or a lot or tick that does not divide the book, never
    /// goes live.
    pub fn first_live(
        tape: &Tape,
        format: Format,
        (tick, lot): (Step, Step),
        (levels_per_side, max_update_levels): (usize, usize),
    ) -> Result<usize, Box<NeverLive>> {
        let mut ladder = Ladder::new(levels_per_side, max_update_levels);
        let mut feed = BookFeed::new(format, tick, lot);
        let mut first = None;
        for i in 0..tape.len() {
            let live = feed.on_line(&mut ladder, tape.line(i));
            if first.is_none() {
                first = feed.last_error.map(|e| (i, e));
            }
            if live {
                return Ok(i);
            }
        }
        Err(Box::new(NeverLive {
            lines: tape.len(),
            refused: feed.refused,
            skipped: feed.skipped(),
            first,
        }))
    }
}

/// What [`BookFeed`] calls a line that is not a Binance message it knows.
const NOT_BINANCE: &str = "a Binance depth snapshot, depth diff, book ticker or trade";

/// One Binance line: snapshots (then the diffs buffered before them) and diffs apply,
/// book tickers and trades are passed over. Each error (the line's own, or a buffered
/// diff's replayed after a snapshot) goes to `refuse`.
fn binance_line(
    sync: &mut BinanceSync,
    ladder: &mut Ladder,
    (tick, lot): (Step, Step),
    json: &[u8],
    mut refuse: impl FnMut(FeedError),
) {
    match classify(json) {
        LineKind::Snapshot => {
            if let Err(e) = sync.on_snapshot(ladder, tick, lot, json) {
                refuse(e);
            }
            while let Some(r) = sync.replay_next(ladder, tick, lot) {
                if let Err(e) = r {
                    refuse(e);
                }
            }
        }
        LineKind::Depth => {
            if let Err(e) = sync.on_depth(ladder, tick, lot, json) {
                refuse(e);
            }
        }
        LineKind::BookTicker | LineKind::Trade => {}
        LineKind::Other => refuse(FeedError::WrongType {
            expected: NOT_BINANCE,
            got: Text::new(json),
        }),
    }
}

/// One Bybit `orderbook` message (a snapshot or the next delta).
fn bybit_line(
    sync: &mut BybitSync,
    ladder: &mut Ladder,
    (tick, lot): (Step, Step),
    json: &[u8],
    mut refuse: impl FnMut(FeedError),
) {
    if let Err(e) = sync.apply(ladder, tick, lot, json) {
        refuse(e);
    }
}

/// One Hyperliquid message: an `l2Book` replaces the book (and makes it live), a
/// `trades` message is passed over.
fn hyperliquid_line(
    live: &mut bool,
    ladder: &mut Ladder,
    (tick, lot): (Step, Step),
    json: &[u8],
    mut refuse: impl FnMut(FeedError),
) {
    match apply_l2_book(ladder, tick, lot, json) {
        Ok(_) => *live = true,
        Err(FeedError::WrongType { got, .. }) if got.as_str() == "trades" => {}
        Err(e) => refuse(e),
    }
}

/// One OKX message: a `books` push of the feed's instrument applies (another's is
/// skipped and counted by the sync), other channels are passed over.
fn okx_line(
    sync: &mut OkxSync,
    ladder: &mut Ladder,
    (tick, lot): (Step, Step),
    json: &[u8],
    mut refuse: impl FnMut(FeedError),
) {
    if let Err(e) = sync.apply(ladder, tick, lot, json) {
        refuse(e);
    }
}

/// A feed whose book never went live over its whole capture (see
/// [`BookFeed::first_live`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeverLive {
    /// Lines of the capture, all read.
    pub lines: usize,
    /// Lines refused.
    pub refused: u64,
    /// Lines of other instruments, skipped (see [`BookFeed::skipped`]).
    pub skipped: u64,
    /// The first refused line (its index in the tape) and why.
    pub first: Option<(usize, FeedError)>,
}

#[cfg(test)]
mod tests;
