//! Checks of the recorded captures before a run: each feed's book goes live (a capture
//! of another venue, or a tick or lot that does not divide the book, never does), and
//! the feeds were recorded over overlapping times (the replay keeps the recorded gaps,
//! so feeds months apart would make a paced run wait out the months).

use super::{bad, ScenarioError, VenueSpec};
use crate::feed::FeedError;
use crate::runtime::Feed;
use crate::text::Quoted;

/// Venue `i`'s feed must go live: refused naming the tick or lot when the first refused
/// line has a price or size off that step, `levels` when the book is too shallow for the
/// venue's checksum, else naming the feed.
pub(crate) fn check_live(i: usize, v: &VenueSpec, feed: &Feed) -> Result<(), ScenarioError> {
    let Err(never) = feed.first_live() else {
        return Ok(());
    };
    let mut counts = format!("{} of its {} lines refused", never.refused, never.lines);
    if never.skipped > 0 {
        let s = never.skipped;
        counts += &format!(", {s} of other instruments skipped: is `instrument` in it?");
    }
    let Some((line, e)) = never.first else {
        let why = format!("its book never went live ({counts}; no depth snapshot?)");
        return Err(bad(&format!("venue[{i}].feed"), &v.feed, why));
    };
    let why = format!("message {}: {e}", line + 1);
    let levels = v.levels.to_string();
    let (key, value) = match e {
        FeedError::Num { field, .. } if field.ends_with("qty") => ("lot", &v.lot),
        FeedError::Num { field, .. } if field.ends_with("price") => ("tick", &v.tick),
        FeedError::ChecksumDepth { .. } => ("levels", &levels),
        _ => {
            let why = format!("its book never went live ({counts}; first, {why})");
            return Err(bad(&format!("venue[{i}].feed"), &v.feed, why));
        }
    };
    let why = format!(
        "the book of {} never went live ({counts}; first, {why})",
        v.feed
    );
    Err(bad(&format!("venue[{i}].{key}"), value, why))
}

/// Every two feeds' recorded times must overlap. `spans[i]` is venue `i`'s earliest and
/// latest recorded time, ns.
pub(crate) fn check_overlap(
    venues: &[VenueSpec],
    spans: &[Option<(u64, u64)>],
) -> Result<(), ScenarioError> {
    for (j, b) in spans.iter().enumerate() {
        for (i, a) in spans.iter().enumerate().take(j) {
            let (Some((a0, a1)), Some((b0, b1))) = (*a, *b) else {
                continue;
            };
            if a1 < b0 || b1 < a0 {
                let gap_s = b0.saturating_sub(a1).max(a0.saturating_sub(b1)) / 1_000_000_000;
                let why = format!(
                    "recorded {} ..= {}, which does not overlap venue[{i}].feed {} \
                     (recorded {} ..= {}): the replay would wait out the {gap_s} s between \
                     them; give captures of the same time",
                    utc(b0),
                    utc(b1),
                    Quoted(&venues[i].feed),
                    utc(a0),
                    utc(a1)
                );
                return Err(bad(&format!("venue[{j}].feed"), &venues[j].feed, why));
            }
        }
    }
    Ok(())
}

/// A time in ns since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub(crate) fn utc(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days, for days ≥ 0 (all unsigned).
    let z = days + 719_468;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates_match_known_instants() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        // The shipped spot capture's first line.
        assert_eq!(utc(1_723_161_253_937_085_768), "2024-08-08T23:54:13Z");
        assert_eq!(utc(951_782_400_000_000_000), "2000-02-29T00:00:00Z");
        assert_eq!(utc(u64::MAX), "2554-07-21T23:34:33Z");
    }
}
