//! FIX order path: encode a Binance NewOrderSingle (post-only limit, with the session
//! header, into the session's outbox) and decode an ExecutionReport fill (frame check,
//! field walk, ticks/lots, fee conversion) into a `venue::Report`. Both allocate nothing
//! (`tests/alloc_free_fix.rs`).
//!
//! The peer, in the same run: QuickFIX (`benches/fix_peer/quickfix_codec.cpp`, built here
//! with g++ against Debian's libquickfix-dev) encodes the same NewOrderSingle and parses
//! the same ExecutionReport against Binance's dictionary. Both sides are timed alike
//! (`common::percentiles`: batches of 100 calls); a missing QuickFIX fails the bench, as
//! it fails the FIX tests.

mod common;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;

use criterion::{criterion_group, criterion_main, Criterion};
use legcore::book::OrderSide;
use legcore::fix::binance::{BinanceOrders, Stp};
use legcore::fix::codec::{decode_frame, Encoder, TimePrecision};
use legcore::fix::session::{SeqNums, Session, SessionConfig};
use legcore::fix::sign::{ApiKey, Ed25519Signer};
use legcore::index::LegIdx;
use legcore::instrument::InstrumentRules;
use legcore::num::Step;
use legcore::venue::{NewOrder, OrderPrice, OrderRef, Request, TimeInForce};

const T0: u64 = 1_718_096_506_228_000_000;

fn venue(mt: &[u8], body: impl FnOnce(&mut Encoder<'_>)) -> Vec<u8> {
    let mut buf = [0u8; 1024];
    let mut e = Encoder::new(&mut buf[..], mt);
    e.uint(34, 2)
        .str(49, b"SPOT")
        .time(52, T0, TimePrecision::Micros)
        .str(56, b"EXAMPLE");
    body(&mut e);
    e.finish().expect("frame").to_vec()
}

fn setup() -> (Session, BinanceOrders, OrderRef) {
    let key = "MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u";
    let signer = Ed25519Signer::from_pem(key, ApiKey::new("k").expect("key")).expect("pem");
    let cfg = SessionConfig::binance("EXAMPLE");
    let mut s = Session::new(cfg, signer, SeqNums::START).expect("session");
    s.on_tick(T0).expect("tick");
    s.on_connected(T0).expect("connect");
    let mut ack = [0u8; 256];
    let mut e = Encoder::new(&mut ack[..], b"A");
    e.uint(34, 1)
        .str(49, b"SPOT")
        .time(52, T0, TimePrecision::Micros)
        .str(56, b"EXAMPLE");
    e.uint(108, 30);
    let ack = e.finish().expect("ack").to_vec();
    s.on_frame(&decode_frame(&ack).expect("decode"), T0)
        .expect("logon");
    s.clear_outbox();
    let tick = Step::parse("0.01").expect("tick");
    let lot = Step::parse("0.00001").expect("lot");
    let m = BinanceOrders::new(
        "BTCUSDT",
        "BTC",
        "USDT",
        InstrumentRules::linear(tick, lot),
        Stp::ExpireMaker,
    );
    (s, m, OrderRef::new(3, LegIdx::new(0), 0, 1).expect("ref"))
}

fn bench(c: &mut Criterion) {
    let (mut s, mut m, order) = setup();
    let req = Request::New(NewOrder {
        order,
        side: OrderSide::Buy,
        price: OrderPrice::Limit(6_180_025),
        qty_lots: 150,
        tif: TimeInForce::PostOnly,
        reduce_only: false,
    });
    c.bench_function("fix/encode_new_order_single", |b| {
        b.iter(|| {
            m.send(black_box(&req), &mut s, T0).expect("send");
            s.clear_outbox();
        })
    });
    let fill = venue(b"8", |e| {
        e.uint(11, order.wire())
            .str(14, b"0.00100")
            .uint(17, 145)
            .str(31, b"61800.25");
        e.str(32, b"0.00100")
            .char(39, b'1')
            .str(60, b"20240611-09:01:46.228000");
        e.char(150, b'F').char(1057, b'N').uint(1003, 9_000);
        e.uint(136, 1)
            .str(137, b"0.00000015")
            .str(138, b"BTC")
            .uint(139, 4);
    });
    c.bench_function("fix/decode_execution_report_fill", |b| {
        b.iter(|| {
            let f = decode_frame(black_box(&fill)).expect("frame");
            black_box(m.decode(&f).expect("report").report)
        })
    });
    common::percentiles("fix/encode_new_order_single", 100, || {
        m.send(black_box(&req), &mut s, T0).expect("send");
        s.clear_outbox();
    });
    common::percentiles("fix/decode_execution_report_fill", 100, || {
        let f = decode_frame(black_box(&fill)).expect("frame");
        black_box(m.decode(&f).expect("report").report);
    });
    m.send(&req, &mut s, T0).expect("send");
    quickfix_peer(s.outbox(), &fill);
}

/// Builds and runs the QuickFIX peer on legcore's NewOrderSingle `nos` and the fill `er`.
fn quickfix_peer(nos: &[u8], er: &[u8]) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let bin = build_peer(&dir);
    let (nos_path, er_path) = (dir.join("fix-peer-nos.bin"), dir.join("fix-peer-er.bin"));
    std::fs::write(&nos_path, nos).expect("write the NewOrderSingle");
    std::fs::write(&er_path, er).expect("write the ExecutionReport");
    let dictionary = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/venues/binance/spot-fix-oe.xml"
    );
    let samples = if std::env::args().any(|a| a == "--bench") {
        "20000"
    } else {
        "10"
    };
    let out = Command::new(&bin)
        .arg(dictionary)
        .args([&nos_path, &er_path])
        .arg(samples)
        .output()
        .expect("run the QuickFIX peer");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{}", String::from_utf8_lossy(&out.stdout));
}

/// g++ `benches/fix_peer/quickfix_codec.cpp` against QuickFIX (`pkg-config quickfix`).
fn build_peer(dir: &Path) -> PathBuf {
    let src = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/fix_peer/quickfix_codec.cpp"
    );
    let bin = dir.join("quickfix_codec");
    let flags = Command::new("pkg-config")
        .args(["--cflags", "--libs", "quickfix"])
        .output()
        .expect("pkg-config (apt-get install pkg-config libquickfix-dev)");
    assert!(
        flags.status.success(),
        "QuickFIX is not installed: apt-get install libquickfix-dev"
    );
    let flags = String::from_utf8_lossy(&flags.stdout).to_string();
    let status = Command::new("g++")
        .args(["-std=gnu++14", "-O2", "-Wno-deprecated", "-o"])
        .arg(&bin)
        .arg(src)
        .args(flags.split_whitespace())
        .status()
        .expect("g++ (apt-get install g++)");
    assert!(status.success(), "g++ could not build {src}");
    bin
}

criterion_group!(benches, bench);
criterion_main!(benches);
