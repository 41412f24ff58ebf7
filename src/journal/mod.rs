//! The execution journal and tracker (seed pattern 7): every group start and end, every
//! order sent and every venue report, written by a recorder thread as checksummed JSON
//! lines, and the statistics over ended groups.
//!
//! - `record`: the records the loop hands over (indices and integers, no text).
//! - [`mod@line`]: the typed, versioned schema of the journal's lines (`docs/journal.md`).
//! - `summary`: an ended group in exchange units, as reports and `ended` lines hold it.
//! - `file`: the file format, checksums, torn-tail repair and fsync policy.
//! - `recorder`: the recorder that turns records into lines.
//! - `recover`: reconciling a dead run's journal with the venues' saved records.
//! - `stats`: statistics over summaries (`legcore stats` and the run's own table).
//! - [`latency`]: the per-stage latency distributions written beside the journal.

mod coin;
mod file;
pub mod latency;
pub mod line;
mod record;
mod recorder;
mod recover;
mod stats;
mod summary;

pub use coin::{coin, order_inv, COIN_DP};
pub use file::{path_in, read, read_bytes, seal, Fsync, JournalError, Read, Writer};
pub use line::Line;
pub use record::{Record, StartedLeg};
pub use recorder::{JournalRecorder, Shared};
pub use recover::{reconcile, OpenGroup, OrderFacts, RecoverError, Recovery};
pub use stats::{groups_text, Filter, Stats, StatsError};
pub use summary::{
    quote, recovered_leg, shortfall, summarize, Amounts, IncidentSummary, InvFills, LegFills,
    LegSummary, Overflow, RecoveredLeg, SummaryError, COST, FEES, LOSS, PNL,
};

/// Where the engine's journal records go: called on the recorder thread, in order (the
/// runtime owns that thread; the journal only says what a recorder is).
pub trait Recorder: Send + 'static {
    /// One record.
    fn record(&mut self, r: &Record);
    /// The run is over: flush.
    fn finish(&mut self);
}
pub use summary::GroupSummary;
