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
//! - [`binance_ws`]: Binance's USD-M WebSocket API, sans-IO: signed request frames
//!   (HMAC-SHA256 or Ed25519) and its error codes as reject reasons.
//! - [`sim`]: the simulated venue's matching engine, and exchanges with latency and
//!   faults, behind the `venue` protocol.
//! - [`runtime`]: rings between threads (the crate's only unsafe code), the event loop.
//! - [`telemetry`]: per-stage latency histograms.
//! - [`report`]: the static HTML report over a run's journal (`legcore report`).
//! - [`text`]: how messages quote a value back ([`text::Quoted`]).
//! - [`index`]: the venue and book index newtypes ([`VenueId`], [`BookId`]).
//!
//! Each module keeps its parts private and re-exports its API (quinn-proto's layout), so
//! a module's `mod.rs` lists what it offers. The types most callers need are also here
//! at the root: [`Ladder`], [`Engine`], [`Group`], [`OrderRef`], [`Decimal`] and the rest
//! of the list below.

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod binance_ws;
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

pub use book::{Depth, Ladder, Level, OrderSide, Side};
pub use engine::{Engine, EngineConfig, Job, Output, Prepared};
pub use group::{Group, GroupCommand, GroupError, LegPlan, LegRisk, Outcome, Policy};
pub use index::{BookId, VenueId};
pub use instrument::{InstrumentRules, VenueInfo};
pub use journal::{Line, Record};
pub use leg::{Arrival, Fees, Mode};
pub use num::{Decimal, Ratio, Round, Step};
pub use risk::{KillSwitch, RiskState, VenueLimits};
pub use sim::{FaultPlan, Latency, SimExchange};
pub use strategy::{Intent, Strategy};
pub use venue::{Delivery, Gateway, OrderRef, Report, ReportKind, Request};
pub use walk::{walk_notional, walk_qty, LiquidityReport, Walk};
