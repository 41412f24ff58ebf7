//! [`JournalRecorder`]: the runtime's [`Recorder`] for `legcore run`. On the recorder
//! thread it turns each [`Record`] into a JSON line (when a journal file is open) and
//! keeps the summaries of ended groups and live counters for the caller.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;

use super::file::Writer;
use super::record::Record;
use super::summary::{policy_name, summarize, GroupSummary, SummaryError};
use crate::book::OrderSide;
use crate::leg::{Command, OrderEvent};
use crate::runtime::Recorder;
use crate::scenario::build::VenueInfo;

/// Counters the caller can read while the run goes (progress display).
#[derive(Debug, Default)]
pub struct Progress {
    /// Groups started.
    pub opened: AtomicU64,
    /// Groups ended.
    pub closed: AtomicU64,
    /// Groups that ended with an incident.
    pub incidents: AtomicU64,
    /// Records written.
    pub records: AtomicU64,
}

/// What the recorder shares with its caller.
#[derive(Debug, Default)]
pub struct Shared {
    /// Live counters.
    pub progress: Progress,
    /// Every ended group, in order of its end (a group that ends twice is here twice).
    pub summaries: Mutex<Vec<GroupSummary>>,
    /// The first write error.
    pub error: Mutex<Option<String>>,
    /// The first group end that could not be summarized (a figure past the decimal
    /// range): its `ended` line is not written, and the run fails with it.
    pub summary_error: Mutex<Option<SummaryError>>,
}

impl Shared {
    /// The recorder's first failure, for people: a group it could not summarize, or a
    /// journal write that failed.
    pub fn failure(&self) -> Option<String> {
        if let Some(e) = self.summary_error.lock().ok().and_then(|e| e.clone()) {
            return Some(format!("cannot summarize {e}"));
        }
        let e = self.error.lock().ok().and_then(|e| e.clone())?;
        Some(format!("--journal: write failed: {e}"))
    }
}

/// The recorder. See the module doc.
#[derive(Debug)]
pub struct JournalRecorder {
    writer: Option<Writer>,
    venues: Vec<VenueInfo>,
    strategy: String,
    seq: u64,
    shared: Arc<Shared>,
    job_base: usize,
    /// Per job: the recovered group it unwinds (a resume's jobs are all unwinds).
    unwinds: Vec<usize>,
}

fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl JournalRecorder {
    /// A recorder writing to `writer` (if any) for a run of `strategy` over `venues`.
    pub fn new(
        writer: Option<Writer>,
        venues: Vec<VenueInfo>,
        strategy: &str,
    ) -> (JournalRecorder, Arc<Shared>) {
        let shared = Arc::new(Shared::default());
        (
            JournalRecorder {
                writer,
                venues,
                strategy: strategy.to_string(),
                seq: 0,
                shared: shared.clone(),
                job_base: 0,
                unwinds: Vec::new(),
            },
            shared,
        )
    }

    /// Continues the journal's record numbers after `seq` (appending to a journal).
    pub fn with_seq(mut self, seq: u64) -> JournalRecorder {
        self.seq = seq;
        self
    }

    /// Numbers jobs from `base` (a resumed run continues after the jobs it recovers).
    pub fn with_job_base(mut self, base: usize) -> JournalRecorder {
        self.job_base = base;
        self
    }

    /// Marks job `i` as the unwind of recovered group `unwinds[i]`: its start and end
    /// are written as `unwind_started` and `unwind_ended` with the group's id in
    /// `unwinds`, so they neither open nor end a group, and statistics count the
    /// unwind's fills once, inside the recovered group's own `ended` line.
    pub fn with_unwinds(mut self, unwinds: Vec<usize>) -> JournalRecorder {
        self.unwinds = unwinds;
        self
    }

    /// The kind of a start or end line of job `job` (before the base), and the group it
    /// unwinds if it is an unwind.
    fn kind(&self, job: usize, kind: &'static str) -> (&'static str, Option<usize>) {
        match (self.unwinds.get(job), kind) {
            (Some(&g), "started") => ("unwind_started", Some(g)),
            (Some(&g), _) => ("unwind_ended", Some(g)),
            (None, k) => (k, None),
        }
    }

    /// Writes an already-built object (recovery records), sealed like the others.
    pub fn write_value(&mut self, mut v: serde_json::Value, group_end: bool) {
        let seq = self.seq + 1;
        v["seq"] = json!(seq);
        self.write_line(seq, &v, group_end);
    }

    /// Writes `line` as record `seq`.
    fn write_line(&mut self, seq: u64, line: &serde_json::Value, group_end: bool) {
        self.seq = seq;
        if let Some(w) = self.writer.as_mut() {
            w.write(&line.to_string(), group_end);
            if let Some(e) = w.error.take() {
                if let Ok(mut slot) = self.shared.error.lock() {
                    slot.get_or_insert(e.to_string());
                }
            }
        }
        self.shared.progress.records.fetch_add(1, Ordering::Relaxed);
    }

    fn venue(&self, v: usize) -> (&str, &str) {
        self.venues
            .get(v)
            .map_or(("?", "?"), |i| (&i.name, &i.instrument))
    }
}

impl Recorder for JournalRecorder {
    fn record(&mut self, r: &Record) {
        let base = self.job_base;
        // Taken only when a line is written: the journal's seq has no gaps.
        let seq = self.seq + 1;
        let p = &self.shared.progress;
        let mut group_end = false;
        let line = match r {
            Record::Started {
                job,
                t_ns,
                policy,
                legs,
            } => {
                p.opened.fetch_add(1, Ordering::Relaxed);
                let legs: Vec<_> = legs
                    .iter()
                    .map(|l| {
                        let (venue, instrument) = self.venue(l.plan.venue);
                        let lot = self.venues.get(l.plan.venue).map(|v| v.lot);
                        json!({
                            "venue_index": l.plan.venue,
                            "book": l.book,
                            "qty_lots": l.plan.qty_lots,
                            "venue": venue,
                            "instrument": instrument,
                            "side": format!("{:?}", l.plan.side).to_lowercase(),
                            "qty": lot.map(|lot| lot.to_decimal(l.plan.qty_lots).to_string()),
                            "mode": format!("{:?}", l.plan.mode),
                            "bid_ticks": l.top.bid_ticks,
                            "ask_ticks": l.top.ask_ticks,
                        })
                    })
                    .collect();
                let (kind, unwinds) = self.kind(*job, "started");
                let mut v = json!({"seq": seq, "kind": kind, "job": job + base, "t_ns": t_ns,
                       "strategy": self.strategy, "policy": policy_name(*policy), "legs": legs});
                if let Some(g) = unwinds {
                    v["unwinds"] = json!(g);
                }
                v
            }
            Record::Refused { job, t_ns, why } => {
                group_end = true;
                json!({"seq": seq, "kind": "refused", "job": job + base, "t_ns": t_ns,
                       "strategy": self.strategy, "why": why.to_string()})
            }
            Record::Sent {
                job,
                leg,
                part,
                client_id,
                cmd,
                t_ns,
            } => {
                let mut v = json!({"seq": seq, "kind": "sent", "job": job + base, "leg": leg,
                    "part": part, "client_id": client_id, "cmd": format!("{cmd:?}"),
                    "t_ns": t_ns});
                if let Command::Submit {
                    side,
                    price_ticks,
                    qty_lots,
                    ..
                } = cmd
                {
                    v["buy"] = json!(*side == OrderSide::Buy);
                    v["price_ticks"] = json!(price_ticks);
                    v["qty_lots"] = json!(qty_lots);
                }
                v
            }
            Record::Report {
                job,
                client_id,
                event,
                taken,
                t_ns,
            } => {
                let mut v = json!({"seq": seq, "kind": "report", "job": job + base,
                    "client_id": client_id, "event": format!("{event:?}"), "taken": taken,
                    "t_ns": t_ns});
                if let OrderEvent::Filled(f) = event {
                    v["fill_lots"] = json!(f.qty_lots);
                    v["fill_price_ticks"] = json!(f.price_ticks);
                    v["trade_id"] = json!(f.trade_id);
                }
                v
            }
            Record::Ended { t_ns, job, .. } => {
                group_end = true;
                let mut s = match summarize(r, &self.venues, &self.strategy, wall_ms()) {
                    Ok(Some(s)) => s,
                    Ok(None) => return,
                    Err(e) => {
                        // Not written as a wrong figure: the run fails with it.
                        if let Ok(mut slot) = self.shared.summary_error.lock() {
                            slot.get_or_insert(e);
                        }
                        return;
                    }
                };
                s.id += base;
                if let (kind, Some(g)) = self.kind(*job, "ended") {
                    let line =
                        json!({"seq": seq, "kind": kind, "t_ns": t_ns, "unwinds": g, "group": s});
                    self.write_line(seq, &line, true);
                    return;
                }
                p.closed.fetch_add(1, Ordering::Relaxed);
                if s.incident.is_some() {
                    p.incidents.fetch_add(1, Ordering::Relaxed);
                }
                let line = json!({"seq": seq, "kind": "ended", "t_ns": t_ns, "group": s});
                if let Ok(mut v) = self.shared.summaries.lock() {
                    v.push(s);
                }
                line
            }
        };
        self.write_line(seq, &line, group_end);
    }

    fn finish(&mut self) {
        if let Some(w) = self.writer.as_mut() {
            w.finish();
            if let Some(e) = w.error.take() {
                if let Ok(mut slot) = self.shared.error.lock() {
                    slot.get_or_insert(e.to_string());
                }
            }
        }
    }
}
