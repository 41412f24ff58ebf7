//! The two-leg job the runtime tests send when the job itself is not what they test:
//! buy 4 lots on venue 0 and sell 4 on venue 1, market orders against a 99/101 top
//! (instruments of tick 1 and lot 1), rolled back if a leg fails.

use legcore::book::OrderSide;
use legcore::group::{LegPlan, LegRisk, Policy};
use legcore::index::{BookId, VenueId};
use legcore::instrument::InstrumentRules;
use legcore::leg::{Arrival, Fees, Mode};
use legcore::num::{Ratio, Step};
use legcore::runtime::Job;
use legcore::walk::Recommendation;

/// The job, both legs on `book` of their venue.
pub fn buy_sell(book: BookId) -> Job {
    let one = Step::parse("1").unwrap();
    let rules = InstrumentRules::linear(one, one);
    let top = Arrival {
        bid_ticks: 99,
        ask_ticks: 101,
        recommendation: Recommendation::UseMarketAcceptable,
        expected_price_ticks: None,
    };
    let leg = |venue, side| LegPlan {
        venue: VenueId::new(venue),
        side,
        qty_lots: 4,
        lot_units: 1,
        mode: Mode::MarketOnly,
        max_slippage_bps: Ratio::from_num(400),
        fees: Fees::default(),
    };
    let risk = |venue| LegRisk {
        venue: VenueId::new(venue),
        rules,
    };
    Job {
        plans: vec![leg(0, OrderSide::Buy), leg(1, OrderSide::Sell)],
        books: vec![book, book],
        tops: vec![top, top],
        risk: vec![risk(0), risk(1)],
        policy: Policy::Rollback,
        after_md_lines: 0,
    }
}
