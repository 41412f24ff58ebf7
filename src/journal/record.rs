//! [`Record`]: what the loop tells the journal, one value per event, handed over on the
//! journal ring and written by the recorder thread (never on the loop). Indices, not
//! names: the writer turns them into venue and instrument names and decimals.

use arrayvec::ArrayVec;

use crate::group::{GroupError, Incident, LegPlan, LegRecord, Outcome, Policy, MAX_GROUP_LEGS};
use crate::index::{BookId, JobId, LegIdx, VenueId};
use crate::leg::{Arrival, Command};
use crate::venue::{OrderRef, RejectDetail, ReportKind};

/// One leg of a started group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartedLeg {
    /// The plan.
    pub plan: LegPlan,
    /// The book on the leg's venue.
    pub book: BookId,
    /// The top of book and pre-flight it decided on.
    pub top: Arrival,
}

/// One journal event. Large (about 5 KB, the ended group's records), by design: it
/// travels in a preallocated ring slot, where a `Box` would allocate per record.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A group was started (its entries passed risk and were sent).
    Started {
        /// Job index.
        job: JobId,
        /// Loop time, ns.
        t_ns: u64,
        /// Resolution policy.
        policy: Policy,
        /// The legs.
        legs: ArrayVec<StartedLeg, MAX_GROUP_LEGS>,
    },
    /// A group's start was refused; nothing was sent.
    Refused {
        /// Job index.
        job: JobId,
        /// Loop time, ns.
        t_ns: u64,
        /// Why.
        why: GroupError,
    },
    /// An order command went to a venue.
    Sent {
        /// Job index.
        job: JobId,
        /// Leg.
        leg: LegIdx,
        /// Part of the leg.
        part: usize,
        /// The venue's index in the scenario.
        venue: VenueId,
        /// Client order id.
        client_id: OrderRef,
        /// The command.
        cmd: Command,
        /// Loop time, ns.
        t_ns: u64,
    },
    /// A venue report reached the group.
    Report {
        /// Job index.
        job: JobId,
        /// Client order id.
        client_id: OrderRef,
        /// What the venue said (a reject's reason and a fill's fee included).
        kind: ReportKind,
        /// A reject's words from the venue (code, text), when it gave any.
        detail: Option<RejectDetail>,
        /// Whether the group took it (false: duplicate or stale, ignored).
        taken: bool,
        /// Loop time, ns.
        t_ns: u64,
    },
    /// A group ended.
    Ended {
        /// Job index.
        job: JobId,
        /// Loop time, ns.
        t_ns: u64,
        /// Loop time the group started, ns.
        started_ns: u64,
        /// Policy.
        policy: Policy,
        /// Outcome.
        outcome: Outcome,
        /// Per leg: plan, book and record.
        legs: ArrayVec<(StartedLeg, LegRecord), MAX_GROUP_LEGS>,
        /// The incident, when not every leg filled.
        incident: Option<Incident>,
    },
}
