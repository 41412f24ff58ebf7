//! A resting order filled 1 lot at a time, 150 times, far more fills than the trade ids
//! a leg remembers (issue 11 #8): every fill lands in the leg's record, its lots, notional
//! and fees equal the venue's ledger, and the group ends filled.

use legcore::book::Side;
use legcore::group::{Outcome, Policy};
use legcore::index::LegIdx;
use legcore::leg::{Fees, Mode, MAX_FILLS};
use legcore::sim::FaultPlan;

use crate::harness::{book, pair, Scenario};

const LOTS: i64 = 150;

#[test]
fn every_tiny_fill_is_recorded_with_its_fee() {
    assert!(LOTS as usize > 2 * MAX_FILLS);
    let fees = Fees {
        maker_e8: 2_000,
        taker_e8: 50_000,
    };
    let books = vec![
        book(&[(99, 10)], &[(101, 10)]).with_fees(fees),
        book(&[(99, LOTS)], &[(101, LOTS)]).with_fees(fees),
    ];
    let mut legs = pair(
        LOTS,
        Mode::LimitOnly {
            timeout_ns: 1_000_000,
        },
        Mode::MarketOnly,
    );
    for l in &mut legs {
        l.fees = fees;
    }
    let mut s = Scenario::new(&legs, books, Policy::Rollback);
    s.start();
    s.run_until(500);
    // The market trades through the resting buy again and again; one lot fills each time.
    s.venue(0).set_plan(FaultPlan {
        partial_fill_ppm: 1_000_000,
        ..FaultPlan::NONE
    });
    for _ in 0..LOTS {
        s.trade_through(0, Side::Ask, 100, 5);
        let t = s.now() + 300;
        s.run_until(t);
    }
    assert_eq!(s.run_to_end(), Outcome::Filled, "{}", s.dump());
    assert_eq!((s.position(0), s.position(1)), (LOTS, -LOTS));
    s.assert_fills_recorded_once();
    let venue = &s.venues()[0].books()[0];
    let rec = s.group().leg_record(LegIdx::new(0)).unwrap();
    assert_eq!(rec.filled_lots, LOTS);
    assert_eq!(
        rec.notional_tl,
        -venue.cash_tl(),
        "notional as the venue booked it"
    );
    assert_eq!(
        rec.fees_tl_e8,
        venue.fees_tl_e8(),
        "fees as the venue charged them"
    );
    assert_eq!(rec.fees_tl_e8, i128::from(LOTS) * 100 * 2_000);
}
