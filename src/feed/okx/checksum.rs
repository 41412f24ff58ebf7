//! OKX's book checksum: the CRC32 of the top 25 levels of each side as text,
//! `bid1px:bid1sz:ask1px:ask1sz:bid2px:…` (a side with fewer levels just ends, the other
//! goes on alone), compared as a signed 32-bit integer.
//!
//! OKX computes it over the text of its own messages. The ladder keeps exact integers,
//! so each level is written back as OKX writes numbers: the shortest decimal, with no
//! trailing zeros, no exponent and no `.` on a whole number (`30316`, `0.06523858`,
//! `5.14`). That is the text of the message whenever the venue writes that way, which
//! every one of the 4,205 distinct prices and sizes in the shipped capture does, and
//! all 290 of its checksums verify through this code (tests/replay_okx.rs). A venue that
//! padded a number (`"1.50"`) would show as a mismatch, never as a false match.
//!
//! No allocation: each number is written into a stack buffer and fed to the hasher.

use crate::book::{Level, Side};
use crate::num::Step;

use super::super::FeedError;

/// Levels per side the checksum covers.
pub const CHECKSUM_LEVELS: usize = 25;

/// Longest text of `units × step`: 39 digits of a `u128`, a `.` and a leading `0`.
const TEXT_CAP: usize = 48;

/// Writes `units` steps of `step` as the shortest decimal into `buf`; returns the text.
/// `units` must be ≥ 0 (book prices and sizes are); a negative one is written as 0.
pub(crate) fn render(units: i64, step: Step, buf: &mut [u8; TEXT_CAP]) -> &[u8] {
    // units ≤ 10^15 and step_int ≤ 10^4 × 10^18: the product is < 10^38 < u128::MAX.
    let mut v = u128::try_from(units).unwrap_or(0) * u128::from(step.step_int().unsigned_abs());
    let mut dp = usize::from(step.dp());
    while dp > 0 && v % 10 == 0 {
        v /= 10;
        dp -= 1;
    }
    let mut end = buf.len();
    let mut push = |b: u8| {
        end -= 1;
        buf[end] = b;
    };
    for _ in 0..dp {
        push(b'0' + (v % 10) as u8);
        v /= 10;
    }
    if dp > 0 {
        push(b'.');
    }
    loop {
        push(b'0' + (v % 10) as u8);
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &buf[end..]
}

/// The checksum of the book whose sides are `bids` and `asks` (each best first, each
/// taken up to [`CHECKSUM_LEVELS`]).
pub(crate) fn checksum(
    bids: impl Iterator<Item = Level>,
    asks: impl Iterator<Item = Level>,
    tick: Step,
    lot: Step,
) -> i32 {
    let mut h = crc32fast::Hasher::new();
    let mut buf = [0u8; TEXT_CAP];
    let mut first = true;
    let mut put = |l: Level| {
        if !first {
            h.update(b":");
        }
        first = false;
        h.update(render(l.price_ticks, tick, &mut buf));
        h.update(b":");
        h.update(render(l.qty_lots, lot, &mut buf));
    };
    let (mut bids, mut asks) = (bids.take(CHECKSUM_LEVELS), asks.take(CHECKSUM_LEVELS));
    loop {
        let (b, a) = (bids.next(), asks.next());
        if b.is_none() && a.is_none() {
            break;
        }
        b.into_iter().chain(a).for_each(&mut put);
    }
    // The CRC's 32 bits read as OKX's signed integer.
    h.finalize() as i32
}

/// Refuses a side the checksum cannot be verified over: fewer than
/// [`CHECKSUM_LEVELS`] levels known and depth past them unknown (`cut`).
pub(crate) fn check_depth(side: Side, known: usize, cut: bool) -> Result<(), FeedError> {
    if cut && known < CHECKSUM_LEVELS {
        return Err(FeedError::ChecksumDepth { side, known });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(units: i64, step: &str) -> String {
        let mut buf = [0u8; TEXT_CAP];
        let s = Step::parse(step).unwrap();
        String::from_utf8(render(units, s, &mut buf).to_vec()).unwrap()
    }

    #[test]
    fn numbers_are_written_as_okx_writes_them() {
        assert_eq!(text(303_160, "0.1"), "30316");
        assert_eq!(text(302_435, "0.1"), "30243.5");
        assert_eq!(text(6_523_858, "0.00000001"), "0.06523858");
        assert_eq!(text(5_140, "0.001"), "5.14");
        assert_eq!(text(10, "0.001"), "0.01");
        assert_eq!(text(0, "0.1"), "0");
        assert_eq!(text(0, "1"), "0");
        assert_eq!(text(7, "1"), "7");
        assert_eq!(text(120, "1"), "120");
        assert_eq!(text(3, "5"), "15");
        assert_eq!(text(3, "0.5"), "1.5");
        assert_eq!(text(1_000_000_000_000_000, "0.000000000000000001"), "0.001");
        assert_eq!(text(1_000_000_000_000_000, "10000"), "10000000000000000000");
    }

    /// Every value reads back to the same units (render is exact).
    #[test]
    fn rendered_text_parses_back_to_the_same_units() {
        for step in ["0.1", "0.001", "0.00000001", "1", "0.5", "25"] {
            let s = Step::parse(step).unwrap();
            for units in [
                1,
                9,
                10,
                11,
                99,
                100,
                101,
                123_456_789,
                1_000_000_000_000_000,
            ] {
                let mut buf = [0u8; TEXT_CAP];
                let t = render(units, s, &mut buf);
                assert_eq!(s.parse_units(t), Ok(units), "{step} {units}");
                assert!(!t.ends_with(b"0") || !t.contains(&b'.'), "{t:?}");
            }
        }
    }

    /// The two examples of OKX's documentation ("Calculate Checksum"): the check strings
    /// `3366.1:7:3366.8:9:3366:6:3368:8` and `3366.1:7:3366.8:9:3368:8:3372:8`.
    #[test]
    fn the_documented_check_strings() {
        let (tick, lot) = (Step::parse("0.1").unwrap(), Step::parse("1").unwrap());
        let lv = |p: i64, q: i64| Level {
            price_ticks: p,
            qty_lots: q,
        };
        let crc = |s: &str| crc32fast::hash(s.as_bytes()) as i32;
        let bids = [lv(33_661, 7), lv(33_660, 6)];
        let asks = [lv(33_668, 9), lv(33_680, 8)];
        assert_eq!(
            checksum(bids.into_iter(), asks.into_iter(), tick, lot),
            crc("3366.1:7:3366.8:9:3366:6:3368:8")
        );
        let asks = [lv(33_668, 9), lv(33_680, 8), lv(33_720, 8)];
        assert_eq!(
            checksum(bids[..1].iter().copied(), asks.into_iter(), tick, lot),
            crc("3366.1:7:3366.8:9:3368:8:3372:8")
        );
        let many = (0..30).map(|i| lv(40_000 + i, 1));
        let few = (0..30).map(|i| lv(30_000 - i, 1));
        let px = |t: i64| match t % 10 {
            0 => format!("{}", t / 10),
            d => format!("{}.{d}", t / 10),
        };
        let want: Vec<String> = (0..25)
            .map(|i| format!("{}:1:{}:1", px(30_000 - i), px(40_000 + i)))
            .collect();
        let want = want.join(":");
        assert_eq!(checksum(few, many, tick, lot), crc(&want), "top 25 only");
    }
}
