//! `[venue.gateway]`: how a venue is reached. Absent (or `kind = "sim"`), the venue is
//! simulated in this process; `kind = "binance-spot-fix"` sends its orders to Binance
//! Spot's FIX order-entry API (`runtime::binance_fix`); `kind = "binance-usdm-ws"` to
//! Binance USD-M futures' WebSocket API (`runtime::binance_ws`; `legcore venue serve` is
//! such a venue on loopback).
//!
//! The table says where the credentials are (`api_key_env` or `api_key_file`, and
//! `private_key_env` or `private_key_file` for an Ed25519 key, or `secret_env` or
//! `secret_file` for an HMAC secret), never the credentials: a key written in a
//! scenario is refused by name, since scenarios are copied into journals and shared.
//! The host must be a loopback address: Binance accepts both APIs only over TLS, which a
//! local TLS proxy (stunnel, as Binance's documentation suggests) provides, so the
//! connection that leaves this process in clear text never leaves the machine.

use serde::Deserialize;

use super::{bad, ScenarioError};
use crate::fix::sign::SecretSource;
use crate::runtime::binance_fix::{FixVenueConfig, StpMode};
use crate::runtime::binance_ws::{WsKey, WsVenueConfig};

/// A network venue's settings, by protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkConfig {
    /// Binance Spot FIX order entry.
    BinanceSpotFix(FixVenueConfig),
    /// Binance USD-M futures WebSocket API.
    BinanceUsdmWs(WsVenueConfig),
}

/// A venue's `[venue.gateway]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaySpec {
    /// `"sim"` (the default), `"binance-spot-fix"` or `"binance-usdm-ws"`.
    pub kind: String,
    /// The FIX endpoint's host: a loopback address (a local TLS proxy).
    pub host: Option<String>,
    /// Its port.
    pub port: Option<u16>,
    /// SenderCompID(49): ours, as registered with the venue.
    pub sender_comp_id: Option<String>,
    /// TargetCompID(56): the venue's (`SPOT`).
    #[serde(default = "spot")]
    pub target_comp_id: String,
    /// The venue's symbol for the instrument (default: the venue's `instrument`).
    pub symbol: Option<String>,
    /// The environment variable holding the API key.
    pub api_key_env: Option<String>,
    /// Or the file holding it (mode 600).
    pub api_key_file: Option<String>,
    /// The environment variable holding the Ed25519 private key (PKCS#8 PEM).
    pub private_key_env: Option<String>,
    /// Or the file holding it (mode 600).
    pub private_key_file: Option<String>,
    /// `binance-usdm-ws`: the environment variable holding the HMAC secret.
    pub secret_env: Option<String>,
    /// Or the file holding it.
    pub secret_file: Option<String>,
    /// `binance-usdm-ws`: `recvWindow`, ms (1..=60000; default 5000).
    pub recv_window_ms: Option<u64>,
    /// `binance-usdm-ws`: new orders are refused at the gateway while the venue's
    /// rate-limit use is at or above this, thousandths (1..=1000; default 900).
    pub throttle_permille: Option<u64>,
    /// `binance-usdm-ws`: how long the venue's position may differ from the fills
    /// before a recheck, then a break, ms (0..=600000, 0 off; default 3000).
    pub position_grace_ms: Option<u64>,
    /// Refused: a secret belongs in a file or the environment.
    pub secret: Option<toml::Value>,
    /// HeartBtInt(108), seconds: 5..=60 (Binance's range).
    #[serde(default = "heartbeat")]
    pub heartbeat_s: u32,
    /// SelfTradePreventionMode(25001): `none`, `expire_taker`, `expire_maker`,
    /// `expire_both`, `decrement`, `transfer` (absent: the account's default).
    pub stp_mode: Option<String>,
    /// Refused: a key belongs in a file or the environment.
    pub api_key: Option<toml::Value>,
    /// Refused: a key belongs in a file or the environment.
    pub private_key: Option<toml::Value>,
}

fn spot() -> String {
    "SPOT".to_string()
}

fn heartbeat() -> u32 {
    30
}

/// Exactly one of a secret's two sources.
fn source(
    key: &str,
    env: &Option<String>,
    file: &Option<String>,
    dir: &std::path::Path,
) -> Result<SecretSource, ScenarioError> {
    match (env, file) {
        (Some(v), None) if !v.is_empty() => Ok(SecretSource::Env(v.clone())),
        (None, Some(f)) if !f.is_empty() => {
            Ok(SecretSource::File(super::Scenario::resolve(dir, f)))
        }
        (Some(_), Some(_)) => Err(bad(
            &format!("{key}_env"),
            "",
            format!("give {key}_env or {key}_file, not both"),
        )),
        _ => Err(bad(
            &format!("{key}_env"),
            "",
            format!("give {key}_env or {key}_file (where the secret is)"),
        )),
    }
}

impl GatewaySpec {
    /// The FIX venue's settings, or `None` for a simulated venue. `prefix` is the table's
    /// key (`venue[1].gateway`), `instrument` the venue's, `dir` where relative paths
    /// start.
    pub fn build(
        &self,
        prefix: &str,
        instrument: &str,
        quote: &str,
        dir: &std::path::Path,
    ) -> Result<Option<NetworkConfig>, ScenarioError> {
        let key = |k: &str| format!("{prefix}.{k}");
        let why = "expected sim, binance-spot-fix or binance-usdm-ws";
        match self.kind.as_str() {
            "sim" => Ok(None),
            "binance-spot-fix" => {
                let fix = self.fix(prefix, instrument, dir)?;
                Ok(Some(NetworkConfig::BinanceSpotFix(fix)))
            }
            "binance-usdm-ws" => {
                let ws = self.usdm_ws(prefix, instrument, quote, dir)?;
                Ok(Some(NetworkConfig::BinanceUsdmWs(ws)))
            }
            other => Err(bad(&key("kind"), other, why)),
        }
    }

    /// No secret written in the table; the host a loopback address; the port given.
    fn endpoint(&self, prefix: &str) -> Result<(String, u16), ScenarioError> {
        let key = |k: &str| format!("{prefix}.{k}");
        for (k, v) in [
            ("api_key", &self.api_key),
            ("private_key", &self.private_key),
            ("secret", &self.secret),
        ] {
            if v.is_some() {
                let why = format!("never write a key in a scenario: use {k}_env or {k}_file");
                return Err(bad(&key(k), "(not shown)", why));
            }
        }
        let host = self.host.clone().unwrap_or_default();
        if !is_loopback(&host) {
            let why = "must be a loopback address (Binance takes FIX over TLS: run a local \
                       TLS proxy such as stunnel and point host and port at it)";
            return Err(bad(&key("host"), &host, why));
        }
        let port = self.port.filter(|p| *p != 0);
        let port = port.ok_or_else(|| bad(&key("port"), "", "give the endpoint's port"))?;
        Ok((host, port))
    }

    /// The FIX venue's settings.
    fn fix(
        &self,
        prefix: &str,
        instrument: &str,
        dir: &std::path::Path,
    ) -> Result<FixVenueConfig, ScenarioError> {
        let key = |k: &str| format!("{prefix}.{k}");
        let (host, port) = self.endpoint(prefix)?;
        let sender = self.sender_comp_id.clone().unwrap_or_default();
        sender_comp_id(&key("sender_comp_id"), &sender)?;
        comp_id(&key("target_comp_id"), &self.target_comp_id)?;
        if !(5..=60).contains(&self.heartbeat_s) {
            let v = self.heartbeat_s.to_string();
            return Err(bad(
                &key("heartbeat_s"),
                &v,
                "must be 5..=60 (Binance's range)",
            ));
        }
        let stp_mode = stp_mode(&key("stp_mode"), self.stp_mode.as_deref())?;
        let symbol = self
            .symbol
            .clone()
            .unwrap_or_else(|| instrument.to_string());
        symbol_ok(&key("symbol"), &symbol)?;
        Ok(FixVenueConfig {
            host,
            port,
            sender_comp_id: sender,
            target_comp_id: self.target_comp_id.clone(),
            symbol,
            api_key: source(&key("api_key"), &self.api_key_env, &self.api_key_file, dir)?,
            private_key: source(
                &key("private_key"),
                &self.private_key_env,
                &self.private_key_file,
                dir,
            )?,
            heartbeat_s: self.heartbeat_s,
            stp_mode,
            reset_seq_on_logon: true,
        })
    }

    /// The signing key: an HMAC secret or an Ed25519 private key, exactly one.
    fn ws_key(&self, prefix: &str, dir: &std::path::Path) -> Result<WsKey, ScenarioError> {
        let key = |k: &str| format!("{prefix}.{k}");
        let hmac = self.secret_env.is_some() || self.secret_file.is_some();
        let ed = self.private_key_env.is_some() || self.private_key_file.is_some();
        Ok(match (hmac, ed) {
            (true, false) => WsKey::Hmac(source(
                &key("secret"),
                &self.secret_env,
                &self.secret_file,
                dir,
            )?),
            (false, true) => WsKey::Ed25519(source(
                &key("private_key"),
                &self.private_key_env,
                &self.private_key_file,
                dir,
            )?),
            _ => {
                let why = "give secret_env/secret_file (HMAC) or private_key_env/private_key_file \
                           (Ed25519), one of them";
                return Err(bad(&key("secret_env"), "", why));
            }
        })
    }

    /// The USD-M WebSocket API venue's settings.
    fn usdm_ws(
        &self,
        prefix: &str,
        instrument: &str,
        quote: &str,
        dir: &std::path::Path,
    ) -> Result<WsVenueConfig, ScenarioError> {
        let key = |k: &str| format!("{prefix}.{k}");
        let (host, port) = self.endpoint(prefix)?;
        let symbol = self.symbol.clone().unwrap_or_else(|| {
            instrument
                .trim_end_matches("-PERP")
                .replace(['-', '_', '/'], "")
        });
        let ok = (1..=20).contains(&symbol.len())
            && symbol
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !ok {
            return Err(bad(
                &key("symbol"),
                &symbol,
                "must be 1 to 20 of A-Z and 0-9",
            ));
        }
        let api_key = source(&key("api_key"), &self.api_key_env, &self.api_key_file, dir)?;
        let k = self.ws_key(prefix, dir)?;
        let mut cfg = WsVenueConfig::usdm(&host, port, &symbol, api_key, k);
        cfg.quote = quote.to_string();
        if let Some(w) = self.recv_window_ms {
            if !(1..=60_000).contains(&w) {
                return Err(bad(
                    &key("recv_window_ms"),
                    &w.to_string(),
                    "must be 1..=60000",
                ));
            }
            cfg.recv_window_ms = w;
        }
        if let Some(t) = self.throttle_permille {
            if !(1..=1_000).contains(&t) {
                return Err(bad(
                    &key("throttle_permille"),
                    &t.to_string(),
                    "must be 1..=1000",
                ));
            }
            cfg.throttle_permille = t;
        }
        if let Some(g) = self.position_grace_ms {
            if g > 600_000 {
                return Err(bad(
                    &key("position_grace_ms"),
                    &g.to_string(),
                    "must be 0..=600000",
                ));
            }
            cfg.position_grace_ms = g;
        }
        Ok(cfg)
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// SelfTradePreventionMode by name: every mode Binance lists.
fn stp_mode(key: &str, v: Option<&str>) -> Result<Option<StpMode>, ScenarioError> {
    let Some(s) = v else { return Ok(None) };
    let why = "expected none, expire_taker, expire_maker, expire_both, decrement or transfer";
    StpMode::parse(s).map(Some).ok_or_else(|| bad(key, s, why))
}

/// Binance's SenderCompID rule (`fix-api.md`: `^[a-zA-Z0-9-_]{1,8}$`): a longer one or
/// another character gets the logon refused, so the scenario is refused first.
fn sender_comp_id(key: &str, v: &str) -> Result<(), ScenarioError> {
    let ok = (1..=8).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        let why = "must be 1 to 8 of a-z, A-Z, 0-9, - and _ (Binance's SenderCompID rule)";
        return Err(bad(key, v, why));
    }
    Ok(())
}

/// A symbol goes into Symbol(55) of every order: an empty one or one with a control
/// character (SOH ends a FIX field) could never be sent, so every order would fail.
fn symbol_ok(key: &str, v: &str) -> Result<(), ScenarioError> {
    if v.is_empty() || v.len() > 64 || v.chars().any(char::is_control) {
        return Err(bad(
            key,
            v,
            "must be 1 to 64 characters, none a control character",
        ));
    }
    Ok(())
}

/// A CompID: 1 to 32 printable ASCII characters without `=` or `|`.
fn comp_id(key: &str, v: &str) -> Result<(), ScenarioError> {
    let ok = (1..=32).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'=' && b != b'|');
    if !ok {
        return Err(bad(key, v, "must be 1 to 32 printable ASCII characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn spec(extra: &str) -> GatewaySpec {
        let text = format!(
            "kind = \"binance-spot-fix\"\nhost = \"127.0.0.1\"\nport = 9000\n\
             api_key_env = \"K\"\nprivate_key_env = \"P\"\n{extra}"
        );
        toml::from_str(&text).unwrap()
    }

    fn build(extra: &str) -> Result<Option<FixVenueConfig>, ScenarioError> {
        let built = spec(extra).build("venue[0].gateway", "BTCUSDT", "USDT", Path::new("."))?;
        Ok(built.map(|n| match n {
            NetworkConfig::BinanceSpotFix(f) => f,
            other => panic!("not FIX: {other:?}"),
        }))
    }

    fn ws(extra: &str) -> Result<WsVenueConfig, ScenarioError> {
        let text = format!(
            "kind = \"binance-usdm-ws\"\nhost = \"127.0.0.1\"\nport = 9001\n\
             api_key_env = \"K\"\n{extra}"
        );
        let spec: GatewaySpec = toml::from_str(&text).unwrap();
        match spec.build("venue[1].gateway", "BTCUSDT-PERP", "USDT", Path::new("."))? {
            Some(NetworkConfig::BinanceUsdmWs(c)) => Ok(c),
            other => panic!("not the WebSocket API: {other:?}"),
        }
    }

    #[test]
    fn a_usdm_websocket_venue_takes_one_key_kind_and_binances_ranges() {
        let c = ws("secret_env = \"S\"\nthrottle_permille = 800").unwrap();
        assert_eq!((c.symbol.as_str(), c.throttle_permille), ("BTCUSDT", 800));
        assert_eq!(c.key, WsKey::Hmac(SecretSource::Env("S".into())));
        let c = ws("private_key_env = \"P\"\nrecv_window_ms = 2000").unwrap();
        assert_eq!(c.key, WsKey::Ed25519(SecretSource::Env("P".into())));
        assert_eq!(c.recv_window_ms, 2_000);
        assert_eq!(c.position_grace_ms, 3_000, "watched by default");
        let c = ws("secret_env = \"S\"\nposition_grace_ms = 0").unwrap();
        assert_eq!(c.position_grace_ms, 0);
        for (extra, key) in [
            (
                "secret_env = \"S\"\nposition_grace_ms = 600001",
                "position_grace_ms",
            ),
            ("", "secret_env"),
            ("secret_env = \"S\"\nprivate_key_env = \"P\"", "secret_env"),
            ("secret = \"plain\"", "secret"),
            (
                "secret_env = \"S\"\nrecv_window_ms = 60001",
                "recv_window_ms",
            ),
            (
                "secret_env = \"S\"\nthrottle_permille = 0",
                "throttle_permille",
            ),
            ("secret_env = \"S\"\nsymbol = \"btc-usdt\"", "symbol"),
        ] {
            let err = ws(extra).unwrap_err().to_string();
            assert!(
                err.contains(&format!("venue[1].gateway.{key}")),
                "{extra}: {err}"
            );
        }
    }

    #[test]
    fn values_binance_would_refuse_are_refused_by_name() {
        let ok = build("sender_comp_id = \"LEG_C-1\"\nstp_mode = \"transfer\"").unwrap();
        let cfg = ok.unwrap();
        assert_eq!(cfg.stp_mode, Some(StpMode::Transfer));
        assert!(cfg.reset_seq_on_logon, "Binance resets at every logon");
        for (extra, key) in [
            ("sender_comp_id = \"LEGCORE12\"", "sender_comp_id"),
            ("sender_comp_id = \"LEG.1\"", "sender_comp_id"),
            ("sender_comp_id = \"L1\"\nsymbol = \"\"", "symbol"),
            (
                "sender_comp_id = \"L1\"\nsymbol = \"BTC\\u0001USDT\"",
                "symbol",
            ),
            (
                "sender_comp_id = \"L1\"\nstp_mode = \"expire_all\"",
                "stp_mode",
            ),
        ] {
            let err = build(extra).unwrap_err().to_string();
            assert!(
                err.contains(&format!("venue[0].gateway.{key}")),
                "{extra}: {err}"
            );
        }
    }
}
