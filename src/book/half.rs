//! One side of a ladder: a fixed-capacity sorted array of (key, size), best last.
//!
//! Keys are prices in ticks for bids and negated prices for asks, so both sides sort
//! ascending toward the best level and share this code. Keys at or below `floor` are
//! unknown (dropped for capacity, or past the end of a partial snapshot).

/// What one `set` did, so that a transaction can undo it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// Nothing changed (deleting an absent level, or a key in the unknown region).
    None,
    /// An existing level's size changed from `old`.
    Updated { old: i64 },
    /// An existing level of size `old` was removed.
    Deleted { old: i64 },
    /// A new level was inserted.
    Inserted,
    /// A new level was inserted and the farthest level was dropped to make room.
    InsertedDropping { key: i64, size: i64 },
    /// The side was full and the new level was the farthest: it became unknown depth.
    Truncated,
}

/// Keys at or below this are unknown; `NO_FLOOR` means the whole side is known.
pub(crate) const NO_FLOOR: i64 = i64::MIN;

/// Levels scanned linearly from the best end before falling back to binary search, on a
/// side too short for the hot window.
const LINEAR_SCAN: usize = 8;

/// The best `HOT` levels, where most venue updates land, are binary-searched first (six
/// branch-free steps); deeper keys cost one more comparison. Searching all 1000 levels of
/// the real BTCUSDT book from the top took 10 dependent steps after a linear scan whose
/// exit mispredicted: ~70 % of an update's time in the profile (PERF.md).
const HOT: usize = 64;

#[derive(Debug, Clone)]
pub(crate) struct Half {
    keys: Box<[i64]>,
    sizes: Box<[i64]>,
    len: usize,
    pub(crate) floor: i64,
}

impl Half {
    pub(crate) fn new(capacity: usize) -> Half {
        Half {
            keys: vec![0; capacity].into_boxed_slice(),
            sizes: vec![0; capacity].into_boxed_slice(),
            len: 0,
            floor: NO_FLOOR,
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.keys.len()
    }

    /// Keys and sizes of the live levels, ascending, best last.
    #[inline]
    pub(crate) fn slices(&self) -> (&[i64], &[i64]) {
        (&self.keys[..self.len], &self.sizes[..self.len])
    }

    #[inline]
    pub(crate) fn best(&self) -> Option<(i64, i64)> {
        let i = self.len.checked_sub(1)?;
        Some((self.keys[i], self.sizes[i]))
    }

    /// `Ok(index)` of `key`, or `Err(index)` where it would be inserted.
    #[inline]
    pub(crate) fn find(&self, key: i64) -> Result<usize, usize> {
        let keys = &self.keys[..self.len];
        if let Some(hot) = keys.last_chunk::<HOT>() {
            let base = keys.len() - HOT;
            if key < hot[0] {
                return keys[..base].binary_search(&key);
            }
            return match hot.binary_search(&key) {
                Ok(i) => Ok(base + i),
                Err(i) => Err(base + i),
            };
        }
        let mut i = keys.len();
        let stop = i.saturating_sub(LINEAR_SCAN);
        while i > stop {
            let k = keys[i - 1];
            if k == key {
                return Ok(i - 1);
            }
            if k < key {
                return Err(i);
            }
            i -= 1;
        }
        keys[..i].binary_search(&key)
    }

    pub(crate) fn get(&self, key: i64) -> Option<i64> {
        self.find(key).ok().map(|i| self.sizes[i])
    }

    /// Sets the level at `key` to `size` (0 deletes). Sizes must already be validated.
    #[inline]
    pub(crate) fn set(&mut self, key: i64, size: i64) -> Change {
        if key <= self.floor {
            return Change::None;
        }
        match self.find(key) {
            Ok(i) if size == 0 => {
                let old = self.sizes[i];
                self.remove_at(i);
                Change::Deleted { old }
            }
            Ok(i) => {
                let old = self.sizes[i];
                self.sizes[i] = size;
                Change::Updated { old }
            }
            Err(_) if size == 0 => Change::None,
            Err(i) if self.len < self.capacity() => {
                self.insert_at(i, key, size);
                Change::Inserted
            }
            Err(0) => {
                self.floor = key;
                Change::Truncated
            }
            Err(i) => {
                let (dk, ds) = (self.keys[0], self.sizes[0]);
                self.remove_at(0);
                self.floor = dk;
                self.insert_at(i - 1, key, size);
                Change::InsertedDropping { key: dk, size: ds }
            }
        }
    }

    fn remove_at(&mut self, i: usize) {
        self.keys.copy_within(i + 1..self.len, i);
        self.sizes.copy_within(i + 1..self.len, i);
        self.len -= 1;
    }

    fn insert_at(&mut self, i: usize, key: i64, size: i64) {
        debug_assert!(self.len < self.capacity());
        self.keys.copy_within(i..self.len, i + 1);
        self.sizes.copy_within(i..self.len, i + 1);
        self.keys[i] = key;
        self.sizes[i] = size;
        self.len += 1;
    }

    pub(crate) fn clear(&mut self) {
        self.len = 0;
        self.floor = NO_FLOOR;
    }

    /// Appends a level that is better than every stored one (snapshot staging, reversed).
    pub(crate) fn push_raw(&mut self, key: i64, size: i64) -> bool {
        if self.len == self.capacity() {
            return false;
        }
        self.keys[self.len] = key;
        self.sizes[self.len] = size;
        self.len += 1;
        true
    }

    /// Keeps the `n` farthest levels, dropping the better ones (they have moved elsewhere).
    pub(crate) fn truncate(&mut self, n: usize) {
        self.len = self.len.min(n);
    }

    /// Reverses the stored levels (staging is best-first; live order is best-last).
    pub(crate) fn reverse(&mut self) {
        self.keys[..self.len].reverse();
        self.sizes[..self.len].reverse();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `find` against `binary_search` for every key around every level, on sides shorter
    /// and longer than the hot window, dense and with gaps.
    #[test]
    fn find_agrees_with_binary_search() {
        for len in [0usize, 1, 7, 8, 9, 63, 64, 65, 71, 72, 130, 300] {
            for gap in [1i64, 3] {
                let mut h = Half::new(len.max(1));
                let keys: Vec<i64> = (0..len as i64).map(|i| -500 + i * gap).collect();
                for &k in &keys {
                    assert!(h.push_raw(k, 1));
                }
                for key in -502..(-500 + len as i64 * gap + 2) {
                    assert_eq!(h.find(key), keys.binary_search(&key), "len {len} key {key}");
                }
            }
        }
    }
}
