//! [`BinanceFixGateway`]: a [`Gateway`] that sends the engine's requests to Binance
//! Spot's FIX order-entry API and delivers its reports, on the gateway thread.
//!
//! It owns the [`Link`] (non-blocking socket, connect bounded by a timeout), the FIX
//! [`Session`] (logon, heartbeats, sequence numbers, reconnect with backoff: driven with
//! the time on every call) and the stream [`Decoder`]. Every `poll` ticks the session,
//! reads what arrived and hands out one delivery; every `send` writes one frame.
//!
//! Times: the runtime's clock counts from the run's start, FIX wants UTC; the gateway
//! takes the wall clock's offset once, at its first call, and adds it (SendingTime) or
//! subtracts it (a fill's TransactTime).
//!
//! While not logged on, a new order or cancel is answered at once with a reject
//! (`Unavailable`): it never left, and the leg should not wait for it. So is one the
//! venue asks for again after a reconnect (the session gap-fills it: it never reached
//! the venue); a resent report already delivered is dropped ([`FixCounts::duplicates`]).
//! Every reject carries the venue's words (code, session reason, tag, text) or, for one
//! that never left, the gateway's. Binance's order
//! entry has no order status request, so a status query is counted
//! ([`FixCounts::queries_unanswered`]) and left to the leg's timeout.
//!
//! In flight ([`Gateway::in_flight`], what a drain waits for): each request sent until
//! its answer (a new order's first report, a cancel's ack or reject), and at most
//! 5 s (`ANSWER_WAIT_NS`; counted [`FixCounts::answers_overdue`]): a venue that never
//! answers cannot hold the run's shutdown forever.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::link::{Link, Received};
use super::orders::{self, Instrument, Sent};
use super::FixVenueConfig;
use crate::fix::codec::{Decoder, Encoder, Frame};
use crate::fix::session::{
    Inbound, Output, SeqNums, Session, SessionConfig, SessionError, SessionState,
};
use crate::fix::sign::{self, CredentialError};
use crate::index::BookId;
use crate::venue::{
    Delivery, Gateway, GatewayError, OrderRef, RejectDetail, RejectReason, Report, ReportKind,
    Request,
};

/// Deliveries held between two polls.
const DELIVERIES: usize = 1_024;
/// Requests remembered for session Rejects.
const SENT: usize = 256;
/// Largest inbound frame.
const MAX_FRAME: usize = 64 * 1024;
/// Outbound bytes not yet taken by the socket.
const OUTBOUND: usize = 64 * 1024;
/// How long a connect may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a request's answer counts as in flight. A venue that never answers must not
/// hold a drain forever; the order itself is the leg's, by its own timeout.
const ANSWER_WAIT_NS: u64 = 5_000_000_000;
/// How often the requests are looked over for overdue answers (not on every poll: the
/// look goes through the remembered requests).
const OVERDUE_CHECK_NS: u64 = 100_000_000;

/// Why the gateway could not be made.
#[derive(Debug, thiserror::Error)]
pub enum FixGatewayError {
    /// The credentials could not be loaded (names where, never the secret).
    #[error(transparent)]
    Credentials(#[from] CredentialError),
    /// The session settings were refused.
    #[error("FIX session: {0}")]
    Session(#[from] crate::fix::session::SessionError),
}

/// Counts of what the gateway saw besides deliveries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FixCounts {
    /// Frames that failed to decode (the link is dropped and re-established).
    pub bad_frames: u64,
    /// Application frames that could not be mapped to a report.
    pub unmapped: u64,
    /// Inputs the session refused.
    pub session_errors: u64,
    /// Status queries (Binance FIX has no status request).
    pub queries_unanswered: u64,
    /// Logons completed.
    pub logons: u64,
    /// Resent messages dropped as already processed.
    pub duplicates: u64,
    /// Requests the venue never received (it asked for them again and we gap-filled),
    /// each reported rejected at once.
    pub never_received: u64,
    /// Requests with no answer within 5 s, no longer counted in flight.
    pub answers_overdue: u64,
}

/// The Binance Spot FIX gateway. See the module doc.
pub struct BinanceFixGateway {
    host: String,
    port: u16,
    ins: Instrument,
    session: Session,
    link: Link,
    decoder: Decoder,
    deliveries: VecDeque<Delivery>,
    sent: VecDeque<Sent>,
    /// Requests in `sent` not answered yet.
    awaiting: usize,
    /// When `sent` is next looked over for overdue answers.
    overdue_at_ns: u64,
    cancels: u64,
    epoch_offset_ns: Option<u64>,
    connected: bool,
    counts: FixCounts,
}

impl BinanceFixGateway {
    /// A gateway for `cfg`'s venue trading one instrument at `tick` and `lot`, resuming
    /// sequence numbers `seq`. Loads the credentials now; connects at the first poll.
    pub fn new(
        cfg: &FixVenueConfig,
        tick: crate::num::Step,
        lot: crate::num::Step,
        seq: SeqNums,
    ) -> Result<BinanceFixGateway, FixGatewayError> {
        let signer = sign::load(&cfg.private_key, &cfg.api_key)?;
        let mut scfg = SessionConfig::binance(&cfg.sender_comp_id);
        scfg.target.clone_from(&cfg.target_comp_id);
        scfg.heartbeat_s = cfg.heartbeat_s;
        scfg.reset_on_logon = cfg.reset_seq_on_logon;
        Ok(BinanceFixGateway {
            host: cfg.host.clone(),
            port: cfg.port,
            ins: Instrument {
                symbol: cfg.symbol.clone(),
                tick,
                lot,
                stp: cfg.stp_mode,
            },
            session: Session::new(scfg, signer, seq)?,
            link: Link::new(OUTBOUND),
            decoder: Decoder::new(MAX_FRAME),
            deliveries: VecDeque::with_capacity(DELIVERIES),
            sent: VecDeque::with_capacity(SENT),
            awaiting: 0,
            overdue_at_ns: 0,
            cancels: 0,
            epoch_offset_ns: None,
            connected: false,
            counts: FixCounts::default(),
        })
    }

    /// The session's state.
    pub fn state(&self) -> SessionState {
        self.session.state()
    }

    /// The sequence numbers, to save for a reconnect.
    pub fn seq(&self) -> SeqNums {
        self.session.seq()
    }

    /// What it counted.
    pub fn counts(&self) -> FixCounts {
        self.counts
    }

    /// Logs out (if logged on) and closes the connection; waits at most `within` for the
    /// venue's Logout answer.
    pub fn close(&mut self, now_ns: u64, within: Duration) {
        let epoch = self.epoch(now_ns);
        if let Ok(out) = self.session.stop(epoch) {
            self.flush_session(out, now_ns);
        }
        let end = std::time::Instant::now() + within;
        while self.link.is_open() && std::time::Instant::now() < end {
            self.read(now_ns);
            std::thread::sleep(Duration::from_millis(1));
        }
        self.link.close();
    }

    /// `now_ns` of the runtime clock as ns since the epoch.
    fn epoch(&mut self, now_ns: u64) -> u64 {
        let off = *self.epoch_offset_ns.get_or_insert_with(|| {
            let wall = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
            wall.saturating_sub(now_ns)
        });
        now_ns.saturating_add(off)
    }

    /// Queues a delivery. Never dropped: the queue grows past its preallocation only if
    /// the loop stops taking them.
    fn deliver(&mut self, d: Delivery) {
        self.deliveries.push_back(d);
    }

    fn report(&mut self, report: Report) {
        self.deliver(Delivery::Report {
            book: BookId::new(0),
            report,
        });
    }

    /// Sends the session's outbox and acts on its output.
    fn flush_session(&mut self, out: Output, now_ns: u64) {
        if !self.session.outbox().is_empty() {
            self.link.write(self.session.outbox());
            self.session.clear_outbox();
        }
        if out.connect {
            self.connect(now_ns);
        }
        if out.disconnect {
            self.link.flush();
            self.link.close();
            self.decoder = Decoder::new(MAX_FRAME);
        }
        self.link_events();
    }

    /// Connected / Disconnected deliveries as the session's state changes.
    fn link_events(&mut self) {
        let active = self.session.state() == SessionState::Active;
        if active && !self.connected {
            self.connected = true;
            self.counts.logons += 1;
            self.deliver(Delivery::Connected);
        } else if !active && self.connected {
            self.connected = false;
            self.forget_answers();
            self.deliver(Delivery::Disconnected);
        }
    }

    fn connect(&mut self, now_ns: u64) {
        let epoch = self.epoch(now_ns);
        let out = match self.link.connect(&self.host, self.port, CONNECT_TIMEOUT) {
            Ok(()) => self.session.on_connected(epoch),
            Err(_) => self.session.on_lost(epoch),
        };
        match out {
            Ok(o) => self.flush_session(o, now_ns),
            Err(_) => self.counts.session_errors += 1,
        }
    }

    /// Reads what arrived and handles every whole frame.
    fn read(&mut self, now_ns: u64) {
        loop {
            match self.link.read(self.decoder.space()) {
                Received::Data(n) => self.decoder.filled(n),
                Received::Idle => break,
                Received::Closed => {
                    let epoch = self.epoch(now_ns);
                    if let Ok(out) = self.session.on_lost(epoch) {
                        self.flush_session(out, now_ns);
                    }
                    break;
                }
            }
            self.frames(now_ns);
        }
        self.frames(now_ns);
    }

    fn frames(&mut self, now_ns: u64) {
        let epoch = self.epoch(now_ns);
        let off = epoch - now_ns;
        while let Some(next) = self.decoder.next_frame() {
            let Ok(f) = next else {
                self.counts.bad_frames += 1;
                continue;
            };
            let (kind, out) = match self.session.on_frame(&f, epoch) {
                Ok(x) => x,
                Err(_) => {
                    self.counts.session_errors += 1;
                    continue;
                }
            };
            if kind == Inbound::Duplicate {
                self.counts.duplicates += 1;
            }
            let mapped = (kind == Inbound::App).then(|| app_report(&f, &self.ins, &self.sent, off));
            if let Some((from, to)) = out.gap_filled {
                self.never_received(from, to);
            }
            let outbox = (!self.session.outbox().is_empty(), out);
            match mapped {
                Some(Some(r)) => {
                    self.answered(&r);
                    self.deliveries.push_back(Delivery::Report {
                        book: BookId::new(0),
                        report: r,
                    });
                }
                Some(None) => self.counts.unmapped += 1,
                None => {}
            }
            if outbox.0 {
                self.link.write(self.session.outbox());
                self.session.clear_outbox();
            }
            if out.disconnect {
                self.link.flush();
                self.link.close();
            }
        }
        self.link_events();
    }
}

impl BinanceFixGateway {
    /// Our requests with MsgSeqNum in `[from, to)` were gap-filled at the venue's
    /// request: it never received them and will not act on them. Each is reported
    /// rejected now, rather than left to the leg's timeout (we never resend orders).
    fn never_received(&mut self, from: u32, to: u32) {
        let lost = |s: &Sent| (from..to).contains(&s.seq);
        for i in 0..self.sent.len() {
            let s = self.sent[i];
            if lost(&s) {
                self.counts.never_received += 1;
                self.awaiting -= usize::from(!s.answered);
                let text = b"never reached the venue: it asked for a resend, and legcore \
                             does not resend orders";
                self.unsent(s.order, s.cancel, RejectReason::Unavailable, text);
            }
        }
        self.sent.retain(|s| !lost(s));
    }

    /// Marks the request `r` answers: a new order's first report of any kind, a
    /// cancel's ack or reject (the oldest such request not yet answered).
    fn answered(&mut self, r: &Report) {
        let cancel = matches!(
            r.kind,
            ReportKind::CancelAck { .. } | ReportKind::CancelReject(_)
        );
        let waiting = |s: &&mut Sent| !s.answered && s.order == r.order && s.cancel == cancel;
        if let Some(s) = self.sent.iter_mut().find(waiting) {
            s.answered = true;
            self.awaiting -= 1;
        }
    }

    /// Stops waiting for answers older than [`ANSWER_WAIT_NS`], every
    /// [`OVERDUE_CHECK_NS`] (requests are in the order sent: the first one still young
    /// ends the look).
    fn overdue(&mut self, now_ns: u64) {
        if self.awaiting == 0 || now_ns < self.overdue_at_ns {
            return;
        }
        self.overdue_at_ns = now_ns.saturating_add(OVERDUE_CHECK_NS);
        for s in self.sent.iter_mut().filter(|s| !s.answered) {
            if now_ns.saturating_sub(s.sent_ns) < ANSWER_WAIT_NS {
                break;
            }
            s.answered = true;
            self.awaiting -= 1;
            self.counts.answers_overdue += 1;
        }
    }

    /// The link went down: what was in flight is the reconnect's (or the legs') to
    /// settle, and no answer is waited for.
    fn forget_answers(&mut self) {
        for s in &mut self.sent {
            s.answered = true;
        }
        self.awaiting = 0;
    }

    /// Reports a request that did not reach the venue as rejected.
    fn unsent(&mut self, order: OrderRef, cancel: bool, why: RejectReason, text: &[u8]) {
        let kind = if cancel {
            ReportKind::CancelReject(why)
        } else {
            ReportKind::Reject(why)
        };
        self.report(Report {
            order,
            kind,
            detail: Some(RejectDetail::text(text)),
        });
    }
}

/// The report in app frame `f`, if it maps (venue times shifted back by `off`).
fn app_report(f: &Frame<'_>, ins: &Instrument, sent: &VecDeque<Sent>, off: u64) -> Option<Report> {
    let (a, b) = sent.as_slices();
    let to_clock = |t: u64| t.saturating_sub(off);
    orders::report(f, ins, a, to_clock)
        .or_else(|_| orders::report(f, ins, b, to_clock))
        .ok()
}

impl Gateway for BinanceFixGateway {
    fn send(&mut self, book: BookId, req: Request, now_ns: u64) -> Result<(), GatewayError> {
        if book.index() != 0 {
            return Err(GatewayError::UnknownBook(book));
        }
        let epoch = self.epoch(now_ns);
        let seq = self.session.seq().next_out;
        let ins = &self.ins;
        let (r, cancel) = match req {
            Request::New(o) => (
                self.session.send_app(b"D", epoch, |e: &mut Encoder<'_>| {
                    orders::new_order(e, &o, ins)
                }),
                false,
            ),
            Request::Cancel(order) => {
                self.cancels += 1;
                let n = self.cancels;
                (
                    self.session.send_app(b"F", epoch, |e: &mut Encoder<'_>| {
                        orders::cancel(e, order, n, ins)
                    }),
                    true,
                )
            }
            Request::Query(_) => {
                self.counts.queries_unanswered += 1;
                return Ok(());
            }
        };
        if let Err(e) = r {
            // Not logged on (the usual case), or a value no FIX field can hold.
            let (why, text): (_, &[u8]) = match e {
                SessionError::Encode(_) => (
                    RejectReason::InvalidOrder,
                    b"not sent: a value cannot be written in its FIX field",
                ),
                _ => (
                    RejectReason::Unavailable,
                    b"not sent: the FIX session is not logged on",
                ),
            };
            self.unsent(req.order(), cancel, why, text);
            return Ok(());
        }
        if self.sent.len() == SENT {
            if let Some(s) = self.sent.pop_front() {
                self.awaiting -= usize::from(!s.answered);
            }
        }
        self.sent.push_back(Sent {
            seq,
            order: req.order(),
            cancel,
            sent_ns: now_ns,
            answered: false,
        });
        self.awaiting += 1;
        self.link.write(self.session.outbox());
        self.session.clear_outbox();
        Ok(())
    }

    fn poll(&mut self, now_ns: u64) -> Result<Option<Delivery>, GatewayError> {
        if let Some(d) = self.deliveries.pop_front() {
            return Ok(Some(d));
        }
        let epoch = self.epoch(now_ns);
        match self.session.on_tick(epoch) {
            Ok(out) => self.flush_session(out, now_ns),
            Err(_) => self.counts.session_errors += 1,
        }
        if self.link.is_open() {
            self.link.flush();
            self.read(now_ns);
        }
        self.overdue(now_ns);
        Ok(self.deliveries.pop_front())
    }

    fn in_flight(&self) -> usize {
        let waiting = if self.connected { self.awaiting } else { 0 };
        self.deliveries.len() + waiting
    }
}

impl Drop for BinanceFixGateway {
    fn drop(&mut self) {
        if self.link.is_open() {
            let now = self.epoch_offset_ns.map_or(0, |off| {
                let wall = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
                wall.saturating_sub(off)
            });
            self.close(now, Duration::from_secs(1));
        }
    }
}
