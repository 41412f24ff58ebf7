//! The pre-flight report decides its recommendation by comparisons (no division) and
//! divides its figures only when read. Property-tested against the exact figures: each bps
//! value equals the exact rational truncated toward zero at 2^-64 (computed here in 256
//! bits), and the recommendation equals the one the seed's rule gives on those values, for
//! books from one tick to 10^12 ticks, sizes up to 10^15 lots, both sides, quantity and
//! notional walks, and thresholds anywhere in the `Ratio` range (negative, fractional,
//! huge).

use ethnum::I256;
use legcore::book::{Depth, Ladder, Level, OrderSide};
use legcore::num::Ratio;
use legcore::walk::{walk_notional, walk_qty, Metrics, Recommendation, Thresholds, Walk};
use proptest::prelude::*;

/// `num × 2^64 / den` truncated toward zero, saturated to the `Ratio` range.
fn exact(num: I256, den: I256) -> Ratio {
    let (lo, hi) = (I256::new(i128::MIN), I256::new(i128::MAX));
    Ratio::from_bits(((num << 64u32) / den).clamp(lo, hi).as_i128())
}

fn expected_slippage(w: &Walk, bid: i64, ask: i64) -> Ratio {
    if w.is_empty() {
        return Ratio::from_num(10_000);
    }
    let m2 = I256::new(i128::from(bid) + i128::from(ask));
    let avg2 = I256::new(w.notional_tl) * I256::new(2 * i128::from(w.qty_den));
    let b = m2 * I256::new(w.qty_num);
    let sign = if w.side == OrderSide::Buy { 1 } else { -1 };
    exact((avg2 - b) * I256::new(10_000 * sign), b)
}

fn expected_recommendation(w: &Walk, slip: Ratio, t: &Thresholds) -> Recommendation {
    let abs = slip.saturating_abs();
    if !w.depth_sufficient() {
        Recommendation::InsufficientDepth
    } else if abs < t.use_limit_bps {
        Recommendation::UseLimit
    } else if abs < t.market_ok_bps {
        Recommendation::UseMarketAcceptable
    } else {
        Recommendation::HighSlippageWarning
    }
}

fn check(w: &Walk, bid: i64, ask: i64, t: &Thresholds) -> Result<(), TestCaseError> {
    let m = Metrics::compute(w, bid, ask, t);
    let spread = exact(
        I256::new(20_000 * i128::from(ask - bid)),
        I256::new(i128::from(bid) + i128::from(ask)),
    );
    prop_assert_eq!(m.spread_bps(), spread);
    let slip = expected_slippage(w, bid, ask);
    prop_assert_eq!(m.slippage_bps(), slip);
    prop_assert_eq!(m.recommendation, expected_recommendation(w, slip, t));
    let score = m.liquidity_score();
    prop_assert!(
        score >= Ratio::ZERO && score <= Ratio::ONE,
        "score {}",
        score
    );
    Ok(())
}

/// A threshold: mostly near the seed's bps, sometimes anywhere in the range.
fn threshold() -> impl Strategy<Value = Ratio> {
    prop_oneof![
        (0i128..200 << 64).prop_map(Ratio::from_bits),
        any::<i128>().prop_map(Ratio::from_bits),
        Just(Ratio::ZERO),
    ]
}

fn levels(best: i64, step: i64, sizes: &[i64], up: bool) -> Vec<Level> {
    let mut price = best;
    sizes
        .iter()
        .map(|&qty_lots| {
            let l = Level {
                price_ticks: price,
                qty_lots,
            };
            price = if up { price + step } else { price - step };
            l
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]
    #[test]
    fn figures_are_exact_and_the_recommendation_needs_no_division(
        bid in 1_000i64..=1_000_000_000_000,
        gap in 1i64..=1_000_000,
        step in 1i64..=10_000,
        bid_sizes in prop::collection::vec(1i64..=1_000_000_000_000_000, 1..12),
        ask_sizes in prop::collection::vec(1i64..=1_000_000_000_000_000, 1..12),
        qty in 1i64..=1_000_000_000_000_000,
        notional in 1i128..=1_000_000_000_000_000_000_000_000_000,
        use_limit in threshold(),
        market_ok in threshold(),
        sell in any::<bool>(),
    ) {
        let ask = bid + gap;
        let bids = levels(bid, step.min(bid / 16).max(1), &bid_sizes, false);
        let asks = levels(ask, step, &ask_sizes, true);
        let mut ladder = Ladder::new(16, 16);
        ladder.apply_snapshot(&bids, &asks, 1, Depth::Complete).unwrap();
        let side = if sell { OrderSide::Sell } else { OrderSide::Buy };
        let t = Thresholds { use_limit_bps: use_limit, market_ok_bps: market_ok };
        check(&walk_qty(&ladder, side, qty).unwrap(), bid, ask, &t)?;
        check(&walk_notional(&ladder, side, notional).unwrap(), bid, ask, &t)?;
        let one = walk_qty(&ladder, side, 1).unwrap();
        check(&one, bid, ask, &Thresholds::default())?;
        // Thresholds on the value itself and one bit either side: the boundary.
        let at = expected_slippage(&one, bid, ask).saturating_abs();
        let bit = Ratio::DELTA;
        let (up, down) = (at.saturating_add(bit), at.saturating_sub(bit));
        for (a, b) in [(at, up), (down, at), (up, up)] {
            let t = Thresholds { use_limit_bps: a, market_ok_bps: b };
            check(&one, bid, ask, &t)?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]
    /// Books of real magnitudes, where every figure takes the 64-bit path: exact against
    /// the 256-bit reference, with thresholds anywhere and on the value itself.
    #[test]
    fn real_magnitudes_take_the_64_bit_path_exactly(
        bid in 1_000i64..=10_000_000,
        gap in 1i64..=1_000,
        step in 1i64..=100,
        bid_sizes in prop::collection::vec(1i64..=1_000_000, 1..24),
        ask_sizes in prop::collection::vec(1i64..=1_000_000, 1..24),
        qty in 1i64..=20_000_000,
        notional in 1i128..=1_000_000_000_000,
        use_limit in threshold(),
        market_ok in threshold(),
        sell in any::<bool>(),
    ) {
        let ask = bid + gap;
        let bids = levels(bid, step.min(bid / 32).max(1), &bid_sizes, false);
        let asks = levels(ask, step, &ask_sizes, true);
        let mut ladder = Ladder::new(32, 32);
        ladder.apply_snapshot(&bids, &asks, 1, Depth::Complete).unwrap();
        let side = if sell { OrderSide::Sell } else { OrderSide::Buy };
        let t = Thresholds { use_limit_bps: use_limit, market_ok_bps: market_ok };
        let w = walk_qty(&ladder, side, qty).unwrap();
        check(&w, bid, ask, &t)?;
        check(&walk_notional(&ladder, side, notional).unwrap(), bid, ask, &t)?;
        let at = expected_slippage(&w, bid, ask).saturating_abs();
        let bit = Ratio::DELTA;
        let (up, down) = (at.saturating_add(bit), at.saturating_sub(bit));
        for (a, b) in [(at, up), (down, at), (up, up)] {
            let t = Thresholds { use_limit_bps: a, market_ok_bps: b };
            check(&w, bid, ask, &t)?;
        }
    }
}

/// A slippage of exactly 1 bps against thresholds of exactly 1 bps: `1 < 1` is false.
#[test]
fn a_slippage_equal_to_the_threshold_is_not_below_it() {
    let mut ladder = Ladder::new(4, 4);
    let (bid, ask) = (9_999, 10_001);
    let bids = [Level {
        price_ticks: bid,
        qty_lots: 5,
    }];
    let asks = [Level {
        price_ticks: ask,
        qty_lots: 5,
    }];
    ladder
        .apply_snapshot(&bids, &asks, 1, Depth::Complete)
        .unwrap();
    let w = walk_qty(&ladder, OrderSide::Buy, 1).unwrap();
    let one = Ratio::from_num(1);
    let t = Thresholds {
        use_limit_bps: one,
        market_ok_bps: Ratio::from_num(2),
    };
    let m = Metrics::compute(&w, bid, ask, &t);
    assert_eq!(m.slippage_bps(), one);
    assert_eq!(m.recommendation, Recommendation::UseMarketAcceptable);
    let t = Thresholds {
        use_limit_bps: one + Ratio::DELTA,
        ..t
    };
    assert_eq!(
        Metrics::compute(&w, bid, ask, &t).recommendation,
        Recommendation::UseLimit
    );
}
