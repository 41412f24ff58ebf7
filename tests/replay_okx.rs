//! The real OKX capture in `data/market/okx/` (cryptofeed's log of `books` for three
//! instruments, with trades and tickers) through the production decoder: every checksum
//! verifies, each instrument's book replays whole without a gap and ends on the
//! reference values of the data's source README (an independent replay), a mutated
//! level breaks the checksum and a dropped update is a gap.

use legcore::book::{Ladder, Level, Side};
use legcore::feed::okx::{InstId, OkxOutcome, OkxSync};
use legcore::feed::{BookFeed, FeedError, Format, Tape};
use legcore::num::Step;

const CAPTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/market/okx/cryptofeed_OKX.ws.1.0.txt.gz"
);

/// Best bid and best ask, (price, size).
type Top = [(&'static str, &'static str); 2];

/// Instrument, tick, lot (contracts for the future and the swap, BTC for spot), and
/// the best bid and ask at the end per the source README.
const BOOKS: [(&str, &str, &str, Top); 3] = [
    (
        "BTC-USD-220527",
        "0.1",
        "1",
        [("30229.4", "2"), ("30238.8", "3")],
    ),
    (
        "UNI-USD-SWAP",
        "0.001",
        "1",
        [("5.137", "20"), ("5.145", "50")],
    ),
    (
        "BTC-USDT",
        "0.1",
        "0.00000001",
        [("30236.1", "0.18050747"), ("30236.2", "0.001")],
    ),
];

fn step(s: &str) -> Step {
    Step::parse(s).unwrap()
}

fn tape() -> Tape {
    Tape::load(CAPTURE, Format::OkxBooks(InstId::ANY)).unwrap()
}

/// The JSON of every message of the capture.
fn messages() -> Vec<String> {
    let t = tape();
    (0..t.len())
        .map(|i| {
            let line = std::str::from_utf8(t.line(i)).unwrap();
            line.split_once(": ").unwrap().1.to_string()
        })
        .collect()
}

/// `inst`'s `books` pushes: the snapshot first.
fn books(inst: &str) -> Vec<String> {
    let tag = format!(r#"{{"arg":{{"channel":"books","instId":"{inst}"}}"#);
    messages()
        .into_iter()
        .filter(|m| m.starts_with(&tag))
        .collect()
}

fn level(tick: Step, lot: Step, (p, q): (&str, &str)) -> Level {
    Level {
        price_ticks: tick.parse_units(p.as_bytes()).unwrap(),
        qty_lots: lot.parse_units(q.as_bytes()).unwrap(),
    }
}

fn follow(inst: &str) -> OkxSync {
    OkxSync::new(InstId::new(inst).unwrap())
}

#[test]
fn the_capture_is_indexed_whole() {
    let t = tape();
    // 414 lines: 410 messages and 4 of the recorder's own (connection, subscriptions
    // sent), which are not the venue's and not counted as skipped.
    assert_eq!((t.len(), t.skipped()), (410, 0));
    let (lo, hi) = t.span().unwrap();
    assert_eq!(
        (lo / 1_000_000, hi / 1_000_000),
        (1_652_459_225_503, 1_652_459_236_341)
    );
}

/// Every checksum of the capture verifies through `legcore run`'s `BookFeed`, which
/// follows one instrument and skips the others' books: 290 in all.
#[test]
fn every_checksum_verifies_and_each_book_replays_without_a_gap() {
    let t = tape();
    let mut total = 0;
    for (inst, tick, lot, best) in BOOKS {
        let (tick, lot) = (step(tick), step(lot));
        let format = Format::OkxBooks(InstId::ANY).following(inst).unwrap();
        let mut feed = BookFeed::new(format, tick, lot);
        let mut ladder = Ladder::new(1_024, 1_024);
        let mut live_from = None;
        for i in 0..t.len() {
            let live = feed.on_line(&mut ladder, t.line(i));
            if live && live_from.is_none() {
                live_from = Some(i);
            }
            assert_eq!(live, live_from.is_some(), "{inst}: stale at line {i}");
        }
        assert_eq!(feed.refused, 0, "{inst}: {:?}", feed.last_error);
        let s = feed.okx().unwrap().stats();
        let ours = books(inst).len() as u64;
        assert_eq!((s.snapshots, s.updates), (1, ours - 1), "{inst}");
        assert_eq!(s.checksums_verified, ours, "{inst}: every message has one");
        assert_eq!((s.gaps, s.checksum_mismatches), (0, 0));
        let others: usize = BOOKS
            .iter()
            .filter(|b| b.0 != inst)
            .map(|b| books(b.0).len())
            .sum();
        assert_eq!(
            s.skipped, others as u64,
            "{inst}: the others' books, skipped"
        );
        assert_eq!(feed.skipped(), s.skipped);
        assert_eq!(ladder.best_bid(), Some(level(tick, lot, best[0])), "{inst}");
        assert_eq!(ladder.best_ask(), Some(level(tick, lot, best[1])), "{inst}");
        total += s.checksums_verified;
    }
    assert_eq!(total, 290);
}

/// A level of a real message changed by one lot: the checksum no longer matches, the
/// message is refused whole and the book is stale to the end of the capture (it has no
/// second snapshot).
#[test]
fn a_mutated_level_breaks_the_checksum() {
    let (tick, lot) = (step("0.1"), step("0.00000001"));
    let msgs = books("BTC-USDT");
    let mut ladder = Ladder::new(1_024, 1_024);
    let mut sync = follow("BTC-USDT");
    let mutated = mutate_top_bid(&msgs[0], lot);
    let e = sync.apply(&mut ladder, tick, lot, mutated.as_bytes());
    assert!(
        matches!(e, Err(FeedError::ChecksumMismatch { .. })),
        "{e:?}"
    );
    assert!(ladder.is_empty() && !sync.is_live());
    sync.apply(&mut ladder, tick, lot, msgs[0].as_bytes())
        .unwrap();
    // The first update that sets a bid inside the top 25: its size plus one lot.
    let k = (1..msgs.len())
        .find(|&k| {
            let mut probe = ladder.clone();
            let mut s = sync;
            msgs[1..k].iter().for_each(|m| {
                s.apply(&mut probe, tick, lot, m.as_bytes()).unwrap();
            });
            let floor = probe.levels(Side::Bid).nth(24).unwrap().price_ticks;
            first_bid(&msgs[k])
                .is_some_and(|(p, q)| q != "0" && tick.parse_units(p.as_bytes()).unwrap() >= floor)
        })
        .unwrap();
    for m in &msgs[1..k] {
        sync.apply(&mut ladder, tick, lot, m.as_bytes()).unwrap();
    }
    let before: Vec<Level> = ladder.levels(Side::Bid).collect();
    let e = sync.apply(
        &mut ladder,
        tick,
        lot,
        mutate_top_bid(&msgs[k], lot).as_bytes(),
    );
    assert!(
        matches!(e, Err(FeedError::ChecksumMismatch { .. })),
        "{e:?}"
    );
    assert_eq!(ladder.levels(Side::Bid).collect::<Vec<_>>(), before);
    assert!(!sync.is_live());
    for m in &msgs[k..] {
        let r = sync.apply(&mut ladder, tick, lot, m.as_bytes());
        assert_eq!(r, Err(FeedError::NoSnapshot));
    }
    assert_eq!(sync.stats().checksum_mismatches, 2);
}

/// The first bid level `(price, size)` of a message.
fn first_bid(msg: &str) -> Option<(&str, &str)> {
    let at = msg.find(r#""bids":[["#)? + 10;
    let mut it = msg[at..].split('"');
    let p = it.next()?;
    it.next();
    Some((p, it.next()?))
}

/// `msg` with its first bid's size one lot larger.
fn mutate_top_bid(msg: &str, lot: Step) -> String {
    let (p, q) = first_bid(msg).unwrap();
    let more = lot.to_decimal(lot.parse_units(q.as_bytes()).unwrap() + 1);
    msg.replacen(
        &format!(r#"["{p}","{q}""#),
        &format!(r#"["{p}","{more}""#),
        1,
    )
}

/// The capture predates `seqId`: with the checksum alone, an update lost that changed
/// the top 25 shows at the next message, which is refused and the book goes stale.
#[test]
fn a_dropped_update_is_caught_by_the_next_checksum() {
    let (tick, lot) = (step("0.001"), step("1"));
    let msgs = books("UNI-USD-SWAP");
    let sum = |m: &str| m.rsplit_once(r#""checksum":"#).unwrap().1.to_string();
    let k = (2..msgs.len() - 1)
        .find(|&k| sum(&msgs[k]) != sum(&msgs[k - 1]))
        .unwrap();
    let mut ladder = Ladder::new(1_024, 1_024);
    let mut sync = follow("UNI-USD-SWAP");
    for m in &msgs[..k] {
        sync.apply(&mut ladder, tick, lot, m.as_bytes()).unwrap();
    }
    let e = sync.apply(&mut ladder, tick, lot, msgs[k + 1].as_bytes());
    assert!(
        matches!(e, Err(FeedError::ChecksumMismatch { .. })),
        "{e:?}"
    );
    assert!(!sync.is_live());
}

/// With sequence ids (spliced into the real messages as OKX sends them today, ids
/// jumping by 3), dropping any one update is a gap at the next one, whether or not it
/// touched the top 25: refused, stale, counted.
#[test]
fn a_dropped_update_is_a_gap_with_sequence_ids() {
    let (tick, lot) = (step("0.1"), step("0.00000001"));
    let msgs = books("BTC-USDT");
    let seq = |i: usize| 1_000 + 3 * i as u64;
    let chained: Vec<String> = msgs
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let prev = if i == 0 { -1 } else { seq(i - 1) as i64 };
            let end = m.rfind("}]}").unwrap();
            format!(
                r#"{},"prevSeqId":{prev},"seqId":{}{}"#,
                &m[..end],
                seq(i),
                &m[end..]
            )
        })
        .collect();
    for drop in 1..chained.len() - 1 {
        let mut ladder = Ladder::new(1_024, 1_024);
        let mut sync = follow("BTC-USDT");
        for (i, m) in chained.iter().enumerate().filter(|&(i, _)| i != drop) {
            let r = sync.apply(&mut ladder, tick, lot, m.as_bytes());
            if i < drop {
                assert!(matches!(
                    r,
                    Ok(OkxOutcome::Snapshot(_) | OkxOutcome::Update(_))
                ));
            } else if i == drop + 1 {
                let e = r.unwrap_err();
                assert!(e.is_gap(), "drop {drop}: {e}");
                assert!(e
                    .to_string()
                    .contains(&format!("expected {}", seq(drop - 1))));
            } else {
                assert_eq!(r, Err(FeedError::NoSnapshot));
            }
        }
        assert_eq!(sync.stats().gaps, 1);
        assert!(!sync.is_live());
    }
}
