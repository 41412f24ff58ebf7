//! The engine's inputs besides market data: jobs, reports and timeouts, and what follows
//! from them (starts, intents opened from the pool, group ends).

use super::job::{Live, Prepared, Tally};
use super::{ids, Cmds, Engine};
use crate::group::{GroupError, LegPlan, Outcome, MAX_GROUP_LEGS};
use crate::index::{JobId, LegIdx, VenueId};
use crate::journal::Record;
use crate::leg::{LegError, OrderError, OrderEvent};
use crate::risk::KillSwitch;
use crate::strategy::{Intent, Strategy};
use crate::telemetry::Stage;
use crate::venue::{Delivery, ReportKind};

use arrayvec::ArrayVec;

impl<S: Strategy> Engine<S> {
    /// A fixed job, in run order: it starts once its `after_md_lines` have been applied.
    pub fn handle_job(&mut self, job: Prepared, now: u64) {
        self.now = now;
        self.pending.push_back(job.0); // within capacity (`EngineConfig::jobs`)
        self.start_ready();
    }

    /// Venue `venue`'s own rate-limit use as its gateway reports it (thousandths of its
    /// fullest window): risk starts no new group there at the limit.
    pub fn handle_venue_load(&mut self, venue: VenueId, permille: u16) {
        self.risk.set_venue_load(venue, permille);
    }

    /// A venue's position no longer agrees with the fills it reported: the engine's
    /// view of its exposure is in doubt, so it takes on no more (the kill switch goes to
    /// reducing-only, as after an unhedged group; cancels and unwinds still go).
    fn position_break(&mut self) {
        self.counters.position_breaks += 1;
        if self.risk.switch() == KillSwitch::Active {
            self.risk.set_switch(KillSwitch::Reducing);
        }
    }

    /// A delivery from venue `venue` (pushed by its gateway at `pushed_ns`, for the
    /// fill-to-group stage): a report goes to its group.
    pub fn handle_report(&mut self, _venue: VenueId, delivery: Delivery, pushed_ns: u64, now: u64) {
        self.now = now;
        if let Delivery::PositionBreak { .. } = delivery {
            return self.position_break();
        }
        let Delivery::Report { report, .. } = delivery else {
            // Connection events: the legs' request timeouts cover what was lost.
            self.counters.link_events += 1;
            return;
        };
        let event = report.kind.event();
        let at = ids::locate(self.cfg.job_base, report.order);
        let Some(job) = at.job.filter(|&j| j.index() < self.next_job) else {
            self.counters.reports_unexpected += 1;
            return;
        };
        let Some(j) = self.slot(job) else {
            self.counters.late_reports += 1; // its slot holds a later job now
            return;
        };
        let mut cmds = Cmds::new();
        let t0 = self.lap();
        let live = &mut self.groups[j];
        let before = live.ended.then(|| live.tally());
        if let ReportKind::Reject(why) = report.kind {
            live.g.note_reject(at.leg, why);
        }
        let r = live.g.on_order(
            at.leg,
            at.part,
            at.slot,
            event,
            &live.now_tops,
            now,
            &mut cmds,
        );
        self.lap_since(Stage::Decide, t0);
        if let OrderEvent::Filled(_) = event {
            let t1 = self.lap().unwrap_or(now);
            self.measured(Stage::FillToGroup, t1.saturating_sub(pushed_ns));
        }
        match r {
            Ok(state) if state.is_terminal() => self.closed(report.order.wire()),
            Ok(_) => {}
            Err(e) => self.count_refused_report(&e),
        }
        self.record(|| Record::Report {
            job,
            client_id: report.order,
            kind: report.kind,
            detail: report.detail,
            taken: r.is_ok(),
            t_ns: now,
        });
        self.dispatch(j, &mut cmds, now);
        self.check_end(j);
        self.end_again(j, before);
    }

    fn count_refused_report(&mut self, e: &GroupError) {
        use OrderError::{DuplicateFill, InvalidTransition, UnverifiableFill};
        match e {
            GroupError::Leg {
                source: LegError::Order(UnverifiableFill { .. }),
                ..
            } => self.counters.unverified_fills += 1,
            GroupError::Leg {
                source: LegError::Order(DuplicateFill(_) | InvalidTransition { .. }),
                ..
            } => self.counters.reports_ignored += 1,
            _ => self.counters.reports_unexpected += 1,
        }
    }

    /// Fires what is due at `now`: paced commands whose token came, group deadlines.
    pub fn handle_timeout(&mut self, now: u64) {
        self.now = now;
        self.release();
        for j in 0..self.groups.len() {
            let live = &mut self.groups[j];
            if live.g.next_deadline().is_none_or(|d| d > now) {
                continue;
            }
            let mut cmds = Cmds::new();
            if live.g.on_timeout(&live.now_tops, now, &mut cmds).is_ok() {
                self.dispatch(j, &mut cmds, now);
                self.check_end(j);
            }
        }
    }

    /// Starts the pending jobs whose market data has been applied.
    pub(super) fn start_ready(&mut self) {
        while let Some(live) = self.pending.front() {
            if !self.market.reached(live.job.after_md_lines) {
                return;
            }
            if let Some(live) = self.pending.pop_front() {
                self.start_job(live);
            }
        }
    }

    fn start_job(&mut self, live: Box<Live>) {
        self.groups.push(live); // within capacity: no allocation
        self.start_in(self.groups.len() - 1);
    }

    /// Starts the job whose group is in slot `j`, under the next job number.
    fn start_in(&mut self, j: usize) {
        let job = self.number(j);
        let live = &mut self.groups[j];
        let arrived = if live.job.after_md_lines > 0 {
            self.market.last_md_ns()
        } else {
            self.now
        };
        // Legs on a fed book decide on its live top; a job tied to the feed whose fed
        // book has none (stale) is refused, never priced on its placeholder top.
        let mut stale = None;
        for (leg, top) in live.job.tops.iter_mut().enumerate() {
            let (venue, book) = (live.job.plans[leg].venue, live.job.books[leg]);
            match self.market.live_top(venue, book) {
                Some((bid, ask)) => (top.bid_ticks, top.ask_ticks) = (bid, ask),
                None if live.job.after_md_lines > 0 && self.market.fed(venue, book) => {
                    stale = stale.or(Some(LegIdx::new(leg)));
                }
                None => {}
            }
        }
        if let Some(leg) = stale {
            let why = GroupError::StaleBook { leg };
            self.groups[j].refused = Some(why);
            return self.refused(j, why);
        }
        live.now_tops.clear();
        // One top per leg (checked by the runtime), at most MAX_GROUP_LEGS (the group's).
        let _ = live.now_tops.try_extend_from_slice(&live.job.tops);
        let mut cmds = Cmds::new();
        let base = self.cfg.job_base;
        let t0 = self.lap();
        let live = &mut self.groups[j];
        let r = live.g.start_checked(
            &live.job.tops,
            &live.job.risk,
            &mut self.risk,
            |c| ids::command_id(base, job, c),
            self.now,
            &mut cmds,
        );
        self.lap_since(crate::telemetry::Stage::Decide, t0);
        self.groups[j].refused = r.err();
        match r {
            Err(why) => self.refused(j, why),
            Ok(()) => self.started(j, &mut cmds, arrived),
        }
    }

    fn refused(&mut self, j: usize, why: GroupError) {
        let (live, t_ns) = (&mut self.groups[j], self.now);
        (live.ended, live.ended_ns) = (true, t_ns);
        let job = live.job_no;
        self.strategy.on_group_end(job, &live.g, Some(why));
        self.record(|| Record::Refused { job, t_ns, why });
    }

    fn started(&mut self, j: usize, cmds: &mut Cmds, arrived: u64) {
        if self.cfg.journal {
            let live = &self.groups[j];
            self.records.push_back(Record::Started {
                job: live.job_no,
                t_ns: self.now,
                policy: live.g.policy(),
                legs: live.started_legs(),
            });
        }
        // The entries passed risk as one: count them open and send them.
        let job = self.groups[j].job_no;
        for c in cmds.iter() {
            let id = ids::command_id(self.cfg.job_base, job, c);
            self.count_open(id, self.groups[j].job.risk[c.leg.index()].venue);
        }
        for c in cmds.drain(..) {
            self.send(j, c, arrived);
        }
        self.check_end(j);
    }

    /// Opens the strategy's `intent` as a new job: in a fresh slot from the pool, or in
    /// the pooled slot done with longest ago. If neither is free (or no client id is
    /// left), it is counted and the strategy told.
    pub(super) fn open(&mut self, intent: &Intent) {
        if !self.try_open(intent) {
            self.counters.pool_exhausted += 1;
            self.strategy.on_not_opened(self.now);
        }
    }

    fn try_open(&mut self, intent: &Intent) -> bool {
        if !ids::fits(self.cfg.job_base, JobId::new(self.next_job)) {
            return false;
        }
        // Decided on the last line: tick-to-order runs from its arrival.
        let md = self.counters.md_lines.max(1);
        if let Some(mut live) = self.pool.pop() {
            if fill(&mut live, intent, md).is_err() {
                self.pool.push(live);
                return false;
            }
            self.start_job(live);
            return true;
        }
        let Some(j) = self.recyclable() else {
            return false;
        };
        if fill(&mut self.groups[j], intent, md).is_err() {
            return false;
        }
        self.counters.recycled += 1;
        self.start_in(j);
        true
    }

    /// The pooled slot done with longest ago: its group ended a silence limit ago or
    /// more, and no order of it is open or waits for a token.
    fn recyclable(&self) -> Option<usize> {
        let (now, linger) = (self.now, self.cfg.silence_limit_ns);
        let base = self.cfg.job_base;
        let open = |job: JobId| {
            self.open
                .iter()
                .any(|&(id, _)| ids::job_of(base, id) == Some(job))
        };
        (0..self.groups.len())
            .filter(|&j| self.groups[j].recyclable(now, linger))
            .filter(|&j| !self.pacer.holds(j) && !open(self.groups[j].job_no))
            .min_by_key(|&j| self.groups[j].ended_ns)
    }
}

/// Renews `live` (a pooled slot) for `intent`, to start after `md_lines` lines, in place
/// (no allocation).
fn fill(live: &mut Live, intent: &Intent, md_lines: u64) -> Result<(), GroupError> {
    let plans: ArrayVec<LegPlan, MAX_GROUP_LEGS> = intent.legs.iter().map(|l| l.plan).collect();
    live.g.renew(&plans, intent.policy)?;
    (live.ended, live.refused) = (false, None);
    {
        let job = &mut live.job;
        job.plans.clear();
        job.books.clear();
        job.tops.clear();
        job.risk.clear();
        for l in &intent.legs {
            job.plans.push(l.plan);
            job.books.push(l.book);
            job.tops.push(l.top);
            job.risk.push(l.risk);
        }
        job.policy = intent.policy;
        job.after_md_lines = md_lines;
    }
    Ok(())
}

impl<S: Strategy> Engine<S> {
    /// Reports job `j`'s end to the strategy and the journal, once per end (a late fill
    /// that reopens a group makes it end again).
    pub(super) fn check_end(&mut self, j: usize) {
        let live = &mut self.groups[j];
        let Some(outcome) = live.g.outcome() else {
            live.ended = false;
            return;
        };
        if live.ended {
            return;
        }
        (live.ended, live.ended_ns) = (true, self.now);
        if self.cfg.settle_risk {
            live.g.settle_risk(&mut self.risk);
        }
        self.strategy.on_group_end(live.job_no, &live.g, None);
        self.record_end(j, outcome);
    }

    /// A report changed the records of job `j` while it stayed ended (a late fill that
    /// the venue's cumulative size already covered, or one the group resolved again at
    /// once): its end is journaled again with the fill in it (stats count a group once,
    /// with its last end). `before`: the records before the report, if it had ended.
    fn end_again(&mut self, j: usize, before: Option<Tally>) {
        let live = &self.groups[j];
        let (Some(outcome), Some(before)) = (live.g.outcome(), before) else {
            return;
        };
        if !live.ended || live.tally() == before {
            return;
        }
        self.groups[j].ended_ns = self.now;
        if self.cfg.settle_risk {
            self.groups[j].g.settle_risk(&mut self.risk);
        }
        self.record_end(j, outcome);
    }

    fn record_end(&mut self, j: usize, outcome: Outcome) {
        if !self.cfg.journal {
            return;
        }
        let (live, t_ns) = (&self.groups[j], self.now);
        let r = {
            let g = &live.g;
            let legs = live
                .started_legs()
                .into_iter()
                .enumerate()
                .filter_map(|(i, s)| Some((s, g.leg_record(LegIdx::new(i))?)))
                .collect();
            Record::Ended {
                job: live.job_no,
                t_ns,
                started_ns: g.times_ns().0,
                policy: g.policy(),
                outcome,
                legs,
                incident: g.incident(),
            }
        };
        self.records.push_back(r);
    }
}
