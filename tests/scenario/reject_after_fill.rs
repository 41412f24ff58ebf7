//! One leg is rejected after the other filled: the filled leg is rolled back to flat,
//! and the incident prices the round trip, in quote once summarized.

use legcore::group::{Outcome, Policy};
use legcore::journal::{Filter, Stats};
use legcore::sim::FaultPlan;

use crate::harness::market_pair;
use crate::money::{d, inverse_a, summary, summary_on};

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
    assert!(inc.summary.contains("group flat"), "{}", inc.summary);

    // As the journal summarizes it, at tick 0.01 and lot 0.1 (`money.rs`): the loss in
    // quote with its sign named, never in tick-lots.
    let g = summary(&s, 0);
    let inc = g.incident.as_ref().expect("an incident");
    assert_eq!(inc.loss_quote.0["USDT"], d("0.01"));
    assert_eq!(inc.residual, [d("0.0"), d("0.0")]);
    let leg0 = "leg 0 buy 0.5/0.5 filled, 0.5 unwound, net 0.0, loss 0.01 USDT";
    assert!(inc.summary.contains(leg0), "{}", inc.summary);
    assert!(
        inc.summary.starts_with("group flat after "),
        "{}",
        inc.summary
    );
    assert!(!inc.summary.contains(" tl") && !inc.summary.contains("lots"));
    // Shortfall: 5 + 5 tick-lots against the mid, 0.5 of fees.
    assert_eq!(g.shortfall_quote.0["USDT"], d("0.0105"));
    // Its own round trip, realised: the loss and the fees.
    let stats = Stats::compute(&[g], &Filter::default()).unwrap();
    assert_eq!(stats.round_trips[0].groups, [0]);
    assert_eq!(stats.realised_pnl.0["USDT"], d("-0.0105"));
    let table = stats.table();
    assert!(table.contains("(loss 0.01 USDT)"), "{table}");
    assert!(table.contains("realised loss 0.0105 USDT"), "{table}");

    // Venue a an inverse contract (10 USD, settled in X): 50 USD bought at 1.01 held
    // 49.5049504950… X, sold at 0.99 they gave 50.5050505050… X back: a loss in X.
    let g = summary_on(&s, 0, &inverse_a());
    let inc = g.incident.as_ref().expect("an incident");
    assert_eq!(inc.loss_quote.0["X"], d("1.00010001"));
    let leg0 = "leg 0 buy 5/5 filled, 5 unwound, net 0, loss 1.00010001 X";
    assert!(inc.summary.contains(leg0), "{}", inc.summary);
}
