//! `legcore run` and `legcore stats` end to end, as a user runs them: the binary on the
//! shipped scenarios at max speed, its report and journal, bad input.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{legcore, run_bad, run_written, scenario, scenario_text, tmp};
use legcore::num::{Decimal, Round};
use serde_json::Value;

/// Runs a scenario at max speed with a journal and a report; returns (exit, report) and
/// checks its table.
fn run(scenario: Option<&str>, dir: &Path) -> (i32, Value) {
    run_as(scenario, dir, &["--speed", "max"])
}

/// Runs a scenario with `flags`, a journal and a report; returns (exit, report).
fn run_as(scenario: Option<&str>, dir: &Path, flags: &[&str]) -> (i32, Value) {
    let journal = dir.join("journal");
    let report = dir.join("report.json");
    let mut args = vec!["run"];
    args.extend(flags);
    args.extend([
        "--journal",
        journal.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    let s;
    if let Some(name) = scenario {
        s = self::scenario(name);
        args.extend(["--scenario", &s]);
    }
    let out = legcore(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "stderr: {stderr}");
    let text = std::fs::read_to_string(&report).unwrap();
    let report: Value = serde_json::from_str(&text).unwrap();
    check_table(&String::from_utf8_lossy(&out.stdout), &report);
    check_money(&report);
    (out.status.code().unwrap(), report)
}

/// The table a person reads: no Debug text, money with its sign and currency named.
fn check_table(table: &str, report: &Value) {
    for debug in ["{ ", " }", "Some(", "\"", " tl", "Flat", "Holding"] {
        assert!(!table.contains(debug), "{debug:?} in the table:\n{table}");
    }
    let groups = report["groups"].as_array().unwrap();
    let shortfall_lines = table.matches("     shortfall cost ").count()
        + table.matches("     shortfall gain ").count();
    assert_eq!(shortfall_lines, groups.len(), "{table}");
    for g in groups.iter().filter(|g| !g["incident"].is_null()) {
        let head = format!("  group {} ({}): ", g["id"], g["policy"].as_str().unwrap());
        let at = table
            .find(&head)
            .unwrap_or_else(|| panic!("{head}\n{table}"))
            + head.len();
        let words: Vec<&str> = table[at..].split_whitespace().take(3).collect();
        assert!(["loss", "gain"].contains(&words[0]), "{table}");
        dec(&Value::from(words[1]));
        let cur = words[2].trim_end_matches(',');
        assert!(
            cur.len() > 1 && cur.chars().all(|c| c.is_ascii_uppercase()),
            "{table}"
        );
    }
    let state = report["strategy"]["state_text"].as_str().unwrap();
    assert!(table.contains(&format!("; ends {state}\n")), "{table}");
    assert!(table.contains("round trips     "), "{table}");
}

fn amount(v: &Value, quote: &str) -> Decimal {
    v.get(quote).map_or(Decimal::ZERO, dec)
}

/// `v` as a decimal, or zero for `null` (no arrival mid: no shortfall).
fn dec_or_zero(v: &Value) -> Decimal {
    if v.is_null() {
        Decimal::ZERO
    } else {
        dec(v)
    }
}

/// The currency a leg's money is in: its `settle` (the coin of an inverse leg).
fn settle(l: &Value) -> &str {
    l["settle"].as_str().unwrap()
}

/// Each group's shortfall is its legs', the statistics' shortfall is the groups', and a
/// round trip's P&L is its groups' money flows, after which every venue is flat again;
/// all per settle currency (a linear leg's quote, an inverse leg's coin).
fn check_money(report: &Value) {
    let quotes: std::collections::BTreeSet<String> = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["legs"].as_array().unwrap())
        .map(|l| settle(l).to_string())
        .collect();
    for q in &quotes {
        check_money_in(report, q);
    }
}

fn check_money_in(report: &Value, quote: &str) {
    let add = |a: Decimal, b: Decimal| a.checked_add(b).unwrap();
    let mine = |l: &&Value| settle(l) == quote;
    let mut last = BTreeMap::new();
    for g in report["groups"].as_array().unwrap() {
        let legs = g["legs"].as_array().unwrap();
        let sum = legs.iter().filter(mine).fold(Decimal::ZERO, |a, l| {
            add(a, dec_or_zero(&l["shortfall_quote"]))
        });
        assert_eq!(
            amount(&g["shortfall_quote"], quote),
            sum,
            "group {}",
            g["id"]
        );
        last.insert(g["id"].as_u64().unwrap(), g);
    }
    let stats = &report["stats"];
    let all = last.values().fold(Decimal::ZERO, |a, g| {
        add(a, amount(&g["shortfall_quote"], quote))
    });
    assert_eq!(amount(&stats["shortfall_quote"], quote), all);
    let mut realised = Decimal::ZERO;
    for t in stats["round_trips"].as_array().unwrap() {
        let (mut pnl, mut pos) = (Decimal::ZERO, BTreeMap::new());
        for id in t["groups"].as_array().unwrap() {
            for l in last[&id.as_u64().unwrap()]["legs"].as_array().unwrap() {
                let net = dec(&l["net_qty"]);
                let net = if l["side"] == "buy" { net } else { net.neg() };
                let p = pos.entry(l["venue"].to_string()).or_insert(Decimal::ZERO);
                *p = add(*p, net);
                if settle(l) == quote {
                    pnl = add(pnl, dec(&l["flow_quote"]));
                }
            }
        }
        assert!(pos.values().all(|p| p.is_zero()), "not flat after {t}");
        assert_eq!(amount(&t["pnl_quote"], quote), pnl, "{t}");
        realised = add(realised, pnl);
    }
    assert_eq!(amount(&stats["realised_pnl"], quote), realised);
}

fn dec(v: &Value) -> Decimal {
    Decimal::parse(v.as_str().unwrap()).unwrap()
}

/// Per venue: the position the groups' records add up to (buy +, sell −), exactly.
fn positions_from_records(report: &Value) -> BTreeMap<String, Decimal> {
    let mut pos = BTreeMap::new();
    for g in report["groups"].as_array().unwrap() {
        for l in g["legs"].as_array().unwrap() {
            let net = dec(&l["net_qty"]);
            let signed = if l["side"] == "buy" { net } else { net.neg() };
            let p = pos
                .entry(l["venue"].as_str().unwrap().to_string())
                .or_insert(Decimal::ZERO);
            *p = p.checked_add(signed).unwrap();
        }
    }
    pos
}

fn check_schema(report: &Value) {
    for g in report["groups"].as_array().unwrap() {
        for k in ["id", "policy", "outcome", "legs", "incident"] {
            assert!(g.get(k).is_some(), "group key {k}");
        }
        let outcome = g["outcome"].as_str().unwrap();
        assert!(["filled", "flat", "rebalanced", "unhedged"].contains(&outcome));
        for l in g["legs"].as_array().unwrap() {
            for k in [
                "venue",
                "instrument",
                "side",
                "mode_used",
                "target_qty",
                "filled_qty",
                "unwound_qty",
                "avg_price",
                "expected_price",
                "slippage_bps",
                "fees",
            ] {
                assert!(l.get(k).is_some(), "leg key {k}");
            }
            // Decimals are strings that parse exactly.
            dec(&l["filled_qty"]);
            dec(&l["fees"]);
        }
        if let Some(i) = g["incident"].as_object() {
            for k in ["residual", "loss_quote", "unhedged_seconds", "summary"] {
                assert!(i.contains_key(k), "incident key {k}");
            }
        }
    }
    for stage in [
        "decide",
        "risk",
        "ring_hop",
        "venue_round_trip",
        "tick_to_order",
    ] {
        for k in ["p50", "p99", "p999", "max", "count"] {
            assert!(report["latency_ns"][stage].get(k).is_some(), "{stage}.{k}");
        }
    }
}

/// The runtime lost nothing and the venues hold what the records say.
fn check_accounting(report: &Value) {
    let rt = &report["runtime"];
    assert_eq!(rt["unaccounted"], 0);
    assert_eq!(rt["unverified_fills"], 0, "every fill verified once");
    assert_eq!(rt["feeder_dropped"], 0, "max speed is lossless");
    assert_eq!(rt["pool_exhausted"], 0);
    assert!(rt["link_events"].is_u64(), "link_events counted");
    for r in rt["md_refused"].as_array().unwrap() {
        assert_eq!(r, 0, "every recorded line applies");
    }
    let from_records = positions_from_records(report);
    for v in report["venues"].as_array().unwrap() {
        let name = v["venue"].as_str().unwrap();
        let held = dec(&v["position"]);
        let recorded = from_records.get(name).copied().unwrap_or(Decimal::ZERO);
        assert_eq!(
            held, recorded,
            "{name}: venue position vs the groups' records"
        );
    }
}

#[test]
fn the_default_scenario_opens_and_closes_several_groups_all_filled() {
    let dir = tmp("default");
    let (code, report) = run(None, &dir);
    assert_eq!(code, 0);
    check_schema(&report);
    check_accounting(&report);
    let groups = report["groups"].as_array().unwrap();
    let filled = groups.iter().filter(|g| g["outcome"] == "filled").count();
    assert!(filled >= 4, "{filled} filled groups");
    assert!(groups.iter().all(|g| g["outcome"] != "unhedged"));
    // Opens buy spot and sell perp; closes the reverse: both kinds ran.
    let first_sides: Vec<&str> = groups
        .iter()
        .map(|g| g["legs"][0]["side"].as_str().unwrap())
        .collect();
    assert!(first_sides.contains(&"buy") && first_sides.contains(&"sell"));
    // Delta-neutral at every end: the spot long equals the perp short.
    let v = report["venues"].as_array().unwrap();
    assert_eq!(dec(&v[0]["position"]), dec(&v[1]["position"]).neg());
    assert_eq!(report["stats"]["executions"], groups.len());
    assert!(
        report["latency_ns"]["tick_to_order"]["count"]
            .as_u64()
            .unwrap()
            >= 8
    );

    // Every completed carry cycle is a round trip of an open and its close.
    let trips = report["stats"]["round_trips"].as_array().unwrap();
    let pairs = trips
        .iter()
        .filter(|t| t["groups"].as_array().unwrap().len() >= 2);
    assert!(pairs.count() as u64 >= report["strategy"]["cycles"].as_u64().unwrap());
    assert!(report["strategy"]["cycles"].as_u64().unwrap() >= 1);

    // `legcore stats` on the journal gives the run's own numbers.
    let j = dir.join("journal");
    let out = legcore(&["stats", "--journal", j.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats, report["stats"]);
    // Filters: every group has a leg on the spot venue; none on an unknown one.
    let out = legcore(&[
        "stats",
        "--journal",
        j.to_str().unwrap(),
        "--json",
        "--venue",
        "nope",
    ]);
    let none: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(none["executions"], 0);
    let out = legcore(&[
        "stats",
        "--journal",
        j.to_str().unwrap(),
        "--json",
        "--venue",
        "binance-spot",
        "--since",
        "1h",
    ]);
    let spot: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(spot, report["stats"]);

    // The journal refuses to be appended to by a second run.
    let out = legcore(&[
        "run",
        "--speed",
        "max",
        "--quiet",
        "--journal",
        j.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds"));
}

/// Venues that drop the link on every request: their connection events (down, up,
/// resynced) reach the report's `runtime.link_events`.
#[test]
fn disconnects_show_in_the_runtime_link_events() {
    let dir = tmp("disconnects");
    let text =
        scenario_text("carry_faults.toml").replace("disconnect = 8000", "disconnect = 1000000");
    assert!(
        text.contains("disconnect = 1000000"),
        "the fault scenario changed"
    );
    let (out, report) = run_written(&dir, &text);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0 | 3)), "{stderr}");
    let n = report["runtime"]["link_events"].as_u64().unwrap();
    assert!(n > 0, "every request drops the link, yet {n} link events");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_fault_scenario_shows_every_policy_and_an_incident() {
    let dir = tmp("faults");
    let (code, report) = run(Some("carry_faults.toml"), &dir);
    check_schema(&report);
    check_accounting(&report);
    let groups = report["groups"].as_array().unwrap();
    let unhedged = groups.iter().any(|g| g["outcome"] == "unhedged");
    assert_eq!(
        code,
        if unhedged { 3 } else { 0 },
        "exit 3 exactly when unhedged"
    );
    // Group k takes the k-th policy of the scenario's list, in turn.
    let turn = ["rebalance", "complete", "rollback", "accept_partial"];
    for g in groups {
        let k = g["id"].as_u64().unwrap() as usize;
        assert_eq!(g["policy"], turn[k % 4], "group {k}");
    }
    let policies: std::collections::BTreeSet<&str> = groups
        .iter()
        .map(|g| g["policy"].as_str().unwrap())
        .collect();
    if unhedged {
        // An unhedged end stops the strategy: it is the last group.
        let last = groups.iter().max_by_key(|g| g["id"].as_u64()).unwrap();
        assert_eq!(last["outcome"], "unhedged");
    } else {
        assert_eq!(policies.len(), 4, "{policies:?}");
    }
    let incidents: Vec<&Value> = groups.iter().filter(|g| !g["incident"].is_null()).collect();
    assert!(!incidents.is_empty());
    for g in &incidents {
        assert_ne!(g["outcome"], "filled");
        assert!(!g["incident"]["summary"].as_str().unwrap().is_empty());
    }
    assert_eq!(report["stats"]["incidents"], incidents.len());
    let j = dir.join("journal");
    let out = legcore(&["stats", "--journal", j.to_str().unwrap(), "--json"]);
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats, report["stats"]);
}

#[test]
fn a_torn_tail_is_cut_and_a_corrupt_line_is_refused() {
    let dir = tmp("journal");
    let (_, report) = run(None, &dir);
    let path = dir.join("journal").join("journal.jsonl");
    let good = std::fs::read(&path).unwrap();
    let j = dir.join("journal");
    let j = j.to_str().unwrap();

    // A crash mid-write: half a record at the end. The good records still count.
    let mut torn = good.clone();
    torn.extend_from_slice(b"{\"seq\":99999,\"kind\":\"ended\",\"gro");
    std::fs::write(&path, &torn).unwrap();
    let out = legcore(&["stats", "--journal", j]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("torn record"));
    let out = legcore(&["stats", "--journal", j, "--json"]);
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats, report["stats"]);

    // A flipped byte inside an earlier record: refused with its line, never misread.
    let mut bad = good.clone();
    let at = bad.iter().position(|&b| b == b'\n').unwrap() + 20;
    bad[at] ^= 0x01;
    std::fs::write(&path, &bad).unwrap();
    let out = legcore(&["stats", "--journal", j]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: ") && err.contains("line 2") && err.contains("corrupt"));

    // Lines duplicated or swapped, each still correctly sealed: refused by every reader,
    // naming the line, and nothing is written.
    let lines: Vec<&[u8]> = good.split_inclusive(|&b| b == b'\n').collect();
    let mut dup = lines.clone();
    dup.insert(3, lines[2]);
    let mut swapped = lines.clone();
    swapped.swap(2, 3);
    let out_dir = dir.join("page");
    for (bad, why) in [
        (dup.concat(), "seq 3, expected 4"),
        (swapped.concat(), "seq 4, expected 3"),
    ] {
        std::fs::write(&path, &bad).unwrap();
        for args in [
            vec!["stats", "--journal", j],
            vec!["report", "--journal", j, "--out", out_dir.to_str().unwrap()],
            vec!["run", "--resume", "--journal", j],
        ] {
            let out = legcore(&args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(
                err.starts_with("error: ") && err.contains(why),
                "{args:?}: {err}"
            );
            assert_eq!(err.lines().count(), 1, "{err}");
            assert_eq!(
                std::fs::read(&path).unwrap(),
                bad,
                "{args:?} wrote to the journal"
            );
        }
    }

    // A bad decimal in a correctly sealed `ended` line: refused, never counted as zero
    // or left out of the statistics.
    let text = String::from_utf8(good.clone()).unwrap();
    let mut lines: Vec<String> = text.lines().map(|l| format!("{l}\n")).collect();
    let (n, line) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| l.contains("\"kind\":\"ended\""))
        .unwrap();
    let fees = line.find("\"fees\":\"").unwrap() + "\"fees\":\"".len();
    let end = fees + line[fees..].find('"').unwrap();
    let body = format!("{}1.2.3{}", &line[..fees], &line[end..]);
    let body = &body[..body.rfind(",\"crc\"").unwrap()];
    lines[n] = legcore::journal::seal(&format!("{body}}}"));
    std::fs::write(&path, lines.concat()).unwrap();
    for args in [
        vec!["stats", "--journal", j],
        vec!["report", "--journal", j, "--out", out_dir.to_str().unwrap()],
    ] {
        let out = legcore(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains("1.2.3"),
            "{args:?}: {err}"
        );
    }
    let out = legcore(&["report", "--journal", j, "--out", out_dir.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("line {}", n + 1)), "{err}");

    // A journal cut at a line boundary is simply shorter.
    std::fs::write(&path, lines[..3].concat()).unwrap();
    let out = legcore(&["stats", "--journal", j, "--json"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn bad_scenarios_and_flags_exit_2_naming_the_problem() {
    let base = scenario_text("carry.toml");
    let cases: [(&str, String, &str); 7] = [
        (
            "unknown-key",
            base.replace("seed = 7", "seed = 7\ncolour = 1"),
            "colour",
        ),
        (
            "bad-tick",
            base.replace("tick = \"0.01\"", "tick = \"0.0x\""),
            "venue[0].tick",
        ),
        (
            "unknown-venue",
            base.replace("long = \"binance-spot\"", "long = \"kraken\""),
            "strategy.long",
        ),
        (
            "missing-data",
            base.replace("spot_btcusdt_20240808", "nothing_here"),
            "venue[0].feed",
        ),
        (
            "bad-policy",
            base.replace("policy = \"rollback\"", "policy = \"hope\""),
            "execution.policy",
        ),
        (
            "fee",
            base.replace("taker_fee = \"0.00045\"", "taker_fee = \"NaN\""),
            "taker_fee",
        ),
        ("not-toml", "this is [not toml".to_string(), "TOML"),
    ];
    for (name, text, needle) in &cases {
        let err = run_bad(name, text, &[]);
        assert!(err.contains(needle), "{name}: {err}");
    }
    let err = run_bad("speed", &base, &["--speed", "fast"]);
    assert!(err.contains("--speed"), "{err}");
    let out = legcore(&["run", "--scenario", "/nonexistent/s.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let out = legcore(&["stats"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--journal"));
}

/// Per leg of every group of `report`: (venue, filled contracts or base, filled base).
fn filled(report: &Value) -> Vec<Vec<(String, Decimal, Decimal)>> {
    let groups = report["groups"].as_array().unwrap();
    let leg = |l: &Value| {
        let venue = l["venue"].as_str().unwrap().to_string();
        (venue, dec(&l["filled_qty"]), dec(&l["filled_base"]))
    };
    groups
        .iter()
        .map(|g| g["legs"].as_array().unwrap().iter().map(leg).collect())
        .collect()
}

#[test]
fn the_inverse_scenario_hedges_coin_m_contracts_against_usdm_btc_base_matched() {
    let dir = tmp("inverse");
    let (code, report) = run(Some("inverse_vs_linear.toml"), &dir);
    assert_eq!(code, 0);
    check_schema(&report);
    check_accounting(&report);
    let groups = report["groups"].as_array().unwrap();
    assert!(groups.len() >= 4, "{} groups", groups.len());
    assert!(groups.iter().all(|g| g["outcome"] == "filled"));
    let hundred = Decimal::from_i64(100);
    for (g, legs) in groups.iter().zip(filled(&report)) {
        let [(v0, contracts, btc0), (v1, qty, btc1)] = &legs[..] else {
            panic!("two legs: {legs:?}");
        };
        assert_eq!(
            (v0.as_str(), v1.as_str()),
            ("binance-coinm", "binance-usdm")
        );
        // Whole contracts of 100 USD, worth contracts × 100 / price BTC.
        assert_eq!(contracts.round_dp(0, Round::ToZero).unwrap(), *contracts);
        let avg = dec(&g["legs"][0]["avg_price"]);
        let usd = btc0.mul(avg, Round::HalfEven).unwrap();
        let want = contracts.mul(hundred, Round::HalfEven).unwrap();
        let off = usd.checked_sub(want).unwrap();
        assert!(
            off.abs() < Decimal::parse("0.001").unwrap(),
            "{usd} vs {want}"
        );
        // The linear leg's base is its quantity; the legs match within one contract's BTC.
        assert_eq!(btc1, qty);
        let one_contract = hundred.div(avg, Round::Ceil).unwrap();
        let gap = qty.checked_sub(*btc0).unwrap();
        assert!(!gap.is_negative() && gap < one_contract, "{gap} BTC apart");
        // An inverse leg's money is in BTC: its taker fee is 0.05 % of the BTC its
        // contracts are worth (fill by fill; `btc0` is at the average price, 8 places).
        assert_eq!(g["legs"][0]["settle"], "BTC");
        assert_eq!(g["legs"][1]["settle"], "USDT");
        let fee = btc0.mul(Decimal::parse("0.0005").unwrap(), Round::HalfEven);
        let off = dec(&g["legs"][0]["fees"])
            .checked_sub(fee.unwrap())
            .unwrap();
        assert!(
            off.abs() <= Decimal::parse("0.0000000001").unwrap(),
            "fees off by {off}"
        );
    }
    check_inverse_round_trips(&report);
    // The table shows both legs in their units and in BTC.
    let out = legcore(&[
        "run",
        "--speed",
        "max",
        "--scenario",
        &scenario("inverse_vs_linear.toml"),
    ]);
    let table = String::from_utf8_lossy(&out.stdout);
    let first = &filled(&report)[0];
    let row = table
        .lines()
        .find(|l| l.contains("binance-coinm  BTCUSD_PERP"))
        .unwrap();
    assert!(row.contains(&format!(" {} ", first[0].1)), "{row}");
    assert!(row.contains(&first[0].2.to_string()), "{row}");
}

/// Each closed cycle's P&L on the COIN-M leg is the venue's own formula, in BTC:
/// contracts × 100 × (1 / entry average − 1 / exit average) for a long, less its fees.
fn check_inverse_round_trips(report: &Value) {
    let trips = report["stats"]["round_trips"].as_array().unwrap();
    assert!(!trips.is_empty(), "no cycle closed");
    let by_id: BTreeMap<u64, &Value> = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["id"].as_u64().unwrap(), g))
        .collect();
    let inv = |p: Decimal| Decimal::from_i64(100).div(p, Round::HalfEven).unwrap();
    for t in trips {
        let ids: Vec<u64> = t["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_u64().unwrap())
            .collect();
        let [open, close] = ids[..] else {
            panic!("{t}")
        };
        let (a, b) = (&by_id[&open]["legs"][0], &by_id[&close]["legs"][0]);
        assert_eq!(
            (a["side"].as_str(), b["side"].as_str()),
            (Some("buy"), Some("sell"))
        );
        let n = dec(&a["filled_qty"]);
        assert_eq!(n, dec(&b["filled_qty"]));
        let per = inv(dec(&a["avg_price"]))
            .checked_sub(inv(dec(&b["avg_price"])))
            .unwrap();
        let gross = per.mul(n, Round::HalfEven).unwrap();
        let fees = dec(&a["fees"]).checked_add(dec(&b["fees"])).unwrap();
        let want = gross.checked_sub(fees).unwrap();
        let got = t["pnl_quote"]["BTC"]
            .as_str()
            .map(Decimal::parse)
            .unwrap()
            .unwrap();
        let off = got.checked_sub(want).unwrap();
        // Averages stand in for fill-by-fill sums here: a few 10⁻¹⁰ BTC apart at most.
        assert!(
            off.abs() <= Decimal::parse("0.000000001").unwrap(),
            "{got} vs {want}"
        );
    }
}

/// A one-venue round-trip scenario at its own paced speed: every group filled, buys and
/// sells in turn, flat at the end, nothing refused, and the journal's statistics equal
/// the run's.
fn roundtrip_runs(name: &str, venue: &str) {
    let dir = tmp(name);
    let (code, report) = run_as(Some(name), &dir, &[]);
    assert_eq!(code, 0);
    check_schema(&report);
    check_accounting(&report);
    let groups = report["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 6, "three round trips");
    for (k, g) in groups.iter().enumerate() {
        assert_eq!(g["outcome"], "filled");
        let l = &g["legs"][0];
        assert_eq!(l["venue"], venue);
        assert_eq!(l["side"], if k % 2 == 0 { "buy" } else { "sell" });
        assert!(dec(&l["filled_qty"]).is_positive());
        assert_eq!(
            dec(&l["filled_qty"]),
            dec(&groups[k - k % 2]["legs"][0]["filled_qty"])
        );
    }
    assert_eq!(report["strategy"]["cycles"], 3);
    assert_eq!(dec(&report["venues"][0]["position"]), Decimal::ZERO);
    let j = dir.join("journal");
    let out = legcore(&["stats", "--journal", j.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats, report["stats"]);
    assert_eq!(stats["executions"], 6);
}

#[test]
fn the_bybit_xrp_scenario_round_trips_on_the_recorded_orderbook_500() {
    roundtrip_runs("bybit_xrp_roundtrip.toml", "bybit-linear");
}

#[test]
fn the_hyperliquid_btc_scenario_round_trips_on_the_recorded_l2book() {
    roundtrip_runs("hyperliquid_btc_roundtrip.toml", "hyperliquid");
}

/// On OKX's recorded `books` of three interleaved instruments: the feed follows
/// BTC-USDT, verifying each checksum, and refuses none of the capture's lines.
#[test]
fn the_okx_btc_usdt_scenario_round_trips_on_the_recorded_books() {
    roundtrip_runs("okx_btcusdt_roundtrip.toml", "okx-spot");
}

/// A venue reached over FIX sends real orders: without `--live-orders` the run refuses
/// to start (exit 2); a key written in the scenario and a host off this machine are
/// refused by name, the key never echoed.
#[test]
fn a_fix_venue_runs_only_with_live_orders_and_keys_stay_out_of_scenarios() {
    let base = scenario_text("carry.toml");
    let gateway = "\n[venue.gateway]\nkind = \"binance-spot-fix\"\nhost = \"127.0.0.1\"\n\
                   port = 9000\nsender_comp_id = \"LEGCORE1\"\n\
                   api_key_env = \"LEGCORE_TEST_BINANCE_API_KEY\"\n\
                   private_key_file = \"/nonexistent/ed25519.pem\"\n";
    let at = base.find("[[venue]]\nname = \"binance-usdm\"").unwrap();
    let with = |g: &str| format!("{}{g}\n{}", &base[..at], &base[at..]);
    let err = run_bad("fix-not-live", &with(gateway), &[]);
    assert!(err.contains("--live-orders"), "{err}");
    let key = gateway.replace(
        "api_key_env = \"LEGCORE_TEST_BINANCE_API_KEY\"",
        "api_key = \"s3cr3t\"",
    );
    let err = run_bad("fix-key-inline", &with(&key), &["--live-orders"]);
    assert!(err.contains("venue[0].gateway.api_key"), "{err}");
    assert!(!err.contains("s3cr3t"), "{err}");
    let remote = gateway.replace("127.0.0.1", "fix-oe.binance.com");
    let err = run_bad("fix-remote", &with(&remote), &["--live-orders"]);
    assert!(
        err.contains("venue[0].gateway.host") && err.contains("stunnel"),
        "{err}"
    );
    // Live, the credentials are loaded first: a missing key file is named.
    let err = run_bad("fix-no-key", &with(gateway), &["--live-orders"]);
    assert!(
        err.contains("LEGCORE_TEST_BINANCE_API_KEY") || err.contains("ed25519.pem"),
        "{err}"
    );
}
