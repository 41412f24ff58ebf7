//! [`BinanceWsGateway`]: a [`Gateway`] that sends the engine's requests to Binance USD-M
//! futures over its WebSocket API and delivers what the venue reports, on the gateway
//! thread.
//!
//! - Requests: a post-only order is `LIMIT GTX`, an IOC is `LIMIT IOC` at its protection
//!   price (Binance's `MARKET` has none), a cancel is `order.cancel` and a status query
//!   `order.status`, all by client order id (the [`OrderRef`]'s wire value), signed
//!   (`binance_ws::request`). `timestamp` is the venue's clock as estimated from
//!   `GET /fapi/v1/time` at each connect (half the round trip), estimated again after a
//!   `-1021`.
//! - Reports come from the answers (ack, reject, cancel ack or reject, status) and from
//!   the user data stream (`ORDER_TRADE_UPDATE`: ack, fills with trade id, cancel,
//!   expiry), each delivered once (`orders::Orders::once`).
//! - Rate limits: every answer's `rateLimits` sets the use the gateway throttles on: at
//!   or above [`WsVenueConfig::throttle_permille`] a new order is refused here
//!   (`RateLimited`, never sent), so the venue never bans the key. Reduce-only orders
//!   (unwinds), cancels and queries still go: they take risk off. The use is also
//!   reported to the runtime ([`Gateway::rate_limit_use`]), whose risk starts no new
//!   group on the venue from a lower level (`risk::VENUE_LOAD_LIMIT_PERMILLE`).
//! - The listen key is made at connect (`POST`), kept alive (`PUT`) every
//!   [`WsVenueConfig::keepalive_ms`], and on `listenKeyExpired` or a dropped stream the
//!   whole connection is made again, as after a dropped API link.
//! - Reconnect and reconciliation: a drop delivers `Disconnected`; the gateway connects
//!   again with backoff (from [`WsVenueConfig::reconnect_ms`], doubling to 5 s),
//!   delivers `Connected`, then asks `order.status` of every order not closed (or in
//!   doubt: sent, never answered). An order the venue never saw is
//!   rejected (`Unavailable`); fills missed while away are read from
//!   `GET /fapi/v1/userTrades` and delivered once each by trade id; an end missed is
//!   delivered. Only then `Resynced`: the engine's view of its orders is whole again.
//! - While disconnected, a new order or a cancel is answered at once (`Unavailable`):
//!   it never left.
//! - Position: the venue's position in the symbol is read at each connect
//!   (`positionRisk`) and follows `ACCOUNT_UPDATE`; held against the fills delivered,
//!   a lasting difference makes the gateway reconcile the open orders again, then report
//!   [`Delivery::PositionBreak`] (`position`).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;

use super::config::{WsKey, WsVenueConfig};
use super::link::{Received, WsLink};
use super::orders::Orders;
use super::position::{PositionWatch, Watch};
use super::rest;
use crate::binance_ws::events::{self, Contract, UserEvent};
use crate::binance_ws::request::{Encoder, Place, Stamp, WsOrderKind, WsSide};
use crate::binance_ws::response::{self, Answer};
use crate::binance_ws::sign::{HmacSigner, WsSigner};
use crate::book::OrderSide;
use crate::fix::sign::{self, ApiKey, CredentialError};
use crate::index::BookId;
use crate::leg::{Liquidity, VenueStatus};
use crate::num::Step;
use crate::venue::{Delivery, Execution, Gateway, GatewayError, OrderRef, RejectDetail};
use crate::venue::{RejectReason, ReportKind, Request, TimeInForce, VenueText};

/// Most reconnect delay (the first is [`WsVenueConfig::reconnect_ms`]; it doubles).
const MAX_BACKOFF_NS: u64 = 5_000_000_000;
/// Connect, handshake and REST timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Attempts (25 ms apart) to read a reconciled order's missing fills.
const TRADE_ATTEMPTS: u32 = 40;
/// How often closed orders are pruned from the record (each lives one to two periods
/// past its end).
const PRUNE_NS: u64 = 60_000_000_000;

/// What the gateway counted besides deliveries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WsCounts {
    /// Connections made (API, listen key and stream all up).
    pub connects: u64,
    /// Connections lost.
    pub disconnects: u64,
    /// Connect attempts that failed.
    pub connect_failures: u64,
    /// Frames that did not parse.
    pub bad_frames: u64,
    /// Answers to no request in flight (late after a timeout, or unknown).
    pub answers_unmatched: u64,
    /// Events about no order of this gateway, or another symbol.
    pub events_unmapped: u64,
    /// Other user-data events (`MARGIN_CALL`…, an `ACCOUNT_UPDATE` without the
    /// symbol) and execution types.
    pub events_other: u64,
    /// Reports dropped as already delivered (an ack or end said twice, a fill's trade
    /// id seen before).
    pub duplicates: u64,
    /// Requests with no answer within the timeout.
    pub timeouts: u64,
    /// Status requests the venue refused with another code than "unknown order" (a
    /// reconciliation's: the connection is made again and it is redone).
    pub status_refused: u64,
    /// New orders refused at the gateway for the venue's rate limit.
    pub throttled: u64,
    /// Clock offset estimates after a `-1021`.
    pub clock_resyncs: u64,
    /// Closed orders forgotten by the periodic prune.
    pub pruned: u64,
    /// Fills delivered from `userTrades` while reconciling.
    pub fills_recovered: u64,
    /// Lots the venue said were filled that no trade read could account for.
    pub lots_unrecovered: u64,
    /// Commissions in another asset than the quote (delivered as fee 0).
    pub unconverted_fees: u64,
    /// `ACCOUNT_UPDATE`s with the symbol's position.
    pub account_updates: u64,
    /// Reconciliations made because the venue's position differed from the fills
    /// delivered for the grace period.
    pub position_rechecks: u64,
    /// Position breaks reported (still differing after a recheck).
    pub position_breaks: u64,
}

/// Why the gateway could not be made.
#[derive(Debug, thiserror::Error)]
pub enum WsGatewayError {
    /// The credentials could not be loaded (names where, never the secret).
    #[error(transparent)]
    Credentials(#[from] CredentialError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Place,
    Cancel,
    Status,
    Reconcile,
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    order: OrderRef,
    method: Method,
    sent_ns: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Down { retry_at_ns: u64, backoff_ns: u64 },
    Up,
}

/// The Binance USD-M WebSocket API gateway. See the module doc.
pub struct BinanceWsGateway {
    cfg: WsVenueConfig,
    signer: WsSigner,
    steps: (Step, Step),
    api: WsLink,
    stream: WsLink,
    enc: Encoder,
    next_id: u64,
    pending: HashMap<u64, Pending>,
    orders: Orders,
    deliveries: VecDeque<Delivery>,
    link: Link,
    wall_at_zero_ms: Option<u64>,
    offset_ms: i64,
    listen_key: Option<String>,
    keepalive_at_ns: u64,
    reconciling: usize,
    used_permille: u64,
    prune_at_ns: u64,
    redo_reconcile: bool,
    position: PositionWatch,
    counts: WsCounts,
}

#[derive(Deserialize)]
struct Trade<'a> {
    id: u64,
    price: &'a str,
    qty: &'a str,
    commission: &'a str,
    #[serde(rename = "commissionAsset")]
    commission_asset: &'a str,
    time: u64,
    maker: bool,
}

impl BinanceWsGateway {
    /// A gateway for `cfg`'s venue trading one instrument at `tick` and `lot`. Loads the
    /// credentials now; connects at the first poll.
    pub fn new(
        cfg: &WsVenueConfig,
        tick: Step,
        lot: Step,
    ) -> Result<BinanceWsGateway, WsGatewayError> {
        let api_key = sign::read_secret("API key", &cfg.api_key)?;
        let api_key = ApiKey::new(&api_key)?;
        let signer = match &cfg.key {
            WsKey::Hmac(src) => {
                let secret = sign::read_secret("HMAC secret", src)?;
                WsSigner::Hmac(HmacSigner::new(&secret, api_key)?)
            }
            WsKey::Ed25519(src) => WsSigner::Ed25519(sign::load(src, &cfg.api_key)?),
        };
        Ok(BinanceWsGateway {
            cfg: cfg.clone(),
            signer,
            steps: (tick, lot),
            api: WsLink::default(),
            stream: WsLink::default(),
            enc: Encoder::new(),
            next_id: 0,
            pending: HashMap::with_capacity(256),
            orders: Orders::default(),
            deliveries: VecDeque::with_capacity(1_024),
            link: Link::Down {
                retry_at_ns: 0,
                backoff_ns: cfg.reconnect_ms.saturating_mul(1_000_000),
            },
            wall_at_zero_ms: None,
            offset_ms: 0,
            listen_key: None,
            keepalive_at_ns: 0,
            reconciling: 0,
            used_permille: 0,
            prune_at_ns: PRUNE_NS,
            redo_reconcile: false,
            position: PositionWatch::new(cfg.position_grace_ms),
            counts: WsCounts::default(),
        })
    }

    /// What it counted.
    pub fn counts(&self) -> WsCounts {
        self.counts
    }

    /// The venue's last reported rate-limit use, thousandths of the fullest window.
    pub fn used_permille(&self) -> u64 {
        self.used_permille
    }

    /// The venue's clock minus the wall clock, ms, as last estimated.
    pub fn clock_offset_ms(&self) -> i64 {
        self.offset_ms
    }

    /// The venue's position as last read or updated, and what the baseline and the
    /// fills delivered make it, lots (`None` before the first read, or unwatched).
    pub fn position_lots(&self) -> (Option<i64>, Option<i64>) {
        (self.position.venue_lots(), self.position.expected_lots())
    }

    /// Whether the API link, listen key and stream are up.
    pub fn is_connected(&self) -> bool {
        self.link == Link::Up
    }

    /// Closes the connections.
    pub fn close(&mut self) {
        self.api.close();
        self.stream.close();
    }

    fn wall_ms(&mut self, now_ns: u64) -> u64 {
        let zero = *self
            .wall_at_zero_ms
            .get_or_insert_with(|| wall_now_ms().saturating_sub(now_ns / 1_000_000));
        zero + now_ns / 1_000_000
    }

    /// The venue's clock now, for a REST request.
    fn venue_ms_now(&self) -> u64 {
        wall_now_ms().saturating_add_signed(self.offset_ms)
    }

    fn venue_ms(&mut self, now_ns: u64) -> u64 {
        self.wall_ms(now_ns).saturating_add_signed(self.offset_ms)
    }

    fn deliver(&mut self, order: OrderRef, kind: ReportKind, detail: Option<RejectDetail>) {
        match self.orders.once(order, kind) {
            Some(mut r) => {
                if let (ReportKind::Fill(x), Some(t)) = (kind, self.orders.get_mut(order)) {
                    let buy = t.buy;
                    self.position.filled(if buy {
                        x.last_qty_lots
                    } else {
                        -x.last_qty_lots
                    });
                }
                r.detail = detail;
                self.deliveries.push_back(Delivery::Report {
                    book: BookId::new(0),
                    report: r,
                });
            }
            None => self.counts.duplicates += 1,
        }
    }

    fn refuse(&mut self, order: OrderRef, kind: ReportKind, text: &str) {
        self.deliver(order, kind, Some(RejectDetail::text(text.as_bytes())));
    }

    // ---- connection ------------------------------------------------------------

    /// Estimates the venue's clock offset from `GET …/time` (half the round trip).
    fn sync_clock(&mut self) -> bool {
        let target = format!("{}/time", self.cfg.rest_prefix);
        let t0 = wall_now_ms();
        let Ok((200, body)) = self.rest("GET", &target, false) else {
            return false;
        };
        let t1 = wall_now_ms();
        let server = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["serverTime"].as_u64());
        let Some(server) = server else {
            return false;
        };
        let mid = i64::try_from(t0 / 2 + t1 / 2).unwrap_or(i64::MAX);
        self.offset_ms = i64::try_from(server)
            .unwrap_or(i64::MAX)
            .saturating_sub(mid);
        true
    }

    fn rest(&self, method: &str, target: &str, keyed: bool) -> std::io::Result<(u16, String)> {
        let key = keyed.then(|| self.signer.api_key().expose());
        rest::call(
            &self.cfg.host,
            self.cfg.port,
            method,
            target,
            key,
            CONNECT_TIMEOUT,
        )
    }

    fn connect(&mut self, now_ns: u64) {
        let ok = self.sync_clock()
            && self.api.connect(
                &self.cfg.host,
                self.cfg.port,
                &self.cfg.api_path,
                CONNECT_TIMEOUT,
            )
            && self.open_stream()
            && self.read_position();
        if !ok {
            self.counts.connect_failures += 1;
            self.close();
            let backoff = match self.link {
                Link::Down { backoff_ns, .. } => backoff_ns,
                Link::Up => self.first_backoff_ns(),
            };
            self.link = Link::Down {
                retry_at_ns: now_ns.saturating_add(backoff),
                backoff_ns: (backoff * 2).min(MAX_BACKOFF_NS),
            };
            return;
        }
        self.link = Link::Up;
        self.counts.connects += 1;
        self.keepalive_at_ns = now_ns.saturating_add(self.cfg.keepalive_ms * 1_000_000);
        self.deliveries.push_back(Delivery::Connected);
        self.reconcile_all(now_ns);
    }

    /// Asks `order.status` of every order a reconciliation must ask about; `Resynced`
    /// after the last answer (at once if there are none).
    fn reconcile_all(&mut self, now_ns: u64) {
        for order in self.orders.to_reconcile() {
            if self.request(order, Method::Reconcile, now_ns) {
                self.reconciling += 1;
            }
        }
        if self.reconciling == 0 && self.link == Link::Up {
            self.deliveries.push_back(Delivery::Resynced);
        }
    }

    /// Reads the venue's position in the symbol (`positionRisk`, signed), after the
    /// stream is up so no later change is missed; true if read (or not watched).
    fn read_position(&mut self) -> bool {
        if !self.position.is_on() {
            return true;
        }
        let query = format!(
            "symbol={}&recvWindow={}&timestamp={}",
            self.cfg.symbol,
            self.cfg.recv_window_ms,
            self.venue_ms_now()
        );
        let sig = self.signer.sign_query(query.as_bytes());
        let target = format!("{}?{query}&signature={sig}", self.cfg.position_path);
        let Ok((200, body)) = self.rest("GET", &target, true) else {
            return false;
        };
        match events::position_risk(&body, &self.cfg.symbol, self.steps.1) {
            Ok(lots) => {
                self.position.venue_says(lots);
                true
            }
            Err(_) => {
                self.counts.bad_frames += 1;
                false
            }
        }
    }

    /// What the position watch asks for at `now_ns`.
    fn watch_position(&mut self, now_ns: u64) {
        let settled = self.link == Link::Up && self.reconciling == 0;
        match self.position.check(now_ns, settled) {
            Watch::Quiet => {}
            Watch::Reconcile => {
                // The position read again (an ACCOUNT_UPDATE may be what was lost), and
                // every order that may hide a fill asked about.
                self.counts.position_rechecks += 1;
                self.read_position();
                self.reconcile_all(now_ns);
            }
            Watch::Break {
                venue_lots,
                expected_lots,
            } => {
                self.counts.position_breaks += 1;
                self.deliveries.push_back(Delivery::PositionBreak {
                    book: BookId::new(0),
                    venue_lots,
                    expected_lots,
                });
            }
        }
    }

    /// A listen key, and the user data stream on it.
    fn open_stream(&mut self) -> bool {
        let target = format!("{}/listenKey", self.cfg.rest_prefix);
        let Ok((200, body)) = self.rest("POST", &target, true) else {
            return false;
        };
        let key = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["listenKey"].as_str().map(str::to_string));
        let Some(key) = key else {
            return false;
        };
        let path = format!("{}/{key}", self.cfg.stream_path);
        self.listen_key = Some(key);
        self.stream
            .connect(&self.cfg.host, self.cfg.port, &path, CONNECT_TIMEOUT)
    }

    fn first_backoff_ns(&self) -> u64 {
        self.cfg.reconnect_ms.saturating_mul(1_000_000)
    }

    /// The connection dropped: everything in flight is in doubt until reconciled.
    fn lost(&mut self, now_ns: u64) {
        if self.link == Link::Up {
            self.counts.disconnects += 1;
            self.deliveries.push_back(Delivery::Disconnected);
        }
        self.close();
        self.pending.clear();
        self.reconciling = 0;
        self.listen_key = None;
        self.link = Link::Down {
            retry_at_ns: now_ns.saturating_add(self.first_backoff_ns()),
            backoff_ns: self
                .first_backoff_ns()
                .saturating_mul(2)
                .min(MAX_BACKOFF_NS),
        };
    }

    // ---- requests --------------------------------------------------------------

    fn stamp(&mut self, now_ns: u64) -> Stamp {
        Stamp {
            steps: self.steps,
            timestamp_ms: self.venue_ms(now_ns),
            recv_window_ms: self.cfg.recv_window_ms,
        }
    }

    /// Sends a cancel, status or reconciling status for `order`; false if the link
    /// failed or it could not be encoded.
    fn request(&mut self, order: OrderRef, method: Method, now_ns: u64) -> bool {
        let stamp = self.stamp(now_ns);
        let id = self.next_id;
        let mut buf = [0u8; 20];
        let cid = wire_text(order.wire(), &mut buf);
        let status = method != Method::Cancel;
        let frame = self
            .enc
            .by_client_id(id, status, &self.cfg.symbol, cid, &self.signer, &stamp);
        let sent = match frame {
            Ok(f) => self.api.send(f),
            Err(_) => return false,
        };
        self.sent(id, order, method, now_ns, sent)
    }

    fn sent(&mut self, id: u64, order: OrderRef, method: Method, now: u64, ok: bool) -> bool {
        self.next_id += 1;
        if ok {
            self.pending.insert(
                id,
                Pending {
                    order,
                    method,
                    sent_ns: now,
                },
            );
        } else {
            self.lost(now);
        }
        ok
    }

    fn place(&mut self, o: &crate::venue::NewOrder, now_ns: u64) {
        self.orders
            .sent(o.order, o.qty_lots, o.side == OrderSide::Buy);
        if self.link != Link::Up {
            return self.refuse(
                o.order,
                ReportKind::Reject(RejectReason::Unavailable),
                "not connected: never sent",
            );
        }
        // An unwind (reduce-only) is never held back here: it takes risk off.
        if self.used_permille >= self.cfg.throttle_permille && !o.reduce_only {
            self.counts.throttled += 1;
            return self.refuse(
                o.order,
                ReportKind::Reject(RejectReason::RateLimited),
                "throttled at the gateway: the venue's rate limit is nearly used",
            );
        }
        let kind = match o.tif {
            TimeInForce::PostOnly => WsOrderKind::PostOnly(o.price.ticks()),
            TimeInForce::Ioc => WsOrderKind::LimitIoc(o.price.ticks()),
        };
        let stamp = self.stamp(now_ns);
        let mut buf = [0u8; 20];
        let p = Place {
            symbol: &self.cfg.symbol,
            side: match o.side {
                OrderSide::Buy => WsSide::Buy,
                OrderSide::Sell => WsSide::Sell,
            },
            kind,
            qty_lots: o.qty_lots,
            client_id: Some(wire_text(o.order.wire(), &mut buf)),
            reduce_only: o.reduce_only,
        };
        let id = self.next_id;
        let sent = match self.enc.place(id, &p, &self.signer, &stamp) {
            Ok(f) => self.api.send(f),
            Err(e) => {
                let why = e.to_string();
                return self.refuse(
                    o.order,
                    ReportKind::Reject(RejectReason::InvalidOrder),
                    &why,
                );
            }
        };
        self.sent(id, o.order, Method::Place, now_ns, sent);
    }
}

fn wall_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `v` in decimal digits, in `out`.
fn wire_text(v: u64, out: &mut [u8; 20]) -> &str {
    std::str::from_utf8(crate::text::digits(v, out)).unwrap_or("0")
}

mod inbound;

impl Gateway for BinanceWsGateway {
    fn send(&mut self, book: BookId, req: Request, now_ns: u64) -> Result<(), GatewayError> {
        if book.index() != 0 {
            return Err(GatewayError::UnknownBook(book));
        }
        self.wall_ms(now_ns);
        match req {
            Request::New(o) => self.place(&o, now_ns),
            Request::Cancel(r) if self.link != Link::Up => self.refuse(
                r,
                ReportKind::CancelReject(RejectReason::Unavailable),
                "not connected: never sent",
            ),
            Request::Cancel(r) => {
                self.request(r, Method::Cancel, now_ns);
            }
            Request::Query(r) => {
                if let Some(t) = self.orders.get_mut(r) {
                    t.queried = true;
                }
                // While down, the reconnect's reconciliation answers it.
                if self.link == Link::Up {
                    self.request(r, Method::Status, now_ns);
                }
            }
        }
        Ok(())
    }

    fn poll(&mut self, now_ns: u64) -> Result<Option<Delivery>, GatewayError> {
        if let Link::Down { retry_at_ns, .. } = self.link {
            if now_ns >= retry_at_ns {
                self.connect(now_ns);
            }
        }
        self.read(now_ns);
        if self.link == Link::Up {
            self.watch_position(now_ns);
            self.api.flush();
            self.upkeep(now_ns);
        }
        Ok(self.deliveries.pop_front())
    }

    fn in_flight(&self) -> usize {
        self.pending.len() + self.deliveries.len()
    }

    fn rate_limit_use(&self) -> Option<u16> {
        Some(u16::try_from(self.used_permille).unwrap_or(u16::MAX))
    }
}

/// A fill read from `userTrades`.
fn trade_fill(t: &Trade<'_>, steps: (Step, Step), quote: &str) -> Option<(Execution, bool)> {
    let (tick, lot) = steps;
    let fee = if t.commission_asset == quote {
        events::commission(t.commission, tick, lot).ok()?
    } else {
        0
    };
    Some((
        Execution {
            trade_id: t.id,
            last_qty_lots: lot.parse_units(t.qty.as_bytes()).ok()?,
            price_ticks: tick.parse_units(t.price.as_bytes()).ok()?,
            liquidity: if t.maker {
                Liquidity::Maker
            } else {
                Liquidity::Taker
            },
            fee_tl_e8: fee,
            at_ns: t.time.checked_mul(1_000_000)?,
        },
        t.commission_asset != quote,
    ))
}

/// A status answer's `status` and filled lots as the venue's view.
fn venue_status(status: &str, filled_lots: i64) -> VenueStatus {
    match status {
        "NEW" | "PARTIALLY_FILLED" => VenueStatus::Open { filled_lots },
        _ => VenueStatus::Closed { filled_lots },
    }
}

/// A refusal's detail: the venue's code and words.
fn detail(code: i64, msg: &str) -> RejectDetail {
    RejectDetail {
        code: i32::try_from(code).ok(),
        session_reason: None,
        ref_tag: None,
        text: VenueText::new(msg.as_bytes()),
    }
}
