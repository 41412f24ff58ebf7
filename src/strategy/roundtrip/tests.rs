use super::*;
use crate::book::{Depth, Level};
use crate::index::{BookId, VenueId};
use crate::instrument::InstrumentRules;
use crate::leg::{Fees, Mode};
use crate::num::{Ratio, Step};

/// XRPUSDT-like: tick 0.0001, lot 1; bid 1.9531, ask 1.9532, 10 000 each.
fn book() -> Ladder {
    let mut l = Ladder::new(8, 4);
    let lv = |p, q| Level {
        price_ticks: p,
        qty_lots: q,
    };
    l.apply_snapshot(
        &[lv(19_531, 10_000)],
        &[lv(19_532, 10_000)],
        1,
        Depth::Complete,
    )
    .unwrap();
    l
}

fn roundtrip(size_usd: i64) -> Roundtrip {
    Roundtrip::new(RoundtripParams {
        leg: CarryLeg {
            feed: 0,
            venue: VenueId::new(0),
            book: BookId::new(0),
            rules: InstrumentRules::linear(
                Step::parse("0.0001").unwrap(),
                Step::parse("1").unwrap(),
            ),
            lot_units: 1,
            fees: Fees::default(),
            mode: Mode::MarketOnly,
            max_slippage_bps: Ratio::from_num(20),
        },
        size_usd: Decimal::from_i64(size_usd),
        hold_ns: 0,
        cooldown_ns: 0,
        max_cycles: 1,
        policy: Policy::Rollback,
    })
}

#[test]
fn buys_the_usd_size_at_the_ask_toward_zero_on_a_live_book_only() {
    let books = [book()];
    let mut r = roundtrip(1_000);
    assert!(r.on_md(0, Books::new(&books, &[false]), 0).is_none());
    let i = r.on_md(0, Books::new(&books, &[true]), 0).expect("a buy");
    // 1 000 / 1.9532 = 511.98… → 511 lots of 1.
    assert_eq!(i.legs.len(), 1);
    assert_eq!(
        (i.legs[0].plan.side, i.legs[0].plan.qty_lots),
        (OrderSide::Buy, 511)
    );
    assert_eq!(r.state(), CarryState::Opening);
    assert!(
        r.on_md(0, Books::new(&books, &[true]), 1).is_none(),
        "in flight"
    );
    // A refused start returns it to flat, with its cycle still to do.
    let g = Group::new(&[i.legs[0].plan], Policy::Rollback).unwrap();
    r.on_group_end(JobId::new(0), &g, Some(GroupError::Tops));
    assert!(matches!(r.state(), CarryState::Flat { .. }));
    assert_eq!(r.stats().opens, 1);
}

#[test]
fn a_sell_back_is_sized_to_what_is_held_and_needs_the_depth() {
    let r = roundtrip(1_000);
    let i = r
        .decide(&book(), OrderSide::Sell, 511)
        .expect("depth for 511");
    assert_eq!(
        (i.legs[0].plan.side, i.legs[0].plan.qty_lots),
        (OrderSide::Sell, 511)
    );
    assert!(
        r.decide(&book(), OrderSide::Sell, 10_001).is_none(),
        "the book is short"
    );
}
