//! Walk benches: 1, 20 and 200 levels by quantity and by notional, with and without the
//! fixed-point metrics (the "full report" the core decides on), on synthetic ladders with
//! exact level counts and on the real Binance USD-M BTCUSDT snapshot.

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use legcore::book::{Depth, Ladder, Level, OrderSide};
use legcore::walk::{walk_notional, walk_qty, Metrics, Thresholds};

/// Bids 99_999 down, asks 100_001 up, `n` levels each of 10 lots.
fn ladder(n: i64) -> Ladder {
    let bids: Vec<Level> = (0..n)
        .map(|i| Level {
            price_ticks: 99_999 - i,
            qty_lots: 10,
        })
        .collect();
    let asks: Vec<Level> = (0..n)
        .map(|i| Level {
            price_ticks: 100_001 + i,
            qty_lots: 10,
        })
        .collect();
    let mut l = Ladder::new(1024, 256);
    l.apply_snapshot(&bids, &asks, 1, Depth::Complete)
        .expect("snapshot");
    l
}

fn walks(c: &mut Criterion) {
    let l = ladder(400);
    let t = Thresholds::default();
    let (bid, ask) = (99_999, 100_001);
    for levels in [1i64, 20, 200] {
        let qty = levels * 10;
        // Notional that ends half-way into the last level.
        let notional: i128 = (0..levels - 1)
            .map(|i| i128::from(100_001 + i) * 10)
            .sum::<i128>()
            + i128::from(100_001 + levels - 1) * 5;
        c.bench_function(&format!("walk_qty/{levels}"), |b| {
            b.iter(|| walk_qty(black_box(&l), OrderSide::Buy, black_box(qty)))
        });
        c.bench_function(&format!("walk_qty_metrics/{levels}"), |b| {
            b.iter(|| {
                let w = walk_qty(black_box(&l), OrderSide::Buy, black_box(qty)).expect("walk");
                Metrics::compute(&w, bid, ask, &t)
            })
        });
        c.bench_function(&format!("walk_notional/{levels}"), |b| {
            b.iter(|| walk_notional(black_box(&l), OrderSide::Buy, black_box(notional)))
        });
        c.bench_function(&format!("walk_notional_metrics/{levels}"), |b| {
            b.iter(|| {
                let w = walk_notional(black_box(&l), OrderSide::Buy, black_box(notional))
                    .expect("walk");
                Metrics::compute(&w, bid, ask, &t)
            })
        });
        common::percentiles(&format!("walk_qty_metrics/{levels}"), 100, || {
            let w = walk_qty(black_box(&l), OrderSide::Buy, black_box(qty)).expect("walk");
            black_box(Metrics::compute(&w, bid, ask, &t));
        });
        common::percentiles(&format!("walk_notional_metrics/{levels}"), 100, || {
            let w =
                walk_notional(black_box(&l), OrderSide::Buy, black_box(notional)).expect("walk");
            black_box(Metrics::compute(&w, bid, ask, &t));
        });
    }
}

criterion_group!(benches, walks);
criterion_main!(benches);
