//! [`VenueState`]: a simulated venue's records as plain data, so that a persistence
//! layer (outside this sans-IO module) can save them and a restarted run can restore
//! the venue as it was: its orders with their fills, its position, cash and fees. The
//! book is not part of it: it follows the recorded feed, which the restart replays.

use serde::{Deserialize, Serialize};

use super::{Known, NewOrder, SimVenue, MAX_KNOWN, MAX_RESTING};
use crate::book::OrderSide;
use crate::leg::Tif;

/// One order the venue knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// Client order id.
    pub client_id: u64,
    /// `true` for a buy.
    pub buy: bool,
    /// Limit price, ticks.
    pub price_ticks: i64,
    /// Size, lots.
    pub qty_lots: i64,
    /// `true` for post-only, `false` for IOC.
    pub post_only: bool,
    /// Filled, lots.
    pub filled_lots: i64,
    /// Still resting.
    pub open: bool,
    /// Σ price × qty of its fills, tick-lots.
    pub notional_tl: i128,
    /// Its fees, tick-lots × 10⁻⁸.
    pub fees_tl_e8: i128,
}

/// A venue's records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VenueState {
    /// Every order it knows, in arrival order.
    pub orders: Vec<OrderRecord>,
    /// Net position, lots.
    pub position_lots: i64,
    /// Cash flow of fills, tick-lots.
    pub cash_tl: i128,
    /// Lots traded.
    pub traded_lots: i64,
    /// Fees, tick-lots × 10⁻⁸.
    pub fees_tl_e8: i128,
    /// The next trade id.
    pub next_trade_id: u64,
}

impl SimVenue {
    /// The venue's records.
    pub fn state(&self) -> VenueState {
        VenueState {
            orders: self
                .known
                .iter()
                .map(|k| OrderRecord {
                    client_id: k.order.client_id,
                    buy: k.order.side == OrderSide::Buy,
                    price_ticks: k.order.price_ticks,
                    qty_lots: k.order.qty_lots,
                    post_only: k.order.tif == Tif::PostOnly,
                    filled_lots: k.filled_lots,
                    open: k.open,
                    notional_tl: k.notional_tl,
                    fees_tl_e8: k.fees_tl_e8,
                })
                .collect(),
            position_lots: self.position_lots,
            cash_tl: self.cash_tl,
            traded_lots: self.traded_lots,
            fees_tl_e8: self.fees_tl_e8,
            next_trade_id: self.next_trade_id,
        }
    }

    /// Replaces the venue's records with `s` (the book is kept). `None`, changing
    /// nothing, if `s` holds more orders than the venue can.
    pub fn restore(&mut self, s: &VenueState) -> Option<()> {
        let open = s.orders.iter().filter(|o| o.open).count();
        if s.orders.len() > MAX_KNOWN || open > MAX_RESTING {
            return None;
        }
        self.known.clear();
        self.resting.clear();
        for o in &s.orders {
            let order = NewOrder {
                client_id: o.client_id,
                side: if o.buy {
                    OrderSide::Buy
                } else {
                    OrderSide::Sell
                },
                price_ticks: o.price_ticks,
                qty_lots: o.qty_lots,
                tif: if o.post_only { Tif::PostOnly } else { Tif::Ioc },
            };
            self.known.push(Known {
                order,
                filled_lots: o.filled_lots,
                open: o.open,
                notional_tl: o.notional_tl,
                fees_tl_e8: o.fees_tl_e8,
            });
            if o.open {
                self.resting.push(o.client_id);
            }
        }
        self.position_lots = s.position_lots;
        self.cash_tl = s.cash_tl;
        self.traded_lots = s.traded_lots;
        self.fees_tl_e8 = s.fees_tl_e8;
        self.next_trade_id = s.next_trade_id;
        self.changes += 1;
        Some(())
    }
}
