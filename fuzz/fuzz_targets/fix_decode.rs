#![no_main]
//! See `legcore::fuzzing::fix_decode` for the property checked.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    legcore::fuzzing::fix_decode(data);
});
