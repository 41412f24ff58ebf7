//! The live Binance client (`runtime::live::client`) against loopback servers: a
//! WebSocket server replaying a shipped capture's stream lines byte for byte at full
//! speed, and an HTTP server answering the snapshot request with the capture's recorded
//! snapshot. The production client runs with only its URLs changed.
//!
//! Compared: after every stream line from the one after the file's snapshot on, the
//! book's (seq, best bid, best ask, levels per side) after the live path equals the file
//! replay's after the same line; at the end, every level of both sides.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use legcore::book::{Ladder, Level, Side};
use legcore::feed::{BookFeed, Format};
use legcore::num::Step;
use legcore::runtime::live::client::{run_client, LineSink, LiveConfig};
use legcore::runtime::live::Health;

use common::loopback::USDM;

/// Stream lines compared: the capture's book runs out of its snapshot's window at stream
/// line 49 306 (its bid side empties as the price walks below the snapshot's last bid),
/// where a live client fetches a fresh snapshot and a file replay cannot (the refresh is
/// tested in `paper_live.rs`).
const WITHIN_WINDOW: usize = 45_000;

type Print = (u64, Option<Level>, Option<Level>, usize, usize);

fn print(l: &Ladder) -> Print {
    let (b, a) = (l.len(Side::Bid), l.len(Side::Ask));
    (l.seq(), l.best_bid(), l.best_ask(), b, a)
}

fn all_levels(l: &Ladder) -> Vec<Level> {
    l.levels(Side::Bid).chain(l.levels(Side::Ask)).collect()
}

/// The capture's JSON parts: the snapshot, and its first stream lines in order.
fn capture(path: &str) -> (Vec<u8>, Vec<Vec<u8>>) {
    assert_eq!(path, USDM);
    common::loopback::usdm_capture(WITHIN_WINDOW)
}

fn steps() -> (Step, Step) {
    (Step::parse("0.10").unwrap(), Step::parse("0.001").unwrap())
}

/// The file replay: the print after each stream line (None while not live), and the end.
fn file_replay(path: &str) -> (Vec<Option<Print>>, Vec<Level>) {
    let tape = legcore::feed::Tape::from_gz_file(path).unwrap();
    let (tick, lot) = steps();
    let mut feed = BookFeed::new(Format::BinanceUsdm, tick, lot);
    let mut book = Ladder::new(16_384, 4_096);
    let mut prints = Vec::new();
    for i in 0..tape.len() {
        let line = tape.line(i);
        let live = feed.on_line(&mut book, line);
        if !line.windows(15).any(|w| w == b"{\"lastUpdateId\"") {
            prints.push(live.then(|| print(&book)));
            if prints.len() == WITHIN_WINDOW {
                break;
            }
        }
    }
    (prints, all_levels(&book))
}

/// Servers on 127.0.0.1: WebSocket (each accepted connection gets `frames`, then an
/// abnormal close by dropping the socket) and HTTP (the snapshot). Returns the addresses.
fn serve(frames: Vec<Vec<u8>>, snap: Vec<u8>, connections: usize) -> (SocketAddr, SocketAddr) {
    serve_with(vec![frames; connections], vec![snap])
}

fn serve_snapshots(frames: Vec<Vec<u8>>, snaps: Vec<Vec<u8>>) -> (SocketAddr, SocketAddr) {
    serve_with(vec![frames], snaps)
}

/// Connection k gets `conns[k]`; HTTP request k gets `snaps[k]` (the last one after).
fn serve_with(conns: Vec<Vec<Vec<u8>>>, snaps: Vec<Vec<u8>>) -> (SocketAddr, SocketAddr) {
    let hold = Duration::from_millis(300);
    common::loopback::binance_replay(conns, snaps, hold, Duration::ZERO)
}

fn config(ws: SocketAddr, http: SocketAddr) -> LiveConfig {
    common::loopback::binance_config(ws, http, 3)
}

/// Records the print after each stream line; stops after `stop_after` of them.
struct Record {
    prints: Vec<Option<Print>>,
    stop_after: usize,
    end: Vec<Level>,
}

impl LineSink for Record {
    fn on_line(&mut self, line: &[u8], book: &Ladder, live: bool, _: &Health) -> bool {
        if !line.windows(15).any(|w| w == b"{\"lastUpdateId\"") {
            self.prints.push(live.then(|| print(book)));
        }
        if self.prints.len() == self.stop_after {
            self.end = all_levels(book);
            return false;
        }
        true
    }
}

#[test]
fn live_books_equal_the_file_replay_line_for_line() {
    let (want, want_end) = file_replay(USDM);
    let first_live = want.iter().position(Option::is_some).unwrap();
    let (snap, stream) = capture(USDM);
    assert_eq!(stream.len(), want.len());
    let (ws, http) = serve(stream, snap, 1);
    let cfg = config(ws, http);
    let mut book = Ladder::new(16_384, 4_096);
    let mut rec = Record {
        prints: Vec::new(),
        stop_after: want.len(),
        end: Vec::new(),
    };
    let health = run_client(&cfg, &mut book, &mut rec);
    assert_eq!(rec.prints.len(), want.len(), "{health:?}");
    for (i, (got, want)) in rec.prints.iter().zip(&want).enumerate().skip(first_live) {
        assert!(want.is_some(), "file replay not live at {i}");
        assert_eq!(got, want, "stream line {i}");
    }
    assert_eq!(rec.end, want_end);
    assert!(want_end.len() > 1_000);
    assert_eq!((health.connects, health.snapshots, health.gaps), (1, 1, 0));
    assert_eq!(health.frames as usize, want.len());
}

/// A REST snapshot (`lastUpdateId` = the book's seq) of `book` at tick 0.1, lot 0.001.
fn snapshot_of(book: &Ladder) -> Vec<u8> {
    let side = |s| {
        let lv: Vec<String> = book
            .levels(s)
            .map(|l: Level| {
                let (p, q) = (l.price_ticks, l.qty_lots);
                format!(
                    "[\"{}.{}\",\"{}.{:03}\"]",
                    p / 10,
                    p % 10,
                    q / 1000,
                    q % 1000
                )
            })
            .collect();
        lv.join(",")
    };
    let json = format!(
        "{{\"lastUpdateId\":{},\"E\":1,\"T\":1,\"bids\":[{}],\"asks\":[{}]}}",
        book.seq(),
        side(Side::Bid),
        side(Side::Ask)
    );
    json.into_bytes()
}

#[test]
fn a_dropped_frame_is_a_gap_then_stale_until_a_resync_makes_it_live() {
    let (want, want_end) = file_replay(USDM);
    let first_live = want.iter().position(Option::is_some).unwrap();
    let (snap, mut stream) = capture(USDM);
    let depth = |from: usize| {
        let is_diff = |l: &Vec<u8>| l.windows(17).any(|w| w == b"\"e\":\"depthUpdate\"");
        from + stream[from..].iter().position(is_diff).unwrap()
    };
    // Stream indices (before the drop) of the dropped diff and the resync's diff.
    let dropped = depth(first_live + 200);
    let back = depth(dropped + 50);
    let gap_line = depth(dropped + 1);
    // The resync's snapshot: the file replay's book after stream line `back`.
    let tape = legcore::feed::Tape::from_gz_file(USDM).unwrap();
    let (tick, lot) = steps();
    let mut feed = BookFeed::new(Format::BinanceUsdm, tick, lot);
    let mut book = Ladder::new(16_384, 4_096);
    let mut seen = 0;
    for i in 0..tape.len() {
        feed.on_line(&mut book, tape.line(i));
        if !tape.line(i).windows(15).any(|w| w == b"{\"lastUpdateId\"") {
            seen += 1;
            if seen == back + 1 {
                break;
            }
        }
    }
    let later = snapshot_of(&book);
    stream.remove(dropped);
    let n = stream.len();
    let (ws, http) = serve_snapshots(stream, vec![snap, later]);
    let mut live = Ladder::new(16_384, 4_096);
    let mut rec = Record {
        prints: Vec::new(),
        stop_after: n,
        end: Vec::new(),
    };
    let health = run_client(&config(ws, http), &mut live, &mut rec);
    // Live line i is file line i before the drop, i + 1 after it.
    let at = |i: usize| if i < dropped { i } else { i + 1 };
    assert!(rec.prints[dropped - 1].is_some());
    // The gap shows at the next diff (book tickers and trades between pass over).
    let gap = gap_line - 1;
    for i in gap..back - 1 {
        assert_eq!(rec.prints[i], None, "stale at live line {i}");
    }
    for i in back - 1..n {
        assert_eq!(rec.prints[i], want[at(i)], "live line {i}");
    }
    assert_eq!(rec.end, want_end);
    assert_eq!((health.gaps, health.resyncs, health.snapshots), (1, 1, 2));
}

/// Counts lines; never stops the client.
struct Count(u64);

impl LineSink for Count {
    fn on_line(&mut self, _: &[u8], _: &Ladder, _: bool, _: &Health) -> bool {
        self.0 += 1;
        true
    }
}

#[test]
fn abnormal_close_then_refused_reconnects_give_up_within_the_backoff_bound() {
    let (snap, stream) = capture(USDM);
    let frames: Vec<Vec<u8>> = stream.into_iter().take(100).collect();
    let (ws, http) = serve(frames, snap, 1);
    let cfg = config(ws, http);
    let t0 = std::time::Instant::now();
    let mut book = Ladder::new(16_384, 4_096);
    let mut count = Count(0);
    let health = run_client(&cfg, &mut book, &mut count);
    let took = t0.elapsed();
    // One session, closed without a close frame, then two refused connects: 3 in a row.
    assert_eq!((health.connects, health.failures), (1, 3), "{health:?}");
    assert!(!health.connected);
    assert_eq!(health.frames, 100);
    // Backoff: at most 5 ms + 10 ms of sleep (jitter only shortens), far under a second.
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[test]
fn malformed_frames_are_refused_and_an_oversized_one_resets_the_connection() {
    let (snap, stream) = capture(USDM);
    let mut first: Vec<Vec<u8>> = stream.iter().take(100).cloned().collect();
    first.insert(70, b"{\"e\":\"depthUpdate\",\"U\":".to_vec());
    first.insert(80, b"not json at all".to_vec());
    first.insert(90, vec![b'x'; (1 << 20) + 1]);
    let second: Vec<Vec<u8>> = stream.into_iter().take(10).collect();
    let (ws, http) = serve_with(vec![first, second], vec![snap]);
    let mut book = Ladder::new(16_384, 4_096);
    let mut count = Count(0);
    let health = run_client(&config(ws, http), &mut book, &mut count);
    // Both malformed lines refused by the book, the connection kept until the oversized
    // frame: a typed error, then a reconnect that got the second connection's frames.
    assert!(health.refused >= 2, "{health:?}");
    assert_eq!(health.connects, 2, "{health:?}");
    assert_eq!(health.frames, 90 + 10, "{health:?}");
}

#[test]
fn the_stop_flag_ends_a_client_stuck_on_a_silent_server() {
    // A listener that accepts and never answers the WebSocket handshake.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let mut cfg = config(addr, addr);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    cfg.stop = Some(stop.clone());
    cfg.max_failures = None;
    let setter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let t0 = std::time::Instant::now();
    let health = run_client(&cfg, &mut Ladder::new(16, 16), &mut Count(0));
    setter.join().unwrap();
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    assert_eq!((health.connects, health.frames), (0, 0), "{health:?}");
    assert!(!health.connected);
    drop(silent);
}
