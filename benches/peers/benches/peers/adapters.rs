//! Each peer's side of a bench line: the conversions from the shared real book
//! (`legcore_peers::Data`) to the peer's own types, and the peer calls the lines make.
//! Shared by the criterion bench (`benches/peers.rs`) and the instruction-count driver
//! (`examples/icount.rs`), so both count and time the very same calls.

use std::hint::black_box;

use hftbacktest::depth::{
    BTreeMarketDepth, HashMapMarketDepth, L2MarketDepth, MarketDepth, ROIVectorMarketDepth,
};
use legcore::book::{Ladder, Side};
use legcore_peers::{Change, Data, Diff};
use nautilus_model::data::BookOrder;
use nautilus_model::enums::{BookType, OrderSide as NSide};
use nautilus_model::identifiers::InstrumentId;
use nautilus_model::orderbook::OrderBook;
use nautilus_model::types::{Price, Quantity};

pub fn n_side(s: Side) -> NSide {
    match s {
        Side::Bid => NSide::Buy,
        Side::Ask => NSide::Sell,
    }
}

/// A nautilus `BookOrder` for a change (L2: the order id is derived from the price).
pub fn n_order(d: &Data, c: &Change) -> BookOrder {
    let px = Price::new(c.price_ticks as f64 * d.tick_f64(), d.tick.dp());
    let qty = Quantity::new(c.qty_lots as f64 * d.lot_f64(), d.lot.dp());
    BookOrder::new(n_side(c.side), px, qty, 0)
}

/// The snapshot's levels as changes, bids then asks, best first.
fn snapshot_changes(d: &Data) -> impl Iterator<Item = Change> + '_ {
    let bids = d.bids.iter().map(|l| (Side::Bid, l));
    let asks = d.asks.iter().map(|l| (Side::Ask, l));
    bids.chain(asks).map(|(side, l)| Change {
        side,
        price_ticks: l.price_ticks,
        qty_lots: l.qty_lots,
    })
}

pub fn nautilus_book(d: &Data) -> OrderBook {
    let mut b = OrderBook::new(InstrumentId::from("BTCUSDT-PERP.BINANCE"), BookType::L2_MBP);
    for c in snapshot_changes(d) {
        b.add(n_order(d, &c), 0, d.seq, Default::default());
    }
    b
}

/// (price, qty) in f64 for hftbacktest.
pub fn h_change(d: &Data, c: &Change) -> (Side, f64, f64) {
    let px = c.price_ticks as f64 * d.tick_f64();
    (c.side, px, c.qty_lots as f64 * d.lot_f64())
}

pub fn h_apply<M: L2MarketDepth>(m: &mut M, c: &(Side, f64, f64), ts: i64) {
    match c.0 {
        Side::Bid => black_box(m.update_bid_depth(c.1, c.2, ts)),
        Side::Ask => black_box(m.update_ask_depth(c.1, c.2, ts)),
    };
}

pub fn h_load<M: L2MarketDepth>(mut m: M, d: &Data) -> M {
    for c in snapshot_changes(d) {
        h_apply(&mut m, &h_change(d, &c), 0);
    }
    m
}

/// A ROIVector depth whose range covers the snapshot and 2000 ticks beyond each end.
pub fn h_roi(d: &Data) -> ROIVectorMarketDepth {
    let lo = d.bids.last().expect("bids").price_ticks - 2000;
    let hi = d.asks.last().expect("asks").price_ticks + 2000;
    let t = d.tick_f64();
    let m = ROIVectorMarketDepth::new(t, d.lot_f64(), lo as f64 * t, hi as f64 * t);
    h_load(m, d)
}

pub fn h_hash(d: &Data) -> HashMapMarketDepth {
    h_load(HashMapMarketDepth::new(d.tick_f64(), d.lot_f64()), d)
}

pub fn h_btree(d: &Data) -> BTreeMarketDepth {
    h_load(BTreeMarketDepth::new(d.tick_f64(), d.lot_f64()), d)
}

/// Our walk loop over hftbacktest's ROIVector depth: buy `qty`, return (average price,
/// worst price, filled), in f64 as the depth holds them.
pub fn h_walk(m: &ROIVectorMarketDepth, qty: f64, tick: f64, lot: f64) -> (f64, f64, f64) {
    let (lb, _) = m.roi_tick();
    let asks = m.ask_depth();
    let mut i = (m.best_ask_tick() - lb) as usize;
    let (mut left, mut notional, mut worst) = (qty, 0.0, 0.0);
    while left > lot * 0.5 && i < asks.len() {
        let q = asks[i];
        if q > 0.0 {
            let take = q.min(left);
            worst = (i as i64 + lb) as f64 * tick;
            notional += take * worst;
            left -= take;
        }
        i += 1;
    }
    let filled = qty - left;
    (notional / filled, worst, filled)
}

/// legcore's replay: each diff applied as one validated transaction.
pub fn legcore_replay(d: &Data, l: &mut Ladder) {
    for diff in &d.diffs {
        let mut tx = l.update();
        for c in &diff.changes {
            tx.set(c.side, c.price_ticks, c.qty_lots)
                .expect("valid level");
        }
        tx.commit(diff.seq).expect("in sync");
    }
}

/// The replay window's changes in hftbacktest's f64 form, diff by diff.
pub fn h_diffs(d: &Data) -> Vec<Vec<(Side, f64, f64)>> {
    let diff = |x: &Diff| x.changes.iter().map(|c| h_change(d, c)).collect();
    d.diffs.iter().map(diff).collect()
}

/// hftbacktest's replay, level by level (the diff's index stands for its timestamp).
pub fn h_replay<M: L2MarketDepth>(hd: &[Vec<(Side, f64, f64)>], m: &mut M) {
    for (k, diff) in hd.iter().enumerate() {
        for c in diff {
            h_apply(m, c, k as i64);
        }
    }
}

/// The replay window's changes as nautilus `BookOrder`s, diff by diff.
pub fn n_diffs(d: &Data) -> Vec<Vec<BookOrder>> {
    let diff = |x: &Diff| x.changes.iter().map(|c| n_order(d, c)).collect();
    d.diffs.iter().map(diff).collect()
}

/// nautilus-model's replay, level by level.
pub fn n_replay(d: &Data, nd: &[Vec<BookOrder>], b: &mut OrderBook) {
    for (diff, orders) in d.diffs.iter().zip(nd) {
        for o in orders {
            b.update(*o, 0, diff.seq, Default::default());
        }
    }
}
