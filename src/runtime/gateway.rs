//! The seam to venues: the [`Gateway`] trait, the messages on the rings around it, and
//! the gateway thread that drives one.
//!
//! A gateway thread pops [`Outbound`] requests from its command ring, hands them to its
//! gateway, polls the gateway for deliveries and pushes them as [`Inbound`] on its report
//! ring. Reports are never dropped: a full report ring is waited on (and counted). On
//! [`Outbound::Stop`] it keeps polling until the gateway has nothing in flight and its
//! command ring is empty, then sends [`Inbound::Stopped`] and returns its telemetry.
//! [`SimExchange`] runs behind the trait in real time: its latency model is applied
//! against the shared [`Clock`].

use std::sync::Arc;

use super::ring::{Consumer, Producer};
use super::wait::{Idle, Wait};
use crate::book::Ladder;
use crate::feed::{BookFeed, Tape};
use crate::sim::{Delivery, SimError, SimExchange, VenueRequest};
use crate::telemetry::{Clock, Stage, Telemetry};

/// A venue connection as the runtime sees it.
pub trait Gateway: Send + 'static {
    /// Sends a request for `book` at `now_ns`.
    fn send(&mut self, book: usize, req: VenueRequest, now_ns: u64) -> Result<(), SimError>;
    /// Delivers what is due by `now_ns`, one delivery per call: `Ok(None)` when nothing.
    fn poll(&mut self, now_ns: u64) -> Result<Option<Delivery>, SimError>;
    /// Requests or reports still on their way.
    fn in_flight(&self) -> usize;
    /// The venue's book `book`, for the market-data feed to update.
    fn book_ladder(&mut self, book: usize) -> Option<&mut Ladder>;
    /// After the feed changed `book`: the venue matches what the market traded through.
    fn on_book(&mut self, book: usize, now_ns: u64) -> Result<(), SimError>;
}

impl Gateway for SimExchange {
    fn send(&mut self, book: usize, req: VenueRequest, now_ns: u64) -> Result<(), SimError> {
        SimExchange::send(self, book, req, now_ns)
    }

    fn poll(&mut self, now_ns: u64) -> Result<Option<Delivery>, SimError> {
        let mut out: arrayvec::ArrayVec<Delivery, 1> = arrayvec::ArrayVec::new();
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

    fn book_ladder(&mut self, book: usize) -> Option<&mut Ladder> {
        self.book_mut(book).ok().map(|b| b.ladder_mut())
    }

    fn on_book(&mut self, book: usize, now_ns: u64) -> Result<(), SimError> {
        SimExchange::on_book(self, book, now_ns)
    }
}

/// A feed the gateway's venue book follows: the tape, the book it updates, its sync.
#[derive(Debug)]
pub struct GatewayFeed {
    /// The capture.
    pub tape: Arc<Tape>,
    /// The venue book it feeds.
    pub book: usize,
    /// The sync rules.
    pub sync: BookFeed,
}

/// A message from the loop to a gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outbound {
    /// A request, stamped when the loop pushed it and with the time of the event that
    /// caused it (for ring-hop and tick-to-order latency).
    Request {
        /// The book (instrument) on the venue.
        book: usize,
        /// The request.
        req: VenueRequest,
        /// When the loop pushed it, ns.
        pushed_ns: u64,
        /// When the event that caused it reached the loop, ns.
        cause_ns: u64,
    },
    /// A market-data line of feed `feed` (an index into the run's feeds) for the
    /// venue's own book.
    Md {
        /// The feed.
        feed: usize,
        /// The line in its tape.
        line: u32,
    },
    /// Finish what is in flight, then stop.
    Stop,
}

/// A message from a gateway to the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inbound {
    /// A delivery from the venue, stamped when the gateway pushed it.
    Delivery {
        /// What the venue delivered.
        delivery: Delivery,
        /// When the gateway pushed it, ns.
        pushed_ns: u64,
    },
    /// The gateway refused a request (its own limits, not a venue reject).
    Failed(SimError),
    /// Nothing is in flight and the gateway has stopped.
    Stopped,
}

/// Counts a gateway thread returns.
#[derive(Debug, Clone, Default)]
pub struct GatewayStats {
    /// Requests handed to the gateway.
    pub requests: u64,
    /// Deliveries pushed to the loop.
    pub deliveries: u64,
    /// Turns the report ring was full (back-pressure; nothing dropped).
    pub report_ring_full: u64,
    /// Whether the thread was pinned where asked.
    pub pinned: Option<bool>,
    /// Ring hop and tick-to-order latencies measured here.
    pub telemetry: Telemetry,
}

/// Runs `gw` until stopped, then returns it (for its ledgers) with the thread's counts.
/// See the module doc.
pub fn run_gateway<G: Gateway>(
    mut gw: G,
    mut feeds: Vec<Option<GatewayFeed>>,
    mut commands: Consumer<Outbound>,
    mut reports: Producer<Inbound>,
    clock: Clock,
    core: Option<core_affinity::CoreId>,
    wait: Wait,
) -> (G, GatewayStats) {
    let mut stats = GatewayStats {
        pinned: core.map(core_affinity::set_for_current),
        ..GatewayStats::default()
    };
    let mut idle = Idle::new(wait);
    let mut stopping = false;
    // Send times of requests awaiting their first report, for the venue round trip.
    let mut sent: arrayvec::ArrayVec<(u64, u64), 256> = arrayvec::ArrayVec::new();
    loop {
        let mut worked = false;
        if let Some(cmd) = commands.pop() {
            worked = true;
            let now = clock.now_ns();
            match cmd {
                Outbound::Request {
                    book,
                    req,
                    pushed_ns,
                    cause_ns,
                } => {
                    stats
                        .telemetry
                        .record(Stage::RingHop, now.saturating_sub(pushed_ns));
                    if let VenueRequest::Submit(_) = req {
                        let t = now.saturating_sub(cause_ns);
                        stats.telemetry.record(Stage::TickToOrder, t);
                    }
                    stats.requests += 1;
                    let id = match req {
                        VenueRequest::Submit(o) => o.client_id,
                        VenueRequest::Cancel { client_id } | VenueRequest::Query { client_id } => {
                            client_id
                        }
                    };
                    if sent.is_full() {
                        sent.remove(0); // the oldest never answered: stop waiting for it
                    }
                    sent.push((id, now));
                    if let Err(e) = gw.send(book, req, now) {
                        push(&mut reports, Inbound::Failed(e), &mut stats);
                    }
                }
                Outbound::Md { feed, line } => {
                    if let Some(Some(f)) = feeds.get_mut(feed) {
                        if let Some(ladder) = gw.book_ladder(f.book) {
                            f.sync.on_line(ladder, f.tape.line(line as usize));
                        }
                        if let Err(e) = gw.on_book(f.book, now) {
                            push(&mut reports, Inbound::Failed(e), &mut stats);
                        }
                    }
                }
                Outbound::Stop => stopping = true,
            }
        }
        let now = clock.now_ns();
        match gw.poll(now) {
            Ok(Some(d)) => {
                worked = true;
                if let Delivery::Report { report, .. } = d {
                    if let Some(k) = sent.iter().position(|s| s.0 == report.client_id) {
                        let rtt = now.saturating_sub(sent[k].1);
                        stats.telemetry.record(Stage::VenueRoundTrip, rtt);
                        sent.swap_remove(k);
                    }
                }
                let msg = Inbound::Delivery {
                    delivery: d,
                    pushed_ns: clock.now_ns(),
                };
                push(&mut reports, msg, &mut stats);
                stats.deliveries += 1;
            }
            Ok(None) => {}
            Err(e) => push(&mut reports, Inbound::Failed(e), &mut stats),
        }
        if stopping && gw.in_flight() == 0 && commands.is_empty() {
            push(&mut reports, Inbound::Stopped, &mut stats);
            return (gw, stats);
        }
        if worked {
            idle.busy();
        } else {
            idle.idle(now);
        }
    }
}

/// Pushes `msg`, waiting while the loop catches up: reports are never dropped.
fn push(reports: &mut Producer<Inbound>, mut msg: Inbound, stats: &mut GatewayStats) {
    while let Err(back) = reports.push(msg) {
        stats.report_ring_full += 1;
        msg = back;
        std::hint::spin_loop();
    }
}
