//! [`Ratio`]: dimensionless results (basis points, fractions, scores) as `fixed::I64F64`.
//!
//! Ratios of two exact integers are not decimals: 1/3 of a basis point has no finite
//! decimal form, and rounding it to 18 places would pretend to a precision that means
//! nothing. The `fixed` crate's `I64F64` holds them as binary fixed point (64 integer bits,
//! 64 fraction bits, ~1e-19 resolution), is `Copy`, compares and adds without allocation,
//! and converts to `f64` only where a report is printed. Division truncates toward zero.

use ethnum::I256;
use fixed::types::I64F64;

use super::error::NumError;

/// A dimensionless fixed-point value (bps, fractions, scores).
pub type Ratio = I64F64;

/// `num ÷ den` as a [`Ratio`], truncated toward zero; `Overflow` past ±2^63.
#[inline]
pub fn ratio(num: i128, den: i128) -> Result<Ratio, NumError> {
    if den == 0 {
        return Err(NumError::DivZero("ratio"));
    }
    // Fast path: |num| < 2^63 lets `num << 64` stay in i128.
    if num.unsigned_abs() < 1u128 << 63 {
        if let Some(bits) = (num << 64).checked_div(den) {
            return Ok(Ratio::from_bits(bits));
        }
    }
    let q: I256 = (I256::new(num) << 64u32) / I256::new(den);
    if q > I256::new(i128::MAX) || q < I256::new(i128::MIN) {
        return Err(NumError::Overflow("ratio"));
    }
    Ok(Ratio::from_bits(q.as_i128()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_where_binary_allows() {
        assert_eq!(ratio(1, 2).unwrap(), Ratio::from_num(0.5));
        assert_eq!(ratio(-3, 4).unwrap(), Ratio::from_num(-0.75));
        assert_eq!(ratio(10_000, 1).unwrap(), Ratio::from_num(10_000));
        let big = ratio(1i128 << 100, 1i128 << 90).unwrap();
        assert_eq!(big, Ratio::from_num(1024));
        assert!(ratio(1i128 << 100, 1).is_err());
        assert!(ratio(1, 0).is_err());
        let third = ratio(1, 3).unwrap().to_num::<f64>();
        assert!((third - 1.0 / 3.0).abs() < 1e-15);
    }
}
