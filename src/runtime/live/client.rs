//! The live book client, one for every venue: connect, subscribe (see
//! `venue` for what differs between venues), then every market frame
//! into the book through the same [`BookFeed`] a replay uses, with reconnects, pings and
//! resyncs.
//!
//! Bybit and OKX carry their snapshots in the stream: a gap (or an OKX checksum mismatch)
//! makes the book stale, and the client subscribes again for a fresh snapshot (a resync).
//! Hyperliquid sends whole books. Binance's diff streams (`<symbol>@depth@100ms` or
//! `@0ms`) take the REST depth snapshot, by the documented sync: diffs are buffered until
//! a snapshot; the snapshot is fetched once the first diff is buffered; diffs up to
//! `lastUpdateId` are dropped, then the `U`/`u`/`pu` chain applies. A gap puts the feed
//! back to waiting for a snapshot (the book is stale until live again): the client
//! fetches a new one (a resync). A book that runs out of its snapshot's window (a side
//! empties as the price walks past the levels the snapshot listed) fetches a fresh
//! snapshot, at most every [`REFRESH_MIN_NS`]: a refresh, told to the sink by
//! `Health::refreshes`.
//!
//! A connection that drops reconnects after a bounded exponential backoff with jitter, on
//! a fresh `BookFeed` (a new connection is a new stream). Pings go out every
//! [`LiveConfig::ping_every`] (the venue's own ping where it has one, within its idle
//! limit); tungstenite answers the server's pings. Control replies are counted
//! (`Health::control`), never fed to the book.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::Connector;

use super::venue::Venue;
use super::{http, tls, Health, LiveError};
use crate::book::Ladder;
use crate::feed::{BookFeed, Format};
use crate::num::Step;
use crate::runtime::Clock;

/// One live book's connection settings.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// The stream URL (`wss://…/ws/btcusdt@depth@100ms`, or `ws://` on loopback).
    pub ws_url: String,
    /// The REST snapshot URL (`https://…/api/v3/depth?symbol=BTCUSDT&limit=1000`): required
    /// for Binance's diff streams, unused by the venues whose streams carry snapshots.
    pub snapshot_url: Option<String>,
    /// The venue's name for the instrument, put in the subscribe message (`XRPUSDT` on
    /// Bybit, `BTC` on Hyperliquid, `BTC-USDT` on OKX; Binance names it in the URL).
    pub symbol: String,
    /// The venue's stream format (see [`Format`]).
    pub format: Format,
    /// The instrument's tick and lot.
    pub tick: Step,
    /// The instrument's lot.
    pub lot: Step,
    /// Largest frame (and message) accepted, bytes; larger is a typed error.
    pub max_frame: usize,
    /// First reconnect delay; doubles per failure up to `backoff_max`.
    pub backoff_min: Duration,
    /// Largest reconnect delay.
    pub backoff_max: Duration,
    /// Give up after this many failures in a row (`None`: never).
    pub max_failures: Option<u32>,
    /// Ping interval (WebSocket pings; a venue with an application ping gets it at this
    /// interval or at the venue's own limit, whichever is shorter).
    pub ping_every: Duration,
    /// An extra trusted root certificate (DER), for tests with a self-signed server.
    pub extra_root: Option<Vec<u8>>,
    /// The clock lines are stamped with (`<ns> <json>`: when the frame was read); `None`:
    /// one started with the client. A run passes its own, so a line's stamp is on the
    /// loop's clock and frame-to-book latency is measured from the socket read.
    pub clock: Option<Clock>,
    /// Set to stop the client: looked at every [`STOP_POLL`], also while connecting,
    /// waiting for a frame or backing off, so a stop never waits on a silent venue.
    pub stop: Option<Arc<AtomicBool>>,
}

/// Least time between two window refreshes (`Health::refreshes`), ns: a venue whose
/// snapshot leaves a side empty (a one-sided book) is not asked more than this.
pub const REFRESH_MIN_NS: u64 = 5_000_000_000;

/// Least time between two snapshot fetches of one connection, ns: Binance weighs a
/// 1000-level depth request at 20 of its 2400 a minute, so this keeps a client whose
/// snapshots keep failing to sync (older than the stream) far under the limit.
pub const SNAPSHOT_MIN_NS: u64 = 500_000_000;

/// How often a client looks at its stop flag.
pub const STOP_POLL: Duration = Duration::from_millis(20);

impl LiveConfig {
    /// A connection to `ws_url` for `symbol`'s book in `format`, with the production
    /// settings: no REST snapshot URL (set it for Binance), frames up to 16 MiB, reconnects
    /// after 100 ms doubling to 30 s and never giving up, pings every 20 s, the web roots
    /// only, the client's own clock, no stop flag.
    pub fn new(ws_url: &str, symbol: &str, format: Format, tick: Step, lot: Step) -> LiveConfig {
        LiveConfig {
            ws_url: ws_url.to_owned(),
            snapshot_url: None,
            symbol: symbol.to_owned(),
            format,
            tick,
            lot,
            max_frame: 16 << 20,
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(30),
            max_failures: None,
            ping_every: Duration::from_secs(20),
            extra_root: None,
            clock: None,
            stop: None,
        }
    }

    fn stopped(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
    }

    /// Resolves once the stop flag is set (never without one).
    async fn until_stopped(&self) {
        let Some(flag) = &self.stop else {
            return std::future::pending().await;
        };
        while !flag.load(Ordering::Relaxed) {
            tokio::time::sleep(STOP_POLL).await;
        }
    }
}

/// What a connection hands on: each line (`<local_ns> <json>`), the book after it, and
/// whether the book is live. Returning `false` stops the client.
pub trait LineSink {
    /// One line applied to `book`.
    fn on_line(&mut self, line: &[u8], book: &Ladder, live: bool, health: &Health) -> bool;
}

/// The delay before reconnect attempt `failures` (1-based): `min·2^(n-1)` capped at
/// `max`, minus up to half of it as jitter drawn from `seed`.
pub fn backoff(min: Duration, max: Duration, failures: u32, seed: u64) -> Duration {
    let exp = min.saturating_mul(1u32 << failures.saturating_sub(1).min(20));
    let d = exp.min(max);
    let mut x = seed ^ u64::from(failures).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    let half = d.as_nanos() as u64 / 2;
    d - Duration::from_nanos(if half == 0 { 0 } else { x % half })
}

/// Runs the client on the calling thread (its own current-thread runtime) until the sink
/// says stop or `max_failures` failures in a row; returns the health.
pub fn run_client(cfg: &LiveConfig, book: &mut Ladder, sink: &mut dyn LineSink) -> Health {
    let mut health = Health::default();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            health.last_error = Some(e.to_string());
            return health;
        }
    };
    rt.block_on(reconnect_loop(cfg, book, sink, &mut health));
    health
}

async fn reconnect_loop(
    cfg: &LiveConfig,
    book: &mut Ladder,
    sink: &mut dyn LineSink,
    health: &mut Health,
) {
    let clock = cfg.clock.unwrap_or_default();
    let mut in_a_row = 0u32;
    loop {
        let before = health.connects;
        let run = tokio::select! {
            r = session(cfg, book, sink, health, &clock) => r,
            () = cfg.until_stopped() => Ok(()),
        };
        match run {
            Ok(()) => {
                health.connected = false;
                return;
            }
            Err(e) => {
                health.connected = false;
                health.failures += 1;
                health.tls_failures += u64::from(e.is_tls());
                health.last_error = Some(e.to_string());
            }
        }
        // A session that connected restarts the count; one that never connected adds one.
        in_a_row = if health.connects > before {
            1
        } else {
            in_a_row + 1
        };
        if cfg.max_failures.is_some_and(|m| in_a_row >= m) {
            return;
        }
        let d = backoff(cfg.backoff_min, cfg.backoff_max, in_a_row, clock.now_ns());
        tokio::select! {
            () = tokio::time::sleep(d) => {}
            () = cfg.until_stopped() => return,
        }
        if cfg.stopped() {
            return;
        }
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects to `cfg.ws_url` with the frame limit and the TLS roots.
async fn connect(cfg: &LiveConfig) -> Result<Ws, LiveError> {
    let ws_cfg = WebSocketConfig {
        max_frame_size: Some(cfg.max_frame),
        max_message_size: Some(cfg.max_frame),
        ..WebSocketConfig::default()
    };
    let tls = Connector::Rustls(tls::client_config(cfg.extra_root.as_deref())?);
    let url = cfg.ws_url.as_str();
    let (ws, _) =
        tokio_tungstenite::connect_async_tls_with_config(url, Some(ws_cfg), true, Some(tls))
            .await?;
    Ok(ws)
}

/// One connection's book state: the feed, the line buffer and the snapshot timing.
struct Stream {
    feed: BookFeed,
    line: Vec<u8>,
    refused_before: u64,
    last_refresh: Option<u64>,
    last_fetch: Option<u64>,
}

impl Stream {
    /// Writes `<now> <json>` into the line, applies it and hands it on; the sink's verdict.
    fn apply(
        &mut self,
        now: u64,
        json: &[u8],
        book: &mut Ladder,
        sink: &mut dyn LineSink,
        health: &mut Health,
    ) -> bool {
        self.line.clear();
        // Writing into a Vec cannot fail.
        let _ = write!(self.line, "{now} ");
        self.line.extend_from_slice(json);
        let live = self.feed.on_line(book, &self.line);
        health.refused = self.refused_before + self.feed.refused;
        sink.on_line(&self.line, book, live, health)
    }
}

/// One connection: connect, subscribe, then frames into the book until an error or the
/// sink stops.
async fn session(
    cfg: &LiveConfig,
    book: &mut Ladder,
    sink: &mut dyn LineSink,
    health: &mut Health,
    clock: &Clock,
) -> Result<(), LiveError> {
    let venue = Venue::of(cfg.format);
    if venue.rest_snapshot() && cfg.snapshot_url.is_none() {
        return Err(LiveError::Url(
            cfg.ws_url.clone(),
            "a Binance diff stream needs a snapshot URL",
        ));
    }
    let mut ws = connect(cfg).await?;
    health.connected = true;
    health.connects += 1;
    if let Some(sub) = venue.subscribe(&cfg.symbol) {
        ws.send(Message::Text(sub)).await?;
    }
    book.clear();
    let mut st = Stream {
        feed: BookFeed::new(cfg.format, cfg.tick, cfg.lot),
        line: Vec::with_capacity(64 * 1024),
        refused_before: health.refused,
        last_refresh: None,
        last_fetch: None,
    };
    let (ping_msg, every) = match venue.app_ping() {
        Some((text, max)) => (Message::Text(text.to_owned()), cfg.ping_every.min(max)),
        None => (Message::Ping(Vec::new()), cfg.ping_every),
    };
    let mut ping = tokio::time::interval(every);
    ping.tick().await;
    loop {
        let msg = tokio::select! {
            m = ws.next() => m,
            _ = ping.tick() => {
                ws.send(ping_msg.clone()).await?;
                continue;
            }
        };
        let Some(text) = text_of(msg)? else { continue };
        health.frames += 1;
        let now = clock.now_ns();
        health.last_msg_ns = now.max(1);
        if venue.is_control(text.as_bytes()) {
            health.control += 1;
            continue;
        }
        let was_live = st.feed.is_live();
        if !st.apply(now, text.as_bytes(), book, sink, health) {
            return Ok(());
        }
        if venue.resubscribes() && was_live && !st.feed.is_live() {
            // A gap or a checksum mismatch: the book is stale until a fresh snapshot,
            // which the venue sends on a new subscription.
            health.gaps += 1;
            health.resyncs += 1;
            for text in [venue.unsubscribe(&cfg.symbol), venue.subscribe(&cfg.symbol)] {
                ws.send(Message::Text(text.unwrap_or_default())).await?;
            }
        }
        if venue.rest_snapshot()
            && !rest_sync(cfg, &mut st, was_live, book, sink, health, clock).await?
        {
            return Ok(());
        }
    }
}

/// A frame's text: `None` for frames that carry none (pings, pongs), an error for a
/// closed connection or a binary frame (the venues send text).
fn text_of(
    msg: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
) -> Result<Option<String>, LiveError> {
    match msg {
        None => Err(LiveError::Closed),
        Some(m) => match m? {
            Message::Text(t) => Ok(Some(t)),
            Message::Binary(b) => Err(LiveError::Binary(b.len())),
            Message::Close(_) => Err(LiveError::Closed),
            _ => Ok(None),
        },
    }
}

/// Binance's REST side after a line: a window refresh when a side ran out, and a snapshot
/// fetch when the feed waits for one (first sync, or a gap: a resync). The sink's verdict.
async fn rest_sync(
    cfg: &LiveConfig,
    st: &mut Stream,
    was_live: bool,
    book: &mut Ladder,
    sink: &mut dyn LineSink,
    health: &mut Health,
    clock: &Clock,
) -> Result<bool, LiveError> {
    let now = clock.now_ns();
    let refresh = st.feed.window_exhausted(book)
        && st
            .last_refresh
            .is_none_or(|t| now.saturating_sub(t) >= REFRESH_MIN_NS);
    if refresh {
        // Start over on a fresh snapshot; the sink sees `refreshes` move first.
        health.refreshes += 1;
        st.last_refresh = Some(now);
        st.feed.reset(book);
    }
    if !st.feed.needs_snapshot() {
        return Ok(true);
    }
    if was_live && !refresh {
        health.gaps += 1;
        health.resyncs += 1;
    }
    // A snapshot older than the stream fails to sync at once and asks again: fetches are
    // spaced by SNAPSHOT_MIN_NS (the frames wait in the socket).
    if let Some(t) = st.last_fetch {
        let wait = t
            .saturating_add(SNAPSHOT_MIN_NS)
            .saturating_sub(clock.now_ns());
        tokio::time::sleep(Duration::from_nanos(wait)).await;
    }
    let url = cfg.snapshot_url.as_deref().unwrap_or_default();
    let body = http::get(url, 64 << 20, cfg.extra_root.as_deref()).await?;
    st.last_fetch = Some(clock.now_ns());
    health.snapshots += 1;
    Ok(st.apply(clock.now_ns(), &body, book, sink, health))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_and_jitter_takes_at_most_half() {
        let (min, max) = (Duration::from_millis(5), Duration::from_millis(40));
        for n in 1..40u32 {
            let full = (min * 2u32.pow((n - 1).min(10))).min(max);
            for seed in [0, 1, 77, u64::MAX] {
                let d = backoff(min, max, n, seed);
                assert!(d <= full && d >= full / 2, "n {n} seed {seed}: {d:?}");
            }
        }
        let spread: std::collections::HashSet<_> =
            (0..32).map(|s| backoff(min, max, 4, s)).collect();
        assert!(spread.len() > 1, "no jitter");
    }
}
