//! Legs: one venue order each, driven by a state machine (seed pattern 3).
//!
//! [`Order`] is the order's life: one transition table ([`transition`]), fills
//! deduplicated by trade id, overfills refused as incidents, late fills after a cancel
//! counted, and an `Unknown` state that only the venue can resolve. Execution modes
//! (limit only, limit then market, market only, adaptive) are [`Leg`]s driving up to
//! two orders; `chase` is still to come.

mod exec;
mod order;

pub use exec::{Arrival, Command, Leg, LegError, Mode, Route, Tif, MAX_LEG_ORDERS};
pub use order::{
    transition, EventKind, Fill, Liquidity, Order, OrderError, OrderEvent, OrderState, Stamps,
    VenueStatus, MAX_FILLS,
};
