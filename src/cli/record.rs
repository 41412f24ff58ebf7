//! `legcore record --scenario FILE.toml --out DIR [--duration D] [--rotate-bytes N]
//! [--rotate-secs S] [--quiet]`: captures the live feeds of a scenario's live venues
//! (`source = "live"`) to `DIR/<venue>.<part>.raw.gz` in the replay format, one client
//! thread per feed, until Ctrl-C or `--duration`; see [`legcore::runtime::live::record`].

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use legcore::book::Ladder;
use legcore::runtime::live::client::{run_client, LiveConfig};
use legcore::runtime::live::record::{Recorded, Recorder, Rotate};
use legcore::runtime::live::Health;
use legcore::runtime::Feed;
use legcore::text::Quoted;

use super::args::{CliError, Flags};
use super::{emit, live};

/// What one feed's thread ends with.
type Ended = (String, Health, Recorded, Option<String>);

pub fn run(args: &[String]) -> Result<u8, CliError> {
    let valued = [
        "--scenario",
        "--out",
        "--duration",
        "--rotate-bytes",
        "--rotate-secs",
    ];
    let f = Flags::parse(args, &valued, &["--quiet"])?;
    let path = f.required("--scenario")?;
    let out = Path::new(f.required("--out")?);
    let rotate = rotate(&f)?;
    let deadline = match f.get("--duration") {
        Some(d) => Some(Instant::now() + live::duration(d)?),
        None => None,
    };
    let feeds = live_feeds(path)?;
    std::fs::create_dir_all(out).map_err(|source| CliError::Io {
        path: out.display().to_string(),
        source,
    })?;
    let mut jobs = Vec::with_capacity(feeds.len());
    for (name, feed) in feeds {
        let cfg = live_config(&feed)?;
        let steps = (feed.tick, feed.lot);
        let rec = Recorder::new(&out.join(&name), feed.format, &cfg.symbol, steps, rotate);
        let book = Ladder::new(feed.levels_per_side, feed.max_update_levels);
        jobs.push((name, cfg, book, rec));
    }
    let stop = live::stop_flag();
    let threads: Vec<_> = jobs
        .into_iter()
        .map(|job| spawn(job, stop.clone()))
        .collect();
    while !threads.iter().all(std::thread::JoinHandle::is_finished) {
        live::check_deadline(deadline, &stop);
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut failed = false;
    for t in threads {
        let (name, health, rec, error) = t
            .join()
            .map_err(|_| CliError::Input("a recording thread panicked".to_string()))?;
        failed |= error.is_some();
        if !f.has("--quiet") {
            emit(&summary(&name, &health, &rec, error.as_deref()))?;
        }
    }
    Ok(if failed { 1 } else { 0 })
}

/// `--rotate-bytes` and `--rotate-secs`, positive.
fn rotate(f: &Flags) -> Result<Rotate, CliError> {
    let positive = |flag: &'static str, scale: u64| -> Result<Option<u64>, CliError> {
        let Some(text) = f.get(flag) else {
            return Ok(None);
        };
        let v = text.parse::<u64>().ok().filter(|&v| v > 0);
        v.and_then(|v| v.checked_mul(scale))
            .map(Some)
            .ok_or_else(|| CliError::BadValue {
                flag,
                reason: format!("{} is not a positive whole number in range", Quoted(text)),
            })
    };
    Ok(Rotate {
        bytes: positive("--rotate-bytes", 1)?,
        age_ns: positive("--rotate-secs", 1_000_000_000)?,
    })
}

/// The scenario's live feeds, named by their venue.
fn live_feeds(path: &str) -> Result<Vec<(String, Feed)>, CliError> {
    let (scenario, built) = super::built_scenario(path)?;
    let names = scenario.venue.iter().map(|v| v.name.clone());
    let live: Vec<_> = names
        .zip(built.feeds)
        .filter(|(_, feed)| feed.live.is_some())
        .collect();
    if live.is_empty() {
        return Err(CliError::BadValue {
            flag: "--scenario",
            reason: format!("{} has no live venue (source = \"live\")", Quoted(path)),
        });
    }
    Ok(live)
}

fn live_config(feed: &Feed) -> Result<LiveConfig, CliError> {
    feed.live.clone().ok_or(CliError::Input(
        "a live feed without its client settings".to_string(),
    ))
}

/// One feed's client on its own thread, recording until `stop`.
fn spawn(
    (name, mut cfg, mut book, mut rec): (String, LiveConfig, Ladder, Recorder),
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Ended> {
    std::thread::spawn(move || {
        cfg.stop = Some(stop.clone());
        let health = run_client(&cfg, &mut book, &mut rec);
        let finished = rec.finish().err();
        let error = rec.error.take().or(finished).map(|e| e.to_string());
        if error.is_some() {
            // One feed that cannot write stops the others: a partial recording is not
            // silently taken for a whole one.
            stop.store(true, Ordering::SeqCst);
        }
        (name, health, rec.recorded, error)
    })
}

fn summary(name: &str, h: &Health, rec: &Recorded, error: Option<&str>) -> String {
    let files: Vec<String> = rec.files.iter().map(|p| p.display().to_string()).collect();
    let mut t = format!(
        "recorded {name}: {} lines, {} bytes in {} file(s) [{}]; {} connects, {} frames \
         ({} control), {} snapshots, {} resyncs, {} refused",
        rec.lines,
        rec.bytes,
        files.len(),
        files.join(", "),
        h.connects,
        h.frames,
        h.control,
        h.snapshots,
        h.resyncs,
        h.refused
    );
    if let Some(e) = error.or(h.last_error.as_deref()) {
        t += &format!("; last error: {e}");
    }
    t + "\n"
}
