//! [`RejectDetail`]: what a venue said when it refused an order or a cancel, as it said
//! it: its own error code, a FIX session-level reason and tag, and its text. The
//! [`RejectReason`](super::RejectReason) is legcore's reading of it, which the legs act
//! on; the detail is for the journal, the incident and the operator.
//!
//! Plain `Copy` data: the text is held inline ([`VenueText`], cut at
//! [`VENUE_TEXT_CAP`] bytes), so a reject costs no allocation on the hot path.

use core::fmt;

use arrayvec::ArrayString;

/// Bytes of a venue's text kept. Binance's order rejects and QuickFIX's session
/// rejects fit (`Account has insufficient balance for requested action.` is 54 bytes);
/// its longest texts (rate-limit bans, up to 147 bytes) are cut, and say so. Every
/// report carries room for it, so it stays small: a `Report` is copied through the
/// rings on every order.
pub const VENUE_TEXT_CAP: usize = 64;

/// A venue's text, printable ASCII (any other byte shown as `?`), cut at
/// [`VENUE_TEXT_CAP`] bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VenueText {
    buf: ArrayString<VENUE_TEXT_CAP>,
    truncated: bool,
}

impl VenueText {
    /// The empty text.
    pub const EMPTY: VenueText = VenueText {
        buf: ArrayString::new_const(),
        truncated: false,
    };

    /// Copies (up to [`VENUE_TEXT_CAP`] bytes of) `bytes`.
    pub fn new(bytes: &[u8]) -> VenueText {
        let mut t = VenueText::EMPTY;
        for &b in bytes.iter().take(VENUE_TEXT_CAP) {
            let c = if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '?'
            };
            // Cannot fail: at most VENUE_TEXT_CAP one-byte chars are pushed.
            let _ = t.buf.try_push(c);
        }
        t.truncated = bytes.len() > VENUE_TEXT_CAP;
        t
    }

    /// The kept text.
    pub fn as_str(&self) -> &str {
        &self.buf
    }

    /// Whether the venue's text was longer than what is kept.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// Whether there is no text.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

impl fmt::Display for VenueText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tail = if self.truncated { "…" } else { "" };
        write!(f, "{}{}", self.buf, tail)
    }
}

impl fmt::Debug for VenueText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// What the venue said with a reject. See the module doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RejectDetail {
    /// The venue's own error code (Binance's ErrorCode(25016): `-2010`, `-1013`).
    pub code: Option<i32>,
    /// A FIX session-level refusal (Reject(3)): its SessionRejectReason(373)
    /// (`5` value incorrect, `11` invalid MsgType, ...).
    pub session_reason: Option<u16>,
    /// The tag the refusal names (RefTagID(371)).
    pub ref_tag: Option<u32>,
    /// Its text (Text(58)).
    pub text: VenueText,
}

impl RejectDetail {
    /// A detail with only a text.
    pub fn text(bytes: &[u8]) -> RejectDetail {
        RejectDetail {
            code: None,
            session_reason: None,
            ref_tag: None,
            text: VenueText::new(bytes),
        }
    }
}

impl fmt::Display for RejectDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if let Some(c) = self.code {
            write!(f, "code {c}")?;
            sep = ", ";
        }
        if let Some(r) = self.session_reason {
            write!(f, "{sep}session reject {r}")?;
            sep = ", ";
        }
        if let Some(t) = self.ref_tag {
            write!(f, "{sep}tag {t}")?;
            sep = ", ";
        }
        if !self.text.is_empty() {
            write!(f, "{sep}\"{}\"", self.text)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn venue_text_keeps_printable_ascii_and_says_when_it_was_cut() {
        let t = VenueText::new(b"Value is incorrect\x01\xff");
        assert_eq!(t.as_str(), "Value is incorrect??");
        assert!(!t.is_truncated());
        let long = [b'x'; VENUE_TEXT_CAP + 1];
        let t = VenueText::new(&long);
        assert_eq!(t.as_str().len(), VENUE_TEXT_CAP);
        assert!(t.is_truncated());
        assert!(t.to_string().ends_with('…'));
        assert!(VenueText::EMPTY.is_empty());
    }

    #[test]
    fn a_detail_reads_as_its_parts() {
        let d = RejectDetail {
            code: Some(-2010),
            session_reason: None,
            ref_tag: None,
            text: VenueText::new(b"Account has insufficient balance for requested action."),
        };
        assert_eq!(
            d.to_string(),
            "code -2010, \"Account has insufficient balance for requested action.\""
        );
        let s = RejectDetail {
            code: None,
            session_reason: Some(5),
            ref_tag: Some(25001),
            text: VenueText::new(b"Value is incorrect (out of range) for this tag"),
        };
        assert_eq!(
            s.to_string(),
            "session reject 5, tag 25001, \"Value is incorrect (out of range) for this tag\""
        );
        assert_eq!(RejectDetail::text(b"").to_string(), "");
    }
}
