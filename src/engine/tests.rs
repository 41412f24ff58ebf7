//! The engine alone, by hand: one `now` per event, outputs in order, a report finding
//! its group, and the end (the simulation tests drive it far harder through
//! `sim::drive`).

use crate::index::{BookId, VenueId};
use crate::index::{JobId, LegIdx};

use super::{Engine, EngineConfig, Job, Output, Prepared};
use crate::book::OrderSide;
use crate::group::{GroupError, LegPlan, LegRisk, Outcome, Policy};
use crate::instrument::InstrumentRules;
use crate::journal::Record;
use crate::leg::{Arrival, Fees, Liquidity, Mode};
use crate::num::{Decimal, Ratio, Step};
use crate::risk::{RiskState, VenueLimits};
use crate::strategy::NoStrategy;
use crate::venue::{Delivery, Execution, OrderRef, Report, ReportKind, Request};
use crate::walk::Recommendation;

const CFG: EngineConfig = EngineConfig {
    request_timeout_ns: 1_000,
    silence_limit_ns: 100_000,
    pace_budget_ns: 10_000,
    settle_risk: true,
    job_base: 0,
    journal: true,
    jobs: 1,
    strategy_groups: 0,
};

fn engine() -> Engine {
    engine_with(CFG)
}

fn engine_with(cfg: EngineConfig) -> Engine {
    let mut risk = RiskState::new(Decimal::from_i64(1_000_000));
    for _ in 0..2 {
        let limits = VenueLimits {
            max_order_notional: Decimal::from_i64(100_000),
            collar_bps: Ratio::from_num(1_000),
            max_open_orders: 8,
            msgs_per_sec: 1_000_000,
            burst: 100,
        };
        risk.add_venue(limits, 0).unwrap();
    }
    Engine::new(cfg, risk, Vec::new(), NoStrategy).unwrap()
}

fn job() -> Job {
    let leg = |venue, side| LegPlan {
        venue,
        side,
        qty_lots: 2,
        lot_units: 1,
        mode: Mode::MarketOnly,
        max_slippage_bps: Ratio::from_num(400),
        fees: Fees::default(),
    };
    let top = Arrival {
        bid_ticks: 99,
        ask_ticks: 101,
        recommendation: Recommendation::UseLimit,
        expected_price_ticks: None,
    };
    let one = Step::parse("1").unwrap();
    let rules = InstrumentRules::linear(one, one);
    Job {
        plans: vec![
            leg(VenueId::new(0), OrderSide::Buy),
            leg(VenueId::new(1), OrderSide::Sell),
        ],
        books: vec![BookId::new(3), BookId::new(4)],
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
        policy: Policy::Rollback,
        after_md_lines: 0,
    }
}

/// The client ids of the requests the engine queued, per venue and book.
fn drain(e: &mut Engine, now: u64) -> Vec<(VenueId, BookId, OrderRef)> {
    let mut out = Vec::new();
    while let Some(o) = e.poll_command() {
        let Output::Request {
            venue,
            book,
            req: Request::New(order),
            cause_ns,
            ..
        } = o
        else {
            panic!("only submits here: {o:?}");
        };
        assert_eq!(cause_ns, now);
        out.push((venue, book, order.order));
    }
    out
}

fn times(e: &mut Engine) -> Vec<u64> {
    let mut t = Vec::new();
    while let Some(r) = e.poll_record() {
        t.push(match r {
            Record::Started { t_ns, .. }
            | Record::Refused { t_ns, .. }
            | Record::Sent { t_ns, .. }
            | Record::Report { t_ns, .. }
            | Record::Ended { t_ns, .. } => t_ns,
        });
    }
    t
}

fn fill(order: OrderRef, trade_id: u64, price_ticks: i64) -> Delivery {
    let f = Execution {
        trade_id,
        last_qty_lots: 2,
        price_ticks,
        liquidity: Liquidity::Taker,
        fee_tl_e8: 0,
        at_ns: 0,
    };
    Delivery::Report {
        book: BookId::new(0),
        report: Report::new(order, ReportKind::Fill(f)),
    }
}

#[test]
fn each_event_is_handled_at_its_one_now() {
    let mut e = engine();
    let job = Prepared::new(&CFG, job()).unwrap();
    e.handle_job(job, 7);
    let sent = drain(&mut e, 7);
    assert_eq!(sent.len(), 2);
    assert_eq!(
        (sent[0].0, sent[0].1, sent[1].0, sent[1].1),
        (
            VenueId::new(0),
            BookId::new(3),
            VenueId::new(1),
            BookId::new(4)
        )
    );
    // Started and two Sent, all at 7.
    assert_eq!(times(&mut e), [7, 7, 7]);
    assert!(e.poll_timeout().is_some_and(|t| t > 7));
    e.finish();
    assert!(!e.is_done(), "a running group");
    for (k, &(venue, _, id)) in sent.iter().enumerate() {
        let at = 20 + k as u64;
        e.handle_report(venue, fill(id, 1, 100), 0, at);
        e.handle_report(venue, fill(id, 1, 100), 0, at); // a duplicate: refused
        assert!(drain(&mut e, at).is_empty());
        assert!(times(&mut e).iter().all(|&t| t == at));
    }
    assert_eq!(
        e.group(JobId::new(0)).and_then(|g| g.outcome()),
        Some(Outcome::Filled)
    );
    assert!(e.is_done());
    let c = e.counters();
    assert_eq!((c.reports_ignored, c.reports_unexpected), (2, 0));
}

#[test]
fn a_report_for_no_job_is_counted_not_applied() {
    let mut e = engine();
    e.handle_job(Prepared::new(&CFG, job()).unwrap(), 0);
    drain(&mut e, 0);
    let stranger = OrderRef::new(99, LegIdx::new(0), 0, 0).unwrap();
    e.handle_report(VenueId::new(0), fill(stranger, 1, 100), 0, 5);
    assert_eq!(e.counters().reports_unexpected, 1);
    assert!(e
        .group(JobId::new(0))
        .is_some_and(|g| g.outcome().is_none()));
}

#[test]
fn a_position_break_stops_new_risk() {
    let cfg = EngineConfig { jobs: 2, ..CFG };
    let mut e = engine_with(cfg);
    e.handle_job(Prepared::new(&cfg, job()).unwrap(), 0);
    assert_eq!(drain(&mut e, 0).len(), 2, "before it, a group starts");
    times(&mut e);
    let broken = Delivery::PositionBreak {
        book: BookId::new(4),
        venue_lots: 5,
        expected_lots: 2,
    };
    e.handle_report(VenueId::new(1), broken, 0, 3);
    let c = e.counters();
    assert_eq!((c.position_breaks, c.link_events), (1, 0));
    e.handle_job(Prepared::new(&cfg, job()).unwrap(), 4);
    assert!(drain(&mut e, 4).is_empty(), "no new group after it");
    let mut refused = false;
    while let Some(r) = e.poll_record() {
        refused |= matches!(r, Record::Refused { .. });
    }
    assert!(refused, "the job is refused, and journaled so");
}

/// Opens a one-leg buy on every market-data line, and counts what it hears.
#[derive(Debug, Default)]
struct EveryLine {
    ended: Vec<usize>,
    not_opened: u32,
}

impl crate::strategy::Strategy for EveryLine {
    fn on_md(
        &mut self,
        _: usize,
        _: crate::strategy::Books<'_>,
        _: u64,
    ) -> Option<crate::strategy::Intent> {
        let j = job();
        let leg = crate::strategy::IntentLeg {
            plan: j.plans[0],
            book: j.books[0],
            top: j.tops[0],
            risk: j.risk[0],
        };
        let mut legs = arrayvec::ArrayVec::new();
        legs.push(leg);
        Some(crate::strategy::Intent {
            legs,
            policy: Policy::Rollback,
        })
    }

    fn on_group_end(&mut self, job: JobId, _: &crate::group::Group, _: Option<GroupError>) {
        self.ended.push(job.index());
    }

    fn on_not_opened(&mut self, _: u64) {
        self.not_opened += 1;
    }
}

/// An engine with one pooled group slot for [`EveryLine`], over one Hyperliquid book.
fn pooled_engine() -> Engine<EveryLine> {
    let cfg = EngineConfig {
        jobs: 0,
        strategy_groups: 1,
        ..CFG
    };
    let risk = engine().into_parts().risk;
    let one = Step::parse("1").unwrap();
    let feed = super::FeedBook {
        venue: VenueId::new(0),
        book: BookId::new(3),
        ladder: crate::book::Ladder::new(8, 8),
        sync: crate::feed::BookFeed::new(crate::feed::Format::HyperliquidL2Book, one, one),
    };
    Engine::new(cfg, risk, vec![feed], EveryLine::default()).unwrap()
}

fn md_line(e: &mut Engine<EveryLine>, n: u32, now: u64) {
    let line = format!(
        "{now} {{\"channel\":\"l2Book\",\"data\":{{\"coin\":\"BTC\",\"time\":{n},\"levels\":\
         [[{{\"n\":1,\"px\":\"99\",\"sz\":\"5\"}}],[{{\"n\":1,\"px\":\"101\",\"sz\":\"5\"}}]]}}}}"
    );
    e.handle_market_data(0, n, line.as_bytes(), now, now);
}

/// The client ids of the orders the engine sent (market-data forwards skipped).
fn sent_ids<S: crate::strategy::Strategy>(e: &mut Engine<S>) -> Vec<OrderRef> {
    let mut out = Vec::new();
    while let Some(o) = e.poll_command() {
        if let Output::Request { req, .. } = o {
            out.push(req.order());
        }
    }
    out
}

#[test]
fn an_ended_pooled_group_is_reused_after_the_silence_limit_and_late_reports_are_counted() {
    let mut e = pooled_engine();
    md_line(&mut e, 1, 0);
    let first = sent_ids(&mut e);
    assert_eq!(first.len(), 1, "one leg sent");
    assert_eq!(first[0].job(), 0);
    // Busy: the only slot runs job 0.
    md_line(&mut e, 2, 5);
    assert_eq!(e.counters().pool_exhausted, 1);
    e.handle_report(VenueId::new(0), fill(first[0], 1, 101), 0, 10);
    assert_eq!(
        e.group(JobId::new(0)).and_then(|g| g.outcome()),
        Some(Outcome::Filled)
    );
    // Ended, but inside the silence limit: still addressable, not reused.
    md_line(&mut e, 3, 50);
    assert_eq!(e.counters().pool_exhausted, 2);
    // A duplicate: its group refuses it.
    e.handle_report(VenueId::new(0), fill(first[0], 1, 101), 0, 60);
    assert_eq!(e.counters().reports_ignored, 1);
    // Past the limit: the slot takes job 1.
    md_line(&mut e, 4, 10 + CFG.silence_limit_ns);
    let second = sent_ids(&mut e);
    assert_eq!(second.iter().map(|o| o.job()).collect::<Vec<_>>(), [1]);
    let c = e.counters();
    assert_eq!((c.recycled, c.pool_exhausted), (1, 2));
    assert!(e.group(JobId::new(0)).is_none(), "job 0's slot holds job 1");
    // A late fill of job 0 is counted and never reaches job 1's group.
    e.handle_report(
        VenueId::new(0),
        fill(first[0], 2, 101),
        0,
        10 + CFG.silence_limit_ns + 1,
    );
    assert_eq!(e.counters().late_reports, 1);
    assert_eq!(
        e.group(JobId::new(1))
            .unwrap()
            .reported_lots(LegIdx::new(0)),
        Some(0)
    );
    assert_eq!(e.group(JobId::new(1)).unwrap().outcome(), None);
    let parts = e.into_parts();
    assert_eq!(parts.job_numbers, [JobId::new(1)]);
    assert_eq!(parts.strategy.ended, [0]);
    assert_eq!(parts.strategy.not_opened, 2);
}

#[test]
fn a_pooled_group_with_an_order_still_open_is_never_reused() {
    let mut e = pooled_engine();
    md_line(&mut e, 1, 0);
    assert_eq!(sent_ids(&mut e).len(), 1);
    // The venue never answers: the leg queries, then gives up at its silence limit and
    // the group ends `unhedged` with its order's fate unknown (still counted open).
    while let Some(t) = e.poll_timeout().filter(|&t| t <= 2 * CFG.silence_limit_ns) {
        e.handle_timeout(t);
        sent_ids(&mut e);
    }
    assert_eq!(
        e.group(JobId::new(0)).and_then(|g| g.outcome()),
        Some(Outcome::Unhedged)
    );
    md_line(&mut e, 2, 10 * CFG.silence_limit_ns);
    let c = e.counters();
    assert_eq!((c.recycled, c.pool_exhausted), (0, 1));
    assert!(e.group(JobId::new(0)).is_some(), "job 0 keeps its slot");
}
