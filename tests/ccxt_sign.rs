//! ccxt as a third-party peer of the USD-M WebSocket API signer: 300 property-generated
//! `order.place`, `order.cancel` and `order.status` requests are encoded and signed by
//! legcore (`binance_ws::request::Encoder`), and ccxt.pro's `binanceusdm.sign_params`
//! (PyPI `ccxt`, its clock stubbed to the same timestamp) signs the same parameters with
//! the same key: the signatures must be equal, HMAC-SHA256 and Ed25519 alike.
//!
//! ccxt runs from the venv `.ci/run` creates (`target/peers-venv`, or `LEGCORE_PEERS_PY`
//! naming a python with ccxt); a machine without it fails this test, saying how to make it.

mod common;

use std::io::Write as _;
use std::process::{Command, Stdio};

use legcore::binance_ws::request::{Encoder, Place, Stamp, WsOrderKind, WsSide};
use legcore::binance_ws::sign::{HmacSigner, WsSigner};
use legcore::fix::sign::{ApiKey, Ed25519Signer};
use legcore::num::Step;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

const API_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
/// Binance's published Ed25519 test key (fix-api.md's Logon example).
const ED25519_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u
-----END PRIVATE KEY-----
";

/// One generated request: what to encode, and with which clock and window.
#[derive(Debug, Clone)]
struct Req {
    method: u8,
    symbol: String,
    buy: bool,
    kind: u8,
    price_ticks: i64,
    qty_lots: i64,
    client_id: Option<String>,
    reduce_only: bool,
    timestamp_ms: u64,
    recv_window_ms: u64,
    tick_dp: u32,
    lot_dp: u32,
}

fn req() -> impl Strategy<Value = Req> {
    (
        (0u8..3, "[A-Z]{2,8}(USDT|USDC|BTC)", any::<bool>(), 0u8..4),
        (1i64..=10_000_000_000, 1i64..=1_000_000_000_000),
        (
            proptest::option::of("[.A-Za-z0-9:/_-]{1,36}"),
            any::<bool>(),
        ),
        (
            1_500_000_000_000u64..2_000_000_000_000,
            1u64..=60_000,
            0u32..=8,
            0u32..=8,
        ),
    )
        .prop_map(
            |((method, symbol, buy, kind), (px, qty), (cid, ro), (ts, rw, tdp, ldp))| Req {
                method,
                symbol,
                buy,
                kind,
                price_ticks: px,
                qty_lots: qty,
                client_id: cid.or_else(|| (method > 0).then(|| "lc-1".to_string())),
                reduce_only: ro,
                timestamp_ms: ts,
                recv_window_ms: rw,
                tick_dp: tdp,
                lot_dp: ldp,
            },
        )
}

fn step(dp: u32) -> Step {
    let text = if dp == 0 {
        "1".to_string()
    } else {
        format!("0.{}1", "0".repeat(dp as usize - 1))
    };
    Step::parse(&text).unwrap()
}

/// legcore's frame's signature and the parameters it signed (without apiKey, timestamp
/// and recvWindow, which ccxt adds itself).
fn legcore_signs(e: &mut Encoder, r: &Req, signer: &WsSigner) -> (String, Vec<(String, String)>) {
    let stamp = Stamp {
        steps: (step(r.tick_dp), step(r.lot_dp)),
        timestamp_ms: r.timestamp_ms,
        recv_window_ms: r.recv_window_ms,
    };
    let kind = match r.kind {
        0 => WsOrderKind::Market,
        1 => WsOrderKind::LimitGtc(r.price_ticks),
        2 => WsOrderKind::LimitIoc(r.price_ticks),
        _ => WsOrderKind::PostOnly(r.price_ticks),
    };
    let cid = r.client_id.as_deref();
    let frame = match r.method {
        0 => {
            let side = if r.buy { WsSide::Buy } else { WsSide::Sell };
            let p = Place {
                symbol: &r.symbol,
                side,
                kind,
                qty_lots: r.qty_lots,
                client_id: cid,
                reduce_only: r.reduce_only,
            };
            e.place(1, &p, signer, &stamp)
        }
        m => e.by_client_id(1, m == 2, &r.symbol, cid.unwrap_or("lc-1"), signer, &stamp),
    }
    .unwrap()
    .to_owned();
    let v: serde_json::Value = serde_json::from_str(&frame).unwrap();
    let sig = v["params"]["signature"].as_str().unwrap().to_owned();
    let params = e
        .signed_payload()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| !["apiKey", "timestamp", "recvWindow"].contains(k))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    (sig, params)
}

fn ccxt_signs(lines: &[String]) -> Vec<String> {
    let script = format!("{}/tests/peers/ccxt_sign.py", env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new(common::peers_python())
        .args([script.as_str(), API_KEY])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(lines.join("\n").as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["signature"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn ccxt_signs_every_generated_request_as_legcore_does() {
    let key = || ApiKey::new(API_KEY).unwrap();
    let signers = [
        (
            WsSigner::Hmac(HmacSigner::new(SECRET, key()).unwrap()),
            SECRET,
        ),
        (
            WsSigner::Ed25519(Ed25519Signer::from_pem(ED25519_PEM, key()).unwrap()),
            ED25519_PEM,
        ),
    ];
    let mut runner = TestRunner::deterministic();
    let strategy = req();
    let mut e = Encoder::new();
    let (mut ours, mut lines) = (Vec::new(), Vec::new());
    for i in 0..300 {
        let r = strategy.new_tree(&mut runner).unwrap().current();
        let (signer, secret) = &signers[i % 2];
        let (sig, params) = legcore_signs(&mut e, &r, signer);
        let params: serde_json::Map<String, serde_json::Value> =
            params.into_iter().map(|(k, v)| (k, v.into())).collect();
        lines.push(
            serde_json::json!({
                "params": params, "timestamp": r.timestamp_ms,
                "recvWindow": r.recv_window_ms, "secret": secret,
            })
            .to_string(),
        );
        ours.push((sig, r));
    }
    let theirs = ccxt_signs(&lines);
    assert_eq!(theirs.len(), ours.len());
    for ((sig, r), their) in ours.iter().zip(&theirs) {
        assert_eq!(sig, their, "{r:?}");
    }
}
