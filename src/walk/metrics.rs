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
//! reachable with absurd books) saturate.

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metrics {
    /// `(ask − bid) / mid × 10⁴`.
    pub spread_bps: Ratio,
    /// Signed slippage of the average against the mid, positive = worse.
    pub slippage_bps: Ratio,
    /// The seed's 0..1 score.
    pub liquidity_score: Ratio,
    /// The seed's recommendation.
    pub recommendation: Recommendation,
}

const BPS: i128 = 10_000;

impl Metrics {
    /// Metrics of `walk` against best bid and ask in ticks (`bid < ask`, both > 0).
    #[inline]
    pub fn compute(walk: &Walk, bid_ticks: i64, ask_ticks: i64, t: &Thresholds) -> Metrics {
        let m2 = i128::from(bid_ticks) + i128::from(ask_ticks);
        let spread = i128::from(ask_ticks - bid_ticks);
        let spread_bps = ratio(2 * BPS * spread, m2).unwrap_or(Ratio::MAX);
        let slippage_bps = if walk.is_empty() {
            Ratio::from_num(BPS)
        } else {
            slippage_bps(walk, m2)
        };
        let sufficient = walk.depth_sufficient();
        let hundred = Ratio::from_num(100);
        let one = Ratio::ONE;
        let abs_slip = slippage_bps.saturating_abs();
        let slip_score = (one - abs_slip.saturating_div(hundred).min(one)).max(Ratio::ZERO);
        let spread_score = (one - spread_bps.saturating_div(hundred).min(one)).max(Ratio::ZERO);
        let depth_score = if sufficient {
            Ratio::from_num(0.5)
        } else {
            Ratio::ZERO
        };
        let score = depth_score
            + slip_score.saturating_mul(Ratio::from_num(0.3))
            + spread_score.saturating_mul(Ratio::from_num(0.2));
        let recommendation = if !sufficient {
            Recommendation::InsufficientDepth
        } else if abs_slip < t.use_limit_bps {
            Recommendation::UseLimit
        } else if abs_slip < t.market_ok_bps {
            Recommendation::UseMarketAcceptable
        } else {
            Recommendation::HighSlippageWarning
        };
        Metrics {
            spread_bps,
            slippage_bps,
            liquidity_score: score,
            recommendation,
        }
    }
}

/// `±10⁴ × (2·N·qd − m2·qn) / (m2·qn)`: the average `N·qd/qn` against the mid `m2/2`.
#[inline]
fn slippage_bps(w: &Walk, m2: i128) -> Ratio {
    let sign: i128 = match w.side {
        OrderSide::Buy => 1,
        OrderSide::Sell => -1,
    };
    let fast = (|| {
        let a = w.notional_tl.checked_mul(2 * i128::from(w.qty_den))?;
        let b = m2.checked_mul(w.qty_num)?;
        let num = a.checked_sub(b)?.checked_mul(BPS * sign)?;
        ratio(num, b).ok()
    })();
    if let Some(r) = fast {
        return r;
    }
    let a = I256::new(w.notional_tl) * I256::new(2 * i128::from(w.qty_den));
    let b = I256::new(m2) * I256::new(w.qty_num);
    let num = (a - b) * I256::new(BPS * sign);
    wide_ratio(num, b)
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
