use super::*;
use crate::index::VenueId;

fn d(s: &str) -> Decimal {
    Decimal::parse(s).unwrap()
}

fn limits() -> VenueLimits {
    VenueLimits {
        max_order_notional: d("10000"),
        collar_bps: Ratio::from_num(50),
        max_open_orders: 2,
        msgs_per_sec: 10,
        burst: 3,
    }
}

fn order(client_id: u64, price_ticks: i64) -> Request {
    Request::Order {
        client_id,
        notional: d("1000"),
        price_ticks,
        mid_x2_ticks: Some(20_000), // mid 10 000 ticks
        reducing: false,
    }
}

fn state() -> RiskState {
    let mut r = RiskState::new(d("15000"));
    assert_eq!(r.add_venue(limits(), 0), Some(VenueId::new(0)));
    r
}

#[test]
fn collar_is_exact_at_the_edge() {
    let mut r = state();
    // 50 bps of 10 000 = 50 ticks.
    assert_eq!(r.check(VenueId::new(0), order(1, 10_050), 0), Ok(()));
    r.on_closed(VenueId::new(0));
    let over = r.check(VenueId::new(0), order(2, 10_051), 0);
    assert!(matches!(over, Err(RiskReject::Collar { .. })));
    assert_eq!(r.check(VenueId::new(0), order(3, 9_950), 0), Ok(()));
    let no_mid = Request::Order {
        client_id: 4,
        notional: d("1"),
        price_ticks: 10_000,
        mid_x2_ticks: None,
        reducing: false,
    };
    assert_eq!(r.check(VenueId::new(0), no_mid, 0), Err(RiskReject::NoMid));
}

#[test]
fn caps_ids_and_open_orders_fail_closed_and_change_nothing() {
    let mut r = state();
    assert_eq!(r.check(VenueId::new(0), order(1, 10_000), 0), Ok(()));
    let before = r.clone();
    assert_eq!(
        r.check(VenueId::new(0), order(1, 10_000), 0),
        Err(RiskReject::DuplicateId(1))
    );
    let big = Request::Order {
        client_id: 9,
        notional: d("10000.01"),
        price_ticks: 10_000,
        mid_x2_ticks: Some(20_000),
        reducing: false,
    };
    assert!(matches!(
        r.check(VenueId::new(0), big, 0),
        Err(RiskReject::OrderNotional { .. })
    ));
    assert_eq!(
        r.check(VenueId::new(7), order(2, 10_000), 0),
        Err(RiskReject::UnknownVenue(VenueId::new(7)))
    );
    assert_eq!(format!("{:?}", r), format!("{:?}", before));
    assert_eq!(r.check(VenueId::new(0), order(2, 10_000), 0), Ok(()));
    assert_eq!(
        r.check(VenueId::new(0), order(3, 10_000), 0),
        Err(RiskReject::OpenOrders(2))
    );
    r.on_closed(VenueId::new(0));
    assert_eq!(r.open_orders(VenueId::new(0)), Some(1));
    assert!(r.check_group(d("15000")).is_ok());
    assert!(matches!(
        r.check_group(d("15000.1")),
        Err(RiskReject::GroupNotional { .. })
    ));
}

#[test]
fn token_bucket_refills_exactly() {
    let mut r = state();
    // Burst 3: three messages at t=0, the fourth is refused.
    for _ in 0..3 {
        assert_eq!(r.check(VenueId::new(0), Request::Cancel, 0), Ok(()));
    }
    assert_eq!(
        r.check(VenueId::new(0), Request::Cancel, 0),
        Err(RiskReject::RateLimited)
    );
    // 10/s: one token after 100 ms, not before.
    assert_eq!(
        r.check(VenueId::new(0), Request::Cancel, 99_999_999),
        Err(RiskReject::RateLimited)
    );
    assert_eq!(
        r.check(VenueId::new(0), Request::Cancel, 100_000_000),
        Ok(())
    );
    assert_eq!(
        r.check(VenueId::new(0), Request::Cancel, 100_000_000),
        Err(RiskReject::RateLimited)
    );
    // A long pause refills to the burst, no more.
    for _ in 0..3 {
        assert_eq!(
            r.check(VenueId::new(0), Request::Cancel, 60_000_000_000),
            Ok(())
        );
    }
    assert_eq!(
        r.check(VenueId::new(0), Request::Cancel, 60_000_000_000),
        Err(RiskReject::RateLimited)
    );
}

#[test]
fn token_at_says_when_the_next_token_comes() {
    let mut r = state();
    assert_eq!(
        r.token_at(VenueId::new(0), 5),
        Some(5),
        "a full bucket: now"
    );
    for _ in 0..3 {
        r.check(VenueId::new(0), Request::Cancel, 0).unwrap();
    }
    // 10/s: the next token at 100 ms, and a check then passes.
    assert_eq!(r.token_at(VenueId::new(0), 0), Some(100_000_000));
    assert_eq!(r.token_at(VenueId::new(0), 40_000_000), Some(100_000_000));
    assert_eq!(
        r.check(VenueId::new(0), Request::Cancel, 100_000_000),
        Ok(())
    );
    assert_eq!(r.token_at(VenueId::new(0), 100_000_000), Some(200_000_000));
    assert_eq!(r.token_at(VenueId::new(7), 0), None, "unknown venue");
    let mut never = RiskState::new(d("1"));
    let limits = VenueLimits {
        msgs_per_sec: 0,
        ..limits()
    };
    never.add_venue(limits, 0).unwrap();
    assert_eq!(
        never.token_at(VenueId::new(0), 0),
        None,
        "a bucket that never refills"
    );
}

#[test]
fn kill_switch_states() {
    let mut r = state();
    r.set_switch(KillSwitch::Reducing);
    assert_eq!(
        r.check(VenueId::new(0), order(1, 10_000), 0),
        Err(RiskReject::ReducingOnly)
    );
    let reduce = Request::Order {
        client_id: 2,
        notional: d("1"),
        price_ticks: 10_000,
        mid_x2_ticks: Some(20_000),
        reducing: true,
    };
    assert_eq!(r.check(VenueId::new(0), reduce, 0), Ok(()));
    assert_eq!(r.check(VenueId::new(0), Request::Cancel, 0), Ok(()));
    r.set_switch(KillSwitch::Halted);
    let reduce = Request::Order {
        client_id: 3,
        notional: d("1"),
        price_ticks: 10_000,
        mid_x2_ticks: Some(20_000),
        reducing: true,
    };
    assert_eq!(r.check(VenueId::new(0), reduce, 0), Err(RiskReject::Halted));
    assert_eq!(r.check(VenueId::new(0), Request::Cancel, 0), Ok(()));
    assert_eq!(r.switch(), KillSwitch::Halted);
}

#[test]
fn duplicate_guard_remembers_the_last_ids() {
    let mut r = RiskState::new(d("1"));
    let wide = VenueLimits {
        max_open_orders: u32::MAX,
        msgs_per_sec: 1_000_000,
        burst: 1_000_000,
        ..limits()
    };
    r.add_venue(wide, 0);
    for id in 0..(ID_MEMORY as u64 + 10) {
        assert_eq!(r.check(VenueId::new(0), order(id, 10_000), 0), Ok(()));
    }
    // The oldest ids have left the window; the recent ones are still refused.
    assert_eq!(r.check(VenueId::new(0), order(0, 10_000), 0), Ok(()));
    let recent = ID_MEMORY as u64 + 9;
    assert_eq!(
        r.check(VenueId::new(0), order(recent, 10_000), 0),
        Err(RiskReject::DuplicateId(recent))
    );
    for _ in 0..MAX_VENUES {
        r.add_venue(limits(), 0);
    }
    assert_eq!(r.add_venue(limits(), 0), None);
}

#[test]
fn a_group_is_checked_as_one() {
    let mut r = state();
    let before = format!("{r:?}");
    // The third order exceeds the venue's two open orders: nothing is counted.
    let reqs = [
        (VenueId::new(0), order(1, 10_000)),
        (VenueId::new(0), order(2, 10_000)),
        (VenueId::new(0), order(3, 10_000)),
    ];
    assert_eq!(r.check_all(&reqs, 0), Err((2, RiskReject::OpenOrders(2))));
    assert_eq!(format!("{r:?}"), before);
    // Duplicate ids inside one group are caught too.
    let reqs = [
        (VenueId::new(0), order(5, 10_000)),
        (VenueId::new(0), order(5, 10_000)),
    ];
    assert_eq!(r.check_all(&reqs, 0), Err((1, RiskReject::DuplicateId(5))));
    assert_eq!(r.check_all(&reqs[..1], 0), Ok(()));
    assert_eq!(r.open_orders(VenueId::new(0)), Some(1));
}

#[test]
fn a_reducing_order_passes_the_size_and_open_order_caps_but_not_the_collar() {
    // An unwind reduces a position the caps admitted at entry: refusing it because the
    // price moved or orders are still open would leave the position wrong.
    let mut r = state();
    let unwind = |client_id, notional: &str, price_ticks| Request::Order {
        client_id,
        notional: d(notional),
        price_ticks,
        mid_x2_ticks: Some(20_000),
        reducing: true,
    };
    assert_eq!(r.check(VenueId::new(0), order(1, 10_000), 0), Ok(()));
    assert_eq!(r.check(VenueId::new(0), order(2, 10_000), 0), Ok(()));
    assert_eq!(
        r.check(VenueId::new(0), unwind(3, "10000.01", 10_000), 0),
        Ok(())
    );
    assert_eq!(
        r.open_orders(VenueId::new(0)),
        Some(3),
        "still counted open"
    );
    assert_eq!(
        r.check(VenueId::new(0), order(4, 10_000), 0),
        Err(RiskReject::OpenOrders(3)),
        "a new position is still capped"
    );
    assert!(matches!(
        r.check(VenueId::new(0), unwind(5, "1000", 10_051), 1_000_000_000),
        Err(RiskReject::Collar { .. })
    ));
    assert_eq!(
        r.check(VenueId::new(0), unwind(3, "1000", 10_000), 1_000_000_000),
        Err(RiskReject::DuplicateId(3))
    );
}

#[test]
fn a_venue_near_its_own_rate_limit_starts_no_new_group() {
    let mut r = state();
    let v = VenueId::new(0);
    assert_eq!(r.venue_load(v), Some(0));
    r.set_venue_load(v, VENUE_LOAD_LIMIT_PERMILLE);
    let entry = [(v, order(1, 10_000))];
    assert_eq!(
        r.check_all(&entry, 0),
        Err((0, RiskReject::VenueLoad(VENUE_LOAD_LIMIT_PERMILLE)))
    );
    assert_eq!(r.open_orders(v), Some(0), "a refusal changes nothing");
    // An unwind still goes, and so does a started group's order (`check`).
    let unwind = Request::Order {
        client_id: 2,
        notional: d("1000"),
        price_ticks: 10_000,
        mid_x2_ticks: Some(20_000),
        reducing: true,
    };
    assert_eq!(r.check_all(&[(v, unwind)], 0), Ok(()));
    assert_eq!(r.check(v, order(3, 10_000), 0), Ok(()));
    // Eased: new groups again (once the open-order cap has room).
    r.on_closed(v);
    r.on_closed(v);
    r.set_venue_load(v, VENUE_LOAD_LIMIT_PERMILLE - 1);
    assert_eq!(r.check_all(&[(v, order(4, 10_000))], 1_000_000_000), Ok(()));
    r.set_venue_load(VenueId::new(7), 999); // an unknown venue: ignored
}
