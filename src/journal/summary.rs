//! [`GroupSummary`]: one ended group in exchange units (decimal strings), the shape of
//! the run report's `groups[]` and of the journal's `ended` lines, so that `legcore
//! stats` on a journal and the run's own table read the same values.

use ethnum::I256;
use serde::{Deserialize, Serialize};

use super::record::{Record, StartedLeg};
use crate::book::OrderSide;
use crate::group::{LegRecord, Outcome, Policy};
use crate::instrument::VenueInfo;
use crate::leg::Route;
use crate::num::{Decimal, Ratio, Round, Step};

/// One leg of an ended group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegSummary {
    /// Venue name.
    pub venue: String,
    /// Instrument name.
    pub instrument: String,
    /// `buy` or `sell` (the entry direction).
    pub side: String,
    /// The route the entry took: `market`, `limit`, `limit_then_market`, `chase`.
    pub mode_used: String,
    /// Asked, base quantity.
    pub target_qty: String,
    /// Filled in the entry direction.
    pub filled_qty: String,
    /// Unwound.
    pub unwound_qty: String,
    /// Left (entry direction).
    pub net_qty: String,
    /// The filled quantity in base units (BTC of BTC contracts): the same as
    /// `filled_qty` for a linear instrument, contracts × multiplier / average price for
    /// an inverse one (8 places, toward zero).
    #[serde(default)]
    pub filled_base: Option<String>,
    /// Average fill price, if anything filled.
    pub avg_price: Option<String>,
    /// The pre-flight walk's expected average price.
    pub expected_price: Option<String>,
    /// Mid of the top of book it decided on.
    pub arrival_mid: String,
    /// Actual slippage: average against the arrival mid, bps (+ = worse).
    pub slippage_bps: Option<String>,
    /// Expected slippage: the walk's average against the arrival mid, bps.
    pub expected_slippage_bps: Option<String>,
    /// Fees of every fill of the leg, quote.
    pub fees: String,
}

/// The incident of a group that did not fill as asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentSummary {
    /// Per leg: the position left, base quantity (entry direction).
    pub residual: Vec<String>,
    /// Loss realised by the unwinds, quote (+ = loss).
    pub loss_quote: String,
    /// ∫ imbalance dt over the base quantity of the smallest leg, seconds.
    pub unhedged_seconds: String,
    /// One line for people.
    pub summary: String,
}

/// One ended group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// Job index in the run.
    pub id: usize,
    /// Strategy (scenario) name.
    pub strategy: String,
    /// `rollback`, `rebalance`, `complete`, `accept_partial`.
    pub policy: String,
    /// `filled`, `flat`, `rebalanced`, `unhedged`.
    pub outcome: String,
    /// From sending the entries to the end, ms.
    pub duration_ms: String,
    /// Wall clock when the end was recorded, ms since the Unix epoch.
    pub wall_ms: u64,
    /// The legs.
    pub legs: Vec<LegSummary>,
    /// The incident, when not every leg filled.
    pub incident: Option<IncidentSummary>,
}

/// Name of a policy.
pub fn policy_name(p: Policy) -> &'static str {
    match p {
        Policy::Rollback => "rollback",
        Policy::Rebalance => "rebalance",
        Policy::Complete { .. } => "complete",
        Policy::AcceptPartial => "accept_partial",
    }
}

/// Name of an outcome.
pub fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Filled => "filled",
        Outcome::Flat => "flat",
        Outcome::Rebalanced => "rebalanced",
        Outcome::Unhedged => "unhedged",
    }
}

fn route_name(r: Option<Route>) -> &'static str {
    match r {
        Some(Route::Limit) => "limit",
        Some(Route::LimitThenMarket) => "limit_then_market",
        Some(Route::Market) => "market",
        Some(Route::Chase) => "chase",
        None => "none",
    }
}

/// A `Ratio` as a decimal (toward −∞ at 10⁻¹⁸), then rounded half-even to `dp`.
pub fn ratio_decimal(r: Ratio, dp: u8) -> Decimal {
    let raw = (I256::from(r.to_bits()) * I256::from(10u128.pow(18))) >> 64;
    i128::try_from(raw)
        .ok()
        .and_then(|raw| Decimal::from_raw(raw).ok())
        .and_then(|d| d.round_dp(dp, Round::HalfEven).ok())
        .unwrap_or(Decimal::ZERO)
}

fn qty(lot: Step, lots: i64) -> String {
    lot.to_decimal(lots).to_string()
}

/// Tick-lots (× `scale`) as quote: `x × tick × lot / scale`, exact at 18 places.
pub fn quote(info: &VenueInfo, x: i128, scale: i64) -> Decimal {
    info.tick
        .size()
        .mul(info.lot.size(), Round::HalfEven)
        .and_then(|tl| tl.mul_int(x))
        .and_then(|q| q.div(Decimal::from_i64(scale), Round::HalfEven))
        .unwrap_or(Decimal::ZERO)
}

/// Signed bps of `price` against `mid` (+ = worse for `side`), 4 places.
fn bps_vs(side: OrderSide, price: Ratio, mid: Ratio) -> Option<String> {
    if mid <= Ratio::ZERO {
        return None;
    }
    let d = match side {
        OrderSide::Buy => price.checked_sub(mid)?,
        OrderSide::Sell => mid.checked_sub(price)?,
    };
    let bps = d.checked_mul_int(10_000)?.checked_div(mid)?;
    Some(ratio_decimal(bps, 4).to_string())
}

fn leg_summary(s: &StartedLeg, r: &LegRecord, info: &VenueInfo) -> LegSummary {
    let mid = Ratio::from_num(s.top.bid_ticks + s.top.ask_ticks) / 2;
    let price = |t: Ratio| {
        let d = ratio_decimal(t, 8);
        d.mul(info.tick.size(), Round::HalfEven)
            .and_then(|p| p.round_dp(info.tick.dp() + 4, Round::HalfEven))
            .map(|p| p.to_string())
            .ok()
    };
    LegSummary {
        venue: info.name.clone(),
        instrument: info.instrument.clone(),
        side: match r.side {
            OrderSide::Buy => "buy",
            OrderSide::Sell => "sell",
        }
        .to_string(),
        mode_used: route_name(r.route).to_string(),
        target_qty: qty(info.lot, r.target_lots),
        filled_qty: qty(info.lot, r.filled_lots),
        unwound_qty: qty(info.lot, r.unwound_lots),
        net_qty: qty(info.lot, r.net_lots),
        filled_base: filled_base(info, r),
        avg_price: r.avg_price_ticks.and_then(price),
        expected_price: r.expected_price_ticks.and_then(price),
        arrival_mid: price(mid).unwrap_or_default(),
        slippage_bps: r.avg_price_ticks.and_then(|a| bps_vs(r.side, a, mid)),
        expected_slippage_bps: r.expected_price_ticks.and_then(|e| bps_vs(r.side, e, mid)),
        fees: fees_quote(info, r).to_string(),
    }
}

/// The fees of `r` in quote. A linear leg's are its tick-lots × rate; an inverse leg's
/// (rate × contracts × multiplier) are those tick-lots over its average fill price ×
/// the multiplier, exact when its fills share one fee rate.
fn fees_quote(info: &VenueInfo, r: &LegRecord) -> Decimal {
    let tl = quote(info, r.fees_tl_e8, 100_000_000);
    if info.kind == crate::instrument::ContractKind::Linear {
        return tl;
    }
    r.avg_price_ticks
        .map(|t| ratio_decimal(t, 8).mul(info.tick.size(), Round::HalfEven))
        .and_then(|p| p.ok().filter(|p| p.is_positive()))
        .and_then(|p| tl.mul_div(info.multiplier, p, Round::HalfEven).ok())
        .and_then(|d| d.round_dp(8, Round::HalfEven).ok())
        .unwrap_or(Decimal::ZERO)
}

/// The filled lots of `r` in base units, at its average fill price for an inverse
/// instrument (see [`LegSummary::filled_base`]).
fn filled_base(info: &VenueInfo, r: &LegRecord) -> Option<String> {
    let price = r
        .avg_price_ticks
        .and_then(|t| {
            ratio_decimal(t, 8)
                .mul(info.tick.size(), Round::HalfEven)
                .ok()
        })
        .unwrap_or(Decimal::ZERO);
    let base = info.base_qty(r.filled_lots, price).or_else(|| {
        // Nothing filled (no average price): zero in either kind.
        (r.filled_lots == 0).then_some(Decimal::ZERO)
    })?;
    base.round_dp(8, Round::ToZero).ok().map(|d| d.to_string())
}

/// The summary of an `Ended` record (`None` for other records); `venues` by venue index.
pub fn summarize(
    rec: &Record,
    venues: &[VenueInfo],
    strategy: &str,
    wall_ms: u64,
) -> Option<GroupSummary> {
    let Record::Ended {
        job,
        t_ns,
        started_ns,
        policy,
        outcome,
        legs,
        incident,
    } = rec
    else {
        return None;
    };
    let unknown = VenueInfo {
        name: "?".into(),
        instrument: "?".into(),
        tick: Step::parse("1").ok()?,
        lot: Step::parse("1").ok()?,
        kind: crate::instrument::ContractKind::Linear,
        multiplier: Decimal::ONE,
    };
    let info = |s: &StartedLeg| venues.get(s.plan.venue).unwrap_or(&unknown);
    let ms = Decimal::from_i64(i64::try_from(t_ns.saturating_sub(*started_ns)).ok()?)
        .div(Decimal::from_i64(1_000_000), Round::HalfEven)
        .and_then(|d| d.round_dp(3, Round::HalfEven))
        .ok()?;
    let incident = incident.as_ref().map(|inc| {
        let mut loss = Decimal::ZERO;
        let mut residual = Vec::new();
        for ((s, _), li) in legs.iter().zip(&inc.legs) {
            let v = info(s);
            residual.push(qty(v.lot, li.net_lots));
            loss = loss.checked_add(quote(v, li.loss_tl, 1)).unwrap_or(loss);
        }
        // Units × ns over the smallest leg's base units → seconds of a full imbalance.
        let secs =
            Decimal::from_i64(i64::try_from(inc.unhedged_unit_ns / 1_000).unwrap_or(i64::MAX))
                .div(Decimal::from_i64(1_000_000), Round::HalfEven)
                .unwrap_or(Decimal::ZERO);
        let base_units = legs
            .iter()
            .map(|(s, _)| s.plan.qty_lots.saturating_mul(s.plan.lot_units))
            .min()
            .unwrap_or(1)
            .max(1);
        let secs = secs
            .div(Decimal::from_i64(base_units), Round::HalfEven)
            .and_then(|d| d.round_dp(6, Round::HalfEven))
            .unwrap_or(Decimal::ZERO);
        IncidentSummary {
            residual,
            loss_quote: loss.to_string(),
            unhedged_seconds: secs.to_string(),
            summary: inc.summary.to_string(),
        }
    });
    Some(GroupSummary {
        id: *job,
        strategy: strategy.to_string(),
        policy: policy_name(*policy).to_string(),
        outcome: outcome_name(*outcome).to_string(),
        duration_ms: ms.to_string(),
        wall_ms,
        legs: legs
            .iter()
            .map(|(s, r)| leg_summary(s, r, info(s)))
            .collect(),
        incident,
    })
}
