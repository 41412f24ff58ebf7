//! [`Order`]: one venue order's life as a state machine with one transition table.
//!
//! Every (state, event) pair is either listed in [`transition`] or refused with
//! [`OrderError::InvalidTransition`], and a refused event changes nothing. Venue
//! oddities are commented where they are allowed (NautilusTrader's style):
//! - a fill may arrive after the cancel was acknowledged (the venue matched first): the
//!   order reopens to `PartiallyFilled` or `Filled`;
//! - a request that timed out or a gateway that dropped leaves the order `Unknown`:
//!   only a venue report or a status-query answer resolves it, never a guess;
//! - a fill that would exceed the order's size is an [`OrderError::Overfill`] incident
//!   and is not applied (deduplication by trade id is the [`Leg`](super::Leg)'s, over all
//!   its orders, so that an order stays small: [`OrderError::DuplicateFill`]);
//! - terminal reports and status answers carry the venue's cumulative filled size, which
//!   counts as exposure at once; a fill report that arrives later and is covered by it is
//!   recorded without changing the state.
//!
//! Sizes are lots and prices ticks of the leg's instrument. An order is a small fixed-size
//! value, so handling an event allocates nothing.

/// Trade ids a [`Leg`](super::Leg) remembers exactly for deduplication (over all its
/// orders): the most recent ones. A leg takes any number of fills; see `Leg` for how ids
/// older than this window are handled.
pub const MAX_FILLS: usize = 64;

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderState {
    /// Built, not yet sent.
    Pending,
    /// Sent; the venue has not answered.
    Submitted,
    /// Accepted and resting (or being matched), nothing filled.
    Working,
    /// Some but not all of the size filled; still live.
    PartiallyFilled,
    /// A cancel was sent; the venue has not answered it.
    CancelPending,
    /// Fully filled (terminal unless a venue report contradicts it).
    Filled,
    /// Cancelled by us or by the venue; a late fill may still reopen it.
    Cancelled,
    /// Refused by the venue; nothing filled.
    Rejected,
    /// The venue ended it (IOC remainder, time in force); fills are kept.
    Expired,
    /// A request timed out or the gateway dropped: the venue may or may not hold it.
    Unknown,
}

impl OrderState {
    /// Every state, for exhaustive tests and tables.
    pub const ALL: [OrderState; 10] = [
        OrderState::Pending,
        OrderState::Submitted,
        OrderState::Working,
        OrderState::PartiallyFilled,
        OrderState::CancelPending,
        OrderState::Filled,
        OrderState::Cancelled,
        OrderState::Rejected,
        OrderState::Expired,
        OrderState::Unknown,
    ];

    /// No more venue activity is expected (a late fill can still reopen `Cancelled`).
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderState::Filled | OrderState::Cancelled | OrderState::Rejected | OrderState::Expired
        )
    }
}

/// What the venue says the order is, in answer to a status query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VenueStatus {
    /// The venue does not know the order (it never arrived).
    NotFound,
    /// Open with this many lots filled.
    Open {
        /// Lots filled so far according to the venue.
        filled_lots: i64,
    },
    /// Closed (cancelled, expired or filled) with this many lots filled.
    Closed {
        /// Lots filled in total according to the venue.
        filled_lots: i64,
    },
}

/// Whether a fill added or took liquidity (decides the fee).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Liquidity {
    /// Our resting order was hit.
    Maker,
    /// We crossed the spread.
    Taker,
}

/// One execution reported by the venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fill {
    /// The venue's trade id (deduplication key).
    pub trade_id: u64,
    /// Lots executed (> 0).
    pub qty_lots: i64,
    /// Execution price in ticks (> 0).
    pub price_ticks: i64,
    /// Maker or taker.
    pub liquidity: Liquidity,
    /// Time of the report, ns.
    pub at_ns: u64,
}

/// An input to the order state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderEvent {
    /// We handed the order to the gateway.
    Sent,
    /// The venue accepted it.
    Accepted,
    /// The venue refused it.
    Rejected,
    /// A fill.
    Filled(Fill),
    /// We asked to cancel.
    CancelRequested,
    /// The venue confirmed the cancel, with its cumulative filled size (fills may still
    /// be on their way: the order's exposure counts them now).
    CancelAcked {
        /// Lots the venue says were filled before the cancel.
        filled_lots: i64,
    },
    /// The venue refused the cancel (usually: already filled or unknown to it).
    CancelRejected,
    /// The venue ended the order (IOC remainder, time in force), with its cumulative
    /// filled size.
    Expired {
        /// Lots the venue says were filled.
        filled_lots: i64,
    },
    /// Our request timed out, or the gateway dropped: outcome unknown.
    TimedOut,
    /// The venue's answer to a status query.
    Status(VenueStatus),
}

/// The kind of an event, without its data (for tables and errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// [`OrderEvent::Sent`].
    Sent,
    /// [`OrderEvent::Accepted`].
    Accepted,
    /// [`OrderEvent::Rejected`].
    Rejected,
    /// [`OrderEvent::Filled`] leaving size open.
    PartialFill,
    /// [`OrderEvent::Filled`] completing the size.
    FinalFill,
    /// [`OrderEvent::CancelRequested`].
    CancelRequested,
    /// [`OrderEvent::CancelAcked`].
    CancelAcked,
    /// [`OrderEvent::CancelRejected`].
    CancelRejected,
    /// [`OrderEvent::Expired`].
    Expired,
    /// [`OrderEvent::TimedOut`].
    TimedOut,
    /// [`VenueStatus::NotFound`].
    StatusNotFound,
    /// [`VenueStatus::Open`].
    StatusOpen,
    /// [`VenueStatus::Closed`].
    StatusClosed,
}

impl EventKind {
    /// Every kind, for exhaustive tests.
    pub const ALL: [EventKind; 13] = [
        EventKind::Sent,
        EventKind::Accepted,
        EventKind::Rejected,
        EventKind::PartialFill,
        EventKind::FinalFill,
        EventKind::CancelRequested,
        EventKind::CancelAcked,
        EventKind::CancelRejected,
        EventKind::Expired,
        EventKind::TimedOut,
        EventKind::StatusNotFound,
        EventKind::StatusOpen,
        EventKind::StatusClosed,
    ];
}

/// Its name in messages (`pending`, `submitted`, …).
impl core::fmt::Display for OrderState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            OrderState::Pending => "pending",
            OrderState::Submitted => "submitted",
            OrderState::Working => "working",
            OrderState::PartiallyFilled => "partially_filled",
            OrderState::CancelPending => "cancel_pending",
            OrderState::Filled => "filled",
            OrderState::Cancelled => "cancelled",
            OrderState::Rejected => "rejected",
            OrderState::Expired => "expired",
            OrderState::Unknown => "unknown",
        })
    }
}

/// Its name in messages (`sent`, `accepted`, …).
impl core::fmt::Display for EventKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            EventKind::Sent => "sent",
            EventKind::Accepted => "accepted",
            EventKind::Rejected => "rejected",
            EventKind::PartialFill => "partial_fill",
            EventKind::FinalFill => "final_fill",
            EventKind::CancelRequested => "cancel_requested",
            EventKind::CancelAcked => "cancel_acked",
            EventKind::CancelRejected => "cancel_rejected",
            EventKind::Expired => "expired",
            EventKind::TimedOut => "timed_out",
            EventKind::StatusNotFound => "status_not_found",
            EventKind::StatusOpen => "status_open",
            EventKind::StatusClosed => "status_closed",
        })
    }
}

/// Why an event was refused. The order is unchanged after any of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// The event is not legal in this state (see the table in [`transition`]).
    #[error("event {event} is not valid in state {state}")]
    InvalidTransition {
        /// State at the time.
        state: OrderState,
        /// The refused event.
        event: EventKind,
    },
    /// A trade id already applied (checked by the leg): a duplicate report, ignored.
    #[error("duplicate fill, trade id {0}")]
    DuplicateFill(u64),
    /// A fill beyond the order's size: an incident, not applied.
    #[error("overfill: {filled_lots} filled + {fill_lots} > {target_lots} lots")]
    Overfill {
        /// Lots filled before it.
        filled_lots: i64,
        /// Lots in the refused fill.
        fill_lots: i64,
        /// The order's size.
        target_lots: i64,
    },
    /// A fill or status with a non-positive or out-of-range quantity or price.
    #[error("malformed report: {0}")]
    Malformed(&'static str),
    /// A fill whose trade id is at or below the oldest of the [`MAX_FILLS`] most recent
    /// ids the leg remembers: it cannot be told from a duplicate, so it is refused, and
    /// the leg counts it (checked by the leg).
    #[error("trade id {trade_id} is below the dedupe window (floor {floor}): unverifiable")]
    UnverifiableFill {
        /// The refused fill's trade id.
        trade_id: u64,
        /// The largest id that left the window.
        floor: u64,
    },
}

/// The one transition table. `None` = refused.
///
/// `StatusOpen`/`StatusClosed` carry a filled size that the caller reconciles before
/// asking for the state; here they only say open or closed, and how much is filled is
/// decided by the [`Order`] (`PartialFill` vs `FinalFill` likewise).
pub const fn transition(state: OrderState, event: EventKind) -> Option<OrderState> {
    use EventKind as E;
    use OrderState as S;
    Some(match (state, event) {
        (S::Pending, E::Sent) => S::Submitted,
        (S::Pending, E::Rejected) => S::Rejected, // refused before sending (risk)
        (S::Pending, E::CancelRequested) => S::Cancelled, // withdrawn before sending

        (S::Submitted, E::Accepted) => S::Working,
        (S::Submitted, E::Rejected) => S::Rejected,
        (S::Submitted, E::PartialFill) => S::PartiallyFilled, // fill raced the ack
        (S::Submitted, E::FinalFill) => S::Filled,
        (S::Submitted, E::Expired) => S::Expired, // IOC with nothing to take
        (S::Submitted, E::CancelRequested) => S::CancelPending,
        (S::Submitted, E::TimedOut) => S::Unknown,

        (S::Working, E::PartialFill) => S::PartiallyFilled,
        (S::Working, E::FinalFill) => S::Filled,
        (S::Working, E::CancelRequested) => S::CancelPending,
        (S::Working, E::CancelAcked) => S::Cancelled, // venue-initiated cancel
        (S::Working, E::Expired) => S::Expired,
        (S::Working, E::TimedOut) => S::Unknown, // gateway dropped

        (S::PartiallyFilled, E::PartialFill) => S::PartiallyFilled,
        (S::PartiallyFilled, E::FinalFill) => S::Filled,
        (S::PartiallyFilled, E::CancelRequested) => S::CancelPending,
        (S::PartiallyFilled, E::CancelAcked) => S::Cancelled,
        (S::PartiallyFilled, E::Expired) => S::Expired, // IOC remainder
        (S::PartiallyFilled, E::TimedOut) => S::Unknown,

        (S::CancelPending, E::PartialFill) => S::CancelPending, // fill while cancelling
        (S::CancelPending, E::FinalFill) => S::Filled,          // the cancel lost the race
        (S::CancelPending, E::CancelAcked) => S::Cancelled,
        (S::CancelPending, E::CancelRejected) => S::Working, // still live; re-evaluated
        (S::CancelPending, E::Accepted) => S::CancelPending, // late ack of the order
        (S::CancelPending, E::Expired) => S::Expired,
        (S::CancelPending, E::Rejected) => S::Rejected, // the order itself was refused
        (S::CancelPending, E::TimedOut) => S::Unknown,

        // Real world: the venue matched before it processed our cancel.
        (S::Cancelled, E::PartialFill) => S::PartiallyFilled,
        (S::Cancelled, E::FinalFill) => S::Filled,
        (S::Expired, E::PartialFill) => S::Expired, // late report of an IOC's fill
        (S::Expired, E::FinalFill) => S::Filled,

        // Unknown is resolved only by what the venue says.
        (S::Unknown, E::Accepted) => S::Working,
        (S::Unknown, E::Rejected) => S::Rejected,
        (S::Unknown, E::PartialFill) => S::PartiallyFilled,
        (S::Unknown, E::FinalFill) => S::Filled,
        (S::Unknown, E::CancelAcked) => S::Cancelled,
        (S::Unknown, E::Expired) => S::Expired,
        (S::Unknown, E::StatusNotFound) => S::Rejected, // never reached the venue
        (S::Unknown, E::StatusOpen) => S::Working,
        (S::Unknown, E::StatusClosed) => S::Cancelled,
        (S::Unknown, E::TimedOut) => S::Unknown, // query timed out too

        // A status query may be answered in any live state. How much is filled is
        // reconciled by `Order`, which can turn `Working` into `PartiallyFilled` or a
        // closed answer into `Filled`.
        (S::Submitted, E::StatusOpen) => S::Working,
        (S::Working | S::PartiallyFilled | S::CancelPending, E::StatusOpen) => state,
        (S::Submitted | S::Working | S::PartiallyFilled | S::CancelPending, E::StatusClosed) => {
            S::Cancelled
        }
        (S::Submitted, E::StatusNotFound) => S::Rejected, // never reached the venue
        _ => return None,
    })
}

/// Stage timestamps of one order, in ns of the caller's clock (0 = not reached).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stamps {
    /// Handed to the gateway.
    pub sent_ns: u64,
    /// Accepted by the venue.
    pub accepted_ns: u64,
    /// First fill.
    pub first_fill_ns: u64,
    /// Last fill.
    pub last_fill_ns: u64,
    /// Reached a terminal state.
    pub done_ns: u64,
}

/// One order's state, fills and timestamps. See the module doc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    state: OrderState,
    target_lots: i64,
    filled_lots: i64,
    maker_lots: i64,
    notional_tl: i128,
    maker_notional_tl: i128,
    inv_e18: i128,
    maker_inv_e18: i128,
    venue_filled_lots: i64,
    stamps: Stamps,
}

/// 10¹⁸: the scale of [`Order::inv_e18`].
pub const INV_SCALE: i128 = 1_000_000_000_000_000_000;

impl Order {
    /// A pending order for `target_lots` lots (`1 ..= MAX_UNITS`).
    pub fn new(target_lots: i64) -> Result<Order, OrderError> {
        if !(1..=crate::num::MAX_UNITS).contains(&target_lots) {
            return Err(OrderError::Malformed("order size out of range"));
        }
        Ok(Order {
            state: OrderState::Pending,
            target_lots,
            filled_lots: 0,
            maker_lots: 0,
            notional_tl: 0,
            maker_notional_tl: 0,
            inv_e18: 0,
            maker_inv_e18: 0,
            venue_filled_lots: 0,
            stamps: Stamps::default(),
        })
    }

    /// Current state.
    pub fn state(&self) -> OrderState {
        self.state
    }

    /// The order's size in lots.
    pub fn target_lots(&self) -> i64 {
        self.target_lots
    }

    /// Lots filled by applied fill reports.
    pub fn filled_lots(&self) -> i64 {
        self.filled_lots
    }

    /// Lots the venue says are filled (status answers), if more than the fills applied:
    /// the exposure to hedge is the larger of the two.
    pub fn exposure_lots(&self) -> i64 {
        self.filled_lots.max(self.venue_filled_lots)
    }

    /// Lots filled as maker (the rest of `filled_lots` were taker).
    pub fn maker_lots(&self) -> i64 {
        self.maker_lots
    }

    /// Σ price × qty of the fills, in tick-lots.
    pub fn notional_tl(&self) -> i128 {
        self.notional_tl
    }

    /// Σ price × qty of the maker fills, in tick-lots (fees differ by liquidity).
    pub fn maker_notional_tl(&self) -> i128 {
        self.maker_notional_tl
    }

    /// Σ qty ÷ price of the fills, lots per tick × 10¹⁸, each fill toward zero: an
    /// inverse instrument's fills in its coin, before the lot, multiplier and tick are
    /// applied (one contract of `M` quote at `p` is worth `M / p` coin).
    pub fn inv_e18(&self) -> i128 {
        self.inv_e18
    }

    /// [`Order::inv_e18`] of the maker fills.
    pub fn maker_inv_e18(&self) -> i128 {
        self.maker_inv_e18
    }

    /// Stage timestamps.
    pub fn stamps(&self) -> Stamps {
        self.stamps
    }

    /// Applies one event at `now_ns`. On `Err` nothing changed.
    pub fn apply(&mut self, event: OrderEvent, now_ns: u64) -> Result<OrderState, OrderError> {
        let next = match event {
            OrderEvent::Filled(f) => return self.fill(f, now_ns),
            OrderEvent::Status(st) => return self.status(st, now_ns),
            OrderEvent::Sent => self.next(EventKind::Sent)?,
            OrderEvent::Accepted => self.next(EventKind::Accepted)?,
            OrderEvent::Rejected => self.next(EventKind::Rejected)?,
            OrderEvent::CancelRequested => self.next(EventKind::CancelRequested)?,
            OrderEvent::CancelAcked { filled_lots } => {
                return self.closed(EventKind::CancelAcked, filled_lots, now_ns)
            }
            OrderEvent::CancelRejected => self.next(EventKind::CancelRejected)?,
            OrderEvent::Expired { filled_lots } => {
                return self.closed(EventKind::Expired, filled_lots, now_ns)
            }
            OrderEvent::TimedOut => self.next(EventKind::TimedOut)?,
        };
        match event {
            OrderEvent::Sent => self.stamps.sent_ns = now_ns,
            OrderEvent::Accepted if self.stamps.accepted_ns == 0 => {
                self.stamps.accepted_ns = now_ns
            }
            _ => {}
        }
        // A live order with fills that the venue bounces back to working stays partial.
        let next = if next == OrderState::Working && self.filled_lots > 0 {
            OrderState::PartiallyFilled
        } else {
            next
        };
        Ok(self.enter(next, now_ns))
    }

    fn next(&self, kind: EventKind) -> Result<OrderState, OrderError> {
        transition(self.state, kind).ok_or(OrderError::InvalidTransition {
            state: self.state,
            event: kind,
        })
    }

    fn enter(&mut self, next: OrderState, now_ns: u64) -> OrderState {
        if next.is_terminal() && !self.state.is_terminal() {
            self.stamps.done_ns = now_ns;
        }
        self.state = next;
        next
    }

    fn fill(&mut self, f: Fill, now_ns: u64) -> Result<OrderState, OrderError> {
        if !(1..=crate::num::MAX_UNITS).contains(&f.qty_lots) {
            return Err(OrderError::Malformed("fill quantity out of range"));
        }
        if !(1..=crate::num::MAX_UNITS).contains(&f.price_ticks) {
            return Err(OrderError::Malformed("fill price out of range"));
        }
        let total = self.filled_lots + f.qty_lots;
        if total > self.target_lots {
            return Err(OrderError::Overfill {
                filled_lots: self.filled_lots,
                fill_lots: f.qty_lots,
                target_lots: self.target_lots,
            });
        }
        let kind = if total == self.target_lots {
            EventKind::FinalFill
        } else {
            EventKind::PartialFill
        };
        // A fill the venue already reported in a cumulative size (status, cancel ack,
        // expiry) is the late report of known exposure: recorded, and the state stays.
        let next = if total <= self.venue_filled_lots {
            self.state
        } else {
            self.next(kind)?
        };
        self.filled_lots = total;
        let notional = i128::from(f.price_ticks) * i128::from(f.qty_lots);
        self.notional_tl += notional;
        // Both are below MAX_UNITS (1e15), so qty × 10¹⁸ fits an i128 with room.
        let inv = i128::from(f.qty_lots) * INV_SCALE / i128::from(f.price_ticks);
        self.inv_e18 += inv;
        if f.liquidity == Liquidity::Maker {
            self.maker_lots += f.qty_lots;
            self.maker_notional_tl += notional;
            self.maker_inv_e18 += inv;
        }
        if self.stamps.first_fill_ns == 0 {
            self.stamps.first_fill_ns = now_ns;
        }
        self.stamps.last_fill_ns = now_ns;
        Ok(self.enter(next, now_ns))
    }

    /// A terminal report carrying the venue's cumulative filled size.
    fn closed(
        &mut self,
        kind: EventKind,
        venue_filled: i64,
        now_ns: u64,
    ) -> Result<OrderState, OrderError> {
        if !(0..=self.target_lots).contains(&venue_filled) {
            return Err(OrderError::Malformed("reported filled size out of range"));
        }
        let mut next = self.next(kind)?;
        if venue_filled.max(self.filled_lots) == self.target_lots {
            next = OrderState::Filled;
        }
        self.venue_filled_lots = self.venue_filled_lots.max(venue_filled);
        Ok(self.enter(next, now_ns))
    }

    fn status(&mut self, st: VenueStatus, now_ns: u64) -> Result<OrderState, OrderError> {
        let (kind, venue_filled) = match st {
            VenueStatus::NotFound => (EventKind::StatusNotFound, 0),
            VenueStatus::Open { filled_lots } => (EventKind::StatusOpen, filled_lots),
            VenueStatus::Closed { filled_lots } => (EventKind::StatusClosed, filled_lots),
        };
        if !(0..=self.target_lots).contains(&venue_filled) {
            return Err(OrderError::Malformed("status filled size out of range"));
        }
        let mut next = self.next(kind)?;
        let filled = venue_filled.max(self.filled_lots);
        next = match next {
            OrderState::Cancelled if filled == self.target_lots => OrderState::Filled,
            OrderState::Working if filled > 0 => OrderState::PartiallyFilled,
            other => other,
        };
        self.venue_filled_lots = self.venue_filled_lots.max(venue_filled);
        Ok(self.enter(next, now_ns))
    }
}

#[cfg(test)]
mod tests;
