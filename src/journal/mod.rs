//! The execution journal (seed pattern 7): every group start and end, every order sent
//! and every venue report, written by a recorder thread as checksummed JSON lines.
//!
//! - [`record`]: the records the loop hands over (indices and integers, no text).

pub mod record;

pub use record::{Record, StartedLeg};
