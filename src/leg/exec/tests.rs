use super::*;
use crate::leg::order::{Fill, Liquidity, OrderError, VenueStatus, MAX_FILLS};

type Out = ArrayVec<Command, 4>;

fn arrival(rec: Recommendation) -> Arrival {
    // bid 9 999, ask 10 001: mid 10 000 ticks.
    Arrival {
        bid_ticks: 9_999,
        ask_ticks: 10_001,
        recommendation: rec,
        expected_price_ticks: None,
    }
}

fn fill(trade_id: u64, qty_lots: i64, price_ticks: i64) -> OrderEvent {
    OrderEvent::Filled(Fill {
        trade_id,
        qty_lots,
        price_ticks,
        liquidity: Liquidity::Maker,
        at_ns: 0,
    })
}

fn leg(side: OrderSide, mode: Mode) -> Leg {
    Leg::new(side, 10, mode, Ratio::from_num(25), false).unwrap()
}

const FALLBACK: Mode = Mode::LimitWithFallback { timeout_ns: 1_000 };

#[test]
fn limit_then_market_after_a_confirmed_cancel() {
    let mut l = leg(OrderSide::Buy, FALLBACK);
    let mut out = Out::new();
    l.start(arrival(Recommendation::UseLimit), 0, &mut out)
        .unwrap();
    let post = Command::Submit {
        slot: 0,
        side: OrderSide::Buy,
        price_ticks: 10_000, // best ask − 1 tick
        qty_lots: 10,
        tif: Tif::PostOnly,
        reduce_only: false,
    };
    assert_eq!(out.as_slice(), &[post]);
    assert_eq!(l.next_deadline(), Some(1_000));
    out.clear();
    l.on_order(0, OrderEvent::Accepted, 10, &mut out).unwrap();
    l.on_order(0, fill(1, 4, 10_000), 20, &mut out).unwrap();
    l.on_timeout(999, &mut out).unwrap();
    assert!(out.is_empty(), "not before the deadline");
    l.on_timeout(1_000, &mut out).unwrap();
    assert_eq!(out.as_slice(), &[Command::Cancel { slot: 0 }]);
    out.clear();
    // No fallback until the venue confirms the cancel.
    l.on_order(0, fill(2, 1, 10_000), 1_010, &mut out).unwrap();
    assert!(out.is_empty());
    l.on_order(
        0,
        OrderEvent::CancelAcked { filled_lots: 5 },
        1_020,
        &mut out,
    )
    .unwrap();
    // Protection: mid 10 000 × (1 + 25 bps) = 10 025, for the 5 lots left.
    let ioc = Command::Submit {
        slot: 1,
        side: OrderSide::Buy,
        price_ticks: 10_025,
        qty_lots: 5,
        tif: Tif::Ioc,
        reduce_only: false,
    };
    assert_eq!(out.as_slice(), &[ioc]);
    out.clear();
    l.on_order(1, fill(3, 5, 10_003), 1_030, &mut out).unwrap();
    assert!(l.is_done());
    assert_eq!((l.filled_lots(), l.excess_lots()), (10, 0));
    assert_eq!(l.notional_tl(), 5 * 10_000 + 5 * 10_003);
    assert_eq!(l.route(), Some(Route::LimitThenMarket));
}

/// The book moves 2 % up while the passive buy rests: the fallback IOC is priced on the
/// top the leg last saw (issue 11, item 6), given by `observe` or `on_book`, not on the
/// arrival, which stays the slippage reference.
#[test]
fn the_fallback_is_priced_on_the_book_as_it_is_then() {
    let mut l = leg(OrderSide::Buy, FALLBACK);
    let mut out = Out::new();
    l.start(arrival(Recommendation::UseLimit), 0, &mut out)
        .unwrap();
    l.on_order(0, OrderEvent::Accepted, 10, &mut out).unwrap();
    out.clear();
    l.observe(Arrival {
        bid_ticks: 10_199,
        ask_ticks: 10_201,
        ..arrival(Recommendation::UseLimit)
    });
    l.on_timeout(1_000, &mut out).unwrap();
    out.clear();
    let acked = OrderEvent::CancelAcked { filled_lots: 0 };
    l.on_order(0, acked, 1_010, &mut out).unwrap();
    // Mid 10 200 × (1 + 25 bps) = 10 225.5, down to 10 225: above the new ask.
    assert!(matches!(
        out.as_slice(),
        [Command::Submit {
            slot: 1,
            price_ticks: 10_225,
            qty_lots: 10,
            tif: Tif::Ioc,
            ..
        }]
    ));
    assert_eq!(l.protection_ticks(), 10_225);
    assert_eq!(l.arrival().map(|a| a.ask_ticks), Some(10_001));
    // A crossed or empty top is not taken.
    l.observe(Arrival {
        bid_ticks: 10_300,
        ask_ticks: 10_300,
        ..arrival(Recommendation::UseLimit)
    });
    assert_eq!(l.passive_price(), 10_200);
}

#[test]
fn cancel_fill_race_sends_no_fallback() {
    // Hummingbot 8094: the passive order fills while its cancel is in flight.
    let mut l = leg(OrderSide::Sell, FALLBACK);
    let mut out = Out::new();
    l.start(arrival(Recommendation::UseLimit), 0, &mut out)
        .unwrap();
    assert!(matches!(
        out[0],
        Command::Submit {
            price_ticks: 10_000,
            ..
        }
    )); // bid + 1
    l.on_order(0, OrderEvent::Accepted, 1, &mut out).unwrap();
    out.clear();
    l.on_timeout(1_000, &mut out).unwrap();
    out.clear();
    l.on_order(0, fill(1, 10, 10_000), 1_001, &mut out).unwrap();
    assert!(out.is_empty());
    assert!(l.is_done());
    // The cancel's rejection arrives late and is refused as invalid; nothing changes.
    assert!(l
        .on_order(0, OrderEvent::CancelRejected, 1_002, &mut out)
        .is_err());
    assert_eq!(l.filled_lots(), 10);
}

#[test]
fn a_fill_after_the_fallback_is_excess() {
    let mut l = leg(OrderSide::Buy, FALLBACK);
    let mut out = Out::new();
    l.start(arrival(Recommendation::UseLimit), 0, &mut out)
        .unwrap();
    l.on_order(0, OrderEvent::Accepted, 1, &mut out).unwrap();
    l.on_timeout(1_000, &mut out).unwrap();
    l.on_order(
        0,
        OrderEvent::CancelAcked { filled_lots: 0 },
        1_001,
        &mut out,
    )
    .unwrap();
    l.on_order(1, fill(9, 10, 10_010), 1_002, &mut out).unwrap();
    assert!(l.is_done());
    // The venue had matched the passive order before the cancel: reported late.
    l.on_order(0, fill(1, 3, 10_000), 1_003, &mut out).unwrap();
    assert_eq!((l.filled_lots(), l.excess_lots()), (13, 3));
}

#[test]
fn market_only_is_an_ioc_at_the_protection_price() {
    let mut l = Leg::new(
        OrderSide::Sell,
        10,
        Mode::MarketOnly,
        Ratio::from_num(0.5),
        true,
    )
    .unwrap();
    let mut out = Out::new();
    l.start(arrival(Recommendation::HighSlippageWarning), 0, &mut out)
        .unwrap();
    // mid 10 000 × (1 − 0.5 bps) = 9 999.5 → up, away from the market: 10 000.
    let ioc = Command::Submit {
        slot: 0,
        side: OrderSide::Sell,
        price_ticks: 10_000,
        qty_lots: 10,
        tif: Tif::Ioc,
        reduce_only: true,
    };
    assert_eq!(out.as_slice(), &[ioc]);
    assert_eq!(
        l.next_deadline(),
        Some(DEFAULT_REQUEST_TIMEOUT_NS),
        "an answer is owed"
    );
    l.on_order(0, fill(1, 6, 10_000), 1, &mut out).unwrap();
    assert!(!l.is_done());
    l.on_order(0, OrderEvent::Expired { filled_lots: 6 }, 2, &mut out)
        .unwrap();
    assert!(l.is_done());
    assert_eq!(l.filled_lots(), 6);
}

#[test]
fn protection_rounds_away_from_the_market() {
    // Odd mid×2: mid 10 000.5; buy +10 bps = 10 010.5005 → 10 010; sell → 9 990.4995 → 9 991.
    assert_eq!(
        protection(OrderSide::Buy, 20_001, Ratio::from_num(10)),
        10_010
    );
    assert_eq!(
        protection(OrderSide::Sell, 20_001, Ratio::from_num(10)),
        9_991
    );
    assert_eq!(protection(OrderSide::Buy, 20_000, Ratio::ZERO), 10_000);
    assert_eq!(protection(OrderSide::Sell, 2, Ratio::from_num(9_999)), 1);
}

#[test]
fn adaptive_follows_the_preflight() {
    let mode = Mode::Adaptive { timeout_ns: 5 };
    let mut out = Out::new();
    let mut l = leg(OrderSide::Buy, mode);
    l.start(arrival(Recommendation::UseLimit), 0, &mut out)
        .unwrap();
    assert_eq!(l.route(), Some(Route::LimitThenMarket));
    for rec in [
        Recommendation::UseMarketAcceptable,
        Recommendation::HighSlippageWarning,
        Recommendation::InsufficientDepth,
    ] {
        let mut l = leg(OrderSide::Buy, mode);
        l.start(arrival(rec), 0, &mut Out::new()).unwrap();
        assert_eq!(l.route(), Some(Route::Market), "{rec}");
    }
}

#[test]
fn a_refused_post_only_falls_back_or_ends() {
    let mut out = Out::new();
    let mut l = leg(OrderSide::Buy, FALLBACK);
    l.start(arrival(Recommendation::UseLimit), 0, &mut out)
        .unwrap();
    out.clear();
    l.on_order(0, OrderEvent::Rejected, 1, &mut out).unwrap();
    assert!(matches!(
        out[0],
        Command::Submit {
            slot: 1,
            tif: Tif::Ioc,
            qty_lots: 10,
            ..
        }
    ));
    let mut l = leg(OrderSide::Buy, Mode::LimitOnly { timeout_ns: 5 });
    l.start(arrival(Recommendation::UseLimit), 0, &mut out)
        .unwrap();
    out.clear();
    l.on_order(0, OrderEvent::Rejected, 1, &mut out).unwrap();
    assert!(out.is_empty() && l.is_done() && l.filled_lots() == 0);
}

#[test]
fn bad_calls_change_nothing() {
    assert!(Leg::new(OrderSide::Buy, 0, FALLBACK, Ratio::ZERO, false).is_err());
    assert!(Leg::new(OrderSide::Buy, 1, FALLBACK, Ratio::from_num(-1), false).is_err());
    let mut l = leg(OrderSide::Buy, FALLBACK);
    let crossed = Arrival {
        bid_ticks: 10,
        ask_ticks: 10,
        recommendation: Recommendation::UseLimit,
        expected_price_ticks: None,
    };
    assert!(l.start(crossed, 0, &mut Out::new()).is_err());
    let mut full: ArrayVec<Command, 1> = ArrayVec::new();
    full.push(Command::Cancel { slot: 9 });
    assert_eq!(
        l.start(arrival(Recommendation::UseLimit), 0, &mut full),
        Err(LegError::BufferFull)
    );
    assert_eq!(l.route(), None);
    let mut out = Out::new();
    l.start(arrival(Recommendation::UseLimit), 0, &mut out)
        .unwrap();
    let again = l.start(arrival(Recommendation::UseLimit), 0, &mut out);
    assert_eq!(again, Err(LegError::AlreadyStarted));
    assert_eq!(
        l.on_order(5, OrderEvent::Accepted, 1, &mut out),
        Err(LegError::NoSuchSlot(5))
    );
}

fn taker_fill(trade_id: u64, qty_lots: i64, price_ticks: i64) -> OrderEvent {
    OrderEvent::Filled(Fill {
        trade_id,
        qty_lots,
        price_ticks,
        liquidity: Liquidity::Taker,
        at_ns: 0,
    })
}

#[test]
fn a_lost_answer_is_queried_until_the_venue_says() {
    let mut l = leg(OrderSide::Buy, Mode::MarketOnly).with_request_timeout(100);
    let mut out = Out::new();
    l.start(arrival(Recommendation::UseMarketAcceptable), 0, &mut out)
        .unwrap();
    out.clear();
    assert_eq!(l.next_deadline(), Some(100));
    l.on_timeout(99, &mut out).unwrap();
    assert!(out.is_empty());
    l.on_timeout(100, &mut out).unwrap();
    assert_eq!(out.as_slice(), &[Command::Query { slot: 0 }]);
    assert_eq!(l.order(0).unwrap().state(), OrderState::Unknown);
    // The query is lost too: asked again after twice the timeout, then four times, never
    // guessed.
    out.clear();
    assert_eq!(l.next_deadline(), Some(300));
    l.on_timeout(299, &mut out).unwrap();
    assert!(out.is_empty());
    l.on_timeout(300, &mut out).unwrap();
    assert_eq!(out.as_slice(), &[Command::Query { slot: 0 }]);
    assert_eq!(l.next_deadline(), Some(700));
    assert!(!l.is_done());
    // The venue had filled 4 of 10 and closed it: the exposure counts them at once.
    let closed = OrderEvent::Status(VenueStatus::Closed { filled_lots: 4 });
    l.on_order(0, closed, 350, &mut out).unwrap();
    assert!(l.is_done());
    assert_eq!((l.filled_lots(), l.reported_lots()), (4, 0));
    assert_eq!(l.next_deadline(), None);
    // The fill report arrives later: counted once.
    l.on_order(0, taker_fill(7, 4, 10_010), 300, &mut out)
        .unwrap();
    assert_eq!((l.filled_lots(), l.reported_lots()), (4, 4));
}

#[test]
fn a_passive_timeout_while_unknown_cancels_once_the_order_is_known() {
    let mut l = leg(OrderSide::Sell, FALLBACK).with_request_timeout(300);
    let mut out = Out::new();
    l.start(arrival(Recommendation::UseLimit), 0, &mut out)
        .unwrap();
    out.clear();
    l.on_timeout(300, &mut out).unwrap(); // no ack: query
    assert_eq!(out.as_slice(), &[Command::Query { slot: 0 }]);
    out.clear();
    l.on_timeout(1_000, &mut out).unwrap(); // passive timeout, still unknown
    assert_eq!(out.as_slice(), &[Command::Query { slot: 0 }]);
    out.clear();
    let open = OrderEvent::Status(VenueStatus::Open { filled_lots: 0 });
    l.on_order(0, open, 1_100, &mut out).unwrap();
    assert_eq!(out.as_slice(), &[Command::Cancel { slot: 0 }]);
    out.clear();
    // The cancel's answer is lost; the query finds the order still open: cancel again.
    l.on_timeout(1_400, &mut out).unwrap();
    assert_eq!(out.as_slice(), &[Command::Query { slot: 0 }]);
    out.clear();
    l.on_order(0, open, 1_500, &mut out).unwrap();
    assert_eq!(out.as_slice(), &[Command::Cancel { slot: 0 }]);
    out.clear();
    l.on_order(
        0,
        OrderEvent::CancelAcked { filled_lots: 0 },
        1_600,
        &mut out,
    )
    .unwrap();
    assert!(matches!(
        out.as_slice(),
        [Command::Submit {
            slot: 1,
            tif: Tif::Ioc,
            qty_lots: 10,
            ..
        }]
    ));
}

#[test]
fn chase_reposts_after_each_confirmed_cancel_then_falls_back() {
    let mode = Mode::Chase {
        timeout_ns: 10_000,
        max_reprices: 2,
        refresh_ticks: 2,
    };
    let mut l = leg(OrderSide::Buy, mode);
    let mut out = Out::new();
    l.start(arrival(Recommendation::UseLimit), 0, &mut out)
        .unwrap();
    assert_eq!(l.route(), Some(Route::Chase));
    out.clear();
    l.on_order(0, OrderEvent::Accepted, 1, &mut out).unwrap();
    l.on_order(0, fill(1, 3, 10_000), 2, &mut out).unwrap();
    let top = |bid, ask| Arrival {
        bid_ticks: bid,
        ask_ticks: ask,
        recommendation: Recommendation::UseLimit,
        expected_price_ticks: None,
    };
    // One tick away: below refresh_ticks, nothing.
    l.on_book(top(10_000, 10_002), 3, &mut out).unwrap();
    assert!(out.is_empty());
    // The ask rises 3 ticks: passive price 10 003, 3 ≥ 2 away: cancel first.
    l.on_book(top(10_002, 10_004), 4, &mut out).unwrap();
    assert_eq!(out.as_slice(), &[Command::Cancel { slot: 0 }]);
    out.clear();
    // More moves while cancelling change nothing yet; the repost uses the latest top.
    l.on_book(top(10_003, 10_005), 5, &mut out).unwrap();
    assert!(out.is_empty());
    l.on_order(0, OrderEvent::CancelAcked { filled_lots: 3 }, 6, &mut out)
        .unwrap();
    let repost = Command::Submit {
        slot: 1,
        side: OrderSide::Buy,
        price_ticks: 10_004,
        qty_lots: 7,
        tif: Tif::PostOnly,
        reduce_only: false,
    };
    assert_eq!(out.as_slice(), &[repost]);
    out.clear();
    // The repost is refused (the book moved again): repost once more, the last one.
    l.on_book(top(10_005, 10_007), 7, &mut out).unwrap();
    l.on_order(1, OrderEvent::Rejected, 8, &mut out).unwrap();
    assert!(matches!(
        out.as_slice(),
        [Command::Submit {
            slot: 2,
            price_ticks: 10_006,
            tif: Tif::PostOnly,
            ..
        }]
    ));
    out.clear();
    assert_eq!(l.reprices(), 2);
    l.on_order(2, OrderEvent::Accepted, 9, &mut out).unwrap();
    l.on_book(top(10_010, 10_012), 10, &mut out).unwrap();
    assert!(out.is_empty(), "reposts used up: wait for the timeout");
    l.on_timeout(10_000, &mut out).unwrap();
    assert_eq!(out.as_slice(), &[Command::Cancel { slot: 2 }]);
    out.clear();
    l.on_order(
        2,
        OrderEvent::CancelAcked { filled_lots: 0 },
        10_001,
        &mut out,
    )
    .unwrap();
    // Remainder 7 as an IOC at the protection of the book now: mid 10 011 + 25 bps =
    // 10 036.03, down to 10 036 (the arrival's 10 025 would sit under the ask).
    assert!(matches!(
        out.as_slice(),
        [Command::Submit {
            slot: 3,
            price_ticks: 10_036,
            qty_lots: 7,
            tif: Tif::Ioc,
            ..
        }]
    ));
    assert!(Leg::new(
        OrderSide::Buy,
        1,
        Mode::Chase {
            timeout_ns: 1,
            max_reprices: MAX_REPRICES + 1,
            refresh_ticks: 1
        },
        Ratio::ZERO,
        false
    )
    .is_err());
}

#[test]
fn fees_are_charged_by_liquidity_per_fill() {
    let fees = Fees {
        maker_e8: -1_000, // 0.001 % rebate
        taker_e8: 40_000, // 0.04 %
    };
    let mut l = leg(OrderSide::Buy, FALLBACK).with_fees(fees);
    let mut out = Out::new();
    l.start(arrival(Recommendation::UseLimit), 0, &mut out)
        .unwrap();
    l.on_order(0, OrderEvent::Accepted, 1, &mut out).unwrap();
    l.on_order(0, fill(1, 4, 10_000), 2, &mut out).unwrap();
    l.on_timeout(1_000, &mut out).unwrap();
    l.on_order(
        0,
        OrderEvent::CancelAcked { filled_lots: 4 },
        1_001,
        &mut out,
    )
    .unwrap();
    l.on_order(1, taker_fill(2, 6, 10_010), 1_002, &mut out)
        .unwrap();
    let maker = 4 * 10_000 * -1_000i128;
    let taker = 6 * 10_010 * 40_000i128;
    assert_eq!(l.fees_tl_e8(), maker + taker);
}

#[test]
fn fills_are_deduplicated_by_trade_id_across_the_legs_orders() {
    let mut l = Leg::new(OrderSide::Buy, 1_000, FALLBACK, Ratio::from_num(25), false).unwrap();
    let mut out = Out::new();
    l.start(arrival(Recommendation::UseLimit), 0, &mut out)
        .unwrap();
    l.on_order(0, fill(7, 4, 10_000), 1, &mut out).unwrap();
    let before = format!("{l:?}");
    let dup = l.on_order(0, fill(7, 4, 10_000), 2, &mut out);
    assert_eq!(dup, Err(LegError::Order(OrderError::DuplicateFill(7))));
    assert_eq!(format!("{l:?}"), before, "a duplicate changes nothing");
}

#[test]
fn every_fill_counts_past_the_dedupe_window() {
    // A leg with many more small fills than the trade ids it remembers (issue 11 #8).
    let n = 4 * MAX_FILLS as u64;
    let mut l = Leg::new(OrderSide::Buy, 1_000, FALLBACK, Ratio::from_num(25), false).unwrap();
    l = l.with_fees(Fees {
        maker_e8: 2_000,
        taker_e8: 0,
    });
    let mut out = Out::new();
    l.start(arrival(Recommendation::UseLimit), 0, &mut out)
        .unwrap();
    for id in 100..100 + n {
        l.on_order(0, fill(id, 1, 10_000), 3, &mut out).unwrap();
    }
    assert_eq!(l.reported_lots(), n as i64, "no fill refused");
    assert_eq!(l.notional_tl(), i128::from(n) * 10_000);
    assert_eq!(l.fees_tl_e8(), i128::from(n) * 10_000 * 2_000);
    // Recent ids are still deduplicated exactly.
    let before = format!("{l:?}");
    let last = 100 + n - 1;
    let dup = l.on_order(0, fill(last, 1, 10_000), 4, &mut out);
    assert_eq!(dup, Err(LegError::Order(OrderError::DuplicateFill(last))));
    assert_eq!(format!("{l:?}"), before, "a duplicate changes nothing");
    // An id below the window cannot be told from a duplicate: refused, and counted.
    assert_eq!(l.unverified_fills(), 0);
    let r = l.on_order(0, fill(100, 1, 10_000), 5, &mut out);
    assert!(
        matches!(
            r,
            Err(LegError::Order(OrderError::UnverifiableFill {
                trade_id: 100,
                ..
            }))
        ),
        "{r:?}"
    );
    assert_eq!(l.unverified_fills(), 1);
    assert_eq!(l.reported_lots(), n as i64);
    // A reordered fill inside the window (an id never seen, above the floor) is new.
    let mut l = Leg::new(OrderSide::Buy, 1_000, FALLBACK, Ratio::from_num(25), false).unwrap();
    l.start(arrival(Recommendation::UseLimit), 0, &mut out)
        .unwrap();
    let held = 10 + n - 5; // overtaken by 4 later fills, well inside the window
    for id in (10..10 + n).filter(|&id| id != held) {
        l.on_order(0, fill(id, 1, 10_000), 3, &mut out).unwrap();
    }
    l.on_order(0, fill(held, 1, 10_000), 4, &mut out).unwrap();
    assert_eq!(l.reported_lots(), n as i64);
    assert_eq!(l.unverified_fills(), 0);
}

proptest::proptest! {
    #[test]
    fn the_fast_protection_path_equals_the_exact_one(
        mid_x2 in 1i64..(1 << 40),
        bits in 0i128..(10_000i128 << 64),
        buy in proptest::bool::ANY,
    ) {
        let side = if buy { OrderSide::Buy } else { OrderSide::Sell };
        let bps = Ratio::from_bits(bits);
        proptest::prop_assert_eq!(
            protection(side, mid_x2, bps),
            protection_exact(side, mid_x2, bps)
        );
    }
}

#[test]
fn a_silent_venue_is_given_up_on_after_the_silence_limit() {
    // Issue 11 #10: the cancel and every query go unanswered.
    let mut l = leg(OrderSide::Buy, Mode::LimitOnly { timeout_ns: 500 }).with_request_timeout(100);
    l.set_silence_limit(1_000);
    let mut out = Out::new();
    l.start(arrival(Recommendation::UseLimit), 0, &mut out)
        .unwrap();
    l.on_order(0, OrderEvent::Accepted, 10, &mut out).unwrap();
    l.on_order(0, fill(1, 2, 10_000), 20, &mut out).unwrap();
    out.clear();
    let mut sent = Vec::new();
    for _ in 0..64 {
        let Some(d) = l.next_deadline() else { break };
        assert!(d <= 1_500, "waited past the silence limit: {d}");
        l.on_timeout(d, &mut out).unwrap();
        sent.extend(out.drain(..).map(|c| (d, c)));
    }
    // The cancel at the timeout, queries after 100, 200 and 400 ns of silence, then
    // nothing: the venue has been silent about the cancel for 1 000 ns.
    let q = Command::Query { slot: 0 };
    let want = [
        (500, Command::Cancel { slot: 0 }),
        (600, q),
        (800, q),
        (1_200, q),
    ];
    assert_eq!(sent, want);
    assert!(l.is_done() && l.is_silent());
    assert_eq!(l.next_deadline(), None, "no wait left");
    assert_eq!(l.filled_lots(), 2, "what the venue reported stays");
    // The venue comes back: its report is applied, and an order it shows open is
    // cancelled.
    let open = OrderEvent::Status(VenueStatus::Open { filled_lots: 3 });
    l.on_order(0, open, 2_000, &mut out).unwrap();
    assert_eq!(out.as_slice(), &[Command::Cancel { slot: 0 }]);
    assert_eq!(l.filled_lots(), 3);
    assert!(l.is_silent(), "the cancel's answer is still owed");
    // Its cancel is acked: every order's fate is known again, and the leg says so.
    l.on_order(
        0,
        OrderEvent::CancelAcked { filled_lots: 3 },
        2_100,
        &mut out,
    )
    .unwrap();
    assert!(l.is_done() && !l.is_silent());
    assert_eq!(l.filled_lots(), 3);
}

#[test]
fn an_answer_resets_the_silence_clock() {
    let mut l = leg(OrderSide::Buy, Mode::MarketOnly).with_request_timeout(100);
    l.set_silence_limit(300);
    let mut out = Out::new();
    l.start(arrival(Recommendation::UseLimit), 0, &mut out)
        .unwrap();
    out.clear();
    // The IOC owes an answer until it ends; each report restarts the silence clock.
    for t in [90, 180, 270, 360] {
        l.on_timeout(t - 1, &mut out).unwrap();
        l.on_order(0, fill(t, 1, 10_000), t, &mut out).unwrap();
        out.clear();
    }
    assert!(!l.is_silent());
    l.on_order(0, OrderEvent::Expired { filled_lots: 4 }, 400, &mut out)
        .unwrap();
    assert!(l.is_done() && !l.is_silent());
    assert_eq!(l.next_deadline(), None);
}

#[test]
fn trade_id_zero_is_a_fill_like_any_other_before_the_window_fills() {
    // No id has left the window yet, so there is no floor: id 0 is new (the leg bench
    // found it refused as unverifiable against a floor of 0).
    let mut l = Leg::new(OrderSide::Buy, 1_000, FALLBACK, Ratio::from_num(25), false).unwrap();
    let mut out = Out::new();
    l.start(arrival(Recommendation::UseLimit), 0, &mut out)
        .unwrap();
    l.on_order(0, fill(0, 1, 10_000), 3, &mut out).unwrap();
    assert_eq!((l.reported_lots(), l.unverified_fills()), (1, 0));
    assert_eq!(l.trade_floor(), None);
    let dup = l.on_order(0, fill(0, 1, 10_000), 4, &mut out);
    assert_eq!(dup, Err(LegError::Order(OrderError::DuplicateFill(0))));
}
