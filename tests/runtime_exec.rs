//! Execution through the runtime (issue 11, items 5 to 7): a chase leg follows the touch
//! as the loop's book moves, unwinds are priced on the book as it is when they are sent,
//! and an unwind refused by our own rate limiter waits for its token.
//!
//! Each test runs the real loop and gateway threads over simulated venues; the moving
//! books come from small synthetic Binance USD-M tapes (a snapshot, then diffs).

mod common;

use common::risk::paced;
use legcore::index::{BookId, LegIdx, VenueId};

use std::sync::{Arc, Mutex};

use legcore::book::{Depth, Level, OrderSide};
use legcore::group::{LegPlan, LegRisk, Outcome, Policy};
use legcore::instrument::InstrumentRules;
use legcore::journal::Record;
use legcore::journal::Recorder;
use legcore::leg::{Arrival, Command, Fees, Mode, Tif};
use legcore::num::{Ratio, Step};
use legcore::runtime::{run, run_setup, Config, Feed, Job, Setup, Venue};
use legcore::runtime::{Speed, Tape, Wait};
use legcore::sim::{FaultPlan, Latency, SimExchange, SimVenue};
use legcore::strategy::NoStrategy;
use legcore::walk::Recommendation;

/// A price of ticks of 0.1 as Binance writes it.
fn px(ticks: i64) -> String {
    format!("{}.{}", ticks / 10, ticks % 10)
}

/// A tape of one book: a snapshot with bid `tops[0].0` and ask `tops[0].1` (50 lots
/// each, and a lot far out on each side, so the snapshot's depth covers every move), a
/// first diff that leaves it as it is (the book goes live), then one diff per
/// further top, `gap_ns` of recorded time apart, that moves the whole touch there (old
/// levels removed). Replayed at recorded speed, the moves come well after the job starts.
fn tape(tops: &[(i64, i64)], gap_ns: u64) -> Arc<Tape> {
    let (b0, a0) = tops[0];
    let snapshot = concat!(
        r#"1000 {"lastUpdateId":100,"E":1,"T":1,"#,
        r#""bids":[["{B}","50"],["1.0","1"]],"asks":[["{A}","50"],["99999.0","1"]]}"#,
        "\n"
    );
    let mut s = snapshot.replace("{B}", &px(b0)).replace("{A}", &px(a0));
    let diff = |t: u64, u: u64, bids: &str, asks: &str| {
        let head = r#"{"stream":"x@depth@0ms","data":{"e":"depthUpdate","#;
        let seq = format!(r#""E":{t},"T":{t},"s":"X","U":{u},"u":{u},"pu":{}"#, u - 1);
        format!("{t} {head}{seq},\"b\":[{bids}],\"a\":[{asks}]}}}}\n")
    };
    s += &diff(2000, 100, "", "");
    for (k, w) in tops.windows(2).enumerate() {
        let ((ob, oa), (nb, na)) = (w[0], w[1]);
        let lv = |p: i64, q: &str| format!("[\"{}\",\"{q}\"]", px(p));
        let bids = format!("{},{}", lv(ob, "0"), lv(nb, "50"));
        let asks = format!("{},{}", lv(oa, "0"), lv(na, "50"));
        let t = 2000 + (k as u64 + 1) * gap_ns;
        s += &diff(t, 101 + k as u64, &bids, &asks);
    }
    Arc::new(Tape::from_bytes(s.into_bytes()))
}

fn tick() -> Step {
    Step::parse("0.1").unwrap()
}

fn one() -> Step {
    Step::parse("1").unwrap()
}

fn feed(tape: Arc<Tape>) -> Feed {
    Feed {
        tape,
        venue: VenueId::new(0),
        book: BookId::new(0),
        format: legcore::feed::Format::BinanceUsdm,
        tick: tick(),
        lot: one(),
        levels_per_side: 64,
        max_update_levels: 16,
        live: None,
    }
}

/// A static book (ticks of 1): `bids` lots at 99 (none if 0) and 10 at 101.
fn fixed_book(bids: i64) -> SimVenue {
    let lv = |price_ticks, qty_lots| Level {
        price_ticks,
        qty_lots,
    };
    let bid: Vec<Level> = [lv(99, bids)]
        .into_iter()
        .filter(|l| l.qty_lots > 0)
        .collect();
    let mut v = SimVenue::new(8, 8);
    v.ladder_mut()
        .apply_snapshot(&bid, &[lv(101, 10)], 1, Depth::Complete)
        .unwrap();
    v
}

fn exchange(book: SimVenue, seed: u64) -> SimExchange {
    SimExchange::new(vec![book], Latency::Fixed { ns: 0 }, FaultPlan::NONE, seed)
}

/// Venue 0: the fed book (filled by the tape). Venue 1: a static book with no bids.
fn venues() -> Vec<SimExchange> {
    vec![
        exchange(SimVenue::new(64, 16), 0),
        exchange(fixed_book(0), 1),
    ]
}

/// A top placeholder: a fed leg decides on the loop's live book at its start.
const TOP: Arrival = Arrival {
    bid_ticks: 99,
    ask_ticks: 101,
    recommendation: Recommendation::UseLimit,
    expected_price_ticks: None,
};

fn leg(venue: usize, side: OrderSide, mode: Mode, bps: i32) -> LegPlan {
    LegPlan {
        venue: VenueId::new(venue),
        side,
        qty_lots: 2,
        lot_units: 1,
        mode,
        max_slippage_bps: Ratio::from_num(bps),
        fees: Fees::default(),
    }
}

fn job(plans: Vec<LegPlan>, policy: Policy) -> Job {
    let risk = plans
        .iter()
        .map(|p| LegRisk {
            venue: p.venue,
            rules: if p.venue == VenueId::new(0) {
                InstrumentRules::linear(tick(), one())
            } else {
                InstrumentRules::linear(one(), one())
            },
        })
        .collect();
    Job {
        books: vec![BookId::new(0); plans.len()],
        tops: vec![TOP; plans.len()],
        risk,
        plans,
        policy,
        // The snapshot and the first diff: the book is live.
        after_md_lines: 2,
    }
}

/// Keeps every journal record for the test to read.
struct Keep(Arc<Mutex<Vec<Record>>>);

impl Recorder for Keep {
    fn record(&mut self, r: &Record) {
        self.0.lock().unwrap().push(r.clone());
    }
    fn finish(&mut self) {}
}

fn config(speed: Speed) -> Config {
    Config {
        wait: Wait::SpinThenYield { spins: 100 },
        md_speed: speed,
        ..Config::default()
    }
}

/// Item 5: the touch moves up 2 ticks every 25 ms, 20 times (recorded speed); a chase buy
/// reposts at the new passive price (ask − 1 tick) after each move it sees, up to its 4
/// reprices, then takes the rest at its timeout.
#[test]
fn a_chase_leg_reprices_as_the_loops_book_moves() {
    let tops: Vec<(i64, i64)> = (0..=20).map(|k| (10_000 + 2 * k, 10_001 + 2 * k)).collect();
    let chase = Mode::Chase {
        timeout_ns: 700_000_000,
        max_reprices: 4,
        refresh_ticks: 1,
    };
    let kept = Arc::new(Mutex::new(Vec::new()));
    let setup = Setup {
        gateways: venues().into_iter().map(Venue::Local).collect(),
        risk: paced(2, 1_000_000, 1_000, 64),
        feeds: vec![feed(tape(&tops, 25_000_000))],
        jobs: vec![job(
            vec![leg(0, OrderSide::Buy, chase, 400)],
            Policy::Rollback,
        )],
        strategy: NoStrategy,
        strategy_groups: 0,
        recorder: Some(Box::new(Keep(kept.clone()))),
    };
    let report = run_setup(&config(Speed::Times(1)), setup).unwrap();
    let records = kept.lock().unwrap();
    assert_eq!(
        report.groups[0].outcome(),
        Some(Outcome::Filled),
        "{records:?}"
    );
    let sent: Vec<Command> = records
        .iter()
        .filter_map(|r| match r {
            Record::Sent { cmd, .. } => Some(*cmd),
            _ => None,
        })
        .collect();
    let passive: Vec<i64> = sent
        .iter()
        .filter_map(|c| match c {
            Command::Submit {
                tif: Tif::PostOnly,
                price_ticks,
                ..
            } => Some(*price_ticks),
            _ => None,
        })
        .collect();
    let cancels = sent
        .iter()
        .filter(|c| matches!(c, Command::Cancel { .. }))
        .count();
    assert!(passive.len() >= 2, "no repost: {sent:?}");
    assert!(
        passive.windows(2).all(|w| w[1] > w[0]),
        "each repost follows the touch up: {passive:?}"
    );
    // Every repost sits at ask − 1 of some top the book went through.
    assert!(passive.iter().all(|p| tops.iter().any(|t| t.1 - 1 == *p)));
    assert!(cancels >= passive.len() - 1, "{sent:?}");
}

/// Item 6: the buy fills at 1000.1, then (300 ms later) the book drops 5 %; the sell leg
/// rests on a static book until its 600 ms timeout, so the rollback's unwind goes out on
/// the moved book.
/// Priced from the arrival mid (995.05 with 50 bps) it could never fill at 950.0.
#[test]
fn an_unwind_is_priced_on_the_book_as_it_is_when_sent() {
    let tops = [(10_000, 10_001), (9_500, 9_501)];
    let plans = vec![
        leg(0, OrderSide::Buy, Mode::MarketOnly, 50),
        leg(
            1,
            OrderSide::Sell,
            Mode::LimitOnly {
                timeout_ns: 600_000_000,
            },
            50,
        ),
    ];
    let report = legcore::runtime::run_with_feeds(
        &config(Speed::Times(1)),
        venues(),
        paced(2, 1_000_000, 1_000, 64),
        vec![feed(tape(&tops, 300_000_000))],
        vec![job(plans, Policy::Rollback)],
    )
    .unwrap();
    let g = &report.groups[0];
    let x = &report.gateways;
    let positions = (
        x[0].books()[0].position_lots(),
        x[1].books()[0].position_lots(),
    );
    assert_eq!(positions, (0, 0), "{:?}", g.incident());
    assert_eq!(g.outcome(), Some(Outcome::Flat));
    // The arrival stays the start's top (for slippage): bought at 1000.1 against 1000.05.
    let rec = g.leg_record(LegIdx::new(0)).unwrap();
    assert_eq!(rec.avg_price_ticks, Some(Ratio::from_num(10_001)));
}

/// Item 7: one message a venue in the burst and 20 a second. The entries spend the burst,
/// so the unwind of the filled buy finds the bucket empty: it waits about 50 ms for its
/// token instead of counting as a venue reject.
#[test]
fn an_unwind_refused_by_our_own_rate_limit_waits_for_its_token() {
    let gateways = vec![exchange(fixed_book(10), 0), exchange(fixed_book(0), 1)];
    let rules = InstrumentRules::linear(one(), one());
    let j = Job {
        plans: vec![
            leg(0, OrderSide::Buy, Mode::MarketOnly, 400),
            leg(1, OrderSide::Sell, Mode::MarketOnly, 400),
        ],
        books: vec![BookId::new(0), BookId::new(0)],
        tops: vec![TOP, TOP],
        risk: vec![
            LegRisk {
                venue: VenueId::new(0),
                rules,
            },
            LegRisk {
                venue: VenueId::new(1),
                rules,
            },
        ],
        policy: Policy::Rollback,
        after_md_lines: 0,
    };
    let report = run(&config(Speed::Max), gateways, paced(2, 20, 1, 64), vec![j]).unwrap();
    let x = &report.gateways;
    let positions = (
        x[0].books()[0].position_lots(),
        x[1].books()[0].position_lots(),
    );
    assert_eq!(positions, (0, 0), "{:?}", report.groups[0].incident());
    assert_eq!(report.groups[0].outcome(), Some(Outcome::Flat));
    assert_eq!(report.risk_refused, 0, "a rate-limit wait is not a refusal");
    assert!(report.risk_waited >= 1, "the unwind waited for its token");
}
