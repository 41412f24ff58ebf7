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

use super::{net_units, Group, Outcome, MAX_GROUP_LEGS};
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
        let mut legs = ArrayVec::new();
        for gl in &g.legs {
            let entry = gl.plan.side;
            let (mut f_in, mut f_out) = (0i64, 0i64);
            // Reported fills (with prices) for the loss; exposure for the quantities.
            let (mut r_in, mut n_in, mut r_out, mut n_out) = (0i64, 0i128, 0i64, 0i128);
            let mut fees_tl_e8 = 0i128;
            for p in &gl.parts {
                fees_tl_e8 += p.fees_tl_e8();
                if p.side() == entry {
                    f_in += p.filled_lots();
                    r_in += p.reported_lots();
                    n_in += p.notional_tl();
                } else {
                    f_out += p.filled_lots();
                    r_out += p.reported_lots();
                    n_out += p.notional_tl();
                }
            }
            let cost_of_unwound = if r_in > 0 {
                n_in * i128::from(r_out) / i128::from(r_in)
            } else {
                0
            };
            let loss_tl = match entry {
                OrderSide::Buy => cost_of_unwound - n_out,
                OrderSide::Sell => n_out - cost_of_unwound,
            };
            legs.push(LegIncident {
                side: entry,
                target_lots: gl.plan.qty_lots,
                filled_lots: f_in,
                unwound_lots: f_out,
                net_lots: net_units(gl) / gl.plan.lot_units,
                loss_tl,
                fees_tl_e8,
                silent: super::silent(gl),
            });
        }
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
