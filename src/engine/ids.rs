//! Client order ids: the only place the engine makes or reads them, so the id scheme can
//! change (an `OrderRef` newtype instead of decimal packing) in these few functions.
//!
//! Today an id packs `(job_base + job, leg, part, slot)` (see [`crate::sim::client_id`]),
//! so a report finds its group without a lookup table.

use crate::group::GroupCommand;
use crate::sim::{client_id, decode, request, VenueRequest};

/// Where a client order id points: the job, and the leg, part and order slot in its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderOf {
    /// The job (index in the run's jobs; `None` when the id is from no job of this run).
    pub job: Option<usize>,
    /// The leg.
    pub leg: usize,
    /// The part of the leg.
    pub part: usize,
    /// The order slot of the part.
    pub slot: usize,
}

/// The client id of `c`, a command of job `job`.
pub(crate) fn command_id(job_base: u64, job: usize, c: &GroupCommand) -> u64 {
    client_id(job_base + job as u64, c.leg, c.part, c.cmd.slot())
}

/// The venue request of `c`, a command of job `job`.
pub(crate) fn command_request(job_base: u64, job: usize, c: GroupCommand) -> VenueRequest {
    request(c, job_base + job as u64)
}

/// The job, leg, part and slot a report's client id names.
pub(crate) fn locate(job_base: u64, id: u64) -> OrderOf {
    let job = (id / 1_000).checked_sub(job_base);
    let (leg, part, slot) = decode(id);
    OrderOf {
        job: job.and_then(|j| usize::try_from(j).ok()),
        leg,
        part,
        slot,
    }
}
