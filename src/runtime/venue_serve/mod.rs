//! `legcore venue serve`: the simulated venue with a Binance USD-M face, on loopback.
//!
//! A local paper exchange any Binance USD-M client can trade against: the simulated
//! venue of a scenario (its recorded book replayed at the scenario's speed, or its live
//! stream; its latency model and fault plan) behind Binance's WebSocket API
//! (`order.place`, `order.cancel`, `order.status`, `userDataStream.*`), its user data
//! stream (`ORDER_TRADE_UPDATE`, `ACCOUNT_UPDATE` with the position, `listenKeyExpired`)
//! and the REST endpoints a client needs first. Requests are
//! authenticated like Binance does (API key, HMAC-SHA256 or Ed25519 signature,
//! `recvWindow`), and every answer carries the venue's rate-limit use.
//!
//! - `paper`: the venue itself, sans-IO ([`Paper`]).
//! - `order`: an order's record and its answer and event JSON.
//! - `wire`: request frames, signed payloads, answer frames.
//! - `feed`: the book's feed, a recorded capture or a live stream.
//! - `http`: the REST face and request heads.
//! - `net`: the sockets (one thread, current-thread tokio).
//!
//! - `account`: the position as `ACCOUNT_UPDATE` and `positionRisk` show it.
//!
//! Not built: `GTC` orders that would cross (refused: the simulator rests only makers),
//! `order.modify`, balances and margin (`ACCOUNT_UPDATE`'s `B` is empty), more than one
//! symbol per server.

mod account;
mod feed;
mod http;
mod net;
mod order;
mod paper;
mod wire;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

pub use feed::ServeFeed;
pub use paper::{Auth, Out, Paper, PaperConfig, PaperCounts, RateLimits};
pub use wire::{parse_request, signed_payload, ApiRequest, WireError};

use crate::venue::LocalVenue;

/// A running server.
pub struct Server<V> {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Option<Paper<V>>>,
}

impl<V: LocalVenue> Server<V> {
    /// Serves `paper` on `listener` (bound by the caller, so its port is known), its
    /// book following `feed`.
    pub fn start(
        listener: std::net::TcpListener,
        paper: Paper<V>,
        feed: Option<ServeFeed>,
    ) -> std::io::Result<Server<V>> {
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let info = paper.exchange_info();
        let shared = net::Shared {
            paper,
            feed,
            start: Instant::now(),
            api: Default::default(),
            streams: Default::default(),
            next_conn: 0,
            info,
        };
        let flag = stop.clone();
        let thread = super::spawn("legcore-venue-serve".into(), move || {
            let mut shared = shared;
            // A `max` replay is whole before the first client connects.
            shared.start = Instant::now();
            shared.advance();
            net::run(listener, shared, flag)
        });
        Ok(Server { addr, stop, thread })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether its thread ended (it only does when stopped, or if it panicked).
    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }

    /// Stops it; the venue with its ledger and counts.
    pub fn stop(self) -> Option<Paper<V>> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().ok().flatten()
    }
}
