//! ExecutionReport(8), OrderCancelReject(9) and session Reject(3) → `venue::Report`,
//! read in place from the frame ([`Decoded`] borrows Binance's Text(58)).
//!
//! A fee is converted to the quote currency's tick-lots × 10⁻⁸, **rounded up** (a cost
//! is never understated): charged in the quote asset it converts exactly; in the base
//! asset it is valued at the fill's LastPx(31); in another asset (BNB) it is reported
//! as 0 and counted ([`BinanceOrders::unconverted_fees`]), with the text in the frame.

use super::BinanceOrders;
use crate::fix::codec::{FieldError, Frame};
use crate::leg::Liquidity;
use crate::num::{Decimal, Round, Text};
use crate::venue::{
    fee_tl_e8, Execution, OrderRef, OrderRefError, RejectReason, Report, ReportKind,
};

/// A report and what Binance said with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// The report for the engine.
    pub report: Report,
    /// ErrorCode(25016), on rejects.
    pub error_code: Option<i64>,
    /// Text(58), on rejects.
    pub text: Option<&'a [u8]>,
}

/// Why a frame gave no report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// A field is missing or out of range.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// ClOrdID is not one of ours (another session's or another client's order).
    #[error("ClOrdID {0} is not a legcore order")]
    ForeignOrder(Text),
    /// Our ClOrdID does not decode to an order reference.
    #[error(transparent)]
    OrderRef(#[from] OrderRefError),
    /// A Reject(3) whose RefSeqNum(45) is not a recent order message of ours.
    #[error("Reject(3) for MsgSeqNum {0}, not a recent order message")]
    UnknownSeq(u64),
    /// A message or ExecType this mapping does not handle.
    #[error("unsupported {what} {value}")]
    Unsupported {
        /// `MsgType` or `ExecType`.
        what: &'static str,
        /// Its value.
        value: Text,
    },
}

/// The reason for Binance's ErrorCode and Text (errors.md).
fn reason(code: Option<i64>, text: Option<&[u8]>) -> RejectReason {
    let t = text.unwrap_or(b"");
    match (code, t) {
        (_, b"Order would immediately match and take.") => RejectReason::PostOnlyWouldCross,
        (_, b"Unknown order sent.") => RejectReason::UnknownOrder,
        (_, b"Duplicate order sent.") => RejectReason::DuplicateOrder,
        _ if t.starts_with(b"Account has insufficient balance") => RejectReason::InsufficientMargin,
        (Some(-1003 | -1015), _) => RejectReason::RateLimited,
        (Some(-1008), _) => RejectReason::Unavailable,
        (Some(-1013 | -1102..=-1100 | -1111), _) => RejectReason::InvalidOrder,
        (Some(c), _) => RejectReason::Other(i32::try_from(c).unwrap_or(i32::MIN)),
        (None, _) => RejectReason::Other(0),
    }
}

/// Our order in ClOrdID `v` (`<wire>` or a cancel's `C<wire>`).
fn order_of(v: &[u8]) -> Result<OrderRef, ReportError> {
    let digits = v.strip_prefix(b"C").unwrap_or(v);
    let ok = !digits.is_empty() && digits.len() <= 20 && digits.iter().all(u8::is_ascii_digit);
    let wire = digits
        .iter()
        .try_fold(0u64, |a, &b| {
            a.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        })
        .filter(|_| ok)
        .ok_or_else(|| ReportError::ForeignOrder(Text::new(v)))?;
    Ok(OrderRef::from_wire(wire)?)
}

impl BinanceOrders {
    /// The report in an application frame the session delivered.
    pub fn decode<'a>(&mut self, f: &Frame<'a>) -> Result<Decoded<'a>, ReportError> {
        let code = f.get(25016).map(|_| f.int(25016)).transpose()?;
        let text = f.get(58);
        let kind_order = match f.msg_type() {
            b"8" => self.execution(f, code, text)?,
            b"9" => {
                let order = order_of(f.get(41).map_or_else(|| f.req(11), Ok)?)?;
                (ReportKind::CancelReject(reason(code, text)), order)
            }
            b"3" => {
                let seq = f.uint(45)?;
                let sent = u32::try_from(seq).ok().and_then(|s| self.sent_as(s));
                let (wire, cancel) = sent.ok_or(ReportError::UnknownSeq(seq))?;
                let why = reason(code, text);
                let kind = if cancel {
                    ReportKind::CancelReject(why)
                } else {
                    ReportKind::Reject(why)
                };
                (kind, OrderRef::from_wire(wire)?)
            }
            mt => {
                return Err(ReportError::Unsupported {
                    what: "MsgType",
                    value: Text::new(mt),
                })
            }
        };
        let (kind, order) = kind_order;
        Ok(Decoded {
            report: Report::new(order, kind),
            error_code: code,
            text,
        })
    }

    fn execution(
        &mut self,
        f: &Frame<'_>,
        code: Option<i64>,
        text: Option<&[u8]>,
    ) -> Result<(ReportKind, OrderRef), ReportError> {
        let order = order_of(f.get(41).map_or_else(|| f.req(11), Ok)?)?;
        let lot = self.rules.lot;
        let kind = match f.req(150)? {
            b"0" => ReportKind::Ack,
            b"F" => ReportKind::Fill(self.fill(f)?),
            b"4" => ReportKind::CancelAck {
                filled_lots: f.units(14, lot)?,
            },
            b"C" => ReportKind::Expired {
                filled_lots: f.units(14, lot)?,
            },
            b"8" => ReportKind::Reject(reason(code, text)),
            v => {
                return Err(ReportError::Unsupported {
                    what: "ExecType",
                    value: Text::new(v),
                })
            }
        };
        Ok((kind, order))
    }

    fn fill(&mut self, f: &Frame<'_>) -> Result<Execution, ReportError> {
        let (tick, lot) = (self.rules.tick, self.rules.lot);
        let last_qty_lots = f.units(32, lot)?;
        let price_ticks = f.units(31, tick)?;
        if last_qty_lots == 0 || price_ticks == 0 {
            let v = if last_qty_lots == 0 {
                f.req(32)?
            } else {
                f.req(31)?
            };
            return Err(
                FieldError::range(if last_qty_lots == 0 { 32 } else { 31 }, v, "zero").into(),
            );
        }
        let liquidity = match f.get(1057) {
            Some(b"Y") => Liquidity::Taker,
            Some(b"N") => Liquidity::Maker,
            _ => return Err(FieldError::Missing { tag: 1057 }.into()),
        };
        Ok(Execution {
            trade_id: f.uint(1003)?,
            last_qty_lots,
            price_ticks,
            liquidity,
            fee_tl_e8: self.fee(f)?,
            at_ns: f.time(60)?,
        })
    }

    /// The fill's fees (MiscFees group), quote tick-lots × 10⁻⁸, rounded up.
    fn fee(&mut self, f: &Frame<'_>) -> Result<i128, ReportError> {
        let bad = |tag, v: &[u8], why| ReportError::Field(FieldError::range(tag, v, why));
        let mut total = Decimal::ZERO;
        let mut amount: Option<Decimal> = None;
        for (tag, v) in f.fields() {
            match tag {
                137 => {
                    amount =
                        Some(Decimal::parse_bytes(v).map_err(|_| bad(137, v, "not a decimal"))?)
                }
                138 => {
                    let a = amount.take().ok_or(FieldError::Missing { tag: 137 })?;
                    let quote = if v == self.quote_asset.as_bytes() {
                        a
                    } else if v == self.base_asset.as_bytes() {
                        let px = Decimal::parse_bytes(f.req(31)?)
                            .map_err(|_| bad(31, v, "not a decimal"))?;
                        a.mul(px, Round::Ceil)
                            .map_err(|_| bad(137, v, "fee out of range"))?
                    } else {
                        self.unconverted_fees += 1;
                        continue;
                    };
                    total = total
                        .checked_add(quote)
                        .map_err(|_| bad(137, v, "fee out of range"))?;
                }
                _ => {}
            }
        }
        let out_of_range = || bad(137, b"", "fee out of range");
        let tl = self.tick_lot.ok_or_else(out_of_range)?;
        fee_tl_e8(total, tl).ok_or_else(out_of_range)
    }
}
