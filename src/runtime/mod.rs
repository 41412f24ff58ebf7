//! The runtime: the only place with threads, clocks, core pinning and rings (issue 4).
//! The core state machines stay pure; this drives them.
//!
//! - [`ring`]: the SPSC ring between threads (the crate's only unsafe code).
//! - `wait`: idle policies (busy spin, spin then yield, park).
//! - `gateway`: the gateway thread, driving any [`crate::venue::Gateway`].
//! - `persist`: a local (simulated) venue that saves its records for a restart.
//! - `feeder`: the feeder thread replaying recorded captures into the loop's ring.
//! - [`live`]: live market-data clients (WebSocket feeds, REST snapshots).
//! - `live_feeder`: a live feed's thread, handing the client's lines to the loop.
//! - [`binance_fix`]: the Binance Spot FIX gateway (a network venue: socket, session).
//! - [`binance_ws`]: the Binance USD-M WebSocket API gateway (a network venue).
//! - `clock`: the monotonic clock (the only one: the engine never reads a clock).
//! - `event_loop`: the pinned loop thread that pumps the engine (`crate::engine`) from
//!   the rings.
//! - `run`: the public run API: spawning the threads, handing the jobs over, the report.
//! - [`ship`]: journal shipping to NATS JetStream (a fleet's stream), on its own thread.
//! - [`venue_serve`]: `legcore venue serve`, the simulator with a Binance USD-M face.
//! - `venues`: a run's venues, simulated ([`Venue::Local`]) or network
//!   ([`Venue::Network`]), each on its gateway thread.

pub mod binance_fix;
pub mod binance_ws;
mod clock;
mod event_loop;
mod feeder;
mod gateway;
pub mod live;
mod live_feeder;
mod persist;
pub mod ring;
mod run;
pub mod ship;
pub mod venue_serve;
mod venues;
mod wait;

pub use crate::engine::Job;
pub use crate::feed::{BookFeed, Format, Tape};
pub use clock::Clock;
pub use feeder::{FeederStats, Speed};
pub use gateway::{run_gateway, GatewayStats, GatewayThread, Inbound, Outbound};
pub use live_feeder::LiveStats;
pub use persist::{Persisted, SavedVenue};
pub use run::{outcomes, run, run_setup, run_with_feeds, Config, Feed, RunReport, RuntimeError};
pub use run::{NetworkVenue, Setup};
pub use venues::Venue;
pub use wait::Wait;

/// Spawns a runtime thread named `name` (shown by `top -H`, gdb and panics; the bench's
/// counting allocator tells the loop's allocations from the feeders' by it). Fails only
/// where `std::thread::spawn` panics: the OS refused a thread.
fn spawn<F, T>(name: String, f: F) -> std::thread::JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match std::thread::Builder::new().name(name).spawn(f) {
        Ok(h) => h,
        Err(e) => panic!("the OS refused a runtime thread: {e}"),
    }
}
