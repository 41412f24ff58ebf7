//! `legcore run --resume --journal DIR`: after a crash (kill -9 at any point), rebuild
//! the open groups from the journal and the venues' saved records, reconcile them
//! ([`legcore::journal::recover`]), and finish or unwind what was open: resting orders
//! are cancelled, a group that holds exactly what it asked (or nothing) is kept, every
//! other is unwound to flat through the runtime (in up to eight rounds, when a venue
//! rejects, loses or fills an unwind only in part). Every step is journalled as a typed line
//! ([`legcore::journal::line`]); no fill is lost or counted twice. The replay does not
//! continue: the strategy starts over in a new run.
//!
//! The steps, in order (each a function below): read `run.json` and open the journal (a
//! journal of an older legcore is refused here, before anything is touched), restore the
//! venues, reconcile, cancel what rests, write the `resumed` and `reconciled` lines,
//! run the unwind rounds, write the recovered groups' `ended` lines.

use legcore::index::{BookId, JobId, VenueId};

use std::path::{Path, PathBuf};

use ethnum::I256;
use legcore::book::OrderSide;
use legcore::group::{LegPlan, LegRisk, Policy};
use legcore::instrument::InstrumentRules;
use legcore::instrument::{ContractKind, VenueInfo};
use legcore::journal::line::{Ended, Line, Opened, Reconciled, Resumed, Settled, Unwind};
use legcore::journal::{
    coin, order_inv, quote, recovered_leg, shortfall, Amounts, GroupSummary, IncidentSummary,
    InvFills, LegFills, Overflow, RecoveredLeg, SummaryError, LOSS,
};
use legcore::journal::{path_in, read, Fsync, Read, Writer};
use legcore::journal::{reconcile, OpenGroup, OrderFacts, RecoverError, Recovery};
use legcore::journal::{JournalRecorder, Shared};
use legcore::leg::{Arrival, Fees, Mode};
use legcore::num::{Decimal, Ratio};
use legcore::risk::RiskState;
use legcore::runtime::{run_setup, BookFeed, Config, Feed, Job, Setup, Venue};
use legcore::runtime::{Persisted, SavedVenue};
use legcore::scenario::Scenario;
use legcore::scenario::{gcd, Built};
use legcore::sim::SimExchange;
use legcore::strategy::NoStrategy;
use legcore::venue::VenueState;
use legcore::walk::Recommendation;
use serde::{Deserialize, Serialize};

use super::args::CliError;
use super::emit;

/// What a run leaves in its journal directory for a restart.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Saved {
    /// The scenario text as run.
    pub scenario: String,
    /// The directory its data paths are relative to.
    pub dir: PathBuf,
    /// The seed used.
    pub seed: u64,
    /// The speed used.
    pub speed: String,
}

impl Saved {
    /// Writes `DIR/run.json`.
    pub fn write(&self, dir: &Path) -> Result<(), String> {
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("run.json"), bytes).map_err(|e| e.to_string())
    }

    fn read(dir: &Path) -> Result<Saved, String> {
        let p = dir.join("run.json");
        let bytes = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", p.display()))
    }

    /// The scenario as it was run.
    fn build(&self) -> Result<Built, CliError> {
        let mut scenario = Scenario::parse(&self.scenario).map_err(input)?;
        scenario.seed = self.seed;
        scenario.speed = self.speed.clone();
        let built = scenario.build(&self.dir).map_err(input)?;
        if let Some(i) = built.network.iter().position(Option::is_some) {
            // A network venue keeps its own records: recovery must ask it (not built).
            return Err(input(format!(
                "venue[{i}] is a network venue: a run with one cannot be resumed"
            )));
        }
        Ok(built)
    }
}

/// Where venue `i` saves its records.
pub fn venue_path(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("venue-{i}.json"))
}

fn input(e: impl std::fmt::Display) -> CliError {
    CliError::Input(format!("--resume: {e}"))
}

/// A journal that does not fit its venues, naming the journal's file.
fn in_journal(dir: &Path, e: RecoverError) -> CliError {
    input(format!("{}: {e}", path_in(dir).display()))
}

/// Realised loss of a leg, tick-lots: buys cost minus sells received over the matched
/// quantity (toward zero).
fn loss_tl(buys: (i64, i128), sells: (i64, i128)) -> i128 {
    let m = buys.0.min(sells.0);
    if m == 0 {
        return 0;
    }
    let (bl, bn) = buys;
    let (sl, sn) = sells;
    (bn * i128::from(m) / i128::from(bl)) - (sn * i128::from(m) / i128::from(sl))
}

pub fn run(dir: &Path, fsync: Fsync, quiet: bool) -> Result<u8, CliError> {
    let saved = Saved::read(dir).map_err(input)?;
    let (writer, found) = Writer::open(dir, fsync).map_err(input)?;
    let Built {
        name,
        mut exchanges,
        risk,
        feeds,
        config,
        venues,
        rules,
        fees,
        max_slippage_bps,
        ..
    } = saved.build()?;
    let (states, md_lines) = restore_venues(dir, &mut exchanges, &feeds)?;
    // A new session of each venue: its fault draws depend on how far the journal got,
    // so a resume killed and run again does not meet the same faults again.
    let session = found.records.len() as u64;
    for (i, x) in exchanges.iter_mut().enumerate() {
        x.reseed(saved.seed ^ session.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ ((i as u64) << 32));
    }
    let rec = reconcile(&found.records, &states).map_err(|e| in_journal(dir, e))?;
    let cancelled = cancel_resting(&mut exchanges, &rec)?;
    let gateways = persisted(dir, exchanges, &md_lines)?;
    let (recorder, shared) = JournalRecorder::new(Some(writer), venues.clone(), &name);
    let recovered_lots = write_reconciled(recorder, &found, &name, &rec);
    journal_ok(&shared)?;
    crash_point("reconciled");
    let ctx = Unwinds {
        dir,
        fsync,
        strategy: format!("{name}/recovery"),
        venues: &venues,
        rules: &rules,
        fees: &fees,
        max_slippage_bps,
        config,
        risk,
    };
    let (after, unwound) = ctx.rounds(gateways, &rec)?;
    crash_point("unwound");
    let (lines, unhedged) = close_groups(dir, fsync, &venues, &name, &rec, &after)?;
    if !quiet {
        emit(&format!(
            "resumed {}: {} open groups, {} resting orders cancelled, {} lots of fills \
             recovered, {} unwound\n{lines}",
            dir.display(),
            rec.open.len(),
            cancelled,
            recovered_lots,
            unwound
        ))?;
    }
    Ok(if unhedged { 3 } else { 0 })
}

/// The venues as they were: records restored, books replayed to where they stood.
/// Returns each venue's records and the market-data lines its book has seen.
fn restore_venues(
    dir: &Path,
    exchanges: &mut [SimExchange],
    feeds: &[Feed],
) -> Result<(Vec<VenueState>, Vec<u64>), CliError> {
    let mut states = Vec::new();
    let mut md_lines = Vec::new();
    for (i, x) in exchanges.iter_mut().enumerate() {
        let sv = SavedVenue::load(&venue_path(dir, i)).map_err(input)?;
        let (Some(state), Some(&lines)) = (sv.books.first(), sv.md_lines.first()) else {
            return Err(input(format!("venue {i}: no saved book")));
        };
        let f = &feeds[i];
        let book = x.book_mut(BookId::new(0)).map_err(input)?;
        book.restore(state)
            .ok_or_else(|| input(format!("venue {i}: more orders than a venue holds")))?;
        // Replayed to where the venue saved; if its book was out of sync or one-sided
        // there, on until it is live with both sides: the market moved on meanwhile.
        let mut sync = BookFeed::new(f.format, f.tick, f.lot);
        let (mut n, mut live) = (0usize, false);
        let two_sided =
            |l: &legcore::book::Ladder| l.best_bid().is_some() && l.best_ask().is_some();
        while n < f.tape.len() && (n < lines as usize || !live || !two_sided(book.ladder())) {
            live = sync.on_line(book.ladder_mut(), f.tape.line(n));
            n += 1;
        }
        states.push(state.clone());
        md_lines.push(n as u64);
    }
    Ok((states, md_lines))
}

/// Cancels every order of an open group that a venue still rests (its fills are kept);
/// returns how many.
fn cancel_resting(exchanges: &mut [SimExchange], rec: &Recovery) -> Result<usize, CliError> {
    let mut cancelled = 0;
    for o in rec.open.values().flat_map(|g| g.orders.values()) {
        if o.open {
            cancelled += 1;
            let mut out: arrayvec::ArrayVec<_, 1> = arrayvec::ArrayVec::new();
            let book = exchanges[o.venue].book_mut(BookId::new(0)).map_err(input)?;
            book.cancel(o.client_id, &mut out).map_err(input)?;
        }
    }
    Ok(cancelled)
}

/// The venues behind gateways that save them (before the journal says what was done).
fn persisted(
    dir: &Path,
    exchanges: Vec<SimExchange>,
    md_lines: &[u64],
) -> Result<Vec<Persisted<SimExchange>>, CliError> {
    let gateways: Vec<Persisted<SimExchange>> = exchanges
        .into_iter()
        .enumerate()
        .map(|(i, x)| Persisted::new(x, Some(venue_path(dir, i)), vec![md_lines[i]]))
        .collect();
    match gateways.iter().find_map(|g| g.error.clone()) {
        Some(e) => Err(input(format!("venue state: {e}"))),
        None => Ok(gateways),
    }
}

/// The recovered groups' ends, from the journal and the venues as they are now (the
/// same facts a later resume would read): their `ended` lines, the text that tells
/// them, and whether one is left unhedged.
fn close_groups(
    dir: &Path,
    fsync: Fsync,
    venues: &[VenueInfo],
    name: &str,
    rec: &Recovery,
    after: &Recovery,
) -> Result<(String, bool), CliError> {
    let (writer, now) = Writer::open(dir, fsync).map_err(input)?;
    let (closer, closed) = JournalRecorder::new(Some(writer), venues.to_vec(), name);
    let mut closer = closer.with_seq(now.records.len() as u64);
    let mut lines = String::new();
    let mut unhedged = false;
    for g in rec.open.keys().filter_map(|j| after.open.get(j)) {
        let s = end_summary(g, venues)?;
        unhedged |= s.outcome == "unhedged";
        lines += &format!(
            "group {:>3}: {:<10} legs {}  ({} orders reconciled)\n",
            g.job,
            s.outcome,
            s.legs
                .iter()
                .map(|l| format!("{} {} net {}", l.venue, l.side, l.net_qty))
                .collect::<Vec<_>>()
                .join(", "),
            g.orders.len()
        );
        closer.write(&Line::Ended(Ended { t_ns: 0, group: s }), true);
    }
    drop(closer);
    journal_ok(&closed)?;
    Ok((lines, unhedged))
}

/// Unwind rounds a resume runs at most (each after the last left a residual: a reject,
/// a partial fill, a lost request). Each costs at most about a request timeout and a
/// query, so eight rounds bound a resume to a few seconds while a venue faulting a
/// quarter of the orders leaves a residual only about once in 6 × 10⁴ resumes.
const UNWIND_ROUNDS: usize = 8;

/// What a resume's unwind rounds need.
struct Unwinds<'a> {
    dir: &'a Path,
    fsync: Fsync,
    strategy: String,
    venues: &'a [VenueInfo],
    rules: &'a [InstrumentRules],
    fees: &'a [Fees],
    max_slippage_bps: Ratio,
    config: Config,
    risk: RiskState,
}

impl Unwinds<'_> {
    /// The unwind rounds: a partial unwind (a venue cut it short) is followed by another
    /// for what is left, each tied to its group before it is sent. Returns the recovery
    /// as it stands after them and the unwind jobs run.
    fn rounds(
        &self,
        gateways: Vec<Persisted<SimExchange>>,
        rec: &Recovery,
    ) -> Result<(Recovery, usize), CliError> {
        let base = rec.max_job.map_or(0, |m| m + 1);
        let (mut gateways, mut after, mut next, mut unwound) = (gateways, rec.clone(), base, 0);
        for _ in 0..UNWIND_ROUNDS {
            let (gws, now, jobs) = self.round(gateways, &after, rec, next)?;
            (gateways, after, next, unwound) = (gws, now, next + jobs, unwound + jobs);
            if jobs == 0 {
                break;
            }
        }
        Ok((after, unwound))
    }

    /// Unwinds what `cur` says each group of `first` still holds, as jobs from `base`
    /// on: an `unwind` line (synced) per job, then the runtime. Returns the venues, the
    /// recovery as it stands after, and the jobs run.
    fn round(
        &self,
        gateways: Vec<Persisted<SimExchange>>,
        cur: &Recovery,
        first: &Recovery,
        base: usize,
    ) -> Result<(Vec<Persisted<SimExchange>>, Recovery, usize), CliError> {
        let (writer, found) = Writer::open(self.dir, self.fsync).map_err(input)?;
        let (recorder, shared) =
            JournalRecorder::new(Some(writer), self.venues.to_vec(), &self.strategy);
        let mut recorder = recorder.with_seq(found.records.len() as u64);
        let (mut jobs, mut unwinds) = (Vec::new(), Vec::new());
        for g in first.open.keys().filter_map(|j| cur.open.get(j)) {
            let Some((job, legs)) = self.unwind_job(g, &gateways)? else {
                continue;
            };
            let unwind_job = base + jobs.len();
            let line = Unwind {
                job: JobId::new(g.job),
                unwind_job: JobId::new(unwind_job),
                legs,
            };
            recorder.write(&Line::Unwind(line), true);
            unwinds.push(g.job);
            jobs.push(job);
        }
        let n = jobs.len();
        if n == 0 {
            return Ok((gateways, cur.clone(), 0));
        }
        let recorder = recorder.with_job_base(base).with_unwinds(unwinds);
        let gateways = self.run_jobs(gateways, jobs, recorder, base)?;
        journal_ok(&shared)?;
        let now = read(&path_in(self.dir), false).map_err(input)?;
        let states: Vec<_> = gateways
            .iter()
            .map(|g| g.inner.books()[0].state())
            .collect();
        let rec = reconcile(&now.records, &states).map_err(|e| in_journal(self.dir, e))?;
        Ok((gateways, rec, n))
    }

    /// Runs unwind `jobs` (numbered from `base`) through the runtime, journalled by
    /// `recorder`; returns the venues, saved.
    fn run_jobs(
        &self,
        gateways: Vec<Persisted<SimExchange>>,
        jobs: Vec<Job>,
        recorder: JournalRecorder,
        base: usize,
    ) -> Result<Vec<Persisted<SimExchange>>, CliError> {
        let mut config = self.config.clone();
        config.job_base = base as u64;
        let setup = Setup {
            // Each round's runtime clock starts at 0 again.
            gateways: gateways
                .into_iter()
                .map(|mut g| {
                    g.inner.restart_clock();
                    Venue::Local(g)
                })
                .collect(),
            risk: self.risk.clone(),
            feeds: Vec::new(),
            jobs,
            strategy: NoStrategy,
            strategy_groups: 0,
            recorder: Some(Box::new(recorder)),
        };
        let mut report = run_setup(&config, setup).map_err(input)?;
        for g in &mut report.gateways {
            g.flush();
            if let Some(e) = g.error.take() {
                return Err(input(format!("venue state: {e}")));
            }
        }
        Ok(report.gateways)
    }

    /// The market IOCs that bring `g` back to flat, and the group's leg of each, or `None`
    /// when it holds exactly what it asked (a known target on every leg) or nothing.
    fn unwind_job(
        &self,
        g: &OpenGroup,
        gateways: &[Persisted<SimExchange>],
    ) -> Result<Option<(Job, Vec<usize>)>, CliError> {
        let nets: Vec<(usize, i64)> = g.legs.keys().map(|&l| (l, g.net_lots(l))).collect();
        let filled = nets.iter().all(|&(l, n)| {
            let leg = &g.legs[&l];
            leg.target_known && leg.target_lots > 0 && n == leg.target_lots
        });
        if filled || nets.iter().all(|&(_, n)| n == 0) {
            return Ok(None);
        }
        let unit = nets
            .iter()
            .map(|&(l, _)| self.venues[g.legs[&l].venue].lot.size().raw())
            .fold(0i128, gcd)
            .max(1);
        let mut job = Job {
            plans: Vec::new(),
            books: Vec::new(),
            tops: Vec::new(),
            risk: Vec::new(),
            policy: Policy::AcceptPartial,
            after_md_lines: 0,
        };
        let mut legs = Vec::new();
        for &(l, n) in nets.iter().filter(|&&(_, n)| n != 0) {
            let leg = &g.legs[&l];
            // Back toward flat: the opposite of the net position's direction.
            let long = (n > 0) == leg.buy;
            let side = if long {
                OrderSide::Sell
            } else {
                OrderSide::Buy
            };
            self.push_leg(&mut job, leg.venue, side, n.abs(), unit, gateways)?;
            legs.push(l);
        }
        Ok(Some((job, legs)))
    }

    /// Adds to `job` a market IOC of `lots` on venue `v` (its lot `unit`s of the
    /// group's common unit), from the venue's top of book now.
    fn push_leg(
        &self,
        job: &mut Job,
        v: usize,
        side: OrderSide,
        lots: i64,
        unit: i128,
        gateways: &[Persisted<SimExchange>],
    ) -> Result<(), CliError> {
        let ladder = gateways[v].inner.books()[0].ladder();
        let (Some(b), Some(a)) = (ladder.best_bid(), ladder.best_ask()) else {
            return Err(input(format!(
                "venue {v}: its book is empty at the restart"
            )));
        };
        let lot_units = i64::try_from(self.venues[v].lot.size().raw() / unit)
            .map_err(|_| input(format!("venue {v}: its lot is too many units of {unit}")))?;
        job.plans.push(LegPlan {
            venue: VenueId::new(v),
            side,
            qty_lots: lots,
            lot_units,
            mode: Mode::MarketOnly,
            max_slippage_bps: self.max_slippage_bps,
            fees: self.fees[v],
        });
        job.books.push(BookId::new(0));
        job.tops.push(Arrival {
            bid_ticks: b.price_ticks,
            ask_ticks: a.price_ticks,
            recommendation: Recommendation::UseMarketAcceptable,
            expected_price_ticks: None,
        });
        job.risk.push(LegRisk {
            venue: VenueId::new(v),
            rules: self.rules[v],
        });
        Ok(())
    }
}

/// The journal recorder's first write error, if any, as the resume's error.
fn journal_ok(shared: &Shared) -> Result<(), CliError> {
    match shared.failure() {
        Some(e) => Err(input(e)),
        None => Ok(()),
    }
}

/// Dies here, as a SIGKILL would, when `LEGCORE_RESUME_ABORT_AT` names this point
/// (`reconciled`: after the `reconciled` lines; `unwound`: after the unwinds ran, before
/// the groups' ends). The crash tests use it to kill a resume between two of its writes.
fn crash_point(name: &str) {
    if std::env::var("LEGCORE_RESUME_ABORT_AT").is_ok_and(|p| p == name) {
        std::process::abort();
    }
}

/// Writes the `resumed` line (after an `opened` line, if the run died before its
/// first was whole) and a `reconciled` line for each open order an earlier resume has
/// not settled (or that has fills to recover since); returns the lots recovered.
fn write_reconciled(
    recorder: JournalRecorder,
    found: &Read,
    scenario: &str,
    rec: &Recovery,
) -> i64 {
    let mut recorder = recorder.with_seq(found.records.len() as u64);
    if found.records.is_empty() {
        recorder.write(&Line::Opened(Opened::now(scenario)), true);
    }
    recorder.write(&Line::Resumed(Resumed::now()), true);
    let mut recovered = 0;
    for g in rec.open.values() {
        for o in g.orders.values() {
            let line = reconciled(g.job, o);
            if o.reconciled && line.recovered_lots == 0 && !o.open {
                continue;
            }
            recovered += line.recovered_lots;
            recorder.write(&Line::Reconciled(line), false);
        }
    }
    recovered
}

/// The `reconciled` line of order `o` of group `job`.
fn reconciled(job: usize, o: &OrderFacts) -> Reconciled {
    let status = if o.unknown_to_venue {
        Settled::Rejected // sent, never reached the venue
    } else if o.open {
        Settled::Cancelled
    } else {
        Settled::Closed
    };
    Reconciled {
        job: JobId::new(job),
        client_id: o.client_id,
        status,
        venue_filled_lots: o.venue_filled_lots,
        journal_filled_lots: o.journal_filled_lots,
        recovered_lots: (o.venue_filled_lots - o.journal_filled_lots).max(0),
        recovered_notional_tl: (o.venue_notional_tl - o.journal_notional_tl).max(0),
    }
}

/// One leg's fills from the venues' records of its orders, (lots, notional tick-lots)
/// in the entry direction and back, and their fees (tick-lots × 10⁻⁸).
/// `inv` prices them as Σ qty ÷ price for an inverse instrument, each order at its
/// average price (`journal::order_inv`).
struct Fills {
    entry: (i64, i128),
    exit: (i64, i128),
    fees: i128,
    inv: InvFills,
}

impl Fills {
    fn of(g: &OpenGroup, leg: usize, buy: bool) -> Fills {
        let mut f = Fills {
            entry: (0, 0),
            exit: (0, 0),
            fees: 0,
            inv: InvFills {
                fees_e26: Some(0),
                ..InvFills::default()
            },
        };
        for o in g.orders.values().filter(|o| o.leg == leg) {
            let (side, inv) = if o.buy == buy {
                (&mut f.entry, &mut f.inv.entry_e18)
            } else {
                (&mut f.exit, &mut f.inv.exit_e18)
            };
            side.0 += o.venue_filled_lots;
            side.1 += o.venue_notional_tl;
            f.fees += o.fees_tl_e8;
            let priced = order_inv(o.venue_filled_lots, o.venue_notional_tl, o.fees_tl_e8);
            let (i, fees) = priced.unwrap_or((0, 0));
            *inv = inv.saturating_add(i);
            f.inv.fees_e26 = f
                .inv
                .fees_e26
                .zip(priced)
                .and_then(|(a, _)| a.checked_add(fees));
        }
        f
    }

    fn net(&self) -> i64 {
        self.entry.0 - self.exit.0
    }
}

/// The loss of a recovered leg's unwinds in its settle currency (+ = loss): a linear
/// leg's matched buys against sells in quote; an inverse leg's in coin, where a contract
/// bought holds coin, so the signs turn.
fn leg_loss(v: &VenueInfo, f: &Fills, buy: bool) -> Result<Decimal, Overflow> {
    let inv = (f.inv.entry_e18, f.inv.exit_e18);
    let ((bl, sl), (bn, sn), (bi, si)) = if buy {
        ((f.entry.0, f.exit.0), (f.entry.1, f.exit.1), inv)
    } else {
        ((f.exit.0, f.entry.0), (f.exit.1, f.entry.1), (inv.1, inv.0))
    };
    match v.kind {
        ContractKind::Linear => quote(v, loss_tl((bl, bn), (sl, sn)), 1),
        ContractKind::Inverse => {
            let x = -loss_tl((bl, bi), (sl, si));
            coin(
                v,
                I256::new(x),
                I256::new(10i128.pow(18)),
                "the incident's loss",
            )
        }
    }
}

/// The `ended` summary of a recovered group, from the venues' records of its orders
/// (its unwind's included).
fn end_summary(g: &OpenGroup, venues: &[VenueInfo]) -> Result<GroupSummary, CliError> {
    let overflow = |why| input(SummaryError { group: g.job, why });
    let mut legs = Vec::new();
    let mut residual = Vec::new();
    let (mut loss, mut all_flat, mut all_full) = (Amounts::default(), true, true);
    for (&l, leg) in &g.legs {
        let v = &venues[leg.venue];
        let f = Fills::of(g, l, leg.buy);
        let net = f.net();
        all_flat &= net == 0;
        all_full &= leg.target_known && leg.target_lots > 0 && net == leg.target_lots;
        let leg_loss = leg_loss(v, &f, leg.buy).map_err(overflow)?;
        loss.add(&v.settle, leg_loss, "the incident's loss")
            .map_err(overflow)?;
        residual.push(v.lot.to_decimal(net));
        let fills = LegFills {
            side: if leg.buy {
                OrderSide::Buy
            } else {
                OrderSide::Sell
            },
            entry: f.entry,
            exit: f.exit,
            fees_tl_e8: f.fees,
            mid2_ticks: leg.bid_ticks + leg.ask_ticks,
            inv: f.inv,
        };
        let target_lots = leg.target_lots;
        legs.push(recovered_leg(v, &RecoveredLeg { fills, target_lots }).map_err(overflow)?);
    }
    let outcome = if all_full {
        "filled"
    } else if all_flat {
        "flat"
    } else {
        "unhedged"
    };
    let incident = (outcome != "filled").then(|| incident(g, outcome, residual, loss));
    Ok(GroupSummary {
        id: g.job,
        strategy: g.strategy.clone(),
        policy: g.policy.clone(),
        outcome: outcome.to_string(),
        duration_ms: Decimal::ZERO,
        wall_ms: legcore::journal::line::wall_ms(),
        shortfall_quote: shortfall(&legs).map_err(overflow)?,
        legs,
        incident,
    })
}

/// The incident of a recovered group that did not end filled.
fn incident(
    g: &OpenGroup,
    outcome: &str,
    residual: Vec<Decimal>,
    loss: Amounts,
) -> IncidentSummary {
    let unwound = g.orders.values().any(|o| o.unwind);
    IncidentSummary {
        residual,
        summary: format!(
            "group {} recovered after a restart: {outcome}, {}; {} orders reconciled with \
             the venues{}",
            g.job,
            loss.named(LOSS),
            g.orders.len(),
            if unwound {
                ", legs unwound to flat"
            } else {
                ""
            }
        ),
        loss_quote: loss,
        unhedged_seconds: Decimal::ZERO,
    }
}
