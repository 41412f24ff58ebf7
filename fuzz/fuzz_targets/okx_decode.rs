#![no_main]
//! See `legcore::fuzzing::okx_decode` for the property checked.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    legcore::fuzzing::okx_decode(data);
});
