//! A small HTTP/1.1 GET on the feeder's tokio runtime, for the REST depth snapshot.
//!
//! Why not a crate: the snapshot is one GET per (re)sync of a JSON body; `reqwest` or
//! `hyper` would bring a connection pool and a second TLS stack for that. This sends
//! `Connection: close`, reads to the end (bounded by `max_body`), and accepts a `200`
//! with a `Content-Length` body or a body ended by the close. Plain `http://` only for
//! now; an `https://` snapshot URL is refused with a typed error.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::LiveError;

/// `host:port` and the path of an `http://` URL.
fn split_url(url: &str) -> Result<(&str, &str), LiveError> {
    let bad = |why| LiveError::Url(url.to_owned(), why);
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| bad("not http://"))?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    Ok((host, path))
}

/// GETs `url` and returns the body of a `200` answer (at most `max_body` bytes).
pub async fn get(url: &str, max_body: usize) -> Result<Vec<u8>, LiveError> {
    let (host, path) = split_url(url)?;
    let addr = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:80")
    };
    let mut s = TcpStream::connect(addr).await?;
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\
         Connection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        if raw.len() + n > max_body + 16 * 1024 {
            return Err(LiveError::Http("answer over the size limit"));
        }
        raw.extend_from_slice(&chunk[..n]);
    }
    body_of(&raw, max_body).map(<[u8]>::to_vec)
}

/// The body of a complete `200` answer in `raw`.
fn body_of(raw: &[u8], max_body: usize) -> Result<&[u8], LiveError> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or(LiveError::Http("no end of headers"))?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| LiveError::Http("headers"))?;
    let status = head.split(' ').nth(1).ok_or(LiveError::Http("no status"))?;
    if status != "200" {
        return Err(LiveError::Http("status is not 200"));
    }
    let body = &raw[end + 4..];
    let len = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse::<usize>())
    });
    match len {
        Some(Ok(n)) if n <= body.len() && n <= max_body => Ok(&body[..n]),
        Some(_) => Err(LiveError::Http("bad or short Content-Length")),
        None if body.len() <= max_body => Ok(body),
        None => Err(LiveError::Http("body over the size limit")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_and_refusals() {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}xx";
        assert_eq!(body_of(ok, 10).unwrap(), b"{}");
        assert!(body_of(b"HTTP/1.1 500 X\r\n\r\n{}", 10).is_err());
        assert!(body_of(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{}", 10).is_err());
        assert!(body_of(b"HTTP/1.1 200 OK\r\n\r\n0123456789ab", 10).is_err());
        assert!(split_url("https://x/y").is_err());
        assert_eq!(split_url("http://h:1/a?b=c").unwrap(), ("h:1", "/a?b=c"));
    }
}
