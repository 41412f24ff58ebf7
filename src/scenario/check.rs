//! Range checks of scenario values: times turned into nanoseconds within stated caps
//! (never a silent wrap), and amounts and counts that must be positive. Each refusal
//! names the key and the value. The caps are listed in `docs/scenario.md`.

use super::{bad, dec, ScenarioError};
use crate::num::Decimal;

/// Most a one-way latency (`us`, `min_us`, `max_us`, `base_us`) may be, µs: 1 s.
pub const MAX_LATENCY_US: u64 = 1_000_000;
/// Most the heavy tail's `scale_us` may be, µs: 1 ms. A draw adds up to
/// `scale × 2²⁰` to the floor (17.5 min at the cap, about once in 2²⁰ messages).
pub const MAX_TAIL_SCALE_US: u64 = 1_000;
/// Most a fault's duration (`disconnect_ms`, `spike_ms`) may be, ms: 1 min.
pub const MAX_FAULT_MS: u64 = 60_000;
/// Most a timeout, budget or cooldown may be, ms: 1 h.
pub const MAX_WAIT_MS: u64 = 3_600_000;

/// `value` (in units of `unit_ns` ns) as ns, if it is in `min..=max`.
fn to_ns(key: &str, value: u64, unit_ns: u64, min: u64, max: u64) -> Result<u64, ScenarioError> {
    let unit = if unit_ns == 1_000 { "µs" } else { "ms" };
    let out_of_range = || {
        bad(
            key,
            &value.to_string(),
            format!("must be {min}..={max} {unit}"),
        )
    };
    if !(min..=max).contains(&value) {
        return Err(out_of_range());
    }
    value.checked_mul(unit_ns).ok_or_else(out_of_range)
}

/// A latency in µs (`0..=max`) as ns.
pub(crate) fn us(key: &str, value: u64, max: u64) -> Result<u64, ScenarioError> {
    to_ns(key, value, 1_000, 0, max)
}

/// A time in ms (`min..=max`) as ns.
pub(crate) fn ms(key: &str, value: u64, min: u64, max: u64) -> Result<u64, ScenarioError> {
    to_ns(key, value, 1_000_000, min, max)
}

/// A count that must be at least 1 (0 would refuse or open everything).
pub(crate) fn at_least_one(key: &str, n: u32) -> Result<u32, ScenarioError> {
    if n == 0 {
        return Err(bad(key, "0", "must be at least 1"));
    }
    Ok(n)
}

/// A decimal that must be positive (limits, sizes).
pub(crate) fn positive(key: &str, text: &str) -> Result<Decimal, ScenarioError> {
    let d = dec(key, text)?;
    if !d.is_positive() {
        return Err(bad(key, text, "must be positive"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `r` is refused with a message holding every one of `parts`.
    fn refused(r: Result<u64, ScenarioError>, parts: &[&str]) {
        let e = r.unwrap_err().to_string();
        for p in parts {
            assert!(e.contains(p), "{p:?} missing in {e}");
        }
    }

    #[test]
    fn times_convert_exactly_within_their_caps() {
        assert_eq!(us("k", 400, MAX_LATENCY_US).unwrap(), 400_000);
        assert_eq!(
            us("k", MAX_LATENCY_US, MAX_LATENCY_US).unwrap(),
            1_000_000_000
        );
        assert_eq!(ms("k", 15, 0, MAX_FAULT_MS).unwrap(), 15_000_000);
        assert_eq!(
            ms("k", MAX_WAIT_MS, 1, MAX_WAIT_MS).unwrap(),
            3_600_000_000_000
        );
    }

    #[test]
    fn values_that_would_wrap_are_refused_naming_key_and_value() {
        // 18446744073709552 µs × 1000 wraps to 384 ns; 18446744073710 ms × 10⁶ to < 1 ms.
        let k = "venue[0].latency.us";
        let v = 18_446_744_073_709_552;
        refused(us(k, v, MAX_LATENCY_US), &[k, "18446744073709552"]);
        let k = "strategy.cooldown_ms";
        refused(
            ms(k, 18_446_744_073_710, 0, MAX_WAIT_MS),
            &[k, "0..=3600000 ms"],
        );
        let k = "execution.request_timeout_ms";
        refused(ms(k, 0, 1, MAX_WAIT_MS), &[k, "\"0\""]);
        let scale = us("s", 18_446_744_073_709_551, MAX_TAIL_SCALE_US);
        refused(scale, &["0..=1000 µs"]);
    }

    #[test]
    fn zero_counts_and_non_positive_amounts_are_refused() {
        assert_eq!(at_least_one("k", 3).unwrap(), 3);
        assert!(at_least_one("venue[0].limits.burst", 0)
            .unwrap_err()
            .to_string()
            .contains("venue[0].limits.burst"));
        assert!(positive("k", "0.5").is_ok());
        for v in ["-1", "0"] {
            let e = positive("venue[0].limits.max_order_notional", v).unwrap_err();
            assert!(e.to_string().contains(&format!("{v:?}")), "{e}");
        }
    }
}
