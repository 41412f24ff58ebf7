//! [`ring`]: a bounded single-producer single-consumer queue, the runtime's hand-off
//! between threads. **The crate's only unsafe code lives here.**
//!
//! Why our own and not a crate: `rtrb` is well kept and `crossbeam`'s `ArrayQueue` is
//! multi-producer; `benches/ring.rs` and `benches/peers` run them in one interleaved
//! pass (PERF.md has the figures). This one is kept for the round trip, where it
//! measures level with rtrb (p50 130 vs 131 ns on a 120 ns floor), and because the loom
//! model test can check it: its atomics and cells switch to loom's under
//! `--cfg legcore_loom`, which a crate's cannot. (Not `--cfg loom`: tokio reads that one
//! too and does not build under it.) Streaming, it is slower than rtrb (about 0.6–0.7×
//! its throughput, one by one and in slices): a stamp doubles a slot's bytes, and the
//! consumer writes into the cache lines the producer is filling.
//!
//! Design: a power-of-two array of slots, each with its own sequence stamp (as in
//! Vyukov's bounded queue, specialised to one producer and one consumer). Slot `i` is
//! free for position `p` (with `p ≡ i` modulo the capacity) when its stamp is `p`, and
//! holds position `p`'s value when its stamp is `p + 1`. The producer writes the value,
//! then publishes the stamp `p + 1` with `Release`; the consumer loads the stamp with
//! `Acquire`, reads the value, then frees the slot for position `p + cap` with
//! `Release`, which the producer loads with `Acquire` before writing it again. The two
//! sides share no counters: a hand-off moves only the slot's own cache line, where a
//! head/tail design (Lamport's, rtrb's) also moves the counters' lines. Positions are
//! private `usize` counters (wrapping). Wait-free, no allocation after [`ring`], no
//! syscall, no lock. Capacity is at least 2, so that a slot's two stamps differ.

#![allow(unsafe_code)]

use core::mem::MaybeUninit;

use self::sync::{Arc, AtomicUsize, Ordering, UnsafeCell};

#[cfg(legcore_loom)]
mod sync {
    pub use loom::cell::UnsafeCell;
    pub use loom::sync::atomic::{AtomicUsize, Ordering};
    pub use loom::sync::Arc;
}

#[cfg(not(legcore_loom))]
mod sync {
    pub use std::sync::atomic::{AtomicUsize, Ordering};
    pub use std::sync::Arc;

    /// `core::cell::UnsafeCell` with loom's closure API.
    #[derive(Debug)]
    pub struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub fn new(v: T) -> Self {
            UnsafeCell(core::cell::UnsafeCell::new(v))
        }
        pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

struct Slot<T> {
    /// `p`: free for position `p`; `p + 1`: holds position `p`'s value.
    stamp: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

struct Shared<T> {
    slots: Box<[Slot<T>]>,
    mask: usize,
}

// SAFETY: a slot's value is accessed by one side at a time: the producer writes it only
// after loading (Acquire) the stamp the consumer published (Release) when it finished
// reading, and the consumer reads it only after loading (Acquire) the stamp the producer
// published (Release) after writing. `T: Send` lets values cross threads.
unsafe impl<T: Send> Sync for Shared<T> {}
// SAFETY: as above; the shared state moves between threads only inside an `Arc`.
unsafe impl<T: Send> Send for Shared<T> {}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        // Both ends are gone (this is the last `Arc`): no concurrent access.
        for (i, slot) in self.slots.iter().enumerate() {
            let stamp = slot.stamp.load(Ordering::Relaxed);
            if stamp.wrapping_sub(1) & self.mask == i {
                // SAFETY: the stamp says the slot holds a value written by `push` and
                // not read by `pop` (free slots have `stamp & mask == i`, which differs
                // because the capacity is at least 2); it is dropped once, here.
                slot.value.with_mut(|p| unsafe { (*p).assume_init_drop() });
            }
        }
    }
}

/// The writing end. Not `Clone`: one producer.
pub struct Producer<T> {
    shared: Arc<Shared<T>>,
    tail: usize,
}

/// The reading end. Not `Clone`: one consumer.
pub struct Consumer<T> {
    shared: Arc<Shared<T>>,
    head: usize,
}

/// A ring of at least `capacity` slots (rounded up to a power of two, at least 2).
/// Allocates here, never after.
pub fn ring<T>(capacity: usize) -> (Producer<T>, Consumer<T>) {
    let cap = capacity.max(2).next_power_of_two();
    let slots: Box<[Slot<T>]> = (0..cap)
        .map(|i| Slot {
            stamp: AtomicUsize::new(i),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        })
        .collect();
    let shared = Arc::new(Shared {
        slots,
        mask: cap - 1,
    });
    let producer = Producer {
        shared: shared.clone(),
        tail: 0,
    };
    let consumer = Consumer { shared, head: 0 };
    (producer, consumer)
}

impl<T> Producer<T> {
    /// Appends `value`, or gives it back when the ring is full.
    #[inline]
    pub fn push(&mut self, value: T) -> Result<(), T> {
        let slot = &self.shared.slots[self.tail & self.shared.mask];
        if slot.stamp.load(Ordering::Acquire) != self.tail {
            return Err(value); // the consumer has not freed it yet: full
        }
        // SAFETY: the stamp `tail` (Acquire) says the consumer finished with this slot
        // (or it was never used), and only this producer writes it.
        slot.value.with_mut(|p| unsafe { (*p).write(value) });
        slot.stamp
            .store(self.tail.wrapping_add(1), Ordering::Release);
        self.tail = self.tail.wrapping_add(1);
        Ok(())
    }

    /// Appends as many of `values` as fit, in order; returns how many. When the whole
    /// batch fits, one stamp (the batch's last slot) is checked instead of one per value:
    /// the consumer frees slots in position order, so the last one free means all are.
    #[inline]
    pub fn push_slice(&mut self, values: &[T]) -> usize
    where
        T: Copy,
    {
        let n = values.len();
        if n == 0 {
            return 0;
        }
        let last = self.tail.wrapping_add(n - 1);
        let whole = n <= self.capacity()
            && self.shared.slots[last & self.shared.mask]
                .stamp
                .load(Ordering::Acquire)
                == last;
        if !whole {
            return values.iter().take_while(|&&v| self.push(v).is_ok()).count();
        }
        for &v in values {
            let slot = &self.shared.slots[self.tail & self.shared.mask];
            // SAFETY: the last slot's stamp (Acquire, above) was published after the
            // consumer finished with every earlier position, so each slot of the batch is
            // free for its position, and only this producer writes it.
            slot.value.with_mut(|p| unsafe { (*p).write(v) });
            slot.stamp
                .store(self.tail.wrapping_add(1), Ordering::Release);
            self.tail = self.tail.wrapping_add(1);
        }
        n
    }

    /// Free slots now (a lower bound: the consumer may free more meanwhile).
    pub fn free(&mut self) -> usize {
        let cap = self.shared.mask + 1;
        (0..cap)
            .take_while(|k| {
                let pos = self.tail.wrapping_add(*k);
                let slot = &self.shared.slots[pos & self.shared.mask];
                slot.stamp.load(Ordering::Acquire) == pos
            })
            .count()
    }

    /// The ring's capacity.
    pub fn capacity(&self) -> usize {
        self.shared.mask + 1
    }
}

impl<T> Consumer<T> {
    /// Takes the oldest value, if any.
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        let slot = &self.shared.slots[self.head & self.shared.mask];
        if slot.stamp.load(Ordering::Acquire) != self.head.wrapping_add(1) {
            return None;
        }
        // SAFETY: the stamp `head + 1` (Acquire) says the producer wrote this slot's
        // value, and only this consumer reads it, once.
        let value = slot.value.with_mut(|p| unsafe { (*p).assume_init_read() });
        let cap = self.shared.mask + 1;
        slot.stamp
            .store(self.head.wrapping_add(cap), Ordering::Release);
        self.head = self.head.wrapping_add(1);
        Some(value)
    }

    /// Takes up to `out.len()` of the oldest values into `out`, in order; returns how many.
    /// When a whole batch is waiting, one stamp (the batch's last slot) is checked instead
    /// of one per value: the producer publishes positions in order, so the last one
    /// published means all are.
    #[inline]
    pub fn pop_slice(&mut self, out: &mut [T]) -> usize
    where
        T: Copy,
    {
        let n = out.len().min(self.shared.mask + 1);
        if n == 0 {
            return 0;
        }
        let last = self.head.wrapping_add(n - 1);
        let ready = self.shared.slots[last & self.shared.mask]
            .stamp
            .load(Ordering::Acquire)
            == last.wrapping_add(1);
        if !ready {
            let mut k = 0;
            for o in out.iter_mut() {
                let Some(v) = self.pop() else { break };
                *o = v;
                k += 1;
            }
            return k;
        }
        let cap = self.shared.mask + 1;
        for o in &mut out[..n] {
            let slot = &self.shared.slots[self.head & self.shared.mask];
            // SAFETY: the last slot's stamp (Acquire, above) was published after the
            // producer wrote every earlier position, so each slot of the batch holds its
            // position's value, and only this consumer reads it, once.
            *o = slot.value.with_mut(|p| unsafe { (*p).assume_init_read() });
            slot.stamp
                .store(self.head.wrapping_add(cap), Ordering::Release);
            self.head = self.head.wrapping_add(1);
        }
        n
    }

    /// Values waiting now (a lower bound: the producer may add more meanwhile).
    pub fn len(&mut self) -> usize {
        let cap = self.shared.mask + 1;
        (0..cap)
            .take_while(|k| {
                let pos = self.head.wrapping_add(*k);
                let slot = &self.shared.slots[pos & self.shared.mask];
                slot.stamp.load(Ordering::Acquire) == pos.wrapping_add(1)
            })
            .count()
    }

    /// Nothing is waiting now.
    pub fn is_empty(&mut self) -> bool {
        let slot = &self.shared.slots[self.head & self.shared.mask];
        slot.stamp.load(Ordering::Acquire) != self.head.wrapping_add(1)
    }
}

impl<T> core::fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Producer")
            .field("tail", &self.tail)
            .finish()
    }
}

impl<T> core::fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Consumer")
            .field("head", &self.head)
            .finish()
    }
}

#[cfg(all(test, not(legcore_loom)))]
mod tests {
    use super::*;

    #[test]
    fn fifo_full_and_empty() {
        let (mut p, mut c) = ring::<u32>(3);
        assert_eq!(p.capacity(), 4);
        assert_eq!(c.pop(), None);
        for i in 0..4 {
            p.push(i).unwrap();
        }
        assert_eq!(p.push(9), Err(9), "full");
        assert_eq!(c.len(), 4);
        assert_eq!(c.pop(), Some(0));
        p.push(4).unwrap();
        let got: Vec<u32> = std::iter::from_fn(|| c.pop()).collect();
        assert_eq!(got, [1, 2, 3, 4]);
        assert!(c.is_empty());
        assert_eq!(p.free(), 4);
    }

    #[test]
    fn slices_go_whole_when_they_fit_and_in_part_when_not() {
        let (mut p, mut c) = ring::<u32>(4);
        let mut out = [0u32; 8];
        assert_eq!(c.pop_slice(&mut out), 0);
        assert_eq!(p.push_slice(&[1, 2, 3]), 3);
        assert_eq!(p.push_slice(&[4, 5, 6]), 1, "one slot left");
        assert_eq!(p.push_slice(&[7]), 0, "full");
        assert_eq!(c.pop_slice(&mut out[..2]), 2);
        assert_eq!(out[..2], [1, 2]);
        // Wraps: positions 4 and 5 reuse slots 0 and 1.
        assert_eq!(p.push_slice(&[5, 6]), 2);
        assert_eq!(c.pop_slice(&mut out), 4, "more asked than waiting");
        assert_eq!(out[..4], [3, 4, 5, 6]);
        assert_eq!(p.push_slice(&[0; 9]), 4, "more pushed than the capacity");
        assert_eq!(c.pop_slice(&mut out[..0]), 0);
        assert_eq!(c.pop_slice(&mut out), 4);
        assert!(c.is_empty());
        assert_eq!(p.free(), 4);
    }

    #[test]
    fn two_threads_pass_batches_in_order() {
        let (mut p, mut c) = ring::<u64>(8);
        let n: u64 = if cfg!(miri) { 300 } else { 300_000 };
        let t = std::thread::spawn(move || {
            let mut next = 0u64;
            let mut batch = [0u64; 5];
            while next < n {
                let k = batch.len().min((n - next) as usize);
                for (j, b) in batch[..k].iter_mut().enumerate() {
                    *b = next + j as u64;
                }
                next += p.push_slice(&batch[..k]) as u64;
            }
        });
        let (mut next, mut out) = (0u64, [0u64; 3]);
        while next < n {
            let k = c.pop_slice(&mut out);
            for &v in &out[..k] {
                assert_eq!(v, next);
                next += 1;
            }
        }
        t.join().unwrap();
        assert_eq!(c.pop_slice(&mut out), 0);
    }

    #[test]
    fn values_left_in_the_ring_are_dropped_once() {
        let marker = std::sync::Arc::new(());
        let (mut p, mut c) = ring(4);
        for _ in 0..3 {
            p.push(marker.clone()).unwrap();
        }
        drop(c.pop());
        drop((p, c));
        assert_eq!(std::sync::Arc::strong_count(&marker), 1);
    }

    #[test]
    fn two_threads_pass_every_value_in_order() {
        let (mut p, mut c) = ring::<u64>(8);
        let n = if cfg!(miri) { 200 } else { 200_000 };
        let t = std::thread::spawn(move || {
            for i in 0..n {
                let mut v = i;
                while let Err(back) = p.push(v) {
                    v = back;
                    std::hint::spin_loop();
                }
            }
        });
        let mut next = 0;
        while next < n {
            if let Some(v) = c.pop() {
                assert_eq!(v, next);
                next += 1;
            } else {
                std::hint::spin_loop();
            }
        }
        t.join().unwrap();
    }
}
