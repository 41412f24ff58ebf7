//! Crash recovery: what a journal and the venues' saved records say about groups that
//! were open when a run died, reconciled by NautilusTrader's rules.
//!
//! The venues are the truth for fills; the journal is the truth for intent (which
//! groups, legs and sizes were asked). [`reconcile`] walks both:
//!
//! - a group is open if it started (or a venue knows one of its orders) and has no
//!   `ended`/`refused` line, or if it ended but a venue still rests one of its orders or
//!   filled one after its end and the report never reached the journal (reopened);
//! - an order the journal sent but no venue knows never arrived: rejected;
//! - an order a venue still rests: to cancel, keeping its fills;
//! - fills a venue made that the journal lacks (the report was in flight at the crash)
//!   are recovered once, by lots and notional per order; fills are told apart by trade
//!   id, so a duplicate report is never counted twice.
//!
//! Then each open group's legs hold a net position from the venues' fills. The caller
//! keeps a group that holds exactly what it asked on every leg (filled) or nothing
//! (flat), and unwinds every other to flat.
//!
//! Recovery is idempotent, so a resume may itself be killed at any point and resumed:
//!
//! - a `reconciled` line's recovered lots and notional count as journal fills, so a
//!   fill is recovered once however many resumes see it;
//! - before an unwind is sent, an `unwind` line (synced) ties the unwind's job to the
//!   group it unwinds: the unwind's orders are that group's orders (on the legs the line
//!   names), its own `started`/`ended` lines open or close nothing, and a later resume
//!   sees the group's net after the unwind, so it never unwinds the same need twice.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::venue::{OrderRecord, OrderRef, OrderRefError, VenueState};

/// Why a journal could not be reconciled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecoverError {
    /// A line's `client_id` is not an id the engine can have sent.
    #[error("journal record {record}: client_id: {source}")]
    ClientId {
        /// The record's position among the journal's good records, from 1.
        record: usize,
        /// What is wrong with it.
        source: OrderRefError,
    },
    /// A line's `client_id` is not a whole number.
    #[error("journal record {record}: client_id {value} is not a client order id")]
    NotAnId {
        /// The record's position among the journal's good records, from 1.
        record: usize,
        /// The value found.
        value: String,
    },
}

/// The `client_id` of record `r` (the `i`-th, from 0), checked; `None` if it has none.
fn client_id(i: usize, r: &Value) -> Result<Option<OrderRef>, RecoverError> {
    let v = &r["client_id"];
    if v.is_null() {
        return Ok(None);
    }
    let record = i + 1;
    let Some(wire) = v.as_u64() else {
        let value = v.to_string();
        return Err(RecoverError::NotAnId { record, value });
    };
    OrderRef::from_wire(wire)
        .map(Some)
        .map_err(|source| RecoverError::ClientId { record, source })
}

/// One order of an open group, as the venue and the journal know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFacts {
    /// Client order id.
    pub client_id: OrderRef,
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
    /// Size asked, lots (the venue's, else the journal's `sent`; 0 if neither knows).
    pub qty_lots: i64,
    /// Sent by a recovery's unwind of this group.
    pub unwind: bool,
    /// An earlier resume already wrote this order's `reconciled` line.
    pub reconciled: bool,
}

/// One leg of an open group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegFacts {
    /// Venue index.
    pub venue: usize,
    /// Entry direction is a buy.
    pub buy: bool,
    /// Asked, lots. If the start never reached the journal: the largest entry order the
    /// venue or the journal knows on the leg (the first order asks for the whole leg;
    /// later ones only for what is left).
    pub target_lots: i64,
    /// The target is from the journal's `started` line.
    pub target_known: bool,
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
    pub orders: BTreeMap<OrderRef, OrderFacts>,
}

impl OrderFacts {
    /// The venue still rests it, or filled more than the journal holds.
    pub fn unsettled(&self) -> bool {
        self.open || self.venue_filled_lots > self.journal_filled_lots
    }
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

fn job_of(id: OrderRef) -> usize {
    id.job_index()
}

/// An `unwind` line: job `unwind_job`'s leg `i` unwinds leg `legs[i]` of group `job`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnwindLink {
    /// The group unwound.
    pub job: usize,
    /// Per unwind leg: the group's leg.
    pub legs: Vec<usize>,
}

/// The journal's facts, by kind.
#[derive(Default)]
struct Journal<'a> {
    ended: BTreeSet<usize>,
    started: BTreeMap<usize, &'a Value>,
    sent: BTreeMap<OrderRef, &'a Value>,
    /// Per order: fills by trade id, (lots, price ticks).
    fills: BTreeMap<OrderRef, BTreeMap<u64, (i64, i64)>>,
    /// Per order: what earlier resumes recovered, (lots, notional tick-lots).
    recovered: BTreeMap<OrderRef, (i64, i128)>,
    /// Unwind job → the group and legs it unwinds.
    unwinds: BTreeMap<usize, UnwindLink>,
    max_job: Option<usize>,
}

impl<'a> Journal<'a> {
    fn seen(&mut self, j: usize) {
        self.max_job = Some(self.max_job.map_or(j, |m| m.max(j)));
    }

    fn read(records: &'a [Value]) -> Result<Journal<'a>, RecoverError> {
        let mut k = Journal::default();
        for (i, r) in records.iter().enumerate() {
            let id = client_id(i, r)?;
            let job = r["job"].as_u64().map(|j| j as usize);
            match (r["kind"].as_str(), job) {
                (Some("started"), Some(j)) => {
                    k.started.insert(j, r);
                    k.seen(j);
                }
                (Some("ended"), _) => {
                    if let Some(j) = r["group"]["id"].as_u64() {
                        k.ended.insert(j as usize);
                        k.seen(j as usize);
                    }
                }
                (Some("refused"), Some(j)) => {
                    k.ended.insert(j);
                    k.seen(j);
                }
                (Some("sent"), _) => {
                    if let (Some(id), Some(_)) = (id, r["qty_lots"].as_i64()) {
                        k.sent.insert(id, r);
                    }
                }
                (Some("report"), _) => k.report(id, r),
                (Some("reconciled"), _) => k.reconciled(id, r),
                (Some("unwind"), Some(j)) => k.unwind(j, r),
                _ => {}
            }
        }
        Ok(k)
    }

    fn report(&mut self, id: Option<OrderRef>, r: &Value) {
        let tid = r["trade_id"].as_u64();
        let lots = r["fill_lots"].as_i64();
        let px = r["fill_price_ticks"].as_i64();
        if let (Some(id), Some(t), Some(l), Some(p)) = (id, tid, lots, px) {
            self.fills.entry(id).or_default().insert(t, (l, p));
        }
    }

    fn reconciled(&mut self, id: Option<OrderRef>, r: &Value) {
        let Some(id) = id else {
            return;
        };
        let lots = r["recovered_lots"].as_i64().unwrap_or(0);
        let notional = r["recovered_notional_tl"]
            .as_str()
            .and_then(|s| s.parse::<i128>().ok())
            .unwrap_or(0);
        let e = self.recovered.entry(id).or_default();
        e.0 += lots;
        e.1 += notional;
    }

    fn unwind(&mut self, j: usize, r: &Value) {
        let Some(u) = r["unwind_job"].as_u64() else {
            return;
        };
        let legs = r["legs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l.as_u64().map(|l| l as usize))
            .collect();
        self.unwinds.insert(u as usize, UnwindLink { job: j, legs });
        self.seen(j);
        self.seen(u as usize);
    }

    /// The group and leg order `id` belongs to, and whether it is a recovery's unwind.
    fn owner(&self, id: OrderRef) -> (usize, usize, bool) {
        let (j, leg) = (job_of(id), id.leg());
        match self.unwinds.get(&j) {
            Some(u) => (u.job, u.legs.get(leg).copied().unwrap_or(leg), true),
            None => (j, leg, false),
        }
    }
}

/// Reconciles `records` (a journal's good records) with `venues` (per venue index: its
/// one book's saved records). A `client_id` that no order the engine sends can have is
/// an error.
pub fn reconcile(records: &[Value], venues: &[VenueState]) -> Result<Recovery, RecoverError> {
    let mut k = Journal::read(records)?;
    // Venue orders, by client id.
    let mut at_venue = BTreeMap::new();
    for (v, s) in venues.iter().enumerate() {
        for o in &s.orders {
            at_venue.insert(o.client_id, (v, *o));
            k.seen(job_of(o.client_id));
        }
    }
    let mut open: BTreeMap<usize, OpenGroup> = BTreeMap::new();
    let ids: BTreeSet<OrderRef> = k.sent.keys().chain(at_venue.keys()).copied().collect();
    for id in ids {
        let (j, leg, unwind) = k.owner(id);
        let g = open.entry(j).or_insert_with(|| new_group(&k, j));
        let facts = order_facts(&k, id, leg, unwind, at_venue.get(&id).copied(), g);
        // A leg only the venue knows: its first order's direction is the entry.
        g.legs.entry(leg).or_insert(LegFacts {
            venue: facts.venue,
            buy: facts.buy,
            target_lots: 0,
            target_known: false,
            bid_ticks: 0,
            ask_ticks: 0,
        });
        g.orders.insert(id, facts);
    }
    // An ended group stays closed unless a venue holds what its journal lacks: an order
    // still resting, or fills after its end that the journal missed.
    open.retain(|j, g| !k.ended.contains(j) || g.orders.values().any(OrderFacts::unsettled));
    // Groups that started but sent nothing the journal or a venue saw.
    for &j in k.started.keys() {
        if !k.ended.contains(&j) && !k.unwinds.contains_key(&j) {
            open.entry(j).or_insert_with(|| new_group(&k, j));
        }
    }
    for g in open.values_mut() {
        infer_targets(g);
    }
    Ok(Recovery {
        open,
        max_job: k.max_job,
    })
}

/// An open group as its `started` line (if any) describes it, without orders.
fn new_group(k: &Journal, j: usize) -> OpenGroup {
    let st = k.started.get(&j);
    let mut legs = BTreeMap::new();
    if let Some(st) = st {
        for (i, l) in st["legs"].as_array().into_iter().flatten().enumerate() {
            let target = l["qty_lots"].as_i64();
            legs.insert(
                i,
                LegFacts {
                    venue: l["venue_index"].as_u64().unwrap_or(0) as usize,
                    buy: l["side"] == "buy",
                    target_lots: target.unwrap_or(0),
                    target_known: target.is_some(),
                    bid_ticks: l["bid_ticks"].as_i64().unwrap_or(0),
                    ask_ticks: l["ask_ticks"].as_i64().unwrap_or(0),
                },
            );
        }
    }
    let text = |key: &str| {
        st.and_then(|s| s[key].as_str())
            .unwrap_or("unknown")
            .to_string()
    };
    OpenGroup {
        job: j,
        policy: text("policy"),
        strategy: text("strategy"),
        legs,
        orders: BTreeMap::new(),
    }
}

/// Order `id` (leg `leg` of `g`) as the venue (`at_venue`) and the journal know it.
fn order_facts(
    k: &Journal,
    id: OrderRef,
    leg: usize,
    unwind: bool,
    at_venue: Option<(usize, OrderRecord)>,
    g: &OpenGroup,
) -> OrderFacts {
    let (mut jl, mut jn) = k.fills.get(&id).map_or((0, 0), |m| {
        m.values().fold((0i64, 0i128), |(l, n), &(q, p)| {
            (l + q, n + i128::from(q) * i128::from(p))
        })
    });
    if let Some(&(l, n)) = k.recovered.get(&id) {
        jl += l;
        jn += n;
    }
    let sent = k.sent.get(&id);
    let base = OrderFacts {
        client_id: id,
        venue: g.legs.get(&leg).map_or(0, |l| l.venue),
        leg,
        buy: sent.and_then(|s| s["buy"].as_bool()).unwrap_or(false),
        venue_filled_lots: 0,
        venue_notional_tl: 0,
        fees_tl_e8: 0,
        journal_filled_lots: jl,
        journal_notional_tl: jn,
        open: false,
        unknown_to_venue: true,
        qty_lots: sent.and_then(|s| s["qty_lots"].as_i64()).unwrap_or(0),
        unwind,
        reconciled: k.recovered.contains_key(&id),
    };
    match at_venue {
        Some((v, o)) => OrderFacts {
            venue: v,
            buy: o.buy,
            venue_filled_lots: o.filled_lots,
            venue_notional_tl: o.notional_tl,
            fees_tl_e8: o.fees_tl_e8,
            open: o.open,
            unknown_to_venue: false,
            qty_lots: o.qty_lots,
            ..base
        },
        None => base,
    }
}

/// A leg whose start never reached the journal asked at least its largest entry order.
fn infer_targets(g: &mut OpenGroup) {
    for (l, leg) in g.legs.iter_mut() {
        if leg.target_known {
            continue;
        }
        leg.target_lots = g
            .orders
            .values()
            .filter(|o| o.leg == *l && !o.unwind && o.buy == leg.buy)
            .map(|o| o.qty_lots)
            .max()
            .unwrap_or(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn client_id(job: u64, leg: usize, part: usize, slot: usize) -> OrderRef {
        OrderRef::new(job, leg, part, slot).unwrap()
    }

    fn order(id: OrderRef, buy: bool, filled: i64, open: bool) -> OrderRecord {
        OrderRecord {
            client_id: id,
            buy,
            price_ticks: 100,
            qty_lots: 50,
            post_only: open,
            reduce_only: false,
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
            json!({"kind": "sent", "job": 3, "client_id": a.wire(), "buy": true, "qty_lots": 50}),
            json!({"kind": "sent", "job": 3, "client_id": b.wire(), "buy": false, "qty_lots": 50}),
            json!({"kind": "sent", "job": 3, "client_id": lost.wire(), "buy": true, "qty_lots": 5}),
            // Trade 1 reported twice (a duplicate): counted once.
            json!({"kind": "report", "client_id": a.wire(), "trade_id": 1, "fill_lots": 30,
                   "fill_price_ticks": 100}),
            json!({"kind": "report", "client_id": a.wire(), "trade_id": 1, "fill_lots": 30,
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
        let r = reconcile(&records, &venues).unwrap();
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
        // Its start is lost: the target is the entry order's size, and not a known one.
        assert_eq!(o.legs[&0].target_lots, 50);
        assert!(!o.legs[&0].target_known);
        assert!(g.legs[&0].target_known);
    }

    #[test]
    fn a_second_resume_recovers_nothing_twice_and_sees_the_unwind_as_the_groups() {
        let (a, b) = (client_id(3, 0, 0, 0), client_id(3, 1, 0, 0));
        // The first resume recovered 20 lots of `a` and tied job 5 (leg 0) to leg 0 of
        // group 3; job 5's market sell of 50 filled at the venue, its report never
        // reached the journal, and the resume died before group 3's end.
        let unwind = client_id(5, 0, 0, 0);
        let records = vec![
            json!({"kind": "started", "job": 3, "policy": "rollback", "strategy": "s",
                   "legs": [
                     {"venue_index": 0, "side": "buy", "qty_lots": 50},
                     {"venue_index": 1, "side": "sell", "qty_lots": 50}]}),
            json!({"kind": "report", "client_id": a.wire(), "trade_id": 1, "fill_lots": 30,
                   "fill_price_ticks": 100}),
            json!({"kind": "reconciled", "job": 3, "client_id": a.wire(), "recovered_lots": 20,
                   "recovered_notional_tl": "2000"}),
            json!({"kind": "reconciled", "job": 3, "client_id": b.wire(), "recovered_lots": 0,
                   "recovered_notional_tl": "0"}),
            json!({"kind": "unwind", "job": 3, "unwind_job": 5, "legs": [0]}),
            json!({"kind": "unwind_started", "job": 5, "unwinds": 3,
                   "legs": [{"venue_index": 0, "side": "sell", "qty_lots": 50}]}),
            json!({"kind": "sent", "job": 5, "client_id": unwind.wire(), "buy": false,
                   "qty_lots": 50}),
        ];
        let venues = [
            venue(vec![
                order(a, true, 50, false),
                order(unwind, false, 50, false),
            ]),
            venue(vec![order(b, false, 0, false)]),
        ];
        let r = reconcile(&records, &venues).unwrap();
        assert_eq!(r.open.keys().copied().collect::<Vec<_>>(), [3]);
        assert_eq!(r.max_job, Some(5));
        let g = &r.open[&3];
        let oa = &g.orders[&a];
        assert_eq!(
            (oa.journal_filled_lots, oa.journal_notional_tl),
            (50, 5_000)
        );
        assert!(oa.reconciled && !g.orders[&b].open);
        let ou = &g.orders[&unwind];
        assert!(ou.unwind && ou.leg == 0 && !ou.reconciled);
        // Flat after its unwind: nothing to unwind again.
        assert_eq!((g.net_lots(0), g.net_lots(1)), (0, 0));
        // Once the group's end is in the journal, nothing is open.
        let mut done = records.clone();
        done.push(json!({"kind": "unwind_ended", "unwinds": 3, "group": {"id": 5}}));
        assert_eq!(reconcile(&done, &venues).unwrap().open.keys().count(), 1);
        done.push(
            json!({"kind": "reconciled", "job": 3, "client_id": unwind.wire(),
                          "recovered_lots": 50, "recovered_notional_tl": "5000"}),
        );
        done.push(json!({"kind": "ended", "group": {"id": 3}}));
        assert!(reconcile(&done, &venues).unwrap().open.is_empty());
    }

    #[test]
    fn an_ended_group_reopens_only_for_what_its_journal_lacks() {
        let (a, b) = (client_id(2, 0, 0, 0), client_id(2, 1, 0, 0));
        let records = vec![
            json!({"kind": "started", "job": 2, "policy": "rollback", "strategy": "s",
                   "legs": [
                     {"venue_index": 0, "side": "buy", "qty_lots": 50},
                     {"venue_index": 1, "side": "sell", "qty_lots": 50}]}),
            json!({"kind": "report", "client_id": a.wire(), "trade_id": 1, "fill_lots": 50,
                   "fill_price_ticks": 100}),
            json!({"kind": "ended", "group": {"id": 2}}),
        ];
        // Settled: the venue holds what the journal holds.
        let settled = [
            venue(vec![order(a, true, 50, false)]),
            venue(vec![order(b, false, 0, false)]),
        ];
        assert!(reconcile(&records, &settled).unwrap().open.is_empty());
        // A fill after the end (its report lost in the crash) reopens the group.
        let late = [
            venue(vec![order(a, true, 50, false)]),
            venue(vec![order(b, false, 5, false)]),
        ];
        let r = reconcile(&records, &late).unwrap();
        assert_eq!(r.open[&2].net_lots(1), 5);
        assert!(r.open[&2].orders[&b].unsettled());
    }

    #[test]
    fn a_client_id_no_order_can_have_is_refused_with_its_record() {
        let ok = client_id(3, 0, 0, 0).wire();
        let records = vec![
            json!({"kind": "sent", "job": 3, "client_id": ok, "buy": true, "qty_lots": 5}),
            json!({"kind": "report", "client_id": 3_123, "trade_id": 1, "fill_lots": 5,
                   "fill_price_ticks": 100}),
        ];
        let e = reconcile(&records, &[]).unwrap_err();
        assert!(matches!(e, RecoverError::ClientId { record: 2, .. }), "{e}");
        assert_eq!(
            e.to_string(),
            "journal record 2: client_id: client order id 3123: \
             leg 12 is out of range 0..=7"
        );
        let text = vec![json!({"kind": "report", "client_id": "12"})];
        let e = reconcile(&text, &[]).unwrap_err();
        assert_eq!(
            e,
            RecoverError::NotAnId {
                record: 1,
                value: "\"12\"".into()
            }
        );
    }
}
