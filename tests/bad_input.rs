//! Bad input to `legcore run`, as a user gives it: values out of range, feeds that do
//! not decode or do not fit the instrument, feeds recorded at different times, TOML
//! mistakes. Each is refused before anything runs: exit 2 and one `error:` line naming
//! the file, the key and the value.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use common::{refused, run_bad, run_written, scenario_text, tmp, write_scenario};

const SPOT: &str = "data/market/binance/spot_btcusdt_20240808.raw.gz";
const USDM: &str = "data/market/binance/usdm_btcusdt_20240808.raw.gz";
const HYPERLIQUID: &str = "data/market/hyperliquid/btc_20250126.raw.gz";

fn data(path: &str) -> String {
    format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// The default scenario with `from` replaced by `to` (which must be there).
fn edit(from: &str, to: &str) -> String {
    let base = scenario_text("carry.toml");
    assert!(base.contains(from), "{from:?} is not in carry.toml");
    base.replacen(from, to, 1)
}

/// `text` is refused, naming the file, `key` and `value`.
fn refuses(name: &str, text: &str, key: &str, value: &str) -> String {
    let err = run_bad(name, text, &[]);
    for part in ["bad.toml", key, value] {
        assert!(err.contains(part), "{name}: {part:?} missing in {err}");
    }
    err
}

const SPOT_LATENCY: &str = "latency = { kind = \"uniform\", min_us = 150, max_us = 400 }";

#[test]
fn latencies_and_durations_past_their_caps_are_refused_not_wrapped() {
    let huge_ms = "18446744073710";
    let cases = [
        (
            "heavy-tail",
            edit(
                SPOT_LATENCY,
                r#"latency = { kind = "heavy_tailed", base_us = 100, scale_us = 18446744073709551 }"#,
            ),
            "venue[0].latency.scale_us",
            "18446744073709551",
        ),
        (
            "heavy-base",
            edit(
                SPOT_LATENCY,
                r#"latency = { kind = "heavy_tailed", base_us = 18446744073709552, scale_us = 1 }"#,
            ),
            "venue[0].latency.base_us",
            "18446744073709552",
        ),
        (
            "fixed",
            edit(
                SPOT_LATENCY,
                "latency = { kind = \"fixed\", us = 18446744073709552 }",
            ),
            "venue[0].latency.us",
            "18446744073709552",
        ),
        (
            "uniform",
            edit(
                "min_us = 100, max_us = 300",
                "min_us = 100, max_us = 18446744073709552",
            ),
            "venue[1].latency.max_us",
            "18446744073709552",
        ),
        (
            "spike",
            edit(
                SPOT_LATENCY,
                &format!("{SPOT_LATENCY}\nfaults = {{ spike = 1000, spike_ms = {huge_ms} }}"),
            ),
            "venue[0].faults.spike_ms",
            huge_ms,
        ),
        (
            "disconnect",
            edit(
                SPOT_LATENCY,
                &format!(
                    "{SPOT_LATENCY}\nfaults = {{ disconnect = 1000, disconnect_ms = {huge_ms} }}"
                ),
            ),
            "venue[0].faults.disconnect_ms",
            huge_ms,
        ),
        (
            "request-timeout",
            edit(
                "request_timeout_ms = 1000",
                &format!("request_timeout_ms = {huge_ms}"),
            ),
            "execution.request_timeout_ms",
            huge_ms,
        ),
        (
            "complete-budget",
            edit(
                "policy = \"rollback\"",
                &format!("policy = \"complete\"\ncomplete_budget_ms = {huge_ms}"),
            ),
            "execution.complete_budget_ms",
            huge_ms,
        ),
        (
            "cooldown",
            edit("cooldown_ms = 2", &format!("cooldown_ms = {huge_ms}")),
            "strategy.cooldown_ms",
            huge_ms,
        ),
        (
            "limit-timeout",
            edit(
                "long_mode = { kind = \"market\" }",
                &format!("long_mode = {{ kind = \"limit\", timeout_ms = {huge_ms} }}"),
            ),
            "execution.long_mode.timeout_ms",
            huge_ms,
        ),
    ];
    for (name, text, key, value) in &cases {
        refuses(name, text, key, value);
    }
}

#[test]
fn non_positive_limits_and_counts_are_refused() {
    let cases = [
        (
            "order-notional",
            edit(
                "max_order_notional = \"50000\"",
                "max_order_notional = \"-1\"",
            ),
            "venue[0].limits.max_order_notional",
            "-1",
        ),
        (
            "order-notional-zero",
            edit(
                "max_order_notional = \"50000\"",
                "max_order_notional = \"0\"",
            ),
            "venue[0].limits.max_order_notional",
            "0",
        ),
        (
            "open-orders",
            edit("max_open_orders = 16", "max_open_orders = 0"),
            "venue[0].limits.max_open_orders",
            "0",
        ),
        (
            "msgs",
            edit("msgs_per_sec = 200", "msgs_per_sec = 0"),
            "venue[0].limits.msgs_per_sec",
            "0",
        ),
        (
            "burst",
            edit("burst = 50", "burst = 0"),
            "venue[0].limits.burst",
            "0",
        ),
        (
            "min-notional",
            edit("min_notional = \"5\"", "min_notional = \"-5\""),
            "venue[0].min_notional",
            "-5",
        ),
        (
            "group-notional",
            edit(
                "max_group_notional = \"20000\"",
                "max_group_notional = \"-1\"",
            ),
            "risk.max_group_notional",
            "-1",
        ),
        (
            "cycles",
            edit("max_cycles = 6", "max_cycles = 0"),
            "strategy.max_cycles",
            "0",
        ),
        (
            "spike-without-time",
            edit(
                SPOT_LATENCY,
                &format!("{SPOT_LATENCY}\nfaults = {{ spike = 1000 }}"),
            ),
            "venue[0].faults.spike_ms",
            "0",
        ),
        (
            "disconnect-without-time",
            edit(
                SPOT_LATENCY,
                &format!("{SPOT_LATENCY}\nfaults = {{ disconnect = 1000 }}"),
            ),
            "venue[0].faults.disconnect_ms",
            "0",
        ),
    ];
    for (name, text, key, value) in &cases {
        refuses(name, text, key, value);
    }
}

/// The lines of a gzip capture.
fn capture_lines(path: &str) -> Vec<String> {
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(data(path)).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text.lines().map(str::to_string).collect()
}

/// Writes `lines` as a gzip capture `dir/name`.
fn write_capture(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let path = dir.join(name);
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    for l in lines {
        writeln!(gz, "{l}").unwrap();
    }
    gz.finish().unwrap();
    path
}

/// The default scenario with venue `venue`'s feed at `feed`, run from `dir`: refused.
fn refused_with_feed(dir: &Path, text: &str, venue: usize, feed: &Path) -> String {
    let shipped = [SPOT, USDM][venue].trim_start_matches("data/");
    let text = text.replace(&format!("../data/{shipped}"), feed.to_str().unwrap());
    let path = write_scenario(dir, &text);
    let journal = dir.join("journal");
    let err = refused(&[
        "run",
        "--quiet",
        "--scenario",
        path.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
    ]);
    assert!(!journal.exists(), "nothing runs: {err}");
    err
}

#[test]
fn feeds_recorded_at_times_that_do_not_overlap_are_refused() {
    let dir = tmp("apart");
    // The perp's capture moved 170 days later: at 20x the replay would wait 8.5 days.
    let shift = 170 * 86_400 * 1_000_000_000u64;
    let later: Vec<String> = capture_lines(USDM)
        .iter()
        .map(|l| {
            let (ns, json) = l.split_once(' ').unwrap();
            format!("{} {json}", ns.parse::<u64>().unwrap() + shift)
        })
        .collect();
    let feed = write_capture(&dir, "later.gz", &later);
    let err = refused_with_feed(&dir, &scenario_text("carry.toml"), 1, &feed);
    for part in [
        "venue[0].feed",
        "spot_btcusdt_20240808.raw.gz",
        "venue[1].feed",
        "later.gz",
        "2024-08-08T",
        "2025-01-25T",
        "overlap",
    ] {
        assert!(err.contains(part), "{part:?} missing in {err}");
    }
}

#[test]
fn a_feed_whose_lines_do_not_decode_is_refused_naming_the_file() {
    let dir = tmp("undecodable");
    let text = scenario_text("carry.toml");
    // A gzip of text lines that carry a time but no Binance message.
    let junk: Vec<String> = (0..500)
        .map(|i| {
            format!(
                "{} not a market data line",
                1_723_161_254_000_000_000u64 + i
            )
        })
        .collect();
    let feed = write_capture(&dir, "junk.gz", &junk);
    let err = refused_with_feed(&dir, &text, 0, &feed);
    for part in ["venue[0].feed", "junk.gz", "never went live", "500"] {
        assert!(err.contains(part), "{part:?} missing in {err}");
    }
    // A Hyperliquid capture given as a Binance feed.
    let err = refused_with_feed(&dir, &text, 1, Path::new(&data(HYPERLIQUID)));
    for part in ["venue[1].feed", "btc_20250126.raw.gz", "never went live"] {
        assert!(err.contains(part), "{part:?} missing in {err}");
    }
    // Not even `<time> <message>` lines.
    let text_lines: Vec<String> = (0..50).map(|i| format!("hello {i}")).collect();
    let feed = write_capture(&dir, "text.gz", &text_lines);
    let err = refused_with_feed(&dir, &scenario_text("carry.toml"), 0, &feed);
    assert!(
        err.contains("venue[0].feed") && err.contains("text.gz"),
        "{err}"
    );
}

#[test]
fn a_lot_that_does_not_divide_the_book_sizes_is_refused_with_a_sample() {
    // The spot book writes sizes with six decimals; a lot of 0.001 cannot hold them.
    let text = edit("lot = \"0.000001\"", "lot = \"0.001\"");
    let err = run_bad("lot", &text, &[]);
    for part in ["bad.toml", "venue[0].lot", "0.001", "spot_btcusdt_20240808"] {
        assert!(err.contains(part), "{part:?} missing in {err}");
    }
    // A sample size of the book that does not fit.
    assert!(err.contains("qty"), "{err}");
}

#[test]
fn lines_that_do_not_decode_are_counted_in_the_output_and_the_report() {
    let dir = tmp("counted");
    // The first lines of both captures (enough for both books to go live), with two
    // bad lines in the spot one: one not `<time> <message>`, one not Binance.
    let mut spot: Vec<String> = capture_lines(SPOT).into_iter().take(3_000).collect();
    spot.insert(100, "garbage without a time".to_string());
    let t = spot[200].split_once(' ').unwrap().0.to_string();
    spot.insert(200, format!("{t} {{\"channel\":\"l2Book\",\"data\":{{}}}}"));
    let usdm: Vec<String> = capture_lines(USDM).into_iter().take(6_000).collect();
    let spot = write_capture(&dir, "spot.gz", &spot);
    let usdm = write_capture(&dir, "usdm.gz", &usdm);
    let text = scenario_text("carry.toml")
        .replace(
            "../data/market/binance/spot_btcusdt_20240808.raw.gz",
            spot.to_str().unwrap(),
        )
        .replace(
            "../data/market/binance/usdm_btcusdt_20240808.raw.gz",
            usdm.to_str().unwrap(),
        );
    let (out, report) = run_written(&dir, &text);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report["runtime"]["md_refused"], serde_json::json!([2, 0]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("refused per feed 2, 0;"), "{stdout}");
}

#[test]
fn toml_mistakes_are_one_line_naming_the_line_key_and_value() {
    let cases = [
        (
            "wrong-type-inline",
            edit(
                "min_us = 100, max_us = 300",
                "min_us = 100, max_us = \"soon\"",
            ),
            "line 44",
            "venue[1].latency.max_us",
            "\"soon\"",
        ),
        (
            "negative",
            edit("burst = 50", "burst = -3"),
            "line 32",
            "venue[0].limits.burst",
            "-3",
        ),
        (
            "unknown-key",
            edit("collar_bps = \"100\"", "collar_bps = \"100\"\ncolar = 1"),
            "line 30",
            "venue[0].limits.colar",
            "1",
        ),
        (
            "top-level",
            edit("seed = 7", "seed = \"seven\""),
            "line 10",
            "seed",
            "\"seven\"",
        ),
    ];
    for (name, text, line, key, value) in &cases {
        let err = run_bad(name, text, &[]);
        for part in ["bad.toml", line, key, value] {
            assert!(err.contains(part), "{name}: {part:?} missing in {err}");
        }
    }
    // Not TOML at all: still one line, with the line.
    let err = run_bad("syntax", "name = \"x\"\nthis is [not toml\n", &[]);
    assert!(err.contains("bad.toml") && err.contains("line 2"), "{err}");
}

#[test]
fn feed_formats_and_contract_kinds_are_checked_and_the_old_market_key_names_format() {
    // A scenario written before `format`: refused, saying what to write instead.
    let old = edit("format = \"binance-spot\"", "market = \"spot\"");
    let err = refuses("market", &old, "venue[0].market", "spot");
    assert!(
        err.contains("replaced by `format`") && err.contains("binance-spot"),
        "{err}"
    );
    let old = edit("format = \"binance-usdm\"", "market = \"futures\"");
    let err = refuses("market", &old, "venue[1].market", "futures");
    assert!(
        err.contains("binance-usdm") && err.contains("binance-coinm"),
        "{err}"
    );
    let err = refuses(
        "format",
        &edit("format = \"binance-usdm\"", "format = \"binance-futures\""),
        "venue[1].format",
        "binance-futures",
    );
    assert!(err.contains("hyperliquid-l2book"), "{err}");
    let err = refuses(
        "no format",
        &edit("format = \"binance-usdm\"\n", ""),
        "venue[1].format",
        "",
    );
    assert!(err.contains("missing"), "{err}");
    // A COIN-M book's sizes are contracts: a linear contract is refused.
    let text = scenario_text("inverse_vs_linear.toml");
    let linear = text.replacen("contract = \"inverse\"", "contract = \"linear\"", 1);
    refuses("coinm linear", &linear, "venue[0].contract", "linear");
    let bad = text.replacen("multiplier = \"100\"", "multiplier = \"0\"", 1);
    refuses("multiplier", &bad, "venue[0].multiplier", "0");
    // The right format on the wrong capture never goes live.
    let wrong = text.replacen(
        "format = \"binance-coinm\"",
        "format = \"bybit-orderbook500\"",
        1,
    );
    let err = refuses("wrong format", &wrong, "venue[0].feed", "coinm_btcusd_perp");
    assert!(err.contains("never went live"), "{err}");
}

#[test]
fn a_roundtrip_refuses_the_keys_of_a_second_leg_and_carry_needs_them() {
    let text = scenario_text("bybit_xrp_roundtrip.toml");
    let with_short = text.replacen("size_usd", "short = \"bybit-linear\"\nsize_usd", 1);
    refuses(
        "roundtrip short",
        &with_short,
        "strategy.short",
        "bybit-linear",
    );
    let carry = text.replacen("kind = \"roundtrip\"", "kind = \"carry\"", 1);
    refuses("carry without short", &carry, "strategy.short", "");
    let other = text.replacen("kind = \"roundtrip\"", "kind = \"grid\"", 1);
    let err = refuses("kind", &other, "strategy.kind", "grid");
    assert!(err.contains("roundtrip"), "{err}");
}

/// An `okx-books` feed follows its venue's `instrument`: one that is not an OKX instId is
/// refused naming `instrument`, one the capture does not hold never goes live (its
/// books are all another instrument's, skipped), and a book too shallow for the
/// checksum of the top 25 levels is refused naming `levels`.
#[test]
fn an_okx_feed_needs_an_instrument_of_the_capture_and_levels_for_its_checksum() {
    let base = scenario_text("okx_btcusdt_roundtrip.toml");
    let with = |from: &str, to: &str| {
        assert!(base.contains(from), "{from:?}");
        base.replacen(from, to, 1)
    };
    let bad_id = with("instrument = \"BTC-USDT\"", "instrument = \"BTC/USDT\"");
    refuses("okx-id", &bad_id, "venue[0].instrument", "BTC/USDT");
    let absent = with("instrument = \"BTC-USDT\"", "instrument = \"ETH-USDT\"");
    let err = refuses("okx-absent", &absent, "venue[0].feed", "cryptofeed_OKX");
    assert!(
        err.contains("never went live") && err.contains("instruments skipped"),
        "{err}"
    );
    let shallow = with("levels = 1024", "levels = 16");
    let err = refuses("okx-shallow", &shallow, "venue[0].levels", "16");
    assert!(err.contains("checksum"), "{err}");
}

#[test]
fn live_feed_keys_are_checked_naming_the_key_and_value() {
    let paper = scenario_text("paper_binance.toml");
    let edit_paper = |from: &str, to: &str| {
        assert!(
            paper.contains(from),
            "{from:?} is not in paper_binance.toml"
        );
        paper.replacen(from, to, 1)
    };
    let url = "url = \"wss://fstream.binance.com/ws/btcusdt@depth@100ms\"";
    let snap =
        "snapshot_url = \"https://fapi.binance.com/fapi/v1/depth?symbol=BTCUSDT&limit=1000\"";
    refuses(
        "source",
        &edit_paper("source = \"live\"", "source = \"lve\""),
        "venue[0].source",
        "lve",
    );
    refuses("no-url", &edit_paper(url, ""), "venue[0].url", "missing");
    refuses(
        "http-url",
        &edit_paper(url, "url = \"http://x/ws\""),
        "venue[0].url",
        "http://x/ws",
    );
    refuses(
        "no-snap",
        &edit_paper(snap, ""),
        "venue[0].snapshot_url",
        "REST depth snapshot",
    );
    let ftp = edit_paper(snap, "snapshot_url = \"ftp://x/depth\"");
    refuses("ftp-snap", &ftp, "venue[0].snapshot_url", "ftp://x/depth");
    let with_feed = edit_paper(url, &format!("{url}\nfeed = \"x.gz\""));
    refuses("live-feed", &with_feed, "venue[0].feed", "x.gz");
    let root = edit_paper(url, &format!("{url}\nroot_cert = \"no-such.pem\""));
    refuses("root", &root, "venue[0].root_cert", "no-such.pem");
    // One live venue beside a replayed one: the times do not mix.
    let live_spot = edit(
        "feed = \"../data/market/binance/spot_btcusdt_20240808.raw.gz\"",
        &format!("source = \"live\"\n{url}\n{snap}"),
    );
    refuses("mixed", &live_spot, "venue[1].source", "replay");
    // A replayed venue still needs its capture.
    let no_feed = edit(
        "feed = \"../data/market/binance/spot_btcusdt_20240808.raw.gz\"",
        "",
    );
    refuses("no-feed", &no_feed, "venue[0].feed", "missing");
    // Bybit's stream carries its own snapshots: a REST snapshot URL is refused.
    let bybit = scenario_text("bybit_xrp_roundtrip.toml").replacen(
        "feed = \"../data/market/bybit/2024-12-01_XRPUSDT_ob500.data.jsonl\"",
        "source = \"live\"\nurl = \"wss://stream.bybit.com/v5/public/linear\"\n\
         snapshot_url = \"https://api.bybit.com/v5/market/orderbook\"",
        1,
    );
    assert!(bybit.contains("source = \"live\""));
    let err = refuses(
        "bybit-snap",
        &bybit,
        "venue[0].snapshot_url",
        "https://api.bybit.com/v5/market/orderbook",
    );
    assert!(err.contains("carries its own"), "{err}");
}

#[test]
fn a_duration_that_is_not_one_is_refused() {
    for bad in ["soon", "0s", "-5", "9999999999999999999s"] {
        let err = refused(&["run", "--quiet", "--duration", bad]);
        assert!(err.contains("--duration") && err.contains(bad), "{err}");
    }
}
