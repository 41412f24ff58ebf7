//! Scenario files: what `legcore run` executes, in TOML. Every key is documented in
//! `docs/scenario.md`; [`Scenario::parse`] checks types and unknown keys (serde, with the
//! line), then [`Scenario::build`] checks values and names the key and the value it
//! refuses. Numbers that are money (prices, sizes, rates, bps) are strings, parsed as
//! exact decimals.
//!
//! `build` turns a valid scenario into the runtime's [`crate::runtime::Setup`] parts:
//! simulated exchanges fed by the recorded books, the risk state, the feeds and the
//! strategy.

mod build;
mod check;
mod feeds;
pub mod gateway;
mod live;
mod syntax;

pub use build::{gcd, parse_speed, Built};

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::instrument::ContractKind;
use crate::num::{Decimal, Step};
use crate::text::Quoted;

/// The default scenario, shipped in the binary: cash-and-carry on the recorded Binance
/// BTCUSDT spot and USD-M books of 2024-08-08.
pub const DEFAULT: &str = include_str!("../../scenarios/carry.toml");
/// Where the default scenario's relative paths start.
pub const DEFAULT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");

/// Why a scenario was refused.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// Not TOML, a wrong type or an unknown key: line, key, value and why.
    #[error("{0}")]
    Toml(syntax::TomlError),
    /// A value out of its domain.
    #[error("{key} = {}: {why}", Quoted(value))]
    Value {
        /// The key, as a path (`venue[1].tick`).
        key: String,
        /// The value given.
        value: String,
        /// What is wrong.
        why: String,
    },
    /// A data file that cannot be read.
    #[error("{key}: cannot read {path}: {source}")]
    Data {
        /// The key naming the file.
        key: String,
        /// The resolved path.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A parsed scenario file (raw values; see `build`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A name for reports.
    pub name: String,
    /// Seed of the simulated venues' latency and faults.
    #[serde(default)]
    pub seed: u64,
    /// Replay speed: `"max"`, or `"Nx"` (N times recorded speed, `"1x"` = recorded).
    #[serde(default = "default_speed")]
    pub speed: String,
    /// The venues, one instrument each.
    pub venue: Vec<VenueSpec>,
    /// The strategy.
    pub strategy: StrategySpec,
    /// How groups execute.
    pub execution: ExecutionSpec,
    /// Group-level risk.
    pub risk: RiskSpec,
    /// Threads.
    #[serde(default)]
    pub runtime: RuntimeSpec,
}

fn default_speed() -> String {
    "max".to_string()
}

/// One simulated venue with one instrument fed by a recorded capture.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VenueSpec {
    /// Venue name (`binance-spot`).
    pub name: String,
    /// Instrument (`BTCUSDT`).
    pub instrument: String,
    /// Price tick.
    pub tick: String,
    /// Quantity lot.
    pub lot: String,
    /// The currency prices are quoted in (`USDT`): the unit of fees, losses and P&L in
    /// reports. Default: read from the instrument name (see [`quote_currency`]).
    #[serde(default)]
    pub quote: Option<String>,
    /// The coin an inverse instrument settles in (`BTC`): the unit of its fees and P&L.
    /// Default: the instrument name without its quote (see [`settle_currency`]).
    #[serde(default)]
    pub settle: Option<String>,
    /// Smallest order notional, quote.
    #[serde(default = "zero")]
    pub min_notional: String,
    /// Maker fee rate (`"0.0002"` = 0.02 %; negative = rebate).
    pub maker_fee: String,
    /// Taker fee rate.
    pub taker_fee: String,
    /// Where the book comes from: `"replay"` (the default: the recorded `feed`) or
    /// `"live"` (the venue's stream at `url`: paper trading on live books).
    #[serde(default)]
    pub source: Option<String>,
    /// The recorded capture (gzip or plain text), relative to the scenario file; a
    /// replayed venue's, required then.
    #[serde(default)]
    pub feed: String,
    /// A live venue's stream URL (`wss://fstream.binance.com/ws/btcusdt@depth@0ms`).
    #[serde(default)]
    pub url: Option<String>,
    /// A live Binance venue's REST depth snapshot URL
    /// (`https://fapi.binance.com/fapi/v1/depth?symbol=BTCUSDT&limit=1000`).
    #[serde(default)]
    pub snapshot_url: Option<String>,
    /// An extra trusted root certificate (PEM or DER file, relative to the scenario) for
    /// a live venue's TLS: a test server's, or a proxy's. The system's web roots are
    /// always trusted.
    #[serde(default)]
    pub root_cert: Option<String>,
    /// Its format (`"binance-usdm"`, see `feed::Format`); required.
    pub format: Option<String>,
    /// The key `format` replaced: refused with a message naming `format`.
    pub market: Option<String>,
    /// `"linear"` (quantity in base units) or `"inverse"` (in contracts of `multiplier`
    /// quote each).
    #[serde(default = "linear")]
    pub contract: String,
    /// Linear: base units per quantity unit; inverse: quote value of one contract.
    #[serde(default = "one")]
    pub multiplier: String,
    /// Levels per side of the book.
    #[serde(default = "default_levels")]
    pub levels: usize,
    /// Order latency.
    #[serde(default)]
    pub latency: LatencySpec,
    /// Faults, parts per million per request or message.
    #[serde(default)]
    pub faults: FaultSpec,
    /// Pre-trade limits.
    pub limits: LimitsSpec,
    /// How the venue is reached (absent: simulated). See [`gateway`].
    #[serde(default)]
    pub gateway: Option<gateway::GatewaySpec>,
}

fn zero() -> String {
    "0".to_string()
}

fn one() -> String {
    "1".to_string()
}

fn linear() -> String {
    "linear".to_string()
}

fn default_levels() -> usize {
    16_384
}

/// Latency model of a venue's connection (microseconds).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "snake_case")]
pub enum LatencySpec {
    /// Always `us`.
    Fixed {
        /// Latency, µs.
        us: u64,
    },
    /// Uniform in `min_us..=max_us`.
    Uniform {
        /// Least, µs.
        min_us: u64,
        /// Most, µs.
        max_us: u64,
    },
    /// A floor and a heavy tail.
    HeavyTailed {
        /// Floor, µs.
        base_us: u64,
        /// Tail scale, µs.
        scale_us: u64,
    },
}

impl Default for LatencySpec {
    fn default() -> Self {
        LatencySpec::Fixed { us: 0 }
    }
}

/// Fault rates, ppm (see `sim::FaultPlan`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct FaultSpec {
    #[serde(default)]
    pub reject: u32,
    #[serde(default)]
    pub partial_fill: u32,
    #[serde(default)]
    pub duplicate: u32,
    #[serde(default)]
    pub reorder: u32,
    #[serde(default)]
    pub lost_request: u32,
    #[serde(default)]
    pub lost_reply: u32,
    #[serde(default)]
    pub disconnect: u32,
    /// How long a disconnect lasts, ms.
    #[serde(default)]
    pub disconnect_ms: u64,
    #[serde(default)]
    pub fill_after_cancel: u32,
    #[serde(default)]
    pub spike: u32,
    /// Extra latency of a spike, ms.
    #[serde(default)]
    pub spike_ms: u64,
}

/// A venue's pre-trade limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    /// Largest order notional, quote.
    pub max_order_notional: String,
    /// Widest distance of an order price from the mid, bps.
    pub collar_bps: String,
    /// Most orders open at once.
    pub max_open_orders: u32,
    /// Sustained messages per second.
    pub msgs_per_sec: u32,
    /// Burst of the message bucket.
    pub burst: u32,
}

/// The strategy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategySpec {
    /// `"carry"` (cash-and-carry, two venues) or `"roundtrip"` (one venue: buy, hold,
    /// sell back).
    pub kind: String,
    /// Venue name of the long (spot) leg; a round trip's venue.
    pub long: String,
    /// Venue name of the short (perp) leg (carry only).
    pub short: Option<String>,
    /// Entry size, USD.
    pub size_usd: String,
    /// Open when the entry premium net of fees and walk slippage is at least this, bps
    /// (carry only).
    pub open_above_bps: Option<String>,
    /// Close when the exit cost with fees and walk slippage is at most this, bps (carry
    /// only).
    pub close_below_bps: Option<String>,
    /// How long a round trip holds its buy before selling it back, ms.
    #[serde(default)]
    pub hold_ms: u64,
    /// Pause after a group ends, ms.
    #[serde(default)]
    pub cooldown_ms: u64,
    /// Most open-and-close cycles.
    #[serde(default = "default_cycles")]
    pub max_cycles: u32,
    /// Most groups held at once (preallocated; an ended group's slot is used again).
    #[serde(default = "default_groups")]
    pub max_groups: usize,
}

fn default_cycles() -> u32 {
    10
}

fn default_groups() -> usize {
    64
}

/// How a leg executes (times in ms).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "snake_case")]
pub enum ModeSpec {
    /// IOC at the protection price.
    Market,
    /// Post-only, cancelled at the timeout.
    Limit {
        /// Rest time, ms.
        timeout_ms: u64,
    },
    /// Post-only, then IOC for the rest at the timeout.
    LimitThenMarket {
        /// Rest time, ms.
        timeout_ms: u64,
    },
    /// Post-only, reposted as the touch moves, then IOC.
    Chase {
        /// Chase time, ms.
        timeout_ms: u64,
        /// Most reposts (0..=4).
        max_reprices: u32,
        /// Ticks the touch must move for a repost.
        refresh_ticks: i64,
    },
    /// Chosen from the pre-flight's recommendation.
    Adaptive {
        /// Rest time if the limit route is chosen, ms.
        timeout_ms: u64,
    },
}

/// One policy, or several used in turn.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum PolicySpec {
    /// One policy for every group.
    One(String),
    /// Policies used in turn.
    Many(Vec<String>),
}

/// Group execution.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecutionSpec {
    /// `rollback`, `rebalance`, `complete` or `accept_partial`, or a list of them used in
    /// turn (group k takes the k-th, cycling).
    pub policy: PolicySpec,
    /// Completion budget for `complete`, ms.
    #[serde(default)]
    pub complete_budget_ms: u64,
    /// The long leg's mode.
    pub long_mode: ModeSpec,
    /// The short leg's mode (carry only).
    pub short_mode: Option<ModeSpec>,
    /// Slippage bound of IOCs (fallbacks, unwinds), bps from the mid.
    pub max_slippage_bps: String,
    /// How long an order's answer may take before it is queried, ms.
    #[serde(default = "default_request_timeout")]
    pub request_timeout_ms: u64,
    /// How long a venue may stay silent about an order that owes an answer before the
    /// leg gives up and the group ends unhedged, ms.
    #[serde(default = "default_silence_limit")]
    pub silence_limit_ms: u64,
}

fn default_request_timeout() -> u64 {
    1_000
}

fn default_silence_limit() -> u64 {
    10_000
}

/// Group-level risk.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskSpec {
    /// Largest notional of one group, quote.
    pub max_group_notional: String,
}

/// Threads and idle policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeSpec {
    /// Core of the loop thread (absent: not pinned).
    pub loop_core: Option<usize>,
    /// Cores of the gateway threads, per venue.
    #[serde(default)]
    pub gateway_cores: Vec<usize>,
    /// `busy_spin`, `spin_then_yield` or `park`.
    #[serde(default = "default_wait")]
    pub wait: String,
}

fn default_wait() -> String {
    "spin_then_yield".to_string()
}

impl Default for RuntimeSpec {
    fn default() -> Self {
        RuntimeSpec {
            loop_core: None,
            gateway_cores: Vec::new(),
            wait: default_wait(),
        }
    }
}

/// A `Decimal` from key `key`'s text.
pub(crate) fn dec(key: &str, text: &str) -> Result<Decimal, ScenarioError> {
    Decimal::parse(text).map_err(|e| bad(key, text, e.to_string()))
}

/// A `Step` (tick or lot) from key `key`'s text.
pub(crate) fn step(key: &str, text: &str) -> Result<Step, ScenarioError> {
    Step::parse(text).map_err(|e| bad(key, text, e.to_string()))
}

pub(crate) fn bad(key: &str, value: &str, why: impl Into<String>) -> ScenarioError {
    ScenarioError::Value {
        key: key.to_string(),
        value: value.to_string(),
        why: why.into(),
    }
}

impl Scenario {
    /// Parses TOML text (types and keys only).
    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        toml::from_str(text).map_err(|e| ScenarioError::Toml(syntax::TomlError::new(text, &e)))
    }

    /// The file's directory-relative path of a data file.
    pub fn resolve(dir: &Path, file: &str) -> PathBuf {
        let p = Path::new(file);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            dir.join(p)
        }
    }
}

/// The quote currency of a venue: `quote` when given, else the instrument name's known
/// quote suffix (`BTCUSDT`, `BTCUSDT-PERP`, `BTC_USDC` → `USDT`, `USDT`, `USDC`), else
/// `quote` (the report then says "loss 1.2 quote": set the key).
pub fn quote_currency(given: Option<&str>, instrument: &str) -> String {
    if let Some(q) = given {
        return q.to_string();
    }
    let name = instrument.to_ascii_uppercase();
    let base = name
        .trim_end_matches("-PERP")
        .trim_end_matches("_PERP")
        .trim_end_matches("-SWAP");
    ["USDT", "USDC", "FDUSD", "BUSD", "USD", "EUR", "BTC", "ETH"]
        .into_iter()
        .find(|q| base.len() > q.len() && base.ends_with(q))
        .map_or_else(|| "quote".to_string(), str::to_string)
}

/// The currency an instrument's fees and P&L are in: `given`, else `quote` for a linear
/// instrument, else the inverse one's name without its quote and suffix
/// (`BTCUSD_PERP` → `BTC`), else the word `coin`.
pub fn settle_currency(
    given: Option<&str>,
    kind: ContractKind,
    instrument: &str,
    quote: &str,
) -> String {
    if let Some(s) = given {
        return s.to_string();
    }
    if kind == ContractKind::Linear {
        return quote.to_string();
    }
    let quote = quote_currency(None, instrument);
    let name = instrument.to_ascii_uppercase();
    let base = name
        .trim_end_matches("-PERP")
        .trim_end_matches("_PERP")
        .trim_end_matches("-SWAP");
    match base.strip_suffix(quote.as_str()) {
        Some(coin) if !coin.is_empty() && quote != "quote" => {
            coin.trim_end_matches(['-', '_']).to_string()
        }
        _ => "coin".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{quote_currency, settle_currency};
    use crate::instrument::ContractKind;

    #[test]
    fn an_inverse_instrument_settles_in_its_coin() {
        let inv = ContractKind::Inverse;
        assert_eq!(settle_currency(None, inv, "BTCUSD_PERP", "USD"), "BTC");
        assert_eq!(settle_currency(None, inv, "ETH-USD-SWAP", "USD"), "ETH");
        assert_eq!(settle_currency(None, inv, "BTCUSD_240927", "USD"), "coin");
        assert_eq!(
            settle_currency(Some("XBT"), inv, "BTCUSD_PERP", "USD"),
            "XBT"
        );
        let lin = ContractKind::Linear;
        assert_eq!(settle_currency(None, lin, "BTCUSDT-PERP", "USDT"), "USDT");
        assert_eq!(settle_currency(None, lin, "BTC", "USDC"), "USDC");
    }

    #[test]
    fn the_quote_currency_is_given_or_read_from_the_instrument() {
        assert_eq!(quote_currency(Some("USDC"), "BTCUSDT"), "USDC");
        assert_eq!(quote_currency(None, "BTCUSDT"), "USDT");
        assert_eq!(quote_currency(None, "BTCUSDT-PERP"), "USDT");
        assert_eq!(quote_currency(None, "ETH_USDC"), "USDC");
        assert_eq!(quote_currency(None, "BTCUSD_PERP"), "USD");
        assert_eq!(quote_currency(None, "BTC"), "quote");
        assert_eq!(quote_currency(None, "USDT"), "quote");
    }
}
