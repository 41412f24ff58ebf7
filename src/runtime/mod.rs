//! The runtime: the only place with threads, clocks, core pinning and rings (issue 4).
//! The core state machines stay pure; this drives them.
//!
//! - [`ring`]: the SPSC ring between threads (the crate's only unsafe code).
//! - [`wait`]: idle policies (busy spin, spin then yield, park).
//! - [`gateway`]: the `Gateway` seam to venues and the gateway thread.
//! - [`persist`]: a simulated exchange that saves its records for a restart.
//! - [`feeder`]: the feeder thread replaying recorded captures into the loop's ring.
//! - [`event_loop`]: the pinned loop that owns groups and risk.
//! - [`strategy`]: the seam where a strategy decides on the loop's books.

pub mod event_loop;
pub mod feeder;
pub mod gateway;
pub mod persist;
pub mod ring;
pub mod strategy;
pub mod wait;

pub use crate::feed::{BookFeed, Format, Tape};
pub use event_loop::RuntimeError;
pub use event_loop::{outcomes, run, run_setup, run_with_feeds, Config, Feed, Job, Recorder};
pub use event_loop::{RunReport, Setup};
pub use feeder::Speed;
pub use gateway::{Gateway, GatewayStats, Inbound, Outbound};
pub use strategy::{Books, Intent, IntentLeg, NoStrategy, Strategy};
pub use wait::Wait;
