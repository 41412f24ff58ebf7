//! [`Line`]: the journal's line kinds as typed values, the one schema that the recorder
//! writes and every reader (recovery, `legcore stats`, `legcore report`) parses. The
//! schema is documented field by field in `docs/journal.md`.
//!
//! A line is one JSON object: `seq` (the record number), `kind` (the line kind, which
//! picks the fields that follow) and the checksum seal (`file`). Names are
//! canonical lower case (`"side":"buy"`, `"mode":"limit_then_market"`); counts and
//! integer quantities (ticks, lots, ns) are JSON numbers; exact decimals and integers
//! that may pass 2^53 (notionals) are decimal strings, so no JSON reader rounds them.
//!
//! Versions: the first line of every journal is [`Line::Opened`] with
//! `schema` = [`SCHEMA`]. A reader refuses a journal without it or with another
//! version; any change that renames, removes or retypes a field, or adds a required one,
//! bumps [`SCHEMA`]. Readers ignore fields they do not know (the seal's `crc` is one).

use serde::{Deserialize, Serialize};

use crate::book::OrderSide;
use crate::group::Policy;
use crate::index::{JobId, LegIdx};
use crate::leg::{Command, Liquidity, Mode, Tif, VenueStatus};
use crate::num::Decimal;
use crate::venue::{OrderRef, RejectDetail, RejectReason, ReportKind};

use super::summary::GroupSummary;

/// The journal schema this legcore writes and reads (1: the untyped lines before it,
/// which had no version line; 2: `sent` lines without their venue, `report` lines
/// without a reject's reason or a fill's fee).
pub const SCHEMA: u32 = 3;

/// One journal line, without its envelope (`seq` and the seal). Written through
/// [`to_json`]; read through [`Envelope::parse`] (by [`super::file::read`]), which reads
/// each kind's struct directly so that an error names the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Line {
    /// The first line of every journal: its schema and who wrote it.
    Opened(Opened),
    /// A resume began appending to the journal.
    Resumed(Resumed),
    /// A group was started (its entries passed risk and were sent).
    Started(Started),
    /// A recovery's unwind job was started: it opens no group of its own.
    UnwindStarted(UnwindStarted),
    /// A group's start was refused; nothing was sent.
    Refused(Refused),
    /// An order command went to a venue.
    Sent(Sent),
    /// A venue report reached the group.
    Report(Report),
    /// A group ended (or a recovered group was closed by a resume).
    Ended(Ended),
    /// A recovery's unwind job ended: it closes no group of its own.
    UnwindEnded(UnwindEnded),
    /// A resume reconciled one order of an open group with its venue.
    Reconciled(Reconciled),
    /// A resume tied an unwind job to the group it unwinds, before sending it.
    Unwind(Unwind),
}

impl Line {
    /// Every `kind` a line may have, as written.
    pub const KINDS: [&'static str; 11] = [
        "opened",
        "resumed",
        "started",
        "unwind_started",
        "refused",
        "sent",
        "report",
        "ended",
        "unwind_ended",
        "reconciled",
        "unwind",
    ];

    /// The loop time of the line, ns, if its kind has one.
    pub fn t_ns(&self) -> Option<u64> {
        match self {
            Line::Started(s) | Line::UnwindStarted(UnwindStarted { start: s, .. }) => Some(s.t_ns),
            Line::Refused(r) => Some(r.t_ns),
            Line::Sent(s) => Some(s.t_ns),
            Line::Report(r) => Some(r.t_ns),
            Line::Ended(e) => Some(e.t_ns),
            Line::UnwindEnded(e) => Some(e.t_ns),
            Line::Opened(_) | Line::Resumed(_) | Line::Reconciled(_) | Line::Unwind(_) => None,
        }
    }

    /// The strategy the line names, if its kind names one.
    pub fn strategy(&self) -> Option<&str> {
        match self {
            Line::Started(s) | Line::UnwindStarted(UnwindStarted { start: s, .. }) => {
                Some(&s.strategy)
            }
            Line::Refused(r) => Some(&r.strategy),
            Line::Ended(e) => Some(&e.group.strategy),
            _ => None,
        }
    }
}

/// The `opened` line: the first of every journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opened {
    /// The journal schema ([`SCHEMA`]).
    pub schema: u32,
    /// The legcore version that wrote the journal (`CARGO_PKG_VERSION`).
    pub legcore: String,
    /// The scenario's name.
    pub scenario: String,
    /// Wall clock, ms since the Unix epoch.
    pub wall_ms: u64,
}

impl Opened {
    /// The `opened` line this legcore writes for `scenario`, now.
    pub fn now(scenario: &str) -> Opened {
        Opened {
            schema: SCHEMA,
            legcore: env!("CARGO_PKG_VERSION").to_string(),
            scenario: scenario.to_string(),
            wall_ms: wall_ms(),
        }
    }
}

/// The `resumed` line: a resume (`legcore run --resume`) appends from here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resumed {
    /// The legcore version that resumed.
    pub legcore: String,
    /// Wall clock, ms since the Unix epoch.
    pub wall_ms: u64,
}

impl Resumed {
    /// The `resumed` line this legcore writes, now.
    pub fn now() -> Resumed {
        Resumed {
            legcore: env!("CARGO_PKG_VERSION").to_string(),
            wall_ms: wall_ms(),
        }
    }
}

/// Wall clock, ms since the Unix epoch (0 if the clock is before it).
pub fn wall_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A `started` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Started {
    /// Job (group) id.
    pub job: JobId,
    /// Loop time, ns.
    pub t_ns: u64,
    /// Strategy (scenario) name.
    pub strategy: String,
    /// Resolution policy.
    pub policy: PolicyName,
    /// The legs, in leg order.
    pub legs: Vec<StartedLeg>,
}

/// One leg of a `started` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartedLeg {
    /// Venue index in the scenario.
    pub venue_index: usize,
    /// Book index on the venue.
    pub book: usize,
    /// Venue name.
    pub venue: String,
    /// Instrument name.
    pub instrument: String,
    /// Entry direction.
    pub side: Side,
    /// Size asked, lots.
    pub qty_lots: i64,
    /// Size asked, base quantity (exact decimal).
    #[serde(with = "decimal_text")]
    pub qty: Decimal,
    /// Top of book it decided on, ticks.
    pub bid_ticks: i64,
    /// Top of book it decided on, ticks.
    pub ask_ticks: i64,
    /// How the leg executes.
    #[serde(flatten)]
    pub mode: ModeLine,
}

/// An `unwind_started` line: a `started` line of a recovery's unwind job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnwindStarted {
    /// The recovered group it unwinds.
    pub unwinds: usize,
    /// The start, as a `started` line has it.
    #[serde(flatten)]
    pub start: Started,
}

/// A `refused` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refused {
    /// Job id.
    pub job: JobId,
    /// Loop time, ns.
    pub t_ns: u64,
    /// Strategy name.
    pub strategy: String,
    /// Why, for people.
    pub why: String,
}

/// A `sent` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    /// Job id.
    pub job: JobId,
    /// Leg.
    pub leg: LegIdx,
    /// Part of the leg.
    pub part: usize,
    /// The venue's index in the scenario (recovery finds the order there).
    pub venue_index: usize,
    /// Client order id.
    pub client_id: OrderRef,
    /// Loop time, ns.
    pub t_ns: u64,
    /// The command.
    #[serde(flatten)]
    pub cmd: Cmd,
}

/// A `report` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Job id.
    pub job: JobId,
    /// Client order id.
    pub client_id: OrderRef,
    /// Whether the group took it (false: duplicate or stale, ignored).
    pub taken: bool,
    /// Loop time, ns.
    pub t_ns: u64,
    /// The event.
    #[serde(flatten)]
    pub event: Event,
    /// A reject's words from the venue (code, text), when it gave any.
    #[serde(flatten)]
    pub venue: VenueWords,
}

/// What a venue said with a reject or cancel reject, on its `report` line
/// (`"venue_code":-2010,"venue_text":"Account has insufficient balance..."`): every
/// field absent when the venue said nothing more than the reason, and on other events.
/// Added within schema 3: no reader needs them, and older lines simply lack them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VenueWords {
    /// The venue's own error code (Binance's ErrorCode(25016)), whatever the reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue_code: Option<i32>,
    /// A FIX session-level refusal's SessionRejectReason(373).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_reason: Option<u16>,
    /// The tag the refusal names (RefTagID(371)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ref_tag: Option<u32>,
    /// The venue's text (Text(58)), printable ASCII, cut at 64 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue_text: Option<String>,
}

impl From<Option<RejectDetail>> for VenueWords {
    fn from(d: Option<RejectDetail>) -> VenueWords {
        let Some(d) = d else {
            return VenueWords::default();
        };
        VenueWords {
            venue_code: d.code,
            session_reason: d.session_reason,
            ref_tag: d.ref_tag,
            venue_text: (!d.text.is_empty()).then(|| d.text.as_str().to_string()),
        }
    }
}

/// An `ended` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ended {
    /// Loop time, ns (0: closed by a resume).
    pub t_ns: u64,
    /// The ended group.
    pub group: GroupSummary,
}

/// An `unwind_ended` line: the end of a recovery's unwind job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnwindEnded {
    /// Loop time, ns.
    pub t_ns: u64,
    /// The recovered group it unwinds.
    pub unwinds: usize,
    /// The unwind job, as a group (its fills count in the recovered group's end).
    pub group: GroupSummary,
}

/// A `reconciled` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciled {
    /// The open group's job id.
    pub job: JobId,
    /// Client order id.
    pub client_id: OrderRef,
    /// What became of the order.
    pub status: Settled,
    /// Lots the venue filled.
    pub venue_filled_lots: i64,
    /// Lots the journal's reports held.
    pub journal_filled_lots: i64,
    /// Lots recovered by this line (the venue's fills the journal lacked).
    pub recovered_lots: i64,
    /// Σ price × qty of those, tick-lots (integer as a decimal string).
    #[serde(with = "i128_text")]
    pub recovered_notional_tl: i128,
}

/// An `unwind` line: job `unwind_job`'s leg `i` unwinds leg `legs[i]` of group `job`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unwind {
    /// The group unwound.
    pub job: JobId,
    /// The unwind's job id.
    pub unwind_job: JobId,
    /// Per unwind leg: the group's leg.
    pub legs: Vec<usize>,
}

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
}

impl From<OrderSide> for Side {
    fn from(s: OrderSide) -> Side {
        match s {
            OrderSide::Buy => Side::Buy,
            OrderSide::Sell => Side::Sell,
        }
    }
}

/// A group's resolution policy, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyName {
    /// [`Policy::Rollback`].
    Rollback,
    /// [`Policy::Rebalance`].
    Rebalance,
    /// [`Policy::Complete`].
    Complete,
    /// [`Policy::AcceptPartial`].
    AcceptPartial,
}

impl PolicyName {
    /// The name as written.
    pub const fn as_str(self) -> &'static str {
        match self {
            PolicyName::Rollback => "rollback",
            PolicyName::Rebalance => "rebalance",
            PolicyName::Complete => "complete",
            PolicyName::AcceptPartial => "accept_partial",
        }
    }
}

impl From<Policy> for PolicyName {
    fn from(p: Policy) -> PolicyName {
        match p {
            Policy::Rollback => PolicyName::Rollback,
            Policy::Rebalance => PolicyName::Rebalance,
            Policy::Complete { .. } => PolicyName::Complete,
            Policy::AcceptPartial => PolicyName::AcceptPartial,
        }
    }
}

/// A leg's execution mode, named as scenarios name it (`"mode":"limit"`), with its
/// parameters in ns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum ModeLine {
    /// Passive only.
    Limit {
        /// How long the passive order may rest, ns.
        timeout_ns: u64,
    },
    /// Passive, then IOC.
    LimitThenMarket {
        /// How long the passive order may rest, ns.
        timeout_ns: u64,
    },
    /// IOC at the protection price.
    Market,
    /// Passive, reposted as the touch moves.
    Chase {
        /// How long the chase may last, ns.
        timeout_ns: u64,
        /// Most reposts.
        max_reprices: u32,
        /// How far the passive price must move before a repost, ticks.
        refresh_ticks: i64,
    },
    /// Chosen from the pre-flight's recommendation.
    Adaptive {
        /// The passive timeout if the limit route is chosen, ns.
        timeout_ns: u64,
    },
}

impl From<Mode> for ModeLine {
    fn from(m: Mode) -> ModeLine {
        match m {
            Mode::LimitOnly { timeout_ns } => ModeLine::Limit { timeout_ns },
            Mode::LimitWithFallback { timeout_ns } => ModeLine::LimitThenMarket { timeout_ns },
            Mode::MarketOnly => ModeLine::Market,
            Mode::Chase {
                timeout_ns,
                max_reprices,
                refresh_ticks,
            } => ModeLine::Chase {
                timeout_ns,
                max_reprices,
                refresh_ticks,
            },
            Mode::Adaptive { timeout_ns } => ModeLine::Adaptive { timeout_ns },
        }
    }
}

/// Time in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TifName {
    /// Rests; refused if it would cross.
    PostOnly,
    /// Immediate or cancel.
    Ioc,
}

/// An order command (`"cmd":"submit"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Cmd {
    /// A new order.
    Submit {
        /// The leg's order slot.
        slot: usize,
        /// Direction.
        side: Side,
        /// Limit (or protection) price, ticks.
        price_ticks: i64,
        /// Size, lots.
        qty_lots: i64,
        /// Time in force.
        tif: TifName,
        /// May only reduce a position.
        reduce_only: bool,
    },
    /// Cancel the order in `slot`.
    Cancel {
        /// The leg's order slot.
        slot: usize,
    },
    /// Ask the venue for the order's status.
    Query {
        /// The leg's order slot.
        slot: usize,
    },
}

impl From<Command> for Cmd {
    fn from(c: Command) -> Cmd {
        match c {
            Command::Submit {
                slot,
                side,
                price_ticks,
                qty_lots,
                tif,
                reduce_only,
            } => Cmd::Submit {
                slot,
                side: side.into(),
                price_ticks,
                qty_lots,
                tif: match tif {
                    Tif::PostOnly => TifName::PostOnly,
                    Tif::Ioc => TifName::Ioc,
                },
                reduce_only,
            },
            Command::Cancel { slot } => Cmd::Cancel { slot },
            Command::Query { slot } => Cmd::Query { slot },
        }
    }
}

/// Maker or taker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiquidityName {
    /// Our resting order was hit.
    Maker,
    /// We crossed the spread.
    Taker,
}

/// A venue report's event (`"event":"filled"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Handed to the gateway.
    Sent,
    /// Accepted by the venue.
    Accepted,
    /// Refused by the venue.
    Rejected {
        /// Why, as the venue said.
        #[serde(flatten)]
        reason: ReasonLine,
    },
    /// A fill.
    Filled {
        /// The venue's trade id.
        trade_id: u64,
        /// Lots executed.
        fill_lots: i64,
        /// Execution price, ticks.
        fill_price_ticks: i64,
        /// Maker or taker.
        liquidity: LiquidityName,
        /// The fee the venue charged, tick-lots × 10⁻⁸ in quote (negative: a rebate).
        #[serde(with = "i128_text")]
        fee_tl_e8: i128,
        /// Time of the venue's report, ns.
        at_ns: u64,
    },
    /// We asked to cancel.
    CancelRequested,
    /// The venue confirmed the cancel.
    CancelAcked {
        /// Lots filled before the cancel, per the venue.
        filled_lots: i64,
    },
    /// The venue refused the cancel.
    CancelRejected {
        /// Why, as the venue said.
        #[serde(flatten)]
        reason: ReasonLine,
    },
    /// The venue ended the order.
    Expired {
        /// Lots filled, per the venue.
        filled_lots: i64,
    },
    /// Our request timed out: outcome unknown.
    TimedOut,
    /// The venue's answer to a status query.
    Status {
        /// What the venue said.
        #[serde(flatten)]
        status: StatusLine,
    },
}

/// A venue's answer to a status query (`"status":"open"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StatusLine {
    /// The venue does not know the order.
    NotFound,
    /// Open.
    Open {
        /// Lots filled so far.
        filled_lots: i64,
    },
    /// Closed.
    Closed {
        /// Lots filled in total.
        filled_lots: i64,
    },
}

impl From<ReportKind> for Event {
    fn from(k: ReportKind) -> Event {
        match k {
            ReportKind::Ack => Event::Accepted,
            ReportKind::Reject(r) => Event::Rejected { reason: r.into() },
            ReportKind::Fill(x) => Event::Filled {
                trade_id: x.trade_id,
                fill_lots: x.last_qty_lots,
                fill_price_ticks: x.price_ticks,
                liquidity: match x.liquidity {
                    Liquidity::Maker => LiquidityName::Maker,
                    Liquidity::Taker => LiquidityName::Taker,
                },
                fee_tl_e8: x.fee_tl_e8,
                at_ns: x.at_ns,
            },
            ReportKind::CancelAck { filled_lots } => Event::CancelAcked { filled_lots },
            ReportKind::CancelReject(r) => Event::CancelRejected { reason: r.into() },
            ReportKind::Expired { filled_lots } => Event::Expired { filled_lots },
            ReportKind::Status(s) => Event::Status {
                status: match s {
                    VenueStatus::NotFound => StatusLine::NotFound,
                    VenueStatus::Open { filled_lots } => StatusLine::Open { filled_lots },
                    VenueStatus::Closed { filled_lots } => StatusLine::Closed { filled_lots },
                },
            },
        }
    }
}

/// Why a venue refused an order or a cancel, as [`RejectReason::name`] names it
/// (`"reason":"post_only_would_cross"`); a venue code the gateway could not map keeps
/// its number (`"reason":"other","code":-2010`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ReasonLine {
    /// [`RejectReason::PostOnlyWouldCross`].
    PostOnlyWouldCross,
    /// [`RejectReason::UnknownOrder`].
    UnknownOrder,
    /// [`RejectReason::DuplicateOrder`].
    DuplicateOrder,
    /// [`RejectReason::InvalidOrder`].
    InvalidOrder,
    /// [`RejectReason::RateLimited`].
    RateLimited,
    /// [`RejectReason::InsufficientMargin`].
    InsufficientMargin,
    /// [`RejectReason::TooManyOrders`].
    TooManyOrders,
    /// [`RejectReason::Unavailable`].
    Unavailable,
    /// [`RejectReason::ClockSkew`].
    ClockSkew,
    /// [`RejectReason::BelowMinNotional`].
    BelowMinNotional,
    /// [`RejectReason::Other`].
    Other {
        /// The venue's own code.
        code: i32,
    },
}

impl From<RejectReason> for ReasonLine {
    fn from(r: RejectReason) -> ReasonLine {
        match r {
            RejectReason::PostOnlyWouldCross => ReasonLine::PostOnlyWouldCross,
            RejectReason::UnknownOrder => ReasonLine::UnknownOrder,
            RejectReason::DuplicateOrder => ReasonLine::DuplicateOrder,
            RejectReason::InvalidOrder => ReasonLine::InvalidOrder,
            RejectReason::RateLimited => ReasonLine::RateLimited,
            RejectReason::InsufficientMargin => ReasonLine::InsufficientMargin,
            RejectReason::TooManyOrders => ReasonLine::TooManyOrders,
            RejectReason::Unavailable => ReasonLine::Unavailable,
            RejectReason::ClockSkew => ReasonLine::ClockSkew,
            RejectReason::BelowMinNotional => ReasonLine::BelowMinNotional,
            RejectReason::Other(code) => ReasonLine::Other { code },
        }
    }
}

/// What a resume found of an order at its venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Settled {
    /// Sent, but it never reached the venue.
    Rejected,
    /// It rested; the resume cancelled it.
    Cancelled,
    /// Closed at the venue.
    Closed,
}

/// Why a whole, correctly sealed line is not a line of this schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// Not a JSON object.
    #[error("not a JSON object: {0}")]
    NotJson(String),
    /// `seq`, `kind` or `schema` of the wrong type.
    #[error("bad envelope: {0}")]
    Envelope(String),
    /// No `kind`.
    #[error("no `kind`")]
    NoKind,
    /// A `kind` this schema does not have.
    #[error("unknown kind `{0}`")]
    UnknownKind(String),
    /// A field missing, of the wrong type or with a bad value (a bad decimal).
    #[error("a `{kind}` line: {at}{why}")]
    Field {
        /// The line's kind.
        kind: String,
        /// Where, as ``field `legs[0].qty` (column 300): ``, or empty when the line as
        /// a whole is wrong (a field missing).
        at: String,
        /// What is wrong (serde's words: `missing field `job``, `invalid type: ...`).
        why: String,
    },
}

impl LineError {
    /// A field error of a `kind` line from serde, naming the field's path and column.
    fn field(kind: &str, e: serde_path_to_error::Error<serde_json::Error>) -> LineError {
        let path = e.path().to_string();
        let e = e.into_inner();
        let text = e.to_string();
        // serde_json ends its text with the position, which `at` tells instead.
        let why = text.rfind(" at line ").map_or(&*text, |i| &text[..i]);
        let at = match (path.as_str(), e.column()) {
            (".", _) => String::new(),
            (p, 0) => format!("field `{p}`: "),
            (p, c) => format!("field `{p}` (column {c}): "),
        };
        LineError::Field {
            kind: kind.to_string(),
            at,
            why: why.to_string(),
        }
    }
}

/// The part of a line every reader checks before its fields: its number, its kind and
/// (on an `opened` line) its schema.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Envelope {
    /// The record number (`None`: missing).
    pub seq: Option<u64>,
    /// The line kind (`None`: missing).
    pub kind: Option<String>,
    /// The schema of an `opened` line.
    pub schema: Option<u32>,
}

impl Envelope {
    /// Reads the envelope of `text`.
    pub fn of(text: &str) -> Result<Envelope, LineError> {
        serde_json::from_str(text).map_err(|e| {
            if e.is_data() {
                LineError::Envelope(e.to_string())
            } else {
                LineError::NotJson(e.to_string())
            }
        })
    }

    /// Parses `text`, whose envelope this is, into its typed line.
    pub fn parse(&self, text: &str) -> Result<Line, LineError> {
        let kind = self.kind.as_deref().ok_or(LineError::NoKind)?;
        let bad = |e| LineError::field(kind, e);
        // Each kind's struct is read directly (not through the tagged enum, which
        // would buffer the line and lose the path of a bad field).
        Ok(match kind {
            "opened" => Line::Opened(typed(text).map_err(bad)?),
            "resumed" => Line::Resumed(typed(text).map_err(bad)?),
            "started" => Line::Started(typed(text).map_err(bad)?),
            "unwind_started" => Line::UnwindStarted(typed(text).map_err(bad)?),
            "refused" => Line::Refused(typed(text).map_err(bad)?),
            "sent" => Line::Sent(typed(text).map_err(bad)?),
            "report" => Line::Report(typed(text).map_err(bad)?),
            "ended" => Line::Ended(typed(text).map_err(bad)?),
            "unwind_ended" => Line::UnwindEnded(typed(text).map_err(bad)?),
            "reconciled" => Line::Reconciled(typed(text).map_err(bad)?),
            "unwind" => Line::Unwind(typed(text).map_err(bad)?),
            other => return Err(LineError::UnknownKind(other.to_string())),
        })
    }
}

/// `text` as a `T`, or the error with the path of the field it met.
fn typed<T: serde::de::DeserializeOwned>(
    text: &str,
) -> Result<T, serde_path_to_error::Error<serde_json::Error>> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de)
}

/// A line with its record number, as written (before the seal).
#[derive(Serialize)]
struct Numbered<'a> {
    seq: u64,
    #[serde(flatten)]
    line: &'a Line,
}

/// `line` as record `seq`, serialized (to be sealed by [`super::file::seal`]).
pub fn to_json(seq: u64, line: &Line) -> Result<String, serde_json::Error> {
    serde_json::to_string(&Numbered { seq, line })
}

/// `Decimal` as its exact decimal text.
mod decimal_text {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::num::Decimal;

    pub fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(d)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let text = String::deserialize(d)?;
        Decimal::parse(&text)
            .map_err(|e| serde::de::Error::custom(format!("`{text}` is not a decimal: {e}")))
    }
}

/// `i128` as decimal integer text (JSON numbers past 2^53 lose digits in most readers).
mod i128_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &i128, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
        let text = String::deserialize(d)?;
        text.parse()
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a decimal integer")))
    }
}

/// Lines for tests: one builder per kind, with plausible values.
#[cfg(test)]
pub(crate) mod samples {
    use super::*;
    use crate::journal::LegSummary;

    /// The id of job `job`'s leg-0 order in `slot` (part 0).
    pub fn id(job: u64, slot: usize) -> OrderRef {
        OrderRef::new(job, LegIdx::new(0), 0, slot).expect("a small id is in range")
    }

    /// An ended group `id` with one filled leg (the one place tests build a summary).
    pub fn group(id: usize) -> GroupSummary {
        let d = |x: &str| Decimal::parse(x).expect("a sample decimal");
        GroupSummary {
            id,
            strategy: "s".into(),
            policy: "rollback".into(),
            outcome: "filled".into(),
            duration_ms: d("1.5"),
            wall_ms: 1_723_100_000_000,
            legs: vec![LegSummary {
                venue: "binance-spot".into(),
                instrument: "BTCUSDT".into(),
                side: "buy".into(),
                mode_used: "market".into(),
                target_qty: d("0.080000"),
                filled_qty: d("0.080000"),
                unwound_qty: d("0"),
                net_qty: d("0.080000"),
                filled_base: Some(d("0.080000")),
                avg_price: Some(d("61831.87")),
                expected_price: None,
                arrival_mid: d("61831.865"),
                slippage_bps: Some(d("0.0008")),
                expected_slippage_bps: None,
                fees: d("3.71"),
                quote: "USDT".into(),
                settle: Some("USDT".into()),
                shortfall_quote: Some(d("3.7104")),
                flow_quote: Some(d("-4950.2596")),
            }],
            shortfall_quote: crate::journal::Amounts::default(),
            incident: None,
        }
    }

    /// A `started` line of job `job` with legs (venue, side, lots).
    pub fn started(job: usize, legs: &[(usize, Side, i64)]) -> Line {
        let legs = legs
            .iter()
            .map(|&(v, side, lots)| StartedLeg {
                venue_index: v,
                book: 0,
                venue: format!("venue-{v}"),
                instrument: "BTCUSDT".into(),
                side,
                qty_lots: lots,
                qty: Decimal::from_i64(lots),
                bid_ticks: 99,
                ask_ticks: 101,
                mode: ModeLine::Market,
            })
            .collect();
        Line::Started(Started {
            job: JobId::new(job),
            t_ns: 1_000,
            strategy: "s".into(),
            policy: PolicyName::Rollback,
            legs,
        })
    }

    /// A `sent` line: job `job` submits order `id`.
    pub fn submit(job: usize, id: OrderRef, side: Side, qty_lots: i64) -> Line {
        Line::Sent(Sent {
            job: JobId::new(job),
            leg: LegIdx::new(0),
            part: 0,
            venue_index: 0,
            client_id: id,
            t_ns: 2_000,
            cmd: Cmd::Submit {
                slot: 0,
                side,
                price_ticks: 100,
                qty_lots,
                tif: TifName::Ioc,
                reduce_only: false,
            },
        })
    }

    /// A `report` line: order `id` filled `lots` at `px` in trade `trade_id`.
    pub fn fill(id: OrderRef, trade_id: u64, lots: i64, px: i64) -> Line {
        Line::Report(Report {
            job: JobId::new(0),
            client_id: id,
            taken: true,
            t_ns: 3_000,
            event: Event::Filled {
                trade_id,
                fill_lots: lots,
                fill_price_ticks: px,
                liquidity: LiquidityName::Taker,
                fee_tl_e8: 1_200,
                at_ns: 2_500,
            },
            venue: VenueWords::default(),
        })
    }

    /// An `ended` line of group `id`.
    pub fn ended(id: usize) -> Line {
        Line::Ended(Ended {
            t_ns: 4_000,
            group: group(id),
        })
    }

    /// A `reconciled` line recovering `lots` and `notional` of order `id` of `job`.
    pub fn reconciled(job: usize, id: OrderRef, lots: i64, notional: i128) -> Line {
        Line::Reconciled(Reconciled {
            job: JobId::new(job),
            client_id: id,
            status: Settled::Closed,
            venue_filled_lots: lots,
            journal_filled_lots: 0,
            recovered_lots: lots,
            recovered_notional_tl: notional,
        })
    }

    /// An `unwind` line: job `unwind_job` unwinds `legs` of group `job`.
    pub fn unwind(job: usize, unwind_job: usize, legs: &[usize]) -> Line {
        Line::Unwind(Unwind {
            job: JobId::new(job),
            unwind_job: JobId::new(unwind_job),
            legs: legs.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::samples::*;
    use super::*;
    use crate::journal::{read, Fsync, Writer};

    /// One line of every kind, every variant of every nested enum among them.
    fn every_kind() -> Vec<Line> {
        let Line::Started(start) = started(7, &[(0, Side::Buy, 5), (1, Side::Sell, 9)]) else {
            unreachable!("a started line")
        };
        let mut lines = vec![
            Line::Opened(Opened::now("carry-test")),
            Line::Resumed(Resumed::now()),
            Line::Started(start.clone()),
            Line::UnwindStarted(UnwindStarted { unwinds: 3, start }),
            Line::Refused(Refused {
                job: JobId::new(8),
                t_ns: 5,
                strategy: "s".into(),
                why: "risk: too large".into(),
            }),
            ended(7),
            Line::UnwindEnded(UnwindEnded {
                t_ns: 6,
                unwinds: 3,
                group: group(9),
            }),
            reconciled(3, id(3, 0), 20, i128::MAX),
            unwind(3, 9, &[1, 0]),
        ];
        lines.extend(mode_lines());
        let cmds = [
            Cmd::Cancel { slot: 1 },
            Cmd::Query { slot: 2 },
            Cmd::Submit {
                slot: 3,
                side: Side::Buy,
                price_ticks: 7,
                qty_lots: 8,
                tif: TifName::PostOnly,
                reduce_only: true,
            },
        ];
        for cmd in cmds {
            if let Line::Sent(mut s) = submit(1, id(1, 2), Side::Sell, 3) {
                s.cmd = cmd;
                lines.push(Line::Sent(s));
            }
        }
        for event in events() {
            if let Line::Report(mut r) = fill(id(4, 1), 5, 6, 7) {
                (r.event, r.taken) = (event, false);
                lines.push(Line::Report(r));
            }
        }
        for (code, reason, tag, text) in [
            (
                Some(-2010),
                None,
                None,
                Some("Account has insufficient balance."),
            ),
            (None, Some(5), Some(25001), Some("Value is incorrect")),
            (Some(-1013), None, None, None),
        ] {
            if let Line::Report(mut r) = fill(id(4, 2), 5, 6, 7) {
                r.event = Event::from(ReportKind::Reject(RejectReason::InvalidOrder));
                r.venue = VenueWords {
                    venue_code: code,
                    session_reason: reason,
                    ref_tag: tag,
                    venue_text: text.map(str::to_string),
                };
                lines.push(Line::Report(r));
            }
        }
        for status in [Settled::Rejected, Settled::Cancelled] {
            if let Line::Reconciled(mut r) = reconciled(1, id(1, 3), 3, -4) {
                r.status = status;
                lines.push(Line::Reconciled(r));
            }
        }
        lines
    }

    /// A `started` line per leg mode.
    fn mode_lines() -> Vec<Line> {
        let mut lines = Vec::new();
        let modes = [
            ModeLine::Limit { timeout_ns: 1 },
            ModeLine::LimitThenMarket { timeout_ns: 2 },
            ModeLine::Market,
            ModeLine::Chase {
                timeout_ns: 3,
                max_reprices: 4,
                refresh_ticks: -5,
            },
            ModeLine::Adaptive { timeout_ns: 6 },
        ];
        for mode in modes {
            if let Line::Started(mut s) = started(1, &[(0, Side::Sell, 1)]) {
                s.legs[0].mode = mode;
                s.legs[0].qty = Decimal::parse("-0.000100").unwrap_or(Decimal::ZERO);
                lines.push(Line::Started(s));
            }
        }
        lines
    }

    fn events() -> Vec<Event> {
        vec![
            Event::Sent,
            Event::Accepted,
            Event::Rejected {
                reason: ReasonLine::PostOnlyWouldCross,
            },
            Event::Rejected {
                reason: ReasonLine::Other { code: -2010 },
            },
            Event::Filled {
                trade_id: u64::MAX,
                fill_lots: 1,
                fill_price_ticks: 2,
                liquidity: LiquidityName::Maker,
                fee_tl_e8: i128::MIN,
                at_ns: 3,
            },
            Event::CancelRequested,
            Event::CancelAcked { filled_lots: 4 },
            Event::CancelRejected {
                reason: ReasonLine::UnknownOrder,
            },
            Event::Expired { filled_lots: 5 },
            Event::TimedOut,
            Event::Status {
                status: StatusLine::NotFound,
            },
            Event::Status {
                status: StatusLine::Open { filled_lots: 6 },
            },
            Event::Status {
                status: StatusLine::Closed { filled_lots: 7 },
            },
        ]
    }

    fn dir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("legcore-line-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn every_line_kind_goes_to_a_sealed_line_and_back_unchanged() {
        let lines = every_kind();
        let d = dir("round-trip");
        let (mut w, found) = Writer::open(&d, Fsync::Never).unwrap();
        assert!(found.records.is_empty());
        for (i, l) in lines.iter().enumerate() {
            w.write(&to_json(i as u64 + 1, l).unwrap(), false);
        }
        assert!(w.error.is_none());
        let back = read(&crate::journal::path_in(&d), false).unwrap();
        assert_eq!(back.cut_bytes, 0);
        assert_eq!(back.records, lines);
        // Every kind is there, under the name `KINDS` lists, which the reader knows.
        let text = std::fs::read_to_string(crate::journal::path_in(&d)).unwrap();
        for kind in Line::KINDS {
            assert!(text.contains(&format!("\"kind\":\"{kind}\"")), "{kind}");
            let env = Envelope {
                seq: Some(1),
                kind: Some(kind.to_string()),
                schema: None,
            };
            let err = env.parse("{}").unwrap_err();
            assert!(matches!(err, LineError::Field { .. }), "{kind}: {err}");
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn names_are_canonical_lower_case_and_big_integers_are_text() {
        let mut text = String::new();
        for l in every_kind() {
            text += &to_json(1, &l).unwrap();
        }
        for want in [
            r#""side":"buy""#,
            r#""side":"sell""#,
            r#""mode":"limit_then_market""#,
            r#""mode":"market""#,
            r#""cmd":"submit""#,
            r#""tif":"post_only""#,
            r#""event":"cancel_acked""#,
            r#""event":"status","status":"not_found""#,
            r#""liquidity":"maker""#,
            r#""policy":"rollback""#,
            r#""qty":"-0.000100""#,
            r#""recovered_notional_tl":"170141183460469231731687303715884105727""#,
            r#""trade_id":18446744073709551615"#,
            r#""fee_tl_e8":"-170141183460469231731687303715884105728""#,
            r#""event":"rejected","reason":"post_only_would_cross""#,
            r#""event":"rejected","reason":"other","code":-2010"#,
            r#""event":"cancel_rejected","reason":"unknown_order""#,
            r#""leg":0,"part":0,"venue_index":0,"#,
        ] {
            assert!(text.contains(want), "{want}");
        }
        // No Debug text (`Submit {`, `Buy`) reaches a line.
        assert!(!text.contains(" {"), "{text}");
        assert!(!text.contains("Buy") && !text.contains("MarketOnly"));
    }

    #[test]
    fn a_rejects_venue_words_reach_its_line_and_a_line_without_them_still_reads() {
        use crate::venue::VenueText;
        let detail = RejectDetail {
            code: None,
            session_reason: Some(5),
            ref_tag: Some(25001),
            text: VenueText::new(b"Value is incorrect (out of range) for this tag"),
        };
        let Line::Report(mut r) = fill(id(2, 0), 1, 1, 1) else {
            unreachable!("a report line")
        };
        r.event = Event::from(ReportKind::Reject(RejectReason::InvalidOrder));
        r.venue = Some(detail).into();
        let json = to_json(3, &Line::Report(r.clone())).unwrap();
        let want = r#""event":"rejected","reason":"invalid_order","session_reason":5,"ref_tag":25001,"venue_text":"Value is incorrect (out of range) for this tag""#;
        assert!(json.contains(want), "{json}");
        let back = Envelope::of(&json).unwrap().parse(&json).unwrap();
        assert_eq!(back, Line::Report(r.clone()));
        // A reject line as legcore wrote it before the venue's words: no words.
        let old = r#"{"seq":3,"kind":"report","job":2,"client_id":1,"taken":true,"t_ns":3000,"event":"rejected","reason":"other","code":-2010}"#;
        let Line::Report(back) = Envelope::of(old).unwrap().parse(old).unwrap() else {
            panic!("a report line")
        };
        assert_eq!(back.venue, VenueWords::default());
        assert_eq!(VenueWords::from(None), VenueWords::default());
        // A wrongly typed word is refused (flattened, so by its type, not its name).
        let bad = old.replace("-2010}", r#"-2010,"venue_code":"x"}"#);
        let err = Envelope::of(&bad).unwrap().parse(&bad).unwrap_err();
        assert!(err.to_string().contains("expected i32"), "{err}");
    }

    #[test]
    fn the_first_line_is_the_version_line_with_seq_first() {
        let json = to_json(1, &Line::Opened(Opened::now("x"))).unwrap();
        let head = format!(r#"{{"seq":1,"kind":"opened","schema":{SCHEMA},"legcore":""#);
        assert!(json.starts_with(&head), "{json}");
    }

    #[test]
    fn a_reports_reason_and_fee_reach_its_line_under_the_venue_layers_names() {
        use crate::venue::Execution;
        let reasons = [
            RejectReason::PostOnlyWouldCross,
            RejectReason::UnknownOrder,
            RejectReason::DuplicateOrder,
            RejectReason::InvalidOrder,
            RejectReason::RateLimited,
            RejectReason::InsufficientMargin,
            RejectReason::TooManyOrders,
            RejectReason::Unavailable,
            RejectReason::ClockSkew,
            RejectReason::BelowMinNotional,
            RejectReason::Other(-2010),
        ];
        for r in reasons {
            let json = serde_json::to_string(&Event::from(ReportKind::Reject(r))).unwrap();
            let want = format!(r#"{{"event":"rejected","reason":"{}""#, r.name());
            assert!(json.starts_with(&want), "{json}");
        }
        let kind = ReportKind::CancelReject(RejectReason::Other(-2011));
        let json = serde_json::to_string(&Event::from(kind)).unwrap();
        assert_eq!(
            json,
            r#"{"event":"cancel_rejected","reason":"other","code":-2011}"#
        );
        let x = Execution {
            trade_id: 9,
            last_qty_lots: 2,
            price_ticks: 30,
            liquidity: Liquidity::Maker,
            fee_tl_e8: -45,
            at_ns: 6,
        };
        let Event::Filled { fee_tl_e8, .. } = Event::from(ReportKind::Fill(x)) else {
            panic!("a fill's line is `filled`")
        };
        assert_eq!(fee_tl_e8, -45);
    }
}
