//! Journal shipping to a real NATS JetStream (Debian's `nats-server`, started here on a
//! random loopback port with a temporary store; `.ci/run` installs it, and a machine
//! without it fails this test saying so): `legcore ship` publishes a run's journal, the
//! stream holds every line exactly once (message ids and payloads compared with the
//! journal), shipping again stores nothing new, a shipper that lost its offset is
//! deduplicated by JetStream, and an absent broker is waited for without losing a line.

mod common;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A `nats-server -js` on loopback; killed when dropped.
struct Nats {
    child: Child,
    port: u16,
    _store: PathBuf,
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nats_binary() -> PathBuf {
    let found = ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    found.unwrap_or_else(|| {
        panic!("nats-server is not installed: `apt-get install nats-server` (.ci/run does)")
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn nats(name: &str, port: u16) -> Nats {
    nats_in(common::tmp(&format!("nats-{name}")), port)
}

/// A `nats-server -js` on `port` keeping its streams in `store` (kept across restarts).
fn nats_in(store: PathBuf, port: u16) -> Nats {
    let child = Command::new(nats_binary())
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(&store)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let end = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < end, "nats-server did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    Nats {
        child,
        port,
        _store: store,
    }
}

fn journal(name: &str) -> PathBuf {
    run_journal(name, &[]).1
}

/// `legcore run --quiet --speed max --journal <tmp>/j` with `extra`: its output and the
/// journal directory.
fn run_journal(name: &str, extra: &[&str]) -> (std::process::Output, PathBuf) {
    let dir = common::tmp(name).join("j");
    let mut args = vec![
        "run",
        "--quiet",
        "--speed",
        "max",
        "--journal",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = common::legcore(&args);
    assert!(
        out.status.code().is_some_and(|c| c == 0 || c == 3),
        "{out:?}"
    );
    (out, dir)
}

fn ship(dir: &Path, port: u16, extra: &[&str]) -> String {
    ship_as(dir, port, "tokyo", extra)
}

/// `legcore ship` of `dir` as instance `name`; its stdout.
fn ship_as(dir: &Path, port: u16, name: &str, extra: &[&str]) -> String {
    let url = format!("nats://127.0.0.1:{port}");
    let mut args = vec![
        "ship",
        "--journal",
        dir.to_str().unwrap(),
        "--to",
        &url,
        "--instance",
        name,
    ];
    args.extend_from_slice(extra);
    let out = common::legcore(&args);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every message of the LEGCORE stream: (subject, Nats-Msg-Id, payload).
fn stream(port: u16) -> Vec<(String, String, String)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = async_nats::connect(format!("127.0.0.1:{port}"))
            .await
            .unwrap();
        let js = async_nats::jetstream::new(client);
        let mut s = js.get_stream("LEGCORE").await.unwrap();
        let n = s.info().await.unwrap().state.last_sequence;
        let mut out = Vec::new();
        for seq in 1..=n {
            let m = s.get_raw_message(seq).await.unwrap();
            let id = m
                .headers
                .get(async_nats::header::NATS_MESSAGE_ID)
                .map(|v| v.as_str().to_string())
                .unwrap_or_default();
            out.push((
                m.subject.to_string(),
                id,
                String::from_utf8(m.payload.to_vec()).unwrap(),
            ));
        }
        out
    })
}

fn lines(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("journal.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_journal_lands_in_the_stream_exactly_once() {
    let dir = journal("ship-once");
    let n = nats("once", free_port());
    let first = ship(&dir, n.port, &[]);
    let want = lines(&dir);
    assert!(
        first.contains(&format!("{} lines stored, 0 already", want.len())),
        "{first}"
    );
    let got = stream(n.port);
    assert_eq!(got.len(), want.len());
    for (i, ((subject, id, payload), line)) in got.iter().zip(&want).enumerate() {
        assert_eq!(subject, "legcore.journal.tokyo");
        assert_eq!(id, &format!("tokyo-{}", i + 1));
        assert_eq!(payload, line, "line {}", i + 1);
    }
    // Again: nothing new to send.
    let again = ship(&dir, n.port, &[]);
    assert!(again.contains("0 lines stored, 0 already"), "{again}");
    // A shipper that lost its offset sends everything again: JetStream keeps one of each.
    std::fs::remove_file(dir.join("shipped.seq")).unwrap();
    let lost = ship(&dir, n.port, &[]);
    assert!(
        lost.contains(&format!("0 lines stored, {} already", want.len())),
        "{lost}"
    );
    assert_eq!(stream(n.port).len(), want.len());
}

#[test]
fn an_absent_broker_is_waited_for_and_nothing_is_lost() {
    let dir = journal("ship-outage");
    let port = free_port();
    // No broker: the shipper retries until its duration, ships nothing, keeps no offset.
    let away = ship(&dir, port, &["--follow", "--duration", "1"]);
    assert!(away.contains("0 lines stored"), "{away}");
    assert!(!away.contains("(0 connect failures"), "{away}");
    assert!(!dir.join("shipped.seq").exists());
    // The broker comes up: everything lands.
    let n = nats("outage", port);
    let back = ship(&dir, n.port, &[]);
    let want = lines(&dir);
    assert!(
        back.contains(&format!("{} lines stored", want.len())),
        "{back}"
    );
    assert_eq!(stream(n.port).len(), want.len());
}

#[test]
fn bad_ship_flags_are_refused_with_one_line() {
    for (args, names) in [
        (
            vec![
                "ship",
                "--journal",
                "x",
                "--to",
                "http://a",
                "--instance",
                "a",
            ],
            "--to",
        ),
        (
            vec![
                "ship",
                "--journal",
                "x",
                "--to",
                "nats://a:1",
                "--instance",
                "a.b",
            ],
            "--instance",
        ),
        (
            vec!["ship", "--journal", "x", "--to", "nats://a:1"],
            "--instance",
        ),
        (
            vec![
                "report",
                "--from",
                "nats://a:1",
                "--journal",
                "x",
                "--out",
                "y",
            ],
            "--journal or --from",
        ),
    ] {
        let out = common::legcore(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(names), "{err}");
    }
}

/// `legcore run --journal J --publish URL --instance osaka`: the run's exit and the
/// journal it leaves.
fn run_publishing(name: &str, port: u16) -> (std::process::Output, PathBuf) {
    let url = format!("nats://127.0.0.1:{port}");
    run_journal(name, &["--publish", &url, "--instance", "osaka"])
}

#[test]
fn a_run_publishes_its_journal_as_it_writes_it() {
    let n = nats("run", free_port());
    let (_, dir) = run_publishing("ship-run", n.port);
    let want = lines(&dir);
    let got = stream(n.port);
    assert_eq!(got.len(), want.len(), "every journal line in the stream");
    for (i, ((subject, id, payload), line)) in got.iter().zip(&want).enumerate() {
        assert_eq!(subject, "legcore.journal.osaka");
        assert_eq!(id, &format!("osaka-{}", i + 1));
        assert_eq!(payload, line);
    }
    let seq: u64 = std::fs::read_to_string(dir.join("shipped.seq"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(seq, want.len() as u64);
}

#[test]
fn a_run_without_its_broker_ends_as_usual_and_ships_later() {
    // A partition: the broker's address is a closed port.
    let port = free_port();
    let start = Instant::now();
    let report = common::tmp("ship-run-away-report").join("report.json");
    let (_, dir) = run_journal(
        "ship-run-away",
        &[
            "--publish",
            &format!("nats://127.0.0.1:{port}"),
            "--instance",
            "osaka",
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "the run waited on the broker"
    );
    assert_eq!(journal_ring_waits(&report), 0, "the loop never waited");
    assert!(!dir.join("shipped.seq").exists());
    let n = nats("run-away", port);
    ship_as(&dir, n.port, "osaka", &[]);
    assert_eq!(stream(n.port).len(), lines(&dir).len());
}

/// `legcore run --speed max --journal <tmp>/j --publish URL --instance NAME` started
/// (not waited for), with `extra`; the child and its journal directory.
fn spawn_publishing(name: &str, url: &str, extra: &[&str]) -> (Child, PathBuf) {
    let dir = common::tmp(&format!("fleet-{name}")).join("j");
    let child = Command::new(common::BIN)
        .args(["run", "--quiet", "--speed", "max", "--journal"])
        .arg(&dir)
        .args(["--publish", url, "--instance", name])
        .args(extra)
        .spawn()
        .unwrap();
    (child, dir)
}

#[test]
fn fleet_stats_from_the_stream_are_each_instances_own_summed() {
    let n = nats("fleet", free_port());
    let url = format!("nats://127.0.0.1:{}", n.port);
    // Three instances at once, each its own scenario, all publishing to one stream.
    let faults = common::scenario("carry_faults.toml");
    let xrp = common::scenario("bybit_xrp_roundtrip.toml");
    let runs = [
        spawn_publishing("osaka", &url, &[]),
        spawn_publishing("tokyo", &url, &["--scenario", &faults]),
        spawn_publishing("nagoya", &url, &["--scenario", &xrp]),
    ];
    let dirs: Vec<PathBuf> = runs
        .into_iter()
        .map(|(mut child, dir)| {
            let code = child.wait().unwrap().code();
            assert!(code.is_some_and(|c| c == 0 || c == 3), "{dir:?}: {code:?}");
            dir
        })
        .collect();
    let (osaka, tokyo, nagoya) = (&dirs[0], &dirs[1], &dirs[2]);
    let json = |args: &[&str]| -> serde_json::Value {
        let out = common::legcore(args);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let fleet = json(&["stats", "--from", &url, "--json"]);
    let own = |dir: &Path| json(&["stats", "--journal", dir.to_str().unwrap(), "--json"]);
    let each = [
        ("osaka", own(osaka)),
        ("tokyo", own(tokyo)),
        ("nagoya", own(nagoya)),
    ];
    for (name, s) in &each {
        assert_eq!(
            &fleet["instances"][name], s,
            "{name}'s numbers from the stream"
        );
    }
    let sum = |k: &str| {
        each.iter()
            .map(|(_, s)| s[k].as_u64().unwrap())
            .sum::<u64>()
    };
    for k in ["executions", "filled", "incidents"] {
        assert_eq!(fleet["fleet"][k].as_u64(), Some(sum(k)), "{k}");
    }
    assert!(sum("incidents") > 0, "the faulty instance had incidents");
    let fees = |v: &serde_json::Value| {
        legcore::num::Decimal::parse(v["total_fees"]["USDT"].as_str().unwrap_or("0")).unwrap()
    };
    let want = each.iter().fold(legcore::num::Decimal::ZERO, |t, (_, s)| {
        t.checked_add(fees(s)).unwrap()
    });
    assert_eq!(fees(&fleet["fleet"]), want);
    fleet_wide_figures(&fleet["fleet"], &each);
    fleet_pages(&url, &each, &dirs);
    let text = common::legcore(&["stats", "--from", &url]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("instance osaka") && text.contains("fleet (3 instances)"),
        "{text}"
    );
}

#[test]
fn a_run_killed_mid_flight_and_resumed_lands_every_record_once() {
    let n = nats("killed", free_port());
    let url = format!("nats://127.0.0.1:{}", n.port);
    let dir = common::tmp("ship-killed").join("j");
    // The default scenario at its recorded 20x: killed (SIGKILL) once its third group
    // has started, while it publishes.
    let mut child = Command::new(common::BIN)
        .args(["run", "--quiet", "--journal", dir.to_str().unwrap()])
        .args(["--publish", &url, "--instance", "kobe"])
        .spawn()
        .unwrap();
    let file = dir.join("journal.jsonl");
    let end = Instant::now() + Duration::from_secs(60);
    while Instant::now() < end && child.try_wait().unwrap().is_none() {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        if text.matches("\"kind\":\"started\"").count() >= 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    child.wait().unwrap();
    let shipped_before = stream(n.port).len();
    assert!(shipped_before > 0, "it published while it ran");
    // Resume, publishing (it finishes the open groups and appends to the journal, and
    // ships from the offset the killed run left): every record once, in order, as in
    // the file.
    let resumed = common::legcore(&[
        "run",
        "--resume",
        "--quiet",
        "--journal",
        dir.to_str().unwrap(),
        "--publish",
        &url,
        "--instance",
        "kobe",
    ]);
    assert!(
        resumed.status.code().is_some_and(|c| c == 0 || c == 3),
        "{resumed:?}"
    );
    let want = lines(&dir);
    let got = stream(n.port);
    assert_eq!(got.len(), want.len(), "each record once");
    for (i, ((_, id, payload), line)) in got.iter().zip(&want).enumerate() {
        assert_eq!(id, &format!("kobe-{}", i + 1));
        assert_eq!(payload, line, "record {}", i + 1);
    }
}

/// The run's waits on a full journal ring, from its `--report` file: the only way the
/// broker could hold the loop back (the loop hands records to the recorder thread over
/// that ring; the shipper reads the file the recorder writes). 0: it never did. (The
/// command ring's waits are the venue gateways' pace, which the broker does not touch;
/// with tests running side by side on two cores they are not 0.)
fn journal_ring_waits(report: &Path) -> u64 {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    doc["runtime"]["journal_ring_full"].as_u64().unwrap()
}

#[test]
fn a_broker_stopped_mid_run_and_restarted_holds_every_record_once() {
    let (port, store) = (free_port(), common::tmp("nats-restart"));
    let mut n = nats_in(store.clone(), port);
    let url = format!("nats://127.0.0.1:{port}");
    let dir = common::tmp("ship-restart").join("j");
    let report = dir.with_file_name("report.json");
    // The default scenario at its recorded 20x (some seconds), publishing as it goes.
    let mut child = Command::new(common::BIN)
        .args(["run", "--quiet", "--journal"])
        .arg(&dir)
        .args(["--publish", &url, "--instance", "sendai", "--report"])
        .arg(&report)
        .spawn()
        .unwrap();
    let end = Instant::now() + Duration::from_secs(60);
    while legcore::runtime::ship::shipped(&dir) == 0 {
        assert!(
            Instant::now() < end,
            "nothing shipped while the broker was up"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // The broker goes away for three seconds while the run writes on, then comes back
    // on the same port with the same store.
    drop(n);
    std::thread::sleep(Duration::from_secs(3));
    n = nats_in(store, port);
    let code = child.wait().unwrap().code();
    assert!(code.is_some_and(|c| c == 0 || c == 3), "{code:?}");
    let want = lines(&dir);
    let got = stream(n.port);
    assert_eq!(got.len(), want.len(), "each record once, none lost");
    for (i, ((_, id, payload), line)) in got.iter().zip(&want).enumerate() {
        assert_eq!(id, &format!("sendai-{}", i + 1));
        assert_eq!(payload, line, "record {}", i + 1);
    }
    assert_eq!(journal_ring_waits(&report), 0, "the loop never waited");
}

/// `<table id="stats">…</table>` of a page.
fn stats_table(page: &str) -> &str {
    let start = page.find("<table id=\"stats\">").expect("a stats table");
    let end = start + page[start..].find("</table>").unwrap();
    &page[start..end]
}

/// `legcore report --from`: the fleet page names every instance with its executions
/// and links its page, whose statistics are the ones `report --journal` shows for that
/// instance's own journal.
fn fleet_pages(url: &str, each: &[(&str, serde_json::Value)], dirs: &[PathBuf]) {
    let out = common::tmp("fleet-pages");
    let done = common::legcore(&["report", "--from", url, "--out", out.to_str().unwrap()]);
    assert_eq!(done.status.code(), Some(0), "{done:?}");
    let fleet = std::fs::read_to_string(out.join("index.html")).unwrap();
    for ((name, s), dir) in each.iter().zip(dirs) {
        let link = format!("<a href=\"{name}/index.html\">{name}</a>");
        let row = fleet.lines().find(|l| l.contains(&link)).expect("a row");
        assert!(
            row.contains(&format!("<td class=\"n\">{}</td>", s["executions"])),
            "{row}"
        );
        let local = common::tmp(&format!("fleet-page-{name}"));
        let made = common::legcore(&[
            "report",
            "--journal",
            dir.to_str().unwrap(),
            "--out",
            local.to_str().unwrap(),
        ]);
        assert_eq!(made.status.code(), Some(0), "{made:?}");
        let own = std::fs::read_to_string(local.join("index.html")).unwrap();
        let shipped = std::fs::read_to_string(out.join(name).join("index.html")).unwrap();
        assert_eq!(stats_table(&shipped), stats_table(&own), "{name}");
    }
    assert!(fleet.contains("<b>fleet</b>"), "{fleet}");
}

/// The fleet's non-additive figures are computed over every instance's groups: slippage
/// counts add up, outcomes per policy add up, and the average execution time lies between
/// the instances' own averages.
fn fleet_wide_figures(fleet: &serde_json::Value, each: &[(&str, serde_json::Value)]) {
    for k in ["expected_slippage_bps", "actual_slippage_bps"] {
        let sum: u64 = each
            .iter()
            .map(|(_, s)| s[k]["count"].as_u64().unwrap())
            .sum();
        assert_eq!(fleet[k]["count"].as_u64(), Some(sum), "{k}");
    }
    let mut outcomes = std::collections::BTreeMap::<(String, String), u64>::new();
    for (_, s) in each {
        for (policy, by) in s["outcomes"].as_object().unwrap() {
            for (outcome, n) in by.as_object().unwrap() {
                *outcomes
                    .entry((policy.clone(), outcome.clone()))
                    .or_default() += n.as_u64().unwrap();
            }
        }
    }
    for ((policy, outcome), n) in &outcomes {
        assert_eq!(fleet["outcomes"][policy][outcome].as_u64(), Some(*n));
    }
    let unhedged: u64 = outcomes
        .iter()
        .filter(|((_, o), _)| o == "unhedged")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(fleet["unhedged"].as_u64(), Some(unhedged));
    let ms = |v: &serde_json::Value| {
        legcore::num::Decimal::parse(v["avg_execution_ms"].as_str().unwrap()).unwrap()
    };
    let own: Vec<_> = each.iter().map(|(_, s)| ms(s)).collect();
    let (lo, hi) = (own.iter().min().unwrap(), own.iter().max().unwrap());
    assert!(
        lo <= &ms(fleet) && &ms(fleet) <= hi,
        "{own:?} {}",
        ms(fleet)
    );
}

/// A journal line as the shipper wants it: `{"seq":N,…}`.
fn seq_line(seq: u64) -> String {
    format!("{{\"seq\":{seq},\"kind\":\"report\",\"t_ns\":{seq}}}\n")
}

/// The writer's last lines land just before it says stop (as `legcore run` does at its
/// end): the following shipper still ships them. Thirty rounds, the last write at a
/// different moment against the shipper's own waits each time.
#[test]
fn lines_written_just_before_stop_are_shipped() {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let n = nats("last-lines", free_port());
    let url = format!("nats://127.0.0.1:{}", n.port);
    for round in 0..30u64 {
        let dir = common::tmp(&format!("last-lines-{round}"));
        let mut file = std::fs::File::create(dir.join("journal.jsonl")).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let cfg = legcore::runtime::ship::ShipConfig {
            url: url.clone(),
            instance: format!("last{round}"),
        };
        let shipper = std::thread::spawn({
            let (dir, stop) = (dir.clone(), stop.clone());
            move || legcore::runtime::ship::ship(&dir, &cfg, true, &stop).unwrap()
        });
        for seq in 1..=20u64 {
            file.write_all(seq_line(seq).as_bytes()).unwrap();
            std::thread::sleep(Duration::from_micros(50 * round + seq * 7));
        }
        file.write_all(seq_line(21).as_bytes()).unwrap();
        stop.store(true, Ordering::SeqCst);
        let stats = shipper.join().unwrap();
        assert_eq!(stats.last_seq, 21, "round {round}: {stats:?}");
    }
}
