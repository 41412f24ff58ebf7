//! The journal on disk: `DIR/journal.jsonl`, one JSON object per line, appended by the
//! recorder thread. Each line ends with `"crc":"xxxxxxxx"`, the CRC-32 of the line's
//! bytes before `"crc"` (through the comma), so pandas or DuckDB read the file as plain
//! JSON lines (the seal is one more string column) and [`read`] can tell a good record
//! from a torn one.
//!
//! Every whole line is then parsed into its typed [`Line`] (the schema is in
//! [`super::line`] and `docs/journal.md`); a line that is not one (bad JSON, an unknown
//! kind, a missing field, a wrong type, a bad decimal) is refused with its line number,
//! never defaulted or skipped. The first record must be the `opened` line of schema
//! [`SCHEMA`]: a journal of the untyped format before it (which has none) or of another
//! schema is refused with one message saying how to proceed.
//!
//! On open, a torn tail (a last line without its newline or with a bad checksum, as a
//! crash mid-write leaves) is cut back to the last good record; a bad line anywhere
//! else is corruption and is refused with its line number, never skipped. Records are
//! numbered by `seq` from 1 without gaps: a line duplicated, swapped or lost (each still
//! correctly sealed) is refused the same way.
//!
//! Durability ([`Fsync`]): `group` (default) syncs after every group end, `always`
//! after every record, `never` leaves it to the OS.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::line::{Envelope, Line, LineError, SCHEMA};

/// When the writer calls `fsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// After every record.
    Always,
    /// After every group end (and at the end of the run).
    Group,
    /// Never (the OS writes back).
    Never,
}

/// Why a journal could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The file system said no.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The OS error.
        source: io::Error,
    },
    /// A line before the tail fails its checksum or is not a record.
    #[error("{path}: line {line}: {why} (the journal is corrupt before its tail)")]
    Corrupt {
        /// The path.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        why: &'static str,
    },
    /// A whole record whose `seq` is not the one after its predecessor's: a line
    /// duplicated, swapped or lost. Refused: a journal is read in its written order.
    #[error(
        "{path}: line {line}: seq {found}, expected {expected} (lines duplicated, reordered \
         or missing)"
    )]
    Sequence {
        /// The path.
        path: String,
        /// 1-based line number.
        line: usize,
        /// The line's `seq` (`None`: missing or not a number).
        found: SeqText,
        /// The predecessor's plus one.
        expected: u64,
    },
    /// A whole, sealed line that is not a line of this schema.
    #[error("{path}: line {line}: {why}")]
    Line {
        /// The path.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        why: LineError,
    },
    /// A journal whose first line is not an `opened` line: the untyped format that
    /// legcore wrote before journal schema 2.
    #[error(
        "{path}: written by an older legcore (no journal schema line; this legcore reads \
         schema {SCHEMA}): read or resume it with the legcore that wrote it, and give new \
         runs a new --journal directory"
    )]
    OldFormat {
        /// The path.
        path: String,
    },
    /// A journal of another schema version.
    #[error(
        "{path}: journal schema {found}, written by {by} legcore (this legcore reads schema \
         {SCHEMA}): read or resume it with the legcore that wrote it"
    )]
    Version {
        /// The path.
        path: String,
        /// Its schema.
        found: u32,
        /// `an older` or `a newer`.
        by: &'static str,
    },
}

/// A record's `seq` as found, for [`JournalError::Sequence`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqText(pub Option<u64>);

impl std::fmt::Display for SeqText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(s) => write!(f, "{s}"),
            None => f.write_str("missing"),
        }
    }
}

/// The journal file in `dir`.
pub fn path_in(dir: &Path) -> PathBuf {
    dir.join("journal.jsonl")
}

/// Appends `,"crc":"…"}` to a serialized object (`{…}`), and a newline.
pub fn seal(json: &str) -> String {
    let body = json.strip_suffix('}').unwrap_or(json);
    let sep = if body.ends_with('{') { "" } else { "," };
    let head = format!("{body}{sep}");
    let crc = crc32fast::hash(head.as_bytes());
    format!("{head}\"crc\":\"{crc:08x}\"}}\n")
}

/// Whether one line (without its newline) is whole: its seal's CRC-32 matches.
pub fn sealed(line: &str) -> bool {
    let Some(at) = line.rfind("\"crc\":\"") else {
        return false;
    };
    let (head, tail) = line.split_at(at);
    let hex = tail
        .strip_prefix("\"crc\":\"")
        .and_then(|t| t.strip_suffix("\"}"));
    let crc = hex.and_then(|h| (h.len() == 8).then(|| u32::from_str_radix(h, 16).ok())?);
    crc == Some(crc32fast::hash(head.as_bytes()))
}

/// What [`read`] found.
#[derive(Debug)]
pub struct Read {
    /// The good records, in order (record `seq` is at index `seq - 1`).
    pub records: Vec<Line>,
    /// Bytes cut from a torn tail (0: none).
    pub cut_bytes: usize,
}

impl Read {
    /// Every group end (`ended` lines), in journal order.
    pub fn ended(&self) -> impl Iterator<Item = &super::line::Ended> {
        self.records.iter().filter_map(|r| match r {
            Line::Ended(e) => Some(e),
            _ => None,
        })
    }
}

/// Reads the journal at `path`. A torn tail is reported in `cut_bytes` and, when
/// `repair`, cut from the file.
pub fn read(path: &Path, repair: bool) -> Result<Read, JournalError> {
    let io_err = |source| JournalError::Io {
        path: path.display().to_string(),
        source,
    };
    let bytes = std::fs::read(path).map_err(io_err)?;
    let (records, good_end) = parse_lines(path, &bytes)?;
    let cut_bytes = bytes.len() - good_end;
    if repair && cut_bytes > 0 {
        let f = OpenOptions::new().write(true).open(path).map_err(io_err)?;
        f.set_len(good_end as u64).map_err(io_err)?;
        f.sync_all().map_err(io_err)?;
    }
    Ok(Read { records, cut_bytes })
}

/// The records of a journal held in memory (`label` names it in errors: a file, or a
/// stream's subject), as [`read`] finds them without repairing.
pub fn read_bytes(label: &Path, bytes: &[u8]) -> Result<Read, JournalError> {
    let (records, good_end) = parse_lines(label, bytes)?;
    Ok(Read {
        records,
        cut_bytes: bytes.len() - good_end,
    })
}

/// The records of a journal's `bytes`, and where the last whole one ends.
fn parse_lines(path: &Path, bytes: &[u8]) -> Result<(Vec<Line>, usize), JournalError> {
    let mut records = Vec::new();
    let mut good_end = 0usize;
    let mut start = 0usize;
    let mut line_no = 0usize;
    while start < bytes.len() {
        line_no += 1;
        let nl = bytes[start..].iter().position(|&b| b == b'\n');
        let end = nl.map_or(bytes.len(), |n| start + n);
        let text = std::str::from_utf8(&bytes[start..end])
            .ok()
            .filter(|t| sealed(t));
        let last = nl.is_none() || end + 1 == bytes.len();
        match (text, nl) {
            (Some(t), Some(_)) => {
                records.push(record(path, line_no, t, records.len())?);
                good_end = end + 1;
            }
            _ if last => break, // a torn tail
            _ => {
                return Err(JournalError::Corrupt {
                    path: path.display().to_string(),
                    line: line_no,
                    why: "checksum mismatch or not a record",
                })
            }
        }
        start = end + 1;
    }
    Ok((records, good_end))
}

/// Whole line `line` (`text`), after `n` records: its typed record, if it is the next
/// one and (the first) opens a journal of this schema.
fn record(path: &Path, line: usize, text: &str, n: usize) -> Result<Line, JournalError> {
    let path = || path.display().to_string();
    let bad = |why| JournalError::Line {
        path: path(),
        line,
        why,
    };
    let env = Envelope::of(text).map_err(bad)?;
    let expected = n as u64 + 1;
    if env.seq != Some(expected) {
        return Err(JournalError::Sequence {
            path: path(),
            line,
            found: SeqText(env.seq),
            expected,
        });
    }
    if n == 0 && env.kind.as_deref() != Some("opened") {
        return Err(JournalError::OldFormat { path: path() });
    }
    match env.schema {
        Some(found) if found != SCHEMA && env.kind.as_deref() == Some("opened") => {
            Err(JournalError::Version {
                path: path(),
                found,
                by: if found < SCHEMA {
                    "an older"
                } else {
                    "a newer"
                },
            })
        }
        _ => env.parse(text).map_err(bad),
    }
}

/// Appends sealed records to a journal file.
#[derive(Debug)]
pub struct Writer {
    file: File,
    path: PathBuf,
    fsync: Fsync,
    /// The first write error, kept (the recorder cannot stop the run).
    pub error: Option<io::Error>,
}

impl Writer {
    /// Opens (creating `dir`) the journal in `dir` for appending, after cutting a torn
    /// tail. A corrupt journal is refused.
    pub fn open(dir: &Path, fsync: Fsync) -> Result<(Writer, Read), JournalError> {
        let io_err = |source| JournalError::Io {
            path: dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io_err)?;
        let path = path_in(dir);
        let found = if path.exists() {
            read(&path, true)?
        } else {
            Read {
                records: Vec::new(),
                cut_bytes: 0,
            }
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io_err)?;
        Ok((
            Writer {
                file,
                path,
                fsync,
                error: None,
            },
            found,
        ))
    }

    /// Writes one serialized object; `group_end` marks a sync point for `Fsync::Group`.
    pub fn write(&mut self, json: &str, group_end: bool) {
        let line = seal(json);
        let mut r = self.file.write_all(line.as_bytes());
        let sync = match self.fsync {
            Fsync::Always => true,
            Fsync::Group => group_end,
            Fsync::Never => false,
        };
        if r.is_ok() && sync {
            r = self.file.sync_data();
        }
        if let Err(e) = r {
            self.error.get_or_insert(e);
        }
    }

    /// Syncs what was written.
    pub fn finish(&mut self) {
        if let Err(e) = self.file.sync_all() {
            self.error.get_or_insert(e);
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
