//! `legcore run`: a scenario through the real runtime (loop, gateway and feeder
//! threads) against simulated venues fed by recorded books; then the groups, incidents,
//! statistics and per-stage latencies, as a table or `--report` JSON.
//!
//! In order: [`run`] reads the flags and the scenario, [`open_journal`] prepares
//! `--journal`, [`execute`] runs the threads with a progress bar, [`report_doc`] builds
//! the report (the same [`Stats`] as `legcore stats`) and [`table`] prints it. Money in
//! the table names its sign and currency (`cost 5.93 USDT`, `loss 1.18 USDT`).
//!
//! Exit codes: 0 done, 2 bad input (scenario, data file, flag), 3 a group ended
//! unhedged (so scripts notice).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use legcore::fix::session::SeqNums;
use legcore::instrument::VenueInfo;
use legcore::journal::line::{Line, Opened};
use legcore::journal::GroupSummary;
use legcore::journal::{Filter, Stats};
use legcore::journal::{Fsync, Writer};
use legcore::journal::{JournalRecorder, Shared};
use legcore::journal::{COST, LOSS};
use legcore::num::Decimal;
use legcore::runtime::binance_fix::BinanceFixGateway;
use legcore::runtime::binance_ws::BinanceWsGateway;
use legcore::runtime::Persisted;
use legcore::runtime::{run_setup, RunReport, RuntimeError, Setup, Venue};
use legcore::scenario::gateway::NetworkConfig;
use legcore::scenario::{parse_speed, Built};
use legcore::scenario::{Scenario, DEFAULT, DEFAULT_DIR};
use legcore::sim::SimExchange;
use legcore::strategy::RunStrategy;
use legcore::telemetry::Stage;
use legcore::text::Quoted;
use serde_json::{json, Value};

use super::args::{CliError, Flags};
use super::emit;

type Report = RunReport<Persisted<SimExchange>, RunStrategy>;

pub fn run(args: &[String]) -> Result<u8, CliError> {
    let f = Flags::parse(
        args,
        &[
            "--scenario",
            "--journal",
            "--report",
            "--seed",
            "--speed",
            "--fsync",
            "--duration",
            "--publish",
            "--instance",
        ],
        &["--quiet", "--resume", "--live-orders"],
    )?;
    let (text, dir, label) = scenario_text(&f)?;
    let bad = |e: legcore::scenario::ScenarioError| CliError::Input(format!("{label}: {e}"));
    let mut scenario = Scenario::parse(&text).map_err(bad)?;
    override_seed_and_speed(&f, &mut scenario)?;
    let fsync = fsync_flag(&f)?;
    if f.has("--resume") {
        return resume(&f, fsync);
    }
    let built = scenario.build(&dir).map_err(bad)?;
    check_live(&built, f.has("--live-orders"))?;
    let journal_dir = f.get("--journal").map(PathBuf::from);
    let writer = match &journal_dir {
        Some(d) => Some(open_journal(d, fsync, &text, &dir, &scenario)?),
        None => None,
    };
    let quiet = f.has("--quiet");
    let until = match f.get("--duration") {
        Some(d) => Some(Instant::now() + super::live::duration(d)?),
        None => None,
    };
    let (name, seed) = (built.name.clone(), built.seed);
    let venues = built.venues.clone();
    let shipper = publish(&f, journal_dir.as_deref())?;
    let ran = execute(built, writer, journal_dir.as_deref(), quiet, until);
    if let Some(s) = shipper {
        s.finish(quiet);
    }
    let ran = ran?;
    let groups = last_ends(&ran.shared);
    let stats = Stats::compute(&groups, &Filter::default()).map_err(input)?;
    let doc = report_doc(&name, seed, &groups, &stats, &ran, &venues);
    if let Some(path) = f.get("--report") {
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        std::fs::write(path, text + "\n").map_err(|source| CliError::Io {
            path: path.to_string(),
            source,
        })?;
    }
    if !quiet {
        emit(&table(&name, seed, &groups, &stats, &doc))?;
        emit(&ran.report.telemetry.table())?;
    }
    let unhedged = groups.iter().any(|g| g.outcome == "unhedged");
    Ok(if unhedged { 3 } else { 0 })
}

/// `--resume --journal DIR` (with `--publish`: the journal shipped as the resume
/// appends to it, from where the last shipper stopped).
fn resume(f: &Flags, fsync: Fsync) -> Result<u8, CliError> {
    let d = f
        .get("--journal")
        .ok_or(CliError::Missing("--journal (with --resume)"))?;
    if f.get("--scenario").is_some() || f.get("--seed").is_some() {
        return Err(CliError::Conflict(
            "--resume takes the scenario and seed the journal was started with",
        ));
    }
    let shipper = publish(f, Some(Path::new(d)))?;
    let resumed = super::resume::run(Path::new(d), fsync, f.has("--quiet"));
    if let Some(s) = shipper {
        s.finish(f.has("--quiet"));
    }
    resumed
}

/// `--publish nats://… --instance NAME`: the journal shipped to NATS JetStream while the
/// run writes it, by a thread of its own (never the loop's); it needs `--journal`.
fn publish(f: &Flags, journal: Option<&Path>) -> Result<Option<Shipper>, CliError> {
    if f.get("--publish").is_none() {
        return Ok(None);
    }
    let dir = journal.ok_or(CliError::Missing("--journal (with --publish)"))?;
    let mut args = Vec::new();
    for flag in ["--publish", "--instance"] {
        if let Some(v) = f.get(flag) {
            let name = if flag == "--publish" { "--to" } else { flag };
            args.extend([name.to_string(), v.to_string()]);
        }
    }
    let cfg =
        super::ship::config(&Flags::parse(&args, &["--to", "--instance"], &[])?).map_err(|e| {
            match e {
                CliError::BadValue {
                    flag: "--to",
                    reason,
                } => CliError::BadValue {
                    flag: "--publish",
                    reason,
                },
                CliError::Missing("--to") => CliError::Missing("--publish"),
                other => other,
            }
        })?;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (dir, flag) = (dir.to_path_buf(), stop.clone());
    let thread = std::thread::Builder::new()
        .name("legcore-ship".into())
        .spawn(move || legcore::runtime::ship::ship(&dir, &cfg, true, &flag))
        .map_err(|e| CliError::Input(format!("cannot start the shipping thread: {e}")))?;
    Ok(Some(Shipper { stop, thread }))
}

/// The run's shipping thread.
struct Shipper {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<
        Result<legcore::runtime::ship::ShipStats, legcore::runtime::ship::ShipError>,
    >,
}

impl Shipper {
    /// Ships what the journal holds now (the run is over), then stops: an absent
    /// broker is not waited for (the next `legcore ship` catches up). A failure is
    /// said on stderr (unless `quiet`): the journal itself is whole.
    fn finish(self, quiet: bool) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let why = match self.thread.join() {
            Ok(Ok(_)) => return,
            Ok(Err(e)) => e.to_string(),
            Err(_) => "the shipping thread panicked".to_string(),
        };
        if !quiet {
            eprintln!(
                "warning: journal shipping stopped: {why} (the journal is whole; \
                 `legcore ship` resumes it)"
            );
        }
    }
}

/// A scenario with a network venue sends real orders: it runs only with `--live-orders`
/// (fail closed). Its risk limits (`[venue.limits]`, `[risk]`) are required by the
/// scenario format itself.
fn check_live(built: &Built, live: bool) -> Result<(), CliError> {
    let network = built.network.iter().any(Option::is_some);
    if network && !live {
        return Err(CliError::Conflict(
            "this scenario sends real orders to a network venue ([venue.gateway]): \
             give --live-orders to run it",
        ));
    }
    Ok(())
}

/// Venue `i`: its simulated exchange (saved beside the journal), or its network gateway.
fn venue(
    i: usize,
    x: SimExchange,
    built_network: Option<&NetworkConfig>,
    rules: &legcore::instrument::InstrumentRules,
    journal_dir: Option<&Path>,
) -> Result<Venue<Persisted<SimExchange>>, CliError> {
    let refused = |e: &dyn std::fmt::Display| CliError::Input(format!("venue[{i}].gateway: {e}"));
    Ok(match built_network {
        Some(NetworkConfig::BinanceSpotFix(cfg)) => {
            let gw = BinanceFixGateway::new(cfg, rules.tick, rules.lot, SeqNums::START)
                .map_err(|e| refused(&e))?;
            Venue::Network(Box::new(gw))
        }
        Some(NetworkConfig::BinanceUsdmWs(cfg)) => {
            let gw = BinanceWsGateway::new(cfg, rules.tick, rules.lot).map_err(|e| refused(&e))?;
            Venue::Network(Box::new(gw))
        }
        None => {
            let path = journal_dir.map(|d| super::resume::venue_path(d, i));
            Venue::Local(Persisted::new(x, path, vec![0]))
        }
    })
}

fn input(e: impl std::fmt::Display) -> CliError {
    CliError::Input(e.to_string())
}

/// The scenario's text, the directory its paths are relative to, and its name for
/// messages.
fn scenario_text(f: &Flags) -> Result<(String, PathBuf, String), CliError> {
    Ok(match f.get("--scenario") {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| CliError::Io {
                path: path.to_string(),
                source,
            })?;
            let dir = Path::new(path)
                .parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            (text, dir, path.to_string())
        }
        None => (
            DEFAULT.to_string(),
            PathBuf::from(DEFAULT_DIR),
            "default scenario".to_string(),
        ),
    })
}

/// `--seed` and `--speed` over the scenario's own.
fn override_seed_and_speed(f: &Flags, scenario: &mut Scenario) -> Result<(), CliError> {
    if let Some(s) = f.get("--seed") {
        scenario.seed = s.parse().map_err(|_| CliError::BadValue {
            flag: "--seed",
            reason: format!("{} is not a whole number", Quoted(s)),
        })?;
    }
    if let Some(s) = f.get("--speed") {
        if parse_speed(s).is_none() {
            return Err(CliError::BadValue {
                flag: "--speed",
                reason: format!("{} is not \"max\" or \"Nx\" (N ≥ 1)", Quoted(s)),
            });
        }
        scenario.speed = s.to_string();
    }
    Ok(())
}

fn fsync_flag(f: &Flags) -> Result<Fsync, CliError> {
    match f.get("--fsync").unwrap_or("group") {
        "group" => Ok(Fsync::Group),
        "always" => Ok(Fsync::Always),
        "never" => Ok(Fsync::Never),
        other => Err(CliError::BadValue {
            flag: "--fsync",
            reason: format!("{} is not group, always or never", Quoted(other)),
        }),
    }
}

/// Opens a new `--journal` directory (refusing one that holds records) and saves what a
/// restart needs beside it: the scenario as run, with its data directory.
fn open_journal(
    d: &Path,
    fsync: Fsync,
    text: &str,
    dir: &Path,
    scenario: &Scenario,
) -> Result<Writer, CliError> {
    let journal = |e: &dyn std::fmt::Display| CliError::Input(format!("--journal: {e}"));
    let (w, found) = Writer::open(d, fsync).map_err(|e| journal(&e))?;
    if !found.records.is_empty() {
        return Err(journal(&format_args!(
            "{} already holds {} records; give a new directory",
            w.path().display(),
            found.records.len()
        )));
    }
    let saved = super::resume::Saved {
        scenario: text.to_string(),
        dir: dir.canonicalize().unwrap_or(dir.to_path_buf()),
        seed: scenario.seed,
        speed: scenario.speed.clone(),
    };
    saved.write(d).map_err(|e| journal(&e))?;
    Ok(w)
}

/// What a finished run hands to the report.
struct Ran {
    report: Report,
    shared: Arc<Shared>,
    /// Per feed: lines the tapes left out (not `<time> <message>`).
    skipped: Vec<u64>,
}

/// Runs the scenario on its threads, with a progress bar on a terminal; then checks the
/// venues' saved state and the journal for write errors.
fn execute(
    mut built: Built,
    writer: Option<Writer>,
    journal_dir: Option<&Path>,
    quiet: bool,
    until: Option<Instant>,
) -> Result<Ran, CliError> {
    let has_journal = writer.is_some();
    let (mut recorder, shared) = JournalRecorder::new(writer, built.venues.clone(), &built.name);
    if has_journal {
        // Every journal opens with its schema version (docs/journal.md).
        recorder.write(&Line::Opened(Opened::now(&built.name)), true);
    }
    let progress = Arc::new(AtomicU64::new(0));
    built.config.progress = Some(progress.clone());
    let stop = super::live::stop_flag();
    built.config.stop = Some(stop.clone());
    let skipped: Vec<u64> = built.feeds.iter().map(|f| f.tape.skipped()).collect();
    let md_lines = built.md_lines;
    let mut gateways = Vec::new();
    for (i, x) in built.exchanges.into_iter().enumerate() {
        let net = built.network.get(i).and_then(Option::as_ref);
        gateways.push(venue(i, x, net, &built.rules[i], journal_dir)?);
    }
    let setup = Setup {
        gateways,
        risk: built.risk,
        feeds: built.feeds,
        jobs: Vec::new(),
        strategy: built.strategy,
        strategy_groups: built.strategy_groups,
        recorder: Some(Box::new(recorder)),
    };
    let config = built.config;
    let worker = std::thread::spawn(move || run_setup(&config, setup));
    let watched = Watched {
        progress: &progress,
        md_lines,
        stop: &stop,
        until,
    };
    let mut report = watch(worker, &shared, &watched, quiet)?;
    for g in &mut report.gateways {
        g.flush();
        if let Some(e) = g.error.take() {
            return Err(CliError::Input(format!("--journal: venue state: {e}")));
        }
    }
    if let Some(e) = shared.failure() {
        return Err(CliError::Input(e));
    }
    if let Some(d) = journal_dir {
        // The per-stage latency distributions beside the journal, for `legcore report`.
        legcore::journal::latency::write(d, &report.telemetry)
            .map_err(|e| CliError::Input(format!("--journal: {e}")))?;
    }
    Ok(Ran {
        report,
        shared,
        skipped,
    })
}

/// What the watcher of a run looks at.
struct Watched<'a> {
    progress: &'a AtomicU64,
    /// Recorded lines to replay (0 for live feeds: no end to show).
    md_lines: u64,
    stop: &'a AtomicBool,
    /// `--duration`'s end.
    until: Option<Instant>,
}

/// Waits for the run, showing its progress on a terminal, and stops it at `--duration`.
fn watch(
    worker: JoinHandle<Result<Report, RuntimeError>>,
    shared: &Shared,
    w: &Watched,
    quiet: bool,
) -> Result<Report, CliError> {
    let (progress, md_lines) = (w.progress, w.md_lines);
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(md_lines);
        let template = if md_lines == 0 {
            "{spinner} live {pos} lines  {msg}"
        } else {
            "{spinner} replay [{bar:30}] {pos}/{len} lines  {msg}"
        };
        b.set_style(
            indicatif::ProgressStyle::with_template(template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    while !worker.is_finished() {
        std::thread::sleep(Duration::from_millis(100));
        super::live::check_deadline(w.until, w.stop);
        if let Some(b) = &bar {
            let p = &shared.progress;
            b.set_position(progress.load(Ordering::Relaxed));
            b.set_message(format!(
                "groups opened {} closed {}  incidents {}",
                p.opened.load(Ordering::Relaxed),
                p.closed.load(Ordering::Relaxed),
                p.incidents.load(Ordering::Relaxed)
            ));
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    worker
        .join()
        .map_err(|_| CliError::Input("the run panicked".into()))?
        .map_err(|e| CliError::Input(format!("run: {e}")))
}

/// A group that ended again (a late fill) is shown once, as it ended last, in the order
/// of its first end, as `legcore stats` counts it.
fn last_ends(shared: &Shared) -> Vec<GroupSummary> {
    let ends: Vec<GroupSummary> = shared
        .summaries
        .lock()
        .map(|v| v.clone())
        .unwrap_or_default();
    let mut groups: Vec<GroupSummary> = Vec::with_capacity(ends.len());
    for s in ends {
        match groups.iter_mut().find(|g| g.id == s.id) {
            Some(g) => *g = s,
            None => groups.push(s),
        }
    }
    groups
}

/// The `--report` document (docs/scenario.md describes it).
fn report_doc(
    name: &str,
    seed: u64,
    groups: &[GroupSummary],
    stats: &Stats,
    ran: &Ran,
    venues: &[VenueInfo],
) -> Value {
    let report = &ran.report;
    let latency: serde_json::Map<String, Value> = Stage::ALL
        .iter()
        .map(|&s| {
            let h = report.telemetry.histogram(s);
            let v = json!({
                "count": h.len(),
                "p50": h.value_at_quantile(0.5),
                "p99": h.value_at_quantile(0.99),
                "p999": h.value_at_quantile(0.999),
                "max": h.max(),
            });
            (s.name().to_string(), v)
        })
        .collect();
    // The local venues' books in venue order; a network venue keeps its own.
    let mut local = report.gateways.iter();
    let positions: Vec<Value> = venues
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let network = report.network.iter().any(|n| n.venue == i);
            let b = if network { None } else { local.next() };
            let units = |f: fn(&legcore::sim::SimVenue) -> i64| {
                b.map(|x| v.lot.to_decimal(f(&x.inner.books()[0])).to_string())
            };
            json!({
                "venue": v.name,
                "instrument": v.instrument,
                "position": units(|b| b.position_lots()),
                "traded": units(|b| b.traded_lots()),
            })
        })
        .collect();
    json!({
        "scenario": name,
        "seed": seed,
        "groups": groups,
        "stats": stats,
        "latency_ns": latency,
        "strategy": strategy_json(&report.strategy),
        "venues": positions,
        "runtime": runtime_json(ran),
    })
}

fn strategy_json(carry: &RunStrategy) -> Value {
    let cs = carry.stats();
    json!({
        "decisions": cs.decisions,
        "opens": cs.opens,
        "closes": cs.closes,
        "not_opened": cs.not_opened,
        "cycles": cs.cycles,
        "best_entry_bps": cs.best_entry_bps.map(|d| d.to_string()),
        "best_exit_bps": cs.best_exit_bps.map(|d| d.to_string()),
        "state": carry.state().name(),
        "state_text": carry.state_text(),
    })
}

fn runtime_json(ran: &Ran) -> Value {
    let report = &ran.report;
    json!({
        "md_lines": report.md_lines,
        "md_refused": report
            .md_refused
            .iter()
            .zip(&ran.skipped)
            .map(|(r, s)| r.saturating_add(*s))
            .collect::<Vec<u64>>(),
        "feeder_dropped": report.feeder.dropped,
        "command_ring_full": report.command_ring_full,
        "journal_ring_full": report.journal_ring_full,
        "risk_refused": report.risk_refused,
        "risk_waited": report.risk_waited,
        "risk_dropped": report.risk_dropped,
        "reports_ignored": report.reports_ignored,
        "unverified_fills": report.unverified_fills,
        "unaccounted": report.unaccounted,
        "pool_exhausted": report.pool_exhausted,
        "groups_recycled": report.recycled,
        "late_reports": report.late_reports,
        "link_events": report.link_events,
        "position_breaks": report.position_breaks,
        "loop_pinned": report.loop_pinned,
        "md_resets": report.md_resets,
        "replay_stopped": report.feeder.stopped,
        "live": super::live::live_json(&report.live),
    })
}

/// The run's text output: groups, incidents, statistics, strategy, venues, runtime.
fn table(name: &str, seed: u64, groups: &[GroupSummary], stats: &Stats, doc: &Value) -> String {
    let mut t = format!("scenario {name}  seed {seed}\n\n");
    t += &group_table(groups);
    t += &incident_lines(groups);
    t += "\nstatistics\n";
    t += &stats.table();
    t += &footer(doc);
    t += &super::live::live_lines(doc);
    t
}

const GROUP_ROW: [&str; 14] = [
    "grp",
    "outcome",
    "venue",
    "instrument",
    "side",
    "mode",
    "filled",
    "base",
    "avg price",
    "exp bps",
    "act bps",
    "fees",
    "shortfall",
    "in",
];

/// One row of the group table.
fn group_row(c: [&str; 14]) -> String {
    format!(
        "{:>4} {:<10} {:<14} {:<13} {:<5} {:<18} {:>10} {:>10} {:>12} {:>9} {:>9} {:>10} \
         {:>11} {}\n",
        c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], c[13]
    )
}

/// A leg a row, then each group's implementation shortfall (+ = cost) in its quote.
fn group_table(groups: &[GroupSummary]) -> String {
    let o = |x: Option<Decimal>| x.map_or_else(|| "-".to_string(), |x| x.to_string());
    let mut t = group_row(GROUP_ROW);
    for g in groups {
        for (i, l) in g.legs.iter().enumerate() {
            let (id, outcome) = if i == 0 {
                (g.id.to_string(), g.outcome.as_str())
            } else {
                (String::new(), "")
            };
            t += &group_row([
                &id,
                outcome,
                &l.venue,
                &l.instrument,
                &l.side,
                &l.mode_used,
                &l.filled_qty.to_string(),
                &o(l.filled_base),
                &o(l.avg_price),
                &o(l.expected_slippage_bps),
                &o(l.slippage_bps),
                &trim(l.fees, money_dp(l)),
                &l.shortfall_quote
                    .map_or_else(|| "-".to_string(), |x| trim(x, money_dp(l))),
                l.money_currency(),
            ]);
        }
        t += &format!(
            "     shortfall {} (fills against the arrival mid, fees included)\n",
            g.shortfall_quote.named(COST)
        );
    }
    t
}

/// Each incident's line: its loss (or gain) in quote with the sign named.
fn incident_lines(groups: &[GroupSummary]) -> String {
    let incidents: Vec<&GroupSummary> = groups.iter().filter(|g| g.incident.is_some()).collect();
    let mut t = format!("\nincidents ({})\n", incidents.len());
    for g in incidents {
        if let Some(i) = &g.incident {
            t += &format!(
                "  group {} ({}): {}, unhedged {} s\n    {}\n",
                g.id,
                g.policy,
                i.loss_quote.named(LOSS),
                i.unhedged_seconds,
                i.summary
            );
        }
    }
    t
}

/// The strategy's, venues' and runtime's lines, from the report document.
fn footer(doc: &Value) -> String {
    let (s, r) = (&doc["strategy"], &doc["runtime"]);
    let bps = |v: &Value| {
        v.as_str()
            .and_then(|x| Decimal::parse(x).ok())
            .map_or("-".to_string(), |x| format!("{} bps", trim(x, 2)))
    };
    let text = |v: &Value| v.as_str().unwrap_or("?").to_string();
    let mut t = format!(
        "\nstrategy  {} decisions, {} opens, {} closes ({} found no free group slot), {} cycles; \
         best entry {}, best exit {}; ends {}\n",
        s["decisions"],
        s["opens"],
        s["closes"],
        s["not_opened"],
        s["cycles"],
        bps(&s["best_entry_bps"]),
        bps(&s["best_exit_bps"]),
        text(&s["state_text"])
    );
    for v in doc["venues"].as_array().into_iter().flatten() {
        t += &format!(
            "venue     {} {}: position {}, traded {}\n",
            text(&v["venue"]),
            text(&v["instrument"]),
            text(&v["position"]),
            text(&v["traded"])
        );
    }
    let refused: Vec<String> = r["md_refused"]
        .as_array()
        .into_iter()
        .flatten()
        .map(Value::to_string)
        .collect();
    t += &format!(
        "runtime   {} md lines (refused per feed {}; dropped {}); waits on full rings: command {}, \
         journal {}; risk refused {} (waited for a token {}, dropped behind a refusal {}); \
         reports ignored {}; unverified fills {}; unaccounted {}; venue link events {}; \
         position breaks {}; group slots reused {} (reports too late for theirs {})\n\n",
        r["md_lines"],
        refused.join(", "),
        r["feeder_dropped"],
        r["command_ring_full"],
        r["journal_ring_full"],
        r["risk_refused"],
        r["risk_waited"],
        r["risk_dropped"],
        r["reports_ignored"],
        r["unverified_fills"],
        r["unaccounted"],
        r["link_events"],
        r["position_breaks"],
        r["groups_recycled"],
        r["late_reports"]
    );
    t
}

/// A decimal cut toward zero to `dp` places for display.
/// Places the table shows of a leg's money: 6 in its quote, 8 (a satoshi) in a coin.
fn money_dp(l: &legcore::journal::LegSummary) -> u8 {
    if l.money_currency() == l.quote {
        6
    } else {
        8
    }
}

fn trim(x: Decimal, dp: u8) -> String {
    x.round_dp(dp, legcore::num::Round::ToZero)
        .unwrap_or(x)
        .to_string()
}
