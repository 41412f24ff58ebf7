//! A simulated venue's records as plain data ([`VenueState`], the venue protocol's type),
//! so that a persistence layer (outside this sans-IO module) can save them and a
//! restarted run can restore the venue as it was: its orders with their fills, its
//! position, cash and fees. The book is not part of it: it follows the recorded feed,
//! which the restart replays.

use super::{Known, SimVenue, MAX_KNOWN, MAX_RESTING};
use crate::book::OrderSide;
use crate::venue::{NewOrder, OrderPrice, OrderRecord, TimeInForce, VenueState};

impl SimVenue {
    /// The venue's records.
    pub fn state(&self) -> VenueState {
        VenueState {
            orders: self
                .known
                .iter()
                .map(|k| OrderRecord {
                    client_id: k.order.order,
                    buy: k.order.side == OrderSide::Buy,
                    price_ticks: k.order.price.ticks(),
                    qty_lots: k.order.qty_lots,
                    post_only: k.order.tif == TimeInForce::PostOnly,
                    reduce_only: k.order.reduce_only,
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
            let (price, tif) = if o.post_only {
                (OrderPrice::Limit(o.price_ticks), TimeInForce::PostOnly)
            } else {
                let protection_ticks = o.price_ticks;
                (OrderPrice::Market { protection_ticks }, TimeInForce::Ioc)
            };
            let order = NewOrder {
                order: o.client_id,
                side: if o.buy {
                    OrderSide::Buy
                } else {
                    OrderSide::Sell
                },
                price,
                qty_lots: o.qty_lots,
                tif,
                reduce_only: o.reduce_only,
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
