#![no_main]
//! See `legcore::fuzzing::num_parse` for the property checked.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    legcore::fuzzing::num_parse(data);
});
