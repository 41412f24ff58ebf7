//! What `legcore run` adds for live feeds: the stop flag that Ctrl-C and `--duration`
//! set (the run then ends its feeds, finishes what is open and flushes its journal), and
//! each connection's health in the report and the table.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use legcore::runtime::LiveStats;
use serde_json::{json, Value};

use super::args::CliError;

/// The run's stop flag, set by the first Ctrl-C (or SIGTERM); a second one exits at once
/// with code 130. Called once per process (one command per process).
pub fn stop_flag() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let installed = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("stopping: ending the feeds, finishing open groups (Ctrl-C again to quit)");
    });
    if let Err(e) = installed {
        eprintln!("warning: no Ctrl-C handler ({e}); --duration still stops the run");
    }
    stop
}

/// `--duration`: `90s`, `15m`, `2h` (also a plain number of seconds).
pub fn duration(text: &str) -> Result<Duration, CliError> {
    let ms = if text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse::<u64>().ok().and_then(|s| s.checked_mul(1_000))
    } else {
        super::stats::duration_ms(text)
    };
    ms.filter(|&ms| ms > 0)
        .map(Duration::from_millis)
        .ok_or_else(|| CliError::BadValue {
            flag: "--duration",
            reason: format!(
                "{} is not a duration like 30, 90s, 15m or 2h",
                legcore::text::Quoted(text)
            ),
        })
}

/// Sets `stop` once `deadline` has passed (polled by the run's watcher).
pub fn check_deadline(deadline: Option<Instant>, stop: &AtomicBool) {
    if deadline.is_some_and(|d| Instant::now() >= d) {
        stop.store(true, Ordering::SeqCst);
    }
}

/// Per live feed, its connection's health and what its thread handed on.
pub fn live_json(live: &[LiveStats]) -> Value {
    live.iter()
        .map(|s| {
            let h = &s.health;
            json!({
                "connects": h.connects,
                "failures": h.failures,
                "snapshots": h.snapshots,
                "resyncs": h.resyncs,
                "refreshes": h.refreshes,
                "gaps": h.gaps,
                "frames": h.frames,
                "control": h.control,
                "tls_failures": h.tls_failures,
                "refused": h.refused,
                "lines": s.pushed,
                "ring_waits": s.waited,
                "buffers": s.allocated,
                "resets": s.resets,
                "last_message_age_ms": s.last_line_age_ns().map(|ns| ns / 1_000_000),
                "last_error": h.last_error,
            })
        })
        .collect()
}

/// One table line per live feed.
pub fn live_lines(doc: &Value) -> String {
    let mut t = String::new();
    let feeds = doc["runtime"]["live"].as_array().into_iter().flatten();
    for (i, f) in feeds.enumerate() {
        let age = f["last_message_age_ms"]
            .as_u64()
            .map_or("no message".into(), |ms| {
                format!("last message {ms} ms before the end")
            });
        t += &format!(
            "live      feed {i}: {} connects ({} failures), {} frames ({} control), {} snapshots \
             ({} resyncs, {} refreshes), {} gaps, {} refused; {age}",
            f["connects"],
            f["failures"],
            f["frames"],
            f["control"],
            f["snapshots"],
            f["resyncs"],
            f["refreshes"],
            f["gaps"],
            f["refused"]
        );
        if let Some(e) = f["last_error"].as_str() {
            t += &format!("; last error: {e}");
        }
        t += "\n";
    }
    t
}
