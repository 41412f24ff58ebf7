//! The gateway thread drives any `venue::Gateway`: a venue run through `run_gateway` (as
//! a network venue would be) gets its requests and hands back its deliveries, and a
//! market-data line sent to it is counted, not applied (a network venue keeps its own
//! books; only `run_local_gateway` feeds a simulated venue's book).

use legcore::index::{BookId, LegIdx};

use std::time::{Duration, Instant};

use legcore::book::{Depth, Level, OrderSide};
use legcore::runtime::ring::ring;
use legcore::runtime::Clock;
use legcore::runtime::{run_gateway, GatewayThread};
use legcore::runtime::{Inbound, Outbound, Wait};
use legcore::sim::{FaultPlan, Latency, SimExchange, SimVenue};
use legcore::venue::TimeInForce;
use legcore::venue::{Delivery, NewOrder, OrderPrice, OrderRef, ReportKind, Request};

#[test]
fn a_gateway_thread_drives_a_plain_gateway_and_ignores_market_data_for_it() {
    let mut book = SimVenue::new(8, 8);
    let lv = |price_ticks, qty_lots| Level {
        price_ticks,
        qty_lots,
    };
    book.ladder_mut()
        .apply_snapshot(&[lv(99, 5)], &[lv(101, 2), lv(102, 3)], 1, Depth::Complete)
        .unwrap();
    let x = SimExchange::new(vec![book], Latency::Fixed { ns: 10 }, FaultPlan::NONE, 1);
    let (mut cmd_tx, cmd_rx) = ring::<Outbound>(16);
    let (rep_tx, mut rep_rx) = ring::<Inbound>(64);
    let clock = Clock::new();
    let thread = GatewayThread {
        commands: cmd_rx,
        reports: rep_tx,
        clock,
        core: None,
        wait: Wait::SpinThenYield { spins: 100 },
    };
    let handle = std::thread::spawn(move || run_gateway(x, thread));
    let order = OrderRef::new(7, LegIdx::new(1), 0, 2).unwrap();
    let req = Request::New(NewOrder {
        order,
        side: OrderSide::Buy,
        price: OrderPrice::Market {
            protection_ticks: 102,
        },
        qty_lots: 3,
        tif: TimeInForce::Ioc,
        reduce_only: false,
    });
    let now = clock.now_ns();
    let msgs = [
        Outbound::Md {
            feed: 0,
            line: 0,
            buf: None,
        },
        Outbound::Request {
            book: BookId::new(0),
            req,
            pushed_ns: now,
            cause_ns: now,
        },
        Outbound::Stop,
    ];
    for m in msgs {
        cmd_tx.push(m).unwrap();
    }
    let mut kinds = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(
            Instant::now() < deadline,
            "the gateway thread never stopped"
        );
        match rep_rx.pop() {
            Some(Inbound::Delivery {
                delivery: Delivery::Report { book, report },
                ..
            }) => {
                assert_eq!(book, BookId::new(0));
                assert_eq!(report.order, order);
                kinds.push(report.kind);
            }
            Some(Inbound::Stopped) => break,
            Some(other) => panic!("unexpected {other:?}"),
            None => std::thread::yield_now(),
        }
    }
    let (x, stats) = handle.join().unwrap();
    assert_eq!(kinds[0], ReportKind::Ack);
    let fills: Vec<(i64, i64)> = kinds
        .iter()
        .filter_map(|k| match k {
            ReportKind::Fill(f) => Some((f.price_ticks, f.last_qty_lots)),
            _ => None,
        })
        .collect();
    assert_eq!(fills, [(101, 2), (102, 1)]);
    assert_eq!(
        (stats.requests, stats.deliveries, stats.md_ignored),
        (1, 3, 1)
    );
    assert_eq!(x.books()[0].position_lots(), 3);
}

#[test]
fn a_run_whose_job_numbers_pass_the_order_ref_range_is_refused() {
    use legcore::num::Decimal;
    use legcore::risk::RiskState;
    use legcore::runtime::{run, Config, RuntimeError};
    use legcore::venue::MAX_JOB;

    let x = SimExchange::new(
        vec![SimVenue::new(4, 4)],
        Latency::Fixed { ns: 10 },
        FaultPlan::NONE,
        1,
    );
    let config = Config {
        job_base: MAX_JOB + 1,
        ..Config::default()
    };
    let risk = RiskState::new(Decimal::from_i64(1_000));
    let r = run(&config, vec![x], risk, Vec::new());
    let Err(e @ RuntimeError::Job { .. }) = r else {
        panic!("a run past the id range started");
    };
    assert!(e.to_string().contains("client order id's range"), "{e}");
}
