//! Strategies the engine drives, and the seam they plug into.
//!
//! - [`seam`]: the [`Strategy`] trait, the [`Intent`] a strategy answers with, and the
//!   [`Books`] it decides on.
//! - [`carry`]: cash-and-carry between a spot book and a perpetual's book: long spot and
//!   short perp when the perp's premium, taken at the prices the walks expect and net of
//!   fees, is rich; both legs closed when it falls back.

pub mod carry;
pub mod seam;

pub use carry::{Carry, CarryLeg, CarryParams, CarryState, CarryStats};
pub use seam::{Books, Intent, IntentLeg, NoStrategy, Strategy};
