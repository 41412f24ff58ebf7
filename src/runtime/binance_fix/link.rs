//! [`Link`]: the gateway's TCP connection, non-blocking after a connect bounded by a
//! timeout, with Nagle off. Writes go through a fixed outbound buffer (never grown): a
//! frame that does not fit is refused, and what the socket does not take now is sent on
//! the next [`Link::flush`]. No call here waits longer than the connect timeout.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// What a read found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// `n` bytes.
    Data(usize),
    /// Nothing yet.
    Idle,
    /// The peer closed the connection, or it failed.
    Closed,
}

/// A TCP connection. See the module doc.
#[derive(Debug)]
pub struct Link {
    stream: Option<TcpStream>,
    out: Vec<u8>,
    sent: usize,
}

impl Link {
    /// A closed link whose outbound buffer holds `capacity` bytes.
    pub fn new(capacity: usize) -> Link {
        Link {
            stream: None,
            out: Vec::with_capacity(capacity),
            sent: 0,
        }
    }

    /// Connects to `host:port` within `timeout` (each resolved address in turn).
    pub fn connect(&mut self, host: &str, port: u16, timeout: Duration) -> std::io::Result<()> {
        self.close();
        let mut last = std::io::Error::new(ErrorKind::NotFound, "no address");
        let addrs: Vec<SocketAddr> = (host, port).to_socket_addrs()?.collect();
        for a in addrs {
            match TcpStream::connect_timeout(&a, timeout) {
                Ok(s) => {
                    s.set_nodelay(true)?;
                    s.set_nonblocking(true)?;
                    self.stream = Some(s);
                    return Ok(());
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Whether it is connected.
    pub fn is_open(&self) -> bool {
        self.stream.is_some()
    }

    /// Closes it and drops what was not sent.
    pub fn close(&mut self) {
        if let Some(s) = self.stream.take() {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
        self.out.clear();
        self.sent = 0;
    }

    /// Queues `bytes` and sends what the socket takes. `false` (nothing queued) if they do
    /// not fit the outbound buffer or the link is closed.
    pub fn write(&mut self, bytes: &[u8]) -> bool {
        if self.stream.is_none() {
            return false;
        }
        if self.sent == self.out.len() {
            self.out.clear();
            self.sent = 0;
        }
        if self.out.capacity() - self.out.len() < bytes.len() {
            return false;
        }
        self.out.extend_from_slice(bytes);
        self.flush()
    }

    /// Sends what is queued, as far as the socket takes it now. `false` if the link failed
    /// (it is closed then).
    pub fn flush(&mut self) -> bool {
        let Some(s) = self.stream.as_mut() else {
            return false;
        };
        while self.sent < self.out.len() {
            match s.write(&self.out[self.sent..]) {
                Ok(0) => break,
                Ok(n) => self.sent += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    self.close();
                    return false;
                }
            }
        }
        true
    }

    /// Bytes queued and not yet taken by the socket.
    pub fn pending(&self) -> usize {
        self.out.len() - self.sent
    }

    /// Reads what has arrived into `buf`, without waiting.
    pub fn read(&mut self, buf: &mut [u8]) -> Received {
        let Some(s) = self.stream.as_mut() else {
            return Received::Closed;
        };
        if buf.is_empty() {
            return Received::Idle;
        }
        match s.read(buf) {
            Ok(0) => {
                self.close();
                Received::Closed
            }
            Ok(n) => Received::Data(n),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {
                Received::Idle
            }
            Err(_) => {
                self.close();
                Received::Closed
            }
        }
    }
}
