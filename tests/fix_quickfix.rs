//! The Binance Spot FIX gateway against a real third-party FIX engine: QuickFIX
//! (Debian's libquickfix-dev) as the venue, loaded with Binance's own dictionary
//! (`tests/fix/acceptor.cpp`, on 127.0.0.1). The acceptor verifies the Ed25519 Logon
//! signature with OpenSSL and answers from a script; its message log and the gateway's
//! deliveries must agree order by order.

#[path = "fix/harness.rs"]
mod harness;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use harness::{field, Acceptor};
use legcore::book::OrderSide;
use legcore::fix::session::{SeqNums, SessionState};
use legcore::fix::sign::SecretSource;
use legcore::index::{BookId, VenueId};
use legcore::leg::Liquidity;
use legcore::num::Step;
use legcore::runtime::binance_fix::{BinanceFixGateway, FixVenueConfig, StpMode};
use legcore::runtime::Clock;
use legcore::venue::{
    Delivery, Gateway, NewOrder, OrderPrice, OrderRef, RejectReason, Report, ReportKind, Request,
    TimeInForce,
};

const CLIENT: &str = "LEGCORE1";

fn config(venue: &Acceptor) -> FixVenueConfig {
    FixVenueConfig {
        host: "127.0.0.1".into(),
        port: venue.port,
        sender_comp_id: CLIENT.into(),
        target_comp_id: "SPOT".into(),
        symbol: "BTCUSDT".into(),
        api_key: SecretSource::File(venue.api_key.clone()),
        private_key: SecretSource::File(venue.private_key.clone()),
        heartbeat_s: 30,
        stp_mode: Some(StpMode::ExpireMaker),
    }
}

fn gateway(venue: &Acceptor) -> BinanceFixGateway {
    let tick = Step::parse("0.01").unwrap();
    let lot = Step::parse("0.00001").unwrap();
    BinanceFixGateway::new(&config(venue), tick, lot, SeqNums::START).unwrap()
}

/// Polls `gw` until `n` deliveries arrived (at most 10 s).
fn collect(gw: &mut BinanceFixGateway, clock: &Clock, n: usize) -> Vec<Delivery> {
    collect_for(gw, clock, n, Duration::from_secs(10))
}

/// Polls `gw` until `n` deliveries arrived or `within` passed.
fn collect_for(
    gw: &mut BinanceFixGateway,
    clock: &Clock,
    n: usize,
    within: Duration,
) -> Vec<Delivery> {
    let end = Instant::now() + within;
    let mut out = Vec::new();
    while out.len() < n && Instant::now() < end {
        match gw.poll(clock.now_ns()).unwrap() {
            Some(d) => out.push(d),
            None => std::thread::sleep(Duration::from_micros(200)),
        }
    }
    out
}

fn reports(ds: &[Delivery]) -> Vec<Report> {
    ds.iter()
        .filter_map(|d| match d {
            Delivery::Report { report, .. } => Some(*report),
            _ => None,
        })
        .collect()
}

fn order(job: u64, price_ticks: i64, qty_lots: i64, tif: TimeInForce) -> NewOrder {
    NewOrder {
        order: OrderRef::new(job, 0, 0, 0).unwrap(),
        side: OrderSide::Buy,
        price: if tif == TimeInForce::Ioc {
            OrderPrice::Market {
                protection_ticks: price_ticks,
            }
        } else {
            OrderPrice::Limit(price_ticks)
        },
        qty_lots,
        tif,
        reduce_only: false,
    }
}

fn connect(gw: &mut BinanceFixGateway, clock: &Clock) {
    let first = collect(gw, clock, 1);
    assert_eq!(first, vec![Delivery::Connected], "no logon");
    assert_eq!(gw.state(), SessionState::Active);
}

#[test]
fn orders_fills_rejects_and_cancel_rejects_round_trip_through_quickfix() {
    let script = "fill fee=0.01\n\
                  partial qty=0.4\n\
                  reject code=-2010 text=Account has insufficient balance for requested action.\n\
                  rest\n";
    let venue = Acceptor::start("orders", script, CLIENT);
    let clock = Clock::new();
    let mut gw = gateway(&venue);
    connect(&mut gw, &clock);
    assert!(venue.log().contains("legcore: logon signature verified"));
    let (o1, o2, o3, o4) = (
        order(1, 10_050, 150_000, TimeInForce::PostOnly),
        order(2, 10_050, 100_000, TimeInForce::Ioc),
        order(3, 10_050, 100_000, TimeInForce::PostOnly),
        order(4, 10_000, 100_000, TimeInForce::PostOnly),
    );
    for o in [o1, o2, o3, o4] {
        gw.send(BookId::new(0), Request::New(o), clock.now_ns())
            .unwrap();
    }
    let got = reports(&collect(&mut gw, &clock, 8));
    gw.send(BookId::new(0), Request::Cancel(o4.order), clock.now_ns())
        .unwrap();
    gw.send(BookId::new(0), Request::Cancel(o1.order), clock.now_ns())
        .unwrap();
    let got: Vec<Report> = got
        .into_iter()
        .chain(reports(&collect(&mut gw, &clock, 2)))
        .collect();
    let kinds: Vec<(u64, ReportKind)> = got
        .iter()
        .map(|r| (r.order.job(), strip_time(r.kind)))
        .collect();
    let fill = |trade_id, lots, fee_tl_e8| {
        ReportKind::Fill(legcore::venue::Execution {
            trade_id,
            last_qty_lots: lots,
            price_ticks: 10_050,
            liquidity: Liquidity::Taker,
            fee_tl_e8,
            at_ns: 0,
        })
    };
    // 0.01 USDT of fee in tick-lots (0.01 × 0.00001 USDT) × 10⁻⁸: 10¹³.
    let want = vec![
        (1, ReportKind::Ack),
        (1, fill(501, 150_000, 10_000_000_000_000)),
        (2, ReportKind::Ack),
        (2, fill(502, 40_000, 0)),
        (
            2,
            ReportKind::Expired {
                filled_lots: 40_000,
            },
        ),
        (3, ReportKind::Reject(RejectReason::Other(-2010))),
        (4, ReportKind::Ack),
        (4, ReportKind::CancelAck { filled_lots: 0 }),
        (1, ReportKind::CancelReject(RejectReason::UnknownOrder)),
    ];
    assert_eq!(kinds, want);
    the_log_agrees(&venue, &got);
    gw.close(clock.now_ns(), Duration::from_secs(2));
    assert!(venue.wait_for("Received logout request", Duration::from_secs(2)));
}

/// A fill's venue time is the acceptor's clock: only its presence is compared.
fn strip_time(k: ReportKind) -> ReportKind {
    match k {
        ReportKind::Fill(mut x) => {
            assert!(x.at_ns > 0, "a fill without TransactTime");
            x.at_ns = 0;
            ReportKind::Fill(x)
        }
        k => k,
    }
}

/// What QuickFIX logged, order by order: the orders it received are ours (ClOrdID, side,
/// quantity, price, post-only, IOC), and each report it sent is one we delivered.
fn the_log_agrees(venue: &Acceptor, got: &[Report]) {
    let received = venue.frames('<');
    let orders: Vec<&String> = received
        .iter()
        .filter(|f| field(f, 35) == Some("D"))
        .collect();
    let ids: Vec<&str> = orders.iter().filter_map(|f| field(f, 11)).collect();
    let want: Vec<String> = (1..=4)
        .map(|j| OrderRef::new(j, 0, 0, 0).unwrap().wire().to_string())
        .collect();
    assert_eq!(ids, want);
    assert_eq!(field(orders[0], 38), Some("1.50000"));
    assert_eq!(field(orders[0], 44), Some("100.50"));
    assert_eq!(field(orders[0], 18), Some("6"), "post-only is LIMIT_MAKER");
    assert_eq!(field(orders[1], 59), Some("3"), "IOC");
    assert_eq!(field(orders[0], 25001), Some("3"), "STP expire_maker");
    let sent = venue.frames('>');
    let answers: Vec<(String, String)> = sent
        .iter()
        .filter(|f| matches!(field(f, 35), Some("8" | "9")))
        .map(|f| {
            let id = field(f, 41).or(field(f, 11)).unwrap_or("").to_string();
            let what = field(f, 150).unwrap_or("cancel-reject").to_string();
            (id, what)
        })
        .collect();
    let ours: Vec<(String, String)> = got
        .iter()
        .map(|r| {
            let what = match r.kind {
                ReportKind::Ack => "0",
                ReportKind::Fill(_) => "F",
                ReportKind::Expired { .. } => "C",
                ReportKind::Reject(_) => "8",
                ReportKind::CancelAck { .. } => "4",
                ReportKind::CancelReject(_) => "cancel-reject",
                ReportKind::Status(_) => "status",
            };
            (r.order.wire().to_string(), what.to_string())
        })
        .collect();
    assert_eq!(answers, ours);
}

#[test]
fn a_forced_logout_is_followed_by_a_new_logon() {
    let venue = Acceptor::start("logout", "logout\nfill\n", CLIENT);
    let clock = Clock::new();
    let mut gw = gateway(&venue);
    connect(&mut gw, &clock);
    let o1 = order(1, 10_050, 100_000, TimeInForce::PostOnly);
    gw.send(BookId::new(0), Request::New(o1), clock.now_ns())
        .unwrap();
    let ds = collect(&mut gw, &clock, 3);
    assert_eq!(
        ds,
        vec![
            Delivery::Report {
                book: BookId::new(0),
                report: Report::new(o1.order, ReportKind::Ack)
            },
            Delivery::Disconnected,
            Delivery::Connected,
        ]
    );
    assert!(venue.log().contains("News"), "{}", venue.log());
    assert_eq!(gw.counts().logons, 2);
    let logons = venue
        .log()
        .matches("legcore: logon signature verified")
        .count();
    assert_eq!(logons, 2);
    // Binance requires ResetSeqNumFlag=Y: the new logon starts again at 1.
    let ours: Vec<String> = venue.frames('<');
    let second = ours
        .iter()
        .filter(|f| field(f, 35) == Some("A"))
        .nth(1)
        .unwrap();
    assert_eq!(
        (field(second, 34), field(second, 141)),
        (Some("1"), Some("Y"))
    );
    let o2 = order(2, 10_050, 100_000, TimeInForce::PostOnly);
    gw.send(BookId::new(0), Request::New(o2), clock.now_ns())
        .unwrap();
    let kinds: Vec<ReportKind> = reports(&collect(&mut gw, &clock, 2))
        .into_iter()
        .map(|r| strip_time(r.kind))
        .collect();
    assert_eq!(kinds.len(), 2);
    assert_eq!(kinds[0], ReportKind::Ack);
    assert!(matches!(kinds[1], ReportKind::Fill(_)));
    gw.close(clock.now_ns(), Duration::from_secs(2));
}

#[test]
fn a_bad_signature_is_refused_by_the_venue() {
    let venue = Acceptor::start("badkey", "", CLIENT);
    let other = Acceptor::start("otherkey", "", CLIENT);
    let clock = Clock::new();
    let mut cfg = config(&venue);
    cfg.private_key = SecretSource::File(PathBuf::from(&other.private_key));
    let tick = Step::parse("0.01").unwrap();
    let lot = Step::parse("0.00001").unwrap();
    let mut gw = BinanceFixGateway::new(&cfg, tick, lot, SeqNums::START).unwrap();
    // The session retries after its backoff; 2 s is enough for the first refusal.
    let ds = collect_for(&mut gw, &clock, 1, Duration::from_secs(2));
    assert!(ds.is_empty(), "logged on with the wrong key");
    assert!(venue
        .log()
        .contains("legcore: logon refused: RawData(96) signature invalid"));
    let log = venue.log() + &other.log();
    let key = std::fs::read_to_string(&other.private_key).unwrap();
    let body = key.lines().nth(1).unwrap();
    assert!(!log.contains(body), "the private key reached the wire");
}

/// An atomic two-leg group: buy on the FIX venue (QuickFIX), sell on a simulated venue.
/// The FIX leg is rejected (ErrorCode -2010); rollback unwinds the filled simulator leg to
/// flat, and the incident names the venue's code.
#[test]
fn a_group_with_a_rejected_fix_leg_unwinds_the_simulator_leg_to_flat() {
    use legcore::book::{Depth, Level};
    use legcore::group::{LegPlan, LegRisk, Outcome, Policy};
    use legcore::instrument::InstrumentRules;
    use legcore::leg::{Arrival, Fees, Mode};
    use legcore::num::{Decimal, Ratio};
    use legcore::risk::{RiskState, VenueLimits};
    use legcore::runtime::{run_setup, Config, Job, Setup, Venue};
    use legcore::sim::{FaultPlan, Latency, SimExchange, SimVenue};
    use legcore::strategy::NoStrategy;
    use legcore::walk::Recommendation;

    let venue = Acceptor::start(
        "group",
        "reject code=-2010 text=Account has insufficient balance for requested action.\n",
        CLIENT,
    );
    let one = Step::parse("1").unwrap();
    let clock = Clock::new();
    let mut fix = BinanceFixGateway::new(&config(&venue), one, one, SeqNums::START).unwrap();
    connect(&mut fix, &clock);
    let mut book = SimVenue::new(8, 8);
    let lv = |price_ticks, qty_lots| Level {
        price_ticks,
        qty_lots,
    };
    book.ladder_mut()
        .apply_snapshot(&[lv(99, 10)], &[lv(101, 10)], 1, Depth::Complete)
        .unwrap();
    let sim = SimExchange::new(vec![book], Latency::Fixed { ns: 0 }, FaultPlan::NONE, 1);
    let mut risk = RiskState::new(Decimal::from_i64(1_000_000));
    for _ in 0..2 {
        let limits = VenueLimits {
            max_order_notional: Decimal::from_i64(100_000),
            collar_bps: Ratio::from_num(1_000),
            max_open_orders: 64,
            msgs_per_sec: 1_000,
            burst: 100,
        };
        risk.add_venue(limits, 0).unwrap();
    }
    let rules = InstrumentRules::linear(one, one);
    let top = Arrival {
        bid_ticks: 99,
        ask_ticks: 101,
        recommendation: Recommendation::UseMarketAcceptable,
        expected_price_ticks: None,
    };
    let leg = |venue, side| LegPlan {
        venue,
        side,
        qty_lots: 4,
        lot_units: 1,
        mode: Mode::MarketOnly,
        max_slippage_bps: Ratio::from_num(400),
        fees: Fees::default(),
    };
    let job = Job {
        plans: vec![
            leg(VenueId::new(0), OrderSide::Buy),
            leg(VenueId::new(1), OrderSide::Sell),
        ],
        books: vec![BookId::new(0), BookId::new(0)],
        tops: vec![top, top],
        risk: vec![
            LegRisk {
                venue: VenueId::new(0),
                rules,
            },
            LegRisk {
                venue: VenueId::new(1),
                rules,
            },
        ],
        policy: Policy::Rollback,
        after_md_lines: 0,
    };
    let setup = Setup {
        gateways: vec![Venue::Network(Box::new(fix)), Venue::Local(sim)],
        risk,
        feeds: Vec::new(),
        jobs: vec![job],
        strategy: NoStrategy,
        strategy_groups: 0,
        recorder: None,
    };
    let report = run_setup(&Config::default(), setup).unwrap();
    let g = &report.groups[0];
    assert_eq!(g.outcome(), Some(Outcome::Flat));
    let sim = &report.gateways[0].books()[0];
    assert_eq!((sim.position_lots(), sim.traded_lots()), (0, 8));
    let incident = g.incident().unwrap();
    assert!(
        incident
            .summary
            .contains("venue rejected an order: code -2010"),
        "{}",
        incident.summary
    );
    assert_eq!(report.network.len(), 1);
    assert_eq!(report.network[0].venue, 0);
    // The order the venue refused is the one the FIX leg sent.
    let orders = venue.frames('<');
    let d: Vec<&String> = orders
        .iter()
        .filter(|f| field(f, 35) == Some("D"))
        .collect();
    assert_eq!(d.len(), 1);
    assert_eq!(
        (field(d[0], 54), field(d[0], 38), field(d[0], 59)),
        (Some("1"), Some("4"), Some("3"))
    );
}
