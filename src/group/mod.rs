//! Atomic groups (seed patterns 1 and 6): N legs sent together, then resolved by a policy
//! so that the group ends filled, flat, hedged, or `Unhedged` with its exact residual
//! (issue 3 groundwork).
//!
//! Quantities are compared across legs in **base units**: each leg says how many common
//! base units one of its lots is (`lot_units`, from the hedge sizing's common step), so a
//! spot leg in 0.00001 BTC lots and a perp leg in 0.001 BTC lots compare exactly.
//!
//! Policies, applied once every entry leg is finished:
//! - `Rollback`: unwind every filled quantity with reduce-only IOCs;
//! - `Rebalance`: keep the part hedged across all legs, unwind only the excess;
//! - `Complete { budget_ns, max_slippage_bps }`: IOC the unfilled remainders within a
//!   time and slippage budget, then rebalance what is still uneven;
//! - `AcceptPartial`: keep the fills as they are.
//!
//! Unwinds that come back short are retried up to [`MAX_RETRIES`] times. An unwind aims
//! at the asked size when every leg holds at least that (only an excess is trimmed),
//! else at flat (`Rollback`) or the hedged quantity. A group that cannot reach its goal
//! ends [`Outcome::Unhedged`]; [`Group::settle_risk`] moves the kill switch to reducing.
//! A fill that arrives after the group ended (the venue matched before a cancel) reopens
//! it with a fresh retry budget. Every group that did not fill writes an [`Incident`];
//! every leg has a [`LegRecord`]. The entry can go out behind the pre-flight and risk
//! as one ([`Group::start_checked`], see `gate`).
//!
//! Orders whose answers are overdue are queried by their legs (never guessed), so a
//! group waits for every leg to be settled by the venue before it decides, but not
//! forever: a leg whose venue stays silent past the silence limit gives up
//! ([`Group::with_silence_limit`]). The group then resolves with what the venues reported,
//! sends nothing more to a silent leg, and ends [`Outcome::Unhedged`]: that leg's order
//! may have filled beyond what is known. When that venue is heard from again and every
//! order's fate is known, the group reopens and resolves once more (a fill that came
//! late is unwound like any other).
//!
//! A leg remembers its most recent trade ids; the ids that leave its window are kept in
//! the group's inline spill store ([`MAX_SPILL`]), so that a fill overtaken by many later
//! ones is still told from a duplicate. Past that bound such a fill is refused as
//! unverifiable and counted ([`Group::unverified_fills`]), never dropped silently.
//!
//! Sans-IO like the legs: calls take `now_ns` and the current top of book of each leg's
//! instrument (completions, unwinds, their retries and the legs' fallbacks are priced on
//! it when they are sent; the start's top stays the slippage reference), and push
//! [`GroupCommand`]s into a caller-owned buffer. Legs live inline (`smallvec`, 4 without
//! spilling); follow-up orders in fixed `ArrayVec`s.

mod gate;
mod incident;
mod pace;
mod record;

pub use gate::{check_command, risk_request, LegRisk};
pub use incident::{Incident, LegIncident};
pub use pace::{recheck, Paced, Pacer, Verdict, MAX_PACED};
pub use record::LegRecord;

use arrayvec::ArrayVec;
use smallvec::SmallVec;

use crate::book::OrderSide;
use crate::index::{LegIdx, VenueId};
use crate::leg::{
    Arrival, Command, Fees, Leg, LegError, Mode, OrderError, OrderEvent, OrderState,
    DEFAULT_REQUEST_TIMEOUT_NS, DEFAULT_SILENCE_LIMIT_NS,
};
use crate::num::Ratio;
use crate::risk::RiskReject;
use crate::venue::RejectReason;
use crate::walk::Recommendation;

/// Most legs in a group.
pub const MAX_GROUP_LEGS: usize = 8;
/// Extra unwind attempts after the first.
pub const MAX_RETRIES: usize = 2;
/// Parts per group leg: the entry, one completion attempt, and the unwinds.
pub const MAX_PARTS: usize = 2 + MAX_RETRIES + 1;
/// Free command slots a group call needs with the most legs (see each call's doc).
pub const GROUP_CMD_CAPACITY: usize = MAX_GROUP_LEGS * (MAX_PARTS + 1) + 1;
/// Trade ids that left the legs' dedupe windows a group keeps (inline, 4 KB), so that a
/// fill overtaken by many later ones is still told from a duplicate (see [`Leg`]).
pub const MAX_SPILL: usize = 512;

/// How a group resolves a partial result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Unwind everything to flat.
    Rollback,
    /// Keep the hedged part, unwind the excess.
    Rebalance,
    /// Try to fill the remainders within a budget, then rebalance.
    Complete {
        /// Time allowed for completion.
        budget_ns: u64,
        /// Slippage allowed for completion IOCs, bps from the mid.
        max_slippage_bps: Ratio,
    },
    /// Keep whatever filled.
    AcceptPartial,
}

/// How a group ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every leg filled as asked.
    Filled,
    /// Rolled back: no position left on any leg.
    Flat,
    /// Every leg holds the same base quantity (less than asked).
    Rebalanced,
    /// The legs are uneven; the incident has the residual per leg.
    Unhedged,
}

impl Outcome {
    /// Its name in reports and journals: `filled`, `flat`, `rebalanced`, `unhedged`.
    pub const fn name(self) -> &'static str {
        match self {
            Outcome::Filled => "filled",
            Outcome::Flat => "flat",
            Outcome::Rebalanced => "rebalanced",
            Outcome::Unhedged => "unhedged",
        }
    }
}

impl core::fmt::Display for Outcome {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// One leg's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegPlan {
    /// Index of the leg's venue (for the gateway and risk).
    pub venue: VenueId,
    /// Direction of the entry.
    pub side: OrderSide,
    /// Entry size in the leg's lots.
    pub qty_lots: i64,
    /// Common base units per lot of this leg.
    pub lot_units: i64,
    /// Entry mode.
    pub mode: Mode,
    /// Slippage bound of the leg's IOCs (entry fallback and unwinds), bps.
    pub max_slippage_bps: Ratio,
    /// The venue's fee rates for this instrument.
    pub fees: Fees,
}

/// A command for the order `slot` of part `part` of leg `leg` (part 0 is the entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupCommand {
    /// Leg index.
    pub leg: LegIdx,
    /// Part of the leg: 0 entry, then completion and unwind attempts.
    pub part: usize,
    /// The order command.
    pub cmd: Command,
}

/// Why a group call was refused. Nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    /// 1 to [`MAX_GROUP_LEGS`] legs with positive sizes and unit counts.
    #[error("group plan: {0}")]
    Plan(&'static str),
    /// One top of book per leg is required.
    #[error("expected one top of book per leg")]
    Tops,
    /// The command buffer cannot take what the call may emit.
    #[error("command buffer needs {0} free slots")]
    BufferFull(usize),
    /// An event for a leg or part that does not exist.
    #[error("no leg {leg} part {part}")]
    NoSuchPart {
        /// Leg index.
        leg: LegIdx,
        /// Part index.
        part: usize,
    },
    /// The group was already started.
    #[error("group already started")]
    AlreadyStarted,
    /// A leg's pre-flight says the book cannot fill it: nothing was sent.
    #[error("leg {leg}: pre-flight says insufficient depth")]
    Preflight {
        /// Leg index.
        leg: LegIdx,
    },
    /// A leg's book is fed by the run but has no live top (stale after a gap, or a side
    /// past its snapshot's window) when a job tied to the feed starts: nothing was sent,
    /// rather than orders priced on the job's placeholder top.
    #[error("leg {leg}: its fed book is not live (no usable top of book)")]
    StaleBook {
        /// Leg index.
        leg: LegIdx,
    },
    /// Risk refused a leg's order: nothing was sent.
    #[error("leg {leg}: risk: {reason}")]
    Risk {
        /// Leg index.
        leg: LegIdx,
        /// Why.
        reason: RiskReject,
    },
    /// Risk refused the group as a whole (its notional): nothing was sent.
    #[error("group risk: {0}")]
    GroupRisk(RiskReject),
    /// A leg refused the call.
    #[error("leg {leg}: {source}")]
    Leg {
        /// Leg index.
        leg: LegIdx,
        /// What the leg said.
        source: LegError,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Entering,
    Completing { deadline_ns: u64 },
    Unwinding { attempt: usize },
    Done(Outcome),
}

#[derive(Debug, Clone)]
struct GroupLeg {
    plan: LegPlan,
    /// Part 0 is the entry; then follow-ups, each with the direction it trades.
    parts: ArrayVec<Leg, MAX_PARTS>,
    /// The venue's reason for the leg's last rejected order (for the incident).
    rejected: Option<RejectReason>,
}

/// An atomic group of legs. See the module doc.
#[derive(Debug, Clone)]
pub struct Group {
    legs: SmallVec<[GroupLeg; 4]>,
    policy: Policy,
    phase: Phase,
    started_ns: u64,
    done_ns: u64,
    last_ns: u64,
    /// ∫ imbalance (max − min of |net base units| over legs) dt, units × ns.
    unhedged_unit_ns: u128,
    request_timeout_ns: u64,
    silence_ns: u64,
    /// Trade ids that left the parts' dedupe windows, keyed by leg and part (`spill_key`).
    spill: ArrayVec<u64, MAX_SPILL>,
    /// An id could not be kept (the store was full): ids below a window are unverifiable.
    spill_lost: bool,
}

impl Group {
    /// A group of `plans` resolved by `policy`. Allocates only past 4 legs.
    pub fn new(plans: &[LegPlan], policy: Policy) -> Result<Group, GroupError> {
        let mut g = Group {
            legs: SmallVec::new(),
            policy,
            phase: Phase::Idle,
            started_ns: 0,
            done_ns: 0,
            last_ns: 0,
            unhedged_unit_ns: 0,
            request_timeout_ns: DEFAULT_REQUEST_TIMEOUT_NS,
            silence_ns: DEFAULT_SILENCE_LIMIT_NS,
            spill: ArrayVec::new(),
            spill_lost: false,
        };
        g.renew(plans, policy)?;
        Ok(g)
    }

    /// Makes this group a fresh, unstarted group of `plans`, in place: a runtime reuses
    /// a group's storage (about 40 KB) instead of building and moving a new one. Keeps
    /// the request timeout and the silence limit. On `Err` nothing changed.
    pub fn renew(&mut self, plans: &[LegPlan], policy: Policy) -> Result<(), GroupError> {
        if plans.is_empty() || plans.len() > MAX_GROUP_LEGS {
            return Err(GroupError::Plan("a group has 1 to 8 legs"));
        }
        for (i, p) in plans.iter().enumerate() {
            if p.lot_units < 1 || p.qty_lots.checked_mul(p.lot_units).is_none() {
                return Err(GroupError::Plan("lot units must be positive and in range"));
            }
            Leg::check(p.qty_lots, p.mode, p.max_slippage_bps).map_err(|source| {
                GroupError::Leg {
                    leg: LegIdx::new(i),
                    source,
                }
            })?;
        }
        self.legs.truncate(plans.len());
        let rt = self.request_timeout_ns;
        for (i, p) in plans.iter().enumerate() {
            if i == self.legs.len() {
                self.legs.push(GroupLeg {
                    plan: *p,
                    parts: ArrayVec::new(),
                    rejected: None,
                });
            }
            let gl = &mut self.legs[i];
            gl.plan = *p;
            gl.parts.clear();
            // Checked above: cannot fail.
            if let Ok(entry) = Leg::new(p.side, p.qty_lots, p.mode, p.max_slippage_bps, false) {
                gl.parts.push(entry);
            }
            if let Some(entry) = gl.parts.last_mut() {
                entry.set_fees(p.fees);
                entry.set_request_timeout(rt);
                entry.set_silence_limit(self.silence_ns);
            }
        }
        self.policy = policy;
        self.phase = Phase::Idle;
        self.spill.clear();
        self.spill_lost = false;
        self.started_ns = 0;
        self.done_ns = 0;
        self.last_ns = 0;
        self.unhedged_unit_ns = 0;
        Ok(())
    }

    /// Back to the state `new` made (entries rebuilt, nothing started).
    fn reset(&mut self) {
        let plans: ArrayVec<LegPlan, MAX_GROUP_LEGS> = self.legs.iter().map(|gl| gl.plan).collect();
        // The plans were accepted before: cannot fail.
        let _ = self.renew(&plans, self.policy);
    }

    /// The legs' plans, in order.
    pub fn plans(&self) -> impl ExactSizeIterator<Item = &LegPlan> + '_ {
        self.legs.iter().map(|gl| &gl.plan)
    }

    /// The resolution policy.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// When the entries were sent, and when the group ended (0 until then), ns.
    pub fn times_ns(&self) -> (u64, u64) {
        (self.started_ns, self.done_ns)
    }

    /// Sets how long any order's answer may take before it is queried (see [`Leg`]).
    pub fn with_request_timeout(mut self, ns: u64) -> Group {
        self.request_timeout_ns = ns;
        for gl in &mut self.legs {
            for p in &mut gl.parts {
                p.set_request_timeout(ns);
            }
        }
        self
    }

    /// Sets how long a venue may stay silent about an order that owes an answer before
    /// its leg gives up and the group ends `Unhedged` (see [`Leg`]).
    pub fn with_silence_limit(mut self, ns: u64) -> Group {
        self.silence_ns = ns;
        for p in self.legs.iter_mut().flat_map(|gl| gl.parts.iter_mut()) {
            p.set_silence_limit(ns);
        }
        self
    }

    /// Sends every entry leg in this one call. `tops` has one top of book per leg; `out`
    /// needs one free slot per leg. A bad top refuses the whole group: nothing is sent.
    pub fn start<const N: usize>(
        &mut self,
        tops: &[Arrival],
        now_ns: u64,
        out: &mut ArrayVec<GroupCommand, N>,
    ) -> Result<(), GroupError> {
        if self.phase != Phase::Idle {
            return Err(GroupError::AlreadyStarted);
        }
        self.check_call(tops, out)?;
        if tops
            .iter()
            .any(|t| t.bid_ticks < 1 || t.ask_ticks <= t.bid_ticks)
        {
            return Err(GroupError::Plan("every leg needs an uncrossed top of book"));
        }
        for (i, (gl, top)) in self.legs.iter_mut().zip(tops).enumerate() {
            let mut cmds: ArrayVec<Command, 1> = ArrayVec::new();
            // Cannot fail: inputs checked above, one free command slot.
            let r = gl.parts[0].start(*top, now_ns, &mut cmds);
            r.map_err(|source| GroupError::Leg {
                leg: LegIdx::new(i),
                source,
            })?;
            emit(out, i, 0, &cmds);
        }
        self.phase = Phase::Entering;
        self.started_ns = now_ns;
        self.last_ns = now_ns;
        Ok(())
    }

    /// The venue gave `why` for rejecting an order of `leg` (the leg's state machine
    /// sees only that it was rejected; the incident names the reason). Ignored for a
    /// leg the group does not have.
    pub fn note_reject(&mut self, leg: LegIdx, why: RejectReason) {
        if let Some(l) = self.legs.get_mut(leg.index()) {
            l.rejected = Some(why);
        }
    }

    /// A venue report for order `slot` of `part` of `leg`. `out` needs one free slot per
    /// leg plus one.
    #[allow(clippy::too_many_arguments)]
    pub fn on_order<const N: usize>(
        &mut self,
        leg: LegIdx,
        part: usize,
        slot: usize,
        event: OrderEvent,
        tops: &[Arrival],
        now_ns: u64,
        out: &mut ArrayVec<GroupCommand, N>,
    ) -> Result<OrderState, GroupError> {
        self.check_call(tops, out)?;
        self.observe(tops);
        // The time since the last event was spent at the imbalance before this one.
        let held = imbalance(&self.legs);
        let no_part = GroupError::NoSuchPart { leg, part };
        let (at, leg) = (leg, leg.index());
        let p = self
            .legs
            .get_mut(leg)
            .and_then(|gl| gl.parts.get_mut(part))
            .ok_or(no_part)?;
        let before = (p.filled_lots(), p.is_silent());
        let mut cmds: ArrayVec<Command, 1> = ArrayVec::new();
        let state = self
            .part_report(leg, part, slot, event, now_ns, &mut cmds)
            .map_err(|source| GroupError::Leg { leg: at, source })?;
        let p = &self.legs[leg].parts[part];
        // A fill, or a silent venue heard from again: the group's position is news.
        let moved = (p.filled_lots(), p.is_silent()) != before;
        self.account(held, now_ns);
        emit(out, leg, part, &cmds);
        if let (Phase::Done(_), true) = (self.phase, moved) {
            // A fill after the group ended (a late report the venue matched earlier):
            // resolve again, with a fresh retry budget.
            self.phase = match self.policy {
                Policy::AcceptPartial => Phase::Entering,
                _ => Phase::Unwinding { attempt: 0 },
            };
        }
        self.advance(tops, now_ns, out)?;
        Ok(state)
    }

    /// Hands a report to part `part` of `leg` (which exists), settling a fill below the
    /// part's dedupe window from the spill store, and keeps the id the window hands out.
    fn part_report(
        &mut self,
        leg: usize,
        part: usize,
        slot: usize,
        event: OrderEvent,
        now_ns: u64,
        cmds: &mut ArrayVec<Command, 1>,
    ) -> Result<OrderState, LegError> {
        let p = &mut self.legs[leg].parts[part];
        let mut unseen = false;
        if let OrderEvent::Filled(f) = event {
            if p.trade_floor().is_some_and(|fl| f.trade_id <= fl) {
                match spill_key(leg, part, f.trade_id) {
                    Some(k) if self.spill.contains(&k) => {
                        return Err(OrderError::DuplicateFill(f.trade_id).into())
                    }
                    Some(_) => unseen = !self.spill_lost,
                    None => {}
                }
            }
        }
        let state = if unseen {
            p.on_unseen_fill(slot, event, now_ns, cmds)?
        } else {
            p.on_order(slot, event, now_ns, cmds)?
        };
        if let Some(id) = p.take_evicted() {
            match spill_key(leg, part, id) {
                Some(k) if self.spill.try_push(k).is_ok() => {}
                _ => self.spill_lost = true,
            }
        }
        Ok(state)
    }

    /// A new top of book per leg (chase legs reprice). Same buffer needs as `on_order`.
    pub fn on_book<const N: usize>(
        &mut self,
        tops: &[Arrival],
        now_ns: u64,
        out: &mut ArrayVec<GroupCommand, N>,
    ) -> Result<(), GroupError> {
        self.check_call(tops, out)?;
        if tops
            .iter()
            .any(|t| t.bid_ticks < 1 || t.ask_ticks <= t.bid_ticks)
        {
            return Err(GroupError::Plan("every leg needs an uncrossed top of book"));
        }
        for (i, (gl, top)) in self.legs.iter_mut().zip(tops).enumerate() {
            for (j, p) in gl.parts.iter_mut().enumerate() {
                let mut cmds: ArrayVec<Command, 1> = ArrayVec::new();
                p.on_book(*top, now_ns, &mut cmds)
                    .map_err(|source| GroupError::Leg {
                        leg: LegIdx::new(i),
                        source,
                    })?;
                emit(out, i, j, &cmds);
            }
        }
        Ok(())
    }

    /// Acts on expired deadlines (passive timeouts). Same buffer needs as `on_order`.
    pub fn on_timeout<const N: usize>(
        &mut self,
        tops: &[Arrival],
        now_ns: u64,
        out: &mut ArrayVec<GroupCommand, N>,
    ) -> Result<(), GroupError> {
        self.check_call(tops, out)?;
        self.observe(tops);
        self.account(imbalance(&self.legs), now_ns);
        for (i, gl) in self.legs.iter_mut().enumerate() {
            for (j, p) in gl.parts.iter_mut().enumerate() {
                let mut cmds: ArrayVec<Command, 1> = ArrayVec::new();
                p.on_timeout(now_ns, &mut cmds)
                    .map_err(|source| GroupError::Leg {
                        leg: LegIdx::new(i),
                        source,
                    })?;
                emit(out, i, j, &cmds);
            }
        }
        self.advance(tops, now_ns, out)
    }

    /// The earliest deadline of any leg.
    pub fn next_deadline(&self) -> Option<u64> {
        let legs = self.legs.iter().flat_map(|gl| gl.parts.iter());
        legs.filter_map(Leg::next_deadline).min()
    }

    /// The outcome, once the group is done.
    pub fn outcome(&self) -> Option<Outcome> {
        match self.phase {
            Phase::Done(o) => Some(o),
            _ => None,
        }
    }

    /// Net base units held on `leg`, relative to its entry direction.
    pub fn net_units(&self, leg: LegIdx) -> Option<i64> {
        self.legs.get(leg.index()).map(net_units)
    }

    /// Lots in the fill reports applied on `leg`, both directions (each venue fill once).
    pub fn reported_lots(&self, leg: LegIdx) -> Option<i64> {
        let gl = self.legs.get(leg.index())?;
        Some(gl.parts.iter().map(Leg::reported_lots).sum())
    }

    /// Fees of every fill on `leg`, tick-lots × 10⁻⁸.
    pub fn fees_tl_e8(&self, leg: LegIdx) -> Option<i128> {
        let gl = self.legs.get(leg.index())?;
        Some(gl.parts.iter().map(Leg::fees_tl_e8).sum())
    }

    /// Cash flow of every fill reported on `leg`, tick-lots (sells +, buys −): the
    /// venue's own cash ledger for the leg's orders.
    pub fn cash_tl(&self, leg: LegIdx) -> Option<i128> {
        let gl = self.legs.get(leg.index())?;
        let signed = |p: &Leg| match p.side() {
            OrderSide::Buy => -p.notional_tl(),
            OrderSide::Sell => p.notional_tl(),
        };
        Some(gl.parts.iter().map(signed).sum())
    }

    /// Fills refused on `leg` because their trade id fell below the legs' dedupe window
    /// (see [`Leg`]): fills the records may lack, to be reported, never ignored.
    pub fn unverified_fills(&self, leg: LegIdx) -> Option<u64> {
        let gl = self.legs.get(leg.index())?;
        Some(gl.parts.iter().map(Leg::unverified_fills).sum())
    }

    /// The incident record of a group that did not fill (once done).
    pub fn incident(&self) -> Option<Incident> {
        match self.phase {
            Phase::Done(Outcome::Filled) | Phase::Idle => None,
            Phase::Done(o) => Some(Incident::build(self, o)),
            _ => None,
        }
    }

    fn check_call<const N: usize>(
        &self,
        tops: &[Arrival],
        out: &ArrayVec<GroupCommand, N>,
    ) -> Result<(), GroupError> {
        if tops.len() != self.legs.len() {
            return Err(GroupError::Tops);
        }
        let need = self.legs.len() * (MAX_PARTS + 1) + 1;
        if out.remaining_capacity() < need {
            return Err(GroupError::BufferFull(need));
        }
        Ok(())
    }

    /// Prices again the IOC in order `slot` of `part` of `leg`, held back by the caller
    /// before it left (our own rate limit), on `tops` as they are now (one per leg): see
    /// [`Leg::reprice_held`]. The new price, or `None` (nothing to reprice).
    pub fn reprice_held(
        &mut self,
        leg: LegIdx,
        part: usize,
        slot: usize,
        tops: &[Arrival],
    ) -> Option<i64> {
        if tops.len() != self.legs.len() {
            return None;
        }
        self.observe(tops);
        self.legs
            .get_mut(leg.index())?
            .parts
            .get_mut(part)?
            .reprice_held(slot)
    }

    /// Gives every part the current top of its leg: a fallback IOC is priced on it.
    fn observe(&mut self, tops: &[Arrival]) {
        for (gl, top) in self.legs.iter_mut().zip(tops) {
            gl.parts.iter_mut().for_each(|p| p.observe(*top));
        }
    }

    /// Adds `held` base units of imbalance from the last event to `now_ns`.
    fn account(&mut self, held: i64, now_ns: u64) {
        let dt = u128::from(now_ns.saturating_sub(self.last_ns));
        self.unhedged_unit_ns += held as u128 * dt;
        self.last_ns = self.last_ns.max(now_ns);
    }

    fn all_parts_done(&self) -> bool {
        self.legs.iter().all(|gl| gl.parts.iter().all(Leg::is_done))
    }

    fn advance<const N: usize>(
        &mut self,
        tops: &[Arrival],
        now_ns: u64,
        out: &mut ArrayVec<GroupCommand, N>,
    ) -> Result<(), GroupError> {
        if matches!(self.phase, Phase::Idle | Phase::Done(_)) || !self.all_parts_done() {
            return Ok(());
        }
        if classify(&self.legs) == Outcome::Filled {
            return self.finish(Outcome::Filled, now_ns);
        }
        match (self.phase, self.policy) {
            (Phase::Entering, Policy::AcceptPartial) => {
                let o = classify(&self.legs);
                self.finish(o, now_ns)
            }
            (Phase::Entering, Policy::Rollback) => self.unwind(0, true, tops, now_ns, out),
            (Phase::Entering, Policy::Rebalance) => self.unwind(0, false, tops, now_ns, out),
            (
                Phase::Entering,
                Policy::Complete {
                    budget_ns,
                    max_slippage_bps,
                },
            ) => {
                let deadline_ns = self.started_ns.saturating_add(budget_ns);
                if now_ns < deadline_ns && self.complete(max_slippage_bps, tops, now_ns, out)? {
                    self.phase = Phase::Completing { deadline_ns };
                    Ok(())
                } else {
                    self.unwind(0, false, tops, now_ns, out)
                }
            }
            (Phase::Completing { .. }, _) => self.unwind(0, false, tops, now_ns, out),
            (Phase::Unwinding { attempt }, policy) => {
                let flat = policy == Policy::Rollback;
                if attempt < MAX_RETRIES && !goal_reached(&self.legs, flat) {
                    self.unwind(attempt + 1, flat, tops, now_ns, out)
                } else {
                    let o = classify(&self.legs);
                    self.finish(o, now_ns)
                }
            }
            _ => Ok(()),
        }
    }

    /// Sends IOCs for every leg's unfilled remainder; whether it sent any.
    fn complete<const N: usize>(
        &mut self,
        max_slippage_bps: Ratio,
        tops: &[Arrival],
        now_ns: u64,
        out: &mut ArrayVec<GroupCommand, N>,
    ) -> Result<bool, GroupError> {
        let rt = self.request_timeout_ns;
        let mut sent = false;
        for (i, gl) in self.legs.iter_mut().enumerate() {
            let rem_units = target_units(gl) - net_units(gl);
            let lots = rem_units / gl.plan.lot_units;
            if lots > 0 && !silent(gl) {
                let side = gl.plan.side;
                add_part(
                    gl,
                    i,
                    side,
                    lots,
                    max_slippage_bps,
                    false,
                    rt,
                    tops,
                    now_ns,
                    out,
                )?;
                sent = true;
            }
        }
        Ok(sent)
    }

    /// Unwinds to flat (`flat`) or to the hedged quantity with reduce-only IOCs.
    fn unwind<const N: usize>(
        &mut self,
        attempt: usize,
        flat: bool,
        tops: &[Arrival],
        now_ns: u64,
        out: &mut ArrayVec<GroupCommand, N>,
    ) -> Result<(), GroupError> {
        let goals = goals(&self.legs, flat);
        let rt = self.request_timeout_ns;
        let mut sent = false;
        for (i, gl) in self.legs.iter_mut().enumerate() {
            let lots = (net_units(gl) - goals[i]) / gl.plan.lot_units;
            if lots > 0 && !gl.parts.is_full() && !silent(gl) {
                let (side, bps) = (gl.plan.side.opposite(), gl.plan.max_slippage_bps);
                add_part(gl, i, side, lots, bps, true, rt, tops, now_ns, out)?;
                sent = true;
            }
        }
        if sent {
            self.phase = Phase::Unwinding { attempt };
            return Ok(());
        }
        let o = classify(&self.legs);
        self.finish(o, now_ns)
    }

    fn finish(&mut self, outcome: Outcome, now_ns: u64) -> Result<(), GroupError> {
        self.phase = Phase::Done(outcome);
        self.done_ns = now_ns;
        Ok(())
    }
}

/// `id` of part `part` of leg `leg` as one spill-store key: 3 bits of leg, 3 of part,
/// 58 of trade id (`None` past that).
fn spill_key(leg: usize, part: usize, id: u64) -> Option<u64> {
    const _: () = assert!(MAX_GROUP_LEGS <= 8 && MAX_PARTS <= 8);
    (id < 1 << 58).then_some((leg as u64) << 61 | (part as u64) << 58 | id)
}

/// Starts a market IOC part on leg `i`.
#[allow(clippy::too_many_arguments)]
fn add_part<const N: usize>(
    gl: &mut GroupLeg,
    i: usize,
    side: OrderSide,
    lots: i64,
    bps: Ratio,
    reduce_only: bool,
    request_timeout_ns: u64,
    tops: &[Arrival],
    now_ns: u64,
    out: &mut ArrayVec<GroupCommand, N>,
) -> Result<(), GroupError> {
    let err = |source| GroupError::Leg {
        leg: LegIdx::new(i),
        source,
    };
    let top = tops.get(i).copied().ok_or(GroupError::Tops)?;
    let top = Arrival {
        recommendation: Recommendation::UseMarketAcceptable,
        expected_price_ticks: None,
        ..top
    };
    let leg = Leg::new(side, lots, Mode::MarketOnly, bps, reduce_only).map_err(err)?;
    let part = gl.parts.len();
    gl.parts
        .try_push(leg)
        .map_err(|_| GroupError::Plan("no follow-up part left"))?;
    let mut cmds: ArrayVec<Command, 1> = ArrayVec::new();
    let silence_ns = gl.parts[0].silence_limit();
    let leg = &mut gl.parts[part];
    leg.set_fees(gl.plan.fees);
    leg.set_request_timeout(request_timeout_ns);
    leg.set_silence_limit(silence_ns);
    if let Err(e) = leg.start(top, now_ns, &mut cmds) {
        gl.parts.pop();
        return Err(err(e));
    }
    emit(out, i, part, &cmds);
    Ok(())
}

fn emit<const N: usize>(
    out: &mut ArrayVec<GroupCommand, N>,
    leg: usize,
    part: usize,
    cmds: &[Command],
) {
    for &cmd in cmds {
        // Room was checked by `check_call` (at most one command per part per call).
        let leg = LegIdx::new(leg);
        let _ = out.try_push(GroupCommand { leg, part, cmd });
    }
}

/// Net base units on a leg, relative to its entry direction.
fn net_units(gl: &GroupLeg) -> i64 {
    let entry = gl.plan.side;
    let lots: i64 = gl
        .parts
        .iter()
        .map(|p| {
            if p.side() == entry {
                p.filled_lots()
            } else {
                -p.filled_lots()
            }
        })
        .sum();
    lots * gl.plan.lot_units
}

fn target_units(gl: &GroupLeg) -> i64 {
    gl.plan.qty_lots * gl.plan.lot_units
}

/// The largest base quantity that every leg holds at least and can reach exactly: a
/// multiple of every leg's lot, so that each unwind is a whole number of lots.
fn hedged_units(legs: &[GroupLeg]) -> i64 {
    let least = legs.iter().map(net_units).min().unwrap_or(0).max(0);
    let step = legs
        .iter()
        .fold(1i64, |acc, gl| lcm(acc, gl.plan.lot_units));
    least / step * step
}

fn lcm(a: i64, b: i64) -> i64 {
    let (mut x, mut y) = (a, b);
    while y != 0 {
        (x, y) = (y, x % y);
    }
    // Saturates for absurd lots: the goal then rounds down to 0, i.e. flat.
    (a / x).saturating_mul(b)
}

/// Spread between the most and the least held leg, base units.
fn imbalance(legs: &[GroupLeg]) -> i64 {
    let nets = legs.iter().map(|gl| net_units(gl).abs());
    let (lo, hi) = nets.fold((i64::MAX, 0), |(lo, hi), n| (lo.min(n), hi.max(n)));
    hi - lo.min(hi)
}

/// Where each leg's unwind aims, base units: the asked size when every leg holds at least
/// that (only an excess is trimmed); otherwise flat, or the hedged quantity.
fn goals(legs: &[GroupLeg], flat: bool) -> ArrayVec<i64, MAX_GROUP_LEGS> {
    let excess_only = legs.iter().all(|gl| net_units(gl) >= target_units(gl));
    let hedged = hedged_units(legs);
    let goal = |gl: &GroupLeg| match (excess_only, flat) {
        (true, _) => target_units(gl),
        (false, true) => 0,
        (false, false) => hedged.min(target_units(gl)),
    };
    legs.iter().map(goal).collect()
}

fn goal_reached(legs: &[GroupLeg], flat: bool) -> bool {
    let goals = goals(legs, flat);
    legs.iter().zip(&goals).all(|(gl, &g)| net_units(gl) == g)
}

/// A leg gave up on its silent venue: nothing more is sent to it.
fn silent(gl: &GroupLeg) -> bool {
    gl.parts.iter().any(Leg::is_silent)
}

/// How the legs stand. A silent leg's position is not known: `Unhedged`.
fn classify(legs: &[GroupLeg]) -> Outcome {
    if legs.iter().any(silent) {
        Outcome::Unhedged
    } else if legs.iter().all(|gl| net_units(gl) == target_units(gl)) {
        Outcome::Filled
    } else if legs.iter().all(|gl| net_units(gl) == 0) {
        Outcome::Flat
    } else if imbalance(legs) == 0 {
        Outcome::Rebalanced
    } else {
        Outcome::Unhedged
    }
}

#[cfg(test)]
mod tests;
