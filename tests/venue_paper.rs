//! `legcore venue serve`'s paper venue (`runtime::venue_serve::Paper`) over the real
//! simulator, driven by the gateway's own encoder, its answers and events read back by
//! the gateway's parsers (`legcore::binance_ws`): both sides of the wire, no socket.

use legcore::binance_ws::events::{self, Contract, UserEvent};
use legcore::binance_ws::request::{Encoder, Place, Stamp, WsOrderKind, WsSide};
use legcore::binance_ws::response::{self, Answer};
use legcore::binance_ws::sign::{HmacSigner, WsSigner};
use legcore::book::{Depth, Level};
use legcore::fix::sign::ApiKey;
use legcore::instrument::{ContractKind, InstrumentRules};
use legcore::leg::{Fees, Liquidity};
use legcore::num::{Decimal, Step};
use legcore::runtime::venue_serve::{Auth, Out, Paper, PaperConfig, RateLimits};
use legcore::sim::{FaultPlan, Latency, SimExchange, SimVenue};
use legcore::venue::ReportKind;
use serde_json::Value;

type Venue = Paper<SimExchange>;

const KEY: &str = "paperApiKey01";
const SECRET: &str = "paperSecret01";
const EPOCH_MS: u64 = 1_700_000_000_000;

fn steps() -> (Step, Step) {
    (Step::parse("0.1").unwrap(), Step::parse("0.001").unwrap())
}

fn signer(secret: &str) -> WsSigner {
    WsSigner::Hmac(HmacSigner::new(secret, ApiKey::new(KEY).unwrap()).unwrap())
}

fn lv(price_ticks: i64, qty_lots: i64) -> Level {
    Level {
        price_ticks,
        qty_lots,
    }
}

/// BTCUSDT at tick 0.1, lot 0.001: bids 59999.0 × 2, 59998.0 × 3; asks 60001.0 × 1,
/// 60002.0 × 2 (BTC). Fees 2 bps maker, 5 bps taker.
fn paper_with(limits: RateLimits) -> Venue {
    paper_faulted(limits, FaultPlan::default())
}

fn paper_faulted(limits: RateLimits, plan: FaultPlan) -> Venue {
    paper_on(limits, plan, Latency::Fixed { ns: 0 })
}

fn paper_on(limits: RateLimits, plan: FaultPlan, latency: Latency) -> Venue {
    let (tick, lot) = steps();
    let fees = Fees {
        maker_e8: 20_000,
        taker_e8: 50_000,
    };
    let mut book = SimVenue::new(64, 64).with_fees(fees);
    book.ladder_mut()
        .apply_snapshot(
            &[lv(599_990, 2_000), lv(599_980, 3_000)],
            &[lv(600_010, 1_000), lv(600_020, 2_000)],
            1,
            Depth::Complete,
        )
        .unwrap();
    let exchange = SimExchange::new(vec![book], latency, plan, 1);
    let rules = InstrumentRules::new(
        tick,
        lot,
        1,
        Decimal::parse("100").unwrap(),
        Decimal::parse("1").unwrap(),
        ContractKind::Linear,
    )
    .unwrap();
    let auth = Auth {
        api_key: KEY.into(),
        hmac: Some(HmacSigner::new(SECRET, ApiKey::new(KEY).unwrap()).unwrap()),
        ed25519: None,
    };
    let cfg = PaperConfig {
        symbol: "BTCUSDT".into(),
        quote: "USDT".into(),
        rules,
        auth,
        limits,
        listen_key_ttl_ns: 3_600_000_000_000,
        epoch_ms_at_zero: EPOCH_MS,
    };
    Paper::new(cfg, exchange)
}

fn paper() -> Venue {
    paper_with(RateLimits::default())
}

fn stamp(now_ms: u64) -> Stamp {
    Stamp {
        steps: steps(),
        timestamp_ms: now_ms,
        recv_window_ms: 5_000,
    }
}

fn place(kind: WsOrderKind, side: WsSide, lots: i64, cid: &str) -> Place<'_> {
    Place {
        symbol: "BTCUSDT",
        side,
        kind,
        qty_lots: lots,
        client_id: Some(cid),
        reduce_only: false,
    }
}

/// Sends `frame` at `now_ns`; the answers and the events.
fn send(p: &mut Venue, frame: &str, now_ns: u64) -> (Vec<String>, Vec<String>) {
    let mut out = Vec::new();
    p.request(1, frame, now_ns, &mut out);
    split(out)
}

fn split(out: Vec<Out>) -> (Vec<String>, Vec<String>) {
    let (mut answers, mut events) = (Vec::new(), Vec::new());
    for o in out {
        match o {
            Out::Answer(1, f) => answers.push(f),
            Out::Event(f) => events.push(f),
            other => panic!("unexpected {other:?}"),
        }
    }
    (answers, events)
}

fn order_status(frame: &str) -> (String, String) {
    match response::parse(frame).unwrap().answer {
        Answer::Order {
            status,
            executed_qty,
            ..
        } => (status.to_string(), executed_qty.to_string()),
        Answer::Refused { code, msg, .. } => panic!("refused {code} {msg}"),
    }
}

fn refused(frame: &str) -> i64 {
    match response::parse(frame).unwrap().answer {
        Answer::Refused { code, .. } => code,
        a => panic!("not refused: {a:?}"),
    }
}

fn contract() -> Contract<'static> {
    Contract {
        steps: steps(),
        quote: "USDT",
    }
}

#[test]
fn a_post_only_order_rests_is_queried_and_cancelled_with_events_the_gateway_reads() {
    let mut p = paper();
    let s = signer(SECRET);
    let mut enc = Encoder::new();
    let o = place(WsOrderKind::PostOnly(599_000), WsSide::Buy, 5, "c-1");
    let f = enc.place(1, &o, &s, &stamp(EPOCH_MS)).unwrap().to_string();
    let (a, e) = send(&mut p, &f, 0);
    assert_eq!(order_status(&a[0]), ("NEW".into(), "0.000".into()));
    let UserEvent::Order {
        client_id, kind, ..
    } = events::parse(&e[0], &contract()).unwrap()
    else {
        panic!("an order event");
    };
    assert_eq!((client_id, kind), ("c-1", ReportKind::Ack));

    let q = enc
        .by_client_id(2, true, "BTCUSDT", "c-1", &s, &stamp(EPOCH_MS + 5))
        .unwrap();
    let (a, e) = send(&mut p, q, 5_000_000);
    assert_eq!(order_status(&a[0]).0, "NEW");
    assert!(e.is_empty(), "a status query makes no event");

    let c = enc
        .by_client_id(3, false, "BTCUSDT", "c-1", &s, &stamp(EPOCH_MS + 6))
        .unwrap();
    let (a, e) = send(&mut p, c, 6_000_000);
    assert_eq!(order_status(&a[0]).0, "CANCELED");
    let ev = events::parse(&e[0], &contract()).unwrap();
    assert!(matches!(
        ev,
        UserEvent::Order {
            kind: ReportKind::CancelAck { filled_lots: 0 },
            ..
        }
    ));
    // Cancelled is closed: the record answers, a second cancel is refused.
    let q = enc
        .by_client_id(4, true, "BTCUSDT", "c-1", &s, &stamp(EPOCH_MS + 7))
        .unwrap();
    assert_eq!(order_status(&send(&mut p, q, 7_000_000).0[0]).0, "CANCELED");
    let c = enc
        .by_client_id(5, false, "BTCUSDT", "c-1", &s, &stamp(EPOCH_MS + 8))
        .unwrap();
    assert_eq!(refused(&send(&mut p, c, 8_000_000).0[0]), -2011);
    let q = enc
        .by_client_id(6, true, "BTCUSDT", "nope", &s, &stamp(EPOCH_MS + 9))
        .unwrap();
    assert_eq!(refused(&send(&mut p, q, 9_000_000).0[0]), -2013);
}

#[test]
fn a_market_order_walks_the_book_and_its_fills_match_the_ledger() {
    let mut p = paper();
    let s = signer(SECRET);
    let mut enc = Encoder::new();
    // 1.5 BTC: 1.0 at 60001.0 and 0.5 at 60002.0.
    let o = place(WsOrderKind::Market, WsSide::Buy, 1_500, "m-1");
    let f = enc.place(1, &o, &s, &stamp(EPOCH_MS)).unwrap().to_string();
    let (a, e) = send(&mut p, &f, 0);
    assert_eq!(order_status(&a[0]), ("FILLED".into(), "1.500".into()));
    let v: Value = serde_json::from_str(&a[0]).unwrap();
    assert_eq!(v["result"]["cumQuote"], "90002.0000");
    assert_eq!(v["result"]["avgPrice"], "60001.3");
    let mut fills = Vec::new();
    for ev in &e {
        if let UserEvent::Order {
            kind: ReportKind::Fill(x),
            unconverted_fee,
            ..
        } = events::parse(ev, &contract()).unwrap()
        {
            assert!(!unconverted_fee);
            fills.push(x);
        }
    }
    let lots: Vec<_> = fills
        .iter()
        .map(|x| (x.last_qty_lots, x.price_ticks))
        .collect();
    assert_eq!(lots, [(1_000, 600_010), (500, 600_020)]);
    assert!(fills.iter().all(|x| x.liquidity == Liquidity::Taker));
    assert_ne!(fills[0].trade_id, fills[1].trade_id);
    let ledger = &p.venue().books()[0];
    assert_eq!(ledger.position_lots(), 1_500);
    let fees: i128 = fills.iter().map(|x| x.fee_tl_e8).sum();
    assert_eq!(
        fees,
        ledger.fees_tl_e8(),
        "the events' fees are the ledger's, exactly"
    );
}

#[test]
fn requests_are_authenticated_as_binance_does() {
    let mut p = paper();
    let mut enc = Encoder::new();
    let o = place(WsOrderKind::PostOnly(599_000), WsSide::Buy, 5, "a-1");
    let forged = enc
        .place(1, &o, &signer("another"), &stamp(EPOCH_MS))
        .unwrap()
        .to_string();
    assert_eq!(refused(&send(&mut p, &forged, 0).0[0]), -1022);
    let stranger =
        WsSigner::Hmac(HmacSigner::new(SECRET, ApiKey::new("someoneElse").unwrap()).unwrap());
    let f = enc
        .place(2, &o, &stranger, &stamp(EPOCH_MS))
        .unwrap()
        .to_string();
    assert_eq!(refused(&send(&mut p, &f, 0).0[0]), -2015);
    // 5 s window: 5.001 s late is refused, 1.001 s early too.
    let s = signer(SECRET);
    let late = enc.place(3, &o, &s, &stamp(EPOCH_MS)).unwrap().to_string();
    assert_eq!(refused(&send(&mut p, &late, 5_001_000_000).0[0]), -1021);
    let early = enc
        .place(4, &o, &s, &stamp(EPOCH_MS + 1_001))
        .unwrap()
        .to_string();
    assert_eq!(refused(&send(&mut p, &early, 0).0[0]), -1021);
    // A tampered frame: the signature no longer covers the parameters.
    let ok = enc.place(5, &o, &s, &stamp(EPOCH_MS)).unwrap().to_string();
    let tampered = ok.replace("\"quantity\":\"0.005\"", "\"quantity\":\"0.006\"");
    assert_ne!(ok, tampered);
    assert_eq!(refused(&send(&mut p, &tampered, 0).0[0]), -1022);
    assert_eq!(p.counts().bad_auth, 3);
    assert_eq!(p.counts().clock_skew, 2);
    assert_eq!(order_status(&send(&mut p, &ok, 0).0[0]).0, "NEW");
    assert_eq!(
        p.venue().books()[0].resting_orders(),
        1,
        "only the good one reached it"
    );
}

#[test]
fn a_request_over_a_rate_limit_is_refused_and_every_answer_reports_the_use() {
    let mut p = paper_with(RateLimits {
        weight_per_min: 100,
        orders_per_10s: 4,
        orders_per_min: 100,
    });
    let s = signer(SECRET);
    let mut enc = Encoder::new();
    let mut used = Vec::new();
    for i in 0..5u64 {
        let cid = format!("r-{i}");
        let o = place(WsOrderKind::PostOnly(599_000), WsSide::Buy, 5, &cid);
        let f = enc.place(i, &o, &s, &stamp(EPOCH_MS)).unwrap().to_string();
        let a = send(&mut p, &f, 0).0.remove(0);
        let r = response::parse(&a).unwrap();
        used.push((r.status, r.rate_limits.used_permille()));
    }
    assert_eq!(
        used,
        [(200, 250), (200, 500), (200, 750), (200, 1000), (429, 1250)]
    );
    assert_eq!(p.venue().books()[0].resting_orders(), 4);
    // The next 10 s window takes orders again.
    let o = place(WsOrderKind::PostOnly(599_000), WsSide::Buy, 5, "r-9");
    let f = enc
        .place(9, &o, &s, &stamp(EPOCH_MS + 10_000))
        .unwrap()
        .to_string();
    let a = send(&mut p, &f, 10_000_000_000).0.remove(0);
    assert_eq!(response::parse(&a).unwrap().status, 200);
}

#[test]
fn venue_refusals_carry_binances_codes() {
    let mut p = paper();
    let s = signer(SECRET);
    let mut enc = Encoder::new();
    let mut try_place = |p: &mut Venue, kind, lots, cid: &str| {
        let o = place(kind, WsSide::Buy, lots, cid);
        let f = enc.place(1, &o, &s, &stamp(EPOCH_MS)).unwrap().to_string();
        send(p, &f, 0).0.remove(0)
    };
    // Post-only at the ask would take.
    assert_eq!(
        refused(&try_place(&mut p, WsOrderKind::PostOnly(600_010), 5, "x-1")),
        -5022
    );
    // A refused order's id is free again.
    let a = try_place(&mut p, WsOrderKind::PostOnly(599_000), 5, "x-1");
    assert_eq!(order_status(&a).0, "NEW");
    assert_eq!(
        refused(&try_place(&mut p, WsOrderKind::PostOnly(599_000), 5, "x-1")),
        -4116
    );
    // 0.001 BTC at 59900 is 59.9 USDT, under the 100 minimum.
    assert_eq!(
        refused(&try_place(&mut p, WsOrderKind::PostOnly(599_000), 1, "x-2")),
        -4164
    );
    assert_eq!(
        refused(&try_place(&mut p, WsOrderKind::Market, 1, "x-3")),
        -4164
    );
    let (a, _) = send(
        &mut p,
        r#"{"id":"z","method":"order.modify","params":{}}"#,
        0,
    );
    assert_eq!(refused(&a[0]), -1102);
    let (a, _) = send(&mut p, "not json", 0);
    assert!(a[0].contains("-1000"));
}

#[test]
fn a_fill_the_link_duplicates_is_one_trade_in_the_venues_record() {
    let plan = FaultPlan {
        duplicate_ppm: 1_000_000,
        ..FaultPlan::default()
    };
    let mut p = paper_faulted(RateLimits::default(), plan);
    let s = signer(SECRET);
    let mut enc = Encoder::new();
    let o = place(WsOrderKind::Market, WsSide::Buy, 1_500, "d-1");
    let f = enc.place(1, &o, &s, &stamp(EPOCH_MS)).unwrap().to_string();
    let (_, mut events) = send(&mut p, &f, 0);
    let mut later = Vec::new();
    p.tick(1_000_000_000, &mut later);
    events.extend(split(later).1);
    let fills: Vec<u64> = events
        .iter()
        .filter_map(|e| match events::parse(e, &contract()).unwrap() {
            UserEvent::Order {
                kind: ReportKind::Fill(x),
                ..
            } => Some(x.trade_id),
            _ => None,
        })
        .collect();
    assert_eq!(
        fills.len(),
        4,
        "each fill said twice on the stream: {events:?}"
    );
    let q = enc
        .by_client_id(2, true, "BTCUSDT", "d-1", &s, &stamp(EPOCH_MS))
        .unwrap();
    let (a, _) = send(&mut p, q, 1_000_000_000);
    assert_eq!(order_status(&a[0]), ("FILLED".into(), "1.500".into()));
    assert_eq!(p.venue().books()[0].position_lots(), 1_500);
}

/// The request ids the answers in `answers` carry.
fn answer_ids(answers: &[String]) -> Vec<String> {
    answers
        .iter()
        .map(|a| response::parse(a).unwrap().id.to_string())
        .collect()
}

#[test]
fn an_answer_the_venue_lost_does_not_take_the_place_of_the_next() {
    // A status query and a cancel whose answers the link loses, then the same asked
    // again with the link sound: each later request is answered under its own id (the
    // lost one's answer never came; a stale record of it must not swallow the next).
    let mut p = paper();
    let s = signer(SECRET);
    let mut enc = Encoder::new();
    let o = place(WsOrderKind::PostOnly(599_000), WsSide::Buy, 5, "l-1");
    let f = enc.place(1, &o, &s, &stamp(EPOCH_MS)).unwrap().to_string();
    assert_eq!(answer_ids(&send(&mut p, &f, 0).0), ["1"]);
    let lose = FaultPlan {
        lost_reply_ppm: 1_000_000,
        ..FaultPlan::default()
    };
    let ask = |enc: &mut Encoder, id: u64, status: bool, ms: u64| {
        let st = stamp(EPOCH_MS + ms);
        let f = enc.by_client_id(id, status, "BTCUSDT", "l-1", &s, &st);
        f.unwrap().to_string()
    };
    p.exchange_mut().set_plan(lose);
    let q = ask(&mut enc, 2, true, 1);
    assert!(
        send(&mut p, &q, 1_000_000).0.is_empty(),
        "the answer is lost"
    );
    p.exchange_mut().set_plan(FaultPlan::default());
    for id in 3..6 {
        let q = ask(&mut enc, id, true, id);
        let a = send(&mut p, &q, id * 1_000_000).0;
        assert!(answer_ids(&a).contains(&id.to_string()), "{id}: {a:?}");
        assert_eq!(order_status(a.last().unwrap()).0, "NEW");
    }
    p.exchange_mut().set_plan(lose);
    let c = ask(&mut enc, 6, false, 6);
    assert!(send(&mut p, &c, 6_000_000).0.is_empty(), "the ack is lost");
    p.exchange_mut().set_plan(FaultPlan::default());
    let c = ask(&mut enc, 7, false, 7);
    let a = send(&mut p, &c, 7_000_000).0;
    assert!(answer_ids(&a).contains(&"7".to_string()), "{a:?}");
    assert_eq!(refused(a.last().unwrap()), -2011, "cancelled already");
    let q = ask(&mut enc, 8, true, 8);
    let a = send(&mut p, &q, 8_000_000).0;
    assert_eq!(answer_ids(&a), ["8"], "nothing owed any more");
    assert_eq!(order_status(&a[0]).0, "CANCELED");
}

#[test]
fn a_status_is_answered_only_once_the_fills_it_counts_are_in_the_record() {
    // The market buy's fills (and ack) are slowed 50 ms on their way back; a status
    // asked meanwhile, its answer sent ahead of them, finds the simulator's order
    // filled: the answer waits for the fills, so `executedQty` is never behind.
    let ms = 1_000_000;
    let mut p = paper_on(
        RateLimits::default(),
        FaultPlan::default(),
        Latency::Fixed { ns: ms },
    );
    let s = signer(SECRET);
    let mut enc = Encoder::new();
    let o = place(WsOrderKind::Market, WsSide::Buy, 1_500, "f-1");
    let f = enc.place(1, &o, &s, &stamp(EPOCH_MS)).unwrap().to_string();
    assert!(send(&mut p, &f, 0).0.is_empty());
    p.exchange_mut().set_plan(FaultPlan {
        spike_ppm: 1_000_000,
        spike_ns: 50 * ms,
        ..FaultPlan::default()
    });
    let mut out = Vec::new();
    p.tick(ms, &mut out);
    assert!(out.is_empty(), "the fills are on their way");
    p.exchange_mut().set_plan(FaultPlan {
        reorder_ppm: 1_000_000,
        ..FaultPlan::default()
    });
    let q = enc
        .by_client_id(2, true, "BTCUSDT", "f-1", &s, &stamp(EPOCH_MS + 2))
        .unwrap();
    assert!(send(&mut p, q, 2 * ms).0.is_empty());
    p.tick(5 * ms, &mut out);
    assert!(out.is_empty(), "the status waits for its fills: {out:?}");
    p.tick(60 * ms, &mut out);
    let (answers, _) = split(out);
    let status = answers
        .iter()
        .find(|a| answer_ids(&[a.to_string()]) == ["2"]);
    let status = status.expect("the status is answered once the fills are in");
    assert_eq!(order_status(status), ("FILLED".into(), "1.500".into()));
}

#[test]
fn a_fill_reported_after_its_cancel_leaves_the_order_closed() {
    // The resting buy is matched just before its cancel arrives; the venue acks the
    // cancel, then reports the fill. The record stays CANCELED, with the fill in it.
    let plan = FaultPlan {
        fill_after_cancel_ppm: 1_000_000,
        ..FaultPlan::default()
    };
    let mut p = paper_faulted(RateLimits::default(), plan);
    let s = signer(SECRET);
    let mut enc = Encoder::new();
    let o = place(WsOrderKind::PostOnly(599_000), WsSide::Buy, 5, "a-1");
    let f = enc.place(1, &o, &s, &stamp(EPOCH_MS)).unwrap().to_string();
    assert_eq!(order_status(&send(&mut p, &f, 0).0[0]).0, "NEW");
    let c = enc
        .by_client_id(2, false, "BTCUSDT", "a-1", &s, &stamp(EPOCH_MS + 1))
        .unwrap();
    assert_eq!(order_status(&send(&mut p, c, 1_000_000).0[0]).0, "CANCELED");
    let mut out = Vec::new();
    p.tick(2_000_000, &mut out);
    let filled = p.venue().books()[0].position_lots();
    assert!(filled > 0, "the late fill came");
    let trade = split(out)
        .1
        .iter()
        .map(|e| serde_json::from_str::<Value>(e).unwrap())
        .find(|v| v["o"]["x"] == "TRADE")
        .expect("the fill's event");
    assert_eq!(trade["o"]["X"], "CANCELED", "not open again: {trade}");
    let q = enc
        .by_client_id(3, true, "BTCUSDT", "a-1", &s, &stamp(EPOCH_MS + 3))
        .unwrap();
    let (status, qty) = order_status(&send(&mut p, q, 3_000_000).0[0]);
    assert_eq!(status, "CANCELED");
    assert_eq!(qty, format!("0.00{filled}"));
}
