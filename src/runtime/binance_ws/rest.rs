//! A blocking HTTP/1.1 call for the few REST requests the gateway makes (the venue's
//! time, the listen key, an order's trades when reconciling), on the gateway thread and
//! never on the loop's. `Connection: close`; the connect, each read and each write are
//! bounded by the timeout, and the answer by [`MAX_BODY`].

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Largest answer read.
pub const MAX_BODY: usize = 1 << 20;

/// `method target` on `host:port` with `X-MBX-APIKEY: api_key` if given; the status
/// and the body.
pub fn call(
    host: &str,
    port: u16,
    method: &str,
    target: &str,
    api_key: Option<&str>,
    timeout: Duration,
) -> std::io::Result<(u16, String)> {
    let bad = |why: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, why.to_string());
    let addr = (host, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| bad("no address"))?;
    let mut s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    let key = api_key.map_or(String::new(), |k| format!("X-MBX-APIKEY: {k}\r\n"));
    let req = format!(
        "{method} {target} HTTP/1.1\r\nHost: {host}:{port}\r\n{key}Content-Length: 0\r\n\
         Connection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes())?;
    let mut raw = Vec::with_capacity(4096);
    s.take(MAX_BODY as u64).read_to_end(&mut raw)?;
    let text = String::from_utf8(raw).map_err(|_| bad("not UTF-8"))?;
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| bad("no header end"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return Err(bad("chunked answers are not read here"));
    }
    Ok((status, body.to_string()))
}
