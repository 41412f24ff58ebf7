//! The market rises between a leg's fill and its unwind, so the unwind's notional is above
//! the per-order cap the entry passed: the unwind still goes (it only reduces what the
//! cap admitted) and the group ends flat. Before, risk refused it three times and the
//! group ended `unhedged` with the position open.

use legcore::index::{BookId, VenueId};

use legcore::book::{Depth, Level};
use legcore::group::{Outcome, Policy};
use legcore::leg::Mode;
use legcore::num::Decimal;

use crate::harness::{book, pair, Scenario};

#[test]
fn an_unwind_above_the_order_cap_is_sent_and_the_group_ends_flat() {
    let books = vec![
        book(&[(99, 10)], &[(101, 10)]),
        book(&[], &[(101, 10)]), // no bids: the sell leg cannot fill
    ];
    let legs = pair(5, Mode::MarketOnly, Mode::MarketOnly);
    // The entries fit (at most 5 × 110 after slippage); an unwind at 130 does not.
    let cap = Decimal::from_i64(600);
    let mut s = Scenario::with_order_cap(&legs, books, Policy::Rollback, cap);
    s.start();
    s.run_until(150); // both entries have reached their venues; no answer yet
    let level = |price_ticks, qty_lots| Level {
        price_ticks,
        qty_lots,
    };
    let ladder = s.venue(0).book_mut(BookId::new(0)).unwrap().ladder_mut();
    let seq = ladder.seq() + 1;
    ladder
        .apply_snapshot(&[level(130, 10)], &[level(131, 10)], seq, Depth::Complete)
        .unwrap();
    s.drive
        .top(VenueId::new(0), BookId::new(0), (130, 131), &mut s.notes)
        .unwrap();
    assert_eq!(s.run_to_end(), Outcome::Flat, "{}", s.dump());
    let unwinds: Vec<_> = s.submits(0).into_iter().filter(|u| u.3).collect();
    assert_eq!(unwinds.len(), 1, "one unwind, not refused: {}", s.dump());
    assert_eq!((s.position(0), s.position(1)), (0, 0));
    assert_eq!(s.drive.engine.counters().risk_refused, 0);
}
