//! Through the real runtime (loop and gateway threads over simulated exchanges): a fill
//! reported after its group ended reaches the journal's last end of the group, and a
//! venue that stays silent forever ends its group `unhedged` within the silence limit,
//! with the other leg unwound, risk reducing and the run over (issue 11 #9 and #10).

mod common;

use common::risk::wide_open;
use legcore::index::{BookId, JobId, LegIdx, VenueId};

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use legcore::book::{Depth, Level, OrderSide};
use legcore::group::{LegPlan, LegRecord, LegRisk, Outcome, Policy};
use legcore::instrument::InstrumentRules;
use legcore::journal::Record;
use legcore::journal::Recorder;
use legcore::leg::{Arrival, Fees, Mode};
use legcore::num::{Ratio, Step};
use legcore::risk::KillSwitch;
use legcore::runtime::{run_setup, Config, Job, RunReport, Setup, Venue, Wait};
use legcore::sim::{Fault, FaultPlan, Latency, SimExchange, SimVenue};
use legcore::strategy::NoStrategy;
use legcore::walk::Recommendation;

const FEES: Fees = Fees {
    maker_e8: 2_000,
    taker_e8: 5_000,
};

/// Journal records, kept in memory.
#[derive(Clone, Default)]
struct Kept(Arc<Mutex<Vec<Record>>>);

impl Recorder for Kept {
    fn record(&mut self, r: &Record) {
        self.0.lock().unwrap().push(r.clone());
    }
    fn finish(&mut self) {}
}

impl Kept {
    /// The leg records of job `job`'s last `ended` record, and how many it has.
    fn last_end(&self, job: usize) -> (Vec<LegRecord>, usize, Outcome) {
        let recs = self.0.lock().unwrap();
        let ends: Vec<_> = recs
            .iter()
            .filter_map(|r| match r {
                Record::Ended {
                    job: j,
                    legs,
                    outcome,
                    ..
                } if *j == JobId::new(job) => Some((legs.iter().map(|l| l.1).collect(), *outcome)),
                _ => None,
            })
            .collect();
        let (legs, outcome) = ends.last().cloned().expect("the group ended");
        (legs, ends.len(), outcome)
    }
}

fn exchange(plan: FaultPlan, seed: u64) -> SimExchange {
    let lv = |price_ticks, qty_lots| Level {
        price_ticks,
        qty_lots,
    };
    let mut v = SimVenue::new(8, 8).with_fees(FEES);
    v.ladder_mut()
        .apply_snapshot(&[lv(99, 10)], &[lv(101, 10)], 1, Depth::Complete)
        .unwrap();
    SimExchange::new(vec![v], Latency::Fixed { ns: 1_000 }, plan, seed)
}

fn job(legs: &[(usize, OrderSide, Mode)], policy: Policy) -> Job {
    let one = Step::parse("1").unwrap();
    let rules = InstrumentRules::linear(one, one);
    let top = Arrival {
        bid_ticks: 99,
        ask_ticks: 101,
        recommendation: Recommendation::UseLimit,
        expected_price_ticks: None,
    };
    let plan = |&(venue, side, mode): &(usize, OrderSide, Mode)| LegPlan {
        venue: VenueId::new(venue),
        side,
        qty_lots: 4,
        lot_units: 1,
        mode,
        max_slippage_bps: Ratio::from_num(400),
        fees: FEES,
    };
    Job {
        plans: legs.iter().map(plan).collect(),
        books: vec![BookId::new(0); legs.len()],
        tops: vec![top; legs.len()],
        risk: legs
            .iter()
            .map(|l| LegRisk {
                venue: VenueId::new(l.0),
                rules,
            })
            .collect(),
        policy,
        after_md_lines: 0,
    }
}

/// Runs `job` on `exchanges` with a journal, failing (not hanging) if the run does not
/// end within a minute.
fn run_journaled(
    config: Config,
    exchanges: Vec<SimExchange>,
    job: Job,
) -> (RunReport<SimExchange>, Kept) {
    let kept = Kept::default();
    let setup = Setup {
        risk: wide_open(exchanges.len()),
        gateways: exchanges.into_iter().map(Venue::Local).collect(),
        feeds: Vec::new(),
        jobs: vec![job],
        strategy: NoStrategy,
        strategy_groups: 0,
        recorder: Some(Box::new(kept.clone())),
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(run_setup(&config, setup));
    });
    let report = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the run ended")
        .unwrap();
    (report, kept)
}

/// A silence limit of 200 ms: ten times what a healthy venue's thread could be starved
/// for on two busy cores (with 20 ms, a starved gateway could make the healthy leg look
/// silent too).
fn config() -> Config {
    Config {
        wait: Wait::SpinThenYield { spins: 100 },
        gateway_wait: Wait::SpinThenYield { spins: 100 },
        request_timeout_ns: 1_000_000,
        silence_limit_ns: 200_000_000,
        ..Config::default()
    }
}

#[test]
fn a_fill_after_the_groups_end_reaches_its_last_end_record() {
    // The passive buy is matched just before its cancel; the venue acks the cancel with
    // the filled size (the group ends on it) and reports the fill after (issue 11 #9).
    let plan = FaultPlan {
        fill_after_cancel_ppm: 1_000_000,
        ..FaultPlan::NONE
    };
    let passive = Mode::LimitOnly {
        timeout_ns: 2_000_000,
    };
    let job = job(&[(0, OrderSide::Buy, passive)], Policy::AcceptPartial);
    let (report, kept) = run_journaled(config(), vec![exchange(plan, 1)], job);
    let venue = &report.gateways[0].books()[0];
    assert_eq!(report.gateways[0].counts().get(Fault::FillAfterCancel), 1);
    let traded = venue.traded_lots();
    assert!((1..=3).contains(&traded), "{traded}");
    let (legs, ends, outcome) = kept.last_end(0);
    assert_eq!(outcome, Outcome::Rebalanced);
    assert_eq!(ends, 2, "ended on the ack, then again with the late fill");
    let rec = legs[0];
    assert_eq!(rec.filled_lots, traded);
    assert_eq!(rec.avg_price_ticks, Some(Ratio::from_num(100)));
    assert_eq!(rec.notional_tl, -venue.cash_tl());
    assert_eq!(
        rec.fees_tl_e8,
        venue.fees_tl_e8(),
        "fees as the venue charged"
    );
    assert_eq!(report.groups[0].leg_record(LegIdx::new(0)), Some(rec));
}

#[test]
fn a_venue_silent_forever_ends_the_group_unhedged_and_the_run() {
    // Venue 1 loses every request: the short's entry and every query (issue 11 #10).
    let silent = FaultPlan {
        lost_request_ppm: 1_000_000,
        ..FaultPlan::NONE
    };
    let legs = [
        (0, OrderSide::Buy, Mode::MarketOnly),
        (1, OrderSide::Sell, Mode::MarketOnly),
    ];
    let x = vec![exchange(FaultPlan::NONE, 1), exchange(silent, 2)];
    let cfg = config();
    let bound = cfg.silence_limit_ns;
    let (report, kept) = run_journaled(cfg, x, job(&legs, Policy::Rollback));
    let g = &report.groups[0];
    assert_eq!(g.outcome(), Some(Outcome::Unhedged));
    let (start, end) = g.times_ns();
    assert!(
        end - start >= bound,
        "gave up before the bound: {} ns",
        end - start
    );
    let pos = |v: usize| report.gateways[v].books()[0].position_lots();
    assert_eq!((pos(0), pos(1)), (0, 0), "the filled long was unwound");
    assert_eq!(report.gateways[0].books()[0].traded_lots(), 8);
    assert_eq!(report.kill_switch, KillSwitch::Reducing);
    let inc = g.incident().unwrap();
    assert!(inc.legs[1].silent && !inc.legs[0].silent, "{}", inc.summary);
    let (_, _, outcome) = kept.last_end(0);
    assert_eq!(outcome, Outcome::Unhedged, "journaled");
}

/// Venue 1's reports all come 600 ms late, past the 200 ms silence limit: the group gives
/// up on the short, unwinds the long and ends. The short's fill then arrives after the
/// run has decided it is done: the group reopens and unwinds the short too, on a venue
/// that must not have stopped in the meantime. With a request timeout past the silence
/// limit no status query is in flight, so the fill is the last thing the venue owes:
/// a gateway that stopped once it had nothing in flight would be gone before the unwind.
#[test]
fn a_fill_arriving_after_the_run_is_done_is_still_unwound() {
    let late = FaultPlan {
        spike_ppm: 1_000_000,
        spike_ns: 600_000_000,
        ..FaultPlan::NONE
    };
    let legs = [
        (0, OrderSide::Buy, Mode::MarketOnly),
        (1, OrderSide::Sell, Mode::MarketOnly),
    ];
    for request_timeout_ns in [1_000_000, 300_000_000] {
        let x = vec![exchange(FaultPlan::NONE, 1), exchange(late, 2)];
        let cfg = Config {
            request_timeout_ns,
            ..config()
        };
        let (report, kept) = run_journaled(cfg, x, job(&legs, Policy::Rollback));
        let pos = |v: usize| report.gateways[v].books()[0].position_lots();
        assert_eq!((pos(0), pos(1)), (0, 0), "both legs unwound to flat");
        assert_eq!(report.unaccounted, 0, "a command went to a stopped venue");
        let (_, ends, outcome) = kept.last_end(0);
        assert!(
            ends >= 2,
            "ended, then reopened by the late fill and ended again"
        );
        assert_eq!(outcome, Outcome::Flat);
    }
}

#[test]
fn a_bad_silence_limit_exits_2_naming_the_key() {
    // The bound is a scenario value: below the request timeout (no query would be sent)
    // or past u64 nanoseconds, it is refused.
    let root = env!("CARGO_MANIFEST_DIR");
    let base = std::fs::read_to_string(format!("{root}/scenarios/carry.toml")).unwrap();
    let dir = std::env::temp_dir().join(format!("legcore-waits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (value, why) in [
        ("999", "at least request_timeout_ms"),
        ("18446744073710", "must be 1..=3600000 ms"),
    ] {
        let text = base.replace("../data/", &format!("{root}/data/")).replace(
            "request_timeout_ms = 1000",
            &format!("request_timeout_ms = 1000\nsilence_limit_ms = {value}"),
        );
        let path = dir.join("bad.toml");
        std::fs::write(&path, text).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_legcore"))
            .args(["run", "--quiet", "--scenario", path.to_str().unwrap()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains("execution.silence_limit_ms"), "{err}");
        assert!(err.contains(value) && err.contains(why), "{err}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
