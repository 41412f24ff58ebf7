//! Index newtypes: which venue, which book on it, which leg of a group, which job of a
//! run. Each is a plain number underneath, but a venue index passed where a book index
//! belongs is a compile error, not a wrong order on the wrong instrument.
//!
//! They hold a `usize` so that making one from a slice position never fails (no new
//! error path, no `as`), and [`index`](VenueId::index) gives it back for slicing.
//! Serde reads and writes them as the plain number, so the journal's format is the one
//! it was with bare integers.
//!
//! ```compile_fail
//! use legcore::index::{BookId, VenueId};
//! fn send(_book: BookId) {}
//! send(VenueId::new(0)); // a venue where a book belongs: does not compile
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize,
            Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(usize);

        impl $name {
            /// The index `i`.
            pub const fn new(i: usize) -> $name {
                $name(i)
            }

            /// The number, for slicing.
            pub const fn index(self) -> usize {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

index_type!(
    /// A venue (gateway) of the run: indexes the gateways and the risk state.
    VenueId
);
index_type!(
    /// A book (instrument) on one venue.
    BookId
);
index_type!(
    /// A leg of a group (below [`MAX_GROUP_LEGS`](crate::group::MAX_GROUP_LEGS)).
    LegIdx
);
index_type!(
    /// A job (group) of a run, counted from 0; client order ids add the run's job base.
    JobId
);

impl JobId {
    /// This job numbered after `base` jobs (a resumed run's jobs follow those it
    /// recovered). Job numbers are bounded by the client id's job field, checked when a
    /// run starts, so the sum is far below `usize::MAX`; it saturates rather than wraps.
    pub const fn after(self, base: usize) -> JobId {
        JobId(self.0.saturating_add(base))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_is_the_plain_number() {
        assert_eq!(serde_json::to_string(&VenueId::new(3)).unwrap(), "3");
        assert_eq!(serde_json::from_str::<BookId>("7").unwrap(), BookId::new(7));
        assert!(serde_json::from_str::<JobId>("-1").is_err());
        assert_eq!(LegIdx::new(2).to_string(), "2");
        assert_eq!(JobId::new(41).index(), 41);
    }
}
