//! The live client (`runtime::live::client`) on Bybit, Hyperliquid and OKX streams, against
//! a loopback WebSocket server that speaks each venue's subscription protocol and replays
//! the shipped real capture's book messages byte for byte: the production client with only
//! its URL changed.
//!
//! Checked per venue: the subscribe message is the venue's; the subscription ack and the
//! replies to the venue's application ping are counted as control frames, not fed to the
//! book; after every book message the live book equals the file replay's (seq, best bid,
//! best ask, depth) and at the end every level. Bybit and OKX also with a frame dropped: the
//! sequence gap makes the book stale (every line after it reports not live), the client
//! unsubscribes and subscribes again, the server answers with a fresh snapshot, and the
//! book is equal to the file replay's again.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use legcore::book::{Ladder, Level, Side};
use legcore::feed::okx::InstId;
use legcore::feed::{BookFeed, Format, Tape};
use legcore::num::Step;
use legcore::runtime::live::client::{run_client, LineSink, LiveConfig};
use legcore::runtime::live::Health;
use tokio_tungstenite::tungstenite::Message;

/// One venue's capture and protocol, as the test server speaks it.
struct Venue {
    capture: &'static str,
    format: Format,
    tick: &'static str,
    lot: &'static str,
    symbol: &'static str,
    subscribe: &'static str,
    ack: &'static str,
    ping: &'static str,
    pong: &'static str,
    /// The capture's messages the subscription delivers.
    book_line: &'static str,
}

fn bybit() -> Venue {
    Venue {
        capture: "data/market/bybit/2024-12-01_XRPUSDT_ob500.data.jsonl",
        format: Format::BybitOrderbook500,
        tick: "0.0001",
        lot: "1",
        symbol: "XRPUSDT",
        subscribe: r#"{"op":"subscribe","args":["orderbook.500.XRPUSDT"]}"#,
        ack: r#"{"success":true,"ret_msg":"","conn_id":"t1","req_id":"","op":"subscribe"}"#,
        ping: r#"{"op":"ping"}"#,
        pong: r#"{"success":true,"ret_msg":"pong","conn_id":"t1","req_id":"","op":"ping"}"#,
        book_line: r#""topic":"orderbook.500.XRPUSDT""#,
    }
}

fn hyperliquid() -> Venue {
    Venue {
        capture: "data/market/hyperliquid/btc_20250126.raw.gz",
        format: Format::HyperliquidL2Book,
        tick: "1",
        lot: "0.00001",
        symbol: "BTC",
        subscribe: r#"{"method":"subscribe","subscription":{"type":"l2Book","coin":"BTC"}}"#,
        ack: r#"{"channel":"subscriptionResponse","data":{"method":"subscribe","subscription":{"type":"l2Book","coin":"BTC"}}}"#,
        ping: r#"{"method":"ping"}"#,
        pong: r#"{"channel":"pong"}"#,
        book_line: r#"{"channel":"l2Book""#,
    }
}

fn okx() -> Venue {
    Venue {
        capture: "data/market/okx/cryptofeed_OKX.ws.1.0.txt.gz",
        format: Format::OkxBooks(InstId::new("BTC-USDT").unwrap()),
        tick: "0.1",
        lot: "0.00000001",
        symbol: "BTC-USDT",
        subscribe: r#"{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}"#,
        ack: r#"{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"t1"}"#,
        ping: "ping",
        pong: "pong",
        book_line: r#"{"arg":{"channel":"books","instId":"BTC-USDT"}"#,
    }
}

type Print = (u64, Option<Level>, Option<Level>, usize, usize);

fn print(l: &Ladder) -> Print {
    (
        l.seq(),
        l.best_bid(),
        l.best_ask(),
        l.len(Side::Bid),
        l.len(Side::Ask),
    )
}

fn all_levels(l: &Ladder) -> Vec<Level> {
    l.levels(Side::Bid).chain(l.levels(Side::Ask)).collect()
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn steps(v: &Venue) -> (Step, Step) {
    (Step::parse(v.tick).unwrap(), Step::parse(v.lot).unwrap())
}

/// The file replay (`BookFeed` over the capture as `legcore run` reads it): the print after
/// each of the subscription's messages (`None` while not live), their JSON (what the server
/// sends), and the final levels.
fn file_replay(v: &Venue) -> (Vec<Option<Print>>, Vec<String>, Vec<Level>) {
    let tape = Tape::load(v.capture, v.format).unwrap();
    let (tick, lot) = steps(v);
    let mut feed = BookFeed::new(v.format, tick, lot);
    let mut book = Ladder::new(4_096, 4_096);
    let (mut prints, mut frames) = (Vec::new(), Vec::new());
    for i in 0..tape.len() {
        let line = tape.line(i);
        let live = feed.on_line(&mut book, line);
        if contains(line, v.book_line) {
            prints.push(live.then(|| print(&book)));
            let json = &line[line.iter().position(|&b| b == b'{').unwrap()..];
            frames.push(String::from_utf8(json.to_vec()).unwrap());
        }
    }
    assert!(
        prints.iter().flatten().count() > 10,
        "{}: too few",
        v.capture
    );
    (prints, frames, all_levels(&book))
}

/// What the server saw from the client.
#[derive(Default)]
struct Seen {
    texts: Vec<String>,
}

/// A server on 127.0.0.1 for one connection: it waits for the subscribe message, sends
/// the venue's ack and `frames` (without frame `drop`, if any), then for a while answers
/// the venue's pings and sends every frame again on each new subscription; then it drops
/// the connection and its listener (later connects are refused).
fn serve(v: &Venue, frames: Vec<String>, drop: Option<usize>) -> (SocketAddr, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let (seen2, subscribe) = (seen.clone(), v.subscribe.to_owned());
    let (ack, ping, pong) = (v.ack.to_owned(), v.ping.to_owned(), v.pong.to_owned());
    let addr = common::loopback::serve(move |listener| async move {
        let (s, _) = listener.accept().await.unwrap();
        let mut w = tokio_tungstenite::accept_async(s).await.unwrap();
        let mut pass = 0usize;
        let end = Instant::now() + Duration::from_secs(20);
        let mut quiet_until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end.min(quiet_until) {
            let wait = quiet_until.saturating_duration_since(Instant::now());
            let Ok(Some(Ok(Message::Text(t)))) = tokio::time::timeout(wait, w.next()).await else {
                break;
            };
            seen2.lock().unwrap().texts.push(t.clone());
            if t == ping {
                w.send(Message::Text(pong.clone())).await.unwrap();
            } else if t == subscribe {
                if pass == 0 {
                    w.send(Message::Text(ack.clone())).await.unwrap();
                }
                for (k, f) in frames.iter().enumerate() {
                    if pass == 0 && Some(k) == drop {
                        continue;
                    }
                    w.send(Message::Text(f.clone())).await.unwrap();
                }
                pass += 1;
                quiet_until = Instant::now() + Duration::from_millis(400);
            }
        }
        // Dropped without a close frame: an abnormal close; the listener goes too.
    });
    (addr, seen)
}

fn config(v: &Venue, addr: SocketAddr) -> LiveConfig {
    let (tick, lot) = steps(v);
    LiveConfig {
        max_frame: 1 << 20,
        backoff_min: Duration::from_millis(5),
        backoff_max: Duration::from_millis(40),
        max_failures: Some(3),
        ping_every: Duration::from_millis(30),
        ..LiveConfig::new(&format!("ws://{addr}/ws"), v.symbol, v.format, tick, lot)
    }
}

/// Every line's print, and the book at the end of the first connection.
#[derive(Default)]
struct Record {
    prints: Vec<Option<Print>>,
    end: Vec<Level>,
}

impl LineSink for Record {
    fn on_line(&mut self, _: &[u8], book: &Ladder, live: bool, _: &Health) -> bool {
        self.prints.push(live.then(|| print(book)));
        self.end = all_levels(book);
        true
    }
}

/// Runs the client against the server until the server is gone.
fn run(v: &Venue, drop: Option<usize>) -> (Record, Health, Vec<String>) {
    let (want, frames, _) = file_replay(v);
    assert_eq!(want.len(), frames.len());
    let (addr, seen) = serve(v, frames, drop);
    let mut book = Ladder::new(4_096, 4_096);
    let mut rec = Record::default();
    let health = run_client(&config(v, addr), &mut book, &mut rec);
    let texts = seen.lock().unwrap().texts.clone();
    (rec, health, texts)
}

fn books_equal_the_file_replay(v: Venue) {
    let (want, _, want_end) = file_replay(&v);
    let (rec, health, texts) = run(&v, None);
    assert_eq!(
        texts.first().map(String::as_str),
        Some(v.subscribe),
        "subscribe"
    );
    assert_eq!(rec.prints.len(), want.len(), "{health:?}");
    for (k, (got, exp)) in rec.prints.iter().zip(&want).enumerate() {
        assert_eq!(got, exp, "{}: message {k}", v.symbol);
    }
    assert_eq!(rec.end, want_end);
    assert_eq!((health.gaps, health.resyncs, health.refused), (0, 0, 0));
    // The ack and at least one pong: counted, never given to the book.
    let pings = texts.iter().filter(|t| *t == v.ping).count();
    assert!(pings >= 1, "the venue's ping was never sent: {texts:?}");
    assert!(health.control >= 2, "{health:?}");
    assert_eq!(health.frames, health.control + want.len() as u64);
}

#[test]
fn bybit_books_equal_the_file_replay_message_for_message() {
    books_equal_the_file_replay(bybit());
}

#[test]
fn hyperliquid_books_equal_the_file_replay_message_for_message() {
    books_equal_the_file_replay(hyperliquid());
}

#[test]
fn okx_books_equal_the_file_replay_message_for_message() {
    books_equal_the_file_replay(okx());
}

/// Frame `k` of the first pass is dropped: everything after it is stale until the fresh
/// snapshot of the second subscription, and the book then follows the file replay again.
fn a_dropped_frame_resubscribes(v: Venue, k: usize) {
    let (want, _, want_end) = file_replay(&v);
    assert!(want[k - 1].is_some(), "live before the dropped frame");
    let (rec, health, texts) = run(&v, Some(k));
    let n = want.len();
    assert_eq!(rec.prints.len(), 2 * n - 1, "{health:?}");
    assert_eq!(rec.prints[..k], want[..k]);
    assert!(
        rec.prints[k..n - 1].iter().all(Option::is_none),
        "stale after the gap until the fresh snapshot"
    );
    assert_eq!(
        rec.prints[n - 1..],
        want[..],
        "the second pass follows the replay"
    );
    assert_eq!(rec.end, want_end);
    assert_eq!((health.gaps, health.resyncs), (1, 1), "{health:?}");
    let subs: Vec<&String> = texts.iter().filter(|t| !t.contains("ping")).collect();
    let unsub = v.subscribe.replace("\"subscribe\"", "\"unsubscribe\"");
    assert_eq!(subs, [v.subscribe, unsub.as_str(), v.subscribe]);
}

#[test]
fn bybit_gap_resubscribes_for_a_fresh_snapshot() {
    a_dropped_frame_resubscribes(bybit(), 20);
}

#[test]
fn okx_gap_resubscribes_for_a_fresh_snapshot() {
    a_dropped_frame_resubscribes(okx(), 30);
}

/// `legcore run` paper-trades on a live Bybit book: the scenario's venue with
/// `source = "live"` and the loopback server's URL instead of the recorded feed.
#[test]
fn legcore_run_paper_trades_on_a_live_bybit_book() {
    let v = bybit();
    let (want, frames, _) = file_replay(&v);
    let (addr, seen) = serve(&v, frames, None);
    let feed = "feed = \"../data/market/bybit/2024-12-01_XRPUSDT_ob500.data.jsonl\"";
    let text = common::scenario_text("bybit_xrp_roundtrip.toml");
    assert!(text.contains(feed));
    let live = format!("source = \"live\"\nurl = \"ws://{addr}/v5/public/linear\"");
    let dir = common::tmp("paper-bybit");
    let scenario = dir.join("paper.toml");
    std::fs::write(&scenario, text.replacen(feed, &live, 1)).unwrap();
    let report = dir.join("report.json");
    let out = common::legcore(&[
        "run",
        "--quiet",
        "--scenario",
        scenario.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--duration",
        "3",
    ]);
    assert!(
        out.status.code().is_some_and(|c| c == 0 || c == 3),
        "{out:?}"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    let live = &doc["runtime"]["live"][0];
    assert_eq!(live["lines"], want.len() as u64, "{live}");
    assert!(live["control"].as_u64().unwrap() >= 1, "{live}");
    assert_eq!(live["refused"], 0, "{live}");
    assert_eq!(seen.lock().unwrap().texts[0], v.subscribe);
    assert!(
        !doc["groups"].as_array().unwrap().is_empty(),
        "the strategy traded"
    );
}
