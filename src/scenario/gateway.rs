//! `[venue.gateway]`: how a venue is reached. Absent (or `kind = "sim"`), the venue is
//! simulated in this process; `kind = "binance-spot-fix"` sends its orders to Binance
//! Spot's FIX order-entry API (`runtime::binance_fix`).
//!
//! The table says where the credentials are (`api_key_env` or `api_key_file`,
//! `private_key_env` or `private_key_file`), never the credentials: a key written in a
//! scenario is refused by name, since scenarios are copied into journals and shared.
//! The host must be a loopback address: Binance accepts FIX only over TLS, which a
//! local TLS proxy (stunnel, as Binance's documentation suggests) provides, so the
//! connection that leaves this process in clear text never leaves the machine.

use serde::Deserialize;

use super::{bad, ScenarioError};
use crate::fix::sign::SecretSource;
use crate::runtime::binance_fix::{FixVenueConfig, StpMode};

/// A venue's `[venue.gateway]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaySpec {
    /// `"sim"` (the default) or `"binance-spot-fix"`.
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
        dir: &std::path::Path,
    ) -> Result<Option<FixVenueConfig>, ScenarioError> {
        let key = |k: &str| format!("{prefix}.{k}");
        match self.kind.as_str() {
            "sim" => return Ok(None),
            "binance-spot-fix" => {}
            other => return Err(bad(&key("kind"), other, "expected sim or binance-spot-fix")),
        }
        for (k, v) in [
            ("api_key", &self.api_key),
            ("private_key", &self.private_key),
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
        Ok(Some(FixVenueConfig {
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
        }))
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

    fn spec(extra: &str) -> GatewaySpec {
        let text = format!(
            "kind = \"binance-spot-fix\"\nhost = \"127.0.0.1\"\nport = 9000\n\
             api_key_env = \"K\"\nprivate_key_env = \"P\"\n{extra}"
        );
        toml::from_str(&text).unwrap()
    }

    fn build(extra: &str) -> Result<Option<FixVenueConfig>, ScenarioError> {
        spec(extra).build("venue[0].gateway", "BTCUSDT", std::path::Path::new("."))
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
