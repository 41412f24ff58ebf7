//! [`Paper`]: the simulated venue behind a Binance USD-M face, sans-IO. It takes request
//! frames and the time, and returns what to send: answers to one connection, events to
//! the user data streams, link drops from the fault plan.
//!
//! Every request goes through the simulator (any [`LocalVenue`]: the scenario's, with
//! its latency model and fault plan
//! ) and is answered when the simulator's first report for it arrives: an
//! `order.place` by its ack, fill, expiry or reject; an `order.cancel` by its cancel ack
//! or reject; an `order.status` by the simulator's own records (a lost request is an
//! order the venue never saw: `-2013`). A lost reply is an answer that never comes, as
//! on the real venue, and a client finds out by its timeout. Every report the venue
//! makes about an order (ack, fill, cancel, expiry) is also an `ORDER_TRADE_UPDATE` on
//! the user data stream, and each fill is first an `ACCOUNT_UPDATE` with the position
//! the simulator's ledger holds (`account`).
//!
//! Client order ids are the client's (any of Binance's `[.A-Z:/a-z0-9_-]{1,36}`); the
//! simulator's [`OrderRef`]s are made here, one job per order. A `LIMIT GTC` order that
//! does not cross rests like a post-only one; one that would cross is refused (`-4xxx`:
//! the simulator does not rest a taker's remainder), which the docs state. `MARKET`
//! orders take up to the far end of the book.
//!
//! Authentication as Binance does it: the `apiKey` must be the venue's (`-2015`), the
//! signature must verify over the sorted parameters (HMAC-SHA256 hex or Ed25519 base64,
//! `-1022`), and `timestamp` must be within `recvWindow` (default 5000 ms, at most
//! 60000) of the venue's clock, or 1000 ms ahead of it (`-1021`). Rate limits are
//! counted per fixed window and reported in every answer's `rateLimits`; a request over
//! a limit is refused with `-1003` (status 429) and not acted on.
//!
//! The REST face (`depth`, `listenKey`, `userTrades`, `positionRisk`, `exchangeInfo`) is
//! in [`rest`].

use std::collections::HashMap;

use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde_json::{json, Value};

use super::account::{self, Position};
use super::order::{self, Order};
use super::wire::{self, ApiRequest, LimitUse, WireError};
use crate::binance_ws::reject;
use crate::binance_ws::sign::HmacSigner;
use crate::book::{OrderSide, Side};
use crate::index::{BookId, LegIdx};
use crate::instrument::InstrumentRules;
use crate::leg::VenueStatus;
use crate::num::Round;
use crate::venue::{Delivery, Execution, LocalVenue, NewOrder, OrderRef};
use crate::venue::{RejectReason, Report, ReportKind, Request};

mod rest;

const BOOK: BookId = BookId::new(0);
/// The first venue order id (ids are this plus the order's index).
pub(super) const FIRST_ORDER_ID: u64 = 8_000_000_000;
/// How long an answer is awaited from the simulator before it is given up (a lost
/// reply): the entry is dropped; the client has timed out long before.
const ANSWER_TTL_NS: u64 = 60_000_000_000;

/// Who may trade: the API key and how its requests are signed.
#[derive(Debug, Clone)]
pub struct Auth {
    /// The `apiKey` requests must carry.
    pub api_key: String,
    /// The HMAC secret, if HMAC keys are accepted.
    pub hmac: Option<HmacSigner>,
    /// The Ed25519 public key, if Ed25519 keys are accepted.
    pub ed25519: Option<VerifyingKey>,
}

/// The venue's rate limits (Binance USD-M's defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// `REQUEST_WEIGHT` per minute.
    pub weight_per_min: u64,
    /// `ORDERS` per 10 seconds.
    pub orders_per_10s: u64,
    /// `ORDERS` per minute.
    pub orders_per_min: u64,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            weight_per_min: 2_400,
            orders_per_10s: 300,
            orders_per_min: 1_200,
        }
    }
}

/// The venue's settings.
#[derive(Debug, Clone)]
pub struct PaperConfig {
    /// The symbol it trades (`BTCUSDT`).
    pub symbol: String,
    /// Its quote (and margin) asset (`USDT`).
    pub quote: String,
    /// Its rules: tick, lot, minimum quantity and notional.
    pub rules: InstrumentRules,
    /// Who may trade.
    pub auth: Auth,
    /// Rate limits.
    pub limits: RateLimits,
    /// A listen key lives this long after its last keep-alive, ns.
    pub listen_key_ttl_ns: u64,
    /// The venue's clock: ms since the epoch at `now_ns` = 0 (a test sets it off the
    /// client's wall clock to make it estimate the offset).
    pub epoch_ms_at_zero: u64,
}

/// What the venue sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    /// A frame for WebSocket API connection `conn`.
    Answer(u64, String),
    /// An event for every user data stream.
    Event(String),
    /// The link dropped (a disconnect fault): close every connection and refuse new
    /// ones until [`Out::Up`].
    Down,
    /// The link is back.
    Up,
    /// The listen key expired: its streams got `listenKeyExpired` and are closed.
    KeyExpired,
}

/// What the venue counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PaperCounts {
    /// Requests read.
    pub requests: u64,
    /// Refused for a wrong key or signature.
    pub bad_auth: u64,
    /// Refused for a timestamp outside the receive window.
    pub clock_skew: u64,
    /// Refused for a rate limit.
    pub rate_limited: u64,
    /// Answers given up (the simulator lost the reply, or its connection closed).
    pub answers_dropped: u64,
    /// Reports about no order of this venue (never expected).
    pub unmatched_reports: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Place,
    Cancel,
    Status,
}

#[derive(Debug)]
struct Pending {
    order: usize,
    method: Method,
    conn: u64,
    id: Value,
    since_ns: u64,
}

/// An answer due: sent once the order's record holds `filled_at_least` lots (a status
/// the simulator gave counts fills still on their way to the record).
#[derive(Debug)]
struct Ready {
    pending: Pending,
    refusal: Option<WireError>,
    filled_at_least: i64,
}

/// A fixed-window counter.
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    start_ms: u64,
    count: u64,
}

impl Window {
    fn at(&mut self, now_ms: u64, len_ms: u64) -> &mut u64 {
        let start = now_ms - now_ms % len_ms;
        if start != self.start_ms {
            *self = Window {
                start_ms: start,
                count: 0,
            };
        }
        &mut self.count
    }
}

/// The venue over any simulated venue `V` (the scenario's simulator). See the module
/// doc.
pub struct Paper<V> {
    cfg: PaperConfig,
    exchange: V,
    down: bool,
    orders: Vec<Order>,
    by_client: HashMap<String, usize>,
    pending: Vec<Pending>,
    ready: Vec<Ready>,
    book_updates: u64,
    listen_key: Option<(String, u64)>,
    keys_made: u64,
    weight: Window,
    orders_10s: Window,
    orders_min: Window,
    counts: PaperCounts,
}

impl<V: LocalVenue> Paper<V> {
    /// A venue over `exchange`'s book 0.
    pub fn new(cfg: PaperConfig, exchange: V) -> Paper<V> {
        Paper {
            cfg,
            exchange,
            down: false,
            orders: Vec::new(),
            by_client: HashMap::new(),
            pending: Vec::new(),
            ready: Vec::new(),
            book_updates: 0,
            listen_key: None,
            keys_made: 0,
            weight: Window::default(),
            orders_10s: Window::default(),
            orders_min: Window::default(),
            counts: PaperCounts::default(),
        }
    }

    /// What it counted.
    pub fn counts(&self) -> PaperCounts {
        self.counts
    }

    /// The simulated venue (its ledger is the truth a test checks against).
    pub fn venue(&self) -> &V {
        &self.exchange
    }

    /// The simulated venue, to change its fault plan mid-run.
    pub fn exchange_mut(&mut self) -> &mut V {
        &mut self.exchange
    }

    /// The book the feed updates (call [`Paper::on_book`] after).
    pub fn ladder(&mut self) -> &mut crate::book::Ladder {
        self.exchange
            .book_ladder(BOOK)
            .expect("a paper venue always has its book 0")
    }

    /// After the feed moved the book: the venue matches resting orders.
    pub fn on_book(&mut self, now_ns: u64, out: &mut Vec<Out>) {
        self.book_updates += 1;
        // Only a full report buffer fails, and `tick` drains it at once.
        let _ = self.exchange.on_book(BOOK, now_ns);
        self.tick(now_ns, out);
    }

    /// The venue's clock, ms since the epoch.
    pub fn epoch_ms(&self, now_ns: u64) -> u64 {
        self.cfg.epoch_ms_at_zero + now_ns / 1_000_000
    }

    /// Whether the link is down (a disconnect fault, from its drop to its return): no
    /// connection is accepted.
    pub fn is_down(&self) -> bool {
        self.down
    }

    /// Connection `conn` closed: answers owed to it are dropped.
    pub fn closed(&mut self, conn: u64) {
        let before = self.pending.len();
        self.pending.retain(|p| p.conn != conn);
        self.counts.answers_dropped += (before - self.pending.len()) as u64;
    }

    /// The rate limits' use now, as every answer reports it.
    fn limit_use(&mut self, now_ms: u64) -> [LimitUse; 3] {
        let l = self.cfg.limits;
        [
            LimitUse {
                kind: "REQUEST_WEIGHT",
                interval: "MINUTE",
                interval_num: 1,
                limit: l.weight_per_min,
                count: *self.weight.at(now_ms, 60_000),
            },
            LimitUse {
                kind: "ORDERS",
                interval: "SECOND",
                interval_num: 10,
                limit: l.orders_per_10s,
                count: *self.orders_10s.at(now_ms, 10_000),
            },
            LimitUse {
                kind: "ORDERS",
                interval: "MINUTE",
                interval_num: 1,
                limit: l.orders_per_min,
                count: *self.orders_min.at(now_ms, 60_000),
            },
        ]
    }

    /// Counts a request of `weight` (and an order, for `order.place`); false if a
    /// limit is already used up.
    fn admit(&mut self, now_ms: u64, order: bool) -> bool {
        let l = self.cfg.limits;
        let w = self.weight.at(now_ms, 60_000);
        *w += 1;
        let mut ok = *w <= l.weight_per_min;
        if order {
            let a = self.orders_10s.at(now_ms, 10_000);
            *a += 1;
            ok &= *a <= l.orders_per_10s;
            let b = self.orders_min.at(now_ms, 60_000);
            *b += 1;
            ok &= *b <= l.orders_per_min;
        }
        ok
    }

    fn answer(&mut self, conn: u64, id: &Value, r: Result<Value, WireError>, now_ns: u64) -> Out {
        let limits = self.limit_use(self.epoch_ms(now_ns));
        Out::Answer(
            conn,
            match r {
                Ok(v) => wire::result_frame(id, v, &limits),
                Err(e) => wire::error_frame(id, &e, &limits),
            },
        )
    }

    /// Handles one request frame from connection `conn`.
    pub fn request(&mut self, conn: u64, frame: &str, now_ns: u64, out: &mut Vec<Out>) {
        self.counts.requests += 1;
        let req = match wire::parse_request(frame) {
            Ok(r) => r,
            Err((id, e)) => {
                out.push(self.answer(conn, &id, Err(e), now_ns));
                return;
            }
        };
        let now_ms = self.epoch_ms(now_ns);
        let order = req.method == "order.place";
        if !self.admit(now_ms, order) {
            self.counts.rate_limited += 1;
            let e = WireError {
                status: 429,
                code: -1003,
                msg: "Too many requests; current limit is exceeded.".into(),
            };
            out.push(self.answer(conn, &req.id, Err(e), now_ns));
            return;
        }
        let done = match req.method.as_str() {
            "userDataStream.start" | "userDataStream.ping" => {
                let key = req.param("apiKey").unwrap_or_default();
                match self.listen_key(&key, now_ns) {
                    Some(k) => Ok(json!({ "listenKey": k })),
                    None => Err(bad_key()),
                }
            }
            "userDataStream.stop" => {
                let key = req.param("apiKey").unwrap_or_default();
                if self.close_listen_key(&key) {
                    Ok(json!({}))
                } else {
                    Err(bad_key())
                }
            }
            "order.place" | "order.cancel" | "order.status" => {
                match self
                    .signed(&req, now_ms)
                    .and_then(|()| self.order(&req, conn, now_ns))
                {
                    Ok(()) => {
                        self.tick(now_ns, out);
                        return;
                    }
                    Err(e) => Err(e),
                }
            }
            other => Err(WireError::bad(-1102, format!("Unknown method '{other}'."))),
        };
        out.push(self.answer(conn, &req.id, done, now_ns));
    }

    /// Checks the key, signature and timestamp.
    fn signed(&mut self, req: &ApiRequest, now_ms: u64) -> Result<(), WireError> {
        let auth = &self.cfg.auth;
        let sig = req.param("signature").unwrap_or_default();
        let payload = wire::signed_payload(req);
        let key_ok = req.param("apiKey").as_deref() == Some(auth.api_key.as_str());
        let sig_ok = key_ok && verify(auth, payload.as_bytes(), &sig);
        if !key_ok {
            self.counts.bad_auth += 1;
            return Err(bad_key());
        }
        if !sig_ok {
            self.counts.bad_auth += 1;
            return Err(WireError::bad(
                -1022,
                "Signature for this request is not valid.",
            ));
        }
        let ts = req.uint("timestamp")?.ok_or_else(|| {
            WireError::bad(-1102, "Mandatory parameter 'timestamp' was not sent.")
        })?;
        let window = req.uint("recvWindow")?.unwrap_or(5_000);
        if window > 60_000 {
            return Err(WireError::bad(-1131, "recvWindow must be less than 60000"));
        }
        if ts > now_ms + 1_000 || now_ms.saturating_sub(ts) > window {
            self.counts.clock_skew += 1;
            let (code, msg) = reject::code(RejectReason::ClockSkew);
            return Err(WireError::bad(code, msg));
        }
        Ok(())
    }

    /// `order.place`, `order.cancel`, `order.status`: sent to the simulator, answered
    /// at its report.
    fn order(&mut self, req: &ApiRequest, conn: u64, now_ns: u64) -> Result<(), WireError> {
        let symbol = req.param("symbol").unwrap_or_default();
        if symbol != self.cfg.symbol {
            return Err(WireError::bad(-1121, "Invalid symbol."));
        }
        let (method, i, sim) = if req.method == "order.place" {
            let (i, o) = self.place(req, now_ns)?;
            (Method::Place, i, Request::New(o))
        } else {
            let i = self.find(req)?;
            let r = job_ref(i)?;
            if req.method == "order.cancel" {
                (Method::Cancel, i, Request::Cancel(r))
            } else {
                (Method::Status, i, Request::Query(r))
            }
        };
        self.exchange
            .send(BOOK, sim, now_ns)
            .map_err(|_| WireError::bad(-1008, "Server is currently overloaded."))?;
        self.pending.push(Pending {
            order: i,
            method,
            conn,
            id: req.id.clone(),
            since_ns: now_ns,
        });
        Ok(())
    }

    /// The order a cancel or status names (`origClientOrderId` or `orderId`).
    fn find(&self, req: &ApiRequest) -> Result<usize, WireError> {
        let found = match (req.param("origClientOrderId"), req.uint("orderId")?) {
            (Some(c), _) => self.by_client.get(&c).copied(),
            (None, Some(id)) => id
                .checked_sub(FIRST_ORDER_ID)
                .and_then(|i| usize::try_from(i).ok())
                .filter(|&i| i < self.orders.len()),
            (None, None) => {
                let msg = "Either orderId or origClientOrderId must be sent.";
                return Err(WireError::bad(-1102, msg));
            }
        };
        found.ok_or_else(|| WireError::bad(-2013, "Order does not exist."))
    }

    /// Reads an `order.place` into a new order of the venue's records.
    fn place(&mut self, req: &ApiRequest, now_ns: u64) -> Result<(usize, NewOrder), WireError> {
        let t = order::terms(req, &self.cfg.rules)?;
        self.min_notional(t.side, t.price.ticks(), t.qty_lots, t.kind == "MARKET")?;
        let i = self.orders.len();
        let client_id = match req.param("newClientOrderId") {
            Some(c) if valid_client_id(&c) => c,
            Some(_) => return Err(WireError::bad(-4015, "Client order id is not valid.")),
            None => format!("paper{}", FIRST_ORDER_ID + i as u64),
        };
        if self.by_client.contains_key(&client_id) {
            let (code, msg) = reject::code(RejectReason::DuplicateOrder);
            return Err(WireError::bad(code, msg));
        }
        let order = job_ref(i)?;
        let now_ms = self.epoch_ms(now_ns);
        self.by_client.insert(client_id.clone(), i);
        self.orders.push(Order {
            client_id,
            side: t.side,
            kind: t.kind,
            tif: t.tif,
            price_ticks: t.limit,
            qty_lots: t.qty_lots,
            reduce_only: t.reduce_only,
            filled_lots: 0,
            notional_tl: 0,
            status: "NEW",
            time_ms: now_ms,
            update_ms: now_ms,
            fills: Vec::new(),
        });
        let o = NewOrder {
            order,
            side: t.side,
            price: t.price,
            qty_lots: t.qty_lots,
            tif: t.sim_tif,
            reduce_only: t.reduce_only,
        };
        Ok((i, o))
    }

    /// `-4164` if the order's notional (a market order's at the touch) is below the
    /// minimum.
    fn min_notional(
        &mut self,
        side: OrderSide,
        price_ticks: i64,
        qty_lots: i64,
        market: bool,
    ) -> Result<(), WireError> {
        let rules = self.cfg.rules;
        let px = if market {
            let touch = match side {
                OrderSide::Buy => self.ladder().best(Side::Ask),
                OrderSide::Sell => self.ladder().best(Side::Bid),
            };
            match touch {
                Some(l) => l.price_ticks,
                None => return Ok(()),
            }
        } else {
            price_ticks
        };
        let notional = rules
            .tick
            .to_decimal(px)
            .mul(rules.lot.to_decimal(qty_lots), Round::ToZero);
        match notional {
            Ok(n)
                if n.checked_sub(rules.min_notional)
                    .is_ok_and(|d| !d.is_negative()) =>
            {
                Ok(())
            }
            _ => Err(WireError::bad(
                -4164,
                format!(
                    "Order's notional must be no smaller than {}",
                    rules.min_notional
                ),
            )),
        }
    }

    /// Delivers everything the simulator has due by `now_ns`, expires the listen key
    /// and old answers.
    pub fn tick(&mut self, now_ns: u64, out: &mut Vec<Out>) {
        while let Ok(Some(d)) = self.exchange.poll(now_ns) {
            match d {
                Delivery::Report { report, .. } => self.report(report, now_ns, out),
                Delivery::Disconnected => {
                    self.down = true;
                    out.push(Out::Down);
                }
                Delivery::Connected => {
                    self.down = false;
                    out.push(Out::Up);
                }
                Delivery::Resynced | Delivery::PositionBreak { .. } => {}
            }
        }
        // Answered with the order as it stands after every report due now (an IOC's
        // fills and expiry come in one act), as Binance's RESULT answers are.
        // A status waits for the fills it counts (never lost, maybe late), so that its
        // `executedQty` is never behind what the venue has matched.
        for r in std::mem::take(&mut self.ready) {
            let (p, o) = (&r.pending, &self.orders[r.pending.order]);
            let young = now_ns.saturating_sub(p.since_ns) < ANSWER_TTL_NS;
            if r.refusal.is_none() && o.filled_lots < r.filled_at_least && young {
                self.ready.push(r);
                continue;
            }
            let answer = r.refusal.map_or_else(
                || Ok(order::order_json(&self.cfg, p.order, &self.orders[p.order])),
                Err,
            );
            out.push(self.answer(p.conn, &p.id, answer, now_ns));
        }
        if matches!(&self.listen_key, Some((_, exp)) if now_ns >= *exp) {
            if let Some((k, _)) = self.listen_key.take() {
                let e = json!({ "e": "listenKeyExpired", "E": self.epoch_ms(now_ns),
                    "listenKey": k });
                out.push(Out::Event(e.to_string()));
                out.push(Out::KeyExpired);
            }
        }
        let before = self.pending.len();
        self.pending
            .retain(|p| now_ns.saturating_sub(p.since_ns) < ANSWER_TTL_NS);
        self.counts.answers_dropped += (before - self.pending.len()) as u64;
    }

    /// One report of the simulator: the order's record, its event, its answer.
    fn report(&mut self, r: Report, now_ns: u64, out: &mut Vec<Out>) {
        let i = usize::try_from(r.order.job()).unwrap_or(usize::MAX);
        if i >= self.orders.len() {
            self.counts.unmatched_reports += 1;
            return;
        }
        let now_ms = self.epoch_ms(now_ns);
        let fill = self.apply(i, r.kind, now_ms);
        if let (Some(x), Some(p)) = (fill, self.position()) {
            // Binance says the position first, then the order's trade.
            let at_ms = self.cfg.epoch_ms_at_zero + x.at_ns / 1_000_000;
            out.push(Out::Event(account::update_event(
                &self.cfg, p, now_ms, at_ms,
            )));
        }
        if let Some(event) = order::event(&self.cfg, i, &self.orders[i], r.kind, fill, now_ms) {
            out.push(Out::Event(event));
        }
        let method = match r.kind {
            ReportKind::Ack | ReportKind::Fill(_) | ReportKind::Expired { .. } => Method::Place,
            ReportKind::Reject(_) => Method::Place,
            ReportKind::CancelAck { .. } | ReportKind::CancelReject(_) => Method::Cancel,
            ReportKind::Status(_) => Method::Status,
        };
        let filled_at_least = match r.kind {
            ReportKind::Status(VenueStatus::Open { filled_lots })
            | ReportKind::Status(VenueStatus::Closed { filled_lots }) => filled_lots,
            _ => 0,
        };
        let refusal = match r.kind {
            ReportKind::Reject(reason) | ReportKind::CancelReject(reason) => {
                if method == Method::Place {
                    self.forget(i);
                }
                let (code, msg) = reject::code(reason);
                Some(WireError::bad(code, msg))
            }
            ReportKind::Status(VenueStatus::NotFound) => {
                Some(WireError::bad(-2013, "Order does not exist."))
            }
            ReportKind::Status(VenueStatus::Open { filled_lots })
            | ReportKind::Status(VenueStatus::Closed { filled_lots }) => {
                self.seen_status(i, r.kind, filled_lots);
                None
            }
            _ => None,
        };
        self.answer_pending(i, method, r.kind, refusal, filled_at_least);
    }

    /// Readies the answers a report about order `i` gives: the oldest request of
    /// `method` for it gets the report's. The simulator reports nothing for a request
    /// whose answer the link lost, so any other status or cancel still waiting for the
    /// order is answered now, as it stands (a status by the record; a cancel after a
    /// cancel ack is refused `-2011`): matched one to one, each report would answer the
    /// request before its own, and a lost answer would leave every later one late.
    fn answer_pending(
        &mut self,
        i: usize,
        method: Method,
        kind: ReportKind,
        r: Option<WireError>,
        filled_at_least: i64,
    ) {
        let mut answered = 0;
        let mut k = 0;
        while let Some(p) = self.pending.get(k) {
            if p.order != i || p.method != method {
                k += 1;
                continue;
            }
            let p = self.pending.remove(k);
            let answer = match (answered, kind) {
                (1.., ReportKind::CancelAck { .. }) => {
                    let (code, msg) = reject::code(RejectReason::UnknownOrder);
                    Some(WireError::bad(code, msg))
                }
                _ => r.clone(),
            };
            self.ready.push(Ready {
                pending: p,
                refusal: answer,
                filled_at_least,
            });
            answered += 1;
            if method == Method::Place {
                break;
            }
        }
    }

    /// The position in the venue's book, from the simulator's ledger.
    pub(super) fn position(&self) -> Option<Position> {
        let (lots, cash_tl) = self.exchange.ledger(BookId::new(0))?;
        Some(Position { lots, cash_tl })
    }

    /// A refused order is no order: its client id may be used again.
    fn forget(&mut self, i: usize) {
        let o = &mut self.orders[i];
        o.status = "REJECTED";
        let id = o.client_id.clone();
        self.by_client.remove(&id);
    }

    /// The status the simulator's records give, where the reports so far say less.
    fn seen_status(&mut self, i: usize, kind: ReportKind, filled: i64) {
        let o = &mut self.orders[i];
        let open = matches!(kind, ReportKind::Status(VenueStatus::Open { .. }));
        if !open && !matches!(o.status, "FILLED" | "CANCELED" | "EXPIRED") {
            o.status = if filled >= o.qty_lots {
                "FILLED"
            } else {
                "CANCELED"
            };
        }
    }

    /// Applies a report to the order's record; the fill, if it was one.
    fn apply(&mut self, i: usize, kind: ReportKind, now_ms: u64) -> Option<Execution> {
        let o = &mut self.orders[i];
        o.update_ms = now_ms;
        match kind {
            // A report the link delivers twice (a `duplicate` fault) is one trade: the
            // record counts it once, the stream may say it twice.
            ReportKind::Fill(x) if o.fills.iter().any(|f| f.trade_id == x.trade_id) => {
                return Some(x);
            }
            ReportKind::Fill(x) => {
                o.filled_lots += x.last_qty_lots;
                o.notional_tl += i128::from(x.price_ticks) * i128::from(x.last_qty_lots);
                o.fills.push(x);
                // A fill that arrives after the order was closed (matched before its
                // cancel, or said closed by a status) leaves it closed.
                o.status = if o.filled_lots >= o.qty_lots {
                    "FILLED"
                } else if matches!(o.status, "CANCELED" | "EXPIRED") {
                    o.status
                } else {
                    "PARTIALLY_FILLED"
                };
                return Some(x);
            }
            ReportKind::CancelAck { .. } => o.status = "CANCELED",
            ReportKind::Expired { .. } => o.status = "EXPIRED",
            _ => {}
        }
        None
    }
}

fn bad_key() -> WireError {
    WireError {
        status: 401,
        code: -2015,
        msg: "Invalid API-key, IP, or permissions for action.".into(),
    }
}

fn valid_client_id(s: &str) -> bool {
    (1..=36).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".:/_-".contains(&b))
}

/// Order `i`'s reference for the simulator: one job per order.
fn job_ref(i: usize) -> Result<OrderRef, WireError> {
    OrderRef::new(i as u64, LegIdx::new(0), 0, 0)
        .map_err(|_| WireError::bad(-2025, "Reach max open order limit."))
}

/// Whether `sig` signs `payload` under `auth`: 64 hex digits by HMAC, else Ed25519.
pub(super) fn verify(auth: &Auth, payload: &[u8], sig: &str) -> bool {
    use base64::Engine;
    if sig.len() == 64 {
        if let Some(h) = &auth.hmac {
            return h.verify_hex(payload, sig.as_bytes());
        }
    }
    let Some(k) = &auth.ed25519 else {
        return false;
    };
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(sig) else {
        return false;
    };
    let Ok(sig) = Signature::from_slice(&raw) else {
        return false;
    };
    k.verify(payload, &sig).is_ok()
}
