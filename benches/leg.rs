//! Leg transition benches: order events through the transition table with their
//! bookkeeping (overfill check, timestamps), and a leg's fill with its trade-id dedup.
//! Goal: ≤ 50 ns each.

mod common;

use std::hint::black_box;

use arrayvec::ArrayVec;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use legcore::book::OrderSide;
use legcore::leg::{Arrival, Command, Fill, Leg, Liquidity, Mode, Order, OrderEvent};
use legcore::num::Ratio;
use legcore::walk::Recommendation;

fn fill(trade_id: u64) -> OrderEvent {
    OrderEvent::Filled(Fill {
        trade_id,
        qty_lots: 1,
        price_ticks: 618_002,
        liquidity: Liquidity::Taker,
        at_ns: trade_id,
    })
}

fn transitions(c: &mut Criterion) {
    // A whole short life: sent, accepted, 8 fills, cancel requested, cancel acked.
    let mut life = || {
        let mut o = Order::new(100).expect("order");
        let mut n = 0u64;
        o.apply(OrderEvent::Sent, 1).expect("sent");
        o.apply(OrderEvent::Accepted, 2).expect("accepted");
        for id in 0..8 {
            n += 1;
            o.apply(black_box(fill(id)), 3 + id).expect("fill");
        }
        o.apply(OrderEvent::CancelRequested, 20).expect("cancel");
        o.apply(OrderEvent::CancelAcked { filled_lots: 0 }, 21)
            .expect("acked");
        black_box((o, n));
    };
    c.bench_function("leg/order_life_12_events", |b| b.iter(&mut life));
    common::percentiles("leg/order_life_12_events", 10, &mut life);

    // One fill on a leg that already holds 32 fills (dedup scans their trade ids),
    // timed on prepared copies of the leg.
    let mut base = Leg::new(
        OrderSide::Buy,
        1_000,
        Mode::LimitOnly { timeout_ns: 1_000 },
        Ratio::from_num(10),
        false,
    )
    .expect("leg");
    let top = Arrival {
        bid_ticks: 618_000,
        ask_ticks: 618_002,
        recommendation: Recommendation::UseLimit,
        expected_price_ticks: None,
    };
    let mut out: ArrayVec<Command, 4> = ArrayVec::new();
    base.start(top, 0, &mut out).expect("start");
    for id in 0..32 {
        base.on_order(0, fill(id), 2, &mut out).expect("fill");
    }
    let setup = || base.clone();
    let one = |l: &mut Leg| {
        let mut out: ArrayVec<Command, 4> = ArrayVec::new();
        let r = l.on_order(0, black_box(fill(1_000)), 3, &mut out);
        black_box(r.expect("fill"))
    };
    c.bench_function("leg/fill_after_32_fills", |b| {
        b.iter_batched_ref(setup, one, BatchSize::SmallInput)
    });
    common::percentiles_batched("leg/fill_after_32_fills", 64, setup, one);
}

criterion_group!(benches, transitions);
criterion_main!(benches);
