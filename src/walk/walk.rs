//! The hot walk: integer-only loops over a ladder side, no allocation. A quantity walk
//! divides nothing; a notional walk divides once, at its last level.
//!
//! Quantities are lots, prices ticks, notionals "tick-lots" (price_ticks × qty_lots, an
//! `i128`; one tick-lot is `tick × lot` of quote money). A notional walk's last level
//! gives `remaining / price` lots, a fraction, so the filled quantity is the exact
//! rational `qty_num / qty_den` lots.

use crate::book::{Ladder, OrderSide};
use crate::num::MAX_UNITS;

/// Largest notional target in tick-lots: 10^36. Sums stay in `i128` for ladders of up to
/// ~10^8 maximal levels (10^30 tick-lots each).
pub const MAX_NOTIONAL_TL: i128 = 1_000_000_000_000_000_000_000_000_000_000_000_000;

/// A walk target that is out of range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WalkError {
    /// Quantity targets are `1 ..= 10^15` lots: zero or negative sizes are not orders.
    #[error("walk quantity {0} lots is not in 1..=10^15")]
    QtyRange(i64),
    /// Notional targets are `1 ..= 10^36` tick-lots.
    #[error("walk notional {0} tick-lots is not in 1..=10^36")]
    NotionalRange(i128),
}

/// The raw result of a walk. See the module doc for units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walk {
    /// Direction of the order that was walked.
    pub side: OrderSide,
    /// Filled quantity numerator (lots × `qty_den`).
    pub qty_num: i128,
    /// Filled quantity denominator: 1, or the price in ticks of a partly taken last level
    /// in a notional walk.
    pub qty_den: i64,
    /// Filled notional in tick-lots.
    pub notional_tl: i128,
    /// Price in ticks of the last level touched; 0 if nothing filled.
    pub worst_ticks: i64,
    /// Levels touched.
    pub levels_used: u32,
    /// Lots not found (quantity walks).
    pub shortfall_lots: i64,
    /// Tick-lots not found (notional walks).
    pub shortfall_tl: i128,
    /// The walk used every known level and the book's depth beyond them is unknown.
    pub reached_unknown: bool,
}

impl Walk {
    /// Everything asked for was found in the known levels.
    #[inline]
    pub const fn depth_sufficient(&self) -> bool {
        self.shortfall_lots == 0 && self.shortfall_tl == 0
    }

    /// True when nothing filled.
    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.qty_num == 0
    }
}

/// Walks the side that `side` takes from for `qty_lots` lots.
#[inline]
pub fn walk_qty(ladder: &Ladder, side: OrderSide, qty_lots: i64) -> Result<Walk, WalkError> {
    if !(1..=MAX_UNITS).contains(&qty_lots) {
        return Err(WalkError::QtyRange(qty_lots));
    }
    let (keys, sizes, truncated) = ladder.raw_side(side.takes_from());
    let (whole, partial_lots) = levels_for(sizes, qty_lots);
    // Levels [first..] (best last) are taken whole; the one below them, partly.
    let first = keys.len() - whole;
    let mut notional = sum_products(&keys[first..], &sizes[first..], qty_lots);
    let (mut used, mut worst_key) = (whole as u32, keys.get(first).copied().unwrap_or(0));
    let mut filled = qty_lots;
    if partial_lots > 0 {
        // `levels_for` only reports a partial level when one exists below `first`.
        let k = keys[first - 1];
        notional += i128::from(k) * i128::from(partial_lots);
        used += 1;
        worst_key = k;
    } else if whole == keys.len() {
        filled = sizes.iter().sum::<i64>().min(qty_lots);
    }
    let rem = qty_lots - filled;
    let sign = sign_of(side);
    Ok(Walk {
        side,
        qty_num: i128::from(filled),
        qty_den: 1,
        notional_tl: notional * i128::from(sign),
        worst_ticks: worst_key * sign,
        levels_used: used,
        shortfall_lots: rem,
        shortfall_tl: 0,
        reached_unknown: rem > 0 && truncated,
    })
}

/// From the best end of `sizes` (the last element): how many levels a walk for
/// `qty_lots` takes whole, and how many lots it takes from the next one (0 if none).
/// Only a running sum of sizes sits on the loop's critical path; the price products are
/// summed afterwards, independently, by [`sum_products`]. Four levels are summed before
/// each test, so the loop's one branch runs a quarter as often; the four in which the
/// target is reached are then gone through one by one.
#[inline]
fn levels_for(sizes: &[i64], qty_lots: i64) -> (usize, i64) {
    let mut cum = 0i64;
    let mut n = 0usize;
    let mut chunks = sizes.rchunks_exact(4);
    for c in &mut chunks {
        // cum < qty_lots ≤ 10^15 and each size ≤ 10^15: no overflow.
        let four = c[0] + c[1] + c[2] + c[3];
        if cum + four >= qty_lots {
            return one_by_one(c, cum, n, qty_lots).unwrap_or((n + 4, 0));
        }
        cum += four;
        n += 4;
    }
    let rest = chunks.remainder();
    one_by_one(rest, cum, n, qty_lots).unwrap_or((sizes.len(), 0))
}

/// [`levels_for`] over `sizes` (best last), `n` levels and `cum` lots already taken;
/// `None` if the target is not reached in them.
#[inline]
fn one_by_one(sizes: &[i64], mut cum: i64, n: usize, qty_lots: i64) -> Option<(usize, i64)> {
    for (i, &s) in sizes.iter().rev().enumerate() {
        if cum + s >= qty_lots {
            return Some(if cum + s == qty_lots {
                (n + i + 1, 0)
            } else {
                (n + i, qty_lots - cum)
            });
        }
        cum += s;
    }
    None
}

/// `Σ key × size` over two equal-length slices of one side, whose sizes sum to at most
/// `qty_lots`. A side's keys share one sign, so every partial sum is bounded by
/// `max |key| × qty_lots`; when that fits in `i64` (any real book: ~2^20 ticks × 2^30
/// lots) the sum runs in `i64`, exact, at half the cost of the `i128` loop (profiled on
/// the real BTCUSDT book: the `i128` products were a third of a 20-level walk).
#[inline]
fn sum_products(keys: &[i64], sizes: &[i64], qty_lots: i64) -> i128 {
    let far = match (keys.first(), keys.last()) {
        (Some(a), Some(b)) => a.unsigned_abs().max(b.unsigned_abs()),
        _ => return 0,
    };
    let fits = far
        .checked_mul(qty_lots.unsigned_abs())
        .is_some_and(|b| b <= i64::MAX as u64);
    if fits {
        // Four independent sums: the adds do not wait on each other.
        let (kc, sc) = (keys.chunks_exact(4), sizes.chunks_exact(4));
        let tail: i64 = kc
            .remainder()
            .iter()
            .zip(sc.remainder())
            .map(|(&k, &s)| k * s)
            .sum();
        let mut acc = [0i64; 4];
        for (k, s) in kc.zip(sc) {
            for j in 0..4 {
                acc[j] += k[j] * s[j];
            }
        }
        return i128::from(acc.iter().sum::<i64>() + tail);
    }
    keys.iter()
        .zip(sizes)
        .map(|(&k, &s)| i128::from(k) * i128::from(s))
        .sum()
}

/// Walks for a quote notional of `notional_tl` tick-lots, as the seed does: a level is
/// taken whole while the remaining notional exceeds it; the last one gives
/// `remaining / price` lots.
#[inline]
pub fn walk_notional(
    ladder: &Ladder,
    side: OrderSide,
    notional_tl: i128,
) -> Result<Walk, WalkError> {
    if !(1..=MAX_NOTIONAL_TL).contains(&notional_tl) {
        return Err(WalkError::NotionalRange(notional_tl));
    }
    let (keys, sizes, truncated) = ladder.raw_side(side.takes_from());
    let sign = sign_of(side);
    let mut rem = notional_tl;
    let mut whole_lots: i128 = 0;
    let mut qty_den = 1i64;
    let mut part: i128 = 0;
    let mut used = 0u32;
    let mut worst_key = 0i64;
    for (&k, &s) in keys.iter().rev().zip(sizes.iter().rev()) {
        let price = k * sign;
        let level_tl = i128::from(price) * i128::from(s);
        used += 1;
        worst_key = k;
        if rem > level_tl {
            whole_lots += i128::from(s);
            rem -= level_tl;
        } else {
            let p = i128::from(price);
            if rem % p == 0 {
                whole_lots += rem / p;
            } else {
                qty_den = price;
                part = rem;
            }
            rem = 0;
            break;
        }
    }
    Ok(Walk {
        side,
        qty_num: whole_lots * i128::from(qty_den) + part,
        qty_den,
        notional_tl: notional_tl - rem,
        worst_ticks: worst_key * sign,
        levels_used: used,
        shortfall_lots: 0,
        shortfall_tl: rem,
        reached_unknown: rem > 0 && truncated,
    })
}

/// Cumulative depth on the side `side` takes from, up to and including `limit_ticks`
/// (a buy counts asks at or below it, a sell bids at or above it):
/// `(qty_lots, notional_tl, levels)`.
pub fn depth_to_price(ladder: &Ladder, side: OrderSide, limit_ticks: i64) -> (i128, i128, u32) {
    let (keys, sizes, _) = ladder.raw_side(side.takes_from());
    let sign = sign_of(side);
    let limit_key = limit_ticks.saturating_mul(sign);
    let mut qty: i128 = 0;
    let mut notional: i128 = 0;
    let mut used = 0u32;
    for (&k, &s) in keys.iter().rev().zip(sizes.iter().rev()) {
        if k < limit_key {
            break;
        }
        qty += i128::from(s);
        notional += i128::from(k * sign) * i128::from(s);
        used += 1;
    }
    (qty, notional, used)
}

/// Ask keys are negated prices; this undoes it.
#[inline]
const fn sign_of(side: OrderSide) -> i64 {
    match side {
        OrderSide::Buy => -1,
        OrderSide::Sell => 1,
    }
}

#[cfg(test)]
mod levels_for_tests {
    use super::levels_for;

    /// The level-by-level definition.
    fn naive(sizes: &[i64], qty: i64) -> (usize, i64) {
        let mut cum = 0;
        for (n, &s) in sizes.iter().rev().enumerate() {
            if cum + s >= qty {
                return if cum + s == qty {
                    (n + 1, 0)
                } else {
                    (n, qty - cum)
                };
            }
            cum += s;
        }
        (sizes.len(), 0)
    }

    /// Every side length around the four-level chunks, every target up to past the
    /// whole side.
    #[test]
    fn chunked_sum_agrees_with_level_by_level() {
        for len in 0..14usize {
            let sizes: Vec<i64> = (0..len as i64).map(|i| 1 + (i * 7) % 5).collect();
            let total: i64 = sizes.iter().sum();
            for qty in 1..=total + 2 {
                assert_eq!(levels_for(&sizes, qty), naive(&sizes, qty), "{len} {qty}");
            }
        }
    }
}
