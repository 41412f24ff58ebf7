//! The codec's typed errors: a frame the decoder refuses ([`DecodeError`]), a field a
//! reader refuses ([`FieldError`]), a frame the encoder cannot write ([`EncodeError`]).
//! All are `Copy` and quote values through [`Text`], so reporting one allocates nothing.

use crate::num::Text;

/// Why bytes from the wire are not a FIX frame. The decoder has skipped the offending
/// bytes when it returns one, so the next call resumes at the next frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Bytes before `8=FIX.4.4␁` (skipped, counted).
    #[error("{skipped} bytes before BeginString(8)=FIX.4.4 skipped")]
    Garbage {
        /// How many bytes were skipped.
        skipped: usize,
    },
    /// BodyLength(9) is not a number, or the frame does not end where it says.
    #[error("bad BodyLength(9) {value}: {why}")]
    BadBodyLength {
        /// The value as sent.
        value: Text,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A frame longer than the decoder accepts.
    #[error("frame of {len} bytes is over the {max}-byte limit")]
    TooLarge {
        /// Its length (header + body + trailer) as BodyLength(9) announces it.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// CheckSum(10) does not match the frame's bytes.
    #[error("CheckSum(10) is {found} but the frame sums to {computed:03}")]
    BadChecksum {
        /// The value as sent.
        found: Text,
        /// The sum of the bytes before it, mod 256.
        computed: u8,
    },
    /// A field that is not `tag=value␁` (empty value, tag not a number, no `=`).
    #[error("malformed field at byte {offset} of the frame: {why}")]
    Malformed {
        /// Offset of the field in the frame.
        offset: usize,
        /// What is wrong.
        why: &'static str,
    },
    /// A tag every frame must carry is missing or out of place (MsgType(35) must be
    /// the first field of the body).
    #[error("required tag {tag} missing or out of place")]
    MissingTag {
        /// The tag.
        tag: u32,
    },
}

/// Why a field of a decoded frame cannot be read as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// The frame does not carry the tag.
    #[error("required tag {tag} missing")]
    Missing {
        /// The tag.
        tag: u32,
    },
    /// The value is not of the tag's type or outside its range.
    #[error("tag {tag} value {value} out of range: {why}")]
    OutOfRange {
        /// The tag.
        tag: u32,
        /// The value as sent.
        value: Text,
        /// The rule it breaks.
        why: &'static str,
    },
}

impl FieldError {
    pub(crate) fn range(tag: u32, value: &[u8], why: &'static str) -> FieldError {
        FieldError::OutOfRange {
            tag,
            value: Text::new(value),
            why,
        }
    }
}

/// Why a frame could not be encoded. Nothing is sent: the caller's buffer holds no frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The caller's buffer is too small for the frame.
    #[error("frame does not fit the {cap}-byte buffer")]
    BufferFull {
        /// The buffer's size.
        cap: usize,
    },
    /// A value that FIX cannot carry in this field (an SOH in a string, a time past 9999).
    #[error("tag {tag} value {value} cannot be encoded: {why}")]
    BadValue {
        /// The tag.
        tag: u32,
        /// The value.
        value: Text,
        /// Why.
        why: &'static str,
    },
}
