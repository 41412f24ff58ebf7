//! An inverse (coin-margined) leg's money, in the coin it settles in.
//!
//! A contract worth `M` quote bought at price `p` holds `M / p` coin, so an inverse leg's
//! fills are priced by Σ qty ÷ price, not Σ price × qty. Each fill adds
//! `qty_lots × 10¹⁸ / price_ticks` (toward zero: at most 10⁻¹⁸ lot per tick per fill) to
//! its order's sum ([`crate::leg::Order::inv_e18`]); × lot × multiplier ÷ tick makes
//! coin. The signs are a linear leg's (see [`super::summary`]) with coin in place of
//! quote: a contract bought is coin held (+), one sold is coin given (−), so a long's
//! round trip realises `M × (1/p_in − 1/p_out)` per contract, the venue's own P&L.
//!
//! Each figure is formed as one exact fraction and rounded once, half-even, to
//! [`COIN_DP`] places (a hundredth of a satoshi for BTC).

use ethnum::I256;

use super::summary::{LegFills, Overflow};
use crate::book::OrderSide;
use crate::instrument::VenueInfo;
use crate::num::{Decimal, Round};

/// Places of a coin amount.
pub const COIN_DP: u8 = 10;

/// 10¹⁸, the scale of the Σ qty ÷ price sums.
const E18: i128 = 1_000_000_000_000_000_000;
/// 10⁸, the scale of fee rates (the fees sum is 10²⁶: rate × 10⁸ × sum × 10¹⁸).
const E8: i128 = 100_000_000;

/// An inverse leg's (fees, shortfall, flow) in coin; see [`super::summary::LegSummary`].
pub fn money(
    info: &VenueInfo,
    f: &LegFills,
) -> Result<(Decimal, Option<Decimal>, Option<Decimal>), Overflow> {
    let fees_e26 = f.inv.fees_e26.ok_or(Overflow("an inverse leg's fees"))?;
    let sign = I256::new(match f.side {
        OrderSide::Buy => 1,
        OrderSide::Sell => -1,
    });
    let w = I256::new;
    let net_inv = w(f.inv.entry_e18) - w(f.inv.exit_e18);
    let fees = coin(info, w(fees_e26), w(E18 * E8), "an inverse leg's fees")?;
    // Flow: sign × net − fees, over 10²⁶.
    let flow_num = sign * net_inv * w(E8) - w(fees_e26);
    let flow = coin(info, flow_num, w(E18 * E8), "the money flow")?;
    let lots = i128::from(f.entry.0) - i128::from(f.exit.0);
    let shortfall = if f.mid2_ticks > 0 {
        // sign × (lots ÷ mid − net) + fees, over 10²⁶ × mid2 (mid = mid2 / 2).
        let mid2 = w(i128::from(f.mid2_ticks));
        let at_mid = w(lots) * w(2) * w(E18 * E8);
        let num = sign * (at_mid - net_inv * w(E8) * mid2) + w(fees_e26) * mid2;
        Some(coin(info, num, w(E18 * E8) * mid2, "the shortfall")?)
    } else {
        None
    };
    Ok((fees, shortfall, Some(flow)))
}

/// `num / den` lots per tick as coin: × lot × multiplier ÷ tick, rounded once half-even
/// to [`COIN_DP`] places.
pub fn coin(
    info: &VenueInfo,
    num: I256,
    den: I256,
    what: &'static str,
) -> Result<Decimal, Overflow> {
    let (lot, m, tick) = (
        info.lot.size().raw(),
        info.multiplier.raw(),
        info.tick.size().raw(),
    );
    let unit = I256::new(10i128.pow(u32::from(18 - COIN_DP)));
    let n = num
        .checked_mul(I256::new(lot))
        .and_then(|x| x.checked_mul(I256::new(m)))
        .ok_or(Overflow(what))?;
    let d = den
        .checked_mul(I256::new(tick))
        .and_then(|x| x.checked_mul(unit))
        .filter(|d| *d != 0)
        .ok_or(Overflow(what))?;
    let q = crate::num::div_round(n, d, Round::HalfEven) * unit;
    i128::try_from(q)
        .ok()
        .and_then(|raw| Decimal::from_raw(raw).ok())
        .map(|x| x.with_dp(0).canonical())
        .ok_or(Overflow(what))
}

/// One order known only by its totals (a venue's record: lots, Σ price × qty and fees in
/// tick-lots × 10⁻⁸) as (Σ qty ÷ price × 10¹⁸, fees × 10²⁶), priced at its average
/// price, toward zero: exact when its fills share one price, as a venue's order record
/// (cumulative quantity and average price) allows no better. `None` past the range.
pub fn order_inv(lots: i64, notional_tl: i128, fees_tl_e8: i128) -> Option<(i128, i128)> {
    if lots <= 0 || notional_tl <= 0 {
        return Some((0, 0));
    }
    let l = I256::new(i128::from(lots));
    let inv = l * l * I256::new(E18) / I256::new(notional_tl);
    let fees = I256::new(fees_tl_e8).checked_mul(inv)? / I256::new(notional_tl);
    Some((i128::try_from(inv).ok()?, i128::try_from(fees).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::ContractKind;
    use crate::journal::summary::InvFills;
    use crate::num::Step;

    /// Binance `BTCUSD_PERP`: tick 0.1, contracts of 100 USD.
    fn coinm() -> VenueInfo {
        VenueInfo {
            name: "coinm".into(),
            instrument: "BTCUSD_PERP".into(),
            tick: Step::parse("0.1").unwrap(),
            lot: Step::ONE,
            kind: ContractKind::Inverse,
            multiplier: Decimal::from_i64(100),
            quote: "USD".into(),
            settle: "BTC".into(),
        }
    }

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    /// `qty` contracts at `ticks`, as a fill adds them.
    fn inv(qty: i128, ticks: i128) -> i128 {
        qty * E18 / ticks
    }

    #[test]
    fn a_long_round_trip_realises_the_venues_coin_pnl_less_fees() {
        // Bought 10 at 50000.0, sold 10 at 51000.0; taker 0.05 % both ways.
        let (a, b) = (inv(10, 500_000), inv(10, 510_000));
        let f = LegFills {
            side: OrderSide::Buy,
            entry: (10, 10 * 500_000),
            exit: (10, 10 * 510_000),
            fees_tl_e8: 0,
            mid2_ticks: 2 * 500_000,
            inv: InvFills {
                entry_e18: a,
                exit_e18: b,
                fees_e26: Some(50_000 * (a + b)),
            },
        };
        let (fees, shortfall, flow) = money(&coinm(), &f).unwrap();
        // 1000 USD × (1/50000 − 1/51000) = 0.000392156862745… BTC; fees 0.0005 ×
        // (0.02 + 0.0196078431…) = 0.0000198039215… BTC.
        assert_eq!(fees, d("0.0000198039"));
        assert_eq!(flow, Some(d("0.0003723529")));
        // Back to flat against the arrival mid: the shortfall is the P&L, negated.
        assert_eq!(shortfall, Some(d("-0.0003723529")));
    }

    #[test]
    fn a_short_filled_below_the_mid_costs_coin() {
        // Sold 10 at 49990.0 against a mid of 50000.0: 1000 × (1/49990 − 1/50000) coin
        // = 0.00000400080016… BTC worse than at the mid; no fees.
        let f = LegFills {
            side: OrderSide::Sell,
            entry: (10, 10 * 499_900),
            exit: (0, 0),
            fees_tl_e8: 0,
            mid2_ticks: 2 * 500_000,
            inv: InvFills {
                entry_e18: inv(10, 499_900),
                exit_e18: 0,
                fees_e26: Some(0),
            },
        };
        let (_, shortfall, flow) = money(&coinm(), &f).unwrap();
        assert_eq!(shortfall, Some(d("0.0000040008")));
        // Sold contracts give coin: −1000 / 49990.
        assert_eq!(flow, Some(d("-0.0200040008")));
    }

    #[test]
    fn an_order_record_at_one_price_prices_like_its_fills() {
        let (i, fees) = order_inv(7, 7 * 612_345, 50_000 * 7 * 612_345).unwrap();
        assert_eq!(i, inv(7, 612_345));
        assert_eq!(fees, 50_000 * inv(7, 612_345));
        assert_eq!(order_inv(0, 0, 0), Some((0, 0)));
        assert_eq!(order_inv(i64::MAX, 1, i128::MAX), None);
    }

    #[test]
    fn unsummable_fees_are_an_error_not_zero() {
        let f = LegFills {
            side: OrderSide::Buy,
            entry: (1, 1),
            exit: (0, 0),
            fees_tl_e8: 0,
            mid2_ticks: 2,
            inv: InvFills::default(),
        };
        assert_eq!(money(&coinm(), &f), Err(Overflow("an inverse leg's fees")));
    }
}
