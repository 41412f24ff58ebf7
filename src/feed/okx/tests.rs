//! The OKX decoder on messages of the shipped capture (data/market/okx/), whole and
//! altered: routing, level shapes, the `seqId` rules of OKX's documentation (sequence
//! ids spliced into the real messages, which predate them), the checksum and the
//! instrument filter.

use super::*;
use crate::feed::replay::Format;
use crate::feed::tape::{split_cryptofeed, Tape};
use crate::feed::test_util::state as levels;

const CAPTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/market/okx/cryptofeed_OKX.ws.1.0.txt.gz"
);

/// The capture's JSON messages, in order.
fn messages() -> Vec<String> {
    let tape = Tape::load(CAPTURE, Format::OkxBooks(InstId::ANY)).unwrap();
    (0..tape.len())
        .filter_map(|i| split_cryptofeed(tape.line(i)))
        .map(|(_, json)| String::from_utf8(json.to_vec()).unwrap())
        .collect()
}

/// The `books` pushes of `inst`: its snapshot, then its updates.
fn books(inst: &str) -> (String, Vec<String>) {
    let tag = format!(r#"{{"arg":{{"channel":"books","instId":"{inst}"}}"#);
    let mut ours = messages().into_iter().filter(|m| m.starts_with(&tag));
    let snapshot = ours.next().unwrap();
    assert!(snapshot.contains(r#""action":"snapshot""#));
    (snapshot, ours.collect())
}

/// `msg` with `prevSeqId` and `seqId` added to its book.
fn with_seq(msg: &str, prev: i64, seq: u64) -> String {
    let end = msg.rfind("}]}").unwrap();
    format!(
        r#"{},"prevSeqId":{prev},"seqId":{seq}{}"#,
        &msg[..end],
        &msg[end..]
    )
}

/// The `checksum` of a message.
fn checksum_of(msg: &str) -> i64 {
    let at = msg.rfind(r#""checksum":"#).unwrap() + 11;
    let end = at + msg[at..].find(['}', ',']).unwrap();
    msg[at..end].parse().unwrap()
}

fn steps() -> (Step, Step) {
    (
        Step::parse("0.1").unwrap(),
        Step::parse("0.00000001").unwrap(),
    )
}

fn btc_usdt() -> OkxSync {
    OkxSync::new(InstId::new("BTC-USDT").unwrap())
}

#[test]
fn routing_passes_over_other_channels_and_refuses_other_book_channels() {
    let msgs = messages();
    let kinds = |prefix: &str| msgs.iter().filter(|m| m.starts_with(prefix)).count();
    assert!(kinds(r#"{"event":"subscribe""#) > 0);
    assert!(kinds(r#"{"arg":{"channel":"tickers""#) > 0);
    assert!(kinds(r#"{"arg":{"channel":"trades""#) > 0);
    for m in &msgs {
        let r = route(m.as_bytes()).unwrap();
        assert_eq!(
            matches!(r, Route::Book { .. }),
            m.starts_with(r#"{"arg":{"channel":"books""#),
            "{m}"
        );
    }
    let (snap, _) = books("BTC-USDT");
    let other = snap.replacen(r#""books""#, r#""books5""#, 1);
    assert!(matches!(
        route(other.as_bytes()),
        Err(FeedError::WrongType { got, .. }) if got.as_str() == "books5"
    ));
    let err = r#"{"event":"error","code":"60012","msg":"Invalid request"}"#;
    assert!(matches!(
        route(err.as_bytes()),
        Err(FeedError::WrongType { .. })
    ));
    let no_inst = snap.replacen(r#""instId":"BTC-USDT""#, r#""x":1"#, 1);
    assert_eq!(
        route(no_inst.as_bytes()),
        Err(FeedError::MissingField("arg.instId"))
    );
    let action = snap.replacen(r#""snapshot""#, r#""partial""#, 1);
    assert!(matches!(
        route(action.as_bytes()),
        Err(FeedError::WrongType { .. })
    ));
}

/// `data` before `arg` and `action`: the second scan applies it the same.
#[test]
fn keys_in_another_order_decode_the_same() {
    let (snap, _) = books("UNI-USD-SWAP");
    let (tick, lot) = (Step::parse("0.001").unwrap(), Step::ONE);
    let data_at = snap.find(r#""data":"#).unwrap();
    let head = &snap[1..data_at - 1];
    let moved = format!("{{{},{head}}}", &snap[data_at..snap.len() - 1]);
    let (mut a, mut b) = (Ladder::new(512, 512), Ladder::new(512, 512));
    let inst = InstId::new("UNI-USD-SWAP").unwrap();
    let fa = OkxSync::new(inst).apply(&mut a, tick, lot, snap.as_bytes());
    let fb = OkxSync::new(inst).apply(&mut b, tick, lot, moved.as_bytes());
    assert!(matches!(fa, Ok(OkxOutcome::Snapshot(_))), "{fa:?}");
    assert_eq!(fa, fb);
    assert_eq!(levels(&a), levels(&b));
}

#[test]
fn bad_levels_are_typed_errors_and_change_nothing() {
    let (snap, ups) = books("BTC-USDT");
    let (tick, lot) = steps();
    let mut ladder = Ladder::new(1_024, 1_024);
    let mut sync = btc_usdt();
    sync.apply(&mut ladder, tick, lot, snap.as_bytes()).unwrap();
    let before = levels(&ladder);
    let first = &ups[0];
    let lvl = first.find(r#"["#).unwrap();
    let lvl = lvl + first[lvl..].find(r#"[""#).unwrap();
    let close = lvl + first[lvl..].find(']').unwrap();
    let level = &first[lvl..=close];
    let fields: Vec<&str> = level[1..level.len() - 1].split(',').collect();
    let bad = |with: String| first.replacen(level, &with, 1);
    let cases = [
        (bad(format!("[{},{}]", fields[0], fields[1])), "shape"),
        (
            bad(format!("[{},{},\"0\",\"1\",\"9\"]", fields[0], fields[1])),
            "shape",
        ),
        (
            bad(format!("[\"30243.55\",{},\"0\",\"1\"]", fields[1])),
            "price",
        ),
        (
            bad(format!("[{},\"0.000000001\",\"0\",\"1\"]", fields[0])),
            "qty",
        ),
        (bad(format!("[{},\"-1\",\"0\",\"1\"]", fields[0])), "qty"),
        (first.replacen(r#""ts""#, r#""tz""#, 1), "ts"),
        (
            first.replacen(r#""checksum":"#, r#""checksum":99999999999,"x":"#, 1),
            "checksum",
        ),
        (first[..first.len() - 3].to_string(), "cut"),
    ];
    for (msg, what) in cases {
        let e = sync
            .apply(&mut ladder, tick, lot, msg.as_bytes())
            .unwrap_err();
        let ok = match what {
            "shape" => matches!(e, FeedError::Shape { .. }),
            "price" | "qty" => matches!(e, FeedError::Num { field, .. } if field.ends_with(what)),
            "ts" => e == FeedError::MissingField("data[0].ts"),
            "checksum" => matches!(
                e,
                FeedError::Value {
                    field: "data[0].checksum",
                    ..
                }
            ),
            _ => matches!(e, FeedError::Json(_) | FeedError::Value { .. }),
        };
        assert!(ok, "{what}: {e}");
        assert_eq!(levels(&ladder), before, "{what}");
    }
    assert!(sync.is_live(), "a refused message alone is not a gap");
    sync.apply(&mut ladder, tick, lot, first.as_bytes())
        .unwrap();
}

/// OKX's documented example, on real messages: snapshot (prevSeqId -1, seqId 10), an
/// update (10 → 15), a no-change message (15 → 15, empty sides, the same checksum),
/// a sequence reset (15 → 3) and an update after it (3 → 5): all applied and verified.
#[test]
fn the_documented_sequence_example_applies() {
    let (snap, ups) = books("BTC-USDT");
    let (tick, lot) = steps();
    let heartbeat = format!(
        r#"{{"arg":{{"channel":"books","instId":"BTC-USDT"}},"action":"update","data":[{{"asks":[],"bids":[],"ts":"1","checksum":{}}}]}}"#,
        checksum_of(&ups[0])
    );
    let chain = [
        with_seq(&snap, -1, 10),
        with_seq(&ups[0], 10, 15),
        with_seq(&heartbeat, 15, 15),
        with_seq(&ups[1], 15, 3),
        with_seq(&ups[2], 3, 5),
    ];
    let mut ladder = Ladder::new(1_024, 1_024);
    let mut sync = btc_usdt();
    for m in &chain {
        sync.apply(&mut ladder, tick, lot, m.as_bytes()).unwrap();
        assert!(sync.is_live());
    }
    assert_eq!(sync.last_seq_id(), Some(5));
    assert_eq!(ladder.seq(), 5);
    let s = sync.stats();
    assert_eq!((s.snapshots, s.updates, s.checksums_verified), (1, 4, 5));
}

#[test]
fn a_broken_chain_is_a_gap_and_the_book_waits_for_a_snapshot() {
    let (snap, ups) = books("BTC-USDT");
    let (tick, lot) = steps();
    let mut ladder = Ladder::new(1_024, 1_024);
    let mut sync = btc_usdt();
    sync.apply(&mut ladder, tick, lot, with_seq(&snap, -1, 100).as_bytes())
        .unwrap();
    let before = levels(&ladder);
    let skipped = with_seq(&ups[1], 101, 102);
    let e = sync
        .apply(&mut ladder, tick, lot, skipped.as_bytes())
        .unwrap_err();
    assert!(e.is_gap(), "{e}");
    assert_eq!(
        e,
        FeedError::Book(BookError::SequenceGap {
            expected: 100,
            got: 101
        })
    );
    assert_eq!(levels(&ladder), before);
    assert!(!sync.is_live());
    let next = with_seq(&ups[2], 102, 103);
    assert_eq!(
        sync.apply(&mut ladder, tick, lot, next.as_bytes()),
        Err(FeedError::NoSnapshot)
    );
    assert_eq!(sync.stats().gaps, 1);
    sync.apply(&mut ladder, tick, lot, with_seq(&snap, -1, 7).as_bytes())
        .unwrap();
    assert!(sync.is_live());
    // Ids once sent must keep coming; a snapshot's -1 in an update is a break too.
    let no_ids = &ups[0];
    assert_eq!(
        sync.apply(&mut ladder, tick, lot, no_ids.as_bytes()),
        Err(FeedError::MissingField("data[0].seqId"))
    );
    let minus = with_seq(&ups[0], -1, 8);
    let e = sync.apply(&mut ladder, tick, lot, minus.as_bytes());
    assert!(matches!(e, Err(FeedError::Shape { .. })), "{e:?}");
    assert!(!sync.is_live());
    assert_eq!(sync.stats().gaps, 2);
}

#[test]
fn a_wrong_checksum_is_refused_and_makes_the_book_stale() {
    let (snap, ups) = books("BTC-USDT");
    let (tick, lot) = steps();
    let mut ladder = Ladder::new(1_024, 1_024);
    let mut sync = btc_usdt();
    let sum = checksum_of(&snap);
    let wrong = snap.replacen(&format!(":{sum}}}"), &format!(":{}}}", sum ^ 1), 1);
    let e = sync.apply(&mut ladder, tick, lot, wrong.as_bytes());
    assert!(
        matches!(e, Err(FeedError::ChecksumMismatch { .. })),
        "{e:?}"
    );
    assert!(ladder.is_empty() && !sync.is_live());
    sync.apply(&mut ladder, tick, lot, snap.as_bytes()).unwrap();
    let before = levels(&ladder);
    let sum = checksum_of(&ups[0]);
    let wrong = ups[0].replacen(&format!(":{sum}}}"), &format!(":{}}}", sum ^ 1), 1);
    let e = sync.apply(&mut ladder, tick, lot, wrong.as_bytes());
    assert_eq!(
        e,
        Err(FeedError::ChecksumMismatch {
            expected: (sum ^ 1) as i32,
            computed: sum as i32
        })
    );
    assert_eq!(levels(&ladder), before);
    assert!(!sync.is_live());
    assert_eq!(sync.stats().checksum_mismatches, 2);
    // A checksum of 0 (retired) is not verified.
    let zero = ups[0].replacen(&format!(":{sum}}}"), ":0}", 1);
    sync.apply(&mut ladder, tick, lot, snap.as_bytes()).unwrap();
    sync.apply(&mut ladder, tick, lot, zero.as_bytes()).unwrap();
    let s = sync.stats();
    assert_eq!(
        (s.updates, s.checksums_verified),
        (1, 2),
        "the two snapshots only"
    );
}

#[test]
fn other_instruments_are_skipped_and_any_follows_the_first_snapshot() {
    let (tick, lot) = (Step::parse("0.1").unwrap(), Step::ONE);
    let mut ladder = Ladder::new(1_024, 1_024);
    let mut sync = OkxSync::new(InstId::ANY);
    let mut skipped = 0;
    for m in &messages() {
        if sync.apply(&mut ladder, tick, lot, m.as_bytes()).unwrap() == OkxOutcome::Skipped {
            skipped += 1;
        }
    }
    // The capture's first snapshot is BTC-USD-220527's.
    assert_eq!(sync.instrument(), InstId::new("BTC-USD-220527").unwrap());
    let ours = books("BTC-USD-220527").1.len() as u64;
    let others = ["UNI-USD-SWAP", "BTC-USDT"].map(|i| books(i).1.len() as u64 + 1);
    assert_eq!(
        (sync.stats().updates, sync.stats().skipped),
        (ours, others[0] + others[1])
    );
    assert_eq!(skipped, others[0] + others[1]);
    assert!(sync.is_live());
    assert!(InstId::new("").is_none() && InstId::new("BTC USDT").is_none());
    assert!(InstId::new(&"X".repeat(INST_CAP + 1)).is_none());
    assert!(InstId::ANY.is_any() && InstId::ANY.as_str().is_empty());
}

#[test]
fn a_ladder_shallower_than_the_checksum_cannot_verify_it() {
    let (snap, _) = books("BTC-USDT");
    let (tick, lot) = steps();
    let mut ladder = Ladder::new(16, 16);
    let e = btc_usdt().apply(&mut ladder, tick, lot, snap.as_bytes());
    assert_eq!(
        e,
        Err(FeedError::ChecksumDepth {
            side: Side::Bid,
            known: 16
        })
    );
    assert!(ladder.is_empty());
}

#[test]
fn truncating_real_messages_at_every_byte_is_an_error_and_changes_nothing() {
    let (snap, ups) = books("UNI-USD-SWAP");
    let (tick, lot) = (Step::parse("0.001").unwrap(), Step::ONE);
    let mut ladder = Ladder::new(512, 512);
    let mut sync = OkxSync::new(InstId::new("UNI-USD-SWAP").unwrap());
    for msg in [&snap, &ups[0]] {
        let before = (levels(&ladder), sync);
        for cut in crate::feed::test_util::cuts(msg.len()) {
            let r = sync.apply(&mut ladder, tick, lot, &msg.as_bytes()[..cut]);
            assert!(r.is_err(), "cut at {cut}");
            assert_eq!((levels(&ladder), sync), before, "cut at {cut}");
        }
        sync.apply(&mut ladder, tick, lot, msg.as_bytes()).unwrap();
    }
    assert!(sync.is_live());
}
