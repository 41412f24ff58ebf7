//! Legs: one venue order each, driven by a state machine (seed pattern 3).
//!
//! [`Order`] is the order's life: one transition table ([`transition`]), fills
//! deduplicated by trade id, overfills refused as incidents, late fills after a cancel
//! counted, and an `Unknown` state that only the venue can resolve. Execution modes
//! (limit only, limit then market, market only, adaptive, chase) are [`Leg`]s driving
//! up to [`MAX_LEG_ORDERS`] orders, querying any whose answer is overdue.

mod exec;
mod order;

pub use exec::{
    Arrival, Command, Fees, Leg, LegError, Mode, Route, Tif, DEFAULT_REQUEST_TIMEOUT_NS,
    DEFAULT_SILENCE_LIMIT_NS, MAX_LEG_ORDERS, MAX_REPRICES,
};
pub use order::{
    transition, EventKind, Fill, Liquidity, Order, OrderError, OrderEvent, OrderState, Stamps,
    VenueStatus, MAX_FILLS,
};
