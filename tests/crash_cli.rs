//! Crash recovery end to end: `legcore run` killed with SIGKILL at several points, then
//! `legcore run --resume`: every group ends, each venue fill is in the journal once, and
//! the journal accounts for every venue's position.
//!
//! [`random_kills_of_runs_and_resumes_leave_the_venues_as_the_journal_accounts`] kills
//! the faulty scenario and then its resumes at random moments, again and again, before
//! a last resume; `LEGCORE_CRASH_POINTS=300` makes it a soak (default 6 points),
//! `LEGCORE_CRASH_SEED` picks the moments.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use legcore::num::{Decimal, Round};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_legcore");

/// The default scenario with a resting spot leg (30 s limit) at 20x: a group stays open
/// while its perp leg is filled, so most kill points find one open.
fn crash_scenario(dir: &Path) -> PathBuf {
    let base =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/carry.toml"))
            .unwrap()
            .replace(
                "long_mode = { kind = \"market\" }",
                "long_mode = { kind = \"limit\", timeout_ms = 30000 }",
            )
            .replace("../data/", &format!("{}/data/", env!("CARGO_MANIFEST_DIR")));
    assert!(base.contains("kind = \"limit\""));
    let p = dir.join("crash.toml");
    std::fs::write(&p, base).unwrap();
    p
}

fn records(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn venue(dir: &Path, i: usize) -> Value {
    let text = std::fs::read_to_string(dir.join(format!("venue-{i}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn check(dir: &Path) {
    let recs = records(dir);
    // Every group that started has ended.
    let started: BTreeSet<u64> = recs
        .iter()
        .filter(|r| r["kind"] == "started")
        .map(|r| r["job"].as_u64().unwrap())
        .collect();
    let ended: BTreeSet<u64> = recs
        .iter()
        .filter(|r| r["kind"] == "ended")
        .map(|r| r["group"]["id"].as_u64().unwrap())
        .chain(
            recs.iter()
                .filter(|r| r["kind"] == "refused")
                .map(|r| r["job"].as_u64().unwrap()),
        )
        .collect();
    assert!(
        started.is_subset(&ended),
        "open: {:?}",
        started.difference(&ended)
    );
    // The journal's fills per order: distinct trade ids, plus what recovery added.
    let mut fills: BTreeMap<u64, BTreeMap<u64, i64>> = BTreeMap::new();
    let mut recovered: BTreeMap<u64, i64> = BTreeMap::new();
    for r in &recs {
        if r["kind"] == "report" {
            if let Some(t) = r["trade_id"].as_u64() {
                let id = r["client_id"].as_u64().unwrap();
                fills
                    .entry(id)
                    .or_default()
                    .insert(t, r["fill_lots"].as_i64().unwrap());
            }
        }
        if r["kind"] == "reconciled" {
            let id = r["client_id"].as_u64().unwrap();
            *recovered.entry(id).or_default() += r["recovered_lots"].as_i64().unwrap();
        }
    }
    for i in 0..2 {
        let v = venue(dir, i);
        let book = &v["books"][0];
        let mut position = 0i64;
        for o in book["orders"].as_array().unwrap() {
            let id = o["client_id"].as_u64().unwrap();
            let venue_filled = o["filled_lots"].as_i64().unwrap();
            let journal = fills.get(&id).map_or(0, |m| m.values().sum::<i64>())
                + recovered.get(&id).copied().unwrap_or(0);
            assert_eq!(journal, venue_filled, "order {id}: each venue fill once");
            assert!(!o["open"].as_bool().unwrap(), "order {id} still rests");
            let sign = if o["buy"].as_bool().unwrap() { 1 } else { -1 };
            position += sign * journal;
        }
        assert_eq!(
            position,
            book["position_lots"].as_i64().unwrap(),
            "venue {i}"
        );
    }
}

/// A further resume finds nothing left to do, and changes no account.
fn resume_finds_nothing(journal: &Path) {
    let again = Command::new(BIN)
        .args(["run", "--resume", "--journal", journal.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&again.stdout).contains(": 0 open groups"));
    check(journal);
}

/// Runs `scenario` with its journal in `journal` and SIGKILLs it `delay_ms` after its
/// `nth` group started (if it has not finished by then).
fn kill_after_start(scenario: &Path, journal: &Path, nth: usize, delay_ms: u64) {
    let mut child = Command::new(BIN)
        .args(["run", "--quiet", "--scenario", scenario.to_str().unwrap()])
        .args(["--journal", journal.to_str().unwrap()])
        .spawn()
        .unwrap();
    let file = journal.join("journal.jsonl");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        if text.matches("\"kind\":\"started\"").count() >= nth {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(Duration::from_millis(delay_ms));
    let _ = child.kill(); // SIGKILL (it may have finished)
    child.wait().unwrap();
}

#[test]
fn a_killed_run_resumes_to_every_group_ended_and_every_fill_once() {
    let mut found_open = 0;
    // Kill points: after the n-th group has started, plus a delay (the first one before
    // any group may exist).
    let points = [(0usize, 200u64), (1, 0), (1, 40), (2, 5), (3, 150)];
    for (k, &(nth, delay_ms)) in points.iter().enumerate() {
        let dir = std::env::temp_dir().join(format!("legcore-crash-{}-{k}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let scenario = crash_scenario(&dir);
        let journal = dir.join("j");
        kill_after_start(&scenario, &journal, nth, delay_ms);
        if !journal.join("run.json").exists() {
            continue; // killed before the run began
        }
        let out = Command::new(BIN)
            .args(["run", "--resume", "--journal", journal.to_str().unwrap()])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        eprintln!("kill after group {nth} + {delay_ms} ms: {text}");
        let code = out.status.code().unwrap();
        assert!(
            code == 0 || code == 3,
            "{code}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if !text.contains(": 0 open groups") {
            found_open += 1;
        }
        check(&journal);
        resume_finds_nothing(&journal);
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        found_open >= 3,
        "only {found_open} kill points found an open group"
    );
}

/// The faulty scenario at 100x with seed `seed`, its spot leg resting 400 ms before it
/// crosses, so that kills find groups open with orders resting and fills in flight.
fn faulty_scenario(dir: &Path, seed: u64) -> PathBuf {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/carry_faults.toml"
    ))
    .unwrap()
    .replace("seed = 11", &format!("seed = {seed}"))
    .replace("speed = \"20x\"", "speed = \"100x\"")
    .replace("timeout_ms = 5 }", "timeout_ms = 400 }")
    .replace("../data/", &format!("{}/data/", env!("CARGO_MANIFEST_DIR")));
    assert!(text.contains("timeout_ms = 400") && text.contains("100x"));
    let p = dir.join("faulty.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// xorshift64*: the kill moments, reproducible from one seed.
struct Moments(u64);

impl Moments {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }
}

/// Runs `args` and SIGKILLs it `after_ms` after `ready()` holds (if it is still running
/// then); its exit code if it finished.
fn run_killed(args: &[&str], ready: impl Fn() -> bool, after_ms: u64) -> Option<i32> {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let limit = std::time::Instant::now() + Duration::from_secs(60);
    while !ready() && std::time::Instant::now() < limit {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code();
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let deadline = std::time::Instant::now() + Duration::from_millis(after_ms);
    while std::time::Instant::now() < deadline {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code();
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = child.kill();
    child.wait().unwrap();
    None
}

fn dec(v: &Value) -> Decimal {
    Decimal::parse(v.as_str().unwrap_or_else(|| panic!("not a decimal: {v}"))).unwrap()
}

/// The checks a finished journal owes beyond [`check`]: the groups' last ends account
/// for each venue's position, no leg was unwound past flat (an unwind sent twice for one
/// need would), and `legcore stats` equals a recount of the ends, whose fees are every
/// fee the venues charged.
fn check_accounts(dir: &Path, scenario: &Path) {
    let spec =
        legcore::scenario::Scenario::parse(&std::fs::read_to_string(scenario).unwrap()).unwrap();
    let recs = records(dir);
    let mut last: BTreeMap<u64, &Value> = BTreeMap::new();
    for r in recs.iter().filter(|r| r["kind"] == "ended") {
        last.insert(r["group"]["id"].as_u64().unwrap(), &r["group"]);
    }
    let (mut fees, mut incidents) = (Decimal::ZERO, 0);
    let mut nets: BTreeMap<String, Decimal> = BTreeMap::new();
    for g in last.values() {
        incidents += usize::from(!g["incident"].is_null());
        for l in g["legs"].as_array().unwrap() {
            let (filled, unwound) = (dec(&l["filled_qty"]), dec(&l["unwound_qty"]));
            assert!(
                unwound <= filled,
                "group {}: unwound past flat: {l}",
                g["id"]
            );
            let net = dec(&l["net_qty"]);
            let signed = if l["side"] == "buy" {
                net
            } else {
                Decimal::ZERO.checked_sub(net).unwrap()
            };
            let e = nets
                .entry(l["venue"].as_str().unwrap().to_string())
                .or_default();
            *e = e.checked_add(signed).unwrap();
            fees = fees.checked_add(dec(&l["fees"])).unwrap();
        }
    }
    let mut venue_fees = Decimal::ZERO;
    for (i, spec) in spec.venue.iter().enumerate() {
        let book = &venue(dir, i)["books"][0];
        let lot = Decimal::parse(&spec.lot).unwrap();
        let tick = Decimal::parse(&spec.tick).unwrap();
        let position = lot
            .mul_int(i128::from(book["position_lots"].as_i64().unwrap()))
            .unwrap();
        let net = nets.get(&spec.name).copied().unwrap_or_default();
        assert_eq!(
            net, position,
            "{}: the groups' nets against the venue",
            spec.name
        );
        let tl = tick.mul(lot, Round::HalfEven).unwrap();
        let f = book["fees_tl_e8"].as_str().map_or_else(
            || i128::from(book["fees_tl_e8"].as_i64().unwrap()),
            |s| s.parse().unwrap(),
        );
        let f = tl
            .mul_int(f)
            .unwrap()
            .div(Decimal::from_i64(100_000_000), Round::HalfEven)
            .unwrap();
        venue_fees = venue_fees.checked_add(f).unwrap();
    }
    assert_eq!(fees, venue_fees, "the groups' fees against the venues'");
    let out = Command::new(BIN)
        .args(["stats", "--json", "--journal", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["executions"], last.len());
    assert_eq!(stats["incidents"], incidents);
    let total = stats["total_fees"].get("USDT").map_or(Decimal::ZERO, dec);
    assert_eq!(
        total, fees,
        "fees by quote currency: {}",
        stats["total_fees"]
    );
}

#[test]
fn random_kills_of_runs_and_resumes_leave_the_venues_as_the_journal_accounts() {
    let points: u64 = std::env::var("LEGCORE_CRASH_POINTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6);
    let seed: u64 = std::env::var("LEGCORE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed);
    let mut m = Moments(seed | 1);
    let (mut ran, mut opened, mut resumes_killed, mut unhedged) = (0, 0, 0, 0);
    for k in 0..points {
        let dir = std::env::temp_dir().join(format!("legcore-kill-{}-{k}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let scenario = faulty_scenario(&dir, 11 + m.below(1_000));
        let journal = dir.join("j");
        let j = journal.to_str().unwrap();
        // After the n-th group started (0: after the run wrote its scenario), plus a delay.
        let (nth, run_ms) = (m.below(8) as usize, m.below(500));
        let file = journal.join("journal.jsonl");
        let started = || {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            journal.join("run.json").exists() && text.matches("\"started\"").count() >= nth
        };
        let scenario_arg = scenario.to_str().unwrap();
        let args = ["run", "--quiet", "--scenario", scenario_arg, "--journal", j];
        run_killed(&args, started, run_ms);
        if !journal.join("venue-0.json").exists() {
            continue; // killed before the venues began
        }
        ran += 1;
        // Resumes killed at random moments, then one left to finish.
        let mut kills = Vec::new();
        for _ in 0..m.below(4) {
            let at = m.below(300);
            let args = ["run", "--resume", "--quiet", "--journal", j];
            if run_killed(&args, || true, at).is_none() {
                resumes_killed += 1;
                kills.push(at);
            }
        }
        let out = Command::new(BIN)
            .args(["run", "--resume", "--journal", j])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        eprintln!(
            "point {k}: run killed {run_ms} ms after group {nth} started, resumes killed at \
             {kills:?} ms\n{text}"
        );
        let code = out.status.code().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(code == 0 || code == 3, "{code}: {err}");
        opened += usize::from(records(&journal).iter().any(|r| r["kind"] == "reconciled"));
        unhedged += usize::from(code == 3);
        if code == 3 {
            // What the recovery's unwinds met, for the soak's log.
            let recs = records(&journal);
            let jobs: BTreeSet<u64> = recs
                .iter()
                .filter_map(|r| (r["kind"] == "unwind").then(|| r["unwind_job"].as_u64())?)
                .collect();
            for r in recs.iter().filter(|r| {
                r["kind"] == "unwind" || r["job"].as_u64().is_some_and(|j| jobs.contains(&j))
            }) {
                eprintln!("  {r}");
            }
        }
        check(&journal);
        check_accounts(&journal, &scenario);
        resume_finds_nothing(&journal);
        let _ = std::fs::remove_dir_all(&dir);
    }
    eprintln!(
        "{points} kill points, {ran} after the run began: {opened} found open orders to \
         reconcile, {resumes_killed} resumes killed, {unhedged} recoveries ended unhedged"
    );
    // A few points may all fall between groups (the fixed points above find open ones);
    // a soak must find them.
    assert!(ran < 50 || opened > 0, "no kill point found an open group");
}

/// Kills a run with a group open, then kills its resume between two of its writes
/// (after the `reconciled` lines; after the unwind, before the group's end), and
/// resumes again: no fill is recovered twice and no group is unwound past flat.
#[test]
fn a_resume_killed_between_its_writes_resumes_without_doing_anything_twice() {
    for (k, point) in ["reconciled", "unwound"].into_iter().enumerate() {
        let mut found = false;
        for (nth, delay_ms) in [(1usize, 40u64), (1, 0), (2, 5), (1, 80), (3, 20)] {
            let dir = std::env::temp_dir().join(format!(
                "legcore-abort-{}-{k}-{nth}-{delay_ms}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            let scenario = crash_scenario(&dir);
            let journal = dir.join("j");
            let j = journal.to_str().unwrap();
            kill_after_start(&scenario, &journal, nth, delay_ms);
            let aborted = Command::new(BIN)
                .args(["run", "--resume", "--quiet", "--journal", j])
                .env("LEGCORE_RESUME_ABORT_AT", point)
                .output()
                .unwrap();
            let recs = records(&journal);
            let unwinds = recs.iter().filter(|r| r["kind"] == "unwind").count();
            // The point must be reached with something to redo after it.
            let reached = aborted.status.code().is_none()
                && match point {
                    "reconciled" => recs.iter().any(|r| r["kind"] == "reconciled"),
                    _ => unwinds > 0,
                };
            if !reached {
                let _ = std::fs::remove_dir_all(&dir);
                continue;
            }
            found = true;
            let out = Command::new(BIN)
                .args(["run", "--resume", "--journal", j])
                .output()
                .unwrap();
            let code = out.status.code();
            assert!(code == Some(0) || code == Some(3), "{point}: {out:?}");
            check(&journal);
            check_accounts(&journal, &scenario);
            let after = records(&journal);
            let more = after.iter().filter(|r| r["kind"] == "unwind").count();
            // Unwinding a group again would take it past flat (check_accounts), unless
            // the first rounds left a residual for which another unwind is due.
            eprintln!("{point}: {unwinds} unwinds before the last resume, {more} after");
            let _ = std::fs::remove_dir_all(&dir);
            break;
        }
        assert!(found, "no kill left a resume with work after `{point}`");
    }
}

/// The inverse-vs-linear scenario with its COIN-M leg resting (30 s limit), killed while
/// a group is open: the resume ends it from the venues' records, and prices the inverse
/// leg's money in BTC (never a blank or a USD figure).
#[test]
fn a_resumed_inverse_leg_is_priced_in_its_coin() {
    let dir = std::env::temp_dir().join(format!("legcore-crash-inv-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let text = std::fs::read_to_string(format!("{root}/scenarios/inverse_vs_linear.toml"))
        .unwrap()
        .replace(
            "long_mode = { kind = \"market\" }",
            "long_mode = { kind = \"limit\", timeout_ms = 30000 }",
        )
        .replace("../data/", &format!("{root}/data/"));
    let scenario = dir.join("inverse.toml");
    std::fs::write(&scenario, text).unwrap();
    let journal = dir.join("j");
    let mut recovered = 0;
    for delay_ms in [30, 120, 400] {
        let _ = std::fs::remove_dir_all(&journal);
        kill_after_start(&scenario, &journal, 1, delay_ms);
        let out = Command::new(BIN)
            .args(["run", "--resume", "--journal", journal.to_str().unwrap()])
            .output()
            .unwrap();
        let code = out.status.code().unwrap();
        assert!(
            code == 0 || code == 3,
            "{code}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        check(&journal);
        for r in records(&journal).iter().filter(|r| r["kind"] == "ended") {
            for l in r["group"]["legs"].as_array().unwrap() {
                let coin = l["venue"] == "binance-coinm";
                assert_eq!(l["settle"], if coin { "BTC" } else { "USDT" }, "{l}");
                assert!(l["flow_quote"].is_string(), "{l}");
                recovered += usize::from(coin && l["mode_used"] == "recovered");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(recovered > 0, "no kill found a group open");
}
