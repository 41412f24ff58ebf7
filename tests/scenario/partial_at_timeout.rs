//! A passive leg is partly filled at its timeout while the other leg filled in full:
//! `rebalance` keeps the hedged part and unwinds only the excess.

use legcore::book::Side;
use legcore::group::{Outcome, Policy};
use legcore::leg::Mode;
use legcore::sim::FaultPlan;

use crate::harness::{book, pair, Scenario};

#[test]
fn rebalance_keeps_the_hedged_part() {
    let books = vec![
        book(&[(99, 10)], &[(101, 10)]),
        book(&[(99, 10)], &[(101, 10)]),
    ];
    let legs = pair(5, Mode::LimitOnly { timeout_ns: 1_000 }, Mode::MarketOnly);
    let mut s = Scenario::new(&legs, books, Policy::Rebalance);
    s.start();
    s.run_until(500);
    // The market trades through the resting buy, but only 1 lot of it fills.
    s.venue(0).set_plan(FaultPlan {
        partial_fill_ppm: 1_000_000,
        ..FaultPlan::NONE
    });
    s.trade_through(0, Side::Ask, 100, 5);
    s.venue(0).set_plan(FaultPlan::NONE);
    assert_eq!(s.run_to_end(), Outcome::Rebalanced, "{}", s.dump());
    assert_eq!((s.position(0), s.position(1)), (1, -1));
    // The short's excess of 4 was bought back, reduce-only.
    assert_eq!(s.submits(1), [(0, true, 5, false), (1, true, 4, true)]);
    assert_eq!(
        s.submits(0),
        [(0, false, 5, false)],
        "the limit leg sends no IOC"
    );
    s.assert_fills_recorded_once();
    let inc = s.group().incident().unwrap();
    assert_eq!((inc.legs[0].net_lots, inc.legs[1].net_lots), (1, 1));
}
