//! Jobs and the group slots the engine runs them in.
//!
//! A group is a large value (about 40 KB): it is built off the hot path, either by the
//! caller from a fixed [`Job`] ([`Prepared`]) or once at start-up for the strategy's
//! pool, and boxed so the engine never moves it. A strategy's intent takes a pooled slot
//! and renews its group in place (`Group::renew`, no allocation).
//!
//! Jobs are numbered in start order; a group lives in a slot of the engine. A fixed job
//! keeps its slot for the run. A pooled slot is used again once its group has ended, no
//! order of it is open or waits for a token, and the venues have had the silence limit
//! to send what is late (`Live::recyclable`): until then a late fill still finds its
//! group; after, it is counted (`Counters::late_reports`). So `strategy.max_groups`
//! bounds the groups open at once, not the groups of a run.

use arrayvec::ArrayVec;

use super::EngineConfig;
use crate::group::{Group, GroupError, LegPlan, LegRisk, Policy, MAX_GROUP_LEGS};
use crate::index::{BookId, JobId, LegIdx, VenueId};
use crate::journal::StartedLeg;
use crate::leg::Arrival;

/// One atomic group for the engine to execute.
#[derive(Debug, Clone)]
pub struct Job {
    /// The legs (`venue` indexes the gateways and the risk state).
    pub plans: Vec<LegPlan>,
    /// Per leg: the book (instrument) index on its venue.
    pub books: Vec<BookId>,
    /// Per leg: the top of book and pre-flight it decides on.
    pub tops: Vec<Arrival>,
    /// Per leg: the risk venue and instrument rules.
    pub risk: Vec<LegRisk>,
    /// How the group resolves.
    pub policy: Policy,
    /// Start once the engine has applied this many market-data lines (0: at once). A
    /// leg whose book is fed decides on the live top of book then, and the order's
    /// tick-to-order latency runs from that line's arrival.
    pub after_md_lines: u64,
}

/// A job with its group, in the box the engine keeps it in.
#[derive(Debug)]
pub(crate) struct Live {
    pub(crate) g: Group,
    pub(crate) job: Job,
    /// Per leg: its top of book now (the engine's live book for a fed leg), on which
    /// follow-ups are priced and checked; `job.tops` stays the arrival.
    pub(crate) now_tops: ArrayVec<Arrival, MAX_GROUP_LEGS>,
    /// The end was reported (to the strategy and the journal).
    pub(crate) ended: bool,
    /// When it last ended, ns.
    pub(crate) ended_ns: u64,
    /// Its job number (start order; client ids carry it).
    pub(crate) job_no: JobId,
    /// Why its start was refused, if it was.
    pub(crate) refused: Option<GroupError>,
    /// A pooled slot (a strategy's), used again once its group is done with.
    pub(crate) pooled: bool,
}

/// A job whose group is built, ready to hand to [`super::Engine::handle_job`] (built on
/// the caller's thread: group construction stays off the loop).
#[derive(Debug)]
pub struct Prepared(pub(crate) Box<Live>);

impl Prepared {
    /// Builds `job`'s group with `config`'s timeouts.
    pub fn new(config: &EngineConfig, job: Job) -> Result<Prepared, GroupError> {
        let g = build(config, &job.plans, job.policy)?;
        Ok(Prepared(Box::new(Live {
            g,
            job,
            now_tops: ArrayVec::new(),
            ended: false,
            ended_ns: 0,
            job_no: JobId::new(0),
            refused: None,
            pooled: false,
        })))
    }
}

fn build(config: &EngineConfig, plans: &[LegPlan], policy: Policy) -> Result<Group, GroupError> {
    Ok(Group::new(plans, policy)?
        .with_request_timeout(config.request_timeout_ns)
        .with_silence_limit(config.silence_limit_ns))
}

/// The placeholder plan pooled groups are built with before `renew`.
fn pool_plan() -> LegPlan {
    LegPlan {
        venue: VenueId::new(0),
        side: crate::book::OrderSide::Buy,
        qty_lots: 1,
        lot_units: 1,
        mode: crate::leg::Mode::MarketOnly,
        max_slippage_bps: crate::num::Ratio::from_num(1),
        fees: crate::leg::Fees::default(),
    }
}

/// `n` pooled slots for a strategy's intents.
pub(crate) fn pool(config: &EngineConfig, n: usize) -> Result<Vec<Box<Live>>, GroupError> {
    let mut pool = Vec::with_capacity(n);
    for _ in 0..n {
        let job = Job {
            plans: Vec::with_capacity(MAX_GROUP_LEGS),
            books: Vec::with_capacity(MAX_GROUP_LEGS),
            tops: Vec::with_capacity(MAX_GROUP_LEGS),
            risk: Vec::with_capacity(MAX_GROUP_LEGS),
            policy: Policy::Rollback,
            after_md_lines: 0,
        };
        pool.push(Box::new(Live {
            g: build(config, &[pool_plan()], Policy::Rollback)?,
            job,
            now_tops: ArrayVec::new(),
            ended: false,
            ended_ns: 0,
            job_no: JobId::new(0),
            refused: None,
            pooled: true,
        }));
    }
    Ok(pool)
}

impl Live {
    /// Done with at `now`: a pooled group that ended (or was refused) at least
    /// `linger_ns` ago. The caller checks that no order of it is open or waiting.
    pub(crate) fn recyclable(&self, now: u64, linger_ns: u64) -> bool {
        let done = self.refused.is_some() || (self.ended && self.g.outcome().is_some());
        self.pooled && done && now >= self.ended_ns.saturating_add(linger_ns)
    }

    /// The legs as a `Started` record lists them.
    pub(crate) fn started_legs(&self) -> ArrayVec<StartedLeg, MAX_GROUP_LEGS> {
        self.g
            .plans()
            .enumerate()
            .map(|(i, plan)| StartedLeg {
                plan: *plan,
                book: self.job.books[i],
                top: self.job.tops[i],
            })
            .collect()
    }

    /// What its records hold, summed over its legs: reported lots, net units and fees (a
    /// change means its end record is stale).
    pub(crate) fn tally(&self) -> Tally {
        let g = &self.g;
        (0..g.plans().len()).fold((0, 0, 0), |(r, n, f), i| {
            (
                r + g.reported_lots(LegIdx::new(i)).unwrap_or(0),
                n + g.net_units(LegIdx::new(i)).unwrap_or(0),
                f + g.fees_tl_e8(LegIdx::new(i)).unwrap_or(0),
            )
        })
    }
}

/// Reported lots, net units and fees of a group's records.
pub(crate) type Tally = (i64, i64, i128);
