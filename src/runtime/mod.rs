//! The runtime: the only place with threads, clocks, core pinning and rings (issue 4).
//! The core state machines stay pure; this drives them.

pub mod ring;
