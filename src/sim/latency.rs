//! [`Latency`]: how long a simulated message takes, drawn from a seeded [`Rng`].
//!
//! - `Fixed`: always the same.
//! - `Uniform`: uniform in `lo..=hi`.
//! - `HeavyTailed`: `base` plus a uniform draw from `0..=scale × 2ᵏ`, where `k` is
//!   geometric (P(k) = 2⁻⁽ᵏ⁺¹⁾, capped at 20): most messages take about `base`, a few take
//!   many times longer, like a real network's tail. Integer-only, so a seed replays
//!   exactly on every platform.

use super::Rng;

/// A latency model. See the module doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Latency {
    /// Always `ns`.
    Fixed {
        /// The latency.
        ns: u64,
    },
    /// Uniform in `lo_ns..=hi_ns`.
    Uniform {
        /// Least latency.
        lo_ns: u64,
        /// Most latency.
        hi_ns: u64,
    },
    /// `base_ns` plus a heavy tail of scale `scale_ns`.
    HeavyTailed {
        /// Floor.
        base_ns: u64,
        /// Scale of the tail.
        scale_ns: u64,
    },
}

/// Cap of the tail's doubling exponent.
const MAX_DOUBLINGS: u32 = 20;

impl Latency {
    /// One draw.
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        match *self {
            Latency::Fixed { ns } => ns,
            Latency::Uniform { lo_ns, hi_ns } => {
                let (lo, hi) = (lo_ns.min(hi_ns), lo_ns.max(hi_ns));
                lo + rng.below(hi - lo + 1)
            }
            Latency::HeavyTailed { base_ns, scale_ns } => {
                let k = (rng.next_u64() | 1 << MAX_DOUBLINGS).trailing_zeros();
                let span = scale_ns.saturating_mul(1 << k).saturating_add(1);
                base_ns.saturating_add(rng.below(span))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_stay_in_their_ranges_and_the_tail_is_heavy() {
        let mut rng = Rng::new(1);
        assert_eq!(Latency::Fixed { ns: 5 }.sample(&mut rng), 5);
        let u = Latency::Uniform {
            lo_ns: 10,
            hi_ns: 20,
        };
        assert!((0..1_000).all(|_| (10..=20).contains(&u.sample(&mut rng))));
        let h = Latency::HeavyTailed {
            base_ns: 1_000,
            scale_ns: 100,
        };
        let mut draws: Vec<u64> = (0..100_000).map(|_| h.sample(&mut rng)).collect();
        draws.sort_unstable();
        let (p50, p999) = (draws[50_000], draws[99_900]);
        assert!(draws[0] >= 1_000);
        assert!(p50 < 1_200, "p50 {p50}");
        assert!(p999 > 10 * (p50 - 1_000), "p99.9 {p999} vs p50 {p50}");
    }
}
