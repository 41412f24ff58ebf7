//! Crash recovery: what a journal and the venues' saved records say about groups that
//! were open when a run died, reconciled by NautilusTrader's rules.
//!
//! The venues are the truth for fills; the journal is the truth for intent (which
//! groups, legs and sizes were asked). [`reconcile`] walks both:
//!
//! - a group is open if it started (or a venue knows one of its orders) and has no
//!   `ended`/`refused` line;
//! - an order the journal sent but no venue knows never arrived: rejected;
//! - an order a venue still rests: to cancel, keeping its fills;
//! - fills a venue made that the journal lacks (the report was in flight at the crash)
//!   are recovered once, by lots and notional per order; fills are told apart by trade
//!   id, so a duplicate report is never counted twice.
//!
//! Then each open group's legs hold a net position from the venues' fills. The caller
//! keeps a group that holds exactly what it asked on every leg (filled) or nothing
//! (flat), and unwinds every other to flat.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::sim::{decode, VenueState};

/// One order of an open group, as the venue and the journal know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFacts {
    /// Client order id.
    pub client_id: u64,
    /// Venue index.
    pub venue: usize,
    /// Leg of its group.
    pub leg: usize,
    /// `true` for a buy.
    pub buy: bool,
    /// Lots the venue filled.
    pub venue_filled_lots: i64,
    /// Σ price × qty the venue filled, tick-lots.
    pub venue_notional_tl: i128,
    /// Its fees at the venue, tick-lots × 10⁻⁸.
    pub fees_tl_e8: i128,
    /// Lots the journal's fill reports hold (distinct trade ids).
    pub journal_filled_lots: i64,
    /// Σ price × qty of those, tick-lots.
    pub journal_notional_tl: i128,
    /// The venue still rests it.
    pub open: bool,
    /// The journal sent it but no venue knows it.
    pub unknown_to_venue: bool,
}

/// One leg of an open group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegFacts {
    /// Venue index.
    pub venue: usize,
    /// Entry direction is a buy.
    pub buy: bool,
    /// Asked, lots (0 if the start never reached the journal).
    pub target_lots: i64,
    /// Top of book it decided on (0 if unknown).
    pub bid_ticks: i64,
    /// Top of book it decided on (0 if unknown).
    pub ask_ticks: i64,
}

/// A group the run left open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenGroup {
    /// Job id.
    pub job: usize,
    /// Its policy's name (`unknown` if the start is not in the journal).
    pub policy: String,
    /// Strategy name.
    pub strategy: String,
    /// Per leg (in leg order; legs only the venues know are added).
    pub legs: BTreeMap<usize, LegFacts>,
    /// Its orders, by client id.
    pub orders: BTreeMap<u64, OrderFacts>,
}

impl OpenGroup {
    /// Leg `leg`'s net position in its entry direction, lots, from the venues' fills.
    pub fn net_lots(&self, leg: usize) -> i64 {
        let Some(l) = self.legs.get(&leg) else {
            return 0;
        };
        self.orders
            .values()
            .filter(|o| o.leg == leg)
            .map(|o| {
                if o.buy == l.buy {
                    o.venue_filled_lots
                } else {
                    -o.venue_filled_lots
                }
            })
            .sum()
    }
}

/// What [`reconcile`] found.
#[derive(Debug, Clone, Default)]
pub struct Recovery {
    /// Open groups by job id.
    pub open: BTreeMap<usize, OpenGroup>,
    /// The highest job id the journal or a venue has seen.
    pub max_job: Option<usize>,
}

fn job_of(client_id: u64) -> usize {
    (client_id / 1_000) as usize
}

/// Reconciles `records` (a journal's good records) with `venues` (per venue index: its
/// one book's saved records).
pub fn reconcile(records: &[Value], venues: &[VenueState]) -> Recovery {
    let mut ended = BTreeSet::new();
    let mut started: BTreeMap<usize, &Value> = BTreeMap::new();
    let mut sent: BTreeMap<u64, &Value> = BTreeMap::new();
    let mut fills: BTreeMap<u64, BTreeMap<u64, (i64, i64)>> = BTreeMap::new();
    let mut max_job = None::<usize>;
    let mut seen = |j: usize| max_job = Some(max_job.map_or(j, |m: usize| m.max(j)));
    for r in records {
        let job = r["job"].as_u64().map(|j| j as usize);
        match r["kind"].as_str() {
            Some("started") => {
                if let Some(j) = job {
                    started.insert(j, r);
                    seen(j);
                }
            }
            Some("ended") => {
                if let Some(j) = r["group"]["id"].as_u64() {
                    ended.insert(j as usize);
                    seen(j as usize);
                }
            }
            Some("refused") => {
                if let Some(j) = job {
                    ended.insert(j);
                    seen(j);
                }
            }
            Some("sent") => {
                if let (Some(id), Some(_)) = (r["client_id"].as_u64(), r["qty_lots"].as_i64()) {
                    sent.insert(id, r);
                }
            }
            Some("report") => {
                let id = r["client_id"].as_u64();
                let tid = r["trade_id"].as_u64();
                let lots = r["fill_lots"].as_i64();
                let px = r["fill_price_ticks"].as_i64();
                if let (Some(id), Some(t), Some(l), Some(p)) = (id, tid, lots, px) {
                    fills.entry(id).or_default().insert(t, (l, p));
                }
            }
            _ => {}
        }
    }
    // Venue orders, by client id.
    let mut at_venue = BTreeMap::new();
    for (v, s) in venues.iter().enumerate() {
        for o in &s.orders {
            at_venue.insert(o.client_id, (v, *o));
            seen(job_of(o.client_id));
        }
    }
    let mut open: BTreeMap<usize, OpenGroup> = BTreeMap::new();
    let new_group = |j: usize| {
        let st = started.get(&j);
        let mut legs = BTreeMap::new();
        if let Some(st) = st {
            for (i, l) in st["legs"].as_array().into_iter().flatten().enumerate() {
                legs.insert(
                    i,
                    LegFacts {
                        venue: l["venue_index"].as_u64().unwrap_or(0) as usize,
                        buy: l["side"] == "buy",
                        target_lots: l["qty_lots"].as_i64().unwrap_or(0),
                        bid_ticks: l["bid_ticks"].as_i64().unwrap_or(0),
                        ask_ticks: l["ask_ticks"].as_i64().unwrap_or(0),
                    },
                );
            }
        }
        OpenGroup {
            job: j,
            policy: st
                .and_then(|s| s["policy"].as_str())
                .unwrap_or("unknown")
                .to_string(),
            strategy: st
                .and_then(|s| s["strategy"].as_str())
                .unwrap_or("unknown")
                .to_string(),
            legs,
            orders: BTreeMap::new(),
        }
    };
    let ids: BTreeSet<u64> = sent.keys().chain(at_venue.keys()).copied().collect();
    for id in ids {
        let j = job_of(id);
        if ended.contains(&j) {
            continue;
        }
        let (leg, _, _) = decode(id);
        let g = open.entry(j).or_insert_with(|| new_group(j));
        let journal = fills.get(&id);
        let (jl, jn) = journal.map_or((0, 0), |m| {
            m.values().fold((0i64, 0i128), |(l, n), &(q, p)| {
                (l + q, n + i128::from(q) * i128::from(p))
            })
        });
        let facts = match at_venue.get(&id) {
            Some(&(v, o)) => OrderFacts {
                client_id: id,
                venue: v,
                leg,
                buy: o.buy,
                venue_filled_lots: o.filled_lots,
                venue_notional_tl: o.notional_tl,
                fees_tl_e8: o.fees_tl_e8,
                journal_filled_lots: jl,
                journal_notional_tl: jn,
                open: o.open,
                unknown_to_venue: false,
            },
            None => OrderFacts {
                client_id: id,
                venue: g.legs.get(&leg).map_or(0, |l| l.venue),
                leg,
                buy: sent
                    .get(&id)
                    .and_then(|s| s["buy"].as_bool())
                    .unwrap_or(false),
                venue_filled_lots: 0,
                venue_notional_tl: 0,
                fees_tl_e8: 0,
                journal_filled_lots: jl,
                journal_notional_tl: jn,
                open: false,
                unknown_to_venue: true,
            },
        };
        // A leg only the venue knows: its first order's direction is the entry.
        g.legs.entry(leg).or_insert(LegFacts {
            venue: facts.venue,
            buy: facts.buy,
            target_lots: 0,
            bid_ticks: 0,
            ask_ticks: 0,
        });
        g.orders.insert(id, facts);
    }
    // Groups that started but sent nothing the journal or a venue saw.
    for &j in started.keys() {
        if !ended.contains(&j) {
            open.entry(j).or_insert_with(|| new_group(j));
        }
    }
    Recovery { open, max_job }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{client_id, OrderRecord};
    use serde_json::json;

    fn order(id: u64, buy: bool, filled: i64, open: bool) -> OrderRecord {
        OrderRecord {
            client_id: id,
            buy,
            price_ticks: 100,
            qty_lots: 50,
            post_only: open,
            filled_lots: filled,
            open,
            notional_tl: i128::from(filled) * 100,
            fees_tl_e8: 0,
        }
    }

    fn venue(orders: Vec<OrderRecord>) -> VenueState {
        VenueState {
            orders,
            position_lots: 0,
            cash_tl: 0,
            traded_lots: 0,
            fees_tl_e8: 0,
            next_trade_id: 1,
        }
    }

    #[test]
    fn fills_the_journal_missed_are_recovered_once_and_unknown_orders_rejected() {
        let (a, b) = (client_id(3, 0, 0, 0), client_id(3, 1, 0, 0));
        let lost = client_id(3, 1, 1, 0);
        let records = vec![
            json!({"kind": "started", "job": 3, "policy": "rollback", "strategy": "s",
                   "legs": [
                     {"venue_index": 0, "side": "buy", "qty_lots": 50},
                     {"venue_index": 1, "side": "sell", "qty_lots": 50}]}),
            json!({"kind": "sent", "job": 3, "client_id": a, "buy": true, "qty_lots": 50}),
            json!({"kind": "sent", "job": 3, "client_id": b, "buy": false, "qty_lots": 50}),
            json!({"kind": "sent", "job": 3, "client_id": lost, "buy": true, "qty_lots": 5}),
            // Trade 1 reported twice (a duplicate): counted once.
            json!({"kind": "report", "client_id": a, "trade_id": 1, "fill_lots": 30,
                   "fill_price_ticks": 100}),
            json!({"kind": "report", "client_id": a, "trade_id": 1, "fill_lots": 30,
                   "fill_price_ticks": 100}),
            // An ended group is not open.
            json!({"kind": "ended", "group": {"id": 2}}),
        ];
        // Venue 0 filled 50 of `a` (20 the journal never saw); venue 1 rests `b` with 10
        // filled; venue 1 also knows an order of job 4, which the journal never saw.
        let orphan = client_id(4, 0, 0, 0);
        let venues = [
            venue(vec![order(a, true, 50, false)]),
            venue(vec![
                order(b, false, 10, true),
                order(orphan, false, 7, false),
            ]),
        ];
        let r = reconcile(&records, &venues);
        assert_eq!(r.max_job, Some(4));
        assert_eq!(r.open.keys().copied().collect::<Vec<_>>(), [3, 4]);
        let g = &r.open[&3];
        let oa = &g.orders[&a];
        assert_eq!((oa.venue_filled_lots, oa.journal_filled_lots), (50, 30));
        assert_eq!(oa.venue_notional_tl - oa.journal_notional_tl, 2_000);
        assert!(g.orders[&b].open);
        assert!(g.orders[&lost].unknown_to_venue);
        // Leg 0 bought 50; leg 1 sold 10 (entry) and its lost buy never traded.
        assert_eq!((g.net_lots(0), g.net_lots(1)), (50, 10));
        let o = &r.open[&4];
        assert_eq!(o.policy, "unknown");
        assert_eq!(o.net_lots(0), 7);
        assert_eq!(o.legs[&0].target_lots, 0);
    }
}
