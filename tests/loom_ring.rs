//! Model check of the SPSC ring with loom: every interleaving of a producer and a
//! consumer thread over a 2-slot ring (wrap-around included) delivers each value once,
//! in order, one by one and in slices (`push_slice`/`pop_slice`, whose whole-batch path
//! checks one stamp for many slots), and drops what is left exactly once.
//!
//! Run with `RUSTFLAGS="--cfg legcore_loom" cargo test --release --test loom_ring`
//! (`.ci/run` does); under a plain `cargo test` this file is empty.

#![cfg(legcore_loom)]

use legcore::runtime::ring::ring;

#[test]
fn every_interleaving_delivers_in_order() {
    loom::model(|| {
        let (mut p, mut c) = ring::<u32>(2);
        let t = loom::thread::spawn(move || {
            for i in 0..3 {
                let mut v = i;
                loop {
                    match p.push(v) {
                        Ok(()) => break,
                        Err(back) => {
                            v = back;
                            loom::thread::yield_now();
                        }
                    }
                }
            }
        });
        let mut next = 0;
        while next < 3 {
            match c.pop() {
                Some(v) => {
                    assert_eq!(v, next);
                    next += 1;
                }
                None => loom::thread::yield_now(),
            }
        }
        t.join().unwrap();
        assert_eq!(c.pop(), None);
    });
}

#[test]
fn values_left_behind_are_dropped_once() {
    loom::model(|| {
        let marker = loom::sync::Arc::new(());
        let (mut p, c) = ring(2);
        let m = marker.clone();
        let t = loom::thread::spawn(move || {
            let _ = p.push(m.clone());
            let _ = p.push(m);
        });
        t.join().unwrap();
        drop(c);
        assert_eq!(loom::sync::Arc::strong_count(&marker), 1);
    });
}

#[test]
fn every_interleaving_of_batches_delivers_in_order() {
    loom::model(|| {
        let (mut p, mut c) = ring::<u32>(2);
        let t = loom::thread::spawn(move || {
            let values = [0, 1, 2];
            let mut sent = 0;
            while sent < values.len() {
                let end = (sent + 2).min(values.len());
                match p.push_slice(&values[sent..end]) {
                    0 => loom::thread::yield_now(),
                    k => sent += k,
                }
            }
        });
        let (mut next, mut out) = (0, [0u32; 2]);
        while next < 3 {
            match c.pop_slice(&mut out) {
                0 => loom::thread::yield_now(),
                k => {
                    for &v in &out[..k] {
                        assert_eq!(v, next);
                        next += 1;
                    }
                }
            }
        }
        t.join().unwrap();
        assert_eq!(c.pop_slice(&mut out), 0);
    });
}
