//! The mapping both ways, against frames written as Binance documents them.

use super::*;
use crate::fix::codec::FieldError;
use crate::fix::codec::{decode_frame, Decoder, Encoder, TimePrecision};
use crate::fix::session::{SeqNums, SessionConfig};
use crate::fix::sign::{ApiKey, Ed25519Signer};
use crate::index::LegIdx;
use crate::leg::Liquidity;
use crate::num::Step;
use crate::venue::{NewOrder, RejectReason, Report, ReportKind};

const T0: u64 = 1_718_096_506_228_000_000;

fn rules() -> InstrumentRules {
    InstrumentRules::linear(
        Step::parse("0.01").unwrap(),
        Step::parse("0.00001").unwrap(),
    )
}

fn orders(stp: Stp) -> BinanceOrders {
    BinanceOrders::new("BTCUSDT", "BTC", "USDT", rules(), stp)
}

/// A logged-on session (its Logon answered), outbox empty.
fn session() -> Session {
    let key = "MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u";
    let signer = Ed25519Signer::from_pem(key, ApiKey::new("k").unwrap()).unwrap();
    let mut s = Session::new(SessionConfig::binance("qNXO12fH"), signer, SeqNums::START).unwrap();
    s.on_tick(T0).unwrap();
    s.on_connected(T0).unwrap();
    let ack = venue(b"A", 1, |e| {
        e.int(98, 0).uint(108, 30);
    });
    s.on_frame(&decode_frame(&ack).unwrap(), T0).unwrap();
    s.clear_outbox();
    s
}

fn venue(mt: &[u8], seq: u32, body: impl FnOnce(&mut Encoder<'_>)) -> Vec<u8> {
    let mut buf = [0u8; 1024];
    let mut e = Encoder::new(&mut buf[..], mt);
    e.uint(34, u64::from(seq))
        .str(49, b"SPOT")
        .time(52, T0, TimePrecision::Micros);
    e.str(56, b"qNXO12fH");
    body(&mut e);
    e.finish().unwrap().to_vec()
}

fn order_ref() -> OrderRef {
    OrderRef::new(7, LegIdx::new(1), 0, 2).unwrap()
}

fn new_order(price: OrderPrice, tif: TimeInForce) -> Request {
    Request::New(NewOrder {
        order: order_ref(),
        side: OrderSide::Buy,
        price,
        qty_lots: 150,
        tif,
        reduce_only: false,
    })
}

/// The body of the one frame in the outbox, from ClOrdID on, `|` for SOH.
fn body(s: &mut Session) -> String {
    let mut d = Decoder::new(1024);
    d.feed(s.outbox());
    let f = d.next_frame().unwrap().unwrap();
    let text = String::from_utf8(f.bytes().to_vec())
        .unwrap()
        .replace('\x01', "|");
    s.clear_outbox();
    let from = text.find("|11=").unwrap() + 1;
    let to = text.find("10=").unwrap();
    text[from..to].to_string()
}

#[test]
fn new_orders_map_onto_binance_order_types() {
    let id = order_ref().wire();
    let mut s = session();
    let mut m = orders(Stp::ExpireMaker);
    let cases = [
        (
            OrderPrice::Limit(6_180_025),
            TimeInForce::PostOnly,
            "40=2|18=6|44=61800.25|54=1|55=BTCUSDT|25001=3|",
        ),
        (
            OrderPrice::Limit(6_180_025),
            TimeInForce::Ioc,
            "40=2|44=61800.25|54=1|55=BTCUSDT|59=3|25001=3|",
        ),
        (
            OrderPrice::Market {
                protection_ticks: 6_200_000,
            },
            TimeInForce::Ioc,
            "40=2|44=62000.00|54=1|55=BTCUSDT|59=3|25001=3|",
        ),
    ];
    for (price, tif, want) in cases {
        m.send(&new_order(price, tif), &mut s, T0).unwrap();
        assert_eq!(body(&mut s), format!("11={id}|38=0.00150|{want}"));
    }
    m.send(&Request::Cancel(order_ref()), &mut s, T0).unwrap();
    assert_eq!(body(&mut s), format!("11=C{id}|41={id}|55=BTCUSDT|"));
    let mut default = orders(Stp::Default);
    default
        .send(
            &new_order(OrderPrice::Limit(1), TimeInForce::Ioc),
            &mut s,
            T0,
        )
        .unwrap();
    assert!(!body(&mut s).contains("25001"));
}

#[test]
fn requests_without_a_binance_form_are_refused_and_nothing_is_sent() {
    let mut s = session();
    let mut m = orders(Stp::Default);
    let market_post = new_order(
        OrderPrice::Market {
            protection_ticks: 5,
        },
        TimeInForce::PostOnly,
    );
    assert!(matches!(
        m.send(&market_post, &mut s, T0),
        Err(MapError::Unsupported(_))
    ));
    let query = Request::Query(order_ref());
    assert!(matches!(
        m.send(&query, &mut s, T0),
        Err(MapError::Unsupported(_))
    ));
    let Request::New(mut o) = new_order(OrderPrice::Limit(5), TimeInForce::Ioc) else {
        unreachable!()
    };
    o.qty_lots = 0;
    let e = m.send(&Request::New(o), &mut s, T0).unwrap_err();
    assert!(
        matches!(
            e,
            MapError::OutOfRange {
                field: "qty_lots",
                value: 0,
                ..
            }
        ),
        "{e}"
    );
    assert!(s.outbox().is_empty());
    assert_eq!(s.seq().next_out, 2);
}

/// A decoded report, its ErrorCode and its Text.
type Got = (Report, Option<i64>, Option<Vec<u8>>);

fn report(m: &mut BinanceOrders, frame: &[u8]) -> Result<Got, ReportError> {
    let f = decode_frame(frame).unwrap();
    m.decode(&f)
        .map(|d| (d.report, d.error_code, d.text.map(<[u8]>::to_vec)))
}

#[test]
fn execution_reports_map_onto_venue_reports() {
    let id = order_ref().wire();
    let mut m = orders(Stp::Default);
    // The doc's ack (ExecType NEW), with our ClOrdID and symbol.
    let ack = venue(b"8", 2, |e| {
        e.uint(11, id)
            .str(14, b"0.00000000")
            .str(17, b"144")
            .str(32, b"0.00000000")
            .uint(37, 76);
        e.str(38, b"0.00150000")
            .char(39, b'0')
            .char(40, b'2')
            .str(44, b"61800.25000000");
        e.char(54, b'1')
            .str(55, b"BTCUSDT")
            .char(59, b'4')
            .str(60, b"20240611-09:01:46.228000");
        e.char(150, b'0')
            .str(151, b"0.00150000")
            .char(636, b'Y')
            .char(1057, b'Y');
    });
    assert_eq!(
        report(&mut m, &ack).unwrap().0,
        Report::new(order_ref(), ReportKind::Ack)
    );
    // A maker fill paying 0.001 USDT and a taker fill paying 0.00000015 BTC.
    let fill = |liq: u8, fee: &'static [u8], asset: &'static [u8]| {
        venue(b"8", 3, move |e| {
            e.uint(11, id)
                .str(14, b"0.00100")
                .uint(17, 145)
                .str(31, b"61800.25")
                .str(32, b"0.00100");
            e.char(39, b'1')
                .str(60, b"20240611-09:01:46.228000")
                .char(150, b'F');
            e.char(1057, liq)
                .uint(1003, 9_001)
                .uint(136, 1)
                .str(137, fee)
                .str(138, asset)
                .uint(139, 4);
        })
    };
    let (r, ..) = report(&mut m, &fill(b'N', b"0.001", b"USDT")).unwrap();
    let ReportKind::Fill(x) = r.kind else {
        panic!("a fill")
    };
    assert_eq!(
        (x.trade_id, x.last_qty_lots, x.price_ticks),
        (9_001, 100, 6_180_025)
    );
    assert_eq!((x.liquidity, x.at_ns), (Liquidity::Maker, T0));
    // 0.001 USDT / (0.01 × 0.00001) = 10 000 tick-lots.
    assert_eq!(x.fee_tl_e8, 10_000 * 100_000_000);
    let (r, ..) = report(&mut m, &fill(b'Y', b"0.00000015", b"BTC")).unwrap();
    let ReportKind::Fill(x) = r.kind else {
        panic!("a fill")
    };
    // 0.00000015 BTC × 61800.25 = 0.0092700375 USDT = 92 700.375 tick-lots, rounded up.
    assert_eq!(
        (x.liquidity, x.fee_tl_e8),
        (Liquidity::Taker, 9_270_037_500_000)
    );
    let (r, ..) = report(&mut m, &fill(b'N', b"0.0001", b"BNB")).unwrap();
    let ReportKind::Fill(x) = r.kind else {
        panic!("a fill")
    };
    assert_eq!((x.fee_tl_e8, m.unconverted_fees()), (0, 1));
    // Up, never down: 10⁻¹⁸ USDT is 10⁻³ of a tick-lot × 10⁸, so 1; a rebate is exact.
    for (fee, want) in [
        (&b"0.000000000000000001"[..], 1),
        (b"-0.001", -10_000 * 100_000_000),
    ] {
        let (r, ..) = report(&mut m, &fill(b'N', fee, b"USDT")).unwrap();
        let ReportKind::Fill(x) = r.kind else {
            panic!("a fill")
        };
        assert_eq!(x.fee_tl_e8, want);
    }
    // Cancel ack (for the cancel's ClOrdID, naming the order in OrigClOrdID), expiry.
    let cancel = venue(b"8", 4, |e| {
        e.str(11, b"C1")
            .uint(41, id)
            .str(14, b"0.00100")
            .char(150, b'4');
    });
    let want = ReportKind::CancelAck { filled_lots: 100 };
    assert_eq!(report(&mut m, &cancel).unwrap().0.kind, want);
    let expired = venue(b"8", 5, |e| {
        e.uint(11, id).str(14, b"0.00000").char(150, b'C');
    });
    assert_eq!(
        report(&mut m, &expired).unwrap().0.kind,
        ReportKind::Expired { filled_lots: 0 }
    );
}

#[test]
fn rejects_carry_binance_error_codes_and_text() {
    let id = order_ref().wire();
    let mut m = orders(Stp::Default);
    let rejected = venue(b"8", 2, |e| {
        e.uint(11, id)
            .str(14, b"0")
            .char(150, b'8')
            .int(25016, -2010);
        e.str(58, b"Order would immediately match and take.");
    });
    let (r, code, text) = report(&mut m, &rejected).unwrap();
    assert_eq!(r.kind, ReportKind::Reject(RejectReason::PostOnlyWouldCross));
    assert_eq!(
        (code, text.as_deref()),
        (
            Some(-2010),
            Some(&b"Order would immediately match and take."[..])
        )
    );
    // The doc's OrderCancelReject, with our ids.
    let cxl = venue(b"9", 3, |e| {
        e.str(11, b"C5")
            .uint(41, id)
            .str(55, b"BTCUSDT")
            .str(58, b"Unknown order sent.");
        e.char(434, b'1').int(25016, -1013);
    });
    let (r, code, _) = report(&mut m, &cxl).unwrap();
    assert_eq!(
        (r.kind, code),
        (
            ReportKind::CancelReject(RejectReason::UnknownOrder),
            Some(-1013)
        )
    );
    let other = venue(b"8", 4, |e| {
        e.uint(11, id)
            .str(14, b"0")
            .char(150, b'8')
            .int(25016, -2099);
    });
    assert_eq!(
        report(&mut m, &other).unwrap().0.kind,
        ReportKind::Reject(RejectReason::Other(-2099))
    );
}

#[test]
fn a_session_reject_finds_its_order_by_seq_num() {
    let mut s = session();
    let mut m = orders(Stp::Default);
    m.send(
        &new_order(OrderPrice::Limit(7), TimeInForce::Ioc),
        &mut s,
        T0,
    )
    .unwrap();
    m.send(&Request::Cancel(order_ref()), &mut s, T0).unwrap();
    let reject = |seq: u64| {
        venue(b"3", 2, move |e| {
            e.uint(45, seq)
                .uint(371, 44)
                .str(372, b"D")
                .uint(373, 5)
                .int(25016, -1102);
        })
    };
    let (r, code, _) = report(&mut m, &reject(2)).unwrap();
    assert_eq!(
        (r.order, r.kind, code),
        (
            order_ref(),
            ReportKind::Reject(RejectReason::InvalidOrder),
            Some(-1102)
        )
    );
    assert_eq!(
        report(&mut m, &reject(3)).unwrap().0.kind,
        ReportKind::CancelReject(RejectReason::InvalidOrder)
    );
    assert_eq!(
        report(&mut m, &reject(9)).unwrap_err(),
        ReportError::UnknownSeq(9)
    );
}

#[test]
fn foreign_and_malformed_reports_are_typed_errors() {
    let mut m = orders(Stp::Default);
    let foreign = venue(b"8", 2, |e| {
        e.str(11, b"web_abc").char(150, b'0');
    });
    assert!(matches!(
        report(&mut m, &foreign),
        Err(ReportError::ForeignOrder(_))
    ));
    let off_lot = venue(b"8", 3, |e| {
        e.uint(11, order_ref().wire())
            .str(14, b"0.000001")
            .char(150, b'4');
    });
    assert!(matches!(
        report(&mut m, &off_lot),
        Err(ReportError::Field(FieldError::OutOfRange { tag: 14, .. }))
    ));
    let replaced = venue(b"8", 4, |e| {
        e.uint(11, order_ref().wire()).char(150, b'5');
    });
    assert!(matches!(
        report(&mut m, &replaced),
        Err(ReportError::Unsupported {
            what: "ExecType",
            ..
        })
    ));
    let no_trade_id = venue(b"8", 5, |e| {
        e.uint(11, order_ref().wire())
            .str(31, b"1")
            .str(32, b"0.001")
            .char(150, b'F')
            .char(1057, b'Y');
    });
    assert!(matches!(
        report(&mut m, &no_trade_id),
        Err(ReportError::Field(FieldError::Missing { .. }))
    ));
}
