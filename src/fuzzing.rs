//! Harnesses shared by the cargo-fuzz targets in `fuzz/` and the corpus replay test
//! (`tests/fuzz_corpus.rs`), so the committed corpus runs under plain `cargo test`.
//!
//! Each harness takes arbitrary bytes and panics only when a property is violated:
//! a panic inside legcore, a failed round trip, a walk that disagrees with the naive
//! reference, or an error that changed the ladder.

use std::collections::BTreeMap;

use crate::book::{Depth, Ladder, Level, OrderSide, Side};
use crate::num::{Decimal, Step};
use crate::walk::{walk_notional, walk_qty};

/// `num_parse`: parsing never panics; what parses prints back to the same value.
pub fn num_parse(data: &[u8]) {
    if let Ok(d) = Decimal::parse_bytes(data) {
        let text = d.to_string();
        let back = Decimal::parse(&text).expect("printed decimal must parse");
        assert_eq!(back, d, "round trip of {text}");
        assert_eq!(back.to_string(), text);
    }
    for step in ["0.1", "0.001", "0.5", "1", "0.00000001"] {
        let s = Step::parse(step).expect("valid step");
        if let Ok(units) = s.parse_units(data) {
            let text = s.to_decimal(units).to_string();
            assert_eq!(s.parse_units(text.as_bytes()), Ok(units), "units of {text}");
        }
    }
}

/// Reads little-endian integers from the fuzz input, yielding zero when it runs out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        let (b, rest) = self.0.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
        self.0 = rest;
        b
    }
    fn u16(&mut self) -> u16 {
        u16::from(self.u8()) | (u16::from(self.u8()) << 8)
    }
    fn done(&self) -> bool {
        self.0.is_empty()
    }
}

/// `book_walk`: a byte-driven sequence of snapshots, update transactions and walks.
/// Every walk must equal the naive walk over a copy of the ladder's levels, and a
/// failed update must leave the levels unchanged.
pub fn book_walk(data: &[u8]) {
    let mut input = Bytes(data);
    let cap = usize::from(input.u8() % 16) + 1;
    let mut ladder = Ladder::new(cap, 4);
    while !input.done() {
        match input.u8() % 4 {
            0 => snapshot(&mut ladder, &mut input),
            1 | 2 => update(&mut ladder, &mut input),
            _ => walks(&ladder, &mut input),
        }
    }
}

fn snapshot(ladder: &mut Ladder, input: &mut Bytes<'_>) {
    let n = usize::from(input.u8() % 8);
    let mut bids = Vec::new();
    let mut asks = Vec::new();
    for i in 0..n {
        let l = Level {
            price_ticks: i64::from(input.u16()) - 2,
            qty_lots: i64::from(input.u8()) - 1,
        };
        if i.is_multiple_of(2) {
            bids.push(l)
        } else {
            asks.push(l)
        }
    }
    let before = levels(ladder);
    let depth = if input.u8().is_multiple_of(2) {
        Depth::Complete
    } else {
        Depth::Partial
    };
    if ladder.apply_snapshot(&bids, &asks, 1, depth).is_err() {
        assert_eq!(levels(ladder), before, "failed snapshot changed the ladder");
    }
}

fn update(ladder: &mut Ladder, input: &mut Bytes<'_>) {
    let before = levels(ladder);
    let n = input.u8() % 6;
    let mut tx = ladder.update();
    let mut ok = true;
    for _ in 0..n {
        let side = if input.u8().is_multiple_of(2) {
            Side::Bid
        } else {
            Side::Ask
        };
        let price = i64::from(input.u16()) - 2;
        let qty = i64::from(input.u8()) - 1;
        if tx.set(side, price, qty).is_err() {
            ok = false;
            break;
        }
    }
    let committed = if ok {
        tx.commit(2).is_ok()
    } else {
        drop(tx);
        false
    };
    if !committed {
        assert_eq!(levels(ladder), before, "failed update changed the ladder");
    }
}

fn walks(ladder: &Ladder, input: &mut Bytes<'_>) {
    let side = if input.u8().is_multiple_of(2) {
        OrderSide::Buy
    } else {
        OrderSide::Sell
    };
    let qty = i64::from(input.u16()) - 1;
    let book: Vec<Level> = ladder.levels(side.takes_from()).collect();
    match walk_qty(ladder, side, qty) {
        Ok(w) => {
            let (mut rem, mut n) = (qty, 0i128);
            for l in &book {
                let t = rem.min(l.qty_lots);
                n += i128::from(l.price_ticks) * i128::from(t);
                rem -= t;
            }
            assert_eq!((w.notional_tl, w.shortfall_lots), (n, rem), "qty walk");
        }
        Err(_) => assert!(qty <= 0, "valid quantity {qty} refused"),
    }
    let notional = i128::from(input.u16()) * 7 - 3;
    if let Ok(w) = walk_notional(ladder, side, notional) {
        let total: i128 = book
            .iter()
            .map(|l| i128::from(l.price_ticks) * i128::from(l.qty_lots))
            .sum();
        assert_eq!(w.notional_tl, notional.min(total), "notional walk");
        assert!(w.qty_num >= 0 && w.qty_den > 0);
    }
}

fn levels(l: &Ladder) -> (BTreeMap<i64, i64>, BTreeMap<i64, i64>, u64) {
    let side = |s| {
        l.levels(s)
            .map(|v: Level| (v.price_ticks, v.qty_lots))
            .collect()
    };
    (side(Side::Bid), side(Side::Ask), l.seq())
}

/// Baseline book for `book_decode`: bids 100.00 / 99.99, asks 100.01 / 100.02.
const BASE_BINANCE: &[u8] = br#"{"lastUpdateId":100,"bids":[["100.00","1.000"],["99.99","2.000"]],"asks":[["100.01","1.000"],["100.02","3.000"]]}"#;
const BASE_BYBIT: &[u8] = br#"{"topic":"orderbook.50.X","type":"snapshot","ts":1,"data":{"s":"X","b":[["100.00","1.000"]],"a":[["100.01","1.000"]],"u":100,"seq":1}}"#;

/// `book_decode`: every decoder on arbitrary bytes against a live book. Each must return
/// `Ok` or a typed error without panicking, and on an error the ladder must be unchanged.
pub fn book_decode(data: &[u8]) {
    use crate::feed::binance::{BinanceSync, Market};
    use crate::feed::{binance, bybit, hyperliquid, load_book_file};

    let tick = Step::parse("0.01").expect("tick");
    let lot = Step::parse("0.001").expect("lot");
    if let Ok(l) = load_book_file(data, 64) {
        assert!(l.ladder.best_bid().is_some() && l.ladder.best_ask().is_some());
    }

    let mut base = Ladder::new(64, 64);
    binance::apply_depth_snapshot(&mut base, tick, lot, BASE_BINANCE).expect("baseline");
    let unchanged = |l: &Ladder, what: &str| {
        assert_eq!(
            levels(l),
            levels(&base),
            "{what} failed but changed the ladder"
        );
    };

    let mut l = base.clone();
    if binance::apply_depth_snapshot(&mut l, tick, lot, data).is_err() {
        unchanged(&l, "binance snapshot");
    }
    let mut l = base.clone();
    if hyperliquid::apply_l2_book(&mut l, tick, lot, data).is_err() {
        unchanged(&l, "hyperliquid l2Book");
    }
    for market in [Market::Futures, Market::Spot] {
        let mut l = Ladder::new(64, 64);
        let mut sync = BinanceSync::new(market, 4096, 8);
        sync.on_snapshot(&mut l, tick, lot, BASE_BINANCE)
            .expect("baseline");
        while sync.replay_next(&mut l, tick, lot).is_some() {}
        if sync.on_depth(&mut l, tick, lot, data).is_err() {
            unchanged(&l, "binance depth diff");
        }
    }
    let mut l = Ladder::new(64, 64);
    let mut sync = bybit::BybitSync::new();
    sync.apply(&mut l, tick, lot, BASE_BYBIT).expect("baseline");
    let before = levels(&l);
    if sync.apply(&mut l, tick, lot, data).is_err() {
        assert_eq!(
            levels(&l),
            before,
            "bybit message failed but changed the ladder"
        );
    }
}

/// Baseline book for `okx_decode`: BTC-USDT bid 100.000, ask 100.010 (checksum 0: not
/// verified, so any update's real checksum is checked against this book).
const BASE_OKX: &[u8] = br#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["100.01","1","0","1"]],"bids":[["100","1","0","1"]],"ts":"1","checksum":0,"prevSeqId":-1,"seqId":10}]}"#;

/// `okx_decode`: the OKX `books` decoder on arbitrary bytes, as one message against a
/// live book and, split into lines, as a sequence from an empty one (so a corpus entry
/// may be a real snapshot and its updates, checksums verified). Each message must return
/// `Ok` or a typed error without panicking; an error must leave the ladder unchanged,
/// and an applied message must leave it uncrossed.
pub fn okx_decode(data: &[u8]) {
    use crate::feed::okx::{InstId, OkxSync};

    let tick = Step::parse("0.001").expect("tick");
    let lot = Step::parse("0.00000001").expect("lot");
    let mut l = Ladder::new(512, 512);
    let mut sync = OkxSync::new(InstId::ANY);
    sync.apply(&mut l, tick, lot, BASE_OKX).expect("baseline");
    let before = levels(&l);
    match sync.apply(&mut l, tick, lot, data) {
        Ok(_) => assert!(l.spread_ticks().is_none_or(|s| s > 0), "crossed"),
        Err(_) => assert_eq!(
            levels(&l),
            before,
            "okx message failed but changed the ladder"
        ),
    }
    let mut l = Ladder::new(512, 512);
    let mut sync = OkxSync::new(InstId::ANY);
    for msg in data.split(|&b| b == b'\n') {
        let before = levels(&l);
        match sync.apply(&mut l, tick, lot, msg) {
            Ok(_) => assert!(l.spread_ticks().is_none_or(|s| s > 0), "crossed"),
            Err(_) => assert_eq!(levels(&l), before, "okx line failed but changed the ladder"),
        }
    }
}

/// `fix_decode`: no input makes the FIX decoder panic; the frames of a stream are the
/// same whether it arrives in one read or byte by byte, each decodes alone to the same
/// fields, and every byte is either in a frame or counted as skipped.
pub fn fix_decode(data: &[u8]) {
    use crate::fix::codec::{decode_frame, DecodeError, Decoder};

    fn frames(data: &[u8], chunk: usize) -> Vec<Vec<u8>> {
        let mut d = Decoder::new(512);
        let mut out = Vec::new();
        for part in data.chunks(chunk) {
            let mut rest = part;
            while !rest.is_empty() {
                let n = d.feed(rest);
                rest = &rest[n..];
                while let Some(r) = d.next_frame() {
                    match r {
                        Ok(f) => {
                            let alone = decode_frame(f.bytes()).expect("a frame decodes alone");
                            assert!(
                                alone.fields().eq(f.fields()),
                                "fields differ when decoded alone"
                            );
                            out.push(f.bytes().to_vec());
                        }
                        Err(DecodeError::Garbage { skipped }) => assert!(skipped > 0),
                        Err(_) => {}
                    }
                }
            }
        }
        out
    }
    let whole = frames(data, data.len().max(1));
    assert_eq!(
        whole,
        frames(data, 1),
        "the frames depend on how the bytes arrive"
    );
    let _ = decode_frame(data);
}
