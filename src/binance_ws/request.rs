//! WebSocket API request frames: `order.place`, `order.cancel`, `order.status`, signed.
//!
//! A request's parameters are written once into a scratch buffer, sorted by name (a small
//! insertion sort over at most [`MAX_PARAMS`] entries), joined `k=v&…` into the payload
//! that is signed, then framed as
//! `{"id":"…","method":"…","params":{…,"signature":"…"}}` with `timestamp` and
//! `recvWindow` as JSON numbers and the rest as strings. Prices and quantities are the
//! exact decimals of ticks and lots at the instrument's precision (`52000.00`). Text values
//! (symbol, client order id) are checked against Binance's character sets before anything
//! is written, so no value needs escaping. The buffers are kept: once grown to a frame's
//! size, encoding allocates nothing.

use std::ops::Range;

use super::sign::{SigBuf, WsSigner};
use crate::num::Step;

/// Most parameters of one request.
pub const MAX_PARAMS: usize = 16;

/// A request that cannot be encoded; nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// A symbol outside `[A-Z0-9]{1,20}`.
    #[error("symbol is not 1 to 20 of A-Z and 0-9")]
    Symbol,
    /// A client order id outside Binance's `[.A-Z:/a-z0-9_-]{1,36}`.
    #[error("client order id is not 1 to 36 of . A-Z : / a-z 0-9 _ -")]
    ClientId,
    /// A price or quantity of zero or less.
    #[error("{0} is not positive")]
    NotPositive(&'static str),
}

/// Order side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsSide {
    /// `BUY`.
    Buy,
    /// `SELL`.
    Sell,
}

/// What kind of order, with its price and time in force where it has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsOrderKind {
    /// `MARKET`.
    Market,
    /// `LIMIT` `GTC` at a price in ticks.
    LimitGtc(i64),
    /// `LIMIT` `IOC` at a price in ticks.
    LimitIoc(i64),
    /// `LIMIT` `GTX` (post-only: rejected with -5022 if it would take) at a price in ticks.
    PostOnly(i64),
}

/// An `order.place` request.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    /// Instrument (`BTCUSDT`).
    pub symbol: &'a str,
    /// Side.
    pub side: WsSide,
    /// Kind, price, time in force.
    pub kind: WsOrderKind,
    /// Quantity in lots.
    pub qty_lots: i64,
    /// `newClientOrderId` (`None`: the venue picks one).
    pub client_id: Option<&'a str>,
    /// `reduceOnly`.
    pub reduce_only: bool,
}

/// The instrument's steps, the request clock and the receive window.
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    /// Price tick and quantity lot.
    pub steps: (Step, Step),
    /// `timestamp`, ms (the venue's clock as estimated).
    pub timestamp_ms: u64,
    /// `recvWindow`, ms.
    pub recv_window_ms: u64,
}

/// One parameter: its name, its value's range in the scratch buffer, numeric or text.
#[derive(Debug, Clone)]
struct Param {
    name: &'static str,
    value: Range<usize>,
    number: bool,
}

/// Encodes request frames into buffers it keeps.
#[derive(Debug)]
pub struct Encoder {
    scratch: String,
    params: Vec<Param>,
    payload: String,
    frame: String,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder::new()
    }
}

fn check_symbol(s: &str) -> Result<(), RequestError> {
    let ok = (1..=20).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    ok.then_some(()).ok_or(RequestError::Symbol)
}

fn check_client_id(s: &str) -> Result<(), RequestError> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b".:/_-".contains(&b);
    let ok = (1..=36).contains(&s.len()) && s.bytes().all(allowed);
    ok.then_some(()).ok_or(RequestError::ClientId)
}

impl Encoder {
    /// An encoder with room for a typical order frame.
    pub fn new() -> Encoder {
        Encoder {
            scratch: String::with_capacity(512),
            params: Vec::with_capacity(MAX_PARAMS),
            payload: String::with_capacity(512),
            frame: String::with_capacity(1024),
        }
    }

    fn text(&mut self, name: &'static str, value: &str) {
        let start = self.scratch.len();
        self.scratch.push_str(value);
        let value = start..self.scratch.len();
        self.params.push(Param {
            name,
            value,
            number: false,
        });
    }

    fn number(&mut self, name: &'static str, value: u64) {
        let start = self.scratch.len();
        push_u64(&mut self.scratch, value);
        let value = start..self.scratch.len();
        self.params.push(Param {
            name,
            value,
            number: true,
        });
    }

    fn units(&mut self, name: &'static str, step: Step, units: i64) {
        let start = self.scratch.len();
        write_units(&mut self.scratch, step, units);
        let value = start..self.scratch.len();
        self.params.push(Param {
            name,
            value,
            number: false,
        });
    }

    fn begin(&mut self, signer: &WsSigner, stamp: &Stamp) {
        self.scratch.clear();
        self.params.clear();
        self.text("apiKey", signer.api_key().expose());
        self.number("timestamp", stamp.timestamp_ms);
        self.number("recvWindow", stamp.recv_window_ms);
    }

    /// The `order.place` frame for `p`.
    pub fn place(
        &mut self,
        id: u64,
        p: &Place<'_>,
        signer: &WsSigner,
        stamp: &Stamp,
    ) -> Result<&str, RequestError> {
        check_symbol(p.symbol)?;
        if let Some(c) = p.client_id {
            check_client_id(c)?;
        }
        if p.qty_lots <= 0 {
            return Err(RequestError::NotPositive("quantity"));
        }
        let (kind, tif, price) = match p.kind {
            WsOrderKind::Market => ("MARKET", None, None),
            WsOrderKind::LimitGtc(px) => ("LIMIT", Some("GTC"), Some(px)),
            WsOrderKind::LimitIoc(px) => ("LIMIT", Some("IOC"), Some(px)),
            WsOrderKind::PostOnly(px) => ("LIMIT", Some("GTX"), Some(px)),
        };
        if price.is_some_and(|px| px <= 0) {
            return Err(RequestError::NotPositive("price"));
        }
        let (tick, lot) = stamp.steps;
        self.begin(signer, stamp);
        self.text("symbol", p.symbol);
        self.text("side", if p.side == WsSide::Buy { "BUY" } else { "SELL" });
        if let Some(c) = p.client_id {
            self.text("newClientOrderId", c);
        }
        self.units("quantity", lot, p.qty_lots);
        self.text("type", kind);
        if let Some(t) = tif {
            self.text("timeInForce", t);
        }
        if let Some(px) = price {
            self.units("price", tick, px);
        }
        if p.reduce_only {
            self.text("reduceOnly", "true");
        }
        Ok(self.finish(id, "order.place", signer))
    }

    /// The `order.cancel` (or, with `status`, `order.status`) frame for an order known by
    /// its client order id.
    pub fn by_client_id(
        &mut self,
        id: u64,
        status: bool,
        symbol: &str,
        client_id: &str,
        signer: &WsSigner,
        stamp: &Stamp,
    ) -> Result<&str, RequestError> {
        check_symbol(symbol)?;
        check_client_id(client_id)?;
        self.begin(signer, stamp);
        self.text("symbol", symbol);
        self.text("origClientOrderId", client_id);
        let method = if status {
            "order.status"
        } else {
            "order.cancel"
        };
        Ok(self.finish(id, method, signer))
    }

    /// Sorts, signs and frames the parameters.
    fn finish(&mut self, id: u64, method: &str, signer: &WsSigner) -> &str {
        // Insertion sort: at most MAX_PARAMS entries, no allocation.
        for i in 1..self.params.len() {
            let mut j = i;
            while j > 0 && self.params[j - 1].name > self.params[j].name {
                self.params.swap(j - 1, j);
                j -= 1;
            }
        }
        self.payload.clear();
        for (k, p) in self.params.iter().enumerate() {
            if k > 0 {
                self.payload.push('&');
            }
            self.payload.push_str(p.name);
            self.payload.push('=');
            self.payload.push_str(&self.scratch[p.value.clone()]);
        }
        let mut sig: SigBuf = [0; 88];
        let sig = signer.sign(self.payload.as_bytes(), &mut sig);
        let f = &mut self.frame;
        f.clear();
        f.push_str(r#"{"id":""#);
        push_u64(f, id);
        f.push_str(r#"","method":""#);
        f.push_str(method);
        f.push_str(r#"","params":{"#);
        for p in &self.params {
            let q = if p.number { "" } else { "\"" };
            f.push('"');
            f.push_str(p.name);
            f.push_str("\":");
            f.push_str(q);
            f.push_str(&self.scratch[p.value.clone()]);
            f.push_str(q);
            f.push(',');
        }
        f.push_str(r#""signature":""#);
        f.push_str(std::str::from_utf8(sig).unwrap_or_default());
        f.push_str(r#""}}"#);
        &self.frame
    }

    /// The payload the last frame signed (`k=v&…`, sorted), for tests and logs of
    /// what was signed (it holds the API key, never the secret).
    pub fn signed_payload(&self) -> &str {
        &self.payload
    }
}

/// `v` in decimal digits.
fn push_u64(out: &mut String, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[i..]).unwrap_or_default());
}

/// `units × step` as the decimal text of `step`'s precision (`5200000` at 0.01 →
/// `52000.00`), the text `Decimal`'s `Display` gives, by integer digits alone (no
/// 128-bit division: `Display` of the 18-decimal `Decimal` was most of a frame's cost).
fn write_units(out: &mut String, step: Step, units: i64) {
    let n = i128::from(units) * i128::from(step.step_int());
    let dp = usize::from(step.dp());
    let mut digits = [b'0'; 48];
    let mut v = n.unsigned_abs();
    let mut len = 0;
    while v > 0 || len <= dp {
        digits[digits.len() - 1 - len] = b'0' + (v % 10) as u8;
        v /= 10;
        len += 1;
    }
    if n < 0 {
        out.push('-');
    }
    let text = &digits[digits.len() - len..];
    let (int, frac) = text.split_at(len - dp);
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(int).unwrap_or_default());
    if dp > 0 {
        out.push('.');
        out.push_str(std::str::from_utf8(frac).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests;
