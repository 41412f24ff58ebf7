//! Binance Spot order entry over FIX: `venue::Request` → NewOrderSingle(D) /
//! OrderCancelRequest(F), and ExecutionReport(8), OrderCancelReject(9) and session
//! Reject(3) → `venue::Report`. Prices and sizes are the instrument's ticks and lots,
//! written and read exactly (an off-step value is an error, never rounded). Encoding a
//! request and decoding a report allocate nothing.
//!
//! | legcore | Binance FIX |
//! |---|---|
//! | post-only limit | `40=2` LIMIT + `18=6` ExecInst PARTICIPATE_DONT_INITIATE (LIMIT_MAKER) |
//! | IOC limit | `40=2` + `59=3` |
//! | market with protection | `40=2` + `59=3` at the protection price (no native one on Spot) |
//! | cancel | `F`: `11=C<id>`, `41=<id>` |
//! | `OrderRef` | ClOrdID(11) = its wire `u64` in decimal |
//! | self-trade prevention | SelfTradePreventionMode(25001), a setting |
//!
//! Spot holds no position, so `reduce_only` has no Binance field: an unwind's size is
//! bounded by the leg's fills. Status queries have no FIX message on Binance Spot
//! order entry: [`MapError::Unsupported`].

mod report;

pub use report::{Decoded, ReportError};

use super::codec::Encoder;
use super::session::{Session, SessionError};
use crate::book::OrderSide;
use crate::instrument::InstrumentRules;
use crate::num::{Decimal, Round};
use crate::venue::{OrderPrice, OrderRef, Request, TimeInForce};

/// SelfTradePreventionMode(25001).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stp {
    /// The account's default (the field is not sent).
    Default,
    /// `1` NONE.
    None,
    /// `2` EXPIRE_TAKER.
    ExpireTaker,
    /// `3` EXPIRE_MAKER.
    ExpireMaker,
    /// `4` EXPIRE_BOTH.
    ExpireBoth,
    /// `5` DECREMENT.
    Decrement,
}

impl Stp {
    const fn code(self) -> Option<u8> {
        match self {
            Stp::Default => None,
            Stp::None => Some(b'1'),
            Stp::ExpireTaker => Some(b'2'),
            Stp::ExpireMaker => Some(b'3'),
            Stp::ExpireBoth => Some(b'4'),
            Stp::Decrement => Some(b'5'),
        }
    }
}

/// Why a request was not sent. Nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    /// The request has no Binance Spot FIX form.
    #[error("{0} has no Binance Spot FIX message")]
    Unsupported(&'static str),
    /// A size or price not positive or past the instrument's range.
    #[error("order {field} {value} out of range (must be 1..={max})")]
    OutOfRange {
        /// `qty_lots` or `price_ticks`.
        field: &'static str,
        /// The value.
        value: i64,
        /// The largest accepted.
        max: i64,
    },
    /// The session refused (not logged on, outbox full).
    #[error(transparent)]
    Session(#[from] SessionError),
}

/// Sent messages remembered to map a session Reject(3) (which names only the
/// MsgSeqNum) back to its order: the last this many.
pub const SENT_WINDOW: usize = 1024;

/// The order-entry mapping for one symbol.
pub struct BinanceOrders {
    symbol: String,
    quote_asset: String,
    base_asset: String,
    rules: InstrumentRules,
    stp: Stp,
    sent: Box<[(u32, u64, bool)]>,
    unconverted_fees: u64,
    /// One tick-lot in quote (tick × lot × multiplier, up), the fee's unit; `None` if
    /// it overflows (every fee is then refused as out of range).
    tick_lot: Option<Decimal>,
}

impl BinanceOrders {
    /// The mapping for `symbol` (`BTCUSDT`) of `base`/`quote` assets under `rules`.
    pub fn new(symbol: &str, base: &str, quote: &str, rules: InstrumentRules, stp: Stp) -> Self {
        BinanceOrders {
            symbol: symbol.to_owned(),
            quote_asset: quote.to_owned(),
            base_asset: base.to_owned(),
            rules,
            stp,
            sent: vec![(0, 0, false); SENT_WINDOW].into_boxed_slice(),
            unconverted_fees: 0,
            tick_lot: rules
                .tick
                .size()
                .mul(rules.lot.size(), Round::Ceil)
                .and_then(|x| x.mul(rules.multiplier, Round::Ceil))
                .ok(),
        }
    }

    /// Fees charged in an asset that is neither base nor quote (BNB), reported as 0 in
    /// `Execution::fee_tl_e8`: how many (the journal keeps their Decoded text).
    pub fn unconverted_fees(&self) -> u64 {
        self.unconverted_fees
    }

    fn check(&self, field: &'static str, value: i64) -> Result<(), MapError> {
        let max = crate::num::MAX_UNITS;
        if (1..=max).contains(&value) {
            Ok(())
        } else {
            Err(MapError::OutOfRange { field, value, max })
        }
    }

    /// Sends `req` through `session` (logged on) at `now_ns`.
    pub fn send(
        &mut self,
        req: &Request,
        session: &mut Session,
        now_ns: u64,
    ) -> Result<(), MapError> {
        let seq = session.seq().next_out;
        let (order, cancel) = match *req {
            Request::New(o) => {
                self.check("qty_lots", o.qty_lots)?;
                self.check("price_ticks", o.price.ticks())?;
                if o.tif == TimeInForce::PostOnly && matches!(o.price, OrderPrice::Market { .. }) {
                    return Err(MapError::Unsupported("a post-only market order"));
                }
                session.send_app(b"D", now_ns, |e| self.write_new(&o, e))?;
                (o.order, false)
            }
            Request::Cancel(r) => {
                session.send_app(b"F", now_ns, |e| self.write_cancel(r, e))?;
                (r, true)
            }
            Request::Query(_) => return Err(MapError::Unsupported("an order status query")),
        };
        self.sent[seq as usize % SENT_WINDOW] = (seq, order.wire(), cancel);
        Ok(())
    }

    /// The body of a NewOrderSingle(D).
    pub fn write_new(&self, o: &crate::venue::NewOrder, e: &mut Encoder<'_>) {
        let (tick, lot) = (self.rules.tick, self.rules.lot);
        e.uint(11, o.order.wire());
        e.decimal(
            38,
            i128::from(o.qty_lots) * i128::from(lot.step_int()),
            lot.dp(),
        );
        e.char(40, b'2');
        if o.tif == TimeInForce::PostOnly {
            e.char(18, b'6');
        }
        let px = o.price.ticks();
        e.decimal(44, i128::from(px) * i128::from(tick.step_int()), tick.dp());
        e.char(54, side_code(o.side));
        e.str(55, self.symbol.as_bytes());
        if o.tif == TimeInForce::Ioc {
            e.char(59, b'3');
        }
        if let Some(c) = self.stp.code() {
            e.char(25001, c);
        }
    }

    /// The body of an OrderCancelRequest(F): ClOrdID `C<id>`, OrigClOrdID `<id>`.
    pub fn write_cancel(&self, order: OrderRef, e: &mut Encoder<'_>) {
        let mut d = [0u8; 21];
        d[0] = b'C';
        let n = digits(order.wire(), &mut d[1..]);
        d.copy_within(21 - n..21, 1);
        e.str(11, &d[..1 + n])
            .uint(41, order.wire())
            .str(55, self.symbol.as_bytes());
    }

    /// The order and kind (cancel or not) of the message sent with MsgSeqNum `seq`.
    fn sent_as(&self, seq: u32) -> Option<(u64, bool)> {
        let (s, wire, cancel) = self.sent[seq as usize % SENT_WINDOW];
        (s == seq && seq != 0).then_some((wire, cancel))
    }
}

const fn side_code(side: OrderSide) -> u8 {
    match side {
        OrderSide::Buy => b'1',
        OrderSide::Sell => b'2',
    }
}

/// `v`'s digits right-aligned in `out` (20 bytes); how many.
fn digits(mut v: u64, out: &mut [u8]) -> usize {
    let mut i = out.len();
    loop {
        i -= 1;
        out[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            return out.len() - i;
        }
    }
}

#[cfg(test)]
mod tests;
