//! Actual slippage of a set of fills (seed pattern 5), signed so that positive is worse.
//!
//! Against a reference price `r` (the arrival mid, or the walk's expected average) the
//! fills' average `a` slipped, for a buy, `(a − r) / r × 10⁴` bps and `(a − r) × qty` in
//! quote; for a sell the signs flip. Sums of `price × qty` are kept at 10^-36 in 256-bit
//! integers, so the only rounding is the final one (toward zero).

use ethnum::I256;

use super::metrics::wide_ratio;
use crate::book::OrderSide;
use crate::num::{Decimal, NumError, Ratio, SCALE};

/// One execution: price and quantity, both positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    /// Execution price.
    pub price: Decimal,
    /// Executed quantity.
    pub qty: Decimal,
}

/// Slippage of the fills against one reference price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slip {
    /// Signed bps, positive = worse.
    pub bps: Ratio,
    /// Signed quote amount, positive = cost.
    pub quote: Decimal,
}

/// Actual execution quality of a set of fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActualSlippage {
    /// Total quantity.
    pub filled_qty: Decimal,
    /// Volume-weighted average price.
    pub avg_price: Decimal,
    /// Against the mid when the decision was made.
    pub vs_arrival_mid: Slip,
    /// Against the pre-flight's expected average.
    pub vs_expected: Slip,
}

/// Why slippage could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SlippageError {
    /// No fills, or a total quantity of zero.
    #[error("no filled quantity to measure")]
    NoFills,
    /// A fill with a price or quantity that is not positive.
    #[error("fill {index} has a non-positive price or quantity")]
    BadFill {
        /// Index of the fill.
        index: usize,
    },
    /// A reference price that is not positive.
    #[error("reference price {0} is not positive")]
    BadReference(Decimal),
    /// A result left the decimal range.
    #[error(transparent)]
    Num(#[from] NumError),
}

/// Measures `fills` of an order in direction `side`.
pub fn actual_slippage(
    side: OrderSide,
    fills: &[Fill],
    arrival_mid: Decimal,
    expected_avg: Decimal,
) -> Result<ActualSlippage, SlippageError> {
    let (mut qty, mut notional) = (I256::ZERO, I256::ZERO);
    for (index, f) in fills.iter().enumerate() {
        if !f.price.is_positive() || !f.qty.is_positive() {
            return Err(SlippageError::BadFill { index });
        }
        // Each product is < 10^76 < 2^255; the sums are checked.
        let product = I256::new(f.price.raw()) * I256::new(f.qty.raw());
        qty += I256::new(f.qty.raw());
        notional = notional.checked_add(product).ok_or(overflow())?;
    }
    if qty == I256::ZERO {
        return Err(SlippageError::NoFills);
    }
    let avg = to_decimal(notional / qty)?;
    let filled_qty = to_decimal(qty)?;
    let slip = |r: Decimal| -> Result<Slip, SlippageError> {
        if !r.is_positive() {
            return Err(SlippageError::BadReference(r));
        }
        let sign = match side {
            OrderSide::Buy => I256::ONE,
            OrderSide::Sell => I256::MINUS_ONE,
        };
        let base36 = I256::new(r.raw()).checked_mul(qty).ok_or(overflow())?;
        let diff36 = notional.checked_sub(base36).ok_or(overflow())? * sign;
        let bps_num = diff36.checked_mul(I256::new(10_000)).ok_or(overflow())?;
        Ok(Slip {
            bps: wide_ratio(bps_num, base36),
            quote: to_decimal(diff36 / I256::new(SCALE))?,
        })
    };
    Ok(ActualSlippage {
        filled_qty,
        avg_price: avg,
        vs_arrival_mid: slip(arrival_mid)?,
        vs_expected: slip(expected_avg)?,
    })
}

fn overflow() -> SlippageError {
    SlippageError::Num(NumError::Overflow("slippage"))
}

fn to_decimal(raw: I256) -> Result<Decimal, NumError> {
    if raw.unsigned_abs() > ethnum::U256::new(crate::num::MAX_RAW as u128) {
        return Err(NumError::Overflow("slippage"));
    }
    Decimal::from_raw(raw.as_i128())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    fn fill(p: &str, q: &str) -> Fill {
        Fill {
            price: d(p),
            qty: d(q),
        }
    }

    #[test]
    fn signed_against_mid_and_expected() {
        let fills = [fill("101", "1"), fill("103", "1")];
        let s = actual_slippage(OrderSide::Buy, &fills, d("100"), d("101.5")).unwrap();
        assert_eq!((s.avg_price, s.filled_qty), (d("102"), d("2")));
        assert_eq!(s.vs_arrival_mid.bps, Ratio::from_num(200));
        assert_eq!(s.vs_arrival_mid.quote, d("4"));
        assert_eq!(s.vs_expected.quote, d("1"));
        // The same fills as a sell are better than the mid: negative slippage.
        let s = actual_slippage(OrderSide::Sell, &fills, d("100"), d("101.5")).unwrap();
        assert_eq!(s.vs_arrival_mid.quote, d("-4"));
        assert!(s.vs_arrival_mid.bps < Ratio::ZERO);
    }

    #[test]
    fn bad_input_is_typed() {
        assert_eq!(
            actual_slippage(OrderSide::Buy, &[], d("1"), d("1")),
            Err(SlippageError::NoFills)
        );
        let bad = [fill("1", "1"), fill("0", "1")];
        assert_eq!(
            actual_slippage(OrderSide::Buy, &bad, d("1"), d("1")),
            Err(SlippageError::BadFill { index: 1 })
        );
        let big = [fill("99999999999999999999", "99999999999999999999"); 8];
        assert!(actual_slippage(OrderSide::Buy, &big, d("1"), d("1")).is_err());
        let one = [fill("99999999999999999999", "99999999999999999999")];
        assert!(actual_slippage(OrderSide::Buy, &one, d("1"), d("1")).is_err());
        assert!(actual_slippage(OrderSide::Buy, &[fill("1", "1")], d("0"), d("1")).is_err());
    }
}
