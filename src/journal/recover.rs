//! Crash recovery: what a journal and the venues' saved records say about groups that
//! were open when a run died, reconciled by NautilusTrader's rules.
//!
//! The venues are the truth for fills; the journal is the truth for intent (which
//! groups, legs and sizes were asked). [`reconcile`] walks both, the journal as its
//! typed lines ([`Line`], already checked by [`super::file::read`]: nothing here
//! defaults a missing field):
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

use super::line::{Cmd, Event, Line, Report, Sent, Side, Started, Unwind};
use crate::venue::{OrderRecord, OrderRef, VenueState};

/// One order of an open group, as the venue and the journal know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFacts {
    /// Client order id.
    pub client_id: OrderRef,
    /// Venue index (the venue that holds it, else the one its `sent` line names).
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
    /// Size asked, lots (the venue's, else the journal's `sent`).
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

fn job_of(client_id: OrderRef) -> usize {
    client_id.job_index()
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
    started: BTreeMap<usize, &'a Started>,
    /// Per order: the `submit` the journal sent.
    sent: BTreeMap<OrderRef, Submitted>,
    /// Per order: fills by trade id, (lots, price ticks).
    fills: BTreeMap<OrderRef, BTreeMap<u64, (i64, i64)>>,
    /// Per order: what earlier resumes recovered, (lots, notional tick-lots).
    recovered: BTreeMap<OrderRef, (i64, i128)>,
    /// Unwind job → the group and legs it unwinds.
    unwinds: BTreeMap<usize, UnwindLink>,
    max_job: Option<usize>,
}

/// A `submit` the journal sent.
#[derive(Clone, Copy)]
struct Submitted {
    buy: bool,
    qty_lots: i64,
    /// The venue index the line names.
    venue: usize,
    /// Its line number in the journal.
    line: usize,
}

/// An order as the journal's `submit` knows it, or as the venue that holds it does (its
/// index and record; checked against the `submit`, if any).
enum Known {
    Journal(Submitted),
    Venue(usize, OrderRecord),
}

/// Why a journal does not fit the venues it ran on; nothing is recovered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecoverError {
    /// A `sent` line names a venue index the scenario does not have.
    #[error(
        "line {line}: a `sent` line names venue {venue}, but the scenario has {venues} venue(s)"
    )]
    NoSuchVenue {
        /// The line number.
        line: usize,
        /// The venue index it names.
        venue: usize,
        /// How many venues the scenario has.
        venues: usize,
    },
    /// A venue holds an order the journal says went to another venue.
    #[error("line {line}: order {client_id} was sent to venue {sent}, but venue {found} holds it")]
    WrongVenue {
        /// The `sent` line's number.
        line: usize,
        /// The order.
        client_id: OrderRef,
        /// The venue the line names.
        sent: usize,
        /// The venue that holds it.
        found: usize,
    },
}

impl<'a> Journal<'a> {
    fn seen(&mut self, j: usize) {
        self.max_job = Some(self.max_job.map_or(j, |m| m.max(j)));
    }

    fn read(records: &'a [Line]) -> Journal<'a> {
        let mut k = Journal::default();
        for (i, r) in records.iter().enumerate() {
            match r {
                Line::Started(s) => {
                    k.started.insert(s.job.index(), s);
                    k.seen(s.job.index());
                }
                Line::Ended(e) => {
                    k.ended.insert(e.group.id);
                    k.seen(e.group.id);
                }
                Line::Refused(r) => {
                    k.ended.insert(r.job.index());
                    k.seen(r.job.index());
                }
                Line::Sent(s) => k.sent(s, i + 1), // record `seq` is line `seq`
                Line::Report(r) => k.report(r),
                Line::Reconciled(r) => {
                    let e = k.recovered.entry(r.client_id).or_default();
                    e.0 += r.recovered_lots;
                    e.1 += r.recovered_notional_tl;
                }
                Line::Unwind(u) => k.unwind(u),
                Line::Opened(_)
                | Line::Resumed(_)
                | Line::UnwindStarted(_)
                | Line::UnwindEnded(_) => {}
            }
        }
        k
    }

    fn sent(&mut self, s: &Sent, line: usize) {
        if let Cmd::Submit { side, qty_lots, .. } = s.cmd {
            let sub = Submitted {
                buy: side == Side::Buy,
                qty_lots,
                venue: s.venue_index,
                line,
            };
            self.sent.insert(s.client_id, sub);
        }
    }

    /// Every order the journal sent or a venue holds, checked against `venues`.
    fn known(&mut self, venues: &[VenueState]) -> Result<BTreeMap<OrderRef, Known>, RecoverError> {
        let mut known = BTreeMap::new();
        for (&id, &s) in &self.sent {
            if s.venue >= venues.len() {
                return Err(RecoverError::NoSuchVenue {
                    line: s.line,
                    venue: s.venue,
                    venues: venues.len(),
                });
            }
            known.insert(id, Known::Journal(s));
        }
        for (v, state) in venues.iter().enumerate() {
            for o in &state.orders {
                self.seen(job_of(o.client_id));
                let k = match known.remove(&o.client_id) {
                    Some(Known::Journal(s)) if s.venue != v => {
                        return Err(RecoverError::WrongVenue {
                            line: s.line,
                            client_id: o.client_id,
                            sent: s.venue,
                            found: v,
                        })
                    }
                    _ => Known::Venue(v, *o),
                };
                known.insert(o.client_id, k);
            }
        }
        Ok(known)
    }

    fn report(&mut self, r: &Report) {
        if let Event::Filled {
            trade_id,
            fill_lots,
            fill_price_ticks,
            ..
        } = r.event
        {
            let fills = self.fills.entry(r.client_id).or_default();
            fills.insert(trade_id, (fill_lots, fill_price_ticks));
        }
    }

    fn unwind(&mut self, u: &Unwind) {
        let link = UnwindLink {
            job: u.job.index(),
            legs: u.legs.clone(),
        };
        self.unwinds.insert(u.unwind_job.index(), link);
        self.seen(u.job.index());
        self.seen(u.unwind_job.index());
    }

    /// The group and leg order `id` belongs to, and whether it is a recovery's unwind.
    fn owner(&self, id: OrderRef) -> (usize, usize, bool) {
        let (j, leg) = (job_of(id), id.leg().index());
        match self.unwinds.get(&j) {
            Some(u) => (u.job, u.legs.get(leg).copied().unwrap_or(leg), true),
            None => (j, leg, false),
        }
    }
}

/// Reconciles `records` (a journal's good records) with `venues` (per venue index: its
/// one book's saved records). Refused if a `sent` line names a venue the scenario does
/// not have, or another venue than the one that holds its order.
pub fn reconcile(records: &[Line], venues: &[VenueState]) -> Result<Recovery, RecoverError> {
    let mut k = Journal::read(records);
    let known = k.known(venues)?;
    let mut open: BTreeMap<usize, OpenGroup> = BTreeMap::new();
    for (id, known) in known {
        let (j, leg, unwind) = k.owner(id);
        let g = open.entry(j).or_insert_with(|| new_group(&k, j));
        let facts = order_facts(&k, id, leg, unwind, &known);
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
    let legs = st.into_iter().flat_map(|s| s.legs.iter().enumerate());
    let legs = legs
        .map(|(i, l)| {
            let leg = LegFacts {
                venue: l.venue_index,
                buy: l.side == Side::Buy,
                target_lots: l.qty_lots,
                target_known: true,
                bid_ticks: l.bid_ticks,
                ask_ticks: l.ask_ticks,
            };
            (i, leg)
        })
        .collect();
    OpenGroup {
        job: j,
        policy: st.map_or("unknown", |s| s.policy.as_str()).to_string(),
        strategy: st.map_or("unknown", |s| &s.strategy).to_string(),
        legs,
        orders: BTreeMap::new(),
    }
}

/// Order `id` (leg `leg` of its group) as the venue and the journal know it.
fn order_facts(k: &Journal, id: OrderRef, leg: usize, unwind: bool, known: &Known) -> OrderFacts {
    let (mut jl, mut jn) = k.fills.get(&id).map_or((0, 0), |m| {
        m.values().fold((0i64, 0i128), |(l, n), &(q, p)| {
            (l + q, n + i128::from(q) * i128::from(p))
        })
    });
    if let Some(&(l, n)) = k.recovered.get(&id) {
        jl += l;
        jn += n;
    }
    let (venue, buy, qty_lots) = match *known {
        Known::Journal(s) => (s.venue, s.buy, s.qty_lots),
        Known::Venue(v, o) => (v, o.buy, o.qty_lots),
    };
    let base = OrderFacts {
        client_id: id,
        venue,
        leg,
        buy,
        venue_filled_lots: 0,
        venue_notional_tl: 0,
        fees_tl_e8: 0,
        journal_filled_lots: jl,
        journal_notional_tl: jn,
        open: false,
        unknown_to_venue: true,
        qty_lots,
        unwind,
        reconciled: k.recovered.contains_key(&id),
    };
    match *known {
        Known::Venue(_, o) => OrderFacts {
            venue_filled_lots: o.filled_lots,
            venue_notional_tl: o.notional_tl,
            fees_tl_e8: o.fees_tl_e8,
            open: o.open,
            unknown_to_venue: false,
            ..base
        },
        Known::Journal(_) => base,
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
    use crate::index::LegIdx;
    use crate::journal::line::samples::{ended, fill, reconciled, started, submit, unwind};
    use crate::journal::line::{UnwindEnded, UnwindStarted};
    use crate::venue::OrderRecord;

    fn client_id(job: u64, leg: usize, part: usize, slot: usize) -> OrderRef {
        OrderRef::new(job, LegIdx::new(leg), part, slot).unwrap()
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

    const PAIR: [(usize, Side, i64); 2] = [(0, Side::Buy, 50), (1, Side::Sell, 50)];

    #[test]
    fn fills_the_journal_missed_are_recovered_once_and_unknown_orders_rejected() {
        let (a, b) = (client_id(3, 0, 0, 0), client_id(3, 1, 0, 0));
        let lost = client_id(3, 1, 1, 0);
        let records = vec![
            started(3, &PAIR),
            submit(3, a, Side::Buy, 50),
            on(1, submit(3, b, Side::Sell, 50)),
            on(1, submit(3, lost, Side::Buy, 5)),
            // Trade 1 reported twice (a duplicate): counted once.
            fill(a, 1, 30, 100),
            fill(a, 1, 30, 100),
            // An ended group is not open.
            ended(2),
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
        assert_eq!((g.policy.as_str(), g.strategy.as_str()), ("rollback", "s"));
        assert_eq!((g.legs[&1].venue, g.legs[&1].bid_ticks), (1, 99));
        let oa = &g.orders[&a];
        assert_eq!((oa.venue_filled_lots, oa.journal_filled_lots), (50, 30));
        assert_eq!(oa.venue_notional_tl - oa.journal_notional_tl, 2_000);
        assert!(g.orders[&b].open);
        let ol = &g.orders[&lost];
        assert!(ol.unknown_to_venue && ol.buy && ol.qty_lots == 5);
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
        let unwind_id = client_id(5, 0, 0, 0);
        let Line::Started(start) = started(5, &[(0, Side::Sell, 50)]) else {
            unreachable!("a started line")
        };
        let mut records = vec![
            started(3, &PAIR),
            fill(a, 1, 30, 100),
            reconciled(3, a, 20, 2_000),
            reconciled(3, b, 0, 0),
            unwind(3, 5, &[0]),
            Line::UnwindStarted(UnwindStarted { unwinds: 3, start }),
            submit(5, unwind_id, Side::Sell, 50),
        ];
        let venues = [
            venue(vec![
                order(a, true, 50, false),
                order(unwind_id, false, 50, false),
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
        let ou = &g.orders[&unwind_id];
        assert!(ou.unwind && ou.leg == 0 && !ou.reconciled);
        // Flat after its unwind: nothing to unwind again.
        assert_eq!((g.net_lots(0), g.net_lots(1)), (0, 0));
        // The unwind's own end closes nothing; the group's end does.
        let Line::Ended(e) = ended(5) else {
            unreachable!("an ended line")
        };
        records.push(Line::UnwindEnded(UnwindEnded {
            t_ns: e.t_ns,
            unwinds: 3,
            group: e.group,
        }));
        assert_eq!(reconcile(&records, &venues).unwrap().open.keys().count(), 1);
        records.push(reconciled(3, unwind_id, 50, 5_000));
        records.push(ended(3));
        assert!(reconcile(&records, &venues).unwrap().open.is_empty());
    }

    #[test]
    fn an_ended_group_reopens_only_for_what_its_journal_lacks() {
        let (a, b) = (client_id(2, 0, 0, 0), client_id(2, 1, 0, 0));
        let records = vec![started(2, &PAIR), fill(a, 1, 50, 100), ended(2)];
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

    /// `line`, a `sent` line, naming venue `v`.
    fn on(v: usize, line: Line) -> Line {
        match line {
            Line::Sent(s) => Line::Sent(Sent {
                venue_index: v,
                ..s
            }),
            other => other,
        }
    }

    #[test]
    fn an_order_only_the_journal_knows_is_on_the_venue_its_sent_line_names() {
        // The group's `started` line is lost: only the `sent` line says where it went.
        let id = client_id(6, 1, 0, 0);
        let records = vec![on(1, submit(6, id, Side::Sell, 4))];
        let r = reconcile(&records, &[venue(vec![]), venue(vec![])]).unwrap();
        let o = &r.open[&6].orders[&id];
        assert!(o.unknown_to_venue);
        assert_eq!((o.venue, o.buy, o.qty_lots), (1, false, 4));
        assert_eq!(r.open[&6].legs[&1].venue, 1);
    }

    #[test]
    fn a_sent_line_naming_a_venue_not_in_the_scenario_or_not_holding_it_is_refused() {
        let id = client_id(6, 0, 0, 0);
        let records = vec![started(6, &PAIR), on(2, submit(6, id, Side::Buy, 4))];
        let two = [venue(vec![]), venue(vec![])];
        let e = reconcile(&records, &two).unwrap_err();
        let want = RecoverError::NoSuchVenue {
            line: 2,
            venue: 2,
            venues: 2,
        };
        assert_eq!(e, want);
        assert!(
            e.to_string()
                .starts_with("line 2: a `sent` line names venue 2"),
            "{e}"
        );
        let records = vec![started(6, &PAIR), on(1, submit(6, id, Side::Buy, 4))];
        let held = [venue(vec![order(id, true, 4, false)]), venue(vec![])];
        let e = reconcile(&records, &held).unwrap_err();
        assert!(matches!(
            e,
            RecoverError::WrongVenue {
                line: 2,
                sent: 1,
                found: 0,
                ..
            }
        ));
    }
}
