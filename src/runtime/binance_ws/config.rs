//! [`WsVenueConfig`]: what the Binance USD-M WebSocket API gateway needs: the endpoint
//! (plain TCP: on loopback `legcore venue serve`, in production a local TLS proxy, as
//! for the FIX gateway), the paths of the API, the user data stream and REST, the
//! symbol, where the credentials are, and the request clock's receive window, timeout,
//! listen-key keep-alive, rate-limit throttle and position watch.

use crate::fix::sign::SecretSource;

/// How requests are signed, and where the key is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsKey {
    /// An HMAC-SHA256 secret.
    Hmac(SecretSource),
    /// An Ed25519 private key (PKCS#8 PEM); REST requests are signed with it too.
    Ed25519(SecretSource),
}

/// The gateway's settings. See the module doc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsVenueConfig {
    /// Host of the API, stream and REST endpoints.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The WebSocket API's path (`/ws-fapi/v1`).
    pub api_path: String,
    /// The user data stream's path; the listen key is appended (`/ws` → `/ws/<key>`).
    pub stream_path: String,
    /// REST prefix (`/fapi/v1`).
    pub rest_prefix: String,
    /// The symbol of the venue's one book (`BTCUSDT`).
    pub symbol: String,
    /// Its quote asset (`USDT`): commissions in it are converted.
    pub quote: String,
    /// Where the API key is.
    pub api_key: SecretSource,
    /// Where the signing key is.
    pub key: WsKey,
    /// `recvWindow`, ms.
    pub recv_window_ms: u64,
    /// An answer not back after this long is given up (the leg's timeout queries).
    pub request_timeout_ms: u64,
    /// Listen-key keep-alive period, ms (Binance: within 60 min; 30 min is usual).
    pub keepalive_ms: u64,
    /// First reconnect delay after a drop, ms (it doubles up to 5 s while attempts fail).
    pub reconnect_ms: u64,
    /// New orders are refused at the gateway (`RateLimited`, never sent) while the
    /// venue's last reported rate-limit use is at or above this, thousandths.
    pub throttle_permille: u64,
    /// How long the venue's position may differ from the gateway's fills before the
    /// open orders are reconciled again, and after that before a position break is
    /// reported, ms (`position`); 0: the position is not read or watched.
    pub position_grace_ms: u64,
    /// The position's REST path (`/fapi/v3/positionRisk`).
    pub position_path: String,
}

impl WsVenueConfig {
    /// Binance USD-M's paths and usual settings for `host:port`, `symbol` and keys.
    pub fn usdm(host: &str, port: u16, symbol: &str, api_key: SecretSource, key: WsKey) -> Self {
        WsVenueConfig {
            host: host.to_string(),
            port,
            api_path: "/ws-fapi/v1".into(),
            stream_path: "/ws".into(),
            rest_prefix: "/fapi/v1".into(),
            symbol: symbol.to_string(),
            quote: "USDT".into(),
            api_key,
            key,
            recv_window_ms: 5_000,
            request_timeout_ms: 2_000,
            keepalive_ms: 30 * 60 * 1_000,
            reconnect_ms: 100,
            throttle_permille: 900,
            position_grace_ms: 3_000,
            position_path: "/fapi/v3/positionRisk".into(),
        }
    }
}
