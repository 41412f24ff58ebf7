//! [`ServeFeed`]: what the paper venue's book follows. A recorded capture is replayed at
//! the scenario's speed from the server's start; a live stream (a scenario venue with
//! `source = "live"`) runs the live client on its own thread, whose lines (and a reset
//! marker at each new connection or snapshot refresh, so the venue's book starts over
//! with the client's) come to the server thread over a channel and are applied there.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::book::Ladder;
use crate::feed::{BookFeed, Tape};
use crate::runtime::live::client::{run_client, LineSink, LiveConfig};
use crate::runtime::live::Health;
use crate::runtime::Speed;

/// A recorded capture replayed at a speed.
struct Recorded {
    tape: Arc<Tape>,
    speed: Speed,
    next: usize,
}

/// A live stream's client thread and the lines it hands over.
struct Live {
    rx: Receiver<Option<Vec<u8>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Health>>,
}

impl Drop for Live {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join(); // the client checks its stop flag within its poll period
        }
    }
}

enum Source {
    Recorded(Recorded),
    Live(Live),
}

/// The feed the venue's book follows. See the module doc.
pub struct ServeFeed {
    source: Source,
    sync: BookFeed,
}

/// Hands each line of the client, and a reset at each new connection, to the server.
struct ChannelSink {
    tx: Sender<Option<Vec<u8>>>,
    epoch: (u64, u64),
}

impl LineSink for ChannelSink {
    fn on_line(&mut self, line: &[u8], _: &Ladder, _: bool, health: &Health) -> bool {
        let epoch = (health.connects, health.refreshes);
        if epoch != self.epoch {
            let first = self.epoch.0 == 0;
            self.epoch = epoch;
            if !first && self.tx.send(None).is_err() {
                return false;
            }
        }
        // The server gone (a closed channel) stops the client.
        self.tx.send(Some(line.to_vec())).is_ok()
    }
}

impl ServeFeed {
    /// Replays `tape` through `sync` at `speed` from the server's start.
    pub fn recorded(tape: Arc<Tape>, sync: BookFeed, speed: Speed) -> ServeFeed {
        ServeFeed {
            source: Source::Recorded(Recorded {
                tape,
                speed,
                next: 0,
            }),
            sync,
        }
    }

    /// Follows the live stream of `cfg` (its client on its own thread, its book sized
    /// `levels` a side with `max_update` levels a message) through `sync`.
    pub fn live(mut cfg: LiveConfig, sync: BookFeed, levels: usize, max_update: usize) -> Self {
        let (tx, rx) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        cfg.stop = Some(stop.clone());
        let thread = super::super::spawn("legcore-serve-feed".into(), move || {
            let mut book = Ladder::new(levels, max_update);
            let mut sink = ChannelSink { tx, epoch: (0, 0) };
            run_client(&cfg, &mut book, &mut sink)
        });
        ServeFeed {
            source: Source::Live(Live {
                rx,
                stop,
                thread: Some(thread),
            }),
            sync,
        }
    }

    /// Applies the next line due by `now_ns` (since the server's start) to `book`, or
    /// starts it over at a live client's new connection; false when nothing is due.
    pub(super) fn step(&mut self, now_ns: u64, book: &mut Ladder) -> bool {
        match &mut self.source {
            Source::Recorded(r) => match r.due(now_ns) {
                Some(i) => {
                    self.sync.on_line(book, r.tape.line(i));
                    true
                }
                None => false,
            },
            Source::Live(l) => match l.rx.try_recv() {
                Ok(None) => {
                    self.sync.reset(book);
                    true
                }
                Ok(Some(line)) => {
                    self.sync.on_line(book, &line);
                    true
                }
                Err(_) => false,
            },
        }
    }
}

impl Recorded {
    fn due(&mut self, now_ns: u64) -> Option<usize> {
        let i = self.next;
        if i >= self.tape.len() {
            return None;
        }
        let at = match self.speed {
            Speed::Max => 0,
            Speed::Times(n) => {
                let gap = self
                    .tape
                    .recorded_ns(i)
                    .saturating_sub(self.tape.recorded_ns(0));
                gap / u64::from(n.max(1))
            }
            Speed::Rate(r) => (i as u64).saturating_mul(1_000_000_000) / r.max(1),
        };
        (at <= now_ns).then(|| {
            self.next += 1;
            i
        })
    }
}
