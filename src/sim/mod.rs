//! The simulated venue's matching engine over a replayed book (issue 3 groundwork).
//!
//! A real matcher, not a mock: it owns a [`Ladder`] that the market-data feed keeps
//! updating, and matches orders against it.
//! - **IOC** orders walk the opposite side up to their limit price, level by level, and
//!   take the liquidity: the taken size is removed from the ladder, so a later order sees
//!   less, until the feed's next update for that level restores the venue's own size
//!   (feeds send absolute sizes). The unfilled remainder expires.
//! - **Post-only** orders are rejected if they would cross, and rest otherwise. The queue
//!   model is conservative: a resting order fills, in full, at its own price, as maker,
//!   only when the opposite side trades through it (the best ask falls to or below a
//!   resting bid, or the best bid rises to or above a resting ask). Touching the price is
//!   not enough, since the order's place in the queue is unknown.
//! - Cancels of resting orders are acknowledged; cancels of unknown or finished orders are
//!   rejected (`UnknownOrder`). Status queries answer from the venue's own records.
//! - Rejects carry a [`RejectReason`]: `PostOnlyWouldCross`, `DuplicateOrder`,
//!   `InvalidOrder` (size or price out of range, a post-only market order),
//!   `TooManyOrders` (its records are full); a `reject` fault is `Unavailable`. The
//!   venue remembers its last [`MAX_KNOWN`] orders: when full, the oldest finished one
//!   is forgotten (venues purge old orders; a status query then finds nothing), so a
//!   long-lived venue (`legcore venue serve`) keeps taking orders; only when every
//!   remembered order is still open is a new one refused.
//!   Reduce-only orders are taken as ordinary ones: the simulated position is the sum of
//!   every group's, not one account's, so it cannot judge them.
//! - Fees are charged per fill, maker or taker rate × the fill's notional (tick-lots ×
//!   10⁻⁸), in the venue's own ledger ([`SimVenue::fees_tl_e8`]).
//!
//! Sans-IO: every call takes `now_ns` and pushes [`Report`]s (the `venue` protocol's)
//! into a caller-owned buffer. [`SimExchange`] puts several of these books (one per
//! instrument) behind one connection with a seeded [`Latency`] model and [`FaultPlan`],
//! and implements [`venue::Gateway`](crate::venue::Gateway) and
//! [`venue::LocalVenue`](crate::venue::LocalVenue). `drive` runs the execution engine
//! against such exchanges in virtual time.

mod drive;
mod exchange;
mod fault;
mod latency;
mod rng;
mod route;

pub use drive::{Drive, Mutation, Observer, Script, Still, Unobserved};
pub use exchange::{SimExchange, MAX_IN_FLIGHT};
pub use fault::{Fault, FaultCounts, FaultPlan};
pub use latency::Latency;
pub use rng::Rng;
pub use route::route;

use arrayvec::ArrayVec;

use crate::book::{Ladder, OrderSide, Side};
use crate::index::BookId;
use crate::leg::{Fees, Liquidity, VenueStatus};
use crate::venue::RejectReason;
use crate::venue::{Execution, GatewayError, NewOrder, OrderPrice, OrderRef, OrderRefError};
use crate::venue::{Report, ReportKind, TimeInForce};

/// Resting orders one simulated venue holds.
pub const MAX_RESTING: usize = 64;
/// Orders the venue remembers for status queries.
pub const MAX_KNOWN: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Known {
    order: NewOrder,
    filled_lots: i64,
    open: bool,
    /// Σ price × qty of its fills, tick-lots.
    notional_tl: i128,
    /// Its fees, tick-lots × 10⁻⁸.
    fees_tl_e8: i128,
}

/// Why the venue could not take a call (the simulator's own limits, not venue rejects).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The report buffer cannot hold what this call may emit.
    #[error("report buffer needs {0} free slots")]
    BufferFull(usize),
    /// A command for a venue index that does not exist.
    #[error("no simulated venue {0}")]
    UnknownVenue(BookId),
    /// More messages in flight than the exchange holds.
    #[error("more than {0} messages in flight")]
    QueueFull(usize),
    /// A command whose ids fit no client order id.
    #[error(transparent)]
    BadOrderRef(#[from] OrderRefError),
}

impl From<SimError> for GatewayError {
    fn from(e: SimError) -> GatewayError {
        match e {
            SimError::BufferFull(n) => GatewayError::BufferFull(n),
            SimError::UnknownVenue(b) => GatewayError::UnknownBook(b),
            SimError::QueueFull(n) => GatewayError::QueueFull(n),
            SimError::BadOrderRef(e) => GatewayError::BadOrderRef(e),
        }
    }
}

/// One simulated venue. See the module doc.
#[derive(Debug, Clone)]
pub struct SimVenue {
    ladder: Ladder,
    known: ArrayVec<Known, MAX_KNOWN>,
    resting: ArrayVec<OrderRef, MAX_RESTING>,
    next_trade_id: u64,
    /// Net position, lots (+ long).
    position_lots: i64,
    /// Cash flow of fills, tick-lots (+ received).
    cash_tl: i128,
    /// Lots traded in total (both directions).
    traded_lots: i64,
    fees: Fees,
    /// Fees charged, tick-lots × 10⁻⁸.
    fees_tl_e8: i128,
    /// Counts every change to the records (orders, fills): a persistence layer saves
    /// when it moves.
    changes: u64,
}

impl SimVenue {
    /// A venue matching against a ladder of `levels_per_side` (filled by the feed).
    pub fn new(levels_per_side: usize, max_update_levels: usize) -> SimVenue {
        SimVenue {
            ladder: Ladder::new(levels_per_side, max_update_levels),
            known: ArrayVec::new(),
            resting: ArrayVec::new(),
            next_trade_id: 1,
            position_lots: 0,
            cash_tl: 0,
            traded_lots: 0,
            fees: Fees::default(),
            fees_tl_e8: 0,
            changes: 0,
        }
    }

    /// Charges `fees` on every fill from now on (maker or taker by fill).
    pub fn with_fees(mut self, fees: Fees) -> SimVenue {
        self.fees = fees;
        self
    }

    /// Fees charged so far, tick-lots × 10⁻⁸ (the venue's own ledger).
    pub fn fees_tl_e8(&self) -> i128 {
        self.fees_tl_e8
    }

    /// The market book, for the feed to update.
    pub fn ladder_mut(&mut self) -> &mut Ladder {
        &mut self.ladder
    }

    /// The market book.
    pub fn ladder(&self) -> &Ladder {
        &self.ladder
    }

    /// Net position in lots (+ long), from the venue's own fills.
    pub fn position_lots(&self) -> i64 {
        self.position_lots
    }

    /// Lots traded in total, both directions.
    pub fn traded_lots(&self) -> i64 {
        self.traded_lots
    }

    /// Cash flow of all fills in tick-lots (sells +, buys −).
    pub fn cash_tl(&self) -> i128 {
        self.cash_tl
    }
}

/// Most levels one IOC walks (one fill report each); the rest of it expires.
pub const MAX_IOC_LEVELS: usize = 32;

impl SimVenue {
    /// Receives a new order. `out` needs `MAX_IOC_LEVELS + 2` free slots.
    pub fn submit<const N: usize>(
        &mut self,
        o: NewOrder,
        now_ns: u64,
        out: &mut ArrayVec<Report, N>,
    ) -> Result<(), SimError> {
        self.submit_capped(o, i64::MAX, now_ns, out)
    }

    /// [`submit`](Self::submit), but an IOC fills at most `cap_lots` (a partial-fill
    /// fault: liquidity that vanished before the order reached it).
    pub fn submit_capped<const N: usize>(
        &mut self,
        o: NewOrder,
        cap_lots: i64,
        now_ns: u64,
        out: &mut ArrayVec<Report, N>,
    ) -> Result<(), SimError> {
        if out.remaining_capacity() < MAX_IOC_LEVELS + 2 {
            return Err(SimError::BufferFull(MAX_IOC_LEVELS + 2));
        }
        let id = o.order;
        let range = 1..=crate::num::MAX_UNITS;
        if self.known.iter().any(|k| k.order.order == id) {
            out.push(reject(id, RejectReason::DuplicateOrder));
            return Ok(());
        }
        if !range.contains(&o.qty_lots) || !range.contains(&o.price.ticks()) {
            out.push(reject(id, RejectReason::InvalidOrder));
            return Ok(());
        }
        match (o.tif, o.price) {
            (TimeInForce::PostOnly, OrderPrice::Limit(_)) => self.post_only(o, out),
            (TimeInForce::PostOnly, OrderPrice::Market { .. }) => {
                out.push(reject(id, RejectReason::InvalidOrder));
            }
            (TimeInForce::Ioc, _) => self.ioc(o, cap_lots.max(0), now_ns, out),
        }
        Ok(())
    }

    fn post_only<const N: usize>(&mut self, o: NewOrder, out: &mut ArrayVec<Report, N>) {
        let price = o.price.ticks();
        let crosses = match o.side {
            OrderSide::Buy => self
                .ladder
                .best_ask()
                .is_some_and(|a| price >= a.price_ticks),
            OrderSide::Sell => self
                .ladder
                .best_bid()
                .is_some_and(|b| price <= b.price_ticks),
        };
        if crosses {
            out.push(reject(o.order, RejectReason::PostOnlyWouldCross));
            return;
        }
        if self.resting.is_full() || !self.make_room() {
            out.push(reject(o.order, RejectReason::TooManyOrders));
            return;
        }
        self.resting.push(o.order);
        self.known.push(Known {
            order: o,
            filled_lots: 0,
            open: true,
            notional_tl: 0,
            fees_tl_e8: 0,
        });
        self.changes += 1;
        out.push(report(o.order, ReportKind::Ack));
    }

    /// Room for one more record: when full, the oldest finished order is forgotten (as
    /// venues purge old orders; a status query then finds nothing). False if every
    /// remembered order is still open.
    fn make_room(&mut self) -> bool {
        if !self.known.is_full() {
            return true;
        }
        match self.known.iter().position(|k| !k.open) {
            Some(i) => {
                self.known.remove(i);
                self.changes += 1;
                true
            }
            None => false,
        }
    }

    fn ioc<const N: usize>(
        &mut self,
        o: NewOrder,
        cap: i64,
        now_ns: u64,
        out: &mut ArrayVec<Report, N>,
    ) {
        if !self.make_room() {
            out.push(reject(o.order, RejectReason::TooManyOrders));
            return;
        }
        out.push(report(o.order, ReportKind::Ack));
        let limit = o.price.ticks();
        let book_side = o.side.takes_from();
        let mut rem = o.qty_lots;
        let mut allowed = cap.min(o.qty_lots);
        let (mut notional_tl, mut fees_tl_e8) = (0i128, 0i128);
        for _ in 0..MAX_IOC_LEVELS {
            let Some(level) = self.ladder.best(book_side) else {
                break;
            };
            let acceptable = match o.side {
                OrderSide::Buy => level.price_ticks <= limit,
                OrderSide::Sell => level.price_ticks >= limit,
            };
            if !acceptable || allowed == 0 {
                break;
            }
            let take = allowed.min(level.qty_lots);
            allowed -= take;
            let seq = self.ladder.seq();
            // Taking liquidity only shrinks a level: it cannot cross or fail.
            let _ = self
                .ladder
                .set_level(book_side, level.price_ticks, level.qty_lots - take, seq);
            rem -= take;
            let f = self.fill(o.side, take, level.price_ticks, Liquidity::Taker, now_ns);
            notional_tl += i128::from(take) * i128::from(level.price_ticks);
            fees_tl_e8 += f.fee_tl_e8;
            out.push(report(o.order, ReportKind::Fill(f)));
        }
        let filled = o.qty_lots - rem;
        self.known.push(Known {
            order: o,
            filled_lots: filled,
            open: false,
            notional_tl,
            fees_tl_e8,
        });
        self.changes += 1;
        if rem > 0 {
            out.push(report(
                o.order,
                ReportKind::Expired {
                    filled_lots: filled,
                },
            ));
        }
    }

    /// After the feed changed the book: fills resting orders the market traded through.
    /// `out` needs `MAX_RESTING` free slots.
    pub fn on_book<const N: usize>(
        &mut self,
        now_ns: u64,
        out: &mut ArrayVec<Report, N>,
    ) -> Result<(), SimError> {
        self.on_book_capped(i64::MAX, now_ns, out)
    }

    /// [`on_book`](Self::on_book), but each order traded through fills at most
    /// `cap_lots` (a partial-fill fault); the rest keeps resting.
    pub fn on_book_capped<const N: usize>(
        &mut self,
        cap_lots: i64,
        now_ns: u64,
        out: &mut ArrayVec<Report, N>,
    ) -> Result<(), SimError> {
        if out.remaining_capacity() < MAX_RESTING {
            return Err(SimError::BufferFull(MAX_RESTING));
        }
        let (bid, ask) = (self.ladder.best_bid(), self.ladder.best_ask());
        let mut i = 0;
        while let Some(&id) = self.resting.get(i) {
            let Some(k) = self.known.iter().position(|k| k.order.order == id) else {
                self.resting.swap_remove(i);
                continue;
            };
            let o = self.known[k].order;
            let through = match o.side {
                OrderSide::Buy => ask.is_some_and(|a| a.price_ticks <= o.price.ticks()),
                OrderSide::Sell => bid.is_some_and(|b| b.price_ticks >= o.price.ticks()),
            };
            if !through {
                i += 1;
                continue;
            }
            let left = o.qty_lots - self.known[k].filled_lots;
            let take = left.min(cap_lots.max(1));
            let f = self.fill(o.side, take, o.price.ticks(), Liquidity::Maker, now_ns);
            self.credit(k, &f);
            if take == left {
                self.known[k].open = false;
                self.resting.remove(i);
            } else {
                i += 1;
            }
            out.push(report(id, ReportKind::Fill(f)));
        }
        Ok(())
    }

    /// A cancel request: acknowledged for a resting order, rejected otherwise.
    pub fn cancel<const N: usize>(
        &mut self,
        order: OrderRef,
        out: &mut ArrayVec<Report, N>,
    ) -> Result<(), SimError> {
        if out.is_full() {
            return Err(SimError::BufferFull(1));
        }
        let Some(i) = self.resting.iter().position(|&id| id == order) else {
            let why = RejectReason::UnknownOrder;
            out.push(report(order, ReportKind::CancelReject(why)));
            return Ok(());
        };
        self.resting.remove(i);
        self.changes += 1;
        let mut filled_lots = 0;
        if let Some(k) = self.known.iter_mut().find(|k| k.order.order == order) {
            k.open = false;
            filled_lots = k.filled_lots;
        }
        out.push(report(order, ReportKind::CancelAck { filled_lots }));
        Ok(())
    }

    /// Fills `lots` of a resting order at its own price as maker, keeping at least one lot
    /// resting (the fill-after-cancel fault: the venue matched it just before a cancel).
    /// `None` if the order is not resting or has only one lot left.
    pub fn fill_resting(&mut self, order: OrderRef, lots: i64, now: u64) -> Option<Report> {
        if !self.resting.contains(&order) {
            return None;
        }
        let k = self.known.iter().position(|k| k.order.order == order)?;
        let o = self.known[k].order;
        let take = lots.min(o.qty_lots - self.known[k].filled_lots - 1);
        if take < 1 {
            return None;
        }
        let f = self.fill(o.side, take, o.price.ticks(), Liquidity::Maker, now);
        self.credit(k, &f);
        Some(report(order, ReportKind::Fill(f)))
    }

    /// Cancels every resting order without a report (cancel-on-disconnect). Returns how
    /// many it cancelled.
    pub fn cancel_all_silently(&mut self) -> usize {
        let n = self.resting.len();
        self.changes += 1;
        for id in self.resting.drain(..) {
            if let Some(k) = self.known.iter_mut().find(|k| k.order.order == id) {
                k.open = false;
            }
        }
        n
    }

    /// Orders resting on the venue now.
    pub fn resting_orders(&self) -> usize {
        self.resting.len()
    }

    /// A status query, answered from the venue's records.
    pub fn query<const N: usize>(
        &self,
        order: OrderRef,
        out: &mut ArrayVec<Report, N>,
    ) -> Result<(), SimError> {
        if out.is_full() {
            return Err(SimError::BufferFull(1));
        }
        let status = match self.known.iter().find(|k| k.order.order == order) {
            None => VenueStatus::NotFound,
            Some(k) if k.open => VenueStatus::Open {
                filled_lots: k.filled_lots,
            },
            Some(k) => VenueStatus::Closed {
                filled_lots: k.filled_lots,
            },
        };
        out.push(report(order, ReportKind::Status(status)));
        Ok(())
    }

    /// Adds fill `f` to order `k`'s records.
    fn credit(&mut self, k: usize, f: &Execution) {
        let known = &mut self.known[k];
        known.filled_lots += f.last_qty_lots;
        known.notional_tl += i128::from(f.last_qty_lots) * i128::from(f.price_ticks);
        known.fees_tl_e8 += f.fee_tl_e8;
    }

    /// Changes to the records so far (see the field).
    pub fn changes(&self) -> u64 {
        self.changes
    }

    /// A fill of `qty` at `price`, charged its fee, on the venue's ledger.
    fn fill(
        &mut self,
        side: OrderSide,
        qty: i64,
        price: i64,
        liq: Liquidity,
        now: u64,
    ) -> Execution {
        let tl = i128::from(qty) * i128::from(price);
        self.traded_lots += qty;
        let rate = match liq {
            Liquidity::Maker => self.fees.maker_e8,
            Liquidity::Taker => self.fees.taker_e8,
        };
        let fee_tl_e8 = tl * i128::from(rate);
        self.fees_tl_e8 += fee_tl_e8;
        match side {
            OrderSide::Buy => {
                self.position_lots += qty;
                self.cash_tl -= tl;
            }
            OrderSide::Sell => {
                self.position_lots -= qty;
                self.cash_tl += tl;
            }
        }
        let trade_id = self.next_trade_id;
        self.next_trade_id += 1;
        self.changes += 1;
        Execution {
            trade_id,
            last_qty_lots: qty,
            price_ticks: price,
            liquidity: liq,
            fee_tl_e8,
            at_ns: now,
        }
    }
}

mod state;

fn report(order: OrderRef, kind: ReportKind) -> Report {
    Report::new(order, kind)
}

fn reject(order: OrderRef, why: RejectReason) -> Report {
    report(order, ReportKind::Reject(why))
}

/// The book side a resting order of `side` sits on.
pub const fn resting_side(side: OrderSide) -> Side {
    side.takes_from().opposite()
}

#[cfg(test)]
mod tests;
