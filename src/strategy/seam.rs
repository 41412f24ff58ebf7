//! The seam between a strategy and the engine (it lives here, below the runtime, so a
//! pure strategy never imports threads): after each market-data line the loop shows
//! the strategy its books ([`Books`]); the strategy may answer with an [`Intent`], a
//! group to open now, which the loop builds into a group from its preallocated pool
//! (`Group::renew`, no allocation) and starts through the same risk gate as any job.
//! When a group ends (or its start is refused) the strategy hears of it.
//!
//! The strategy runs on the loop thread, on the hot path: it must not allocate, lock or
//! block. It is a plain state machine; its decisions take the books and the time as
//! inputs, so it is tested without threads.

use arrayvec::ArrayVec;

use crate::book::Ladder;
use crate::group::{Group, GroupError, LegPlan, LegRisk, Policy, MAX_GROUP_LEGS};
use crate::index::{BookId, JobId};
use crate::leg::Arrival;

/// One leg of an [`Intent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntentLeg {
    /// The leg's plan (venue, side, size, mode, fees).
    pub plan: LegPlan,
    /// The book (instrument) on the leg's venue.
    pub book: BookId,
    /// The top of book and pre-flight the leg decides on.
    pub top: Arrival,
    /// The leg's risk venue and instrument rules.
    pub risk: LegRisk,
}

/// A group a strategy asks the loop to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    /// The legs, in plan order.
    pub legs: ArrayVec<IntentLeg, MAX_GROUP_LEGS>,
    /// How the group resolves.
    pub policy: Policy,
}

/// The loop's books, by feed index (the order of the run's feeds).
#[derive(Debug, Clone, Copy)]
pub struct Books<'a> {
    ladders: &'a [Ladder],
    live: &'a [bool],
}

impl<'a> Books<'a> {
    /// A view over one ladder and its live flag per feed.
    pub fn new(ladders: &'a [Ladder], live: &'a [bool]) -> Books<'a> {
        Books { ladders, live }
    }

    /// Feed `feed`'s book if it is live (in sync with its venue).
    pub fn live(&self, feed: usize) -> Option<&'a Ladder> {
        let live = self.live.get(feed).copied().unwrap_or(false);
        self.ladders.get(feed).filter(|_| live)
    }

    /// Number of feeds.
    pub fn len(&self) -> usize {
        self.ladders.len()
    }

    /// Whether there are no feeds.
    pub fn is_empty(&self) -> bool {
        self.ladders.is_empty()
    }
}

/// A strategy driven by the loop. See the module doc.
pub trait Strategy: Send + 'static {
    /// Feed `feed` has applied a line; `books` shows every feed. Returns a group to
    /// open now, if any.
    fn on_md(&mut self, feed: usize, books: Books<'_>, now_ns: u64) -> Option<Intent>;

    /// Group `job` (the run's job index) has ended, or its start was refused
    /// (`refused`). `group` holds its outcome and records.
    fn on_group_end(&mut self, job: JobId, group: &Group, refused: Option<GroupError>);

    /// The engine could not open the intent the last `on_md` returned (every group slot
    /// busy, or no client id left): nothing was sent, and no end will come for it.
    fn on_not_opened(&mut self, now_ns: u64);
}

/// No strategy: only the run's fixed jobs execute.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoStrategy;

impl Strategy for NoStrategy {
    fn on_md(&mut self, _: usize, _: Books<'_>, _: u64) -> Option<Intent> {
        None
    }

    fn on_group_end(&mut self, _: JobId, _: &Group, _: Option<GroupError>) {}

    fn on_not_opened(&mut self, _: u64) {}
}
