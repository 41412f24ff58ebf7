//! The event loop: one thread that pumps the [`Engine`] from rings.
//!
//! Inputs, polled each turn: the control ring from the caller (prepared jobs, then
//! `Done`), the market-data rings (the replay feeder's, or one per live feed), and one
//! report ring per gateway. Each
//! input is stamped with one clock reading, handed to the engine, and what the engine
//! decided is pushed out at once: commands to the gateways' command rings, records to
//! the journal ring. Then the engine's timeout fires when due (quinn's `poll_timeout`).
//! The engine decides everything; this file only moves messages and reads the clock.
//!
//! Ring policies: command rings are never dropped from. A full one makes the loop wait,
//! counted as back-pressure; while it waits it keeps draining that gateway's reports into
//! a preallocated backlog, so a gateway blocked on a full report ring cannot deadlock it.
//! The journal ring is waited on too (records are never dropped).
//! Shutdown, in two phases: once the engine is done, the loop asks every gateway to
//! drain and keeps handling reports. A late report may reopen a group (a fill the venue
//! delayed past the silence limit), whose unwind needs a venue that must not have stopped
//! yet. Only when a drain round ends with every gateway quiet and no request sent since
//! it began does the loop send `Stop`, and it handles reports until each answers
//! `Stopped`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use super::clock::Clock;
use super::feeder::{MdLine, Schedule};
use super::gateway::{Inbound, Outbound};
use super::live_feeder::MD_END;
use super::ring::{Consumer, Producer};
use super::wait::{Idle, Wait};
use crate::engine::{Engine, Output, Prepared, MD_RESET};
use crate::feed::Tape;
use crate::index::VenueId;
use crate::journal::Record;
use crate::strategy::Strategy;

/// A message from the loop to the recorder thread (sized like a record: ring slots are
/// preallocated).
#[allow(clippy::large_enum_variant)]
pub(super) enum Journal {
    Record(Record),
    /// The run is over.
    End,
}

/// A message from the caller to the loop.
#[derive(Debug)]
pub(super) enum Control {
    /// Execute this job.
    Job(Prepared),
    /// No more jobs: finish and stop.
    Done,
}

/// The loop thread's state: the engine and the ring ends around it.
pub(super) struct Pump<S> {
    pub(super) engine: Engine<S>,
    pub(super) clock: Clock,
    pub(super) control: Consumer<Control>,
    pub(super) commands: Vec<Producer<Outbound>>,
    pub(super) reports: Vec<Consumer<Inbound>>,
    pub(super) backlog: Vec<VecDeque<Inbound>>,
    pub(super) stopped: Vec<bool>,
    pub(super) shutdown: Shutdown,
    /// The market-data rings: the replay feeder's, or one per live feed; `None` once
    /// its end marker came.
    pub(super) md: Vec<Option<Consumer<MdLine>>>,
    /// The next ring to look at (round robin).
    pub(super) md_next: usize,
    pub(super) tapes: Vec<Arc<Tape>>,
    /// A live line's buffer, between the engine's applying it and its `Output::Md`.
    pub(super) pending: Option<Vec<u8>>,
    /// The replay, when the loop reads its feeds itself (`Config::md_in_loop`).
    pub(super) inline: Option<Schedule>,
    /// The run's stop flag (an inline replay ends at it).
    pub(super) stop: Option<Arc<AtomicBool>>,
    pub(super) journal: Option<Producer<Journal>>,
    pub(super) progress: Option<Arc<AtomicU64>>,
    pub(super) counts: PumpCounts,
}

/// What the pump counted.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct PumpCounts {
    /// Turns the loop waited on a full command ring.
    pub(super) command_ring_full: u64,
    /// Turns the loop waited on a full journal ring.
    pub(super) journal_ring_full: u64,
    /// Commands for a gateway that had already stopped.
    pub(super) unaccounted: u64,
    /// Requests a gateway refused (its own limits, not a venue reject).
    pub(super) gateway_failed: u64,
    /// Requests pushed to the gateways (a drain round passes only if none was pushed
    /// while it ran).
    pub(super) requests: u64,
}

/// The two-phase shutdown's state (see the module doc).
pub(super) struct Shutdown {
    round: u32,
    /// The round in progress, with the requests pushed when it began.
    draining: Option<u64>,
    /// Per gateway: drained in this round.
    drained: Vec<bool>,
    stop_sent: bool,
}

impl Shutdown {
    pub(super) fn new(gateways: usize) -> Shutdown {
        Shutdown {
            round: 0,
            draining: None,
            drained: vec![false; gateways],
            stop_sent: false,
        }
    }
}

impl<S: Strategy> Pump<S> {
    /// A pump around `engine` with the gateways' rings (command, report), a report
    /// backlog of `backlog` per gateway, and no feeds, journal or progress yet.
    pub(super) fn new(
        engine: Engine<S>,
        clock: Clock,
        control: Consumer<Control>,
        (commands, reports): (Vec<Producer<Outbound>>, Vec<Consumer<Inbound>>),
        backlog: usize,
    ) -> Pump<S> {
        let n = commands.len();
        Pump {
            engine,
            clock,
            control,
            commands,
            reports,
            backlog: (0..n).map(|_| VecDeque::with_capacity(backlog)).collect(),
            stopped: vec![false; n],
            shutdown: Shutdown::new(n),
            md: Vec::new(),
            md_next: 0,
            tapes: Vec::new(),
            pending: None,
            inline: None,
            stop: None,
            journal: None,
            progress: None,
            counts: PumpCounts::default(),
        }
    }

    /// Runs until every gateway has stopped.
    pub(super) fn run(mut self, wait: Wait) -> Self {
        let mut idle = Idle::new(wait);
        let mut done = false;
        loop {
            let mut worked = false;
            if !done {
                worked |= self.control(&mut done);
            }
            worked |= self.md();
            for v in 0..self.reports.len() {
                worked |= self.report(v);
            }
            worked |= self.timeout();
            if done && !self.shutdown.stop_sent && self.engine.is_done() {
                self.shut_down();
            }
            if self.shutdown.stop_sent && self.stopped.iter().all(|&x| x) {
                self.end_journal();
                return self;
            }
            if worked {
                idle.busy();
            } else {
                idle.idle(self.clock.now_ns());
            }
        }
    }

    /// One step of the shutdown, while the engine is done: begin a drain round, or end
    /// one every gateway answered, with `Stop` if no request went out since it began.
    fn shut_down(&mut self) {
        let sent = self.counts.requests;
        let s = &mut self.shutdown;
        let msg = match s.draining {
            None => {
                s.round = s.round.wrapping_add(1);
                s.draining = Some(sent);
                s.drained.fill(false);
                Outbound::Drain(s.round)
            }
            Some(at) if s.drained.iter().all(|&d| d) => {
                if sent != at {
                    s.draining = None; // a late report sent more: drain again
                    return;
                }
                s.stop_sent = true;
                Outbound::Stop
            }
            Some(_) => return,
        };
        for v in 0..self.commands.len() {
            self.push(VenueId::new(v), msg.clone());
        }
    }

    fn control(&mut self, done: &mut bool) -> bool {
        let Some(msg) = self.control.pop() else {
            return false;
        };
        match msg {
            Control::Job(job) => {
                let now = self.clock.now_ns();
                self.engine.handle_job(job, now);
                self.flush(now);
            }
            Control::Done => {
                *done = true;
                self.engine.finish();
            }
        }
        true
    }

    /// One market-data line to the engine, from the next ring that has one (or from
    /// the loop's own replay).
    fn md(&mut self) -> bool {
        if self.inline.is_some() {
            return self.md_inline();
        }
        let n = self.md.len();
        for k in 0..n {
            let r = (self.md_next + k) % n;
            if let Some(msg) = self.md[r].as_mut().and_then(Consumer::pop) {
                self.md_next = (r + 1) % n;
                self.md_line(r, msg);
                return true;
            }
        }
        false
    }

    /// Hands `msg`, from ring `r`, to the engine.
    fn md_line(&mut self, r: usize, msg: MdLine) {
        let now = self.clock.now_ns();
        let f = msg.feed as usize;
        match (msg.line, msg.buf) {
            (MD_END, _) => {
                self.md[r] = None;
                if self.md.iter().all(Option::is_none) {
                    self.engine.handle_md_end(now);
                }
            }
            (MD_RESET, _) => self.engine.handle_md_reset(f, now),
            (line_no, buf) => {
                let line = match &buf {
                    Some(b) => b.as_slice(),
                    None => self.tapes[f].line(line_no as usize),
                };
                self.engine
                    .handle_market_data(f, line_no, line, msg.pushed_ns, now);
                self.pending = buf;
                self.progress();
            }
        }
        self.flush(now);
        // Forwarded with its `Output::Md`; a line the engine did not forward is freed.
        self.pending = None;
    }

    /// The next line of the loop's own replay, once it is due: no feeder thread and no
    /// ring (a bench's two-thread configuration). Its due time is its scheduled one, so
    /// latencies stay corrected for coordinated omission.
    fn md_inline(&mut self) -> bool {
        let now = self.clock.now_ns();
        let stopped = self
            .stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed));
        let Some(schedule) = self.inline.as_mut() else {
            return false;
        };
        schedule.start_at(now);
        let next = if stopped { None } else { schedule.peek() };
        match next {
            None => {
                self.inline = None;
                self.engine.handle_md_end(now);
            }
            Some((_, _, Some(due))) if due > now => return false,
            Some((f, line, due)) => {
                schedule.advance(f);
                let bytes = schedule.line(f, line);
                let due = due.unwrap_or(now);
                self.engine
                    .handle_market_data(f, line as u32, bytes, due, now);
                self.progress();
            }
        }
        self.flush(now);
        true
    }

    /// Publishes the lines applied, every 1024.
    fn progress(&self) {
        let lines = self.engine.counters().md_lines;
        if lines.is_multiple_of(1_024) {
            if let Some(p) = &self.progress {
                p.store(lines, Ordering::Relaxed);
            }
        }
    }

    /// One message from gateway `v` (its backlog first).
    fn report(&mut self, v: usize) -> bool {
        let Some(msg) = self.backlog[v]
            .pop_front()
            .or_else(|| self.reports[v].pop())
        else {
            return false;
        };
        match msg {
            Inbound::Delivery {
                delivery,
                pushed_ns,
            } => {
                let now = self.clock.now_ns();
                self.engine
                    .handle_report(VenueId::new(v), delivery, pushed_ns, now);
                self.flush(now);
            }
            Inbound::Drained(round) if round == self.shutdown.round => {
                self.shutdown.drained[v] = true;
            }
            Inbound::Drained(_) => {} // an earlier round's answer
            Inbound::Stopped => self.stopped[v] = true,
            Inbound::Failed(_) => self.counts.gateway_failed += 1,
            Inbound::VenueLoad(permille) => {
                self.engine.handle_venue_load(VenueId::new(v), permille);
            }
        }
        true
    }

    /// The engine's timeout, if due.
    fn timeout(&mut self) -> bool {
        let Some(due) = self.engine.poll_timeout() else {
            return false;
        };
        let now = self.clock.now_ns();
        if due > now {
            return false;
        }
        self.engine.handle_timeout(now);
        self.flush(now);
        true
    }

    /// Pushes what the engine decided at `now`: commands, then records.
    fn flush(&mut self, now: u64) {
        while let Some(out) = self.engine.poll_command() {
            match out {
                Output::Request {
                    venue,
                    book,
                    req,
                    cause_ns,
                    ..
                } => {
                    let msg = Outbound::Request {
                        book,
                        req,
                        pushed_ns: now,
                        cause_ns,
                    };
                    self.push(venue, msg);
                }
                Output::Md { venue, feed, line } => {
                    let buf = self.pending.take();
                    self.push(venue, Outbound::Md { feed, line, buf });
                }
            }
        }
        while let Some(r) = self.engine.poll_record() {
            self.journal(r);
        }
    }

    /// Pushes `msg` to gateway `venue`, waiting for room while draining its reports.
    fn push(&mut self, venue: VenueId, mut msg: Outbound) {
        let venue = venue.index();
        self.counts.requests += u64::from(matches!(msg, Outbound::Request { .. }));
        if self.stopped[venue] {
            self.counts.unaccounted += u64::from(matches!(msg, Outbound::Request { .. }));
            return;
        }
        while let Err(back) = self.commands[venue].push(msg) {
            // Back-pressure: wait, but keep the gateway's reports moving.
            self.counts.command_ring_full += 1;
            while let Some(r) = self.reports[venue].pop() {
                self.backlog[venue].push_back(r);
            }
            msg = back;
            std::hint::spin_loop();
        }
    }

    /// Hands `r` to the recorder, waiting for room: records are never dropped.
    fn journal(&mut self, r: Record) {
        let Some(tx) = self.journal.as_mut() else {
            return;
        };
        let mut msg = Journal::Record(r);
        while let Err(back) = tx.push(msg) {
            self.counts.journal_ring_full += 1;
            msg = back;
            std::hint::spin_loop();
        }
    }

    fn end_journal(&mut self) {
        if let Some(tx) = self.journal.as_mut() {
            let mut msg = Journal::End;
            while let Err(back) = tx.push(msg) {
                msg = back;
                std::hint::spin_loop();
            }
        }
    }
}
