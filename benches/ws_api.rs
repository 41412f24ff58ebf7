//! USD-M WebSocket API order path (issue 15): one `order.place` frame encoded (parameters
//! sorted, exact decimals) and signed, HMAC-SHA256 and Ed25519, into the encoder's kept
//! buffers (0 allocations: `tests/alloc_free_fix.rs`). The HMAC is a RustCrypto
//! SHA-256 over ~200 bytes; Ed25519 is `ed25519-dalek`'s signature, the FIX Logon's.

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use legcore::binance_ws::request::{Encoder, Place, Stamp, WsOrderKind, WsSide};
use legcore::binance_ws::sign::{HmacSigner, WsSigner};
use legcore::fix::sign::{ApiKey, Ed25519Signer};
use legcore::num::Step;

fn signers() -> [(&'static str, WsSigner); 2] {
    let key = || ApiKey::new("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A");
    let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    let pem = "MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u";
    let hmac = HmacSigner::new(secret, key().expect("key")).expect("secret");
    let ed = Ed25519Signer::from_pem(pem, key().expect("key")).expect("pem");
    [
        ("hmac", WsSigner::Hmac(hmac)),
        ("ed25519", WsSigner::Ed25519(ed)),
    ]
}

fn bench(c: &mut Criterion) {
    let stamp = Stamp {
        steps: (
            Step::parse("0.1").expect("tick"),
            Step::parse("0.001").expect("lot"),
        ),
        timestamp_ms: 1_700_000_000_000,
        recv_window_ms: 5_000,
    };
    let place = Place {
        symbol: "BTCUSDT",
        side: WsSide::Buy,
        kind: WsOrderKind::PostOnly(612_345),
        qty_lots: 25,
        client_id: Some("lc-00000000000000000123"),
        reduce_only: false,
    };
    let mut e = Encoder::new();
    let mut g = c.benchmark_group("ws_api");
    for (name, s) in signers() {
        let id = format!("ws_api/encode_sign_order_place/{name}");
        g.bench_function(format!("encode_sign_order_place/{name}"), |b| {
            b.iter(|| black_box(e.place(1, black_box(&place), &s, &stamp).map(str::len)))
        });
        common::percentiles(&id, 100, || {
            black_box(e.place(1, black_box(&place), &s, &stamp).map(str::len)).ok();
        });
    }
    // The same HMAC over the same payload: RustCrypto (what the signer uses) vs ring.
    e.place(1, &place, &signers()[0].1, &stamp).expect("frame");
    let payload = e.signed_payload().to_owned();
    let secret = b"NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    let rc = HmacSigner::new(
        std::str::from_utf8(secret).expect("ascii"),
        ApiKey::new("k").expect("k"),
    )
    .expect("secret");
    let rk = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let mut out = [0u8; 88];
    g.bench_function("hmac_sha256/rustcrypto", |b| {
        b.iter(|| black_box(rc.sign_hex(black_box(payload.as_bytes()), &mut out).len()))
    });
    g.bench_function("hmac_sha256/ring", |b| {
        b.iter(|| {
            black_box(
                ring::hmac::sign(&rk, black_box(payload.as_bytes()))
                    .as_ref()
                    .len(),
            )
        })
    });
    common::percentiles("ws_api/hmac_sha256/rustcrypto", 100, || {
        black_box(rc.sign_hex(black_box(payload.as_bytes()), &mut out).len());
    });
    common::percentiles("ws_api/hmac_sha256/ring", 100, || {
        black_box(
            ring::hmac::sign(&rk, black_box(payload.as_bytes()))
                .as_ref()
                .len(),
        );
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
