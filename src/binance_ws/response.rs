//! WebSocket API answers: `{"id","status","result"|"error","rateLimits"}`, read into an
//! [`Answer`] (the order the venue took, or the typed reason it refused) and the rate
//! limits the answer reports, which risk reads to slow down before the venue bans
//! ([`RateLimits::used_permille`]: the fullest window's use).

use arrayvec::ArrayVec;
use serde::Deserialize;

use super::reject::reason;
use crate::venue::RejectReason;

/// Most rate-limit windows kept from one answer (Binance reports three or four).
pub const RATE_LIMITS_CAP: usize = 8;

/// One rate-limit window as the venue reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// `REQUEST_WEIGHT` (true) or `ORDERS` (false).
    pub weight: bool,
    /// The window, ms (`intervalNum` × `interval`).
    pub window_ms: u64,
    /// The limit in the window.
    pub limit: u64,
    /// Used so far in the window.
    pub count: u64,
}

/// The windows of one answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimits(pub ArrayVec<RateLimit, RATE_LIMITS_CAP>);

impl RateLimits {
    /// The fullest window's use, in thousandths of its limit (0 with none reported; a
    /// limit of 0 counts as full).
    pub fn used_permille(&self) -> u64 {
        let used = |r: &RateLimit| match r.limit {
            0 => 1000,
            l => r.count.saturating_mul(1000) / l,
        };
        self.0.iter().map(used).max().unwrap_or(0)
    }
}

/// What the venue answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer<'a> {
    /// An order (placed, cancelled or queried): its state at the venue.
    Order {
        /// `clientOrderId`.
        client_id: &'a str,
        /// The venue's order id.
        order_id: u64,
        /// `NEW`, `PARTIALLY_FILLED`, `FILLED`, `CANCELED`, `EXPIRED`…
        status: &'a str,
        /// Cumulative filled quantity, the venue's decimal text.
        executed_qty: &'a str,
    },
    /// The request was refused.
    Refused {
        /// Binance's code.
        code: i64,
        /// As a typed reason.
        reason: RejectReason,
        /// The venue's words.
        msg: &'a str,
    },
}

/// A parsed answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response<'a> {
    /// The request id it answers.
    pub id: &'a str,
    /// HTTP-like status (200, 400, 429, 418…).
    pub status: u16,
    /// The result or the refusal.
    pub answer: Answer<'a>,
    /// The rate limits it reported.
    pub rate_limits: RateLimits,
}

/// An answer that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// Not JSON of the answer's shape (the serde message names the field).
    #[error("not a WebSocket API answer: {0}")]
    Shape(String),
    /// Neither `result` nor `error`.
    #[error("answer {0} has neither result nor error")]
    Empty(String),
    /// An unknown rate-limit interval.
    #[error("rate limit interval `{0}` is not SECOND, MINUTE, HOUR or DAY")]
    Interval(String),
}

#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(borrow)]
    id: &'a str,
    status: u16,
    #[serde(borrow, default)]
    result: Option<RawOrder<'a>>,
    #[serde(borrow, default)]
    error: Option<RawError<'a>>,
    #[serde(borrow, default, rename = "rateLimits")]
    rate_limits: ArrayVec<RawLimit<'a>, RATE_LIMITS_CAP>,
}

#[derive(Deserialize)]
struct RawOrder<'a> {
    #[serde(rename = "clientOrderId")]
    client_id: &'a str,
    #[serde(rename = "orderId")]
    order_id: u64,
    status: &'a str,
    #[serde(rename = "executedQty")]
    executed_qty: &'a str,
}

#[derive(Deserialize)]
struct RawError<'a> {
    code: i64,
    msg: &'a str,
}

#[derive(Deserialize)]
struct RawLimit<'a> {
    #[serde(rename = "rateLimitType")]
    kind: &'a str,
    interval: &'a str,
    #[serde(rename = "intervalNum")]
    interval_num: u64,
    limit: u64,
    count: u64,
}

/// Reads one answer frame. Allocates nothing for an answer without escaped strings.
pub fn parse(frame: &str) -> Result<Response<'_>, ResponseError> {
    let raw: Raw<'_> =
        serde_json::from_str(frame).map_err(|e| ResponseError::Shape(e.to_string()))?;
    let answer = match (raw.result, raw.error) {
        (_, Some(e)) => Answer::Refused {
            code: e.code,
            reason: reason(e.code, e.msg),
            msg: e.msg,
        },
        (Some(o), None) => Answer::Order {
            client_id: o.client_id,
            order_id: o.order_id,
            status: o.status,
            executed_qty: o.executed_qty,
        },
        (None, None) => return Err(ResponseError::Empty(raw.id.to_owned())),
    };
    let mut rate_limits = RateLimits::default();
    for l in &raw.rate_limits {
        let unit: u64 = match l.interval {
            "SECOND" => 1_000,
            "MINUTE" => 60_000,
            "HOUR" => 3_600_000,
            "DAY" => 86_400_000,
            other => return Err(ResponseError::Interval(other.to_owned())),
        };
        rate_limits.0.push(RateLimit {
            weight: l.kind == "REQUEST_WEIGHT",
            window_ms: unit.saturating_mul(l.interval_num),
            limit: l.limit,
            count: l.count,
        });
    }
    Ok(Response {
        id: raw.id,
        status: raw.status,
        answer,
        rate_limits,
    })
}

#[cfg(test)]
mod tests;
