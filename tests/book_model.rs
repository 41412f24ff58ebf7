//! Property tests: the ladder and the walk against a naive reference model
//! (BTreeMaps and exact rational arithmetic), over random update transactions.

use std::collections::BTreeMap;

use legcore::book::{BookError, Depth, Ladder, Level, OrderSide, Side};
use legcore::walk::{walk_notional, walk_qty};
use proptest::prelude::*;

/// The reference book: plain maps, with the same capacity rule written the obvious way.
#[derive(Clone, Debug, Default)]
struct Model {
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
    /// Bid prices at or below this are unknown.
    bid_floor: Option<i64>,
    /// Ask prices at or above this are unknown.
    ask_floor: Option<i64>,
    cap: usize,
}

impl Model {
    fn set(&mut self, side: Side, price: i64, qty: i64) {
        let (map, floor) = match side {
            Side::Bid => (&mut self.bids, &mut self.bid_floor),
            Side::Ask => (&mut self.asks, &mut self.ask_floor),
        };
        let beyond = |f: &Option<i64>| match (side, f) {
            (Side::Bid, Some(f)) => price <= *f,
            (Side::Ask, Some(f)) => price >= *f,
            _ => false,
        };
        if beyond(floor) {
            return;
        }
        if qty == 0 {
            map.remove(&price);
            return;
        }
        map.insert(price, qty);
        if map.len() > self.cap {
            let far = match side {
                Side::Bid => *map.keys().next().unwrap(),
                Side::Ask => *map.keys().next_back().unwrap(),
            };
            map.remove(&far);
            *floor = Some(far);
        }
    }

    fn crossed(&self) -> bool {
        match (self.bids.keys().next_back(), self.asks.keys().next()) {
            (Some(b), Some(a)) => b >= a,
            _ => false,
        }
    }

    fn levels(&self, side: Side) -> Vec<Level> {
        let lv = |(&p, &q): (&i64, &i64)| Level {
            price_ticks: p,
            qty_lots: q,
        };
        match side {
            Side::Bid => self.bids.iter().rev().map(lv).collect(),
            Side::Ask => self.asks.iter().map(lv).collect(),
        }
    }
}

fn assert_same(l: &Ladder, m: &Model) {
    for side in [Side::Bid, Side::Ask] {
        assert_eq!(l.levels(side).collect::<Vec<_>>(), m.levels(side), "{side}");
    }
    assert_eq!(l.unknown_from(Side::Bid), m.bid_floor);
    assert_eq!(l.unknown_from(Side::Ask), m.ask_floor);
}

/// An uncrossed start: bids 15 down to 1, asks 25 up to 39, one lot each.
fn start_book() -> (Vec<Level>, Vec<Level>) {
    let lv = |p| Level {
        price_ticks: p,
        qty_lots: 1,
    };
    (
        (1..=15).rev().map(lv).collect(),
        (25..=39).map(lv).collect(),
    )
}

fn op() -> impl Strategy<Value = (bool, i64, i64)> {
    (
        any::<bool>(),
        1i64..40,
        prop_oneof![2 => Just(0i64), 5 => 1i64..6, 1 => Just(-1i64)],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn ladder_matches_model(
        cap in prop_oneof![3usize..8, Just(64usize)],
        txs in prop::collection::vec(prop::collection::vec(op(), 1..6), 1..40),
    ) {
        let mut ladder = Ladder::new(cap, 8);
        let mut model = Model { cap, ..Model::default() };
        // Start from an uncrossed snapshot: bids 1..=15, asks 25..=39.
        let (bids, asks) = start_book();
        ladder.apply_snapshot(&bids, &asks, 0, Depth::Complete).unwrap();
        for l in &bids { model.set(Side::Bid, l.price_ticks, 1); }
        for l in &asks { model.set(Side::Ask, l.price_ticks, 1); }
        assert_same(&ladder, &model);

        for (seq, ops) in txs.iter().enumerate() {
            let before = model.clone();
            let mut tx = ladder.update();
            let mut failed = false;
            for &(bid, p, q) in ops {
                let side = if bid { Side::Bid } else { Side::Ask };
                match tx.set(side, p, q) {
                    Ok(()) => model.set(side, p, q),
                    Err(e) => {
                        prop_assert_eq!(e, BookError::SizeRange { qty_lots: q });
                        failed = true;
                        break;
                    }
                }
            }
            if failed {
                drop(tx);
                model = before;
            } else {
                let res = tx.commit(seq as u64 + 1);
                if model.crossed() {
                    let crossed = matches!(res, Err(BookError::Crossed { .. }));
                    prop_assert!(crossed);
                    model = before;
                } else {
                    prop_assert!(res.is_ok());
                    prop_assert_eq!(ladder.seq(), seq as u64 + 1);
                }
            }
            assert_same(&ladder, &model);
        }
    }

    #[test]
    fn set_level_equals_a_one_level_transaction(
        cap in prop_oneof![3usize..8, Just(64usize)],
        ops in prop::collection::vec(op(), 1..60),
    ) {
        let (bids, asks) = start_book();
        let mut fast = Ladder::new(cap, 4);
        fast.apply_snapshot(&bids, &asks, 0, Depth::Complete).unwrap();
        let mut slow = fast.clone();
        for (seq, &(bid, p, q)) in ops.iter().enumerate() {
            let side = if bid { Side::Bid } else { Side::Ask };
            let a = fast.set_level(side, p, q, seq as u64);
            let mut tx = slow.update();
            let b = tx.set(side, p, q).and_then(|()| tx.commit(seq as u64));
            prop_assert_eq!(a, b);
            for s in [Side::Bid, Side::Ask] {
                let (f, w): (Vec<_>, Vec<_>) = (fast.levels(s).collect(), slow.levels(s).collect());
                prop_assert_eq!(f, w);
                prop_assert_eq!(fast.unknown_from(s), slow.unknown_from(s));
            }
            prop_assert_eq!(fast.seq(), slow.seq());
        }
    }

    #[test]
    fn walk_matches_exact_reference(
        asks in prop::collection::btree_map(1i64..1000, 1i64..50, 0..25),
        qty in 1i64..400,
        notional in 1i128..200_000,
    ) {
        let levels: Vec<Level> = asks.iter()
            .map(|(&p, &q)| Level { price_ticks: p, qty_lots: q }).collect();
        let mut ladder = Ladder::new(32, 4);
        ladder.apply_snapshot(&[], &levels, 1, Depth::Complete).unwrap();

        // Quantity walk: sum the obvious way.
        let w = walk_qty(&ladder, OrderSide::Buy, qty).unwrap();
        let (mut rem, mut n, mut used, mut worst) = (qty, 0i128, 0u32, 0i64);
        for (&p, &q) in &asks {
            if rem == 0 { break; }
            let t = rem.min(q);
            n += i128::from(p * t);
            rem -= t;
            used += 1;
            worst = p;
        }
        prop_assert_eq!(w.notional_tl, n);
        prop_assert_eq!(w.qty_num, i128::from(qty - rem));
        prop_assert_eq!(w.shortfall_lots, rem);
        prop_assert_eq!((w.levels_used, w.worst_ticks), (used, worst));

        // Notional walk: quantity as a reduced fraction num/den, compared by cross-product.
        let w = walk_notional(&ladder, OrderSide::Buy, notional).unwrap();
        let (mut rem, mut num, mut den) = (notional, 0i128, 1i128);
        for (&p, &q) in &asks {
            if rem == 0 { break; }
            let level = i128::from(p) * i128::from(q);
            if rem > level {
                num += i128::from(q) * den;
                rem -= level;
            } else {
                // num/den + rem/p
                num = num * i128::from(p) + rem * den;
                den *= i128::from(p);
                rem = 0;
            }
        }
        prop_assert_eq!(w.qty_num * den, num * i128::from(w.qty_den));
        prop_assert_eq!(w.notional_tl, notional - rem);
        prop_assert_eq!(w.shortfall_tl, rem);
    }

    #[test]
    fn failed_snapshot_changes_nothing(
        bids in prop::collection::vec((1i64..50, 0i64..4), 0..10),
        asks in prop::collection::vec((1i64..50, 0i64..4), 0..10),
    ) {
        let mut ladder = Ladder::new(6, 4);
        let lv = |v: &Vec<(i64, i64)>| -> Vec<Level> {
            v.iter().map(|&(p, q)| Level { price_ticks: p, qty_lots: q }).collect()
        };
        ladder.apply_snapshot(&[Level { price_ticks: 10, qty_lots: 1 }],
            &[Level { price_ticks: 20, qty_lots: 1 }], 7, Depth::Complete).unwrap();
        let before: Vec<Vec<Level>> =
            [Side::Bid, Side::Ask].iter().map(|&s| ladder.levels(s).collect()).collect();
        let (b, a) = (lv(&bids), lv(&asks));
        let res = ladder.apply_snapshot(&b, &a, 8, Depth::Complete);
        let sorted = |v: &[Level], desc: bool| v.windows(2).all(|w| {
            let (x, y) = (w[0].price_ticks, w[1].price_ticks);
            if desc { x > y } else { x < y }
        });
        let valid = sorted(&b, true) && sorted(&a, false)
            && b.iter().chain(&a).all(|l| l.qty_lots > 0)
            && match (b.first(), a.first()) {
                (Some(x), Some(y)) => x.price_ticks < y.price_ticks,
                _ => true,
            };
        prop_assert_eq!(res.is_ok(), valid);
        if res.is_err() {
            let after: Vec<Vec<Level>> =
                [Side::Bid, Side::Ask].iter().map(|&s| ladder.levels(s).collect()).collect();
            prop_assert_eq!(after, before);
            prop_assert_eq!(ladder.seq(), 7);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Deep sides (up to 300 levels, past the ladder's 64-level hot search window):
    /// transactions and `set_level` against the model, with inserts, deletes and drops.
    #[test]
    fn deep_ladder_matches_model(
        cap in prop_oneof![Just(80usize), Just(512usize)],
        bids in prop::collection::btree_set(1i64..1000, 0..300),
        asks in prop::collection::btree_set(1001i64..2000, 0..300),
        ops in prop::collection::vec(
            (any::<bool>(), 1i64..2000, prop_oneof![1 => Just(0i64), 2 => 1i64..9]),
            1..200,
        ),
    ) {
        let lv = |p: &i64| Level { price_ticks: *p, qty_lots: 1 };
        let b: Vec<Level> = bids.iter().rev().map(lv).collect();
        let a: Vec<Level> = asks.iter().map(lv).collect();
        let mut ladder = Ladder::new(cap, 4);
        ladder.apply_snapshot(&b, &a, 0, Depth::Complete).unwrap();
        let mut model = Model { cap, ..Model::default() };
        for l in &b { model.set(Side::Bid, l.price_ticks, 1); }
        for l in &a { model.set(Side::Ask, l.price_ticks, 1); }
        assert_same(&ladder, &model);
        for (seq, &(bid, p, q)) in ops.iter().enumerate() {
            let side = if bid { Side::Bid } else { Side::Ask };
            let before = model.clone();
            model.set(side, p, q);
            let res = if seq % 2 == 0 {
                ladder.set_level(side, p, q, seq as u64)
            } else {
                let mut tx = ladder.update();
                tx.set(side, p, q).and_then(|()| tx.commit(seq as u64))
            };
            if model.crossed() {
                let crossed = matches!(res, Err(BookError::Crossed { .. }));
                prop_assert!(crossed);
                model = before;
            } else {
                prop_assert!(res.is_ok());
            }
            assert_same(&ladder, &model);
        }
    }
}

/// A price or size: small, or near the 10^15 limit (where `i64` products overflow).
fn units() -> impl Strategy<Value = i64> {
    prop_oneof![1i64..2_000, 999_999_999_000_000i64..=1_000_000_000_000_000]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Quantity walks on both sides against an `i128` sum, with prices and sizes up to the
    /// 10^15 limit: the walk's `i64` fast path must hand over to `i128` whenever needed.
    #[test]
    fn qty_walk_notional_is_exact_at_any_magnitude(
        levels in prop::collection::btree_map(units(), units(), 1..30),
        qty in units(),
        buy in any::<bool>(),
    ) {
        let lv: Vec<Level> = levels.iter()
            .map(|(&p, &q)| Level { price_ticks: p, qty_lots: q }).collect();
        let mut ladder = Ladder::new(64, 4);
        let side = if buy {
            ladder.apply_snapshot(&[], &lv, 1, Depth::Complete).unwrap();
            OrderSide::Buy
        } else {
            let bids: Vec<Level> = lv.iter().rev().copied().collect();
            ladder.apply_snapshot(&bids, &[], 1, Depth::Complete).unwrap();
            OrderSide::Sell
        };
        let w = walk_qty(&ladder, side, qty).unwrap();
        let (mut rem, mut n) = (qty, 0i128);
        let order: Vec<(&i64, &i64)> = if buy {
            levels.iter().collect()
        } else {
            levels.iter().rev().collect()
        };
        for (&p, &q) in order {
            if rem == 0 { break; }
            let t = rem.min(q);
            n += i128::from(p) * i128::from(t);
            rem -= t;
        }
        prop_assert_eq!(w.notional_tl, n);
        prop_assert_eq!(w.shortfall_lots, rem);
    }
}

/// A quantity walk over the model's levels: (filled, notional in tick-lots, levels, worst
/// price).
fn model_walk(m: &Model, side: OrderSide, qty: i64) -> (i128, i128, u32, i64) {
    let levels = m.levels(side.takes_from());
    let (mut left, mut notional, mut used, mut worst) = (qty, 0i128, 0u32, 0i64);
    for l in levels {
        if left == 0 {
            break;
        }
        let take = l.qty_lots.min(left);
        notional += i128::from(l.price_ticks) * i128::from(take);
        left -= take;
        used += 1;
        worst = l.price_ticks;
    }
    (i128::from(qty - left), notional, used, worst)
}

fn wide_op() -> impl Strategy<Value = (bool, i64, i64)> {
    (
        any::<bool>(),
        1i64..6_000,
        prop_oneof![2 => Just(0i64), 5 => 1i64..9, 1 => Just(-1i64)],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_500))]

    /// Prices spread over thousands of ticks on sides of 2 to 40 levels: full sides drop
    /// their farthest level (and later levels there are ignored), levels come and go far
    /// from the touch, and rolled-back transactions undo all of it. After every
    /// transaction the ladder and quantity walks on both sides equal the model's, and
    /// notional walks equal those over the same levels loaded at once by a snapshot.
    /// (Written for a price-indexed layout tried in stop 26, which moved a window of ticks
    /// up and down; kept as the wide-range check of any layout.)
    #[test]
    fn wide_ladder_matches_model(
        cap in prop_oneof![2usize..6, Just(40usize)],
        bids in prop::collection::btree_set(1i64..3_000, 0..50),
        asks in prop::collection::btree_set(3_000i64..6_000, 0..50),
        txs in prop::collection::vec(prop::collection::vec(wide_op(), 1..5), 1..60),
        walk_qty_lots in 1i64..40,
    ) {
        let lv = |p: &i64| Level { price_ticks: *p, qty_lots: 1 + p % 7 };
        let b: Vec<Level> = bids.iter().rev().map(lv).collect();
        let a: Vec<Level> = asks.iter().map(lv).collect();
        let mut ladder = Ladder::new(cap, 8);
        ladder.apply_snapshot(&b, &a, 0, Depth::Complete).unwrap();
        let mut model = Model { cap, ..Model::default() };
        for l in b.iter().chain(&a) {
            let side = if l.price_ticks < 3_000 { Side::Bid } else { Side::Ask };
            model.set(side, l.price_ticks, l.qty_lots);
        }
        assert_same(&ladder, &model);
        for (seq, ops) in txs.iter().enumerate() {
            let before = model.clone();
            let mut tx = ladder.update();
            let mut ok = true;
            for &(bid, p, q) in ops {
                let side = if bid { Side::Bid } else { Side::Ask };
                if tx.set(side, p, q).is_err() {
                    ok = false;
                    break;
                }
                model.set(side, p, q);
            }
            let committed = if ok {
                tx.commit(seq as u64 + 1).is_ok()
            } else {
                drop(tx);
                false
            };
            prop_assert_eq!(committed, ok && !model.crossed());
            if !committed {
                model = before;
            }
            assert_same(&ladder, &model);
            // The same levels loaded at once (a snapshot lays them out afresh): notional
            // walks agree with the ladder that got there by updates.
            let mut fresh = Ladder::new(cap, 8);
            let (mb, ma) = (model.levels(Side::Bid), model.levels(Side::Ask));
            fresh.apply_snapshot(&mb, &ma, 0, Depth::Complete).unwrap();
            for side in [OrderSide::Buy, OrderSide::Sell] {
                let n = i128::from(walk_qty_lots) * 997;
                let (x, y) = (
                    walk_notional(&ladder, side, n).unwrap(),
                    walk_notional(&fresh, side, n).unwrap(),
                );
                prop_assert_eq!(
                    (x.qty_num, x.qty_den, x.notional_tl, x.levels_used, x.worst_ticks),
                    (y.qty_num, y.qty_den, y.notional_tl, y.levels_used, y.worst_ticks)
                );
            }
            for side in [OrderSide::Buy, OrderSide::Sell] {
                let w = walk_qty(&ladder, side, walk_qty_lots).unwrap();
                let (filled, notional, used, worst) = model_walk(&model, side, walk_qty_lots);
                prop_assert_eq!(
                    (w.qty_num, w.notional_tl, w.levels_used, w.worst_ticks),
                    (filled, notional, used, worst)
                );
            }
        }
    }
}

/// One diff's level changes: (side, price ticks, lots).
type Diff = Vec<(Side, i64, i64)>;

/// The real Binance USD-M BTCUSDT capture's snapshot and the diffs that follow it, as
/// (side, price ticks, lots) changes per diff, prices multiplied by `spread` (so that one
/// real stream also covers books many times wider than the ladder's price window).
fn real_stream(spread: i64) -> (Vec<Level>, Vec<Level>, Vec<Diff>) {
    use legcore::feed::binance::{classify, split_line, LineKind};
    use legcore::feed::load_book_file;
    use legcore::runtime::Tape;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/market/binance/");
    let bytes = std::fs::read(format!("{dir}usdm_btcusdt_20240808.snapshot.json")).unwrap();
    let book = load_book_file(&bytes, 2048).unwrap();
    let wide = |l: Level| Level {
        price_ticks: l.price_ticks * spread,
        qty_lots: l.qty_lots,
    };
    let bids = book.ladder.levels(Side::Bid).map(wide).collect();
    let asks = book.ladder.levels(Side::Ask).map(wide).collect();
    let tape = Tape::from_gz_file(format!("{dir}usdm_btcusdt_20240808.raw.gz")).unwrap();
    let mut diffs = Vec::new();
    for i in 0..tape.len() {
        let Some((_, json)) = split_line(tape.line(i)) else {
            continue;
        };
        if classify(json) != LineKind::Depth {
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(json).unwrap();
        let d = v.get("data").unwrap_or(&v);
        if d["u"].as_u64().unwrap() < book.seq {
            continue;
        }
        let mut changes = Vec::new();
        for (key, side) in [("b", Side::Bid), ("a", Side::Ask)] {
            for l in d[key].as_array().unwrap() {
                let px = book.tick.parse_units(l[0].as_str().unwrap().as_bytes());
                let qty = book.lot.parse_units(l[1].as_str().unwrap().as_bytes());
                changes.push((side, px.unwrap() * spread, qty.unwrap()));
            }
        }
        diffs.push(changes);
    }
    (bids, asks, diffs)
}

/// The real stream (4 000 diffs, ~200 000 level changes) through the ladder, one
/// transaction a diff, and through the model: after every diff the books are equal, and
/// every 50 diffs so are walks of the best 1, 20 and 200 levels' sizes on both sides. At
/// real prices and with prices 16× and 97× wider (levels far beyond the price window,
/// which then moves up and down with the market), with room for everything and with
/// sides of 300 levels (levels dropped for capacity all along).
#[test]
fn real_stream_matches_model() {
    for spread in [1i64, 16, 97] {
        let (bids, asks, diffs) = real_stream(spread);
        for cap in [2048usize, 300] {
            let mut ladder = Ladder::new(cap, 4096);
            ladder
                .apply_snapshot(&bids, &asks, 0, Depth::Partial)
                .unwrap();
            let mut model = Model {
                cap,
                ..Model::default()
            };
            for (side, levels) in [(Side::Bid, &bids), (Side::Ask, &asks)] {
                for l in levels.iter().take(cap) {
                    model.set(side, l.price_ticks, l.qty_lots);
                }
            }
            // A partial snapshot: beyond its farthest listed level, depth is unknown.
            let far = |ls: &[Level]| ls[ls.len().min(cap + 1) - 1].price_ticks;
            model.bid_floor = Some(if bids.len() > cap {
                far(&bids)
            } else {
                far(&bids) - 1
            });
            model.ask_floor = Some(if asks.len() > cap {
                far(&asks)
            } else {
                far(&asks) + 1
            });
            assert_same(&ladder, &model);
            for (n, changes) in diffs.iter().take(4_000).enumerate() {
                let mut tx = ladder.update();
                for &(side, p, q) in changes {
                    tx.set(side, p, q).unwrap();
                    model.set(side, p, q);
                }
                assert!(!model.crossed(), "diff {n}");
                tx.commit(n as u64 + 1).unwrap();
                assert_same(&ladder, &model);
                if n % 50 != 0 {
                    continue;
                }
                for (side, book) in [(OrderSide::Buy, Side::Ask), (OrderSide::Sell, Side::Bid)] {
                    let levels = model.levels(book);
                    for depth in [1usize, 20, 200] {
                        let qty = levels.iter().take(depth).map(|l| l.qty_lots).sum::<i64>();
                        let w = walk_qty(&ladder, side, qty.max(1)).unwrap();
                        let (filled, notional, used, worst) = model_walk(&model, side, qty.max(1));
                        assert_eq!(
                            (w.qty_num, w.notional_tl, w.levels_used, w.worst_ticks),
                            (filled, notional, used, worst),
                            "spread {spread} cap {cap} diff {n} {side:?} depth {depth}"
                        );
                    }
                }
            }
        }
    }
}
