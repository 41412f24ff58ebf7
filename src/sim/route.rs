//! Routing a group's commands straight to one [`SimVenue`] per leg (no latency, no
//! faults): the group tests' and allocation checks' venue. Orders are named by
//! [`OrderRef`](crate::venue::OrderRef) (see [`Request::from_command`]), so a report
//! names its leg, part and slot itself.

use arrayvec::ArrayVec;

use super::{SimError, SimVenue, MAX_IOC_LEVELS};
use crate::group::GroupCommand;
use crate::index::{BookId, LegIdx};
use crate::venue::{Report, Request};

/// Sends `cmd` of job `job` to the venue of its leg (`venues[leg]`); its reports are
/// appended to `reports` with the leg. `reports` needs room for one IOC's reports
/// (`MAX_IOC_LEVELS + 2`). A
/// command whose ids fit no `OrderRef` is an error, and nothing is sent.
pub fn route<const N: usize>(
    cmd: GroupCommand,
    job: u64,
    venues: &mut [SimVenue],
    now_ns: u64,
    reports: &mut ArrayVec<(LegIdx, Report), N>,
) -> Result<(), SimError> {
    let mut out: ArrayVec<Report, { MAX_IOC_LEVELS + 2 }> = ArrayVec::new();
    if reports.remaining_capacity() < out.capacity() {
        return Err(SimError::BufferFull(out.capacity()));
    }
    let Some(venue) = venues.get_mut(cmd.leg.index()) else {
        return Err(SimError::UnknownVenue(BookId::new(cmd.leg.index())));
    };
    match Request::from_command(&cmd, job)? {
        Request::New(o) => venue.submit(o, now_ns, &mut out)?,
        Request::Cancel(order) => venue.cancel(order, &mut out)?,
        Request::Query(order) => venue.query(order, &mut out)?,
    }
    reports.extend(out.into_iter().map(|r| (cmd.leg, r)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leg::Command;

    #[test]
    fn unknown_venue_and_small_buffers_are_errors() {
        let cmd = GroupCommand {
            leg: LegIdx::new(3),
            part: 0,
            cmd: Command::Cancel { slot: 0 },
        };
        let mut venues = [SimVenue::new(4, 4)];
        let mut reports: ArrayVec<(LegIdx, Report), 64> = ArrayVec::new();
        assert_eq!(
            route(cmd, 0, &mut venues, 0, &mut reports),
            Err(SimError::UnknownVenue(BookId::new(3)))
        );
        let mut small: ArrayVec<(LegIdx, Report), 2> = ArrayVec::new();
        assert!(route(cmd, 0, &mut venues, 0, &mut small).is_err());
        let bad = GroupCommand {
            leg: LegIdx::new(0),
            part: 9,
            cmd: Command::Cancel { slot: 0 },
        };
        let e = route(bad, 0, &mut venues, 0, &mut reports).unwrap_err();
        assert!(matches!(e, SimError::BadOrderRef(_)), "{e}");
        assert!(reports.is_empty());
    }
}
