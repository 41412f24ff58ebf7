//! Groups driven against two simulated venues (the real matcher, not a mock).

use crate::index::LegIdx;
use crate::index::VenueId;

use super::*;
use crate::book::{Depth, Level};
use crate::sim::{route, SimVenue};
use crate::venue::Report;

type Cmds = ArrayVec<GroupCommand, 16>;

fn lv(price_ticks: i64, qty_lots: i64) -> Level {
    Level {
        price_ticks,
        qty_lots,
    }
}

/// A venue with bids at 99 (`bid_qty`) and asks at 101 (`ask_qty`).
fn venue(bid_qty: i64, ask_qty: i64) -> SimVenue {
    let mut v = SimVenue::new(16, 16);
    let bids: &[Level] = if bid_qty > 0 { &[lv(99, bid_qty)] } else { &[] };
    let asks: &[Level] = if ask_qty > 0 {
        &[lv(101, ask_qty)]
    } else {
        &[]
    };
    v.ladder_mut()
        .apply_snapshot(bids, asks, 1, Depth::Complete)
        .unwrap();
    v
}

fn top() -> Arrival {
    Arrival {
        bid_ticks: 99,
        ask_ticks: 101,
        recommendation: Recommendation::UseMarketAcceptable,
        expected_price_ticks: None,
    }
}

/// Long `qty` on venue 0, short `qty` on venue 1, both 1 unit a lot.
fn plans(qty: i64, mode: Mode) -> [LegPlan; 2] {
    let p = LegPlan {
        venue: VenueId::new(0),
        side: OrderSide::Buy,
        qty_lots: qty,
        lot_units: 1,
        mode,
        max_slippage_bps: Ratio::from_num(500),
        fees: Fees::default(),
    };
    [
        p,
        LegPlan {
            venue: VenueId::new(1),
            side: OrderSide::Sell,
            ..p
        },
    ]
}

/// Routes commands to the venues and reports back until the group is done.
fn run(g: &mut Group, venues: &mut [SimVenue; 2]) -> Outcome {
    run_hearing(g, venues, |_| true);
    g.outcome().unwrap()
}

/// `run`, but a venue for which `heard` is false receives nothing (every request lost).
/// Returns the time the group ended.
fn run_hearing(g: &mut Group, venues: &mut [SimVenue; 2], heard: impl Fn(usize) -> bool) -> u64 {
    let tops = [top(), top()];
    let mut cmds = Cmds::new();
    g.start(&tops, 0, &mut cmds).unwrap();
    let mut now = 0;
    while g.outcome().is_none() {
        now += 100;
        assert!(now < 100_000, "group did not finish");
        let mut reports: ArrayVec<(LegIdx, Report), 256> = ArrayVec::new();
        for c in cmds.drain(..).filter(|c| heard(c.leg.index())) {
            route(c, 0, venues, now, &mut reports).unwrap();
        }
        for (leg, r) in reports {
            let (part, slot) = (r.order.part(), r.order.slot());
            g.on_order(leg, part, slot, r.kind.event(), &tops, now, &mut cmds)
                .unwrap();
        }
        if g.next_deadline().is_some_and(|d| d <= now) {
            g.on_timeout(&tops, now, &mut cmds).unwrap();
        }
    }
    now
}

#[test]
fn both_legs_fill() {
    let mut v = [venue(10, 10), venue(10, 10)];
    let mut g = Group::new(&plans(5, Mode::MarketOnly), Policy::Rollback).unwrap();
    assert_eq!(run(&mut g, &mut v), Outcome::Filled);
    assert_eq!((v[0].position_lots(), v[1].position_lots()), (5, -5));
    assert!(g.incident().is_none());
    // Bought 5 at 101 against an arrival mid of 100: 100 bps worse; sold at 99: same.
    let (buy, sell) = (
        g.leg_record(LegIdx::new(0)).unwrap(),
        g.leg_record(LegIdx::new(1)).unwrap(),
    );
    assert_eq!(buy.avg_price_ticks, Some(Ratio::from_num(101)));
    assert_eq!(buy.arrival_slippage_bps, Some(Ratio::from_num(100)));
    assert_eq!(sell.arrival_slippage_bps, Some(Ratio::from_num(100)));
    assert_eq!((buy.filled_lots, buy.unwound_lots, buy.net_lots), (5, 0, 5));
    assert_eq!(buy.route, Some(crate::leg::Route::Market));
    assert_eq!(buy.expected_price_ticks, None);
    assert_eq!(
        buy.slippage_bps, None,
        "no walk, no expected-price slippage"
    );
    assert!(g.leg_record(LegIdx::new(2)).is_none());
}

#[test]
fn the_record_measures_slippage_against_the_walk() {
    let mut v = [venue(10, 10), venue(10, 10)];
    let mut g = Group::new(&plans(5, Mode::MarketOnly), Policy::Rollback).unwrap();
    // The walk expected 100.5 for the buy (it fills at 101) and 99.5 for the sell (99).
    let top_with = |x: f64| Arrival {
        expected_price_ticks: Some(Ratio::from_num(x)),
        ..top()
    };
    let tops = [top_with(100.5), top_with(99.5)];
    let mut cmds = Cmds::new();
    g.start(&tops, 0, &mut cmds).unwrap();
    let mut reports: ArrayVec<(LegIdx, Report), 256> = ArrayVec::new();
    for c in cmds.drain(..) {
        route(c, 0, &mut v, 10, &mut reports).unwrap();
    }
    for (leg, r) in reports {
        let (part, slot) = (r.order.part(), r.order.slot());
        g.on_order(leg, part, slot, r.kind.event(), &tops, 20, &mut cmds)
            .unwrap();
    }
    assert_eq!(g.outcome(), Some(Outcome::Filled));
    let buy = g.leg_record(LegIdx::new(0)).unwrap().slippage_bps.unwrap();
    let sell = g.leg_record(LegIdx::new(1)).unwrap().slippage_bps.unwrap();
    // 0.5 / 100.5 × 10⁴ = 49.75…; 0.5 / 99.5 × 10⁴ = 50.25…
    assert!(
        (buy.to_num::<f64>() - 5_000.0 / 100.5).abs() < 1e-9,
        "{buy}"
    );
    assert!(
        (sell.to_num::<f64>() - 5_000.0 / 99.5).abs() < 1e-9,
        "{sell}"
    );
}

#[test]
fn one_leg_fails_and_the_other_rolls_back_to_flat() {
    // Venue 1 has no bids: the short leg's IOC expires unfilled.
    let mut v = [venue(10, 10), venue(0, 10)];
    let mut g = Group::new(&plans(5, Mode::MarketOnly), Policy::Rollback).unwrap();
    assert_eq!(run(&mut g, &mut v), Outcome::Flat);
    assert_eq!((v[0].position_lots(), v[1].position_lots()), (0, 0));
    let inc = g.incident().unwrap();
    // Bought 5 at 101, sold 5 back at 99: a loss of 10 tick-lots.
    assert_eq!((inc.legs[0].filled_lots, inc.legs[0].unwound_lots), (5, 5));
    assert_eq!(inc.legs[0].loss_tl, 10);
    assert_eq!(inc.legs[1].filled_lots, 0);
    assert!(inc.unhedged_unit_ns > 0);
    assert!(inc.summary.contains("group flat"), "{}", inc.summary);
}

#[test]
fn rebalance_keeps_the_hedged_part() {
    // Venue 1 has only 3 lots bid: the short fills 3 of 5; unwind 2 of the long.
    let mut v = [venue(10, 10), venue(3, 10)];
    let mut g = Group::new(&plans(5, Mode::MarketOnly), Policy::Rebalance).unwrap();
    assert_eq!(run(&mut g, &mut v), Outcome::Rebalanced);
    assert_eq!((v[0].position_lots(), v[1].position_lots()), (3, -3));
    assert_eq!(
        (g.net_units(LegIdx::new(0)), g.net_units(LegIdx::new(1))),
        (Some(3), Some(3))
    );
}

#[test]
fn an_unwind_that_cannot_fill_ends_unhedged_with_the_exact_residual() {
    // Venue 0 fills the long, but its bids are gone for the unwind; venue 1 fails.
    let mut v = [venue(0, 10), venue(0, 10)];
    let mut g = Group::new(&plans(5, Mode::MarketOnly), Policy::Rollback).unwrap();
    assert_eq!(run(&mut g, &mut v), Outcome::Unhedged);
    let inc = g.incident().unwrap();
    assert_eq!(inc.legs[0].net_lots, v[0].position_lots());
    assert_eq!(inc.legs[1].net_lots, -v[1].position_lots());
    assert_eq!(inc.legs[0].net_lots, 5);
    // One unwind and MAX_RETRIES retries were tried.
    assert_eq!(g.legs[0].parts.len(), 2 + MAX_RETRIES);
}

#[test]
fn accept_partial_keeps_what_filled() {
    let mut v = [venue(10, 10), venue(3, 10)];
    let mut g = Group::new(&plans(5, Mode::MarketOnly), Policy::AcceptPartial).unwrap();
    assert_eq!(run(&mut g, &mut v), Outcome::Unhedged);
    assert_eq!((v[0].position_lots(), v[1].position_lots()), (5, -3));
}

#[test]
fn complete_fills_the_remainder_within_its_budget() {
    // Passive entries that never fill, cancelled at 1 µs, then completed by IOCs.
    let mut v = [venue(10, 10), venue(10, 10)];
    let budget = Policy::Complete {
        budget_ns: 1_000_000,
        max_slippage_bps: Ratio::from_num(300),
    };
    let mut g = Group::new(&plans(4, Mode::LimitOnly { timeout_ns: 1_000 }), budget).unwrap();
    assert_eq!(run(&mut g, &mut v), Outcome::Filled);
    assert_eq!((v[0].position_lots(), v[1].position_lots()), (4, -4));
}

#[test]
fn bad_plans_and_calls_are_refused() {
    assert!(Group::new(&[], Policy::Rollback).is_err());
    let mut bad = plans(5, Mode::MarketOnly);
    bad[1].lot_units = 0;
    assert!(Group::new(&bad, Policy::Rollback).is_err());
    let mut g = Group::new(&plans(5, Mode::MarketOnly), Policy::Rollback).unwrap();
    let mut cmds = Cmds::new();
    assert_eq!(g.start(&[top()], 0, &mut cmds), Err(GroupError::Tops));
    let crossed = Arrival {
        bid_ticks: 101,
        ..top()
    };
    assert!(g.start(&[top(), crossed], 0, &mut cmds).is_err());
    assert!(cmds.is_empty(), "nothing sent for a refused group");
    g.start(&[top(), top()], 0, &mut cmds).unwrap();
    assert_eq!(cmds.len(), 2, "both legs in the same call");
    let ev = OrderEvent::Accepted;
    let r = g.on_order(LegIdx::new(0), 3, 0, ev, &[top(), top()], 1, &mut cmds);
    assert_eq!(
        r,
        Err(GroupError::NoSuchPart {
            leg: LegIdx::new(0),
            part: 3
        })
    );
}

#[test]
fn unhedged_time_counts_the_interval_at_the_imbalance_it_was_held() {
    use crate::leg::{Fill, Liquidity};
    let fill = |trade_id, price_ticks| {
        OrderEvent::Filled(Fill {
            trade_id,
            qty_lots: 5,
            price_ticks,
            liquidity: Liquidity::Taker,
            at_ns: 0,
        })
    };
    let tops = [top(), top()];
    let mut g = Group::new(&plans(5, Mode::MarketOnly), Policy::Rollback).unwrap();
    let mut cmds = Cmds::new();
    g.start(&tops, 0, &mut cmds).unwrap();
    // Balanced (nothing filled) from 0 to 1000; the long fills at 1000, the short
    // expires; the unwind fills at 1500: 5 units unhedged for 500 ns.
    g.on_order(LegIdx::new(0), 0, 0, fill(1, 101), &tops, 1_000, &mut cmds)
        .unwrap();
    for ev in [OrderEvent::Accepted, OrderEvent::Expired { filled_lots: 0 }] {
        g.on_order(LegIdx::new(1), 0, 0, ev, &tops, 1_000, &mut cmds)
            .unwrap();
    }
    g.on_order(
        LegIdx::new(0),
        1,
        0,
        OrderEvent::Accepted,
        &tops,
        1_500,
        &mut cmds,
    )
    .unwrap();
    g.on_order(LegIdx::new(0), 1, 0, fill(2, 99), &tops, 1_500, &mut cmds)
        .unwrap();
    assert_eq!(g.outcome(), Some(Outcome::Flat));
    let inc = g.incident().unwrap();
    assert_eq!(inc.unhedged_unit_ns, 5 * 500);
    assert_eq!(inc.time_to_hedge_ns, 1_500);
}

fn risk_state(order_cap: i64, group_cap: i64) -> (crate::risk::RiskState, Vec<LegRisk>) {
    use crate::instrument::InstrumentRules;
    use crate::num::{Decimal, Step};
    use crate::risk::{RiskState, VenueLimits};
    let mut risk = RiskState::new(Decimal::from_i64(group_cap));
    let limits = VenueLimits {
        max_order_notional: Decimal::from_i64(order_cap),
        collar_bps: Ratio::from_num(1_000),
        max_open_orders: 4,
        msgs_per_sec: 1_000,
        burst: 10,
    };
    let one = Step::parse("1").unwrap();
    let rules = InstrumentRules::linear(one, one);
    let legs = (0..2)
        .map(|_| LegRisk {
            venue: risk.add_venue(limits, 0).unwrap(),
            rules,
        })
        .collect();
    (risk, legs)
}

#[test]
fn a_risk_or_preflight_failure_sends_nothing_and_names_the_leg() {
    use crate::risk::RiskReject;
    let id = |c: &GroupCommand| (c.leg.index() * 10 + c.part) as u64;
    let tops = [top(), top()];
    // Leg 0 buys 5 at its protection 104 = 520, under the 550 cap; leg 1 sells 6 at 96
    // = 576, over it.
    let mut p = plans(6, Mode::MarketOnly);
    p[0].qty_lots = 5;
    let mut g = Group::new(&p, Policy::Rollback).unwrap();
    let (mut risk, legs) = risk_state(550, 10_000);
    let before = (g.clone(), risk.clone());
    let mut out = Cmds::new();
    let r = g.start_checked(&tops, &legs, &mut risk, id, 0, &mut out);
    assert!(
        matches!(
            r,
            Err(GroupError::Risk {
                leg,
                reason: RiskReject::OrderNotional { .. }
            }) if leg == LegIdx::new(1)
        ),
        "{r:?}"
    );
    assert!(out.is_empty());
    assert_eq!(format!("{:?}", (&g, &risk)), format!("{before:?}"));
    // The group cap.
    let (mut risk, legs) = risk_state(10_000, 1_000);
    let r = g.start_checked(&tops, &legs, &mut risk, id, 0, &mut out);
    assert!(matches!(
        r,
        Err(GroupError::GroupRisk(RiskReject::GroupNotional { .. }))
    ));
    // The pre-flight.
    let thin = Arrival {
        recommendation: Recommendation::InsufficientDepth,
        expected_price_ticks: None,
        ..top()
    };
    let (mut risk, legs) = risk_state(10_000, 10_000);
    let r = g.start_checked(&[top(), thin], &legs, &mut risk, id, 0, &mut out);
    assert_eq!(
        r,
        Err(GroupError::Preflight {
            leg: LegIdx::new(1)
        })
    );
    assert!(out.is_empty());
    // All pass: both entries go out in the one call and are counted open.
    g.start_checked(&tops, &legs, &mut risk, id, 0, &mut out)
        .unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(
        (
            risk.open_orders(VenueId::new(0)),
            risk.open_orders(VenueId::new(1))
        ),
        (Some(1), Some(1))
    );
}

#[test]
fn a_silent_venue_ends_the_group_unhedged_within_the_silence_limit() {
    // Issue 11 #10, for every policy: the filled leg is resolved by the policy (unwound
    // unless partial fills are accepted), nothing more goes to the silent leg.
    let complete = Policy::Complete {
        budget_ns: 1_000_000,
        max_slippage_bps: Ratio::from_num(500),
    };
    for (policy, kept) in [
        (Policy::Rollback, 0),
        (Policy::Rebalance, 0),
        (complete, 0),
        (Policy::AcceptPartial, 5),
    ] {
        let mut v = [venue(10, 10), venue(10, 10)];
        let mut g = Group::new(&plans(5, Mode::MarketOnly), policy)
            .unwrap()
            .with_request_timeout(1_000)
            .with_silence_limit(20_000);
        let end = run_hearing(&mut g, &mut v, |leg| leg == 0);
        assert_eq!(g.outcome(), Some(Outcome::Unhedged), "{policy:?}");
        assert!(end <= 20_000 + 300, "{policy:?}: ended at {end}");
        assert_eq!(v[0].position_lots(), kept, "{policy:?}");
        assert_eq!(g.net_units(LegIdx::new(0)), Some(kept), "{policy:?}");
        let inc = g.incident().unwrap();
        assert!(inc.legs[1].silent && !inc.legs[0].silent, "{policy:?}");
        assert!(inc.summary.contains("venue silent"), "{}", inc.summary);
        // One entry order went to the silent leg, and nothing after it.
        assert_eq!(g.legs[1].parts.len(), 1, "{policy:?}");
        let (mut risk, _) = risk_state(1_000_000, 1_000_000);
        g.settle_risk(&mut risk);
        assert_eq!(risk.switch(), crate::risk::KillSwitch::Reducing);
    }
}

#[test]
fn a_fill_overtaken_by_many_later_ones_is_told_from_a_duplicate() {
    // Issue 11 #8: the leg's window holds the 64 most recent trade ids; the group keeps
    // the ones that left it, so a fill delayed past 150 later ones is still new, and a
    // duplicate of a long-gone id is still a duplicate.
    let mut p = plans(
        1_000,
        Mode::LimitOnly {
            timeout_ns: 1_000_000,
        },
    );
    p[0].fees.maker_e8 = 3_000;
    let mut g = Group::new(&p[..1], Policy::AcceptPartial).unwrap();
    let tops = [top()];
    let mut cmds = Cmds::new();
    g.start(&tops, 0, &mut cmds).unwrap();
    let fill = |trade_id| {
        OrderEvent::Filled(crate::leg::Fill {
            trade_id,
            qty_lots: 1,
            price_ticks: 100,
            liquidity: crate::leg::Liquidity::Maker,
            at_ns: 0,
        })
    };
    let mut apply = |ev: OrderEvent| {
        cmds.clear();
        g.on_order(LegIdx::new(0), 0, 0, ev, &tops, 10, &mut cmds)
    };
    apply(OrderEvent::Accepted).unwrap();
    let held = 5;
    for id in (1..=200).filter(|&id| id != held) {
        apply(fill(id)).unwrap();
    }
    apply(fill(held)).unwrap();
    for dup in [held, 10, 150, 200] {
        let r = apply(fill(dup));
        let want = GroupError::Leg {
            leg: LegIdx::new(0),
            source: LegError::Order(crate::leg::OrderError::DuplicateFill(dup)),
        };
        assert_eq!(r, Err(want));
    }
    assert_eq!(g.reported_lots(LegIdx::new(0)), Some(200));
    assert_eq!(g.fees_tl_e8(LegIdx::new(0)), Some(200 * 100 * 3_000));
    assert_eq!(g.unverified_fills(LegIdx::new(0)), Some(0));
}
