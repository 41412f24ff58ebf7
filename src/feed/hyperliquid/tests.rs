//! Hyperliquid `l2Book` tests: the real REST file and websocket capture lines of
//! `data/market/hyperliquid/`, and hand-made messages.

use super::*;
use crate::book::{BookError, Level};
use crate::feed::test_util::{capture_lines, cuts, data_path, state, what};
use crate::num::NumError;

fn steps() -> (Step, Step) {
    (Step::parse("1").unwrap(), Step::parse("0.00001").unwrap())
}

fn lv(p: i64, q: i64) -> Level {
    Level {
        price_ticks: p,
        qty_lots: q,
    }
}

fn rest_file() -> Vec<u8> {
    std::fs::read(data_path("hyperliquid/http_l2_book_btc.json")).unwrap()
}

fn ws_lines() -> Vec<Vec<u8>> {
    capture_lines("hyperliquid/btc_20250126.raw.gz", 100, |j| {
        j.starts_with(b"{\"channel\"")
    })
}

/// A ladder holding a different book, to see that failures leave it alone.
fn ladder() -> Ladder {
    let mut l = Ladder::new(32, 1);
    l.apply_snapshot(&[lv(5, 1)], &[lv(7, 1)], 3, Depth::Complete)
        .unwrap();
    l
}

fn apply(l: &mut Ladder, m: &[u8]) -> Result<u64, FeedError> {
    let (t, lot) = steps();
    apply_l2_book(l, t, lot, m)
}

#[test]
fn rest_and_ws_messages_decode() {
    let mut l = ladder();
    assert_eq!(apply(&mut l, &rest_file()), Ok(1_761_786_491_067));
    assert_eq!(l.best_bid(), Some(lv(110_427, 411_882)));
    assert_eq!(l.best_ask(), Some(lv(110_428, 372_573)));
    assert!(
        l.unknown_from(Side::Bid).is_some(),
        "a top-N book is partial"
    );
    let ws = ws_lines();
    assert_eq!(apply(&mut l, &ws[0]), Ok(1_737_918_843_542));
    assert_eq!(l.best_bid(), Some(lv(105_055, 303_622)));
    assert_eq!(l.best_ask(), Some(lv(105_056, 634_472)));
    assert_eq!((l.len(Side::Bid), l.len(Side::Ask)), (20, 20));
}

#[test]
fn truncating_real_messages_at_every_byte_is_an_error_and_changes_nothing() {
    let mut l = ladder();
    let before = state(&l);
    let rest = rest_file();
    let rest = rest.trim_ascii_end();
    let ws = ws_lines().remove(0);
    for m in [rest, &ws[..]] {
        for cut in cuts(m.len()) {
            assert!(apply(&mut l, &m[..cut]).is_err(), "cut {cut}");
        }
    }
    assert_eq!(state(&l), before);
}

#[test]
fn trades_and_other_channels_are_wrong_type() {
    let trades = ws_lines()
        .into_iter()
        .find(|j| j.starts_with(b"{\"channel\":\"trades\""));
    let mut l = ladder();
    let e = apply(&mut l, &trades.unwrap()).unwrap_err();
    assert!(
        matches!(e, FeedError::WrongType { expected: "l2Book", got } if got.as_str() == "trades")
    );
    let sub = br#"{"channel":"subscriptionResponse","data":{"method":"subscribe"}}"#;
    assert!(matches!(
        apply(&mut l, sub),
        Err(FeedError::WrongType { .. })
    ));
    assert_eq!(state(&l), state(&ladder()));
}

fn refused(m: &[u8]) -> FeedError {
    let mut l = ladder();
    let e = apply(&mut l, m).unwrap_err();
    assert_eq!(state(&l), state(&ladder()), "{e}");
    e
}

fn book(bids: &str, asks: &str) -> Vec<u8> {
    format!(r#"{{"coin":"BTC","time":9,"levels":[[{bids}],[{asks}]]}}"#).into_bytes()
}

#[test]
fn bad_values_are_typed_and_name_the_field() {
    let t = |s: &str| crate::num::Text::new(s.as_bytes());
    let ask = r#"{"px":"101.0","sz":"1"}"#;
    let e = refused(&book(r#"{"px":"100.0","sz":"-1"}"#, ask));
    let want = FeedError::Num {
        field: "levels[0][].sz",
        source: NumError::Negative(t("-1")),
    };
    assert_eq!(e, want);
    let cases: [(&str, &str, (&str, &str)); 4] = [
        (
            r#"{"px":"100.0","sz":"nan"}"#,
            ask,
            ("Num", "levels[0][].sz"),
        ),
        (r#"{"px":"100.5","sz":"1"}"#, ask, ("Num", "levels[0][].px")),
        (
            r#"{"px":"100","sz":"0.000001"}"#,
            ask,
            ("Num", "levels[0][].sz"),
        ),
        (ask, r#"{"px":"-102","sz":"1"}"#, ("Num", "levels[1][].px")),
    ];
    for (b, a, want) in cases {
        assert_eq!(what(&refused(&book(b, a))), want, "{b} {a}");
    }
    let e = refused(&book(r#"{"px":"102","sz":"1"}"#, ask));
    assert!(e.is_crossed());
    let e = refused(&book(r#"{"px":"99","sz":"1"},{"px":"100","sz":"1"}"#, ask));
    assert!(matches!(e, FeedError::Book(BookError::Unsorted { .. })));
    // Numbers instead of strings are accepted.
    let mut l = ladder();
    assert_eq!(apply(&mut l, &book(r#"{"px":100,"sz":1.5}"#, ask)), Ok(9));
    assert_eq!(l.best_bid(), Some(lv(100, 150_000)));
}

#[test]
fn wrong_shapes_and_missing_fields_are_typed() {
    let ask = r#"{"px":"101.0","sz":"1"}"#;
    let no_px = book(r#"{"sz":"1"}"#, ask);
    let no_sz = book(ask, r#"{"px":"1"}"#);
    let dup = book(r#"{"px":"100","px":"100","sz":"1"}"#, ask);
    let cases: [(&[u8], (&str, &str)); 12] = [
        (&no_px, ("MissingField", "levels[0][].px")),
        (&no_sz, ("MissingField", "levels[1][].sz")),
        (&dup, ("DuplicateField", "levels[0][].px")),
        (br#"{"time":1,"levels":[[]]}"#, ("Shape", "levels")),
        (br#"{"time":1,"levels":[[],[],[]]}"#, ("Shape", "levels")),
        (br#"{"time":1,"levels":{}}"#, ("Value", "levels")),
        (
            br#"{"time":1,"levels":[[["100","1"]],[]]}"#,
            ("Value", "levels[0]"),
        ),
        (br#"{"time":"soon","levels":[[],[]]}"#, ("Value", "time")),
        (br#"{"levels":[[],[]]}"#, ("MissingField", "time")),
        (br#"{"time":1}"#, ("MissingField", "levels")),
        (br#"{"channel":"l2Book"}"#, ("MissingField", "levels")),
        (br#"{"channel":"l2Book","data":[]}"#, ("Value", "data")),
    ];
    for (m, want) in cases {
        assert_eq!(what(&refused(m)), want, "{}", String::from_utf8_lossy(m));
    }
    for junk in [&b""[..], b"[]", b"\xff\xfe", b"{\"coin\":\"BTC\","] {
        assert_eq!(what(&refused(junk)).0, "Json");
    }
}
