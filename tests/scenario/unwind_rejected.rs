//! Every unwind is rejected: after its bounded retries the group ends `Unhedged` with
//! the exact residual, and the kill switch moves to reducing.

use legcore::book::OrderSide;
use legcore::group::{GroupCommand, Outcome, Policy, MAX_RETRIES};
use legcore::index::LegIdx;
use legcore::leg::{Command, Mode, Tif};
use legcore::risk::{KillSwitch, RiskReject};
use legcore::sim::FaultPlan;

use crate::harness::{book, pair, Scenario};

#[test]
fn the_group_ends_unhedged_with_its_residual_and_risk_reduces() {
    let books = vec![
        book(&[(99, 10)], &[(101, 10)]),
        book(&[], &[(101, 10)]), // no bids: the sell leg cannot fill
    ];
    let legs = pair(5, Mode::MarketOnly, Mode::MarketOnly);
    let mut s = Scenario::new(&legs, books, Policy::Rollback);
    s.start();
    s.run_until(150); // both entries have reached their venues
    s.venue(0).set_plan(FaultPlan {
        reject_ppm: 1_000_000,
        ..FaultPlan::NONE
    });
    assert_eq!(s.run_to_end(), Outcome::Unhedged, "{}", s.dump());
    let unwinds = s.submits(0).iter().filter(|u| u.3).count();
    assert_eq!(unwinds, 1 + MAX_RETRIES, "{}", s.dump());
    assert_eq!((s.position(0), s.position(1)), (5, 0));
    let inc = s.group().incident().unwrap();
    assert_eq!((inc.legs[0].net_lots, inc.legs[1].net_lots), (5, 0));
    assert!(inc.unhedged_unit_ns > 0);
    assert_eq!(s.risk().switch(), KillSwitch::Reducing);
    // From now on only risk-reducing orders pass.
    let add = GroupCommand {
        leg: LegIdx::new(1),
        part: 0,
        cmd: Command::Submit {
            slot: 0,
            side: OrderSide::Sell,
            price_ticks: 100,
            qty_lots: 1,
            tif: Tif::Ioc,
            reduce_only: false,
        },
    };
    let r = s.check(&add);
    assert_eq!(r, Err(RiskReject::ReducingOnly));
}
