//! A small HTTP/1.1 GET on the feeder's tokio runtime, for the REST depth snapshot, over
//! plain TCP (`http://`) or TLS (`https://`, the live clients' one rustls configuration,
//! SNI and the certificate's names checked).
//!
//! Why not a crate: the snapshot is one GET per (re)sync of a JSON body; `reqwest` or
//! `hyper` would bring a connection pool and a second HTTP stack for that. This sends
//! `Connection: close` and reads until the body is complete (by `Content-Length`, by the
//! last chunk of a `chunked` body, or by the close), bounded by `max_body`; a server that
//! ends a TLS stream without `close_notify` after a complete body is not an error.

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{tls, LiveError};

/// A parsed `http://` or `https://` URL.
#[derive(Debug, PartialEq, Eq)]
struct Target<'u> {
    tls: bool,
    /// `host` or `host:port`, as sent in `Host:`.
    authority: &'u str,
    host: &'u str,
    port: u16,
    path: &'u str,
}

fn target(url: &str) -> Result<Target<'_>, LiveError> {
    let bad = |why| LiveError::Url(url.to_owned(), why);
    let (tls, rest) = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(r), _) => (true, r),
        (None, Some(r)) => (false, r),
        _ => return Err(bad("not http:// or https://")),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().map_err(|_| bad("bad port"))?),
        None => (authority, if tls { 443 } else { 80 }),
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    Ok(Target {
        tls,
        authority,
        host,
        port,
        path,
    })
}

/// GETs `url` and returns the body of a `200` answer (at most `max_body` bytes), trusting
/// `extra_root` beside the web roots for `https://`.
pub async fn get(
    url: &str,
    max_body: usize,
    extra_root: Option<&[u8]>,
) -> Result<Vec<u8>, LiveError> {
    let t = target(url)?;
    let mut tcp = TcpStream::connect((t.host, t.port)).await?;
    let req = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n\
         Connection: close\r\n\r\n",
        t.path, t.authority
    );
    let raw = if t.tls {
        let name = ServerName::try_from(t.host.to_owned())
            .map_err(|_| LiveError::Url(url.to_owned(), "bad host name"))?;
        let connector = tokio_rustls::TlsConnector::from(tls::client_config(extra_root)?);
        let mut s = connector.connect(name, tcp).await?;
        exchange(&mut s, &req, max_body).await?
    } else {
        exchange(&mut tcp, &req, max_body).await?
    };
    body_of(&raw, max_body)
}

/// Sends `req` and reads the answer until it is complete or the peer closes.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    req: &str,
    max_body: usize,
) -> Result<Vec<u8>, LiveError> {
    s.write_all(req.as_bytes()).await?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = match s.read(&mut chunk).await {
            Ok(n) => n,
            // A TLS peer that closes without close_notify: fine once the answer is whole.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(e.into()),
        };
        if n == 0 {
            return Ok(raw);
        }
        if raw.len() + n > max_body + 16 * 1024 {
            return Err(LiveError::Http("answer over the size limit"));
        }
        raw.extend_from_slice(&chunk[..n]);
        if complete(&raw) {
            return Ok(raw);
        }
    }
}

/// The header block and the body after it, if the headers are complete.
fn split_head(raw: &[u8]) -> Option<(&str, &[u8])> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    Some((head, &raw[end + 4..]))
}

fn header<'h>(head: &'h str, name: &str) -> Option<&'h str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

fn is_chunked(head: &str) -> bool {
    header(head, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
}

/// Whether `raw` holds a whole answer (so reading can stop before the close).
fn complete(raw: &[u8]) -> bool {
    let Some((head, body)) = split_head(raw) else {
        return false;
    };
    if is_chunked(head) {
        return dechunk(body, usize::MAX).is_ok();
    }
    match header(head, "content-length").map(str::parse::<usize>) {
        Some(Ok(n)) => body.len() >= n,
        _ => false,
    }
}

/// The body of a complete `200` answer in `raw`.
fn body_of(raw: &[u8], max_body: usize) -> Result<Vec<u8>, LiveError> {
    let (head, body) = split_head(raw).ok_or(LiveError::Http("no end of headers"))?;
    let status = head.split(' ').nth(1).ok_or(LiveError::Http("no status"))?;
    if status != "200" {
        return Err(LiveError::Http("status is not 200"));
    }
    if is_chunked(head) {
        return dechunk(body, max_body);
    }
    match header(head, "content-length").map(str::parse::<usize>) {
        Some(Ok(n)) if n <= body.len() && n <= max_body => Ok(body[..n].to_vec()),
        Some(_) => Err(LiveError::Http("bad or short Content-Length")),
        None if body.len() <= max_body => Ok(body.to_vec()),
        None => Err(LiveError::Http("body over the size limit")),
    }
}

/// A `chunked` body decoded: `<hex size>[;ext]\r\n<data>\r\n` … `0\r\n\r\n`.
fn dechunk(mut body: &[u8], max_body: usize) -> Result<Vec<u8>, LiveError> {
    let mut out = Vec::new();
    loop {
        let eol = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or(LiveError::Http("chunk size line"))?;
        let line = std::str::from_utf8(&body[..eol]).map_err(|_| LiveError::Http("chunk size"))?;
        let hex = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(hex, 16).map_err(|_| LiveError::Http("chunk size"))?;
        let data = &body[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if out.len().saturating_add(size) > max_body {
            return Err(LiveError::Http("body over the size limit"));
        }
        let (chunk, rest) = (data.get(..size), data.get(size..));
        let (Some(chunk), Some(rest)) = (chunk, rest) else {
            return Err(LiveError::Http("short chunk"));
        };
        out.extend_from_slice(chunk);
        body = rest
            .strip_prefix(b"\r\n")
            .ok_or(LiveError::Http("chunk end"))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_and_refusals() {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}xx";
        assert_eq!(body_of(ok, 10).unwrap(), b"{}");
        assert!(complete(ok));
        assert!(body_of(b"HTTP/1.1 500 X\r\n\r\n{}", 10).is_err());
        assert!(body_of(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{}", 10).is_err());
        assert!(body_of(b"HTTP/1.1 200 OK\r\n\r\n0123456789ab", 10).is_err());
        assert!(target("ftp://x/y").is_err());
        assert!(target("https://h:port/").is_err());
        let t = target("http://h:1/a?b=c").unwrap();
        assert_eq!((t.tls, t.host, t.port, t.path), (false, "h", 1, "/a?b=c"));
        let t = target("https://fapi.binance.com/fapi/v1/depth").unwrap();
        assert_eq!(
            (t.tls, t.authority, t.port),
            (true, "fapi.binance.com", 443)
        );
    }

    #[test]
    fn chunked_bodies_are_decoded_and_bounded() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                    3\r\n{\"a\r\n4;x=y\r\n\":1}\r\n0\r\n\r\n";
        assert!(complete(raw));
        assert_eq!(body_of(raw, 100).unwrap(), b"{\"a\":1}");
        assert!(body_of(raw, 5).is_err(), "over the limit");
        assert!(
            !complete(&raw[..raw.len() - 5]),
            "the last chunk not there yet"
        );
        let bad = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
        assert!(body_of(bad, 100).is_err());
    }
}
