//! The liquidity pre-flight (seed patterns 2 and 5).
//!
//! - [`walk_qty`] / [`walk_notional`]: the hot walk over a [`Ladder`](crate::book::Ladder)
//!   side, integer-only, allocation-free; [`Walk`] is its raw result. When depth is short
//!   the average is over what is there (NautilusTrader's convention) and the shortfall is
//!   reported; when the walk used every known level of a truncated ladder it says so.
//! - [`Metrics`]: spread, signed slippage, score, recommendation in fixed point.
//! - [`analyze`] → [`LiquidityReport`]: the same in exact decimals for people and JSON.
//! - [`depth_to_price`], [`max_qty_within_bps`]: depth up to a limit price, and the
//!   largest size that stays within a slippage bound.
//! - [`actual_slippage`]: what fills really cost against the arrival mid and the walk.

mod bound;
mod metrics;
mod report;
mod slippage;
#[allow(clippy::module_inception)]
mod walk;

pub use bound::max_qty_within_bps;
pub use metrics::{Metrics, Recommendation, Thresholds};
pub use report::{analyze, LiquidityReport, ReportError, Shortfall, Target, Units};
pub use slippage::{actual_slippage, ActualSlippage, Fill, Slip, SlippageError};
pub use walk::{depth_to_price, walk_notional, walk_qty, Walk, WalkError, MAX_NOTIONAL_TL};
