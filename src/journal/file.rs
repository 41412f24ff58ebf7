//! The journal on disk: `DIR/journal.jsonl`, one JSON object per line, appended by the
//! recorder thread. Each line ends with `"crc":"xxxxxxxx"`, the CRC-32 of the line's
//! bytes before `,"crc"`, so pandas or DuckDB read the file as plain JSON lines and
//! [`read`] can tell a good record from a torn one.
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

use serde_json::Value;

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

/// Checks one line (without its newline); `Some(record)` if it is sealed and whole.
pub fn unseal(line: &str) -> Option<Value> {
    let at = line.rfind("\"crc\":\"")?;
    let (head, tail) = line.split_at(at);
    let hex = tail.strip_prefix("\"crc\":\"")?.strip_suffix("\"}")?;
    let crc = u32::from_str_radix(hex, 16).ok()?;
    (hex.len() == 8 && crc32fast::hash(head.as_bytes()) == crc).then_some(())?;
    serde_json::from_str(line).ok()
}

/// What [`read`] found.
#[derive(Debug)]
pub struct Read {
    /// The good records, in order.
    pub records: Vec<Value>,
    /// Bytes cut from a torn tail (0: none).
    pub cut_bytes: usize,
}

/// Reads the journal at `path`. A torn tail is reported in `cut_bytes` and, when
/// `repair`, cut from the file.
pub fn read(path: &Path, repair: bool) -> Result<Read, JournalError> {
    let io_err = |source| JournalError::Io {
        path: path.display().to_string(),
        source,
    };
    let bytes = std::fs::read(path).map_err(io_err)?;
    let mut records = Vec::new();
    let mut good_end = 0usize;
    let mut start = 0usize;
    let mut line_no = 0usize;
    while start < bytes.len() {
        line_no += 1;
        let nl = bytes[start..].iter().position(|&b| b == b'\n');
        let end = nl.map_or(bytes.len(), |n| start + n);
        let text = std::str::from_utf8(&bytes[start..end]).ok();
        let rec = text.and_then(unseal);
        let last = nl.is_none() || end + 1 == bytes.len();
        match (rec, nl) {
            (Some(r), Some(_)) => {
                let expected = records.len() as u64 + 1;
                let found = r["seq"].as_u64();
                if found != Some(expected) {
                    return Err(JournalError::Sequence {
                        path: path.display().to_string(),
                        line: line_no,
                        found: SeqText(found),
                        expected,
                    });
                }
                records.push(r);
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
    let cut_bytes = bytes.len() - good_end;
    if repair && cut_bytes > 0 {
        let f = OpenOptions::new().write(true).open(path).map_err(io_err)?;
        f.set_len(good_end as u64).map_err(io_err)?;
        f.sync_all().map_err(io_err)?;
    }
    Ok(Read { records, cut_bytes })
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
