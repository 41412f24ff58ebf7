//! [`ring`]: a bounded single-producer single-consumer queue, the runtime's hand-off
//! between threads. **The crate's only unsafe code lives here.**
//!
//! Why our own and not a crate: `rtrb` is the same design and well kept, and
//! `crossbeam`'s `ArrayQueue` is multi-producer; `benches/ring.rs` runs all three in one
//! run (PERF.md has the figures). This one is kept because it is the one the loom model
//! test can check: its atomics and cells switch to loom's under `--cfg loom`, which a
//! crate's cannot.
//!
//! Design (Lamport's ring with cached indices, as in rtrb): a power-of-two array of
//! slots; the producer owns `tail`, the consumer owns `head`, both monotonically
//! increasing counters (wrapping), each on its own cache line (`CachePadded`). Each side
//! keeps a cached copy of the other's counter and reloads it only when the ring looks
//! full (producer) or empty (consumer), so an uncontended push or pop touches one shared
//! line. A push writes the slot, then publishes `tail` with `Release`; a pop loads
//! `tail` with `Acquire`, reads the slot, then publishes `head` with `Release`, which
//! the producer loads with `Acquire` before reusing the slot. Wait-free, no allocation
//! after [`ring`], no syscall, no lock.

#![allow(unsafe_code)]

use core::mem::MaybeUninit;

use crossbeam_utils::CachePadded;

use self::sync::{Arc, AtomicUsize, Ordering, UnsafeCell};

#[cfg(loom)]
mod sync {
    pub use loom::cell::UnsafeCell;
    pub use loom::sync::atomic::{AtomicUsize, Ordering};
    pub use loom::sync::Arc;
}

#[cfg(not(loom))]
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

struct Shared<T> {
    /// Next position the consumer reads.
    head: CachePadded<AtomicUsize>,
    /// Next position the producer writes.
    tail: CachePadded<AtomicUsize>,
    slots: Box<[UnsafeCell<MaybeUninit<T>>]>,
    mask: usize,
}

// SAFETY: a slot is accessed by one side at a time: the producer writes slots in
// `[tail, head + cap)`, the consumer reads slots in `[head, tail)`, and the counters are
// published with Release and read with Acquire, so each slot's write happens-before its
// read and each read happens-before the slot's reuse. `T: Send` lets values cross.
unsafe impl<T: Send> Sync for Shared<T> {}
// SAFETY: as above; the shared state is moved between threads only inside an `Arc`.
unsafe impl<T: Send> Send for Shared<T> {}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        // Both ends are gone (this is the last `Arc`): no concurrent access.
        let (head, tail) = (
            self.head.load(Ordering::Relaxed),
            self.tail.load(Ordering::Relaxed),
        );
        let mut pos = head;
        while pos != tail {
            // SAFETY: slots in [head, tail) hold values written by `push` and not yet
            // read by `pop`; each is dropped once here.
            self.slots[pos & self.mask].with_mut(|p| unsafe { (*p).assume_init_drop() });
            pos = pos.wrapping_add(1);
        }
    }
}

/// The writing end. Not `Clone`: one producer.
pub struct Producer<T> {
    shared: Arc<Shared<T>>,
    tail: usize,
    cached_head: usize,
}

/// The reading end. Not `Clone`: one consumer.
pub struct Consumer<T> {
    shared: Arc<Shared<T>>,
    head: usize,
    cached_tail: usize,
}

/// A ring of at least `capacity` slots (rounded up to a power of two, at least 1).
/// Allocates here, never after.
pub fn ring<T>(capacity: usize) -> (Producer<T>, Consumer<T>) {
    let cap = capacity.max(1).next_power_of_two();
    let slots: Box<[UnsafeCell<MaybeUninit<T>>]> = (0..cap)
        .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
        .collect();
    let shared = Arc::new(Shared {
        head: CachePadded::new(AtomicUsize::new(0)),
        tail: CachePadded::new(AtomicUsize::new(0)),
        slots,
        mask: cap - 1,
    });
    let producer = Producer {
        shared: shared.clone(),
        tail: 0,
        cached_head: 0,
    };
    let consumer = Consumer {
        shared,
        head: 0,
        cached_tail: 0,
    };
    (producer, consumer)
}

impl<T> Producer<T> {
    /// Appends `value`, or gives it back when the ring is full.
    #[inline]
    pub fn push(&mut self, value: T) -> Result<(), T> {
        let cap = self.shared.mask + 1;
        if self.tail.wrapping_sub(self.cached_head) == cap {
            self.cached_head = self.shared.head.load(Ordering::Acquire);
            if self.tail.wrapping_sub(self.cached_head) == cap {
                return Err(value);
            }
        }
        let slot = &self.shared.slots[self.tail & self.shared.mask];
        // SAFETY: the slot at `tail` is free: the consumer's published `head` (Acquire)
        // shows it has read it (or it was never written), and only this producer writes.
        slot.with_mut(|p| unsafe { (*p).write(value) });
        self.tail = self.tail.wrapping_add(1);
        self.shared.tail.store(self.tail, Ordering::Release);
        Ok(())
    }

    /// Free slots now (a lower bound: the consumer may free more meanwhile).
    pub fn free(&mut self) -> usize {
        self.cached_head = self.shared.head.load(Ordering::Acquire);
        self.shared.mask + 1 - self.tail.wrapping_sub(self.cached_head)
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
        if self.head == self.cached_tail {
            self.cached_tail = self.shared.tail.load(Ordering::Acquire);
            if self.head == self.cached_tail {
                return None;
            }
        }
        let slot = &self.shared.slots[self.head & self.shared.mask];
        // SAFETY: the slot at `head` was written by the producer before it published
        // `tail` past it (Acquire above), and only this consumer reads it, once.
        let value = slot.with_mut(|p| unsafe { (*p).assume_init_read() });
        self.head = self.head.wrapping_add(1);
        self.shared.head.store(self.head, Ordering::Release);
        Some(value)
    }

    /// Values waiting now (a lower bound: the producer may add more meanwhile).
    pub fn len(&mut self) -> usize {
        self.cached_tail = self.shared.tail.load(Ordering::Acquire);
        self.cached_tail.wrapping_sub(self.head)
    }

    /// Nothing is waiting now.
    pub fn is_empty(&mut self) -> bool {
        self.len() == 0
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

#[cfg(all(test, not(loom)))]
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
