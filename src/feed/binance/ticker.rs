//! [`BookTicker`]: Binance's best bid/ask stream, decoded to ticks and lots.
//!
//! Futures: `{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":…,"s":…,
//! "b":"61800.20","B":"2.507","a":"61800.30","A":"2.510","T":…,"E":…}}`; spot has no
//! `e`/`E`/`T`. The envelope is optional. `u` is the order-book update id the quote reflects,
//! so a book synced to the same `u` must show the same best levels.

use crate::book::Level;
use crate::num::Step;

use super::expect_event;
use crate::feed::levels::{mark, number_text, string_field, u64_field};
use crate::feed::FeedError;
use crate::feed::Scanner;

/// One `bookTicker` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookTicker {
    /// `u`: the order-book update id this quote reflects.
    pub u: u64,
    /// `b`/`B`: best bid price (ticks) and size (lots).
    pub bid: Level,
    /// `a`/`A`: best ask price (ticks) and size (lots).
    pub ask: Level,
}

#[derive(Default)]
struct Fields {
    u: Option<u64>,
    bid_px: Option<i64>,
    bid_qty: Option<i64>,
    ask_px: Option<i64>,
    ask_qty: Option<i64>,
    seen: u32,
}

/// Decodes a `bookTicker` message (enveloped or bare) at the instrument's `tick` and `lot`.
pub fn decode_book_ticker(bytes: &[u8], tick: Step, lot: Step) -> Result<BookTicker, FeedError> {
    let mut sc = Scanner::new(bytes);
    let mut f = Fields::default();
    ticker_object(&mut sc, tick, lot, &mut f, false)?;
    sc.finish()?;
    let need = |v: Option<i64>, name| v.ok_or(FeedError::MissingField(name));
    Ok(BookTicker {
        u: f.u.ok_or(FeedError::MissingField("u"))?,
        bid: Level {
            price_ticks: need(f.bid_px, "b")?,
            qty_lots: need(f.bid_qty, "B")?,
        },
        ask: Level {
            price_ticks: need(f.ask_px, "a")?,
            qty_lots: need(f.ask_qty, "A")?,
        },
    })
}

fn ticker_object(
    sc: &mut Scanner<'_>,
    tick: Step,
    lot: Step,
    f: &mut Fields,
    nested: bool,
) -> Result<(), FeedError> {
    sc.begin_object()?;
    while let Some(key) = sc.next_key()? {
        let (slot, step, name, bit) = match key {
            b"data" if !nested => {
                mark(&mut f.seen, 1, "data")?;
                ticker_object(sc, tick, lot, f, true)?;
                continue;
            }
            b"e" => {
                mark(&mut f.seen, 2, "e")?;
                expect_event(string_field(sc, "e")?, "bookTicker")?;
                continue;
            }
            b"u" => {
                mark(&mut f.seen, 4, "u")?;
                f.u = Some(u64_field(sc, "u")?);
                continue;
            }
            b"b" => (&mut f.bid_px, tick, "b", 8),
            b"B" => (&mut f.bid_qty, lot, "B", 16),
            b"a" => (&mut f.ask_px, tick, "a", 32),
            b"A" => (&mut f.ask_qty, lot, "A", 64),
            _ => {
                sc.skip_value()?;
                continue;
            }
        };
        if f.seen & bit != 0 {
            return Err(FeedError::DuplicateField(name));
        }
        f.seen |= bit;
        let text = number_text(sc, name)?;
        *slot = Some(step.parse_units(text).map_err(FeedError::num(name))?);
    }
    Ok(())
}
