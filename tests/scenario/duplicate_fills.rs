//! Every report arrives twice: duplicates are refused by trade id and change nothing.

use legcore::group::{Outcome, Policy};
use legcore::leg::Mode;
use legcore::sim::FaultPlan;

use crate::harness::{book, pair, Note, Scenario};

#[test]
fn each_fill_counts_once() {
    // Three ask levels and three bid levels: several fills per IOC.
    let books = vec![
        book(&[(99, 2)], &[(101, 2), (102, 2), (103, 2)]),
        book(&[(99, 2), (98, 2), (97, 2)], &[(101, 2)]),
    ];
    let legs = pair(5, Mode::MarketOnly, Mode::MarketOnly);
    let mut s = Scenario::new(&legs, books, Policy::Rollback);
    let dup = FaultPlan {
        duplicate_ppm: 1_000_000,
        ..FaultPlan::NONE
    };
    s.venue(0).set_plan(dup);
    s.venue(1).set_plan(dup);
    s.start();
    assert_eq!(s.run_to_end(), Outcome::Filled, "{}", s.dump());
    assert_eq!((s.position(0), s.position(1)), (5, -5));
    s.assert_fills_recorded_once();
    let refused = s
        .notes
        .iter()
        .filter(|(_, n)| matches!(n, Note::Got(_, _, false)))
        .count();
    // Each leg: accepted, three fills, expired or not; all doubled.
    assert!(refused >= 6, "{}", s.dump());
    let inc = s.group().incident();
    assert!(inc.is_none(), "a filled group has no incident");
}
