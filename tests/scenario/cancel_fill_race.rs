//! Hummingbot issue 8094: the maker fills while its cancel is in flight. The fill must
//! count, no fallback may be sent for it, and the hedge goes out exactly once.

use legcore::book::Side;
use legcore::group::{Outcome, Policy};
use legcore::leg::Mode;
use legcore::sim::FaultPlan;

use crate::harness::{book, pair, Scenario};

const PASSIVE: Mode = Mode::LimitWithFallback { timeout_ns: 1_000 };

fn scenario() -> Scenario {
    let books = vec![
        book(&[(99, 10)], &[(101, 10)]),
        book(&[(99, 10)], &[(101, 10)]),
    ];
    let mut s = Scenario::new(&pair(5, PASSIVE, Mode::MarketOnly), books, Policy::Rollback);
    s.start();
    // The passive buy rests at 100; the hedge sells 5 at 99 at once.
    s.run_until(1_000); // the timeout sends the cancel; it reaches the venue at 1 100
    s
}

#[test]
fn the_fill_arrives_before_the_cancel_is_refused() {
    let mut s = scenario();
    s.run_until(1_050);
    s.trade_through(0, Side::Ask, 100, 5); // fills the resting buy while cancelling
    assert_eq!(s.run_to_end(), Outcome::Filled, "{}", s.dump());
    assert_eq!(
        s.submits(0),
        [(0, false, 5, false)],
        "no fallback: {}",
        s.dump()
    );
    assert_eq!(s.submits(1), [(0, true, 5, false)], "the hedge, once");
    assert_eq!((s.position(0), s.position(1)), (5, -5));
    s.assert_fills_recorded_once();
}

#[test]
fn the_cancel_is_refused_before_the_fill_arrives() {
    let mut s = scenario();
    s.run_until(1_050);
    // The fill report is delayed past the cancel's refusal.
    s.venue(0).set_plan(FaultPlan {
        reorder_ppm: 1_000_000,
        ..FaultPlan::NONE
    });
    s.trade_through(0, Side::Ask, 100, 5);
    s.venue(0).set_plan(FaultPlan::NONE);
    assert_eq!(s.run_to_end(), Outcome::Filled, "{}", s.dump());
    // The refusal made the leg ask the venue, which said filled: still no fallback.
    assert_eq!(s.submits(0), [(0, false, 5, false)], "{}", s.dump());
    assert_eq!(s.submits(1), [(0, true, 5, false)]);
    assert_eq!((s.position(0), s.position(1)), (5, -5));
    s.assert_fills_recorded_once();
}
