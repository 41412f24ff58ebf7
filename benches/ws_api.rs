//! USD-M WebSocket API order path (issue 15): one `order.place` frame encoded (parameters
//! sorted, exact decimals) and signed, HMAC-SHA256 and Ed25519, into the encoder's kept
//! buffers (0 allocations: `tests/alloc_free_fix.rs`). The HMAC is a RustCrypto
//! SHA-256 over ~200 bytes; Ed25519 is `ed25519-dalek`'s signature, the FIX Logon's.
//!
//! And order to acknowledgement over loopback: the gateway (`runtime::binance_ws`, this
//! thread) sends a post-only `order.place` to `legcore venue serve`'s paper venue (its
//! own thread, the simulator at zero latency) and polls until the ack is delivered; the
//! order is then cancelled outside the timed span. One round trip per sample: signing,
//! the WebSocket frame both ways, the venue's checks and match, the answer's parse.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use legcore::binance_ws::request::{Encoder, Place, Stamp, WsOrderKind, WsSide};
use legcore::binance_ws::sign::{HmacSigner, WsSigner};
use legcore::book::{Depth, Level, OrderSide};
use legcore::fix::sign::{ApiKey, Ed25519Signer, SecretSource};
use legcore::index::{BookId, LegIdx};
use legcore::instrument::InstrumentRules;
use legcore::num::Step;
use legcore::runtime::binance_ws::{BinanceWsGateway, WsKey, WsVenueConfig};
use legcore::runtime::venue_serve::{Auth, Paper, PaperConfig, RateLimits, Server};
use legcore::runtime::Clock;
use legcore::sim::{FaultPlan, Latency, SimExchange, SimVenue};
use legcore::venue::TimeInForce;
use legcore::venue::{Delivery, Gateway, NewOrder, OrderPrice, OrderRef, ReportKind, Request};

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

/// A paper venue at zero latency on a random port, HMAC keys from the environment.
fn loopback_venue() -> (Server<SimExchange>, BinanceWsGateway) {
    let (tick, lot) = (
        Step::parse("0.1").expect("tick"),
        Step::parse("0.001").expect("lot"),
    );
    let lv = |price_ticks, qty_lots| Level {
        price_ticks,
        qty_lots,
    };
    let mut book = SimVenue::new(64, 64);
    book.ladder_mut()
        .apply_snapshot(&[lv(599_990, 400)], &[lv(600_010, 400)], 1, Depth::Complete)
        .expect("book");
    let x = SimExchange::new(
        vec![book],
        Latency::Fixed { ns: 0 },
        FaultPlan::default(),
        1,
    );
    let (key, secret) = ("benchKey01", "benchSecret01");
    let rules = InstrumentRules::linear(tick, lot);
    let cfg = PaperConfig {
        symbol: "BTCUSDT".into(),
        quote: "USDT".into(),
        rules,
        auth: Auth {
            api_key: key.into(),
            hmac: Some(HmacSigner::new(secret, ApiKey::new(key).expect("key")).expect("hmac")),
            ed25519: None,
        },
        limits: RateLimits {
            weight_per_min: u64::MAX / 2,
            orders_per_10s: u64::MAX / 2,
            orders_per_min: u64::MAX / 2,
        },
        listen_key_ttl_ns: 3_600_000_000_000,
        epoch_ms_at_zero: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_millis() as u64,
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let server = Server::start(listener, Paper::new(cfg, x), None).expect("serve");
    std::env::set_var("LC_BENCH_KEY", key);
    std::env::set_var("LC_BENCH_SECRET", secret);
    let ws = WsVenueConfig::usdm(
        "127.0.0.1",
        server.addr().port(),
        "BTCUSDT",
        SecretSource::Env("LC_BENCH_KEY".into()),
        WsKey::Hmac(SecretSource::Env("LC_BENCH_SECRET".into())),
    );
    let gw = BinanceWsGateway::new(&ws, tick, lot).expect("gateway");
    (server, gw)
}

/// Polls `gw` until `want` of `order` is delivered.
fn wait(gw: &mut BinanceWsGateway, clock: &Clock, order: OrderRef, want: fn(&ReportKind) -> bool) {
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        assert!(Instant::now() < end, "no answer from the venue within 5 s");
        if let Some(Delivery::Report { report, .. }) = gw.poll(clock.now_ns()).expect("poll") {
            if report.order == order && want(&report.kind) {
                return;
            }
        }
    }
}

/// One timed place → ack, then an untimed cancel → cancel ack.
fn round_trip(gw: &mut BinanceWsGateway, clock: &Clock, job: &mut u64) -> Duration {
    *job += 1;
    let order = OrderRef::new(*job, LegIdx::new(0), 0, 0).expect("ref");
    let req = Request::New(NewOrder {
        order,
        side: OrderSide::Buy,
        price: OrderPrice::Limit(590_000),
        qty_lots: 25,
        tif: TimeInForce::PostOnly,
        reduce_only: false,
    });
    let t = Instant::now();
    gw.send(BookId::new(0), req, clock.now_ns()).expect("send");
    wait(gw, clock, order, |k| matches!(k, ReportKind::Ack));
    let took = t.elapsed();
    gw.send(BookId::new(0), Request::Cancel(order), clock.now_ns())
        .expect("cancel");
    wait(gw, clock, order, |k| {
        matches!(k, ReportKind::CancelAck { .. })
    });
    took
}

fn loopback(c: &mut Criterion) {
    let (server, mut gw) = loopback_venue();
    let clock = Clock::new();
    while gw.poll(clock.now_ns()).expect("poll") != Some(Delivery::Resynced) {}
    let mut job = 0u64;
    c.bench_function("ws_api/order_to_ack_loopback/hmac", |b| {
        b.iter_custom(|n| (0..n).map(|_| round_trip(&mut gw, &clock, &mut job)).sum())
    });
    let mut h =
        hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).expect("histogram");
    for _ in 0..common::round_trips() {
        h.saturating_record(round_trip(&mut gw, &clock, &mut job).as_nanos() as u64);
    }
    common::print_us("ws_api/order_to_ack_loopback/hmac", &h);
    gw.close();
    server.stop();
}

criterion_group!(benches, bench, loopback);
criterion_main!(benches);
