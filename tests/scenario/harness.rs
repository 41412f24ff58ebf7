//! A small harness for scripted scenarios: a group in the production engine
//! ([`Engine`]), driven in virtual time against simulated exchanges with fixed latency
//! ([`Drive`]), risk on every order, and helpers to move the market at chosen times. It
//! only watches (an [`Observer`] keeps notes of what left and arrived); the engine
//! decides.

use legcore::index::{BookId, JobId, LegIdx, VenueId};

use legcore::book::{Depth, Level, OrderSide, Side};
use legcore::engine::{Engine, EngineConfig, Job, Output, Prepared};
use legcore::group::{check_command, Group, GroupCommand, LegPlan, LegRisk};
use legcore::group::{Outcome, Policy};
use legcore::instrument::InstrumentRules;
use legcore::journal::Record;
use legcore::leg::{Arrival, Command, Fees, Mode, OrderEvent};
use legcore::num::{Decimal, Ratio, Step};
use legcore::risk::{RiskReject, RiskState, VenueLimits};
use legcore::sim::{Drive, Observer, Still};
use legcore::sim::{FaultPlan, Latency, SimExchange, SimVenue};
use legcore::strategy::NoStrategy;
use legcore::walk::Recommendation;

/// One-way latency of every message.
pub const LATENCY_NS: u64 = 100;
/// How long a venue may stay silent about an order before its leg gives up.
pub const SILENCE_NS: u64 = 100 * LATENCY_NS;
/// Virtual time by which a scenario must be quiet.
const QUIET_BY_NS: u64 = 1_000_000_000;

/// A book with `bids` and `asks` as (price, size) pairs.
pub fn book(bids: &[(i64, i64)], asks: &[(i64, i64)]) -> SimVenue {
    let lv = |&(price_ticks, qty_lots): &(i64, i64)| Level {
        price_ticks,
        qty_lots,
    };
    let bids: Vec<Level> = bids.iter().map(lv).collect();
    let asks: Vec<Level> = asks.iter().map(lv).collect();
    let mut v = SimVenue::new(16, 16);
    v.ladder_mut()
        .apply_snapshot(&bids, &asks, 1, Depth::Complete)
        .unwrap();
    v
}

/// A leg plan on `venue` for `qty` lots of 1 unit.
pub fn plan(venue: usize, side: OrderSide, qty: i64, mode: Mode) -> LegPlan {
    LegPlan {
        venue: VenueId::new(venue),
        side,
        qty_lots: qty,
        lot_units: 1,
        mode,
        max_slippage_bps: Ratio::from_num(400),
        fees: Fees {
            maker_e8: 0,
            taker_e8: 50_000,
        },
    }
}

/// What happened, in order, for assertions and for reading a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A command left for leg `.0`'s venue.
    Sent(usize, GroupCommand),
    /// A report reached the group (`.2`: applied, or refused as a duplicate/stale).
    Got(usize, OrderEvent, bool),
}

/// The notes, kept as the driver runs, and the group's last end as the engine journals
/// it.
#[derive(Debug, Default)]
pub struct Notes(pub Vec<(u64, Note)>, pub Option<Record>);

impl Notes {
    /// The notes in order.
    pub fn iter(&self) -> std::slice::Iter<'_, (u64, Note)> {
        self.0.iter()
    }
}

impl Observer<NoStrategy> for Notes {
    fn sent(&mut self, _: &Engine, out: &Output, now: u64) {
        if let Output::Request { cmd, .. } = *out {
            self.0.push((now, Note::Sent(cmd.leg.index(), cmd)));
        }
    }

    fn record(&mut self, e: &Engine, r: &Record) {
        if let Record::Ended { .. } = r {
            self.1 = Some(r.clone());
        }
        if let Record::Report {
            client_id,
            kind,
            taken,
            t_ns,
            ..
        } = *r
        {
            let leg = e.order_of(client_id).leg;
            self.0
                .push((t_ns, Note::Got(leg.index(), kind.event(), taken)));
        }
    }
}

pub struct Scenario {
    pub drive: Drive<NoStrategy>,
    pub notes: Notes,
    legs_risk: Vec<LegRisk>,
    job: Option<Job>,
}

fn engine_config() -> EngineConfig {
    EngineConfig {
        request_timeout_ns: 10 * LATENCY_NS,
        silence_limit_ns: SILENCE_NS,
        pace_budget_ns: 1_000 * LATENCY_NS,
        settle_risk: true,
        job_base: 0,
        journal: true,
        jobs: 1,
        strategy_groups: 0,
    }
}

impl Scenario {
    /// Leg `i` trades `books[i]` on its own exchange (venue `i`), faults from `plans`.
    pub fn new(plans: &[LegPlan], books: Vec<SimVenue>, policy: Policy) -> Scenario {
        Scenario::with_order_cap(plans, books, policy, Decimal::from_i64(100_000))
    }

    /// [`Scenario::new`] with every venue's per-order notional capped at `cap`.
    pub fn with_order_cap(
        plans: &[LegPlan],
        books: Vec<SimVenue>,
        policy: Policy,
        cap: Decimal,
    ) -> Scenario {
        let x = books
            .into_iter()
            .enumerate()
            .map(|(i, b)| {
                let lat = Latency::Fixed { ns: LATENCY_NS };
                SimExchange::new(vec![b], lat, FaultPlan::NONE, i as u64)
            })
            .collect::<Vec<_>>();
        let mut risk = RiskState::new(Decimal::from_i64(1_000_000));
        let rules = InstrumentRules::linear(Step::parse("1").unwrap(), Step::parse("1").unwrap());
        let mut legs_risk = Vec::new();
        for p in plans {
            let limits = VenueLimits {
                max_order_notional: cap,
                collar_bps: Ratio::from_num(1_000),
                max_open_orders: 8,
                msgs_per_sec: 1_000_000_000,
                burst: 1_000,
            };
            let venue = risk.add_venue(limits, 0).unwrap();
            legs_risk.push(LegRisk { venue, rules });
            assert_eq!(venue, p.venue);
        }
        let tops = x
            .iter()
            .map(|e: &SimExchange| {
                let l = e.books()[0].ladder();
                Arrival {
                    bid_ticks: l.best_bid().map_or(99, |b| b.price_ticks),
                    ask_ticks: l.best_ask().map_or(101, |a| a.price_ticks),
                    recommendation: Recommendation::UseLimit,
                    expected_price_ticks: None,
                }
            })
            .collect();
        let job = Job {
            plans: plans.to_vec(),
            books: vec![BookId::new(0); plans.len()],
            tops,
            risk: legs_risk.clone(),
            policy,
            after_md_lines: 0,
        };
        let engine = Engine::new(engine_config(), risk, Vec::new(), NoStrategy).unwrap();
        Scenario {
            drive: Drive::new(engine, x),
            notes: Notes::default(),
            legs_risk,
            job: Some(job),
        }
    }

    /// Sends every entry now, through the pre-flight and risk.
    pub fn start(&mut self) {
        let job = self.job.take().expect("started once");
        let job = Prepared::new(&engine_config(), job).unwrap();
        self.drive.add_job(job, &mut self.notes).unwrap();
        self.drive.engine.finish();
        assert_eq!(self.drive.engine.refused_at_start(JobId::new(0)), None);
    }

    /// Runs every message and deadline due up to `t`, in time order.
    pub fn run_until(&mut self, t: u64) {
        self.drive
            .run_until(t, &mut Still, &mut self.notes)
            .unwrap();
    }

    /// Runs until the group is done and nothing is in flight.
    pub fn run_to_end(&mut self) -> Outcome {
        let d = &mut self.drive;
        d.run_to_end(QUIET_BY_NS, &mut Still, &mut self.notes)
            .unwrap();
        let c = d.engine.counters();
        assert_eq!(
            c.reports_unexpected, 0,
            "only duplicates and stale reports are refused"
        );
        self.group().outcome().unwrap()
    }

    /// The group.
    pub fn group(&self) -> &Group {
        self.drive.engine.group(JobId::new(0)).expect("started")
    }

    /// The venues.
    pub fn venues(&self) -> &[SimExchange] {
        &self.drive.venues
    }

    /// Venue `v`, to change its faults.
    pub fn venue(&mut self, v: usize) -> &mut SimExchange {
        &mut self.drive.venues[v]
    }

    /// The engine's risk state.
    pub fn risk(&self) -> &RiskState {
        self.drive.engine.risk()
    }

    /// Virtual time, ns.
    pub fn now(&self) -> u64 {
        self.drive.now()
    }

    /// Whether the engine's risk state would pass `c` now (on a copy: nothing changes).
    pub fn check(&self, c: &GroupCommand) -> Result<(), RiskReject> {
        let mut risk = self.risk().clone();
        let tops = self.drive.engine.tops(JobId::new(0)).expect("started");
        check_command(c, 99_999, &self.legs_risk, tops, &mut risk, self.now())
    }

    /// The market trades through `price` on leg `leg`'s book now: a level of `qty` on
    /// `side` appears (filling resting orders it crosses as maker) and is gone again.
    pub fn trade_through(&mut self, leg: usize, side: Side, price: i64, qty: i64) {
        let now = self.now();
        let x = self.venue(leg);
        let b = x.book_mut(BookId::new(0)).unwrap();
        let seq = b.ladder().seq() + 1;
        b.ladder_mut().set_level(side, price, qty, seq).unwrap();
        x.on_book(BookId::new(0), now).unwrap();
        let b = x.book_mut(BookId::new(0)).unwrap();
        b.ladder_mut().set_level(side, price, 0, seq + 1).unwrap();
    }

    /// Submits sent on `leg`, as (part, tif is IOC, qty, reduce_only).
    pub fn submits(&self, leg: usize) -> Vec<(usize, bool, i64, bool)> {
        self.notes
            .0
            .iter()
            .filter_map(|(_, n)| match n {
                Note::Sent(
                    l,
                    GroupCommand {
                        part,
                        cmd:
                            Command::Submit {
                                tif,
                                qty_lots,
                                reduce_only,
                                ..
                            },
                        ..
                    },
                ) if *l == leg => Some((
                    *part,
                    *tif == legcore::leg::Tif::Ioc,
                    *qty_lots,
                    *reduce_only,
                )),
                _ => None,
            })
            .collect()
    }

    /// Position on leg `leg`'s venue, lots (+ long).
    pub fn position(&self, leg: usize) -> i64 {
        self.venues()[leg].books()[0].position_lots()
    }

    /// Every venue fill was recorded exactly once by the group.
    pub fn assert_fills_recorded_once(&self) {
        for leg in 0..self.venues().len() {
            let traded = self.venues()[leg].books()[0].traded_lots();
            assert_eq!(
                self.group().reported_lots(LegIdx::new(leg)),
                Some(traded),
                "leg {leg}"
            );
        }
    }

    /// Prints the notes (for a failing scenario).
    pub fn dump(&self) -> String {
        let lines: Vec<String> = self
            .notes
            .0
            .iter()
            .map(|(t, n)| format!("{t:>6} {n:?}"))
            .collect();
        lines.join("\n")
    }
}

/// Buy on venue 0 and sell on venue 1.
pub fn pair(qty: i64, buy: Mode, sell: Mode) -> [LegPlan; 2] {
    [
        plan(0, OrderSide::Buy, qty, buy),
        plan(1, OrderSide::Sell, qty, sell),
    ]
}

/// Market orders of `qty` lots, a buy on venue 0 and a sell on venue 1, both books 10 lots
/// at 99 / 101, resolved by `policy`; venue 1 faults by `faults`.
pub fn market_pair(qty: i64, policy: Policy, faults: FaultPlan) -> Scenario {
    let books = vec![
        book(&[(99, 10)], &[(101, 10)]),
        book(&[(99, 10)], &[(101, 10)]),
    ];
    let legs = pair(qty, Mode::MarketOnly, Mode::MarketOnly);
    let mut s = Scenario::new(&legs, books, policy);
    s.venue(1).set_plan(faults);
    s
}
