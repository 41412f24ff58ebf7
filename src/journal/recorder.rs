//! [`JournalRecorder`]: the runtime's [`Recorder`] for `legcore run`. On the recorder
//! thread it turns each [`Record`] into its typed [`Line`] and writes it (when a journal
//! file is open), and keeps the summaries of ended groups and live counters for the
//! caller.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::file::Writer;
use super::line::{self, Line, ModeLine, PolicyName, Refused, Report, Sent, StartedLeg};
use super::record::{Record, StartedLeg as RecordLeg};
use super::summary::{summarize, GroupSummary, SummaryError};
use super::Recorder;
use crate::group::Policy;
use crate::index::JobId;
use crate::instrument::VenueInfo;
use crate::num::Decimal;
use crate::venue::{OrderRef, ReportKind};

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
    /// Per (job, leg): Σ the fees the venue reported on the fills the group took,
    /// tick-lots × 10⁻⁸. Kept for the run (a late fill may end a group again).
    reported_fees: BTreeMap<(usize, usize), i128>,
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
                reported_fees: BTreeMap::new(),
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

    /// The group job `job` (before the base) unwinds, if it is a recovery's unwind.
    fn unwinds(&self, job: usize) -> Option<usize> {
        self.unwinds.get(job).copied()
    }

    /// Writes `line` as the next record; `group_end` marks a sync point.
    pub fn write(&mut self, line: &Line, group_end: bool) {
        // Taken only when a line is written: the journal's seq has no gaps.
        let seq = self.seq + 1;
        match line::to_json(seq, line) {
            Ok(json) => self.write_json(seq, &json, group_end),
            Err(e) => self.fail(format!("record {seq}: {e}")),
        }
    }

    /// Writes serialized record `seq`.
    fn write_json(&mut self, seq: u64, json: &str, group_end: bool) {
        self.seq = seq;
        if let Some(w) = self.writer.as_mut() {
            w.write(json, group_end);
            if let Some(e) = w.error.take() {
                self.fail(e.to_string());
            }
        }
        self.shared.progress.records.fetch_add(1, Ordering::Relaxed);
    }

    /// Keeps the first error for the caller (the recorder cannot stop the run).
    fn fail(&self, e: String) {
        if let Ok(mut slot) = self.shared.error.lock() {
            slot.get_or_insert(e);
        }
    }

    /// A `started` (or `unwind_started`) line.
    fn started(&self, job: JobId, t_ns: u64, policy: Policy, legs: &[RecordLeg]) -> Line {
        let legs = legs.iter().map(|l| self.started_leg(l)).collect();
        let start = line::Started {
            job: job.after(self.job_base),
            t_ns,
            strategy: self.strategy.clone(),
            policy: PolicyName::from(policy),
            legs,
        };
        match self.unwinds(job.index()) {
            Some(g) => Line::UnwindStarted(line::UnwindStarted { unwinds: g, start }),
            None => Line::Started(start),
        }
    }

    /// One leg of a `started` line, named from the run's venues.
    fn started_leg(&self, l: &RecordLeg) -> StartedLeg {
        let v = self.venues.get(l.plan.venue.index());
        if v.is_none() {
            let n = l.plan.venue;
            self.fail(format!("a leg on venue {n}, which the run does not have"));
        }
        StartedLeg {
            venue_index: l.plan.venue.index(),
            book: l.book.index(),
            venue: v.map_or("?", |v| &v.name).to_string(),
            instrument: v.map_or("?", |v| &v.instrument).to_string(),
            side: l.plan.side.into(),
            qty_lots: l.plan.qty_lots,
            qty: v.map_or(Decimal::ZERO, |v| v.lot.to_decimal(l.plan.qty_lots)),
            bid_ticks: l.top.bid_ticks,
            ask_ticks: l.top.ask_ticks,
            mode: ModeLine::from(l.plan.mode),
        }
    }

    /// An ended group's line (`ended`, or `unwind_ended` for an unwind job), or `None`
    /// if it cannot be summarized.
    fn ended(&self, r: &Record, job: JobId, t_ns: u64) -> Option<Line> {
        let r = self.with_reported_fees(r, job.index());
        let mut group = match summarize(&r, &self.venues, &self.strategy, line::wall_ms()) {
            Ok(s) => s?,
            Err(e) => {
                // Not written as a wrong figure: the run fails with it.
                if let Ok(mut slot) = self.shared.summary_error.lock() {
                    slot.get_or_insert(e);
                }
                return None;
            }
        };
        group.id += self.job_base;
        Some(match self.unwinds(job.index()) {
            Some(g) => Line::UnwindEnded(line::UnwindEnded {
                t_ns,
                unwinds: g,
                group,
            }),
            None => Line::Ended(line::Ended { t_ns, group }),
        })
    }

    /// Adds a taken fill's venue-reported fee to its leg's sum.
    fn add_fee(&mut self, job: usize, client_id: OrderRef, kind: ReportKind, taken: bool) {
        let ReportKind::Fill(x) = kind else { return };
        if !taken {
            return; // a duplicate or stale fill: the group did not apply it
        }
        let sum = self
            .reported_fees
            .entry((job, client_id.leg().index()))
            .or_default();
        match sum.checked_add(x.fee_tl_e8) {
            Some(v) => *sum = v,
            None => self.fail(format!("job {job}: the venue's fees overflow")),
        }
    }

    /// `r` (an end of `job`) with each leg's fees as its venue reported them on the fills
    /// the journal holds, where it reported any, instead of the scenario's fee rates.
    fn with_reported_fees(&self, r: &Record, job: usize) -> Record {
        let mut r = r.clone();
        if let Record::Ended { legs, .. } = &mut r {
            for (i, (_, rec)) in legs.iter_mut().enumerate() {
                if let Some(&fees) = self.reported_fees.get(&(job, i)) {
                    rec.fees_tl_e8 = fees;
                }
            }
        }
        r
    }

    /// Counts an ended group and keeps its summary for the caller.
    fn count_end(&self, s: &GroupSummary) {
        let p = &self.shared.progress;
        p.closed.fetch_add(1, Ordering::Relaxed);
        if s.incident.is_some() {
            p.incidents.fetch_add(1, Ordering::Relaxed);
        }
        if let Ok(mut v) = self.shared.summaries.lock() {
            v.push(s.clone());
        }
    }

    /// The line of an order's record (`sent` or `report`).
    fn order_line(&self, r: &Record) -> Option<Line> {
        let base = self.job_base;
        match *r {
            Record::Sent {
                job,
                leg,
                part,
                venue,
                client_id,
                cmd,
                t_ns,
            } => Some(Line::Sent(Sent {
                job: job.after(base),
                leg,
                part,
                venue_index: venue.index(),
                client_id,
                t_ns,
                cmd: cmd.into(),
            })),
            Record::Report {
                job,
                client_id,
                kind,
                detail,
                taken,
                t_ns,
            } => Some(Line::Report(Report {
                job: job.after(base),
                client_id,
                taken,
                t_ns,
                event: kind.into(),
                venue: detail.into(),
            })),
            _ => None,
        }
    }
}

impl Recorder for JournalRecorder {
    fn record(&mut self, r: &Record) {
        let (line, group_end) = match r {
            Record::Started {
                job,
                t_ns,
                policy,
                legs,
            } => {
                self.shared.progress.opened.fetch_add(1, Ordering::Relaxed);
                (self.started(*job, *t_ns, *policy, legs), false)
            }
            Record::Refused { job, t_ns, why } => {
                let line = Line::Refused(Refused {
                    job: job.after(self.job_base),
                    t_ns: *t_ns,
                    strategy: self.strategy.clone(),
                    why: why.to_string(),
                });
                (line, true)
            }
            Record::Sent { .. } | Record::Report { .. } => match self.order_line(r) {
                Some(line) => {
                    if let Record::Report {
                        job,
                        client_id,
                        kind,
                        taken,
                        ..
                    } = *r
                    {
                        self.add_fee(job.index(), client_id, kind, taken);
                    }
                    (line, false)
                }
                None => return,
            },
            Record::Ended { t_ns, job, .. } => {
                let Some(line) = self.ended(r, *job, *t_ns) else {
                    return;
                };
                if let Line::Ended(e) = &line {
                    self.count_end(&e.group);
                }
                (line, true)
            }
        };
        self.write(&line, group_end);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::OrderSide;
    use crate::group::{LegPlan, LegRecord, Outcome};
    use crate::index::LegIdx;
    use crate::instrument::ContractKind;
    use crate::leg::{Arrival, Fees, Liquidity, Mode, Route, Stamps};
    use crate::num::{Ratio, Step};
    use crate::venue::Execution;
    use crate::walk::Recommendation;

    /// Venue `v`'s leg of one 2-lot buy at 100 ticks, with fees at the scenario's rates.
    fn leg(v: usize) -> (RecordLeg, LegRecord) {
        let plan = LegPlan {
            venue: crate::index::VenueId::new(v),
            side: OrderSide::Buy,
            qty_lots: 2,
            lot_units: 1,
            mode: Mode::MarketOnly,
            max_slippage_bps: Ratio::from_num(400),
            fees: Fees::default(),
        };
        let top = Arrival {
            bid_ticks: 99,
            ask_ticks: 101,
            recommendation: Recommendation::UseLimit,
            expected_price_ticks: None,
        };
        let rec = LegRecord {
            side: OrderSide::Buy,
            mode: Mode::MarketOnly,
            route: Some(Route::Market),
            target_lots: 2,
            filled_lots: 2,
            unwound_lots: 0,
            net_lots: 2,
            notional_tl: 200,
            reported_lots: 2,
            unwound_reported_lots: 0,
            unwound_notional_tl: 0,
            avg_price_ticks: Some(Ratio::from_num(100)),
            expected_price_ticks: None,
            slippage_bps: None,
            arrival_slippage_bps: None,
            maker_lots: 0,
            fees_tl_e8: 999_000_000, // the rates' 9.99 tick-lots
            inv_e18: 0,
            unwound_inv_e18: 0,
            fees_inv_e26: Some(0),
            stamps: Stamps::default(),
        };
        (
            RecordLeg {
                plan,
                book: crate::index::BookId::new(0),
                top,
            },
            rec,
        )
    }

    fn fill(job: usize, leg: usize, trade_id: u64, fee_tl_e8: i128, taken: bool) -> Record {
        let x = Execution {
            trade_id,
            last_qty_lots: 1,
            price_ticks: 100,
            liquidity: Liquidity::Taker,
            fee_tl_e8,
            at_ns: 0,
        };
        Record::Report {
            job: JobId::new(job),
            client_id: OrderRef::new(job as u64, LegIdx::new(leg), 0, 0).unwrap(),
            kind: ReportKind::Fill(x),
            detail: None,
            taken,
            t_ns: 5,
        }
    }

    #[test]
    fn an_ended_legs_fees_are_the_ones_its_venue_reported_on_the_fills_taken() {
        let one = Step::parse("1").unwrap();
        let venue = |name: &str| VenueInfo {
            name: name.into(),
            instrument: "BTCUSDT".into(),
            tick: one,
            lot: one,
            kind: ContractKind::Linear,
            multiplier: Decimal::ONE,
            quote: "USDT".into(),
            settle: "USDT".into(),
        };
        let (mut rec, shared) = JournalRecorder::new(None, vec![venue("a"), venue("b")], "s");
        // Leg 0: two fills at 1.5 and 0.25 tick-lots, and a duplicate the group refused.
        rec.record(&fill(0, 0, 1, 150_000_000, true));
        rec.record(&fill(0, 0, 2, 25_000_000, true));
        rec.record(&fill(0, 0, 2, 25_000_000, false));
        let legs = [leg(0), leg(1)].into_iter().collect();
        rec.record(&Record::Ended {
            job: JobId::new(0),
            t_ns: 9,
            started_ns: 1,
            policy: Policy::Rollback,
            outcome: Outcome::Filled,
            legs,
            incident: None,
        });
        let ended = shared.summaries.lock().unwrap();
        let fees: Vec<String> = ended[0].legs.iter().map(|l| l.fees.to_string()).collect();
        // Leg 1's venue reported no fill: the scenario's rates stand.
        assert_eq!(fees, ["1.75", "9.99"]);
        assert!(shared.failure().is_none());
    }
}
