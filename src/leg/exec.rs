//! [`Leg`]: one leg's execution mode driving its venue orders (seed pattern 3).
//!
//! Sans-IO: [`Leg::start`], [`Leg::on_order`] and [`Leg::on_timeout`] take the current
//! time and push [`Command`]s into a caller-owned buffer; [`Leg::next_deadline`] says
//! when to call back (quinn's `poll_timeout`). Orders live in fixed slots, so a leg
//! allocates nothing after construction.
//!
//! Modes:
//! - `LimitOnly { timeout }`: a post-only order at the passive price (best ask − tick for a
//!   buy, best bid + tick for a sell); cancelled at the timeout; what filled is the result.
//! - `LimitWithFallback { timeout }`: the same, then, **only once the cancel is confirmed**
//!   (the order is terminal), an IOC for the remainder at the protection price. A fill
//!   that arrives after the cancel ack but before the fallback goes out shrinks the
//!   fallback; one that arrives after it is counted and reported as the leg's excess.
//! - `MarketOnly`: an IOC at the protection price; its unfilled remainder expires.
//! - `Adaptive { timeout }`: `use_limit` from the pre-flight → limit with fallback,
//!   anything else → market.
//! - `Chase { timeout, max_reprices, refresh_ticks }`: passive, and each time the passive
//!   price moves `refresh_ticks` from the order's ([`Leg::on_book`]), cancel and, once the
//!   cancel is confirmed, repost the remainder there; at the timeout or when reposts run
//!   out, the remainder goes IOC as in limit-with-fallback.
//!
//! Answers are owed while an order is submitted, cancel pending or unknown, and by an
//! IOC until it ends. One that does not come within the request timeout makes the order
//! `Unknown` and sends a status [`Command::Query`], repeated while the venue is silent (the
//! wait doubles with each unanswered query, up to 64 timeouts): the leg never guesses.
//! A passive timeout that finds its order unknown cancels it once the query says it is
//! open; a refused or lost cancel is sent again.
//!
//! Every wait is bounded: when an order owes an answer and its venue has said nothing
//! about it for the silence limit ([`DEFAULT_SILENCE_LIMIT_NS`], `set_silence_limit`), the
//! leg gives up ([`Leg::is_silent`]): it stops querying and sending, and is done with
//! what the venue reported so far. Its group then ends `Unhedged` (the order's fate is
//! unknown). A report that comes later is still applied, and an order it shows live is
//! cancelled; once every order is terminal and no answer is owed, the leg is no longer
//! silent.
//!
//! Fees are charged per fill at the maker or taker rate ([`Fees`]).
//!
//! Fills are deduplicated by trade id without a bound on their number: the leg remembers
//! the [`MAX_FILLS`] most recent ids exactly and, below them, a floor (the largest id that
//! left the window). This assumes what venues do (Binance's per-symbol trade ids, the
//! simulator's per-book ones): trade ids grow with time, and a duplicate repeats an id.
//! An id above the floor is then new unless it is in the window; an id at or below it is
//! a duplicate or a fill overtaken by `MAX_FILLS` later fills of the same leg. The ids
//! that leave the window are handed out ([`Leg::take_evicted`]) so that a caller can keep
//! them (the group's preallocated spill store) and settle such a fill
//! ([`Leg::on_unseen_fill`]); without that, it is refused as
//! [`OrderError::UnverifiableFill`] and counted ([`Leg::unverified_fills`]): never applied
//! twice, never dropped silently.
//!
//! The protection price is the mid moved by `max_slippage_bps` against us, rounded to the
//! tick away from the market (down for a buy, up for a sell): an IOC never fills worse
//! than the bound. A market leg takes the arrival mid; a fallback IOC the mid of the last
//! top the leg was given ([`Leg::on_book`], [`Leg::observe`]) when it is sent, so it is
//! priced on the book as it is then. The arrival stays the slippage reference.

use arrayvec::ArrayVec;

use super::order::{Order, OrderError, OrderEvent, OrderState, MAX_FILLS};
use crate::book::OrderSide;
use crate::num::Ratio;
use crate::walk::Recommendation;

/// Orders one leg may use: the passive order, its chase reposts, and the fallback.
pub const MAX_LEG_ORDERS: usize = 2 + MAX_REPRICES as usize;
/// Most reposts of a `Chase` leg.
pub const MAX_REPRICES: u32 = 4;
/// How long an answer may take by default before the order is queried (1 s).
pub const DEFAULT_REQUEST_TIMEOUT_NS: u64 = 1_000_000_000;
/// How long by default a venue may stay silent about an order that owes an answer
/// before the leg gives up on it (10 s: three unanswered queries at the default timeout).
pub const DEFAULT_SILENCE_LIMIT_NS: u64 = 10_000_000_000;

/// Fee rates × 10⁸ (0.02 % = 20 000); negative is a rebate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fees {
    /// Rate on fills that added liquidity.
    pub maker_e8: i64,
    /// Rate on fills that took liquidity.
    pub taker_e8: i64,
}

/// How a leg executes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Passive only, cancelled after `timeout_ns`.
    LimitOnly {
        /// How long the passive order may rest.
        timeout_ns: u64,
    },
    /// Passive, then IOC for the remainder once the cancel is confirmed.
    LimitWithFallback {
        /// How long the passive order may rest.
        timeout_ns: u64,
    },
    /// IOC at the protection price.
    MarketOnly,
    /// Passive, reposted at the passive price each time the touch moves `refresh_ticks`
    /// or more (at most `max_reprices` times, each after the cancel is confirmed); the
    /// remainder goes IOC at `timeout_ns`.
    Chase {
        /// How long the chase may last.
        timeout_ns: u64,
        /// Most reposts (0..=[`MAX_REPRICES`]).
        max_reprices: u32,
        /// How far the passive price must move before a repost.
        refresh_ticks: i64,
    },
    /// Chosen from the pre-flight's recommendation.
    Adaptive {
        /// The passive timeout if the limit route is chosen.
        timeout_ns: u64,
    },
}

/// Time in force of an order command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tif {
    /// Rest on the book; refused by the venue if it would cross.
    PostOnly,
    /// Take what is there now; the remainder expires.
    Ioc,
}

/// What a leg asks the gateway to do. `slot` names the leg's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Send a new order.
    Submit {
        /// The leg's order slot.
        slot: usize,
        /// Buy or sell.
        side: OrderSide,
        /// Limit price in ticks (the protection price for an IOC).
        price_ticks: i64,
        /// Size in lots.
        qty_lots: i64,
        /// Post-only or IOC.
        tif: Tif,
        /// The order may only reduce a position (unwinds).
        reduce_only: bool,
    },
    /// Cancel the order in `slot`.
    Cancel {
        /// The leg's order slot.
        slot: usize,
    },
    /// Ask the venue for the status of the order in `slot` (it is `Unknown`).
    Query {
        /// The leg's order slot.
        slot: usize,
    },
}

impl Command {
    /// The leg's order slot the command is about.
    pub const fn slot(&self) -> usize {
        match *self {
            Command::Submit { slot, .. } | Command::Cancel { slot } | Command::Query { slot } => {
                slot
            }
        }
    }
}

/// The top of book and pre-flight a leg starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    /// Best bid, ticks.
    pub bid_ticks: i64,
    /// Best ask, ticks.
    pub ask_ticks: i64,
    /// The pre-flight's recommendation (for `Adaptive`).
    pub recommendation: Recommendation,
    /// The average price the pre-flight's walk expects for the size, ticks (for the
    /// leg's slippage record), if it was walked.
    pub expected_price_ticks: Option<Ratio>,
}

/// Which route a leg took (for records).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Passive only.
    Limit,
    /// Passive, then IOC fallback.
    LimitThenMarket,
    /// IOC only.
    Market,
    /// Passive, repriced as the touch moves, then IOC.
    Chase,
}

/// Why a leg could not act. Nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LegError {
    /// Size out of range, or a book side missing or crossed.
    #[error("leg input: {0}")]
    Input(&'static str),
    /// The leg was already started.
    #[error("leg already started")]
    AlreadyStarted,
    /// An event for a slot the leg has not used.
    #[error("no order in slot {0}")]
    NoSuchSlot(usize),
    /// The command buffer has no room for what the leg must send.
    #[error("command buffer full")]
    BufferFull,
    /// The order refused the event.
    #[error(transparent)]
    Order(#[from] OrderError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    /// The passive order (the last slot) is live; `cancel_due` when the timeout passed
    /// while its state was unknown (it is cancelled once the venue says it is open).
    Passive {
        cancel_due: bool,
    },
    /// Its cancel is in flight; then reprice (chase) or fall back / finish.
    Cancelling {
        reprice: bool,
    },
    Fallback,
    Done,
}

/// What the leg remembers per order besides the order itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SlotMeta {
    price_ticks: i64,
    ioc: bool,
    /// Since when an answer is awaited (submit, cancel or query), if one is.
    await_since: Option<u64>,
    /// Queries sent since the last answer (the wait doubles with each, up to 64×).
    queries: u8,
    /// Since when an answer is owed with nothing heard from the venue about the order
    /// (queries do not reset it; any report does).
    silent_since: Option<u64>,
}

/// One leg. See the module doc.
#[derive(Debug, Clone)]
pub struct Leg {
    side: OrderSide,
    qty_lots: i64,
    mode: Mode,
    max_slippage_bps: Ratio,
    reduce_only: bool,
    fees: Fees,
    request_timeout_ns: u64,
    silence_ns: u64,
    /// The venue stayed silent past `silence_ns`: the leg gave up waiting.
    silent: bool,
    route: Option<Route>,
    protection_ticks: i64,
    last_top: (i64, i64),
    arrival: Option<Arrival>,
    reprices: u32,
    orders: ArrayVec<Order, MAX_LEG_ORDERS>,
    slots: ArrayVec<SlotMeta, MAX_LEG_ORDERS>,
    /// The most recent trade ids applied on any of the leg's orders (a venue's ids are
    /// unique per instrument), for deduplication; every older one is `<= trade_floor`.
    trade_ids: ArrayVec<u64, MAX_FILLS>,
    /// The largest trade id that left the window (`None`: none has, so every id not in
    /// the window is new; a venue's trade id 0 is an id like any other).
    trade_floor: Option<u64>,
    /// Fills refused because their id was at or below the floor.
    unverified_fills: u64,
    /// The id that last left the window, until taken.
    evicted: Option<u64>,
    /// Σ of the orders' exposure, kept current (the group asks for it often).
    exposure_lots: i64,
    phase: Phase,
    deadline_ns: Option<u64>,
}

impl Leg {
    /// A leg to `side` `qty_lots` lots in `mode`; IOCs never fill worse than
    /// `max_slippage_bps` from the arrival mid.
    pub fn new(
        side: OrderSide,
        qty_lots: i64,
        mode: Mode,
        max_slippage_bps: Ratio,
        reduce_only: bool,
    ) -> Result<Leg, LegError> {
        Leg::check(qty_lots, mode, max_slippage_bps)?;
        Ok(Leg {
            side,
            qty_lots,
            mode,
            max_slippage_bps,
            reduce_only,
            fees: Fees::default(),
            request_timeout_ns: DEFAULT_REQUEST_TIMEOUT_NS,
            silence_ns: DEFAULT_SILENCE_LIMIT_NS,
            silent: false,
            route: None,
            protection_ticks: 0,
            last_top: (0, 0),
            arrival: None,
            reprices: 0,
            orders: ArrayVec::new(),
            slots: ArrayVec::new(),
            trade_ids: ArrayVec::new(),
            trade_floor: None,
            unverified_fills: 0,
            evicted: None,
            exposure_lots: 0,
            phase: Phase::Idle,
            deadline_ns: None,
        })
    }

    /// Whether [`new`](Self::new) would accept these inputs.
    pub fn check(qty_lots: i64, mode: Mode, max_slippage_bps: Ratio) -> Result<(), LegError> {
        if !(1..=crate::num::MAX_UNITS).contains(&qty_lots) {
            return Err(LegError::Input("leg size out of range"));
        }
        if max_slippage_bps < Ratio::ZERO || max_slippage_bps >= Ratio::from_num(10_000) {
            return Err(LegError::Input("max slippage must be in 0..10000 bps"));
        }
        if let Mode::Chase {
            max_reprices,
            refresh_ticks,
            ..
        } = mode
        {
            if max_reprices > MAX_REPRICES || refresh_ticks < 1 {
                return Err(LegError::Input("chase: reprices 0..=4, refresh ticks >= 1"));
            }
        }
        Ok(())
    }

    /// Sets the fee rates charged on this leg's fills.
    pub fn with_fees(mut self, fees: Fees) -> Leg {
        self.set_fees(fees);
        self
    }

    /// Sets the fee rates in place.
    pub fn set_fees(&mut self, fees: Fees) {
        self.fees = fees;
    }

    /// Sets the request timeout in place (see `with_request_timeout`).
    pub fn set_request_timeout(&mut self, ns: u64) {
        self.request_timeout_ns = ns.max(1);
    }

    /// Sets how long the venue may stay silent about an order that owes an answer before
    /// the leg gives up on it (at least 1 ns; see the module doc).
    pub fn set_silence_limit(&mut self, ns: u64) {
        self.silence_ns = ns.max(1);
    }

    /// The silence limit (see [`set_silence_limit`](Self::set_silence_limit)).
    pub fn silence_limit(&self) -> u64 {
        self.silence_ns
    }

    /// The leg gave up on a venue that stayed silent past the silence limit: an order's
    /// fate is unknown, its fills so far are what the venue reported.
    pub fn is_silent(&self) -> bool {
        self.silent
    }

    /// Sets how long an answer (to a submit, cancel or query) may take before the order
    /// is `Unknown` and queried (at least 1 ns).
    pub fn with_request_timeout(mut self, ns: u64) -> Leg {
        self.set_request_timeout(ns);
        self
    }

    /// Sends the first order. Needs one free slot in `out`.
    pub fn start<const N: usize>(
        &mut self,
        arrival: Arrival,
        now_ns: u64,
        out: &mut ArrayVec<Command, N>,
    ) -> Result<(), LegError> {
        if self.phase != Phase::Idle {
            return Err(LegError::AlreadyStarted);
        }
        let (bid, ask) = (arrival.bid_ticks, arrival.ask_ticks);
        if !valid_top(bid, ask) {
            return Err(LegError::Input("arrival book missing or crossed"));
        }
        if out.is_full() {
            return Err(LegError::BufferFull);
        }
        let route = match self.mode {
            Mode::LimitOnly { .. } => Route::Limit,
            Mode::LimitWithFallback { .. } => Route::LimitThenMarket,
            Mode::MarketOnly => Route::Market,
            Mode::Chase { .. } => Route::Chase,
            Mode::Adaptive { .. } if arrival.recommendation == Recommendation::UseLimit => {
                Route::LimitThenMarket
            }
            Mode::Adaptive { .. } => Route::Market,
        };
        self.protection_ticks = protection(self.side, bid + ask, self.max_slippage_bps);
        self.route = Some(route);
        self.last_top = (bid, ask);
        self.arrival = Some(arrival);
        if route == Route::Market {
            self.submit(self.protection_ticks, self.qty_lots, Tif::Ioc, now_ns, out)?;
            self.phase = Phase::Fallback;
        } else {
            let price = self.passive_price();
            self.submit(price, self.qty_lots, Tif::PostOnly, now_ns, out)?;
            self.phase = Phase::Passive { cancel_due: false };
            self.deadline_ns = Some(now_ns.saturating_add(self.timeout_ns()));
        }
        Ok(())
    }

    /// Applies a venue report for the order in `slot`. Needs one free slot in `out`.
    pub fn on_order<const N: usize>(
        &mut self,
        slot: usize,
        event: OrderEvent,
        now_ns: u64,
        out: &mut ArrayVec<Command, N>,
    ) -> Result<OrderState, LegError> {
        self.report(slot, event, now_ns, out, false)
    }

    /// [`on_order`](Self::on_order) for a fill whose trade id is at or below the window's
    /// floor, that the caller found in none of the ids the window handed out: a new fill.
    pub fn on_unseen_fill<const N: usize>(
        &mut self,
        slot: usize,
        event: OrderEvent,
        now_ns: u64,
        out: &mut ArrayVec<Command, N>,
    ) -> Result<OrderState, LegError> {
        self.report(slot, event, now_ns, out, true)
    }

    /// The largest trade id that left the dedupe window (`None`: none yet).
    pub fn trade_floor(&self) -> Option<u64> {
        self.trade_floor
    }

    /// The trade id that last left the dedupe window, if not taken yet (at most one per
    /// applied fill: take it after each report to keep them all).
    pub fn take_evicted(&mut self) -> Option<u64> {
        self.evicted.take()
    }

    /// Refuses a fill already applied (its trade id is in the window) or, unless the
    /// caller vouched for it (`unseen`), one at or below the window's floor (counted).
    #[inline]
    fn admit_fill(&mut self, event: OrderEvent, unseen: bool) -> Result<(), LegError> {
        if let OrderEvent::Filled(f) = event {
            if self.trade_ids.contains(&f.trade_id) {
                return Err(OrderError::DuplicateFill(f.trade_id).into());
            }
            let below = self.trade_floor.filter(|&fl| f.trade_id <= fl);
            if let (Some(floor), false) = (below, unseen) {
                self.unverified_fills += 1;
                let trade_id = f.trade_id;
                return Err(OrderError::UnverifiableFill { trade_id, floor }.into());
            }
        }
        Ok(())
    }

    fn report<const N: usize>(
        &mut self,
        slot: usize,
        event: OrderEvent,
        now_ns: u64,
        out: &mut ArrayVec<Command, N>,
        unseen: bool,
    ) -> Result<OrderState, LegError> {
        if out.is_full() {
            return Err(LegError::BufferFull);
        }
        if slot >= self.orders.len() {
            return Err(LegError::NoSuchSlot(slot));
        }
        self.admit_fill(event, unseen)?;
        let order = &mut self.orders[slot];
        let before = order.exposure_lots();
        let state = order.apply(event, now_ns)?;
        self.exposure_lots += order.exposure_lots() - before;
        if let OrderEvent::Filled(f) = event {
            self.remember_trade_id(f.trade_id);
        }
        self.track_await(slot, now_ns);
        let awaiting = self.slots[slot].await_since.is_some();
        self.slots[slot].silent_since = self.slots[slot].await_since.map(|_| now_ns);
        let live = matches!(state, OrderState::Working | OrderState::PartiallyFilled);
        if self.silent {
            // Heard from after giving up: an order still live is cancelled, and once
            // every order's fate is known again the leg is no longer silent (its group
            // can price and unwind what the venue reported).
            if live && !awaiting {
                self.cancel_slot(slot, now_ns, out)?;
            }
            self.silent = !self.all_known();
            return Ok(state);
        }
        if slot + 1 != self.orders.len() {
            return Ok(state); // an earlier order: only its fills matter
        }
        match self.phase {
            Phase::Passive { .. } | Phase::Cancelling { .. } if state.is_terminal() => {
                self.after_passive(now_ns, out)?;
            }
            // The cancel was refused: ask what the order is (the venue may have closed
            // it on its own, e.g. cancel-on-disconnect). If the answer is open (or the
            // cancel was lost and the order is open), cancel again.
            Phase::Cancelling { .. } if live && !awaiting => {
                if matches!(event, OrderEvent::Status(_)) {
                    self.cancel_current(now_ns, out)?;
                } else {
                    let meta = &mut self.slots[slot];
                    meta.await_since = Some(now_ns);
                    meta.silent_since.get_or_insert(now_ns);
                    out.push(Command::Query { slot });
                }
            }
            // The timeout passed while the order was unknown; it is now known and open.
            Phase::Passive { cancel_due: true } if live && !awaiting => {
                self.cancel_current(now_ns, out)?;
                self.phase = Phase::Cancelling { reprice: false };
            }
            Phase::Fallback if state.is_terminal() => self.phase = Phase::Done,
            _ => {}
        }
        Ok(state)
    }

    /// Acts on expired deadlines: an answer overdue makes its order `Unknown` and sends a
    /// status query; the passive timeout cancels the passive order. Sends at most what
    /// `out` has room for; what is left stays due (call again).
    pub fn on_timeout<const N: usize>(
        &mut self,
        now_ns: u64,
        out: &mut ArrayVec<Command, N>,
    ) -> Result<(), LegError> {
        for slot in 0..self.orders.len() {
            let due = self.answer_due(slot).is_some_and(|d| d <= now_ns);
            if due && self.silence_over(slot, now_ns) {
                self.give_up();
                return Ok(());
            }
            if !due || out.is_full() {
                continue;
            }
            self.orders[slot].apply(OrderEvent::TimedOut, now_ns)?;
            let meta = &mut self.slots[slot];
            meta.await_since = Some(now_ns);
            meta.queries = meta.queries.saturating_add(1);
            out.push(Command::Query { slot });
        }
        match (self.phase, self.deadline_ns) {
            (Phase::Passive { cancel_due: false }, Some(d)) if d <= now_ns => {}
            _ => return Ok(()),
        }
        if out.is_full() {
            return Err(LegError::BufferFull);
        }
        self.deadline_ns = None;
        let cur = self.orders.len() - 1;
        if self.orders[cur].state() == OrderState::Unknown {
            // Cannot cancel what we cannot name the state of: after the query.
            self.phase = Phase::Passive { cancel_due: true };
            return Ok(());
        }
        self.cancel_current(now_ns, out)?;
        self.phase = Phase::Cancelling { reprice: false };
        Ok(())
    }

    /// A new top of book for the leg's instrument. A `Chase` leg whose passive order is
    /// `refresh_ticks` or more away from the passive price cancels it, and reposts at the
    /// new price once the cancel is confirmed. Needs one free slot in `out`.
    pub fn on_book<const N: usize>(
        &mut self,
        top: Arrival,
        now_ns: u64,
        out: &mut ArrayVec<Command, N>,
    ) -> Result<(), LegError> {
        if !valid_top(top.bid_ticks, top.ask_ticks) {
            return Err(LegError::Input("book missing or crossed"));
        }
        if out.is_full() {
            return Err(LegError::BufferFull);
        }
        self.last_top = (top.bid_ticks, top.ask_ticks);
        let Mode::Chase {
            max_reprices,
            refresh_ticks,
            ..
        } = self.mode
        else {
            return Ok(());
        };
        if self.phase != (Phase::Passive { cancel_due: false }) || self.reprices >= max_reprices {
            return Ok(());
        }
        let cur = self.orders.len() - 1;
        let live = matches!(
            self.orders[cur].state(),
            OrderState::Working | OrderState::PartiallyFilled
        );
        let moved = (self.passive_price() - self.slots[cur].price_ticks).abs() >= refresh_ticks;
        if live && moved && self.slots[cur].await_since.is_none() {
            self.cancel_current(now_ns, out)?;
            self.phase = Phase::Cancelling { reprice: true };
        }
        Ok(())
    }

    /// Takes `top` as the current top of book without acting on it (a chase repost
    /// waits for [`on_book`](Self::on_book)): the next repost or fallback IOC is priced
    /// on it. A missing or crossed top is ignored.
    pub fn observe(&mut self, top: Arrival) {
        if valid_top(top.bid_ticks, top.ask_ticks) {
            self.last_top = (top.bid_ticks, top.ask_ticks);
        }
    }

    /// Prices the IOC in `slot` again on the last top the leg was given, for a caller
    /// that held it back before it left (our own rate limit): it goes out priced on the
    /// book as it is then. The new protection price, or `None` when `slot` is not an IOC
    /// of this leg that is still open without fills.
    pub fn reprice_held(&mut self, slot: usize) -> Option<i64> {
        let (meta, order) = (self.slots.get(slot)?, self.orders.get(slot)?);
        if !meta.ioc || order.filled_lots() != 0 || order.state().is_terminal() {
            return None;
        }
        let (bid, ask) = self.last_top;
        let price = protection(self.side, bid + ask, self.max_slippage_bps);
        self.slots[slot].price_ticks = price;
        self.protection_ticks = price;
        Some(price)
    }

    /// When [`on_timeout`](Self::on_timeout) must next be called, if ever.
    pub fn next_deadline(&self) -> Option<u64> {
        let passive = match self.phase {
            Phase::Passive { cancel_due: false } => self.deadline_ns,
            _ => None,
        };
        let answers = (0..self.slots.len()).filter_map(|i| self.answer_due(i));
        answers.chain(passive).min()
    }

    /// When the answer owed on `slot` is overdue: the request timeout, doubled for each
    /// unanswered query up to 64× (a stalled connection is not flooded with queries), or
    /// the end of the silence limit if that comes first.
    fn answer_due(&self, slot: usize) -> Option<u64> {
        let meta = self.slots.get(slot)?;
        let wait = self
            .request_timeout_ns
            .saturating_mul(1 << meta.queries.min(6));
        let query = meta.await_since.map(|t| t.saturating_add(wait))?;
        let give_up = meta.silent_since.map(|t| t.saturating_add(self.silence_ns));
        Some(give_up.map_or(query, |g| g.min(query)))
    }

    /// The venue has been silent about `slot`'s owed answer for the silence limit.
    fn silence_over(&self, slot: usize, now_ns: u64) -> bool {
        let since = self.slots.get(slot).and_then(|m| m.silent_since);
        since.is_some_and(|t| now_ns >= t.saturating_add(self.silence_ns))
    }

    /// Every order is terminal and no answer is owed: the venue has told the leg all.
    fn all_known(&self) -> bool {
        let terminal = self.orders.iter().all(|o| o.state().is_terminal());
        terminal && self.slots.iter().all(|m| m.await_since.is_none())
    }

    /// Stops waiting on a silent venue: no more queries or orders; the leg is done.
    fn give_up(&mut self) {
        for meta in &mut self.slots {
            meta.await_since = None;
            meta.silent_since = None;
        }
        self.silent = true;
        self.finish();
    }

    /// Every order of the leg is finished (a late fill can still add to `filled_lots`).
    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// The leg's direction.
    pub fn side(&self) -> OrderSide {
        self.side
    }

    /// The route taken, once started.
    pub fn route(&self) -> Option<Route> {
        self.route
    }

    /// The leg's size in lots.
    pub fn qty_lots(&self) -> i64 {
        self.qty_lots
    }

    /// Lots filled over all the leg's orders (venue-reported exposure included).
    pub fn filled_lots(&self) -> i64 {
        self.exposure_lots
    }

    /// Lots filled beyond the leg's size (a fill after a cancel ack that raced the
    /// fallback); the group unwinds them.
    pub fn excess_lots(&self) -> i64 {
        (self.filled_lots() - self.qty_lots).max(0)
    }

    /// Σ price × qty of the fills, tick-lots.
    pub fn notional_tl(&self) -> i128 {
        self.orders.iter().map(Order::notional_tl).sum()
    }

    /// Lots filled as maker.
    pub fn maker_lots(&self) -> i64 {
        self.orders.iter().map(Order::maker_lots).sum()
    }

    /// Lots in applied fill reports (without venue-reported sizes whose fills are still
    /// on their way).
    pub fn reported_lots(&self) -> i64 {
        self.orders.iter().map(Order::filled_lots).sum()
    }

    /// Fees of the applied fills, in tick-lots × 10⁻⁸ (maker and taker rates by fill;
    /// negative is a rebate). Exact: convert at the edge with the tick and lot.
    pub fn fees_tl_e8(&self) -> i128 {
        let maker: i128 = self.orders.iter().map(Order::maker_notional_tl).sum();
        let taker = self.notional_tl() - maker;
        maker * i128::from(self.fees.maker_e8) + taker * i128::from(self.fees.taker_e8)
    }

    /// Σ qty ÷ price of the fills, lots per tick × 10¹⁸ (see [`Order::inv_e18`]).
    pub fn inv_e18(&self) -> i128 {
        self.orders.iter().map(Order::inv_e18).sum()
    }

    /// Fees of the applied fills of an inverse instrument, in lots per tick × 10⁻²⁶
    /// (the rate × [`Leg::inv_e18`]): its fees in coin before the lot, multiplier and
    /// tick are applied. `None` past the range.
    pub fn fees_inv_e26(&self) -> Option<i128> {
        let maker: i128 = self.orders.iter().map(Order::maker_inv_e18).sum();
        let taker = self.inv_e18() - maker;
        maker
            .checked_mul(i128::from(self.fees.maker_e8))?
            .checked_add(taker.checked_mul(i128::from(self.fees.taker_e8))?)
    }

    /// The top of book and pre-flight the leg started from.
    pub fn arrival(&self) -> Option<Arrival> {
        self.arrival
    }

    /// How many times a `Chase` leg reposted its passive order.
    pub fn reprices(&self) -> u32 {
        self.reprices
    }

    /// The orders the leg has sent, in slot order.
    pub fn orders(&self) -> &[Order] {
        &self.orders
    }

    /// The order in `slot`.
    pub fn order(&self, slot: usize) -> Option<&Order> {
        self.orders.get(slot)
    }

    /// The protection price of the leg's last IOC, ticks (0 before start).
    pub fn protection_ticks(&self) -> i64 {
        self.protection_ticks
    }

    fn timeout_ns(&self) -> u64 {
        match self.mode {
            Mode::LimitOnly { timeout_ns }
            | Mode::LimitWithFallback { timeout_ns }
            | Mode::Adaptive { timeout_ns }
            | Mode::Chase { timeout_ns, .. } => timeout_ns,
            Mode::MarketOnly => 0,
        }
    }

    /// Best ask − 1 tick for a buy, best bid + 1 tick for a sell, from the last top.
    fn passive_price(&self) -> i64 {
        match self.side {
            OrderSide::Buy => self.last_top.1 - 1,
            OrderSide::Sell => self.last_top.0 + 1,
        }
    }

    /// The current passive order is terminal: repost (chase), fall back, or finish.
    fn after_passive<const N: usize>(
        &mut self,
        now_ns: u64,
        out: &mut ArrayVec<Command, N>,
    ) -> Result<(), LegError> {
        let remainder = self.qty_lots - self.filled_lots();
        let in_time = self.deadline_ns.is_some_and(|d| now_ns < d);
        let rejected = self.orders.last().map(Order::state) == Some(OrderState::Rejected);
        let chase_left = match self.mode {
            Mode::Chase { max_reprices, .. } => self.reprices < max_reprices,
            _ => false,
        };
        let repost = matches!(self.phase, Phase::Cancelling { reprice: true }) || rejected;
        if remainder <= 0 {
            self.finish();
        } else if self.route == Some(Route::Chase) && repost && chase_left && in_time {
            self.reprices += 1;
            let price = self.passive_price();
            self.submit(price, remainder, Tif::PostOnly, now_ns, out)?;
            self.phase = Phase::Passive { cancel_due: false };
        } else if matches!(self.route, Some(Route::LimitThenMarket | Route::Chase)) {
            self.deadline_ns = None;
            // Priced on the book as it is now, not as it was at the start.
            let (bid, ask) = self.last_top;
            self.protection_ticks = protection(self.side, bid + ask, self.max_slippage_bps);
            let p = self.protection_ticks;
            self.submit(p, remainder, Tif::Ioc, now_ns, out)?;
            self.phase = Phase::Fallback;
        } else {
            self.finish();
        }
        Ok(())
    }

    /// Adds an applied fill's id to the window; when full, the smallest id leaves it and
    /// raises the floor.
    fn remember_trade_id(&mut self, id: u64) {
        if self.trade_ids.try_push(id).is_ok() {
            return;
        }
        let oldest = self.trade_ids.iter().enumerate().min_by_key(|&(_, &t)| t);
        match oldest {
            Some((i, &t)) if t < id => {
                self.trade_ids[i] = id;
                self.trade_floor = Some(self.trade_floor.map_or(t, |f| f.max(t)));
                self.evicted = Some(t);
            }
            _ => {
                self.trade_floor = Some(self.trade_floor.map_or(id, |f| f.max(id)));
                self.evicted = Some(id);
            }
        }
    }

    /// Fills refused because their trade id was below the dedupe window (see the module
    /// doc): each one is a fill the venue may have made that the records may lack.
    pub fn unverified_fills(&self) -> u64 {
        self.unverified_fills
    }

    fn finish(&mut self) {
        self.deadline_ns = None;
        self.phase = Phase::Done;
    }

    fn cancel_current<const N: usize>(
        &mut self,
        now_ns: u64,
        out: &mut ArrayVec<Command, N>,
    ) -> Result<(), LegError> {
        self.cancel_slot(self.orders.len() - 1, now_ns, out)
    }

    fn cancel_slot<const N: usize>(
        &mut self,
        slot: usize,
        now_ns: u64,
        out: &mut ArrayVec<Command, N>,
    ) -> Result<(), LegError> {
        self.orders[slot].apply(OrderEvent::CancelRequested, now_ns)?;
        self.track_await(slot, now_ns);
        out.push(Command::Cancel { slot });
        Ok(())
    }

    /// Starts or stops waiting for an answer on `slot` after its state changed: answers
    /// are owed while submitted, cancel pending or unknown, and by an IOC until it ends.
    fn track_await(&mut self, slot: usize, now_ns: u64) {
        let state = self.orders[slot].state();
        let meta = &mut self.slots[slot];
        let owed = matches!(
            state,
            OrderState::Submitted | OrderState::CancelPending | OrderState::Unknown
        ) || (meta.ioc && !state.is_terminal());
        meta.await_since = match (owed, meta.await_since) {
            (false, _) => None,
            (true, None) => Some(now_ns),
            (true, since) => since,
        };
        if owed {
            meta.silent_since.get_or_insert(now_ns);
        } else {
            meta.queries = 0;
            meta.silent_since = None;
        }
    }

    fn submit<const N: usize>(
        &mut self,
        price_ticks: i64,
        qty_lots: i64,
        tif: Tif,
        now_ns: u64,
        out: &mut ArrayVec<Command, N>,
    ) -> Result<(), LegError> {
        let mut order = Order::new(qty_lots)?;
        order.apply(OrderEvent::Sent, now_ns)?;
        let slot = self.orders.len();
        self.orders
            .try_push(order)
            .map_err(|_| LegError::Input("no order slot left"))?;
        self.slots.push(SlotMeta {
            price_ticks,
            ioc: tif == Tif::Ioc,
            await_since: Some(now_ns),
            queries: 0,
            silent_since: Some(now_ns),
        });
        out.push(Command::Submit {
            slot,
            side: self.side,
            price_ticks,
            qty_lots,
            tif,
            reduce_only: self.reduce_only,
        });
        Ok(())
    }
}

fn valid_top(bid: i64, ask: i64) -> bool {
    bid >= 1 && ask > bid && ask <= crate::num::MAX_UNITS
}

/// The IOC limit: mid × (1 ± bps/10⁴), to the tick away from the market (buy down,
/// sell up), at least one tick. A 128-bit fast path when `mid_x2 < 2⁴⁰` (every real
/// book: BTC at a 0.01 tick is ~2²³), else the exact 256-bit path; equal where both
/// apply (a property test checks it).
fn protection(side: OrderSide, mid_x2: i64, bps: Ratio) -> i64 {
    let bits = bps.to_bits();
    let one: u128 = 10_000u128 << 64;
    if (1..1 << 40).contains(&mid_x2) && (0..one as i128).contains(&bits) {
        let m = mid_x2 as u128;
        let q = match side {
            // floor(m (one + b) / (2 · 10⁴ · 2⁶⁴)) = floor(floor(x / 2⁶⁴) / 20 000)
            OrderSide::Buy => ((m * (one + bits as u128)) >> 64) / 20_000,
            // ceil by the same nesting
            OrderSide::Sell => {
                let x = m * (one - bits as u128);
                let c = (x >> 64) + u128::from(x as u64 != 0);
                c.div_ceil(20_000)
            }
        };
        return i64::try_from(q).unwrap_or(i64::MAX).max(1);
    }
    protection_exact(side, mid_x2, bps)
}

fn protection_exact(side: OrderSide, mid_x2: i64, bps: Ratio) -> i64 {
    use crate::num::Round;
    use ethnum::I256;
    let one = I256::new(10_000) << 64u32;
    let b = I256::new(bps.to_bits());
    let (num, round) = match side {
        OrderSide::Buy => (I256::new(i128::from(mid_x2)) * (one + b), Round::Floor),
        OrderSide::Sell => (I256::new(i128::from(mid_x2)) * (one - b), Round::Ceil),
    };
    let den = one * 2;
    let q = num / den; // both positive: truncation is the floor
    let q = if round == Round::Ceil && q * den != num {
        q + 1
    } else {
        q
    };
    i64::try_from(q.as_i128()).unwrap_or(i64::MAX).max(1)
}

#[cfg(test)]
mod tests;
