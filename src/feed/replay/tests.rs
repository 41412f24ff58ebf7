use super::*;

const SNAPSHOT: &str = r#"{"lastUpdateId":10,"bids":[["100.0","1.50"]],"asks":[["100.5","2.00"]]}"#;
const DIFF: &str =
    r#"{"e":"depthUpdate","E":1,"s":"X","U":9,"u":11,"pu":8,"b":[["100.1","0.25"]],"a":[]}"#;
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/market/");

fn tape(lines: &[&str]) -> Tape {
    Tape::from_bytes(lines.join("\n").into_bytes())
}

fn step(s: &str) -> Step {
    Step::parse(s).unwrap()
}

fn first_live(tape: &Tape, format: Format, lot: &str) -> Result<usize, Box<NeverLive>> {
    BookFeed::first_live(tape, format, (step("0.1"), step(lot)), (16, 16))
}

/// Replays the whole `tape`; (lines after which the book was live, refused).
fn replay(tape: &Tape, format: Format, tick: &str, lot: &str) -> (usize, u64) {
    let mut ladder = Ladder::new(1 << 14, 4_096);
    let mut feed = BookFeed::new(format, step(tick), step(lot));
    let live = (0..tape.len())
        .filter(|&i| feed.on_line(&mut ladder, tape.line(i)))
        .count();
    assert!(ladder.spread_ticks().unwrap() > 0, "crossed");
    (live, feed.refused)
}

#[test]
fn format_names_round_trip() {
    for f in Format::ALL {
        assert_eq!(Format::parse(f.name()), Some(f));
        assert!(Format::NAMES.contains(f.name()));
    }
    assert_eq!(Format::parse("futures"), None);
}

#[test]
fn lines_that_are_not_binance_messages_are_refused_and_counted() {
    let ticker = r#"7 {"e":"bookTicker","u":1}"#;
    let t = tape(&[r#"5 {"channel":"l2Book","data":{}}"#, ticker]);
    let never = first_live(&t, Format::BinanceUsdm, "0.01").unwrap_err();
    assert_eq!((never.lines, never.refused), (2, 1));
    let (line, e) = never.first.unwrap();
    assert_eq!(line, 0);
    assert!(e.to_string().contains("l2Book"), "{e}");
}

#[test]
fn a_feed_goes_live_at_its_snapshot_unless_the_lot_does_not_fit() {
    let s = format!("1 {SNAPSHOT}");
    let d = format!("2 {DIFF}");
    let t = tape(&[&s, &d]);
    assert_eq!(first_live(&t, Format::BinanceUsdm, "0.01"), Ok(1));
    assert_eq!(first_live(&t, Format::BinanceCoinm, "0.01"), Ok(1));
    let never = first_live(&t, Format::BinanceUsdm, "1").unwrap_err();
    let (_, e) = never.first.unwrap();
    assert!(
        matches!(e, FeedError::Num { field, .. } if field.ends_with("qty")),
        "{e}"
    );
}

#[test]
fn another_formats_capture_never_goes_live() {
    let s = format!("1 {SNAPSHOT}");
    let okx = Format::OkxBooks(crate::feed::okx::InstId::ANY);
    for f in [Format::BybitOrderbook500, Format::HyperliquidL2Book, okx] {
        let never = first_live(&tape(&[&s]), f, "0.01").unwrap_err();
        assert_eq!(never.refused, 1, "{}", f.name());
    }
}

#[test]
fn the_bybit_capture_replays_whole_and_live_from_its_snapshot() {
    let path = format!("{DATA}bybit/2024-12-01_XRPUSDT_ob500.data.jsonl");
    let t = Tape::load(path, Format::BybitOrderbook500).unwrap();
    assert_eq!((t.len(), t.skipped()), (50, 0));
    let (lo, hi) = t.span().unwrap();
    assert_eq!(
        (lo, hi),
        (1_733_011_200_691_000_000, 1_733_011_205_490_000_000)
    );
    assert_eq!(
        replay(&t, Format::BybitOrderbook500, "0.0001", "1"),
        (50, 0)
    );
}

#[test]
fn the_hyperliquid_capture_passes_over_trades_and_refuses_nothing() {
    let path = format!("{DATA}hyperliquid/btc_20250126.raw.gz");
    let t = Tape::load(path, Format::HyperliquidL2Book).unwrap();
    assert_eq!((t.len(), t.skipped()), (55, 0));
    let (live, refused) = replay(&t, Format::HyperliquidL2Book, "1", "0.00001");
    assert_eq!(refused, 0);
    let first = (0..t.len())
        .find(|&i| {
            let mut l = Ladder::new(64, 64);
            BookFeed::new(Format::HyperliquidL2Book, step("1"), step("0.00001"))
                .on_line(&mut l, t.line(i))
        })
        .unwrap();
    assert_eq!(live, t.len() - first);
}

#[test]
fn a_bybit_delta_out_of_sequence_is_refused_and_the_book_waits_for_a_snapshot() {
    let path = format!("{DATA}bybit/2024-12-01_XRPUSDT_ob500.data.jsonl");
    let t = Tape::load(path, Format::BybitOrderbook500).unwrap();
    let mut ladder = Ladder::new(1 << 10, 1 << 10);
    let mut feed = BookFeed::new(Format::BybitOrderbook500, step("0.0001"), step("1"));
    assert!(feed.on_line(&mut ladder, t.line(0)));
    assert!(
        !feed.on_line(&mut ladder, t.line(2)),
        "a skipped delta is a gap"
    );
    assert!(!feed.on_line(&mut ladder, t.line(3)));
    assert_eq!(feed.refused, 2);
    assert!(feed
        .last_error
        .is_some_and(|e| matches!(e, FeedError::NoSnapshot)));
}
