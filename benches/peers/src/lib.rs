//! Shared plumbing for the peer benches (`benches/peers.rs`), kept out of the bench file
//! so that the bench reads as a list of peers.
//!
//! - [`Data::load`]: the one real book every peer is fed: the Binance USD-M BTCUSDT REST
//!   snapshot (1000 levels a side) and the depth diffs that follow it in the recorded
//!   capture, as integer (side, ticks, lots) levels. Each bench converts these to its
//!   peer's own types at setup, so the timed code only sees the peer's API.
//! - [`Counting`]: a counting global allocator (the allocation column). It counts only
//!   while [`count_allocs`] runs, so criterion's timed loops pay one relaxed load per
//!   allocation and nothing else.
//! - [`Hist`] and [`record`]: percentile passes (criterion reports no percentiles) and
//!   the JSON lines `benches/peers/perf_md.py` turns into PERF.md.
//!
//! Why a separate crate: the peers (nautilus-model is LGPL-3.0, hftbacktest pulls a
//! hundred crates) must never be dependencies of the library nor slow its build.

#![deny(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use legcore::book::{Depth, Ladder, Level, Side};
use legcore::feed::binance::{classify, split_line, LineKind};
use legcore::feed::load_book_file;
use legcore::num::Step;
use legcore::runtime::Tape;

/// One level change from a depth diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// Book side.
    pub side: Side,
    /// Price in ticks.
    pub price_ticks: i64,
    /// New size in lots; 0 deletes the level.
    pub qty_lots: i64,
}

/// One depth diff message: its final update id and its level changes.
#[derive(Debug, Clone)]
pub struct Diff {
    /// Binance `u`.
    pub seq: u64,
    /// The message's changes, bids then asks, in message order.
    pub changes: Vec<Change>,
}

/// The real book every bench is fed.
#[derive(Debug, Clone)]
pub struct Data {
    /// Snapshot bids, best first.
    pub bids: Vec<Level>,
    /// Snapshot asks, best first.
    pub asks: Vec<Level>,
    /// Price tick (0.1 USDT for BTCUSDT perp).
    pub tick: Step,
    /// Size lot (0.001 BTC).
    pub lot: Step,
    /// The snapshot's `lastUpdateId`.
    pub seq: u64,
    /// The diffs that follow the snapshot (`u` ≥ `lastUpdateId`), in capture order.
    pub diffs: Vec<Diff>,
}

/// `data/market/binance/` in the repository.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/market/binance")
}

impl Data {
    /// Loads the snapshot and up to `max_diffs` diffs that follow it.
    pub fn load(max_diffs: usize) -> Data {
        let dir = data_dir();
        let bytes = fs::read(dir.join("usdm_btcusdt_20240808.snapshot.json")).expect("snapshot");
        let book = load_book_file(&bytes, 2048).expect("snapshot loads");
        let bids: Vec<Level> = book.ladder.levels(Side::Bid).collect();
        let asks: Vec<Level> = book.ladder.levels(Side::Ask).collect();
        let tape = Tape::from_gz_file(dir.join("usdm_btcusdt_20240808.raw.gz")).expect("capture");
        let mut diffs = Vec::new();
        for i in 0..tape.len() {
            if diffs.len() >= max_diffs {
                break;
            }
            let Some((_, json)) = split_line(tape.line(i)) else {
                continue;
            };
            if classify(json) != LineKind::Depth {
                continue;
            }
            let v: serde_json::Value = serde_json::from_slice(json).expect("json");
            let d = v.get("data").unwrap_or(&v);
            let u = d["u"].as_u64().expect("u");
            if u < book.seq {
                continue;
            }
            let mut changes = Vec::new();
            for (key, side) in [("b", Side::Bid), ("a", Side::Ask)] {
                for l in d[key].as_array().expect("levels") {
                    let px = l[0].as_str().expect("price");
                    let qty = l[1].as_str().expect("qty");
                    changes.push(Change {
                        side,
                        price_ticks: book.tick.parse_units(px.as_bytes()).expect("on tick"),
                        qty_lots: book.lot.parse_units(qty.as_bytes()).expect("on lot"),
                    });
                }
            }
            diffs.push(Diff { seq: u, changes });
        }
        Data {
            bids,
            asks,
            tick: book.tick,
            lot: book.lot,
            seq: book.seq,
            diffs,
        }
    }

    /// A legcore ladder holding the snapshot (the snapshot is a top-1000 window: depth
    /// beyond it is unknown, and updates there are ignored, as a venue feed would be).
    pub fn ladder(&self) -> Ladder {
        let max_changes = self.diffs.iter().map(|d| d.changes.len()).max();
        let mut l = Ladder::new(2048, max_changes.unwrap_or(1).max(1));
        l.apply_snapshot(&self.bids, &self.asks, self.seq, Depth::Partial)
            .expect("snapshot");
        l
    }

    /// Tick size as f64 (for the float peers).
    pub fn tick_f64(&self) -> f64 {
        self.tick.size().to_f64()
    }

    /// Lot size as f64.
    pub fn lot_f64(&self) -> f64 {
        self.lot.size().to_f64()
    }

    /// `n` updates of existing levels among the best `top` of each side, sides alternating,
    /// sizes taken in order from the real diffs' non-zero sizes: the "existing level"
    /// update the MISSION goal is stated for (no insert, no delete, never crossing).
    pub fn existing_updates(&self, top: usize, n: usize) -> Vec<Change> {
        let sizes: Vec<i64> = self
            .diffs
            .iter()
            .flat_map(|d| d.changes.iter().map(|c| c.qty_lots))
            .filter(|&q| q > 0)
            .collect();
        (0..n)
            .map(|i| {
                let (side, levels) = if i % 2 == 0 {
                    (Side::Bid, &self.bids)
                } else {
                    (Side::Ask, &self.asks)
                };
                let k = (i / 2 * 7) % top.min(levels.len());
                Change {
                    side,
                    price_ticks: levels[k].price_ticks,
                    qty_lots: sizes[i % sizes.len()],
                }
            })
            .collect()
    }

    /// The quantity, in lots, that takes exactly the best `n` ask levels.
    pub fn qty_for_levels(&self, n: usize) -> i64 {
        self.asks.iter().take(n).map(|l| l.qty_lots).sum()
    }
}

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicU64 = AtomicU64::new(0);

/// The system allocator, counting allocations and reallocations (on every thread) while
/// [`count_allocs`] runs. Install it with `#[global_allocator]` in the bench binary.
pub struct Counting;

// SAFETY: every call is forwarded unchanged to `System`, which upholds `GlobalAlloc`'s
// contract; the wrapper only bumps an atomic counter, which neither allocates nor
// unwinds.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Runs `f` (which performs `ops` operations) with allocation counting on, and returns
/// allocations per operation. Counts every thread's allocations, so run it while no
/// other work is going on.
pub fn count_allocs<F: FnOnce()>(ops: u64, f: F) -> f64 {
    let before = ALLOCS.load(Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    f();
    COUNTING.store(false, Ordering::SeqCst);
    (ALLOCS.load(Ordering::SeqCst) - before) as f64 / ops.max(1) as f64
}

/// Where results go: `$PEERS_OUT`, else `$CARGO_TARGET_DIR/peers`, else `target/peers`
/// under the workspace root.
pub fn out_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("PEERS_OUT") {
        return PathBuf::from(d);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    target.join("peers")
}

/// Appends one JSON line to `<out_dir>/results.jsonl`.
pub fn record(line: serde_json::Value) {
    let dir = out_dir();
    fs::create_dir_all(&dir).expect("out dir");
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("results.jsonl"))
        .expect("results file");
    writeln!(f, "{line}").expect("write result");
}

/// A histogram of nanosecond values kept in picoseconds (batch means are fractional).
pub struct Hist(hdrhistogram::Histogram<u64>);

impl Default for Hist {
    fn default() -> Self {
        Hist(hdrhistogram::Histogram::new_with_bounds(1, 60_000_000_000_000, 3).expect("hist"))
    }
}

impl Hist {
    /// Records `ns` (fractional) nanoseconds.
    pub fn record_ns(&mut self, ns: f64) {
        self.0.saturating_record(((ns * 1000.0) as u64).max(1));
    }

    /// The `q` quantile, ns.
    pub fn ns(&self, q: f64) -> f64 {
        self.0.value_at_quantile(q) as f64 / 1000.0
    }

    /// Samples recorded.
    pub fn len(&self) -> u64 {
        self.0.len()
    }

    /// No samples.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Writes a `pctl` result line and prints it.
    pub fn report(&self, id: &str, unit: &str) {
        println!(
            "PCTL {id:<44} p50 {:>9.2} ns  p99 {:>9.2}  p99.9 {:>9.2}  (n={}, {unit})",
            self.ns(0.5),
            self.ns(0.99),
            self.ns(0.999),
            self.len()
        );
        record(serde_json::json!({
            "kind": "pctl", "id": id, "unit": unit,
            "p50_ns": self.ns(0.5), "p90_ns": self.ns(0.9), "p99_ns": self.ns(0.99),
            "p999_ns": self.ns(0.999), "n": self.len(),
        }));
    }
}

/// True under `cargo bench` proper, false under `cargo test --benches` or `-- --test`
/// (the smoke run).
pub fn full_run() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test")
}
