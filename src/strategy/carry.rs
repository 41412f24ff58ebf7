//! Cash-and-carry: buy spot and sell the perpetual as one atomic group when the perp is
//! rich; sell spot and buy the perp back as one group when the premium falls back.
//!
//! After each market-data line on either book, with both books live and no group in
//! flight, it walks both books for the size it would trade:
//!
//! - flat: the entry premium is `(perp sell average − spot buy average) / spot × 10⁴`
//!   from the walks (so it is net of the expected slippage), less both legs' taker fees.
//!   At or above `open_above_bps`, it opens.
//! - holding: the exit cost is `(perp buy average − spot sell average) / spot × 10⁴`
//!   plus both taker fees. At or below `close_below_bps`, it closes what it holds.
//!
//! Sizes come from `hedge_size` (USD to one base quantity on both legs' lots) at the
//! touch; the close trades the lots the entry left. Averages are exact decimals rounded
//! against the strategy (spot buy up, perp sell down, and so on), so a premium is never
//! flattered by rounding. A group that ends `Unhedged` stops the strategy: the kill
//! switch takes over. Allocation-free: it runs on the loop thread.
//!
//! An inverse leg (a COIN-M perpetual, in contracts of a fixed USD value) is sized by
//! `hedge_size` to the base quantity of the linear leg (whole contracts, toward zero).
//! Its average price is the one its base quantity is worth: contracts over the sum of
//! contracts / price per level (the harmonic mean, not the contract-weighted one, which
//! is higher), so a premium against a linear leg compares prices of equal base. As
//! contracts and base lots have no fixed ratio, each group of such a pair counts its
//! legs' units from the two sizes it trades (the hedge ratio at the decision).

use arrayvec::ArrayVec;

use super::seam::{Books, Intent, IntentLeg, Strategy};
use crate::book::{Ladder, OrderSide};
use crate::group::{Group, GroupError, LegPlan, LegRisk, Outcome, Policy};
use crate::index::{BookId, JobId, LegIdx, VenueId};
use crate::instrument::{ContractKind, InstrumentRules};
use crate::leg::{Arrival, Fees, Mode};
use crate::num::{ratio, Decimal, Ratio, Round};
use crate::sizing::{hedge_size, HedgeLeg};
use crate::walk::{walk_qty, Metrics, Thresholds};

/// One side of the carry: where and how it trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CarryLeg {
    /// The feed (index in the run's feeds) of its book.
    pub feed: usize,
    /// Venue index (gateway and risk).
    pub venue: VenueId,
    /// Book on the venue.
    pub book: BookId,
    /// Instrument rules.
    pub rules: InstrumentRules,
    /// Common base units per lot (the lot over the finest lot of the two legs); unused
    /// when either leg is inverse (each group then takes its units from its sizes).
    pub lot_units: i64,
    /// Fee rates.
    pub fees: Fees,
    /// Entry and exit mode.
    pub mode: Mode,
    /// Slippage bound of the leg's IOCs, bps.
    pub max_slippage_bps: Ratio,
}

impl CarryLeg {
    /// The intent leg trading `lots` (of `lot_units` common units each) to `side`, decided
    /// on `top`.
    pub fn intent_leg(
        &self,
        side: OrderSide,
        lots: i64,
        lot_units: i64,
        top: Arrival,
    ) -> IntentLeg {
        IntentLeg {
            plan: LegPlan {
                venue: self.venue,
                side,
                qty_lots: lots,
                lot_units,
                mode: self.mode,
                max_slippage_bps: self.max_slippage_bps,
                fees: self.fees,
            },
            book: self.book,
            top,
            risk: LegRisk {
                venue: self.venue,
                rules: self.rules,
            },
        }
    }
}

/// Strategy parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarryParams {
    /// The long leg on entry.
    pub spot: CarryLeg,
    /// The short leg on entry.
    pub perp: CarryLeg,
    /// Entry size, USD.
    pub size_usd: Decimal,
    /// Open when the entry premium net of fees is at least this, bps.
    pub open_above_bps: Decimal,
    /// Close when the exit cost with fees is at most this, bps.
    pub close_below_bps: Decimal,
    /// Wait after a group ends before the next decision, ns.
    pub cooldown_ns: u64,
    /// Most open-and-close cycles (then it only closes).
    pub max_cycles: u32,
    /// How groups resolve, in turn: group `k` of the run uses `policies[k % len]`.
    pub policies: ArrayVec<Policy, 4>,
    /// Slippage thresholds of the pre-flight's recommendation.
    pub thresholds: Thresholds,
}

/// Where the strategy is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CarryState {
    /// No position; may open after `until_ns`.
    Flat {
        /// End of the cooldown.
        until_ns: u64,
    },
    /// An entry group is in flight.
    Opening,
    /// Holding a hedged position, lots per leg.
    Holding {
        /// Spot lots held.
        spot_lots: i64,
        /// Perp lots short.
        perp_lots: i64,
        /// May close after this, ns.
        until_ns: u64,
    },
    /// An exit group is in flight.
    Closing {
        /// Spot lots held before it.
        spot_lots: i64,
        /// Perp lots short before it.
        perp_lots: i64,
    },
    /// A group ended unhedged: no more decisions.
    Stopped,
}

/// What the strategy did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CarryStats {
    /// Lines it decided on (both books live, nothing in flight).
    pub decisions: u64,
    /// Entry groups asked for.
    pub opens: u32,
    /// Exit groups asked for.
    pub closes: u32,
    /// Completed cycles (an exit that filled).
    pub cycles: u32,
    /// Ends of groups that were not the one in flight (late re-ends).
    pub stray_ends: u32,
    /// Groups asked for that the engine could not open (no free slot): the strategy
    /// decided again after its cooldown.
    pub not_opened: u32,
    /// The best entry premium net of fees seen, bps (display).
    pub best_entry_bps: Option<Decimal>,
    /// The lowest exit cost with fees seen, bps (display).
    pub best_exit_bps: Option<Decimal>,
}

/// The cash-and-carry strategy. See the module doc.
#[derive(Debug, Clone)]
pub struct Carry {
    p: CarryParams,
    state: CarryState,
    stats: CarryStats,
    /// Both legs' taker fees, bps.
    fees_bps: Decimal,
    /// The latest job whose end was seen: jobs are numbered in order, so an end of an
    /// earlier one is a late re-end (a reopened group), not the group in flight.
    last_ended: Option<JobId>,
}

/// Average price of a walk of `lots`, as an exact decimal rounded by `round`, with the
/// walk itself.
pub(crate) fn walked(
    ladder: &Ladder,
    leg: &CarryLeg,
    side: OrderSide,
    lots: i64,
    round: Round,
) -> Option<(Decimal, Arrival)> {
    let w = walk_qty(ladder, side, lots).ok()?;
    if !w.depth_sufficient() || w.qty_num <= 0 {
        return None;
    }
    let (bid, ask) = (
        ladder.best_bid()?.price_ticks,
        ladder.best_ask()?.price_ticks,
    );
    let avg = if leg.rules.kind == ContractKind::Inverse {
        inverse_avg(ladder, leg, side, lots, round)?
    } else {
        let ntl = Decimal::from_i64(i64::try_from(w.notional_tl).ok()?);
        let qty = Decimal::from_i64(i64::try_from(w.qty_num).ok()?);
        leg.rules.tick.size().mul_div(ntl, qty, round).ok()?
    };
    let m = Metrics::compute(&w, bid, ask, &Thresholds::default());
    let top = Arrival {
        bid_ticks: bid,
        ask_ticks: ask,
        recommendation: m.recommendation,
        expected_price_ticks: ratio(w.notional_tl, w.qty_num).ok(),
    };
    Some((avg, top))
}

/// The average price of `lots` contracts of an inverse leg taken from `ladder`, as their
/// base quantity values them: `Σ c / Σ (c / p)` over the levels walked, rounded by
/// `round` (each term the other way, so the rounding never flatters). `None` if the
/// book is short.
fn inverse_avg(
    ladder: &Ladder,
    leg: &CarryLeg,
    side: OrderSide,
    lots: i64,
    round: Round,
) -> Option<Decimal> {
    let term = match round {
        Round::Ceil => Round::Floor,
        _ => Round::Ceil,
    };
    let (mut left, mut per_price) = (lots, Decimal::ZERO);
    for l in ladder.levels(side.takes_from()) {
        let c = l.qty_lots.min(left);
        let p = leg.rules.tick.to_decimal(l.price_ticks);
        per_price = per_price
            .checked_add(Decimal::from_i64(c).div(p, term).ok()?)
            .ok()?;
        left -= c;
        if left == 0 {
            return Decimal::from_i64(lots).div(per_price, round).ok();
        }
    }
    None
}

/// `(hi − lo) / base × 10⁴`, rounded by `round`.
fn bps(hi: Decimal, lo: Decimal, base: Decimal, round: Round) -> Option<Decimal> {
    hi.checked_sub(lo)
        .ok()?
        .mul_div(Decimal::from_i64(10_000), base, round)
        .ok()
}

impl Carry {
    /// A flat strategy with `params`.
    pub fn new(params: CarryParams) -> Carry {
        let e8 = params.spot.fees.taker_e8 + params.perp.fees.taker_e8;
        // A rate × 10⁸ is bps × 10⁴.
        let fees_bps = Decimal::from_i64(e8)
            .div(Decimal::from_i64(10_000), Round::Ceil)
            .unwrap_or(Decimal::ZERO);
        Carry {
            p: params,
            state: CarryState::Flat { until_ns: 0 },
            stats: CarryStats::default(),
            fees_bps,
            last_ended: None,
        }
    }

    /// Where it is.
    pub fn state(&self) -> CarryState {
        self.state
    }

    /// What it did.
    pub fn stats(&self) -> CarryStats {
        self.stats
    }

    /// Both legs' taker fees, bps.
    pub fn fees_bps(&self) -> Decimal {
        self.fees_bps
    }

    /// Per leg, the base units of one lot for a group trading `lots` of each: the legs'
    /// own `lot_units` for two linear legs; with an inverse leg, each size as the other's
    /// units (over their common divisor), so that both targets are the same units.
    fn group_units(&self, lots: [i64; 2]) -> [i64; 2] {
        let (s, p) = (&self.p.spot, &self.p.perp);
        if s.rules.kind == ContractKind::Linear && p.rules.kind == ContractKind::Linear {
            return [s.lot_units, p.lot_units];
        }
        let g = gcd(lots[0], lots[1]).max(1);
        [(lots[1] / g).max(1), (lots[0] / g).max(1)]
    }

    /// Where it is, for people: `flat`, `holding 0.049 long, 0.049 short`, … (quantities
    /// in base, from the legs' lots).
    pub fn state_text(&self) -> StateText<'_> {
        StateText(self)
    }

    fn intent(&self, legs: [(CarryLeg, OrderSide, i64, Arrival); 2]) -> Intent {
        let mut out = ArrayVec::new();
        let units = self.group_units([legs[0].2, legs[1].2]);
        for ((leg, side, lots, top), lot_units) in legs.into_iter().zip(units) {
            out.push(leg.intent_leg(side, lots, lot_units, top));
        }
        let k = (self.stats.opens + self.stats.closes) as usize;
        let n = self.p.policies.len().max(1);
        Intent {
            legs: out,
            policy: self
                .p
                .policies
                .get(k % n)
                .copied()
                .unwrap_or(Policy::Rollback),
        }
    }

    /// The entry decision on live books: an intent when the premium is rich enough.
    pub fn decide_open(&mut self, spot: &Ladder, perp: &Ladder) -> Option<Intent> {
        let (s, p) = (&self.p.spot, &self.p.perp);
        let hedge = [
            HedgeLeg {
                rules: s.rules,
                side: OrderSide::Buy,
                price_ticks: spot.best_ask()?.price_ticks,
            },
            HedgeLeg {
                rules: p.rules,
                side: OrderSide::Sell,
                price_ticks: perp.best_bid()?.price_ticks,
            },
        ];
        let size = hedge_size(self.p.size_usd, &hedge).ok()?;
        let (s_lots, p_lots) = (size.legs[0].lots, size.legs[1].lots);
        let (s_avg, s_top) = walked(spot, s, OrderSide::Buy, s_lots, Round::Ceil)?;
        let (p_avg, p_top) = walked(perp, p, OrderSide::Sell, p_lots, Round::Floor)?;
        let gross = bps(p_avg, s_avg, s_avg, Round::Floor)?;
        let edge = gross.checked_sub(self.fees_bps).ok()?;
        let best = self.stats.best_entry_bps.map_or(edge, |b| b.max(edge));
        self.stats.best_entry_bps = Some(best);
        (edge >= self.p.open_above_bps).then(|| {
            self.intent([
                (*s, OrderSide::Buy, s_lots, s_top),
                (*p, OrderSide::Sell, p_lots, p_top),
            ])
        })
    }

    /// The exit decision for `spot_lots` long and `perp_lots` short.
    pub fn decide_close(
        &mut self,
        spot: &Ladder,
        perp: &Ladder,
        spot_lots: i64,
        perp_lots: i64,
    ) -> Option<Intent> {
        let (s, p) = (&self.p.spot, &self.p.perp);
        let (s_avg, s_top) = walked(spot, s, OrderSide::Sell, spot_lots, Round::Floor)?;
        let (p_avg, p_top) = walked(perp, p, OrderSide::Buy, perp_lots, Round::Ceil)?;
        let gross = bps(p_avg, s_avg, s_avg, Round::Ceil)?;
        let cost = gross.checked_add(self.fees_bps).ok()?;
        let best = self.stats.best_exit_bps.map_or(cost, |b| b.min(cost));
        self.stats.best_exit_bps = Some(best);
        (cost <= self.p.close_below_bps).then(|| {
            self.intent([
                (*s, OrderSide::Sell, spot_lots, s_top),
                (*p, OrderSide::Buy, perp_lots, p_top),
            ])
        })
    }
}

/// The state after the engine could not open the group asked for at `now_ns`: back to
/// deciding after `cooldown_ns` (an exit keeps the holding).
pub(crate) fn not_opened(state: CarryState, now_ns: u64, cooldown_ns: u64) -> CarryState {
    let until_ns = now_ns.saturating_add(cooldown_ns);
    match state {
        CarryState::Opening => CarryState::Flat { until_ns },
        CarryState::Closing {
            spot_lots,
            perp_lots,
        } => CarryState::Holding {
            spot_lots,
            perp_lots,
            until_ns,
        },
        other => other,
    }
}

/// The end of job `job`, if it is the group in flight: its outcome (`None` for a refused
/// start). An end of an earlier job (a late re-end of a reopened group) is a stray,
/// counted in `stats`: `None`.
pub(crate) fn end_of(
    last_ended: &mut Option<JobId>,
    stats: &mut CarryStats,
    job: JobId,
    group: &Group,
    refused: Option<GroupError>,
) -> Option<Option<Outcome>> {
    if last_ended.is_some_and(|l| job <= l) {
        stats.stray_ends += 1;
        return None;
    }
    *last_ended = Some(job);
    Some(if refused.is_some() {
        None
    } else {
        group.outcome()
    })
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a.abs()
    } else {
        gcd(b, a % b)
    }
}

impl CarryState {
    /// Its name in reports: `flat`, `opening`, `holding`, `closing`, `stopped`.
    pub const fn name(&self) -> &'static str {
        match self {
            CarryState::Flat { .. } => "flat",
            CarryState::Opening => "opening",
            CarryState::Holding { .. } => "holding",
            CarryState::Closing { .. } => "closing",
            CarryState::Stopped => "stopped",
        }
    }
}

/// [`Carry::state_text`].
#[derive(Debug, Clone, Copy)]
pub struct StateText<'a>(&'a Carry);

impl core::fmt::Display for StateText<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let c = self.0;
        let held = |f: &mut core::fmt::Formatter<'_>, spot: i64, perp: i64| {
            write!(
                f,
                "{} long, {} short",
                c.p.spot.rules.lot.to_decimal(spot),
                c.p.perp.rules.lot.to_decimal(perp)
            )
        };
        f.write_str(c.state.name())?;
        match c.state {
            CarryState::Holding {
                spot_lots,
                perp_lots,
                ..
            } => {
                f.write_str(" ")?;
                held(f, spot_lots, perp_lots)
            }
            CarryState::Closing {
                spot_lots,
                perp_lots,
            } => {
                f.write_str(" (from ")?;
                held(f, spot_lots, perp_lots)?;
                f.write_str(")")
            }
            CarryState::Stopped => f.write_str(" (a group ended unhedged)"),
            CarryState::Flat { .. } | CarryState::Opening => Ok(()),
        }
    }
}

impl Strategy for Carry {
    fn on_md(&mut self, feed: usize, books: Books<'_>, now_ns: u64) -> Option<Intent> {
        if feed != self.p.spot.feed && feed != self.p.perp.feed {
            return None;
        }
        let (spot, perp) = (books.live(self.p.spot.feed)?, books.live(self.p.perp.feed)?);
        match self.state {
            CarryState::Flat { until_ns }
                if now_ns >= until_ns && self.stats.cycles < self.p.max_cycles =>
            {
                self.stats.decisions += 1;
                let i = self.decide_open(spot, perp)?;
                self.stats.opens += 1;
                self.state = CarryState::Opening;
                Some(i)
            }
            CarryState::Holding {
                spot_lots,
                perp_lots,
                until_ns,
            } if now_ns >= until_ns => {
                self.stats.decisions += 1;
                let i = self.decide_close(spot, perp, spot_lots, perp_lots)?;
                self.stats.closes += 1;
                self.state = CarryState::Closing {
                    spot_lots,
                    perp_lots,
                };
                Some(i)
            }
            _ => None,
        }
    }

    fn on_not_opened(&mut self, now_ns: u64) {
        self.stats.not_opened += 1;
        self.state = not_opened(self.state, now_ns, self.p.cooldown_ns);
    }

    fn on_group_end(&mut self, job: JobId, group: &Group, refused: Option<GroupError>) {
        let ended = end_of(&mut self.last_ended, &mut self.stats, job, group, refused);
        let Some(outcome) = ended else { return };
        let net = |leg| group.leg_record(LegIdx::new(leg)).map_or(0, |r| r.net_lots);
        let now = group.times_ns().1;
        let until_ns = now.saturating_add(self.p.cooldown_ns);
        self.state = match (self.state, outcome) {
            (_, Some(Outcome::Unhedged)) => CarryState::Stopped,
            (CarryState::Opening, None | Some(Outcome::Flat)) => CarryState::Flat { until_ns },
            (CarryState::Opening, Some(_)) => {
                let (spot_lots, perp_lots) = (net(0), net(1));
                if spot_lots > 0 && perp_lots > 0 {
                    CarryState::Holding {
                        spot_lots,
                        perp_lots,
                        until_ns,
                    }
                } else {
                    CarryState::Flat { until_ns }
                }
            }
            (
                CarryState::Closing {
                    spot_lots,
                    perp_lots,
                },
                o,
            ) => {
                // What the exit left: its fills reduce the holding.
                let (s, p) = match o {
                    None | Some(Outcome::Flat) => (spot_lots, perp_lots),
                    Some(_) => (spot_lots - net(0), perp_lots - net(1)),
                };
                if s > 0 && p > 0 {
                    CarryState::Holding {
                        spot_lots: s,
                        perp_lots: p,
                        until_ns,
                    }
                } else {
                    if o == Some(Outcome::Filled) {
                        self.stats.cycles += 1;
                    }
                    CarryState::Flat { until_ns }
                }
            }
            (other, _) => {
                self.stats.stray_ends += 1;
                other
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::{Depth, Level};
    use crate::num::Step;

    fn ladder(bid: i64, ask: i64) -> Ladder {
        let mut l = Ladder::new(8, 4);
        let lv = |p, q| Level {
            price_ticks: p,
            qty_lots: q,
        };
        l.apply_snapshot(&[lv(bid, 100_000)], &[lv(ask, 100_000)], 1, Depth::Complete)
            .unwrap();
        l
    }

    fn carry(open_above: &str, close_below: &str) -> Carry {
        let leg = |i: usize, tick: &str| CarryLeg {
            feed: i,
            venue: VenueId::new(i),
            book: BookId::new(0),
            rules: InstrumentRules::linear(
                Step::parse(tick).unwrap(),
                Step::parse("0.001").unwrap(),
            ),
            lot_units: 1,
            fees: Fees {
                maker_e8: 0,
                taker_e8: 50_000, // 0.05 % = 5 bps
            },
            mode: Mode::MarketOnly,
            max_slippage_bps: Ratio::from_num(20),
        };
        let mut policies = ArrayVec::new();
        policies.push(Policy::Rollback);
        Carry::new(CarryParams {
            spot: leg(0, "0.01"),
            perp: leg(1, "0.1"),
            size_usd: Decimal::from_i64(10_000),
            open_above_bps: Decimal::parse(open_above).unwrap(),
            close_below_bps: Decimal::parse(close_below).unwrap(),
            cooldown_ns: 0,
            max_cycles: 1,
            policies,
            thresholds: Thresholds::default(),
        })
    }

    #[test]
    fn opens_exactly_at_the_threshold_net_of_fees() {
        // Spot ask 10 000.00, perp bid 10 002.0: +2 bps gross, −10 bps of taker fees.
        let (spot, perp) = (ladder(999_900, 1_000_000), ladder(100_020, 100_030));
        let mut at = carry("-8", "0");
        assert_eq!(at.fees_bps(), Decimal::from_i64(10));
        let i = at.decide_open(&spot, &perp).expect("−8 bps ≥ −8 bps");
        assert_eq!(at.stats().best_entry_bps, Some(Decimal::from_i64(-8)));
        // hedge_size at the higher price: 10 000 / 10 002 → 0.999 on both 0.001 lots.
        let legs: Vec<_> = i
            .legs
            .iter()
            .map(|l| (l.plan.side, l.plan.qty_lots))
            .collect();
        assert_eq!(legs, [(OrderSide::Buy, 999), (OrderSide::Sell, 999)]);
        assert_eq!(i.legs[0].top.ask_ticks, 1_000_000);
        let mut above = carry("-7.999999999999999999", "0");
        assert!(above.decide_open(&spot, &perp).is_none());
    }

    #[test]
    fn closes_on_the_exit_cost_rounded_against_the_strategy() {
        // Sell spot at 9 999.00, buy perp at 10 003.0: (4 / 9 999) × 10⁴ bps gross, which
        // is 4.000400…; rounded up, plus 10 bps of fees, it is above 14.0004.
        let (spot, perp) = (ladder(999_900, 1_000_000), ladder(100_020, 100_030));
        let mut c = carry("0", "14.0004");
        assert!(c.decide_close(&spot, &perp, 999, 999).is_none());
        let mut c = carry("0", "14.00041");
        let i = c
            .decide_close(&spot, &perp, 999, 999)
            .expect("below 14.00041");
        let sides: Vec<_> = i.legs.iter().map(|l| l.plan.side).collect();
        assert_eq!(sides, [OrderSide::Sell, OrderSide::Buy]);
    }

    #[test]
    fn decides_only_on_live_books_and_only_once_in_flight() {
        let ladders = [ladder(999_900, 1_000_000), ladder(100_020, 100_030)];
        let mut c = carry("-100", "-100");
        assert!(c
            .on_md(0, Books::new(&ladders, &[true, false]), 0)
            .is_none());
        assert!(
            c.on_md(2, Books::new(&ladders, &[true, true]), 0).is_none(),
            "not ours"
        );
        assert!(c.on_md(1, Books::new(&ladders, &[true, true]), 0).is_some());
        assert_eq!(c.state(), CarryState::Opening);
        assert!(
            c.on_md(1, Books::new(&ladders, &[true, true]), 0).is_none(),
            "in flight"
        );
        // A refused start returns it to flat; an older job's end is a stray.
        let g = Group::new(&[i_plan(); 2], Policy::Rollback).unwrap();
        c.on_group_end(JobId::new(5), &g, Some(GroupError::Tops));
        assert!(matches!(c.state(), CarryState::Flat { .. }));
        c.on_group_end(JobId::new(4), &g, None);
        assert_eq!(c.stats().stray_ends, 1);
    }

    /// COIN-M style: tick 0.1, one-contract lots of 100 USD.
    fn inverse_leg(feed: usize) -> CarryLeg {
        let rules = InstrumentRules::new(
            Step::parse("0.1").unwrap(),
            Step::parse("1").unwrap(),
            1,
            Decimal::ZERO,
            Decimal::from_i64(100),
            ContractKind::Inverse,
        )
        .unwrap();
        CarryLeg {
            rules,
            ..carry("0", "0").p.perp
        }
        .with_feed(feed)
    }

    impl CarryLeg {
        fn with_feed(mut self, i: usize) -> CarryLeg {
            (self.feed, self.venue) = (i, VenueId::new(i));
            self
        }
    }

    #[test]
    fn an_inverse_leg_averages_by_base_value_rounded_against_the_strategy() {
        let mut l = Ladder::new(8, 4);
        let lv = |p, q| Level {
            price_ticks: p,
            qty_lots: q,
        };
        let asks = [lv(500_000, 10), lv(600_000, 10)];
        l.apply_snapshot(&[lv(499_990, 10)], &asks, 1, Depth::Complete)
            .unwrap();
        let leg = inverse_leg(0);
        let up = inverse_avg(&l, &leg, OrderSide::Buy, 20, Round::Ceil).unwrap();
        let down = inverse_avg(&l, &leg, OrderSide::Buy, 20, Round::Floor).unwrap();
        // 20 / (10 / 50 000 + 10 / 60 000) = 54 545.45…, under the contract-weighted 55 000.
        assert!(down < up, "{down} {up}");
        let (lo, hi) = (
            Decimal::parse("54545.45").unwrap(),
            Decimal::parse("54545.46").unwrap(),
        );
        assert!(lo < down && up < hi, "{down} {up}");
        assert!(inverse_avg(&l, &leg, OrderSide::Buy, 21, Round::Ceil).is_none());
    }

    #[test]
    fn an_inverse_long_against_a_linear_short_is_base_matched_within_a_contract() {
        let mut c = carry("-100", "-100");
        c.p.spot = inverse_leg(0);
        // COIN-M ask 60 000.0, USD-M bid 60 010.0; 10 000 USD at the higher price is
        // 0.166 BTC on 0.001 lots, which is 166 × 60 000 / 100 = 99.6 → 99 contracts.
        let (coinm, usdm) = (ladder(599_990, 600_000), ladder(600_100, 600_110));
        let i = c.decide_open(&coinm, &usdm).expect("open at −100 bps");
        let legs: Vec<_> = i
            .legs
            .iter()
            .map(|l| (l.plan.qty_lots, l.plan.lot_units))
            .collect();
        assert_eq!(legs, [(99, 166), (166, 99)], "equal units: 99 × 166 each");
        let coinm_btc = Decimal::from_i64(99 * 100)
            .div(Decimal::from_i64(60_000), Round::ToZero)
            .unwrap();
        let short_btc = Decimal::parse("0.166").unwrap();
        let contract_btc = Decimal::parse("0.001666666666666666").unwrap();
        let gap = short_btc.checked_sub(coinm_btc).unwrap();
        assert!(!gap.is_negative() && gap < contract_btc, "{gap}");
        // The group the intent becomes accepts those units (targets equal in units).
        let plans: Vec<LegPlan> = i.legs.iter().map(|l| l.plan).collect();
        assert!(Group::new(&plans, Policy::Rollback).is_ok());
    }

    #[test]
    fn the_state_reads_in_base_quantities() {
        let mut c = carry("0", "0");
        assert_eq!(c.state_text().to_string(), "flat");
        c.state = CarryState::Holding {
            spot_lots: 49,
            perp_lots: 49,
            until_ns: 7,
        };
        assert_eq!(
            c.state_text().to_string(),
            "holding 0.049 long, 0.049 short"
        );
        c.state = CarryState::Stopped;
        assert_eq!(
            c.state_text().to_string(),
            "stopped (a group ended unhedged)"
        );
    }

    fn i_plan() -> LegPlan {
        LegPlan {
            venue: VenueId::new(0),
            side: OrderSide::Buy,
            qty_lots: 1,
            lot_units: 1,
            mode: Mode::MarketOnly,
            max_slippage_bps: Ratio::from_num(20),
            fees: Fees::default(),
        }
    }
}
