//! The sockets of `legcore venue serve`: one thread with a current-thread tokio runtime,
//! one listener, one task per connection, and a timer task that replays the recorded
//! feed into the venue's book and delivers what the simulator has due.
//!
//! One port serves everything, told apart by the request line, as Binance's hosts are:
//! a WebSocket upgrade to `/ws-fapi/v1` is the API; to `/ws/<listenKey>` or
//! `/private/ws?listenKey=<key>` a user data stream; plain HTTP is the REST face
//! (`/fapi/v1/time`, `/fapi/v1/exchangeInfo`, `/fapi/v1/listenKey`). The [`Paper`]
//! venue is shared by the tasks of the one thread (`Rc<RefCell<…>>`: no lock, no
//! second thread), and every borrow ends before an `await`.
//!
//! A disconnect fault closes every connection and refuses new ones (the TCP connection
//! is accepted and dropped) until the simulator's link is up again.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio_tungstenite::tungstenite::Message;

use super::http::{self, Head};
use super::paper::{Out, Paper};
use super::ServeFeed;
use crate::venue::LocalVenue;

/// Largest request head read.
const MAX_HEAD: usize = 8 * 1024;
/// How long a client may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// The timer task's period when nothing is due sooner.
const TICK: Duration = Duration::from_millis(1);

/// The state the tasks share.
pub(super) struct Shared<V> {
    pub paper: Paper<V>,
    pub feed: Option<ServeFeed>,
    pub start: Instant,
    pub api: HashMap<u64, UnboundedSender<Message>>,
    pub streams: HashMap<u64, UnboundedSender<Message>>,
    pub next_conn: u64,
    pub info: String,
}

type Rcs<V> = Rc<RefCell<Shared<V>>>;

impl<V: LocalVenue> Shared<V> {
    pub fn now_ns(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Sends what the venue returned.
    pub fn dispatch(&mut self, outs: Vec<Out>) {
        for o in outs {
            match o {
                Out::Answer(conn, f) => {
                    if let Some(tx) = self.api.get(&conn) {
                        let _ = tx.send(Message::text(f));
                    }
                }
                Out::Event(f) => {
                    for tx in self.streams.values() {
                        let _ = tx.send(Message::text(f.clone()));
                    }
                }
                Out::Down => {
                    // Dropping the senders ends every connection's task.
                    let conns: Vec<u64> = self.api.keys().copied().collect();
                    for c in conns {
                        self.paper.closed(c);
                    }
                    self.api.clear();
                    self.streams.clear();
                }
                Out::KeyExpired => self.streams.clear(),
                Out::Up => {}
            }
        }
    }

    /// Replays the feed lines due by now and delivers what the simulator has due.
    pub fn advance(&mut self) {
        let now = self.now_ns();
        let mut outs = Vec::new();
        if let Some(f) = &mut self.feed {
            while f.step(now, self.paper.ladder()) {
                self.paper.on_book(now, &mut outs);
            }
        }
        self.paper.tick(now, &mut outs);
        self.dispatch(outs);
    }
}

/// Runs the server on `listener` until `stop` is set; returns the venue (`None` only
/// if a task still held it, which dropping the task set rules out).
pub(super) fn run<V: LocalVenue>(
    listener: std::net::TcpListener,
    shared: Shared<V>,
    stop: Arc<AtomicBool>,
) -> Option<Paper<V>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime needs no OS resource that can fail here");
    let local = tokio::task::LocalSet::new();
    let shared = Rc::new(RefCell::new(shared));
    let s = shared.clone();
    local.block_on(&rt, async move {
        listener
            .set_nonblocking(true)
            .expect("a bound listener can be made non-blocking");
        let listener = TcpListener::from_std(listener).expect("inside the runtime");
        let timer = tokio::task::spawn_local(timer(s.clone(), stop.clone()));
        loop {
            tokio::select! {
                acc = listener.accept() => {
                    if let Ok((stream, _)) = acc {
                        let _ = stream.set_nodelay(true);
                        tokio::task::spawn_local(connection(stream, s.clone()));
                    }
                }
                () = tokio::time::sleep(Duration::from_millis(20)) => {
                    if stop.load(Ordering::Relaxed) { break; }
                }
            }
        }
        let _ = timer.await;
        let mut sh = s.borrow_mut();
        sh.api.clear();
        sh.streams.clear();
    });
    drop(local);
    Rc::try_unwrap(shared)
        .ok()
        .map(|cell| cell.into_inner().paper)
}

async fn timer<V: LocalVenue>(s: Rcs<V>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        s.borrow_mut().advance();
        tokio::time::sleep(TICK).await;
    }
}

/// One accepted connection: read its head, route it.
async fn connection<V: LocalVenue>(mut stream: TcpStream, s: Rcs<V>) {
    if s.borrow().paper.is_down() {
        return;
    }
    let Ok(Ok(Some(head))) = tokio::time::timeout(HEAD_TIMEOUT, peek_head(&stream)).await else {
        return;
    };
    if head.upgrade {
        let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
            return;
        };
        let listen_key = http::listen_key_of(&head.target);
        match (head.path(), listen_key) {
            ("/ws-fapi/v1", _) => socket(ws, s, Role::Api).await,
            (_, Some(k)) if s.borrow().paper.is_listen_key(&k, s.borrow().now_ns()) => {
                socket(ws, s, Role::UserStream).await;
            }
            _ => {}
        }
        return;
    }
    let mut buf = vec![0u8; head.len + head.content_length.min(MAX_HEAD)];
    if stream.read_exact(&mut buf).await.is_err() {
        return;
    }
    let (status, body) = {
        let mut sh = s.borrow_mut();
        let now = sh.now_ns();
        let info = sh.info.clone();
        http::route(&head, &mut sh.paper, &info, now)
    };
    let _ = stream
        .write_all(http::response(status, &body).as_bytes())
        .await;
    let _ = stream.shutdown().await;
}

/// Peeks until the request head is complete; `None` if it is too long or not HTTP.
async fn peek_head(stream: &TcpStream) -> std::io::Result<Option<Head>> {
    let mut buf = vec![0u8; MAX_HEAD];
    loop {
        let n = stream.peek(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        if let Some(h) = http::parse_head(&buf[..n]) {
            return Ok(h);
        }
        if n == buf.len() {
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

/// What a WebSocket connection is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The WebSocket API: requests in, answers out.
    Api,
    /// A user data stream: events out; what the client sends is ignored but pings.
    UserStream,
}

/// One WebSocket connection of `role`, until either side closes it.
async fn socket<V: LocalVenue>(ws: Ws, s: Rcs<V>, role: Role) {
    let (tx, mut rx) = unbounded_channel();
    let conn = {
        let mut sh = s.borrow_mut();
        sh.next_conn += 1;
        let c = sh.next_conn;
        match role {
            Role::Api => sh.api.insert(c, tx),
            Role::UserStream => sh.streams.insert(c, tx),
        };
        c
    };
    let (mut sink, mut source) = ws.split();
    loop {
        tokio::select! {
            msg = source.next() => match msg {
                Some(Ok(Message::Text(t))) if role == Role::Api => {
                    let mut sh = s.borrow_mut();
                    let now = sh.now_ns();
                    let mut outs = Vec::new();
                    sh.paper.request(conn, &t, now, &mut outs);
                    sh.dispatch(outs);
                }
                Some(Ok(Message::Ping(p))) => {
                    if sink.send(Message::Pong(p)).await.is_err() { break; }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            out = rx.recv() => match out {
                Some(m) => if sink.send(m).await.is_err() { break; },
                None => break,
            },
        }
    }
    if role == Role::UserStream {
        let _ = sink.close().await;
    }
    let mut sh = s.borrow_mut();
    match role {
        Role::Api => {
            sh.api.remove(&conn);
            sh.paper.closed(conn);
        }
        Role::UserStream => {
            sh.streams.remove(&conn);
        }
    }
}
