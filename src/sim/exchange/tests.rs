use super::*;
use crate::book::{Depth, Level, OrderSide, Side};
use crate::index::BookId;
use crate::index::LegIdx;
use crate::leg::{OrderEvent, Tif, VenueStatus};
use crate::sim::tests::order as new_order;
use crate::venue::OrderRef;

type Out = ArrayVec<Delivery, 64>;

/// One book: bids 99 × 5; asks 101 × 2, 102 × 3. Latency fixed at 10 ns.
fn exchange(plan: FaultPlan) -> SimExchange {
    let mut v = SimVenue::new(16, 16);
    let lv = |price_ticks, qty_lots| Level {
        price_ticks,
        qty_lots,
    };
    v.ladder_mut()
        .apply_snapshot(&[lv(99, 5)], &[lv(101, 2), lv(102, 3)], 1, Depth::Complete)
        .unwrap();
    SimExchange::new(vec![v], Latency::Fixed { ns: 10 }, plan, 1)
}

fn order(id: u64, price_ticks: i64, qty_lots: i64, tif: Tif) -> Request {
    Request::New(new_order(id, OrderSide::Buy, price_ticks, qty_lots, tif))
}

fn oref(n: u64) -> OrderRef {
    OrderRef::new(n, LegIdx::new(0), 0, 0).unwrap()
}

/// Everything delivered up to `until`, with delivery times.
fn drain(x: &mut SimExchange, until: u64) -> Vec<(u64, Delivery)> {
    let mut got = Vec::new();
    while let Some(t) = x.next_due().filter(|&t| t <= until) {
        let mut out = Out::new();
        x.poll(t, &mut out).unwrap();
        got.extend(out.into_iter().map(|d| (t, d)));
    }
    got
}

fn events(got: &[(u64, Delivery)]) -> Vec<OrderEvent> {
    got.iter()
        .filter_map(|(_, d)| match d {
            Delivery::Report { report, .. } => Some(report.kind.event()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_request_arrives_after_the_latency_and_its_reports_after_another() {
    let mut x = exchange(FaultPlan::NONE);
    x.send(BookId::new(0), order(1, 102, 4, Tif::Ioc), 0)
        .unwrap();
    let got = drain(&mut x, u64::MAX);
    assert!(got.iter().all(|(t, _)| *t == 20), "{got:?}");
    let ev = events(&got);
    assert_eq!(ev.len(), 3, "accepted, two fills; nothing expired: {ev:?}");
    assert_eq!(ev[0], OrderEvent::Accepted);
    assert_eq!(x.books()[0].position_lots(), 4);
    assert_eq!(x.counts().total(), 0);
    assert_eq!(
        x.send(BookId::new(3), order(2, 1, 1, Tif::Ioc), 0),
        Err(SimError::UnknownVenue(BookId::new(3)))
    );
}

#[test]
fn a_lost_request_is_unknown_to_the_venue() {
    let plan = FaultPlan {
        lost_request_ppm: 1_000_000,
        ..FaultPlan::NONE
    };
    let mut x = exchange(plan);
    x.send(BookId::new(0), order(1, 102, 4, Tif::Ioc), 0)
        .unwrap();
    assert_eq!(x.in_flight(), 0);
    assert_eq!(x.counts().get(Fault::LostRequest), 1);
    let mut reps: ArrayVec<Report, 4> = ArrayVec::new();
    x.books[0].query(oref(1), &mut reps).unwrap();
    assert_eq!(
        reps[0].kind.event(),
        OrderEvent::Status(VenueStatus::NotFound)
    );
}

#[test]
fn a_lost_reply_keeps_the_fills() {
    let plan = FaultPlan {
        lost_reply_ppm: 1_000_000,
        ..FaultPlan::NONE
    };
    let mut x = exchange(plan);
    x.send(BookId::new(0), order(1, 101, 4, Tif::Ioc), 0)
        .unwrap();
    let ev = events(&drain(&mut x, u64::MAX));
    // Accepted and Expired are lost; the one fill (2 at 101) is delivered.
    assert_eq!(ev.len(), 1);
    assert!(matches!(ev[0], OrderEvent::Filled(f) if f.qty_lots == 2));
    assert_eq!(x.counts().get(Fault::LostReply), 1);
}

#[test]
fn a_disconnect_cancels_resting_orders_and_delivers_fills_after_the_reconnect() {
    let mut x = exchange(FaultPlan::NONE);
    x.send(BookId::new(0), order(1, 100, 3, Tif::PostOnly), 0)
        .unwrap();
    x.send(BookId::new(0), order(2, 102, 1, Tif::Ioc), 0)
        .unwrap();
    // Both arrive at 10; their reports are due at 20.
    let mut out = Out::new();
    x.poll(10, &mut out).unwrap();
    x.poll(10, &mut out).unwrap();
    assert_eq!(x.books()[0].resting_orders(), 1);
    x.plan.disconnect_ppm = 1_000_000;
    x.plan.disconnect_ns = 1_000;
    x.send(BookId::new(0), Request::Cancel(oref(1)), 15)
        .unwrap();
    assert!(x.is_down(15) && !x.is_down(1_015));
    assert_eq!(x.books()[0].resting_orders(), 0, "cancel-on-disconnect");
    let got = drain(&mut x, u64::MAX);
    assert_eq!(got[0], (15, Delivery::Disconnected));
    assert_eq!(got[1], (1_015, Delivery::Connected));
    // Only the IOC's fill survives, after the reconnect; then the venue is resynced.
    let ev = events(&got);
    assert_eq!(ev.len(), 1, "{got:?}");
    assert!(matches!(ev[0], OrderEvent::Filled(_)));
    assert!(got[2].0 >= 1_015);
    assert_eq!(got[3], (got[2].0, Delivery::Resynced), "{got:?}");
    // A query after the reconnect finds the resting order closed with nothing filled.
    x.plan.disconnect_ppm = 0;
    x.send(BookId::new(0), Request::Query(oref(1)), 2_000)
        .unwrap();
    let ev = events(&drain(&mut x, u64::MAX));
    assert_eq!(
        ev,
        [OrderEvent::Status(VenueStatus::Closed { filled_lots: 0 })]
    );
}

/// A run that ends with the link down, and a next run whose clock starts at 0 again (a
/// resume's next unwind round): without a restart its first request falls in the last
/// run's outage and is lost; after `restart_clock` it reaches the venue.
#[test]
fn a_new_run_does_not_inherit_the_last_runs_outage() {
    let mut x = exchange(FaultPlan::NONE);
    x.plan.disconnect_ppm = 1_000_000;
    x.plan.disconnect_ns = 1_000_000;
    x.send(BookId::new(0), Request::Query(oref(1)), 500)
        .unwrap();
    let _ = drain(&mut x, u64::MAX);
    x.plan.disconnect_ppm = 0;
    let mut stale = x.clone();
    // The next run's first request, at 100 ns of its own clock.
    stale
        .send(BookId::new(0), order(2, 102, 1, Tif::Ioc), 100)
        .unwrap();
    assert!(
        events(&drain(&mut stale, u64::MAX)).is_empty(),
        "lost in the old outage"
    );
    x.restart_clock();
    x.send(BookId::new(0), order(2, 102, 1, Tif::Ioc), 100)
        .unwrap();
    let ev = events(&drain(&mut x, u64::MAX));
    assert_eq!(ev.len(), 2, "accepted and filled: {ev:?}");
    assert_eq!(x.books()[0].position_lots(), 1);
}

/// Reseeded, a restored venue draws its faults anew (a killed resume run again does not
/// meet the same lost request), and the same seed draws the same again.
#[test]
fn a_reseeded_exchange_draws_its_faults_from_the_new_seed() {
    let draws = |seed: u64| {
        let mut x = exchange(FaultPlan {
            lost_request_ppm: 500_000,
            ..FaultPlan::NONE
        });
        x.reseed(seed);
        (0..64u64)
            .map(|i| {
                x.send(BookId::new(0), Request::Query(oref(i)), i * 1_000)
                    .unwrap();
                x.counts().get(Fault::LostRequest)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(draws(7), draws(7));
    assert_ne!(draws(7), draws(8));
}

#[test]
fn a_fill_after_cancel_is_acked_first_and_counted_in_the_ack() {
    let plan = FaultPlan {
        fill_after_cancel_ppm: 1_000_000,
        ..FaultPlan::NONE
    };
    let mut x = exchange(plan);
    x.send(BookId::new(0), order(1, 100, 5, Tif::PostOnly), 0)
        .unwrap();
    x.send(BookId::new(0), Request::Cancel(oref(1)), 1).unwrap();
    let ev = events(&drain(&mut x, u64::MAX));
    let OrderEvent::CancelAcked { filled_lots } = ev[1] else {
        panic!("{ev:?}");
    };
    let OrderEvent::Filled(f) = ev[2] else {
        panic!("{ev:?}");
    };
    assert!(filled_lots >= 1 && f.qty_lots == filled_lots);
    assert_eq!(x.books()[0].position_lots(), filled_lots);
    assert_eq!(x.counts().get(Fault::FillAfterCancel), 1);
}

#[test]
fn duplicates_reorders_rejects_and_partials_hit_and_are_counted() {
    let plan = FaultPlan {
        duplicate_ppm: 1_000_000,
        ..FaultPlan::NONE
    };
    let mut x = exchange(plan);
    x.send(BookId::new(0), order(1, 101, 1, Tif::Ioc), 0)
        .unwrap();
    let ev = events(&drain(&mut x, u64::MAX));
    assert_eq!(ev.len(), 4, "accepted and fill, twice each: {ev:?}");
    assert_eq!(x.books()[0].traded_lots(), 1, "matched once");

    let plan = FaultPlan {
        reject_ppm: 1_000_000,
        ..FaultPlan::NONE
    };
    let mut x = exchange(plan);
    x.send(BookId::new(0), order(1, 102, 4, Tif::Ioc), 0)
        .unwrap();
    let got = drain(&mut x, u64::MAX);
    assert_eq!(events(&got), [OrderEvent::Rejected]);
    let Delivery::Report { report, .. } = got[0].1 else {
        panic!("{got:?}");
    };
    assert_eq!(report.kind, ReportKind::Reject(RejectReason::Unavailable));
    assert_eq!(x.books()[0].traded_lots(), 0);

    let plan = FaultPlan {
        partial_fill_ppm: 1_000_000,
        ..FaultPlan::NONE
    };
    let mut x = exchange(plan);
    x.send(BookId::new(0), order(1, 102, 5, Tif::Ioc), 0)
        .unwrap();
    let ev = events(&drain(&mut x, u64::MAX));
    let OrderEvent::Expired { filled_lots } = ev[ev.len() - 1] else {
        panic!("{ev:?}");
    };
    assert!(filled_lots < 5);
    assert_eq!(x.books()[0].traded_lots(), filled_lots);

    let plan = FaultPlan {
        reorder_ppm: 500_000,
        ..FaultPlan::NONE
    };
    let mut x = exchange(plan);
    x.books[0]
        .ladder_mut()
        .set_level(Side::Ask, 101, 50, 2)
        .unwrap();
    for id in 1..=20 {
        x.send(BookId::new(0), order(id, 101, 1, Tif::Ioc), 0)
            .unwrap();
    }
    let ids: Vec<OrderRef> = drain(&mut x, u64::MAX)
        .iter()
        .filter_map(|(_, d)| match d {
            Delivery::Report { report, .. } => Some(report.order),
            _ => None,
        })
        .collect();
    assert!(ids.windows(2).any(|w| w[0] > w[1]), "out of order: {ids:?}");
    assert!(x.counts().get(Fault::Reorder) > 0);
}

#[test]
fn feed_faults_roll_only_feed_kinds() {
    let plan = FaultPlan {
        stale_book_ppm: 1_000_000,
        reject_ppm: 1_000_000,
        ..FaultPlan::NONE
    };
    let mut x = exchange(plan);
    assert!(x.feed_fault(Fault::StaleBook));
    assert!(!x.feed_fault(Fault::PriceJump));
    assert!(!x.feed_fault(Fault::Reject));
    assert_eq!(x.counts().get(Fault::StaleBook), 1);
    assert_eq!(x.counts().get(Fault::Reject), 0);
    let mut rng = Rng::new(3);
    let swarm: Vec<FaultPlan> = (0..64).map(|_| FaultPlan::swarm(&mut rng, 100)).collect();
    for f in Fault::ALL {
        assert!(swarm.iter().any(|p| p.rate(f) > 0), "{f:?} never on");
        assert!(swarm.iter().any(|p| p.rate(f) == 0), "{f:?} always on");
    }
}
