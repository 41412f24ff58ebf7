//! `legcore analyze`: the liquidity pre-flight on a recorded book file.

use legcore::book::{OrderSide, Side};
use legcore::feed::{load_book_file, LoadedBook};
use legcore::num::{Decimal, NumError, Ratio};
use legcore::text::Quoted;
use legcore::walk::{analyze, LiquidityReport, Shortfall, Target, Thresholds, Units};

use super::args::{CliError, Flags};
use super::emit;

/// Most levels per side `analyze` reads; the ladder is sized from the file up to this.
const MAX_LEVELS: usize = 1 << 20;

pub fn run(args: &[String]) -> Result<u8, CliError> {
    let f = Flags::parse(
        args,
        &["--book", "--side", "--qty", "--notional"],
        &["--json"],
    )?;
    let path = f.required("--book")?;
    let side_text = f.required("--side")?;
    let side = OrderSide::parse(side_text).ok_or_else(|| CliError::BadValue {
        flag: "--side",
        reason: format!("{} is not buy or sell", Quoted(side_text)),
    })?;
    let target = match (f.get("--qty"), f.get("--notional")) {
        (Some(q), None) => Target::Qty(positive("--qty", q)?),
        (None, Some(n)) => Target::Notional(positive("--notional", n)?),
        (Some(_), Some(_)) => return Err(CliError::Conflict("give --qty or --notional, not both")),
        (None, None) => return Err(CliError::Conflict("missing --qty or --notional")),
    };
    let bytes = std::fs::read(path).map_err(|source| CliError::Io {
        path: path.to_string(),
        source,
    })?;
    let book =
        load_book_file(&bytes, MAX_LEVELS).map_err(|e| CliError::Input(format!("{path}: {e}")))?;
    if book.listed > MAX_LEVELS {
        return Err(CliError::Input(format!(
            "{path}: the book lists {} levels on a side; analyze reads at most {MAX_LEVELS}",
            book.listed
        )));
    }
    let units = Units {
        tick: book.tick,
        lot: book.lot,
    };
    let report = analyze(&book.ladder, units, side, target, &Thresholds::default())
        .map_err(|e| CliError::Input(format!("{path}: {e}")))?;
    if f.has("--json") {
        emit(&format!("{}\n", json(&report, target)))?;
    } else {
        emit(&table(path, &book, &report, target))?;
    }
    Ok(0)
}

fn positive(flag: &'static str, text: &str) -> Result<Decimal, CliError> {
    let bad = |reason: String| CliError::BadValue { flag, reason };
    let d = Decimal::parse(text).map_err(|e: NumError| bad(e.to_string()))?;
    if !d.is_positive() {
        return Err(bad(format!("{} must be positive", Quoted(text))));
    }
    Ok(d)
}

fn num(r: Ratio) -> String {
    let v: f64 = r.to_num();
    format!("{v}")
}

fn opt(d: Option<Decimal>) -> String {
    d.map_or_else(|| "null".to_string(), |d| format!("\"{d}\""))
}

/// One JSON object with exactly the documented keys; decimals as strings.
fn json(r: &LiquidityReport, target: Target) -> String {
    let m = &r.metrics;
    let short = match (target, r.shortfall) {
        (Target::Qty(_), Some(Shortfall::Qty(q))) => format!("\"shortfall_qty\":\"{q}\""),
        (Target::Qty(_), _) => "\"shortfall_qty\":\"0\"".to_string(),
        (Target::Notional(_), Some(Shortfall::Notional(n))) => {
            format!("\"shortfall_notional\":\"{n}\",\"unspent_notional\":\"0\"")
        }
        (Target::Notional(_), _) => format!(
            "\"shortfall_notional\":\"0\",\"unspent_notional\":\"{}\"",
            r.unspent_notional
        ),
    };
    format!(
        concat!(
            "{{\"side\":\"{}\",\"depth_sufficient\":{},\"filled_qty\":\"{}\",",
            "\"filled_notional\":\"{}\",\"avg_price\":{},\"worst_price\":{},",
            "\"levels_used\":{},\"best_bid\":\"{}\",\"best_ask\":\"{}\",\"mid\":\"{}\",",
            "\"spread_bps\":{},\"slippage_bps\":{},\"slippage_usd\":\"{}\",",
            "\"liquidity_score\":{},\"recommendation\":\"{}\",{}}}"
        ),
        r.side,
        r.depth_sufficient,
        r.filled_qty,
        r.filled_notional,
        opt(r.avg_price),
        opt(r.worst_price),
        r.levels_used,
        r.best_bid,
        r.best_ask,
        r.mid,
        num(m.spread_bps()),
        num(m.slippage_bps()),
        r.slippage_quote,
        num(m.liquidity_score()),
        m.recommendation,
        short
    )
}

fn table(path: &str, book: &LoadedBook, r: &LiquidityReport, target: Target) -> String {
    let m = &r.metrics;
    let (asked, unit) = match target {
        Target::Qty(q) => (q, "base"),
        Target::Notional(n) => (n, "quote"),
    };
    let depth = match (r.depth_sufficient, r.reached_unknown_depth) {
        (true, _) => "depth sufficient".to_string(),
        (false, true) => {
            "SHORT: the book file ends before the size; depth beyond is unknown".to_string()
        }
        (false, false) => "SHORT: the whole book is not enough".to_string(),
    };
    let mut s = String::new();
    s += &format!(
        "book         {path}\n             {}, tick {}, lot {}, {} bids / {} asks, seq {}\n",
        book.format,
        book.tick,
        book.lot,
        book.ladder.len(Side::Bid),
        book.ladder.len(Side::Ask),
        book.seq
    );
    s += &format!("order        {} {asked} ({unit})\n", r.side);
    s += &format!(
        "top of book  bid {}  ask {}  mid {}  spread {:.4} bps\n",
        r.best_bid,
        r.best_ask,
        r.mid,
        m.spread_bps().to_num::<f64>()
    );
    s += &format!(
        "filled       {} base, {} quote, over {} levels ({depth})\n",
        r.filled_qty, r.filled_notional, r.levels_used
    );
    if let Some(sf) = r.shortfall {
        let (v, what) = match sf {
            Shortfall::Qty(q) => (q, "base"),
            Shortfall::Notional(n) => (n, "quote"),
        };
        s += &format!("shortfall    {v} {what}\n");
    }
    if let (Target::Notional(_), None) = (target, r.shortfall) {
        s += &format!(
            "unspent      {} quote (whole lots only: less than one more lot)\n",
            r.unspent_notional
        );
    }
    s += &format!(
        "avg price    {}\nworst price  {}\n",
        opt_plain(r.avg_price),
        opt_plain(r.worst_price)
    );
    s += &format!(
        "slippage     {:+.4} bps vs mid ({} quote)\n",
        m.slippage_bps().to_num::<f64>(),
        r.slippage_quote
    );
    s += &format!(
        "score        {:.4}\nverdict      {}\n",
        m.liquidity_score().to_num::<f64>(),
        m.recommendation
    );
    s
}

fn opt_plain(d: Option<Decimal>) -> String {
    d.map_or_else(|| "-".to_string(), |d| d.to_string())
}
