//! [`Decoder`]: FIX frames out of a byte stream. Bytes go into one buffer allocated at
//! construction (partial reads, several frames per read, a frame split across reads);
//! [`Decoder::next_frame`] yields each checked [`Frame`] borrowed from it, or a typed
//! [`DecodeError`] after skipping the bad bytes, so one bad frame never stalls the
//! stream. A frame is at most the buffer's size: a longer one is refused by its
//! BodyLength before its bytes arrive.

use super::encode::checksum;
use super::frame::{announces, next_field, parse_u64, FieldIndex, Frame};
use super::{DecodeError, BEGIN_STRING, SOH};
use crate::num::Text;

/// The smallest frame limit a decoder accepts (a Logon fits in about 300 bytes).
pub const MIN_FRAME: usize = 64;

/// What the bytes at the start of the buffer are.
// A frame carries its field index by value: returned once per frame and never stored,
// so boxing it (an allocation per frame) would cost more than the copy.
#[allow(clippy::large_enum_variant)]
enum Scan {
    /// Not a whole frame yet.
    More,
    /// A frame of this length, body at this range, MsgType value at this range.
    Frame(usize, (usize, usize), (usize, usize), FieldIndex),
    /// An error; skip this many bytes.
    Bad(DecodeError, usize),
}

/// The stream decoder.
pub struct Decoder {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
}

impl Decoder {
    /// A decoder for frames of at most `max_frame` bytes (at least [`MIN_FRAME`]).
    pub fn new(max_frame: usize) -> Decoder {
        Decoder {
            buf: vec![0; max_frame.max(MIN_FRAME)].into_boxed_slice(),
            start: 0,
            end: 0,
        }
    }

    /// The largest frame accepted.
    pub fn max_frame(&self) -> usize {
        self.buf.len()
    }

    /// Bytes received and not yet decoded.
    pub fn buffered(&self) -> usize {
        self.end - self.start
    }

    /// Free space to read into (a socket `read` target); call [`Decoder::filled`] with
    /// the count read. Moves undecoded bytes to the front first.
    pub fn space(&mut self) -> &mut [u8] {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        &mut self.buf[self.end..]
    }

    /// `n` bytes were written into [`Decoder::space`] (clamped to its length).
    pub fn filled(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.len());
    }

    /// Copies as much of `bytes` as fits; how many were taken (the rest is for after
    /// the next frames are decoded).
    pub fn feed(&mut self, bytes: &[u8]) -> usize {
        let space = self.space();
        let n = space.len().min(bytes.len());
        space[..n].copy_from_slice(&bytes[..n]);
        self.filled(n);
        n
    }

    /// The next frame, an error for bytes skipped, or `None` until more bytes arrive.
    pub fn next_frame(&mut self) -> Option<Result<Frame<'_>, DecodeError>> {
        let (start, end) = (self.start, self.end);
        match scan(&self.buf[start..end], self.buf.len()) {
            Scan::More => None,
            Scan::Bad(e, skip) => {
                self.start += skip;
                Some(Err(e))
            }
            Scan::Frame(len, body, mt, index) => {
                self.start += len;
                let bytes = &self.buf[start..start + len];
                Some(Ok(Frame::new(bytes, body, &bytes[mt.0..mt.1], index)))
            }
        }
    }
}

/// Checks one complete frame held alone in `bytes` (tests, logs, the fuzz harness).
pub fn decode_frame(bytes: &[u8]) -> Result<Frame<'_>, DecodeError> {
    match scan(bytes, usize::MAX) {
        Scan::Frame(len, body, mt, index) if len == bytes.len() => {
            Ok(Frame::new(bytes, body, &bytes[mt.0..mt.1], index))
        }
        Scan::Frame(..) | Scan::More => Err(DecodeError::BadBodyLength {
            value: Text::new(b""),
            why: "the frame does not end where BodyLength(9) says",
        }),
        Scan::Bad(e, _) => Err(e),
    }
}

/// Where `8=FIX.4.4␁` starts in `b`, or how many bytes are surely not a frame start.
fn find_begin(b: &[u8]) -> Result<usize, usize> {
    match b
        .windows(BEGIN_STRING.len())
        .position(|w| w == BEGIN_STRING)
    {
        Some(p) => Ok(p),
        None => Err(b.len().saturating_sub(BEGIN_STRING.len() - 1)),
    }
}

fn scan(b: &[u8], max: usize) -> Scan {
    match find_begin(b) {
        Ok(0) => {}
        Ok(p) => return Scan::Bad(DecodeError::Garbage { skipped: p }, p),
        Err(0) => return Scan::More,
        Err(n) => return Scan::Bad(DecodeError::Garbage { skipped: n }, n),
    }
    let h = BEGIN_STRING.len();
    let len_at = h + 2;
    if b.len() < len_at {
        return Scan::More;
    }
    let skip = |e| Scan::Bad(e, 1);
    let bad_len = |v: &[u8], why| {
        skip(DecodeError::BadBodyLength {
            value: Text::new(v),
            why,
        })
    };
    if &b[h..len_at] != b"9=" {
        return skip(DecodeError::MissingTag { tag: 9 });
    }
    let window = &b[len_at..b.len().min(len_at + 11)];
    let Some(soh) = window.iter().position(|&x| x == SOH) else {
        return if window.len() == 11 {
            bad_len(window, "no SOH after 10 digits")
        } else {
            Scan::More
        };
    };
    let digits = &window[..soh];
    let Some(body_len) = parse_u64(digits).and_then(|n| usize::try_from(n).ok()) else {
        return bad_len(digits, "not a number");
    };
    let body_at = len_at + soh + 1;
    let Some(len) = body_at.checked_add(body_len).and_then(|n| n.checked_add(7)) else {
        return skip(DecodeError::TooLarge {
            len: usize::MAX,
            max,
        });
    };
    if len > max {
        return skip(DecodeError::TooLarge { len, max });
    }
    if b.len() < len {
        return Scan::More;
    }
    check_frame(&b[..len], body_at, digits)
}

/// Checks a frame whose length BodyLength(9) gave: trailer, CheckSum, fields.
fn check_frame(b: &[u8], body_at: usize, len_digits: &[u8]) -> Scan {
    let len = b.len();
    let body_end = len - 7;
    let trailer = &b[body_end..];
    if &trailer[..3] != b"10=" || trailer[6] != SOH || body_end <= body_at || b[body_end - 1] != SOH
    {
        let e = DecodeError::BadBodyLength {
            value: Text::new(len_digits),
            why: "CheckSum(10) is not where BodyLength(9) ends",
        };
        return Scan::Bad(e, 1);
    }
    let found = &trailer[3..6];
    let computed = checksum(&b[..body_end]);
    if parse_u64(found) != Some(u64::from(computed)) {
        let e = DecodeError::BadChecksum {
            found: Text::new(found),
            computed,
        };
        return Scan::Bad(e, len);
    }
    match check_body(&b[body_at..body_end]) {
        Ok(((mt0, mt1), index)) => Scan::Frame(
            len,
            (body_at, body_end),
            (body_at + mt0, body_at + mt1),
            index,
        ),
        Err(DecodeError::Malformed { offset, why }) => Scan::Bad(
            DecodeError::Malformed {
                offset: body_at + offset,
                why,
            },
            len,
        ),
        Err(e) => Scan::Bad(e, len),
    }
}

/// Walks every field of the body once: the range of MsgType's value, and where every
/// field is.
fn check_body(body: &[u8]) -> Result<((usize, usize), FieldIndex), DecodeError> {
    let (tag, value, mut at) = next_field(body, 0, None)?;
    if tag != 35 {
        return Err(DecodeError::MissingTag { tag: 35 });
    }
    let mt = (at - 1 - value.len(), at - 1);
    let mut index = FieldIndex::EMPTY;
    index.push(tag, mt.0, mt.1);
    let mut data_len = None;
    while at < body.len() {
        let (tag, value, next) = next_field(body, at, data_len)?;
        index.push(tag, next - 1 - value.len(), next - 1);
        if matches!(tag, 8 | 9 | 10 | 35) {
            return Err(DecodeError::Malformed {
                offset: at,
                why: "header or trailer tag in the body",
            });
        }
        data_len = announces(tag, value);
        at = next;
    }
    Ok((mt, index))
}
