//! The USD-M user data stream's `ORDER_TRADE_UPDATE` as a venue report: execution type
//! `NEW` → ack, `TRADE` → a fill (trade id, maker or taker, price and size in ticks and
//! lots, the commission in quote money as [`Execution::fee_tl_e8`], rounded up),
//! `CANCELED` → cancel ack and `EXPIRED` → expiry (both with the cumulative fill). Other
//! execution types (`CALCULATED` liquidations, `AMENDMENT`) and other events are told
//! apart, never mistaken for one of these. The gateway maps the client id to its order.
//!
//! `ACCOUNT_UPDATE` is read for one thing, the venue's position in the gateway's symbol
//! ([`account_position`]; [`position_risk`] reads the same from REST), which the gateway
//! holds against the fills it delivered.

use serde::Deserialize;

use crate::leg::Liquidity;
use crate::num::{Decimal, Round, Step};
use crate::venue::{fee_tl_e8, Execution, ReportKind};

/// The instrument a gateway trades: its steps and its quote asset (commissions in any
/// other asset are reported as unconverted).
#[derive(Debug, Clone, Copy)]
pub struct Contract<'a> {
    /// Price tick and quantity lot.
    pub steps: (Step, Step),
    /// `USDT`.
    pub quote: &'a str,
}

/// One user-data event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserEvent<'a> {
    /// An order's report.
    Order {
        /// `c`: the client order id.
        client_id: &'a str,
        /// `s`.
        symbol: &'a str,
        /// The report.
        kind: ReportKind,
        /// A fill's commission was in another asset than the quote: fee 0 here, and the
        /// gateway counts it.
        unconverted_fee: bool,
    },
    /// An `ORDER_TRADE_UPDATE` of an execution type no report stands for.
    OtherExecution(&'a str),
    /// Another event (`ACCOUNT_UPDATE`, `listenKeyExpired`, `MARGIN_CALL`…), by its name.
    Other(&'a str),
}

/// An event that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// Not JSON of the event's shape (serde's message names the field).
    #[error("not a user-data event: {0}")]
    Shape(String),
    /// A number that is not on the instrument's steps or out of range.
    #[error("user-data event field {field} = `{value}`: {why}")]
    Field {
        /// The field.
        field: &'static str,
        /// Its text.
        value: String,
        /// What is wrong.
        why: &'static str,
    },
}

#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(rename = "e")]
    event: &'a str,
    #[serde(borrow, default, rename = "o")]
    order: Option<RawOrder<'a>>,
}

#[derive(Deserialize)]
struct RawOrder<'a> {
    s: &'a str,
    c: &'a str,
    x: &'a str,
    z: &'a str,
    l: &'a str,
    #[serde(rename = "L")]
    last_price: &'a str,
    #[serde(default)]
    n: Option<&'a str>,
    #[serde(default, rename = "N")]
    fee_asset: Option<&'a str>,
    #[serde(rename = "T")]
    at_ms: u64,
    t: u64,
    m: bool,
}

fn units(step: Step, field: &'static str, v: &str) -> Result<i64, EventError> {
    step.parse_units(v.as_bytes())
        .map_err(|_| EventError::Field {
            field,
            value: v.to_owned(),
            why: "not a decimal on the instrument's step",
        })
}

/// Reads one user-data frame for `contract`.
pub fn parse<'a>(frame: &'a str, contract: &Contract<'_>) -> Result<UserEvent<'a>, EventError> {
    let raw: Raw<'a> = serde_json::from_str(frame).map_err(|e| EventError::Shape(e.to_string()))?;
    let (o, "ORDER_TRADE_UPDATE") = (raw.order, raw.event) else {
        return Ok(UserEvent::Other(raw.event));
    };
    let Some(o) = o else {
        return Err(EventError::Shape("ORDER_TRADE_UPDATE without `o`".into()));
    };
    let (tick, lot) = contract.steps;
    let mut unconverted_fee = false;
    let kind = match o.x {
        "NEW" => ReportKind::Ack,
        "CANCELED" => ReportKind::CancelAck {
            filled_lots: units(lot, "z", o.z)?,
        },
        "EXPIRED" | "EXPIRED_IN_MATCH" => ReportKind::Expired {
            filled_lots: units(lot, "z", o.z)?,
        },
        "TRADE" => {
            let fee = match (o.n, o.fee_asset) {
                (Some(n), Some(asset)) if asset == contract.quote => commission(n, tick, lot)?,
                (Some(n), _) if n.trim_start_matches(['0', '.']).is_empty() => 0,
                (None, _) => 0,
                _ => {
                    unconverted_fee = true;
                    0
                }
            };
            let at_ns = o
                .at_ms
                .checked_mul(1_000_000)
                .ok_or_else(|| EventError::Field {
                    field: "T",
                    value: o.at_ms.to_string(),
                    why: "out of range",
                })?;
            ReportKind::Fill(Execution {
                trade_id: o.t,
                last_qty_lots: units(lot, "l", o.l)?,
                price_ticks: units(tick, "L", o.last_price)?,
                liquidity: if o.m {
                    Liquidity::Maker
                } else {
                    Liquidity::Taker
                },
                fee_tl_e8: fee,
                at_ns,
            })
        }
        other => return Ok(UserEvent::OtherExecution(other)),
    };
    Ok(UserEvent::Order {
        client_id: o.c,
        symbol: o.s,
        kind,
        unconverted_fee,
    })
}

#[derive(Deserialize)]
struct RawAccount<'a> {
    #[serde(rename = "e")]
    event: &'a str,
    #[serde(borrow, rename = "a")]
    account: RawUpdate<'a>,
}

#[derive(Deserialize)]
struct RawUpdate<'a> {
    #[serde(borrow, default, rename = "P")]
    positions: Vec<RawPosition<'a>>,
}

#[derive(Deserialize)]
struct RawPosition<'a> {
    s: &'a str,
    pa: &'a str,
}

/// The position in `symbol` an `ACCOUNT_UPDATE` frame reports, in lots, signed (long
/// positive): the sum over its position sides (one-way mode's `BOTH`, or hedge mode's
/// `LONG` and negative `SHORT`). `None` when the update lists no position in `symbol`
/// (Binance lists only the positions that changed).
pub fn account_position(frame: &str, symbol: &str, lot: Step) -> Result<Option<i64>, EventError> {
    let raw: RawAccount<'_> =
        serde_json::from_str(frame).map_err(|e| EventError::Shape(e.to_string()))?;
    if raw.event != "ACCOUNT_UPDATE" {
        return Err(EventError::Shape(format!(
            "{} is not ACCOUNT_UPDATE",
            raw.event
        )));
    }
    let mut total: Option<i64> = None;
    for p in raw.account.positions.iter().filter(|p| p.s == symbol) {
        let sum = total
            .unwrap_or(0)
            .checked_add(signed_lots(lot, "pa", p.pa)?);
        total = Some(sum.ok_or_else(|| EventError::Field {
            field: "pa",
            value: p.pa.to_owned(),
            why: "out of range",
        })?);
    }
    Ok(total)
}

/// The net position in `symbol` of a `GET /fapi/v3/positionRisk` answer, in lots
/// signed as [`account_position`]'s (0 when it lists none: v3 lists only symbols with a
/// position).
pub fn position_risk(body: &str, symbol: &str, lot: Step) -> Result<i64, EventError> {
    #[derive(Deserialize)]
    struct Row<'a> {
        symbol: &'a str,
        #[serde(rename = "positionAmt")]
        amount: &'a str,
    }
    let rows: Vec<Row<'_>> =
        serde_json::from_str(body).map_err(|e| EventError::Shape(e.to_string()))?;
    rows.iter()
        .filter(|r| r.symbol == symbol)
        .try_fold(0i64, |total, r| {
            let lots = signed_lots(lot, "positionAmt", r.amount)?;
            total.checked_add(lots).ok_or_else(|| EventError::Field {
                field: "positionAmt",
                value: r.amount.to_owned(),
                why: "out of range",
            })
        })
}

/// A position amount (`-0.010`) in whole lots, signed.
fn signed_lots(lot: Step, field: &'static str, text: &str) -> Result<i64, EventError> {
    match text.strip_prefix('-') {
        Some(digits) => Ok(-units(lot, field, digits)?),
        None => units(lot, field, text),
    }
}

/// A commission `n` in quote money as tick-lots × 10⁻⁸, rounded up.
pub fn commission(n: &str, tick: Step, lot: Step) -> Result<i128, EventError> {
    let bad = |why| EventError::Field {
        field: "n",
        value: n.to_owned(),
        why,
    };
    let fee = Decimal::parse(n).map_err(|_| bad("not a decimal"))?;
    let tick_lot = tick
        .size()
        .mul(lot.size(), Round::ToZero)
        .map_err(|_| bad("out of range"))?;
    fee_tl_e8(fee, tick_lot).ok_or_else(|| bad("out of range"))
}

#[cfg(test)]
mod tests;
