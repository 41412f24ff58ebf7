//! Order sent to ExecutionReport received, over loopback, against the QuickFIX acceptor
//! of the FIX tests (`tests/fix/acceptor.cpp`, Binance's dictionary, Ed25519 Logon): the
//! Binance Spot FIX gateway encodes a limit NewOrderSingle, writes it to the socket and
//! polls until the venue's ExecutionReport (ExecType NEW) comes back decoded as a
//! `venue::Report`. The round trip includes QuickFIX's own work on the venue side (parse
//! and dictionary validation, its FileStore, the acceptor's message log) and two loopback
//! hops. Each round trip is timed alone (`common::percentiles` with batches of 1).

#[path = "../tests/fix/harness.rs"]
mod harness;

mod common;

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use harness::Acceptor;
use legcore::book::OrderSide;
use legcore::fix::session::SeqNums;
use legcore::index::{BookId, LegIdx};
use legcore::num::Step;
use legcore::runtime::binance_fix::BinanceFixGateway;
use legcore::runtime::Clock;
use legcore::venue::{
    Delivery, Gateway, NewOrder, OrderPrice, OrderRef, ReportKind, Request, TimeInForce,
};

const CLIENT: &str = "LEGCORE1";

fn connect(venue: &Acceptor, clock: &Clock) -> BinanceFixGateway {
    let cfg = venue.gateway_config(CLIENT);
    let (tick, lot) = (
        Step::parse("0.01").unwrap(),
        Step::parse("0.00001").unwrap(),
    );
    let mut gw = BinanceFixGateway::new(&cfg, tick, lot, SeqNums::START).unwrap();
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if let Some(Delivery::Connected) = gw.poll(clock.now_ns()).unwrap() {
            return gw;
        }
    }
    panic!("no logon within 10 s");
}

/// Sends order `n` (a post-only limit buy: it rests) and spins until its ExecutionReport NEW.
fn round_trip(gw: &mut BinanceFixGateway, clock: &Clock, n: u64) {
    let order = OrderRef::new(n, LegIdx::new(0), 0, 0).unwrap();
    let req = Request::New(NewOrder {
        order,
        side: OrderSide::Buy,
        price: OrderPrice::Limit(6_000_000),
        qty_lots: 100,
        tif: TimeInForce::PostOnly,
        reduce_only: false,
    });
    gw.send(BookId::new(0), req, clock.now_ns()).unwrap();
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(Delivery::Report { report, .. }) = gw.poll(clock.now_ns()).unwrap() {
            if report.order == order && report.kind == ReportKind::Ack {
                return;
            }
        }
        assert!(
            Instant::now() < end,
            "no ExecutionReport for order {n} within 5 s"
        );
    }
}

fn bench(c: &mut Criterion) {
    // Every order rests (the script's default): one ExecutionReport each.
    let venue = Acceptor::start("bench-loopback", "", CLIENT);
    let clock = Clock::new();
    let mut gw = connect(&venue, &clock);
    let mut n = 0u64;
    let mut group = c.benchmark_group("fix_loopback");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("order_to_execution_report", |b| {
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                n += 1;
                round_trip(&mut gw, &clock, n);
            }
            t.elapsed()
        })
    });
    group.finish();
    common::percentiles("fix_loopback/order_to_execution_report", 1, || {
        n += 1;
        round_trip(&mut gw, &clock, n);
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
