//! The feed decoders' "no allocation per message" guarantee, measured: a counting global
//! allocator (gated per thread, so parallel tests do not disturb it) must see zero
//! allocations while real messages — valid, stale, out of sequence, truncated and malformed —
//! go through the Binance, Bybit, Hyperliquid and OKX decoders into preallocated ladders.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{BufRead, BufReader};

use legcore::book::Ladder;
use legcore::feed::binance::{
    classify, decode_book_ticker, split_line, BinanceSync, LineKind, Market,
};
use legcore::feed::bybit::BybitSync;
use legcore::feed::hyperliquid::apply_l2_book;
use legcore::feed::okx::{InstId, OkxSync};
use legcore::feed::{BookFeed, Format, Tape};
use legcore::num::Step;

struct Counting;

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ON.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations(f: impl FnOnce()) -> u64 {
    COUNT.with(|c| c.set(0));
    ON.with(|o| o.set(true));
    f();
    ON.with(|o| o.set(false));
    COUNT.with(Cell::get)
}

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/market/");

fn capture(rel: &str, n: usize) -> Vec<Vec<u8>> {
    let file = std::fs::File::open(format!("{DATA}{rel}")).unwrap();
    let mut reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let (mut out, mut line) = (Vec::new(), Vec::new());
    while out.len() < n && reader.read_until(b'\n', &mut line).unwrap() > 0 {
        out.push(split_line(&line).unwrap().1.to_vec());
        line.clear();
    }
    out
}

/// Each message, then damaged copies of it: cut in half, and with a digit turned into `x`.
fn with_damage(msgs: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for m in msgs {
        out.push(m[..m.len() / 2].to_vec());
        let mut bad = m.clone();
        if let Some(d) = bad.iter().rposition(u8::is_ascii_digit) {
            bad[d] = b'x';
        }
        out.push(bad);
        out.push(m);
    }
    out
}

#[test]
fn the_counter_counts() {
    assert_eq!(allocations(|| {}), 0);
    assert_eq!(allocations(|| drop(std::hint::black_box(vec![0u8; 8]))), 1);
}

#[test]
fn binance_messages_allocate_nothing() {
    let (tick, lot) = (Step::parse("0.10").unwrap(), Step::parse("0.001").unwrap());
    let msgs = with_damage(capture("binance/usdm_btcusdt_20240808.raw.gz", 3_000));
    let mut sync = BinanceSync::new(Market::Futures, 1 << 20, 256);
    let mut ladder = Ladder::new(16_384, 4_096);
    let (mut ok, mut err) = (0u32, 0u32);
    let n = allocations(|| {
        for m in &msgs {
            let r = match classify(m) {
                LineKind::Snapshot => sync.on_snapshot(&mut ladder, tick, lot, m).map(|_| ()),
                LineKind::Depth => sync.on_depth(&mut ladder, tick, lot, m).map(|_| ()),
                LineKind::BookTicker => decode_book_ticker(m, tick, lot).map(|_| ()),
                _ => continue,
            };
            while let Some(r) = sync.replay_next(&mut ladder, tick, lot) {
                let _ = r;
            }
            if r.is_ok() {
                ok += 1;
            } else {
                err += 1;
            }
        }
    });
    assert_eq!(n, 0);
    assert!(ok > 1_000 && err > 1_000, "{ok} {err}");
    assert!(ladder.len(legcore::book::Side::Bid) > 0);
}

#[test]
fn bybit_and_hyperliquid_messages_allocate_nothing() {
    let text = std::fs::read(format!("{DATA}bybit/2024-12-01_XRPUSDT_ob500.data.jsonl")).unwrap();
    let lines = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    let bybit = with_damage(lines);
    let hl = with_damage(capture("hyperliquid/btc_20250126.raw.gz", 100));
    let (t, l) = (Step::parse("0.0001").unwrap(), Step::parse("1").unwrap());
    let (ht, hl_lot) = (Step::parse("1").unwrap(), Step::parse("0.00001").unwrap());
    let mut sync = BybitSync::new();
    let mut ladder = Ladder::new(1_024, 1_024);
    let mut hl_ladder = Ladder::new(64, 1);
    let mut ok = 0u32;
    let n = allocations(|| {
        for m in &bybit {
            ok += u32::from(sync.apply(&mut ladder, t, l, m).is_ok());
        }
        for m in &hl {
            ok += u32::from(apply_l2_book(&mut hl_ladder, ht, hl_lot, m).is_ok());
        }
    });
    assert_eq!(n, 0);
    assert!(ok >= 47, "{ok}");
}

/// OKX `books` snapshots and updates of the real capture, each checksum verified, then
/// damaged copies (refused, some making the book stale), allocate nothing.
#[test]
fn okx_messages_allocate_nothing() {
    let path = format!("{DATA}okx/cryptofeed_OKX.ws.1.0.txt.gz");
    let tape = Tape::load(path, Format::OkxBooks(InstId::ANY)).unwrap();
    let json = |i: usize| {
        let line = tape.line(i);
        let at = line.windows(2).position(|w| w == b": ").unwrap();
        line[at + 2..].to_vec()
    };
    let whole: Vec<Vec<u8>> = (0..tape.len()).map(json).collect();
    let mut damaged = with_damage(whole.clone());
    // And with the last digit (a book's checksum) changed: a mismatch, the book stale.
    damaged.extend(whole.iter().map(|m| {
        let mut bad = m.clone();
        if let Some(d) = bad.iter().rposition(u8::is_ascii_digit) {
            bad[d] = if bad[d] == b'1' { b'2' } else { b'1' };
        }
        bad
    }));
    let (tick, lot) = (
        Step::parse("0.1").unwrap(),
        Step::parse("0.00000001").unwrap(),
    );
    let mut sync = OkxSync::new(InstId::new("BTC-USDT").unwrap());
    let mut ladder = Ladder::new(1_024, 1_024);
    let mut refused = 0u32;
    let n = allocations(|| {
        for m in whole.iter().chain(&damaged) {
            refused += u32::from(sync.apply(&mut ladder, tick, lot, m).is_err());
        }
    });
    assert_eq!(n, 0);
    let s = sync.stats();
    assert!(s.checksums_verified >= 98, "{s:?}");
    assert!(
        refused > 100 && s.checksum_mismatches > 0,
        "{refused} {s:?}"
    );
}

/// `legcore run`'s [`BookFeed`] over a capture of each format, whole and damaged
/// lines alike, allocates nothing once built; the damaged lines are counted refused.
#[test]
fn the_run_book_feed_allocates_nothing_on_every_format() {
    let cases = [
        (
            "binance/usdm_btcusdt_20240808.raw.gz",
            Format::BinanceUsdm,
            "0.1",
            "0.001",
        ),
        (
            "binance/coinm_btcusd_perp_20240808.raw.gz",
            Format::BinanceCoinm,
            "0.1",
            "1",
        ),
        (
            "binance/spot_btcusdt_20240808.raw.gz",
            Format::BinanceSpot,
            "0.01",
            "0.000001",
        ),
        (
            "bybit/2024-12-01_XRPUSDT_ob500.data.jsonl",
            Format::BybitOrderbook500,
            "0.0001",
            "1",
        ),
        (
            "hyperliquid/btc_20250126.raw.gz",
            Format::HyperliquidL2Book,
            "1",
            "0.00001",
        ),
        (
            "okx/cryptofeed_OKX.ws.1.0.txt.gz",
            Format::OkxBooks(InstId::new("BTC-USDT").unwrap()),
            "0.1",
            "0.00000001",
        ),
    ];
    for (file, format, tick, lot) in cases {
        let tape = Tape::load(format!("{DATA}{file}"), format).unwrap();
        // Whole lines until the book is surely live (past the Binance diff buffer), then
        // damaged ones too.
        let line = |i: usize| tape.line(i).to_vec();
        let n = tape.len().min(3_000);
        let mut lines: Vec<Vec<u8>> = (0..n / 2).map(line).collect();
        lines.extend(with_damage((n / 2..n).map(line).collect()));
        let mut feed = BookFeed::new(
            format,
            Step::parse(tick).unwrap(),
            Step::parse(lot).unwrap(),
        );
        let mut ladder = Ladder::new(16_384, 4_096);
        let mut live = 0u32;
        let n = allocations(|| {
            for l in &lines {
                live += u32::from(feed.on_line(&mut ladder, l));
            }
        });
        assert_eq!(n, 0, "{}", format.name());
        assert!(
            live > 0 && feed.refused > 0,
            "{}: {live} live, {} refused",
            format.name(),
            feed.refused
        );
    }
}
