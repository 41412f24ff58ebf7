//! The largest quantity whose walk stays within a slippage bound.
//!
//! The average price of a walk only worsens as the size grows, so the answer is found in
//! one pass: at each level take the most lots that keep the running average within the
//! bound price (all of them while the level itself is inside the bound; otherwise the
//! exact count, toward zero, that the room left by the better levels pays for), and stop
//! at the first level that cannot be taken whole. 256-bit integers throughout (a planning
//! query, not the hot path). The result saturates at `i64::MAX` lots.

use ethnum::I256;

use crate::book::{Ladder, OrderSide};
use crate::num::Ratio;

/// Largest quantity in lots whose average fill price is within `max_bps` of the mid
/// (above it for a buy, below for a sell); `None` when a side of the book is empty.
/// The result is limited to the known levels.
pub fn max_qty_within_bps(ladder: &Ladder, side: OrderSide, max_bps: Ratio) -> Option<i64> {
    let m2 = i128::from(ladder.mid_x2_ticks()?);
    // Bound L = m2 × (10⁴·2⁶⁴ ± bits) / (2·10⁴·2⁶⁴) = ln / ld.
    let one = I256::new(10_000) << 64u32;
    let bits = I256::new(max_bps.to_bits());
    let (ln, sign) = match side {
        OrderSide::Buy => (I256::new(m2) * (one + bits), I256::ONE),
        OrderSide::Sell => (I256::new(m2) * (one - bits), I256::MINUS_ONE),
    };
    let ld = one * 2;
    let (mut q, mut n) = (I256::ZERO, I256::ZERO);
    for level in ladder.levels(side.takes_from()) {
        let p = I256::new(i128::from(level.price_ticks));
        let s = I256::new(i128::from(level.qty_lots));
        // Within the bound: the level's price is no worse than L.
        let inside = (p * ld - ln) * sign <= I256::ZERO;
        if inside {
            q += s;
            n += p * s;
            continue;
        }
        // x lots at p keep the average at L: x ≤ (L·Q − N) / (p − L), signed for sells.
        let room = (ln * q - n * ld) * sign;
        let cost = (p * ld - ln) * sign;
        let x = if room > I256::ZERO {
            (room / cost).min(s)
        } else {
            I256::ZERO
        };
        q += x;
        n += p * x;
        if x < s {
            break; // the bound is reached inside this level
        }
    }
    Some(i64::try_from(q.as_i128()).unwrap_or(i64::MAX))
}
