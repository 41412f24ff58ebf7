//! A live feed's thread: the venue's WebSocket client ([`live`](super::live)) on its own
//! thread (one per connection, never the loop's), handing every line to the loop's
//! market-data ring as the replay feeder does. Paper trading: the loop's book and the
//! simulated venue's book follow the live lines exactly as they follow a capture.
//!
//! Lines travel as owned byte buffers ([`MdLine::buf`]) that go round: this thread fills
//! one, the loop applies it and forwards it with the line to the venue's gateway, which
//! applies it to the venue's book and hands the buffer back on a recycle ring. After the
//! first lines nothing is allocated: buffers in flight are bounded by the rings they sit
//! in. A buffer the recycle ring cannot take is dropped (freed), never lost track of.
//!
//! Full-ring policy: the thread waits for room (counted in [`LiveStats::waited`]) and
//! drops nothing, so the loop's book never misses a line the client's book applied.
//! While it waits it reads no socket: the venue's stream backs up in TCP, and a venue
//! that drops a slow reader causes a reconnect. A reconnect is told to the loop by a
//! reset marker ([`MD_RESET`]) before the new connection's first line: the loop's and the
//! venue's books start over with the client's and go live again on its snapshot; so are
//! the client's window refreshes (a fresh snapshot when a side ran out). The wait ends
//! on the run's stop flag too.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::clock::Clock;
use super::feeder::MdLine;
use super::live::client::{run_client, LineSink, LiveConfig};
use super::live::Health;
use super::ring::{Consumer, Producer};
use super::wait::{Idle, Wait};
use crate::book::Ladder;

pub use crate::engine::MD_RESET;
/// The line number of the end marker (every feed of the feeder is over).
pub const MD_END: u32 = u32::MAX;

/// What a live feed's thread did.
#[derive(Debug, Clone, Default)]
pub struct LiveStats {
    /// The connection's health at the end.
    pub health: Health,
    /// Lines handed to the loop.
    pub pushed: u64,
    /// Turns spent waiting on a full market-data ring (nothing dropped).
    pub waited: u64,
    /// Line buffers allocated (the rest were reused).
    pub allocated: u64,
    /// Reset markers sent (one per reconnect after the first connection, and per
    /// window refresh).
    pub resets: u64,
    /// When the last line was handed on, and when the thread ended, on the run's clock
    /// (ns; 0 = none): the last message's age at the end is their difference.
    pub last_line_ns: u64,
    /// When the thread ended (run's clock, ns).
    pub end_ns: u64,
}

impl LiveStats {
    /// How long before the end the last line came (`None` without lines).
    pub fn last_line_age_ns(&self) -> Option<u64> {
        (self.pushed > 0).then(|| self.end_ns.saturating_sub(self.last_line_ns))
    }
}

/// One live feed's thread: its client's config and the ring ends it needs.
pub struct LiveFeeder {
    /// The feed's index in the run.
    pub feed: u32,
    /// The client's settings (its `stop` is the run's stop flag).
    pub config: LiveConfig,
    /// The client's own book (the feed's levels).
    pub book: Ladder,
    /// To the loop.
    pub out: Producer<MdLine>,
    /// Buffers back from the venue's gateway.
    pub recycle: Consumer<Vec<u8>>,
    /// The run's clock (lines are stamped with it for the loop's queue latency).
    pub clock: Clock,
    /// Idle policy while the ring is full.
    pub wait: Wait,
}

/// Runs the client until the stop flag (or its failure limit), then pushes the end
/// marker; returns what it did.
pub fn run_live_feeder(f: LiveFeeder) -> LiveStats {
    let LiveFeeder {
        feed,
        config,
        mut book,
        out,
        recycle,
        clock,
        wait,
    } = f;
    let mut sink = Sink {
        feed,
        out,
        recycle,
        clock,
        idle: Idle::new(wait),
        stop: config.stop.clone(),
        epoch: (0, 0),
        next_line: 0,
        stats: LiveStats::default(),
    };
    let health = run_client(&config, &mut book, &mut sink);
    let mut stats = sink.stats;
    stats.health = health;
    stats.end_ns = clock.now_ns();
    let end = MdLine {
        feed,
        line: MD_END,
        pushed_ns: clock.now_ns(),
        buf: None,
    };
    // The end marker is always delivered: the loop is draining the ring.
    let mut msg = end;
    let mut out = sink.out;
    while let Err(back) = out.push(msg) {
        msg = back;
        std::thread::yield_now();
    }
    stats
}

struct Sink {
    feed: u32,
    out: Producer<MdLine>,
    recycle: Consumer<Vec<u8>>,
    clock: Clock,
    idle: Idle,
    stop: Option<Arc<AtomicBool>>,
    /// The client's connections and refreshes at the last line: when they move, the
    /// client's book started over.
    epoch: (u64, u64),
    next_line: u32,
    stats: LiveStats,
}

impl Sink {
    fn stopped(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
    }

    /// Pushes `msg`, waiting for room; `false` when the run stopped while waiting.
    fn push(&mut self, mut msg: MdLine) -> bool {
        loop {
            match self.out.push(msg) {
                Ok(()) => {
                    self.idle.busy();
                    return true;
                }
                Err(back) if self.stopped() => {
                    drop(back);
                    return false;
                }
                Err(back) => {
                    self.stats.waited += 1;
                    msg = back;
                    self.idle.idle(self.clock.now_ns());
                }
            }
        }
    }

    /// A buffer holding `line`: a recycled one, else a new one.
    fn buffer(&mut self, line: &[u8]) -> Vec<u8> {
        let mut buf = self.recycle.pop().unwrap_or_else(|| {
            self.stats.allocated += 1;
            Vec::with_capacity(line.len().max(4_096))
        });
        buf.clear();
        buf.extend_from_slice(line);
        buf
    }

    /// The next line number, skipping the markers.
    fn line_no(&mut self) -> u32 {
        let n = self.next_line;
        self.next_line = if n >= MD_RESET - 1 { 0 } else { n + 1 };
        n
    }
}

impl LineSink for Sink {
    fn on_line(&mut self, line: &[u8], _: &Ladder, _: bool, health: &Health) -> bool {
        let epoch = (health.connects, health.refreshes);
        if epoch != self.epoch {
            // A new connection or a refresh: the loop's and the venue's books start over
            // with the client's (not before the first connection's first line).
            let first = self.epoch.0 == 0;
            self.epoch = epoch;
            if !first {
                self.stats.resets += 1;
                let reset = MdLine {
                    feed: self.feed,
                    line: MD_RESET,
                    pushed_ns: self.clock.now_ns(),
                    buf: None,
                };
                if !self.push(reset) {
                    return false;
                }
            }
        }
        let buf = self.buffer(line);
        // The client stamped the line when it read the frame, on the run's clock: the
        // loop's queue latency then runs from the socket read.
        let read_ns = crate::feed::binance::split_line(line).map(|(ns, _)| ns);
        let msg = MdLine {
            feed: self.feed,
            line: self.line_no(),
            pushed_ns: read_ns.unwrap_or_else(|| self.clock.now_ns()),
            buf: Some(buf),
        };
        if !self.push(msg) {
            return false;
        }
        self.stats.pushed += 1;
        self.stats.last_line_ns = self.clock.now_ns();
        !self.stopped()
    }
}
