//! The hot walk: integer-only loops over a ladder side, no allocation. A quantity walk
//! divides nothing; a notional walk divides once, at its last level.
//!
//! Quantities are lots, prices ticks, notionals "tick-lots" (price_ticks × qty_lots, an
//! `i128`; one tick-lot is `tick × lot` of quote money). A notional walk's last level
//! gives `remaining / price` lots, a fraction, so the filled quantity is the exact
//! rational `qty_num / qty_den` lots.

use crate::book::{Ladder, OrderSide, SideView};
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
///
/// Inlined whole into its caller, with the `i64` walk under it (the `i128` one stays out
/// of line): the side's view is then never spilled, and a report made of the result
/// ([`Metrics::compute`](super::Metrics::compute)) sees that the notional came from an
/// `i64` and drops its range tests (callgrind: a 20-level walk + report 529 → 442
/// instructions, PERF.md).
#[inline(always)]
pub fn walk_qty(ladder: &Ladder, side: OrderSide, qty_lots: i64) -> Result<Walk, WalkError> {
    if !(1..=MAX_UNITS).contains(&qty_lots) {
        return Err(WalkError::QtyRange(qty_lots));
    }
    let view = ladder.raw_side(side.takes_from());
    let t = take(&view, qty_lots);
    let sign = sign_of(side);
    let rem = qty_lots - t.filled;
    Ok(Walk {
        side,
        qty_num: i128::from(t.filled),
        qty_den: 1,
        notional_tl: t.notional * i128::from(sign),
        worst_ticks: t.worst_key * sign,
        levels_used: t.used,
        shortfall_lots: rem,
        shortfall_tl: 0,
        reached_unknown: rem > 0 && view.truncated,
    })
}

/// What a quantity walk took from one side, in keys (see [`walk_qty`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Take {
    /// Lots taken: the target, or the whole side when it is shorter.
    filled: i64,
    /// `Σ key × lots taken`.
    notional: i128,
    /// Key of the last level touched; 0 if none.
    worst_key: i64,
    /// Levels touched.
    used: u32,
}

/// Takes `qty_lots` from the best end of a side: the window's levels, then the deep ones.
///
/// A side's keys share one sign, so every partial sum of `key × lots` is bounded by
/// `max |key| × qty_lots`, and the largest magnitude is at one end (the best bid, the
/// farthest ask). When that bound fits in `i64` (any real book: ~2^20 ticks × 2^30 lots)
/// the walk is `i64` loops ([`take_i64`]); otherwise the same walk in `i128`
/// ([`take_i128`]).
#[inline(always)]
fn take(view: &SideView<'_>, qty_lots: i64) -> Take {
    let fits = view
        .max_abs_key()
        .checked_mul(qty_lots.unsigned_abs())
        .is_some_and(|b| b <= i64::MAX as u64);
    if fits {
        take_i64(view, qty_lots)
    } else {
        take_i128(view, qty_lots)
    }
}

/// What a walk has taken so far, levels whole.
#[derive(Debug, Default)]
struct Taken {
    cum: i64,
    notional: i64,
    used: u32,
}

/// [`take`] in `i64`, for sides where `max |key| × qty_lots` fits: the window's offsets
/// with their sizes looked up by offset, then the deep arrays, by [`run_i64`].
///
/// The window's run sums `offset × lots`; `origin × lots` is added once after it. The
/// sums wrap: every true partial sum fits (see [`take`]), so the wrapped total is exact
/// even where a sum of offsets alone would not fit.
#[inline(always)]
fn take_i64(view: &SideView<'_>, qty_lots: i64) -> Take {
    let mut acc = Taken::default();
    let dense = view.sizes;
    let origin = view.origin;
    let window = run_i64(view.near, |_, o| dense[usize::from(o)], &mut acc, qty_lots);
    if let Some(t) = window {
        // Everything taken came from the window: `filled` lots, `qty_lots` in all.
        let base = origin.wrapping_mul(t.filled);
        return Take {
            notional: i128::from((t.notional as i64).wrapping_add(base)),
            worst_key: origin + t.worst_key,
            ..t
        };
    }
    acc.notional = acc.notional.wrapping_add(origin.wrapping_mul(acc.cum));
    let (keys, sizes) = view.deep;
    let n = keys.len().min(sizes.len());
    let (keys, sizes) = (&keys[..n], &sizes[..n]);
    if let Some(t) = run_i64(keys, |j, _| sizes[j], &mut acc, qty_lots) {
        return t;
    }
    Take {
        filled: acc.cum,
        notional: i128::from(acc.notional),
        worst_key: view.farthest().unwrap_or(0),
        used: acc.used,
    }
}

/// One run of sorted keys (best last), `size(index, key)` giving each level's size: adds
/// the levels taken whole to `acc`, and returns the walk's end if the target is reached
/// (its notional an `i64` in an `i128`, wrapped as `acc`'s is: see [`take_i64`]).
///
/// Four levels are summed before each test, so the loop's one branch runs a quarter as
/// often, and only the running sum of sizes sits on its critical path: the four products
/// of a block are added after the test says it is taken whole, so every product added is
/// of a level within the target (no overflow). The block in which the target is reached
/// is then gone through level by level. The blocks come off the end of the keys not yet
/// taken (`split_last_chunk`), whose length is then the loop's one counter and the
/// index a caller's sizes may use (the deep run's; the window's look sizes up by offset):
/// carrying an index beside four keys and four sizes spilled three values a block, and
/// `rchunks_exact` kept a pointer and a count (callgrind, PERF.md: 20-level walk + report
/// 392 → 382 instructions).
#[inline(always)]
fn run_i64<K: Copy + Into<i64>>(
    keys: &[K],
    size: impl Fn(usize, K) -> i64,
    acc: &mut Taken,
    qty_lots: i64,
) -> Option<Take> {
    let (mut cum, mut notional, mut used) = (acc.cum, acc.notional, acc.used);
    // The levels not yet taken: blocks come off its end, so its length is the loop's one
    // counter (and the index of the block at hand).
    let mut rest = keys;
    while let Some((head, k)) = rest.split_last_chunk::<4>() {
        let j = head.len();
        let s = [
            size(j, k[0]),
            size(j + 1, k[1]),
            size(j + 2, k[2]),
            size(j + 3, k[3]),
        ];
        // cum < qty_lots ≤ 10^15 and each size ≤ 10^15: no overflow.
        let four = s[0] + s[1] + s[2] + s[3];
        if cum + four >= qty_lots {
            break;
        }
        cum += four;
        let k: [i64; 4] = [k[0].into(), k[1].into(), k[2].into(), k[3].into()];
        let block = (k[0]
            .wrapping_mul(s[0])
            .wrapping_add(k[1].wrapping_mul(s[1])))
        .wrapping_add(
            k[2].wrapping_mul(s[2])
                .wrapping_add(k[3].wrapping_mul(s[3])),
        );
        notional = notional.wrapping_add(block);
        used += 4;
        rest = head;
    }
    // Fewer than four levels left, or the block where the target is reached (at the end).
    for (j, &key) in rest.iter().enumerate().rev() {
        let s = size(j, key);
        let k: i64 = key.into();
        used += 1;
        if cum + s >= qty_lots {
            let lots = qty_lots - cum;
            return Some(Take {
                filled: qty_lots,
                notional: i128::from(notional.wrapping_add(k.wrapping_mul(lots))),
                worst_key: k,
                used,
            });
        }
        cum += s;
        notional = notional.wrapping_add(k.wrapping_mul(s));
    }
    *acc = Taken {
        cum,
        notional,
        used,
    };
    None
}

/// [`take`] level by level in `i128`, for sides whose keys and target are too large for
/// [`take_i64`] (only books near the `MAX_UNITS` edges): out of line.
#[inline(never)]
fn take_i128(view: &SideView<'_>, qty_lots: i64) -> Take {
    let (mut cum, mut notional, mut used) = (0i64, 0i128, 0u32);
    for (k, s) in view.levels() {
        used += 1;
        // cum < qty_lots ≤ 10^15 and s ≤ 10^15: no overflow.
        if cum + s >= qty_lots {
            let lots = qty_lots - cum;
            return Take {
                filled: qty_lots,
                notional: notional + i128::from(k) * i128::from(lots),
                worst_key: k,
                used,
            };
        }
        cum += s;
        notional += i128::from(k) * i128::from(s);
    }
    Take {
        filled: cum,
        notional,
        worst_key: view.farthest().unwrap_or(0),
        used,
    }
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
    let view = ladder.raw_side(side.takes_from());
    let sign = sign_of(side);
    let mut rem = notional_tl;
    let mut whole_lots: i128 = 0;
    let mut qty_den = 1i64;
    let mut part: i128 = 0;
    let mut used = 0u32;
    let mut worst_key = 0i64;
    for (k, s) in view.levels() {
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
        reached_unknown: rem > 0 && view.truncated,
    })
}

/// Cumulative depth on the side `side` takes from, up to and including `limit_ticks`
/// (a buy counts asks at or below it, a sell bids at or above it):
/// `(qty_lots, notional_tl, levels)`.
pub fn depth_to_price(ladder: &Ladder, side: OrderSide, limit_ticks: i64) -> (i128, i128, u32) {
    let view = ladder.raw_side(side.takes_from());
    let sign = sign_of(side);
    let limit_key = limit_ticks.saturating_mul(sign);
    let mut qty: i128 = 0;
    let mut notional: i128 = 0;
    let mut used = 0u32;
    for (k, s) in view.levels() {
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
mod take_tests {
    use super::{take, take_i128, take_i64, Take};
    use crate::book::{SideView, DENSE, W};

    /// The definition, level by level from the best end, in `i128`.
    fn naive(keys: &[i64], sizes: &[i64], qty: i64) -> Take {
        let (mut rem, mut notional, mut used, mut worst_key) = (qty, 0i128, 0u32, 0i64);
        for (&k, &s) in keys.iter().zip(sizes).rev() {
            if rem == 0 {
                break;
            }
            let t = rem.min(s);
            notional += i128::from(k) * i128::from(t);
            rem -= t;
            used += 1;
            worst_key = k;
        }
        Take {
            filled: qty - rem,
            notional,
            worst_key,
            used,
        }
    }

    /// An empty dense array of window sizes, on the heap.
    fn dense() -> Box<[i64; DENSE]> {
        vec![0; DENSE].into_boxed_slice().try_into().unwrap()
    }

    /// A side whose best `near` levels are a window (offsets from the multiple of `W`
    /// at or below the lowest, sizes by offset; the window's keys must span less than
    /// `W`, so that every offset fits a `u16`) and the rest deep.
    fn view<'a>(
        keys: &'a [i64],
        sizes: &'a [i64],
        near: usize,
        dense: &'a mut [i64; DENSE],
        offs: &'a mut Vec<u16>,
    ) -> SideView<'a> {
        let split = keys.len() - near;
        let origin = keys.get(split).map_or(0, |&k| k & !(W as i64 - 1));
        for (&k, &s) in keys[split..].iter().zip(&sizes[split..]) {
            let off = u16::try_from(k - origin).expect("keys span less than W");
            dense[usize::from(off)] = s;
            offs.push(off);
        }
        SideView {
            near: offs,
            origin,
            sizes: dense,
            deep: (&keys[..split], &sizes[..split]),
            truncated: false,
        }
    }

    /// Every side length around the four-level blocks, every split between window and
    /// deep levels, every target up to past the whole side: both passes agree with the
    /// definition.
    #[test]
    fn both_passes_agree_with_level_by_level() {
        for len in 0..14usize {
            let keys: Vec<i64> = (0..len as i64).map(|i| -900 + 3 * i).collect();
            let sizes: Vec<i64> = (0..len as i64).map(|i| 1 + (i * 7) % 5).collect();
            let total: i64 = sizes.iter().sum();
            for near in 0..=len {
                let (mut dense, mut offs) = (dense(), Vec::new());
                let v = view(&keys, &sizes, near, &mut dense, &mut offs);
                for qty in 1..=total + 2 {
                    let want = naive(&keys, &sizes, qty);
                    assert_eq!(take_i64(&v, qty), want, "{len} {near} {qty}");
                    assert_eq!(take_i128(&v, qty), want, "{len} {near} {qty}");
                }
            }
        }
    }

    /// Keys and sizes at the top of the range: `take` goes the `i128` way and is exact.
    #[test]
    fn a_side_too_large_for_i64_is_walked_in_i128() {
        let max = 1_000_000_000_000_000i64;
        let keys = [max - 9, max - 5, max - 1];
        let sizes = [max, 7, max - 3];
        for near in 0..=3 {
            let (mut dense, mut offs) = (dense(), Vec::new());
            let v = view(&keys, &sizes, near, &mut dense, &mut offs);
            for qty in [1, max - 3, max - 2, max, max + 4, max + 5] {
                let qty = qty.min(max);
                assert_eq!(take(&v, qty), naive(&keys, &sizes, qty), "{near} {qty}");
            }
        }
        // Asks (negated prices: the farthest is the largest) and bids (the best is).
        for k in [[-max, -max + 1], [max - 1, max], [1, max]] {
            let s = [max, max];
            // A window spans less than W: [1, max] can only be split.
            for near in 0..=if k[1] - k[0] < W as i64 { 2 } else { 1 } {
                let (mut dense, mut offs) = (dense(), Vec::new());
                let v = view(&k, &s, near, &mut dense, &mut offs);
                for qty in [1, 2, 1_000_000, max - 1, max] {
                    assert_eq!(take(&v, qty), naive(&k, &s, qty), "{k:?} {near} {qty}");
                }
            }
        }
    }

    /// Ask keys just below zero sit near the top of a window whose origin is −W: a sum
    /// of their offsets times large sizes passes `i64::MAX`, while the walk's true
    /// notional is small. The `i64` walk stays exact (its sums wrap back into range).
    #[test]
    fn window_offsets_larger_than_the_notional_do_not_overflow_the_i64_walk() {
        let keys = [-300i64, -200, -100, -7, -1];
        let big = 400_000_000_000_000i64;
        let sizes = [big, big - 1, big, 3, big];
        let total: i64 = sizes.iter().sum::<i64>().min(1_000_000_000_000_000);
        for near in 0..=keys.len() {
            let (mut dense, mut offs) = (dense(), Vec::new());
            let v = view(&keys, &sizes, near, &mut dense, &mut offs);
            for qty in [1, 2, big - 1, big, big + 1, 2 * big, 2 * big + 3, total] {
                let want = naive(&keys, &sizes, qty);
                assert_eq!(take(&v, qty), want, "{near} {qty}");
                assert_eq!(take_i64(&v, qty), want, "{near} {qty}");
            }
        }
    }
}
