//! UTCTIMESTAMP (`YYYYMMDD-HH:MM:SS[.sss[sss]]`) to and from ns since the Unix epoch,
//! without allocation. Civil dates use Howard Hinnant's days-from-civil algorithm
//! (proleptic Gregorian, UTC, no leap seconds, as FIX and Binance mean it).

use super::FieldError;

/// Sub-second digits written in a timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimePrecision {
    /// `.sss` (what Binance's examples send; truncated, never rounded up).
    Millis,
    /// `.ssssss` (what Binance sends).
    Micros,
}

impl TimePrecision {
    /// Length of a timestamp written at this precision.
    pub const fn text_len(self) -> usize {
        match self {
            TimePrecision::Millis => 21,
            TimePrecision::Micros => 24,
        }
    }
}

const NS_PER_SEC: u64 = 1_000_000_000;
const SECS_PER_DAY: u64 = 86_400;

/// (year, month, day) of day `z` since 1970-01-01.
fn civil_from_days(z: u64) -> (u64, u64, u64) {
    let z = z + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// Days since 1970-01-01 of a date from 1970 on (month and day already range-checked).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn put(out: &mut [u8], mut v: u64) {
    for b in out.iter_mut().rev() {
        *b = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Writes `ns` as a timestamp into `out` (exactly [`TimePrecision::text_len`] bytes).
/// Every `u64` is a date before 2555, so this cannot fail.
pub fn write_timestamp(ns: u64, precision: TimePrecision, out: &mut [u8]) {
    let secs = ns / NS_PER_SEC;
    let (y, mo, d) = civil_from_days(secs / SECS_PER_DAY);
    let sod = secs % SECS_PER_DAY;
    put(&mut out[0..4], y);
    put(&mut out[4..6], mo);
    put(&mut out[6..8], d);
    out[8] = b'-';
    put(&mut out[9..11], sod / 3600);
    out[11] = b':';
    put(&mut out[12..14], sod / 60 % 60);
    out[14] = b':';
    put(&mut out[15..17], sod % 60);
    out[17] = b'.';
    let sub = ns % NS_PER_SEC;
    match precision {
        TimePrecision::Millis => put(&mut out[18..21], sub / 1_000_000),
        TimePrecision::Micros => put(&mut out[18..24], sub / 1_000),
    }
}

fn digits(tag: u32, v: &[u8], at: usize, n: usize, max: u64) -> Result<u64, FieldError> {
    let mut x = 0u64;
    for &b in v
        .get(at..at + n)
        .ok_or_else(|| FieldError::range(tag, v, "too short"))?
    {
        if !b.is_ascii_digit() {
            return Err(FieldError::range(tag, v, "not YYYYMMDD-HH:MM:SS[.fff]"));
        }
        x = x * 10 + u64::from(b - b'0');
    }
    if x > max {
        return Err(FieldError::range(tag, v, "date or time field out of range"));
    }
    Ok(x)
}

/// Parses a UTCTIMESTAMP of tag `tag` (0, 3, 6 or 9 sub-second digits) to ns since the
/// epoch. Dates before 1970 and past what `u64` ns holds are out of range.
pub fn parse_timestamp(tag: u32, v: &[u8]) -> Result<u64, FieldError> {
    let sep_ok = v.get(8) == Some(&b'-') && v.get(11) == Some(&b':') && v.get(14) == Some(&b':');
    if !sep_ok {
        return Err(FieldError::range(tag, v, "not YYYYMMDD-HH:MM:SS[.fff]"));
    }
    let y = digits(tag, v, 0, 4, 9999)?;
    let mo = digits(tag, v, 4, 2, 12)?;
    let d = digits(tag, v, 6, 2, 31)?;
    let (h, mi, s) = (
        digits(tag, v, 9, 2, 23)?,
        digits(tag, v, 12, 2, 59)?,
        digits(tag, v, 15, 2, 60)?,
    );
    if y < 1970 || mo == 0 || d == 0 || d > month_days(y, mo) {
        return Err(FieldError::range(tag, v, "no such date from 1970 on"));
    }
    let sub = match v.len() {
        17 => 0,
        21 | 24 | 27 if v[17] == b'.' => {
            let n = v.len() - 18;
            digits(tag, v, 18, n, u64::MAX)? * 10u64.pow(9 - n as u32)
        }
        _ => {
            return Err(FieldError::range(
                tag,
                v,
                "not 0, 3, 6 or 9 sub-second digits",
            ))
        }
    };
    let secs = days_from_civil(y, mo, d) * SECS_PER_DAY + h * 3600 + mi * 60 + s;
    secs.checked_mul(NS_PER_SEC)
        .and_then(|n| n.checked_add(sub))
        .ok_or_else(|| FieldError::range(tag, v, "past the u64 ns range"))
}

fn month_days(y: u64, m: u64) -> u64 {
    match m {
        2 if y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(ns: u64, p: TimePrecision) -> String {
        let mut b = [0u8; 24];
        write_timestamp(ns, p, &mut b[..p.text_len()]);
        String::from_utf8(b[..p.text_len()].to_vec()).unwrap()
    }

    #[test]
    fn the_logon_vector_time_round_trips() {
        let ns = parse_timestamp(52, b"20240627-11:17:25.223").unwrap();
        assert_eq!(ns, 1_719_487_045_223_000_000);
        assert_eq!(text(ns, TimePrecision::Millis), "20240627-11:17:25.223");
        let us = parse_timestamp(60, b"20240611-09:01:46.228950").unwrap();
        assert_eq!(text(us, TimePrecision::Micros), "20240611-09:01:46.228950");
        assert_eq!(parse_timestamp(52, b"19700101-00:00:00"), Ok(0));
        assert_eq!(
            text(u64::MAX, TimePrecision::Millis),
            "25540721-23:34:33.709"
        );
    }

    #[test]
    fn bad_timestamps_are_refused_by_name() {
        for bad in [
            &b"20240230-00:00:00"[..],
            b"20241301-00:00:00",
            b"19691231-23:59:59",
            b"20240101-24:00:00",
            b"20240101 00:00:00",
            b"20240101-00:00:00.12",
            b"2024010-00:00:00",
            b"99991231-23:59:59",
            b"",
        ] {
            let e = parse_timestamp(52, bad).unwrap_err();
            assert!(matches!(e, FieldError::OutOfRange { tag: 52, .. }), "{e}");
        }
    }

    proptest::proptest! {
        #[test]
        fn every_micro_round_trips(us in 0u64..18_000_000_000_000_000) {
            let ns = us * 1000;
            let t = text(ns, TimePrecision::Micros);
            proptest::prop_assert_eq!(parse_timestamp(52, t.as_bytes()), Ok(ns));
        }
    }
}
