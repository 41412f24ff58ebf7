//! The gateway thread: it drives any [`Gateway`] (the venue protocol's seam, in
//! [`crate::venue`]) between the loop's rings.
//!
//! A gateway thread pops [`Outbound`] requests from its command ring, hands them to its
//! gateway, polls the gateway for deliveries and pushes them as [`Inbound`] on its report
//! ring. Reports are never dropped: a full report ring is waited on (and counted).
//!
//! Shutdown has two phases, so that no venue stops while another may still deliver a
//! fill that needs it: on [`Outbound::Drain`] the gateway keeps working and answers
//! [`Inbound::Drained`] once it has nothing in flight and its command ring is empty; only
//! on [`Outbound::Stop`], which the loop sends when every gateway drained and nothing was
//! sent since, does it finish what is left, send [`Inbound::Stopped`] and return its
//! telemetry.
//!
//! [`run_gateway`] drives a network venue: it has its own books, so a market-data line
//! sent to it is counted ([`GatewayStats::md_ignored`]) and not applied.
//! [`run_local_gateway`] drives a [`LocalVenue`] (the simulator, in real time: its
//! latency model is applied against the shared [`Clock`]), whose books follow the
//! replayed feed lines.

use std::sync::Arc;

use arrayvec::ArrayVec;

use super::clock::Clock;
use super::live_feeder::MD_RESET;
use super::ring::{Consumer, Producer};
use super::wait::{Idle, Wait};
use crate::feed::{BookFeed, Tape};
use crate::index::BookId;
use crate::telemetry::{Stage, Telemetry};
use crate::venue::{Delivery, Gateway, GatewayError, LocalVenue, OrderRef, Request};

/// A feed the gateway's venue book follows: the tape, the book it updates, its sync.
#[derive(Debug)]
pub struct GatewayFeed {
    /// The capture (empty for a live feed: its lines come with their bytes).
    pub tape: Arc<Tape>,
    /// The venue book it feeds.
    pub book: BookId,
    /// The sync rules.
    pub sync: BookFeed,
    /// A live feed's line buffers go back to its thread here (see `live_feeder`).
    pub recycle: Option<Producer<Vec<u8>>>,
}

/// A message from the loop to a gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outbound {
    /// A request, stamped when the loop pushed it and with the time of the event that
    /// caused it (for ring-hop and tick-to-order latency).
    Request {
        /// The book (instrument) on the venue.
        book: BookId,
        /// The request.
        req: Request,
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
        /// The line in its tape (a live feed's: its count, or `MD_RESET`).
        line: u32,
        /// A live line's bytes (see `live_feeder`).
        buf: Option<Vec<u8>>,
    },
    /// Say [`Inbound::Drained`] with this round once nothing is in flight; keep working.
    Drain(u32),
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
    Failed(GatewayError),
    /// Nothing was in flight and the command ring was empty, after the loop's
    /// [`Outbound::Drain`] of this round.
    Drained(u32),
    /// Nothing is in flight and the gateway has stopped.
    Stopped,
    /// The venue's own rate-limit use changed (thousandths; sent when it moves into
    /// another twentieth), for risk.
    VenueLoad(u16),
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
    /// Market-data lines sent to a gateway that keeps its own books (not applied).
    pub md_ignored: u64,
    /// Whether the thread was pinned where asked.
    pub pinned: Option<bool>,
    /// Ring hop and tick-to-order latencies measured here.
    pub telemetry: Telemetry,
}

/// Where and how a gateway thread runs.
#[derive(Debug)]
pub struct GatewayThread {
    /// Requests and market data from the loop.
    pub commands: Consumer<Outbound>,
    /// Deliveries to the loop.
    pub reports: Producer<Inbound>,
    /// The shared clock.
    pub clock: Clock,
    /// The core to pin it to, if any.
    pub core: Option<core_affinity::CoreId>,
    /// Its idle policy.
    pub wait: Wait,
}

/// Runs the network gateway `gw` until stopped, then returns it with the thread's
/// counts. See the module doc.
pub fn run_gateway<G: Gateway>(gw: G, thread: GatewayThread) -> (G, GatewayStats) {
    pump(gw, thread, |_, _, _, _, _, stats| {
        stats.md_ignored += 1;
        Ok(())
    })
}

/// Runs the local (simulated) venue `gw`, whose books follow `feeds`, until stopped,
/// then returns it (for its ledgers) with the thread's counts. See the module doc.
pub fn run_local_gateway<G: LocalVenue>(
    gw: G,
    mut feeds: Vec<Option<GatewayFeed>>,
    thread: GatewayThread,
) -> (G, GatewayStats) {
    pump(gw, thread, move |gw: &mut G, feed, line, buf, now, _| {
        let Some(Some(f)) = feeds.get_mut(feed) else {
            return Ok(());
        };
        if let Some(ladder) = gw.book_ladder(f.book) {
            match &buf {
                _ if line == MD_RESET => f.sync.reset(ladder),
                Some(b) => {
                    f.sync.on_line(ladder, b);
                }
                None => {
                    f.sync.on_line(ladder, f.tape.line(line as usize));
                }
            }
        }
        if let (Some(b), Some(r)) = (buf, f.recycle.as_mut()) {
            // A full recycle ring frees the buffer here; its thread makes another.
            let _ = r.push(b);
        }
        gw.on_book(f.book, now)
    })
}

/// The gateway thread's loop (see the module doc); `on_md` handles market-data line
/// `line` of feed `feed` (its bytes, for a live feed) at `now`.
fn pump<G, F>(mut gw: G, thread: GatewayThread, mut on_md: F) -> (G, GatewayStats)
where
    G: Gateway,
    F: FnMut(
        &mut G,
        usize,
        u32,
        Option<Vec<u8>>,
        u64,
        &mut GatewayStats,
    ) -> Result<(), GatewayError>,
{
    let GatewayThread {
        mut commands,
        reports,
        clock,
        core,
        wait,
    } = thread;
    let mut p = Pump {
        reports,
        stats: GatewayStats {
            pinned: core.map(core_affinity::set_for_current),
            ..GatewayStats::default()
        },
        sent: ArrayVec::new(),
        load: None,
    };
    let mut idle = Idle::new(wait);
    let (mut stopping, mut draining) = (false, None);
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
                } => p.request(&mut gw, book, req, (pushed_ns, cause_ns), now),
                Outbound::Md { feed, line, buf } => {
                    if let Err(e) = on_md(&mut gw, feed, line, buf, now, &mut p.stats) {
                        p.push(Inbound::Failed(e));
                    }
                }
                Outbound::Drain(round) => draining = Some(round),
                Outbound::Stop => stopping = true,
            }
        }
        let now = clock.now_ns();
        worked |= p.poll(&mut gw, now, &clock);
        p.load(&gw);
        let quiet = gw.in_flight() == 0 && commands.is_empty();
        if let (Some(round), true) = (draining, quiet) {
            draining = None;
            p.push(Inbound::Drained(round));
        }
        if stopping && quiet {
            p.push(Inbound::Stopped);
            return (gw, p.stats);
        }
        if worked {
            idle.busy();
        } else {
            idle.idle(now);
        }
    }
}

/// A gateway thread's state besides its gateway and command ring.
struct Pump {
    reports: Producer<Inbound>,
    stats: GatewayStats,
    /// Send times of requests awaiting their first report, for the venue round trip.
    sent: ArrayVec<(OrderRef, u64), 256>,
    /// The venue load last passed on.
    load: Option<u16>,
}

impl Pump {
    fn push(&mut self, msg: Inbound) {
        push(&mut self.reports, msg, &mut self.stats);
    }

    /// Hands `req` to the gateway at `now`; `(pushed_ns, cause_ns)` time its hops.
    fn request<G: Gateway>(
        &mut self,
        gw: &mut G,
        book: BookId,
        req: Request,
        (pushed_ns, cause_ns): (u64, u64),
        now: u64,
    ) {
        let t = &mut self.stats.telemetry;
        t.record(Stage::RingHop, now.saturating_sub(pushed_ns));
        if let Request::New(_) = req {
            t.record(Stage::TickToOrder, now.saturating_sub(cause_ns));
        }
        self.stats.requests += 1;
        if self.sent.is_full() {
            self.sent.remove(0); // the oldest never answered: stop waiting for it
        }
        self.sent.push((req.order(), now));
        if let Err(e) = gw.send(book, req, now) {
            self.push(Inbound::Failed(e));
        }
    }

    /// Passes on the venue's rate-limit use when it moved into another twentieth.
    fn load<G: Gateway>(&mut self, gw: &G) {
        let Some(u) = gw.rate_limit_use() else {
            return;
        };
        if self.load.map(|l| l / 50) != Some(u / 50) {
            self.load = Some(u);
            self.push(Inbound::VenueLoad(u));
        }
    }

    /// Passes on one delivery due by `now`, if any; whether there was work.
    fn poll<G: Gateway>(&mut self, gw: &mut G, now: u64, clock: &Clock) -> bool {
        let d = match gw.poll(now) {
            Ok(Some(d)) => d,
            Ok(None) => return false,
            Err(e) => {
                self.push(Inbound::Failed(e));
                return false;
            }
        };
        if let Delivery::Report { report, .. } = d {
            if let Some(k) = self.sent.iter().position(|s| s.0 == report.order) {
                let rtt = now.saturating_sub(self.sent[k].1);
                self.stats.telemetry.record(Stage::VenueRoundTrip, rtt);
                self.sent.swap_remove(k);
            }
        }
        let msg = Inbound::Delivery {
            delivery: d,
            pushed_ns: clock.now_ns(),
        };
        self.push(msg);
        self.stats.deliveries += 1;
        true
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
