//! The codec against Binance's documented frames and against itself.

use super::*;
use crate::num::Step;

const DOC_FRAMES: &str = include_str!("../../../data/venues/binance/fix-api-frames.txt");

/// (kind, frame bytes with SOH) of every example in the doc.
fn doc_frames() -> Vec<(&'static str, Vec<u8>)> {
    DOC_FRAMES
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (kind, f) = l.split_once(' ').unwrap();
            (kind, f.replace('|', "\x01").into_bytes())
        })
        .collect()
}

#[test]
fn every_self_consistent_doc_frame_decodes_and_the_others_are_refused() {
    let (mut ok, mut cs, mut len) = (0, 0, 0);
    for (kind, f) in doc_frames() {
        let r = decode_frame(&f);
        match kind {
            "ok" => {
                let frame = r.unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&f)));
                assert_eq!(frame.bytes(), &f[..]);
                assert!(frame.fields().count() >= 5);
                let (indexed, walked): (Vec<_>, Vec<_>) =
                    (frame.fields().collect(), frame.walk().collect());
                assert_eq!(indexed, walked, "the index is the walk");
                ok += 1;
            }
            "bad_checksum" => {
                assert!(matches!(r, Err(DecodeError::BadChecksum { .. })), "{kind}");
                cs += 1;
            }
            _ => {
                let e = r.err().unwrap();
                assert!(matches!(e, DecodeError::BadBodyLength { .. }), "{e}");
                len += 1;
            }
        }
    }
    assert_eq!((ok, cs, len), (15, 7, 6));
}

#[test]
fn the_logon_vector_frame_reads_field_by_field() {
    let (_, f) = doc_frames().into_iter().next().unwrap();
    let frame = decode_frame(&f).unwrap();
    assert_eq!(frame.msg_type(), b"A");
    assert_eq!(frame.uint(34), Ok(1));
    assert_eq!(frame.req(49), Ok(&b"EXAMPLE"[..]));
    assert_eq!(frame.uint(95), Ok(88));
    assert_eq!(frame.req(96).unwrap().len(), 88);
    assert_eq!(frame.time(52), Ok(1_719_487_045_223_000_000));
    assert_eq!(frame.req(58), Err(FieldError::Missing { tag: 58 }));
    let e = frame.uint(49).unwrap_err();
    assert_eq!(
        e.to_string(),
        "tag 49 value \"EXAMPLE\" out of range: not an unsigned integer"
    );
}

#[test]
fn the_encoder_rebuilds_the_logon_vector_byte_for_byte() {
    let (_, want) = doc_frames().into_iter().next().unwrap();
    let want_frame = decode_frame(&want).unwrap();
    let mut buf = [0u8; 512];
    let mut e = Encoder::new(&mut buf[..], b"A");
    e.uint(34, 1).str(49, b"EXAMPLE");
    e.time(52, want_frame.time(52).unwrap(), TimePrecision::Millis);
    e.str(56, b"SPOT").data(95, 96, want_frame.req(96).unwrap());
    e.int(98, 0).uint(108, 30).char(141, b'Y');
    e.str(553, want_frame.req(553).unwrap()).uint(25035, 2);
    assert_eq!(e.finish().unwrap(), &want[..]);
}

#[test]
fn decimals_are_written_exactly() {
    let cases: [(i128, u8, &str); 7] = [
        (6_180_025, 2, "61800.25"),
        (5, 8, "0.00000005"),
        (0, 0, "0"),
        (0, 3, "0.000"),
        (-1013, 0, "-1013"),
        (-15, 1, "-1.5"),
        (i128::from(i64::MAX), 18, "9.223372036854775807"),
    ];
    for (m, dp, text) in cases {
        let mut buf = [0u8; 128];
        let mut e = Encoder::new(&mut buf[..], b"0");
        e.decimal(44, m, dp);
        let f = e.finish().unwrap();
        let frame = decode_frame(f).unwrap();
        assert_eq!(frame.req(44).unwrap(), text.as_bytes());
    }
}

/// Near the end of the buffer a field is written whole or refused, never cut.
#[test]
fn a_field_that_does_not_fit_is_refused_whole() {
    let mut buf = [0u8; 96];
    for len in 1..80 {
        let value = vec![b'v'; len];
        let mut e = Encoder::new(&mut buf[..], b"0");
        e.str(58, &value);
        match e.finish() {
            Ok(f) => assert_eq!(decode_frame(f).unwrap().req(58), Ok(&value[..])),
            Err(err) => assert_eq!(err, EncodeError::BufferFull { cap: 96 }, "{len}"),
        }
    }
}

#[test]
fn the_encoder_refuses_what_fix_cannot_carry() {
    let mut buf = [0u8; 64];
    let mut e = Encoder::new(&mut buf[..], b"0");
    e.str(58, b"a\x01b");
    assert!(matches!(
        e.finish(),
        Err(EncodeError::BadValue { tag: 58, .. })
    ));
    let mut e = Encoder::new(&mut buf[..], b"0");
    e.str(58, &[b'x'; 64]);
    assert_eq!(e.finish().err(), Some(EncodeError::BufferFull { cap: 64 }));
    let mut tiny = [0u8; 8];
    assert!(Encoder::new(&mut tiny[..], b"0").finish().is_err());
    let mut e = Encoder::new(&mut buf[..], b"0");
    e.decimal(44, 1, 19);
    assert!(matches!(
        e.finish(),
        Err(EncodeError::BadValue { tag: 44, .. })
    ));
}

fn all_ok_frames() -> Vec<u8> {
    doc_frames()
        .into_iter()
        .filter(|(k, _)| *k == "ok")
        .flat_map(|(_, f)| f)
        .collect()
}

/// Feeds `stream` in chunks of `chunk` bytes; the MsgTypes decoded and errors seen.
fn run(d: &mut Decoder, stream: &[u8], chunk: usize) -> (Vec<Vec<u8>>, Vec<DecodeError>) {
    let (mut types, mut errs) = (Vec::new(), Vec::new());
    let mut rest = stream;
    loop {
        let n = d.feed(&rest[..rest.len().min(chunk)]);
        rest = &rest[n..];
        while let Some(r) = d.next_frame() {
            match r {
                Ok(f) => types.push(f.msg_type().to_vec()),
                Err(e) => errs.push(e),
            }
        }
        if rest.is_empty() {
            return (types, errs);
        }
    }
}

#[test]
fn a_stream_decodes_the_same_in_any_chunking() {
    let stream = all_ok_frames();
    for chunk in [1, 2, 7, 64, 300, stream.len()] {
        let mut d = Decoder::new(1024);
        let (types, errs) = run(&mut d, &stream, chunk);
        assert_eq!(types.len(), 15, "chunk {chunk}");
        assert_eq!(types[0], b"A");
        assert_eq!(types[14], b"X");
        assert!(errs.is_empty(), "chunk {chunk}: {errs:?}");
        assert_eq!(d.buffered(), 0);
    }
}

#[test]
fn garbage_and_bad_frames_are_skipped_counted_and_the_stream_resumes() {
    let frames = doc_frames();
    let good = |i: usize| frames[i].1.clone();
    let mut stream = b"noise\x01".to_vec();
    stream.extend(good(0));
    stream.extend(&frames[6].1); // D: bad checksum
    stream.extend(b"8=FIX.4.4\x019=abc\x01");
    stream.extend(&frames[21].1); // V: bad body length
    stream.extend(good(3));
    let mut d = Decoder::new(1024);
    let (types, errs) = run(&mut d, &stream, 5);
    assert_eq!(types, vec![b"A".to_vec(), b"5".to_vec()]);
    // Garbage is reported as it is found (here in two reads), every byte counted.
    let garbage: Vec<usize> = errs
        .iter()
        .filter_map(|e| match e {
            DecodeError::Garbage { skipped } => Some(*skipped),
            _ => None,
        })
        .collect();
    assert_eq!(garbage.first(), Some(&1));
    let checksums = errs
        .iter()
        .filter(|e| matches!(e, DecodeError::BadChecksum { .. }));
    assert_eq!(checksums.count(), 1);
    let lengths = errs
        .iter()
        .filter(|e| matches!(e, DecodeError::BadBodyLength { .. }));
    assert!(lengths.count() >= 2);
    assert!(errs
        .iter()
        .all(|e| !matches!(e, DecodeError::TooLarge { .. })));
    assert_eq!(d.buffered(), 0);
}

#[test]
fn a_frame_over_the_limit_is_refused_by_its_body_length() {
    let mut d = Decoder::new(64);
    d.feed(b"8=FIX.4.4\x019=999999\x0135=0\x01");
    let e = d.next_frame().unwrap().unwrap_err();
    assert!(matches!(e, DecodeError::TooLarge { max: 64, .. }), "{e}");
}

#[test]
fn malformed_bodies_are_refused_with_the_offset() {
    let bad_bodies: [&[u8]; 5] = [
        b"34=1\x01",
        b"35=\x01",
        b"35=0\x01x=1\x01",
        b"35=0\x0195=9\x0196=ab\x01",
        b"35=0\x0110=000\x01",
    ];
    for body in bad_bodies {
        let mut buf = b"8=FIX.4.4\x019=".to_vec();
        buf.extend(body.len().to_string().bytes());
        buf.push(SOH);
        buf.extend(body);
        let sum = checksum(&buf);
        buf.extend(format!("10={sum:03}\x01").bytes());
        let e = decode_frame(&buf).unwrap_err();
        assert!(
            matches!(
                e,
                DecodeError::Malformed { .. } | DecodeError::MissingTag { tag: 35 }
            ),
            "{e}"
        );
    }
}

#[test]
fn data_fields_may_hold_soh() {
    let mut buf = [0u8; 128];
    let mut e = Encoder::new(&mut buf[..], b"A");
    e.data(95, 96, b"a\x01=b").uint(108, 30);
    let f = decode_frame(e.finish().unwrap()).unwrap();
    assert_eq!(f.req(96), Ok(&b"a\x01=b"[..]));
    assert_eq!(f.uint(108), Ok(30));
}

/// Past the indexed fields a frame is still read whole, and a repeated tag reads as its
/// first value wherever it is.
#[test]
fn every_field_reads_the_same_indexed_or_not() {
    let mut buf = vec![0u8; 4096];
    let mut e = Encoder::new(&mut buf[..], b"8");
    let n = MAX_INDEXED as u64 + 20;
    for i in 0..n {
        e.uint(5000 + i as u32, i);
    }
    e.uint(5000, 999).uint(58, 7);
    let f = decode_frame(e.finish().unwrap()).unwrap();
    for i in 0..n {
        assert_eq!(f.uint(5000 + i as u32), Ok(i), "tag {}", 5000 + i);
    }
    assert_eq!(f.uint(58), Ok(7), "the last field, past the index");
    assert_eq!(f.uint(5000), Ok(0), "the first of a repeated tag");
    assert_eq!(f.get(4), None);
    let walked: Vec<u32> = f.fields().map(|(t, _)| t).collect();
    assert_eq!(
        walked.len() as u64,
        n + 3,
        "MsgType, the fields, the repeat and 58"
    );
}

#[test]
fn typed_readers_refuse_out_of_range_values() {
    let mut buf = [0u8; 256];
    let mut e = Encoder::new(&mut buf[..], b"8");
    e.str(38, b"5.00000001")
        .str(34, b"-1")
        .str(25016, b"-1013")
        .str(14, b"99999999999999999999");
    let f = decode_frame(e.finish().unwrap()).unwrap();
    let lot = Step::parse("0.01").unwrap();
    assert!(matches!(
        f.units(38, lot),
        Err(FieldError::OutOfRange { tag: 38, .. })
    ));
    assert!(matches!(
        f.uint(34),
        Err(FieldError::OutOfRange { tag: 34, .. })
    ));
    assert_eq!(f.int(25016), Ok(-1013));
    assert!(matches!(
        f.int(14),
        Err(FieldError::OutOfRange { tag: 14, .. })
    ));
}

proptest::proptest! {
    #[test]
    fn mutated_doc_streams_hold_the_fuzz_property(
        cut in 0usize..4000,
        flips in proptest::collection::vec((0usize..4000, proptest::num::u8::ANY), 0..6),
    ) {
        let mut s = all_ok_frames();
        s.extend(doc_frames().into_iter().flat_map(|(_, f)| f));
        for (at, b) in flips {
            let n = s.len();
            s[at % n] = b;
        }
        s.truncate(cut.max(1));
        crate::fuzzing::fix_decode(&s);
    }
}
