//! [`Session`]: the state, the sequence numbers, the timers and the outbox, driven by
//! [`Session::on_frame`], [`Session::on_tick`], [`Session::on_connected`],
//! [`Session::on_lost`] and [`Session::stop`]. Each input is checked against
//! [`transition`] before anything changes.

use super::{transition, SeqNums, SessionConfig, SessionError, SessionEvent, SessionState};
use crate::fix::codec::{write_timestamp, Encoder, FieldError, Frame, TimePrecision};
use crate::fix::sign::{Ed25519Signer, LogonFields, SIGNATURE_B64_LEN};

/// Outbox size: many frames between two drains, never reallocated.
const OUTBOX: usize = 16 * 1024;
/// Inbound MsgSeqNums remembered as processed or not (a bitmap): a resent message
/// (PossDupFlag=Y) this far below the expected number is checked against it.
pub const SEEN_WINDOW: u32 = 4096;
const NS_PER_S: u64 = 1_000_000_000;

/// What the transport must do after an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    /// Open a connection (then call [`Session::on_connected`] or [`Session::on_lost`]).
    pub connect: bool,
    /// Send the outbox, then close the connection.
    pub disconnect: bool,
    /// The state now.
    pub state: SessionState,
    /// Our MsgSeqNums `[from, to)` that the venue asked us to resend and that went out
    /// as a SequenceReset-GapFill instead: the venue never received those messages and
    /// will not process them (orders among them never reached the book).
    pub gap_filled: Option<(u32, u32)>,
}

/// Whose an inbound frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inbound {
    /// Handled by the session (heartbeats, resends, logon, logout, news).
    Admin,
    /// For the order mapping: execution reports, cancel rejects, session Rejects(3).
    App,
    /// A resent message (PossDupFlag=Y) whose MsgSeqNum was processed already: dropped,
    /// so a resend delivers nothing twice.
    Duplicate,
}

/// One FIX session.
pub struct Session {
    cfg: SessionConfig,
    signer: Ed25519Signer,
    state: SessionState,
    seq: SeqNums,
    outbox: Box<[u8]>,
    out_len: usize,
    attempts: u32,
    retry_at_ns: u64,
    since_ns: u64,
    last_sent_ns: u64,
    last_recv_ns: u64,
    test_req: Option<(u32, u64)>,
    test_ids: u32,
    gaps: u64,
    duplicates: u64,
    seen: Box<[u64]>,
    gap_filled: Option<(u32, u32)>,
}

impl Session {
    /// A disconnected session that connects at the first tick, resuming `seq`.
    pub fn new(
        cfg: SessionConfig,
        signer: Ed25519Signer,
        seq: SeqNums,
    ) -> Result<Session, SessionError> {
        cfg.check()?;
        Ok(Session {
            cfg,
            signer,
            state: SessionState::Disconnected,
            seq,
            outbox: vec![0; OUTBOX].into_boxed_slice(),
            out_len: 0,
            attempts: 0,
            retry_at_ns: 0,
            since_ns: 0,
            last_sent_ns: 0,
            last_recv_ns: 0,
            test_req: None,
            test_ids: 0,
            gaps: 0,
            duplicates: 0,
            seen: vec![0; SEEN_WINDOW as usize / 64].into_boxed_slice(),
            gap_filled: None,
        })
    }

    /// The state.
    pub fn state(&self) -> SessionState {
        self.state
    }

    /// The sequence numbers, to save.
    pub fn seq(&self) -> SeqNums {
        self.seq
    }

    /// Inbound gaps detected (each answered with a ResendRequest).
    pub fn gaps(&self) -> u64 {
        self.gaps
    }

    /// Resent messages dropped because they had been processed already.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// When the next reconnect is due, ns (meaningful while disconnected).
    pub fn retry_at_ns(&self) -> u64 {
        self.retry_at_ns
    }

    /// Frames written and not yet sent.
    pub fn outbox(&self) -> &[u8] {
        &self.outbox[..self.out_len]
    }

    /// The outbox was sent.
    pub fn clear_outbox(&mut self) {
        self.out_len = 0;
    }

    fn output(&self, connect: bool, disconnect: bool) -> Output {
        Output {
            connect,
            disconnect,
            state: self.state,
            gap_filled: None,
        }
    }

    /// Inbound `seq` was processed.
    fn mark_seen(&mut self, seq: u32) {
        let i = (seq % SEEN_WINDOW) as usize;
        self.seen[i / 64] |= 1 << (i % 64);
    }

    /// Whether inbound `seq`, below the expected number, was processed (`false` when
    /// it is past the window: then it cannot be told, and it is processed).
    fn was_seen(&self, seq: u32) -> bool {
        if self.seq.next_in.wrapping_sub(seq) > SEEN_WINDOW {
            return false;
        }
        let i = (seq % SEEN_WINDOW) as usize;
        self.seen[i / 64] & (1 << (i % 64)) != 0
    }

    /// Moves the expected inbound number up to `to`; the numbers skipped are unseen.
    fn advance_in(&mut self, to: u32) {
        let from = self.seq.next_in;
        if to <= from {
            return;
        }
        if to - from >= SEEN_WINDOW {
            self.seen.fill(0);
        } else {
            for seq in from..to {
                let i = (seq % SEEN_WINDOW) as usize;
                self.seen[i / 64] &= !(1 << (i % 64));
            }
        }
        self.seq.next_in = to;
    }

    fn check(&self, event: SessionEvent) -> Result<SessionState, SessionError> {
        transition(self.state, event).ok_or(SessionError::InvalidTransition {
            state: self.state,
            event,
        })
    }

    /// Moves to `next`: a disconnect, a backoff, a stop. Whether the link must close.
    fn enter(&mut self, next: SessionState, now_ns: u64) -> bool {
        let prev = self.state;
        self.state = next;
        if next != prev {
            self.since_ns = now_ns;
        }
        match next {
            SessionState::Disconnected => {
                let shift = self.attempts.min(32);
                let delay = self.cfg.backoff_min_ns.saturating_mul(1u64 << shift);
                self.retry_at_ns = now_ns.saturating_add(delay.min(self.cfg.backoff_max_ns));
                self.attempts = self.attempts.saturating_add(1);
                self.test_req = None;
                true
            }
            SessionState::Stopped => true,
            _ => false,
        }
    }

    /// Writes one frame with the session header; `seq` overrides MsgSeqNum (a GapFill)
    /// and then does not advance it.
    fn send(
        &mut self,
        msg_type: &[u8],
        now_ns: u64,
        seq: Option<u32>,
        body: impl FnOnce(&mut Encoder<'_>),
    ) -> Result<(), SessionError> {
        let n = self.seq.next_out;
        let mut e = Encoder::new(&mut self.outbox[self.out_len..], msg_type);
        e.uint(34, u64::from(seq.unwrap_or(n)))
            .str(49, self.cfg.sender.as_bytes());
        e.time(52, now_ns, TimePrecision::Millis)
            .str(56, self.cfg.target.as_bytes());
        body(&mut e);
        let r = e.finish_range()?;
        let len = r.len();
        let at = self.out_len;
        self.outbox.copy_within(at + r.start..at + r.end, at);
        self.out_len += len;
        if seq.is_none() {
            self.seq.next_out = n.wrapping_add(1);
        }
        self.last_sent_ns = now_ns;
        Ok(())
    }

    /// An application message (the order mapping writes its body). Only when active.
    pub fn send_app(
        &mut self,
        msg_type: &[u8],
        now_ns: u64,
        body: impl FnOnce(&mut Encoder<'_>),
    ) -> Result<(), SessionError> {
        if self.state != SessionState::Active {
            let event = SessionEvent::InSeq;
            return Err(SessionError::InvalidTransition {
                state: self.state,
                event,
            });
        }
        self.send(msg_type, now_ns, None, body)
    }

    fn send_logon(&mut self, now_ns: u64) -> Result<(), SessionError> {
        let mut seq = [0u8; 20];
        let seq_text = crate::text::digits(u64::from(self.seq.next_out), &mut seq);
        let mut time = [0u8; 21];
        write_timestamp(now_ns, TimePrecision::Millis, &mut time);
        let fields = LogonFields {
            msg_type: b"A",
            sender: self.cfg.sender.as_bytes(),
            target: self.cfg.target.as_bytes(),
            seq: seq_text,
            sending_time: &time,
        };
        let mut sig = [0u8; SIGNATURE_B64_LEN];
        let raw =
            self.signer
                .logon_raw_data(&fields, &mut sig)
                .map_err(|_| SessionError::Config {
                    field: "sender/target",
                    why: "too long to sign",
                })?;
        let (hb, reset, mh, rm) = (
            self.cfg.heartbeat_s,
            self.cfg.reset_on_logon,
            self.cfg.message_handling,
            self.cfg.response_mode,
        );
        let api_key = self.signer.api_key().clone();
        self.send(b"A", now_ns, None, |e| {
            e.data(95, 96, raw).int(98, 0).uint(108, u64::from(hb));
            e.char(141, if reset { b'Y' } else { b'N' });
            e.str(553, api_key.expose().as_bytes())
                .uint(25035, u64::from(mh));
            if let Some(rm) = rm {
                e.uint(25036, u64::from(rm));
            }
        })
    }

    fn send_logout(&mut self, now_ns: u64, text: &'static [u8]) -> Result<(), SessionError> {
        self.send(b"5", now_ns, None, |e| {
            e.str(58, text);
        })
    }
}

impl Session {
    /// The transport connected: Logon goes out (sequence numbers restart at 1 first
    /// if the session resets on logon).
    pub fn on_connected(&mut self, now_ns: u64) -> Result<Output, SessionError> {
        let next = self.check(SessionEvent::Connected)?;
        let saved = self.seq;
        if self.cfg.reset_on_logon {
            self.seq = SeqNums::START;
            self.seen.fill(0);
        }
        if let Err(e) = self.send_logon(now_ns) {
            self.seq = saved;
            return Err(e);
        }
        self.last_recv_ns = now_ns;
        self.enter(next, now_ns);
        Ok(self.output(false, false))
    }

    /// The transport closed or failed to connect.
    pub fn on_lost(&mut self, now_ns: u64) -> Result<Output, SessionError> {
        let next = self.check(SessionEvent::Lost)?;
        let close = self.enter(next, now_ns);
        Ok(self.output(false, close))
    }

    /// The owner asks to stop: Logout if logged on, then no reconnect.
    pub fn stop(&mut self, now_ns: u64) -> Result<Output, SessionError> {
        let next = self.check(SessionEvent::Stop)?;
        if self.state == SessionState::Active {
            self.send_logout(now_ns, b"Logout requested.")?;
        }
        let close = self.enter(next, now_ns);
        Ok(self.output(false, close))
    }

    /// The time passed: reconnects, heartbeats, TestRequests and deadlines.
    pub fn on_tick(&mut self, now_ns: u64) -> Result<Output, SessionError> {
        let hb = u64::from(self.cfg.heartbeat_s) * NS_PER_S;
        let waited = now_ns.saturating_sub(self.since_ns);
        match self.state {
            SessionState::Disconnected if now_ns >= self.retry_at_ns => {
                let next = self.check(SessionEvent::ConnectDue)?;
                self.enter(next, now_ns);
                return Ok(self.output(true, false));
            }
            SessionState::Connecting
            | SessionState::LogonSent
            | SessionState::LoggingOut
            | SessionState::Stopping
                if waited >= self.cfg.answer_timeout_ns =>
            {
                return self.timeout(now_ns);
            }
            SessionState::Active => return self.active_tick(now_ns, hb),
            _ => {}
        }
        Ok(self.output(false, false))
    }

    fn timeout(&mut self, now_ns: u64) -> Result<Output, SessionError> {
        let next = self.check(SessionEvent::Timeout)?;
        let close = self.enter(next, now_ns);
        Ok(self.output(false, close))
    }

    fn active_tick(&mut self, now_ns: u64, hb: u64) -> Result<Output, SessionError> {
        match self.test_req {
            Some((_, at)) if now_ns.saturating_sub(at) >= hb => return self.timeout(now_ns),
            None if now_ns.saturating_sub(self.last_recv_ns) >= hb => {
                self.check(SessionEvent::Silent)?;
                let id = self.test_ids.wrapping_add(1);
                let mut d = [0u8; 20];
                let text = crate::text::digits(u64::from(id), &mut d);
                let mut req = [0u8; 14];
                req[..4].copy_from_slice(b"TEST");
                req[4..4 + text.len()].copy_from_slice(text);
                let n = 4 + text.len();
                self.send(b"1", now_ns, None, |e| {
                    e.str(112, &req[..n]);
                })?;
                self.test_ids = id;
                self.test_req = Some((id, now_ns));
            }
            _ => {}
        }
        if now_ns.saturating_sub(self.last_sent_ns) >= hb {
            self.send(b"0", now_ns, None, |_| {})?;
        }
        Ok(self.output(false, false))
    }
}

/// Whether `v` equals `want`.
fn is(v: Option<&[u8]>, want: &[u8]) -> bool {
    v == Some(want)
}

impl Session {
    /// A decoded frame from the venue. `Inbound::App` frames are for the order mapping.
    pub fn on_frame(
        &mut self,
        f: &Frame<'_>,
        now_ns: u64,
    ) -> Result<(Inbound, Output), SessionError> {
        if f.req(49)? != self.cfg.target.as_bytes() {
            return Err(SessionError::WrongCompId { tag: 49 });
        }
        if f.req(56)? != self.cfg.sender.as_bytes() {
            return Err(SessionError::WrongCompId { tag: 56 });
        }
        let seq = u32::try_from(f.uint(34)?)
            .map_err(|_| FieldError::range(34, f.req(34).unwrap_or(b""), "past u32"))?;
        let event = self.classify(f, seq);
        let next = self.check(event)?;
        let new_seq = if f.msg_type() == b"4" {
            Some(self.new_seq_no(f)?)
        } else {
            None
        };
        self.last_recv_ns = now_ns;
        self.test_req = None;
        let resent = event == SessionEvent::InSeq && is(f.get(43), b"Y");
        if resent && new_seq.is_none() && seq < self.seq.next_in && self.was_seen(seq) {
            // A resend of a message processed already.
            self.duplicates += 1;
            return Ok((Inbound::Duplicate, self.output(false, false)));
        }
        self.respond(f, event, seq, now_ns)?;
        self.advance_in(seq.wrapping_add(1));
        self.mark_seen(seq);
        if let Some(n) = new_seq {
            self.advance_in(n);
        }
        if event == SessionEvent::LogonAck {
            self.attempts = 0;
        }
        let close = self.enter(next, now_ns);
        let kind = if is_admin(f.msg_type()) {
            Inbound::Admin
        } else {
            Inbound::App
        };
        let mut out = self.output(false, close);
        out.gap_filled = self.gap_filled.take();
        Ok((kind, out))
    }

    fn classify(&self, f: &Frame<'_>, seq: u32) -> SessionEvent {
        let mt = f.msg_type();
        let poss_dup = is(f.get(43), b"Y");
        if self.state == SessionState::LogonSent {
            return match mt {
                b"A" => SessionEvent::LogonAck,
                b"5" | b"3" => SessionEvent::LogoutIn,
                _ => SessionEvent::InSeq, // refused by the table: nothing before the Logon
            };
        }
        let reset = mt == b"4" && !is(f.get(123), b"Y");
        match mt {
            b"A" => SessionEvent::LogonAck, // a second Logon: refused by the table
            b"5" => SessionEvent::LogoutIn,
            b"B" => SessionEvent::News,
            _ if reset => SessionEvent::InSeq, // SequenceReset-Reset ignores MsgSeqNum
            _ if seq < self.seq.next_in && !poss_dup => SessionEvent::TooLow,
            _ if seq > self.seq.next_in => SessionEvent::Gap,
            _ => SessionEvent::InSeq,
        }
    }

    fn new_seq_no(&self, f: &Frame<'_>) -> Result<u32, SessionError> {
        let v = f.uint(36)?;
        u32::try_from(v).ok().filter(|&n| n >= 1).ok_or_else(|| {
            let v = f.req(36).unwrap_or(b"");
            SessionError::Field(FieldError::range(36, v, "not a SEQNUM"))
        })
    }

    /// The frames an inbound message (MsgSeqNum `seq`) calls for.
    fn respond(
        &mut self,
        f: &Frame<'_>,
        event: SessionEvent,
        seq: u32,
        now_ns: u64,
    ) -> Result<(), SessionError> {
        use SessionEvent as E;
        match (event, self.state) {
            // A gap, or a Logon answer past the number we expect (the venue sent while
            // we were away): ask for everything from the first one missing.
            (E::Gap, _) | (E::LogonAck, _) if seq > self.seq.next_in => {
                let from = u64::from(self.seq.next_in);
                self.send(b"2", now_ns, None, |e| {
                    e.uint(7, from).uint(16, 0);
                })?;
                self.gaps += 1;
            }
            (E::TooLow, SessionState::Active) => self.send_logout(now_ns, b"MsgSeqNum too low.")?,
            (E::News, SessionState::Active) => {
                self.send_logout(now_ns, b"Reconnecting on News.")?
            }
            (E::LogoutIn, SessionState::Active) => {
                self.send_logout(now_ns, b"Logout acknowledgment.")?
            }
            _ => {}
        }
        if matches!(event, E::InSeq | E::Gap) {
            self.answer_admin(f, now_ns)?;
        }
        Ok(())
    }

    /// TestRequest → Heartbeat with its id; ResendRequest → one GapFill.
    fn answer_admin(&mut self, f: &Frame<'_>, now_ns: u64) -> Result<(), SessionError> {
        match f.msg_type() {
            b"1" => {
                let id = f.req(112)?;
                self.send(b"0", now_ns, None, |e| {
                    e.str(112, id);
                })
            }
            b"2" => {
                let begin =
                    u32::try_from(f.uint(7)?).map_err(|_| FieldError::range(7, b"", "past u32"))?;
                let next = self.seq.next_out;
                if begin == 0 || begin >= next {
                    return Ok(()); // nothing we sent is missing
                }
                self.send(b"4", now_ns, Some(begin), |e| {
                    e.char(43, b'Y').time(122, now_ns, TimePrecision::Millis);
                    e.char(123, b'Y').uint(36, u64::from(next));
                })?;
                self.gap_filled = Some((begin, next));
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

fn is_admin(mt: &[u8]) -> bool {
    matches!(mt, b"0" | b"1" | b"2" | b"4" | b"5" | b"A" | b"B")
}
