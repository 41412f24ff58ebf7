//! [`Leg`]: one leg's execution mode driving its venue orders (seed pattern 3).
//!
//! Sans-IO: [`Leg::start`], [`Leg::on_order`] and [`Leg::on_timeout`] take the current
//! time and push [`Command`]s into a caller-owned buffer; [`Leg::next_deadline`] says
//! when to call back (quinn's `poll_timeout`). Orders live in fixed slots, so a leg
//! allocates nothing after construction.
//!
//! Modes:
//! - `LimitOnly { timeout }`: a post-only order at the passive price (best ask − tick for a
//!   buy, best bid + tick for a sell); cancelled at the timeout; what filled is the result.
//! - `LimitWithFallback { timeout }`: the same, then, **only once the cancel is confirmed**
//!   (the order is terminal), an IOC for the remainder at the protection price. A fill
//!   that arrives after the cancel ack but before the fallback goes out shrinks the
//!   fallback; one that arrives after it is counted and reported as the leg's excess.
//! - `MarketOnly`: an IOC at the protection price; its unfilled remainder expires.
//! - `Adaptive { timeout }`: `use_limit` from the pre-flight → limit with fallback,
//!   anything else → market.
//!
//! The protection price is the arrival mid moved by `max_slippage_bps` against us, rounded
//! to the tick away from the market (down for a buy, up for a sell): an IOC never fills
//! worse than the bound.

use arrayvec::ArrayVec;

use super::order::{Order, OrderError, OrderEvent, OrderState};
use crate::book::OrderSide;
use crate::num::Ratio;
use crate::walk::Recommendation;

/// Orders one leg may use (the passive order and its fallback).
pub const MAX_LEG_ORDERS: usize = 2;

/// How a leg executes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Passive only, cancelled after `timeout_ns`.
    LimitOnly {
        /// How long the passive order may rest.
        timeout_ns: u64,
    },
    /// Passive, then IOC for the remainder once the cancel is confirmed.
    LimitWithFallback {
        /// How long the passive order may rest.
        timeout_ns: u64,
    },
    /// IOC at the protection price.
    MarketOnly,
    /// Chosen from the pre-flight's recommendation.
    Adaptive {
        /// The passive timeout if the limit route is chosen.
        timeout_ns: u64,
    },
}

/// Time in force of an order command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tif {
    /// Rest on the book; refused by the venue if it would cross.
    PostOnly,
    /// Take what is there now; the remainder expires.
    Ioc,
}

/// What a leg asks the gateway to do. `slot` names the leg's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Send a new order.
    Submit {
        /// The leg's order slot.
        slot: usize,
        /// Buy or sell.
        side: OrderSide,
        /// Limit price in ticks (the protection price for an IOC).
        price_ticks: i64,
        /// Size in lots.
        qty_lots: i64,
        /// Post-only or IOC.
        tif: Tif,
        /// The order may only reduce a position (unwinds).
        reduce_only: bool,
    },
    /// Cancel the order in `slot`.
    Cancel {
        /// The leg's order slot.
        slot: usize,
    },
}

/// The top of book and pre-flight a leg starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    /// Best bid, ticks.
    pub bid_ticks: i64,
    /// Best ask, ticks.
    pub ask_ticks: i64,
    /// The pre-flight's recommendation (for `Adaptive`).
    pub recommendation: Recommendation,
}

/// Which route a leg took (for records).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Passive only.
    Limit,
    /// Passive, then IOC fallback.
    LimitThenMarket,
    /// IOC only.
    Market,
}

/// Why a leg could not act. Nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LegError {
    /// Size out of range, or a book side missing or crossed.
    #[error("leg input: {0}")]
    Input(&'static str),
    /// The leg was already started.
    #[error("leg already started")]
    AlreadyStarted,
    /// An event for a slot the leg has not used.
    #[error("no order in slot {0}")]
    NoSuchSlot(usize),
    /// The command buffer has no room for what the leg must send.
    #[error("command buffer full")]
    BufferFull,
    /// The order refused the event.
    #[error(transparent)]
    Order(#[from] OrderError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Passive,
    CancellingPassive,
    Fallback,
    Done,
}

/// One leg. See the module doc.
#[derive(Debug, Clone)]
pub struct Leg {
    side: OrderSide,
    qty_lots: i64,
    mode: Mode,
    max_slippage_bps: Ratio,
    reduce_only: bool,
    route: Option<Route>,
    protection_ticks: i64,
    orders: ArrayVec<Order, MAX_LEG_ORDERS>,
    phase: Phase,
    deadline_ns: Option<u64>,
}

impl Leg {
    /// A leg to `side` `qty_lots` lots in `mode`; IOCs never fill worse than
    /// `max_slippage_bps` from the arrival mid.
    pub fn new(
        side: OrderSide,
        qty_lots: i64,
        mode: Mode,
        max_slippage_bps: Ratio,
        reduce_only: bool,
    ) -> Result<Leg, LegError> {
        if !(1..=crate::num::MAX_UNITS).contains(&qty_lots) {
            return Err(LegError::Input("leg size out of range"));
        }
        if max_slippage_bps < Ratio::ZERO || max_slippage_bps >= Ratio::from_num(10_000) {
            return Err(LegError::Input("max slippage must be in 0..10000 bps"));
        }
        Ok(Leg {
            side,
            qty_lots,
            mode,
            max_slippage_bps,
            reduce_only,
            route: None,
            protection_ticks: 0,
            orders: ArrayVec::new(),
            phase: Phase::Idle,
            deadline_ns: None,
        })
    }

    /// Sends the first order. Needs one free slot in `out`.
    pub fn start<const N: usize>(
        &mut self,
        arrival: Arrival,
        now_ns: u64,
        out: &mut ArrayVec<Command, N>,
    ) -> Result<(), LegError> {
        if self.phase != Phase::Idle {
            return Err(LegError::AlreadyStarted);
        }
        let (bid, ask) = (arrival.bid_ticks, arrival.ask_ticks);
        if bid < 1 || ask <= bid || ask > crate::num::MAX_UNITS {
            return Err(LegError::Input("arrival book missing or crossed"));
        }
        if out.is_full() {
            return Err(LegError::BufferFull);
        }
        let route = match self.mode {
            Mode::LimitOnly { .. } => Route::Limit,
            Mode::LimitWithFallback { .. } => Route::LimitThenMarket,
            Mode::MarketOnly => Route::Market,
            Mode::Adaptive { .. } if arrival.recommendation == Recommendation::UseLimit => {
                Route::LimitThenMarket
            }
            Mode::Adaptive { .. } => Route::Market,
        };
        self.protection_ticks = protection(self.side, bid + ask, self.max_slippage_bps);
        self.route = Some(route);
        let (price_ticks, tif) = match (route, self.side) {
            (Route::Market, _) => (self.protection_ticks, Tif::Ioc),
            (_, OrderSide::Buy) => (ask - 1, Tif::PostOnly),
            (_, OrderSide::Sell) => (bid + 1, Tif::PostOnly),
        };
        self.submit(price_ticks, self.qty_lots, tif, now_ns, out)?;
        if route == Route::Market {
            self.phase = Phase::Fallback;
        } else {
            self.phase = Phase::Passive;
            self.deadline_ns = Some(now_ns.saturating_add(self.timeout_ns()));
        }
        Ok(())
    }

    /// Applies a venue report for the order in `slot`. Needs one free slot in `out`.
    pub fn on_order<const N: usize>(
        &mut self,
        slot: usize,
        event: OrderEvent,
        now_ns: u64,
        out: &mut ArrayVec<Command, N>,
    ) -> Result<OrderState, LegError> {
        if out.is_full() {
            return Err(LegError::BufferFull);
        }
        let order = self
            .orders
            .get_mut(slot)
            .ok_or(LegError::NoSuchSlot(slot))?;
        let state = order.apply(event, now_ns)?;
        let passive_done = slot == 0 && state.is_terminal();
        match self.phase {
            Phase::Passive | Phase::CancellingPassive if passive_done => {
                self.deadline_ns = None;
                let remainder = self.qty_lots - self.filled_lots();
                if self.route == Some(Route::LimitThenMarket) && remainder > 0 {
                    let p = self.protection_ticks;
                    self.submit(p, remainder, Tif::Ioc, now_ns, out)?;
                    self.phase = Phase::Fallback;
                } else {
                    self.phase = Phase::Done;
                }
            }
            Phase::Fallback if slot + 1 == self.orders.len() && state.is_terminal() => {
                self.phase = Phase::Done;
            }
            _ => {}
        }
        Ok(state)
    }

    /// Acts on an expired deadline: cancels the passive order. Needs one free slot.
    pub fn on_timeout<const N: usize>(
        &mut self,
        now_ns: u64,
        out: &mut ArrayVec<Command, N>,
    ) -> Result<(), LegError> {
        match (self.phase, self.deadline_ns) {
            (Phase::Passive, Some(d)) if d <= now_ns => {}
            _ => return Ok(()),
        }
        if out.is_full() {
            return Err(LegError::BufferFull);
        }
        let order = self.orders.get_mut(0).ok_or(LegError::NoSuchSlot(0))?;
        order.apply(OrderEvent::CancelRequested, now_ns)?;
        out.push(Command::Cancel { slot: 0 });
        self.phase = Phase::CancellingPassive;
        self.deadline_ns = None;
        Ok(())
    }

    /// When [`on_timeout`](Self::on_timeout) must next be called, if ever.
    pub fn next_deadline(&self) -> Option<u64> {
        self.deadline_ns
    }

    /// Every order of the leg is finished (a late fill can still add to `filled_lots`).
    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// The leg's direction.
    pub fn side(&self) -> OrderSide {
        self.side
    }

    /// The route taken, once started.
    pub fn route(&self) -> Option<Route> {
        self.route
    }

    /// The leg's size in lots.
    pub fn qty_lots(&self) -> i64 {
        self.qty_lots
    }

    /// Lots filled over all the leg's orders (venue-reported exposure included).
    pub fn filled_lots(&self) -> i64 {
        self.orders.iter().map(Order::exposure_lots).sum()
    }

    /// Lots filled beyond the leg's size (a fill after a cancel ack that raced the
    /// fallback); the group unwinds them.
    pub fn excess_lots(&self) -> i64 {
        (self.filled_lots() - self.qty_lots).max(0)
    }

    /// Σ price × qty of the fills, tick-lots.
    pub fn notional_tl(&self) -> i128 {
        self.orders.iter().map(Order::notional_tl).sum()
    }

    /// Lots filled as maker.
    pub fn maker_lots(&self) -> i64 {
        self.orders.iter().map(Order::maker_lots).sum()
    }

    /// The order in `slot`.
    pub fn order(&self, slot: usize) -> Option<&Order> {
        self.orders.get(slot)
    }

    /// The IOC protection price, ticks (0 before start).
    pub fn protection_ticks(&self) -> i64 {
        self.protection_ticks
    }

    fn timeout_ns(&self) -> u64 {
        match self.mode {
            Mode::LimitOnly { timeout_ns }
            | Mode::LimitWithFallback { timeout_ns }
            | Mode::Adaptive { timeout_ns } => timeout_ns,
            Mode::MarketOnly => 0,
        }
    }

    fn submit<const N: usize>(
        &mut self,
        price_ticks: i64,
        qty_lots: i64,
        tif: Tif,
        now_ns: u64,
        out: &mut ArrayVec<Command, N>,
    ) -> Result<(), LegError> {
        let mut order = Order::new(qty_lots)?;
        order.apply(OrderEvent::Sent, now_ns)?;
        let slot = self.orders.len();
        self.orders
            .try_push(order)
            .map_err(|_| LegError::Input("no order slot left"))?;
        out.push(Command::Submit {
            slot,
            side: self.side,
            price_ticks,
            qty_lots,
            tif,
            reduce_only: self.reduce_only,
        });
        Ok(())
    }
}

/// The IOC limit: mid × (1 ± bps/10⁴), to the tick away from the market (buy down,
/// sell up), at least one tick.
fn protection(side: OrderSide, mid_x2: i64, bps: Ratio) -> i64 {
    use crate::num::Round;
    use ethnum::I256;
    let one = I256::new(10_000) << 64u32;
    let b = I256::new(bps.to_bits());
    let (num, round) = match side {
        OrderSide::Buy => (I256::new(i128::from(mid_x2)) * (one + b), Round::Floor),
        OrderSide::Sell => (I256::new(i128::from(mid_x2)) * (one - b), Round::Ceil),
    };
    let den = one * 2;
    let q = num / den; // both positive: truncation is the floor
    let q = if round == Round::Ceil && q * den != num {
        q + 1
    } else {
        q
    };
    i64::try_from(q.as_i128()).unwrap_or(i64::MAX).max(1)
}

#[cfg(test)]
mod tests;
