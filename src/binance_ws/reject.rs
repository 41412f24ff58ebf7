//! Binance's error codes (`{"error":{"code":-2010,"msg":"…"}}` in a WebSocket API answer)
//! as the venue seam's typed reject reasons. The codes the legs and risk act on by name
//! are mapped (errors.md and the USD-M futures list); any other is kept as `Other(code)`,
//! never dropped. `-2010` ("new order rejected") carries its real cause in the message:
//! the known messages are read, the rest stay `Other(-2010)`.

use crate::venue::RejectReason;

/// The reason for `code` and the venue's message `msg`.
pub fn reason(code: i64, msg: &str) -> RejectReason {
    match code {
        -1003 | -1015 => RejectReason::RateLimited,
        -1021 => RejectReason::ClockSkew,
        -1008 | -1016 => RejectReason::Unavailable,
        -1013 | -1102..=-1100 | -1111 | -1117..=-1115 | -4014 | -4015 => RejectReason::InvalidOrder,
        -2011 | -2013 => RejectReason::UnknownOrder,
        -2019 | -2018 => RejectReason::InsufficientMargin,
        -4164 => RejectReason::BelowMinNotional,
        -5022 => RejectReason::PostOnlyWouldCross,
        -4116 => RejectReason::DuplicateOrder,
        -2025 => RejectReason::TooManyOrders,
        -2010 => new_order_rejected(msg),
        c => RejectReason::Other(i32::try_from(c).unwrap_or(i32::MIN)),
    }
}

/// The code and message a Binance USD-M venue answers for `reason` (what
/// `legcore venue serve` sends): [`reason`] reads each back as `reason`.
pub fn code(reason: RejectReason) -> (i64, &'static str) {
    match reason {
        RejectReason::PostOnlyWouldCross => (
            -5022,
            "Due to the order could not be executed as maker, the Post Only order will be \
             rejected. The order will not be recorded in the order history",
        ),
        RejectReason::UnknownOrder => (-2011, "Unknown order sent."),
        RejectReason::DuplicateOrder => (-4116, "ClientOrderId is duplicated."),
        RejectReason::InvalidOrder => (-1013, "Invalid order terms."),
        RejectReason::RateLimited => (-1003, "Too many requests; please use the websocket."),
        RejectReason::InsufficientMargin => (-2019, "Margin is insufficient."),
        RejectReason::TooManyOrders => (-2025, "Reach max open order limit."),
        RejectReason::Unavailable => (
            -1008,
            "Server is currently overloaded with other requests. Please try again later.",
        ),
        RejectReason::ClockSkew => (
            -1021,
            "Timestamp for this request is outside of the recvWindow.",
        ),
        RejectReason::BelowMinNotional => (
            -4164,
            "Order's notional must be no smaller than the symbol's minimum.",
        ),
        RejectReason::Other(_) => (-2010, "NEW_ORDER_REJECTED"),
    }
}

/// `-2010`'s causes, by Binance's messages.
fn new_order_rejected(msg: &str) -> RejectReason {
    if msg.contains("would immediately match and take") {
        RejectReason::PostOnlyWouldCross
    } else if msg.contains("insufficient balance") {
        RejectReason::InsufficientMargin
    } else if msg.contains("Duplicate order") {
        RejectReason::DuplicateOrder
    } else {
        RejectReason::Other(-2010)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codes_the_issue_names_map_to_typed_reasons() {
        let cases = [
            (-1003, "Too many requests", RejectReason::RateLimited),
            (
                -1021,
                "Timestamp for this request is outside of the recvWindow.",
                RejectReason::ClockSkew,
            ),
            (-2010, "NEW_ORDER_REJECTED", RejectReason::Other(-2010)),
            (
                -2010,
                "Account has insufficient balance for requested action.",
                RejectReason::InsufficientMargin,
            ),
            (-2011, "Unknown order sent.", RejectReason::UnknownOrder),
            (
                -2019,
                "Margin is insufficient.",
                RejectReason::InsufficientMargin,
            ),
            (
                -4164,
                "Order's notional must be no smaller than 100",
                RejectReason::BelowMinNotional,
            ),
            (
                -5022,
                "Due to the order could not be executed as maker",
                RejectReason::PostOnlyWouldCross,
            ),
            (
                -4116,
                "ClientOrderId is duplicated.",
                RejectReason::DuplicateOrder,
            ),
            (-9999, "new", RejectReason::Other(-9999)),
            (i64::MIN, "", RejectReason::Other(i32::MIN)),
        ];
        for (code, msg, want) in cases {
            assert_eq!(reason(code, msg), want, "{code} {msg}");
        }
    }

    #[test]
    fn every_reason_the_venue_answers_reads_back_as_itself() {
        use RejectReason as R;
        let all = [
            R::PostOnlyWouldCross,
            R::UnknownOrder,
            R::DuplicateOrder,
            R::InvalidOrder,
            R::RateLimited,
            R::InsufficientMargin,
            R::TooManyOrders,
            R::Unavailable,
            R::ClockSkew,
            R::BelowMinNotional,
            R::Other(-2010),
        ];
        for r in all {
            let (c, m) = code(r);
            assert_eq!(reason(c, m), r, "{c} {m}");
        }
    }
}
