//! The venues of a run: each one simulated in this process ([`Venue::Local`], any
//! [`LocalVenue`]) or reached over the network ([`Venue::Network`], any boxed
//! [`Gateway`], such as the Binance Spot FIX gateway), mixed freely.
//!
//! Each venue gets its own gateway thread and rings. A local venue's thread is generic
//! over its type (`run_local_gateway`): the simulator's path has no dynamic dispatch and
//! allocates nothing. A network venue's thread drives it through the box (one indirect
//! call per send or poll, which its socket dwarfs); the market data the run replays is
//! counted there, not applied (the venue has its own books).

use std::thread::JoinHandle;

use super::clock::Clock;
use super::gateway::{run_gateway, run_local_gateway, GatewayFeed, GatewayStats, GatewayThread};
use super::gateway::{Inbound, Outbound};
use super::ring::{ring, Consumer, Producer};
use super::run::{Config, Feed};
use crate::feed::BookFeed;
use crate::venue::{Gateway, LocalVenue};

/// One venue of a run: venue `i` of every plan, feed and of the risk state.
pub enum Venue<G> {
    /// Simulated in this process; its books follow the run's feeds.
    Local(G),
    /// Reached over the network; it keeps its own books.
    Network(Box<dyn Gateway>),
}

impl<G> Venue<G> {
    /// Whether it is reached over the network.
    pub const fn is_network(&self) -> bool {
        matches!(self, Venue::Network(_))
    }
}

/// A venue's gateway thread, by kind.
enum Handle<G> {
    Local(JoinHandle<(G, GatewayStats)>),
    Network(JoinHandle<(Box<dyn Gateway>, GatewayStats)>),
}

/// The venues back from their threads, with each thread's counts in venue order.
pub(super) struct Joined<G> {
    /// The local venues, in venue order.
    pub local: Vec<G>,
    /// The network venues with their venue index.
    pub network: Vec<(usize, Box<dyn Gateway>)>,
    /// Per venue: its thread's counts.
    pub stats: Vec<GatewayStats>,
}

/// The gateway threads with their command and report rings.
pub(super) struct Gateways<G> {
    threads: Vec<Handle<G>>,
    pub commands: Vec<Producer<Outbound>>,
    pub reports: Vec<Consumer<Inbound>>,
}

impl<G: LocalVenue> Gateways<G> {
    /// One thread per venue, with its command and report rings. `recycle[f]`: where
    /// live feed `f`'s line buffers go back to its thread.
    pub fn spawn(
        config: &Config,
        venues: Vec<Venue<G>>,
        feeds: &[Feed],
        mut recycle: Vec<Option<Producer<Vec<u8>>>>,
        clock: Clock,
        cores: &[core_affinity::CoreId],
    ) -> Gateways<G> {
        let mut out = Gateways {
            threads: Vec::new(),
            commands: Vec::new(),
            reports: Vec::new(),
        };
        for (i, venue) in venues.into_iter().enumerate() {
            let (cmd_tx, cmd_rx) = ring::<Outbound>(config.command_ring);
            let (rep_tx, rep_rx) = ring::<Inbound>(config.report_ring);
            let core = config
                .gateway_cores
                .get(i)
                .copied()
                .flatten()
                .and_then(|c| cores.get(c).copied());
            let thread = GatewayThread {
                commands: cmd_rx,
                reports: rep_tx,
                clock,
                core,
                wait: config.gateway_wait,
            };
            out.threads.push(match venue {
                Venue::Local(gw) => {
                    let gw_feeds = venue_feeds(feeds, &mut recycle, i);
                    Handle::Local(super::spawn(format!("legcore-venue-{i}"), move || {
                        run_local_gateway(gw, gw_feeds, thread)
                    }))
                }
                Venue::Network(gw) => {
                    Handle::Network(super::spawn(format!("legcore-venue-{i}"), move || {
                        run_gateway(gw, thread)
                    }))
                }
            });
            out.commands.push(cmd_tx);
            out.reports.push(rep_rx);
        }
        out
    }
}

impl<G> Gateways<G> {
    /// The rings for the loop, and the threads to join after it.
    pub fn split(self) -> (Threads<G>, Vec<Producer<Outbound>>, Vec<Consumer<Inbound>>) {
        (Threads(self.threads), self.commands, self.reports)
    }
}

/// The gateway threads, to join once the loop is done.
pub(super) struct Threads<G>(Vec<Handle<G>>);

impl<G> Threads<G> {
    /// Joins every gateway thread; `None` if one panicked.
    pub fn join(self) -> Option<Joined<G>> {
        let mut out = Joined {
            local: Vec::new(),
            network: Vec::new(),
            stats: Vec::new(),
        };
        for (i, h) in self.0.into_iter().enumerate() {
            match h {
                Handle::Local(h) => {
                    let (gw, stats) = h.join().ok()?;
                    out.local.push(gw);
                    out.stats.push(stats);
                }
                Handle::Network(h) => {
                    let (gw, stats) = h.join().ok()?;
                    out.network.push((i, gw));
                    out.stats.push(stats);
                }
            }
        }
        Some(out)
    }
}

/// The feeds venue `venue`'s books follow, by feed index (`None` for another venue's),
/// each with its recycle ring out of `recycle`.
fn venue_feeds(
    feeds: &[Feed],
    recycle: &mut [Option<Producer<Vec<u8>>>],
    venue: usize,
) -> Vec<Option<GatewayFeed>> {
    feeds
        .iter()
        .enumerate()
        .map(|(i, f)| {
            (f.venue.index() == venue).then(|| GatewayFeed {
                tape: f.tape.clone(),
                book: f.book,
                sync: BookFeed::new(f.format, f.tick, f.lot),
                recycle: recycle.get_mut(i).and_then(Option::take),
            })
        })
        .collect()
}
