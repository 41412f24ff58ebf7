//! Crash recovery end to end: `legcore run` killed with SIGKILL at several points, then
//! `legcore run --resume`: every group ends, each venue fill is in the journal once, and
//! the journal accounts for every venue's position.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

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
        // A second resume finds nothing left to do.
        let again = Command::new(BIN)
            .args(["run", "--resume", "--journal", journal.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(again.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&again.stdout).contains(": 0 open groups"));
        check(&journal);
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        found_open >= 3,
        "only {found_open} kill points found an open group"
    );
}
