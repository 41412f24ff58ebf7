//! The Binance Spot FIX gateway against a real third-party FIX engine: QuickFIX
//! (Debian's libquickfix-dev) as the venue, loaded with Binance's own dictionary
//! (`tests/fix/acceptor.cpp`, on 127.0.0.1). The acceptor verifies the Ed25519 Logon
//! signature with OpenSSL and answers from a script; its message log and the gateway's
//! deliveries must agree order by order.

mod common;

#[path = "fix/harness.rs"]
mod harness;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use harness::{field, Acceptor};
use legcore::book::OrderSide;
use legcore::fix::session::{SeqNums, SessionState};
use legcore::fix::sign::SecretSource;
use legcore::index::{BookId, LegIdx, VenueId};
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
    venue.gateway_config(CLIENT)
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
        order: OrderRef::new(job, LegIdx::new(0), 0, 0).unwrap(),
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
        .map(|j| {
            OrderRef::new(j, LegIdx::new(0), 0, 0)
                .unwrap()
                .wire()
                .to_string()
        })
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
    use legcore::group::Outcome;

    use legcore::runtime::{run_setup, Config, Setup, Venue};
    use legcore::sim::{FaultPlan, Latency, SimExchange, SimVenue};
    use legcore::strategy::NoStrategy;

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
    let risk = common::risk::paced(2, 1_000, 100, 64);
    let job = common::jobs::buy_sell(BookId::new(0));
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

/// The first D of `venue`'s log with ClOrdID `id`'s wire number, if any.
fn received_order(venue: &Acceptor, id: OrderRef) -> Option<String> {
    let wire = id.wire().to_string();
    venue
        .frames('<')
        .into_iter()
        .find(|f| field(f, 35) == Some("D") && field(f, 11) == Some(wire.as_str()))
}

/// A venue whose dictionary lacks SelfTradePreventionMode TRANSFER (`6`), which
/// legcore's settings allow (Binance lists it): QuickFIX itself must refuse such an
/// order with a session Reject(3), and the gateway must report the order rejected at
/// once, with the session's reason, tag and text.
#[test]
fn a_field_the_venues_dictionary_refuses_is_rejected_by_quickfix_and_reported_at_once() {
    let dict = harness::derived_dictionary(
        "no-transfer",
        &[("   <value enum='6' description='TRANSFER'/>\n", "")],
    );
    let venue = Acceptor::start_with("dictreject", "fill\n", CLIENT, &dict);
    let clock = Clock::new();
    let mut cfg = config(&venue);
    cfg.stp_mode = Some(StpMode::Transfer);
    let tick = Step::parse("0.01").unwrap();
    let lot = Step::parse("0.00001").unwrap();
    let mut gw = BinanceFixGateway::new(&cfg, tick, lot, SeqNums::START).unwrap();
    connect(&mut gw, &clock);
    let o1 = order(1, 10_050, 100_000, TimeInForce::PostOnly);
    let asked = Instant::now();
    gw.send(BookId::new(0), Request::New(o1), clock.now_ns())
        .unwrap();
    let got = reports(&collect(&mut gw, &clock, 1));
    let took = asked.elapsed();
    assert_eq!(got.len(), 1, "no report for the refused order");
    assert!(took < Duration::from_secs(2), "reported after {took:?}");
    assert_eq!(got[0].order, o1.order);
    assert_eq!(got[0].kind, ReportKind::Reject(RejectReason::InvalidOrder));
    let d = got[0].detail.expect("the session's words");
    assert_eq!(
        (d.code, d.session_reason, d.ref_tag),
        (None, Some(5), Some(25001))
    );
    assert_eq!(
        d.text.as_str(),
        "Value is incorrect (out of range) for this tag"
    );
    // QuickFIX's own Reject, naming the order's MsgSeqNum; the script never saw it.
    let d_frame = received_order(&venue, o1.order).expect("the order reached QuickFIX");
    assert_eq!(field(&d_frame, 25001), Some("6"));
    let rejects: Vec<String> = venue
        .frames('>')
        .into_iter()
        .filter(|f| field(f, 35) == Some("3"))
        .collect();
    assert_eq!(rejects.len(), 1, "{}", venue.log());
    let r = &rejects[0];
    assert_eq!(field(r, 45), field(&d_frame, 34));
    assert_eq!(
        (field(r, 373), field(r, 371), field(r, 372)),
        (Some("5"), Some("25001"), Some("D"))
    );
    assert!(
        !venue.log().contains("legcore: order "),
        "the script answered it"
    );
    // The session goes on: a cancel (no STP field) reaches the script, which does not
    // know the order.
    gw.send(BookId::new(0), Request::Cancel(o1.order), clock.now_ns())
        .unwrap();
    let got = reports(&collect(&mut gw, &clock, 1));
    assert_eq!(
        got.iter().map(|r| r.kind).collect::<Vec<_>>(),
        vec![ReportKind::CancelReject(RejectReason::UnknownOrder)]
    );
    assert_eq!(got[0].detail.and_then(|d| d.code), Some(-2011));
    assert_eq!(gw.state(), SessionState::Active);
    gw.close(clock.now_ns(), Duration::from_secs(2));
}

/// Binance's dictionary with FIX 4.4's standard resend messages and header fields,
/// which Binance itself does not implement (it resets sequence numbers at every logon):
/// the venue of the sequence-gap test, a FIX venue that resumes sessions.
fn resend_dictionary() -> std::path::PathBuf {
    harness::derived_dictionary(
        "resend",
        &[
            (
                "  <field name='RecvWindow' required='N'/>\n",
                "  <field name='RecvWindow' required='N'/>\n  \
                 <field name='PossDupFlag' required='N'/>\n  \
                 <field name='OrigSendingTime' required='N'/>\n",
            ),
            (
                "  <message name='Reject' msgcat='admin' msgtype='3'>",
                "  <message name='ResendRequest' msgcat='admin' msgtype='2'>\n   \
                 <field name='BeginSeqNo' required='Y'/>\n   \
                 <field name='EndSeqNo' required='Y'/>\n  </message>\n  \
                 <message name='SequenceReset' msgcat='admin' msgtype='4'>\n   \
                 <field name='GapFillFlag' required='N'/>\n   \
                 <field name='NewSeqNo' required='Y'/>\n  </message>\n  \
                 <message name='Reject' msgcat='admin' msgtype='3'>",
            ),
            (
                "   <value enum='1' description='TEST_REQUEST'/>\n",
                "   <value enum='1' description='TEST_REQUEST'/>\n   \
                 <value enum='2' description='RESEND_REQUEST'/>\n",
            ),
            (
                "   <value enum='3' description='REJECT'/>\n",
                "   <value enum='3' description='REJECT'/>\n   \
                 <value enum='4' description='SEQUENCE_RESET'/>\n",
            ),
            (
                " <fields>\n",
                " <fields>\n  <field number='7' name='BeginSeqNo' type='SEQNUM'/>\n  \
                 <field number='16' name='EndSeqNo' type='SEQNUM'/>\n  \
                 <field number='36' name='NewSeqNo' type='SEQNUM'/>\n  \
                 <field number='43' name='PossDupFlag' type='BOOLEAN'/>\n  \
                 <field number='122' name='OrigSendingTime' type='UTCTIMESTAMP'/>\n  \
                 <field number='123' name='GapFillFlag' type='BOOLEAN'/>\n",
            ),
        ],
    )
}

/// The TCP link drops after the venue acknowledged order 1, before it read order 2.
/// While legcore is away the venue fills 0.4 of order 1 (stored, its next MsgSeqNum);
/// when legcore is back the rest fills at once. legcore reconnects resuming its numbers:
/// the venue's Logon is past what legcore expects, so legcore asks for a resend, and the
/// resend to the end repeats the fill legcore already has (PossDupFlag=Y). The venue
/// in turn misses order 2 and asks legcore for it: legcore gap-fills it (it never
/// resends orders) and reports order 2 rejected at once. Each fill is delivered once.
#[test]
fn a_reconnect_after_a_sequence_gap_recovers_by_resend_both_ways() {
    let venue = Acceptor::start_with(
        "resend",
        "drop away=0.4 at_logon\n",
        CLIENT,
        &resend_dictionary(),
    );
    let clock = Clock::new();
    let mut cfg = config(&venue);
    cfg.reset_seq_on_logon = false;
    let tick = Step::parse("0.01").unwrap();
    let lot = Step::parse("0.00001").unwrap();
    let mut gw = BinanceFixGateway::new(&cfg, tick, lot, SeqNums::START).unwrap();
    connect(&mut gw, &clock);
    let o1 = order(1, 10_050, 100_000, TimeInForce::PostOnly);
    let o2 = order(2, 10_000, 100_000, TimeInForce::PostOnly);
    // Back to back, without polling: the venue drops the link after reading order 1.
    for o in [o1, o2] {
        gw.send(BookId::new(0), Request::New(o), clock.now_ns())
            .unwrap();
    }
    let ds = collect(&mut gw, &clock, 6);
    let resent = || {
        let fills = venue.frames('>').into_iter();
        fills
            .filter(|f| field(f, 150) == Some("F") && field(f, 43) == Some("Y"))
            .count()
    };
    let end = Instant::now() + Duration::from_secs(5);
    while resent() < 2 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(resent(), 2, "no resend: {}", venue.log());
    // Anything more (a fill delivered twice) would arrive now.
    let more = collect_for(&mut gw, &clock, 1, Duration::from_millis(300));
    assert!(more.is_empty(), "more deliveries: {more:?}");
    let links: Vec<&Delivery> = ds
        .iter()
        .filter(|d| !matches!(d, Delivery::Report { .. }))
        .collect();
    assert_eq!(links, [&Delivery::Disconnected, &Delivery::Connected]);
    let got = reports(&ds);
    let of = |o: &NewOrder| -> Vec<Report> {
        got.iter().filter(|r| r.order == o.order).copied().collect()
    };
    // Order 1: acknowledged, then both fills, each once (the live one first).
    let r1 = of(&o1);
    assert_eq!(r1.len(), 3, "{r1:?}");
    assert_eq!(r1[0].kind, ReportKind::Ack);
    let fills: Vec<(u64, i64)> = r1[1..]
        .iter()
        .filter_map(|r| match r.kind {
            ReportKind::Fill(x) => Some((x.trade_id, x.last_qty_lots)),
            _ => None,
        })
        .collect();
    assert_eq!(fills, [(502, 60_000), (501, 40_000)]);
    // Order 2: never read by the venue; reported rejected, with why.
    let r2 = of(&o2);
    assert_eq!(r2.len(), 1, "{r2:?}");
    assert_eq!(r2[0].kind, ReportKind::Reject(RejectReason::Unavailable));
    let text = r2[0].detail.unwrap().text;
    assert!(
        text.as_str().starts_with("never reached the venue"),
        "{text}"
    );
    assert!(
        received_order(&venue, o2.order).is_none(),
        "the venue read order 2"
    );
    let counts = gw.counts();
    assert_eq!((counts.duplicates, counts.never_received), (1, 1));
    assert_eq!(counts.logons, 2);
    the_resend_log_agrees(&venue);
    // The session goes on in sequence: order 3 is answered (the script rests it).
    let o3 = order(3, 10_000, 100_000, TimeInForce::PostOnly);
    gw.send(BookId::new(0), Request::New(o3), clock.now_ns())
        .unwrap();
    let r3 = reports(&collect(&mut gw, &clock, 1));
    assert_eq!(r3, vec![Report::new(o3.order, ReportKind::Ack)]);
    assert!(
        !venue.log().contains("35=3|"),
        "a session Reject: {}",
        venue.log()
    );
    gw.close(clock.now_ns(), Duration::from_secs(2));
}

/// The acceptor's side of the resend test, from its message log.
fn the_resend_log_agrees(venue: &Acceptor) {
    let ins = venue.frames('<');
    let outs = venue.frames('>');
    let logons: Vec<&String> = ins.iter().filter(|f| field(f, 35) == Some("A")).collect();
    assert_eq!(logons.len(), 2);
    // legcore's second Logon resumes its numbers: 1 Logon, 2 order 1, 3 order 2 (lost).
    assert_eq!(
        (field(logons[1], 34), field(logons[1], 141)),
        (Some("4"), Some("N"))
    );
    // The venue asked for 3 on; legcore answered with a GapFill from 3 past its last.
    let asked = outs
        .iter()
        .find(|f| field(f, 35) == Some("2"))
        .expect("the venue's ResendRequest");
    assert_eq!((field(asked, 7), field(asked, 16)), (Some("3"), Some("0")));
    let gap_fill = ins
        .iter()
        .find(|f| field(f, 35) == Some("4"))
        .expect("legcore's GapFill");
    assert_eq!(
        (
            field(gap_fill, 34),
            field(gap_fill, 123),
            field(gap_fill, 43)
        ),
        (Some("3"), Some("Y"), Some("Y"))
    );
    let next_out: u32 = field(gap_fill, 36).unwrap().parse().unwrap();
    assert!(next_out > 4, "{gap_fill}");
    // legcore asked for everything from the fill stored while it was away.
    let log = venue.log();
    let stored = log
        .lines()
        .find_map(|l| l.strip_prefix("# legcore: stored while logged out: "))
        .expect("the fill stored while legcore was away");
    let live: Vec<&String> = outs
        .iter()
        .filter(|f| field(f, 150) == Some("F") && field(f, 43).is_none())
        .collect();
    assert_eq!(live.len(), 1, "one fill sent live, after the second Logon");
    let theirs = ins
        .iter()
        .find(|f| field(f, 35) == Some("2"))
        .expect("legcore's ResendRequest");
    assert_eq!(
        (field(theirs, 7), field(theirs, 16)),
        (field(stored, 34), Some("0"))
    );
    // The venue resent both fills with PossDupFlag=Y, under their first numbers: the
    // one legcore never had and the one it had (sent live after the Logon).
    let resent: Vec<&String> = outs
        .iter()
        .filter(|f| field(f, 150) == Some("F") && field(f, 43) == Some("Y"))
        .collect();
    let key = |f: &str| {
        (
            field(f, 34).map(str::to_string),
            field(f, 1003).map(str::to_string),
        )
    };
    let firsts = [key(stored), key(live[0])];
    assert_eq!(resent.iter().map(|f| key(f)).collect::<Vec<_>>(), firsts);
    assert!(resent.iter().all(|f| field(f, 122).is_some()));
}

/// Jobs on the FIX venue alone, one leg each, through the engine with a journal: what
/// the journal says was sent and reported must be what QuickFIX received and sent,
/// order by order (see `the_journal_agrees`).
#[test]
fn the_journal_and_the_acceptors_log_agree_order_by_order() {
    use legcore::group::{LegPlan, LegRisk, Policy};
    use legcore::instrument::{ContractKind, InstrumentRules, VenueInfo};
    use legcore::journal::line::{Line, Opened};
    use legcore::journal::{path_in, read, Fsync, JournalRecorder, Writer};
    use legcore::leg::{Arrival, Fees, Mode};
    use legcore::num::{Decimal, Ratio};
    use legcore::runtime::{run_setup, Config, Job, Setup, Venue};
    use legcore::strategy::NoStrategy;
    use legcore::walk::Recommendation;

    let script = "fill fee=0.01\n\
                  partial qty=2\n\
                  reject code=-2010 text=Account has insufficient balance for requested action.\n\
                  reject code=-1013 text=Filter failure: LOT_SIZE\n\
                  rest\n";
    let venue = Acceptor::start("journal", script, CLIENT);
    let one = Step::parse("1").unwrap();
    let clock = Clock::new();
    let mut fix = BinanceFixGateway::new(&config(&venue), one, one, SeqNums::START).unwrap();
    connect(&mut fix, &clock);
    let risk = common::risk::paced(1, 1_000, 100, 64);
    let rules = InstrumentRules::linear(one, one);
    let top = Arrival {
        bid_ticks: 99,
        ask_ticks: 101,
        recommendation: Recommendation::UseMarketAcceptable,
        expected_price_ticks: None,
    };
    let job = |mode, side| Job {
        plans: vec![LegPlan {
            venue: VenueId::new(0),
            side,
            qty_lots: 4,
            lot_units: 1,
            mode,
            max_slippage_bps: Ratio::from_num(400),
            fees: Fees::default(),
        }],
        books: vec![BookId::new(0)],
        tops: vec![top],
        risk: vec![LegRisk {
            venue: VenueId::new(0),
            rules,
        }],
        policy: Policy::AcceptPartial,
        after_md_lines: 0,
    };
    let rest = Mode::LimitOnly {
        timeout_ns: 200_000_000,
    };
    let jobs = vec![
        job(Mode::MarketOnly, OrderSide::Buy),
        job(Mode::MarketOnly, OrderSide::Sell),
        job(Mode::MarketOnly, OrderSide::Buy),
        job(Mode::MarketOnly, OrderSide::Sell),
        job(rest, OrderSide::Buy),
    ];
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("fix-journal-run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (writer, _) = Writer::open(&dir, Fsync::Never).unwrap();
    let info = VenueInfo {
        name: "binance".into(),
        instrument: "BTCUSDT".into(),
        tick: one,
        lot: one,
        kind: ContractKind::Linear,
        multiplier: Decimal::ONE,
        quote: "USDT".into(),
        settle: "USDT".into(),
    };
    let (mut recorder, _) = JournalRecorder::new(Some(writer), vec![info], "fix-journal");
    recorder.write(&Line::Opened(Opened::now("fix-journal")), true);
    let setup = Setup {
        gateways: vec![Venue::<legcore::sim::SimExchange>::Network(Box::new(fix))],
        risk,
        feeds: Vec::new(),
        jobs,
        strategy: NoStrategy,
        strategy_groups: 0,
        recorder: Some(Box::new(recorder)),
    };
    let report = run_setup(&Config::default(), setup).unwrap();
    assert_eq!(report.groups.len(), 5);
    let lines = read(&path_in(&dir), false).unwrap().records;
    the_journal_agrees(&venue, &lines);
    let _ = std::fs::remove_dir_all(&dir);
}

/// For every order in the journal: its `sent` submit is the D QuickFIX received (side,
/// quantity, price, time in force) and a cancel the F; its `report` lines are the
/// reports QuickFIX sent for it, one for one and in order (ExecType, trade id, last
/// quantity and price; a reject's ErrorCode and Text as the journal's venue words).
fn the_journal_agrees(venue: &Acceptor, lines: &[legcore::journal::Line]) {
    use legcore::journal::line::{Cmd, Event, Line, Side, TifName};
    use legcore::num::Decimal;

    let ins = venue.frames('<');
    let outs = venue.frames('>');
    let dec = |t: Option<&str>| t.map(|t| Decimal::parse(t).unwrap());
    let int = |v: i64| Some(Decimal::from_i64(v));
    let mut orders = std::collections::BTreeMap::new();
    for l in lines {
        let Line::Sent(s) = l else { continue };
        let wire = s.client_id.wire().to_string();
        let want = |mt: &str, tag: u32| {
            let f = ins
                .iter()
                .find(|f| field(f, 35) == Some(mt) && field(f, tag) == Some(&wire));
            f.unwrap_or_else(|| panic!("no {mt} for {wire}: {}", venue.log()))
        };
        match s.cmd {
            Cmd::Submit {
                side,
                price_ticks,
                qty_lots,
                tif,
                ..
            } => {
                let d = want("D", 11);
                let side = if side == Side::Buy { "1" } else { "2" };
                assert_eq!(field(d, 54), Some(side), "{d}");
                assert_eq!(dec(field(d, 38)), int(qty_lots), "{d}");
                assert_eq!(dec(field(d, 44)), int(price_ticks), "{d}");
                let (t59, t18) = match tif {
                    TifName::Ioc => (Some("3"), None),
                    TifName::PostOnly => (None, Some("6")),
                };
                assert_eq!((field(d, 59), field(d, 18)), (t59, t18), "{d}");
                orders.insert(wire, Vec::new());
            }
            Cmd::Cancel { .. } => drop(want("F", 41)),
            Cmd::Query { .. } => panic!("no status queries on Binance FIX"),
        }
    }
    assert_eq!(orders.len(), 5, "five orders sent");
    for l in lines {
        if let Line::Report(r) = l {
            let of = orders.get_mut(&r.client_id.wire().to_string());
            of.expect("a report for an order sent").push(r.clone());
        }
    }
    let mut seen_codes = Vec::new();
    for (wire, reports) in &orders {
        let answers: Vec<&String> = outs
            .iter()
            .filter(|f| matches!(field(f, 35), Some("8" | "9")))
            .filter(|f| field(f, 41).or(field(f, 11)) == Some(wire.as_str()))
            .collect();
        assert_eq!(
            answers.len(),
            reports.len(),
            "order {wire}: {answers:?} {reports:?}"
        );
        for (a, r) in answers.iter().zip(reports) {
            assert!(r.taken, "{r:?}");
            let exec = match r.event {
                Event::Accepted => "0",
                Event::Expired { .. } => "C",
                Event::CancelAcked { .. } => "4",
                Event::CancelRejected { .. } => "cancel-reject",
                Event::Filled {
                    trade_id,
                    fill_lots,
                    fill_price_ticks,
                    ..
                } => {
                    assert_eq!(field(a, 1003), Some(trade_id.to_string().as_str()));
                    assert_eq!(dec(field(a, 32)), int(fill_lots), "{a}");
                    assert_eq!(dec(field(a, 31)), int(fill_price_ticks), "{a}");
                    "F"
                }
                Event::Rejected { .. } => {
                    let code = field(a, 25016).map(|c| c.parse::<i32>().unwrap());
                    assert_eq!(r.venue.venue_code, code, "{a}");
                    assert_eq!(r.venue.venue_text.as_deref(), field(a, 58), "{a}");
                    seen_codes.push((code, r.event));
                    "8"
                }
                e => panic!("unexpected {e:?}"),
            };
            assert_eq!(field(a, 150).unwrap_or("cancel-reject"), exec, "{a}");
        }
    }
    // The venue's code survives a reason legcore names (-1013 is invalid_order) and
    // one it does not (-2010).
    use legcore::journal::line::ReasonLine;
    seen_codes.sort_by_key(|(c, _)| *c);
    assert_eq!(
        seen_codes,
        vec![
            (
                Some(-2010),
                Event::Rejected {
                    reason: ReasonLine::Other { code: -2010 }
                }
            ),
            (
                Some(-1013),
                Event::Rejected {
                    reason: ReasonLine::InvalidOrder
                }
            ),
        ]
    );
}

#[test]
fn in_flight_counts_each_request_until_its_answer_and_no_longer_than_the_answer_wait() {
    // An IOC the venue answers with three reports (new, a fill, its expiry), and a
    // post-only order it never answers: the IOC's two non-fill reports answer one
    // request, so the silent order is still in flight (a count of reports would have
    // let a drain end here); it stops counting after the answer wait, bounded.
    let venue = Acceptor::start("inflight", "partial qty=0.4\nsilent\n", CLIENT);
    let clock = Clock::new();
    let mut gw = gateway(&venue);
    connect(&mut gw, &clock);
    let (ioc, quiet) = (
        order(1, 10_050, 100_000, TimeInForce::Ioc),
        order(2, 10_000, 100_000, TimeInForce::PostOnly),
    );
    for o in [ioc, quiet] {
        gw.send(BookId::new(0), Request::New(o), clock.now_ns())
            .unwrap();
    }
    assert_eq!(gw.in_flight(), 2);
    let got = reports(&collect(&mut gw, &clock, 3));
    assert!(got.iter().all(|r| r.order == ioc.order), "{got:?}");
    assert!(matches!(got[2].kind, ReportKind::Expired { .. }), "{got:?}");
    assert_eq!(gw.in_flight(), 1, "the silent order is still awaited");
    let sent = Instant::now();
    while gw.in_flight() > 0 {
        assert!(
            sent.elapsed() < Duration::from_secs(8),
            "waited past the bound"
        );
        assert!(gw.poll(clock.now_ns()).unwrap().is_none());
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        sent.elapsed() >= Duration::from_secs(4),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(gw.counts().answers_overdue, 1);
    gw.close(clock.now_ns(), Duration::from_secs(2));
}
