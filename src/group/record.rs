//! [`LegRecord`]: what one leg of a group did, for the execution tracker (seed pattern 7).
//!
//! Quantities are lots and prices ticks of the leg's instrument (the caller converts at
//! the edge with its tick and lot). Averages and slippage are [`Ratio`]s (`I64F64`):
//! exact to 2⁻⁶⁴ of a tick, good for statistics; the exact sums (`notional_tl`,
//! `fees_tl_e8`) are kept beside them. Slippage is signed, positive = worse than the
//! reference (paid more on a buy, received less on a sell).

use super::{net_units, Group};
use crate::book::OrderSide;
use crate::index::LegIdx;
use crate::leg::{Mode, Route, Stamps};
use crate::num::{ratio, Ratio};

/// One leg's execution record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegRecord {
    /// Entry direction.
    pub side: OrderSide,
    /// The mode asked for.
    pub mode: Mode,
    /// The route the entry took (adaptive resolves to one), once started.
    pub route: Option<Route>,
    /// Entry size asked, lots.
    pub target_lots: i64,
    /// Filled in the entry direction (entry and completion), lots.
    pub filled_lots: i64,
    /// Unwound, lots.
    pub unwound_lots: i64,
    /// Position left relative to the entry direction, lots.
    pub net_lots: i64,
    /// Σ price × qty of the entry-direction fills reported, tick-lots.
    pub notional_tl: i128,
    /// Entry-direction lots in fill reports (with prices; `filled_lots` may hold more,
    /// venue-reported sizes whose fills are still on their way).
    pub reported_lots: i64,
    /// Unwind-direction lots in fill reports.
    pub unwound_reported_lots: i64,
    /// Σ price × qty of the unwind-direction fills reported, tick-lots.
    pub unwound_notional_tl: i128,
    /// Average price of the entry-direction fills reported, ticks.
    pub avg_price_ticks: Option<Ratio>,
    /// The pre-flight walk's expected average, ticks.
    pub expected_price_ticks: Option<Ratio>,
    /// Slippage of the average against the expected price, bps.
    pub slippage_bps: Option<Ratio>,
    /// Slippage of the average against the arrival mid, bps.
    pub arrival_slippage_bps: Option<Ratio>,
    /// Lots filled as maker (entry direction).
    pub maker_lots: i64,
    /// Fees of every fill of the leg, tick-lots × 10⁻⁸ (maker or taker by fill).
    pub fees_tl_e8: i128,
    /// Σ qty ÷ price of the entry-direction fills, lots per tick × 10¹⁸: an inverse
    /// leg's fills in coin, see [`crate::leg::Order::inv_e18`].
    pub inv_e18: i128,
    /// The same of the unwind-direction fills.
    pub unwound_inv_e18: i128,
    /// Fees of every fill of an inverse leg, lots per tick × 10⁻²⁶ (`None` past the
    /// range), see [`crate::leg::Leg::fees_inv_e26`].
    pub fees_inv_e26: Option<i128>,
    /// Stage timestamps of the entry's first order.
    pub stamps: Stamps,
}

impl Group {
    /// The record of leg `leg`.
    pub fn leg_record(&self, leg: LegIdx) -> Option<LegRecord> {
        let gl = self.legs.get(leg.index())?;
        let entry = gl.parts.first()?;
        let side = gl.plan.side;
        let (mut filled, mut unwound, mut reported, mut notional, mut maker, mut fees) =
            (0i64, 0i64, 0i64, 0i128, 0i64, 0i128);
        let (mut out_reported, mut out_notional) = (0i64, 0i128);
        let (mut inv, mut out_inv, mut fees_inv) = (0i128, 0i128, Some(0i128));
        for p in &gl.parts {
            fees += p.fees_tl_e8();
            fees_inv = fees_inv
                .zip(p.fees_inv_e26())
                .and_then(|(a, b)| a.checked_add(b));
            if p.side() == side {
                filled += p.filled_lots();
                reported += p.reported_lots();
                notional += p.notional_tl();
                maker += p.maker_lots();
                inv += p.inv_e18();
            } else {
                unwound += p.filled_lots();
                out_reported += p.reported_lots();
                out_notional += p.notional_tl();
                out_inv += p.inv_e18();
            }
        }
        let arrival = entry.arrival();
        let avg = (reported > 0)
            .then(|| ratio(notional, i128::from(reported)).ok())
            .flatten();
        let expected = arrival.and_then(|a| a.expected_price_ticks);
        let mid = arrival.map(|a| Ratio::from_num(a.bid_ticks + a.ask_ticks) / 2);
        let slip = |reference: Option<Ratio>| slippage_bps(side, avg?, reference?);
        Some(LegRecord {
            side,
            mode: gl.plan.mode,
            route: entry.route(),
            target_lots: gl.plan.qty_lots,
            filled_lots: filled,
            unwound_lots: unwound,
            net_lots: net_units(gl) / gl.plan.lot_units,
            notional_tl: notional,
            reported_lots: reported,
            unwound_reported_lots: out_reported,
            unwound_notional_tl: out_notional,
            avg_price_ticks: avg,
            expected_price_ticks: expected,
            slippage_bps: slip(expected),
            arrival_slippage_bps: slip(mid),
            maker_lots: maker,
            fees_tl_e8: fees,
            inv_e18: inv,
            unwound_inv_e18: out_inv,
            fees_inv_e26: fees_inv,
            stamps: entry.order(0).map(|o| o.stamps()).unwrap_or_default(),
        })
    }
}

/// (avg − reference) / reference × 10⁴, signed so that positive is worse for `side`.
fn slippage_bps(side: OrderSide, avg: Ratio, reference: Ratio) -> Option<Ratio> {
    if reference <= Ratio::ZERO {
        return None;
    }
    let diff = match side {
        OrderSide::Buy => avg.checked_sub(reference)?,
        OrderSide::Sell => reference.checked_sub(avg)?,
    };
    diff.checked_mul(Ratio::from_num(10_000))?
        .checked_div(reference)
}
