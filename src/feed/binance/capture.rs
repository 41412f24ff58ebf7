//! hftbacktest capture files: `<local_receive_ns> <exchange JSON>` per line, gzip.
//!
//! [`split_line`] and [`classify`] look at a line's first bytes only (no JSON parse) to
//! route it: the REST snapshot is a bare object starting `{"lastUpdateId"`, stream messages
//! start `{"stream":"<symbol>@<channel>`. [`Replay`] drives a whole file through a
//! [`BinanceSync`] into a [`Ladder`], counting outcomes and checking the book against every
//! `bookTicker` whose `u` equals the book's last applied `u`.
//!
//! Replay is a test and analysis tool, not the hot path: it streams the gzip through
//! `flate2` and a `BufRead`, reusing one line buffer; the ladder and sync it owns are
//! preallocated as usual.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::book::{Depth, Ladder, Level, Side};
use crate::num::Step;

use super::sync::{BinanceSync, Market, Outcome};
use super::ticker::{decode_book_ticker, BookTicker};
use crate::feed::FeedError;

/// What a capture line carries, judged from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// The REST depth snapshot (`{"lastUpdateId"…`).
    Snapshot,
    /// A `depthUpdate` diff (`…@depth`, `…@depth@100ms`, `…@depth@0ms`).
    Depth,
    /// A `bookTicker` quote.
    BookTicker,
    /// A `trade` or `aggTrade`.
    Trade,
    /// Anything else (including partial-depth `@depth20` snapshots, klines, responses).
    Other,
}

/// Splits a capture line into its local receive time (ns) and the JSON, without the
/// trailing line break. `None` if the line is not `<digits> <json>`.
pub fn split_line(line: &[u8]) -> Option<(u64, &[u8])> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let space = line.iter().position(|&b| b == b' ')?;
    let (digits, rest) = line.split_at(space);
    if digits.is_empty() {
        return None;
    }
    let mut ns: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        ns = ns.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some((ns, rest.get(1..).unwrap_or(&[])))
}

/// Classifies a Binance message by its first bytes (see [`LineKind`]).
pub fn classify(json: &[u8]) -> LineKind {
    if json.starts_with(b"{\"lastUpdateId\"") {
        return LineKind::Snapshot;
    }
    if let Some(rest) = json.strip_prefix(b"{\"stream\":\"") {
        let name = rest.split(|&b| b == b'"').next().unwrap_or(&[]);
        let channel = match name.iter().position(|&b| b == b'@') {
            Some(at) => name.get(at + 1..).unwrap_or(&[]),
            None => return LineKind::Other,
        };
        return channel_kind(channel);
    }
    if let Some(rest) = json.strip_prefix(b"{\"e\":\"") {
        let event = rest.split(|&b| b == b'"').next().unwrap_or(&[]);
        return match event {
            b"depthUpdate" => LineKind::Depth,
            b"bookTicker" => LineKind::BookTicker,
            b"trade" | b"aggTrade" => LineKind::Trade,
            _ => LineKind::Other,
        };
    }
    LineKind::Other
}

fn channel_kind(channel: &[u8]) -> LineKind {
    let base = channel.split(|&b| b == b'@').next().unwrap_or(&[]);
    match base {
        b"depth" => LineKind::Depth,
        b"bookTicker" => LineKind::BookTicker,
        b"trade" | b"aggTrade" => LineKind::Trade,
        _ => LineKind::Other,
    }
}

/// Sizes and steps for a [`Replay`].
#[derive(Debug, Clone, Copy)]
pub struct ReplayConfig {
    /// Which sequence rule.
    pub market: Market,
    /// Price tick of the instrument.
    pub tick: Step,
    /// Size lot of the instrument.
    pub lot: Step,
    /// Ladder capacity per side.
    pub levels_per_side: usize,
    /// Largest number of level changes in one diff.
    pub max_update_levels: usize,
    /// Bytes of diffs buffered before the snapshot.
    pub arena_bytes: usize,
    /// Number of diffs buffered before the snapshot.
    pub max_buffered: usize,
    /// How the REST snapshot is installed: `Partial` (the honest default: depth past its
    /// farthest level is unknown and diff levels there are ignored) or `Complete` (keep
    /// every diff level, as a full reference replay does).
    pub snapshot_depth: Depth,
}

/// Counts kept by a [`Replay`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Lines read.
    pub lines: u64,
    /// Lines that are not `<digits> <json>`.
    pub malformed_lines: u64,
    /// Snapshots installed.
    pub snapshots: u64,
    /// Diffs applied.
    pub applied: u64,
    /// Diffs dropped as stale.
    pub dropped: u64,
    /// Diffs buffered before the snapshot.
    pub buffered: u64,
    /// Sequence gaps.
    pub gaps: u64,
    /// Diffs (or snapshots) refused because the result would be crossed.
    pub crossed: u64,
    /// Other rejected messages (malformed, off-tick, buffer full…).
    pub errors: u64,
    /// The first error of any kind and its 1-based line number.
    pub first_error: Option<(u64, FeedError)>,
    /// `bookTicker` messages decoded.
    pub book_tickers: u64,
    /// `bookTicker`s whose `u` equalled the live book's last applied `u`.
    pub ticker_checked: u64,
    /// Of those, how many matched best bid and ask price and size exactly.
    pub ticker_matched: u64,
    /// Of those, how many did not match only because the quoted best lies where the ladder
    /// knows it has no depth information (beyond a `Partial` snapshot's farthest level),
    /// with the ladder's side correctly empty above it.
    pub ticker_unknown_depth: u64,
    /// The first checked `bookTicker` that did not match for another reason, and its line
    /// number.
    pub first_mismatch: Option<(u64, BookTicker)>,
    /// Trade lines (counted, not decoded).
    pub trades: u64,
    /// Other lines.
    pub other: u64,
}

/// Replays a Binance hftbacktest capture into a ladder: see [`split_line`], [`classify`].
#[derive(Debug)]
pub struct Replay {
    tick: Step,
    lot: Step,
    sync: BinanceSync,
    ladder: Ladder,
    stats: ReplayStats,
    line: Vec<u8>,
}

impl Replay {
    /// A replay with a fresh ladder and sync sized by `cfg`.
    pub fn new(cfg: ReplayConfig) -> Replay {
        Replay {
            tick: cfg.tick,
            lot: cfg.lot,
            sync: BinanceSync::new(cfg.market, cfg.arena_bytes, cfg.max_buffered)
                .with_snapshot_depth(cfg.snapshot_depth),
            ladder: Ladder::new(cfg.levels_per_side, cfg.max_update_levels),
            stats: ReplayStats::default(),
            line: Vec::with_capacity(1 << 16),
        }
    }

    /// The book.
    pub fn ladder(&self) -> &Ladder {
        &self.ladder
    }

    /// The sync state machine.
    pub fn sync(&self) -> &BinanceSync {
        &self.sync
    }

    /// Counts so far.
    pub fn stats(&self) -> &ReplayStats {
        &self.stats
    }

    /// Reads every line of `reader` (reusing one buffer) and feeds it to
    /// [`feed_line`](Self::feed_line). Only I/O fails here; feed errors are counted.
    pub fn run<R: BufRead>(&mut self, mut reader: R) -> io::Result<()> {
        let mut line = core::mem::take(&mut self.line);
        let result = loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => break Ok(()),
                Ok(_) => self.feed_line(&line),
                Err(e) => break Err(e),
            }
        };
        self.line = line;
        result
    }

    /// Replays a gzip capture file.
    pub fn run_gz_file(&mut self, path: impl AsRef<Path>) -> io::Result<()> {
        let file = File::open(path)?;
        self.run(BufReader::with_capacity(1 << 16, MultiGzDecoder::new(file)))
    }

    /// Handles one capture line.
    pub fn feed_line(&mut self, line: &[u8]) {
        self.stats.lines += 1;
        let Some((_ns, json)) = split_line(line) else {
            self.stats.malformed_lines += 1;
            return;
        };
        match classify(json) {
            LineKind::Snapshot => self.snapshot(json),
            LineKind::Depth => {
                let r = self
                    .sync
                    .on_depth(&mut self.ladder, self.tick, self.lot, json);
                self.count(r);
            }
            LineKind::BookTicker => self.ticker(json),
            LineKind::Trade => self.stats.trades += 1,
            LineKind::Other => self.stats.other += 1,
        }
    }

    fn snapshot(&mut self, json: &[u8]) {
        match self
            .sync
            .on_snapshot(&mut self.ladder, self.tick, self.lot, json)
        {
            Ok(_) => self.stats.snapshots += 1,
            Err(e) => return self.record(e),
        }
        while let Some(r) = self.sync.replay_next(&mut self.ladder, self.tick, self.lot) {
            self.count(r);
        }
    }

    fn ticker(&mut self, json: &[u8]) {
        let t = match decode_book_ticker(json, self.tick, self.lot) {
            Ok(t) => t,
            Err(e) => return self.record(e),
        };
        self.stats.book_tickers += 1;
        if !self.sync.is_live() || t.u != self.ladder.seq() {
            return;
        }
        self.stats.ticker_checked += 1;
        let bid = self.side_agrees(Side::Bid, t.bid);
        let ask = self.side_agrees(Side::Ask, t.ask);
        match (bid, ask) {
            (Some(true), Some(true)) => self.stats.ticker_matched += 1,
            (Some(_), Some(_)) => self.stats.ticker_unknown_depth += 1,
            _ => {
                if self.stats.first_mismatch.is_none() {
                    self.stats.first_mismatch = Some((self.stats.lines, t));
                }
            }
        }
    }

    /// `Some(true)`: the ladder's best on `side` is `quoted`. `Some(false)`: it is not, but
    /// only because `quoted` lies in the ladder's unknown region and the ladder's side is
    /// empty. `None`: a real disagreement.
    fn side_agrees(&self, side: Side, quoted: Level) -> Option<bool> {
        let best = self.ladder.best(side);
        if best == Some(quoted) {
            return Some(true);
        }
        let unknown = self
            .ladder
            .unknown_from(side)
            .is_some_and(|edge| match side {
                Side::Bid => quoted.price_ticks <= edge,
                Side::Ask => quoted.price_ticks >= edge,
            });
        (unknown && best.is_none()).then_some(false)
    }

    fn count(&mut self, r: Result<Outcome, FeedError>) {
        match r {
            Ok(Outcome::Applied { .. }) => self.stats.applied += 1,
            Ok(Outcome::Dropped { .. }) => self.stats.dropped += 1,
            Ok(Outcome::Buffered) => self.stats.buffered += 1,
            Err(e) => self.record(e),
        }
    }

    fn record(&mut self, e: FeedError) {
        if e.is_gap() {
            self.stats.gaps += 1;
        } else if e.is_crossed() {
            self.stats.crossed += 1;
        } else {
            self.stats.errors += 1;
        }
        if self.stats.first_error.is_none() {
            self.stats.first_error = Some((self.stats.lines, e));
        }
    }
}
