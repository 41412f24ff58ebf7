#![no_main]
//! See `legcore::fuzzing::book_walk` for the property checked.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    legcore::fuzzing::book_walk(data);
});
