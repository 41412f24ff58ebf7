//! Replays of the real Bybit and Hyperliquid captures in `data/market/`, checked against the
//! reference values of the data's source README (independent Python replay).

use std::io::{BufRead, BufReader};

use flate2::read::GzDecoder;
use legcore::book::{Ladder, Level, Side};
use legcore::feed::binance::split_line;
use legcore::feed::bybit::{BybitOutcome, BybitSync};
use legcore::feed::hyperliquid::apply_l2_book;
use legcore::feed::FeedError;
use legcore::num::Step;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/market/");

fn step(s: &str) -> Step {
    Step::parse(s).unwrap()
}

fn level(tick: Step, lot: Step, p: &str, q: &str) -> Level {
    Level {
        price_ticks: tick.parse_units(p.as_bytes()).unwrap(),
        qty_lots: lot.parse_units(q.as_bytes()).unwrap(),
    }
}

fn assert_sorted_uncrossed(l: &Ladder) {
    assert!(l.spread_ticks().unwrap() > 0, "crossed");
    let bids: Vec<i64> = l.levels(Side::Bid).map(|x| x.price_ticks).collect();
    let asks: Vec<i64> = l.levels(Side::Ask).map(|x| x.price_ticks).collect();
    assert!(bids.windows(2).all(|w| w[0] > w[1]));
    assert!(asks.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn bybit_xrpusdt_snapshot_and_49_deltas() {
    let text = std::fs::read(format!("{DATA}bybit/2024-12-01_XRPUSDT_ob500.data.jsonl")).unwrap();
    let (tick, lot) = (step("0.0001"), step("1"));
    let mut ladder = Ladder::new(1_024, 1_024);
    let mut sync = BybitSync::new();
    let (mut snapshots, mut deltas, mut crossed) = (0, 0, 0);
    for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        match sync.apply(&mut ladder, tick, lot, line) {
            Ok(BybitOutcome::Snapshot { u }) => {
                snapshots += 1;
                assert_eq!(u, 20_254_869);
                assert_eq!((ladder.len(Side::Bid), ladder.len(Side::Ask)), (500, 500));
                assert_eq!(ladder.best_bid(), Some(level(tick, lot, "1.9531", "6203")));
                assert_eq!(ladder.best_ask(), Some(level(tick, lot, "1.9532", "10480")));
            }
            Ok(BybitOutcome::Delta { .. }) => deltas += 1,
            Err(e) if e.is_crossed() => crossed += 1,
            Err(e) => panic!("{e}"),
        }
        assert_sorted_uncrossed(&ladder);
    }
    assert_eq!((snapshots, deltas, crossed), (1, 49, 0));
    assert_eq!(sync.last_u(), Some(20_254_918));
    assert_eq!(ladder.seq(), 20_254_918);
    assert_eq!(ladder.best_bid(), Some(level(tick, lot, "1.9537", "10605")));
    assert_eq!(ladder.best_ask(), Some(level(tick, lot, "1.9538", "6702")));
}

#[test]
fn bybit_deltas_without_their_snapshot_are_refused() {
    let text = std::fs::read(format!("{DATA}bybit/2024-12-01_XRPUSDT_ob500.data.jsonl")).unwrap();
    let (tick, lot) = (step("0.0001"), step("1"));
    let mut ladder = Ladder::new(1_024, 1_024);
    let mut sync = BybitSync::new();
    let mut lines = text.split(|&b| b == b'\n').filter(|l| !l.is_empty());
    let snapshot = lines.next().unwrap();
    let first_delta = lines.next().unwrap();
    let second_delta = lines.next().unwrap();
    assert_eq!(
        sync.apply(&mut ladder, tick, lot, first_delta),
        Err(FeedError::NoSnapshot)
    );
    assert!(ladder.is_empty());
    sync.apply(&mut ladder, tick, lot, snapshot).unwrap();
    let before: Vec<Level> = ladder
        .levels(Side::Bid)
        .chain(ladder.levels(Side::Ask))
        .collect();
    // Skipping a delta is a gap; nothing of the out-of-order delta is applied.
    let err = sync
        .apply(&mut ladder, tick, lot, second_delta)
        .unwrap_err();
    assert!(err.is_gap(), "{err}");
    let after: Vec<Level> = ladder
        .levels(Side::Bid)
        .chain(ladder.levels(Side::Ask))
        .collect();
    assert_eq!(before, after);
    assert_eq!(sync.last_u(), None, "a gap waits for a new snapshot");
}

#[test]
fn hyperliquid_every_l2book_message_decodes_uncrossed() {
    let file = std::fs::File::open(format!("{DATA}hyperliquid/btc_20250126.raw.gz")).unwrap();
    let (tick, lot) = (step("1"), step("0.00001"));
    let mut ladder = Ladder::new(64, 1);
    let (mut books, mut trades, mut last_time) = (0, 0, 0);
    let mut reader = BufReader::new(GzDecoder::new(file));
    let mut line = Vec::new();
    while reader.read_until(b'\n', &mut line).unwrap() > 0 {
        let (_ns, json) = split_line(&line).unwrap();
        match apply_l2_book(&mut ladder, tick, lot, json) {
            Ok(time) => {
                books += 1;
                assert!(time >= last_time);
                last_time = time;
                assert_eq!((ladder.len(Side::Bid), ladder.len(Side::Ask)), (20, 20));
                assert_sorted_uncrossed(&ladder);
            }
            Err(FeedError::WrongType {
                expected: "l2Book",
                got,
            }) => {
                assert_eq!(got.as_str(), "trades");
                trades += 1;
            }
            Err(e) => panic!("{e}"),
        }
        line.clear();
    }
    assert_eq!((books, trades), (46, 9));
    assert_eq!(ladder.seq(), last_time);
}

#[test]
fn hyperliquid_rest_book() {
    let bytes = std::fs::read(format!("{DATA}hyperliquid/http_l2_book_btc.json")).unwrap();
    let (tick, lot) = (step("1"), step("0.00001"));
    let mut ladder = Ladder::new(64, 1);
    let time = apply_l2_book(&mut ladder, tick, lot, &bytes).unwrap();
    assert_eq!(time, 1_761_786_491_067);
    assert_eq!((ladder.len(Side::Bid), ladder.len(Side::Ask)), (5, 5));
    assert_eq!(
        ladder.best_bid(),
        Some(level(tick, lot, "110427.0", "4.11882"))
    );
    assert_eq!(
        ladder.best_ask(),
        Some(level(tick, lot, "110428.0", "3.72573"))
    );
    assert_sorted_uncrossed(&ladder);
}
