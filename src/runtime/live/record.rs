//! [`Recorder`]: a [`LineSink`] that writes a live feed's lines to gzip files in the
//! replay format (`<local_ns> <exchange JSON>` a line), so a recording replays in
//! `legcore run` unchanged. The client hands it every market line it applied, Binance's
//! REST snapshots included where they came (control replies are not market lines).
//!
//! Files rotate by size (uncompressed bytes) or age. A rotated file must replay alone, so
//! a due rotation waits for a live book, and a new file's first line is the book written
//! as the venue's own snapshot: Binance, a REST depth snapshot with `lastUpdateId` = the
//! book's sequence, followed by the diff that made that state (the first diff a replay
//! applies must straddle `lastUpdateId`, and a diff's sizes are absolute); Bybit, an
//! `orderbook` snapshot with `u` = the sequence, in place of the delta that made it; OKX,
//! a `books` snapshot (top 400 a side, `seqId` = the sequence when the stream carries
//! ids, checksum 0: the next update's own checksum is verified over the book it
//! installs), in place of the update. A Hyperliquid line is a whole book already. A
//! Binance part starts on a depth diff (a due rotation waits for the next one), so that
//! the diff after its snapshot straddles it.
//!
//! A line's raw JSON never holds a newline outside a string (a JSON string escapes it), so
//! line breaks in a body (a pretty-printed snapshot) are written as spaces.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;

use super::client::LineSink;
use super::Health;
use crate::book::{Ladder, Side};
use crate::feed::binance::{classify, split_line, LineKind};
use crate::feed::Format;
use crate::num::Step;

/// When a recording starts a new file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rotate {
    /// After this many (uncompressed) bytes.
    pub bytes: Option<u64>,
    /// After this long, ns.
    pub age_ns: Option<u64>,
}

/// Why a recording cannot go on or start.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// A file could not be created or written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
}

/// What a recording wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// The files, in order.
    pub files: Vec<PathBuf>,
    /// Lines written (snapshots written at a rotation included).
    pub lines: u64,
    /// Uncompressed bytes written.
    pub bytes: u64,
}

/// The sink; see the module doc.
pub struct Recorder {
    stem: PathBuf,
    format: Format,
    symbol: String,
    steps: (Step, Step),
    rotate: Rotate,
    out: Option<GzEncoder<BufWriter<File>>>,
    file_bytes: u64,
    file_start_ns: u64,
    text: String,
    line: Vec<u8>,
    /// The last OKX line carried `seqId` (the ladder's sequence is then that id, not a
    /// time): a written snapshot carries it too.
    okx_seq_ids: bool,
    /// What was written so far.
    pub recorded: Recorded,
    /// The first write error; the recording stopped there.
    pub error: Option<RecordError>,
}

impl Recorder {
    /// A recorder writing `<stem>.<part>.raw.gz` files (part from 0) for a feed of
    /// `format` on `symbol` with the instrument's tick and lot.
    pub fn new(
        stem: &Path,
        format: Format,
        symbol: &str,
        steps: (Step, Step),
        rotate: Rotate,
    ) -> Recorder {
        Recorder {
            stem: stem.to_path_buf(),
            format,
            symbol: symbol.to_owned(),
            steps,
            rotate,
            out: None,
            file_bytes: 0,
            file_start_ns: 0,
            text: String::new(),
            line: Vec::with_capacity(64 * 1024),
            okx_seq_ids: false,
            recorded: Recorded::default(),
            error: None,
        }
    }

    /// Finishes the current file (the gzip trailer).
    pub fn finish(&mut self) -> Result<(), RecordError> {
        let Some(out) = self.out.take() else {
            return Ok(());
        };
        let path = self.recorded.files.last().cloned().unwrap_or_default();
        let io = |source| RecordError::Io {
            path: path.display().to_string(),
            source,
        };
        out.finish().map_err(io)?.flush().map_err(io)
    }

    fn due(&self, now: u64) -> bool {
        let big = self.rotate.bytes.is_some_and(|b| self.file_bytes >= b);
        let old = (self.rotate.age_ns).is_some_and(|a| now.saturating_sub(self.file_start_ns) >= a);
        self.out.is_none() || big || old
    }

    fn open(&mut self, now: u64) -> Result<(), RecordError> {
        self.finish()?;
        let n = self.recorded.files.len();
        let path = PathBuf::from(format!("{}.{n:04}.raw.gz", self.stem.display()));
        let file = File::create(&path).map_err(|source| RecordError::Io {
            path: path.display().to_string(),
            source,
        })?;
        self.out = Some(GzEncoder::new(BufWriter::new(file), Compression::fast()));
        self.recorded.files.push(path);
        (self.file_bytes, self.file_start_ns) = (0, now);
        Ok(())
    }

    /// Writes `<ns> <json>\n` (line breaks in `json` as spaces) through the kept line
    /// buffer: no allocation per line.
    fn write(&mut self, ns: u64, json: &[u8]) -> Result<(), RecordError> {
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        self.line.clear();
        // Writing into a Vec cannot fail.
        let _ = write!(self.line, "{ns} ");
        let body = json
            .iter()
            .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b });
        self.line.extend(body);
        self.line.push(b'\n');
        if let Err(source) = out.write_all(&self.line) {
            let path = self.recorded.files.last().map(|p| p.display().to_string());
            let path = path.unwrap_or_default();
            return Err(RecordError::Io { path, source });
        }
        let n = self.line.len() as u64;
        self.file_bytes += n;
        self.recorded.bytes += n;
        self.recorded.lines += 1;
        Ok(())
    }

    /// One line: a new file first when one is due; a new file on a live book starts
    /// with the book as a snapshot in place of the line.
    fn record(&mut self, line: &[u8], book: &Ladder, live: bool) -> Result<(), RecordError> {
        let Some((ns, json)) = split_line(line) else {
            return Ok(());
        };
        if matches!(self.format, Format::OkxBooks(_)) {
            self.okx_seq_ids = json.windows(8).any(|w| w == b"\"seqId\":");
        }
        // A due part waits for a live book (its first line must be the book), and a
        // Binance part for a depth diff (see below).
        let diff = !self.format_is_binance() || classify(json) == LineKind::Depth;
        if self.out.is_some() && !(self.due(ns) && live && diff) {
            return self.write(ns, json);
        }
        let first = self.out.is_none();
        self.open(ns)?;
        if first {
            return self.write(ns, json);
        }
        if let Some(snap) = self.snapshot(book, ns) {
            self.write(ns, snap.as_bytes())?;
            if !self.format_is_binance() {
                return Ok(()); // Bybit, OKX: the snapshot stands for the update
            }
        }
        // Binance: the diff after the snapshot of its own state. The first diff a replay
        // applies must straddle `lastUpdateId` (USD-M: `U <= id <= u`), which this one
        // does; its sizes are absolute, so applying it again changes nothing.
        self.write(ns, json)
    }

    fn format_is_binance(&self) -> bool {
        matches!(
            self.format,
            Format::BinanceSpot | Format::BinanceUsdm | Format::BinanceCoinm
        )
    }

    /// `book` as the venue's snapshot message, for the formats that need one.
    fn snapshot(&mut self, book: &Ladder, ns: u64) -> Option<String> {
        let (tick, lot) = self.steps;
        // OKX levels are [price, size, liquidated orders, orders], at most 400 a side.
        let (tail, most) = match self.format {
            Format::OkxBooks(_) => (r#","0","1""#, crate::feed::okx::WINDOW),
            _ => ("", usize::MAX),
        };
        let levels = |side: Side| {
            let mut t = String::from("[");
            for (k, l) in book.levels(side).take(most).enumerate() {
                let sep = if k == 0 { "" } else { "," };
                let (p, q) = (tick.to_decimal(l.price_ticks), lot.to_decimal(l.qty_lots));
                let _ = write!(t, r#"{sep}["{p}","{q}"{tail}]"#);
            }
            t + "]"
        };
        let (bids, asks) = (levels(Side::Bid), levels(Side::Ask));
        let (seq, ms) = (book.seq(), ns / 1_000_000);
        self.text.clear();
        match self.format {
            Format::BinanceSpot | Format::BinanceUsdm | Format::BinanceCoinm => {
                let _ = write!(
                    self.text,
                    r#"{{"lastUpdateId":{seq},"E":{ms},"T":{ms},"bids":{bids},"asks":{asks}}}"#
                );
            }
            Format::BybitOrderbook500 => {
                let s = &self.symbol;
                let _ = write!(
                    self.text,
                    r#"{{"topic":"orderbook.500.{s}","type":"snapshot","ts":{ms},"data":{{"s":"{s}","b":{bids},"a":{asks},"u":{seq},"seq":{seq}}},"cts":{ms}}}"#
                );
            }
            Format::OkxBooks(inst) => {
                let i = inst.as_str();
                // Checksum 0: not verified (the next update's own checksum is, over the
                // book this snapshot installs).
                let ids = if self.okx_seq_ids {
                    format!(r#","seqId":{seq},"prevSeqId":-1"#)
                } else {
                    String::new()
                };
                let _ = write!(
                    self.text,
                    r#"{{"arg":{{"channel":"books","instId":"{i}"}},"action":"snapshot","data":[{{"asks":{asks},"bids":{bids},"ts":"{ms}","checksum":0{ids}}}]}}"#
                );
            }
            Format::HyperliquidL2Book => return None,
        }
        Some(self.text.clone())
    }
}

impl LineSink for Recorder {
    fn on_line(&mut self, line: &[u8], book: &Ladder, live: bool, _: &Health) -> bool {
        if self.error.is_some() {
            return false;
        }
        match self.record(line, book, live) {
            Ok(()) => true,
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::{Depth, Level};
    use crate::feed::okx::InstId;

    fn steps() -> (Step, Step) {
        (Step::parse("0.1").unwrap(), Step::parse("0.001").unwrap())
    }

    /// Records `path` (the real capture, as a live client would hand it on) rotating
    /// every 4 000 bytes; every part must replay alone, live from its first line to its
    /// last (later updates' checksums verified over the written snapshot's book), and the
    /// last part end on the whole capture's book.
    fn rotated_parts_replay_alone(path: &str, format: Format, symbol: &str, steps: (Step, Step)) {
        use crate::feed::{BookFeed, Tape};
        let tape = Tape::load(path, format).unwrap();
        let dir = std::env::temp_dir().join(format!("legcore-rot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let stem = dir.join(symbol);
        let rotate = Rotate {
            bytes: Some(4_000),
            age_ns: None,
        };
        let mut rec = Recorder::new(&stem, format, symbol, steps, rotate);
        let mut feed = BookFeed::new(format, steps.0, steps.1);
        let mut book = Ladder::new(4_096, 4_096);
        let health = Health::default();
        for i in 0..tape.len() {
            let mut line = format!("{} ", 1_000_000 + i).into_bytes();
            let raw = tape.line(i);
            line.extend_from_slice(&raw[raw.iter().position(|&b| b == b'{').unwrap()..]);
            let live = feed.on_line(&mut book, &line);
            assert!(rec.on_line(&line, &book, live, &health));
        }
        let levels = |l: &Ladder| {
            l.levels(Side::Bid)
                .chain(l.levels(Side::Ask))
                .collect::<Vec<_>>()
        };
        rec.finish().unwrap();
        let files = rec.recorded.files.clone();
        assert!(files.len() >= 3, "{path}: {} parts", files.len());
        for (k, f) in files.iter().enumerate().skip(1) {
            let part = Tape::load(f, format).unwrap();
            let mut feed = BookFeed::new(format, steps.0, steps.1);
            let mut alone = Ladder::new(4_096, 4_096);
            let first_live = feed.on_line(&mut alone, part.line(0));
            let head =
                String::from_utf8_lossy(&part.line(0)[..120.min(part.line(0).len())]).to_string();
            assert!(
                first_live,
                "{path}: part {k} not live: {:?} {head}",
                feed.last_error
            );
            for j in 1..part.len() {
                let live = feed.on_line(&mut alone, part.line(j));
                assert!(live, "{path}: part {k} line {j}: {:?}", feed.last_error);
            }
            if k + 1 == files.len() {
                assert_eq!(levels(&alone), levels(&book), "{path}: the last part's end");
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn okx_and_bybit_parts_replay_alone() {
        let root = env!("CARGO_MANIFEST_DIR");
        let okx = Format::OkxBooks(InstId::new("BTC-USDT").unwrap());
        let okx_steps = (
            Step::parse("0.1").unwrap(),
            Step::parse("0.00000001").unwrap(),
        );
        let okx_path = format!("{root}/data/market/okx/cryptofeed_OKX.ws.1.0.txt.gz");
        rotated_parts_replay_alone(&okx_path, okx, "BTC-USDT", okx_steps);
        let bybit_steps = (Step::parse("0.0001").unwrap(), Step::ONE);
        let bybit_path = format!("{root}/data/market/bybit/2024-12-01_XRPUSDT_ob500.data.jsonl");
        rotated_parts_replay_alone(
            &bybit_path,
            Format::BybitOrderbook500,
            "XRPUSDT",
            bybit_steps,
        );
    }

    #[test]
    fn a_written_bybit_snapshot_is_the_book_in_the_venues_shape() {
        let stem = std::env::temp_dir().join("legcore-record-unit-bybit");
        let mut r = Recorder::new(
            &stem,
            Format::BybitOrderbook500,
            "BTCUSDT",
            steps(),
            Rotate::default(),
        );
        let mut book = Ladder::new(8, 8);
        let lv = |price_ticks, qty_lots| Level {
            price_ticks,
            qty_lots,
        };
        book.apply_snapshot(&[lv(100, 1500)], &[lv(101, 2)], 42, Depth::Partial)
            .unwrap();
        let snap = r.snapshot(&book, 5_000_000).unwrap();
        assert_eq!(
            snap,
            r#"{"topic":"orderbook.500.BTCUSDT","type":"snapshot","ts":5,"data":{"s":"BTCUSDT","b":[["10.0","1.500"]],"a":[["10.1","0.002"]],"u":42,"seq":42},"cts":5}"#
        );
    }
}
