//! The gateway's record of each order it sent, and the rules that turn what the venue
//! says (answers, stream events, a status and trades read when reconciling) into
//! reports delivered once each: one ack, each fill once by trade id, one end (cancel or
//! expiry), whichever of the answer, the stream or the reconciliation says it first.

use std::collections::HashMap;

use crate::venue::{Execution, OrderRef, Report, ReportKind};

/// What the gateway knows of one order.
#[derive(Debug, Clone, Default)]
pub struct Tracked {
    /// Its `order.place` was sent and not answered (it may not have reached the venue).
    pub in_doubt: bool,
    /// The ack was delivered.
    pub acked: bool,
    /// Its end (cancel, expiry, reject) was delivered, or it filled in full.
    pub closed: bool,
    /// Lots of the fills delivered.
    pub filled_lots: i64,
    /// Its size, lots.
    pub qty_lots: i64,
    /// A buy (its fills add to the position).
    pub buy: bool,
    /// The most lots the venue said were filled (an end's or a status's cumulative).
    pub venue_filled: i64,
    /// Trade ids delivered.
    pub trades: Vec<u64>,
    /// The venue's order id, once known.
    pub venue_id: Option<u64>,
    /// The engine asked for its status and has no answer yet.
    pub queried: bool,
    /// It was already closed at the last [`Orders::prune`].
    pub stale: bool,
}

/// Every order the gateway sent, by its client id's wire value.
#[derive(Debug, Default)]
pub struct Orders {
    map: HashMap<u64, Tracked>,
}

impl Orders {
    /// A new order of `qty_lots`, a buy or a sell, sent now.
    pub fn sent(&mut self, order: OrderRef, qty_lots: i64, buy: bool) {
        self.map.insert(
            order.wire(),
            Tracked {
                in_doubt: true,
                qty_lots,
                buy,
                ..Tracked::default()
            },
        );
    }

    /// The record of `order`.
    pub fn get_mut(&mut self, order: OrderRef) -> Option<&mut Tracked> {
        self.map.get_mut(&order.wire())
    }

    /// Forgets the orders that were closed at the last prune and still are (so a record
    /// outlives its end by at least one prune period: late duplicates and a fill racing
    /// a cancel still find it), and marks the closed ones for the next. Keeps the record
    /// bounded over a long session.
    pub fn prune(&mut self) -> usize {
        let before = self.map.len();
        self.map.retain(|_, t| !(t.stale && t.closed && !t.queried));
        for t in self.map.values_mut() {
            t.stale = t.closed && !t.queried;
        }
        before - self.map.len()
    }

    /// How many orders it holds.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.len()
    }

    /// Orders not closed, those queried, and those the venue said filled more than the
    /// fills delivered: what a reconciliation must ask about.
    pub fn to_reconcile(&self) -> Vec<OrderRef> {
        let mut v: Vec<OrderRef> = self
            .map
            .iter()
            .filter(|(_, t)| !t.closed || t.queried || t.filled_lots < t.venue_filled)
            .filter_map(|(w, _)| OrderRef::from_wire(*w).ok())
            .collect();
        v.sort_unstable_by_key(|o| o.wire());
        v
    }

    /// The report for `kind` about `order`, if it says something not delivered yet
    /// (and records that it now is).
    pub fn once(&mut self, order: OrderRef, kind: ReportKind) -> Option<Report> {
        let t = self.map.get_mut(&order.wire())?;
        let new = match kind {
            ReportKind::Ack => !t.acked && !t.closed,
            ReportKind::Fill(x) => fill_once(t, &x),
            ReportKind::CancelAck { .. } | ReportKind::Expired { .. } | ReportKind::Reject(_) => {
                !t.closed
            }
            ReportKind::CancelReject(_) | ReportKind::Status(_) => true,
        };
        match kind {
            ReportKind::Ack => t.acked = true,
            ReportKind::CancelAck { filled_lots } | ReportKind::Expired { filled_lots } => {
                t.closed = true;
                t.venue_filled = t.venue_filled.max(filled_lots);
            }
            ReportKind::Reject(_) => t.closed = true,
            _ => {}
        }
        t.in_doubt = false;
        new.then(|| Report::new(order, kind))
    }
}

/// Records fill `x` on `t`: true if its trade id is new.
fn fill_once(t: &mut Tracked, x: &Execution) -> bool {
    if t.trades.contains(&x.trade_id) {
        return false;
    }
    t.trades.push(x.trade_id);
    t.filled_lots += x.last_qty_lots;
    if t.filled_lots >= t.qty_lots {
        t.closed = true;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::LegIdx;
    use crate::leg::Liquidity;
    use crate::venue::RejectReason;

    fn fill(id: u64, lots: i64) -> ReportKind {
        ReportKind::Fill(Execution {
            trade_id: id,
            last_qty_lots: lots,
            price_ticks: 100,
            liquidity: Liquidity::Taker,
            fee_tl_e8: 0,
            at_ns: 0,
        })
    }

    #[test]
    fn each_report_is_delivered_once_whoever_says_it_first() {
        let mut o = Orders::default();
        let r = OrderRef::new(3, LegIdx::new(1), 0, 0).unwrap();
        o.sent(r, 10, true);
        assert_eq!(o.to_reconcile(), [r]);
        assert!(o.once(r, ReportKind::Ack).is_some());
        assert!(
            o.once(r, ReportKind::Ack).is_none(),
            "answer and stream both ack"
        );
        assert!(o.once(r, fill(7, 4)).is_some());
        assert!(
            o.once(r, fill(7, 4)).is_none(),
            "the same trade from reconciliation"
        );
        assert!(o.once(r, fill(8, 6)).is_some());
        assert_eq!(o.get_mut(r).unwrap().filled_lots, 10);
        assert!(o.to_reconcile().is_empty(), "filled in full is closed");
        assert!(o.once(r, ReportKind::Expired { filled_lots: 10 }).is_none());
        let q = OrderRef::new(4, LegIdx::new(0), 0, 0).unwrap();
        o.sent(q, 5, true);
        let rej = ReportKind::Reject(RejectReason::Unavailable);
        assert!(o.once(q, rej).is_some());
        assert!(o
            .once(q, ReportKind::CancelAck { filled_lots: 0 })
            .is_none());
        assert!(o
            .once(q, ReportKind::CancelReject(RejectReason::UnknownOrder))
            .is_some());
        // Both closed: kept through one prune, forgotten at the next; an open one stays.
        let open = OrderRef::new(5, LegIdx::new(0), 0, 0).unwrap();
        o.sent(open, 5, true);
        assert_eq!((o.prune(), o.len()), (0, 3));
        assert_eq!((o.prune(), o.len()), (2, 1));
        assert_eq!(o.to_reconcile(), [open]);
    }
}
