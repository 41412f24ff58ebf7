//! Paper trading on live books (issue 14): the runtime with a live feed, its client on
//! its own thread, against loopback servers replaying the shipped USD-M capture's stream
//! byte for byte (WebSocket) and its recorded REST snapshot (HTTP).
//!
//! The loop's book and the simulated venue's book must end equal to the file replay's
//! book, level for level, also across a reconnect (the reset marker makes both start over
//! with the client's new connection); `legcore run` on a `source = "live"` scenario trades
//! on them and stops cleanly at `--duration` and at Ctrl-C with its report and journal.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use legcore::book::{Ladder, Level, Side};
use legcore::feed::{Format, Tape};
use legcore::index::{BookId, VenueId};
use legcore::num::Step;
use legcore::runtime::live::client::LiveConfig;
use legcore::runtime::{run_with_feeds, Config, Feed};
use legcore::sim::{FaultPlan, Latency, SimExchange, SimVenue};
use legcore::venue::LocalVenue as _;

/// Stream lines used: the capture's book runs out of its snapshot's window at stream line
/// 49 306, where a live client refreshes its snapshot and a file replay cannot
/// (`a_book_out_of_its_snapshot_window_refreshes_and_the_loop_follows` tests that).
const WITHIN_WINDOW: usize = 45_000;

fn steps() -> (Step, Step) {
    (Step::parse("0.10").unwrap(), Step::parse("0.001").unwrap())
}

/// The capture's snapshot JSON and its other lines' JSON, in order.
fn capture() -> (Vec<u8>, Vec<Vec<u8>>) {
    common::loopback::usdm_capture(WITHIN_WINDOW)
}

/// Every level of the file replay's book after the snapshot and [`WITHIN_WINDOW`]
/// stream lines.
fn replay_end() -> Vec<Level> {
    common::loopback::usdm_book_after(WITHIN_WINDOW)
}

fn levels(l: &Ladder) -> Vec<Level> {
    l.levels(Side::Bid).chain(l.levels(Side::Ask)).collect()
}

/// Loopback servers: connection k gets `conns[k]` then, after `hold`, an abnormal close
/// (the socket dropped); later connections are refused. Every HTTP request gets `snap`.
/// Both stop after the last connection. Frames go at full speed.
fn serve(conns: Vec<Vec<Vec<u8>>>, snap: Vec<u8>, hold: Duration) -> (SocketAddr, SocketAddr) {
    common::loopback::binance_replay(conns, vec![snap], hold, Duration::ZERO)
}

fn live_config(ws: SocketAddr, http: SocketAddr, max_failures: u32) -> LiveConfig {
    common::loopback::binance_config(ws, http, max_failures)
}

fn live_feed(cfg: LiveConfig) -> Feed {
    let (tick, lot) = steps();
    Feed {
        tape: std::sync::Arc::new(Tape::from_bytes(Vec::new())),
        venue: VenueId::new(0),
        book: BookId::new(0),
        format: Format::BinanceUsdm,
        tick,
        lot,
        levels_per_side: 16_384,
        max_update_levels: 4_096,
        live: Some(cfg),
    }
}

fn venue() -> SimExchange {
    let book = SimVenue::new(16_384, 4_096);
    SimExchange::new(vec![book], Latency::Fixed { ns: 0 }, FaultPlan::NONE, 1)
}

/// Runs the runtime on `feed` with one simulated venue and no jobs: the client ends
/// after its failure limit, its thread sends the end marker, the run ends.
fn run_live(feed: Feed) -> legcore::runtime::RunReport<SimExchange> {
    let risk = common::risk::wide_open(1);
    let config = Config {
        md_ring: 256,
        command_ring: 256,
        ..Config::default()
    };
    run_with_feeds(&config, vec![venue()], risk, vec![feed], Vec::new()).unwrap()
}

fn assert_books_equal_the_replay(report: &mut legcore::runtime::RunReport<SimExchange>) {
    let want = replay_end();
    assert!(want.len() > 1_000);
    let (loop_book, live) = &report.books[0];
    assert!(live, "the loop's book is not live at the end");
    assert_eq!(levels(loop_book), want, "the loop's book");
    let venue_book = report.gateways[0].book_ladder(BookId::new(0)).unwrap();
    assert_eq!(levels(venue_book), want, "the simulated venue's book");
}

#[test]
fn the_loop_and_the_venue_follow_a_live_feed_to_the_replays_book() {
    let (snap, stream) = capture();
    let n = stream.len() as u64;
    let (ws, http) = serve(vec![stream], snap, Duration::from_millis(200));
    let mut report = run_live(live_feed(live_config(ws, http, 1)));
    assert_books_equal_the_replay(&mut report);
    let s = &report.live[0];
    assert_eq!(
        (s.health.connects, s.health.snapshots, s.health.gaps),
        (1, 1, 0)
    );
    assert_eq!(s.health.frames, n);
    // Every frame and the snapshot reached the loop, and nothing was refused there.
    assert_eq!(s.pushed, n + 1);
    assert_eq!(report.md_lines, n + 1);
    assert_eq!(report.md_refused[0], s.health.refused);
    assert_eq!(report.md_resets, 0);
    // Buffers went round: no more were made than the rings can hold at once.
    assert!(s.allocated <= 256 + 256 + 4, "{} buffers", s.allocated);
    assert!(
        s.allocated < n / 10,
        "{} buffers for {n} lines",
        s.allocated
    );
}

#[test]
fn a_reconnect_starts_the_loop_and_venue_books_over_with_the_client() {
    let (snap, stream) = capture();
    // The first connection breaks off a third of the way; the second sends everything.
    let first: Vec<Vec<u8>> = stream[..stream.len() / 3].to_vec();
    let (ws, http) = serve(vec![first, stream], snap, Duration::from_millis(200));
    let mut report = run_live(live_feed(live_config(ws, http, 2)));
    assert_books_equal_the_replay(&mut report);
    let s = &report.live[0];
    assert_eq!(
        (s.health.connects, s.health.snapshots),
        (2, 2),
        "{:?}",
        s.health
    );
    assert_eq!((s.resets, report.md_resets), (1, 1));
}

/// The shipped paper scenario pointed at the loopback servers.
fn paper_scenario(dir: &std::path::Path, ws: SocketAddr, http: SocketAddr) -> std::path::PathBuf {
    let text = common::scenario_text("paper_binance.toml")
        .replace(
            "wss://fstream.binance.com/ws/btcusdt@depth@100ms",
            &format!("ws://{ws}/ws/btcusdt@depth@0ms"),
        )
        .replace("https://fapi.binance.com", &format!("http://{http}"));
    assert!(text.contains(&format!("ws://{ws}")) && text.contains(&format!("http://{http}")));
    let path = dir.join("paper.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// What every paper run must show: the whole stream on one connection, in the report.
fn assert_live_report(report: &serde_json::Value, frames: u64) {
    let live = &report["runtime"]["live"][0];
    assert_eq!(live["connects"], 1, "{live}");
    assert_eq!(live["snapshots"], 1, "{live}");
    assert_eq!(live["gaps"], 0, "{live}");
    assert_eq!(live["frames"], frames, "{live}");
    assert_eq!(report["runtime"]["md_lines"], frames + 1);
}

/// The capture's first 20,000 stream frames: a debug build takes them in about a second.
fn short_capture() -> (Vec<u8>, Vec<Vec<u8>>) {
    let (snap, mut stream) = capture();
    stream.truncate(20_000);
    (snap, stream)
}

#[test]
fn legcore_run_trades_on_a_live_book_until_its_duration() {
    let (snap, stream) = short_capture();
    let n = stream.len() as u64;
    // 20,000 frames over about 3 s: the strategy decides on each, for its holds to pass.
    let pause = Duration::from_millis(15);
    let (ws, http) =
        common::loopback::binance_replay(vec![stream], vec![snap], Duration::from_secs(60), pause);
    let dir = common::tmp("paper-duration");
    let scenario = paper_scenario(&dir, ws, http);
    let (report, journal) = (dir.join("r.json"), dir.join("j"));
    let t0 = std::time::Instant::now();
    let out = common::legcore(&[
        "run",
        "--quiet",
        "--scenario",
        scenario.to_str().unwrap(),
        "--duration",
        "6s",
        "--report",
        report.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
    ]);
    let took = t0.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        took >= Duration::from_secs(6) && took < Duration::from_secs(30),
        "{took:?}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    assert_live_report(&report, n);
    // Three round trips on the live book: six groups, every one filled and flat.
    let groups = report["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 6, "{groups:?}");
    assert!(
        groups.iter().all(|g| g["outcome"] == "filled"),
        "{groups:?}"
    );
    assert_eq!(report["venues"][0]["position"], "0.000");
    assert_eq!(report["venues"][0]["traded"], "0.096");
    // The journal was flushed: `legcore stats` reads the same statistics from it.
    let stats = common::legcore(&["stats", "--json", "--journal", journal.to_str().unwrap()]);
    assert_eq!(stats.status.code(), Some(0));
    let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    assert_eq!(stats, report["stats"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn ctrl_c_ends_a_live_run_cleanly_with_its_report() {
    let (snap, stream) = short_capture();
    let n = stream.len() as u64;
    let (ws, http) = serve(vec![stream], snap, Duration::from_secs(60));
    let dir = common::tmp("paper-ctrl-c");
    let scenario = paper_scenario(&dir, ws, http);
    let report = dir.join("r.json");
    let mut child = std::process::Command::new(common::BIN)
        .args(["run", "--quiet", "--scenario", scenario.to_str().unwrap()])
        .args(["--report", report.to_str().unwrap()])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let t0 = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t0.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("the run did not end within 20 s of Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    assert_live_report(&report, n);
    let _ = std::fs::remove_dir_all(dir);
}

/// A one-level book's frames: the first diff deletes the only bid (the snapshot's window
/// runs out on that side), the next one comes after, the last one straddles the fresh
/// snapshot. Snapshots: the first, then the fresh one the refresh gets.
fn window_frames() -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let diff = |first: u64, last: u64, prev: u64, b: &str, a: &str| {
        format!(
            "{{\"e\":\"depthUpdate\",\"E\":1,\"T\":1,\"s\":\"BTCUSDT\",\"U\":{first},\
             \"u\":{last},\"pu\":{prev},\"b\":[{b}],\"a\":[{a}]}}"
        )
        .into_bytes()
    };
    let frames = vec![
        diff(9, 11, 8, "[\"100.0\",\"0\"]", ""),
        diff(12, 12, 11, "", "[\"101.0\",\"2.000\"]"),
        diff(13, 14, 12, "[\"99.0\",\"1.500\"]", "[\"101.0\",\"3.000\"]"),
    ];
    let snap = |id: u64, bid: &str, ask: &str| {
        format!("{{\"lastUpdateId\":{id},\"E\":1,\"T\":1,\"bids\":[{bid}],\"asks\":[{ask}]}}")
            .into_bytes()
    };
    let snaps = vec![
        snap(10, "[\"100.0\",\"1.000\"]", "[\"101.0\",\"1.000\"]"),
        snap(13, "[\"99.0\",\"2.000\"]", "[\"101.0\",\"2.000\"]"),
    ];
    (frames, snaps)
}

#[test]
fn a_book_out_of_its_snapshot_window_refreshes_and_the_loop_follows() {
    let (frames, snaps) = window_frames();
    // Held past the fetch spacing: the refresh's fetch waits SNAPSHOT_MIN_NS after the
    // first one.
    let (ws, http) = common::loopback::binance_replay(
        vec![frames],
        snaps,
        Duration::from_secs(2),
        Duration::ZERO,
    );
    let mut report = run_live(live_feed(live_config(ws, http, 1)));
    let s = &report.live[0];
    let h = &s.health;
    assert_eq!(
        (h.refreshes, h.snapshots, h.gaps, h.resyncs),
        (1, 2, 0, 0),
        "{h:?}"
    );
    assert_eq!((s.resets, report.md_resets), (1, 1));
    let lv = |price_ticks, qty_lots| Level {
        price_ticks,
        qty_lots,
    };
    // The fresh snapshot, then the diff that straddles it.
    let want = vec![lv(990, 1_500), lv(1_010, 3_000)];
    let (book, live) = &report.books[0];
    assert!(live);
    assert_eq!(levels(book), want, "the loop's book");
    let venue_book = report.gateways[0].book_ladder(BookId::new(0)).unwrap();
    assert_eq!(levels(venue_book), want, "the venue's book");
}

#[test]
fn a_snapshot_older_than_the_stream_is_fetched_again_no_faster_than_the_spacing() {
    use legcore::runtime::live::client::{run_client, LineSink, SNAPSHOT_MIN_NS};
    struct Count(u64);
    impl LineSink for Count {
        fn on_line(
            &mut self,
            _: &[u8],
            _: &Ladder,
            _: bool,
            _: &legcore::runtime::live::Health,
        ) -> bool {
            self.0 += 1;
            true
        }
    }
    // Frames from far into the capture: its snapshot is older than every one of them,
    // so each fetch fails to sync and the client asks again. The server holds the
    // connection open for 3 s after the frames, then drops it (the client stops).
    let (snap, stream) = capture();
    let frames: Vec<Vec<u8>> = stream[20_000..23_000].to_vec();
    let (ws, http) = serve(vec![frames], snap, Duration::from_secs(3));
    let t0 = std::time::Instant::now();
    let mut book = Ladder::new(16_384, 4_096);
    let health = run_client(&live_config(ws, http, 1), &mut book, &mut Count(0));
    let took = t0.elapsed().as_nanos() as u64;
    // Each frame buffered while no snapshot syncs asks for one: spaced, the client reads
    // about two frames a second and the rest wait in the socket.
    assert!(health.frames >= 3, "{health:?}");
    assert!(health.snapshots >= 3, "it asked again: {health:?}");
    let most = 2 + took / SNAPSHOT_MIN_NS;
    assert!(
        health.snapshots <= most,
        "{} fetches in {took} ns",
        health.snapshots
    );
}
