use super::*;
use crate::num::Step;
use proptest::prelude::*;

fn d(s: &str) -> Decimal {
    Decimal::parse(s).unwrap()
}

fn linear(tick: &str, lot: &str, min_notional: &str) -> InstrumentRules {
    InstrumentRules::new(
        Step::parse(tick).unwrap(),
        Step::parse(lot).unwrap(),
        1,
        d(min_notional),
        Decimal::ONE,
        ContractKind::Linear,
    )
    .unwrap()
}

/// A step of 10^-dp.
fn pow10_step(dp: u8) -> Step {
    Step::new(Decimal::from_raw(10i128.pow(u32::from(18 - dp))).unwrap()).unwrap()
}

fn coinm() -> InstrumentRules {
    let (t, l) = (Step::parse("0.1").unwrap(), Step::parse("1").unwrap());
    InstrumentRules::new(t, l, 1, Decimal::ZERO, d("100"), ContractKind::Inverse).unwrap()
}

#[test]
fn buy_at_ask_sell_at_bid_toward_zero() {
    let r = linear("0.1", "0.001", "5");
    // 1000 / 61800.3 = 0.01618… → 16 lots; sell at 61800.2 → also 16 lots.
    assert_eq!(
        usd_to_lots(&r, d("1000"), OrderSide::Buy, 618002, 618003).unwrap(),
        16
    );
    assert_eq!(
        usd_to_lots(&r, d("1000"), OrderSide::Sell, 618002, 618003).unwrap(),
        16
    );
    assert_eq!(lots_to_usd(&r, 16, 618003).unwrap(), d("988.8048"));
    assert!(matches!(
        usd_to_lots(&r, d("10"), OrderSide::Buy, 618002, 618003),
        Err(SizingError::Leg {
            leg: 0,
            source: RulesError::ZeroQty { .. }
        })
    ));
    let strict = linear("0.1", "0.001", "100");
    assert!(matches!(
        usd_to_lots(&strict, d("90"), OrderSide::Buy, 618002, 618003),
        Err(SizingError::Leg {
            source: RulesError::BelowMinNotional { .. },
            ..
        })
    ));
    assert!(usd_to_lots(&r, d("-5"), OrderSide::Buy, 1, 2).is_err());
}

#[test]
fn inverse_sizes_whole_contracts() {
    assert_eq!(
        usd_to_lots(&coinm(), d("1050"), OrderSide::Buy, 616686, 616687).unwrap(),
        10
    );
}

#[test]
fn hedge_uses_the_coarser_lot() {
    // Spot lot 0.00001, perp lot 0.001: the hedge is a multiple of 0.001 BTC.
    let spot = HedgeLeg {
        rules: linear("0.01", "0.00001", "5"),
        side: OrderSide::Buy,
        price_ticks: 6_168_600,
    };
    let perp = HedgeLeg {
        rules: linear("0.1", "0.001", "100"),
        side: OrderSide::Sell,
        price_ticks: 616_597,
    };
    let h = hedge_size(d("10000"), &[spot, perp]).unwrap();
    assert_eq!(h.base_step, d("0.001"));
    // 10000 / 61686 = 0.16211… → 0.162 BTC on both legs.
    assert_eq!(h.base_qty, d("0.162"));
    assert_eq!((h.legs[0].lots, h.legs[1].lots), (16_200, 162));
    assert_eq!(h.legs[0].notional, d("9993.132"));
    assert_eq!(h.legs[1].notional, d("9988.8714"));
    assert!(h
        .legs
        .iter()
        .all(|l| l.residual_base.is_zero() && l.notional <= d("10000")));
}

#[test]
fn hedge_with_inverse_leg_reports_residual() {
    let perp = HedgeLeg {
        rules: linear("0.1", "0.001", "5"),
        side: OrderSide::Buy,
        price_ticks: 616_598,
    };
    let inv = HedgeLeg {
        rules: coinm(),
        side: OrderSide::Sell,
        price_ticks: 616_686,
    };
    let h = hedge_size(d("10000"), &[perp, inv]).unwrap();
    assert_eq!(h.base_qty, d("0.162"));
    // 0.162 × 61668.6 / 100 = 99.9 → 99 contracts; residual = 0.162 − 9900 / 61668.6.
    assert_eq!(h.legs[1].lots, 99);
    assert!(h.legs[1].residual_base.is_positive());
    assert!(h.legs[1].residual_base < d("100").div(d("61668.6"), Round::Ceil).unwrap());
}

#[test]
fn hedge_errors_name_the_leg() {
    let a = HedgeLeg {
        rules: linear("0.1", "0.001", "5"),
        side: OrderSide::Buy,
        price_ticks: 616_598,
    };
    let b = HedgeLeg {
        rules: linear("0.1", "0.001", "5000"),
        ..a
    };
    assert!(matches!(
        hedge_size(d("1000"), &[a, b]),
        Err(SizingError::Leg { leg: 1, .. })
    ));
    assert!(matches!(
        hedge_size(d("10"), &[a, a]),
        Err(SizingError::ZeroQty { .. })
    ));
    assert!(matches!(
        hedge_size(d("10"), &[]),
        Err(SizingError::LegCount(0))
    ));
    let huge = HedgeLeg {
        price_ticks: i64::MAX,
        ..a
    };
    assert!(matches!(
        hedge_size(d("10"), &[huge]),
        Err(SizingError::BadPrice { leg: 0, .. })
    ));
    assert!(usd_to_lots(&a.rules, d("10"), OrderSide::Buy, 1, i64::MAX).is_err());
    let bad = HedgeLeg {
        price_ticks: 0,
        ..a
    };
    assert!(matches!(
        hedge_size(d("10"), &[a, bad]),
        Err(SizingError::BadPrice { leg: 1, .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    /// RELIABILITY #4: notional ≤ usd and the gap is under one lot's notional.
    #[test]
    fn usd_round_trip_stays_under(usd_cents in 1i64..10_000_000_000, price in 1i64..10_000_000,
                                  lot_dp in 0u8..6) {
        let lot = pow10_step(lot_dp);
        let r = InstrumentRules::new(Step::parse("0.01").unwrap(), lot, 1, Decimal::ZERO,
            Decimal::ONE, ContractKind::Linear).unwrap();
        let usd = Decimal::from_i64(usd_cents).div(Decimal::from_i64(100), Round::ToZero).unwrap();
        match usd_to_lots(&r, usd, OrderSide::Buy, price - 1, price) {
            Ok(lots) => {
                let n = lots_to_usd(&r, lots, price).unwrap();
                let one = lots_to_usd(&r, 1, price).unwrap();
                prop_assert!(n <= usd);
                prop_assert!(usd.checked_sub(n).unwrap() < one);
            }
            Err(SizingError::Leg { source: RulesError::ZeroQty { .. }, .. }) => {
                prop_assert!(lots_to_usd(&r, 1, price).unwrap() > usd);
            }
            Err(e) => prop_assert!(false, "{e}"),
        }
    }

    #[test]
    fn hedge_legs_trade_equal_base(usd in 100i64..10_000_000, p1 in 100_000i64..9_000_000,
                                   p2 in 10_000i64..900_000, dp1 in 2u8..6, dp2 in 1u8..4) {
        let lot = pow10_step;
        let leg = |tick: &str, dp, px| HedgeLeg {
            rules: InstrumentRules::new(Step::parse(tick).unwrap(), lot(dp), 1, Decimal::ZERO,
                Decimal::ONE, ContractKind::Linear).unwrap(),
            side: OrderSide::Buy,
            price_ticks: px,
        };
        let legs = [leg("0.01", dp1, p1), leg("0.1", dp2, p2)];
        let usd = Decimal::from_i64(usd);
        if let Ok(h) = hedge_size(usd, &legs) {
            for l in &h.legs {
                prop_assert_eq!(l.base_qty, h.base_qty);
                prop_assert!(l.notional <= usd);
            }
        }
    }
}
