//! The pre-trade gate between a group and its venues: the liquidity pre-flight and
//! [`RiskState`] for every order the group sends.
//!
//! [`Group::start_checked`] checks the whole entry as one: every leg's pre-flight must
//! not say `insufficient_depth`, the group's notional must be under its cap, and every
//! entry order must pass risk ([`RiskState::check_all`]); one failure sends nothing and
//! names the leg and the reason. Follow-up commands (unwinds, completions, cancels,
//! status queries) pass [`check_command`] one by one; the caller turns a refused order
//! into `OrderEvent::Rejected` for the group, which then resolves as with a venue reject
//! (except a refusal by our own message-rate limit: the command waits, see `pace`).
//! [`Group::settle_risk`] moves the kill switch to reducing when a group ends unhedged.
//!
//! Notionals are exact decimals from each leg's [`InstrumentRules`]; the collar is judged
//! against the mid of the top of book the group decided on.

use arrayvec::ArrayVec;

use super::{Group, GroupCommand, GroupError, Outcome, GROUP_CMD_CAPACITY, MAX_GROUP_LEGS};
use crate::index::{LegIdx, VenueId};
use crate::instrument::InstrumentRules;
use crate::leg::{Arrival, Command};
use crate::num::Decimal;
use crate::risk::{KillSwitch, Request, RiskReject, RiskState};
use crate::walk::Recommendation;

/// What the gate needs to know about one leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegRisk {
    /// The leg's venue index in the [`RiskState`].
    pub venue: VenueId,
    /// The leg's instrument.
    pub rules: InstrumentRules,
}

/// The risk request for `cmd`, whose order has client id `client_id`, decided on `top`.
pub fn risk_request(
    cmd: &GroupCommand,
    leg: &LegRisk,
    client_id: u64,
    top: &Arrival,
) -> Result<Request, RiskReject> {
    Ok(match cmd.cmd {
        Command::Submit {
            price_ticks,
            qty_lots,
            reduce_only,
            ..
        } => {
            let notional = leg.rules.notional(qty_lots, price_ticks).map_err(|_| {
                RiskReject::OrderNotional {
                    notional: Decimal::MAX,
                    cap: Decimal::ZERO,
                }
            })?;
            let m2 = top.bid_ticks.checked_add(top.ask_ticks);
            Request::Order {
                client_id,
                notional,
                price_ticks,
                mid_x2_ticks: m2.filter(|_| top.bid_ticks > 0 && top.ask_ticks > 0),
                reducing: reduce_only,
            }
        }
        // Cancels and status queries spend a message token and pass any switch.
        Command::Cancel { .. } | Command::Query { .. } => Request::Cancel,
    })
}

/// Checks one follow-up command against risk (counted on `Ok`). `tops` and `legs` are
/// per leg, as for the group.
pub fn check_command(
    cmd: &GroupCommand,
    client_id: u64,
    legs: &[LegRisk],
    tops: &[Arrival],
    risk: &mut RiskState,
    now_ns: u64,
) -> Result<(), RiskReject> {
    let (Some(leg), Some(top)) = (legs.get(cmd.leg.index()), tops.get(cmd.leg.index())) else {
        return Err(RiskReject::UnknownLeg(cmd.leg));
    };
    let req = risk_request(cmd, leg, client_id, top)?;
    risk.check(leg.venue, req, now_ns)
}

impl Group {
    /// [`start`](Self::start) behind the pre-flight and risk (see the module doc): on
    /// `Err` nothing was sent and nothing changed, in the group or in `risk`.
    #[allow(clippy::too_many_arguments)]
    pub fn start_checked<const N: usize>(
        &mut self,
        tops: &[Arrival],
        legs: &[LegRisk],
        risk: &mut RiskState,
        client_id: impl Fn(&GroupCommand) -> u64,
        now_ns: u64,
        out: &mut ArrayVec<GroupCommand, N>,
    ) -> Result<(), GroupError> {
        if legs.len() != self.legs.len() {
            return Err(GroupError::Plan("expected one risk entry per leg"));
        }
        if let Some(leg) = tops
            .iter()
            .position(|t| t.recommendation == Recommendation::InsufficientDepth)
        {
            return Err(GroupError::Preflight {
                leg: LegIdx::new(leg),
            });
        }
        let mut cmds: ArrayVec<GroupCommand, GROUP_CMD_CAPACITY> = ArrayVec::new();
        self.start(tops, now_ns, &mut cmds)?;
        let mut reqs: ArrayVec<(VenueId, Request), MAX_GROUP_LEGS> = ArrayVec::new();
        let mut total = Decimal::ZERO;
        let mut refused = None;
        for c in &cmds {
            let (leg, top) = (&legs[c.leg.index()], &tops[c.leg.index()]);
            match risk_request(c, leg, client_id(c), top) {
                Ok(req) => {
                    if let Request::Order { notional, .. } = req {
                        total = total.checked_add(notional).unwrap_or(Decimal::MAX);
                    }
                    reqs.push((leg.venue, req));
                }
                Err(reason) => {
                    refused = Some(GroupError::Risk { leg: c.leg, reason });
                    break;
                }
            }
        }
        let verdict = match refused {
            Some(e) => Err(e),
            None => risk
                .check_group(total)
                .map_err(GroupError::GroupRisk)
                .and_then(|()| {
                    risk.check_all(&reqs, now_ns)
                        .map_err(|(i, reason)| GroupError::Risk {
                            leg: cmds[i].leg,
                            reason,
                        })
                }),
        };
        if let Err(e) = verdict {
            self.reset(); // nothing was sent: back to a fresh, unstarted group
            return Err(e);
        }
        for c in cmds {
            let _ = out.try_push(c); // room checked by `start`
        }
        Ok(())
    }

    /// An `Unhedged` end moves the kill switch to reducing (a halted switch stays).
    pub fn settle_risk(&self, risk: &mut RiskState) {
        if self.outcome() == Some(Outcome::Unhedged) && risk.switch() == KillSwitch::Active {
            risk.set_switch(KillSwitch::Reducing);
        }
    }
}
