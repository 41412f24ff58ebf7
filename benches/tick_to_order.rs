//! Tick to order on the replayed real feed: the Binance USD-M BTCUSDT capture fed to the
//! loop at fixed input rates (10 k, 100 k and 1 M lines/s), groups triggered by market
//! data every 500 lines, and the runtime's own histograms read at the end.
//!
//! Tick to order runs from the line's *scheduled* time (not when it was pushed or
//! popped) to the gateway thread popping the resulting order, so a feeder or loop that
//! falls behind shows up as latency (coordinated omission corrected). One run is one
//! long sample, so this bench prints the runtime's percentile table rather than using
//! criterion's sampling; `cargo test --benches` runs a short smoke version.

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

fn risk() -> RiskState {
    let mut r = RiskState::new(Decimal::from_i64(100_000_000));
    for _ in 0..2 {
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

/// One job per `every` lines: buy 0.001 BTC on the fed book, sell 1 on a deep static book.
fn jobs(lines: usize, every: usize, tick: Step, lot: Step) -> Vec<Job> {
    let one = Step::parse("1").unwrap();
    let placeholder = Arrival {
        bid_ticks: 99,
        ask_ticks: 101,
        recommendation: Recommendation::UseMarketAcceptable,
        expected_price_ticks: None,
    };
    let leg = |venue| LegPlan {
        venue,
        side: if venue == VenueId::new(0) {
            OrderSide::Buy
        } else {
            OrderSide::Sell
        },
        qty_lots: 1,
        lot_units: 1,
        mode: Mode::MarketOnly,
        max_slippage_bps: Ratio::from_num(50),
        fees: Fees::default(),
    };
    (1..lines / every)
        .map(|k| Job {
            plans: vec![leg(VenueId::new(0)), leg(VenueId::new(1))],
            books: vec![BookId::new(0), BookId::new(0)],
            tops: vec![placeholder, placeholder],
            risk: vec![
                LegRisk {
                    venue: VenueId::new(0),
                    rules: InstrumentRules::linear(tick, lot),
                },
                LegRisk {
                    venue: VenueId::new(1),
                    rules: InstrumentRules::linear(one, one),
                },
            ],
            policy: Policy::AcceptPartial,
            after_md_lines: (k * every) as u64,
        })
        .collect()
}

fn run_at(tape: &Arc<Tape>, rate: u64) {
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
    let x0 = SimExchange::new(
        vec![SimVenue::new(16_384, 4_096)],
        Latency::Fixed { ns: 0 },
        FaultPlan::NONE,
        0,
    );
    let mut deep = SimVenue::new(8, 8);
    let lv = |price_ticks, qty_lots| Level {
        price_ticks,
        qty_lots,
    };
    deep.ladder_mut()
        .apply_snapshot(
            &[lv(99, 1_000_000)],
            &[lv(101, 1_000_000)],
            1,
            Depth::Complete,
        )
        .unwrap();
    let x1 = SimExchange::new(vec![deep], Latency::Fixed { ns: 0 }, FaultPlan::NONE, 1);
    let config = Config {
        loop_core: Some(0),
        gateway_cores: vec![Some(1), Some(1)],
        // Two cores for four threads: the loop spins on core 0, the gateways and the
        // feeder share core 1 and sleep when idle (yielding measured 10x worse here).
        wait: Wait::BusySpin,
        gateway_wait: Wait::Park { idle_ns: 20_000 },
        report_ring: 1 << 17,
        md_ring: 1 << 17,
        md_speed: Speed::Rate(rate),
        ..Config::default()
    };
    let jobs = jobs(tape.len(), 500, tick, lot);
    let n = jobs.len();
    let report = run_with_feeds(&config, vec![x0, x1], risk(), vec![feed], jobs).unwrap();
    let f = report.feeder;
    println!(
        "rate {rate} lines/s: {} lines, {} dropped, {n} groups, loop pinned {:?}",
        f.pushed, f.dropped, report.loop_pinned
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
                "PCTL tick_to_order/{}/{:<14} p50 {:>9} ns  p90 {:>9}  p99 {:>9}  ",
                "p99.9 {:>9}  max {:>10}  (n={})"
            ),
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

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let tape = Tape::from_gz_file(CAPTURE).expect("capture");
    println!("capture: {} lines", tape.len());
    if full {
        let short = Arc::new(tape.head(20_000));
        run_at(&short, 10_000);
        let tape = Arc::new(tape);
        run_at(&tape, 100_000);
        run_at(&tape, 1_000_000);
    } else {
        run_at(&Arc::new(tape.head(2_000)), 100_000);
    }
}
