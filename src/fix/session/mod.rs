//! The FIX session layer as a sans-IO state machine: the caller feeds it decoded frames,
//! transport events and the time; it writes outbound frames into its preallocated outbox
//! and says what the transport must do ([`Output`]). One transition table
//! ([`transition`]) covers every (state, event) pair; a refused pair is a typed
//! [`SessionError`] that changes nothing.
//!
//! Session rules (Binance's `fix-api.md`, FIX 4.4 where it is silent):
//! - Logon first: Ed25519 RawData(96)/RawDataLength(95), Username(553) = API key,
//!   EncryptMethod(98)=0, HeartBtInt(108) in 5..=60, ResetSeqNumFlag(141),
//!   MessageHandling(25035), optional ResponseMode(25036).
//! - Sequence numbers ([`SeqNums`]) are state the caller saves and restores. Binance
//!   requires ResetSeqNumFlag=Y, so each Binance logon restarts at 1
//!   ([`SessionConfig::reset_on_logon`]); with it off (a standard FIX venue) a reconnect
//!   resumes the saved numbers.
//! - Heartbeat after HeartBtInt of silence outbound; TestRequest after HeartBtInt of
//!   silence inbound; the peer is dead (disconnect) if that goes unanswered another
//!   HeartBtInt. Every TestRequest is answered with its TestReqID.
//! - Gaps: a higher MsgSeqNum than expected (on any message, the Logon answer of a
//!   resumed session included) is processed and a ResendRequest(2) asks for the
//!   missing range; a lower one without PossDupFlag is fatal (Logout, disconnect). A
//!   resent one (PossDupFlag=Y) is processed only if its number was never processed
//!   (the last [`SEEN_WINDOW`] numbers are remembered): else it is an
//!   [`Inbound::Duplicate`]. We never resend orders: a ResendRequest is answered with
//!   one SequenceReset-GapFill (stale orders must not reach the book late; Binance
//!   itself does not support resends), and [`Output::gap_filled`] tells the owner which
//!   of its messages the venue will never see. An inbound SequenceReset moves the
//!   expected number up.
//! - Logout both ways; News(B) (the venue's maintenance notice before it drops the
//!   connection) makes us log out at once and reconnect, as the doc asks.
//! - Reconnect with exponential backoff, bounded, reset by a successful logon.

mod machine;

pub use machine::{Inbound, Output, Session, SEEN_WINDOW};

use super::codec::{EncodeError, FieldError};

/// Where the session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// No connection; a reconnect is due at the backoff's time.
    Disconnected,
    /// The transport was asked to connect.
    Connecting,
    /// Connected, Logon sent, no answer yet.
    LogonSent,
    /// Logged on: orders may be sent.
    Active,
    /// We sent Logout (the venue's News, or a fatal sequence error) and reconnect after.
    LoggingOut,
    /// We sent Logout because the owner asked to stop; no reconnect after.
    Stopping,
    /// Stopped for good.
    Stopped,
}

impl SessionState {
    /// Every state, for exhaustive tests.
    pub const ALL: [SessionState; 7] = [
        SessionState::Disconnected,
        SessionState::Connecting,
        SessionState::LogonSent,
        SessionState::Active,
        SessionState::LoggingOut,
        SessionState::Stopping,
        SessionState::Stopped,
    ];

    /// A short lowercase name.
    pub const fn name(self) -> &'static str {
        match self {
            SessionState::Disconnected => "disconnected",
            SessionState::Connecting => "connecting",
            SessionState::LogonSent => "logon_sent",
            SessionState::Active => "active",
            SessionState::LoggingOut => "logging_out",
            SessionState::Stopping => "stopping",
            SessionState::Stopped => "stopped",
        }
    }
}

/// What happened, as the table sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionEvent {
    /// The backoff elapsed: time to connect.
    ConnectDue,
    /// The transport connected.
    Connected,
    /// The venue's Logon answer.
    LogonAck,
    /// A message with the expected MsgSeqNum (or a PossDup resend).
    InSeq,
    /// A message past the expected MsgSeqNum.
    Gap,
    /// A message below the expected MsgSeqNum, not a PossDup: fatal.
    TooLow,
    /// The venue's Logout (or its Reject of our Logon).
    LogoutIn,
    /// The venue's News(B): it will drop the connection.
    News,
    /// The owner asks to log out and stop.
    Stop,
    /// Nothing heard for HeartBtInt: a TestRequest goes out.
    Silent,
    /// A deadline passed (Logon, Logout, or an unanswered TestRequest).
    Timeout,
    /// The transport closed or failed.
    Lost,
}

impl SessionEvent {
    /// Every event, for exhaustive tests.
    pub const ALL: [SessionEvent; 12] = [
        SessionEvent::ConnectDue,
        SessionEvent::Connected,
        SessionEvent::LogonAck,
        SessionEvent::InSeq,
        SessionEvent::Gap,
        SessionEvent::TooLow,
        SessionEvent::LogoutIn,
        SessionEvent::News,
        SessionEvent::Stop,
        SessionEvent::Silent,
        SessionEvent::Timeout,
        SessionEvent::Lost,
    ];

    /// A short lowercase name.
    pub const fn name(self) -> &'static str {
        match self {
            SessionEvent::ConnectDue => "connect_due",
            SessionEvent::Connected => "connected",
            SessionEvent::LogonAck => "logon_ack",
            SessionEvent::InSeq => "in_seq",
            SessionEvent::Gap => "gap",
            SessionEvent::TooLow => "too_low",
            SessionEvent::LogoutIn => "logout_in",
            SessionEvent::News => "news",
            SessionEvent::Stop => "stop",
            SessionEvent::Silent => "silent",
            SessionEvent::Timeout => "timeout",
            SessionEvent::Lost => "lost",
        }
    }
}

/// The one transition table. `None` = refused.
pub const fn transition(state: SessionState, event: SessionEvent) -> Option<SessionState> {
    use SessionEvent as E;
    use SessionState as S;
    Some(match (state, event) {
        (S::Disconnected, E::ConnectDue) => S::Connecting,
        (S::Disconnected | S::Connecting, E::Stop) => S::Stopped,

        (S::Connecting, E::Connected) => S::LogonSent,
        (S::Connecting, E::Lost | E::Timeout) => S::Disconnected,

        (S::LogonSent, E::LogonAck) => S::Active,
        (S::LogonSent, E::LogoutIn | E::Lost | E::Timeout) => S::Disconnected,
        (S::LogonSent, E::Stop) => S::Stopped, // not logged on: just close

        (S::Active, E::InSeq | E::Gap | E::Silent) => S::Active,
        (S::Active, E::News | E::TooLow) => S::LoggingOut,
        (S::Active, E::Stop) => S::Stopping,
        (S::Active, E::LogoutIn | E::Timeout | E::Lost) => S::Disconnected,

        // Logging out: late execution reports are still processed.
        (S::LoggingOut, E::InSeq | E::Gap | E::News | E::Silent) => S::LoggingOut,
        (S::LoggingOut, E::Stop) => S::Stopping,
        (S::LoggingOut, E::TooLow | E::LogoutIn | E::Timeout | E::Lost) => S::Disconnected,

        (S::Stopping, E::InSeq | E::Gap | E::News | E::Stop | E::Silent) => S::Stopping,
        (S::Stopping, E::TooLow | E::LogoutIn | E::Timeout | E::Lost) => S::Stopped,
        _ => return None,
    })
}

/// The next MsgSeqNum each way: save it, restore it on reconnect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeqNums {
    /// The number our next message carries.
    pub next_out: u32,
    /// The number we expect the venue's next message to carry.
    pub next_in: u32,
}

impl SeqNums {
    /// A fresh session's numbers.
    pub const START: SeqNums = SeqNums {
        next_out: 1,
        next_in: 1,
    };
}

/// A session's fixed settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// SenderCompID(49): ours.
    pub sender: String,
    /// TargetCompID(56): the venue's (`SPOT`).
    pub target: String,
    /// HeartBtInt(108), seconds, 5..=60.
    pub heartbeat_s: u32,
    /// Send ResetSeqNumFlag(141)=Y and restart both numbers at 1 on every logon
    /// (Binance requires it).
    pub reset_on_logon: bool,
    /// MessageHandling(25035): 1 unordered, 2 sequential.
    pub message_handling: u8,
    /// ResponseMode(25036), if set: 1 everything, 2 only acks.
    pub response_mode: Option<u8>,
    /// First reconnect delay, ns (doubles per failed attempt).
    pub backoff_min_ns: u64,
    /// Longest reconnect delay, ns.
    pub backoff_max_ns: u64,
    /// How long a Logon or a Logout may wait for its answer, ns.
    pub answer_timeout_ns: u64,
}

impl SessionConfig {
    /// Binance Spot order entry's settings for SenderCompID `sender`.
    pub fn binance(sender: &str) -> SessionConfig {
        SessionConfig {
            sender: sender.to_owned(),
            target: "SPOT".to_owned(),
            heartbeat_s: 30,
            reset_on_logon: true,
            message_handling: 2,
            response_mode: None,
            backoff_min_ns: 500_000_000,
            backoff_max_ns: 30_000_000_000,
            answer_timeout_ns: 10_000_000_000,
        }
    }

    /// Checks the settings against the venue's ranges.
    pub fn check(&self) -> Result<(), SessionError> {
        let bad = |field, why| Err(SessionError::Config { field, why });
        let comp_ok =
            |s: &str| !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_graphic());
        if !comp_ok(&self.sender) || !comp_ok(&self.target) {
            return bad("sender/target", "1 to 32 printable ASCII characters");
        }
        if !(5..=60).contains(&self.heartbeat_s) {
            return bad("heartbeat_s", "HeartBtInt must be 5..=60 seconds");
        }
        if !matches!(self.message_handling, 1 | 2)
            || !matches!(self.response_mode, None | Some(1 | 2))
        {
            return bad("message_handling/response_mode", "1 or 2");
        }
        if self.backoff_min_ns == 0 || self.backoff_max_ns < self.backoff_min_ns {
            return bad("backoff", "0 < backoff_min_ns <= backoff_max_ns");
        }
        if self.answer_timeout_ns == 0 {
            return bad("answer_timeout_ns", "must be > 0");
        }
        Ok(())
    }
}

/// Why the session refused an input. Nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The event is not allowed in this state.
    #[error("session event {} not allowed in state {}", event.name(), state.name())]
    InvalidTransition {
        /// The state.
        state: SessionState,
        /// The event.
        event: SessionEvent,
    },
    /// A header or admin field is missing or bad.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The frame is not for this session (SenderCompID/TargetCompID swapped wrong).
    #[error("frame addressed to another session (tag {tag})")]
    WrongCompId {
        /// 49 or 56.
        tag: u32,
    },
    /// A frame could not be written (outbox full, bad value).
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// A setting out of range.
    #[error("session setting {field}: {why}")]
    Config {
        /// The setting.
        field: &'static str,
        /// Its rule.
        why: &'static str,
    },
}

#[cfg(test)]
mod tests;
