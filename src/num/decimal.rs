//! [`Decimal`]: exact signed money and quantity values at one fixed scale.
//!
//! A value is an `i128` count of 10^-18 units. The range is |x| ≤ 10^20 − 10^-18
//! (`|raw| ≤ 10^38 − 1`): a 10^12-unit meme-coin quantity, a 10^5-dollar BTC price and
//! their product all fit, with 18 decimals below them. Every operation that can leave the
//! range or lose digits takes a [`Round`] and returns `Result`; products and quotients use a
//! 256-bit intermediate (`ethnum`), so `a * b / c` is exact before its single rounding.
//!
//! `Decimal` also remembers how many decimal places it was written with, so that
//! `"61800.20"` prints back as `"61800.20"` and `"0.000"` as `"0.000"`; equality,
//! ordering and hashing look at the value only.
//!
//! This type is for the edges and for cross-venue money (sizing, reports). Book prices and
//! sizes on the hot path are `i64` ticks and lots of an instrument ([`Step`](super::Step)).

use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::str::FromStr;

use ethnum::I256;

use super::error::{NumError, Text};
use super::parse::{scan, POW10};

/// Decimal places of [`Decimal`].
pub const SCALE_DP: u8 = 18;
/// `10^SCALE_DP`, the raw value of 1.
pub const SCALE: i128 = 1_000_000_000_000_000_000;
/// Largest raw magnitude: 10^38 − 1.
pub const MAX_RAW: i128 = 99_999_999_999_999_999_999_999_999_999_999_999_999;

/// A rounding direction. Every lossy operation in legcore names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    /// Toward zero (truncate). Quantities to a lot use this: never trade more than asked.
    ToZero,
    /// Away from zero.
    AwayFromZero,
    /// Toward negative infinity.
    Floor,
    /// Toward positive infinity.
    Ceil,
    /// To nearest, ties to even (banker's rounding); for display-only derivations.
    HalfEven,
}

/// An exact fixed-point decimal: `raw × 10^-18`. See the module doc.
#[derive(Clone, Copy)]
pub struct Decimal {
    raw: i128,
    dp: u8,
}

impl Decimal {
    /// Zero.
    pub const ZERO: Decimal = Decimal { raw: 0, dp: 0 };
    /// One.
    pub const ONE: Decimal = Decimal { raw: SCALE, dp: 0 };
    /// The largest value.
    pub const MAX: Decimal = Decimal {
        raw: MAX_RAW,
        dp: SCALE_DP,
    };

    /// Parses decimal text exactly (a leading `-` allowed). See the [`num`](super) module
    /// doc for the grammar. More than 18 decimals is `TooPrecise`; past the range is
    /// `Range`.
    pub fn parse(text: &str) -> Result<Decimal, NumError> {
        Self::parse_bytes(text.as_bytes())
    }

    /// [`Decimal::parse`] on bytes.
    pub fn parse_bytes(text: &[u8]) -> Result<Decimal, NumError> {
        let p = scan(text)?;
        let mag = p.units_at(SCALE_DP, MAX_RAW as u128, text)? as i128;
        Ok(Decimal {
            raw: if p.neg { -mag } else { mag },
            dp: p.written_dp,
        })
    }

    /// Parses text that must not be negative (prices, sizes, notionals): any leading `-`,
    /// even on zero, is refused.
    pub fn parse_non_negative(text: &str) -> Result<Decimal, NumError> {
        let d = Self::parse(text)?;
        if text.starts_with('-') {
            return Err(NumError::Negative(Text::new(text.as_bytes())));
        }
        Ok(d)
    }

    /// From a raw count of 10^-18 units, checking the range.
    pub fn from_raw(raw: i128) -> Result<Decimal, NumError> {
        if raw.unsigned_abs() > MAX_RAW as u128 {
            return Err(NumError::Overflow("Decimal::from_raw"));
        }
        Ok(Decimal { raw, dp: 0 })
    }

    /// An integer value (always in range).
    pub const fn from_i64(v: i64) -> Decimal {
        Decimal {
            raw: v as i128 * SCALE,
            dp: 0,
        }
    }

    /// The raw count of 10^-18 units.
    pub const fn raw(self) -> i128 {
        self.raw
    }

    /// Decimal places this value prints with at least.
    pub const fn written_dp(self) -> u8 {
        self.dp
    }

    /// The same value, printing with at least `dp` decimals (capped at 18).
    pub fn with_dp(self, dp: u8) -> Decimal {
        Decimal {
            raw: self.raw,
            dp: dp.min(SCALE_DP),
        }
    }

    /// The same value with [`written_dp`](Self::written_dp) set to the places it prints
    /// with, so that it reads back from its text identical: a computed value and the same
    /// value read from a report then add up and print alike.
    pub fn canonical(self) -> Decimal {
        let mut frac = self.raw.unsigned_abs() % SCALE as u128;
        let mut digits = SCALE_DP;
        while digits > self.dp && frac.is_multiple_of(10) {
            frac /= 10;
            digits -= 1;
        }
        Decimal {
            raw: self.raw,
            dp: digits,
        }
    }

    /// True for zero.
    pub const fn is_zero(self) -> bool {
        self.raw == 0
    }

    /// True below zero.
    pub const fn is_negative(self) -> bool {
        self.raw < 0
    }

    /// True above zero.
    pub const fn is_positive(self) -> bool {
        self.raw > 0
    }

    /// Absolute value (always in range: the range is symmetric).
    pub const fn abs(self) -> Decimal {
        Decimal {
            raw: self.raw.abs(),
            dp: self.dp,
        }
    }

    /// Negation (always in range).
    pub const fn neg(self) -> Decimal {
        Decimal {
            raw: -self.raw,
            dp: self.dp,
        }
    }

    /// `self + rhs`, or `Overflow`.
    pub fn checked_add(self, rhs: Decimal) -> Result<Decimal, NumError> {
        let raw = self
            .raw
            .checked_add(rhs.raw)
            .ok_or(NumError::Overflow("Decimal add"))?;
        Self::ranged(raw, self.dp.max(rhs.dp), "Decimal add")
    }

    /// `self - rhs`, or `Overflow`.
    pub fn checked_sub(self, rhs: Decimal) -> Result<Decimal, NumError> {
        let raw = self
            .raw
            .checked_sub(rhs.raw)
            .ok_or(NumError::Overflow("Decimal sub"))?;
        Self::ranged(raw, self.dp.max(rhs.dp), "Decimal sub")
    }

    /// `self × rhs`, rounded once in `round` at 18 decimals.
    pub fn mul(self, rhs: Decimal, round: Round) -> Result<Decimal, NumError> {
        let n = I256::new(self.raw) * I256::new(rhs.raw);
        let q = div_round(n, I256::new(SCALE), round);
        let dp = (u16::from(self.dp) + u16::from(rhs.dp)).min(u16::from(SCALE_DP)) as u8;
        Self::from_wide(q, dp, "Decimal mul")
    }

    /// `self ÷ rhs`, rounded once in `round` at 18 decimals.
    pub fn div(self, rhs: Decimal, round: Round) -> Result<Decimal, NumError> {
        if rhs.raw == 0 {
            return Err(NumError::DivZero("Decimal div"));
        }
        let n = I256::new(self.raw) * I256::new(SCALE);
        let q = div_round(n, I256::new(rhs.raw), round);
        Self::from_wide(q, 0, "Decimal div")
    }

    /// `self × num ÷ den` with an exact intermediate and one rounding.
    pub fn mul_div(self, num: Decimal, den: Decimal, round: Round) -> Result<Decimal, NumError> {
        if den.raw == 0 {
            return Err(NumError::DivZero("Decimal mul_div"));
        }
        let n = I256::new(self.raw) * I256::new(num.raw);
        let q = div_round(n, I256::new(den.raw), round);
        Self::from_wide(q, 0, "Decimal mul_div")
    }

    /// `self × k` for an integer `k`.
    pub fn mul_int(self, k: i128) -> Result<Decimal, NumError> {
        let q = I256::new(self.raw) * I256::new(k);
        Self::from_wide(q, self.dp, "Decimal mul_int")
    }

    /// Rounds to `dp` decimal places in direction `round`; `Overflow` if rounding away
    /// from zero leaves the range (only next to ±`MAX`).
    pub fn round_dp(self, dp: u8, round: Round) -> Result<Decimal, NumError> {
        let dp = dp.min(SCALE_DP);
        let unit = I256::new(POW10[usize::from(SCALE_DP - dp)] as i128);
        let q = div_round(I256::new(self.raw), unit, round);
        Self::from_wide(q * unit, dp, "Decimal round_dp")
    }

    /// The nearest `f64`, for display and plotting only.
    pub fn to_f64(self) -> f64 {
        self.raw as f64 / SCALE as f64
    }

    pub(crate) fn from_wide(q: I256, dp: u8, op: &'static str) -> Result<Decimal, NumError> {
        if q.unsigned_abs() > ethnum::U256::new(MAX_RAW as u128) {
            return Err(NumError::Overflow(op));
        }
        Ok(Decimal {
            raw: q.as_i128(),
            dp,
        })
    }

    fn ranged(raw: i128, dp: u8, op: &'static str) -> Result<Decimal, NumError> {
        if raw.unsigned_abs() > MAX_RAW as u128 {
            return Err(NumError::Overflow(op));
        }
        Ok(Decimal { raw, dp })
    }
}

/// `n ÷ d` rounded in direction `round`; `d` must be non-zero.
pub(crate) fn div_round(n: I256, d: I256, round: Round) -> I256 {
    let q = n / d; // truncates toward zero
    let r = n % d;
    if r == 0 {
        return q;
    }
    let positive = n.is_negative() == d.is_negative();
    let away = if positive { q + 1 } else { q - 1 };
    match round {
        Round::ToZero => q,
        Round::AwayFromZero => away,
        Round::Floor => {
            if positive {
                q
            } else {
                away
            }
        }
        Round::Ceil => {
            if positive {
                away
            } else {
                q
            }
        }
        Round::HalfEven => {
            let twice = r.unsigned_abs() * 2;
            match twice.cmp(&d.unsigned_abs()) {
                Ordering::Less => q,
                Ordering::Greater => away,
                Ordering::Equal if q % 2 == 0 => q,
                Ordering::Equal => away,
            }
        }
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}
impl Eq for Decimal {}
impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        self.raw.cmp(&other.raw)
    }
}
impl Hash for Decimal {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.raw.hash(state);
    }
}

impl Default for Decimal {
    fn default() -> Self {
        Decimal::ZERO
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mag = self.raw.unsigned_abs();
        let int = mag / SCALE as u128;
        let mut frac = mag % SCALE as u128;
        let mut digits = usize::from(SCALE_DP);
        while digits > usize::from(self.dp) && frac.is_multiple_of(10) {
            frac /= 10;
            digits -= 1;
        }
        let sign = if self.raw < 0 { "-" } else { "" };
        if digits == 0 {
            write!(f, "{sign}{int}")
        } else {
            write!(f, "{sign}{int}.{frac:0digits$}")
        }
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({self})")
    }
}

impl FromStr for Decimal {
    type Err = NumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Decimal::parse(s)
    }
}

/// A decimal string in JSON (`"61800.20"`), as written: never a float, so a journal or
/// report keeps every digit.
impl serde::Serialize for Decimal {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Reads a decimal string; anything else (a number, a bad decimal) is an error naming the
/// value, so a reader refuses the line instead of defaulting it.
impl<'de> serde::Deserialize<'de> for Decimal {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Decimal;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal string such as \"12.5\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Decimal, E> {
                Decimal::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn canonical_reads_back_identical() {
        for (v, text) in [
            (d("1.5").mul(d("2"), Round::HalfEven).unwrap(), "3.0"),
            (d("0.10").mul(d("3"), Round::HalfEven).unwrap(), "0.30"),
            (
                Decimal::from_i64(7).div(d("4"), Round::HalfEven).unwrap(),
                "1.75",
            ),
        ] {
            let c = v.canonical();
            assert_eq!(c.to_string(), v.to_string());
            assert_eq!(c.to_string(), text);
            let back = d(&c.to_string());
            assert_eq!(back.written_dp(), c.written_dp(), "{text}");
            let sum = c.checked_add(d("0.05")).unwrap();
            let read = back.checked_add(d("0.05")).unwrap();
            assert_eq!(sum.to_string(), read.to_string());
        }
    }

    #[test]
    fn serde_is_a_decimal_string_and_refuses_bad_text() {
        let v = d("61800.20");
        assert_eq!(serde_json::to_string(&v).unwrap(), "\"61800.20\"");
        let back: Decimal = serde_json::from_str("\"61800.20\"").unwrap();
        assert_eq!(back.to_string(), "61800.20");
        for bad in ["\"1.2.3\"", "\"\"", "1.5", "null"] {
            assert!(serde_json::from_str::<Decimal>(bad).is_err(), "{bad}");
        }
        let e = serde_json::from_str::<Decimal>("\"12x\"").unwrap_err();
        assert!(e.to_string().contains("12x"), "{e}");
    }

    #[test]
    fn prints_back_as_written() {
        for s in [
            "61800.20",
            "0.000",
            "0",
            "2.5",
            "-1.25",
            "100000",
            "0.000000000000000001",
        ] {
            assert_eq!(d(s).to_string(), s);
        }
        assert_eq!(d("1e-5").to_string(), "0.00001");
        assert_eq!(d("007.50").to_string(), "7.50");
        assert_eq!(
            Decimal::MAX.to_string(),
            "99999999999999999999.999999999999999999"
        );
    }

    #[test]
    fn range_and_scale_are_enforced() {
        assert!(Decimal::parse("99999999999999999999.999999999999999999").is_ok());
        assert!(matches!(
            Decimal::parse("100000000000000000000"),
            Err(NumError::Range(_))
        ));
        assert!(matches!(
            Decimal::parse("0.0000000000000000001"),
            Err(NumError::TooPrecise { max_dp: 18, .. })
        ));
        assert!(matches!(
            Decimal::parse_non_negative("-1"),
            Err(NumError::Negative(_))
        ));
        assert!(matches!(
            Decimal::parse_non_negative("-0.0"),
            Err(NumError::Negative(_))
        ));
        assert!(Decimal::parse_non_negative("-0").is_err());
        assert!(Decimal::MAX.checked_add(d("0.000000000000000001")).is_err());
        assert!(Decimal::MAX
            .mul(d("1.000000000000000001"), Round::ToZero)
            .is_err());
    }

    #[test]
    fn arithmetic_rounds_as_told() {
        let third = d("1").div(d("3"), Round::ToZero).unwrap();
        assert_eq!(third.to_string(), "0.333333333333333333");
        assert_eq!(
            d("2").div(d("3"), Round::HalfEven).unwrap().to_string(),
            "0.666666666666666667"
        );
        assert_eq!(
            d("-2").div(d("3"), Round::Floor).unwrap().to_string(),
            "-0.666666666666666667"
        );
        assert_eq!(
            d("-2").div(d("3"), Round::ToZero).unwrap().to_string(),
            "-0.666666666666666666"
        );
        assert_eq!(
            d("61800.2").mul(d("0.014"), Round::ToZero).unwrap(),
            d("865.2028")
        );
        assert_eq!(d("1.5").round_dp(0, Round::HalfEven).unwrap(), d("2"));
        assert_eq!(d("2.5").round_dp(0, Round::HalfEven).unwrap(), d("2"));
        assert!(Decimal::MAX.round_dp(0, Round::Ceil).is_err());
        assert_eq!(
            Decimal::MAX.round_dp(0, Round::Floor).unwrap(),
            d("99999999999999999999")
        );
        assert_eq!(d("-2.5").round_dp(0, Round::Ceil).unwrap(), d("-2"));
        assert!(d("1").div(Decimal::ZERO, Round::ToZero).is_err());
    }

    fn edge_raw() -> impl Strategy<Value = i128> {
        prop_oneof![
            Just(0i128),
            Just(1),
            Just(-1),
            Just(MAX_RAW),
            Just(-MAX_RAW),
            Just(MAX_RAW - 1),
            Just(SCALE),
            -MAX_RAW..=MAX_RAW,
            -(1i128 << 70)..(1i128 << 70),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn display_parse_round_trip(raw in edge_raw(), dp in 0u8..=18) {
            let x = Decimal::from_raw(raw).unwrap().with_dp(dp);
            let back = Decimal::parse(&x.to_string()).unwrap();
            prop_assert_eq!(back, x);
            prop_assert_eq!(back.to_string(), x.to_string());
        }

        #[test]
        fn add_sub_inverse(a in edge_raw(), b in edge_raw()) {
            let (a, b) = (Decimal::from_raw(a).unwrap(), Decimal::from_raw(b).unwrap());
            match a.checked_add(b) {
                Ok(s) => prop_assert_eq!(s.checked_sub(b).unwrap(), a),
                Err(e) => prop_assert_eq!(e, NumError::Overflow("Decimal add")),
            }
        }

        #[test]
        fn mul_div_brackets_the_exact_value(a in edge_raw(), b in -(1i128<<80)..(1i128<<80)) {
            let (a, b) = (Decimal::from_raw(a).unwrap(), Decimal::from_raw(b).unwrap());
            if let (Ok(lo), Ok(hi)) = (a.mul(b, Round::Floor), a.mul(b, Round::Ceil)) {
                prop_assert!(lo <= hi);
                prop_assert!(hi.raw() - lo.raw() <= 1);
                let exact = I256::new(a.raw()) * I256::new(b.raw());
                prop_assert!(I256::new(lo.raw()) * I256::new(SCALE) <= exact);
                prop_assert!(I256::new(hi.raw()) * I256::new(SCALE) >= exact);
            }
        }
    }
}
