//! ccxt as a third-party client of `legcore venue serve`: the shipped carry scenario's
//! USD-M venue (the recorded Binance BTCUSDT perp book, its latency model) is served on
//! a random loopback port by the real binary, and ccxt.pro's binanceusdm
//! (`tests/peers/ccxt_venue.py`) loads the market, watches its orders and its position,
//! places, fetches and cancels a post-only order, buys and sells at market, and is
//! refused for a crossing post-only order and a forged signature. The server's own ledger, printed
//! when it stops, must agree: flat, 20 lots traded, one bad signature.

mod common;

use std::io::BufReader;
use std::process::{Child, Command};

const KEY: &str = "ccxtPaperKey01";
const SECRET: &str = "ccxtPaperSecret01";

/// Starts `legcore venue serve` on the carry scenario's perp venue.
fn serve() -> (Child, u16, BufReader<std::process::ChildStdout>) {
    let scenario = common::scenario("carry.toml");
    let args = [
        "--scenario",
        scenario.as_str(),
        "--venue",
        "binance-usdm",
        "--api-key-env",
        "LC_TEST_KEY",
        "--secret-env",
        "LC_TEST_SECRET",
    ];
    common::venue_serve(&args, [("LC_TEST_KEY", KEY), ("LC_TEST_SECRET", SECRET)])
}

#[test]
fn ccxt_trades_against_venue_serve_and_the_ledger_agrees() {
    let (child, port, out) = serve();
    let script = format!("{}/tests/peers/ccxt_venue.py", env!("CARGO_MANIFEST_DIR"));
    let run = Command::new(common::peers_python())
        .args([&script, &port.to_string(), KEY, SECRET])
        .output()
        .unwrap();
    let summary = common::stop_venue_serve(child, out);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "ccxt failed: {}{}\nserver: {summary}",
        stdout,
        String::from_utf8_lossy(&run.stderr)
    );
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(seen["filled"], 0.02);
    assert_eq!(seen["stream_orders"], 3);
    assert_eq!(
        seen["refused"],
        serde_json::json!(["-5022", "AuthenticationError"])
    );
    // The position as ccxt read it from ACCOUNT_UPDATE: long 0.01 after the buy, flat
    // after the sell.
    let positions = seen["positions"].as_array().unwrap();
    assert_eq!(
        positions[0],
        serde_json::json!(["long", 0.01]),
        "{positions:?}"
    );
    assert_eq!(positions.last().unwrap()[1], 0.0, "{positions:?}");
    // The book is the recorded one: the buy averaged inside the capture's range.
    let avg = seen["buy_average"].as_f64().unwrap();
    assert!((50_000.0..80_000.0).contains(&avg), "buy average {avg}");
    assert!(
        summary.contains("position 0 lots, traded 20 lots"),
        "ledger: {summary}"
    );
    assert!(summary.contains("(1 bad key or signature"), "{summary}");
}

#[test]
fn venue_serve_refuses_bad_flags_with_one_line() {
    let scenario = common::scenario("carry.toml");
    let cases: [(&[&str], &str); 4] = [
        (&["--venue", "nowhere"], "--venue"),
        (&["--venue", "binance-usdm"], "--api-key-file"),
        (
            &[
                "--venue",
                "binance-usdm",
                "--api-key-env",
                "LC_NO_SUCH_VAR_9",
            ],
            "API key",
        ),
        (
            &[
                "--venue",
                "binance-usdm",
                "--api-key-env",
                "HOME",
                "--secret-env",
                "HOME",
                "--clock-offset-ms",
                "x",
            ],
            "--clock-offset-ms",
        ),
    ];
    for (extra, names) in cases {
        let mut args = vec!["venue", "serve", "--scenario", scenario.as_str()];
        args.extend_from_slice(extra);
        let out = common::legcore(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(names), "{args:?}: {err}");
    }
}
