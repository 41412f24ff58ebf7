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
        })
        .collect()
}

pub fn d(s: &str) -> Decimal {
    Decimal::parse(s).unwrap()
}

/// The ended group of a finished scenario as the engine journalled it, summarized as the
/// recorder does, numbered `job`.
pub fn summary(s: &Scenario, job: usize) -> GroupSummary {
    let rec = s.notes.1.as_ref().expect("the group ended");
    let mut g = summarize(rec, &venues(), "test", 0).unwrap().unwrap();
    g.id = job;
    g
}

fn shortfalls(g: &GroupSummary) -> Vec<Decimal> {
    g.legs.iter().map(|l| l.shortfall_quote.unwrap()).collect()
}

#[test]
fn an_open_and_its_close_have_exact_shortfalls_and_a_realised_pnl() {
    // Open: buy 5 lots at 101 on a, sell 5 at 99 on b.
    let mut open = market_pair(5, Policy::Rollback, FaultPlan::NONE);
    open.start();
    assert_eq!(open.run_to_end(), Outcome::Filled, "{}", open.dump());
    let o = summary(&open, 0);
    // Buy: 5 × (101 − 100) + 505 × 0.0005 = 5.2525 tick-lots; sell: 5 × (100 − 99) +
    // 495 × 0.0005 = 5.2475.
    assert_eq!(shortfalls(&o), [d("0.0052525"), d("0.0052475")]);
    assert_eq!(
        o.shortfall_quote.named(legcore::journal::COST).to_string(),
        "cost 0.0105 USDT"
    );
    // Close at other prices: sell 5 at 103 on a (mid 104), buy 5 at 97 on b (mid 96).
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
