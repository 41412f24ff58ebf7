//! A recorded capture held in memory ([`Tape`]): the bytes once, and per line where it
//! starts and ends and when it was recorded, so a replay hands out lines by index
//! (a feeder thread passes 24-byte indices, never the bytes) and paces them by their
//! recorded time.
//!
//! Three line shapes, by the capture's [`Format`]:
//! - `<local_ns> <json>` (hftbacktest's collector: Binance, Hyperliquid; every format):
//!   the local receive time in ns;
//! - a bare JSON message with a top-level `ts` in ms (Bybit's history files): that time,
//!   in ns. A Bybit line may also carry a `<local_ns> ` prefix, which then wins;
//! - `<secs>.<frac>: <json>` (cryptofeed's raw websocket log: OKX): the local receive
//!   time in seconds, read exactly to the ns (digits past the ninth are dropped). The
//!   log's own `wss://… <->` (connected) and `wss://… <-` (sent) lines record the
//!   recorder's side, not the venue's: they are left out, like blank lines.
//!
//! A file is gzip (by its magic bytes) or plain text. Other lines of no shape of the
//! format are left out and counted ([`Tape::skipped`]), never silently dropped.

use std::io::{self, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::binance::split_line;
use super::json::Scanner;
use super::levels::u64_field;
use super::replay::Format;

/// A capture in memory. See the module doc.
#[derive(Debug)]
pub struct Tape {
    bytes: Vec<u8>,
    /// (start, end, recorded ns) of each well-formed line.
    lines: Vec<(usize, usize, u64)>,
    /// Non-empty lines of neither shape, left out and counted.
    skipped: u64,
    /// Earliest and latest recorded time over the lines, ns.
    span: Option<(u64, u64)>,
}

impl Tape {
    /// Reads a gzip capture of `<local_ns> <json>` lines (hftbacktest format).
    pub fn from_gz_file(path: impl AsRef<Path>) -> io::Result<Tape> {
        let mut bytes = Vec::new();
        MultiGzDecoder::new(std::fs::File::open(path)?).read_to_end(&mut bytes)?;
        Ok(Tape::from_bytes(bytes))
    }

    /// Reads a capture of `format`, gzip or plain text.
    pub fn load(path: impl AsRef<Path>, format: Format) -> io::Result<Tape> {
        let raw = std::fs::read(path)?;
        let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            MultiGzDecoder::new(&raw[..]).read_to_end(&mut out)?;
            out
        } else {
            raw
        };
        Ok(Tape::index(bytes, format))
    }

    /// Indexes `<local_ns> <json>` lines; others are left out and counted
    /// ([`Tape::skipped`]); blank lines are not counted.
    pub fn from_bytes(bytes: Vec<u8>) -> Tape {
        Tape::index(bytes, Format::BinanceSpot)
    }

    /// Indexes `bytes` as lines of `format` (see the module doc).
    fn index(bytes: Vec<u8>, format: Format) -> Tape {
        let mut tape = Tape {
            bytes: Vec::new(),
            lines: Vec::new(),
            skipped: 0,
            span: None,
        };
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                tape.index_line(&bytes, start, i, format);
                start = i + 1;
            }
        }
        tape.index_line(&bytes, start, bytes.len(), format);
        tape.bytes = bytes;
        tape
    }

    /// Indexes the line `bytes[start..end]`.
    fn index_line(&mut self, bytes: &[u8], start: usize, end: usize, format: Format) {
        let line = &bytes[start..end];
        let ns = match split_line(line) {
            Some((ns, _)) => Some(ns),
            None if format.bare_json_time() => json_ts_ns(line),
            None if format.cryptofeed_lines() => split_cryptofeed(line).map(|(ns, _)| ns),
            None => None,
        };
        let Some(ns) = ns else {
            let own = format.cryptofeed_lines() && cryptofeed_own_line(line);
            if !own && !line.iter().all(u8::is_ascii_whitespace) {
                self.skipped += 1;
            }
            return;
        };
        self.lines.push((start, end, ns));
        let (lo, hi) = self.span.unwrap_or((ns, ns));
        self.span = Some((lo.min(ns), hi.max(ns)));
    }

    /// Lines left out because they have no recorded time.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The earliest and latest recorded time of its lines, ns (`None` without lines).
    pub fn span(&self) -> Option<(u64, u64)> {
        self.span
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// No lines.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Line `i` (empty past the end).
    pub fn line(&self, i: usize) -> &[u8] {
        self.lines
            .get(i)
            .map_or(&[][..], |&(s, e, _)| &self.bytes[s..e])
    }

    /// The first `n` lines, as a tape of their own (`<local_ns> <json>` lines only).
    pub fn head(&self, n: usize) -> Tape {
        let end = self
            .lines
            .get(n.min(self.len()).wrapping_sub(1))
            .map_or(0, |l| l.1);
        Tape::from_bytes(self.bytes[..end].to_vec())
    }

    /// The recorded time of line `i`, ns.
    pub fn recorded_ns(&self, i: usize) -> u64 {
        self.lines.get(i).map_or(0, |l| l.2)
    }
}

/// Splits a cryptofeed line `<secs>.<frac>: <json>` into its time in ns (exact; digits
/// past the ninth decimal are dropped) and the JSON; `None` for any other line.
pub(crate) fn split_cryptofeed(line: &[u8]) -> Option<(u64, &[u8])> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let colon = line.iter().position(|&b| b == b':')?;
    let (time, rest) = line.split_at(colon);
    let json = rest.strip_prefix(b": ")?;
    let digits = |t: &[u8]| !t.is_empty() && t.iter().all(u8::is_ascii_digit);
    let (secs, frac) = match time.iter().position(|&b| b == b'.') {
        Some(dot) => (&time[..dot], &time[dot + 1..]),
        None => (time, &b"0"[..]),
    };
    if !digits(secs) || !digits(frac) || secs.len() > 11 {
        return None;
    }
    let mut ns = 0u64;
    for &d in secs {
        ns = ns * 10 + u64::from(d - b'0');
    }
    let mut sub = 0u64;
    for i in 0..9 {
        sub = sub * 10 + frac.get(i).map_or(0, |&d| u64::from(d - b'0'));
    }
    Some((ns.checked_mul(1_000_000_000)?.checked_add(sub)?, json))
}

/// A cryptofeed log's own line: `<ws url> <-> <secs>` (connected) or
/// `<ws url> <- <secs>: <json>` (a message it sent).
fn cryptofeed_own_line(line: &[u8]) -> bool {
    let url = line.starts_with(b"wss://") || line.starts_with(b"ws://");
    let arrow = |a: &[u8]| line.windows(a.len()).any(|w| w == a);
    url && (arrow(b" <-> ") || arrow(b" <- "))
}

/// A bare JSON object's top-level `ts` (ms) in ns; `None` if it has none or it does not
/// fit.
fn json_ts_ns(line: &[u8]) -> Option<u64> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut sc = Scanner::new(line);
    sc.begin_object().ok()?;
    while let Some(key) = sc.next_key().ok()? {
        if key == b"ts" {
            return u64_field(&mut sc, "ts").ok()?.checked_mul(1_000_000);
        }
        sc.skip_value().ok()?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::okx::InstId;

    fn tape(lines: &[&str]) -> Tape {
        Tape::from_bytes(lines.join("\n").into_bytes())
    }

    #[test]
    fn a_tape_counts_the_lines_it_leaves_out_and_spans_its_times() {
        let t = tape(&["30 {}", "no time here", "", "10 {}", "20 {}", "   "]);
        assert_eq!((t.len(), t.skipped(), t.span()), (3, 1, Some((10, 30))));
        assert_eq!(tape(&[""]).span(), None);
    }

    #[test]
    fn bare_json_lines_are_timed_by_their_ts_in_ms() {
        let text = "{\"topic\":\"x\",\"ts\":1733011200691,\"data\":{}}\n\
                    {\"topic\":\"x\",\"data\":{}}\n\
                    5 {\"ts\":1}\n";
        let t = Tape::index(text.as_bytes().to_vec(), Format::BybitOrderbook500);
        assert_eq!((t.len(), t.skipped()), (2, 1));
        assert_eq!(t.recorded_ns(0), 1_733_011_200_691_000_000);
        assert_eq!(t.recorded_ns(1), 5, "a time prefix wins");
        let binance = Tape::index(text.as_bytes().to_vec(), Format::BinanceSpot);
        assert_eq!((binance.len(), binance.skipped()), (1, 2));
    }

    #[test]
    fn cryptofeed_lines_are_timed_exactly_and_its_connection_lines_left_out() {
        let text = "wss://ws.okx.com:8443/ws/v5/public <-> 1652459224.5300605\n\
                    wss://ws.okx.com:8443/ws/v5/public <- 1652459225.29: {\"op\":1}\n\
                    1652459225.5037491: {\"event\":\"subscribe\"}\n\
                    1652459225.504232: {}\r\n\
                    1652459226: {}\n\
                    1652459225.1234567891: {}\n\
                    7 {}\n\
                    1652459225.: {}\n\
                    .5: {}\n\
                    1652459225.5 {}\n";
        let okx = Format::OkxBooks(InstId::ANY);
        let t = Tape::index(text.as_bytes().to_vec(), okx);
        assert_eq!(
            (t.len(), t.skipped()),
            (5, 3),
            "the recorder's own lines not counted"
        );
        let ns: Vec<u64> = (0..t.len()).map(|i| t.recorded_ns(i)).collect();
        assert_eq!(
            ns,
            [
                1_652_459_225_503_749_100,
                1_652_459_225_504_232_000,
                1_652_459_226_000_000_000,
                1_652_459_225_123_456_789,
                7
            ]
        );
        assert_eq!(split_cryptofeed(t.line(1)), Some((ns[1], &b"{}"[..])));
        let binance = Tape::index(text.as_bytes().to_vec(), Format::BinanceSpot);
        assert_eq!((binance.len(), binance.skipped()), (1, 9));
    }
}
