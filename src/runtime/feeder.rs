//! The feeder thread: replays the run's recorded captures ([`Tape`]s, in `feed`) into a
//! ring at recorded speed, N× or as fast as possible. The loop keeps one ladder per feed
//! in sync with a [`BookFeed`] (in `feed`) and decides on its top of book; it forwards
//! each line to the venue's gateway, whose simulated book follows the same feed, so the
//! venue matches against the book the loop saw. Lines travel as indices into the shared
//! tape: a hand-off copies 24 bytes and allocates nothing.
//!
//! One feeder thread replays every feed of a run, merged by recorded time, into one
//! ring. At a paced speed a full ring drops the newest line and counts it: a dropped
//! depth diff leaves a gap, which the sync rules detect, and the book stops being live
//! (stale) until the next snapshot, as after a lost packet. At `Speed::Max` the feeder
//! waits for room instead: the replay is lossless and as fast as the loop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::clock::Clock;
use super::ring::Producer;
use super::run::Feed;
use super::wait::{Idle, Wait};
use crate::feed::{BookFeed, NeverLive, Tape};

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdLine {
    /// The feed (index into the run's feeds) the line belongs to.
    pub feed: u32,
    /// Line index in the feed's tape (a live feed's: its count); `u32::MAX` marks the end
    /// of the feeder's feeds, `u32::MAX - 1` a live feed's new connection (see
    /// `live_feeder`).
    pub line: u32,
    /// When the line was due: its scheduled time at a paced speed, else when pushed, ns.
    /// Latencies measured from it are corrected for coordinated omission: a feeder or
    /// loop that falls behind shows up as latency, not as fewer samples.
    pub pushed_ns: u64,
    /// A live line's bytes (a replayed line's are in its tape), in a buffer that goes
    /// round (see `live_feeder`).
    pub buf: Option<Vec<u8>>,
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
    /// The run's stop flag ended the replay before its last line.
    pub stopped: bool,
}

/// Replays `tapes` into `out` as one stream merged by recorded time (so books on
/// different venues move in the order the capture saw them), at `speed`, then pushes
/// the end marker. The run's `stop` flag ends the replay early (still with the marker).
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
    stop: Option<Arc<AtomicBool>>,
) -> FeederStats {
    let stopped = || stop.as_ref().is_some_and(|s| s.load(Ordering::Relaxed));
    let mut stats = FeederStats::default();
    let mut idle = Idle::new(wait);
    let mut schedule = Schedule::new(tapes, speed, clock.now_ns());
    while let Some((f, line, due)) = schedule.peek() {
        if stopped() {
            stats.stopped = true;
            break;
        }
        schedule.advance(f);
        if let Some(due) = due {
            while clock.now_ns() < due && !stopped() {
                idle.idle(clock.now_ns());
            }
            idle.busy();
        }
        let msg = MdLine {
            feed: f as u32,
            line: line as u32,
            pushed_ns: due.unwrap_or_else(|| clock.now_ns()),
            buf: None,
        };
        push_line(&mut out, msg, due.is_some(), &mut stats, &mut idle, &clock);
        idle.busy();
    }
    let mut end = MdLine {
        feed: u32::MAX,
        line: u32::MAX,
        pushed_ns: clock.now_ns(),
        buf: None,
    };
    while let Err(back) = out.push(end) {
        end = back;
        std::hint::spin_loop();
    }
    stats
}

/// The replay's order and timing: the tapes merged by recorded time (so books on
/// different venues move in the order the capture saw them), each line due at its
/// recorded gap from the first (over the speed) or at the fixed rate. The feeder thread
/// walks it, and so does a loop that reads its feeds itself (`Config::md_in_loop`).
#[derive(Debug)]
pub(super) struct Schedule {
    tapes: Vec<Arc<Tape>>,
    next: Vec<usize>,
    speed: Speed,
    /// Clock time of the first line, ns.
    t0: u64,
    /// Recorded time of the earliest line, ns.
    rec0: u64,
    /// Lines handed out.
    i: u64,
}

impl Schedule {
    /// The schedule of `tapes` at `speed`, starting at clock time `t0`.
    pub(super) fn new(tapes: Vec<Arc<Tape>>, speed: Speed, t0: u64) -> Schedule {
        let rec0 = tapes
            .iter()
            .filter(|t| !t.is_empty())
            .map(|t| t.recorded_ns(0))
            .min()
            .unwrap_or(0);
        Schedule {
            next: vec![0; tapes.len()],
            tapes,
            speed,
            t0,
            rec0,
            i: 0,
        }
    }

    /// The next line: (feed, line, when due; `None` at `Speed::Max`), or `None` at the end.
    #[inline]
    pub(super) fn peek(&self) -> Option<(usize, usize, Option<u64>)> {
        // The earliest next line over the tapes (few tapes: a scan beats a heap).
        let f = (0..self.tapes.len())
            .filter(|&f| self.next[f] < self.tapes[f].len())
            .min_by_key(|&f| (self.tapes[f].recorded_ns(self.next[f]), f))?;
        let line = self.next[f];
        let gap = self.tapes[f].recorded_ns(line).saturating_sub(self.rec0);
        Some((f, line, due_ns(self.speed, self.t0, gap, self.i)))
    }

    /// Starts the clock over at `t0` (a loop reading its feeds itself starts it when it
    /// is ready, so its first lines are not already late), before the first line.
    pub(super) fn start_at(&mut self, t0: u64) {
        if self.i == 0 {
            self.t0 = t0;
        }
    }

    /// Moves past the line [`Schedule::peek`] gave, of feed `f`.
    #[inline]
    pub(super) fn advance(&mut self, f: usize) {
        self.next[f] += 1;
        self.i += 1;
    }

    /// The line `line` of feed `f`.
    #[inline]
    pub(super) fn line(&self, f: usize, line: usize) -> &[u8] {
        self.tapes[f].line(line)
    }
}

/// When the `i`-th line replayed, `gap_ns` after the first recorded line, is due on the
/// clock started at `t0`; `None` at `Speed::Max` (as soon as the ring takes it).
#[inline]
fn due_ns(speed: Speed, t0: u64, gap_ns: u64, i: u64) -> Option<u64> {
    match speed {
        Speed::Max => None,
        Speed::Times(x) => Some(t0.saturating_add(gap_ns / u64::from(x.max(1)))),
        Speed::Rate(per_sec) => {
            let gap = u128::from(i) * 1_000_000_000 / u128::from(per_sec.max(1));
            Some(t0.saturating_add(u64::try_from(gap).unwrap_or(u64::MAX)))
        }
    }
}

/// Pushes one line under the full-ring policy: `paced`, a full ring drops it (counted);
/// otherwise the feeder waits for room (counted) and drops nothing.
#[inline]
fn push_line(
    out: &mut Producer<MdLine>,
    mut msg: MdLine,
    paced: bool,
    stats: &mut FeederStats,
    idle: &mut Idle,
    clock: &Clock,
) {
    loop {
        match out.push(msg) {
            Ok(()) => {
                stats.pushed += 1;
                return;
            }
            Err(_) if paced => {
                stats.dropped += 1;
                return;
            }
            Err(back) => {
                stats.waited += 1;
                msg = back;
                idle.idle(clock.now_ns());
            }
        }
    }
}

impl Feed {
    /// Replays the capture into a scratch book until it goes live, and returns the index
    /// of the line after which it was (see [`BookFeed::first_live`]).
    pub fn first_live(&self) -> Result<usize, Box<NeverLive>> {
        let steps = (self.tick, self.lot);
        let sizes = (self.levels_per_side, self.max_update_levels);
        BookFeed::first_live(&self.tape, self.format, steps, sizes)
    }
}
