//! The money of scripted groups, priced by the journal's summary and counted by the
//! statistics, against hand-computed exact decimals: each leg's implementation
//! shortfall (fills against the arrival mid, fees included, + = cost), an incident's
//! loss named in quote (`reject_after_fill.rs`), and the realised P&L of an open-and-close
//! round trip.
//!
//! Every venue here prices at tick 0.01 and lot 0.1 (a tick-lot is 0.001 USDT); both
//! books start at 99 / 101 ticks (mid 100), taker fees 0.05 %.

use legcore::book::OrderSide;
use legcore::group::{Outcome, Policy};
use legcore::instrument::{ContractKind, VenueInfo};
use legcore::journal::summarize;
use legcore::journal::GroupSummary;
use legcore::journal::{Filter, Stats};
use legcore::leg::Mode;
use legcore::num::{Decimal, Step};
use legcore::sim::FaultPlan;

use crate::harness::{book, market_pair, plan, Scenario};

fn venues() -> Vec<VenueInfo> {
    ["a", "b"]
        .iter()
        .map(|n| VenueInfo {
            name: n.to_string(),
            instrument: "XUSDT".into(),
            tick: Step::parse("0.01").unwrap(),
            lot: Step::parse("0.1").unwrap(),
            kind: ContractKind::Linear,
            multiplier: Decimal::ONE,
            quote: "USDT".into(),
            settle: "USDT".into(),
        })
        .collect()
}

pub fn d(s: &str) -> Decimal {
    Decimal::parse(s).unwrap()
}

/// The ended group of a finished scenario as the engine journalled it, summarized as the
/// recorder does, numbered `job`.
pub fn summary(s: &Scenario, job: usize) -> GroupSummary {
    summary_on(s, job, &venues())
}

/// [`summary`] with the venues priced as `venues`.
pub fn summary_on(s: &Scenario, job: usize, venues: &[VenueInfo]) -> GroupSummary {
    let rec = s.notes.1.as_ref().expect("the group ended");
    let mut g = summarize(rec, venues, "test", 0).unwrap().unwrap();
    g.id = job;
    g
}

/// An open (buy 5 lots at 101 on a, sell 5 at 99 on b, mids 100) and its close at other
/// prices (sell 5 at 103 on a, mid 104; buy 5 at 97 on b, mid 96), both run to the end.
fn open_and_close() -> (Scenario, Scenario) {
    let mut open = market_pair(5, Policy::Rollback, FaultPlan::NONE);
    open.start();
    assert_eq!(open.run_to_end(), Outcome::Filled, "{}", open.dump());
    let books = vec![
        book(&[(103, 10)], &[(105, 10)]),
        book(&[(95, 10)], &[(97, 10)]),
    ];
    let plans = [
        plan(0, OrderSide::Sell, 5, Mode::MarketOnly),
        plan(1, OrderSide::Buy, 5, Mode::MarketOnly),
    ];
    let mut close = Scenario::new(&plans, books, Policy::Rollback);
    close.start();
    assert_eq!(close.run_to_end(), Outcome::Filled, "{}", close.dump());
    (open, close)
}

fn shortfalls(g: &GroupSummary) -> Vec<Decimal> {
    g.legs.iter().map(|l| l.shortfall_quote.unwrap()).collect()
}

#[test]
fn an_open_and_its_close_have_exact_shortfalls_and_a_realised_pnl() {
    let (open, close) = open_and_close();
    let o = summary(&open, 0);
    // Buy: 5 × (101 − 100) + 505 × 0.0005 = 5.2525 tick-lots; sell: 5 × (100 − 99) +
    // 495 × 0.0005 = 5.2475.
    assert_eq!(shortfalls(&o), [d("0.0052525"), d("0.0052475")]);
    assert_eq!(
        o.shortfall_quote.named(legcore::journal::COST).to_string(),
        "cost 0.0105 USDT"
    );
    // The close: sell 5 at 103 on a (mid 104), buy 5 at 97 on b (mid 96).
    let c = summary(&close, 1);
    // 5 × 1 + 515 × 0.0005 = 5.2575; 5 × 1 + 485 × 0.0005 = 5.2425.
    assert_eq!(shortfalls(&c), [d("0.0052575"), d("0.0052425")]);
    // Flows: a −505.2525 then +514.7425 tick-lots, b +494.7525 then −485.2425.
    let flows: Vec<Decimal> = o
        .legs
        .iter()
        .chain(&c.legs)
        .filter_map(|l| l.flow_quote)
        .collect();
    assert_eq!(
        flows,
        [
            d("-0.5052525"),
            d("0.4947525"),
            d("0.5147425"),
            d("-0.4852425")
        ]
    );

    // The round trip: +2 ticks × 5 lots on each venue, less 2000 × 0.0005 of fees:
    // 19 tick-lots, a gain of 0.019 USDT.
    let stats = Stats::compute(&[o.clone(), c], &Filter::default()).unwrap();
    assert_eq!(stats.round_trips.len(), 1);
    assert_eq!(stats.round_trips[0].groups, [0, 1]);
    assert_eq!(stats.realised_pnl.0["USDT"], d("0.019"));
    assert!(stats.open_groups.is_empty());
    assert_eq!(stats.shortfall_quote.0["USDT"], d("0.021"));
    assert!(
        stats.table().contains("groups 0, 1     gain 0.019 USDT"),
        "{}",
        stats.table()
    );
    // The open alone is not realised: it holds a position.
    let alone = Stats::compute(&[o], &Filter::default()).unwrap();
    assert!(alone.round_trips.is_empty() && alone.realised_pnl.0.is_empty());
    assert_eq!(alone.open_groups, [0]);
}

/// The venues with a an inverse contract: contracts of 10 USD, tick 0.01, settled in
/// coin `X`.
pub fn inverse_a() -> Vec<VenueInfo> {
    let mut v = venues();
    v[0] = VenueInfo {
        lot: Step::ONE,
        kind: ContractKind::Inverse,
        multiplier: Decimal::from_i64(10),
        quote: "USD".into(),
        settle: "X".into(),
        ..v[0].clone()
    };
    v
}

/// The same open and close with venue a an inverse contract (contracts of 10 USD, tick
/// 0.01, settled in coin `X`): its money is in X, fill by fill as Σ qty ÷ price, and
/// the round trip realises the venue's own `contracts × 10 × (1/p_in − 1/p_out)`.
#[test]
fn an_inverse_leg_is_priced_in_its_coin() {
    let (open, close) = open_and_close();
    let venues = inverse_a();
    let (o, c) = (
        summary_on(&open, 0, &venues),
        summary_on(&close, 1, &venues),
    );
    let a = (&o.legs[0], &c.legs[0]);
    assert_eq!((a.0.money_currency(), a.1.money_currency()), ("X", "X"));
    // Open: 50 USD at 1.01 hold 49.504950495… X; fees 0.05 % of that.
    assert_eq!(a.0.fees, d("0.0247524752"));
    assert_eq!(a.0.flow_quote, Some(d("49.4801980198")));
    // Against the mid 1.00 (50 X): 50 − 49.5049504950 + 0.0247524752 = 0.5198019802.
    assert_eq!(a.0.shortfall_quote, Some(d("0.5198019802")));
    // Close: 50 USD at 1.03 give 48.543689320… X, against a mid of 1.04 (48.0769230769…).
    assert_eq!(a.1.fees, d("0.0242718447"));
    assert_eq!(a.1.flow_quote, Some(d("-48.567961165")));
    assert_eq!(a.1.shortfall_quote, Some(d("0.4910380881")));
    // The linear leg b is unchanged: in USDT.
    assert_eq!(o.legs[1].flow_quote, Some(d("0.4947525")));
    assert_eq!(o.shortfall_quote.0["X"], d("0.5198019802"));
    // 50 × (1/1.01 − 1/1.03) − fees = 0.9122368548 X; b: 9.51 tick-lots.
    let stats = Stats::compute(&[o, c], &Filter::default()).unwrap();
    assert_eq!(stats.realised_pnl.0["X"], d("0.9122368548"));
    assert_eq!(stats.realised_pnl.0["USDT"], d("0.00951"));
    assert_eq!(stats.round_trips[0].unpriced_legs, 0);
}
