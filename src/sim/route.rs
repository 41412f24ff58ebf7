//! Routing a group's commands to simulated venues, and tagging the venues' reports with
//! the leg, part and order slot they belong to. [`route`] sends straight to one
//! [`SimVenue`] per leg (no latency); [`request`] makes the [`VenueRequest`] for a
//! [`SimExchange`](super::SimExchange).
//!
//! Client order ids pack `(round, leg, part, slot)` as `round × 1000 + leg × 100 +
//! part × 10 + slot`, so a report finds its way back without a lookup table.

use arrayvec::ArrayVec;

use super::{NewOrder, Report, SimError, SimVenue, VenueRequest, MAX_IOC_LEVELS};
use crate::group::GroupCommand;
use crate::leg::Command;

/// The client id of order `slot` of `part` of `leg` in group `round`.
pub const fn client_id(round: u64, leg: usize, part: usize, slot: usize) -> u64 {
    round * 1000 + (leg * 100 + part * 10 + slot) as u64
}

/// `(leg, part, slot)` of a client id made by [`client_id`].
pub const fn decode(client_id: u64) -> (usize, usize, usize) {
    let local = (client_id % 1000) as usize;
    (local / 100, (local % 100) / 10, local % 10)
}

/// The venue request for a group command of group `round` (ids by [`client_id`]).
pub fn request(cmd: GroupCommand, round: u64) -> VenueRequest {
    let id = |slot| client_id(round, cmd.leg, cmd.part, slot);
    match cmd.cmd {
        Command::Submit {
            slot,
            side,
            price_ticks,
            qty_lots,
            tif,
            ..
        } => VenueRequest::Submit(NewOrder {
            client_id: id(slot),
            side,
            price_ticks,
            qty_lots,
            tif,
        }),
        Command::Cancel { slot } => VenueRequest::Cancel {
            client_id: id(slot),
        },
        Command::Query { slot } => VenueRequest::Query {
            client_id: id(slot),
        },
    }
}

/// Sends `cmd` to `venues[cmd.leg]`; its reports are appended to `reports` with the leg.
/// `reports` needs room for one IOC's reports (`MAX_IOC_LEVELS + 2`).
pub fn route<const N: usize>(
    cmd: GroupCommand,
    round: u64,
    venues: &mut [SimVenue],
    now_ns: u64,
    reports: &mut ArrayVec<(usize, Report), N>,
) -> Result<(), SimError> {
    let mut out: ArrayVec<Report, { MAX_IOC_LEVELS + 2 }> = ArrayVec::new();
    if reports.remaining_capacity() < out.capacity() {
        return Err(SimError::BufferFull(out.capacity()));
    }
    let Some(venue) = venues.get_mut(cmd.leg) else {
        return Err(SimError::UnknownVenue(cmd.leg));
    };
    match request(cmd, round) {
        VenueRequest::Submit(o) => venue.submit(o, now_ns, &mut out)?,
        VenueRequest::Cancel { client_id } => venue.cancel(client_id, &mut out)?,
        VenueRequest::Query { client_id } => venue.query(client_id, &mut out)?,
    }
    reports.extend(out.into_iter().map(|r| (cmd.leg, r)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for (leg, part, slot) in [(0, 0, 0), (7, 4, 1), (3, 9, 9)] {
            assert_eq!(decode(client_id(42, leg, part, slot)), (leg, part, slot));
        }
        assert_eq!(client_id(42, 1, 2, 3), 42_123);
    }

    #[test]
    fn unknown_venue_and_small_buffers_are_errors() {
        let cmd = GroupCommand {
            leg: 3,
            part: 0,
            cmd: Command::Cancel { slot: 0 },
        };
        let mut venues = [SimVenue::new(4, 4)];
        let mut reports: ArrayVec<(usize, Report), 64> = ArrayVec::new();
        assert_eq!(
            route(cmd, 0, &mut venues, 0, &mut reports),
            Err(SimError::UnknownVenue(3))
        );
        let mut small: ArrayVec<(usize, Report), 2> = ArrayVec::new();
        assert!(route(cmd, 0, &mut venues, 0, &mut small).is_err());
    }
}
