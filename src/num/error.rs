//! Errors of the number layer, with the offending text kept inline.
//!
//! [`Text`] holds up to 40 bytes of the input in an `arrayvec::ArrayString`, so a
//! parse error names what it rejected without allocating: the decoders call these
//! parsers on the hot path, and a bad message must not cost a heap allocation.

use core::fmt;

use arrayvec::ArrayString;

/// Maximum number of input bytes an error keeps to name the text.
pub const TEXT_CAP: usize = 40;

/// A short, allocation-free copy of rejected input, for error messages.
///
/// Bytes that are not printable ASCII are shown as `?`; input longer than
/// [`TEXT_CAP`] is cut and shown with a trailing `…`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Text {
    buf: ArrayString<TEXT_CAP>,
    truncated: bool,
}

impl Text {
    /// Copies (up to [`TEXT_CAP`] bytes of) `bytes`.
    pub fn new(bytes: &[u8]) -> Self {
        let mut buf = ArrayString::new();
        for &b in bytes.iter().take(TEXT_CAP) {
            let c = if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '?'
            };
            // Cannot fail: at most TEXT_CAP one-byte chars are pushed.
            let _ = buf.try_push(c);
        }
        Text {
            buf,
            truncated: bytes.len() > TEXT_CAP,
        }
    }

    /// The `Display` form of `value`, without allocating (cut at [`TEXT_CAP`] bytes).
    pub fn display(value: impl fmt::Display) -> Self {
        struct Cut(Text);
        impl fmt::Write for Cut {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                for c in s.chars() {
                    if self.0.buf.try_push(c).is_err() {
                        self.0.truncated = true;
                        break;
                    }
                }
                Ok(())
            }
        }
        let mut cut = Cut(Text {
            buf: ArrayString::new(),
            truncated: false,
        });
        let _ = fmt::write(&mut cut, format_args!("{value}"));
        cut.0
    }

    /// The kept text (possibly cut).
    pub fn as_str(&self) -> &str {
        &self.buf
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tail = if self.truncated { "…" } else { "" };
        write!(f, "\"{}{}\"", self.buf, tail)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a number was rejected or an operation could not give an exact result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NumError {
    /// The text is not a decimal number (`"12.5"`, `"0.000"`, `"1e-5"` are; `""`, `"1."`,
    /// `"+1"`, `"1,5"` are not). Fix the producer or the field being read.
    #[error("not a decimal number: {0}")]
    Syntax(Text),
    /// NaN or an infinity: a venue or file sent a non-number where a price or size belongs.
    #[error("not a finite number: {0}")]
    NotFinite(Text),
    /// A minus sign where only non-negative values are allowed (prices, sizes).
    #[error("negative value not allowed: {0}")]
    Negative(Text),
    /// More decimal places than the target scale holds; legcore never rounds input silently.
    #[error("{text} has more than {max_dp} decimal places")]
    TooPrecise {
        /// The rejected text.
        text: Text,
        /// Decimal places the target holds.
        max_dp: u8,
    },
    /// The value is outside the documented fixed-point range.
    #[error("{0} is outside the fixed-point range")]
    Range(Text),
    /// The value is not a whole number of ticks or lots of the instrument.
    #[error("{text} is not a multiple of the step {step}")]
    OffStep {
        /// The rejected text.
        text: Text,
        /// The step (tick or lot) it had to be a multiple of.
        step: Text,
    },
    /// An arithmetic result left the fixed-point range; the operation is named.
    #[error("arithmetic overflow in {0}")]
    Overflow(&'static str),
    /// Division by zero.
    #[error("division by zero in {0}")]
    DivZero(&'static str),
    /// A step (tick, lot) must be strictly positive.
    #[error("step must be positive, got {0}")]
    BadStep(Text),
}
