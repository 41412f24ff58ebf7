//! The account as Binance USD-M shows it: the position in the venue's one symbol, read
//! from the simulator's ledger (so a fill whose report the fault plan lost is in it, as
//! on a real venue), for `ACCOUNT_UPDATE` on the user data stream after each fill and
//! for `GET /fapi/v3/positionRisk`.
//!
//! Simulated: the position amount (exact) and the entry price, here the ledger's cash
//! flow over the position (the entry price while the position has only grown; after a
//! reduction it also carries the realized profit, as a break-even price does). Not
//! simulated: balances, margin, mark price and profit (zeros; `B` is empty).

use serde_json::{json, Value};

use super::order::units;
use super::paper::PaperConfig;

/// A position: lots (+ long) and the cash flow of its fills, tick-lots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Net lots.
    pub lots: i64,
    /// Cash flow (sells +, buys −).
    pub cash_tl: i128,
}

impl Position {
    /// `|cash| / |lots|` at the tick's precision, rounded to nearest ("0" when flat).
    fn entry_price(self, cfg: &PaperConfig) -> String {
        if self.lots == 0 {
            return "0".into();
        }
        let q = i128::from(self.lots).abs();
        let avg = (self.cash_tl.abs() + q / 2) / q;
        i64::try_from(avg).map_or_else(|_| "0".into(), |a| units(cfg.rules.tick, a))
    }

    fn amount(self, cfg: &PaperConfig) -> String {
        let abs = units(cfg.rules.lot, self.lots.saturating_abs());
        if self.lots < 0 {
            format!("-{abs}")
        } else {
            abs
        }
    }
}

/// The `ACCOUNT_UPDATE` event after a fill made at `at_ms`.
pub fn update_event(cfg: &PaperConfig, p: Position, now_ms: u64, at_ms: u64) -> String {
    let ep = p.entry_price(cfg);
    json!({
        "e": "ACCOUNT_UPDATE",
        "E": now_ms,
        "T": at_ms,
        "a": {
            "m": "ORDER",
            "B": [],
            "P": [{
                "s": cfg.symbol,
                "pa": p.amount(cfg),
                "ep": ep,
                "bep": ep,
                "cr": "0",
                "up": "0",
                "mt": "cross",
                "iw": "0",
                "ps": "BOTH",
            }],
        }
    })
    .to_string()
}

/// `GET /fapi/v3/positionRisk`'s answer: the position if it is not flat (v3 lists only
/// symbols with a position).
pub fn position_risk(cfg: &PaperConfig, p: Position, now_ms: u64) -> Value {
    if p.lots == 0 {
        return json!([]);
    }
    let ep = p.entry_price(cfg);
    json!([{
        "symbol": cfg.symbol,
        "positionSide": "BOTH",
        "positionAmt": p.amount(cfg),
        "entryPrice": ep,
        "breakEvenPrice": ep,
        "markPrice": "0",
        "unRealizedProfit": "0",
        "liquidationPrice": "0",
        "isolatedMargin": "0",
        "notional": "0",
        "marginAsset": cfg.quote,
        "isolatedWallet": "0",
        "initialMargin": "0",
        "maintMargin": "0",
        "positionInitialMargin": "0",
        "openOrderInitialMargin": "0",
        "adl": 0,
        "bidNotional": "0",
        "askNotional": "0",
        "updateTime": now_ms,
    }])
}
