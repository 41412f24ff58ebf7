//! [`Persisted`]: a local (simulated) venue behind the [`Gateway`] seam that saves its
//! venue's records ([`LocalVenue::records`]) to a small file whenever they change, before
//! it delivers the report of the change. (A network venue keeps its own records: it
//! needs no such file, and recovery asks it.) A run killed at any point leaves a file no
//! older than the journal: every fill the journal holds is in it, and fills the journal
//! missed are found there on restart.
//!
//! The file (`venue-<i>.json`) is written to a temporary name and renamed, so it is
//! always whole. It also counts the feed lines the venue's book applied, so a restart
//! can rebuild the book by replaying the capture that far. Writing happens on the
//! gateway thread, never on the loop.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::book::Ladder;
use crate::index::BookId;
use crate::venue::{Delivery, Gateway, GatewayError, LocalVenue, Request, VenueState};

/// What the file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedVenue {
    /// Per book: its records.
    pub books: Vec<VenueState>,
    /// Per book: feed lines applied.
    pub md_lines: Vec<u64>,
}

/// A persisted local venue. See the module doc.
#[derive(Debug)]
pub struct Persisted<G> {
    /// The venue.
    pub inner: G,
    path: Option<PathBuf>,
    md_lines: Vec<u64>,
    saved_changes: u64,
    /// The first write error.
    pub error: Option<String>,
}

impl<G: LocalVenue> Persisted<G> {
    /// `inner`, saved to `path` (`None`: not saved); `md_lines` per book are the lines
    /// its books already applied (0 for a fresh run).
    pub fn new(inner: G, path: Option<PathBuf>, md_lines: Vec<u64>) -> Persisted<G> {
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

    /// Saves if the records changed since the last save.
    fn save(&mut self) {
        let changes = self.inner.changes();
        let Some(path) = self.path.as_ref() else {
            return;
        };
        if changes == self.saved_changes {
            return;
        }
        let saved = SavedVenue {
            books: self.inner.records(),
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
}

impl SavedVenue {
    /// Reads a saved venue (an order id the engine cannot have sent is an error).
    pub fn load(path: &std::path::Path) -> Result<SavedVenue, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    }
}

impl<G: LocalVenue> Gateway for Persisted<G> {
    fn send(&mut self, book: BookId, req: Request, now_ns: u64) -> Result<(), GatewayError> {
        self.inner.send(book, req, now_ns)
    }

    fn poll(&mut self, now_ns: u64) -> Result<Option<Delivery>, GatewayError> {
        let d = self.inner.poll(now_ns)?;
        if d.is_some() {
            // The venue's records first, then the report: the journal is never ahead.
            self.save();
        }
        Ok(d)
    }

    fn in_flight(&self) -> usize {
        self.inner.in_flight()
    }
}

impl<G: LocalVenue> LocalVenue for Persisted<G> {
    fn book_ladder(&mut self, book: BookId) -> Option<&mut Ladder> {
        if let Some(n) = self.md_lines.get_mut(book.index()) {
            *n += 1;
        }
        self.inner.book_ladder(book)
    }

    fn on_book(&mut self, book: BookId, now_ns: u64) -> Result<(), GatewayError> {
        self.inner.on_book(book, now_ns)
    }

    fn changes(&self) -> u64 {
        self.inner.changes()
    }

    fn records(&self) -> Vec<VenueState> {
        self.inner.records()
    }

    fn ledger(&self, book: BookId) -> Option<(i64, i128)> {
        self.inner.ledger(book)
    }
}
