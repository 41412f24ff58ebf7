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

use super::ring::Producer;
use super::wait::{Idle, Wait};
use crate::book::Ladder;
use crate::feed::binance::{classify, split_line, BinanceSync, LineKind, Market};
use crate::num::Step;
use crate::telemetry::Clock;

/// A capture in memory: `<local_ns> <json>` lines.
#[derive(Debug)]
pub struct Tape {
    bytes: Vec<u8>,
    /// (start, end, recorded local ns) of each well-formed line.
    lines: Vec<(usize, usize, u64)>,
}

impl Tape {
    /// Reads a gzip capture (hftbacktest format).
    pub fn from_gz_file(path: impl AsRef<Path>) -> io::Result<Tape> {
        let mut bytes = Vec::new();
        MultiGzDecoder::new(std::fs::File::open(path)?).read_to_end(&mut bytes)?;
        Ok(Tape::from_bytes(bytes))
    }

    /// Indexes `bytes`; lines that are not `<digits> <json>` are left out.
    pub fn from_bytes(bytes: Vec<u8>) -> Tape {
        let mut lines = Vec::new();
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                if let Some((ns, _)) = split_line(&bytes[start..i]) {
                    lines.push((start, i, ns));
                }
                start = i + 1;
            }
        }
        if let Some((ns, _)) = split_line(&bytes[start..]) {
            lines.push((start, bytes.len(), ns));
        }
        Tape { bytes, lines }
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
                Some(t0 + gap / u64::from(x.max(1)))
            }
            Speed::Rate(per_sec) => Some(t0 + i * 1_000_000_000 / per_sec.max(1)),
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

/// Keeps a ladder in sync from capture lines (snapshots and depth diffs; other lines
/// are ignored).
#[derive(Debug)]
pub struct BookFeed {
    sync: BinanceSync,
    tick: Step,
    lot: Step,
    /// Lines refused (stale, gap, crossed, malformed), counted.
    pub refused: u64,
}

impl BookFeed {
    /// A feed for `market` with the instrument's tick and lot.
    pub fn new(market: Market, tick: Step, lot: Step) -> BookFeed {
        BookFeed {
            sync: BinanceSync::new(market, 1 << 20, 64),
            tick,
            lot,
            refused: 0,
        }
    }

    /// Applies one line to `ladder`. Returns whether the book is live (in sync) after.
    pub fn on_line(&mut self, ladder: &mut Ladder, line: &[u8]) -> bool {
        let Some((_, json)) = split_line(line) else {
            self.refused += 1;
            return self.sync.is_live();
        };
        let (tick, lot) = (self.tick, self.lot);
        match classify(json) {
            LineKind::Snapshot => {
                if self.sync.on_snapshot(ladder, tick, lot, json).is_err() {
                    self.refused += 1;
                }
                while let Some(r) = self.sync.replay_next(ladder, tick, lot) {
                    if r.is_err() {
                        self.refused += 1;
                    }
                }
            }
            LineKind::Depth if self.sync.on_depth(ladder, tick, lot, json).is_err() => {
                self.refused += 1;
            }
            _ => {}
        }
        self.sync.is_live()
    }
}
