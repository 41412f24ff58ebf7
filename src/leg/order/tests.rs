use super::*;

/// The table written out a second time, independently, as a matrix: rows are
/// `OrderState::ALL`, columns `EventKind::ALL`
/// (Sent Accepted Rejected PartialFill FinalFill CancelRequested CancelAcked
/// CancelRejected Expired TimedOut StatusNotFound StatusOpen StatusClosed);
/// a cell is the next state's code or `-` for refused.
/// Codes: P pending, S submitted, W working, f partially filled, c cancel pending,
/// X filled, K cancelled, R rejected, E expired, U unknown.
const MATRIX: [&str; 10] = [
    /* Pending         */ "S-R--K-------",
    /* Submitted       */ "-WRfXc--EURWK",
    /* Working         */ "---fXcK-EU-WK",
    /* PartiallyFilled */ "---fXcK-EU-fK",
    /* CancelPending   */ "-cRcX-KWEU-cK",
    /* Filled          */ "-------------",
    /* Cancelled       */ "---fX--------",
    /* Rejected        */ "-------------",
    /* Expired         */ "---EX--------",
    /* Unknown         */ "-WRfX-K-EURWK",
];

fn code(s: OrderState) -> char {
    match s {
        OrderState::Pending => 'P',
        OrderState::Submitted => 'S',
        OrderState::Working => 'W',
        OrderState::PartiallyFilled => 'f',
        OrderState::CancelPending => 'c',
        OrderState::Filled => 'X',
        OrderState::Cancelled => 'K',
        OrderState::Rejected => 'R',
        OrderState::Expired => 'E',
        OrderState::Unknown => 'U',
    }
}

#[test]
fn table_matches_the_matrix_for_every_pair() {
    for (row, state) in OrderState::ALL.iter().enumerate() {
        let cells: Vec<char> = MATRIX[row].chars().collect();
        assert_eq!(cells.len(), EventKind::ALL.len());
        for (col, event) in EventKind::ALL.iter().enumerate() {
            let got = transition(*state, *event).map_or('-', code);
            assert_eq!(got, cells[col], "{state:?} + {event:?}");
        }
    }
}

fn in_state(state: OrderState) -> Order {
    let mut o = Order::new(10).unwrap();
    o.state = state;
    o
}

fn fill(trade_id: u64, qty_lots: i64) -> Fill {
    Fill {
        trade_id,
        qty_lots,
        price_ticks: 1000,
        liquidity: Liquidity::Taker,
        at_ns: 0,
    }
}

/// A representative event of each kind for an order of 10 lots with nothing filled.
fn event(kind: EventKind) -> OrderEvent {
    match kind {
        EventKind::Sent => OrderEvent::Sent,
        EventKind::Accepted => OrderEvent::Accepted,
        EventKind::Rejected => OrderEvent::Rejected,
        EventKind::PartialFill => OrderEvent::Filled(fill(1, 4)),
        EventKind::FinalFill => OrderEvent::Filled(fill(1, 10)),
        EventKind::CancelRequested => OrderEvent::CancelRequested,
        EventKind::CancelAcked => OrderEvent::CancelAcked { filled_lots: 0 },
        EventKind::CancelRejected => OrderEvent::CancelRejected,
        EventKind::Expired => OrderEvent::Expired { filled_lots: 0 },
        EventKind::TimedOut => OrderEvent::TimedOut,
        EventKind::StatusNotFound => OrderEvent::Status(VenueStatus::NotFound),
        EventKind::StatusOpen => OrderEvent::Status(VenueStatus::Open { filled_lots: 0 }),
        EventKind::StatusClosed => OrderEvent::Status(VenueStatus::Closed { filled_lots: 0 }),
    }
}

#[test]
fn every_pair_through_order_apply() {
    for state in OrderState::ALL {
        for kind in EventKind::ALL {
            let mut o = in_state(state);
            let before = o.clone();
            match (transition(state, kind), o.apply(event(kind), 5)) {
                (Some(next), Ok(got)) => {
                    assert_eq!(got, next, "{state:?} + {kind:?}");
                    assert_eq!(o.state(), next);
                }
                (None, Err(e)) => {
                    let want = OrderError::InvalidTransition { state, event: kind };
                    assert_eq!(e, want);
                    assert_eq!(o, before, "{state:?} + {kind:?} changed a refused order");
                }
                (t, r) => panic!("{state:?} + {kind:?}: table {t:?}, apply {r:?}"),
            }
        }
    }
}

#[test]
fn overfills_are_refused() {
    let mut o = in_state(OrderState::Working);
    assert_eq!(
        o.apply(OrderEvent::Filled(fill(7, 4)), 1),
        Ok(OrderState::PartiallyFilled)
    );
    let before = o.clone();
    let over = OrderError::Overfill {
        filled_lots: 4,
        fill_lots: 7,
        target_lots: 10,
    };
    assert_eq!(o.apply(OrderEvent::Filled(fill(8, 7)), 3), Err(over));
    assert_eq!(o, before);
    assert_eq!(
        o.apply(OrderEvent::Filled(fill(8, 6)), 4),
        Ok(OrderState::Filled)
    );
    assert_eq!((o.filled_lots(), o.notional_tl()), (10, 10_000));
    assert_eq!(o.stamps().first_fill_ns, 1);
    assert_eq!(o.stamps().done_ns, 4);
    assert!(o.apply(OrderEvent::Filled(fill(9, 0)), 5).is_err());
}

#[test]
fn a_fill_after_the_cancel_ack_is_counted() {
    let mut o = in_state(OrderState::CancelPending);
    assert_eq!(
        o.apply(OrderEvent::CancelAcked { filled_lots: 0 }, 1),
        Ok(OrderState::Cancelled)
    );
    assert_eq!(
        o.apply(OrderEvent::Filled(fill(1, 3)), 2),
        Ok(OrderState::PartiallyFilled)
    );
    assert_eq!(o.filled_lots(), 3);
    let mut o = in_state(OrderState::Cancelled);
    assert_eq!(
        o.apply(OrderEvent::Filled(fill(1, 10)), 2),
        Ok(OrderState::Filled)
    );
}

#[test]
fn unknown_is_resolved_only_by_the_venue() {
    let mut o = Order::new(10).unwrap();
    o.apply(OrderEvent::Sent, 1).unwrap();
    assert_eq!(o.apply(OrderEvent::TimedOut, 2), Ok(OrderState::Unknown));
    // Nothing we do ourselves moves it.
    for ev in [
        OrderEvent::Sent,
        OrderEvent::CancelRequested,
        OrderEvent::CancelRejected,
    ] {
        assert!(o.apply(ev, 3).is_err());
    }
    // The venue says it is open with 6 filled: partially filled, exposure 6.
    let st = OrderEvent::Status(VenueStatus::Open { filled_lots: 6 });
    assert_eq!(o.apply(st, 4), Ok(OrderState::PartiallyFilled));
    assert_eq!((o.filled_lots(), o.exposure_lots()), (0, 6));
    // Closed with everything filled is Filled, not Cancelled.
    let mut o = in_state(OrderState::Unknown);
    let st = OrderEvent::Status(VenueStatus::Closed { filled_lots: 10 });
    assert_eq!(o.apply(st, 4), Ok(OrderState::Filled));
    let mut o = in_state(OrderState::Unknown);
    let st = OrderEvent::Status(VenueStatus::Open { filled_lots: 11 });
    assert!(matches!(o.apply(st, 4), Err(OrderError::Malformed(_))));
}

#[test]
fn cancel_rejected_with_fills_stays_partial() {
    let mut o = in_state(OrderState::Working);
    o.apply(OrderEvent::Filled(fill(1, 2)), 1).unwrap();
    o.apply(OrderEvent::CancelRequested, 2).unwrap();
    assert_eq!(
        o.apply(OrderEvent::CancelRejected, 3),
        Ok(OrderState::PartiallyFilled)
    );
}

#[test]
fn zero_sized_orders_are_refused() {
    assert!(Order::new(0).is_err());
}

#[test]
fn a_late_fill_covered_by_a_cumulative_report_is_recorded_without_a_transition() {
    let mut o = in_state(OrderState::Submitted);
    let closed = OrderEvent::Status(VenueStatus::Closed { filled_lots: 10 });
    assert_eq!(o.apply(closed, 1), Ok(OrderState::Filled));
    assert_eq!((o.exposure_lots(), o.filled_lots()), (10, 0));
    assert_eq!(
        o.apply(OrderEvent::Filled(fill(1, 4)), 2),
        Ok(OrderState::Filled)
    );
    assert_eq!(
        o.apply(OrderEvent::Filled(fill(2, 6)), 3),
        Ok(OrderState::Filled)
    );
    assert_eq!((o.exposure_lots(), o.filled_lots()), (10, 10));
    assert!(
        o.apply(OrderEvent::Filled(fill(3, 1)), 4).is_err(),
        "overfill"
    );
    // A cancel ack with 3 filled: the late fill of 3 keeps it cancelled.
    let mut o = in_state(OrderState::CancelPending);
    let ack = OrderEvent::CancelAcked { filled_lots: 3 };
    assert_eq!(o.apply(ack, 1), Ok(OrderState::Cancelled));
    assert_eq!(
        o.apply(OrderEvent::Filled(fill(1, 3)), 2),
        Ok(OrderState::Cancelled)
    );
    assert_eq!(o.filled_lots(), 3);
}
