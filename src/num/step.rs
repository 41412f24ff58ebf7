//! [`Step`]: an instrument's tick or lot, and exact conversion between decimal text or
//! [`Decimal`] values and whole `i64` units of it.
//!
//! A step is `step × 10^-dp` with `step` a positive `i64` and `dp ≤ 18`. Book prices and
//! sizes live on the hot path as unit counts in `0 ..= MAX_UNITS` (10^15): at a 0.01 tick
//! that is prices up to 10^13, at a 0.001 lot quantities up to 10^12, and at a 1e-8 tick
//! a meme coin still reaches 10^7. Price × size products (≤ 10^30) and their sums over a
//! whole ladder fit in `i128` without checks. Text that is not a whole number of steps is
//! `OffStep`; input is never rounded. Rounding a computed [`Decimal`] to units takes an
//! explicit [`Round`].

use super::decimal::{div_round, Decimal, Round, SCALE_DP};
use super::error::{NumError, Text};
use super::parse::{pow10, scan};

/// Largest unit count (ticks or lots) a book or order may hold: 10^15.
pub const MAX_UNITS: i64 = 1_000_000_000_000_000;

/// Largest step size: 10^4, so that `MAX_UNITS` steps (≤ 10^19) stay inside
/// [`Decimal`]'s range (< 10^20).
pub const MAX_STEP_INT: i64 = 10_000;

/// A tick or a lot: `step × 10^-dp`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Step {
    step: i64,
    dp: u8,
}

impl Step {
    /// The step 1 (a whole unit).
    pub const ONE: Step = Step { step: 1, dp: 0 };

    /// A step of the given positive size, at most 10^4, with at most 18 decimals.
    pub fn new(size: Decimal) -> Result<Step, NumError> {
        let text = || Text::display(size);
        if !size.is_positive() || size > Decimal::from_i64(MAX_STEP_INT) {
            return Err(NumError::BadStep(text()));
        }
        // Fewest decimals that represent `size` exactly.
        let mut dp = SCALE_DP;
        let mut raw = size.raw();
        while dp > 0 && raw % 10 == 0 {
            raw /= 10;
            dp -= 1;
        }
        let step = i64::try_from(raw).map_err(|_| NumError::BadStep(text()))?;
        Ok(Step { step, dp })
    }

    /// Parses a step size from text (`"0.10"`, `"0.001"`, `"1"`).
    pub fn parse(text: &str) -> Result<Step, NumError> {
        let d = Decimal::parse(text)?;
        Step::new(d).map_err(|_| NumError::BadStep(Text::new(text.as_bytes())))
    }

    /// The step as a [`Decimal`].
    pub fn size(self) -> Decimal {
        let scale = pow10(u32::from(SCALE_DP - self.dp)).unwrap_or(1) as i128;
        // step ≤ 10^5 × 10^dp, so step × 10^(18-dp) ≤ 10^23: in range.
        Decimal::from_raw(i128::from(self.step) * scale)
            .unwrap_or(Decimal::ZERO)
            .with_dp(self.dp)
    }

    /// Decimal places needed to print a multiple of this step exactly.
    pub const fn dp(self) -> u8 {
        self.dp
    }

    /// The step in `10^-dp` units.
    pub const fn step_int(self) -> i64 {
        self.step
    }

    /// Exact whole units of non-negative decimal text (`"61800.20"` at tick 0.1 → 618002).
    #[inline]
    pub fn parse_units(self, text: &[u8]) -> Result<i64, NumError> {
        match self.fast_units(text) {
            Some(units) => Ok(units),
            None => self.parse_units_slow(text),
        }
    }

    /// The common case in `u64`: plain `digits[.digits]` whose value is a whole number of
    /// steps in range. `None` sends everything else (and every error) to the exact slow
    /// path, so both give the same answer for every input.
    #[inline]
    fn fast_units(self, text: &[u8]) -> Option<i64> {
        let mut v: u64 = 0;
        let mut i = 0;
        while let Some(&b) = text.get(i) {
            if !b.is_ascii_digit() {
                break;
            }
            v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
            i += 1;
        }
        if i == 0 {
            return None;
        }
        let mut frac = 0u8;
        if text.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while let Some(&b) = text.get(i) {
                if !b.is_ascii_digit() {
                    break;
                }
                if frac < self.dp {
                    v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
                    frac += 1;
                } else if b != b'0' {
                    return None;
                }
                i += 1;
            }
            if i == start {
                return None;
            }
        }
        if i != text.len() {
            return None;
        }
        while frac < self.dp {
            v = v.checked_mul(10)?;
            frac += 1;
        }
        let step = self.step as u64;
        let units = if step == 1 {
            v
        } else if v.is_multiple_of(step) {
            v / step
        } else {
            return None;
        };
        (units <= MAX_UNITS as u64).then_some(units as i64)
    }

    fn parse_units_slow(self, text: &[u8]) -> Result<i64, NumError> {
        let p = scan(text)?;
        if p.neg {
            return Err(NumError::Negative(Text::new(text)));
        }
        let max = MAX_UNITS as u128 * self.step as u128;
        let v = match p.units_at(self.dp, max, text) {
            Ok(v) => v,
            Err(NumError::TooPrecise { .. }) => return Err(self.off_step(text)),
            Err(e) => return Err(e),
        };
        let step = self.step as u128;
        if v % step != 0 {
            return Err(self.off_step(text));
        }
        Ok((v / step) as i64)
    }

    /// The value of `units` steps: exact for `|units| ≤ MAX_UNITS` (≤ 10^19), saturating
    /// at ±`Decimal::MAX` past that (only reachable with unit counts no book or order
    /// holds; callers that take units from outside check them against `MAX_UNITS`).
    pub fn to_decimal(self, units: i64) -> Decimal {
        let scale = pow10(u32::from(SCALE_DP - self.dp)).unwrap_or(1) as i128;
        let raw = i128::from(units)
            .checked_mul(i128::from(self.step))
            .and_then(|r| r.checked_mul(scale));
        raw.and_then(|r| Decimal::from_raw(r).ok())
            .unwrap_or(if units < 0 {
                Decimal::MAX.neg()
            } else {
                Decimal::MAX
            })
            .with_dp(self.dp)
    }

    /// `value` in whole units, rounded in direction `round`; `Range` past ±MAX_UNITS.
    pub fn units_of(self, value: Decimal, round: Round) -> Result<i64, NumError> {
        let unit = self.size().raw();
        let q = div_round(
            ethnum::I256::new(value.raw()),
            ethnum::I256::new(unit),
            round,
        );
        if q.unsigned_abs() > ethnum::U256::new(MAX_UNITS as u128) {
            return Err(NumError::Range(Text::display(value)));
        }
        Ok(q.as_i128() as i64)
    }

    fn off_step(self, text: &[u8]) -> NumError {
        NumError::OffStep {
            text: Text::new(text),
            step: Text::display(self.size()),
        }
    }
}

impl core::fmt::Debug for Step {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Step({})", self.size())
    }
}

impl core::fmt::Display for Step {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.size())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn binance_btcusdt_tick_and_lot() {
        let tick = Step::parse("0.10").unwrap();
        assert_eq!((tick.step_int(), tick.dp()), (1, 1));
        assert_eq!(tick.parse_units(b"61800.20").unwrap(), 618002);
        assert_eq!(tick.to_decimal(618002).to_string(), "61800.2");
        assert!(matches!(
            tick.parse_units(b"61800.25"),
            Err(NumError::OffStep { .. })
        ));
        let lot = Step::parse("0.001").unwrap();
        assert_eq!(lot.parse_units(b"2.909").unwrap(), 2909);
        assert_eq!(lot.parse_units(b"0.000").unwrap(), 0);
        assert!(matches!(lot.parse_units(b"-1"), Err(NumError::Negative(_))));
        // Spot sends 8 decimals of trailing zeros: still exact.
        assert_eq!(
            Step::parse("0.01")
                .unwrap()
                .parse_units(b"61837.63000000")
                .unwrap(),
            6183763
        );
    }

    #[test]
    fn odd_steps() {
        let half = Step::parse("0.5").unwrap();
        assert_eq!(half.parse_units(b"100.5").unwrap(), 201);
        assert!(half.parse_units(b"100.2").is_err());
        let big = Step::parse("100").unwrap();
        assert_eq!(big.parse_units(b"1200").unwrap(), 12);
        assert!(Step::parse("0").is_err());
        assert!(Step::parse("-0.1").is_err());
        assert!(Step::parse("1000000").is_err());
        assert!(Step::parse("10001").is_err());
        assert!(Step::parse("10000").is_ok());
        assert!(matches!(
            Step::parse("0.1")
                .unwrap()
                .parse_units(b"100000000000000.1"),
            Err(NumError::Range(_))
        ));
    }

    #[test]
    fn rounding_to_units_has_a_direction() {
        let lot = Step::parse("0.001").unwrap();
        let q = Decimal::parse("1.23456").unwrap();
        assert_eq!(lot.units_of(q, Round::ToZero).unwrap(), 1234);
        assert_eq!(lot.units_of(q, Round::Ceil).unwrap(), 1235);
        assert_eq!(lot.units_of(q.neg(), Round::ToZero).unwrap(), -1234);
        assert_eq!(lot.units_of(q.neg(), Round::Floor).unwrap(), -1235);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn units_round_trip(units in 0..=MAX_UNITS, step in 1i64..=1000, dp in 0u8..=12) {
            let size = Decimal::from_raw(
                i128::from(step) * 10i128.pow(u32::from(18 - dp))).unwrap();
            prop_assume!(size <= Decimal::from_i64(MAX_STEP_INT));
            let s = Step::new(size).unwrap();
            let text = s.to_decimal(units).to_string();
            prop_assert_eq!(s.parse_units(text.as_bytes()).unwrap(), units);
        }

        #[test]
        fn fast_and_exact_paths_agree(text in "[0-9]{0,22}(\\.[0-9]{0,20})?", step in 0usize..5) {
            let s = Step::parse(["0.1", "0.001", "0.5", "1", "0.00000001"][step]).unwrap();
            let fast = s.fast_units(text.as_bytes());
            let slow = s.parse_units_slow(text.as_bytes());
            if let Some(u) = fast {
                prop_assert_eq!(Ok(u), slow);
            }
            prop_assert_eq!(s.parse_units(text.as_bytes()), slow);
        }

        #[test]
        fn quantize_toward_zero_never_exceeds(raw in 0i128..10i128.pow(30), lot_dp in 0u8..=8) {
            let lot = Step::new(Decimal::from_raw(10i128.pow(u32::from(18 - lot_dp))).unwrap())
                .unwrap();
            let q = Decimal::from_raw(raw).unwrap();
            let units = match lot.units_of(q, Round::ToZero) {
                Ok(u) => u,
                Err(e) => {
                    prop_assert!(matches!(e, NumError::Range(_)));
                    prop_assert!(q > lot.to_decimal(MAX_UNITS));
                    return Ok(());
                }
            };
            let back = lot.to_decimal(units);
            prop_assert!(back <= q);
            prop_assert!(q.checked_sub(back).unwrap() < lot.size());
        }
    }
}
