//! Exact decimal text scanning shared by [`Decimal`](super::Decimal) and
//! [`Step`](super::Step).
//!
//! Grammar: `-? digit+ ( '.' digit+ )? ( [eE] [+-]? digit+ )?`. A leading `+`, a bare `.`,
//! `"1."`, `".5"`, separators, whitespace and anything else are syntax errors; `NaN`,
//! `inf` and `infinity` (any case, any sign) are reported as [`NumError::NotFinite`].
//! Leading zeros are accepted (`"007"` is 7). The value is kept as an exact integer
//! mantissa and a power of ten; nothing is rounded here.

use super::error::{NumError, Text};

/// Exact powers of ten that fit in `u128` (10^0 ..= 10^38).
pub(crate) const POW10: [u128; 39] = {
    let mut t = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// `10^n` if it fits in `u128`.
pub(crate) fn pow10(n: u32) -> Option<u128> {
    POW10.get(n as usize).copied()
}

/// A scanned decimal: `value = (-1)^neg * mantissa * 10^exp10`, with no trailing zeros
/// left in a non-zero mantissa.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parts {
    pub neg: bool,
    pub mantissa: u128,
    pub exp10: i32,
    /// Decimal places as written (after applying an exponent), for printing back.
    pub written_dp: u8,
}

/// Largest power of ten a non-zero value may have (far past the 10^±38 that fits).
const EXP_CAP: i64 = 100_000;

fn not_finite(body: &[u8]) -> bool {
    body.eq_ignore_ascii_case(b"nan")
        || body.eq_ignore_ascii_case(b"inf")
        || body.eq_ignore_ascii_case(b"infinity")
}

/// Splits a leading `-` off `text`: `(negative, digits)`. NaN and infinities, signed
/// or not, are refused as not finite.
#[inline]
fn split_sign(text: &[u8]) -> Result<(bool, &[u8]), NumError> {
    let (neg, body) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) if not_finite(rest) => return Err(NumError::NotFinite(Text::new(text))),
        _ => (false, text),
    };
    if not_finite(body) {
        return Err(NumError::NotFinite(Text::new(text)));
    }
    Ok((neg, body))
}

/// `mantissa` (non-zero) with the `pending_zeros` zeros held back and then digit `d`
/// appended, or `None` past `u128`.
#[inline]
fn append_digit(mantissa: u128, pending_zeros: i64, d: u8) -> Option<u128> {
    let scale = u32::try_from(pending_zeros + 1).ok().and_then(pow10)?;
    mantissa.checked_mul(scale)?.checked_add(u128::from(d))
}

/// Scans `text` into exact [`Parts`].
pub(crate) fn scan(text: &[u8]) -> Result<Parts, NumError> {
    let syntax = || NumError::Syntax(Text::new(text));
    let (neg, body) = split_sign(text)?;
    let mut mantissa: u128 = 0;
    // Counts are i64: input length bounds them far below 2^62, so no arithmetic on them
    // can overflow, and exponents are exact (never saturated into a wrong value).
    let mut pending_zeros: i64 = 0;
    let mut frac_digits: i64 = 0;
    let mut int_digits = 0u32;
    let mut i = 0usize;
    let mut in_frac = false;
    let mut seen_frac_digit = false;
    while let Some(&b) = body.get(i) {
        match b {
            b'0'..=b'9' => {
                if in_frac {
                    frac_digits += 1;
                    seen_frac_digit = true;
                } else {
                    int_digits += 1;
                }
                if b == b'0' {
                    pending_zeros += 1;
                } else if mantissa == 0 {
                    // Leading zeros carry no digits; `frac_digits` keeps their place value.
                    mantissa = u128::from(b - b'0');
                    pending_zeros = 0;
                } else {
                    mantissa = append_digit(mantissa, pending_zeros, b - b'0')
                        .ok_or_else(|| NumError::Range(Text::new(text)))?;
                    pending_zeros = 0;
                }
            }
            b'.' if !in_frac && int_digits > 0 => in_frac = true,
            b'e' | b'E' => break,
            _ => return Err(syntax()),
        }
        i += 1;
    }
    if int_digits == 0 || (in_frac && !seen_frac_digit) {
        return Err(syntax());
    }
    let exp = match body.get(i) {
        Some(_) => scan_exponent(body.get(i + 1..).unwrap_or(&[])).ok_or_else(syntax)?,
        None => 0,
    };
    let exp10 = if mantissa == 0 {
        0
    } else {
        pending_zeros - frac_digits + exp
    };
    let written_dp = (frac_digits - exp).clamp(0, 18) as u8;
    // A non-zero value this far from 10^0 is outside every scale legcore uses.
    if mantissa != 0 && !(-EXP_CAP..=EXP_CAP).contains(&exp10) {
        return Err(NumError::Range(Text::new(text)));
    }
    let exp10 = exp10 as i32;
    Ok(Parts {
        neg: neg && mantissa != 0,
        mantissa,
        exp10,
        written_dp,
    })
}

/// Reads `[+-]? digit+`, saturating at ±10^15 (more than any input's digit count, so a
/// saturated exponent still puts the value out of range rather than somewhere wrong).
fn scan_exponent(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.split_first() {
        Some((b'-', r)) => (true, r),
        Some((b'+', r)) => (false, r),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut e: i64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        e = (e * 10 + i64::from(b - b'0')).min(1_000_000_000_000_000);
    }
    Some(if neg { -e } else { e })
}

impl Parts {
    /// The magnitude as an integer count of `10^-dp` units, exactly, or the reason it
    /// is not representable: `TooPrecise` if non-zero digits lie beyond `dp` places,
    /// `Range` if it exceeds `max`.
    pub(crate) fn units_at(&self, dp: u8, max: u128, text: &[u8]) -> Result<u128, NumError> {
        if self.mantissa == 0 {
            return Ok(0);
        }
        let shift = self.exp10 + i32::from(dp);
        if shift < 0 {
            return Err(NumError::TooPrecise {
                text: Text::new(text),
                max_dp: dp,
            });
        }
        let v = pow10(shift as u32)
            .and_then(|p| self.mantissa.checked_mul(p))
            .ok_or_else(|| NumError::Range(Text::new(text)))?;
        if v > max {
            return Err(NumError::Range(Text::new(text)));
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Parts {
        scan(s.as_bytes()).unwrap()
    }

    #[test]
    fn scans_exchange_shapes() {
        let p = ok("61800.20");
        assert_eq!(
            (p.mantissa, p.exp10, p.written_dp, p.neg),
            (618002, -1, 2, false)
        );
        let p = ok("0.000");
        assert_eq!((p.mantissa, p.exp10, p.written_dp), (0, 0, 3));
        let p = ok("61837.63000000");
        assert_eq!((p.mantissa, p.exp10, p.written_dp), (6183763, -2, 8));
        let p = ok("1e-5");
        assert_eq!((p.mantissa, p.exp10, p.written_dp), (1, -5, 5));
        let p = ok("1000");
        assert_eq!((p.mantissa, p.exp10), (1, 3));
        let p = ok("-2.5E+2");
        assert_eq!((p.mantissa, p.exp10, p.neg), (25, 1, true));
        assert!(!ok("-0.0").neg, "negative zero is zero");
    }

    #[test]
    fn rejects_bad_text() {
        for s in [
            "", "-", "+1", "1.", ".5", "1..2", "1,5", " 1", "1 ", "1e", "1e+", "0x10", "--1",
        ] {
            assert!(
                matches!(scan(s.as_bytes()), Err(NumError::Syntax(_))),
                "{s:?} should be a syntax error"
            );
        }
        for s in ["NaN", "nan", "-inf", "+Infinity", "INF"] {
            assert!(
                matches!(scan(s.as_bytes()), Err(NumError::NotFinite(_))),
                "{s}"
            );
        }
    }

    #[test]
    fn long_zero_tails_do_not_overflow() {
        let s = format!("1.{}", "0".repeat(200));
        assert_eq!(ok(&s).mantissa, 1);
        let s = "9".repeat(40);
        assert!(matches!(scan(s.as_bytes()), Err(NumError::Range(_))));
    }

    #[test]
    fn huge_exponents_are_exact_or_out_of_range() {
        // 1 followed by 100001 zeros, times 10^-100001, is exactly 1.
        let s = format!("1{}e-100001", "0".repeat(100_001));
        let p = ok(&s);
        assert_eq!((p.mantissa, p.exp10), (1, 0));
        assert!(matches!(
            scan(b"1e99999999999999999999"),
            Err(NumError::Range(_))
        ));
        assert!(matches!(
            scan(b"1e-99999999999999999999"),
            Err(NumError::Range(_))
        ));
        assert_eq!(ok("0e99999999999999999999").mantissa, 0);
    }

    #[test]
    fn leading_zeros_cost_nothing() {
        let s = format!("{}1", "0".repeat(60));
        assert_eq!((ok(&s).mantissa, ok(&s).exp10), (1, 0));
        let s = format!("0.{}1", "0".repeat(30));
        assert_eq!((ok(&s).mantissa, ok(&s).exp10), (1, -31));
    }

    #[test]
    fn units_at_is_exact_or_typed() {
        let p = ok("61800.20");
        assert_eq!(p.units_at(2, u128::MAX, b"").unwrap(), 6180020);
        assert_eq!(p.units_at(1, u128::MAX, b"").unwrap(), 618002);
        assert!(matches!(
            p.units_at(0, u128::MAX, b""),
            Err(NumError::TooPrecise { .. })
        ));
        assert!(matches!(p.units_at(2, 100, b""), Err(NumError::Range(_))));
    }
}
