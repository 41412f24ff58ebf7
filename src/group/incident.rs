//! [`Incident`]: the record of a group that did not fill (seed pattern 6).
//!
//! Per leg: asked, filled, unwound and net quantity, and the loss realised by the unwinds
//! against the entry average, in the leg's tick-lots (the caller prices them with the
//! leg's tick and lot: legs on different instruments have different units). For the
//! group: the outcome, the time from the first order to the end, the unhedged base
//! units × ns, and one summary line in the core's units (lots; for traces and tests: the
//! journal's summary prices the loss in quote, see `journal::summary`). Built without
//! allocation.

use core::fmt::Write;

use arrayvec::{ArrayString, ArrayVec};

use super::{net_units, Group, GroupLeg, Outcome, MAX_GROUP_LEGS};
use crate::book::OrderSide;
use crate::venue::RejectReason;

/// One leg's part of an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegIncident {
    /// Entry direction.
    pub side: OrderSide,
    /// Entry size asked, lots.
    pub target_lots: i64,
    /// Filled in the entry direction (entry and completion), lots.
    pub filled_lots: i64,
    /// Unwound (opposite direction), lots.
    pub unwound_lots: i64,
    /// Position left, lots, relative to the entry direction: the residual.
    pub net_lots: i64,
    /// Loss realised by the unwinds against the entry average, tick-lots (+ = loss),
    /// rounded toward zero, over the fills reported so far.
    pub loss_tl: i128,
    /// The same loss for an inverse instrument, in coin: lots per tick × 10¹⁸ (+ =
    /// loss), against the entry fills' Σ qty ÷ price pro rata, toward zero.
    pub loss_inv_e18: i128,
    /// Fees of every fill of the leg (entry and unwinds), tick-lots × 10⁻⁸.
    pub fees_tl_e8: i128,
    /// Its venue stayed silent past the silence limit: an order's fate is unknown, and
    /// the position may differ from `net_lots`.
    pub silent: bool,
}

/// The record of a partial or failed group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    /// How the group ended.
    pub outcome: Outcome,
    /// Per leg, in plan order.
    pub legs: ArrayVec<LegIncident, MAX_GROUP_LEGS>,
    /// From sending the entries to the end, ns.
    pub time_to_hedge_ns: u64,
    /// ∫ (most − least held leg, base units) dt, units × ns.
    pub unhedged_unit_ns: u128,
    /// One line for people.
    pub summary: ArrayString<512>,
}

impl Incident {
    pub(super) fn build(g: &Group, outcome: Outcome) -> Incident {
        let legs: ArrayVec<LegIncident, MAX_GROUP_LEGS> = g.legs.iter().map(leg_incident).collect();
        let summary = summary_text(g, outcome, &legs);
        Incident {
            outcome,
            legs,
            time_to_hedge_ns: g.done_ns - g.started_ns,
            unhedged_unit_ns: g.unhedged_unit_ns,
            summary,
        }
    }
}

/// Reported fills (with prices) of one direction: lots, Σ price × qty, Σ qty ÷ price.
#[derive(Default)]
struct Side {
    lots: i64,
    notional_tl: i128,
    inv_e18: i128,
}

impl Side {
    /// The part of `self` that `lots` of it stand for, pro rata, toward zero.
    fn share(&self, lots: i64) -> (i128, i128) {
        if self.lots == 0 {
            return (0, 0);
        }
        let (n, d) = (i128::from(lots), i128::from(self.lots));
        (self.notional_tl * n / d, self.inv_e18 * n / d)
    }
}

/// One leg's part: the loss realised by its unwinds against the entry fills pro rata.
fn leg_incident(gl: &GroupLeg) -> LegIncident {
    let entry = gl.plan.side;
    let (mut f_in, mut f_out, mut fees_tl_e8) = (0i64, 0i64, 0i128);
    let (mut r_in, mut r_out) = (Side::default(), Side::default());
    for p in &gl.parts {
        fees_tl_e8 += p.fees_tl_e8();
        let (f, r) = if p.side() == entry {
            (&mut f_in, &mut r_in)
        } else {
            (&mut f_out, &mut r_out)
        };
        *f += p.filled_lots();
        r.lots += p.reported_lots();
        r.notional_tl += p.notional_tl();
        r.inv_e18 += p.inv_e18();
    }
    let (cost_tl, cost_inv) = r_in.share(r_out.lots);
    // Linear: a bought lot sold lower loses quote. Inverse: a contract bought holds
    // coin (qty ÷ price); sold higher, it gives back less coin than it held.
    let (loss_tl, loss_inv_e18) = match entry {
        OrderSide::Buy => (cost_tl - r_out.notional_tl, r_out.inv_e18 - cost_inv),
        OrderSide::Sell => (r_out.notional_tl - cost_tl, cost_inv - r_out.inv_e18),
    };
    LegIncident {
        side: entry,
        target_lots: gl.plan.qty_lots,
        filled_lots: f_in,
        unwound_lots: f_out,
        net_lots: net_units(gl) / gl.plan.lot_units,
        loss_tl,
        loss_inv_e18,
        fees_tl_e8,
        silent: super::silent(gl),
    }
}

/// The incident's one-line text: the outcome, then per leg its fills, unwinds and net,
/// whether its venue went silent, and the reason of a venue reject.
fn summary_text(g: &Group, outcome: Outcome, legs: &[LegIncident]) -> ArrayString<512> {
    let mut summary = ArrayString::new();
    let _ = write!(
        summary,
        "group {outcome} after {} ns:",
        g.done_ns - g.started_ns
    );
    for (i, l) in legs.iter().enumerate() {
        let _ = write!(
            summary,
            " leg {i} {} {}/{} lots filled, {} unwound, net {:+};",
            l.side.as_str(),
            l.filled_lots,
            l.target_lots,
            l.unwound_lots,
            l.net_lots,
        );
        if l.silent {
            let _ = write!(summary, " venue silent, order state unknown;");
        }
        match g.legs.get(i).and_then(|gl| gl.rejected) {
            Some(RejectReason::Other(code)) => {
                let _ = write!(summary, " venue rejected an order: code {code};");
            }
            Some(why) => {
                let _ = write!(summary, " venue rejected an order: {};", why.name());
            }
            None => {}
        }
    }
    summary
}
