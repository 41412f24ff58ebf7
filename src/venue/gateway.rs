//! [`Gateway`]: the narrow seam a venue connection implements, and [`LocalVenue`]: what
//! a venue simulated in this process adds.
//!
//! A gateway takes [`Request`]s for one of its books, delivers [`Delivery`]s one at a
//! time and says how much is still in flight (so a shutdown can wait for it). That is
//! all a network gateway (FIX, a WebSocket API) has to provide; it never sees the
//! simulator, a book ladder or a market-data line.
//!
//! A simulated venue also needs the market: its books follow the recorded feed the run
//! replays, and it matches resting orders when that feed moves. That is [`LocalVenue`],
//! a separate trait (not default methods on [`Gateway`]) so that a network gateway
//! cannot be fed a replayed book by mistake and its implementer has nothing to stub.
//! Its other half is the venue's records: a simulated venue lives in this process and
//! dies with it, so the runtime saves its [`VenueState`] for crash recovery; a network
//! venue keeps its own records, and recovery asks it.

use super::{Delivery, Request, VenueState};
use crate::book::Ladder;
use crate::index::BookId;

/// Why a gateway could not take a request or deliver (its own limits or link, not a
/// venue's reject).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// A buffer cannot hold what the call may emit.
    #[error("gateway buffer needs {0} free slots")]
    BufferFull(usize),
    /// A request for a book the venue does not have.
    #[error("no book {0} on this venue")]
    UnknownBook(BookId),
    /// More messages in flight than the gateway holds.
    #[error("more than {0} messages in flight")]
    QueueFull(usize),
    /// A client order id that is no [`OrderRef`](super::OrderRef): in a request, or in a
    /// venue's report (an order this engine did not send).
    #[error(transparent)]
    BadOrderRef(#[from] super::OrderRefError),
    /// The connection is closed for good.
    #[error("the venue connection is closed")]
    Closed,
}

/// A venue connection as the runtime sees it. See the module doc.
pub trait Gateway: Send + 'static {
    /// Sends `req` for the venue's book `book` at `now_ns`.
    fn send(&mut self, book: BookId, req: Request, now_ns: u64) -> Result<(), GatewayError>;
    /// Delivers what is due by `now_ns`, one delivery per call: `Ok(None)` when nothing.
    fn poll(&mut self, now_ns: u64) -> Result<Option<Delivery>, GatewayError>;
    /// Requests or reports still on their way.
    fn in_flight(&self) -> usize;
    /// The venue's own rate-limit use as it last reported it, thousandths of its
    /// fullest window (`None`: the venue reports none). Risk starts no new group on a
    /// venue near its limit.
    fn rate_limit_use(&self) -> Option<u16> {
        None
    }
}

/// A boxed gateway is one (the runtime holds network venues as `Box<dyn Gateway>`).
impl<T: Gateway + ?Sized> Gateway for Box<T> {
    fn send(&mut self, book: BookId, req: Request, now_ns: u64) -> Result<(), GatewayError> {
        (**self).send(book, req, now_ns)
    }
    fn poll(&mut self, now_ns: u64) -> Result<Option<Delivery>, GatewayError> {
        (**self).poll(now_ns)
    }
    fn in_flight(&self) -> usize {
        (**self).in_flight()
    }
    fn rate_limit_use(&self) -> Option<u16> {
        (**self).rate_limit_use()
    }
}

/// A venue simulated in this process: its books follow the replayed market data, and
/// its records can be saved. See the module doc.
pub trait LocalVenue: Gateway {
    /// The venue's book `book`, for the market-data feed to update.
    fn book_ladder(&mut self, book: BookId) -> Option<&mut Ladder>;
    /// After the feed changed `book`: the venue matches what the market traded through.
    fn on_book(&mut self, book: BookId, now_ns: u64) -> Result<(), GatewayError>;
    /// Counts every change to the records: a persistence layer saves when it moves.
    fn changes(&self) -> u64;
    /// The records, one per book.
    fn records(&self) -> Vec<VenueState>;
    /// `book`'s ledger from the venue's own fills: the net position in lots (+ long)
    /// and the cash flow in tick-lots (sells +, buys −).
    fn ledger(&self, book: BookId) -> Option<(i64, i128)>;
}
