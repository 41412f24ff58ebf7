//! The short's venue loses every request: its entry, and every status query after it
//! (issue 11 #10). The leg gives up once the venue has been silent for the silence limit;
//! the group rolls the filled long back, sends nothing more to the silent venue, and ends
//! `Unhedged` (the short's fate is unknown) within the bound; risk goes to reducing.

use legcore::group::{Outcome, Policy};
use legcore::leg::Command;
use legcore::risk::KillSwitch;
use legcore::sim::FaultPlan;

use crate::harness::{market_pair, Note, LATENCY_NS, SILENCE_NS};

#[test]
fn the_group_ends_unhedged_within_the_bound_and_the_long_is_unwound() {
    let faults = FaultPlan {
        lost_request_ppm: 1_000_000,
        ..FaultPlan::NONE
    };
    let mut s = market_pair(5, Policy::Rollback, faults);
    s.start();
    assert_eq!(s.run_to_end(), Outcome::Unhedged, "{}", s.dump());
    let (start, end) = s.group().times_ns();
    assert!(
        end - start <= SILENCE_NS + 4 * LATENCY_NS,
        "ended after {} ns\n{}",
        end - start,
        s.dump()
    );
    assert_eq!(
        (s.position(0), s.position(1)),
        (0, 0),
        "the long was unwound"
    );
    assert_eq!(
        s.submits(1).len(),
        1,
        "nothing but the entry to the silent venue"
    );
    let queries = s
        .notes
        .iter()
        .filter(|(_, n)| matches!(n, Note::Sent(1, c) if matches!(c.cmd, Command::Query { .. })));
    assert!(queries.count() >= 2, "{}", s.dump());
    let inc = s.group().incident().unwrap();
    assert!(inc.legs[1].silent, "{}", inc.summary);
    assert_eq!(s.risk().switch(), KillSwitch::Reducing);
    s.assert_fills_recorded_once();
}
