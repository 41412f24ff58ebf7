//! The virtual-time driver: one [`Engine`] against [`SimExchange`] venues, with no
//! thread and no clock, so a run is deterministic and a seed replays exactly.
//!
//! Time jumps to the next event, the earliest of: a venue's delivery coming due, the
//! engine's timeout ([`Engine::poll_timeout`]) and the script's next market move
//! ([`Script::next_move`]). At one instant the script moves first, then every delivery
//! due is handed to the engine (venue by venue), then the engine's timeout fires. After
//! each engine input the driver drains the engine's outputs at once: requests go to
//! their venue at the same instant, records to the [`Observer`].
//!
//! The simulation tests (`tests/dst_groups.rs`, `tests/scenario/`) run the production
//! engine through this driver; the [`Observer`] lets them see what left and arrived
//! without copying any of the engine's logic. A [`Mutation`] makes the driver corrupt
//! what the engine sent, so a test can show that its invariants catch a wrong unwind.

use super::{SimError, SimExchange};
use crate::engine::{Engine, Output, Prepared};
use crate::index::{BookId, VenueId};
use crate::journal::Record;
use crate::strategy::Strategy;
use crate::venue::{Delivery, Request};

/// What a test may watch as the driver runs (every method does nothing by default).
pub trait Observer<S> {
    /// `out` left the engine at `now` (a request is sent to its venue right after).
    fn sent(&mut self, _engine: &Engine<S>, _out: &Output, _now: u64) {}
    /// `delivery` from venue `venue` is about to reach the engine at `now`.
    fn delivering(&mut self, _engine: &Engine<S>, _venue: VenueId, _d: &Delivery, _now: u64) {}
    /// The engine emitted journal record `r`.
    fn record(&mut self, _engine: &Engine<S>, _r: &Record) {}
}

/// An observer that watches nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unobserved;

impl<S> Observer<S> for Unobserved {}

/// Scripted market moves around a run.
pub trait Script<S> {
    /// When the script next moves the market (`None`: not any more).
    fn next_move(&self, drive: &Drive<S>) -> Option<u64>;
    /// Moves the market at `drive.now()`: changes the venues' books and tells the engine
    /// the tops it sees ([`Drive::top`]).
    fn on_move(&mut self, drive: &mut Drive<S>, obs: &mut dyn Observer<S>) -> Result<(), SimError>;
}

/// No market moves.
#[derive(Debug, Clone, Copy, Default)]
pub struct Still;

impl<S> Script<S> for Still {
    fn next_move(&self, _: &Drive<S>) -> Option<u64> {
        None
    }

    fn on_move(&mut self, _: &mut Drive<S>, _: &mut dyn Observer<S>) -> Result<(), SimError> {
        Ok(())
    }
}

/// A deliberate corruption of what the engine sends, for mutation tests of invariants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutation {
    /// Every unwind (a reduce-only order) leaves for its venue at twice its size.
    UnwindDoubled,
    /// Every unwind leaves on the wrong side (it adds to the position it should reduce).
    UnwindFlipped,
}

/// Why a driven run stopped short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DriveError {
    /// A simulated venue refused a call.
    #[error("simulated venue: {0}")]
    Sim(#[from] SimError),
    /// Virtual time passed the run's limit before the engine was done.
    #[error("no quiescence by {now_ns} ns")]
    NoQuiescence {
        /// Virtual time then.
        now_ns: u64,
    },
    /// Nothing is due, yet the engine is not done.
    #[error("stuck at {now_ns} ns: nothing due and the engine not done")]
    Stuck {
        /// Virtual time then.
        now_ns: u64,
    },
}

/// An engine and its simulated venues in virtual time. See the module doc.
#[derive(Debug)]
pub struct Drive<S> {
    /// The engine.
    pub engine: Engine<S>,
    /// Venue `i` is gateway `i` of the engine's plans.
    pub venues: Vec<SimExchange>,
    now: u64,
    mutation: Option<Mutation>,
    mutated: u64,
}

impl<S: Strategy> Drive<S> {
    /// `engine` against `venues`, at virtual time 0.
    pub fn new(engine: Engine<S>, venues: Vec<SimExchange>) -> Drive<S> {
        Drive {
            engine,
            venues,
            now: 0,
            mutation: None,
            mutated: 0,
        }
    }

    /// Corrupts what the engine sends by `m` (see [`Mutation`]).
    pub fn with_mutation(mut self, m: Mutation) -> Drive<S> {
        self.mutation = Some(m);
        self
    }

    /// Requests the mutation corrupted.
    pub fn mutated(&self) -> u64 {
        self.mutated
    }

    /// Virtual time, ns.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Hands `job` to the engine now.
    pub fn add_job(&mut self, job: Prepared, obs: &mut dyn Observer<S>) -> Result<(), SimError> {
        self.engine.handle_job(job, self.now);
        self.flush(obs)
    }

    /// The top of `venue`'s book `book` as the engine now sees it (`bid`, `ask` ticks).
    pub fn top(
        &mut self,
        venue: VenueId,
        book: BookId,
        (bid, ask): (i64, i64),
        obs: &mut dyn Observer<S>,
    ) -> Result<(), SimError> {
        self.engine.handle_top(venue, book, bid, ask, self.now);
        self.flush(obs)
    }

    /// The next instant something happens.
    pub fn next_event(&self, script: &dyn Script<S>) -> Option<u64> {
        let due = self.venues.iter().filter_map(SimExchange::next_due);
        let timeout = self.engine.poll_timeout().into_iter();
        due.chain(timeout).chain(script.next_move(self)).min()
    }

    /// Runs every event up to and including `t`, then sets the time to `t`.
    pub fn run_until(
        &mut self,
        t: u64,
        script: &mut dyn Script<S>,
        obs: &mut dyn Observer<S>,
    ) -> Result<(), SimError> {
        while let Some(next) = self.next_event(script).filter(|&n| n <= t) {
            self.now = self.now.max(next);
            self.turn(script, obs)?;
        }
        self.now = self.now.max(t);
        Ok(())
    }

    /// Moves time to the next event and runs it; `false` when nothing is due.
    pub fn step(
        &mut self,
        script: &mut dyn Script<S>,
        obs: &mut dyn Observer<S>,
    ) -> Result<bool, SimError> {
        let Some(next) = self.next_event(script) else {
            return Ok(false);
        };
        self.now = self.now.max(next);
        self.turn(script, obs)?;
        Ok(true)
    }

    /// Runs until the engine is done and nothing is in flight, within `limit_ns`.
    pub fn run_to_end(
        &mut self,
        limit_ns: u64,
        script: &mut dyn Script<S>,
        obs: &mut dyn Observer<S>,
    ) -> Result<(), DriveError> {
        while !self.quiet() {
            let now_ns = self.now;
            let next = self
                .next_event(script)
                .ok_or(DriveError::Stuck { now_ns })?;
            self.now = now_ns.max(next);
            if self.now >= limit_ns {
                return Err(DriveError::NoQuiescence { now_ns: self.now });
            }
            self.turn(script, obs)?;
        }
        Ok(())
    }

    /// The engine is done and no venue has anything in flight.
    pub fn quiet(&self) -> bool {
        self.engine.is_done() && self.venues.iter().all(|x| x.in_flight() == 0)
    }

    /// One instant: the script's move, the deliveries due, the engine's timeout.
    fn turn(
        &mut self,
        script: &mut dyn Script<S>,
        obs: &mut dyn Observer<S>,
    ) -> Result<(), SimError> {
        if script.next_move(self).is_some_and(|t| t <= self.now) {
            script.on_move(self, obs)?;
        }
        for v in 0..self.venues.len() {
            self.deliver(v, obs)?;
        }
        if self.engine.poll_timeout().is_some_and(|t| t <= self.now) {
            self.engine.handle_timeout(self.now);
            self.flush(obs)?;
        }
        Ok(())
    }

    /// Hands every delivery of venue `v` due now to the engine.
    fn deliver(&mut self, v: usize, obs: &mut dyn Observer<S>) -> Result<(), SimError> {
        let mut out: arrayvec::ArrayVec<Delivery, 1> = arrayvec::ArrayVec::new();
        while self.venues[v].poll(self.now, &mut out)? {
            if let Some(d) = out.pop() {
                obs.delivering(&self.engine, VenueId::new(v), &d, self.now);
                self.engine
                    .handle_report(VenueId::new(v), d, self.now, self.now);
                self.flush(obs)?;
            }
        }
        Ok(())
    }

    /// Sends what the engine decided to its venues now; records go to `obs`.
    fn flush(&mut self, obs: &mut dyn Observer<S>) -> Result<(), SimError> {
        while let Some(out) = self.engine.poll_command() {
            obs.sent(&self.engine, &out, self.now);
            // Market-data forwards need nothing here: a script moves the venues' books.
            if let Output::Request {
                venue,
                book,
                req,
                cmd,
                ..
            } = out
            {
                let req = self.mutate(req, &cmd);
                self.venues[venue.index()].send(book, req, self.now)?;
            }
        }
        while let Some(r) = self.engine.poll_record() {
            obs.record(&self.engine, &r);
        }
        Ok(())
    }

    fn mutate(&mut self, req: Request, cmd: &crate::group::GroupCommand) -> Request {
        let (Some(m), Request::New(mut o)) = (self.mutation, req) else {
            return req;
        };
        if !matches!(
            cmd.cmd,
            crate::leg::Command::Submit {
                reduce_only: true,
                ..
            }
        ) {
            return req;
        }
        self.mutated += 1;
        match m {
            Mutation::UnwindDoubled => o.qty_lots = o.qty_lots.saturating_mul(2),
            Mutation::UnwindFlipped => o.side = o.side.opposite(),
        }
        Request::New(o)
    }
}
