//! A venue's trading rules for one instrument, and quantization with stated directions.
//!
//! - Quantity → lots: **toward zero** ([`InstrumentRules::qty_to_lots`]); an order never
//!   trades more than asked. A result of zero lots or under the minimum is an error, never
//!   an order of size zero.
//! - Price → ticks for an order ([`InstrumentRules::order_price_ticks`]): **away from the
//!   market**, i.e. down for a buy and up for a sell. A passive order then never crosses
//!   further than computed, and an IOC protection price never allows more slippage than
//!   the bound it came from.
//!
//! Contract kinds: **linear** (spot, USDT-margined): quantity is in base units × the
//! multiplier (usually 1), notional = qty × multiplier × price. **Inverse** (COIN-M): the
//! quantity is in contracts worth `multiplier` quote each (a Binance BTCUSD_PERP contract
//! is 100 USD); notional = contracts × multiplier, base = notional / price.

use crate::book::OrderSide;
use crate::num::{Decimal, NumError, Round, Step, Text, MAX_UNITS};

/// A venue's names and units for one instrument, for journals and reports: what a
/// recorded quantity in lots and a price in ticks mean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueInfo {
    /// Venue name.
    pub name: String,
    /// Instrument name.
    pub instrument: String,
    /// Price tick.
    pub tick: Step,
    /// Quantity lot.
    pub lot: Step,
    /// Linear (lots of base) or inverse (lots of contracts).
    pub kind: ContractKind,
    /// Linear: base units per quantity unit; inverse: quote value of one contract.
    pub multiplier: Decimal,
    /// The quote currency (`USDT`, `USD`): the unit of its prices.
    pub quote: String,
    /// The currency of its fees, losses and P&L: the quote for a linear instrument, the
    /// coin for an inverse one (`BTC` of `BTCUSD_PERP`).
    pub settle: String,
}

impl VenueInfo {
    /// The base quantity (BTC for a BTC contract) of `lots` at `price`: the lots × the
    /// multiplier for a linear instrument, contracts × multiplier / price for an inverse
    /// one (toward zero at 10⁻¹⁸; `None` without a positive price or out of range).
    pub fn base_qty(&self, lots: i64, price: Decimal) -> Option<Decimal> {
        let q = self
            .lot
            .to_decimal(lots.checked_abs()?)
            .mul(self.multiplier, Round::ToZero)
            .ok()?;
        let q = match self.kind {
            ContractKind::Linear => q,
            ContractKind::Inverse if price.is_positive() => q.div(price, Round::ToZero).ok()?,
            ContractKind::Inverse => return None,
        };
        if lots < 0 {
            Decimal::ZERO.checked_sub(q).ok()
        } else {
            Some(q)
        }
    }
}

/// Linear or inverse contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractKind {
    /// Quantity in base units: spot, USDT-margined perps.
    Linear,
    /// Quantity in contracts of a fixed quote value: coin-margined perps.
    Inverse,
}

/// Why rules or an order failed the venue's checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    /// The multiplier must be positive.
    #[error("contract multiplier {0} must be positive")]
    BadMultiplier(Decimal),
    /// The minimum notional must not be negative.
    #[error("minimum notional {0} must not be negative")]
    BadMinNotional(Decimal),
    /// The minimum quantity must be at least one lot.
    #[error("minimum quantity {0} lots must be at least 1")]
    BadMinQty(i64),
    /// The quantity rounds to zero lots; ask for more than one lot.
    #[error("quantity {qty} rounds to zero lots of {lot}")]
    ZeroQty {
        /// Asked-for quantity.
        qty: Decimal,
        /// The lot.
        lot: Decimal,
    },
    /// Under the venue's minimum quantity.
    #[error("{lots} lots is under the minimum of {min_lots} lots")]
    BelowMinQty {
        /// Order size in lots.
        lots: i64,
        /// Venue minimum in lots.
        min_lots: i64,
    },
    /// Under the venue's minimum notional.
    #[error("notional {notional} is under the minimum of {min}")]
    BelowMinNotional {
        /// Order notional in quote.
        notional: Decimal,
        /// Venue minimum in quote.
        min: Decimal,
    },
    /// A price that is not positive.
    #[error("price {0} is not positive")]
    BadPrice(Decimal),
    /// A number out of range.
    #[error(transparent)]
    Num(#[from] NumError),
}

/// Trading rules of one instrument on one venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstrumentRules {
    /// Price increment.
    pub tick: Step,
    /// Quantity increment.
    pub lot: Step,
    /// Smallest order, in lots.
    pub min_qty_lots: i64,
    /// Smallest order notional, in quote.
    pub min_notional: Decimal,
    /// Linear: base units per quantity unit. Inverse: quote value of one contract.
    pub multiplier: Decimal,
    /// Linear or inverse.
    pub kind: ContractKind,
}

impl InstrumentRules {
    /// Validated rules.
    pub fn new(
        tick: Step,
        lot: Step,
        min_qty_lots: i64,
        min_notional: Decimal,
        multiplier: Decimal,
        kind: ContractKind,
    ) -> Result<InstrumentRules, RulesError> {
        if !multiplier.is_positive() {
            return Err(RulesError::BadMultiplier(multiplier));
        }
        if min_notional.is_negative() {
            return Err(RulesError::BadMinNotional(min_notional));
        }
        if min_qty_lots < 1 {
            return Err(RulesError::BadMinQty(min_qty_lots));
        }
        Ok(InstrumentRules {
            tick,
            lot,
            min_qty_lots,
            min_notional,
            multiplier,
            kind,
        })
    }

    /// A linear instrument with multiplier 1 and a one-lot minimum (tests, analyze).
    pub fn linear(tick: Step, lot: Step) -> InstrumentRules {
        InstrumentRules {
            tick,
            lot,
            min_qty_lots: 1,
            min_notional: Decimal::ZERO,
            multiplier: Decimal::ONE,
            kind: ContractKind::Linear,
        }
    }

    /// Lots of `qty`, toward zero; zero lots is an error.
    pub fn qty_to_lots(&self, qty: Decimal) -> Result<i64, RulesError> {
        let lots = self.lot.units_of(qty, Round::ToZero)?;
        if lots <= 0 {
            let lot = self.lot.size();
            return Err(RulesError::ZeroQty { qty, lot });
        }
        Ok(lots)
    }

    /// Ticks of an order price for `side`, away from the market (buy down, sell up).
    pub fn order_price_ticks(&self, side: OrderSide, price: Decimal) -> Result<i64, RulesError> {
        if !price.is_positive() {
            return Err(RulesError::BadPrice(price));
        }
        let round = match side {
            OrderSide::Buy => Round::Floor,
            OrderSide::Sell => Round::Ceil,
        };
        let t = self.tick.units_of(price, round)?;
        if t <= 0 {
            return Err(RulesError::BadPrice(price));
        }
        Ok(t)
    }

    /// Quote notional of `lots` at `price_ticks` (exact); `Range` for unit counts outside
    /// `0 ..= MAX_UNITS` lots or `1 ..= MAX_UNITS` ticks.
    pub fn notional(&self, lots: i64, price_ticks: i64) -> Result<Decimal, NumError> {
        check_units(lots, price_ticks)?;
        let q = self
            .lot
            .to_decimal(lots)
            .mul(self.multiplier, Round::ToZero)?;
        match self.kind {
            ContractKind::Linear => q.mul(self.tick.to_decimal(price_ticks), Round::ToZero),
            ContractKind::Inverse => Ok(q),
        }
    }

    /// Base quantity of `lots` at `price_ticks` (inverse: rounds toward zero at 10^-18);
    /// `Range` for unit counts out of range, as [`notional`](Self::notional).
    pub fn base_qty(&self, lots: i64, price_ticks: i64) -> Result<Decimal, NumError> {
        check_units(lots, price_ticks)?;
        let q = self
            .lot
            .to_decimal(lots)
            .mul(self.multiplier, Round::ToZero)?;
        match self.kind {
            ContractKind::Linear => Ok(q),
            ContractKind::Inverse => q.div(self.tick.to_decimal(price_ticks), Round::ToZero),
        }
    }

    /// Checks an order against the minimum quantity and notional.
    pub fn check_order(&self, lots: i64, price_ticks: i64) -> Result<(), RulesError> {
        if lots < self.min_qty_lots {
            let min_lots = self.min_qty_lots;
            return Err(RulesError::BelowMinQty { lots, min_lots });
        }
        let notional = self.notional(lots, price_ticks)?;
        if notional < self.min_notional {
            let min = self.min_notional;
            return Err(RulesError::BelowMinNotional { notional, min });
        }
        Ok(())
    }
}

/// Unit counts that come from callers, not from a validated book.
fn check_units(lots: i64, price_ticks: i64) -> Result<(), NumError> {
    if !(0..=MAX_UNITS).contains(&lots) {
        return Err(NumError::Range(Text::display(lots)));
    }
    if !(1..=MAX_UNITS).contains(&price_ticks) {
        return Err(NumError::Range(Text::display(price_ticks)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    fn btcusdt() -> InstrumentRules {
        let (t, l) = (Step::parse("0.1").unwrap(), Step::parse("0.001").unwrap());
        InstrumentRules::new(t, l, 1, d("100"), Decimal::ONE, ContractKind::Linear).unwrap()
    }

    #[test]
    fn directions_are_as_documented() {
        let r = btcusdt();
        assert_eq!(r.qty_to_lots(d("0.0019")).unwrap(), 1);
        assert!(matches!(
            r.qty_to_lots(d("0.0009")),
            Err(RulesError::ZeroQty { .. })
        ));
        assert_eq!(
            r.order_price_ticks(OrderSide::Buy, d("61800.19")).unwrap(),
            618001
        );
        assert_eq!(
            r.order_price_ticks(OrderSide::Sell, d("61800.11")).unwrap(),
            618002
        );
        assert_eq!(
            r.order_price_ticks(OrderSide::Sell, d("61800.1")).unwrap(),
            618001
        );
        assert!(r.order_price_ticks(OrderSide::Buy, d("0.01")).is_err());
        assert!(r.notional(1, i64::MAX).is_err());
        assert!(r.notional(-1, 10).is_err());
        assert!(r.base_qty(i64::MAX, 10).is_err());
    }

    #[test]
    fn minimums_are_enforced() {
        let r = btcusdt();
        assert!(r.check_order(2, 618002).is_ok()); // 0.002 × 61800.2 = 123.6
        assert!(matches!(
            r.check_order(1, 618002),
            Err(RulesError::BelowMinNotional { .. })
        ));
        assert!(
            InstrumentRules::new(r.tick, r.lot, 0, d("1"), d("1"), ContractKind::Linear).is_err()
        );
        assert!(
            InstrumentRules::new(r.tick, r.lot, 1, d("1"), d("0"), ContractKind::Linear).is_err()
        );
    }

    #[test]
    fn inverse_contract_is_100_usd() {
        let (t, l) = (Step::parse("0.1").unwrap(), Step::parse("1").unwrap());
        let r = InstrumentRules::new(t, l, 1, d("0"), d("100"), ContractKind::Inverse).unwrap();
        assert_eq!(r.notional(7, 616686).unwrap(), d("700"));
        // 700 USD at 61668.6 = 0.011351…
        assert_eq!(
            r.base_qty(7, 616686).unwrap().to_string(),
            "0.011350995482303798"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn passive_price_never_crosses_further(raw in 1i128..10i128.pow(24), buy in any::<bool>()) {
            let r = btcusdt();
            let p = Decimal::from_raw(raw).unwrap();
            let side = if buy { OrderSide::Buy } else { OrderSide::Sell };
            match r.order_price_ticks(side, p) {
                Ok(t) => {
                    let q = r.tick.to_decimal(t);
                    if buy { prop_assert!(q <= p) } else { prop_assert!(q >= p) }
                    prop_assert!(q.checked_sub(p).unwrap().abs() < r.tick.size());
                }
                Err(_) => prop_assert!(buy && p < r.tick.size()),
            }
        }
    }
}
