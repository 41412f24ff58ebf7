//! The walk against published peer values (NautilusTrader's and hftbacktest's test books)
//! and the seed's formulas, on hand-built ladders.

use legcore::book::{Depth, Ladder, Level, OrderSide};
use legcore::num::{Decimal, Ratio, Step};
use legcore::walk::{
    analyze, depth_to_price, max_qty_within_bps, walk_notional, walk_qty, Recommendation,
    Shortfall, Target, Thresholds, Units,
};

fn d(s: &str) -> Decimal {
    Decimal::parse(s).unwrap()
}

fn units(tick: &str, lot: &str) -> Units {
    Units {
        tick: Step::parse(tick).unwrap(),
        lot: Step::parse(lot).unwrap(),
    }
}

/// Builds a ladder from decimal (price, qty) pairs, best first.
fn book(u: Units, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Ladder {
    let conv = |v: &[(&str, &str)]| -> Vec<Level> {
        v.iter()
            .map(|(p, q)| Level {
                price_ticks: u.tick.parse_units(p.as_bytes()).unwrap(),
                qty_lots: u.lot.parse_units(q.as_bytes()).unwrap(),
            })
            .collect()
    };
    let mut l = Ladder::new(64, 64);
    l.apply_snapshot(&conv(bids), &conv(asks), 1, Depth::Complete)
        .unwrap();
    l
}

fn avg(u: Units, w: &legcore::walk::Walk) -> Decimal {
    use ethnum::I256;
    u.ticks_to_price(
        I256::new(w.notional_tl) * I256::new(i128::from(w.qty_den)),
        I256::new(w.qty_num),
    )
    .unwrap()
}

#[test]
fn nautilus_buy_and_sell_averages() {
    let u = units("0.001", "0.5");
    let l = book(
        u,
        &[("1.000", "1"), ("0.990", "2")],
        &[("2.000", "1"), ("2.010", "2")],
    );
    let buy = walk_qty(&l, OrderSide::Buy, 3).unwrap(); // 1.5 = 3 lots of 0.5
    assert_eq!(avg(u, &buy).to_string(), "2.003333333333333333");
    let sell = walk_qty(&l, OrderSide::Sell, 3).unwrap();
    assert_eq!(avg(u, &sell).to_string(), "0.996666666666666666");
    assert_eq!((buy.levels_used, sell.levels_used), (2, 2));
}

#[test]
fn hftbacktest_short_depth_averages_over_what_is_there() {
    let u = units("1", "1");
    let l = book(u, &[("99", "5")], &[("100", "1"), ("101", "2")]);
    let w = walk_qty(&l, OrderSide::Buy, 2).unwrap();
    assert_eq!(avg(u, &w), d("100.5"));
    assert_eq!(w.worst_ticks, 101);
    assert!(w.depth_sufficient());
    let w = walk_qty(&l, OrderSide::Buy, 4).unwrap();
    assert!(!w.depth_sufficient());
    assert_eq!((w.qty_num, w.shortfall_lots, w.levels_used), (3, 1, 2));
    assert_eq!(avg(u, &w).to_string(), "100.666666666666666666");
    assert!(!w.reached_unknown, "a complete book is known to be short");
}

#[test]
fn notional_walk_follows_the_seed() {
    // Asks 100 × 1, 101 × 2. $150: level 1 ($100) whole, then 50 / 101 of a unit: the
    // walk keeps the seed's fraction; the pre-flight reports whole lots (Target::Notional).
    let u = units("1", "1");
    let l = book(u, &[("99", "5")], &[("100", "1"), ("101", "2")]);
    let w = walk_notional(&l, OrderSide::Buy, 150).unwrap();
    assert_eq!((w.qty_num, w.qty_den, w.notional_tl), (151, 101, 150));
    let r = analyze(
        &l,
        u,
        OrderSide::Buy,
        Target::Notional(d("150")),
        &Thresholds::default(),
    )
    .unwrap();
    assert!(r.depth_sufficient);
    assert_eq!((r.filled_qty, r.filled_notional), (d("1"), d("100")));
    assert_eq!(r.unspent_notional, d("50"), "less than one more lot at 101");
    // $201 buys the second lot too; $201.99 as well, and leaves 0.99.
    let buy = |n: &str| {
        analyze(
            &l,
            u,
            OrderSide::Buy,
            Target::Notional(d(n)),
            &Thresholds::default(),
        )
        .unwrap()
    };
    let r = buy("201.99");
    assert_eq!(
        (r.filled_qty, r.filled_notional, r.unspent_notional),
        (d("2"), d("201"), d("0.99"))
    );
    // Exactly one level's notional: whole lots, no fraction.
    let w = walk_notional(&l, OrderSide::Buy, 100).unwrap();
    assert_eq!((w.qty_num, w.qty_den, w.levels_used), (1, 1, 1));
    // More than the book: the shortfall in quote, exact; nothing is "unspent".
    let r = buy("400.5");
    assert_eq!(r.shortfall, Some(Shortfall::Notional(d("98.5"))));
    assert_eq!((r.filled_qty, r.unspent_notional), (d("3"), d("0")));
    // Less than one lot at the best price is refused, not reported as an empty fill.
    assert!(analyze(
        &l,
        u,
        OrderSide::Buy,
        Target::Notional(d("99.99")),
        &Thresholds::default()
    )
    .is_err());
    assert_eq!(r.metrics.recommendation, Recommendation::InsufficientDepth);
}

#[test]
fn report_formulas_match_the_seed() {
    let u = units("1", "1");
    // bid 99, ask 101: mid 100, spread 2 → 200 bps.
    let l = book(u, &[("99", "10")], &[("101", "1"), ("102", "1")]);
    let r = analyze(
        &l,
        u,
        OrderSide::Buy,
        Target::Qty(d("2")),
        &Thresholds::default(),
    )
    .unwrap();
    assert_eq!(r.mid, d("100"));
    assert_eq!(r.metrics.spread_bps(), Ratio::from_num(200));
    // avg 101.5 → +150 bps; slippage in quote |101.5 − 100| × 2 = 3.
    assert_eq!(r.metrics.slippage_bps(), Ratio::from_num(150));
    assert_eq!(r.slippage_quote, d("3"));
    // score = 0.5 + 0.3 × max(0, 1 − 1.5) + 0.2 × max(0, 1 − 2) = 0.5
    assert_eq!(r.metrics.liquidity_score(), Ratio::from_num(0.5));
    assert_eq!(
        r.metrics.recommendation,
        Recommendation::HighSlippageWarning
    );
    // A sell of 1 at the bid: slippage (100 − 99)/100 = +100 bps, positive = worse.
    let r = analyze(
        &l,
        u,
        OrderSide::Sell,
        Target::Qty(d("1")),
        &Thresholds::default(),
    )
    .unwrap();
    assert_eq!(r.metrics.slippage_bps(), Ratio::from_num(100));
}

#[test]
fn recommendation_thresholds_are_configurable() {
    let u = units("0.01", "1");
    let l = book(u, &[("99.99", "10")], &[("100.01", "10")]);
    // avg 100.01 vs mid 100 → 1 bp.
    let r = analyze(
        &l,
        u,
        OrderSide::Buy,
        Target::Qty(d("1")),
        &Thresholds::default(),
    )
    .unwrap();
    assert_eq!(r.metrics.slippage_bps(), Ratio::from_num(1));
    assert_eq!(r.metrics.recommendation, Recommendation::UseLimit);
    let strict = Thresholds {
        use_limit_bps: Ratio::from_num(0.5),
        market_ok_bps: Ratio::from_num(1),
    };
    let r = analyze(&l, u, OrderSide::Buy, Target::Qty(d("1")), &strict).unwrap();
    assert_eq!(
        r.metrics.recommendation,
        Recommendation::HighSlippageWarning
    );
    // score = 0.5 + 0.3 × (1 − 0.01) + 0.2 × (1 − 0.02) = 0.993
    let s = r.metrics.liquidity_score().to_num::<f64>();
    assert!((s - 0.993).abs() < 1e-12, "{s}");
}

#[test]
fn bad_targets_are_typed_errors() {
    let u = units("1", "0.1");
    let l = book(u, &[("99", "1")], &[("101", "1")]);
    let t = Thresholds::default();
    for q in ["0", "-1", "0.05"] {
        assert!(
            analyze(&l, u, OrderSide::Buy, Target::Qty(d(q)), &t).is_err(),
            "{q}"
        );
    }
    assert!(analyze(&l, u, OrderSide::Buy, Target::Notional(d("0.01")), &t).is_err());
    let empty = Ladder::new(4, 4);
    assert!(analyze(&empty, u, OrderSide::Buy, Target::Qty(d("1")), &t).is_err());
    assert!(walk_qty(&l, OrderSide::Buy, 0).is_err());
    assert!(walk_notional(&l, OrderSide::Buy, -5).is_err());
}

#[test]
fn partial_snapshot_reports_unknown_depth() {
    let u = units("1", "1");
    let mut l = Ladder::new(8, 8);
    let lv = |p, q| Level {
        price_ticks: p,
        qty_lots: q,
    };
    l.apply_snapshot(&[lv(99, 1)], &[lv(100, 1), lv(101, 1)], 1, Depth::Partial)
        .unwrap();
    let w = walk_qty(&l, OrderSide::Buy, 5).unwrap();
    assert!(!w.depth_sufficient() && w.reached_unknown);
    let r = analyze(
        &l,
        u,
        OrderSide::Buy,
        Target::Qty(d("5")),
        &Thresholds::default(),
    )
    .unwrap();
    assert!(r.reached_unknown_depth);
    assert_eq!(r.shortfall, Some(Shortfall::Qty(d("3"))));
}

#[test]
fn depth_to_limit_and_max_size_within_bound() {
    let u = units("1", "1");
    let l = book(
        u,
        &[("99", "3"), ("98", "4")],
        &[("101", "2"), ("102", "2"), ("110", "5")],
    );
    assert_eq!(depth_to_price(&l, OrderSide::Buy, 102), (4, 406, 2));
    assert_eq!(depth_to_price(&l, OrderSide::Buy, 100), (0, 0, 0));
    assert_eq!(depth_to_price(&l, OrderSide::Sell, 98), (7, 689, 2));
    // mid 100. Bound 150 bps → L = 101.5: 2 lots at 101 (avg 101) then x at 102:
    // (202 + 102x)/(2 + x) ≤ 101.5 → 0.5x ≤ 1 → x = 2 → 4 lots, avg exactly 101.5.
    assert_eq!(
        max_qty_within_bps(&l, OrderSide::Buy, Ratio::from_num(150)),
        Some(4)
    );
    assert_eq!(
        max_qty_within_bps(&l, OrderSide::Buy, Ratio::from_num(99)),
        Some(0)
    );
    // Sell: L = 98.5: 3 at 99, then x at 98: (297 + 98x)/(3 + x) ≥ 98.5 → x ≤ 3.
    assert_eq!(
        max_qty_within_bps(&l, OrderSide::Sell, Ratio::from_num(150)),
        Some(6)
    );
    // A level taken whole outside the bound leaves room for the next one: mid 99.5,
    // L = 100.495; 10 at 100, 1 at 101 (avg 100.09), 1 at 102 (avg 100.25): all 12.
    let l2 = book(
        u,
        &[("99", "1")],
        &[("100", "10"), ("101", "1"), ("102", "1")],
    );
    assert_eq!(
        max_qty_within_bps(&l2, OrderSide::Buy, Ratio::from_num(100)),
        Some(12)
    );
    let avg_at_bound = walk_qty(&l, OrderSide::Buy, 4).unwrap();
    assert_eq!(avg(u, &avg_at_bound), d("101.5"));
}
