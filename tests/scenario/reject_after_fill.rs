//! One leg is rejected after the other filled: the filled leg is rolled back to flat,
//! and the incident prices the round trip.

use legcore::group::{Outcome, Policy};

use legcore::sim::FaultPlan;

use crate::harness::market_pair;

#[test]
fn the_filled_leg_is_unwound_to_flat() {
    let faults = FaultPlan {
        reject_ppm: 1_000_000,
        ..FaultPlan::NONE
    };
    let mut s = market_pair(5, Policy::Rollback, faults);
    s.start();
    assert_eq!(s.run_to_end(), Outcome::Flat, "{}", s.dump());
    // Entry IOC, then a reduce-only IOC unwind of the same size.
    assert_eq!(s.submits(0), [(0, true, 5, false), (1, true, 5, true)]);
    assert_eq!((s.position(0), s.position(1)), (0, 0));
    s.assert_fills_recorded_once();
    let inc = s
        .group()
        .incident()
        .expect("a rolled-back group has an incident");
    // Bought 5 at 101, sold 5 at 99: a loss of 2 ticks × 5 lots.
    assert_eq!(inc.legs[0].loss_tl, 10);
    assert_eq!((inc.legs[0].net_lots, inc.legs[1].net_lots), (0, 0));
    // Taker fees on both fills: (505 + 495) tick-lots × 0.0005.
    assert_eq!(inc.legs[0].fees_tl_e8, (505 + 495) * 50_000);
    assert!(inc.summary.contains("Flat"), "{}", inc.summary);
}
