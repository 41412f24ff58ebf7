//! [`GroupSummary`]: one ended group in exchange units, the shape of the run report's
//! `groups[]` and of the journal's `ended` lines, so that `legcore stats` on a journal and
//! the run's own table read the same values.
//!
//! Every amount is a typed [`Decimal`] (a decimal string in JSON): a line whose decimal
//! does not parse is refused where it is read, never skipped. Money is in the leg's quote
//! currency (`LegSummary::quote`), and a group's money is an [`Amounts`] map by currency,
//! so legs quoted in different currencies are never added together. The signs:
//!
//! - `shortfall_quote`, implementation shortfall: every priced fill of the leg (entry and
//!   unwind) against the mid of the top of book the group decided on (the arrival mid),
//!   fees included; **+ = cost**. For a buy, `(price − mid) × qty`; for a sell,
//!   `(mid − price) × qty`. The unfilled rest of a leg is not priced (no opportunity cost).
//! - `flow_quote`: the fills as money, sells +, buys −, fees −; over a round trip back to
//!   flat it is the realised P&L net of fees (**+ = gain**, see [`super::stats`]).
//! - `loss_quote` of an incident: what the unwinds realised against the entry average;
//!   **+ = loss**.
//!
//! Amounts are exact (tick-lots × 10⁻⁸ priced once with the leg's tick and lot); a value
//! past the decimal range is a [`SummaryError`], never a zero. Each is
//! [`Decimal::canonical`], so a summary read back from a journal is equal to the one
//! written, down to how its sums print.

use std::collections::BTreeMap;
use std::fmt;

use ethnum::I256;
use serde::{Deserialize, Serialize};

use super::record::{Record, StartedLeg};
use crate::book::OrderSide;
use crate::group::{Incident, LegRecord, Outcome, Policy};
use crate::instrument::{ContractKind, VenueInfo};
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
    pub target_qty: Decimal,
    /// Filled in the entry direction.
    pub filled_qty: Decimal,
    /// Unwound.
    pub unwound_qty: Decimal,
    /// Left (entry direction).
    pub net_qty: Decimal,
    /// The filled quantity in base units (BTC of BTC contracts): `filled_qty` for a
    /// linear instrument, contracts × multiplier / average price for an inverse one (8
    /// places, toward zero; `None` when it cannot be priced).
    pub filled_base: Option<Decimal>,
    /// Average fill price, if anything filled.
    pub avg_price: Option<Decimal>,
    /// The pre-flight walk's expected average price.
    pub expected_price: Option<Decimal>,
    /// Mid of the top of book it decided on.
    pub arrival_mid: Decimal,
    /// Actual slippage: average against the arrival mid, bps (+ = worse).
    pub slippage_bps: Option<Decimal>,
    /// Expected slippage: the walk's average against the arrival mid, bps.
    pub expected_slippage_bps: Option<Decimal>,
    /// Fees of every fill of the leg, quote.
    pub fees: Decimal,
    /// The quote currency of its prices (`USDT`, `USD`).
    pub quote: String,
    /// The currency of its fees, shortfall and money flow: the quote for a linear leg,
    /// the coin for an inverse one (`BTC`). Absent in journals before it was written:
    /// the quote then (see [`LegSummary::money_currency`]).
    #[serde(default)]
    pub settle: Option<String>,
    /// Implementation shortfall of its fills against the arrival mid, fees included, in
    /// the settle currency (+ = cost; `None`: the arrival mid is not known, a recovered
    /// leg whose start was never journalled). See the module doc.
    pub shortfall_quote: Option<Decimal>,
    /// Its fills as money, in the settle currency: sells +, buys −, fees − (an inverse
    /// leg: contracts bought are coin held, +; see `journal::coin`). `None` only in
    /// journals written before inverse legs were priced; a round trip with such a leg
    /// says so (`unpriced_legs`).
    pub flow_quote: Option<Decimal>,
}

impl LegSummary {
    /// The currency its fees, shortfall and flow are in.
    pub fn money_currency(&self) -> &str {
        self.settle.as_deref().unwrap_or(&self.quote)
    }
}

/// The incident of a group that did not fill as asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentSummary {
    /// Per leg: the position left, base quantity (entry direction).
    pub residual: Vec<Decimal>,
    /// Loss realised by the unwinds, by quote currency (+ = loss, − = gain).
    pub loss_quote: Amounts,
    /// ∫ imbalance dt over the base quantity of the smallest leg, seconds.
    pub unhedged_seconds: Decimal,
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
    pub duration_ms: Decimal,
    /// Wall clock when the end was recorded, ms since the Unix epoch.
    pub wall_ms: u64,
    /// The legs.
    pub legs: Vec<LegSummary>,
    /// The legs' implementation shortfall by quote currency (+ = cost).
    pub shortfall_quote: Amounts,
    /// The incident, when not every leg filled.
    pub incident: Option<IncidentSummary>,
}

/// Money by quote currency (`{"USDT": "1.25"}`): amounts in different currencies are
/// kept apart, never added.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Amounts(pub BTreeMap<String, Decimal>);

impl Amounts {
    /// Adds `x` in `quote`; past the decimal range it is an error naming `what`.
    pub fn add(&mut self, quote: &str, x: Decimal, what: &'static str) -> Result<(), Overflow> {
        let slot = self.0.entry(quote.to_string()).or_insert(Decimal::ZERO);
        *slot = least(slot.checked_add(x).map_err(|_| Overflow(what))?);
        Ok(())
    }

    /// Adds every amount of `other`.
    pub fn add_all(&mut self, other: &Amounts, what: &'static str) -> Result<(), Overflow> {
        for (q, &x) in &other.0 {
            self.add(q, x, what)?;
        }
        Ok(())
    }

    /// The amounts with their sign named by `words`: `loss 1.18 USDT`, `gain 0.4 USDT`;
    /// `none` when there is none.
    pub fn named(&self, words: Words) -> NamedAmounts<'_> {
        NamedAmounts(self, words)
    }
}

/// How the sign of an amount reads: the word for ≥ 0 and the word for < 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Words {
    /// For zero and positive amounts.
    pub plus: &'static str,
    /// For negative amounts (printed without their minus sign).
    pub minus: &'static str,
}

/// + = loss (incidents).
pub const LOSS: Words = Words {
    plus: "loss",
    minus: "gain",
};
/// + = cost (implementation shortfall).
pub const COST: Words = Words {
    plus: "cost",
    minus: "gain",
};
/// + = paid (fees; a rebate is negative).
pub const FEES: Words = Words {
    plus: "paid",
    minus: "rebated",
};
/// + = gain (P&L).
pub const PNL: Words = Words {
    plus: "gain",
    minus: "loss",
};

/// One amount with its sign named: `loss 1.18220277 USDT`, never a bare signed number.
#[derive(Debug, Clone, Copy)]
pub struct Named<'a> {
    /// The amount.
    pub amount: Decimal,
    /// Its currency.
    pub quote: &'a str,
    /// How its sign reads.
    pub words: Words,
}

impl fmt::Display for Named<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = if self.amount.is_negative() {
            self.words.minus
        } else {
            self.words.plus
        };
        write!(f, "{word} {} {}", self.amount.abs(), self.quote)
    }
}

/// [`Amounts::named`].
#[derive(Debug, Clone, Copy)]
pub struct NamedAmounts<'a>(&'a Amounts, Words);

impl fmt::Display for NamedAmounts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 .0.is_empty() {
            return f.write_str("none");
        }
        for (i, (quote, &amount)) in self.0 .0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            let words = self.1;
            write!(
                f,
                "{}",
                Named {
                    amount,
                    quote,
                    words
                }
            )?;
        }
        Ok(())
    }
}

/// A value left the decimal range; names the figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} overflows the decimal range")]
pub struct Overflow(pub &'static str);

/// Why an ended group could not be summarized.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("group {group}: {why}")]
pub struct SummaryError {
    /// The group (job) id.
    pub group: usize,
    /// What overflowed.
    pub why: Overflow,
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
    o.name()
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
pub fn ratio_decimal(r: Ratio, dp: u8) -> Result<Decimal, Overflow> {
    let raw = (I256::from(r.to_bits()) * I256::from(10u128.pow(18))) >> 64;
    i128::try_from(raw)
        .ok()
        .and_then(|raw| Decimal::from_raw(raw).ok())
        .and_then(|d| d.round_dp(dp, Round::HalfEven).ok())
        .map(Decimal::canonical)
        .ok_or(Overflow("a price or bps"))
}

/// An amount printed with the fewest places that hold it exactly (`0.0105`, `3`), and
/// [`Decimal::canonical`]: it reads back from its text identical.
fn least(x: Decimal) -> Decimal {
    x.with_dp(0).canonical()
}

/// Tick-lots (× `scale`) as quote: `x × tick × lot / scale`, exact at 18 places.
pub fn quote(info: &VenueInfo, x: i128, scale: i64) -> Result<Decimal, Overflow> {
    info.tick
        .size()
        .mul(info.lot.size(), Round::HalfEven)
        .and_then(|tl| tl.mul_int(x))
        .and_then(|q| q.div(Decimal::from_i64(scale), Round::HalfEven))
        .map(least)
        .map_err(|_| Overflow("a quote amount"))
}

/// Signed bps of `price` against `mid` (+ = worse for `side`), 4 places; `None` without a
/// mid.
fn bps_vs(side: OrderSide, price: Ratio, mid: Ratio) -> Result<Option<Decimal>, Overflow> {
    if mid <= Ratio::ZERO {
        return Ok(None);
    }
    let d = match side {
        OrderSide::Buy => price.checked_sub(mid),
        OrderSide::Sell => mid.checked_sub(price),
    };
    let bps = d
        .and_then(|d| d.checked_mul_int(10_000))
        .and_then(|d| d.checked_div(mid))
        .ok_or(Overflow("slippage bps"))?;
    ratio_decimal(bps, 4).map(Some)
}

/// The priced fills of one leg: what its shortfall and money flow are computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegFills {
    /// Entry direction.
    pub side: OrderSide,
    /// Entry-direction fills: lots and Σ price × qty (tick-lots).
    pub entry: (i64, i128),
    /// Unwind-direction fills: lots and Σ price × qty (tick-lots).
    pub exit: (i64, i128),
    /// Fees of every fill, tick-lots × 10⁻⁸.
    pub fees_tl_e8: i128,
    /// Best bid + best ask at arrival, ticks (twice the mid).
    pub mid2_ticks: i64,
    /// The same fills priced for an inverse instrument (Σ qty ÷ price).
    pub inv: InvFills,
}

/// A leg's fills as Σ qty ÷ price, lots per tick: what an inverse leg's money in coin is
/// computed from (see `journal::coin`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InvFills {
    /// Entry-direction fills, × 10¹⁸.
    pub entry_e18: i128,
    /// Unwind-direction fills, × 10¹⁸.
    pub exit_e18: i128,
    /// Fees of every fill, × 10²⁶ (`None`: past the range when summed).
    pub fees_e26: Option<i128>,
}

/// 10⁸: tick-lots to tick-lots × 10⁻⁸.
const E8: i128 = 100_000_000;

impl LegFills {
    /// +1 for a buy entry, −1 for a sell.
    fn sign(&self) -> i128 {
        match self.side {
            OrderSide::Buy => 1,
            OrderSide::Sell => -1,
        }
    }

    /// Net notional bought, tick-lots × 10⁻⁸ (entry less unwinds, signed by the entry).
    fn net_notional_e8(&self) -> Option<i128> {
        let n = self.entry.1.checked_sub(self.exit.1)?;
        n.checked_mul(E8)?.checked_mul(self.sign())
    }

    /// Implementation shortfall, tick-lots × 10⁻⁸ (+ = cost):
    /// `Σ buys (p − mid) q + Σ sells (mid − p) q + fees`.
    pub fn shortfall_tl_e8(&self) -> Option<i128> {
        let lots = i128::from(self.entry.0).checked_sub(i128::from(self.exit.0))?;
        let at_mid = lots
            .checked_mul(i128::from(self.mid2_ticks))?
            .checked_mul(E8 / 2)?
            .checked_mul(self.sign())?;
        self.net_notional_e8()?
            .checked_sub(at_mid)?
            .checked_add(self.fees_tl_e8)
    }

    /// The fills as money, tick-lots × 10⁻⁸: sells +, buys −, fees −.
    pub fn flow_tl_e8(&self) -> Option<i128> {
        self.net_notional_e8()?
            .checked_neg()?
            .checked_sub(self.fees_tl_e8)
    }

    /// The mid at arrival in the instrument's ticks, as a ratio.
    fn mid(&self) -> Ratio {
        Ratio::from_num(self.mid2_ticks) / 2
    }
}

/// The fields of a [`LegSummary`] that come from its fills, given the venue: fees,
/// shortfall (without a mid: none) and money flow.
type Money = (Decimal, Option<Decimal>, Option<Decimal>);

fn money(info: &VenueInfo, f: &LegFills) -> Result<Money, Overflow> {
    if info.kind == ContractKind::Inverse {
        return super::coin::money(info, f);
    }
    let fees = quote(info, f.fees_tl_e8, 100_000_000)?;
    let shortfall = if f.mid2_ticks > 0 {
        let x = f.shortfall_tl_e8().ok_or(Overflow("the shortfall"))?;
        Some(quote(info, x, 100_000_000)?)
    } else {
        None
    };
    let flow = f
        .flow_tl_e8()
        .ok_or(Overflow("the money flow"))
        .and_then(|x| quote(info, x, 100_000_000))?;
    Ok((fees, shortfall, Some(flow)))
}

/// `lots` of `info` in base units at `avg` (see [`LegSummary::filled_base`]).
fn filled_base(info: &VenueInfo, lots: i64, avg: Option<Decimal>) -> Option<Decimal> {
    if lots == 0 {
        return Some(Decimal::ZERO);
    }
    let base = info.base_qty(lots, avg?)?;
    base.round_dp(8, Round::ToZero).ok()
}

/// A price in ticks as a decimal with 4 places more than the tick.
fn price(info: &VenueInfo, ticks: Ratio) -> Result<Decimal, Overflow> {
    ratio_decimal(ticks, 8)?
        .mul(info.tick.size(), Round::HalfEven)
        .and_then(|p| p.round_dp(info.tick.dp() + 4, Round::HalfEven))
        .map(Decimal::canonical)
        .map_err(|_| Overflow("a price"))
}

fn side_name(side: OrderSide) -> String {
    side.as_str().to_string()
}

/// The leg of a live group's end.
fn leg_summary(s: &StartedLeg, r: &LegRecord, info: &VenueInfo) -> Result<LegSummary, Overflow> {
    let fills = LegFills {
        side: r.side,
        entry: (r.reported_lots, r.notional_tl),
        exit: (r.unwound_reported_lots, r.unwound_notional_tl),
        fees_tl_e8: r.fees_tl_e8,
        mid2_ticks: s.top.bid_ticks.saturating_add(s.top.ask_ticks),
        inv: InvFills {
            entry_e18: r.inv_e18,
            exit_e18: r.unwound_inv_e18,
            fees_e26: r.fees_inv_e26,
        },
    };
    let mid = fills.mid();
    let (fees, shortfall_quote, flow_quote) = money(info, &fills)?;
    let opt = |x: Option<Ratio>| x.map(|t| price(info, t)).transpose();
    Ok(LegSummary {
        venue: info.name.clone(),
        instrument: info.instrument.clone(),
        side: side_name(r.side),
        mode_used: route_name(r.route).to_string(),
        target_qty: info.lot.to_decimal(r.target_lots),
        filled_qty: info.lot.to_decimal(r.filled_lots),
        unwound_qty: info.lot.to_decimal(r.unwound_lots),
        net_qty: info.lot.to_decimal(r.net_lots),
        filled_base: filled_base(info, r.filled_lots, opt(r.avg_price_ticks)?),
        avg_price: opt(r.avg_price_ticks)?,
        expected_price: opt(r.expected_price_ticks)?,
        arrival_mid: price(info, mid)?,
        slippage_bps: r
            .avg_price_ticks
            .map_or(Ok(None), |a| bps_vs(r.side, a, mid))?,
        expected_slippage_bps: r
            .expected_price_ticks
            .map_or(Ok(None), |e| bps_vs(r.side, e, mid))?,
        fees,
        quote: info.quote.clone(),
        settle: Some(info.settle.clone()),
        shortfall_quote,
        flow_quote,
    })
}

/// What a recovered leg is known by (a resume reads it from the venues' records).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveredLeg {
    /// The priced fills (the venues' records, unwinds included).
    pub fills: LegFills,
    /// Entry size asked, lots.
    pub target_lots: i64,
}

/// The leg of a group a resume recovered: route `recovered`, no walk to compare with.
pub fn recovered_leg(info: &VenueInfo, leg: &RecoveredLeg) -> Result<LegSummary, Overflow> {
    let f = &leg.fills;
    let (fees, shortfall_quote, flow_quote) = money(info, f)?;
    let avg = if f.entry.0 > 0 {
        let n = quote(info, f.entry.1, 1)?;
        let q = info.lot.to_decimal(f.entry.0);
        let avg = n.div(q, Round::HalfEven).map_err(|_| Overflow("a price"))?;
        Some(avg.canonical())
    } else {
        None
    };
    Ok(LegSummary {
        venue: info.name.clone(),
        instrument: info.instrument.clone(),
        side: side_name(f.side),
        mode_used: "recovered".to_string(),
        target_qty: info.lot.to_decimal(leg.target_lots),
        filled_qty: info.lot.to_decimal(f.entry.0),
        unwound_qty: info.lot.to_decimal(f.exit.0),
        net_qty: info.lot.to_decimal(f.entry.0.saturating_sub(f.exit.0)),
        filled_base: filled_base(info, f.entry.0, avg),
        avg_price: avg,
        expected_price: None,
        arrival_mid: price(info, f.mid())?,
        slippage_bps: None,
        expected_slippage_bps: None,
        fees,
        quote: info.quote.clone(),
        settle: Some(info.settle.clone()),
        shortfall_quote,
        flow_quote,
    })
}

/// The legs' shortfall by currency (legs without an arrival mid are left out: the
/// statistics count them).
pub fn shortfall(legs: &[LegSummary]) -> Result<Amounts, Overflow> {
    let mut a = Amounts::default();
    for l in legs {
        if let Some(x) = l.shortfall_quote {
            a.add(l.money_currency(), x, "the group's shortfall")?;
        }
    }
    Ok(a)
}

/// `ns` as ms, 3 places.
fn ms(ns: u64) -> Result<Decimal, Overflow> {
    i64::try_from(ns)
        .ok()
        .and_then(|ns| {
            Decimal::from_i64(ns)
                .div(Decimal::from_i64(1_000_000), Round::HalfEven)
                .and_then(|d| d.round_dp(3, Round::HalfEven))
                .map(Decimal::canonical)
                .ok()
        })
        .ok_or(Overflow("a duration"))
}

/// Units × ns over the smallest leg's base units: seconds of a full imbalance, 6 places.
fn unhedged_seconds(unit_ns: u128, legs: &[(StartedLeg, LegRecord)]) -> Result<Decimal, Overflow> {
    let base_units = legs
        .iter()
        .map(|(s, _)| s.plan.qty_lots.saturating_mul(s.plan.lot_units))
        .min()
        .unwrap_or(1)
        .max(1);
    let us = i64::try_from(unit_ns / 1_000).map_err(|_| Overflow("the unhedged time"))?;
    Decimal::from_i64(us)
        .div(Decimal::from_i64(1_000_000), Round::HalfEven)
        .and_then(|s| s.div(Decimal::from_i64(base_units), Round::HalfEven))
        .and_then(|d| d.round_dp(6, Round::HalfEven))
        .map(Decimal::canonical)
        .map_err(|_| Overflow("the unhedged time"))
}

/// The run's venues by index, and a stand-in for an index past them.
struct Venues<'a> {
    list: &'a [VenueInfo],
    unknown: VenueInfo,
}

impl Venues<'_> {
    fn of(&self, s: &StartedLeg) -> &VenueInfo {
        self.list.get(s.plan.venue.index()).unwrap_or(&self.unknown)
    }
}

/// The incident in exchange units, with its line for people (quantities in base, losses
/// in quote with the sign named; never lots or tick-lots).
fn incident_summary(
    inc: &Incident,
    legs: &[(StartedLeg, LegRecord)],
    venues: &Venues<'_>,
) -> Result<IncidentSummary, Overflow> {
    use fmt::Write as _;
    let mut loss = Amounts::default();
    let mut residual = Vec::new();
    let mut line = format!(
        "group {} after {} ms:",
        inc.outcome.name(),
        ms(inc.time_to_hedge_ns)?
    );
    for (i, ((s, _), li)) in legs.iter().zip(&inc.legs).enumerate() {
        let v = venues.of(s);
        let leg_loss = match v.kind {
            ContractKind::Linear => quote(v, li.loss_tl, 1)?,
            ContractKind::Inverse => {
                let (n, d) = (I256::new(li.loss_inv_e18), I256::new(10i128.pow(18)));
                super::coin::coin(v, n, d, "the incident's loss")?
            }
        };
        loss.add(&v.settle, leg_loss, "the incident's loss")?;
        let q = |lots| v.lot.to_decimal(lots);
        residual.push(q(li.net_lots));
        let words = LOSS;
        let _ = write!(
            line,
            " leg {i} {} {}/{} filled, {} unwound, net {}, {};",
            li.side.as_str(),
            q(li.filled_lots),
            q(li.target_lots),
            q(li.unwound_lots),
            q(li.net_lots),
            Named {
                amount: leg_loss,
                quote: &v.settle,
                words
            }
        );
        if li.silent {
            line += " venue silent, order state unknown;";
        }
    }
    Ok(IncidentSummary {
        residual,
        loss_quote: loss,
        unhedged_seconds: unhedged_seconds(inc.unhedged_unit_ns, legs)?,
        summary: line.trim_end_matches(';').to_string(),
    })
}

/// The summary of an `Ended` record (`Ok(None)` for other records); `venues` by venue
/// index. A figure past the decimal range is an error naming the group.
pub fn summarize(
    rec: &Record,
    venues: &[VenueInfo],
    strategy: &str,
    wall_ms: u64,
) -> Result<Option<GroupSummary>, SummaryError> {
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
        return Ok(None);
    };
    let venues = Venues {
        list: venues,
        unknown: VenueInfo {
            name: "?".into(),
            instrument: "?".into(),
            tick: Step::ONE,
            lot: Step::ONE,
            kind: ContractKind::Linear,
            multiplier: Decimal::ONE,
            quote: "quote".into(),
            settle: "quote".into(),
        },
    };
    let build = || -> Result<GroupSummary, Overflow> {
        let legs_out = legs
            .iter()
            .map(|(s, r)| leg_summary(s, r, venues.of(s)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(GroupSummary {
            id: job.index(),
            strategy: strategy.to_string(),
            policy: policy_name(*policy).to_string(),
            outcome: outcome_name(*outcome).to_string(),
            duration_ms: ms(t_ns.saturating_sub(*started_ns))?,
            wall_ms,
            shortfall_quote: shortfall(&legs_out)?,
            legs: legs_out,
            incident: incident
                .as_ref()
                .map(|inc| incident_summary(inc, legs, &venues))
                .transpose()?,
        })
    };
    build().map(Some).map_err(|why| SummaryError {
        group: job.index(),
        why,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn venue(tick: &str, lot: &str) -> VenueInfo {
        VenueInfo {
            name: "v".into(),
            instrument: "BTCUSDT".into(),
            tick: Step::parse(tick).unwrap(),
            lot: Step::parse(lot).unwrap(),
            kind: ContractKind::Linear,
            multiplier: Decimal::ONE,
            quote: "USDT".into(),
            settle: "USDT".into(),
        }
    }

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn shortfall_and_flow_of_a_buy_with_an_unwind() {
        // Tick 0.1, lot 0.001. Arrival bid 1000.0, ask 1000.2 (mid 1000.1). Bought 0.005
        // at 1000.3 and 0.005 at 1000.5 (entry notional 10004 + 10005 ticks × 5 lots),
        // sold 0.004 back at 999.9; fees 0.0123 quote (123 tick-lots, × 10⁸).
        let v = venue("0.1", "0.001");
        let f = LegFills {
            side: OrderSide::Buy,
            entry: (10, 5 * 10_003 + 5 * 10_005),
            exit: (4, 4 * 9_999),
            fees_tl_e8: 12_300_000_000,
            mid2_ticks: 10_000 + 10_002,
            inv: InvFills::default(),
        };
        let (fees, shortfall, flow) = money(&v, &f).unwrap();
        assert_eq!(fees, d("0.0123"));
        // Buys: 0.005 × (1000.3 − 1000.1) + 0.005 × (1000.5 − 1000.1) = 0.001 + 0.002.
        // Sells: 0.004 × (1000.1 − 999.9) = 0.0008. Plus fees 0.0123: 0.0161 cost.
        assert_eq!(shortfall, Some(d("0.0161")));
        // Paid 5.0015 + 5.0025, received 3.9996, fees 0.0123: −6.0167.
        assert_eq!(flow, Some(d("-6.0167")));
    }

    #[test]
    fn a_sell_better_than_the_mid_is_a_negative_shortfall() {
        let v = venue("0.01", "0.000001");
        let f = LegFills {
            side: OrderSide::Sell,
            entry: (80_000, 80_000 * 6_183_200),
            exit: (0, 0),
            fees_tl_e8: 0,
            mid2_ticks: 6_183_180 + 6_183_190,
            inv: InvFills::default(),
        };
        // Sold 0.08 at 61832.00 against a mid of 61831.85: a gain of 0.08 × 0.15.
        let (_, shortfall, flow) = money(&v, &f).unwrap();
        assert_eq!(shortfall, Some(d("-0.012")));
        let unknown = LegFills { mid2_ticks: 0, ..f };
        assert_eq!(money(&v, &unknown).unwrap().1, None, "no mid, no shortfall");
        assert_eq!(flow, Some(d("4946.56")));
    }

    #[test]
    fn amounts_name_their_sign_and_currency() {
        let mut a = Amounts::default();
        a.add("USDT", d("-1.18220277"), "t").unwrap();
        assert_eq!(a.named(LOSS).to_string(), "gain 1.18220277 USDT");
        assert_eq!(a.named(PNL).to_string(), "loss 1.18220277 USDT");
        a.add("BTC", d("0.5"), "t").unwrap();
        assert_eq!(
            a.named(COST).to_string(),
            "cost 0.5 BTC, gain 1.18220277 USDT"
        );
        assert_eq!(Amounts::default().named(LOSS).to_string(), "none");
        let mut big = Amounts::default();
        big.add("USDT", Decimal::MAX, "t").unwrap();
        assert_eq!(big.add("USDT", Decimal::ONE, "fees"), Err(Overflow("fees")));
    }

    #[test]
    fn a_quote_past_the_range_is_an_error_not_zero() {
        let v = venue("10000", "10000");
        assert_eq!(quote(&v, i128::MAX / 2, 1), Err(Overflow("a quote amount")));
    }
}
