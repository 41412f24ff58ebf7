//! Exact numbers: decimal text in, integers at a fixed scale inside, decimal text out.
//!
//! - [`Decimal`]: signed `i128` at 18 decimals, |x| < 10^20; for cross-venue money,
//!   sizing and reports. Products and quotients have a 256-bit intermediate and one
//!   rounding whose direction ([`Round`]) the caller names.
//! - [`Step`]: an instrument's tick or lot; book prices and sizes are `i64` unit counts of
//!   one, in `0 ..= MAX_UNITS` (10^15), so the hot path is plain integer arithmetic.
//! - [`Ratio`]: `fixed::I64F64` for bps, fractions and scores.
//!
//! Input is never rounded: too many decimals, a value off the step, past the range, a sign
//! where none is allowed, NaN or infinity are typed [`NumError`]s that quote the text.

mod decimal;
mod error;
mod parse;
mod ratio;
mod step;

pub(crate) use decimal::div_round;
pub use decimal::{Decimal, Round, MAX_RAW, SCALE, SCALE_DP};
pub use error::{NumError, Text, TEXT_CAP};
pub use ratio::{ratio, Ratio};
pub use step::{Step, MAX_STEP_INT, MAX_UNITS};
