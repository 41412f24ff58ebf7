//! A small driver for scripted scenarios: a group on simulated exchanges with fixed
//! latency, risk on every order, and helpers to move the market at chosen times.

use arrayvec::ArrayVec;
use legcore::book::{Depth, Level, OrderSide, Side};
use legcore::group::{check_command, Group, GroupCommand, GroupError, LegPlan, LegRisk};
use legcore::group::{Outcome, Policy};
use legcore::instrument::InstrumentRules;
use legcore::leg::{Arrival, Command, Fees, LegError, Mode, OrderError, OrderEvent};
use legcore::num::{Decimal, Ratio, Step};
use legcore::risk::{RiskState, VenueLimits};
use legcore::sim::SimVenue;
use legcore::sim::{FaultPlan, Latency, SimExchange};
use legcore::venue::{Delivery, OrderRef, Request};
use legcore::walk::Recommendation;

pub type Cmds = ArrayVec<GroupCommand, 64>;

/// One-way latency of every message.
pub const LATENCY_NS: u64 = 100;
/// How long a venue may stay silent about an order before its leg gives up.
pub const SILENCE_NS: u64 = 100 * LATENCY_NS;

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
        venue,
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
    /// Risk refused a command.
    Refused(usize, GroupCommand),
    /// A report reached the group (`.2`: applied, or refused as a duplicate/stale).
    Got(usize, OrderEvent, bool),
}

pub struct Scenario {
    pub x: Vec<SimExchange>,
    pub g: Group,
    pub tops: Vec<Arrival>,
    pub risk: RiskState,
    pub legs_risk: Vec<LegRisk>,
    pub now: u64,
    pub notes: Vec<(u64, Note)>,
}

fn id_of(c: &GroupCommand) -> u64 {
    OrderRef::new(0, c.leg, c.part, c.cmd.slot())
        .unwrap()
        .wire()
}

impl Scenario {
    /// Leg `i` trades `books[i]` on its own exchange (venue `i`), faults from `plans`.
    pub fn new(plans: &[LegPlan], books: Vec<SimVenue>, policy: Policy) -> Scenario {
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
                max_order_notional: Decimal::from_i64(100_000),
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
        let g = Group::new(plans, policy)
            .unwrap()
            .with_request_timeout(10 * LATENCY_NS)
            .with_silence_limit(SILENCE_NS);
        Scenario {
            x,
            g,
            tops,
            risk,
            legs_risk,
            now: 0,
            notes: Vec::new(),
        }
    }

    /// Sends every entry at time 0, through the pre-flight and risk.
    pub fn start(&mut self) {
        let mut cmds = Cmds::new();
        let (tops, legs) = (self.tops.clone(), self.legs_risk.clone());
        self.g
            .start_checked(&tops, &legs, &mut self.risk, id_of, self.now, &mut cmds)
            .unwrap();
        for c in &cmds {
            self.notes.push((self.now, Note::Sent(c.leg, *c)));
            let req = Request::from_command(c, 0).unwrap();
            self.x[c.leg].send(0, req, self.now).unwrap();
        }
    }

    /// Runs every message and deadline due up to `t`, in time order.
    pub fn run_until(&mut self, t: u64) {
        loop {
            let due = self.x.iter().filter_map(SimExchange::next_due).min();
            let next = [due, self.g.next_deadline()].into_iter().flatten().min();
            match next {
                Some(n) if n <= t => self.now = self.now.max(n),
                _ => break,
            }
            self.turn();
        }
        self.now = self.now.max(t);
    }

    /// Runs until the group is done and nothing is in flight.
    pub fn run_to_end(&mut self) -> Outcome {
        while self.g.outcome().is_none() || self.x.iter().any(|x| x.in_flight() > 0) {
            let due = self.x.iter().filter_map(SimExchange::next_due).min();
            let next = [due, self.g.next_deadline()].into_iter().flatten().min();
            self.now = self
                .now
                .max(next.expect("a live group has something pending"));
            assert!(self.now < 1_000_000_000, "no quiescence");
            self.turn();
        }
        self.g.settle_risk(&mut self.risk);
        self.g.outcome().unwrap()
    }

    fn turn(&mut self) {
        let mut cmds = Cmds::new();
        for v in 0..self.x.len() {
            let mut out: ArrayVec<Delivery, 1> = ArrayVec::new();
            while self.x[v].poll(self.now, &mut out).unwrap() {
                if let Some(Delivery::Report { report, .. }) = out.pop() {
                    let (part, slot) = (report.order.part(), report.order.slot());
                    let ev = report.kind.event();
                    let r = self
                        .g
                        .on_order(v, part, slot, ev, &self.tops, self.now, &mut cmds);
                    match r {
                        Ok(_) => self.notes.push((self.now, Note::Got(v, ev, true))),
                        Err(GroupError::Leg {
                            source: LegError::Order(e),
                            ..
                        }) => {
                            assert!(matches!(
                                e,
                                OrderError::DuplicateFill(_) | OrderError::InvalidTransition { .. }
                            ));
                            self.notes.push((self.now, Note::Got(v, ev, false)));
                        }
                        Err(e) => panic!("{e}"),
                    }
                    self.dispatch(&mut cmds);
                }
            }
        }
        if self.g.next_deadline().is_some_and(|d| d <= self.now) {
            self.g.on_timeout(&self.tops, self.now, &mut cmds).unwrap();
            self.dispatch(&mut cmds);
        }
    }

    fn dispatch(&mut self, cmds: &mut Cmds) {
        let mut i = 0;
        while i < cmds.len() {
            let c = cmds[i];
            i += 1;
            let cid = id_of(&c);
            let legs = self.legs_risk.clone();
            let ok = check_command(&c, cid, &legs, &self.tops, &mut self.risk, self.now);
            if ok.is_err() {
                self.notes.push((self.now, Note::Refused(c.leg, c)));
                if let Command::Submit { slot, .. } = c.cmd {
                    let mut more = Cmds::new();
                    let ev = OrderEvent::Rejected;
                    let tops = self.tops.clone();
                    self.g
                        .on_order(c.leg, c.part, slot, ev, &tops, self.now, &mut more)
                        .unwrap();
                    cmds.extend(more);
                }
                continue;
            }
            self.notes.push((self.now, Note::Sent(c.leg, c)));
            let req = Request::from_command(&c, 0).unwrap();
            self.x[c.leg].send(0, req, self.now).unwrap();
        }
        cmds.clear();
    }

    /// The market trades through `price` on leg `leg`'s book now: a level of `qty` on
    /// `side` appears (filling resting orders it crosses as maker) and is gone again.
    pub fn trade_through(&mut self, leg: usize, side: Side, price: i64, qty: i64) {
        let b = self.x[leg].book_mut(0).unwrap();
        let seq = b.ladder().seq() + 1;
        b.ladder_mut().set_level(side, price, qty, seq).unwrap();
        self.x[leg].on_book(0, self.now).unwrap();
        let b = self.x[leg].book_mut(0).unwrap();
        b.ladder_mut().set_level(side, price, 0, seq + 1).unwrap();
    }

    /// Submits sent on `leg`, as (part, tif is IOC, qty, reduce_only).
    pub fn submits(&self, leg: usize) -> Vec<(usize, bool, i64, bool)> {
        self.notes
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
        self.x[leg].books()[0].position_lots()
    }

    /// Every venue fill was recorded exactly once by the group.
    pub fn assert_fills_recorded_once(&self) {
        for leg in 0..self.x.len() {
            let traded = self.x[leg].books()[0].traded_lots();
            assert_eq!(self.g.reported_lots(leg), Some(traded), "leg {leg}");
        }
    }

    /// Prints the notes (for a failing scenario).
    pub fn dump(&self) -> String {
        let lines: Vec<String> = self
            .notes
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
    s.x[1].set_plan(faults);
    s
}
