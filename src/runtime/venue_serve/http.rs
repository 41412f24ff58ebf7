//! The REST face of `legcore venue serve`, HTTP/1.1 with `Connection: close`: what a
//! Binance USD-M client asks before it trades. `GET /fapi/v1/ping`, `GET /fapi/v1/time`
//! (the venue's clock, for a client's offset estimate), `GET /fapi/v1/exchangeInfo` (the
//! one symbol with its filters from the scenario's rules), `GET /fapi/v1/depth` (the
//! venue's book as it stands), and the user data stream's
//! listen key (`POST`/`PUT`/`DELETE /fapi/v1/listenKey`, keyed by `X-MBX-APIKEY`), and
//! the position (`GET /fapi/v3/positionRisk`, signed), an order's fills
//! (`GET /fapi/v1/userTrades`, signed), which a client reconciling
//! after a reconnect reads by trade id.
//! Anything else is a 404 with Binance's error shape.

use super::paper::Paper;
use crate::venue::LocalVenue;

/// A request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// `GET`, `POST`…
    pub method: String,
    /// The request target (path and query).
    pub target: String,
    /// Bytes of the head, blank line included.
    pub len: usize,
    /// `Content-Length` (0 without).
    pub content_length: usize,
    /// An `Upgrade: websocket` request.
    pub upgrade: bool,
    /// `X-MBX-APIKEY`.
    pub api_key: Option<String>,
}

impl Head {
    /// The target without its query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

/// The head at the start of `buf`: `None` while incomplete, `Some(None)` if not HTTP.
pub fn parse_head(buf: &[u8]) -> Option<Option<Head>> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let Ok(text) = std::str::from_utf8(&buf[..end]) else {
        return Some(None);
    };
    let mut lines = text.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let (Some(method), Some(target), Some(_)) = (first.next(), first.next(), first.next()) else {
        return Some(None);
    };
    let mut head = Head {
        method: method.to_string(),
        target: target.to_string(),
        len: end,
        content_length: 0,
        upgrade: false,
        api_key: None,
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => head.content_length = value.parse().unwrap_or(0),
            "upgrade" => head.upgrade = value.eq_ignore_ascii_case("websocket"),
            "x-mbx-apikey" => head.api_key = Some(value.to_string()),
            _ => {}
        }
    }
    Some(Some(head))
}

/// The listen key a user data stream's target names: `/ws/<key>`,
/// `/private/ws/<key>` or `…?listenKey=<key>`.
pub fn listen_key_of(target: &str) -> Option<String> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let from_query = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("listenKey="))
        .filter(|k| !k.is_empty());
    let from_path = path
        .strip_prefix("/ws/")
        .or_else(|| path.strip_prefix("/private/ws/"))
        .filter(|k| !k.is_empty() && !k.contains('/'));
    from_query.or(from_path).map(str::to_string)
}

/// The status and JSON body for a REST request.
pub fn route<V: LocalVenue>(
    head: &Head,
    paper: &mut Paper<V>,
    info: &str,
    now_ns: u64,
) -> (u16, String) {
    let key = head.api_key.as_deref().unwrap_or_default();
    match (head.method.as_str(), head.path()) {
        ("GET", "/fapi/v1/ping") => (200, "{}".into()),
        ("GET", "/fapi/v1/time") => (
            200,
            serde_json::json!({ "serverTime": paper.epoch_ms(now_ns) }).to_string(),
        ),
        ("GET", "/fapi/v1/exchangeInfo") => (200, info.to_string()),
        ("GET", "/fapi/v1/depth") => {
            let query = head.target.split_once('?').map_or("", |(_, q)| q);
            let limit = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("limit="))
                .map_or(Some(500), |v| v.parse().ok());
            paper.depth(limit.unwrap_or(0), now_ns)
        }
        ("GET", "/fapi/v1/userTrades") => {
            let query = head.target.split_once('?').map_or("", |(_, q)| q);
            paper.user_trades(key, query, now_ns)
        }
        ("GET", "/fapi/v3/positionRisk") => {
            let query = head.target.split_once('?').map_or("", |(_, q)| q);
            paper.position_risk(key, query, now_ns)
        }
        ("POST" | "PUT", "/fapi/v1/listenKey") => match paper.listen_key(key, now_ns) {
            Some(k) => (200, serde_json::json!({ "listenKey": k }).to_string()),
            None => bad_key(),
        },
        ("DELETE", "/fapi/v1/listenKey") if paper.close_listen_key(key) => (200, "{}".into()),
        ("DELETE", "/fapi/v1/listenKey") => bad_key(),
        _ => (
            404,
            r#"{"code":-5000,"msg":"Path not found on this venue."}"#.into(),
        ),
    }
}

fn bad_key() -> (u16, String) {
    (
        401,
        r#"{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}"#.into(),
    )
}

/// A whole HTTP/1.1 response.
pub fn response(status: u16, body: &str) -> String {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        _ => "Not Found",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_read_only_once_complete() {
        let full = b"POST /fapi/v1/listenKey HTTP/1.1\r\nHost: x\r\nX-MBX-APIKEY: k1\r\n\
                     Content-Length: 3\r\n\r\nabc";
        assert_eq!(parse_head(&full[..20]), None);
        let h = parse_head(full).unwrap().unwrap();
        assert_eq!(
            (h.method.as_str(), h.path()),
            ("POST", "/fapi/v1/listenKey")
        );
        assert_eq!((h.content_length, h.api_key.as_deref()), (3, Some("k1")));
        assert_eq!(h.len, full.len() - 3);
        assert_eq!(parse_head(b"junk\r\n\r\n"), Some(None));
        let up = parse_head(b"GET /ws-fapi/v1 HTTP/1.1\r\nUpgrade: WebSocket\r\n\r\n");
        assert!(up.unwrap().unwrap().upgrade);
    }

    #[test]
    fn user_stream_targets_name_their_key() {
        assert_eq!(listen_key_of("/ws/abc").as_deref(), Some("abc"));
        assert_eq!(
            listen_key_of("/private/ws?listenKey=k9").as_deref(),
            Some("k9")
        );
        assert_eq!(listen_key_of("/private/ws/k8").as_deref(), Some("k8"));
        assert_eq!(listen_key_of("/ws-fapi/v1"), None);
        assert_eq!(listen_key_of("/ws/"), None);
        assert_eq!(listen_key_of("/ws/a/b"), None);
    }
}
