//! [`Encoder`]: one FIX frame into the caller's buffer, fields appended in order, then
//! BodyLength(9) and CheckSum(10) computed by [`Encoder::finish`]. Integers, exact
//! decimals and timestamps are written digit by digit: nothing allocates.
//!
//! The body is written after a gap kept for the header (`8=FIX.4.4␁9=<n>␁`); `finish`
//! writes the header right before the body, so BodyLength has no padding and the frame
//! is one contiguous slice of the buffer (it need not start at byte 0).

use super::time::{write_timestamp, TimePrecision};
use super::{EncodeError, BEGIN_STRING, SOH};
use crate::num::Text;

/// Bytes kept before the body for `8=FIX.4.4␁9=` and up to 7 BodyLength digits.
const HEADER_ROOM: usize = BEGIN_STRING.len() + 2 + 7 + 1;
/// `10=nnn␁`.
const TRAILER_LEN: usize = 7;

/// Writes one frame. Appends are chained; the first error sticks and `finish` returns
/// it (the buffer then holds no frame to send).
pub struct Encoder<'a> {
    buf: &'a mut [u8],
    pos: usize,
    err: Option<EncodeError>,
}

impl<'a> Encoder<'a> {
    /// Starts a frame of MsgType(35) `msg_type` in `buf`.
    pub fn new(buf: &'a mut [u8], msg_type: &[u8]) -> Encoder<'a> {
        let mut e = Encoder {
            pos: HEADER_ROOM.min(buf.len()),
            err: (buf.len() < HEADER_ROOM).then_some(EncodeError::BufferFull { cap: buf.len() }),
            buf,
        };
        e.str(35, msg_type);
        e
    }

    fn raw(&mut self, bytes: &[u8]) {
        if self.err.is_some() {
            return;
        }
        match self.buf.get_mut(self.pos..self.pos + bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.pos += bytes.len();
            }
            None => {
                self.err = Some(EncodeError::BufferFull {
                    cap: self.buf.len(),
                })
            }
        }
    }

    fn tag(&mut self, tag: u32) {
        // `<digits>=` built on the stack and copied once.
        let mut d = [0u8; 21];
        d[20] = b'=';
        let digits: &mut [u8; 20] = (&mut d[..20]).try_into().expect("20 bytes");
        let n = write_u64(u64::from(tag), digits);
        self.raw(&d[20 - n..]);
    }

    fn bad(&mut self, tag: u32, value: &[u8], why: &'static str) -> &mut Self {
        if self.err.is_none() {
            self.err = Some(EncodeError::BadValue {
                tag,
                value: Text::new(value),
                why,
            });
        }
        self
    }

    /// A string field. Refused if empty or holding SOH (FIX strings are printable).
    pub fn str(&mut self, tag: u32, value: &[u8]) -> &mut Self {
        if value.is_empty() || value.contains(&SOH) {
            return self.bad(tag, value, "empty or holds SOH");
        }
        if self.err.is_some() {
            return self;
        }
        // `<tag>=<value>␁` into the buffer after one bounds check.
        let mut digits = [0u8; 20];
        let n = write_u64(u64::from(tag), &mut digits);
        let len = n + 1 + value.len() + 1;
        let Some(dst) = self.buf.get_mut(self.pos..self.pos + len) else {
            let cap = self.buf.len();
            self.err = Some(EncodeError::BufferFull { cap });
            return self;
        };
        let (t, rest) = dst.split_at_mut(n);
        t.copy_from_slice(&digits[20 - n..]);
        rest[0] = b'=';
        rest[1..=value.len()].copy_from_slice(value);
        rest[value.len() + 1] = SOH;
        self.pos += len;
        self
    }

    /// A one-character field (side, order type, flags).
    pub fn char(&mut self, tag: u32, c: u8) -> &mut Self {
        self.str(tag, &[c])
    }

    /// A length field and its data field (RawDataLength(95), RawData(96)): the data may
    /// hold any byte, its length says where it ends.
    pub fn data(&mut self, len_tag: u32, data_tag: u32, value: &[u8]) -> &mut Self {
        self.uint(len_tag, value.len() as u64);
        self.tag(data_tag);
        self.raw(value);
        self.raw(&[SOH]);
        self
    }

    /// An unsigned integer field.
    pub fn uint(&mut self, tag: u32, v: u64) -> &mut Self {
        let mut d = [0u8; 20];
        let n = write_u64(v, &mut d);
        self.str(tag, &d[20 - n..])
    }

    /// A signed integer field.
    pub fn int(&mut self, tag: u32, v: i64) -> &mut Self {
        self.decimal(tag, i128::from(v), 0)
    }

    /// An exact decimal field: `mantissa × 10^-dp`, written with exactly `dp` decimals
    /// (`decimal(44, 61_800_25, 2)` is `44=61800.25`). `dp` at most 18.
    pub fn decimal(&mut self, tag: u32, mantissa: i128, dp: u8) -> &mut Self {
        if dp > 18 {
            return self.bad(
                tag,
                &[b'0' + dp / 10, b'0' + dp % 10],
                "more than 18 decimals",
            );
        }
        let mut d = [0u8; 44];
        let mut i = d.len();
        let m = mantissa.unsigned_abs();
        // Digit by digit from the right; in u64 when it fits (a 128-bit division per
        // digit is a library call).
        let mut put = |digit: u8, written: u8| {
            if written == dp && dp > 0 {
                i -= 1;
                d[i] = b'.';
            }
            i -= 1;
            d[i] = b'0' + digit;
        };
        let mut written = 0u8;
        match u64::try_from(m) {
            Ok(mut m) => {
                while m > 0 || written <= dp {
                    put((m % 10) as u8, written);
                    m /= 10;
                    written += 1;
                }
            }
            Err(_) => {
                let mut m = m;
                while m > 0 || written <= dp {
                    put((m % 10) as u8, written);
                    m /= 10;
                    written += 1;
                }
            }
        }
        if mantissa < 0 {
            i -= 1;
            d[i] = b'-';
        }
        self.str(tag, &d[i..])
    }

    /// A UTCTIMESTAMP field from ns since the epoch (truncated to `precision`).
    pub fn time(&mut self, tag: u32, ns: u64, precision: TimePrecision) -> &mut Self {
        let mut d = [0u8; 24];
        write_timestamp(ns, precision, &mut d[..precision.text_len()]);
        self.str(tag, &d[..precision.text_len()])
    }

    /// Writes the header and trailer; the finished frame, a slice of the buffer.
    pub fn finish(self) -> Result<&'a [u8], EncodeError> {
        let mut range = 0..0;
        let buf = self.finish_into(&mut range)?;
        Ok(&buf[range])
    }

    /// Like [`Encoder::finish`], but says where in the buffer the frame is.
    pub fn finish_range(self) -> Result<std::ops::Range<usize>, EncodeError> {
        let mut range = 0..0;
        self.finish_into(&mut range)?;
        Ok(range)
    }

    fn finish_into(self, range: &mut std::ops::Range<usize>) -> Result<&'a mut [u8], EncodeError> {
        let Encoder { buf, pos, err } = self;
        if let Some(e) = err {
            return Err(e);
        }
        let cap = buf.len();
        let body_len = pos - HEADER_ROOM;
        let mut d = [0u8; 20];
        let n = write_u64(body_len as u64, &mut d);
        if n > 7 || pos + TRAILER_LEN > cap {
            return Err(EncodeError::BufferFull { cap });
        }
        let start = HEADER_ROOM - BEGIN_STRING.len() - 2 - n - 1;
        let mut w = start;
        for part in [BEGIN_STRING, b"9=", &d[20 - n..], &[SOH]] {
            buf[w..w + part.len()].copy_from_slice(part);
            w += part.len();
        }
        let sum = checksum(&buf[start..pos]);
        let trailer = [
            b'1',
            b'0',
            b'=',
            b'0' + sum / 100,
            b'0' + sum / 10 % 10,
            b'0' + sum % 10,
            SOH,
        ];
        buf[pos..pos + TRAILER_LEN].copy_from_slice(&trailer);
        *range = start..pos + TRAILER_LEN;
        Ok(buf)
    }
}

/// The FIX checksum: the byte sum mod 256.
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |s, &b| s.wrapping_add(b))
}

/// Writes `v`'s digits right-aligned in `out`; how many.
fn write_u64(mut v: u64, out: &mut [u8; 20]) -> usize {
    let mut i = out.len();
    loop {
        i -= 1;
        out[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            return out.len() - i;
        }
    }
}
