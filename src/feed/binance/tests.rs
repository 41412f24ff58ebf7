//! Binance decoder and sync-rule tests: hand-made messages for each rule, real messages from
//! `data/market/binance/` for decoding, truncation and bookTicker agreement.

use super::*;
use crate::book::{BookError, Depth, Ladder, Level};
use crate::feed::test_util::{capture_lines, cuts, data_path, state, what};
use crate::feed::JsonError;
use crate::num::NumError;

const USDM_BTC: &str = "binance/usdm_btcusdt_20240808.raw.gz";
const SPOT_BTC: &str = "binance/spot_btcusdt_20240808.raw.gz";

fn steps() -> (Step, Step) {
    (Step::parse("0.1").unwrap(), Step::parse("0.001").unwrap())
}

fn lv(p: i64, q: i64) -> Level {
    Level {
        price_ticks: p,
        qty_lots: q,
    }
}

/// A futures diff in the combined-stream envelope; `pu` omitted when `None` (spot).
fn diff(first: u64, last: u64, pu: Option<u64>, bids: &str, asks: &str) -> Vec<u8> {
    let pu = pu.map(|p| format!(",\"pu\":{p}")).unwrap_or_default();
    format!(
        "{{\"stream\":\"btcusdt@depth@0ms\",\"data\":{{\"e\":\"depthUpdate\",\"E\":1,\
         \"s\":\"BTCUSDT\",\"U\":{first},\"u\":{last}{pu},\"b\":[{bids}],\"a\":[{asks}]}}}}"
    )
    .into_bytes()
}

fn snapshot(id: u64, bids: &str, asks: &str) -> Vec<u8> {
    format!("{{\"lastUpdateId\":{id},\"E\":1,\"T\":1,\"bids\":[{bids}],\"asks\":[{asks}]}}")
        .into_bytes()
}

/// A synced pair: snapshot 100 with bid 100.0 × 1 and ask 100.5 × 2.
fn synced(market: Market) -> (BinanceSync, Ladder) {
    let (t, l) = steps();
    let mut sync = BinanceSync::new(market, 4096, 8);
    let mut ladder = Ladder::new(64, 64);
    let snap = snapshot(100, r#"["100.0","1.000"]"#, r#"["100.5","2.000"]"#);
    assert_eq!(sync.on_snapshot(&mut ladder, t, l, &snap), Ok(100));
    assert_eq!(sync.replay_next(&mut ladder, t, l), None);
    (sync, ladder)
}

fn on(sync: &mut BinanceSync, ladder: &mut Ladder, msg: &[u8]) -> Result<Outcome, FeedError> {
    let (t, l) = steps();
    sync.on_depth(ladder, t, l, msg)
}

fn gap(expected: u64, got: u64) -> Result<Outcome, FeedError> {
    Err(FeedError::Book(BookError::SequenceGap { expected, got }))
}

#[test]
fn futures_stale_events_are_dropped_and_change_nothing() {
    let (mut s, mut l) = synced(Market::Futures);
    let before = state(&l);
    let stale = diff(90, 99, Some(89), r#"["100.0","5.000"]"#, "");
    assert_eq!(on(&mut s, &mut l, &stale), Ok(Outcome::Dropped { u: 99 }));
    assert_eq!(state(&l), before);
    assert_eq!(
        s.state(),
        SyncState::AwaitingFirst {
            last_update_id: 100
        }
    );
}

#[test]
fn a_stale_diff_is_dropped_without_decoding_its_levels() {
    // Levels that would be errors (off-tick price, too many levels) do not matter in a
    // diff that is stale anyway: it is dropped, not reported as an error.
    let (mut s, mut l) = synced(Market::Futures);
    let before = state(&l);
    let stale = diff(90, 99, Some(89), r#"["100.05","5.000"]"#, "");
    assert_eq!(on(&mut s, &mut l, &stale), Ok(Outcome::Dropped { u: 99 }));
    assert_eq!(state(&l), before);
    // Malformed JSON is still an error.
    let broken = &stale[..stale.len() - 3];
    assert!(on(&mut s, &mut l, broken).is_err());
}

#[test]
fn futures_first_event_must_straddle_last_update_id() {
    // U <= 100 <= u, including u == 100 exactly.
    for (first, last) in [(95, 105), (100, 100), (90, 100), (100, 101)] {
        let (mut s, mut l) = synced(Market::Futures);
        let d = diff(first, last, Some(first - 1), r#"["100.0","3.000"]"#, "");
        assert_eq!(
            on(&mut s, &mut l, &d),
            Ok(Outcome::Applied { u: last }),
            "{first}..{last}"
        );
        assert_eq!(l.best_bid(), Some(lv(1000, 3000)));
        assert_eq!(l.seq(), last);
    }
    // U > lastUpdateId: the events between were missed.
    let (mut s, mut l) = synced(Market::Futures);
    let before = state(&l);
    let d = diff(101, 110, Some(100), r#"["100.0","3.000"]"#, "");
    assert_eq!(on(&mut s, &mut l, &d), gap(100, 101));
    assert_eq!(state(&l), before);
    assert_eq!(s.state(), SyncState::AwaitingSnapshot);
}

#[test]
fn futures_gap_in_pu_is_a_sequence_gap_and_leaves_the_ladder_unchanged() {
    let (mut s, mut l) = synced(Market::Futures);
    let first = diff(95, 105, Some(94), r#"["100.1","1.000"]"#, "");
    assert_eq!(on(&mut s, &mut l, &first), Ok(Outcome::Applied { u: 105 }));
    let next = diff(106, 110, Some(105), "", r#"["100.4","1.000"]"#);
    assert_eq!(on(&mut s, &mut l, &next), Ok(Outcome::Applied { u: 110 }));
    assert_eq!(s.state(), SyncState::Live { last_u: 110 });
    let before = state(&l);
    // pu 109 != previous u 110: one event was missed.
    let bad = diff(
        111,
        120,
        Some(109),
        r#"["100.2","1.000"],["100.0","0"]"#,
        r#"["100.3","9"]"#,
    );
    assert_eq!(on(&mut s, &mut l, &bad), gap(110, 109));
    assert_eq!(state(&l), before);
    assert_eq!(s.state(), SyncState::AwaitingSnapshot);
    // Until a new snapshot arrives, diffs are buffered, not applied.
    let later = diff(121, 130, Some(120), r#"["100.2","1.000"]"#, "");
    assert_eq!(on(&mut s, &mut l, &later), Ok(Outcome::Buffered));
    assert_eq!(state(&l), before);
}

#[test]
fn futures_live_event_without_pu_is_a_missing_field() {
    let (mut s, mut l) = synced(Market::Futures);
    on(&mut s, &mut l, &diff(95, 105, Some(94), "", "")).unwrap();
    let before = state(&l);
    let no_pu = diff(106, 110, None, r#"["100.1","1.000"]"#, "");
    assert_eq!(
        on(&mut s, &mut l, &no_pu),
        Err(FeedError::MissingField("pu"))
    );
    assert_eq!(state(&l), before);
    assert_eq!(s.state(), SyncState::Live { last_u: 105 });
}

#[test]
fn spot_rule_variants() {
    let (mut s, mut l) = synced(Market::Spot);
    let before = state(&l);
    // u <= lastUpdateId is stale (spot drops u == lastUpdateId too).
    for (first, last) in [(90, 99), (95, 100)] {
        let d = diff(first, last, None, r#"["100.0","5.000"]"#, "");
        assert_eq!(on(&mut s, &mut l, &d), Ok(Outcome::Dropped { u: last }));
    }
    assert_eq!(state(&l), before);
    // First applied: U <= 101 <= u; U = 102 skips update 101.
    let (mut s2, mut l2) = synced(Market::Spot);
    assert_eq!(
        on(&mut s2, &mut l2, &diff(102, 110, None, "", "")),
        gap(101, 102)
    );
    assert_eq!(state(&l2), before);
    assert_eq!(
        on(&mut s, &mut l, &diff(101, 110, None, "", "")),
        Ok(Outcome::Applied { u: 110 })
    );
    // Then U == previous u + 1 exactly; overlap or skip is a gap.
    let ok = diff(111, 115, None, r#"["100.1","1.000"]"#, "");
    assert_eq!(on(&mut s, &mut l, &ok), Ok(Outcome::Applied { u: 115 }));
    let live = state(&l);
    let (mut s3, mut l3) = (s.clone(), l.clone());
    assert_eq!(
        on(&mut s, &mut l, &diff(117, 120, None, "", "")),
        gap(116, 117)
    );
    assert_eq!(state(&l), live);
    assert_eq!(
        on(&mut s3, &mut l3, &diff(115, 120, None, "", "")),
        gap(116, 115)
    );
    assert_eq!(state(&l3), live);
}

#[test]
fn spot_first_event_may_start_below_last_update_id_plus_one() {
    let (mut s, mut l) = synced(Market::Spot);
    let d = diff(95, 101, None, "", r#"["100.5","0"]"#);
    assert_eq!(on(&mut s, &mut l, &d), Ok(Outcome::Applied { u: 101 }));
    assert_eq!(l.best_ask(), None);
}

#[test]
fn diffs_before_the_snapshot_are_buffered_and_replayed_in_order() {
    let (t, lot) = steps();
    let mut s = BinanceSync::new(Market::Futures, 4096, 8);
    let mut l = Ladder::new(64, 64);
    let pre = [
        diff(80, 90, Some(79), r#"["99.8","1.000"]"#, ""),
        diff(91, 101, Some(90), r#"["99.5","1.000"]"#, ""),
        diff(102, 104, Some(101), r#"["99.6","1.000"]"#, ""),
    ];
    for d in &pre {
        assert_eq!(on(&mut s, &mut l, d), Ok(Outcome::Buffered));
    }
    assert!(l.is_empty());
    assert_eq!(s.buffered(), 3);
    // No snapshot yet: nothing to replay.
    assert_eq!(s.replay_next(&mut l, t, lot), None);
    let snap = snapshot(
        100,
        r#"["100.0","1.000"],["99.0","1.000"]"#,
        r#"["100.5","2.000"]"#,
    );
    s.on_snapshot(&mut l, t, lot, &snap).unwrap();
    // A live diff arriving before the buffer is drained queues behind it.
    let live = diff(105, 106, Some(104), r#"["99.7","1.000"]"#, "");
    assert_eq!(on(&mut s, &mut l, &live), Ok(Outcome::Buffered));
    let mut got = Vec::new();
    while let Some(r) = s.replay_next(&mut l, t, lot) {
        got.push(r);
    }
    let want = [
        Outcome::Dropped { u: 90 },
        Outcome::Applied { u: 101 },
        Outcome::Applied { u: 104 },
        Outcome::Applied { u: 106 },
    ];
    assert_eq!(got, want.map(Ok).to_vec());
    assert_eq!(s.buffered(), 0);
    assert_eq!(
        l.size_at(Side::Bid, 998),
        0,
        "the stale diff was not applied"
    );
    for ticks in [995, 996, 997, 990] {
        assert_eq!(l.size_at(Side::Bid, ticks), 1000);
    }
    assert_eq!(s.state(), SyncState::Live { last_u: 106 });
    // Drained: the next diff applies directly.
    let next = diff(107, 108, Some(106), "", "");
    assert_eq!(on(&mut s, &mut l, &next), Ok(Outcome::Applied { u: 108 }));
}

#[test]
fn a_gap_while_replaying_the_buffer_discards_it() {
    let (t, lot) = steps();
    let mut s = BinanceSync::new(Market::Futures, 4096, 8);
    let mut l = Ladder::new(64, 64);
    on(&mut s, &mut l, &diff(101, 110, Some(100), "", "")).unwrap();
    on(&mut s, &mut l, &diff(111, 120, Some(110), "", "")).unwrap();
    let snap = snapshot(100, r#"["100.0","1.000"]"#, r#"["100.5","2.000"]"#);
    s.on_snapshot(&mut l, t, lot, &snap).unwrap();
    let after_snapshot = state(&l);
    assert_eq!(s.replay_next(&mut l, t, lot), Some(gap(100, 101)));
    assert_eq!(s.replay_next(&mut l, t, lot), None);
    assert_eq!(s.buffered(), 0);
    assert_eq!(state(&l), after_snapshot);
    assert_eq!(s.state(), SyncState::AwaitingSnapshot);
}

#[test]
fn buffer_full_is_a_typed_error_by_bytes_and_by_slots() {
    let d = diff(1, 2, Some(0), r#"["100.0","1.000"]"#, "");
    let mut l = Ladder::new(8, 8);
    let full = |bytes, messages| Err(FeedError::BufferFull { bytes, messages });
    // Room for two messages by bytes, ten by slots.
    let mut s = BinanceSync::new(Market::Futures, 2 * d.len() + 1, 10);
    assert_eq!(on(&mut s, &mut l, &d), Ok(Outcome::Buffered));
    assert_eq!(on(&mut s, &mut l, &d), Ok(Outcome::Buffered));
    assert_eq!(on(&mut s, &mut l, &d), full(2 * d.len() + 1, 10));
    assert_eq!(s.buffered(), 2);
    // Room for one message by slots.
    let mut s = BinanceSync::new(Market::Futures, 1 << 16, 1);
    assert_eq!(on(&mut s, &mut l, &d), Ok(Outcome::Buffered));
    assert_eq!(on(&mut s, &mut l, &d), full(1 << 16, 1));
    // No buffer at all.
    let mut s = BinanceSync::new(Market::Spot, 0, 0);
    assert_eq!(on(&mut s, &mut l, &d), full(0, 0));
    assert!(l.is_empty());
}

#[test]
fn reset_forgets_sequence_and_buffer() {
    let (mut s, mut l) = synced(Market::Futures);
    on(&mut s, &mut l, &diff(95, 105, Some(94), "", "")).unwrap();
    s.reset();
    assert_eq!(s.state(), SyncState::AwaitingSnapshot);
    assert_eq!(
        on(&mut s, &mut l, &diff(106, 107, Some(105), "", "")),
        Ok(Outcome::Buffered)
    );
    s.reset();
    assert_eq!(s.buffered(), 0);
}

#[test]
fn a_crossed_diff_is_refused_and_the_sync_stays_live() {
    let (mut s, mut l) = synced(Market::Futures);
    on(&mut s, &mut l, &diff(95, 105, Some(94), "", "")).unwrap();
    let before = state(&l);
    let crossed = diff(106, 107, Some(105), r#"["100.5","1.000"]"#, "");
    let err = on(&mut s, &mut l, &crossed).unwrap_err();
    assert!(err.is_crossed(), "{err}");
    assert_eq!(state(&l), before);
    assert_eq!(s.state(), SyncState::Live { last_u: 105 });
}

#[test]
fn a_resnapshot_while_live_resynchronises() {
    let (mut s, mut l) = synced(Market::Futures);
    on(&mut s, &mut l, &diff(95, 105, Some(94), "", "")).unwrap();
    let (t, lot) = steps();
    let snap = snapshot(200, r#"["101.0","1.000"]"#, r#"["101.5","2.000"]"#);
    s.on_snapshot(&mut l, t, lot, &snap).unwrap();
    assert_eq!(
        s.state(),
        SyncState::AwaitingFirst {
            last_update_id: 200
        }
    );
    let d = diff(106, 150, Some(105), "", "");
    assert_eq!(on(&mut s, &mut l, &d), Ok(Outcome::Dropped { u: 150 }));
    let d = diff(151, 210, Some(150), "", "");
    assert_eq!(on(&mut s, &mut l, &d), Ok(Outcome::Applied { u: 210 }));
}

#[test]
fn envelope_bare_and_number_forms_decode_alike() {
    let (t, lot) = steps();
    let forms: [&[u8]; 4] = [
        br#"{"stream":"x@depth","data":{"e":"depthUpdate","U":1,"u":2,"pu":0,
            "b":[["100.0","1.000"]],"a":[["100.5","2"]]}}"#,
        br#"{"e":"depthUpdate","U":1,"u":2,"pu":0,"b":[["100.0","1.000"]],"a":[["100.5","2"]]}"#,
        br#"{"b":[[100.0,1]],"a":[[100.5,2.000]],"u":2,"U":1,"pu":0}"#,
        br#" {"data":{"a":[["1.005e2","2e0"]],"b":[["100","0.1e1"]],"U":"1","u":"2"}} "#,
    ];
    for f in forms {
        let mut l = Ladder::new(8, 8);
        let mut tx = l.update();
        let h = decode_depth(&mut tx, t, lot, f).unwrap();
        tx.commit(h.last_id).unwrap();
        assert_eq!((h.first_id, h.last_id), (1, 2));
        assert_eq!(l.best_bid(), Some(lv(1000, 1000)));
        assert_eq!(l.best_ask(), Some(lv(1005, 2000)));
    }
}

/// Decoding `msg` into a transaction on a copy of `l` must fail with `want`, and the
/// ladder must be unchanged after the rollback.
fn refuse(l: &Ladder, msg: &[u8], want: FeedError) {
    let (t, lot) = steps();
    let mut l = l.clone();
    let before = state(&l);
    let r = decode_depth(&mut l.update(), t, lot, msg);
    assert_eq!(r, Err(want), "{}", String::from_utf8_lossy(msg));
    assert_eq!(state(&l), before);
}

fn num(field: &'static str, source: NumError) -> FeedError {
    FeedError::Num { field, source }
}

#[test]
fn bad_values_are_typed_and_name_the_field() {
    let (_, mut l) = synced(Market::Futures);
    l.update().commit(100).unwrap();
    let t = |s: &str| crate::num::Text::new(s.as_bytes());
    let bid = |p: &str, q: &str| {
        diff(
            1,
            2,
            Some(0),
            &format!(r#"["100.1","1"],["{p}","{q}"]"#),
            "",
        )
    };
    let neg = num("b[].qty", NumError::Negative(t("-1.000")));
    refuse(&l, &bid("99.0", "-1.000"), neg);
    refuse(
        &l,
        &bid("99.0", "NaN"),
        num("b[].qty", NumError::NotFinite(t("NaN"))),
    );
    refuse(
        &l,
        &bid("99.0", "inf"),
        num("b[].qty", NumError::NotFinite(t("inf"))),
    );
    refuse(
        &l,
        &bid("-99.0", "1"),
        num("b[].price", NumError::Negative(t("-99.0"))),
    );
    let off = |text: &str, step: &str| NumError::OffStep {
        text: t(text),
        step: t(step),
    };
    refuse(
        &l,
        &bid("99.05", "1"),
        num("b[].price", off("99.05", "0.1")),
    );
    refuse(
        &l,
        &bid("99.0", "0.0005"),
        num("b[].qty", off("0.0005", "0.001")),
    );
    refuse(
        &l,
        &bid("0", "1"),
        FeedError::Book(BookError::PriceRange { price_ticks: 0 }),
    );
    let ask = diff(1, 2, Some(0), "", r#"["1e300","1"]"#);
    refuse(&l, &ask, num("a[].price", NumError::Range(t("1e300"))));
}

fn depth_err(msg: &[u8]) -> FeedError {
    let (t, lot) = steps();
    let mut l = Ladder::new(8, 8);
    let e = decode_depth(&mut l.update(), t, lot, msg).unwrap_err();
    assert!(l.is_empty());
    e
}

#[test]
fn wrong_value_types_and_shapes_name_the_field() {
    let cases: [(&[u8], (&str, &str)); 10] = [
        (br#"{"U":"x1","u":2,"b":[],"a":[]}"#, ("Value", "U")),
        (br#"{"U":1,"u":2.5,"b":[],"a":[]}"#, ("Value", "u")),
        (br#"{"U":1,"u":-2,"b":[],"a":[]}"#, ("Value", "u")),
        (
            br#"{"U":1,"u":99999999999999999999,"b":[],"a":[]}"#,
            ("Value", "u"),
        ),
        (br#"{"U":1,"u":2,"b":{},"a":[]}"#, ("Value", "b")),
        (br#"{"U":1,"u":2,"b":[{"p":1}],"a":[]}"#, ("Value", "b")),
        (br#"{"U":1,"u":2,"b":[["1"]],"a":[]}"#, ("Shape", "b[].qty")),
        (
            br#"{"U":1,"u":2,"b":[],"a":[["1","1","1"]]}"#,
            ("Shape", "a[].qty"),
        ),
        (
            br#"{"U":1,"u":2,"b":[[null,"1"]],"a":[]}"#,
            ("Value", "b[].price"),
        ),
        (
            br#"{"U":1,"u":2,"b":[["1",true]],"a":[]}"#,
            ("Value", "b[].qty"),
        ),
    ];
    for (msg, want) in cases {
        let e = depth_err(msg);
        assert_eq!(what(&e), want, "{}: {e}", String::from_utf8_lossy(msg));
    }
}

#[test]
fn missing_duplicate_and_foreign_fields_are_typed() {
    use FeedError::{DuplicateField, MissingField, WrongType};
    assert_eq!(depth_err(br#"{"U":1,"u":2,"a":[]}"#), MissingField("b"));
    assert_eq!(depth_err(br#"{"U":1,"u":2,"b":[]}"#), MissingField("a"));
    assert_eq!(depth_err(br#"{"u":2,"b":[],"a":[]}"#), MissingField("U"));
    assert_eq!(depth_err(br#"{"U":1,"b":[],"a":[]}"#), MissingField("u"));
    assert_eq!(depth_err(br#"{"stream":"x"}"#), MissingField("b"));
    let dup = br#"{"U":1,"u":2,"u":3,"b":[],"a":[]}"#;
    assert_eq!(depth_err(dup), DuplicateField("u"));
    let e = depth_err(br#"{"e":"trade","U":1,"u":2,"b":[],"a":[]}"#);
    assert!(matches!(e, WrongType { expected: "depthUpdate", got } if got.as_str() == "trade"));
    let e = depth_err(br#"{"U":1,"u":2,"b":[],"a":[]} x"#);
    assert!(matches!(e, FeedError::Json(JsonError::Trailing(_))));
    for junk in [&b""[..], b"[]", b"null", b"\x1f\x8b\x08\x00", b"{\"U\":1,}"] {
        assert!(matches!(depth_err(junk), FeedError::Json(_)));
    }
}

/// The real snapshot and depth diff lines at the start of the capture, in order.
fn real_usdm() -> Vec<Vec<u8>> {
    capture_lines(USDM_BTC, 40, |j| {
        matches!(classify(j), LineKind::Snapshot | LineKind::Depth)
    })
}

#[test]
fn truncating_real_diffs_at_every_byte_is_an_error_and_changes_nothing() {
    let (t, lot) = (Step::parse("0.10").unwrap(), Step::parse("0.001").unwrap());
    let mut sync = BinanceSync::new(Market::Futures, 1 << 16, 16);
    let mut l = Ladder::new(8_192, 2_048);
    let lines = real_usdm();
    let mut rest = lines.iter();
    for j in rest.by_ref() {
        if classify(j) == LineKind::Snapshot {
            sync.on_snapshot(&mut l, t, lot, j).unwrap();
            while let Some(r) = sync.replay_next(&mut l, t, lot) {
                r.unwrap();
            }
            break;
        }
        assert_eq!(sync.on_depth(&mut l, t, lot, j), Ok(Outcome::Buffered));
    }
    assert!(sync.is_live());
    let mut applied = 0;
    for d in rest.take(12) {
        let (before, sync_before) = (state(&l), sync.state());
        for cut in cuts(d.len()) {
            let r = sync.on_depth(&mut l, t, lot, &d[..cut]);
            assert!(r.is_err(), "cut at {cut} of {}", d.len());
            assert_eq!(sync.state(), sync_before);
        }
        assert_eq!(state(&l), before);
        assert!(matches!(
            sync.on_depth(&mut l, t, lot, d),
            Ok(Outcome::Applied { .. })
        ));
        assert_ne!(state(&l), before);
        applied += 1;
    }
    assert_eq!(applied, 12);
}

#[test]
fn truncating_the_real_snapshot_is_an_error_and_changes_nothing() {
    let (t, lot) = (Step::parse("0.10").unwrap(), Step::parse("0.001").unwrap());
    let snap = std::fs::read(data_path("binance/usdm_btcusdt_20240808.snapshot.json")).unwrap();
    let snap = snap.trim_ascii_end();
    let mut l = Ladder::new(2_048, 8);
    l.apply_snapshot(&[lv(5, 1)], &[lv(7, 2)], 3, Depth::Complete)
        .unwrap();
    let before = state(&l);
    // Every offset of the first and last 400 bytes (the header, the first and last levels,
    // the closing brackets), every 331st in between (a full decode per offset is slow in
    // debug builds; the diff and ticker tests cut at every byte).
    let len = snap.len();
    let offsets = (0..len).filter(|&c| c < 400 || c + 400 > len || c % 331 == 0);
    for cut in offsets {
        assert!(
            apply_depth_snapshot(&mut l, t, lot, &snap[..cut]).is_err(),
            "cut {cut}"
        );
    }
    assert_eq!(state(&l), before);
    assert_eq!(
        apply_depth_snapshot(&mut l, t, lot, snap),
        Ok(5_123_107_852_948)
    );
}

#[test]
fn snapshot_book_errors_leave_the_ladder_unchanged() {
    let (t, lot) = steps();
    let mut l = Ladder::new(8, 8);
    l.apply_snapshot(&[lv(5, 1)], &[lv(7, 2)], 3, Depth::Complete)
        .unwrap();
    let before = state(&l);
    let cases: [(&str, &str, BookError); 4] = [
        (
            r#"["100.0","1"],["100.1","1"]"#,
            "",
            BookError::Unsorted {
                side: Side::Bid,
                index: 1,
                price_ticks: 1001,
            },
        ),
        (
            "",
            r#"["100.0","1"],["100.0","1"]"#,
            BookError::Duplicate {
                side: Side::Ask,
                price_ticks: 1000,
            },
        ),
        (
            r#"["100.0","0.000"]"#,
            "",
            BookError::ZeroSize {
                side: Side::Bid,
                price_ticks: 1000,
            },
        ),
        (
            r#"["100.0","1"]"#,
            r#"["100.0","1"]"#,
            BookError::Crossed {
                bid_ticks: 1000,
                ask_ticks: 1000,
            },
        ),
    ];
    for (bids, asks, want) in cases {
        let r = apply_depth_snapshot(&mut l, t, lot, &snapshot(9, bids, asks));
        assert_eq!(r, Err(FeedError::Book(want)));
        assert_eq!(state(&l), before);
    }
    let missing = br#"{"bids":[],"asks":[]}"#;
    let r = apply_depth_snapshot(&mut l, t, lot, missing);
    assert_eq!(r, Err(FeedError::MissingField("lastUpdateId")));
    let r = apply_depth_snapshot(&mut l, t, lot, br#"{"lastUpdateId":1,"asks":[]}"#);
    assert_eq!(r, Err(FeedError::MissingField("bids")));
    assert_eq!(state(&l), before);
}

#[test]
fn coin_m_snapshot_extra_keys_are_ignored() {
    let (t, lot) = (Step::parse("0.1").unwrap(), Step::parse("1").unwrap());
    let msg = br#"{"lastUpdateId":7,"symbol":"BTCUSD_PERP","pair":"BTCUSD","E":1,"T":1,
        "bids":[["61668.6","1380"]],"asks":[["61668.7","871"]],"extra":{"x":[1,{"y":null}]}}"#;
    let mut l = Ladder::new(8, 8);
    assert_eq!(apply_depth_snapshot(&mut l, t, lot, msg), Ok(7));
    assert_eq!(l.best_bid(), Some(lv(616_686, 1380)));
    assert_eq!(l.best_ask(), Some(lv(616_687, 871)));
}

#[test]
fn real_book_tickers_decode_futures_and_spot() {
    let (t, lot) = (Step::parse("0.10").unwrap(), Step::parse("0.001").unwrap());
    let fut = capture_lines(USDM_BTC, 1, |j| classify(j) == LineKind::BookTicker).remove(0);
    let bt = decode_book_ticker(&fut, t, lot).unwrap();
    assert_eq!(bt.u, 5_123_107_839_020);
    assert_eq!((bt.bid, bt.ask), (lv(618_002, 2_507), lv(618_003, 2_510)));
    for cut in cuts(fut.len()) {
        assert!(
            decode_book_ticker(&fut[..cut], t, lot).is_err(),
            "cut {cut}"
        );
    }
    let (t, lot) = (
        Step::parse("0.01").unwrap(),
        Step::parse("0.00001").unwrap(),
    );
    let spot = capture_lines(SPOT_BTC, 1, |j| classify(j) == LineKind::BookTicker).remove(0);
    let bt = decode_book_ticker(&spot, t, lot).unwrap();
    assert_eq!(bt.u, 50_093_239_212);
    assert_eq!(
        (bt.bid, bt.ask),
        (lv(6_183_763, 378_826), lv(6_183_764, 154_698))
    );
    for cut in cuts(spot.len()) {
        assert!(
            decode_book_ticker(&spot[..cut], t, lot).is_err(),
            "cut {cut}"
        );
    }
}

#[test]
fn book_ticker_errors_are_typed() {
    let (t, lot) = steps();
    let ok = br#"{"u":1,"b":"100.0","B":"1","a":"100.1","A":"2"}"#;
    assert!(decode_book_ticker(ok, t, lot).is_ok());
    let no_ask_qty = br#"{"u":1,"b":"100.0","B":"1","a":"100.1"}"#;
    assert_eq!(
        decode_book_ticker(no_ask_qty, t, lot),
        Err(FeedError::MissingField("A"))
    );
    let no_u = br#"{"b":"100.0","B":"1","a":"100.1","A":"2"}"#;
    assert_eq!(
        decode_book_ticker(no_u, t, lot),
        Err(FeedError::MissingField("u"))
    );
    let trade = br#"{"e":"trade","u":1,"b":"100.0","B":"1","a":"100.1","A":"2"}"#;
    let e = decode_book_ticker(trade, t, lot).unwrap_err();
    assert!(matches!(
        e,
        FeedError::WrongType {
            expected: "bookTicker",
            ..
        }
    ));
    let off = br#"{"u":1,"b":"100.05","B":"1","a":"100.1","A":"2"}"#;
    let e = decode_book_ticker(off, t, lot).unwrap_err();
    assert!(matches!(e, FeedError::Num { field: "b", .. }), "{e}");
    let nan = br#"{"u":1,"b":"100.0","B":"NaN","a":"100.1","A":"2"}"#;
    let e = decode_book_ticker(nan, t, lot).unwrap_err();
    assert!(matches!(
        e,
        FeedError::Num {
            field: "B",
            source: NumError::NotFinite(_)
        }
    ));
    let dup = br#"{"u":1,"b":"100.0","b":"100.0","B":"1","a":"100.1","A":"2"}"#;
    assert_eq!(
        decode_book_ticker(dup, t, lot),
        Err(FeedError::DuplicateField("b"))
    );
    let obj = br#"{"u":1,"b":{},"B":"1","a":"100.1","A":"2"}"#;
    let e = decode_book_ticker(obj, t, lot).unwrap_err();
    assert!(matches!(e, FeedError::Value { field: "b", .. }));
}

#[test]
fn lines_are_split_and_classified_from_their_first_bytes() {
    assert_eq!(
        split_line(b"123 {\"a\":1}\r\n"),
        Some((123, &b"{\"a\":1}"[..]))
    );
    assert_eq!(split_line(b"123 \n"), Some((123, &b""[..])));
    for bad in [
        &b""[..],
        b"{\"a\":1}",
        b" {}",
        b"12a {}",
        b"99999999999999999999 {}",
    ] {
        assert_eq!(split_line(bad), None);
    }
    let kinds: [(&[u8], LineKind); 11] = [
        (br#"{"lastUpdateId":1,"bids":[]}"#, LineKind::Snapshot),
        (
            br#"{"stream":"btcusdt@depth@0ms","data":{}}"#,
            LineKind::Depth,
        ),
        (
            br#"{"stream":"btcusdt@depth@100ms","data":{}}"#,
            LineKind::Depth,
        ),
        (br#"{"stream":"btcusdt@depth","data":{}}"#, LineKind::Depth),
        (
            br#"{"stream":"btcusdt@depth20@100ms","data":{}}"#,
            LineKind::Other,
        ),
        (
            br#"{"stream":"btcusdt@bookTicker","data":{}}"#,
            LineKind::BookTicker,
        ),
        (
            br#"{"stream":"btcusdt@aggTrade","data":{}}"#,
            LineKind::Trade,
        ),
        (
            br#"{"stream":"btcusdt@kline_1m","data":{}}"#,
            LineKind::Other,
        ),
        (br#"{"e":"depthUpdate","U":1}"#, LineKind::Depth),
        (br#"{"stream":"btcusdt"#, LineKind::Other),
        (b"\x1f\x8b", LineKind::Other),
    ];
    for (json, kind) in kinds {
        assert_eq!(classify(json), kind, "{}", String::from_utf8_lossy(json));
    }
}

#[test]
fn replay_counts_malformed_lines_and_errors_without_stopping() {
    let (t, lot) = steps();
    let mut r = Replay::new(ReplayConfig {
        market: Market::Futures,
        tick: t,
        lot,
        levels_per_side: 16,
        max_update_levels: 16,
        arena_bytes: 1024,
        max_buffered: 4,
        snapshot_depth: Depth::Partial,
    });
    let snap = snapshot(100, r#"["100.0","1.000"]"#, r#"["100.5","2.000"]"#);
    let mut input = Vec::new();
    input.extend_from_slice(b"garbage line\n");
    input.extend_from_slice(b"1 ");
    input.extend_from_slice(&snap);
    input.extend_from_slice(b"\n2 ");
    input.extend_from_slice(&diff(95, 105, Some(94), r#"["100.1","1.000"]"#, ""));
    input.extend_from_slice(b"\n3 {\"stream\":\"btcusdt@bookTicker\",\"data\":{\"u\":105,");
    input.extend_from_slice(br#""b":"100.1","B":"1.000","a":"100.5","A":"2.000"}}"#);
    input.extend_from_slice(b"\n4 {\"stream\":\"btcusdt@depth\",\"data\":{\"U\":1}\n");
    r.run(&input[..]).unwrap();
    let s = r.stats();
    assert_eq!(
        (s.lines, s.malformed_lines, s.snapshots, s.applied),
        (5, 1, 1, 1)
    );
    assert_eq!((s.ticker_checked, s.ticker_matched, s.errors), (1, 1, 1));
    assert!(matches!(s.first_error, Some((5, FeedError::Json(_)))));
    assert_eq!(r.ladder().best_bid(), Some(lv(1001, 1000)));
}
