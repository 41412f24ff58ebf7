//! The FIX 4.4 tag=value codec, sans-IO.
//!
//! - [`Encoder`]: one frame into a caller's buffer; BodyLength(9) and CheckSum(10)
//!   computed; integers, exact decimals and UTCTIMESTAMPs written without allocation.
//! - [`Decoder`]: frames out of a byte stream (partial reads, several frames per read,
//!   frames split across reads) into [`Frame`]s borrowed from its one buffer, with
//!   `(tag, &[u8])` field views and typed readers.
//! - Errors are typed and `Copy` ([`DecodeError`], [`FieldError`], [`EncodeError`]);
//!   no input makes the decoder panic (fuzz target `fix_decode`).
//!
//! Only the framing is checked here (BeginString `FIX.4.4`, BodyLength, CheckSum, field
//! syntax, MsgType first). Which tags a message must carry is the session's and the
//! order mapping's business; they ask with [`Frame::req`] and friends.

mod decode;
mod encode;
mod error;
mod frame;
mod time;

pub use decode::{decode_frame, Decoder, MIN_FRAME};
pub use encode::{checksum, Encoder};
pub use error::{DecodeError, EncodeError, FieldError};
pub use frame::{Fields, Frame, MAX_INDEXED};
pub use time::{parse_timestamp, write_timestamp, TimePrecision};

/// The field separator.
pub const SOH: u8 = 0x01;

/// `8=FIX.4.4␁`: every frame starts with it.
pub const BEGIN_STRING: &[u8] = b"8=FIX.4.4\x01";

#[cfg(test)]
mod tests;
