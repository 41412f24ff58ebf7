//! [`Frame`]: one checked FIX frame, borrowed from the decoder's buffer, and its fields
//! as `(tag, &[u8])` views. Typed readers ([`Frame::uint`], [`Frame::units`],
//! [`Frame::time`]...) say which tag is missing or which value is out of range.
//!
//! The field walk ([`next_field`]) is the one the decoder validated the frame with, so
//! iterating a [`Frame`] cannot fail. That walk also records where each field is
//! ([`FieldIndex`], the first [`MAX_INDEXED`] fields), so a typed reader finds its tag
//! without parsing the frame again: an ExecutionReport is read in one walk, not one a
//! field. A data field (RawData(96) and FIX 4.4's other
//! length-prefixed fields) may hold SOH: its length field, just before it, says where
//! it ends.

use super::time::parse_timestamp;
use super::{DecodeError, FieldError, SOH};
use crate::num::Step;

/// (length tag, data tag) pairs of FIX 4.4: the data's bytes are counted, not scanned.
const DATA_FIELDS: [(u32, u32); 4] = [(95, 96), (93, 89), (90, 91), (212, 213)];

/// Fields whose place a [`Frame`] keeps (Binance's ExecutionReport has about 30); a
/// frame with more is still read whole, its later fields by a walk.
pub const MAX_INDEXED: usize = 48;

/// Where the body's first fields are: `(tag, value start, value end)`, offsets in the
/// body, in order.
#[derive(Clone, Copy)]
pub(crate) struct FieldIndex {
    fields: [(u32, u32, u32); MAX_INDEXED],
    len: u8,
    /// Every field of the body is in `fields`.
    complete: bool,
}

impl FieldIndex {
    pub(crate) const EMPTY: FieldIndex = FieldIndex {
        fields: [(0, 0, 0); MAX_INDEXED],
        len: 0,
        complete: true,
    };

    /// Records the field `tag` whose value is `body[start..end]`.
    pub(crate) fn push(&mut self, tag: u32, start: usize, end: usize) {
        let fits = |x: usize| u32::try_from(x).ok();
        match (fits(start), fits(end)) {
            (Some(s), Some(e)) if usize::from(self.len) < MAX_INDEXED => {
                self.fields[usize::from(self.len)] = (tag, s, e);
                self.len += 1;
            }
            _ => self.complete = false,
        }
    }

    /// The value range of the first `tag`: `Ok(None)` if the frame has none, `Err(())`
    /// if it is not among the indexed fields of a frame that has more.
    fn find(&self, tag: u32) -> Result<Option<(usize, usize)>, ()> {
        let hit = self.fields[..usize::from(self.len)]
            .iter()
            .find(|f| f.0 == tag)
            .map(|&(_, s, e)| (s as usize, e as usize));
        match hit {
            Some(r) => Ok(Some(r)),
            None if self.complete => Ok(None),
            None => Err(()),
        }
    }
}

/// One field: `(tag, value, offset of the next field)`.
pub(crate) type Field<'a> = (u32, &'a [u8], usize);

/// Reads the field at `at` of `body`. `data_len` is the length announced by the field
/// before it if that was a length tag (`(data tag, length)`).
pub(crate) fn next_field(
    body: &[u8],
    at: usize,
    data_len: Option<(u32, usize)>,
) -> Result<Field<'_>, DecodeError> {
    let bad = |why| DecodeError::Malformed { offset: at, why };
    let rest = &body[at..];
    let eq = rest
        .iter()
        .take(11)
        .position(|&b| b == b'=')
        .ok_or(bad("no '=' after the tag"))?;
    let tag = parse_u64(&rest[..eq])
        .filter(|&t| t > 0 && t <= u64::from(u32::MAX))
        .ok_or(bad("tag is not a number"))? as u32;
    let value_at = eq + 1;
    let end = match data_len {
        Some((data_tag, n)) if data_tag == tag => {
            let end = value_at.checked_add(n).filter(|&e| e < rest.len());
            end.filter(|&e| rest[e] == SOH)
                .ok_or(bad("data field not as long as announced"))?
        }
        _ => rest[value_at..]
            .iter()
            .position(|&b| b == SOH)
            .map(|p| value_at + p)
            .ok_or(bad("no SOH after the value"))?,
    };
    if end == value_at {
        return Err(bad("empty value"));
    }
    Ok((tag, &rest[value_at..end], at + end + 1))
}

/// The data field a length field announces, and its length.
pub(crate) fn announces(tag: u32, value: &[u8]) -> Option<(u32, usize)> {
    let (_, data) = DATA_FIELDS.iter().find(|(len, _)| *len == tag)?;
    let n = parse_u64(value)?;
    Some((*data, usize::try_from(n).ok()?))
}

/// Decimal digits only, no sign, no overflow.
pub(crate) fn parse_u64(v: &[u8]) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    v.iter().try_fold(0u64, |acc, &b| {
        if !b.is_ascii_digit() {
            return None;
        }
        acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

/// A checked frame: BeginString, BodyLength and CheckSum verified, every field well
/// formed, MsgType(35) first in the body.
#[derive(Clone, Copy)]
pub struct Frame<'a> {
    bytes: &'a [u8],
    body: (usize, usize),
    msg_type: &'a [u8],
    index: FieldIndex,
}

impl<'a> Frame<'a> {
    pub(crate) fn new(
        bytes: &'a [u8],
        body: (usize, usize),
        msg_type: &'a [u8],
        index: FieldIndex,
    ) -> Self {
        Frame {
            bytes,
            body,
            msg_type,
            index,
        }
    }

    /// The whole frame as received (for a message log).
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// MsgType(35).
    pub fn msg_type(&self) -> &'a [u8] {
        self.msg_type
    }

    /// The body's fields in order (MsgType first; BeginString, BodyLength and CheckSum
    /// are not fields of the body): from the index when it holds them all.
    pub fn fields(&self) -> Fields<'_, 'a> {
        let i = &self.index;
        Fields {
            body: &self.bytes[self.body.0..self.body.1],
            at: 0,
            data_len: None,
            indexed: i.complete.then(|| i.fields[..usize::from(i.len)].iter()),
        }
    }

    /// The fields by walking the body (what the index was built from).
    pub(crate) fn walk(&self) -> Fields<'_, 'a> {
        Fields {
            indexed: None,
            ..self.fields()
        }
    }

    /// The first value of `tag`, if any.
    pub fn get(&self, tag: u32) -> Option<&'a [u8]> {
        let body = &self.bytes[self.body.0..self.body.1];
        match self.index.find(tag) {
            Ok(hit) => hit.map(|(s, e)| &body[s..e]),
            Err(()) => self.walk().find(|f| f.0 == tag).map(|f| f.1),
        }
    }

    /// The first value of `tag`, or [`FieldError::Missing`].
    pub fn req(&self, tag: u32) -> Result<&'a [u8], FieldError> {
        self.get(tag).ok_or(FieldError::Missing { tag })
    }

    /// `tag` as an unsigned integer.
    pub fn uint(&self, tag: u32) -> Result<u64, FieldError> {
        let v = self.req(tag)?;
        parse_u64(v).ok_or_else(|| FieldError::range(tag, v, "not an unsigned integer"))
    }

    /// `tag` as a signed integer (Binance's negative error codes).
    pub fn int(&self, tag: u32) -> Result<i64, FieldError> {
        let v = self.req(tag)?;
        let (neg, digits) = match v.split_first() {
            Some((b'-', d)) => (true, d),
            _ => (false, v),
        };
        let n = parse_u64(digits).ok_or_else(|| FieldError::range(tag, v, "not an integer"))?;
        let n = i64::try_from(n).map_err(|_| FieldError::range(tag, v, "past i64"))?;
        Ok(if neg { -n } else { n })
    }

    /// `tag` as whole steps of `step` (a price in ticks, a quantity in lots), exact:
    /// a value off the step is out of range, never rounded.
    pub fn units(&self, tag: u32, step: Step) -> Result<i64, FieldError> {
        let v = self.req(tag)?;
        step.parse_units(v)
            .map_err(|_| FieldError::range(tag, v, "not a whole number of steps"))
    }

    /// `tag` as a UTCTIMESTAMP, ns since the epoch.
    pub fn time(&self, tag: u32) -> Result<u64, FieldError> {
        parse_timestamp(tag, self.req(tag)?)
    }
}

/// The fields of a [`Frame`], in order.
pub struct Fields<'f, 'a> {
    body: &'a [u8],
    at: usize,
    data_len: Option<(u32, usize)>,
    indexed: Option<std::slice::Iter<'f, (u32, u32, u32)>>,
}

impl<'a> Iterator for Fields<'_, 'a> {
    type Item = (u32, &'a [u8]);

    fn next(&mut self) -> Option<(u32, &'a [u8])> {
        if let Some(i) = &mut self.indexed {
            let &(tag, s, e) = i.next()?;
            return Some((tag, &self.body[s as usize..e as usize]));
        }
        if self.at >= self.body.len() {
            return None;
        }
        let (tag, value, next) = next_field(self.body, self.at, self.data_len).ok()?;
        self.at = next;
        self.data_len = announces(tag, value);
        Some((tag, value))
    }
}

/// MsgType and length only: a frame's fields may include an API key (Logon), so they
/// are never formatted wholesale.
impl std::fmt::Debug for Frame<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mt = String::from_utf8_lossy(self.msg_type);
        write!(f, "Frame(35={mt}, {} bytes)", self.bytes.len())
    }
}
