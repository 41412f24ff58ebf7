//! The pre-flight's notional rule (`walk::Target::Notional`: the most whole lots whose
//! cost fits the notional) against an exact reference computed in decimals level by
//! level, at every tick and lot precision the parser accepts (0 to 8 places each) and
//! notionals of 0 to 18 places: every printed figure must equal the reference exactly.

use legcore::book::{Depth, Ladder, Level, OrderSide};
use legcore::num::{Decimal, Round, Step};
use legcore::walk::{analyze, Shortfall, Target, Thresholds, Units};
use proptest::prelude::*;

fn step(dp: u32, digit: u8) -> Step {
    let text = if dp == 0 {
        digit.to_string()
    } else {
        format!("0.{}{digit}", "0".repeat(dp as usize - 1))
    };
    Step::parse(&text).unwrap()
}

/// What the rule gives, computed in decimals: (lots, cost, short of the book).
fn reference(levels: &[(i64, i64)], u: Units, n: Decimal) -> (i64, Decimal, bool) {
    let unit = u.tick.size().mul(u.lot.size(), Round::ToZero).unwrap();
    let (mut lots, mut cost) = (0i64, Decimal::ZERO);
    for &(price, size) in levels {
        let lot_cost = unit.mul_int(i128::from(price)).unwrap();
        let level = lot_cost.mul_int(i128::from(size)).unwrap();
        let left = n.checked_sub(cost).unwrap();
        if left.checked_sub(level).unwrap().is_negative() {
            let k = left
                .div(lot_cost, Round::ToZero)
                .unwrap()
                .round_dp(0, Round::ToZero);
            let k = i64::try_from(k.unwrap().raw() / legcore::num::SCALE).unwrap();
            return (
                lots + k,
                cost.checked_add(lot_cost.mul_int(i128::from(k)).unwrap())
                    .unwrap(),
                false,
            );
        }
        lots += size;
        cost = cost.checked_add(level).unwrap();
    }
    // The whole book fits: short when at least one tick × lot of notional is left.
    let short = !n
        .checked_sub(cost)
        .unwrap()
        .checked_sub(unit)
        .unwrap()
        .is_negative();
    (lots, cost, short)
}

/// `mantissa × 10^-dp` as a decimal.
fn notional(mantissa: i64, dp: usize) -> Decimal {
    let padded = format!("{mantissa:0>width$}", width = dp + 1);
    let (int, frac) = padded.split_at(padded.len() - dp);
    let text = if dp == 0 {
        int.to_string()
    } else {
        format!("{int}.{frac}")
    };
    Decimal::parse(&text).unwrap()
}

/// Asks ascending from 1 000 ticks by the drawn gaps, one bid below.
fn ladder(asks: &[(i64, i64)]) -> (Ladder, Vec<(i64, i64)>) {
    let mut price = 1_000i64;
    let levels: Vec<(i64, i64)> = asks
        .iter()
        .map(|&(gap, size)| {
            price += gap;
            (price, size)
        })
        .collect();
    let lv: Vec<Level> = levels
        .iter()
        .map(|&(price_ticks, qty_lots)| Level {
            price_ticks,
            qty_lots,
        })
        .collect();
    let bid = Level {
        price_ticks: 999,
        qty_lots: 1,
    };
    let mut l = Ladder::new(16, 16);
    l.apply_snapshot(&[bid], &lv, 1, Depth::Complete).unwrap();
    (l, levels)
}

fn check(u: Units, asks: &[(i64, i64)], n: Decimal) -> Result<(), TestCaseError> {
    let (l, levels) = ladder(asks);
    let (lots, cost, short) = reference(&levels, u, n);
    let got = analyze(
        &l,
        u,
        OrderSide::Buy,
        Target::Notional(n),
        &Thresholds::default(),
    );
    if lots == 0 {
        prop_assert!(got.is_err(), "less than one lot must be refused");
        return Ok(());
    }
    let r = got.unwrap();
    prop_assert_eq!(r.filled_qty, u.lot.to_decimal(lots));
    prop_assert_eq!(r.filled_notional, cost);
    prop_assert_eq!(r.depth_sufficient, !short);
    let rest = n.checked_sub(cost).unwrap();
    if short {
        prop_assert_eq!(r.shortfall, Some(Shortfall::Notional(rest)));
        prop_assert_eq!(r.unspent_notional, Decimal::ZERO);
    } else {
        prop_assert_eq!(r.shortfall, None);
        prop_assert_eq!(r.unspent_notional, rest);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]
    #[test]
    fn whole_lots_of_a_notional_are_exact(
        tick in (0u32..=8, 1u8..=9),
        lot in (0u32..=8, 1u8..=9),
        asks in prop::collection::vec((1i64..=1_000, 1i64..=500), 1..8),
        mantissa in 1i64..=1_000_000_000_000_000,
        n_dp in 0usize..=18,
    ) {
        let u = Units { tick: step(tick.0, tick.1), lot: step(lot.0, lot.1) };
        check(u, &asks, notional(mantissa, n_dp))?;
    }
}
