//! Pacing: a command our own message-rate limit refused waits for its token instead of
//! failing (issue 11, item 7).
//!
//! [`RiskReject::RateLimited`] is our limiter speaking, not the venue: an unwind, a
//! fallback, a repost, a cancel or a status query it refuses is queued here and sent once
//! the venue's bucket has a token, so it never counts as a venue reject. Commands wait in
//! order per venue: nothing for that venue overtakes a waiting one (a cancel or a query
//! never reaches the venue before its order). Every other refusal (kill switch,
//! notional, collar, open orders, duplicate id) is hard, as before: the caller turns a
//! refused order into a reject for its group.
//!
//! Every wait is bounded: a command that outlives the pacer's budget, finds the queue
//! full, or waits on a bucket that never refills is refused (counted in
//! [`Pacer::expired`]); the commands queued behind a refused order for the same order go
//! with it ([`Pacer::dropped`]: it never left). A command that is already waiting (a
//! repeated status query) is not queued twice ([`Pacer::merged`]). A waiting IOC is
//! priced again when it leaves, on the book as it is then ([`recheck`]), and risk checks
//! it again, collar included. The queue is fixed-size: nothing is allocated.
//!
//! Used by the event loop and the deterministic simulation alike: [`Pacer::check`] for
//! each command a group emits, then [`Pacer::release`] per venue each turn
//! ([`Pacer::next_due`] tells an event-driven caller when).

use arrayvec::ArrayVec;

use super::{check_command, Group, GroupCommand, LegRisk};
use crate::index::VenueId;
use crate::leg::{Arrival, Command, Tif};
use crate::risk::{RiskReject, RiskState, MAX_VENUES};

/// Most commands waiting for a token at once (over every venue).
pub const MAX_PACED: usize = 64;

/// A command on its way to a venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paced {
    /// The caller's index of the group (the engine's slot).
    pub job: usize,
    /// The command.
    pub cmd: GroupCommand,
    /// Its order's client id.
    pub client_id: u64,
    /// Its risk venue (whose bucket it needs).
    pub venue: VenueId,
    /// When the group emitted it, ns.
    pub since_ns: u64,
    /// What caused it (for tick-to-order), ns.
    pub cause_ns: u64,
}

/// What to do with a command now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It passed risk (and was counted): send it.
    Send,
    /// It waits in the pacer for a token.
    Wait,
    /// Refused: a refused order is a reject for its group.
    Refused(RiskReject),
}

/// Checks a held command again as it leaves: an IOC is priced again on `tops` (the book
/// as it is when it is sent, [`Group::reprice_held`]), then risk checks it at `now_ns`
/// with the job's `legs` and `tops`, as [`check_command`].
pub fn recheck(
    g: &mut Group,
    p: &mut Paced,
    legs: &[LegRisk],
    tops: &[Arrival],
    risk: &mut RiskState,
    now_ns: u64,
) -> Result<(), RiskReject> {
    let (leg, part) = (p.cmd.leg, p.cmd.part);
    if let Command::Submit {
        slot,
        tif: Tif::Ioc,
        ref mut price_ticks,
        ..
    } = p.cmd.cmd
    {
        if let Some(price) = g.reprice_held(leg, part, slot, tops) {
            *price_ticks = price;
        }
    }
    check_command(&p.cmd, p.client_id, legs, tops, risk, now_ns)
}

/// Commands waiting for our own rate limit. See the module doc.
#[derive(Debug, Clone)]
pub struct Pacer {
    queue: ArrayVec<Paced, MAX_PACED>,
    budget_ns: u64,
    waited: u64,
    merged: u64,
    expired: u64,
    dropped: u64,
}

impl Pacer {
    /// A pacer whose commands wait at most `budget_ns` for a token.
    pub fn new(budget_ns: u64) -> Pacer {
        Pacer {
            queue: ArrayVec::new(),
            budget_ns,
            waited: 0,
            merged: 0,
            expired: 0,
            dropped: 0,
        }
    }

    /// Checks `p` against risk at `p.since_ns` with its job's `legs` and current `tops`.
    pub fn check(
        &mut self,
        p: Paced,
        legs: &[LegRisk],
        tops: &[Arrival],
        risk: &mut RiskState,
    ) -> Verdict {
        if self.waiting(p.venue) {
            return self.wait(p, risk);
        }
        match check_command(&p.cmd, p.client_id, legs, tops, risk, p.since_ns) {
            Ok(()) => Verdict::Send,
            Err(RiskReject::RateLimited) => self.wait(p, risk),
            Err(e) => Verdict::Refused(e),
        }
    }

    /// The oldest command waiting for `venue`, if it can leave at `now_ns`: `check`
    /// prepares it and runs its risk check again (usually [`recheck`] with its group, its
    /// job's legs and current tops). `None` while it must still wait, or when nothing
    /// waits for `venue`.
    pub fn release(
        &mut self,
        venue: VenueId,
        now_ns: u64,
        check: impl FnOnce(&mut Paced) -> Result<(), RiskReject>,
    ) -> Option<(Paced, Verdict)> {
        let k = self.queue.iter().position(|q| q.venue == venue)?;
        let mut p = self.queue[k];
        let verdict = if now_ns.saturating_sub(p.since_ns) > self.budget_ns {
            self.expired += 1;
            Verdict::Refused(RiskReject::RateLimited)
        } else {
            match check(&mut p) {
                Err(RiskReject::RateLimited) => {
                    self.queue[k] = p;
                    return None;
                }
                Ok(()) => Verdict::Send,
                Err(e) => Verdict::Refused(e),
            }
        };
        self.queue.remove(k);
        if matches!(verdict, Verdict::Refused(_)) && matches!(p.cmd.cmd, Command::Submit { .. }) {
            // The order never left: what waits for it (a cancel, a query) goes with it.
            let before = self.queue.len();
            self.queue.retain(|q| q.client_id != p.client_id);
            self.dropped += (before - self.queue.len()) as u64;
        }
        Some((p, verdict))
    }

    /// When the next waiting command can leave or expires (`None`: nothing waits).
    pub fn next_due(&self, risk: &RiskState, now_ns: u64) -> Option<u64> {
        (0..MAX_VENUES)
            .map(VenueId::new)
            .filter_map(|v| {
                let p = self.queue.iter().find(|q| q.venue == v)?;
                let expiry = p.since_ns.saturating_add(self.budget_ns).saturating_add(1);
                Some(risk.token_at(v, now_ns).map_or(expiry, |t| t.min(expiry)))
            })
            .min()
    }

    /// A command of job `job` waits.
    pub fn holds(&self, job: usize) -> bool {
        self.queue.iter().any(|q| q.job == job)
    }

    /// Nothing waits.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Commands that waited for a token (each once).
    pub fn waited(&self) -> u64 {
        self.waited
    }

    /// Commands that found the same command (same order, same request) already waiting:
    /// that one goes for both.
    pub fn merged(&self) -> u64 {
        self.merged
    }

    /// Commands refused for our own limit: past the budget, queue full, or a bucket that
    /// never refills.
    pub fn expired(&self) -> u64 {
        self.expired
    }

    /// Commands that waited behind their order when it was refused (it never left).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    fn waiting(&self, venue: VenueId) -> bool {
        self.queue.iter().any(|q| q.venue == venue)
    }

    fn wait(&mut self, p: Paced, risk: &RiskState) -> Verdict {
        let same = |q: &Paced| q.client_id == p.client_id && q.cmd == p.cmd;
        if self.queue.iter().any(same) {
            self.merged += 1;
            return Verdict::Wait;
        }
        if risk.token_at(p.venue, p.since_ns).is_none() || self.queue.try_push(p).is_err() {
            self.expired += 1;
            return Verdict::Refused(RiskReject::RateLimited);
        }
        self.waited += 1;
        Verdict::Wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::OrderSide;
    use crate::index::LegIdx;
    use crate::instrument::InstrumentRules;
    use crate::num::{Decimal, Ratio, Step};
    use crate::risk::VenueLimits;
    use crate::walk::Recommendation;

    const TOP: Arrival = Arrival {
        bid_ticks: 99,
        ask_ticks: 101,
        recommendation: Recommendation::UseLimit,
        expected_price_ticks: None,
    };

    /// One venue, 10 messages a second, a burst of 1.
    fn risk() -> RiskState {
        risk_at(10)
    }

    fn risk_at(msgs_per_sec: u32) -> RiskState {
        let mut r = RiskState::new(Decimal::from_i64(1_000_000));
        let limits = VenueLimits {
            max_order_notional: Decimal::from_i64(1_000),
            collar_bps: Ratio::from_num(1_000),
            max_open_orders: 8,
            msgs_per_sec,
            burst: 1,
        };
        r.add_venue(limits, 0).unwrap();
        r
    }

    fn legs() -> [LegRisk; 1] {
        let one = Step::parse("1").unwrap();
        let rules = InstrumentRules::linear(one, one);
        [LegRisk {
            venue: VenueId::new(0),
            rules,
        }]
    }

    fn submit(slot: usize, qty_lots: i64, t: u64) -> Paced {
        let cmd = Command::Submit {
            slot,
            side: OrderSide::Sell,
            price_ticks: 99,
            qty_lots,
            tif: Tif::Ioc,
            reduce_only: true,
        };
        let cmd = GroupCommand {
            leg: LegIdx::new(0),
            part: 1,
            cmd,
        };
        Paced {
            job: 0,
            cmd,
            client_id: slot as u64,
            venue: VenueId::new(0),
            since_ns: t,
            cause_ns: t,
        }
    }

    fn release(p: &mut Pacer, r: &mut RiskState, now: u64) -> Option<(Paced, Verdict)> {
        p.release(VenueId::new(0), now, |q| {
            check_command(&q.cmd, q.client_id, &legs(), &[TOP], r, now)
        })
    }

    #[test]
    fn a_rate_limited_command_waits_for_its_token_in_order() {
        let (mut p, mut r) = (Pacer::new(1_000_000_000), risk());
        assert_eq!(
            p.check(submit(0, 1, 0), &legs(), &[TOP], &mut r),
            Verdict::Send
        );
        assert_eq!(
            p.check(submit(1, 1, 0), &legs(), &[TOP], &mut r),
            Verdict::Wait
        );
        // The venue has a waiting command: the next one queues behind it unchecked.
        assert_eq!(
            p.check(submit(2, 1, 0), &legs(), &[TOP], &mut r),
            Verdict::Wait
        );
        assert_eq!(p.next_due(&r, 0), Some(100_000_000));
        assert_eq!(release(&mut p, &mut r, 99_999_999), None, "no token yet");
        let (q, v) = release(&mut p, &mut r, 100_000_000).unwrap();
        assert_eq!((q.client_id, v), (1, Verdict::Send));
        assert_eq!(release(&mut p, &mut r, 100_000_000), None);
        let (q, v) = release(&mut p, &mut r, 200_000_000).unwrap();
        assert_eq!((q.client_id, v), (2, Verdict::Send));
        assert!(p.is_empty());
        assert_eq!((p.waited(), p.expired()), (2, 0));
    }

    #[test]
    fn hard_refusals_stay_hard_and_waits_are_bounded() {
        let (mut p, mut r) = (Pacer::new(50_000_000), risk());
        // An entry over the order cap (an unwind would pass it: see `risk`).
        let mut big = submit(0, 100, 0);
        if let Command::Submit { reduce_only, .. } = &mut big.cmd.cmd {
            *reduce_only = false;
        }
        let big = p.check(big, &legs(), &[TOP], &mut r);
        assert!(matches!(
            big,
            Verdict::Refused(RiskReject::OrderNotional { .. })
        ));
        assert_eq!(
            p.check(submit(1, 1, 0), &legs(), &[TOP], &mut r),
            Verdict::Send
        );
        assert_eq!(
            p.check(submit(2, 1, 0), &legs(), &[TOP], &mut r),
            Verdict::Wait
        );
        // A query for the waiting order queues behind it.
        let mut query = submit(2, 1, 0);
        query.cmd.cmd = Command::Query { slot: 2 };
        assert_eq!(p.check(query, &legs(), &[TOP], &mut r), Verdict::Wait);
        assert_eq!(p.check(query, &legs(), &[TOP], &mut r), Verdict::Wait);
        assert_eq!(
            (p.waited(), p.merged()),
            (2, 1),
            "a repeated query waits once"
        );
        assert_eq!(p.next_due(&r, 0), Some(50_000_001), "the budget ends first");
        let (q, v) = release(&mut p, &mut r, 50_000_001).unwrap();
        assert_eq!(
            (q.client_id, v),
            (2, Verdict::Refused(RiskReject::RateLimited))
        );
        assert!(p.is_empty(), "the query went with its order");
        assert_eq!((p.expired(), p.dropped()), (1, 1));
    }

    /// A market buy held back while the book doubles leaves priced on the new book.
    #[test]
    fn a_held_ioc_is_priced_again_when_it_leaves() {
        use crate::group::{LegPlan, Policy};
        use crate::leg::{Fees, Mode};
        let plan = LegPlan {
            venue: VenueId::new(0),
            side: OrderSide::Buy,
            qty_lots: 1,
            lot_units: 1,
            mode: Mode::MarketOnly,
            max_slippage_bps: Ratio::from_num(400),
            fees: Fees::default(),
        };
        let mut g = Group::new(&[plan], Policy::Rollback).unwrap();
        let mut out: ArrayVec<GroupCommand, 64> = ArrayVec::new();
        g.start(&[TOP], 0, &mut out).unwrap();
        let (mut p, mut r) = (Pacer::new(1_000_000_000), risk());
        assert_eq!(
            p.check(submit(9, 1, 0), &legs(), &[TOP], &mut r),
            Verdict::Send
        );
        let mut held = submit(0, 1, 0);
        held.cmd = out[0];
        assert!(matches!(
            held.cmd.cmd,
            Command::Submit {
                price_ticks: 104, // mid 100 + 400 bps
                ..
            }
        ));
        assert_eq!(p.check(held, &legs(), &[TOP], &mut r), Verdict::Wait);
        let moved = [Arrival {
            bid_ticks: 199,
            ask_ticks: 201,
            ..TOP
        }];
        let now = 100_000_000;
        let (q, v) = p
            .release(VenueId::new(0), now, |q| {
                recheck(&mut g, q, &legs(), &moved, &mut r, now)
            })
            .unwrap();
        assert_eq!(v, Verdict::Send);
        assert!(matches!(
            q.cmd.cmd,
            Command::Submit {
                price_ticks: 208, // mid 200 + 400 bps
                ..
            }
        ));
    }

    #[test]
    fn a_bucket_that_never_refills_refuses_at_once() {
        let mut r = risk_at(0);
        let mut p = Pacer::new(u64::MAX);
        assert_eq!(
            p.check(submit(0, 1, 0), &legs(), &[TOP], &mut r),
            Verdict::Send
        );
        let v = p.check(submit(1, 1, 0), &legs(), &[TOP], &mut r);
        assert_eq!(v, Verdict::Refused(RiskReject::RateLimited));
        assert!(p.is_empty());
    }
}
