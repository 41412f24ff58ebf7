//! `load_book_file` tests: each format from the real files in `data/market/`, and each
//! kind of bad input, all of which must be typed errors (never a panic).

use super::*;
use crate::book::{BookError, Level};
use crate::feed::test_util::{capture_lines, cuts, data_path};
use crate::num::NumError;

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(data_path(rel)).unwrap()
}

fn load(bytes: &[u8]) -> Result<LoadedBook, FeedError> {
    load_book_file(bytes, 10_000)
}

fn steps(b: &LoadedBook) -> (String, String) {
    (b.tick.to_string(), b.lot.to_string())
}

fn best(b: &LoadedBook) -> (Level, Level) {
    (b.ladder.best_bid().unwrap(), b.ladder.best_ask().unwrap())
}

fn lv(p: i64, q: i64) -> Level {
    Level {
        price_ticks: p,
        qty_lots: q,
    }
}

#[test]
fn binance_rest_snapshot() {
    let b = load(&read("binance/usdm_btcusdt_20240808.snapshot.json")).unwrap();
    assert_eq!(b.format, Format::BinanceSnapshot);
    // "61800.20" and "2.909": two price decimals are written, so the tick is 0.01.
    assert_eq!(steps(&b), ("0.01".into(), "0.001".into()));
    assert_eq!(b.seq, 5_123_107_852_948);
    assert_eq!(
        (b.ladder.len(Side::Bid), b.ladder.len(Side::Ask)),
        (1_000, 1_000)
    );
    assert_eq!(best(&b), (lv(6_180_020, 2_909), lv(6_180_030, 1_072)));
    assert!(
        b.ladder.unknown_from(Side::Ask).is_some(),
        "a REST snapshot is partial"
    );
}

#[test]
fn bybit_jsonl_takes_the_first_line() {
    let b = load(&read("bybit/2024-12-01_XRPUSDT_ob500.data.jsonl")).unwrap();
    assert_eq!(b.format, Format::BybitSnapshot);
    assert_eq!(steps(&b), ("0.0001".into(), "1".into()));
    assert_eq!(b.seq, 20_254_869);
    assert_eq!(
        (b.ladder.len(Side::Bid), b.ladder.len(Side::Ask)),
        (500, 500)
    );
    assert_eq!(best(&b), (lv(19_531, 6_203), lv(19_532, 10_480)));
}

#[test]
fn hyperliquid_rest_pretty_printed() {
    let b = load(&read("hyperliquid/http_l2_book_btc.json")).unwrap();
    assert_eq!(b.format, Format::HyperliquidRest);
    // "110427.0" is written with one decimal.
    assert_eq!(steps(&b), ("0.1".into(), "0.00001".into()));
    assert_eq!(b.seq, 1_761_786_491_067);
    assert_eq!(best(&b), (lv(1_104_270, 411_882), lv(1_104_280, 372_573)));
    assert_eq!(b.format.to_string(), "Hyperliquid l2Book (REST)");
}

#[test]
fn hyperliquid_ws_line() {
    let line = capture_lines("hyperliquid/btc_20250126.raw.gz", 1, |_| true).remove(0);
    let b = load(&line).unwrap();
    assert_eq!(b.format, Format::HyperliquidWs);
    assert_eq!(b.seq, 1_737_918_843_542);
    assert_eq!((b.ladder.len(Side::Bid), b.ladder.len(Side::Ask)), (20, 20));
    assert_eq!(best(&b), (lv(1_050_550, 303_622), lv(1_050_560, 634_472)));
}

#[test]
fn bom_whitespace_and_a_small_capacity_are_fine() {
    let mut bytes = b"\xEF\xBB\xBF \r\n".to_vec();
    bytes.extend(read("hyperliquid/http_l2_book_btc.json"));
    bytes.extend(b"\n\n");
    let b = load_book_file(&bytes, 2).unwrap();
    assert_eq!((b.ladder.len(Side::Bid), b.ladder.len(Side::Ask)), (2, 2));
    // The file's own depth is known, so a caller can tell that the cap cut it.
    assert_eq!(b.listed, 5);
    assert_eq!(b.ladder.unknown_from(Side::Bid), Some(1_104_250));
}

fn binance(bids: &str, asks: &str) -> Vec<u8> {
    format!(r#"{{"lastUpdateId":1,"bids":[{bids}],"asks":[{asks}]}}"#).into_bytes()
}

fn num_err(bytes: &[u8]) -> (&'static str, NumError) {
    match load(bytes) {
        Err(FeedError::Num { field, source }) => (field, source),
        other => panic!("{other:?}"),
    }
}

#[test]
fn empty_binary_and_unknown_inputs() {
    for empty in [&b""[..], b"  \n\t", b"\xEF\xBB\xBF"] {
        assert_eq!(
            load(empty).unwrap_err(),
            FeedError::UnknownFormat("the input is empty")
        );
    }
    let gz = read("hyperliquid/btc_20250126.raw.gz");
    for binary in [&gz[..], b"\x00\x01\x02", b"[1,2]", b"bids,asks\n1,2"] {
        assert!(matches!(load(binary), Err(FeedError::UnknownFormat(_))));
    }
    assert!(matches!(load(b"{\x00\x01}"), Err(FeedError::Json(_))));
    assert!(matches!(
        load(b"{\"foo\":1}"),
        Err(FeedError::UnknownFormat(_))
    ));
    let both = br#"{"lastUpdateId":1,"levels":[[],[]],"bids":[],"asks":[]}"#;
    assert!(matches!(load(both), Err(FeedError::UnknownFormat(_))));
    let delta = br#"{"topic":"orderbook.1.X","type":"delta","data":{"b":[],"a":[],"u":2}}"#;
    assert!(matches!(load(delta), Err(FeedError::WrongType { .. })));
}

#[test]
fn truncated_files_are_errors() {
    let hl = read("hyperliquid/http_l2_book_btc.json");
    let hl = hl.trim_ascii_end();
    let line = capture_lines("hyperliquid/btc_20250126.raw.gz", 1, |_| true).remove(0);
    for doc in [hl, &line[..]] {
        for cut in cuts(doc.len()) {
            assert!(load(&doc[..cut]).is_err(), "cut {cut}");
        }
    }
    let bn = read("binance/usdm_btcusdt_20240808.snapshot.json");
    let bn = bn.trim_ascii_end();
    for cut in (0..bn.len()).filter(|&c| c < 300 || c + 300 > bn.len() || c % 997 == 0) {
        assert!(load(&bn[..cut]).is_err(), "cut {cut}");
    }
}

#[test]
fn book_integrity_errors() {
    let book = |b: &str, a: &str| load(&binance(b, a)).unwrap_err();
    let e = book(r#"["101","1"]"#, r#"["100","1"]"#);
    assert!(
        matches!(e, FeedError::Book(BookError::Crossed { .. })),
        "{e}"
    );
    let e = book(r#"["99","1"],["100","1"]"#, r#"["101","1"]"#);
    assert!(matches!(
        e,
        FeedError::Book(BookError::Unsorted {
            side: Side::Bid,
            ..
        })
    ));
    let e = book(r#"["99","1"]"#, r#"["101","1"],["101","2"]"#);
    assert!(matches!(
        e,
        FeedError::Book(BookError::Duplicate {
            side: Side::Ask,
            ..
        })
    ));
    let e = book(r#"["99","0"]"#, r#"["101","1"]"#);
    assert!(matches!(e, FeedError::Book(BookError::ZeroSize { .. })));
    let e = book(r#"["0","1"]"#, r#"["101","1"]"#);
    assert!(matches!(
        e,
        FeedError::Book(BookError::PriceRange { price_ticks: 0 })
    ));
    assert_eq!(book("", r#"["101","1"]"#), FeedError::EmptySide(Side::Bid));
    assert_eq!(book(r#"["99","1"]"#, ""), FeedError::EmptySide(Side::Ask));
    assert_eq!(book("", ""), FeedError::EmptySide(Side::Bid));
}

#[test]
fn bad_numbers_are_typed_and_name_the_field() {
    let ok_ask = r#"["101","1"]"#;
    let (f, e) = num_err(&binance(r#"["99","-1"]"#, ok_ask));
    assert!(matches!((f, e), ("bids[].qty", NumError::Negative(_))));
    let (f, e) = num_err(&binance(r#"["-99","1"]"#, ok_ask));
    assert!(matches!((f, e), ("bids[].price", NumError::Negative(_))));
    let (f, e) = num_err(&binance(r#"["99","NaN"]"#, ok_ask));
    assert!(matches!((f, e), ("bids[].qty", NumError::NotFinite(_))));
    let (f, e) = num_err(&binance(r#"["99","1"]"#, r#"["Infinity","1"]"#));
    assert!(matches!((f, e), ("asks[].price", NumError::NotFinite(_))));
    let many = r#"["99.0000000000000000001","1"]"#;
    let (f, e) = num_err(&binance(many, ok_ask));
    assert!(matches!(
        (f, e),
        ("bids[].price", NumError::TooPrecise { max_dp: 18, .. })
    ));
    let (f, e) = num_err(&binance(r#"["99","1"]"#, r#"["1e30","1"]"#));
    assert!(matches!((f, e), ("asks[].price", NumError::Range(_))));
    // In range as a decimal, but past 10^15 ticks at the inferred tick.
    let (f, e) = num_err(&binance(r#"["99","1"]"#, r#"["10000000000000000","1"]"#));
    assert!(matches!((f, e), ("asks[].price", NumError::Range(_))));
    let (f, e) = num_err(&binance(r#"["99.00000000001","1"]"#, r#"["100000","1"]"#));
    assert!(matches!((f, e), ("asks[].price", NumError::Range(_))));
    let (f, e) = num_err(&binance(r#"["99","1x"]"#, ok_ask));
    assert!(matches!((f, e), ("bids[].qty", NumError::Syntax(_))));
}

#[test]
fn every_level_is_an_exact_multiple_of_the_inferred_steps() {
    let bytes = binance(r#"["99.5","1.25"],["99","3"]"#, r#"["100.25","0.5"]"#);
    let b = load(&bytes).unwrap();
    assert_eq!(steps(&b), ("0.01".into(), "0.01".into()));
    assert_eq!(best(&b), (lv(9_950, 125), lv(10_025, 50)));
    assert_eq!(b.ladder.size_at(Side::Bid, 9_900), 300);
    // JSON numbers count their written decimals the same way.
    let b = load(&binance("[99.5,1]", "[100,2.125]")).unwrap();
    assert_eq!(steps(&b), ("0.1".into(), "0.001".into()));
}
