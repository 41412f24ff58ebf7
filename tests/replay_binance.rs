//! Replays of the real Binance captures in `data/market/binance/` (hftbacktest format:
//! `<local_ns> <json>` per line, gzip) through `BinanceSync` into a ladder, checked against
//! the reference values in `data/README.md`'s source README (independent Python replay).

use legcore::book::{Depth, Ladder, Level, Side};
use legcore::feed::binance::{
    apply_depth_snapshot, Market, Replay, ReplayConfig, ReplayStats, SyncState,
};
use legcore::num::Step;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/market/binance/");

struct Expect {
    applied: u64,
    dropped: u64,
    last_u: u64,
    bid: (&'static str, &'static str),
    ask: (&'static str, &'static str),
}

fn replay(file: &str, market: Market, tick: &str, lot: &str) -> (Replay, Step, Step) {
    replay_as(file, market, tick, lot, Depth::Partial)
}

fn replay_as(
    file: &str,
    market: Market,
    tick: &str,
    lot: &str,
    snapshot_depth: Depth,
) -> (Replay, Step, Step) {
    let (tick, lot) = (Step::parse(tick).unwrap(), Step::parse(lot).unwrap());
    let mut r = Replay::new(ReplayConfig {
        market,
        tick,
        lot,
        // The replayed books reach ~5,000 levels per side; nothing may be dropped for
        // capacity. Diffs touch up to ~1,200 levels.
        levels_per_side: 16_384,
        max_update_levels: 4_096,
        arena_bytes: 1 << 20,
        max_buffered: 64,
        snapshot_depth,
    });
    r.run_gz_file(format!("{DIR}{file}")).unwrap();
    (r, tick, lot)
}

fn level(tick: Step, lot: Step, (p, q): (&str, &str)) -> Level {
    Level {
        price_ticks: tick.parse_units(p.as_bytes()).unwrap(),
        qty_lots: lot.parse_units(q.as_bytes()).unwrap(),
    }
}

fn check(r: &Replay, tick: Step, lot: Step, e: &Expect) -> ReplayStats {
    let s = *r.stats();
    assert_eq!(s.first_error, None, "{s:#?}");
    assert_eq!(s.snapshots, 1, "{s:#?}");
    assert_eq!(s.applied, e.applied, "{s:#?}");
    assert_eq!(s.dropped, e.dropped, "{s:#?}");
    assert_eq!(
        (s.gaps, s.crossed, s.errors, s.malformed_lines),
        (0, 0, 0, 0),
        "{s:#?}"
    );
    assert_eq!(s.first_mismatch, None, "{s:#?}");
    assert_eq!(
        s.ticker_matched + s.ticker_unknown_depth,
        s.ticker_checked,
        "{s:#?}"
    );
    let l = r.ladder();
    assert_eq!(l.seq(), e.last_u);
    assert_eq!(r.sync().state(), SyncState::Live { last_u: e.last_u });
    assert_eq!(l.best_bid(), Some(level(tick, lot, e.bid)));
    assert_eq!(l.best_ask(), Some(level(tick, lot, e.ask)));
    // Not crossed, sorted: the ladder's invariants hold after the whole replay.
    assert!(l.spread_ticks().unwrap() > 0);
    for side in [Side::Bid, Side::Ask] {
        let prices: Vec<i64> = l.levels(side).map(|x| x.price_ticks).collect();
        assert!(prices.windows(2).all(|w| match side {
            Side::Bid => w[0] > w[1],
            Side::Ask => w[0] < w[1],
        }));
        assert!(
            l.len(side) < l.capacity(),
            "capacity must not limit the replay"
        );
    }
    s
}

fn usdm_btc_expect() -> Expect {
    Expect {
        applied: 6_547,
        dropped: 4,
        last_u: 5_123_135_475_514,
        bid: ("61659.70", "1.486"),
        ask: ("61659.80", "0.981"),
    }
}

#[test]
fn usdm_btcusdt_replays_with_no_gap_and_matches_every_book_ticker() {
    // The reference replay keeps every diff level, so the snapshot is installed as
    // Complete here: all 126 bookTickers at the book's `u` match exactly.
    let (r, tick, lot) = replay_as(
        "usdm_btcusdt_20240808.raw.gz",
        Market::Futures,
        "0.10",
        "0.001",
        Depth::Complete,
    );
    let s = check(&r, tick, lot, &usdm_btc_expect());
    assert_eq!(s.buffered, 6, "6 diffs precede the snapshot");
    assert_eq!((s.ticker_checked, s.ticker_matched), (126, 126));
    assert_eq!(s.book_tickers, 66_089);
    assert_eq!(s.trades, 21_313);
    assert_eq!(s.lines, 93_954);
    // The diff stream is full depth: the book grows far past the 1000-level snapshot, to
    // the reference's 5,018 bids / 4,578 asks.
    assert_eq!(
        (r.ladder().len(Side::Bid), r.ladder().len(Side::Ask)),
        (5_018, 4_578)
    );
}

#[test]
fn usdm_btcusdt_partial_snapshot_only_misses_quotes_beyond_its_window() {
    // As a top-1000 snapshot (the default), levels past its farthest bid (61653.40) are
    // unknown and diffs there are ignored. Mid-capture the price falls below that edge:
    // those 11 bookTickers quote a bid in the unknown region, where the ladder's bid side
    // is (correctly) empty. Every other one matches exactly, and so does the final book.
    let (r, tick, lot) = replay(
        "usdm_btcusdt_20240808.raw.gz",
        Market::Futures,
        "0.10",
        "0.001",
    );
    let s = check(&r, tick, lot, &usdm_btc_expect());
    assert_eq!(s.ticker_checked, 126);
    assert_eq!((s.ticker_matched, s.ticker_unknown_depth), (115, 11));
    assert_eq!(r.ladder().unknown_from(Side::Bid), Some(616_533));
}

#[test]
fn usdm_ethusdt_replays_with_no_gap_and_matches_every_book_ticker() {
    let (r, tick, lot) = replay(
        "usdm_ethusdt_20240808.raw.gz",
        Market::Futures,
        "0.01",
        "0.001",
    );
    let e = Expect {
        applied: 6_581,
        dropped: 5,
        last_u: 5_123_135_545_737,
        bid: ("2681.38", "8.486"),
        ask: ("2681.39", "22.624"),
    };
    let s = check(&r, tick, lot, &e);
    assert_eq!((s.ticker_checked, s.ticker_matched), (80, 80));
}

#[test]
fn spot_btcusdt_replays_with_the_spot_rule() {
    // Spot BTCUSDT's order lot is 0.00001, but three resting sizes in this capture have
    // six decimals ("25.42618900"): the book needs a 0.000001 lot.
    let (r, tick, lot) = replay(
        "spot_btcusdt_20240808.raw.gz",
        Market::Spot,
        "0.01",
        "0.000001",
    );
    let e = Expect {
        applied: 3_449,
        dropped: 2,
        last_u: 50_093_421_584,
        bid: ("61685.99", "1.0087"),
        ask: ("61686.00", "2.29327"),
    };
    let s = check(&r, tick, lot, &e);
    assert_eq!(s.buffered, 3);
    assert_eq!(s.ticker_matched, s.ticker_checked);
}

#[test]
fn spot_at_the_order_lot_fails_typed_on_a_finer_book_size() {
    let (r, _, _) = replay(
        "spot_btcusdt_20240808.raw.gz",
        Market::Spot,
        "0.01",
        "0.00001",
    );
    let s = r.stats();
    let (line, err) = s.first_error.unwrap();
    assert_eq!(line, 1_886);
    assert_eq!(
        err.to_string(),
        "field `a[].qty`: \"25.42618900\" is not a multiple of the step \"0.00001\""
    );
    // The diff was refused whole; the next one then no longer chains: one gap, after which
    // the sync waits for a snapshot that never comes (diffs are buffered, then refused).
    assert_eq!(s.gaps, 1);
    assert_eq!(r.sync().state(), SyncState::AwaitingSnapshot);
}

#[test]
fn spot_capture_under_the_futures_rule_is_a_missing_pu() {
    // Spot diffs carry no `pu`: replaying them with the futures rule must fail typed, not
    // silently apply.
    let (r, _, _) = replay(
        "spot_btcusdt_20240808.raw.gz",
        Market::Futures,
        "0.01",
        "0.000001",
    );
    let s = r.stats();
    assert!(s.errors > 0);
    assert!(s.applied <= 1, "{s:#?}");
}

#[test]
fn extracted_rest_snapshot_loads_as_partial_depth() {
    let bytes = std::fs::read(format!("{DIR}usdm_btcusdt_20240808.snapshot.json")).unwrap();
    let (tick, lot) = (Step::parse("0.10").unwrap(), Step::parse("0.001").unwrap());
    let mut l = Ladder::new(2_000, 1);
    let id = apply_depth_snapshot(&mut l, tick, lot, &bytes).unwrap();
    assert_eq!(id, 5_123_107_852_948);
    assert_eq!(l.seq(), id);
    assert_eq!((l.len(Side::Bid), l.len(Side::Ask)), (1_000, 1_000));
    assert_eq!(l.best_bid(), Some(level(tick, lot, ("61800.20", "2.909"))));
    assert_eq!(l.best_ask(), Some(level(tick, lot, ("61800.30", "1.072"))));
    // A REST snapshot is the top 1000: depth past its farthest level is unknown.
    assert!(l.unknown_from(Side::Bid).is_some());
    assert!(l.unknown_from(Side::Ask).is_some());
    // The reference: the ask side holds 384.589 in total.
    let total: i64 = l.levels(Side::Ask).map(|x| x.qty_lots).sum();
    assert_eq!(total, 384_589);
}
