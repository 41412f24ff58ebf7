//! Bybit decoder and sequence-rule tests: real lines of
//! `data/market/bybit/2024-12-01_XRPUSDT_ob500.data.jsonl` and hand-made messages.

use super::*;
use crate::book::Level;
use crate::feed::test_util::{cuts, data_path, state, what};
use crate::num::NumError;

fn steps() -> (Step, Step) {
    (Step::parse("0.0001").unwrap(), Step::parse("1").unwrap())
}

fn lv(p: i64, q: i64) -> Level {
    Level {
        price_ticks: p,
        qty_lots: q,
    }
}

fn real_lines() -> Vec<Vec<u8>> {
    let text = std::fs::read(data_path("bybit/2024-12-01_XRPUSDT_ob500.data.jsonl")).unwrap();
    // The file has CRLF line ends; a cut must not leave a complete message.
    text.split(|&b| b == b'\n')
        .map(<[u8]>::trim_ascii_end)
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn msg(kind: &str, u: u64, bids: &str, asks: &str) -> Vec<u8> {
    format!(
        "{{\"topic\":\"orderbook.50.XRPUSDT\",\"type\":\"{kind}\",\"ts\":1,\"data\":{{\"s\":\
         \"XRPUSDT\",\"b\":[{bids}],\"a\":[{asks}],\"u\":{u},\"seq\":9}},\"cts\":1}}"
    )
    .into_bytes()
}

/// A synced book: snapshot u=10, bids 1.0000×5, 0.9990×5; asks 1.0010×5, 1.0020×5.
fn synced() -> (BybitSync, Ladder) {
    let (t, l) = steps();
    let mut s = BybitSync::new();
    let mut ladder = Ladder::new(16, 16);
    let snap = msg(
        "snapshot",
        10,
        r#"["1.0000","5"],["0.9990","5"]"#,
        r#"["1.0010","5"],["1.0020","5"]"#,
    );
    assert_eq!(
        s.apply(&mut ladder, t, l, &snap),
        Ok(BybitOutcome::Snapshot { u: 10 })
    );
    (s, ladder)
}

fn apply(s: &mut BybitSync, l: &mut Ladder, m: &[u8]) -> Result<BybitOutcome, FeedError> {
    let (t, lot) = steps();
    s.apply(l, t, lot, m)
}

#[test]
fn real_snapshot_and_delta_decode() {
    let lines = real_lines();
    let (mut s, mut l) = (BybitSync::new(), Ladder::new(512, 512));
    assert_eq!(
        apply(&mut s, &mut l, &lines[0]),
        Ok(BybitOutcome::Snapshot { u: 20_254_869 })
    );
    assert_eq!(l.best_bid(), Some(lv(19_531, 6_203)));
    assert_eq!(l.best_ask(), Some(lv(19_532, 10_480)));
    assert_eq!((l.len(Side::Bid), l.len(Side::Ask)), (500, 500));
    assert_eq!(
        apply(&mut s, &mut l, &lines[1]),
        Ok(BybitOutcome::Delta { u: 20_254_870 })
    );
    assert_eq!(s.last_u(), Some(20_254_870));
}

#[test]
fn truncating_a_real_delta_at_every_byte_is_an_error_and_changes_nothing() {
    let lines = real_lines();
    let (mut s, mut l) = (BybitSync::new(), Ladder::new(512, 512));
    apply(&mut s, &mut l, &lines[0]).unwrap();
    for d in &lines[1..6] {
        let before = (state(&l), s);
        for cut in cuts(d.len()) {
            assert!(apply(&mut s, &mut l, &d[..cut]).is_err(), "cut {cut}");
            assert_eq!((state(&l), s), before);
        }
        assert!(matches!(
            apply(&mut s, &mut l, d),
            Ok(BybitOutcome::Delta { .. })
        ));
    }
}

#[test]
fn truncating_the_real_snapshot_is_an_error_and_changes_nothing() {
    let lines = real_lines();
    let snap = &lines[0];
    let (mut s, mut l) = synced();
    let before = (state(&l), s);
    let len = snap.len();
    for cut in (0..len).filter(|&c| c < 400 || c + 400 > len || c % 97 == 0) {
        assert!(apply(&mut s, &mut l, &snap[..cut]).is_err(), "cut {cut}");
    }
    assert_eq!((state(&l), s), before);
}

#[test]
fn deltas_chain_by_u_plus_one() {
    let (mut s, mut l) = synced();
    let d = msg(
        "delta",
        11,
        r#"["1.0000","0"],["1.0005","7"]"#,
        r#"["1.0010","0"]"#,
    );
    assert_eq!(apply(&mut s, &mut l, &d), Ok(BybitOutcome::Delta { u: 11 }));
    assert_eq!(l.best_bid(), Some(lv(10_005, 7)));
    assert_eq!(l.best_ask(), Some(lv(10_020, 5)));
    assert_eq!(l.seq(), 11);
    let before = state(&l);
    // Skipping u=12, and replaying u=11, are gaps; nothing is applied.
    for u in [13, 11] {
        let (mut s2, mut l2) = (s, l.clone());
        let d = msg("delta", u, r#"["1.0006","1"]"#, "");
        let want = BookError::SequenceGap {
            expected: 12,
            got: u,
        };
        assert_eq!(apply(&mut s2, &mut l2, &d), Err(want.into()));
        assert_eq!(state(&l2), before);
        assert_eq!(s2.last_u(), None, "a gap waits for a snapshot");
        let next = msg("delta", u + 1, "", "");
        assert_eq!(apply(&mut s2, &mut l2, &next), Err(FeedError::NoSnapshot));
    }
}

#[test]
fn a_snapshot_replaces_the_book_including_the_u_1_restart() {
    let (mut s, mut l) = synced();
    apply(&mut s, &mut l, &msg("delta", 11, r#"["1.0001","3"]"#, "")).unwrap();
    let restart = msg("snapshot", 1, r#"["2.0000","1"]"#, r#"["2.0001","1"]"#);
    assert_eq!(
        apply(&mut s, &mut l, &restart),
        Ok(BybitOutcome::Snapshot { u: 1 })
    );
    assert_eq!((l.len(Side::Bid), l.len(Side::Ask)), (1, 1));
    assert_eq!(l.best_bid(), Some(lv(20_000, 1)));
    assert_eq!(
        apply(&mut s, &mut l, &msg("delta", 2, "", "")),
        Ok(BybitOutcome::Delta { u: 2 })
    );
}

#[test]
fn type_after_data_is_found_by_a_second_scan() {
    let (mut s, mut l) = synced();
    let late = br#"{"topic":"orderbook.1.X","data":{"b":[["1.0001","2"]],"a":[],"u":11},
        "type":"delta"}"#;
    assert_eq!(
        apply(&mut s, &mut l, late),
        Ok(BybitOutcome::Delta { u: 11 })
    );
    assert_eq!(l.best_bid(), Some(lv(10_001, 2)));
    let snap = br#"{"data":{"u":5,"b":[["1","1"]],"a":[["2","1"]]},"type":"snapshot",
        "topic":"orderbook.1.X"}"#;
    assert_eq!(
        apply(&mut s, &mut l, snap),
        Ok(BybitOutcome::Snapshot { u: 5 })
    );
}

#[test]
fn a_delta_before_any_snapshot_is_refused() {
    let (mut s, mut l) = (BybitSync::new(), Ladder::new(8, 8));
    let d = msg("delta", 11, r#"["1.0001","3"]"#, "");
    assert_eq!(apply(&mut s, &mut l, &d), Err(FeedError::NoSnapshot));
    assert!(l.is_empty());
    let (t, lot) = steps();
    let e = apply_snapshot(&mut l, t, lot, &d).unwrap_err();
    assert_eq!(what(&e), ("WrongType", "snapshot"));
}

fn refused(m: &[u8]) -> FeedError {
    let (mut s, mut l) = synced();
    let before = (state(&l), s);
    let e = apply(&mut s, &mut l, m).unwrap_err();
    assert_eq!((state(&l), s), before, "{e}");
    e
}

#[test]
fn bad_values_are_typed_and_name_the_field() {
    let t = |s: &str| crate::num::Text::new(s.as_bytes());
    let num = |field, source| FeedError::Num { field, source };
    let d = |bids: &str| msg("delta", 11, &format!(r#"["1.0001","1"],{bids}"#), "");
    let e = refused(&d(r#"["1.0002","-3"]"#));
    assert_eq!(e, num("data.b[].qty", NumError::Negative(t("-3"))));
    let e = refused(&d(r#"["1.0002","NaN"]"#));
    assert_eq!(e, num("data.b[].qty", NumError::NotFinite(t("NaN"))));
    let e = refused(&d(r#"["1.00025","1"]"#));
    let step = t("0.0001");
    assert_eq!(
        e,
        num(
            "data.b[].price",
            NumError::OffStep {
                text: t("1.00025"),
                step
            }
        )
    );
    let e = refused(&d(r#"["1.0002","1.5"]"#));
    assert_eq!(
        e,
        num(
            "data.b[].qty",
            NumError::OffStep {
                text: t("1.5"),
                step: t("1")
            }
        )
    );
    let e = refused(&msg("snapshot", 12, r#"["1.0000","0"]"#, ""));
    assert!(matches!(e, FeedError::Book(BookError::ZeroSize { .. })));
    let e = refused(&msg("delta", 11, r#"["1.0011","1"]"#, ""));
    assert!(e.is_crossed());
}

fn delta_with(data: &str) -> Vec<u8> {
    format!(r#"{{"topic":"orderbook.1.X","type":"delta","data":{data}}}"#).into_bytes()
}

#[test]
fn wrong_shapes_and_missing_fields_are_typed() {
    let e = refused(br#"{"topic":"publicTrade.XRPUSDT","type":"snapshot","data":[]}"#);
    assert!(matches!(e, FeedError::WrongType { got, .. } if got.as_str() == "publicTrade.XRPUSDT"));
    let cases: [(&[u8], (&str, &str)); 6] = [
        (
            br#"{"topic":"orderbook.1.X","type":"update"}"#,
            ("WrongType", "snapshot or delta"),
        ),
        (
            br#"{"topic":"orderbook.1.X","data":{}}"#,
            ("MissingField", "type"),
        ),
        (
            br#"{"type":"delta","data":{"b":[],"a":[],"u":11}}"#,
            ("MissingField", "topic"),
        ),
        (
            br#"{"topic":"orderbook.1.X","type":"delta"}"#,
            ("MissingField", "data"),
        ),
        (
            br#"{"topic":"orderbook.1.X","type":7,"data":{}}"#,
            ("Value", "type"),
        ),
        (
            br#"{"topic":"orderbook.1.X","type":"delta","data":[]}"#,
            ("Value", "data"),
        ),
    ];
    for (m, want) in cases {
        assert_eq!(what(&refused(m)), want, "{}", String::from_utf8_lossy(m));
    }
    let data: [(&str, (&str, &str)); 5] = [
        (r#"{"b":[],"a":[]}"#, ("MissingField", "data.u")),
        (r#"{"a":[],"u":11}"#, ("MissingField", "data.b")),
        (r#"{"b":[],"a":[],"u":"z"}"#, ("Value", "data.u")),
        (r#"{"b":[["1"]],"a":[],"u":11}"#, ("Shape", "data.b[].qty")),
        (
            r#"{"b":[],"b":[],"a":[],"u":11}"#,
            ("DuplicateField", "data.b"),
        ),
    ];
    for (d, want) in data {
        assert_eq!(what(&refused(&delta_with(d))), want, "{d}");
    }
    for junk in [&b""[..], b"[]", b"\x00\x01", b"{\"type\":\"delta\""] {
        assert_eq!(what(&refused(junk)).0, "Json");
    }
}
