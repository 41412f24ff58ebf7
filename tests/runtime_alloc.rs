//! A warmed runtime allocates nothing per event: with a counting global allocator over
//! every thread, a run of 2N groups allocates exactly N more times than a run of N
//! groups, and those N are the strategy's boxed job messages. Everything that scales
//! with events (ring hand-offs, group decisions, risk, venue matching, telemetry) adds
//! nothing; setup (rings, threads, histograms) is the same for both runs. And the
//! default scenario's strategy run (real books, a decision after every line, groups from
//! the preallocated pool) allocates the same whether it opens 2 groups or 12.

mod common;

use common::risk::wide_open;
use legcore::index::BookId;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use legcore::book::{Depth, Level};
use legcore::group::Outcome;
use legcore::runtime::{outcomes, run, Config, Job, Wait};
use legcore::sim::{FaultPlan, Latency, SimExchange, SimVenue};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to `System` unchanged; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const MAX_JOBS: usize = 64;

fn exchanges() -> Vec<SimExchange> {
    (0..2)
        .map(|v| {
            let books = (0..MAX_JOBS)
                .map(|_| {
                    let lv = |price_ticks, qty_lots| Level {
                        price_ticks,
                        qty_lots,
                    };
                    let mut b = SimVenue::new(8, 8);
                    b.ladder_mut()
                        .apply_snapshot(&[lv(99, 10)], &[lv(101, 10)], 1, Depth::Complete)
                        .unwrap();
                    b
                })
                .collect();
            SimExchange::new(books, Latency::Fixed { ns: 0 }, FaultPlan::NONE, v)
        })
        .collect()
}

fn jobs(n: usize) -> Vec<Job> {
    (0..n)
        .map(|k| common::jobs::buy_sell(BookId::new(k)))
        .collect()
}

/// Allocations during one run of `n` jobs (inputs built before counting).
fn allocations_for(n: usize) -> u64 {
    let (x, r, j) = (exchanges(), wide_open(2), jobs(n));
    let config = Config {
        wait: Wait::SpinThenYield { spins: 100 },
        ..Config::default()
    };
    let before = ALLOCS.load(Ordering::Relaxed);
    let report = run(&config, x, r, j).unwrap();
    let after = ALLOCS.load(Ordering::Relaxed);
    assert!(outcomes(&report)
        .iter()
        .all(|o| *o == Some(Outcome::Filled)));
    drop(report);
    after - before
}

#[test]
fn events_allocate_nothing_only_job_intake_does() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let _warm = allocations_for(4);
    let small = allocations_for(MAX_JOBS / 2);
    let large = allocations_for(MAX_JOBS);
    assert_eq!(
        large - small,
        (MAX_JOBS / 2) as u64,
        "one allocation per job (its boxed message), none per event: {small} vs {large}"
    );
}

/// Serialises the tests of this file: the allocation counter is global.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Allocations during one run of the default scenario (real books, the carry strategy
/// deciding after every line, groups from the pool) limited to `cycles` open-and-close
/// cycles, and the groups it opened. Inputs (tapes, books) are built before counting.
fn strategy_run(cycles: u32) -> (u64, usize) {
    use legcore::runtime::{run_setup, Setup, Venue};
    use legcore::scenario::{Scenario, DEFAULT, DEFAULT_DIR};
    let text = DEFAULT.replace("max_cycles = 6", &format!("max_cycles = {cycles}"));
    assert!(text.contains(&format!("max_cycles = {cycles}\n")));
    let mut s = Scenario::parse(&text).unwrap();
    s.speed = "max".into();
    let b = s.build(std::path::Path::new(DEFAULT_DIR)).unwrap();
    let setup = Setup {
        gateways: b.exchanges.into_iter().map(Venue::Local).collect(),
        risk: b.risk,
        feeds: b.feeds,
        jobs: Vec::new(),
        strategy: b.strategy,
        strategy_groups: b.strategy_groups,
        recorder: None,
    };
    let before = ALLOCS.load(Ordering::Relaxed);
    let report = run_setup(&b.config, setup).unwrap();
    let after = ALLOCS.load(Ordering::Relaxed);
    let opened = report.groups.len();
    assert!(outcomes(&report).iter().all(|o| o.is_some()));
    drop(report);
    (after - before, opened)
}

#[test]
fn strategy_groups_allocate_nothing_per_group() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (few, n_few) = strategy_run(1);
    let (many, n_many) = strategy_run(6);
    assert!(n_many >= n_few + 4, "{n_few} vs {n_many} groups");
    assert_eq!(
        few, many,
        "{n_few} groups allocated {few} times, {n_many} groups {many}: the difference is per group"
    );
}
