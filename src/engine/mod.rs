//! The sans-IO execution engine: everything the event loop decides, with no thread,
//! clock, ring or file inside (quinn-proto's pattern).
//!
//! The [`Engine`] owns the groups (fixed jobs built off the hot path, strategy groups
//! from a preallocated pool), the risk state, the pacer of our own message-rate limit,
//! the orders counted open, the loop's books (one ladder and sync per feed) and the
//! strategy. It is driven by inputs, each stamped with exactly one `now` by its caller:
//! [`Engine::handle_job`], [`Engine::handle_market_data`], [`Engine::handle_top`],
//! [`Engine::handle_report`], [`Engine::handle_timeout`], [`Engine::handle_md_end`] and
//! [`Engine::finish`]. What it decides comes out of preallocated queues:
//! [`Engine::poll_command`] (requests and market-data forwards for the venues, in order),
//! [`Engine::poll_record`] (journal records) and [`Engine::poll_timeout`] (the next
//! instant it wants [`Engine::handle_timeout`]). [`Engine::is_done`] says when every job
//! has ended and nothing waits.
//!
//! Two drivers pump it: the threaded runtime (`crate::runtime`), which stamps each event
//! with its clock and pushes the outputs to the gateways' rings (back-pressure stays
//! there), and the virtual-time driver `crate::sim::drive`, which runs it against
//! simulated exchanges for the deterministic simulation tests.
//!
//! Telemetry: every decision uses the event's `now`. The durations of work inside one
//! event (the `decide`, `risk` and `book_apply` stages) cannot come from `now`; an engine
//! given a timer ([`Engine::with_timer`]) reads it around that work and records the
//! difference, and never decides on it. Without a timer the engine keeps no telemetry.
//!
//! - `job`: jobs, prepared groups and the pool.
//! - `ids`: the client order ids of commands and reports (one place).
//! - `risk`: commands through risk, the pacer and the open-order count, to the queue.
//! - `events`: reports, timeouts, starts, intents and ends.
//! - `market`: market-data lines, the loop's books and top-of-book moves.

mod ids;
mod job;

mod events;
mod market;
mod risk;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use arrayvec::ArrayVec;

use crate::book::Ladder;
use crate::group::{Group, GroupCommand, GroupError, Pacer};
use crate::index::{BookId, JobId, VenueId};
use crate::journal::Record;
use crate::leg::Arrival;
use crate::risk::RiskState;
use crate::strategy::{NoStrategy, Strategy};
use crate::telemetry::Telemetry;
use crate::venue::{OrderRef, Request};

pub use ids::OrderOf;
pub use job::{Job, Prepared};
pub use market::{FeedBook, MD_RESET};

use job::Live;

/// Orders the engine tracks as open for risk at once.
const MAX_OPEN: usize = 4_096;
/// Most commands one group call emits.
const GROUP_CALL: usize = 64;
/// Most commands queued at once before the queue grows (it is drained after each event;
/// one event reaches at most every group, each with at most `GROUP_CALL` commands).
const COMMAND_QUEUE: usize = 4_096;
/// Most journal records queued at once before the queue grows (a record is ~5 KB).
const RECORD_QUEUE: usize = 256;

/// Commands out of one group call (room for the largest group's needs).
type Cmds = ArrayVec<GroupCommand, GROUP_CALL>;

/// The engine's settings.
#[derive(Debug, Clone, Copy)]
pub struct EngineConfig {
    /// Request timeout of every order (see `Leg`).
    pub request_timeout_ns: u64,
    /// How long a venue may stay silent about an order that owes an answer before its
    /// leg gives up and the group ends `unhedged`.
    pub silence_limit_ns: u64,
    /// How long a command may wait for a message token of our own rate limit.
    pub pace_budget_ns: u64,
    /// Move the kill switch to reducing when a group ends `unhedged`.
    pub settle_risk: bool,
    /// Added to every job index in client order ids.
    pub job_base: u64,
    /// Emit journal records ([`Engine::poll_record`]).
    pub journal: bool,
    /// Fixed jobs the run will hand in (their slots are reserved at start).
    pub jobs: usize,
    /// Groups preallocated for the strategy: the most it holds at once (an ended group's
    /// slot is used again, see `job`).
    pub strategy_groups: usize,
}

/// A command for a venue, in the order the engine decided them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// A request for book `book` of venue `venue`.
    Request {
        /// The venue (gateway).
        venue: VenueId,
        /// The book on it.
        book: BookId,
        /// The request.
        req: Request,
        /// When the event that caused it happened (tick-to-order runs from it).
        cause_ns: u64,
        /// The job it belongs to.
        job: JobId,
        /// The group command it carries.
        cmd: GroupCommand,
    },
    /// Market-data line `line` of feed `feed`, for venue `venue`'s book to follow.
    Md {
        /// The venue (gateway).
        venue: VenueId,
        /// The feed.
        feed: usize,
        /// The line's index in its feed.
        line: u32,
    },
}

/// What the engine counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Orders refused by risk after the start (fed back as rejects).
    pub risk_refused: u64,
    /// Reduce-only orders (unwinds) that waited for a message token.
    pub unwinds_waited: u64,
    /// Reports refused as duplicate or stale by the state machines.
    pub reports_ignored: u64,
    /// Reports refused for any other reason (an unknown order, a state machine error):
    /// should be 0.
    pub reports_unexpected: u64,
    /// Fills refused because their trade id fell below a leg's dedupe window.
    pub unverified_fills: u64,
    /// Intents that found the pool empty (not opened): every pooled group still
    /// running or lingering for late reports, or no client id left for a new job.
    pub pool_exhausted: u64,
    /// Pooled slots used again for a new job after their group was done with.
    pub recycled: u64,
    /// Reports for a job whose slot was used again (later than the silence limit after
    /// its group ended): not applied, counted. Should be 0.
    pub late_reports: u64,
    /// Market-data lines applied.
    pub md_lines: u64,
    /// Connection events from the venues (connected, disconnected, resynced): the legs'
    /// request timeouts and status queries cover what a drop lost.
    pub link_events: u64,
    /// Position breaks the venues reported: the kill switch went to reducing-only.
    /// Should be 0.
    pub position_breaks: u64,
    /// Commands whose job number fits no client order id (never sent; should be 0, the
    /// run checks the job range before it starts).
    pub unaccounted: u64,
}

/// What an engine holds at the end of a run.
#[derive(Debug)]
pub struct Parts<S> {
    /// The groups the engine still holds, in job order: every fixed job's, and the
    /// strategy's that were not recycled (the journal has every group's end).
    pub groups: Vec<Group>,
    /// Per group in `groups`: its job number.
    pub job_numbers: Vec<JobId>,
    /// Per group in `groups`: why its start was refused, if it was.
    pub refused_at_start: Vec<Option<GroupError>>,
    /// The risk state.
    pub risk: RiskState,
    /// Per feed: the loop's book, whether it was live, and lines its sync refused.
    pub books: Vec<(Ladder, bool, u64)>,
    /// The pacer (its counts).
    pub pacer: Pacer,
    /// The counts.
    pub counters: Counters,
    /// Stage latencies the engine measured (none without a timer).
    pub telemetry: Option<Telemetry>,
    /// The strategy.
    pub strategy: S,
}

/// The execution engine. See the module doc.
pub struct Engine<S = NoStrategy> {
    cfg: EngineConfig,
    strategy: S,
    /// The group slots (a job's group lives in one; see [`job`]).
    groups: Vec<Box<Live>>,
    /// Job number to slot, direct-mapped by the number's low bits (a hint, checked;
    /// a miss falls back to a scan).
    slot_of: Vec<u32>,
    /// The next job's number.
    next_job: usize,
    pool: Vec<Box<Live>>,
    pending: VecDeque<Box<Live>>,
    risk: RiskState,
    /// Orders counted open by risk: (client id, risk venue).
    open: Vec<(u64, VenueId)>,
    pacer: Pacer,
    market: market::Market,
    finished: bool,
    now: u64,
    commands: VecDeque<Output>,
    records: VecDeque<Record>,
    counters: Counters,
    /// Stage latencies, kept only with a timer (the histograms are large: a simulation
    /// that builds an engine per seed does without).
    telemetry: Option<Telemetry>,
    timer: Option<Box<dyn Fn() -> u64 + Send>>,
}

impl<S> std::fmt::Debug for Engine<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("groups", &self.groups.len())
            .field("counters", &self.counters)
            .finish_non_exhaustive()
    }
}

impl<S: Strategy> Engine<S> {
    /// An engine over `risk` and `feeds`' books, with `strategy` and its pool (built here,
    /// at start-up).
    pub fn new(
        cfg: EngineConfig,
        risk: RiskState,
        feeds: Vec<FeedBook>,
        strategy: S,
    ) -> Result<Engine<S>, GroupError> {
        let slots = cfg.jobs + cfg.strategy_groups;
        // Room for one event reaching every group (an engine with few groups, as in a
        // simulation seed, stays small).
        let queue = GROUP_CALL.saturating_mul(slots.max(1));
        let records = if cfg.journal {
            queue.min(RECORD_QUEUE)
        } else {
            0
        };
        Ok(Engine {
            pool: job::pool(&cfg, cfg.strategy_groups)?,
            strategy,
            groups: Vec::with_capacity(slots),
            slot_of: vec![u32::MAX; (2 * slots).max(1).next_power_of_two()],
            next_job: 0,
            pending: VecDeque::with_capacity(slots),
            risk,
            open: Vec::with_capacity(MAX_OPEN),
            pacer: Pacer::new(cfg.pace_budget_ns),
            market: market::Market::new(feeds),
            finished: false,
            now: 0,
            commands: VecDeque::with_capacity(queue.min(COMMAND_QUEUE)),
            records: VecDeque::with_capacity(records),
            counters: Counters::default(),
            telemetry: None,
            timer: None,
            cfg,
        })
    }

    /// Measures the `decide`, `risk` and `book_apply` stages with `timer` (ns); the
    /// engine never decides on it (see the module doc).
    pub fn with_timer(mut self, timer: Box<dyn Fn() -> u64 + Send>) -> Engine<S> {
        self.timer = Some(timer);
        self.telemetry = Some(Telemetry::new());
        self
    }

    /// The next command for a venue, in decision order.
    pub fn poll_command(&mut self) -> Option<Output> {
        self.commands.pop_front()
    }

    /// The next journal record (only with `EngineConfig::journal`).
    pub fn poll_record(&mut self) -> Option<Record> {
        self.records.pop_front()
    }

    /// When the engine next needs [`Engine::handle_timeout`]: a group's deadline or a
    /// paced command's token (or its expiry).
    pub fn poll_timeout(&self) -> Option<u64> {
        let groups = self.groups.iter().filter_map(|l| l.g.next_deadline()).min();
        let paced = self.pacer.next_due(&self.risk, self.now);
        groups.into_iter().chain(paced).min()
    }

    /// No more jobs will come: once every job has ended, the engine is done.
    pub fn finish(&mut self) {
        self.finished = true;
    }

    /// Every job has ended, nothing waits for a token or to start, and the feeds are over
    /// (after [`Engine::finish`]).
    pub fn is_done(&self) -> bool {
        self.finished
            && self.pacer.is_empty()
            && self.pending.is_empty()
            && self.market.over()
            && self
                .groups
                .iter()
                .all(|l| l.refused.is_some() || l.g.outcome().is_some())
    }

    /// Job `job`'s group, if it has started and its slot was not used again since.
    pub fn group(&self, job: JobId) -> Option<&Group> {
        self.slot(job).map(|s| &self.groups[s].g)
    }

    /// Why job `job`'s start was refused, if it started and was.
    pub fn refused_at_start(&self, job: JobId) -> Option<GroupError> {
        self.slot(job).and_then(|s| self.groups[s].refused)
    }

    /// Job `job`'s tops of book now (on which its commands are priced and checked).
    pub fn tops(&self, job: JobId) -> Option<&[Arrival]> {
        self.slot(job).map(|s| &self.groups[s].now_tops[..])
    }

    /// Jobs started so far.
    pub fn jobs(&self) -> usize {
        self.next_job
    }

    /// The risk state.
    pub fn risk(&self) -> &RiskState {
        &self.risk
    }

    /// The pacer of our own message-rate limit (its counts).
    pub fn pacer(&self) -> &Pacer {
        &self.pacer
    }

    /// The counts so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Where client order id `id` points (see `ids`).
    pub fn order_of(&self, id: OrderRef) -> OrderOf {
        ids::locate(self.cfg.job_base, id)
    }

    /// Everything the engine holds, for a run's report.
    pub fn into_parts(mut self) -> Parts<S> {
        self.groups.sort_by_key(|l| l.job_no);
        let job_numbers = self.groups.iter().map(|l| l.job_no).collect();
        let refused_at_start = self.groups.iter().map(|l| l.refused).collect();
        Parts {
            groups: self.groups.into_iter().map(|l| l.g).collect(),
            job_numbers,
            refused_at_start,
            risk: self.risk,
            books: self.market.into_books(),
            pacer: self.pacer,
            counters: self.counters,
            telemetry: self.telemetry,
            strategy: self.strategy,
        }
    }

    /// The slot holding job `job`'s group (the hint first, then a scan).
    fn slot(&self, job: JobId) -> Option<usize> {
        let hint = self.slot_of[job.index() & (self.slot_of.len() - 1)] as usize;
        if self.groups.get(hint).is_some_and(|l| l.job_no == job) {
            return Some(hint);
        }
        self.groups.iter().position(|l| l.job_no == job)
    }

    /// Gives the next job number to the group in slot `s`.
    fn number(&mut self, s: usize) -> JobId {
        let job = self.next_job;
        self.next_job += 1;
        self.groups[s].job_no = JobId::new(job);
        let mask = self.slot_of.len() - 1;
        // Slots are fewer than 2^32: fixed jobs plus `strategy.max_groups`.
        self.slot_of[job & mask] = s as u32;
        JobId::new(job)
    }

    /// The timer's reading, if the engine has one (telemetry only).
    fn lap(&self) -> Option<u64> {
        self.timer.as_ref().map(|t| t())
    }

    /// Records the time since `t0` (a [`Engine::lap`]) for `stage`.
    fn lap_since(&mut self, stage: crate::telemetry::Stage, t0: Option<u64>) {
        if let (Some(t0), Some(t1)) = (t0, self.lap()) {
            self.measured(stage, t1.saturating_sub(t0));
        }
    }

    /// Records `ns` for `stage` (with a timer only).
    fn measured(&mut self, stage: crate::telemetry::Stage, ns: u64) {
        if let Some(t) = self.telemetry.as_mut() {
            t.record(stage, ns);
        }
    }

    /// Queues a journal record (when the engine journals).
    fn record(&mut self, r: impl FnOnce() -> Record) {
        if self.cfg.journal {
            self.records.push_back(r());
        }
    }
}
