//! A valid [`Scenario`] turned into what the runtime runs: one simulated exchange per
//! venue whose book follows its recorded feed (of its named [`Format`], loaded and checked
//! to go live), the risk state, the feeds, the strategy (carry on two venues, or a round
//! trip on one) and the runtime [`Config`]. Every value is checked here and a refusal
//! names its key. `Scenario::build` reads as its steps: each venue, the feeds' overlap,
//! the strategy, the runtime settings, each a function of its own.

use std::path::Path;
use std::sync::Arc;

use arrayvec::ArrayVec;

use super::check::{self, MAX_FAULT_MS, MAX_LATENCY_US, MAX_TAIL_SCALE_US, MAX_WAIT_MS};
use super::feeds::{check_live, check_overlap};
use super::gateway::NetworkConfig;
use super::{
    bad, dec, step, ExecutionSpec, FaultSpec, LatencySpec, LimitsSpec, ModeSpec, Scenario,
    ScenarioError, VenueSpec,
};
use crate::feed::{Format, Tape};
use crate::group::Policy;
use crate::index::{BookId, VenueId};
use crate::instrument::{ContractKind, InstrumentRules, VenueInfo};
use crate::leg::{Fees, Mode, MAX_REPRICES};
use crate::num::{ratio, Decimal, Ratio};
use crate::risk::{RiskState, VenueLimits};
use crate::runtime::{Config, Feed, Speed, Wait};
use crate::sim::{FaultPlan, Latency, SimExchange, SimVenue};
use crate::strategy::{Carry, CarryLeg, CarryParams, Roundtrip, RoundtripParams, RunStrategy};
use crate::walk::Thresholds;

/// Everything a run of the scenario needs.
#[derive(Debug)]
pub struct Built {
    /// Scenario name.
    pub name: String,
    /// Seed.
    pub seed: u64,
    /// One simulated exchange per venue (one book each).
    pub exchanges: Vec<SimExchange>,
    /// Risk with one venue per exchange.
    pub risk: RiskState,
    /// One feed per venue.
    pub feeds: Vec<Feed>,
    /// The strategy.
    pub strategy: RunStrategy,
    /// Groups to preallocate.
    pub strategy_groups: usize,
    /// Runtime settings.
    pub config: Config,
    /// Per venue: names and units.
    pub venues: Vec<VenueInfo>,
    /// Recorded lines over all feeds (for progress).
    pub md_lines: u64,
    /// Per venue: instrument rules.
    pub rules: Vec<InstrumentRules>,
    /// Per venue: fee rates.
    pub fees: Vec<Fees>,
    /// Slippage bound of IOCs, bps.
    pub max_slippage_bps: Ratio,
    /// Per venue: its gateway's settings when it is a network venue (`None`: the
    /// simulated exchange of `exchanges` is the venue).
    pub network: Vec<Option<NetworkConfig>>,
}

/// Parses `--speed` / `speed` text: `max` or `Nx`.
pub fn parse_speed(text: &str) -> Option<Speed> {
    if text == "max" {
        return Some(Speed::Max);
    }
    let n: u32 = text.strip_suffix('x')?.parse().ok()?;
    (n >= 1).then_some(Speed::Times(n))
}

/// A fee rate (`"0.0002"`) as a rate × 10⁸, exactly.
fn fee(key: &str, text: &str) -> Result<i64, ScenarioError> {
    let d = dec(key, text)?;
    let raw = d.raw();
    // Decimal has 18 places: a rate × 10⁸ is raw / 10¹⁰ and must be whole.
    if raw % 10_000_000_000 != 0 || raw.abs() >= 10_000_000_000_000_000 {
        return Err(bad(
            key,
            text,
            "a fee rate has at most 8 decimals and |rate| < 1",
        ));
    }
    Ok((raw / 10_000_000_000) as i64)
}

/// A decimal as a `Ratio` (bps and such), exactly to 2⁻⁶⁴.
fn ratio_of(key: &str, text: &str, min: Decimal, max: Decimal) -> Result<Ratio, ScenarioError> {
    let d = dec(key, text)?;
    if d < min || d > max {
        return Err(bad(key, text, format!("must be in {min}..={max}")));
    }
    ratio(d.raw(), 1_000_000_000_000_000_000).map_err(|e| bad(key, text, e.to_string()))
}

fn mode(key: &str, m: &ModeSpec) -> Result<Mode, ScenarioError> {
    let ms = |v: u64, k: &str| check::ms(&format!("{key}.{k}"), v, 1, MAX_WAIT_MS);
    Ok(match *m {
        ModeSpec::Market => Mode::MarketOnly,
        ModeSpec::Limit { timeout_ms } => Mode::LimitOnly {
            timeout_ns: ms(timeout_ms, "timeout_ms")?,
        },
        ModeSpec::LimitThenMarket { timeout_ms } => Mode::LimitWithFallback {
            timeout_ns: ms(timeout_ms, "timeout_ms")?,
        },
        ModeSpec::Adaptive { timeout_ms } => Mode::Adaptive {
            timeout_ns: ms(timeout_ms, "timeout_ms")?,
        },
        ModeSpec::Chase {
            timeout_ms,
            max_reprices,
            refresh_ticks,
        } => {
            if max_reprices > MAX_REPRICES {
                let k = format!("{key}.max_reprices");
                return Err(bad(&k, &max_reprices.to_string(), "must be 0..=4"));
            }
            if refresh_ticks < 1 {
                let k = format!("{key}.refresh_ticks");
                return Err(bad(&k, &refresh_ticks.to_string(), "must be positive"));
            }
            Mode::Chase {
                timeout_ns: ms(timeout_ms, "timeout_ms")?,
                max_reprices,
                refresh_ticks,
            }
        }
    })
}

/// A venue's latency model, each value within its cap.
fn latency(key: &str, l: &LatencySpec) -> Result<Latency, ScenarioError> {
    let us = |k: &str, v: u64, max: u64| check::us(&format!("{key}.{k}"), v, max);
    Ok(match *l {
        LatencySpec::Fixed { us: v } => Latency::Fixed {
            ns: us("us", v, MAX_LATENCY_US)?,
        },
        LatencySpec::Uniform { min_us, max_us } => {
            if min_us > max_us {
                let k = format!("{key}.min_us");
                return Err(bad(&k, &min_us.to_string(), "is above max_us"));
            }
            Latency::Uniform {
                lo_ns: us("min_us", min_us, MAX_LATENCY_US)?,
                hi_ns: us("max_us", max_us, MAX_LATENCY_US)?,
            }
        }
        LatencySpec::HeavyTailed { base_us, scale_us } => Latency::HeavyTailed {
            base_ns: us("base_us", base_us, MAX_LATENCY_US)?,
            scale_ns: us("scale_us", scale_us, MAX_TAIL_SCALE_US)?,
        },
    })
}

/// A venue's fault plan: rates in ppm, and a duration for the faults that last.
fn faults(key: &str, fs: &FaultSpec) -> Result<FaultPlan, ScenarioError> {
    for (k, ppm) in [
        ("reject", fs.reject),
        ("partial_fill", fs.partial_fill),
        ("duplicate", fs.duplicate),
        ("reorder", fs.reorder),
        ("lost_request", fs.lost_request),
        ("lost_reply", fs.lost_reply),
        ("disconnect", fs.disconnect),
        ("fill_after_cancel", fs.fill_after_cancel),
        ("spike", fs.spike),
    ] {
        if ppm > 1_000_000 {
            let k = format!("{key}.{k}");
            return Err(bad(&k, &ppm.to_string(), "ppm must be 0..=1000000"));
        }
    }
    // A fault that is on lasts at least 1 ms; one that is off may leave its time at 0.
    let lasting = |k: &str, ppm: u32, v: u64| {
        let min = u64::from(ppm > 0);
        check::ms(&format!("{key}.{k}"), v, min, MAX_FAULT_MS)
    };
    Ok(FaultPlan {
        reject_ppm: fs.reject,
        partial_fill_ppm: fs.partial_fill,
        duplicate_ppm: fs.duplicate,
        reorder_ppm: fs.reorder,
        lost_request_ppm: fs.lost_request,
        lost_reply_ppm: fs.lost_reply,
        disconnect_ppm: fs.disconnect,
        disconnect_ns: lasting("disconnect_ms", fs.disconnect, fs.disconnect_ms)?,
        fill_after_cancel_ppm: fs.fill_after_cancel,
        spike_ppm: fs.spike,
        spike_ns: lasting("spike_ms", fs.spike, fs.spike_ms)?,
        ..FaultPlan::NONE
    })
}

/// A venue's pre-trade limits: a positive order notional, a collar of 1 to 10,000 bps,
/// and at least one open order, message per second and message of burst.
fn limits(key: &str, l: &LimitsSpec) -> Result<VenueLimits, ScenarioError> {
    let k = |name: &str| format!("{key}.{name}");
    Ok(VenueLimits {
        max_order_notional: check::positive(&k("max_order_notional"), &l.max_order_notional)?,
        collar_bps: ratio_of(
            &k("collar_bps"),
            &l.collar_bps,
            Decimal::ONE,
            Decimal::from_i64(10_000),
        )?,
        max_open_orders: check::at_least_one(&k("max_open_orders"), l.max_open_orders)?,
        msgs_per_sec: check::at_least_one(&k("msgs_per_sec"), l.msgs_per_sec)?,
        burst: check::at_least_one(&k("burst"), l.burst)?,
    })
}

/// Greatest common divisor (of lot sizes: the common base unit of two legs).
pub fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// One venue of the scenario, built.
struct BuiltVenue {
    exchange: SimExchange,
    feed: Feed,
    limits: VenueLimits,
    info: VenueInfo,
    rules: InstrumentRules,
    fees: Fees,
}

impl Scenario {
    /// Checks every value and builds the run; data paths are relative to `dir`.
    pub fn build(&self, dir: &Path) -> Result<Built, ScenarioError> {
        let speed = super::build::parse_speed(&self.speed)
            .ok_or_else(|| bad("speed", &self.speed, "expected \"max\" or \"Nx\" (N ≥ 1)"))?;
        if self.venue.is_empty() || self.venue.len() > 8 {
            return Err(bad(
                "venue",
                &self.venue.len().to_string(),
                "give 1 to 8 venues",
            ));
        }
        let mut risk = RiskState::new(check::positive(
            "risk.max_group_notional",
            &self.risk.max_group_notional,
        )?);
        let (mut exchanges, mut feeds, mut venues) = (Vec::new(), Vec::new(), Vec::new());
        let (mut rules, mut fees, mut network) = (Vec::new(), Vec::new(), Vec::new());
        for (i, v) in self.venue.iter().enumerate() {
            if venues.iter().any(|x: &VenueInfo| x.name == v.name) {
                let k = format!("venue[{i}].name");
                return Err(bad(&k, &v.name, "two venues have this name"));
            }
            let b = self.venue(i, v, dir)?;
            risk.add_venue(b.limits, 0)
                .ok_or_else(|| bad(&format!("venue[{i}].limits"), "", "risk refused the limits"))?;
            exchanges.push(b.exchange);
            feeds.push(b.feed);
            venues.push(b.info);
            rules.push(b.rules);
            fees.push(b.fees);
            network.push(match &v.gateway {
                Some(g) => {
                    let quote = super::quote_currency(v.quote.as_deref(), &v.instrument);
                    g.build(&format!("venue[{i}].gateway"), &v.instrument, &quote, dir)?
                }
                None => None,
            });
        }
        check_sources(&feeds)?;
        let spans: Vec<_> = feeds.iter().map(|f: &Feed| f.tape.span()).collect();
        check_overlap(&self.venue, &spans)?;
        let max_slip = ratio_of(
            "execution.max_slippage_bps",
            &self.execution.max_slippage_bps,
            Decimal::from_raw(1).unwrap_or(Decimal::ZERO),
            Decimal::from_i64(10_000),
        )?;
        let strategy = self.strategy(&venues, &rules, &fees, max_slip)?;
        Ok(Built {
            name: self.name.clone(),
            seed: self.seed,
            exchanges,
            risk,
            md_lines: feeds.iter().map(|f| f.tape.len() as u64).sum(),
            feeds,
            strategy,
            strategy_groups: self.strategy.max_groups,
            config: self.config(speed)?,
            venues,
            rules,
            fees,
            max_slippage_bps: max_slip,
            network,
        })
    }

    /// Venue `i`: its rules, fees, feed (loaded and checked live), simulated exchange
    /// and limits.
    fn venue(&self, i: usize, v: &VenueSpec, dir: &Path) -> Result<BuiltVenue, ScenarioError> {
        let key = |k: &str| format!("venue[{i}].{k}");
        let format = feed_format(i, v)?;
        let rules = instrument(i, v, format)?;
        let f = Fees {
            maker_e8: fee(&key("maker_fee"), &v.maker_fee)?,
            taker_e8: fee(&key("taker_fee"), &v.taker_fee)?,
        };
        if !(16..=1 << 20).contains(&v.levels) {
            let n = v.levels.to_string();
            return Err(bad(&key("levels"), &n, "must be 16..=1048576"));
        }
        let latency = latency(&key("latency"), &v.latency)?;
        let plan = faults(&key("faults"), &v.faults)?;
        let limits = limits(&key("limits"), &v.limits)?;
        let feed = if super::live::is_live(i, v)? {
            super::live::live_feed(i, v, dir, format, &rules)?
        } else {
            load_feed(i, v, dir, format, &rules)?
        };
        let quote = super::quote_currency(v.quote.as_deref(), &v.instrument);
        let settle = super::settle_currency(v.settle.as_deref(), rules.kind, &v.instrument, &quote);
        if rules.kind == ContractKind::Linear && settle != quote {
            let why = "a linear instrument settles in its quote; `settle` is for inverse ones";
            return Err(bad(&key("settle"), &settle, why));
        }
        let book = SimVenue::new(v.levels, 4_096).with_fees(f);
        let seed = self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i as u64;
        Ok(BuiltVenue {
            exchange: SimExchange::new(vec![book], latency, plan, seed),
            feed,
            limits,
            info: VenueInfo {
                name: v.name.clone(),
                instrument: v.instrument.clone(),
                tick: rules.tick,
                lot: rules.lot,
                kind: rules.kind,
                multiplier: rules.multiplier,
                quote,
                settle,
            },
            rules,
            fees: f,
        })
    }

    /// The strategy of `[strategy]` on the built venues.
    fn strategy(
        &self,
        venues: &[VenueInfo],
        rules: &[InstrumentRules],
        fees: &[Fees],
        max_slip: Ratio,
    ) -> Result<RunStrategy, ScenarioError> {
        let s = &self.strategy;
        if !(1..=4_096).contains(&s.max_groups) {
            let k = "strategy.max_groups";
            return Err(bad(k, &s.max_groups.to_string(), "must be 1..=4096"));
        }
        let long = find_venue(venues, "strategy.long", &s.long)?;
        let leg = |v: usize, lot_units: i64, mode: Mode| CarryLeg {
            feed: v,
            venue: VenueId::new(v),
            book: BookId::new(0),
            rules: rules[v],
            lot_units,
            fees: fees[v],
            mode,
            max_slippage_bps: max_slip,
        };
        let long_mode = mode("execution.long_mode", &self.execution.long_mode)?;
        match s.kind.as_str() {
            "carry" => {
                let short_name = carry_key("strategy.short", s.short.as_ref())?;
                let short = find_venue(venues, "strategy.short", short_name)?;
                if long == short {
                    return Err(bad("strategy.short", short_name, "is also the long venue"));
                }
                let (long_units, short_units) = lot_units(venues, long, short)?;
                let short_mode = self.execution.short_mode.as_ref();
                let short_mode = mode(
                    "execution.short_mode",
                    carry_key("execution.short_mode", short_mode)?,
                )?;
                let c = self.carry(
                    leg(long, long_units, long_mode),
                    leg(short, short_units, short_mode),
                )?;
                Ok(RunStrategy::Carry(c))
            }
            "roundtrip" => Ok(RunStrategy::Roundtrip(
                self.roundtrip(leg(long, 1, long_mode))?,
            )),
            other => Err(bad("strategy.kind", other, "expected carry or roundtrip")),
        }
    }

    /// The cash-and-carry strategy, long `spot` and short `perp`.
    fn carry(&self, spot: CarryLeg, perp: CarryLeg) -> Result<Carry, ScenarioError> {
        let s = &self.strategy;
        let open = carry_key("strategy.open_above_bps", s.open_above_bps.as_ref())?;
        let close = carry_key("strategy.close_below_bps", s.close_below_bps.as_ref())?;
        Ok(Carry::new(CarryParams {
            spot,
            perp,
            size_usd: check::positive("strategy.size_usd", &s.size_usd)?,
            open_above_bps: dec("strategy.open_above_bps", open)?,
            close_below_bps: dec("strategy.close_below_bps", close)?,
            cooldown_ns: check::ms("strategy.cooldown_ms", s.cooldown_ms, 0, MAX_WAIT_MS)?,
            max_cycles: check::at_least_one("strategy.max_cycles", s.max_cycles)?,
            policies: policies(&self.execution)?,
            thresholds: Thresholds::default(),
        }))
    }

    /// The round trip on `leg`'s venue; the keys of a second leg are refused.
    fn roundtrip(&self, leg: CarryLeg) -> Result<Roundtrip, ScenarioError> {
        let s = &self.strategy;
        let only_carry = [
            ("strategy.short", s.short.clone()),
            ("strategy.open_above_bps", s.open_above_bps.clone()),
            ("strategy.close_below_bps", s.close_below_bps.clone()),
            (
                "execution.short_mode",
                self.execution.short_mode.as_ref().map(|_| "{…}".into()),
            ),
        ];
        for (k, v) in only_carry {
            if let Some(v) = v {
                return Err(bad(
                    k,
                    &v,
                    "a roundtrip trades one venue (strategy.long): remove it",
                ));
            }
        }
        let policies = policies(&self.execution)?;
        if policies.len() != 1 {
            let n = policies.len().to_string();
            return Err(bad("execution.policy", &n, "a roundtrip takes one policy"));
        }
        Ok(Roundtrip::new(RoundtripParams {
            leg,
            size_usd: check::positive("strategy.size_usd", &s.size_usd)?,
            hold_ns: check::ms("strategy.hold_ms", s.hold_ms, 0, MAX_WAIT_MS)?,
            cooldown_ns: check::ms("strategy.cooldown_ms", s.cooldown_ms, 0, MAX_WAIT_MS)?,
            max_cycles: check::at_least_one("strategy.max_cycles", s.max_cycles)?,
            policy: policies[0],
        }))
    }

    /// The runtime settings.
    fn config(&self, speed: Speed) -> Result<Config, ScenarioError> {
        let wait = match self.runtime.wait.as_str() {
            "busy_spin" => Wait::BusySpin,
            "spin_then_yield" => Wait::SpinThenYield { spins: 1_000 },
            "park" => Wait::Park { idle_ns: 50_000 },
            other => {
                let why = "expected busy_spin, spin_then_yield or park";
                return Err(bad("runtime.wait", other, why));
            }
        };
        let e = &self.execution;
        let request_timeout_ns = check::ms(
            "execution.request_timeout_ms",
            e.request_timeout_ms,
            1,
            MAX_WAIT_MS,
        )?;
        Ok(Config {
            loop_core: self.runtime.loop_core,
            gateway_cores: self
                .runtime
                .gateway_cores
                .iter()
                .map(|&c| Some(c))
                .collect(),
            wait,
            gateway_wait: Wait::Park { idle_ns: 50_000 },
            request_timeout_ns,
            silence_limit_ns: silence_limit_ns(e.silence_limit_ms, e.request_timeout_ms)?,
            md_speed: speed,
            md_ring: 1 << 16,
            ..Config::default()
        })
    }
}

/// The index of the venue named `name` (given as `key`).
fn find_venue(venues: &[VenueInfo], key: &str, name: &str) -> Result<usize, ScenarioError> {
    venues
        .iter()
        .position(|v| v.name == name)
        .ok_or_else(|| bad(key, name, "no venue has this name"))
}

/// A key the carry strategy needs.
fn carry_key<'a, T>(key: &str, v: Option<&'a T>) -> Result<&'a T, ScenarioError> {
    v.ok_or_else(|| bad(key, "", "missing: kind = \"carry\" needs it"))
}

/// Venue `i`'s capture format (an `okx-books` one following the venue's `instrument`);
/// the old key `market` is refused naming `format`.
fn feed_format(i: usize, v: &VenueSpec) -> Result<Format, ScenarioError> {
    let key = |k: &str| format!("venue[{i}].{k}");
    if let Some(m) = &v.market {
        let write = match m.as_str() {
            "spot" => "format = \"binance-spot\"",
            "futures" => "format = \"binance-usdm\" (or \"binance-coinm\" for a COIN-M capture)",
            _ => "format",
        };
        let why = format!("`market` was replaced by `format`: write {write}");
        return Err(bad(&key("market"), m, why));
    }
    let Some(name) = &v.format else {
        let why = format!(
            "missing: give the capture's format, one of {}",
            Format::NAMES
        );
        return Err(bad(&key("format"), "", why));
    };
    let format = Format::parse(name)
        .ok_or_else(|| bad(&key("format"), name, format!("expected {}", Format::NAMES)))?;
    // An OKX capture interleaves instruments: the feed follows the venue's.
    format.following(&v.instrument).ok_or_else(|| {
        let why = "not an OKX instId (letters, digits, `-` and `_`, at most 40)";
        bad(&key("instrument"), &v.instrument, why)
    })
}

/// Venue `i`'s instrument rules: tick, lot, minimum notional, contract kind and
/// multiplier. A COIN-M capture's sizes are contracts, so it needs an inverse contract.
fn instrument(i: usize, v: &VenueSpec, format: Format) -> Result<InstrumentRules, ScenarioError> {
    let key = |k: &str| format!("venue[{i}].{k}");
    let tick = step(&key("tick"), &v.tick)?;
    let lot = step(&key("lot"), &v.lot)?;
    let min_notional = dec(&key("min_notional"), &v.min_notional)?;
    let kind = match v.contract.as_str() {
        "linear" => ContractKind::Linear,
        "inverse" => ContractKind::Inverse,
        other => return Err(bad(&key("contract"), other, "expected linear or inverse")),
    };
    if format == Format::BinanceCoinm && kind == ContractKind::Linear {
        let why = "a COIN-M book's sizes are contracts: set contract = \"inverse\" and the \
                   contract's quote value as multiplier";
        return Err(bad(&key("contract"), &v.contract, why));
    }
    let multiplier = check::positive(&key("multiplier"), &v.multiplier)?;
    InstrumentRules::new(tick, lot, 1, min_notional, multiplier, kind)
        .map_err(|e| bad(&key("min_notional"), &v.min_notional, e.to_string()))
}

/// A run's feeds are all live or all replayed: a recorded time and a live one do not
/// mix.
fn check_sources(feeds: &[Feed]) -> Result<(), ScenarioError> {
    let live = |f: &Feed| f.live.is_some();
    match feeds.iter().position(|f| live(f) != live(&feeds[0])) {
        Some(j) => Err(bad(
            &format!("venue[{j}].source"),
            if live(&feeds[j]) { "live" } else { "replay" },
            "every venue of a scenario is live or every one is replayed",
        )),
        None => Ok(()),
    }
}

/// Venue `i`'s capture, loaded as `format` and checked to go live.
fn load_feed(
    i: usize,
    v: &VenueSpec,
    dir: &Path,
    format: Format,
    rules: &InstrumentRules,
) -> Result<Feed, ScenarioError> {
    if v.feed.is_empty() {
        let why = "missing: a replayed venue needs its recorded capture (or source = \"live\")";
        return Err(bad(&format!("venue[{i}].feed"), "", why));
    }
    let path = Scenario::resolve(dir, &v.feed);
    let tape = Tape::load(&path, format).map_err(|source| ScenarioError::Data {
        key: format!("venue[{i}].feed"),
        path: path.display().to_string(),
        source,
    })?;
    if tape.is_empty() {
        let shape = if format.bare_json_time() {
            "`<local_ns> <json>` or JSON lines with a `ts`"
        } else if format.cryptofeed_lines() {
            "`<local_ns> <json>` or cryptofeed `<secs>: <json>` lines"
        } else {
            "`<local_ns> <json>` lines"
        };
        let why = format!(
            "the capture has no {shape} ({} other lines)",
            tape.skipped()
        );
        return Err(bad(&format!("venue[{i}].feed"), &v.feed, why));
    }
    let feed = Feed {
        tape: Arc::new(tape),
        venue: VenueId::new(i),
        book: BookId::new(0),
        format,
        tick: rules.tick,
        lot: rules.lot,
        levels_per_side: v.levels,
        max_update_levels: 4_096,
        live: None,
    };
    check_live(i, v, &feed)?;
    Ok(feed)
}

/// Common base units per lot of the long and the short venue (their lots over the
/// finer one). With an inverse leg (contracts) there is no fixed ratio: 1 each, and the
/// strategy sets each group's units from the lots it sized.
fn lot_units(venues: &[VenueInfo], long: usize, short: usize) -> Result<(i64, i64), ScenarioError> {
    if venues[long].kind == ContractKind::Inverse || venues[short].kind == ContractKind::Inverse {
        return Ok((1, 1));
    }
    let unit = gcd(
        venues[long].lot.size().raw(),
        venues[short].lot.size().raw(),
    )
    .max(1);
    let units = |v: usize| {
        let lot = venues[v].lot;
        i64::try_from(lot.size().raw() / unit).map_err(|_| {
            let why = "is too many times the other leg's lot for a common unit";
            bad(&format!("venue[{v}].lot"), &lot.to_string(), why)
        })
    };
    Ok((units(long)?, units(short)?))
}

/// `execution.policy`: 1 to 4 policies used in turn.
fn policies(e: &ExecutionSpec) -> Result<ArrayVec<Policy, 4>, ScenarioError> {
    let names: Vec<&str> = match &e.policy {
        super::PolicySpec::One(p) => vec![p.as_str()],
        super::PolicySpec::Many(v) => v.iter().map(String::as_str).collect(),
    };
    if names.is_empty() || names.len() > 4 {
        let n = names.len().to_string();
        return Err(bad("execution.policy", &n, "give 1 to 4 policies"));
    }
    let mut out = ArrayVec::new();
    for name in names {
        out.push(match name {
            "rollback" => Policy::Rollback,
            "rebalance" => Policy::Rebalance,
            "accept_partial" => Policy::AcceptPartial,
            "complete" => {
                let k = "execution.complete_budget_ms";
                Policy::Complete {
                    budget_ns: check::ms(k, e.complete_budget_ms, 1, MAX_WAIT_MS)?,
                    max_slippage_bps: ratio_of(
                        "execution.max_slippage_bps",
                        &e.max_slippage_bps,
                        Decimal::ZERO,
                        Decimal::from_i64(10_000),
                    )?,
                }
            }
            other => {
                let why = "expected rollback, rebalance, complete or accept_partial";
                return Err(bad("execution.policy", other, why));
            }
        });
    }
    Ok(out)
}

/// `execution.silence_limit_ms` in ns: at least the request timeout (a venue gets one
/// query at least), and within range.
fn silence_limit_ns(ms: u64, request_timeout_ms: u64) -> Result<u64, ScenarioError> {
    let key = "execution.silence_limit_ms";
    if ms < request_timeout_ms {
        let why = format!("must be at least request_timeout_ms ({request_timeout_ms})");
        return Err(bad(key, &ms.to_string(), why));
    }
    check::ms(key, ms, 1, MAX_WAIT_MS)
}
