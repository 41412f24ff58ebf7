//! Market data for the runtime: a recorded capture held in memory ([`Tape`]), a feeder
//! thread that replays it into a ring at recorded speed, N× or as fast as possible, and
//! [`BookFeed`], which keeps a ladder in sync from the capture's lines (Binance's rules).
//!
//! The loop owns one ladder per feed and decides on its top of book; it forwards each
//! line to the venue's gateway, whose simulated book follows the same feed, so the venue
//! matches against the book the loop saw. Lines travel as indices into the shared tape:
//! a hand-off copies 24 bytes and allocates nothing.
//!
//! One feeder thread replays every feed of a run, merged by recorded time, into one
//! ring. At a paced speed a full ring drops the newest line and counts it: a dropped
//! depth diff leaves a gap, which the sync rules detect, and the book stops being live
//! (stale) until the next snapshot, as after a lost packet. At `Speed::Max` the feeder
//! waits for room instead: the replay is lossless and as fast as the loop.

use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use super::clock::Clock;
use super::ring::Producer;
use super::run::Feed;
use super::wait::{Idle, Wait};
use crate::book::Ladder;
use crate::feed::binance::{classify, split_line, BinanceSync, LineKind, Market};
use crate::feed::FeedError;
use crate::num::{Step, Text};

/// A capture in memory: `<local_ns> <json>` lines.
#[derive(Debug)]
pub struct Tape {
    bytes: Vec<u8>,
    /// (start, end, recorded local ns) of each well-formed line.
    lines: Vec<(usize, usize, u64)>,
    /// Non-empty lines that are not `<local_ns> <json>`, left out and counted.
    skipped: u64,
    /// Earliest and latest recorded time over the lines, ns.
    span: Option<(u64, u64)>,
}

impl Tape {
    /// Reads a gzip capture (hftbacktest format).
    pub fn from_gz_file(path: impl AsRef<Path>) -> io::Result<Tape> {
        let mut bytes = Vec::new();
        MultiGzDecoder::new(std::fs::File::open(path)?).read_to_end(&mut bytes)?;
        Ok(Tape::from_bytes(bytes))
    }

    /// Indexes `bytes`; lines that are not `<digits> <json>` are left out and counted
    /// ([`Tape::skipped`]); blank lines are not counted.
    pub fn from_bytes(bytes: Vec<u8>) -> Tape {
        let mut tape = Tape {
            bytes: Vec::new(),
            lines: Vec::new(),
            skipped: 0,
            span: None,
        };
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                tape.index(&bytes, start, i);
                start = i + 1;
            }
        }
        tape.index(&bytes, start, bytes.len());
        tape.bytes = bytes;
        tape
    }

    /// Indexes the line `bytes[start..end]`.
    fn index(&mut self, bytes: &[u8], start: usize, end: usize) {
        let line = &bytes[start..end];
        let Some((ns, _)) = split_line(line) else {
            if !line.iter().all(u8::is_ascii_whitespace) {
                self.skipped += 1;
            }
            return;
        };
        self.lines.push((start, end, ns));
        let (lo, hi) = self.span.unwrap_or((ns, ns));
        self.span = Some((lo.min(ns), hi.max(ns)));
    }

    /// Lines left out because they are not `<local_ns> <json>`.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The earliest and latest recorded time of its lines, ns (`None` without lines).
    pub fn span(&self) -> Option<(u64, u64)> {
        self.span
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// No lines.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Line `i` (empty past the end).
    pub fn line(&self, i: usize) -> &[u8] {
        self.lines
            .get(i)
            .map_or(&[][..], |&(s, e, _)| &self.bytes[s..e])
    }

    /// The first `n` lines, as a tape of their own.
    pub fn head(&self, n: usize) -> Tape {
        let end = self
            .lines
            .get(n.min(self.len()).wrapping_sub(1))
            .map_or(0, |l| l.1);
        Tape::from_bytes(self.bytes[..end].to_vec())
    }

    /// The recorded local time of line `i`, ns.
    pub fn recorded_ns(&self, i: usize) -> u64 {
        self.lines.get(i).map_or(0, |l| l.2)
    }
}

/// How fast a feeder replays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speed {
    /// As fast as the ring takes it.
    Max,
    /// The recorded gaps divided by this factor (1 = recorded speed).
    Times(u32),
    /// A fixed input rate, lines per second.
    Rate(u64),
}

/// One market-data line handed to the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MdLine {
    /// The feed (index into the run's feeds) the line belongs to.
    pub feed: u32,
    /// Line index in the feed's tape; `u32::MAX` marks the end of every feed.
    pub line: u32,
    /// When the line was due: its scheduled time at a paced speed, else when pushed, ns.
    /// Latencies measured from it are corrected for coordinated omission: a feeder or
    /// loop that falls behind shows up as latency, not as fewer samples.
    pub pushed_ns: u64,
}

/// What the feeder thread did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeederStats {
    /// Lines pushed.
    pub pushed: u64,
    /// Lines dropped on a full ring (paced speeds only).
    pub dropped: u64,
    /// Times the feeder waited on a full ring (`Speed::Max` only: nothing dropped).
    pub waited: u64,
}

/// Replays `tapes` into `out` as one stream merged by recorded time (so books on
/// different venues move in the order the capture saw them), at `speed`, then pushes
/// the end marker.
///
/// Full-ring policy: at a paced speed the clock does not wait for the loop, so the
/// newest line is dropped and counted (the book goes stale, see the module doc); at
/// `Speed::Max` the replay is as fast as the loop takes it, so the feeder waits and
/// drops nothing.
pub fn run_feeder(
    tapes: Vec<Arc<Tape>>,
    mut out: Producer<MdLine>,
    clock: Clock,
    speed: Speed,
    wait: Wait,
) -> FeederStats {
    let mut stats = FeederStats::default();
    let mut idle = Idle::new(wait);
    let t0 = clock.now_ns();
    let rec0 = tapes
        .iter()
        .filter(|t| !t.is_empty())
        .map(|t| t.recorded_ns(0))
        .min()
        .unwrap_or(0);
    let mut next = vec![0usize; tapes.len()];
    let mut i = 0u64;
    loop {
        // The earliest next line over the tapes (few tapes: a scan beats a heap).
        let pick = (0..tapes.len())
            .filter(|&f| next[f] < tapes[f].len())
            .min_by_key(|&f| (tapes[f].recorded_ns(next[f]), f));
        let Some(f) = pick else { break };
        let line = next[f];
        next[f] += 1;
        let due = match speed {
            Speed::Max => None,
            Speed::Times(x) => {
                let gap = tapes[f].recorded_ns(line).saturating_sub(rec0);
                Some(t0.saturating_add(gap / u64::from(x.max(1))))
            }
            Speed::Rate(per_sec) => {
                let gap = u128::from(i) * 1_000_000_000 / u128::from(per_sec.max(1));
                Some(t0.saturating_add(u64::try_from(gap).unwrap_or(u64::MAX)))
            }
        };
        i += 1;
        if let Some(due) = due {
            while clock.now_ns() < due {
                idle.idle(clock.now_ns());
            }
            idle.busy();
        }
        let mut msg = MdLine {
            feed: f as u32,
            line: line as u32,
            pushed_ns: due.unwrap_or_else(|| clock.now_ns()),
        };
        loop {
            match out.push(msg) {
                Ok(()) => {
                    stats.pushed += 1;
                    break;
                }
                Err(_) if due.is_some() => {
                    stats.dropped += 1;
                    break;
                }
                Err(back) => {
                    stats.waited += 1;
                    msg = back;
                    idle.idle(clock.now_ns());
                }
            }
        }
        idle.busy();
    }
    let mut end = MdLine {
        feed: u32::MAX,
        line: u32::MAX,
        pushed_ns: clock.now_ns(),
    };
    while let Err(back) = out.push(end) {
        end = back;
        std::hint::spin_loop();
    }
    stats
}

/// What [`BookFeed`] calls a line that is not a Binance message it knows.
const NOT_BINANCE: &str = "a Binance depth snapshot, depth diff, book ticker or trade";

/// Keeps a ladder in sync from capture lines: snapshots and depth diffs apply, book
/// tickers and trades are skipped, and any other line is refused and counted.
#[derive(Debug)]
pub struct BookFeed {
    sync: BinanceSync,
    tick: Step,
    lot: Step,
    /// Lines refused (stale, gap, crossed, malformed, not a Binance message), counted.
    pub refused: u64,
    /// Why the latest refused line was refused.
    pub last_error: Option<FeedError>,
}

impl BookFeed {
    /// A feed for `market` with the instrument's tick and lot.
    pub fn new(market: Market, tick: Step, lot: Step) -> BookFeed {
        BookFeed {
            sync: BinanceSync::new(market, 1 << 20, 64),
            tick,
            lot,
            refused: 0,
            last_error: None,
        }
    }

    fn refuse(&mut self, e: FeedError) {
        self.refused += 1;
        self.last_error = Some(e);
    }

    /// Applies one line to `ladder`. Returns whether the book is live (in sync) after.
    pub fn on_line(&mut self, ladder: &mut Ladder, line: &[u8]) -> bool {
        let Some((_, json)) = split_line(line) else {
            self.refuse(FeedError::WrongType {
                expected: "a `<local_ns> <json>` line",
                got: Text::new(line),
            });
            return self.sync.is_live();
        };
        let (tick, lot) = (self.tick, self.lot);
        match classify(json) {
            LineKind::Snapshot => {
                if let Err(e) = self.sync.on_snapshot(ladder, tick, lot, json) {
                    self.refuse(e);
                }
                while let Some(r) = self.sync.replay_next(ladder, tick, lot) {
                    if let Err(e) = r {
                        self.refuse(e);
                    }
                }
            }
            LineKind::Depth => {
                if let Err(e) = self.sync.on_depth(ladder, tick, lot, json) {
                    self.refuse(e);
                }
            }
            LineKind::BookTicker | LineKind::Trade => {}
            LineKind::Other => self.refuse(FeedError::WrongType {
                expected: NOT_BINANCE,
                got: Text::new(json),
            }),
        }
        self.sync.is_live()
    }
}

/// A feed whose book never went live over its whole capture (see [`Feed::first_live`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeverLive {
    /// Lines of the capture, all read.
    pub lines: usize,
    /// Lines refused.
    pub refused: u64,
    /// The first refused line (its index in the tape) and why.
    pub first: Option<(usize, FeedError)>,
}

impl Feed {
    /// Replays the capture into a scratch book until it goes live, and returns the index
    /// of the line after which it was. A check before a run (it allocates): a capture of
    /// another venue, or a lot or tick that does not divide the book, never goes live.
    pub fn first_live(&self) -> Result<usize, Box<NeverLive>> {
        let mut ladder = Ladder::new(self.levels_per_side, self.max_update_levels);
        let mut sync = BookFeed::new(self.market, self.tick, self.lot);
        let mut first = None;
        for i in 0..self.tape.len() {
            let live = sync.on_line(&mut ladder, self.tape.line(i));
            if first.is_none() {
                first = sync.last_error.map(|e| (i, e));
            }
            if live {
                return Ok(i);
            }
        }
        Err(Box::new(NeverLive {
            lines: self.tape.len(),
            refused: sync.refused,
            first,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SNAPSHOT: &str =
        r#"{"lastUpdateId":10,"bids":[["100.0","1.50"]],"asks":[["100.5","2.00"]]}"#;
    const DIFF: &str =
        r#"{"e":"depthUpdate","E":1,"s":"X","U":9,"u":11,"pu":8,"b":[["100.1","0.25"]],"a":[]}"#;

    fn tape(lines: &[&str]) -> Tape {
        Tape::from_bytes(lines.join("\n").into_bytes())
    }

    fn feed(tape: Tape, lot: &str) -> Feed {
        Feed {
            tape: Arc::new(tape),
            venue: 0,
            book: 0,
            market: Market::Futures,
            tick: Step::parse("0.1").unwrap(),
            lot: Step::parse(lot).unwrap(),
            levels_per_side: 16,
            max_update_levels: 16,
        }
    }

    #[test]
    fn a_tape_counts_the_lines_it_leaves_out_and_spans_its_times() {
        let t = tape(&["30 {}", "no time here", "", "10 {}", "20 {}", "   "]);
        assert_eq!((t.len(), t.skipped(), t.span()), (3, 1, Some((10, 30))));
        assert_eq!(tape(&[""]).span(), None);
    }

    #[test]
    fn lines_that_are_not_binance_messages_are_refused_and_counted() {
        let ticker = r#"7 {"e":"bookTicker","u":1}"#;
        let t = tape(&[r#"5 {"channel":"l2Book","data":{}}"#, ticker]);
        let f = feed(t, "0.01");
        let never = f.first_live().unwrap_err();
        assert_eq!((never.lines, never.refused), (2, 1));
        let (line, e) = never.first.unwrap();
        assert_eq!(line, 0);
        assert!(e.to_string().contains("l2Book"), "{e}");
    }

    #[test]
    fn a_feed_goes_live_at_its_snapshot_unless_the_lot_does_not_fit() {
        let s = format!("1 {SNAPSHOT}");
        let d = format!("2 {DIFF}");
        assert_eq!(feed(tape(&[&s, &d]), "0.01").first_live(), Ok(1));
        let never = feed(tape(&[&s, &d]), "1").first_live().unwrap_err();
        let (_, e) = never.first.unwrap();
        assert!(
            matches!(e, FeedError::Num { field, .. } if field.ends_with("qty")),
            "{e}"
        );
    }
}
