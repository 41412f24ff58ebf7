//! Client order ids: the only place the engine makes or reads them. An id is a
//! [`OrderRef`] of `(job_base + job, leg, part, slot)`, so a report finds its group
//! without a lookup table.

use crate::group::GroupCommand;
use crate::index::{JobId, LegIdx};
use crate::venue::{OrderRef, Request};

/// Where a client order id points: the job, and the leg, part and order slot in its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderOf {
    /// The job (index in the run's jobs; `None` when the id is from no job of this run).
    pub job: Option<JobId>,
    /// The leg.
    pub leg: LegIdx,
    /// The part of the leg.
    pub part: usize,
    /// The order slot of the part.
    pub slot: usize,
}

/// The wire id of `c`, a command of job `job`, for risk's open-order and duplicate-id
/// checks: `u64::MAX` (no valid id) when no [`OrderRef`] fits, which the run's job range
/// check rules out; [`command_request`] then gives no request and nothing is sent.
pub(crate) fn command_id(job_base: u64, job: JobId, c: &GroupCommand) -> u64 {
    command_request(job_base, job, *c).map_or(u64::MAX, |r| r.order().wire())
}

/// The venue request of `c`, a command of job `job`, if its id fits an [`OrderRef`].
pub(crate) fn command_request(job_base: u64, job: JobId, c: GroupCommand) -> Option<Request> {
    let job = job_base.checked_add(u64::try_from(job.index()).ok()?)?;
    Request::from_command(&c, job).ok()
}

/// Job `job` has client ids: `job_base + job` fits an [`OrderRef`].
pub(crate) fn fits(job_base: u64, job: JobId) -> bool {
    let job = u64::try_from(job.index())
        .ok()
        .and_then(|j| job_base.checked_add(j));
    job.is_some_and(|j| OrderRef::new(j, LegIdx::new(0), 0, 0).is_ok())
}

/// The job of wire client id `wire`, if it is an [`OrderRef`] of this run.
pub(crate) fn job_of(job_base: u64, wire: u64) -> Option<JobId> {
    let order = OrderRef::try_from(wire).ok()?;
    locate(job_base, order).job
}

/// The job, leg, part and slot `order` names.
pub(crate) fn locate(job_base: u64, order: OrderRef) -> OrderOf {
    let job = order.job().checked_sub(job_base);
    OrderOf {
        job: job.and_then(|j| usize::try_from(j).ok()).map(JobId::new),
        leg: order.leg(),
        part: order.part(),
        slot: order.slot(),
    }
}
