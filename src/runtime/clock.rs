//! The runtime's monotonic clock: the only clock in the crate. The engine never reads it;
//! the runtime stamps each event with one reading and hands it in.
//!
//! `std::time::Instant` under it: about 20 ns a read through the vDSO on the bench
//! machine; a TSC read would be cheaper but needs unsafe code, which the crate keeps to
//! its ring.

use std::time::Instant;

/// A monotonic clock in ns since its creation.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin: Instant,
}

impl Clock {
    /// A clock starting at 0 now.
    pub fn new() -> Clock {
        Clock {
            origin: Instant::now(),
        }
    }

    /// Nanoseconds since the clock was made (saturating at `u64::MAX`, 584 years).
    #[inline]
    pub fn now_ns(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::Clock;

    #[test]
    fn the_clock_never_goes_back() {
        let c = Clock::new();
        let (a, b) = (c.now_ns(), c.now_ns());
        assert!(b >= a);
    }
}
