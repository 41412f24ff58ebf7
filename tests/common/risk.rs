//! The risk state the runtime and engine tests share: venues whose limits stay out of the
//! way (caps far above the tests' orders, a 10 % collar), so that a test fails on what it
//! checks, not on a risk refusal it did not ask for. Tests of risk itself build their own.

use legcore::num::{Decimal, Ratio};
use legcore::risk::{RiskState, VenueLimits};

/// `venues` venues, each with `msgs_per_sec` and `burst` for the message-rate limit, at
/// most `open` orders open, and a 1,000,000 group cap.
pub fn paced(venues: usize, msgs_per_sec: u32, burst: u32, open: u32) -> RiskState {
    let mut r = RiskState::new(Decimal::from_i64(1_000_000));
    for _ in 0..venues {
        let limits = VenueLimits {
            max_order_notional: Decimal::from_i64(100_000),
            collar_bps: Ratio::from_num(1_000),
            max_open_orders: open,
            msgs_per_sec,
            burst,
        };
        r.add_venue(limits, 0)
            .expect("a venue within the risk state's bounds");
    }
    r
}

/// [`paced`] with a rate limit no test reaches and 64 open orders a venue.
pub fn wide_open(venues: usize) -> RiskState {
    paced(venues, 1_000_000_000, 10_000, 64)
}
