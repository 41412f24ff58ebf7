//! How an idle thread waits for work: [`Wait`].
//!
//! - `BusySpin`: never gives the core away (lowest latency; burns the core).
//! - `SpinThenYield { spins }`: spins that many idle turns, then yields each turn.
//! - `Park { idle_ns }`: spins, then after `idle_ns` of idleness sleeps 50 µs a turn
//!   (for shared machines and tests; the sleep is a syscall, so not for the hot path).

use std::time::Duration;

/// An idle-wait policy. See the module doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Spin forever.
    BusySpin,
    /// Spin, then yield.
    SpinThenYield {
        /// Idle turns spun before yielding.
        spins: u32,
    },
    /// Spin, then sleep after `idle_ns` of idleness.
    Park {
        /// Idle time before sleeping.
        idle_ns: u64,
    },
}

/// Per-thread idle state for a [`Wait`].
#[derive(Debug, Clone, Copy)]
pub struct Idle {
    wait: Wait,
    turns: u32,
    since_ns: Option<u64>,
}

impl Idle {
    /// Idle state for `wait`.
    pub fn new(wait: Wait) -> Idle {
        Idle {
            wait,
            turns: 0,
            since_ns: None,
        }
    }

    /// The thread did work: back to spinning.
    #[inline]
    pub fn busy(&mut self) {
        self.turns = 0;
        self.since_ns = None;
    }

    /// The thread found nothing to do at `now_ns`: wait as the policy says.
    #[inline]
    pub fn idle(&mut self, now_ns: u64) {
        self.turns = self.turns.saturating_add(1);
        let since = *self.since_ns.get_or_insert(now_ns);
        match self.wait {
            Wait::BusySpin => std::hint::spin_loop(),
            Wait::SpinThenYield { spins } if self.turns <= spins => std::hint::spin_loop(),
            Wait::SpinThenYield { .. } => std::thread::yield_now(),
            Wait::Park { idle_ns } if now_ns.saturating_sub(since) < idle_ns => {
                std::hint::spin_loop()
            }
            Wait::Park { .. } => std::thread::sleep(Duration::from_micros(50)),
        }
    }
}
