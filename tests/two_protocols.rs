//! An atomic two-leg group across two real protocols and two real venues on loopback:
//! the spot leg on the Binance Spot FIX gateway against QuickFIX (`tests/fix`, the
//! acceptor answering from a script), the perp leg on the Binance USD-M WebSocket API
//! gateway against `legcore venue serve`'s paper venue. The engine runs as `legcore run`
//! runs it (`run_setup`, both venues network venues on their own gateway threads).
//!
//! Both legs fill; then each leg is refused in turn by its venue (FIX: ErrorCode -2010;
//! WebSocket API: -4164, notional below the minimum) and rollback unwinds the other leg
//! to flat, checked against each venue's own record (QuickFIX's message log, the paper
//! venue's ledger).

mod common;

#[path = "fix/harness.rs"]
mod harness;

use std::time::{Duration, Instant};

use harness::{field, Acceptor};
use legcore::book::Level;
use legcore::fix::session::SeqNums;
use legcore::group::Outcome;
use legcore::index::BookId;
use legcore::num::Step;
use legcore::runtime::binance_fix::BinanceFixGateway;
use legcore::runtime::binance_ws::BinanceWsGateway;
use legcore::runtime::venue_serve::Server;
use legcore::runtime::{run_setup, Clock, Config, RunReport, Setup, Venue};
use legcore::sim::SimExchange;
use legcore::strategy::NoStrategy;
use legcore::venue::{Delivery, Gateway};

const CLIENT: &str = "LEGCORE1";

fn one() -> Step {
    Step::parse("1").unwrap()
}

/// The perp venue: bid 99 × 10, ask 101 × 10 at tick and lot 1; orders under
/// `min_notional` refused.
fn perp_venue(min_notional: &'static str) -> Server<SimExchange> {
    let lv = |price_ticks, qty_lots| Level {
        price_ticks,
        qty_lots,
    };
    let mut spec =
        common::paper::PaperSpec::new((one(), one()), vec![lv(99, 10)], vec![lv(101, 10)]);
    spec.min_notional = min_notional;
    common::paper::serve(spec)
}

/// Polls until `gw` says `until`, at most 10 s.
fn connected<G: Gateway>(gw: &mut G, clock: &Clock, until: Delivery) {
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < end, "{until:?} never came");
        match gw.poll(clock.now_ns()).unwrap() {
            Some(d) if d == until => return,
            Some(_) => {}
            None => std::thread::sleep(Duration::from_micros(200)),
        }
    }
}

/// Buy 4 spot on the FIX venue (venue 0), sell 4 perp on the paper venue (venue 1),
/// both at market, rollback.
fn run(fix: &Acceptor, perp: &Server<SimExchange>, tag: &str) -> RunReport<SimExchange> {
    let clock = Clock::new();
    let cfg = fix.gateway_config(CLIENT);
    let mut spot = BinanceFixGateway::new(&cfg, one(), one(), SeqNums::START).unwrap();
    connected(&mut spot, &clock, Delivery::Connected);
    let mut ws: BinanceWsGateway = common::paper::gateway(perp, (one(), one()), tag);
    connected(&mut ws, &clock, Delivery::Resynced);
    let job = common::jobs::buy_sell(BookId::new(0));
    let setup = Setup {
        gateways: vec![
            Venue::<SimExchange>::Network(Box::new(spot)),
            Venue::Network(Box::new(ws)),
        ],
        risk: common::risk::paced(2, 1_000, 100, 64),
        feeds: Vec::new(),
        jobs: vec![job],
        strategy: NoStrategy,
        strategy_groups: 0,
        recorder: None,
    };
    run_setup(&Config::default(), setup).unwrap()
}

/// The NewOrderSingles QuickFIX received: side (1 buy, 2 sell) and quantity.
fn fix_orders(venue: &Acceptor) -> Vec<(String, String)> {
    venue
        .frames('<')
        .iter()
        .filter(|f| field(f, 35) == Some("D"))
        .map(|f| {
            let side = field(f, 54).unwrap_or_default().to_string();
            (side, field(f, 38).unwrap_or_default().to_string())
        })
        .collect()
}

/// The perp venue's ledger once stopped: position and traded lots.
fn ledger(perp: Server<SimExchange>) -> (i64, i64) {
    let paper = perp.stop().unwrap();
    let b = &paper.venue().books()[0];
    (b.position_lots(), b.traded_lots())
}

#[test]
fn both_legs_fill_across_fix_and_the_websocket_api() {
    let fix = Acceptor::start("two-filled", "fill px=101\n", CLIENT);
    let perp = perp_venue("5");
    let report = run(&fix, &perp, "TWO_FILLED");
    assert_eq!(report.groups[0].outcome(), Some(Outcome::Filled));
    assert_eq!(fix_orders(&fix), [("1".to_string(), "4".to_string())]);
    assert_eq!(ledger(perp), (-4, 4), "the perp venue sold 4 at its bid");
    assert_eq!(report.network.len(), 2);
}

#[test]
fn a_refused_fix_leg_unwinds_the_websocket_leg_to_flat() {
    let script = "reject code=-2010 text=Account has insufficient balance for requested action.\n";
    let fix = Acceptor::start("two-fix-rejected", script, CLIENT);
    let perp = perp_venue("5");
    let report = run(&fix, &perp, "FIX_REJECTED");
    let g = &report.groups[0];
    assert_eq!(g.outcome(), Some(Outcome::Flat));
    let incident = g.incident().unwrap();
    assert!(
        incident.summary.contains("code -2010"),
        "{}",
        incident.summary
    );
    assert_eq!(
        ledger(perp),
        (0, 8),
        "sold 4, bought 4 back: flat on the venue's books"
    );
}

#[test]
fn a_refused_websocket_leg_unwinds_the_fix_leg_to_flat() {
    // The spot buy fills; the unwind's sell fills too.
    let fix = Acceptor::start("two-ws-rejected", "fill px=101\nfill px=99\n", CLIENT);
    // 4 × 99 = 396 USDT is under the perp venue's 1000 minimum: -4164.
    let perp = perp_venue("1000");
    let report = run(&fix, &perp, "WS_REJECTED");
    let g = &report.groups[0];
    assert_eq!(g.outcome(), Some(Outcome::Flat));
    let incident = g.incident().unwrap();
    // -4164 is a typed reason: the incident names it (the journal keeps the code).
    assert!(
        incident.summary.contains("below_min_notional"),
        "{}",
        incident.summary
    );
    assert_eq!(
        fix_orders(&fix),
        [
            ("1".to_string(), "4".to_string()),
            ("2".to_string(), "4".to_string())
        ],
        "bought 4, sold 4 back on the FIX venue"
    );
    assert_eq!(ledger(perp), (0, 0), "nothing traded on the perp venue");
}
