//! Live market-data clients (issue 14): one feeder thread per connection, each with a
//! current-thread tokio runtime, never the loop thread.
//!
//! - [`client`]: one client for every venue's book stream (Binance spot / USD-M / COIN-M
//!   diff depth plus the REST snapshot, Bybit `orderbook.500`, Hyperliquid `l2Book`, OKX
//!   `books`), synced by the same [`BookFeed`](crate::feed::BookFeed) the replay uses (no
//!   second copy of the sync rules).
//! - [`record`]: a sink writing the lines to rotating gzip files in the replay format
//!   (`legcore record`).
//! - `venue`: what differs between the venues (subscribe message, application ping,
//!   control replies, how a gap is recovered).
//! - `http`: the small HTTP/1.1 GET (plain or over TLS) the snapshot is fetched with;
//!   `tls`: the one rustls client configuration both use.
//!
//! Every frame's text becomes a capture line `<local_ns> <json>` (the replay format), so
//! the book a live run builds is the book a replay of the same lines builds.
//!
//! Allocation: the feeder thread allocates per frame (tungstenite hands each text frame
//! over as a `String`); the line buffer is reused. [`Health::frames`] counts those frames.

pub mod client;
mod http;
pub mod record;
mod tls;
mod venue;

use thiserror::Error;

/// Why a live connection failed (the client reconnects after any of these).
#[derive(Debug, Error)]
pub enum LiveError {
    /// A URL the client cannot use.
    #[error("bad url `{0}`: {1}")]
    Url(String, &'static str),
    /// TCP connect, read or write failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The WebSocket layer refused (handshake, protocol, a frame over the size limit).
    #[error("websocket: {0}")]
    Ws(Box<tokio_tungstenite::tungstenite::Error>),
    /// TLS configuration (the extra root certificate).
    #[error("tls: {0}")]
    Tls(#[from] rustls::Error),
    /// The snapshot request got no usable answer.
    #[error("http: {0}")]
    Http(&'static str),
    /// The server closed the connection.
    #[error("closed by the server")]
    Closed,
    /// A binary frame (the venues send text only).
    #[error("unexpected binary frame of {0} bytes")]
    Binary(usize),
}

/// Health of one live connection, for telemetry and the run's report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Health {
    /// Connected now.
    pub connected: bool,
    /// Successful connections (the first and every reconnect).
    pub connects: u64,
    /// Failed connection attempts and dropped connections.
    pub failures: u64,
    /// Snapshots fetched (the first and every resync).
    pub snapshots: u64,
    /// Resyncs: snapshots fetched because a live book lost its sequence.
    pub resyncs: u64,
    /// Sequence gaps seen while live.
    pub gaps: u64,
    /// Snapshots fetched because a live book ran out of its snapshot's window (a side
    /// emptied as the price walked past the levels the snapshot listed).
    pub refreshes: u64,
    /// Text frames received (each allocates once in tungstenite).
    pub frames: u64,
    /// Control replies among them (subscription acks, pongs, venue errors): counted, not
    /// fed to the book.
    pub control: u64,
    /// Failures of which TLS was the cause (a certificate not trusted or not for the
    /// host, a handshake refused), WebSocket and snapshot alike; also in `failures`.
    pub tls_failures: u64,
    /// Lines the book refused (see `BookFeed::refused`).
    pub refused: u64,
    /// Local time of the last message, ns (0 = none yet).
    pub last_msg_ns: u64,
    /// The last error, as text.
    pub last_error: Option<String>,
}

impl Health {
    /// Age of the last message at `now_ns`, or `None` before the first.
    pub fn last_message_age_ns(&self, now_ns: u64) -> Option<u64> {
        (self.last_msg_ns != 0).then(|| now_ns.saturating_sub(self.last_msg_ns))
    }
}

impl LiveError {
    /// Whether TLS caused it (configuration, handshake or certificate).
    pub fn is_tls(&self) -> bool {
        use tokio_tungstenite::tungstenite::Error as WsError;
        let io_tls = |e: &std::io::Error| e.get_ref().is_some_and(|i| i.is::<rustls::Error>());
        match self {
            LiveError::Tls(_) => true,
            LiveError::Io(e) => io_tls(e),
            LiveError::Ws(e) => match e.as_ref() {
                WsError::Tls(_) => true,
                WsError::Io(e) => io_tls(e),
                _ => false,
            },
            _ => false,
        }
    }
}

impl From<tokio_tungstenite::tungstenite::Error> for LiveError {
    fn from(e: tokio_tungstenite::tungstenite::Error) -> LiveError {
        LiveError::Ws(Box::new(e))
    }
}
