//! Property tests over every decoder: real messages from `data/market/` with random byte
//! edits (replace, insert, delete, cut) must never panic, and whenever a decoder returns
//! `Err` the ladder (and the sync state) must be exactly as before.

use std::sync::OnceLock;

use proptest::prelude::*;

use crate::book::{Depth, Ladder, Level};
use crate::feed::binance::{self, BinanceSync, LineKind, Market, SyncState};
use crate::feed::test_util::{capture_lines, data_path, state};
use crate::feed::{bybit, file, hyperliquid};
use crate::num::Step;

/// One edit: (kind, position seed, byte).
fn edits() -> impl Strategy<Value = Vec<(u8, usize, u8)>> {
    prop::collection::vec((0u8..4, any::<usize>(), any::<u8>()), 1..6)
}

fn mutate(msg: &[u8], edits: &[(u8, usize, u8)]) -> Vec<u8> {
    let mut m = msg.to_vec();
    for &(kind, at, byte) in edits {
        let at = at % (m.len() + 1);
        match kind {
            0 if at < m.len() => m[at] = byte,
            1 => m.insert(at, byte),
            2 if at < m.len() => {
                m.remove(at);
            }
            _ => m.truncate(at),
        }
    }
    m
}

fn ladder_with_book() -> Ladder {
    let mut l = Ladder::new(1_024, 2_048);
    let lv = |p, q| Level {
        price_ticks: p,
        qty_lots: q,
    };
    l.apply_snapshot(&[lv(5, 1)], &[lv(7, 1)], 3, Depth::Complete)
        .unwrap();
    l
}

type BinanceFixture = (BinanceSync, Ladder, Vec<Vec<u8>>);

/// A live Binance book after the capture's snapshot, and the diffs that follow (built once).
fn binance_live() -> &'static BinanceFixture {
    static FIXTURE: OnceLock<BinanceFixture> = OnceLock::new();
    FIXTURE.get_or_init(build_binance_live)
}

fn build_binance_live() -> BinanceFixture {
    let (t, lot) = (Step::parse("0.10").unwrap(), Step::parse("0.001").unwrap());
    let lines = capture_lines("binance/usdm_btcusdt_20240808.raw.gz", 20, |j| {
        matches!(binance::classify(j), LineKind::Snapshot | LineKind::Depth)
    });
    let mut sync = BinanceSync::new(Market::Futures, 1 << 16, 16);
    let mut l = Ladder::new(8_192, 2_048);
    let mut rest = Vec::new();
    for j in lines {
        if binance::classify(&j) == LineKind::Snapshot {
            sync.on_snapshot(&mut l, t, lot, &j).unwrap();
            while let Some(r) = sync.replay_next(&mut l, t, lot) {
                r.unwrap();
            }
        } else if sync.is_live() {
            rest.push(j);
        } else {
            sync.on_depth(&mut l, t, lot, &j).unwrap();
        }
    }
    (sync, l, rest)
}

fn bybit_lines() -> &'static [Vec<u8>] {
    static LINES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    LINES.get_or_init(|| {
        let text = std::fs::read(data_path("bybit/2024-12-01_XRPUSDT_ob500.data.jsonl")).unwrap();
        text.split(|&b| b == b'\n')
            .take(6)
            .map(<[u8]>::to_vec)
            .collect()
    })
}

fn hyperliquid_msgs() -> (&'static [u8], &'static [u8]) {
    static MSGS: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    let (rest, ws) = MSGS.get_or_init(|| {
        let rest = std::fs::read(data_path("hyperliquid/http_l2_book_btc.json")).unwrap();
        let ws = capture_lines("hyperliquid/btc_20250126.raw.gz", 1, |_| true).remove(0);
        (rest, ws)
    });
    (rest, ws)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn binance_diffs_and_tickers(e in edits(), pick in 0usize..8) {
        let (t, lot) = (Step::parse("0.10").unwrap(), Step::parse("0.001").unwrap());
        let (sync, l, diffs) = binance_live();
        let (mut sync, mut l) = (sync.clone(), l.clone());
        let m = mutate(&diffs[pick % diffs.len()], &e);
        let (before, sync_before) = (state(&l), sync.state());
        if let Err(e) = sync.on_depth(&mut l, t, lot, &m) {
            prop_assert!(state(&l) == before, "{e} changed the ladder");
            // A gap (a mutated id) sends the sync back to waiting for a snapshot.
            let want = if e.is_gap() { SyncState::AwaitingSnapshot } else { sync_before };
            prop_assert_eq!(sync.state(), want);
        }
        let _ = binance::decode_book_ticker(&m, t, lot);
        let snap_before = state(&l);
        if let Err(e) = binance::apply_depth_snapshot(&mut l, t, lot, &m) {
            prop_assert!(state(&l) == snap_before, "{e} changed the ladder");
        }
    }

    #[test]
    fn bybit_messages(e in edits(), pick in 0usize..6) {
        let lines = bybit_lines();
        let (t, lot) = (Step::parse("0.0001").unwrap(), Step::parse("1").unwrap());
        let mut sync = bybit::BybitSync::new();
        let mut l = Ladder::new(1_024, 1_024);
        sync.apply(&mut l, t, lot, &lines[0]).unwrap();
        // Mutate a delta (1..=5) or, less often, the 18 kB snapshot (0).
        let m = mutate(&lines[pick % 6], &e);
        let (before, sync_before) = (state(&l), sync);
        if let Err(e) = sync.apply(&mut l, t, lot, &m) {
            prop_assert!(state(&l) == before, "{e} changed the ladder");
            let want = if e.is_gap() { None } else { sync_before.last_u() };
            prop_assert_eq!(sync.last_u(), want);
        }
    }

    #[test]
    fn hyperliquid_and_book_files(e in edits(), rest in any::<bool>()) {
        let (t, lot) = (Step::parse("1").unwrap(), Step::parse("0.00001").unwrap());
        let (rest_msg, ws_msg) = hyperliquid_msgs();
        let m = mutate(if rest { rest_msg } else { ws_msg }, &e);
        let mut l = ladder_with_book();
        let before = state(&l);
        if let Err(e) = hyperliquid::apply_l2_book(&mut l, t, lot, &m) {
            prop_assert!(state(&l) == before, "{e} changed the ladder");
        }
        if let Ok(b) = file::load_book_file(&m, 64) {
            prop_assert!(b.ladder.spread_ticks().unwrap() > 0);
        }
    }

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let (t, lot) = (Step::parse("0.1").unwrap(), Step::parse("0.001").unwrap());
        let mut l = ladder_with_book();
        let before = state(&l);
        let mut sync = BinanceSync::new(Market::Spot, 0, 0);
        prop_assert!(sync.on_depth(&mut l, t, lot, &bytes).is_err());
        prop_assert!(binance::apply_depth_snapshot(&mut l, t, lot, &bytes).is_err());
        prop_assert!(bybit::BybitSync::new().apply(&mut l, t, lot, &bytes).is_err());
        prop_assert!(hyperliquid::apply_l2_book(&mut l, t, lot, &bytes).is_err());
        prop_assert!(file::load_book_file(&bytes, 8).is_err());
        let _ = binance::decode_book_ticker(&bytes, t, lot);
        let _ = binance::split_line(&bytes).map(|(_, j)| binance::classify(j));
        prop_assert_eq!(state(&l), before);
    }
}
