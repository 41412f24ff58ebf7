//! Replays the committed cargo-fuzz corpus (`fuzz/corpus/<target>/`) through the same
//! harnesses the fuzz targets call, so `cargo test` keeps every found input green.

use std::fs;
use std::path::Path;

fn replay(target: &str, harness: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = fs::read(&path).unwrap();
        harness(&data);
        n += 1;
    }
    assert!(n > 0, "empty corpus for {target}");
}

#[test]
fn num_parse_corpus() {
    replay("num_parse", legcore::fuzzing::num_parse);
}

#[test]
fn book_walk_corpus() {
    replay("book_walk", legcore::fuzzing::book_walk);
}

#[test]
fn book_decode_corpus() {
    replay("book_decode", legcore::fuzzing::book_decode);
}

#[test]
fn fix_decode_corpus() {
    replay("fix_decode", legcore::fuzzing::fix_decode);
}

#[test]
fn okx_decode_corpus() {
    replay("okx_decode", legcore::fuzzing::okx_decode);
}
