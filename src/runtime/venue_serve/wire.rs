//! The venue side of Binance USD-M's WebSocket API wire: a request frame read into its
//! id, method and parameters; the payload its signature covers (every parameter but
//! `signature`, sorted by name, `k=v&…`, values as the client wrote them); and the
//! answer frames (`{"id","status","result"|"error","rateLimits"}`).
//!
//! This is the edge where a third-party client's text comes in, so nothing here trusts
//! it: a frame that is not an object with a string or number `id`, a `method` and an
//! object `params` of strings, numbers and booleans is refused with Binance's code
//! (-1000 for a frame that does not parse, -1102 / -1104 for parameters).

use serde_json::{Map, Value};

/// Binance's error for a request the venue could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    /// HTTP-like status of the answer.
    pub status: u16,
    /// Binance's code.
    pub code: i64,
    /// Its words.
    pub msg: String,
}

impl WireError {
    /// A 400 with `code` and `msg`.
    pub fn bad(code: i64, msg: impl Into<String>) -> WireError {
        WireError {
            status: 400,
            code,
            msg: msg.into(),
        }
    }
}

/// A request as read off the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiRequest {
    /// Its id, echoed in the answer (a string or a number).
    pub id: Value,
    /// `order.place`, `order.cancel`…
    pub method: String,
    /// Its parameters.
    pub params: Map<String, Value>,
}

impl ApiRequest {
    /// Parameter `name` as text: a string as written, a number's digits, a boolean.
    pub fn param(&self, name: &str) -> Option<String> {
        self.params.get(name).and_then(text)
    }

    /// Parameter `name` as an unsigned integer (a number, or a string of digits).
    pub fn uint(&self, name: &str) -> Result<Option<u64>, WireError> {
        let Some(t) = self.param(name) else {
            return Ok(None);
        };
        t.parse::<u64>().map(Some).map_err(|_| {
            WireError::bad(
                -1100,
                format!("Illegal characters found in parameter '{name}'."),
            )
        })
    }
}

/// The text a parameter value is signed as.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads a request frame. The id of a frame whose id could be read is returned with
/// the error, so the refusal can be addressed.
pub fn parse_request(frame: &str) -> Result<ApiRequest, (Value, WireError)> {
    let v: Value = serde_json::from_str(frame).map_err(|e| {
        let msg = format!("Malformed request: {e}");
        (Value::Null, WireError::bad(-1000, msg))
    })?;
    let Value::Object(mut obj) = v else {
        return Err((Value::Null, WireError::bad(-1000, "Malformed request")));
    };
    let id = match obj.remove("id") {
        Some(id @ (Value::String(_) | Value::Number(_))) => id,
        _ => return Err((Value::Null, WireError::bad(-1102, "Mandatory id missing"))),
    };
    let method = match obj.remove("method") {
        Some(Value::String(m)) => m,
        _ => return Err((id, WireError::bad(-1102, "Mandatory method missing"))),
    };
    let params = match obj.remove("params") {
        None => Map::new(),
        Some(Value::Object(p)) => p,
        Some(_) => return Err((id, WireError::bad(-1104, "params is not an object"))),
    };
    if let Some((k, _)) = params.iter().find(|(_, v)| text(v).is_none()) {
        let msg = format!("Parameter '{k}' is not a string, number or boolean.");
        return Err((id, WireError::bad(-1104, msg)));
    }
    Ok(ApiRequest { id, method, params })
}

/// The payload the request's signature covers: every parameter but `signature`,
/// sorted by name, joined `k=v&…`.
pub fn signed_payload(req: &ApiRequest) -> String {
    let mut keys: Vec<&String> = req.params.keys().filter(|k| *k != "signature").collect();
    keys.sort_unstable();
    let mut out = String::with_capacity(256);
    for (i, k) in keys.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(&req.params.get(k).and_then(text).unwrap_or_default());
    }
    out
}

/// One rate-limit window as an answer reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitUse {
    /// `REQUEST_WEIGHT` or `ORDERS`.
    pub kind: &'static str,
    /// `SECOND` or `MINUTE`.
    pub interval: &'static str,
    /// Multiples of the interval.
    pub interval_num: u64,
    /// The limit.
    pub limit: u64,
    /// Used so far in the current window.
    pub count: u64,
}

fn limits_json(limits: &[LimitUse]) -> Value {
    limits
        .iter()
        .map(|l| {
            serde_json::json!({
                "rateLimitType": l.kind,
                "interval": l.interval,
                "intervalNum": l.interval_num,
                "limit": l.limit,
                "count": l.count,
            })
        })
        .collect()
}

/// A success answer.
pub fn result_frame(id: &Value, result: Value, limits: &[LimitUse]) -> String {
    serde_json::json!({
        "id": id,
        "status": 200,
        "result": result,
        "rateLimits": limits_json(limits),
    })
    .to_string()
}

/// A refusal.
pub fn error_frame(id: &Value, e: &WireError, limits: &[LimitUse]) -> String {
    let mut v = serde_json::json!({
        "id": id,
        "status": e.status,
        "error": { "code": e.code, "msg": e.msg },
    });
    if !limits.is_empty() {
        v["rateLimits"] = limits_json(limits);
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_is_every_parameter_but_the_signature_sorted_as_written() {
        let r = parse_request(
            r#"{"id":"7","method":"order.place","params":{"symbol":"BTCUSDT",
            "timestamp":1645423376532,"apiKey":"k","reduceOnly":true,"price":"52000.00",
            "signature":"x"}}"#,
        )
        .unwrap();
        assert_eq!(r.method, "order.place");
        assert_eq!(r.id, Value::String("7".into()));
        assert_eq!(
            signed_payload(&r),
            "apiKey=k&price=52000.00&reduceOnly=true&symbol=BTCUSDT&timestamp=1645423376532"
        );
        assert_eq!(r.uint("timestamp"), Ok(Some(1_645_423_376_532)));
        assert!(r.uint("price").is_err());
        assert_eq!(r.uint("recvWindow"), Ok(None));
    }

    #[test]
    fn frames_that_are_not_requests_are_refused_with_binances_codes() {
        let code = |f: &str| parse_request(f).unwrap_err().1.code;
        assert_eq!(code("{"), -1000);
        assert_eq!(code("[1]"), -1000);
        assert_eq!(code(r#"{"method":"x"}"#), -1102);
        assert_eq!(code(r#"{"id":1}"#), -1102);
        assert_eq!(code(r#"{"id":1,"method":"x","params":[1]}"#), -1104);
        let (id, e) = parse_request(r#"{"id":3,"method":"x","params":{"a":[1]}}"#).unwrap_err();
        assert_eq!((id, e.code), (Value::from(3), -1104));
    }

    #[test]
    fn answers_read_back_through_the_gateways_parser() {
        let limits = [LimitUse {
            kind: "ORDERS",
            interval: "SECOND",
            interval_num: 10,
            limit: 300,
            count: 150,
        }];
        let id = Value::String("9".into());
        let e = error_frame(&id, &WireError::bad(-2011, "Unknown order sent."), &limits);
        let r = crate::binance_ws::response::parse(&e).unwrap();
        assert_eq!((r.id, r.status), ("9", 400));
        assert_eq!(r.rate_limits.used_permille(), 500);
        assert!(matches!(
            r.answer,
            crate::binance_ws::response::Answer::Refused { code: -2011, .. }
        ));
    }
}
