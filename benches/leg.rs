//! Leg transition benches: one order event through the transition table with its
//! bookkeeping (fill dedup, overfill check, timestamps). Goal: ≤ 50 ns each.

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use legcore::leg::{Fill, Liquidity, Order, OrderEvent};

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

    // One fill on an order that already holds 32 fills (dedup scans them).
    let mut base = Order::new(1_000).expect("order");
    base.apply(OrderEvent::Sent, 1).expect("sent");
    for id in 0..32 {
        base.apply(fill(id), 2).expect("fill");
    }
    let mut one = || {
        let mut o = base.clone();
        let r = o.apply(black_box(fill(1_000)), 3);
        r.expect("fill");
        black_box(o.filled_lots());
    };
    c.bench_function("leg/fill_after_32_fills_incl_clone", |b| b.iter(&mut one));
    common::percentiles("leg/fill_after_32_fills_incl_clone", 100, &mut one);
}

criterion_group!(benches, transitions);
criterion_main!(benches);
