//! The REST face of [`Paper`] and its listen keys: `depth`, `listenKey`, `userTrades`,
//! `positionRisk` and `exchangeInfo`, answered from the simulator's book and records (the WebSocket
//! API's requests are in the parent module).

use serde_json::{json, Value};

use super::super::account;
use super::super::order::{self, units};
use super::super::wire::WireError;
use super::{bad_key, Paper, FIRST_ORDER_ID};
use crate::binance_ws::reject;
use crate::binance_ws::sign::percent_decode;
use crate::book::Side;
use crate::num::MAX_UNITS;
use crate::venue::{LocalVenue, RejectReason};

impl<V: LocalVenue> Paper<V> {
    /// `GET /fapi/v1/depth?limit=N`: the book's top `limit` levels a side (5, 10, 20,
    /// 50, 100, 500 or 1000, as Binance takes), with the count of feed updates applied
    /// as `lastUpdateId`.
    pub fn depth(&mut self, limit: usize, now_ns: u64) -> (u16, String) {
        if ![5, 10, 20, 50, 100, 500, 1000].contains(&limit) {
            let body = json!({ "code": -1130, "msg": "Illegal value for parameter 'limit'." });
            return (400, body.to_string());
        }
        let (tick, lot) = (self.cfg.rules.tick, self.cfg.rules.lot);
        let ms = self.epoch_ms(now_ns);
        let updates = self.book_updates;
        let book = self.ladder();
        let side = |s: Side| -> Vec<[String; 2]> {
            book.levels(s)
                .take(limit)
                .map(|l| [units(tick, l.price_ticks), units(lot, l.qty_lots)])
                .collect()
        };
        let body = json!({
            "lastUpdateId": updates,
            "E": ms,
            "T": ms,
            "bids": side(Side::Bid),
            "asks": side(Side::Ask),
        });
        (200, body.to_string())
    }

    /// A listen key, made or extended (`POST`/`PUT /fapi/v1/listenKey`,
    /// `userDataStream.start`/`.ping`). `None` for a wrong API key.
    pub fn listen_key(&mut self, api_key: &str, now_ns: u64) -> Option<String> {
        if api_key != self.cfg.auth.api_key {
            self.counts.bad_auth += 1;
            return None;
        }
        let expires = now_ns.saturating_add(self.cfg.listen_key_ttl_ns);
        let key = match self.listen_key.take() {
            Some((k, _)) => k,
            None => {
                self.keys_made += 1;
                format!(
                    "pAper{:020}{:040}",
                    self.keys_made, self.cfg.epoch_ms_at_zero
                )
            }
        };
        self.listen_key = Some((key.clone(), expires));
        Some(key)
    }

    /// Closes the listen key (`DELETE /fapi/v1/listenKey`, `userDataStream.stop`).
    pub fn close_listen_key(&mut self, api_key: &str) -> bool {
        let ok = api_key == self.cfg.auth.api_key;
        if ok {
            self.listen_key = None;
        }
        ok
    }

    /// Whether `key` is the live listen key (a user data stream may connect with it).
    pub fn is_listen_key(&self, key: &str, now_ns: u64) -> bool {
        matches!(&self.listen_key, Some((k, exp)) if k == key && now_ns < *exp)
    }

    /// A signed REST query's parameters after its key, signature (HMAC hex or
    /// percent-encoded Ed25519 base64 over the query before `&signature=`) and
    /// timestamp are checked; the refusal's status and body otherwise.
    fn signed_query<'q>(
        &mut self,
        api_key: &str,
        query: &'q str,
        now_ns: u64,
    ) -> Result<&'q str, (u16, String)> {
        let (signed, sig) = query.rsplit_once("&signature=").unwrap_or((query, ""));
        let key_ok = api_key == self.cfg.auth.api_key;
        let sig_ok = percent_decode(sig)
            .is_some_and(|sig| super::verify(&self.cfg.auth, signed.as_bytes(), &sig));
        if !key_ok || !sig_ok {
            self.counts.bad_auth += 1;
            return Err(refusal(if key_ok {
                WireError::bad(-1022, "Signature for this request is not valid.")
            } else {
                bad_key()
            }));
        }
        let ts = param(signed, "timestamp").and_then(|t| t.parse::<u64>().ok());
        let now_ms = self.epoch_ms(now_ns);
        if ts.is_none_or(|t| t > now_ms + 1_000 || now_ms.saturating_sub(t) > 5_000) {
            self.counts.clock_skew += 1;
            let (code, msg) = reject::code(RejectReason::ClockSkew);
            return Err(refusal(WireError::bad(code, msg)));
        }
        Ok(signed)
    }

    /// `GET /fapi/v1/userTrades?symbol=…&orderId=…&timestamp=…&signature=…`: the
    /// order's fills.
    pub fn user_trades(&mut self, api_key: &str, query: &str, now_ns: u64) -> (u16, String) {
        let signed = match self.signed_query(api_key, query, now_ns) {
            Ok(s) => s,
            Err(refused) => return refused,
        };
        let param = |name: &str| param(signed, name);
        let i = param("orderId")
            .and_then(|t| t.parse::<u64>().ok())
            .and_then(|id| id.checked_sub(FIRST_ORDER_ID))
            .and_then(|i| usize::try_from(i).ok())
            .filter(|&i| i < self.orders.len());
        let Some(i) = i else {
            return refusal(WireError::bad(-2013, "Order does not exist."));
        };
        let o = &self.orders[i];
        let trades: Vec<Value> = o
            .fills
            .iter()
            .map(|f| order::trade_json(&self.cfg, i, o, f))
            .collect();
        (200, Value::Array(trades).to_string())
    }

    /// `GET /fapi/v3/positionRisk?timestamp=…&signature=…` (signed): the position in
    /// the venue's symbol, from the simulator's ledger.
    pub fn position_risk(&mut self, api_key: &str, query: &str, now_ns: u64) -> (u16, String) {
        if let Err(refused) = self.signed_query(api_key, query, now_ns) {
            return refused;
        }
        let now_ms = self.epoch_ms(now_ns);
        match self.position() {
            Some(p) => (
                200,
                account::position_risk(&self.cfg, p, now_ms).to_string(),
            ),
            None => (200, "[]".into()),
        }
    }

    /// `GET /fapi/v1/exchangeInfo`: the symbol with its filters.
    pub fn exchange_info(&self) -> String {
        let c = &self.cfg;
        let r = c.rules;
        let base = c.symbol.strip_suffix(c.quote.as_str()).unwrap_or(&c.symbol);
        let l = c.limits;
        json!({
            "timezone": "UTC",
            "serverTime": c.epoch_ms_at_zero,
            "futuresType": "U_MARGINED",
            "rateLimits": [
                {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                 "limit": l.weight_per_min},
                {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10,
                 "limit": l.orders_per_10s},
                {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1,
                 "limit": l.orders_per_min},
            ],
            "exchangeFilters": [],
            "assets": [{"asset": c.quote, "marginAvailable": true, "autoAssetExchange": "0"}],
            "symbols": [{
                "symbol": c.symbol,
                "pair": c.symbol,
                "contractType": "PERPETUAL",
                "deliveryDate": 4_133_404_800_000u64,
                "onboardDate": 1_569_398_400_000u64,
                "status": "TRADING",
                "baseAsset": base,
                "quoteAsset": c.quote,
                "marginAsset": c.quote,
                "pricePrecision": r.tick.dp(),
                "quantityPrecision": r.lot.dp(),
                "baseAssetPrecision": 8,
                "quotePrecision": 8,
                "underlyingType": "COIN",
                "underlyingSubType": [],
                "triggerProtect": "0.0500",
                "liquidationFee": "0.012500",
                "marketTakeBound": "0.05",
                "maxMoveOrderLimit": 10000,
                "filters": [
                    {"filterType": "PRICE_FILTER", "tickSize": r.tick.to_string(),
                     "minPrice": r.tick.to_string(),
                     "maxPrice": units(r.tick, MAX_UNITS)},
                    {"filterType": "LOT_SIZE", "stepSize": r.lot.to_string(),
                     "minQty": units(r.lot, r.min_qty_lots.max(1)),
                     "maxQty": units(r.lot, MAX_UNITS)},
                    {"filterType": "MARKET_LOT_SIZE", "stepSize": r.lot.to_string(),
                     "minQty": units(r.lot, r.min_qty_lots.max(1)),
                     "maxQty": units(r.lot, MAX_UNITS)},
                    {"filterType": "MIN_NOTIONAL", "notional": r.min_notional.to_string()},
                ],
                "orderTypes": ["LIMIT", "MARKET"],
                "timeInForce": ["GTC", "IOC", "GTX"],
            }],
        })
        .to_string()
    }
}

/// The value of `name` in a query string.
fn param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
}

/// A refusal as a REST answer: its status and `{"code", "msg"}` body.
fn refusal(e: WireError) -> (u16, String) {
    let body = json!({ "code": e.code, "msg": e.msg }).to_string();
    (e.status, body)
}
