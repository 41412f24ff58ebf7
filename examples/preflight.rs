//! Pre-flight of a delta-neutral entry with the library API: load the shipped Binance
//! USD-M BTCUSDT snapshot, size a $250,000 long-spot / short-perp hedge on the venues'
//! lots, and walk the perp's bids for the perp leg.
//!
//! `cargo run --release --example preflight`

use legcore::book::OrderSide;
use legcore::feed::load_book_file;
use legcore::instrument::{ContractKind, InstrumentRules};
use legcore::num::{Decimal, Step};
use legcore::sizing::{hedge_size, HedgeLeg};
use legcore::walk::{analyze, Target, Thresholds, Units};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/market/binance/usdm_btcusdt_20240808.snapshot.json"
    );
    let book = load_book_file(&std::fs::read(path)?, 10_000)?;
    let (bid, ask) = match (book.ladder.best_bid(), book.ladder.best_ask()) {
        (Some(b), Some(a)) => (b, a),
        _ => return Err("empty book".into()),
    };

    // Binance's rules: spot BTCUSDT (tick 0.01, lot 0.00001, $5 minimum) and the USD-M
    // perp (tick 0.10, lot 0.001, $100 minimum). The snapshot's ticks are 0.01.
    let spot = InstrumentRules::new(
        Step::parse("0.01")?,
        Step::parse("0.00001")?,
        1,
        Decimal::parse("5")?,
        Decimal::ONE,
        ContractKind::Linear,
    )?;
    let perp = InstrumentRules::new(
        Step::parse("0.01")?,
        Step::parse("0.001")?,
        1,
        Decimal::parse("100")?,
        Decimal::ONE,
        ContractKind::Linear,
    )?;
    let legs = [
        HedgeLeg {
            rules: spot,
            side: OrderSide::Buy,
            price_ticks: ask.price_ticks, // the perp's ask stands in for spot's here
        },
        HedgeLeg {
            rules: perp,
            side: OrderSide::Sell,
            price_ticks: bid.price_ticks,
        },
    ];
    let hedge = hedge_size(Decimal::parse("250000")?, &legs)?;
    println!(
        "hedge: {} BTC on the {} BTC step",
        hedge.base_qty, hedge.base_step
    );
    for (name, leg) in ["spot buy", "perp sell"].iter().zip(&hedge.legs) {
        println!(
            "  {name:<9} {:>8} lots  notional {}",
            leg.lots, leg.notional
        );
    }

    let units = Units {
        tick: book.tick,
        lot: book.lot,
    };
    let target = Target::Qty(hedge.base_qty);
    let r = analyze(
        &book.ladder,
        units,
        OrderSide::Sell,
        target,
        &Thresholds::default(),
    )?;
    println!(
        "perp leg: sell {} at avg {} (worst {}), {:+.3} bps vs mid, {} levels, {}",
        r.filled_qty,
        r.avg_price.map_or("-".into(), |p| p.to_string()),
        r.worst_price.map_or("-".into(), |p| p.to_string()),
        r.metrics.slippage_bps().to_num::<f64>(),
        r.levels_used,
        r.metrics.recommendation
    );
    Ok(())
}
