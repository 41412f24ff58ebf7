//! [`SimExchange`]: a simulated venue as a client sees it, through one connection with
//! latency and faults.
//!
//! It holds one [`SimVenue`] book per instrument and a queue of messages in flight.
//! Requests travel to the venue, reports travel back, each with a latency drawn from the
//! [`Latency`] model; the venue acts on a request when it arrives. A connection keeps
//! order (TCP): requests arrive in the order sent, reports in the order made, unless a
//! `reorder` fault lets one skip the line. The [`FaultPlan`] decides, per opportunity,
//! which faults hit (see its table); [`FaultCounts`] says how often each did.
//!
//! Fills travel on the execution stream and are never lost: a fill made during a
//! disconnect, or in flight when it starts, is delivered after the reconnect (as a
//! gateway's recovery fetches missed trades). Answers (acks, rejects, expiries, status)
//! can be lost; the client's request timeouts and status queries resolve them. A
//! disconnect delivers `Disconnected` at once, `Connected` when the link is back and
//! `Resynced` after the last fill held over the outage.
//!
//! Sans-IO and deterministic: time is an argument, randomness is one seeded [`Rng`],
//! the queue is preallocated ([`MAX_IN_FLIGHT`]) and nothing allocates after `new`.

use arrayvec::ArrayVec;

use super::fault::{Fault, FaultCounts, FaultPlan};
use super::{Latency, Rng, SimError, SimVenue, MAX_IOC_LEVELS};
use crate::book::Ladder;
use crate::index::BookId;
use crate::venue::{Delivery, Gateway, GatewayError, LocalVenue, Request, TimeInForce};
use crate::venue::{RejectReason, Report, ReportKind, VenueState};

/// Messages one exchange can hold in flight.
pub const MAX_IN_FLIGHT: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Msg {
    Request { book: BookId, req: Request },
    Report { book: BookId, report: Report },
    Link(Link),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Down,
    Up,
    /// After the fills held during an outage.
    Resynced,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct InFlight {
    due_ns: u64,
    seq: u64,
    msg: Msg,
}

/// A simulated venue behind a faulty connection. See the module doc.
#[derive(Debug, Clone)]
pub struct SimExchange {
    books: Vec<SimVenue>,
    latency: Latency,
    plan: FaultPlan,
    rng: Rng,
    queue: Vec<InFlight>,
    seq: u64,
    last_request_due: u64,
    last_report_due: u64,
    down_until: u64,
    counts: FaultCounts,
}

fn is_fill(r: &Report) -> bool {
    r.kind.is_fill()
}

impl SimExchange {
    /// An exchange over `books` (one per instrument), with its latency and faults,
    /// seeded by `seed`.
    pub fn new(books: Vec<SimVenue>, latency: Latency, plan: FaultPlan, seed: u64) -> Self {
        SimExchange {
            books,
            latency,
            plan,
            rng: Rng::new(seed),
            queue: Vec::with_capacity(MAX_IN_FLIGHT),
            seq: 0,
            last_request_due: 0,
            last_report_due: 0,
            down_until: 0,
            counts: FaultCounts::default(),
        }
    }

    /// The books, for checks against the venue's own ledgers.
    pub fn books(&self) -> &[SimVenue] {
        &self.books
    }

    /// One book, for the feed to update (call [`on_book`](Self::on_book) after).
    pub fn book_mut(&mut self, book: BookId) -> Result<&mut SimVenue, SimError> {
        self.books
            .get_mut(book.index())
            .ok_or(SimError::UnknownVenue(book))
    }

    /// The fault plan.
    pub fn plan(&self) -> &FaultPlan {
        &self.plan
    }

    /// Changes the fault plan from now on (a scenario can fault only its unwinds).
    pub fn set_plan(&mut self, plan: FaultPlan) {
        self.plan = plan;
    }

    /// How often each fault hit so far.
    pub fn counts(&self) -> &FaultCounts {
        &self.counts
    }

    /// When the next message is due, if any is in flight.
    pub fn next_due(&self) -> Option<u64> {
        self.queue.iter().map(|m| m.due_ns).min()
    }

    /// Messages in flight.
    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }

    /// A new run drives this exchange on a clock that starts again at 0 (a resume's
    /// unwind rounds): the link is up and the due times kept for ordering start again,
    /// so that a disconnect or a late message of the last run does not reach into this
    /// one as if its clock had not restarted. Messages still in flight keep their times.
    pub fn restart_clock(&mut self) {
        self.down_until = 0;
        self.last_request_due = 0;
        self.last_report_due = 0;
    }

    /// Draws the faults from `seed` from now on: a venue restored from its saved state is
    /// a new session, and must not replay the draws of the session before it (a restart
    /// would otherwise meet the same lost request every time).
    pub fn reseed(&mut self, seed: u64) {
        self.rng = Rng::new(seed);
    }

    /// The connection is down at `now_ns`.
    pub fn is_down(&self, now_ns: u64) -> bool {
        now_ns < self.down_until
    }

    /// Sends a request at `now_ns`. It may be lost (a fault, or the connection is down):
    /// the client finds out by its request timeout, as with a real venue.
    pub fn send(&mut self, book: BookId, req: Request, now_ns: u64) -> Result<(), SimError> {
        if book.index() >= self.books.len() {
            return Err(SimError::UnknownVenue(book));
        }
        if self.is_down(now_ns) {
            return Ok(());
        }
        if self.roll(Fault::Disconnect) {
            return self.disconnect(now_ns);
        }
        if self.roll(Fault::LostRequest) {
            return Ok(());
        }
        let due = now_ns
            .saturating_add(self.delay())
            .max(self.last_request_due);
        self.last_request_due = due;
        self.push(due, Msg::Request { book, req })
    }

    /// Delivers the earliest message due by `now_ns`: a report or link event goes to
    /// `out` (one free slot needed); a request is acted on by the venue at its arrival
    /// time. Returns false when nothing was due.
    pub fn poll<const N: usize>(
        &mut self,
        now_ns: u64,
        out: &mut ArrayVec<Delivery, N>,
    ) -> Result<bool, SimError> {
        if out.is_full() {
            return Err(SimError::BufferFull(1));
        }
        let next = self
            .queue
            .iter()
            .enumerate()
            .filter(|(_, m)| m.due_ns <= now_ns)
            .min_by_key(|(_, m)| (m.due_ns, m.seq))
            .map(|(i, _)| i);
        let Some(i) = next else {
            return Ok(false);
        };
        let m = self.queue.swap_remove(i);
        match m.msg {
            Msg::Report { book, report } => out.push(Delivery::Report { book, report }),
            Msg::Link(Link::Up) => out.push(Delivery::Connected),
            Msg::Link(Link::Down) => out.push(Delivery::Disconnected),
            Msg::Link(Link::Resynced) => out.push(Delivery::Resynced),
            Msg::Request { book, req } => self.act(book, req, m.due_ns)?,
        }
        Ok(true)
    }

    /// After the feed changed `book`: fills resting orders the market traded through
    /// (a `partial_fill` fault may cut them).
    pub fn on_book(&mut self, book: BookId, now_ns: u64) -> Result<(), SimError> {
        let cap = if self.roll(Fault::PartialFill) {
            1
        } else {
            i64::MAX
        };
        let mut reps: ArrayVec<Report, { super::MAX_RESTING }> = ArrayVec::new();
        self.book_mut(book)?
            .on_book_capped(cap, now_ns, &mut reps)?;
        for r in reps {
            self.report(book, r, now_ns)?;
        }
        Ok(())
    }

    /// Whether a feed-side fault (`StaleBook`, `PriceJump`) hits this update; counted.
    /// Other faults are never rolled here.
    pub fn feed_fault(&mut self, fault: Fault) -> bool {
        matches!(fault, Fault::StaleBook | Fault::PriceJump) && self.roll(fault)
    }

    /// The venue acts on a request that arrived at `t`.
    fn act(&mut self, book: BookId, req: Request, t: u64) -> Result<(), SimError> {
        let mut reps: ArrayVec<Report, { MAX_IOC_LEVELS + 2 }> = ArrayVec::new();
        let mut late_fill = None;
        match req {
            Request::New(o) if self.roll(Fault::Reject) => {
                reps.push(Report::new(
                    o.order,
                    ReportKind::Reject(RejectReason::Unavailable),
                ));
            }
            Request::New(o) => {
                let cap = if o.tif == TimeInForce::Ioc && self.roll(Fault::PartialFill) {
                    self.rng.below(o.qty_lots.max(1) as u64) as i64
                } else {
                    i64::MAX
                };
                self.books[book.index()].submit_capped(o, cap, t, &mut reps)?;
            }
            Request::Cancel(client_id) => {
                if self.plan.fill_after_cancel_ppm > 0
                    && self.books[book.index()].resting_orders() > 0
                {
                    let lots = 1 + self.rng.below(3) as i64;
                    if self.roll(Fault::FillAfterCancel) {
                        late_fill = self.books[book.index()].fill_resting(client_id, lots, t);
                    }
                }
                self.books[book.index()].cancel(client_id, &mut reps)?;
            }
            Request::Query(client_id) => self.books[book.index()].query(client_id, &mut reps)?,
        }
        let lose_answers = reps.iter().any(|r| !is_fill(r)) && self.roll(Fault::LostReply);
        for r in reps {
            if is_fill(&r) || !lose_answers {
                self.report(book, r, t)?;
            }
        }
        if let Some(f) = late_fill {
            // Matched before the cancel, reported after its ack.
            let due = self.last_report_due.saturating_add(1 + self.delay());
            self.push(due, Msg::Report { book, report: f })?;
        }
        Ok(())
    }

    /// Queues a report made at `t` for the client.
    fn report(&mut self, book: BookId, r: Report, t: u64) -> Result<(), SimError> {
        let fill = is_fill(&r);
        if self.is_down(t) && !fill {
            return Ok(());
        }
        let mut due = t.saturating_add(self.delay());
        if self.roll(Fault::Reorder) {
            due = due.saturating_add(self.delay()); // late, and out of line
        } else {
            due = due.max(self.last_report_due);
            self.last_report_due = due;
        }
        if fill {
            due = due.max(self.down_until);
        }
        self.push(due, Msg::Report { book, report: r })?;
        if self.roll(Fault::Duplicate) {
            let again = due.saturating_add(self.delay());
            self.push(again, Msg::Report { book, report: r })?;
        }
        Ok(())
    }

    /// The connection drops at `now_ns` for the plan's `disconnect_ns`.
    fn disconnect(&mut self, now_ns: u64) -> Result<(), SimError> {
        self.down_until = now_ns.saturating_add(self.plan.disconnect_ns.max(1));
        for b in &mut self.books {
            b.cancel_all_silently();
        }
        // Requests and answers in flight are lost; fills wait for the reconnect.
        self.queue.retain(|m| match m.msg {
            Msg::Report { report, .. } => is_fill(&report),
            Msg::Link(_) => true,
            Msg::Request { .. } => false,
        });
        let up = self.down_until;
        let mut held_until = up;
        for i in 0..self.queue.len() {
            if matches!(self.queue[i].msg, Msg::Report { .. }) {
                let d = up.saturating_add(self.delay());
                self.queue[i].due_ns = self.queue[i].due_ns.max(d);
                held_until = held_until.max(self.queue[i].due_ns);
            }
        }
        self.last_request_due = self.last_request_due.max(up);
        self.last_report_due = self.last_report_due.max(up);
        self.push(now_ns, Msg::Link(Link::Down))?;
        self.push(up, Msg::Link(Link::Up))?;
        // After every fill held over the outage (it is queued after them).
        self.push(held_until, Msg::Link(Link::Resynced))
    }

    fn roll(&mut self, fault: Fault) -> bool {
        let hit = self.rng.chance(self.plan.rate(fault));
        if hit {
            self.counts.hit(fault);
        }
        hit
    }

    fn delay(&mut self) -> u64 {
        let mut d = self.latency.sample(&mut self.rng);
        if self.roll(Fault::Spike) {
            d = d.saturating_add(self.plan.spike_ns);
        }
        d
    }

    fn push(&mut self, due_ns: u64, msg: Msg) -> Result<(), SimError> {
        if self.queue.len() >= MAX_IN_FLIGHT {
            return Err(SimError::QueueFull(MAX_IN_FLIGHT));
        }
        self.seq += 1;
        self.queue.push(InFlight {
            due_ns,
            seq: self.seq,
            msg,
        });
        Ok(())
    }
}

impl Gateway for SimExchange {
    fn send(&mut self, book: BookId, req: Request, now_ns: u64) -> Result<(), GatewayError> {
        Ok(SimExchange::send(self, book, req, now_ns)?)
    }

    fn poll(&mut self, now_ns: u64) -> Result<Option<Delivery>, GatewayError> {
        let mut out: ArrayVec<Delivery, 1> = ArrayVec::new();
        // A request acted on yields no delivery: poll again until one or none is due.
        while SimExchange::poll(self, now_ns, &mut out)? {
            if let Some(d) = out.pop() {
                return Ok(Some(d));
            }
        }
        Ok(None)
    }

    fn in_flight(&self) -> usize {
        SimExchange::in_flight(self)
    }
}

impl LocalVenue for SimExchange {
    fn book_ladder(&mut self, book: BookId) -> Option<&mut Ladder> {
        self.book_mut(book).ok().map(|b| b.ladder_mut())
    }

    fn on_book(&mut self, book: BookId, now_ns: u64) -> Result<(), GatewayError> {
        Ok(SimExchange::on_book(self, book, now_ns)?)
    }

    fn changes(&self) -> u64 {
        self.books.iter().map(SimVenue::changes).sum()
    }

    fn records(&self) -> Vec<VenueState> {
        self.books.iter().map(SimVenue::state).collect()
    }

    fn ledger(&self, book: BookId) -> Option<(i64, i128)> {
        let b = self.books.get(book.index())?;
        Some((b.position_lots(), b.cash_tl()))
    }
}

#[cfg(test)]
mod tests;
