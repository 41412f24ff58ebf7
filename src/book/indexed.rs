//! One live side of a ladder, indexed by price near the touch.
//!
//! A window of `W` keys (a power of two) reaching down from just above the best level
//! holds its keys, sorted, as 16-bit offsets from `origin` (the multiple of `W` at or
//! below the window's base), and their sizes in a dense array of 2^16 indexed by offset;
//! the levels below the window are a sorted array of keys and sizes ([`Half`]). Keys are
//! as in [`Half`] (bids: price; asks: −price), so the best level is the largest key on
//! both sides.
//!
//! Why this layout (PERF.md, issue 16 item 1): on the real BTCUSDT book most of a feed's
//! changes resize an existing level 50–150 levels from the touch. Here that is one store
//! at its offset, with no search. A new or removed level in the window still shifts the
//! window's keys, but only 2-byte offsets (an eighth of the bytes of the old
//! keys-and-sizes shift; the shift was 28 % of a replay's instructions with 8-byte keys).
//! A walk still reads sorted keys best first, fetching each size by its offset (a `u16`
//! into 2^16 sizes: no mask and no bounds check): the tight prefix loop of a sorted
//! array plus one load a level, where a bitmap of ticks paid a scan per occupied word
//! (tried in stop 26: walks 3–4× dearer). The offsets' notional is `Σ offset × lots`,
//! and `origin × lots taken` is added once at the end. The price is memory: 512 KiB of
//! sizes a side.
//!
//! Invariants: every window key is in `[base, base + W)` and every deep key is below
//! `base`; `origin` is `base` rounded down to a multiple of `W`, so every offset is below
//! `2W` and fits a `u16`; a window key's dense size (at its offset) is its size, and
//! every other dense entry is 0; the window is empty only when the whole side is. When
//! a level arrives above the window, the window moves up: keys that fall out of its
//! bottom go to the top of the deep array, which is an append, and when `origin` moves
//! with it the remaining offsets and their sizes are moved down (one pass over the
//! window's levels; the touch must have moved by at least `W / 4` ticks). When the
//! window empties, it moves down onto the deep array's best levels.

use super::half::{Change, Half, NO_FLOOR};

/// The window's width in keys.
pub(crate) const W: usize = 1 << 15;

/// Sizes in the dense array: one for every `u16` offset, so that a walk's size lookups
/// need no bounds check. Offsets are below `2W`, so every entry can be in use.
pub(crate) const DENSE: usize = 1 << 16;
const _: () = assert!(2 * W == DENSE);

#[derive(Debug, Clone)]
pub(crate) struct Indexed {
    /// Sizes of the window's levels at their offsets; 0 elsewhere.
    sizes: Box<[i64; DENSE]>,
    /// The window's keys as offsets from `origin`, ascending (best last), in
    /// `keys[..near]`.
    keys: Box<[u16]>,
    near: usize,
    base: i64,
    /// `base` rounded down to a multiple of `W`.
    origin: i64,
    deep: Half,
    pub(crate) floor: i64,
}

/// One side as a walk reads it: the window's offsets (best last) with their sizes looked
/// up by offset, then the deep levels (best last).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SideView<'a> {
    /// The window's keys as offsets from `origin`, ascending, best last.
    pub(crate) near: &'a [u16],
    /// Added to an offset gives its key; a multiple of `W`.
    pub(crate) origin: i64,
    /// The window's sizes, indexed by offset.
    pub(crate) sizes: &'a [i64; DENSE],
    /// Keys and sizes below the window, ascending, best last.
    pub(crate) deep: (&'a [i64], &'a [i64]),
    /// Depth past the farthest level is unknown.
    pub(crate) truncated: bool,
}

impl<'a> SideView<'a> {
    /// Size of the window level at offset `off`.
    #[inline(always)]
    pub(crate) fn size(&self, off: u16) -> i64 {
        self.sizes[usize::from(off)]
    }

    /// Key of the window level at offset `off`.
    #[inline(always)]
    pub(crate) fn key(&self, off: u16) -> i64 {
        self.origin + i64::from(off)
    }

    /// Levels best first: (key, size).
    #[inline]
    pub(crate) fn levels(self) -> impl DoubleEndedIterator<Item = (i64, i64)> + 'a {
        let near = (self.near.iter().rev()).map(move |&o| (self.key(o), self.size(o)));
        let (keys, sizes) = self.deep;
        near.chain(keys.iter().zip(sizes).rev().map(|(&k, &s)| (k, s)))
    }

    /// The key of the farthest level; `None` if the side is empty.
    #[inline]
    pub(crate) fn farthest(&self) -> Option<i64> {
        let near = || self.near.first().map(|&o| self.key(o));
        self.deep.0.first().copied().or_else(near)
    }

    /// The largest key magnitude on the side: the best key's or the farthest's.
    #[inline]
    pub(crate) fn max_abs_key(&self) -> u64 {
        let best = self.near.last().map(|&o| self.key(o));
        let (Some(best), Some(far)) = (best.or(self.deep.0.last().copied()), self.farthest())
        else {
            return 0;
        };
        best.unsigned_abs().max(far.unsigned_abs())
    }
}

/// Offsets compared at once by [`position`].
const CHUNK: usize = 32;

/// Chunks [`position`] scans from the best end (512 levels, past the real book's p90 of
/// ~440) before a binary search of the rest: a deep book's far levels stay `log n` steps.
const SCAN_CHUNKS: usize = 16;

/// Where `off` is or would go in the ascending `keys`: the number of keys below it.
///
/// Searched from the best end, a chunk of [`CHUNK`] keys at a time: new and removed
/// levels on a real book land a median ~100 levels from the touch, so this is a few
/// predictable steps and one branch-free count over a chunk (vector compares), where a
/// binary search over 1 000 keys is ten dependent loads.
#[inline]
fn position(keys: &[u16], off: u16) -> usize {
    let mut end = keys.len();
    for _ in 0..SCAN_CHUNKS {
        let Some(chunk) = keys[..end].last_chunk::<CHUNK>() else {
            break;
        };
        if chunk[0] < off {
            let below: u16 = chunk.iter().map(|&k| u16::from(k < off)).sum();
            return end - CHUNK + usize::from(below);
        }
        end -= CHUNK;
    }
    keys[..end].partition_point(|&k| k < off)
}

impl Indexed {
    pub(crate) fn new(capacity: usize) -> Indexed {
        let mut sizes: Box<[i64; DENSE]> = vec![0; DENSE]
            .into_boxed_slice()
            .try_into()
            .unwrap_or_else(|_| unreachable!("a boxed slice of DENSE"));
        // A zeroed allocation this large is mapped lazily: write each page now, so that
        // the window reaching a new part of it never takes a page fault on the hot path.
        for page in sizes.chunks_mut(512) {
            page[0] = std::hint::black_box(0);
        }
        Indexed {
            sizes,
            keys: vec![0; capacity].into_boxed_slice(),
            near: 0,
            base: 0,
            origin: 0,
            deep: Half::new(capacity),
            floor: NO_FLOOR,
        }
    }

    #[inline]
    fn width(&self) -> i64 {
        W as i64
    }

    /// Where window key `key`'s size is: its offset.
    #[inline]
    fn slot(&self, key: i64) -> usize {
        usize::from(self.offset(key))
    }

    /// The offset of window key `key` (`base ≤ key < base + W`).
    #[inline]
    fn offset(&self, key: i64) -> u16 {
        debug_assert!(self.in_range(key));
        (key - self.origin) as u16
    }

    /// The key of the window's `i`-th level.
    #[inline]
    fn key_at(&self, i: usize) -> i64 {
        self.origin + i64::from(self.keys[i])
    }

    /// Sets `base`, and `origin` under it.
    fn set_base(&mut self, base: i64) {
        self.base = base;
        self.origin = base & !(W as i64 - 1);
    }

    #[inline]
    fn in_range(&self, key: i64) -> bool {
        // Any i64 key (a caller's `size_at` need not be a valid price): `base` is within
        // ±(10^15 + W), so a key below it wraps to at least 2^63 − 2·10^15, never < W.
        (key.wrapping_sub(self.base) as u64) < W as u64
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.near + self.deep.len()
    }

    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.keys.len()
    }

    /// Best level: (key, size).
    #[inline]
    pub(crate) fn best(&self) -> Option<(i64, i64)> {
        match self.near.checked_sub(1) {
            Some(i) => {
                let k = self.key_at(i);
                Some((k, self.sizes[self.slot(k)]))
            }
            None => self.deep.best(),
        }
    }

    /// The side as walks read it.
    #[inline]
    pub(crate) fn view(&self) -> SideView<'_> {
        SideView {
            near: &self.keys[..self.near],
            origin: self.origin,
            sizes: &self.sizes,
            deep: self.deep.slices(),
            truncated: self.floor != NO_FLOOR,
        }
    }

    #[inline]
    pub(crate) fn get(&self, key: i64) -> Option<i64> {
        if self.in_range(key) {
            let s = self.sizes[self.slot(key)];
            return (s != 0).then_some(s);
        }
        if key < self.base {
            return self.deep.get(key);
        }
        None
    }

    /// Sets the level at `key` to `size` (0 deletes); as [`Half::set`].
    #[inline]
    pub(crate) fn set(&mut self, key: i64, size: i64) -> Change {
        if key <= self.floor {
            return Change::None;
        }
        if self.in_range(key) {
            // In the window (most changes): the dense size says what the change is.
            let s = self.slot(key);
            let old = self.sizes[s];
            match (old, size) {
                (0, 0) => return Change::None,
                (0, _) if self.near > 0 && self.len() < self.capacity() => {
                    self.insert_near(key, size);
                    return Change::Inserted;
                }
                (0, _) => {}
                (_, 0) => {
                    self.remove(key);
                    return Change::Deleted { old };
                }
                _ => {
                    self.sizes[s] = size;
                    return Change::Updated { old };
                }
            }
        }
        match self.get(key) {
            Some(old) if size == 0 => {
                self.remove(key);
                Change::Deleted { old }
            }
            Some(old) => {
                self.resize(key, size);
                Change::Updated { old }
            }
            None if size == 0 => Change::None,
            None if self.len() < self.capacity() => {
                self.insert(key, size);
                Change::Inserted
            }
            None => self.insert_full(key, size),
        }
    }

    /// A new level on a full side: the farthest level is dropped (and depth from it is
    /// unknown), unless the new one would be the farthest.
    fn insert_full(&mut self, key: i64, size: i64) -> Change {
        let Some((far, far_size)) = self.farthest() else {
            return Change::None;
        };
        if key < far {
            self.floor = key;
            return Change::Truncated;
        }
        self.remove(far);
        self.floor = far;
        self.insert(key, size);
        Change::InsertedDropping {
            key: far,
            size: far_size,
        }
    }

    /// Undoes one `Change` made by `set(key, ..)`. The floor is restored by the caller.
    pub(crate) fn undo(&mut self, key: i64, change: Change) {
        match change {
            Change::None | Change::Truncated => {}
            Change::Updated { old } => self.resize(key, old),
            Change::Deleted { old } => self.insert(key, old),
            Change::Inserted => self.remove(key),
            Change::InsertedDropping { key: dk, size: ds } => {
                self.remove(key);
                self.insert(dk, ds);
            }
        }
    }

    /// The farthest level (smallest key).
    fn farthest(&self) -> Option<(i64, i64)> {
        let (keys, sizes) = self.deep.slices();
        if let (Some(&k), Some(&size)) = (keys.first(), sizes.first()) {
            return Some((k, size));
        }
        if self.near == 0 {
            return None;
        }
        let k = self.key_at(0);
        Some((k, self.sizes[self.slot(k)]))
    }

    /// Changes the size of an existing level.
    fn resize(&mut self, key: i64, size: i64) {
        if self.in_range(key) {
            let s = self.slot(key);
            self.sizes[s] = size;
        } else {
            self.deep.set(key, size);
        }
    }

    /// Adds a level that is not there (the side has room).
    fn insert(&mut self, key: i64, size: i64) {
        if key < self.base && self.near > 0 {
            self.deep.set(key, size);
            return;
        }
        if self.near == 0 || key >= self.base + self.width() {
            self.move_up(key);
        }
        self.insert_near(key, size);
    }

    /// Adds a level that is not there to the window, which holds its key.
    #[inline]
    fn insert_near(&mut self, key: i64, size: i64) {
        let off = self.offset(key);
        let keys = &mut self.keys[..self.near + 1];
        let i = position(&keys[..keys.len() - 1], off);
        keys.copy_within(i..keys.len() - 1, i + 1);
        keys[i] = off;
        self.near += 1;
        let s = self.slot(key);
        self.sizes[s] = size;
    }

    /// Removes a level that is there.
    fn remove(&mut self, key: i64) {
        if !self.in_range(key) {
            self.deep.set(key, 0);
            return;
        }
        let s = self.slot(key);
        self.sizes[s] = 0;
        let off = self.offset(key);
        let keys = &mut self.keys[..self.near];
        let i = position(keys, off);
        if keys.get(i) == Some(&off) {
            keys.copy_within(i + 1.., i);
            self.near -= 1;
        }
        if self.near == 0 {
            self.move_down();
        }
    }

    /// Moves the window up so that `key` is in it, three quarters up; the levels that
    /// fall out of its bottom go to the top of the deep array, in order, and the rest
    /// are re-offset if `origin` moves. With an empty window (and so an empty side),
    /// places it so.
    fn move_up(&mut self, key: i64) {
        let new_base = key - (self.width() / 4) * 3;
        let mut out = 0;
        while out < self.near && self.key_at(out) < new_base {
            let k = self.key_at(out);
            let s = self.slot(k);
            let pushed = self.deep.push_raw(k, self.sizes[s]);
            debug_assert!(pushed, "deep and window together hold at most the capacity");
            self.sizes[s] = 0;
            out += 1;
        }
        let old_origin = self.origin;
        self.set_base(new_base);
        self.keys.copy_within(out..self.near, 0);
        self.near -= out;
        if self.near > 0 && self.origin != old_origin {
            self.shift_down((self.origin - old_origin) as u16);
        }
    }

    /// `origin` moved up by `shift`: each window level's offset and size move down by it.
    ///
    /// Every key left is at or above the new origin, a multiple of `W` (so `shift ≥ W`)
    /// above the old one, so every old offset is at least `shift`, and every new one is
    /// below `2W − shift ≤ W`: no level's new place is another's old one. (A shift of
    /// `2W` or more would leave no key in the window: it is not called then.)
    fn shift_down(&mut self, shift: u16) {
        for o in &mut self.keys[..self.near] {
            let old = usize::from(*o);
            *o -= shift;
            let new = usize::from(*o);
            self.sizes[new] = self.sizes[old];
            self.sizes[old] = 0;
        }
    }

    /// The window is empty: moves it onto the deep array's best levels (its best three
    /// quarters up), taking them out of the array.
    fn move_down(&mut self) {
        let Some((best, _)) = self.deep.best() else {
            return;
        };
        self.set_base(best - (self.width() / 4) * 3);
        let (keys, sizes) = self.deep.slices();
        let split = keys.partition_point(|&k| k < self.base);
        let n = keys.len() - split;
        for j in 0..n {
            let (k, size) = (keys[split + j], sizes[split + j]);
            self.keys[j] = self.offset(k);
            self.sizes[usize::from(self.keys[j])] = size;
        }
        self.near = n;
        self.deep.truncate(split);
    }

    pub(crate) fn clear(&mut self) {
        for j in 0..self.near {
            let s = self.slot(self.key_at(j));
            self.sizes[s] = 0;
        }
        self.near = 0;
        self.deep.clear();
        self.floor = NO_FLOOR;
    }

    /// Replaces the side with `stage`'s levels (sorted ascending, best last) and floor.
    pub(crate) fn load(&mut self, stage: &Half) {
        self.clear();
        let (keys, sizes) = stage.slices();
        self.floor = stage.floor;
        let Some(&best) = keys.last() else {
            return;
        };
        self.set_base(best - (self.width() / 4) * 3);
        let split = keys.partition_point(|&k| k < self.base);
        for (&k, &s) in keys[..split].iter().zip(&sizes[..split]) {
            let pushed = self.deep.push_raw(k, s);
            debug_assert!(pushed, "a staged side holds at most the capacity");
        }
        for (j, (&k, &size)) in keys[split..].iter().zip(&sizes[split..]).enumerate() {
            self.keys[j] = self.offset(k);
            let s = self.slot(k);
            self.sizes[s] = size;
        }
        self.near = keys.len() - split;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    impl Indexed {
        /// Every invariant of the module doc, and the levels equal to `model`.
        fn check(&self, model: &BTreeMap<i64, i64>) {
            self.check_levels(model);
            let nonzero = self.sizes.iter().filter(|&&s| s != 0).count();
            assert_eq!(nonzero, self.near, "dense sizes only for window keys");
        }

        /// As `check`, but for the scan of the whole dense array (64 Ki sizes).
        fn check_levels(&self, model: &BTreeMap<i64, i64>) {
            assert_eq!(self.origin % self.width(), 0, "origin a multiple of W");
            assert!(self.origin <= self.base && self.base - self.origin < self.width());
            let near: Vec<i64> = (0..self.near).map(|i| self.key_at(i)).collect();
            assert!(near.windows(2).all(|w| w[0] < w[1]), "window keys sorted");
            assert!(
                near.iter().all(|&k| self.in_range(k)),
                "window keys in range"
            );
            let (deep, _) = self.deep.slices();
            assert!(
                deep.iter().all(|&k| k < self.base),
                "deep keys below the window"
            );
            assert!(
                self.near > 0 || deep.is_empty(),
                "an empty window means an empty side"
            );
            let got: Vec<(i64, i64)> = self.view().levels().rev().collect();
            let want: Vec<(i64, i64)> = model.iter().map(|(&k, &s)| (k, s)).collect();
            assert_eq!(got, want);
        }
    }

    /// A new best level that moves the window's origin up by `W` while levels stay in
    /// it: their offsets and sizes move down with it, and every level reads as before.
    #[test]
    fn the_origin_moving_up_moves_the_levels_that_stay() {
        let mut h = Indexed::new(8);
        let mut model = BTreeMap::new();
        for (k, s) in [(100, 3), (90, 1), (95, 2)] {
            assert_eq!(h.set(k, s), Change::Inserted);
            model.insert(k, s);
        }
        assert_eq!(h.origin, -(W as i64));
        // Three quarters of W above 24 is 24 600: the base moves to 24 (origin 0), and
        // 90, 95, 100 stay in the window.
        assert_eq!(h.set(24_600, 7), Change::Inserted);
        model.insert(24_600, 7);
        assert_eq!((h.origin, h.base, h.near), (0, 24, 4));
        h.check(&model);
        assert_eq!(h.get(95), Some(2));
        assert_eq!(h.set(95, 0), Change::Deleted { old: 2 });
        model.remove(&95);
        h.check(&model);
    }

    /// `position` against `partition_point` for every offset around every key, on
    /// lengths around the chunk size.
    #[test]
    fn position_agrees_with_partition_point() {
        for len in [
            0usize, 1, 31, 32, 33, 63, 64, 65, 100, 511, 512, 513, 1000, 2000,
        ] {
            let keys: Vec<u16> = (0..len as u16).map(|i| 5 + 3 * i).collect();
            for off in 0..(8 + 3 * len as u16) {
                let want = keys.partition_point(|&k| k < off);
                assert_eq!(position(&keys, off), want, "len {len} off {off}");
            }
        }
    }

    /// Random sets (a third of them deletes) with keys drifting over many windows, on
    /// sides from 1 to 40 levels (full ones drop their farthest level), each batch undone
    /// half the time in reverse order as a transaction does: after every step the
    /// invariants hold and the levels equal a sorted map's.
    #[test]
    fn window_moves_drops_and_undo_keep_every_invariant() {
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        for cap in [1usize, 3, 16, 40] {
            let mut h = Indexed::new(cap);
            let mut model = BTreeMap::new();
            let span = 12 * h.width() as u64;
            for round in 0..3_000 {
                let before = (model.clone(), h.floor);
                let mut done = Vec::new();
                let centre = next(span) as i64 - 5_000;
                for _ in 0..1 + next(6) {
                    let key = centre - next(h.width() as u64 * 2) as i64;
                    let size = if next(3) == 0 { 0 } else { 1 + next(9) as i64 };
                    done.push((key, h.set(key, size)));
                    if key > h.floor {
                        if size == 0 {
                            model.remove(&key);
                        } else {
                            model.insert(key, size);
                        }
                    }
                    if model.len() > cap {
                        let (&far, _) = model.iter().next().unwrap();
                        model.remove(&far);
                    }
                    model.retain(|&k, _| k > h.floor);
                    h.check_levels(&model);
                }
                if next(2) == 0 {
                    for &(key, change) in done.iter().rev() {
                        h.undo(key, change);
                    }
                    (model, h.floor) = before;
                    h.check_levels(&model);
                }
                // A stale dense size stays until its key is set again: a scan now and
                // then finds it (every step's scan took most of the test's time).
                if round % 16 == 0 {
                    h.check(&model);
                }
            }
        }
    }
}
