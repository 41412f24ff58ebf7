//! [`VenueState`]: a venue's records as plain data: its orders with their fills, its
//! position, cash and fees. Crash recovery reads them to learn what the venue did that
//! the journal missed. The simulator saves and restores itself from them; a network
//! gateway builds them from the venue's order status and trade history.
//!
//! Serialized as JSON with `client_id` as the order's wire number (checked by
//! [`OrderRef`] when read back: a file with an id the engine cannot have sent is refused).

use serde::{Deserialize, Serialize};

use super::OrderRef;

/// One order the venue knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// Client order id.
    pub client_id: OrderRef,
    /// `true` for a buy.
    pub buy: bool,
    /// Limit (or protection) price, ticks.
    pub price_ticks: i64,
    /// Size, lots.
    pub qty_lots: i64,
    /// `true` for post-only (a limit), `false` for IOC (a market order with protection).
    pub post_only: bool,
    /// It may only reduce the position.
    pub reduce_only: bool,
    /// Filled, lots.
    pub filled_lots: i64,
    /// Still resting.
    pub open: bool,
    /// Σ price × qty of its fills, tick-lots.
    pub notional_tl: i128,
    /// Its fees, tick-lots × 10⁻⁸.
    pub fees_tl_e8: i128,
}

/// A venue's records for one book.
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
    /// The venue's next trade id (the simulator resumes its count from it).
    pub next_trade_id: u64,
}
