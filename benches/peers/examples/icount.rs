//! The instruction-count driver for the peer table (issue 16 item 5): runs one line of
//! `benches/peers.rs` (same inputs, same calls, through the same adapters) inside the
//! function `icount_region`, so that `valgrind --tool=callgrind --collect-atstart=no
//! --toggle-collect='*icount_region*'` counts the line's instructions and nothing else
//! (loading the capture, building books and the per-pass copy of a replay stay outside).
//! Instruction counts do not drift with the VM as times do, so they judge a change
//! where timings cannot; `benches/peers/icount.sh` runs every line and writes the JSON
//! lines `perf_md.py` reads.
//!
//! ```sh
//! cargo build --profile bench -p legcore-peers --example icount
//! target/release/examples/icount --list
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null --collect-atstart=no \
//!   --toggle-collect='*icount_region*' target/release/examples/icount book_walk/legcore/20
//! ```
//!
//! The driver prints `ops <n>`: the operations counted (level changes for a replay), by
//! which the script divides the collected instructions.

#[path = "../benches/peers/adapters.rs"]
mod adapters;

use std::hint::black_box;

use adapters::{
    h_apply, h_btree, h_change, h_diffs, h_hash, h_replay, h_roi, h_walk, legcore_replay, n_diffs,
    n_order, n_replay, nautilus_book,
};
use hftbacktest::depth::L2MarketDepth;
use legcore::book::{Ladder, OrderSide};
use legcore::walk::{walk_qty, Metrics, Thresholds};
use legcore_peers::Data;
use nautilus_model::enums::OrderSide as NSide;
use nautilus_model::types::Quantity;

/// Diffs in the replay window, as in the bench.
const REPLAY_DIFFS: usize = 200;
/// Existing-level updates counted: one pass over the bench's 4096 pre-made ops.
const UPDATES: usize = 4096;
/// Walks counted per line.
const WALKS: u64 = 1000;
/// Replay passes counted per line.
const PASSES: u64 = 3;

const UPDATE_PEERS: [&str; 5] = [
    "legcore",
    "hftbacktest_roivector",
    "hftbacktest_hashmap",
    "hftbacktest_btree",
    "nautilus_model",
];
const WALK_PEERS: [&str; 5] = [
    "legcore",
    "legcore_walk_only",
    "nautilus_model_avg_px",
    "nautilus_model_worst_px",
    "hftbacktest_roivector_our_loop",
];

/// Every line this driver counts, as `group/peer/param` (the bench's ids).
fn lines() -> Vec<String> {
    let mut v = Vec::new();
    for param in ["existing_top20", "replay"] {
        v.extend(
            UPDATE_PEERS
                .iter()
                .map(|p| format!("book_update/{p}/{param}")),
        );
    }
    for levels in [1, 20, 200] {
        v.extend(WALK_PEERS.iter().map(|p| format!("book_walk/{p}/{levels}")));
    }
    v
}

/// The counted region: callgrind collects from entry to exit of this function.
#[inline(never)]
fn icount_region<F: FnMut()>(f: &mut F) {
    f()
}

/// Runs `op(i)` for `i` in `0..n` inside the region; returns `n`.
fn per_op(n: u64, mut op: impl FnMut(u64)) -> u64 {
    icount_region(&mut || (0..n).for_each(&mut op));
    n
}

/// `PASSES` replays, each from a fresh copy of the snapshot state made outside the
/// region; returns the level changes applied.
fn replay<S>(d: &Data, setup: impl Fn() -> S, mut run: impl FnMut(&mut S)) -> u64 {
    for _ in 0..PASSES {
        let mut s = setup();
        icount_region(&mut || run(&mut s));
        black_box(&s);
    }
    PASSES * d.diffs.iter().map(|x| x.changes.len() as u64).sum::<u64>()
}

fn update(d: &Data, peer: &str) -> Option<u64> {
    let ops = d.existing_updates(20, UPDATES);
    let n = ops.len() as u64;
    let hops: Vec<_> = ops.iter().map(|o| h_change(d, o)).collect();
    let at = |i: u64| (i as usize) % ops.len();
    Some(match peer {
        "legcore" => {
            let mut l = d.ladder();
            per_op(n, |i| {
                let o = &ops[at(i)];
                let r = l.set_level(o.side, o.price_ticks, black_box(o.qty_lots), i);
                r.expect("existing level");
            })
        }
        "hftbacktest_roivector" => h_updates(n, h_roi(d), &hops),
        "hftbacktest_hashmap" => h_updates(n, h_hash(d), &hops),
        "hftbacktest_btree" => h_updates(n, h_btree(d), &hops),
        "nautilus_model" => {
            let nops: Vec<_> = ops.iter().map(|o| n_order(d, o)).collect();
            let mut b = nautilus_book(d);
            per_op(n, |i| {
                b.update(black_box(nops[at(i)]), 0, i, Default::default());
            })
        }
        _ => return None,
    })
}

fn h_updates<M: L2MarketDepth>(n: u64, mut m: M, hops: &[(legcore::book::Side, f64, f64)]) -> u64 {
    per_op(n, |i| {
        h_apply(&mut m, &hops[i as usize % hops.len()], i as i64)
    })
}

fn replays(d: &Data, peer: &str) -> Option<u64> {
    let hd = h_diffs(d);
    Some(match peer {
        "legcore" => replay(d, || d.ladder(), |l: &mut Ladder| legcore_replay(d, l)),
        "hftbacktest_roivector" => replay(d, || h_roi(d), |m| h_replay(&hd, m)),
        "hftbacktest_hashmap" => replay(d, || h_hash(d), |m| h_replay(&hd, m)),
        "hftbacktest_btree" => replay(d, || h_btree(d), |m| h_replay(&hd, m)),
        "nautilus_model" => {
            let nd = n_diffs(d);
            replay(d, || nautilus_book(d), |b| n_replay(d, &nd, b))
        }
        _ => return None,
    })
}

fn walk(d: &Data, peer: &str, levels: usize) -> Option<u64> {
    let lots = d.qty_for_levels(levels);
    let l = d.ladder();
    let th = Thresholds::default();
    let (bid, ask) = (d.bids[0].price_ticks, d.asks[0].price_ticks);
    let nb = nautilus_book(d);
    let nq = Quantity::new(lots as f64 * d.lot_f64(), d.lot.dp());
    let hm = h_roi(d);
    let hq = lots as f64 * d.lot_f64();
    Some(match peer {
        "legcore" => per_op(WALKS, |_| {
            let w = walk_qty(black_box(&l), OrderSide::Buy, black_box(lots)).expect("walk");
            black_box(Metrics::compute(&w, bid, ask, &th));
        }),
        "legcore_walk_only" => per_op(WALKS, |_| {
            black_box(walk_qty(black_box(&l), OrderSide::Buy, black_box(lots)).ok());
        }),
        "nautilus_model_avg_px" => per_op(WALKS, |_| {
            black_box(black_box(&nb).get_avg_px_for_quantity(black_box(nq), NSide::Buy));
        }),
        "nautilus_model_worst_px" => per_op(WALKS, |_| {
            black_box(black_box(&nb).get_worst_px_for_quantity(black_box(nq), NSide::Buy));
        }),
        "hftbacktest_roivector_our_loop" => per_op(WALKS, |_| {
            let (t, q) = (d.tick_f64(), d.lot_f64());
            black_box(h_walk(black_box(&hm), black_box(hq), t, q));
        }),
        _ => return None,
    })
}

/// Runs the line `id`; returns the operations counted, or `None` for an unknown line.
fn run(d: &Data, id: &str) -> Option<u64> {
    let mut parts = id.split('/');
    let (group, peer, param) = (parts.next()?, parts.next()?, parts.next()?);
    match (group, param) {
        ("book_update", "existing_top20") => update(d, peer),
        ("book_update", "replay") => replays(d, peer),
        ("book_walk", n) => walk(d, peer, n.parse().ok()?),
        _ => None,
    }
}

fn main() {
    let arg = std::env::args().nth(1).unwrap_or_default();
    if arg == "--list" {
        lines().iter().for_each(|l| println!("{l}"));
        return;
    }
    let d = Data::load(REPLAY_DIFFS);
    match run(&d, &arg) {
        Some(n) => println!("ops {n}"),
        None => {
            eprintln!("icount: unknown line {arg:?} (see --list)");
            std::process::exit(2);
        }
    }
}
