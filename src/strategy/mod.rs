//! Strategies the runtime drives (see [`crate::runtime::strategy`] for the seam).
//!
//! - [`carry`]: cash-and-carry between a spot book and a perpetual's book: long spot and
//!   short perp when the perp's premium, taken at the prices the walks expect and net of
//!   fees, is rich; both legs closed when it falls back.

pub mod carry;

pub use carry::{Carry, CarryLeg, CarryParams, CarryState, CarryStats};
