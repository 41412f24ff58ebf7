//! [`WsLink`]: one WebSocket connection of the gateway (the API, or the user data
//! stream), over plain TCP with Nagle off. The connect and handshake are blocking and
//! bounded by a timeout; after them the socket is non-blocking, so a read or a write
//! never waits: a frame the socket cannot take now stays queued in tungstenite and goes
//! on the next [`WsLink::flush`]. Pings are answered by tungstenite.

use std::io::ErrorKind;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use tokio_tungstenite::tungstenite::{self, Message, WebSocket};

/// What a read found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A text frame.
    Text(String),
    /// Nothing yet.
    Idle,
    /// The peer closed, or the connection failed.
    Closed,
}

/// A WebSocket connection. See the module doc.
#[derive(Default)]
pub struct WsLink {
    ws: Option<WebSocket<TcpStream>>,
}

impl WsLink {
    /// Connects to `ws://host:port{path}` within `timeout`.
    pub fn connect(&mut self, host: &str, port: u16, path: &str, timeout: Duration) -> bool {
        self.close();
        let Some(addr) = (host, port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
        else {
            return false;
        };
        let Ok(stream) = TcpStream::connect_timeout(&addr, timeout) else {
            return false;
        };
        let set = stream.set_nodelay(true).is_ok()
            && stream.set_read_timeout(Some(timeout)).is_ok()
            && stream.set_write_timeout(Some(timeout)).is_ok();
        if !set {
            return false;
        }
        let url = format!("ws://{host}:{port}{path}");
        let Ok((ws, _)) = tungstenite::client::client(url, stream) else {
            return false;
        };
        if ws.get_ref().set_nonblocking(true).is_err() {
            return false;
        }
        self.ws = Some(ws);
        true
    }

    /// Whether it is connected.
    pub fn is_open(&self) -> bool {
        self.ws.is_some()
    }

    /// Queues `text` and sends what the socket takes; false if the link failed.
    pub fn send(&mut self, text: &str) -> bool {
        let Some(ws) = &mut self.ws else {
            return false;
        };
        match ws.send(Message::text(text)) {
            Ok(()) => true,
            Err(tungstenite::Error::Io(e)) if e.kind() == ErrorKind::WouldBlock => true,
            Err(_) => {
                self.close();
                false
            }
        }
    }

    /// Sends what is queued.
    pub fn flush(&mut self) {
        if let Some(ws) = &mut self.ws {
            match ws.flush() {
                Ok(()) => {}
                Err(tungstenite::Error::Io(e)) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => self.close(),
            }
        }
    }

    /// The next text frame, if one is in.
    pub fn recv(&mut self) -> Received {
        let Some(ws) = &mut self.ws else {
            return Received::Closed;
        };
        loop {
            match ws.read() {
                Ok(Message::Text(t)) => return Received::Text(t),
                Ok(Message::Close(_)) => break,
                Ok(_) => {}
                Err(tungstenite::Error::Io(e)) if e.kind() == ErrorKind::WouldBlock => {
                    return Received::Idle;
                }
                Err(_) => break,
            }
        }
        self.close();
        Received::Closed
    }

    /// Drops the connection.
    pub fn close(&mut self) {
        self.ws = None;
    }
}
