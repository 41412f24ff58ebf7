//! The event loop: one thread that owns the groups and the risk state, fed by rings.
//!
//! Inputs, polled each turn: the control ring from the strategy (new groups, then
//! `Done`), and one report ring per gateway. Each input is handled to the end before the
//! next: a report goes to its group, and every command that results is checked by risk
//! and pushed to its gateway's command ring at once. Then expired deadlines (limit
//! timeouts, request timeouts) fire from the groups' own `next_deadline`, quinn's
//! `poll_timeout` pattern. A refused order is a reject for its group.
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
//! line that released it. `md_decode` records the feeder-to-loop hop and `book_apply` the
//! decode, sync and apply of a line (one call).

use std::collections::VecDeque;
use std::sync::Arc;
use std::thread;

use super::feed::{run_feeder, BookFeed, FeederStats, MdLine, Speed, Tape};
use super::gateway::{run_gateway, Gateway, GatewayFeed, GatewayStats, Inbound, Outbound};
use super::ring::{ring, Consumer, Producer};
use super::wait::{Idle, Wait};
use crate::book::Ladder;
use crate::feed::binance::Market;
use crate::group::{check_command, Group, GroupCommand, GroupError, LegPlan, LegRisk};
use crate::group::{Outcome, Policy};
use crate::leg::{Arrival, Command, OrderEvent};
use crate::num::Step;
use crate::risk::RiskState;
use crate::sim::{client_id, decode, request, Delivery};
use crate::telemetry::{Clock, Stage, Telemetry};

use arrayvec::ArrayVec;

/// Orders the loop tracks as open for risk at once.
const MAX_OPEN: usize = 4_096;

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
    /// Its sequence rules.
    pub market: Market,
    /// The instrument's tick and lot.
    pub tick: Step,
    /// The instrument's lot.
    pub lot: Step,
    /// Ladder capacity per side (the book's depth).
    pub levels_per_side: usize,
    /// Largest number of levels one message changes.
    pub max_update_levels: usize,
    /// Replay speed.
    pub speed: Speed,
}

struct LoopFeed {
    spec: Feed,
    ladder: Ladder,
    sync: BookFeed,
    md: Consumer<MdLine>,
    live: bool,
    done: bool,
}

/// A job with its group, built by the caller's thread (a group is a 33 KB value: its
/// construction stays off the loop) and boxed so the loop never moves it.
#[derive(Debug)]
struct Live {
    g: Group,
    job: Job,
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
pub struct RunReport<G> {
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
    /// Reports refused as duplicate or stale by the state machines.
    pub reports_ignored: u64,
    /// Commands for a gateway that had already stopped (should be 0).
    pub unaccounted: u64,
    /// Per feed: what its feeder pushed and dropped.
    pub feeders: Vec<FeederStats>,
    /// Per feed: the loop's book at the end, and whether it was live (in sync).
    pub books: Vec<(Ladder, bool)>,
    /// Market-data lines the loop applied.
    pub md_lines: u64,
}

struct LoopState {
    clock: Clock,
    risk: RiskState,
    groups: Vec<Box<Live>>,
    refused_at_start: Vec<Option<GroupError>>,
    commands: Vec<Producer<Outbound>>,
    reports: Vec<Consumer<Inbound>>,
    backlog: Vec<VecDeque<Inbound>>,
    stopped: Vec<bool>,
    /// Orders counted open by risk: (client id, risk venue).
    open: Vec<(u64, usize)>,
    feeds: Vec<LoopFeed>,
    pending: VecDeque<Box<Live>>,
    md_lines: u64,
    last_md_ns: u64,
    telemetry: Telemetry,
    command_ring_full: u64,
    risk_refused: u64,
    reports_ignored: u64,
    unaccounted: u64,
}

impl LoopState {
    /// Checks and sends `cmds` of job `j`; refused orders go back to the group as rejects.
    fn dispatch(&mut self, j: usize, cmds: &mut Cmds, cause_ns: u64) {
        let mut i = 0;
        while i < cmds.len() {
            let c = cmds[i];
            i += 1;
            let id = client_id(j as u64, c.leg, c.part, c.cmd.slot());
            let live = &mut self.groups[j];
            let t0 = self.clock.now_ns();
            let ok = check_command(&c, id, &live.job.risk, &live.job.tops, &mut self.risk, t0);
            self.telemetry
                .record(Stage::Risk, self.clock.now_ns().saturating_sub(t0));
            if ok.is_err() {
                self.risk_refused += 1;
                if let Command::Submit { slot, .. } = c.cmd {
                    let mut more = Cmds::new();
                    let now = self.clock.now_ns();
                    let ev = OrderEvent::Rejected;
                    let r =
                        live.g
                            .on_order(c.leg, c.part, slot, ev, &live.job.tops, now, &mut more);
                    if r.is_ok() {
                        self.dispatch(j, &mut more, cause_ns);
                    }
                }
                continue;
            }
            if let Command::Submit { .. } = c.cmd {
                let venue = live.job.risk[c.leg].venue;
                if self.open.len() < MAX_OPEN {
                    self.open.push((id, venue));
                }
            }
            self.send(j, c, cause_ns);
        }
        cmds.clear();
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
        let mut msg = Outbound::Request {
            book,
            req: request(c, j as u64),
            pushed_ns: self.clock.now_ns(),
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
        let j = (report.client_id / 1_000) as usize;
        let (leg, part, slot) = decode(report.client_id);
        let Some(live) = self.groups.get_mut(j) else {
            self.reports_ignored += 1;
            return;
        };
        let mut cmds = Cmds::new();
        let t0 = self.clock.now_ns();
        let r = live
            .g
            .on_order(leg, part, slot, report.event, &live.job.tops, t0, &mut cmds);
        let t1 = self.clock.now_ns();
        self.telemetry.record(Stage::Decide, t1.saturating_sub(t0));
        if let OrderEvent::Filled(_) = report.event {
            self.telemetry
                .record(Stage::FillToGroup, t1.saturating_sub(pushed_ns));
        }
        match r {
            Ok(state) if state.is_terminal() => self.closed(report.client_id),
            Ok(_) => {}
            Err(_) => self.reports_ignored += 1,
        }
        self.dispatch(j, &mut cmds, now);
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
            if live.g.on_timeout(&live.job.tops, now, &mut cmds).is_ok() {
                fired = true;
                self.dispatch(j, &mut cmds, now);
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
            let fed = self
                .feeds
                .iter()
                .find(|f| f.live && f.spec.venue == venue && f.spec.book == book);
            if let Some(f) = fed {
                if let (Some(b), Some(a)) = (f.ladder.best_bid(), f.ladder.best_ask()) {
                    top.bid_ticks = b.price_ticks;
                    top.ask_ticks = a.price_ticks;
                }
            }
        }
        self.groups.push(live); // within capacity: no allocation
        let live = &mut self.groups[j];
        let mut cmds: Cmds = ArrayVec::new();
        let id = |c: &GroupCommand| client_id(j as u64, c.leg, c.part, c.cmd.slot());
        let t0 = self.clock.now_ns();
        let r = live.g.start_checked(
            &live.job.tops,
            &live.job.risk,
            &mut self.risk,
            id,
            t0,
            &mut cmds,
        );
        self.telemetry
            .record(Stage::Decide, self.clock.now_ns().saturating_sub(t0));
        self.refused_at_start.push(r.err());
        // The entries passed risk as one: count them open and send them.
        for c in &cmds {
            let id = client_id(j as u64, c.leg, c.part, c.cmd.slot());
            if self.open.len() < MAX_OPEN {
                self.open.push((id, self.groups[j].job.risk[c.leg].venue));
            }
        }
        for c in cmds.drain(..) {
            self.send(j, c, arrived);
        }
    }

    /// Applies one line from feed `f` and forwards it to the venue's gateway.
    fn md(&mut self, f: usize) -> bool {
        let Some(msg) = self.feeds[f].md.pop() else {
            return false;
        };
        let feed = &mut self.feeds[f];
        if msg.line == u32::MAX {
            feed.done = true;
            return true;
        }
        let t0 = self.clock.now_ns();
        feed.live = feed
            .sync
            .on_line(&mut feed.ladder, feed.spec.tape.line(msg.line as usize));
        let t1 = self.clock.now_ns();
        self.telemetry
            .record(Stage::BookApply, t1.saturating_sub(t0));
        self.telemetry
            .record(Stage::MdDecode, t0.saturating_sub(msg.pushed_ns));
        self.md_lines += 1;
        self.last_md_ns = msg.pushed_ns; // the line's due time: coordinated omission
                                         // is corrected for tick-to-order
        let venue = feed.spec.venue;
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
        true
    }

    fn all_done(&self) -> bool {
        self.pending.is_empty()
            && self.feeds.iter().all(|f| f.done)
            && self
                .groups
                .iter()
                .zip(&self.refused_at_start)
                .all(|(l, refused)| refused.is_some() || l.g.outcome().is_some())
    }
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

/// [`run`] with recorded feeds replayed by one feeder thread each into the loop's books
/// and the venues' books.
pub fn run_with_feeds<G: Gateway>(
    config: &Config,
    gateways: Vec<G>,
    risk: RiskState,
    feeds: Vec<Feed>,
    jobs: Vec<Job>,
) -> Result<RunReport<G>, RuntimeError> {
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
                    sync: BookFeed::new(f.market, f.tick, f.lot),
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
    let mut loop_feeds = Vec::new();
    let mut feeders = Vec::new();
    for f in feeds {
        let (md_tx, md_rx) = ring::<MdLine>(config.report_ring);
        let (tape, speed, wait) = (f.tape.clone(), f.speed, config.gateway_wait);
        feeders.push(thread::spawn(move || {
            run_feeder(tape, md_tx, clock, speed, wait)
        }));
        loop_feeds.push(LoopFeed {
            ladder: Ladder::new(f.levels_per_side, f.max_update_levels),
            sync: BookFeed::new(f.market, f.tick, f.lot),
            spec: f,
            md: md_rx,
            live: false,
            done: false,
        });
    }
    // Groups are built here, on the caller's thread, and checked before anything starts.
    let mut ready = Vec::with_capacity(jobs.len());
    for (j, job) in jobs.into_iter().enumerate() {
        let g = Group::new(&job.plans, job.policy)
            .map_err(|source| RuntimeError::Plan { job: j, source })?
            .with_request_timeout(config.request_timeout_ns);
        ready.push(Box::new(Live { g, job }));
    }
    let (mut ctl_tx, ctl_rx) = ring::<Control>(ready.len().max(1) + 1);
    let loop_core = config.loop_core.and_then(|c| cores.get(c).copied());
    let cfg = config.clone();
    let job_count = ready.len();
    let event_loop = thread::spawn(move || {
        let pinned = loop_core.map(core_affinity::set_for_current);
        let state = LoopState {
            clock,
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
            feeds: loop_feeds,
            pending: VecDeque::with_capacity(job_count),
            md_lines: 0,
            last_md_ns: 0,
            telemetry: Telemetry::new(),
            command_ring_full: 0,
            risk_refused: 0,
            reports_ignored: 0,
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
    let (state, loop_pinned) = event_loop
        .join()
        .map_err(|_| RuntimeError::Panicked("event loop"))?;
    let mut feeder_stats = Vec::new();
    for h in feeders {
        feeder_stats.push(h.join().map_err(|_| RuntimeError::Panicked("feeder"))?);
    }
    let mut telemetry = state.telemetry;
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
        reports_ignored: state.reports_ignored,
        unaccounted: state.unaccounted,
        feeders: feeder_stats,
        books: state
            .feeds
            .into_iter()
            .map(|f| (f.ladder, f.live))
            .collect(),
        md_lines: state.md_lines,
    })
}

fn run_loop(mut s: LoopState, mut control: Consumer<Control>, cfg: &Config) -> LoopState {
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
        for f in 0..s.feeds.len() {
            worked |= s.md(f);
        }
        while s
            .pending
            .front()
            .is_some_and(|l| l.job.after_md_lines <= s.md_lines || s.feeds.iter().all(|f| f.done))
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
pub fn outcomes<G>(report: &RunReport<G>) -> Vec<Option<Outcome>> {
    report.groups.iter().map(Group::outcome).collect()
}
