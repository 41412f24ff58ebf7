//! A live venue's feed (`source = "live"`): the keys a live client needs, checked, and
//! the runtime [`Feed`] that runs it (paper trading: the simulated venue matches against
//! the live book exactly as against a replay). Every key: docs/scenario.md.

use std::path::Path;
use std::sync::Arc;

use super::{bad, Scenario, ScenarioError, VenueSpec};
use crate::feed::{Format, Tape};
use crate::index::{BookId, VenueId};
use crate::instrument::InstrumentRules;
use crate::runtime::live::client::LiveConfig;
use crate::runtime::Feed;

/// Whether venue `v` is live: `source` is `"live"`; `"replay"` or absent is a replay.
pub(crate) fn is_live(i: usize, v: &VenueSpec) -> Result<bool, ScenarioError> {
    match v.source.as_deref() {
        None | Some("replay") => Ok(false),
        Some("live") => Ok(true),
        Some(other) => Err(bad(
            &format!("venue[{i}].source"),
            other,
            "expected \"replay\" or \"live\"",
        )),
    }
}

/// Venue `i`'s live feed, its keys checked.
pub(crate) fn live_feed(
    i: usize,
    v: &VenueSpec,
    dir: &Path,
    format: Format,
    rules: &InstrumentRules,
) -> Result<Feed, ScenarioError> {
    let key = |k: &str| format!("venue[{i}].{k}");
    if !v.feed.is_empty() {
        let why = "a live venue has no recorded feed: remove `feed`, or set source = \"replay\"";
        return Err(bad(&key("feed"), &v.feed, why));
    }
    let url = v.url.as_deref().ok_or_else(|| {
        bad(
            &key("url"),
            "",
            "missing: a live venue needs its stream's ws:// or wss:// URL",
        )
    })?;
    if !(url.starts_with("wss://") || url.starts_with("ws://")) {
        return Err(bad(&key("url"), url, "expected a ws:// or wss:// URL"));
    }
    let snapshot_url = snapshot_url(i, v, format)?;
    let extra_root = match &v.root_cert {
        Some(file) => Some(root_cert(&key("root_cert"), &Scenario::resolve(dir, file))?),
        None => None,
    };
    let live = LiveConfig {
        snapshot_url,
        extra_root,
        ..LiveConfig::new(url, &v.instrument, format, rules.tick, rules.lot)
    };
    Ok(Feed {
        tape: Arc::new(Tape::from_bytes(Vec::new())),
        venue: VenueId::new(i),
        book: BookId::new(0),
        format,
        tick: rules.tick,
        lot: rules.lot,
        levels_per_side: v.levels,
        max_update_levels: 4_096,
        live: Some(live),
    })
}

/// The REST snapshot URL: required for a Binance diff stream, refused for the others
/// (their streams carry their own snapshots).
fn snapshot_url(i: usize, v: &VenueSpec, format: Format) -> Result<Option<String>, ScenarioError> {
    let key = format!("venue[{i}].snapshot_url");
    let binance = matches!(
        format,
        Format::BinanceSpot | Format::BinanceUsdm | Format::BinanceCoinm
    );
    match (&v.snapshot_url, binance) {
        (Some(u), true) if u.starts_with("http://") || u.starts_with("https://") => {
            Ok(Some(u.clone()))
        }
        (Some(u), true) => Err(bad(&key, u, "expected an http:// or https:// URL")),
        (None, true) => Err(bad(
            &key,
            "",
            "missing: a live Binance diff stream needs the REST depth snapshot URL",
        )),
        (Some(u), false) => Err(bad(
            &key,
            u,
            "only Binance's diff streams use a REST snapshot (this venue's stream carries \
             its own); remove it",
        )),
        (None, false) => Ok(None),
    }
}

/// A root certificate file, PEM (its first certificate) or DER.
fn root_cert(key: &str, path: &Path) -> Result<Vec<u8>, ScenarioError> {
    let raw = std::fs::read(path).map_err(|source| ScenarioError::Data {
        key: key.to_owned(),
        path: path.display().to_string(),
        source,
    })?;
    if !raw.starts_with(b"-----BEGIN") {
        return Ok(raw);
    }
    let text = String::from_utf8_lossy(&raw);
    let body: String = text
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .ok()
        .filter(|d| !d.is_empty())
        .ok_or_else(|| bad(key, &path.display().to_string(), "no PEM certificate in it"))
}
