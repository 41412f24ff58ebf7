//! The protocol between the engine and any venue: what it asks, what it hears back, and
//! the [`Gateway`] seam a venue connection implements.
//!
//! - [`OrderRef`]: client order ids as checked bit fields (job, leg, part, slot), one
//!   `u64` on the wire.
//! - [`Request`]: new order ([`NewOrder`]: side, [`OrderPrice`], size,
//!   [`TimeInForce`], reduce-only), cancel, status query.
//! - [`Report`]: ack, fill ([`Execution`]: trade id, size, price, liquidity, fee),
//!   cancel ack, reject with a [`RejectReason`] (and the venue's own words, a
//!   [`RejectDetail`]), expiry, status; mapped onto the leg state machine's
//!   [`OrderEvent`](crate::leg::OrderEvent) by [`ReportKind::event`].
//! - [`Delivery`]: a report, or a connection event (connected, disconnected, resynced).
//! - [`Gateway`]: send, poll, in flight: what a network gateway implements.
//!   [`LocalVenue`]: the simulator's extras (books fed by replayed market data, records
//!   to save), kept out of [`Gateway`].
//! - [`VenueState`]: a venue's records of its orders, which crash recovery reads.
//!
//! Everything here is plain `Copy` data (but [`VenueState`]), in the crate's integer
//! units: nothing allocates on the hot path. The simulator (`sim`) implements the
//! protocol; the runtime and the journal know only this module.
//!
//! `docs/venue.md` is the same for a gateway's implementer, with the venue names each
//! term maps to.

mod detail;
mod gateway;
mod order_ref;
mod report;
mod request;
mod state;

pub use detail::{RejectDetail, VenueText, VENUE_TEXT_CAP};
pub use gateway::{Gateway, GatewayError, LocalVenue};
pub use order_ref::{OrderRef, OrderRefError, RefField, MAX_JOB};
pub use report::{fee_tl_e8, Delivery, Execution, RejectReason, Report, ReportKind};
pub use request::{NewOrder, OrderPrice, Request, TimeInForce};
pub use state::{OrderRecord, VenueState};
