//! Ladder benches: a validated level update (existing level, best tracked, crossing
//! checked, in a rollback transaction), insert + delete near the touch, an update 900
//! levels deep, and a 1000 + 1000 level snapshot load.

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use legcore::book::{Depth, Ladder, Level, Side};

fn levels(n: i64) -> (Vec<Level>, Vec<Level>) {
    let bids = (0..n)
        .map(|i| Level {
            price_ticks: 99_999 - i,
            qty_lots: 10 + i % 7,
        })
        .collect();
    let asks = (0..n)
        .map(|i| Level {
            price_ticks: 100_001 + i,
            qty_lots: 10 + i % 5,
        })
        .collect();
    (bids, asks)
}

fn ladder() -> Ladder {
    let (b, a) = levels(1000);
    let mut l = Ladder::new(2048, 256);
    l.apply_snapshot(&b, &a, 1, Depth::Complete)
        .expect("snapshot");
    l
}

/// One update message touching one level, as a venue diff does.
#[inline]
fn set_one(l: &mut Ladder, side: Side, price: i64, qty: i64, seq: u64) {
    let mut tx = l.update();
    tx.set(side, price, qty).expect("valid");
    tx.commit(seq).expect("not crossed");
}

fn updates(c: &mut Criterion) {
    let mut l = ladder();
    let mut i = 0u64;
    let mut existing = move || {
        i += 1;
        let k = (i % 5) as i64;
        set_one(&mut l, Side::Bid, 99_999 - k, 1 + (i % 13) as i64, i);
    };
    c.bench_function("update/existing_top5", |b| b.iter(&mut existing));
    common::percentiles("update/existing_top5", 100, &mut existing);

    let mut l = ladder();
    let mut i = 0u64;
    let mut bare = move || {
        i += 1;
        let k = (i % 5) as i64;
        let r = l.set_level(Side::Bid, 99_999 - k, 1 + (i % 13) as i64, i);
        r.expect("valid");
    };
    c.bench_function("set_level/existing_top5", |b| b.iter(&mut bare));
    common::percentiles("set_level/existing_top5", 100, &mut bare);

    let mut l = ladder();
    let mut i = 0u64;
    let mut insert_delete = move || {
        i += 1;
        // 100_000 is inside the spread: insert it as the new best bid, then delete it.
        set_one(&mut l, Side::Bid, 100_000, 5, 2 * i);
        set_one(&mut l, Side::Bid, 100_000, 0, 2 * i + 1);
    };
    c.bench_function("update/insert_delete_best_pair", |b| {
        b.iter(&mut insert_delete)
    });
    common::percentiles("update/insert_delete_best_pair", 100, &mut insert_delete);

    let mut l = ladder();
    let mut i = 0u64;
    let mut deep = move || {
        i += 1;
        set_one(&mut l, Side::Ask, 100_901, 1 + (i % 13) as i64, i);
    };
    c.bench_function("update/existing_depth900", |b| b.iter(&mut deep));
    common::percentiles("update/existing_depth900", 100, &mut deep);
}

fn snapshots(c: &mut Criterion) {
    let (b, a) = levels(1000);
    let mut l = Ladder::new(2048, 256);
    let mut load = || {
        l.apply_snapshot(black_box(&b), black_box(&a), 1, Depth::Complete)
            .expect("snapshot")
    };
    c.bench_function("snapshot/1000x2", |bch| bch.iter(&mut load));
    common::percentiles("snapshot/1000x2", 10, &mut load);
}

criterion_group!(benches, updates, snapshots);
criterion_main!(benches);
