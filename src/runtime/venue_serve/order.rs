//! The venue's record of an order and how Binance USD-M writes it: the `result` of an
//! order answer and the `ORDER_TRADE_UPDATE` event, with quantities, prices, quote
//! amounts and commissions as exact decimals of the instrument's steps.

use serde_json::{json, Value};

use super::paper::PaperConfig;
use super::wire::{ApiRequest, WireError};
use crate::book::OrderSide;
use crate::instrument::InstrumentRules;
use crate::leg::Liquidity;
use crate::num::{Decimal, Round, MAX_UNITS};
use crate::venue::{Execution, OrderPrice, ReportKind, TimeInForce};

/// An order as the venue reports it.
#[derive(Debug, Clone)]
pub(super) struct Order {
    pub client_id: String,
    pub side: OrderSide,
    pub kind: &'static str,
    pub tif: &'static str,
    pub price_ticks: Option<i64>,
    pub qty_lots: i64,
    pub reduce_only: bool,
    pub filled_lots: i64,
    pub notional_tl: i128,
    pub status: &'static str,
    pub time_ms: u64,
    pub update_ms: u64,
    /// Its fills as reported, for `userTrades`.
    pub fills: Vec<Execution>,
}

/// The order as an answer's `result`.
/// An `order.place`'s terms, read and checked against the instrument's rules.
#[derive(Debug, Clone, Copy)]
pub(super) struct Terms {
    pub side: OrderSide,
    /// `LIMIT` or `MARKET`.
    pub kind: &'static str,
    /// `GTC`, `IOC` or `GTX`.
    pub tif: &'static str,
    /// A limit order's price, ticks.
    pub limit: Option<i64>,
    /// The simulator's price terms (a market order's protection at the far end).
    pub price: OrderPrice,
    /// The simulator's time in force (`GTC` rests as post-only).
    pub sim_tif: TimeInForce,
    pub qty_lots: i64,
    pub reduce_only: bool,
}

/// Reads `side`, `quantity`, `type`, `timeInForce`, `price` and `reduceOnly`.
pub(super) fn terms(req: &ApiRequest, rules: &InstrumentRules) -> Result<Terms, WireError> {
    let side = match req.param("side").as_deref() {
        Some("BUY") => OrderSide::Buy,
        Some("SELL") => OrderSide::Sell,
        _ => return Err(WireError::bad(-1117, "Invalid side.")),
    };
    let qty = req
        .param("quantity")
        .ok_or_else(|| WireError::bad(-1102, "Mandatory parameter 'quantity' was not sent."))?;
    let qty_lots = rules
        .lot
        .parse_units(qty.as_bytes())
        .ok()
        .filter(|&q| q >= rules.min_qty_lots.max(1))
        .ok_or_else(|| WireError::bad(-4003, "Quantity less than or equal to zero."))?;
    let limit = match req.param("price") {
        Some(p) => Some(
            rules
                .tick
                .parse_units(p.as_bytes())
                .ok()
                .filter(|&p| p > 0)
                .ok_or_else(|| WireError::bad(-4014, "Price not increased by tick size."))?,
        ),
        None => None,
    };
    let reduce_only = match req.param("reduceOnly").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(WireError::bad(-1116, "Invalid reduceOnly.")),
    };
    let (kind, tif, price, sim_tif) = kind(req, side, limit)?;
    Ok(Terms {
        side,
        kind,
        tif,
        limit,
        price,
        sim_tif,
        qty_lots,
        reduce_only,
    })
}

/// `type` and `timeInForce` with the price: `MARKET` (no price, no time in force) or
/// `LIMIT` `GTC`/`IOC`/`GTX` with a price.
fn kind(
    req: &ApiRequest,
    side: OrderSide,
    limit: Option<i64>,
) -> Result<(&'static str, &'static str, OrderPrice, TimeInForce), WireError> {
    let kind = req.param("type").unwrap_or_default();
    let tif = req.param("timeInForce");
    Ok(match (kind.as_str(), tif.as_deref(), limit) {
        ("MARKET", None, None) => {
            let far = if side == OrderSide::Buy { MAX_UNITS } else { 1 };
            let p = OrderPrice::Market {
                protection_ticks: far,
            };
            ("MARKET", "GTC", p, TimeInForce::Ioc)
        }
        ("LIMIT", Some(t @ ("GTC" | "GTX" | "IOC")), Some(p)) => {
            let (tif, sim) = match t {
                "IOC" => ("IOC", TimeInForce::Ioc),
                "GTX" => ("GTX", TimeInForce::PostOnly),
                _ => ("GTC", TimeInForce::PostOnly),
            };
            ("LIMIT", tif, OrderPrice::Limit(p), sim)
        }
        ("LIMIT", _, _) => {
            let msg = "LIMIT needs price and timeInForce GTC, IOC or GTX.";
            return Err(WireError::bad(-1102, msg));
        }
        ("MARKET", _, _) => {
            return Err(WireError::bad(
                -1106,
                "MARKET takes no price or timeInForce.",
            ));
        }
        _ => return Err(WireError::bad(-1116, "Invalid orderType.")),
    })
}

pub(super) fn order_json(cfg: &PaperConfig, i: usize, o: &Order) -> Value {
    let (tick, lot) = (cfg.rules.tick, cfg.rules.lot);
    let price = o
        .price_ticks
        .map_or_else(|| "0".to_string(), |p| units(tick, p));
    json!({
        "orderId": super::paper::FIRST_ORDER_ID + i as u64,
        "symbol": cfg.symbol,
        "status": o.status,
        "clientOrderId": o.client_id,
        "price": price,
        "avgPrice": avg_price(cfg, o),
        "origQty": units(lot, o.qty_lots),
        "executedQty": units(lot, o.filled_lots),
        "cumQty": units(lot, o.filled_lots),
        "cumQuote": quote_text(cfg, o.notional_tl),
        "timeInForce": o.tif,
        "type": o.kind,
        "reduceOnly": o.reduce_only,
        "closePosition": false,
        "side": side_text(o.side),
        "positionSide": "BOTH",
        "stopPrice": "0",
        "workingType": "CONTRACT_PRICE",
        "priceProtect": false,
        "origType": o.kind,
        "priceMatch": "NONE",
        "selfTradePreventionMode": "NONE",
        "goodTillDate": 0,
        "time": o.time_ms,
        "updateTime": o.update_ms,
    })
}

/// The order's `ORDER_TRADE_UPDATE` for report `kind` (none for rejects and
/// status answers: Binance sends none).
pub(super) fn event(
    cfg: &PaperConfig,
    i: usize,
    o: &Order,
    kind: ReportKind,
    fill: Option<Execution>,
    now_ms: u64,
) -> Option<String> {
    let x = match kind {
        ReportKind::Ack => "NEW",
        ReportKind::Fill(_) => "TRADE",
        ReportKind::CancelAck { .. } => "CANCELED",
        ReportKind::Expired { .. } => "EXPIRED",
        _ => return None,
    };
    let (tick, lot) = (cfg.rules.tick, cfg.rules.lot);
    let (l, last_px, fee, t, maker, at_ms) = fill_fields(cfg, fill, now_ms);
    let price = o
        .price_ticks
        .map_or_else(|| "0".to_string(), |p| units(tick, p));
    let e = json!({
        "e": "ORDER_TRADE_UPDATE",
        "E": now_ms,
        "T": at_ms,
        "o": {
            "s": cfg.symbol,
            "c": o.client_id,
            "S": side_text(o.side),
            "o": o.kind,
            "f": o.tif,
            "q": units(lot, o.qty_lots),
            "p": price,
            "ap": avg_price(cfg, o),
            "sp": "0",
            "x": x,
            "X": o.status,
            "i": super::paper::FIRST_ORDER_ID + i as u64,
            "l": l,
            "z": units(lot, o.filled_lots),
            "L": last_px,
            "N": cfg.quote,
            "n": fee,
            "T": at_ms,
            "t": t,
            "b": "0",
            "a": "0",
            "m": maker,
            "R": o.reduce_only,
            "wt": "CONTRACT_PRICE",
            "ot": o.kind,
            "ps": "BOTH",
            "cp": false,
            "rp": "0",
            "pP": false,
            "si": 0,
            "ss": 0,
            "V": "NONE",
            "pm": "NONE",
            "gtd": 0,
        }
    });
    Some(e.to_string())
}

/// A fill's `l`, `L`, `n`, `t`, `m` and `T` (zeros and now without one).
fn fill_fields(
    cfg: &PaperConfig,
    fill: Option<Execution>,
    now_ms: u64,
) -> (String, String, String, u64, bool, u64) {
    let (tick, lot) = (cfg.rules.tick, cfg.rules.lot);
    match fill {
        Some(f) => (
            units(lot, f.last_qty_lots),
            units(tick, f.price_ticks),
            fee_text(cfg, f.fee_tl_e8),
            f.trade_id,
            f.liquidity == Liquidity::Maker,
            cfg.epoch_ms_at_zero + f.at_ns / 1_000_000,
        ),
        None => ("0".into(), "0".into(), "0".into(), 0, false, now_ms),
    }
}

/// Σ price × qty / filled, at the tick's precision rounded to nearest ("0" unfilled).
fn avg_price(cfg: &PaperConfig, o: &Order) -> String {
    let tick = cfg.rules.tick;
    if o.filled_lots == 0 {
        return "0".into();
    }
    let q = i128::from(o.filled_lots);
    let avg = (o.notional_tl + q / 2) / q;
    i64::try_from(avg).map_or_else(|_| "0".into(), |a| units(tick, a))
}

/// Tick-lots as quote money.
fn quote_text(cfg: &PaperConfig, tl: i128) -> String {
    let r = cfg.rules;
    r.tick
        .size()
        .mul(r.lot.size(), Round::ToZero)
        .and_then(|s| s.mul_int(tl))
        .map_or_else(|_| "0".into(), |d| d.canonical().to_string())
}

/// A fee in tick-lots × 10⁻⁸ as quote money (exact: 10⁻⁸ tick-lots fits 18 places
/// for every step the venue rules accept).
fn fee_text(cfg: &PaperConfig, fee_tl_e8: i128) -> String {
    let r = cfg.rules;
    let e8 = Decimal::from_raw(10_000_000_000).ok();
    r.tick
        .size()
        .mul(r.lot.size(), Round::ToZero)
        .and_then(|s| s.mul_int(fee_tl_e8))
        .ok()
        .zip(e8)
        .and_then(|(d, e8)| d.mul(e8, Round::Ceil).ok())
        .map_or_else(|| "0".into(), |d| d.canonical().to_string())
}

pub(super) fn units(step: crate::num::Step, v: i64) -> String {
    step.to_decimal(v).to_string()
}

fn side_text(s: OrderSide) -> &'static str {
    match s {
        OrderSide::Buy => "BUY",
        OrderSide::Sell => "SELL",
    }
}

/// One fill as `GET /fapi/v1/userTrades` lists it.
pub(super) fn trade_json(cfg: &PaperConfig, i: usize, o: &Order, f: &Execution) -> Value {
    let (tick, lot) = (cfg.rules.tick, cfg.rules.lot);
    let quote = i128::from(f.price_ticks) * i128::from(f.last_qty_lots);
    json!({
        "symbol": cfg.symbol,
        "id": f.trade_id,
        "orderId": super::paper::FIRST_ORDER_ID + i as u64,
        "side": side_text(o.side),
        "price": units(tick, f.price_ticks),
        "qty": units(lot, f.last_qty_lots),
        "realizedPnl": "0",
        "quoteQty": quote_text(cfg, quote),
        "commission": fee_text(cfg, f.fee_tl_e8),
        "commissionAsset": cfg.quote,
        "time": cfg.epoch_ms_at_zero + f.at_ns / 1_000_000,
        "positionSide": "BOTH",
        "buyer": o.side == OrderSide::Buy,
        "maker": f.liquidity == Liquidity::Maker,
    })
}
