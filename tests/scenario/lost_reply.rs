//! An IOC's answers (ack and expiry) are lost; its one fill arrives. The leg does not
//! guess that the order is over: its request times out, it queries, and the venue's
//! answer (closed, 3 of 5 filled) settles it; the group then rolls back.

use legcore::group::{Outcome, Policy};
use legcore::leg::{Command, Mode};
use legcore::sim::FaultPlan;

use crate::harness::{book, pair, Note, Scenario};

#[test]
fn the_leg_queries_and_the_group_rolls_back() {
    let books = vec![
        book(&[(99, 10)], &[(101, 3), (105, 10)]), // 105: past the protection
        book(&[(99, 10)], &[(101, 10)]),
    ];
    let legs = pair(5, Mode::MarketOnly, Mode::MarketOnly);
    let mut s = Scenario::new(&legs, books, Policy::Rollback);
    s.venue(0).set_plan(FaultPlan {
        lost_reply_ppm: 1_000_000,
        ..FaultPlan::NONE
    });
    s.start();
    s.run_until(150); // the IOC was matched; its answers are lost
    s.venue(0).set_plan(FaultPlan::NONE);
    s.run_until(500);
    assert!(s.group().outcome().is_none(), "no answer yet: no guess");
    assert_eq!(s.run_to_end(), Outcome::Flat, "{}", s.dump());
    let queried = s
        .notes
        .iter()
        .any(|(_, n)| matches!(n, Note::Sent(0, c) if matches!(c.cmd, Command::Query { .. })));
    assert!(queried, "{}", s.dump());
    assert_eq!((s.position(0), s.position(1)), (0, 0));
    s.assert_fills_recorded_once();
}
