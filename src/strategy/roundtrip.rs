//! Round trip on one venue: buy a USD size at the touch, hold it, sell it back, and again,
//! for scenarios with a single venue (a Bybit or Hyperliquid book) where a hedge has no
//! second leg. It exercises what a two-leg run does on one book: the pre-flight walk,
//! the risk gate, simulated fills against the recorded book, the journal and the report.
//!
//! After each market-data line on its book, with the book live and nothing in flight:
//! flat (after the cooldown, while cycles remain), it buys `usd_to_lots(size_usd)` at
//! the ask, if the walk finds the depth; holding (after `hold_ns`), it sells what the buy
//! left. A sell that leaves some lots holds them and sells again. A group that ends
//! `Unhedged` stops it. It reports its progress in the carry's [`CarryState`] and
//! [`CarryStats`] (long lots in `spot_lots`, none in `perp_lots`), so a run's report
//! reads one shape. Allocation-free: it runs on the loop thread.

use arrayvec::ArrayVec;

use super::carry::{end_of, not_opened, walked, CarryLeg, CarryState, CarryStats};
use crate::book::{Ladder, OrderSide};
use crate::group::{Group, GroupError, Outcome, Policy};
use crate::index::{JobId, LegIdx};
use crate::num::{Decimal, Round};
use crate::sizing::usd_to_lots;
use crate::strategy::{Books, Intent, Strategy};

/// Round-trip parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundtripParams {
    /// Where and how it trades (`lot_units` 1: one leg).
    pub leg: CarryLeg,
    /// Size of each buy, USD.
    pub size_usd: Decimal,
    /// How long a filled buy is held before it is sold, ns.
    pub hold_ns: u64,
    /// Wait after a round trip before the next buy, ns.
    pub cooldown_ns: u64,
    /// Most round trips.
    pub max_cycles: u32,
    /// How each group resolves.
    pub policy: Policy,
}

/// The round-trip strategy. See the module doc.
#[derive(Debug, Clone)]
pub struct Roundtrip {
    p: RoundtripParams,
    state: CarryState,
    stats: CarryStats,
    last_ended: Option<JobId>,
}

impl Roundtrip {
    /// A flat strategy with `params`.
    pub fn new(params: RoundtripParams) -> Roundtrip {
        Roundtrip {
            p: params,
            state: CarryState::Flat { until_ns: 0 },
            stats: CarryStats::default(),
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

    /// A one-leg group trading `lots` to `side` on `book`, if the walk finds the depth.
    pub fn decide(&self, book: &Ladder, side: OrderSide, lots: i64) -> Option<Intent> {
        let leg = &self.p.leg;
        let round = match side {
            OrderSide::Buy => Round::Ceil,
            OrderSide::Sell => Round::Floor,
        };
        let (_, top) = walked(book, leg, side, lots, round)?;
        let mut legs = ArrayVec::new();
        legs.push(leg.intent_leg(side, lots, 1, top));
        Some(Intent {
            legs,
            policy: self.p.policy,
        })
    }

    /// The buy on a live book: `size_usd` at the touch, in lots toward zero.
    fn decide_open(&self, book: &Ladder) -> Option<Intent> {
        let (bid, ask) = (book.best_bid()?.price_ticks, book.best_ask()?.price_ticks);
        let rules = &self.p.leg.rules;
        let lots = usd_to_lots(rules, self.p.size_usd, OrderSide::Buy, bid, ask).ok()?;
        self.decide(book, OrderSide::Buy, lots)
    }
}

impl Strategy for Roundtrip {
    fn on_md(&mut self, feed: usize, books: Books<'_>, now_ns: u64) -> Option<Intent> {
        if feed != self.p.leg.feed {
            return None;
        }
        let book = books.live(feed)?;
        let (intent, next) = match self.state {
            CarryState::Flat { until_ns }
                if now_ns >= until_ns && self.stats.cycles < self.p.max_cycles =>
            {
                (self.decide_open(book), CarryState::Opening)
            }
            CarryState::Holding {
                spot_lots,
                until_ns,
                ..
            } if now_ns >= until_ns => {
                let sell = self.decide(book, OrderSide::Sell, spot_lots);
                let closing = CarryState::Closing {
                    spot_lots,
                    perp_lots: 0,
                };
                (sell, closing)
            }
            _ => return None,
        };
        self.stats.decisions += 1;
        let intent = intent?;
        match next {
            CarryState::Opening => self.stats.opens += 1,
            _ => self.stats.closes += 1,
        }
        self.state = next;
        Some(intent)
    }

    fn on_not_opened(&mut self, now_ns: u64) {
        self.stats.not_opened += 1;
        self.state = not_opened(self.state, now_ns, self.p.cooldown_ns);
    }

    fn on_group_end(&mut self, job: JobId, group: &Group, refused: Option<GroupError>) {
        let ended = end_of(&mut self.last_ended, &mut self.stats, job, group, refused);
        let Some(outcome) = ended else { return };
        let net = group.leg_record(LegIdx::new(0)).map_or(0, |r| r.net_lots);
        let now = group.times_ns().1;
        let holding = |lots: i64| CarryState::Holding {
            spot_lots: lots,
            perp_lots: 0,
            until_ns: now.saturating_add(self.p.hold_ns),
        };
        let flat = CarryState::Flat {
            until_ns: now.saturating_add(self.p.cooldown_ns),
        };
        self.state = match (self.state, outcome) {
            (_, Some(Outcome::Unhedged)) => CarryState::Stopped,
            (CarryState::Opening, Some(_)) if net > 0 => holding(net),
            (CarryState::Opening, _) => flat,
            (CarryState::Closing { spot_lots, .. }, o) => {
                let left = match o {
                    None | Some(Outcome::Flat) => spot_lots,
                    Some(_) => spot_lots - net,
                };
                if left > 0 {
                    holding(left)
                } else {
                    self.stats.cycles += 1;
                    flat
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
mod tests;
