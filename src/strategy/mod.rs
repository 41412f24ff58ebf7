//! Strategies the engine drives, and the seam they plug into.
//!
//! - `seam`: the [`Strategy`] trait, the [`Intent`] a strategy answers with, and the
//!   [`Books`] it decides on.
//! - `carry`: cash-and-carry between a spot book and a perpetual's book: long spot and
//!   short perp when the perp's premium, taken at the prices the walks expect and net of
//!   fees, is rich; both legs closed when it falls back. Either leg may be an inverse
//!   (coin-margined) contract.
//! - `roundtrip`: one venue: buy a USD size, hold, sell it back; for single-venue
//!   scenarios.
//! - [`RunStrategy`]: the one a scenario names, as one type for the runtime.

mod carry;
mod roundtrip;
mod seam;

pub use carry::{Carry, CarryLeg, CarryParams, CarryState, CarryStats};
pub use roundtrip::{Roundtrip, RoundtripParams};
pub use seam::{Books, Intent, IntentLeg, NoStrategy, Strategy};

use crate::group::{Group, GroupError};
use crate::index::JobId;

/// The strategy a scenario runs (`strategy.kind`).
// One value per run, moved once to the loop thread: inline, no indirection per line.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum RunStrategy {
    /// `kind = "carry"`.
    Carry(Carry),
    /// `kind = "roundtrip"`.
    Roundtrip(Roundtrip),
}

impl RunStrategy {
    /// Where it is (a round trip's long lots as `spot_lots`).
    pub fn state(&self) -> CarryState {
        match self {
            RunStrategy::Carry(c) => c.state(),
            RunStrategy::Roundtrip(r) => r.state(),
        }
    }

    /// Where it is, for people (`flat`, `holding 0.049 long, 0.049 short`, …).
    pub fn state_text(&self) -> String {
        match self {
            RunStrategy::Carry(c) => c.state_text().to_string(),
            RunStrategy::Roundtrip(r) => r.state().name().to_string(),
        }
    }

    /// What it did.
    pub fn stats(&self) -> CarryStats {
        match self {
            RunStrategy::Carry(c) => c.stats(),
            RunStrategy::Roundtrip(r) => r.stats(),
        }
    }
}

impl Strategy for RunStrategy {
    fn on_md(&mut self, feed: usize, books: Books<'_>, now_ns: u64) -> Option<Intent> {
        match self {
            RunStrategy::Carry(c) => c.on_md(feed, books, now_ns),
            RunStrategy::Roundtrip(r) => r.on_md(feed, books, now_ns),
        }
    }

    fn on_group_end(&mut self, job: JobId, group: &Group, refused: Option<GroupError>) {
        match self {
            RunStrategy::Carry(c) => c.on_group_end(job, group, refused),
            RunStrategy::Roundtrip(r) => r.on_group_end(job, group, refused),
        }
    }

    fn on_not_opened(&mut self, now_ns: u64) {
        match self {
            RunStrategy::Carry(c) => c.on_not_opened(now_ns),
            RunStrategy::Roundtrip(r) => r.on_not_opened(now_ns),
        }
    }
}
