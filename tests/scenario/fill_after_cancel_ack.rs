//! The venue matched part of the passive order just before the cancel, and reports the
//! fill after the cancel's ack. The ack's cumulative size makes the fallback exact: no
//! overfill, no unwind.

use legcore::group::{Outcome, Policy};
use legcore::leg::Mode;
use legcore::sim::{Fault, FaultPlan};

use crate::harness::{book, pair, Note, Scenario};

#[test]
fn the_fallback_covers_only_the_remainder() {
    let books = vec![
        book(&[(99, 10)], &[(101, 10)]),
        book(&[(99, 10)], &[(101, 10)]),
    ];
    let passive = Mode::LimitWithFallback { timeout_ns: 1_000 };
    let legs = pair(5, passive, Mode::MarketOnly);
    let mut s = Scenario::new(&legs, books, Policy::Rollback);
    s.venue(0).set_plan(FaultPlan {
        fill_after_cancel_ppm: 1_000_000,
        ..FaultPlan::NONE
    });
    s.start();
    assert_eq!(s.run_to_end(), Outcome::Filled, "{}", s.dump());
    assert_eq!(s.venues()[0].counts().get(Fault::FillAfterCancel), 1);
    let sub = s.submits(0);
    assert_eq!(sub.len(), 2, "{}", s.dump());
    let matched = 5 - sub[1].2;
    assert!((1..=3).contains(&matched), "{}", s.dump());
    assert_eq!((s.position(0), s.position(1)), (5, -5));
    // The ack came before the fill report, and the fill still counted once.
    let events: Vec<_> = s
        .notes
        .iter()
        .filter_map(|(_, n)| match n {
            Note::Got(0, ev, _) => Some(format!("{ev:?}")),
            _ => None,
        })
        .collect();
    let ack = events.iter().position(|e| e.starts_with("CancelAcked"));
    let fill = events.iter().position(|e| e.contains("Maker"));
    assert!(ack < fill, "{events:?}");
    s.assert_fills_recorded_once();
}
