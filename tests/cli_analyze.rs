//! `legcore analyze` end to end: the real Binance USD-M BTCUSDT REST snapshot of
//! 2024-08-08 (lastUpdateId 5123107852948) against independently computed values, the
//! JSON schema, and bad input that must exit 2 with one `error:` line.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use legcore::num::{Decimal, Round};

const SNAPSHOT: &str = "data/market/binance/usdm_btcusdt_20240808.snapshot.json";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn legcore(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_legcore"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("run legcore")
}

fn analyze_json(book: &str, side: &str, flag: &str, value: &str) -> serde_json::Value {
    let out = legcore(&[
        "analyze", "--book", book, "--side", side, flag, value, "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

fn s<'a>(v: &'a serde_json::Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("{k} is not a string: {v}"))
}

/// Rounds a decimal string to `dp` places (half up), for comparing with published
/// figures that were printed rounded.
fn rounded(text: &str, dp: usize) -> String {
    let v: f64 = text.parse().unwrap();
    format!("{v:.dp$}")
}

#[test]
fn buy_10_on_the_real_snapshot() {
    let v = analyze_json(SNAPSHOT, "buy", "--qty", "10");
    assert_eq!(rounded(s(&v, "avg_price"), 5), "61807.57641");
    assert_eq!(s(&v, "worst_price"), "61813.50");
    assert_eq!(v["levels_used"], 37);
    assert_eq!(v["depth_sufficient"], true);
    assert_eq!(s(&v, "filled_qty"), "10.000");
    assert_eq!(s(&v, "best_bid"), "61800.20");
    assert_eq!(s(&v, "best_ask"), "61800.30");
    assert_eq!(s(&v, "mid"), "61800.25");
    assert_eq!(s(&v, "shortfall_qty"), "0");
    // Derived decimals carry at least 12 significant digits, unless they are exact
    // (here avg × qty gives the notional back exactly).
    let avg = Decimal::parse(s(&v, "avg_price")).unwrap();
    let qty = Decimal::parse(s(&v, "filled_qty")).unwrap();
    let notional = Decimal::parse(s(&v, "filled_notional")).unwrap();
    let digits = s(&v, "avg_price")
        .chars()
        .filter(char::is_ascii_digit)
        .count();
    assert!(digits >= 12 || avg.mul(qty, Round::ToZero).unwrap() == notional);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = vec![
        "side",
        "depth_sufficient",
        "filled_qty",
        "filled_notional",
        "avg_price",
        "worst_price",
        "levels_used",
        "best_bid",
        "best_ask",
        "mid",
        "spread_bps",
        "slippage_bps",
        "slippage_usd",
        "liquidity_score",
        "recommendation",
        "shortfall_qty",
    ];
    want.sort_unstable();
    let mut got = keys.clone();
    got.sort_unstable();
    assert_eq!(got, want);
    assert!(v["spread_bps"].is_number() && v["slippage_bps"].is_number());
    assert!(v["liquidity_score"].is_number());
    // slippage = (avg − mid) / mid × 10⁴ from the printed decimals.
    let avg: f64 = s(&v, "avg_price").parse().unwrap();
    let bps = (avg - 61800.25) / 61800.25 * 1e4;
    assert!((v["slippage_bps"].as_f64().unwrap() - bps).abs() < 1e-9);
    assert_eq!(s(&v, "recommendation"), "use_limit");
}

#[test]
fn sell_10_and_50_on_the_real_snapshot() {
    let v = analyze_json(SNAPSHOT, "sell", "--qty", "10");
    assert_eq!(rounded(s(&v, "avg_price"), 5), "61800.06514");
    assert_eq!(s(&v, "worst_price"), "61800.00");
    let v = analyze_json(SNAPSHOT, "buy", "--qty", "50");
    assert_eq!(rounded(s(&v, "avg_price"), 6), "61819.072164");
    assert_eq!(s(&v, "worst_price"), "61831.20");
    assert_eq!(v["levels_used"], 157);
    let v = analyze_json(SNAPSHOT, "sell", "--qty", "50");
    assert_eq!(rounded(s(&v, "avg_price"), 6), "61791.106696");
    assert_eq!(s(&v, "worst_price"), "61774.20");
}

#[test]
fn more_than_the_snapshot_holds_is_short() {
    // The ask side of the snapshot holds 384.589 BTC in total.
    let v = analyze_json(SNAPSHOT, "buy", "--qty", "400");
    assert_eq!(v["depth_sufficient"], false);
    assert_eq!(s(&v, "filled_qty"), "384.589");
    assert_eq!(s(&v, "shortfall_qty"), "15.411");
    assert_eq!(s(&v, "recommendation"), "insufficient_depth");
}

#[test]
fn notional_walk_on_the_real_snapshot() {
    // The most whole lots (0.001 BTC) that $100 000 buys; the rest is less than one lot.
    let v = analyze_json(SNAPSHOT, "buy", "--notional", "100000");
    let dec = |k| Decimal::parse(s(&v, k)).unwrap();
    let (qty, notional, unspent) = (
        dec("filled_qty"),
        dec("filled_notional"),
        dec("unspent_notional"),
    );
    assert_eq!(s(&v, "shortfall_notional"), "0");
    assert_eq!(
        notional.checked_add(unspent).unwrap(),
        Decimal::parse("100000").unwrap()
    );
    let lot = Decimal::parse("0.001").unwrap();
    let lots = qty.div(lot, Round::ToZero).unwrap();
    assert_eq!(
        lots.round_dp(0, Round::ToZero).unwrap(),
        lots,
        "whole lots: {qty}"
    );
    let one_more = dec("worst_price").mul(lot, Round::ToZero).unwrap();
    assert!(
        unspent.checked_sub(one_more).unwrap().is_negative(),
        "{unspent} buys another lot"
    );
    assert!(!unspent.is_negative());
    assert!(v.get("shortfall_qty").is_none());
}

/// The issue's case: tick 1 and lot 1, best bid 3061233 for 142. $4 710 409.79 buys one
/// whole lot; every figure printed is exact and the notional adds up.
#[test]
fn a_notional_below_two_lots_sells_one_and_says_what_is_left() {
    let dir = std::env::temp_dir().join(format!("legcore-analyze-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let book = dir.join("book.json");
    let text = r#"{"lastUpdateId":1,"bids":[["3061233","142"]],"asks":[["3061234","7"]]}"#;
    std::fs::write(&book, text).unwrap();
    let v = analyze_json(book.to_str().unwrap(), "sell", "--notional", "4710409.79");
    assert_eq!(
        (
            s(&v, "filled_qty"),
            s(&v, "filled_notional"),
            s(&v, "unspent_notional")
        ),
        ("1", "3061233", "1649176.79")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn readable_table_without_json() {
    let out = legcore(&[
        "analyze", "--book", SNAPSHOT, "--side", "buy", "--qty", "10",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("worst price  61813.50"), "{text}");
    assert!(text.contains("use_limit"), "{text}");
}

fn temp_file(name: &str, body: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("legcore-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

fn assert_exit_2(args: &[&str], needle: &str) {
    let out = legcore(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        err.to_lowercase().contains(&needle.to_lowercase()),
        "{args:?}: {err} lacks {needle}"
    );
}

#[test]
fn bad_flags_exit_2() {
    let b = SNAPSHOT;
    assert_exit_2(
        &["analyze", "--book", b, "--side", "hold", "--qty", "1"],
        "hold",
    );
    assert_exit_2(
        &["analyze", "--book", b, "--side", "buy", "--qty", "-1"],
        "-1",
    );
    assert_exit_2(
        &["analyze", "--book", b, "--side", "buy", "--qty", "abc"],
        "abc",
    );
    assert_exit_2(
        &["analyze", "--book", b, "--side", "buy", "--qty", "NaN"],
        "NaN",
    );
    assert_exit_2(
        &["analyze", "--book", b, "--side", "buy", "--qty", "0"],
        "positive",
    );
    assert_exit_2(&["analyze", "--book", b, "--side", "buy"], "--qty");
    assert_exit_2(&["analyze", "--book", b, "--side", "buy", "--qty"], "--qty");
    assert_exit_2(
        &[
            "analyze",
            "--book",
            b,
            "--side",
            "buy",
            "--qty",
            "1",
            "--notional",
            "5",
        ],
        "both",
    );
    assert_exit_2(
        &["analyze", "--book", b, "--side", "buy", "--qty", "0.0001"],
        "lot",
    );
    assert_exit_2(&["analyze", "--side", "buy", "--qty", "1"], "--book");
    assert_exit_2(
        &[
            "analyze",
            "--book",
            "no/such/file.json",
            "--side",
            "buy",
            "--qty",
            "1",
        ],
        "no/such",
    );
    assert_exit_2(&["analyze", "--bogus"], "--bogus");
    assert_exit_2(&["frobnicate"], "frobnicate");
    assert_exit_2(&[], "command");
    // A non-UTF-8 argument is an error, not a panic.
    use std::os::unix::ffi::OsStrExt;
    let out = Command::new(env!("CARGO_BIN_EXE_legcore"))
        .args(["analyze", "--book"])
        .arg(std::ffi::OsStr::from_bytes(b"\xff"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "));
}

#[test]
fn bad_books_exit_2() {
    let cases: &[(&str, &[u8], &str)] = &[
        ("empty", b"", "empty"),
        ("binary", &[0u8, 159, 146, 150, 1, 2, 3], ""),
        ("truncated", br#"{"lastUpdateId":1,"bids":[["100.0","1.0"]],"asks":[["101.0","#, ""),
        ("crossed", br#"{"lastUpdateId":1,"bids":[["102.0","1"]],"asks":[["101.0","1"]]}"#, "cross"),
        ("unsorted", br#"{"lastUpdateId":1,"bids":[["99.0","1"],["100.0","1"]],"asks":[["101.0","1"]]}"#, "order"),
        ("duplicate", br#"{"lastUpdateId":1,"bids":[["100.0","1"],["100.0","2"]],"asks":[["101.0","1"]]}"#, "duplicate"),
        ("zero size", br#"{"lastUpdateId":1,"bids":[["100.0","0"]],"asks":[["101.0","1"]]}"#, "zero"),
        ("negative size", br#"{"lastUpdateId":1,"bids":[["100.0","-1"]],"asks":[["101.0","1"]]}"#, "negative"),
        ("zero price", br#"{"lastUpdateId":1,"bids":[["0","1"]],"asks":[["101.0","1"]]}"#, "price"),
        ("nan", br#"{"lastUpdateId":1,"bids":[["NaN","1"]],"asks":[["101.0","1"]]}"#, "NaN"),
        ("inf", br#"{"lastUpdateId":1,"bids":[["100.0","inf"]],"asks":[["101.0","1"]]}"#, "inf"),
        ("past range", br#"{"lastUpdateId":1,"bids":[["100.0","1e30"]],"asks":[["101.0","1"]]}"#, "range"),
        ("too many decimals", br#"{"lastUpdateId":1,"bids":[["100.0000000000000000001","1"]],"asks":[["101.0","1"]]}"#, "decimal"),
        ("empty side", br#"{"lastUpdateId":1,"bids":[],"asks":[["101.0","1"]]}"#, "empty"),
        ("not a book", br#"{"hello":"world"}"#, ""),
    ];
    for (name, body, needle) in cases {
        let p = temp_file(&name.replace(' ', "_"), body);
        let path = p.to_str().unwrap();
        let out = legcore(&["analyze", "--book", path, "--side", "buy", "--qty", "1"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.starts_with("error: "), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(
            err.to_lowercase().contains(&needle.to_lowercase()),
            "{name}: {err} lacks {needle}"
        );
    }
}

/// A Binance REST snapshot with `n` levels a side: bids 100000.0 down, asks 100001.0 up,
/// 1 each.
fn deep_book(n: usize) -> Vec<u8> {
    let side = |from: usize, step: isize| {
        (0..n)
            .map(|i| format!("[\"{}.0\",\"1\"]", from as isize + step * i as isize))
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        r#"{{"lastUpdateId":1,"bids":[{}],"asks":[{}]}}"#,
        side(100_000, -1),
        side(100_001, 1)
    )
    .into_bytes()
}

#[test]
fn a_book_deeper_than_ten_thousand_levels_is_read_whole() {
    let path = temp_file("deep.json", &deep_book(10_001));
    let p = path.to_str().unwrap();
    let v = analyze_json(p, "buy", "--qty", "10001");
    assert_eq!(v["depth_sufficient"], true, "{v}");
    assert_eq!(v["levels_used"], 10_001);
    assert_eq!(s(&v, "worst_price"), "110001.0");
    let out = legcore(&["analyze", "--book", p, "--side", "sell", "--qty", "1"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("10001 bids / 10001 asks"), "{text}");
}
