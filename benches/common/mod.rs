//! Shared bench plumbing: criterion for means and confidence intervals, plus a
//! percentile pass recorded in an hdrhistogram (criterion reports no percentiles).
//!
//! The percentile pass times batches of `batch` calls with `Instant` (whose own cost,
//! ~20 ns, would swamp a single nanosecond-scale call) and records the per-call average of
//! each batch in picoseconds. p99 is therefore "the 99th percentile of 100-call batch
//! means": it catches cache misses, interrupts and page faults that hit a batch, and is
//! stated as such in PERF.md.

#![allow(dead_code)]

use std::hint::black_box;
use std::time::Instant;

use hdrhistogram::Histogram;

/// Samples per percentile pass: full under `cargo bench` (which passes `--bench`), a
/// smoke run under `cargo test --benches` or `cargo bench -- --test`.
fn samples() -> usize {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test") {
        20_000
    } else {
        10
    }
}

/// Round trips in a network percentile pass (each one is a real request over loopback):
/// full under `cargo bench`, a smoke run otherwise.
pub fn round_trips() -> usize {
    samples().min(5_000)
}

/// Runs `f` in batches and prints one `PCTL` line: name, p50, p90, p99, p99.9, max in ns.
pub fn percentiles<F: FnMut()>(name: &str, batch: u64, mut f: F) {
    let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000_000, 3).expect("histogram");
    for _ in 0..1000 {
        f();
    }
    for _ in 0..samples() {
        let t = Instant::now();
        for _ in 0..batch {
            f();
        }
        let ps = t.elapsed().as_nanos() as u64 * 1000 / batch;
        h.saturating_record(ps.max(1));
    }
    report(name, &h);
}

fn report(name: &str, h: &Histogram<u64>) {
    let ns = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!(
        concat!(
            "PCTL {:<40} p50 {:>9.2} ns  p90 {:>9.2}  p99 {:>9.2}  ",
            "p99.9 {:>9.2}  max {:>10.2}  (n={})"
        ),
        name,
        ns(0.5),
        ns(0.9),
        ns(0.99),
        ns(0.999),
        h.max() as f64 / 1000.0,
        h.len()
    );
}

/// Like [`percentiles`] for a routine that changes its input: `batch` inputs are made by
/// `setup` before each timed batch, so only `routine` is timed (on inputs that may be
/// cold in cache when they are large).
pub fn percentiles_batched<I, O, S, R>(name: &str, batch: usize, mut setup: S, mut routine: R)
where
    S: FnMut() -> I,
    R: FnMut(&mut I) -> O,
{
    let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000_000, 3).expect("histogram");
    let mut inputs: Vec<I> = Vec::with_capacity(batch);
    let mut outputs: Vec<O> = Vec::with_capacity(batch);
    for _ in 0..samples() {
        inputs.extend((0..batch).map(|_| setup()));
        let t = Instant::now();
        for i in inputs.iter_mut() {
            outputs.push(routine(black_box(i)));
        }
        let ps = t.elapsed().as_nanos() as u64 * 1000 / batch as u64;
        h.saturating_record(ps.max(1));
        black_box(&outputs);
        outputs.clear();
        inputs.clear();
    }
    report(name, &h);
}

/// Prints one `PCTL` line of a histogram of nanoseconds in microseconds: name, p50,
/// p90, p99, p99.9, max and the count.
pub fn print_us(name: &str, h: &Histogram<u64>) {
    let us = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "PCTL {name}  p50 {:.1} us  p90 {:.1}  p99 {:.1}  p99.9 {:.1}  max {:.1}  (n={})",
        us(0.5),
        us(0.9),
        us(0.99),
        us(0.999),
        h.max() as f64 / 1000.0,
        h.len()
    );
}
