//! A profiling driver for legcore's lines of the peer benches: the same inputs and the same
//! calls as `benches/peers.rs`, looped alone for a few seconds, so that `perf record` sees
//! nothing but them (the bench binary also runs every peer's percentile pass and the
//! rings, whatever the criterion filter).
//!
//! ```sh
//! cargo build --profile bench -p legcore-peers --example legcore_hot
//! perf record -e cpu-clock -g target/release/examples/legcore_hot update 5
//! ```
//!
//! Modes: `update` (`book_update/legcore/existing_top20`), `replay`
//! (`book_update/legcore/replay`), `walk<N>` (`book_walk/legcore/<N>`, walk and metrics),
//! `walk_only<N>` (`book_walk/legcore_walk_only/<N>`). Prints ns per operation.

// The bench's own calls (only legcore's replay is used here).
#[allow(dead_code)]
#[path = "../benches/peers/adapters.rs"]
mod adapters;

use std::hint::black_box;
use std::time::{Duration, Instant};

use legcore::book::{Ladder, OrderSide};
use legcore::walk::{walk_qty, Metrics, Thresholds};
use legcore_peers::Data;

fn run(secs: f64, ops_per_call: u64, batch: u64, mut f: impl FnMut(u64)) {
    let end = Instant::now() + Duration::from_secs_f64(secs);
    let (mut calls, t) = (0u64, Instant::now());
    while Instant::now() < end {
        for _ in 0..batch {
            calls += 1;
            f(calls);
        }
    }
    let ns = t.elapsed().as_nanos() as f64 / (calls * ops_per_call) as f64;
    println!("{ns:.2} ns/op over {calls} calls");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("update", String::as_str);
    let secs: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let d = Data::load(200);
    if mode == "update" {
        let ops = d.existing_updates(20, 4096);
        let mut l = d.ladder();
        run(secs, 1, 1000, |i| {
            let o = &ops[(i & 4095) as usize];
            let r = l.set_level(o.side, o.price_ticks, black_box(o.qty_lots), i);
            r.expect("existing level");
        });
    } else if mode == "replay" {
        let changes: u64 = d.diffs.iter().map(|x| x.changes.len() as u64).sum();
        let fresh = d.ladder();
        let mut l = fresh.clone();
        // The copy back to the snapshot state is timed too (criterion's line does not time it).
        run(secs, changes, 1, |_| {
            l.clone_from(&fresh);
            adapters::legcore_replay(&d, &mut l);
        });
    } else if let Some(n) = mode.strip_prefix("walk_only") {
        let lots = d.qty_for_levels(n.parse().expect("levels"));
        let l: Ladder = d.ladder();
        run(secs, 1, 1000, |_| {
            black_box(walk_qty(black_box(&l), OrderSide::Buy, black_box(lots)).ok());
        });
    } else if let Some(n) = mode.strip_prefix("walk") {
        let lots = d.qty_for_levels(n.parse().expect("levels"));
        let l: Ladder = d.ladder();
        let th = Thresholds::default();
        let (bid, ask) = (d.bids[0].price_ticks, d.asks[0].price_ticks);
        run(secs, 1, 1000, |_| {
            let w = walk_qty(black_box(&l), OrderSide::Buy, black_box(lots)).expect("walk");
            black_box(Metrics::compute(&w, bid, ask, &th));
        });
    } else {
        eprintln!("unknown mode {mode}");
        std::process::exit(2);
    }
}
