//! `legcore run`: a scenario through the real runtime (loop, gateway and feeder
//! threads) against simulated venues fed by recorded books; then the groups, incidents,
//! statistics and per-stage latencies, as a table or `--report` JSON.
//!
//! Exit codes: 0 done, 2 bad input (scenario, data file, flag), 3 a group ended
//! unhedged (so scripts notice).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use legcore::journal::file::{Fsync, Writer};
use legcore::journal::line::{Line, Opened};
use legcore::journal::recorder::JournalRecorder;
use legcore::journal::stats::{Filter, Stats};
use legcore::journal::GroupSummary;
use legcore::runtime::persist::Persisted;
use legcore::runtime::{run_setup, Setup};
use legcore::scenario::build::{parse_speed, Built};
use legcore::scenario::{Scenario, DEFAULT, DEFAULT_DIR};
use legcore::telemetry::Stage;
use serde_json::{json, Value};

use super::args::{CliError, Flags};
use super::emit;

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
        ],
        &["--quiet", "--resume"],
    )?;
    let (text, dir, label) = match f.get("--scenario") {
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
    };
    let bad = |e: legcore::scenario::ScenarioError| CliError::Input(format!("{label}: {e}"));
    let mut scenario = Scenario::parse(&text).map_err(bad)?;
    if let Some(s) = f.get("--seed") {
        scenario.seed = s.parse().map_err(|_| CliError::BadValue {
            flag: "--seed",
            reason: format!("{s:?} is not a whole number"),
        })?;
    }
    if let Some(s) = f.get("--speed") {
        if parse_speed(s).is_none() {
            return Err(CliError::BadValue {
                flag: "--speed",
                reason: format!("{s:?} is not \"max\" or \"Nx\" (N ≥ 1)"),
            });
        }
        scenario.speed = s.to_string();
    }
    let fsync = match f.get("--fsync").unwrap_or("group") {
        "group" => Fsync::Group,
        "always" => Fsync::Always,
        "never" => Fsync::Never,
        other => {
            return Err(CliError::BadValue {
                flag: "--fsync",
                reason: format!("{other:?} is not group, always or never"),
            })
        }
    };
    if f.has("--resume") {
        let d = f
            .get("--journal")
            .ok_or(CliError::Missing("--journal (with --resume)"))?;
        if f.get("--scenario").is_some() || f.get("--seed").is_some() {
            return Err(CliError::Conflict(
                "--resume takes the scenario and seed the journal was started with",
            ));
        }
        return super::resume::run(Path::new(d), fsync, f.has("--quiet"));
    }
    let mut built = scenario.build(&dir).map_err(bad)?;
    let journal_dir = f.get("--journal").map(PathBuf::from);
    let writer = match &journal_dir {
        Some(d) => {
            let (w, found) =
                Writer::open(d, fsync).map_err(|e| CliError::Input(format!("--journal: {e}")))?;
            if !found.records.is_empty() {
                return Err(CliError::Input(format!(
                    "--journal: {} already holds {} records; give a new directory",
                    w.path().display(),
                    found.records.len()
                )));
            }
            // What a restart needs: the scenario as run, with its data directory.
            let saved = super::resume::Saved {
                scenario: text.clone(),
                dir: dir.canonicalize().unwrap_or(dir.clone()),
                seed: scenario.seed,
                speed: scenario.speed.clone(),
            };
            saved
                .write(d)
                .map_err(|e| CliError::Input(format!("--journal: {e}")))?;
            Some(w)
        }
        None => None,
    };
    let quiet = f.has("--quiet");
    let has_journal = writer.is_some();
    let (mut recorder, shared) = JournalRecorder::new(writer, built.venues.clone(), &built.name);
    if has_journal {
        // Every journal opens with its schema version (docs/journal.md).
        recorder.write(&Line::Opened(Opened::now(&built.name)), true);
    }
    let progress = Arc::new(AtomicU64::new(0));
    built.config.progress = Some(progress.clone());
    // Lines the tapes left out (not `<time> <message>`) count as refused with the rest.
    let skipped: Vec<u64> = built.feeds.iter().map(|f| f.tape.skipped()).collect();
    let Built {
        name,
        seed,
        exchanges,
        risk,
        feeds,
        strategy,
        strategy_groups,
        config,
        venues,
        md_lines,
        ..
    } = built;
    let gateways = exchanges
        .into_iter()
        .enumerate()
        .map(|(i, x)| {
            let path = journal_dir
                .as_ref()
                .map(|d| super::resume::venue_path(d, i));
            Persisted::new(x, path, vec![0])
        })
        .collect();
    let setup = Setup {
        gateways,
        risk,
        feeds,
        jobs: Vec::new(),
        strategy,
        strategy_groups,
        recorder: Some(Box::new(recorder)),
    };
    let worker = std::thread::spawn(move || run_setup(&config, setup));
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(md_lines);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} replay [{bar:30}] {pos}/{len} lines  {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    while !worker.is_finished() {
        std::thread::sleep(Duration::from_millis(100));
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
    let report = worker
        .join()
        .map_err(|_| CliError::Input("the run panicked".into()))?
        .map_err(|e| CliError::Input(format!("run: {e}")))?;
    let mut report = report;
    for g in &mut report.gateways {
        g.flush();
        if let Some(e) = g.error.take() {
            return Err(CliError::Input(format!("--journal: venue state: {e}")));
        }
    }
    if let Some(e) = shared.error.lock().ok().and_then(|e| e.clone()) {
        return Err(CliError::Input(format!("--journal: write failed: {e}")));
    }
    if let Some(d) = f.get("--journal") {
        // The per-stage latency distributions beside the journal, for `legcore report`.
        legcore::journal::latency::write(Path::new(d), &report.telemetry)
            .map_err(|e| CliError::Input(format!("--journal: {e}")))?;
    }
    // A group that ended again (a late fill) is shown once, as it ended last, in the
    // order of its first end, as `legcore stats` counts it.
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
    let stats = Stats::compute(&groups, &Filter::default());
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
    let positions: Vec<Value> = report
        .gateways
        .iter()
        .zip(&venues)
        .map(|(x, v)| {
            let b = &x.inner.books()[0];
            json!({
                "venue": v.name,
                "instrument": v.instrument,
                "position": v.lot.to_decimal(b.position_lots()).to_string(),
                "traded": v.lot.to_decimal(b.traded_lots()).to_string(),
            })
        })
        .collect();
    let cs = report.strategy.stats();
    let strategy = json!({
        "decisions": cs.decisions,
        "opens": cs.opens,
        "closes": cs.closes,
        "cycles": cs.cycles,
        "best_entry_bps": cs.best_entry_bps.map(|d| d.to_string()),
        "best_exit_bps": cs.best_exit_bps.map(|d| d.to_string()),
        "state": format!("{:?}", report.strategy.state()),
    });
    let runtime = json!({
        "md_lines": report.md_lines,
        "md_refused": report
            .md_refused
            .iter()
            .zip(&skipped)
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
        "loop_pinned": report.loop_pinned,
    });
    let doc = json!({
        "scenario": name,
        "seed": seed,
        "groups": groups,
        "stats": stats,
        "latency_ns": latency,
        "strategy": strategy,
        "venues": positions,
        "runtime": runtime,
    });
    if let Some(path) = f.get("--report") {
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        std::fs::write(path, text + "\n").map_err(|source| CliError::Io {
            path: path.to_string(),
            source,
        })?;
    }
    if !quiet {
        emit(&table(&name, seed, &groups, &stats, &doc))?;
        emit(&report.telemetry.table())?;
    }
    let unhedged = groups.iter().any(|g| g.outcome == "unhedged");
    Ok(if unhedged { 3 } else { 0 })
}

fn table(name: &str, seed: u64, groups: &[GroupSummary], stats: &Stats, doc: &Value) -> String {
    let o = |x: &Option<String>| x.clone().unwrap_or_else(|| "-".into());
    let mut t = format!("scenario {name}  seed {seed}\n\n");
    t += &format!(
        "{:>4} {:<10} {:<14} {:<13} {:<5} {:<18} {:>10} {:>10} {:>12} {:>9} {:>9} {:>10}\n",
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
        "fees"
    );
    for g in groups {
        for (i, l) in g.legs.iter().enumerate() {
            let (id, outcome) = if i == 0 {
                (g.id.to_string(), g.outcome.as_str())
            } else {
                (String::new(), "")
            };
            t += &format!(
                "{:>4} {:<10} {:<14} {:<13} {:<5} {:<18} {:>10} {:>10} {:>12} {:>9} {:>9} {:>10}\n",
                id,
                outcome,
                l.venue,
                l.instrument,
                l.side,
                l.mode_used,
                l.filled_qty,
                o(&l.filled_base),
                o(&l.avg_price),
                o(&l.expected_slippage_bps),
                o(&l.slippage_bps),
                trim(&l.fees, 6),
            );
        }
    }
    let incidents: Vec<&GroupSummary> = groups.iter().filter(|g| g.incident.is_some()).collect();
    t += &format!("\nincidents ({})\n", incidents.len());
    for g in incidents {
        if let Some(i) = &g.incident {
            t += &format!(
                "  group {}: {}  (loss {}, unhedged {} s)\n",
                g.id, i.summary, i.loss_quote, i.unhedged_seconds
            );
        }
    }
    t += "\nstatistics\n";
    t += &stats.table();
    let (s, r) = (&doc["strategy"], &doc["runtime"]);
    let bps = |v: &Value| {
        v.as_str()
            .map_or("-".to_string(), |x| format!("{} bps", trim(x, 2)))
    };
    t += &format!(
        "\nstrategy  {} decisions, {} opens, {} closes, {} cycles; best entry {}, best exit {}; \
         ends {}\n",
        s["decisions"],
        s["opens"],
        s["closes"],
        s["cycles"],
        bps(&s["best_entry_bps"]),
        bps(&s["best_exit_bps"]),
        s["state"].as_str().unwrap_or("?")
    );
    for v in doc["venues"].as_array().into_iter().flatten() {
        t += &format!(
            "venue     {} {}: position {}, traded {}\n",
            v["venue"].as_str().unwrap_or("?"),
            v["instrument"].as_str().unwrap_or("?"),
            v["position"].as_str().unwrap_or("?"),
            v["traded"].as_str().unwrap_or("?")
        );
    }
    t += &format!(
        "runtime   {} md lines (refused {}, dropped {}); waits on full rings: command {}, \
         journal {}; risk refused {} (waited for a token {}, dropped behind a refusal {}); \
         reports ignored {}; unverified fills {}; unaccounted {}\n\n",
        r["md_lines"],
        r["md_refused"],
        r["feeder_dropped"],
        r["command_ring_full"],
        r["journal_ring_full"],
        r["risk_refused"],
        r["risk_waited"],
        r["risk_dropped"],
        r["reports_ignored"],
        r["unverified_fills"],
        r["unaccounted"]
    );
    t
}

/// A decimal string cut to `dp` places for display.
fn trim(s: &str, dp: usize) -> String {
    match s.split_once('.') {
        Some((i, f)) if f.len() > dp => format!("{i}.{}", &f[..dp]),
        _ => s.to_string(),
    }
}
