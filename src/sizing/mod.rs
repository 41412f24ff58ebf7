//! Position sizing (seed pattern 4): USD to quantity and back, and hedge sizing.
//!
//! - [`usd_to_lots`]: a buy is sized at the best ask, a sell at the best bid (as the seed
//!   does), then rounded **toward zero** to the lot, so the notional never exceeds the USD
//!   asked for and the gap is under one lot's notional. Inverse contracts size in whole
//!   contracts of `multiplier` USD.
//! - [`hedge_size`]: one base quantity that every leg trades exactly. Legs are matched in
//!   base units on the coarsest lot (the least common multiple of the linear legs' base
//!   steps), never sized in USD separately: Hummingbot's funding-rate arb sizes each leg on
//!   its own venue and ends up unhedged. The USD size is converted at the highest leg
//!   price, so no leg's notional exceeds it. An inverse leg trades whole contracts; its
//!   base residual (toward zero) is reported, not hidden.
//!
//! Leg lists are bounded ([`MAX_HEDGE_LEGS`]) and results live in an `ArrayVec`: no
//! allocation.

use arrayvec::ArrayVec;

use crate::book::OrderSide;
use crate::instrument::{ContractKind, InstrumentRules, RulesError};
use crate::num::{Decimal, NumError, Round, MAX_UNITS};

/// Most legs a hedge can have.
pub const MAX_HEDGE_LEGS: usize = 8;

/// Why a size could not be produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SizingError {
    /// A hedge needs 1 to [`MAX_HEDGE_LEGS`] legs.
    #[error("a hedge needs 1 to {MAX_HEDGE_LEGS} legs, got {0}")]
    LegCount(usize),
    /// The USD size must be positive.
    #[error("size {0} USD must be positive")]
    BadUsd(Decimal),
    /// A price outside `1 ..= MAX_UNITS` ticks.
    #[error("leg {leg}: price {price_ticks} ticks is outside 1..=10^15")]
    BadPrice {
        /// Leg index.
        leg: usize,
        /// The price.
        price_ticks: i64,
    },
    /// The size is below one common lot: nothing can be traded on every leg.
    #[error("{usd} USD is less than one common lot ({step} base) at price {price}")]
    ZeroQty {
        /// USD asked for.
        usd: Decimal,
        /// The common base step.
        step: Decimal,
        /// The conversion price.
        price: Decimal,
    },
    /// The lots of the legs have no common multiple in range, or a lot × multiplier has
    /// more than 18 decimals.
    #[error("the legs' lots have no exact common multiple within range")]
    NoCommonLot,
    /// A leg fails its venue's rules (minimum quantity or notional).
    #[error("leg {leg}: {source}")]
    Leg {
        /// Leg index.
        leg: usize,
        /// The venue rule that failed.
        source: RulesError,
    },
    /// A number left the range.
    #[error(transparent)]
    Num(#[from] NumError),
}

/// USD → lots for one order: buys at `ask_ticks`, sells at `bid_ticks`, toward zero, then
/// checked against the venue minimums.
pub fn usd_to_lots(
    rules: &InstrumentRules,
    usd: Decimal,
    side: OrderSide,
    bid_ticks: i64,
    ask_ticks: i64,
) -> Result<i64, SizingError> {
    if !usd.is_positive() {
        return Err(SizingError::BadUsd(usd));
    }
    let price_ticks = match side {
        OrderSide::Buy => ask_ticks,
        OrderSide::Sell => bid_ticks,
    };
    if !(1..=MAX_UNITS).contains(&price_ticks) {
        return Err(SizingError::BadPrice {
            leg: 0,
            price_ticks,
        });
    }
    let price = rules.tick.to_decimal(price_ticks);
    // Each division truncates a positive quotient, so qty ≤ usd / (price × multiplier)
    // exactly: the notional can fall short, never exceed.
    let qty = match rules.kind {
        ContractKind::Linear => usd
            .div(price, Round::ToZero)?
            .div(rules.multiplier, Round::ToZero)?,
        ContractKind::Inverse => usd.div(rules.multiplier, Round::ToZero)?,
    };
    let leg = |source| SizingError::Leg { leg: 0, source };
    let lots = rules.qty_to_lots(qty).map_err(leg)?;
    rules.check_order(lots, price_ticks).map_err(leg)?;
    Ok(lots)
}

/// Lots → USD at a price (exact).
pub fn lots_to_usd(
    rules: &InstrumentRules,
    lots: i64,
    price_ticks: i64,
) -> Result<Decimal, NumError> {
    rules.notional(lots, price_ticks)
}

/// One leg of a hedge: its rules, direction, and the price it will trade at (ask for a
/// buy, bid for a sell).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HedgeLeg {
    /// Venue rules of the leg's instrument.
    pub rules: InstrumentRules,
    /// Direction.
    pub side: OrderSide,
    /// Price the leg is expected to trade at, in its ticks.
    pub price_ticks: i64,
}

/// Size of one leg of a hedge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegSize {
    /// Order size in the leg's lots.
    pub lots: i64,
    /// Quote notional at the leg's price.
    pub notional: Decimal,
    /// Base quantity this leg trades.
    pub base_qty: Decimal,
    /// Hedge base quantity minus this leg's base quantity (0 for linear legs).
    pub residual_base: Decimal,
}

/// A hedge: one base quantity and each leg's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HedgeSize {
    /// Common base quantity.
    pub base_qty: Decimal,
    /// The base step every linear leg trades exactly: the least common multiple of their
    /// base lots (the coarser lot when one divides the other).
    pub base_step: Decimal,
    /// Per leg, in input order.
    pub legs: ArrayVec<LegSize, MAX_HEDGE_LEGS>,
}

/// Sizes `usd` across `legs` so that every leg trades the same base quantity.
pub fn hedge_size(usd: Decimal, legs: &[HedgeLeg]) -> Result<HedgeSize, SizingError> {
    if legs.is_empty() || legs.len() > MAX_HEDGE_LEGS {
        return Err(SizingError::LegCount(legs.len()));
    }
    if !usd.is_positive() {
        return Err(SizingError::BadUsd(usd));
    }
    let mut step: i128 = 0; // raw base units; 0 = no linear leg yet
    let mut price = Decimal::ZERO;
    for (leg, l) in legs.iter().enumerate() {
        if !(1..=MAX_UNITS).contains(&l.price_ticks) {
            let price_ticks = l.price_ticks;
            return Err(SizingError::BadPrice { leg, price_ticks });
        }
        price = price.max(l.rules.tick.to_decimal(l.price_ticks));
        if l.rules.kind == ContractKind::Linear {
            let (lot, mult) = (l.rules.lot.size(), l.rules.multiplier);
            let s = lot.mul(mult, Round::ToZero)?;
            if s != lot.mul(mult, Round::AwayFromZero)? || !s.is_positive() {
                // lot × multiplier needs more than 18 decimals: no exact base step.
                return Err(SizingError::NoCommonLot);
            }
            let s = s.raw();
            step = if step == 0 {
                s
            } else {
                lcm(step, s).ok_or(SizingError::NoCommonLot)?
            };
        }
    }
    let base_step = if step == 0 {
        Decimal::from_raw(1)?
    } else {
        Decimal::from_raw(step)?
    };
    let raw_base = usd.div(price, Round::ToZero)?;
    let steps = raw_base
        .div(base_step, Round::ToZero)?
        .round_dp(0, Round::ToZero)?;
    let base_qty = steps.mul(base_step, Round::ToZero)?;
    if !base_qty.is_positive() {
        return Err(SizingError::ZeroQty {
            usd,
            step: base_step,
            price,
        });
    }
    let mut out = ArrayVec::new();
    for (i, l) in legs.iter().enumerate() {
        out.push(leg_size(i, l, base_qty)?);
    }
    Ok(HedgeSize {
        base_qty,
        base_step,
        legs: out,
    })
}

fn leg_size(i: usize, l: &HedgeLeg, base_qty: Decimal) -> Result<LegSize, SizingError> {
    let r = &l.rules;
    let err = |source| SizingError::Leg { leg: i, source };
    let qty = match r.kind {
        // base / multiplier is a whole number of lots by construction of the common step.
        ContractKind::Linear => base_qty.div(r.multiplier, Round::ToZero)?,
        // contracts = base × price / multiplier, toward zero.
        ContractKind::Inverse => base_qty.mul_div(
            r.tick.to_decimal(l.price_ticks),
            r.multiplier,
            Round::ToZero,
        )?,
    };
    let lots = r.qty_to_lots(qty).map_err(err)?;
    r.check_order(lots, l.price_ticks).map_err(err)?;
    let leg_base = r.base_qty(lots, l.price_ticks)?;
    Ok(LegSize {
        lots,
        notional: r.notional(lots, l.price_ticks)?,
        base_qty: leg_base,
        residual_base: base_qty.checked_sub(leg_base)?,
    })
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.abs()
}

fn lcm(a: i128, b: i128) -> Option<i128> {
    (a / gcd(a, b)).checked_mul(b)
}

#[cfg(test)]
mod tests;
