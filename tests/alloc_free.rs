//! The hot path allocates nothing after construction: a counting global allocator
//! watches ladder updates (including rollbacks and truncation), snapshots, walks, the
//! fixed-point metrics, decimal parsing of venue text, a leg order's life, the
//! pre-trade risk checks, and whole group lifecycles against the simulated venues, plain
//! and in the engine through faulty exchanges (chase, queries, duplicates, the risk
//! gate, records, driven in virtual time by `sim::drive`), the
//! runtime's ring hand-off and telemetry recording.
//!
//! One test per file: the counter is per thread, and the work runs on the test's thread.

use legcore::index::{BookId, JobId, LegIdx, VenueId};

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use arrayvec::ArrayVec;
use legcore::book::{Depth, Ladder, Level, OrderSide, Side};
use legcore::engine::{Engine, EngineConfig, Job, Prepared};
use legcore::group::LegRisk;
use legcore::group::{Group, GroupCommand, LegPlan, Outcome, Policy};
use legcore::instrument::InstrumentRules;
use legcore::leg::Command;
use legcore::leg::{Arrival, Fees, Mode};
use legcore::leg::{Fill, Liquidity, Order, OrderEvent};
use legcore::num::{Decimal, Ratio, Step};
use legcore::risk::{Request, RiskState, VenueLimits};
use legcore::sim::{route, SimVenue};
use legcore::sim::{Drive, Observer, Script, Unobserved};
use legcore::sim::{FaultPlan, Latency, SimError, SimExchange};
use legcore::strategy::NoStrategy;
use legcore::venue::Report;
use legcore::walk::Recommendation;
use legcore::walk::{depth_to_price, walk_notional, walk_qty, Metrics, Thresholds};

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards every call to `System` unchanged; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCS.with(|c| c.get())
}

#[test]
fn hot_path_allocates_nothing_after_construction() {
    // Construction may allocate.
    let (mut drive, jobs) = exchange_engine();
    let mut telemetry = legcore::telemetry::Telemetry::new();
    let (mut tx, mut rx) = legcore::runtime::ring::ring::<GroupCommand>(64);
    let mut ladder = Ladder::new(64, 16);
    let bids: Vec<Level> = (0..50)
        .map(|i| Level {
            price_ticks: 9_999 - i,
            qty_lots: 3,
        })
        .collect();
    let asks: Vec<Level> = (0..50)
        .map(|i| Level {
            price_ticks: 10_001 + i,
            qty_lots: 4,
        })
        .collect();
    let tick = Step::parse("0.1").unwrap();
    let lot = Step::parse("0.001").unwrap();
    let t = Thresholds::default();
    let texts: [&[u8]; 4] = [b"61800.20", b"0.000", b"2.909", b"61799.9"];

    let mut venues = [SimVenue::new(16, 16), SimVenue::new(16, 16)];

    let before = allocations();
    let mut sink = 0i128;
    for round in 0..2_000u64 {
        if round % 500 == 0 {
            ladder
                .apply_snapshot(&bids, &asks, round, Depth::Complete)
                .unwrap();
        }
        let k = (round % 90) as i64;
        // Valid update, insertion past capacity (truncation), and a deletion.
        let mut tx = ladder.update();
        tx.set(Side::Bid, 9_999 - k, 1 + k % 5).unwrap();
        tx.set(Side::Ask, 10_001 + 60 + k, 2).unwrap();
        tx.set(Side::Ask, 10_001 + k % 3, 0).unwrap();
        tx.commit(round + 1).unwrap();
        // A crossing update rolls back.
        let mut tx = ladder.update();
        tx.set(Side::Bid, 20_000, 1).unwrap();
        assert!(tx.commit(round + 2).is_err());
        // A bad size rolls back on drop.
        let mut tx = ladder.update();
        tx.set(Side::Ask, 10_500, 1).unwrap();
        assert!(tx.set(Side::Ask, 10_501, -1).is_err());
        drop(tx);

        let (bid, ask) = (ladder.best_bid().unwrap(), ladder.best_ask().unwrap());
        for side in [OrderSide::Buy, OrderSide::Sell] {
            let w = walk_qty(&ladder, side, 1 + (round % 40) as i64).unwrap();
            let m = Metrics::compute(&w, bid.price_ticks, ask.price_ticks, &t);
            let n = walk_notional(&ladder, side, 12_345 + i128::from(round)).unwrap();
            let m2 = Metrics::compute(&n, bid.price_ticks, ask.price_ticks, &t);
            sink += w.notional_tl + n.qty_num + i128::from(m.slippage_bps().to_bits() as i8);
            sink += i128::from(m2.liquidity_score().to_bits() as i8);
            sink += depth_to_price(&ladder, side, 10_000).0;
        }
        let text = texts[(round % 4) as usize];
        sink +=
            i128::from(tick.parse_units(text).unwrap_or(0) + lot.parse_units(text).unwrap_or(0));
        sink += i128::from(tick.parse_units(b"NaN").is_err());
    }
    // A leg's order life: sent, accepted, partial fills, cancel, late fill, status.
    for round in 0..500u64 {
        let mut o = Order::new(100).unwrap();
        o.apply(OrderEvent::Sent, round).unwrap();
        o.apply(OrderEvent::Accepted, round + 1).unwrap();
        for id in 0..5 {
            let f = Fill {
                trade_id: round * 10 + id,
                qty_lots: 10,
                price_ticks: 10_000,
                liquidity: Liquidity::Maker,
                at_ns: round,
            };
            o.apply(OrderEvent::Filled(f), round + 2).unwrap();
        }
        let over = Fill {
            trade_id: 1,
            qty_lots: 51,
            price_ticks: 10_000,
            liquidity: Liquidity::Taker,
            at_ns: round,
        };
        assert!(o.apply(OrderEvent::Filled(over), round + 2).is_err()); // overfill
        o.apply(OrderEvent::CancelRequested, round + 3).unwrap();
        o.apply(OrderEvent::CancelAcked { filled_lots: 0 }, round + 4)
            .unwrap();
        assert!(o.apply(OrderEvent::Sent, round + 5).is_err());
        sink += i128::from(o.filled_lots());
    }
    // Pre-trade risk on every order and cancel.
    let mut risk = RiskState::new(Decimal::from_i64(1_000_000));
    let limits = VenueLimits {
        max_order_notional: Decimal::from_i64(100_000),
        collar_bps: Ratio::from_num(100),
        max_open_orders: 1_000_000,
        msgs_per_sec: 1_000_000,
        burst: 1_000_000,
    };
    let venue = risk.add_venue(limits, 0).unwrap();
    for id in 0..2_000u64 {
        let req = Request::Order {
            client_id: id,
            notional: Decimal::from_i64(1_000),
            price_ticks: 10_000,
            mid_x2_ticks: Some(20_001),
            reducing: false,
        };
        risk.check(venue, req, id).unwrap();
        assert!(risk.check(venue, req, id).is_err()); // duplicate id
        risk.check(venue, Request::Cancel, id).unwrap();
        risk.on_closed(venue);
    }
    // Whole group lifecycles on two simulated venues: a rollback after one leg fails.
    for round in 0..200u64 {
        for (i, v) in venues.iter_mut().enumerate() {
            let bids = [Level {
                price_ticks: 99,
                qty_lots: 10,
            }];
            let asks = [Level {
                price_ticks: 101,
                qty_lots: 10,
            }];
            // Venue 1 has no bids: the short fails and the long is rolled back.
            let b: &[Level] = if i == 1 { &bids[..0] } else { &bids };
            v.ladder_mut()
                .apply_snapshot(b, &asks, round, Depth::Complete)
                .unwrap();
        }
        sink += i128::from(group_round(&mut venues, round) as u8);
    }
    // Group lifecycles in the engine through faulty exchanges: chase and passive legs,
    // the risk gate, queries, duplicates, reordering, fills after cancel acks, repricing
    // on moved tops, and the records.
    for (round, job) in jobs.into_iter().enumerate() {
        sink += exchange_round(&mut drive, job, round);
    }
    assert!(
        drive.venues.iter().all(|e| e.counts().total() > 50),
        "faults hit"
    );
    // Ring hand-off and telemetry recording.
    let cmd = GroupCommand {
        leg: LegIdx::new(0),
        part: 0,
        cmd: Command::Cancel { slot: 0 },
    };
    for i in 0..1_000u64 {
        for _ in 0..(i % 64) {
            tx.push(cmd).unwrap();
        }
        while let Some(c) = rx.pop() {
            sink += c.leg.index() as i128 + 1;
        }
        telemetry.record(legcore::telemetry::Stage::RingHop, i * 37);
    }
    let after = allocations();
    assert!(sink != 0);
    assert_eq!(
        after - before,
        0,
        "hot path allocated {} times",
        after - before
    );
}

/// One two-leg group (long venue 0, short venue 1) routed through the venues until done.
fn group_round(venues: &mut [SimVenue; 2], round: u64) -> Outcome {
    let p = LegPlan {
        venue: VenueId::new(0),
        side: OrderSide::Buy,
        qty_lots: 5,
        lot_units: 1,
        mode: Mode::MarketOnly,
        max_slippage_bps: Ratio::from_num(500),
        fees: Fees::default(),
    };
    let short = LegPlan {
        venue: VenueId::new(1),
        side: OrderSide::Sell,
        ..p
    };
    let mut g = Group::new(&[p, short], Policy::Rollback).unwrap();
    let top = Arrival {
        bid_ticks: 99,
        ask_ticks: 101,
        recommendation: Recommendation::UseMarketAcceptable,
        expected_price_ticks: None,
    };
    let tops = [top, top];
    let mut cmds: ArrayVec<GroupCommand, 16> = ArrayVec::new();
    g.start(&tops, 0, &mut cmds).unwrap();
    let mut now = 0;
    while g.outcome().is_none() {
        now += 100;
        let mut reports: ArrayVec<(LegIdx, Report), 256> = ArrayVec::new();
        for c in cmds.drain(..) {
            route(c, round, venues, now, &mut reports).unwrap();
        }
        for (leg, r) in reports {
            let (part, slot) = (r.order.part(), r.order.slot());
            g.on_order(leg, part, slot, r.kind.event(), &tops, now, &mut cmds)
                .unwrap();
        }
        assert!(now < 10_000);
    }
    let incident = g.incident().unwrap();
    assert!(incident.summary.contains("group flat"));
    g.outcome().unwrap()
}

fn exchange(seed: u64) -> SimExchange {
    let plan = FaultPlan {
        duplicate_ppm: 300_000,
        reorder_ppm: 300_000,
        lost_reply_ppm: 100_000,
        partial_fill_ppm: 100_000,
        fill_after_cancel_ppm: 300_000,
        spike_ppm: 100_000,
        spike_ns: 500,
        ..FaultPlan::NONE
    };
    let lat = Latency::HeavyTailed {
        base_ns: 30,
        scale_ns: 20,
    };
    SimExchange::new(vec![SimVenue::new(16, 16)], lat, plan, seed)
}

const EXCHANGE_ROUNDS: usize = 100;

/// The engine over two faulty exchanges, with one prepared job per round (construction:
/// it may allocate).
fn exchange_engine() -> (Drive<NoStrategy>, Vec<Prepared>) {
    let mut risk = RiskState::new(Decimal::from_i64(1_000_000));
    for _ in 0..2 {
        let limits = VenueLimits {
            max_order_notional: Decimal::from_i64(100_000),
            collar_bps: Ratio::from_num(1_000),
            max_open_orders: 1_000_000,
            msgs_per_sec: 1_000_000_000,
            burst: 1_000_000,
        };
        risk.add_venue(limits, 0).unwrap();
    }
    let cfg = EngineConfig {
        request_timeout_ns: 2_000,
        silence_limit_ns: legcore::leg::DEFAULT_SILENCE_LIMIT_NS,
        pace_budget_ns: 20_000,
        settle_risk: true,
        job_base: 0,
        journal: true,
        jobs: EXCHANGE_ROUNDS,
        strategy_groups: 0,
    };
    let engine = Engine::new(cfg, risk, Vec::new(), NoStrategy).unwrap();
    let jobs = (0..EXCHANGE_ROUNDS)
        .map(|_| Prepared::new(&cfg, exchange_job()).unwrap())
        .collect();
    (Drive::new(engine, vec![exchange(1), exchange(2)]), jobs)
}

/// A chasing buy on exchange 0, a passive-then-market sell on exchange 1.
fn exchange_job() -> Job {
    let chase = Mode::Chase {
        timeout_ns: 800,
        max_reprices: 2,
        refresh_ticks: 1,
    };
    let p = LegPlan {
        venue: VenueId::new(0),
        side: OrderSide::Buy,
        qty_lots: 5,
        lot_units: 1,
        mode: chase,
        max_slippage_bps: Ratio::from_num(500),
        fees: Fees {
            maker_e8: -1_000,
            taker_e8: 40_000,
        },
    };
    let short = LegPlan {
        venue: VenueId::new(1),
        side: OrderSide::Sell,
        mode: Mode::LimitWithFallback { timeout_ns: 500 },
        ..p
    };
    let one = Step::parse("1").unwrap();
    let rules = InstrumentRules::linear(one, one);
    let top = Arrival {
        bid_ticks: 99,
        ask_ticks: 101,
        recommendation: Recommendation::UseLimit,
        expected_price_ticks: None,
    };
    Job {
        plans: vec![p, short],
        books: vec![BookId::new(0), BookId::new(0)],
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
        policy: Policy::Rebalance,
        after_md_lines: 0,
    }
}

/// The market every 50 ns while job `job` runs: every third step it trades through 100
/// on one side, and the touch the engine sees moves.
struct Trades {
    job: usize,
    step: u64,
    next: u64,
}

impl Script<NoStrategy> for Trades {
    fn next_move(&self, d: &Drive<NoStrategy>) -> Option<u64> {
        let running = d
            .engine
            .group(JobId::new(self.job))
            .is_some_and(|g| g.outcome().is_none());
        running.then_some(self.next.max(d.now()))
    }

    fn on_move(
        &mut self,
        d: &mut Drive<NoStrategy>,
        obs: &mut dyn Observer<NoStrategy>,
    ) -> Result<(), SimError> {
        let now = d.now();
        self.next = now + 50;
        self.step += 1;
        if !self.step.is_multiple_of(3) {
            return Ok(());
        }
        let leg = ((self.step / 3) % 2) as usize;
        let side = if self.step.is_multiple_of(2) {
            Side::Bid
        } else {
            Side::Ask
        };
        let x = &mut d.venues[leg];
        let b = x.book_mut(BookId::new(0))?;
        let seq = b.ladder().seq() + 1;
        let _ = b.ladder_mut().set_level(side, 100, 2, seq);
        x.on_book(BookId::new(0), now)?;
        let b = x.book_mut(BookId::new(0))?;
        let _ = b.ladder_mut().set_level(side, 100, 0, seq + 1);
        d.top(
            VenueId::new(leg),
            BookId::new(0),
            (99, 101 + (self.step % 2) as i64),
            obs,
        )
    }
}

/// Round `round`'s group through the engine, the risk gate and the faulty exchanges
/// while the market trades through.
fn exchange_round(d: &mut Drive<NoStrategy>, job: Prepared, round: usize) -> i128 {
    let lv = |price_ticks, qty_lots| Level {
        price_ticks,
        qty_lots,
    };
    for e in d.venues.iter_mut() {
        let b = e.book_mut(BookId::new(0)).unwrap();
        let seq = b.ladder().seq() + 1;
        b.ladder_mut()
            .apply_snapshot(&[lv(99, 10)], &[lv(101, 10)], seq, Depth::Complete)
            .unwrap();
    }
    d.add_job(job, &mut Unobserved).unwrap();
    let mut trades = Trades {
        job: round,
        step: 0,
        next: d.now(),
    };
    let running = |d: &Drive<NoStrategy>| {
        d.engine
            .group(JobId::new(round))
            .is_some_and(|g| g.outcome().is_none())
            || d.venues.iter().any(|x| x.in_flight() > 0)
    };
    while running(d) {
        assert!(
            d.step(&mut trades, &mut Unobserved).unwrap(),
            "round {round} stuck"
        );
    }
    while d.engine.poll_record().is_some() {}
    let g = d.engine.group(JobId::new(round)).unwrap();
    let rec = g.leg_record(LegIdx::new(0)).unwrap();
    rec.notional_tl + rec.fees_tl_e8 + g.incident().map_or(0, |i| i.unhedged_unit_ns as i128)
}

/// The cash-and-carry strategy deciding on live books (walks, hedge sizing, exact
/// premiums, intents) and hearing group ends, as the loop runs it after every line.
#[test]
fn strategy_decisions_allocate_nothing() {
    use legcore::strategy::{Books, Strategy};
    use legcore::strategy::{Carry, CarryLeg, CarryParams, CarryState};

    let tick = Step::parse("0.1").unwrap();
    let lot = Step::parse("0.001").unwrap();
    let level = |p: i64, q: i64| Level {
        price_ticks: p,
        qty_lots: q,
    };
    let mut ladders = [Ladder::new(64, 16), Ladder::new(64, 16)];
    for (i, l) in ladders.iter_mut().enumerate() {
        let skew = i as i64 * 3; // the perp a little above spot
        let bids: Vec<Level> = (0..40).map(|k| level(9_999 + skew - k, 50)).collect();
        let asks: Vec<Level> = (0..40).map(|k| level(10_001 + skew + k, 50)).collect();
        l.apply_snapshot(&bids, &asks, 1, Depth::Complete).unwrap();
    }
    let leg = |i: usize| CarryLeg {
        feed: i,
        venue: VenueId::new(i),
        book: BookId::new(0),
        rules: InstrumentRules::linear(tick, lot),
        lot_units: 1,
        fees: Fees {
            maker_e8: 2_000,
            taker_e8: 5_000,
        },
        mode: Mode::MarketOnly,
        max_slippage_bps: Ratio::from_num(20),
    };
    let mut policies = ArrayVec::new();
    policies.push(Policy::Rollback);
    let params = CarryParams {
        spot: leg(0),
        perp: leg(1),
        size_usd: Decimal::from_i64(20),
        open_above_bps: Decimal::from_i64(-1_000),
        close_below_bps: Decimal::from_i64(1_000),
        cooldown_ns: 0,
        max_cycles: u32::MAX,
        policies,
        thresholds: Thresholds::default(),
    };
    let mut carry = Carry::new(params);
    let plan = LegPlan {
        venue: VenueId::new(0),
        side: OrderSide::Buy,
        qty_lots: 20,
        lot_units: 1,
        mode: Mode::MarketOnly,
        max_slippage_bps: Ratio::from_num(20),
        fees: Fees::default(),
    };
    let mut group = Group::new(&[plan, plan], Policy::Rollback).unwrap();
    let live = [true, true];

    let before = allocations();
    let mut opened = 0;
    for round in 0..2_000usize {
        let books = Books::new(&ladders, &live);
        // The exit decision on the same books (what a holding strategy runs).
        let exit = carry.decide_close(&ladders[0], &ladders[1], 20, 20);
        opened += exit.map_or(0, |i| i.legs.len());
        if let Some(intent) = carry.on_md(round % 2, books, round as u64) {
            opened += intent.legs.len();
            // The group ends at once: holding after an open, flat after a close.
            group.renew(&[plan, plan], Policy::Rollback).unwrap();
            carry.on_group_end(
                JobId::new(round),
                &group,
                Some(legcore::group::GroupError::Tops),
            );
            if let CarryState::Opening = carry.state() {
                unreachable!("an end moves the strategy on");
            }
        }
    }
    let after = allocations();
    assert!(opened >= 5_000, "{opened}");
    assert_eq!(
        after - before,
        0,
        "strategy allocated {} times",
        after - before
    );
}

/// Opens one buy on every line it is shown (the engine decides whether it can).
struct EveryLine(legcore::strategy::Intent);

impl legcore::strategy::Strategy for EveryLine {
    fn on_md(
        &mut self,
        _: usize,
        _: legcore::strategy::Books<'_>,
        _: u64,
    ) -> Option<legcore::strategy::Intent> {
        Some(self.0.clone())
    }
    fn on_group_end(&mut self, _: JobId, _: &Group, _: Option<legcore::group::GroupError>) {}
    fn on_not_opened(&mut self, _: u64) {}
}

/// Strategy groups through the engine with two pooled slots used again and again: each
/// line opens a group (in a fresh or a reused slot), its fill ends it, and a later line
/// reuses the slot once the silence limit has passed. Lines and fills are made first.
#[test]
fn reused_group_slots_allocate_nothing() {
    use legcore::engine::{FeedBook, Output};
    use legcore::feed::{BookFeed, Format};
    use legcore::strategy::{Intent, IntentLeg};
    use legcore::venue::{Delivery, Execution, ReportKind};

    let job = exchange_job();
    let mut legs = ArrayVec::new();
    legs.push(IntentLeg {
        plan: job.plans[0],
        book: job.books[0],
        top: job.tops[0],
        risk: job.risk[0],
    });
    let intent = Intent {
        legs,
        policy: Policy::Rollback,
    };
    let cfg = EngineConfig {
        request_timeout_ns: 1_000_000,
        silence_limit_ns: 1_000_000,
        pace_budget_ns: 1_000_000,
        settle_risk: false,
        job_base: 0,
        journal: true,
        jobs: 0,
        strategy_groups: 2,
    };
    let one = Step::parse("1").unwrap();
    let feed = FeedBook {
        venue: VenueId::new(0),
        book: job.books[0],
        ladder: Ladder::new(8, 8),
        sync: BookFeed::new(Format::HyperliquidL2Book, one, one),
    };
    let (d, _) = exchange_engine();
    let risk = d.engine.into_parts().risk;
    let mut e = Engine::new(cfg, risk, vec![feed], EveryLine(intent)).unwrap();
    const ROUNDS: usize = 400;
    let gap = 700_000; // two lines per silence limit: one slot lingers while the other runs
    let lines: Vec<String> = (0..ROUNDS)
        .map(|n| {
            format!(
                "{} {{\"channel\":\"l2Book\",\"data\":{{\"coin\":\"BTC\",\"time\":{n},\
                 \"levels\":[[{{\"n\":1,\"px\":\"99\",\"sz\":\"500\"}}],\
                 [{{\"n\":1,\"px\":\"101\",\"sz\":\"500\"}}]]}}}}",
                n as u64 * gap
            )
        })
        .collect();
    let before = allocations();
    let (mut sent, mut records) = (0, 0);
    for (n, line) in lines.iter().enumerate() {
        let now = n as u64 * gap;
        e.handle_market_data(0, n as u32, line.as_bytes(), now, now);
        while let Some(o) = e.poll_command() {
            let Output::Request {
                venue,
                book,
                req,
                cmd,
                ..
            } = o
            else {
                continue;
            };
            sent += 1;
            let legcore::leg::Command::Submit { qty_lots, .. } = cmd.cmd else {
                continue;
            };
            let fill = Execution {
                trade_id: n as u64 + 1,
                last_qty_lots: qty_lots,
                price_ticks: 101,
                liquidity: Liquidity::Taker,
                fee_tl_e8: 0,
                at_ns: now,
            };
            let report = Report::new(req.order(), ReportKind::Fill(fill));
            e.handle_report(venue, Delivery::Report { book, report }, now, now + 10);
        }
        while e.poll_record().is_some() {
            records += 1;
        }
    }
    let after = allocations();
    let c = e.counters();
    assert!(c.recycled as usize >= ROUNDS - 10, "{c:?}");
    assert!(sent >= ROUNDS && records >= 3 * ROUNDS, "{sent} {records}");
    assert_eq!((c.reports_unexpected, c.late_reports), (0, 0), "{c:?}");
    assert_eq!(
        after - before,
        0,
        "reused slots allocated {} times",
        after - before
    );
}
