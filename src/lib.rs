//! legcore: an execution core for trading several legs as one.
//!
//! The contract: prices, sizes and money are exact integers at a fixed scale; book
//! ladders are allocated once at construction and never again; a walk over a book
//! allocates nothing; bad input is a typed error that leaves state unchanged, and no
//! input can make the core panic. The core is sans-IO: no clock, thread or socket lives
//! in it; [`runtime`] and [`telemetry`] are the thin layer around it that has them.
//!
//! Modules, bottom up:
//! - [`num`]: exact decimals, ticks and lots, ratios.
//! - [`instrument`]: a venue's trading rules for one instrument and quantization.
//! - [`sizing`]: USD to quantity and back, and hedge sizing across legs.
//! - [`book`]: the preallocated ladder and its integrity rules.
//! - [`feed`]: decoders for real venue feeds (Binance, Bybit, Hyperliquid).
//! - [`walk`]: the liquidity pre-flight: walk a side, report, slippage.
//! - [`leg`]: one venue order's state machine and the execution modes.
//! - [`risk`]: pre-trade checks and the kill switch.
//! - [`group`]: atomic groups of legs with rollback, rebalance, complete and
//!   accept-partial policies, unwind retries, incident and leg records, the risk gate.
//! - [`engine`]: the sans-IO execution engine: groups, risk, pacing, books, strategy.
//! - [`venue`]: the protocol between the engine and any venue: typed requests and
//!   reports, `OrderRef` client ids, connection events, the `Gateway` seam.
//! - [`fix`]: FIX 4.4 order entry (Binance Spot): codec, Logon signing, session,
//!   order mapping onto [`venue`], all sans-IO.
//! - [`sim`]: the simulated venue's matching engine, and exchanges with latency and
//!   faults, behind the `venue` protocol.
//! - [`runtime`]: rings between threads (the crate's only unsafe code), the event loop.
//! - [`telemetry`]: per-stage latency histograms.
//! - [`report`]: the static HTML report over a run's journal (`legcore report`).
//! - [`text`]: how messages quote a value back ([`text::Quoted`]).

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod book;
pub mod engine;
pub mod feed;
pub mod fix;
#[doc(hidden)]
pub mod fuzzing;
pub mod group;
pub mod index;
pub mod instrument;
pub mod journal;
pub mod leg;
pub mod num;
pub mod report;
pub mod risk;
pub mod runtime;
pub mod scenario;
pub mod sim;
pub mod sizing;
pub mod strategy;
pub mod telemetry;
pub mod text;
pub mod venue;
pub mod walk;
