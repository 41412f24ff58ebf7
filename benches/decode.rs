//! Feed decode benches on real data: every Binance USD-M BTCUSDT depth diff of the
//! 2024-08-08 capture after its REST snapshot, decoded from JSON text and applied to the
//! ladder through the futures sync rule (`BinanceSync::on_depth`), in recorded order.
//! Also the REST snapshot itself (1000 + 1000 levels of JSON).

mod common;

use std::hint::black_box;
use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use flate2::read::GzDecoder;
use hdrhistogram::Histogram;
use legcore::book::{Depth, Ladder};
use legcore::feed::binance::{apply_depth_snapshot_as, BinanceSync, Market};
use legcore::num::Step;

const FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/market/binance/usdm_btcusdt_20240808.raw.gz"
);

struct Capture {
    /// Diffs recorded before the snapshot: buffered by the sync, replayed after it.
    early: Vec<Vec<u8>>,
    snapshot: Vec<u8>,
    diffs: Vec<Vec<u8>>,
}

fn load() -> Capture {
    let f = std::fs::File::open(FILE).expect("capture");
    let mut snapshot = Vec::new();
    let mut diffs = Vec::new();
    let mut early = Vec::new();
    for line in BufReader::new(GzDecoder::new(f)).split(b'\n') {
        let line = line.expect("gzip");
        let Some(sp) = line.iter().position(|&b| b == b' ') else {
            continue;
        };
        let json = &line[sp + 1..];
        if json.starts_with(br#"{"lastUpdateId""#) {
            snapshot = json.to_vec();
        } else if json.windows(7).any(|w| w == b"@depth@") {
            let to = if snapshot.is_empty() {
                &mut early
            } else {
                &mut diffs
            };
            to.push(json.to_vec());
        }
    }
    Capture {
        early,
        snapshot,
        diffs,
    }
}

struct Book {
    ladder: Ladder,
    sync: BinanceSync,
}

/// A synced book: `levels` per side, the snapshot installed as `depth`.
#[derive(Clone, Copy)]
struct Setup {
    name: &'static str,
    levels: usize,
    depth: Depth,
}

fn fresh(c: &Capture, s: Setup, tick: Step, lot: Step) -> Book {
    let mut ladder = Ladder::new(s.levels, 4_096);
    let mut sync = BinanceSync::new(Market::Futures, 1 << 20, 64).with_snapshot_depth(s.depth);
    for msg in &c.early {
        sync.on_depth(&mut ladder, tick, lot, msg)
            .expect("buffered");
    }
    sync.on_snapshot(&mut ladder, tick, lot, &c.snapshot)
        .expect("snapshot");
    while let Some(r) = sync.replay_next(&mut ladder, tick, lot) {
        r.expect("buffered diff");
    }
    Book { ladder, sync }
}

/// Every diff in recorded order; criterion gives the mean, a per-message histogram the
/// percentiles (each message timed alone: includes ~20 ns of `Instant` overhead).
fn diff_sequence(crit: &mut Criterion, c: &Capture, s: Setup, tick: Step, lot: Step) {
    let mut book = fresh(c, s, tick, lot);
    let mut i = 0usize;
    crit.bench_function(s.name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                if i == c.diffs.len() {
                    book = fresh(c, s, tick, lot);
                    i = 0;
                }
                let n = left.min((c.diffs.len() - i) as u64) as usize;
                let t = Instant::now();
                for msg in &c.diffs[i..i + n] {
                    let r = book
                        .sync
                        .on_depth(&mut book.ladder, tick, lot, black_box(msg));
                    black_box(r.expect("real diff"));
                }
                total += t.elapsed();
                i += n;
                left -= n as u64;
            }
            total
        })
    });
    let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).expect("histogram");
    let passes = if std::env::args().any(|a| a == "--bench") {
        5
    } else {
        1
    };
    for _ in 0..passes {
        let mut book = fresh(c, s, tick, lot);
        for msg in &c.diffs {
            let t = Instant::now();
            let r = book
                .sync
                .on_depth(&mut book.ladder, tick, lot, black_box(msg));
            let ns = t.elapsed().as_nanos() as u64;
            black_box(r.expect("real diff"));
            h.saturating_record(ns.max(1));
        }
    }
    println!(
        "PCTL {:<40} p50 {:>9} ns  p90 {:>9}  p99 {:>9}  p99.9 {:>9}  max {:>10}  (n={})",
        s.name,
        h.value_at_quantile(0.5),
        h.value_at_quantile(0.9),
        h.value_at_quantile(0.99),
        h.value_at_quantile(0.999),
        h.max(),
        h.len()
    );
}

fn decode(crit: &mut Criterion) {
    let c = load();
    let (tick, lot) = (Step::parse("0.10").unwrap(), Step::parse("0.001").unwrap());
    let mean_bytes = c.diffs.iter().map(Vec::len).sum::<usize>() / c.diffs.len();
    println!(
        "capture: {} diffs after the snapshot, mean {mean_bytes} bytes",
        c.diffs.len()
    );
    // The whole book (grows to ~5,000 levels a side, far levels included) ...
    let whole = Setup {
        name: "decode/binance_usdm_diff/whole_book",
        levels: 16_384,
        depth: Depth::Complete,
    };
    // ... and the production shape: the snapshot's 1,000-level window, unknown beyond.
    let window = Setup {
        name: "decode/binance_usdm_diff/1000_window",
        levels: 1_000,
        depth: Depth::Partial,
    };
    diff_sequence(crit, &c, whole, tick, lot);
    diff_sequence(crit, &c, window, tick, lot);

    let mut ladder = Ladder::new(16_384, 4_096);
    let mut snap = || {
        let r = apply_depth_snapshot_as(
            &mut ladder,
            tick,
            lot,
            black_box(&c.snapshot),
            Depth::Complete,
        );
        black_box(r.expect("snapshot"));
    };
    crit.bench_function("decode/binance_rest_snapshot_1000x2", |b| b.iter(&mut snap));
    common::percentiles("decode/binance_rest_snapshot_1000x2", 1, &mut snap);
}

criterion_group!(benches, decode);
criterion_main!(benches);
