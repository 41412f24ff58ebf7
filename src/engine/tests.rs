//! The engine alone, by hand: one `now` per event, outputs in order, a report finding
//! its group, and the end (the simulation tests drive it far harder through
//! `sim::drive`).

use crate::index::{BookId, VenueId};

use super::{Engine, EngineConfig, Job, Output, Prepared};
use crate::book::OrderSide;
use crate::group::{LegPlan, LegRisk, Outcome, Policy};
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
    Engine::new(CFG, risk, Vec::new(), NoStrategy).unwrap()
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
        report: Report {
            order,
            kind: ReportKind::Fill(f),
        },
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
    assert_eq!(e.group(0).and_then(|g| g.outcome()), Some(Outcome::Filled));
    assert!(e.is_done());
    let c = e.counters();
    assert_eq!((c.reports_ignored, c.reports_unexpected), (2, 0));
}

#[test]
fn a_report_for_no_job_is_counted_not_applied() {
    let mut e = engine();
    e.handle_job(Prepared::new(&CFG, job()).unwrap(), 0);
    drain(&mut e, 0);
    let stranger = OrderRef::new(99, 0, 0, 0).unwrap();
    e.handle_report(VenueId::new(0), fill(stranger, 1, 100), 0, 5);
    assert_eq!(e.counters().reports_unexpected, 1);
    assert!(e.group(0).is_some_and(|g| g.outcome().is_none()));
}
