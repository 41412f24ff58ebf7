//! Starting and finishing a threaded run: the public API ([`run`], [`run_with_feeds`],
//! [`run_setup`]) checks the jobs, builds their groups on the caller's thread, spawns one
//! thread per venue (simulated or network, see [`Venue`]), the feeder, the recorder and
//! the event loop (the [`Pump`] around the engine), hands the jobs over, and joins
//! everything into a [`RunReport`].

use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use super::clock::Clock;
use super::event_loop::{Control, Journal, Pump, PumpCounts};
use super::feeder::{run_feeder, FeederStats, MdLine, Schedule, Speed};
use super::gateway::GatewayStats;
use super::live::client::LiveConfig;
use super::live_feeder::{run_live_feeder, LiveFeeder, LiveStats};
use super::ring::{ring, Consumer, Producer};
use super::venues::{Gateways, Joined, Threads as GatewayThreads, Venue};
use super::wait::{Idle, Wait};
use crate::book::Ladder;
use crate::engine::{Engine, EngineConfig, FeedBook, Job, Parts, Prepared};
use crate::feed::{BookFeed, Format, Tape};
use crate::group::{Group, GroupError, Outcome};
use crate::index::{BookId, JobId, VenueId};
use crate::journal::Recorder;
use crate::num::Step;
use crate::risk::{KillSwitch, RiskState};
use crate::strategy::{NoStrategy, Strategy};
use crate::telemetry::Telemetry;
use crate::venue::{Gateway, LocalVenue, MAX_JOB};

/// How long a command may wait for a message token, in request timeouts.
const PACE_BUDGET_TIMEOUTS: u64 = 10;

/// A recorded feed replayed into the loop and into one venue's book.
#[derive(Debug, Clone)]
pub struct Feed {
    /// The capture.
    pub tape: Arc<Tape>,
    /// The venue (gateway) whose book it feeds.
    pub venue: VenueId,
    /// The book on that venue.
    pub book: BookId,
    /// Its format: decoder and sequence rules.
    pub format: Format,
    /// The instrument's tick and lot.
    pub tick: Step,
    /// The instrument's lot.
    pub lot: Step,
    /// Ladder capacity per side (the book's depth).
    pub levels_per_side: usize,
    /// Largest number of levels one message changes.
    pub max_update_levels: usize,
    /// A live feed: its client's settings (then `tape` is empty and unused). A run's
    /// feeds are all live or all recorded.
    pub live: Option<LiveConfig>,
}

/// Runtime settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Core for the loop thread (`None`: not pinned).
    pub loop_core: Option<usize>,
    /// Core per gateway thread.
    pub gateway_cores: Vec<Option<usize>>,
    /// Idle policy of the loop thread.
    pub wait: Wait,
    /// Idle policy of the gateway and feeder threads (on a machine with fewer cores than
    /// threads, a parking policy here leaves the loop its core).
    pub gateway_wait: Wait,
    /// Capacity of each command ring (loop → gateway).
    pub command_ring: usize,
    /// Capacity of each report ring (gateway → loop).
    pub report_ring: usize,
    /// Request timeout of every order (see `Leg`).
    pub request_timeout_ns: u64,
    /// How long a venue may stay silent about an order that owes an answer before its
    /// leg gives up and the group ends `unhedged` (see `Leg`): no wait is unbounded.
    pub silence_limit_ns: u64,
    /// Move the kill switch to reducing when a group ends `unhedged` (the default; a
    /// comparison with a simulation that runs its groups one by one turns it off, since
    /// which groups start before the switch moves depends on thread timing).
    pub settle_risk: bool,
    /// Replay speed of the feeds.
    pub md_speed: Speed,
    /// Capacity of the market-data ring (feeder → loop).
    pub md_ring: usize,
    /// Capacity of the journal ring (loop → recorder).
    pub journal_ring: usize,
    /// Added to every job index in client order ids (a resumed run continues after the
    /// jobs of the run it recovers, so no id repeats on a venue).
    pub job_base: u64,
    /// Where the loop publishes how many market-data lines it has applied (every 1024
    /// lines: one relaxed store), for a progress display.
    pub progress: Option<Arc<AtomicU64>>,
    /// Set to end the feeds (Ctrl-C, `--duration`): a replay stops at its next line, a
    /// live client within `live::STOP_POLL`; the run then finishes what is open and
    /// stops as after the feeds' end.
    pub stop: Option<Arc<AtomicBool>>,
    /// The loop reads the recorded feeds itself, at `md_speed`: no feeder thread and no
    /// market-data ring, so a run has one thread fewer (a two-core machine's bench:
    /// the loop on one core, one gateway on the other). Live feeds keep their threads.
    pub md_in_loop: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            loop_core: None,
            gateway_cores: Vec::new(),
            wait: Wait::SpinThenYield { spins: 1_000 },
            gateway_wait: Wait::SpinThenYield { spins: 1_000 },
            command_ring: 1_024,
            report_ring: 1_024,
            request_timeout_ns: 1_000_000_000,
            silence_limit_ns: crate::leg::DEFAULT_SILENCE_LIMIT_NS,
            settle_risk: true,
            md_speed: Speed::Max,
            md_ring: 4_096,
            journal_ring: 1_024,
            progress: None,
            stop: None,
            md_in_loop: false,
            job_base: 0,
        }
    }
}

/// Why a run could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// A job's plans are not a valid group.
    #[error("job {job}: {source}")]
    Plan {
        /// The job's index.
        job: usize,
        /// Why the group refused them.
        source: GroupError,
    },
    /// A job's legs disagree in length, or name a venue with no gateway.
    #[error("job {job}: {why}")]
    Job {
        /// The job's index.
        job: usize,
        /// What is wrong.
        why: &'static str,
    },
    /// A thread panicked.
    #[error("runtime thread {0} panicked")]
    Panicked(&'static str),
}

/// What a run did.
#[derive(Debug)]
pub struct RunReport<G, S = NoStrategy> {
    /// The groups the engine still held at the end, in job order (outcome, records,
    /// incident): every fixed job's, and the strategy's whose slot was not reused (the
    /// journal has every group's end).
    pub groups: Vec<Group>,
    /// Per group in `groups`: its job number.
    pub job_numbers: Vec<JobId>,
    /// Per group in `groups`: why its start was refused, if it was.
    pub refused_at_start: Vec<Option<GroupError>>,
    /// The local (simulated) venues in venue order, returned for their ledgers: every
    /// venue when none is a network one.
    pub gateways: Vec<G>,
    /// The network venues, returned with their venue index.
    pub network: Vec<NetworkVenue>,
    /// Per venue: its gateway thread's counts and telemetry.
    pub gateway_stats: Vec<GatewayStats>,
    /// Loop and gateway telemetry merged.
    pub telemetry: Telemetry,
    /// Whether the loop thread was pinned where asked.
    pub loop_pinned: Option<bool>,
    /// Turns the loop waited on a full command ring (nothing dropped).
    pub command_ring_full: u64,
    /// Orders refused by risk after the start (fed back as rejects).
    pub risk_refused: u64,
    /// The kill switch at the end (an `unhedged` group moves it to reducing).
    pub kill_switch: KillSwitch,
    /// Commands that waited for a message token of our own rate limit (one that waited
    /// past its budget is in `risk_refused`).
    pub risk_waited: u64,
    /// Cancels and queries that waited behind an order risk then refused: never sent
    /// (the order never left).
    pub risk_dropped: u64,
    /// Reports refused as duplicate or stale by the state machines.
    pub reports_ignored: u64,
    /// Fills refused because their trade id fell below a leg's dedupe window: the venue
    /// may have made them and the records may lack them (should be 0; see `Leg`).
    pub unverified_fills: u64,
    /// Commands for a gateway that had already stopped (should be 0).
    pub unaccounted: u64,
    /// What the feeder pushed, dropped and waited.
    pub feeder: FeederStats,
    /// Per live feed (in feed order; empty for a replay): its connection's health and
    /// what its thread handed on.
    pub live: Vec<LiveStats>,
    /// Times a live feed's connection started over and the loop's book with it.
    pub md_resets: u64,
    /// Turns the loop waited on a full journal ring (nothing dropped).
    pub journal_ring_full: u64,
    /// Groups the strategy asked for that found no free slot (not opened; it was told).
    pub pool_exhausted: u64,
    /// Pooled group slots used again for a new job.
    pub recycled: u64,
    /// Reports for a job whose slot was used again (not applied; should be 0).
    pub late_reports: u64,
    /// Per feed: the loop's book at the end, and whether it was live (in sync).
    pub books: Vec<(Ladder, bool)>,
    /// Per feed: lines its sync refused (stale, gap, malformed).
    pub md_refused: Vec<u64>,
    /// Market-data lines the loop applied.
    pub md_lines: u64,
    /// Connection events the venues reported (connected, disconnected, resynced).
    pub link_events: u64,
    /// Position breaks the venues' gateways reported (the kill switch went to
    /// reducing-only). Should be 0.
    pub position_breaks: u64,
    /// The strategy, returned for its own counters.
    pub strategy: S,
}

/// A network venue back from its run.
pub struct NetworkVenue {
    /// Its venue index.
    pub venue: usize,
    /// Its gateway (connection closed or closing).
    pub gateway: Box<dyn Gateway>,
}

impl std::fmt::Debug for NetworkVenue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NetworkVenue({})", self.venue)
    }
}

/// Everything a run needs besides its [`Config`].
pub struct Setup<G, S> {
    /// One per venue: venue `i` of every plan and of `risk`, simulated or network.
    pub gateways: Vec<Venue<G>>,
    /// The risk state the engine owns.
    pub risk: RiskState,
    /// Recorded feeds replayed into the loop's books and the venues' books.
    pub feeds: Vec<Feed>,
    /// Fixed jobs, started in order.
    pub jobs: Vec<Job>,
    /// The strategy deciding on the books after each line.
    pub strategy: S,
    /// Groups preallocated for the strategy: the most it holds at once (slots are reused).
    pub strategy_groups: usize,
    /// Where journal records go (its own thread), if anywhere.
    pub recorder: Option<Box<dyn Recorder>>,
}

/// Runs `jobs` through the loop and `gateways` (one thread each), and returns what
/// happened. Gateway `i` is venue `i` of every job's plans and of `risk`. No market data:
/// see [`run_with_feeds`].
pub fn run<G: LocalVenue>(
    config: &Config,
    gateways: Vec<G>,
    risk: RiskState,
    jobs: Vec<Job>,
) -> Result<RunReport<G>, RuntimeError> {
    run_with_feeds(config, gateways, risk, Vec::new(), jobs)
}

/// [`run`] with recorded feeds replayed by the feeder thread into the loop's books and
/// the venues' books.
pub fn run_with_feeds<G: LocalVenue>(
    config: &Config,
    gateways: Vec<G>,
    risk: RiskState,
    feeds: Vec<Feed>,
    jobs: Vec<Job>,
) -> Result<RunReport<G>, RuntimeError> {
    let setup = Setup {
        gateways: gateways.into_iter().map(Venue::Local).collect(),
        risk,
        feeds,
        jobs,
        strategy: NoStrategy,
        strategy_groups: 0,
        recorder: None,
    };
    run_setup(config, setup)
}

/// The threads of a run other than the loop.
struct Threads<G> {
    gateways: GatewayThreads<G>,
    feeder: Option<JoinHandle<FeederStats>>,
    live: Vec<JoinHandle<LiveStats>>,
    recorder: Option<JoinHandle<()>>,
}

/// Runs a whole [`Setup`]: fixed jobs, feeds, a strategy and a journal recorder.
pub fn run_setup<G: LocalVenue, S: Strategy>(
    config: &Config,
    setup: Setup<G, S>,
) -> Result<RunReport<G, S>, RuntimeError> {
    let Setup {
        gateways,
        risk,
        feeds,
        jobs,
        strategy,
        strategy_groups,
        recorder,
    } = setup;
    check_setup(gateways.len(), &feeds, &jobs)?;
    check_job_range(config.job_base, jobs.len() + strategy_groups)?;
    let ecfg = engine_config(config, jobs.len(), strategy_groups, recorder.is_some());
    // Groups are built here, on the caller's thread, and checked before anything starts.
    let mut ready = Vec::with_capacity(jobs.len());
    for (j, job) in jobs.into_iter().enumerate() {
        ready.push(
            Prepared::new(&ecfg, job).map_err(|source| RuntimeError::Plan { job: j, source })?,
        );
    }
    let book_feeds = feeds.iter().map(feed_book).collect();
    let engine = Engine::new(ecfg, risk, book_feeds, strategy)
        .map_err(|source| RuntimeError::Plan { job: 0, source })?;
    // Read the cores before pinning anything: a pinned thread sees only its own core.
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let clock = Clock::new();
    let engine = engine.with_timer(Box::new(move || clock.now_ns()));
    let md = spawn_feeds(config, &feeds, clock);
    let gws = Gateways::spawn(config, gateways, &feeds, md.recycle, clock, &cores);
    let (gateway_threads, commands, reports) = gws.split();
    let (journal, recorder) = spawn_recorder(config, recorder, clock);
    let (mut ctl_tx, control) = ring::<Control>(ready.len().max(1) + 1);
    let mut pump = Pump::new(
        engine,
        clock,
        control,
        (commands, reports),
        config.report_ring,
    );
    pump.md = md.rings;
    pump.inline = md.inline;
    pump.stop = config.stop.clone();
    pump.tapes = feeds.iter().map(|f| f.tape.clone()).collect();
    pump.journal = journal;
    pump.progress = config.progress.clone();
    let loop_core = config.loop_core.and_then(|c| cores.get(c).copied());
    let wait = config.wait;
    let event_loop = super::spawn("legcore-loop".into(), move || {
        let pinned = loop_core.map(core_affinity::set_for_current);
        (pump.run(wait), pinned)
    });
    for job in ready {
        push_control(&mut ctl_tx, Control::Job(job));
    }
    push_control(&mut ctl_tx, Control::Done);
    let threads = Threads {
        gateways: gateway_threads,
        feeder: md.feeder,
        live: md.live,
        recorder,
    };
    join(event_loop, threads)
}

/// Checks that every feed and leg names a gateway and every job has one entry per leg.
fn check_setup(gateways: usize, feeds: &[Feed], jobs: &[Job]) -> Result<(), RuntimeError> {
    if let Some(f) = feeds.iter().position(|f| f.venue.index() >= gateways) {
        return Err(RuntimeError::Job {
            job: f,
            why: "a feed names a venue with no gateway",
        });
    }
    for (j, job) in jobs.iter().enumerate() {
        let l = job.plans.len();
        if job.books.len() != l || job.tops.len() != l || job.risk.len() != l {
            return Err(RuntimeError::Job {
                job: j,
                why: "books, tops and risk need one entry per leg",
            });
        }
        if job.plans.iter().any(|p| p.venue.index() >= gateways) {
            return Err(RuntimeError::Job {
                job: j,
                why: "a leg names a venue with no gateway",
            });
        }
    }
    Ok(())
}

fn engine_config(
    config: &Config,
    jobs: usize,
    strategy_groups: usize,
    journal: bool,
) -> EngineConfig {
    EngineConfig {
        request_timeout_ns: config.request_timeout_ns,
        silence_limit_ns: config.silence_limit_ns,
        pace_budget_ns: config
            .request_timeout_ns
            .saturating_mul(PACE_BUDGET_TIMEOUTS),
        settle_risk: config.settle_risk,
        job_base: config.job_base,
        journal,
        jobs,
        strategy_groups,
    }
}

/// The engine's book for `f`: the loop's own ladder and sync.
fn feed_book(f: &Feed) -> FeedBook {
    FeedBook {
        venue: f.venue,
        book: f.book,
        ladder: Ladder::new(f.levels_per_side, f.max_update_levels),
        sync: BookFeed::new(f.format, f.tick, f.lot),
    }
}

/// Every job number of the run (`job_base` up to `jobs` more) fits a client order id.
fn check_job_range(job_base: u64, jobs: usize) -> Result<(), RuntimeError> {
    let last = u64::try_from(jobs).map_or(u64::MAX, |n| job_base.saturating_add(n));
    if last > MAX_JOB {
        return Err(RuntimeError::Job {
            job: jobs,
            why: "job numbers past the client order id's range",
        });
    }
    Ok(())
}

/// A run's market-data threads and the ring ends around them.
struct MdThreads {
    /// To the loop: the replay feeder's ring, or one per live feed.
    rings: Vec<Option<Consumer<MdLine>>>,
    /// Per feed: where a live feed's buffers go back (to the venue's gateway).
    recycle: Vec<Option<Producer<Vec<u8>>>>,
    feeder: Option<JoinHandle<FeederStats>>,
    live: Vec<JoinHandle<LiveStats>>,
    /// The replay the loop reads itself (`Config::md_in_loop`).
    inline: Option<Schedule>,
}

/// The feeder thread replaying the recorded feeds, or one thread per live feed.
fn spawn_feeds(config: &Config, feeds: &[Feed], clock: Clock) -> MdThreads {
    let mut md = MdThreads {
        rings: Vec::new(),
        recycle: (0..feeds.len()).map(|_| None).collect(),
        feeder: None,
        live: Vec::new(),
        inline: None,
    };
    if feeds.is_empty() {
        return md;
    }
    if feeds.iter().any(|f| f.live.is_some()) {
        for (i, f) in feeds.iter().enumerate() {
            let Some(live) = &f.live else { continue };
            let (md_tx, md_rx) = ring::<MdLine>(config.md_ring);
            // Room for every buffer that can be in flight: nothing freed in steady state.
            let (back_tx, back_rx) = ring::<Vec<u8>>(config.md_ring + config.command_ring + 4);
            let mut live = live.clone();
            live.stop = config.stop.clone();
            live.clock = Some(clock);
            let thread = LiveFeeder {
                feed: i as u32,
                config: live,
                book: Ladder::new(f.levels_per_side, f.max_update_levels),
                out: md_tx,
                recycle: back_rx,
                clock,
                wait: config.gateway_wait,
            };
            md.live
                .push(super::spawn(format!("legcore-live-{i}"), move || {
                    run_live_feeder(thread)
                }));
            md.rings.push(Some(md_rx));
            md.recycle[i] = Some(back_tx);
        }
        return md;
    }
    let tapes: Vec<Arc<Tape>> = feeds.iter().map(|f| f.tape.clone()).collect();
    if config.md_in_loop {
        md.inline = Some(Schedule::new(tapes, config.md_speed, clock.now_ns()));
        return md;
    }
    let (md_tx, md_rx) = ring::<MdLine>(config.md_ring);
    let (speed, wait, stop) = (config.md_speed, config.gateway_wait, config.stop.clone());
    md.feeder = Some(super::spawn("legcore-feeder".into(), move || {
        run_feeder(tapes, md_tx, clock, speed, wait, stop)
    }));
    md.rings.push(Some(md_rx));
    md
}

/// The recorder thread, if there is a recorder.
fn spawn_recorder(
    config: &Config,
    recorder: Option<Box<dyn Recorder>>,
    clock: Clock,
) -> (Option<Producer<Journal>>, Option<JoinHandle<()>>) {
    let Some(mut rec) = recorder else {
        return (None, None);
    };
    let (tx, mut rx) = ring::<Journal>(config.journal_ring);
    let wait = config.gateway_wait;
    let h = super::spawn("legcore-journal".into(), move || {
        let mut idle = Idle::new(wait);
        loop {
            match rx.pop() {
                Some(Journal::Record(r)) => {
                    idle.busy();
                    rec.record(&r);
                }
                Some(Journal::End) => break,
                None => idle.idle(clock.now_ns()),
            }
        }
        rec.finish();
    });
    (Some(tx), Some(h))
}

/// Pushes `msg` to the loop, waiting for room.
fn push_control(tx: &mut Producer<Control>, mut msg: Control) {
    while let Err(back) = tx.push(msg) {
        msg = back;
        thread::yield_now();
    }
}

/// Joins the loop and the other threads into the run's report.
fn join<G, S: Strategy>(
    event_loop: JoinHandle<(Pump<S>, Option<bool>)>,
    threads: Threads<G>,
) -> Result<RunReport<G, S>, RuntimeError> {
    let joined = event_loop.join();
    // The loop's journal producer is gone with it: the recorder drains and finishes.
    if let Some(h) = threads.recorder {
        h.join().map_err(|_| RuntimeError::Panicked("recorder"))?;
    }
    let (pump, loop_pinned) = joined.map_err(|_| RuntimeError::Panicked("event loop"))?;
    let feeder = match threads.feeder {
        Some(h) => h.join().map_err(|_| RuntimeError::Panicked("feeder"))?,
        None => FeederStats::default(),
    };
    let mut live = Vec::with_capacity(threads.live.len());
    for h in threads.live {
        live.push(h.join().map_err(|_| RuntimeError::Panicked("live feed"))?);
    }
    let counts = pump.counts;
    let md_resets = pump.engine.md_resets();
    let parts = pump.engine.into_parts();
    let mut telemetry = Telemetry::new();
    if let Some(t) = &parts.telemetry {
        telemetry.merge(t);
    }
    let venues = threads
        .gateways
        .join()
        .ok_or(RuntimeError::Panicked("gateway"))?;
    for stats in &venues.stats {
        telemetry.merge(&stats.telemetry);
    }
    let sides = Sides {
        venues,
        telemetry,
        loop_pinned,
        feeder,
        live,
        md_resets,
        counts,
    };
    Ok(report(parts, sides))
}

/// What the threads around the engine bring to the report.
struct Sides<G> {
    venues: Joined<G>,
    telemetry: Telemetry,
    loop_pinned: Option<bool>,
    feeder: FeederStats,
    live: Vec<LiveStats>,
    md_resets: u64,
    counts: PumpCounts,
}

fn report<G, S>(parts: Parts<S>, sides: Sides<G>) -> RunReport<G, S> {
    let c = parts.counters;
    RunReport {
        groups: parts.groups,
        job_numbers: parts.job_numbers,
        refused_at_start: parts.refused_at_start,
        gateways: sides.venues.local,
        network: sides
            .venues
            .network
            .into_iter()
            .map(|(venue, gateway)| NetworkVenue { venue, gateway })
            .collect(),
        gateway_stats: sides.venues.stats,
        telemetry: sides.telemetry,
        loop_pinned: sides.loop_pinned,
        command_ring_full: sides.counts.command_ring_full,
        risk_refused: c.risk_refused,
        kill_switch: parts.risk.switch(),
        risk_waited: parts.pacer.waited(),
        risk_dropped: parts.pacer.dropped(),
        reports_ignored: c.reports_ignored + c.reports_unexpected + sides.counts.gateway_failed,
        unverified_fills: c.unverified_fills,
        unaccounted: sides.counts.unaccounted + c.unaccounted,
        feeder: sides.feeder,
        live: sides.live,
        md_resets: sides.md_resets,
        journal_ring_full: sides.counts.journal_ring_full,
        pool_exhausted: c.pool_exhausted,
        recycled: c.recycled,
        late_reports: c.late_reports,
        md_refused: parts.books.iter().map(|b| b.2).collect(),
        books: parts
            .books
            .into_iter()
            .map(|(l, live, _)| (l, live))
            .collect(),
        md_lines: c.md_lines,
        link_events: c.link_events,
        position_breaks: c.position_breaks,
        strategy: parts.strategy,
    }
}

/// The outcome of every job, in order (`None` for a refused start).
pub fn outcomes<G, S>(report: &RunReport<G, S>) -> Vec<Option<Outcome>> {
    report.groups.iter().map(Group::outcome).collect()
}
