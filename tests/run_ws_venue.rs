//! `legcore run --live-orders` with the shipped cash-and-carry scenario whose perp venue
//! is reached over the Binance USD-M WebSocket API (`[venue.gateway] kind =
//! "binance-usdm-ws"`), at `legcore venue serve` (the real binary) serving that venue's
//! recorded book at the same speed. Every group ends filled or flat, and the perp
//! position the run reports is the one the venue's own ledger holds when it stops.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use legcore::num::Decimal;

#[test]
fn a_carry_run_trades_its_perp_leg_on_venue_serve_and_the_ledgers_agree() {
    let scenario = common::scenario("carry.toml");
    let args = [
        "--scenario",
        scenario.as_str(),
        "--venue",
        "binance-usdm",
        "--api-key-env",
        "LC_RUNWS_KEY",
        "--secret-env",
        "LC_RUNWS_SECRET",
    ];
    let keys = [
        ("LC_RUNWS_KEY", "runWsKey01"),
        ("LC_RUNWS_SECRET", "runWsSecret01"),
    ];
    let (serve, port, out) = common::venue_serve(&args, keys);

    let gateway = format!(
        "[venue.gateway]\nkind = \"binance-usdm-ws\"\nhost = \"127.0.0.1\"\nport = {port}\n\
         api_key_env = \"LC_RUNWS_KEY\"\nsecret_env = \"LC_RUNWS_SECRET\"\n\n[strategy]"
    );
    let text = common::scenario_text("carry.toml").replacen("[strategy]", &gateway, 1);
    let dir = common::tmp("run-ws-venue");
    let path = common::write_scenario(&dir, &text);
    let report = dir.join("report.json");
    let run = Command::new(common::BIN)
        .args(["run", "--live-orders", "--quiet", "--scenario"])
        .arg(&path)
        .arg("--report")
        .arg(&report)
        .env("LC_RUNWS_KEY", "runWsKey01")
        .env("LC_RUNWS_SECRET", "runWsSecret01")
        .output()
        .unwrap();

    let summary = common::stop_venue_serve(serve, out);
    assert!(
        run.status.success(),
        "run failed: {}\nserver: {summary}",
        String::from_utf8_lossy(&run.stderr)
    );

    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let mut last = BTreeMap::new();
    for g in doc["groups"].as_array().unwrap() {
        last.insert(g["id"].as_u64().unwrap(), g.clone());
    }
    assert!(!last.is_empty(), "the run opened no group");
    assert_eq!(
        doc["runtime"]["position_breaks"], 0,
        "the venue's position followed the fills the gateway delivered"
    );
    let mut perp = Decimal::ZERO;
    for g in last.values() {
        let outcome = g["outcome"].as_str().unwrap_or_default();
        assert!(
            matches!(outcome, "filled" | "flat"),
            "group {}: {outcome}",
            g["id"]
        );
        for l in g["legs"].as_array().unwrap() {
            if l["venue"] == "binance-usdm" {
                let net = Decimal::parse(l["net_qty"].as_str().unwrap()).unwrap();
                let signed = if l["side"] == "sell" { net.neg() } else { net };
                perp = perp.checked_add(signed).unwrap();
            }
        }
    }
    let lots: i64 = summary
        .split("position ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no ledger in {summary:?}"));
    let ledger = Decimal::from_i64(lots)
        .mul(
            Decimal::parse("0.001").unwrap(),
            legcore::num::Round::ToZero,
        )
        .unwrap();
    assert_eq!(
        perp, ledger,
        "run's perp position vs venue serve's ledger: {summary}"
    );
    assert!(
        summary.contains("(0 bad key or signature, 0 outside recvWindow"),
        "{summary}"
    );
}
