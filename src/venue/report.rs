//! [`Report`]: what a venue says about one order, and [`Delivery`]: everything a gateway
//! hands back (reports and connection events).
//!
//! Reports carry what venues report (NautilusTrader's `OrderAccepted`, `OrderFilled`,
//! `OrderRejected`...): a fill's trade id, size, price, liquidity side and fee; a
//! reject's [`RejectReason`]. The leg state machines need less: [`ReportKind::event`]
//! maps a report onto the [`OrderEvent`] they consume (a reject's reason and a fill's
//! fee are for the journal and the operator, not for the state machine's transitions).
//!
//! Connection events say what the link did, so the engine can tell an outage from a
//! silent venue: `Disconnected` (resting orders may have been cancelled by the venue's
//! cancel-on-disconnect), `Connected` (the link is back; reports may still be missing),
//! `Resynced` (the gateway has delivered every execution made before and during the
//! outage, so the engine's view of its orders is complete again).

use super::{OrderRef, RejectDetail};
use crate::index::BookId;
use crate::leg::{Fill, Liquidity, OrderEvent, VenueStatus};
use crate::num::{Decimal, Round, SCALE};

/// Why a venue refused an order or a cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectReason {
    /// A post-only order would have crossed the book.
    PostOnlyWouldCross,
    /// The venue does not know the order (or it is finished): cancels, queries.
    UnknownOrder,
    /// The client id was used before.
    DuplicateOrder,
    /// Price, size or terms the venue does not accept.
    InvalidOrder,
    /// Too many requests (the venue's rate limit).
    RateLimited,
    /// Not enough margin or balance.
    InsufficientMargin,
    /// The venue holds as many open orders as it allows.
    TooManyOrders,
    /// The venue is busy or in maintenance (try again).
    Unavailable,
    /// The request's timestamp was outside the venue's receive window (Binance `-1021`):
    /// the gateway's estimate of the venue's clock is off.
    ClockSkew,
    /// The order's notional is below the venue's minimum (Binance USD-M `-4164`).
    BelowMinNotional,
    /// A venue-specific code the gateway could not map (e.g. Binance's `-2010`).
    Other(i32),
}

impl RejectReason {
    /// A short lowercase name, for journals and messages.
    pub const fn name(self) -> &'static str {
        match self {
            RejectReason::PostOnlyWouldCross => "post_only_would_cross",
            RejectReason::UnknownOrder => "unknown_order",
            RejectReason::DuplicateOrder => "duplicate_order",
            RejectReason::InvalidOrder => "invalid_order",
            RejectReason::RateLimited => "rate_limited",
            RejectReason::InsufficientMargin => "insufficient_margin",
            RejectReason::TooManyOrders => "too_many_orders",
            RejectReason::Unavailable => "unavailable",
            RejectReason::ClockSkew => "clock_skew",
            RejectReason::BelowMinNotional => "below_min_notional",
            RejectReason::Other(_) => "other",
        }
    }
}

/// A fee in quote money as [`Execution::fee_tl_e8`]: `⌈fee × 10⁸ / tick-lot⌉`, rounded up
/// (a cost never flatters; a rebate, negative, rounds toward zero); `None` out of range.
pub fn fee_tl_e8(fee: Decimal, tick_lot: Decimal) -> Option<i128> {
    let d = tick_lot.raw();
    if d <= 0 {
        return None;
    }
    if let Some(n) = fee.raw().checked_mul(100_000_000) {
        let q = n / d;
        return Some(if n % d > 0 { q + 1 } else { q });
    }
    let e8 = fee
        .mul_int(100_000_000)
        .and_then(|x| x.div(tick_lot, Round::Ceil))
        .and_then(|x| x.round_dp(0, Round::Ceil))
        .ok()?;
    Some(e8.raw() / SCALE)
}

/// One execution of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Execution {
    /// The venue's trade id (deduplication key).
    pub trade_id: u64,
    /// Lots executed by this fill (> 0).
    pub last_qty_lots: i64,
    /// Its price, ticks (> 0).
    pub price_ticks: i64,
    /// Maker or taker.
    pub liquidity: Liquidity,
    /// The fee the venue charged, tick-lots × 10⁻⁸ in the quote currency (negative: a
    /// rebate). A gateway whose venue charges in another asset converts it.
    pub fee_tl_e8: i128,
    /// The venue's time of the fill, ns.
    pub at_ns: u64,
}

/// What happened to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportKind {
    /// The venue accepted the order.
    Ack,
    /// A fill.
    Fill(Execution),
    /// The venue cancelled the order, with its cumulative filled size.
    CancelAck {
        /// Lots filled before the cancel.
        filled_lots: i64,
    },
    /// The venue refused the cancel.
    CancelReject(RejectReason),
    /// The venue refused the order.
    Reject(RejectReason),
    /// The venue ended the order (an IOC's remainder), with its cumulative filled size.
    Expired {
        /// Lots filled.
        filled_lots: i64,
    },
    /// The venue's view of the order, in answer to a status query.
    Status(VenueStatus),
}

impl ReportKind {
    /// The leg state machine's input for this report.
    pub const fn event(self) -> OrderEvent {
        match self {
            ReportKind::Ack => OrderEvent::Accepted,
            ReportKind::Fill(x) => OrderEvent::Filled(Fill {
                trade_id: x.trade_id,
                qty_lots: x.last_qty_lots,
                price_ticks: x.price_ticks,
                liquidity: x.liquidity,
                at_ns: x.at_ns,
            }),
            ReportKind::CancelAck { filled_lots } => OrderEvent::CancelAcked { filled_lots },
            ReportKind::CancelReject(_) => OrderEvent::CancelRejected,
            ReportKind::Reject(_) => OrderEvent::Rejected,
            ReportKind::Expired { filled_lots } => OrderEvent::Expired { filled_lots },
            ReportKind::Status(s) => OrderEvent::Status(s),
        }
    }

    /// Whether it is a fill (fills travel on the execution stream and are never lost).
    pub const fn is_fill(&self) -> bool {
        matches!(self, ReportKind::Fill(_))
    }
}

/// A venue report about one client order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Report {
    /// The order it is about.
    pub order: OrderRef,
    /// What happened.
    pub kind: ReportKind,
    /// A reject's or cancel reject's words from the venue (code, text), when it gave
    /// any: for the journal and the incident, not for the leg's transitions.
    pub detail: Option<RejectDetail>,
}

impl Report {
    /// A report without venue detail.
    pub const fn new(order: OrderRef, kind: ReportKind) -> Report {
        Report {
            order,
            kind,
            detail: None,
        }
    }
}

/// What a gateway delivers to the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// A report about an order on `book`.
    Report {
        /// The book (instrument) index on the venue.
        book: BookId,
        /// The report.
        report: Report,
    },
    /// The link is up (again).
    Connected,
    /// The link dropped.
    Disconnected,
    /// Every execution made before and during an outage has been delivered.
    Resynced,
    /// The venue's own position in `book` has differed from the one its gateway's
    /// fills add up to for longer than a reconciliation could explain: a fill the
    /// engine never saw, or a trade made outside it. The engine takes on no new risk.
    PositionBreak {
        /// The book (instrument) index on the venue.
        book: BookId,
        /// The venue's position, lots (+ long).
        venue_lots: i64,
        /// What the gateway's baseline and delivered fills make it, lots.
        expected_lots: i64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_map_onto_leg_events() {
        let x = Execution {
            trade_id: 17,
            last_qty_lots: 3,
            price_ticks: 61_800,
            liquidity: Liquidity::Maker,
            fee_tl_e8: -12,
            at_ns: 5,
        };
        let fill = Fill {
            trade_id: 17,
            qty_lots: 3,
            price_ticks: 61_800,
            liquidity: Liquidity::Maker,
            at_ns: 5,
        };
        let open = VenueStatus::Open { filled_lots: 2 };
        let cases = [
            (ReportKind::Ack, OrderEvent::Accepted),
            (ReportKind::Fill(x), OrderEvent::Filled(fill)),
            (
                ReportKind::CancelAck { filled_lots: 4 },
                OrderEvent::CancelAcked { filled_lots: 4 },
            ),
            (
                ReportKind::CancelReject(RejectReason::UnknownOrder),
                OrderEvent::CancelRejected,
            ),
            (
                ReportKind::Reject(RejectReason::PostOnlyWouldCross),
                OrderEvent::Rejected,
            ),
            (
                ReportKind::Reject(RejectReason::Other(-2010)),
                OrderEvent::Rejected,
            ),
            (
                ReportKind::Expired { filled_lots: 1 },
                OrderEvent::Expired { filled_lots: 1 },
            ),
            (ReportKind::Status(open), OrderEvent::Status(open)),
        ];
        for (kind, event) in cases {
            assert_eq!(kind.event(), event);
            assert_eq!(kind.is_fill(), matches!(event, OrderEvent::Filled(_)));
        }
    }

    #[test]
    fn a_report_stays_small_enough_to_copy_on_every_order() {
        // Order (8), kind (64: a fill is the largest) and the venue's words, inline:
        // 176 bytes on x86-64.
        assert!(
            std::mem::size_of::<Report>() <= 192,
            "{}",
            std::mem::size_of::<Report>()
        );
    }

    #[test]
    fn reject_reasons_have_distinct_names() {
        let all = [
            RejectReason::PostOnlyWouldCross,
            RejectReason::UnknownOrder,
            RejectReason::DuplicateOrder,
            RejectReason::InvalidOrder,
            RejectReason::RateLimited,
            RejectReason::InsufficientMargin,
            RejectReason::TooManyOrders,
            RejectReason::Unavailable,
            RejectReason::Other(7),
        ];
        let names: std::collections::BTreeSet<_> = all.iter().map(|r| r.name()).collect();
        assert_eq!(names.len(), all.len());
    }
}
