//! legcore against its peers, side by side in one run, on one real book (issue 6).
//!
//! Every group has one line per peer (`BenchmarkId::new(peer, param)`), all fed the same
//! Binance USD-M BTCUSDT snapshot and replayed diffs, converted to each peer's types at
//! setup (see `legcore_peers::Data`):
//! - `book_update/existing_top20`: one existing level among the best 20 of a side gets a
//!   new size (taken from the real diffs). legcore's `Ladder::set_level` (validated,
//!   crossing checked, best tracked) vs hftbacktest's ROIVector, HashMap and BTree market
//!   depths vs nautilus-model's `OrderBook` (L2_MBP) `update`.
//! - `book_update/replay`: the first diffs after the snapshot, applied from the snapshot
//!   state (inserts, deletes, levels beyond the window); legcore applies each message as
//!   one validated transaction, the peers level by level. Time is per whole window; the
//!   result lines say how many level changes that is.
//! - `book_walk/<levels>`: a buy for the quantity that takes exactly the best 1, 20 or 200
//!   asks. legcore's `walk_qty` plus `Metrics::compute` (the full pre-flight report; the
//!   bare walk is a second line) vs nautilus-model's `get_avg_px_for_quantity` and
//!   `get_worst_px_for_quantity` vs our walk loop over hftbacktest's ROIVector depth
//!   (hftbacktest has no walk API; the row is its structure with our loop).
//! - `floor`, `spsc_rtt`, `spsc_throughput`: two pinned threads (cores 0 and 1): a cache
//!   line ping-ponged (the reference row), then legcore's ring vs rtrb vs ringbuf vs
//!   crossbeam `ArrayQueue` vs a bounded crossbeam channel (`try_send`/`try_recv`).
//!   Capacity 1024, `u64` payloads; `spsc_throughput/*/u64_batch64` streams slices of 64
//!   (legcore's `push_slice`/`pop_slice` vs rtrb's chunks). The VM moves its vCPUs
//!   between hosts' cores, so the percentile pass interleaves all queues round by round
//!   (as `benches/ring.rs` does).
//!
//! Besides criterion's estimates, each line gets a percentile pass (hdrhistogram) and an
//! allocation count (the counting global allocator), written as JSON lines for
//! `benches/peers/perf_md.py`. Python's NautilusTrader is timed by a side process
//! (`python/nautilus_book.py`) on the inputs this bench writes to `inputs.json`.

#[path = "peers/adapters.rs"]
mod adapters;

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, OnceLock};
use std::time::{Duration, Instant};

use adapters::{
    h_apply, h_btree, h_change, h_diffs, h_hash, h_replay, h_roi, h_walk, legcore_replay, n_diffs,
    n_order, n_replay, nautilus_book,
};
use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, BenchmarkId, Criterion, Throughput};
use crossbeam_utils::CachePadded;
use legcore::book::{Ladder, OrderSide, Side};
use legcore::runtime::ring;
use legcore::walk::{walk_qty, Metrics, Thresholds};
use legcore_peers::{count_allocs, full_run, record, Counting, Data, Hist};
use nautilus_model::data::BookOrder;
use nautilus_model::enums::OrderSide as NSide;
use nautilus_model::orderbook::OrderBook;
use nautilus_model::types::Quantity;
use serde_json::json;

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Diffs kept for the replay (the window replayed is the first `REPLAY_DIFFS`).
const REPLAY_DIFFS: usize = 200;
/// Pre-made ops per update bench (a power of two, indexed by a wrapping counter).
const OPS: usize = 4096;
/// Operations per allocation count.
const ALLOC_OPS: u64 = 10_000;
/// Ring capacity.
const CAP: usize = 1024;

fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| Data::load(REPLAY_DIFFS))
}

/// Records how many operations one criterion iteration of `id` performs.
fn meta(id: &str, ops_per_iter: u64) {
    record(json!({"kind": "meta", "id": id, "ops_per_iter": ops_per_iter}));
}

fn allocs(id: &str, per_op: f64) {
    println!("ALLOC {id:<44} {per_op:.3} allocations/op");
    record(json!({"kind": "alloc", "id": id, "per_op": per_op}));
}

thread_local! {
    /// The name of the group being run (criterion does not expose it).
    static GROUP_NAME: std::cell::Cell<&'static str> = const { std::cell::Cell::new("") };
}

fn group<'a>(c: &'a mut Criterion, name: &'static str) -> BenchmarkGroup<'a, WallTime> {
    GROUP_NAME.with(|n| n.set(name));
    c.benchmark_group(name)
}

/// One line of a per-operation group: criterion, a percentile pass (means of batches of
/// 100 operations) and an allocation count. `op(i)` performs operation number `i`.
fn per_op(g: &mut BenchmarkGroup<WallTime>, peer: &str, param: &str, mut op: impl FnMut(u64)) {
    let id = format!("{}/{peer}/{param}", GROUP_NAME.with(|n| n.get()));
    let mut i = 0u64;
    g.bench_function(BenchmarkId::new(peer, param), |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            op(i)
        })
    });
    meta(&id, 1);
    let mut h = Hist::default();
    let samples = if full_run() { 20_000 } else { 10 };
    for _ in 0..samples {
        let t = Instant::now();
        for _ in 0..100 {
            i = i.wrapping_add(1);
            op(i);
        }
        h.record_ns(t.elapsed().as_nanos() as f64 / 100.0);
    }
    h.report(&id, "means of 100-op batches");
    let a = count_allocs(ALLOC_OPS, || {
        for _ in 0..ALLOC_OPS {
            i = i.wrapping_add(1);
            op(i);
        }
    });
    allocs(&id, a);
}

fn book_update(c: &mut Criterion) {
    let d = data();
    let ops = d.existing_updates(20, OPS);
    let mask = OPS as u64 - 1;
    let mut g = group(c, "book_update");
    let p = "existing_top20";

    let mut l = d.ladder();
    per_op(&mut g, "legcore", p, |i| {
        let o = &ops[(i & mask) as usize];
        let r = l.set_level(o.side, o.price_ticks, black_box(o.qty_lots), i);
        r.expect("existing level");
    });

    let hops: Vec<_> = ops.iter().map(|o| h_change(d, o)).collect();
    let mut m = h_roi(d);
    per_op(&mut g, "hftbacktest_roivector", p, |i| {
        h_apply(&mut m, &hops[(i & mask) as usize], i as i64)
    });
    let mut m = h_hash(d);
    per_op(&mut g, "hftbacktest_hashmap", p, |i| {
        h_apply(&mut m, &hops[(i & mask) as usize], i as i64)
    });
    let mut m = h_btree(d);
    per_op(&mut g, "hftbacktest_btree", p, |i| {
        h_apply(&mut m, &hops[(i & mask) as usize], i as i64)
    });

    let nops: Vec<BookOrder> = ops.iter().map(|o| n_order(d, o)).collect();
    let mut b = nautilus_book(d);
    per_op(&mut g, "nautilus_model", p, |i| {
        let o = black_box(nops[(i & mask) as usize]);
        b.update(o, 0, i, Default::default());
    });

    replay(&mut g, d);
    g.finish();
}

/// `book_update/replay`: the diff window from the snapshot state; state is rebuilt
/// (untimed) before every pass.
fn replay(g: &mut BenchmarkGroup<WallTime>, d: &Data) {
    let changes: u64 = d.diffs.iter().map(|x| x.changes.len() as u64).sum();
    println!(
        "replay window: {} diffs, {changes} level changes",
        d.diffs.len()
    );
    let p = "replay";
    let hd = h_diffs(d);
    let nd = n_diffs(d);
    let legcore = |l: &mut Ladder| legcore_replay(d, l);
    replay_line(g, "legcore", p, changes, || d.ladder(), legcore);
    let roi = |m: &mut _| h_replay(&hd, m);
    replay_line(g, "hftbacktest_roivector", p, changes, || h_roi(d), roi);
    let hash = |m: &mut _| h_replay(&hd, m);
    replay_line(g, "hftbacktest_hashmap", p, changes, || h_hash(d), hash);
    let btree = |m: &mut _| h_replay(&hd, m);
    replay_line(g, "hftbacktest_btree", p, changes, || h_btree(d), btree);
    let nautilus = |b: &mut OrderBook| n_replay(d, &nd, b);
    replay_line(
        g,
        "nautilus_model",
        p,
        changes,
        || nautilus_book(d),
        nautilus,
    );
}

fn replay_line<S>(
    g: &mut BenchmarkGroup<WallTime>,
    peer: &str,
    param: &str,
    changes: u64,
    setup: impl Fn() -> S,
    run: impl Fn(&mut S),
) {
    let id = format!("book_update/{peer}/{param}");
    g.bench_function(BenchmarkId::new(peer, param), |b| {
        b.iter_batched_ref(&setup, &run, BatchSize::PerIteration)
    });
    meta(&id, changes);
    let mut h = Hist::default();
    for _ in 0..if full_run() { 200 } else { 2 } {
        let mut s = setup();
        let t = Instant::now();
        run(&mut s);
        h.record_ns(t.elapsed().as_nanos() as f64 / changes as f64);
    }
    h.report(&id, "means over whole replays, per level change");
    let mut s = setup();
    allocs(&id, count_allocs(changes, || run(&mut s)));
}

fn book_walk(c: &mut Criterion) {
    let d = data();
    let l = d.ladder();
    let nb = nautilus_book(d);
    let hm = h_roi(d);
    let th = Thresholds::default();
    let (bid, ask) = (d.bids[0].price_ticks, d.asks[0].price_ticks);
    let mut g = group(c, "book_walk");
    for levels in [1usize, 20, 200] {
        let lots = d.qty_for_levels(levels);
        let p = levels.to_string();
        // The answers agree before anything is timed.
        let w = walk_qty(&l, OrderSide::Buy, lots).expect("walk");
        assert_eq!(w.levels_used as usize, levels);
        let nq = Quantity::new(lots as f64 * d.lot_f64(), d.lot.dp());
        let worst = nb.get_worst_px_for_quantity(nq, NSide::Buy).expect("worst");
        let lw = w.worst_ticks as f64 * d.tick_f64();
        assert!((worst.as_f64() - lw).abs() < 1e-6, "{worst} vs {lw}");
        let hq = lots as f64 * d.lot_f64();
        let (_, hw, _) = h_walk(&hm, hq, d.tick_f64(), d.lot_f64());
        assert!((hw - worst.as_f64()).abs() < 1e-6, "{hw} vs {worst}");

        per_op(&mut g, "legcore", &p, |_| {
            let w = walk_qty(black_box(&l), OrderSide::Buy, black_box(lots)).expect("walk");
            black_box(Metrics::compute(&w, bid, ask, &th));
        });
        per_op(&mut g, "legcore_walk_only", &p, |_| {
            black_box(walk_qty(black_box(&l), OrderSide::Buy, black_box(lots)).ok());
        });
        per_op(&mut g, "nautilus_model_avg_px", &p, |_| {
            black_box(black_box(&nb).get_avg_px_for_quantity(black_box(nq), NSide::Buy));
        });
        per_op(&mut g, "nautilus_model_worst_px", &p, |_| {
            black_box(black_box(&nb).get_worst_px_for_quantity(black_box(nq), NSide::Buy));
        });
        per_op(&mut g, "hftbacktest_roivector_our_loop", &p, |_| {
            black_box(h_walk(
                black_box(&hm),
                black_box(hq),
                d.tick_f64(),
                d.lot_f64(),
            ));
        });
    }
    g.finish();
}

/// One SPSC queue kind under test.
trait Spsc {
    const NAME: &'static str;
    type P: Send + 'static;
    type C: Send + 'static;
    fn make() -> (Self::P, Self::C);
    fn push(p: &mut Self::P, v: u64) -> bool;
    fn pop(c: &mut Self::C) -> Option<u64>;
}

struct Legcore;
impl Spsc for Legcore {
    const NAME: &'static str = "legcore";
    type P = ring::Producer<u64>;
    type C = ring::Consumer<u64>;
    fn make() -> (Self::P, Self::C) {
        ring::ring(CAP)
    }
    fn push(p: &mut Self::P, v: u64) -> bool {
        p.push(v).is_ok()
    }
    fn pop(c: &mut Self::C) -> Option<u64> {
        c.pop()
    }
}

struct Rtrb;
impl Spsc for Rtrb {
    const NAME: &'static str = "rtrb";
    type P = rtrb::Producer<u64>;
    type C = rtrb::Consumer<u64>;
    fn make() -> (Self::P, Self::C) {
        rtrb::RingBuffer::new(CAP)
    }
    fn push(p: &mut Self::P, v: u64) -> bool {
        p.push(v).is_ok()
    }
    fn pop(c: &mut Self::C) -> Option<u64> {
        c.pop().ok()
    }
}

struct Ringbuf;
impl Spsc for Ringbuf {
    const NAME: &'static str = "ringbuf";
    type P = ringbuf::HeapProd<u64>;
    type C = ringbuf::HeapCons<u64>;
    fn make() -> (Self::P, Self::C) {
        use ringbuf::traits::Split;
        ringbuf::HeapRb::<u64>::new(CAP).split()
    }
    fn push(p: &mut Self::P, v: u64) -> bool {
        use ringbuf::traits::Producer;
        p.try_push(v).is_ok()
    }
    fn pop(c: &mut Self::C) -> Option<u64> {
        use ringbuf::traits::Consumer;
        c.try_pop()
    }
}

struct ArrayQueue;
impl Spsc for ArrayQueue {
    const NAME: &'static str = "crossbeam_arrayqueue";
    type P = Arc<crossbeam_queue::ArrayQueue<u64>>;
    type C = Arc<crossbeam_queue::ArrayQueue<u64>>;
    fn make() -> (Self::P, Self::C) {
        let q = Arc::new(crossbeam_queue::ArrayQueue::new(CAP));
        (q.clone(), q)
    }
    fn push(p: &mut Self::P, v: u64) -> bool {
        p.push(v).is_ok()
    }
    fn pop(c: &mut Self::C) -> Option<u64> {
        c.pop()
    }
}

struct Channel;
impl Spsc for Channel {
    const NAME: &'static str = "crossbeam_channel";
    type P = crossbeam_channel::Sender<u64>;
    type C = crossbeam_channel::Receiver<u64>;
    fn make() -> (Self::P, Self::C) {
        crossbeam_channel::bounded(CAP)
    }
    fn push(p: &mut Self::P, v: u64) -> bool {
        p.try_send(v).is_ok()
    }
    fn pop(c: &mut Self::C) -> Option<u64> {
        c.try_recv().ok()
    }
}

/// The cores this process may use, read once before any thread is pinned: a pinned
/// thread (and every thread it spawns) sees only its own core.
fn cores() -> &'static [core_affinity::CoreId] {
    static CORES: OnceLock<Vec<core_affinity::CoreId>> = OnceLock::new();
    CORES.get_or_init(|| core_affinity::get_core_ids().unwrap_or_default())
}

fn pin(core: usize) -> bool {
    cores()
        .get(core)
        .is_some_and(|&id| core_affinity::set_for_current(id))
}

fn send<Q: Spsc>(p: &mut Q::P, v: u64) {
    while !Q::push(p, v) {
        std::hint::spin_loop();
    }
}

fn recv<Q: Spsc>(c: &mut Q::C) -> u64 {
    loop {
        if let Some(v) = Q::pop(c) {
            return v;
        }
        std::hint::spin_loop();
    }
}

/// An echo thread on core 1: pops from one queue, pushes back on the other, until the
/// value `u64::MAX` arrives.
struct Echo<Q: Spsc> {
    to: Q::P,
    back: Q::C,
    thread: std::thread::JoinHandle<()>,
}

impl<Q: Spsc> Echo<Q> {
    fn start() -> Echo<Q> {
        let (to, mut to_c) = Q::make();
        let (mut back_p, back) = Q::make();
        let thread = std::thread::spawn(move || {
            pin(1);
            loop {
                let v = recv::<Q>(&mut to_c);
                send::<Q>(&mut back_p, v);
                if v == u64::MAX {
                    return;
                }
            }
        });
        Echo { to, back, thread }
    }

    fn trip(&mut self, v: u64) -> u64 {
        send::<Q>(&mut self.to, v);
        recv::<Q>(&mut self.back)
    }

    fn stop(mut self) {
        self.trip(u64::MAX);
        self.thread.join().expect("echo thread");
    }
}

fn rtt<Q: Spsc>(g: &mut BenchmarkGroup<WallTime>) {
    let mut e = Echo::<Q>::start();
    g.bench_function(BenchmarkId::new(Q::NAME, "u64"), |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for i in 0..iters {
                black_box(e.trip(i));
            }
            start.elapsed()
        })
    });
    let id = format!("spsc_rtt/{}/u64", Q::NAME);
    meta(&id, 1);
    allocs(
        &id,
        count_allocs(ALLOC_OPS, || {
            for i in 0..ALLOC_OPS {
                black_box(e.trip(i));
            }
        }),
    );
    e.stop();
}

/// Values per `spsc_throughput` stream.
const STREAM: u64 = 100_000;

/// `STREAM` values `0..STREAM` streamed core 0 → core 1: `send_all` pushes them, the
/// pinned consumer's `recv_all` returns their sum, checked.
fn stream<Q: Spsc>(
    g: &mut BenchmarkGroup<WallTime>,
    param: &str,
    send_all: fn(&mut Q::P),
    recv_all: fn(&mut Q::C) -> u64,
) {
    g.bench_function(BenchmarkId::new(Q::NAME, param), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let (mut p, mut c) = Q::make();
                // The consumer inherits this thread's core (0) until it pins itself, and
                // so may not run until the producer is preempted, milliseconds later:
                // the clock starts once it is on core 1.
                let pinned = Arc::new(Barrier::new(2));
                let on_core_1 = pinned.clone();
                let t = std::thread::spawn(move || {
                    pin(1);
                    on_core_1.wait();
                    recv_all(&mut c)
                });
                pinned.wait();
                let start = Instant::now();
                send_all(&mut p);
                let sum = t.join().expect("consumer");
                total += start.elapsed();
                assert_eq!(sum, STREAM * (STREAM - 1) / 2);
            }
            total
        })
    });
    meta(&format!("spsc_throughput/{}/{param}", Q::NAME), STREAM);
}

fn throughput<Q: Spsc>(g: &mut BenchmarkGroup<WallTime>) {
    stream::<Q>(
        g,
        "u64",
        |p| (0..STREAM).for_each(|i| send::<Q>(p, i)),
        |c| (0..STREAM).fold(0, |s, _| s.wrapping_add(recv::<Q>(c))),
    );
}

/// A queue with a slice path: push and pop of up to `BATCH` values at once.
trait SpscBatch: Spsc {
    fn push_slice(p: &mut Self::P, v: &[u64]) -> usize;
    fn pop_slice(c: &mut Self::C, out: &mut [u64]) -> usize;
}

/// Values per slice in `spsc_throughput/*/u64_batch64`.
const BATCH: usize = 64;

impl SpscBatch for Legcore {
    fn push_slice(p: &mut Self::P, v: &[u64]) -> usize {
        p.push_slice(v)
    }
    fn pop_slice(c: &mut Self::C, out: &mut [u64]) -> usize {
        c.pop_slice(out)
    }
}

/// rtrb's chunk API, sized by what is free or waiting now.
impl SpscBatch for Rtrb {
    fn push_slice(p: &mut Self::P, v: &[u64]) -> usize {
        let n = p.slots().min(v.len());
        match p.write_chunk_uninit(n) {
            Ok(chunk) => chunk.fill_from_iter(v.iter().copied()),
            Err(_) => 0,
        }
    }
    fn pop_slice(c: &mut Self::C, out: &mut [u64]) -> usize {
        let n = c.slots().min(out.len());
        let Ok(chunk) = c.read_chunk(n) else { return 0 };
        let (a, b) = chunk.as_slices();
        out[..a.len()].copy_from_slice(a);
        out[a.len()..a.len() + b.len()].copy_from_slice(b);
        chunk.commit_all();
        n
    }
}

/// The stream in slices of up to `BATCH`.
fn throughput_batch<Q: SpscBatch>(g: &mut BenchmarkGroup<WallTime>) {
    stream::<Q>(
        g,
        "u64_batch64",
        |p| {
            let (mut sent, mut batch) = (0u64, [0u64; BATCH]);
            while sent < STREAM {
                let k = BATCH.min((STREAM - sent) as usize);
                for (j, v) in batch[..k].iter_mut().enumerate() {
                    *v = sent + j as u64;
                }
                sent += Q::push_slice(p, &batch[..k]) as u64;
            }
        },
        |c| {
            let (mut sum, mut got, mut out) = (0u64, 0u64, [0u64; BATCH]);
            while got < STREAM {
                let k = Q::pop_slice(c, &mut out);
                sum = out[..k].iter().fold(sum, |s, &v| s.wrapping_add(v));
                got += k as u64;
            }
            sum
        },
    );
}

/// One cache line flipped between the cores: odd from core 0, even back from core 1.
struct Floor {
    line: Arc<CachePadded<AtomicU64>>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
    next: u64,
}

impl Floor {
    fn start() -> Floor {
        let line = Arc::new(CachePadded::new(AtomicU64::new(0)));
        let stop = Arc::new(AtomicBool::new(false));
        let (l2, s2) = (line.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            pin(1);
            while !s2.load(Ordering::Relaxed) {
                let v = l2.load(Ordering::Acquire);
                if v % 2 == 1 {
                    l2.store(v + 1, Ordering::Release);
                }
                std::hint::spin_loop();
            }
        });
        Floor {
            line,
            stop,
            thread,
            next: 0,
        }
    }

    fn flip(&mut self) {
        self.next += 2;
        self.line.store(self.next - 1, Ordering::Release);
        while self.line.load(Ordering::Acquire) != self.next {
            std::hint::spin_loop();
        }
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("floor thread");
    }
}

/// `trips` single round trips of one queue, each timed (the ~20 ns of two `Instant`
/// reads included, as in the MISSION's goal), into `h`.
fn rtt_round<Q: Spsc>(trips: usize, h: &mut Hist) {
    let mut e = Echo::<Q>::start();
    for i in 0..1000 {
        e.trip(i);
    }
    for i in 0..trips {
        let t = Instant::now();
        black_box(e.trip(i as u64));
        h.record_ns(t.elapsed().as_nanos() as f64);
    }
    e.stop();
}

fn floor_round(trips: usize, h: &mut Hist) {
    let mut f = Floor::start();
    for _ in 0..1000 {
        f.flip();
    }
    for _ in 0..trips {
        let t = Instant::now();
        f.flip();
        h.record_ns(t.elapsed().as_nanos() as f64);
    }
    f.stop();
}

/// The floor and every queue measured in alternating rounds, so the VM's drifts fall on
/// all alike: the percentile lines PERF.md reports for `spsc_rtt` and `floor`.
fn interleaved() {
    let (rounds, trips) = if full_run() { (20, 20_000) } else { (1, 100) };
    let mut hs: Vec<Hist> = (0..6).map(|_| Hist::default()).collect();
    for _ in 0..rounds {
        floor_round(trips, &mut hs[0]);
        rtt_round::<Legcore>(trips, &mut hs[1]);
        rtt_round::<Rtrb>(trips, &mut hs[2]);
        rtt_round::<Ringbuf>(trips, &mut hs[3]);
        rtt_round::<ArrayQueue>(trips, &mut hs[4]);
        rtt_round::<Channel>(trips, &mut hs[5]);
    }
    let ids = [
        "floor/cache_line/rtt".to_string(),
        format!("spsc_rtt/{}/u64", Legcore::NAME),
        format!("spsc_rtt/{}/u64", Rtrb::NAME),
        format!("spsc_rtt/{}/u64", Ringbuf::NAME),
        format!("spsc_rtt/{}/u64", ArrayQueue::NAME),
        format!("spsc_rtt/{}/u64", Channel::NAME),
    ];
    for (id, h) in ids.iter().zip(&hs) {
        h.report(id, "single round trips, interleaved, timer included");
    }
}

fn rings(c: &mut Criterion) {
    println!("cores visible: {} (pinned to 0 and 1)", cores().len());
    pin(0);
    interleaved();

    let mut g = c.benchmark_group("floor");
    let mut f = Floor::start();
    g.bench_function(BenchmarkId::new("cache_line", "rtt"), |b| {
        b.iter(|| f.flip())
    });
    f.stop();
    meta("floor/cache_line/rtt", 1);
    g.finish();

    let mut g = c.benchmark_group("spsc_rtt");
    rtt::<Legcore>(&mut g);
    rtt::<Rtrb>(&mut g);
    rtt::<Ringbuf>(&mut g);
    rtt::<ArrayQueue>(&mut g);
    rtt::<Channel>(&mut g);
    g.finish();

    let mut g = c.benchmark_group("spsc_throughput");
    g.throughput(Throughput::Elements(100_000));
    throughput::<Legcore>(&mut g);
    throughput::<Rtrb>(&mut g);
    throughput::<Ringbuf>(&mut g);
    throughput::<ArrayQueue>(&mut g);
    throughput::<Channel>(&mut g);
    throughput_batch::<Legcore>(&mut g);
    throughput_batch::<Rtrb>(&mut g);
    g.finish();
}

/// The inputs the Python side process times NautilusTrader on: the same snapshot, the
/// same existing-level updates and the same walk quantities.
fn write_inputs() {
    let d = data();
    let lv = |v: &[legcore::book::Level]| -> Vec<[i64; 2]> {
        v.iter().map(|l| [l.price_ticks, l.qty_lots]).collect()
    };
    let ups: Vec<(u8, i64, i64)> = d
        .existing_updates(20, OPS)
        .iter()
        .map(|c| (u8::from(c.side == Side::Ask), c.price_ticks, c.qty_lots))
        .collect();
    let walks: Vec<(usize, i64)> = [1, 20, 200]
        .iter()
        .map(|&n| (n, d.qty_for_levels(n)))
        .collect();
    let doc = json!({
        "tick_dp": d.tick.dp(), "lot_dp": d.lot.dp(),
        "bids": lv(&d.bids), "asks": lv(&d.asks),
        "updates": ups, "walks": walks,
    });
    let dir = legcore_peers::out_dir();
    std::fs::create_dir_all(&dir).expect("out dir");
    std::fs::write(dir.join("inputs.json"), doc.to_string()).expect("inputs.json");
}

fn main() {
    let dir = legcore_peers::out_dir();
    let _ = std::fs::remove_file(dir.join("results.jsonl"));
    write_inputs();
    let secs = std::env::var("PEERS_MEASURE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs_f64(secs))
        .configure_from_args();
    pin(0);
    book_update(&mut c);
    book_walk(&mut c);
    rings(&mut c);
    c.final_summary();
}
