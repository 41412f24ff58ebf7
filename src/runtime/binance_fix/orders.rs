//! Binance Spot FIX order entry to and from the venue protocol: a `Request` as the
//! body of a NewOrderSingle(D) or OrderCancelRequest(F), and an ExecutionReport(8),
//! OrderCancelReject(9) or session Reject(3) as a [`Report`].
//!
//! - Post-only is Binance's LIMIT_MAKER (`40=2`, `18=6`); IOC and market-with-protection
//!   are a LIMIT IOC at the (protection) price (`40=2`, `59=3`): Binance's MARKET order
//!   has no price bound.
//! - ClOrdID(11) is the [`OrderRef`]'s wire number in decimal; a cancel's own ClOrdID is
//!   `c<wire>-<n>` and OrigClOrdID(41) names the order.
//! - A session Reject(3) names the refused message by RefSeqNum(45): the gateway keeps
//!   the MsgSeqNum of each request it sent ([`Sent`]) to find the order.
//! - Rejects (`8` `150=8`, `9`, `3`) carry the venue's words as a
//!   [`RejectDetail`] ([`detail`]): ErrorCode(25016),
//!   SessionRejectReason(373), RefTagID(371), Text(58).
//! - Fees: MiscFeeAmt(137) in the quote asset, as tick-lots × 10⁻⁸, rounded up (a fee
//!   is never understated).
//!
//! `crate::fix`'s own order mapping replaces this once it lands (see the report).

use crate::fix::codec::{Encoder, FieldError, Frame};
use crate::leg::Liquidity;
use crate::num::{Decimal, Step};
use crate::venue::{
    Execution, NewOrder, OrderPrice, OrderRef, RejectDetail, RejectReason, Report, ReportKind,
    TimeInForce, VenueText,
};

use super::StpMode;

/// What the mapping needs of the instrument.
#[derive(Debug, Clone)]
pub struct Instrument {
    /// Symbol(55).
    pub symbol: String,
    /// Price tick.
    pub tick: Step,
    /// Quantity lot.
    pub lot: Step,
    /// SelfTradePreventionMode(25001), if set.
    pub stp: Option<StpMode>,
}

/// A request sent, by MsgSeqNum: what a session Reject(3) refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// Its MsgSeqNum.
    pub seq: u32,
    /// The order.
    pub order: OrderRef,
    /// A cancel (else a new order).
    pub cancel: bool,
    /// When it was sent, on the runtime's clock.
    pub sent_ns: u64,
    /// Its answer came (a new order's first report, a cancel's ack or reject), or it is
    /// no longer waited for.
    pub answered: bool,
}

/// Why an inbound application frame could not be mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    /// A field missing or out of range.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// ClOrdID is not a number this engine sends.
    #[error("ClOrdID is not one of ours")]
    NotOurs,
    /// A Reject(3) for a message that was no order request (or one too old to know).
    #[error("session Reject of MsgSeqNum {0}, which was no order request")]
    UnknownRefSeq(u64),
    /// An ExecType this gateway does not map (replaced, pending, ...).
    #[error("ExecType {0} is not mapped")]
    ExecType(u8),
}

fn units_text(units: i64, step: Step) -> (i128, u8) {
    (i128::from(units) * i128::from(step.step_int()), step.dp())
}

/// Writes a NewOrderSingle's body for `o`.
pub fn new_order(e: &mut Encoder<'_>, o: &NewOrder, ins: &Instrument) {
    let mut id = [0u8; 20];
    let (qty, qdp) = units_text(o.qty_lots, ins.lot);
    let (px, pdp) = units_text(o.price.ticks(), ins.tick);
    e.str(11, crate::text::digits(o.order.wire(), &mut id));
    e.decimal(38, qty, qdp).char(40, b'2');
    if o.tif == TimeInForce::PostOnly {
        e.char(18, b'6');
    }
    e.decimal(44, px, pdp);
    let side = match o.side {
        crate::book::OrderSide::Buy => b'1',
        crate::book::OrderSide::Sell => b'2',
    };
    e.char(54, side).str(55, ins.symbol.as_bytes());
    if o.tif == TimeInForce::Ioc || matches!(o.price, OrderPrice::Market { .. }) {
        e.char(59, b'3');
    }
    if let Some(s) = ins.stp {
        e.char(25001, s.wire());
    }
}

/// Writes an OrderCancelRequest's body for `order`; `n` makes its own ClOrdID unique.
pub fn cancel(e: &mut Encoder<'_>, order: OrderRef, n: u64, ins: &Instrument) {
    let mut id = [0u8; 20];
    let mut k = [0u8; 20];
    let mut own = [0u8; 42];
    let w = crate::text::digits(order.wire(), &mut id);
    let c = crate::text::digits(n, &mut k);
    own[0] = b'c';
    own[1..1 + w.len()].copy_from_slice(w);
    own[1 + w.len()] = b'-';
    own[2 + w.len()..2 + w.len() + c.len()].copy_from_slice(c);
    e.str(11, &own[..2 + w.len() + c.len()]);
    e.str(41, w).str(55, ins.symbol.as_bytes());
}

fn order_ref(v: &[u8]) -> Result<OrderRef, MapError> {
    let s = std::str::from_utf8(v).map_err(|_| MapError::NotOurs)?;
    let n: u64 = s.parse().map_err(|_| MapError::NotOurs)?;
    OrderRef::from_wire(n).map_err(|_| MapError::NotOurs)
}

/// Binance's error code as a reason: the ones the legs act on by name, the rest kept.
pub fn reason(code: i64) -> RejectReason {
    match code {
        -2011 | -2013 => RejectReason::UnknownOrder,
        -1013 | -1102..=-1100 | -1111 | -1117..=-1115 => RejectReason::InvalidOrder,
        -1003 | -1015 => RejectReason::RateLimited,
        -1008 | -1016 => RejectReason::Unavailable,
        c => RejectReason::Other(i32::try_from(c).unwrap_or(i32::MIN)),
    }
}

/// The report an application frame `f` carries; `sent` finds a Reject(3)'s order;
/// `to_clock` turns the venue's epoch time into the runtime clock's. Rejects and cancel
/// rejects carry the venue's words ([`detail`]).
pub fn report(
    f: &Frame<'_>,
    ins: &Instrument,
    sent: &[Sent],
    to_clock: impl Fn(u64) -> u64,
) -> Result<Report, MapError> {
    match f.msg_type() {
        b"3" => {
            let seq = f.uint(45)?;
            let s = sent
                .iter()
                .find(|s| u64::from(s.seq) == seq)
                .ok_or(MapError::UnknownRefSeq(seq))?;
            let d = detail(f)?;
            // A refusal by the venue's FIX layer (a field its dictionary does not take)
            // is an invalid order; one with Binance's own code says which.
            let why = d
                .code
                .map_or(RejectReason::InvalidOrder, |c| reason(i64::from(c)));
            let kind = if s.cancel {
                ReportKind::CancelReject(why)
            } else {
                ReportKind::Reject(why)
            };
            Ok(Report {
                order: s.order,
                kind,
                detail: Some(d),
            })
        }
        b"9" => {
            let d = detail(f)?;
            Ok(Report {
                order: order_ref(f.req(41)?)?,
                kind: ReportKind::CancelReject(reason(d.code.map_or(0, i64::from))),
                detail: Some(d),
            })
        }
        _ => execution_report(f, ins, to_clock),
    }
}

/// The venue's words on a reject: ErrorCode(25016), SessionRejectReason(373),
/// RefTagID(371) and Text(58), each if present.
pub fn detail(f: &Frame<'_>) -> Result<RejectDetail, MapError> {
    let opt = |tag: u32| f.get(tag).map(|_| f.int(tag)).transpose();
    let range = |tag: u32| {
        MapError::Field(FieldError::range(
            tag,
            f.get(tag).unwrap_or(b""),
            "out of range",
        ))
    };
    let code = match opt(25016)? {
        Some(c) => Some(i32::try_from(c).map_err(|_| range(25016))?),
        None => None,
    };
    let session_reason = match opt(373)? {
        Some(r) => Some(u16::try_from(r).map_err(|_| range(373))?),
        None => None,
    };
    let ref_tag = match opt(371)? {
        Some(t) => Some(u32::try_from(t).map_err(|_| range(371))?),
        None => None,
    };
    Ok(RejectDetail {
        code,
        session_reason,
        ref_tag,
        text: VenueText::new(f.get(58).unwrap_or(b"")),
    })
}

fn execution_report(
    f: &Frame<'_>,
    ins: &Instrument,
    to_clock: impl Fn(u64) -> u64,
) -> Result<Report, MapError> {
    let order = order_ref(f.get(41).map_or_else(|| f.req(11), Ok)?)?;
    let exec_type = f.req(150)?.first().copied().unwrap_or(b'?');
    let kind = match exec_type {
        b'0' => ReportKind::Ack,
        b'F' => ReportKind::Fill(Execution {
            trade_id: f.uint(1003)?,
            last_qty_lots: f.units(32, ins.lot)?,
            price_ticks: f.units(31, ins.tick)?,
            liquidity: if f.get(1057) == Some(b"N") {
                Liquidity::Maker
            } else {
                Liquidity::Taker
            },
            fee_tl_e8: fee(f, ins)?,
            at_ns: f.get(60).map_or(Ok(0), |_| f.time(60)).map(&to_clock)?,
        }),
        b'4' => ReportKind::CancelAck {
            filled_lots: f.units(14, ins.lot)?,
        },
        b'8' => {
            let d = detail(f)?;
            let why = reason(d.code.map_or(0, i64::from));
            return Ok(Report {
                order,
                kind: ReportKind::Reject(why),
                detail: Some(d),
            });
        }
        b'C' => ReportKind::Expired {
            filled_lots: f.units(14, ins.lot)?,
        },
        t => return Err(MapError::ExecType(t)),
    };
    Ok(Report::new(order, kind))
}

/// MiscFeeAmt(137) as tick-lots × 10⁻⁸, rounded up; 0 without one.
fn fee(f: &Frame<'_>, ins: &Instrument) -> Result<i128, MapError> {
    let Some(text) = f.get(137) else {
        return Ok(0);
    };
    let bad = || MapError::Field(FieldError::range(137, text, "not a fee in range"));
    let d = std::str::from_utf8(text)
        .ok()
        .and_then(|s| Decimal::parse(s).ok())
        .ok_or_else(bad)?;
    // fee × 10⁸ / (tick × lot), with Decimal's 18 places: raw × 10^(tdp+ldp) / (t×l×10¹⁰).
    let scale = 10i128.pow(u32::from(ins.tick.dp()) + u32::from(ins.lot.dp()));
    let unit = i128::from(ins.tick.step_int()) * i128::from(ins.lot.step_int());
    let num = d.raw().checked_mul(scale).ok_or_else(bad)?;
    let den = unit.checked_mul(10_000_000_000).ok_or_else(bad)?;
    let q = num / den;
    Ok(if num % den > 0 { q + 1 } else { q })
}
