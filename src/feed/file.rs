//! [`load_book_file`]: one recorded order book from a file, for `legcore analyze`.
//!
//! Formats recognised (by the top-level keys of the JSON object):
//! - a Binance REST depth snapshot (`lastUpdateId`, `bids`, `asks`);
//! - a Hyperliquid `l2Book`, REST object (`coin`, `levels`, `time`) or websocket envelope
//!   (`channel`, `data`);
//! - a Bybit v5 `orderbook` **snapshot** message (`topic`, `type`, `data`); for a JSON Lines
//!   file (Bybit's history data) the first line is taken.
//!
//! The tick and lot are not given: they are inferred as `10^-d`, `d` the largest number of
//! decimals written among the file's prices (resp. sizes), so `"61800.20"` and `"2.909"`
//! give tick 0.01 and lot 0.001, and every level is an exact multiple. Decimals are counted
//! as written: Binance spot's `"61837.63000000"` gives tick 1e-8.
//!
//! The book is installed as [`Depth::Partial`] (every one of these formats is a top-N
//! window). Bad input — empty, binary, truncated, crossed, unsorted, duplicate levels, zero
//! or negative sizes or prices, NaN, infinities, more than 18 decimals, values past the
//! range, an empty side — is a typed [`FeedError`]; nothing panics. This is the CLI edge:
//! it allocates (the ladder) and scans the input three times (detect, measure, load).

use core::fmt;

use crate::book::{Depth, Ladder, Side};
use crate::num::{Decimal, Step, Text};

use super::json::Scanner;
use super::levels::{DecimalsSink, LevelSink, SnapshotSink};
use super::{binance, bybit, hyperliquid, FeedError};

/// The format a book file was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Binance REST depth snapshot (`GET /fapi/v1/depth`, `/api/v3/depth`).
    BinanceSnapshot,
    /// Bybit v5 `orderbook.N` snapshot message.
    BybitSnapshot,
    /// Hyperliquid `l2Book` REST response.
    HyperliquidRest,
    /// Hyperliquid `l2Book` websocket message.
    HyperliquidWs,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::BinanceSnapshot => "Binance REST depth snapshot",
            Format::BybitSnapshot => "Bybit orderbook snapshot",
            Format::HyperliquidRest => "Hyperliquid l2Book (REST)",
            Format::HyperliquidWs => "Hyperliquid l2Book (websocket)",
        })
    }
}

/// A book loaded from a file.
#[derive(Debug, Clone)]
pub struct LoadedBook {
    /// The recognised format.
    pub format: Format,
    /// The book (both sides non-empty), depth beyond the listed levels unknown.
    pub ladder: Ladder,
    /// The inferred price tick.
    pub tick: Step,
    /// The inferred size lot.
    pub lot: Step,
    /// The file's sequence: Binance `lastUpdateId`, Bybit `u`, Hyperliquid `time`.
    pub seq: u64,
    /// Levels the file lists on its deeper side (the ladder holds at most the cap).
    pub listed: usize,
}

/// Loads one book from `bytes` into a ladder sized from the file, holding at most
/// `levels_per_side` levels per side (a file listing more keeps its best ones, the depth
/// past them unknown; [`LoadedBook::listed`] says how many it listed). See the
/// module doc.
pub fn load_book_file(bytes: &[u8], levels_per_side: usize) -> Result<LoadedBook, FeedError> {
    let doc = document(bytes)?;
    let format = detect(doc)?;
    if format == Format::BybitSnapshot {
        require_bybit_snapshot(doc)?;
    }
    let mut dp = DecimalsSink::default();
    walk(format, doc, &mut dp)?;
    let tick = step_of(dp.price_dp, "tick")?;
    let lot = step_of(dp.qty_dp, "lot")?;
    let listed = dp.bids.max(dp.asks);
    let mut ladder = Ladder::new(listed.min(levels_per_side), 1);
    let mut snap = ladder.snapshot();
    let mut sink = SnapshotSink {
        snap: &mut snap,
        tick,
        lot,
    };
    let seq = walk(format, doc, &mut sink)?;
    snap.commit(seq, Depth::Partial)?;
    for side in [Side::Bid, Side::Ask] {
        if ladder.len(side) == 0 {
            return Err(FeedError::EmptySide(side));
        }
    }
    Ok(LoadedBook {
        format,
        ladder,
        tick,
        lot,
        seq,
        listed,
    })
}

fn require_bybit_snapshot(doc: &[u8]) -> Result<(), FeedError> {
    match bybit::message_type(doc)? {
        bybit::MessageType::Snapshot => Ok(()),
        bybit::MessageType::Delta => Err(FeedError::WrongType {
            expected: "a Bybit snapshot (a book file cannot start with a delta)",
            got: Text::new(b"delta"),
        }),
    }
}

fn walk<S: LevelSink>(format: Format, doc: &[u8], sink: &mut S) -> Result<u64, FeedError> {
    match format {
        Format::BinanceSnapshot => binance::walk_snapshot(doc, sink),
        Format::BybitSnapshot => bybit::walk_message(doc, sink),
        Format::HyperliquidRest | Format::HyperliquidWs => hyperliquid::walk_l2_book(doc, sink),
    }
}

/// `10^-dp` as a step (`dp ≤ 18`, guaranteed by the decimal parser).
fn step_of(dp: u8, what: &'static str) -> Result<Step, FeedError> {
    let raw = 10i128.pow(u32::from(18u8.saturating_sub(dp)));
    let size = Decimal::from_raw(raw).map_err(FeedError::num(what))?;
    Step::new(size).map_err(FeedError::num(what))
}

/// The JSON document to read: the input without a UTF-8 BOM and surrounding whitespace,
/// or its first line when that line alone is a complete JSON value (JSON Lines).
fn document(bytes: &[u8]) -> Result<&[u8], FeedError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let doc = bytes.trim_ascii();
    match doc.first() {
        None => return Err(FeedError::UnknownFormat("the input is empty")),
        Some(b'{') => {}
        Some(_) => {
            return Err(FeedError::UnknownFormat(
                "not a JSON object (binary data, or text in another format)",
            ))
        }
    }
    if let Some(nl) = doc.iter().position(|&b| b == b'\n') {
        let first = doc.get(..nl).unwrap_or(doc);
        let mut sc = Scanner::new(first);
        if sc.skip_value().is_ok() && sc.finish().is_ok() {
            return Ok(first);
        }
    }
    Ok(doc)
}

/// The format, from the top-level keys (the whole object is scanned, so a truncated or
/// malformed document fails here with the scanner's error).
fn detect(doc: &[u8]) -> Result<Format, FeedError> {
    let mut sc = Scanner::new(doc);
    sc.begin_object()?;
    let (mut binance, mut bybit, mut ws, mut rest) = (false, false, false, false);
    while let Some(key) = sc.next_key()? {
        match key {
            b"lastUpdateId" => binance = true,
            b"topic" => bybit = true,
            b"channel" => ws = true,
            b"levels" => rest = true,
            _ => {}
        }
        sc.skip_value()?;
    }
    sc.finish()?;
    match (binance, bybit, ws, rest) {
        (true, false, false, false) => Ok(Format::BinanceSnapshot),
        (false, true, false, false) => Ok(Format::BybitSnapshot),
        (false, false, true, false) => Ok(Format::HyperliquidWs),
        (false, false, false, true) => Ok(Format::HyperliquidRest),
        (false, false, false, false) => Err(FeedError::UnknownFormat(
            "a JSON object without `lastUpdateId`, `topic`, `channel` or `levels`",
        )),
        _ => Err(FeedError::UnknownFormat(
            "keys of more than one format (`lastUpdateId`, `topic`, `channel`, `levels`)",
        )),
    }
}

#[cfg(test)]
mod tests;
