//! Binance's documented `ORDER_TRADE_UPDATE` (USD-M user data stream) and variations.

use super::*;

fn contract() -> Contract<'static> {
    Contract {
        steps: (Step::parse("0.1").unwrap(), Step::parse("0.001").unwrap()),
        quote: "USDT",
    }
}

fn update(x: &str, fee_asset: &str, fee: &str) -> String {
    format!(
        r#"{{"e":"ORDER_TRADE_UPDATE","E":1568879465651,"T":1568879465650,"o":{{
        "s":"BTCUSDT","c":"lc-7","S":"SELL","o":"LIMIT","f":"GTC","q":"0.002","p":"7103.0",
        "ap":"7103.0","sp":"0","x":"{x}","X":"PARTIALLY_FILLED","i":8886774,"l":"0.001",
        "z":"0.001","L":"7103.1","N":"{fee_asset}","n":"{fee}","T":1568879465650,"t":77,
        "b":"0","a":"9.91","m":true,"R":false,"wt":"CONTRACT_PRICE","ot":"LIMIT",
        "ps":"BOTH","cp":false,"rp":"0"}}}}"#
    )
}

#[test]
fn a_trade_is_a_fill_with_its_fee_in_tick_lots() {
    let frame = update("TRADE", "USDT", "0.00142062");
    let ev = parse(&frame, &contract()).unwrap();
    // 0.00142062 USDT over a tick-lot of 0.0001 USDT is 14.2062 tick-lots: 1 420 620 000 e-8.
    let want = ReportKind::Fill(Execution {
        trade_id: 77,
        last_qty_lots: 1,
        price_ticks: 71_031,
        liquidity: Liquidity::Maker,
        fee_tl_e8: 1_420_620_000,
        at_ns: 1_568_879_465_650_000_000,
    });
    let ok = UserEvent::Order {
        client_id: "lc-7",
        symbol: "BTCUSDT",
        kind: want,
        unconverted_fee: false,
    };
    assert_eq!(ev, ok);
    let bnb = update("TRADE", "BNB", "0.0001");
    let UserEvent::Order {
        unconverted_fee, ..
    } = parse(&bnb, &contract()).unwrap()
    else {
        panic!("an order event");
    };
    assert!(unconverted_fee, "a BNB commission is not counted as quote");
}

#[test]
fn acks_cancels_expiries_and_the_rest_are_told_apart() {
    let c = contract();
    let kind = |x: &str| match parse(&update(x, "USDT", "0"), &c).unwrap() {
        UserEvent::Order { kind, .. } => Some(kind),
        _ => None,
    };
    assert_eq!(kind("NEW"), Some(ReportKind::Ack));
    assert_eq!(
        kind("CANCELED"),
        Some(ReportKind::CancelAck { filled_lots: 1 })
    );
    assert_eq!(
        kind("EXPIRED"),
        Some(ReportKind::Expired { filled_lots: 1 })
    );
    assert_eq!(kind("CALCULATED"), None);
    let account = r#"{"e":"ACCOUNT_UPDATE","E":1,"T":1,"a":{"m":"ORDER","B":[],"P":[]}}"#;
    assert_eq!(
        parse(account, &c).unwrap(),
        UserEvent::Other("ACCOUNT_UPDATE")
    );
    let off_lot = update("TRADE", "USDT", "0").replace(r#""l":"0.001""#, r#""l":"0.0005""#);
    assert!(matches!(
        parse(&off_lot, &c),
        Err(EventError::Field { field: "l", .. })
    ));
    assert!(matches!(parse("[]", &c), Err(EventError::Shape(_))));
}

#[test]
fn an_account_update_gives_the_symbols_position_in_lots() {
    let lot = Step::parse("0.001").unwrap();
    // Binance's documented example (one-way mode), with a second symbol.
    let frame = r#"{"e":"ACCOUNT_UPDATE","E":1564745798939,"T":1564745798938,"a":{"m":"ORDER",
        "B":[{"a":"USDT","wb":"122624.12345678","cw":"100.12345678","bc":"50.12345678"}],
        "P":[{"s":"BTCUSDT","pa":"-0.010","ep":"9200.0","cr":"200","up":"0.2","mt":"isolated",
        "iw":"0.0","ps":"BOTH"},{"s":"ETHUSDT","pa":"20","ep":"6563.6","cr":"0","up":"2.4",
        "mt":"isolated","iw":"0.0","ps":"BOTH"}]}}"#;
    assert_eq!(account_position(frame, "BTCUSDT", lot), Ok(Some(-10)));
    assert_eq!(account_position(frame, "ETHUSDT", lot), Ok(Some(20_000)));
    assert_eq!(account_position(frame, "XRPUSDT", lot), Ok(None));
    // Hedge mode: LONG and SHORT add up to the net position.
    let hedge = r#"{"e":"ACCOUNT_UPDATE","E":1,"T":1,"a":{"m":"ORDER","B":[],"P":[
        {"s":"BTCUSDT","pa":"0.030","ps":"LONG"},{"s":"BTCUSDT","pa":"-0.005","ps":"SHORT"}]}}"#;
    assert_eq!(account_position(hedge, "BTCUSDT", lot), Ok(Some(25)));
    let flat = r#"{"e":"ACCOUNT_UPDATE","E":1,"T":1,"a":{"m":"ORDER","B":[],
        "P":[{"s":"BTCUSDT","pa":"0","ps":"BOTH"}]}}"#;
    assert_eq!(account_position(flat, "BTCUSDT", lot), Ok(Some(0)));
    // Off the lot, not a number, not the event: typed errors naming the field.
    for (pa, field) in [("0.0005", "pa"), ("x", "pa"), ("--1", "pa")] {
        let f = flat.replace(r#""pa":"0""#, &format!(r#""pa":"{pa}""#));
        match account_position(&f, "BTCUSDT", lot) {
            Err(EventError::Field { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{pa}: {other:?}"),
        }
    }
    assert!(account_position(r#"{"e":"MARGIN_CALL","a":{}}"#, "BTCUSDT", lot).is_err());
    assert!(account_position("[", "BTCUSDT", lot).is_err());
}

#[test]
fn a_position_risk_answer_gives_the_symbols_net_position() {
    let lot = Step::parse("0.001").unwrap();
    assert_eq!(
        position_risk("[]", "BTCUSDT", lot),
        Ok(0),
        "v3 lists no flat symbol"
    );
    let body = r#"[{"symbol":"BTCUSDT","positionSide":"BOTH","positionAmt":"-0.250",
        "entryPrice":"60000.0"},{"symbol":"ETHUSDT","positionSide":"BOTH","positionAmt":"3"}]"#;
    assert_eq!(position_risk(body, "BTCUSDT", lot), Ok(-250));
    let hedge = r#"[{"symbol":"BTCUSDT","positionSide":"LONG","positionAmt":"0.1"},
        {"symbol":"BTCUSDT","positionSide":"SHORT","positionAmt":"-0.04"}]"#;
    assert_eq!(position_risk(hedge, "BTCUSDT", lot), Ok(60));
    let off = r#"[{"symbol":"BTCUSDT","positionAmt":"0.0001"}]"#;
    assert!(matches!(
        position_risk(off, "BTCUSDT", lot),
        Err(EventError::Field {
            field: "positionAmt",
            ..
        })
    ));
    assert!(matches!(
        position_risk("{}", "BTCUSDT", lot),
        Err(EventError::Shape(_))
    ));
}
