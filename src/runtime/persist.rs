//! [`Persisted`]: a simulated exchange behind the [`Gateway`] seam that saves its venue's
//! records to a small file whenever they change, before it delivers the report of the
//! change. A run killed at any point leaves a file no older than the journal: every fill
//! the journal holds is in it, and fills the journal missed are found there on restart.
//!
//! The file (`venue-<i>.json`) is written to a temporary name and renamed, so it is
//! always whole. It also counts the feed lines the venue's book applied, so a restart
//! can rebuild the book by replaying the capture that far. Writing happens on the
//! gateway thread, never on the loop.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::gateway::Gateway;
use crate::book::Ladder;
use crate::sim::{Delivery, SimError, SimExchange, VenueRequest, VenueState};

/// What the file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedVenue {
    /// Per book: its records.
    pub books: Vec<VenueState>,
    /// Per book: feed lines applied.
    pub md_lines: Vec<u64>,
}

/// A persisted simulated exchange. See the module doc.
#[derive(Debug)]
pub struct Persisted {
    /// The exchange.
    pub inner: SimExchange,
    path: Option<PathBuf>,
    md_lines: Vec<u64>,
    saved_changes: u64,
    /// The first write error.
    pub error: Option<String>,
}

impl Persisted {
    /// `inner`, saved to `path` (`None`: not saved); `md_lines` per book are the lines
    /// its books already applied (0 for a fresh run).
    pub fn new(inner: SimExchange, path: Option<PathBuf>, md_lines: Vec<u64>) -> Persisted {
        let mut p = Persisted {
            inner,
            path,
            md_lines,
            saved_changes: u64::MAX,
            error: None,
        };
        p.save();
        p
    }

    fn changes(&self) -> u64 {
        self.inner.books().iter().map(|b| b.changes()).sum()
    }

    /// Saves if the records changed since the last save.
    fn save(&mut self) {
        let changes = self.changes();
        let Some(path) = self.path.as_ref() else {
            return;
        };
        if changes == self.saved_changes {
            return;
        }
        let saved = SavedVenue {
            books: self.inner.books().iter().map(|b| b.state()).collect(),
            md_lines: self.md_lines.clone(),
        };
        let tmp = path.with_extension("tmp");
        let r = serde_json::to_vec(&saved)
            .map_err(|e| e.to_string())
            .and_then(|bytes| std::fs::write(&tmp, bytes).map_err(|e| e.to_string()))
            .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| e.to_string()));
        match r {
            Ok(()) => self.saved_changes = changes,
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
    }

    /// Saves now if the records changed (at the end of a run).
    pub fn flush(&mut self) {
        self.save();
    }

    /// Reads a saved venue.
    pub fn load(path: &std::path::Path) -> Result<SavedVenue, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    }
}

impl Gateway for Persisted {
    fn send(&mut self, book: usize, req: VenueRequest, now_ns: u64) -> Result<(), SimError> {
        self.inner.send(book, req, now_ns)
    }

    fn poll(&mut self, now_ns: u64) -> Result<Option<Delivery>, SimError> {
        let d = Gateway::poll(&mut self.inner, now_ns)?;
        if d.is_some() {
            // The venue's records first, then the report: the journal is never ahead.
            self.save();
        }
        Ok(d)
    }

    fn in_flight(&self) -> usize {
        self.inner.in_flight()
    }

    fn book_ladder(&mut self, book: usize) -> Option<&mut Ladder> {
        if let Some(n) = self.md_lines.get_mut(book) {
            *n += 1;
        }
        Gateway::book_ladder(&mut self.inner, book)
    }

    fn on_book(&mut self, book: usize, now_ns: u64) -> Result<(), SimError> {
        Gateway::on_book(&mut self.inner, book, now_ns)
    }
}
