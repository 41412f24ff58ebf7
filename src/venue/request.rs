//! [`Request`]: what the engine asks a venue to do: a new order, a cancel, a status
//! query, each naming its order by [`OrderRef`].
//!
//! A new order says everything a venue API needs, in the crate's integer units (ticks,
//! lots), so a gateway only renames and formats:
//!
//! - [`TimeInForce`]: post-only (Binance `GTX`, Bybit `PostOnly`, Hyperliquid `Alo`:
//!   rest as maker, refused if it would cross) or IOC (take what is there now, the rest
//!   expires). The engine sends no other; a venue-specific one is added with the gateway
//!   that needs it.
//! - [`OrderPrice`]: a limit price, or a market order's protection price (it fills no
//!   worse; a venue without native protection gets an IOC limit at that price, which is
//!   what Hyperliquid's market orders are).
//! - `reduce_only`: the order may only reduce the account's position (unwinds).
//!
//! [`Request::from_command`] maps a group's [`GroupCommand`] onto a request: the leg's
//! post-only orders are limits, its IOCs are market orders at the leg's protection price.

use super::{OrderRef, OrderRefError};
use crate::book::OrderSide;
use crate::group::GroupCommand;
use crate::leg::{Command, Tif};

/// How long an order may live on the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeInForce {
    /// Rest on the book as maker only; the venue refuses it if it would cross.
    PostOnly,
    /// Immediate or cancel: take what is there up to the price, the rest expires.
    Ioc,
}

/// The price terms of a new order, ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderPrice {
    /// A limit order at this price.
    Limit(i64),
    /// A market order that fills no worse than this price (market with protection).
    Market {
        /// The protection price, ticks.
        protection_ticks: i64,
    },
}

impl OrderPrice {
    /// The limit or protection price, ticks: the worst the order may fill at.
    pub const fn ticks(self) -> i64 {
        match self {
            OrderPrice::Limit(p)
            | OrderPrice::Market {
                protection_ticks: p,
            } => p,
        }
    }
}

/// A new order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewOrder {
    /// Its client id.
    pub order: OrderRef,
    /// Buy or sell.
    pub side: OrderSide,
    /// Limit or protection price.
    pub price: OrderPrice,
    /// Size, lots.
    pub qty_lots: i64,
    /// Post-only or IOC.
    pub tif: TimeInForce,
    /// It may only reduce the position.
    pub reduce_only: bool,
}

/// A request to a venue, for one of its books.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// A new order.
    New(NewOrder),
    /// Cancel an order.
    Cancel(OrderRef),
    /// Ask for an order's status.
    Query(OrderRef),
}

impl Request {
    /// The order the request is about.
    pub const fn order(&self) -> OrderRef {
        match *self {
            Request::New(o) => o.order,
            Request::Cancel(r) | Request::Query(r) => r,
        }
    }

    /// The request for group command `cmd` of job `job`. An error if the command's
    /// job, leg, part or slot does not fit an [`OrderRef`]: nothing is sent then.
    pub fn from_command(cmd: &GroupCommand, job: u64) -> Result<Request, OrderRefError> {
        let order = OrderRef::new(job, cmd.leg, cmd.part, cmd.cmd.slot())?;
        Ok(match cmd.cmd {
            Command::Submit {
                side,
                price_ticks,
                qty_lots,
                tif,
                reduce_only,
                ..
            } => {
                let (price, tif) = match tif {
                    Tif::PostOnly => (OrderPrice::Limit(price_ticks), TimeInForce::PostOnly),
                    Tif::Ioc => (
                        OrderPrice::Market {
                            protection_ticks: price_ticks,
                        },
                        TimeInForce::Ioc,
                    ),
                };
                Request::New(NewOrder {
                    order,
                    side,
                    price,
                    qty_lots,
                    tif,
                    reduce_only,
                })
            }
            Command::Cancel { .. } => Request::Cancel(order),
            Command::Query { .. } => Request::Query(order),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::LegIdx;
    use crate::venue::RefField;

    fn cmd(leg: usize, part: usize, cmd: Command) -> GroupCommand {
        GroupCommand {
            leg: LegIdx::new(leg),
            part,
            cmd,
        }
    }

    #[test]
    fn leg_commands_map_onto_requests() {
        let submit = |tif| Command::Submit {
            slot: 2,
            side: OrderSide::Sell,
            price_ticks: 61_800,
            qty_lots: 8,
            tif,
            reduce_only: true,
        };
        let r = OrderRef::new(9, LegIdx::new(1), 3, 2).unwrap();
        let ioc = Request::from_command(&cmd(1, 3, submit(Tif::Ioc)), 9).unwrap();
        let want = NewOrder {
            order: r,
            side: OrderSide::Sell,
            price: OrderPrice::Market {
                protection_ticks: 61_800,
            },
            qty_lots: 8,
            tif: TimeInForce::Ioc,
            reduce_only: true,
        };
        assert_eq!(ioc, Request::New(want));
        let post = Request::from_command(&cmd(1, 3, submit(Tif::PostOnly)), 9).unwrap();
        let Request::New(o) = post else {
            panic!("a submit is a new order");
        };
        assert_eq!(
            (o.price, o.tif),
            (OrderPrice::Limit(61_800), TimeInForce::PostOnly)
        );
        assert_eq!(o.price.ticks(), 61_800);
        let cancel = Request::from_command(&cmd(1, 3, Command::Cancel { slot: 2 }), 9);
        assert_eq!(cancel, Ok(Request::Cancel(r)));
        let query = Request::from_command(&cmd(1, 3, Command::Query { slot: 2 }), 9).unwrap();
        assert_eq!((query, query.order()), (Request::Query(r), r));
    }

    proptest::proptest! {
        #[test]
        fn every_command_a_group_can_make_maps_with_its_terms(
            job in 0..=crate::venue::MAX_JOB,
            leg in 0..crate::group::MAX_GROUP_LEGS,
            part in 0..crate::group::MAX_PARTS,
            slot in 0..crate::leg::MAX_LEG_ORDERS,
            kind in 0..3u8,
            buy: bool,
            post_only: bool,
            reduce_only: bool,
            price_ticks in 1..=crate::num::MAX_UNITS,
            qty_lots in 1..=crate::num::MAX_UNITS,
        ) {
            let side = if buy { OrderSide::Buy } else { OrderSide::Sell };
            let tif = if post_only { Tif::PostOnly } else { Tif::Ioc };
            let c = match kind {
                0 => Command::Submit { slot, side, price_ticks, qty_lots, tif, reduce_only },
                1 => Command::Cancel { slot },
                _ => Command::Query { slot },
            };
            let r = Request::from_command(&cmd(leg, part, c), job).unwrap();
            let o = r.order();
            let fields = (o.job(), o.leg().index(), o.part(), o.slot());
            proptest::prop_assert_eq!(fields, (job, leg, part, slot));
            match (c, r) {
                (Command::Submit { .. }, Request::New(n)) => {
                    proptest::prop_assert_eq!((n.side, n.qty_lots), (side, qty_lots));
                    proptest::prop_assert_eq!(n.price.ticks(), price_ticks);
                    proptest::prop_assert_eq!(n.reduce_only, reduce_only);
                    let limit = matches!(n.price, OrderPrice::Limit(_));
                    proptest::prop_assert_eq!(limit, post_only);
                    proptest::prop_assert_eq!(n.tif == TimeInForce::PostOnly, post_only);
                }
                (Command::Cancel { .. }, Request::Cancel(_))
                | (Command::Query { .. }, Request::Query(_)) => {}
                (c, r) => proptest::prop_assert!(false, "{:?} became {:?}", c, r),
            }
        }
    }

    #[test]
    fn a_command_that_fits_no_order_ref_is_an_error() {
        let bad = Request::from_command(&cmd(0, 0, Command::Query { slot: 99 }), 1);
        assert_eq!(
            bad,
            Err(OrderRefError::OutOfRange {
                field: RefField::Slot,
                value: 99
            })
        );
    }
}
