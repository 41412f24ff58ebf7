//! [`Quoted`]: user input shown back in a message, in double quotes with control
//! characters and quotes escaped (`"1.2.3"`, `"a\"b"`), so an empty or odd value is
//! visible. It is how messages quote values: Debug formatting never reaches people (the
//! tidy test `no_debug_formatting_in_user_output` holds the line).
//!
//! [`digits`]: an integer's decimal digits into a stack buffer, for wire formats that
//! write ids without allocating (FIX ClOrdID, Binance client order ids).

use core::fmt;

/// `v`'s decimal digits, written at the end of `out` (20 digits hold any `u64`).
pub fn digits(v: u64, out: &mut [u8; 20]) -> &[u8] {
    let mut i = out.len();
    let mut v = v;
    loop {
        i -= 1;
        out[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            return &out[i..];
        }
    }
}

/// `text` in double quotes, escaped. See the module doc.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.0.escape_debug())
    }
}

impl fmt::Debug for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::Quoted;

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(Quoted("12x").to_string(), "\"12x\"");
        assert_eq!(Quoted("").to_string(), "\"\"");
        assert_eq!(Quoted("a\"b\n").to_string(), "\"a\\\"b\\n\"");
    }
}
