//! Helpers for the decoders' unit tests: real messages from the repository's `data/`
//! captures, and a comparable picture of a ladder.

use std::io::{BufRead, BufReader};

use crate::book::{Ladder, Level, Side};

/// Path of a file under `data/market/`.
pub(crate) fn data_path(rel: &str) -> String {
    format!("{}/data/market/{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// The JSON of the first `n` lines of an hftbacktest capture (`<ns> <json>`, gzip) for
/// which `keep` is true, read without decompressing the rest of the file.
pub(crate) fn capture_lines(rel: &str, n: usize, keep: impl Fn(&[u8]) -> bool) -> Vec<Vec<u8>> {
    let file = std::fs::File::open(data_path(rel)).unwrap();
    let mut reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let mut out = Vec::new();
    let mut line = Vec::new();
    while out.len() < n && reader.read_until(b'\n', &mut line).unwrap() > 0 {
        let (_, json) = crate::feed::binance::split_line(&line).unwrap();
        if keep(json) {
            out.push(json.to_vec());
        }
        line.clear();
    }
    out
}

/// Everything observable about a ladder: both sides best first, the sequence number and
/// where depth becomes unknown.
pub(crate) type BookState = (Vec<Level>, Vec<Level>, u64, Option<i64>, Option<i64>);

/// The observable state of `l`, for before/after comparisons.
pub(crate) fn state(l: &Ladder) -> BookState {
    (
        l.levels(Side::Bid).collect(),
        l.levels(Side::Ask).collect(),
        l.seq(),
        l.unknown_from(Side::Bid),
        l.unknown_from(Side::Ask),
    )
}

/// Byte offsets at which to truncate a message of `len` bytes: every one.
pub(crate) fn cuts(len: usize) -> impl Iterator<Item = usize> {
    0..len
}

/// The variant name of `e` and the field it names, for compact assertions.
pub(crate) fn what(e: &crate::feed::FeedError) -> (&'static str, &'static str) {
    use crate::feed::FeedError as E;
    match *e {
        E::Json(_) => ("Json", ""),
        E::Value { field, .. } => ("Value", field),
        E::Num { field, .. } => ("Num", field),
        E::Book(_) => ("Book", ""),
        E::MissingField(field) => ("MissingField", field),
        E::DuplicateField(field) => ("DuplicateField", field),
        E::Shape { field, .. } => ("Shape", field),
        E::WrongType { expected, .. } => ("WrongType", expected),
        E::NoSnapshot => ("NoSnapshot", ""),
        E::BufferFull { .. } => ("BufferFull", ""),
        E::UnknownFormat(_) => ("UnknownFormat", ""),
        E::EmptySide(_) => ("EmptySide", ""),
        E::ChecksumMismatch { .. } => ("ChecksumMismatch", ""),
        E::ChecksumDepth { .. } => ("ChecksumDepth", ""),
    }
}
