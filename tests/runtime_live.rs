//! The runtime live: the event loop and two gateway threads over simulated exchanges
//! in real time, against the same engine driven in virtual time (no threads) over the
//! same jobs; back-pressure on tiny rings; shutdown with everything accounted; pinning.

mod common;

use common::risk::wide_open;
use legcore::index::{BookId, JobId, LegIdx, VenueId};

use legcore::book::{Depth, Level, OrderSide};
use legcore::engine::{Engine, EngineConfig, Prepared};
use legcore::group::{Group, LegPlan, LegRisk, Outcome, Policy};
use legcore::instrument::InstrumentRules;
use legcore::leg::{Arrival, Fees, Mode};
use legcore::num::{Decimal, Ratio, Step};
use legcore::risk::{RiskState, VenueLimits};
use legcore::runtime::{outcomes, run, Config, Job, Wait};
use legcore::sim::{Drive, Still, Unobserved};
use legcore::sim::{FaultPlan, Latency, Rng};
use legcore::sim::{SimExchange, SimVenue};
use legcore::strategy::NoStrategy;
use legcore::telemetry::Stage;
use legcore::walk::Recommendation;

const JOBS: usize = 16;

/// Book `k` of a venue: depth varies with `k` so that some groups cannot fill.
fn book(rng: &mut Rng) -> SimVenue {
    let lv = |price_ticks, qty_lots| Level {
        price_ticks,
        qty_lots,
    };
    let (b, a) = (rng.below(7) as i64, rng.below(7) as i64);
    let bids: Vec<Level> = [lv(99, b), lv(98, 2)]
        .into_iter()
        .filter(|l| l.qty_lots > 0)
        .collect();
    let asks: Vec<Level> = [lv(101, a), lv(102, 2)]
        .into_iter()
        .filter(|l| l.qty_lots > 0)
        .collect();
    let mut v = SimVenue::new(8, 8);
    v.ladder_mut()
        .apply_snapshot(&bids, &asks, 1, Depth::Complete)
        .unwrap();
    v
}

/// Two venues with one book per job each, zero latency, no faults.
fn exchanges(seed: u64) -> Vec<SimExchange> {
    let mut rng = Rng::new(seed);
    (0..2)
        .map(|v| {
            let books = (0..JOBS).map(|_| book(&mut rng)).collect();
            SimExchange::new(books, Latency::Fixed { ns: 0 }, FaultPlan::NONE, v)
        })
        .collect()
}

/// Job `k`: long on venue 0 book `k`, short on venue 1 book `k`, modes and policies
/// varied by `k`.
fn jobs(seed: u64) -> Vec<Job> {
    let mut rng = Rng::new(seed ^ 0xABCD);
    let one = Step::parse("1").unwrap();
    let rules = InstrumentRules::linear(one, one);
    let top = Arrival {
        bid_ticks: 99,
        ask_ticks: 101,
        recommendation: Recommendation::UseLimit,
        expected_price_ticks: None,
    };
    (0..JOBS)
        .map(|k| {
            let mode = if rng.below(2) == 0 {
                Mode::MarketOnly
            } else {
                Mode::LimitWithFallback {
                    timeout_ns: 200_000,
                }
            };
            let policy =
                [Policy::Rollback, Policy::Rebalance, Policy::AcceptPartial][rng.below(3) as usize];
            let leg = |venue, side| LegPlan {
                venue,
                side,
                qty_lots: 4,
                lot_units: 1,
                mode,
                max_slippage_bps: Ratio::from_num(400),
                fees: Fees::default(),
            };
            Job {
                plans: vec![
                    leg(VenueId::new(0), OrderSide::Buy),
                    leg(VenueId::new(1), OrderSide::Sell),
                ],
                books: vec![BookId::new(k), BookId::new(k)],
                tops: vec![top, top],
                risk: vec![
                    LegRisk {
                        venue: VenueId::new(0),
                        rules,
                    },
                    LegRisk {
                        venue: VenueId::new(1),
                        rules,
                    },
                ],
                policy,
                after_md_lines: 0,
            }
        })
        .collect()
}

/// The same jobs, one after the other, in virtual time with no threads: the production
/// engine driven against the same simulated exchanges.
fn pure(seed: u64) -> (Vec<Option<Outcome>>, Vec<SimExchange>) {
    let jobs = jobs(seed);
    let cfg = EngineConfig {
        request_timeout_ns: Config::default().request_timeout_ns,
        silence_limit_ns: Config::default().silence_limit_ns,
        pace_budget_ns: 10 * Config::default().request_timeout_ns,
        settle_risk: false,
        job_base: 0,
        journal: false,
        jobs: jobs.len(),
        strategy_groups: 0,
    };
    let engine = Engine::new(cfg, wide_open(2), Vec::new(), NoStrategy).unwrap();
    let mut d = Drive::new(engine, exchanges(seed));
    for (j, job) in jobs.into_iter().enumerate() {
        d.add_job(Prepared::new(&cfg, job).unwrap(), &mut Unobserved)
            .unwrap();
        let running = |d: &Drive<NoStrategy>| {
            d.engine
                .group(JobId::new(j))
                .is_some_and(|g| g.outcome().is_none())
                || d.venues.iter().any(|x| x.in_flight() > 0)
        };
        while running(&d) {
            assert!(
                d.step(&mut Still, &mut Unobserved).unwrap(),
                "job {j} stuck"
            );
        }
    }
    let out = (0..JOBS)
        .map(|j| d.engine.group(JobId::new(j)).and_then(Group::outcome))
        .collect();
    (out, d.venues)
}

fn positions(x: &[SimExchange]) -> Vec<(i64, i64)> {
    (0..JOBS)
        .map(|k| {
            (
                x[0].books()[k].position_lots(),
                x[1].books()[k].position_lots(),
            )
        })
        .collect()
}

#[test]
fn a_live_run_gives_the_pure_simulations_outcomes() {
    for seed in [1, 2, 3] {
        let config = Config {
            wait: Wait::SpinThenYield { spins: 100 },
            settle_risk: false, // the pure simulation runs the groups one by one
            ..Config::default()
        };
        let report = run(&config, exchanges(seed), wide_open(2), jobs(seed)).unwrap();
        let (expected, pure_x) = pure(seed);
        assert_eq!(outcomes(&report), expected, "seed {seed}");
        assert_eq!(
            positions(&report.gateways),
            positions(&pure_x),
            "seed {seed}"
        );
        assert!(expected.contains(&Some(Outcome::Filled)), "{expected:?}");
        assert!(
            expected.iter().any(|o| *o != Some(Outcome::Filled)),
            "{expected:?}"
        );
        assert_eq!(report.unaccounted, 0);
        // Every venue fill is in the records once.
        for (j, g) in report.groups.iter().enumerate() {
            for leg in 0..2 {
                let traded = report.gateways[leg].books()[j].traded_lots();
                assert_eq!(
                    g.reported_lots(LegIdx::new(leg)),
                    Some(traded),
                    "job {j} leg {leg}"
                );
            }
        }
        for stage in [
            Stage::Decide,
            Stage::Risk,
            Stage::RingHop,
            Stage::TickToOrder,
        ] {
            assert!(!report.telemetry.histogram(stage).is_empty(), "{stage:?}");
        }
        let table = report.telemetry.table();
        assert!(table.contains("tick_to_order"), "{table}");
    }
}

#[test]
fn tiny_rings_back_pressure_and_nothing_is_dropped() {
    let config = Config {
        command_ring: 1,
        report_ring: 1,
        wait: Wait::BusySpin,
        settle_risk: false,
        ..Config::default()
    };
    let report = run(&config, exchanges(7), wide_open(2), jobs(7)).unwrap();
    let (expected, pure_x) = pure(7);
    assert_eq!(outcomes(&report), expected);
    assert_eq!(positions(&report.gateways), positions(&pure_x));
    let waited = report.command_ring_full
        + report
            .gateway_stats
            .iter()
            .map(|s| s.report_ring_full)
            .sum::<u64>();
    assert!(waited > 0, "one-slot rings must have filled");
    assert_eq!(report.unaccounted, 0);
    let sent: u64 = report.gateway_stats.iter().map(|s| s.requests).sum();
    assert!(sent >= 2 * JOBS as u64);
}

#[test]
fn the_loop_and_gateways_are_pinned_where_configured() {
    let cores = core_affinity::get_core_ids().map_or(0, |c| c.len());
    let config = Config {
        loop_core: Some(0),
        gateway_cores: vec![Some(1 % cores.max(1)), Some(1 % cores.max(1))],
        wait: Wait::Park { idle_ns: 100_000 },
        ..Config::default()
    };
    let report = run(&config, exchanges(3), wide_open(2), jobs(3)).unwrap();
    if cores == 0 {
        println!("this machine cannot report its cores: pinning not checked");
        assert_eq!(report.loop_pinned, None);
    } else {
        assert_eq!(report.loop_pinned, Some(true), "loop on core 0");
        for s in &report.gateway_stats {
            assert_eq!(s.pinned, Some(true));
        }
    }
    assert_eq!(outcomes(&report), pure(3).0);
}

/// The real Binance USD-M BTCUSDT capture replayed as fast as the loop takes it (a ring
/// large enough that nothing is dropped) into the loop's book and the venue's book; a
/// group triggered mid-replay decides on the live top.
#[test]
fn a_replayed_real_feed_drives_the_books_and_a_triggered_group() {
    replayed_real_feed(false);
}

#[test]
fn a_loop_reading_its_feed_itself_gives_the_same_books_and_group() {
    replayed_real_feed(true);
}

/// The capture through the runtime (fed by the feeder thread, or read by the loop
/// itself) against the single-threaded replay, with one group triggered by its lines.
fn replayed_real_feed(md_in_loop: bool) {
    use legcore::feed::binance::{Market, Replay, ReplayConfig};
    use legcore::runtime::{run_with_feeds, Feed, Format, Speed, Tape};
    use std::sync::Arc;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/market/binance/usdm_btcusdt_20240808.raw.gz"
    );
    let (tick, lot) = (Step::parse("0.1").unwrap(), Step::parse("0.001").unwrap());
    let tape = Arc::new(Tape::from_gz_file(path).unwrap());
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
    // Venue 0's book 0 is the fed BTCUSDT book; venue 1 has a static book.
    let fed = SimVenue::new(16_384, 4_096);
    let x0 = SimExchange::new(vec![fed], Latency::Fixed { ns: 0 }, FaultPlan::NONE, 0);
    let mut rng = Rng::new(5);
    let x1 = SimExchange::new(
        vec![book(&mut rng)],
        Latency::Fixed { ns: 0 },
        FaultPlan::NONE,
        1,
    );
    let rules = InstrumentRules::linear(tick, lot);
    let one = Step::parse("1").unwrap();
    let static_rules = InstrumentRules::linear(one, one);
    let placeholder = Arrival {
        bid_ticks: 99,
        ask_ticks: 101,
        recommendation: Recommendation::UseMarketAcceptable,
        expected_price_ticks: None,
    };
    let leg = |venue, side, qty_lots| LegPlan {
        venue,
        side,
        qty_lots,
        lot_units: 1,
        mode: Mode::MarketOnly,
        max_slippage_bps: Ratio::from_num(50),
        fees: Fees::default(),
    };
    let job = Job {
        // 0.005 BTC on the real book; 1 lot on the static one (units differ: this is a
        // runtime test, not a hedge).
        plans: vec![
            leg(VenueId::new(0), OrderSide::Buy, 5),
            leg(VenueId::new(1), OrderSide::Sell, 5),
        ],
        books: vec![BookId::new(0), BookId::new(0)],
        tops: vec![placeholder, placeholder],
        risk: vec![
            LegRisk {
                venue: VenueId::new(0),
                rules,
            },
            LegRisk {
                venue: VenueId::new(1),
                rules: static_rules,
            },
        ],
        policy: Policy::AcceptPartial,
        after_md_lines: 3_000,
    };
    // Due at line 49 400, where the capture's book has run out of its snapshot's window
    // (no bid left: a side past the REST snapshot's 1000 levels is unknown).
    let late = Job {
        after_md_lines: 49_400,
        ..job.clone()
    };
    let mut r = wide_open(2);
    let mut limits_risk = RiskState::new(Decimal::from_i64(10_000_000));
    for _ in 0..2 {
        let limits = VenueLimits {
            max_order_notional: Decimal::from_i64(1_000_000),
            collar_bps: Ratio::from_num(1_000),
            max_open_orders: 64,
            msgs_per_sec: 1_000_000_000,
            burst: 10_000,
        };
        limits_risk.add_venue(limits, 0).unwrap();
    }
    std::mem::swap(&mut r, &mut limits_risk);
    let config = Config {
        wait: Wait::SpinThenYield { spins: 100 },
        md_speed: Speed::Max,
        md_in_loop,
        ..Config::default()
    };
    let jobs = vec![job, late];
    let report = run_with_feeds(&config, vec![x0, x1], r, vec![feed], jobs).unwrap();
    // The reference: the same capture through the single-threaded replay.
    let mut reference = Replay::new(ReplayConfig {
        market: Market::Futures,
        tick,
        lot,
        levels_per_side: 16_384,
        max_update_levels: 4_096,
        arena_bytes: 1 << 20,
        max_buffered: 64,
        snapshot_depth: legcore::book::Depth::Partial,
    });
    reference.run_gz_file(path).unwrap();
    let (book, live) = &report.books[0];
    let f = report.feeder;
    let fed = if md_in_loop { 0 } else { tape.len() as u64 };
    assert_eq!(
        (f.pushed, f.dropped),
        (fed, 0),
        "the feeder thread fed it, or none ran"
    );
    assert_eq!(report.md_lines, tape.len() as u64);
    assert!(live, "every line arrived: the book is in sync");
    assert_eq!(book.seq(), reference.ladder().seq());
    assert_eq!(book.best_bid(), reference.ladder().best_bid());
    assert_eq!(book.best_ask(), reference.ladder().best_ask());
    let venue_book = report.gateways[0].books()[0].ladder();
    assert_eq!(
        venue_book.seq(),
        reference.ladder().seq(),
        "the venue followed"
    );
    // The group started on the live book: its long bought at about 61 800 (ticks of 0.1).
    let g = &report.groups[0];
    let rec = g.leg_record(LegIdx::new(0)).unwrap();
    let avg = rec
        .avg_price_ticks
        .expect("the long filled")
        .to_num::<f64>();
    assert!((600_000.0..640_000.0).contains(&avg), "{avg}");
    // The late job was refused, not priced on its placeholder top.
    let stale = legcore::group::GroupError::StaleBook {
        leg: LegIdx::new(0),
    };
    assert_eq!(report.refused_at_start[1], Some(stale));
    assert_eq!(
        report.groups[1]
            .leg_record(LegIdx::new(0))
            .unwrap()
            .filled_lots,
        0
    );
    for stage in [Stage::BookApply, Stage::MdQueue, Stage::TickToOrder] {
        assert!(!report.telemetry.histogram(stage).is_empty(), "{stage:?}");
    }
}
