//! Group decision benches: a group's reaction to a venue report, including the policy
//! decision when the last entry leg finishes. Goal: ≤ 50 ns a decision.
//!
//! A `Group` is a large value (every order slot of every part inline, about 85 KB), so a
//! decision cannot be timed on a fresh clone per iteration without timing the copy. Two
//! views are measured: a decision on a prepared group (criterion's `iter_batched_ref`,
//! the copy made outside the timing; the prepared groups may be cold in cache), and whole
//! lifecycles in place, from which construction is subtracted in PERF.md.

mod common;

use legcore::index::{LegIdx, VenueId};

use std::hint::black_box;

use arrayvec::ArrayVec;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use legcore::book::OrderSide;
use legcore::group::{Group, GroupCommand, LegPlan, Policy};
use legcore::leg::{Arrival, Fees, Fill, Liquidity, Mode, OrderEvent};
use legcore::num::Ratio;
use legcore::walk::Recommendation;

type Cmds = ArrayVec<GroupCommand, 32>;

const TOP: Arrival = Arrival {
    bid_ticks: 618_000,
    ask_ticks: 618_002,
    recommendation: Recommendation::UseMarketAcceptable,
    expected_price_ticks: None,
};
const TOPS: [Arrival; 2] = [TOP, TOP];

fn plans() -> [LegPlan; 2] {
    let p = LegPlan {
        venue: VenueId::new(0),
        side: OrderSide::Buy,
        qty_lots: 5,
        lot_units: 1,
        mode: Mode::MarketOnly,
        max_slippage_bps: Ratio::from_num(50),
        fees: Fees {
            maker_e8: 0,
            taker_e8: 40_000,
        },
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

fn fill(trade_id: u64, qty_lots: i64) -> OrderEvent {
    OrderEvent::Filled(Fill {
        trade_id,
        qty_lots,
        price_ticks: 618_002,
        liquidity: Liquidity::Taker,
        at_ns: 10,
    })
}

/// Both entries sent; leg 0 filled and expired, leg 1 accepted.
fn prepared() -> Group {
    let mut g = Group::new(&plans(), Policy::Rollback).expect("group");
    let mut out = Cmds::new();
    g.start(&TOPS, 0, &mut out).expect("start");
    for ev in [OrderEvent::Accepted, fill(1, 5)] {
        g.on_order(LegIdx::new(0), 0, 0, ev, &TOPS, 10, &mut out)
            .expect("leg 0");
    }
    g.on_order(
        LegIdx::new(1),
        0,
        0,
        OrderEvent::Accepted,
        &TOPS,
        10,
        &mut out,
    )
    .expect("leg 1");
    g
}

fn decisions(c: &mut Criterion) {
    // The last fill completes the group: `Filled`.
    let last_fill = |g: &mut Group| {
        let mut out = Cmds::new();
        let r = g.on_order(
            LegIdx::new(1),
            0,
            0,
            black_box(fill(2, 5)),
            &TOPS,
            20,
            &mut out,
        );
        black_box((r.expect("fill"), out.len()))
    };
    c.bench_function("group/decide_last_fill_completes", |b| {
        b.iter_batched_ref(prepared, last_fill, BatchSize::SmallInput)
    });
    common::percentiles_batched("group/decide_last_fill_completes", 64, prepared, last_fill);

    // The short expires unfilled: rollback decides and sends the long's unwind.
    let expiry = |g: &mut Group| {
        let mut out = Cmds::new();
        let ev = OrderEvent::Expired { filled_lots: 0 };
        let r = g.on_order(LegIdx::new(1), 0, 0, black_box(ev), &TOPS, 20, &mut out);
        assert_eq!(out.len(), 1, "one unwind");
        black_box((r.expect("expiry"), out.len()))
    };
    c.bench_function("group/decide_rollback_sends_unwind", |b| {
        b.iter_batched_ref(prepared, expiry, BatchSize::SmallInput)
    });
    common::percentiles_batched("group/decide_rollback_sends_unwind", 64, prepared, expiry);

    // Construction alone (returns the 85 KB value).
    let p = plans();
    let mut new = || {
        black_box(Group::new(black_box(&p), Policy::Rollback).expect("group"));
    };
    c.bench_function("group/new_2_legs", |b| b.iter(&mut new));
    common::percentiles("group/new_2_legs", 10, &mut new);

    // A whole filled lifecycle: new, start, and 6 reports (7 decisions).
    let mut life = || {
        let mut g = Group::new(&p, Policy::Rollback).expect("group");
        let mut out = Cmds::new();
        g.start(&TOPS, 0, &mut out).expect("start");
        for leg in 0..2 {
            for ev in [OrderEvent::Accepted, fill(leg as u64, 5)] {
                out.clear();
                g.on_order(LegIdx::new(leg), 0, 0, ev, &TOPS, 10, &mut out)
                    .expect("report");
            }
        }
        black_box(g.outcome().expect("done"));
    };
    c.bench_function("group/lifecycle_2_legs_filled", |b| b.iter(&mut life));
    common::percentiles("group/lifecycle_2_legs_filled", 10, &mut life);

    // The same lifecycle on one group's storage, renewed in place (the runtime's way):
    // renew, start and 6 reports.
    let mut g = Group::new(&p, Policy::Rollback).expect("group");
    let mut renewed = || {
        g.renew(&p, Policy::Rollback).expect("renew");
        let mut out = Cmds::new();
        g.start(&TOPS, 0, &mut out).expect("start");
        for leg in 0..2 {
            for ev in [OrderEvent::Accepted, fill(leg as u64, 5)] {
                out.clear();
                g.on_order(LegIdx::new(leg), 0, 0, ev, &TOPS, 10, &mut out)
                    .expect("report");
            }
        }
        black_box(g.outcome().expect("done"));
    };
    c.bench_function("group/lifecycle_2_legs_filled_renewed", |b| {
        b.iter(&mut renewed)
    });
    common::percentiles("group/lifecycle_2_legs_filled_renewed", 10, &mut renewed);

    // A rollback lifecycle in place: renew, start, the long fills, the short expires,
    // the unwind fills: 8 decisions, one of which builds the unwind part.
    let mut rollback = || {
        g.renew(&p, Policy::Rollback).expect("renew");
        let mut out = Cmds::new();
        g.start(&TOPS, 0, &mut out).expect("start");
        let evs = [
            (0, 0, OrderEvent::Accepted),
            (0, 0, fill(1, 5)),
            (1, 0, OrderEvent::Accepted),
            (1, 0, OrderEvent::Expired { filled_lots: 0 }),
            (0, 1, OrderEvent::Accepted),
            (0, 1, fill(2, 5)),
        ];
        for (leg, part, ev) in evs {
            out.clear();
            g.on_order(LegIdx::new(leg), part, 0, ev, &TOPS, 10, &mut out)
                .expect("report");
        }
        black_box(g.outcome().expect("done"));
    };
    c.bench_function("group/lifecycle_2_legs_rollback_renewed", |b| {
        b.iter(&mut rollback)
    });
    common::percentiles("group/lifecycle_2_legs_rollback_renewed", 10, &mut rollback);
}

criterion_group!(benches, decisions);
criterion_main!(benches);
