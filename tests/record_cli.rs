//! `legcore record` against a loopback Binance replay (the recorded USD-M capture's stream
//! at full speed and its REST snapshot), then the recording replayed.
//!
//! Checked: the recording holds every stream line byte for byte, in order, with the REST
//! snapshot in place (after the first diff, where the client fetched it); rotated parts
//! each start with the book written as a snapshot (then the diff that made it) and replay
//! alone to the original's book at the same point; `legcore run` on the recording gives
//! the same groups and fills as on the original lines at the same seed and times; bad
//! flags exit 2 naming the flag.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use legcore::book::{Ladder, Level, Side};
use legcore::feed::binance::split_line;
use legcore::feed::{BookFeed, Format, Tape};
use legcore::num::Step;

const USDM: &str = "data/market/binance/usdm_btcusdt_20240808.raw.gz";
/// Stream lines served: well inside the snapshot's window.
const LINES: usize = 12_000;

fn is_snapshot(json: &[u8]) -> bool {
    json.starts_with(b"{\"lastUpdateId\"")
}

/// The capture's REST snapshot and its first `LINES` stream lines, JSON only.
fn capture() -> (Vec<u8>, Vec<Vec<u8>>) {
    let tape = Tape::from_gz_file(USDM).unwrap();
    let jsons = (0..tape.len()).filter_map(|i| split_line(tape.line(i)).map(|(_, j)| j));
    let (snaps, stream): (Vec<&[u8]>, Vec<&[u8]>) = jsons.partition(|j| is_snapshot(j));
    let stream = stream.into_iter().take(LINES).map(<[u8]>::to_vec).collect();
    (snaps[0].to_vec(), stream)
}

fn paper_scenario(dir: &Path, ws: SocketAddr, http: SocketAddr) -> PathBuf {
    let text = common::scenario_text("paper_binance.toml")
        .replace(
            "wss://fstream.binance.com/ws/btcusdt@depth@100ms",
            &format!("ws://{ws}/ws/btcusdt@depth@0ms"),
        )
        .replace("https://fapi.binance.com", &format!("http://{http}"));
    let path = dir.join("paper.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The paper scenario as a replay of `feed`.
fn replay_scenario(dir: &Path, name: &str, feed: &Path) -> PathBuf {
    let text: String = common::scenario_text("paper_binance.toml")
        .lines()
        .filter(|l| {
            !["source", "url", "snapshot_url"]
                .iter()
                .any(|k| l.starts_with(k))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let feed_line = format!("feed = \"{}\"\nformat =", feed.display());
    let path = dir.join(name);
    std::fs::write(&path, text.replacen("format =", &feed_line, 1)).unwrap();
    path
}

/// The recording's parts, in order, each as its lines `(ns, json)`.
fn parts(out: &Path) -> Vec<Vec<(u64, Vec<u8>)>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let read = |f: &PathBuf| {
        let tape = Tape::from_gz_file(f).unwrap();
        let line = |i| {
            split_line(tape.line(i))
                .map(|(ns, j)| (ns, j.to_vec()))
                .unwrap()
        };
        (0..tape.len()).map(line).collect()
    };
    files.iter().map(read).collect()
}

fn levels(l: &Ladder) -> Vec<Level> {
    l.levels(Side::Bid).chain(l.levels(Side::Ask)).collect()
}

/// The book after feeding `lines` (`<ns> <json>`) to a fresh USD-M feed; whether live.
fn replay(lines: &[(u64, Vec<u8>)]) -> (Vec<Level>, bool) {
    let (tick, lot) = (Step::parse("0.10").unwrap(), Step::parse("0.001").unwrap());
    let mut feed = BookFeed::new(Format::BinanceUsdm, tick, lot);
    let mut book = Ladder::new(16_384, 4_096);
    let mut live = false;
    for (ns, json) in lines {
        let mut line = format!("{ns} ").into_bytes();
        line.extend_from_slice(json);
        live = feed.on_line(&mut book, &line);
    }
    (levels(&book), live)
}

fn write_gz(path: &Path, lines: &[(u64, Vec<u8>)]) {
    use std::io::Write as _;
    let f = std::fs::File::create(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
    for (ns, json) in lines {
        write!(gz, "{ns} ").unwrap();
        gz.write_all(json).unwrap();
        gz.write_all(b"\n").unwrap();
    }
    gz.finish().unwrap();
}

/// Groups and fills of a report: per group its outcome and each leg's side and filled
/// quantity. Not the fill prices: at `--speed max` the feeder thread feeds the venue's
/// book while an order is in flight (its latency is real time), so how far the book
/// moved before the order arrives depends on the machine's load, in either run.
fn fills(report: &serde_json::Value) -> Vec<serde_json::Value> {
    let groups = report["groups"].as_array().unwrap();
    let keep = |g: &serde_json::Value| {
        let legs = g["legs"].as_array().unwrap().iter();
        let leg = |l: &serde_json::Value| {
            assert!(l["avg_price"]
                .as_str()
                .is_some_and(|p| p.parse::<f64>().is_ok()));
            serde_json::json!([l["side"], l["filled_qty"]])
        };
        serde_json::json!({"outcome": g["outcome"], "legs": legs.map(leg).collect::<Vec<_>>()})
    };
    groups.iter().map(keep).collect()
}

fn run_report(dir: &Path, scenario: &Path, name: &str) -> serde_json::Value {
    let report = dir.join(name);
    let out = common::legcore(&[
        "run",
        "--quiet",
        "--speed",
        "max",
        "--scenario",
        scenario.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(
        out.status.code().is_some_and(|c| c == 0 || c == 3),
        "{out:?}"
    );
    serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap()
}

#[test]
fn a_recording_holds_the_stream_with_its_snapshot_and_replays_as_the_original() {
    let dir = common::tmp("record");
    let (snap, stream) = capture();
    let hold = Duration::from_millis(300);
    let conns = vec![stream.clone()];
    let (ws, http) =
        common::loopback::binance_replay(conns, vec![snap.clone()], hold, Duration::ZERO);
    let scenario = paper_scenario(&dir, ws, http);
    let out = dir.join("rec");
    let (o, s) = (out.to_str().unwrap(), scenario.to_str().unwrap());
    let args = ["record", "--scenario", s, "--out", o, "--duration", "4"];
    let run = common::legcore(&[&args[..], &["--rotate-bytes", "1500000"]].concat());
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    assert!(stdout.contains("recorded binance-usdm:"), "{stdout}");

    let parts = parts(&out);
    assert!(parts.len() >= 3, "rotated by size: {} parts", parts.len());
    // Part 0: the first diff, the REST snapshot where the client fetched it, then the
    // stream; each later part: the book as a snapshot, then the stream on.
    let first = &parts[0];
    assert_eq!(first[0].1, stream[0]);
    assert_eq!(first[1].1, snap, "the REST snapshot in place");
    let mut next = 1;
    let mut stamps = vec![first[0].0, first[1].0];
    for (k, part) in parts.iter().enumerate() {
        let body = if k == 0 { &part[2..] } else { &part[1..] };
        if k > 0 {
            assert!(is_snapshot(&part[0].1), "part {k} starts with a snapshot");
            let (book, live) = replay(part);
            let (want, _) = replay(&original_upto(&snap, &stream, next + body.len()));
            assert!(live, "part {k} replays alone");
            assert_eq!(book, want, "part {k} ends on the original's book");
        }
        for (ns, json) in body {
            assert_eq!(json, &stream[next], "stream line {next}");
            stamps.push(*ns);
            next += 1;
        }
    }
    assert_eq!(next, stream.len(), "every stream line recorded");

    // `legcore run` on the recording's first part, and on the original's same lines at
    // the same times: the same groups and fills.
    let orig: Vec<(u64, Vec<u8>)> = original_upto(&snap, &stream, first.len() - 1)
        .into_iter()
        .zip(&stamps)
        .map(|((_, j), &ns)| (ns, j))
        .collect();
    let orig_path = dir.join("original.raw.gz");
    write_gz(&orig_path, &orig);
    let part0 = out.join("binance-usdm.0000.raw.gz");
    let on_rec = run_report(&dir, &replay_scenario(&dir, "rec.toml", &part0), "rec.json");
    let on_orig = run_report(
        &dir,
        &replay_scenario(&dir, "orig.toml", &orig_path),
        "orig.json",
    );
    assert!(
        !fills(&on_rec).is_empty(),
        "the strategy traded on the recording"
    );
    // The first group (the buy at the first live book) alike; later ones depend on the
    // strategy's real-time hold against how fast the machine replays.
    assert_eq!(fills(&on_rec)[0], fills(&on_orig)[0]);
    assert_eq!(
        on_rec["runtime"]["md_lines"],
        on_orig["runtime"]["md_lines"]
    );
}

/// The original's lines as part 0 holds them: diff 0, the snapshot, diffs 1..`upto`
/// (times 0; the caller stamps them).
fn original_upto(snap: &[u8], stream: &[Vec<u8>], upto: usize) -> Vec<(u64, Vec<u8>)> {
    let mut v = vec![(0, stream[0].clone()), (0, snap.to_vec())];
    v.extend(stream[1..upto].iter().map(|j| (0, j.clone())));
    v
}

#[test]
fn bad_record_flags_exit_2_naming_the_flag() {
    let paper = common::scenario("paper_binance.toml");
    let replayed = common::scenario("bybit_xrp_roundtrip.toml");
    let with = |extra: &[&'static str]| {
        let mut v = vec!["record", "--scenario", paper.as_str(), "--out", "x"];
        v.extend_from_slice(extra);
        v
    };
    for (args, flag) in [
        (vec!["record", "--out", "x"], "--scenario"),
        (vec!["record", "--scenario", paper.as_str()], "--out"),
        (with(&["--rotate-bytes", "0"]), "--rotate-bytes"),
        (with(&["--rotate-secs", "soon"]), "--rotate-secs"),
        (with(&["--duration", "-1"]), "--duration"),
        (with(&["--depth", "5"]), "--depth"),
        (
            vec!["record", "--scenario", replayed.as_str(), "--out", "x"],
            "no live venue",
        ),
    ] {
        let err = common::refused(&args);
        assert!(err.contains(flag), "{args:?}: {err}");
    }
}
