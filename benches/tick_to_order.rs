//! Tick to order on the replayed real feed: the Binance USD-M BTCUSDT capture fed to the
//! loop at fixed input rates (10 k, 100 k and 1 M lines/s), groups triggered by market
//! data every 500 lines, and the runtime's own histograms read at the end.
//!
//! Tick to order runs from the line's *scheduled* time (not when it was pushed or
//! popped) to the gateway thread popping the resulting order, so a feeder or loop that
//! falls behind shows up as latency (coordinated omission corrected). One run is one
//! long sample, so this bench prints the runtime's percentile table rather than using
//! criterion's sampling; `cargo test --benches` runs a short smoke version.
//!
//! Two layouts:
//! - `two_cores` (issue 16): exactly two busy threads, as a two-core machine can judge
//!   them: the loop on core 0 reads the recorded feed from memory itself
//!   (`Config::md_in_loop`, no feeder thread) and busy-spins; one gateway thread on core
//!   1 busy-spins on its command ring. One venue holds both books (the fed one and the
//!   deep static one), so one gateway serves both legs. Beside it, the floor of the same
//!   run: a cache line ping-ponged between the same two cores (round trip).
//! - `four_threads`: a feeder thread and two gateways beside the loop, for machines with
//!   more cores (on two cores a gateway sleeps when an order arrives).

use legcore::index::{BookId, VenueId};

use std::sync::Arc;

use legcore::book::{Depth, Level, OrderSide};
use legcore::feed::Format;
use legcore::group::{LegPlan, LegRisk, Policy};
use legcore::instrument::InstrumentRules;
use legcore::leg::{Arrival, Fees, Mode};
use legcore::num::{Decimal, Ratio, Step};
use legcore::risk::{RiskState, VenueLimits};
use legcore::runtime::{run_with_feeds, Config, Feed, Job, Speed, Tape, Wait};
use legcore::sim::{FaultPlan, Latency, SimExchange, SimVenue};
use legcore::telemetry::Stage;
use legcore::walk::Recommendation;

const CAPTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/market/binance/usdm_btcusdt_20240808.raw.gz"
);

fn risk(venues: usize) -> RiskState {
    let mut r = RiskState::new(Decimal::from_i64(100_000_000));
    for _ in 0..venues {
        let limits = VenueLimits {
            max_order_notional: Decimal::from_i64(10_000_000),
            collar_bps: Ratio::from_num(1_000),
            max_open_orders: 1_000,
            msgs_per_sec: 1_000_000_000,
            burst: 1_000_000,
        };
        r.add_venue(limits, 0).unwrap();
    }
    r
}

/// One job per `every` lines: buy 0.001 BTC on the fed book, sell 1 on a deep static book
/// (on venue 1, or with `one_venue` book 1 of venue 0).
fn jobs(lines: usize, every: usize, tick: Step, lot: Step, one_venue: bool) -> Vec<Job> {
    let deep = if one_venue {
        (VenueId::new(0), BookId::new(1))
    } else {
        (VenueId::new(1), BookId::new(0))
    };
    let one = Step::parse("1").unwrap();
    let placeholder = Arrival {
        bid_ticks: 99_999,
        ask_ticks: 100_001,
        recommendation: Recommendation::UseMarketAcceptable,
        expected_price_ticks: None,
    };
    let leg = |venue, side| LegPlan {
        venue,
        side,
        qty_lots: 1,
        lot_units: 1,
        mode: Mode::MarketOnly,
        max_slippage_bps: Ratio::from_num(50),
        fees: Fees::default(),
    };
    (1..lines / every)
        .map(|k| Job {
            plans: vec![
                leg(VenueId::new(0), OrderSide::Buy),
                leg(deep.0, OrderSide::Sell),
            ],
            books: vec![BookId::new(0), deep.1],
            tops: vec![placeholder, placeholder],
            risk: vec![
                LegRisk {
                    venue: VenueId::new(0),
                    rules: InstrumentRules::linear(tick, lot),
                },
                LegRisk {
                    venue: deep.0,
                    rules: InstrumentRules::linear(one, one),
                },
            ],
            policy: Policy::AcceptPartial,
            after_md_lines: (k * every) as u64,
        })
        .collect()
}

/// The deep static book the second leg sells into: 2 bps wide, so a market sell with
/// 50 bps of slippage from the mid reaches its bid.
fn deep_book() -> SimVenue {
    let mut deep = SimVenue::new(8, 8);
    let lv = |price_ticks, qty_lots| Level {
        price_ticks,
        qty_lots,
    };
    deep.ladder_mut()
        .apply_snapshot(
            &[lv(99_999, 1_000_000)],
            &[lv(100_001, 1_000_000)],
            1,
            Depth::Complete,
        )
        .unwrap();
    deep
}

/// Threads and cores of a run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// The loop (reading the feed itself) on core 0, one gateway on core 1, both spinning.
    TwoCores,
    /// Loop on core 0; feeder and two gateways on core 1, parked when idle.
    FourThreads,
}

impl Layout {
    fn name(self) -> &'static str {
        match self {
            Layout::TwoCores => "two_cores",
            Layout::FourThreads => "four_threads",
        }
    }

    fn config(self, rate: u64) -> Config {
        let base = Config {
            loop_core: Some(0),
            wait: Wait::BusySpin,
            report_ring: 1 << 17,
            md_ring: 1 << 17,
            md_speed: Speed::Rate(rate),
            // Every job runs, also after one ends unhedged (AcceptPartial takes a leg
            // that expired): the bench counts them and measures every order.
            settle_risk: false,
            ..Config::default()
        };
        match self {
            Layout::TwoCores => Config {
                gateway_cores: vec![Some(1)],
                gateway_wait: Wait::BusySpin,
                md_in_loop: true,
                ..base
            },
            // Two cores for four threads: the gateways and the feeder share core 1 and
            // sleep when idle (yielding measured 10x worse here).
            Layout::FourThreads => Config {
                gateway_cores: vec![Some(1), Some(1)],
                gateway_wait: Wait::Park { idle_ns: 20_000 },
                ..base
            },
        }
    }
}

fn run_at(tape: &Arc<Tape>, rate: u64, layout: Layout) {
    let (tick, lot) = (Step::parse("0.1").unwrap(), Step::parse("0.001").unwrap());
    let feed = Feed {
        tape: tape.clone(),
        venue: VenueId::new(0),
        book: BookId::new(0),
        format: Format::BinanceUsdm,
        tick,
        lot,
        levels_per_side: 16_384,
        max_update_levels: 4_096,
        live: None,
    };
    let fed = SimVenue::new(16_384, 4_096);
    let one_venue = layout == Layout::TwoCores;
    let venues = if one_venue {
        vec![SimExchange::new(
            vec![fed, deep_book()],
            Latency::Fixed { ns: 0 },
            FaultPlan::NONE,
            0,
        )]
    } else {
        vec![
            SimExchange::new(vec![fed], Latency::Fixed { ns: 0 }, FaultPlan::NONE, 0),
            SimExchange::new(
                vec![deep_book()],
                Latency::Fixed { ns: 0 },
                FaultPlan::NONE,
                1,
            ),
        ]
    };
    let jobs = jobs(tape.len(), 500, tick, lot, one_venue);
    let n = jobs.len();
    let risk = risk(venues.len());
    let config = layout.config(rate);
    let report = run_with_feeds(&config, venues, risk, vec![feed], jobs).unwrap();
    let f = report.feeder;
    let name = layout.name();
    let refused = report.refused_at_start.iter().flatten().count();
    let unhedged = report
        .groups
        .iter()
        .filter(|g| g.outcome() == Some(legcore::group::Outcome::Unhedged))
        .count();
    let requests: u64 = report.gateway_stats.iter().map(|g| g.requests).sum();
    println!(
        "{name} rate {rate} lines/s: {} lines, {} dropped, {n} groups ({refused} refused at \
         start: {:?}; {unhedged} unhedged), {requests} requests, {} lines refused, loop \
         pinned {:?}",
        report.md_lines,
        f.dropped,
        report.refused_at_start.iter().flatten().next(),
        report.md_refused[0],
        report.loop_pinned
    );
    for stage in [
        Stage::TickToOrder,
        Stage::MdQueue,
        Stage::BookApply,
        Stage::Decide,
        Stage::Risk,
        Stage::RingHop,
    ] {
        let h = report.telemetry.histogram(stage);
        if h.is_empty() {
            continue;
        }
        println!(
            concat!(
                "PCTL tick_to_order/{}/{}/{:<14} p50 {:>9} ns  p90 {:>9}  p99 {:>9}  ",
                "p99.9 {:>9}  max {:>10}  (n={})"
            ),
            name,
            rate,
            stage.name(),
            h.value_at_quantile(0.5),
            h.value_at_quantile(0.9),
            h.value_at_quantile(0.99),
            h.value_at_quantile(0.999),
            h.max(),
            h.len()
        );
    }
}

/// The floor of the same run: one cache line ping-ponged between cores 0 and 1, `n`
/// round trips, each timed alone (ns, p50 / p99 / p99.9).
fn floor(n: usize) {
    use std::sync::atomic::{AtomicU64, Ordering};
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let (Some(&c0), Some(&c1)) = (cores.first(), cores.get(1)) else {
        println!("floor: fewer than two cores");
        return;
    };
    let line = Arc::new(AtomicU64::new(0));
    let echo = line.clone();
    let total = n as u64 + 1_000;
    let t = std::thread::spawn(move || {
        core_affinity::set_for_current(c1);
        for i in 1..=total {
            while echo.load(Ordering::Acquire) != 2 * i - 1 {
                std::hint::spin_loop();
            }
            echo.store(2 * i, Ordering::Release);
        }
    });
    let h = std::thread::spawn(move || {
        core_affinity::set_for_current(c0);
        let mut h = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 1_000_000_000, 3).unwrap();
        for i in 1..=total {
            let t0 = std::time::Instant::now();
            line.store(2 * i - 1, Ordering::Release);
            while line.load(Ordering::Acquire) != 2 * i {
                std::hint::spin_loop();
            }
            if i > 1_000 {
                h.saturating_record(t0.elapsed().as_nanos() as u64);
            }
        }
        h
    })
    .join()
    .unwrap();
    t.join().unwrap();
    println!(
        concat!(
            "PCTL tick_to_order/floor/cache_line_rtt p50 {:>9} ns  p90 {:>9}  p99 {:>9}  ",
            "p99.9 {:>9}  max {:>10}  (n={})"
        ),
        h.value_at_quantile(0.5),
        h.value_at_quantile(0.9),
        h.value_at_quantile(0.99),
        h.value_at_quantile(0.999),
        h.max(),
        h.len()
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let tape = Tape::from_gz_file(CAPTURE).expect("capture");
    println!("capture: {} lines", tape.len());
    if full {
        let short = Arc::new(tape.head(20_000));
        let tape = Arc::new(tape);
        for layout in [Layout::TwoCores, Layout::FourThreads] {
            floor(200_000);
            run_at(&short, 10_000, layout);
            run_at(&tape, 100_000, layout);
            run_at(&tape, 1_000_000, layout);
        }
        floor(200_000);
    } else {
        floor(1_000);
        let short = Arc::new(tape.head(2_000));
        run_at(&short, 100_000, Layout::TwoCores);
        run_at(&short, 100_000, Layout::FourThreads);
    }
}
