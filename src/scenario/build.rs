//! A valid [`Scenario`] turned into what the runtime runs: one simulated exchange per
//! venue whose book follows its recorded feed, the risk state, the feeds, the
//! cash-and-carry strategy and the runtime [`Config`]. Every value is checked here and
//! a refusal names its key.

use std::path::Path;
use std::sync::Arc;

use super::check::{self, MAX_FAULT_MS, MAX_LATENCY_US, MAX_TAIL_SCALE_US, MAX_WAIT_MS};
use super::feeds::{check_live, check_overlap};
use super::{
    bad, dec, step, FaultSpec, LatencySpec, LimitsSpec, ModeSpec, Scenario, ScenarioError,
};
use crate::feed::binance::Market;
use crate::group::Policy;
use crate::instrument::{ContractKind, InstrumentRules};
use crate::leg::{Fees, Mode, MAX_REPRICES};
use crate::num::{ratio, Decimal, Ratio, Step};
use crate::risk::{RiskState, VenueLimits};
use crate::runtime::{Config, Feed, Speed, Tape, Wait};
use crate::sim::{FaultPlan, Latency, SimExchange, SimVenue};
use crate::strategy::{Carry, CarryLeg, CarryParams};
use crate::walk::Thresholds;

/// A venue's names and units, for journals and reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueInfo {
    /// Venue name.
    pub name: String,
    /// Instrument name.
    pub instrument: String,
    /// Price tick.
    pub tick: Step,
    /// Quantity lot.
    pub lot: Step,
    /// The quote currency (`USDT`): the unit of its fees, losses and P&L.
    pub quote: String,
}

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
    pub strategy: Carry,
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
        let mut exchanges = Vec::new();
        let mut feeds = Vec::new();
        let mut venues = Vec::new();
        let mut rules = Vec::new();
        let mut fees = Vec::new();
        let mut md_lines = 0u64;
        for (i, v) in self.venue.iter().enumerate() {
            let key = |k: &str| format!("venue[{i}].{k}");
            if venues.iter().any(|x: &VenueInfo| x.name == v.name) {
                return Err(bad(&key("name"), &v.name, "two venues have this name"));
            }
            let tick = step(&key("tick"), &v.tick)?;
            let lot = step(&key("lot"), &v.lot)?;
            let min_notional = dec(&key("min_notional"), &v.min_notional)?;
            let r = InstrumentRules::new(
                tick,
                lot,
                1,
                min_notional,
                Decimal::ONE,
                ContractKind::Linear,
            )
            .map_err(|e| bad(&key("min_notional"), &v.min_notional, e.to_string()))?;
            let f = Fees {
                maker_e8: fee(&key("maker_fee"), &v.maker_fee)?,
                taker_e8: fee(&key("taker_fee"), &v.taker_fee)?,
            };
            let market = match v.market.as_str() {
                "spot" => Market::Spot,
                "futures" => Market::Futures,
                other => return Err(bad(&key("market"), other, "expected spot or futures")),
            };
            if !(16..=1 << 20).contains(&v.levels) {
                return Err(bad(
                    &key("levels"),
                    &v.levels.to_string(),
                    "must be 16..=1048576",
                ));
            }
            let latency = latency(&key("latency"), &v.latency)?;
            let plan = faults(&key("faults"), &v.faults)?;
            let limits = limits(&key("limits"), &v.limits)?;
            let path = Scenario::resolve(dir, &v.feed);
            let tape = Tape::from_gz_file(&path).map_err(|source| ScenarioError::Data {
                key: key("feed"),
                path: path.display().to_string(),
                source,
            })?;
            if tape.is_empty() {
                let why = format!(
                    "the capture has no `<local_ns> <json>` lines ({} other lines)",
                    tape.skipped()
                );
                return Err(bad(&key("feed"), &v.feed, why));
            }
            md_lines += tape.len() as u64;
            let feed = Feed {
                tape: Arc::new(tape),
                venue: i,
                book: 0,
                market,
                tick,
                lot,
                levels_per_side: v.levels,
                max_update_levels: 4_096,
            };
            check_live(i, v, &feed)?;
            feeds.push(feed);
            let book = SimVenue::new(v.levels, 4_096).with_fees(f);
            let seed = self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i as u64;
            exchanges.push(SimExchange::new(vec![book], latency, plan, seed));
            risk.add_venue(limits, 0)
                .ok_or_else(|| bad(&key("limits"), "", "risk refused the limits"))?;
            venues.push(VenueInfo {
                name: v.name.clone(),
                instrument: v.instrument.clone(),
                tick,
                lot,
                quote: super::quote_currency(v.quote.as_deref(), &v.instrument),
            });
            rules.push(r);
            fees.push(f);
        }
        let spans: Vec<_> = feeds.iter().map(|f| f.tape.span()).collect();
        check_overlap(&self.venue, &spans)?;
        let s = &self.strategy;
        if s.kind != "carry" {
            return Err(bad("strategy.kind", &s.kind, "only \"carry\" exists"));
        }
        let find = |k: &str, name: &str| {
            venues
                .iter()
                .position(|v| v.name == name)
                .ok_or_else(|| bad(k, name, "no venue has this name"))
        };
        let (long, short) = (
            find("strategy.long", &s.long)?,
            find("strategy.short", &s.short)?,
        );
        if long == short {
            return Err(bad("strategy.short", &s.short, "is also the long venue"));
        }
        let e = &self.execution;
        let names: Vec<&str> = match &e.policy {
            super::PolicySpec::One(p) => vec![p.as_str()],
            super::PolicySpec::Many(v) => v.iter().map(String::as_str).collect(),
        };
        if names.is_empty() || names.len() > 4 {
            let n = names.len().to_string();
            return Err(bad("execution.policy", &n, "give 1 to 4 policies"));
        }
        let mut policies = arrayvec::ArrayVec::new();
        for name in names {
            policies.push(match name {
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
        let max_slip = ratio_of(
            "execution.max_slippage_bps",
            &e.max_slippage_bps,
            Decimal::from_raw(1).unwrap_or(Decimal::ZERO),
            Decimal::from_i64(10_000),
        )?;
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
        let (long_units, short_units) = (units(long)?, units(short)?);
        let leg = |v: usize, lot_units: i64, m: Mode| CarryLeg {
            feed: v,
            venue: v,
            book: 0,
            rules: rules[v],
            lot_units,
            fees: fees[v],
            mode: m,
            max_slippage_bps: max_slip,
        };
        let size_usd = check::positive("strategy.size_usd", &s.size_usd)?;
        if !(1..=4_096).contains(&s.max_groups) {
            let k = "strategy.max_groups";
            return Err(bad(k, &s.max_groups.to_string(), "must be 1..=4096"));
        }
        let params = CarryParams {
            spot: leg(long, long_units, mode("execution.long_mode", &e.long_mode)?),
            perp: leg(
                short,
                short_units,
                mode("execution.short_mode", &e.short_mode)?,
            ),
            size_usd,
            open_above_bps: dec("strategy.open_above_bps", &s.open_above_bps)?,
            close_below_bps: dec("strategy.close_below_bps", &s.close_below_bps)?,
            cooldown_ns: check::ms("strategy.cooldown_ms", s.cooldown_ms, 0, MAX_WAIT_MS)?,
            max_cycles: check::at_least_one("strategy.max_cycles", s.max_cycles)?,
            policies,
            thresholds: Thresholds::default(),
        };
        let wait = match self.runtime.wait.as_str() {
            "busy_spin" => Wait::BusySpin,
            "spin_then_yield" => Wait::SpinThenYield { spins: 1_000 },
            "park" => Wait::Park { idle_ns: 50_000 },
            other => {
                let why = "expected busy_spin, spin_then_yield or park";
                return Err(bad("runtime.wait", other, why));
            }
        };
        let request_timeout_ns = check::ms(
            "execution.request_timeout_ms",
            e.request_timeout_ms,
            1,
            MAX_WAIT_MS,
        )?;
        let silence_limit_ns = silence_limit_ns(e.silence_limit_ms, e.request_timeout_ms)?;
        let config = Config {
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
            silence_limit_ns,
            md_speed: speed,
            md_ring: 1 << 16,
            ..Config::default()
        };
        Ok(Built {
            name: self.name.clone(),
            seed: self.seed,
            exchanges,
            risk,
            feeds,
            strategy: Carry::new(params),
            strategy_groups: s.max_groups,
            config,
            venues,
            md_lines,
            rules,
            fees,
            max_slippage_bps: max_slip,
        })
    }
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
