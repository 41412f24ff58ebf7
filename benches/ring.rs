//! Ring benches between two pinned threads: legcore's SPSC ring against rtrb and
//! crossbeam's `ArrayQueue`, in the same run, with the core-to-core floor (one cache
//! line ping-ponged between the two cores) as the reference row.
//!
//! - `spsc_rtt/<ring>`: a value goes to the other thread on one ring and comes back on a
//!   second; criterion's `iter_custom` times `iters` round trips.
//! - `spsc_throughput/<ring>`: 100 000 values streamed from one thread to the other.
//! - `floor/cache_line_rtt`: one `AtomicU64` flipped between the cores: the least a
//!   round trip between these two cores can cost.
//!
//! The percentile pass records the mean of each batch of 100 round trips (see
//! `common`). Goals (MISSION): ring round trip p50 ≤ 130 ns, p99 ≤ 200 ns.

mod common;

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use crossbeam_queue::ArrayQueue;
use crossbeam_utils::CachePadded;
use legcore::runtime::ring;

const CAP: usize = 1024;

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

struct Crossbeam;
impl Spsc for Crossbeam {
    const NAME: &'static str = "crossbeam_arrayqueue";
    type P = Arc<ArrayQueue<u64>>;
    type C = Arc<ArrayQueue<u64>>;
    fn make() -> (Self::P, Self::C) {
        let q = Arc::new(ArrayQueue::new(CAP));
        (q.clone(), q)
    }
    fn push(p: &mut Self::P, v: u64) -> bool {
        p.push(v).is_ok()
    }
    fn pop(c: &mut Self::C) -> Option<u64> {
        c.pop()
    }
}

/// The cores this process may use, read once before any thread is pinned: a pinned
/// thread (and every thread it spawns) sees only its own core.
fn cores() -> &'static [core_affinity::CoreId] {
    static CORES: std::sync::OnceLock<Vec<core_affinity::CoreId>> = std::sync::OnceLock::new();
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

/// An echo thread on core 1: pops from one ring, pushes back on the other, until the
/// value `u64::MAX` arrives.
fn echo<Q: Spsc>() -> (Q::P, Q::C, std::thread::JoinHandle<()>) {
    let (to_p, mut to_c) = Q::make();
    let (mut back_p, back_c) = Q::make();
    let t = std::thread::spawn(move || {
        pin(1);
        loop {
            let v = recv::<Q>(&mut to_c);
            send::<Q>(&mut back_p, v);
            if v == u64::MAX {
                return;
            }
        }
    });
    (to_p, back_c, t)
}

fn rtt<Q: Spsc>(c: &mut Criterion) {
    pin(0);
    let (mut p, mut back, t) = echo::<Q>();
    let mut g = c.benchmark_group("spsc_rtt");
    g.bench_function(BenchmarkId::from_parameter(Q::NAME), |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for i in 0..iters {
                send::<Q>(&mut p, i);
                black_box(recv::<Q>(&mut back));
            }
            start.elapsed()
        })
    });
    g.finish();
    let mut one = || {
        send::<Q>(&mut p, 1);
        black_box(recv::<Q>(&mut back));
    };
    common::percentiles(&format!("spsc_rtt/{}", Q::NAME), 100, &mut one);
    send::<Q>(&mut p, u64::MAX);
    recv::<Q>(&mut back);
    t.join().expect("echo thread");
}

fn throughput<Q: Spsc>(c: &mut Criterion) {
    const N: u64 = 100_000;
    pin(0);
    let mut g = c.benchmark_group("spsc_throughput");
    g.throughput(Throughput::Elements(N));
    g.bench_function(BenchmarkId::from_parameter(Q::NAME), |b| {
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
                    let mut sum = 0u64;
                    for _ in 0..N {
                        sum = sum.wrapping_add(recv::<Q>(&mut c));
                    }
                    sum
                });
                pinned.wait();
                let start = Instant::now();
                for i in 0..N {
                    send::<Q>(&mut p, i);
                }
                let sum = t.join().expect("consumer");
                total += start.elapsed();
                assert_eq!(sum, N * (N - 1) / 2);
            }
            total
        })
    });
    g.finish();
}

/// One cache line flipped between the cores: odd from core 0, even back from core 1.
fn floor(c: &mut Criterion) {
    pin(0);
    let line = Arc::new(CachePadded::new(AtomicU64::new(0)));
    let stop = Arc::new(AtomicBool::new(false));
    let (l2, s2) = (line.clone(), stop.clone());
    let t = std::thread::spawn(move || {
        pin(1);
        while !s2.load(Ordering::Relaxed) {
            let v = l2.load(Ordering::Acquire);
            if v % 2 == 1 {
                l2.store(v + 1, Ordering::Release);
            }
            std::hint::spin_loop();
        }
    });
    let mut next = 0u64;
    let mut flip = || {
        next += 2;
        line.store(next - 1, Ordering::Release);
        while line.load(Ordering::Acquire) != next {
            std::hint::spin_loop();
        }
    };
    c.bench_function("floor/cache_line_rtt", |b| b.iter(&mut flip));
    common::percentiles("floor/cache_line_rtt", 100, &mut flip);
    stop.store(true, Ordering::Relaxed);
    t.join().expect("floor thread");
}

/// Round trips of one kind for `batches` batches of 100, into `h` (per-trip mean of
/// each batch, in ps).
fn rtt_round<Q: Spsc>(batches: usize, h: &mut hdrhistogram::Histogram<u64>) {
    let (mut p, mut back, t) = echo::<Q>();
    for _ in 0..batches {
        let start = Instant::now();
        for i in 0..100 {
            send::<Q>(&mut p, i);
            black_box(recv::<Q>(&mut back));
        }
        let ps = start.elapsed().as_nanos() as u64 * 10;
        h.saturating_record(ps.max(1));
    }
    send::<Q>(&mut p, u64::MAX);
    recv::<Q>(&mut back);
    t.join().expect("echo thread");
}

/// The three rings measured in alternating rounds, so that the VM's drifts (the two
/// vCPUs' placement changes from minute to minute) fall on all of them alike; one
/// percentile line each. This is the comparison PERF.md reports.
fn interleaved() {
    pin(0);
    let new = || hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3);
    let mut hs: Vec<_> = (0..3).map(|_| new().expect("histogram")).collect();
    let (rounds, batches) = if std::env::args().any(|a| a == "--bench") {
        (30, 1_000)
    } else {
        (1, 10)
    };
    for _ in 0..rounds {
        rtt_round::<Legcore>(batches, &mut hs[0]);
        rtt_round::<Rtrb>(batches, &mut hs[1]);
        rtt_round::<Crossbeam>(batches, &mut hs[2]);
    }
    for (name, h) in [Legcore::NAME, Rtrb::NAME, Crossbeam::NAME].iter().zip(&hs) {
        let ns = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "PCTL spsc_rtt_interleaved/{:<22} p50 {:>8.1} ns  p90 {:>8.1}  p99 {:>8.1}  \
             p99.9 {:>8.1}  (n={})",
            name,
            ns(0.5),
            ns(0.9),
            ns(0.99),
            ns(0.999),
            h.len()
        );
    }
}

fn benches(c: &mut Criterion) {
    let n = cores().len();
    println!("cores visible: {n} (threads pinned to 0 and 1 when there are two)");
    floor(c);
    interleaved();
    rtt::<Legcore>(c);
    rtt::<Rtrb>(c);
    rtt::<Crossbeam>(c);
    throughput::<Legcore>(c);
    throughput::<Rtrb>(c);
    throughput::<Crossbeam>(c);
}

criterion_group!(ring_benches, benches);
criterion_main!(ring_benches);
