//! Frame to book on a live feed, over loopback: a WebSocket server sends the Binance
//! USD-M BTCUSDT capture's stream frames byte for byte at a fixed rate (10 k and 100 k
//! frames/s), after its recorded REST snapshot over HTTP; the runtime runs the production
//! live client on its own thread into the loop, as `legcore run` does for
//! `source = "live"`.
//!
//! - `line_to_book`: from the client's socket read (it stamps each frame on the run's
//!   clock as it reads it) to the loop's book having applied the line: client decode and
//!   own book, the ring hop, the loop's decode and apply.
//! - `md_queue`: socket read to the loop popping the line; `book_apply`: the loop's apply.
//! - Allocations per frame, by thread, from a counting global allocator that tells the
//!   runtime's threads apart by name: the loop's must be 0; the client's thread
//!   allocates what tungstenite allocates per frame.
//!
//! One run is one long sample (the runtime's own histograms), like `tick_to_order`;
//! `cargo test --benches` runs a short smoke version.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Read as _;
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use legcore::feed::{Format, Tape};
use legcore::index::{BookId, VenueId};
use legcore::num::{Decimal, Ratio, Step};
use legcore::risk::{RiskState, VenueLimits};
use legcore::runtime::live::client::LiveConfig;
use legcore::runtime::{run_with_feeds, Config, Feed, Wait};
use legcore::sim::{FaultPlan, Latency, SimExchange, SimVenue};
use legcore::telemetry::Stage;
use tokio_tungstenite::tungstenite::{self, Message};

const CAPTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/market/binance/usdm_btcusdt_20240808.raw.gz"
);

/// Allocation counts by thread kind: 0 other, 1 loop, 2 live client, 3 venue.
static ALLOCS: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];

thread_local! {
    /// This thread's kind, +1 (0: not yet known).
    static KIND: Cell<u8> = const { Cell::new(0) };
    static IN_ALLOC: Cell<bool> = const { Cell::new(false) };
}

fn kind_of(name: Option<&str>) -> u8 {
    match name {
        Some("legcore-loop") => 1,
        Some(n) if n.starts_with("legcore-live-") => 2,
        Some(n) if n.starts_with("legcore-venue-") => 3,
        _ => 0,
    }
}

/// This thread's kind; the first call reads the thread's name (which may allocate:
/// those allocations count as "other").
fn kind() -> usize {
    let k = KIND.get();
    if k != 0 {
        return usize::from(k - 1);
    }
    if IN_ALLOC.replace(true) {
        return 0;
    }
    let kind = kind_of(std::thread::current().name());
    KIND.set(kind + 1);
    IN_ALLOC.set(false);
    usize::from(kind)
}

struct Counting;

// SAFETY: forwards every call to `System` unchanged; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS[kind()].fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS[kind()].fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The capture's REST snapshot and stream frames.
fn capture() -> (Vec<u8>, Vec<String>) {
    let mut raw = Vec::new();
    let f = std::fs::File::open(CAPTURE).expect("capture");
    flate2::read::MultiGzDecoder::new(f)
        .read_to_end(&mut raw)
        .expect("gzip");
    let tape = Tape::from_bytes(raw);
    let (mut snap, mut frames) = (Vec::new(), Vec::new());
    for i in 0..tape.len() {
        let line = tape.line(i);
        let json = &line[line.iter().position(|&b| b == b' ').expect("stamp") + 1..];
        if json.starts_with(b"{\"lastUpdateId\"") {
            snap = json.to_vec();
        } else {
            frames.push(String::from_utf8(json.to_vec()).expect("utf-8"));
        }
    }
    (snap, frames)
}

/// An HTTP server answering every request with `snap`, on its own thread, for as long
/// as the process runs (one bench process).
fn serve_snapshot(snap: Vec<u8>) -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut req = [0u8; 4096];
            let _ = std::io::Read::read(&mut s, &mut req);
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", snap.len());
            let _ = std::io::Write::write_all(&mut s, head.as_bytes());
            let _ = std::io::Write::write_all(&mut s, &snap);
        }
    });
    addr
}

/// A WebSocket server sending `frames` at `rate` per second, then closing. It sleeps
/// until a frame is due and then sends every frame due (a spinning server would take the
/// second core from the client on this two-core machine), so frames come in bursts of
/// about a sleep's length, as a venue's do; latency runs from the client's read.
fn serve_frames(frames: Vec<String>, rate: u64) -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    std::thread::spawn(move || {
        if let Some(core) = core_affinity::get_core_ids().and_then(|c| c.get(1).copied()) {
            core_affinity::set_for_current(core);
        }
        let (s, _) = l.accept().expect("accept");
        s.set_nodelay(true).expect("nodelay");
        let mut ws = tungstenite::accept(s).expect("handshake");
        let t0 = Instant::now();
        for (i, f) in frames.into_iter().enumerate() {
            let due = t0 + Duration::from_nanos(i as u64 * 1_000_000_000 / rate);
            pace(due);
            if ws.send(Message::Text(f)).is_err() {
                return;
            }
        }
        let _ = ws.close(None);
        let _ = ws.flush();
    });
    addr
}

fn pace(due: Instant) {
    let now = Instant::now();
    if due > now {
        std::thread::sleep(due - now);
    }
}

fn risk() -> RiskState {
    let mut r = RiskState::new(Decimal::from_i64(100_000_000));
    let limits = VenueLimits {
        max_order_notional: Decimal::from_i64(10_000_000),
        collar_bps: Ratio::from_num(1_000),
        max_open_orders: 1_000,
        msgs_per_sec: 1_000_000_000,
        burst: 1_000_000,
    };
    r.add_venue(limits, 0).expect("venue");
    r
}

fn run_at(snap: &[u8], frames: &[String], rate: u64) {
    let (tick, lot) = (
        Step::parse("0.1").expect("tick"),
        Step::parse("0.001").expect("lot"),
    );
    let http = serve_snapshot(snap.to_vec());
    let ws = serve_frames(frames.to_vec(), rate);
    let live = LiveConfig {
        snapshot_url: Some(format!(
            "http://{http}/fapi/v1/depth?symbol=BTCUSDT&limit=1000"
        )),
        max_frame: 1 << 20,
        backoff_min: Duration::from_millis(5),
        backoff_max: Duration::from_millis(20),
        max_failures: Some(1),
        ping_every: Duration::from_secs(20),
        ..LiveConfig::new(
            &format!("ws://{ws}/ws/btcusdt@depth@0ms"),
            "BTCUSDT",
            Format::BinanceUsdm,
            tick,
            lot,
        )
    };
    let feed = Feed {
        tape: std::sync::Arc::new(Tape::from_bytes(Vec::new())),
        venue: VenueId::new(0),
        book: BookId::new(0),
        format: Format::BinanceUsdm,
        tick,
        lot,
        levels_per_side: 16_384,
        max_update_levels: 4_096,
        live: Some(live),
    };
    let venue = SimExchange::new(
        vec![SimVenue::new(16_384, 4_096)],
        Latency::Fixed { ns: 0 },
        FaultPlan::NONE,
        0,
    );
    let config = Config {
        loop_core: Some(0),
        gateway_cores: vec![Some(1)],
        // Two cores: the loop spins on core 0; the client, the venue and the server
        // share core 1 and sleep when idle.
        wait: Wait::BusySpin,
        gateway_wait: Wait::Park { idle_ns: 20_000 },
        md_ring: 1 << 16,
        command_ring: 1 << 16,
        ..Config::default()
    };
    let before: Vec<u64> = ALLOCS.iter().map(|a| a.load(Ordering::Relaxed)).collect();
    let report = run_with_feeds(&config, vec![venue], risk(), vec![feed], Vec::new()).expect("run");
    let allocs: Vec<u64> = ALLOCS
        .iter()
        .zip(&before)
        .map(|(a, b)| a.load(Ordering::Relaxed) - b)
        .collect();
    let s = &report.live[0];
    let n = s.health.frames.max(1);
    println!(
        "rate {rate} frames/s: {} frames, {} lines to the loop, ring waits {}, line buffers {}; \
         allocations per frame: loop {:.3}, client {:.3}, venue {:.3} (loop total {})",
        s.health.frames,
        s.pushed,
        s.waited,
        s.allocated,
        allocs[1] as f64 / n as f64,
        allocs[2] as f64 / n as f64,
        allocs[3] as f64 / n as f64,
        allocs[1]
    );
    for stage in [Stage::LineToBook, Stage::MdQueue, Stage::BookApply] {
        let h = report.telemetry.histogram(stage);
        println!(
            concat!(
                "PCTL live_feed/{}/{:<14} p50 {:>9} ns  p90 {:>9}  p99 {:>9}  ",
                "p99.9 {:>9}  max {:>10}  (n={})"
            ),
            rate,
            stage.name(),
            h.value_at_quantile(0.5),
            h.value_at_quantile(0.9),
            h.value_at_quantile(0.99),
            h.value_at_quantile(0.999),
            h.max(),
            h.len()
        );
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (snap, frames) = capture();
    println!("capture: {} stream frames", frames.len());
    // The first 45 000 frames: at frame 49 306 the book runs out of its snapshot's window
    // and the client would refresh it from a server whose snapshot is the old one.
    let frames = &frames[..45_000];
    if full {
        run_at(&snap, frames, 10_000);
        run_at(&snap, frames, 100_000);
    } else {
        run_at(&snap, &frames[..2_000], 100_000);
    }
}
