//! Verdict numbers of a walk: spread, signed slippage, the seed's liquidity score and
//! recommendation. Integer and fixed-point only (`Ratio` = `fixed::I64F64`), so the
//! core can decide on them without touching `Decimal`.
//!
//! Formulas (mid = (bid + ask) / 2):
//! - `spread_bps = (ask − bid) / mid × 10⁴`;
//! - `slippage_bps`: buy `(avg − mid) / mid × 10⁴`, sell `(mid − avg) / mid × 10⁴`, so
//!   positive is worse for us; an empty fill counts as 10⁴ (the seed's "100 %");
//! - `score = 0.5 × depth_sufficient + 0.3 × max(0, 1 − |slippage_bps| / 100)
//!   + 0.2 × max(0, 1 − spread_bps / 100)`;
//! - recommendation: `insufficient_depth` when short, else `use_limit` under
//!   `use_limit_bps` (10), `use_market_acceptable` under `market_ok_bps` (50), else
//!   `high_slippage_warning`.
//!
//! Ratios truncate toward zero at 2^-64. Values past the `Ratio` range (±2^63, only
//! reachable with absurd books) saturate. The recommendation is decided by comparisons
//! when the report is made; the figures are divided when read (see [`Metrics`]).

use core::fmt;

use ethnum::I256;

use super::walk::Walk;
use crate::book::OrderSide;
use crate::num::{ratio, Ratio};

/// What to do with an order of this size, from the seed's liquidity analyzer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Recommendation {
    /// Slippage is small: rest a limit order.
    UseLimit,
    /// A market order costs an acceptable amount.
    UseMarketAcceptable,
    /// The walk is expensive; reconsider the size.
    HighSlippageWarning,
    /// The known book cannot fill the size.
    InsufficientDepth,
}

impl Recommendation {
    /// The seed's name for it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Recommendation::UseLimit => "use_limit",
            Recommendation::UseMarketAcceptable => "use_market_acceptable",
            Recommendation::HighSlippageWarning => "high_slippage_warning",
            Recommendation::InsufficientDepth => "insufficient_depth",
        }
    }
}

impl fmt::Display for Recommendation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Slippage thresholds of the recommendation, in bps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Below this, `use_limit` (seed: 10 bps).
    pub use_limit_bps: Ratio,
    /// Below this, `use_market_acceptable` (seed: 50 bps).
    pub market_ok_bps: Ratio,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            use_limit_bps: Ratio::from_num(10),
            market_ok_bps: Ratio::from_num(50),
        }
    }
}

/// The verdict numbers of one walk against one top of book.
///
/// The recommendation is decided when the report is made, by comparisons alone (no
/// division: `|num| × 2^64 < threshold × den` in `u128` whenever that fits, which it does
/// for any real book, with the dividing path as the fallback). The bps figures and the
/// score are quotients kept as their operands and divided only when a caller reads them
/// ([`Metrics::spread_bps`], [`Metrics::slippage_bps`], [`Metrics::liquidity_score`]): the
/// engine's hot path reads the recommendation only, so it never pays the two 128-bit
/// divisions (measured: they were two thirds of a 20-level walk's report, PERF.md).
/// Equality compares the values, not the operands.
#[derive(Debug, Clone, Copy)]
pub struct Metrics {
    spread: Quotient,
    slippage: Quotient,
    sufficient: bool,
    /// The seed's recommendation.
    pub recommendation: Recommendation,
}

/// A bps figure, `num × 2^64 / den` in `Ratio` bits truncated toward zero, not divided yet.
#[derive(Debug, Clone, Copy)]
enum Quotient {
    /// `num / den` with `den > 0`, operands that fit in `i64` (any real book).
    Small { num: i64, den: i64 },
    /// `num / den` with `den > 0`.
    Lazy { num: i128, den: i128 },
    /// Already a value (an empty fill's 10⁴, or a slippage that needed 256 bits).
    Value(Ratio),
}

impl Quotient {
    #[inline]
    fn value(self) -> Ratio {
        let (num, den) = match self {
            Quotient::Small { num, den } => (i128::from(num), i128::from(den)),
            Quotient::Lazy { num, den } => (num, den),
            Quotient::Value(r) => return r,
        };
        ratio(num, den).unwrap_or(if num < 0 { Ratio::MIN } else { Ratio::MAX })
    }

    /// `|self| < t`, exactly as comparing the truncated value would decide: for an
    /// integer `t` (a `Ratio`'s bits), `floor(y) < t ⇔ y < t`, so with `y = |num| × 2^64 /
    /// den` the comparison is `|num| × 2^64 < t × den`, made without division. The
    /// 64-bit case is inlined; the others are out of line.
    #[inline(always)]
    fn abs_below(self, t: Ratio) -> bool {
        match (self, u128::try_from(t.to_bits())) {
            (Quotient::Small { num, den }, Ok(t_bits)) => {
                small_below(num.unsigned_abs(), den, t_bits)
            }
            _ => self.abs_below_wide(t),
        }
    }

    /// [`abs_below`](Self::abs_below) for 128-bit operands, values and negative `t`.
    #[inline(never)]
    fn abs_below_wide(self, t: Ratio) -> bool {
        let Ok(t_bits) = u128::try_from(t.to_bits()) else {
            return false;
        };
        if let Quotient::Lazy { num, den } = self {
            let (n, d) = (num.unsigned_abs(), den.unsigned_abs());
            // Bit lengths summing to at most 128: `t_bits × d` fits (no checked multiply).
            let fits = (256 - t_bits.leading_zeros() - d.leading_zeros()) <= 128;
            if n < 1 << 64 && fits {
                return (n << 64) < t_bits * d;
            }
        }
        self.value().saturating_abs() < t
    }
}

/// `n × 2^64 < t_bits × den` with 64-bit operands and two 64 × 64 → 128 products: with
/// `t_bits = hi × 2^64 + lo`, `P = hi × den` and `Q = lo × den`, the right side is
/// `P × 2^64 + Q`, and for an integer `n` that exceeds `n × 2^64` exactly when
/// `n < P + ⌈Q / 2^64⌉`. `P < 2^127` and `⌈Q / 2^64⌉ ≤ 2^64`: no overflow.
#[inline]
fn small_below(n: u64, den: i64, t_bits: u128) -> bool {
    let d = u128::from(den.unsigned_abs());
    let (hi, lo) = (t_bits >> 64, t_bits & u128::from(u64::MAX));
    let q = lo * d;
    let q_up = (q >> 64) + u128::from(q as u64 != 0);
    u128::from(n) < hi * d + q_up
}

const BPS: i128 = 10_000;

/// Score weights and slopes as `I64F64` bits: `w × max(0, 1 − x / 100) = w − x × w / 100`.
/// The slopes are `w / 100` rounded down at 2^-64, so a score is exact to ~10^-17: it is a
/// heuristic, and this keeps it to one multiplication instead of two fixed-point divisions
/// (measured: the divisions were half the cost of a 20-level walk and its metrics).
const SLIP_WEIGHT: i128 = 0x4CCC_CCCC_CCCC_CCCC; // 0.3
const SLIP_SLOPE: i128 = 0x00C4_9BA5_E353_F7CE; // 0.003
const SPREAD_WEIGHT: i128 = 0x3333_3333_3333_3333; // 0.2
const SPREAD_SLOPE: i128 = 0x0083_126E_978D_4FDF; // 0.002

/// `max(0, w − x × slope)` for `x ≥ 0` in bps, in `I64F64` bits.
#[inline]
fn linear_score(x: Ratio, weight: i128, slope: i128) -> Ratio {
    let bits = x.to_bits();
    // Past 100 bps the term is 0; below, bits < 100 × 2^64 < 2^71 and slope < 2^57, so the
    // product fits in i128.
    if !(0..100i128 << 64).contains(&bits) {
        return Ratio::ZERO;
    }
    Ratio::from_bits((weight - ((bits * slope) >> 64)).max(0))
}

impl Metrics {
    /// Metrics of `walk` against best bid and ask in ticks (`bid < ask`, both > 0).
    #[inline]
    pub fn compute(walk: &Walk, bid_ticks: i64, ask_ticks: i64, t: &Thresholds) -> Metrics {
        let spread = spread(bid_ticks, ask_ticks);
        let slippage = if walk.is_empty() {
            Quotient::Value(Ratio::from_num(BPS))
        } else {
            slippage(walk, bid_ticks, ask_ticks)
        };
        let sufficient = walk.depth_sufficient();
        let recommendation = if !sufficient {
            Recommendation::InsufficientDepth
        } else if slippage.abs_below(t.use_limit_bps) {
            Recommendation::UseLimit
        } else if slippage.abs_below(t.market_ok_bps) {
            Recommendation::UseMarketAcceptable
        } else {
            Recommendation::HighSlippageWarning
        };
        Metrics {
            spread,
            slippage,
            sufficient,
            recommendation,
        }
    }

    /// `(ask − bid) / mid × 10⁴`, truncated toward zero at 2^-64.
    pub fn spread_bps(&self) -> Ratio {
        self.spread.value()
    }

    /// Signed slippage of the average against the mid in bps, positive = worse; an empty
    /// fill counts as 10⁴.
    pub fn slippage_bps(&self) -> Ratio {
        self.slippage.value()
    }

    /// The seed's 0..1 score.
    pub fn liquidity_score(&self) -> Ratio {
        let depth_score = if self.sufficient {
            Ratio::from_num(0.5)
        } else {
            Ratio::ZERO
        };
        let abs_slip = self.slippage_bps().saturating_abs();
        depth_score
            + linear_score(abs_slip, SLIP_WEIGHT, SLIP_SLOPE)
            + linear_score(self.spread_bps(), SPREAD_WEIGHT, SPREAD_SLOPE)
    }
}

impl PartialEq for Metrics {
    fn eq(&self, o: &Metrics) -> bool {
        self.recommendation == o.recommendation
            && self.sufficient == o.sufficient
            && self.spread_bps() == o.spread_bps()
            && self.slippage_bps() == o.slippage_bps()
    }
}

impl Eq for Metrics {}

/// `2 × 10⁴ × (ask − bid) / (bid + ask)`, in `i64` when the numerator fits.
#[inline]
fn spread(bid_ticks: i64, ask_ticks: i64) -> Quotient {
    // Both are positive: the difference fits.
    let diff = ask_ticks - bid_ticks;
    match (
        diff.checked_mul(2 * BPS as i64),
        bid_ticks.checked_add(ask_ticks),
    ) {
        (Some(num), Some(den)) => Quotient::Small { num, den },
        _ => Quotient::Lazy {
            num: 2 * BPS * i128::from(diff),
            den: i128::from(bid_ticks) + i128::from(ask_ticks),
        },
    }
}

/// [`slippage`]'s operands in `i64`, when every product fits (any real book's quantity
/// walk: notionals of ~2^40 tick-lots); `None` sends it to the wider paths.
#[inline]
fn slippage_small(w: &Walk, bid_ticks: i64, ask_ticks: i64, sign: i64) -> Option<Quotient> {
    let n = i64::try_from(w.notional_tl).ok()?;
    let qn = i64::try_from(w.qty_num).ok()?;
    let m2 = bid_ticks.checked_add(ask_ticks)?;
    let a = n.checked_mul(w.qty_den.checked_mul(2)?)?;
    let b = m2.checked_mul(qn)?;
    let num = a.checked_sub(b)?.checked_mul(BPS as i64 * sign)?;
    Some(Quotient::Small { num, den: b })
}

/// `±10⁴ × (2·N·qd − m2·qn) / (m2·qn)`: the average `N·qd/qn` against the mid `m2/2`, as
/// its operands when they fit in `i64` or `i128` (any real book), else divided in 256
/// bits.
#[inline]
fn slippage(w: &Walk, bid_ticks: i64, ask_ticks: i64) -> Quotient {
    let sign: i128 = match w.side {
        OrderSide::Buy => 1,
        OrderSide::Sell => -1,
    };
    if let Some(q) = slippage_small(w, bid_ticks, ask_ticks, sign as i64) {
        return q;
    }
    let m2 = i128::from(bid_ticks) + i128::from(ask_ticks);
    let qd2 = 2 * i128::from(w.qty_den);
    // Bit lengths bound the products: both under 2^112, their difference is under 2^113
    // and times 10⁴ (< 2^14) under 2^127, so nothing below can overflow. Four
    // `leading_zeros` instead of four checked 128-bit multiplications (callgrind: those
    // were 120 of a 20-level walk's 824 instructions).
    if bits(w.notional_tl) + bits(qd2) <= 112 && bits(m2) + bits(w.qty_num) <= 112 {
        let b = m2 * w.qty_num;
        let num = (w.notional_tl * qd2 - b) * (BPS * sign);
        return Quotient::Lazy { num, den: b };
    }
    let a = I256::new(w.notional_tl) * I256::new(2 * i128::from(w.qty_den));
    let b = I256::new(m2) * I256::new(w.qty_num);
    let num = (a - b) * I256::new(BPS * sign);
    Quotient::Value(wide_ratio(num, b))
}

/// Significant bits of `|x|` (0 for 0): `|x| < 2^bits(x)`.
#[inline]
fn bits(x: i128) -> u32 {
    128 - x.unsigned_abs().leading_zeros()
}

/// `num ÷ den` as a saturating [`Ratio`] from 256-bit operands (`den > 0`).
pub(crate) fn wide_ratio(num: I256, den: I256) -> Ratio {
    let shifted = num.checked_shl(64).filter(|s| (*s >> 64u32) == num);
    let q = match shifted {
        Some(s) => s / den,
        None if num.is_negative() => return Ratio::MIN,
        None => return Ratio::MAX,
    };
    if q > I256::new(i128::MAX) {
        Ratio::MAX
    } else if q < I256::new(i128::MIN) {
        Ratio::MIN
    } else {
        Ratio::from_bits(q.as_i128())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_constants_are_the_seed_weights() {
        let two64 = 2f64.powi(64);
        for (bits, v) in [
            (SLIP_WEIGHT, 0.3),
            (SLIP_SLOPE, 0.003),
            (SPREAD_WEIGHT, 0.2),
            (SPREAD_SLOPE, 0.002),
        ] {
            let exact = (v * two64).floor() as i128;
            assert!((bits - exact).abs() <= 4096, "{v}: {bits:#x} vs {exact:#x}");
        }
        assert_eq!(
            linear_score(Ratio::from_num(100), SLIP_WEIGHT, SLIP_SLOPE),
            Ratio::ZERO
        );
        assert_eq!(
            linear_score(Ratio::from_num(250), SLIP_WEIGHT, SLIP_SLOPE),
            Ratio::ZERO
        );
        let half = linear_score(Ratio::from_num(50), SLIP_WEIGHT, SLIP_SLOPE);
        assert!((half.to_num::<f64>() - 0.15).abs() < 1e-15);
        let zero = linear_score(Ratio::ZERO, SPREAD_WEIGHT, SPREAD_SLOPE);
        assert!((zero.to_num::<f64>() - 0.2).abs() < 1e-15);
    }
}
