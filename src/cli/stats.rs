//! `legcore stats`: the tracker's statistics over a journal, the same numbers as the
//! run's own table (one function computes both).

use std::path::Path;

use legcore::journal::GroupSummary;
use legcore::journal::{path_in, read};
use legcore::journal::{Filter, Stats};
use legcore::text::Quoted;

use super::args::{CliError, Flags};
use super::emit;

/// `90s`, `15m`, `2h`, `7d` in ms.
pub(super) fn duration_ms(text: &str) -> Option<u64> {
    let (n, unit) = text.split_at(text.len().checked_sub(1)?);
    let n: u64 = n.parse().ok()?;
    let k = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(k)
}

pub fn run(args: &[String]) -> Result<u8, CliError> {
    let f = Flags::parse(
        args,
        &["--journal", "--from", "--strategy", "--venue", "--since"],
        &["--json"],
    )?;
    let filter = Filter {
        strategy: f.get("--strategy").map(str::to_string),
        venue: f.get("--venue").map(str::to_string),
        since_wall_ms: since(&f)?,
    };
    if let Some(url) = f.get("--from") {
        if f.get("--journal").is_some() {
            return Err(CliError::Conflict("give --journal or --from, not both"));
        }
        return super::fleet::stats(url, &filter, f.has("--json"));
    }
    let dir = f.required("--journal")?;
    let path = path_in(Path::new(dir));
    let found = read(&path, false).map_err(|e| CliError::Input(e.to_string()))?;
    let groups: Vec<GroupSummary> = found.ended().map(|e| e.group.clone()).collect();
    let stats = Stats::compute(&groups, &filter).map_err(|e| CliError::Input(e.to_string()))?;
    if f.has("--json") {
        emit(&format!(
            "{}\n",
            serde_json::to_string(&stats).unwrap_or_default()
        ))?;
    } else {
        if found.cut_bytes > 0 {
            eprintln!(
                "note: {} ends in a torn record ({} bytes), not counted",
                path.display(),
                found.cut_bytes
            );
        }
        emit(&stats.table())?;
    }
    Ok(0)
}

/// `--since`: the wall-clock ms it starts from.
fn since(f: &Flags) -> Result<Option<u64>, CliError> {
    Ok(match f.get("--since") {
        Some(s) => {
            let ms = duration_ms(s).ok_or_else(|| CliError::BadValue {
                flag: "--since",
                reason: format!("{} is not a duration like 90s, 15m, 2h or 7d", Quoted(s)),
            })?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            Some(now.saturating_sub(ms))
        }
        None => None,
    })
}
