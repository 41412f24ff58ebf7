//! Commands through risk to the command queue: each is checked (our own rate limit's
//! refusals wait in the [`crate::group::Pacer`] for a token, in order); a refused order
//! goes back to its group as a reject, whose reaction is checked in turn; a sent order
//! is counted open until its terminal report.

use super::{ids, Cmds, Engine, Output, MAX_OPEN};
use crate::group::{recheck, GroupCommand, Paced, Verdict};
use crate::index::VenueId;
use crate::journal::Record;
use crate::leg::{Command, OrderEvent};
use crate::strategy::Strategy;
use crate::telemetry::Stage;

impl<S: Strategy> Engine<S> {
    /// Checks and queues `cmds` of the job in slot `j`.
    pub(super) fn dispatch(&mut self, j: usize, cmds: &mut Cmds, cause_ns: u64) {
        let mut i = 0;
        while i < cmds.len() {
            let c = cmds[i];
            i += 1;
            let t0 = self.lap();
            let live = &self.groups[j];
            let p = Paced {
                job: j,
                cmd: c,
                client_id: ids::command_id(self.cfg.job_base, live.job_no, &c),
                venue: live.job.risk[c.leg.index()].venue,
                since_ns: self.now,
                cause_ns,
            };
            let v = self
                .pacer
                .check(p, &live.job.risk, &live.now_tops, &mut self.risk);
            self.lap_since(Stage::Risk, t0);
            if v == Verdict::Wait && is_unwind(&c) {
                self.counters.unwinds_waited += 1;
            }
            self.act(p, v);
        }
        cmds.clear();
    }

    /// Queues `p`, leaves it waiting, or turns a refused order into a reject.
    fn act(&mut self, p: Paced, v: Verdict) {
        let (j, c) = (p.job, p.cmd);
        match v {
            Verdict::Wait => {}
            Verdict::Send => {
                if let Command::Submit { .. } = c.cmd {
                    self.count_open(p.client_id, p.venue);
                }
                self.send(j, c, p.cause_ns);
            }
            Verdict::Refused(_) => {
                self.counters.risk_refused += 1;
                if let Command::Submit { slot, .. } = c.cmd {
                    let mut more = Cmds::new();
                    let now = self.now;
                    let live = &mut self.groups[j];
                    let ev = OrderEvent::Rejected;
                    let tops = &live.now_tops;
                    let r = live
                        .g
                        .on_order(c.leg, c.part, slot, ev, tops, now, &mut more);
                    if r.is_ok() {
                        self.dispatch(j, &mut more, p.cause_ns);
                    }
                }
            }
        }
    }

    /// Counts order `id` open on risk venue `venue`.
    pub(super) fn count_open(&mut self, id: u64, venue: VenueId) {
        if self.open.len() < MAX_OPEN {
            self.open.push((id, venue));
        }
    }

    /// Sends what waited for a message token and has one now.
    pub(super) fn release(&mut self) {
        if self.pacer.is_empty() {
            return;
        }
        let now = self.now;
        for v in 0..crate::risk::MAX_VENUES {
            loop {
                let (groups, risk) = (&mut self.groups, &mut self.risk);
                let Some((p, verdict)) = self.pacer.release(VenueId::new(v), now, |p| {
                    let live = &mut groups[p.job];
                    recheck(&mut live.g, p, &live.job.risk, &live.now_tops, risk, now)
                }) else {
                    break;
                };
                self.act(p, verdict);
                self.check_end(p.job);
            }
        }
    }

    /// An order reached a terminal state: its open slot in risk is free.
    pub(super) fn closed(&mut self, client_id: u64) {
        if let Some(k) = self.open.iter().position(|&(id, _)| id == client_id) {
            let (_, venue) = self.open.swap_remove(k);
            self.risk.on_closed(venue);
        }
    }

    /// Queues `c` of the job in slot `j` for its venue, and its journal record.
    pub(super) fn send(&mut self, j: usize, c: GroupCommand, cause_ns: u64) {
        let live = &self.groups[j];
        let job = live.job_no;
        let Some(req) = ids::command_request(self.cfg.job_base, job, c) else {
            self.counters.unaccounted += 1; // no id fits it (the run checks the job range)
            return;
        };
        let venue = live.job.plans[c.leg.index()].venue;
        self.commands.push_back(Output::Request {
            venue,
            book: live.job.books[c.leg.index()],
            req,
            cause_ns,
            job,
            cmd: c,
        });
        let t_ns = self.now;
        self.record(|| Record::Sent {
            job,
            leg: c.leg,
            part: c.part,
            venue,
            client_id: req.order(),
            cmd: c.cmd,
            t_ns,
        });
    }
}

/// A reduce-only order: an unwind.
fn is_unwind(c: &GroupCommand) -> bool {
    matches!(
        c.cmd,
        Command::Submit {
            reduce_only: true,
            ..
        }
    )
}
