//! The event loop: one thread that owns the groups and the risk state, fed by rings.
//!
//! Inputs, polled each turn: the control ring from the strategy (new groups, then
//! `Done`), and one report ring per gateway. Each input is handled to the end before the
//! next: a report goes to its group, and every command that results is checked by risk
//! and pushed to its gateway's command ring at once. Then expired deadlines (limit
//! timeouts, request timeouts) fire from the groups' own `next_deadline`, quinn's
//! `poll_timeout` pattern. A command our own message-rate limit refuses waits in a
//! [`Pacer`] for its token (at most 10 request timeouts) and is sent in order; any other
//! refused order is a reject for its group.
//!
//! Ring policies: command rings are never dropped from. A full one makes the loop wait,
//! counted as back-pressure; while it waits it keeps draining that gateway's reports into
//! a preallocated backlog, so a gateway blocked on a full report ring cannot deadlock it.
//! Shutdown: after `Done` and once every group is done, the loop sends `Stop` to every
//! gateway and keeps handling reports until each answers `Stopped` (nothing in flight).
//!
//! Client order ids are [`client_id`] of `(job, leg, part, slot)`,
//! so a report finds its group without a lookup table.
//!
//! Market data ([`run_with_feeds`]): each feed's lines come from its feeder thread on
//! its own ring; the loop applies them to its book and forwards them to the venue's
//! gateway (on the command ring, so the venue's book changes in the same order). Jobs
//! start in order, each once its `after_md_lines` have been applied; a leg whose book is
//! fed and live decides on its live top, and tick-to-order runs from the arrival of the
//! line that released it. Each line that moves a live book's top hands the new top to
//! every running group with a leg on that book (chase legs reprice; completions, unwinds
//! and fallbacks are priced on it), through the same risk path. `md_queue` records the
//! feeder-to-loop hop and `book_apply` the decode, sync and apply of a line (one pass).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;

use super::feeder::{run_feeder, FeederStats, MdLine, Speed};
use super::gateway::{run_gateway, Gateway, GatewayFeed, GatewayStats, Inbound, Outbound};
use super::ring::{ring, Consumer, Producer};
use super::strategy::{Books, Intent, NoStrategy, Strategy};
use super::wait::{Idle, Wait};
use crate::book::Ladder;
use crate::feed::{BookFeed, Format, Tape};
use crate::group::{recheck, Outcome, Paced, Pacer, Policy, Verdict, MAX_GROUP_LEGS};
use crate::group::{Group, GroupCommand, GroupError, LegPlan, LegRisk};
use crate::journal::{Record, StartedLeg};
use crate::leg::{Arrival, Command, LegError, OrderError, OrderEvent};
use crate::num::Step;
use crate::risk::{KillSwitch, RiskState};
use crate::sim::{client_id, decode, request, Delivery};
use crate::telemetry::{Clock, Stage, Telemetry};

use arrayvec::ArrayVec;

/// Orders the loop tracks as open for risk at once.
const MAX_OPEN: usize = 4_096;
/// How long a command may wait for a message token, in request timeouts.
const PACE_BUDGET_TIMEOUTS: u64 = 10;

/// Commands out of one group call (room for the largest group's needs).
type Cmds = ArrayVec<GroupCommand, 64>;

/// One atomic group for the loop to execute.
#[derive(Debug, Clone)]
pub struct Job {
    /// The legs (`venue` indexes the gateways and the risk state).
    pub plans: Vec<LegPlan>,
    /// Per leg: the book (instrument) index on its venue.
    pub books: Vec<usize>,
    /// Per leg: the top of book and pre-flight it decides on.
    pub tops: Vec<Arrival>,
    /// Per leg: the risk venue and instrument rules.
    pub risk: Vec<LegRisk>,
    /// How the group resolves.
    pub policy: Policy,
    /// Start once the loop has applied this many market-data lines (0: at once). A
    /// leg whose book is fed decides on the live top of book then, and the order's
    /// tick-to-order latency runs from that line's arrival.
    pub after_md_lines: u64,
}

/// A recorded feed replayed into the loop and into one venue's book.
#[derive(Debug, Clone)]
pub struct Feed {
    /// The capture.
    pub tape: Arc<Tape>,
    /// The venue (gateway) whose book it feeds.
    pub venue: usize,
    /// The book on that venue.
    pub book: usize,
    /// Its format: decoder and sequence rules.
    pub format: Format,
    /// The instrument's tick and lot.
    pub tick: Step,
    /// The instrument's lot.
    pub lot: Step,
    /// Ladder capacity per side (the book's depth).
    pub levels_per_side: usize,
    /// Largest number of levels one message changes.
    pub max_update_levels: usize,
}

/// Where the loop's journal records go: called on the recorder thread, in order.
pub trait Recorder: Send + 'static {
    /// One record.
    fn record(&mut self, r: &Record);
    /// The run is over: flush.
    fn finish(&mut self);
}

/// A job with its group, built by the caller's thread (a group is a ~40 KB value: its
/// construction stays off the loop) and boxed so the loop never moves it.
#[derive(Debug)]
struct Live {
    g: Group,
    job: Job,
    /// Per leg: its top of book now (the loop's live book for a fed leg), on which
    /// follow-ups are priced and checked; `job.tops` stays the arrival.
    now_tops: ArrayVec<Arrival, MAX_GROUP_LEGS>,
    /// The end was reported (to the strategy and the journal).
    ended: bool,
}

/// A message from the loop to the recorder thread (sized like a record: ring slots are
/// preallocated).
#[allow(clippy::large_enum_variant)]
enum Journal {
    Record(Record),
    /// The run is over.
    End,
}

/// A message from the strategy to the loop.
#[derive(Debug)]
enum Control {
    /// Execute this group.
    Job(Box<Live>),
    /// No more jobs: finish and stop.
    Done,
}

/// Runtime settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Core for the loop thread (`None`: not pinned).
    pub loop_core: Option<usize>,
    /// Core per gateway thread.
    pub gateway_cores: Vec<Option<usize>>,
    /// Idle policy of the loop thread.
    pub wait: Wait,
    /// Idle policy of the gateway and feeder threads (on a machine with fewer cores than
    /// threads, a parking policy here leaves the loop its core).
    pub gateway_wait: Wait,
    /// Capacity of each command ring (loop → gateway).
    pub command_ring: usize,
    /// Capacity of each report ring (gateway → loop).
    pub report_ring: usize,
    /// Request timeout of every order (see `Leg`).
    pub request_timeout_ns: u64,
    /// How long a venue may stay silent about an order that owes an answer before its
    /// leg gives up and the group ends `unhedged` (see `Leg`): no wait is unbounded.
    pub silence_limit_ns: u64,
    /// Move the kill switch to reducing when a group ends `unhedged` (the default; a
    /// comparison with a simulation that runs its groups one by one turns it off, since
    /// which groups start before the switch moves depends on thread timing).
    pub settle_risk: bool,
    /// Replay speed of the feeds.
    pub md_speed: Speed,
    /// Capacity of the market-data ring (feeder → loop).
    pub md_ring: usize,
    /// Capacity of the journal ring (loop → recorder).
    pub journal_ring: usize,
    /// Added to every job index in client order ids (a resumed run continues after the
    /// jobs of the run it recovers, so no id repeats on a venue).
    pub job_base: u64,
    /// Where the loop publishes how many market-data lines it has applied (every 1024
    /// lines: one relaxed store), for a progress display.
    pub progress: Option<Arc<AtomicU64>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            loop_core: None,
            gateway_cores: Vec::new(),
            wait: Wait::SpinThenYield { spins: 1_000 },
            gateway_wait: Wait::SpinThenYield { spins: 1_000 },
            command_ring: 1_024,
            report_ring: 1_024,
            request_timeout_ns: 1_000_000_000,
            silence_limit_ns: crate::leg::DEFAULT_SILENCE_LIMIT_NS,
            settle_risk: true,
            md_speed: Speed::Max,
            md_ring: 4_096,
            journal_ring: 1_024,
            progress: None,
            job_base: 0,
        }
    }
}

/// Why a run could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// A job's plans are not a valid group.
    #[error("job {job}: {source}")]
    Plan {
        /// The job's index.
        job: usize,
        /// Why the group refused them.
        source: GroupError,
    },
    /// A job's legs disagree in length, or name a venue with no gateway.
    #[error("job {job}: {why}")]
    Job {
        /// The job's index.
        job: usize,
        /// What is wrong.
        why: &'static str,
    },
    /// A thread panicked.
    #[error("runtime thread {0} panicked")]
    Panicked(&'static str),
}

/// What a run did.
#[derive(Debug)]
pub struct RunReport<G, S = NoStrategy> {
    /// Per job, in job order: its group at the end (outcome, records, incident).
    pub groups: Vec<Group>,
    /// Per job: why its start was refused, if it was.
    pub refused_at_start: Vec<Option<GroupError>>,
    /// The gateways, returned for their ledgers.
    pub gateways: Vec<G>,
    /// Per gateway: counts and its telemetry.
    pub gateway_stats: Vec<GatewayStats>,
    /// Loop and gateway telemetry merged.
    pub telemetry: Telemetry,
    /// Whether the loop thread was pinned where asked.
    pub loop_pinned: Option<bool>,
    /// Turns the loop waited on a full command ring (nothing dropped).
    pub command_ring_full: u64,
    /// Orders refused by risk after the start (fed back as rejects).
    pub risk_refused: u64,
    /// The kill switch at the end (an `unhedged` group moves it to reducing).
    pub kill_switch: KillSwitch,
    /// Commands that waited for a message token of our own rate limit (one that waited
    /// past its budget is in `risk_refused`).
    pub risk_waited: u64,
    /// Cancels and queries that waited behind an order risk then refused: never sent
    /// (the order never left).
    pub risk_dropped: u64,
    /// Reports refused as duplicate or stale by the state machines.
    pub reports_ignored: u64,
    /// Fills refused because their trade id fell below a leg's dedupe window: the venue
    /// may have made them and the records may lack them (should be 0; see `Leg`).
    pub unverified_fills: u64,
    /// Commands for a gateway that had already stopped (should be 0).
    pub unaccounted: u64,
    /// What the feeder pushed, dropped and waited.
    pub feeder: FeederStats,
    /// Turns the loop waited on a full journal ring (nothing dropped).
    pub journal_ring_full: u64,
    /// Groups the strategy asked for that found the pool empty (not opened).
    pub pool_exhausted: u64,
    /// Per feed: the loop's book at the end, and whether it was live (in sync).
    pub books: Vec<(Ladder, bool)>,
    /// Per feed: lines its sync refused (stale, gap, malformed).
    pub md_refused: Vec<u64>,
    /// Market-data lines the loop applied.
    pub md_lines: u64,
    /// The strategy, returned for its own counters.
    pub strategy: S,
}

struct LoopState<S> {
    clock: Clock,
    strategy: S,
    /// Prebuilt groups for the strategy's intents.
    pool: Vec<Box<Live>>,
    pool_exhausted: u64,
    journal: Option<Producer<Journal>>,
    journal_ring_full: u64,
    risk: RiskState,
    groups: Vec<Box<Live>>,
    refused_at_start: Vec<Option<GroupError>>,
    commands: Vec<Producer<Outbound>>,
    reports: Vec<Consumer<Inbound>>,
    backlog: Vec<VecDeque<Inbound>>,
    stopped: Vec<bool>,
    /// Orders counted open by risk: (client id, risk venue).
    open: Vec<(u64, usize)>,
    /// Commands waiting for a message token (our own rate limit).
    pacer: Pacer,
    specs: Vec<Feed>,
    ladders: Vec<Ladder>,
    syncs: Vec<BookFeed>,
    live: Vec<bool>,
    md: Option<Consumer<MdLine>>,
    md_done: bool,
    progress: Option<Arc<AtomicU64>>,
    job_base: u64,
    settle_risk: bool,
    pending: VecDeque<Box<Live>>,
    md_lines: u64,
    last_md_ns: u64,
    telemetry: Telemetry,
    command_ring_full: u64,
    risk_refused: u64,
    reports_ignored: u64,
    unverified_fills: u64,
    unaccounted: u64,
}

impl<S: Strategy> LoopState<S> {
    /// Hands `r` to the recorder, waiting for room: records are never dropped.
    fn journal(&mut self, r: Record) {
        let Some(tx) = self.journal.as_mut() else {
            return;
        };
        let mut msg = Journal::Record(r);
        while let Err(back) = tx.push(msg) {
            self.journal_ring_full += 1;
            msg = back;
            std::hint::spin_loop();
        }
    }

    /// Reports job `j`'s end to the strategy and the journal, once per end (a late
    /// fill that reopens a group makes it end again).
    fn check_end(&mut self, j: usize) {
        let live = &mut self.groups[j];
        let Some(outcome) = live.g.outcome() else {
            live.ended = false;
            return;
        };
        if live.ended {
            return;
        }
        live.ended = true;
        if self.settle_risk {
            live.g.settle_risk(&mut self.risk);
        }
        self.strategy.on_group_end(j, &live.g, None);
        if self.journal.is_some() {
            let r = ended_record(j, &self.groups[j], outcome, self.clock.now_ns());
            self.journal(r);
        }
    }

    /// A report changed the records of job `j` while it stayed ended (a late fill that the
    /// venue's cumulative size already covered, or one the group resolved again at once):
    /// its end is journaled again with the fill in it (stats count a group once, with its
    /// last end).
    /// `before`: the records before the report, if the group had ended then.
    fn end_again(&mut self, j: usize, before: Option<Tally>) {
        let live = &self.groups[j];
        let (Some(outcome), Some(before)) = (live.g.outcome(), before) else {
            return;
        };
        if !live.ended || tally(&live.g) == before {
            return;
        }
        if self.settle_risk {
            self.groups[j].g.settle_risk(&mut self.risk);
        }
        if self.journal.is_some() {
            let r = ended_record(j, &self.groups[j], outcome, self.clock.now_ns());
            self.journal(r);
        }
    }

    /// Checks and sends `cmds` of job `j`: what our rate limit refuses waits in the
    /// pacer; refused orders go back to the group as rejects.
    fn dispatch(&mut self, j: usize, cmds: &mut Cmds, cause_ns: u64) {
        let mut i = 0;
        while i < cmds.len() {
            let c = cmds[i];
            i += 1;
            let live = &self.groups[j];
            let t0 = self.clock.now_ns();
            let p = Paced {
                job: j,
                cmd: c,
                client_id: client_id(self.job_base + j as u64, c.leg, c.part, c.cmd.slot()),
                venue: live.job.risk[c.leg].venue,
                since_ns: t0,
                cause_ns,
            };
            let v = self
                .pacer
                .check(p, &live.job.risk, &live.now_tops, &mut self.risk);
            self.telemetry
                .record(Stage::Risk, self.clock.now_ns().saturating_sub(t0));
            self.act(p, v);
        }
        cmds.clear();
    }

    /// Sends `p`, leaves it waiting, or turns a refused order into a reject.
    fn act(&mut self, p: Paced, v: Verdict) {
        let (j, c) = (p.job, p.cmd);
        match v {
            Verdict::Wait => {}
            Verdict::Send => {
                if let Command::Submit { .. } = c.cmd {
                    if self.open.len() < MAX_OPEN {
                        self.open.push((p.client_id, p.venue));
                    }
                }
                self.send(j, c, p.cause_ns);
            }
            Verdict::Refused(_) => {
                self.risk_refused += 1;
                if let Command::Submit { slot, .. } = c.cmd {
                    let mut more = Cmds::new();
                    let now = self.clock.now_ns();
                    let live = &mut self.groups[j];
                    let ev = OrderEvent::Rejected;
                    let tops = &live.now_tops;
                    let r = live
                        .g
                        .on_order(c.leg, c.part, slot, ev, tops, now, &mut more);
                    if r.is_ok() {
                        self.dispatch(j, &mut more, p.cause_ns);
                    }
                }
            }
        }
    }

    /// Sends what waited for a message token and has one now.
    fn paced(&mut self) -> bool {
        if self.pacer.is_empty() {
            return false;
        }
        let now = self.clock.now_ns();
        let mut worked = false;
        for v in 0..crate::risk::MAX_VENUES {
            loop {
                let (groups, risk) = (&mut self.groups, &mut self.risk);
                let Some((p, verdict)) = self.pacer.release(v, now, |p| {
                    let live: &mut Live = &mut groups[p.job];
                    recheck(&mut live.g, p, &live.job.risk, &live.now_tops, risk, now)
                }) else {
                    break;
                };
                worked = true;
                self.act(p, verdict);
                self.check_end(p.job);
            }
        }
        worked
    }

    /// An order reached a terminal state: its open slot in risk is free.
    fn closed(&mut self, client_id: u64) {
        if let Some(k) = self.open.iter().position(|&(id, _)| id == client_id) {
            let (_, venue) = self.open.swap_remove(k);
            self.risk.on_closed(venue);
        }
    }

    fn send(&mut self, j: usize, c: GroupCommand, cause_ns: u64) {
        let live = &self.groups[j];
        let venue = live.job.plans[c.leg].venue;
        let book = live.job.books[c.leg];
        if self.stopped[venue] {
            self.unaccounted += 1;
            return;
        }
        let now = self.clock.now_ns();
        let base = self.job_base;
        let client_id = client_id(base + j as u64, c.leg, c.part, c.cmd.slot());
        let mut msg = Outbound::Request {
            book,
            req: request(c, base + j as u64),
            pushed_ns: now,
            cause_ns,
        };
        while let Err(back) = self.commands[venue].push(msg) {
            // Back-pressure: wait, but keep the gateway's reports moving.
            self.command_ring_full += 1;
            while let Some(r) = self.reports[venue].pop() {
                self.backlog[venue].push_back(r);
            }
            msg = back;
            std::hint::spin_loop();
        }
        if self.journal.is_some() {
            self.journal(Record::Sent {
                job: j,
                leg: c.leg,
                part: c.part,
                client_id,
                cmd: c.cmd,
                t_ns: now,
            });
        }
    }

    /// Handles one report from gateway `v`.
    fn on_inbound(&mut self, v: usize, msg: Inbound) {
        let now = self.clock.now_ns();
        let (delivery, pushed_ns) = match msg {
            Inbound::Delivery {
                delivery,
                pushed_ns,
            } => (delivery, pushed_ns),
            Inbound::Stopped => {
                self.stopped[v] = true;
                return;
            }
            Inbound::Failed(_) => {
                self.reports_ignored += 1;
                return;
            }
        };
        let Delivery::Report { report, .. } = delivery else {
            return; // link up/down: the legs' request timeouts cover what was lost
        };
        let j = (report.client_id / 1_000).wrapping_sub(self.job_base) as usize;
        let (leg, part, slot) = decode(report.client_id);
        let Some(live) = self.groups.get_mut(j) else {
            self.reports_ignored += 1;
            return;
        };
        let mut cmds = Cmds::new();
        let before = live.ended.then(|| tally(&live.g));
        let t0 = self.clock.now_ns();
        let r = live
            .g
            .on_order(leg, part, slot, report.event, &live.now_tops, t0, &mut cmds);
        let t1 = self.clock.now_ns();
        self.telemetry.record(Stage::Decide, t1.saturating_sub(t0));
        if let OrderEvent::Filled(_) = report.event {
            self.telemetry
                .record(Stage::FillToGroup, t1.saturating_sub(pushed_ns));
        }
        match r {
            Ok(state) if state.is_terminal() => self.closed(report.client_id),
            Ok(_) => {}
            Err(GroupError::Leg {
                source: LegError::Order(OrderError::UnverifiableFill { .. }),
                ..
            }) => self.unverified_fills += 1,
            Err(_) => self.reports_ignored += 1,
        }
        if self.journal.is_some() {
            self.journal(Record::Report {
                job: j,
                client_id: report.client_id,
                event: report.event,
                taken: r.is_ok(),
                t_ns: t1,
            });
        }
        self.dispatch(j, &mut cmds, now);
        self.check_end(j);
        self.end_again(j, before);
    }

    fn timers(&mut self) -> bool {
        let now = self.clock.now_ns();
        let mut fired = false;
        for j in 0..self.groups.len() {
            let live = &mut self.groups[j];
            if live.g.next_deadline().is_none_or(|d| d > now) {
                continue;
            }
            let mut cmds = Cmds::new();
            if live.g.on_timeout(&live.now_tops, now, &mut cmds).is_ok() {
                fired = true;
                self.dispatch(j, &mut cmds, now);
                self.check_end(j);
            }
        }
        fired
    }

    fn start_job(&mut self, mut live: Box<Live>) {
        let j = self.groups.len();
        let job = &mut live.job;
        let arrived = if job.after_md_lines > 0 {
            self.last_md_ns
        } else {
            self.clock.now_ns()
        };
        // Legs on a fed book decide on its live top.
        for (leg, top) in job.tops.iter_mut().enumerate() {
            let (venue, book) = (job.plans[leg].venue, job.books[leg]);
            let fed = (0..self.specs.len()).find(|&f| {
                self.live[f] && self.specs[f].venue == venue && self.specs[f].book == book
            });
            if let Some(f) = fed {
                let l = &self.ladders[f];
                if let (Some(b), Some(a)) = (l.best_bid(), l.best_ask()) {
                    top.bid_ticks = b.price_ticks;
                    top.ask_ticks = a.price_ticks;
                }
            }
        }
        live.now_tops.clear();
        // One top per leg (checked by `run_setup`), at most MAX_GROUP_LEGS (the group's).
        let _ = live.now_tops.try_extend_from_slice(&live.job.tops);
        self.groups.push(live); // within capacity: no allocation
        let live = &mut self.groups[j];
        let mut cmds: Cmds = ArrayVec::new();
        let base = self.job_base;
        let id = |c: &GroupCommand| client_id(base + j as u64, c.leg, c.part, c.cmd.slot());
        let t0 = self.clock.now_ns();
        let r = live.g.start_checked(
            &live.job.tops,
            &live.job.risk,
            &mut self.risk,
            id,
            t0,
            &mut cmds,
        );
        let t1 = self.clock.now_ns();
        self.telemetry.record(Stage::Decide, t1.saturating_sub(t0));
        self.refused_at_start.push(r.err());
        if let Err(why) = r {
            self.groups[j].ended = true;
            self.strategy.on_group_end(j, &self.groups[j].g, Some(why));
            self.journal(Record::Refused {
                job: j,
                t_ns: t1,
                why,
            });
            return;
        }
        if self.journal.is_some() {
            let legs = started_legs(&self.groups[j]);
            let policy = self.groups[j].g.policy();
            self.journal(Record::Started {
                job: j,
                t_ns: t1,
                policy,
                legs,
            });
        }
        // The entries passed risk as one: count them open and send them.
        for c in &cmds {
            let id = client_id(base + j as u64, c.leg, c.part, c.cmd.slot());
            if self.open.len() < MAX_OPEN {
                self.open.push((id, self.groups[j].job.risk[c.leg].venue));
            }
        }
        for c in cmds.drain(..) {
            self.send(j, c, arrived);
        }
        self.check_end(j);
    }

    /// Opens the strategy's `intent` as a new job from the pool.
    fn open(&mut self, intent: &Intent) {
        let Some(mut live) = self.pool.pop() else {
            self.pool_exhausted += 1;
            return;
        };
        let plans: ArrayVec<LegPlan, MAX_GROUP_LEGS> = intent.legs.iter().map(|l| l.plan).collect();
        if live.g.renew(&plans, intent.policy).is_err() {
            self.pool.push(live);
            self.pool_exhausted += 1;
            return;
        }
        live.ended = false;
        let job = &mut live.job;
        job.plans.clear();
        job.books.clear();
        job.tops.clear();
        job.risk.clear();
        for l in &intent.legs {
            job.plans.push(l.plan);
            job.books.push(l.book);
            job.tops.push(l.top);
            job.risk.push(l.risk);
        }
        job.policy = intent.policy;
        // Decided on the last line: tick-to-order runs from its arrival.
        job.after_md_lines = self.md_lines.max(1);
        self.start_job(live);
    }

    /// Applies one market-data line, lets the strategy decide on it, and forwards it to
    /// the venue's gateway.
    fn md(&mut self) -> bool {
        let Some(msg) = self.md.as_mut().and_then(Consumer::pop) else {
            return false;
        };
        if msg.line == u32::MAX {
            self.md_done = true;
            return true;
        }
        let f = msg.feed as usize;
        let t0 = self.clock.now_ns();
        let line = self.specs[f].tape.line(msg.line as usize);
        self.live[f] = self.syncs[f].on_line(&mut self.ladders[f], line);
        let t1 = self.clock.now_ns();
        self.telemetry
            .record(Stage::BookApply, t1.saturating_sub(t0));
        self.telemetry
            .record(Stage::MdQueue, t0.saturating_sub(msg.pushed_ns));
        self.md_lines += 1;
        if self.md_lines.is_multiple_of(1_024) {
            if let Some(p) = &self.progress {
                p.store(self.md_lines, Ordering::Relaxed);
            }
        }
        // The line's due time: tick-to-order is corrected for coordinated omission.
        self.last_md_ns = msg.pushed_ns;
        let venue = self.specs[f].venue;
        if !self.stopped[venue] {
            let mut out = Outbound::Md {
                feed: f,
                line: msg.line,
            };
            while let Err(back) = self.commands[venue].push(out) {
                self.command_ring_full += 1;
                while let Some(r) = self.reports[venue].pop() {
                    self.backlog[venue].push_back(r);
                }
                out = back;
            }
        }
        if self.live[f] {
            self.on_top(f, msg.pushed_ns);
        }
        let books = Books::new(&self.ladders, &self.live);
        if let Some(intent) = self.strategy.on_md(f, books, t1) {
            self.telemetry
                .record(Stage::Decide, self.clock.now_ns().saturating_sub(t1));
            self.open(&intent);
        }
        true
    }

    /// Feed `f`'s live book moved: each group with a leg on it takes the new top (a
    /// chase leg reprices), and what it sends goes through risk like any command.
    fn on_top(&mut self, f: usize, cause_ns: u64) {
        let l = &self.ladders[f];
        let (Some(b), Some(a)) = (l.best_bid(), l.best_ask()) else {
            return;
        };
        let (bid, ask) = (b.price_ticks, a.price_ticks);
        let (venue, book) = (self.specs[f].venue, self.specs[f].book);
        for j in 0..self.groups.len() {
            let live = &mut self.groups[j];
            let mut moved = false;
            for (leg, top) in live.now_tops.iter_mut().enumerate() {
                let here = live.job.plans[leg].venue == venue && live.job.books[leg] == book;
                if here && (top.bid_ticks, top.ask_ticks) != (bid, ask) {
                    (top.bid_ticks, top.ask_ticks) = (bid, ask);
                    moved = true;
                }
            }
            let running = self.refused_at_start[j].is_none() && live.g.outcome().is_none();
            if !(moved && running) {
                continue;
            }
            let mut cmds = Cmds::new();
            let now = self.clock.now_ns();
            if live.g.on_book(&live.now_tops, now, &mut cmds).is_ok() {
                self.dispatch(j, &mut cmds, cause_ns);
                self.check_end(j);
            }
        }
    }

    fn all_done(&self) -> bool {
        self.pacer.is_empty()
            && self.pending.is_empty()
            && (self.md.is_none() || self.md_done)
            && self
                .groups
                .iter()
                .zip(&self.refused_at_start)
                .all(|(l, refused)| refused.is_some() || l.g.outcome().is_some())
    }
}

/// What a group's records hold, summed over its legs: reported lots, net units and fees
/// (a change means its end record is stale).
type Tally = (i64, i64, i128);

fn tally(g: &Group) -> Tally {
    (0..g.plans().len()).fold((0, 0, 0), |(r, n, f), i| {
        (
            r + g.reported_lots(i).unwrap_or(0),
            n + g.net_units(i).unwrap_or(0),
            f + g.fees_tl_e8(i).unwrap_or(0),
        )
    })
}

fn started_legs(live: &Live) -> ArrayVec<StartedLeg, MAX_GROUP_LEGS> {
    live.g
        .plans()
        .enumerate()
        .map(|(i, plan)| StartedLeg {
            plan: *plan,
            book: live.job.books[i],
            top: live.job.tops[i],
        })
        .collect()
}

fn ended_record(j: usize, live: &Live, outcome: Outcome, now_ns: u64) -> Record {
    let g = &live.g;
    let legs = started_legs(live)
        .into_iter()
        .enumerate()
        .filter_map(|(i, s)| Some((s, g.leg_record(i)?)))
        .collect();
    Record::Ended {
        job: j,
        t_ns: now_ns,
        started_ns: g.times_ns().0,
        policy: g.policy(),
        outcome,
        legs,
        incident: g.incident(),
    }
}

/// Everything a run needs besides its [`Config`].
pub struct Setup<G, S> {
    /// One gateway per venue: gateway `i` is venue `i` of every plan and of `risk`.
    pub gateways: Vec<G>,
    /// The risk state the loop owns.
    pub risk: RiskState,
    /// Recorded feeds replayed into the loop's books and the venues' books.
    pub feeds: Vec<Feed>,
    /// Fixed jobs, started in order.
    pub jobs: Vec<Job>,
    /// The strategy deciding on the books after each line.
    pub strategy: S,
    /// Groups preallocated for the strategy: the most it can open in the run.
    pub strategy_groups: usize,
    /// Where journal records go (its own thread), if anywhere.
    pub recorder: Option<Box<dyn Recorder>>,
}

/// Runs `jobs` through the loop and `gateways` (one thread each), and returns what
/// happened. Gateway `i` is venue `i` of every job's plans and of `risk`. No market data:
/// see [`run_with_feeds`].
pub fn run<G: Gateway>(
    config: &Config,
    gateways: Vec<G>,
    risk: RiskState,
    jobs: Vec<Job>,
) -> Result<RunReport<G>, RuntimeError> {
    run_with_feeds(config, gateways, risk, Vec::new(), jobs)
}

/// [`run`] with recorded feeds replayed by the feeder thread into the loop's books and
/// the venues' books.
pub fn run_with_feeds<G: Gateway>(
    config: &Config,
    gateways: Vec<G>,
    risk: RiskState,
    feeds: Vec<Feed>,
    jobs: Vec<Job>,
) -> Result<RunReport<G>, RuntimeError> {
    let setup = Setup {
        gateways,
        risk,
        feeds,
        jobs,
        strategy: NoStrategy,
        strategy_groups: 0,
        recorder: None,
    };
    run_setup(config, setup)
}

/// The placeholder plan pooled groups are built with before `renew`.
fn pool_plan() -> LegPlan {
    LegPlan {
        venue: 0,
        side: crate::book::OrderSide::Buy,
        qty_lots: 1,
        lot_units: 1,
        mode: crate::leg::Mode::MarketOnly,
        max_slippage_bps: crate::num::Ratio::from_num(1),
        fees: crate::leg::Fees::default(),
    }
}

/// Runs a whole [`Setup`]: fixed jobs, feeds, a strategy and a journal recorder.
pub fn run_setup<G: Gateway, S: Strategy>(
    config: &Config,
    setup: Setup<G, S>,
) -> Result<RunReport<G, S>, RuntimeError> {
    let Setup {
        gateways,
        risk,
        feeds,
        jobs,
        strategy,
        strategy_groups,
        recorder,
    } = setup;
    let n = gateways.len();
    if let Some(f) = feeds.iter().position(|f| f.venue >= n) {
        return Err(RuntimeError::Job {
            job: f,
            why: "a feed names a venue with no gateway",
        });
    }
    for (j, job) in jobs.iter().enumerate() {
        let l = job.plans.len();
        if job.books.len() != l || job.tops.len() != l || job.risk.len() != l {
            return Err(RuntimeError::Job {
                job: j,
                why: "books, tops and risk need one entry per leg",
            });
        }
        if job.plans.iter().any(|p| p.venue >= n) {
            return Err(RuntimeError::Job {
                job: j,
                why: "a leg names a venue with no gateway",
            });
        }
    }
    // Read the cores before pinning anything: a pinned thread sees only its own core.
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let clock = Clock::new();
    let mut handles = Vec::new();
    let mut commands = Vec::new();
    let mut reports = Vec::new();
    for (i, gw) in gateways.into_iter().enumerate() {
        let gw_feeds: Vec<Option<GatewayFeed>> = feeds
            .iter()
            .map(|f| {
                (f.venue == i).then(|| GatewayFeed {
                    tape: f.tape.clone(),
                    book: f.book,
                    sync: BookFeed::new(f.format, f.tick, f.lot),
                })
            })
            .collect();
        let (cmd_tx, cmd_rx) = ring::<Outbound>(config.command_ring);
        let (rep_tx, rep_rx) = ring::<Inbound>(config.report_ring);
        let core = config
            .gateway_cores
            .get(i)
            .copied()
            .flatten()
            .and_then(|c| cores.get(c).copied());
        let wait = config.gateway_wait;
        handles.push(thread::spawn(move || {
            run_gateway(gw, gw_feeds, cmd_rx, rep_tx, clock, core, wait)
        }));
        commands.push(cmd_tx);
        reports.push(rep_rx);
    }
    let (md, feeder) = if feeds.is_empty() {
        (None, None)
    } else {
        let (md_tx, md_rx) = ring::<MdLine>(config.md_ring);
        let tapes = feeds.iter().map(|f| f.tape.clone()).collect();
        let (speed, wait) = (config.md_speed, config.gateway_wait);
        let h = thread::spawn(move || run_feeder(tapes, md_tx, clock, speed, wait));
        (Some(md_rx), Some(h))
    };
    let (journal, recorder) = match recorder {
        Some(mut rec) => {
            let (tx, mut rx) = ring::<Journal>(config.journal_ring);
            let wait = config.gateway_wait;
            let h = thread::spawn(move || {
                let mut idle = Idle::new(wait);
                loop {
                    match rx.pop() {
                        Some(Journal::Record(r)) => {
                            idle.busy();
                            rec.record(&r);
                        }
                        Some(Journal::End) => break,
                        None => idle.idle(clock.now_ns()),
                    }
                }
                rec.finish();
            });
            (Some(tx), Some(h))
        }
        None => (None, None),
    };
    // Groups are built here, on the caller's thread, and checked before anything starts.
    let mut ready = Vec::with_capacity(jobs.len());
    for (j, job) in jobs.into_iter().enumerate() {
        let g = Group::new(&job.plans, job.policy)
            .map_err(|source| RuntimeError::Plan { job: j, source })?
            .with_request_timeout(config.request_timeout_ns)
            .with_silence_limit(config.silence_limit_ns);
        ready.push(Box::new(Live {
            g,
            job,
            now_tops: ArrayVec::new(),
            ended: false,
        }));
    }
    let mut pool = Vec::with_capacity(strategy_groups);
    for _ in 0..strategy_groups {
        let plan = pool_plan();
        let g = Group::new(&[plan], Policy::Rollback)
            .map_err(|source| RuntimeError::Plan { job: 0, source })?
            .with_request_timeout(config.request_timeout_ns)
            .with_silence_limit(config.silence_limit_ns);
        let job = Job {
            plans: Vec::with_capacity(MAX_GROUP_LEGS),
            books: Vec::with_capacity(MAX_GROUP_LEGS),
            tops: Vec::with_capacity(MAX_GROUP_LEGS),
            risk: Vec::with_capacity(MAX_GROUP_LEGS),
            policy: Policy::Rollback,
            after_md_lines: 0,
        };
        pool.push(Box::new(Live {
            g,
            job,
            now_tops: ArrayVec::new(),
            ended: false,
        }));
    }
    let (mut ctl_tx, ctl_rx) = ring::<Control>(ready.len().max(1) + 1);
    let loop_core = config.loop_core.and_then(|c| cores.get(c).copied());
    let cfg = config.clone();
    let job_count = ready.len() + strategy_groups;
    let event_loop = thread::spawn(move || {
        let pinned = loop_core.map(core_affinity::set_for_current);
        let state = LoopState {
            clock,
            strategy,
            pool,
            pool_exhausted: 0,
            journal,
            journal_ring_full: 0,
            risk,
            groups: Vec::with_capacity(job_count),
            refused_at_start: Vec::with_capacity(job_count),
            commands,
            reports,
            backlog: (0..n)
                .map(|_| VecDeque::with_capacity(cfg.report_ring))
                .collect(),
            stopped: vec![false; n],
            open: Vec::with_capacity(MAX_OPEN),
            pacer: Pacer::new(cfg.request_timeout_ns.saturating_mul(PACE_BUDGET_TIMEOUTS)),
            ladders: feeds
                .iter()
                .map(|f| Ladder::new(f.levels_per_side, f.max_update_levels))
                .collect(),
            syncs: feeds
                .iter()
                .map(|f| BookFeed::new(f.format, f.tick, f.lot))
                .collect(),
            live: vec![false; feeds.len()],
            specs: feeds,
            md,
            md_done: false,
            progress: cfg.progress.clone(),
            job_base: cfg.job_base,
            settle_risk: cfg.settle_risk,
            pending: VecDeque::with_capacity(job_count),
            md_lines: 0,
            last_md_ns: 0,
            telemetry: Telemetry::new(),
            command_ring_full: 0,
            risk_refused: 0,
            reports_ignored: 0,
            unverified_fills: 0,
            unaccounted: 0,
        };
        (run_loop(state, ctl_rx, &cfg), pinned)
    });
    for live in ready {
        let mut msg = Control::Job(live);
        while let Err(back) = ctl_tx.push(msg) {
            msg = back;
            thread::yield_now();
        }
    }
    let mut msg = Control::Done;
    while let Err(back) = ctl_tx.push(msg) {
        msg = back;
        thread::yield_now();
    }
    let joined = event_loop.join();
    // The loop's journal producer is gone with it: the recorder drains and finishes.
    if let Some(h) = recorder {
        h.join().map_err(|_| RuntimeError::Panicked("recorder"))?;
    }
    let (mut state, loop_pinned) = joined.map_err(|_| RuntimeError::Panicked("event loop"))?;
    let feeder = match feeder {
        Some(h) => h.join().map_err(|_| RuntimeError::Panicked("feeder"))?,
        None => FeederStats::default(),
    };
    let mut telemetry = std::mem::take(&mut state.telemetry);
    let mut gateways = Vec::new();
    let mut gateway_stats = Vec::new();
    for h in handles {
        let (gw, stats) = h.join().map_err(|_| RuntimeError::Panicked("gateway"))?;
        telemetry.merge(&stats.telemetry);
        gateways.push(gw);
        gateway_stats.push(stats);
    }
    Ok(RunReport {
        groups: state.groups.into_iter().map(|l| l.g).collect(),
        refused_at_start: state.refused_at_start,
        gateways,
        gateway_stats,
        telemetry,
        loop_pinned,
        command_ring_full: state.command_ring_full,
        risk_refused: state.risk_refused,
        kill_switch: state.risk.switch(),
        risk_waited: state.pacer.waited(),
        risk_dropped: state.pacer.dropped(),
        reports_ignored: state.reports_ignored,
        unverified_fills: state.unverified_fills,
        unaccounted: state.unaccounted,
        feeder,
        journal_ring_full: state.journal_ring_full,
        pool_exhausted: state.pool_exhausted,
        md_refused: state.syncs.iter().map(|s| s.refused).collect(),
        books: state.ladders.into_iter().zip(state.live).collect(),
        md_lines: state.md_lines,
        strategy: state.strategy,
    })
}

fn run_loop<S: Strategy>(
    mut s: LoopState<S>,
    mut control: Consumer<Control>,
    cfg: &Config,
) -> LoopState<S> {
    let mut idle = Idle::new(cfg.wait);
    let mut done = false;
    let mut stop_sent = false;
    loop {
        let mut worked = false;
        if !done {
            if let Some(msg) = control.pop() {
                worked = true;
                match msg {
                    Control::Job(live) => s.pending.push_back(live),
                    Control::Done => done = true,
                }
            }
        }
        worked |= s.md();
        while s
            .pending
            .front()
            .is_some_and(|l| l.job.after_md_lines <= s.md_lines || s.md.is_none() || s.md_done)
        {
            if let Some(live) = s.pending.pop_front() {
                worked = true;
                s.start_job(live);
            }
        }
        for v in 0..s.reports.len() {
            let msg = s.backlog[v].pop_front().or_else(|| s.reports[v].pop());
            if let Some(msg) = msg {
                worked = true;
                s.on_inbound(v, msg);
            }
        }
        worked |= s.paced();
        worked |= s.timers();
        if done && !stop_sent && s.all_done() {
            stop_sent = true;
            for v in 0..s.commands.len() {
                let mut msg = Outbound::Stop;
                while let Err(back) = s.commands[v].push(msg) {
                    s.command_ring_full += 1;
                    while let Some(r) = s.reports[v].pop() {
                        s.backlog[v].push_back(r);
                    }
                    msg = back;
                }
            }
        }
        if stop_sent && s.stopped.iter().all(|&x| x) {
            if let Some(tx) = s.journal.as_mut() {
                let mut msg = Journal::End;
                while let Err(back) = tx.push(msg) {
                    msg = back;
                    std::hint::spin_loop();
                }
            }
            return s;
        }
        if worked {
            idle.busy();
        } else {
            idle.idle(s.clock.now_ns());
        }
    }
}

/// The outcome of every job, in order (`None` for a refused start).
pub fn outcomes<G, S>(report: &RunReport<G, S>) -> Vec<Option<Outcome>> {
    report.groups.iter().map(Group::outcome).collect()
}
