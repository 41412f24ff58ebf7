//! The encoder against Binance's published WebSocket API example, byte for byte, and its
//! refusals.

use super::*;
use crate::binance_ws::sign::HmacSigner;
use crate::fix::sign::ApiKey;

const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
const API_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";

fn signer() -> WsSigner {
    WsSigner::Hmac(HmacSigner::new(SECRET, ApiKey::new(API_KEY).unwrap()).unwrap())
}

fn stamp(recv_window_ms: u64) -> Stamp {
    Stamp {
        steps: (
            Step::parse("0.01").unwrap(),
            Step::parse("0.00000001").unwrap(),
        ),
        timestamp_ms: 1_645_423_376_532,
        recv_window_ms,
    }
}

/// The example of web-socket-api.md's "SIGNED request example (HMAC)".
#[test]
fn the_published_order_place_example_is_signed_as_binance_signs_it() {
    let p = Place {
        symbol: "BTCUSDT",
        side: WsSide::Sell,
        kind: WsOrderKind::LimitGtc(5_200_000),
        qty_lots: 1_000_000,
        client_id: None,
        reduce_only: false,
    };
    let mut e = Encoder::new();
    let frame = e.place(7, &p, &signer(), &stamp(100)).unwrap().to_owned();
    assert_eq!(
        e.signed_payload(),
        format!(
            "apiKey={API_KEY}&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&\
             symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT"
        )
    );
    let sig = "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24";
    let v: serde_json::Value = serde_json::from_str(&frame).unwrap();
    assert_eq!(v["id"], "7");
    assert_eq!(v["method"], "order.place");
    assert_eq!(v["params"]["signature"], sig);
    assert_eq!(v["params"]["timestamp"], 1_645_423_376_532u64);
    assert_eq!(v["params"]["price"], "52000.00");
}

#[test]
fn cancel_and_status_are_signed_over_their_own_parameters() {
    let mut e = Encoder::new();
    let s = signer();
    let f = e
        .by_client_id(8, false, "BTCUSDT", "lc-42", &s, &stamp(5000))
        .unwrap()
        .to_owned();
    assert!(f.contains(r#""method":"order.cancel""#), "{f}");
    assert_eq!(
        e.signed_payload(),
        format!(
            "apiKey={API_KEY}&origClientOrderId=lc-42&recvWindow=5000&symbol=BTCUSDT&\
             timestamp=1645423376532"
        )
    );
    let f = e
        .by_client_id(9, true, "BTCUSDT", "lc-42", &s, &stamp(5000))
        .unwrap();
    assert!(f.contains(r#""method":"order.status""#), "{f}");
}

#[test]
fn values_that_would_need_escaping_or_are_not_orders_are_refused() {
    let mut e = Encoder::new();
    let s = signer();
    let base = Place {
        symbol: "BTCUSDT",
        side: WsSide::Buy,
        kind: WsOrderKind::Market,
        qty_lots: 1,
        client_id: Some("ok-1"),
        reduce_only: true,
    };
    let bad = [
        (
            Place {
                symbol: "btc\"usdt",
                ..base
            },
            RequestError::Symbol,
        ),
        (
            Place {
                client_id: Some("a\"b"),
                ..base
            },
            RequestError::ClientId,
        ),
        (
            Place {
                client_id: Some(""),
                ..base
            },
            RequestError::ClientId,
        ),
        (
            Place {
                qty_lots: 0,
                ..base
            },
            RequestError::NotPositive("quantity"),
        ),
        (
            Place {
                kind: WsOrderKind::PostOnly(0),
                ..base
            },
            RequestError::NotPositive("price"),
        ),
    ];
    for (p, want) in bad {
        assert_eq!(e.place(1, &p, &s, &stamp(5000)).err(), Some(want));
    }
    let f = e.place(2, &base, &s, &stamp(5000)).unwrap();
    assert!(
        f.contains(r#""reduceOnly":"true""#) && f.contains(r#""type":"MARKET""#),
        "{f}"
    );
}

#[test]
fn units_are_written_as_decimal_display_writes_them() {
    let steps = [
        "1",
        "0.1",
        "0.01",
        "0.5",
        "25",
        "0.00000001",
        "0.000000000000000001",
        "10000",
    ];
    let units = [
        0i64,
        1,
        7,
        10,
        99,
        100,
        12_345,
        -3,
        -1_000,
        999_999_999_999,
        i64::MAX / 1_000_000,
    ];
    for s in steps {
        let step = Step::parse(s).unwrap();
        for &u in &units {
            let mut out = String::new();
            write_units(&mut out, step, u);
            assert_eq!(out, step.to_decimal(u).to_string(), "{u} × {s}");
        }
    }
}
