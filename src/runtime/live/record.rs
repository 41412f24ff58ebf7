//! [`Recorder`]: a [`LineSink`] that writes a live feed's lines to gzip files in the
//! replay format (`<local_ns> <exchange JSON>` a line), so a recording replays in
//! `legcore run` unchanged. The client hands it every market line it applied, Binance's
//! REST snapshots included where they came (control replies are not market lines).
//!
//! Files rotate by size (uncompressed bytes) or age. A rotated file must replay alone, so
//! when a new file starts on a live book, its first line is the book at that point written
//! as the venue's own snapshot: Binance, a REST depth snapshot with `lastUpdateId` = the
//! book's sequence, followed by the diff that made that state (the first diff a replay
//! applies must straddle `lastUpdateId`, and a diff's sizes are absolute); Bybit, an
//! `orderbook` snapshot with `u` = the sequence, in place of the delta that made it. A
//! Hyperliquid line is a whole book already. A Binance part starts on a depth diff (a due
//! rotation waits for the next one), so that the diff after its snapshot straddles it. OKX's
//! checksums are over the venue's own number strings, which a written snapshot cannot
//! reproduce: OKX recordings do not rotate (refused up front by [`Recorder::new`]).
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
    /// Rotation asked for a format whose files cannot start with a written snapshot.
    #[error("{0} recordings cannot rotate (its checksums are over the venue's own strings)")]
    NoRotation(&'static str),
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
    ) -> Result<Recorder, RecordError> {
        let rotates = rotate.bytes.is_some() || rotate.age_ns.is_some();
        if rotates && matches!(format, Format::OkxBooks(_)) {
            return Err(RecordError::NoRotation(format.name()));
        }
        Ok(Recorder {
            stem: stem.to_path_buf(),
            format,
            symbol: symbol.to_owned(),
            steps,
            rotate,
            out: None,
            file_bytes: 0,
            file_start_ns: 0,
            text: String::new(),
            recorded: Recorded::default(),
            error: None,
        })
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

    fn write(&mut self, ns: u64, json: &[u8]) -> Result<(), RecordError> {
        let path = self.recorded.files.last().cloned().unwrap_or_default();
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        let head = format!("{ns} ");
        let mut body = json.to_vec();
        body.iter_mut()
            .filter(|b| **b == b'\n' || **b == b'\r')
            .for_each(|b| *b = b' ');
        let io = |source| RecordError::Io {
            path: path.display().to_string(),
            source,
        };
        out.write_all(head.as_bytes()).map_err(io)?;
        out.write_all(&body).map_err(io)?;
        out.write_all(b"\n").map_err(io)?;
        let n = (head.len() + body.len() + 1) as u64;
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
        // A live Binance book starts a part on a depth diff only (see below).
        let wait = live && self.format_is_binance() && classify(json) != LineKind::Depth;
        if !self.due(ns) || (wait && self.out.is_some()) {
            return self.write(ns, json);
        }
        let first = self.out.is_none();
        self.open(ns)?;
        if first || !live {
            return self.write(ns, json);
        }
        if let Some(snap) = self.snapshot(book, ns) {
            self.write(ns, snap.as_bytes())?;
            if !self.format_is_binance() {
                return Ok(()); // Bybit: the snapshot stands for the delta
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
        let levels = |side: Side| {
            let mut t = String::from("[");
            for (k, l) in book.levels(side).enumerate() {
                let sep = if k == 0 { "" } else { "," };
                let (p, q) = (tick.to_decimal(l.price_ticks), lot.to_decimal(l.qty_lots));
                let _ = write!(t, r#"{sep}["{p}","{q}"]"#);
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
            Format::HyperliquidL2Book | Format::OkxBooks(_) => return None,
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

    #[test]
    fn okx_recordings_refuse_to_rotate_and_record_whole() {
        let okx = Format::OkxBooks(InstId::new("BTC-USDT").unwrap());
        let rotate = Rotate {
            bytes: Some(1),
            age_ns: None,
        };
        let stem = std::env::temp_dir().join("legcore-record-unit-okx");
        let err = Recorder::new(&stem, okx, "BTC-USDT", steps(), rotate).err();
        assert!(
            matches!(err, Some(RecordError::NoRotation("okx-books"))),
            "{err:?}"
        );
        assert!(Recorder::new(&stem, okx, "BTC-USDT", steps(), Rotate::default()).is_ok());
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
        )
        .unwrap();
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
