//! The runtime: the only place with threads, clocks, core pinning and rings (issue 4).
//! The core state machines stay pure; this drives them.
//!
//! - [`ring`]: the SPSC ring between threads (the crate's only unsafe code).
//! - [`wait`]: idle policies (busy spin, spin then yield, park).
//! - [`gateway`]: the gateway thread, driving any [`crate::venue::Gateway`].
//! - [`persist`]: a local (simulated) venue that saves its records for a restart.
//! - [`feed`]: recorded market data replayed by a feeder thread; books kept in sync.
//! - [`event_loop`]: the pinned loop that owns groups and risk.
//! - [`strategy`]: the seam where a strategy decides on the loop's books.

pub mod event_loop;
pub mod feed;
pub mod gateway;
pub mod persist;
pub mod ring;
pub mod strategy;
pub mod wait;

pub use event_loop::RuntimeError;
pub use event_loop::{outcomes, run, run_setup, run_with_feeds, Config, Feed, Job, Recorder};
pub use event_loop::{RunReport, Setup};
pub use feed::{BookFeed, Speed, Tape};
pub use gateway::{GatewayStats, Inbound, Outbound};
pub use strategy::{Books, Intent, IntentLeg, NoStrategy, Strategy};
pub use wait::Wait;
