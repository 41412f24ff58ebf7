//! [`LiquidityReport`]: a walk and its metrics in exact decimals, for people and JSON.
//!
//! Conversions from ticks and lots are exact where a finite decimal exists; derived
//! values (an average price, a notional walk's fractional quantity, slippage in quote)
//! round toward zero at 10^-18, which keeps at least 12 significant digits for any price
//! above 10^-6.

use ethnum::I256;

use super::metrics::{Metrics, Thresholds};
use super::walk::{walk_notional, walk_qty, Walk, WalkError};
use crate::book::{Ladder, OrderSide, Side};
use crate::num::{Decimal, NumError, Round, Step, SCALE};

/// What the pre-flight walks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A base quantity; must be a whole number of lots.
    Qty(Decimal),
    /// A quote notional: the most **whole lots** whose cost fits it, as an order could
    /// be sent. Every figure is then an exact decimal (a fractional last lot, the seed's
    /// formula, would give a quantity with no finite decimal form); what is left is
    /// [`LiquidityReport::unspent_notional`], less than one lot at the worst price used.
    Notional(Decimal),
}

/// What the known book could not fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortfall {
    /// Quantity not found (a quantity walk).
    Qty(Decimal),
    /// Notional not found (a notional walk).
    Notional(Decimal),
}

/// Why a pre-flight could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// A side of the book is empty, so there is no mid to measure against.
    #[error("the {0} side of the book is empty")]
    EmptySide(Side),
    /// The target is not a whole number of lots, or not positive.
    #[error("quantity {qty} is not a positive multiple of the lot {lot}")]
    OffLot {
        /// The quantity asked for.
        qty: Decimal,
        /// The instrument's lot.
        lot: Decimal,
    },
    /// The notional is not positive, or buys less than one lot at the best price.
    #[error("notional {0} is not positive or buys less than one lot at the best price")]
    NotionalTooSmall(Decimal),
    /// A target outside the walk's range.
    #[error(transparent)]
    Walk(#[from] WalkError),
    /// A conversion left the decimal range.
    #[error(transparent)]
    Num(#[from] NumError),
}

/// The liquidity pre-flight of seed patterns 2 and 5, in exact decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiquidityReport {
    /// The order's direction.
    pub side: OrderSide,
    /// The known book fills the whole target.
    pub depth_sufficient: bool,
    /// The walk used every known level and depth beyond is unknown.
    pub reached_unknown_depth: bool,
    /// Base quantity filled.
    pub filled_qty: Decimal,
    /// Quote notional filled.
    pub filled_notional: Decimal,
    /// Average fill price; `None` when nothing filled.
    pub avg_price: Option<Decimal>,
    /// Price of the last level touched; `None` when nothing filled.
    pub worst_price: Option<Decimal>,
    /// Levels touched.
    pub levels_used: u32,
    /// Best bid.
    pub best_bid: Decimal,
    /// Best ask.
    pub best_ask: Decimal,
    /// (bid + ask) / 2.
    pub mid: Decimal,
    /// Spread, slippage, score and recommendation.
    pub metrics: Metrics,
    /// |avg − mid| × filled quantity, in quote.
    pub slippage_quote: Decimal,
    /// What was not found, if anything.
    pub shortfall: Option<Shortfall>,
    /// A notional target's rest that buys no whole lot (less than one lot at the worst
    /// price used); zero for a quantity target and when the book is short.
    pub unspent_notional: Decimal,
    /// The raw walk.
    pub walk: Walk,
}

/// Tick and lot of the book, for conversions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Units {
    /// Price tick.
    pub tick: Step,
    /// Quantity lot.
    pub lot: Step,
}

impl Units {
    /// Quote value of `tl` tick-lots, toward zero.
    pub fn tl_to_quote(&self, num: I256, den: I256) -> Result<Decimal, NumError> {
        let n = num * I256::new(self.tick.size().raw()) * I256::new(self.lot.size().raw());
        dec(n, den * I256::new(SCALE))
    }

    /// Tick-lots of a quote notional, toward zero.
    pub fn quote_to_tl(&self, notional: Decimal) -> i128 {
        let n = I256::new(notional.raw()) * I256::new(SCALE);
        let d = I256::new(self.tick.size().raw()) * I256::new(self.lot.size().raw());
        let q = n / d;
        if q > I256::new(i128::MAX) {
            i128::MAX
        } else {
            q.as_i128()
        }
    }

    /// Base quantity of `num / den` lots, toward zero.
    pub fn lots_to_qty(&self, num: I256, den: I256) -> Result<Decimal, NumError> {
        dec(num * I256::new(self.lot.size().raw()), den)
    }

    /// Price of `num / den` ticks, toward zero.
    pub fn ticks_to_price(&self, num: I256, den: I256) -> Result<Decimal, NumError> {
        dec(num * I256::new(self.tick.size().raw()), den)
    }
}

/// `num ÷ den` (in 10^-18 units) as a Decimal, toward zero.
fn dec(num: I256, den: I256) -> Result<Decimal, NumError> {
    if den == 0 {
        return Err(NumError::DivZero("report"));
    }
    let q = num / den;
    if q.unsigned_abs() > ethnum::U256::new(crate::num::MAX_RAW as u128) {
        return Err(NumError::Overflow("report"));
    }
    Decimal::from_raw(q.as_i128())
}

/// Walks `ladder` for `target` and reports, with the seed's default thresholds unless
/// `thresholds` says otherwise.
pub fn analyze(
    ladder: &Ladder,
    units: Units,
    side: OrderSide,
    target: Target,
    thresholds: &Thresholds,
) -> Result<LiquidityReport, ReportError> {
    let bid = ladder.best_bid().ok_or(ReportError::EmptySide(Side::Bid))?;
    let ask = ladder.best_ask().ok_or(ReportError::EmptySide(Side::Ask))?;
    let walk = match target {
        Target::Qty(q) => {
            let lots = units.lot.units_of(q, Round::ToZero)?;
            if lots <= 0 || units.lot.to_decimal(lots) != q {
                let lot = units.lot.size();
                return Err(ReportError::OffLot { qty: q, lot });
            }
            walk_qty(ladder, side, lots)?
        }
        Target::Notional(n) => whole_lots_for(ladder, units, side, n)?,
    };
    let metrics = Metrics::compute(&walk, bid.price_ticks, ask.price_ticks, thresholds);
    report(ladder, units, walk, metrics, target)
}

/// The walk of the most whole lots whose cost fits notional `n` (see
/// [`Target::Notional`]), carrying the notional walk's shortfall when the book is short.
/// The cost of `L` lots is a whole number of tick-lots, so it fits `n` exactly when it
/// fits `n`'s whole tick-lots: walking those loses nothing.
fn whole_lots_for(
    ladder: &Ladder,
    units: Units,
    side: OrderSide,
    n: Decimal,
) -> Result<Walk, ReportError> {
    let tl = if n.is_positive() {
        units.quote_to_tl(n)
    } else {
        0
    };
    if tl <= 0 {
        return Err(ReportError::NotionalTooSmall(n));
    }
    let by_notional = walk_notional(ladder, side, tl)?;
    // The fraction of the last level's lot is dropped: toward zero, positive.
    let lots = by_notional.qty_num / i128::from(by_notional.qty_den);
    let lots = i64::try_from(lots).map_err(|_| WalkError::NotionalRange(tl))?;
    if lots == 0 {
        return Err(ReportError::NotionalTooSmall(n));
    }
    let mut w = walk_qty(ladder, side, lots)?;
    w.shortfall_tl = by_notional.shortfall_tl;
    w.reached_unknown = by_notional.reached_unknown;
    Ok(w)
}

fn report(
    ladder: &Ladder,
    u: Units,
    w: Walk,
    metrics: Metrics,
    target: Target,
) -> Result<LiquidityReport, ReportError> {
    let (bid, ask) = match (ladder.best_bid(), ladder.best_ask()) {
        (Some(b), Some(a)) => (b.price_ticks, a.price_ticks),
        (None, _) => return Err(ReportError::EmptySide(Side::Bid)),
        (_, None) => return Err(ReportError::EmptySide(Side::Ask)),
    };
    let m2 = i128::from(bid) + i128::from(ask);
    let one = I256::ONE;
    let qd = I256::new(i128::from(w.qty_den));
    let qn = I256::new(w.qty_num);
    let (avg_price, worst_price) = if w.is_empty() {
        (None, None)
    } else {
        let avg = u.ticks_to_price(I256::new(w.notional_tl) * qd, qn)?;
        (Some(avg), Some(u.tick.to_decimal(w.worst_ticks)))
    };
    let gap = (I256::new(w.notional_tl) * qd * 2 - I256::new(m2) * qn).abs();
    let slippage_quote = u.tl_to_quote(gap, qd * 2)?;
    let filled_notional = u.tl_to_quote(I256::new(w.notional_tl), one)?;
    // A notional target's rest, exact: short of the book, or the dust of the last lot.
    let rest = match target {
        Target::Notional(n) => n.checked_sub(filled_notional)?,
        Target::Qty(_) => Decimal::ZERO,
    };
    let shortfall = match target {
        _ if w.depth_sufficient() => None,
        Target::Qty(_) => Some(Shortfall::Qty(u.lot.to_decimal(w.shortfall_lots))),
        Target::Notional(_) => Some(Shortfall::Notional(rest)),
    };
    let unspent_notional = if shortfall.is_some() {
        Decimal::ZERO
    } else {
        rest
    };
    // Print exact values with the book's own decimals ("10.000", not "10").
    let (tick_dp, lot_dp) = (u.tick.dp(), u.lot.dp());
    let money_dp = tick_dp.saturating_add(lot_dp);
    let avg_price = avg_price.map(|a| a.with_dp(tick_dp));
    Ok(LiquidityReport {
        side: w.side,
        depth_sufficient: w.depth_sufficient(),
        reached_unknown_depth: w.reached_unknown,
        filled_qty: u.lots_to_qty(qn, qd)?.with_dp(lot_dp),
        filled_notional: filled_notional.with_dp(money_dp),
        avg_price,
        worst_price,
        levels_used: w.levels_used,
        best_bid: u.tick.to_decimal(bid),
        best_ask: u.tick.to_decimal(ask),
        mid: u
            .ticks_to_price(I256::new(m2), I256::new(2))?
            .with_dp(tick_dp),
        metrics,
        slippage_quote: slippage_quote.with_dp(money_dp),
        shortfall,
        unspent_notional,
        walk: w,
    })
}
