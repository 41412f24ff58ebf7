//! web-socket-api.md's own answers, and refusals of what is not one.

use super::*;

const OK: &str = r#"{"id":"e2a85d9f-07a5-4f94-8d5f-789dc3deb097","status":200,
  "result":{"symbol":"BTCUSDT","orderId":12510053279,"orderListId":-1,
  "clientOrderId":"a097fe6304b20a7e4fc436","transactTime":1655716096505,"price":"0.10000000",
  "origQty":"10.00000000","executedQty":"0.00000000","status":"NEW","timeInForce":"GTC",
  "type":"LIMIT","side":"BUY"},
  "rateLimits":[
    {"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":50,"count":12},
    {"rateLimitType":"ORDERS","interval":"DAY","intervalNum":1,"limit":160000,"count":4043},
    {"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000,
     "count":321}]}"#;

const REFUSED: &str = r#"{"id":"e2a85d9f-07a5-4f94-8d5f-789dc3deb097","status":400,
  "error":{"code":-2010,"msg":"Account has insufficient balance for requested action."},
  "rateLimits":[
    {"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":50,"count":13}]}"#;

#[test]
fn the_documented_answers_read_as_typed_outcomes_and_limits() {
    let r = parse(OK).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        r.answer,
        Answer::Order {
            client_id: "a097fe6304b20a7e4fc436",
            order_id: 12_510_053_279,
            status: "NEW",
            executed_qty: "0.00000000",
        }
    );
    assert_eq!(r.rate_limits.0.len(), 3);
    assert_eq!(r.rate_limits.0[0].window_ms, 10_000);
    // 12 of 50 orders in 10 s is the fullest window: 240 ‰.
    assert_eq!(r.rate_limits.used_permille(), 240);
    let r = parse(REFUSED).unwrap();
    let want = Answer::Refused {
        code: -2010,
        reason: RejectReason::InsufficientMargin,
        msg: "Account has insufficient balance for requested action.",
    };
    assert_eq!(r.answer, want);
    assert_eq!(r.rate_limits.used_permille(), 260);
}

#[test]
fn what_is_not_an_answer_is_a_typed_error() {
    assert!(matches!(parse("{"), Err(ResponseError::Shape(_))));
    assert!(matches!(
        parse(r#"{"id":"1","status":200}"#),
        Err(ResponseError::Empty(_))
    ));
    let week = OK.replace("\"DAY\"", "\"WEEK\"");
    assert_eq!(
        parse(&week).err(),
        Some(ResponseError::Interval("WEEK".into()))
    );
    assert!(matches!(
        parse(&OK.replace("12510053279", "-1")),
        Err(ResponseError::Shape(_))
    ));
}
