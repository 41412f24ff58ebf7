//! Market data in the engine: one ladder and sync per feed (the loop's own books), lines
//! applied to them, top-of-book moves handed to every running group with a leg on that
//! book (chase legs reprice; completions, unwinds and fallbacks are priced on it), and
//! the strategy asked after each line.
//!
//! A scripted driver without feeds (the simulation tests) moves tops directly with
//! [`Engine::handle_top`], through the same path.

use super::{Cmds, Engine, Output};
use crate::book::Ladder;
use crate::index::{BookId, VenueId};
use crate::runtime::BookFeed;
use crate::strategy::{Books, Strategy};
use crate::telemetry::Stage;

/// The line number of an [`Output::Md`] that tells a venue's book to start over.
pub const MD_RESET: u32 = u32::MAX - 1;

/// One feed's book in the engine: where its lines go and the book they keep.
#[derive(Debug)]
pub struct FeedBook {
    /// The venue (gateway) whose book it follows.
    pub venue: VenueId,
    /// The book on that venue.
    pub book: BookId,
    /// The loop's ladder for it.
    pub ladder: Ladder,
    /// Its sync (sequence rules, tick and lot).
    pub sync: BookFeed,
}

/// The engine's books, by feed index.
#[derive(Debug)]
pub(super) struct Market {
    /// Per feed: (venue, book).
    places: Vec<(VenueId, BookId)>,
    ladders: Vec<Ladder>,
    syncs: Vec<BookFeed>,
    live: Vec<bool>,
    /// The feeds are over (or there are none).
    done: bool,
    lines: u64,
    last_md_ns: u64,
    resets: u64,
}

impl Market {
    pub(super) fn new(feeds: Vec<FeedBook>) -> Market {
        let done = feeds.is_empty();
        let mut m = Market {
            places: Vec::with_capacity(feeds.len()),
            ladders: Vec::with_capacity(feeds.len()),
            syncs: Vec::with_capacity(feeds.len()),
            live: vec![false; feeds.len()],
            done,
            lines: 0,
            last_md_ns: 0,
            resets: 0,
        };
        for f in feeds {
            m.places.push((f.venue, f.book));
            m.ladders.push(f.ladder);
            m.syncs.push(f.sync);
        }
        m
    }

    /// The feeds are over (or there are none).
    pub(super) fn over(&self) -> bool {
        self.done
    }

    /// A job waiting for `after` lines may start.
    pub(super) fn reached(&self, after: u64) -> bool {
        self.done || after <= self.lines
    }

    /// The due time of the last line applied.
    pub(super) fn last_md_ns(&self) -> u64 {
        self.last_md_ns
    }

    /// The live top (bid, ask ticks) of `venue`'s book `book`, if a live feed keeps it.
    pub(super) fn live_top(&self, venue: VenueId, book: BookId) -> Option<(i64, i64)> {
        let f =
            (0..self.places.len()).find(|&f| self.live[f] && self.places[f] == (venue, book))?;
        top(&self.ladders[f])
    }

    /// Whether a feed keeps `venue`'s book `book`.
    pub(super) fn fed(&self, venue: VenueId, book: BookId) -> bool {
        self.places.contains(&(venue, book))
    }

    pub(super) fn into_books(self) -> Vec<(Ladder, bool, u64)> {
        let refused = self.syncs.iter().map(|s| s.refused);
        self.ladders
            .into_iter()
            .zip(self.live)
            .zip(refused)
            .map(|((l, live), r)| (l, live, r))
            .collect()
    }
}

fn top(l: &Ladder) -> Option<(i64, i64)> {
    Some((l.best_bid()?.price_ticks, l.best_ask()?.price_ticks))
}

impl<S: Strategy> Engine<S> {
    /// Line `line_no` of feed `feed` (`line`, due at `due_ns`): applied to the loop's
    /// book, forwarded to the venue's book, handed to the groups on a moved top and to
    /// the strategy; then the jobs waiting for it start.
    pub fn handle_market_data(
        &mut self,
        feed: usize,
        line_no: u32,
        line: &[u8],
        due_ns: u64,
        now: u64,
    ) {
        self.now = now;
        let t0 = self.lap();
        let m = &mut self.market;
        let live = m.syncs[feed].on_line(&mut m.ladders[feed], line);
        m.live[feed] = live;
        if let (Some(t0), Some(t1)) = (t0, self.lap()) {
            self.measured(Stage::BookApply, t1.saturating_sub(t0));
            self.measured(Stage::LineToBook, t1.saturating_sub(due_ns));
        }
        self.measured(Stage::MdQueue, now.saturating_sub(due_ns));
        let m = &mut self.market;
        m.lines += 1;
        self.counters.md_lines = m.lines;
        // The line's due time: tick-to-order is corrected for coordinated omission.
        m.last_md_ns = due_ns;
        let (venue, book) = m.places[feed];
        self.commands.push_back(Output::Md {
            venue,
            feed,
            line: line_no,
        });
        if let Some((bid, ask)) = live.then(|| top(&m.ladders[feed])).flatten() {
            self.on_top(venue, book, bid, ask, due_ns);
        }
        let t1 = self.lap();
        let books = Books::new(&self.market.ladders, &self.market.live);
        if let Some(intent) = self.strategy.on_md(feed, books, now) {
            self.lap_since(Stage::Decide, t1);
            self.open(&intent);
        }
        self.start_ready();
    }

    /// Feed `feed`'s connection started over (a live feed's reconnect): the loop's book
    /// and its sync start over, not live until the new connection's snapshot; the venue's
    /// book is told the same by an [`Output::Md`] with line [`MD_RESET`].
    pub fn handle_md_reset(&mut self, feed: usize, now: u64) {
        self.now = now;
        let m = &mut self.market;
        m.syncs[feed].reset(&mut m.ladders[feed]);
        m.live[feed] = false;
        m.resets += 1;
        let (venue, _) = m.places[feed];
        self.commands.push_back(Output::Md {
            venue,
            feed,
            line: MD_RESET,
        });
    }

    /// Lines the feeds' connections started over (see [`Engine::handle_md_reset`]).
    pub fn md_resets(&self) -> u64 {
        self.market.resets
    }

    /// The feeds are over: jobs still waiting for lines start now.
    pub fn handle_md_end(&mut self, now: u64) {
        self.now = now;
        self.market.done = true;
        self.start_ready();
    }

    /// The top of `venue`'s book `book` is now `bid` / `ask` (ticks), as a driver without
    /// feeds sees it.
    pub fn handle_top(&mut self, venue: VenueId, book: BookId, bid: i64, ask: i64, now: u64) {
        self.now = now;
        self.on_top(venue, book, bid, ask, now);
    }

    /// Each running group with a leg on `venue`'s book `book` takes the new top (a chase
    /// leg reprices), and what it sends goes through risk like any command.
    fn on_top(&mut self, venue: VenueId, book: BookId, bid: i64, ask: i64, cause_ns: u64) {
        for j in 0..self.groups.len() {
            let live = &mut self.groups[j];
            let mut moved = false;
            for (leg, top) in live.now_tops.iter_mut().enumerate() {
                let here = live.job.plans[leg].venue == venue && live.job.books[leg] == book;
                if here && (top.bid_ticks, top.ask_ticks) != (bid, ask) {
                    (top.bid_ticks, top.ask_ticks) = (bid, ask);
                    moved = true;
                }
            }
            let running = live.refused.is_none() && live.g.outcome().is_none();
            if !(moved && running) {
                continue;
            }
            let mut cmds = Cmds::new();
            if live.g.on_book(&live.now_tops, self.now, &mut cmds).is_ok() {
                self.dispatch(j, &mut cmds, cause_ns);
                self.check_end(j);
            }
        }
    }
}
