use super::*;
use crate::book::{Depth, Level};
use crate::index::LegIdx;
use crate::leg::{OrderEvent, Tif};

type Out = ArrayVec<Report, 128>;

fn lv(price_ticks: i64, qty_lots: i64) -> Level {
    Level {
        price_ticks,
        qty_lots,
    }
}

/// Bids 99, 98; asks 101 × 2, 102 × 3, 105 × 10.
fn venue() -> SimVenue {
    let mut v = SimVenue::new(64, 64);
    let bids = [lv(99, 5), lv(98, 5)];
    let asks = [lv(101, 2), lv(102, 3), lv(105, 10)];
    v.ladder_mut()
        .apply_snapshot(&bids, &asks, 1, Depth::Complete)
        .unwrap();
    v
}

/// The id of the test's order `n`.
fn oref(n: u64) -> OrderRef {
    OrderRef::new(n, LegIdx::new(0), 0, 0).unwrap()
}

/// Order `id` as the leg would send it: post-only at a limit, or IOC at a protection.
pub(super) fn order(
    id: u64,
    side: OrderSide,
    price_ticks: i64,
    qty_lots: i64,
    tif: Tif,
) -> NewOrder {
    let (price, tif) = match tif {
        Tif::PostOnly => (OrderPrice::Limit(price_ticks), TimeInForce::PostOnly),
        Tif::Ioc => {
            let protection_ticks = price_ticks;
            (OrderPrice::Market { protection_ticks }, TimeInForce::Ioc)
        }
    };
    NewOrder {
        order: oref(id),
        side,
        price,
        qty_lots,
        tif,
        reduce_only: false,
    }
}

fn fills(out: &Out) -> Vec<(i64, i64)> {
    out.iter()
        .filter_map(|r| match r.kind.event() {
            OrderEvent::Filled(f) => Some((f.price_ticks, f.qty_lots)),
            _ => None,
        })
        .collect()
}

#[test]
fn ioc_walks_up_to_its_limit_and_takes_the_liquidity() {
    let mut v = venue();
    let mut out = Out::new();
    v.submit(order(1, OrderSide::Buy, 102, 4, Tif::Ioc), 0, &mut out)
        .unwrap();
    assert_eq!(out[0].kind.event(), OrderEvent::Accepted);
    assert_eq!(fills(&out), [(101, 2), (102, 2)]);
    assert!(!out
        .iter()
        .any(|r| matches!(r.kind.event(), OrderEvent::Expired { .. })));
    // The liquidity is gone for the next order ...
    assert_eq!(v.ladder().best_ask(), Some(lv(102, 1)));
    out.clear();
    v.submit(order(2, OrderSide::Buy, 102, 4, Tif::Ioc), 0, &mut out)
        .unwrap();
    assert_eq!(fills(&out), [(102, 1)]);
    assert_eq!(
        out.last().unwrap().kind.event(),
        OrderEvent::Expired { filled_lots: 1 }
    );
    // ... until the feed restores the level.
    v.ladder_mut().set_level(Side::Ask, 101, 2, 2).unwrap();
    assert_eq!(v.ladder().best_ask(), Some(lv(101, 2)));
    assert_eq!(v.position_lots(), 5);
    assert_eq!(v.cash_tl(), -(2 * 101 + 2 * 102 + 102));
}

#[test]
fn post_only_rests_and_fills_only_when_traded_through() {
    let mut v = venue();
    let mut out = Out::new();
    v.submit(order(1, OrderSide::Buy, 101, 1, Tif::PostOnly), 0, &mut out)
        .unwrap();
    let cross = ReportKind::Reject(RejectReason::PostOnlyWouldCross);
    assert_eq!(out[0].kind, cross, "would cross");
    out.clear();
    v.submit(order(2, OrderSide::Buy, 100, 3, Tif::PostOnly), 0, &mut out)
        .unwrap();
    assert_eq!(out[0].kind.event(), OrderEvent::Accepted);
    out.clear();
    // Others join our price (the best bid becomes 100): a touch, not a fill.
    v.ladder_mut().set_level(Side::Bid, 100, 7, 2).unwrap();
    v.on_book(1, &mut out).unwrap();
    assert!(out.is_empty());
    // A seller comes down to 100: the market trades through our bid.
    v.ladder_mut().set_level(Side::Bid, 100, 0, 3).unwrap();
    v.ladder_mut().set_level(Side::Ask, 100, 1, 4).unwrap();
    v.on_book(2, &mut out).unwrap();
    let f = match out[0].kind.event() {
        OrderEvent::Filled(f) => f,
        e => panic!("{e:?}"),
    };
    assert_eq!(
        (f.price_ticks, f.qty_lots, f.liquidity),
        (100, 3, Liquidity::Maker)
    );
    out.clear();
    v.on_book(3, &mut out).unwrap();
    assert!(out.is_empty(), "filled once");
    assert_eq!(v.position_lots(), 3);
}

#[test]
fn cancels_queries_and_duplicates() {
    let mut v = venue();
    let mut out = Out::new();
    v.submit(
        order(1, OrderSide::Sell, 103, 2, Tif::PostOnly),
        0,
        &mut out,
    )
    .unwrap();
    v.query(oref(1), &mut out).unwrap();
    v.cancel(oref(1), &mut out).unwrap();
    v.cancel(oref(1), &mut out).unwrap();
    v.query(oref(1), &mut out).unwrap();
    v.query(oref(9), &mut out).unwrap();
    v.submit(
        order(1, OrderSide::Sell, 103, 2, Tif::PostOnly),
        0,
        &mut out,
    )
    .unwrap();
    v.submit(order(2, OrderSide::Sell, 103, 0, Tif::Ioc), 0, &mut out)
        .unwrap();
    let events: Vec<OrderEvent> = out.iter().map(|r| r.kind.event()).collect();
    assert_eq!(
        events,
        [
            OrderEvent::Accepted,
            OrderEvent::Status(VenueStatus::Open { filled_lots: 0 }),
            OrderEvent::CancelAcked { filled_lots: 0 },
            OrderEvent::CancelRejected,
            OrderEvent::Status(VenueStatus::Closed { filled_lots: 0 }),
            OrderEvent::Status(VenueStatus::NotFound),
            OrderEvent::Rejected, // duplicate client id
            OrderEvent::Rejected, // zero size
        ]
    );
    let reasons: Vec<ReportKind> = out.iter().skip(3).step_by(3).map(|r| r.kind).collect();
    assert_eq!(
        reasons,
        [
            ReportKind::CancelReject(RejectReason::UnknownOrder),
            ReportKind::Reject(RejectReason::DuplicateOrder),
        ]
    );
    assert_eq!(out[7].kind, ReportKind::Reject(RejectReason::InvalidOrder));
    out.clear();
    let mut market = order(4, OrderSide::Sell, 103, 1, Tif::Ioc);
    market.tif = TimeInForce::PostOnly;
    v.submit(market, 0, &mut out).unwrap();
    assert_eq!(out[0].kind, ReportKind::Reject(RejectReason::InvalidOrder));
    let mut small: ArrayVec<Report, 4> = ArrayVec::new();
    let o = order(3, OrderSide::Buy, 200, 1, Tif::Ioc);
    assert!(v.submit(o, 0, &mut small).is_err());
}

/// A leg in limit-then-market mode against the simulated venue, end to end.
#[test]
fn a_leg_executes_against_the_simulated_venue() {
    use crate::leg::{Arrival, Command, Leg, Mode};
    use crate::num::Ratio;
    use crate::walk::Recommendation;

    let mut v = venue();
    let mode = Mode::LimitWithFallback { timeout_ns: 1_000 };
    let mut leg = Leg::new(OrderSide::Buy, 4, mode, Ratio::from_num(200), false).unwrap();
    let mut cmds: ArrayVec<Command, 4> = ArrayVec::new();
    let arrival = Arrival {
        bid_ticks: 99,
        ask_ticks: 101,
        recommendation: Recommendation::UseLimit,
        expected_price_ticks: None,
    };
    leg.start(arrival, 0, &mut cmds).unwrap();
    let mut now = 0;
    let mut ids = [oref(0); 2];
    while !leg.is_done() {
        now += 500;
        if leg.next_deadline().is_some_and(|d| d <= now) {
            leg.on_timeout(now, &mut cmds).unwrap();
        }
        let mut reports = Out::new();
        for c in cmds.drain(..) {
            match c {
                Command::Submit {
                    slot,
                    side,
                    price_ticks,
                    qty_lots,
                    tif,
                    ..
                } => {
                    ids[slot] = oref(100 + slot as u64);
                    let o = order(100 + slot as u64, side, price_ticks, qty_lots, tif);
                    v.submit(o, now, &mut reports).unwrap();
                }
                Command::Cancel { slot } => v.cancel(ids[slot], &mut reports).unwrap(),
                Command::Query { slot } => v.query(ids[slot], &mut reports).unwrap(),
            }
        }
        for r in reports {
            let slot = ids.iter().position(|&id| id == r.order).unwrap();
            leg.on_order(slot, r.kind.event(), now, &mut cmds).unwrap();
        }
        assert!(now < 10_000, "leg did not finish");
    }
    // Passive at 100 rested unfilled, was cancelled, then an IOC (protection 100 × 1.02
    // = 102) took 2 at 101 and 2 at 102.
    assert_eq!(leg.filled_lots(), 4);
    assert_eq!(leg.notional_tl(), 2 * 101 + 2 * 102);
    assert_eq!(v.position_lots(), 4);
    assert_eq!(leg.protection_ticks(), 102);
}

#[test]
fn a_full_record_forgets_its_oldest_finished_order_and_keeps_taking_orders() {
    let mut v = venue();
    // One order resting all along; then IOCs that end at once (nothing within 1 tick).
    let mut out = Out::new();
    v.submit(order(0, OrderSide::Buy, 90, 1, Tif::PostOnly), 0, &mut out)
        .unwrap();
    for id in 1..=(MAX_KNOWN as u64 + 5) {
        let mut out = Out::new();
        v.submit(order(id, OrderSide::Buy, 100, 1, Tif::Ioc), 0, &mut out)
            .unwrap();
        assert!(
            !out.iter()
                .any(|r| r.kind == ReportKind::Reject(RejectReason::TooManyOrders)),
            "order {id} refused"
        );
    }
    let status = |v: &SimVenue, id| {
        let mut out = Out::new();
        v.query(oref(id), &mut out).unwrap();
        out[0].kind
    };
    // The oldest finished orders are forgotten; the open one and the recent ones kept.
    assert_eq!(status(&v, 1), ReportKind::Status(VenueStatus::NotFound));
    assert_eq!(
        status(&v, 0),
        ReportKind::Status(VenueStatus::Open { filled_lots: 0 })
    );
    let last = MAX_KNOWN as u64 + 5;
    assert_eq!(
        status(&v, last),
        ReportKind::Status(VenueStatus::Closed { filled_lots: 0 })
    );
}
